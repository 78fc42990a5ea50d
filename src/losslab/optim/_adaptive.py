"""Private helpers shared by the adaptive optimizers (Adagrad, RMSprop, Adam, AdamW, Adadelta,
Adamax, NAdam, RAdam): hyperparameter checks with PyTorch's conditions and clear messages, the
``step`` counter kept as PyTorch keeps it, PyTorch's ``lerp`` rounding, and the handling of the
named textbook conventions (options stored in a param group only when they differ from PyTorch's,
so that a default optimizer's ``state_dict`` is key for key ``torch.optim``'s)."""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..autograd import Tensor
from ..autograd.dtypes import float64, get_default_dtype

__all__: list[str] = []


# -- scalars ----------------------------------------------------------------------------------
def is_real(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def num(x: Any) -> float:
    """A hyperparameter as a Python float (a 1-element Tensor or ndarray is read with ``item``)."""
    if isinstance(x, Tensor):
        return float(x.item())
    if isinstance(x, np.ndarray):
        return float(x.reshape(-1)[0])
    return float(x)


def scalar_dtype() -> np.dtype:
    """dtype of the 0-d ``step`` (and NAdam's ``mu_product``) state: float32, or float64 when the
    default dtype is float64, as ``torch.optim.optimizer._get_scalar_dtype``."""
    return np.dtype(np.float64) if get_default_dtype() == float64 else np.dtype(np.float32)


def new_step() -> np.ndarray:
    """A fresh ``state['step']``: a 0-d array holding 0 (PyTorch keeps a 0-d tensor)."""
    return np.zeros((), dtype=scalar_dtype())


def advance_step(state: dict) -> float:
    """Add 1 to ``state['step']`` in place and return the new count as a float. A plain number
    (an old-format state dict) is turned into a 0-d array first."""
    s = state.get("step")
    if not isinstance(s, np.ndarray) or s.shape != ():
        s = np.array(num(s) if s is not None else 0.0, dtype=scalar_dtype())
        state["step"] = s
    s += 1
    return float(s)


# -- array helpers ----------------------------------------------------------------------------
def as_param_dtype(param: np.ndarray, grad: np.ndarray, maximize: bool, fn: str) -> np.ndarray:
    """The gradient in the parameter's dtype, negated when maximising; never the caller's array
    when it has to change (so ``p.grad`` is not modified)."""
    grad = np.asarray(grad)
    if grad.shape != param.shape:
        raise ValueError(f"{fn}: grad has shape {grad.shape} but param has shape {param.shape}")
    g = grad if grad.dtype == param.dtype else grad.astype(param.dtype)
    return -g if maximize else g


def state_array(arr: np.ndarray | None, param: np.ndarray, name: str, fn: str,
                fill: float = 0.0) -> np.ndarray:
    """``arr`` checked against the parameter's shape, or a new array of ``fill`` (the kernels'
    lazy initialisation when a state array is passed as None)."""
    if arr is None:
        return np.full_like(param, fill)
    if not isinstance(arr, np.ndarray) or arr.shape != param.shape:
        shape = getattr(arr, "shape", type(arr).__name__)
        raise ValueError(f"{fn}: {name} has shape {shape} but param has shape {param.shape}")
    return arr


def scratch_for(opt, param: np.ndarray) -> np.ndarray:
    """A work array of ``param``'s shape and dtype for an in-place update kernel: a view of one
    flat buffer per dtype that the optimizer keeps (outside its ``state``, so ``state_dict`` is
    unchanged) and grows to its largest parameter, so one buffer serves every parameter."""
    pool = opt.__dict__.get("_scratch")
    if pool is None:
        pool = opt.__dict__["_scratch"] = {}
    flat = pool.get(param.dtype)
    n = param.size
    if flat is None or flat.size < n:
        flat = pool[param.dtype] = np.empty(n, dtype=param.dtype)
    return flat[:n].reshape(param.shape)


def lerp_(a: np.ndarray, b: np.ndarray, w: float) -> None:
    """``a ← a + w·(b − a)`` in place, rounded as ``torch.lerp`` rounds it (ATen ``lerp``: the
    form ``b − (b − a)(1 − w)`` when |w| ≥ 0.5, which is exact at w = 1)."""
    if abs(w) < 0.5:
        a += w * (b - a)
    else:
        a[...] = b - (b - a) * (1 - w)


# -- validation -------------------------------------------------------------------------------
def check_lr(o: dict, where: str) -> None:
    lr = o["lr"]
    if isinstance(lr, Tensor):
        if lr.numel() != 1:
            raise ValueError(f"{where}: Tensor lr must be 1-element, got shape {lr.shape}")
        v = float(lr.item())
    elif is_real(lr):
        v = float(lr)
    else:
        raise TypeError(f"{where}: lr must be a real number (or a 1-element Tensor), got {lr!r}")
    if not 0.0 <= v < math.inf:  # NaN fails both comparisons; an infinite lr makes every step inf
        raise ValueError(f"{where}: Invalid learning rate: lr={lr!r}; expected a finite number >= 0")


def check_range(o: dict, name: str, where: str, *, lo: float = 0.0, hi: float | None = None,
                hi_open: bool = False, label: str | None = None) -> None:
    """``o[name]`` is a real number with lo ≤ value (≤ or <) hi; NaN is refused."""
    v = o[name]
    if not is_real(v):
        raise TypeError(f"{where}: {name} must be a real number, got {v!r}")
    ok = v >= lo and (v < math.inf if hi is None else (v < hi if hi_open else v <= hi))
    if not ok:
        expected = (f"{lo} <= {name} {'<' if hi_open else '<='} {hi}" if hi is not None
                    else f"a finite number >= {lo}")
        raise ValueError(f"{where}: Invalid {label or name} value: {name}={v!r}; expected {expected}")


def check_betas(o: dict, where: str) -> None:
    betas = o["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(
            f"{where}: betas must be a pair (beta1, beta2) of numbers in [0, 1), got {betas!r}")
    for i, b in enumerate(betas):
        if isinstance(b, Tensor):
            if b.numel() != 1:
                raise ValueError(f"{where}: Tensor betas[{i}] must be 1-element, got shape {b.shape}")
            v = float(b.item())
        elif is_real(b):
            v = float(b)
        else:
            raise TypeError(f"{where}: betas[{i}] must be a real number, got {b!r}")
        if not 0.0 <= v < 1.0:
            raise ValueError(
                f"{where}: Invalid beta parameter at index {i}: betas[{i}]={b!r}; "
                "expected 0 <= beta < 1")


def check_flags(o: dict, where: str, names: tuple[str, ...]) -> None:
    for name in names:
        if name in o and not isinstance(o[name], (bool, np.bool_)):
            raise TypeError(f"{where}: {name} must be True or False, got {o[name]!r}")


def check_impl_flags(o: dict, where: str) -> None:
    """``foreach``/``differentiable``/``fused``/``capturable``: PyTorch's implementation switches.
    ``foreach`` is accepted and ignored; the others must keep their off values."""
    d = o.get("differentiable", False)
    if not isinstance(d, (bool, np.bool_)):
        raise TypeError(f"{where}: differentiable must be True or False, got {d!r}")
    if d:
        raise ValueError(
            f"{where}: differentiable=True is not supported: losslab updates parameters on NumPy "
            "arrays outside the graph; use differentiable=False")
    if "fused" in o and o["fused"] not in (None, False):
        raise ValueError(f"{where}: fused={o['fused']!r} is not supported (there is no fused kernel); use None")
    if "capturable" in o:
        if not isinstance(o["capturable"], (bool, np.bool_)):
            raise TypeError(f"{where}: capturable must be True or False, got {o['capturable']!r}")
        if o["capturable"]:
            raise ValueError(
                f"{where}: capturable=True is not supported (it is for CUDA graph capture; "
                "PyTorch refuses it on CPU too); use capturable=False")
    if "foreach" in o and o["foreach"] not in (None, False, True):
        raise TypeError(f"{where}: foreach must be None, True or False, got {o['foreach']!r}")


def check_choice(o: dict, name: str, where: str, choices: tuple[str, ...]) -> None:
    if name in o and o[name] not in choices:
        raise ValueError(
            f"{where}: {name} must be one of {', '.join(map(repr, choices))}, got {o[name]!r}")


def add_conventions(defaults: dict, given: dict, pytorch: dict) -> dict:
    """Append each convention option of ``given`` to ``defaults`` only when it differs from
    PyTorch's value (``pytorch``), so that a default optimizer's ``defaults`` and param groups
    have exactly ``torch.optim``'s keys. Returns ``defaults``."""
    for k, v in given.items():
        if v != pytorch[k] or type(v) is not type(pytorch[k]):
            defaults[k] = v
    return defaults
