"""The multiclass losses PyTorch does not have (focal, Poly-1, generalized cross-entropy,
Crammer–Singer hinge, Keras's categorical hinge, perceptron, sparsemax): agreement with an
independent reference written plainly in NumPy from the paper / optax / Keras definition,
hand-computed cases, label smoothing, ignore_index and sample_weight, K-dimensional inputs,
extreme logits, the fused primitives (FocalTerm, MulticlassSparsemaxCore) against composed or analytic
versions, second derivatives, bad input, the classes and the docstring examples."""
from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L
from losslab.losses import multiclass as MC

REDUCTIONS = ("mean", "sum", "none")


def rng(seed=0):
    return np.random.default_rng(seed)


def t64(a):
    return ll.tensor(np.asarray(a, dtype=np.float64))


def i64(a):
    return ll.tensor(np.asarray(a, dtype=np.int64))


# ============================================================================ NumPy references
def np_log_softmax(x):
    z = x - x.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def ref_focal_probs(x, t, alpha=None, gamma=2.0):
    """Keras's categorical focal crossentropy on softmax(x), without its clipping:
    Σ_c −α_c·t_c·(1 − p_c)^γ·log p_c."""
    logp = np_log_softmax(x)
    p = np.exp(logp)
    a = np.ones(x.shape[1]) if alpha is None else np.broadcast_to(alpha, (x.shape[1],))
    return (-a * t * (1 - p) ** gamma * logp).sum(axis=1)


def ref_poly1_probs(x, t, epsilon):
    """optax.losses.poly_loss_cross_entropy: CE(t) + ε·(1 − Σ_c t_c·p_c)."""
    logp = np_log_softmax(x)
    return -(t * logp).sum(1) + epsilon * (1 - (t * np.exp(logp)).sum(1))


def ref_gce_probs(x, t, q):
    """Zhang & Sabuncu's L_q loss (1 − p_y^q)/q, extended linearly to a target distribution."""
    p = np.exp(np_log_softmax(x))
    return (t * (1 - p ** q) / q).sum(1)


def ref_cs_hinge(s, y):
    """optax.losses.multiclass_hinge_loss: max(s + 1 − onehot) − s_y."""
    oh = np.eye(s.shape[1])[y]
    return (s + 1 - oh).max(1) - (s * oh).sum(1)


def ref_categorical_hinge(s, t):
    """keras.losses.categorical_hinge: max(0, max((1 − t)·s) − Σ t·s + 1)."""
    return np.maximum(((1 - t) * s).max(1) - (t * s).sum(1) + 1, 0.0)


def ref_perceptron(s, y):
    return s.max(1) - s[np.arange(len(y)), y]


def ref_sparsemax(z):
    """Projection onto the simplex by bisection on τ (Σ max(z − τ, 0) = 1): independent of the
    sort-based algorithm under test."""
    out = np.empty_like(z)
    for i, row in enumerate(z):
        lo, hi = row.max() - 1.0, row.max()
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if np.maximum(row - mid, 0).sum() > 1:
                lo = mid
            else:
                hi = mid
        out[i] = np.maximum(row - 0.5 * (lo + hi), 0)
    return out


def ref_sparsemax_loss(s, y):
    """optax's _multiclass_sparsemax_loss: ⟨p, s − s_y⟩ + ½(1 − ‖p‖²)."""
    p = ref_sparsemax(s)
    sy = s[np.arange(len(y)), y][:, None]
    return (p * (s - sy)).sum(1) + 0.5 * (1 - (p * p).sum(1))


def onehot(y, c):
    return np.eye(c)[y]


def smooth_mix(per_target_fn, x, y, eps, c, v=None):
    """(1 − ε)·v_y·ℓ(x, y) + (ε/C)·Σ_c v_c·ℓ(x, c) from a per-target reference."""
    v = np.ones(c) if v is None else v
    every = np.stack([per_target_fn(x, np.full(len(y), k)) for k in range(c)], axis=1)
    return (1 - eps) * v[y] * every[np.arange(len(y)), y] + eps / c * (every * v).sum(1)


def _idx_ref(prob_ref, **kw):
    return lambda x, y: prob_ref(x, onehot(y, x.shape[1]), **kw)


