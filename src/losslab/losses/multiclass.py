"""Multiclass and multilabel losses beyond cross-entropy: focal, Poly-1, generalized
cross-entropy, the margin family (PyTorch's multi-margin and multilabel margin, Crammer–Singer,
Keras's categorical hinge), the multiclass perceptron and sparsemax losses, and PyTorch's
multilabel soft margin.

Every loss here takes ``(input, target)`` with the class dimension at dim 1 (dim 0 for one
unbatched sample), ``reduction`` and ``sample_weight``; every loss whose target is a class index
also takes ``ignore_index`` and ``label_smoothing``, with one meaning throughout:

**Label smoothing** ε replaces the target class y by the distribution t' = (1 − ε)·onehot(y) +
ε/C, and the loss by its expectation under t'::

    ℓ_ε(x, y) = (1 − ε)·ℓ(x, y) + (ε/C)·Σ_c ℓ(x, c)

For cross-entropy this is exactly PyTorch's label smoothing. Focal, Poly-1 and generalized
cross-entropy are linear in the target distribution, so for them it is also "the loss of the
smoothed target" (Keras's ``label_smoothing``). For the margin losses (multi-margin,
Crammer–Singer hinge, perceptron, sparsemax) the expectation is the definition; it keeps them
convex. Keras's categorical hinge takes a target *vector*, and smoothing is applied to that
vector before its formula (the formula is not linear in the target; see its docstring). Where a
loss has class weights v (``alpha`` of focal, ``weight`` of multi-margin), the smoothed loss is
(1 − ε)·v_y·ℓ(x, y) + (ε/C)·Σ_c v_c·ℓ(x, c), PyTorch's convention for ``cross_entropy`` (see
its Note on issue #104776).

**Reduction**: unless stated otherwise (class weights *rescale* here, they never enter the
divisor), ``'mean'`` is Σₙ swₙ·ℓₙ / Σₙ swₙ·[yₙ kept] over the kept targets.

Two primitives are fused here, each for a stated reason and tested against a composed or
finite-difference reference: :class:`FocalTerm` (the focal term (1 − p)^γ·(−log p) on log p,
whose composed gradient is 0·∞ = nan at p = 1 for γ < 1) and
:class:`MulticlassSparsemaxCore` (the sparsemax projection is a sort, not an engine op;
gradient sparsemax(s) − t').
"""
from __future__ import annotations

import numbers

import numpy as np

from ..autograd import ops as _ops
from ..autograd.function import ArrayOps, Function
from ..autograd.tensor import Tensor
from ._reduction import (
    ClassIndexError, _shape, as_class_indices, as_input, as_tensor_like, as_weight,
    check_broadcastable, check_reduction, check_same_shape, doc, reduce,
)
from .classification import (
    BinaryCrossEntropyWithLogits, _check_label_smoothing, _class_input, _class_weight,
    _reduce_per_target, _SAMPLE_WEIGHT_CLASS_DOC,
)
from .modules import _Loss, _as_buffer

__all__ = [
    "focal_loss", "poly1_cross_entropy", "generalized_cross_entropy", "multi_margin_loss",
    "multiclass_hinge_loss", "categorical_hinge_loss", "multiclass_perceptron_loss",
    "multiclass_sparsemax_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
    "FocalLoss", "Poly1CrossEntropyLoss", "GeneralizedCrossEntropyLoss", "MultiMarginLoss",
    "MulticlassHingeLoss", "CategoricalHingeLoss", "MulticlassPerceptronLoss",
    "MulticlassSparsemaxLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss",
    "FocalTerm", "MulticlassSparsemaxCore", "sparsemax",
]


# ============================================================================ fused primitives
class FocalTerm(Function):
    """The focal term on log-probabilities l = log p ≤ 0, elementwise::

        f(l) = (1 − e^l)^γ · (−l)                       (= (1 − p)^γ · (−log p))
        f′(l) = −(1 − e^l)^γ + γ·e^l·l·(1 − e^l)^(γ−1)

    1 − e^l is computed as −expm1(l), exact near p = 1. Why fused: at p = 1 (l = 0, reached by
    confident logits such as ±1e4) the composed gradient multiplies γ·0^(γ−1) = ∞ (for γ < 1) by
    −l = 0 and gives nan. The limit of the second term is 0 for every γ > 0
    (u^(γ−1)·l ~ −u^γ with u = 1 − e^l ~ −l), and that is what is returned there: the
    derivative is finite and continuous for all γ ≥ 0.
    """

    def forward(self, l, gamma=2.0):
        self.gamma = float(gamma)
        self.save_for_backward(l)
        u = np.maximum(-np.expm1(l), 0.0)
        return (u ** self.gamma) * (-l)

    def backward(self, g):
        (l,) = self.saved_tensors
        gamma = self.gamma
        if self.ops is ArrayOps:
            u = np.maximum(-np.expm1(l), 0.0)
            pos = u > 0
            us = np.where(pos, u, 1.0)
            first = -(u ** gamma)  # 0**0 = 1: f = −l when γ = 0
            with np.errstate(over="ignore"):
                second = np.where(pos, gamma * np.exp(l) * l * us ** (gamma - 1.0), 0.0)
            return g * (first + second)
        # create_graph: the same rule in Tensor ops; u is replaced by 1 where u = 0 so that the
        # unused side of each where() stays finite (no nan into second derivatives).
        pos = -np.expm1(l.data) > 0
        u = -_ops.expm1(l)
        us = _ops.where(pos, u, 1.0)
        first = _ops.where(pos, -(us ** gamma), -1.0 if gamma == 0 else 0.0)
        second = _ops.where(pos, _ops.exp(l) * l * (us ** (gamma - 1.0)) * gamma, 0.0)
        return g * (first + second)


def _sparsemax_rows(z: np.ndarray) -> np.ndarray:
    """Euclidean projection of each row of z (M, C) onto the probability simplex.

    Martins & Astudillo (2016), Algorithm 1: sort descending, k(z) = max{k : 1 + k·z₍ₖ₎ >
    Σ_{j≤k} z₍ⱼ₎}, τ = (Σ_{j≤k(z)} z₍ⱼ₎ − 1)/k(z), p = max(z − τ, 0).
    """
    zs = -np.sort(-z, axis=1)
    css = np.cumsum(zs, axis=1)
    k = np.arange(1, z.shape[1] + 1, dtype=z.dtype)
    support = 1.0 + k * zs > css
    kz = support.sum(axis=1, keepdims=True)  # ≥ 1: the largest entry is always in the support
    tau = (np.take_along_axis(css, kz - 1, axis=1) - 1.0) / kz.astype(z.dtype)
    return np.maximum(z - tau, 0.0)


