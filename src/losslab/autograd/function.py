"""``Function``: one primitive = its forward rule and its local derivative, side by side.

A primitive subclasses :class:`Function` and defines

* ``forward(self, *arrays, **options) -> ndarray`` on raw NumPy arrays, calling
  ``self.save_for_backward(...)`` for what the derivative needs, and
* ``backward(self, grad) -> grad or tuple of grads``, one per positional input (``None`` where an
  input gets no gradient).

``backward`` is written once and serves two purposes. In an ordinary backward pass ``grad`` and the
saved values are ndarrays and ``self.ops`` is :class:`ArrayOps` (NumPy). With
``create_graph=True`` the engine hands it Tensors and swaps ``self.ops`` to :class:`TensorOps`, so the
same lines are recorded as a graph and can be differentiated again (grad of grad). Arithmetic
operators work on both, so most derivatives need no ``ops`` at all.

Every subclass enrolls itself in :data:`OP_REGISTRY` where it is defined; the test suite reads the
registry, so a new op is gradchecked and compared with PyTorch by adding its test case there.
"""
from __future__ import annotations

import numpy as np

from .engine import _CAPTURE, _FREED, _GradMode

__all__ = ["Function", "OP_REGISTRY", "ArrayOps", "TensorOps"]

#: name -> Function subclass, filled as op modules are imported.
OP_REGISTRY: dict[str, type] = {}


class ArrayOps:
    """The math a backward needs, on NumPy arrays (first-order backward pass)."""

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)
    matmul = staticmethod(np.matmul)
    reshape = staticmethod(np.reshape)

    @staticmethod
    def broadcast_to(x, shape):
        # A fresh array rather than np.broadcast_to's read-only view: that wrapper costs ~10 µs of
        # Python per call, and the gradient is materialised by the next op or accumulation anyway.
        if x.shape == shape:
            return x
        out = np.empty(shape, dtype=x.dtype)
        np.copyto(out, x)
        return out
    transpose = staticmethod(np.transpose)
    swapaxes = staticmethod(np.swapaxes)

    @staticmethod
    def where(cond, a, b):
        return np.where(cond, a, b)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return x.sum(axis=axis, keepdims=keepdims)  # the method skips np.sum's Python dispatch

    @staticmethod
    def sigmoid(x):
        from .ops.elementwise import _sigmoid_array
        return _sigmoid_array(x)

    @staticmethod
    def erf(x):
        from .ops.elementwise import _erf_array
        return _erf_array(x)

    @staticmethod
    def sum_to(x, shape):
        from .engine import sum_to
        return sum_to(x, shape)

    @staticmethod
    def index_add(grad, shape, index, basic):
        """Scatter ``grad`` into zeros of ``shape`` at ``index`` (adjoint of ``x[index]``)."""
        out = np.zeros(shape, dtype=grad.dtype)
        if basic:
            out[index] = grad  # basic indexing never repeats a position
        else:
            np.add.at(out, index, grad)  # advanced indices may repeat: accumulate
        return out

    @staticmethod
    def scatter_add(grad, shape, dim, index):
        """Adjoint of ``gather(x, dim, index)``: add ``grad`` into zeros of ``shape``."""
        from .ops.movement import _scatter_add_array
        return _scatter_add_array(grad, shape, dim, index)

    @staticmethod
    def gather(x, dim, index):
        return np.take_along_axis(x, index, axis=dim)


class TensorOps:
    """The same math on Tensors, recorded in the graph (``create_graph=True``)."""

    @staticmethod
    def _f():
        from . import ops
        return ops

    exp = staticmethod(lambda x: TensorOps._f().exp(x))
    log = staticmethod(lambda x: TensorOps._f().log(x))
    sqrt = staticmethod(lambda x: TensorOps._f().sqrt(x))
    sin = staticmethod(lambda x: TensorOps._f().sin(x))
    cos = staticmethod(lambda x: TensorOps._f().cos(x))
    abs = staticmethod(lambda x: TensorOps._f().abs(x))
    sign = staticmethod(lambda x: TensorOps._f().sign(x))
    sigmoid = staticmethod(lambda x: TensorOps._f().sigmoid(x))
    erf = staticmethod(lambda x: TensorOps._f().erf(x))
    matmul = staticmethod(lambda a, b: TensorOps._f().matmul(a, b))
    reshape = staticmethod(lambda x, shape: TensorOps._f().reshape(_t(x), shape))
    broadcast_to = staticmethod(lambda x, shape: TensorOps._f().broadcast_to(_t(x), shape))
    transpose = staticmethod(lambda x, axes: TensorOps._f().permute(_t(x), axes))
    swapaxes = staticmethod(lambda x, a, b: TensorOps._f().transpose(_t(x), a, b))

    @staticmethod
    def where(cond, a, b):
        return TensorOps._f().where(cond, a, b)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return TensorOps._f().sum(_t(x), axis, keepdims)

    @staticmethod
    def sum_to(x, shape):
        from .engine import sum_to
        return sum_to(_t(x), shape)

    @staticmethod
    def index_add(grad, shape, index, basic):
        from .ops.movement import IndexAdd
        return IndexAdd.apply(_t(grad), shape=shape, index=index, basic=basic)

    @staticmethod
    def scatter_add(grad, shape, dim, index):
        from .ops.movement import ScatterAdd
        return ScatterAdd.apply(_t(grad), shape=shape, dim=dim, index=index)

    @staticmethod
    def gather(x, dim, index):
        return TensorOps._f().gather(_t(x), dim, index)


