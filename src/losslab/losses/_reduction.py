"""What every loss shares: the one reduction helper, argument checks and docstring fragments.

A loss is written as its *unreduced* elementwise core followed by :func:`reduce`
(ARCHITECTURE principle 5). The checks here give every loss the same error messages: they name
the function, the argument, what was received and what was expected.

Two meanings of ``weight`` exist in PyTorch, and both are served here:

* **weighted mean** (``mse_loss``, ``l1_loss``, ``huber_loss``, and per class in ``nll_loss`` /
  ``cross_entropy``): ``'mean'`` is Σ wᵢℓᵢ / Σ wᵢ. Pass the weight to :func:`reduce`.
* **rescaling** (``binary_cross_entropy``, ``binary_cross_entropy_with_logits``): the loss is
  multiplied by ``w`` and ``'mean'`` still divides by the number of elements. Multiply first,
  then call :func:`reduce` without a weight.
"""
from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor, as_array

__all__ = [
    "REDUCTIONS", "reduce", "check_reduction", "check_same_shape", "as_input", "as_tensor_like",
    "as_weight", "check_broadcastable", "as_class_indices", "ClassIndexError", "doc", "DOCS",
]

#: The reductions every loss accepts.
REDUCTIONS = ("mean", "sum", "none")


class ClassIndexError(ValueError, IndexError):
    """A class index outside ``[0, C)`` (and not ``ignore_index``).

    A ``ValueError`` as losslab's convention asks, and an ``IndexError`` as PyTorch raises, so
    that code written for either catches it.
    """


# ----------------------------------------------------------------------------- reduction
def check_reduction(reduction, fn: str = "loss", allowed: tuple = REDUCTIONS) -> str:
    """Return ``reduction`` if it is one of ``allowed``, else raise a ValueError naming it."""
    if not isinstance(reduction, str) or reduction not in allowed:
        names = [f"'{r}'" for r in allowed]
        listed = ", ".join(names[:-1]) + " or " + names[-1]
        raise ValueError(f"{fn}: reduction must be {listed}, got {reduction!r}")
    return reduction


def reduce(loss: Tensor, reduction: str = "mean", weight=None, *, total_weight=None,
           sample_weight=None, fn: str = "loss") -> Tensor:
    """Reduce an unreduced loss: ``'none'`` keeps it, ``'sum'`` adds it up, ``'mean'`` averages.

    Formula, with ℓ the unreduced loss and w the (broadcast) weight::

        none: w·ℓ            sum: Σ w·ℓ            mean: Σ w·ℓ / Σ w   (Σ ℓ / n without weight)

    Args:
        loss: the unreduced loss, a Tensor of any shape.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.
        weight: optional weights (Tensor, ndarray or number) that broadcast to ``loss``'s shape.
            With a weight, ``'mean'`` is the *weighted* mean Σ wℓ / Σ w, where Σ w runs over the
            weight broadcast to ``loss``'s shape (PyTorch's ``mse_loss(weight=)`` and, per class,
            ``nll_loss``).
        total_weight: for a loss that is already weighted, the divisor of ``'mean'`` (a number
            or a 0-d Tensor); ignored by the other reductions. Not to be given with ``weight``.
        sample_weight: optional per-sample weights of shape (N,) for a loss whose first
            dimension is the batch (beyond PyTorch; Keras and scikit-learn have it). Sample n's
            losses are multiplied by ``sample_weight[n]``; ``'mean'`` divides by the sum of the
            weights (broadcast over the loss's other dimensions), so it stays a weighted mean.
            Combines with ``weight`` (product of both) and with ``total_weight`` (the caller's
            divisor must then already include the sample weights — see :func:`sample_weights`).
        fn: the calling function's name, used in error messages.

    Returns:
        A 0-d Tensor for ``'mean'`` and ``'sum'``; ``loss``'s shape for ``'none'``.

    Note:
        The mean of an empty loss is ``nan`` (PyTorch); so is a weighted mean whose weights sum
        to 0 (for example every target equal to ``ignore_index``).

    Example:
        >>> import losslab as ll
        >>> from losslab.losses import reduce
        >>> l = ll.tensor([1.0, 2.0, 3.0])
        >>> reduce(l, "mean"), reduce(l, "sum"), reduce(l, "mean", weight=ll.tensor([1.0, 0.0, 1.0]))
        (tensor(2.), tensor(6.), tensor(2.))
    """
    check_reduction(reduction, fn)
    if weight is not None and total_weight is not None:
        raise ValueError(f"{fn}: give reduce() either weight or total_weight, not both")
    if sample_weight is not None:
        sw = sample_weights(sample_weight, loss, fn)
        if total_weight is not None:
            loss = loss * sw  # the caller's total_weight already counts the sample weights
        else:
            weight = sw if weight is None else sw * _same_dtype(weight, loss)
    if weight is not None:
        w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
        check_broadcastable(w.shape, loss.shape, fn, "weight")
        loss = loss * _same_dtype(weight, loss)
        if reduction == "mean":
            wsum = weight.sum() if isinstance(weight, Tensor) else float(np.sum(w))
            if w.shape != loss.shape:  # Σ over the weight as broadcast to the loss
                wsum = wsum * (loss.data.size / max(w.size, 1))
            total_weight = wsum
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if total_weight is not None:
        with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 -> nan, as PyTorch
            return loss.sum() / total_weight
    if loss.data.size == 0:
        return loss.sum() * float("nan")  # mean of nothing is nan (PyTorch), without a warning
    return loss.mean()


