"""Evaluation metrics for classification and regression, in NumPy, matching scikit-learn.

Label metrics (``accuracy``, ``precision``, ``recall``, ``f1``) take class labels; ``log_loss``
takes predicted probabilities; ``mae``, ``rmse`` and ``r2`` take real values. Every function
accepts NumPy arrays, ``ll.Tensor`` (its ``.data``, no gradient) or lists, computes in float64
and returns a Python float; each agrees with the scikit-learn function of the same meaning
(tested to 1e-12 on random inputs).

:data:`METRICS` maps each name to a :class:`MetricInfo` (function, task, whether greater is
better, and what it needs), and :func:`evaluate` computes every metric of a task from a model's
raw outputs (logits for classification), as the training loop reports them.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, Callable, NamedTuple

import numpy as np

from .autograd.tensor import Tensor

__all__ = [
    "accuracy", "precision", "recall", "f1", "log_loss", "mae", "rmse", "r2",
    "MetricInfo", "METRICS", "TASKS", "evaluate",
]

#: The tasks :func:`evaluate` knows.
TASKS = ("binary", "multiclass", "regression")
_AVERAGES = ("binary", "macro", "micro", "weighted", None)


# ---------------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------------
def _to_array(x: Any, name: str, fn: str) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (list, tuple)):
        try:
            return np.asarray(x)
        except ValueError as e:
            raise ValueError(f"{fn}: {name} is a ragged nested list ({e})") from None
    raise TypeError(f"{fn}: {name} must be an ndarray, an ll.Tensor or a list, got "
                    f"{type(x).__name__} ({x!r:.60})")


def _labels(x: Any, name: str, fn: str) -> np.ndarray:
    """A 1-D array of class labels; (N, 1) columns are flattened."""
    a = _to_array(x, name, fn)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        hint = ""
        if a.ndim == 2:
            hint = (f"; if these are per-class scores or probabilities, pass their argmax "
                    f"(labels = output.argmax(axis=1)), or use metrics.evaluate")
        raise ValueError(f"{fn}: {name} must be class labels of shape (N,) or (N, 1), got shape "
                         f"{a.shape}{hint}")
    if a.size == 0:
        raise ValueError(f"{fn}: {name} is empty; metrics need at least one sample")
    if a.dtype.kind not in "biufUS":
        raise TypeError(f"{fn}: {name} has dtype {a.dtype}; pass integer (or string) class labels")
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{fn}: {name} contains NaN or infinite values; labels must be finite")
        if np.any(a != np.round(a)):
            raise ValueError(
                f"{fn}: {name} contains non-integer values (e.g. {a[a != np.round(a)][0]!r}); "
                "class labels are expected — threshold probabilities (p >= 0.5) or take the argmax "
                "of scores first, or use a regression metric for continuous targets")
    return a


def _label_pair(y_true: Any, y_pred: Any, fn: str) -> tuple[np.ndarray, np.ndarray]:
    t = _labels(y_true, "y_true", fn)
    p = _labels(y_pred, "y_pred", fn)
    if t.shape[0] != p.shape[0]:
        raise ValueError(f"{fn}: y_true and y_pred have different numbers of samples: "
                         f"{t.shape[0]} and {p.shape[0]} (shapes {np.shape(_to_array(y_true, '', fn))}"
                         f" and {np.shape(_to_array(y_pred, '', fn))})")
    return t, p


def _values(x: Any, name: str, fn: str, finite: bool = True) -> np.ndarray:
    """Real values as float64, 1-D made a column: shape (N, k)."""
    a = _to_array(x, name, fn)
    if a.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: {name} must be numeric, got dtype {a.dtype}")
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{fn}: {name} must have shape (N,) or (N, k), got {a.shape}")
    if a.shape[0] == 0:
        raise ValueError(f"{fn}: {name} is empty; metrics need at least one sample")
    a = a.astype(np.float64, copy=False)
    if finite and not np.all(np.isfinite(a)):
        raise ValueError(f"{fn}: {name} contains NaN or infinite values")
    return a


def _value_pair(y_true: Any, y_pred: Any, fn: str,
                finite: bool = True) -> tuple[np.ndarray, np.ndarray]:
    t = _values(y_true, "y_true", fn, finite)
    p = _values(y_pred, "y_pred" if fn != "evaluate" else "output", fn, finite)
    if t.shape != p.shape:
        raise ValueError(f"{fn}: y_true and y_pred must have the same shape ((N,) and (N, 1) count "
                         f"as the same), got {np.shape(_to_array(y_true, '', fn))} and "
                         f"{np.shape(_to_array(y_pred, '', fn))}")
    return t, p


# ---------------------------------------------------------------------------------------------
# classification from labels
# ---------------------------------------------------------------------------------------------
def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose predicted label equals the true label.

    Formula::

        accuracy = (1/N) Σᵢ [ŷᵢ = yᵢ]

    Args:
        y_true: true class labels.
        y_pred: predicted class labels (not scores: take ``argmax`` or threshold first).

    Shape:
        y_true, y_pred: (N,) or (N, 1), the same N. Returns a float in [0, 1].

    Example:
        >>> from losslab.metrics import accuracy
        >>> accuracy([0, 1, 2, 2], [0, 2, 2, 2])
        0.75

    Note:
        Same as ``sklearn.metrics.accuracy_score`` (multiclass/binary labels).
    """
    t, p = _label_pair(y_true, y_pred, "accuracy")
    return float(np.mean(t == p))