# (name, ll function, reference on index targets, kwargs) -------------------------------------
CASES = [
    ("focal", L.focal_loss, _idx_ref(ref_focal_probs, gamma=2.0), {"gamma": 2.0}),
    ("focal_g05", L.focal_loss, _idx_ref(ref_focal_probs, gamma=0.5), {"gamma": 0.5}),
    ("focal_alpha", L.focal_loss, _idx_ref(ref_focal_probs, alpha=0.25, gamma=3.0), {"alpha": 0.25, "gamma": 3.0}),
    ("poly1", L.poly1_cross_entropy, _idx_ref(ref_poly1_probs, epsilon=2.0), {"epsilon": 2.0}),
    ("poly1_neg", L.poly1_cross_entropy, _idx_ref(ref_poly1_probs, epsilon=-1.0), {"epsilon": -1.0}),
    ("gce", L.generalized_cross_entropy, _idx_ref(ref_gce_probs, q=0.7), {"q": 0.7}),
    ("gce_q1", L.generalized_cross_entropy, _idx_ref(ref_gce_probs, q=1.0), {"q": 1.0}),
    ("cs_hinge", L.multiclass_hinge_loss, ref_cs_hinge, {}),
    ("cat_hinge", L.categorical_hinge_loss, lambda s, y: ref_categorical_hinge(s, onehot(y, s.shape[1])), {}),
    ("perceptron", L.multiclass_perceptron_loss, ref_perceptron, {}),
    ("sparsemax", L.multiclass_sparsemax_loss, ref_sparsemax_loss, {}),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_value_matches_reference(case):
    _, fn, ref, kw = case
    r = rng(1)
    for scale in (0.5, 2.0, 6.0):
        x0, y0 = r.normal(scale=scale, size=(9, 5)), r.integers(0, 5, 9)
        got = fn(t64(x0), i64(y0), reduction="none", **kw)
        np.testing.assert_allclose(got.data, ref(x0, y0), rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(fn(t64(x0), i64(y0), **kw).item(), ref(x0, y0).mean(), rtol=1e-11)
        np.testing.assert_allclose(fn(t64(x0), i64(y0), reduction="sum", **kw).item(), ref(x0, y0).sum(), rtol=1e-11)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("eps", [0.1, 1.0])
def test_label_smoothing_is_the_expectation_over_the_smoothed_target(case, eps):
    _, fn, ref, kw = case
    r = rng(2)
    x0, y0 = r.normal(scale=2.0, size=(6, 4)), r.integers(0, 4, 6)
    got = fn(t64(x0), i64(y0), label_smoothing=eps, reduction="none", **kw)
    if fn is L.categorical_hinge_loss:  # Keras's convention: smooth the target vector
        expected = ref_categorical_hinge(x0, onehot(y0, 4) * (1 - eps) + eps / 4)
    else:
        expected = smooth_mix(ref, x0, y0, eps, 4)
    np.testing.assert_allclose(got.data, expected, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("opts", [{}, {"label_smoothing": 0.2}, {"ignore_index": 1}])
def test_gradcheck(case, opts):
    _, fn, _, kw = case
    r = rng(3)
    # well away from kinks: ties and hinge corners have measure zero at these random points
    x = t64(r.normal(scale=1.5, size=(4, 3))).requires_grad_()
    y = i64([0, 1, 2, 1])
    assert ll.autograd.gradcheck(lambda a: fn(a, y, reduction="sum", **opts, **kw), [x], eps=1e-6, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ignore_index_and_sample_weight(case, reduction):
    _, fn, ref, kw = case
    r = rng(4)
    x0, y0 = r.normal(size=(6, 4)), r.integers(0, 4, 6)
    y0[[1, 4]] = -7
    keep = y0 != -7
    sw = r.uniform(0.0, 2.0, 6)
    per = np.zeros(6)
    per[keep] = ref(x0[keep], y0[keep])
    per = per * sw
    expected = {"none": per, "sum": per.sum(), "mean": per.sum() / sw[keep].sum()}[reduction]
    x = t64(x0).requires_grad_()
    got = fn(x, i64(y0), ignore_index=-7, sample_weight=sw, reduction=reduction, **kw)
    np.testing.assert_allclose(got.data, expected, rtol=1e-11, atol=1e-14)
    got.sum().backward()
    np.testing.assert_array_equal(x.grad.data[~keep], 0.0)
    # every target ignored: 'mean' is 0/0 = nan (as cross_entropy), 'sum' is 0
    assert math.isnan(fn(t64(x0), i64(np.full(6, -7)), ignore_index=-7, **kw).item())
    assert fn(t64(x0), i64(np.full(6, -7)), ignore_index=-7, reduction="sum", **kw).item() == 0.0


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_k_dimensional_input_is_per_position(case):
    _, fn, _, kw = case
    r = rng(5)
    x0, y0 = r.normal(size=(3, 4, 2, 5)), r.integers(0, 4, (3, 2, 5))
    got = fn(t64(x0), i64(y0), reduction="none", **kw)
    assert got.shape == (3, 2, 5)
    flat = fn(t64(np.moveaxis(x0, 1, -1).reshape(-1, 4)), i64(y0.reshape(-1)), reduction="none", **kw)
    np.testing.assert_allclose(got.data, flat.data.reshape(3, 2, 5), rtol=1e-14)
    # unbatched (C,) input with a 0-d target: the first row alone
    one = fn(t64(x0[0, :, 0, 0]), i64(y0[0, 0, 0]), reduction="none", **kw)
    assert one.shape == () and one.item() == pytest.approx(got.data[0, 0, 0], rel=1e-14)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_finite_at_extreme_logits(case):
    _, fn, ref, kw = case
    x0 = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4], [-1e4, 1e4, 0.0]])
    y0 = np.array([0, 0, 1, 2])
    for ls in (0.0, 0.1):
        x = t64(x0).requires_grad_()
        out = fn(x, i64(y0), reduction="none", label_smoothing=ls, **kw)
        assert np.all(np.isfinite(out.data))
        out.sum().backward()
        assert np.all(np.isfinite(x.grad.data))
    if fn not in (L.multiclass_sparsemax_loss,):  # the bisection reference is not accurate at 1e4
        np.testing.assert_allclose(fn(t64(x0), i64(y0), reduction="none", **kw).data, ref(x0, y0), rtol=1e-12)


# ============================================================================ hand-computed
def test_hand_computed_values():
    x = t64([[2.0, 0.0, -1.0]])
    p = np.exp([2.0, 0.0, -1.0]) / np.exp([2.0, 0.0, -1.0]).sum()
    assert L.focal_loss(x, i64([0])).item() == pytest.approx((1 - p[0]) ** 2 * -math.log(p[0]), rel=1e-14)
    assert L.focal_loss(x, i64([1]), alpha=t64([1.0, 3.0, 1.0]), gamma=1.0).item() == pytest.approx(
        3 * (1 - p[1]) * -math.log(p[1]), rel=1e-14)
    assert L.poly1_cross_entropy(x, i64([2]), epsilon=1.0).item() == pytest.approx(-math.log(p[2]) + 1 - p[2], rel=1e-14)
    assert L.generalized_cross_entropy(x, i64([0]), q=0.5).item() == pytest.approx((1 - p[0] ** 0.5) / 0.5, rel=1e-14)
    s = t64([[2.0, 1.5, -1.0], [3.0, 0.0, 0.5], [-5.0, -3.0, -4.0]])
    y = i64([0, 0, 0])
    np.testing.assert_allclose(L.multiclass_hinge_loss(s, y, reduction="none").data, [0.5, 0.0, 3.0])
    # Keras's categorical hinge: the target class's 0 enters the max, so the third row is 6
    np.testing.assert_allclose(L.categorical_hinge_loss(s, y, reduction="none").data, [0.5, 0.0, 6.0])
    np.testing.assert_allclose(L.multiclass_perceptron_loss(s, i64([1, 0, 2]), reduction="none").data, [0.5, 0.0, 1.0])
    # sparsemax([2, 1.5, −1]) = [0.75, 0.25, 0]: loss for y = 1 is 0.75·0.5 + ½(1 − 0.625) = 0.5625
    np.testing.assert_allclose(MC.sparsemax(t64([[2.0, 1.5, -1.0]]), dim=1).data, [[0.75, 0.25, 0.0]])
    assert L.multiclass_sparsemax_loss(t64([[2.0, 1.5, -1.0]]), i64([1])).item() == pytest.approx(0.5625, rel=1e-14)


def test_categorical_hinge_keras_documented_example_and_one_hot_targets():
    s = t64([[0.6, 0.4], [0.4, 0.6]])
    t = t64([[0.0, 1.0], [0.0, 0.0]])
    assert L.categorical_hinge_loss(s, t).item() == pytest.approx(1.4, rel=1e-14)
    r = rng(6)
    s0, y0 = r.normal(size=(6, 4)), r.integers(0, 4, 6)
    a = L.categorical_hinge_loss(t64(s0), i64(y0), reduction="none")
    b = L.categorical_hinge_loss(t64(s0), t64(onehot(y0, 4)), reduction="none")
    np.testing.assert_array_equal(a.data, b.data)
    soft = r.dirichlet(np.ones(4), 6)
    np.testing.assert_allclose(L.categorical_hinge_loss(t64(s0), t64(soft), reduction="none").data,
                               ref_categorical_hinge(s0, soft), rtol=1e-13)
    # the target vector receives a gradient too (it is a floating tensor)
    tt = t64(soft).requires_grad_()
    assert ll.autograd.gradcheck(lambda u: L.categorical_hinge_loss(t64(s0), u, reduction="sum"), [tt])


# ============================================================================ probability targets
@pytest.mark.parametrize("fn,ref,kw", [
    (L.focal_loss, ref_focal_probs, {"gamma": 1.5}),
    (L.poly1_cross_entropy, ref_poly1_probs, {"epsilon": 2.0}),
    (L.generalized_cross_entropy, ref_gce_probs, {"q": 0.4}),
], ids=["focal", "poly1", "gce"])
def test_probability_targets(fn, ref, kw):
    r = rng(7)
    x0, t0 = r.normal(scale=2.0, size=(5, 4)), r.dirichlet(np.ones(4), 5)
    np.testing.assert_allclose(fn(t64(x0), t64(t0), reduction="none", **kw).data, ref(x0, t0, **kw), rtol=1e-12)
    # smoothing a probability target: t' = (1 − ε)t + ε/C
    np.testing.assert_allclose(fn(t64(x0), t64(t0), reduction="none", label_smoothing=0.3, **kw).data,
                               ref(x0, t0 * 0.7 + 0.3 / 4, **kw), rtol=1e-12)
    # index targets with smoothing = the smoothed one-hot probability target (linear in t)
    y0 = r.integers(0, 4, 5)
    a = fn(t64(x0), i64(y0), label_smoothing=0.2, reduction="none", **kw)
    b = fn(t64(x0), t64(onehot(y0, 4)), label_smoothing=0.2, reduction="none", **kw)
    np.testing.assert_allclose(a.data, b.data, rtol=1e-13)
    # the target gets a gradient
    tt = t64(t0).requires_grad_()
    assert ll.autograd.gradcheck(lambda u: fn(t64(x0), u, reduction="sum", **kw), [tt])


def test_focal_per_class_alpha_with_smoothing_follows_the_cross_entropy_convention():
    r = rng(8)
    x0, y0, a0 = r.normal(size=(5, 3)), r.integers(0, 3, 5), r.uniform(0.2, 2.0, 3)
    ref = _idx_ref(ref_focal_probs, gamma=2.0)
    got = L.focal_loss(t64(x0), i64(y0), alpha=t64(a0), label_smoothing=0.3, reduction="none")
    np.testing.assert_allclose(got.data, smooth_mix(ref, x0, y0, 0.3, 3, v=a0), rtol=1e-12)
    # alpha rescales: the mean divides by the number of targets, not by Σ α_y
    mean = L.focal_loss(t64(x0), i64(y0), alpha=t64(a0)).item()
    assert mean == pytest.approx(L.focal_loss(t64(x0), i64(y0), alpha=t64(a0), reduction="sum").item() / 5)


# ============================================================================ special cases
def test_special_cases_reduce_to_cross_entropy():
    r = rng(9)
    x, y, w = t64(r.normal(size=(6, 4))), i64(r.integers(0, 4, 6)), t64(r.uniform(0.5, 2.0, 4))
    ce = L.cross_entropy(x, y, reduction="none")
    np.testing.assert_allclose(L.focal_loss(x, y, gamma=0.0, reduction="none").data, ce.data, rtol=1e-14)
    np.testing.assert_allclose(L.focal_loss(x, y, alpha=w, gamma=0.0, reduction="none").data,
                               L.cross_entropy(x, y, w, reduction="none").data, rtol=1e-14)
    np.testing.assert_allclose(L.poly1_cross_entropy(x, y, epsilon=0.0, reduction="none").data, ce.data, rtol=1e-14)
    # q → 0: (1 − p^q)/q → −log p
    np.testing.assert_allclose(L.generalized_cross_entropy(x, y, q=1e-7, reduction="none").data, ce.data, rtol=1e-6)
    # q = 1: 1 − p_y
    p = np.exp(np_log_softmax(x.data))[np.arange(6), y.data]
    np.testing.assert_allclose(L.generalized_cross_entropy(x, y, q=1.0, reduction="none").data, 1 - p, rtol=1e-13)


def test_margin_losses_are_zero_exactly_when_documented():
    s = t64([[3.0, 1.9, 0.5], [1.0, 1.0, -2.0]])
    y = i64([0, 0])
    np.testing.assert_allclose(L.multiclass_hinge_loss(s, y, reduction="none").data, [0.0, 1.0])
    np.testing.assert_allclose(L.multiclass_perceptron_loss(s, y, reduction="none").data, [0.0, 0.0])
    np.testing.assert_allclose(L.multiclass_sparsemax_loss(s, y, reduction="none").data[0], 0.0, atol=1e-15)
    assert L.multiclass_sparsemax_loss(s, y, reduction="none").data[1] > 0
    # Keras's categorical hinge also wants s_y ≥ 1 in absolute terms
    assert L.categorical_hinge_loss(t64([[0.5, -2.0, -3.0]]), i64([0])).item() == pytest.approx(0.5)


def test_generalized_cross_entropy_is_bounded_by_one_over_q():
    x = t64([[-1e4, 1e4, 0.0]])
    for q in (0.2, 0.7, 1.0):
        assert L.generalized_cross_entropy(x, i64([0]), q=q).item() == pytest.approx(1 / q, rel=1e-14)


def test_poly1_convexity_claim_of_the_registry():
    # convex iff −1 ≤ ε ≤ 1; for ε = 2 a negative second difference exists
    r = rng(10)
    y = i64([0])

    def min_second_difference(eps):
        worst = np.inf
        for _ in range(300):
            x0, d = r.normal(scale=3.0, size=(1, 3)), r.normal(size=(1, 3))
            f = [L.poly1_cross_entropy(t64(x0 + k * 1e-2 * d), y, epsilon=eps).item() for k in (-1, 0, 1)]
            worst = min(worst, (f[0] - 2 * f[1] + f[2]) / 1e-4)
        return worst

    assert min_second_difference(1.0) > -1e-6 and min_second_difference(-1.0) > -1e-6
    assert min_second_difference(2.0) < -1e-3


# ============================================================================ FocalTerm
def _focal_composed(logp, gamma):
    return (1.0 - ll.exp(logp)) ** gamma * -logp


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 3.5])
def test_focal_term_matches_composed_forward_and_backward(gamma):
    r = rng(11)
    l0 = -r.uniform(1e-3, 8.0, (5, 3))
    g = r.normal(size=(5, 3))
    res = []
    for fused in (True, False):
        lt = t64(l0).requires_grad_()
        out = MC.FocalTerm.apply(lt, gamma=gamma) if fused else _focal_composed(lt, gamma)
        out.backward(t64(g))
        res.append((out.data, lt.grad.data))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.5])
