"""Multi-tensor ("foreach") updates for the many small parameters of a small model.

A per-parameter update pays a few microseconds of Python and ~10 ufunc calls for every parameter,
however small: on a 64-32-10 MLP (four arrays, 2,410 numbers) Adam spent most of its step on that
fixed cost. Here the small parameters of one param group share *flat* state arrays: their
``exp_avg`` and ``exp_avg_sq`` (still one array per parameter in ``optimizer.state``, with the
parameter's shape) are views of one contiguous buffer each, the gradients are gathered into one
flat buffer, and every elementwise operation of the update runs once over all of them. The
operations and their order are the per-parameter kernel's, elementwise, so the numbers are
bit-for-bit the same as the per-parameter path (and as ``torch.optim``'s single-tensor path).

The flat layout is a cache, rebuilt whenever it no longer matches the optimizer's state (first
step, ``load_state_dict``, a state array replaced by hand, a parameter without a gradient, a
parameter added); ``state_dict`` sees ordinary per-parameter arrays.
"""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor

__all__: list[str] = []

#: Parameters with at most this many elements are updated through the flat buffers; larger ones
#: keep the per-parameter kernel (their update is memory-bound and gains nothing from batching,
#: while gathering their gradient would cost a copy).
FLAT_MAX_NUMEL = 16384


class FlatGroup:
    """Flat buffers for the small parameters of one param group, with one view per parameter."""

    __slots__ = ("params", "keys", "flats", "views", "grad", "buf", "buf_views", "steps",
                 "step_views")

    def __init__(self, params: list, state, keys: tuple, init):
        """``init(p, state)`` fills the state of a parameter that has none; the arrays named by
        ``keys`` are copied into the flat buffers and replaced by views of them."""
        dtype = params[0].data.dtype
        sizes = [p.data.size for p in params]
        total = sum(sizes)
        self.params = tuple(params)
        self.keys = keys
        self.flats = {k: np.empty(total, dtype=dtype) for k in keys}
        self.grad = np.empty(total, dtype=dtype)
        self.buf = np.empty(total, dtype=dtype)
        self.views = []
        self.buf_views = []
        off = 0
        for p, n in zip(params, sizes):
            st = state[p]
            if len(st) == 0:
                init(p, st)
            shape = p.data.shape
            vs = []
            for k in keys:
                v = self.flats[k][off:off + n].reshape(shape)
                v[...] = st[k]
                st[k] = v
                vs.append(v)
            self.views.append(tuple(vs))
            self.buf_views.append(self.buf[off:off + n].reshape(shape))
            off += n
        # The 0-d ``step`` counters too, when they are all 0-d arrays of one dtype with one value
        # (always so for steps taken by this optimizer): one flat array, ``+= 1`` once per step.
        steps = [state[p].get("step") for p in params]
        s0 = steps[0]
        self.steps = self.step_views = None
        if all(type(s) is np.ndarray and s.shape == () and s.dtype == s0.dtype and s == s0
               for s in steps):
            self.steps = np.full(len(params), s0, dtype=s0.dtype)
            self.step_views = tuple(self.steps[i:i + 1].reshape(()) for i in range(len(params)))
            for p, v in zip(params, self.step_views):
                state[p]["step"] = v

    def matches(self, params: list, state) -> bool:
        """Whether the cached layout is still the optimizer's: the same parameters, each
        state array still the view handed out."""
        if len(params) != len(self.params):
            return False
        keys = self.keys
        for p, q, vs in zip(params, self.params, self.views):
            if p is not q:
                return False
            st = state.get(p)
            if st is None:
                return False
            for k, v in zip(keys, vs):
                if st.get(k) is not v:
                    return False
        if self.step_views is not None:
            for p, v in zip(params, self.step_views):
                if state[p].get("step") is not v:
                    return False
            if p.data.shape != vs[0].shape:
                return False
        return True

    def gather_grads(self, grads: list) -> np.ndarray:
        """Copy the gradients into the flat gradient buffer (cast to its dtype if needed, as
        ``astype`` would): one ``concatenate`` call."""
        return np.concatenate(grads, axis=None, out=self.grad)


def split_small(group_params, fits) -> tuple[list, list, list]:
    """The parameters of a group that have a gradient, split into (small, their grads) and the
    rest; ``fits(p, g)`` says whether a parameter may join the flat update."""
    small, grads, rest = [], [], []
    for p in group_params:
        g = p.grad
        if g is None:
            continue
        if isinstance(g, Tensor):
            g = g.data
        if type(g) is np.ndarray and g.shape == p.data.shape and fits(p, g):
            small.append(p)
            grads.append(g)
        else:
            rest.append(p)
    return small, grads, rest
