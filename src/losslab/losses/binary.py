"""Binary classification losses beyond cross-entropy: focal loss (on logits and on
probabilities), the margin losses on ±1 labels (hinge, squared hinge, soft margin, perceptron,
modified Huber) and the binary sparsemax loss.

Two label conventions live here, and each loss checks its own:

* **±1 labels** (``hinge_loss``, ``squared_hinge_loss``, ``soft_margin_loss``,
  ``perceptron_loss``, ``modified_huber_loss``): the loss is a function of the margin
  z = y·s of a real score s. A target holding only 0s and 1s is refused with a message that
  says how to map it (``2 * y - 1``); silently reading 0 as a label would zero the margin.
* **{0, 1} labels** (``sigmoid_focal_loss``, ``binary_focal_loss``, ``sparsemax_loss``):
  targets in [0, 1] (hard labels or soft labels). A target containing −1 is refused with the
  mapping ``(y + 1) / 2``.

Every loss takes ``sample_weight`` (shape (N,)): sample n's losses are multiplied by it and
``'mean'`` divides by the sum of the weights (broadcast over the sample's elements).

Kinks: the margin losses are built from ``relu``, whose derivative at 0 is 0 (PyTorch's
convention). So at a kink the gradient is the one-sided derivative of the flat side: hinge at
y·s = 1 and perceptron at y·s = 0 give 0.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd import ops as _ops
from ..autograd.tensor import Tensor
from ..nn.module import Module
from ._reduction import as_input, as_tensor_like, check_reduction, check_same_shape, doc, reduce
from .classification import BinaryCrossEntropy, BinaryCrossEntropyWithLogits
from .modules import _Loss

__all__ = [
    "sigmoid_focal_loss", "binary_focal_loss", "hinge_loss", "squared_hinge_loss",
    "soft_margin_loss", "perceptron_loss", "modified_huber_loss", "sparsemax_loss",
    "SigmoidFocalLoss", "BinaryFocalLoss", "HingeLoss", "SquaredHingeLoss", "SoftMarginLoss",
    "PerceptronLoss", "ModifiedHuberLoss", "SparsemaxLoss",
]

_SAMPLE_WEIGHT_DOC = (
    "sample_weight: optional weight per sample, shape (N,) (beyond PyTorch; Keras and\n"
    "    scikit-learn have it): sample n's losses are multiplied by it and ``'mean'`` divides\n"
    "    by the sum of the weights (each counted once per element of the sample)."
)


# ============================================================================ label checks
def _values(t: Tensor) -> np.ndarray:
    return t.data


def check_pm1_labels(target: Tensor, fn: str, argname: str = "target") -> None:
    """Raise a ValueError unless every element of ``target`` is −1 or +1.

    A target of 0s and 1s (the other binary convention) gets a message that says to map it
    with ``2 * y - 1``; any other value is named.
    """
    a = _values(target)
    ok = (a == 1) | (a == -1)
    if ok.all():
        return
    if np.all((a == 0) | (a == 1)):
        raise ValueError(
            f"{fn}: {argname} must hold labels -1 or +1, got {{0, 1}} labels (it contains 0); "
            f"map them with {argname} = 2 * {argname} - 1"
        )
    bad = a[~ok]
    raise ValueError(
        f"{fn}: {argname} must hold labels -1 or +1, got {bad.size} other value(s) "
        f"(e.g. {bad.flat[0].item()!r}); for {{0, 1}} labels use 2 * {argname} - 1"
    )


def check_01_labels(target: Tensor, fn: str, argname: str = "target", soft: bool = True) -> None:
    """Raise a ValueError unless every element of ``target`` lies in [0, 1] (``soft``) or is
    0 or 1 (not ``soft``). A target holding −1 gets a message that says to map ±1 labels with
    ``(y + 1) / 2``."""
    a = _values(target)
    ok = ((a >= 0) & (a <= 1)) if soft else ((a == 0) | (a == 1))
    if ok.all():
        return
    if np.any(a == -1) and np.all((a == -1) | (a == 1) | (a == 0)):
        raise ValueError(
            f"{fn}: {argname} must hold {{0, 1}} labels{' (or soft labels in [0, 1])' if soft else ''}, "
            f"got -1 (±1 labels); map them with {argname} = ({argname} + 1) / 2"
        )
    bad = a[~ok]
    expected = "in [0, 1]" if soft else "0 or 1"
    raise ValueError(
        f"{fn}: all elements of {argname} must be {expected}, got {bad.size} outside "
        f"(e.g. {bad.flat[0].item()!r})"
    )


def _check_probabilities(p: Tensor, fn: str) -> None:
    a = p.data
    ok = (a >= 0) & (a <= 1)  # nan fails too
    if not ok.all():
        bad = a[~ok]
        raise ValueError(
            f"{fn}: all elements of input should be probabilities in [0, 1], got {bad.size} "
            f"outside (e.g. {bad.flat[0].item()!r}); for logits use sigmoid_focal_loss, or apply "
            "ll.sigmoid first"
        )


def _pair(input, target, fn: str) -> tuple[Tensor, Tensor]:
    input = as_input(input, fn)
    target = as_tensor_like(target, input, fn)
    check_same_shape(input, target, fn)
    return input, target


def _margin(input, target, fn: str) -> Tensor:
    """z = y·s after the ±1 label check."""
    input, target = _pair(input, target, fn)
    check_pm1_labels(target, fn)
    return target * input


def _focal_params(alpha, gamma, fn: str):
    """alpha: None or a negative number disable the α-balancing (torchvision: ``alpha < 0``);
    otherwise it must lie in [0, 1]. gamma: a finite number ≥ 0."""
    if alpha is not None:
        try:
            alpha = float(alpha)
        except (TypeError, ValueError):
            raise TypeError(f"{fn}: alpha must be a number in [0, 1] (or None / negative to "
                            f"disable the class balancing), got {alpha!r}") from None
        if math.isnan(alpha) or alpha > 1:
            raise ValueError(f"{fn}: alpha must be in [0, 1] (or None / negative to disable the "
                             f"class balancing), got {alpha!r}")
        if alpha < 0:
            alpha = None
    try:
        gamma = float(gamma)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: gamma must be a number ≥ 0, got {gamma!r}") from None
    if not (math.isfinite(gamma) and gamma >= 0):
        raise ValueError(f"{fn}: gamma must be a finite number ≥ 0, got {gamma!r}")
    return alpha, gamma


def _focal_combine(ce: Tensor, u: Tensor, y: Tensor, alpha, gamma: float) -> Tensor:
    """α_t · u^γ · ce with u = 1 − p_t ≥ 0 and α_t = α·y + (1 − α)·(1 − y).

    u^γ is taken as 0 (with gradient 0) where u is exactly 0: for γ < 1 the derivative
    γ·u^(γ−1) is infinite there, and 0·inf would give nan, although the loss's derivative tends
    to 0 (u underflows only when the prediction is right with certainty).
    """
    loss = ce
    if gamma != 0.0:
        pos = u.data > 0
        if pos.all():
            mod = u ** gamma
        else:
            mod = _ops.where(pos, _ops.where(pos, u, 1.0) ** gamma, 0.0)
        loss = mod * loss
    if alpha is not None:
        loss = (y * alpha + (1.0 - y) * (1.0 - alpha)) * loss
    return loss


# ============================================================================ focal losses
@doc(sample_weight=_SAMPLE_WEIGHT_DOC)
def sigmoid_focal_loss(input, target, *, alpha=0.25, gamma: float = 2.0, reduction: str = "mean",
                       sample_weight=None) -> Tensor:
    r"""Focal loss on logits (RetinaNet): binary cross-entropy down-weighted on easy examples.

    Formula (unreduced, element i; p = σ(x))::

        p_t = p·y + (1 − p)·(1 − y)                 (the probability given to the target)
        α_t = α·y + (1 − α)·(1 − y)                 (1 when alpha is None or negative)
        ℓᵢ  = α_t · (1 − p_t)^γ · BCE(x, y),   BCE(x, y) = −y·log σ(x) − (1 − y)·log σ(−x)

    {reductions_formula}

    Args:
        input: logits x (any real numbers).
        target: labels y ∈ {0, 1} (or soft labels in [0, 1]), same shape as ``input``.
        alpha: weight α ∈ [0, 1] of the positive class (1 − α for the negative class);
            ``None`` or a negative number disables the balancing (torchvision's ``alpha=-1``).
        gamma: focusing parameter γ ≥ 0; γ = 0 gives α-weighted binary cross-entropy.
        {reduction}
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import sigmoid_focal_loss
        >>> x = ll.tensor([2.0, -1.0, 0.5], requires_grad=True)
        >>> loss = sigmoid_focal_loss(x, ll.tensor([1.0, 0.0, 0.0]))
        >>> round(loss.item(), 6)
        0.100168
        >>> loss.backward(); [round(g, 4) for g in x.grad.tolist()]
        [-0.0004, 0.0131, 0.1315]

    Note:
        * The default ``reduction`` is ``'mean'`` (losslab's contract); torchvision's
          ``sigmoid_focal_loss`` defaults to ``'none'``. Otherwise the values and gradients are
          torchvision's (tested against its formula written with torch ops).
        * ``alpha`` and ``gamma`` are keyword-only (torchvision also accepts them by
          position): a call ported with positional ``(x, y, 0.25, 2)`` fails loudly rather
          than risk swapping them.
        * Stable form: the cross-entropy is the fused, non-cancelling
          ``binary_cross_entropy_with_logits`` (−y·log σ(x) − (1−y)·log σ(−x), optax's
          form), and 1 − p_t is computed as y·σ(−x) + (1 − y)·σ(x), a sum of non-negative
          terms, instead of torchvision's 1 − p_t (which rounds to 0 once p_t > 1 − 2⁻⁵³ and so
          loses all relative accuracy for confident predictions). Values and gradients are
          finite at logits of ±1e4.
        * Not convex in the logit for γ > 0: the modulating factor bends the loss downwards on
          the well-classified side (e.g. near x ≈ 3.85 for y = 0, γ = 2). With hard labels
          the infimum 0 is approached as x → ±∞ and not attained.

    References:
        Lin et al. (2017), "Focal Loss for Dense Object Detection", ICCV;
        ``torchvision.ops.sigmoid_focal_loss``; ``optax.losses.sigmoid_focal_loss``.
    """
    fn = "sigmoid_focal_loss"
    check_reduction(reduction, fn)
    alpha, gamma = _focal_params(alpha, gamma, fn)
    x, y = _pair(input, target, fn)
    check_01_labels(y, fn)
    ce = BinaryCrossEntropyWithLogits.apply(x, y)
    # 1 − p_t = y·σ(−x) + (1 − y)·σ(x): two non-negative terms, no cancellation (optax computes
    # log(1 − p_t) for the same reason, optax/losses/_classification.py sigmoid_focal_loss).
    u = y * _ops.sigmoid(-x) + (1.0 - y) * _ops.sigmoid(x)
    return reduce(_focal_combine(ce, u, y, alpha, gamma), reduction, sample_weight=sample_weight, fn=fn)


@doc(sample_weight=_SAMPLE_WEIGHT_DOC)
def binary_focal_loss(input, target, *, alpha=0.25, gamma: float = 2.0, reduction: str = "mean",
                      sample_weight=None) -> Tensor:
    r"""Focal loss on probabilities: binary cross-entropy down-weighted on easy examples.

    Formula (unreduced, element i)::

        p_t = p·y + (1 − p)·(1 − y),   α_t = α·y + (1 − α)·(1 − y)   (1 when alpha is None)
        ℓᵢ  = α_t · (1 − p_t)^γ · BCE(p, y),
        BCE(p, y) = −[y·max(log p, −100) + (1 − y)·max(log(1 − p), −100)]

    {reductions_formula}

    Args:
        input: predicted probabilities p ∈ [0, 1] (e.g. the output of ``ll.sigmoid``).
        target: labels y ∈ {0, 1} (or soft labels in [0, 1]), same shape as ``input``.
        alpha: weight α ∈ [0, 1] of the positive class; ``None`` or negative disables it.
        gamma: focusing parameter γ ≥ 0 (γ = 0: α-weighted binary cross-entropy).
        {reduction}
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import binary_focal_loss, sigmoid_focal_loss
        >>> x, y = ll.tensor([2.0, -1.0, 0.5]), ll.tensor([1.0, 0.0, 0.0])
        >>> round(binary_focal_loss(ll.sigmoid(x), y).item(), 6)
        0.100168
        >>> round(sigmoid_focal_loss(x, y).item(), 6)
        0.100168

    Note:
        * The same loss as :func:`sigmoid_focal_loss` (a separate function rather than a
          ``from_logits`` flag, like ``binary_cross_entropy`` /
          ``binary_cross_entropy_with_logits``). Prefer the logit version for training: on
          probabilities the cross-entropy must clamp its logs at −100 (PyTorch's BCE clamp,
          documented in ``binary_cross_entropy``) and loses the gradient of saturated sigmoids.
        * Keras's ``BinaryFocalCrossentropy(from_logits=False)`` clips p to [1e-7, 1 − 1e-7]
          instead of clamping the log, and applies α only with ``apply_class_balancing=True``.
        * Convex in p for targets in [0, 1] (checked numerically for γ ∈ [0, 10]); not convex
          in the logit (see :func:`sigmoid_focal_loss`). Input outside [0, 1] → ValueError.

    References:
        Lin et al. (2017), "Focal Loss for Dense Object Detection", ICCV;
        ``keras.losses.BinaryFocalCrossentropy``.
    """
    fn = "binary_focal_loss"
    check_reduction(reduction, fn)
    alpha, gamma = _focal_params(alpha, gamma, fn)
    p, y = _pair(input, target, fn)
    _check_probabilities(p, fn)
    check_01_labels(y, fn)
    ce = BinaryCrossEntropy.apply(p, y)  # PyTorch's clamped BCE and its floored gradient
    u = y * (1.0 - p) + (1.0 - y) * p  # 1 − p_t as a sum of non-negative terms
    return reduce(_focal_combine(ce, u, y, alpha, gamma), reduction, sample_weight=sample_weight, fn=fn)


# ============================================================================ margin losses (±1)
@doc(sample_weight=_SAMPLE_WEIGHT_DOC)
def hinge_loss(input, target, *, reduction: str = "mean", sample_weight=None) -> Tensor:
    r"""Hinge loss on ±1 labels (the SVM loss): zero once the margin y·s reaches 1.

    Formula (unreduced, element i)::

        ℓᵢ = max(0, 1 − yᵢ·sᵢ)          ∂ℓᵢ/∂sᵢ = −yᵢ where yᵢ·sᵢ < 1, else 0

    {reductions_formula}

    Args:
        input: real scores s (decision values; not probabilities).
        target: labels y ∈ {−1, +1}, same shape as ``input``. A {0, 1} target raises a
            ValueError that says to map it with ``2 * y - 1``.
        {reduction}
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import hinge_loss
        >>> s = ll.tensor([2.0, 0.5, -0.5], requires_grad=True)
        >>> loss = hinge_loss(s, ll.tensor([1.0, 1.0, 1.0]), reduction="sum")
        >>> loss.item()
        2.0
        >>> loss.backward(); s.grad.tolist() == [0.0, -1.0, -1.0]
        True

    Note:
        * Convex, continuous with a kink at y·s = 1, where the gradient is taken as 0 (the
          one-sided derivative of the flat side; relu's convention in PyTorch).
          scikit-learn's SGD ``Hinge`` takes −y there (the other one-sided derivative).
        * Keras's ``Hinge`` silently maps {0, 1} labels to ±1; optax's ``hinge_loss`` accepts
          any target. losslab checks the labels instead (ValueError).

    References:
        Cortes & Vapnik (1995), "Support-vector networks"; ``optax.losses.hinge_loss``;
        ``keras.losses.Hinge``; scikit-learn ``SGDClassifier(loss="hinge")``.
    """
    fn = "hinge_loss"
    check_reduction(reduction, fn)
    z = _margin(input, target, fn)
    return reduce(_ops.relu(1.0 - z), reduction, sample_weight=sample_weight, fn=fn)


@doc(sample_weight=_SAMPLE_WEIGHT_DOC)
def squared_hinge_loss(input, target, *, reduction: str = "mean", sample_weight=None) -> Tensor:
    r"""Squared hinge loss on ±1 labels: a hinge with a continuous gradient.

    Formula (unreduced, element i)::

        ℓᵢ = max(0, 1 − yᵢ·sᵢ)²          ∂ℓᵢ/∂sᵢ = −2·yᵢ·max(0, 1 − yᵢ·sᵢ)

    {reductions_formula}

    Args:
        input: real scores s.
        target: labels y ∈ {−1, +1}, same shape as ``input`` ({0, 1} labels: ValueError).
        {reduction}
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import squared_hinge_loss
        >>> squared_hinge_loss(ll.tensor([2.0, 0.5, -0.5]), ll.tensor([1.0, 1.0, -1.0]), reduction="none").tolist()
        [0.0, 0.25, 0.25]

    Note:
        * Convex and C¹: the second derivative jumps from 2 to 0 at y·s = 1. Grows
          quadratically for wrong-side margins, so it is not robust to outliers (label noise).
        * Keras's ``SquaredHinge`` maps {0, 1} labels to ±1 silently; losslab raises.

    References:
        ``keras.losses.SquaredHinge``; scikit-learn ``SGDClassifier(loss="squared_hinge")``
        (L2-SVM; Fan et al. 2008, LIBLINEAR).
    """
    fn = "squared_hinge_loss"
    check_reduction(reduction, fn)
    r = _ops.relu(1.0 - _margin(input, target, fn))
    return reduce(r * r, reduction, sample_weight=sample_weight, fn=fn)


@doc(sample_weight=_SAMPLE_WEIGHT_DOC)
def soft_margin_loss(input, target, *, reduction: str = "mean", sample_weight=None) -> Tensor:
    r"""Soft margin (logistic) loss on ±1 labels: log(1 + exp(−y·x)).

    Formula (unreduced, element i)::

        ℓᵢ = log(1 + exp(−yᵢ·xᵢ)) = softplus(−yᵢ·xᵢ)      ∂ℓᵢ/∂xᵢ = −yᵢ·σ(−yᵢ·xᵢ)

    {reductions_formula}

    Args:
        input: real scores x (logits).
        target: labels y ∈ {−1, +1}, same shape as ``input`` ({0, 1} labels: ValueError).
        {reduction}
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import soft_margin_loss
        >>> round(soft_margin_loss(ll.tensor([0.0, 2.0]), ll.tensor([1.0, -1.0])).item(), 6)
        1.410038

    Note:
        * PyTorch's ``F.soft_margin_loss`` exactly (values and gradients in the input and the
          target), with one deviation: PyTorch computes log1p(exp(−y·x)), which overflows to
          inf for y·x below about −88.7 (float32) or −709.8 (float64), and its gradient becomes
          nan there. losslab uses softplus(z) = max(z, 0) + log1p(exp(−|z|)), finite for any z.
        * PyTorch accepts any target values; losslab requires ±1 labels (a ValueError says to
          map {0, 1} labels with ``2 * y - 1``).
        * It is binary cross-entropy with logits for labels (y + 1)/2: convex, C∞, linear
          growth; the infimum 0 is approached as y·x → ∞ and not attained.

    References:
        PyTorch ``SoftMarginLoss``.
    """
    fn = "soft_margin_loss"
    check_reduction(reduction, fn)
    z = _margin(input, target, fn)
    # softplus(−z) = max(−z, 0) + log1p(e^{−|z|}) never overflows (PyTorch's log1p(exp(−z))
    # does); threshold=inf keeps the exact formula (no linear cut-off at 20).
    return reduce(_ops.softplus(-z, threshold=float("inf")), reduction, sample_weight=sample_weight, fn=fn)


@doc(sample_weight=_SAMPLE_WEIGHT_DOC)
def perceptron_loss(input, target, *, reduction: str = "mean", sample_weight=None) -> Tensor:
    r"""Perceptron loss on ±1 labels: the hinge without a margin, max(0, −y·s).

    Formula (unreduced, element i)::

        ℓᵢ = max(0, −yᵢ·sᵢ)          ∂ℓᵢ/∂sᵢ = −yᵢ where yᵢ·sᵢ < 0, else 0

    {reductions_formula}

    Args:
        input: real scores s.
        target: labels y ∈ {−1, +1}, same shape as ``input`` ({0, 1} labels: ValueError).
        {reduction}
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import perceptron_loss
        >>> perceptron_loss(ll.tensor([2.0, -0.5, 0.0]), ll.tensor([1.0, 1.0, -1.0]), reduction="none").tolist()
        [0.0, 0.5, 0.0]

    Note:
        * Convex, with a kink at y·s = 0 where the gradient is taken as 0. Zero for every
          correctly classified point, however small its margin: any separating hyperplane is
          a minimizer (and s = 0 is a trivial one), which is why the hinge adds the margin 1.
        * optax's ``perceptron_loss`` is the same; losslab also checks the labels.

    References:
        Rosenblatt (1958); ``optax.losses.perceptron_loss``; scikit-learn
        ``SGDClassifier(loss="perceptron")``.
    """
    fn = "perceptron_loss"
    check_reduction(reduction, fn)
    z = _margin(input, target, fn)
    return reduce(_ops.relu(-z), reduction, sample_weight=sample_weight, fn=fn)


@doc(sample_weight=_SAMPLE_WEIGHT_DOC)
def modified_huber_loss(input, target, *, reduction: str = "mean", sample_weight=None) -> Tensor:
    r"""Modified Huber loss on ±1 labels (scikit-learn's): a squared hinge that turns linear
    for badly wrong margins.

    Formula (unreduced, element i; z = yᵢ·sᵢ)::

        ℓᵢ = max(0, 1 − z)²   if z ≥ −1
        ℓᵢ = −4·z             if z < −1

    {reductions_formula}

    Args:
        input: real scores s.
        target: labels y ∈ {−1, +1}, same shape as ``input`` ({0, 1} labels: ValueError).
        {reduction}
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import modified_huber_loss
        >>> modified_huber_loss(ll.tensor([2.0, 0.5, -3.0]), ll.tensor([1.0, 1.0, 1.0]), reduction="none").tolist()
        [0.0, 0.25, 12.0]

    Note:
        * Value and slope agree at z = −1 (4 and −4), so the loss is C¹: convex, with
          second-derivative jumps at z = −1 and z = 1. Linear growth bounds the pull of
          mislabelled points, unlike the squared hinge.
        * scikit-learn's ``SGDClassifier(loss="modified_huber")`` uses exactly this function;
          (σ-free) probability estimates follow from (clip(s, −1, 1) + 1)/2.

    References:
        Zhang (2004), "Solving large scale linear prediction problems using stochastic
        gradient descent algorithms", ICML; scikit-learn ``sklearn.linear_model._sgd_fast.
        ModifiedHuber``.
    """
    fn = "modified_huber_loss"
    check_reduction(reduction, fn)
    z = _margin(input, target, fn)
    r = _ops.relu(1.0 - z)
    # both branches are finite everywhere, so where() never routes a nan into the gradient
    loss = _ops.where(z.data < -1.0, -4.0 * z, r * r)
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


@doc(sample_weight=_SAMPLE_WEIGHT_DOC)
def sparsemax_loss(input, target, *, reduction: str = "mean", sample_weight=None) -> Tensor:
    r"""Binary sparsemax loss on {0, 1} labels: the Fenchel–Young loss of the sparse sigmoid.

    Formula (unreduced, element i; hard labels, as optax)::

        sparse_plus(z) = 0 if z ≤ −1;  (z + 1)²/4 if −1 < z < 1;  z if z ≥ 1
        ℓᵢ = sparse_plus(−xᵢ) if yᵢ = 1,   sparse_plus(xᵢ) if yᵢ = 0

    For soft labels y ∈ [0, 1] the Fenchel–Young form (Blondel et al. 2020) is used; it equals
    the above for y ∈ {0, 1}. With q = clip((x + 1)/2, 0, 1) the sparse sigmoid::

        ℓᵢ = sparse_plus(xᵢ) − xᵢ·yᵢ − yᵢ(1 − yᵢ)
           = (qᵢ − yᵢ)² + (1 − yᵢ)·max(0, xᵢ − 1) + yᵢ·max(0, −1 − xᵢ)

    {reductions_formula}

    Args:
        input: logits x (real).
        target: labels y ∈ {0, 1} (or soft labels in [0, 1]), same shape as ``input``; ±1
            labels raise a ValueError that says to map them with ``(y + 1) / 2``.
        {reduction}
        {sample_weight}

    Shape:
        {shape_elementwise}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import sparsemax_loss
        >>> sparsemax_loss(ll.tensor([2.0, 0.0, 3.0]), ll.tensor([1.0, 1.0, 0.0]), reduction="none").tolist()
        [0.0, 0.25, 3.0]

    Note:
        * Zero exactly when the sparse sigmoid clip((x + 1)/2, 0, 1) equals the label, so a
          confident logit (x ≥ 1 for y = 1) costs nothing, unlike the logistic loss.
          ∂ℓ/∂x = q − y.
        * Computed in the second form above, a sum of non-negative terms, so there is no
          cancellation at large |x|. Convex and C¹ (second-derivative jumps at x = ±1); linear
          growth. optax's ``sparsemax_loss`` takes hard labels only; the soft-label extension
          is losslab's.

    References:
        Martins & Astudillo (2016), "From Softmax to Sparsemax", ICML; Blondel, Martins &
        Niculae (2020), "Learning with Fenchel-Young Losses", JMLR (Sec. 4.4);
        ``optax.losses.sparsemax_loss``.
    """
    fn = "sparsemax_loss"
    check_reduction(reduction, fn)
    x, y = _pair(input, target, fn)
    check_01_labels(y, fn)
    q = _ops.clamp((x + 1.0) * 0.5, 0.0, 1.0)
    d = q - y
    # (q − y)² + (1 − y)·relu(x − 1) + y·relu(−1 − x): each term ≥ 0, no cancellation (the
    # form sparse_plus(x) − x·y − y(1 − y) subtracts numbers of size |x|).
    loss = d * d + (1.0 - y) * _ops.relu(x - 1.0) + y * _ops.relu(-1.0 - x)
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


# ============================================================================ classes
def _hparam_repr(module, defaults: dict) -> str:
    """``alpha=0.5, gamma=1.0`` for the hyperparameters that differ from their defaults (so a
    default-constructed loss prints as ``Name()``, as PyTorch's losses do)."""
    parts = []
    for name, default in defaults.items():
        value = getattr(module, name)
        if value != default:
            parts.append(f"{name}={value!r}")
    return ", ".join(parts)


class _BinaryLoss(Module):
    """Base of the losses that PyTorch does not have: keyword-only hyperparameters, a checked
    ``reduction``, ``forward(input, target, sample_weight=None)``."""

    _fn = None
    _defaults: dict = {}

    def __init__(self, *, reduction: str = "mean", **hparams):
        super().__init__()
        self.reduction = check_reduction(reduction, type(self).__name__)
        for k, v in hparams.items():
            setattr(self, k, v)

    def forward(self, input, target, sample_weight=None):
        kw = {k: getattr(self, k) for k in self._defaults}
        return type(self)._fn(input, target, reduction=self.reduction, sample_weight=sample_weight, **kw)

    def extra_repr(self) -> str:
        return _hparam_repr(self, self._defaults)


class SigmoidFocalLoss(_BinaryLoss):
    """Focal loss on logits; ``forward(input, target)`` is :func:`sigmoid_focal_loss`.

    Args:
        alpha: weight of the positive class in [0, 1] (None or negative: no balancing).
        gamma: focusing parameter ≥ 0.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import SigmoidFocalLoss
        >>> SigmoidFocalLoss(gamma=1.0)
        SigmoidFocalLoss(gamma=1.0)
        >>> round(SigmoidFocalLoss()(ll.tensor([0.0]), ll.tensor([1.0])).item(), 6)
        0.043322
    """

    _fn = staticmethod(sigmoid_focal_loss)
    _defaults = {"alpha": 0.25, "gamma": 2.0}

    def __init__(self, *, alpha=0.25, gamma: float = 2.0, reduction: str = "mean"):
        _focal_params(alpha, gamma, type(self).__name__)
        super().__init__(reduction=reduction, alpha=alpha, gamma=gamma)


class BinaryFocalLoss(_BinaryLoss):
    """Focal loss on probabilities; ``forward(input, target)`` is :func:`binary_focal_loss`.

    Args:
        alpha: weight of the positive class in [0, 1] (None or negative: no balancing).
        gamma: focusing parameter ≥ 0.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import BinaryFocalLoss
        >>> round(BinaryFocalLoss()(ll.tensor([0.5]), ll.tensor([1.0])).item(), 6)
        0.043322
    """

    _fn = staticmethod(binary_focal_loss)
    _defaults = {"alpha": 0.25, "gamma": 2.0}

    def __init__(self, *, alpha=0.25, gamma: float = 2.0, reduction: str = "mean"):
        _focal_params(alpha, gamma, type(self).__name__)
        super().__init__(reduction=reduction, alpha=alpha, gamma=gamma)


class HingeLoss(_BinaryLoss):
    """Hinge loss on ±1 labels; ``forward(input, target)`` is :func:`hinge_loss`.

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import HingeLoss
        >>> HingeLoss(reduction="sum")(ll.tensor([2.0, 0.5]), ll.tensor([1.0, -1.0])).item()
        1.5
    """

    _fn = staticmethod(hinge_loss)

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction=reduction)


class SquaredHingeLoss(_BinaryLoss):
    """Squared hinge loss on ±1 labels; ``forward(input, target)`` is :func:`squared_hinge_loss`.

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import SquaredHingeLoss
        >>> SquaredHingeLoss(reduction="sum")(ll.tensor([2.0, 0.5]), ll.tensor([1.0, -1.0])).item()
        2.25
    """

    _fn = staticmethod(squared_hinge_loss)

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction=reduction)


class PerceptronLoss(_BinaryLoss):
    """Perceptron loss on ±1 labels; ``forward(input, target)`` is :func:`perceptron_loss`.

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import PerceptronLoss
        >>> PerceptronLoss(reduction="sum")(ll.tensor([2.0, 0.5]), ll.tensor([1.0, -1.0])).item()
        0.5
    """

    _fn = staticmethod(perceptron_loss)

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction=reduction)


