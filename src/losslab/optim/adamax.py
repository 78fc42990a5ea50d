r"""Adamax (Kingma & Ba 2015, §7.1), Adam with the infinity norm in place of the second moment,
with L2 weight decay and maximisation: ``torch.optim.Adamax``'s algorithm (PyTorch 2.13), step for
step."""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor, no_grad
from . import _adaptive as A
from .optimizer import Optimizer
from .registry import OptimizerInfo, register_optimizer

__all__ = ["Adamax", "adamax_update"]


def adamax_update(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray | None = None,
                  exp_inf: np.ndarray | None = None, *, step: float, lr: float,
                  beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                  weight_decay: float = 0.0, maximize: bool = False
                  ) -> tuple[np.ndarray, np.ndarray]:
    r"""One Adamax update of one parameter array, in place; returns ``(exp_avg, exp_inf)`` (the
    given arrays updated in place, new zero-started ones when None).

    Formula (PyTorch's ``Adamax``; η = lr, λ = weight_decay, t = step ≥ 1)::

        g ← −∇J(θ) if maximize else ∇J(θ)
        g ← g + λθ                              (if λ ≠ 0)
        m ← β₁·m + (1 − β₁)·g                   (exp_avg, m₀ = 0)
        u ← max(β₂·u, |g| + ε)                  (exp_inf, u₀ = 0)
        θ ← θ − η/(1 − β₁ᵗ) · m/u

    Args:
        param: the parameter array, updated in place (dtype kept).
        grad: ∇J(θ), same shape (not modified).
        exp_avg, exp_inf: the state arrays m, u (None: start at zeros).
        step: t, the number of this step (1 for the first).
        lr, beta1, beta2, eps, weight_decay, maximize: as :class:`Adamax`.

    Shape:
        ``param``, ``grad`` and the state arrays have the same shape.

    Example:
        >>> import numpy as np
        >>> from losslab.optim import adamax_update
        >>> p, g = np.array([1.0, 1.0]), np.array([3.0, -0.5])
        >>> m, u = adamax_update(p, g, step=1, lr=0.1, eps=0.0)   # m̂ = g, u = |g|
        >>> np.round(p, 6).tolist(), u.tolist()
        ([0.9, 1.1], [3.0, 0.5])

    Note:
        ε is added to |g| before the maximum (PyTorch's placement), not to the denominator as
        in Keras (``m/(u + ε)``); both give the paper's rule when ε = 0.
    """
    fn = "adamax_update"
    g = A.as_param_dtype(param, grad, maximize, fn)
    exp_avg = A.state_array(exp_avg, param, "exp_avg", fn)
    exp_inf = A.state_array(exp_inf, param, "exp_inf", fn)
    if weight_decay != 0:
        g = g + weight_decay * param
    A.lerp_(exp_avg, g, 1 - beta1)
    exp_inf *= beta2
    norm = np.abs(g)
    norm += eps
    np.maximum(exp_inf, norm, out=exp_inf)
    clr = lr / (1 - beta1 ** step)
    param += (-clr * exp_avg) / exp_inf
    return exp_avg, exp_inf


def _check_options(o: dict, where: str) -> None:
    """Validate Adamax hyperparameters (``torch.optim.Adamax.__init__``'s conditions)."""
    A.check_lr(o, where)
    A.check_range(o, "eps", where, label="epsilon")
    A.check_betas(o, where)
    A.check_range(o, "weight_decay", where)
    A.check_flags(o, where, ("maximize",))
    A.check_impl_flags(o, where)


