"""losslab.datasets: bundled and synthetic data, Split, stratification, standardization
without leakage, the outliers of `linear`, and every error."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import losslab as ll
import losslab.datasets
from losslab import datasets
from losslab.data import TensorDataset
from losslab.datasets import Split

BUNDLED = ["digits", "breast_cancer", "diabetes", "iris", "wine"]
SYNTHETIC = ["moons", "circles", "spirals", "xor", "blobs", "linear"]
EXPECTED = {  # name: (task, N, D, C)
    "digits": ("multiclass", 1797, 64, 10), "breast_cancer": ("binary", 569, 30, 2),
    "diabetes": ("regression", 442, 10, None), "iris": ("multiclass", 150, 4, 3), "wine": ("multiclass", 178, 13, 3),
    "moons": ("binary", 500, 2, 2), "circles": ("binary", 500, 2, 2), "spirals": ("binary", 500, 2, 2),
    "xor": ("binary", 500, 2, 2), "blobs": ("multiclass", 500, 2, 3), "linear": ("regression", 300, 1, None),
}


def _raw_sklearn(name):
    import sklearn.datasets as skd
    if name == "diabetes":
        b = skd.load_diabetes(scaled=False)
    else:
        b = getattr(skd, f"load_{name}")()
    return b.data.astype(np.float64), b.target


def _rows_of(part, full):
    """Index of each row of `part` in `full` (every row must be found)."""
    idx = []
    for r in part:
        hits = np.flatnonzero(np.all(full == r, axis=1))
        assert hits.size >= 1
        idx.append(hits[0])
    return np.array(idx)


# ------------------------------------------------------------------------------ names
def test_available_lists_every_dataset():
    assert datasets.available() == BUNDLED + SYNTHETIC


@pytest.mark.parametrize("name", BUNDLED + SYNTHETIC)
def test_describe_is_one_line(name):
    text = datasets.describe(name)
    assert text.startswith(f"{name}: ") and "\n" not in text
    task = EXPECTED[name][0]
    assert (task in text) if name in BUNDLED else ("synthetic" in text)


def test_describe_lists_the_synthetic_options():
    assert "outliers=0.0" in datasets.describe("linear")
    assert "factor=0.5" in datasets.describe("circles")


def test_unknown_name_suggests_close_matches():
    with pytest.raises(ValueError, match=r"unknown dataset 'digit' \(did you mean digits\?\); available: digits"):
        datasets.load("digit")
    with pytest.raises(ValueError, match="did you mean"):
        datasets.describe("spiral")
    with pytest.raises(ValueError, match="load_csv"):
        datasets.load("house_prices.csv")
    with pytest.raises(TypeError, match="name must be a str"):
        datasets.load(3)


def test_names_are_forgiving_about_case_and_dashes():
    s = datasets.load("Breast-Cancer")
    assert s.name == "breast_cancer"


# ------------------------------------------------------------------------------ every dataset
@pytest.mark.parametrize("name", BUNDLED + SYNTHETIC)
def test_load_gives_a_consistent_split(name):
    task, n, d, c = EXPECTED[name]
    s = datasets.load(name, seed=0)
    assert isinstance(s, Split) and s.name == name and s.task == task
    n_val = math.ceil(0.2 * n)
    assert s.x_train.shape == (n - n_val, d) and s.x_val.shape == (n_val, d)
    assert s.x_train.dtype == s.x_val.dtype == np.float64
    assert s.n_features == d and len(s.feature_names) == d
    assert np.all(np.isfinite(s.x_train)) and np.all(np.isfinite(s.x_val))
    if task == "regression":
        assert s.y_train.shape == (n - n_val, 1) and s.y_val.shape == (n_val, 1)
        assert s.y_train.dtype == np.float64
        assert s.n_classes is None and s.class_names is None and s.n_outputs == 1
    else:
        assert s.y_train.shape == (n - n_val,) and s.y_train.dtype == s.y_val.dtype == np.int64
        assert s.n_classes == c == len(s.class_names)
        assert set(np.unique(s.y_train)) == set(range(c))
        assert s.n_outputs == (1 if task == "binary" else c)
    # standardized with the training statistics: 0 mean, unit (or, for a constant column, 0) spread
    np.testing.assert_allclose(s.x_train.mean(0), 0, atol=1e-10)
    sd = s.x_train.std(0)
    assert np.all((np.abs(sd - 1) < 1e-10) | (sd < 1e-12))


def test_bundled_class_names_and_feature_names():
    bc = datasets.load("breast_cancer")
    assert bc.class_names == ("malignant", "benign") and bc.feature_names[0] == "mean radius"
    assert datasets.load("digits").class_names == tuple(str(i) for i in range(10))
    assert datasets.load("iris").class_names == ("setosa", "versicolor", "virginica")
    assert datasets.load("diabetes").feature_names[:3] == ("age", "sex", "bmi")
    assert datasets.load("moons").feature_names == ("x1", "x2")


def test_digits_constant_pixels_get_std_one():
    s = datasets.load("digits")
    raw, _ = _raw_sklearn("digits")
    const = np.flatnonzero(raw.std(0) == 0)
    assert const.size > 0
    assert np.all(s.std[const] == 1.0) and np.all(s.x_train[:, const] == 0)


def test_bundled_sets_take_no_options():
    with pytest.raises(ValueError, match="'digits' is a fixed dataset and takes no options, got outliers=0.1"):
        datasets.load("digits", outliers=0.1)


# ------------------------------------------------------------------------------ split and leakage
@pytest.mark.parametrize("name", ["iris", "breast_cancer", "wine", "digits", "blobs"])
def test_split_is_stratified(name):
    s = datasets.load(name, seed=3, val_fraction=0.25)
    y = np.concatenate([s.y_train, s.y_val])
    frac = len(s.y_val) / len(y)
    for k in range(s.n_classes):
        total = int((y == k).sum())
        assert abs(int((s.y_val == k).sum()) - frac * total) <= 1


def test_same_seed_same_split_other_seed_other_split():
    a, b, c = (datasets.load("wine", seed=s) for s in (0, 0, 1))
    for f in ("x_train", "y_train", "x_val", "y_val", "mean", "std"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert not np.array_equal(a.y_train, c.y_train) or not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize("name", BUNDLED)
def test_standardize_uses_training_statistics_only(name):
    raw_x, raw_y = _raw_sklearn(name)
    plain = datasets.load(name, seed=0, standardize=False)
    std = datasets.load(name, seed=0)
    assert plain.mean is None and plain.std is None
    # the unstandardized parts are rows of the raw data, and together all of it
    both = np.vstack([plain.x_train, plain.x_val])
    np.testing.assert_array_equal(both[np.lexsort(both.T)], raw_x[np.lexsort(raw_x.T)])
    # mean/std are the training part's, not the whole data's
    np.testing.assert_allclose(std.mean, plain.x_train.mean(0), rtol=1e-12, atol=1e-12)
    sd = plain.x_train.std(0)
    np.testing.assert_allclose(std.std, np.where(sd < 1e-9, 1.0, sd), rtol=1e-12)
    assert not np.allclose(std.mean, raw_x.mean(0), rtol=1e-6, atol=0)
    # the validation part is transformed with those same training statistics
    np.testing.assert_allclose(std.x_val, (plain.x_val - std.mean) / std.std, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(std.x_train * std.std + std.mean, plain.x_train, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(std.y_val, plain.y_val)


def test_diabetes_is_loaded_unscaled():
    s = datasets.load("diabetes", standardize=False)
    assert s.x_train[:, 0].max() > 10  # ages in years, not scikit-learn's pre-scaled values
    assert 25 <= s.y_train.min() and s.y_train.max() <= 346


@pytest.mark.parametrize("vf", [0.1, 0.5, 0.33])
def test_val_fraction_sets_the_validation_size(vf):
    s = datasets.load("iris", val_fraction=vf)
    assert len(s.x_val) == math.ceil(vf * 150) and len(s.x_train) + len(s.x_val) == 150


@pytest.mark.parametrize("kw, exc, match", [
    ({"val_fraction": 0.0}, ValueError, r"val_fraction must be in \(0, 1\)"),
    ({"val_fraction": 1.0}, ValueError, "val_fraction"),
    ({"val_fraction": -0.2}, ValueError, "val_fraction"),
    ({"val_fraction": "0.2"}, TypeError, "val_fraction"),
    ({"val_fraction": True}, TypeError, "val_fraction"),
    ({"seed": -1}, ValueError, "seed must be in"),
    ({"seed": 2**32}, ValueError, "seed must be in"),
    ({"seed": 1.5}, TypeError, "seed must be an int"),
    ({"standardize": 1}, TypeError, "standardize must be True or False"),
])
@pytest.mark.parametrize("name", ["iris", "moons"])
def test_bad_load_arguments(name, kw, exc, match):
    with pytest.raises(exc, match=match):
        datasets.load(name, **kw)


def test_fewer_than_two_rows_in_a_part():
    s = datasets.load("linear", n_samples=6)  # 4 training and 2 validation rows: enough
    assert len(s.x_train) == 4 and len(s.x_val) == 2
    with pytest.raises(ValueError, match="splits into 4 training and 1 validation rows; each part needs at least "
                                         "2 rows") as e:
        datasets.load("linear", n_samples=5)
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="at least 2 rows"):
        datasets.load("linear", n_samples=20, val_fraction=0.95)


def test_too_few_rows_for_the_classes_in_each_part():
    with pytest.raises(ValueError, match="at least one row per class in each part"):
        datasets.load("spirals", n_samples=40, n_classes=10, val_fraction=0.1)


# ------------------------------------------------------------------------------ synthetic data
def test_synthetic_options_change_the_data():
    assert datasets.load("moons", n_samples=100).x_train.shape == (80, 2)
    s = datasets.load("spirals", n_classes=3, n_samples=300)
    assert s.task == "multiclass" and s.n_classes == 3 and s.n_outputs == 3
    b = datasets.load("blobs", centers=2, n_features=5, n_samples=100)
    assert b.task == "binary" and b.n_features == 5 and b.feature_names == ("x1", "x2", "x3", "x4", "x5")
    lin = datasets.load("linear", n_features=3)
    assert lin.n_features == 3


def test_synthetic_data_depends_on_the_seed():
    a = datasets.load("spirals", seed=0, standardize=False)
    b = datasets.load("spirals", seed=0, standardize=False)
    c = datasets.load("spirals", seed=1, standardize=False)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(np.sort(a.x_train, 0), np.sort(c.x_train, 0))


def test_moons_circles_blobs_are_scikit_learns():
    from sklearn.datasets import make_circles, make_moons
    x, _ = make_moons(n_samples=500, noise=0.2, random_state=4)
    s = datasets.load("moons", seed=4, standardize=False)
    _rows_of(s.x_train, x)
    x, _ = make_circles(n_samples=200, noise=0.0, factor=0.3, random_state=2)
    c = datasets.load("circles", seed=2, standardize=False, n_samples=200, noise=0.0, factor=0.3)
    r = np.hypot(c.x_train[:, 0], c.x_train[:, 1])
    np.testing.assert_allclose(r[c.y_train == 1], 0.3)  # inner circle is class 1
    np.testing.assert_allclose(r[c.y_train == 0], 1.0)


def test_xor_labels_follow_the_quadrants():
    s = datasets.load("xor", noise=0.0, standardize=False)
    x = np.vstack([s.x_train, s.x_val])
    y = np.concatenate([s.y_train, s.y_val])
    np.testing.assert_array_equal(y, ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(int))
    assert np.all(np.abs(x) <= 1)


def test_spirals_are_interleaved_arms():
    s = datasets.load("spirals", noise=0.0, standardize=False, n_classes=2, turns=1.0)
    x = np.vstack([s.x_train, s.x_val])
    y = np.concatenate([s.y_train, s.y_val])
    r = np.hypot(x[:, 0], x[:, 1])
    theta = np.arctan2(x[:, 1], x[:, 0])
    # on arm k: θ = 2π r + πk (mod 2π)
    resid = np.angle(np.exp(1j * (theta - 2 * np.pi * r - np.pi * y)))
    np.testing.assert_allclose(resid, 0, atol=1e-9)
    assert np.bincount(y).tolist() == [250, 250]


def test_linear_targets_follow_a_linear_model():
    s = datasets.load("linear", noise=0.5, n_features=2, standardize=False, n_samples=2000)
    xa = np.hstack([s.x_train, np.ones((len(s.x_train), 1))])
    coef, *_ = np.linalg.lstsq(xa, s.y_train, rcond=None)
    resid = s.y_train - xa @ coef
    assert abs(resid.std() - 0.5) < 0.05
    assert np.all(np.abs(coef[:2]) >= 0.9) and np.all(np.abs(coef[:2]) <= 3.1)


def test_outliers_are_in_the_training_part_only():
    clean = datasets.load("linear", seed=0)
    dirty = datasets.load("linear", seed=0, outliers=0.1)
    zero = datasets.load("linear", seed=0, outliers=0.0)
    np.testing.assert_array_equal(dirty.x_val, clean.x_val)
    np.testing.assert_array_equal(dirty.y_val, clean.y_val)
    np.testing.assert_array_equal(dirty.x_train, clean.x_train)
    np.testing.assert_array_equal(zero.y_train, clean.y_train)
    shifted = np.flatnonzero(dirty.y_train[:, 0] != clean.y_train[:, 0])
    assert len(shifted) == round(0.1 * len(clean.y_train)) == 24
    jump = (dirty.y_train - clean.y_train)[shifted, 0]
    sd = clean.y_train.std()
    assert np.all(jump >= 10 * sd - 1e-9) and np.all(jump <= 20 * sd + 1e-9)


def test_outliers_pull_least_squares_but_not_the_median():
    dirty = datasets.load("linear", seed=1, outliers=0.2)
    xa = np.hstack([dirty.x_train, np.ones((len(dirty.x_train), 1))])
    coef, *_ = np.linalg.lstsq(xa, dirty.y_train, rcond=None)
    xv = np.hstack([dirty.x_val, np.ones((len(dirty.x_val), 1))])
    ols_err = np.abs(xv @ coef - dirty.y_val).mean()
    clean = datasets.load("linear", seed=1)
    coef_c, *_ = np.linalg.lstsq(np.hstack([clean.x_train, np.ones((len(clean.x_train), 1))]), clean.y_train,
                                 rcond=None)
    assert ols_err > 3 * np.abs(xv @ coef_c - clean.y_val).mean()


@pytest.mark.parametrize("name, kw, exc, match", [
    ("moons", {"nosie": 0.1}, ValueError, r"'moons' has no option 'nosie' \(did you mean noise\?\); its options "
                                          r"are n_samples=500, noise=0.2"),
    ("moons", {"outliers": 0.1}, ValueError, "no option 'outliers'"),
    ("moons", {"n_samples": 2}, ValueError, "n_samples must be an int >= 4, got 2"),
    ("moons", {"n_samples": 10.5}, TypeError, "n_samples must be an int"),
    ("moons", {"noise": -0.1}, ValueError, r"noise must be in \[0, inf\)"),
    ("moons", {"noise": float("nan")}, ValueError, "noise"),
    ("moons", {"noise": "a"}, TypeError, "noise must be a number"),
    ("circles", {"factor": 1.0}, ValueError, r"factor must be in \(0, 1\)"),
    ("spirals", {"n_classes": 1}, ValueError, "n_classes must be an int >= 2"),
    ("spirals", {"turns": 0}, ValueError, "turns"),
    ("blobs", {"centers": 1}, ValueError, "centers"),
    ("blobs", {"cluster_std": 0.0}, ValueError, "cluster_std"),
    ("linear", {"outliers": 0.6}, ValueError, r"outliers must be in \[0, 0.5\]"),
    ("linear", {"n_features": 0}, ValueError, "n_features"),
])
def test_bad_synthetic_options(name, kw, exc, match):
    with pytest.raises(exc, match=match) as e:
        datasets.load(name, **kw)
    assert "\n" not in str(e.value)


# ------------------------------------------------------------------------------ Split
def test_split_datasets_cast_x_and_keep_class_indices():
    s = datasets.load("iris")
    ds = s.train_dataset()
    assert isinstance(ds, TensorDataset) and len(ds) == 120
    x, y = ds.tensors
    assert x.dtype == np.float32 and y.dtype == np.int64 and y.shape == (120,)
    np.testing.assert_allclose(x.data, s.x_train.astype(np.float32))
    x, y = s.val_dataset(dtype=ll.float64).tensors
    assert x.dtype == np.float64 and y.dtype == np.int64 and len(y) == 30


def test_split_regression_targets_take_the_dtype():
    s = datasets.load("diabetes")
    x, y = s.train_dataset().tensors
    assert y.dtype == np.float32 and y.shape == (353, 1)
    x, y = s.val_dataset("float64").tensors
    assert y.dtype == np.float64
    with pytest.raises(TypeError, match="floating-point"):
        s.train_dataset(dtype=ll.int64)


def test_split_is_frozen_and_its_arrays_read_only():
    s = datasets.load("iris")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.task = "regression"
    with pytest.raises(ValueError, match="read-only"):
        s.x_train[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        s.mean[0] = 1.0
    x, _ = s.train_dataset().tensors
    x.data[0, 0] = 5.0  # the datasets are copies the caller may change
    assert s.x_train[0, 0] != 5.0


def test_split_repr_is_short():
    r = repr(datasets.load("wine"))
    assert r == ("Split('wine': multiclass, 142 train / 36 validation rows, 13 features, 3 classes, "
                 "standardized=True)")


def _mk(**kw):
    base = dict(name="t", task="binary", x_train=np.zeros((4, 2)), y_train=np.array([0, 1, 0, 1]),
                x_val=np.zeros((2, 2)), y_val=np.array([0, 1]), feature_names=("a", "b"), class_names=("n", "p"))
    base.update(kw)
    return Split(**base)


@pytest.mark.parametrize("kw, match", [
    ({"task": "ranking"}, "task must be one of"),
    ({"x_train": np.zeros(4)}, "x_train must be 2-D"),
    ({"y_train": np.array([0.0, 1.0, 0.0, 1.0])}, "int class indices"),
    ({"y_val": np.array([0, 1, 1])}, "x_val has 2 rows but y_val has 3"),
    ({"x_val": np.zeros((2, 3))}, "x_train has 2 features but x_val has 3"),
    ({"feature_names": ("a",)}, "1 feature_names for 2 features"),
    ({"class_names": None}, "class_names is required"),
    ({"class_names": ("a", "b", "c")}, "binary task has 2 classes"),
    ({"y_train": np.array([0, 1, 0, 2])}, "outside"),
    ({"mean": np.zeros(3)}, r"mean must have shape \(2,\)"),
    ({"task": "regression"}, "class_names must be None"),
])
def test_split_validates_its_fields(kw, match):
    with pytest.raises(ValueError, match=match):
        _mk(**kw)


def test_split_regression_reshapes_1d_targets():
    s = _mk(task="regression", class_names=None, y_train=np.arange(4.0), y_val=np.arange(2.0))
    assert s.y_train.shape == (4, 1) and s.n_outputs == 1 and s.n_classes is None
