r"""Stochastic gradient descent, with optional momentum, dampening, Nesterov momentum, L2 weight
decay and maximisation: ``torch.optim.SGD``'s algorithm (PyTorch 2.13), step for step.

With batch size n this is batch gradient descent, with 1 it is SGD, with m mini-batch GD: the
optimizer is the same, only the gradient it is given changes (seed 003, §6–8).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..autograd import Tensor, no_grad
from . import _adaptive as A
from .optimizer import Optimizer
from .registry import OptimizerInfo, register_optimizer

__all__ = ["SGD", "sgd_update", "MOMENTUM_STYLES"]

#: Where the learning rate sits in momentum SGD: outside the buffer (PyTorch, optax) or inside
#: the velocity (Sutskever et al. 2013, Keras).
MOMENTUM_STYLES = ("pytorch", "sutskever")


def sgd_update(param: np.ndarray, grad: np.ndarray, momentum_buffer: np.ndarray | None = None, *,
               lr: float, momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
               nesterov: bool = False, maximize: bool = False,
               momentum_style: str = "pytorch") -> np.ndarray | None:
    r"""One SGD update of one parameter array, in place; returns the new momentum buffer.

    Formula (PyTorch's ``SGD``; η = lr, μ = momentum, τ = dampening, λ = weight_decay)::

        g ← −∇J(θ) if maximize else ∇J(θ)
        g ← g + λ·θ                          (if λ ≠ 0: L2 penalty λ/2·‖θ‖² folded into g)
        if μ ≠ 0:
            b ← g                            (first step: the buffer starts at g, no dampening)
            b ← μ·b + (1 − τ)·g              (later steps)
            g ← g + μ·b   if nesterov else   g ← b
        θ ← θ − η·g

    With μ = 0 this is plain gradient descent θ ← θ − η·∇J(θ) (seed 003, §5).

    With ``momentum_style="sutskever"`` (Sutskever et al. 2013, Keras) the buffer is a velocity
    with the learning rate inside::

        v ← −η·g                             (first step)
        v ← μ·v − (1 − τ)·η·g                (later steps)
        θ ← θ + μ·v − η·g   if nesterov else   θ ← θ + v

    For a constant η, v = −η·b and both styles give the same iterates; when η changes, the
    velocity keeps each past gradient at the learning rate of its own step, PyTorch's buffer
    rescales all of them by the current η.

    Args:
        param: the parameter array θ; updated in place (its dtype is kept).
        grad: ∇J(θ), same shape as ``param`` (not modified).
        momentum_buffer: b from the previous step, or None on the first step / without momentum.
            Updated in place when given.
        lr: learning rate η ≥ 0.
        momentum: μ ≥ 0; 0 disables the buffer.
        dampening: τ, the share of the new gradient left out of the buffer (from step 2 on).
        weight_decay: λ ≥ 0, L2 penalty coefficient (added to the gradient, *coupled*).
        nesterov: use Nesterov momentum (needs μ > 0 and τ = 0).
        maximize: ascend instead of descend.
        momentum_style: ``"pytorch"`` (η outside the buffer) or ``"sutskever"`` (η inside: the
            buffer is the velocity v).

    Returns:
        the momentum buffer b (the velocity v in the Sutskever style) (the same array object as ``momentum_buffer`` after the first step),
        or None when ``momentum == 0``.

    Shape:
        ``param``, ``grad`` and ``momentum_buffer`` all have the same shape.

    Example:
        >>> import numpy as np
        >>> p, g = np.array([1.0, 2.0]), np.array([0.5, -1.0])
        >>> b = sgd_update(p, g, None, lr=0.1, momentum=0.9)   # b = g, p = p − 0.1·g
        >>> p.tolist(), b.tolist()
        ([0.95, 2.1], [0.5, -1.0])
        >>> b = sgd_update(p, g, b, lr=0.1, momentum=0.9)      # b = 0.9·b + g
        >>> p.tolist(), b.tolist()
        ([0.855, 2.29], [0.95, -1.9])

    Note:
        By default the learning rate is outside the buffer, as in PyTorch and optax;
        ``momentum_style="sutskever"`` puts it inside, as Sutskever et al. and Keras (v ← μv − η·g,
        θ ← θ + v). The two agree for a constant η and differ when η is scheduled. The PyTorch
        buffer starts at g, not 0, so dampening does not touch step 1.
    """
    if grad.shape != param.shape:
        raise ValueError(f"sgd_update: grad has shape {grad.shape} but param has shape {param.shape}")
    if momentum_style not in MOMENTUM_STYLES:
        raise ValueError(f"sgd_update: momentum_style must be one of {MOMENTUM_STYLES}, got {momentum_style!r}")
    g = grad if grad.dtype == param.dtype else grad.astype(param.dtype)
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * param
    if momentum_buffer is not None and momentum_buffer.shape != param.shape:
        raise ValueError(
            f"sgd_update: momentum_buffer has shape {momentum_buffer.shape} but param has "
            f"shape {param.shape}"
        )
    if momentum == 0:
        param -= lr * g
        return None
    if momentum_style == "sutskever":
        if momentum_buffer is None:
            vel = -lr * g
        else:
            vel = momentum_buffer
            vel *= momentum
            vel -= ((1 - dampening) * lr) * g
        if nesterov:
            param += momentum * vel - lr * g
        else:
            param += vel
        return vel
    if momentum_buffer is None:
        buf = g.copy()  # never alias p.grad
    else:
        buf = momentum_buffer
        buf *= momentum
        buf += (1 - dampening) * g
    g = g + momentum * buf if nesterov else buf
    param -= lr * g
    return buf


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _lr_value(lr) -> float:
    return float(lr.item()) if isinstance(lr, Tensor) else float(lr)


def _check_options(o: dict, where: str) -> None:
    """Validate SGD hyperparameters (the conditions of ``torch.optim.SGD.__init__``)."""
    lr = o["lr"]
    if isinstance(lr, Tensor):
        if lr.numel() != 1:
            raise ValueError(f"{where}: Tensor lr must be 1-element, got shape {lr.shape}")
        lr_v = float(lr.item())
    elif _is_real(lr):
        lr_v = float(lr)
    else:
        raise TypeError(f"{where}: lr must be a real number (or a 1-element Tensor), got {lr!r}")
    if not 0.0 <= lr_v < math.inf:
        raise ValueError(f"{where}: Invalid learning rate: lr={lr!r}; expected a finite number >= 0")
    for name in ("momentum", "dampening", "weight_decay"):
        if not _is_real(o[name]):
            raise TypeError(f"{where}: {name} must be a real number, got {o[name]!r}")
    if not 0.0 <= o["momentum"] < math.inf:
        raise ValueError(f"{where}: Invalid momentum value: momentum={o['momentum']!r}; expected a finite "
                         "number >= 0")
    if not 0.0 <= o["weight_decay"] < math.inf:
        raise ValueError(
            f"{where}: Invalid weight_decay value: weight_decay={o['weight_decay']!r}; expected a finite "
            "number >= 0"
        )
    if not math.isfinite(o["dampening"]):
        raise ValueError(f"{where}: Invalid dampening value: dampening={o['dampening']!r}; expected a finite number")
    for name in ("nesterov", "maximize", "differentiable"):
        if not isinstance(o[name], (bool, np.bool_)):
            raise TypeError(f"{where}: {name} must be True or False, got {o[name]!r}")
    if o["nesterov"] and (o["momentum"] <= 0 or o["dampening"] != 0):
        raise ValueError(
            f"{where}: Nesterov momentum requires a momentum and zero dampening, got "
            f"nesterov=True with momentum={o['momentum']!r}, dampening={o['dampening']!r}; "
            "use momentum > 0 and dampening=0"
        )
    if o.get("momentum_style", "pytorch") not in MOMENTUM_STYLES:
        raise ValueError(
            f"{where}: momentum_style must be 'pytorch' (lr outside the buffer) or 'sutskever' "
            f"(lr inside the velocity, as Keras), got {o['momentum_style']!r}"
        )
    if o["differentiable"]:
        raise ValueError(
            f"{where}: differentiable=True is not supported: losslab updates parameters on NumPy "
            "arrays outside the graph; use differentiable=False"
        )
    if o["fused"] not in (None, False):
        raise ValueError(f"{where}: fused={o['fused']!r} is not supported (there is no fused kernel); use None")
    if o["foreach"] not in (None, False, True):
        raise TypeError(f"{where}: foreach must be None, True or False, got {o['foreach']!r}")


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    Formula (η = lr, μ = momentum, τ = dampening, λ = weight_decay; per parameter θ)::

        g_t = ∇J(θ_{t-1})            (−∇J if maximize)
        g_t = g_t + λ·θ_{t-1}        (if λ ≠ 0)
        b_t = g_t                    (t = 1)     b_t = μ·b_{t-1} + (1 − τ)·g_t   (t > 1)     (if μ ≠ 0)
        g_t = g_t + μ·b_t  (nesterov)   or   g_t = b_t                                      (if μ ≠ 0)
        θ_t = θ_{t-1} − η·g_t

    The kernel is :func:`sgd_update`; the buffer b is ``state[p]['momentum_buffer']``.

    Args:
        params: iterable of Tensors, of ``(name, Tensor)`` pairs, or of param-group dicts.
        lr: learning rate η (default 1e-3, PyTorch's default since 2.5); a float or a 1-element Tensor.
        momentum: momentum factor μ ≥ 0 (default 0: no buffer, no state).
        dampening: dampening τ for momentum (default 0).
        weight_decay: L2 penalty λ ≥ 0 (default 0), coupled: added to the gradient.
        nesterov: Nesterov momentum (default False); needs momentum > 0 and dampening = 0.
        maximize: maximise the objective instead of minimising it (default False).
        foreach: accepted for PyTorch compatibility and ignored (NumPy updates one array at a time).
        differentiable: must be False (stepping is not recorded in the graph).
        fused: must be None or False.
        momentum_style: ``"pytorch"`` (default) or ``"sutskever"``: the learning rate inside
            the velocity, v ← μv − ηg, θ ← θ + v (Keras's ``SGD``); the state is then
            ``state[p]['velocity']``. Same iterates while η is constant, different once a
            schedule changes η (see :func:`sgd_update`).

    Shape:
        Parameters of any shape; ``momentum_buffer`` has its parameter's shape and dtype.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import SGD
        >>> w = ll.tensor([2.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(100):
        ...     opt.zero_grad()
        ...     loss = (w * w).sum()
        ...     loss.backward()
        ...     opt.step()
        >>> abs(w.item()) < 0.1
        True

    Note:
        * Momentum as in PyTorch by default: the learning rate is outside the buffer and the
          buffer starts at the first gradient; ``momentum_style="sutskever"`` gives Keras's
          velocity form instead (state key ``velocity``).
        * With momentum = 0 no per-parameter state is kept (``state`` stays empty), as in
          PyTorch 2.x; a parameter whose ``.grad`` is None is skipped entirely.
        * Hyperparameters given per param group are validated too (PyTorch checks only the
          constructor's). ``dampening`` is not range-checked, as in PyTorch.

    References:
        Sutskever, Martens, Dahl, Hinton (2013), On the importance of initialization and momentum
        in deep learning; https://docs.pytorch.org/docs/stable/generated/torch.optim.SGD.html
    """

    _param_shaped_state = ("momentum_buffer", "velocity")

    def __init__(self, params, lr: float | Tensor = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None, momentum_style: str = "pytorch") -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        # a convention option joins the groups only when not PyTorch's, so that a default SGD
        # has exactly torch.optim.SGD's group keys (state dicts load both ways)
        A.add_conventions(defaults, {"momentum_style": momentum_style}, {"momentum_style": "pytorch"})
        _check_options(defaults, "SGD")
        super().__init__(params, defaults)

    def _validate_group(self, group: dict, index: int) -> None:
        _check_options(group, f"SGD param group {index}")

    def step(self, closure=None):
        """Perform one SGD step on every parameter that has a gradient.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.

        Returns:
            the closure's loss, or None.
        """
        loss = self._run_closure(closure) if closure is not None else None
        for group in self.param_groups:
            if group["momentum"] == 0 and group["weight_decay"] == 0 and not group["maximize"]:
                # plain gradient descent: sgd_update's θ ← θ − η·g without its per-call checks
                # (a tiny model pays them for every parameter), and without no_grad(): only
                # ndarrays are touched, no Tensor op could record anything
                lr = _lr_value(group["lr"])
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    g = g.data if type(g) is Tensor or isinstance(g, Tensor) else np.asarray(g)
                    param = p.data
                    if g.shape != param.shape:
                        self._grad_array(p)  # raises its message
                    if g.dtype is not param.dtype and g.dtype != param.dtype:
                        g = g.astype(param.dtype)
                    try:
                        param -= lr * g
                    except ValueError:  # a read-only array (a broadcast view): update a copy
                        if param.flags.writeable:
                            raise
                        param = self._param_array(p)
                        param -= lr * g
                continue
            with no_grad():
                lr = _lr_value(group["lr"])
                momentum = group["momentum"]
                style = group.get("momentum_style", "pytorch")  # absent from torch state dicts
                key = "velocity" if style == "sutskever" else "momentum_buffer"
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = self._grad_array(p)
                    param = self._param_array(p)
                    buf = self.state[p].get(key) if momentum != 0 else None
                    buf = sgd_update(
                        param, grad, buf, lr=lr, momentum=momentum, dampening=group["dampening"],
                        weight_decay=group["weight_decay"], nesterov=group["nesterov"],
                        maximize=group["maximize"], momentum_style=style,
                    )
                    if momentum != 0:
                        self.state[p][key] = buf
        return loss


def _sgd_oracle_configs() -> tuple[dict, ...]:
    """momentum {0, 0.9} × dampening {0, 0.5} × nesterov (valid combinations) × weight_decay
    {0, 1e-2} × maximize {False, True}: 20 configurations."""
    out = []
    for momentum in (0.0, 0.9):
        for dampening in (0.0, 0.5):
            for nesterov in (False, True):
                if nesterov and (momentum == 0 or dampening != 0):
                    continue
                for weight_decay in (0.0, 1e-2):
                    for maximize in (False, True):
                        out.append(dict(lr=0.05, momentum=momentum, dampening=dampening,
                                        nesterov=nesterov, weight_decay=weight_decay,
                                        maximize=maximize))
    return tuple(out)


register_optimizer(OptimizerInfo(
    name="sgd",
    cls=SGD,
    torch_name="SGD",
    summary="(Stochastic) gradient descent with optional momentum, dampening, Nesterov momentum "
            "and coupled L2 weight decay.",
    update_rule="g ← ∇J(θ) + λθ;  b ← μb + (1−τ)g (b₁ = g);  g ← g + μb (Nesterov) or b;  θ ← θ − η·g"
                "  (momentum_style='sutskever': v ← μv − (1−τ)ηg;  θ ← θ + v)",
    kernel=sgd_update,
    state_keys=("momentum_buffer",),
    oracle_configs=_sgd_oracle_configs(),
    descent_config={"lr": 5e-4, "momentum": 0.9},
    descent_steps=1000,
    references=(
        "https://docs.pytorch.org/docs/stable/generated/torch.optim.SGD.html",
        "Sutskever et al. 2013, On the importance of initialization and momentum in deep learning",
    ),
))
