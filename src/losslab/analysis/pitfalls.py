"""``lint``: a pitfall linter for a model–loss pairing — it looks at one batch and says what is
wrong, why it matters and what to do.

``lint(model, loss_fn, x, y)`` runs one forward pass (and one backward pass) of a *copy* of the
model on the batch and checks the pairing against the loss's registry entry
(:class:`losslab.losses.LossInfo`: ``input_kind``, ``target_kind``, ``task``). Each problem is a
:class:`Finding` with a rule id, a severity, a message (what was seen, with numbers, and why it
matters) and a fix. ``fit(..., lint=True)`` runs it on the first training batch.

Rules (id — what fires it; thresholds are module constants):

* ``shape-mismatch`` — output and target shapes that the loss cannot pair (elementwise losses:
  shapes differ, e.g. (N, 1) vs (N,), which broadcasting turns into an N×N comparison; class
  losses: not (N, C) outputs with (N,) labels, or labels ≥ C).
* ``nonfinite-data`` — NaN/Inf in the inputs, targets or the model's output.
* ``bce-clamp`` (1) — probabilities given to ``binary_cross_entropy`` within
  :data:`BCE_CLAMP_EPS` = 1e-12 of 0 or 1 (exactly 0 or 1 included): the log is clamped at −100
  and the gradient's denominator p(1 − p) floored at 1e-12, so the loss is capped and the
  gradient through a sigmoid is ≈ 0.
* ``class-imbalance`` (2) — cross_entropy / nll_loss / binary_cross_entropy(_with_logits)
  without ``weight``/``pos_weight`` on labels whose largest/smallest class count ratio is
  ≥ :data:`IMBALANCE_RATIO` = 10.
* ``target-scale`` (3) — ``mse_loss`` on targets whose scale max(std, |mean|) is above
  :data:`TARGET_SCALE_HIGH` = 10 or below :data:`TARGET_SCALE_LOW` = 0.1.
* ``double-activation`` (4) — a softmax / sigmoid / log-softmax output (the model's last module
  is ``nn.Softmax``/``nn.Sigmoid``/``nn.LogSoftmax``, or every output row lies in [0, 1] and sums
  to 1) fed to a loss whose ``input_kind`` is ``"logits"`` or ``"scores"``.
* ``softmax-mse`` (5) — a regression loss on softmax/sigmoid outputs with integer-like (class
  label or one-hot) targets.
* ``probabilities-for-log-probabilities`` (6) — every input ≥ 0 given to a loss that expects
  log-probabilities (``kl_div``, ``js_divergence``, ``nll_loss``).
* ``label-encoding`` (7) — ±1 labels given to a {0, 1} loss, or {0, 1} labels to a ±1 loss.
* ``vanishing-gradients`` (8) — the first layer's gradient norm < :data:`VANISHING_RATIO` = 1e-4
  × the last layer's; ``saturated-activations``: > :data:`SATURATION_FRACTION` = 90 % of a
  Sigmoid/Tanh layer's activations saturated (derivative < 1 % of its maximum:
  σ(1 − σ) < 0.0025, 1 − tanh² < 0.01).
* ``exploding-gradients`` (9) — total gradient norm > :data:`EXPLODING_NORM` = 1e3, or first
  layer's norm > :data:`EXPLODING_RATIO` = 1e3 × the last layer's.
* ``learning-rate`` (10) — with ``optimizer`` or ``lr``: 3 trial steps on a deep copy of the model
  (on the same batch) and the loss increases at every step, becomes NaN/Inf, or ends above
  :data:`LR_OVERSHOOT` = 2 × where it started.

More rules: ``logits-for-probabilities`` (outputs outside [0, 1] given to a loss on
probabilities), ``unnormalized-log-probabilities`` (raw scores given to ``nll_loss``/``kl_div``:
the rows' logsumexp is not 0), ``dead-relu`` (> :data:`DEAD_RELU_FRACTION` = 50 % of a ReLU
layer's units output 0 for every sample of the batch), ``zero-gradient`` (every gradient is
exactly 0), ``loss-error`` (the loss raised on the batch).

Example:
    >>> import losslab as ll, losslab.nn as nn
    >>> from losslab.analysis.pitfalls import lint
    >>> _ = ll.manual_seed(0)
    >>> model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
    >>> x, y = ll.randn(16, 4), ll.randint(0, 3, (16,))
    >>> [f.rule for f in lint(model, "cross_entropy", x, y)]
    ['double-activation']
"""
from __future__ import annotations

import copy
import functools
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..autograd.tensor import Tensor

__all__ = ["lint", "Finding", "LossLabLintWarning", "RULES", "SEVERITIES", "format_findings", "warn_findings",
           "BCE_CLAMP_EPS", "IMBALANCE_RATIO", "TARGET_SCALE_HIGH", "TARGET_SCALE_LOW",
           "VANISHING_RATIO", "SATURATION_FRACTION", "EXPLODING_NORM", "EXPLODING_RATIO",
           "DEAD_RELU_FRACTION", "LR_TRIAL_STEPS", "LR_OVERSHOOT"]

