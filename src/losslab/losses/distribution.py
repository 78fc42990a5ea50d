"""Divergences between distributions: ``kl_div`` (PyTorch's), ``generalized_kl_divergence``
(unnormalized measures, optax's) and ``js_divergence`` (Jensen–Shannon, symmetric and bounded).

Conventions:

* The prediction (``input``) is given in log space — log-probabilities (``kl_div``,
  ``js_divergence``) or log-intensities (``generalized_kl_divergence``, default) — as PyTorch's
  ``kl_div`` and optax's divergences take it: a model's ``log_softmax`` output feeds them
  directly, and p = 0 is representable (−inf) without ``log(0)``.
* ``0 · log 0 = 0``: target entries equal to 0 contribute exactly 0 (PyTorch computes
  ``xlogy(t, t)``), and their gradients are 0 rather than nan.
* ``kl_div`` is elementwise, as PyTorch's: ``'mean'`` divides by the number of *elements*;
  ``'batchmean'`` (sum / batch size) is the KL divergence per sample. ``generalized_kl_divergence``
  and ``js_divergence`` sum over the distribution dimension ``dim`` first (optax's and Keras'
  convention), so their unreduced loss has one value per distribution and ``'mean'`` is the
  mean divergence per sample.

:class:`JSDivergenceCore` is fused for stability: the mixture's log-density is a ``logaddexp``
and the terms of zero-probability entries are masked, so inputs of −inf (p = 0) and targets of 0
give exact values and finite gradients; its backward is tested against the composed version in
``tests/losses/test_loss_distribution_js.py``.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..autograd import ops as _ops
from ..autograd.function import ArrayOps, Function
from ..autograd.tensor import Tensor
from ._reduction import REDUCTIONS, check_reduction, doc, reduce, sample_weights
from .regression import _FamilyLoss, _check_values, _pair

__all__ = [
    "kl_div", "generalized_kl_divergence", "js_divergence",
    "KLDivLoss", "GeneralizedKLDivergence", "JSDivergence",
]

_LOG2 = math.log(2.0)
#: kl_div's reductions: PyTorch's three and its 'batchmean'.
KL_REDUCTIONS = REDUCTIONS + ("batchmean",)

_FRAGMENTS = {
    "sample_weight": (
        "sample_weight: optional weight per sample, shape (N,) with N = input.shape[0] (beyond\n"
        "    PyTorch): sample n's losses are multiplied by sample_weight[n]; ``'mean'`` divides by\n"
        "    the sum of the weights broadcast over the other dimensions, ``'batchmean'`` by\n"
        "    Σ sample_weight."
    ),
    "sample_weight_row": (
        "sample_weight: optional weight per sample, shape (N,) for an (N, …) input: sample n's\n"
        "    divergence is multiplied by sample_weight[n] and ``'mean'`` divides by the sum of the\n"
        "    weights."
    ),
    "reduction_row": (
        "reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (default ``'mean'``): the divergence per\n"
        "    distribution, their mean over the batch, or their sum."
    ),
}


def _check_kl_reduction(reduction, fn: str) -> str:
    if not isinstance(reduction, str) or reduction not in KL_REDUCTIONS:
        raise ValueError(
            f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r} ({fn} also accepts "
            "'batchmean': the sum divided by the batch size, the divergence per sample)"
        )
    return reduction


def _check_dim(dim, x: Tensor, fn: str) -> int:
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{fn}: dim must be an int, got {type(dim).__name__} {dim!r}")
    if x.ndim == 0 or not -x.ndim <= dim < x.ndim:
        raise ValueError(f"{fn}: dim={dim} is out of range for an input with {x.ndim} dimension(s)")
    return int(dim)


def _check_target(target: Tensor, log_target: bool, fn: str) -> None:
    if log_target:
        _check_values(target, lambda a: a <= 0, fn, "target", "≤ 0 (log-probabilities, since log_target=True)",
                      "; pass probabilities with log_target=False instead")
    else:
        _check_values(target, lambda a: (a >= 0) & (a <= 1), fn, "target",
                      "probabilities in [0, 1] (since log_target=False)",
                      "; pass log-probabilities with log_target=True instead")


def _xlogy_self(t: Tensor) -> tuple[Tensor, np.ndarray]:
    """(t·log t with 0·log 0 = 0, the mask t > 0); the gradient log t + 1 where t > 0 and 0 at
    t = 0 (PyTorch's ``xlogy`` gives nan there: 0/0)."""
    pos = t.data > 0
    ts = _ops.where(pos, t, 1.0)  # log of a constant 1 where masked: no −inf in the graph
    return _ops.where(pos, ts * ts.log(), 0.0), pos


# ============================================================================ fused primitive
class JSDivergenceCore(Function):
    """Elementwise Jensen–Shannon terms from log-probabilities a = log p and a target given as
    probabilities q (``log_target=False``) or log-probabilities b = log q::

        log m = logaddexp(a, log q) − log 2                   (m = (p + q)/2)
        ℓ = ½ p (a − log m) + ½ q (log q − log m)               (a term is 0 where p or q is 0)

    Local derivatives (the terms in ∂ log m cancel: ½p + ½q = m)::

        ∂ℓ/∂a = ½ p (a − log m)        ∂ℓ/∂b = ½ q (b − log m)        ∂ℓ/∂q = ½ (log q − log m)

    ∂ℓ/∂q at q = 0 is −∞ in exact arithmetic; it is set to 0 there (as ``kl_div``'s target
    gradient at 0). With ``create_graph`` the same rule is recorded with Tensor ops (the
    mixture from exp, so second derivatives are right wherever p, q > 0).
    """

    def forward(self, a, t, log_target=False):
        self.log_target = log_target
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.exp(a)
            q, lq = (np.exp(t), t) if log_target else (t, np.log(t))
            lm = np.logaddexp(a, lq) - _LOG2
            tp = np.where(p > 0, p * (a - lm), 0.0)
            tq = np.where(q > 0, q * (lq - lm), 0.0)
        self.save_for_backward(a, t)
        self.parts = (p, q, lq, lm)
        return (0.5 * (tp + tq)).astype(a.dtype, copy=False)

    def backward(self, g):
        a, t = self.saved_tensors
        want_t = self.needs_input_grad(1)
        if self.ops is ArrayOps:
            p, q, lq, lm = self.parts
            with np.errstate(invalid="ignore"):
                ga = g * np.where(p > 0, 0.5 * p * (a - lm), 0.0)
                if not want_t:
                    return ga, None
                gt = np.where(q > 0, 0.5 * q * (lq - lm), 0.0) if self.log_target else \
                    np.where(q > 0, 0.5 * (lq - lm), 0.0)
            return ga, g * gt
        # create_graph: Tensor ops, every masked entry replaced by a harmless constant first so
        # that no −inf or 0·∞ enters the recorded graph (its derivatives would be nan)
        mp, mq = self.parts[0] > 0, self.parts[1] > 0
        a_s = _ops.where(mp, a, 0.0)
        p = _ops.where(mp, a_s.exp(), 0.0)
        if self.log_target:
            t_s = _ops.where(mq, t, 0.0)
            q = _ops.where(mq, t_s.exp(), 0.0)
        else:
            q = _ops.where(mq, t, 0.0)
            lq = _ops.where(mq, t, 1.0).log()
        lm = _ops.where(mp | mq, (p + q) * 0.5, 1.0).log()
        ga = g * _ops.where(mp, p * (a_s - lm) * 0.5, 0.0)
        if not want_t:
            return ga, None
        inner = q * (t_s - lm) * 0.5 if self.log_target else (lq - lm) * 0.5
        return ga, g * _ops.where(mq, inner, 0.0)


# ============================================================================ losses
@doc(**_FRAGMENTS)
def kl_div(input, target, *, reduction: str = "mean", log_target: bool = False,
           sample_weight=None) -> Tensor:
    r"""Kullback–Leibler divergence KL(target ‖ prediction), with PyTorch's conventions.

    Formula (unreduced, element i; input x = log-probabilities of the prediction)::

        log_target=False (y probabilities):       ℓᵢ = yᵢ·log yᵢ − yᵢ·xᵢ    (0 where yᵢ = 0)
        log_target=True  (y log-probabilities):   ℓᵢ = e^{yᵢ}·(yᵢ − xᵢ)
        ∂ℓᵢ/∂xᵢ = −yᵢ (resp. −e^{yᵢ})

    Reductions: ``'none'`` ℓ; ``'sum'`` Σℓ; ``'mean'`` Σℓ / (number of elements);
    ``'batchmean'`` Σℓ / N with N = input.shape[0] — the KL divergence per sample, which is what
    the mathematics means by KL (PyTorch's ``'mean'`` also divides by the number of classes).

    Args:
        input: log-probabilities log p of the prediction (e.g. ``ll.log_softmax(logits, 1)``);
            not checked, as in PyTorch.
        target: the reference distribution y: probabilities in [0, 1], or log-probabilities
            (≤ 0) with ``log_target=True``; same shape as ``input``. Gradients flow to it.
        reduction: ``'none'`` | ``'batchmean'`` | ``'sum'`` | ``'mean'`` (default ``'mean'``, as
            PyTorch; prefer ``'batchmean'``).
        log_target: whether ``target`` holds log-probabilities (default False).
        {sample_weight}

    Shape:
        input: any shape, typically (N, C). target: the input's shape.
        output: a scalar, or the input's shape with ``reduction='none'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import kl_div
        >>> logp = ll.log_softmax(ll.tensor([[0.0, 0.0]]), 1)
        >>> round(kl_div(logp, ll.tensor([[1.0, 0.0]]), reduction="batchmean").item(), 4)
        0.6931

    Note:
        * Equal to PyTorch's ``kl_div`` (values; gradients to input and target) for targets in
          (0, 1]. Target entries equal to 0 (or −inf with ``log_target=True``) contribute exactly
          0 (0·log 0 = 0), and their target gradient is 0. PyTorch agrees on the value for a
          target 0 but returns a nan target gradient there (0/0 in ``xlogy``'s backward), and
          its loss is nan for a log-target of −inf (e^{−inf}·(−inf − x) = 0·∞) or when a
          target 0 meets an input of −inf.
        * PyTorch warns that ``'mean'`` is not the KL divergence; losslab documents it instead
          (use ``'batchmean'``). Targets outside [0, 1] (or > 0 with ``log_target=True``) raise a
          ValueError; PyTorch computes with them.
        * Linear (hence convex) in the input; C∞. On the simplex the minimum 0 is at
          input = log target, but off the simplex the loss is unbounded below (it is linear in
          the input), so normalize the input with ``log_softmax``.

    References:
        Kullback & Leibler (1951), On Information and Sufficiency, Ann. Math. Statist. 22(1);
        PyTorch ``KLDivLoss``.
    """
    fn = "kl_div"
    input, target = _pair(input, target, fn)
    _check_kl_reduction(reduction, fn)
    _check_target(target, log_target, fn)
    if log_target:
        fin = target.data > -np.inf  # e^{-inf}·(−inf − x) is 0·inf: masked to 0 (p = 0 contributes 0)
        ts = _ops.where(fin, target, 0.0)
        loss = _ops.where(fin, ts.exp() * (ts - input), 0.0)
    else:
        tlogt, pos = _xlogy_self(target)
        xs = _ops.where(pos, input, 0.0)  # keeps 0·(−inf) out of the masked entries' gradient
        loss = _ops.where(pos, tlogt - target * xs, 0.0)  # PyTorch: xlogy(t, t) − t·x
    if reduction != "batchmean":
        return reduce(loss, reduction, sample_weight=sample_weight, fn=fn)
    if sample_weight is not None:
        sw = sample_weights(sample_weight, loss, fn)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (loss * sw).sum() / sw.sum()
    if input.ndim == 0:  # PyTorch: no batch dimension, no division
        return loss.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return loss.sum() / float(input.shape[0])


@doc(**_FRAGMENTS)
def generalized_kl_divergence(input, target, *, reduction: str = "mean", log_input: bool = True,
                              dim: int = -1, sample_weight=None) -> Tensor:
    r"""Generalized (unnormalized) KL divergence, or I-divergence, between positive measures.

    Formula (unreduced, per distribution n; x the predicted intensities, y the target)::

        ℓₙ = Σᵢ [ yᵢ·log(yᵢ / xᵢ) − yᵢ + xᵢ ]              (0·log 0 = 0)
        log_input=True (input a = log x):  ℓₙ = Σᵢ [ yᵢ·log yᵢ − yᵢ·aᵢ + e^{aᵢ} − yᵢ ]
        ∂ℓₙ/∂aᵢ = e^{aᵢ} − yᵢ       (log_input=False: ∂ℓₙ/∂xᵢ = 1 − yᵢ/xᵢ)

    Equal to KL(y ‖ x) when x and y both sum to 1; otherwise the extra terms Σ(x − y) keep it
    ≥ 0, with 0 exactly at x = y.

    Args:
        input: log-intensities a = log x (``log_input=True``, default; any real) or
            intensities x ≥ 0 (``log_input=False``).
        target: the target measure y ≥ 0 (need not sum to 1), same shape as ``input``.
            Gradients flow to it.
        {reduction_row}
        log_input: whether ``input`` holds log-intensities (default True, optax's convention).
        dim: the dimension summed over (default −1, optax's ``axis=-1``).
        {sample_weight_row}

    Shape:
        input: (*, D, *) with the summed axis at ``dim``. target: the input's shape.
        output: the input's shape without ``dim`` with ``reduction='none'``, else a scalar.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import generalized_kl_divergence
        >>> x, y = ll.tensor([[1.0, 2.0]]), ll.tensor([[1.0, 4.0]])
        >>> round(generalized_kl_divergence(x.log(), y).item(), 4)
        0.7726

    Note:
        * optax's ``generalized_kl_divergence(log_predictions, targets)`` (formerly
          ``convex_kl_divergence``) is this loss with ``reduction='none'``. Up to terms constant
          in the input it is Poisson's negative log-likelihood (``poisson_nll_loss``), summed.
        * Target entries equal to 0 contribute x (their y·log y is 0), and their gradient to the
          target is set to 0 (its exact value, log y − log x, is −∞). Negative targets (and,
          with ``log_input=False``, negative intensities) raise a ValueError.
        * Convex in the input for both parametrizations; C∞. With log-intensities the loss grows
          like e^a for large a (exp overflows above 709 in float64).

    References:
        Lee & Seung (2001), Algorithms for Non-negative Matrix Factorization, NIPS (the
        I-divergence); Boyd & Vandenberghe, Convex Optimization, p. 90; optax
        ``optax.losses.generalized_kl_divergence``.
    """
    fn = "generalized_kl_divergence"
    input, target = _pair(input, target, fn)
    check_reduction(reduction, fn)
    dim = _check_dim(dim, input, fn)
    _check_values(target, lambda a: a >= 0, fn, "target", "≥ 0 (a non-negative measure)")
    # The y-terms y·log y − y·log x − y only where y > 0 (0·log 0 = 0): the masked entries see
    # harmless constants, so neither the value nor a gradient meets 0·(−∞), and the gradient to
    # a target 0 is 0 (its exact value, log y − log x, is −∞).
    pos = target.data > 0
    ts = _ops.where(pos, target, 1.0)
    if log_input:
        log_x, x = _ops.where(pos, input, 0.0), input.exp()
    else:
        _check_values(input, lambda a: a >= 0, fn, "input", "≥ 0 (intensities, since log_input=False)",
                      "; pass log-intensities with log_input=True instead")
        log_x, x = _ops.where(pos, input, 1.0).log(), input
    terms = _ops.where(pos, ts * ts.log() - ts * log_x - ts, 0.0) + x
    return reduce(terms.sum(dim), reduction, sample_weight=sample_weight, fn=fn)


@doc(**_FRAGMENTS)
def js_divergence(input, target, *, reduction: str = "mean", log_target: bool = False,
                  dim: int = -1, sample_weight=None) -> Tensor:
    r"""Jensen–Shannon divergence between the predicted and the target distribution.

    Formula (unreduced, per distribution n; p = exp(input), q = target, m = (p + q)/2)::

        ℓₙ = ½ KL(p ‖ m) + ½ KL(q ‖ m)
           = ½ Σᵢ [ pᵢ·log(pᵢ/mᵢ) + qᵢ·log(qᵢ/mᵢ) ]          (0·log 0 = 0)
        ∂ℓₙ/∂(log pᵢ) = ½ pᵢ·log(pᵢ/mᵢ)      (then through the log_softmax of the input)

    Symmetric in p and q, 0 iff p = q, and at most log 2 (disjoint supports) for distributions.

    Args:
        input: log-probabilities log p of the prediction (e.g. ``ll.log_softmax(logits, -1)``),
            as ``kl_div`` takes them; −inf (p = 0) is allowed. The input is passed through
            ``log_softmax`` over ``dim`` first, which leaves log-probabilities unchanged, so
            logits are accepted as well.
        target: the reference distribution q: probabilities in [0, 1], or log-probabilities (≤ 0)
            with ``log_target=True``; same shape as ``input``. Gradients flow to it.
        {reduction_row}
        log_target: whether ``target`` holds log-probabilities (default False).
        dim: the distribution dimension summed over (default −1).
        {sample_weight_row}

    Shape:
        input: (*, C, *) with the distribution axis at ``dim``. target: the input's shape.
        output: the input's shape without ``dim`` with ``reduction='none'``, else a scalar.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import js_divergence
        >>> logp = ll.tensor([[0.0, float("-inf")]])       # p = (1, 0)
        >>> round(js_divergence(logp, ll.tensor([[0.0, 1.0]])).item(), 4)   # disjoint: log 2
        0.6931

    Note:
        * Log-probabilities as input (the choice made here) keep the gradient ½p·log(p/m) finite
          even where p → 0; on probabilities the derivative ½ log(p/m) is −∞ at p = 0. The
          mixture is computed as logaddexp(log p, log q) − log 2 in the fused
          :class:`JSDivergenceCore`.
        * Summed over ``dim``, so ``'mean'`` is the mean divergence per sample, bounded by log 2
          (unlike ``kl_div``'s elementwise ``'mean'``). The gradient to a probability target
          equal to 0 is set to 0 (its exact value is −∞).
        * The internal ``log_softmax`` makes the loss a function of the normalized prediction
          only: bounded in every direction of input space (without it, an unnormalized p = e^x
          would make the loss grow like e^x), and its gradient sums to 0 over ``dim``.
        * Bounded and C∞; convex in the probabilities p but not in the log-probabilities (the
          input).

    References:
        Lin (1991), Divergence measures based on the Shannon entropy, IEEE Trans. Inf. Theory
        37(1); Goodfellow et al. (2014), Generative Adversarial Nets (the GAN objective).
    """
    fn = "js_divergence"
    input, target = _pair(input, target, fn)
    check_reduction(reduction, fn)
    dim = _check_dim(dim, input, fn)
    _check_target(target, log_target, fn)
    # log_softmax leaves log-probabilities unchanged (up to rounding) and normalizes anything
    # else, so the loss stays a divergence between distributions (bounded by log 2) in every
    # direction of input space, not only on the simplex
    logp = _ops.log_softmax(input, dim)
    terms = JSDivergenceCore.apply(logp, target, log_target=bool(log_target))
    return reduce(terms.sum(dim), reduction, sample_weight=sample_weight, fn=fn)


# ============================================================================ classes
class KLDivLoss(_FamilyLoss):
    """KL divergence criterion; ``forward(input, target)`` is :func:`kl_div`.

    Args:
        size_average, reduce: deprecated (PyTorch's); they override ``reduction`` when given.
        reduction: ``'none'`` | ``'batchmean'`` | ``'sum'`` | ``'mean'``.
        log_target: whether the target holds log-probabilities (default False).

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import KLDivLoss
        >>> crit = KLDivLoss(reduction="batchmean", log_target=True)
        >>> logq = ll.log_softmax(ll.tensor([[1.0, 2.0]]), 1)
        >>> crit(logq, logq)
        tensor(0.)
    """

    _allowed = KL_REDUCTIONS

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False):
        if size_average is None and reduce is None:
            _check_kl_reduction(reduction, "KLDivLoss")
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target, *, sample_weight=None):
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target,
                      sample_weight=sample_weight)