def sparsemax(input, dim: int = -1) -> Tensor:
    """Sparsemax (Martins & Astudillo 2016): the Euclidean projection onto the simplex along
    ``dim``, argmin_p ‖p − x‖² over p ≥ 0, Σp = 1. Like softmax it maps scores to
    probabilities, but it returns exact zeros for low scores. No gradient (a plain function:
    the losses that need its Jacobian have it in their own backward).

    Example:
        >>> import losslab as ll
        >>> from losslab.losses.multiclass import sparsemax
        >>> sparsemax(ll.tensor([[2.0, 1.0, -1.0], [0.0, 0.0, 0.0]]), dim=1)
        tensor([[1.0000, 0.0000, 0.0000],
                [0.3333, 0.3333, 0.3333]])
    """
    x = as_input(input, "sparsemax")
    a = np.moveaxis(x.data, dim, -1)
    shape = a.shape
    p = _sparsemax_rows(a.reshape(-1, shape[-1])).reshape(shape)
    return Tensor(np.moveaxis(p, -1, dim).astype(x.dtype, copy=False))


class MulticlassSparsemaxCore(Function):
    """Multiclass sparsemax loss of score rows s (M, C) against target distributions t (M, C)
    (one-hot, or the label-smoothed target), per row::

        ℓ(s, t) = Σ_c t_c·[ ⟨p, s − s_c⟩ + ½(1 − ‖p‖²) ],     p = sparsemax(s)
                = ⟨p, s⟩ − ½‖p‖² + ½ − ⟨s, t⟩                  (Σ_c t_c = 1)

    For a one-hot t this is optax's ``multiclass_sparsemax_loss`` (the Fenchel–Young loss of
    the Gini entropy; Martins & Astudillo 2016, eq. 19 up to its form). The scores are shifted
    by their row maximum first (the loss is invariant to it) to keep ⟨p, s − s_c⟩ accurate for
    large scores. Gradient (Danskin / Blondel et al. 2020, Prop. 2): ∂ℓ/∂s = p − t, continuous
    and piecewise linear in s, so the loss is C¹. With ``create_graph`` p is rebuilt from s
    with its support held fixed, p = (s − τ(s))·[support], τ(s) = (Σ_support s − 1)/|support|,
    which gives the sparsemax Jacobian diag(S) − 1_S 1_Sᵀ/|S| (second derivatives).
    """

    def forward(self, s, t=None):
        self.save_for_backward(s)
        self.t = t
        z = s - np.max(s, axis=1, keepdims=True)
        p = _sparsemax_rows(z)
        self.p = p
        return (p * z).sum(axis=1) - (z * t).sum(axis=1) + 0.5 * (1.0 - (p * p).sum(axis=1))

    def backward(self, g):
        if self.ops is ArrayOps:
            return g[:, None] * (self.p - self.t), None
        (s,) = self.saved_tensors
        supp = (self.p > 0).astype(self.p.dtype)
        size = supp.sum(axis=1, keepdims=True)
        tau = ((s * supp).sum(1, keepdim=True) - 1.0) / size
        p = (s - tau) * supp
        return g.reshape((-1, 1)) * (p - self.t), None


# ============================================================================ helpers
_LS_DOC = (
    "label_smoothing: ε ∈ [0, 1]: the loss becomes its expectation under the smoothed\n"
    "    target (1 − ε)·onehot(y) + ε/C, i.e. (1 − ε)·ℓ(x, y) + (ε/C)·Σ_c ℓ(x, c) (see the\n"
    "    module docstring; for cross-entropy this is PyTorch's label smoothing)."
)
_IGNORE_DOC = (
    "ignore_index: class-index targets equal to it contribute 0 and are not counted in the\n"
    "    ``'mean'`` (default −100)."
)
_REDUCTION_DOC = (
    "reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (default ``'mean'``); ``'mean'`` is\n"
    "    Σₙ swₙ·ℓₙ / Σₙ swₙ over the kept targets (sw = 1 without ``sample_weight``)."
)
_SHAPE_INDEX_DOC = (
    "input: (C,), (N, C) or (N, C, d1, ..., dK): scores/logits, class dim 1 (0 unbatched).\n"
    "target: class indices of input's shape without the class dim, int64 in [0, C) or\n"
    "    ``ignore_index``.\n"
    "output: a scalar, or target's shape with ``reduction='none'``."
)
_SHAPE_INDEX_OR_PROB_DOC = (
    "input: (C,), (N, C) or (N, C, d1, ..., dK): logits, class dim 1 (0 unbatched).\n"
    "target: class indices of input's shape without the class dim (int64 in [0, C) or\n"
    "    ``ignore_index``), or floating class probabilities of input's shape.\n"
    "output: a scalar, or input's shape without the class dim with ``reduction='none'``."
)
_DOCS = dict(ls=_LS_DOC, ignore=_IGNORE_DOC, red=_REDUCTION_DOC, sw=_SAMPLE_WEIGHT_CLASS_DOC,
             shape_index=_SHAPE_INDEX_DOC, shape_index_or_prob=_SHAPE_INDEX_OR_PROB_DOC)


def _rows(x: Tensor, class_dim: int) -> Tensor:
    """x with the class dimension last, flattened to (M, C) (a differentiable view)."""
    n_classes = x.shape[class_dim]
    if x.ndim == 1:
        return x.reshape((1, n_classes))
    if x.ndim == 2:
        return x
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    return x.permute(*perm).reshape((-1, n_classes))