#: Probabilities within this of 0 or 1 hit binary_cross_entropy's clamps (log ≥ −100 and
#: p(1 − p) ≥ 1e-12 in the gradient; e^{-100} ≈ 3.7e-44 < 1e-12).
BCE_CLAMP_EPS = 1e-12
#: Largest class count / smallest class count (among the classes present) that triggers
#: ``class-imbalance``.
IMBALANCE_RATIO = 10.0
#: ``target-scale`` fires when max(std(y), |mean(y)|) is above HIGH or below LOW.
TARGET_SCALE_HIGH = 10.0
TARGET_SCALE_LOW = 0.1
#: first-layer / last-layer gradient norm below which gradients vanish.
VANISHING_RATIO = 1e-4
#: fraction of a Sigmoid/Tanh layer's activations that are saturated.
SATURATION_FRACTION = 0.9
#: total gradient norm, and first/last layer ratio, above which gradients explode.
EXPLODING_NORM = 1e3
EXPLODING_RATIO = 1e3
#: fraction of a ReLU layer's units that are 0 on every sample of the batch.
DEAD_RELU_FRACTION = 0.5
#: trial optimizer steps of the ``learning-rate`` rule; it fires when the loss rises at every
#: step, becomes NaN/Inf, or ends above LR_OVERSHOOT × its starting value (adaptive optimizers
#: with too large a step oscillate rather than rise monotonically).
LR_TRIAL_STEPS = 3
LR_OVERSHOOT = 2.0

SEVERITIES = ("error", "warning", "info")

#: rule id -> one line saying what it catches.
RULES = {
    "shape-mismatch": "output and target shapes the loss cannot pair",
    "nonfinite-data": "NaN or Inf in the inputs, targets or model output",
    "bce-clamp": "probabilities at 0 or 1 where binary_cross_entropy's log(0) clamp is active",
    "class-imbalance": "imbalanced classes with an unweighted cross-entropy",
    "target-scale": "regression targets far from unit scale for MSE",
    "double-activation": "softmax/sigmoid output fed to a loss that applies its own (expects logits)",
    "softmax-mse": "classification trained with a regression loss on softmax/sigmoid outputs",
    "probabilities-for-log-probabilities": "probabilities given where log-probabilities are expected",
    "unnormalized-log-probabilities": "raw scores given where log-probabilities are expected",
    "logits-for-probabilities": "values outside [0, 1] given to a loss on probabilities",
    "label-encoding": "±1 labels to a {0, 1} loss, or {0, 1} labels to a ±1 loss",
    "vanishing-gradients": "the first layer's gradient is tiny compared with the last layer's",
    "saturated-activations": "most sigmoid/tanh activations saturated",
    "dead-relu": "most ReLU units output 0 on every sample",
    "zero-gradient": "every parameter gradient is exactly 0",
    "exploding-gradients": "very large gradient norm",
    "learning-rate": "the first optimizer steps increase the loss",
    "loss-error": "the loss raised on this batch",
}


class LossLabLintWarning(UserWarning):
    """The category of the warnings ``fit(..., lint=True)`` emits, one per finding (filter them
    with ``warnings.filterwarnings("ignore", category=LossLabLintWarning)``)."""


@dataclass(frozen=True)
class Finding:
    """One pitfall found by :func:`lint`.

    Attributes:
        rule: the rule id (a key of :data:`RULES`).
        severity: ``"error"`` (training will fail or learn the wrong thing), ``"warning"``
            (training will be slow or unstable), or ``"info"`` (harmless but redundant).
        message: what was seen (with numbers) and why it matters.
        fix: what to do.
        data: the measured numbers, by name.
    """

    rule: str
    severity: str
    message: str
    fix: str
    data: dict = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        return f"[{self.severity}] {self.rule}: {self.message} Fix: {self.fix}"


def format_findings(findings) -> str:
    """The findings as text, one paragraph each (``"no pitfalls found"`` when empty)."""
    if not findings:
        return "no pitfalls found"
    return "\n".join(str(f) for f in findings)


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------
def _arr(t) -> np.ndarray:
    return np.asarray(t.data if isinstance(t, Tensor) else t)


def _as_tensor(a) -> Tensor:
    if isinstance(a, Tensor):
        return a
    return Tensor(np.asarray(a))


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _last_leaf(model):
    """The last registered leaf module (the output layer of a Sequential), or None."""
    if not hasattr(model, "children"):
        return None
    m = model
    while True:
        kids = list(m.children())
        if not kids:
            return m
        m = kids[-1]


def _loss_kwargs(loss_fn) -> dict:
    """Keyword options set on the loss (a functools.partial's keywords, a module's attributes,
    a losslab.build.LossChoice's params)."""
    if isinstance(loss_fn, functools.partial):
        return dict(loss_fn.keywords or {})
    out = {}
    params = getattr(loss_fn, "params", None)
    if isinstance(params, dict):
        out.update(params)
    for k in ("weight", "pos_weight", "alpha"):
        v = getattr(loss_fn, k, None) if not isinstance(loss_fn, str) else None
        if v is not None and not callable(v):
            out[k] = v
    return out


def _is_pm1(info) -> bool:
    return "−1 or +1" in info.target_kind or "-1 or +1" in info.target_kind


def _is_zero_one(info) -> bool:
    tk = info.target_kind
    return (not _is_pm1(info)) and info.task in ("binary", "multilabel", "segmentation") and \
        ("[0, 1]" in tk or "{0, 1}" in tk)


def _softmax_like(o: np.ndarray, tol: float = 1e-4) -> bool:
    return o.ndim >= 2 and o.shape[1] >= 2 and o.size > 0 and o.min() >= 0 and o.max() <= 1 and \
        bool(np.all(np.abs(o.sum(axis=1) - 1.0) < tol))


