"""``LOSS_REGISTRY``: the one list of losses, with what a user (or a tool) needs to know about each.

Every loss is enrolled here with a :class:`LossInfo`. The test suite, the advisor, the docs and
the explorer read this list, so enrolling a loss here is what puts it through the generic tests
(value and gradient against PyTorch, gradcheck, minimum at a perfect prediction, finiteness at
extreme inputs, metadata completeness).

To add a loss: write ``f(input, target, ..., reduction="mean")`` in its module, a thin class in
``modules.py``, and a ``register(LossInfo(...))`` call below with a ``make_example`` that draws
a valid (input, target, kwargs).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, fields
from typing import Any, Callable, Mapping

import numpy as np

from ..autograd.tensor import Tensor
from . import modules as M
from .classification import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, nll_loss
from .regression import mse_loss

__all__ = [
    "LossInfo", "LOSS_REGISTRY", "register", "get", "available",
    "TASKS", "INPUT_KINDS", "SMOOTHNESS", "ROBUSTNESS",
]

#: What a loss is for.
TASKS = ("regression", "binary", "multiclass", "multilabel", "distribution", "ranking",
         "segmentation", "sequence")
#: What the loss expects as its first argument.
INPUT_KINDS = ("real", "logits", "probabilities", "log-probabilities", "scores", "embeddings",
               "log-rates", "rates", "distances")
#: C0: continuous with kinks; C1: continuous gradient; Cinf: smooth.
SMOOTHNESS = ("C0", "C1", "Cinf")
#: True: bounded loss (an outlier's pull is capped); "partial": linear growth, bounded gradient;
#: False: super-linear growth or unbounded gradient (an outlier can dominate).
ROBUSTNESS = (True, False, "partial")


@dataclass(frozen=True)
class LossInfo:
    """Metadata of one loss. Every field must be filled (``torch_equivalent`` and
    ``make_perfect`` may be None where no such thing exists).

    Attributes:
        name: the function's name, e.g. ``"mse_loss"``; the registry key.
        fn: the function ``fn(input, target, **kwargs)``.
        module: the thin class (``MSELoss``).
        task: one of :data:`TASKS`.
        input_kind: one of :data:`INPUT_KINDS` (what ``input`` must hold).
        target_kind: what ``target`` must hold, in words.
        output_activation: the activation of the model's last layer that the loss pairs with
            ("identity" when the loss takes raw outputs, logits included).
        convex: convex in the prediction (in the logit for logit losses).
        smoothness: one of :data:`SMOOTHNESS`.
        robust_to_outliers: one of :data:`ROBUSTNESS`.
        domain: the valid input domain and what happens outside it, in words.
        hyperparameters: every keyword argument after (input, target) with its default.
        latex: the unreduced formula in LaTeX.
        summary: one line saying what the loss is and when to use it.
        torch_equivalent: dotted path of the PyTorch function computing the same, or None.
        make_example: ``(rng, dtype) -> (input, target, kwargs)``, a valid random example.
        make_perfect: ``(rng, dtype) -> (input, target, kwargs)`` at a minimizer over ``input``
            (zero gradient there), or None when the infimum is not attained at finite inputs.
        references: papers or documentation.
    """

    name: str
    fn: Callable
    module: type
    task: str
    input_kind: str
    target_kind: str
    output_activation: str
    convex: bool
    smoothness: str
    robust_to_outliers: bool | str
    domain: str
    hyperparameters: Mapping[str, Any]
    latex: str
    summary: str
    torch_equivalent: str | None
    make_example: Callable
    make_perfect: Callable | None
    references: tuple

    def __post_init__(self):
        problems = validate(self)
        if problems:
            raise ValueError(f"LossInfo({self.name!r}) is incomplete or invalid: " + "; ".join(problems))


#: Fields that may be None.
OPTIONAL_FIELDS = ("torch_equivalent", "make_perfect")


def validate(info: LossInfo) -> list:
    """The list of problems with ``info`` (empty when every field is filled and valid)."""
    problems = []
    for f in fields(info):
        v = getattr(info, f.name)
        if v is None:
            if f.name not in OPTIONAL_FIELDS:
                problems.append(f"{f.name} is None")
        elif isinstance(v, (str, tuple)) and not v and f.name != "hyperparameters":
            problems.append(f"{f.name} is empty")
    if info.task not in TASKS:
        problems.append(f"task {info.task!r} not in {TASKS}")
    if info.input_kind not in INPUT_KINDS:
        problems.append(f"input_kind {info.input_kind!r} not in {INPUT_KINDS}")
    if info.smoothness not in SMOOTHNESS:
        problems.append(f"smoothness {info.smoothness!r} not in {SMOOTHNESS}")
    r = info.robust_to_outliers
    if not (r is True or r is False or r == "partial"):
        problems.append(f"robust_to_outliers {info.robust_to_outliers!r} not in {ROBUSTNESS}")
    if not isinstance(info.convex, bool):
        problems.append("convex must be a bool")
    if not callable(info.fn) or not callable(info.make_example):
        problems.append("fn and make_example must be callable")
    if not isinstance(info.hyperparameters, Mapping):
        problems.append("hyperparameters must be a mapping name -> default")
    return problems


#: name -> LossInfo, in registration order.
LOSS_REGISTRY: dict[str, LossInfo] = {}


def register(info: LossInfo) -> LossInfo:
    """Enroll ``info`` (names are unique); returns it."""
    if not isinstance(info, LossInfo):
        raise TypeError(f"register: expected a LossInfo, got {type(info).__name__}")
    if info.name in LOSS_REGISTRY:
        raise ValueError(f"register: a loss named {info.name!r} is already registered")
    LOSS_REGISTRY[info.name] = info
    return info


def get(name: str) -> LossInfo:
    """The :class:`LossInfo` of ``name``; a KeyError suggests close names when it is unknown."""
    try:
        return LOSS_REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), LOSS_REGISTRY, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise KeyError(f"no loss named {name!r}{hint} (see losslab.losses.available())") from None


def available(task: str | None = None) -> list:
    """Names of the registered losses, optionally only those for ``task``."""
    if task is not None and task not in TASKS:
        raise ValueError(f"available: task must be one of {TASKS}, got {task!r}")
    return [n for n, i in LOSS_REGISTRY.items() if task is None or i.task == task]


# ----------------------------------------------------------------------------- examples
def _t(a, dtype) -> Tensor:
    return Tensor(np.asarray(a, dtype=dtype))


def _soft_or_hard_labels(rng, shape, dtype):
    """Targets in [0, 1]: about half hard {0, 1}, half soft."""
    u = rng.uniform(0.0, 1.0, shape)
    return np.where(rng.random(shape) < 0.5, np.round(u), u).astype(dtype)


def _mse_example(rng, dtype):
    return _t(rng.normal(size=(4, 3)), dtype), _t(rng.normal(size=(4, 3)), dtype), {}


def _mse_perfect(rng, dtype):
    y = rng.normal(size=(4, 3))
    return _t(y, dtype), _t(y, dtype), {}


def _bce_example(rng, dtype):
    p = rng.uniform(0.05, 0.95, (4, 3))
    return _t(p, dtype), _t(_soft_or_hard_labels(rng, (4, 3), dtype), dtype), {}


def _bce_perfect(rng, dtype):
    y = _soft_or_hard_labels(rng, (4, 3), dtype)
    return _t(y, dtype), _t(y, dtype), {}  # p = y minimizes −[y log p + (1−y) log(1−p)]


def _bce_logits_example(rng, dtype):
    x = rng.normal(scale=2.0, size=(4, 3))
    pw = rng.uniform(0.5, 2.0, (3,))
    return _t(x, dtype), _t(_soft_or_hard_labels(rng, (4, 3), dtype), dtype), {"pos_weight": _t(pw, dtype)}


def _bce_logits_perfect(rng, dtype):
    y = rng.uniform(0.1, 0.9, (4, 3))
    pw = rng.uniform(0.5, 2.0, (3,))
    # ∂ℓ/∂x = (1−y)σ(x) − pw·y·σ(−x) = 0  ⇔  x = log(pw·y / (1 − y))
    x = np.log(pw * y / (1 - y))
    return _t(x, dtype), _t(y, dtype), {"pos_weight": _t(pw, dtype)}


def _ce_example(rng, dtype):
    x = rng.normal(scale=2.0, size=(5, 4))
    return _t(x, dtype), Tensor(rng.integers(0, 4, size=5).astype(np.int64)), {}


def _ce_perfect(rng, dtype):
    # Class-probability targets: logits = log t (+ any constant) give softmax(x) = t, the minimizer.
    t = rng.dirichlet(np.ones(4), size=5)
    x = np.log(t) + rng.normal(size=(5, 1))
    return _t(x, dtype), _t(t, dtype), {}


def _nll_example(rng, dtype):
    z = rng.normal(scale=2.0, size=(5, 4))
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return _t(logp, dtype), Tensor(rng.integers(0, 4, size=5).astype(np.int64)), {}


# ----------------------------------------------------------------------------- entries
_CLASS_HPARAMS = {"weight": None, "ignore_index": -100, "reduction": "mean"}

register(LossInfo(
    name="mse_loss",
    fn=mse_loss,
    module=M.MSELoss,
    task="regression",
    input_kind="real",
    target_kind="real numbers, same shape as input",
    output_activation="identity",
    convex=True,
    smoothness="Cinf",
    robust_to_outliers=False,
    domain="any real input and target of the same shape",
    hyperparameters={"reduction": "mean", "weight": None},
    latex=r"\ell(x, y) = w\,(x - y)^2",
    summary="Squared error; the default for regression with Gaussian-like noise, but one large "
            "error dominates the mean.",
    torch_equivalent="torch.nn.functional.mse_loss",
    make_example=_mse_example,
    make_perfect=_mse_perfect,
    references=("Gauss (1809), Theoria motus corporum coelestium: least squares",
                "https://docs.pytorch.org/docs/stable/generated/torch.nn.MSELoss.html"),
))

register(LossInfo(
    name="binary_cross_entropy",
    fn=binary_cross_entropy,
    module=M.BCELoss,
    task="binary",
    input_kind="probabilities",
    target_kind="probabilities in [0, 1] (hard labels 0/1 or soft labels), same shape as input",
    output_activation="sigmoid",
    convex=True,
    smoothness="Cinf",
    robust_to_outliers=False,
    domain="input and target in [0, 1] (ValueError outside, as PyTorch's check); each log is "
           "clamped at -100, so p = 0 or 1 gives a finite loss",
    hyperparameters={"weight": None, "reduction": "mean"},
    latex=r"\ell(p, y) = -w\left[y \log p + (1 - y)\log(1 - p)\right]",
    summary="Log loss on probabilities for binary or multi-label targets; prefer the logits "
            "version for training (the clamp kills gradients of saturated sigmoids).",
    torch_equivalent="torch.nn.functional.binary_cross_entropy",
    make_example=_bce_example,
    make_perfect=_bce_perfect,
    references=("Cox (1958), The regression analysis of binary sequences, JRSS B 20(2)",
                "https://docs.pytorch.org/docs/stable/generated/torch.nn.BCELoss.html"),
))

register(LossInfo(
    name="binary_cross_entropy_with_logits",
    fn=binary_cross_entropy_with_logits,
    module=M.BCEWithLogitsLoss,
    task="binary",
    input_kind="logits",
    target_kind="probabilities in [0, 1] (hard labels 0/1 or soft labels), same shape as input",
    output_activation="identity (sigmoid is applied inside the loss)",
    convex=True,
    smoothness="Cinf",
    robust_to_outliers="partial",
    domain="any real logits (stable for |x| up to the float range); targets should lie in "
           "[0, 1] (not checked, as PyTorch)",
    hyperparameters={"weight": None, "reduction": "mean", "pos_weight": None},
    latex=r"\ell(x, y) = -w\left[p_w\, y \log\sigma(x) + (1 - y)\log(1 - \sigma(x))\right]",
    summary="Sigmoid + binary cross-entropy in one stable formula; the standard loss for binary "
            "and multi-label classification (pos_weight for class imbalance).",
    torch_equivalent="torch.nn.functional.binary_cross_entropy_with_logits",
    make_example=_bce_logits_example,
    make_perfect=_bce_logits_perfect,
    references=("https://docs.pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html",
                "optax.losses.sigmoid_binary_cross_entropy (the non-cancelling form)"),
))

register(LossInfo(
    name="cross_entropy",
    fn=cross_entropy,
    module=M.CrossEntropyLoss,
    task="multiclass",
    input_kind="logits",
    target_kind="class indices in [0, C) (or ignore_index), or class probabilities of the "
                "input's shape",
    output_activation="identity (log_softmax is applied inside the loss)",
    convex=True,
    smoothness="Cinf",
    robust_to_outliers="partial",
    domain="any real logits, class dim 1 (or 0 unbatched); integer targets in [0, C) or "
           "ignore_index, or floating probability targets of the input's shape",
    hyperparameters={**_CLASS_HPARAMS, "label_smoothing": 0.0},
    latex=r"\ell(x, y) = -\log\frac{e^{x_y}}{\sum_{c} e^{x_c}} = \log\sum_{c} e^{x_c} - x_y",
    summary="Softmax cross-entropy on logits: the standard multi-class loss (also per pixel "
            "with (N, C, H, W) inputs); label_smoothing against over-confidence.",
    torch_equivalent="torch.nn.functional.cross_entropy",
    make_example=_ce_example,
    make_perfect=_ce_perfect,
    references=("https://docs.pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html",
                "Szegedy et al. (2016), Rethinking the Inception Architecture for Computer Vision "
                "(label smoothing)"),
))

register(LossInfo(
    name="nll_loss",
    fn=nll_loss,
    module=M.NLLLoss,
    task="multiclass",
    input_kind="log-probabilities",
    target_kind="class indices in [0, C) or ignore_index",
    output_activation="log_softmax",
    convex=True,
    smoothness="Cinf",
    robust_to_outliers="partial",
    domain="log-probabilities (not checked: any real input is accepted and the loss is linear "
           "in it); integer targets in [0, C) or ignore_index",
    hyperparameters=dict(_CLASS_HPARAMS),
    latex=r"\ell(x, y) = -w_y\, x_y",
    summary="Negative log-likelihood of the target class given log-probabilities; "
            "log_softmax + nll_loss = cross_entropy.",
    torch_equivalent="torch.nn.functional.nll_loss",
    make_example=_nll_example,
    make_perfect=None,  # linear in the log-probabilities: the infimum needs log p_y = 0, others −inf
    references=("https://docs.pytorch.org/docs/stable/generated/torch.nn.NLLLoss.html",),
))
