r"""Learning-rate schedules as pure functions of the step: ``lr = schedule(step)``.

A schedule holds no state and touches no optimizer: call it with a step count (an int, a float for
fractional steps, or an array of steps) and it returns the learning rate for that step. The
PyTorch-style scheduler classes in :mod:`losslab.optim.lr_scheduler` are thin adapters over these
(ARCHITECTURE principle 7); ``ScheduleLR`` drives an optimizer with any of them directly.

Every schedule is a :class:`Schedule` object: callable, vectorised over arrays of steps, with
``.preview(steps)`` (the values at steps 0 … steps−1 as an ndarray), a readable ``repr`` that
shows its parameters, and parameters checked when it is built (a warm-up longer than the run,
unsorted milestones, ``eta_min`` above the base lr, ``T_0 < 1``, a negative lr … raise a
``ValueError`` naming the argument, the value and what is accepted).

===========================  =====================================================  ==============================
name                         lr at step t                                           PyTorch / optax equivalent
===========================  =====================================================  ==============================
``constant``                 η                                                      ``constant_schedule``
``step``                     η·γ^⌊t/s⌋                                              ``StepLR``
``multistep``                η·γ^(#milestones ≤ t)                                  ``MultiStepLR``
``exponential``              η·γ^(t/k)                                              ``ExponentialLR``, ``exponential_decay``
``inverse_time``             η / (1 + r·t/k)                                        Keras ``InverseTimeDecay``
``polynomial``               (η−η_end)(1 − min(t,T)/T)^p + η_end                    ``PolynomialLR``, ``polynomial_schedule``
``linear``                   η₀ + (η₁−η₀)·min(t,T)/T                                ``LinearLR``, ``linear_schedule``
``cosine``                   η_min + (η−η_min)·[½(1+cos(π·min(t,T)/T))]^p          ``CosineAnnealingLR``, ``cosine_decay_schedule``
``cosine_with_warm_restarts``  cosine restarted at T₀, T₀+T₀m, … (SGDR)             ``CosineAnnealingWarmRestarts``
``warmup_cosine``            linear warm-up, then cosine decay                      ``warmup_cosine_decay_schedule``
``one_cycle``                1cycle: warm-up to a peak, anneal far below the start  ``OneCycleLR``
``cyclic``                   triangular / triangular2 / exp_range cycles            ``CyclicLR``
``piecewise``                values between boundaries (constant / linear / cosine) ``piecewise_*_schedule``
``join``                     schedule k from boundary k−1 on (its step restarts)    ``join_schedules``, ``SequentialLR``
===========================  =====================================================  ==============================

``SCHEDULES`` lists them with their parameters; :func:`schedule_from_cli` builds one by name from
string parameters (the ``losslab schedule NAME`` command).

Example:
    >>> from losslab.optim import schedules as S
    >>> s = S.warmup_cosine(lr=0.1, warmup_steps=5, total_steps=20)
    >>> s
    warmup_cosine(lr=0.1, warmup_steps=5, total_steps=20, start_lr=0.0, eta_min=0.0, exponent=1.0)
    >>> s.preview(8).round(4).tolist()
    [0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.0989, 0.0957]
    >>> s(20), s(1000)
    (0.0, 0.0)
"""
from __future__ import annotations

import difflib
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

__all__ = [
    "Schedule", "Constant", "StepDecay", "MultiStepDecay", "ExponentialDecay", "InverseTimeDecay",
    "PolynomialDecay", "Linear", "CosineDecay", "CosineWarmRestarts", "WarmupCosine",
    "PhaseSchedule", "OneCycle", "Cyclic", "Piecewise", "Join", "FunctionSchedule",
    "constant", "step", "multistep", "exponential", "inverse_time", "polynomial", "linear",
    "cosine", "cosine_with_warm_restarts", "sgdr", "warmup_cosine", "one_cycle", "cyclic",
    "piecewise", "join", "sgdr_position", "cyclic_scale", "cyclic_shape", "ScheduleInfo", "ParamSpec", "SCHEDULES",
    "schedule_from_cli",
]


# ---------------------------------------------------------------------------------------------
# argument checks (each names the argument, the value received and what is accepted)
# ---------------------------------------------------------------------------------------------
def _is_real(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _real(where: str, name: str, value: Any, *, lo: float | None = None, hi: float | None = None,
          lo_open: bool = False, hi_open: bool = False, what: str = "a number") -> float:
    """Check that ``value`` is a finite real number in the given range; return it as a float."""
    if not _is_real(value):
        raise TypeError(f"{where}: {name} must be {what}, got {value!r} ({type(value).__name__})")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{where}: {name} must be finite, got {value!r}")
    bad = ((lo is not None and (v < lo or (lo_open and v == lo)))
           or (hi is not None and (v > hi or (hi_open and v == hi))))
    if bad:
        lo_s = "" if lo is None else (f"> {lo:g}" if lo_open else f">= {lo:g}")
        hi_s = "" if hi is None else (f"< {hi:g}" if hi_open else f"<= {hi:g}")
        rng = " and ".join(s for s in (lo_s, hi_s) if s)
        raise ValueError(f"{where}: {name} must be {rng}, got {value!r}")
    return v


def _lr(where: str, name: str, value: Any) -> float:
    """A learning rate: a finite real number >= 0."""
    if _is_real(value) and not (float(value) >= 0.0):
        if math.isnan(float(value)):
            raise ValueError(f"{where}: {name} is NaN; a learning rate must be a finite number >= 0")
        if float(value) < 0:
            raise ValueError(
                f"{where}: {name}={value!r} is negative; a learning rate must be a finite number >= 0"
            )
    return _real(where, name, value, lo=0.0, what="a learning rate (a finite number >= 0)")


def _int(where: str, name: str, value: Any, *, lo: int | None = None) -> int:
    """Check that ``value`` is an integer (not a bool) >= lo; return it as an int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: {name} must be an integer, got {value!r} ({type(value).__name__})")
    v = int(value)
    if lo is not None and v < lo:
        raise ValueError(f"{where}: {name} must be an integer >= {lo}, got {v}")
    return v


def _choice(where: str, name: str, value: Any, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{where}: {name} must be one of {list(choices)}, got {value!r}")
    return value


def _sorted_steps(where: str, name: str, values: Any, *, strict: bool, integer: bool = True) -> list:
    """A sorted list of step counts (>= 0)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{where}: {name} must be a list of step counts, got {values!r}")
    vals = list(values)
    out = []
    for i, v in enumerate(vals):
        if integer:
            out.append(_int(where, f"{name}[{i}]", v, lo=0))
        else:
            out.append(_real(where, f"{name}[{i}]", v, lo=0.0))
    for a, b in zip(out, out[1:]):
        if b < a or (strict and b == a):
            order = "strictly increasing" if strict else "sorted in increasing order"
            raise ValueError(f"{where}: {name} must be {order}, got {vals!r}"
                             + (f" (try {sorted(set(out) if strict else out)!r})" if integer else ""))
    return out


def _steps(value: Any) -> np.ndarray:
    """Steps as a float64 array, checked finite and >= 0."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"step must be a number or an array of numbers, got {value!r}")
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):  # a losslab / torch tensor
        value = value.numpy()
    try:
        t = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"step must be a number or an array of numbers, got {value!r}") from None
    if not np.all(np.isfinite(t)):
        raise ValueError(f"step must be finite, got {value!r}")
    if np.any(t < 0):
        raise ValueError(f"step must be >= 0 (steps count from 0), got {value!r}")
    return t


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return repr(float(v))
    if isinstance(v, Schedule):
        return repr(v)
    if isinstance(v, (list, tuple)):
        inner = ", ".join(_fmt(x) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
    if callable(v):
        return getattr(v, "__name__", type(v).__name__)
    return repr(v)


# ---------------------------------------------------------------------------------------------
# base class
# ---------------------------------------------------------------------------------------------
class Schedule:
    r"""A learning-rate schedule: a pure function ``step -> lr`` with a readable ``repr``.

    Formula: defined by the subclass, ``η_t = s(t)`` for step t = 0, 1, 2, … (fractional steps
    are accepted too).

    Args:
        **params: the schedule's (validated) parameters, kept for ``repr`` and ``params``.

    Shape:
        ``schedule(t)`` takes a number (returns a float) or an array of steps of any shape
        (returns a float64 array of that shape). ``preview(n)`` returns shape ``(n,)``.

    Example:
        >>> from losslab.optim.schedules import cosine
        >>> s = cosine(lr=1.0, total_steps=4)
        >>> s(2), s.preview(5).round(3).tolist()
        (0.5, [1.0, 0.854, 0.5, 0.146, 0.0])
        >>> s.params['total_steps']
        4

    Note:
        Subclasses implement ``_eval(t)`` on a float64 array of steps already checked finite and
        >= 0 (a negative step raises ``ValueError``).
    """

    #: the schedule's name (its key in ``SCHEDULES``), used by ``repr``.
    name: str = "schedule"

    def __init__(self, **params: Any) -> None:
        self._params = dict(params)

    @property
    def params(self) -> dict[str, Any]:
        """The schedule's parameters (a copy)."""
        return dict(self._params)

    def _eval(self, t: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} does not implement _eval")

    def __call__(self, step: Any) -> Any:
        """The learning rate at ``step`` (a float), or at each step of an array (an ndarray)."""
        t = _steps(step)
        out = np.asarray(self._eval(t), dtype=np.float64)
        if out.shape != t.shape:
            out = np.broadcast_to(out, t.shape).copy()
        return float(out) if t.ndim == 0 else out

    def preview(self, steps: int) -> np.ndarray:
        """The learning rates at steps 0, 1, …, ``steps``−1 as a float64 array of shape ``(steps,)``.

        Example:
            >>> from losslab.optim.schedules import step
            >>> step(lr=1.0, step_size=2, gamma=0.5).preview(5).tolist()
            [1.0, 1.0, 0.5, 0.5, 0.25]
        """
        n = _int(f"{self.name}.preview", "steps", steps, lo=0)
        return self(np.arange(n, dtype=np.float64)) if n else np.zeros(0)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self._params.items())
        return f"{self.name}({args})"