def _log_softmax_like(o: np.ndarray, tol: float = 1e-4) -> bool:
    if not (o.ndim >= 2 and o.shape[1] >= 2 and o.size > 0 and o.max() <= 0):
        return False
    m = o.max(axis=1, keepdims=True)
    lse = np.log(np.exp(o - m).sum(axis=1)) + m[:, 0]
    return bool(np.all(np.abs(lse) < tol))


def _activation_kind(model, o: np.ndarray) -> tuple[str | None, str]:
    """("softmax" | "sigmoid" | "log_softmax" | None, how it was seen)."""
    from ..nn import LogSoftmax, Sigmoid, Softmax
    last = _last_leaf(model)
    if isinstance(last, Softmax) and o.size and o.min() >= 0 and o.max() <= 1:
        return "softmax", "the model's last module is nn.Softmax"
    if isinstance(last, LogSoftmax) and o.size and o.max() <= 0:
        return "log_softmax", "the model's last module is nn.LogSoftmax"
    if isinstance(last, Sigmoid) and o.size and o.min() >= 0 and o.max() <= 1:
        return "sigmoid", "the model's last module is nn.Sigmoid"
    if _softmax_like(o):
        return "softmax", "every output row lies in [0, 1] and sums to 1 along dim 1"
    if _log_softmax_like(o):
        return "log_softmax", "every output row is ≤ 0 with logsumexp 0 along dim 1"
    return None, ""


def _integer_like(y: np.ndarray) -> bool:
    if y.dtype.kind in "iub":
        return True
    return y.dtype.kind == "f" and y.size > 0 and bool(np.all(np.isfinite(y))) and \
        bool(np.all(y == np.round(y)))


# ------------------------------------------------------------------------------------------
# rules on the data, the output and the registry entry
# ------------------------------------------------------------------------------------------
def _check_shapes(info, name, kwargs, o, y) -> list:
    if o.ndim == 0:
        return []
    if y.ndim == 0 or y.shape[0] != o.shape[0]:
        return [Finding("shape-mismatch", "error",
                        f"the model's output has shape {o.shape} but the targets have shape {y.shape}: "
                        "the first dimension (the batch) must agree.",
                        "give one target per sample (check that x and y come from the same rows).",
                        {"output_shape": o.shape, "target_shape": y.shape})]
    if info is None or info.task in ("ranking", "sequence"):
        return []
    if info.task == "multiclass" and y.dtype.kind in "iub":
        if o.ndim != 2:
            return [Finding("shape-mismatch", "error",
                            f"{name} takes scores of shape (N, C) with class indices of shape (N,), "
                            f"but the output has shape {o.shape}.",
                            "end the model with Linear(..., C), one output per class.",
                            {"output_shape": o.shape, "target_shape": y.shape})]
        if y.ndim == 2 and y.shape[1] == 1:
            return [Finding("shape-mismatch", "error",
                            f"class indices of shape {y.shape} given to {name}; it takes shape (N,).",
                            "flatten the labels: y.reshape(-1).",
                            {"output_shape": o.shape, "target_shape": y.shape})]
        if y.ndim != 1:
            return [Finding("shape-mismatch", "error",
                            f"{name} takes class indices of shape (N,), got targets of shape {y.shape}.",
                            "give one integer label per sample, or float class probabilities of the "
                            "output's shape.", {"output_shape": o.shape, "target_shape": y.shape})]
        ignore = kwargs.get("ignore_index", -100)
        valid = y[y != ignore]
        k = int(valid.max()) + 1 if valid.size else 0
        if k > o.shape[1]:
            return [Finding("shape-mismatch", "error",
                            f"the model has {o.shape[1]} outputs but the labels go up to {k - 1} "
                            f"({k} classes); {name} would index past the last score.",
                            f"end the model with Linear(..., {k}).",
                            {"n_outputs": o.shape[1], "n_classes": k})]
        return []
    if info.task == "multiclass":  # float targets: class probabilities of the output's shape
        if y.shape != o.shape:
            return [Finding("shape-mismatch", "error",
                            f"{name} got float targets of shape {y.shape} for outputs of shape {o.shape}: "
                            "float targets are read as class probabilities and must have the output's "
                            "shape.", "give integer class indices (y.long(), shape (N,)) or one-hot / "
                            "soft labels of shape (N, C).",
                            {"output_shape": o.shape, "target_shape": y.shape})]
        return []
    if y.shape != o.shape:  # elementwise losses
        if y.size == o.size:
            fix = f"reshape the targets to the output's shape: y.reshape({', '.join(map(str, o.shape))})"
            why = ("broadcasting would compare every output with every target "
                   f"(a {o.shape[0]}×{o.shape[0]} grid) — the loss is then silently wrong"
                   if sorted([o.ndim, y.ndim]) == [1, 2] else "the loss compares them elementwise")
            return [Finding("shape-mismatch", "error",
                            f"the model's output has shape {o.shape} but the targets have shape {y.shape}; "
                            f"{why}.", fix + ".", {"output_shape": o.shape, "target_shape": y.shape})]
        cols = y.shape[1] if y.ndim > 1 else 1
        return [Finding("shape-mismatch", "error",
                        f"the model's output has shape {o.shape} but the targets have shape {y.shape}; "
                        f"{name} compares them elementwise.",
                        f"end the model with Linear(..., {cols}) to give one output per target.",
                        {"output_shape": o.shape, "target_shape": y.shape})]
    return []


