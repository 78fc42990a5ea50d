r"""Adafactor (Shazeer & Stern 2018): an Adam-like adaptive method whose second-moment estimate for
a matrix is *factored* into a row and a column average (O(n + m) memory instead of O(n·m)), with a
relative step size ρ_t·RMS(θ) and update clipping. ``torch.optim.Adafactor``'s algorithm
(PyTorch 2.13), step for step, including its deviations from the paper (``lr`` caps ρ_t and scales
the decoupled weight decay; ε₁ is applied to the variance estimate, not to the factors).
"""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor, no_grad
from . import _adaptive as A
from .optimizer import Optimizer
from .registry import OptimizerInfo, register_optimizer

__all__ = ["Adafactor", "adafactor_update"]


def _rms(x: np.ndarray) -> float:
    """‖x‖₂/√numel as a Python float (PyTorch: ``x.norm(2).item() / numel**0.5``)."""
    return float(np.sqrt(np.sum(np.square(x)))) / (x.size ** 0.5)


def adafactor_update(param: np.ndarray, grad: np.ndarray, row_var: np.ndarray | None = None,
                     col_var: np.ndarray | None = None, variance: np.ndarray | None = None, *,
                     step: float, lr: float = 1e-2, beta2_decay: float = -0.8,
                     eps1: float | None = None, eps2: float = 1e-3, d: float = 1.0,
                     weight_decay: float = 0.0, maximize: bool = False
                     ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    r"""One Adafactor update of one parameter array, in place; returns
    ``(row_var, col_var, variance)``: for a parameter with ≥ 2 dimensions the row and column
    factors (``variance`` None), for a vector or scalar the full ``variance`` (factors None).
    State passed as None is started at zeros.

    Formula (PyTorch's ``Adafactor``; γ = lr, τ = beta2_decay, t = step ≥ 1)::

        G  ← −∇J(θ) if maximize else ∇J(θ)
        β̂₂ = 1 − t^τ;   ρ = min(γ, 1/√t);   α = max(ε₂, RMS(θ))·ρ      (θ before decay)
        θ  ← θ·(1 − γλ)                                         (if λ ≠ 0, decoupled)
        dim ≥ 2 (factored over the last two axes, n rows × m columns):
            R ← β̂₂·R + (1 − β̂₂)·mean_cols(G²)                   (row_var, shape (…, n, 1))
            C ← β̂₂·C + (1 − β̂₂)·mean_rows(G²)                   (col_var, shape (…, 1, m))
            V̂ = R·C / max(mean(R), ε₁)                         (outer product, rank one)
        dim ≤ 1:
            V̂ = variance ← β̂₂·V̂ + (1 − β̂₂)·G²
        U  = G / max(√V̂, ε₁)        (computed as G·rsqrt(max(V̂, ε₁²)))
        θ  ← θ − α·U / max(1, RMS(U)/d)

    Args:
        param: the parameter array θ, updated in place (dtype kept).
        grad: ∇J(θ), same shape (not modified).
        row_var, col_var: the factors R (shape ``(*param.shape[:-1], 1)``) and C (shape
            ``(*param.shape[:-2], 1, param.shape[-1])``) for ``param.ndim >= 2``.
        variance: V̂ (shape of ``param``) for ``param.ndim <= 1``.
        step: t, the number of this step (1 for the first).
        eps1: ε₁ (None: the machine epsilon of ``param``'s dtype).
        lr, beta2_decay, eps2, d, weight_decay, maximize: as :class:`Adafactor`.

    Shape:
        ``param`` and ``grad`` of any shape; the state shapes are given above.

    Example:
        >>> import numpy as np
        >>> from losslab.optim import adafactor_update
        >>> p = np.ones((2, 3)); g = np.array([[1.0, 2.0, 2.0], [0.0, 0.0, 2.0]])
        >>> R, C, V = adafactor_update(p, g, step=1, lr=0.1)   # β̂₂ = 0: R, C = mean G²
        >>> np.round(R, 12).ravel().tolist(), np.round(C, 12).ravel().tolist(), V
        ([3.0, 1.333333333333], [0.5, 2.0, 4.0], None)

    Note:
        As in PyTorch and unlike the paper, ``lr`` caps the relative step (the paper uses 0.01)
        and scales the decoupled weight decay, and ε₁ is applied to the variance estimate and
        the update rather than added to G² before the factors are formed. The means replace the
        paper's sums (the same V̂, better scaled).
    """
    fn = "adafactor_update"
    g = A.as_param_dtype(param, grad, maximize, fn)
    if eps1 is None:
        eps1 = float(np.finfo(param.dtype).eps)
    factored = g.ndim > 1
    if factored:
        row_shape = g.shape[:-1] + (1,)
        col_shape = g.shape[:-2] + (1, g.shape[-1])
        if row_var is None:
            row_var = np.zeros(row_shape, dtype=param.dtype)
        if col_var is None:
            col_var = np.zeros(col_shape, dtype=param.dtype)
        for name, arr, shape in (("row_var", row_var, row_shape), ("col_var", col_var, col_shape)):
            if not isinstance(arr, np.ndarray) or arr.shape != shape:
                raise ValueError(f"{fn}: {name} has shape {getattr(arr, 'shape', type(arr).__name__)}"
                                 f"; expected {shape} for a parameter of shape {param.shape}")
    else:
        variance = A.state_array(variance, param, "variance", fn)

    one_minus_beta2 = step ** beta2_decay
    rho = min(lr, 1 / (step ** 0.5))
    alpha = max(eps2, _rms(param)) * rho
    if weight_decay != 0:
        param *= 1 - lr * weight_decay

    if factored:
        # mean of G² along an axis as PyTorch forms it: ‖G‖₂ along the axis, squared, / length
        row_mean = np.square(np.sqrt(np.sum(np.square(g), axis=-1, keepdims=True))) / g.shape[-1]
        A.lerp_(row_var, row_mean, one_minus_beta2)
        col_mean = np.square(np.sqrt(np.sum(np.square(g), axis=-2, keepdims=True))) / g.shape[-2]
        A.lerp_(col_var, col_mean, one_minus_beta2)
        var_estimate = row_var @ col_var
        var_estimate /= np.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
    else:
        A.lerp_(variance, g * g, one_minus_beta2)
        var_estimate = variance.copy()

    update = 1.0 / np.sqrt(np.maximum(var_estimate, eps1 * eps1))
    update *= g
    denom = max(1.0, _rms(update) / d)
    param += update * (-alpha / denom)
    return (row_var, col_var, None) if factored else (None, None, variance)


def _check_options(o: dict, where: str) -> None:
    """Validate Adafactor hyperparameters (``torch.optim.Adafactor.__init__``'s conditions)."""
    A.check_lr(o, where)
    b = o["beta2_decay"]
    if not A.is_real(b):
        raise TypeError(f"{where}: beta2_decay must be a real number, got {b!r}")
    if not b <= 0.0:
        raise ValueError(f"{where}: beta2_decay should be <= 0 but is: beta2_decay={b!r}; "
                         "expected a number <= 0 (beta2_t = 1 - t**beta2_decay)")
    eps = o["eps"]
    if not (isinstance(eps, (tuple, list)) and len(eps) == 2):
        raise TypeError(f"{where}: eps must be a pair (eps1, eps2) with eps1 a number or None, "
                        f"got {eps!r}")
    if eps[0] is not None:
        if not A.is_real(eps[0]):
            raise TypeError(f"{where}: eps[0] (epsilon1) must be a number or None, got {eps[0]!r}")
        if not eps[0] >= 0.0:
            raise ValueError(f"{where}: epsilon1 should be >= 0 but is: eps[0]={eps[0]!r}")
    if not A.is_real(eps[1]):
        raise TypeError(f"{where}: eps[1] (epsilon2) must be a number, got {eps[1]!r}")
    if not eps[1] >= 0.0:
        raise ValueError(f"{where}: epsilon2 should be >= 0 but is: eps[1]={eps[1]!r}")
    A.check_range(o, "d", where, lo=1.0, label="clipping threshold")
    A.check_range(o, "weight_decay", where)
    A.check_flags(o, where, ("maximize",))
    A.check_impl_flags(o, where)


class Adafactor(Optimizer):
    r"""Adafactor, as ``torch.optim.Adafactor``: factored second moments for parameters with two
    or more dimensions, a relative step size and update clipping.

    Formula (γ = lr, τ = beta2_decay, (ε₁, ε₂) = eps, d, λ = weight_decay; t = 1, 2, …)::

        β̂₂_t = 1 − t^τ,   ρ_t = min(γ, 1/√t),   α_t = max(ε₂, RMS(θ_{t-1}))·ρ_t
        θ ← θ·(1 − γλ)
        matrices: R_t = β̂₂R + (1−β̂₂)·mean_cols(G²),  C_t = β̂₂C + (1−β̂₂)·mean_rows(G²),
                  V̂_t = R_t C_t / max(mean(R_t), ε₁)
        vectors:  V̂_t = β̂₂V̂ + (1−β̂₂)·G²
        U_t = G / max(√V̂_t, ε₁),   θ_t = θ − α_t·U_t / max(1, RMS(U_t)/d)

    The kernel is :func:`adafactor_update`; the state is ``step`` and either ``row_var`` and
    ``col_var`` (≥ 2-D parameters, factored over the last two axes) or ``variance``.

    Args:
        params: iterable of Tensors, of ``(name, Tensor)`` pairs, or of param-group dicts.
        lr: γ ≥ 0, the cap of the relative step size and the weight-decay scale (default 1e-2).
        beta2_decay: τ ≤ 0 (default −0.8): β̂₂_t = 1 − t^τ rises towards 1.
        eps: (ε₁, ε₂) (default (None, 1e-3)); ε₁ = None means the dtype's machine epsilon.
        d: clipping threshold d ≥ 1 on the update's RMS (default 1).
        weight_decay: decoupled weight decay λ ≥ 0 (default 0).
        foreach: accepted and ignored. maximize: maximise the objective (default False).

    Shape:
        Parameters of any shape. For an (…, n, m) parameter ``row_var`` is (…, n, 1) and
        ``col_var`` (…, 1, m); ``variance`` has the parameter's shape.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim import Adafactor
        >>> w = ll.tensor([[2.0, -3.0], [1.0, 0.5]], requires_grad=True)
        >>> opt = Adafactor([w], lr=0.1)
        >>> for _ in range(200):
        ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> sorted(opt.state[w]), bool(abs(w.data).max() < 0.05)
        (['col_var', 'row_var', 'step'], True)

    Note:
        PyTorch's version of the algorithm (see :func:`adafactor_update`): ``lr`` caps ρ_t (the
        paper uses 0.01 and no learning rate), weight decay is decoupled and scaled by ``lr``,
        and ε₁ stabilises the estimate instead of being added to G². No first moment (the
        paper's optional β₁) is kept. When ε₁ is None it is taken from the dtype of the first
        parameter with a gradient in each group, as in PyTorch.

    References:
        Shazeer & Stern (2018), Adafactor: Adaptive Learning Rates with Sublinear Memory Cost,
        arXiv:1804.04235; https://docs.pytorch.org/docs/stable/generated/torch.optim.Adafactor.html
    """

    _param_shaped_state = ("variance",)

    def _expected_state_shape(self, key: str, param_shape: tuple) -> tuple | None:
        # factored second moments of a matrix: a column of row means and a row of column means
        if key == "row_var":
            return param_shape[:-1] + (1,)
        if key == "col_var":
            return param_shape[:-2] + (1, param_shape[-1])
        return super()._expected_state_shape(key, param_shape)

    def __init__(self, params, lr: float | Tensor = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": eps,
            "d": d,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        _check_options(defaults, "Adafactor")
        super().__init__(params, defaults)

    def _validate_group(self, group: dict, index: int) -> None:
        _check_options(group, f"Adafactor param group {index}")

    def step(self, closure=None):
        """Perform one Adafactor step on every parameter that has a gradient.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.

        Returns:
            the closure's loss, or None.
        """
        loss = self._run_closure(closure)
        with no_grad():
            for group in self.param_groups:
                lr = A.num(group["lr"])
                eps1, eps2 = group["eps"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = self._grad_array(p)
                    param = self._param_array(p)
                    if eps1 is None:  # PyTorch: the first stepped parameter's dtype, per group
                        eps1 = float(np.finfo(param.dtype).eps)
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = A.new_step()
                        if param.ndim > 1:
                            state["row_var"] = np.zeros(param.shape[:-1] + (1,), dtype=param.dtype)
                            state["col_var"] = np.zeros(param.shape[:-2] + (1, param.shape[-1]),
                                                        dtype=param.dtype)
                        else:
                            state["variance"] = np.zeros_like(param)
                    t = A.advance_step(state)
                    adafactor_update(
                        param, grad, state.get("row_var"), state.get("col_var"),
                        state.get("variance"), step=t, lr=lr, beta2_decay=group["beta2_decay"],
                        eps1=eps1, eps2=eps2, d=group["d"], weight_decay=group["weight_decay"],
                        maximize=group["maximize"])
        return loss


def _adafactor_oracle_configs() -> tuple[dict, ...]:
    """weight_decay × maximize, plus eps1/eps2/d/beta2_decay variants (a large eps2 so the RMS
    floor acts, a large eps1 so its clamps act). The learning rates are small on purpose: with
    larger ones Adafactor's normalised steps oscillate near the minimum and rounding differences
    grow by a constant factor per step (chaotic, not a difference of algorithm), so 200-step
    trajectories could not be compared to 1e-10. Update clipping is checked step by step in
    tests/optim/test_optim_adafactor.py."""
    out = []
    for wd in (0.0, 1e-2):
        for maximize in (False, True):
            out.append(dict(lr=0.01, weight_decay=wd, maximize=maximize))
    out.append(dict(lr=0.005, beta2_decay=-0.5, eps=(1e-20, 2.0)))
    out.append(dict(lr=0.01, beta2_decay=-0.95, eps=(1e-3, 1e-3), d=2.0, weight_decay=0.1))
    out.append(dict(lr=0.01, eps=(1e-2, 1e-3), d=1.5, foreach=True))
    return tuple(out)


register_optimizer(OptimizerInfo(
    name="adafactor",
    cls=Adafactor,
    torch_name="Adafactor",
    summary="Adafactor: Adam-like steps with a factored (row × column) second moment for "
            "matrices, relative step size ρ·RMS(θ) and update clipping; sublinear memory.",
    update_rule="R ← β̂₂R + (1−β̂₂)·mean_cols(g²);  C ← β̂₂C + (1−β̂₂)·mean_rows(g²);  "
                "V̂ = RC/mean(R);  U = g/√V̂;  θ ← θ − max(ε₂, RMS(θ))·min(η, 1/√t)·U/max(1, RMS(U)/d)",
    kernel=adafactor_update,
    state_keys=("step", "variance"),
    oracle_configs=_adafactor_oracle_configs(),
    descent_config={"lr": 0.05, "eps": (None, 0.05)},
    descent_steps=2000,
    references=(
        "Shazeer & Stern 2018, Adafactor: Adaptive Learning Rates with Sublinear Memory Cost, "
        "arXiv:1804.04235",
        "https://docs.pytorch.org/docs/stable/generated/torch.optim.Adafactor.html",
    ),
))
