"""Segmentation losses (dice_loss, tversky_loss, generalized_dice_loss): plain NumPy references
(V-Net soft Dice, Salehi's Tversky index, Sudre's generalized Dice), gradients against torch
autograd of the same formulas, Tversky(½, ½) = Dice, the optax smoothing convention, the minimum
at a perfect prediction (on the boundary of [0, 1]ⁿ), empty masks, and bad input."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L

torch = pytest.importorskip("torch")

RTOL = 1e-12


def t64(a, requires_grad=False):
    return ll.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------- references
def _axes(ndim, class_dim):
    return tuple(d for d in range(1, ndim) if d != class_dim)


def ref_dice(p, t, smooth=1.0, class_dim=None, xp=np):
    ax = _axes(p.ndim, class_dim)
    inter = (p * t).sum(ax) if ax else p * t
    card = (p + t).sum(ax) if ax else p + t
    loss = 1 - (2 * inter + smooth) / (card + smooth)
    return loss.mean(1) if class_dim is not None else loss


def ref_tversky(p, t, alpha, beta, smooth=1.0, class_dim=None):
    """Salehi et al.'s index with the smoothing s/2 in numerator and denominator."""
    ax = _axes(p.ndim, class_dim)
    tp, fp, fn = (p * t).sum(ax), (p * (1 - t)).sum(ax), ((1 - p) * t).sum(ax)
    loss = 1 - (tp + smooth / 2) / (tp + alpha * fp + beta * fn + smooth / 2)
    return loss.mean(1) if class_dim is not None else loss


def ref_generalized_dice(p, r, smooth=1e-5, eps=1e-7):
    """Sudre et al. (2017), eq. (2), per sample; p, r of shape (N, C, *)."""
    ax = tuple(range(2, p.ndim))
    w = 1.0 / (r.sum(ax) ** 2 + eps)
    num = 2 * (w * (r * p).sum(ax)).sum(1) + smooth
    den = (w * (r + p).sum(ax)).sum(1) + smooth
    return 1 - num / den


def _probs(rng, shape):
    return rng.uniform(0.02, 0.98, shape)


def _mask(rng, shape, frac=0.4):
    return (rng.random(shape) < frac).astype(float)


def _onehot(rng, n, c, pixels):
    labels = rng.integers(0, c, (n, pixels))
    return (labels[:, None, :] == np.arange(c)[None, :, None]).astype(float)