class _Targets:
    """Targets of a class loss, flattened to rows: ``idx`` (M,) safe class indices, ``mask``
    (M,) kept targets (None: all kept), ``probs`` (M, C) a probability target (None for
    index targets), ``out_shape`` the unreduced loss's shape."""

    def __init__(self, input: Tensor, target, class_dim: int, ignore_index: int, fn: str,
                 allow_probs: bool):
        shape = tuple(input.shape)
        self.out_shape = shape[:class_dim] + shape[class_dim + 1:]
        self.probs = None
        self.idx = self.mask = None
        if allow_probs and _shape(target) == shape:
            t_arr = target.data if isinstance(target, Tensor) else np.asarray(target)
            if t_arr.dtype.kind != "f":
                raise TypeError(
                    f"{fn}: a target of the input's shape {shape} is read as class probabilities "
                    f"and must be floating, got dtype {t_arr.dtype}; for class indices give it "
                    f"shape {self.out_shape}")
            if ignore_index >= 0:
                raise ValueError(f"{fn}: ignore_index={ignore_index} is not supported with "
                                 "class-probability targets (use sample_weight instead)")
            self.probs = _rows(as_tensor_like(target, input, fn), class_dim)
            return
        idx = as_class_indices(target, input, ignore_index, fn, class_dim)
        mask = idx != ignore_index
        # _rows puts the class dim last, so rows run over (N, d1, ..., dK) in C order: the
        # same order as the flattened index target
        flat, fmask = idx.reshape(-1), mask.reshape(-1)
        if fmask.all():
            self.idx, self.mask = flat, None
        else:
            self.idx, self.mask = np.where(fmask, flat, 0), fmask

    def onehot(self, n_classes: int, dtype) -> np.ndarray:
        return (np.arange(n_classes)[None, :] == self.idx[:, None]).astype(dtype)

    def distribution(self, n_classes: int, ls: float, like: Tensor):
        """The (smoothed) target distribution rows: a Tensor for probability targets, else an
        ndarray (ignored rows are left as one-hot of class 0; they are masked later)."""
        if self.probs is not None:
            return self.probs * (1.0 - ls) + ls / n_classes if ls else self.probs
        oh = self.onehot(n_classes, like.dtype)
        return oh * (1.0 - ls) + ls / n_classes if ls else oh

    def finish(self, rows_loss: Tensor, reduction: str, sample_weight, fn: str) -> Tensor:
        """Mask ignored targets, restore the target's shape and reduce."""
        loss = rows_loss
        if self.mask is not None:
            loss = _ops.where(self.mask, loss, 0.0)
        loss = loss.reshape(self.out_shape)
        kept = None
        if self.mask is not None:
            kept = self.mask.reshape(self.out_shape).astype(rows_loss.dtype)
        return _reduce_per_target(loss, reduction, kept, sample_weight, fn)


def _gather_rows(mat: Tensor, idx: np.ndarray) -> Tensor:
    return _ops.gather(mat, 1, idx[:, None]).reshape((idx.shape[0],))


def _mix(per_class: Tensor, tg: _Targets, ls: float, cw) -> Tensor:
    """Σ_c t'_c·v_c·L_c per row for a per-class loss matrix L (M, C): the label-smoothed
    expectation (index targets) or the expectation under the (smoothed) probability target."""
    n_classes = per_class.shape[1]
    weighted = per_class if cw is None else per_class * cw
    if tg.probs is not None:
        return (weighted * tg.distribution(n_classes, ls, per_class)).sum(1)
    hard = _gather_rows(weighted, tg.idx)
    if not ls:
        return hard
    return hard * (1.0 - ls) + weighted.sum(1) * (ls / n_classes)


def _check_number(value, fn: str, name: str, lo=None, hi=None, lo_open=False, hi_open=False,
                  expected: str = "") -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number{expected and ' ' + expected}, got {value!r}")
    v = float(value)
    bad = not np.isfinite(v)
    if lo is not None:
        bad |= v <= lo if lo_open else v < lo
    if hi is not None:
        bad |= v >= hi if hi_open else v > hi
    if bad:
        raise ValueError(f"{fn}: {name} must be {expected}, got {value!r}")
    return v


def _index_setup(input, target, fn: str, ignore_index: int, label_smoothing, reduction,
                 allow_probs: bool = False):
    check_reduction(reduction, fn)
    ls = _check_label_smoothing(label_smoothing, fn)
    input, class_dim = _class_input(input, fn)
    tg = _Targets(input, target, class_dim, ignore_index, fn, allow_probs)
    return input, class_dim, ls, tg


def _alpha(alpha, input: Tensor, class_dim: int, fn: str):
    """focal's alpha: None, a number (a constant factor) or one weight per class."""
    if alpha is None:
        return None
    if isinstance(alpha, numbers.Real) and not isinstance(alpha, bool):
        return _check_number(alpha, fn, "alpha", lo=0.0, expected="a finite number ≥ 0 or one weight per class")
    a = as_weight(alpha, input, fn, "alpha")
    if a.ndim == 0:
        return a
    n_classes = input.shape[class_dim]
    if tuple(a.shape) != (n_classes,):
        raise ValueError(f"{fn}: alpha must be a number or hold one weight per class, shape "
                         f"({n_classes},), got shape {tuple(a.shape)}")
    return a


# ============================================================================ CE family
@doc(**_DOCS)
def focal_loss(input, target, alpha=None, gamma: float = 2.0, *, ignore_index: int = -100,
               reduction: str = "mean", label_smoothing: float = 0.0, sample_weight=None) -> Tensor:
    r"""Categorical focal loss on logits: cross-entropy down-weighted on well-classified
    examples by the factor (1 − p)^γ.

    Formula (p = softmax(x) over the class dim, α_c the class weight, 1 by default)::

        ℓ(x, y) = −α_y · (1 − p_y)^γ · log p_y
        with probability targets t (and ε): ℓ = −Σ_c t'_c·α_c·(1 − p_c)^γ·log p_c,  t' = (1 − ε)t + ε/C

    γ = 0 gives (α-weighted) cross-entropy. log p is ``log_softmax`` (finite for any logits) and
    (1 − p_c) is −expm1(log p_c), accurate when p_c is close to 1.

    Args:
        input: logits x, class dim 1.
        target: class indices, or class probabilities of input's shape.
        alpha: None (1), a number (a constant factor, Keras's ``alpha``) or a weight per class,
            shape (C,) (the α-balancing of Lin et al.). It rescales each target's loss; it does
            not enter the divisor of ``'mean'``.
        gamma: focusing parameter γ ≥ 0 (default 2, the paper's).
        {ignore}
        {red}
        {ls}
        {sw}

    Shape:
        {shape_index_or_prob}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import focal_loss, cross_entropy
        >>> x, y = ll.tensor([[2.0, 0.0, -1.0], [0.5, 0.2, 0.1]]), ll.tensor([0, 2])
        >>> round(focal_loss(x, y, gamma=2.0).item(), 4)
        0.3357
        >>> focal_loss(x, y, gamma=0.0).item() == cross_entropy(x, y).item()
        True

    Note:
        * Lin et al. define the focal loss for dense *binary* detection (sigmoid); this is the
          softmax (categorical) form, as Keras's ``CategoricalFocalCrossentropy(from_logits=True)``,
          which, however, defaults to α = 0.25 and clips p to [1e-7, 1 − 1e-7]; here α defaults
          to 1 and nothing is clipped. optax and PyTorch have only the sigmoid form.
        * The gradient is finite at any logits, also for γ < 1 at p = 1, through the fused
          :class:`FocalTerm`.
        * Not convex in the logits for γ > 0.

    References:
        Lin, Goyal, Girshick, He, Dollár (2017), "Focal Loss for Dense Object Detection";
        Keras ``CategoricalFocalCrossentropy``.
    """
    fn = "focal_loss"
    input, class_dim, ls, tg = _index_setup(input, target, fn, ignore_index, label_smoothing,
                                            reduction, allow_probs=True)
    gamma = _check_number(gamma, fn, "gamma", lo=0.0, expected="a finite number ≥ 0")
    a = _alpha(alpha, input, class_dim, fn)
    logp = _ops.log_softmax(_rows(input, class_dim), 1)
    per_class = FocalTerm.apply(logp, gamma=gamma)
    cw = a if isinstance(a, Tensor) and a.ndim == 1 else None
    loss = _mix(per_class, tg, ls, cw)
    if a is not None and cw is None:
        loss = loss * a
    return tg.finish(loss, reduction, sample_weight, fn)


