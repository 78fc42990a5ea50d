"""Datasets: ``Dataset`` (the protocol a DataLoader reads) and ``TensorDataset`` (aligned arrays)."""
from __future__ import annotations

import numbers

import numpy as np

from ..autograd.tensor import Tensor

__all__ = ["Dataset", "TensorDataset"]


class Dataset:
    """Base class of map-style datasets (PyTorch's ``torch.utils.data.Dataset``).

    A dataset is anything with ``len(ds)`` and ``ds[i]`` returning one sample, usually a tuple
    ``(x_i, y_i)``. Subclass it and implement ``__len__`` and ``__getitem__``; a
    :class:`~losslab.data.DataLoader` stacks the samples of a batch along a new first axis.

    Args:
        (none)

    Shape:
        ``ds[i]`` -> one sample; its parts keep their own shapes.

    Example:
        >>> class Squares(ll.data.Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return ll.tensor([float(i)]), ll.tensor(float(i * i))
        >>> x, y = next(iter(ll.data.DataLoader(Squares(), batch_size=4)))
        >>> x.shape, y.data.tolist()
        ((4, 1), [0.0, 1.0, 4.0, 9.0])

    Note:
        Only map-style datasets (indexable, with a length) are supported; there is no
        iterable-style dataset, and no worker processes.
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")


def _as_tensor(t, position: int) -> Tensor:
    if isinstance(t, Tensor):
        return t
    if isinstance(t, np.ndarray):
        if t.dtype.kind not in "fiub":
            raise TypeError(f"TensorDataset: tensor {position} has dtype {t.dtype}; expected numbers "
                            f"(float, int or bool); convert text labels to class indices first")
        return Tensor._wrap(t)
    raise TypeError(f"TensorDataset: tensor {position} must be an ll.Tensor or a NumPy array, got "
                    f"{type(t).__name__}; wrap it with np.asarray(...) or ll.tensor(...)")


class TensorDataset(Dataset):
    """A dataset of aligned tensors: sample ``i`` is ``(t[i] for t in tensors)``.

    Formula: ds[i] = (tensors[0][i], tensors[1][i], ...), len(ds) = tensors[0].shape[0].

    Args:
        *tensors: ``ll.Tensor`` or NumPy arrays with the same first dimension (the number of
            samples), e.g. features ``x`` (N, D) and targets ``y`` (N,) or (N, 1). NumPy arrays
            keep their dtype (no copy).

    Shape:
        ``ds[i]`` (an int) -> a tuple of tensors of shapes ``t.shape[1:]``; ``ds[idx]`` (an
        integer array, a slice or a boolean mask) -> a tuple of tensors of shapes
        ``(len(idx),) + t.shape[1:]``, one fancy-index per tensor (how the DataLoader batches).

    Example:
        >>> x = np.arange(6.0).reshape(3, 2)
        >>> y = np.array([0, 1, 0])
        >>> ds = ll.data.TensorDataset(x, y)
        >>> len(ds)
        3
        >>> xb, yb = ds[np.array([2, 0])]
        >>> xb.shape, yb.data.tolist()
        ((2, 2), [0, 0])

    Note:
        Samples are returned as new tensors that do not require gradients (data, not
        parameters), even when a stored tensor has ``requires_grad=True``; PyTorch would keep the
        graph. ``.tensors`` holds the stored tensors.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor, e.g. TensorDataset(x, y)")
        ts = tuple(_as_tensor(t, i) for i, t in enumerate(tensors))
        for i, t in enumerate(ts):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is a scalar (shape ()); every tensor needs a "
                                 f"first dimension indexing the samples")
        n = ts[0].shape[0]
        if any(t.shape[0] != n for t in ts):
            shapes = ", ".join(str(tuple(t.shape)) for t in ts)
            raise ValueError(f"TensorDataset: size mismatch between tensors: first dimensions differ (shapes "
                             f"{shapes}); every tensor must have one row per sample")
        self.tensors = ts

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])

    def __getitem__(self, index):
        if isinstance(index, Tensor):
            index = index.data
        if isinstance(index, numbers.Integral) and not isinstance(index, bool):
            n = len(self)
            if not -n <= index < n:
                raise IndexError(f"TensorDataset: index {index} is out of range for {n} samples")
        return tuple(Tensor._wrap(np.array(t.data[index], copy=True)) for t in self.tensors)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{tuple(t.shape)} {t.dtype}" for t in self.tensors)
        return f"TensorDataset({len(self)} samples: {shapes})"


def collate(samples: list):
    """Stack a list of samples into a batch (PyTorch's ``default_collate``, for tuples of tensors).

    Formula: batch[k] = stack([s[k] for s in samples]) for each part k of a sample.

    Args:
        samples: a list of samples, each a tuple/list of ``ll.Tensor``/ndarray/numbers, or one
            tensor/array/number.

    Shape:
        parts of shape S -> a tensor of shape (len(samples),) + S.

    Example:
        >>> x, y = collate([(ll.tensor([1.0, 2.0]), 0), (ll.tensor([3.0, 4.0]), 1)])
        >>> x.shape, y.data.tolist()
        ((2, 2), [0, 1])

    Note:
        Python floats become float32 (the default dtype), Python ints int64, as ``ll.tensor``.
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        k = len(first)
        if any(not isinstance(s, (tuple, list)) or len(s) != k for s in samples):
            raise ValueError(f"collate: every sample must have {k} parts like the first, got "
                             f"{sorted({len(s) if isinstance(s, (tuple, list)) else 1 for s in samples})}")
        return tuple(_stack([s[j] for s in samples], j) for j in range(k))
    return (_stack(samples, 0),)


def _stack(parts: list, j: int) -> Tensor:
    arrays = []
    for p in parts:
        if isinstance(p, Tensor):
            arrays.append(p.data)
        else:
            arrays.append(Tensor(p).data)  # Python numbers follow ll.tensor's dtype rules
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"collate: part {j} of the samples has different shapes {sorted(shapes)}; "
                         f"samples must have equal shapes to be stacked into a batch")
    return Tensor._wrap(np.stack(arrays))
