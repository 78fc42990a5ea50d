"""kl_div against PyTorch 2.13 (every reduction incl. 'batchmean', log_target, gradients to input
and target, zero targets), generalized_kl_divergence against optax's definition written in NumPy,
sample weights, the class and the bad-input errors of the distribution family."""
from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L

torch = pytest.importorskip("torch")
F = torch.nn.functional

import loss_helpers as H  # noqa: E402

KL_REDUCTIONS = ("mean", "sum", "none", "batchmean")


def t64(a, requires_grad=False):
    return ll.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _log_softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _dists(seed, shape=(5, 4)):
    r = np.random.default_rng(seed)
    logp = _log_softmax(r.normal(scale=1.5, size=shape))
    q = r.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    return logp, q


def _torch_kl(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about reduction='mean'
        return F.kl_div(*args, **kwargs)


def _check_kl(x, y, reduction, log_target, sample_weight=None, seed=0, target_grad=True):
    lx, ly = t64(x, True), t64(y, target_grad)
    tx, ty = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=target_grad)
    out = L.kl_div(lx, ly, reduction=reduction, log_target=log_target)
    tout = _torch_kl(tx, ty, reduction=reduction, log_target=log_target)
    assert out.shape == tuple(tout.shape)
    H.assert_close(out, tout, what="value")
    g = np.random.default_rng(seed).uniform(0.5, 1.5, out.shape)
    out.backward(t64(g))
    tout.backward(torch.from_numpy(g))
    H.assert_close(lx.grad, tx.grad, atol=1e-15, what="d/d input")
    if target_grad:
        H.assert_close(ly.grad, ty.grad, atol=1e-15, what="d/d target")
    return lx, ly, tx, ty


# ----------------------------------------------------------------------------- kl_div vs torch
@pytest.mark.parametrize("reduction", KL_REDUCTIONS)
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
def test_kl_div_matches_torch(reduction, log_target, shape):
    logp, q = _dists(1, shape)
    _check_kl(logp, np.log(q) if log_target else q, reduction, log_target)


def test_kl_div_batchmean_is_the_kl_divergence_per_sample():
    logp, q = _dists(2)
    kl = (q * (np.log(q) - logp)).sum(-1)  # KL(q ‖ p) per row
    assert L.kl_div(t64(logp), t64(q), reduction="batchmean").item() == pytest.approx(kl.mean(), rel=1e-14)
    assert L.kl_div(t64(logp), t64(q)).item() == pytest.approx(kl.mean() / 4, rel=1e-14)  # 'mean': / N·C
    # a 0-d input: 'batchmean' is the sum (PyTorch divides only when there is a batch dimension)
    assert L.kl_div(t64(-0.5), t64(0.3), reduction="batchmean").item() == pytest.approx(
        _torch_kl(torch.tensor(-0.5, dtype=torch.float64), torch.tensor(0.3, dtype=torch.float64),
                  reduction="batchmean").item(), rel=1e-15)


@pytest.mark.parametrize("reduction", KL_REDUCTIONS)
def test_kl_div_zero_targets_contribute_zero_and_a_finite_gradient(reduction):
    logp, q = _dists(3)
    q[0, 1] = q[2, 3] = 0.0
    q = q / q.sum(-1, keepdims=True)
    zero = q == 0
    lx, ly, tx, ty = _check_kl(logp, q, reduction, False, target_grad=False)
    # with the target requiring grad, PyTorch's gradient to the zero entries is nan (0/0 in
    # xlogy's backward); ours is 0, and equal to PyTorch's elsewhere
    lx, ly = t64(logp, True), t64(q, True)
    tx, ty = torch.tensor(logp, requires_grad=True), torch.tensor(q, requires_grad=True)
    L.kl_div(lx, ly, reduction=reduction).sum().backward()
    _torch_kl(tx, ty, reduction=reduction).sum().backward()
    assert np.isnan(ty.grad.numpy()[zero]).all()
    assert (ly.grad.data[zero] == 0).all()
    H.assert_close(ly.grad.data[~zero], ty.grad.numpy()[~zero])
    # the same with log-targets of −inf: PyTorch's loss is nan there (e^{−inf}·(−inf − x) = 0·∞);
    # ours is the same as with the probability target 0
    lt = np.log(np.where(zero, 1.0, q))
    lt[zero] = -np.inf
    assert np.isnan(_torch_kl(torch.tensor(logp), torch.tensor(lt), reduction="none", log_target=True).numpy()[zero]).all()
    ly = t64(lt, True)
    out = L.kl_div(t64(logp), ly, reduction=reduction, log_target=True)
    H.assert_close(out, L.kl_div(t64(logp), t64(q), reduction=reduction), rtol=1e-14)
    out.sum().backward()
    assert (ly.grad.data[zero] == 0).all() and np.isfinite(ly.grad.data).all()


