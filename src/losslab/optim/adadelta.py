r"""Adadelta (Zeiler 2012), with L2 weight decay and maximisation: ``torch.optim.Adadelta``'s
algorithm (PyTorch 2.13), step for step. Each step is scaled by the ratio of two running RMS
values, of past updates and of gradients, so the update has the units of the parameter and the
learning rate defaults to 1."""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor, no_grad
from . import _adaptive as A
from .optimizer import Optimizer
from .registry import OptimizerInfo, register_optimizer

__all__ = ["Adadelta", "adadelta_update"]


def adadelta_update(param: np.ndarray, grad: np.ndarray, square_avg: np.ndarray | None = None,
                    acc_delta: np.ndarray | None = None, *, lr: float = 1.0, rho: float = 0.9,
                    eps: float = 1e-6, weight_decay: float = 0.0, maximize: bool = False
                    ) -> tuple[np.ndarray, np.ndarray]:
    r"""One Adadelta update of one parameter array, in place; returns ``(square_avg, acc_delta)``
    (the given arrays updated in place, new zero-started ones when None).

    Formula (PyTorch's ``Adadelta``; η = lr, ρ = rho, λ = weight_decay)::

        g ← −∇J(θ) if maximize else ∇J(θ)
        g ← g + λθ                                  (if λ ≠ 0)
        v ← ρ·v + (1 − ρ)·g²                        (square_avg, v₀ = 0)
        Δ = √(u + ε) / √(v + ε) · g                 (u = acc_delta, u₀ = 0)
        u ← ρ·u + (1 − ρ)·Δ²
        θ ← θ − η·Δ

    Args:
        param: the parameter array, updated in place (dtype kept).
        grad: ∇J(θ), same shape (not modified).
        square_avg, acc_delta: the state arrays v, u (None: start at zeros).
        lr, rho, eps, weight_decay, maximize: as :class:`Adadelta`.

    Shape:
        ``param``, ``grad`` and the state arrays have the same shape.

    Example:
        >>> import numpy as np
        >>> from losslab.optim import adadelta_update
        >>> p, g = np.array([0.0]), np.array([1.0])
        >>> v, u = adadelta_update(p, g, rho=0.0, eps=1.0)   # v = 1, Δ = √1/√2 · 1
        >>> round(float(p[0]), 6), round(float(u[0]), 6)
        (-0.707107, 0.5)
    """
    fn = "adadelta_update"
    g = A.as_param_dtype(param, grad, maximize, fn)
    square_avg = A.state_array(square_avg, param, "square_avg", fn)
    acc_delta = A.state_array(acc_delta, param, "acc_delta", fn)
    if weight_decay != 0:
        g = g + weight_decay * param
    square_avg *= rho
    square_avg += (1 - rho) * g * g
    std = np.sqrt(square_avg + eps)
    delta = np.sqrt(acc_delta + eps)
    delta /= std
    delta *= g
    acc_delta *= rho
    acc_delta += (1 - rho) * delta * delta
    param += -lr * delta
    return square_avg, acc_delta


def _check_options(o: dict, where: str) -> None:
    """Validate Adadelta hyperparameters (``torch.optim.Adadelta.__init__``'s conditions)."""
    A.check_lr(o, where)
    A.check_range(o, "rho", where, hi=1.0)
    A.check_range(o, "eps", where, label="epsilon")
    A.check_range(o, "weight_decay", where)
    A.check_flags(o, where, ("maximize",))
    A.check_impl_flags(o, where)


