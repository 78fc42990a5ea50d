"""``Tensor``: an ndarray (``.data``) plus what backpropagation needs (``.grad``, ``.requires_grad``
and the node that made it). The API is PyTorch's.

The methods that compute are defined with their ops in ``ops/`` and bound at the bottom of this
file, so the list of Tensor methods and the function behind each is in one place.
"""
from __future__ import annotations

import itertools
import numbers

import numpy as np

from . import dtypes
from .engine import _CAPTURE, _GradMode, run_backward

__all__ = ["Tensor", "tensor", "as_array"]

#: Sequence numbers of op-made tensors (PyTorch's ``sequence_nr``): the backward pass runs the
#: pending node with the highest number first, which is a valid reverse topological order.
_next_seq = itertools.count().__next__


def as_array(data, dtype=None, *, argname: str = "data") -> np.ndarray:
    """Convert ``data`` to an ndarray under PyTorch's dtype rules, with readable errors.

    Python floats (and lists of them) become the default dtype (float32); NumPy arrays keep their
    dtype (float64 stays float64); ints become int64; bools stay bool.
    """
    dtype = dtypes.resolve_dtype(dtype)
    if isinstance(data, Tensor):
        arr = data.data
    elif isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        try:
            arr = np.asarray(data)
        except ValueError as e:
            raise ValueError(
                f"{argname}: could not build a tensor from a ragged nested sequence (sub-lists "
                f"of different lengths); every row must have the same length. NumPy said: {e}"
            ) from None
        if arr.dtype.kind == "f" and dtype is None:
            arr = arr.astype(dtypes.get_default_dtype())
    if arr.dtype.kind not in "fiub":
        raise TypeError(
            f"{argname}: expected numbers (float, int or bool), got an array of dtype "
            f"{arr.dtype} ({type(data).__name__}); convert text to numbers first"
        )
    if arr.dtype.kind in "iu" and arr.dtype != np.int64 and dtype is None and not isinstance(data, np.ndarray):
        arr = arr.astype(np.int64)
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    return arr


