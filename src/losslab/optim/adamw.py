r"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter), ``torch.optim.AdamW``
(PyTorch 2.13): :class:`~losslab.optim.Adam` with ``decoupled_weight_decay=True`` and a default
weight decay of 1e-2."""
from __future__ import annotations

from ..autograd import Tensor
from .adam import Adam, adam_update
from .registry import OptimizerInfo, register_optimizer

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW: Adam whose weight decay shrinks the parameters directly instead of entering the
    gradient (and so the moment estimates), as ``torch.optim.AdamW``.

    Formula (η = lr, (β₁, β₂) = betas, λ = weight_decay; per parameter θ, t = 1, 2, …)::

        g_t = ∇J(θ_{t-1})    (−∇J if maximize)
        θ_{t-1} ← θ_{t-1}·(1 − ηλ)                     (decoupled: λ never reaches m or v)
        m_t = β₁·m_{t-1} + (1 − β₁)·g_t          m̂_t = m_t/(1 − β₁ᵗ)
        v_t = β₂·v_{t-1} + (1 − β₂)·g_t²         v̂_t = v_t/(1 − β₂ᵗ)   (amsgrad: running max of v_t)
        θ_t = θ_{t-1} − η·m̂_t/(√v̂_t + ε)

    The kernel is :func:`~losslab.optim.adam_update` with ``decoupled_weight_decay=True``.

    Args:
        params: iterable of Tensors, of ``(name, Tensor)`` pairs, or of param-group dicts.
        lr: learning rate η (default 1e-3); a float or a 1-element Tensor.
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε ≥ 0 (default 1e-8).
        weight_decay: decoupled decay λ ≥ 0 (default 1e-2); the shrink per step is ηλ, so it
            follows a learning-rate schedule (PyTorch's and optax's convention).
        amsgrad: use the running maximum of v (default False).
        maximize: maximise the objective (default False).
        foreach: accepted and ignored. capturable, differentiable: must be False. fused: None/False.
        eps_style: ``"pytorch"`` (default) or ``"epsilon_hat"`` (Keras/TF), as in :class:`Adam`.

    Shape:
        Parameters of any shape; the state arrays have their parameter's shape and dtype.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import AdamW
        >>> w = ll.tensor([1.0], requires_grad=True)
        >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = ll.zeros(1)      # no gradient signal: only the decay acts
        >>> opt.step(); round(w.item(), 6)   # θ·(1 − 0.1·0.5)
        0.95

    Note:
        * Param groups carry ``decoupled_weight_decay=True`` as PyTorch's do, and loading a state
          dict keeps it True (as ``torch.optim.AdamW.__setstate__``).
        * Keras's AdamW decays by ``lr·weight_decay`` too but uses ε̂ (``eps_style="epsilon_hat"``)
          and ε = 1e-7, weight_decay = 0.004 by default.

    References:
        Loshchilov & Hutter (2019), Decoupled Weight Decay Regularization, arXiv:1711.05101;
        https://docs.pytorch.org/docs/stable/generated/torch.optim.AdamW.html
    """

    def __init__(self, params, lr: float | Tensor = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 eps_style: str = "pytorch") -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True, eps_style=eps_style)

    def load_state_dict(self, state_dict: dict) -> None:
        """As :meth:`Optimizer.load_state_dict`; every group keeps ``decoupled_weight_decay=True``
        (so an Adam state dict loads as AdamW, as in PyTorch)."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


def _adamw_oracle_configs() -> tuple[dict, ...]:
    """weight_decay {1e-2, 0.1, 0} × amsgrad × maximize (first: amsgrad) + non-default betas."""
    out = []
    for amsgrad in (True, False):
        for wd in (1e-2, 0.1, 0.0):
            for maximize in (False, True):
                if wd == 0.0 and maximize:
                    continue
                out.append(dict(lr=0.01, weight_decay=wd, amsgrad=amsgrad, maximize=maximize))
    out.append(dict(lr=0.02, betas=(0.85, 0.98), eps=1e-7))  # the default weight decay, 1e-2
    return tuple(out)


register_optimizer(OptimizerInfo(
    name="adamw",
    cls=AdamW,
    torch_name="AdamW",
    summary="AdamW: Adam with decoupled weight decay θ ← θ(1 − ηλ), which does not pass through "
            "the adaptive moments.",
    update_rule="θ ← θ(1−ηλ);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  "
                "θ ← θ − η·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)",
    kernel=adam_update,
    state_keys=("step", "exp_avg", "exp_avg_sq"),
    oracle_configs=_adamw_oracle_configs(),
    descent_config={"lr": 0.05, "weight_decay": 1e-4},
    descent_steps=2000,
    references=(
        "Loshchilov & Hutter 2019, Decoupled Weight Decay Regularization, arXiv:1711.05101",
        "https://docs.pytorch.org/docs/stable/generated/torch.optim.AdamW.html",
    ),
))