def test_kl_div_zero_target_against_minus_inf_input_is_zero_not_nan():
    logp = np.array([[0.0, -np.inf]])
    q = np.array([[1.0, 0.0]])
    assert np.isnan(_torch_kl(torch.tensor(logp), torch.tensor(q), reduction="sum").item())
    x = t64(logp, True)
    out = L.kl_div(x, t64(q), reduction="sum")
    assert out.item() == 0.0
    out.backward()
    np.testing.assert_array_equal(x.grad.data, [[-1.0, 0.0]])


def test_kl_div_hand_computed():
    # KL((1, 0) ‖ (½, ½)) = log 2; KL((½, ½) ‖ (¼, ¾)) = ½ log 2 + ½ log(2/3)
    logp = np.log([[0.5, 0.5], [0.25, 0.75]])
    q = np.array([[1.0, 0.0], [0.5, 0.5]])
    got = L.kl_div(t64(logp), t64(q), reduction="none").data.sum(-1)
    np.testing.assert_allclose(got, [math.log(2), 0.5 * math.log(2) + 0.5 * math.log(2 / 3)], rtol=1e-15)


def test_kl_div_second_derivatives_match_torch():
    logp, q = _dists(4)
    lx, ly = t64(logp, True), t64(q, True)
    tx, ty = torch.tensor(logp, requires_grad=True), torch.tensor(q, requires_grad=True)
    v = np.random.default_rng(5).normal(size=q.shape)
    g = ll.autograd.grad(L.kl_div(lx, ly, reduction="batchmean"), [lx, ly], create_graph=True)
    hv = ll.autograd.grad((g[1] * t64(v)).sum(), [ly])
    tg = torch.autograd.grad(_torch_kl(tx, ty, reduction="batchmean"), [tx, ty], create_graph=True)
    thv = torch.autograd.grad((tg[1] * torch.from_numpy(v)).sum(), [ty])
    H.assert_close(hv[0], thv[0])
    assert ll.autograd.gradgradcheck(lambda a, b: L.kl_div(a, b, reduction="batchmean"), [lx, ly])


@pytest.mark.parametrize("reduction", KL_REDUCTIONS)
def test_kl_div_sample_weight(reduction):
    logp, q = _dists(6)
    sw = np.array([1.0, 0.0, 2.0, 0.5, 1.0])
    per = L.kl_div(t64(logp), t64(q), reduction="none").data * sw[:, None]
    got = L.kl_div(t64(logp), t64(q), reduction=reduction, sample_weight=sw)
    expected = {"none": per, "sum": per.sum(), "mean": per.sum() / (4 * sw.sum()), "batchmean": per.sum() / sw.sum()}
    H.assert_close(got, expected[reduction], rtol=1e-14)
    ones = L.kl_div(t64(logp), t64(q), reduction=reduction, sample_weight=np.ones(5))
    H.assert_close(ones, L.kl_div(t64(logp), t64(q), reduction=reduction), rtol=1e-14)


