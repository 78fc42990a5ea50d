r"""PyTorch's learning-rate schedulers (``torch.optim.lr_scheduler``, 2.13) on losslab optimizers.

A scheduler owns an optimizer and rewrites ``group['lr']`` of each param group every time its
``step()`` is called (once per epoch, or per batch for ``CyclicLR``/``OneCycleLR``), after
``optimizer.step()``::

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = CosineAnnealingLR(opt, T_max=100)
    for epoch in range(100):
        train_one_epoch(opt)          # calls opt.step()
        sched.step()

The classes are thin adapters over the pure schedules of :mod:`losslab.optim.schedules` where the
maths allows: the closed forms (``step(epoch)``, ``SequentialLR``'s switch) and the
non-chainable schedulers (``LambdaLR``, ``CosineAnnealingWarmRestarts``, ``CyclicLR``,
``OneCycleLR``, ``ScheduleLR``) evaluate a schedule, while the *chainable* ones (``StepLR``,
``MultiStepLR``, ``ConstantLR``, ``LinearLR``, ``ExponentialLR``, ``PolynomialLR``,
``CosineAnnealingLR``, ``MultiplicativeLR``) update the current ``group['lr']`` with PyTorch's
recursive formulas, so that two of them on one optimizer (``ChainedScheduler``) compose exactly as
in PyTorch. The learning-rate (and momentum) sequences equal PyTorch's, bit for bit in the tests
(300 steps of every class, chained and sequential ones included).

Also: PyTorch's warning when ``scheduler.step()`` is called before ``optimizer.step()`` (detected as
PyTorch does, by wrapping ``optimizer.step``), ``state_dict()``/``load_state_dict()`` with PyTorch's
keys (a state dict saved by PyTorch loads), and :func:`preview` to see a scheduler's sequence
without training.
"""
from __future__ import annotations

import math
import numbers
import types
import warnings
import weakref
from bisect import bisect_right
from collections import Counter
from functools import wraps
from typing import Any, Callable, Sequence

import numpy as np

from ..autograd import Tensor, no_grad
from . import schedules as S
from .optimizer import Optimizer

__all__ = [
    "LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
    "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR",
    "OneCycleLR", "ReduceLROnPlateau", "SequentialLR", "ChainedScheduler", "ScheduleLR", "preview",
    "EPOCH_DEPRECATION_WARNING",
]

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where "
    "possible. Please use `scheduler.step()` to step the scheduler. During the deprecation, if "
    "epoch is different from None, the closed form is used instead of the new chainable form, "
    "where available."
)

_ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, "
    "you should call them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  "
    "Failure to do this will result in PyTorch skipping the first value of the learning rate "
    "schedule. See more details at https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)

_OVERRIDE_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before `lr_scheduler.step()`. "
    "See more details at https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _num(v: Any) -> float:
    """A learning rate (float or 1-element Tensor) as a float."""
    return float(v.item()) if isinstance(v, Tensor) else float(v)


def _copy_val(v: Any) -> Any:
    """Copy a group value so that it never aliases the group's (Tensors are cloned)."""
    if isinstance(v, Tensor):
        return Tensor(np.array(v.data, copy=True))
    return v


def _copy_state(v: Any) -> Any:
    if isinstance(v, Tensor):
        return _copy_val(v)
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, Counter):
        return Counter(v)
    if isinstance(v, dict):
        return {k: _copy_state(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy_state(x) for x in v]
    if isinstance(v, tuple):
        return tuple(_copy_state(x) for x in v)
    return v


def _group_values(optimizer: Optimizer, key: str) -> list:
    return [_copy_val(g[key]) for g in optimizer.param_groups]


def _set_group_value(group: dict, key: str, value: Any) -> None:
    """Set ``group[key]``; a Tensor learning rate is filled in place (it is never replaced)."""
    cur = group.get(key)
    if isinstance(cur, Tensor):
        with no_grad():
            cur.fill_(_num(value))
    else:
        group[key] = _num(value)


def _check_optimizer(optimizer: Any, who: str) -> None:
    """The optimizer is a losslab Optimizer whose param groups all have a numeric 'lr'."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{who}: expected a losslab.optim.Optimizer, got {type(optimizer).__name__} "
                        f"({optimizer!r:.80})")
    for i, g in enumerate(optimizer.param_groups):
        if "lr" not in g:
            keys = sorted(k for k in g if k != "params")
            raise ValueError(
                f"{who}: optimizer.param_groups[{i}] has no 'lr' (its options are {keys}); a "
                f"learning-rate scheduler sets group['lr'], so {type(optimizer).__name__} must be an "
                "optimizer with a learning rate")
        lr = g["lr"]
        if not (isinstance(lr, Tensor) or S._is_real(lr)):
            raise TypeError(f"{who}: optimizer.param_groups[{i}]['lr'] must be a number or a "
                            f"1-element Tensor, got {lr!r}")


def _format_param(who: str, name: str, optimizer: Optimizer, value: Any) -> list:
    """One value per param group: a list/tuple of that length, or one value repeated."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{who}: {name} must have one value per param group ({n}), got "
                             f"{len(value)}: {value!r}")
        return [_copy_val(v) for v in value]
    return [_copy_val(value)] * n


def _last_epoch(who: str, last_epoch: Any) -> int:
    v = S._int(who, "last_epoch", last_epoch)
    if v < -1:
        raise ValueError(f"{who}: last_epoch must be -1 (start) or the index of the last epoch "
                         f"(>= 0) when resuming, got {v}")
    return v


def _base_candidates(optimizer: Optimizer, last_epoch: int) -> list[float]:
    """The base lrs LRScheduler.__init__ will use (for checks made before it runs)."""
    return [_num(g.get("initial_lr", g["lr"])) for g in optimizer.param_groups]


def _patch_optimizer_step(optimizer: Optimizer) -> None:
    """Wrap ``optimizer.step`` (on the instance) so that it records that it was called, and how
    often (``optimizer._opt_called``, ``optimizer._opt_step_count``): PyTorch's detection of
    ``scheduler.step()`` before ``optimizer.step()`` (pytorch/pytorch#20124)."""
    step = optimizer.step
    if getattr(step, "_wrapped_by_lr_sched", False):
        return
    opt_ref = weakref.ref(optimizer)
    func = getattr(step, "__func__", None) if getattr(step, "__self__", None) is optimizer else None

    @wraps(step)
    def wrapper(*args, **kwargs):
        opt = opt_ref()
        opt._opt_called = True
        opt._opt_step_count = getattr(opt, "_opt_step_count", 0) + 1
        if func is not None:
            return func(opt, *args, **kwargs)
        return step(*args, **kwargs)

    wrapper._wrapped_by_lr_sched = True  # type: ignore[attr-defined]
    optimizer.step = wrapper  # type: ignore[method-assign]


class _GetLrCall:
    def __init__(self, sched: "LRScheduler") -> None:
        self.sched = sched

    def __enter__(self):
        self.sched._get_lr_called_within_step = True

    def __exit__(self, *exc):
        self.sched._get_lr_called_within_step = False


class _InitialMode:
    def __init__(self, sched: "LRScheduler") -> None:
        self.sched = sched

    def __enter__(self):
        self.sched._is_initial = True

    def __exit__(self, *exc):
        self.sched._is_initial = False


def _warn_get_lr(sched: "LRScheduler") -> None:
    if not sched._get_lr_called_within_step:
        warnings.warn("To get the last learning rate computed by the scheduler, please use "
                      "`get_last_lr()`.", UserWarning, stacklevel=3)