def test_focal_term_gradgradcheck(gamma):
    lt = t64(-rng(12).uniform(0.05, 4.0, (3, 2))).requires_grad_()
    assert ll.autograd.gradcheck(lambda a: MC.FocalTerm.apply(a, gamma=gamma), [lt])
    assert ll.autograd.gradgradcheck(lambda a: MC.FocalTerm.apply(a, gamma=gamma), [lt])


@pytest.mark.parametrize("gamma", [0.25, 0.5, 0.9])
def test_focal_gradient_is_finite_where_the_composed_one_is_nan(gamma):
    # p_y = 1 exactly (log p_y = 0): f′(0) = 0 for γ > 0 (the limit), the composed chain rule
    # computes γ·0^(γ−1)·0 = ∞·0 = nan
    lt = t64([0.0, -1e-300, -1e-8]).requires_grad_()
    MC.FocalTerm.apply(lt, gamma=gamma).sum().backward()
    assert np.all(np.isfinite(lt.grad.data))
    # near 0: f′(l) ≈ −(1 + γ)·(−l)^γ
    np.testing.assert_allclose(lt.grad.data, [0.0, -(1 + gamma) * 1e-300 ** gamma, -(1 + gamma) * 1e-8 ** gamma],
                               rtol=1e-6, atol=0)
    lc = t64([0.0]).requires_grad_()
    with np.errstate(all="ignore"):
        _focal_composed(lc, gamma).sum().backward()
    assert np.isnan(lc.grad.data[0])
    # through the whole loss at saturated logits
    x = t64([[1e4, -1e4, 0.0]]).requires_grad_()
    L.focal_loss(x, i64([0]), gamma=gamma).backward()
    np.testing.assert_array_equal(x.grad.data, 0.0)


