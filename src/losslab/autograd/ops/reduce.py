"""Reductions and the fused normalisers (logsumexp, softmax, log_softmax).

Ties: ``amax``/``amin`` and ``max()``/``min()`` over all elements share the gradient equally among
the tied maxima (PyTorch's ``evenly_distribute``); ``max(dim)``/``min(dim)`` send it to the one
index they return (PyTorch's value-selecting rule).
"""
from __future__ import annotations

import builtins
import math
import warnings
from collections import namedtuple

import numpy as np

from ..function import Function
from ..tensor import Tensor
from .movement import gather, reshape, unsqueeze

__all__ = [
    "sum", "mean", "var", "std", "max", "min", "amax", "amin", "argmax", "argmin", "prod", "norm",
    "logsumexp", "softmax", "log_softmax",
]

MaxResult = namedtuple("MaxResult", ["values", "indices"])


def normalize_dims(dim, ndim: int, fn: str) -> tuple | None:
    """``dim`` (None, int or sequence) as a sorted tuple of non-negative axes, checked."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if len(dims) == 0:
        return None
    out = []
    for d in dims:
        if not isinstance(d, (int, np.integer)):
            raise TypeError(f"{fn}: dim must be an int or a tuple of ints, got {dim!r}")
        lim = builtins.max(ndim, 1)
        if not -lim <= d < lim:
            raise IndexError(
                f"{fn}: dim {d} is out of range for a tensor with {ndim} dimension(s) "
                f"(expected a value in [{-lim}, {lim - 1}])"
            )
        out.append(int(d) % lim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{fn}: dim {dim!r} names the same dimension twice")
    if ndim == 0:
        return None  # a 0-d tensor accepts dim 0 / -1 (as PyTorch): reducing it is the identity
    return tuple(sorted(out))


def one_dim(dim, ndim: int, fn: str) -> int:
    """A single ``dim`` (for max/min/argmax/prod/softmax with a dim), checked and made non-negative."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{fn}: dim must be a single int here, got {dim!r}")
    axes = normalize_dims(dim, ndim, fn)
    return None if axes is None else axes[0]  # None for a 0-d tensor


