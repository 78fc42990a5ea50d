"""``LOSS_REGISTRY``: the one list of losses, with what a user (or a tool) needs to know about each.

Every loss is enrolled here with a :class:`LossInfo`. The test suite, the advisor, the docs and
the explorer read this list, so enrolling a loss here is what puts it through the generic tests
(value and gradient against PyTorch, gradcheck, minimum at a perfect prediction, finiteness at
extreme inputs, metadata completeness).

To add a loss: write ``f(input, target, ..., reduction="mean")`` in its family module, a thin
class beside it, and a ``register(LossInfo(...))`` call in ``losses/catalog/<family>.py`` with a
``make_example`` that draws a valid (input, target, kwargs).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, fields
from typing import Any, Callable, Mapping


__all__ = [
    "LossInfo", "LOSS_REGISTRY", "register", "get", "available",
    "TASKS", "INPUT_KINDS", "SMOOTHNESS", "ROBUSTNESS", "GROWTH", "EQUIVALENT_LIBRARIES",
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
#: How the loss grows for a large error (or a large wrong-side margin): how hard an outlier pulls.
GROWTH = ("quadratic", "linear", "logarithmic", "bounded", "exponential", "super-quadratic")
#: Other libraries whose names an entry gives (None where the library has no such loss).
EQUIVALENT_LIBRARIES = ("optax", "keras", "sklearn")


@dataclass(frozen=True, kw_only=True)
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
        convex_conditions: when ``convex`` holds only under conditions (e.g. "for q = 1"), or
            where it fails, in words; ``""`` when the statement is unconditional.
        smoothness: one of :data:`SMOOTHNESS`.
        kinks: where the loss is not differentiable (e.g. "at x = y"), ``"none"`` if nowhere.
        robust_to_outliers: one of :data:`ROBUSTNESS`.
        growth: one of :data:`GROWTH`, the loss's growth for large errors.
        value_range: the range of the unreduced loss, e.g. ``"[0, ∞)"``.
        domain: the valid input domain and what happens outside it, in words.
        hyperparameters: every keyword argument after (input, target) with its default.
        latex: the unreduced formula in LaTeX.
        summary: one line saying what the loss is and when to use it.
        torch_equivalent: dotted path of the PyTorch function computing the same, or None.
        equivalents: the same loss in the other libraries of :data:`EQUIVALENT_LIBRARIES`
            (``{"optax": "optax.losses.l2_loss", "keras": …, "sklearn": …}``, None where absent;
            a short note after the name where the definition differs, e.g. a factor ½).
        make_example: ``(rng, dtype) -> (input, target, kwargs)``, a valid random example.
        make_perfect: ``(rng, dtype) -> (input, target, kwargs)`` at a minimizer over ``input``
            (zero gradient there), or None when there is no such point: the infimum is not
            attained at finite inputs (cross-entropy), or only on the boundary of the input's
            domain where the gradient does not vanish (Dice at p = t ∈ {0, 1}).
        references: papers or documentation.
        gradcheck_transform: a differentiable map applied to ``input`` before the loss in the
            finite-difference gradcheck, for a loss whose backward follows a convention valid
            only on part of the input space (CTC's gradient assumes normalised log-probabilities,
            as PyTorch's does); None to check the loss on its raw input.
        batch_coupled: a sample's loss depends on the other samples of the batch (contrastive
            losses over in-batch negatives), so a sample alone is not the same as in the batch.
    """

    name: str
    fn: Callable
    module: type
    task: str
    input_kind: str
    target_kind: str
    output_activation: str
    convex: bool
    convex_conditions: str = ""
    smoothness: str
    kinks: str
    robust_to_outliers: bool | str
    growth: str
    value_range: str
    domain: str
    hyperparameters: Mapping[str, Any]
    latex: str
    summary: str
    torch_equivalent: str | None
    equivalents: Mapping[str, str | None]
    make_example: Callable
    make_perfect: Callable | None
    references: tuple
    gradcheck_transform: Callable | None = None
    batch_coupled: bool = False

    def __post_init__(self):
        problems = validate(self)
        if problems:
            raise ValueError(f"LossInfo({self.name!r}) is incomplete or invalid: " + "; ".join(problems))


#: Fields that may be None.
OPTIONAL_FIELDS = ("torch_equivalent", "make_perfect", "gradcheck_transform")


def validate(info: LossInfo) -> list:
    """The list of problems with ``info`` (empty when every field is filled and valid)."""
    problems = []
    for f in fields(info):
        v = getattr(info, f.name)
        if v is None:
            if f.name not in OPTIONAL_FIELDS:
                problems.append(f"{f.name} is None")
        elif isinstance(v, (str, tuple)) and not v and f.name not in ("hyperparameters", "convex_conditions"):
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
    if info.growth not in GROWTH:
        problems.append(f"growth {info.growth!r} not in {GROWTH}")
    eq = info.equivalents
    if not isinstance(eq, Mapping) or set(eq) != set(EQUIVALENT_LIBRARIES):
        problems.append(f"equivalents must map exactly {EQUIVALENT_LIBRARIES} to a name or None")
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
