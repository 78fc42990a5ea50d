r"""Adam (adaptive moment estimation), with AMSGrad, coupled or decoupled weight decay and
maximisation: ``torch.optim.Adam``'s algorithm (PyTorch 2.13), step for step; plus, by name, the
"ε̂" placement of ε used by Keras and TensorFlow (``eps_style="epsilon_hat"``).

Seed 003: "Adam (Adaptive Moment Estimation): combines momentum + RMSprop" — m is a momentum
(an average of gradients), v an RMSprop average of squared gradients, and both are corrected for
starting at zero.
"""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor, no_grad
from . import _adaptive as A
from . import _flat
from .optimizer import Optimizer
from .registry import OptimizerInfo, register_optimizer

__all__ = ["Adam", "adam_update"]

EPS_STYLES = ("pytorch", "epsilon_hat")


def _update_moments(g, exp_avg, exp_avg_sq, buf, beta1: float, beta2: float) -> None:
    """m ← β1·m + (1 − β1)·g and v ← β2·v + (1 − β2)·g², in place, with torch's operations in
    torch's order (``exp_avg.lerp_(g, 1 − β1)``; ``exp_avg_sq.mul_(β2).addcmul_(g, g, 1 − β2)``);
    ``buf`` is a work array of g's shape. Shared by the per-parameter kernel and the flat path."""
    w1 = 1 - beta1
    np.subtract(g, exp_avg, out=buf)
    if abs(w1) < 0.5:  # torch.lerp's two forms (A.lerp_): a + w(b − a), or b − (b − a)(1 − w)
        buf *= w1
        exp_avg += buf
    else:
        buf *= 1 - w1
        np.subtract(g, buf, out=exp_avg)
    exp_avg_sq *= beta2
    np.multiply(g, 1 - beta2, out=buf)
    buf *= g
    exp_avg_sq += buf