def _check_data(info, name, kwargs, model, o, y) -> list:
    out = []
    if info is None:
        return out
    kind = info.input_kind
    act, how = _activation_kind(model, o)

    # (4) double activation
    if kind in ("logits", "scores") and act is not None and info.task in ("binary", "multiclass",
                                                                           "multilabel"):
        if act == "log_softmax" and info.task == "multiclass" and kind == "logits":
            out.append(Finding(
                "double-activation", "info",
                f"{how}, and {name} applies log_softmax itself. log_softmax is idempotent "
                "(log_softmax(log_softmax(z)) = log_softmax(z)), so the loss is unchanged — the "
                "layer is redundant.",
                "drop the LogSoftmax layer (or keep it and use nll_loss, which expects log-probabilities).",
                {"activation": act}))
        else:
            lo, hi = float(o.min()), float(o.max())
            if kind == "logits":
                own = "log_softmax" if info.task == "multiclass" else "a sigmoid"
                why = (f"{name} expects logits (raw scores) and applies {own} itself, so the outputs "
                       "are squashed a second time: "
                       f"the inputs it sees lie in [{_fmt(lo)}, {_fmt(hi)}], the predicted probabilities "
                       "can never approach 0 or 1, the loss cannot go to 0 and the gradients shrink "
                       "(each passes through the activation's derivative too).")
            else:
                why = (f"{name} expects unbounded scores (margins), but the inputs lie in "
                       f"[{_fmt(lo)}, {_fmt(hi)}]: a margin of 1 can never be reached, so the loss "
                       "never reaches 0 and the gradient passes through the activation's derivative.")
            fix = ("remove the final activation layer and feed the raw Linear output (logits) to "
                   f"{name}; apply {act} only at prediction time.")
            out.append(Finding("double-activation", "error", f"{how}. {why}", fix,
                               {"activation": act, "output_min": lo, "output_max": hi}))

    # (5) softmax + MSE for classification
    if info.task == "regression" and act in ("softmax", "sigmoid") and _integer_like(y):
        one_hot = y.ndim == 2 and y.shape == o.shape and set(np.unique(y).tolist()) <= {0, 1}
        what = "one-hot class vectors" if one_hot else f"integer-valued targets ({np.unique(y).size} distinct)"
        alt = ("cross_entropy (with class indices y.argmax(1))" if act == "softmax"
               else "binary_cross_entropy_with_logits")
        out.append(Finding(
            "softmax-mse", "error",
            f"{how}, the targets are {what}, and the loss is {name}, a regression loss: this is "
            f"classification trained with {name} on probabilities. Its gradient (p − y)·{act}'(z) "
            "carries the activation's derivative, which is ≈ 0 exactly when a prediction is "
            "confidently wrong, so the worst mistakes learn slowest; the loss is also not a "
            "likelihood for class labels.",
            f"drop the {act} layer and use {alt} on the logits.",
            {"activation": act}))

    # (6) probabilities where log-probabilities are expected; raw scores there
    if kind == "log-probabilities" and o.size and info.task in ("multiclass", "distribution"):
        if o.min() >= 0 and o.max() > 0:
            seen = how or f"every input is ≥ 0 (range [{_fmt(float(o.min()))}, {_fmt(float(o.max()))}])"
            out.append(Finding(
                "probabilities-for-log-probabilities", "error",
                f"{name} expects log-probabilities (≤ 0), but {seen}: these look like probabilities. "
                + ("kl_div computes Σ y·(log y − input), so probabilities in place of log p give a "
                   "meaningless value that is unbounded below (it decreases as the input grows)."
                   if name != "nll_loss" else
                   "nll_loss returns −input[y], so maximising a probability instead of its log gives "
                   "gradients that do not vanish at the optimum and no log-likelihood."),
                "feed log-probabilities: ll.log_softmax(logits, dim=1) (nn.LogSoftmax instead of "
                "nn.Softmax), or log(p) of the probabilities"
                + ("; or use cross_entropy on the logits." if name == "nll_loss" else "."),
                {"input_min": float(o.min()), "input_max": float(o.max())}))
        elif o.ndim >= 2 and o.shape[1] >= 2 and not _log_softmax_like(o, tol=1e-3):
            m = o.max(axis=1, keepdims=True)
            lse = np.log(np.exp(o - m).sum(axis=1)) + m[:, 0]
            worst = float(np.abs(lse).max())
            out.append(Finding(
                "unnormalized-log-probabilities", "error",
                f"{name} expects log-probabilities, but the inputs are not normalised: the rows' "
                f"logsumexp reaches {_fmt(worst)} (0 for log-probabilities). Raw scores make the loss "
                "linear in the input and unbounded below: it can decrease forever without fitting.",
                "apply ll.log_softmax(scores, dim=1) (end the model with nn.LogSoftmax(dim=1))"
                + (", or use cross_entropy on the raw scores." if name == "nll_loss" else "."),
                {"max_abs_logsumexp": worst}))

    # logits given to a loss on probabilities
    if kind == "probabilities" and o.size and (o.min() < 0 or o.max() > 1):
        alt = {"binary_cross_entropy": "binary_cross_entropy_with_logits",
               "binary_focal_loss": "sigmoid_focal_loss"}.get(name)
        out.append(Finding(
            "logits-for-probabilities", "error",
            f"{name} expects probabilities in [0, 1], but the model's outputs range over "
            f"[{_fmt(float(o.min()))}, {_fmt(float(o.max()))}]: these are logits (raw scores); the "
            "loss raises on them (or takes log of a negative number).",
            (f"use {alt}, which takes logits and is numerically stable" if alt else
             f"end the model with {info.output_activation.split(' (')[0]}") + ".",
            {"output_min": float(o.min()), "output_max": float(o.max())}))

    # (1) BCE clamp
    if name == "binary_cross_entropy" and o.size and o.min() >= 0 and o.max() <= 1:
        p = o.astype(np.float64)
        at = (p < BCE_CLAMP_EPS) | (1.0 - p < BCE_CLAMP_EPS)
        n = int(at.sum())
        if n:
            exact = int(((p == 0) | (p == 1)).sum())
            out.append(Finding(
                "bce-clamp", "warning",
                f"{n} of {p.size} probabilities given to binary_cross_entropy are within "
                f"{BCE_CLAMP_EPS:g} of 0 or 1 ({exact} exactly 0 or 1). There log(p) is log(0) = −inf, "
                "which the loss clamps at −100 (a wrong label costs 100, not ∞), and the gradient "
                "(p − y)/p(1 − p) has its denominator floored at 1e-12; through a sigmoid the chain "
                "rule multiplies by p(1 − p) ≈ 0, so these samples stop learning.",
                "output logits (drop the Sigmoid) and use binary_cross_entropy_with_logits, which "
                "computes log σ(z) stably (log-sum-exp); if probabilities must be used, clamp them "
                "to [1e-7, 1 − 1e-7] first.",
                {"n_clamped": n, "n_exact": exact, "n": int(p.size)}))

    # (7) label encoding
    if y.size and info.task in ("binary", "multilabel", "segmentation") and np.all(np.isfinite(y)):
        vals = set(np.unique(y).tolist())
        if _is_zero_one(info) and -1 in vals and vals <= {-1, 1, -1.0, 1.0}:
            out.append(Finding(
                "label-encoding", "error",
                f"the labels are −1/+1 but {name} takes {{0, 1}} labels (probabilities): a target "
                "of −1 is not a probability, so the loss raises or rewards the wrong side.",
                "map the labels with (y + 1) / 2.", {"labels": sorted(vals)}))
        elif _is_pm1(info) and 0 in vals and vals <= {0, 1}:
            out.append(Finding(
                "label-encoding", "error",
                f"the labels are 0/1 but {name} takes −1/+1 labels (margins y·s): a 0 label makes "
                "every margin 0, so the negative class contributes a constant and is never learned.",
                "map the labels with 2 * y - 1.", {"labels": sorted(vals)}))

    # (2) class imbalance with a plain cross-entropy
    weighted = any(kwargs.get(k) is not None for k in ("weight", "pos_weight"))
    if name in ("cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits") \
            and not weighted and y.size and _integer_like(y) and \
            (info.task == "binary" or y.ndim == 1):
        ignore = kwargs.get("ignore_index", -100)
        labels = y.ravel().astype(np.int64)
        labels = labels[(labels != ignore) & (labels >= 0)]
        if labels.size:
            classes, counts = np.unique(labels, return_counts=True)
            if classes.size >= 2:
                ratio = counts.max() / counts.min()
                if ratio >= IMBALANCE_RATIO:
                    n = labels.size
                    w = n / (classes.size * counts)
                    cm = ", ".join(f"{int(c)}: {int(k)}" for c, k in zip(classes, counts))
                    ws = "[" + ", ".join(f"{v:.3g}" for v in w) + "]"
                    if info.task == "binary":
                        npos = int(counts[classes == 1].sum()) or 1
                        fix = (f"pass pos_weight={(n - npos) / npos:.3g} (negatives/positives) to "
                               "binary_cross_entropy_with_logits, or use sigmoid_focal_loss; or "
                               "resample the classes.")
                    else:
                        fix = (f"pass weight=ll.tensor({ws}) (N / (C·count), the 'balanced' weights) to "
                               f"{name}, or use focal_loss; or resample the classes.")
                    out.append(Finding(
                        "class-imbalance", "warning",
                        f"the class counts are {{{cm}}} (largest/smallest = {ratio:.3g} ≥ "
                        f"{IMBALANCE_RATIO:g}) and {name} has no class weights: the majority class "
                        f"supplies {counts.max() / n:.0%} of the gradient, so predicting it for every "
                        f"sample already scores {counts.max() / n:.0%} accuracy and the minority is "
                        "learned slowly or not at all.", fix,
                        {"counts": {int(c): int(k) for c, k in zip(classes, counts)}, "ratio": float(ratio)}))

    # (3) target scale for MSE
    if name == "mse_loss" and y.size and y.dtype.kind == "f" and np.all(np.isfinite(y)):
        mean, std = float(y.mean()), float(y.std())
        scale = max(std, abs(mean))
        if scale > TARGET_SCALE_HIGH or scale < TARGET_SCALE_LOW:
            big = scale > TARGET_SCALE_HIGH
            why = (f"MSE's gradient 2(ŷ − y) grows with the targets: at initialisation the outputs "
                   f"are O(1), so the first losses are ≈ mean² + std² ≈ {_fmt(mean ** 2 + std ** 2)} and "
                   "a learning rate tuned for unit-scale targets overshoots (or the bias has to crawl "
                   "to the mean)" if big else
                   f"the loss and its gradient 2(ŷ − y) are tiny (≈ {_fmt(mean ** 2 + std ** 2)}), so "
                   "training crawls and the loss looks converged long before the fit is good")
            out.append(Finding(
                "target-scale", "warning",
                f"the regression targets have mean {_fmt(mean)} and std {_fmt(std)} (scale "
                f"{_fmt(scale)} {'>' if big else '<'} {TARGET_SCALE_HIGH if big else TARGET_SCALE_LOW:g}); {why}.",
                f"standardise the targets: y' = (y − {_fmt(mean)}) / {_fmt(std if std > 0 else 1.0)}, "
                "train on y', and map predictions back with ŷ·std + mean.",
                {"mean": mean, "std": std}))
    return out