def _grad_vs_torch(fn, ref, p, t, kw, torch_ref):
    """Value vs the NumPy reference; input and target gradients vs torch autograd of the same
    formula."""
    lp, lt = t64(p, True), t64(t, True)
    out = fn(lp, lt, reduction="none", **kw)
    np.testing.assert_allclose(out.data, ref, rtol=RTOL)
    tp = torch.tensor(p, requires_grad=True)
    tt = torch.tensor(t, requires_grad=True)
    tout = torch_ref(tp, tt)
    g = np.random.default_rng(0).uniform(0.5, 1.5, out.shape)
    out.backward(ll.tensor(g)), tout.backward(torch.from_numpy(g))
    np.testing.assert_allclose(lp.grad.data, tp.grad.numpy(), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(lt.grad.data, tt.grad.numpy(), rtol=1e-10, atol=1e-15)


# ----------------------------------------------------------------------------- dice
@pytest.mark.parametrize("shape", [(4, 6), (3, 2, 4, 4), (5,)])
@pytest.mark.parametrize("smooth", [0.0, 1.0, 0.3])
def test_dice_matches_reference(shape, smooth):
    rng = np.random.default_rng(len(shape))
    p, t = _probs(rng, shape), _mask(rng, shape)
    t.reshape(shape[0], -1)[:, 0] = 1.0  # no empty target (smooth = 0 would divide 0 by 0)
    _grad_vs_torch(L.dice_loss, ref_dice(p, t, smooth), p, t, {"smooth": smooth},
                   lambda a, b: ref_dice(a, b, smooth))


@pytest.mark.parametrize("from_logits", [False, True])
def test_dice_per_class(from_logits):
    rng = np.random.default_rng(2)
    t = _onehot(rng, 3, 4, 10)
    z = rng.normal(size=(3, 4, 10))
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    ref = ref_dice(p, t, 1.0, class_dim=1)
    got = L.dice_loss(t64(z if from_logits else p), t64(t), class_dim=1, from_logits=from_logits, reduction="none")
    np.testing.assert_allclose(got.data, ref, rtol=RTOL)
    # negative class_dim, channels last
    got = L.dice_loss(t64(np.moveaxis(p, 1, -1)), t64(np.moveaxis(t, 1, -1)), class_dim=-1, reduction="none")
    np.testing.assert_allclose(got.data, ref, rtol=RTOL)


def test_dice_from_logits_uses_sigmoid_without_class_dim():
    rng = np.random.default_rng(3)
    z, t = rng.normal(size=(3, 5)), _mask(rng, (3, 5))
    a = L.dice_loss(t64(z), t64(t), from_logits=True, reduction="none").data
    b = L.dice_loss(ll.sigmoid(t64(z)), t64(t), reduction="none").data
    np.testing.assert_allclose(a, b, rtol=1e-15)
    # a single class along class_dim: sigmoid too (softmax of one logit would be constant 1)
    a1 = L.dice_loss(t64(z[:, None]), t64(t[:, None]), from_logits=True, class_dim=1, reduction="none").data
    np.testing.assert_allclose(a1, b, rtol=1e-15)


def test_dice_hand_computed():
    p = t64([[0.9, 0.8, 0.1, 0.0]])
    t = t64([[1.0, 1.0, 0.0, 0.0]])
    # I = 1.7, P = 1.8, T = 2: 1 − (3.4 + 1)/(3.8 + 1)
    assert L.dice_loss(p, t).item() == pytest.approx(1 - 4.4 / 4.8, rel=1e-15)
    assert L.dice_loss(p, t, smooth=0.0).item() == pytest.approx(1 - 3.4 / 3.8, rel=1e-15)


def test_optax_smoothing_convention():
    """optax writes Dice as (I + s)/((P + T)/2 + s) and Tversky as (I + s)/(I + αFP + βFN + s):
    losslab's smooth = 2s."""
    rng = np.random.default_rng(4)
    p, t = _probs(rng, (3, 8)), _mask(rng, (3, 8))
    s = 0.7
    inter, P, T = (p * t).sum(1), p.sum(1), t.sum(1)
    optax_dice = 1 - (inter + s) / (inter + 0.5 * (P - inter) + 0.5 * (T - inter) + s)
    np.testing.assert_allclose(L.dice_loss(t64(p), t64(t), smooth=2 * s, reduction="none").data, optax_dice, rtol=RTOL)
    a, b = 0.3, 0.7
    optax_tv = 1 - (inter + s) / (inter + a * (P - inter) + b * (T - inter) + s)
    np.testing.assert_allclose(L.tversky_loss(t64(p), t64(t), alpha=a, beta=b, smooth=2 * s, reduction="none").data,
                               optax_tv, rtol=RTOL)


# ----------------------------------------------------------------------------- tversky
@pytest.mark.parametrize("smooth", [0.0, 1.0, 2.5])
@pytest.mark.parametrize("class_dim", [None, 1])
def test_tversky_half_half_equals_dice(smooth, class_dim):
    rng = np.random.default_rng(5)
    p, t = _probs(rng, (4, 3, 5)), _mask(rng, (4, 3, 5))
    t[:, :, 0] = 1.0
    kw = {"smooth": smooth, "class_dim": class_dim}
    lp1, lp2 = t64(p, True), t64(p, True)
    a = L.tversky_loss(lp1, t64(t), alpha=0.5, beta=0.5, reduction="none", **kw)
    b = L.dice_loss(lp2, t64(t), reduction="none", **kw)
    np.testing.assert_allclose(a.data, b.data, rtol=1e-14)
    a.sum().backward(), b.sum().backward()
    np.testing.assert_allclose(lp1.grad.data, lp2.grad.data, rtol=1e-12, atol=1e-16)
    # and with the defaults
    assert L.tversky_loss(t64(p), t64(t)).item() == pytest.approx(L.dice_loss(t64(p), t64(t)).item(), rel=1e-14)


@pytest.mark.parametrize("alpha, beta", [(0.3, 0.7), (0.7, 0.3), (1.0, 0.0), (0.0, 2.0)])
def test_tversky_matches_reference(alpha, beta):
    rng = np.random.default_rng(6)
    p, t = _probs(rng, (4, 7)), _mask(rng, (4, 7))
    t[:, 0] = 1.0
    ref = ref_tversky(p, t, alpha, beta)
    _grad_vs_torch(L.tversky_loss, ref, p, t, {"alpha": alpha, "beta": beta},
                   lambda a_, b_: ref_tversky(a_, b_, alpha, beta))


def test_tversky_weighs_false_positives_with_alpha_and_false_negatives_with_beta():
    t = t64([[1.0, 1.0, 0.0, 0.0]])
    over = t64([[1.0, 1.0, 1.0, 0.0]])   # one false positive
    under = t64([[1.0, 0.0, 0.0, 0.0]])  # one false negative
    kw = {"alpha": 0.9, "beta": 0.1}
    assert L.tversky_loss(over, t, **kw).item() > L.tversky_loss(under, t, **kw).item()
    kw = {"alpha": 0.1, "beta": 0.9}
    assert L.tversky_loss(over, t, **kw).item() < L.tversky_loss(under, t, **kw).item()


# ----------------------------------------------------------------------------- generalized dice
@pytest.mark.parametrize("smooth", [1e-5, 0.0, 0.1])
def test_generalized_dice_matches_sudre(smooth):
    rng = np.random.default_rng(7)
    r = _onehot(rng, 3, 4, 12)
    r[:, :, :4] = np.eye(4)[None]  # every class present in every sample
    z = rng.normal(size=r.shape)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    ref = ref_generalized_dice(p, r, smooth)
    _grad_vs_torch(L.generalized_dice_loss, ref, p, r, {"smooth": smooth},
                   lambda a, b: ref_generalized_dice(a, b, smooth))
    got = L.generalized_dice_loss(t64(z), t64(r), smooth=smooth, from_logits=True, reduction="none")
    np.testing.assert_allclose(got.data, ref, rtol=1e-12)


def test_generalized_dice_hand_computed_and_absent_class_weight():
    t = t64([[[1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]])
    p = t64([[[0.9, 0.8, 0.7, 0.4], [0.1, 0.2, 0.3, 0.6]]])
    # w = (1/(9 + ε), 1/(1 + ε)): num = 2(2.4·w₀ + 0.6·w₁) + s, den = 5.8·w₀ + 2.2·w₁ + s
    w0, w1 = 1 / (9 + 1e-7), 1 / (1 + 1e-7)
    expected = 1 - (2 * (2.4 * w0 + 0.6 * w1) + 1e-5) / (5.8 * w0 + 2.2 * w1 + 1e-5)
    assert L.generalized_dice_loss(p, t).item() == pytest.approx(expected, rel=1e-14)
    # a class absent from the target gets weight 1/eps: probability put on it dominates
    t3 = t64([[[1.0, 1.0], [0.0, 0.0]]])
    good = L.generalized_dice_loss(t64([[[1.0, 1.0], [0.0, 0.0]]]), t3).item()
    leak = L.generalized_dice_loss(t64([[[0.99, 0.99], [0.01, 0.01]]]), t3).item()
    assert good == 0.0 and leak > 0.99


def test_generalized_dice_over_spatial_dims_and_class_dim_last():
    rng = np.random.default_rng(8)
    r = np.moveaxis(_onehot(rng, 2, 3, 16).reshape(2, 3, 4, 4), 1, -1)  # (N, H, W, C)
    r[:, 0, :3, :] = np.eye(3)
    p = rng.dirichlet(np.ones(3), size=(2, 4, 4))
    ref = ref_generalized_dice(np.moveaxis(p, -1, 1), np.moveaxis(r, -1, 1))
    got = L.generalized_dice_loss(t64(p), t64(r), class_dim=-1, reduction="none")
    np.testing.assert_allclose(got.data, ref, rtol=RTOL)


# ----------------------------------------------------------------------------- minimum, range, empty masks
SEG = ["dice_loss", "tversky_loss", "generalized_dice_loss"]


def _seg_pair(name, rng):
    if name == "generalized_dice_loss":
        t = _onehot(rng, 3, 3, 6)
        t[:, :, :3] = np.eye(3)[None]
        return t
    t = _mask(rng, (3, 8))
    t[:, 0] = 1.0
    return t


@pytest.mark.parametrize("name", SEG)
def test_minimal_at_a_perfect_prediction_on_the_boundary(name):
    """Loss 0 at p = t (hard masks); no feasible perturbation lowers it, although the gradient
    there is not zero (a boundary minimum; hence make_perfect=None in the registry)."""
    fn = getattr(L, name)
    rng = np.random.default_rng(9)
    t = _seg_pair(name, rng)
    lp = t64(t, True)
    best = fn(lp, t64(t), reduction="sum")
    assert best.item() == 0.0
    best.backward()
    assert np.max(np.abs(lp.grad.data)) > 1e-3
    for scale in (1e-6, 1e-3, 0.1, 1.0):
        for _ in range(10):
            q = np.clip(t + scale * rng.normal(size=t.shape), 0, 1)
            assert fn(t64(q), t64(t), reduction="sum").item() >= 0.0


@pytest.mark.parametrize("name", SEG)
def test_values_lie_in_zero_one(name):
    fn = getattr(L, name)
    rng = np.random.default_rng(10)
    for _ in range(20):
        t = _seg_pair(name, rng) * rng.uniform(0, 1, (1,))  # soft targets too
        p = rng.uniform(0, 1, t.shape) ** 3
        out = fn(t64(p), t64(t), reduction="none").data
        assert np.all(out >= -1e-15) and np.all(out <= 1 + 1e-15)


def test_empty_masks():
    z = np.zeros((2, 5))
    lp = t64(z, True)
    out = L.dice_loss(lp, t64(z), reduction="none")
    np.testing.assert_array_equal(out.data, [0.0, 0.0])  # smooth = 1: empty predicted empty is perfect
    out.sum().backward()
    assert np.all(np.isfinite(lp.grad.data))
    # smooth = 0: the eps floor gives loss 1 instead of 0/0
    lp = t64(z, True)
    out = L.dice_loss(lp, t64(z), smooth=0.0, reduction="none")
    np.testing.assert_array_equal(out.data, [1.0, 1.0])
    out.sum().backward()
    assert np.all(np.isfinite(lp.grad.data))
    out = L.tversky_loss(t64(z), t64(z), smooth=0.0, reduction="none")
    np.testing.assert_array_equal(out.data, [1.0, 1.0])
    z3 = np.zeros((2, 3, 4))
    lp = t64(z3, True)
    out = L.generalized_dice_loss(lp, t64(z3), smooth=0.0, reduction="none")
    np.testing.assert_array_equal(out.data, [1.0, 1.0])
    out.sum().backward()
    assert np.all(np.isfinite(lp.grad.data))


@pytest.mark.parametrize("name", SEG)
def test_float32_and_extreme_logits(name):
    fn = getattr(L, name)
    rng = np.random.default_rng(11)
    t = _seg_pair(name, rng)
    kw = {"class_dim": 1} if name != "generalized_dice_loss" else {}
    z = np.where(rng.random(t.shape) < 0.5, -1e4, 1e4)
    for dtype in (np.float32, np.float64):
        lz = ll.tensor(z.astype(dtype), requires_grad=True)
        out = fn(lz, ll.tensor(t.astype(dtype)), from_logits=True, **kw)
        assert out.dtype == dtype and np.isfinite(out.item())
        out.backward()
        assert np.all(np.isfinite(lz.grad.data))


def test_sample_weight_and_batch_independence():
    rng = np.random.default_rng(12)
    p, t = _probs(rng, (4, 6)), _mask(rng, (4, 6))
    per = L.dice_loss(t64(p), t64(t), reduction="none").data
    w = np.array([1.0, 0.0, 2.0, 0.5])
    assert L.dice_loss(t64(p), t64(t), sample_weight=w).item() == pytest.approx((w * per).sum() / w.sum(), rel=1e-14)
    for i in range(4):
        assert L.dice_loss(t64(p[i:i + 1]), t64(t[i:i + 1])).item() == pytest.approx(per[i], rel=1e-15)


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("name", SEG)
def test_bad_input(name):
    fn = getattr(L, name)
    rng = np.random.default_rng(13)
    t = _seg_pair(name, rng)
    p = t64(np.clip(t + 0.1, 0, 1))
    with pytest.raises(ValueError, match=rf"{name}: all elements of input should be probabilities in \[0, 1\].*from_logits=True"):
        fn(t64(t * 3 - 1), t64(t))
    with pytest.raises(ValueError, match=rf"{name}: target must hold {{0, 1}} labels.*-1"):
        fn(p, t64(2 * t - 1))
    with pytest.raises(ValueError, match=rf"{name}: all elements of target must be in \[0, 1\]"):
        fn(p, t64(t * 1.5))
    with pytest.raises(ValueError, match=rf"{name}: input and target must have the same shape"):
        fn(p, t64(t[:1]))
    with pytest.raises(ValueError, match=rf"{name}: smooth must be a finite number ≥ 0, got -1"):
        fn(p, t64(t), smooth=-1)
    with pytest.raises(ValueError, match=rf"{name}: eps must be a finite number > 0, got 0"):
        fn(p, t64(t), eps=0)
    with pytest.raises(ValueError, match=rf"{name}: class_dim=0 is not a non-batch dimension"):
        fn(p, t64(t), class_dim=0)
    with pytest.raises(ValueError, match="class_dim=5"):
        fn(p, t64(t), class_dim=5)
    with pytest.raises(TypeError, match="class_dim must be an int or None"):
        fn(p, t64(t), class_dim=1.0)
    with pytest.raises(TypeError, match="from_logits must be True or False"):
        fn(p, t64(t), from_logits="yes")
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        fn(p, t64(t), reduction="avg")
    with pytest.raises(ValueError, match="batch dimension"):
        fn(t64(0.5), t64(1.0))


def test_tversky_and_gdl_specific_errors():
    p, t = t64([[0.5, 0.5]]), t64([[1.0, 0.0]])
    with pytest.raises(ValueError, match="tversky_loss: alpha must be a finite number ≥ 0, got -0.1"):
        L.tversky_loss(p, t, alpha=-0.1)
    with pytest.raises(ValueError, match="alpha and beta cannot both be 0"):
        L.tversky_loss(p, t, alpha=0, beta=0)
    with pytest.raises(ValueError, match=r"generalized_dice_loss: input must have shape \(N, C, \*\)"):
        L.generalized_dice_loss(t64([0.5, 0.5]), t64([1.0, 0.0]))
    with pytest.raises(ValueError, match="class_dim is required"):
        L.generalized_dice_loss(p, t, class_dim=None)


# ----------------------------------------------------------------------------- classes
def test_classes():
    assert repr(L.DiceLoss()) == "DiceLoss()"
    assert repr(L.TverskyLoss(alpha=0.3, beta=0.7)) == "TverskyLoss(alpha=0.3, beta=0.7)"
    assert repr(L.GeneralizedDiceLoss(smooth=0.0)) == "GeneralizedDiceLoss(smooth=0.0)"
    rng = np.random.default_rng(14)
    p, t = _probs(rng, (3, 2, 4)), _onehot(rng, 3, 2, 4)
    w = np.array([1.0, 2.0, 3.0])
    for cls, fn, kw in ((L.DiceLoss, L.dice_loss, {"class_dim": 1}), (L.TverskyLoss, L.tversky_loss, {"beta": 0.8}),
                        (L.GeneralizedDiceLoss, L.generalized_dice_loss, {"smooth": 0.01})):
        crit = cls(reduction="sum", **kw)
        assert crit(t64(p), t64(t)).item() == fn(t64(p), t64(t), reduction="sum", **kw).item()
        assert crit(t64(p), t64(t), sample_weight=w).item() == \
            fn(t64(p), t64(t), reduction="sum", sample_weight=w, **kw).item()


@pytest.mark.parametrize("name", SEG)
def test_second_derivatives(name):
    info = L.get(name)
    x, y, kw = info.make_example(np.random.default_rng(2), np.float64)
    assert ll.autograd.gradgradcheck(lambda a: info.fn(a, y, **kw), [t64(x.data, True)])
