"""Regression losses: a real-valued prediction against a real-valued target.

Squared error (``mse_loss``), absolute error (``l1_loss``), their blends (``huber_loss``,
``smooth_l1_loss``, ``log_cosh_loss``), asymmetric and tube losses (``quantile_loss``,
``epsilon_insensitive_loss``), relative errors (``mean_absolute_percentage_error``,
``mean_squared_logarithmic_error``), likelihoods (``poisson_nll_loss``, ``gaussian_nll_loss``)
and the direction loss ``cosine_similarity_loss``.

Every loss is ``f(input, target, ..., reduction="mean", sample_weight=None)``: an elementwise
core (per sample for ``cosine_similarity_loss``) followed by :func:`~losslab.losses.reduce`.
``sample_weight`` (shape (N,), beyond PyTorch) multiplies sample n's losses by
``sample_weight[n]``; ``'mean'`` then divides by the sum of the weights broadcast over the
loss's other dimensions, so it stays a weighted mean.

Three primitives are fused here, each for a stated reason and each tested against the composed
version in ``tests/losses/test_loss_regression_fused.py``:

* :class:`HuberLossCore` (Huber and smooth L1): PyTorch's forward formula and the clipped
  gradient clamp(d, −δ, δ) in one node. The composed "min-trick" (q = min(|d|, δ);
  ½q² + δ(|d| − q)) gives the same gradient only because ``minimum`` splits ties; a ``where``
  of the two branches' gradients summed would double it at |d| = δ. The fused node also builds
  one graph node instead of six, and its second derivative is right at d = 0 (the composed
  |d| gives 0 there: the derivative of sign(0)).
* :class:`LogCoshCore`: log cosh d with full relative accuracy for small |d| and no overflow for
  large |d|, and the exact derivative tanh(d) (whose own derivative 1 − tanh² serves
  second-order gradients, also at d = 0 where the composed |d| form would give 0).
* :class:`GaussianVarClamp`: max(var, eps) in the forward pass and the identity in the backward
  pass, which is what PyTorch's ``with torch.no_grad(): var.clamp_(min=eps)`` does.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..autograd import ops as _ops
from ..autograd.function import ArrayOps, Function
from ..autograd.tensor import Tensor
from ..nn.module import Module
from ._reduction import (
    REDUCTIONS, as_input, as_tensor_like, as_weight, check_broadcastable, check_reduction,
    check_same_shape, doc, reduce,
)

__all__ = [
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "log_cosh_loss", "quantile_loss",
    "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "poisson_nll_loss",
    "gaussian_nll_loss", "epsilon_insensitive_loss", "cosine_similarity_loss",
    "L1Loss", "HuberLoss", "SmoothL1Loss", "LogCoshLoss", "QuantileLoss",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "PoissonNLLLoss",
    "GaussianNLLLoss", "EpsilonInsensitiveLoss", "CosineSimilarityLoss",
]

_LOG2 = math.log(2.0)
_LOG_2PI = math.log(2.0 * math.pi)

#: Docstring fragments of this family (see ``_reduction.doc``).
_SW_DOC = (
    "sample_weight: optional weight per sample, shape (N,) with N = input.shape[0] (beyond\n"
    "    PyTorch; Keras and scikit-learn have it): sample n's losses are multiplied by\n"
    "    sample_weight[n] and ``'mean'`` divides by the sum of the weights (broadcast over the\n"
    "    other dimensions)."
)
_SW_ROW_DOC = (
    "sample_weight: optional weight per sample, shape (N,) for an (N, …) input (beyond\n"
    "    PyTorch): sample n's loss is multiplied by sample_weight[n] and ``'mean'`` divides by\n"
    "    the sum of the weights."
)
_FRAGMENTS = {"sample_weight": _SW_DOC, "sample_weight_row": _SW_ROW_DOC}


# ============================================================================ checks
def _hparam(value, fn: str, name: str, ok, expected: str) -> float:
    """A real-valued hyperparameter as a Python float (NumPy scalars would upcast float32
    losses), checked with ``ok``; the error names the argument, the value and what is allowed."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number ({expected}), got {type(value).__name__} {value!r}")
    v = float(value)
    if not ok(v):
        raise ValueError(f"{fn}: {name} must be {expected}, got {value!r}")
    return v


def _check_values(t: Tensor, ok, fn: str, name: str, expected: str, hint: str = "") -> None:
    """Raise a ValueError if an element of ``t`` fails ``ok`` (nan passes through, as in PyTorch)."""
    a = t.data
    with np.errstate(invalid="ignore"):
        bad = ~ok(a) & ~np.isnan(a)
    if bad.any():
        vals = a[bad]
        raise ValueError(
            f"{fn}: {name} must be {expected}, got {vals.size} element(s) outside (e.g. {vals.flat[0].item()!r}){hint}"
        )


def _pair(input, target, fn: str) -> tuple[Tensor, Tensor]:
    """(input, target) as floating Tensors of one dtype and one shape."""
    input = as_input(input, fn)
    target = as_tensor_like(target, input, fn)
    check_same_shape(input, target, fn)
    return input, target


# ============================================================================ fused primitives
class HuberLossCore(Function):
    """Elementwise Huber loss of the error d (``smooth=False``) or smooth L1 (``smooth=True``,
    β = ``delta``), with PyTorch's forward formulas (``aten`` ``huber_loss`` / ``smooth_l1_loss``)::

        huber:      ℓ = ½d²           if |d| < δ,   δ(|d| − ½δ)   otherwise
        smooth L1:  ℓ = ½d²/β         if |d| < β,   |d| − ½β      otherwise

    Local derivatives (continuous: both branches agree at the switch |d| = δ)::

        huber:      ∂ℓ/∂d = clamp(d, −δ, δ)          smooth L1:  ∂ℓ/∂d = clamp(d/β, −1, 1)

    so at |d| = δ the gradient is ±δ (±1), PyTorch's value, never the doubled 2δ a sum of both
    branches' gradients would give. With ``create_graph`` the clamp is recorded as a Tensor op:
    the second derivative is 1 (1/β) for |d| ≤ δ (the bound included, ``clamp``'s convention)
    and 0 beyond.
    """

    def forward(self, d, delta=1.0, smooth=False):
        self.delta, self.smooth = delta, smooth
        self.save_for_backward(d)
        a = np.abs(d)
        if smooth:
            out = np.where(a < delta, 0.5 * a * a / delta, a - 0.5 * delta)
        else:
            out = np.where(a < delta, 0.5 * a * a, delta * (a - 0.5 * delta))
        return out.astype(d.dtype, copy=False)

    def backward(self, g):
        (d,) = self.saved_tensors
        delta = self.delta
        if self.ops is ArrayOps:
            slope = np.clip(d / delta, -1.0, 1.0) if self.smooth else np.clip(d, -delta, delta)
        else:
            slope = _ops.clamp(d / delta, -1.0, 1.0) if self.smooth else _ops.clamp(d, -delta, delta)
        return g * slope


