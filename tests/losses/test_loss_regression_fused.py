"""The fused primitives of losslab.losses.regression against the composed versions they replace:
values, gradients, second derivatives (create_graph), the kink at |d| = δ, dtype, and the
docstring examples of the regression and distribution modules."""
from __future__ import annotations

import doctest
import importlib
import math

import numpy as np
import pytest

import losslab as ll
from losslab.losses.regression import GaussianVarClamp, HuberLossCore, LogCoshCore


def t64(a, requires_grad=False):
    return ll.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def composed_huber(d, delta):
    """The min-trick: q = min(|d|, δ), ½q² + δ(|d| − q); ``minimum`` splits ties, so the gradient
    at |d| = δ is ½·δ + ½·δ = δ."""
    a = d.abs()
    q = ll.minimum(a, ll.full_like(a, delta))
    return 0.5 * q * q + delta * (a - q)


def composed_smooth_l1(d, beta):
    return composed_huber(d, beta) / beta


def composed_log_cosh(d):
    a = d.abs()
    return a + ll.softplus(-2.0 * a, threshold=math.inf) - math.log(2.0)


def _errors(seed, n=200, scale=3.0):
    d = np.random.default_rng(seed).normal(scale=scale, size=n)
    return d


def _grad_and_hvp(f, d, v):
    x = t64(d, True)
    (g,) = ll.autograd.grad(f(x).sum(), [x], create_graph=True)
    (hv,) = ll.autograd.grad((g * t64(v)).sum(), [x])
    return g.data, hv.data


@pytest.mark.parametrize("delta", [0.25, 1.0, 4.0])
@pytest.mark.parametrize("smooth", [False, True])
def test_huber_core_equals_the_composed_min_trick(delta, smooth):
    d = np.concatenate([_errors(1), [delta, -delta, 0.0]])  # the switch points themselves included
    v = np.random.default_rng(2).normal(size=d.shape)
    fused = lambda x: HuberLossCore.apply(x, delta=delta, smooth=smooth)  # noqa: E731
    comp = (lambda x: composed_smooth_l1(x, delta)) if smooth else (lambda x: composed_huber(x, delta))  # noqa: E731
    np.testing.assert_allclose(fused(t64(d)).data, comp(t64(d)).data, rtol=1e-14, atol=1e-16)
    g1, h1 = _grad_and_hvp(fused, d, v)
    g2, h2 = _grad_and_hvp(comp, d, v)
    np.testing.assert_allclose(g1, g2, rtol=1e-14, atol=1e-16)
    slope = 1.0 / delta if smooth else 1.0
    np.testing.assert_array_equal(g1[-3:], [slope * delta, -slope * delta, 0.0])  # ±δ (±1), not doubled
    # the second derivative jumps at |d| = δ; at d = 0 the composed |d| form gives 0 (the
    # derivative of sign(0)), the fused one the true value 1 (1/β)
    away = (np.abs(np.abs(d) - delta) > 1e-12) & (d != 0)
    np.testing.assert_allclose(h1[away], h2[away], rtol=1e-14)
    assert h2[-1] == 0.0 and h1[-1] == pytest.approx(slope * v[-1], rel=1e-15)
    np.testing.assert_allclose(h1, np.where(np.abs(d) <= delta, slope, 0.0) * v, rtol=1e-14)


def test_huber_core_gradcheck_and_gradgradcheck():
    d = t64(_errors(3, 12), True)
    assert ll.autograd.gradcheck(lambda x: HuberLossCore.apply(x, delta=0.8), [d])
    assert ll.autograd.gradgradcheck(lambda x: HuberLossCore.apply(x, delta=0.8, smooth=True), [d])


def test_log_cosh_core_equals_the_composed_form():
    d = np.concatenate([_errors(4), [0.0, 1.0, -1.0, 25.0, -400.0]])
    v = np.random.default_rng(5).normal(size=d.shape)
    fused = lambda x: LogCoshCore.apply(x)  # noqa: E731
    far = np.abs(d) > 0.1  # near 0 the composed form loses relative accuracy (|d| + log 2 − log 2)
    np.testing.assert_allclose(fused(t64(d)).data[far], composed_log_cosh(t64(d)).data[far], rtol=1e-13)
    np.testing.assert_allclose(fused(t64(d)).data[~far], composed_log_cosh(t64(d)).data[~far], atol=1e-16)
    g1, h1 = _grad_and_hvp(fused, d, v)
    g2, h2 = _grad_and_hvp(composed_log_cosh, d, v)
    np.testing.assert_allclose(g1, g2, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(g1, np.tanh(d), rtol=1e-15)
    nz = d != 0
    np.testing.assert_allclose(h1[nz], h2[nz], rtol=1e-10, atol=1e-15)  # 1 − tanh² near |d| = 9: abs. error ~1e-16
    # at d = 0 the composed |d| form gives a second derivative of 0 (abs' derivative sign(0)
    # has derivative 0); the fused one gives the true sech²(0) = 1
    np.testing.assert_allclose(h1, (1 - np.tanh(d) ** 2) * v, rtol=1e-14, atol=1e-300)
    assert h1[~nz] == pytest.approx(v[~nz]) and h2[~nz] == pytest.approx(0.0)


def test_log_cosh_core_is_finite_and_exact_far_out_and_keeps_float32():
    d = np.array([1e4, -1e4, 1e300, 709.0, 711.0])
    out = LogCoshCore.apply(t64(d)).data
    np.testing.assert_allclose(out, np.abs(d) - math.log(2.0), rtol=1e-15)
    x32 = ll.tensor(np.array([-3.0, 0.0, 0.5, 100.0], dtype=np.float32), requires_grad=True)
    y = LogCoshCore.apply(x32)
    y.sum().backward()
    assert y.dtype == np.float32 and x32.grad.dtype == np.float32
    np.testing.assert_allclose(y.data, np.log(np.cosh(x32.data.astype(np.float64))), rtol=2e-7)


def test_gaussian_var_clamp_is_max_forward_and_identity_backward():
    v = t64([1e-9, 0.5, 0.0, 2.0], True)
    out = GaussianVarClamp.apply(v, eps=1e-3)
    np.testing.assert_array_equal(out.data, [1e-3, 0.5, 1e-3, 2.0])
    (out * t64([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(v.grad.data, [1.0, 2.0, 3.0, 4.0])
    w = t64([0.3, 0.7], True)
    assert ll.autograd.gradgradcheck(lambda a: GaussianVarClamp.apply(a, eps=1e-6) ** 3, [w])


@pytest.mark.parametrize("module", ["regression", "distribution"])
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"losslab.losses.{module}")
    result = doctest.testmod(mod, extraglobs={"ll": ll}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20 and result.failed == 0
