"""The backward pass: grad mode, topological order, gradient accumulation, unbroadcast.

Kept deliberately boring (ARCHITECTURE principle 3): an iterative depth-first sort (no recursion
limit, so a 10,000-op chain works), gradients that always accumulate, and one ``sum_to`` helper
that undoes broadcasting for every op.
"""
from __future__ import annotations

import heapq
import sys
import threading

import numpy as np

__all__ = [
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "sum_to", "run_backward",
]


class _GradModeState(threading.local):
    """Grad mode, one per thread (as PyTorch's): ``no_grad`` in one thread leaves every other
    thread recording. A thread that has not switched it reads the class attribute, True, so each
    new thread starts with grad enabled whatever the thread that created it had set (PyTorch's
    rule). Reading ``_GradMode.enabled`` is one attribute lookup on a ``threading.local``
    instance (C-level), so the check in ``Function.apply`` stays as cheap as before."""

    enabled = True


_GradMode = _GradModeState()


class _CaptureState(threading.local):
    """The recorder of a step being captured for replay in this thread (``autograd/capture.py``),
    or None. ``Function.apply`` hands it every op it runs; reading it is one attribute lookup."""

    recorder = None


_CAPTURE = _CaptureState()


def is_grad_enabled() -> bool:
    """Return True when operations are being recorded for backpropagation."""
    return _GradMode.enabled


class set_grad_enabled:
    """Context manager (and decorator) that turns graph recording on or off.

    Example:
        >>> with ll.set_grad_enabled(False):
        ...     y = x * 2          # y.requires_grad is False
    """

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.prev = _GradMode.enabled
        _GradMode.enabled = self.mode  # takes effect at once, also as a plain call (PyTorch)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self.prev
        return False

    def __call__(self, fn):
        """As a decorator (``@ll.set_grad_enabled(False)``): undo the switch made by
        ``__init__`` at decoration time and apply the mode on every call instead."""
        import functools

        _GradMode.enabled = self.prev
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _GradMode.enabled
            _GradMode.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _GradMode.enabled = prev

        return wrapper


