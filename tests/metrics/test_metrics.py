"""losslab.metrics against scikit-learn on random inputs (to 1e-12), the registry, evaluate()
from raw logits, and the errors for bad input."""
from __future__ import annotations

import doctest
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import losslab as ll
import losslab.metrics as M

skm = pytest.importorskip("sklearn.metrics")
import sklearn  # noqa: E402

SK_VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2])
TOL = dict(rtol=1e-12, atol=1e-12)


def close(a, b):
    if isinstance(b, float) and math.isnan(b):
        return isinstance(a, float) and math.isnan(a)
    np.testing.assert_allclose(a, b, **TOL)
    return True


def sk_log_loss(y, p, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return skm.log_loss(y, p, **kw)


def sk_quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


# ---------------------------------------------------------------------------------------------
# label metrics vs scikit-learn
# ---------------------------------------------------------------------------------------------
SK_PRF = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), k=st.integers(2, 5),
       average=st.sampled_from(["macro", "micro", "weighted", None]),
       zd=st.sampled_from([0, 1, math.nan]), skew=st.booleans())
def test_prf_multiclass_match_sklearn(seed, n, k, average, zd, skew):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    p = rng.integers(0, k if not skew else 2, n)  # skew: some classes never predicted
    for name, sk in SK_PRF.items():
        ours = getattr(M, name)(y, p, average=average, zero_division=zd)
        ref = sk_quiet(sk, y, p, average=average, zero_division=zd)
        if average is None:
            np.testing.assert_allclose(ours, ref, equal_nan=True, **TOL)
        else:
            assert close(ours, float(ref)), (name, ours, ref)
    assert close(M.accuracy(y, p), skm.accuracy_score(y, p))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), zd=st.sampled_from([0, 1, math.nan]),
       pos_label=st.sampled_from([0, 1]), p_one=st.floats(0, 1), t_one=st.floats(0, 1))
def test_prf_binary_match_sklearn(seed, n, zd, pos_label, p_one, t_one):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < t_one).astype(np.int64)  # includes all-0 / all-1 vectors
    p = (rng.random(n) < p_one).astype(np.int64)
    for name, sk in SK_PRF.items():
        ours = getattr(M, name)(y, p, pos_label=pos_label, zero_division=zd)
        ref = sk_quiet(sk, y, p, pos_label=pos_label, zero_division=zd)
        assert close(ours, float(ref)), (name, ours, ref)


def test_prf_with_explicit_labels_and_other_label_values():
    rng = np.random.default_rng(3)
    y, p = rng.choice([3, 7, 9], 50), rng.choice([3, 7], 50)
    for name, sk in SK_PRF.items():
        fn = getattr(M, name)
        for avg in ("macro", "weighted", "micro", None):
            for labels in ([3, 7, 9, 11], [7, 9], None):
                np.testing.assert_allclose(fn(y, p, average=avg, labels=labels),
                                           sk_quiet(sk, y, p, average=avg, labels=labels), **TOL)
        yb, pb = np.where(y == 9, 3, y), p
        assert close(fn(yb, pb, pos_label=7), sk(yb, pb, pos_label=7))
        assert close(fn(yb.astype(float), pb.astype(float), pos_label=7), sk(yb, pb, pos_label=7))
        ys, ps = np.array(["cat", "dog", "dog"]), np.array(["dog", "dog", "cat"])
        assert close(fn(ys, ps, pos_label="dog"), sk(ys, ps, pos_label="dog"))


def test_label_metrics_accept_tensors_lists_and_columns():
    y = np.array([0, 1, 2, 2, 1])
    p = np.array([0, 2, 2, 2, 1])
    ref = M.f1(y, p, average="macro")
    assert M.f1(ll.tensor(y), ll.tensor(p), average="macro") == ref
    assert M.f1(list(y), list(p), average="macro") == ref
    assert M.f1(y[:, None], p[:, None], average="macro") == ref
    assert M.accuracy(ll.tensor(y[:, None]), p) == 0.8


