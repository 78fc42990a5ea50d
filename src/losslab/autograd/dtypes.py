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
