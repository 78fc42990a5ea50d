r"""Lion, EvoLved Sign Momentum (Chen et al. 2023, "Symbolic Discovery of Optimization
Algorithms", Algorithm 2): the update is the *sign* of an interpolation between the momentum and
the gradient, so every coordinate moves by exactly ±η (plus decoupled weight decay), and the
momentum is tracked with a second, slower coefficient.

PyTorch has no Lion; this follows the paper and ``optax.lion`` (same defaults β = (0.9, 0.99)).
"""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor, no_grad
from . import _adaptive as A
from .optimizer import Optimizer
from .registry import OptimizerInfo, register_optimizer

__all__ = ["Lion", "lion_update"]


def lion_update(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray | None = None, *,
                lr: float, beta1: float = 0.9, beta2: float = 0.99, weight_decay: float = 0.0,
                maximize: bool = False) -> np.ndarray:
    r"""One Lion update of one parameter array, in place; returns the momentum ``exp_avg`` (the
    given array updated in place, or a new one started at zeros when None).

    Formula (Chen et al. 2023, Algorithm 2; η = lr, λ = weight_decay)::

        g ← −∇J(θ) if maximize else ∇J(θ)
        c ← β₁·m + (1 − β₁)·g                  (interpolation used for the update only)
        θ ← θ − η·(sign(c) + λ·θ)              (decoupled weight decay)
        m ← β₂·m + (1 − β₂)·g                  (exp_avg, m₀ = 0)

    sign(0) = 0, so a coordinate with c = 0 only decays.

    Args:
        param: the parameter array θ, updated in place (dtype kept).
        grad: ∇J(θ), same shape (not modified).
        exp_avg: the momentum m (None: start at zeros).
        lr: η ≥ 0. beta1, beta2: β₁, β₂ in [0, 1). weight_decay: λ ≥ 0.
        maximize: ascend instead of descend.

    Shape:
        ``param``, ``grad`` and ``exp_avg`` have the same shape.

    Example:
        >>> import numpy as np
        >>> from losslab.optim import lion_update
        >>> p = np.array([1.0, 1.0, 1.0])
        >>> m = lion_update(p, np.array([0.3, -5.0, 0.0]), lr=0.1)   # every coordinate ±η
        >>> p.tolist(), np.round(m, 6).tolist()
        ([0.9, 1.1, 1.0], [0.003, -0.05, 0.0])

    Note:
        Weight decay is applied as in the paper and optax (η·λ·θ from the parameter before this
        step, in the same update); ``lion-pytorch`` multiplies θ by (1 − ηλ) first, which is the
        same number up to rounding.
    """
    fn = "lion_update"
    g = A.as_param_dtype(param, grad, maximize, fn)
    exp_avg = A.state_array(exp_avg, param, "exp_avg", fn)
    c = beta1 * exp_avg + (1 - beta1) * g
    update = np.sign(c)
    if weight_decay != 0:
        update = update + weight_decay * param
    param -= lr * update
    exp_avg *= beta2
    exp_avg += (1 - beta2) * g
    return exp_avg


def _check_options(o: dict, where: str) -> None:
    A.check_lr(o, where)
    A.check_betas(o, where)
    A.check_range(o, "weight_decay", where)
    A.check_flags(o, where, ("maximize",))
    A.check_impl_flags(o, where)


class Lion(Optimizer):
    r"""Lion (EvoLved Sign Momentum), Chen et al. 2023; PyTorch has none, this follows the paper
    and ``optax.lion``.

    Formula (η = lr, (β₁, β₂) = betas, λ = weight_decay; per parameter θ)::

        g_t = ∇J(θ_{t-1})    (−∇J if maximize)
        c_t = β₁·m_{t-1} + (1 − β₁)·g_t
        θ_t = θ_{t-1} − η·(sign(c_t) + λ·θ_{t-1})
        m_t = β₂·m_{t-1} + (1 − β₂)·g_t        (m₀ = 0)

    The kernel is :func:`lion_update`; the state is ``exp_avg`` (m).

    Args:
        params: iterable of Tensors, of ``(name, Tensor)`` pairs, or of param-group dicts.
        lr: η ≥ 0 (default 1e-4; the paper advises 3–10× smaller than AdamW's), a float or a
            1-element Tensor.
        betas: (β₁, β₂) in [0, 1) (default (0.9, 0.99)).
        weight_decay: decoupled weight decay λ ≥ 0 (default 0; the paper advises 3–10× larger
            than AdamW's, so that ηλ stays the same).
        maximize: maximise the objective (default False). foreach: accepted and ignored.
        differentiable: must be False.

    Shape:
        Parameters of any shape; ``exp_avg`` has its parameter's shape and dtype.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import Lion
        >>> w = ll.tensor([2.0, -3.0], requires_grad=True)
        >>> opt = Lion([w], lr=0.05)
        >>> for _ in range(200):
        ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> bool(abs(w.data).max() < 0.05)
        True

    Note:
        * Not in ``torch.optim``; checked against a plain NumPy transcription of the paper's
          Algorithm 2. Default ``weight_decay`` is 0 (as ``lion-pytorch`` and timm);
          ``optax.lion`` defaults to 1e-3.
        * No step counter is kept (Lion needs no bias correction).

    References:
        Chen, Liang, Huang, Real, Wang, Liu, Pham, Dong, Luong, Hsieh, Lu, Le (2023), Symbolic
        Discovery of Optimization Algorithms, arXiv:2302.06675;
        https://optax.readthedocs.io/en/latest/api/optimizers.html#optax.lion
    """

    _param_shaped_state = ("exp_avg",)

    def __init__(self, params, lr: float | Tensor = 1e-4, betas: tuple[float, float] = (0.9, 0.99),
                 weight_decay: float = 0.0, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        _check_options(defaults, "Lion")
        super().__init__(params, defaults)

    def _validate_group(self, group: dict, index: int) -> None:
        _check_options(group, f"Lion param group {index}")

    def step(self, closure=None):
        """Perform one Lion step on every parameter that has a gradient.

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
                        state["exp_avg"] = np.zeros_like(param)
                    lion_update(param, grad, state["exp_avg"], lr=lr, beta1=beta1, beta2=beta2,
                                weight_decay=group["weight_decay"], maximize=group["maximize"])
        return loss


register_optimizer(OptimizerInfo(
    name="lion",
    cls=Lion,
    torch_name=None,
    summary="Lion: the sign of an interpolation of momentum and gradient (every coordinate moves "
            "±η), with decoupled weight decay; one state array, no second moment.",
    update_rule="c ← β₁m + (1−β₁)g;  θ ← θ − η·(sign(c) + λθ);  m ← β₂m + (1−β₂)g",
    kernel=lion_update,
    state_keys=("exp_avg",),
    oracle_configs=(
        dict(lr=1e-3),
        dict(lr=1e-3, maximize=True),
        dict(lr=3e-3, betas=(0.8, 0.95), weight_decay=0.1),
        dict(lr=1e-3, betas=(0.0, 0.5), weight_decay=1.0, maximize=True),
    ),
    descent_config={"lr": 2e-3},
    descent_steps=2000,
    references=(
        "Chen et al. 2023, Symbolic Discovery of Optimization Algorithms, arXiv:2302.06675",
        "https://optax.readthedocs.io/en/latest/api/optimizers.html#optax.lion",
    ),
))