# ---------------------------------------------------------------------------------------------
# log_loss vs scikit-learn
# ---------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 40), k=st.integers(2, 6),
       shape=st.sampled_from(["flat", "column", "matrix"]))
def test_log_loss_matches_sklearn(seed, n, k, shape):
    rng = np.random.default_rng(seed)
    if shape == "matrix":
        prob = rng.dirichlet(np.ones(k), n)
        y = rng.integers(0, k, n)
        y[:k] = np.arange(k)[: min(k, n)] if n >= k else y[:n]
        labels = list(range(k))
        assert close(M.log_loss(y, prob), sk_log_loss(y, prob, labels=labels))
    else:
        prob = rng.random(n)
        y = rng.integers(0, 2, n)
        y[:2] = [0, 1]
        p_in = prob if shape == "flat" else prob[:, None]
        assert close(M.log_loss(y, p_in), sk_log_loss(y, p_in))
        assert close(M.log_loss(ll.tensor(y), ll.tensor(p_in)), sk_log_loss(y, p_in))


@pytest.mark.skipif(SK_VERSION < (1, 5), reason="scikit-learn < 1.5 clipped with eps=1e-15")
def test_log_loss_clipping_of_certain_mistakes_matches_installed_sklearn():
    y = np.array([0, 1, 1, 0])
    p = np.array([1.0, 0.0, 1.0, 0.0])  # two certain mistakes, two certain hits
    assert close(M.log_loss(y, p), sk_log_loss(y, p))
    assert math.isclose(M.log_loss([0, 1], [1.0, 0.0]), -math.log(np.finfo(float).eps), rel_tol=1e-12)
    q = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.2, 0.3, 0.5]])
    assert close(M.log_loss([1, 2, 0], q), sk_log_loss([1, 2, 0], q))


def test_log_loss_labels_and_string_classes_match_sklearn():
    y = np.array(["b", "a", "c", "a"])
    q = np.random.default_rng(0).dirichlet(np.ones(3), 4)
    assert close(M.log_loss(y, q), sk_log_loss(y, q))
    y2 = np.array([5, 9, 9, 5])
    assert close(M.log_loss(y2, [0.2, 0.7, 0.9, 0.4]), sk_log_loss(y2, [0.2, 0.7, 0.9, 0.4]))
    assert close(M.log_loss([1, 1], [0.6, 0.8], labels=[0, 1]), sk_log_loss([1, 1], [0.6, 0.8], labels=[0, 1]))
    q4 = np.random.default_rng(1).dirichlet(np.ones(4), 3)
    assert close(M.log_loss([0, 3, 3], q4, labels=[0, 1, 2, 3]), sk_log_loss([0, 3, 3], q4, labels=[0, 1, 2, 3]))


def test_log_loss_reads_integer_labels_as_indices_when_a_class_is_missing():
    q = np.random.default_rng(2).dirichlet(np.ones(4), 5)
    y = np.array([0, 3, 3, 1, 0])  # class 2 absent: sklearn raises without labels=, losslab reads indices
    with pytest.raises(ValueError):
        skm.log_loss(y, q)
    assert close(M.log_loss(y, q), sk_log_loss(y, q, labels=[0, 1, 2, 3]))
    assert close(M.log_loss([1, 1, 1], [0.9, 0.8, 0.7]), sk_log_loss([1, 1, 1], [0.9, 0.8, 0.7], labels=[0, 1]))


def test_log_loss_warns_for_rows_that_do_not_sum_to_one_like_sklearn():
    q = np.array([[0.5, 0.6], [0.2, 0.3]])
    with pytest.warns(UserWarning, match="sum to one"):
        ours = M.log_loss([0, 1], q)
    assert close(ours, sk_log_loss([0, 1], q))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # float32 softmax rows sum to 1 within float32 rounding: no warning
        z = np.random.default_rng(0).standard_normal((50, 7)).astype(np.float32)
        e = np.exp(z - z.max(1, keepdims=True))
        M.log_loss(np.arange(50) % 7, e / e.sum(1, keepdims=True))


