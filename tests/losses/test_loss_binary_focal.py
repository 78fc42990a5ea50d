"""Focal losses (losslab.losses.binary): sigmoid_focal_loss on logits against torchvision's
definition written with torch ops (torchvision itself is not installed), binary_focal_loss on
probabilities against the same formula on torch's clamped BCE, stability where torchvision's
1 − p_t cancels, the non-convexity the registry declares, and bad input."""
from __future__ import annotations

import doctest
import importlib
import zlib

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L
from losslab.losses import binary as B

torch = pytest.importorskip("torch")
F = torch.nn.functional

RTOL = 1e-10


def t64(a, requires_grad=False):
    return ll.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def torchvision_sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss as published (torchvision/ops/focal_loss.py)."""
    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def torch_focal_on_probabilities(p, y, alpha=0.25, gamma=2.0, reduction="none"):
    """The same focal formula on probabilities, with torch's clamped BCE."""
    ce = F.binary_cross_entropy(p, y, reduction="none")
    u = 1 - (p * y + (1 - p) * (1 - y))
    loss = ce * u ** gamma
    if alpha >= 0:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return {"mean": loss.mean, "sum": loss.sum}.get(reduction, lambda: loss)()


def _labels(rng, shape, soft):
    u = rng.uniform(0, 1, shape)
    return u if soft else np.round(u)


def _compare(ours, theirs, x, y, kw, reduction, t_alpha, seed=0):
    lx, ly = t64(x, True), t64(y, True)
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    out = ours(lx, ly, reduction=reduction, **kw)
    tout = theirs(tx, ty, alpha=t_alpha, gamma=kw.get("gamma", 2.0), reduction=reduction)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=RTOL, atol=1e-300)
    g = np.random.default_rng(seed).uniform(0.5, 1.5, out.shape)
    out.backward(ll.tensor(g))
    tout.backward(torch.from_numpy(g))
    np.testing.assert_allclose(lx.grad.data, tx.grad.numpy(), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(ly.grad.data, ty.grad.numpy(), rtol=1e-9, atol=1e-15)


# ----------------------------------------------------------------------------- against torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("alpha, t_alpha", [(0.25, 0.25), (0.6, 0.6), (None, -1.0), (-1.0, -1.0), (0.0, 0.0), (1.0, 1.0)])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 3.5])
@pytest.mark.parametrize("soft", [False, True])
def test_sigmoid_focal_loss_matches_torchvision(reduction, alpha, t_alpha, gamma, soft):
    rng = np.random.default_rng(zlib.crc32(repr((reduction, t_alpha, gamma, soft)).encode()))
    x = rng.normal(scale=3.0, size=(3, 4, 2))
    y = _labels(rng, x.shape, soft)
    _compare(L.sigmoid_focal_loss, torchvision_sigmoid_focal_loss, x, y, {"alpha": alpha, "gamma": gamma},
             reduction, t_alpha)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.0])
@pytest.mark.parametrize("soft", [False, True])
def test_binary_focal_loss_matches_torch_formula(reduction, gamma, soft):
    rng = np.random.default_rng(int(gamma * 10) + 7 * soft)
    p = rng.uniform(0.01, 0.99, (5, 3))
    y = _labels(rng, p.shape, soft)
    _compare(L.binary_focal_loss, torch_focal_on_probabilities, p, y, {"alpha": 0.3, "gamma": gamma},
             reduction, 0.3)


def test_binary_focal_loss_at_probabilities_0_and_1_matches_torch_clamps():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    lx = t64(p, True)
    tx = torch.tensor(p, requires_grad=True)
    out = L.binary_focal_loss(lx, t64(y), reduction="none", gamma=2.0)
    tout = torch_focal_on_probabilities(tx, torch.tensor(y), alpha=0.25, gamma=2.0)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=RTOL)
    assert out.data[0] == pytest.approx(0.25 * 100)  # log clamped at −100, as BCE
    out.sum().backward(), tout.sum().backward()
    np.testing.assert_allclose(lx.grad.data, tx.grad.numpy(), rtol=1e-9)
    assert np.all(np.isfinite(lx.grad.data))