class GeneralizedKLDivergence(_FamilyLoss):
    """Generalized KL criterion; ``forward(input, target)`` is :func:`generalized_kl_divergence`.

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        log_input: whether the input holds log-intensities (default True).
        dim: the dimension summed over (default −1).

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import GeneralizedKLDivergence
        >>> GeneralizedKLDivergence()(ll.tensor([[0.0, 0.0]]), ll.tensor([[1.0, 1.0]]))
        tensor(0.)
    """

    def __init__(self, reduction: str = "mean", log_input: bool = True, dim: int = -1):
        super().__init__(reduction=reduction)
        self.log_input, self.dim = log_input, dim

    def forward(self, input, target, *, sample_weight=None):
        return generalized_kl_divergence(input, target, reduction=self.reduction, log_input=self.log_input,
                                         dim=self.dim, sample_weight=sample_weight)


class JSDivergence(_FamilyLoss):
    """Jensen–Shannon criterion; ``forward(input, target)`` is :func:`js_divergence`.

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        log_target: whether the target holds log-probabilities (default False).
        dim: the distribution dimension (default −1).

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import JSDivergence
        >>> JSDivergence()(ll.tensor([[0.0, float("-inf")]]), ll.tensor([[1.0, 0.0]]))
        tensor(0.)
    """

    def __init__(self, reduction: str = "mean", log_target: bool = False, dim: int = -1):
        super().__init__(reduction=reduction)
        self.log_target, self.dim = log_target, dim

    def forward(self, input, target, *, sample_weight=None):
        return js_divergence(input, target, reduction=self.reduction, log_target=self.log_target,
                             dim=self.dim, sample_weight=sample_weight)
