r"""RAdam (Liu et al. 2020), rectified Adam, with coupled or decoupled weight decay and
maximisation: ``torch.optim.RAdam``'s algorithm (PyTorch 2.13), step for step. While the variance
of the adaptive learning rate is intractable (the first few steps) it takes plain momentum steps;
afterwards Adam steps scaled by the rectification factor r_t."""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor, no_grad
from . import _adaptive as A
from .optimizer import Optimizer
from .registry import OptimizerInfo, register_optimizer

__all__ = ["RAdam", "radam_update"]


def radam_update(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray | None = None,
                 exp_avg_sq: np.ndarray | None = None, *, step: float, lr: float,
                 beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False,
                 maximize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    r"""One RAdam update of one parameter array, in place; returns ``(exp_avg, exp_avg_sq)``
    (the given arrays updated in place, new zero-started ones when None).

    Formula (PyTorch's ``RAdam``; η = lr, λ = weight_decay, t = step ≥ 1)::

        g ← −∇J(θ) if maximize else ∇J(θ)
        θ ← θ·(1 − ηλ)   (decoupled_weight_decay)   or   g ← g + λθ      (if λ ≠ 0)
        m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²;   m̂ = m/(1 − β₁ᵗ)
        ρ_∞ = 2/(1 − β₂) − 1;   ρ_t = ρ_∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)
        ρ_t > 5:  r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))
                  θ ← θ − η·m̂·√(1 − β₂ᵗ)/(√v + ε)·r_t
        else:     θ ← θ − η·m̂

    Args:
        param: the parameter array, updated in place (dtype kept).
        grad: ∇J(θ), same shape (not modified).
        exp_avg, exp_avg_sq: the state arrays m, v (None: start at zeros).
        step: t, the number of this step (1 for the first).
        lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize: as :class:`RAdam`.

    Shape:
        ``param``, ``grad`` and the state arrays have the same shape.

    Example:
        >>> import numpy as np
        >>> from losslab.optim import radam_update
        >>> p, g = np.array([1.0]), np.array([4.0])
        >>> m, v = radam_update(p, g, step=1, lr=0.1)   # ρ₁ = 1 ≤ 5: an SGD-with-momentum step
        >>> round(float(p[0]), 6)                      # θ − η·m̂ = 1 − 0.1·4
        0.6
    """
    fn = "radam_update"
    g = A.as_param_dtype(param, grad, maximize, fn)
    exp_avg = A.state_array(exp_avg, param, "exp_avg", fn)
    exp_avg_sq = A.state_array(exp_avg_sq, param, "exp_avg_sq", fn)
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * param
    A.lerp_(exp_avg, g, 1 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * g * g
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    bias_corrected_exp_avg = exp_avg / bias_correction1
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
    if rho_t > 5.0:
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        denom = np.sqrt(exp_avg_sq)
        denom += eps
        adaptive_lr = (bias_correction2 ** 0.5) / denom
        param -= bias_corrected_exp_avg * lr * adaptive_lr * rect
    else:
        param -= bias_corrected_exp_avg * lr
    return exp_avg, exp_avg_sq


def _check_options(o: dict, where: str) -> None:
    """Validate RAdam hyperparameters (``torch.optim.RAdam.__init__``'s conditions)."""
    A.check_lr(o, where)
    A.check_range(o, "eps", where, label="epsilon")
    A.check_betas(o, where)
    A.check_range(o, "weight_decay", where)
    A.check_flags(o, where, ("decoupled_weight_decay", "maximize"))
    A.check_impl_flags(o, where)


class RAdam(Optimizer):
    r"""RAdam (rectified Adam), as ``torch.optim.RAdam``.

    Formula (η = lr, (β₁, β₂) = betas, λ = weight_decay; per parameter θ, t = 1, 2, …)::

        g_t = ∇J(θ_{t-1})    (−∇J if maximize)
        θ_{t-1} ← θ_{t-1}(1 − ηλ)  if decoupled_weight_decay  else  g_t ← g_t + λθ_{t-1}
        m_t = β₁m_{t-1} + (1 − β₁)g_t;   v_t = β₂v_{t-1} + (1 − β₂)g_t²;   m̂_t = m_t/(1 − β₁ᵗ)
        ρ_∞ = 2/(1 − β₂) − 1;   ρ_t = ρ_∞ − 2tβ₂ᵗ/(1 − β₂ᵗ)
        ρ_t > 5:  θ_t = θ_{t-1} − η·m̂_t·r_t·√(1 − β₂ᵗ)/(√v_t + ε),
                  r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))
        else:     θ_t = θ_{t-1} − η·m̂_t

    The kernel is :func:`radam_update`; the state is ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v).

    Args:
        params: iterable of Tensors, of ``(name, Tensor)`` pairs, or of param-group dicts.
        lr: learning rate η (default 1e-3); a float or a 1-element Tensor.
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε ≥ 0 (default 1e-8).
        weight_decay: λ ≥ 0 (default 0), coupled unless ``decoupled_weight_decay`` (RAdamW).
        decoupled_weight_decay: decoupled weight decay (default False).
        foreach: accepted and ignored. maximize: maximise the objective (default False).
        capturable, differentiable: must be False.

    Shape:
        Parameters of any shape; the state arrays have their parameter's shape and dtype.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import RAdam
        >>> w = ll.tensor([2.0, -3.0], requires_grad=True)
        >>> opt = RAdam([w], lr=0.1)
        >>> for _ in range(300):
        ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> bool(abs(w.data).max() < 0.05)
        True

    Note:
        With β₂ = 0.999 the first 5 steps are un-adapted momentum steps of size η·m̂ (so a
        large η with large gradients jumps far at first). With β₂ ≤ 0.6 (ρ_∞ ≤ 4) ρ_t never
        exceeds 5 and RAdam is SGD with bias-corrected momentum throughout.

    References:
        Liu et al. (2020), On the Variance of the Adaptive Learning Rate and Beyond, ICLR,
        arXiv:1908.03265; https://docs.pytorch.org/docs/stable/generated/torch.optim.RAdam.html
    """

    _param_shaped_state = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr: float | Tensor = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False,
                 *, foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        _check_options(defaults, "RAdam")
        super().__init__(params, defaults)

    def _validate_group(self, group: dict, index: int) -> None:
        _check_options(group, f"RAdam param group {index}")

    def step(self, closure=None):
        """Perform one RAdam step on every parameter that has a gradient.

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
                        state["exp_avg_sq"] = np.zeros_like(param)
                    t = A.advance_step(state)
                    radam_update(param, grad, state["exp_avg"], state["exp_avg_sq"], step=t,
                                 lr=lr, beta1=beta1, beta2=beta2, eps=group["eps"],
                                 weight_decay=group["weight_decay"],
                                 decoupled_weight_decay=group["decoupled_weight_decay"],
                                 maximize=group["maximize"])
        return loss


def _radam_oracle_configs() -> tuple[dict, ...]:
    """weight decay {coupled, none, decoupled} × maximize, plus betas variants: β₂ = 0.99 enters
    the rectified phase at step 6, β₂ = 0.5 never does (8 configurations)."""
    out = []
    for wd in ("coupled", "none", "decoupled"):
        for maximize in (False, True):
            cfg = dict(lr=0.01, maximize=maximize)
            if wd != "none":
                cfg.update(weight_decay=1e-2, decoupled_weight_decay=wd == "decoupled")
            out.append(cfg)
    out.append(dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6))
    out.append(dict(lr=0.01, betas=(0.3, 0.5)))
    return tuple(out)


register_optimizer(OptimizerInfo(
    name="radam",
    cls=RAdam,
    torch_name="RAdam",
    summary="RAdam: Adam whose adaptive step is switched on and rectified once the variance of "
            "the adaptive learning rate is tractable; momentum SGD before that.",
    update_rule="ρ_t > 5: θ ← θ − η·m̂·r_t·√(1−β₂ᵗ)/(√v + ε);  else θ ← θ − η·m̂",
    kernel=radam_update,
    state_keys=("step", "exp_avg", "exp_avg_sq"),
    oracle_configs=_radam_oracle_configs(),
    descent_config={"lr": 0.01, "betas": (0.9, 0.99)},
    descent_steps=2000,
    references=(
        "Liu et al. 2020, On the Variance of the Adaptive Learning Rate and Beyond, arXiv:1908.03265",
        "https://docs.pytorch.org/docs/stable/generated/torch.optim.RAdam.html",
    ),
))
