"""Capture and replay: record the ops of one forward pass, then run later passes of the same
shapes as a flat list of the recorded kernels, forward and backward, without building a graph.

Why: an eager step pays Python for every op it records (a node, a Tensor, the checks of the
op's wrapper, the ordering and bookkeeping of the backward pass). On a tiny model that fixed
cost is most of the step. A replay calls the very same ``forward`` and ``backward`` methods on
the very same arrays, in the same order, so its numbers are bit-for-bit the eager step's; it
only skips the Python around them. This is the idea of CUDA graphs and of
``torch.compile(mode="reduce-overhead")``, done for NumPy kernels.

How a capture works:

1. :func:`recording` installs a :class:`Recorder` in this thread; ``Function.apply`` hands it
   every op it runs (node, input arrays, options, output).
2. :class:`ReplayPlan` turns the recording into slots: the step's inputs, the parameters and
   buffers (read again from their Tensors on every replay) and each op's output. Every array an
   op reads must be one of those; an array made inside the step by other means (a constant
   built from the data in Python, say) would be frozen at its captured value, so the plan
   refuses it (:class:`CaptureError`) and the caller stays eager.
3. Only ops whose class says ``capturable = True`` are replayed. Such an op promises that its
   ``forward`` is a function of its input arrays and options, that its wrapper passes options
   that depend only on shapes and hyperparameters (never on the data's values), and that the
   checks its wrapper makes on the *values* (labels in range, probabilities in [0, 1]) are
   repeated by its ``replay_check(arrays, options)`` (before the forward) or
   ``replay_check_output(out)`` (after). A replay that fails a check returns None, and the
   caller runs the step eagerly, which raises the wrapper's usual error.
4. Python that reads a tensor's value during the capture (``item()``, ``bool()``, ``tolist()``,
   ``numpy()``, an index) may branch on the data, so the plan refuses such a step too.

A plan is valid for the shapes and dtypes it was captured with; the caller keys plans by them
(``losslab.train.compile_step``).
"""
from __future__ import annotations

import contextlib
import operator
import sys

import numpy as np

from .engine import _CAPTURE, _FREED, _GradMode, sum_to
from .function import as_output_array

__all__ = ["CaptureError", "Recorder", "ReplayPlan", "recording", "capturable_ops"]


class CaptureError(RuntimeError):
    """A recorded step that cannot be replayed safely; the message says why."""


class Recorder:
    """What ``Function.apply`` ran while a capture was active: ``entries`` of
    (node, input arrays, options, output Tensor), and the first ``problem`` met, if any."""

    __slots__ = ("entries", "problem")

    def __init__(self):
        self.entries: list = []
        self.problem: str | None = None

    def record(self, node, arrays, options, out) -> None:
        if self.problem is not None:
            return
        if not getattr(node, "capturable", False):
            self.problem = (f"the op {type(node).__name__} is not marked capturable (replay supports "
                            f"{', '.join(capturable_ops())})")
            return
        self.entries.append((node, arrays, options, out))

    def value_read(self, what: str) -> None:
        if self.problem is None:
            self.problem = (f"the step reads a tensor's value in Python ({what}), so the ops it "
                            "runs may depend on the data")


def capturable_ops() -> list[str]:
    """Names of the ops (``OP_REGISTRY``) that a replay can run."""
    from .function import OP_REGISTRY
    return sorted(name for name, cls in OP_REGISTRY.items() if getattr(cls, "capturable", False))


@contextlib.contextmanager
def recording():
    """Record the ops run in this thread inside the block; yields the :class:`Recorder`."""
    if _CAPTURE.recorder is not None:
        raise RuntimeError("recording: a capture is already running in this thread (captures don't nest)")
    rec = Recorder()
    _CAPTURE.recorder = rec
    try:
        yield rec
    finally:
        _CAPTURE.recorder = None


_getrefcount = sys.getrefcount


class _GradFlag:
    """Stands in for a node's captured input Tensor: whether it wanted a gradient, no data."""

    __slots__ = ("_requires_grad",)

    def __init__(self, requires_grad: bool):
        self._requires_grad = requires_grad


class _Refused(Exception):
    """An op's replay check refused this batch's values (the step runs eagerly instead)."""


