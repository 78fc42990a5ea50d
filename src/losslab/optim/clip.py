r"""Gradient clipping: ``clip_grad_norm_`` (rescale all gradients together when their joint norm
exceeds a bound) and ``clip_grad_value_`` (clamp each gradient entry), with
``torch.nn.utils``'s signatures and numbers (PyTorch 2.13); also ``get_total_norm`` and
``clip_grads_with_norm_``, the two halves of ``clip_grad_norm_``.

Also available as ``losslab.nn.utils.clip_grad_norm_`` etc., where PyTorch has them. Call them
between ``loss.backward()`` and ``optimizer.step()``.
"""
from __future__ import annotations

import math
import numbers
import types
import warnings
from typing import Iterable

import numpy as np

from ..autograd import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _type_name(x) -> str:
    return "losslab.Tensor" if isinstance(x, Tensor) else type(x).__name__


def _as_tensor_list(tensors, argname: str, fn: str) -> list[Tensor]:
    if isinstance(tensors, Tensor):
        return [tensors]
    if isinstance(tensors, np.ndarray):
        raise TypeError(f"{fn}: {argname} must be a Tensor or an iterable of Tensors, got a NumPy "
                        "array; wrap it with ll.tensor(...)")
    try:
        items = list(tensors)
    except TypeError:
        raise TypeError(f"{fn}: {argname} must be a Tensor or an iterable of Tensors, got "
                        f"{_type_name(tensors)}") from None
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}: {argname}[{i}] must be a Tensor, got {_type_name(t)}")
    return items


def _grad_arrays(parameters: list[Tensor]) -> list[np.ndarray]:
    out = []
    for p in parameters:
        g = p.grad
        if g is None:
            continue
        out.append(g.data if isinstance(g, Tensor) else np.asarray(g))
    return out


def _norm_type(norm_type, fn: str) -> float:
    if isinstance(norm_type, str) and norm_type.lower() in ("inf", "+inf", "-inf"):
        return float(norm_type)
    if not isinstance(norm_type, numbers.Real) or isinstance(norm_type, bool):
        raise TypeError(f"{fn}: norm_type must be a number (or 'inf'), got {norm_type!r}")
    p = float(norm_type)
    if math.isnan(p):
        raise ValueError(f"{fn}: norm_type must not be NaN; use 2.0, 1.0, float('inf'), …")
    return p


def _vector_norm(x: np.ndarray, p: float) -> np.ndarray:
    """‖x‖_p of the flattened array, as ``torch.linalg.vector_norm`` (0: count of non-zeros,
    ±inf: max/min of |x|); a 0-d array of x's (floating) dtype."""
    a = np.abs(x.reshape(-1))
    if p == math.inf:
        r = a.max() if a.size else np.zeros((), a.dtype)
    elif p == -math.inf:
        r = a.min() if a.size else np.array(math.inf, a.dtype)
    elif p == 0:
        r = np.count_nonzero(a)
    elif p == 1:
        r = a.sum()
    elif p == 2:
        r = np.sqrt(np.sum(a * a))
    else:
        with np.errstate(divide="ignore", over="ignore"):
            r = np.sum(a ** p) ** (1.0 / p)
    return np.asarray(r, dtype=x.dtype)


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    r"""The p-norm of several tensors taken together, as if concatenated into one vector.

    Formula::

        total = ‖(‖t₁‖_p, ‖t₂‖_p, …)‖_p       (= ‖concat(t₁, t₂, …)‖_p for p > 0 and ±∞)

    Args:
        tensors: a Tensor or an iterable of Tensors (typically the gradients).
        norm_type: p: a number or ``float('inf')``/``'inf'`` (default 2.0).
        error_if_nonfinite: raise if the total is NaN or ±inf (default False).
        foreach: accepted for PyTorch compatibility and ignored.

    Returns:
        a 0-d Tensor (the tensors' dtype; float32 ``0.`` when there are none).

    Shape:
        tensors of any shapes → ().

    Example:
        >>> import losslab as ll
        >>> from losslab.optim.clip import get_total_norm
        >>> get_total_norm([ll.tensor([3.0]), ll.tensor([4.0])]).item()
        5.0

    Note:
        As in PyTorch, ``norm_type=0`` counts the tensors with a non-zero entry (the 0-"norm" of
        the per-tensor counts), not the non-zero entries.
    """
    fn = "get_total_norm"
    items = _as_tensor_list(tensors, "tensors", fn)
    p = _norm_type(norm_type, fn)
    if len(items) == 0:
        return Tensor(np.zeros((), dtype=np.float32))
    norms = [_vector_norm(t.data, p) for t in items]
    dtype = np.result_type(*norms)
    total = _vector_norm(np.stack([n.astype(dtype) for n in norms]), p)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite "
            f"({float(total)}), so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor(total)