# ---------------------------------------------------------------------------------------------
# the schedules
# ---------------------------------------------------------------------------------------------
class Constant(Schedule):
    r"""A constant learning rate.

    Formula: ``η_t = η``.

    Args:
        lr: the learning rate η >= 0.

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import constant
        >>> constant(0.01)(123)
        0.01

    Note:
        optax ``constant_schedule``; in PyTorch, no scheduler.
    """

    name = "constant"

    def __init__(self, lr: float) -> None:
        super().__init__(lr=_lr(self.name, "lr", lr))
        self.lr = self._params["lr"]

    def _eval(self, t):
        return np.full_like(t, self.lr)


class StepDecay(Schedule):
    r"""Decay by ``gamma`` every ``step_size`` steps (PyTorch ``StepLR``'s closed form).

    Formula: ``η_t = η·γ^⌊t / step_size⌋``.

    Args:
        lr: initial learning rate η >= 0.
        step_size: period of the decay, an integer >= 1.
        gamma: multiplicative factor γ >= 0 (default 0.1).

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import step
        >>> step(lr=1.0, step_size=3, gamma=0.1).preview(7).tolist()
        [1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.010000000000000002]

    Note:
        Same numbers as ``torch.optim.lr_scheduler.StepLR`` (whose recursive form multiplies the
        current lr by γ at each multiple of step_size).
    """

    name = "step"

    def __init__(self, lr: float, step_size: int, gamma: float = 0.1) -> None:
        w = self.name
        super().__init__(lr=_lr(w, "lr", lr), step_size=_int(w, "step_size", step_size, lo=1),
                         gamma=_real(w, "gamma", gamma, lo=0.0))
        self.lr, self.step_size, self.gamma = (self._params[k] for k in ("lr", "step_size", "gamma"))

    def _eval(self, t):
        return self.lr * self.gamma ** np.floor(t / self.step_size)


class MultiStepDecay(Schedule):
    r"""Decay by ``gamma`` at each milestone (PyTorch ``MultiStepLR``'s closed form).

    Formula: ``η_t = η·γ^k`` with k = number of milestones m_i <= t.

    Args:
        lr: initial learning rate η >= 0.
        milestones: step counts, sorted in increasing order (a milestone repeated n times
            multiplies by γⁿ, as in PyTorch).
        gamma: multiplicative factor γ >= 0 (default 0.1).

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import multistep
        >>> multistep(lr=1.0, milestones=[2, 4], gamma=0.5).preview(6).tolist()
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]

    Note:
        Unsorted milestones raise ``ValueError`` (PyTorch sorts them silently).
    """

    name = "multistep"

    def __init__(self, lr: float, milestones: Sequence[int], gamma: float = 0.1) -> None:
        w = self.name
        super().__init__(lr=_lr(w, "lr", lr),
                         milestones=_sorted_steps(w, "milestones", milestones, strict=False),
                         gamma=_real(w, "gamma", gamma, lo=0.0))
        self.lr, self.milestones, self.gamma = (self._params[k] for k in ("lr", "milestones", "gamma"))

    def _eval(self, t):
        k = np.searchsorted(np.asarray(self.milestones, dtype=np.float64), t, side="right")
        return self.lr * self.gamma ** k.astype(np.float64)


class ExponentialDecay(Schedule):
    r"""Exponential decay (PyTorch ``ExponentialLR``, optax ``exponential_decay``, Keras
    ``ExponentialDecay``).

    Formula: ``η_t = η·γ^(t / decay_steps)`` (``⌊t / decay_steps⌋`` with ``staircase=True``).

    Args:
        lr: initial learning rate η >= 0.
        gamma: decay factor per ``decay_steps`` steps, γ > 0.
        decay_steps: integer >= 1 (default 1: γ per step, as ``ExponentialLR``).
        staircase: decay in whole periods (a step function) instead of continuously.

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import exponential
        >>> exponential(lr=1.0, gamma=0.5).preview(4).tolist()
        [1.0, 0.5, 0.25, 0.125]
        >>> exponential(lr=1.0, gamma=0.5, decay_steps=2)(1)
        0.7071067811865476
    """

    name = "exponential"

    def __init__(self, lr: float, gamma: float, decay_steps: int = 1, staircase: bool = False) -> None:
        w = self.name
        if not isinstance(staircase, (bool, np.bool_)):
            raise TypeError(f"{w}: staircase must be True or False, got {staircase!r}")
        super().__init__(lr=_lr(w, "lr", lr), gamma=_real(w, "gamma", gamma, lo=0.0, lo_open=True),
                         decay_steps=_int(w, "decay_steps", decay_steps, lo=1),
                         staircase=bool(staircase))
        self.lr, self.gamma, self.decay_steps, self.staircase = (
            self._params[k] for k in ("lr", "gamma", "decay_steps", "staircase"))

    def _eval(self, t):
        p = t / self.decay_steps
        if self.staircase:
            p = np.floor(p)
        return self.lr * self.gamma ** p


class InverseTimeDecay(Schedule):
    r"""Inverse-time decay (Keras ``InverseTimeDecay``; in PyTorch a ``LambdaLR``).

    Formula: ``η_t = η / (1 + r·t / decay_steps)`` (``⌊t / decay_steps⌋`` with ``staircase=True``).

    Args:
        lr: initial learning rate η >= 0.
        decay_rate: r >= 0.
        decay_steps: integer >= 1 (default 1).
        staircase: decay in whole periods.

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import inverse_time
        >>> inverse_time(lr=1.0, decay_rate=1.0).preview(4).tolist()
        [1.0, 0.5, 0.3333333333333333, 0.25]

    Note:
        With r = 1 and decay_steps = 1 this is the η₀/(1+t) decay of the Robbins–Monro
        conditions (Σηₜ = ∞, Σηₜ² < ∞).
    """

    name = "inverse_time"

    def __init__(self, lr: float, decay_rate: float, decay_steps: int = 1, staircase: bool = False) -> None:
        w = self.name
        if not isinstance(staircase, (bool, np.bool_)):
            raise TypeError(f"{w}: staircase must be True or False, got {staircase!r}")
        super().__init__(lr=_lr(w, "lr", lr), decay_rate=_real(w, "decay_rate", decay_rate, lo=0.0),
                         decay_steps=_int(w, "decay_steps", decay_steps, lo=1),
                         staircase=bool(staircase))
        self.lr, self.decay_rate, self.decay_steps, self.staircase = (
            self._params[k] for k in ("lr", "decay_rate", "decay_steps", "staircase"))

    def _eval(self, t):
        p = t / self.decay_steps
        if self.staircase:
            p = np.floor(p)
        return self.lr / (1.0 + self.decay_rate * p)


