"""Ranking and embedding losses: pairs, triplets, contrastive batches and ranked lists.

PyTorch's pairwise and triplet losses keep PyTorch's signatures, values and gradients
(``margin_ranking_loss``, ``hinge_embedding_loss``, ``cosine_embedding_loss``,
``triplet_margin_loss``, ``triplet_margin_with_distance_loss``); three losses come from optax and
Keras (``ntxent_loss``, ``circle_loss``, ``ranking_softmax_loss``).

Two deviations from the library's two-argument contract, both deliberate:

* The pair and triplet losses take three tensors. They keep PyTorch's argument order —
  ``(input1, input2, target)`` and ``(anchor, positive, negative)`` — so code moves between the two
  libraries unchanged; everything after the data arguments follows the contract (keyword-only
  ``reduction`` and ``sample_weight``).
* ``ntxent_loss`` and ``circle_loss`` couple the samples of a batch: sample i's loss is computed
  against every other sample, so a sample alone has no pairs (and loss 0). Their ``sample_weight``
  weights the *anchors*.

Every loss here refuses labels outside its label set (``±1`` for the pair losses, integers for the
contrastive ones) and shapes that PyTorch would silently broadcast.
"""
from __future__ import annotations

import numpy as np

from ..autograd import ops as _ops
from ..autograd.tensor import Tensor
from ..nn.module import Module
from ._reduction import (
    as_input, as_tensor_like, check_reduction, check_same_shape, reduce, sample_weights,
)
from .modules import _Loss

__all__ = [
    "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss", "pairwise_distance",
    "triplet_margin_loss", "triplet_margin_with_distance_loss", "ntxent_loss", "circle_loss",
    "ranking_softmax_loss",
    "MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss", "PairwiseDistance",
    "TripletMarginLoss", "TripletMarginWithDistanceLoss", "NTXentLoss", "CircleLoss",
    "RankingSoftmaxLoss",
]

#: PyTorch's ε on the squared norms in ``cosine_embedding_loss``: ``constexpr float EPSILON =
#: 1e-12`` in ``aten/src/ATen/native/Loss.cpp``, a float32 constant, hence float32(1e-12).
COSINE_EMBEDDING_EPS = float(np.float32(1e-12))


# ----------------------------------------------------------------------------- shared helpers
def _float_input(x, fn: str, name: str) -> Tensor:
    """``x`` as a floating Tensor; the error names the argument (``input1``, ``anchor``…)."""
    try:
        return as_input(x, fn)
    except TypeError as e:
        raise TypeError(str(e).replace(f"{fn}: input ", f"{fn}: {name} ", 1)) from None


def _like(x, ref: Tensor, fn: str, name: str) -> Tensor:
    """A second floating input in ``ref``'s dtype (cast inside the graph when it differs)."""
    return as_tensor_like(_float_input(x, fn, name), ref, fn, name)


def _pm1_target(target, ref: Tensor, fn: str, meaning: str) -> Tensor:
    """``target`` as a Tensor of ``ref``'s dtype holding only −1 and 1 (ValueError otherwise)."""
    y = as_tensor_like(target, ref, fn, "target")
    vals = y.data
    bad = ~((vals == 1) | (vals == -1))
    if bad.any():
        seen = np.unique(vals[bad])[:4].tolist()
        hint = ""
        if np.isin(vals, (0, 1)).all():
            hint = "; these look like {0, 1} labels: pass 2 * target - 1"
        raise ValueError(
            f"{fn}: target must hold labels ±1 ({meaning}), got values {seen}{hint}")
    return y


def _log1pexp(x: Tensor) -> Tensor:
    """log(1 + eˣ) without PyTorch's linear cut-off above x = 20 (exact to rounding, so that the
    loss equals the reference formula to 1e-16 rather than 1e-9); stable as max(x, 0) +
    log1p(e^{−|x|}) (the form of ``ll.softplus``)."""
    return _ops.softplus(x, threshold=float("inf"))


def _masked_logsumexp(x: Tensor, mask: np.ndarray):
    """log Σ_{j: mask[i, j]} exp(x[i, j]) for each row i, max-shifted so nothing overflows.

    Returns ``(lse, has)``: ``has[i]`` says whether row i selects anything; for a row that selects
    nothing ``lse`` is 0 (a placeholder the caller masks out — the true value is −∞). Masked
    entries get exactly zero gradient (they are replaced before ``exp``).
    """
    has = mask.any(axis=1)
    xd = x.data
    with np.errstate(invalid="ignore"):
        m = np.max(np.where(mask, xd, -np.inf), axis=1, keepdims=True)
    m = np.where(has[:, None], m, 0.0).astype(xd.dtype)
    e = _ops.exp(_ops.where(mask, x - m, float("-inf")))  # e^{−∞} = 0 for masked entries
    lse = _ops.log(e.sum(dim=1) + (~has).astype(xd.dtype)) + m[:, 0]
    return lse, has