def _check_zero_division(zero_division: Any, fn: str) -> float:
    if (isinstance(zero_division, bool) or not isinstance(zero_division, numbers.Real)
            or not (zero_division in (0, 1) or math.isnan(zero_division))):
        raise ValueError(f"{fn}: zero_division must be 0, 1 or nan, got {zero_division!r}")
    return float(zero_division)


def _divide(num: np.ndarray, den: np.ndarray, zero_division: float) -> np.ndarray:
    """num / den with ``zero_division`` where den == 0 (sklearn's _prf_divide, without warning)."""
    out = np.full(num.shape, zero_division, dtype=np.float64)
    ok = den != 0
    out[ok] = num[ok] / den[ok]
    return out


def _average(scores: np.ndarray, weights: np.ndarray | None) -> float:
    """Mean (weighted by support for 'weighted') ignoring NaN scores; all-zero weights -> plain
    mean (sklearn's _nanaverage)."""
    keep = ~np.isnan(scores)
    if scores.size == 0 or not keep.any():
        return math.nan
    s = scores[keep]
    if weights is not None:
        w = weights[keep].astype(np.float64)
        if w.sum() != 0:
            return float(np.sum(s * w) / np.sum(w))
    return float(np.mean(s))


def _prf(y_true, y_pred, *, average, pos_label, labels, zero_division, fn):
    """Per-label counts -> (precision, recall, f1), averaged as asked."""
    if average not in _AVERAGES:
        raise ValueError(f"{fn}: average must be one of 'binary', 'macro', 'micro', 'weighted' or "
                         f"None, got {average!r}")
    zd = _check_zero_division(zero_division, fn)
    t, p = _label_pair(y_true, y_pred, fn)
    present = np.unique(np.concatenate([t, p]))
    if average == "binary":
        if present.size > 2:
            raise ValueError(
                f"{fn}: average='binary' needs at most two classes, but the labels hold "
                f"{present.size}: {present.tolist()[:10]}; use average='macro', 'micro' or "
                "'weighted' for multiclass data")
        if present.size == 2 and pos_label not in present.tolist():
            raise ValueError(f"{fn}: pos_label={pos_label!r} is not one of the labels "
                             f"{present.tolist()}; pass pos_label=<the positive class>")
        use = np.asarray([pos_label])
    elif labels is not None:
        use = np.asarray(_to_array(labels, "labels", fn)).reshape(-1)
        if use.size == 0:
            raise ValueError(f"{fn}: labels is empty; pass the classes to score or None")
    else:
        use = present
    # counts per label, by broadcasting (N, K) comparisons
    t_is = t[:, None] == use[None, :]
    p_is = p[:, None] == use[None, :]
    tp = np.sum(t_is & p_is, axis=0).astype(np.float64)
    pred = np.sum(p_is, axis=0).astype(np.float64)
    true = np.sum(t_is, axis=0).astype(np.float64)
    if average == "micro":
        tp, pred, true = tp.sum(keepdims=True), pred.sum(keepdims=True), true.sum(keepdims=True)
    prec = _divide(tp, pred, zd)
    rec = _divide(tp, true, zd)
    f = _divide(2.0 * tp, true + pred, zd)  # F1 = 2TP / (2TP + FP + FN), defined when P or R is
    if average is None:
        return prec, rec, f
    w = true if average == "weighted" else None
    return _average(prec, w), _average(rec, w), _average(f, w)


