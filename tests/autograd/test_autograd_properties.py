"""Hypothesis: random broadcastable shapes and random reduction dims, values and gradients vs
PyTorch (few examples each, so the suite stays fast)."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)
OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}


def _both(values):
    xs = [ll.tensor(v, dtype=ll.float64, requires_grad=True) for v in values]
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    return xs, ts


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
       op=st.sampled_from(sorted(OPS)), seed=st.integers(0, 2**16))
def test_broadcast_binary_ops_values_and_grads(shapes, op, seed):
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes.input_shapes
    a = rng.standard_normal(a_shape)
    b = rng.choice([-1.0, 1.0], b_shape) * rng.uniform(0.5, 2.0, b_shape)  # never 0 (div)
    (xa, xb), (ta, tb) = _both([a, b])
    out, tout = OPS[op](xa, xb), OPS[op](ta, tb)
    assert out.shape == tuple(tout.shape) == shapes.result_shape
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    assert xa.grad.shape == a_shape and xb.grad.shape == b_shape  # unbroadcast back to each input
    np.testing.assert_allclose(xa.grad.data, ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xb.grad.data, tb.grad.numpy(), rtol=1e-10, atol=1e-12)


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       scalar=st.floats(-3, 3, allow_nan=False).filter(lambda v: abs(v) > 0.1), seed=st.integers(0, 2**16))
def test_mixed_chain_with_scalars(shapes, scalar, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shapes.input_shapes[0])
    b = rng.uniform(0.5, 2.0, shapes.input_shapes[1])
    (xa, xb), (ta, tb) = _both([a, b])
    f = lambda p, q: ((p * scalar - q) / (q + scalar ** 2) + scalar).sum()  # noqa: E731
    f(xa, xb).backward()
    f(ta, tb).backward()
    np.testing.assert_allclose(xa.grad.data, ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xb.grad.data, tb.grad.numpy(), rtol=1e-10, atol=1e-12)


@st.composite
def shape_and_dims(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3))
    nd = len(shape)
    dims = draw(st.sets(st.integers(0, nd - 1), min_size=0, max_size=nd))
    # each chosen dim written positive or negative at random
    dims = tuple(d - nd if draw(st.booleans()) else d for d in sorted(dims))
    form = draw(st.sampled_from(["tuple", "int", "none"]))
    if form == "int" and dims:
        dims = dims[0]
    elif form == "none" or not dims:
        dims = None
    return shape, dims, draw(st.booleans())


@SETTINGS
@given(sd=shape_and_dims(), fn=st.sampled_from(["sum", "mean", "amax", "logsumexp", "var"]), seed=st.integers(0, 2**16))
def test_reductions_over_random_dims(sd, fn, seed):
    shape, dims, keepdim = sd
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    (x,), (t,) = _both([a])
    if dims is None:
        if fn == "var":
            out, tout = x.var(), t.var()
        elif fn == "logsumexp":
            full = tuple(range(len(shape)))
            out, tout = x.logsumexp(full, keepdim=keepdim), t.logsumexp(full, keepdim=keepdim)
        else:
            out, tout = getattr(x, fn)(), getattr(t, fn)()
    else:
        if fn == "var":
            out, tout = x.var(dims, keepdim=keepdim, correction=0), t.var(dims, keepdim=keepdim, correction=0)
        else:
            out, tout = getattr(x, fn)(dims, keepdim=keepdim), getattr(t, fn)(dims, keepdim=keepdim)
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@SETTINGS
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), seed=st.integers(0, 2**16))
def test_random_index_with_repeats(shape, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    idx = rng.integers(0, shape[0], size=rng.integers(1, 6))
    (x,), (t,) = _both([a])
    out, tout = x[idx] ** 2, t[torch.tensor(idx)] ** 2
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-12, atol=1e-14)