# ---------------------------------------------------------------------------------------------
# base class
# ---------------------------------------------------------------------------------------------
class LRScheduler:
    r"""Base class of the learning-rate schedulers (``torch.optim.lr_scheduler.LRScheduler``).

    On construction it records ``group['initial_lr']`` (= the current lr, unless already set) as
    ``base_lrs``, wraps ``optimizer.step`` to detect a wrong call order, and takes the initial
    step (``last_epoch`` −1 → 0, setting the lr of epoch 0). Each ``step()`` then advances
    ``last_epoch`` and writes ``get_lr()`` into the param groups.

    Formula: ``η_t = get_lr()`` at ``t = last_epoch``, defined by the subclass.

    Args:
        optimizer: a losslab optimizer whose param groups have ``'lr'``.
        last_epoch: −1 to start; the index of the last epoch to resume (then every group needs
            ``'initial_lr'``, e.g. from the optimizer's saved state).

    Shape:
        one learning rate per param group: ``get_last_lr()`` is a list of ``len(param_groups)``.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import SGD
        >>> from losslab.optim.lr_scheduler import StepLR
        >>> opt = SGD([ll.zeros(2, requires_grad=True)], lr=1.0)
        >>> sched = StepLR(opt, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(sched.get_last_lr()[0]); opt.step(); sched.step()
        >>> lrs
        [1.0, 1.0, 0.5, 0.5, 0.25]

    Note:
        * An optimizer whose groups have no ``'lr'`` raises ``ValueError`` (PyTorch: ``KeyError``).
        * ``state_dict()`` holds PyTorch's keys (copies, not references); ``load_state_dict``
          refuses a dict with missing or unknown keys (PyTorch updates ``__dict__`` blindly).
        * Hyperparameters are checked with clear errors where PyTorch accepts values that cannot
          be meant (each class's Note lists them).
    """

    _get_lr_called_within_step: bool = False
    _is_initial: bool = False
    #: attributes left out of ``state_dict()`` (the optimizer, functions, derived objects).
    _state_exclude: tuple[str, ...] = ("optimizer",)

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        who = type(self).__name__
        _check_optimizer(optimizer, who)
        last_epoch = _last_epoch(who, last_epoch)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", _copy_val(group["lr"]))
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ValueError(
                        f"{who}: param 'initial_lr' is not specified in param_groups[{i}] when "
                        f"resuming with last_epoch={last_epoch}; load the optimizer's state dict "
                        "(which holds it) first, or start with last_epoch=-1")
        self.base_lrs: list = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        _patch_optimizer_step(optimizer)
        self._initial_step()

    def _initial_step(self) -> None:
        """Reset the step count and take the initial step (sets the lr of epoch 0)."""
        self._step_count = 0
        with _InitialMode(self):
            self.step()

    # -- state ----------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state: every attribute but the optimizer (and functions), copied.

        Example:
            >>> import losslab as ll
            >>> from losslab.optim import SGD
            >>> from losslab.optim.lr_scheduler import ExponentialLR
            >>> sched = ExponentialLR(SGD([ll.zeros(1, requires_grad=True)], lr=1.0), gamma=0.5)
            >>> sorted(sched.state_dict())
            ['_get_lr_called_within_step', '_is_initial', '_last_lr', '_step_count', 'base_lrs', 'gamma', 'last_epoch']
        """
        return {k: _copy_state(v) for k, v in self.__dict__.items() if k not in self._state_exclude}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state made by ``state_dict()`` (of this class; PyTorch's loads too).

        Raises:
            TypeError: ``state_dict`` is not a dict.
            ValueError: keys are missing or unknown (a state dict of another scheduler class).
        """
        self._check_keys(state_dict)
        self.__dict__.update(_copy_state(state_dict))

    def _check_keys(self, state_dict: Any, own: set | None = None) -> None:
        who = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"{who}.load_state_dict: expected a dict from state_dict(), got "
                            f"{type(state_dict).__name__}")
        own = set(self.state_dict()) if own is None else own
        optional = {"_get_lr_called_within_step", "_is_initial"}
        missing = sorted(own - set(state_dict) - optional)
        unknown = sorted(set(state_dict) - own - optional)
        if missing or unknown:
            raise ValueError(
                f"{who}.load_state_dict: the state dict does not belong to a {who}"
                + (f"; missing keys {missing}" if missing else "")
                + (f"; unknown keys {unknown}" if unknown else ""))

    # -- learning rates ----------------------------------------------------------------------
    def get_last_lr(self) -> list:
        """The learning rates set by the last ``step()`` (one per param group, copies).

        Example:
            >>> import losslab as ll
            >>> from losslab.optim import SGD
            >>> from losslab.optim.lr_scheduler import ConstantLR
            >>> ConstantLR(SGD([ll.zeros(1, requires_grad=True)], lr=0.3), factor=0.5).get_last_lr()
            [0.15]
        """
        return [_copy_val(v) for v in self._last_lr]

    def get_lr(self) -> list:
        """Compute the learning rates of the step being taken (called by ``step()``; to read the
        current ones use ``get_last_lr()``)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr()")

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or jump to ``epoch``, deprecated as in PyTorch) and set the lrs.

        Args:
            epoch: deprecated; if given, ``last_epoch`` is set to it and the closed form is used
                where the class has one (with PyTorch's deprecation warning).

        Note:
            Call it after ``optimizer.step()``; the other order skips the first learning rate
            and warns, as in PyTorch.
        """
        if self._step_count == 1:
            if not getattr(self.optimizer.step, "_wrapped_by_lr_sched", False):
                warnings.warn(_OVERRIDE_WARNING, UserWarning, stacklevel=2)
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(_ORDER_WARNING, UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        with _GetLrCall(self):
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed = getattr(self, "_get_closed_form_lr", None)
                values = closed() if closed is not None else self.get_lr()
        groups = self.optimizer.param_groups
        if len(values) != len(groups):
            raise RuntimeError(f"{type(self).__name__}: {len(values)} learning rates for "
                               f"{len(groups)} param groups (a group was added after the scheduler "
                               "was made?)")
        for group, lr in zip(groups, values):
            _set_group_value(group, "lr", lr)
        self._last_lr = _group_values(self.optimizer, "lr")

    def _current(self) -> list[float]:
        return [_num(g["lr"]) for g in self.optimizer.param_groups]

    def __repr__(self) -> str:
        skip = {"optimizer", "base_lrs", "last_epoch", "_last_lr", "_step_count", "_is_initial",
                "_get_lr_called_within_step"}
        args = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items()
                         if k not in skip and not k.startswith("_") and not callable(v))
        return f"{type(self).__name__}({args}{', ' if args else ''}last_epoch={self.last_epoch})"


def _check_factor_lrs(who: str, lrs: list[float], what: str) -> None:
    for i, v in enumerate(lrs):
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"{who}: {what} gave lr={v!r} for param group {i}; learning rates must "
                             "be finite and >= 0")


# ---------------------------------------------------------------------------------------------
# function-driven schedulers
# ---------------------------------------------------------------------------------------------
class _LambdaBase(LRScheduler):
    _state_exclude = ("optimizer", "lr_lambdas")

    def _set_lambdas(self, optimizer: Optimizer, lr_lambda: Any) -> None:
        who = type(self).__name__
        _check_optimizer(optimizer, who)
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"{who}: expected {n} lr_lambdas (one per param group), got {len(lr_lambda)}")
            lambdas = list(lr_lambda)
        else:
            lambdas = [lr_lambda] * n
        for i, fn in enumerate(lambdas):
            if not callable(fn):
                raise TypeError(f"{who}: lr_lambda must be a function of the epoch, got "
                                f"{type(fn).__name__} ({fn!r:.60})" + (f" at index {i}" if n > 1 else ""))
        self.lr_lambdas = lambdas

    def state_dict(self) -> dict[str, Any]:
        """The state; each ``lr_lambda`` is saved as None (a function or lambda) or as the
        ``__dict__`` of a callable object, as in PyTorch."""
        sd = super().state_dict()
        sd["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else _copy_state(vars(fn))
                            if hasattr(fn, "__dict__") else None for fn in self.lr_lambdas]
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state; saved callable-object lambdas get their ``__dict__`` back."""
        self._check_keys(state_dict)
        sd = dict(state_dict)
        lambdas = sd.pop("lr_lambdas")
        self.__dict__.update(_copy_state(sd))
        for fn, saved in zip(self.lr_lambdas, lambdas):
            if saved is not None:
                fn.__dict__.update(_copy_state(saved))


class LambdaLR(_LambdaBase):
    r"""Set each group's lr to its initial lr times a function of the epoch
    (``torch.optim.lr_scheduler.LambdaLR``).

    Formula: ``η_t = η_base · λ(t)``.

    Args:
        optimizer: the optimizer.
        lr_lambda: a function ``epoch -> factor``, or a list with one per param group.
        last_epoch: −1 to start (see :class:`LRScheduler`).

    Shape:
        one lr per param group.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import SGD
        >>> from losslab.optim.lr_scheduler import LambdaLR, preview
        >>> preview(lambda opt: LambdaLR(opt, lambda t: 1 / (1 + t)), 4, lr=1.0).tolist()
        [1.0, 0.5, 0.3333333333333333, 0.25]

    Note:
        A factor that makes an lr negative or not finite raises ``ValueError`` (PyTorch sets it).
        Not chainable: it ignores changes made to ``group['lr']`` by others.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence[Callable],
                 last_epoch: int = -1) -> None:
        self._set_lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        _warn_get_lr(self)
        lrs = [_num(base) * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]
        _check_factor_lrs(type(self).__name__, [float(v) for v in lrs], f"lr_lambda at epoch {self.last_epoch}")
        return lrs