@doc(**_DOCS)
def poly1_cross_entropy(input, target, epsilon: float = 2.0, *, ignore_index: int = -100,
                        reduction: str = "mean", label_smoothing: float = 0.0,
                        sample_weight=None) -> Tensor:
    r"""Poly-1 loss: cross-entropy plus ε times the first polynomial term (1 − p_y).

    Formula (p = softmax(x))::

        ℓ(x, y) = −log p_y + ε·(1 − p_y)
        with probability targets t (and label smoothing): ℓ = Σ_c t'_c·[−log p_c + ε(1 − p_c)]
                                                            = CE(x, t') + ε·(1 − ⟨t', p⟩)

    Args:
        input: logits x, class dim 1.
        target: class indices, or class probabilities of input's shape.
        epsilon: coefficient ε of (1 − p_t), ε ≥ −1 (the loss stays ≥ 0 and decreasing in
            p_t; default 2.0, the paper's ImageNet setting and optax's default; the paper
            uses −1 for detection).
        {ignore}
        {red}
        {ls}
        {sw}

    Shape:
        {shape_index_or_prob}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import poly1_cross_entropy
        >>> x, y = ll.tensor([[2.0, 0.0, -1.0], [0.5, 0.2, 0.1]]), ll.tensor([0, 2])
        >>> round(poly1_cross_entropy(x, y, epsilon=1.0).item(), 4)
        1.1641

    Note:
        * With probability targets this is optax's ``poly_loss_cross_entropy(logits, labels,
          epsilon=ε)``, where p_t = ⟨labels, softmax(x)⟩, and label smoothing is the paper's
          (smooth the labels, then both terms use them).
        * 1 − p_c is −expm1(log p_c): no cancellation when p_c is close to 1.
        * Convex in the logits only for small |ε| (the (1 − p_y) term is not convex); with the
          default ε = 2 it is not.

    References:
        Leng et al. (2022), "PolyLoss: A Polynomial Expansion Perspective of Classification
        Loss Functions", ICLR; optax ``poly_loss_cross_entropy``.
    """
    fn = "poly1_cross_entropy"
    input, class_dim, ls, tg = _index_setup(input, target, fn, ignore_index, label_smoothing,
                                            reduction, allow_probs=True)
    eps = _check_number(epsilon, fn, "epsilon", lo=-1.0, expected="a finite number ≥ −1")
    logp = _ops.log_softmax(_rows(input, class_dim), 1)
    per_class = -logp - _ops.expm1(logp) * eps  # 1 − p = −expm1(log p)
    return tg.finish(_mix(per_class, tg, ls, None), reduction, sample_weight, fn)


@doc(**_DOCS)
def generalized_cross_entropy(input, target, q: float = 0.7, *, ignore_index: int = -100,
                              reduction: str = "mean", label_smoothing: float = 0.0,
                              sample_weight=None) -> Tensor:
    r"""Generalized cross-entropy (the L_q loss): noise-robust, between cross-entropy (q → 0)
    and mean absolute error (q = 1).

    Formula (p = softmax(x), 0 < q ≤ 1)::

        ℓ(x, y) = (1 − p_y^q) / q = −expm1(q·log p_y) / q
        with probability targets t: ℓ = Σ_c t'_c·(1 − p_c^q)/q

    Args:
        input: logits x, class dim 1.
        target: class indices, or class probabilities of input's shape.
        q: the exponent, 0 < q ≤ 1 (default 0.7, the paper's; Keras defaults to 0.5). q = 1
            gives 1 − p_y (half the L1 distance between p and the one-hot target).
        {ignore}
        {red}
        {ls}
        {sw}

    Shape:
        {shape_index_or_prob}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import generalized_cross_entropy
        >>> x, y = ll.tensor([[2.0, 0.0, -1.0], [0.5, 0.2, 0.1]]), ll.tensor([0, 2])
        >>> round(generalized_cross_entropy(x, y, q=0.7).item(), 4)
        0.5028

    Note:
        * Bounded, in [0, 1/q]: a mislabelled example can pull at most 1/q, which is the point
          (robustness to label noise); the price is a vanishing gradient p_y^q·∂log p_y for
          confidently wrong predictions, so training from scratch is slower than with CE.
        * Not convex in the logits (for any q > 0).
        * p^q is computed as exp(q·log_softmax(x)), finite for any logits; Keras's
          ``CategoricalGeneralizedCrossEntropy`` takes probabilities instead.
        * The truncated variant L_trunc of the paper is not implemented.

    References:
        Zhang & Sabuncu (2018), "Generalized Cross Entropy Loss for Training Deep Neural
        Networks with Noisy Labels", NeurIPS; Keras ``CategoricalGeneralizedCrossEntropy``.
    """
    fn = "generalized_cross_entropy"
    input, class_dim, ls, tg = _index_setup(input, target, fn, ignore_index, label_smoothing,
                                            reduction, allow_probs=True)
    q = _check_number(q, fn, "q", lo=0.0, hi=1.0, lo_open=True, expected="in (0, 1]")
    logp = _ops.log_softmax(_rows(input, class_dim), 1)
    per_class = _ops.expm1(logp * q) * (-1.0 / q)
    return tg.finish(_mix(per_class, tg, ls, None), reduction, sample_weight, fn)


# ============================================================================ margin family
def _margin_input(input, target, fn: str) -> tuple[Tensor, object]:
    """PyTorch's shapes for multi_margin_loss: (C,) with target () or (1,), or (N, C)."""
    input = as_input(input, fn)
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise ValueError(f"{fn}: input must be a non-empty vector (C,) or matrix (N, C), got "
                         f"shape {tuple(input.shape)}")
    if input.ndim == 1 and _shape(target) == (1,):
        input = input.reshape((1, input.shape[0]))  # PyTorch accepts a (1,) target here
    return input, target


