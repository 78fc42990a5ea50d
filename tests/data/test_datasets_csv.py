"""losslab.datasets.load_csv: round trips, task inference, string labels, standardization
without leakage, and every bad file (one-line errors naming file, line and column)."""
from __future__ import annotations

import csv

import numpy as np
import pytest

import losslab.datasets
from losslab.datasets import load_csv


def _write(tmp_path, text, name="data.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def _write_rows(tmp_path, header, rows, name="data.csv", **kw):
    p = tmp_path / name
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, **kw)
        w.writerow(header)
        w.writerows(rows)
    return p


def _regression_file(tmp_path, n=50, seed=0):
    rng = np.random.default_rng(seed)
    x = np.round(rng.standard_normal((n, 3)), 6)
    y = np.round(x @ np.array([1.5, -2.0, 0.25]) + 0.1 + 0.01 * rng.standard_normal(n), 6)
    rows = [[*map(repr, xi.tolist()), repr(float(yi))] for xi, yi in zip(x, y)]
    return _write_rows(tmp_path, ["a", "b", "c", "price"], rows), x, y


def _error(path, **kw):
    kw.setdefault("target", "y")
    with pytest.raises(ValueError) as e:
        load_csv(path, **kw)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("load_csv: ")
    return msg


# ------------------------------------------------------------------------------ round trips
def test_regression_round_trip(tmp_path):
    path, x, y = _regression_file(tmp_path)
    s = load_csv(path, target="price", standardize=False)
    assert s.task == "regression" and s.name == "data.csv" and s.class_names is None
    assert s.feature_names == ("a", "b", "c") and s.n_features == 3
    assert s.x_train.shape == (40, 3) and s.x_val.shape == (10, 3) and s.y_train.shape == (40, 1)
    both_x = np.vstack([s.x_train, s.x_val])
    both_y = np.vstack([s.y_train, s.y_val])[:, 0]
    order = np.lexsort(both_x.T)
    ref = np.lexsort(x.T)
    np.testing.assert_array_equal(both_x[order], x[ref])
    np.testing.assert_array_equal(both_y[order], y[ref])  # each target stays with its row


def test_features_select_and_order_the_columns(tmp_path):
    path, x, _ = _regression_file(tmp_path)
    s = load_csv(path, target="price", features=["c", "a"], standardize=False)
    assert s.feature_names == ("c", "a")
    both = np.vstack([s.x_train, s.x_val])
    ref = x[:, [2, 0]]
    np.testing.assert_array_equal(both[np.lexsort(both.T)], ref[np.lexsort(ref.T)])
    s2 = load_csv(str(path), target="price", features=("b",))
    assert s2.n_features == 1


def test_string_labels_become_sorted_class_indices(tmp_path):
    rows = [[i, (i * 7) % 5, ["cat", "dog", "bird"][i % 3]] for i in range(30)]
    path = _write_rows(tmp_path, ["w", "h", "animal"], rows)
    s = load_csv(path, target="animal", standardize=False)
    assert s.task == "multiclass" and s.class_names == ("bird", "cat", "dog") and s.n_outputs == 3
    for xs, ys in ((s.x_train, s.y_train), (s.x_val, s.y_val)):
        for xi, yi in zip(xs, ys):
            assert s.class_names[yi] == ["cat", "dog", "bird"][int(xi[0]) % 3]


def test_integer_labels_are_classes_sorted_numerically(tmp_path):
    labels = [10, 2, 1]
    rows = [[i, labels[i % 3]] for i in range(30)]
    s = load_csv(_write_rows(tmp_path, ["x", "y"], rows), target="y", standardize=False)
    assert s.task == "multiclass" and s.class_names == ("1", "2", "10")
    for xi, yi in zip(s.x_train[:, 0], s.y_train):
        assert s.class_names[yi] == str(labels[int(xi) % 3])


def test_binary_labels(tmp_path):
    rows = [[i, i % 2] for i in range(20)]
    s = load_csv(_write_rows(tmp_path, ["x", "y"], rows), target="y")
    assert s.task == "binary" and s.class_names == ("0", "1") and s.n_outputs == 1
    assert s.y_train.dtype == np.int64


def test_integers_written_as_floats_are_labels(tmp_path):
    rows = [[i, f"{i % 2}.0"] for i in range(20)]
    s = load_csv(_write_rows(tmp_path, ["x", "y"], rows), target="y")
    assert s.task == "binary" and s.class_names == ("0", "1")