@pytest.mark.parametrize("y, p, err, match", [
    ([0, 1], [0.5, 1.5], ValueError, r"probabilities in \[0, 1\].*sigmoid"),
    ([0, 1], [-0.1, 0.5], ValueError, r"probabilities in \[0, 1\]"),
    ([0, 1], [0.5, math.nan], ValueError, "NaN"),
    ([0, 1, 1], [0.5, 0.5], ValueError, "different numbers of samples: 3 and 2"),
    ([0, 0], [0.2, 0.3, 0.5], ValueError, "different numbers of samples"),
    (["a", "b", "c"], [[0.5, 0.5]] * 3, ValueError, "3 classes.*2 columns"),
    ([0, 7, 7], np.full((3, 3), 1 / 3), ValueError, "2 classes.*3 columns"),
    ([0, 1], np.ones((2, 2, 2)) / 4, ValueError, "shape"),
    ([0, 1], np.array(["a", "b"]), TypeError, "numeric"),
    ([0, 1], [[1.0], [0.0]], None, None),
])
def test_log_loss_bad_input(y, p, err, match):
    if err is None:
        assert math.isfinite(M.log_loss(y, p))
        return
    with pytest.raises(err, match=match):
        M.log_loss(y, p)
    with pytest.raises(ValueError, match="at least two classes|labels"):
        M.log_loss([1, 1], [0.2, 0.3], labels=[1])
    with pytest.raises(ValueError, match=r"not in labels"):
        M.log_loss([0, 2], [0.2, 0.3], labels=[0, 1])


# ---------------------------------------------------------------------------------------------
# regression vs scikit-learn
# ---------------------------------------------------------------------------------------------
SK_REG = {"mae": skm.mean_absolute_error, "r2": skm.r2_score}
if hasattr(skm, "root_mean_squared_error"):
    SK_REG["rmse"] = skm.root_mean_squared_error


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 40), k=st.sampled_from([None, 1, 3]),
       scale=st.sampled_from([1e-3, 1.0, 1e4]))
def test_regression_metrics_match_sklearn(seed, n, k, scale):
    rng = np.random.default_rng(seed)
    shape = (n,) if k is None else (n, k)
    y = rng.standard_normal(shape) * scale + 3.0
    p = y + rng.standard_normal(shape) * scale * rng.random()
    for name, sk in SK_REG.items():
        assert close(getattr(M, name)(y, p), float(sk(y, p))), name
        assert close(getattr(M, name)(ll.tensor(y), ll.tensor(p)), float(sk(y, p))), name


def test_regression_column_and_flat_count_as_the_same_shape():
    y = np.arange(5.0)
    p = y[::-1].copy()
    for name, sk in SK_REG.items():
        fn = getattr(M, name)
        assert fn(y, p[:, None]) == fn(y[:, None], p) == fn(y, p) == pytest.approx(float(sk(y, p)), rel=1e-12)
    assert M.mae(ll.tensor(y.astype(np.float32)), [4, 3, 2, 1, 0]) == pytest.approx(2.4, rel=1e-12)


def test_r2_edge_cases_match_sklearn():
    const = np.full(4, 2.0)
    assert M.r2(const, const) == 1.0 == skm.r2_score(const, const)
    assert M.r2(const, const + [0, 0, 0, 1e-8]) == 0.0 == skm.r2_score(const, const + [0, 0, 0, 1e-8])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(M.r2([1.0], [2.0])) and math.isnan(skm.r2_score([1.0], [2.0]))
    y = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    p = np.array([[1.0, 5.0], [2.5, 5.0], [2.0, 6.0]])
    assert close(M.r2(y, p), skm.r2_score(y, p))