@doc(**_DOCS)
def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None, *,
                      ignore_index: int = -100, reduction: str = "mean",
                      label_smoothing: float = 0.0, sample_weight=None) -> Tensor:
    r"""PyTorch's multi-class margin loss (Weston–Watkins): a hinge per wrong class, averaged
    over the C classes.

    Formula (w the class weight, 1 by default)::

        ℓ(x, y) = (1/C) · Σ_{i ≠ y} w_y · max(0, margin − x_y + x_i)^p

        'mean': Σₙ swₙ·ℓₙ / Σₙ swₙ (kept targets; the weights do not enter it, as PyTorch)

    Args:
        input: scores x, shape (C,) or (N, C).
        target: class indices, shape () (or (1,)) or (N,).
        p: 1 (hinge) or 2 (squared hinge).
        margin: the margin (default 1).
        weight: optional weight per class, shape (C,); it multiplies the whole loss of a target
            of that class (after the power, as PyTorch's kernel does — its docs put it inside).
        {ignore}
        {red}
        {ls}
        {sw}

    Shape:
        input: (C,) or (N, C).
        target: () or (1,) for (C,) input, (N,) for (N, C) input.
        output: a scalar, or target's shape with ``reduction='none'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import multi_margin_loss
        >>> x, y = ll.tensor([[0.1, 0.2, 0.4, 0.8]]), ll.tensor([3])
        >>> round(multi_margin_loss(x, y).item(), 4)   # (0.3 + 0.4 + 0.6) / 4
        0.325

    Note:
        * Equals ``torch.nn.functional.multi_margin_loss`` (values and gradients) for every
          option PyTorch has. At a kink (margin − x_y + x_i = 0 exactly) the hinge's gradient
          is 0, as PyTorch's (it tests z > 0).
        * Label smoothing (beyond PyTorch) needs the loss for every class, O(C²) per sample.
          With ``weight`` it is (1 − ε)·w_y·ℓ(x, y) + (ε/C)·Σ_c w_c·ℓ(x, c): the class weights
          also weight the smoothing term, as in :func:`cross_entropy` (PyTorch issue #104776),
          so they move the minimizer; pass ``sample_weight=w[y]`` instead to scale each
          sample's whole smoothed loss.
        * The mean of an empty batch is nan (PyTorch 2.13 returns an uninitialised value).

    References:
        Weston & Watkins (1999), "Support vector machines for multi-class pattern recognition";
        PyTorch ``MultiMarginLoss``.
    """
    fn = "multi_margin_loss"
    if isinstance(p, bool) or p not in (1, 2):
        raise ValueError(f"{fn}: only p == 1 and p == 2 are supported (hinge or squared hinge), got p={p!r}")
    margin = _check_number(margin, fn, "margin", expected="a finite number")
    input, target = _margin_input(input, target, fn)
    input, class_dim, ls, tg = _index_setup(input, target, fn, ignore_index, label_smoothing, reduction)
    w = _class_weight(weight, input, class_dim, fn)
    s = _rows(input, class_dim)
    n_classes = s.shape[1]
    if ls:
        # L[n, c] = Σ_{i≠c} max(0, margin − s_c + s_i)^p / C, every class c as the target
        z = _ops.relu(s.reshape((-1, 1, n_classes)) - s.reshape((-1, n_classes, 1)) + margin)
        h = z if p == 1 else z * z
        per_class = (h * (1.0 - np.eye(n_classes, dtype=s.dtype))).sum(2) * (1.0 / n_classes)
        loss = _mix(per_class, tg, ls, w)
    else:
        sy = _gather_rows(s, tg.idx).reshape((-1, 1))
        z = _ops.relu(s - sy + margin)
        h = z if p == 1 else z * z
        loss = (h * (1.0 - tg.onehot(n_classes, s.dtype))).sum(1) * (1.0 / n_classes)
        if w is not None:
            loss = loss * w[tg.idx]
    return tg.finish(loss, reduction, sample_weight, fn)


@doc(**_DOCS)
def multiclass_hinge_loss(input, target, *, ignore_index: int = -100, reduction: str = "mean",
                          label_smoothing: float = 0.0, sample_weight=None) -> Tensor:
    r"""Crammer–Singer multiclass hinge loss: the target score must beat the best other score
    by a margin of 1.

    Formula::

        ℓ(s, y) = max(0, 1 + max_{j≠y} s_j − s_y) = max_c (s_c + 1 − [c = y]) − s_y

    Args:
        input: scores s, class dim 1.
        target: class indices.
        {ignore}
        {red}
        {ls}
        {sw}

    Shape:
        {shape_index}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import multiclass_hinge_loss
        >>> s, y = ll.tensor([[2.0, 1.5, -1.0], [3.0, 0.0, 0.5]]), ll.tensor([0, 0])
        >>> multiclass_hinge_loss(s, y, reduction="none")   # 1 + 1.5 − 2, and 0
        tensor([0.5, 0.0])

    Note:
        * optax's ``multiclass_hinge_loss`` computes the second form; PyTorch's
          ``multi_margin_loss`` is the Weston–Watkins variant (a sum over classes, divided by
          C) and Keras's ``CategoricalHinge`` differs when every other score is negative (see
          :func:`categorical_hinge_loss`).
        * At ties of the maximum the gradient is shared equally (the engine's ``amax``), e.g.
          at the kink 1 + max_{j≠y} s_j = s_y each side gets half.
        * Label smoothing needs the loss for every class: O(C²) per sample.

    References:
        Crammer & Singer (2001), "On the Algorithmic Implementation of Multiclass Kernel-based
        Vector Machines", JMLR; optax ``multiclass_hinge_loss``.
    """
    fn = "multiclass_hinge_loss"
    input, class_dim, ls, tg = _index_setup(input, target, fn, ignore_index, label_smoothing, reduction)
    s = _rows(input, class_dim)
    n_classes = s.shape[1]
    if ls:
        # L[n, c] = max_j (s_j + 1 − [j = c]) − s_c, every class c as the target
        shifted = s.reshape((-1, 1, n_classes)) + (1.0 - np.eye(n_classes, dtype=s.dtype))
        per_class = _ops.amax(shifted, 2) - s
        loss = _mix(per_class, tg, ls, None)
    else:
        loss = _ops.amax(s + (1.0 - tg.onehot(n_classes, s.dtype)), 1) - _gather_rows(s, tg.idx)
    return tg.finish(loss, reduction, sample_weight, fn)