def _kept_shape(shape, axes):
    """The shape of a keepdim reduction over ``axes`` (None = all)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _expand_back(ops, g, in_shape, axes, keepdim):
    """Broadcast a reduced gradient back to the input shape (adjoint of a sum)."""
    if not keepdim:
        g = ops.reshape(g, _kept_shape(in_shape, axes))
    return ops.broadcast_to(g, in_shape)


class Sum(Function):
    """Σ over ``dim``.  ∂/∂xᵢ = 1: the gradient is broadcast back."""

    capturable = True  # a pure function of its input and static axes (autograd/capture.py)

    def forward(self, x, axes=None, keepdim=False):
        self.in_shape, self.axes, self.keepdim = x.shape, axes, keepdim
        return np.sum(x, axis=axes, keepdims=keepdim)

    def backward(self, g):
        return _expand_back(self.ops, g, self.in_shape, self.axes, self.keepdim)


class Mean(Function):
    """Mean over ``dim``.  ∂/∂xᵢ = 1/n."""

    capturable = True  # a pure function of its input and static axes (autograd/capture.py)

    def forward(self, x, axes=None, keepdim=False):
        self.in_shape, self.axes, self.keepdim = x.shape, axes, keepdim
        n = x.size if axes is None else math.prod(x.shape[a] for a in axes)
        self.n = n or 1
        if n == 0 or x.dtype.kind != "f":  # np.mean: nan for no elements; float64 for integers
            with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)  # "Mean of empty slice": torch is silent
                return np.mean(x, axis=axes, keepdims=keepdim)
        # add.reduce / n is np.mean's own pairwise sum without its Python-level wrapper (~10 µs).
        return np.add.reduce(x, axis=axes, keepdims=keepdim) / x.dtype.type(n)

    def backward(self, g):
        return _expand_back(self.ops, g, self.in_shape, self.axes, self.keepdim) * (1.0 / self.n)


class AMax(Function):
    """Maximum over ``dim``; the gradient is shared equally by tied maxima (PyTorch ``amax``)."""

    def forward(self, x, axes=None, keepdim=False, largest=True):
        red = np.max if largest else np.min
        out_k = red(x, axis=axes, keepdims=True)
        mask = x == out_k
        self.share = mask / np.sum(mask, axis=axes, keepdims=True)
        self.in_shape, self.axes, self.keepdim = x.shape, axes, keepdim
        return out_k if keepdim else (out_k.reshape(()) if axes is None else np.squeeze(out_k, axes))

    def backward(self, g):
        return _expand_back(self.ops, g, self.in_shape, self.axes, self.keepdim) * self.share


class Prod(Function):
    """Product over ``dim``.  ∂/∂xᵢ = Π_{j≠i} xⱼ, computed from prefix and suffix products so that
    zeros in the input are exact (no division by xᵢ)."""

    def forward(self, x, axis=None, keepdim=False):
        self.in_shape, self.axis, self.keepdim = x.shape, axis, keepdim
        out = np.prod(x, axis=axis, keepdims=keepdim)
        self.save_for_backward(x, out)
        return out

    def backward(self, g):
        x, out = self.saved_tensors
        axes = None if self.axis is None else (self.axis,)
        g_full = _expand_back(self.ops, g, self.in_shape, axes, self.keepdim)
        if isinstance(x, Tensor):  # higher order: out/x is differentiable, exact without zeros
            if np.any(x.data == 0):
                raise NotImplementedError(
                    "prod: higher-order gradients at an input containing zeros are not supported"
                )
            o = _expand_back(self.ops, out, self.in_shape, axes, self.keepdim)
            return g_full * o / x
        flat = x.reshape(-1) if self.axis is None else np.moveaxis(x, self.axis, -1)
        ones = np.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
        before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = before * after
        others = others.reshape(self.in_shape) if self.axis is None else np.moveaxis(others, -1, self.axis)
        return g_full * others


class Norm(Function):
    """Vector p-norm over ``dim``: (Σ|xᵢ|ᵖ)^{1/p}; p = inf is max |xᵢ|.

    ∂/∂xᵢ = sign(xᵢ)|xᵢ|^{p−1} / ‖x‖^{p−1}; for p = 2 that is xᵢ/‖x‖. Where ‖x‖ = 0 the gradient
    is 0 (PyTorch's convention; the true derivative does not exist there), and an element xᵢ = 0
    gets 0 for every p (also p < 1, where |x|^{p−1} would be inf). p = 1 gives sign(xᵢ);
    p = inf shares the gradient among the tied maxima of |x|.
    """

    def forward(self, x, p=2.0, axes=None, keepdim=False):
        self.p, self.axes, self.keepdim, self.in_shape = p, axes, keepdim, x.shape
        ax = np.abs(x)
        if p == np.inf:
            out = np.max(ax, axis=axes, keepdims=keepdim)
        elif p == 2:
            out = np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdim))
        elif p == 1:
            out = np.sum(ax, axis=axes, keepdims=keepdim)
        else:
            out = np.sum(ax ** p, axis=axes, keepdims=keepdim) ** (1.0 / p)
        self.save_for_backward(x, out)
        return out

    def backward(self, g):
        x, out = self.saved_tensors
        ops, p = self.ops, self.p
        g_full = _expand_back(ops, g, self.in_shape, self.axes, self.keepdim)
        if p == 1:
            return g_full * ops.sign(x)
        n_full = _expand_back(ops, out, self.in_shape, self.axes, self.keepdim)
        n_arr = n_full.data if isinstance(n_full, Tensor) else n_full
        zero = n_arr == 0
        safe = ops.where(zero, 1.0, n_full)
        if p == np.inf:
            xa = x.data if isinstance(x, Tensor) else x
            mask = np.abs(xa) == n_arr
            share = mask / np.sum(mask, axis=self.axes, keepdims=True)
            return ops.where(zero, 0.0, g_full * ops.sign(x) * share)
        if p == 2:
            return ops.where(zero, 0.0, g_full * x / safe)
        # sign(x)·|x|^(p−1) rather than x·|x|^(p−2): the latter is 0·inf = nan at xᵢ = 0 for
        # p < 2 (PyTorch's linalg_vector_norm_backward gives 0 there). |x| is replaced by 1 at
        # xᵢ = 0 (where sign(x) = 0 anyway) so that p < 1 gives no inf either.
        xa = x.data if isinstance(x, Tensor) else x
        safe_abs = ops.where(xa == 0, 1.0, ops.abs(x))
        return ops.where(zero, 0.0, g_full * ops.sign(x) * safe_abs ** (p - 1) / safe ** (p - 1))


class LogSumExp(Function):
    """log Σ exp(xᵢ), computed as m + log Σ exp(xᵢ − m) with m = max x so nothing overflows.
    ∂/∂xᵢ = exp(xᵢ − out) = softmax(x)ᵢ."""

    def forward(self, x, axes=None, keepdim=False):
        self.axes, self.keepdim, self.in_shape = axes, keepdim, x.shape
        m = np.max(x, axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)  # all -inf slice: keep -inf, not nan
        out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        if not keepdim:
            out = out.reshape(()) if axes is None else np.squeeze(out, axes)
        # Save the very array returned, so that with create_graph the output is seen as a
        # function of x (a reshaped copy would be taken for a constant).
        self.save_for_backward(x, out)
        return out

    def backward(self, g):
        x, out = self.saved_tensors
        ops = self.ops
        g_full = _expand_back(ops, g, self.in_shape, self.axes, self.keepdim)
        out_full = _expand_back(ops, out, self.in_shape, self.axes, self.keepdim)
        return g_full * ops.exp(x - out_full)


class Softmax(Function):
    """softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m), m = max x (no overflow).
    Backward: yᵢ(gᵢ − Σⱼ gⱼyⱼ)."""

    def forward(self, x, dim=-1):
        self.dim = dim
        e = np.exp(x - np.max(x, axis=dim, keepdims=True))
        out = e / np.sum(e, axis=dim, keepdims=True)
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (y,) = self.saved_tensors
        gy = g * y
        return gy - y * self.ops.sum(gy, self.dim, True)


class LogSoftmax(Function):
    """log_softmax(x) = x − logsumexp(x), fused so that it is finite for any logits.
    Backward: gᵢ − softmax(x)ᵢ·Σⱼ gⱼ."""

    def forward(self, x, dim=-1):
        self.dim = dim
        shifted = x - np.max(x, axis=dim, keepdims=True)
        out = shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        self.save_for_backward(out)
        return out

    def backward(self, g):
        (out,) = self.saved_tensors
        return g - self.ops.exp(out) * self.ops.sum(g, self.dim, True)


# ----------------------------------------------------------------------------- public API
def _x(input):
    if not isinstance(input, Tensor):
        raise TypeError(f"expected a Tensor, got {type(input).__name__}; wrap it with ll.tensor(...)")
    return input


def sum(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Sum of elements, over all of them or over ``dim`` (int or tuple)."""
    axes = normalize_dims(dim, _x(input).ndim, "sum")
    out = Sum.apply(input, axes=axes, keepdim=keepdim)
    return out if dtype is None else out.to(dtype)