class LogCoshCore(Function):
    """Elementwise log cosh d, accurate and finite for every finite d::

        |d| < 1:   log cosh d = log1p(2 sinh²(d/2))             (cosh d = 1 + 2 sinh²(d/2))
        |d| ≥ 1:   log cosh d = |d| + log1p(e^{−2|d|}) − log 2
                   (Keras' _logcosh, x + softplus(−2x) − log 2, with x = |d|)

    The first form keeps full relative accuracy near 0, where the second loses it to the
    cancellation |d| + log 2 − log 2 (the loss is ≈ d²/2 there); the second never overflows
    (e^{−2|d|} ≤ 1). ∂/∂d = tanh(d); its derivative 1 − tanh²(d) serves ``create_graph``.
    """

    def forward(self, d):
        self.save_for_backward(d)
        a = np.abs(d)
        small = a < 1.0
        s = np.sinh(0.5 * np.where(small, a, 0.0))
        near = np.log1p(2.0 * s * s)
        far = a + np.log1p(np.exp(-2.0 * a)) - _LOG2
        return np.where(small, near, far).astype(d.dtype, copy=False)

    def backward(self, g):
        (d,) = self.saved_tensors
        return g * (np.tanh(d) if self.ops is ArrayOps else _ops.tanh(d))


class GaussianVarClamp(Function):
    """max(var, eps) forward, identity backward: PyTorch's ``gaussian_nll_loss`` clamps a clone
    of ``var`` in place under ``torch.no_grad()``, so autograd never sees the clamp and the
    gradient reaches ``var`` unchanged (evaluated at the clamped value), also where var < eps."""

    def forward(self, v, eps=1e-6):
        return np.maximum(v, eps).astype(v.dtype, copy=False)

    def backward(self, g):
        return g


# ============================================================================ losses
@doc(**_FRAGMENTS)
def mse_loss(input, target, *, reduction: str = "mean", weight=None, sample_weight=None) -> Tensor:
    r"""Mean squared error: the average of the squared differences (L2 loss).

    Formula (unreduced, element i)::

        ℓᵢ = wᵢ · (xᵢ − yᵢ)²            ∂ℓᵢ/∂xᵢ = 2 wᵢ (xᵢ − yᵢ)

    {reductions_formula}
    With ``weight``, ``'mean'`` is the weighted mean Σ wᵢ(xᵢ − yᵢ)² / Σ wᵢ.

    Args:
        input: prediction x (floating Tensor; arrays and lists are accepted and wrapped).
        target: target y, same shape as ``input`` (Tensor, array or list; converted to
            ``input``'s dtype). Gradients flow to a target that requires grad.
        {reduction_weighted_mean}
        weight: optional per-element weights w ≥ 0, broadcastable to ``input``'s shape.
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import mse_loss
        >>> x = ll.tensor([1.0, 2.0, 4.0], requires_grad=True)
        >>> loss = mse_loss(x, ll.tensor([1.0, 1.0, 1.0]))
        >>> loss
        tensor(3.3333, grad_fn=<MeanBackward>)
        >>> loss.backward(); x.grad
        tensor([0.0000, 0.6667, 2.0000])

    Note:
        * PyTorch warns and broadcasts when ``input`` and ``target`` differ in shape; losslab
          raises a ValueError naming both shapes (an (N,) prediction against an (N, 1) target
          would otherwise become an (N, N) loss).
        * PyTorch's ``weight`` must have exactly ``input``'s shape; losslab also accepts a weight
          that broadcasts to it, and the weighted mean then divides by the sum of the broadcast
          weights. Convex, C∞, minimal (0) at x = y; not robust to outliers (quadratic growth).

    References:
        Gauss, *Theoria motus corporum coelestium* (1809), least squares; PyTorch ``MSELoss``.
    """
    fn = "mse_loss"
    input, target = _pair(input, target, fn)
    diff = input - target
    return reduce(diff * diff, reduction, as_weight(weight, input, fn), sample_weight=sample_weight, fn=fn)


@doc(**_FRAGMENTS)
def l1_loss(input, target, *, reduction: str = "mean", weight=None, sample_weight=None) -> Tensor:
    r"""Mean absolute error (L1 loss): the average of the absolute differences.

    Formula (unreduced, element i)::

        ℓᵢ = wᵢ · |xᵢ − yᵢ|            ∂ℓᵢ/∂xᵢ = wᵢ · sign(xᵢ − yᵢ)   (0 at xᵢ = yᵢ)

    {reductions_formula}
    With ``weight``, ``'mean'`` is the weighted mean Σ wᵢ|xᵢ − yᵢ| / Σ wᵢ (PyTorch's).

    Args:
        input: prediction x (floating Tensor; arrays and lists are wrapped).
        target: target y, same shape as ``input``; gradients flow to it if it requires grad.
        {reduction_weighted_mean}
        weight: optional per-element weights w ≥ 0, broadcastable to ``input``'s shape.
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import l1_loss
        >>> x = ll.tensor([1.0, 2.0, 4.0], requires_grad=True)
        >>> l1_loss(x, ll.tensor([1.0, 1.0, 1.0])).backward()
        >>> x.grad
        tensor([0.0000, 0.3333, 0.3333])

    Note:
        * At the kink x = y the gradient is 0 (PyTorch's sign(0) = 0), a valid subgradient.
        * Shapes must match (PyTorch only warns and broadcasts); ``weight`` may broadcast to the
          input's shape (PyTorch requires the same shape). Convex, C⁰, robust to outliers in
          the sense that an outlier's pull is bounded (linear growth); the minimizer over a
          constant prediction is the median.

    References:
        Laplace (1774); PyTorch ``L1Loss``; Keras ``MeanAbsoluteError``.
    """
    fn = "l1_loss"
    input, target = _pair(input, target, fn)
    return reduce((input - target).abs(), reduction, as_weight(weight, input, fn),
                  sample_weight=sample_weight, fn=fn)