def _cosine_similarity_matrix(x: Tensor) -> Tensor:
    """S[i, j] = cos(xᵢ, xⱼ), with the squared norms clipped below at machine ε as in optax's
    ``cosine_similarity(..., epsilon=finfo(dtype).eps)`` (used by ``optax.losses.ntxent``), so a
    zero embedding gives similarity 0 instead of nan."""
    eps = float(np.finfo(x.dtype).eps)
    norm = _ops.sqrt(_ops.clamp((x * x).sum(dim=1, keepdim=True), min=eps))
    unit = x / norm
    return _ops.matmul(unit, unit.mT)


def _class_labels(target, n: int, fn: str) -> np.ndarray:
    """Integer labels of shape (n,) (TypeError for floats, ValueError for a wrong shape)."""
    lab = target.data if isinstance(target, Tensor) else np.asarray(target)
    if lab.dtype.kind not in "iub":
        raise TypeError(
            f"{fn}: target must hold integer class labels (int64), got dtype {lab.dtype}; "
            "samples with equal labels are positive pairs (convert with target.long())")
    if lab.shape != (n,):
        raise ValueError(
            f"{fn}: target must have shape (N,) = ({n},), one label per embedding, got shape "
            f"{tuple(lab.shape)}")
    return lab


def _embeddings(input, fn: str) -> Tensor:
    x = as_input(input, fn)
    if x.ndim != 2:
        raise ValueError(
            f"{fn}: input must be a batch of embeddings of shape (N, D), got shape {tuple(x.shape)}")
    return x


# ----------------------------------------------------------------------------- pair losses
def margin_ranking_loss(input1, input2, target, margin: float = 0.0, *, reduction: str = "mean",
                        sample_weight=None) -> Tensor:
    r"""Margin ranking loss: input1 should rank above input2 where target is 1, below where −1.

    Formula (unreduced, element i)::

        ℓᵢ = max(0, −yᵢ · (x1ᵢ − x2ᵢ) + margin)

    ``'mean'`` averages ℓ over all elements (the weighted mean Σ wₙℓₙ / Σ wₙ with
    ``sample_weight``), ``'sum'`` adds them up, ``'none'`` returns ℓ.

    Args:
        input1: scores x1 of the first items (floating Tensor, any shape).
        input2: scores x2 of the second items, same shape as ``input1``.
        target: labels y ∈ {1, −1}, same shape: 1 means x1 should be larger, −1 smaller.
            Gradients flow to a floating target that requires grad (as in PyTorch).
        margin: the required gap (default 0).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (default ``'mean'``).
        sample_weight: optional weights (N,) along the first dimension (beyond PyTorch).

    Shape:
        input1, input2, target: the same shape (any); output: a scalar, or that shape with
        ``reduction='none'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import margin_ranking_loss
        >>> x1, x2 = ll.tensor([3.0, 1.0]), ll.tensor([1.0, 2.0])
        >>> margin_ranking_loss(x1, x2, ll.tensor([1.0, 1.0]), margin=0.5, reduction="none")
        tensor([0.0, 1.5])

    Note:
        * **Three data arguments.** The library's contract is ``f(input, target)``; this loss
          keeps PyTorch's signature ``(input1, input2, target, margin)`` instead, so that the
          registry's "input" is the pair (input1, input2).
        * PyTorch accepts any real target; losslab requires ±1 (ValueError otherwise, with a hint
          for {0, 1} labels) and equal shapes (no broadcasting).
        * Convex and piecewise linear in (x1, x2); kink at y(x1 − x2) = margin, where the
          gradient is taken from the active side (PyTorch's ``clamp_min``: the bound passes it).
    """
    fn = "margin_ranking_loss"
    check_reduction(reduction, fn)
    x1 = _float_input(input1, fn, "input1")
    x2 = _like(input2, x1, fn, "input2")
    y = _pm1_target(target, x1, fn, "1: input1 should rank higher, −1: input2 should")
    check_same_shape(x1, x2, fn, "input1", "input2")
    check_same_shape(x1, y, fn, "input1", "target")
    loss = _ops.clamp(-y * (x1 - x2) + margin, min=0.0)
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


