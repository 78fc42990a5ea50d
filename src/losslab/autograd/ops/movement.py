"""Shape and indexing primitives: reshape, permute, expand, indexing, cat, gather.

Their derivatives move gradients back to where the values came from: reshape back, permute by
the inverse permutation, sum over broadcast axes, scatter-add into the indexed positions.
"""
from __future__ import annotations

import numpy as np

from ..function import Function
from ..tensor import Tensor, as_array

__all__ = [
    "reshape", "flatten", "transpose", "permute", "squeeze", "unsqueeze", "expand", "expand_as",
    "broadcast_to", "getitem", "cat", "concat", "stack", "split", "chunk", "gather", "one_hot",
    "view_as",
]


class Reshape(Function):
    """Same elements, new shape; the gradient is reshaped back."""

    capturable = True  # a pure function of its input and a static shape (autograd/capture.py)

    def forward(self, x, shape=None):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return self.ops.reshape(g, self.in_shape)


class Permute(Function):
    """Reorder dimensions; the gradient is permuted by the inverse permutation."""

    capturable = True  # a pure function of its input and a static shape (autograd/capture.py)

    def forward(self, x, dims=None):
        self.inverse = tuple(np.argsort(dims))
        return np.transpose(x, dims)

    def backward(self, g):
        return self.ops.transpose(g, self.inverse)


class Expand(Function):
    """Broadcast to a larger shape (a view); the gradient sums over the broadcast axes."""

    capturable = True  # a pure function of its input and a static shape (autograd/capture.py)

    def forward(self, x, shape=None):
        self.in_shape = x.shape
        return np.broadcast_to(x, shape)

    def backward(self, g):
        return self.ops.sum_to(g, self.in_shape)


