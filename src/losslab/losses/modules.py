"""Thin loss classes with PyTorch's constructors: they store the options and call the function.

``MSELoss()(input, target)`` is ``mse_loss(input, target)``; nothing is computed here. The
classes are :class:`losslab.nn.Module` subclasses, so they nest in models, carry their class
weights as buffers (``state_dict()``, ``.to(dtype)``) and print like PyTorch's (``MSELoss()``).

Beyond PyTorch: the classification classes take ``forward(input, target, sample_weight=None)``
(per-sample weights of shape (N,), as Keras's ``loss(y, y_pred, sample_weight)``), and options
that PyTorch's class lacks come keyword-only after PyTorch's own constructor arguments
(``NLLLoss(..., *, label_smoothing=0.0)``), so PyTorch's positional order is unchanged.
"""
from __future__ import annotations

import warnings

from ..autograd.tensor import Tensor
from ..nn.module import Module
from ._reduction import check_reduction
from .classification import (
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, nll_loss,
)
from .regression import mse_loss

__all__ = ["MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss"]


def _legacy_reduction(size_average, reduce, reduction: str, owner: str) -> str:
    """PyTorch's mapping of the deprecated ``size_average``/``reduce`` pair to ``reduction``."""
    if size_average is None and reduce is None:
        return check_reduction(reduction, owner)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    new = "mean" if (size_average and reduce) else ("sum" if reduce else "none")
    warnings.warn(
        f"{owner}: size_average and reduce are deprecated (as in PyTorch); use reduction='{new}' instead",
        DeprecationWarning, stacklevel=4,
    )
    return new


def _as_buffer(value):
    if value is None or isinstance(value, Tensor):
        return value
    return Tensor(value)


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        self.reduction = _legacy_reduction(size_average, reduce, reduction, type(self).__name__)


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_buffer(weight))


class MSELoss(_Loss):
    """Mean squared error criterion; ``forward(input, target)`` is :func:`mse_loss`.

    Args:
        size_average, reduce: deprecated (PyTorch's); they override ``reduction`` when given.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import MSELoss
        >>> MSELoss()(ll.tensor([1.0, 3.0]), ll.tensor([1.0, 1.0]))
        tensor(2.)
    """

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target):
        return mse_loss(input, target, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities; ``forward`` is :func:`binary_cross_entropy`.

    Args:
        weight: optional rescaling weight per element (broadcast to the input).
        size_average, reduce: deprecated; they override ``reduction`` when given.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import BCELoss
        >>> loss = BCELoss()(ll.sigmoid(ll.tensor([0.0])), ll.tensor([1.0]))
        >>> round(loss.item(), 4)
        0.6931
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)

    def forward(self, input, target, sample_weight=None):
        return binary_cross_entropy(input, target, self.weight, reduction=self.reduction,
                                    sample_weight=sample_weight)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one stable formula; ``forward`` is
    :func:`binary_cross_entropy_with_logits`.

    Args:
        weight: optional rescaling weight per element.
        size_average, reduce: deprecated; they override ``reduction`` when given.
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        pos_weight: optional weight of positive examples, broadcast along the last dimension.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import BCEWithLogitsLoss
        >>> crit = BCEWithLogitsLoss(pos_weight=ll.tensor([2.0]))
        >>> round(crit(ll.tensor([0.0]), ll.tensor([1.0])).item(), 4)
        1.3863
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_buffer(weight))
        self.register_buffer("pos_weight", _as_buffer(pos_weight))

    def forward(self, input, target, sample_weight=None):
        return binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                pos_weight=self.pos_weight, sample_weight=sample_weight)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy on logits; ``forward`` is :func:`cross_entropy`.

    Args:
        weight: optional weight per class, shape (C,).
        size_average, reduce: deprecated; they override ``reduction`` when given.
        ignore_index: class index whose targets are skipped (default −100).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        label_smoothing: ε ∈ [0, 1], mixes the target with the uniform distribution ε/C.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import CrossEntropyLoss
        >>> crit = CrossEntropyLoss(label_smoothing=0.1)
        >>> crit
        CrossEntropyLoss()
        >>> round(crit(ll.tensor([[2.0, 0.0, 0.0]]), ll.tensor([0])).item(), 4)
        0.3729
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target, sample_weight=None):
        return cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing,
                             sample_weight=sample_weight)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood on log-probabilities; ``forward`` is :func:`nll_loss`.

    Args:
        weight: optional weight per class, shape (C,).
        size_average, reduce: deprecated; they override ``reduction`` when given.
        ignore_index: class index whose targets are skipped (default −100).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``.
        label_smoothing: keyword-only, beyond PyTorch's ``NLLLoss``: as in :func:`nll_loss`.

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import NLLLoss
        >>> NLLLoss()(ll.tensor([[-0.5, -1.0]]), ll.tensor([1]))
        tensor(1.)
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", *, label_smoothing: float = 0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target, sample_weight=None):
        return nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                        reduction=self.reduction, label_smoothing=self.label_smoothing,
                        sample_weight=sample_weight)