# ------------------------------------------------------------------------------------------
# rules on gradients and the optimizer
# ------------------------------------------------------------------------------------------
def _param_layers(model) -> list:
    """[(name, module)] of the modules that own parameters directly, in registration order."""
    layers = []
    for mname, m in model.named_modules():
        if list(m.parameters(recurse=False)):
            layers.append((mname or type(m).__name__, m))
    return layers


def _grad_norm(ps) -> float:
    s = 0.0
    for p in ps:
        if p.grad is not None:
            a = _arr(p.grad).astype(np.float64).ravel()
            s += float(np.dot(a, a))
    return math.sqrt(s)


def _check_gradients(work, fn, x, yt) -> tuple[list, float | None]:
    """Forward with activation hooks, backward, and the gradient rules. Returns (findings, loss)."""
    from ..nn import ReLU, Sigmoid, Tanh
    out = []
    acts: list = []
    handles = []
    for mname, m in work.named_modules():
        if isinstance(m, (Sigmoid, Tanh, ReLU)):
            def hook(mod, args, result, _name=mname):
                acts.append((_name, mod, _arr(result)))
            handles.append(m.register_forward_hook(hook))
    try:
        work.zero_grad()
        o = work(x)
        loss = fn(o, yt)
    finally:
        for h in handles:
            h.remove()
    if not isinstance(loss, Tensor) or loss.data.size != 1:
        return out, None
    lv = float(loss.data)
    for name, mod, a in acts:
        if a.size == 0:
            continue
        a = a.astype(np.float64)
        if isinstance(mod, Sigmoid):
            sat = a * (1 - a) < 0.0025
            kind = "sigmoid"
        elif isinstance(mod, Tanh):
            sat = 1 - a * a < 0.01
            kind = "tanh"
        else:
            if a.ndim >= 2 and a.shape[0] >= 2:
                dead = np.all(a.reshape(a.shape[0], -1) <= 0, axis=0)
                frac = float(dead.mean())
                if frac > DEAD_RELU_FRACTION:
                    out.append(Finding(
                        "dead-relu", "warning",
                        f"{frac:.0%} of the units of ReLU layer '{name}' output 0 for all {a.shape[0]} "
                        "samples of the batch: their gradient is 0, so they (and the weights feeding "
                        "them) do not learn.",
                        "lower the learning rate, use He (kaiming) initialisation and a small positive "
                        "bias, standardise the inputs, or use LeakyReLU/ELU/GELU.",
                        {"layer": name, "dead_fraction": frac}))
            continue
        frac = float(sat.mean())
        if frac > SATURATION_FRACTION:
            out.append(Finding(
                "saturated-activations", "warning",
                f"{frac:.0%} of the activations of {kind} layer '{name}' are saturated (derivative "
                f"< 1% of its maximum; mean |output| {float(np.abs(a).mean()):.3g}): the gradient "
                "through them is multiplied by ≈ 0, so the layers below stop learning.",
                "standardise the inputs, use Xavier/Glorot initialisation (smaller weights), or "
                "switch the hidden activation to ReLU/GELU.",
                {"layer": name, "saturated_fraction": frac}))
    if not math.isfinite(lv):
        return out, lv
    if not loss.requires_grad:
        return out, lv
    loss.backward()
    layers = _param_layers(work)
    norms = [(n, _grad_norm(m.parameters(recurse=False))) for n, m in layers]
    total = _grad_norm(work.parameters())
    if norms and total == 0.0:
        out.append(Finding(
            "zero-gradient", "warning",
            f"every parameter gradient is exactly 0 on this batch (loss {_fmt(lv)}): nothing will move.",
            "check for dead ReLUs, a detached or non-differentiable step (argmax, rounding, "
            "comparisons) between the parameters and the loss, or a loss already at a flat minimum.",
            {"loss": lv}))
        return out, lv
    if not math.isfinite(total):
        out.append(Finding(
            "exploding-gradients", "error",
            f"the gradient norm is {total} on the first batch (loss {_fmt(lv)}).",
            "standardise the inputs and targets, lower the learning rate, and clip: "
            "fit(..., clip_grad_norm=1.0) or nn.utils.clip_grad_norm_(params, 1.0).",
            {"total_norm": total}))
        return out, lv
    if len(norms) >= 2:
        (fname, first), (lname, last) = norms[0], norms[-1]
        table = ", ".join(f"{n}: {g:.3g}" for n, g in norms)
        if last > 0 and first < VANISHING_RATIO * last:
            out.append(Finding(
                "vanishing-gradients", "warning",
                f"the first layer's gradient norm ({fname}: {first:.3g}) is {first / last:.2g}× the last "
                f"layer's ({lname}: {last:.3g}), below {VANISHING_RATIO:g}: per layer {{{table}}}. "
                "The early layers will barely learn — typical of saturating activations (sigmoid/tanh) "
                "stacked deep, of dead ReLUs, or of a loss whose gradient is multiplied by a "
                "saturated output.",
                "use ReLU/GELU hidden activations with He initialisation, normalise the inputs, "
                "add residual connections or normalisation layers, or a loss on logits.",
                {"first": first, "last": last, "norms": dict(norms)}))
        if total > EXPLODING_NORM or (last > 0 and first > EXPLODING_RATIO * last):
            out.append(Finding(
                "exploding-gradients", "warning",
                f"the total gradient norm is {total:.3g} (threshold {EXPLODING_NORM:g}); first/last "
                f"layer ratio {first / last if last > 0 else math.inf:.3g}: per layer {{{table}}}. "
                "One step of size lr·‖g‖ can throw the weights far off and make the loss NaN.",
                "clip the gradient norm: fit(..., clip_grad_norm=1.0) or nn.utils.clip_grad_norm_("
                "params, 1.0); also standardise inputs and targets, lower the learning rate, and "
                "use a variance-preserving initialisation.",
                {"total_norm": total, "first": first, "last": last, "norms": dict(norms)}))
    elif total > EXPLODING_NORM:
        out.append(Finding(
            "exploding-gradients", "warning",
            f"the total gradient norm is {total:.3g} (threshold {EXPLODING_NORM:g}). One step of size "
            "lr·‖g‖ can throw the weights far off and make the loss NaN.",
            "clip: fit(..., clip_grad_norm=1.0); standardise inputs and targets; lower the learning rate.",
            {"total_norm": total}))
    return out, lv