def mean(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Arithmetic mean over all elements or over ``dim``."""
    if _x(input).dtype.kind != "f":
        raise TypeError(f"mean: expected a floating tensor, got dtype {input.dtype}; call .float() first")
    axes = normalize_dims(dim, input.ndim, "mean")
    return Mean.apply(input, axes=axes, keepdim=keepdim)


def var(input, dim=None, *, correction: int = 1, keepdim: bool = False, unbiased: bool | None = None):
    """Variance Σ(xᵢ − x̄)² / (n − correction); ``correction=1`` (Bessel) is PyTorch's default.
    Composite of mean, subtraction, square and sum."""
    if unbiased is not None:
        correction = 1 if unbiased else 0
    axes = normalize_dims(dim, _x(input).ndim, "var")
    n = input.data.size if axes is None else int(np.prod([input.shape[a] for a in axes]))
    centered = input - Mean.apply(input, axes=axes, keepdim=True)
    return Sum.apply(centered * centered, axes=axes, keepdim=keepdim) / builtins.max(n - correction, 0)


def std(input, dim=None, *, correction: int = 1, keepdim: bool = False, unbiased: bool | None = None):
    """Standard deviation, √var (same ``correction`` rule).

    Note: where the deviation is exactly 0 (a constant slice) the gradient is 0, as PyTorch's
    ``std_backward`` masks it; the plain chain rule would give inf·0 = nan there.
    """
    from .elementwise import sqrt, where
    v = var(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased)
    nz = v.data != 0
    if nz.all():
        return sqrt(v)
    # sqrt of 1 where v = 0 keeps inf out of the unused branch; v itself (= 0) is passed there,
    # whose gradient is 0 because every centred value of a constant slice is 0.
    return where(nz, sqrt(where(nz, v, 1.0)), v)


def _select(input, dim, keepdim, largest, fn):
    d = one_dim(dim, _x(input).ndim, fn)
    if d is None:  # 0-d input: the value itself, index 0 (PyTorch)
        from .elementwise import clone
        return MaxResult(clone(input), Tensor._wrap(np.zeros((), dtype=np.int64)))
    idx = (np.argmax if largest else np.argmin)(input.data, axis=d, keepdims=True)
    values = gather(input, d, idx)
    if not keepdim:
        values = reshape(values, tuple(n for i, n in enumerate(values.shape) if i != d))
        idx = np.squeeze(idx, d)
    return MaxResult(values, Tensor._wrap(idx.astype(np.int64)))


def max(input, dim=None, keepdim: bool = False):
    """``max(x)`` → the largest element (gradient shared among ties); ``max(x, dim)`` →
    ``(values, indices)`` with the gradient sent to the returned index. With a Tensor as the
    second argument it is the elementwise ``maximum``."""
    if isinstance(dim, Tensor):
        from .elementwise import maximum
        return maximum(input, dim)
    if dim is None:
        return AMax.apply(input, axes=None, keepdim=False, largest=True)
    return _select(input, dim, keepdim, True, "max")


def min(input, dim=None, keepdim: bool = False):
    """Mirror of :func:`max`."""
    if isinstance(dim, Tensor):
        from .elementwise import minimum
        return minimum(input, dim)
    if dim is None:
        return AMax.apply(input, axes=None, keepdim=False, largest=False)
    return _select(input, dim, keepdim, False, "min")


def amax(input, dim=(), keepdim: bool = False):
    """Maximum over ``dim`` (all when empty); ties share the gradient equally."""
    return AMax.apply(input, axes=normalize_dims(dim, _x(input).ndim, "amax"), keepdim=keepdim, largest=True)


def amin(input, dim=(), keepdim: bool = False):
    """Minimum over ``dim`` (all when empty); ties share the gradient equally."""
    return AMax.apply(input, axes=normalize_dims(dim, _x(input).ndim, "amin"), keepdim=keepdim, largest=False)


def argmax(input, dim=None, keepdim: bool = False):
    """Index of the largest element (first on ties), flattened when ``dim`` is None. No gradient."""
    if dim is None:
        return Tensor._wrap(np.asarray(np.argmax(_x(input).data), dtype=np.int64))
    d = one_dim(dim, input.ndim, "argmax")
    return Tensor._wrap(np.argmax(input.data, axis=d, keepdims=keepdim).astype(np.int64))


def argmin(input, dim=None, keepdim: bool = False):
    if dim is None:
        return Tensor._wrap(np.asarray(np.argmin(_x(input).data), dtype=np.int64))
    d = one_dim(dim, input.ndim, "argmin")
    return Tensor._wrap(np.argmin(input.data, axis=d, keepdims=keepdim).astype(np.int64))


def prod(input, dim=None, keepdim: bool = False):
    """Product of elements (all, or along one ``dim``); exact gradients with zeros present.

    Note: first derivatives use prefix/suffix products, so zeros are exact (∂/∂xᵢ = Π_{j≠i} xⱼ,
    as PyTorch). Second derivatives (create_graph) at an input containing a zero raise
    NotImplementedError.
    """
    axis = None if dim is None else one_dim(dim, _x(input).ndim, "prod")
    return Prod.apply(input, axis=axis, keepdim=keepdim)


def norm(input, p=2, dim=None, keepdim: bool = False):
    """Vector p-norm (``p`` a positive number, ``"fro"`` = 2, or ``inf``); gradient 0 at x = 0."""
    if p == "fro":
        p = 2
    if isinstance(p, str) or not (p == np.inf or p > 0):
        raise ValueError(f"norm: p must be a positive number, 'fro' or inf, got {p!r}")
    axes = normalize_dims(dim, _x(input).ndim, "norm")
    return Norm.apply(input, p=float(p), axes=axes, keepdim=keepdim)


def logsumexp(input, dim=None, keepdim: bool = False):
    """log Σ exp(x) over ``dim`` (all when None), stable for any input."""
    axes = normalize_dims(dim, _x(input).ndim, "logsumexp")
    return LogSumExp.apply(input, axes=axes, keepdim=keepdim)


def _softmax_dim(input, dim, fn):
    if dim is None:
        raise TypeError(f"{fn}: pass dim explicitly (e.g. dim=-1 for the class dimension)")
    return one_dim(dim, _x(input).ndim, fn)


def softmax(input, dim, dtype=None):
    """exp(xᵢ)/Σⱼexp(xⱼ) along ``dim``; max-subtracted so it never overflows."""
    if dtype is not None:
        input = input.to(dtype)
    return Softmax.apply(input, dim=_softmax_dim(input, dim, "softmax"))


def log_softmax(input, dim, dtype=None):
    """log softmax along ``dim``, computed as x − logsumexp(x) (finite for any logits)."""
    if dtype is not None:
        input = input.to(dtype)
    return LogSoftmax.apply(input, dim=_softmax_dim(input, dim, "log_softmax"))