@pytest.mark.parametrize("fn", ["mae", "rmse", "r2"])
@pytest.mark.parametrize("y, p, err, match", [
    (np.zeros(4), np.zeros(3), ValueError, r"same shape.*\(4,\) and \(3,\)"),
    (np.zeros((4, 2)), np.zeros((4, 1)), ValueError, "same shape"),
    (np.zeros((4, 2)), np.zeros(4), ValueError, "same shape"),
    (np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), ValueError, r"\(N,\) or \(N, k\)"),
    (np.zeros(0), np.zeros(0), ValueError, "empty"),
    (np.array([1.0, math.nan]), np.zeros(2), ValueError, "NaN"),
    (np.array(["a", "b"]), np.zeros(2), TypeError, "numeric"),
    (3.0, np.zeros(1), TypeError, "ndarray, an ll.Tensor or a list"),
])
def test_regression_bad_input(fn, y, p, err, match):
    with pytest.raises(err, match=match):
        getattr(M, fn)(y, p)


@pytest.mark.parametrize("fn", ["accuracy", "precision", "recall", "f1"])
@pytest.mark.parametrize("y, p, err, match", [
    ([0, 1, 1], [0, 1], ValueError, "different numbers of samples: 3 and 2"),
    (np.zeros(3, int), np.zeros((3, 4)), ValueError, r"shape \(N,\) or \(N, 1\).*argmax"),
    ([0, 1, 1], [0.2, 0.9, 0.7], ValueError, "non-integer.*threshold"),
    ([0, 1, math.nan], [0, 1, 1], ValueError, "NaN"),
    ([], [], ValueError, "empty"),
    (np.array([0, 1], dtype=object), [0, 1], TypeError, "dtype object"),
])
def test_label_metrics_bad_input(fn, y, p, err, match):
    with pytest.raises(err, match=match):
        getattr(M, fn)(y, p)


@pytest.mark.parametrize("fn", ["precision", "recall", "f1"])
def test_prf_bad_options(fn):
    f = getattr(M, fn)
    with pytest.raises(ValueError, match="average='binary' needs at most two classes.*macro"):
        f([0, 1, 2], [0, 1, 1])
    with pytest.raises(ValueError, match="pos_label=1 is not one of the labels"):
        f([3, 7], [3, 7])
    with pytest.raises(ValueError, match="average must be one of"):
        f([0, 1], [0, 1], average="samples")
    with pytest.raises(ValueError, match="zero_division must be 0, 1 or nan"):
        f([0, 1], [0, 1], zero_division="warn")
    with pytest.raises(ValueError, match="labels is empty"):
        f([0, 1], [0, 1], average="macro", labels=[])


# ---------------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------------
def test_registry_entries():
    assert list(M.METRICS) == ["accuracy", "precision", "recall", "f1", "log_loss", "mae", "rmse", "r2"]
    for name, info in M.METRICS.items():
        assert isinstance(info, M.MetricInfo) and info.fn is getattr(M, name)
        fn, task, gib, needs = info  # a plain tuple too: (fn, task, greater_is_better, needs)
        assert info[1] == task and info[2] == gib
        assert task in ("classification", "regression") and needs in ("labels", "probabilities", "values")
        assert (task == "regression") == (needs == "values")
    assert [n for n, i in M.METRICS.items() if i.greater_is_better] == ["accuracy", "precision", "recall", "f1", "r2"]


@pytest.mark.parametrize("name", list(M.METRICS))
def test_greater_is_better_agrees_with_a_good_and_a_bad_prediction(name):
    info = M.METRICS[name]
    if info.needs == "labels":
        y = np.array([0, 1, 1, 0, 1, 0])
        good, bad = y.copy(), np.array([1, 0, 1, 1, 0, 0])
    elif info.needs == "probabilities":
        y = np.array([0, 1, 1, 0])
        good, bad = np.array([0.1, 0.9, 0.8, 0.2]), np.array([0.6, 0.4, 0.5, 0.7])
    else:
        y = np.array([1.0, 2.0, 3.0, 4.0])
        good, bad = y + [0.1, -0.1, 0.1, -0.1], y[::-1].copy()
    g, b = info.fn(y, good), info.fn(y, bad)
    assert (g > b) if info.greater_is_better else (g < b)


