"""Gradients at kinks and ties: each convention equals PyTorch's exactly and is the documented one.

Where a function has no derivative (|x| at 0, max at a tie) a library must pick a value. losslab
picks PyTorch's; these tests pin both the value we document and the agreement with torch.
"""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll

torch = pytest.importorskip("torch")
F = torch.nn.functional


def grads(ll_fn, torch_fn, *values, upstream=None):
    """Gradients of ``sum(fn(*xs) * upstream)`` in losslab and torch (float64)."""
    xs = [ll.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in values]
    ts = [torch.tensor(np.array(v, dtype=np.float64), requires_grad=True) for v in values]
    out, tout = ll_fn(*xs), torch_fn(*ts)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-15)
    go = np.ones(out.shape) if upstream is None else np.asarray(upstream, dtype=np.float64)
    out.backward(go)
    tout.backward(torch.tensor(go))
    gl = [x.grad.data for x in xs]
    gt = [t.grad.numpy() if t.grad is not None else np.zeros(t.shape) for t in ts]
    for a, b in zip(gl, gt):
        # the kink values themselves (0, 1/2, 1, inf) are pinned exactly by each test
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    return gl if len(gl) > 1 else gl[0]


def test_abs_at_zero_is_zero():
    g = grads(lambda x: x.abs(), lambda x: x.abs(), [-2.0, 0.0, 3.0, -0.0])
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0, 0.0])
    assert "0" in ll.abs.__doc__ and "PyTorch" in ll.abs.__doc__


def test_relu_at_zero_is_zero():
    g = grads(lambda x: x.relu(), lambda x: x.relu(), [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])
    assert "relu′(0) = 0" in ll.relu.__doc__