class Tensor:
    """A multi-dimensional array that records the operations applied to it.

    Args:
        data: array-like (nested lists, NumPy array, number or Tensor).
        dtype: optional dtype; default float32 for Python floats, the array's own dtype otherwise.
        requires_grad: record operations so that ``backward()`` fills ``.grad``. Only floating
            tensors can require gradients.

    Example:
        >>> x = ll.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4.])
    """

    __slots__ = ("data", "grad", "_requires_grad", "_ctx", "_retains_grad", "_seq", "__weakref__")
    # Make NumPy hand mixed expressions (ndarray + Tensor) back to Tensor's reflected operators.
    __array_ufunc__ = None

    def __init__(self, data, dtype=None, requires_grad: bool = False):
        self.data = as_array(data, dtype)
        self.grad = None
        self._ctx = None
        self._retains_grad = False
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    # -- fast constructors used by the engine (no conversion, no checks) --------------------
    @classmethod
    def _wrap(cls, data: np.ndarray) -> "Tensor":
        t = object.__new__(Tensor)
        t.data = data
        t.grad = None
        t._ctx = None
        t._requires_grad = False
        t._retains_grad = False
        return t

    @classmethod
    def _from_op(cls, data: np.ndarray, ctx) -> "Tensor":
        t = object.__new__(Tensor)
        t.data = data
        t.grad = None
        t._ctx = ctx
        t._requires_grad = True
        t._retains_grad = False
        t._seq = _next_seq()  # creation order: a consumer is always newer than its inputs
        return t

    # -- autograd attributes ---------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind != "f":
            raise RuntimeError(
                f"requires_grad: only floating-point tensors can require gradients, got dtype "
                f"{self.data.dtype}; create it with dtype=ll.float32 (or call .float()) first"
            )
        if not value and self._ctx is not None:
            raise RuntimeError(
                "requires_grad: cannot turn off gradients of a non-leaf tensor (it was made by "
                f"{self._ctx.name}); use .detach() to get a tensor outside the graph"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user (not by a recorded op)."""
        return self._ctx is None

    @property
    def grad_fn(self):
        """The graph node that produced this tensor (None for leaves)."""
        return self._ctx

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after ``backward()`` (leaves always keep it)."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: can't retain_grad on a tensor that has requires_grad=False")
        self._retains_grad = True

    def backward(self, gradient=None, retain_graph: bool | None = None, create_graph: bool = False,
                 inputs=None) -> None:
        """Backpropagate from this tensor, accumulating into ``.grad`` of the leaves.

        Args:
            gradient: ∂(something)/∂self, required unless this tensor has one element.
            retain_graph: keep saved values so that backward can run again (default: create_graph).
            create_graph: record the backward pass too, for higher-order derivatives.
            inputs: if given, only these tensors' ``.grad`` are filled.
        """
        if not self._requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no grad_fn; create the leaf "
                "tensors with requires_grad=True (and don't compute under ll.no_grad())"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be implicitly created only for scalar outputs, but this "
                    f"tensor has shape {self.shape}; reduce it first (e.g. .sum() or .mean()) or "
                    f"pass gradient= with shape {self.shape}"
                )
            d = self.data
            # a scalar loss's 1 without np.ones's Python wrapper
            g = np.array(1, dtype=d.dtype) if d.shape == () else np.ones(d.shape, d.dtype)
        else:
            g = as_array(gradient, self.data.dtype, argname="gradient")
            if g.shape != self.shape:
                raise RuntimeError(
                    f"backward: gradient has shape {g.shape} but the tensor has shape {self.shape}; "
                    "they must match"
                )
        if create_graph:
            g = gradient if isinstance(gradient, Tensor) else Tensor._wrap(g)
        if retain_graph is None:
            retain_graph = create_graph
        if inputs is not None:
            from .grad import grad as _grad
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            gs = _grad([self], inputs, [g], retain_graph=retain_graph, create_graph=create_graph,
                       allow_unused=True)
            for t, gi in zip(inputs, gs):
                if gi is not None:
                    from .engine import _accumulate
                    _accumulate(t, gi if create_graph else gi.data, create_graph, Tensor)
            return
        run_backward([self], [g], retain_graph, create_graph)

    def detach(self) -> "Tensor":
        """A tensor sharing this data, outside the graph (no gradient flows through it)."""
        return Tensor._wrap(self.data)

    def detach_(self) -> "Tensor":
        self._ctx = None
        self._requires_grad = False
        return self

    # -- array facts -----------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> str:
        return "cpu"

    def size(self, dim: int | None = None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def item(self):
        """The single value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item: only one-element tensors can be converted to Python scalars, got shape {self.shape}"
            )
        if _CAPTURE.recorder is not None:
            _CAPTURE.recorder.value_read("item()")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared memory). Like PyTorch, refuses tensors in a graph."""
        if self._requires_grad:
            raise RuntimeError(
                "numpy: can't call numpy() on a tensor that requires grad; use tensor.detach().numpy()"
            )
        if _CAPTURE.recorder is not None:
            _CAPTURE.recorder.value_read("numpy()")
        return self.data

    def tolist(self):
        if _CAPTURE.recorder is not None:
            _CAPTURE.recorder.value_read("tolist()")
        return self.data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        if _CAPTURE.recorder is not None:
            _CAPTURE.recorder.value_read("bool()")
        return bool(self.data)

    def __index__(self):
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        if _CAPTURE.recorder is not None:
            _CAPTURE.recorder.value_read("an index")
        return int(self.data)

    __hash__ = object.__hash__

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4,
                               floatmode="maxprec_equal" if self.data.dtype.kind == "f" else "maxprec")
        extras = []
        if self.data.dtype not in (dtypes.get_default_dtype(), np.dtype(np.int64), np.dtype(np.bool_)):
            extras.append(f"dtype=ll.{self.data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # -- in-place updates (for initialisation and optimizers; refused inside a graph) -------
    def _check_inplace(self, what: str) -> None:
        if _GradMode.enabled and (self._requires_grad or self._ctx is not None):
            raise RuntimeError(
                f"{what}: a tensor that requires grad can't be modified in place while gradients "
                "are recorded (it would silently corrupt backward); wrap the update in "
                "`with ll.no_grad():` or use the out-of-place operation"
            )

    def zero_(self) -> "Tensor":
        self._check_inplace("zero_")
        self.data[...] = 0
        return self

    def fill_(self, value) -> "Tensor":
        self._check_inplace("fill_")
        self.data[...] = value
        return self

    def copy_(self, src) -> "Tensor":
        self._check_inplace("copy_")
        src = as_array(src, argname="src")
        try:
            np.copyto(self.data, np.broadcast_to(src, self.shape), casting="unsafe")
        except ValueError:
            raise ValueError(f"copy_: source of shape {src.shape} can't be copied into shape {self.shape}") from None
        return self

    def add_(self, other, alpha=1) -> "Tensor":
        self._check_inplace("add_")
        o = other.data if isinstance(other, Tensor) else other
        self.data += o if alpha == 1 else alpha * o
        return self

    def sub_(self, other, alpha=1) -> "Tensor":
        return self.add_(other, -alpha)

    def mul_(self, other) -> "Tensor":
        self._check_inplace("mul_")
        self.data *= other.data if isinstance(other, Tensor) else other
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> "Tensor":
        from .. import random as _random
        self._check_inplace("uniform_")
        self.data[...] = _random.generator().uniform(a, b, self.shape)
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> "Tensor":
        from .. import random as _random
        self._check_inplace("normal_")
        self.data[...] = _random.generator().normal(mean, std, self.shape)
        return self

    def __setitem__(self, index, value) -> None:
        self._check_inplace("__setitem__")
        from .ops.movement import _normalize_index
        self.data[_normalize_index(index)] = value.data if isinstance(value, Tensor) else value

    # -- dtype conversion ------------------------------------------------------------------
    def to(self, dtype=None, *args, **kwargs) -> "Tensor":
        """Convert to ``dtype`` (differentiable for floating dtypes). Devices other than "cpu"
        are not supported."""
        if isinstance(dtype, str) and dtype == "cpu":
            dtype = kwargs.get("dtype")
            if dtype is None:
                return self
        from .ops.elementwise import cast
        return cast(self, dtype)

    def type(self, dtype):
        return self.to(dtype)

    def float(self) -> "Tensor":
        return self.to(dtypes.float32)

    def double(self) -> "Tensor":
        return self.to(dtypes.float64)

    def long(self) -> "Tensor":
        return self.to(dtypes.int64)

    def int(self) -> "Tensor":
        return self.to(dtypes.int32)

    def bool(self) -> "Tensor":
        return self.to(dtypes.bool_)

    def cpu(self) -> "Tensor":
        return self

    def astype(self, dtype) -> "Tensor":
        return self.to(dtype)

    # -- comparisons (no gradient) ---------------------------------------------------------
    def _cmp(self, other, op):
        o = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(np.asarray(op(self.data, o)))

    def __eq__(self, other):
        return self._cmp(other, np.equal)

    def __ne__(self, other):
        return self._cmp(other, np.not_equal)

    def __lt__(self, other):
        return self._cmp(other, np.less)

    def __le__(self, other):
        return self._cmp(other, np.less_equal)

    def __gt__(self, other):
        return self._cmp(other, np.greater)

    def __ge__(self, other):
        return self._cmp(other, np.greater_equal)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def logical_not(self):
        return Tensor._wrap(np.logical_not(self.data))

    def __invert__(self):
        return Tensor._wrap(np.invert(self.data))

    def __and__(self, other):
        return self._cmp(other, np.logical_and if self.dtype == np.bool_ else np.bitwise_and)

    def __or__(self, other):
        return self._cmp(other, np.logical_or if self.dtype == np.bool_ else np.bitwise_or)

    def any(self, dim=None, keepdim=False):
        return Tensor._wrap(np.asarray(np.any(self.data, axis=dim, keepdims=keepdim)))

    def all(self, dim=None, keepdim=False):
        return Tensor._wrap(np.asarray(np.all(self.data, axis=dim, keepdims=keepdim)))

    def isnan(self):
        return Tensor._wrap(np.isnan(self.data))

    def isfinite(self):
        return Tensor._wrap(np.isfinite(self.data))

    def isinf(self):
        return Tensor._wrap(np.isinf(self.data))


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """Create a leaf tensor from array-like ``data`` (always copies, as ``torch.tensor``).

    Example:
        >>> ll.tensor([[1.0, 2.0]], requires_grad=True).shape
        (1, 2)
    """
    arr = as_array(data, dtype)
    if isinstance(data, (np.ndarray, Tensor)) or arr is data:
        arr = arr.copy()
    return Tensor(arr, requires_grad=requires_grad)


# Bind the computing methods. Each op module defines its functions with PyTorch's signatures;
# here they become methods and operators. Imported last: the op modules need Tensor.
from .ops import elementwise as _ew, reduce as _rd, movement as _mv, linalg as _la  # noqa: E402

for _name, _fn in {
    # arithmetic operators and their reflected forms
    "__add__": _ew.add, "__radd__": _ew.add, "__sub__": _ew.sub, "__rsub__": _ew._rsub,
    "__mul__": _ew.mul, "__rmul__": _ew.mul, "__truediv__": _ew.div, "__rtruediv__": _ew._rdiv,
    "__pow__": _ew.pow, "__rpow__": _ew._rpow, "__neg__": _ew.neg, "__pos__": lambda t: t,
    "__abs__": _ew.abs, "__matmul__": _la.matmul, "__rmatmul__": _la._rmatmul,
    "add": _ew.add, "sub": _ew.sub, "mul": _ew.mul, "div": _ew.div, "pow": _ew.pow, "neg": _ew.neg,
    "exp": _ew.exp, "log": _ew.log, "log1p": _ew.log1p, "expm1": _ew.expm1, "sqrt": _ew.sqrt,
    "rsqrt": _ew.rsqrt, "square": _ew.square, "abs": _ew.abs, "sign": _ew.sign, "sin": _ew.sin,
    "cos": _ew.cos, "tanh": _ew.tanh, "sigmoid": _ew.sigmoid, "relu": _ew.relu, "erf": _ew.erf,
    "clamp": _ew.clamp, "clip": _ew.clamp, "maximum": _ew.maximum, "minimum": _ew.minimum,
    "reciprocal": _ew.reciprocal, "clone": _ew.clone,
    # reductions
    "sum": _rd.sum, "mean": _rd.mean, "var": _rd.var, "std": _rd.std, "max": _rd.max,
    "min": _rd.min, "amax": _rd.amax, "amin": _rd.amin, "argmax": _rd.argmax, "argmin": _rd.argmin,
    "prod": _rd.prod, "norm": _rd.norm, "logsumexp": _rd.logsumexp, "softmax": _rd.softmax,
    "log_softmax": _rd.log_softmax,
    # movement
    "reshape": _mv.reshape, "view": _mv.reshape, "flatten": _mv.flatten, "transpose": _mv.transpose,
    "permute": _mv.permute, "squeeze": _mv.squeeze, "unsqueeze": _mv.unsqueeze, "expand": _mv.expand,
    "broadcast_to": _mv.broadcast_to, "split": _mv.split, "chunk": _mv.chunk, "gather": _mv.gather,
    "__getitem__": _mv.getitem, "expand_as": _mv.expand_as, "view_as": _mv.view_as,
    "reshape_as": _mv.view_as,
    # linear algebra
    "matmul": _la.matmul, "mm": _la.matmul, "dot": _la.dot,
}.items():
    setattr(Tensor, _name, _fn)

Tensor.T = property(lambda self: _mv.permute(self, tuple(range(self.ndim - 1, -1, -1))),
                    doc="This tensor with its dimensions reversed (the transpose of a matrix).")
Tensor.mT = property(lambda self: _mv.transpose(self, -2, -1),
                     doc="Transpose of the last two dimensions.")