@doc(**_FRAGMENTS)
def huber_loss(input, target, *, reduction: str = "mean", delta: float = 1.0, weight=None,
               sample_weight=None) -> Tensor:
    r"""Huber loss: squared error for small errors, linear (slope δ) for large ones.

    Formula (unreduced, element i, d = xᵢ − yᵢ)::

        ℓᵢ = ½ d²            if |d| < δ
        ℓᵢ = δ (|d| − ½ δ)    otherwise
        ∂ℓᵢ/∂xᵢ = clamp(d, −δ, δ)

    {reductions_formula}
    ``weight`` *rescales* each element (ℓᵢ·wᵢ) and ``'mean'`` divides by the number of elements,
    as PyTorch's ``huber_loss(weight=)`` does (unlike its ``mse_loss``/``l1_loss``, whose
    ``'mean'`` divides by Σ w).

    Args:
        input: prediction x (floating Tensor; arrays and lists are wrapped).
        target: target y, same shape as ``input``; gradients flow to it if it requires grad.
        {reduction}
        delta: δ > 0, where the loss switches from quadratic to linear (default 1.0).
        weight: optional per-element rescaling weights, broadcastable to ``input``'s shape.
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import huber_loss
        >>> x = ll.tensor([0.5, 1.0, 3.0], requires_grad=True)
        >>> loss = huber_loss(x, ll.zeros(3), reduction="sum")
        >>> round(loss.item(), 4)
        3.125
        >>> loss.backward(); x.grad
        tensor([0.5, 1.0, 1.0])

    Note:
        * Computed by one fused node, :class:`HuberLossCore`, with PyTorch's formulas; the
          gradient at the switch |d| = δ is ±δ, exactly PyTorch's (not doubled).
        * ``huber_loss(δ)`` = δ · ``smooth_l1_loss(β=δ)``; with δ = 1 they coincide.
        * Shapes must match (PyTorch warns and broadcasts); ``weight`` may broadcast. Convex,
          C¹ (the second derivative jumps at |d| = δ), robust: linear growth, bounded gradient.

    References:
        Huber (1964), Robust Estimation of a Location Parameter, Ann. Math. Statist. 35(1);
        PyTorch ``HuberLoss``.
    """
    fn = "huber_loss"
    input, target = _pair(input, target, fn)
    delta = _hparam(delta, fn, "delta", lambda v: v > 0, "> 0 (the error size where the loss turns linear)")
    loss = HuberLossCore.apply(input - target, delta=delta, smooth=False)
    w = as_weight(weight, input, fn)
    if w is not None:  # rescaling: 'mean' still divides by the number of elements (PyTorch)
        check_broadcastable(w.shape, loss.shape, fn, "weight")
        loss = loss * w
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


@doc(**_FRAGMENTS)
def smooth_l1_loss(input, target, *, reduction: str = "mean", beta: float = 1.0,
                   sample_weight=None) -> Tensor:
    r"""Smooth L1 loss: L1 with its kink at 0 rounded off by a parabola of width β.

    Formula (unreduced, element i, d = xᵢ − yᵢ)::

        ℓᵢ = ½ d² / β       if |d| < β
        ℓᵢ = |d| − ½ β      otherwise
        ∂ℓᵢ/∂xᵢ = clamp(d/β, −1, 1)

    With β = 0 the loss is exactly ``l1_loss`` (PyTorch's special case).

    {reductions_formula}

    Args:
        input: prediction x (floating Tensor; arrays and lists are wrapped).
        target: target y, same shape as ``input``; gradients flow to it if it requires grad.
        {reduction}
        beta: β ≥ 0, the width of the quadratic zone (default 1.0).
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import smooth_l1_loss
        >>> x = ll.tensor([0.5, 3.0], requires_grad=True)
        >>> round(smooth_l1_loss(x, ll.zeros(2), beta=1.0, reduction="sum").item(), 4)
        2.625

    Note:
        * smooth_l1_loss(β) = huber_loss(δ=β) / β: the same shape, but the linear part has slope
          1 whatever β is (Huber's has slope δ). Computed by :class:`HuberLossCore` (fused).
        * Convex; C¹ for β > 0 (second-derivative jumps at |d| = β); C⁰ (a kink at d = 0) for
          β = 0. Robust: linear growth, bounded gradient.

    References:
        Girshick (2015), Fast R-CNN, ICCV; PyTorch ``SmoothL1Loss``.
    """
    fn = "smooth_l1_loss"
    input, target = _pair(input, target, fn)
    beta = _hparam(beta, fn, "beta", lambda v: v >= 0, "≥ 0 (0 gives l1_loss)")
    d = input - target
    loss = d.abs() if beta == 0.0 else HuberLossCore.apply(d, delta=beta, smooth=True)
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