def hinge_embedding_loss(input, target, margin: float = 1.0, *, reduction: str = "mean",
                         sample_weight=None) -> Tensor:
    r"""Hinge embedding loss: small distances for similar pairs, at least ``margin`` for dissimilar.

    Formula (unreduced, element i; x is usually a distance between the two items of a pair)::

        ℓᵢ = xᵢ                       if yᵢ = 1
        ℓᵢ = max(0, margin − xᵢ)      if yᵢ = −1

    ``'mean'`` averages over all elements (Σ wₙℓₙ / Σ wₙ with ``sample_weight``), ``'sum'`` adds
    them up, ``'none'`` returns ℓ.

    Args:
        input: x, typically a non-negative distance (e.g. an L1 pairwise distance); any real
            number is accepted.
        target: labels y ∈ {1, −1} of the input's shape (1: similar pair, −1: dissimilar).
        margin: the distance beyond which dissimilar pairs cost nothing (default 1).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (default ``'mean'``).
        sample_weight: optional weights (N,) along the first dimension (beyond PyTorch).

    Shape:
        input, target: the same shape (any); output: a scalar, or that shape with 'none'.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import hinge_embedding_loss
        >>> d = ll.tensor([0.2, 0.3, 1.5])
        >>> hinge_embedding_loss(d, ll.tensor([1, -1, -1]), reduction="none")
        tensor([0.2, 0.7, 0.0])

    Note:
        * PyTorch treats any target other than ±1 as both (it adds both branches); losslab
          requires ±1 and equal shapes. The target gets no gradient (as in PyTorch).
        * Convex in x; kink at x = margin for y = −1 (the gradient −1 is kept at the kink, as
          PyTorch's ``clamp_min``). For y = 1 the loss is x itself: unbounded below if x may be
          negative, so feed it distances.
    """
    fn = "hinge_embedding_loss"
    check_reduction(reduction, fn)
    x = as_input(input, fn)
    y = _pm1_target(target, x, fn, "1: similar pair, −1: dissimilar pair")
    check_same_shape(x, y, fn)
    loss = _ops.where(y.data == 1, x, _ops.clamp(margin - x, min=0.0))
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, *, reduction: str = "mean",
                          sample_weight=None) -> Tensor:
    r"""Cosine embedding loss: pull similar pairs to cosine 1, push dissimilar ones below margin.

    Formula (unreduced, pair n; ε = float32(1e-12) as PyTorch)::

        cos_n = ⟨x1ₙ, x2ₙ⟩ / sqrt((‖x1ₙ‖² + ε)(‖x2ₙ‖² + ε))
        ℓₙ = 1 − cos_n                 if yₙ = 1
        ℓₙ = max(0, cos_n − margin)    if yₙ = −1

    ``'mean'`` averages over the pairs (Σ wₙℓₙ / Σ wₙ with ``sample_weight``).

    Args:
        input1: embeddings (N, D), or one embedding (D,).
        input2: embeddings of the same shape.
        target: labels y ∈ {1, −1} of shape (N,) (or 0-d for one pair).
        margin: cosine above which a dissimilar pair is penalised; in [−1, 1], 0–0.5 is usual.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (default ``'mean'``).
        sample_weight: optional weights (N,), one per pair (beyond PyTorch).

    Shape:
        input1, input2: (N, D) or (D,); target: (N,) or (); output: a scalar, or (N,) with 'none'.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import cosine_embedding_loss
        >>> a = ll.tensor([[1.0, 0.0], [1.0, 0.0]])
        >>> b = ll.tensor([[1.0, 1.0], [1.0, 1.0]])
        >>> cosine_embedding_loss(a, b, ll.tensor([1, -1]), reduction="none")
        tensor([0.2929, 0.7071])

    Note:
        * PyTorch gives 0 for a target other than ±1; losslab raises. The target gets no gradient.
        * Not convex (cosine is not); bounded in [0, 2]; kink at cos = margin for y = −1 (the
          gradient is kept there, as ``clamp_min``).
    """
    fn = "cosine_embedding_loss"
    check_reduction(reduction, fn)
    x1 = _float_input(input1, fn, "input1")
    x2 = _like(input2, x1, fn, "input2")
    check_same_shape(x1, x2, fn, "input1", "input2")
    if x1.ndim not in (1, 2):
        raise ValueError(
            f"{fn}: input1 and input2 must be (N, D) batches or single (D,) embeddings, got shape "
            f"{tuple(x1.shape)}")
    y = _pm1_target(target, x1, fn, "1: similar pair, −1: dissimilar pair")
    if tuple(y.shape) != tuple(x1.shape[:-1]):
        raise ValueError(
            f"{fn}: target must have shape {tuple(x1.shape[:-1])} (one label per pair) for inputs "
            f"of shape {tuple(x1.shape)}, got {tuple(y.shape)}")
    eps = COSINE_EMBEDDING_EPS
    prod = (x1 * x2).sum(dim=-1)
    denom = _ops.sqrt(((x1 * x1).sum(dim=-1) + eps) * ((x2 * x2).sum(dim=-1) + eps))
    cos = prod / denom
    loss = _ops.where(y.data == 1, 1.0 - cos, _ops.clamp(cos - margin, min=0.0))
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


# ----------------------------------------------------------------------------- triplets
def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    r"""p-norm distance between matching rows: ‖x1 − x2 + ε‖_p over the last dimension.

    Formula::

        d(x1, x2) = (Σ_k |x1_k − x2_k + ε|^p)^{1/p}        (max_k |…| for p = inf)

    Args:
        x1, x2: floating Tensors of the same shape (…, D).
        p: the norm degree, > 0 or ``inf`` (default 2).
        eps: added to the difference (PyTorch's convention) so the norm is never taken at 0.
        keepdim: keep the reduced last dimension.

    Shape:
        x1, x2: (…, D); output: (…) (or (…, 1) with keepdim).

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import pairwise_distance
        >>> pairwise_distance(ll.tensor([[0.0, 0.0]]), ll.tensor([[3.0, 4.0]]), eps=0.0)
        tensor([5.])

    Note:
        PyTorch broadcasts x1 against x2 and accepts p ≤ 0; losslab requires equal shapes and
        p > 0. The gradient at a zero difference follows ``ll.norm`` (0, as PyTorch).
    """
    fn = "pairwise_distance"
    a = _float_input(x1, fn, "x1")
    b = _like(x2, a, fn, "x2")
    check_same_shape(a, b, fn, "x1", "x2")
    if a.ndim == 0:
        raise ValueError(f"{fn}: x1 and x2 must have at least one dimension (the features), got 0-d")
    _check_p(p, fn)
    return _ops.norm(a - b + eps, p, dim=-1, keepdim=keepdim)