def test_sign_gradient_is_zero_everywhere():
    g = grads(lambda x: x.sign(), lambda x: x.sign(), [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("lo,hi", [(0.0, 1.0), (-1.0, None), (None, 0.5)])
def test_clamp_passes_gradient_at_the_bounds(lo, hi):
    vals = [-1.0, 0.0, 0.5, 1.0, 2.0, -2.0]
    g = grads(lambda x: x.clamp(lo, hi), lambda x: x.clamp(lo, hi), vals)
    expect = [1.0 if (lo is None or v >= lo) and (hi is None or v <= hi) else 0.0 for v in vals]
    np.testing.assert_array_equal(g, expect)  # bounds included: x == min or x == max gets 1


def test_clamp_min_greater_than_max():
    g = grads(lambda x: x.clamp(1.0, 0.0), lambda x: x.clamp(1.0, 0.0), [-1.0, 0.0, 0.5, 1.0, 2.0])
    np.testing.assert_array_equal(g, np.zeros(5))


def test_clamp_tensor_bounds_at_ties():
    x = [0.0, 1.0, -2.0, 3.0, 0.5, 0.2]
    lo = [0.0, -1.0, -1.0, 0.0, 0.5, 0.2]
    hi = [2.0, 1.0, 1.0, 1.0, 0.5, 0.2]  # x == lo, x == hi, below, above, lo == hi == x, x < lo == hi
    x[5] = 0.1
    gx, glo, ghi = grads(lambda a, b, c: ll.clamp(a, b, c), lambda a, b, c: torch.clamp(a, b, c), x, lo, hi)
    np.testing.assert_array_equal(gx, [1, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(glo, [0, 0, 1, 0, 0, 0])
    np.testing.assert_array_equal(ghi, [0, 0, 0, 1, 0, 0])


def test_clamp_tensor_min_only_and_max_only():
    x, b = [0.0, 1.0, -1.0], [0.0, 0.0, 0.0]
    gx, gb = grads(lambda a, c: ll.clamp(a, min=c), lambda a, c: torch.clamp(a, min=c), x, b)
    np.testing.assert_array_equal(gx, [1, 1, 0])
    gx, gb = grads(lambda a, c: ll.clamp(a, max=c), lambda a, c: torch.clamp(a, max=c), x, b)
    np.testing.assert_array_equal(gx, [1, 0, 1])


def test_leaky_relu_at_zero_is_slope():
    g = grads(lambda x: ll.leaky_relu(x, 0.1), lambda x: F.leaky_relu(x, 0.1), [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(g, [0.1, 0.1, 1.0])
    assert "negative_slope" in ll.leaky_relu.__doc__


def test_elu_at_zero_is_alpha():
    g = grads(lambda x: ll.elu(x, 0.7), lambda x: F.elu(x, 0.7), [0.0])
    assert g[0] == 0.7


@pytest.mark.parametrize("fn", ["maximum", "minimum"])
def test_maximum_minimum_ties_split_evenly(fn):
    ga, gb = grads(lambda a, b: getattr(ll, fn)(a, b), lambda a, b: getattr(torch, fn)(a, b),
                   [1.0, 2.0, 3.0], [1.0, 0.0, 5.0])
    assert ga[0] == gb[0] == 0.5


@pytest.mark.parametrize("fn", ["amax", "amin"])
def test_amax_amin_ties_distribute_evenly(fn):
    vals = [[3.0, 1.0, 3.0, 3.0], [-1.0, -1.0, 2.0, 0.0]] if fn == "amax" else \
        [[0.0, 1.0, 0.0, 0.0], [-1.0, -1.0, 2.0, 0.0]]
    g = grads(lambda x: getattr(x, fn)(1), lambda x: getattr(x, fn)(1), vals, upstream=[3.0, 2.0])
    if fn == "amax":
        np.testing.assert_array_equal(g, [[1, 0, 1, 1], [0, 0, 2, 0]])
    else:
        np.testing.assert_array_equal(g, [[1, 0, 1, 1], [1, 1, 0, 0]])
    g = grads(lambda x: getattr(x, fn)(), lambda x: getattr(x, fn)(), vals, upstream=6.0)
    assert g.sum() == 6.0


@pytest.mark.parametrize("fn", ["max", "min"])
def test_full_reduction_max_min_ties_distribute_evenly(fn):
    vals = [[2.0, 2.0], [-2.0, 2.0]] if fn == "max" else [[-2.0, 2.0], [-2.0, -2.0]]
    g = grads(lambda x: getattr(x, fn)(), lambda x: getattr(x, fn)(), vals)
    np.testing.assert_allclose(g[np.array(vals) == (2.0 if fn == "max" else -2.0)], 1 / 3)


@pytest.mark.parametrize("fn", ["max", "min"])
def test_max_min_with_dim_send_gradient_to_returned_index(fn):
    vals = [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, -1.0, -1.0]]
    x = ll.tensor(vals, dtype=ll.float64, requires_grad=True)
    t = torch.tensor(vals, dtype=torch.float64, requires_grad=True)
    r, rt = getattr(x, fn)(1), getattr(t, fn)(1)
    np.testing.assert_array_equal(r.indices.data, rt.indices.numpy())
    r.values.sum().backward()
    rt.values.sum().backward()
    np.testing.assert_array_equal(x.grad.data, t.grad.numpy())
    assert x.grad.data.sum() == 3.0  # one index per row, not shared


@pytest.mark.parametrize("p", [2, 1, 3, 1.5, 0.5, float("inf")])
def test_norm_at_zero(p):
    g = grads(lambda x: x.norm(p), lambda x: x.norm(p), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(g, np.zeros(3))


@pytest.mark.parametrize("p", [1, 1.5, 0.5, 3])
def test_norm_with_a_zero_element(p):
    g = grads(lambda x: x.norm(p, dim=1), lambda x: x.norm(p, dim=1), [[0.0, 1.0, -2.0], [0.0, 0.0, 0.0]])
    assert g[0, 0] == 0.0 and np.isfinite(g).all()


def test_sqrt_at_zero_is_inf_like_torch():
    with np.errstate(divide="ignore"):
        g = grads(lambda x: x.sqrt(), lambda x: x.sqrt(), [0.0, 4.0])
    assert g[0] == np.inf and g[1] == 0.25


@pytest.mark.parametrize("beta,threshold", [(1.0, 20.0), (2.0, 4.0), (0.5, 3.0)])
def test_softplus_threshold_boundary(beta, threshold):
    at = threshold / beta  # beta·x == threshold exactly: still the soft branch (strict >)
    vals = [at, np.nextafter(at, np.inf), np.nextafter(at, -np.inf), at + 1.0]
    g = grads(lambda x: ll.softplus(x, beta, threshold), lambda x: F.softplus(x, beta, threshold), vals)
    assert g[1] == g[3] == 1.0 and g[0] < 1.0


def test_std_of_constant_slice_has_zero_gradient():
    g = grads(lambda x: x.std(1), lambda x: x.std(1), [[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])
    np.testing.assert_array_equal(g[0], [0.0, 0.0, 0.0])
    assert np.all(np.isfinite(g))


def test_pow_conventions_at_zero_base():
    with np.errstate(divide="ignore", invalid="ignore"):
        ga, gb = grads(lambda a, b: a ** b, lambda a, b: a ** b, [0.0, 0.0, 0.0, 2.0], [0.0, 2.0, 0.5, 0.0])
    np.testing.assert_array_equal(ga, [0.0, 0.0, np.inf, 0.0])
    np.testing.assert_array_equal(gb, [0.0, 0.0, 0.0, np.log(2.0)])
    g = grads(lambda a: a ** 0, lambda a: a ** 0, [0.0, 3.0])
    np.testing.assert_array_equal(g, [0.0, 0.0])
    with np.errstate(divide="ignore"):
        g = grads(lambda a: a ** 0.5, lambda a: a ** 0.5, [0.0, 4.0])
        np.testing.assert_array_equal(g, [np.inf, 0.25])
        g = grads(lambda a: a ** -1.0, lambda a: a ** -1.0, [0.0, 2.0])
        np.testing.assert_array_equal(g, [-np.inf, -0.25])
    g = grads(lambda a: a ** 1, lambda a: a ** 1, [0.0, 2.0])
    np.testing.assert_array_equal(g, [1.0, 1.0])


def test_prod_with_zeros_is_exact():
    g = grads(lambda x: x.prod(), lambda x: x.prod(), [2.0, 0.0, 3.0])
    np.testing.assert_array_equal(g, [0.0, 6.0, 0.0])
    g = grads(lambda x: x.prod(), lambda x: x.prod(), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


def test_where_gives_zero_to_the_unchosen_branch():
    ga, gb = grads(lambda a, b: ll.where(ll.tensor([True, False]), a, b),
                   lambda a, b: torch.where(torch.tensor([True, False]), a, b), [1.0, 2.0], [3.0, 4.0])
    np.testing.assert_array_equal(ga, [1, 0])
    np.testing.assert_array_equal(gb, [0, 1])


def test_pow_with_a_constant_tensor_exponent_skips_log_of_negative_base():
    """x ** e with e a tensor that needs no gradient: no log(base) is taken, so a negative base
    gives no RuntimeWarning and the base's gradient is e·x^(e−1)."""
    import warnings

    x = ll.tensor([-2.0, 3.0], dtype=ll.float64, requires_grad=True)
    e = ll.tensor([2.0, 2.0], dtype=ll.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        (x ** e).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-4.0, 6.0])
    assert e.grad is None