_PRF_ARGS = """    Args:
        y_true: true class labels.
        y_pred: predicted class labels.
        average: ``'binary'`` (default: the score of class ``pos_label``; at most two classes),
            ``'macro'`` (unweighted mean over classes), ``'micro'`` (from the total counts),
            ``'weighted'`` (mean weighted by each class's support, the count in ``y_true``) or
            None (the per-class scores as an array, in sorted label order).
        pos_label: the positive class for ``average='binary'``.
        labels: the classes to score for the other averages (default: every label that
            appears in ``y_true`` or ``y_pred``, sorted); absent ones count as zero.
        zero_division: the score where a ratio is 0/0 (0, 1 or nan; nan scores are left out
            of the averages, as in scikit-learn).
"""
_PRF_NOTE = """    Note:
        Same as scikit-learn's function of the same name (≥ 1.3) with the same arguments,
        except that the "warn" setting of ``zero_division`` does not exist (it would give 0, the
        default here, plus a warning), and ``pos_label`` is ignored silently when ``average`` is
        not ``'binary'``. (N, 1) columns are accepted as (N,).
"""


def precision(y_true: Any, y_pred: Any, *, average: str | None = "binary", pos_label: Any = 1,
              labels: Any = None, zero_division: float = 0) -> float | np.ndarray:
    """Precision: of the samples predicted as a class, the fraction that truly are.

    Formula (per class c, then averaged)::

        precision_c = TP_c / (TP_c + FP_c)

    {args}

    Shape:
        y_true, y_pred: (N,) or (N, 1). Returns a float (an array of shape (K,) for
        ``average=None``).

    Example:
        >>> from losslab.metrics import precision
        >>> precision([0, 1, 1, 0], [1, 1, 1, 0])
        0.6666666666666666
        >>> round(precision([0, 1, 2, 2], [0, 2, 2, 1], average="macro"), 4)
        0.5

{note}"""
    return _prf(y_true, y_pred, average=average, pos_label=pos_label, labels=labels,
                zero_division=zero_division, fn="precision")[0]


def recall(y_true: Any, y_pred: Any, *, average: str | None = "binary", pos_label: Any = 1,
           labels: Any = None, zero_division: float = 0) -> float | np.ndarray:
    """Recall (sensitivity): of the samples of a class, the fraction predicted as it.

    Formula (per class c, then averaged)::

        recall_c = TP_c / (TP_c + FN_c)

    {args}

    Shape:
        y_true, y_pred: (N,) or (N, 1). Returns a float (an array of shape (K,) for
        ``average=None``).

    Example:
        >>> from losslab.metrics import recall
        >>> recall([0, 1, 1, 0], [1, 1, 0, 0])
        0.5

{note}"""
    return _prf(y_true, y_pred, average=average, pos_label=pos_label, labels=labels,
                zero_division=zero_division, fn="recall")[1]


def f1(y_true: Any, y_pred: Any, *, average: str | None = "binary", pos_label: Any = 1,
       labels: Any = None, zero_division: float = 0) -> float | np.ndarray:
    """F1 score: the harmonic mean of precision and recall.

    Formula (per class c, then averaged)::

        F1_c = 2 P_c R_c / (P_c + R_c) = 2 TP_c / (2 TP_c + FP_c + FN_c)

    {args}

    Shape:
        y_true, y_pred: (N,) or (N, 1). Returns a float (an array of shape (K,) for
        ``average=None``).

    Example:
        >>> from losslab.metrics import f1
        >>> round(f1([0, 1, 1, 0], [1, 1, 0, 0]), 4)
        0.5

{note}
        The per-class F1 is computed from counts (2TP / (2TP + FP + FN)), so it is 0 — not
        ``zero_division`` — when precision or recall alone is 0/0 but TP + FP + FN > 0
        (scikit-learn ≥ 1.3).
"""
    return _prf(y_true, y_pred, average=average, pos_label=pos_label, labels=labels,
                zero_division=zero_division, fn="f1")[2]