class Adamax(Optimizer):
    r"""Adamax, as ``torch.optim.Adamax``: Adam with the infinity norm of past gradients in
    place of the root mean square.

    Formula (η = lr, (β₁, β₂) = betas, λ = weight_decay; per parameter θ, t = 1, 2, …)::

        g_t = ∇J(θ_{t-1})    (−∇J if maximize)
        g_t = g_t + λ·θ_{t-1}                     (if λ ≠ 0)
        m_t = β₁·m_{t-1} + (1 − β₁)·g_t
        u_t = max(β₂·u_{t-1}, |g_t| + ε)
        θ_t = θ_{t-1} − η/(1 − β₁ᵗ) · m_t/u_t

    The kernel is :func:`adamax_update`; the state is ``step``, ``exp_avg`` (m), ``exp_inf`` (u).

    Args:
        params: iterable of Tensors, of ``(name, Tensor)`` pairs, or of param-group dicts.
        lr: learning rate η (default 2e-3); a float or a 1-element Tensor.
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε ≥ 0 added to |g| (default 1e-8).
        weight_decay: L2 penalty λ ≥ 0 added to the gradient (default 0).
        foreach: accepted and ignored. maximize: maximise the objective (default False).
        differentiable, capturable: must be False.

    Shape:
        Parameters of any shape; the state arrays have their parameter's shape and dtype.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import Adamax
        >>> w = ll.tensor([2.0, -3.0], requires_grad=True)
        >>> opt = Adamax([w], lr=0.1)
        >>> for _ in range(300):
        ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> bool(abs(w.data).max() < 0.05)
        True

    Note:
        No bias correction is needed for u (the maximum is not biased towards zero), as in the
        paper. Keras adds ε to the denominator instead (``m/(u + ε)``).

    References:
        Kingma & Ba (2015), Adam: A Method for Stochastic Optimization, §7.1, arXiv:1412.6980;
        https://docs.pytorch.org/docs/stable/generated/torch.optim.Adamax.html
    """

    _param_shaped_state = ("exp_avg", "exp_inf")

    def __init__(self, params, lr: float | Tensor = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        _check_options(defaults, "Adamax")
        super().__init__(params, defaults)

    def _validate_group(self, group: dict, index: int) -> None:
        _check_options(group, f"Adamax param group {index}")

    def step(self, closure=None):
        """Perform one Adamax step on every parameter that has a gradient.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.

        Returns:
            the closure's loss, or None.
        """
        loss = self._run_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr = A.num(group["lr"])
                beta1, beta2 = (A.num(b) for b in group["betas"])
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = self._grad_array(p)
                    param = self._param_array(p)
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = A.new_step()
                        state["exp_avg"] = np.zeros_like(param)
                        state["exp_inf"] = np.zeros_like(param)
                    t = A.advance_step(state)
                    adamax_update(param, grad, state["exp_avg"], state["exp_inf"], step=t, lr=lr,
                                  beta1=beta1, beta2=beta2, eps=group["eps"],
                                  weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss


def _adamax_oracle_configs() -> tuple[dict, ...]:
    """weight_decay {0, 1e-2} × maximize, plus betas/eps variants (6)."""
    out = []
    for wd in (0.0, 1e-2):
        for maximize in (False, True):
            out.append(dict(lr=0.01, weight_decay=wd, maximize=maximize))
    out.append(dict(lr=0.02, betas=(0.8, 0.99), eps=1e-5))
    out.append(dict(lr=0.005, betas=(0.4, 0.9), eps=1e-3, weight_decay=0.1))
    return tuple(out)


register_optimizer(OptimizerInfo(
    name="adamax",
    cls=Adamax,
    torch_name="Adamax",
    summary="Adamax: Adam with the exponentially weighted infinity norm of the gradients in the "
            "denominator; optional L2 weight decay.",
    update_rule="m ← β₁m + (1−β₁)g;  u ← max(β₂u, |g|+ε);  θ ← θ − η/(1−β₁ᵗ) · m/u",
    kernel=adamax_update,
    state_keys=("step", "exp_avg", "exp_inf"),
    oracle_configs=_adamax_oracle_configs(),
    descent_config={"lr": 0.05},
    descent_steps=2000,
    references=(
        "Kingma & Ba 2015, Adam: A Method for Stochastic Optimization, section 7.1, arXiv:1412.6980",
        "https://docs.pytorch.org/docs/stable/generated/torch.optim.Adamax.html",
    ),
))