def clip_grads_with_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                          total_norm: Tensor | float, foreach: bool | None = None) -> None:
    r"""Scale the gradients of ``parameters`` in place given their (pre-computed) total norm.

    Formula::

        g ← g · min(max_norm / (total_norm + 1e-6), 1)

    Args:
        parameters: a Tensor or an iterable of Tensors whose ``.grad`` is scaled (those without
            a gradient are skipped).
        max_norm: the bound (≥ 0).
        total_norm: the norm to scale by (a 0-d Tensor or a number), e.g. from
            :func:`get_total_norm`.
        foreach: accepted for PyTorch compatibility and ignored.

    Example:
        >>> import losslab as ll
        >>> from losslab.optim.clip import clip_grads_with_norm_
        >>> w = ll.tensor([3.0, 4.0], requires_grad=True); (w * w).sum().backward()
        >>> clip_grads_with_norm_([w], 1.0, 10.0); [round(v, 4) for v in w.grad.tolist()]
        [0.6, 0.8]
    """
    fn = "clip_grads_with_norm_"
    params = _as_tensor_list(parameters, "parameters", fn)
    max_norm = _check_bound(max_norm, "max_norm", fn)
    grads = _grad_arrays(params)
    if not grads:
        return
    tn = total_norm.data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    if tn.dtype.kind != "f":
        tn = tn.astype(np.float32)
    # the coefficient in the norm's dtype, rounded as PyTorch forms it: ``max_norm / (N + 1e-6)``
    # on a 0-d tensor is ``reciprocal(N + 1e-6) * max_norm`` (Tensor.__rdiv__)
    f = tn.dtype.type
    coef = np.minimum(np.reciprocal(tn + f(1e-6)) * f(max_norm), f(1.0))
    with np.errstate(invalid="ignore"):  # inf·0 → NaN for a non-finite norm, silently as in PyTorch
        for g in grads:
            g *= coef.astype(g.dtype)


def _check_bound(value, name: str, fn: str) -> float:
    if isinstance(value, Tensor):
        value = value.item()
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{fn}: {name} must be a number, got {value!r}")
    v = float(value)
    if not v >= 0.0:
        raise ValueError(f"{fn}: {name} must be >= 0, got {name}={value!r} (a negative or NaN bound "
                         "would flip or erase the gradients)")
    return v


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    r"""Rescale the gradients of ``parameters`` in place so that their joint norm is at most
    ``max_norm``; returns the joint norm before clipping.

    Formula (g = all gradients viewed as one vector)::

        N = ‖g‖_p
        g ← g · min(max_norm / (N + 1e-6), 1)

    The direction of the update is kept; only its length is capped (unlike
    :func:`clip_grad_value_`).

    Args:
        parameters: a Tensor or an iterable of Tensors (e.g. ``model.parameters()``); those
            without a gradient are skipped.
        max_norm: the largest norm allowed, ≥ 0.
        norm_type: p of the p-norm: a number or ``float('inf')`` (default 2.0).
        error_if_nonfinite: raise a RuntimeError if N is NaN or ±inf (default False: the
            gradients are then scaled by the non-finite coefficient, as in PyTorch).
        foreach: accepted for PyTorch compatibility and ignored.

    Returns:
        N, the total norm of the gradients before clipping, as a 0-d Tensor.

    Shape:
        gradients of any shapes; returns ().

    Example:
        >>> import losslab as ll
        >>> from losslab.nn.utils import clip_grad_norm_
        >>> w = ll.tensor([3.0, 4.0], requires_grad=True)
        >>> (w * w).sum().backward()                  # grad = (6, 8), norm 10
        >>> clip_grad_norm_([w], max_norm=1.0).item()
        10.0
        >>> [round(v, 4) for v in w.grad.tolist()]
        [0.6, 0.8]

    Note:
        * The 1e-6 in the denominator makes the clipped norm slightly below ``max_norm``, as in
          PyTorch.
        * A negative or NaN ``max_norm`` is refused (PyTorch accepts it and flips the
          gradients). An empty generator warns, as in PyTorch.
    """
    fn = "clip_grad_norm_"
    is_generator = isinstance(parameters, types.GeneratorType)
    params = _as_tensor_list(parameters, "parameters", fn)
    if is_generator and len(params) == 0:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                      stacklevel=2)
    max_norm = _check_bound(max_norm, "max_norm", fn)
    grads = [Tensor(g) for g in _grad_arrays(params)]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    r"""Clamp every gradient entry of ``parameters`` to [−clip_value, clip_value], in place.

    Formula::

        g ← min(max(g, −c), c)

    Args:
        parameters: a Tensor or an iterable of Tensors; those without a gradient are skipped.
        clip_value: c ≥ 0.
        foreach: accepted for PyTorch compatibility and ignored.

    Shape:
        gradients of any shapes, kept.

    Example:
        >>> import losslab as ll
        >>> from losslab.nn.utils import clip_grad_value_
        >>> w = ll.tensor([3.0, -0.1], requires_grad=True)
        >>> (w * w).sum().backward()                  # grad = (6, −0.2)
        >>> clip_grad_value_([w], 1.0); [round(v, 4) for v in w.grad.tolist()]
        [1.0, -0.2]

    Note:
        Clamping changes the direction of the gradient vector (each coordinate separately);
        :func:`clip_grad_norm_` keeps it. A negative or NaN ``clip_value`` is refused (PyTorch
        would set every gradient to that value). NaN gradients stay NaN.
    """
    fn = "clip_grad_value_"
    params = _as_tensor_list(parameters, "parameters", fn)
    c = _check_bound(clip_value, "clip_value", fn)
    for g in _grad_arrays(params):
        np.clip(g, -c, c, out=g)