def test_default_reduction_is_mean_and_none_is_torchvisions_default():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(6,)), np.round(rng.uniform(size=6))
    tv = torchvision_sigmoid_focal_loss(torch.tensor(x), torch.tensor(y)).numpy()  # reduction='none'
    np.testing.assert_allclose(L.sigmoid_focal_loss(t64(x), t64(y), reduction="none").data, tv, rtol=RTOL)
    assert L.sigmoid_focal_loss(t64(x), t64(y)).item() == pytest.approx(tv.mean(), rel=RTOL)


# ----------------------------------------------------------------------------- relations
def test_gamma_zero_is_alpha_weighted_bce_with_logits():
    rng = np.random.default_rng(5)
    x, y = rng.normal(scale=2, size=(4, 3)), rng.uniform(size=(4, 3))
    bce = L.binary_cross_entropy_with_logits(t64(x), t64(y), reduction="none").data
    got = L.sigmoid_focal_loss(t64(x), t64(y), gamma=0.0, alpha=None, reduction="none").data
    np.testing.assert_array_equal(got, bce)
    got = L.sigmoid_focal_loss(t64(x), t64(y), gamma=0.0, alpha=0.3, reduction="none").data
    np.testing.assert_allclose(got, (0.3 * y + 0.7 * (1 - y)) * bce, rtol=1e-15)


def test_probability_version_equals_logit_version_after_sigmoid():
    rng = np.random.default_rng(6)
    x, y = rng.normal(scale=2, size=(5, 2)), rng.uniform(size=(5, 2))
    for gamma in (0.5, 2.0):
        a = L.sigmoid_focal_loss(t64(x), t64(y), gamma=gamma, reduction="none").data
        b = L.binary_focal_loss(ll.sigmoid(t64(x)), t64(y), gamma=gamma, reduction="none").data
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_hand_computed_value():
    # x = 0, y = 1: p_t = 1/2, loss = 0.25 · (1/2)² · log 2
    assert L.sigmoid_focal_loss(t64([0.0]), t64([1.0])).item() == pytest.approx(0.25 * 0.25 * np.log(2), rel=1e-15)
    # x = log 3 (p = 3/4), y = 0, gamma = 1, alpha = None: (3/4) · log 4
    assert L.sigmoid_focal_loss(t64([np.log(3.0)]), t64([0.0]), gamma=1.0, alpha=None).item() == \
        pytest.approx(0.75 * np.log(4.0), rel=1e-14)


# ----------------------------------------------------------------------------- stability
def test_keeps_relative_accuracy_where_torchvision_cancels():
    # x = −50, y = 0: 1 − p_t = σ(−50) ≈ 2e-22, which torchvision's 1 − (1 − p) rounds to 0.
    x = -50.0
    s = np.exp(x) / (1 + np.exp(x))
    exact = 0.75 * s**2 * np.log1p(np.exp(x))
    got = L.sigmoid_focal_loss(t64([x]), t64([0.0]), reduction="sum").item()
    assert got == pytest.approx(exact, rel=1e-13)
    tv = torchvision_sigmoid_focal_loss(torch.tensor([x], dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64))
    assert tv.item() == 0.0  # what the reference formula gives


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("gamma", [0.25, 0.5, 1.0, 2.0, 2.5])
def test_finite_values_and_gradients_at_extreme_logits(dtype, gamma):
    x = np.array([1e4, -1e4, 800.0, -800.0, 120.0, -120.0, 30.0, -30.0])
    for y in (np.ones(8), np.zeros(8), np.full(8, 0.3)):
        lx = ll.tensor(x.astype(dtype), requires_grad=True)
        ly = ll.tensor(y.astype(dtype), requires_grad=True)
        out = L.sigmoid_focal_loss(lx, ly, gamma=gamma, reduction="none")
        assert np.all(np.isfinite(out.data)) and np.all(out.data >= 0)
        out.sum().backward()
        assert np.all(np.isfinite(lx.grad.data)) and np.all(np.isfinite(ly.grad.data))