@doc(**_DOCS)
def categorical_hinge_loss(input, target, *, ignore_index: int = -100, reduction: str = "mean",
                           label_smoothing: float = 0.0, sample_weight=None) -> Tensor:
    r"""Keras's categorical hinge loss on one-hot (or class-index) targets.

    Formula (t the one-hot target, or any target vector of input's shape)::

        pos = Σ_c t_c·s_c        neg = max_c (1 − t_c)·s_c
        ℓ(s, t) = max(0, 1 + neg − pos)

    For a one-hot t the target class contributes (1 − 1)·s_y = 0 to the max, so
    neg = max(0, max_{j≠y} s_j): ℓ = max(0, 1 + max(0, max_{j≠y} s_j) − s_y).

    Args:
        input: scores s, class dim 1.
        target: class indices (converted to one-hot), or a floating target of input's shape
            (one-hot as Keras expects; soft targets are accepted and used as is).
        {ignore}
        {red}
        label_smoothing: ε ∈ [0, 1]: the target vector becomes (1 − ε)·t + ε/C before the
            formula (Keras's convention for its cross-entropies; this formula is not linear in
            t, so this is not the expectation used by the other margin losses).
        {sw}

    Shape:
        {shape_index_or_prob}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import categorical_hinge_loss
        >>> s = ll.tensor([[0.6, 0.4], [0.4, 0.6]])
        >>> t = ll.tensor([[0.0, 1.0], [0.0, 0.0]])   # Keras's documented example
        >>> categorical_hinge_loss(s, t)
        tensor(1.4)
        >>> categorical_hinge_loss(ll.tensor([[-5.0, -3.0]]), ll.tensor([0])).item()   # not Crammer–Singer's 3
        6.0

    Note:
        * Differs from the Crammer–Singer :func:`multiclass_hinge_loss` when every wrong score
          is negative: the 0 from the target class enters ``neg``, so the target score must
          reach 1 in absolute terms, not just 1 above the others.
        * Keras's class axis is the last; here it is dim 1 (the same for 2-D inputs).
        * Gradients at ties of the max are shared equally; at 1 + neg − pos = 0 the hinge's
          gradient is 0.

    References:
        Keras ``keras.losses.categorical_hinge`` (``keras/src/losses/losses.py``).
    """
    fn = "categorical_hinge_loss"
    input, class_dim, ls, tg = _index_setup(input, target, fn, ignore_index, label_smoothing,
                                            reduction, allow_probs=True)
    s = _rows(input, class_dim)
    t = tg.distribution(s.shape[1], ls, s)
    pos = (s * t).sum(1)
    neg = _ops.amax((1.0 - t) * s, 1)
    return tg.finish(_ops.relu(neg - pos + 1.0), reduction, sample_weight, fn)


@doc(**_DOCS)
def multiclass_perceptron_loss(input, target, *, ignore_index: int = -100, reduction: str = "mean",
                               label_smoothing: float = 0.0, sample_weight=None) -> Tensor:
    r"""Multiclass perceptron loss: how far the target score is below the best score.

    Formula::

        ℓ(s, y) = max_c s_c − s_y

    Args:
        input: scores s, class dim 1.
        target: class indices.
        {ignore}
        {red}
        {ls}
        {sw}

    Shape:
        {shape_index}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import multiclass_perceptron_loss
        >>> s = ll.tensor([[2.0, 1.5, -1.0], [3.0, 0.0, 0.5]])
        >>> multiclass_perceptron_loss(s, ll.tensor([1, 0]), reduction="none")
        tensor([0.5, 0.0])

    Note:
        * Zero as soon as the target class is *a* top score (no margin): any correct
          classifier is a minimizer, and the gradient at the minimum of a tie is shared
          equally between the tied classes (the engine's ``amax``).
        * optax's ``multiclass_perceptron_loss``.

    References:
        Collins (2002), "Discriminative Training Methods for Hidden Markov Models"; optax
        ``multiclass_perceptron_loss``.
    """
    fn = "multiclass_perceptron_loss"
    input, class_dim, ls, tg = _index_setup(input, target, fn, ignore_index, label_smoothing, reduction)
    s = _rows(input, class_dim)
    top = _ops.amax(s, 1)
    if ls:
        loss = _mix(top.reshape((-1, 1)) - s, tg, ls, None)
    else:
        loss = top - _gather_rows(s, tg.idx)
    return tg.finish(loss, reduction, sample_weight, fn)


@doc(**_DOCS)
def multiclass_sparsemax_loss(input, target, *, ignore_index: int = -100, reduction: str = "mean",
                              label_smoothing: float = 0.0, sample_weight=None) -> Tensor:
    r"""Multiclass sparsemax loss: the Fenchel–Young loss of sparsemax (the Gini entropy), a
    convex, C¹ alternative to cross-entropy whose predicted distribution is sparse.

    Formula (p = sparsemax(s), the Euclidean projection of s onto the simplex)::

        ℓ(s, y) = ⟨p, s − s_y⟩ + ½·(1 − ‖p‖²)          ∂ℓ/∂s = p − onehot(y)

    Zero exactly when p = onehot(y), i.e. when s_y ≥ s_j + 1 for every j ≠ y.

    Args:
        input: scores s, class dim 1.
        target: class indices.
        {ignore}
        {red}
        {ls}
        {sw}

    Shape:
        {shape_index}

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import multiclass_sparsemax_loss
        >>> s = ll.tensor([[2.0, 1.5, -1.0], [3.0, 0.0, 0.5]])
        >>> multiclass_sparsemax_loss(s, ll.tensor([1, 0]), reduction="none")
        tensor([0.5625, 0.0000])

    Note:
        * optax's ``multiclass_sparsemax_loss``. The sparsemax projection is computed by
          sorting (Martins & Astudillo, Algorithm 1) in the fused :class:`MulticlassSparsemaxCore`.
        * With label smoothing the loss is Σ_c t'_c·ℓ(s, c) = ⟨p, s⟩ − ½‖p‖² + ½ − ⟨s, t'⟩
          (gradient p − t'); the Fenchel–Young loss of the soft target t' differs from it by
          the constant ½(‖t'‖² − 1), which does not change the gradient.
        * C¹: the gradient is continuous but piecewise linear (its derivative jumps where the
          support of sparsemax changes).

    References:
        Martins & Astudillo (2016), "From Softmax to Sparsemax: A Sparse Model of Attention and
        Multi-Label Classification", ICML; Blondel, Martins, Niculae (2020), "Learning with
        Fenchel-Young Losses", JMLR; optax ``multiclass_sparsemax_loss``.
    """
    fn = "multiclass_sparsemax_loss"
    input, class_dim, ls, tg = _index_setup(input, target, fn, ignore_index, label_smoothing, reduction)
    s = _rows(input, class_dim)
    t = tg.distribution(s.shape[1], ls, s)
    return tg.finish(MulticlassSparsemaxCore.apply(s, t=t), reduction, sample_weight, fn)