def _check_p(p, fn):
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) or not p > 0:
        raise ValueError(f"{fn}: p must be a positive number (or inf), got {p!r}")


def _check_triplet(anchor, positive, negative, margin, fn, same_shape=True):
    if not margin > 0:
        raise ValueError(f"{fn}: margin must be greater than 0, got {margin}")
    a = _float_input(anchor, fn, "anchor")
    pos = _like(positive, a, fn, "positive")
    neg = _like(negative, a, fn, "negative")
    if same_shape:
        check_same_shape(a, pos, fn, "anchor", "positive")
        check_same_shape(a, neg, fn, "anchor", "negative")
        if a.ndim == 0:
            raise ValueError(f"{fn}: anchor, positive and negative must be (N, D) or (D,) embeddings, got 0-d")
    elif not a.ndim == pos.ndim == neg.ndim:
        raise ValueError(
            f"{fn}: anchor, positive and negative must have the same number of dimensions, got "
            f"shapes {tuple(a.shape)}, {tuple(pos.shape)} and {tuple(neg.shape)}")
    return a, pos, neg


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-6, swap: bool = False, *, reduction: str = "mean",
                        sample_weight=None) -> Tensor:
    r"""Triplet margin loss: the anchor should be closer to the positive than to the negative by
    at least ``margin``.

    Formula (unreduced, triplet n; d is :func:`pairwise_distance` with ``p`` and ``eps``)::

        ℓₙ = max(0, margin + d(aₙ, pₙ) − d(aₙ, nₙ))
        with swap: d(aₙ, nₙ) is replaced by min(d(aₙ, nₙ), d(pₙ, nₙ))

    ``'mean'`` averages over the triplets (Σ wₙℓₙ / Σ wₙ with ``sample_weight``).

    Args:
        anchor: embeddings (N, D), or one (D,) (any (…, D) shape is accepted, as PyTorch).
        positive: embeddings of the same class as the anchors, same shape.
        negative: embeddings of another class, same shape.
        margin: required gap between the two distances, > 0 (default 1).
        p: norm degree of the distance, > 0 (default 2).
        eps: added to the differences inside the norm (default 1e-6, PyTorch's).
        swap: use the smaller of d(a, n) and d(p, n) (the "distance swap" of Balntas et al.).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (default ``'mean'``).
        sample_weight: optional weights (N,), one per triplet (beyond PyTorch).

    Shape:
        anchor, positive, negative: (N, D) or (D,); output: a scalar, or (N,) with 'none'.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import triplet_margin_loss
        >>> a = ll.tensor([[0.0, 0.0]]); pos = ll.tensor([[1.0, 0.0]]); neg = ll.tensor([[0.0, 1.5]])
        >>> round(triplet_margin_loss(a, pos, neg, eps=0.0).item(), 4)
        0.5

    Note:
        * Three data arguments in PyTorch's order ``(anchor, positive, negative)`` instead of the
          contract's ``(input, target)``.
        * PyTorch broadcasts the three tensors and accepts p ≤ 0; losslab requires equal shapes
          and p > 0.
        * Not convex (−d(a, n) is concave). Kinks where margin + d(a, p) = d(a, n) (the gradient
          is kept there, ``clamp_min``), with ``swap`` where d(a, n) = d(p, n) (split in half,
          ``minimum``), and for p = 1 or inf where a coordinate difference (+ ε) is 0 or tied.
    """
    fn = "triplet_margin_loss"
    check_reduction(reduction, fn)
    _check_p(p, fn)
    a, pos, neg = _check_triplet(anchor, positive, negative, margin, fn)
    d_pos = _ops.norm(a - pos + eps, p, dim=-1)
    d_neg = _ops.norm(a - neg + eps, p, dim=-1)
    if swap:
        d_neg = _ops.minimum(d_neg, _ops.norm(pos - neg + eps, p, dim=-1))
    loss = _ops.clamp(margin + d_pos - d_neg, min=0.0)
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean", sample_weight=None) -> Tensor:
    r"""Triplet margin loss with any distance: max(0, margin + d(a, p) − d(a, n)).

    Formula (unreduced, triplet n)::

        ℓₙ = max(0, margin + d(aₙ, pₙ) − d(aₙ, nₙ)),   d = distance_function
        with swap: d(aₙ, nₙ) is replaced by min(d(aₙ, nₙ), d(pₙ, nₙ))

    Args:
        anchor, positive, negative: embeddings (N, D) (or whatever ``distance_function`` takes).
        distance_function: ``d(x1, x2) -> Tensor`` of per-triplet distances, built from losslab
            ops so that it is differentiable (default: :func:`pairwise_distance`, p = 2,
            eps = 1e-6). It should return non-negative values.
        margin: the required gap, > 0 (default 1).
        swap: use min(d(a, n), d(p, n)) as the negative distance.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (default ``'mean'``).
        sample_weight: optional weights (N,), one per triplet (beyond PyTorch).

    Shape:
        anchor, positive, negative: (N, D) or (D,); output: a scalar, or d's shape with 'none'.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import triplet_margin_with_distance_loss
        >>> l1 = lambda u, v: (u - v).abs().sum(dim=-1)
        >>> a = ll.tensor([[0.0, 0.0]]); pos = ll.tensor([[1.0, 1.0]]); neg = ll.tensor([[2.0, 0.0]])
        >>> triplet_margin_with_distance_loss(a, pos, neg, distance_function=l1).item()
        1.0

    Note:
        * Three data arguments in PyTorch's order instead of the contract's (input, target).
        * With the default distance the three tensors must have one shape; with a custom
          distance only the same number of dimensions (PyTorch's check), the function decides.
        * Smoothness and convexity are those of the distance composed with the hinge; with the
          default distance as for :func:`triplet_margin_loss` with p = 2.
    """
    fn = "triplet_margin_with_distance_loss"
    check_reduction(reduction, fn)
    if distance_function is not None and not callable(distance_function):
        raise TypeError(f"{fn}: distance_function must be callable (x1, x2) -> Tensor or None, "
                        f"got {type(distance_function).__name__}")
    a, pos, neg = _check_triplet(anchor, positive, negative, margin, fn,
                                 same_shape=distance_function is None)
    dist = pairwise_distance if distance_function is None else distance_function

    def d(u, v, what):
        out = dist(u, v)
        if not isinstance(out, Tensor):
            raise TypeError(f"{fn}: distance_function must return a losslab Tensor (built from "
                            f"losslab ops, so it can be differentiated), got {type(out).__name__} "
                            f"for {what}")
        return out

    d_pos = d(a, pos, "d(anchor, positive)")
    d_neg = d(a, neg, "d(anchor, negative)")
    if swap:
        d_neg = _ops.minimum(d_neg, d(pos, neg, "d(positive, negative)"))
    if d_pos.shape != d_neg.shape:
        raise ValueError(f"{fn}: distance_function gave d(anchor, positive) of shape "
                         f"{tuple(d_pos.shape)} but d(anchor, negative) of shape {tuple(d_neg.shape)}")
    loss = _ops.clamp(margin + d_pos - d_neg, min=0.0)
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