# ------------------------------------------------------------------------------ task inference
@pytest.mark.parametrize("values, task", [
    (lambda i: i % 2 + 0.5, "regression"),          # non-integer floats
    (lambda i: i % 25, "regression"),               # 25 distinct integers > 20
    (lambda i: i % 21, "regression"),
    (lambda i: i % 20, "multiclass"),               # 20 distinct, at most half the rows
    (lambda i: i, "regression"),                    # every row distinct
    (lambda i: i % 3 - 1, "multiclass"),            # negative integers are labels too
])
def test_task_inference(tmp_path, values, task):
    rows = [[i, values(i)] for i in range(120)]
    assert load_csv(_write_rows(tmp_path, ["x", "y"], rows), target="y").task == task


def test_more_distinct_integers_than_half_the_rows_is_regression(tmp_path):
    rows = [[i, i % 6] for i in range(10)]  # 6 distinct values in 10 rows
    assert load_csv(_write_rows(tmp_path, ["x", "y"], rows), target="y").task == "regression"


def test_explicit_task(tmp_path):
    rows = [[i, i % 2] for i in range(20)]
    path = _write_rows(tmp_path, ["x", "y"], rows)
    r = load_csv(path, target="y", task="regression")
    assert r.task == "regression" and r.y_train.dtype == np.float64 and r.y_train.shape == (16, 1)
    m = load_csv(path, target="y", task="multiclass")
    assert m.task == "multiclass" and m.n_classes == 2 and m.n_outputs == 2
    assert load_csv(path, target="y", task="classification").task == "binary"
    # text with more distinct values than inference accepts is still classes when the caller says so
    many = [[i, f"name{i % 30:02d}"] for i in range(60)]
    path = _write_rows(tmp_path, ["x", "who"], many, name="many.csv")
    assert "too many for class labels" in _error(path, target="who")
    s = load_csv(path, target="who", task="multiclass", val_fraction=0.5)
    assert s.n_classes == 30 and s.class_names[:2] == ("name00", "name01")


def test_explicit_binary_with_three_classes(tmp_path):
    rows = [[i, "abc"[i % 3]] for i in range(30)]
    msg = _error(_write_rows(tmp_path, ["x", "y"], rows), task="binary")
    assert "task='binary' but target column 'y' of data.csv has 3 classes" in msg and "multiclass" in msg


def test_classification_of_continuous_targets_suggests_regression(tmp_path):
    rows = [[i, i * 0.37] for i in range(20)]
    msg = _error(_write_rows(tmp_path, ["x", "y"], rows), task="classification")
    assert "line 3, column 'y': '0.37' is not a class label" in msg and "task='regression'" in msg


def test_regression_on_text_labels(tmp_path):
    rows = [[i, "ab"[i % 2]] for i in range(20)]
    msg = _error(_write_rows(tmp_path, ["x", "y"], rows), task="regression")
    assert "data.csv, line 2, column 'y': 'a' is not a number (a regression target must be numeric)" in msg


def test_text_target_with_too_many_values(tmp_path):
    rows = [[i, f"id{i}"] for i in range(30)]
    msg = _error(_write_rows(tmp_path, ["x", "y"], rows))
    assert "30 distinct values in 30 rows" in msg and "task='multiclass'" in msg


# ------------------------------------------------------------------------------ file formats
def test_semicolon_tab_and_pipe_delimiters(tmp_path):
    for delim, name in ((";", "semi.csv"), ("\t", "tab.tsv"), ("|", "pipe.csv")):
        rows = [[i, f"{i * 0.5:.1f}", i % 2] for i in range(20)]
        p = _write_rows(tmp_path, ["a", "b", "y"], rows, name=name, delimiter=delim)
        s = load_csv(p, target="y")
        assert s.feature_names == ("a", "b") and s.task == "binary"


def test_quotes_bom_crlf_blank_lines_and_spaces(tmp_path):
    text = '\ufeff"size, cm" , y\r\n1.5,"a"\r\n\r\n 2.5 , b\r\n3.5,a\r\n4.5,b\r\n5.5,a\r\n6.5,b\r\n7.5,a\r\n8.5,b\r\n\r\n'
    s = load_csv(_write(tmp_path, text), target="y", standardize=False)
    assert s.feature_names == ("size, cm",) and s.class_names == ("a", "b")
    assert sorted(np.concatenate([s.x_train, s.x_val])[:, 0].tolist()) == [1.5 + i for i in range(8)]