# ---------------------------------------------------------------------------------------------
# evaluate from raw outputs
# ---------------------------------------------------------------------------------------------
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 40), column=st.booleans(), ycol=st.booleans(),
       tensor=st.booleans())
def test_evaluate_binary_matches_sklearn(seed, n, column, ycol, tensor):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(n) * 4
    y = rng.integers(0, 2, n)
    out = z[:, None] if column else z
    yy = y[:, None] if ycol else y
    res = M.evaluate("binary", ll.tensor(yy) if tensor else yy, ll.tensor(out) if tensor else out)
    assert list(res) == ["accuracy", "precision", "recall", "f1", "log_loss"]
    assert all(type(v) is float for v in res.values())
    prob = _sigmoid(z)
    lab = (prob >= 0.5).astype(int)
    assert close(res["accuracy"], skm.accuracy_score(y, lab))
    assert close(res["precision"], sk_quiet(skm.precision_score, y, lab, zero_division=0))
    assert close(res["recall"], sk_quiet(skm.recall_score, y, lab, zero_division=0))
    assert close(res["f1"], sk_quiet(skm.f1_score, y, lab, zero_division=0))
    # evaluate() takes the log-loss from the logits (softplus/log-softmax), sklearn from the
    # rounded probabilities: the two roundings differ by a few ulps of the sum
    np.testing.assert_allclose(res["log_loss"], sk_log_loss(y, prob, labels=[0, 1]), rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 40), c=st.integers(2, 6))
def test_evaluate_multiclass_matches_sklearn(seed, n, c):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, c)) * 3
    y = rng.integers(0, c, n)
    res = M.evaluate("multiclass", y, z)
    e = np.exp(z - z.max(1, keepdims=True))
    prob = e / e.sum(1, keepdims=True)
    lab = prob.argmax(1)
    assert close(res["accuracy"], skm.accuracy_score(y, lab))
    for name, sk in SK_PRF.items():
        assert close(res[name], sk_quiet(sk, y, lab, average="macro", zero_division=0)), name
    # evaluate() takes the log-loss from the logits (softplus/log-softmax), sklearn from the
    # rounded probabilities: the two roundings differ by a few ulps of the sum
    np.testing.assert_allclose(res["log_loss"], sk_log_loss(y, prob, labels=list(range(c))), rtol=1e-10)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 40), shape=st.sampled_from(["flat", "col", "mixed"]))
def test_evaluate_regression_matches_sklearn(seed, n, shape):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal(n)
    p = y + rng.standard_normal(n)
    yy, pp = {"flat": (y, p), "col": (y[:, None], p[:, None]), "mixed": (y, p[:, None])}[shape]
    res = M.evaluate("regression", yy, ll.tensor(pp))
    assert list(res) == ["mae", "rmse", "r2"]
    for name, sk in SK_REG.items():
        assert close(res[name], float(sk(y, p))), name


def test_evaluate_binary_threshold_and_extreme_logits_are_stable():
    y = np.array([1, 0, 1, 0, 1, 0])
    z = np.array([0.0, -0.0, 800.0, -800.0, -800.0, 800.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow anywhere
        res = M.evaluate("binary", y, z)
    # z = ±0 gives p = 0.5 -> label 1 (right for sample 0, wrong for sample 1); the two
    # confident mistakes cost their full logit
    assert res["accuracy"] == 0.5 and res["precision"] == pytest.approx(2 / 4)
    assert res["log_loss"] == pytest.approx((2 * math.log(2) + 800 + 800) / 6, rel=1e-12)
    assert math.isfinite(res["log_loss"])
    # against the composed form, written where it is accurate (log(1 - σ(z)) = log σ(-z): the
    # literal 1 - σ(z) cancels for large z, which is what the logit form avoids)
    zz = np.linspace(-30, 30, 61)
    yy = (np.arange(61) % 2)
    exact = np.mean(-(yy * np.log(_sigmoid(zz)) + (1 - yy) * np.log(_sigmoid(-zz))))
    assert M.evaluate("binary", yy, zz)["log_loss"] == pytest.approx(exact, rel=1e-12)


def test_evaluate_multiclass_extreme_logits_are_stable():
    scipy_special = pytest.importorskip("scipy.special")
    z = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4 + 1.0, 1e4], [3.0, 3.0, 3.0]])
    y = np.array([0, 2, 1])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        res = M.evaluate("multiclass", y, z)
    expected = -np.mean(scipy_special.log_softmax(z, axis=1)[np.arange(3), y])
    assert res["log_loss"] == pytest.approx(expected, rel=1e-12) and math.isfinite(res["log_loss"])
    assert res["accuracy"] == pytest.approx(1 / 3)  # ties go to the first class (argmax)


