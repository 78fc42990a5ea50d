"""Segmentation losses: overlap between a predicted soft mask and a target mask — soft Dice,
Tversky (Dice with separate weights for false positives and false negatives) and the
generalized Dice of Sudre et al. (2017) with per-class weights 1/(Σ r)².

Conventions shared by the three:

* ``input`` holds probabilities in [0, 1] (``from_logits=True``: logits, turned into
  probabilities inside the loss by a sigmoid, or by a softmax over ``class_dim``), shape
  (N, …) with the batch first; ``target`` has the same shape with values in [0, 1] (hard
  masks or soft masks; one-hot along ``class_dim`` for several classes).
* The overlap is computed **per sample** over all its elements (per sample and class when
  ``class_dim`` is given, then averaged over the classes), so the unreduced loss has shape (N,)
  and a sample's loss does not depend on the rest of the batch. ``reduction`` and
  ``sample_weight`` then act over samples. (Keras's ``Dice``/``Tversky`` pool the whole batch
  into one ratio instead.)
* ``smooth`` is added to the numerator and denominator of the Dice ratio, (2I + s)/(P + T + s):
  it makes an empty target predicted empty count as a perfect match (loss 0) and keeps the
  gradient finite when the masks are empty. ``eps`` floors the denominator.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd import ops as _ops
from ..autograd.tensor import Tensor
from ._reduction import as_input, as_tensor_like, check_reduction, check_same_shape, doc, reduce
from .binary import _BinaryLoss, check_01_labels

__all__ = [
    "dice_loss", "tversky_loss", "generalized_dice_loss",
    "DiceLoss", "TverskyLoss", "GeneralizedDiceLoss",
]

_SAMPLE_WEIGHT_DOC = (
    "sample_weight: optional weight per sample, shape (N,) (beyond PyTorch): sample n's loss\n"
    "    is multiplied by it and ``'mean'`` divides by the sum of the weights."
)
_SHAPE_DOC = (
    "input: (N, *) — a batch of N masks of any shape (with the classes along ``class_dim``).\n"
    "target: same shape as input.\n"
    "output: a scalar, or (N,) with ``reduction='none'`` (one loss per sample)."
)


# ============================================================================ helpers
def _number(value, fn: str, name: str, *, lo=0.0, lo_open=False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: {name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v < lo or (lo_open and v == lo):
        bound = f"> {lo:g}" if lo_open else f"≥ {lo:g}"
        raise ValueError(f"{fn}: {name} must be a finite number {bound}, got {value!r}")
    return v


def _class_dim(class_dim, ndim: int, fn: str, required: bool = False):
    if class_dim is None:
        if required:
            raise ValueError(f"{fn}: class_dim is required (the dimension of the classes, e.g. 1 for (N, C, H, W))")
        return None
    if isinstance(class_dim, bool) or not isinstance(class_dim, (int, np.integer)):
        raise TypeError(f"{fn}: class_dim must be an int or None, got {class_dim!r}")
    d = int(class_dim) + (ndim if class_dim < 0 else 0)
    if not 1 <= d < ndim:
        raise ValueError(
            f"{fn}: class_dim={class_dim} is not a non-batch dimension of an input with {ndim} "
            f"dimension(s) (the batch is dimension 0; for (N, C, H, W) use class_dim=1)"
        )
    return d


def _setup(input, target, fn: str, from_logits: bool, class_dim, required: bool = False):
    """Probabilities, target, normalized class_dim and the axes summed per sample (and class)."""
    input = as_input(input, fn)
    target = as_tensor_like(target, input, fn)
    check_same_shape(input, target, fn)
    if input.ndim < 1:
        raise ValueError(f"{fn}: input must have a batch dimension, shape (N, *), got a 0-d tensor")
    if required and input.ndim < 2:
        raise ValueError(f"{fn}: input must have shape (N, C, *) with the classes along class_dim, "
                         f"got shape {tuple(input.shape)}")
    cd = _class_dim(class_dim, input.ndim, fn, required)
    if not isinstance(from_logits, (bool, np.bool_)):
        raise TypeError(f"{fn}: from_logits must be True or False, got {from_logits!r}")
    if from_logits:
        if cd is not None and input.shape[cd] > 1:
            probs = _ops.softmax(input, cd)
        else:
            probs = _ops.sigmoid(input)
    else:
        a = input.data
        ok = (a >= 0) & (a <= 1)  # nan fails too
        if not ok.all():
            bad = a[~ok]
            raise ValueError(
                f"{fn}: all elements of input should be probabilities in [0, 1], got {bad.size} "
                f"outside (e.g. {bad.flat[0].item()!r}); for logits pass from_logits=True"
            )
        probs = input
    check_01_labels(target, fn)
    axes = tuple(d for d in range(1, input.ndim) if d != cd)
    return probs, target, cd, axes


def _sum(x: Tensor, axes: tuple) -> Tensor:
    return x.sum(dim=axes) if axes else x  # sum(dim=()) would sum everything


def _overlaps(p: Tensor, t: Tensor, axes: tuple):
    """Per sample (and class): I = Σ p·t, FP = Σ p·(1 − t), FN = Σ (1 − p)·t, each a sum of
    non-negative terms (P − I and T − I would cancel when the overlap is large)."""
    return _sum(p * t, axes), _sum(p * (1.0 - t), axes), _sum((1.0 - p) * t, axes)


def _ratio_loss(num: Tensor, den: Tensor, eps: float) -> Tensor:
    # the floor acts only where the denominator is below eps (e.g. smooth = 0 and empty masks)
    return 1.0 - num / _ops.clamp(den, min=eps)


# ============================================================================ losses
@doc(sample_weight=_SAMPLE_WEIGHT_DOC, shape_seg=_SHAPE_DOC)
def dice_loss(input, target, *, smooth: float = 1.0, eps: float = 1e-7, from_logits: bool = False,
              class_dim=None, reduction: str = "mean", sample_weight=None) -> Tensor:
    r"""Soft Dice loss: one minus the soft Dice overlap of a predicted and a target mask.

    Formula (sample n; sums over the sample's elements i)::

        I = Σᵢ pᵢ·tᵢ,   P = Σᵢ pᵢ,   T = Σᵢ tᵢ
        ℓₙ = 1 − (2·I + s) / max(P + T + s, eps)

    With ``class_dim``, the ratio is taken per class c (sums over the other non-batch
    dimensions) and ℓₙ is the mean over the classes of 1 − Dice_c.
    ``'mean'`` averages ℓₙ over the samples (weighted by ``sample_weight``); ``'sum'`` adds
    them; ``'none'`` returns the (N,) vector.

    Args:
        input: probabilities p ∈ [0, 1] of shape (N, *) (logits with ``from_logits=True``).
        target: target mask t ∈ [0, 1] (hard {0, 1} or soft), same shape.
        smooth: s ≥ 0, added to numerator and denominator (default 1): an empty target
            predicted empty gets loss 0, and the gradient stays finite for empty masks.
        eps: floor of the denominator (> 0; default 1e-7, Keras's epsilon); it matters only
            when ``smooth`` is 0 and both masks are empty (then the loss is 1).
        from_logits: if True, ``input`` holds logits: a softmax over ``class_dim`` is applied
            when ``class_dim`` is given and has more than one class, else a sigmoid.
        class_dim: the dimension of the classes (e.g. 1 for (N, C, H, W)), or None to treat
            each sample as one binary mask.
        {reduction}
        {sample_weight}

    Shape:
        {shape_seg}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import dice_loss
        >>> p = ll.tensor([[0.9, 0.8, 0.1, 0.0], [0.5, 0.5, 0.5, 0.5]])
        >>> t = ll.tensor([[1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
        >>> [round(v, 4) for v in dice_loss(p, t, reduction="none").tolist()]
        [0.0833, 0.5]

    Note:
        * The smoothed ratio (2I + s)/(P + T + s) is the common "soft Dice" (Milletari et al.
          use squares in the denominator; losslab uses plain sums, as optax, Keras and
          MONAI's default). optax's ``dice_loss``/``binary_dice_loss`` write it as
          (I + s)/((P + T)/2 + s), so optax's ``smooth=s`` is losslab's ``smooth=2s``.
          Keras's ``Dice`` has no smoothing (ε = 1e-7 in the denominator) and pools the whole
          batch into one ratio.
        * Bounded in [0, 1] and minimal (0) at p = t for hard masks — a minimum on the
          boundary of [0, 1]ⁿ, where the gradient is not zero. Not convex in p (a ratio of
          affine functions), C∞.

    References:
        Milletari, Navab & Ahmadi (2016), "V-Net", 3DV; Sudre et al. (2017);
        ``optax.losses.binary_dice_loss``; ``keras.losses.Dice``.
    """
    fn = "dice_loss"
    check_reduction(reduction, fn)
    smooth = _number(smooth, fn, "smooth")
    eps = _number(eps, fn, "eps", lo_open=True)
    p, t, cd, axes = _setup(input, target, fn, from_logits, class_dim)
    inter, fp, fneg = _overlaps(p, t, axes)
    # P + T = 2I + FP + FN: written with the non-negative sums
    loss = _ratio_loss(inter * 2.0 + smooth, inter * 2.0 + fp + fneg + smooth, eps)
    if cd is not None:
        loss = loss.mean(dim=1)
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


@doc(sample_weight=_SAMPLE_WEIGHT_DOC, shape_seg=_SHAPE_DOC)
def tversky_loss(input, target, *, alpha: float = 0.5, beta: float = 0.5, smooth: float = 1.0,
                 eps: float = 1e-7, from_logits: bool = False, class_dim=None,
                 reduction: str = "mean", sample_weight=None) -> Tensor:
    r"""Tversky loss: a Dice loss that weighs false positives (α) and false negatives (β)
    separately; α = β = ½ is exactly :func:`dice_loss`.

    Formula (sample n; sums over the sample's elements i)::

        I = Σᵢ pᵢ·tᵢ,   FP = Σᵢ pᵢ·(1 − tᵢ),   FN = Σᵢ (1 − pᵢ)·tᵢ
        TIₙ = (I + s/2) / (I + α·FP + β·FN + s/2)
        ℓₙ = 1 − (2·I + s) / max(2·I + 2α·FP + 2β·FN + s, eps)        (the same, times 2/2)

    With ``class_dim``: per class, then the mean over classes. Reductions act over samples.

    Args:
        input: probabilities p ∈ [0, 1] of shape (N, *) (logits with ``from_logits=True``).
        target: target mask t ∈ [0, 1], same shape.
        alpha: weight α ≥ 0 of the false positives (over-segmentation).
        beta: weight β ≥ 0 of the false negatives (under-segmentation); β > α favours recall.
        smooth: s ≥ 0 (default 1), entering as s/2 so that α = β = ½ gives
            ``dice_loss(smooth=s)`` exactly.
        eps: floor of the (doubled) denominator, > 0.
        from_logits: sigmoid (or softmax over ``class_dim``) applied inside when True.
        class_dim: the dimension of the classes, or None.
        {reduction}
        {sample_weight}

    Shape:
        {shape_seg}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import dice_loss, tversky_loss
        >>> p = ll.tensor([[0.9, 0.8, 0.1, 0.6]]); t = ll.tensor([[1.0, 1.0, 0.0, 0.0]])
        >>> round(tversky_loss(p, t).item(), 6) == round(dice_loss(p, t).item(), 6)
        True
        >>> round(tversky_loss(p, t, alpha=0.7, beta=0.3).item(), 4)
        0.2086

    Note:
        * α weighs FP and β weighs FN as in Salehi et al. (2017) and optax. The smoothing
          enters as s/2 (optax and most code add s, so their ``smooth=s`` is losslab's 2s);
          losslab's choice keeps ``tversky_loss(α=β=½)`` equal to ``dice_loss`` for the same
          ``smooth``. Keras's ``Tversky`` reads the arguments as (y_true, y_pred) internally
          so its ``alpha`` multiplies Σ y·(1 − p) — the false negatives (keras 3 source).
        * α + β must be positive (α = β = 0 makes the loss identically 0). Bounded in [0, 1],
          not convex, C∞; minimal (0) at p = t on the boundary of [0, 1]ⁿ.

    References:
        Salehi, Erdogmus & Gholipour (2017), "Tversky loss function for image segmentation
        using 3D fully convolutional deep networks", MLMI; ``optax.losses.dice_loss``
        (``alpha``, ``beta``); ``keras.losses.Tversky``.
    """
    fn = "tversky_loss"
    check_reduction(reduction, fn)
    alpha = _number(alpha, fn, "alpha")
    beta = _number(beta, fn, "beta")
    if alpha + beta == 0:
        raise ValueError(f"{fn}: alpha and beta cannot both be 0 (the loss would be identically 0); "
                         "alpha = beta = 0.5 is the Dice loss")
    smooth = _number(smooth, fn, "smooth")
    eps = _number(eps, fn, "eps", lo_open=True)
    p, t, cd, axes = _setup(input, target, fn, from_logits, class_dim)
    inter, fp, fneg = _overlaps(p, t, axes)
    loss = _ratio_loss(inter * 2.0 + smooth, inter * 2.0 + fp * (2.0 * alpha) + fneg * (2.0 * beta) + smooth, eps)
    if cd is not None:
        loss = loss.mean(dim=1)
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


@doc(sample_weight=_SAMPLE_WEIGHT_DOC, shape_seg=_SHAPE_DOC)
def generalized_dice_loss(input, target, *, smooth: float = 1e-5, eps: float = 1e-7,
                          from_logits: bool = False, class_dim: int = 1, reduction: str = "mean",
                          sample_weight=None) -> Tensor:
    r"""Generalized Dice loss (Sudre et al. 2017): a multi-class Dice whose classes are weighted
    by the inverse square of their target volume, against class imbalance.

    Formula (sample n; class c; sums over the sample's other elements i)::

        T_c = Σᵢ t_ci,   w_c = 1 / (T_c² + eps)
        ℓₙ = 1 − (2·Σ_c w_c·Σᵢ p_ci·t_ci + s) / (Σ_c w_c·Σᵢ (p_ci + t_ci) + s)

    Reductions act over samples.

    Args:
        input: class probabilities p ∈ [0, 1] of shape (N, C, *) (logits with
            ``from_logits=True``: a softmax over ``class_dim`` is applied, or a sigmoid if C = 1).
        target: one-hot (or soft) target of the same shape, values in [0, 1].
        smooth: s ≥ 0 added to numerator and denominator (default 1e-5, MONAI's). Keep it
            small: the weighted sums are of order Σ_c 1/T_c, so s = 1 would swamp them.
        eps: ε > 0 in the weights 1/(T_c² + ε) (default 1e-7, optax's), so a class absent
            from a sample gets a large but finite weight 1/ε; also the floor of the
            denominator.
        from_logits: whether ``input`` holds logits.
        class_dim: the dimension of the classes (default 1).
        {reduction}
        {sample_weight}

    Shape:
        {shape_seg}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import generalized_dice_loss
        >>> t = ll.tensor([[[1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]])   # (N=1, C=2, 4)
        >>> p = ll.tensor([[[0.9, 0.8, 0.7, 0.4], [0.1, 0.2, 0.3, 0.6]]])
        >>> round(generalized_dice_loss(p, t).item(), 4)
        0.3906

    Note:
        * The weights are computed from each sample's own target (a sample's loss does not
          depend on the batch) and carry gradient to a target that requires it.
        * A class absent from a sample's target gets weight 1/ε, so any probability the
          model puts on it dominates that sample's loss (a known property of the weighting;
          MONAI instead gives absent classes the largest finite weight). Predicting an absent
          class as empty is still a perfect score (loss 0).
        * optax's ``multiclass_generalized_dice_loss`` is a different formula: a mean of
          per-class Dice losses weighted by normalized 1/(T_c² + 1e-7), not Sudre's ratio of
          weighted sums.
        * Bounded in [0, 1]; minimal (0) at p = t for hard masks (on the boundary of
          [0, 1]ⁿ); not convex; C∞. The denominator is floored at ``eps``, which matters only
          when ``smooth`` is 0 and the masks are empty (then the loss is 1, not nan).

    References:
        Sudre, Li, Vercauteren, Ourselin & Cardoso (2017), "Generalised Dice overlap as a deep
        learning loss function for highly unbalanced segmentations", DLMIA; Crum et al. (2006).
    """
    fn = "generalized_dice_loss"
    check_reduction(reduction, fn)
    smooth = _number(smooth, fn, "smooth")
    eps = _number(eps, fn, "eps", lo_open=True)
    p, t, cd, axes = _setup(input, target, fn, from_logits, class_dim, required=True)
    inter, fp, fneg = _overlaps(p, t, axes)   # (N, C)
    vol = _sum(t, axes)                      # T_c per sample: (N, C)
    w = 1.0 / (vol * vol + eps)
    num = (w * inter).sum(dim=1) * 2.0 + smooth
    den = (w * (inter * 2.0 + fp + fneg)).sum(dim=1) + smooth   # Σ w (P + T)
    loss = _ratio_loss(num, den, eps)
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


# ============================================================================ classes
class DiceLoss(_BinaryLoss):
    """Soft Dice loss; ``forward(input, target)`` is :func:`dice_loss`.

    Args:
        smooth, eps, from_logits, class_dim: as in :func:`dice_loss`.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import DiceLoss
        >>> DiceLoss(from_logits=True)
        DiceLoss(from_logits=True)
        >>> DiceLoss()(ll.tensor([[1.0, 0.0]]), ll.tensor([[1.0, 0.0]])).item()
        0.0
    """

    _fn = staticmethod(dice_loss)
    _defaults = {"smooth": 1.0, "eps": 1e-7, "from_logits": False, "class_dim": None}

    def __init__(self, *, smooth: float = 1.0, eps: float = 1e-7, from_logits: bool = False,
                 class_dim=None, reduction: str = "mean"):
        super().__init__(reduction=reduction, smooth=smooth, eps=eps, from_logits=from_logits,
                         class_dim=class_dim)


class TverskyLoss(_BinaryLoss):
    """Tversky loss; ``forward(input, target)`` is :func:`tversky_loss`.

    Args:
        alpha, beta, smooth, eps, from_logits, class_dim: as in :func:`tversky_loss`.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import TverskyLoss
        >>> TverskyLoss(alpha=0.3, beta=0.7)
        TverskyLoss(alpha=0.3, beta=0.7)
    """

    _fn = staticmethod(tversky_loss)
    _defaults = {"alpha": 0.5, "beta": 0.5, "smooth": 1.0, "eps": 1e-7, "from_logits": False,
                 "class_dim": None}

    def __init__(self, *, alpha: float = 0.5, beta: float = 0.5, smooth: float = 1.0,
                 eps: float = 1e-7, from_logits: bool = False, class_dim=None,
                 reduction: str = "mean"):
        super().__init__(reduction=reduction, alpha=alpha, beta=beta, smooth=smooth, eps=eps,
                         from_logits=from_logits, class_dim=class_dim)


class GeneralizedDiceLoss(_BinaryLoss):
    """Generalized Dice loss; ``forward(input, target)`` is :func:`generalized_dice_loss`.

    Args:
        smooth, eps, from_logits, class_dim: as in :func:`generalized_dice_loss`.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import GeneralizedDiceLoss
        >>> GeneralizedDiceLoss()
        GeneralizedDiceLoss()
    """

    _fn = staticmethod(generalized_dice_loss)
    _defaults = {"smooth": 1e-5, "eps": 1e-7, "from_logits": False, "class_dim": 1}

    def __init__(self, *, smooth: float = 1e-5, eps: float = 1e-7, from_logits: bool = False,
                 class_dim: int = 1, reduction: str = "mean"):
        super().__init__(reduction=reduction, smooth=smooth, eps=eps, from_logits=from_logits,
                         class_dim=class_dim)