class ModifiedHuberLoss(_BinaryLoss):
    """Modified Huber loss on ±1 labels (scikit-learn's); ``forward(input, target)`` is :func:`modified_huber_loss`.

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import ModifiedHuberLoss
        >>> ModifiedHuberLoss(reduction="sum")(ll.tensor([2.0, -3.0]), ll.tensor([1.0, 1.0])).item()
        12.0
    """

    _fn = staticmethod(modified_huber_loss)

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction=reduction)


class SparsemaxLoss(_BinaryLoss):
    """Binary sparsemax loss on {0, 1} labels; ``forward(input, target)`` is :func:`sparsemax_loss`.

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import SparsemaxLoss
        >>> SparsemaxLoss(reduction="sum")(ll.tensor([2.0, 0.0]), ll.tensor([1.0, 1.0])).item()
        0.25
    """

    _fn = staticmethod(sparsemax_loss)

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction=reduction)


class SoftMarginLoss(_Loss):
    """Soft margin (logistic) criterion on ±1 labels; ``forward(input, target)`` is
    :func:`soft_margin_loss`. PyTorch's constructor.

    Args:
        size_average, reduce: deprecated (PyTorch's); they override ``reduction`` when given.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import SoftMarginLoss
        >>> SoftMarginLoss()
        SoftMarginLoss()
        >>> round(SoftMarginLoss()(ll.tensor([0.0]), ll.tensor([1.0])).item(), 4)
        0.6931
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target, sample_weight=None):
        return soft_margin_loss(input, target, reduction=self.reduction, sample_weight=sample_weight)