# ----------------------------------------------------------------------------- contrastive
def ntxent_loss(input, target, *, temperature: float = 0.07, reduction: str = "mean",
                sample_weight=None) -> Tensor:
    r"""NT-Xent (normalized temperature-scaled cross-entropy), the SimCLR contrastive loss, with
    optax's definition: positives are pairs with equal labels.

    Formula (s_ij = cos(xᵢ, xⱼ)/τ; P(i) = {j ≠ i : yⱼ = yᵢ}; N(i) = {k : y_k ≠ yᵢ})::

        ℓ_ij = −log( e^{s_ij} / (e^{s_ij} + Σ_{k∈N(i)} e^{s_ik}) )
             = log(1 + Σ_{k∈N(i)} e^{s_ik − s_ij})                    for j ∈ P(i)
        ℓᵢ  = Σ_{j∈P(i)} ℓ_ij                       (the loss of anchor i, ``'none'``)
        mean = Σᵢ wᵢℓᵢ / Σᵢ wᵢ|P(i)|                (the mean over positive pairs)

    ``'mean'`` is ``optax.losses.ntxent`` exactly (the average over all positive pairs; an anchor
    with k positives counts k times); ``'sum'`` is Σᵢ wᵢℓᵢ; ``'none'`` gives ℓᵢ per anchor.

    Args:
        input: embeddings (N, D) (need not be normalised; cosine similarity is taken inside).
        target: integer labels (N,): samples with equal labels are positives of each other
            (e.g. [0, 0, 1, 1] for two augmented views of two images).
        temperature: τ > 0 (default 0.07, optax's).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (default ``'mean'``).
        sample_weight: optional weights (N,) of the *anchors*.

    Shape:
        input: (N, D); target: (N,); output: a scalar, or (N,) with 'none'.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import ntxent_loss
        >>> x = ll.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
        >>> round(ntxent_loss(x, ll.tensor([0, 0, 1, 1]), temperature=0.5).item(), 4)
        0.2965

    Note:
        * Batch-coupled: anchor i's loss depends on every other sample, so a sample alone has
          no pairs and loss 0; an anchor with no negatives has loss 0 (optax too).
        * ``'mean'`` is nan when the batch has no positive pair (optax too: 0/0).
        * Cosine similarity clips the squared norms at machine ε (optax's ``epsilon``), so a
          zero embedding gives similarity 0; elsewhere the loss is C∞ and not convex. It is
          bounded: every ℓ_ij ≤ log(1 + |N(i)| e^{2/τ}).
    """
    fn = "ntxent_loss"
    check_reduction(reduction, fn)
    if not temperature > 0:
        raise ValueError(f"{fn}: temperature must be > 0, got {temperature}")
    x = _embeddings(input, fn)
    n = x.shape[0]
    lab = _class_labels(target, n, fn)
    same = lab[:, None] == lab[None, :]
    pos = same & ~np.eye(n, dtype=bool)
    sim = _cosine_similarity_matrix(x) / temperature
    lse_neg, has_neg = _masked_logsumexp(sim, ~same)
    # −log(e^{s_ij} / (e^{s_ij} + Σ_neg e^{s_ik})) = log(1 + e^{LSE_neg − s_ij}): one softplus,
    # no exp of a large number (the max-shifted form of optax's ntxent)
    pair = _log1pexp(lse_neg.unsqueeze(1) - sim)
    loss = _ops.where(pos & has_neg[:, None], pair, 0.0).sum(dim=1)
    count = pos.sum(axis=1).astype(x.dtype)
    return _pairwise_reduce(loss, count, reduction, sample_weight, fn)