def _trial_optimizer(model, work, optimizer, lr):
    from ..optim import SGD
    wparams = list(work.parameters())
    if optimizer is None:
        return SGD(wparams, lr=float(lr)), float(lr)
    index = {id(p): i for i, p in enumerate(model.parameters())}
    groups = []
    for g in optimizer.param_groups:
        ps = [wparams[index[id(p)]] for p in g["params"] if id(p) in index]
        if not ps:
            continue
        opts = {k: v for k, v in g.items() if k not in ("params", "param_names")}
        if lr is not None:
            opts["lr"] = float(lr)
        groups.append({"params": ps, **opts})
    opt = type(optimizer)(groups, **{k: v for k, v in optimizer.defaults.items()
                                     if k != "lr" or lr is None})
    if lr is None and len(groups) == len(optimizer.param_groups):
        try:  # continue from the optimizer's own state (momentum, Adam moments)
            opt.load_state_dict(optimizer.state_dict())
        except (ValueError, TypeError, KeyError):
            pass
    return opt, float(opt.param_groups[0]["lr"])


def _check_lr(model, fn, x, yt, optimizer, lr) -> list:
    from ..autograd import no_grad
    work = copy.deepcopy(model)
    opt, lr0 = _trial_optimizer(model, work, optimizer, lr)
    with no_grad():
        losses = [float(fn(work(x), yt).data)]
    left_domain = None
    for _ in range(LR_TRIAL_STEPS):
        opt.zero_grad()
        loss = fn(work(x), yt)
        loss.backward()
        opt.step()
        with no_grad():
            o = work(x)
            try:
                v = float(fn(o, yt).data) if np.all(np.isfinite(o.data)) else math.nan
            except (ValueError, TypeError) as e:  # the step left the loss's domain (e.g. p ∉ [0, 1])
                left_domain, v = str(e), math.nan
        losses.append(v)
        if not math.isfinite(v):
            break
    shown = " → ".join(_fmt(v) for v in losses)
    name = type(opt).__name__
    diverged = not all(math.isfinite(v) for v in losses)
    rising = all(b > a for a, b in zip(losses, losses[1:])) and len(losses) == LR_TRIAL_STEPS + 1
    overshoot = not diverged and losses[-1] > LR_OVERSHOOT * losses[0] and losses[0] > 0
    if diverged or rising or overshoot:
        seen = (f"stopped being defined: the outputs left the loss's domain ({left_domain})" if left_domain else
                "became NaN/Inf" if diverged else "increases at every step" if rising else
                f"ends {losses[-1] / losses[0]:.3g}× higher than it started")
        return [Finding(
            "learning-rate", "error" if diverged else "warning",
            f"{LR_TRIAL_STEPS} trial steps of {name}(lr={lr0:g}) on this batch (on a copy of the model) "
            f"give losses {shown}: the loss {seen}. "
            "The steps overshoot the minimum along the steepest directions, so training diverges.",
            f"lower the learning rate (try lr={lr0 / 10:g}, then {lr0 / 100:g}), or find it with a "
            "learning-rate range test; warm-up and gradient clipping (clip_grad_norm=1.0) also help.",
            {"losses": losses, "lr": lr0, "optimizer": name})]
    return []