@doc(**_FRAGMENTS)
def log_cosh_loss(input, target, *, reduction: str = "mean", sample_weight=None) -> Tensor:
    r"""Log-cosh loss: log(cosh(x − y)), ≈ ½d² for small errors and ≈ |d| − log 2 for large ones.

    Formula (unreduced, element i, d = xᵢ − yᵢ)::

        ℓᵢ = log cosh d = |d| + softplus(−2|d|) − log 2        ∂ℓᵢ/∂xᵢ = tanh(d)

    {reductions_formula}

    Args:
        input: prediction x (floating Tensor; arrays and lists are wrapped).
        target: target y, same shape as ``input``; gradients flow to it if it requires grad.
        {reduction}
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import log_cosh_loss
        >>> x = ll.tensor([0.0, 1.0, 100.0], requires_grad=True)
        >>> log_cosh_loss(x, ll.zeros(3), reduction="none")
        tensor([ 0.0000,  0.4338, 99.3069], grad_fn=<LogCoshCoreBackward>)

    Note:
        * cosh overflows for |d| > 710 (float64) or 89 (float32), so log(cosh(d)) computed
          naively is inf there; the stable form |d| + softplus(−2|d|) − log 2 (Keras'
          ``log_cosh``: x + softplus(−2x) − log 2; optax's ``log_cosh``: logaddexp(d, −d) − log 2)
          never overflows. For |d| < 1 the identity cosh d = 1 + 2 sinh²(d/2) is used instead
          (log1p(2 sinh²(d/2)), full relative accuracy near 0). Both in the fused
          :class:`LogCoshCore`, whose gradient is tanh(d).
        * Keras' ``log_cosh`` averages over the last axis per sample; ``'mean'`` here averages
          over all elements (equal for rows of equal length).
        * Convex, C∞, robust: linear growth with a bounded gradient (|tanh| < 1). PyTorch has no
          log-cosh loss.

    References:
        Keras ``keras.losses.log_cosh``; optax ``optax.losses.log_cosh``; Chen et al. (2019),
        Log Hyperbolic Cosine Loss Improves Variational Auto-Encoder.
    """
    fn = "log_cosh_loss"
    input, target = _pair(input, target, fn)
    return reduce(LogCoshCore.apply(input - target), reduction, sample_weight=sample_weight, fn=fn)


@doc(**_FRAGMENTS)
def quantile_loss(input, target, *, reduction: str = "mean", tau: float = 0.5,
                  sample_weight=None) -> Tensor:
    r"""Quantile (pinball) loss: an asymmetric L1 whose minimizer is the τ-quantile of the target.

    Formula (unreduced, element i, u = yᵢ − xᵢ the under-prediction)::

        ℓᵢ = τ · u          if u ≥ 0   (prediction too low)
        ℓᵢ = (τ − 1) · u    if u < 0   (prediction too high)
           = τ·max(u, 0) + (1 − τ)·max(−u, 0)
        ∂ℓᵢ/∂xᵢ = −τ (u > 0),  1 − τ (u < 0),  0 at u = 0

    {reductions_formula}

    Args:
        input: predicted τ-quantile x (floating Tensor).
        target: observed y, same shape as ``input``; gradients flow to it if it requires grad.
        {reduction}
        tau: τ ∈ (0, 1), the quantile level (default 0.5, where the loss is ½|x − y|).
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import quantile_loss
        >>> y = ll.tensor([1.0, 1.0])
        >>> quantile_loss(ll.tensor([0.0, 2.0]), y, tau=0.9, reduction="none")
        tensor([0.9, 0.1])

    Note:
        * At the kink x = y the gradient is 0 (the subgradient PyTorch's ``relu``/``abs``
          conventions give), so a perfect prediction is a stationary point.
        * scikit-learn's ``mean_pinball_loss(alpha=τ)`` is this loss with ``'mean'``. Convex,
          C⁰, robust: linear growth with slopes τ and 1 − τ.

    References:
        Koenker & Bassett (1978), Regression Quantiles, Econometrica 46(1).
    """
    fn = "quantile_loss"
    input, target = _pair(input, target, fn)
    tau = _hparam(tau, fn, "tau", lambda v: 0.0 < v < 1.0,
                  "in the open interval (0, 1) (e.g. 0.5 for the median, 0.9 for the 90th percentile)")
    u = target - input
    return reduce(tau * u.relu() + (1.0 - tau) * (-u).relu(), reduction, sample_weight=sample_weight, fn=fn)


@doc(**_FRAGMENTS)
def mean_absolute_percentage_error(input, target, *, reduction: str = "mean", eps: float = 1e-7,
                                   sample_weight=None) -> Tensor:
    r"""Mean absolute percentage error (Keras' definition): 100·|y − x| / max(|y|, ε).

    Formula (unreduced, element i)::

        ℓᵢ = 100 · |(yᵢ − xᵢ) / max(|yᵢ|, ε)|
        ∂ℓᵢ/∂xᵢ = 100 · sign(xᵢ − yᵢ) / max(|yᵢ|, ε)      (0 at xᵢ = yᵢ)

    {reductions_formula}

    Args:
        input: prediction x (floating Tensor).
        target: target y, same shape as ``input`` (any real; |y| < ε is replaced by ε in the
            denominator); gradients flow to it if it requires grad.
        {reduction}
        eps: ε > 0, the floor on |y| in the denominator (default 1e-7, Keras'
            ``backend.epsilon()``).
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import mean_absolute_percentage_error
        >>> mean_absolute_percentage_error(ll.tensor([110.0, 45.0]), ll.tensor([100.0, 50.0]))
        tensor(10.)

    Note:
        * The clamp max(|y|, ε) is Keras' (``keras.losses.mean_absolute_percentage_error``);
          scikit-learn's ``mean_absolute_percentage_error`` uses ε = 2.2e-16 and no factor 100
          (a fraction, not a percentage). A target at or near 0 makes the loss huge (1e9 per
          unit error with the default ε): MAPE suits strictly positive targets away from 0.
        * Keras averages over the last axis per sample; ``'mean'`` here averages over all
          elements (equal for rows of equal length).
        * Convex in x, C⁰ (kink at x = y), linear growth; the weight 1/|y| favours
          under-prediction of large targets.

    References:
        Keras ``keras.losses.MeanAbsolutePercentageError``; de Myttenaere et al. (2016),
        Mean Absolute Percentage Error for regression models, Neurocomputing 192.
    """
    fn = "mean_absolute_percentage_error"
    input, target = _pair(input, target, fn)
    eps = _hparam(eps, fn, "eps", lambda v: v > 0, "> 0 (the floor on |target| in the denominator)")
    denom = target.abs().clamp(min=eps)  # Keras: maximum(abs(y_true), epsilon)
    return reduce(((target - input) / denom).abs() * 100.0, reduction, sample_weight=sample_weight, fn=fn)