def test_kldivloss_class_like_torch():
    ours, theirs = L.KLDivLoss, torch.nn.KLDivLoss
    assert list(inspect.signature(ours.__init__).parameters) == list(inspect.signature(theirs.__init__).parameters)
    assert repr(ours()) == repr(theirs()) == "KLDivLoss()"
    logp, q = _dists(7)
    crit, tcrit = ours(reduction="batchmean", log_target=True), theirs(reduction="batchmean", log_target=True)
    H.assert_close(crit(t64(logp), t64(np.log(q))), tcrit(torch.tensor(logp), torch.tensor(np.log(q))))
    with pytest.raises(ValueError, match="reduction"):
        ours(reduction="avg")
    with pytest.warns(DeprecationWarning, match="reduction='sum'"):
        assert ours(size_average=False).reduction == "sum"


# ----------------------------------------------------------------------------- generalized KL
def ref_generalized_kl(log_x, y):
    """optax.losses.generalized_kl_divergence(log_predictions, targets), axis=-1."""
    kl = (y * (np.where(y == 0, 0.0, np.log(np.where(y == 0, 1.0, y))) - log_x)).sum(-1)
    return kl + (np.exp(log_x) - y).sum(-1)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("log_input", [True, False])
def test_generalized_kl_matches_optax_definition(reduction, log_input):
    r = np.random.default_rng(8)
    a, y = r.normal(size=(6, 5)), r.gamma(2.0, 1.0, (6, 5))
    y[0, 0] = y[3, 2] = 0.0
    inp = a if log_input else np.exp(a)
    got = L.generalized_kl_divergence(t64(inp), t64(y), reduction=reduction, log_input=log_input)
    ref = ref_generalized_kl(a, y)
    H.assert_close(got, ref.mean() if reduction == "mean" else ref.sum() if reduction == "sum" else ref, rtol=1e-12)


def test_generalized_kl_properties_and_gradients():
    r = np.random.default_rng(9)
    x, y = r.uniform(0.2, 3.0, (4, 3)), r.uniform(0.2, 3.0, (4, 3))
    # 0 exactly at x = y, KL when both are distributions, hand-computed case
    assert L.generalized_kl_divergence(t64(np.log(y)), t64(y), reduction="sum").item() == pytest.approx(0.0, abs=1e-14)
    p, q = x / x.sum(-1, keepdims=True), y / y.sum(-1, keepdims=True)
    np.testing.assert_allclose(L.generalized_kl_divergence(t64(np.log(p)), t64(q), reduction="none").data,
                               (q * np.log(q / p)).sum(-1), rtol=1e-12)
    assert L.generalized_kl_divergence(t64([[1.0, 2.0]]), t64([[1.0, 4.0]]), log_input=False).item() == \
        pytest.approx(4 * math.log(2) - 2, rel=1e-15)  # Σ y log(y/x) − y + x = 4 log 2 − 5 + 3
    # ∂/∂a = e^a − y (log_input) and 1 − y/x (intensities)
    la = t64(np.log(x), True)
    L.generalized_kl_divergence(la, t64(y), reduction="sum").backward()
    np.testing.assert_allclose(la.grad.data, x - y, rtol=1e-13)
    lx = t64(x, True)
    L.generalized_kl_divergence(lx, t64(y), reduction="sum", log_input=False).backward()
    np.testing.assert_allclose(lx.grad.data, 1 - y / x, rtol=1e-13)
    for log_input, inp in ((True, np.log(x)), (False, x)):
        ins = [t64(inp, True), t64(y, True)]
        f = lambda a, b, li=log_input: L.generalized_kl_divergence(a, b, log_input=li, sample_weight=[1.0, 2.0, 0.0, 1.0])  # noqa: E731
        assert ll.autograd.gradcheck(f, ins)
        assert ll.autograd.gradgradcheck(f, ins)