class _GradModeContext:
    """Base for ``no_grad``/``enable_grad``: usable as ``with`` block and as a decorator."""

    mode = True

    def __new__(cls, orig_func=None):
        # ``@ll.no_grad`` without parentheses decorates directly, as ``@torch.no_grad`` does.
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments, got {orig_func!r}")
        return cls()(orig_func)

    def __enter__(self):
        self.prev = _GradMode.enabled
        _GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self.prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Disable graph recording inside the block (as ``torch.no_grad``): for evaluation and
    parameter updates. Also works as a decorator."""

    mode = False


class enable_grad(_GradModeContext):
    """Re-enable graph recording inside a ``no_grad`` block (as ``torch.enable_grad``)."""

    mode = True


def sum_to(grad, shape: tuple):
    """Undo broadcasting: sum ``grad`` down to ``shape`` (the one unbroadcast helper).

    Broadcasting prepends axes and stretches size-1 axes; the adjoint of that copy is a sum over
    the same axes. Works on ndarrays and, for higher-order gradients, on Tensors.
    """
    if grad.shape == shape:
        return grad
    lead = len(grad.shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1
    )
    if axes:
        grad = grad.sum(axes, keepdims=True) if type(grad) is np.ndarray else grad.sum(axes, keepdim=True)
    return grad.reshape(shape)


def toposort(roots) -> list:
    """Tensors reachable from ``roots`` through recorded ops, parents before children.

    Iterative post-order DFS: each node is pushed once unexpanded and once expanded; no recursion.
    Tensors hash by identity (``object.__hash__``), so they key sets and dicts directly.
    """
    order = []
    visited = set()
    stack = [(r, False) for r in roots]
    pop, push, seen = stack.pop, stack.append, visited.add
    while stack:
        t, expanded = pop()
        if expanded:
            order.append(t)
            continue
        if t in visited:
            continue
        seen(t)
        push((t, True))
        ctx = t._ctx
        if ctx is not None:
            for p in ctx.parents:
                if p is not None and p._requires_grad and p not in visited:
                    push((p, False))
    return order


_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or to reach saved values after they "
    "were freed). The intermediate values of {op} were freed by the first backward(); pass "
    "retain_graph=True to the first backward() or autograd.grad() if you need to backpropagate twice."
)


def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool, inputs=None):
    """Propagate ``root_grads`` from ``roots`` to every tensor that requires grad.

    With ``inputs=None`` gradients accumulate into the ``.grad`` of leaves (and of non-leaves that
    called ``retain_grad()``), as ``Tensor.backward`` does. With a list of ``inputs`` nothing is
    accumulated; the summed gradient reaching each input is returned (``autograd.grad``).
    Raw ndarrays flow through the pass unless ``create_graph`` is set, in which case every backward
    is itself recorded with Tensor ops, so the result can be differentiated again.
    """
    from . import function
    Tensor = function._Tensor or function._load_tensor()

    grads: dict = {}
    for r, g in zip(roots, root_grads):
        prev = grads.get(r)
        grads[r] = g if prev is None else prev + g
    if inputs is None and not create_graph:
        _backward_into_leaves(roots, grads, retain_graph, Tensor)
        return None
    TensorOps = function.TensorOps
    order = toposort(roots)
    wanted = None
    if inputs is not None:
        wanted = {}
        for i, t in enumerate(inputs):
            wanted.setdefault(t, []).append(i)  # the same tensor may be asked for twice
    captured = None if inputs is None else [None] * len(inputs)

    ndarray = np.ndarray
    prev_mode = _GradMode.enabled
    _GradMode.enabled = create_graph
    try:
        for t in reversed(order):
            g = grads.pop(t, None)
            if g is None:
                continue
            if wanted is not None:
                for i in wanted.get(t, ()):
                    captured[i] = g if captured[i] is None else captured[i] + g
            ctx = t._ctx
            if ctx is None or (wanted is None and t._retains_grad):
                if wanted is None:
                    _accumulate(t, g, create_graph, Tensor)
                if ctx is None:
                    continue
            if ctx.saved is _FREED:
                raise RuntimeError(_FREED_MESSAGE.format(op=type(ctx).__name__))
            if create_graph:
                ctx.ops = TensorOps
                ctx.out = t
                try:
                    parent_grads = ctx.backward(g)
                finally:
                    del ctx.ops
                    ctx.out = None
            else:
                parent_grads = ctx.backward(g)
            if type(parent_grads) is not tuple:
                parent_grads = (parent_grads,)
            for p, pg in zip(ctx.parents, parent_grads):
                if pg is None or p is None or not p._requires_grad:
                    continue
                pdata = p.data
                if pg.shape != pdata.shape:
                    pg = sum_to(pg, pdata.shape)
                if pg.dtype != pdata.dtype:
                    pg = pg.astype(pdata.dtype) if type(pg) is ndarray else pg.to(pdata.dtype)
                if not create_graph and type(pg) is not ndarray:
                    pg = np.asarray(pg)  # numpy scalars from 0-d arithmetic
                prev = grads.get(p)
                grads[p] = pg if prev is None else prev + pg
            if not retain_graph:
                ctx.saved = _FREED
    finally:
        _GradMode.enabled = prev_mode
    return captured


def _backward_into_leaves(roots, grads, retain_graph, Tensor):
    """The common case of :func:`run_backward` (``Tensor.backward()``, first order), as a lean
    loop: the same steps without the bookkeeping for ``inputs`` and ``create_graph``.

    No separate topological sort: as PyTorch's engine does, the pending op-made tensors wait in a
    heap keyed by their creation number (``_seq``) and the newest runs first. A tensor's consumers
    are all newer than it, and each reachable consumer is pending before it is popped, so every
    gradient is complete when its node runs. The gradients left in ``grads`` afterwards are the
    leaves', each complete, and are stored last."""
    ndarray = np.ndarray
    pop, get = grads.pop, grads.get
    freed = _FREED
    heap = [(-t._seq, t) for t in grads if t._ctx is not None]
    heapq.heapify(heap)
    heappush, heappop = heapq.heappush, heapq.heappop
    prev_mode = _GradMode.enabled
    _GradMode.enabled = False
    try:
        while heap:
            t = heappop(heap)[1]
            g = pop(t, None)
            if g is None:
                continue
            ctx = t._ctx
            if t._retains_grad:
                _accumulate(t, g, False, Tensor)
            if ctx.saved is freed:
                raise RuntimeError(_FREED_MESSAGE.format(op=type(ctx).__name__))
            parent_grads = ctx.backward(g)
            if type(parent_grads) is not tuple:
                parent_grads = (parent_grads,)
            for p, pg in zip(ctx.parents, parent_grads):
                if pg is None or p is None or not p._requires_grad:
                    continue
                pdata = p.data
                if pg.shape != pdata.shape:
                    pg = sum_to(pg, pdata.shape)
                if type(pg) is not ndarray:
                    pg = np.asarray(pg)  # numpy scalars from 0-d arithmetic
                if pg.dtype != pdata.dtype:
                    pg = pg.astype(pdata.dtype)
                prev = get(p)
                if prev is None:
                    grads[p] = pg
                    if p._ctx is not None:
                        heappush(heap, (-p._seq, p))
                else:
                    grads[p] = prev + pg
            # Drop this frame's references to the gradients handed on, so that _can_steal's
            # reference count sees only the grads dict's.
            parent_grads = pg = prev = None
            if not retain_graph:
                ctx.saved = freed
        popitem = grads.popitem
        while grads:
            t, g = popitem()
            if t._ctx is not None:  # an op-made tensor no path reached (not possible from roots)
                continue
            if t.grad is None and _can_steal(g, t.data):
                t.grad = Tensor._wrap(g)  # nothing else holds this fresh array: keep it
            else:
                _accumulate(t, g, False, Tensor)
    finally:
        _GradMode.enabled = prev_mode


_getrefcount = sys.getrefcount


def _can_steal(g, data) -> bool:
    """Whether a leaf's first gradient ``g`` can become its ``.grad`` without a copy (PyTorch
    steals the gradient in the same case): a writable ndarray of the leaf's dtype that owns its
    memory (not a view of another array) and is referenced by nobody else — not by another
    pending gradient (an op that hands one array to two inputs), not by a saved value, not by the
    caller. The three references counted are the caller's local, this argument and
    getrefcount's own. Anything else is copied, as before."""
    return (type(g) is np.ndarray and g.base is None and g.dtype == data.dtype
            and g.shape == data.shape and g.flags.writeable and _getrefcount(g) <= 3)


class _Freed:
    __slots__ = ()

    def __repr__(self):
        return "<freed>"


_FREED = _Freed()


def _accumulate(t, g, create_graph: bool, Tensor):
    """Add ``g`` into ``t.grad`` as PyTorch does: the first gradient is stored (copied, so that
    no two ``.grad`` share memory), later ones are added in place."""
    if create_graph:
        t.grad = g if t.grad is None else t.grad + g
        return
    if t.grad is None:
        t.grad = Tensor._wrap(np.array(g, dtype=t.data.dtype, copy=True))
    elif t.grad._ctx is not None or t.grad.requires_grad:
        t.grad = Tensor._wrap(t.grad.data + g)
    else:
        t.grad.data += g