def _pairwise_reduce(loss, count, reduction, sample_weight, fn):
    """Reduce a per-anchor loss whose 'mean' divides by Σᵢ wᵢ·countᵢ."""
    if reduction == "mean":
        if sample_weight is not None:
            sw = sample_weights(sample_weight, loss, fn)
            total = (sw * count).sum()
        else:
            total = float(count.sum())
        return reduce(loss, "mean", total_weight=total, sample_weight=sample_weight, fn=fn)
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


def circle_loss(input, target, *, gamma: float = 80.0, margin: float = 0.4,
                detach_weights: bool = False, reduction: str = "mean",
                sample_weight=None) -> Tensor:
    r"""Circle loss (Sun et al., CVPR 2020): pair similarity optimisation with self-paced weights.

    Formula (s = cosine similarity; for anchor i: positives s_p over j ≠ i with yⱼ = yᵢ,
    negatives s_n over yⱼ ≠ yᵢ; m = margin, γ = gamma)::

        α_p = [1 + m − s_p]₊      α_n = [s_n + m]₊        Δ_p = 1 − m      Δ_n = m
        ℓᵢ = log(1 + Σ_n exp(γ α_n (s_n − Δ_n)) · Σ_p exp(−γ α_p (s_p − Δ_p)))
           = softplus(LSE_n(γ α_n (s_n − Δ_n)) + LSE_p(−γ α_p (s_p − Δ_p)))

    An anchor without a positive or without a negative has ℓᵢ = 0. ``'mean'`` averages over the
    anchors that have both (Σ wᵢℓᵢ / Σ wᵢ over those), ``'sum'`` adds up wᵢℓᵢ, ``'none'`` gives ℓᵢ.

    Args:
        input: embeddings (N, D) (cosine similarity is taken inside: no need to normalise).
        target: integer class labels (N,).
        gamma: the scale γ > 0 (default 80, Keras's; the paper uses 80 to 256).
        margin: the relaxation m (default 0.4, Keras's; the paper uses 0.25 to 0.4).
        detach_weights: treat α_p, α_n as constants in the backward pass, as the paper's
            gradient analysis and its reference code do. Default False: the exact gradient of
            the value (as Keras). The value is the same either way.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (default ``'mean'``).
        sample_weight: optional weights (N,) of the anchors.

    Shape:
        input: (N, D); target: (N,); output: a scalar, or (N,) with 'none'.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import circle_loss
        >>> x = ll.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
        >>> round(circle_loss(x, ll.tensor([0, 0, 1, 1]), gamma=4.0).item(), 4)
        0.8299

    Note:
        * Batch-coupled, like :func:`ntxent_loss`: a sample alone has loss 0.
        * Keras's ``circle`` expects L2-normalised embeddings and uses their dot products; here
          they are normalised inside (squared norms clipped at machine ε), which is the same
          for normalised inputs. Keras's class averages over anchors with a non-zero loss,
          which is the 'mean' here; with no such anchor Keras gives 0 and losslab nan.
        * Not convex. C0: α_n's clamp puts a kink where a negative pair's similarity is −m
          (the gradient is kept at the kink, ``clamp_min``). Bounded (similarities lie in
          [−1, 1]), with stable log-sum-exps for γ up to the float range.
    """
    fn = "circle_loss"
    check_reduction(reduction, fn)
    if not gamma > 0:
        raise ValueError(f"{fn}: gamma must be > 0, got {gamma}")
    x = _embeddings(input, fn)
    n = x.shape[0]
    lab = _class_labels(target, n, fn)
    same = lab[:, None] == lab[None, :]
    pos, neg = same & ~np.eye(n, dtype=bool), ~same
    s = _cosine_similarity_matrix(x)
    alpha_p = _ops.clamp(1.0 + margin - s, min=0.0)
    alpha_n = _ops.clamp(s + margin, min=0.0)
    if detach_weights:
        alpha_p, alpha_n = alpha_p.detach(), alpha_n.detach()
    lse_p, has_p = _masked_logsumexp(-gamma * alpha_p * (s - (1.0 - margin)), pos)
    lse_n, has_n = _masked_logsumexp(gamma * alpha_n * (s - margin), neg)
    valid = has_p & has_n
    loss = _ops.where(valid, _log1pexp(lse_p + lse_n), 0.0)  # softplus: log(1 + e^z), stable
    return _pairwise_reduce(loss, valid.astype(x.dtype), reduction, sample_weight, fn)