class MultiplicativeLR(_LambdaBase):
    r"""Multiply each group's lr by a function of the epoch at every step
    (``torch.optim.lr_scheduler.MultiplicativeLR``).

    Formula: ``η_t = η_{t−1} · λ(t)`` (η_0 = the current lr).

    Args:
        optimizer: the optimizer.
        lr_lambda: a function ``epoch -> factor``, or one per param group.
        last_epoch: −1 to start.

    Shape:
        one lr per param group.

    Example:
        >>> from losslab.optim.lr_scheduler import MultiplicativeLR, preview
        >>> preview(lambda opt: MultiplicativeLR(opt, lambda t: 0.5), 4, lr=1.0).tolist()
        [1.0, 0.5, 0.25, 0.125]

    Note:
        Chainable. A factor that makes an lr negative or not finite raises ``ValueError``.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence[Callable],
                 last_epoch: int = -1) -> None:
        self._set_lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        _warn_get_lr(self)
        if self._is_initial:
            return self._current()
        lrs = [lr * fn(self.last_epoch) for fn, lr in zip(self.lr_lambdas, self._current())]
        _check_factor_lrs(type(self).__name__, [float(v) for v in lrs], f"lr_lambda at epoch {self.last_epoch}")
        return lrs


# ---------------------------------------------------------------------------------------------
# chainable decays (PyTorch's recursive forms; closed forms from schedules)
# ---------------------------------------------------------------------------------------------
class StepLR(LRScheduler):
    r"""Decay each group's lr by ``gamma`` every ``step_size`` epochs
    (``torch.optim.lr_scheduler.StepLR``; pure form :func:`schedules.step`).

    Formula: recursive ``η_t = γ·η_{t−1}`` when t > 0 and t mod step_size = 0, else ``η_{t−1}``;
    alone this is ``η_base·γ^⌊t/step_size⌋``.

    Args:
        optimizer: the optimizer.
        step_size: the period, an integer >= 1.
        gamma: the factor γ >= 0 (default 0.1).
        last_epoch: −1 to start.

    Shape:
        one lr per param group.

    Example:
        >>> from losslab.optim.lr_scheduler import StepLR, preview
        >>> preview(lambda opt: StepLR(opt, step_size=2, gamma=0.1), 5, lr=1.0).tolist()
        [1.0, 1.0, 0.1, 0.1, 0.010000000000000002]

    Note:
        ``step_size < 1`` raises ``ValueError`` (PyTorch divides by zero on the next step).
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        who = type(self).__name__
        self.step_size = S._int(who, "step_size", step_size, lo=1)
        self.gamma = S._real(who, "gamma", gamma, lo=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        _warn_get_lr(self)
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def _get_closed_form_lr(self) -> list[float]:
        return [S.step(_num(b), self.step_size, self.gamma)(max(self.last_epoch, 0)) for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    r"""Decay each group's lr by ``gamma`` at each milestone
    (``torch.optim.lr_scheduler.MultiStepLR``; pure form :func:`schedules.multistep`).

    Formula: recursive ``η_t = γ^c·η_{t−1}`` where c = how many times t is a milestone; alone
    ``η_base·γ^(#milestones <= t)``.

    Args:
        optimizer: the optimizer.
        milestones: epoch indices, sorted in increasing order (a repeated one counts twice).
        gamma: the factor γ >= 0 (default 0.1).
        last_epoch: −1 to start.

    Shape:
        one lr per param group.

    Example:
        >>> from losslab.optim.lr_scheduler import MultiStepLR, preview
        >>> preview(lambda opt: MultiStepLR(opt, milestones=[1, 3], gamma=0.5), 5, lr=1.0).tolist()
        [1.0, 0.5, 0.5, 0.25, 0.25]

    Note:
        Unsorted milestones raise ``ValueError`` (PyTorch accepts them in any order).
        ``milestones`` is kept as a ``Counter``, as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        who = type(self).__name__
        self.milestones = Counter(S._sorted_steps(who, "milestones", milestones, strict=False))
        self.gamma = S._real(who, "gamma", gamma, lo=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        _warn_get_lr(self)
        if self.last_epoch not in self.milestones:
            return self._current()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._current()]

    def _get_closed_form_lr(self) -> list[float]:
        ms = sorted(self.milestones.elements())
        return [S.multistep(_num(b), ms, self.gamma)(max(self.last_epoch, 0)) for b in self.base_lrs]


class ConstantLR(LRScheduler):
    r"""Multiply each group's lr by ``factor`` until epoch ``total_iters``
    (``torch.optim.lr_scheduler.ConstantLR``; pure form :func:`schedules.piecewise`).

    Formula: recursive ``η_0 = factor·η``, ``η_t = η_{t−1}/factor`` at t = total_iters, otherwise
    unchanged; alone ``η_base·factor`` for t < total_iters and ``η_base`` after.

    Args:
        optimizer: the optimizer.
        factor: in [0, 1] (default 1/3).
        total_iters: epochs with the reduced lr, an integer >= 0 (default 5).
        last_epoch: −1 to start.

    Shape:
        one lr per param group.

    Example:
        >>> from losslab.optim.lr_scheduler import ConstantLR, preview
        >>> preview(lambda opt: ConstantLR(opt, factor=0.5, total_iters=2), 4, lr=1.0).tolist()
        [0.5, 0.5, 1.0, 1.0]

    Note:
        With ``factor=0`` the lr at ``total_iters`` is restored from the base lr (PyTorch divides
        by zero).
    """

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        who = type(self).__name__
        self.factor = S._real(who, "factor", factor, lo=0.0, hi=1.0)
        self.total_iters = S._int(who, "total_iters", total_iters, lo=0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        _warn_get_lr(self)
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._current()]
        if self.last_epoch != self.total_iters:
            return self._current()
        if self.factor == 0:
            return self._get_closed_form_lr()
        return [lr * (1.0 / self.factor) for lr in self._current()]

    def _get_closed_form_lr(self) -> list[float]:
        return [S.piecewise([self.total_iters], [_num(b) * self.factor, _num(b)])(max(self.last_epoch, 0))
                for b in self.base_lrs]


class LinearLR(LRScheduler):
    r"""Scale each group's lr by a factor changing linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` epochs, the usual warm-up
    (``torch.optim.lr_scheduler.LinearLR``; pure form :func:`schedules.linear`).

    Formula: recursive ``η_0 = s·η``, ``η_t = η_{t−1}·(1 + (e − s)/(T·s + (t − 1)(e − s)))`` for
    1 <= t <= T; alone ``η_base·(s + (e − s)·min(t, T)/T)``.

    Args:
        optimizer: the optimizer.
        start_factor: s in (0, 1] (default 1/3).
        end_factor: e in [0, 1] (default 1).
        total_iters: T, an integer >= 1 (default 5).
        last_epoch: −1 to start.

    Shape:
        one lr per param group.

    Example:
        >>> from losslab.optim.lr_scheduler import LinearLR, preview
        >>> preview(lambda opt: LinearLR(opt, start_factor=0.25, total_iters=3), 5, lr=1.0).tolist()
        [0.25, 0.5, 0.75, 1.0, 1.0]

    Note:
        ``total_iters < 1`` raises ``ValueError`` (PyTorch's closed form divides by zero).
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        who = type(self).__name__
        self.start_factor = S._real(who, "start_factor", start_factor, lo=0.0, hi=1.0, lo_open=True)
        self.end_factor = S._real(who, "end_factor", end_factor, lo=0.0, hi=1.0)
        self.total_iters = S._int(who, "total_iters", total_iters, lo=1)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        _warn_get_lr(self)
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._current()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current()
        s, e, T = self.start_factor, self.end_factor, self.total_iters
        ratio = 1.0 + (e - s) / (T * s + (self.last_epoch - 1) * (e - s))
        return [lr * ratio for lr in self._current()]

    def _get_closed_form_lr(self) -> list[float]:
        return [S.linear(_num(b) * self.start_factor, _num(b) * self.end_factor,
                         self.total_iters)(max(self.last_epoch, 0)) for b in self.base_lrs]


class ExponentialLR(LRScheduler):
    r"""Decay each group's lr by ``gamma`` every epoch
    (``torch.optim.lr_scheduler.ExponentialLR``; pure form :func:`schedules.exponential`).

    Formula: recursive ``η_t = γ·η_{t−1}``; alone ``η_base·γ^t``.

    Args:
        optimizer: the optimizer.
        gamma: γ > 0.
        last_epoch: −1 to start.

    Shape:
        one lr per param group.

    Example:
        >>> from losslab.optim.lr_scheduler import ExponentialLR, preview
        >>> preview(lambda opt: ExponentialLR(opt, gamma=0.5), 4, lr=1.0).tolist()
        [1.0, 0.5, 0.25, 0.125]

    Note:
        ``gamma <= 0`` raises ``ValueError``.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = S._real(type(self).__name__, "gamma", gamma, lo=0.0, lo_open=True)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        _warn_get_lr(self)
        if self._is_initial:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def _get_closed_form_lr(self) -> list[float]:
        return [S.exponential(_num(b), self.gamma)(max(self.last_epoch, 0)) for b in self.base_lrs]


class PolynomialLR(LRScheduler):
    r"""Decay each group's lr polynomially to 0 over ``total_iters`` epochs
    (``torch.optim.lr_scheduler.PolynomialLR``; pure form :func:`schedules.polynomial`).

    Formula: recursive ``η_t = η_{t−1}·((1 − t/T)/(1 − (t − 1)/T))^p`` for t <= T; alone
    ``η_base·(1 − min(t, T)/T)^p``.

    Args:
        optimizer: the optimizer.
        total_iters: T, an integer >= 1 (default 5).
        power: p > 0 (default 1).
        last_epoch: −1 to start.

    Shape:
        one lr per param group.

    Example:
        >>> from losslab.optim.lr_scheduler import PolynomialLR, preview
        >>> preview(lambda opt: PolynomialLR(opt, total_iters=4, power=1.0), 6, lr=1.0).tolist()
        [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]

    Note:
        ``total_iters < 1`` or ``power <= 0`` raise ``ValueError``.
    """

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        who = type(self).__name__
        self.total_iters = S._int(who, "total_iters", total_iters, lo=1)
        self.power = S._real(who, "power", power, lo=0.0, lo_open=True)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        _warn_get_lr(self)
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current()
        T, t = self.total_iters, self.last_epoch
        factor = ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** self.power
        return [lr * factor for lr in self._current()]

    def _get_closed_form_lr(self) -> list[float]:
        return [S.polynomial(_num(b), self.total_iters, self.power)(max(self.last_epoch, 0))
                for b in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing of each group's lr from its base value to ``eta_min`` over ``T_max``
    epochs (``torch.optim.lr_scheduler.CosineAnnealingLR``; pure form
    :func:`schedules.cosine` with ``periodic=True``).

    Formula: PyTorch's recursion
    ``η_t = η_min + (η_{t−1} − η_min)·(1 + cos(πt/T))/(1 + cos(π(t−1)/T))`` (and
    ``η_t = η_{t−1} + (η_base − η_min)(1 − cos(π/T))/2`` when (t − 1 − T) mod 2T = 0); alone it
    equals the closed form ``η_min + (η_base − η_min)(1 + cos(πt/T))/2``, which past T climbs back.

    Args:
        optimizer: the optimizer.
        T_max: T, an integer >= 1.
        eta_min: the lowest lr, 0 <= eta_min <= every group's base lr (default 0).
        last_epoch: −1 to start.

    Shape:
        one lr per param group.

    Example:
        >>> from losslab.optim.lr_scheduler import CosineAnnealingLR, preview
        >>> preview(lambda opt: CosineAnnealingLR(opt, T_max=2), 5, lr=1.0).round(12).tolist()
        [1.0, 0.5, 0.0, 0.5, 1.0]

    Note:
        Chained with another scheduler, the recursion (not the closed form) gives PyTorch's
        numbers, and it is what is used (pytorch/pytorch#152081). ``eta_min`` above a base lr
        and ``T_max < 1`` raise ``ValueError``.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        who = type(self).__name__
        _check_optimizer(optimizer, who)
        self.T_max = S._int(who, "T_max", T_max, lo=1)
        self.eta_min = S._lr(who, "eta_min", eta_min)
        for i, b in enumerate(_base_candidates(optimizer, last_epoch)):
            if self.eta_min > b:
                raise ValueError(f"{who}: eta_min={eta_min!r} is above the base lr {b!r} of param "
                                 f"group {i}; the cosine anneals down to eta_min, so eta_min must be <= lr")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        _warn_get_lr(self)
        t, T, m = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current()
        if self._step_count == 1 and t > 0:
            return self._get_closed_form_lr()
        if (t - 1 - T) % (2 * T) == 0:
            return [lr + (_num(b) - m) * (1 - math.cos(math.pi / T)) / 2
                    for b, lr in zip(self.base_lrs, self._current())]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - m) + m for lr in self._current()]

    def _get_closed_form_lr(self) -> list[float]:
        return [S.cosine(_num(b), self.T_max, eta_min=self.eta_min, periodic=True)(max(self.last_epoch, 0))
                for b in self.base_lrs]


# ---------------------------------------------------------------------------------------------
# schedulers that evaluate a schedule (not chainable)
# ---------------------------------------------------------------------------------------------
class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts, SGDR (``torch.optim.lr_scheduler.
    CosineAnnealingWarmRestarts``; pure form :func:`schedules.cosine_with_warm_restarts`).

    Formula: ``η = η_min + (η_base − η_min)(1 + cos(π·T_cur/T_i))/2`` where T_cur counts epochs
    since the last restart and T_i is the current cycle length (T_0, T_0·T_mult, …).

    Args:
        optimizer: the optimizer.
        T_0: the first cycle length, an integer >= 1.
        T_mult: cycle growth factor, an integer >= 1 (default 1).
        eta_min: the lowest lr, 0 <= eta_min <= every base lr (default 0).
        last_epoch: −1 to start.

    Shape:
        one lr per param group.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import SGD
        >>> from losslab.optim.lr_scheduler import CosineAnnealingWarmRestarts
        >>> opt = SGD([ll.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = CosineAnnealingWarmRestarts(opt, T_0=2)
        >>> for e in (0.5, 1.0, 2.0):          # fractional epochs: step(epoch + i / iters)
        ...     opt.step(); sched.step(e); print(round(sched.get_last_lr()[0], 4))
        0.8536
        0.5
        1.0

    Note:
        ``step(epoch)`` places a fractional epoch exactly in its cycle (PyTorch's floating
        ``log`` can land one cycle short at an exact restart; see
        :func:`schedules.sgdr_position`). Like PyTorch, its ``step`` neither counts steps nor
        warns about the call order. ``T_0 < 1`` and ``eta_min`` above a base lr raise
        ``ValueError``.
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        who = type(self).__name__
        _check_optimizer(optimizer, who)
        self.T_0 = S._int(who, "T_0", T_0, lo=1)
        self.T_i = self.T_0
        self.T_mult = S._int(who, "T_mult", T_mult, lo=1)
        self.eta_min = S._lr(who, "eta_min", eta_min)
        for i, b in enumerate(_base_candidates(optimizer, last_epoch)):
            if self.eta_min > b:
                raise ValueError(f"{who}: eta_min={eta_min!r} is above the base lr {b!r} of param "
                                 f"group {i}; eta_min must be <= lr")
        self.T_cur = _last_epoch(who, last_epoch)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        _warn_get_lr(self)
        return [float(S.CosineWarmRestarts.value_at(_num(b), self.eta_min, self.T_cur, self.T_i))
                for b in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or go to ``epoch`` (fractional allowed, e.g. ``epoch + i/iters``).

        Raises:
            ValueError: ``epoch < 0``.
        """
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if isinstance(epoch, (bool, np.bool_)) or not S._is_real(epoch):
                raise TypeError(f"{type(self).__name__}.step: epoch must be a number, got {epoch!r}")
            if not math.isfinite(epoch) or epoch < 0:
                raise ValueError(f"{type(self).__name__}.step: expected a non-negative epoch, got {epoch!r}")
            T_cur, T_i = S.sgdr_position(epoch, self.T_0, self.T_mult)
            self.T_i = int(T_i)
            self.T_cur = int(T_cur) if isinstance(epoch, numbers.Integral) else float(T_cur)
        self.last_epoch = math.floor(epoch)
        with _GetLrCall(self):
            values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            _set_group_value(group, "lr", lr)
        self._last_lr = _group_values(self.optimizer, "lr")


class CyclicLR(LRScheduler):
    r"""Cyclical learning rates, and momentum cycled the other way
    (``torch.optim.lr_scheduler.CyclicLR``; pure form :func:`schedules.cyclic`).

    Formula: see :class:`schedules.Cyclic`: ``η_t = base + (max − base)·f(t)·scale``, and with
    ``cycle_momentum`` ``μ_t = max_m − (max_m − base_m)·f(t)·scale`` written to
    ``group['momentum']`` (or to β₁ of ``group['betas']`` for Adam-like optimizers).

    Args:
        optimizer: the optimizer (its lrs are set to ``base_lr`` on construction).
        base_lr: lower boundary (one value or one per group), >= 0.
        max_lr: upper boundary (one or per group), >= base_lr.
        step_size_up: epochs (batches) in the rising half, > 0 (default 2000).
        step_size_down: in the falling half, >= 0 (default: step_size_up).
        mode: ``'triangular'``, ``'triangular2'`` or ``'exp_range'``.
        gamma: γ of ``exp_range``, in (0, 1].
        scale_fn: a custom amplitude scale (then ``mode`` is ignored).
        scale_mode: ``'cycle'`` or ``'iterations'`` (with ``scale_fn``).
        cycle_momentum: cycle the momentum too (default True; the optimizer needs ``momentum``
            or ``betas`` in its defaults).
        base_momentum: momentum at the peak lr (default 0.8).
        max_momentum: momentum at the base lr (default 0.9).
        last_epoch: −1 to start.

    Shape:
        one lr (and momentum) per param group.

    Example:
        >>> from losslab.optim.lr_scheduler import CyclicLR, preview
        >>> lrs, moms = preview(lambda opt: CyclicLR(opt, 0.1, 1.0, step_size_up=2), 5,
        ...                     return_momentum=True)
        >>> lrs.round(6).tolist(), moms.round(6).tolist()
        ([0.1, 0.55, 1.0, 0.55, 0.1], [0.9, 0.85, 0.8, 0.85, 0.9])

    Note:
        ``base_lr > max_lr``, ``step_size_up <= 0``, ``gamma`` outside (0, 1] and
        ``base_momentum > max_momentum`` raise ``ValueError`` (PyTorch accepts them). With
        ``cycle_momentum`` on an ``SGD`` built with ``momentum=0``, momentum is switched on, as in
        PyTorch.
    """

    _state_exclude = ("optimizer", "_scale_fn_custom")

    def __init__(self, optimizer: Optimizer, base_lr: float | list, max_lr: float | list,
                 step_size_up: float = 2000, step_size_down: float | None = None,
                 mode: str = "triangular", gamma: float = 1.0, scale_fn: Callable | None = None,
                 scale_mode: str = "cycle", cycle_momentum: bool = True,
                 base_momentum: float | list = 0.8, max_momentum: float | list = 0.9,
                 last_epoch: int = -1) -> None:
        who = type(self).__name__
        _check_optimizer(optimizer, who)
        last_epoch = _last_epoch(who, last_epoch)
        self.optimizer = optimizer
        base_lrs = _format_param(who, "base_lr", optimizer, base_lr)
        max_lrs = _format_param(who, "max_lr", optimizer, max_lr)
        # validate everything through the pure schedule (one per group)
        for b, m in zip(base_lrs, max_lrs):
            probe = _validated(who, S.Cyclic, _num(b), _num(m), step_size_up, step_size_down, mode,
                               gamma, scale_fn, scale_mode if scale_fn is not None else None)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                _set_group_value(group, "lr", lr)
        self.max_lrs = max_lrs
        self.total_size = probe.total_size
        self.step_ratio = probe.step_ratio
        self.mode = mode
        self.gamma = probe.gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = probe.scale_mode
        if not isinstance(cycle_momentum, (bool, np.bool_)):
            raise TypeError(f"{who}: cycle_momentum must be True or False, got {cycle_momentum!r}")
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    f"{who}: cycle_momentum=True needs an optimizer with 'momentum' or 'betas' "
                    f"(beta1); {type(optimizer).__name__} has neither; pass cycle_momentum=False")
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = _format_param(who, "base_momentum", optimizer, base_momentum)
            self.max_momentums = _format_param(who, "max_momentum", optimizer, max_momentum)
            for b, m in zip(self.base_momentums, self.max_momentums):
                _validated(who, S._momentum_pair, who, b, m)
            if last_epoch == -1:
                for m, b, group in zip(self.max_momentums, self.base_momentums, optimizer.param_groups):
                    _set_momentum(group, m, self.use_beta1)
                    group["max_momentum"] = m
                    group["base_momentum"] = b
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _scale(self) -> Callable[[np.ndarray], np.ndarray]:
        return S.cyclic_scale(self.mode, self.gamma, self._scale_fn_custom)

    def scale_fn(self, x: float) -> float:
        """The amplitude scale at ``x`` (a cycle number or an iteration)."""
        return float(self._scale()(np.asarray([x], dtype=np.float64))[0])

    def get_lr(self) -> list[float]:
        _warn_get_lr(self)
        f, scale = S.cyclic_shape(self.last_epoch, self.total_size, self.step_ratio, self._scale(),
                                  self.scale_mode)
        f, scale = float(f), float(scale)
        lrs = [_num(b) + (_num(m) - _num(b)) * f * scale for b, m in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, b, m in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums):
                _set_momentum(group, m - (m - b) * f * scale, self.use_beta1)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """The state; a custom ``scale_fn`` is saved as None (a function) or as the
        ``__dict__`` of a callable object, as in PyTorch."""
        sd = super().state_dict()
        fn = self._scale_fn_custom
        sd["_scale_fn_custom"] = (None if fn is None or isinstance(fn, types.FunctionType)
                                  else _copy_state(vars(fn)) if hasattr(fn, "__dict__") else None)
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        own = set(super().state_dict()) | {"_scale_fn_custom"}
        self._check_keys(state_dict, own)
        sd = dict(state_dict)
        fn_state = sd.pop("_scale_fn_custom", None)
        self.__dict__.update(_copy_state(sd))
        if fn_state is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(_copy_state(fn_state))


def _set_momentum(group: dict, value: float, use_beta1: bool) -> None:
    if use_beta1:
        group["betas"] = (float(value), *group["betas"][1:])
    else:
        group["momentum"] = float(value)


def _validated(who: str, builder: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call ``builder`` (a schedule), re-raising its errors under the scheduler's name."""
    try:
        return builder(*args, **kwargs)
    except (TypeError, ValueError) as e:
        msg = str(e)
        if ": " in msg and not msg.startswith(who):
            msg = msg.split(": ", 1)[1]
        raise type(e)(msg if msg.startswith(who) else f"{who}: {msg}") from None


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy with momentum cycling (``torch.optim.lr_scheduler.OneCycleLR``; pure
    form :func:`schedules.one_cycle`).

    Formula: see :class:`schedules.OneCycle`; per group the lr goes ``initial_lr = max_lr/
    div_factor`` → ``max_lr`` → ``min_lr = initial_lr/final_div_factor`` (three phases: → back
    to initial_lr → min_lr), and with ``cycle_momentum`` the momentum (β₁ for optimizers with
    ``betas``) goes ``max_momentum`` → ``base_momentum`` → ``max_momentum``.

    Args:
        optimizer: the optimizer.
        max_lr: the peak lr (one or per group).
        total_steps: steps in the cycle; or give ``epochs`` and ``steps_per_epoch``.
        epochs, steps_per_epoch: total_steps = epochs·steps_per_epoch.
        pct_start: fraction of the cycle spent rising (default 0.3).
        anneal_strategy: ``'cos'`` (default) or ``'linear'``.
        cycle_momentum: cycle momentum / β₁ (default True).
        base_momentum: momentum at the peak lr (default 0.85).
        max_momentum: momentum at the ends (default 0.95).
        div_factor: initial_lr = max_lr/div_factor, >= 1 (default 25).
        final_div_factor: min_lr = initial_lr/final_div_factor, > 0 (default 1e4).
        three_phase: the paper's three phases (default False).
        last_epoch: −1 to start.

    Shape:
        one lr (and momentum) per param group.

    Example:
        >>> from losslab.optim.lr_scheduler import OneCycleLR, preview
        >>> lrs = preview(lambda opt: OneCycleLR(opt, max_lr=1.0, total_steps=10, div_factor=10.0), 10)
        >>> lrs.round(4).tolist()
        [0.1, 0.55, 1.0, 0.9505, 0.8117, 0.6113, 0.3887, 0.1883, 0.0495, 0.0]

    Note:
        Stepping past ``total_steps`` raises ``ValueError`` as in PyTorch; step ``total_steps``
        itself extrapolates the last phase, as PyTorch does. Phases of zero length
        (``pct_start·total_steps <= 1``, ``pct_start`` too large for ``three_phase``) raise
        ``ValueError`` (PyTorch divides by zero or runs phases backwards).
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | list, total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list = 0.85, max_momentum: float | list = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        who = type(self).__name__
        _check_optimizer(optimizer, who)
        last_epoch = _last_epoch(who, last_epoch)
        self.optimizer = optimizer
        if total_steps is not None:
            self.total_steps = S._int(who, "total_steps", total_steps, lo=1)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (S._int(who, "epochs", epochs, lo=1)
                                * S._int(who, "steps_per_epoch", steps_per_epoch, lo=1))
        else:
            raise ValueError(f"{who}: give total_steps, or epochs and steps_per_epoch "
                             f"(got total_steps={total_steps!r}, epochs={epochs!r}, "
                             f"steps_per_epoch={steps_per_epoch!r})")
        pct_start = S._real(who, "pct_start", pct_start, lo=0.0, hi=1.0)
        if not isinstance(three_phase, (bool, np.bool_)):
            raise TypeError(f"{who}: three_phase must be True or False, got {three_phase!r}")
        ends = S.OneCycle.phase_ends(self.total_steps, pct_start, bool(three_phase), where=who)
        names = ([("initial_lr", "max_lr", "max_momentum", "base_momentum"),
                  ("max_lr", "initial_lr", "base_momentum", "max_momentum"),
                  ("initial_lr", "min_lr", "max_momentum", "max_momentum")] if three_phase else
                 [("initial_lr", "max_lr", "max_momentum", "base_momentum"),
                  ("max_lr", "min_lr", "base_momentum", "max_momentum")])
        self._schedule_phases = [
            {"end_step": e, "start_lr": a, "end_lr": b, "start_momentum": c, "end_momentum": d}
            for e, (a, b, c, d) in zip(ends, names)]
        self._anneal_func_type = S._choice(who, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        div = S._real(who, "div_factor", div_factor, lo=1.0)
        fdiv = S._real(who, "final_div_factor", final_div_factor, lo=0.0, lo_open=True)
        max_lrs = [S._lr(who, "max_lr", _num(v)) for v in _format_param(who, "max_lr", optimizer, max_lr)]
        if last_epoch == -1:
            for m, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = m / div
                group["max_lr"] = m
                group["min_lr"] = group["initial_lr"] / fdiv
        if not isinstance(cycle_momentum, (bool, np.bool_)):
            raise TypeError(f"{who}: cycle_momentum must be True or False, got {cycle_momentum!r}")
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    f"{who}: cycle_momentum=True needs an optimizer with 'momentum' or 'betas' "
                    f"(beta1); {type(optimizer).__name__} has neither; pass cycle_momentum=False")
            self.use_beta1 = "betas" in optimizer.defaults
            maxs = _format_param(who, "max_momentum", optimizer, max_momentum)
            bases = _format_param(who, "base_momentum", optimizer, base_momentum)
            for b, m in zip(bases, maxs):
                _validated(who, S._momentum_pair, who, b, m)
            if last_epoch == -1:
                for m, b, group in zip(maxs, bases, optimizer.param_groups):
                    _set_momentum(group, m, self.use_beta1)
                    group["max_momentum"] = m
                    group["base_momentum"] = b
        super().__init__(optimizer, last_epoch)

    def _phase_schedule(self, group: dict, lr: bool) -> S.PhaseSchedule:
        ph = self._schedule_phases
        a, b = ("start_lr", "end_lr") if lr else ("start_momentum", "end_momentum")
        values = [_num(group[ph[0][a]])] + [_num(group[p[b]]) for p in ph]
        return S.PhaseSchedule([p["end_step"] for p in ph], values, self._anneal_func_type)

    def get_lr(self) -> list[float]:
        _warn_get_lr(self)
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"{type(self).__name__}: tried to step {t} times; the specified number "
                             f"of total steps is {self.total_steps} (make the schedule longer, or "
                             "stop stepping it)")
        lrs = []
        tt = np.asarray(float(t))
        for group in self.optimizer.param_groups:
            lrs.append(float(self._phase_schedule(group, True)._raw(tt.reshape(1))[0]))
            if self.cycle_momentum:
                mom = float(self._phase_schedule(group, False)._raw(tt.reshape(1))[0])
                _set_momentum(group, mom, self.use_beta1)
        return lrs


# ---------------------------------------------------------------------------------------------
# ReduceLROnPlateau
# ---------------------------------------------------------------------------------------------
class ReduceLROnPlateau(LRScheduler):
    r"""Reduce the lr when a metric stops improving
    (``torch.optim.lr_scheduler.ReduceLROnPlateau``); called as ``step(metric)``.

    Formula: the metric m_t improves on the best b if ``m < b(1 − θ)`` (mode 'min', rel),
    ``m < b − θ`` (min, abs), ``m > b(1 + θ)`` (max, rel) or ``m > b + θ`` (max, abs). After more
    than ``patience`` epochs without improvement each lr becomes ``max(lr·factor, min_lr)``
    (skipped when the change is <= eps), followed by ``cooldown`` epochs in which bad epochs are
    not counted.

    Args:
        optimizer: the optimizer.
        mode: ``'min'`` (default) or ``'max'``.
        factor: in [0, 1) (default 0.1).
        patience: bad epochs tolerated, an integer >= 0 (default 10).
        threshold: θ >= 0 (default 1e-4).
        threshold_mode: ``'rel'`` (default) or ``'abs'``.
        cooldown: epochs to wait after a reduction, an integer >= 0 (default 0).
        min_lr: the lowest lr, one value or one per group (default 0).
        eps: minimal change of lr (default 1e-8).

    Shape:
        one lr per param group; the metric is a number (or a 1-element Tensor).

    Example:
        >>> from losslab.optim.lr_scheduler import ReduceLROnPlateau, preview
        >>> metrics = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9]
        >>> preview(lambda opt: ReduceLROnPlateau(opt, patience=1, factor=0.5), 7, lr=1.0,
        ...         metrics=metrics).tolist()
        [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.25]

    Note:
        ``factor`` outside [0, 1), a negative ``patience``/``cooldown``/``threshold``/``eps``/
        ``min_lr`` raise ``ValueError``. A NaN metric counts as a bad epoch, as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | list = 0, eps: float = 1e-8) -> None:
        who = type(self).__name__
        if S._is_real(factor) and float(factor) >= 1.0:
            raise ValueError(f"{who}: factor should be < 1.0 (the lr is multiplied by it), got {factor!r}")
        self.factor = S._real(who, "factor", factor, lo=0.0, hi=1.0, hi_open=True)
        _check_optimizer(optimizer, who)
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(f"{who}: expected {len(optimizer.param_groups)} min_lrs (one per "
                                 f"param group), got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = [S._lr(who, f"min_lr[{i}]", v) for i, v in enumerate(min_lr)]
        else:
            self.default_min_lr = S._lr(who, "min_lr", min_lr)
            self.min_lrs = [self.default_min_lr] * len(optimizer.param_groups)
        self.patience = S._int(who, "patience", patience, lo=0)
        self.cooldown = S._int(who, "cooldown", cooldown, lo=0)
        self.eps = S._real(who, "eps", eps, lo=0.0)
        self.last_epoch = 0
        self._last_lr = _group_values(optimizer, "lr")
        self._init_is_better(mode=mode, threshold=threshold, threshold_mode=threshold_mode)
        self._reset()

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        who = type(self).__name__
        S._choice(who, "mode", mode, ("min", "max"))
        S._choice(who, "threshold_mode", threshold_mode, ("rel", "abs"))
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = S._real(who, "threshold", threshold, lo=0.0)
        self.threshold_mode = threshold_mode

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        """True while bad epochs are not being counted after a reduction."""
        return self.cooldown_counter > 0

    def is_better(self, a: float, best: float) -> bool:
        """Whether metric ``a`` improves on ``best`` (by the threshold)."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    _is_better = is_better

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record this epoch's metric and reduce the lrs if it has plateaued.

        Args:
            metrics: the monitored quantity (a number or a 1-element Tensor).
            epoch: deprecated (warns), the epoch index.
        """
        if isinstance(metrics, Tensor):
            metrics = metrics.item()
        if isinstance(metrics, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}.step: metrics must be a number, got {metrics!r}")
        try:
            current = float(metrics)
        except (TypeError, ValueError):
            raise TypeError(f"{type(self).__name__}.step: metrics must be a number (the monitored "
                            f"loss or score), got {metrics!r}") from None
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr(epoch)
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _group_values(self.optimizer, "lr")

    def _reduce_lr(self, epoch: int) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"{type(self).__name__}: the optimizer has {len(groups)} param groups but "
                    f"min_lr was given for {len(self.min_lrs)} (a param group was added?); set "
                    "scheduler.min_lrs to one value per group")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for i, group in enumerate(groups):
            old = _num(group["lr"])
            new = max(old * self.factor, self.min_lrs[i])
            if old - new > self.eps:
                _set_group_value(group, "lr", new)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state made by ``state_dict()``."""
        self._check_keys(state_dict)
        self.__dict__.update(_copy_state(state_dict))
        self._init_is_better(mode=self.mode, threshold=self.threshold, threshold_mode=self.threshold_mode)

    def get_lr(self) -> list:
        return self._current()


# ---------------------------------------------------------------------------------------------
# composition
# ---------------------------------------------------------------------------------------------
def _check_children(who: str, schedulers: Any, optimizer: Optimizer | None) -> tuple[list, Optimizer]:
    if isinstance(schedulers, LRScheduler) or not hasattr(schedulers, "__iter__"):
        raise TypeError(f"{who}: schedulers must be a list of schedulers, got {schedulers!r:.80}")
    scheds = list(schedulers)
    if not scheds:
        raise ValueError(f"{who} expects at least one scheduler, but got none")
    for i, s in enumerate(scheds):
        if not hasattr(s, "optimizer"):
            raise TypeError(f"{who}: schedulers[{i}] should be a scheduler with an `optimizer` "
                            f"attribute, got {type(s).__name__}")
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(f"{who} does not support ReduceLROnPlateau (at index {i}): it needs the "
                             "metric in step(metric); step it separately")
    optimizer = optimizer if optimizer is not None else scheds[0].optimizer
    for i, s in enumerate(scheds):
        if s.optimizer is not optimizer:
            raise ValueError(f"{who} expects all schedulers to belong to the same optimizer, but "
                             f"schedulers[{i}] ({type(s).__name__}) has a different one")
    return scheds, optimizer


class _Composed(LRScheduler):
    """State handling shared by SequentialLR and ChainedScheduler: children's state dicts are
    kept under ``'_schedulers'``."""

    _state_exclude = ("optimizer", "_schedulers")

    def state_dict(self) -> dict[str, Any]:
        """The state, with each child's state dict under ``'_schedulers'``."""
        sd = super().state_dict()
        sd["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return sd

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state made by ``state_dict()`` (children included)."""
        self._check_keys(state_dict)
        sd = dict(state_dict)
        children = sd.pop("_schedulers")
        if not isinstance(children, (list, tuple)) or len(children) != len(self._schedulers):
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected {len(self._schedulers)} "
                             f"child states under '_schedulers', got {children!r:.80}")
        self.__dict__.update(_copy_state(sd))
        for s, c in zip(self._schedulers, children):
            s.load_state_dict(c)


class SequentialLR(_Composed):
    r"""Run schedulers one after another, switching at the milestones
    (``torch.optim.lr_scheduler.SequentialLR``; pure form :func:`schedules.join`).

    Formula: scheduler k runs from milestone k−1; at the switch it restarts from its own epoch
    0 (its closed form), e.g. a linear warm-up then a cosine decay.

    Args:
        optimizer: the optimizer (the same as every scheduler's).
        schedulers: the schedulers (constructed on this optimizer, in order).
        milestones: ``len(schedulers) − 1`` epochs, strictly increasing, >= 1.
        last_epoch: −1 to start.

    Shape:
        one lr per param group.

    Example:
        >>> from losslab.optim.lr_scheduler import SequentialLR, LinearLR, ExponentialLR, preview
        >>> def make(opt):
        ...     return SequentialLR(opt, [LinearLR(opt, start_factor=0.5, total_iters=2),
        ...                               ExponentialLR(opt, gamma=0.5)], milestones=[2])
        >>> preview(make, 5, lr=1.0).tolist()
        [0.5, 0.75, 1.0, 0.5, 0.25]

    Note:
        Unsorted or repeated milestones and milestones < 1 raise ``ValueError``.
    """

    _state_exclude = ("optimizer", "_schedulers")

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler], milestones: Sequence[int],
                 last_epoch: int = -1) -> None:
        who = type(self).__name__
        _check_optimizer(optimizer, who)
        scheds, _ = _check_children(who, schedulers, optimizer)
        ms = S._sorted_steps(who, "milestones", milestones, strict=True)
        if len(ms) != len(scheds) - 1:
            raise ValueError(f"{who} expects one milestone fewer than schedulers: got "
                             f"{len(scheds)} schedulers and {len(ms)} milestones")
        if ms and ms[0] < 1:
            raise ValueError(f"{who}: milestones must be >= 1 (a milestone at 0 would skip "
                             f"schedulers[0]), got {ms!r}")
        self._schedulers = scheds
        self._milestones = ms
        self.last_epoch = _last_epoch(who, last_epoch) + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            _set_group_value(group, "lr", group["initial_lr"])
        self.recursive_undo()
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = self._schedulers[idx].get_last_lr()

    def recursive_undo(self, sched: Any = None) -> None:
        """Undo the initial step taken by each child scheduler's constructor."""
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                self.recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self) -> None:  # type: ignore[override]
        """Advance one epoch with the scheduler whose turn it is."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()



class ChainedScheduler(_Composed):
    r"""Step several schedulers together, each applying its change to the current lr
    (``torch.optim.lr_scheduler.ChainedScheduler``).

    Formula: each ``step()`` calls ``s.step()`` for every scheduler in order; chainable ones
    compose multiplicatively, e.g. ``ConstantLR`` × ``ExponentialLR``.

    Args:
        schedulers: the schedulers (on one optimizer).
        optimizer: that optimizer (default: the first scheduler's).

    Shape:
        one lr per param group.

    Example:
        >>> from losslab.optim.lr_scheduler import ChainedScheduler, ConstantLR, ExponentialLR, preview
        >>> def make(opt):
        ...     return ChainedScheduler([ConstantLR(opt, factor=0.5, total_iters=2),
        ...                              ExponentialLR(opt, gamma=0.5)])
        >>> preview(make, 4, lr=1.0).tolist()
        [0.5, 0.25, 0.25, 0.125]
    """

    _state_exclude = ("optimizer", "_schedulers")

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None) -> None:
        who = type(self).__name__
        if optimizer is not None:
            _check_optimizer(optimizer, who)
        scheds, optimizer = _check_children(who, schedulers, optimizer)
        self._schedulers = scheds
        self.optimizer = optimizer
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")

    def step(self) -> None:  # type: ignore[override]
        """Step every scheduler once."""
        for s in self._schedulers:
            s.step()
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")



class ScheduleLR(LRScheduler):
    r"""Drive an optimizer with pure schedules: set each group's lr to ``schedule(epoch)``.

    Formula: ``η_t = s(t)`` (absolute learning rates; the group's own lr is ignored).

    Args:
        optimizer: the optimizer.
        schedule: a :class:`schedules.Schedule` (or a function ``epoch -> lr``), or one per group.
        last_epoch: −1 to start.

    Shape:
        one lr per param group.

    Example:
        >>> from losslab.optim import schedules
        >>> from losslab.optim.lr_scheduler import ScheduleLR, preview
        >>> s = schedules.warmup_cosine(lr=1.0, warmup_steps=2, total_steps=4)
        >>> preview(lambda opt: ScheduleLR(opt, s), 5).tolist()
        [0.0, 0.5, 1.0, 0.5, 0.0]

    Note:
        losslab only (PyTorch has no such class). Not chainable. The schedules are not part of
        ``state_dict()``; build the scheduler with the same ones before loading.
    """

    _state_exclude = ("optimizer", "lr_schedules")

    def __init__(self, optimizer: Optimizer, schedule: Any, last_epoch: int = -1) -> None:
        who = type(self).__name__
        _check_optimizer(optimizer, who)
        n = len(optimizer.param_groups)
        items = list(schedule) if isinstance(schedule, (list, tuple)) else [schedule] * n
        if len(items) != n:
            raise ValueError(f"{who}: expected {n} schedules (one per param group), got {len(items)}")
        scheds = []
        for i, s in enumerate(items):
            if isinstance(s, S.Schedule):
                scheds.append(s)
            elif callable(s):
                scheds.append(S.FunctionSchedule(s))
            else:
                raise TypeError(f"{who}: schedule must be a Schedule or a function epoch -> lr, got {s!r}")
        self.lr_schedules = scheds
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        _warn_get_lr(self)
        t = max(self.last_epoch, 0)
        return [float(s(t)) for s in self.lr_schedules]

    def _get_closed_form_lr(self) -> list[float]:
        return [float(s(max(self.last_epoch, 0))) for s in self.lr_schedules]


# ---------------------------------------------------------------------------------------------
# preview
# ---------------------------------------------------------------------------------------------
class _PreviewOptimizer(Optimizer):
    """A stand-in optimizer for :func:`preview`: groups with lr and momentum (or betas); its
    ``step`` does nothing."""

    def step(self, closure=None):
        return None


def preview(scheduler_factory: Any, steps: int, *, lr: float | Sequence[float] = 0.1,
            momentum: float = 0.9, betas: tuple[float, float] | None = None,
            metrics: Sequence[float] | None = None, return_momentum: bool = False) -> Any:
    r"""The learning rates a scheduler sets for ``steps`` optimizer steps, without training.

    A stand-in optimizer (one param group per ``lr`` value, with ``momentum``, or ``betas`` if
    given) is handed to ``scheduler_factory``; then, ``steps`` times, the lr of each group is
    recorded and ``optimizer.step()`` and ``scheduler.step()`` are called (``step(metrics[i])``
    for ``ReduceLROnPlateau``).

    Formula: ``out[i]`` = the lr used by the i-th optimizer step (i = 0 … steps − 1).

    Args:
        scheduler_factory: ``optimizer -> scheduler`` (or a :class:`schedules.Schedule`, whose own
            ``preview`` is used).
        steps: number of steps, >= 0.
        lr: the optimizer's learning rate, or a list (one param group each).
        momentum: the groups' momentum (for momentum cycling), default 0.9.
        betas: give ``(β₁, β₂)`` to make an Adam-like stand-in (β₁ is cycled instead).
        metrics: for ``ReduceLROnPlateau``: the metric after each step (at least ``steps − 1``).
        return_momentum: also return the momentum (β₁ with ``betas``) of each step.

    Returns:
        a float64 array of shape ``(steps,)`` (one group) or ``(steps, groups)``; with
        ``return_momentum`` a pair ``(lrs, momenta)`` of that shape.

    Shape:
        ``(steps,)`` or ``(steps, len(lr))``.

    Example:
        >>> from losslab.optim.lr_scheduler import preview, StepLR
        >>> preview(lambda opt: StepLR(opt, step_size=2), 4, lr=[1.0, 0.5]).tolist()
        [[1.0, 0.5], [1.0, 0.5], [0.1, 0.05], [0.1, 0.05]]
    """
    if isinstance(scheduler_factory, S.Schedule):
        if return_momentum:
            raise ValueError("preview: a Schedule has no momentum; return_momentum needs a scheduler")
        return scheduler_factory.preview(steps)
    if not callable(scheduler_factory):
        raise TypeError(f"preview: scheduler_factory must be a function optimizer -> scheduler, got "
                        f"{scheduler_factory!r}")
    n = S._int("preview", "steps", steps, lo=0)
    lrs = list(lr) if isinstance(lr, (list, tuple)) else [lr]
    if not lrs:
        raise ValueError("preview: lr must be a number or a non-empty list (one per param group)")
    from ..autograd.creation import zeros

    groups = []
    for v in lrs:
        g = {"params": [zeros(1, requires_grad=True)], "lr": S._lr("preview", "lr", v)}
        groups.append(g)
    defaults: dict[str, Any] = {"lr": lrs[0]}
    if betas is not None:
        defaults["betas"] = tuple(float(b) for b in betas)
    else:
        defaults["momentum"] = float(momentum)
    opt = _PreviewOptimizer(groups, defaults)
    sched = scheduler_factory(opt)
    if not isinstance(sched, LRScheduler):
        raise TypeError(f"preview: scheduler_factory returned {type(sched).__name__}, not a scheduler")
    plateau = isinstance(sched, ReduceLROnPlateau)
    if plateau:
        if metrics is None:
            raise ValueError("preview: ReduceLROnPlateau needs metrics (one per step)")
        metrics = list(metrics)
        if len(metrics) < max(n - 1, 0):
            raise ValueError(f"preview: {n} steps need at least {n - 1} metrics, got {len(metrics)}")
    out = np.zeros((n, len(lrs)))
    mom = np.zeros((n, len(lrs)))
    key = "betas" if betas is not None else "momentum"
    for i in range(n):
        out[i] = [_num(g["lr"]) for g in opt.param_groups]
        mom[i] = [float(g[key][0] if key == "betas" else g[key]) for g in opt.param_groups]
        if i == n - 1:
            break
        opt.step()
        if plateau:
            sched.step(metrics[i])
        else:
            sched.step()
    if len(lrs) == 1:
        out, mom = out[:, 0], mom[:, 0]
    return (out, mom) if return_momentum else out