def _getter(srcs: list):
    """``vals -> tuple of the arguments`` at ``srcs`` (a C-level itemgetter where possible)."""
    if len(srcs) > 1:
        return operator.itemgetter(*srcs)
    if not srcs:
        return lambda vals: ()
    (k,) = srcs
    return lambda vals: (vals[k],)


def _forward_call(node, static: dict, dynamic: tuple, wraps_output: bool):
    """The callable a replay runs for ``node``: its bound ``forward``, or, when the op has
    dynamic options, value checks or a non-ndarray result, a closure that adds those steps."""
    fwd = node.forward
    check = getattr(node, "replay_check", None)
    check_out = getattr(node, "replay_check_output", None)
    if not (static or dynamic or check or check_out or wraps_output):
        return fwd
    if not (dynamic or check or check_out or wraps_output):
        return lambda *args: fwd(*args, **static)

    def checked(*args):
        opts = static
        if dynamic:
            opts = dict(static)
            vals = checked.vals
            for key, k in dynamic:
                opts[key] = vals[k]
        if check is not None and not check(args, opts):
            raise _Refused
        out = fwd(*args, **opts)
        if type(out) is not np.ndarray:
            out = as_output_array(node, out)
        if check_out is not None and not check_out(out):
            raise _Refused
        return out

    checked.vals = None  # the plan's slot list, bound by ReplayPlan (dynamic options read it)
    return checked


_STATIC_TYPES = (type(None), bool, int, float, complex, str, np.generic, np.dtype, type)


def _is_static(value) -> bool:
    if isinstance(value, _STATIC_TYPES):
        return True
    if type(value) is tuple:
        return all(_is_static(v) for v in value)
    return False