def sample_weights(sample_weight, loss: Tensor, fn: str = "loss") -> Tensor:
    """``sample_weight`` (shape (N,), N = ``loss.shape[0]``) as a Tensor of ``loss``'s dtype,
    shaped (N, 1, …, 1) to broadcast over the loss's other dimensions.

    Raises a ValueError naming the shapes when the length is not N (or the loss is 0-d), and
    when a weight is negative or not finite.
    """
    sw = sample_weight if isinstance(sample_weight, Tensor) else Tensor(np.asarray(sample_weight, dtype=loss.dtype))
    if sw.dtype != loss.dtype:
        sw = sw.to(loss.dtype)
    if loss.ndim == 0 or sw.shape != (loss.shape[0],):
        raise ValueError(
            f"{fn}: sample_weight must have shape (N,) with N = {loss.shape[0] if loss.ndim else 'the batch size'} "
            f"(one weight per sample), got shape {tuple(sw.shape)} for a loss of shape {tuple(loss.shape)}"
        )
    a = sw.data
    if not (np.all(np.isfinite(a)) and np.all(a >= 0)):
        raise ValueError(f"{fn}: sample_weight must be finite and ≥ 0, got {a[~(np.isfinite(a) & (a >= 0))][:3].tolist()}")
    return sw.reshape((loss.shape[0],) + (1,) * (loss.ndim - 1))


def _same_dtype(value, like: Tensor):
    """Bring a weight to ``like``'s dtype (a float64 array must not upcast a float32 loss)."""
    if isinstance(value, Tensor):
        return value if value.dtype == like.dtype else value.to(like.dtype)
    return np.asarray(value, dtype=like.dtype)


# ----------------------------------------------------------------------------- validation
def _shape(x) -> tuple:
    return tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(x))


def check_same_shape(input, target, fn: str, input_name: str = "input",
                     target_name: str = "target") -> None:
    """Raise a ValueError naming both shapes unless ``input`` and ``target`` have one shape.

    Note:
        PyTorch's ``mse_loss`` (and ``l1_loss``…) only *warn* when the shapes differ and then
        broadcast, which silently turns an (N,) prediction against an (N, 1) target into an (N, N)
        loss. losslab raises instead; reshape one of them if broadcasting is really meant.
    """
    si, st = _shape(input), _shape(target)
    if si != st:
        raise ValueError(
            f"{fn}: {input_name} and {target_name} must have the same shape, got {input_name} "
            f"{si} and {target_name} {st}; reshape one of them (e.g. target.reshape({si})) "
            "instead of relying on broadcasting"
        )


def check_broadcastable(shape, to_shape, fn: str, argname: str) -> None:
    """Raise unless an array of ``shape`` broadcasts to ``to_shape`` *without enlarging it*."""
    shape, to_shape = tuple(shape), tuple(to_shape)
    try:
        ok = np.broadcast_shapes(shape, to_shape) == to_shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"{fn}: {argname} of shape {shape} does not broadcast to the input's shape {to_shape}"
        )


def as_input(input, fn: str) -> Tensor:
    """The prediction as a floating Tensor. Arrays and lists are wrapped (no gradient);
    integer or bool tensors are refused (a loss needs a floating prediction)."""
    if not isinstance(input, Tensor):
        try:
            input = Tensor(as_array(input, argname=f"{fn}: input"))
        except TypeError as e:
            raise TypeError(f"{fn}: input must be a Tensor or array of numbers; {e}") from None
    if input.dtype.kind != "f":
        raise TypeError(
            f"{fn}: input must be a floating tensor, got dtype {input.dtype}; call .float() or "
            ".double() on it first"
        )
    return input