def _is_basic(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


def _normalize_index(index):
    """Tensors and lists inside an index become ndarrays (integer or boolean indexing)."""
    def conv(i):
        if isinstance(i, Tensor):
            return i.data
        if isinstance(i, list):
            return np.asarray(i)
        return i
    if isinstance(index, tuple):
        return tuple(conv(i) for i in index)
    return conv(index)


class GetItem(Function):
    """``x[index]`` for basic (slices, ints), integer-array and boolean indices.
    The gradient is scattered back; repeated integer indices accumulate."""

    def forward(self, x, index=None):
        self.index, self.in_shape = index, x.shape
        self.basic = _is_basic(index)
        return x[index]

    def backward(self, g):
        return self.ops.index_add(g, self.in_shape, self.index, self.basic)


class IndexAdd(Function):
    """Adjoint of GetItem (its backward is GetItem again), so indexing has second derivatives."""

    def forward(self, g, shape=None, index=None, basic=False):
        self.index = index
        from ..function import ArrayOps
        return ArrayOps.index_add(g, shape, index, basic)

    def backward(self, gg):
        return getitem(gg if isinstance(gg, Tensor) else Tensor._wrap(gg), self.index)


class Cat(Function):
    """Concatenate along ``dim``; the gradient is split at the same offsets."""

    def forward(self, *xs, dim=0):
        self.dim = dim
        self.bounds = np.cumsum([x.shape[dim] for x in xs])[:-1]
        return np.concatenate(xs, axis=dim)

    def backward(self, g):
        pieces = []
        start = 0
        for stop in list(self.bounds) + [g.shape[self.dim]]:
            index = (slice(None),) * self.dim + (slice(int(start), int(stop)),)
            pieces.append(g[index])
            start = stop
        return tuple(pieces)


def _scatter_add_array(grad, shape, dim, index):
    out = np.zeros(shape, dtype=grad.dtype)
    grids = list(np.ogrid[tuple(slice(0, n) for n in index.shape)])
    grids[dim] = index
    np.add.at(out, tuple(grids), grad)
    return out


class Gather(Function):
    """``out[i][j] = x[i][index[i][j]]`` (for dim = 1); the gradient is scatter-added back."""

    def forward(self, x, dim=0, index=None):
        self.dim, self.index, self.in_shape = dim, index, x.shape
        if any(index.shape[d] < x.shape[d] for d in range(x.ndim) if d != dim):
            x = x[tuple(slice(0, index.shape[d]) if d != dim else slice(None) for d in range(x.ndim))]
        return np.take_along_axis(x, index, axis=dim)

    def backward(self, g):
        return self.ops.scatter_add(g, self.in_shape, self.dim, self.index)


class ScatterAdd(Function):
    """Adjoint of Gather (its backward is Gather), for second derivatives through gather."""

    def forward(self, g, shape=None, dim=0, index=None):
        self.dim, self.index = dim, index
        return _scatter_add_array(g, shape, dim, index)

    def backward(self, gg):
        return gather(gg if isinstance(gg, Tensor) else Tensor._wrap(gg), self.dim, self.index)


# ----------------------------------------------------------------------------- public API
def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def reshape(input, *shape):
    """Same data in a new shape (one dimension may be −1). ``view`` is the same operation."""
    shape = _shape_arg(shape)
    if shape == input.shape:
        return input
    known = int(np.prod([s for s in shape if s != -1]))
    if shape.count(-1) > 1 or (-1 not in shape and known != input.data.size) or (
            -1 in shape and (known == 0 or input.data.size % known)):
        raise RuntimeError(
            f"reshape: shape {list(shape)} is invalid for a tensor of {input.data.size} elements "
            f"(shape {tuple(input.shape)})"
        )
    return Reshape.apply(input, shape=shape)


def view_as(input, other):
    return reshape(input, other.shape)


def _dim(d, ndim, fn, extra=0):
    lim = ndim + extra
    if not -lim <= d < lim if lim else d not in (0, -1):
        raise IndexError(f"{fn}: dim {d} is out of range for a tensor with {ndim} dimension(s)")
    return d % lim if lim else 0


def flatten(input, start_dim: int = 0, end_dim: int = -1):
    """Merge dimensions ``start_dim..end_dim`` into one."""
    if input.ndim == 0:
        return reshape(input, 1)
    s, e = _dim(start_dim, input.ndim, "flatten"), _dim(end_dim, input.ndim, "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} must not come after end_dim {end_dim}")
    shape = input.shape[:s] + (int(np.prod(input.shape[s:e + 1])),) + input.shape[e + 1:]
    return reshape(input, shape)


def permute(input, *dims):
    """Reorder the dimensions: ``dims`` is a permutation of ``range(ndim)``."""
    dims = _shape_arg(dims)
    nd = input.ndim
    norm = tuple(_dim(d, nd, "permute") for d in dims)
    if sorted(norm) != list(range(nd)):
        raise ValueError(f"permute: dims {list(dims)} are not a permutation of the {nd} dimensions")
    if norm == tuple(range(nd)):
        return input
    return Permute.apply(input, dims=norm)


def transpose(input, dim0: int, dim1: int):
    """Swap two dimensions."""
    nd = input.ndim
    if nd < 2:
        return input
    d0, d1 = _dim(dim0, nd, "transpose"), _dim(dim1, nd, "transpose")
    dims = list(range(nd))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return permute(input, tuple(dims))


def squeeze(input, dim=None):
    """Remove size-1 dimensions (all of them, or those in ``dim``)."""
    if dim is None:
        shape = tuple(n for n in input.shape if n != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = {_dim(d, input.ndim, "squeeze") for d in dims}
        shape = tuple(n for i, n in enumerate(input.shape) if not (i in dims and n == 1))
    return reshape(input, shape)


def unsqueeze(input, dim: int):
    """Insert a size-1 dimension at ``dim``."""
    d = _dim(dim, input.ndim, "unsqueeze", extra=1)
    return reshape(input, input.shape[:d] + (1,) + input.shape[d:])


def expand(input, *sizes):
    """Broadcast to ``sizes`` without copying; −1 keeps a dimension."""
    sizes = _shape_arg(sizes)
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise RuntimeError(f"expand: can't expand shape {input.shape} to fewer dimensions {sizes}")
    if any(s == -1 for s in sizes[:lead]):
        raise RuntimeError(
            f"expand: -1 is not allowed in a new leading dimension (sizes {sizes}, tensor shape {input.shape})"
        )
    shape = tuple(input.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(input, shape)


def expand_as(input, other):
    return broadcast_to(input, other.shape)


def broadcast_to(input, shape):
    """Broadcast to ``shape`` (NumPy rules); the gradient is summed back."""
    shape = tuple(int(s) for s in shape)
    if shape == input.shape:
        return input
    try:
        np.broadcast_shapes(input.shape, shape)
        if len(shape) < input.ndim or any(
                a != b and a != 1 for a, b in zip(input.shape[::-1], shape[::-1])):
            raise ValueError
    except ValueError:
        raise RuntimeError(f"broadcast_to: shape {input.shape} can't be broadcast to {shape}") from None
    return Expand.apply(input, shape=shape)


def getitem(input, index):
    """``x[index]``: slices, ints, None, Ellipsis, integer arrays/tensors and boolean masks."""
    index = _normalize_index(index)
    try:
        return GetItem.apply(input, index=index)
    except IndexError as e:
        raise IndexError(f"index {index!r} is invalid for a tensor of shape {input.shape}: {e}") from None


def cat(tensors, dim: int = 0):
    """Concatenate tensors (same shape except along ``dim``)."""
    tensors = [t if isinstance(t, Tensor) else Tensor(as_array(t)) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    nd = tensors[0].ndim
    d = _dim(dim, nd, "cat")
    for i, t in enumerate(tensors):
        if t.ndim != nd or t.shape[:d] + t.shape[d + 1:] != tensors[0].shape[:d] + tensors[0].shape[d + 1:]:
            raise ValueError(
                f"cat: tensor {i} has shape {t.shape} but tensor 0 has shape {tensors[0].shape}; "
                f"all sizes must match except in dimension {dim}"
            )
    return Cat.apply(*tensors, dim=d)


concat = cat


def stack(tensors, dim: int = 0):
    """Join equal-shaped tensors along a new dimension ``dim``."""
    tensors = [t if isinstance(t, Tensor) else Tensor(as_array(t)) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape} but tensor 0 has shape {tensors[0].shape}")
    d = _dim(dim, tensors[0].ndim, "stack", extra=1)
    return cat([unsqueeze(t, d) for t in tensors], d)


def split(input, split_size_or_sections, dim: int = 0):
    """Split into pieces of ``split_size`` (the last may be smaller) or of the given sizes."""
    d = _dim(dim, input.ndim, "split")
    n = input.shape[d]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError(f"split: split_size must be positive, got {split_size_or_sections}")
        sizes = [split_size_or_sections] * (n // split_size_or_sections)
        if n % split_size_or_sections:
            sizes.append(n % split_size_or_sections)
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} sum to {sum(sizes)}, but dimension {dim} has size {n}")
    out, start = [], 0
    for s in sizes:
        out.append(getitem(input, (slice(None),) * d + (slice(start, start + s),)))
        start += s
    return tuple(out)


def chunk(input, chunks: int, dim: int = 0):
    """Split into ``chunks`` nearly equal pieces."""
    if not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    n = input.shape[_dim(dim, input.ndim, "chunk")]
    return split(input, -(-n // chunks), dim)


def gather(input, dim: int, index):
    """Pick values along ``dim`` at ``index`` (an int64 tensor with input's number of dims)."""
    idx = index.data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"gather: index must be an integer tensor, got dtype {idx.dtype}")
    d = _dim(dim, input.ndim, "gather")
    if input.ndim == 0 and idx.ndim == 0:  # 0-d: gather from it as from a 1-element vector
        return reshape(gather(reshape(input, 1), 0, idx.reshape(1)), ())
    if idx.ndim != input.ndim:
        raise ValueError(f"gather: index has {idx.ndim} dimensions but input has {input.ndim}; they must match")
    if any(idx.shape[k] > input.shape[k] for k in range(idx.ndim) if k != d):
        raise ValueError(
            f"gather: index shape {tuple(idx.shape)} must not be larger than input shape "
            f"{tuple(input.shape)} in any dimension other than dim={dim}"
        )
    if idx.size and (idx.min() < -input.shape[d] or idx.max() >= input.shape[d]):
        raise IndexError(
            f"gather: index values must lie in [0, {input.shape[d]}) for dimension {dim}, got "
            f"values in [{idx.min()}, {idx.max()}]"
        )
    return Gather.apply(input, dim=d, index=idx)


def one_hot(tensor, num_classes: int = -1):
    """Integer class indices → int64 one-hot vectors in a new last dimension (no gradient)."""
    idx = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor of class indices, got dtype {idx.dtype}")
    if idx.size and idx.min() < 0:
        raise ValueError(f"one_hot: class indices must be non-negative, got {idx.min()}")
    k = int(idx.max()) + 1 if num_classes == -1 else num_classes
    if idx.size and idx.max() >= k:
        raise ValueError(f"one_hot: class index {idx.max()} is out of range for num_classes={k}")
    return Tensor._wrap((idx[..., None] == np.arange(k)).astype(np.int64))
