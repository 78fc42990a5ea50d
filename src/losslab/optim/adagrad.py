r"""AdaGrad (Duchi, Hazan & Singer), with learning-rate decay, an initial accumulator value, L2
weight decay and maximisation: ``torch.optim.Adagrad``'s algorithm (PyTorch 2.13), step for step;
plus, by name, ε inside the square root as Keras and optax put it (``eps_inside_sqrt=True``).

Seed 003: "AdaGrad: adapts learning rate per parameter (good for sparse data, NLP)" — each
coordinate's step is divided by the root of the sum of its squared gradients so far, so
frequently-updated coordinates slow down and rare ones keep large steps.
"""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor, no_grad
from . import _adaptive as A
from .optimizer import Optimizer
from .registry import OptimizerInfo, register_optimizer

__all__ = ["Adagrad", "adagrad_update"]


def adagrad_update(param: np.ndarray, grad: np.ndarray, state_sum: np.ndarray | None = None, *,
                   step: float, lr: float, lr_decay: float = 0.0, weight_decay: float = 0.0,
                   eps: float = 1e-10, initial_accumulator_value: float = 0.0,
                   maximize: bool = False, eps_inside_sqrt: bool = False) -> np.ndarray:
    r"""One Adagrad update of one parameter array, in place; returns the accumulator ``sum``
    (the given array, updated in place, or a new one filled with ``initial_accumulator_value``
    when None).

    Formula (PyTorch's ``Adagrad``; η = lr, κ = lr_decay, λ = weight_decay, t = step ≥ 1)::

        g ← −∇J(θ) if maximize else ∇J(θ)
        g ← g + λθ                               (if λ ≠ 0)
        η_t = η / (1 + (t − 1)·κ)
        s ← s + g²                               (sum, s₀ = initial_accumulator_value)
        θ ← θ − η_t · g / (√s + ε)               (eps_inside_sqrt: θ ← θ − η_t · g / √(s + ε))

    Args:
        param: the parameter array, updated in place (dtype kept).
        grad: ∇J(θ), same shape (not modified).
        state_sum: the accumulator s (None: a new one at ``initial_accumulator_value``).
        step: t, the number of this step (1 for the first), used by ``lr_decay``.
        lr, lr_decay, weight_decay, eps, maximize: as :class:`Adagrad`.
        initial_accumulator_value: s₀, used only when ``state_sum`` is None.
        eps_inside_sqrt: put ε inside the square root (Keras, optax) instead of after it.

    Shape:
        ``param``, ``grad`` and ``state_sum`` have the same shape.

    Example:
        >>> import numpy as np
        >>> from losslab.optim import adagrad_update
        >>> p, g = np.array([1.0, 1.0]), np.array([2.0, -0.5])
        >>> s = adagrad_update(p, g, step=1, lr=0.1)   # s = g², step η·g/|g| = η·sign(g)
        >>> s.tolist(), np.round(p, 6).tolist()
        ([4.0, 0.25], [0.9, 1.1])

    Note:
        With ε = 0 the two placements are identical. Otherwise ε inside the root damps
        coordinates whose accumulated s is comparable to ε: for s ≪ ε the step is η·g/√ε
        instead of about η·g/(|g| + ε).
    """
    fn = "adagrad_update"
    g = A.as_param_dtype(param, grad, maximize, fn)
    state_sum = A.state_array(state_sum, param, "state_sum", fn, fill=initial_accumulator_value)
    if weight_decay != 0:
        g = g + weight_decay * param
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum += g * g
    if eps_inside_sqrt:  # Keras/optax: g / sqrt(s + eps)
        std = np.sqrt(state_sum + eps)
    else:
        std = np.sqrt(state_sum)
        std += eps
    param += (-clr * g) / std
    return state_sum


def _check_options(o: dict, where: str) -> None:
    """Validate Adagrad hyperparameters (``torch.optim.Adagrad.__init__``'s conditions)."""
    A.check_lr(o, where)
    A.check_range(o, "lr_decay", where)
    A.check_range(o, "weight_decay", where)
    A.check_range(o, "initial_accumulator_value", where)
    A.check_range(o, "eps", where, label="epsilon")
    A.check_flags(o, where, ("maximize", "eps_inside_sqrt"))
    A.check_impl_flags(o, where)