def test_unused_columns_are_not_checked(tmp_path):
    rows = [[i, "", f"note {i}", i % 2] for i in range(20)]
    s = load_csv(_write_rows(tmp_path, ["x", "empty", "note", "y"], rows), target="y", features=["x"])
    assert s.n_features == 1


def test_path_objects_and_strings(tmp_path):
    path, _, _ = _regression_file(tmp_path)
    a = load_csv(path, target="price")
    b = load_csv(str(path), target="price")
    np.testing.assert_array_equal(a.x_train, b.x_train)


# ------------------------------------------------------------------------------ split, seeds, leakage
def test_seed_reproducibility_and_stratification(tmp_path):
    rows = [[i, "a" if i % 4 else "b"] for i in range(80)]  # 60 a, 20 b
    path = _write_rows(tmp_path, ["x", "y"], rows)
    s1, s2, s3 = (load_csv(path, target="y", seed=k, val_fraction=0.25) for k in (5, 5, 6))
    np.testing.assert_array_equal(s1.x_train, s2.x_train)
    assert not np.array_equal(s1.x_train, s3.x_train)
    assert np.bincount(s1.y_val).tolist() == [15, 5] and np.bincount(s1.y_train).tolist() == [45, 15]


def test_validation_rows_never_leak_into_training(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 2)) * [3.0, 0.5] + [10.0, -2.0]
    y = np.arange(40) % 2
    header = ["u", "v", "y"]
    path = _write_rows(tmp_path, header, [[*map(repr, xi.tolist()), int(yi)] for xi, yi in zip(x, y)])
    s = load_csv(path, target="y")
    raw = load_csv(path, target="y", standardize=False)
    # mean/std are the training part's, not the whole file's
    np.testing.assert_allclose(s.mean, raw.x_train.mean(0), rtol=1e-13)
    np.testing.assert_allclose(s.std, raw.x_train.std(0), rtol=1e-13)
    assert not np.allclose(s.mean, x.mean(0), rtol=1e-9, atol=0)
    # change every validation row wildly: the training part and its statistics do not move
    val_rows = _rows_idx(raw.x_val, x)
    x2 = x.copy()
    x2[val_rows] = x2[val_rows] * 100 + 1e4
    path2 = _write_rows(tmp_path, header, [[*map(repr, xi.tolist()), int(yi)] for xi, yi in zip(x2, y)],
                        name="changed.csv")
    s2 = load_csv(path2, target="y")
    np.testing.assert_array_equal(s2.x_train, s.x_train)
    np.testing.assert_array_equal(s2.mean, s.mean)
    np.testing.assert_array_equal(s2.std, s.std)
    np.testing.assert_array_equal(s2.y_val, s.y_val)
    assert not np.allclose(s2.x_val, s.x_val)
    np.testing.assert_allclose(s2.x_val, (x2[val_rows] - s.mean) / s.std, rtol=1e-12)


def _rows_idx(part, full):
    return np.array([int(np.flatnonzero(np.all(full == r, axis=1))[0]) for r in part])


# ------------------------------------------------------------------------------ bad files
def test_missing_values_name_row_and_column(tmp_path):
    text = "x,z,y\n1,2,0\n2,,1\n3,4,NA\n4,5,1\n5,6,0\n6,7,1\n"
    msg = _error(_write(tmp_path, text))
    assert msg == ("load_csv: data.csv, line 3, column 'z': missing value; 2 missing values in all; "
                   "fill them in or remove those rows")


@pytest.mark.parametrize("cell", ["", "NA", "nan", "NaN", "null", "None", "?", "n/a"])
def test_every_missing_marker(tmp_path, cell):
    rows = [[i, i % 2] for i in range(10)]
    rows[4][0] = cell
    msg = _error(_write_rows(tmp_path, ["x", "y"], rows))
    assert "line 6, column 'x': missing value" in msg


def test_text_in_a_numeric_feature(tmp_path):
    rows = [[i, i % 2] for i in range(10)]
    rows[6][0] = "12kg"
    msg = _error(_write_rows(tmp_path, ["weight", "y"], rows))
    assert "data.csv, line 8, column 'weight': '12kg' is not a number" in msg and "features=" in msg


def test_infinite_value(tmp_path):
    rows = [[i, i % 2] for i in range(10)]
    rows[2][0] = "inf"
    assert "line 4, column 'x': 'inf' is not a finite number" in _error(_write_rows(tmp_path, ["x", "y"], rows))


