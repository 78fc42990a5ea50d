"""Regression losses PyTorch lacks, against independent references written plainly in NumPy (the
Keras / optax / scikit-learn / paper definitions) and hand-computed cases; gradients by hand and
by gradcheck (first and second order); ``sample_weight`` on ``mse_loss``."""
from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L

torch = pytest.importorskip("torch")
F = torch.nn.functional

import loss_helpers as H  # noqa: E402

REDUCTIONS = ("mean", "sum", "none")


def t64(a, requires_grad=False):
    return ll.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _reduce(v, reduction):
    return v.mean() if reduction == "mean" else v.sum() if reduction == "sum" else v


def _rand(seed, shape=(6, 5), scale=2.0):
    r = np.random.default_rng(seed)
    return r.normal(scale=scale, size=shape), r.normal(size=shape)


# ----------------------------------------------------------------------------- references
def ref_log_cosh(x, y):  # Keras: x + softplus(−2x) − log 2 in plain float64 math (|d| < 300 here)
    return np.log(np.cosh(x - y))


def ref_quantile(x, y, tau):  # Koenker & Bassett; sklearn mean_pinball_loss(alpha=tau) before the mean
    u = y - x
    return np.maximum(tau * u, (tau - 1) * u)


def ref_mape(x, y, eps=1e-7):  # keras.losses.mean_absolute_percentage_error before the mean
    return 100.0 * np.abs((y - x) / np.maximum(np.abs(y), eps))


def ref_msle(x, y):  # keras.losses.mean_squared_logarithmic_error for x, y ≥ 1e-7
    return np.square(np.log(x + 1.0) - np.log(y + 1.0))


def ref_eps_insensitive(x, y, eps):  # sklearn's EpsilonInsensitive: max(0, |y − p| − ε)
    return np.maximum(0.0, np.abs(y - x) - eps)


def ref_cosine_distance(x, y, eps=1e-8):  # optax.losses.cosine_distance with a norm floor
    nx = np.maximum(np.linalg.norm(x, axis=-1), eps)
    ny = np.maximum(np.linalg.norm(y, axis=-1), eps)
    return 1.0 - (x * y).sum(-1) / (nx * ny)