@doc(**_FRAGMENTS)
def mean_squared_logarithmic_error(input, target, *, reduction: str = "mean",
                                   sample_weight=None) -> Tensor:
    r"""Mean squared logarithmic error: the squared error of log(1 + x) against log(1 + y).

    Formula (unreduced, element i)::

        ℓᵢ = (log(1 + xᵢ) − log(1 + yᵢ))²
        ∂ℓᵢ/∂xᵢ = 2 (log(1 + xᵢ) − log(1 + yᵢ)) / (1 + xᵢ)

    {reductions_formula}

    Args:
        input: prediction x > −1 (floating Tensor); usually non-negative (counts, prices).
        target: target y > −1, same shape as ``input``.
        {reduction}
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import mean_squared_logarithmic_error
        >>> round(mean_squared_logarithmic_error(ll.tensor([0.0, 1.0]), ll.tensor([1.0, 1.0])).item(), 4)
        0.2402

    Note:
        * log(1 + ·) is computed with ``log1p`` (accurate for small values). Values ≤ −1 raise a
          ValueError (the logarithm is undefined there; scikit-learn's
          ``mean_squared_log_error`` refuses them too). Keras instead clamps both x and y at
          ε = 1e-7 before the logarithm (so negative values count as 0 and get no gradient);
          the two agree wherever x, y ≥ 1e-7.
        * Keras averages over the last axis per sample; ``'mean'`` here averages over all
          elements (equal for rows of equal length).
        * Not convex in x: convex only where log(1 + x) − log(1 + y) ≤ 1. Penalizes relative
          rather than absolute errors, and under-prediction more than over-prediction.

    References:
        Keras ``keras.losses.MeanSquaredLogarithmicError``; scikit-learn
        ``sklearn.metrics.mean_squared_log_error``.
    """
    fn = "mean_squared_logarithmic_error"
    input, target = _pair(input, target, fn)
    hint = "; pair the loss with a non-negative output activation (softplus, exp, relu)"
    _check_values(input, lambda a: a > -1, fn, "input", "> -1 (log(1 + input) is undefined otherwise)", hint)
    _check_values(target, lambda a: a > -1, fn, "target", "> -1 (log(1 + target) is undefined otherwise)")
    d = input.log1p() - target.log1p()
    return reduce(d * d, reduction, sample_weight=sample_weight, fn=fn)


@doc(**_FRAGMENTS)
def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False, *,
                     eps: float = 1e-8, reduction: str = "mean", sample_weight=None) -> Tensor:
    r"""Negative log-likelihood of a Poisson target, given its rate (or log-rate).

    Formula (unreduced, element i; λ the predicted rate, y the observed count)::

        log_input=True  (x = log λ):   ℓᵢ = exp(xᵢ) − yᵢ·xᵢ
        log_input=False (x = λ):       ℓᵢ = xᵢ − yᵢ·log(xᵢ + eps)
        full=True adds Stirling's approximation of log(y!) where y > 1:
                                       yᵢ·log yᵢ − yᵢ + ½·log(2π·yᵢ)

    {reductions_formula}

    Args:
        input: log-rates (``log_input=True``, any real) or rates ≥ 0 (``log_input=False``).
        target: observed counts y ≥ 0 (non-integer values are accepted, as in PyTorch), same
            shape as ``input``; gradients flow to it if it requires grad.
        log_input: whether ``input`` holds log-rates (default True, the stable choice).
        full: add the Stirling term, so the loss is the full negative log-likelihood up to the
            error of Stirling's formula (default False: the term is constant in ``input``).
        eps: added to the rate inside the log when ``log_input=False`` (default 1e-8).
        {reduction}
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import poisson_nll_loss
        >>> round(poisson_nll_loss(ll.tensor([0.0, 1.0]), ll.tensor([1.0, 3.0])).item(), 4)
        0.3591

    Note:
        * Equal to PyTorch's ``poisson_nll_loss`` (values, and gradients to input and target).
          One difference: with ``full=True`` the gradient to a target equal to 0 is finite here
          (the Stirling term is masked before differentiation); PyTorch's is nan (0 · ∞).
        * Negative targets raise a ValueError (PyTorch computes a meaningless number), and so
          do negative rates with ``log_input=False``.
        * Convex in the input in both parametrizations. With log-rates the loss grows like
          exp(x): clamp or scale large log-rates; ``exp(x)`` overflows for x > 709 (float64).

    References:
        PyTorch ``PoissonNLLLoss``; Keras ``keras.losses.Poisson`` (x − y·log(x + ε), rates).
    """
    fn = "poisson_nll_loss"
    input, target = _pair(input, target, fn)
    eps = _hparam(eps, fn, "eps", lambda v: v >= 0, "≥ 0 (added to the rate inside the log)")
    _check_values(target, lambda a: a >= 0, fn, "target", "≥ 0 (Poisson counts)")
    if log_input:
        loss = input.exp() - target * input
    else:
        _check_values(input, lambda a: a >= 0, fn, "input", "≥ 0 (rates, since log_input=False)",
                      "; pass log-rates with log_input=True instead")
        loss = input - target * (input + eps).log()
    if full:
        big = target.data > 1
        ys = _ops.where(big, target, 2.0)  # a constant 2 where masked: no log(0) and no 0·∞ in the gradient
        stirling = ys * ys.log() - ys + ((2.0 * math.pi) * ys).log() * 0.5
        loss = loss + _ops.where(big, stirling, 0.0)
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


