"""Tensor factories with PyTorch's names: zeros, ones, full, arange, randn, rand, …"""
from __future__ import annotations

import numpy as np

from .. import random as _random
from . import dtypes
from .tensor import Tensor

__all__ = [
    "zeros", "ones", "full", "empty", "arange", "linspace", "eye", "randn", "rand", "randint",
    "randperm", "zeros_like", "ones_like", "full_like", "randn_like", "rand_like",
]


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"size: expected non-negative ints, got {size!r}")
    return tuple(int(s) for s in size)


def _or(dtype, fallback):
    """``resolve_dtype(dtype)``, or ``fallback`` when it is None. Explicit, never ``d or fallback``:
    the truth value of a NumPy dtype is not reliably True across NumPy versions (``len(dtype)``
    is 0 for plain dtypes)."""
    d = dtypes.resolve_dtype(dtype)
    return fallback if d is None else d


def _float_dtype(dtype):
    return _or(dtype, dtypes.get_default_dtype())


def _make(arr, requires_grad):
    return Tensor(arr, requires_grad=requires_grad)


def zeros(*size, dtype=None, requires_grad=False):
    return _make(np.zeros(_size(size), _float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    return _make(np.ones(_size(size), _float_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad=False):
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    if dtype is None:
        dtype = np.int64 if isinstance(fill_value, (int, np.integer)) and not isinstance(fill_value, bool) \
            else (np.bool_ if isinstance(fill_value, bool) else None)
    return _make(np.full(_size((size,)), fill_value, _float_dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Values from ``start`` (default 0) up to but excluding ``end``; int64 for integer arguments."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    d = _or(dtype, dtypes.int64 if ints else dtypes.get_default_dtype())
    return _make(np.arange(start, end, step).astype(d), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    return _make(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return _make(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    """Standard normal samples from the global generator (see ``ll.manual_seed``)."""
    arr = _random.generator().standard_normal(_size(size)).astype(_float_dtype(dtype))
    return _make(arr, requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """Uniform samples on [0, 1) from the global generator."""
    arr = _random.generator().random(_size(size)).astype(_float_dtype(dtype))
    return _make(arr, requires_grad)


def randint(low, high=None, size=(), dtype=None):
    if high is None:
        low, high = 0, low
    arr = _random.generator().integers(low, high, _size((size,)) if not isinstance(size, tuple) else _size(size))
    return Tensor(arr.astype(_or(dtype, dtypes.int64)))


def randperm(n, dtype=None):
    return Tensor(_random.generator().permutation(n).astype(_or(dtype, dtypes.int64)))


def zeros_like(input, dtype=None, requires_grad=False):
    return _make(np.zeros(input.shape, _or(dtype, input.dtype)), requires_grad)


def ones_like(input, dtype=None, requires_grad=False):
    return _make(np.ones(input.shape, _or(dtype, input.dtype)), requires_grad)


def full_like(input, fill_value, dtype=None, requires_grad=False):
    return _make(np.full(input.shape, fill_value, _or(dtype, input.dtype)), requires_grad)


def randn_like(input, dtype=None, requires_grad=False):
    return randn(*input.shape, dtype=_or(dtype, input.dtype), requires_grad=requires_grad)


def rand_like(input, dtype=None, requires_grad=False):
    return rand(*input.shape, dtype=_or(dtype, input.dtype), requires_grad=requires_grad)