def test_gradient_where_the_modulating_factor_underflows_is_zero():
    # y = 1, x = 800: 1 − p_t = σ(−800) underflows to 0; for γ < 1, γu^(γ−1) would be inf.
    lx = t64([800.0, 1e4], True)
    L.sigmoid_focal_loss(lx, t64([1.0, 1.0]), gamma=0.5, reduction="sum").backward()
    np.testing.assert_array_equal(lx.grad.data, [0.0, 0.0])


def test_gradient_is_accurate_on_the_confident_side():
    # y = 1, x = 30, γ = 0.5, α off: ℓ = σ(−x)^½ · softplus(−x) ≈ e^{−1.5x}, ∂ℓ/∂x ≈ −1.5 e^{−1.5x}
    x = 30.0
    s = 1 / (1 + np.exp(x))                     # σ(−x)
    sp = np.log1p(np.exp(-x))                   # softplus(−x)
    d = 0.5 * s**-0.5 * (-s * (1 - s)) * sp + s**0.5 * (-s)   # product rule, closed form
    lx = t64([x], True)
    L.sigmoid_focal_loss(lx, t64([1.0]), gamma=0.5, alpha=None, reduction="sum").backward()
    assert lx.grad.data[0] == pytest.approx(d, rel=1e-12)


# ----------------------------------------------------------------------------- shape of the loss
def _d2(f, xs, h):
    return (f(xs - h) - 2 * f(xs) + f(xs + h)) / h**2


def _focal_1d(y, gamma, logits=True):
    fn = L.sigmoid_focal_loss if logits else L.binary_focal_loss

    def f(xs):
        return fn(t64(xs), t64(np.full(xs.shape, y)), gamma=gamma, reduction="none").data
    return f


def test_sigmoid_focal_loss_is_not_convex_for_positive_gamma_as_declared():
    # the witness named in the registry: y = 0, γ = 2, around x ≈ 3.85
    assert _d2(_focal_1d(0.0, 2.0), np.array([3.85]), 1e-3)[0] < -0.03
    assert L.get("sigmoid_focal_loss").convex is False
    # γ = 0 is weighted BCE: convex
    xs = np.linspace(-10, 10, 201)
    assert np.all(_d2(_focal_1d(0.0, 0.0), xs, 1e-3) > 0)


@pytest.mark.parametrize("gamma", [0.5, 2.0, 5.0])
@pytest.mark.parametrize("y", [0.0, 0.3, 1.0])
def test_binary_focal_loss_is_convex_in_p_as_declared(gamma, y):
    ps = np.linspace(0.01, 0.99, 197)
    assert np.all(_d2(_focal_1d(y, gamma, logits=False), ps, 1e-4) > 0)


@pytest.mark.parametrize("gamma", [0.5, 2.0, 3.0])
@pytest.mark.parametrize("y", [0.15, 0.3, 0.5, 0.7, 0.85])
def test_soft_label_stationary_point_is_unique(gamma, y):
    """What the registry's make_perfect relies on: the derivative in the logit changes sign
    exactly once for a soft label, so the bisection root is the global minimizer."""
    xs = ll.tensor(np.linspace(-40, 40, 4001), requires_grad=True)
    L.sigmoid_focal_loss(xs, t64(np.full(4001, y)), gamma=gamma, reduction="sum").backward()
    sign = np.sign(xs.grad.data)
    sign = sign[sign != 0]  # an exact zero (x = 0 for y = ½) is the root itself
    assert np.count_nonzero(np.diff(sign) != 0) == 1