# ============================================================================ MulticlassSparsemaxCore
def test_sparsemax_projection_matches_bisection_and_properties():
    r = rng(13)
    z = r.normal(scale=2.0, size=(50, 6))
    p = MC.sparsemax(t64(z), dim=1).data
    np.testing.assert_allclose(p, ref_sparsemax(z), atol=1e-12)
    assert np.all(p >= 0) and np.allclose(p.sum(1), 1.0)
    np.testing.assert_allclose(MC.sparsemax(t64(z.T), dim=0).data, p.T, atol=1e-15)
    np.testing.assert_allclose(MC.sparsemax(t64(z + 100.0), dim=-1).data, p, atol=1e-12)  # shift-invariant


@pytest.mark.parametrize("ls", [0.0, 0.3])
def test_sparsemax_loss_gradient_is_sparsemax_minus_target(ls):
    r = rng(14)
    x0, y0 = r.normal(scale=2.0, size=(6, 4)), r.integers(0, 4, 6)
    x = t64(x0).requires_grad_()
    L.multiclass_sparsemax_loss(x, i64(y0), label_smoothing=ls, reduction="sum").backward()
    target = onehot(y0, 4) * (1 - ls) + ls / 4
    np.testing.assert_allclose(x.grad.data, ref_sparsemax(x0) - target, atol=1e-12)


