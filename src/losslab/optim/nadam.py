r"""NAdam (Dozat 2016): Adam with Nesterov momentum and a momentum schedule, with coupled or
decoupled weight decay and maximisation: ``torch.optim.NAdam``'s algorithm (PyTorch 2.13), step
for step."""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor, no_grad
from . import _adaptive as A
from .optimizer import Optimizer
from .registry import OptimizerInfo, register_optimizer

__all__ = ["NAdam", "nadam_update"]


def nadam_update(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray | None = None,
                 exp_avg_sq: np.ndarray | None = None, mu_product: np.ndarray | None = None, *,
                 step: float, lr: float, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, maximize: bool = False
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""One NAdam update of one parameter array, in place; returns ``(exp_avg, exp_avg_sq,
    mu_product)`` (the given arrays updated in place, new ones when None: m = v = 0 and
    ``mu_product`` = 1, right only for step 1).

    Formula (PyTorch's ``NAdam``; η = lr, λ = weight_decay, ψ = momentum_decay, t = step ≥ 1)::

        g ← −∇J(θ) if maximize else ∇J(θ)
        θ ← θ·(1 − ηλ)   (decoupled_weight_decay)   or   g ← g + λθ      (if λ ≠ 0)
        μ_t = β₁·(1 − ½·0.96^(tψ)),   μ_{t+1} = β₁·(1 − ½·0.96^((t+1)ψ))
        Π_t = Π_{t-1}·μ_t                                   (mu_product, Π₀ = 1)
        m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²
        d = √(v/(1 − β₂ᵗ)) + ε
        θ ← θ − η(1 − μ_t)/(1 − Π_t) · g/d − η·μ_{t+1}/(1 − Π_t·μ_{t+1}) · m/d

    Args:
        param: the parameter array, updated in place (dtype kept).
        grad: ∇J(θ), same shape (not modified).
        exp_avg, exp_avg_sq: the state arrays m, v (None: start at zeros).
        mu_product: Π_{t-1} as a 0-d array, multiplied by μ_t in place in its own dtype (PyTorch
            keeps it in float32 unless the default dtype is float64).
        step: t, the number of this step (1 for the first).
        lr, beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize:
            as :class:`NAdam`.

    Shape:
        ``param``, ``grad``, ``exp_avg`` and ``exp_avg_sq`` have the same shape; ``mu_product`` is 0-d.

    Example:
        >>> import numpy as np
        >>> from losslab.optim import nadam_update
        >>> p, g = np.array([1.0]), np.array([0.5])
        >>> m, v, mp = nadam_update(p, g, step=1, lr=0.1, momentum_decay=0.0, eps=0.0)
        >>> round(float(mp), 4)                        # μ = β₁·(1 − ½) = 0.45
        0.45
    """
    fn = "nadam_update"
    g = A.as_param_dtype(param, grad, maximize, fn)
    exp_avg = A.state_array(exp_avg, param, "exp_avg", fn)
    exp_avg_sq = A.state_array(exp_avg_sq, param, "exp_avg_sq", fn)
    if mu_product is None:
        mu_product = np.ones((), dtype=A.scalar_dtype())
    elif not isinstance(mu_product, np.ndarray) or mu_product.shape != ():
        raise ValueError(f"{fn}: mu_product must be a 0-d array (updated in place), got {mu_product!r}")
    bias_correction2 = 1 - beta2 ** step
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * param
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    mu_product *= mu  # in mu_product's own dtype (float32 in PyTorch), as torch does
    A.lerp_(exp_avg, g, 1 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * g * g
    denom = np.sqrt(exp_avg_sq / bias_correction2)
    denom += eps
    mp = float(mu_product)
    mu_product_next = mp * mu_next
    param += ((-lr * (1.0 - mu) / (1.0 - mp)) * g) / denom
    param += (((-lr * mu_next) / (1.0 - mu_product_next)) * exp_avg) / denom
    return exp_avg, exp_avg_sq, mu_product


def _check_options(o: dict, where: str) -> None:
    """Validate NAdam hyperparameters (``torch.optim.NAdam.__init__``'s conditions)."""
    A.check_lr(o, where)
    A.check_range(o, "eps", where, label="epsilon")
    A.check_betas(o, where)
    A.check_range(o, "weight_decay", where)
    A.check_range(o, "momentum_decay", where)
    A.check_flags(o, where, ("decoupled_weight_decay", "maximize"))
    A.check_impl_flags(o, where)


class NAdam(Optimizer):
    r"""NAdam, as ``torch.optim.NAdam``: Adam with a Nesterov look-ahead on the first moment and
    Dozat's momentum warm-up schedule μ_t.

    Formula (η = lr, (β₁, β₂) = betas, λ = weight_decay, ψ = momentum_decay; per parameter θ)::

        g_t = ∇J(θ_{t-1})    (−∇J if maximize)
        θ_{t-1} ← θ_{t-1}(1 − ηλ)  if decoupled_weight_decay  else  g_t ← g_t + λθ_{t-1}
        μ_t = β₁(1 − ½·0.96^(tψ));   Π_t = Π_{t-1}·μ_t   (Π₀ = 1)
        m_t = β₁m_{t-1} + (1 − β₁)g_t;   v_t = β₂v_{t-1} + (1 − β₂)g_t²;   v̂_t = v_t/(1 − β₂ᵗ)
        θ_t = θ_{t-1} − η·[(1 − μ_t)/(1 − Π_t)·g_t + μ_{t+1}/(1 − Π_{t+1})·m_t] / (√v̂_t + ε)

    The kernel is :func:`nadam_update`; the state is ``step`` and ``mu_product`` (0-d arrays),
    ``exp_avg`` (m) and ``exp_avg_sq`` (v).

    Args:
        params: iterable of Tensors, of ``(name, Tensor)`` pairs, or of param-group dicts.
        lr: learning rate η (default 2e-3); a float or a 1-element Tensor.
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε ≥ 0 (default 1e-8).
        weight_decay: λ ≥ 0 (default 0), coupled (L2 in the gradient) unless
            ``decoupled_weight_decay`` (NAdamW: θ ← θ(1 − ηλ)).
        momentum_decay: ψ ≥ 0 (default 4e-3); ψ = 0 gives a constant μ = β₁/2.
        decoupled_weight_decay: decoupled weight decay (default False).
        foreach: accepted and ignored. maximize: maximise the objective (default False).
        capturable, differentiable: must be False.

    Shape:
        Parameters of any shape; the state arrays have their parameter's shape and dtype.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import NAdam
        >>> w = ll.tensor([2.0, -3.0], requires_grad=True)
        >>> opt = NAdam([w], lr=0.1)
        >>> for _ in range(300):
        ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> bool(abs(w.data).max() < 0.05)
        True

    Note:
        * ``mu_product`` is kept in PyTorch's scalar dtype (float32 unless the default dtype is
          float64), as PyTorch keeps it, so the numbers match. Loading a state dict keeps each
          saved ``mu_product``'s dtype (PyTorch casts it to the parameter's dtype on load, so a
          resumed PyTorch run drifts from an uninterrupted one by float32 rounding; here a
          resumed run continues bit for bit).
        * Keras's ``Nadam`` uses u_t = β₁(1 − ½·0.96ᵗ), the same update with ψ = 1
          (``NAdam(momentum_decay=1.0, eps=1e-7)``); optax's ``nadam`` has no schedule.

    References:
        Dozat (2016), Incorporating Nesterov Momentum into Adam, ICLR workshop;
        https://docs.pytorch.org/docs/stable/generated/torch.optim.NAdam.html
    """

    _param_shaped_state = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr: float | Tensor = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        _check_options(defaults, "NAdam")
        super().__init__(params, defaults)

    def _validate_group(self, group: dict, index: int) -> None:
        _check_options(group, f"NAdam param group {index}")

    def load_state_dict(self, state_dict: dict) -> None:
        """As :meth:`Optimizer.load_state_dict`, but each ``mu_product`` keeps the dtype it was
        saved with (it is a running product, not a parameter-shaped array)."""
        super().load_state_dict(state_dict)
        saved_state = state_dict["state"]
        for sg, g in zip(state_dict["param_groups"], self.param_groups):
            for pid, p in zip(sg["params"], g["params"]):
                saved = saved_state.get(pid)
                if isinstance(saved, dict) and "mu_product" in saved and p in self.state:
                    value = saved["mu_product"]
                    value = value.data if isinstance(value, Tensor) else value
                    self.state[p]["mu_product"] = np.array(np.asarray(value), copy=True)

    def step(self, closure=None):
        """Perform one NAdam step on every parameter that has a gradient.

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
                        state["mu_product"] = np.ones((), dtype=A.scalar_dtype())
                        state["exp_avg"] = np.zeros_like(param)
                        state["exp_avg_sq"] = np.zeros_like(param)
                    t = A.advance_step(state)
                    mp = state.get("mu_product")
                    if not isinstance(mp, np.ndarray) or mp.shape != ():
                        mp = np.array(A.num(mp) if mp is not None else 1.0, dtype=A.scalar_dtype())
                        state["mu_product"] = mp
                    nadam_update(param, grad, state["exp_avg"], state["exp_avg_sq"], mp, step=t,
                                 lr=lr, beta1=beta1, beta2=beta2, eps=group["eps"],
                                 weight_decay=group["weight_decay"],
                                 momentum_decay=group["momentum_decay"],
                                 decoupled_weight_decay=group["decoupled_weight_decay"],
                                 maximize=group["maximize"])
        return loss


def _nadam_oracle_configs() -> tuple[dict, ...]:
    """weight decay {none, coupled, decoupled} × maximize, plus momentum_decay/betas variants (8)."""
    out = []
    for wd in ("coupled", "none", "decoupled"):
        for maximize in (False, True):
            cfg = dict(lr=0.01, maximize=maximize)
            if wd != "none":
                cfg.update(weight_decay=1e-2, decoupled_weight_decay=wd == "decoupled")
            out.append(cfg)
    out.append(dict(lr=0.01, momentum_decay=0.1, betas=(0.8, 0.99), eps=1e-6))
    out.append(dict(lr=0.005, momentum_decay=1.0, betas=(0.3, 0.999)))  # Keras's schedule
    return tuple(out)


register_optimizer(OptimizerInfo(
    name="nadam",
    cls=NAdam,
    torch_name="NAdam",
    summary="NAdam: Adam with Nesterov momentum and a momentum warm-up schedule; optional "
            "coupled or decoupled weight decay.",
    update_rule="μ_t = β₁(1 − ½·0.96^(tψ));  θ ← θ − η[(1−μ_t)/(1−Πμ)·g + μ_{t+1}/(1−Πμ·μ_{t+1})·m] / (√v̂ + ε)",
    kernel=nadam_update,
    state_keys=("step", "mu_product", "exp_avg", "exp_avg_sq"),
    oracle_configs=_nadam_oracle_configs(),
    descent_config={"lr": 0.05},
    descent_steps=2000,
    references=(
        "Dozat 2016, Incorporating Nesterov Momentum into Adam, ICLR 2016 workshop",
        "https://docs.pytorch.org/docs/stable/generated/torch.optim.NAdam.html",
    ),
))