_Tensor = None  # bound on first use: tensor.py imports this module, so no top-level import


def _load_tensor():
    global _Tensor
    from .tensor import Tensor
    _Tensor = Tensor
    return Tensor


def _t(x):
    from .tensor import Tensor
    return x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x))


class Function:
    """Base class of every differentiable primitive; an instance is one node of the graph.

    Attributes set on the node:
        parents: the input Tensors (``None`` for constant inputs such as Python scalars).
        saved: what ``save_for_backward`` stored (freed after a backward without retain_graph).
    """

    ops = ArrayOps
    out = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        OP_REGISTRY[cls.__name__] = cls

    # -- to be defined by primitives -------------------------------------------------------
    def forward(self, *arrays, **options):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def backward(self, grad):  # pragma: no cover - abstract
        raise RuntimeError(f"{type(self).__name__} is not differentiable")

    # -- helpers for primitives ------------------------------------------------------------
    def save_for_backward(self, *values):
        """Keep ``values`` (input arrays, the output array or constants) for ``backward``."""
        self.saved = values

    @property
    def saved_tensors(self) -> tuple:
        """The saved values: ndarrays, or, while building a graph of the backward itself,
        the very Tensors they came from (so second derivatives see their dependence)."""
        saved = self.saved
        if saved is _FREED:
            from .engine import _FREED_MESSAGE
            raise RuntimeError(_FREED_MESSAGE.format(op=type(self).__name__))
        if self.ops is ArrayOps:
            return saved
        return tuple(self._as_tensor(v) for v in saved)

    def _as_tensor(self, value):
        if type(value) is np.ndarray:
            # Match by the array object each positional input handed to forward (``apply`` gives
            # distinct objects to distinct inputs, so x and x.detach() are not confused).
            for p, arr in zip(self.parents, self.input_arrays):
                if p is not None and arr is value:
                    return p
            if self.out is not None and self.out.data is value:
                return self.out
        return value  # a constant (mask, index, scalar): stays a plain array

    def needs_input_grad(self, i: int) -> bool:
        """Whether positional input ``i`` wants a gradient (PyTorch's ``ctx.needs_input_grad``):
        a backward may return None for inputs that don't, and skip computing it."""
        p = self.parents[i]
        return p is not None and p._requires_grad

    @property
    def name(self) -> str:
        return type(self).__name__ + "Backward"

    def __repr__(self):
        return f"<{self.name}>"

    # -- building the graph ----------------------------------------------------------------
    @classmethod
    def apply(cls, *inputs, **options):
        """Run ``forward`` on the inputs' data and, when grad mode is on and an input requires
        grad, record the node so that ``backward`` can reach the inputs."""
        Tensor = _Tensor or _load_tensor()
        node = cls.__new__(cls)
        node.saved = ()
        shared = False  # an input repeated (x * x): forward gets a view made here for the second
        if len(inputs) == 1:  # unary ops (activations, reductions, reshapes): no loop
            x = inputs[0]
            if isinstance(x, Tensor):
                arrays, parents, needs_grad = (x.data,), inputs, x._requires_grad
            else:
                arrays, parents, needs_grad = inputs, (None,), False
        else:
            arrays = []
            parents = []
            needs_grad = False
            for x in inputs:
                if isinstance(x, Tensor):
                    a = x.data
                    if x._requires_grad:
                        needs_grad = True
                    for b in arrays:
                        if b is a:
                            # Two inputs share one array (x and x.detach()): give forward distinct
                            # objects so that saved values map back to the right input (_as_tensor).
                            a = a.view()
                            shared = True
                            break
                    arrays.append(a)
                    parents.append(x)
                else:
                    arrays.append(x)
                    parents.append(None)
            arrays, parents = tuple(arrays), tuple(parents)
        try:
            out = node.forward(*arrays, **options)
        except ValueError as e:
            if "broadcast" not in str(e):
                raise
            shapes = " and ".join(str(np.shape(a)) for a in arrays)
            raise ValueError(
                f"{cls.__name__.lower()}: operands of shapes {shapes} can't be broadcast together "
                "(aligned from the right, each dimension pair must be equal or contain a 1)"
            ) from None
        if type(out) is not np.ndarray:
            out = as_output_array(node, out)
        if needs_grad and _GradMode.enabled:
            node.parents = parents
            node.input_arrays = arrays
            result = Tensor._from_op(out, node)
        else:
            result = Tensor._wrap(out)
        recorder = _CAPTURE.recorder
        if recorder is not None:  # a step being captured for replay (autograd/capture.py)
            if shared:
                # the replay reads the repeated Tensor's own array, not the view made above (the
                # same values; the distinct object only matters to create_graph, never replayed)
                arrays = tuple(x.data if isinstance(x, Tensor) else x for x in inputs)
            recorder.record(node, arrays, options, result)
        return result


def as_output_array(node, out) -> np.ndarray:
    """``out`` (a forward's result that is not an ndarray) as an ndarray.

    NumPy returns scalars, not 0-d arrays, from 0-d ufuncs and full reductions. The saved copy is
    kept identical to the output's ``.data``, or create_graph would take the saved output for a
    constant and second derivatives would miss its dependence on x."""
    raw, out = out, np.asarray(out)
    saved = node.saved  # a tuple, or _FREED in a replay of an op that saves nothing
    if type(saved) is tuple and any(v is raw for v in saved):
        node.saved = tuple(out if v is raw else v for v in saved)
    return out