def test_missing_target_lists_columns_and_close_matches(tmp_path):
    path, _, _ = _regression_file(tmp_path)
    msg = _error(path, target="prce")
    assert msg == ("load_csv: data.csv has no target column 'prce' (did you mean 'price'?); its columns are "
                   "'a', 'b', 'c', 'price'")
    assert "did you mean 'price'" in _error(path, target="Price")
    assert "did you mean" not in _error(path, target="zzzz")


def test_unknown_feature_column(tmp_path):
    path, _, _ = _regression_file(tmp_path)
    msg = _error(path, target="price", features=["a", "bb"])
    assert "no feature column 'bb' (did you mean 'b'?); its columns are 'a', 'b', 'c', 'price'" in msg


@pytest.mark.parametrize("features, match", [
    (["a", "price"], "target column 'price' is also listed in features"),
    (["a", "a"], "feature column 'a' is listed twice"),
    ([], "features is empty"),
])
def test_bad_feature_lists(tmp_path, features, match):
    path, _, _ = _regression_file(tmp_path)
    assert match in _error(path, target="price", features=features)


def test_single_class(tmp_path):
    rows = [[i, "spam"] for i in range(10)]
    msg = _error(_write_rows(tmp_path, ["x", "y"], rows))
    assert "target column 'y' of data.csv has a single class ('spam') in all 10 rows" in msg
    rows = [[i, 1] for i in range(10)]
    assert "single class ('1')" in _error(_write_rows(tmp_path, ["x", "y"], rows, name="ones.csv"))


def test_a_class_with_one_row_cannot_be_stratified(tmp_path):
    rows = [[i, "a" if i else "b"] for i in range(10)]
    msg = _error(_write_rows(tmp_path, ["x", "y"], rows))
    assert "class 'b' of data.csv has only 1 row" in msg


def test_fewer_than_two_rows_after_the_split(tmp_path):
    rows = [[i, i * 0.5] for i in range(4)]  # 4 rows -> 3 train, 1 validation
    msg = _error(_write_rows(tmp_path, ["x", "y"], rows))
    assert "data.csv has 4 rows, which val_fraction=0.2 splits into 3 training and 1 validation rows" in msg


@pytest.mark.parametrize("text, match", [
    ("", "data.csv is empty"),
    ("\n\n  \n", "data.csv is empty"),
    ("x,y\n", "has a header but no data rows"),
    ("1,2\n3,4\n5,6\n", r"the first row \(line 1\) looks like data \(1, 2\); a header row naming the columns is "
                        r"required"),
    ("x,,y\n1,2,3\n", "column 2 of the header .* has no name"),
    ("x,x,y\n1,2,3\n", "names column 'x' twice"),
    ("x,y\n1,2\n3,4,5\n", "line 3: 3 fields, but the header has 2 columns"),
])
def test_malformed_files(tmp_path, text, match):
    import re
    assert re.search(match, _error(_write(tmp_path, text)))


def test_not_utf8(tmp_path):
    assert "not UTF-8" in _error(_write(tmp_path, "x,y\nré,1\n", encoding="latin-1"))


def test_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="load_csv: no such file: nope.csv"):
        load_csv(tmp_path / "nope.csv", target="y")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        load_csv(tmp_path, target="y")


@pytest.mark.parametrize("kw, exc, match", [
    ({"target": ""}, TypeError, "target must be the name of a column"),
    ({"target": 3}, TypeError, "target must be"),
    ({"target": "y", "features": "x"}, TypeError, r"features must be a list .* write \[..\]"),
    ({"target": "y", "features": ["x", 3]}, TypeError, "feature names must be strings"),
    ({"target": "y", "task": "ranking"}, ValueError, "task must be one of"),
    ({"target": "y", "val_fraction": 1.5}, ValueError, "val_fraction"),
    ({"target": "y", "seed": -1}, ValueError, "seed"),
])
def test_bad_arguments(tmp_path, kw, exc, match):
    path = _write_rows(tmp_path, ["x", "y"], [[i, i % 2] for i in range(10)])
    with pytest.raises(exc, match=match):
        load_csv(path, **kw)
    with pytest.raises(TypeError, match="path must be a file path"):
        load_csv(3, target="y")


def test_only_a_target_column(tmp_path):
    assert "no columns are left as features" in _error(_write(tmp_path, "y\n1\n0\n1\n0\n"))


def test_reachable_from_the_package():
    assert losslab.datasets.load_csv is load_csv
