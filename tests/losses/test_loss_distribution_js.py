"""js_divergence: against a NumPy reference (and SciPy's jensenshannon where installed), its
properties (symmetric, 0 iff equal, ≤ log 2, = log 2 on disjoint supports), the fused
JSDivergenceCore against the composed formula (values, gradients, second derivatives), zero
probabilities and −inf log-probabilities, gradcheck, sample weights and the class."""
from __future__ import annotations

import math

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L
from losslab.losses.distribution import JSDivergenceCore

import loss_helpers as H  # noqa: E402

LOG2 = math.log(2.0)


def t64(a, requires_grad=False):
    return ll.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _log_softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def ref_js(logp, q, axis=-1):
    """½ Σ p log(p/m) + ½ Σ q log(q/m), m = (p + q)/2, 0·log 0 = 0 (Lin 1991)."""
    p = np.exp(_log_softmax(logp, axis))
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        tp = np.where(p > 0, p * np.log(p / m), 0.0)
        tq = np.where(q > 0, q * np.log(q / m), 0.0)
    return 0.5 * (tp + tq).sum(axis)


def _dists(seed, shape=(6, 5)):
    r = np.random.default_rng(seed)
    return _log_softmax(r.normal(scale=1.5, size=shape)), r.dirichlet(np.ones(shape[-1]), size=shape[:-1])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_js_matches_reference(reduction, log_target):
    logp, q = _dists(1)
    out = L.js_divergence(t64(logp), t64(np.log(q) if log_target else q), reduction=reduction, log_target=log_target)
    ref = ref_js(logp, q)
    H.assert_close(out, ref.mean() if reduction == "mean" else ref.sum() if reduction == "sum" else ref, rtol=1e-12)


def test_js_matches_scipy_jensenshannon_squared():
    spd = pytest.importorskip("scipy.spatial.distance")
    logp, q = _dists(2)
    expected = np.array([spd.jensenshannon(np.exp(a), b) ** 2 for a, b in zip(logp, q)])
    np.testing.assert_allclose(L.js_divergence(t64(logp), t64(q), reduction="none").data, expected, rtol=1e-9)