class PolynomialDecay(Schedule):
    r"""Polynomial decay from ``lr`` to ``end_lr`` over ``total_steps`` steps, then constant
    (PyTorch ``PolynomialLR`` with ``end_lr=0``, optax ``polynomial_schedule``).

    Formula: ``η_t = (η − η_end)·(1 − min(t, T)/T)^p + η_end``.

    Args:
        lr: initial learning rate η >= 0.
        total_steps: T, an integer >= 1.
        power: p > 0 (default 1: linear).
        end_lr: η_end >= 0 (default 0).

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import polynomial
        >>> polynomial(lr=1.0, total_steps=4, power=2.0).preview(6).tolist()
        [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    name = "polynomial"

    def __init__(self, lr: float, total_steps: int, power: float = 1.0, end_lr: float = 0.0) -> None:
        w = self.name
        super().__init__(lr=_lr(w, "lr", lr), total_steps=_int(w, "total_steps", total_steps, lo=1),
                         power=_real(w, "power", power, lo=0.0, lo_open=True),
                         end_lr=_lr(w, "end_lr", end_lr))
        self.lr, self.total_steps, self.power, self.end_lr = (
            self._params[k] for k in ("lr", "total_steps", "power", "end_lr"))

    def _eval(self, t):
        frac = 1.0 - np.minimum(t, self.total_steps) / self.total_steps
        return (self.lr - self.end_lr) * frac ** self.power + self.end_lr


class Linear(Schedule):
    r"""Linear change from ``start_lr`` to ``end_lr`` over ``total_steps`` steps starting at
    ``begin``, constant before and after (optax ``linear_schedule``; PyTorch ``LinearLR`` with
    ``start_lr = base·start_factor``, ``end_lr = base·end_factor``). The usual warm-up.

    Formula: ``η_t = η₀`` for t < B; ``η₀ + (η₁ − η₀)·(t − B)/T`` for B <= t < B + T; ``η₁`` after.

    Args:
        start_lr: η₀ >= 0.
        end_lr: η₁ >= 0 (may be above or below η₀).
        total_steps: T, an integer >= 1.
        begin: B, the step at which the change starts (integer >= 0, default 0).

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import linear
        >>> linear(start_lr=0.0, end_lr=1.0, total_steps=4).preview(6).tolist()
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """

    name = "linear"

    def __init__(self, start_lr: float, end_lr: float, total_steps: int, begin: int = 0) -> None:
        w = self.name
        super().__init__(start_lr=_lr(w, "start_lr", start_lr), end_lr=_lr(w, "end_lr", end_lr),
                         total_steps=_int(w, "total_steps", total_steps, lo=1),
                         begin=_int(w, "begin", begin, lo=0))
        self.start_lr, self.end_lr, self.total_steps, self.begin = (
            self._params[k] for k in ("start_lr", "end_lr", "total_steps", "begin"))

    def _eval(self, t):
        c = np.clip(t - self.begin, 0.0, self.total_steps)
        return self.start_lr + (self.end_lr - self.start_lr) * (c / self.total_steps)


class CosineDecay(Schedule):
    r"""Cosine annealing from ``lr`` down to ``eta_min`` over ``total_steps`` steps (SGDR without
    restarts; PyTorch ``CosineAnnealingLR``'s closed form, optax ``cosine_decay_schedule``).

    Formula: ``η_t = η_min + (η − η_min)·[½(1 + cos(π·min(t, T)/T))]^p``; with ``periodic=True``
    t is not clipped, so past T the learning rate climbs back to η at 2T (as PyTorch's
    ``CosineAnnealingLR`` does when stepped past ``T_max``).

    Args:
        lr: the initial (maximal) learning rate η >= 0.
        total_steps: T (PyTorch's ``T_max``), an integer >= 1.
        eta_min: the final learning rate, 0 <= η_min <= η (default 0).
        alpha: optax's form of η_min as a fraction of η (η_min = α·η), in [0, 1]; give at most one
            of ``eta_min`` and ``alpha``.
        exponent: p > 0 (default 1), optax's exponent of the cosine factor.
        periodic: continue the cosine past T instead of holding η_min (default False).

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import cosine
        >>> cosine(lr=1.0, total_steps=2, eta_min=0.2).preview(4).tolist()
        [1.0, 0.6000000000000001, 0.2, 0.2]
        >>> cosine(lr=1.0, total_steps=2, periodic=True).preview(5).round(12).tolist()
        [1.0, 0.5, 0.0, 0.5, 1.0]

    Note:
        ``eta_min`` above ``lr`` raises ``ValueError`` (the "decay" would be an increase).
    """

    name = "cosine"

    def __init__(self, lr: float, total_steps: int, eta_min: float | None = None,
                 alpha: float | None = None, exponent: float = 1.0, periodic: bool = False) -> None:
        w = self.name
        lr = _lr(w, "lr", lr)
        if eta_min is not None and alpha is not None:
            raise ValueError(f"{w}: give eta_min or alpha (eta_min = alpha*lr), not both "
                             f"(got eta_min={eta_min!r}, alpha={alpha!r})")
        if alpha is not None:
            eta_min = _real(w, "alpha", alpha, lo=0.0, hi=1.0) * lr
        eta_min = 0.0 if eta_min is None else _lr(w, "eta_min", eta_min)
        if eta_min > lr:
            raise ValueError(f"{w}: eta_min={eta_min!r} is above the base lr={lr!r}; eta_min is the "
                             "value the cosine decays to and must be <= lr")
        if not isinstance(periodic, (bool, np.bool_)):
            raise TypeError(f"{w}: periodic must be True or False, got {periodic!r}")
        super().__init__(lr=lr, total_steps=_int(w, "total_steps", total_steps, lo=1),
                         eta_min=eta_min, exponent=_real(w, "exponent", exponent, lo=0.0, lo_open=True),
                         periodic=bool(periodic))
        self.lr, self.total_steps, self.eta_min, self.exponent, self.periodic = (
            self._params[k] for k in ("lr", "total_steps", "eta_min", "exponent", "periodic"))

    def _eval(self, t):
        if not self.periodic:
            t = np.minimum(t, self.total_steps)
        c = (1.0 + np.cos(np.pi * t / self.total_steps)) / 2.0
        if self.exponent != 1.0:
            c = c ** self.exponent
        return self.eta_min + (self.lr - self.eta_min) * c


def sgdr_position(t: Any, T_0: int, T_mult: int = 1) -> tuple[np.ndarray, np.ndarray]:
    r"""Where step ``t`` falls in SGDR's cycles: ``(T_cur, T_i)``, the steps since the last restart
    and the length of the current cycle.

    Formula: cycles have lengths T₀, T₀m, T₀m², … (m = T_mult) and start at
    S_n = T₀(mⁿ − 1)/(m − 1) (S_n = n·T₀ for m = 1); for S_n <= t < S_{n+1},
    ``T_cur = t − S_n`` and ``T_i = T₀·mⁿ``.

    Args:
        t: step(s), fractional allowed, >= 0.
        T_0: first cycle length, integer >= 1.
        T_mult: cycle growth factor, integer >= 1.

    Shape:
        ``t`` of any shape; both outputs have its shape (float64).

    Example:
        >>> from losslab.optim.schedules import sgdr_position
        >>> [tuple(map(float, sgdr_position(s, 2, 2))) for s in (0, 1.5, 2, 5.5, 6)]
        [(0.0, 2.0), (1.5, 2.0), (0.0, 4.0), (3.5, 4.0), (0.0, 8.0)]

    Note:
        PyTorch finds the cycle n with a floating-point ``log``, which can land one cycle short at
        an exact restart (e.g. T₀ = 1, m = 3, t = 121 gives n = 4, so T_cur = T_i and the lr is
        η_min instead of the restart value); here n is corrected by comparing with S_n exactly.
    """
    t = _steps(t)
    if T_mult == 1:
        return np.mod(t, T_0), np.full_like(t, float(T_0))
    m = float(T_mult)
    n = np.floor(np.log(t / T_0 * (m - 1.0) + 1.0) / np.log(m))

    def start(k):
        return T_0 * (m ** k - 1.0) / (m - 1.0)

    n = np.where(start(n + 1) <= t, n + 1, n)  # the log can be one short or one long at a restart
    n = np.where(start(n) > t, n - 1, n)
    return t - start(n), T_0 * m ** n


class CosineWarmRestarts(Schedule):
    r"""Cosine annealing with warm restarts, SGDR (PyTorch ``CosineAnnealingWarmRestarts``).

    Formula: ``η_t = η_min + ½(η − η_min)(1 + cos(π·T_cur/T_i))`` where T_cur is the number of
    steps since the last restart and T_i the current cycle length (T₀, T₀·m, T₀·m², …; see
    :func:`sgdr_position`). Fractional steps give positions inside a cycle.

    Args:
        lr: the learning rate at each restart η >= 0.
        T_0: length of the first cycle, an integer >= 1.
        T_mult: factor by which each cycle is longer than the previous, an integer >= 1.
        eta_min: the lowest learning rate, 0 <= η_min <= η.

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import cosine_with_warm_restarts
        >>> s = cosine_with_warm_restarts(lr=1.0, T_0=2, T_mult=2)
        >>> s.preview(7).round(4).tolist()
        [1.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 1.0]
        >>> round(s(1.5), 4)
        0.1464

    Note:
        Loshchilov & Hutter (2017), SGDR: Stochastic Gradient Descent with Warm Restarts,
        https://arxiv.org/abs/1608.03983.
    """

    name = "cosine_with_warm_restarts"

    def __init__(self, lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> None:
        w = self.name
        lr = _lr(w, "lr", lr)
        T_0 = _int(w, "T_0", T_0, lo=1)
        T_mult = _int(w, "T_mult", T_mult, lo=1)
        eta_min = _lr(w, "eta_min", eta_min)
        if eta_min > lr:
            raise ValueError(f"{w}: eta_min={eta_min!r} is above the base lr={lr!r}; eta_min must be <= lr")
        super().__init__(lr=lr, T_0=T_0, T_mult=T_mult, eta_min=eta_min)
        self.lr, self.T_0, self.T_mult, self.eta_min = lr, T_0, T_mult, eta_min

    @staticmethod
    def value_at(lr: float, eta_min: float, T_cur: Any, T_i: Any) -> Any:
        """``η_min + (η − η_min)(1 + cos(π T_cur/T_i))/2`` (PyTorch's operation order)."""
        return eta_min + (lr - eta_min) * (1 + np.cos(np.pi * np.asarray(T_cur) / T_i)) / 2

    def _eval(self, t):
        T_cur, T_i = sgdr_position(t, self.T_0, self.T_mult)
        return self.value_at(self.lr, self.eta_min, T_cur, T_i)


class WarmupCosine(Schedule):
    r"""Linear warm-up from ``start_lr`` to ``lr`` over ``warmup_steps``, then cosine decay to
    ``eta_min`` at ``total_steps`` (optax ``warmup_cosine_decay_schedule``; PyTorch
    ``SequentialLR([LinearLR, CosineAnnealingLR], milestones=[warmup_steps])``).

    Formula: ``η_t = η₀ + (η − η₀)·t/W`` for t < W; then
    ``η_min + (η − η_min)·[½(1 + cos(π·min(t − W, T − W)/(T − W)))]^p``.

    Args:
        lr: the peak learning rate η >= 0, reached at step W.
        warmup_steps: W, an integer >= 0 and < total_steps.
        total_steps: T, the length of the run including the warm-up (optax's ``decay_steps``).
        start_lr: η₀, 0 <= η₀ <= η (default 0).
        eta_min: the final learning rate, 0 <= η_min <= η (default 0; optax's ``end_value``).
        exponent: p > 0 (default 1).

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import warmup_cosine
        >>> warmup_cosine(lr=1.0, warmup_steps=2, total_steps=4).preview(6).tolist()
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]

    Note:
        A warm-up as long as or longer than the run raises ``ValueError``.
    """

    name = "warmup_cosine"

    def __init__(self, lr: float, warmup_steps: int, total_steps: int, start_lr: float = 0.0,
                 eta_min: float = 0.0, exponent: float = 1.0) -> None:
        w = self.name
        lr = _lr(w, "lr", lr)
        W = _int(w, "warmup_steps", warmup_steps, lo=0)
        T = _int(w, "total_steps", total_steps, lo=1)
        if W >= T:
            raise ValueError(
                f"{w}: the warm-up (warmup_steps={W}) is not shorter than the run (total_steps={T}); "
                "total_steps counts the whole run including the warm-up, so warmup_steps must be "
                "< total_steps")
        start_lr, eta_min = _lr(w, "start_lr", start_lr), _lr(w, "eta_min", eta_min)
        if start_lr > lr:
            raise ValueError(f"{w}: start_lr={start_lr!r} is above the peak lr={lr!r}; a warm-up "
                             "rises to lr, so start_lr must be <= lr")
        if eta_min > lr:
            raise ValueError(f"{w}: eta_min={eta_min!r} is above the peak lr={lr!r}; eta_min must be <= lr")
        super().__init__(lr=lr, warmup_steps=W, total_steps=T, start_lr=start_lr, eta_min=eta_min,
                         exponent=_real(w, "exponent", exponent, lo=0.0, lo_open=True))
        self.lr, self.warmup_steps, self.total_steps = lr, W, T
        self.start_lr, self.eta_min, self.exponent = start_lr, eta_min, self._params["exponent"]
        self._cos = CosineDecay(lr, T - W, eta_min=eta_min, exponent=self.exponent)

    def _eval(self, t):
        W = self.warmup_steps
        warm = self.start_lr + (self.lr - self.start_lr) * (t / W) if W else np.zeros_like(t)
        return np.where(t < W, warm, self._cos._eval(np.maximum(t - W, 0.0)))


class PhaseSchedule(Schedule):
    r"""Annealing through phases: from ``values[i]`` to ``values[i+1]`` over phase i, which ends
    at ``ends[i]`` (the first starts at step 0). The engine of :class:`OneCycle` and of its
    momentum cycle, with PyTorch ``OneCycleLR``'s arithmetic.

    Formula: in phase i (s_i < t <= e_i, s_0 = 0, s_i = e_{i−1}),
    ``pct = (t − s_i)/(e_i − s_i)`` and ``η_t = anneal(values[i], values[i+1], pct)`` with
    ``cos``: ``end + (start − end)/2·(1 + cos(π·pct))`` or ``linear``: ``(end − start)·pct + start``.
    Past the last end the value holds at ``values[-1]``.

    Args:
        ends: end step of each phase, strictly increasing, the first > 0.
        values: ``len(ends) + 1`` values (>= 0): the start value and the value at each end.
        anneal_strategy: ``'cos'`` (default) or ``'linear'``.

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import PhaseSchedule
        >>> PhaseSchedule([2, 4], [0.0, 1.0, 0.0], 'linear').preview(6).tolist()
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """

    name = "phases"

    def __init__(self, ends: Sequence[float], values: Sequence[float], anneal_strategy: str = "cos") -> None:
        w = self.name
        ends = [_real(w, f"ends[{i}]", e) for i, e in enumerate(ends)]
        if not ends:
            raise ValueError(f"{w}: ends must list at least one phase end, got []")
        if ends[0] <= 0 or any(b <= a for a, b in zip(ends, ends[1:])):
            raise ValueError(f"{w}: phase ends must be strictly increasing and > 0 (every phase "
                             f"must last more than zero steps), got {ends!r}")
        values = [_real(w, f"values[{i}]", v, lo=0.0) for i, v in enumerate(values)]
        if len(values) != len(ends) + 1:
            raise ValueError(f"{w}: values must have len(ends) + 1 = {len(ends) + 1} entries, "
                             f"got {len(values)}")
        _choice(w, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        super().__init__(ends=ends, values=values, anneal_strategy=anneal_strategy)
        self.ends, self.values, self.anneal_strategy = ends, values, anneal_strategy

    @staticmethod
    def anneal(kind: str, start: Any, end: Any, pct: Any) -> Any:
        """PyTorch ``OneCycleLR._annealing_cos`` / ``_annealing_linear`` (same operation order)."""
        if kind == "cos":
            return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1)
        return (end - start) * pct + start

    def _raw(self, t: np.ndarray) -> np.ndarray:
        """The phase formula without holding past the last end (the last phase extrapolates)."""
        out = np.empty_like(t)
        start = 0.0
        done = np.zeros(t.shape, dtype=bool)
        for i, end in enumerate(self.ends):
            sel = ~done & ((t <= end) | (i == len(self.ends) - 1))
            pct = (t[sel] - start) / (end - start)
            out[sel] = self.anneal(self.anneal_strategy, self.values[i], self.values[i + 1], pct)
            done |= sel
            start = end
        return out

    def _eval(self, t):
        return self._raw(np.minimum(t, self.ends[-1]))


class OneCycle(PhaseSchedule):
    r"""The 1cycle policy (Smith & Topin 2017; PyTorch ``OneCycleLR``, optax
    ``cosine_onecycle_schedule`` / ``linear_onecycle_schedule``): rise from ``max_lr/div_factor``
    to ``max_lr``, then anneal to ``max_lr/(div_factor·final_div_factor)``.

    Formula (PyTorch's phases; T = total_steps, P = pct_start, η₀ = max_lr/div_factor,
    η_min = η₀/final_div_factor)::

        two phases:    η₀ → max_lr  over  0 … P·T − 1;   max_lr → η_min  until  T − 1
        three phases:  η₀ → max_lr  until P·T − 1;   max_lr → η₀  until 2P·T − 2;   η₀ → η_min until T − 1

    each by ``anneal_strategy`` (see :class:`PhaseSchedule`), holding η_min after T − 1.

    Args:
        max_lr: the peak learning rate >= 0.
        total_steps: T, an integer >= 2.
        pct_start: P, the fraction of the run spent rising, in (0, 1) (default 0.3).
        anneal_strategy: ``'cos'`` (default) or ``'linear'``.
        div_factor: η₀ = max_lr/div_factor, >= 1 (default 25).
        final_div_factor: η_min = η₀/final_div_factor, > 0 (default 1e4).
        three_phase: use the paper's three phases (default False: fastai's two).

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import one_cycle
        >>> s = one_cycle(max_lr=1.0, total_steps=10, pct_start=0.3, div_factor=10.0)
        >>> s.preview(10).round(4).tolist()
        [0.1, 0.55, 1.0, 0.9505, 0.8117, 0.6113, 0.3887, 0.1883, 0.0495, 0.0]
        >>> m = s.momentum(base_momentum=0.85, max_momentum=0.95)
        >>> m(0), m(2), round(m(9), 10)
        (0.95, 0.85, 0.95)

    Note:
        Every phase must last more than zero steps: ``pct_start·total_steps`` must be > 1 (PyTorch
        divides by zero otherwise) and, with ``three_phase``, ``2·pct_start·total_steps − 2`` must
        be below ``total_steps − 1`` (a warm-up longer than the run): both raise ``ValueError``.
        PyTorch evaluates step T itself (one past the end) by extrapolating the last phase; so
        does :class:`~losslab.optim.lr_scheduler.OneCycleLR`, while this schedule holds η_min.
    """

    name = "one_cycle"

    def __init__(self, max_lr: float, total_steps: int, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False) -> None:
        w = self.name
        max_lr = _lr(w, "max_lr", max_lr)
        T = _int(w, "total_steps", total_steps, lo=2)
        P = _real(w, "pct_start", pct_start, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
        div = _real(w, "div_factor", div_factor, lo=1.0)
        fdiv = _real(w, "final_div_factor", final_div_factor, lo=0.0, lo_open=True)
        _choice(w, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        if not isinstance(three_phase, (bool, np.bool_)):
            raise TypeError(f"{w}: three_phase must be True or False, got {three_phase!r}")
        ends = self.phase_ends(T, P, bool(three_phase), where=w)
        initial = max_lr / div
        final = initial / fdiv
        values = [initial, max_lr, initial, final] if three_phase else [initial, max_lr, final]
        super().__init__(ends, values, anneal_strategy)
        self._params = dict(max_lr=max_lr, total_steps=T, pct_start=P, anneal_strategy=anneal_strategy,
                            div_factor=div, final_div_factor=fdiv, three_phase=bool(three_phase))
        self.max_lr, self.total_steps, self.pct_start = max_lr, T, P
        self.div_factor, self.final_div_factor, self.three_phase = div, fdiv, bool(three_phase)
        self.initial_lr, self.min_lr = initial, final

    @staticmethod
    def phase_ends(total_steps: int, pct_start: float, three_phase: bool, where: str = "one_cycle") -> list[float]:
        """PyTorch ``OneCycleLR``'s phase end steps, checked to make every phase non-empty."""
        T, P = total_steps, pct_start
        e1 = float(P * T) - 1
        if e1 <= 0:
            raise ValueError(
                f"{where}: the warm-up phase is empty: pct_start*total_steps = {P * T:g} must be > 1 "
                f"(got pct_start={P!r}, total_steps={T}); raise pct_start or total_steps")
        if three_phase:
            e2 = float(2 * P * T) - 2
            if not e2 < T - 1:
                raise ValueError(
                    f"{where}: with three_phase=True the warm-up and its mirror (2*pct_start*total_steps"
                    f" - 2 = {e2:g} steps) do not fit in the run (total_steps - 1 = {T - 1}); "
                    "use pct_start < 0.5")
            return [e1, e2, float(T - 1)]
        if not e1 < T - 1:
            raise ValueError(
                f"{where}: the warm-up (pct_start*total_steps - 1 = {e1:g}) is not shorter than the run "
                f"(total_steps - 1 = {T - 1}); use pct_start < 1")
        return [e1, float(T - 1)]

    def momentum(self, base_momentum: float = 0.85, max_momentum: float = 0.95) -> PhaseSchedule:
        """The momentum cycled inversely to the lr (``OneCycleLR(cycle_momentum=True)``): from
        ``max_momentum`` down to ``base_momentum`` at the peak lr and back (held at
        ``max_momentum`` in the third phase). 0 <= base_momentum <= max_momentum < 1."""
        b, m = _momentum_pair("one_cycle.momentum", base_momentum, max_momentum)
        values = [m, b, m, m] if self.three_phase else [m, b, m]
        return PhaseSchedule(self.ends, values, self.anneal_strategy)


def _momentum_pair(where: str, base_momentum: Any, max_momentum: Any) -> tuple[float, float]:
    b = _real(where, "base_momentum", base_momentum, lo=0.0, hi=1.0, hi_open=True)
    m = _real(where, "max_momentum", max_momentum, lo=0.0, hi=1.0, hi_open=True)
    if b > m:
        raise ValueError(f"{where}: base_momentum={b!r} is above max_momentum={m!r}; momentum cycles "
                         "between them, base_momentum <= max_momentum")
    return b, m


def cyclic_scale(mode: str, gamma: float = 1.0,
                 scale_fn: Callable[[float], float] | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """The amplitude scale of :class:`Cyclic` as a function of an array: ``scale_fn`` applied
    element by element, else 1 (``triangular``), 1/2^(x−1) (``triangular2``) or γ^x
    (``exp_range``), with PyTorch ``CyclicLR``'s arithmetic."""
    if scale_fn is not None:  # called on Python numbers, ints where integral (as PyTorch does)
        def custom(x):
            vals = [float(scale_fn(int(v) if float(v).is_integer() else float(v))) for v in np.ravel(x)]
            return np.asarray(vals, dtype=np.float64).reshape(np.shape(x))
        return custom
    if mode == "triangular":
        return np.ones_like
    if mode == "triangular2":
        return lambda x: 1 / (2.0 ** (np.asarray(x, dtype=np.float64) - 1))
    return lambda x: gamma ** np.asarray(x, dtype=np.float64)


def cyclic_shape(t: Any, total_size: float, step_ratio: float,
                 scale: Callable[[np.ndarray], np.ndarray], scale_mode: str) -> tuple[np.ndarray, np.ndarray]:
    """(f, scale) of :class:`Cyclic` at step(s) t: f in [0, 1] the position in the triangle
    (0 at the base, 1 at the peak) and the amplitude scale, on ``cycle`` or on ``t``."""
    t = np.asarray(t, dtype=np.float64)
    cycle = np.floor(1 + t / total_size)
    x = 1.0 + t / total_size - cycle
    r = step_ratio
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(x <= r, x / r, (x - 1) / (r - 1) if r != 1 else 0.0)
    return f, scale(cycle if scale_mode == "cycle" else t)


class Cyclic(Schedule):
    r"""Cyclical learning rates (Smith 2017; PyTorch ``CyclicLR``): triangles between ``base_lr``
    and ``max_lr``, up over ``step_size_up`` steps and down over ``step_size_down``.

    Formula (L = up + down, r = up/L)::

        cycle = ⌊1 + t/L⌋,   x = 1 + t/L − cycle
        f = x/r            if x <= r   else   (x − 1)/(r − 1)
        η_t = base_lr + (max_lr − base_lr)·f·scale(cycle)      (scale_mode 'cycle')
                                           ·scale(t)          (scale_mode 'iterations')

    with scale = 1 (``triangular``), 1/2^(cycle−1) (``triangular2``, by cycle) or γ^t
    (``exp_range``, by iteration), or a custom ``scale_fn``.

    Args:
        base_lr: the lower boundary >= 0.
        max_lr: the upper boundary >= base_lr.
        step_size_up: steps in the rising half, > 0 (default 2000).
        step_size_down: steps in the falling half, >= 0 (default: ``step_size_up``).
        mode: ``'triangular'``, ``'triangular2'`` or ``'exp_range'`` (ignored with ``scale_fn``).
        gamma: γ for ``exp_range``, in (0, 1] (default 1).
        scale_fn: a custom scale, a function of one number with values in [0, 1].
        scale_mode: ``'cycle'`` or ``'iterations'``: what ``scale_fn`` is evaluated on (default
            'cycle'; set by ``mode`` when there is no ``scale_fn``, as in PyTorch).

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import cyclic
        >>> cyclic(base_lr=0.0, max_lr=1.0, step_size_up=2, mode='triangular2').preview(9).tolist()
        [0.0, 0.5, 1.0, 0.5, 0.0, 0.25, 0.5, 0.25, 0.0]
        >>> cyclic(0.0, 1.0, step_size_up=2).momentum(0.8, 0.9).preview(3).round(6).tolist()
        [0.9, 0.85, 0.8]
    """

    name = "cyclic"

    def __init__(self, base_lr: float, max_lr: float, step_size_up: float = 2000,
                 step_size_down: float | None = None, mode: str = "triangular", gamma: float = 1.0,
                 scale_fn: Callable[[float], float] | None = None, scale_mode: str | None = None) -> None:
        w = self.name
        base_lr, max_lr = _lr(w, "base_lr", base_lr), _lr(w, "max_lr", max_lr)
        if base_lr > max_lr:
            raise ValueError(f"{w}: base_lr={base_lr!r} is above max_lr={max_lr!r}; the cycle runs "
                             "between them, base_lr <= max_lr")
        up = _real(w, "step_size_up", step_size_up, lo=0.0, lo_open=True)
        down = up if step_size_down is None else _real(w, "step_size_down", step_size_down, lo=0.0)
        gamma = _real(w, "gamma", gamma, lo=0.0, hi=1.0, lo_open=True)
        if scale_fn is None:
            _choice(w, "mode", mode, ("triangular", "triangular2", "exp_range"))
            scale_mode = "iterations" if mode == "exp_range" else "cycle"
        else:
            if not callable(scale_fn):
                raise TypeError(f"{w}: scale_fn must be a function of one number, got {scale_fn!r}")
            scale_mode = _choice(w, "scale_mode", "cycle" if scale_mode is None else scale_mode,
                                 ("cycle", "iterations"))
        params = dict(base_lr=base_lr, max_lr=max_lr, step_size_up=up, step_size_down=down, mode=mode,
                      gamma=gamma)
        if scale_fn is not None:
            params.update(scale_fn=scale_fn, scale_mode=scale_mode)
        super().__init__(**params)
        self.base_lr, self.max_lr, self.gamma, self.mode = base_lr, max_lr, gamma, mode
        self.step_size_up, self.step_size_down = up, down
        self.scale_fn, self.scale_mode = scale_fn, scale_mode
        self.total_size = up + down
        self.step_ratio = up / self.total_size

    def _shape(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(f, scale): the position in the triangle and the amplitude scale at step t."""
        scale = cyclic_scale(self.mode, self.gamma, self.scale_fn)
        return cyclic_shape(t, self.total_size, self.step_ratio, scale, self.scale_mode)

    def _eval(self, t):
        f, scale = self._shape(t)
        return self.base_lr + (self.max_lr - self.base_lr) * f * scale

    def momentum(self, base_momentum: float = 0.8, max_momentum: float = 0.9) -> Schedule:
        """The momentum cycled inversely (``CyclicLR(cycle_momentum=True)``):
        ``max_m − (max_m − base_m)·f·scale``; 0 <= base_momentum <= max_momentum < 1."""
        b, m = _momentum_pair("cyclic.momentum", base_momentum, max_momentum)
        parent = self

        def fn(t):
            f, scale = parent._shape(t)
            return m - (m - b) * f * scale

        return FunctionSchedule(fn, name="cyclic_momentum", vectorized=True,
                                params=dict(cycle=self, base_momentum=b, max_momentum=m))


class Piecewise(Schedule):
    r"""Piecewise schedule: ``values[k]`` from ``boundaries[k−1]`` on, held constant or
    interpolated (optax ``piecewise_constant_schedule`` / ``piecewise_interpolate_schedule``,
    Keras ``PiecewiseConstantDecay``).

    Formula: with b₋₁ = 0, ``interpolate='constant'``: ``η_t = values[k]`` for
    b_{k−1} <= t < b_k; ``'linear'``/``'cosine'``: on [b_{k−1}, b_k) go from values[k] to
    values[k+1] (reaching values[k+1] at b_k); after the last boundary ``values[-1]``.

    Args:
        boundaries: step counts, strictly increasing, >= 0 (> 0 for interpolation).
        values: ``len(boundaries) + 1`` learning rates >= 0; or give ``lr`` and ``scales``.
        lr: the initial learning rate (with ``scales``).
        scales: one factor per boundary, multiplied in at that boundary (values = cumulative
            products, optax's ``boundaries_and_scales``).
        interpolate: ``'constant'`` (default), ``'linear'`` or ``'cosine'``.

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import piecewise
        >>> piecewise([2, 4], [1.0, 0.5, 0.1]).preview(6).tolist()
        [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
        >>> piecewise([2, 4], lr=1.0, scales=[0.5, 0.5], interpolate='linear').preview(6).tolist()
        [1.0, 0.75, 0.5, 0.375, 0.25, 0.25]

    Note:
        The value changes *at* a boundary (t >= b), as in optax and PyTorch's ``MultiStepLR``;
        Keras' ``PiecewiseConstantDecay`` changes one step later (t > b).
    """

    name = "piecewise"

    def __init__(self, boundaries: Sequence[int], values: Sequence[float] | None = None, *,
                 lr: float | None = None, scales: Sequence[float] | None = None,
                 interpolate: str = "constant") -> None:
        w = self.name
        _choice(w, "interpolate", interpolate, ("constant", "linear", "cosine"))
        b = _sorted_steps(w, "boundaries", boundaries, strict=True, integer=False)
        if interpolate != "constant" and b and b[0] == 0:
            raise ValueError(f"{w}: with interpolate={interpolate!r} the first boundary must be > 0 "
                             f"(the first segment goes from step 0 to it), got {boundaries!r}")
        if values is not None:
            if lr is not None or scales is not None:
                raise ValueError(f"{w}: give values, or lr and scales, not both")
            vals = [_lr(w, f"values[{i}]", v) for i, v in enumerate(values)]
            if len(vals) != len(b) + 1:
                raise ValueError(f"{w}: values must have len(boundaries) + 1 = {len(b) + 1} entries "
                                 f"(one before the first boundary and one after each), got {len(vals)}")
            params = dict(boundaries=b, values=vals)
        else:
            if lr is None or scales is None:
                raise ValueError(f"{w}: give values (len(boundaries) + 1 learning rates), or lr and "
                                 "scales (one factor per boundary)")
            lr = _lr(w, "lr", lr)
            sc = [_real(w, f"scales[{i}]", s, lo=0.0) for i, s in enumerate(scales)]
            if len(sc) != len(b):
                raise ValueError(f"{w}: scales must have one factor per boundary ({len(b)}), got {len(sc)}")
            vals = [lr]
            for s in sc:
                vals.append(vals[-1] * s)
            params = dict(boundaries=b, lr=lr, scales=sc)
        if interpolate != "constant":
            params["interpolate"] = interpolate
        super().__init__(**params)
        self.boundaries, self.values, self.interpolate = b, vals, interpolate

    def _eval(self, t):
        b = np.asarray(self.boundaries, dtype=np.float64)
        v = np.asarray(self.values, dtype=np.float64)
        k = np.searchsorted(b, t, side="right")
        if self.interpolate == "constant" or not len(b):
            return v[k]
        lo = np.concatenate([[0.0], b])[np.minimum(k, len(b))]
        hi = b[np.minimum(k, len(b) - 1)]
        pct = np.clip((t - lo) / np.maximum(hi - lo, 1e-300), 0.0, 1.0)
        start, end = v[np.minimum(k, len(b))], v[np.minimum(k + 1, len(b))]
        kind = "cos" if self.interpolate == "cosine" else "linear"
        out = PhaseSchedule.anneal(kind, start, end, pct)
        return np.where(k >= len(b), v[-1], out)


class FunctionSchedule(Schedule):
    r"""Wrap a plain function ``step -> lr`` as a :class:`Schedule` (to join it with others or
    give it ``preview``).

    Formula: ``η_t = fn(t)``.

    Args:
        fn: a function of one number (or, with ``vectorized=True``, of a float64 array).
        name: the name shown by ``repr`` (default: the function's name).
        vectorized: ``fn`` accepts and returns arrays.
        params: parameters to show in ``repr``.

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import FunctionSchedule
        >>> FunctionSchedule(lambda t: 0.1 / (1 + t)).preview(3).tolist()
        [0.1, 0.05, 0.03333333333333333]
    """

    def __init__(self, fn: Callable[[Any], float], name: str | None = None, *, vectorized: bool = False,
                 params: dict | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"FunctionSchedule: fn must be a function step -> lr, got {fn!r}")
        super().__init__(**(params if params is not None else {}))
        self.fn, self.vectorized = fn, vectorized
        self.name = name or getattr(fn, "__name__", "function")

    def _eval(self, t):
        if self.vectorized:
            return self.fn(t)
        return np.asarray([float(self.fn(int(v) if float(v).is_integer() else float(v)))
                           for v in t.ravel()]).reshape(t.shape)


class Join(Schedule):
    r"""Run schedules one after another (optax ``join_schedules``; PyTorch ``SequentialLR``):
    schedule k takes over at ``boundaries[k−1]`` and sees the steps counted from there.

    Formula: ``η_t = s_k(t − b_{k−1})`` for b_{k−1} <= t < b_k (b₋₁ = 0).

    Args:
        schedules: the schedules (Schedules or plain functions ``step -> lr``).
        boundaries: ``len(schedules) − 1`` step counts, strictly increasing, > 0.

    Shape:
        scalar or array of steps in, same shape out.

    Example:
        >>> from losslab.optim.schedules import join, linear, exponential
        >>> s = join([linear(0.0, 1.0, 2), exponential(1.0, 0.5)], boundaries=[2])
        >>> s.preview(5).tolist()
        [0.0, 0.5, 1.0, 0.5, 0.25]
    """

    name = "join"

    def __init__(self, schedules: Sequence[Any], boundaries: Sequence[int]) -> None:
        w = self.name
        if isinstance(schedules, Schedule) or not hasattr(schedules, "__iter__"):
            raise TypeError(f"{w}: schedules must be a list of schedules, got {schedules!r}")
        scheds = []
        for i, s in enumerate(schedules):
            if isinstance(s, Schedule):
                scheds.append(s)
            elif callable(s):
                scheds.append(FunctionSchedule(s))
            else:
                raise TypeError(f"{w}: schedules[{i}] must be a Schedule or a function step -> lr, got {s!r}")
        if not scheds:
            raise ValueError(f"{w}: schedules is empty; give at least one schedule")
        b = _sorted_steps(w, "boundaries", boundaries, strict=True)
        if len(b) != len(scheds) - 1:
            raise ValueError(f"{w}: expected len(schedules) - 1 = {len(scheds) - 1} boundaries, got {len(b)}")
        if b and b[0] == 0:
            raise ValueError(f"{w}: boundaries must be > 0 (a boundary at 0 would skip schedules[0]), got {b!r}")
        super().__init__(schedules=scheds, boundaries=b)
        self.schedules, self.boundaries = scheds, b

    def _eval(self, t):
        bounds = [0] + self.boundaries
        k = np.searchsorted(np.asarray(self.boundaries, dtype=np.float64), t, side="right")
        out = np.empty_like(t)
        for i, s in enumerate(self.schedules):
            sel = k == i
            if np.any(sel):
                out[sel] = np.asarray(s._eval(t[sel] - bounds[i]), dtype=np.float64)
        return out


# lower-case builders (the names used by SCHEDULES, the CLI and ``repr``)
constant = Constant
step = StepDecay
multistep = MultiStepDecay
exponential = ExponentialDecay
inverse_time = InverseTimeDecay
polynomial = PolynomialDecay
linear = Linear
cosine = CosineDecay
cosine_with_warm_restarts = CosineWarmRestarts
sgdr = CosineWarmRestarts
warmup_cosine = WarmupCosine
one_cycle = OneCycle
cyclic = Cyclic
piecewise = Piecewise
join = Join


# ---------------------------------------------------------------------------------------------
# registry and CLI construction
# ---------------------------------------------------------------------------------------------
class _Required:
    def __repr__(self) -> str:
        return "<required>"


REQUIRED = _Required()


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a schedule as the CLI sees it.

    Args:
        kind: ``'float'``, ``'int'``, ``'bool'``, ``'str'``, ``'floats'`` or ``'ints'`` (lists are
            written comma-separated: ``30,60,90``), or ``'float?'`` (a float or ``none``).
        default: the default, or ``REQUIRED``.
        help: one line for ``--help``.
    """

    kind: str
    default: Any = REQUIRED
    help: str = ""


@dataclass(frozen=True)
class ScheduleInfo:
    """A schedule in ``SCHEDULES``: its builder, its parameters, a summary and its PyTorch
    counterpart."""

    name: str
    builder: Callable[..., Schedule]
    params: dict[str, ParamSpec]
    summary: str
    torch_equivalent: str | None = None
    cli: bool = True
    aliases: tuple[str, ...] = field(default_factory=tuple)


_LR = ParamSpec("float", REQUIRED, "learning rate (>= 0)")
SCHEDULES: dict[str, ScheduleInfo] = {
    "constant": ScheduleInfo("constant", Constant, {"lr": _LR}, "constant learning rate", None),
    "step": ScheduleInfo("step", StepDecay, {
        "lr": _LR, "step_size": ParamSpec("int", REQUIRED, "decay period in steps"),
        "gamma": ParamSpec("float", 0.1, "decay factor")}, "decay by gamma every step_size steps", "StepLR"),
    "multistep": ScheduleInfo("multistep", MultiStepDecay, {
        "lr": _LR, "milestones": ParamSpec("ints", REQUIRED, "sorted steps, e.g. 30,60,90"),
        "gamma": ParamSpec("float", 0.1, "decay factor")}, "decay by gamma at each milestone",
        "MultiStepLR", aliases=("multi_step",)),
    "exponential": ScheduleInfo("exponential", ExponentialDecay, {
        "lr": _LR, "gamma": ParamSpec("float", REQUIRED, "decay factor per decay_steps"),
        "decay_steps": ParamSpec("int", 1, "steps per factor gamma"),
        "staircase": ParamSpec("bool", False, "decay in whole periods")},
        "exponential decay lr*gamma^(t/decay_steps)", "ExponentialLR"),
    "inverse_time": ScheduleInfo("inverse_time", InverseTimeDecay, {
        "lr": _LR, "decay_rate": ParamSpec("float", REQUIRED, "r in lr/(1 + r t/decay_steps)"),
        "decay_steps": ParamSpec("int", 1, "steps per unit of decay"),
        "staircase": ParamSpec("bool", False, "decay in whole periods")},
        "inverse-time decay lr/(1 + r t/decay_steps)", "LambdaLR"),
    "polynomial": ScheduleInfo("polynomial", PolynomialDecay, {
        "lr": _LR, "total_steps": ParamSpec("int", REQUIRED, "decay length"),
        "power": ParamSpec("float", 1.0, "polynomial power"),
        "end_lr": ParamSpec("float", 0.0, "final learning rate")},
        "polynomial decay to end_lr over total_steps", "PolynomialLR"),
    "linear": ScheduleInfo("linear", Linear, {
        "start_lr": ParamSpec("float", REQUIRED, "first learning rate"),
        "end_lr": ParamSpec("float", REQUIRED, "last learning rate"),
        "total_steps": ParamSpec("int", REQUIRED, "length of the change"),
        "begin": ParamSpec("int", 0, "step at which the change starts")},
        "linear change (warm-up or decay)", "LinearLR"),
    "cosine": ScheduleInfo("cosine", CosineDecay, {
        "lr": _LR, "total_steps": ParamSpec("int", REQUIRED, "decay length (T_max)"),
        "eta_min": ParamSpec("float?", None, "final learning rate (<= lr)"),
        "alpha": ParamSpec("float?", None, "eta_min as a fraction of lr"),
        "exponent": ParamSpec("float", 1.0, "exponent of the cosine factor"),
        "periodic": ParamSpec("bool", False, "continue the cosine past total_steps (PyTorch)")},
        "cosine annealing to eta_min", "CosineAnnealingLR"),
    "cosine_with_warm_restarts": ScheduleInfo("cosine_with_warm_restarts", CosineWarmRestarts, {
        "lr": _LR, "T_0": ParamSpec("int", REQUIRED, "first cycle length (>= 1)"),
        "T_mult": ParamSpec("int", 1, "cycle length factor (>= 1)"),
        "eta_min": ParamSpec("float", 0.0, "lowest learning rate")},
        "cosine annealing with warm restarts (SGDR)", "CosineAnnealingWarmRestarts",
        aliases=("sgdr", "warm_restarts")),
    "warmup_cosine": ScheduleInfo("warmup_cosine", WarmupCosine, {
        "lr": _LR, "warmup_steps": ParamSpec("int", REQUIRED, "warm-up length"),
        "total_steps": ParamSpec("int", REQUIRED, "run length including the warm-up"),
        "start_lr": ParamSpec("float", 0.0, "learning rate at step 0"),
        "eta_min": ParamSpec("float", 0.0, "final learning rate"),
        "exponent": ParamSpec("float", 1.0, "exponent of the cosine factor")},
        "linear warm-up then cosine decay", "SequentialLR(LinearLR, CosineAnnealingLR)"),
    "one_cycle": ScheduleInfo("one_cycle", OneCycle, {
        "max_lr": ParamSpec("float", REQUIRED, "peak learning rate"),
        "total_steps": ParamSpec("int", REQUIRED, "run length"),
        "pct_start": ParamSpec("float", 0.3, "fraction of the run spent rising"),
        "anneal_strategy": ParamSpec("str", "cos", "cos or linear"),
        "div_factor": ParamSpec("float", 25.0, "initial lr = max_lr/div_factor"),
        "final_div_factor": ParamSpec("float", 1e4, "final lr = initial lr/final_div_factor"),
        "three_phase": ParamSpec("bool", False, "the paper's three phases")},
        "1cycle policy", "OneCycleLR", aliases=("onecycle", "1cycle")),
    "cyclic": ScheduleInfo("cyclic", Cyclic, {
        "base_lr": ParamSpec("float", REQUIRED, "lower boundary"),
        "max_lr": ParamSpec("float", REQUIRED, "upper boundary"),
        "step_size_up": ParamSpec("float", 2000, "steps in the rising half"),
        "step_size_down": ParamSpec("float?", None, "steps in the falling half"),
        "mode": ParamSpec("str", "triangular", "triangular, triangular2 or exp_range"),
        "gamma": ParamSpec("float", 1.0, "exp_range factor per step")},
        "cyclical learning rates", "CyclicLR"),
    "piecewise": ScheduleInfo("piecewise", Piecewise, {
        "boundaries": ParamSpec("floats", REQUIRED, "steps, e.g. 100,200"),
        "values": ParamSpec("floats", None, "len(boundaries)+1 learning rates"),
        "lr": ParamSpec("float?", None, "initial lr (with scales)"),
        "scales": ParamSpec("floats", None, "factor per boundary (with lr)"),
        "interpolate": ParamSpec("str", "constant", "constant, linear or cosine")},
        "piecewise constant or interpolated", "MultiStepLR"),
    "join": ScheduleInfo("join", Join, {
        "schedules": ParamSpec("schedules", REQUIRED, "list of Schedules (Python only)"),
        "boundaries": ParamSpec("ints", REQUIRED, "steps at which the next schedule takes over")},
        "schedules one after another", "SequentialLR", cli=False),
}

_ALIASES = {a: name for name, info in SCHEDULES.items() for a in info.aliases}


def _parse(name: str, key: str, spec: ParamSpec, raw: Any) -> Any:
    """Convert one CLI string to the parameter's type (non-strings are passed through)."""
    if not isinstance(raw, str):
        return raw
    s = raw.strip()
    where = f"schedule {name!r}: parameter {key}"
    kind = spec.kind
    if kind == "float?":
        if s.lower() in ("none", "null", ""):
            return None
        kind = "float"
    try:
        if kind == "float":
            return float(s)
        if kind == "int":
            try:
                return int(s)
            except ValueError:
                f = float(s)
                if f.is_integer():
                    return int(f)
                raise
        if kind == "bool":
            low = s.lower()
            if low in ("1", "true", "yes", "on", "y"):
                return True
            if low in ("0", "false", "no", "off", "n"):
                return False
            raise ValueError(s)
        if kind in ("floats", "ints"):
            if s.lower() in ("none", ""):
                return None
            items = [p for p in s.strip("[]() ").replace(";", ",").split(",") if p.strip()]
            conv = float if kind == "floats" else (lambda p: _parse(name, key, ParamSpec("int"), p))
            return [conv(p.strip()) for p in items]
        return s
    except ValueError:
        expected = {"float": "a number", "int": "an integer", "bool": "true or false",
                    "floats": "comma-separated numbers (e.g. 100,200)",
                    "ints": "comma-separated integers (e.g. 30,60,90)"}.get(kind, kind)
        raise ValueError(f"{where}: cannot read {raw!r} as {expected}") from None


def schedule_from_cli(name: str, params: dict[str, Any] | None = None) -> Schedule:
    r"""Build a schedule by name from string parameters (the ``losslab schedule NAME`` command).

    Args:
        name: a key of ``SCHEDULES`` (or an alias such as ``sgdr``, ``onecycle``); ``-`` and
            ``_`` are interchangeable, case is ignored.
        params: parameter name → value, values as strings (``"0.1"``, ``"30,60,90"``,
            ``"true"``) or already typed; ``-`` in names is read as ``_``.

    Returns:
        the :class:`Schedule`.

    Raises:
        ValueError: unknown schedule or parameter (the accepted ones are listed), a missing
            required parameter, a value that cannot be read, or a configuration the schedule
            rejects.

    Example:
        >>> from losslab.optim.schedules import schedule_from_cli
        >>> schedule_from_cli('multistep', {'lr': '0.1', 'milestones': '2,4'}).preview(5).tolist()
        [0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.0010000000000000002]
    """
    if not isinstance(name, str):
        raise TypeError(f"schedule name must be a string, got {name!r}")
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in SCHEDULES:
        buildable = [n for n, i in SCHEDULES.items() if i.cli] + list(_ALIASES)
        close = difflib.get_close_matches(key, buildable, n=3)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"unknown schedule {name!r}.{hint} Known schedules: {', '.join(SCHEDULES)}")
    info = SCHEDULES[key]
    if not info.cli:
        raise ValueError(f"schedule {key!r} takes other schedules as arguments and cannot be built "
                         "from the command line; use losslab.optim.schedules.join in Python")
    given: dict[str, Any] = {}
    lower = {p.lower(): p for p in info.params}
    for k, v in (params or {}).items():
        kk = str(k).strip().lstrip("-").replace("-", "_")
        kk = kk if kk in info.params else lower.get(kk.lower(), kk)
        if kk not in info.params:
            close = difflib.get_close_matches(kk, list(info.params), n=2)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            raise ValueError(f"schedule {key!r} has no parameter {k!r}.{hint} "
                             f"Its parameters: {', '.join(info.params)}")
        given[kk] = _parse(key, kk, info.params[kk], v)
    missing = [p for p, spec in info.params.items() if spec.default is REQUIRED and p not in given]
    if missing:
        raise ValueError(f"schedule {key!r} needs {', '.join(missing)} "
                         f"(parameters: {', '.join(f'{p}={s.kind}' for p, s in info.params.items())})")
    return info.builder(**given)