def test_sparsemax_loss_hessian_is_the_sparsemax_jacobian():
    r = rng(15)
    x0, y0, v = r.normal(scale=1.5, size=(3, 5)), r.integers(0, 5, 3), r.normal(size=(3, 5))
    x = t64(x0).requires_grad_()
    (g,) = ll.autograd.grad(L.multiclass_sparsemax_loss(x, i64(y0), reduction="sum"), [x], create_graph=True)
    (hv,) = ll.autograd.grad((g * t64(v)).sum(), [x])
    supp = ref_sparsemax(x0) > 0
    expected = np.where(supp, v - (v * supp).sum(1, keepdims=True) / supp.sum(1, keepdims=True), 0.0)
    np.testing.assert_allclose(hv.data, expected, atol=1e-12)
    assert ll.autograd.gradgradcheck(lambda a: L.multiclass_sparsemax_loss(a, i64(y0), reduction="sum"),
                                     [t64(x0).requires_grad_()])


def test_sparsemax_loss_is_accurate_for_large_scores():
    # shifting by the row maximum keeps ⟨p, s − s_y⟩ exact: the loss is shift invariant
    r = rng(16)
    x0, y0 = r.normal(size=(4, 3)), r.integers(0, 3, 4)
    a = L.multiclass_sparsemax_loss(t64(x0), i64(y0), reduction="none").data
    b = L.multiclass_sparsemax_loss(t64(x0 + 1e8), i64(y0), reduction="none").data
    np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-7)