# ------------------------------------------------------------------------------------------
# lint
# ------------------------------------------------------------------------------------------
def lint(model, loss_fn, x, y, *, optimizer=None, lr: float | None = None) -> list:
    r"""Check a model–loss pairing on one batch for common pitfalls; return the findings.

    Runs the model (a deep copy: the model, its gradients and the global RNG are left as they
    were) on ``x``, checks the output and ``y`` against the loss's registry entry, does one
    backward pass for the per-layer gradient norms, and — when ``optimizer`` or ``lr`` is given —
    takes :data:`LR_TRIAL_STEPS` trial steps on another copy. Rules, thresholds and ids: see the
    module docstring and :data:`RULES`.

    Formula (the gradient rules): per layer ℓ (a module owning parameters) gₗ = ‖∇_{θₗ} L‖₂;
    vanishing when g_first < 1e-4·g_last, exploding when ‖∇_θ L‖₂ > 1e3 or g_first > 1e3·g_last.

    Args:
        model: a ``losslab.nn.Module`` (a plain callable gets the data and output rules only).
        loss_fn: a registry name (``"cross_entropy"``), a loss function, a ``functools.partial``
            of one, a loss module (``L.CrossEntropyLoss(weight=w)``), or any callable
            ``(output, target) -> scalar`` (then only the rules that need no registry entry run).
        x: the input batch (Tensor or array).
        y: the targets as the loss receives them (Tensor or array).
        optimizer: a ``losslab.optim`` optimizer over ``model``'s parameters: the
            ``learning-rate`` rule tries a fresh one of the same class and hyperparameters (and
            its current state) on a copy of the model.
        lr: a learning rate to try (overrides the optimizer's; plain SGD when no optimizer).

    Returns:
        a list of :class:`Finding`, errors first (empty when nothing was found).

    Shape:
        x: what the model takes; y: what the loss takes for the model's output.

    Example:
        >>> import losslab as ll, losslab.nn as nn
        >>> from losslab.analysis.pitfalls import lint
        >>> _ = ll.manual_seed(0)
        >>> model = nn.Linear(3, 1)
        >>> x = ll.randn(32, 3); y = ll.randn(32, 1) * 1000.0
        >>> findings = lint(model, "mse_loss", x, y, lr=2.0)  # too large a step for this data
        >>> [f.rule for f in findings]
        ['target-scale', 'learning-rate']
        >>> findings[0].fix.startswith("standardise the targets")
        True

    Note:
        The checks see one batch: class counts and saturation are estimates from it. Outputs of a
        ``losslab.build.LossChoice`` (which applies the paired activation itself) are checked only
        by the rules that need no registry entry. Nothing here raises for a bad pairing — the
        loss's own error becomes a ``loss-error`` finding.
    """
    from ..autograd import no_grad
    from ..random import generator
    from ..train.fit import resolve_loss

    if not callable(model):
        raise TypeError(f"lint: model must be a callable (a losslab.nn.Module), got {type(model).__name__}")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float, np.number))
                           or not (lr > 0) or not math.isfinite(lr)):
        raise ValueError(f"lint: lr must be a positive number, got {lr!r}")
    if optimizer is not None and not (hasattr(optimizer, "param_groups") and hasattr(optimizer, "step")):
        raise TypeError(f"lint: optimizer must be a losslab.optim optimizer, got {type(optimizer).__name__}")
    try:
        fn, info, name = resolve_loss(loss_fn)
    except ValueError as e:
        raise ValueError(str(e).replace("fit: loss_fn:", "lint: loss_fn:")) from None
    except TypeError as e:
        raise TypeError(str(e).replace("fit:", "lint:")) from None
    kwargs = _loss_kwargs(loss_fn)
    xt = _as_tensor(x)
    yt = _as_tensor(y)
    ya = _arr(yt)
    xa = _arr(xt)
    is_module = all(hasattr(model, m) for m in ("parameters", "named_modules", "zero_grad"))

    gen = generator()  # restored in place: holders of the generator keep the same object
    rng = gen.bit_generator.state
    findings: list = []
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            work = copy.deepcopy(model) if is_module else model
            with no_grad():
                o_t = work(xt)
            if not isinstance(o_t, Tensor):
                raise TypeError(f"lint: the model must return a Tensor, got {type(o_t).__name__}")
            o = _arr(o_t)
            adapt = getattr(loss_fn, "adapt_target", None)  # a losslab.build.LossChoice
            if callable(adapt):  # it reshapes / relabels the targets itself: check what the loss
                ya = _arr(adapt(o_t, yt))  # sees (the loss itself still gets the data's targets)
            bad = [w for w, a in (("inputs x", xa), ("targets y", ya), ("model output", o))
                   if a.dtype.kind in "fc" and not np.all(np.isfinite(a))]
            if bad:
                findings.append(Finding(
                    "nonfinite-data", "error",
                    f"NaN or Inf in the {', '.join(bad)}: the loss and every gradient become NaN.",
                    "drop or impute the missing values (and check the preprocessing for divisions "
                    "by zero and logs of non-positive numbers).", {"where": bad}))
                return findings
            shape = _check_shapes(info, name, kwargs, o, ya)
            findings += shape
            findings += _check_data(info, name, kwargs, model, o, ya)
            if not shape and is_module:
                try:
                    grads, lv = _check_gradients(work, fn, xt, yt)
                except (ValueError, TypeError, IndexError) as e:
                    grads, lv = [], None
                    if not any(f.severity == "error" for f in findings):  # else already explained
                        findings.append(Finding(
                            "loss-error", "error", f"{name} raised on this batch: {e}",
                            "the loss's message says what it expected: fix the output or the targets.",
                            {"exception": type(e).__name__}))
                findings += grads
                if lv is not None and math.isfinite(lv) and (optimizer is not None or lr is not None):
                    findings += _check_lr(model, fn, xt, yt, optimizer, lr)
    finally:
        gen.bit_generator.state = rng
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: order.get(f.severity, 9))


def warn_findings(findings, *, stacklevel: int = 2, min_severity: str = "warning") -> None:
    """Emit each finding at ``min_severity`` or above as a :class:`LossLabLintWarning`."""
    order = {s: i for i, s in enumerate(SEVERITIES)}
    for f in findings:
        if order.get(f.severity, 9) <= order[min_severity]:
            warnings.warn(str(f), LossLabLintWarning, stacklevel=stacklevel + 1)