class Adagrad(Optimizer):
    r"""AdaGrad, as ``torch.optim.Adagrad``.

    Formula (η = lr, κ = lr_decay, λ = weight_decay, s₀ = initial_accumulator_value;
    per parameter θ, t = 1, 2, …)::

        g_t = ∇J(θ_{t-1})    (−∇J if maximize)
        g_t = g_t + λ·θ_{t-1}                          (if λ ≠ 0)
        η_t = η / (1 + (t − 1)·κ)
        s_t = s_{t-1} + g_t²
        θ_t = θ_{t-1} − η_t · g_t / (√s_t + ε)          (eps_inside_sqrt: / √(s_t + ε))

    The kernel is :func:`adagrad_update`; the state is ``step`` (0-d float array) and ``sum`` (s).

    Args:
        params: iterable of Tensors, of ``(name, Tensor)`` pairs, or of param-group dicts.
        lr: learning rate η (default 1e-2); a float or a 1-element Tensor.
        lr_decay: κ ≥ 0 (default 0): η_t = η/(1 + (t − 1)κ).
        weight_decay: L2 penalty λ ≥ 0 added to the gradient (default 0).
        initial_accumulator_value: s₀ ≥ 0 (default 0; Keras and optax use 0.1).
        eps: ε ≥ 0 (default 1e-10; Keras and optax use 1e-7 inside the root).
        foreach: accepted and ignored. maximize: maximise the objective (default False).
        differentiable: must be False. fused: must be None or False.
        eps_inside_sqrt: divide by √(s + ε) as Keras (``Adagrad``) and optax (``adagrad``) do,
            instead of PyTorch's √s + ε (default False; stored in the param groups and the state
            dict only when True). ``Adagrad(p, lr, initial_accumulator_value=0.1, eps=1e-7,
            eps_inside_sqrt=True)`` is Keras's Adagrad (without Keras's decoupled weight decay).

    Shape:
        Parameters of any shape; ``sum`` has its parameter's shape and dtype.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import Adagrad
        >>> w = ll.tensor([2.0, -3.0], requires_grad=True)
        >>> opt = Adagrad([w], lr=1.0)
        >>> for _ in range(200):
        ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> bool(abs(w.data).max() < 1e-3)
        True

    Note:
        * As in PyTorch the state (``step`` = 0, ``sum`` = s₀) is created in ``__init__`` for
          every parameter, so ``state_dict()`` lists parameters that never had a gradient; a
          parameter whose ``.grad`` is None is not updated. Parameters added later with
          ``add_param_group`` get their state at their first step.
        * A param group's own ``initial_accumulator_value`` is used for its parameters (PyTorch
          uses the constructor's value for every group: the numbers agree unless a group sets its
          own value).
        * ε inside the root (``eps_inside_sqrt=True``) equals PyTorch's placement when ε = 0 and
          damps small accumulators otherwise (s ≪ ε: step ≈ η_t·g/√ε instead of η_t·g/(|g| + ε)).

    References:
        Duchi, Hazan & Singer (2011), Adaptive Subgradient Methods for Online Learning and
        Stochastic Optimization, JMLR 12; https://docs.pytorch.org/docs/stable/generated/torch.optim.Adagrad.html
    """

    _param_shaped_state = ("sum",)

    def __init__(self, params, lr: float | Tensor = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 eps_inside_sqrt: bool = False) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        A.add_conventions(defaults, {"eps_inside_sqrt": eps_inside_sqrt}, {"eps_inside_sqrt": False})
        _check_options(defaults, "Adagrad")
        super().__init__(params, defaults)
        for group in self.param_groups:  # eager state, as torch.optim.Adagrad.__init__
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group) -> dict:
        state = self.state[p]
        state["step"] = A.new_step()
        state["sum"] = np.full_like(self._param_array(p), group["initial_accumulator_value"])
        return state

    def _validate_group(self, group: dict, index: int) -> None:
        _check_options(group, f"Adagrad param group {index}")

    def step(self, closure=None):
        """Perform one Adagrad step on every parameter that has a gradient.

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
                        self._init_state(p, group)
                    t = A.advance_step(state)
                    state["sum"] = adagrad_update(
                        param, grad, state.get("sum"), step=t, lr=lr, lr_decay=group["lr_decay"],
                        weight_decay=group["weight_decay"], eps=group["eps"],
                        initial_accumulator_value=group["initial_accumulator_value"],
                        maximize=group["maximize"],
                        eps_inside_sqrt=group.get("eps_inside_sqrt", False),
                    )
        return loss


def _adagrad_oracle_configs() -> tuple[dict, ...]:
    """lr_decay {0, 0.01} × weight_decay {0, 1e-2} × maximize, plus initial_accumulator_value
    and eps variants (10 configurations)."""
    out = [dict(lr=0.1, lr_decay=0.01, weight_decay=1e-2, initial_accumulator_value=0.1)]
    for lr_decay in (0.0, 0.01):
        for wd in (0.0, 1e-2):
            for maximize in (False, True):
                out.append(dict(lr=0.1, lr_decay=lr_decay, weight_decay=wd, maximize=maximize))
    out.append(dict(lr=0.05, initial_accumulator_value=0.5, eps=1e-3))
    return tuple(out)


register_optimizer(OptimizerInfo(
    name="adagrad",
    cls=Adagrad,
    torch_name="Adagrad",
    summary="AdaGrad: per-coordinate steps divided by the root of the running sum of squared "
            "gradients; optional learning-rate decay and L2 weight decay.",
    update_rule="s ← s + g²;  θ ← θ − η/(1+(t−1)κ) · g/(√s + ε)",
    kernel=adagrad_update,
    state_keys=("step", "sum"),
    oracle_configs=_adagrad_oracle_configs(),
    descent_config={"lr": 2.0},
    descent_steps=2000,
    references=(
        "Duchi, Hazan & Singer 2011, Adaptive Subgradient Methods for Online Learning and "
        "Stochastic Optimization, JMLR 12:2121-2159",
        "https://docs.pytorch.org/docs/stable/generated/torch.optim.Adagrad.html",
    ),
))
