"""Data types: NumPy dtypes under PyTorch's names, and the default floating dtype."""
from __future__ import annotations

import numpy as np

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

_DEFAULT = [float32]

_NAMES = {
    "float16": float16, "half": float16, "float32": float32, "float": float32,
    "float64": float64, "double": float64, "int32": int32, "int": int32, "int64": int64,
    "long": int64, "int8": int8, "uint8": uint8, "bool": bool_,
}


def get_default_dtype() -> np.dtype:
    """The dtype of floating tensors made from Python numbers (float32 unless changed)."""
    return _DEFAULT[0]


def set_default_dtype(dtype) -> None:
    """Set the dtype of floating tensors made from Python numbers (float32 or float64)."""
    d = resolve_dtype(dtype)
    if d not in (float32, float64):
        raise TypeError(f"set_default_dtype: expected float32 or float64, got {d}")
    _DEFAULT[0] = d


def resolve_dtype(dtype) -> np.dtype:
    """Turn ``ll.float32``, ``np.float32``, ``"float32"`` or a ``torch.float32`` into a NumPy dtype."""
    if dtype is None:
        return None
    if isinstance(dtype, str):
        key = dtype.removeprefix("torch.")
        if key in _NAMES:
            return _NAMES[key]
    elif type(dtype).__module__ == "torch":  # accept torch dtypes without importing torch
        key = str(dtype).removeprefix("torch.")
        if key in _NAMES:
            return _NAMES[key]
    else:
        try:
            d = np.dtype(dtype)
        except TypeError:
            d = None
        if d is not None and d.kind in "fiub":
            return d
    raise TypeError(
        f"dtype: expected one of {sorted(_NAMES)} (or the matching ll./np. dtype), got {dtype!r}"
    )


def is_floating(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _promote_pair(a, b):
    """PyTorch's promoteTypes: the higher category wins outright (int64 + float32 -> float32,
    unlike NumPy's float64); within one category the wider type (NumPy's rule agrees there)."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def result_type(*operands) -> np.dtype:
    """The dtype of an elementwise op on ``operands`` under PyTorch's promotion rules.

    ``operands`` are ndarrays (a Tensor's ``.data``) and Python numbers. As in PyTorch
    (``at::native::result_type``), operands come in three groups of decreasing say:

    1. arrays with at least one dimension;
    2. 0-d arrays (a 0-d Tensor or ``np.array(2.0)``);
    3. Python numbers (NumPy scalars are turned into Python numbers before they get here):
       ``bool`` -> bool, ``int`` -> int64, ``float`` -> the default dtype (float32).

    A lower group changes the result only if it is of a higher category (bool < integer <
    floating). So ``float32 * 2.0``, ``float32 * np.float64(2)`` and ``float32 * np.array(2.0)``
    stay float32, ``float32 * np.ones(3)`` (float64, 1-d) is float64, and ``int64 + 2.5`` is
    float32.
    """
    dim = zero = wrapped = None
    for x in operands:
        if isinstance(x, np.ndarray):
            if x.ndim:
                dim = _promote_pair(dim, x.dtype)
            else:
                zero = _promote_pair(zero, x.dtype)
        elif isinstance(x, bool):
            wrapped = _promote_pair(wrapped, bool_)
        elif isinstance(x, (int, np.integer)):
            wrapped = _promote_pair(wrapped, int64)
        else:
            wrapped = _promote_pair(wrapped, get_default_dtype())
    return _combine(dim, _combine(zero, wrapped))


def _combine(higher, lower):
    # at::native combine_categories: a lower-priority group counts only if it is of a higher
    # category (or the higher group is bool).
    if higher is None:
        return lower
    if lower is None or higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return _promote_pair(higher, lower)
    return higher