def test_perfect_examples_are_stationary():
    for name in ("sigmoid_focal_loss", "binary_focal_loss"):
        info = L.get(name)
        x, y, kw = info.make_perfect(np.random.default_rng(1), np.float64)
        lx = ll.tensor(x.data, requires_grad=True)
        info.fn(lx, y, reduction="sum", **kw).backward()
        assert np.max(np.abs(lx.grad.data)) < 1e-12


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("fn", [L.sigmoid_focal_loss, L.binary_focal_loss])
def test_bad_input(fn):
    name = fn.__name__
    x, y = t64([0.2, 0.7]), t64([1.0, 0.0])
    with pytest.raises(ValueError, match=rf"{name}: target must hold {{0, 1}} labels.*got -1.*\(target \+ 1\) / 2"):
        fn(x, t64([1.0, -1.0]))
    with pytest.raises(ValueError, match=rf"{name}: all elements of target must be in \[0, 1\].*1.5"):
        fn(x, t64([1.5, 0.0]))
    with pytest.raises(ValueError, match=rf"{name}: input and target must have the same shape"):
        fn(x, t64([[1.0, 0.0]]))
    with pytest.raises(ValueError, match=rf"{name}: alpha must be in \[0, 1\].*1.5"):
        fn(x, y, alpha=1.5)
    with pytest.raises(ValueError, match="alpha"):
        fn(x, y, alpha=float("nan"))
    with pytest.raises(TypeError, match="alpha must be a number"):
        fn(x, y, alpha="0.2x")
    with pytest.raises(ValueError, match=rf"{name}: gamma must be a finite number ≥ 0, got -1"):
        fn(x, y, gamma=-1)
    with pytest.raises(ValueError, match="gamma"):
        fn(x, y, gamma=float("inf"))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        fn(x, y, reduction="avg")
    with pytest.raises(TypeError, match="input must be a floating tensor"):
        fn(ll.tensor([1, 0]), y)


def test_binary_focal_loss_refuses_logits():
    with pytest.raises(ValueError, match=r"binary_focal_loss: all elements of input should be probabilities.*sigmoid_focal_loss"):
        L.binary_focal_loss(t64([2.0, -1.0]), t64([1.0, 0.0]))


def test_alpha_and_gamma_are_keyword_only():
    with pytest.raises(TypeError):
        L.sigmoid_focal_loss(t64([0.0]), t64([1.0]), 0.25, 2.0)


# ----------------------------------------------------------------------------- classes
def test_classes():
    crit = L.SigmoidFocalLoss(alpha=0.5, gamma=1.0, reduction="sum")
    assert repr(crit) == "SigmoidFocalLoss(alpha=0.5, gamma=1.0)"
    assert repr(L.BinaryFocalLoss()) == "BinaryFocalLoss()"
    x, y = t64([0.3, -2.0]), t64([1.0, 0.0])
    assert crit(x, y).item() == L.sigmoid_focal_loss(x, y, alpha=0.5, gamma=1.0, reduction="sum").item()
    sw = np.array([2.0, 0.5])
    assert crit(x, y, sample_weight=sw).item() == pytest.approx(
        L.sigmoid_focal_loss(x, y, alpha=0.5, gamma=1.0, reduction="sum", sample_weight=sw).item())
    with pytest.raises(ValueError, match="SigmoidFocalLoss: gamma"):
        L.SigmoidFocalLoss(gamma=-2.0)
    with pytest.raises(TypeError):
        L.SigmoidFocalLoss(0.25)  # keyword-only


# ----------------------------------------------------------------------------- docs
@pytest.mark.parametrize("module", ["binary", "segmentation"])
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"losslab.losses.{module}")
    result = doctest.testmod(mod, extraglobs={"ll": ll}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10 and result.failed == 0


def test_label_helpers_are_importable_from_the_family_module():
    assert callable(B.check_pm1_labels) and callable(B.check_01_labels)


@pytest.mark.parametrize("name", ["sigmoid_focal_loss", "binary_focal_loss"])
def test_second_derivatives(name):
    info = L.get(name)
    x, y, kw = info.make_example(np.random.default_rng(2), np.float64)
    assert ll.autograd.gradgradcheck(lambda a: info.fn(a, y, **kw), [t64(x.data, True)])