# ============================================================================ multilabel
@doc(**_DOCS)
def multilabel_margin_loss(input, target, *, reduction: str = "mean", sample_weight=None) -> Tensor:
    r"""PyTorch's multilabel margin loss: every target class must beat every non-target class
    by a margin of 1.

    Formula (sample n; Yₙ the target classes, read from targetₙ up to its first −1)::

        ℓₙ = (1/C) · Σ_{j ∈ Yₙ} Σ_{i ∉ Yₙ} max(0, 1 − (x_{n,j} − x_{n,i}))

    Args:
        input: scores x, shape (C,) or (N, C).
        target: int64 of input's shape: the target class indices of each sample, padded with
            −1 after the last one (entries after the first −1 are ignored but must still lie
            in [−1, C), as PyTorch checks). A class listed twice counts twice (as PyTorch).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (``'mean'``: Σₙ swₙ·ℓₙ / Σₙ swₙ).
        {sw}

    Shape:
        input: (C,) or (N, C).
        target: same shape as input, int64.
        output: a scalar, or (N,) with ``reduction='none'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import multilabel_margin_loss
        >>> x = ll.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> y = ll.tensor([[3, 0, -1, 1]])     # targets 3 and 0; classes 1 and 2 are not
        >>> multilabel_margin_loss(x, y)      # (1.1 + 1.3 + 0.4 + 0.6) / 4
        tensor(0.85)

    Note:
        * Equals ``torch.nn.functional.multilabel_margin_loss``, values and gradients (the
          hinge's gradient is 0 at its kink, as PyTorch's).
        * No ``ignore_index`` or ``label_smoothing``: the target is a set of classes, padded
          with −1 (which plays the part of ``ignore_index``).
        * Cost O(C²) per sample.

    References:
        PyTorch ``MultiLabelMarginLoss``.
    """
    fn = "multilabel_margin_loss"
    check_reduction(reduction, fn)
    input = as_input(input, fn)
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise ValueError(f"{fn}: input must be a non-empty vector (C,) or matrix (N, C), got "
                         f"shape {tuple(input.shape)}")
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{fn}: target must hold integer class indices padded with -1 (int64), "
                        f"got dtype {t.dtype}")
    if t.shape != tuple(input.shape):
        raise ValueError(f"{fn}: target must have the input's shape {tuple(input.shape)} (class "
                         f"indices padded with -1), got {t.shape}")
    n_classes = input.shape[-1]
    bad = (t < -1) | (t >= n_classes)
    if bad.any():
        raise ClassIndexError(f"{fn}: target contains {int(t[bad].flat[0])}, outside [-1, {n_classes}) "
                              f"(class indices in [0, {n_classes}), -1 ends the list)")
    t2 = t.reshape(-1, n_classes).astype(np.int64)
    rows = t2.shape[0]
    # entries before the first −1 of each row count; cnt[n, j] = how often class j is listed
    stop = np.where((t2 < 0).any(axis=1), (t2 < 0).argmax(axis=1), n_classes)
    listed = np.arange(n_classes)[None, :] < stop[:, None]
    cnt = np.zeros((rows, n_classes))
    np.add.at(cnt, (np.repeat(np.arange(rows), n_classes)[listed.ravel()], t2[listed]), 1.0)
    other = (cnt == 0).astype(input.dtype)
    s = input.reshape((rows, n_classes))
    # z[n, j, i] = 1 − (s_j − s_i), kept for listed j (with multiplicity) and unlisted i
    z = _ops.relu(s.reshape((rows, 1, n_classes)) - s.reshape((rows, n_classes, 1)) + 1.0)
    pair = (cnt.astype(input.dtype)[:, :, None] * other[:, None, :])
    loss = (z * pair).sum((1, 2)) * (1.0 / n_classes)
    loss = loss.reshape(tuple(input.shape[:-1]))
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


@doc(**_DOCS)
def multilabel_soft_margin_loss(input, target, weight=None, *, reduction: str = "mean",
                                sample_weight=None) -> Tensor:
    r"""PyTorch's multilabel soft margin loss: binary cross-entropy on logits per class,
    averaged over the classes (the last dimension).

    Formula (sample n, C classes in the last dimension, w the optional weight)::

        ℓₙ = −(1/C) · Σ_c w_c · [ y_{n,c}·log σ(x_{n,c}) + (1 − y_{n,c})·log σ(−x_{n,c}) ]

    Args:
        input: logits x, shape (C,), (N, C) or (N, ..., C) (classes last, as PyTorch).
        target: labels y ∈ [0, 1] (0/1 for multi-label targets), same shape as input.
        weight: optional weight, broadcastable to input's shape (one per class, shape (C,),
            is the usual use); it multiplies each term before the mean over classes.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (``'mean'``: Σₙ swₙ·ℓₙ / Σₙ swₙ).
        {sw}

    Shape:
        input: (C,), (N, C) or (N, ..., C).
        target: same shape as input.
        output: a scalar, or input's shape without the last dim with ``reduction='none'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import multilabel_soft_margin_loss
        >>> x, y = ll.tensor([[2.0, -1.0, 0.0]]), ll.tensor([[1.0, 0.0, 1.0]])
        >>> round(multilabel_soft_margin_loss(x, y).item(), 4)
        0.3778

    Note:
        * Equals ``torch.nn.functional.multilabel_soft_margin_loss``, values and gradients
          (input, target, weight). Each term is computed by the fused, non-cancelling
          :class:`~losslab.losses.classification.BinaryCrossEntropyWithLogits`.
        * Targets outside [0, 1] raise a ValueError (PyTorch does not check; ±1 labels there
          silently give a loss that is unbounded below).
        * No ``ignore_index``/``label_smoothing``: the targets are not class indices.

    References:
        PyTorch ``MultiLabelSoftMarginLoss``.
    """
    fn = "multilabel_soft_margin_loss"
    check_reduction(reduction, fn)
    input = as_input(input, fn)
    if input.ndim == 0 or input.shape[-1] == 0:
        raise ValueError(f"{fn}: input must have a class dimension (last), got shape {tuple(input.shape)}")
    target = as_tensor_like(target, input, fn)
    check_same_shape(input, target, fn)
    a = target.data
    ok = (a >= 0) & (a <= 1)
    if not ok.all():
        bad = float(a[~ok].flat[0])
        hint = " (±1 labels: convert them with (y + 1) / 2)" if bad == -1 else ""
        raise ValueError(f"{fn}: target must hold labels in [0, 1] (0/1 per class), got {bad!r}{hint}")
    loss = BinaryCrossEntropyWithLogits.apply(input, target, None)
    w = as_weight(weight, input, fn)
    if w is not None:
        check_broadcastable(w.shape, input.shape, fn, "weight")
        loss = loss * w
    loss = loss.sum(-1) * (1.0 / input.shape[-1])
    return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)


