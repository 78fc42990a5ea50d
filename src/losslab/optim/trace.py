r"""Follow an optimizer on a function of two variables and record what it does at each step.

:func:`trace` runs any losslab optimizer (and optionally a learning-rate scheduler) on
``f(p)``, ``p`` a Tensor of shape ``(2,)`` such as a :mod:`~losslab.optim.surfaces` surface,
and returns a :class:`TraceResult` of NumPy arrays: the path, f and ∇f along it, the update of
each step, the *effective per-coordinate learning rate* (how far each coordinate moved per unit
of gradient, −Δθᵢ/gᵢ: η for plain gradient descent, varying for momentum and adaptive methods)
and the update/parameter ratio ‖Δθ‖/‖θ‖. The explorer and the plots read it.

Example:
    >>> from losslab.optim import SGD, surfaces, trace
    >>> r = trace(SGD, surfaces.ill_conditioned_quadratic(cond=10.0), x0=(-1.5, 1.0), steps=50, lr=0.05)
    >>> r.path.shape, r.updates.shape, r.effective_lr.shape
    ((51, 2), (50, 2), (50, 2))
    >>> r.effective_lr[0].round(12).tolist()       # plain gradient descent: exactly lr
    [0.05, 0.05]
    >>> bool(r.values[-1] < 1e-2 * r.values[0])
    True
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..autograd import Tensor, tensor
from .optimizer import Optimizer

__all__ = ["TraceResult", "trace"]


@dataclass
class TraceResult:
    r"""What an optimizer did on a 2-variable function, step by step (NumPy arrays).

    With n = ``steps`` (the steps actually taken: fewer than asked if the path left the finite
    numbers, then ``diverged`` is True):

    Args:
        path: ``(n + 1, 2)`` positions θ₀ … θₙ.
        values: ``(n + 1,)`` f(θₜ).
        grads: ``(n + 1, 2)`` ∇f(θₜ) (the gradient each step used; the last is at the end point).
        updates: ``(n, 2)`` Δθₜ = θₜ₊₁ − θₜ.
        effective_lr: ``(n, 2)`` −Δθₜ,ᵢ / gₜ,ᵢ per coordinate (NaN where gₜ,ᵢ = 0); equals η for
            plain gradient descent, η/(√v̂+ε)·m̂/g-like ratios for adaptive methods.
        update_ratio: ``(n,)`` ‖Δθₜ‖ / ‖θₜ‖ (NaN where θₜ = 0), the usual health check (~1e-3).
        lrs: ``(n,)`` the learning rate of param group 0 at each step (NaN if it has none).
        steps: n.
        diverged: the path reached inf or NaN (recording stopped there).
        optimizer: the optimizer's class name.

    Shape:
        as listed above.

    Example:
        >>> from losslab.optim import SGD, surfaces, trace
        >>> r = trace(SGD, surfaces.saddle(), x0=(1.0, 1e-3), steps=30, lr=0.1)
        >>> r.final.round(4).tolist(), r.diverged
        ([0.0012, 0.2374], False)
    """

    path: np.ndarray
    values: np.ndarray
    grads: np.ndarray
    updates: np.ndarray
    effective_lr: np.ndarray
    update_ratio: np.ndarray
    lrs: np.ndarray
    steps: int
    diverged: bool = False
    optimizer: str = ""

    @property
    def final(self) -> np.ndarray:
        """The last position θₙ."""
        return self.path[-1]

    def distance_to(self, point: Any) -> np.ndarray:
        """``(n + 1,)`` Euclidean distance of each position to ``point``."""
        return np.linalg.norm(self.path - np.asarray(point, dtype=np.float64), axis=1)

    def __repr__(self) -> str:
        return (f"TraceResult(optimizer={self.optimizer!r}, steps={self.steps}, start={self.path[0].tolist()}, "
                f"final={self.final.tolist()}, value={self.values[-1]:.6g}, diverged={self.diverged})")


def trace(optimizer_factory: Callable[..., Optimizer], fn: Callable[[Tensor], Tensor], x0: Any, steps: int,
          *, scheduler_factory: Callable[[Optimizer], Any] | None = None, dtype: Any = np.float64,
          **optimizer_kwargs: Any) -> TraceResult:
    r"""Run an optimizer for ``steps`` steps on ``fn`` from ``x0`` and record its path.

    Each step: θₜ, f(θₜ) and gₜ = ∇f(θₜ) are recorded, then ``optimizer.step(closure)`` is called
    with a closure that re-evaluates f and its gradient (so LBFGS and the like work too), then
    ``scheduler.step()`` if a scheduler is given.

    Formula: ``Δθₜ = θₜ₊₁ − θₜ``, ``effective_lr[t, i] = −Δθₜ,ᵢ / gₜ,ᵢ``,
    ``update_ratio[t] = ‖Δθₜ‖ / ‖θₜ‖``.

    Args:
        optimizer_factory: ``params -> optimizer``, e.g. ``losslab.optim.Adam`` (with its keyword
            arguments given here) or ``lambda ps: SGD(ps, lr=0.01, momentum=0.9)``.
        fn: f, taking a Tensor of shape ``(2,)`` and returning a scalar Tensor (a
            :class:`~losslab.optim.surfaces.Surface` works).
        x0: the start, two numbers.
        steps: number of optimizer steps, >= 0.
        scheduler_factory: optional ``optimizer -> lr scheduler`` (stepped after each step).
        dtype: the parameter's dtype (default float64).
        **optimizer_kwargs: passed to ``optimizer_factory`` after the parameter list.

    Returns:
        a :class:`TraceResult`.

    Shape:
        ``x0``: ``(2,)``; see :class:`TraceResult` for the outputs.

    Example:
        >>> from losslab.optim import SGD, surfaces, trace
        >>> from losslab.optim.lr_scheduler import StepLR
        >>> r = trace(SGD, surfaces.rosenbrock(), (-1.5, 2.0), 4, lr=1e-3,
        ...           scheduler_factory=lambda opt: StepLR(opt, step_size=2, gamma=0.5))
        >>> r.lrs.tolist()
        [0.001, 0.001, 0.0005, 0.0005]

    Note:
        The optimizer sees one parameter, a Tensor of shape ``(2,)``, so per-parameter methods
        (Adam, RMSprop …) adapt per coordinate. Gradients are evaluated once more per step than
        strictly needed (the recorded one and the closure's); on two variables that is cheap.
    """
    if not callable(optimizer_factory):
        raise TypeError(f"trace: optimizer_factory must be a function params -> optimizer (e.g. "
                        f"losslab.optim.SGD), got {optimizer_factory!r}")
    if not callable(fn):
        raise TypeError(f"trace: fn must be a function of a Tensor of shape (2,), got {fn!r}")
    if isinstance(steps, (bool, np.bool_)) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"trace: steps must be an integer >= 0, got {steps!r}")
    start = np.asarray(x0.data if isinstance(x0, Tensor) else x0, dtype=dtype).copy()
    if start.shape != (2,):
        raise ValueError(f"trace: x0 must be a point of two numbers (shape (2,)), got shape {start.shape}")
    if not np.all(np.isfinite(start)):
        raise ValueError(f"trace: x0 must be finite, got {start.tolist()}")

    p = tensor(start, requires_grad=True)
    opt = optimizer_factory([p], **optimizer_kwargs)
    if not isinstance(opt, Optimizer):
        raise TypeError(f"trace: optimizer_factory returned {type(opt).__name__}, not a losslab Optimizer")
    sched = scheduler_factory(opt) if scheduler_factory is not None else None

    def evaluate() -> tuple[float, np.ndarray]:
        opt.zero_grad()
        loss = fn(p)
        if not isinstance(loss, Tensor):
            raise TypeError(f"trace: fn must return a scalar losslab Tensor, got {type(loss).__name__}")
        if loss.data.size != 1:
            raise ValueError(f"trace: fn must return a scalar, got shape {tuple(loss.shape)}")
        loss.backward()
        g = p.grad.data.copy() if p.grad is not None else np.zeros(2)
        return float(loss.item()), g

    def closure():
        opt.zero_grad()
        loss = fn(p)
        loss.backward()
        return loss

    with np.errstate(over="ignore", invalid="ignore"):  # divergence is an outcome, not an error
        path, values, grads, lrs, diverged = _run(opt, sched, p, steps, evaluate, closure)
    P = np.asarray(path, dtype=np.float64)
    G = np.asarray(grads, dtype=np.float64).reshape(-1, 2)
    U = np.diff(P, axis=0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        eff = np.where(G[:-1] != 0, -U / G[:-1], np.nan)
        norms = np.linalg.norm(P[:-1], axis=1)
        ratio = np.where(norms > 0, np.linalg.norm(U, axis=1) / norms, np.nan)
    return TraceResult(path=P, values=np.asarray(values, dtype=np.float64), grads=G, updates=U,
                       effective_lr=eff, update_ratio=ratio, lrs=np.asarray(lrs, dtype=np.float64),
                       steps=len(U), diverged=diverged, optimizer=type(opt).__name__)


def _run(opt, sched, p, steps, evaluate, closure):
    path, values, grads, lrs = [p.data.copy()], [], [], []
    diverged = False
    for _ in range(steps):
        v, g = evaluate()
        values.append(v)
        grads.append(g)
        lr = opt.param_groups[0].get("lr", math.nan)
        lrs.append(float(lr.item()) if isinstance(lr, Tensor) else float(lr))
        opt.step(closure)
        if sched is not None:
            sched.step()
        x = p.data.copy()
        path.append(x)
        if not np.all(np.isfinite(x)):
            diverged = True
            break
    if diverged:
        values.append(math.nan)
        grads.append(np.full(2, np.nan))
    else:
        v, g = evaluate()
        values.append(v)
        grads.append(g)
        if not (math.isfinite(v) and np.all(np.isfinite(g))):
            diverged = True
    return path, values, grads, lrs, diverged