for _f in (precision, recall, f1):
    _f.__doc__ = _f.__doc__.replace("{args}", _PRF_ARGS.strip("\n").lstrip()).replace(
        "{note}", _PRF_NOTE.rstrip("\n"))
del _f


# ---------------------------------------------------------------------------------------------
# probabilities
# ---------------------------------------------------------------------------------------------
def log_loss(y_true: Any, y_prob: Any, *, labels: Any = None) -> float:
    """Log loss (cross-entropy) of predicted probabilities against the true labels.

    Formula::

        log_loss = −(1/N) Σᵢ log p̃ᵢ,yᵢ      p̃ = clip(p, ε, 1 − ε),  ε = 2.22e-16 (float64 eps)

    where p_{i,c} is the probability sample i gives to class c; for a 1-D ``y_prob`` (the
    probability of the positive class) the rows are [1 − pᵢ, pᵢ].

    Args:
        y_true: true class labels.
        y_prob: probabilities in [0, 1]: shape (N, C) (column c is the c-th class in sorted
            order), or (N,) / (N, 1) for two classes (the probability of the larger label).
        labels: the classes of the columns (default: the labels of ``y_true`` when they number
            C; otherwise, when ``y_true`` holds integer class indices in [0, C), 0 … C − 1).

    Shape:
        y_true: (N,) or (N, 1); y_prob: (N, C), (N,) or (N, 1). Returns a float ≥ 0.

    Example:
        >>> from losslab.metrics import log_loss
        >>> round(log_loss([0, 1, 1], [0.1, 0.8, 0.6]), 6)
        0.279777
        >>> round(log_loss([2, 0], [[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]), 6)
        0.524911

    Note:
        * Matches ``sklearn.metrics.log_loss`` of scikit-learn ≥ 1.5 (tested against the installed
          version): values outside [0, 1] raise, rows that do not sum to 1 (to √eps of the input's
          dtype) give a UserWarning and are used as they are (not renormalised), and
          probabilities are clipped to [ε, 1 − ε] with ε the float64 machine epsilon so that a
          confident mistake costs −log ε ≈ 36.04, not infinity. scikit-learn < 1.5 clipped with
          ε = 1e-15 (cost ≈ 34.5). losslab always computes in float64 (scikit-learn uses the
          input's float dtype, so its float32 results differ in the 7th digit).
        * Deviation: where scikit-learn raises because ``y_true`` lacks some of the C classes,
          losslab reads integer labels as class indices 0 … C − 1 (the convention of its
          classifiers), so a validation batch missing a class still scores.
        * :func:`evaluate` computes the log loss from logits instead (exact for any logit).
    """
    fn = "log_loss"
    t = _labels(y_true, "y_true", fn)
    pr = _to_array(y_prob, "y_prob", fn)
    if pr.dtype.kind not in "fiub":
        raise TypeError(f"{fn}: y_prob must be numeric probabilities, got dtype {pr.dtype}")
    tol_dtype = pr.dtype if pr.dtype.kind == "f" else np.dtype(np.float64)
    p = pr.astype(np.float64, copy=False)
    if p.ndim == 1:
        p = p[:, None]
    if p.ndim != 2:
        raise ValueError(f"{fn}: y_prob must have shape (N, C), (N,) or (N, 1), got {pr.shape}")
    if p.shape[0] != t.shape[0]:
        raise ValueError(f"{fn}: y_true and y_prob have different numbers of samples: "
                         f"{t.shape[0]} and {p.shape[0]} (y_prob shape {pr.shape})")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{fn}: y_prob contains NaN or infinite values")
    if p.max() > 1 or p.min() < 0:
        raise ValueError(
            f"{fn}: y_prob must hold probabilities in [0, 1], got values from {p.min()!r} to "
            f"{p.max()!r}; apply sigmoid (binary) or softmax (multiclass) to logits first, or use "
            "metrics.evaluate on the raw outputs")
    if p.shape[1] == 1:
        p = np.concatenate([1.0 - p, p], axis=1)
    n_cols = p.shape[1]
    if labels is not None:
        classes = np.unique(_to_array(labels, "labels", fn))
        missing = np.setdiff1d(np.unique(t), classes)
        if missing.size:
            raise ValueError(f"{fn}: y_true contains labels {missing.tolist()[:10]} that are not "
                             f"in labels={classes.tolist()[:10]}")
    else:
        classes = np.unique(t)
        if classes.size != n_cols:
            if t.dtype.kind in "iubf" and classes.min() >= 0 and classes.max() < n_cols:
                classes = np.arange(n_cols)
            else:
                raise ValueError(
                    f"{fn}: y_true holds {classes.size} classes {classes.tolist()[:10]} but y_prob "
                    f"has {n_cols} columns; pass labels=[...] naming the class of each column")
    if classes.size < 2:
        raise ValueError(f"{fn}: needs at least two classes, got labels {classes.tolist()}")
    if classes.size != n_cols:
        raise ValueError(f"{fn}: {classes.size} labels {classes.tolist()[:10]} but y_prob has "
                         f"{n_cols} columns")
    sums = p.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=math.sqrt(np.finfo(tol_dtype).eps), atol=0.0):
        warnings.warn(f"{fn}: the rows of y_prob do not sum to one (e.g. {sums[0]!r}); make sure "
                      "to pass probabilities", UserWarning, stacklevel=2)
    eps = np.finfo(np.float64).eps
    col = np.searchsorted(classes, t)
    picked = np.clip(p[np.arange(p.shape[0]), col], eps, 1.0 - eps)
    return float(-np.mean(np.log(picked)))