# ----------------------------------------------------------------------------- ranked lists
def ranking_softmax_loss(input, target, *, where=None, weights=None, reduction: str = "mean",
                         sample_weight=None) -> Tensor:
    r"""Listwise softmax ranking loss (optax/rax): cross-entropy between relevance labels and the
    softmax of the item scores of each list.

    Formula (one list of scores s and relevance labels y ≥ 0 over its valid items)::

        ℓ(s, y) = −Σᵢ yᵢ log softmax(s)ᵢ = (Σᵢ yᵢ)·logsumexp(s) − Σᵢ yᵢ sᵢ

    With ``weights`` the labels are multiplied by them; with ``where`` invalid items are left
    out of the softmax and of the sum. ``'mean'`` averages over the lists that have at least one
    valid item (Σ wₙℓₙ / Σ wₙ over those), ``'sum'`` adds up, ``'none'`` gives one loss per list.

    Args:
        input: item scores (…, L), any real numbers; the last dimension is the list.
        target: relevance labels ≥ 0 of the same shape (binary or graded; not normalised).
        where: optional bool mask of the same shape, True for valid items.
        weights: optional per-item weights of the same shape (multiply the labels).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (default ``'mean'``).
        sample_weight: optional weights (N,) of the lists along the first dimension.

    Shape:
        input, target, where, weights: (…, L); output: a scalar, or (…) with 'none'.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import ranking_softmax_loss
        >>> round(ranking_softmax_loss(ll.tensor([2.0, 1.0, 3.0]), ll.tensor([1.0, 0.0, 0.0])).item(), 3)
        1.408

    Note:
        * optax's ``reduce_fn=jnp.mean`` returns 0 when every list is masked out; losslab's
          ``'mean'`` is then nan (its rule for a mean over nothing).
        * Labels must be ≥ 0 (ValueError): with negative labels the loss is unbounded below.
        * Convex and C∞ in the scores; minimal (for positive labels) where softmax(s) ∝ y.
    """
    fn = "ranking_softmax_loss"
    check_reduction(reduction, fn)
    s = as_input(input, fn)
    y = as_tensor_like(target, s, fn)
    check_same_shape(s, y, fn)
    if s.ndim == 0:
        raise ValueError(f"{fn}: input must have a list dimension (…, L), got a 0-d tensor")
    yd = y.data
    if not (np.all(np.isfinite(yd)) and np.all(yd >= 0)):
        bad = yd[~(np.isfinite(yd) & (yd >= 0))][:3].tolist()
        raise ValueError(f"{fn}: target must hold relevance labels ≥ 0, got {bad}")
    if where is not None:
        valid = where.data if isinstance(where, Tensor) else np.asarray(where)
        if valid.dtype != np.bool_:
            raise TypeError(f"{fn}: where must be a bool mask, got dtype {valid.dtype}")
        check_same_shape(s, valid, fn, "input", "where")
    else:
        valid = np.ones(s.shape, dtype=bool)
    if weights is not None:
        w = as_tensor_like(weights, s, fn, "weights")
        check_same_shape(s, w, fn, "input", "weights")
        y = y * w
    lead = s.shape[:-1]
    flat = s.reshape(-1, s.shape[-1])
    vflat = valid.reshape(-1, s.shape[-1])
    lse, has = _masked_logsumexp(flat, vflat)
    lse = lse.reshape(lead)
    y = _ops.where(valid, y, 0.0)
    # −Σ y log softmax(s) = Σ y · (LSE(s) − s) over valid items: no log of a probability
    loss = (y * (lse.unsqueeze(-1) - _ops.where(valid, s, 0.0))).sum(dim=-1)
    if reduction == "mean" and where is not None:
        return _pairwise_reduce(loss, has.reshape(lead).astype(s.dtype), "mean", sample_weight, fn)
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