def test_float32_in_float32_out_with_options():
    x = ll.tensor(rng(17).normal(size=(4, 3)).astype(np.float32), requires_grad=True)
    for fn in (L.focal_loss, L.poly1_cross_entropy, L.generalized_cross_entropy, L.multi_margin_loss,
               L.multiclass_hinge_loss, L.categorical_hinge_loss, L.multiclass_perceptron_loss,
               L.multiclass_sparsemax_loss):
        out = fn(x, i64([0, 1, 2, 1]), label_smoothing=0.1, ignore_index=2, sample_weight=np.ones(4))
        assert out.dtype == np.float32, fn.__name__
        x.grad = None
        out.backward()
        assert x.grad.dtype == np.float32, fn.__name__


# ============================================================================ bad input
ALL_INDEX = [c[1] for c in CASES[::2]] + [L.multi_margin_loss]


@pytest.mark.parametrize("fn", sorted(set(ALL_INDEX), key=lambda f: f.__name__))
def test_bad_class_targets(fn):
    x = t64(np.zeros((3, 4)))
    with pytest.raises(L.ClassIndexError, match=rf"{fn.__name__}: target contains class index 4, outside \[0, 4\)"):
        fn(x, i64([0, 4, 1]))
    with pytest.raises(TypeError, match="integer class indices"):
        fn(x, t64([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"must have shape \(3,\)"):
        fn(x, i64([0, 1]))
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0"):
        fn(x, i64([0, 1, 2]), label_smoothing=-0.1)
    with pytest.raises(TypeError, match="input must be a floating tensor"):
        fn(i64([[1, 2], [0, 1]]), i64([0, 1]))


@pytest.mark.parametrize("fn", [L.focal_loss, L.poly1_cross_entropy, L.generalized_cross_entropy,
                                L.categorical_hinge_loss])
def test_probability_target_errors(fn):
    x = t64(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="read as class probabilities and must be floating"):
        fn(x, i64(np.zeros((2, 3))))
    with pytest.raises(ValueError, match="ignore_index=0 is not supported with class-probability targets"):
        fn(x, t64(np.full((2, 3), 1 / 3)), ignore_index=0)


def test_hyperparameter_errors():
    x, y = t64(np.zeros((2, 3))), i64([0, 1])
    with pytest.raises(ValueError, match=r"focal_loss: gamma must be a finite number ≥ 0, got -1.0"):
        L.focal_loss(x, y, gamma=-1.0)
    with pytest.raises(TypeError, match="focal_loss: gamma must be a real number"):
        L.focal_loss(x, y, gamma="2")
    with pytest.raises(ValueError, match=r"alpha must be a number or hold one weight per class, shape \(3,\)"):
        L.focal_loss(x, y, alpha=t64([1.0, 2.0]))
    with pytest.raises(ValueError, match="alpha must be a finite number ≥ 0"):
        L.focal_loss(x, y, alpha=-0.5)
    for q in (0.0, -0.5, 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"generalized_cross_entropy: q must be in \(0, 1\]"):
            L.generalized_cross_entropy(x, y, q=q)
    with pytest.raises(ValueError, match=r"poly1_cross_entropy: epsilon must be a finite number ≥ −1, got -2"):
        L.poly1_cross_entropy(x, y, epsilon=-2)


# ============================================================================ classes
CLASSES = [
    (L.FocalLoss, L.focal_loss, {"alpha": 0.5, "gamma": 1.0}),
    (L.Poly1CrossEntropyLoss, L.poly1_cross_entropy, {"epsilon": 1.0}),
    (L.GeneralizedCrossEntropyLoss, L.generalized_cross_entropy, {"q": 0.3}),
    (L.MulticlassHingeLoss, L.multiclass_hinge_loss, {}),
    (L.CategoricalHingeLoss, L.categorical_hinge_loss, {}),
    (L.MulticlassPerceptronLoss, L.multiclass_perceptron_loss, {}),
    (L.MulticlassSparsemaxLoss, L.multiclass_sparsemax_loss, {}),
]


@pytest.mark.parametrize("cls,fn,kw", CLASSES, ids=[c[0].__name__ for c in CLASSES])
def test_class_forwards_every_option(cls, fn, kw):
    r = rng(18)
    x, y = t64(r.normal(size=(5, 3))), i64([0, 1, 2, 1, 0])
    sw = r.uniform(0, 2, 5)
    crit = cls(**kw, ignore_index=2, reduction="sum", label_smoothing=0.2)
    assert isinstance(crit, ll.nn.Module) and list(crit.parameters()) == []
    assert repr(cls()) == f"{cls.__name__}()"
    a = crit(x, y, sample_weight=sw)
    b = fn(x, y, **kw, ignore_index=2, reduction="sum", label_smoothing=0.2, sample_weight=sw)
    np.testing.assert_array_equal(a.data, b.data)
    with pytest.raises(ValueError, match="reduction"):
        cls(reduction="avg")


def test_focal_loss_class_keeps_per_class_alpha_as_buffer():
    crit = L.FocalLoss(alpha=[1.0, 2.0, 0.5])
    assert list(crit.state_dict()) == ["alpha"]
    x, y = t64(rng(19).normal(size=(4, 3))), i64([0, 1, 2, 1])
    crit.double()
    np.testing.assert_allclose(crit(x, y).item(), L.focal_loss(x, y, t64([1.0, 2.0, 0.5])).item(), rtol=1e-14)
    assert L.FocalLoss(alpha=0.25).alpha == 0.25 and list(L.FocalLoss(alpha=0.25).state_dict()) == []


def test_docstring_examples_run():
    result = doctest.testmod(MC, extraglobs={"ll": ll}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20 and result.failed == 0