def test_stable_helpers_match_scipy():
    sp = pytest.importorskip("scipy.special")
    z = np.array([-1000.0, -50.0, -1.0, -1e-20, 0.0, 1e-20, 1.0, 50.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(M._sigmoid(z), sp.expit(z), rtol=1e-15, atol=0)
        np.testing.assert_allclose(M._softplus(z), np.logaddexp(0.0, z), rtol=1e-15, atol=0)
        zz = np.random.default_rng(0).standard_normal((5, 4)) * 500
        np.testing.assert_allclose(M._log_softmax(zz), sp.log_softmax(zz, axis=1), rtol=1e-13, atol=1e-12)


def test_evaluate_non_finite_output_gives_nan_metrics():
    res = M.evaluate("binary", [0, 1], [0.5, math.nan])
    assert set(res) == {"accuracy", "precision", "recall", "f1", "log_loss"} and all(math.isnan(v) for v in res.values())
    res = M.evaluate("multiclass", [0, 1], [[0.5, math.inf], [1.0, 2.0]])
    assert all(math.isnan(v) for v in res.values())
    res = M.evaluate("regression", [0.0, 1.0], [[0.5], [math.nan]])
    assert set(res) == {"mae", "rmse", "r2"} and all(math.isnan(v) for v in res.values())


@pytest.mark.parametrize("task, y, out, err, match", [
    ("binar", [0, 1], [0.0, 1.0], ValueError, "unknown task 'binar'.*did you mean 'binary'"),
    ("binary", [0, 1], np.zeros((2, 3)), ValueError, r"one logit per sample.*\(2, 3\).*multiclass"),
    ("binary", [0, 2], [0.0, 1.0], ValueError, "0 or 1"),
    ("binary", [0, 1, 1], [0.0, 1.0], ValueError, "3 samples but the output has 2"),
    ("binary", [0.5, 1], [0.0, 1.0], ValueError, "non-integer"),
    ("binary", [], np.zeros(0), ValueError, "empty"),
    ("multiclass", [0, 1], [0.0, 1.0], ValueError, r"C ≥ 2 logits.*\(2,\)"),
    ("multiclass", [0, 3], np.zeros((2, 3)), ValueError, "class indices 0 … 2"),
    ("multiclass", [0, -1], np.zeros((2, 3)), ValueError, "class indices"),
    ("multiclass", [0, 1], np.zeros((2, 1)), ValueError, "C ≥ 2"),
    ("regression", [0.0, 1.0], np.zeros((2, 2)), ValueError, "same shape"),
    ("regression", [0.0, 1.0, 2.0], np.zeros((2, 1)), ValueError, "same shape"),
    ("regression", [0.0, 1.0], np.array(["a", "b"]), TypeError, "numeric"),
    ("regression", [0.0, 1.0], "0.5", TypeError, "output must be an ndarray"),
])
def test_evaluate_bad_input(task, y, out, err, match):
    with pytest.raises(err, match=match):
        M.evaluate(task, y, out)


def test_docstring_examples():
    res = doctest.testmod(M, extraglobs={"ll": ll}, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