# ----------------------------------------------------------------------------- classes
class MarginRankingLoss(_Loss):
    """Margin ranking criterion; ``forward(input1, input2, target)`` is :func:`margin_ranking_loss`.

    Args:
        margin: the required gap (default 0).
        size_average, reduce: deprecated (PyTorch's); they override ``reduction`` when given.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import MarginRankingLoss
        >>> MarginRankingLoss(margin=1.0)(ll.tensor([2.0]), ll.tensor([1.5]), ll.tensor([1.0]))
        tensor(0.5)
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target, sample_weight=None):
        return margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction,
                                   sample_weight=sample_weight)


class HingeEmbeddingLoss(_Loss):
    """Hinge embedding criterion; ``forward(input, target)`` is :func:`hinge_embedding_loss`.

    Args:
        margin: distance beyond which dissimilar pairs cost nothing (default 1).
        size_average, reduce: deprecated; they override ``reduction`` when given.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import HingeEmbeddingLoss
        >>> HingeEmbeddingLoss()(ll.tensor([0.5, 0.25]), ll.tensor([1, -1]))
        tensor(0.625)
    """

    def __init__(self, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target, sample_weight=None):
        return hinge_embedding_loss(input, target, self.margin, reduction=self.reduction,
                                    sample_weight=sample_weight)


class CosineEmbeddingLoss(_Loss):
    """Cosine embedding criterion; ``forward(input1, input2, target)`` is
    :func:`cosine_embedding_loss`.

    Args:
        margin: cosine above which dissimilar pairs are penalised (default 0).
        size_average, reduce: deprecated; they override ``reduction`` when given.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import CosineEmbeddingLoss
        >>> CosineEmbeddingLoss()(ll.tensor([[1.0, 0.0]]), ll.tensor([[0.0, 1.0]]), ll.tensor([1]))
        tensor(1.)
    """

    def __init__(self, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target, sample_weight=None):
        return cosine_embedding_loss(input1, input2, target, self.margin, reduction=self.reduction,
                                     sample_weight=sample_weight)


class PairwiseDistance(Module):
    """‖x1 − x2 + eps‖_p over the last dimension; ``forward`` is :func:`pairwise_distance`.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import PairwiseDistance
        >>> PairwiseDistance(eps=0.0)(ll.tensor([[0.0, 0.0]]), ll.tensor([[3.0, 4.0]]))
        tensor([5.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        _check_p(p, "PairwiseDistance")
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class TripletMarginLoss(_Loss):
    """Triplet margin criterion; ``forward(anchor, positive, negative)`` is
    :func:`triplet_margin_loss`.

    Args:
        margin: required gap between the distances, > 0 (default 1).
        p: norm degree (default 2).
        eps: added inside the norm (default 1e-6).
        swap: use the distance swap.
        size_average, reduce: deprecated; they override ``reduction`` when given.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import TripletMarginLoss
        >>> a = ll.tensor([[0.0, 0.0]])
        >>> TripletMarginLoss(eps=0.0)(a, ll.tensor([[1.0, 0.0]]), ll.tensor([[3.0, 0.0]]))
        tensor(0.)
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                 size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        if not margin > 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        _check_p(p, "TripletMarginLoss")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative, sample_weight=None):
        return triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps,
                                   self.swap, reduction=self.reduction, sample_weight=sample_weight)


class TripletMarginWithDistanceLoss(_Loss):
    """Triplet margin criterion with a custom distance; ``forward(anchor, positive, negative)`` is
    :func:`triplet_margin_with_distance_loss`. As in PyTorch, the default distance is a
    :class:`PairwiseDistance` submodule (so the repr shows it).

    Args:
        distance_function: ``d(x1, x2) -> Tensor`` (default :class:`PairwiseDistance`).
        margin: required gap, > 0 (default 1).
        swap: use the distance swap.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import TripletMarginWithDistanceLoss
        >>> TripletMarginWithDistanceLoss()
        TripletMarginWithDistanceLoss(
          (distance_function): PairwiseDistance()
        )
    """

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False,
                 reduction: str = "mean"):
        super().__init__(None, None, reduction)
        if not margin > 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: margin must be greater than 0, got {margin}")
        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.margin, self.swap = margin, swap

    def forward(self, anchor, positive, negative, sample_weight=None):
        return triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction, sample_weight=sample_weight)


class NTXentLoss(_Loss):
    """NT-Xent contrastive criterion; ``forward(input, target)`` is :func:`ntxent_loss`.

    Args:
        temperature: τ > 0 (default 0.07).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import NTXentLoss
        >>> x = ll.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
        >>> round(NTXentLoss(temperature=0.5)(x, ll.tensor([0, 0, 1, 1])).item(), 4)
        0.2965
    """

    def __init__(self, temperature: float = 0.07, reduction: str = "mean"):
        super().__init__(None, None, reduction)
        if not temperature > 0:
            raise ValueError(f"NTXentLoss: temperature must be > 0, got {temperature}")
        self.temperature = temperature

    def forward(self, input, target, sample_weight=None):
        return ntxent_loss(input, target, temperature=self.temperature, reduction=self.reduction,
                           sample_weight=sample_weight)


class CircleLoss(_Loss):
    """Circle loss criterion; ``forward(input, target)`` is :func:`circle_loss`.

    Args:
        gamma: scale γ > 0 (default 80).
        margin: relaxation m (default 0.4).
        detach_weights: constant α's in the backward pass (the paper's gradient).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import CircleLoss
        >>> x = ll.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-0.6, 0.8]])
        >>> round(CircleLoss(gamma=4.0)(x, ll.tensor([0, 0, 1, 1])).item(), 4)
        0.8299
    """

    def __init__(self, gamma: float = 80.0, margin: float = 0.4, detach_weights: bool = False,
                 reduction: str = "mean"):
        super().__init__(None, None, reduction)
        if not gamma > 0:
            raise ValueError(f"CircleLoss: gamma must be > 0, got {gamma}")
        self.gamma, self.margin, self.detach_weights = gamma, margin, detach_weights

    def forward(self, input, target, sample_weight=None):
        return circle_loss(input, target, gamma=self.gamma, margin=self.margin,
                           detach_weights=self.detach_weights, reduction=self.reduction,
                           sample_weight=sample_weight)


class RankingSoftmaxLoss(_Loss):
    """Listwise softmax ranking criterion; ``forward(input, target, where=None, weights=None)`` is
    :func:`ranking_softmax_loss`.

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import RankingSoftmaxLoss
        >>> round(RankingSoftmaxLoss()(ll.tensor([[2.0, 1.0, 3.0]]), ll.tensor([[1.0, 0.0, 0.0]])).item(), 3)
        1.408
    """

    def __init__(self, reduction: str = "mean"):
        super().__init__(None, None, reduction)

    def forward(self, input, target, where=None, weights=None, sample_weight=None):
        return ranking_softmax_loss(input, target, where=where, weights=weights,
                                    reduction=self.reduction, sample_weight=sample_weight)