def test_js_properties():
    logp, q = _dists(3)
    p = np.exp(logp)
    ab = L.js_divergence(t64(logp), t64(q), reduction="none").data
    ba = L.js_divergence(t64(np.log(q)), t64(p), reduction="none").data
    np.testing.assert_allclose(ab, ba, rtol=1e-12)  # symmetric
    assert (ab > 0).all() and (ab <= LOG2).all()
    np.testing.assert_allclose(L.js_divergence(t64(np.log(q)), t64(q), reduction="none").data, 0.0, atol=1e-15)
    # disjoint supports: exactly log 2 (KL would be infinite)
    with np.errstate(divide="ignore"):
        logp = np.log([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    q = np.array([[0.0, 0.3, 0.7], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(L.js_divergence(t64(logp), t64(q), reduction="none").data, [LOG2, LOG2], rtol=1e-15)
    # hand-computed: p = (1, 0), q = (½, ½): m = (¾, ¼); ½ log(4/3) + ½(½ log(2/3) + ½ log 2)
    got = L.js_divergence(t64([[0.0, -np.inf]]), t64([[0.5, 0.5]])).item()
    assert got == pytest.approx(0.5 * math.log(4 / 3) + 0.25 * math.log(2 / 3) + 0.25 * LOG2, rel=1e-15)


def test_js_renormalizes_its_input():
    z = np.random.default_rng(4).normal(scale=3.0, size=(4, 3))
    q = np.random.default_rng(5).dirichlet(np.ones(3), size=4)
    a = L.js_divergence(t64(z), t64(q), reduction="none").data
    b = L.js_divergence(t64(_log_softmax(z)), t64(q), reduction="none").data
    np.testing.assert_allclose(a, b, rtol=1e-13)
    zx = t64(z, True)
    L.js_divergence(zx, t64(q), reduction="sum").backward()
    np.testing.assert_allclose(zx.grad.data.sum(-1), 0.0, atol=1e-15)  # shifts of a row change nothing


# ----------------------------------------------------------------------------- fused vs composed
def composed_js_terms(a, t, log_target):
    """The textbook formula with ll ops (valid where every probability is > 0)."""
    p = a.exp()
    q = t.exp() if log_target else t
    lq = t if log_target else t.log()
    lm = ((p + q) * 0.5).log()
    return 0.5 * p * (a - lm) + 0.5 * q * (lq - lm)


@pytest.mark.parametrize("log_target", [False, True])
def test_js_core_equals_composed_formula(log_target):
    logp, q = _dists(6)
    tgt = np.log(q) if log_target else q
    v1, v2 = np.random.default_rng(7).normal(size=(2,) + q.shape)

    def run(f):
        a, t = t64(logp, True), t64(tgt, True)
        out = f(a, t)
        ga, gt = ll.autograd.grad((out * t64(v1)).sum(), [a, t], create_graph=True)
        ha = ll.autograd.grad((ga * t64(v2)).sum() + (gt * t64(v1)).sum(), [a, t])
        return out.data, ga.data, gt.data, ha[0].data, ha[1].data

    fused = run(lambda a, t: JSDivergenceCore.apply(a, t, log_target=log_target))
    comp = run(lambda a, t: composed_js_terms(a, t, log_target))
    for f, c, what in zip(fused, comp, ("value", "d/da", "d/dt", "d2/da", "d2/dt")):
        np.testing.assert_allclose(f, c, rtol=1e-11, atol=1e-15, err_msg=what)


@pytest.mark.parametrize("log_target", [False, True])
def test_js_gradcheck_and_gradgradcheck(log_target):
    logp, q = _dists(8, (3, 4))
    ins = [t64(logp, True), t64(np.log(q) if log_target else q, True)]
    f = lambda a, b: L.js_divergence(a, b, log_target=log_target, sample_weight=[1.0, 0.5, 2.0])  # noqa: E731
    assert ll.autograd.gradcheck(f, ins)
    assert ll.autograd.gradgradcheck(f, ins)


def test_js_zero_probabilities_give_finite_gradients():
    logp = t64([[0.0, -np.inf, -np.inf], [np.log(0.5), np.log(0.5), -np.inf]], True)
    q = t64([[0.0, 0.5, 0.5], [0.5, 0.0, 0.5]], True)
    out = L.js_divergence(logp, q, reduction="sum")
    assert np.isfinite(out.item())
    out.backward()
    assert np.isfinite(logp.grad.data).all() and np.isfinite(q.grad.data).all()
    assert q.grad.data[0, 0] == 0.0 and q.grad.data[1, 1] == 0.0  # gradient at a target 0 set to 0 (exact: −∞)
    # the same with −inf log-targets, through the create_graph path as well
    a = t64([[0.0, -np.inf, -np.inf]], True)
    b = t64([[-np.inf, np.log(0.5), np.log(0.5)]], True)
    (ga, gb) = ll.autograd.grad(L.js_divergence(a, b, log_target=True), [a, b], create_graph=True)
    assert np.isfinite(ga.data).all() and np.isfinite(gb.data).all()
    (h,) = ll.autograd.grad(ga.sum() + gb.sum(), [b], allow_unused=True)
    assert h is None or np.isfinite(h.data).all()


def test_js_is_finite_at_extreme_logits_in_float32_and_float64():
    for dt in (np.float32, np.float64):
        z = ll.tensor(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dt), requires_grad=True)
        out = L.js_divergence(z, ll.tensor(np.array([[0.2, 0.3, 0.5]] * 2, dtype=dt)))
        out.backward()
        assert out.dtype == dt and np.isfinite(out.item()) and np.isfinite(z.grad.data).all()


def test_js_dim_sample_weight_and_class():
    r = np.random.default_rng(9)
    z = r.normal(size=(3, 4, 2))
    q = r.dirichlet(np.ones(4), size=(3, 2)).transpose(0, 2, 1)
    got = L.js_divergence(t64(z), t64(q), dim=1, reduction="none")
    assert got.shape == (3, 2)
    np.testing.assert_allclose(got.data, ref_js(z, q, axis=1), rtol=1e-12)
    sw = np.array([2.0, 0.0, 1.0])
    H.assert_close(L.js_divergence(t64(z), t64(q), dim=1, sample_weight=sw),
                   (got.data * sw[:, None]).sum() / (2 * sw.sum()), rtol=1e-14)
    crit = L.JSDivergence(reduction="sum", dim=1)
    assert repr(crit) == "JSDivergence()"
    H.assert_close(crit(t64(z), t64(q)), got.data.sum(), rtol=1e-14)
    np.testing.assert_array_equal(crit(t64(z), t64(q), sample_weight=sw).data,
                                  L.js_divergence(t64(z), t64(q), dim=1, reduction="sum", sample_weight=sw).data)