class Adadelta(Optimizer):
    r"""Adadelta, as ``torch.optim.Adadelta``.

    Formula (η = lr, ρ = rho, λ = weight_decay; per parameter θ)::

        g_t = ∇J(θ_{t-1})    (−∇J if maximize)
        g_t = g_t + λ·θ_{t-1}                          (if λ ≠ 0)
        v_t = ρ·v_{t-1} + (1 − ρ)·g_t²
        Δ_t = √(u_{t-1} + ε)/√(v_t + ε) · g_t
        u_t = ρ·u_{t-1} + (1 − ρ)·Δ_t²
        θ_t = θ_{t-1} − η·Δ_t

    The kernel is :func:`adadelta_update`; the state is ``step``, ``square_avg`` (v) and
    ``acc_delta`` (u).

    Args:
        params: iterable of Tensors, of ``(name, Tensor)`` pairs, or of param-group dicts.
        lr: coefficient η scaling Δ (default 1.0, the paper's algorithm); float or 1-element Tensor.
        rho: decay ρ in [0, 1] (default 0.9; Keras uses 0.95).
        eps: ε ≥ 0 inside both roots (default 1e-6; it also sets the size of the first steps,
            about η·√ε·g/√(v + ε)).
        weight_decay: L2 penalty λ ≥ 0 added to the gradient (default 0).
        foreach: accepted and ignored. capturable, differentiable: must be False.
        maximize: maximise the objective (default False).

    Shape:
        Parameters of any shape; the state arrays have their parameter's shape and dtype.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import Adadelta
        >>> w = ll.tensor([2.0, -3.0], requires_grad=True)
        >>> opt = Adadelta([w], lr=1.0, eps=1e-3)   # a larger ε makes larger first steps
        >>> for _ in range(300):
        ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> bool(abs(w.data).max() < 0.05)
        True

    Note:
        With ε = 0 the first step is 0 (u₀ = 0) and nothing ever moves: ε both starts and
        regularises the method. Both roots hold ε inside, as in the paper, PyTorch and Keras.

    References:
        Zeiler (2012), ADADELTA: An Adaptive Learning Rate Method, arXiv:1212.5701;
        https://docs.pytorch.org/docs/stable/generated/torch.optim.Adadelta.html
    """

    _param_shaped_state = ("square_avg", "acc_delta")

    def __init__(self, params, lr: float | Tensor = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        _check_options(defaults, "Adadelta")
        super().__init__(params, defaults)

    def _validate_group(self, group: dict, index: int) -> None:
        _check_options(group, f"Adadelta param group {index}")

    def step(self, closure=None):
        """Perform one Adadelta step on every parameter that has a gradient.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.

        Returns:
            the closure's loss, or None.
        """
        loss = self._run_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr = A.num(group["lr"])
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = self._grad_array(p)
                    param = self._param_array(p)
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = A.new_step()
                        state["square_avg"] = np.zeros_like(param)
                        state["acc_delta"] = np.zeros_like(param)
                    A.advance_step(state)
                    adadelta_update(param, grad, state["square_avg"], state["acc_delta"], lr=lr,
                                    rho=group["rho"], eps=group["eps"],
                                    weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss


def _adadelta_oracle_configs() -> tuple[dict, ...]:
    """weight_decay {0, 1e-2} × maximize × rho {0.9, 0.5}, plus lr/eps variants (10)."""
    out = []
    for rho in (0.9, 0.5):
        for wd in (0.0, 1e-2):
            for maximize in (False, True):
                out.append(dict(lr=1.0, rho=rho, weight_decay=wd, maximize=maximize))
    out.append(dict(lr=5.0, eps=1e-4))
    out.append(dict(lr=0.5, rho=0.0, eps=1e-3))
    return tuple(out)


register_optimizer(OptimizerInfo(
    name="adadelta",
    cls=Adadelta,
    torch_name="Adadelta",
    summary="Adadelta: steps scaled by RMS(past updates)/RMS(gradients), so no learning rate "
            "needs tuning (η = 1); optional L2 weight decay.",
    update_rule="v ← ρv + (1−ρ)g²;  Δ = √(u+ε)/√(v+ε)·g;  u ← ρu + (1−ρ)Δ²;  θ ← θ − ηΔ",
    kernel=adadelta_update,
    state_keys=("step", "square_avg", "acc_delta"),
    oracle_configs=_adadelta_oracle_configs(),
    descent_config={"lr": 1.0, "rho": 0.999, "eps": 1e-4},
    descent_steps=2000,
    references=(
        "Zeiler 2012, ADADELTA: An Adaptive Learning Rate Method, arXiv:1212.5701",
        "https://docs.pytorch.org/docs/stable/generated/torch.optim.Adadelta.html",
    ),
))