def _gaussian_var(var, input: Tensor, fn: str) -> Tensor:
    """``var`` as a Tensor that broadcasts to ``input`` by PyTorch's rules, checked ≥ 0."""
    if isinstance(var, numbers.Real) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{fn}: var must be ≥ 0 (a variance), got {var!r}")
        return Tensor(np.full(input.shape, float(var), dtype=input.dtype))
    var = as_tensor_like(var, input, fn, "var")
    _check_values(var, lambda a: a >= 0, fn, "var", "≥ 0 (variances; predict log-variances and "
                  "exponentiate, or apply softplus, to keep them positive)")
    vshape, ishape = tuple(var.shape), tuple(input.shape)
    if vshape == ishape:
        return var
    if vshape == ishape[:-1]:  # one variance per row (homoscedastic over the last dimension)
        return var.unsqueeze(-1)
    if len(vshape) == len(ishape) and sum(v for i, v in zip(ishape, vshape) if i != v) == 1:
        return var  # one dimension of size 1 where the input's is larger (PyTorch's rule)
    raise ValueError(
        f"{fn}: var of shape {vshape} does not fit the input's shape {ishape}; give var the input's "
        f"shape, the input's shape without its last dimension {ishape[:-1]}, or the input's shape "
        "with one dimension set to 1"
    )


@doc(**_FRAGMENTS)
def gaussian_nll_loss(input, target, var=1.0, full: bool = False, eps: float = 1e-6, *,
                      reduction: str = "mean", sample_weight=None) -> Tensor:
    r"""Negative log-likelihood of the target under a Gaussian with predicted mean and variance.

    Formula (unreduced, element i; μ = input, σ² = max(var, eps))::

        ℓᵢ = ½ (log σᵢ² + (μᵢ − yᵢ)² / σᵢ²)  [+ ½ log 2π if full]
        ∂ℓᵢ/∂μᵢ = (μᵢ − yᵢ)/σᵢ²      ∂ℓᵢ/∂varᵢ = ½ (1/σᵢ² − (μᵢ − yᵢ)²/σᵢ⁴)

    {reductions_formula}

    Args:
        input: predicted means μ (floating Tensor).
        target: observations y, same shape as ``input``; gradients flow to it if it requires
            grad.
        var: variances ≥ 0: a number (one variance for all), or a Tensor of the input's shape
            (heteroscedastic), of the input's shape without the last dimension, or of the
            input's shape with one dimension of size 1 (homoscedastic along it) — PyTorch's
            rules. Gradients flow to it. Default 1.0 (beyond PyTorch, where ``var`` is
            required): with unit variance the loss is ½(μ − y)² (+ ½ log 2π).
        full: add the constant ½ log 2π (default False).
        eps: floor on the variance, for stability (default 1e-6).
        {reduction}
        {sample_weight}

    Shape:
        input: any shape. target: the input's shape. var: see above.
        output: a scalar, or the input's shape with ``reduction='none'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import gaussian_nll_loss
        >>> mu, y = ll.tensor([0.0, 1.0]), ll.tensor([1.0, 1.0])
        >>> round(gaussian_nll_loss(mu, y, ll.tensor([1.0, 0.5])).item(), 4)
        0.0767

    Note:
        * Equal to PyTorch's ``gaussian_nll_loss`` (values, and gradients to input, target
          and var), including its clamp: the variance is clamped to ≥ eps in the forward pass
          only, so the gradient still reaches a variance below eps, evaluated at eps
          (:class:`GaussianVarClamp`).
        * A negative variance raises a ValueError (as PyTorch); shapes of input and target must
          match (PyTorch broadcasts).
        * Convex in the mean for a fixed variance (quadratic growth); not jointly convex in
          (mean, variance). With a learned variance an outlier can be "explained away" by a
          large σ², which dampens its pull.

    References:
        Nix & Weigend (1994), Estimating the mean and variance of the target probability
        distribution, ICNN; PyTorch ``GaussianNLLLoss``.
    """
    fn = "gaussian_nll_loss"
    input, target = _pair(input, target, fn)
    check_reduction(reduction, fn)
    eps = _hparam(eps, fn, "eps", lambda v: v >= 0, "≥ 0 (the floor on the variance)")
    v = GaussianVarClamp.apply(_gaussian_var(var, input, fn), eps=eps)
    d = input - target
    loss = (v.log() + d * d / v) * 0.5
    if full:
        loss = loss + 0.5 * _LOG_2PI
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


@doc(**_FRAGMENTS)
def epsilon_insensitive_loss(input, target, *, reduction: str = "mean", epsilon: float = 0.1,
                             sample_weight=None) -> Tensor:
    r"""ε-insensitive loss (support vector regression): errors inside a tube of half-width ε are free.

    Formula (unreduced, element i)::

        ℓᵢ = max(0, |xᵢ − yᵢ| − ε)
        ∂ℓᵢ/∂xᵢ = sign(xᵢ − yᵢ) where |xᵢ − yᵢ| > ε, else 0

    {reductions_formula}

    Args:
        input: prediction x (floating Tensor).
        target: target y, same shape as ``input``; gradients flow to it if it requires grad.
        {reduction}
        epsilon: ε ≥ 0, the half-width of the tube (default 0.1, scikit-learn's
            ``SGDRegressor``); ε = 0 gives ``l1_loss``.
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import epsilon_insensitive_loss
        >>> epsilon_insensitive_loss(ll.tensor([0.05, 1.0, -2.0]), ll.zeros(3), epsilon=0.5, reduction="none")
        tensor([0.0, 0.5, 1.5])

    Note:
        * At the tube's edges |x − y| = ε the gradient is 0 (``relu``'s convention at 0), a
          valid subgradient.
        * scikit-learn's ``SGDRegressor(loss="epsilon_insensitive")`` and ``LinearSVR`` use this
          loss. Convex, C⁰ (kinks at |x − y| = ε), linear growth.

    References:
        Vapnik (1995), The Nature of Statistical Learning Theory; Smola & Schölkopf (2004),
        A tutorial on support vector regression, Statistics and Computing 14.
    """
    fn = "epsilon_insensitive_loss"
    input, target = _pair(input, target, fn)
    epsilon = _hparam(epsilon, fn, "epsilon", lambda v: v >= 0, "≥ 0 (the half-width of the tube)")
    return reduce(((input - target).abs() - epsilon).relu(), reduction, sample_weight=sample_weight, fn=fn)


