r"""RMSprop (Hinton's lecture 6e), with momentum, the centered variant, L2 weight decay and
maximisation: ``torch.optim.RMSprop``'s algorithm (PyTorch 2.13), step for step; plus, by name,
Keras's and optax's conventions: ε inside the square root (``eps_inside_sqrt=True``) and the
learning rate inside the momentum buffer (``momentum_style="sutskever"``).

Seed 003: "RMSprop: scales updates by moving average of squared gradients."
"""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor, no_grad
from . import _adaptive as A
from .optimizer import Optimizer
from .registry import OptimizerInfo, register_optimizer

__all__ = ["RMSprop", "rmsprop_update"]

MOMENTUM_STYLES = ("pytorch", "sutskever")


def rmsprop_update(param: np.ndarray, grad: np.ndarray, square_avg: np.ndarray | None = None,
                   momentum_buffer: np.ndarray | None = None, grad_avg: np.ndarray | None = None, *,
                   lr: float, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                   momentum: float = 0.0, centered: bool = False, maximize: bool = False,
                   eps_inside_sqrt: bool = False, momentum_style: str = "pytorch"
                   ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    r"""One RMSprop update of one parameter array, in place; returns ``(square_avg,
    momentum_buffer, grad_avg)`` (the given arrays updated in place, new zero-started ones when
    None; ``momentum_buffer`` is None unless momentum > 0, ``grad_avg`` None unless centered).

    Formula (PyTorch's ``RMSprop``; η = lr, α = alpha, μ = momentum, λ = weight_decay)::

        g ← −∇J(θ) if maximize else ∇J(θ)
        g ← g + λθ                                 (if λ ≠ 0)
        v ← α·v + (1 − α)·g²                       (square_avg, v₀ = 0)
        ḡ ← α·ḡ + (1 − α)·g;   ṽ = v − ḡ²          (centered; else ṽ = v)
        d = √ṽ + ε                                 (eps_inside_sqrt: d = √(ṽ + ε))
        μ > 0:  b ← μ·b + g/d;  θ ← θ − η·b         (momentum_style="pytorch")
                b ← μ·b + η·g/d;  θ ← θ − b          (momentum_style="sutskever": Keras)
        μ = 0:  θ ← θ − η·g/d

    Args:
        param: the parameter array, updated in place (dtype kept).
        grad: ∇J(θ), same shape (not modified).
        square_avg, momentum_buffer, grad_avg: the state arrays v, b, ḡ (None: start at zeros).
        lr, alpha, eps, weight_decay, momentum, centered, maximize, eps_inside_sqrt,
        momentum_style: as :class:`RMSprop`.

    Shape:
        ``param``, ``grad`` and the state arrays have the same shape.

    Example:
        >>> import numpy as np
        >>> from losslab.optim import rmsprop_update
        >>> p, g = np.array([1.0]), np.array([2.0])
        >>> v, _, _ = rmsprop_update(p, g, lr=0.01, alpha=0.75, eps=0.0)   # v = 0.25·4 = 1
        >>> v.tolist(), np.round(p, 6).tolist()                            # θ − 0.01·2/√1
        ([1.0], [0.98])

    Note:
        The ε placements agree exactly when ε = 0; the momentum styles agree (up to rounding)
        while η is constant, since then b_sutskever = η·b_pytorch; when η changes, PyTorch's
        buffer applies the new η to the whole history at once, Keras's only to new gradients.
    """
    fn = "rmsprop_update"
    if momentum_style not in MOMENTUM_STYLES:
        raise ValueError(f"{fn}: momentum_style must be 'pytorch' or 'sutskever', got {momentum_style!r}")
    g = A.as_param_dtype(param, grad, maximize, fn)
    square_avg = A.state_array(square_avg, param, "square_avg", fn)
    if momentum > 0:
        momentum_buffer = A.state_array(momentum_buffer, param, "momentum_buffer", fn)
    if centered:
        grad_avg = A.state_array(grad_avg, param, "grad_avg", fn)
    if weight_decay != 0:
        g = g + weight_decay * param
    square_avg *= alpha
    square_avg += (1 - alpha) * g * g
    if centered:
        A.lerp_(grad_avg, g, 1 - alpha)
        var = square_avg - grad_avg * grad_avg
    else:
        var = square_avg
    if eps_inside_sqrt:  # Keras/optax: sqrt(v + eps)
        avg = np.sqrt(var + eps)
    else:
        avg = np.sqrt(var)
        avg += eps
    if momentum > 0:
        momentum_buffer *= momentum
        if momentum_style == "pytorch":
            momentum_buffer += g / avg
            param += -lr * momentum_buffer
        else:  # Keras: the buffer accumulates lr·g/d, so a changed lr does not rescale the past
            momentum_buffer += (lr * g) / avg
            param -= momentum_buffer
    else:
        param += (-lr * g) / avg
    return square_avg, (momentum_buffer if momentum > 0 else None), (grad_avg if centered else None)


def _check_options(o: dict, where: str) -> None:
    """Validate RMSprop hyperparameters (``torch.optim.RMSprop.__init__``'s, and alpha < 1)."""
    A.check_lr(o, where)
    A.check_range(o, "eps", where, label="epsilon")
    A.check_range(o, "momentum", where)
    A.check_range(o, "weight_decay", where)
    A.check_range(o, "alpha", where, hi=1.0, hi_open=True)
    A.check_flags(o, where, ("centered", "maximize", "eps_inside_sqrt"))
    A.check_impl_flags(o, where)
    A.check_choice(o, "momentum_style", where, MOMENTUM_STYLES)


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop`` (with ``momentum`` and ``centered``).

    Formula (η = lr, α = alpha, μ = momentum, λ = weight_decay; per parameter θ)::

        g_t = ∇J(θ_{t-1})    (−∇J if maximize)
        g_t = g_t + λ·θ_{t-1}                                 (if λ ≠ 0)
        v_t = α·v_{t-1} + (1 − α)·g_t²
        ṽ_t = v_t − ḡ_t²  with  ḡ_t = α·ḡ_{t-1} + (1 − α)·g_t  (centered)   else ṽ_t = v_t
        b_t = μ·b_{t-1} + g_t/(√ṽ_t + ε);   θ_t = θ_{t-1} − η·b_t   (μ > 0)
        θ_t = θ_{t-1} − η·g_t/(√ṽ_t + ε)                        (μ = 0)

    The kernel is :func:`rmsprop_update`; the state is ``step``, ``square_avg`` (v) and, when
    used, ``momentum_buffer`` (b) and ``grad_avg`` (ḡ).

    Args:
        params: iterable of Tensors, of ``(name, Tensor)`` pairs, or of param-group dicts.
        lr: learning rate η (default 1e-2); a float or a 1-element Tensor.
        alpha: smoothing constant α in [0, 1) (default 0.99; Keras's ``rho`` and optax's
            ``decay`` default to 0.9).
        eps: ε ≥ 0 (default 1e-8).
        weight_decay: L2 penalty λ ≥ 0 added to the gradient (default 0).
        momentum: μ ≥ 0 (default 0: no buffer).
        centered: normalise by an estimate of the variance, v − ḡ² (default False).
        capturable, differentiable: must be False. foreach: accepted and ignored.
        maximize: maximise the objective (default False).
        eps_inside_sqrt: divide by √(ṽ + ε) as Keras and optax (default) do, instead of
            PyTorch's √ṽ + ε (default False).
        momentum_style: ``"pytorch"`` (default: b accumulates g/d and θ moves by η·b) or
            ``"sutskever"`` (Keras: b accumulates η·g/d and θ moves by b).

        The two convention options are stored in the param groups (and the state dict) only when
        they differ from PyTorch's. Keras 3's RMSprop is ``RMSprop(p, lr, alpha=0.9, eps=1e-7,
        eps_inside_sqrt=True, momentum_style="sutskever")`` (Keras's own ``weight_decay`` is
        decoupled, θ ← θ − ηλθ, and has no counterpart here).

    Shape:
        Parameters of any shape; the state arrays have their parameter's shape and dtype.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import RMSprop
        >>> w = ll.tensor([2.0, -3.0], requires_grad=True)
        >>> opt = RMSprop([w], lr=0.01, momentum=0.5)
        >>> for _ in range(500):
        ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> bool(abs(w.data).max() < 0.05)
        True

    Note:
        * ``alpha`` must be < 1 (PyTorch accepts any α ≥ 0; α > 1 makes v negative and the step
          NaN, α = 1 freezes v at 0 so every step is η·g/ε).
        * ε inside the root equals PyTorch's placement when ε = 0; otherwise it damps coordinates
          with ṽ comparable to ε much more (ṽ ≪ ε: η·g/√ε instead of ≈ η·g/(|g|+ε)). Keras's
          docstring calls its ε "epsilon hat", but its code adds it inside the root.
        * The momentum styles agree while η is constant and differ once a schedule changes η.
        * A buffer missing from the state (momentum switched on mid-run) starts at zero.

    References:
        Hinton, Srivastava & Swersky, Neural Networks for Machine Learning, lecture 6e (2012);
        Graves (2013), Generating Sequences With Recurrent Neural Networks (centered);
        https://docs.pytorch.org/docs/stable/generated/torch.optim.RMSprop.html
    """

    _param_shaped_state = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(self, params, lr: float | Tensor = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, *, eps_inside_sqrt: bool = False,
                 momentum_style: str = "pytorch") -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        A.add_conventions(defaults, {"eps_inside_sqrt": eps_inside_sqrt, "momentum_style": momentum_style},
                          {"eps_inside_sqrt": False, "momentum_style": "pytorch"})
        _check_options(defaults, "RMSprop")
        super().__init__(params, defaults)

    def _validate_group(self, group: dict, index: int) -> None:
        _check_options(group, f"RMSprop param group {index}")

    def step(self, closure=None):
        """Perform one RMSprop step on every parameter that has a gradient.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.

        Returns:
            the closure's loss, or None.
        """
        loss = self._run_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr = A.num(group["lr"])
                momentum, centered = group["momentum"], group["centered"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = self._grad_array(p)
                    param = self._param_array(p)
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = A.new_step()
                        state["square_avg"] = np.zeros_like(param)
                        if momentum > 0:
                            state["momentum_buffer"] = np.zeros_like(param)
                        if centered:
                            state["grad_avg"] = np.zeros_like(param)
                    A.advance_step(state)
                    _, buf, gavg = rmsprop_update(
                        param, grad, state["square_avg"], state.get("momentum_buffer"),
                        state.get("grad_avg"), lr=lr, alpha=group["alpha"], eps=group["eps"],
                        weight_decay=group["weight_decay"], momentum=momentum, centered=centered,
                        maximize=group["maximize"],
                        eps_inside_sqrt=group.get("eps_inside_sqrt", False),
                        momentum_style=group.get("momentum_style", "pytorch"),
                    )
                    if buf is not None:
                        state["momentum_buffer"] = buf
                    if gavg is not None:
                        state["grad_avg"] = gavg
        return loss


def _rmsprop_oracle_configs() -> tuple[dict, ...]:
    """momentum {0.9, 0} × centered × weight_decay {0, 1e-2} × maximize (first: momentum and
    centered, so the structural tests see every state key), plus alpha/eps variants (18)."""
    out = []
    for momentum in (0.9, 0.0):
        for centered in (True, False):
            for wd in (0.0, 1e-2):
                for maximize in (False, True):
                    out.append(dict(lr=0.005, momentum=momentum, centered=centered,
                                    weight_decay=wd, maximize=maximize))
    out.append(dict(lr=0.001, alpha=0.9, eps=1e-6))
    out.append(dict(lr=0.002, alpha=0.3, eps=1e-2, centered=True))  # 1 − α ≥ 0.5: other lerp form
    return tuple(out)


register_optimizer(OptimizerInfo(
    name="rmsprop",
    cls=RMSprop,
    torch_name="RMSprop",
    summary="RMSprop: steps divided by the root of a moving average of squared gradients; "
            "optional momentum, centered variance estimate and L2 weight decay.",
    update_rule="v ← αv + (1−α)g²;  θ ← θ − η·g/(√v + ε)   (momentum: b ← μb + g/(√v+ε), θ ← θ − ηb)",
    kernel=rmsprop_update,
    state_keys=("step", "square_avg"),
    oracle_configs=_rmsprop_oracle_configs(),
    descent_config={"lr": 0.01},
    descent_steps=2000,
    references=(
        "Hinton, Srivastava & Swersky 2012, Neural Networks for Machine Learning, lecture 6e",
        "Graves 2013, Generating Sequences With Recurrent Neural Networks, arXiv:1308.0850",
        "https://docs.pytorch.org/docs/stable/generated/torch.optim.RMSprop.html",
    ),
))