def as_tensor_like(target, input: Tensor, fn: str = "loss", argname: str = "target") -> Tensor:
    """``target`` as a Tensor of ``input``'s floating dtype.

    Arrays, lists and numbers become a new Tensor of ``input.dtype``; integer/bool Tensors are
    converted (they carry no gradient); a floating Tensor of another dtype is cast inside the
    graph, so a target that requires grad still receives its gradient.
    """
    if isinstance(target, Tensor):
        if target.dtype == input.dtype:
            return target
        if target.dtype.kind == "f":
            return target.to(input.dtype)
        return Tensor(target.data.astype(input.dtype))
    try:
        arr = as_array(target, argname=f"{fn}: {argname}")
    except TypeError as e:
        raise TypeError(f"{fn}: {argname} must be a Tensor or array of numbers; {e}") from None
    return Tensor(arr.astype(input.dtype, copy=False))


def as_weight(weight, input: Tensor, fn: str, argname: str = "weight"):
    """``None`` stays ``None``; anything else becomes a Tensor of ``input``'s dtype."""
    if weight is None:
        return None
    return as_tensor_like(weight, input, fn, argname)


def as_class_indices(target, input: Tensor, ignore_index: int, fn: str,
                     class_dim: int = 1) -> np.ndarray:
    """Check class-index targets for an input of shape (C,), (N, C) or (N, C, d1, …).

    Returns the indices as an int64 ndarray of shape ``input.shape`` without ``class_dim``.
    Raises TypeError for non-integer targets (the usual slip is float labels), ValueError for a
    wrong shape and :class:`ClassIndexError` for an index outside [0, C) that is not
    ``ignore_index``.
    """
    if isinstance(target, Tensor):
        idx = target.data
    else:
        idx = np.asarray(target)
    if idx.dtype.kind not in "iu":
        hint = ""
        if idx.dtype.kind == "f":
            hint = (" (class indices must be integers: convert with target.long(); if these are "
                    f"class probabilities, give target the input's shape {tuple(input.shape)})")
        raise TypeError(
            f"{fn}: target must hold integer class indices (int64), got dtype {idx.dtype}{hint}"
        )
    shape = tuple(input.shape)
    expected = shape[:class_dim] + shape[class_dim + 1:]
    if tuple(idx.shape) != expected:
        raise ValueError(
            f"{fn}: for input of shape {shape} the class-index target must have shape {expected} "
            f"(input's shape without the class dimension {class_dim}), got {tuple(idx.shape)}"
        )
    n_classes = shape[class_dim]
    bad = (idx != ignore_index) & ((idx < 0) | (idx >= n_classes))
    if bad.any():
        value = int(idx[bad].flat[0])
        raise ClassIndexError(
            f"{fn}: target contains class index {value}, outside [0, {n_classes}) for "
            f"C={n_classes} classes (and not ignore_index={ignore_index})"
        )
    return idx.astype(np.int64, copy=False)


# ----------------------------------------------------------------------------- docstrings
#: Fragments shared by the loss docstrings; a docstring line that is exactly ``{name}`` is
#: replaced by the fragment (re-indented), see :func:`doc`.
DOCS = {
    "reduction": (
        "reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (default ``'mean'``). ``'none'``\n"
        "    returns the unreduced loss, ``'sum'`` its sum and ``'mean'`` its mean."
    ),
    "reduction_weighted_mean": (
        "reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (default ``'mean'``). ``'none'``\n"
        "    returns w·ℓ, ``'sum'`` Σ w·ℓ and ``'mean'`` the weighted mean Σ w·ℓ / Σ w\n"
        "    (the plain mean when ``weight`` is None)."
    ),
    "reduction_rescale": (
        "reduction: ``'none'`` | ``'mean'`` | ``'sum'`` (default ``'mean'``). The weight\n"
        "    rescales each element; ``'mean'`` then divides by the number of elements, not by\n"
        "    Σ w (PyTorch)."
    ),
    "shape_elementwise": (
        "input: any shape.\n"
        "target: same shape as input.\n"
        "output: a scalar, or input's shape with ``reduction='none'``."
    ),
    "reductions_formula": (
        "ℓ(x, y) = mean(L) if reduction = 'mean';  sum(L) if reduction = 'sum';  L if 'none'."
    ),
}


def doc(**extra):
    """Decorator: replace each docstring line that is exactly ``{name}`` with ``DOCS[name]``
    (or ``extra[name]``), indented like the placeholder."""
    frags = {**DOCS, **extra}

    def deco(obj):
        text = obj.__doc__
        if not text:
            return obj
        out = []
        for line in text.split("\n"):
            stripped = line.strip()
            if stripped.startswith("{") and stripped.endswith("}") and stripped[1:-1] in frags:
                pad = line[: len(line) - len(line.lstrip())]
                out.extend(pad + part if part else part for part in frags[stripped[1:-1]].split("\n"))
            else:
                out.append(line)
        obj.__doc__ = "\n".join(out)
        return obj

    return deco