@doc(**_FRAGMENTS)
def cosine_similarity_loss(input, target, *, reduction: str = "mean", dim: int = -1,
                           eps: float = 1e-8, sample_weight=None) -> Tensor:
    r"""Cosine distance: 1 − cos(angle between input and target), per vector along ``dim``.

    Formula (unreduced, per vector n)::

        ℓₙ = 1 − ⟨xₙ, yₙ⟩ / (max(‖xₙ‖, ε) · max(‖yₙ‖, ε))

    {reductions_formula}

    Args:
        input: predicted vectors x (floating Tensor), the vector axis at ``dim``.
        target: target vectors y, same shape as ``input``; gradients flow to it if it requires
            grad.
        {reduction}
        dim: the vector dimension (default −1, the last: Keras' and optax's ``axis=-1``).
        eps: ε > 0, the floor on each norm (default 1e-8, ``torch.nn.functional.cosine_similarity``'s).
        {sample_weight_row}

    Shape:
        input: (*, D, *) with the vector axis at ``dim``. target: the input's shape.
        output: the input's shape without ``dim`` with ``reduction='none'``, else a scalar.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import cosine_similarity_loss
        >>> x = ll.tensor([[1.0, 0.0], [1.0, 1.0], [-1.0, 0.0]])
        >>> y = ll.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
        >>> cosine_similarity_loss(x, y, reduction="none")
        tensor([0.0000, 0.2929, 2.0000])

    Note:
        * Conventions differ: optax's ``cosine_distance`` is this loss (1 − cos, in [0, 2]);
          Keras' ``CosineSimilarity`` loss is −cos (in [−1, 1]), i.e. this loss minus 1 (same
          gradients). PyTorch has ``cosine_similarity`` (not a loss) and
          ``CosineEmbeddingLoss`` (with ±1 labels and a margin).
        * Norms below ε are replaced by ε (``torch.nn.functional.cosine_similarity``'s
          convention) via √max(‖x‖², ε²), so the loss and its gradient are finite at a zero
          vector (the cosine is then 0, the loss 1); there, unlike PyTorch, no gradient flows
          through the clamped norm.
        * Scale-invariant, bounded in [0, 2], not convex. The minimum (0) is attained by any
          positive multiple of the target.

    References:
        optax ``optax.losses.cosine_distance``; Keras ``keras.losses.CosineSimilarity``.
    """
    fn = "cosine_similarity_loss"
    input, target = _pair(input, target, fn)
    eps = _hparam(eps, fn, "eps", lambda v: v > 0, "> 0 (the floor on each vector's norm)")
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{fn}: dim must be an int, got {type(dim).__name__} {dim!r}")
    if input.ndim == 0 or not -input.ndim <= dim < input.ndim:
        raise ValueError(f"{fn}: dim={dim} is out of range for an input with {input.ndim} dimension(s)")
    dim = int(dim)
    # √max(‖x‖², ε²) = max(‖x‖, ε) without the infinite derivative of ‖x‖ at x = 0
    nx = (input * input).sum(dim).clamp(min=eps * eps).sqrt()
    ny = (target * target).sum(dim).clamp(min=eps * eps).sqrt()
    cos = (input * target).sum(dim) / (nx * ny)
    return reduce(1.0 - cos, reduction, sample_weight=sample_weight, fn=fn)


# ============================================================================ classes
class _FamilyLoss(Module):
    """Base of this family's loss classes: stores ``reduction`` (PyTorch's deprecated
    ``size_average``/``reduce`` map onto it) and checks hyperparameters on construction."""

    _allowed = REDUCTIONS

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        name = type(self).__name__
        if size_average is None and reduce is None:
            self.reduction = check_reduction(reduction, name, self._allowed)
        else:
            from .modules import _legacy_reduction  # modules imports this module: import late
            self.reduction = _legacy_reduction(size_average, reduce, reduction, name)


class L1Loss(_FamilyLoss):
    """Mean absolute error criterion; ``forward(input, target)`` is :func:`l1_loss`.

    Args:
        size_average, reduce: deprecated (PyTorch's); they override ``reduction`` when given.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import L1Loss
        >>> L1Loss()(ll.tensor([1.0, 3.0]), ll.tensor([1.0, 1.0]))
        tensor(1.)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target, *, sample_weight=None):
        return l1_loss(input, target, reduction=self.reduction, sample_weight=sample_weight)


class HuberLoss(_FamilyLoss):
    """Huber criterion; ``forward(input, target)`` is :func:`huber_loss`.

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        delta: δ > 0, where the loss turns from quadratic to linear (default 1.0).

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import HuberLoss
        >>> HuberLoss(delta=1.0)(ll.tensor([0.0, 3.0]), ll.tensor([0.0, 0.0]))
        tensor(1.25)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = _hparam(delta, "HuberLoss", "delta", lambda v: v > 0, "> 0")

    def forward(self, input, target, *, sample_weight=None):
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta, sample_weight=sample_weight)