CASES = [
    ("log_cosh_loss", {}, ref_log_cosh),
    ("quantile_loss", {"tau": 0.2}, lambda x, y: ref_quantile(x, y, 0.2)),
    ("quantile_loss", {"tau": 0.9}, lambda x, y: ref_quantile(x, y, 0.9)),
    ("mean_absolute_percentage_error", {}, ref_mape),
    ("mean_absolute_percentage_error", {"eps": 0.5}, lambda x, y: ref_mape(x, y, 0.5)),
    ("epsilon_insensitive_loss", {"epsilon": 0.3}, lambda x, y: ref_eps_insensitive(x, y, 0.3)),
    ("epsilon_insensitive_loss", {}, lambda x, y: ref_eps_insensitive(x, y, 0.1)),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, kw, ref", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_value_matches_reference(name, kw, ref, reduction):
    x, y = _rand(zlib.crc32(name.encode()))
    got = getattr(L, name)(t64(x), t64(y), reduction=reduction, **kw)
    H.assert_close(got, _reduce(ref(x, y), reduction), rtol=1e-12, what=name)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_msle_matches_keras_reference(reduction):
    r = np.random.default_rng(1)
    x, y = r.uniform(0.0, 10.0, (6, 5)), r.uniform(0.0, 10.0, (6, 5))
    H.assert_close(L.mean_squared_logarithmic_error(t64(x), t64(y), reduction=reduction),
                   _reduce(ref_msle(x, y), reduction), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_matches_optax_reference_and_torch_cosine_similarity(reduction):
    x, y = _rand(2, (7, 4))
    out = L.cosine_similarity_loss(t64(x), t64(y), reduction=reduction)
    H.assert_close(out, _reduce(ref_cosine_distance(x, y), reduction), rtol=1e-12)
    # and 1 − torch.nn.functional.cosine_similarity, gradients included
    lx, ly = t64(x, True), t64(y, True)
    tx, ty = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    _reduce(L.cosine_similarity_loss(lx, ly, reduction="none"), "sum").backward()
    (1 - F.cosine_similarity(tx, ty, dim=-1, eps=1e-8)).sum().backward()
    H.assert_close(lx.grad, tx.grad, rtol=1e-10, atol=1e-15)
    H.assert_close(ly.grad, ty.grad, rtol=1e-10, atol=1e-15)


# ----------------------------------------------------------------------------- hand-computed
def test_hand_computed_values():
    z = t64([0.0, 0.0, 0.0])
    # log cosh: 0, log cosh 1, and 800 where cosh overflows float64 (log cosh 800 = 800 − log 2)
    np.testing.assert_allclose(L.log_cosh_loss(t64([0.0, 1.0, 800.0]), z, reduction="none").data,
                               [0.0, math.log(math.cosh(1.0)), 800.0 - math.log(2.0)], rtol=1e-15)
    # pinball with τ = 0.25: under-prediction by 2 costs 0.5, over-prediction by 2 costs 1.5
    np.testing.assert_allclose(L.quantile_loss(t64([-2.0, 2.0, 0.0]), z, tau=0.25, reduction="none").data,
                               [0.5, 1.5, 0.0])
    # MAPE: 110 vs 100 -> 10 %, 45 vs 50 -> 10 %, 1 vs 0 -> 100·1/1e-7 = 1e9 %
    np.testing.assert_allclose(L.mean_absolute_percentage_error(t64([110.0, 45.0, 1.0]), t64([100.0, 50.0, 0.0]),
                                                                reduction="none").data, [10.0, 10.0, 1e9], rtol=1e-12)
    # MSLE, Keras' docstring example: y_true [[0, 1], [0, 0]], y_pred [[1, 1], [1, 0]] -> 0.240
    msle = L.mean_squared_logarithmic_error(t64([[1.0, 1.0], [1.0, 0.0]]), t64([[0.0, 1.0], [0.0, 0.0]]))
    assert msle.item() == pytest.approx(math.log(2.0) ** 2 / 2, rel=1e-15)
    assert round(msle.item(), 3) == 0.240
    # ε-insensitive with ε = 0.5
    np.testing.assert_allclose(L.epsilon_insensitive_loss(t64([0.4, -0.5, 2.0]), z, epsilon=0.5,
                                                          reduction="none").data, [0.0, 0.0, 1.5])
    # cosine: parallel 0, orthogonal 1, opposite 2, zero vector 1 (cos := 0)
    x = t64([[1.0, 2.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    y = t64([[2.0, 4.0], [0.0, 3.0], [-2.0, -2.0], [1.0, 1.0]])
    np.testing.assert_allclose(L.cosine_similarity_loss(x, y, reduction="none").data, [0.0, 1.0, 2.0, 1.0],
                               atol=1e-15)


def test_log_cosh_keeps_relative_accuracy_for_tiny_errors():
    d = np.array([1e-8, -3e-5, 1e-3, 0.3, -0.99, 1.0, 1.5])
    series = d ** 2 / 2 - d ** 4 / 12 + d ** 6 / 45 - 17 * d ** 8 / 2520
    got = L.log_cosh_loss(t64(d), t64(np.zeros_like(d)), reduction="none").data
    np.testing.assert_allclose(got[:3], series[:3], rtol=1e-14)
    np.testing.assert_allclose(got[3:], np.log(np.cosh(d[3:])), rtol=1e-14)


def test_hand_computed_gradients():
    z = t64([0.0, 0.0, 0.0])

    def grad(fn, xs, **kw):
        x = t64(xs, True)
        fn(x, z, reduction="sum", **kw).backward()
        return x.grad.data

    np.testing.assert_allclose(grad(L.log_cosh_loss, [-2.0, 0.0, 30.0]), np.tanh([-2.0, 0.0, 30.0]), rtol=1e-15)
    # pinball: −τ when too low, 1 − τ when too high, 0 at the kink
    np.testing.assert_allclose(grad(L.quantile_loss, [-1.0, 1.0, 0.0], tau=0.3), [-0.3, 0.7, 0.0])
    np.testing.assert_allclose(grad(L.epsilon_insensitive_loss, [-1.0, 1.0, 0.05], epsilon=0.1), [-1.0, 1.0, 0.0])
    y = t64([100.0, -50.0, 1e-9])
    x = t64([90.0, -40.0, 1.0], True)
    L.mean_absolute_percentage_error(x, y, reduction="sum").backward()
    np.testing.assert_allclose(x.grad.data, [-1.0, 2.0, 1e9], rtol=1e-12)  # 100·sign / max(|y|, ε)
    x = t64([0.0, 1.0, 3.0], True)
    L.mean_squared_logarithmic_error(x, t64([1.0, 1.0, 1.0]), reduction="sum").backward()
    expected = 2 * (np.log1p([0.0, 1.0, 3.0]) - np.log(2.0)) / (1 + np.array([0.0, 1.0, 3.0]))
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-14)


def test_quantile_minimizer_is_the_tau_quantile():
    y = np.random.default_rng(3).normal(size=401)
    for tau in (0.1, 0.5, 0.8):
        grid = np.linspace(-3, 3, 1201)
        vals = [L.quantile_loss(t64(np.full_like(y, c)), t64(y), tau=tau).item() for c in grid]
        assert abs(grid[int(np.argmin(vals))] - np.quantile(y, tau)) < 0.02


def test_special_cases_reduce_to_other_losses():
    x, y = (t64(a) for a in _rand(4))
    np.testing.assert_allclose(L.quantile_loss(x, y, tau=0.5, reduction="none").data,
                               0.5 * L.l1_loss(x, y, reduction="none").data, rtol=1e-15)
    np.testing.assert_array_equal(L.epsilon_insensitive_loss(x, y, epsilon=0.0, reduction="none").data,
                                  L.l1_loss(x, y, reduction="none").data)
    # Keras' CosineSimilarity loss is −cos: ours minus 1
    np.testing.assert_allclose(L.cosine_similarity_loss(x, y, reduction="none").data - 1.0,
                               -F.cosine_similarity(torch.tensor(x.data), torch.tensor(y.data), dim=-1).numpy(),
                               rtol=1e-12)


def test_cosine_other_dim_and_scale_invariance():
    r = np.random.default_rng(5)
    x, y = r.normal(size=(3, 4, 2)), r.normal(size=(3, 4, 2))
    got = L.cosine_similarity_loss(t64(x), t64(y), dim=1, reduction="none")
    assert got.shape == (3, 2)
    np.testing.assert_allclose(got.data, ref_cosine_distance(np.moveaxis(x, 1, -1), np.moveaxis(y, 1, -1)), rtol=1e-12)
    np.testing.assert_allclose(L.cosine_similarity_loss(t64(7.5 * x), t64(y), dim=1, reduction="none").data,
                               got.data, rtol=1e-12)


def test_cosine_zero_vector_gives_finite_loss_and_gradient():
    x = t64([[0.0, 0.0, 0.0], [1e-12, 0.0, 0.0]], True)
    y = t64([[1.0, 2.0, 2.0], [1.0, 2.0, 2.0]])
    out = L.cosine_similarity_loss(x, y, reduction="none")
    np.testing.assert_allclose(out.data, [1.0, 1.0 - 1e-12 / 1e-8 / 3.0], rtol=1e-12)
    out.sum().backward()
    assert np.isfinite(x.grad.data).all()
    np.testing.assert_allclose(x.grad.data, -np.array([[1.0, 2.0, 2.0]] * 2) / (3.0 * 1e-8), rtol=1e-12)


# ----------------------------------------------------------------------------- gradcheck
SMOOTH = [("log_cosh_loss", {}), ("huber_loss", {"delta": 0.7}), ("smooth_l1_loss", {"beta": 1.3}),
          ("mean_squared_logarithmic_error", {}), ("cosine_similarity_loss", {}),
          ("poisson_nll_loss", {"full": True}), ("poisson_nll_loss", {"log_input": False, "eps": 0.0}),
          ("gaussian_nll_loss", {"var": 0.6, "full": True})]


@pytest.mark.parametrize("name, kw", SMOOTH, ids=[f"{n}-{k}" for n, k in SMOOTH])
def test_gradcheck_and_gradgradcheck_input_and_target(name, kw):
    r = np.random.default_rng(6)
    if name in ("mean_squared_logarithmic_error", "poisson_nll_loss"):
        x, y = r.uniform(0.3, 3.0, (3, 4)), r.uniform(1.5, 4.0, (3, 4))
    else:
        x, y = r.normal(scale=1.5, size=(3, 4)), r.normal(size=(3, 4))
    fn = getattr(L, name)
    ins = [t64(x, True), t64(y, True)]
    f = lambda a, b: fn(a, b, reduction="sum", sample_weight=np.array([0.5, 1.0, 2.0]), **kw)  # noqa: E731
    assert ll.autograd.gradcheck(f, ins, eps=1e-6, atol=1e-6, rtol=1e-5)
    assert ll.autograd.gradgradcheck(f, ins, eps=1e-6, atol=1e-5, rtol=1e-4)


def test_gaussian_gradgradcheck_with_var():
    r = np.random.default_rng(7)
    ins = [t64(r.normal(size=(3, 2)), True), t64(r.normal(size=(3, 2)), True), t64(r.uniform(0.5, 2.0, (3, 1)), True)]
    f = lambda a, b, v: L.gaussian_nll_loss(a, b, v, reduction="mean")  # noqa: E731
    assert ll.autograd.gradcheck(f, ins)
    assert ll.autograd.gradgradcheck(f, ins)


# ----------------------------------------------------------------------------- sample_weight
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "log_cosh_loss", "quantile_loss"])
def test_sample_weight_is_a_weighted_mean_over_samples(name):
    x, y = (t64(a) for a in _rand(8, (4, 3)))
    sw = np.array([1.0, 0.0, 3.0, 0.5])
    per = getattr(L, name)(x, y, reduction="none").data
    expected = (per * sw[:, None]).sum() / (sw.sum() * 3)
    H.assert_close(getattr(L, name)(x, y, sample_weight=sw), expected, rtol=1e-14)
    # a zero weight removes a sample, and its gradient
    lx = t64(x.data, True)
    getattr(L, name)(lx, y, sample_weight=sw).backward()
    assert (lx.grad.data[1] == 0).all()


def test_mse_weight_and_sample_weight_combine():
    x, y = (t64(a) for a in _rand(9, (4, 3)))
    w = np.random.default_rng(10).uniform(0.1, 2.0, (4, 3))
    sw = np.array([1.0, 2.0, 0.0, 1.0])
    d2 = (x.data - y.data) ** 2
    full = w * sw[:, None]
    H.assert_close(L.mse_loss(x, y, weight=t64(w), sample_weight=sw), (full * d2).sum() / full.sum(), rtol=1e-14)


def test_float32_stays_float32():
    x32 = ll.tensor(np.random.default_rng(11).normal(size=(3, 4)).astype(np.float32), requires_grad=True)
    y32 = ll.tensor(np.random.default_rng(12).uniform(0.5, 2, (3, 4)).astype(np.float32))
    for name in ("log_cosh_loss", "huber_loss", "smooth_l1_loss", "quantile_loss", "mean_absolute_percentage_error",
                 "gaussian_nll_loss", "poisson_nll_loss", "cosine_similarity_loss", "epsilon_insensitive_loss"):
        x32.grad = None
        out = getattr(L, name)(x32, y32, sample_weight=np.ones(3))
        out.backward()
        assert out.dtype == np.float32 and x32.grad.dtype == np.float32, name