class ReplayPlan:
    """A recorded forward pass and its backward, as flat lists of kernel calls on slots.

    Args:
        recorder: the :class:`Recorder` of an eager forward pass.
        inputs: the step's input Tensors (the batch); a replay passes new arrays in their place.
        leaves: the Tensors that persist between steps (parameters and buffers); a replay reads
            their ``.data`` again, and stops (returns ``"stale"``) if one was replaced or its
            ``requires_grad`` changed.
        loss: the one-element Tensor the backward pass starts from (build the plan after the
            captured step's own ``backward()``: the plan takes over its nodes).
        output: optionally a Tensor of the step (the model's output) whose array each replay
            leaves in ``plan.output`` for the caller to take.

    Raises:
        CaptureError: the recording cannot be replayed safely (the message says why).
    """

    def __init__(self, recorder: Recorder, inputs, leaves, loss, output=None):
        if recorder.problem is not None:
            raise CaptureError(recorder.problem)
        if not recorder.entries:
            raise CaptureError("the step ran no op that could be replayed")
        vals: list = []
        index: dict[int, int] = {}
        keep = []  # the captured arrays, alive while the plan is built so that ids stay unique
        transient = []  # slots of op outputs: cleared after each replay (eager frees them too)

        def add(arr, indexed=True):
            vals.append(arr)
            if indexed:
                index[id(arr)] = len(vals) - 1
                keep.append(arr)
            return len(vals) - 1

        self.input_slots = []
        for t in inputs:
            if id(t.data) in index:
                raise CaptureError("two inputs of the step share one array")
            if t._requires_grad:
                raise CaptureError("an input of the step requires grad (replay fills only the "
                                   "parameters' .grad)")
            self.input_slots.append(add(t.data))
        self.leaves = []  # (slot, Tensor, the array captured, whether it required grad)
        grad_leaf: dict[int, object] = {}
        for t in leaves:
            if id(t.data) in index:
                continue  # a tied parameter: one slot
            k = add(t.data)
            self.leaves.append((k, t, t.data, t._requires_grad))
            if t._requires_grad:
                grad_leaf[k] = t

        forward = []
        backward = []
        for node, arrays, options, out in recorder.entries:
            name = type(node).__name__
            srcs = []

            def slot_of(arr, what: str) -> int:
                k = index.get(id(arr))
                if k is None:
                    raise CaptureError(
                        f"{name} {what} made inside the step that is neither an input, a parameter "
                        "or buffer, nor an op's output; a replay would freeze its value")
                return k

            for a in arrays:
                if type(a) is np.ndarray:
                    srcs.append(slot_of(a, "reads an array"))
                elif _is_static(a):
                    srcs.append(add(a, indexed=False))
                else:
                    raise CaptureError(f"{name} takes an input of type {type(a).__name__}")
            static, dynamic = {}, []
            for key, v in options.items():
                if type(v) is np.ndarray:
                    dynamic.append((key, slot_of(v, f"takes an array option {key}=")))
                elif _is_static(v):
                    static[key] = v
                else:
                    raise CaptureError(f"{name} takes an option {key}= of type {type(v).__name__}")
            if out._retains_grad:
                raise CaptureError("a tensor of the step calls retain_grad()")
            out_slot = add(out.data)
            transient.append(out_slot)
            # a 0-d result may come back from NumPy as a scalar, which apply turned into an array
            wraps = type(out.data) is not np.ndarray or out.data.ndim == 0
            forward.append((_forward_call(node, static, dynamic, wraps),
                            _getter(srcs), out_slot))
            if out._ctx is node:  # recorded in the graph: its backward runs in the replay
                edges = []  # (position in backward's result, slot, shape, dtype) of each input
                for i, p in enumerate(node.parents):   # that wants a gradient
                    if p is None or not p._requires_grad:
                        continue
                    k = srcs[i]
                    if p._ctx is None and k not in grad_leaf:
                        raise CaptureError(f"{name} reads a tensor that requires grad but is not a "
                                           "parameter of the step")
                    edges.append((i, k, p.data.shape, p.data.dtype))
                backward.append((node.backward, out_slot, tuple(edges), node))
        k = index.get(id(loss.data))
        if k is None or loss._ctx is None:
            raise CaptureError("the loss is not the output of a recorded op")
        if loss.data.size != 1:
            raise CaptureError(f"the loss must have one element, got shape {loss.data.shape}")
        self.loss_slot = k
        self.output = None
        self.output_slot = None
        if output is not None:
            self.output_slot = index.get(id(output.data))
            if self.output_slot is None:
                raise CaptureError("the model's output is not an input, a parameter or an op's output")
        # the backward's seed, ∂L/∂L = 1, made once; read-only, so a kernel can never change it
        # (and a gradient that is the seed itself is copied, not stolen: see run)
        self._seed = np.ones(loss.data.shape, loss.data.dtype)
        self._seed.flags.writeable = False
        self.forward = forward
        # an op that draws from the global generator (dropout): the caller saves its state before
        # a replay, to restore it if the replay is abandoned and the step redone eagerly
        self.draws_random = any(getattr(node, "draws_random", False) for node, *_ in recorder.entries)
        self.backward = backward[::-1]  # reverse creation order: the eager engine's order
        self._lean = None  # the backward as the first replay ran it (see _backward_traced)
        self.grad_leaves = tuple(grad_leaf.items())
        self.vals = vals
        # Between replays the op outputs are dropped, as the eager step drops its graph: the slots
        # from the first op output on are reset to this template (the constants stay) in one go.
        self._tail = min(transient)
        transient = set(transient)
        self._tail_template = [None if k in transient else v
                               for k, v in enumerate(vals) if k >= self._tail]
        vals[self._tail:] = self._tail_template
        # The nodes outlive the capture: keep of their inputs only the flag backward reads
        # (needs_input_grad), not the captured Tensors and arrays behind them. (So a plan is
        # built after the capture's own backward pass, which still needs them.)
        for node, *_ in recorder.entries:
            node.parents = tuple(None if p is None else _GradFlag(p._requires_grad) for p in
                                 getattr(node, "parents", ()))
            node.input_arrays = ()
            node.saved = _FREED
        keep.clear()  # the plan holds no captured array beyond the slots
        index.clear()
        for call, _, _ in forward:
            if getattr(call, "vals", False) is None:
                call.vals = vals
        from .tensor import Tensor
        self._Tensor = Tensor

    def _backward_traced(self, grads) -> None:
        """The backward pass with the eager engine's per-edge rules, recording what each op did.

        The rules (``_backward_into_leaves``): skip an op whose output got no gradient, sum a
        gradient down to its input's shape (broadcasting), convert a NumPy scalar to an array
        and cast to the input's dtype, and add the gradients an input gets from several
        consumers. A capturable op's backward returns arrays whose presence, shape and dtype
        depend only on the shapes, dtypes and options of the plan (``capturable``'s promise), so
        which of these rules fire is the same on every replay of one plan. When the first replay
        needed no conversion, later replays run the recorded list (``_lean``): each op's backward
        and plain stores or sums into the slots, without the checks (~0.5 µs an edge)."""
        ndarray = np.ndarray
        trace = []
        converted = False
        touched = set()  # slots that already hold a gradient (a later edge into one adds)
        for backward, out_slot, edges, node in self.backward:
            g = grads[out_slot]
            if g is None:
                continue
            grads[out_slot] = None
            pgs = backward(g)
            wrap_one = type(pgs) is not tuple
            if wrap_one:
                pgs = (pgs,)
            stores = []
            for i, k, shape, dtype in edges:
                pg = pgs[i]
                if pg is None:
                    continue
                if pg.shape != shape:
                    pg = sum_to(pg, shape)
                    converted = True
                if type(pg) is not ndarray:
                    pg = np.asarray(pg)
                    converted = True
                if pg.dtype is not dtype and pg.dtype != dtype:
                    pg = pg.astype(dtype)
                    converted = True
                prev = grads[k]
                grads[k] = pg if prev is None else prev + pg
                stores.append((i, k, k in touched))
                touched.add(k)
            trace.append((backward, out_slot, tuple(stores), wrap_one, node))
            pgs = pg = prev = g = None
            node.saved = _FREED
        if not converted:
            self._lean = tuple(trace)

    def run(self, input_arrays):
        """Replay the forward and backward pass on new input arrays (same shapes and dtypes as
        captured) and set each parameter's ``.grad`` to its gradient, as
        ``zero_grad(set_to_none=True)`` followed by ``backward()`` does (a parameter the loss
        does not reach keeps its ``.grad``: the caller clears it).

        Returns the loss array; None when an op's ``replay_check`` refused the data (run the step
        eagerly for the op's error); ``"stale"`` when a parameter's array was replaced since the
        capture (capture again). A refused replay leaves every ``.grad`` as it was; once the
        forward has run, the gradients are cleared first, as ``zero_grad`` does, so that old and
        new gradients never coexist (the eager step's peak memory)."""
        vals = self.vals
        for k, a in zip(self.input_slots, input_arrays):
            vals[k] = a
        for k, t, a, wants_grad in self.leaves:
            # a new array behind a parameter, or one frozen (requires_grad_(False)) or unfrozen
            # since the capture, whose backward would then differ: capture again
            if t.data is not a or t._requires_grad is not wants_grad:
                return "stale"
        prev_mode = _GradMode.enabled
        _GradMode.enabled = False  # a forward that builds Tensors must not record them
        try:
            for call, get, out_slot in self.forward:
                vals[out_slot] = call(*get(vals))
            loss = vals[self.loss_slot]
            for _, t in self.grad_leaves:  # zero_grad(): the old gradients go before new ones come
                t.grad = None
            grads = [None] * len(vals)
            grads[self.loss_slot] = self._seed
            lean = self._lean
            if lean is not None:
                for backward, out_slot, stores, wrap_one, node in lean:
                    pgs = backward(grads[out_slot])
                    grads[out_slot] = None
                    if wrap_one:
                        pgs = (pgs,)
                    for i, k, add in stores:
                        grads[k] = grads[k] + pgs[i] if add else pgs[i]
                    node.saved = _FREED
                pgs = None
            else:
                self._backward_traced(grads)
            if self.output_slot is not None:
                self.output = vals[self.output_slot]
            vals[self._tail:] = self._tail_template  # drop this step's activations
        except _Refused:
            return None
        finally:
            _GradMode.enabled = prev_mode
        wrap = self._Tensor._wrap
        for k, t in self.grad_leaves:
            g = grads[k]
            if g is None:
                continue
            grads[k] = None
            # as zero_grad(set_to_none=True) then backward: the fresh gradient, kept without a
            # copy when nothing else holds it (the engine's _can_steal rule; shape and dtype are
            # the parameter's after the edge rules above). References: g, getrefcount's argument.
            if g.base is None and _getrefcount(g) <= 2 and g.flags.writeable:
                t.grad = wrap(g)
            else:
                t.grad = wrap(np.array(g, dtype=t.data.dtype))
        return loss