class SmoothL1Loss(_FamilyLoss):
    """Smooth L1 criterion; ``forward(input, target)`` is :func:`smooth_l1_loss`.

    Args:
        size_average, reduce: deprecated (PyTorch's); they override ``reduction`` when given.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        beta: β ≥ 0, the width of the quadratic zone (default 1.0; 0 gives L1).

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import SmoothL1Loss
        >>> SmoothL1Loss(beta=0.5)(ll.tensor([0.25, 2.0]), ll.tensor([0.0, 0.0]))
        tensor(0.9062)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = _hparam(beta, "SmoothL1Loss", "beta", lambda v: v >= 0, "≥ 0")

    def forward(self, input, target, *, sample_weight=None):
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta, sample_weight=sample_weight)


class LogCoshLoss(_FamilyLoss):
    """Log-cosh criterion; ``forward(input, target)`` is :func:`log_cosh_loss`.

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import LogCoshLoss
        >>> round(LogCoshLoss()(ll.tensor([1.0]), ll.tensor([0.0])).item(), 4)
        0.4338
    """

    def __init__(self, reduction: str = "mean"):
        super().__init__(reduction=reduction)

    def forward(self, input, target, *, sample_weight=None):
        return log_cosh_loss(input, target, reduction=self.reduction, sample_weight=sample_weight)


class QuantileLoss(_FamilyLoss):
    """Quantile (pinball) criterion; ``forward(input, target)`` is :func:`quantile_loss`.

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        tau: τ ∈ (0, 1), the quantile level (default 0.5).

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import QuantileLoss
        >>> QuantileLoss(tau=0.9)(ll.tensor([0.0]), ll.tensor([1.0]))
        tensor(0.9)
    """

    def __init__(self, reduction: str = "mean", tau: float = 0.5):
        super().__init__(reduction=reduction)
        self.tau = _hparam(tau, "QuantileLoss", "tau", lambda v: 0.0 < v < 1.0, "in the open interval (0, 1)")

    def forward(self, input, target, *, sample_weight=None):
        return quantile_loss(input, target, reduction=self.reduction, tau=self.tau, sample_weight=sample_weight)


class MeanAbsolutePercentageError(_FamilyLoss):
    """MAPE criterion (Keras' definition); ``forward`` is :func:`mean_absolute_percentage_error`.

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        eps: ε > 0, the floor on |target| (default 1e-7).

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import MeanAbsolutePercentageError
        >>> MeanAbsolutePercentageError()(ll.tensor([90.0]), ll.tensor([100.0]))
        tensor(10.)
    """

    def __init__(self, reduction: str = "mean", eps: float = 1e-7):
        super().__init__(reduction=reduction)
        self.eps = _hparam(eps, "MeanAbsolutePercentageError", "eps", lambda v: v > 0, "> 0")

    def forward(self, input, target, *, sample_weight=None):
        return mean_absolute_percentage_error(input, target, reduction=self.reduction, eps=self.eps,
                                              sample_weight=sample_weight)


class MeanSquaredLogarithmicError(_FamilyLoss):
    """MSLE criterion; ``forward`` is :func:`mean_squared_logarithmic_error`.

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import MeanSquaredLogarithmicError
        >>> round(MeanSquaredLogarithmicError()(ll.tensor([0.0]), ll.tensor([1.0])).item(), 4)
        0.4805
    """

    def __init__(self, reduction: str = "mean"):
        super().__init__(reduction=reduction)

    def forward(self, input, target, *, sample_weight=None):
        return mean_squared_logarithmic_error(input, target, reduction=self.reduction, sample_weight=sample_weight)


class PoissonNLLLoss(_FamilyLoss):
    """Poisson negative log-likelihood criterion; ``forward`` is :func:`poisson_nll_loss`.

    Args:
        log_input: whether the input holds log-rates (default True).
        full: add the Stirling term (default False).
        size_average, reduce: deprecated (PyTorch's); they override ``reduction`` when given.
        eps: added to the rate inside the log when ``log_input=False`` (default 1e-8).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import PoissonNLLLoss
        >>> PoissonNLLLoss()(ll.tensor([0.0]), ll.tensor([2.0]))
        tensor(1.)
    """

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None, eps: float = 1e-8,
                 reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full = log_input, full
        self.eps = _hparam(eps, "PoissonNLLLoss", "eps", lambda v: v >= 0, "≥ 0")

    def forward(self, input, target, *, sample_weight=None):
        return poisson_nll_loss(input, target, self.log_input, self.full, eps=self.eps,
                                reduction=self.reduction, sample_weight=sample_weight)


class GaussianNLLLoss(_FamilyLoss):
    """Gaussian negative log-likelihood criterion; ``forward(input, target, var=1.0)`` is
    :func:`gaussian_nll_loss`.

    Args:
        full: add the constant ½ log 2π (default False).
        eps: floor on the variance (default 1e-6).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import GaussianNLLLoss
        >>> GaussianNLLLoss()(ll.tensor([0.0]), ll.tensor([2.0]), ll.tensor([1.0]))
        tensor(2.)
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.full = full
        self.eps = _hparam(eps, "GaussianNLLLoss", "eps", lambda v: v >= 0, "≥ 0")

    def forward(self, input, target, var=1.0, *, sample_weight=None):
        return gaussian_nll_loss(input, target, var, self.full, self.eps, reduction=self.reduction,
                                 sample_weight=sample_weight)


class EpsilonInsensitiveLoss(_FamilyLoss):
    """ε-insensitive (SVR) criterion; ``forward`` is :func:`epsilon_insensitive_loss`.

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        epsilon: ε ≥ 0, the half-width of the tube (default 0.1).

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import EpsilonInsensitiveLoss
        >>> EpsilonInsensitiveLoss(epsilon=0.5)(ll.tensor([2.0]), ll.tensor([0.0]))
        tensor(1.5)
    """

    def __init__(self, reduction: str = "mean", epsilon: float = 0.1):
        super().__init__(reduction=reduction)
        self.epsilon = _hparam(epsilon, "EpsilonInsensitiveLoss", "epsilon", lambda v: v >= 0, "≥ 0")

    def forward(self, input, target, *, sample_weight=None):
        return epsilon_insensitive_loss(input, target, reduction=self.reduction, epsilon=self.epsilon,
                                        sample_weight=sample_weight)


class CosineSimilarityLoss(_FamilyLoss):
    """Cosine distance criterion (1 − cos); ``forward`` is :func:`cosine_similarity_loss`.

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        dim: the vector dimension (default −1).
        eps: ε > 0, the floor on each norm (default 1e-8).

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import CosineSimilarityLoss
        >>> CosineSimilarityLoss()(ll.tensor([[1.0, 0.0]]), ll.tensor([[-3.0, 0.0]]))
        tensor(2.)
    """

    def __init__(self, reduction: str = "mean", dim: int = -1, eps: float = 1e-8):
        super().__init__(reduction=reduction)
        self.dim = dim
        self.eps = _hparam(eps, "CosineSimilarityLoss", "eps", lambda v: v > 0, "> 0")

    def forward(self, input, target, *, sample_weight=None):
        return cosine_similarity_loss(input, target, reduction=self.reduction, dim=self.dim, eps=self.eps,
                                      sample_weight=sample_weight)