def adam_update(param: np.ndarray, grad: np.ndarray, exp_avg: np.ndarray | None = None,
                exp_avg_sq: np.ndarray | None = None, max_exp_avg_sq: np.ndarray | None = None, *,
                step: float, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                weight_decay: float = 0.0, amsgrad: bool = False, maximize: bool = False,
                decoupled_weight_decay: bool = False, eps_style: str = "pytorch",
                scratch: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    r"""One Adam update of one parameter array, in place; returns ``(exp_avg, exp_avg_sq,
    max_exp_avg_sq)`` (the same arrays when given, updated in place; new ones when None).

    Formula (PyTorch's ``Adam``; η = lr, β₁, β₂ = betas, λ = weight_decay, t = step ≥ 1)::

        g ← −∇J(θ) if maximize else ∇J(θ)
        θ ← θ·(1 − ηλ)                      (decoupled_weight_decay, AdamW)   or   g ← g + λθ
        m ← β₁·m + (1 − β₁)·g               (exp_avg, m₀ = 0)
        v ← β₂·v + (1 − β₂)·g²              (exp_avg_sq, v₀ = 0)
        v_max ← max(v_max, v); use v_max for v below      (amsgrad)
        eps_style="pytorch":      θ ← θ − η/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)
        eps_style="epsilon_hat":  θ ← θ − η·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε̂)

    Args:
        param: the parameter array, updated in place (its dtype is kept).
        grad: ∇J(θ), same shape (not modified).
        exp_avg, exp_avg_sq, max_exp_avg_sq: the state arrays m, v, v_max (None: start at zeros;
            ``max_exp_avg_sq`` is used only with ``amsgrad``).
        step: t, the number of this step (1 for the first), used by the bias corrections.
        lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay: as
            :class:`Adam`.
        eps_style: ``"pytorch"`` (ε after bias correction, Algorithm 1 of Kingma & Ba; PyTorch,
            optax) or ``"epsilon_hat"`` (ε̂ before it, the paper's §2 reformulation; Keras, TF).
        scratch: optional work array of the parameter's shape and dtype (its contents are
            overwritten). Given, the update allocates nothing: every step is an in-place ufunc
            into the state arrays or into ``scratch`` (the optimizer class passes one buffer,
            shared by all its parameters).

    Shape:
        ``param``, ``grad`` and the state arrays all have the same shape.

    Example:
        >>> import numpy as np
        >>> from losslab.optim import adam_update
        >>> p, g = np.array([1.0, -1.0]), np.array([0.5, -2.0])
        >>> m, v, _ = adam_update(p, g, step=1, lr=0.1)     # first step: m̂ = g, v̂ = g²
        >>> np.round(p, 6).tolist()                          # θ − 0.1·g/(|g| + ε) = θ − 0.1·sign(g)
        [0.9, -0.9]

    Note:
        The two ε placements are the same algorithm with ε̂ = ε·√(1 − β₂ᵗ): ``epsilon_hat`` with
        ε̂ equals ``pytorch`` with a growing ε_t = ε̂/√(1 − β₂ᵗ) (≈ 31.6·ε̂ at t = 1 for
        β₂ = 0.999, → ε̂ as t grows). They agree exactly when ε = 0 (up to rounding) and differ
        where √v̂ is not much larger than ε. PyTorch used ε̂ before PR #22628.
    """
    fn = "adam_update"
    if eps_style not in EPS_STYLES:
        raise ValueError(f"{fn}: eps_style must be 'pytorch' or 'epsilon_hat', got {eps_style!r}")
    g = A.as_param_dtype(param, grad, maximize, fn)
    exp_avg = A.state_array(exp_avg, param, "exp_avg", fn)
    exp_avg_sq = A.state_array(exp_avg_sq, param, "exp_avg_sq", fn)
    if amsgrad:
        max_exp_avg_sq = A.state_array(max_exp_avg_sq, param, "max_exp_avg_sq", fn)
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * param
    buf = scratch
    if buf is None or buf.shape != param.shape or buf.dtype != param.dtype:
        buf = np.empty_like(param)
    # The same operations, in the same order, as torch.optim.Adam's single-tensor path
    # (lerp_, mul_ + addcmul_, sqrt / √bc2 + ε, addcdiv_), written as in-place ufuncs into the
    # state arrays and one work buffer, so that no temporary is allocated.
    _update_moments(g, exp_avg, exp_avg_sq, buf, beta1, beta2)
    if amsgrad:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second = max_exp_avg_sq
    else:
        second = exp_avg_sq
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    np.sqrt(second, out=buf)
    if eps_style == "pytorch":
        step_size = lr / bias_correction1
        buf /= bias_correction2 ** 0.5
        buf += eps
        np.divide(exp_avg, buf, out=buf)  # addcdiv_: θ + (−step_size)·(m / denom)
        buf *= -step_size
        param += buf
    else:  # Keras/TF "epsilon hat": alpha_t = lr·sqrt(1 − β₂ᵗ)/(1 − β₁ᵗ)
        alpha = lr * bias_correction2 ** 0.5 / bias_correction1
        buf += eps
        np.divide(exp_avg, buf, out=buf)
        buf *= alpha
        param -= buf
    return exp_avg, exp_avg_sq, (max_exp_avg_sq if amsgrad else None)


def check_adam_options(o: dict, where: str) -> None:
    """Validate Adam/AdamW hyperparameters (``torch.optim.Adam.__init__``'s conditions)."""
    A.check_lr(o, where)
    A.check_range(o, "eps", where, label="epsilon")
    A.check_betas(o, where)
    A.check_range(o, "weight_decay", where)
    A.check_flags(o, where, ("amsgrad", "maximize", "decoupled_weight_decay"))
    A.check_impl_flags(o, where)
    A.check_choice(o, "eps_style", where, EPS_STYLES)


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam`` (with ``amsgrad`` and ``decoupled_weight_decay``).

    Formula (η = lr, (β₁, β₂) = betas, λ = weight_decay; per parameter θ, t = 1, 2, …)::

        g_t = ∇J(θ_{t-1})    (−∇J if maximize)
        θ_{t-1} ← θ_{t-1}·(1 − ηλ)    if decoupled_weight_decay   else   g_t ← g_t + λ·θ_{t-1}
        m_t = β₁·m_{t-1} + (1 − β₁)·g_t          m̂_t = m_t/(1 − β₁ᵗ)
        v_t = β₂·v_{t-1} + (1 − β₂)·g_t²         v̂_t = v_t/(1 − β₂ᵗ)   (amsgrad: max over t of v_t)
        θ_t = θ_{t-1} − η·m̂_t/(√v̂_t + ε)

    The kernel is :func:`adam_update`; the state is ``step`` (a 0-d float array, like PyTorch's
    0-d tensor), ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with amsgrad, ``max_exp_avg_sq``.

    Args:
        params: iterable of Tensors, of ``(name, Tensor)`` pairs, or of param-group dicts.
        lr: learning rate η (default 1e-3); a float or a 1-element Tensor.
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε ≥ 0 added to the denominator (default 1e-8).
        weight_decay: λ ≥ 0 (default 0): L2 penalty added to the gradient, or with
            ``decoupled_weight_decay`` a shrink θ ← θ(1 − ηλ) (AdamW).
        amsgrad: use the running maximum of v (Reddi et al. 2018) (default False).
        maximize: maximise the objective (default False).
        foreach: accepted and ignored (NumPy updates one array at a time).
        capturable, differentiable: must be False. fused: must be None or False.
        decoupled_weight_decay: AdamW's decoupled weight decay (default False).
        eps_style: where ε goes (default ``"pytorch"``). ``"epsilon_hat"`` is Keras's and
            TensorFlow's form, θ ← θ − η·√(1 − β₂ᵗ)/(1 − β₁ᵗ)·m/(√v + ε̂); it is stored in the
            param groups (and the state dict) only when not ``"pytorch"``. Keras 3's Adam is
            ``Adam(p, lr, eps=1e-7, eps_style="epsilon_hat")`` (amsgrad included).

    Shape:
        Parameters of any shape; the state arrays have their parameter's shape and dtype.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import Adam
        >>> w = ll.tensor([2.0, -3.0], requires_grad=True)
        >>> opt = Adam([w], lr=0.1)
        >>> for _ in range(300):
        ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> bool(abs(w.data).max() < 0.05)
        True

    Note:
        * With the defaults the numbers are PyTorch's (CPU, single-tensor path); ``eps_style=
          "epsilon_hat"`` with ε̂ equals PyTorch with ε_t = ε̂/√(1 − β₂ᵗ), so the two agree when
          ε = 0 and differ early in training and where gradients are tiny (Keras also defaults
          to ε = 1e-7). The ε̂ form is the "more efficient" ordering at the end of §2 of Kingma &
          Ba; PyTorch followed Algorithm 1 since PR #22628.
        * Betas may be given as numbers (ints too; PyTorch insists on floats or Tensors) or
          1-element Tensors; ``capturable=True`` and ``fused=True`` are refused.
        * A parameter whose ``.grad`` is None is skipped and gets no state. Hyperparameters given
          per param group are validated too.

    References:
        Kingma & Ba (2015), Adam: A Method for Stochastic Optimization, arXiv:1412.6980;
        Reddi, Kale & Kumar (2018), On the Convergence of Adam and Beyond;
        Loshchilov & Hutter (2019), Decoupled Weight Decay Regularization;
        https://docs.pytorch.org/docs/stable/generated/torch.optim.Adam.html
    """

    _param_shaped_state = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(self, params, lr: float | Tensor = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False, eps_style: str = "pytorch") -> None:
        if isinstance(betas, (tuple, list)):
            betas = tuple(betas)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        A.add_conventions(defaults, {"eps_style": eps_style}, {"eps_style": "pytorch"})
        check_adam_options(defaults, type(self).__name__)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict, index: int) -> None:
        check_adam_options(group, f"{type(self).__name__} param group {index}")

    def step(self, closure=None):
        """Perform one Adam step on every parameter that has a gradient.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.

        Returns:
            the closure's loss, or None.
        """
        loss = self._run_closure(closure)
        with no_grad():
            for gi, group in enumerate(self.param_groups):
                lr = A.num(group["lr"])
                beta1, beta2 = group["betas"]
                beta1, beta2 = A.num(beta1), A.num(beta2)
                amsgrad = group["amsgrad"]
                params = group["params"]
                if (not amsgrad and not group["maximize"] and group["weight_decay"] == 0
                        and group.get("eps_style", "pytorch") == "pytorch"):
                    small, grads, rest = _flat.split_small(params, _fits_flat)
                    if len(small) > 1 and self._flat_step(gi, small, grads, lr, beta1, beta2,
                                                          group["eps"]):
                        params = rest
                for p in params:
                    if p.grad is None:
                        continue
                    grad = self._grad_array(p)
                    param = self._param_array(p)
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = A.new_step()
                        state["exp_avg"] = np.zeros_like(param)
                        state["exp_avg_sq"] = np.zeros_like(param)
                        if amsgrad:
                            state["max_exp_avg_sq"] = np.zeros_like(param)
                    t = A.advance_step(state)
                    _, _, vmax = adam_update(
                        param, grad, state["exp_avg"], state["exp_avg_sq"],
                        state.get("max_exp_avg_sq") if amsgrad else None,
                        step=t, lr=lr, beta1=beta1, beta2=beta2, eps=group["eps"],
                        weight_decay=group["weight_decay"], amsgrad=amsgrad,
                        maximize=group["maximize"],
                        decoupled_weight_decay=group["decoupled_weight_decay"],
                        eps_style=group.get("eps_style", "pytorch"),
                        scratch=A.scratch_for(self, param),
                    )
                    if amsgrad:
                        state["max_exp_avg_sq"] = vmax
        return loss

    def _flat_step(self, gi: int, small: list, grads: list, lr: float, beta1: float,
                   beta2: float, eps) -> bool:
        """The plain update (no AMSGrad, weight decay or maximize, PyTorch's ε) of a group's
        small parameters at once, over flat state buffers (see ``optim/_flat.py``): the same
        ufuncs as :func:`adam_update`, in the same order, each called once for all of them.
        Returns False (nothing done) when the parameters don't share one dtype."""
        dtype = small[0].data.dtype
        for p in small:
            if p.data.dtype != dtype:
                return False
        cache = self.__dict__.get("_flat")
        if cache is None:
            cache = self.__dict__["_flat"] = {}
        state = self.state
        fg = cache.get(gi)
        if fg is None or not fg.matches(small, state):
            fg = cache[gi] = _flat.FlatGroup(small, state, ("exp_avg", "exp_avg_sq"), _init_state)
        if fg.steps is not None:  # one counter array for the group, all at the same count
            fg.steps += 1
            t = float(fg.steps[0])
            ts = None
        else:
            ts = [A.advance_step(state[p]) for p in small]
            t = ts[0]
        if ts is not None and ts.count(t) != len(ts):  # steps differ (a loaded state): one at a time
            for p, g, tp in zip(small, grads, ts):
                st = state[p]
                adam_update(p.data, g, st["exp_avg"], st["exp_avg_sq"], step=tp, lr=lr,
                            beta1=beta1, beta2=beta2, eps=eps, scratch=A.scratch_for(self, p.data))
            return True
        g = fg.gather_grads(grads)
        exp_avg, exp_avg_sq, buf = fg.flats["exp_avg"], fg.flats["exp_avg_sq"], fg.buf
        _update_moments(g, exp_avg, exp_avg_sq, buf, beta1, beta2)
        bias_correction1 = 1 - beta1 ** t
        bias_correction2 = 1 - beta2 ** t
        np.sqrt(exp_avg_sq, out=buf)
        buf /= bias_correction2 ** 0.5
        buf += eps
        np.divide(exp_avg, buf, out=buf)
        buf *= -(lr / bias_correction1)
        for p, b in zip(small, fg.buf_views):
            p.data += b
        return True


def _fits_flat(p, g) -> bool:
    d = p.data
    return d.size <= _flat.FLAT_MAX_NUMEL and d.dtype.kind == "f" and d.flags.writeable


def _init_state(p, state: dict) -> None:
    state["step"] = A.new_step()
    state["exp_avg"] = np.zeros_like(p.data)
    state["exp_avg_sq"] = np.zeros_like(p.data)


def _adam_oracle_configs() -> tuple[dict, ...]:
    """amsgrad {True, False} × weight decay {coupled 1e-2, none, decoupled 1e-2} × maximize
    {False, True}, plus non-default betas/eps (14 configurations). The first (amsgrad with
    coupled decay) is the one the structural generic tests use."""
    out = []
    for amsgrad in (True, False):
        for wd in ("coupled", "none", "decoupled"):
            for maximize in (False, True):
                cfg = dict(lr=0.01, amsgrad=amsgrad, maximize=maximize)
                if wd != "none":
                    cfg.update(weight_decay=1e-2, decoupled_weight_decay=wd == "decoupled")
                out.append(cfg)
    out.append(dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1,
                    decoupled_weight_decay=True))
    out.append(dict(lr=0.003, betas=(0.3, 0.5), eps=1e-3))  # 1 − β₁ ≥ 0.5: lerp's other form
    return tuple(out)


register_optimizer(OptimizerInfo(
    name="adam",
    cls=Adam,
    torch_name="Adam",
    summary="Adam: bias-corrected moving averages of the gradient (momentum) and of its square "
            "(RMSprop); optional AMSGrad and coupled or decoupled (AdamW) weight decay.",
    update_rule="m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − η·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)",
    kernel=adam_update,
    state_keys=("step", "exp_avg", "exp_avg_sq"),
    oracle_configs=_adam_oracle_configs(),
    descent_config={"lr": 0.05},
    descent_steps=2000,
    references=(
        "Kingma & Ba 2015, Adam: A Method for Stochastic Optimization, arXiv:1412.6980",
        "Reddi, Kale & Kumar 2018, On the Convergence of Adam and Beyond",
        "https://docs.pytorch.org/docs/stable/generated/torch.optim.Adam.html",
    ),
))