# ============================================================================ classes
class _IndexLoss(_Loss):
    """Base of the class-index loss classes: ``ignore_index``, ``label_smoothing``, and
    ``forward(input, target, sample_weight=None)``."""

    _fn = None
    _hparams: tuple = ()

    def __init__(self, *, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(None, None, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target, sample_weight=None):
        kw = {k: getattr(self, k) for k in self._hparams}
        return type(self)._fn(input, target, ignore_index=self.ignore_index, reduction=self.reduction,
                              label_smoothing=self.label_smoothing, sample_weight=sample_weight, **kw)


class FocalLoss(_IndexLoss):
    """Categorical focal loss on logits; ``forward(input, target, sample_weight=None)`` is
    :func:`focal_loss`.

    Args:
        alpha: None, a number, or a weight per class (shape (C,), kept as a buffer).
        gamma: focusing parameter γ ≥ 0.
        ignore_index, reduction, label_smoothing: as :func:`focal_loss`.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import FocalLoss
        >>> crit = FocalLoss(gamma=2.0)
        >>> round(crit(ll.tensor([[2.0, 0.0, -1.0]]), ll.tensor([0])).item(), 4)
        0.0041
    """

    _fn = staticmethod(focal_loss)

    def __init__(self, alpha=None, gamma: float = 2.0, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)
        if alpha is None or isinstance(alpha, numbers.Real):
            self.alpha = alpha
        else:
            self.register_buffer("alpha", _as_buffer(alpha))
        self.gamma = gamma

    def forward(self, input, target, sample_weight=None):
        return focal_loss(input, target, self.alpha, self.gamma, ignore_index=self.ignore_index,
                          reduction=self.reduction, label_smoothing=self.label_smoothing,
                          sample_weight=sample_weight)


class Poly1CrossEntropyLoss(_IndexLoss):
    """Poly-1 cross-entropy; ``forward`` is :func:`poly1_cross_entropy`.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import Poly1CrossEntropyLoss
        >>> round(Poly1CrossEntropyLoss(epsilon=1.0)(ll.tensor([[0.0, 0.0]]), ll.tensor([1])).item(), 4)
        1.1931
    """

    _fn = staticmethod(poly1_cross_entropy)
    _hparams = ("epsilon",)

    def __init__(self, epsilon: float = 2.0, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)
        self.epsilon = epsilon


class GeneralizedCrossEntropyLoss(_IndexLoss):
    """Generalized cross-entropy (L_q); ``forward`` is :func:`generalized_cross_entropy`.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import GeneralizedCrossEntropyLoss
        >>> GeneralizedCrossEntropyLoss(q=1.0)(ll.tensor([[0.0, 0.0]]), ll.tensor([1]))
        tensor(0.5)
    """

    _fn = staticmethod(generalized_cross_entropy)
    _hparams = ("q",)

    def __init__(self, q: float = 0.7, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)
        self.q = q


class MultiMarginLoss(_Loss):
    """PyTorch's multi-class margin loss; ``forward(input, target, sample_weight=None)`` is
    :func:`multi_margin_loss`.

    Args:
        p: 1 or 2.
        margin: the margin (default 1).
        weight: optional weight per class (kept as a buffer).
        size_average, reduce: deprecated (PyTorch's); they override ``reduction`` when given.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        ignore_index, label_smoothing: keyword-only, beyond PyTorch (see the function).

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import MultiMarginLoss
        >>> MultiMarginLoss()
        MultiMarginLoss()
        >>> round(MultiMarginLoss()(ll.tensor([[0.1, 0.2, 0.4, 0.8]]), ll.tensor([3])).item(), 4)
        0.325
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, size_average=None,
                 reduce=None, reduction: str = "mean", *, ignore_index: int = -100,
                 label_smoothing: float = 0.0):
        super().__init__(size_average, reduce, reduction)
        if isinstance(p, bool) or p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got p={p!r}")
        self.p = p
        self.margin = margin
        self.register_buffer("weight", _as_buffer(weight))
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target, sample_weight=None):
        return multi_margin_loss(input, target, self.p, self.margin, self.weight,
                                 ignore_index=self.ignore_index, reduction=self.reduction,
                                 label_smoothing=self.label_smoothing, sample_weight=sample_weight)


class MulticlassHingeLoss(_IndexLoss):
    """Crammer–Singer multiclass hinge; ``forward`` is :func:`multiclass_hinge_loss`.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import MulticlassHingeLoss
        >>> MulticlassHingeLoss()(ll.tensor([[2.0, 1.5, -1.0]]), ll.tensor([0]))
        tensor(0.5)
    """

    _fn = staticmethod(multiclass_hinge_loss)

    def __init__(self, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)


class CategoricalHingeLoss(_IndexLoss):
    """Keras's categorical hinge; ``forward`` is :func:`categorical_hinge_loss`.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import CategoricalHingeLoss
        >>> CategoricalHingeLoss()(ll.tensor([[0.6, 0.4], [0.4, 0.6]]), ll.tensor([[0.0, 1.0], [0.0, 0.0]]))
        tensor(1.4)
    """

    _fn = staticmethod(categorical_hinge_loss)

    def __init__(self, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)


class MulticlassPerceptronLoss(_IndexLoss):
    """Multiclass perceptron loss; ``forward`` is :func:`multiclass_perceptron_loss`.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import MulticlassPerceptronLoss
        >>> MulticlassPerceptronLoss()(ll.tensor([[2.0, 1.5, -1.0]]), ll.tensor([1]))
        tensor(0.5)
    """

    _fn = staticmethod(multiclass_perceptron_loss)

    def __init__(self, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)


class MulticlassSparsemaxLoss(_IndexLoss):
    """Multiclass sparsemax loss; ``forward`` is :func:`multiclass_sparsemax_loss`.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import MulticlassSparsemaxLoss
        >>> MulticlassSparsemaxLoss()(ll.tensor([[2.0, 1.5, -1.0]]), ll.tensor([1]))
        tensor(0.5625)
    """

    _fn = staticmethod(multiclass_sparsemax_loss)

    def __init__(self, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)


class MultiLabelMarginLoss(_Loss):
    """PyTorch's multilabel margin loss; ``forward(input, target, sample_weight=None)`` is
    :func:`multilabel_margin_loss`.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import MultiLabelMarginLoss
        >>> MultiLabelMarginLoss()(ll.tensor([[0.1, 0.2, 0.4, 0.8]]), ll.tensor([[3, 0, -1, 1]]))
        tensor(0.85)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target, sample_weight=None):
        return multilabel_margin_loss(input, target, reduction=self.reduction, sample_weight=sample_weight)


class MultiLabelSoftMarginLoss(_Loss):
    """PyTorch's multilabel soft margin loss; ``forward(input, target, sample_weight=None)`` is
    :func:`multilabel_soft_margin_loss`.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import MultiLabelSoftMarginLoss
        >>> round(MultiLabelSoftMarginLoss()(ll.tensor([[2.0, -1.0, 0.0]]), ll.tensor([[1.0, 0.0, 1.0]])).item(), 4)
        0.3778
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_buffer(weight))

    def forward(self, input, target, sample_weight=None):
        return multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction,
                                           sample_weight=sample_weight)