# ---------------------------------------------------------------------------------------------
# regression
# ---------------------------------------------------------------------------------------------
def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error.

    Formula::

        MAE = (1/N) Σᵢ |yᵢ − ŷᵢ|      (averaged over the k outputs for shape (N, k))

    Args:
        y_true: true values.
        y_pred: predicted values.

    Shape:
        y_true, y_pred: (N,), (N, 1) or (N, k), the same shape ((N,) and (N, 1) count as the
        same). Returns a float ≥ 0.

    Example:
        >>> from losslab.metrics import mae
        >>> mae([1.0, 2.0, 4.0], [1.5, 2.0, 3.0])
        0.5

    Note:
        ``sklearn.metrics.mean_absolute_error`` with ``multioutput='uniform_average'``.
    """
    t, p = _value_pair(y_true, y_pred, "mae")
    return float(np.mean(np.mean(np.abs(t - p), axis=0)))


def rmse(y_true: Any, y_pred: Any) -> float:
    """Root mean squared error.

    Formula::

        RMSE = √((1/N) Σᵢ (yᵢ − ŷᵢ)²)      (per output, then averaged over the k outputs)

    Args:
        y_true: true values.
        y_pred: predicted values.

    Shape:
        y_true, y_pred: (N,), (N, 1) or (N, k), the same shape. Returns a float ≥ 0.

    Example:
        >>> from losslab.metrics import rmse
        >>> rmse([0.0, 0.0], [3.0, 4.0]) == (12.5) ** 0.5
        True

    Note:
        ``sklearn.metrics.root_mean_squared_error`` (scikit-learn ≥ 1.4): with several outputs
        it is the mean of the per-output RMSEs, not the RMSE of all elements.
    """
    t, p = _value_pair(y_true, y_pred, "rmse")
    return float(np.mean(np.sqrt(np.mean((t - p) ** 2, axis=0))))


def r2(y_true: Any, y_pred: Any) -> float:
    """Coefficient of determination R²: the fraction of the variance of y explained.

    Formula::

        R² = 1 − Σᵢ (yᵢ − ŷᵢ)² / Σᵢ (yᵢ − ȳ)²      (per output, then averaged over the k outputs)

    Args:
        y_true: true values.
        y_pred: predicted values.

    Shape:
        y_true, y_pred: (N,), (N, 1) or (N, k), the same shape. Returns a float ≤ 1 (negative
        when worse than predicting the mean).

    Example:
        >>> from losslab.metrics import r2
        >>> r2([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
        1.0
        >>> r2([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
        0.0

    Note:
        ``sklearn.metrics.r2_score`` (``force_finite=True``): a constant ``y_true`` gives 1.0 for a
        perfect prediction and 0.0 otherwise (instead of nan / −inf); fewer than two samples give
        nan (scikit-learn also warns).
    """
    t, p = _value_pair(y_true, y_pred, "r2")
    if t.shape[0] < 2:
        return math.nan
    num = np.sum((t - p) ** 2, axis=0)
    den = np.sum((t - np.mean(t, axis=0)) ** 2, axis=0)
    scores = np.ones(t.shape[1])
    ok = (num != 0) & (den != 0)
    scores[ok] = 1.0 - num[ok] / den[ok]
    scores[(num != 0) & (den == 0)] = 0.0
    return float(np.mean(scores))


# ---------------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------------
class MetricInfo(NamedTuple):
    """A metric's entry in :data:`METRICS`.

    Args:
        fn: the function ``fn(y_true, y) -> float``.
        task: ``"classification"`` or ``"regression"``.
        greater_is_better: True for scores (accuracy, R²), False for errors and losses.
        needs: what ``y`` must be: ``"labels"`` (predicted classes), ``"probabilities"``
            (predicted class probabilities) or ``"values"`` (real predictions).

    Example:
        >>> from losslab.metrics import METRICS
        >>> METRICS["r2"].task, METRICS["r2"].greater_is_better, METRICS["log_loss"].needs
        ('regression', True, 'probabilities')
    """

    fn: Callable[..., float]
    task: str
    greater_is_better: bool
    needs: str


#: name -> MetricInfo(fn, task, greater_is_better, needs), in the order evaluate reports them.
METRICS: dict[str, MetricInfo] = {
    "accuracy": MetricInfo(accuracy, "classification", True, "labels"),
    "precision": MetricInfo(precision, "classification", True, "labels"),
    "recall": MetricInfo(recall, "classification", True, "labels"),
    "f1": MetricInfo(f1, "classification", True, "labels"),
    "log_loss": MetricInfo(log_loss, "classification", False, "probabilities"),
    "mae": MetricInfo(mae, "regression", False, "values"),
    "rmse": MetricInfo(rmse, "regression", False, "values"),
    "r2": MetricInfo(r2, "regression", True, "values"),
}


# ---------------------------------------------------------------------------------------------
# from raw model outputs
# ---------------------------------------------------------------------------------------------
def _sigmoid(z: np.ndarray) -> np.ndarray:
    # Two-branch logistic: e^{-|z|} never overflows (the naive 1/(1+e^{-z}) overflows for
    # z < -709); the same rewrite as scipy.special.expit and the engine's sigmoid.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(z: np.ndarray) -> np.ndarray:
    # log(1 + e^z) = max(z, 0) + log1p(e^{-|z|}): no overflow, no cancellation (Mächler,
    # "Accurately computing log(1 - exp(-|a|))", Rmpfr vignette, 2012, eq. (10)).
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _log_softmax(z: np.ndarray) -> np.ndarray:
    # Max-subtraction: log softmax(z) = (z - m) - log Σ e^{z - m}, m = max z, so exp never
    # overflows and the largest term is e^0 = 1 (Goodfellow, Bengio & Courville, *Deep
    # Learning*, 2016, §4.1).
    s = z - np.max(z, axis=1, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))


def _class_targets(y_true: Any, n: int, n_classes: int, task: str) -> np.ndarray:
    t = _labels(y_true, "y_true", "evaluate")
    if t.shape[0] != n:
        raise ValueError(f"evaluate: y_true has {t.shape[0]} samples but the output has {n}")
    if t.dtype.kind not in "biuf":
        raise TypeError(f"evaluate: y_true must hold integer class indices for task {task!r}, "
                        f"got dtype {t.dtype}")
    if t.min() < 0 or t.max() >= n_classes:
        want = "0 or 1" if task == "binary" else f"class indices 0 … {n_classes - 1}"
        raise ValueError(f"evaluate: task {task!r} needs y_true in {want}, got values from "
                         f"{t.min()!r} to {t.max()!r}")
    return t.astype(np.int64)


def evaluate(task: str, y_true: Any, output: Any) -> dict[str, float]:
    """Every metric of a task, computed from a model's raw outputs.

    Formula:
        * ``"binary"``: p = σ(z) from the logit z; predicted label = [p ≥ 0.5]; log loss
          = mean(softplus(z) − y z) (= −mean(y log p + (1 − y) log(1 − p))).
        * ``"multiclass"``: p = softmax(z) over the C logits; predicted label = argmax z;
          log loss = −mean(log_softmax(z)[i, yᵢ]); precision, recall and F1 macro-averaged.
        * ``"regression"``: the output is the prediction.

    Args:
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        y_true: targets: labels 0/1 (binary), class indices 0 … C − 1 (multiclass), or values.
        output: the model's output (ndarray or Tensor): logits for classification.

    Shape:
        binary: y_true (N,) or (N, 1), output (N,) or (N, 1);
        multiclass: y_true (N,) or (N, 1), output (N, C) with C ≥ 2;
        regression: y_true and output (N,), (N, 1) or (N, k), the same shape.

    Returns:
        ``{"accuracy", "precision", "recall", "f1", "log_loss"}`` for classification,
        ``{"mae", "rmse", "r2"}`` for regression; Python floats.

    Example:
        >>> import numpy as np
        >>> from losslab.metrics import evaluate
        >>> res = evaluate("binary", np.array([0, 1, 1, 0]), np.array([[-2.0], [3.0], [-0.5], [0.1]]))
        >>> res["accuracy"], res["precision"], res["recall"]
        (0.5, 0.5, 0.5)
        >>> evaluate("regression", np.array([1.0, 2.0, 3.0]), np.array([[1.0], [2.0], [4.0]]))["mae"]
        0.3333333333333333

    Note:
        * The log loss comes from the logits through softplus / log-softmax, so it is exact and
          finite for any finite logit. It equals ``log_loss(y_true, σ(z))`` (and scikit-learn's)
          wherever the probabilities are not clipped (|z| < 36 or so); beyond, scikit-learn's
          clipping caps a confident mistake at ≈ 36.04 while this keeps growing with |z|, like the
          training loss (BCE / cross-entropy with logits).
        * Multiclass macro averages run over the classes present in ``y_true`` or in the
          predictions (scikit-learn's default), not over all C.
        * An output with a NaN or infinite value (a diverged model) gives NaN for every metric
          instead of raising, so that a history can record it.
    """
    if task not in TASKS:
        import difflib
        close = difflib.get_close_matches(str(task), TASKS, n=1)
        raise ValueError(f"evaluate: unknown task {task!r}; expected one of {list(TASKS)}"
                         + (f" (did you mean {close[0]!r}?)" if close else ""))
    out = _to_array(output, "output", "evaluate")
    if out.dtype.kind not in "fiub":
        raise TypeError(f"evaluate: output must be numeric, got dtype {out.dtype}")
    if task == "regression":
        t, o = _value_pair(y_true, out, "evaluate", finite=False)
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(o))):
            return {k: math.nan for k in ("mae", "rmse", "r2")}
        return {"mae": mae(t, o), "rmse": rmse(t, o), "r2": r2(t, o)}

    names = ("accuracy", "precision", "recall", "f1", "log_loss")
    if task == "binary":
        if not (out.ndim == 1 or (out.ndim == 2 and out.shape[1] == 1)):
            hint = ("; for C ≥ 2 logits per sample use task='multiclass'"
                    if out.ndim == 2 else "")
            raise ValueError(f"evaluate: task 'binary' needs one logit per sample, output of shape "
                             f"(N,) or (N, 1), got {out.shape}{hint}")
        z = out.reshape(-1).astype(np.float64)
        if z.size == 0:
            raise ValueError("evaluate: the output is empty; metrics need at least one sample")
        t = _class_targets(y_true, z.shape[0], 2, task)
        if not np.all(np.isfinite(z)):
            return {k: math.nan for k in names}
        prob = _sigmoid(z)
        pred = (prob >= 0.5).astype(np.int64)
        ll_value = float(np.mean(_softplus(z) - t * z))
        average = "binary"
    else:
        if out.ndim != 2 or out.shape[1] < 2:
            raise ValueError(f"evaluate: task 'multiclass' needs C ≥ 2 logits per sample, output "
                             f"of shape (N, C), got {out.shape}")
        z = out.astype(np.float64)
        if z.shape[0] == 0:
            raise ValueError("evaluate: the output is empty; metrics need at least one sample")
        t = _class_targets(y_true, z.shape[0], z.shape[1], task)
        if not np.all(np.isfinite(z)):
            return {k: math.nan for k in names}
        pred = np.argmax(z, axis=1)
        ll_value = float(-np.mean(_log_softmax(z)[np.arange(z.shape[0]), t]))
        average = "macro"
    p_, r_, f_ = _prf(t, pred, average=average, pos_label=1, labels=None, zero_division=0,
                      fn="evaluate")
    return {"accuracy": float(np.mean(t == pred)), "precision": p_, "recall": r_, "f1": f_,
            "log_loss": ll_value}
