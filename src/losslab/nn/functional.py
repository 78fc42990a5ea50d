"""``losslab.nn.functional`` (``F``): the stateless functions behind the layers, as in
``torch.nn.functional``.

The activations and ``linear`` are the engine's own ops (``losslab.autograd.ops``), re-exported
here so that ``import losslab.nn.functional as F`` reads as in PyTorch. ``dropout`` and the
``dim=None`` handling of ``softmax``/``log_softmax`` live here.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from .. import random as _random
from ..autograd.ops import (  # noqa: F401  (re-exports)
    elu, gelu, leaky_relu, linear, relu, sigmoid, softplus, tanh,
)
from ..autograd.ops import log_softmax as _log_softmax, softmax as _softmax
from ..autograd.function import Function
from ..autograd.tensor import Tensor

__all__ = [
    "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus", "softmax", "log_softmax",
    "linear", "dropout",
]


def _implicit_softmax_dim(ndim: int, fn: str) -> int:
    """PyTorch's legacy rule for ``dim=None``: 0 for 0-, 1- and 3-D inputs, else 1 (with a warning)."""
    dim = 0 if ndim in (0, 1, 3) else 1
    warnings.warn(
        f"Implicit dimension choice for {fn} has been deprecated. Change the call to include "
        f"dim={dim} as an argument.", UserWarning, stacklevel=3,
    )
    return dim


def softmax(input, dim=None, dtype=None):
    """exp(xᵢ) / Σⱼ exp(xⱼ) along ``dim`` (max-subtracted, never overflows).

    Args:
        input: Tensor.
        dim: the dimension that sums to 1. ``None`` picks it as PyTorch's legacy rule does
            (0 for 0-, 1- and 3-D inputs, else 1) and warns; pass it explicitly.
        dtype: optional dtype to cast the input to first.

    Shape: output has the shape of ``input``.

    Example:
        >>> import losslab.nn.functional as F
        >>> F.softmax(ll.tensor([[0.0, 0.0]]), dim=1).tolist()
        [[0.5, 0.5]]
    """
    if dim is None:
        dim = _implicit_softmax_dim(input.ndim, "softmax")
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, dtype=None):
    """log softmax along ``dim``: x − logsumexp(x) (finite for any logits).

    Args: as :func:`softmax` (``dim=None`` follows PyTorch's legacy rule, with a warning).

    Example:
        >>> import losslab.nn.functional as F
        >>> F.log_softmax(ll.tensor([1.0, 1.0]), dim=0).exp().tolist()
        [0.5, 0.5]
    """
    if dim is None:
        dim = _implicit_softmax_dim(input.ndim, "log_softmax")
    return _log_softmax(input, dim, dtype=dtype)


def _check_p(p, fn: str = "dropout") -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not (0.0 <= p <= 1.0):
        raise ValueError(f"{fn}: dropout probability has to be between 0 and 1, but got {p!r}")
    return p


def _dropout_mask(shape, dt: np.dtype, p: float) -> np.ndarray:
    """m / (1 − p) with m ~ Bernoulli(1 − p) from ``ll.random.generator()`` (zeros for p = 1)."""
    if p == 1:
        return np.zeros(shape, dtype=dt)
    keep = _random.generator().random(shape) < (1.0 - p)
    return keep.astype(dt) * dt.type(1.0 / (1.0 - p))


class InvertedDropout(Function):
    """x · m / (1 − p) with a fresh mask m ~ Bernoulli(1 − p) drawn in ``forward`` from
    ``ll.random.generator()``.  ∂/∂x = m / (1 − p).

    The same operations as ``x * Tensor(mask)`` (a constant mask times the input), so the same
    numbers; as one op that draws its own mask it can be replayed by ``compile_step`` (a mask
    made in the wrapper would be frozen at capture), and a replay draws from the generator in the
    eager step's order."""

    capturable = True  # its input and p decide everything but the draw, which forward makes
    #: forward draws from the global generator: a replay that is abandoned (a refused check)
    #: puts the generator back before the eager step redraws (compile_step, fit)
    draws_random = True

    def forward(self, x, p=0.5):
        mask = _dropout_mask(x.shape, x.dtype, p)
        self.save_for_backward(mask)
        return x * mask

    def backward(self, g):
        (mask,) = self.saved_tensors
        return g * mask


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by 1/(1−p).

    Formula: y = x · m / (1 − p), m ~ Bernoulli(1 − p) elementwise; E[y] = x. With
    ``training=False`` (or p = 0) y = x (the input itself); with p = 1, y = 0.

    Args:
        input: floating Tensor.
        p: drop probability in [0, 1].
        training: apply dropout (True) or return the input unchanged (False).
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.

    Shape: output has the shape of ``input``.

    Example:
        >>> import losslab.nn.functional as F
        >>> _ = ll.manual_seed(0)
        >>> y = F.dropout(ll.ones(1000), p=0.2)
        >>> float((y == 0).float().mean()) < 0.3
        True

    Note:
        The mask comes from ``ll.random.generator()`` (seed with ``ll.manual_seed``), drawn by
        the op :class:`InvertedDropout` (so ``compile_step`` can replay it); the result is
        ``input * constant_mask``, so the gradient is the mask scaled by 1/(1−p).
        ``inplace=True`` does not modify ``input`` (in-place ops on graph tensors are refused in
        losslab).
    """
    p = _check_p(p)
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout: input must be a Tensor, got {type(input).__name__}")
    if not training or p == 0:
        return input
    if input.dtype.kind == "f":
        return InvertedDropout.apply(input, p=float(p))
    # integer input: a float32 mask, and the product promoted as for any other tensor
    return input * Tensor._wrap(_dropout_mask(input.shape, np.dtype(np.float32), p))


# -- loss functions -------------------------------------------------------------------------
# Every loss enrolled in losslab.losses' registry (mse_loss, binary_cross_entropy,
# binary_cross_entropy_with_logits, cross_entropy, nll_loss, …) is also ``F.<name>``, as in
# torch.nn.functional. Looked up on first access (PEP 562 module ``__getattr__``), not imported
# here: losslab.losses imports losslab.nn (its classes are Modules), so an eager import would be
# circular and, in one import order, would silently miss names. If losslab.losses is absent
# the names simply don't exist.

def _loss_registry() -> dict:
    try:
        from ..losses.registry import LOSS_REGISTRY
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith(__package__.rpartition(".")[0] + ".losses"):
            return {}
        raise
    return LOSS_REGISTRY


def __getattr__(name: str):
    if not name.startswith("_"):
        info = _loss_registry().get(name)
        if info is not None:
            return info.fn
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_loss_registry()))
