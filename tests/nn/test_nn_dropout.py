"""Dropout: inverted-dropout statistics, gradients, eval mode, p = 0 / p = 1 and validation."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
import losslab.nn as lnn
import losslab.nn.functional as F

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_train_mode_statistics_and_scaling(p):
    ll.manual_seed(0)
    n = 200_000
    x = ll.ones(n, dtype=ll.float64)
    y = lnn.Dropout(p)(x).data
    dropped = (y == 0).mean()
    # binomial: std of the dropped fraction is sqrt(p(1-p)/n) <= 0.0012; allow 5 sigma
    assert abs(dropped - p) < 5 * np.sqrt(p * (1 - p) / n)
    kept = y[y != 0]
    np.testing.assert_allclose(kept, 1.0 / (1.0 - p), rtol=1e-15)
    assert abs(y.mean() - 1.0) < 5 * np.sqrt(p / (1 - p) / n)  # mean preserved


def test_gradient_is_scaled_mask():
    ll.manual_seed(1)
    p = 0.3
    x = ll.tensor(np.random.default_rng(0).normal(size=(50, 40)), requires_grad=True)
    y = lnn.Dropout(p)(x)
    g = np.random.default_rng(1).normal(size=x.shape)
    y.backward(ll.tensor(g))
    mask = (y.data != 0) / (1 - p)
    np.testing.assert_allclose(y.data, x.data * mask, rtol=1e-15)
    np.testing.assert_allclose(x.grad.data, g * mask, rtol=1e-15)


@pytest.mark.parametrize("dtype", [ll.float32, ll.float64])
def test_the_dropout_op_is_the_input_times_a_constant_mask_bit_for_bit(dtype):
    # InvertedDropout draws the mask in its forward; its numbers are those of the composition
    # x * Tensor(mask) with the same draw (the way dropout was built before it was one op)
    p = 0.35
    x0 = np.random.default_rng(3).normal(size=(6, 7)).astype(dtype)
    g = np.random.default_rng(4).normal(size=(6, 7)).astype(dtype)
    ll.manual_seed(11)
    x = ll.tensor(x0, requires_grad=True)
    y = F.dropout(x, p)
    y.backward(ll.tensor(g))
    assert repr(y.grad_fn) == "<InvertedDropoutBackward>"  # one node, not a Mul with a constant
    ll.manual_seed(11)
    keep = ll.random.generator().random(x0.shape) < (1.0 - p)
    mask = keep.astype(dtype) * np.dtype(dtype).type(1.0 / (1.0 - p))
    x2 = ll.tensor(x0, requires_grad=True)
    y2 = x2 * ll.tensor(mask)
    y2.backward(ll.tensor(g))
    assert y.dtype == dtype
    assert np.array_equal(y.data, y2.data) and np.array_equal(x.grad.data, x2.grad.data)


def test_eval_mode_is_identity():
    d = lnn.Dropout(0.5).eval()
    x = ll.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert d(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    d.train()
    ll.manual_seed(0)
    assert d(ll.ones(1000)).data.min() == 0.0


def test_inside_sequential_eval_switches_dropout():
    net = lnn.Sequential(lnn.Linear(3, 3), lnn.Dropout(0.9))
    x = ll.ones(2, 3)
    net.eval()
    np.testing.assert_array_equal(net(x).data, net[0](x).data)
    net.train()
    ll.manual_seed(3)
    assert (net(ll.ones(100, 3)).data == 0).mean() > 0.5


def test_p_zero_and_p_one():
    x = ll.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    assert lnn.Dropout(0.0)(x) is x
    y = lnn.Dropout(1.0)(x)
    assert np.all(y.data == 0) and np.all(np.isfinite(y.data))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((2, 3)))
    assert repr(lnn.Dropout(1)) == repr(torch.nn.Dropout(1))


def test_seeded_masks_repeat_and_dtype_preserved():
    ll.manual_seed(7)
    a = F.dropout(ll.ones(100, dtype=ll.float64), 0.5)
    ll.manual_seed(7)
    b = F.dropout(ll.ones(100, dtype=ll.float64), 0.5)
    np.testing.assert_array_equal(a.data, b.data)
    assert a.dtype == np.float64
    assert F.dropout(ll.ones(10), 0.5).dtype == np.float32


@pytest.mark.parametrize("p", [1.5, -0.1, True, "0.5", None])
def test_bad_p_raises(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        lnn.Dropout(p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(ll.ones(2), p)


def test_non_tensor_input_raises():
    with pytest.raises(TypeError, match="Tensor"):
        F.dropout(np.ones(3), 0.5)


def test_repr_matches_torch():
    for p in (0.5, 0.25, 0):
        assert repr(lnn.Dropout(p)) == repr(torch.nn.Dropout(p))
