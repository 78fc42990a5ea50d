r"""Rprop, resilient backpropagation (Riedmiller & Braun 1993): a per-coordinate step size that
grows while the gradient keeps its sign and shrinks when it flips; only the *sign* of the gradient
moves the parameter. ``torch.optim.Rprop``'s algorithm (PyTorch 2.13), step for step.

Rprop is a full-batch method: with noisy mini-batch gradients the sign flips at random and the
step sizes collapse.
"""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor, no_grad
from . import _adaptive as A
from .optimizer import Optimizer
from .registry import OptimizerInfo, register_optimizer

__all__ = ["Rprop", "rprop_update"]


def rprop_update(param: np.ndarray, grad: np.ndarray, prev: np.ndarray, step_size: np.ndarray, *,
                 etaminus: float = 0.5, etaplus: float = 1.2, step_size_min: float = 1e-6,
                 step_size_max: float = 50.0, maximize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    r"""One Rprop update of one parameter array, in place; returns ``(prev, step_size)`` (the
    given arrays, updated in place).

    Formula (PyTorch's ``Rprop``; per coordinate i, Δ = step_size, g_prev = prev)::

        g ← −∇J(θ) if maximize else ∇J(θ)
        s ← sign(g · g_prev)
        Δ ← clamp(Δ·η₊, Γ_min, Γ_max)   if s > 0      (same sign: grow)
        Δ ← clamp(Δ·η₋, Γ_min, Γ_max)   if s < 0      (sign flip: shrink, and g ← 0)
        Δ ← clamp(Δ, Γ_min, Γ_max)      if s = 0
        θ ← θ − sign(g)·Δ
        g_prev ← g

    After a sign flip the gradient is set to 0, so that coordinate does not move this step and
    the next step is treated as "no sign information" (the iRprop⁻ variant).

    Args:
        param: the parameter array θ, updated in place (dtype kept).
        grad: ∇J(θ), same shape (not modified).
        prev: g_prev, the (possibly zeroed) gradient of the previous step; zeros at the start.
        step_size: Δ, the per-coordinate step sizes; ``lr`` everywhere at the start.
        etaminus, etaplus: η₋ ∈ (0, 1), η₊ > 1, the shrink and growth factors.
        step_size_min, step_size_max: Γ_min ≤ Γ_max, the bounds of Δ.
        maximize: ascend instead of descend.

    Shape:
        ``param``, ``grad``, ``prev`` and ``step_size`` have the same shape.

    Example:
        >>> import numpy as np
        >>> from losslab.optim import rprop_update
        >>> p = np.array([1.0, 1.0]); prev = np.zeros(2); d = np.full(2, 0.1)
        >>> _ = rprop_update(p, np.array([2.0, -3.0]), prev, d)     # no history: Δ kept
        >>> p.tolist(), d.tolist()
        ([0.9, 1.1], [0.1, 0.1])
        >>> _ = rprop_update(p, np.array([1.0, 4.0]), prev, d)      # same sign / flip
        >>> np.round(p, 6).tolist(), d.tolist(), prev.tolist()
        ([0.78, 1.1], [0.12, 0.05], [1.0, 0.0])

    Note:
        The size of the gradient never enters the update, only its sign; the learning rate only
        sets the initial Δ (changing ``lr`` later, e.g. with a scheduler, has no effect), as in
        PyTorch.
    """
    fn = "rprop_update"
    g = A.as_param_dtype(param, grad, maximize, fn)
    for name, arr in (("prev", prev), ("step_size", step_size)):
        if not isinstance(arr, np.ndarray) or arr.shape != param.shape:
            shape = getattr(arr, "shape", type(arr).__name__)
            raise ValueError(f"{fn}: {name} has shape {shape} but param has shape {param.shape}")
    s = np.sign(g * prev)
    # factor: η₊ where the sign was kept, η₋ where it flipped, 1 where either gradient is 0
    # (NaN stays NaN, as in PyTorch's masked assignments)
    factor = np.where(s > 0, etaplus, np.where(s < 0, etaminus, np.where(s == 0, 1.0, s)))
    step_size *= factor.astype(step_size.dtype, copy=False)
    np.clip(step_size, step_size_min, step_size_max, out=step_size)
    g = np.where(s < 0, np.zeros((), dtype=g.dtype), g)
    param -= np.sign(g) * step_size
    prev[...] = g
    return prev, step_size


def _check_options(o: dict, where: str) -> None:
    """Validate Rprop hyperparameters (``torch.optim.Rprop.__init__``'s conditions, plus the
    step-size bounds)."""
    A.check_lr(o, where)
    etas = o["etas"]
    if not (isinstance(etas, (tuple, list)) and len(etas) == 2 and all(A.is_real(e) for e in etas)):
        raise TypeError(f"{where}: etas must be a pair (etaminus, etaplus) of numbers, got {etas!r}")
    if not 0.0 < etas[0] < 1.0 < etas[1]:
        raise ValueError(
            f"{where}: Invalid eta values: etas={tuple(etas)!r}; expected 0 < etaminus < 1 < etaplus")
    sizes = o["step_sizes"]
    if not (isinstance(sizes, (tuple, list)) and len(sizes) == 2 and all(A.is_real(s) for s in sizes)):
        raise TypeError(
            f"{where}: step_sizes must be a pair (min_step, max_step) of numbers, got {sizes!r}")
    if not 0.0 <= sizes[0] <= sizes[1]:
        raise ValueError(
            f"{where}: Invalid step_sizes: step_sizes={tuple(sizes)!r}; expected "
            "0 <= min_step <= max_step")
    A.check_flags(o, where, ("maximize",))
    A.check_impl_flags(o, where)


class Rprop(Optimizer):
    r"""Resilient backpropagation, as ``torch.optim.Rprop``.

    Formula (per coordinate; Δ step size, η₋/η₊ = etas, [Γ_min, Γ_max] = step_sizes)::

        g_t = ∇J(θ_{t-1})    (−∇J if maximize)
        Δ_t = min(Δ_{t-1}·η₊, Γ_max)     if g_t·g_{t-1} > 0
        Δ_t = max(Δ_{t-1}·η₋, Γ_min),  g_t = 0     if g_t·g_{t-1} < 0
        Δ_t = Δ_{t-1}                    otherwise
        θ_t = θ_{t-1} − sign(g_t)·Δ_t
        (Δ_0 = lr, g_0 = 0)

    The kernel is :func:`rprop_update`; the state is ``step``, ``prev`` (g_{t−1}) and
    ``step_size`` (Δ).

    Args:
        params: iterable of Tensors, of ``(name, Tensor)`` pairs, or of param-group dicts.
        lr: learning rate, the initial step size Δ₀ (default 1e-2); a float or a 1-element Tensor.
        etas: (η₋, η₊) with 0 < η₋ < 1 < η₊ (default (0.5, 1.2)).
        step_sizes: (Γ_min, Γ_max), 0 ≤ Γ_min ≤ Γ_max (default (1e-6, 50)).
        capturable, differentiable: must be False. foreach: accepted and ignored.
        maximize: maximise the objective (default False).

    Shape:
        Parameters of any shape; ``prev`` and ``step_size`` have their parameter's shape and dtype.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import Rprop
        >>> w = ll.tensor([2.0, -3.0], requires_grad=True)
        >>> opt = Rprop([w], lr=0.1)
        >>> for _ in range(60):
        ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> bool(abs(w.data).max() < 1e-3)
        True

    Note:
        * ``lr`` only sets the initial step size (PyTorch's behaviour): a scheduler changing
          ``lr`` does not change Rprop's steps.
        * ``step_sizes`` is checked (0 ≤ Γ_min ≤ Γ_max); PyTorch accepts any pair.

    References:
        Riedmiller & Braun (1993), A direct adaptive method for faster backpropagation learning:
        the RPROP algorithm; https://docs.pytorch.org/docs/stable/generated/torch.optim.Rprop.html
    """

    _param_shaped_state = ("prev", "step_size")

    def __init__(self, params, lr: float | Tensor = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        _check_options(defaults, "Rprop")
        super().__init__(params, defaults)

    def _validate_group(self, group: dict, index: int) -> None:
        _check_options(group, f"Rprop param group {index}")

    def step(self, closure=None):
        """Perform one Rprop step on every parameter that has a gradient.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.

        Returns:
            the closure's loss, or None.
        """
        loss = self._run_closure(closure)
        with no_grad():
            for group in self.param_groups:
                etaminus, etaplus = group["etas"]
                smin, smax = group["step_sizes"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = self._grad_array(p)
                    param = self._param_array(p)
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = A.new_step()
                        state["prev"] = np.zeros_like(param)
                        state["step_size"] = np.full_like(param, A.num(group["lr"]))
                    A.advance_step(state)
                    rprop_update(param, grad, state["prev"], state["step_size"],
                                 etaminus=etaminus, etaplus=etaplus, step_size_min=smin,
                                 step_size_max=smax, maximize=group["maximize"])
        return loss


def _rprop_oracle_configs() -> tuple[dict, ...]:
    """maximize × default/other etas and step-size bounds (tight bounds so the clamps act)."""
    return (
        dict(lr=0.01),
        dict(lr=0.01, maximize=True),
        dict(lr=0.005, etas=(0.3, 1.5), step_sizes=(1e-4, 0.02)),
        dict(lr=0.02, etas=(0.6, 1.1), step_sizes=(1e-3, 0.05), maximize=True),
    )


register_optimizer(OptimizerInfo(
    name="rprop",
    cls=Rprop,
    torch_name="Rprop",
    summary="Rprop: per-coordinate step sizes that grow while the gradient keeps its sign and "
            "shrink when it flips; only the sign of the gradient is used (full batch).",
    update_rule="Δ ← clamp(Δ·η₊ if g·g_prev > 0, Δ·η₋ if < 0 (and g ← 0), else Δ);  "
                "θ ← θ − sign(g)·Δ",
    kernel=rprop_update,
    state_keys=("step", "prev", "step_size"),
    oracle_configs=_rprop_oracle_configs(),
    descent_config={"lr": 0.01},
    descent_steps=1000,
    references=(
        "Riedmiller & Braun 1993, A direct adaptive method for faster backpropagation learning: "
        "the RPROP algorithm",
        "https://docs.pytorch.org/docs/stable/generated/torch.optim.Rprop.html",
    ),
))