def test_generalized_kl_zero_target_contributes_x_and_finite_gradients():
    a = t64([[0.5, -np.inf, 1.0]], True)
    y = t64([[0.0, 0.0, 2.0]], True)
    out = L.generalized_kl_divergence(a, y, reduction="sum")
    assert out.item() == pytest.approx(math.exp(0.5) + (2 * math.log(2) - 2 * 1.0 + math.e - 2), rel=1e-14)
    out.backward()
    assert np.isfinite(a.grad.data).all() and np.isfinite(y.grad.data).all()
    np.testing.assert_allclose(y.grad.data, [[0.0, 0.0, math.log(2) - 1.0]], rtol=1e-14)  # log y − a; 0 at y = 0
    x = t64([[0.0, 1.0]], True)  # intensity 0 where the target is 0: contributes 0
    out = L.generalized_kl_divergence(x, t64([[0.0, 1.0]]), log_input=False, reduction="sum")
    assert out.item() == 0.0
    out.backward()
    np.testing.assert_array_equal(x.grad.data, [[1.0, 0.0]])


def test_generalized_kl_dim_and_class():
    r = np.random.default_rng(10)
    a, y = r.normal(size=(2, 3, 4)), r.uniform(0.1, 2, (2, 3, 4))
    got = L.generalized_kl_divergence(t64(a), t64(y), dim=1, reduction="none")
    assert got.shape == (2, 4)
    np.testing.assert_allclose(got.data, ref_generalized_kl(np.moveaxis(a, 1, -1), np.moveaxis(y, 1, -1)), rtol=1e-12)
    crit = L.GeneralizedKLDivergence(reduction="sum", dim=1)
    assert repr(crit) == "GeneralizedKLDivergence()"
    H.assert_close(crit(t64(a), t64(y)), got.data.sum(), rtol=1e-14)


# ----------------------------------------------------------------------------- bad input
def test_distribution_bad_input_errors():
    logp, q = _dists(11)
    x, y = t64(logp), t64(q)
    with pytest.raises(ValueError, match=r"kl_div: input and target must have the same shape, got input \(5, 4\) and target \(5, 3\)"):
        L.kl_div(x, y[:, :3])
    with pytest.raises(ValueError, match=r"reduction must be 'mean', 'sum' or 'none', got 'avg' \(kl_div also accepts 'batchmean'"):
        L.kl_div(x, y, reduction="avg")
    for name in ("generalized_kl_divergence", "js_divergence"):
        with pytest.raises(ValueError, match=f"{name}: reduction must be 'mean', 'sum' or 'none', got 'batchmean'"):
            getattr(L, name)(x, y, reduction="batchmean")
        with pytest.raises(ValueError, match=f"{name}: dim=2 is out of range for an input with 2 dimension"):
            getattr(L, name)(x, y, dim=2)
        with pytest.raises(TypeError, match=f"{name}: dim must be an int, got float 1.0"):
            getattr(L, name)(x, y, dim=1.0)
    bad = q.copy()
    bad[1, 2] = 1.5
    for name in ("kl_div", "js_divergence"):
        with pytest.raises(ValueError, match=rf"{name}: target must be probabilities in \[0, 1\] .*got 1 element\(s\) outside \(e.g. 1.5\); pass log-probabilities with log_target=True"):
            getattr(L, name)(x, t64(bad))
        with pytest.raises(ValueError, match=rf"{name}: target must be probabilities in \[0, 1\].*\(e.g. -0.2\)"):
            getattr(L, name)(x, t64(np.where(q > 0.5, -0.2, q)))
        with pytest.raises(ValueError, match=rf"{name}: target must be ≤ 0 \(log-probabilities, since log_target=True\).*pass probabilities with log_target=False"):
            getattr(L, name)(x, y, log_target=True)  # probabilities given as log-probabilities
    with pytest.raises(ValueError, match=r"generalized_kl_divergence: target must be ≥ 0 \(a non-negative measure\)"):
        L.generalized_kl_divergence(x, t64(-q))
    with pytest.raises(ValueError, match=r"generalized_kl_divergence: input must be ≥ 0 \(intensities, since log_input=False\).*log_input=True"):
        L.generalized_kl_divergence(x, y, log_input=False)
    with pytest.raises(TypeError, match="kl_div: input must be a floating tensor"):
        L.kl_div(ll.tensor([[1, 2]]), t64([[0.5, 0.5]]))
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        L.kl_div(x, y, reduction="batchmean", sample_weight=np.ones(4))
