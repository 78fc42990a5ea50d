"""Regression losses that PyTorch has, against PyTorch 2.13 in float64 beyond the generic tests:
every option (weight, delta, beta incl. 0, log_input, full, eps, every var shape), gradients to
input, target and var, the kinks, and the classes' constructors."""
from __future__ import annotations

import inspect
import warnings

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


def T(a, requires_grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _pair(seed, shape=(5, 4), scale=2.0):
    r = np.random.default_rng(seed)
    return t64(r.normal(scale=scale, size=shape)), t64(r.normal(size=shape))


def _check(ll_fn, torch_fn, x, y, kwargs, reduction, seed=0, grad_target=True):
    out, tout, (lx, ly), (tx, ty) = H.run_both(torch, ll_fn, torch_fn, x, y, kwargs, reduction, seed=seed,
                                               grad_target=grad_target)
    assert out.shape == tuple(tout.shape)
    H.assert_close(out, tout, what="value")
    H.assert_close(lx.grad, tx.grad, atol=1e-14, what="d/d input")
    if grad_target:
        H.assert_close(ly.grad, ty.grad, atol=1e-14, what="d/d target")


# ----------------------------------------------------------------------------- L1, Huber, smooth L1
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_with_weight_matches_torch(reduction):
    x, y = _pair(1)
    w = t64(np.random.default_rng(2).uniform(0.1, 2.0, x.shape))
    _check(L.l1_loss, F.l1_loss, x, y, {"weight": w}, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [0.3, 1.0, 2.5])
def test_huber_matches_torch_for_every_delta(reduction, delta):
    x, y = _pair(3)
    _check(L.huber_loss, F.huber_loss, x, y, {"delta": delta}, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_huber_weight_rescales_like_torch(reduction):
    x, y = _pair(4)
    w = t64(np.random.default_rng(5).uniform(0.1, 2.0, x.shape))
    _check(L.huber_loss, F.huber_loss, x, y, {"delta": 0.7, "weight": w}, reduction)
    if reduction == "mean":  # a rescaling weight: 'mean' divides by the number of elements, not Σw
        plain = L.huber_loss(x, y, delta=0.7, reduction="none").data
        assert L.huber_loss(x, y, delta=0.7, weight=w).item() == pytest.approx((plain * w.data).mean(), rel=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [0.0, 0.4, 1.0, 3.0])
def test_smooth_l1_matches_torch_incl_beta_zero(reduction, beta):
    x, y = _pair(6)
    _check(L.smooth_l1_loss, F.smooth_l1_loss, x, y, {"beta": beta}, reduction)


def test_smooth_l1_beta_zero_is_l1_and_huber_is_delta_times_smooth_l1():
    x, y = _pair(7)
    np.testing.assert_array_equal(L.smooth_l1_loss(x, y, beta=0.0, reduction="none").data,
                                  L.l1_loss(x, y, reduction="none").data)
    for d in (0.5, 2.0):
        np.testing.assert_allclose(L.huber_loss(x, y, delta=d, reduction="none").data,
                                   d * L.smooth_l1_loss(x, y, beta=d, reduction="none").data, rtol=1e-14)


@pytest.mark.parametrize("name, kw, edge", [("huber_loss", {"delta": 0.5}, 0.5), ("huber_loss", {"delta": 2.0}, 2.0),
                                            ("smooth_l1_loss", {"beta": 0.5}, 0.5), ("smooth_l1_loss", {"beta": 0.0}, 0.0),
                                            ("l1_loss", {}, 0.0)])
def test_gradient_at_the_kinks_is_torchs_not_doubled(name, kw, edge):
    """Errors exactly at the switch |d| = δ (and at 0): the gradient is PyTorch's, ±δ for Huber
    (a sum of both branches' gradients would give ±2δ), ±1 for smooth L1, 0 at d = 0."""
    d = np.array([-edge, edge, 0.0, -0.0, 3.0, -3.0])
    x, y = t64(d), t64(np.zeros_like(d))
    _check(getattr(L, name), getattr(F, name), x, y, kw, "sum")
    lx = H.leaf(x)
    getattr(L, name)(lx, y, reduction="sum", **kw).backward()
    if name == "huber_loss":
        np.testing.assert_array_equal(lx.grad.data[:2], [-edge, edge])
    assert lx.grad.data[2] == 0.0 and lx.grad.data[3] == 0.0


def test_huber_second_derivative_matches_torch_away_from_the_switch():
    x, y = _pair(8)
    v = np.random.default_rng(9).normal(size=x.shape)
    lx = H.leaf(x)
    (g,) = ll.autograd.grad(L.huber_loss(lx, y, delta=0.8, reduction="sum"), [lx], create_graph=True)
    (hv,) = ll.autograd.grad((g * t64(v)).sum(), [lx])
    tx = H.to_torch(torch, x, requires_grad=True)
    (tg,) = torch.autograd.grad(F.huber_loss(tx, H.to_torch(torch, y), delta=0.8, reduction="sum"), [tx],
                                create_graph=True)
    (thv,) = torch.autograd.grad((tg * torch.from_numpy(v)).sum(), [tx])
    H.assert_close(hv, thv)


# ----------------------------------------------------------------------------- Poisson NLL
def _poisson_data(seed, log_input, zeros=True):
    r = np.random.default_rng(seed)
    x = r.normal(scale=0.8, size=(6, 3)) if log_input else r.uniform(0.05, 4.0, (6, 3))
    y = r.poisson(2.0, (6, 3)).astype(float)
    if not zeros:
        y = y + r.uniform(0.05, 0.95, y.shape)
    return t64(x), t64(y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_matches_torch_for_every_option(reduction, log_input, full):
    x, y = _poisson_data(10, log_input, zeros=not full)
    kw = {"log_input": log_input, "full": full, "eps": 1e-3 if not log_input else 1e-8}
    _check(L.poisson_nll_loss, F.poisson_nll_loss, x, y, kw, reduction)


def test_poisson_nll_zero_targets_value_like_torch_and_finite_target_gradient():
    x, y = _poisson_data(11, True, zeros=True)
    assert (y.data == 0).any()
    for log_input in (True, False):
        xx = x if log_input else t64(np.exp(x.data))
        out, tout, (lx, ly), (tx, ty) = H.run_both(torch, L.poisson_nll_loss, F.poisson_nll_loss, xx, y,
                                                   {"log_input": log_input, "full": True}, "sum")
        H.assert_close(out, tout)
        H.assert_close(lx.grad, tx.grad)
        z = y.data == 0
        assert np.isnan(ty.grad.numpy()[z]).all()  # PyTorch: 0·∞ in its masked Stirling term
        assert np.isfinite(ly.grad.data).all()
        H.assert_close(ly.grad.data[~z], ty.grad.numpy()[~z])
        # where y = 0 the loss is linear in y with slope −x (resp. −log(x + eps))
        slope = -xx.data if log_input else -np.log(xx.data + 1e-8)
        g = np.random.default_rng(0).uniform(0.5, 1.5, size=())  # run_both's upstream gradient
        np.testing.assert_allclose(ly.grad.data[z], g * slope[z], rtol=1e-14)


def test_poisson_nll_stirling_term_by_hand():
    y = np.array([0.0, 1.0, 2.0, 7.0])
    x = np.log(np.array([1.0, 2.0, 2.0, 5.0]))
    got = L.poisson_nll_loss(t64(x), t64(y), full=True, reduction="none").data
    stirling = np.where(y > 1, y * np.log(np.where(y > 0, y, 1)) - y + 0.5 * np.log(2 * np.pi * np.where(y > 0, y, 1)), 0.0)
    np.testing.assert_allclose(got, np.exp(x) - y * x + stirling, rtol=1e-14)


# ----------------------------------------------------------------------------- Gaussian NLL
def _gauss_check(x, y, var, reduction, full=False, eps=1e-6, seed=0):
    """Values and gradients to input, target and (a Tensor) var against torch."""
    lx, ly = H.leaf(x), H.leaf(y)
    tx, ty = H.to_torch(torch, x, True), H.to_torch(torch, y, True)
    if isinstance(var, float):
        lv, tv = var, var
    else:
        lv, tv = H.leaf(var), H.to_torch(torch, var, True)
    out = L.gaussian_nll_loss(lx, ly, lv, full, eps, reduction=reduction)
    tout = F.gaussian_nll_loss(tx, ty, tv, full, eps, reduction)
    assert out.shape == tuple(tout.shape)
    H.assert_close(out, tout, what="value")
    g = np.random.default_rng(seed).uniform(0.5, 1.5, out.shape)
    out.backward(t64(g))
    tout.backward(torch.from_numpy(g))
    H.assert_close(lx.grad, tx.grad, what="d/d input")
    H.assert_close(ly.grad, ty.grad, what="d/d target")
    if not isinstance(var, float):
        H.assert_close(lv.grad, tv.grad, what="d/d var")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("vshape", [(5, 4), (5,), (5, 1), (1, 4), "float"])
def test_gaussian_nll_matches_torch_for_every_var_shape(reduction, full, vshape):
    x, y = _pair(12)
    r = np.random.default_rng(13)
    var = float(r.uniform(0.2, 3.0)) if vshape == "float" else t64(r.uniform(0.2, 3.0, vshape))
    _gauss_check(x, y, var, reduction, full)


def test_gaussian_nll_var_below_eps_is_clamped_forward_only_like_torch():
    x, y = _pair(14, shape=(3, 4))
    v = np.abs(np.random.default_rng(15).normal(size=(3, 4)))
    v[0, :2] = 0.0
    v[1, 1:3] = 1e-9  # below eps: forward uses eps, the gradient still flows (straight through)
    _gauss_check(x, y, t64(v), "sum", eps=1e-3)
    lv = t64(v, requires_grad=True)
    L.gaussian_nll_loss(x, y, lv, eps=1e-3, reduction="sum").backward()
    assert (lv.grad.data[0, :2] != 0).all()


def test_gaussian_nll_unbatched_and_homoscedastic_scalar_var_like_torch():
    r = np.random.default_rng(16)
    x, y = t64(r.normal(size=4)), t64(r.normal(size=4))
    _gauss_check(x, y, t64(np.array(0.7)), "mean")  # var () for input (4,): input.shape[:-1] == ()
    _gauss_check(x, y, 2.0, "none")


def test_gaussian_nll_default_var_is_unit_variance():
    x, y = _pair(17)
    d = x.data - y.data
    np.testing.assert_allclose(L.gaussian_nll_loss(x, y, reduction="none").data, 0.5 * d * d, rtol=1e-14)
    np.testing.assert_allclose(L.gaussian_nll_loss(x, y, full=True).item(),
                               F.gaussian_nll_loss(T(x.data), T(y.data), torch.ones(5, 4, dtype=torch.float64),
                                                   full=True).item(), rtol=1e-14)


@pytest.mark.parametrize("vshape", [(4, 5), (5, 2), (3,), (5, 4, 1), (2, 1)])
def test_gaussian_nll_var_of_wrong_shape_raises_like_torch(vshape):
    x, y = _pair(18)
    v = np.ones(vshape)
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(T(x.data), T(y.data), T(v))
    with pytest.raises(ValueError, match=rf"var of shape \({vshape[0]},.*does not fit the input's shape \(5, 4\)"):
        L.gaussian_nll_loss(x, y, t64(v))


def test_gaussian_nll_negative_var_raises_like_torch():
    x, y = _pair(19)
    v = np.ones((5, 4))
    v[2, 3] = -0.5
    with pytest.raises(ValueError, match="var has negative entry"):
        F.gaussian_nll_loss(T(x.data), T(y.data), T(v))
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var must be ≥ 0 .*got 1 element\(s\) outside \(e.g. -0.5\)"):
        L.gaussian_nll_loss(x, y, t64(v))
    with pytest.raises(ValueError, match=r"var must be ≥ 0 \(a variance\), got -1.0"):
        L.gaussian_nll_loss(x, y, -1.0)


# ----------------------------------------------------------------------------- classes
CLASSES = ["L1Loss", "HuberLoss", "SmoothL1Loss", "PoissonNLLLoss", "GaussianNLLLoss"]


@pytest.mark.parametrize("name", CLASSES)
def test_class_constructor_and_repr_like_torch(name):
    ours, theirs = getattr(L, name), getattr(torch.nn, name)
    assert list(inspect.signature(ours.__init__).parameters) == list(inspect.signature(theirs.__init__).parameters)
    for p, tp in zip(inspect.signature(ours.__init__).parameters.values(),
                     inspect.signature(theirs.__init__).parameters.values()):
        assert p.default == tp.default and p.kind == tp.kind, name
    assert repr(ours()) == repr(theirs()) == f"{name}()"


def test_gaussian_class_forward_takes_var_like_torch():
    x, y = _pair(20)
    v = t64(np.random.default_rng(21).uniform(0.5, 2.0, (5, 1)))
    crit, tcrit = L.GaussianNLLLoss(full=True, eps=1e-4, reduction="sum"), torch.nn.GaussianNLLLoss(full=True, eps=1e-4, reduction="sum")
    H.assert_close(crit(x, y, v), tcrit(T(x.data), T(y.data), T(v.data)))


@pytest.mark.parametrize("size_average, reduce, expected", [(False, None, "sum"), (None, False, "none"), (True, True, "mean")])
def test_legacy_size_average_and_reduce_like_torch(size_average, reduce, expected):
    for name in ("L1Loss", "SmoothL1Loss", "PoissonNLLLoss"):
        with pytest.warns(DeprecationWarning, match=f"reduction='{expected}'"):
            crit = getattr(L, name)(size_average=size_average, reduce=reduce)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert crit.reduction == getattr(torch.nn, name)(size_average=size_average, reduce=reduce).reduction


def test_classes_take_sample_weight_in_forward():
    x, y = _pair(22)
    w = np.arange(1.0, 6.0)
    for crit, fn in [(L.L1Loss(), L.l1_loss), (L.HuberLoss(delta=0.5), lambda a, b, **k: L.huber_loss(a, b, delta=0.5, **k))]:
        H.assert_close(crit(x, y, sample_weight=w), fn(x, y, sample_weight=w), rtol=0)
