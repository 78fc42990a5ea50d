"""Specific tests of the classification losses: every option against PyTorch (weight, pos_weight,
ignore_index, label_smoothing with weight, probability targets, K-dimensional inputs), the
fused primitives against their composed versions, edge values, and every bad-input error."""
from __future__ import annotations

import math

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L
from losslab.losses.classification import BinaryCrossEntropy, BinaryCrossEntropyWithLogits

torch = pytest.importorskip("torch")
F = torch.nn.functional

import loss_helpers as H  # noqa: E402

REDUCTIONS = ("mean", "sum", "none")


def rng(seed=0):
    return np.random.default_rng(seed)


def t64(a):
    return ll.tensor(np.asarray(a, dtype=np.float64))


def i64(a):
    return ll.tensor(np.asarray(a, dtype=np.int64))


def check_vs_torch(ll_fn, torch_fn, x, y, kwargs, reduction, *, rtol=1e-10, atol=1e-14, seed=0):
    out, tout, (lx, ly), (tx, ty) = H.run_both(torch, ll_fn, torch_fn, x, y, kwargs, reduction, seed=seed)
    assert out.shape == tuple(tout.shape)
    H.assert_close(out, tout, rtol=rtol, atol=atol, what="value")
    H.assert_close(lx.grad, tx.grad, rtol=rtol, atol=atol, what="d/d input")
    if ty.grad is not None:
        H.assert_close(ly.grad, ty.grad, rtol=rtol, atol=atol, what="d/d target")
    return out


# ============================================================================ binary_cross_entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("wshape", [(4, 3), (3,), (1,), ()])
def test_bce_weight_matches_torch(reduction, wshape):
    r = rng(1)
    p, y = t64(r.uniform(0.02, 0.98, (4, 3))), t64(r.uniform(0, 1, (4, 3)))
    w = t64(r.uniform(0.1, 2.0, wshape))
    check_vs_torch(L.binary_cross_entropy, F.binary_cross_entropy, p, y, {"weight": w}, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_at_exactly_0_and_1_matches_torch(reduction):
    # p ∈ {0, 1} with right and wrong hard labels: loss 0 or 100 (log clamp), gradient 0 or ±1e12
    p = t64([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    y = t64([1.0, 0.0, 0.0, 1.0, 0.3, 0.7])
    # (not check_vs_torch: PyTorch's target gradient is ±inf there, ours is finite)
    lx = H.leaf(p)
    out = L.binary_cross_entropy(lx, y, reduction=reduction)
    tx = H.to_torch(torch, p, requires_grad=True)
    tout = F.binary_cross_entropy(tx, H.to_torch(torch, y), reduction=reduction)
    H.assert_close(out, tout)
    out.sum().backward(), tout.sum().backward()
    H.assert_close(lx.grad, tx.grad)
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(lx.grad.data))


def test_bce_values_at_the_ends():
    loss = L.binary_cross_entropy(t64([0.0, 1.0, 0.0, 1.0]), t64([1.0, 0.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_array_equal(loss.data, [100.0, 100.0, 0.0, 0.0])


@pytest.mark.parametrize("p", [1e-13, 1e-12, 1e-9, 0.5, 1 - 1e-9, 1 - 1e-13, 1e-50])
@pytest.mark.parametrize("y", [0.0, 0.25, 1.0])
def test_bce_gradient_floor_near_0_and_1_matches_torch(p, y):
    # Below p = e^-100 the log is clamped: our target gradient is that of the clamped formula
    # (finite), PyTorch's is −logit(p); the input gradients agree everywhere.
    clamped = math.log(p) < -100
    out, tout, (lx, ly), (tx, ty) = H.run_both(torch, L.binary_cross_entropy, F.binary_cross_entropy,
                                               t64([p]), t64([y]), {}, "sum", grad_target=not clamped)
    H.assert_close(out, tout)
    H.assert_close(lx.grad, tx.grad)
    if not clamped:
        H.assert_close(ly.grad, ty.grad)


def test_bce_of_saturated_sigmoid_has_torch_vanishing_gradient():
    # PyTorch issue #103316: the clamp makes BCE(sigmoid(x)) flat once σ(x) is tiny; we match it
    for xv in (-50.0, -20.0, 30.0):
        x = t64([xv]).requires_grad_()
        L.binary_cross_entropy(ll.sigmoid(x), t64([1.0])).backward()
        tx = torch.tensor([xv], dtype=torch.float64, requires_grad=True)
        F.binary_cross_entropy(torch.sigmoid(tx), torch.tensor([1.0], dtype=torch.float64)).backward()
        H.assert_close(x.grad, tx.grad, rtol=1e-9)


def test_bce_target_gradient_is_finite_at_the_ends():
    p, y = t64([0.0, 1.0, 1e-60]), t64([0.5, 0.5, 0.5]).requires_grad_()
    L.binary_cross_entropy(p, y, reduction="sum").backward()
    # d/dy = max(log(1−p), −100) − max(log p, −100)
    np.testing.assert_allclose(y.grad.data, [100.0, -100.0, 100.0])


def _bce_composed(p, y):
    return (y - 1.0) * ll.clamp(ll.log1p(-p), min=-100.0) - y * ll.clamp(ll.log(p), min=-100.0)


def test_bce_fused_matches_composed_forward_and_backward():
    r = rng(2)
    p0, y0 = r.uniform(0.01, 0.99, (5, 4)), r.uniform(0, 1, (5, 4))
    g = r.normal(size=(5, 4))
    res = []
    for fn in (lambda p, y: BinaryCrossEntropy.apply(p, y), _bce_composed):
        p, y = t64(p0).requires_grad_(), t64(y0).requires_grad_()
        out = fn(p, y)
        out.backward(t64(g))
        res.append((out.data, p.grad.data, y.grad.data))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("p", [0.0, 1e-50, 1e-13, 0.3, 1 - 1e-13, 1.0])
@pytest.mark.parametrize("y", [0.0, 0.25, 1.0])
@pytest.mark.filterwarnings("error")  # the one-element path skips errstate: no log may warn
def test_bce_mean_of_one_element_is_the_unfused_graph_bit_for_bit(p, y):
    # the fused mean node has a one-element path (online SGD, batch 1): the same value and
    # gradients as BinaryCrossEntropy followed by the mean, at the ends of [0, 1] too
    res = []
    for fused in (True, False):
        px, yx = t64([[p]]).requires_grad_(), t64([[y]]).requires_grad_()
        out = (L.binary_cross_entropy(px, yx) if fused
               else BinaryCrossEntropy.apply(px, yx).mean())
        out.backward()
        res.append((out.data, px.grad.data, yx.grad.data))
    for a, b in zip(*res):
        assert np.array_equal(a, b)
    tp = torch.tensor([[p]], dtype=torch.float64, requires_grad=True)
    F.binary_cross_entropy(tp, torch.tensor([[y]], dtype=torch.float64)).backward()
    H.assert_close(ll.tensor(res[0][0]), F.binary_cross_entropy(tp, torch.tensor([[y]], dtype=torch.float64)))
    H.assert_close(ll.tensor(res[0][1]), tp.grad)


@pytest.mark.parametrize("bad", [-0.5, 1.5, float("nan")])
def test_bce_mean_of_one_element_outside_the_unit_interval_raises(bad):
    with pytest.raises(ValueError, match="input"):
        L.binary_cross_entropy(t64([[bad]]), t64([[1.0]]))


def test_bce_gradgradcheck():
    r = rng(3)
    p = t64(r.uniform(0.05, 0.95, (3, 2))).requires_grad_()
    y = t64(r.uniform(0, 1, (3, 2))).requires_grad_()
    assert ll.autograd.gradgradcheck(lambda a, b: L.binary_cross_entropy(a, b, reduction="sum"), [p, y])


@pytest.mark.parametrize("bad", [1.5, -0.1, float("nan"), 1.0 + 1e-12])
def test_bce_input_outside_unit_interval_raises(bad):
    with pytest.raises(ValueError, match="all elements of input should be between 0 and 1"):
        L.binary_cross_entropy(t64([0.5, bad]), t64([1.0, 0.0]))


def test_bce_target_outside_unit_interval_raises():
    with pytest.raises(ValueError, match="all elements of target should be between 0 and 1"):
        L.binary_cross_entropy(t64([0.5, 0.5]), t64([1.0, 2.0]))


def test_bce_logit_hint_in_error():
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits"):
        L.binary_cross_entropy(t64([3.2, -1.0]), t64([1.0, 0.0]))


@pytest.mark.parametrize("fn", [L.binary_cross_entropy, L.binary_cross_entropy_with_logits])
def test_bce_shape_mismatch_names_both_shapes(fn):
    with pytest.raises(ValueError, match=r"input \(4,\) and target \(4, 1\)"):
        fn(t64([0.5] * 4), t64([[1.0]] * 4))


def test_bce_weight_that_does_not_broadcast_raises():
    with pytest.raises(ValueError, match=r"weight of shape \(4,\) does not broadcast"):
        L.binary_cross_entropy(t64(np.full((2, 3), 0.5)), t64(np.ones((2, 3))), weight=t64(np.ones(4)))
    with pytest.raises(ValueError, match="does not broadcast"):  # would enlarge the loss
        L.binary_cross_entropy(t64(np.full((3,), 0.5)), t64(np.ones(3)), weight=t64(np.ones((2, 3))))


# ============================================================================ with logits
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", ["weight", "pos_weight", "both", "pos_weight_full"])
def test_bce_logits_options_match_torch(reduction, opts):
    r = rng(4)
    x, y = t64(r.normal(scale=3.0, size=(5, 3))), t64(r.uniform(0, 1, (5, 3)))
    kw = {}
    if opts in ("weight", "both"):
        kw["weight"] = t64(r.uniform(0.1, 2.0, (5, 1)))
    if opts in ("pos_weight", "both"):
        kw["pos_weight"] = t64(r.uniform(0.2, 4.0, (3,)))
    if opts == "pos_weight_full":
        kw["pos_weight"] = t64(r.uniform(0.2, 4.0, (5, 3)))
    check_vs_torch(L.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, x, y, kw, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_logits_extreme_logits_match_torch(reduction):
    x = t64([1e4, -1e4, 1e4, -1e4, 800.0, -800.0])
    y = t64([1.0, 0.0, 0.0, 1.0, 0.5, 0.5])
    kw = {"pos_weight": t64([2.0])}
    check_vs_torch(L.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, x, y, kw,
                   reduction, rtol=1e-12, atol=1e-12)
    out = L.binary_cross_entropy_with_logits(x, y, reduction="none", **kw)
    np.testing.assert_allclose(out.data, [0.0, 0.0, 1e4, 2e4, 400.0, 800.0])


def test_bce_logits_has_no_cancellation_for_confident_right_predictions():
    # y = 0, x = −40: the loss is softplus(−40) ≈ 4.25e-18 (PyTorch's (1−y)x + softplus(−x)
    # form returns −40 + 40 = 0 here); the gradient σ(−40) keeps full relative accuracy too.
    x = t64([-40.0, 40.0]).requires_grad_()
    out = L.binary_cross_entropy_with_logits(x, t64([0.0, 1.0]), reduction="none")
    exact = math.log1p(math.exp(-40.0))
    np.testing.assert_allclose(out.data, [exact, exact], rtol=1e-15)
    out.sum().backward()
    s = 1.0 / (1.0 + math.exp(40.0))
    np.testing.assert_allclose(x.grad.data, [s, -s], rtol=1e-15)


def _bce_logits_composed(x, y, pw=None):
    inf = float("inf")
    pos = ll.softplus(x, threshold=inf)
    neg = ll.softplus(-x, threshold=inf)
    ypos = y if pw is None else y * pw
    return ypos * neg + (1.0 - y) * pos


@pytest.mark.parametrize("with_pw", [False, True])
def test_bce_logits_fused_matches_composed_forward_and_backward(with_pw):
    r = rng(5)
    x0, y0 = r.normal(scale=4.0, size=(6, 3)), r.uniform(0, 1, (6, 3))
    pw0 = r.uniform(0.3, 3.0, (3,))
    g = r.normal(size=(6, 3))
    res = []
    for fn in (lambda x, y, pw: BinaryCrossEntropyWithLogits.apply(x, y, pw), _bce_logits_composed):
        x, y = t64(x0).requires_grad_(), t64(y0).requires_grad_()
        pw = t64(pw0).requires_grad_() if with_pw else None
        out = fn(x, y, pw)
        out.backward(t64(g))
        res.append([out.data, x.grad.data, y.grad.data] + ([pw.grad.data] if with_pw else []))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_bce_logits_gradcheck_and_gradgradcheck_including_pos_weight():
    r = rng(6)
    x = t64(r.normal(scale=2.0, size=(4, 3))).requires_grad_()
    y = t64(r.uniform(0, 1, (4, 3))).requires_grad_()
    pw = t64(r.uniform(0.5, 2.0, (3,))).requires_grad_()
    w = t64(r.uniform(0.5, 2.0, (4, 1))).requires_grad_()

    def f(a, b, c, d):
        return L.binary_cross_entropy_with_logits(a, b, d, pos_weight=c)

    assert ll.autograd.gradcheck(f, [x, y, pw, w])
    assert ll.autograd.gradgradcheck(f, [x, y, pw, w])


def test_bce_logits_equals_bce_of_sigmoid_in_the_moderate_range():
    r = rng(7)
    x, y = t64(r.normal(size=(10,))), t64(r.uniform(0, 1, (10,)))
    a = L.binary_cross_entropy_with_logits(x, y, reduction="none")
    b = L.binary_cross_entropy(ll.sigmoid(x), y, reduction="none")
    np.testing.assert_allclose(a.data, b.data, rtol=1e-12)


def test_bce_logits_tends_to_zero_as_logits_grow_toward_the_label():
    y = t64([1.0, 0.0, 1.0])
    sign = np.array([1.0, -1.0, 1.0])
    losses = [L.binary_cross_entropy_with_logits(t64(s * sign), y).item() for s in (0.5, 2, 8, 32, 64)]
    assert all(a > b for a, b in zip(losses, losses[1:])) and losses[-1] < 1e-27


def test_bce_logits_pos_weight_that_does_not_broadcast_raises():
    with pytest.raises(ValueError, match=r"pos_weight of shape \(4,\) does not broadcast"):
        L.binary_cross_entropy_with_logits(t64(np.zeros((2, 3))), t64(np.ones((2, 3))), pos_weight=t64(np.ones(4)))


# ============================================================================ nll_loss
def _logp(r, shape, dim=1):
    z = r.normal(scale=2.0, size=shape)
    return z - np.log(np.exp(z).sum(axis=dim, keepdims=True))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", ["plain", "weight", "ignore", "weight+ignore"])
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5), (2, 4, 3, 2)])
def test_nll_options_and_kdim_match_torch(reduction, opts, shape):
    r = rng(8)
    x = t64(_logp(r, shape))
    tshape = shape[:1] + shape[2:]
    tgt = r.integers(0, shape[1], size=tshape)
    kw = {}
    if "ignore" in opts:
        tgt[r.random(tshape) < 0.3] = 2
        tgt.flat[0] = 2
        kw["ignore_index"] = 2
    if "weight" in opts:
        kw["weight"] = t64(r.uniform(0.2, 3.0, shape[1]))
    check_vs_torch(L.nll_loss, F.nll_loss, x, i64(tgt), kw, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_unbatched_input_matches_torch(reduction):
    x = t64(_logp(rng(9), (5,), dim=0))
    check_vs_torch(L.nll_loss, F.nll_loss, x, i64(3), {"weight": t64(np.arange(1.0, 6.0))}, reduction)


def test_nll_all_targets_ignored_gives_nan_mean_like_torch():
    x = t64(_logp(rng(10), (3, 4)))
    tgt = i64([-100, -100, -100])
    assert math.isnan(L.nll_loss(x, tgt).item())
    assert math.isnan(F.nll_loss(H.to_torch(torch, x), H.to_torch(torch, tgt)).item())
    assert L.nll_loss(x, tgt, reduction="sum").item() == 0.0


def test_nll_ignored_rows_may_hold_minus_inf():
    x = t64([[-np.inf, 0.0], [-0.5, -1.0]]).requires_grad_()
    out = L.nll_loss(x, i64([-100, 1]))
    assert out.item() == 1.0
    out.backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 0.0], [0.0, -1.0]])


def test_cross_entropy_is_log_softmax_then_nll():
    r = rng(11)
    x, tgt = t64(r.normal(size=(5, 3, 2))), i64(r.integers(0, 3, (5, 2)))
    w = t64([0.5, 1.0, 2.0])
    a = L.cross_entropy(x, tgt, w)
    b = L.nll_loss(ll.log_softmax(x, 1), tgt, w)
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-14)


# ============================================================================ cross_entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", ["plain", "weight", "ignore", "ls", "ls+weight", "ls+ignore",
                                  "ls+weight+ignore", "ls=1"])
@pytest.mark.parametrize("shape", [(7, 5), (3, 5, 4), (2, 5, 3, 2), (5,)])
def test_cross_entropy_index_targets_match_torch(reduction, opts, shape):
    r = rng(12)
    x = t64(r.normal(scale=2.0, size=shape))
    tshape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    tgt = np.asarray(r.integers(0, 5, size=tshape))
    kw = {}
    if "ignore" in opts:
        kw["ignore_index"] = 1
        if tgt.ndim:
            tgt[r.random(tshape) < 0.3] = 1
            tgt.flat[-1] = 1
    if "weight" in opts:
        kw["weight"] = t64(r.uniform(0.2, 3.0, 5))
    if "ls" in opts:
        kw["label_smoothing"] = 1.0 if opts == "ls=1" else 0.15
    check_vs_torch(L.cross_entropy, F.cross_entropy, x, i64(tgt), kw, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", ["plain", "weight", "ls", "ls+weight"])
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5), (4,)])
def test_cross_entropy_probability_targets_match_torch(reduction, opts, shape):
    r = rng(13)
    x = t64(r.normal(scale=2.0, size=shape))
    d = 0 if len(shape) == 1 else 1
    t = r.uniform(0.0, 1.0, shape)
    t = t / t.sum(axis=d, keepdims=True)
    kw = {}
    if "weight" in opts:
        kw["weight"] = t64(r.uniform(0.2, 3.0, shape[d]))
    if "ls" in opts:
        kw["label_smoothing"] = 0.2
    check_vs_torch(L.cross_entropy, F.cross_entropy, x, t64(t), kw, reduction)  # target grads too


def test_cross_entropy_label_smoothing_formula_by_hand():
    # (1−ε)·w_y·(−q_y) + ε/C·Σ_c w_c(−q_c), mean divided by Σ w_y over kept targets
    r = rng(14)
    x0 = r.normal(size=(4, 3))
    tgt = np.array([0, 2, 1, 2])
    w = np.array([0.5, 2.0, 1.0])
    eps = 0.3
    q = x0 - np.log(np.exp(x0).sum(1, keepdims=True))
    keep = tgt != 1
    per = (1 - eps) * w[tgt] * -q[np.arange(4), tgt] + eps / 3 * (-(q * w).sum(1))
    expected = per[keep].sum() / w[tgt][keep].sum()
    got = L.cross_entropy(t64(x0), i64(tgt), t64(w), ignore_index=1, label_smoothing=eps)
    np.testing.assert_allclose(got.item(), expected, rtol=1e-13)


def test_cross_entropy_one_hot_probabilities_equal_indices():
    r = rng(15)
    x, tgt = t64(r.normal(size=(6, 4))), r.integers(0, 4, 6)
    onehot = t64(np.eye(4)[tgt])
    for ls in (0.0, 0.25):
        a = L.cross_entropy(x, i64(tgt), label_smoothing=ls, reduction="none")
        b = L.cross_entropy(x, onehot, label_smoothing=ls, reduction="none")
        np.testing.assert_allclose(a.data, b.data, rtol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_extreme_logits_match_torch(reduction):
    x = t64([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4], [-1e4, 1e4, 0.0]])
    tgt = i64([0, 0, 1, 2])
    check_vs_torch(L.cross_entropy, F.cross_entropy, x, tgt, {"label_smoothing": 0.1}, reduction,
                   rtol=1e-12, atol=1e-12)


def test_cross_entropy_tends_to_zero_as_the_margin_grows():
    tgt = i64([2, 0])
    base = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    losses = [L.cross_entropy(t64(s * base), tgt).item() for s in (0.5, 2, 8, 32, 64)]
    assert all(a > b for a, b in zip(losses, losses[1:])) and losses[-1] < 1e-26


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    r = rng(16)
    x = t64(r.normal(size=(3, 4))).requires_grad_()
    tgt = np.array([3, 0, 1])
    L.cross_entropy(x, i64(tgt), reduction="sum").backward()
    sm = np.exp(x.data) / np.exp(x.data).sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad.data, sm - np.eye(4)[tgt], rtol=1e-12, atol=1e-15)


def test_cross_entropy_weight_and_target_lists_are_accepted():
    x = t64([[1.0, 2.0, 0.5]])
    a = L.cross_entropy(x, [1], [1.0, 2.0, 3.0])
    b = F.cross_entropy(torch.tensor([[1.0, 2.0, 0.5]], dtype=torch.float64), torch.tensor([1]),
                        torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    H.assert_close(a, b)


# ============================================================================ errors
def test_float_class_indices_raise_type_error():
    with pytest.raises(TypeError, match=r"integer class indices.*float64.*target.long\(\)"):
        L.cross_entropy(t64(np.zeros((3, 4))), t64([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="integer class indices"):
        L.nll_loss(t64(np.zeros((3, 4))), [0.0, 1.0, 2.0])


def test_integer_target_of_input_shape_raises_type_error():
    with pytest.raises(TypeError, match="class probabilities and must be floating"):
        L.cross_entropy(t64(np.zeros((3, 4))), i64(np.zeros((3, 4))))


@pytest.mark.parametrize("fn", [L.cross_entropy, L.nll_loss])
@pytest.mark.parametrize("bad", [4, 7, -1, -5])
def test_out_of_range_class_index_names_value_and_c(fn, bad):
    with pytest.raises(ValueError, match=rf"class index {bad}, outside \[0, 4\) for C=4") as e:
        fn(t64(np.zeros((3, 4))), i64([0, bad, 2]))
    assert isinstance(e.value, IndexError) and isinstance(e.value, L.ClassIndexError)


def test_ignore_index_may_be_outside_the_class_range():
    out = L.cross_entropy(t64(np.zeros((2, 4))), i64([-7, 1]), ignore_index=-7, reduction="none")
    np.testing.assert_allclose(out.data, [0.0, math.log(4)])


@pytest.mark.parametrize("fn", [L.cross_entropy, L.nll_loss])
def test_wrong_target_shape_names_shapes(fn):
    with pytest.raises(ValueError, match=r"input of shape \(3, 4, 5\).*must have shape \(3, 5\).*got \(3, 4\)"):
        fn(t64(np.zeros((3, 4, 5))), i64(np.zeros((3, 4))))
    with pytest.raises(ValueError, match=r"must have shape \(3,\)"):
        fn(t64(np.zeros((3, 4))), i64([0, 1]))


@pytest.mark.parametrize("fn", [L.cross_entropy, L.nll_loss])
def test_wrong_class_weight_shape_raises(fn):
    with pytest.raises(ValueError, match=r"one value per class, shape \(4,\), got shape \(3,\)"):
        fn(t64(np.zeros((2, 4))), i64([0, 1]), t64([1.0, 1.0, 1.0]))


@pytest.mark.parametrize("ls", [1.5, -0.1])
def test_label_smoothing_out_of_range_raises(ls):
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0"):
        L.cross_entropy(t64(np.zeros((2, 4))), i64([0, 1]), label_smoothing=ls)


def test_ignore_index_with_probability_targets_raises():
    with pytest.raises(ValueError, match="ignore_index=0 is not supported with class-probability"):
        L.cross_entropy(t64(np.zeros((2, 4))), t64(np.full((2, 4), 0.25)), ignore_index=0)


@pytest.mark.parametrize("fn", [L.cross_entropy, L.nll_loss])
def test_zero_dim_input_raises(fn):
    with pytest.raises(ValueError, match="class dimension"):
        fn(t64(1.0), i64(0))


@pytest.mark.parametrize("fn", [L.cross_entropy, L.nll_loss, L.binary_cross_entropy_with_logits])
def test_integer_input_raises(fn):
    with pytest.raises(TypeError, match="input must be a floating tensor"):
        fn(i64([[1, 2]]), i64([0]))


# ============================================================================ sample_weight
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", ["plain", "weight", "ignore", "ls+weight+ignore"])
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_class_index_sample_weight_is_weighted_by_class_and_sample(fn, opts, reduction):
    # mean = Σ sw·ℓ / Σ sw·w_y·[kept], ℓ already holding the class weight (written out in NumPy)
    r = rng(30)
    x0, tgt = r.normal(size=(6, 4)), r.integers(0, 4, 6)
    sw = r.uniform(0.0, 2.0, 6)
    w = r.uniform(0.3, 2.0, 4) if "weight" in opts else np.ones(4)
    eps = 0.2 if "ls" in opts else 0.0
    keep = np.ones(6, bool)
    kw = {"label_smoothing": eps}
    if "weight" in opts:
        kw["weight"] = t64(w)
    if "ignore" in opts:
        tgt[[1, 4]] = 3
        keep = tgt != 3
        kw["ignore_index"] = 3
    q = x0 - np.log(np.exp(x0).sum(1, keepdims=True))
    inp = q if fn == "nll_loss" else x0
    per = (1 - eps) * w[tgt] * -q[np.arange(6), tgt] + eps / 4 * (-(q * w).sum(1))
    per = np.where(keep, per, 0.0) * sw
    expected = {"none": per, "sum": per.sum(), "mean": per.sum() / (sw * w[tgt] * keep).sum()}[reduction]
    got = getattr(L, fn)(t64(inp), i64(tgt), reduction=reduction, sample_weight=sw, **kw)
    np.testing.assert_allclose(got.data, expected, rtol=1e-12)


@pytest.mark.parametrize("fn", [L.cross_entropy, L.nll_loss])
def test_class_index_sample_weight_of_ones_is_torch(fn):
    r = rng(31)
    x, tgt = t64(r.normal(size=(5, 3, 2))), i64(r.integers(0, 3, (5, 2)))
    kw = {"weight": t64([0.5, 1.0, 2.0]), "ignore_index": 1}
    a = fn(x, tgt, sample_weight=np.ones(5), **kw)
    tf = F.cross_entropy if fn is L.cross_entropy else F.nll_loss
    b = tf(H.to_torch(torch, x), H.to_torch(torch, tgt), **H.kwargs_to_torch(torch, kw))
    H.assert_close(a, b)


def test_cross_entropy_probability_targets_sample_weight_divides_by_its_sum():
    r = rng(32)
    x0 = r.normal(size=(4, 3))
    t = r.dirichlet(np.ones(3), size=4)
    sw = np.array([1.0, 0.0, 2.0, 0.5])
    per = -(t * (x0 - np.log(np.exp(x0).sum(1, keepdims=True)))).sum(1)
    got = L.cross_entropy(t64(x0), t64(t), sample_weight=sw)
    np.testing.assert_allclose(got.item(), (sw * per).sum() / sw.sum(), rtol=1e-13)


@pytest.mark.parametrize("fn", [L.binary_cross_entropy, L.binary_cross_entropy_with_logits])
def test_bce_sample_weight_rescales_samples_and_mean_divides_by_their_sum(fn):
    r = rng(33)
    x0 = r.uniform(0.1, 0.9, (4, 3)) if fn is L.binary_cross_entropy else r.normal(size=(4, 3))
    y0, w0 = r.uniform(0, 1, (4, 3)), r.uniform(0.5, 2.0, (3,))
    sw = np.array([2.0, 0.0, 1.0, 0.5])
    plain = fn(t64(x0), t64(y0), t64(w0), reduction="none").data
    np.testing.assert_allclose(fn(t64(x0), t64(y0), t64(w0), reduction="none", sample_weight=sw).data,
                               plain * sw[:, None], rtol=1e-14)
    np.testing.assert_allclose(fn(t64(x0), t64(y0), t64(w0), sample_weight=sw).item(),
                               (plain * sw[:, None]).sum() / (3 * sw.sum()), rtol=1e-13)


def test_sample_weight_gradient_flows_to_the_inputs():
    r = rng(34)
    x = t64(r.normal(size=(4, 3))).requires_grad_()
    sw = t64([1.0, 2.0, 0.0, 0.5])
    tgt = i64([0, 1, 2, 1])
    assert ll.autograd.gradcheck(lambda a: L.cross_entropy(a, tgt, t64([1.0, 2.0, 3.0]), sample_weight=sw,
                                                            label_smoothing=0.1), [x])
    L.cross_entropy(x, tgt, sample_weight=sw).backward()
    np.testing.assert_array_equal(x.grad.data[2], 0.0)  # a zero-weight sample gets no gradient


@pytest.mark.parametrize("fn", [L.cross_entropy, L.nll_loss, L.binary_cross_entropy_with_logits])
def test_sample_weight_bad_shape_or_negative_raises(fn):
    x, y = (t64(np.zeros((3, 4))), i64([0, 1, 2])) if fn is not L.binary_cross_entropy_with_logits else \
        (t64(np.zeros((3, 4))), t64(np.ones((3, 4))))
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(N,\) with N = 3"):
        fn(x, y, sample_weight=np.ones(4))
    with pytest.raises(ValueError, match="sample_weight must be finite and ≥ 0"):
        fn(x, y, sample_weight=np.array([1.0, -1.0, 1.0]))


def test_sample_weight_of_unbatched_input_raises():
    with pytest.raises(ValueError, match="sample_weight"):
        L.cross_entropy(t64(np.zeros(4)), i64(1), sample_weight=np.ones(1))


# ============================================================================ nll label smoothing
@pytest.mark.parametrize("opts", [{}, {"weight": [0.5, 2.0, 1.0, 1.5]}, {"ignore_index": 0},
                                  {"weight": [0.5, 2.0, 1.0, 1.5], "ignore_index": 2}])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_label_smoothing_equals_cross_entropy_of_logits(opts, reduction):
    r = rng(35)
    x0, tgt = r.normal(size=(6, 4, 2)), i64(r.integers(0, 4, (6, 2)))
    kw = {k: (t64(v) if k == "weight" else v) for k, v in opts.items()}
    a = L.nll_loss(ll.log_softmax(t64(x0), 1), tgt, label_smoothing=0.3, reduction=reduction, **kw)
    b = L.cross_entropy(t64(x0), tgt, label_smoothing=0.3, reduction=reduction, **kw)
    np.testing.assert_allclose(a.data, b.data, rtol=1e-13)


def test_nll_label_smoothing_out_of_range_raises():
    with pytest.raises(ValueError, match="nll_loss: label_smoothing must be between 0.0 and 1.0"):
        L.nll_loss(t64(np.zeros((2, 3))), i64([0, 1]), label_smoothing=-0.5)


# ============================================================================ fused softmax CE
from losslab.losses.classification import SoftmaxCrossEntropy, _smoothed_nll  # noqa: E402


def _composed_ce(x, tgt, w, ignore_index, ls, reduction="none"):
    """log_softmax + gather composition (the pre-fusion implementation)."""
    cd = 0 if x.ndim == 1 else 1
    loss, kept = _smoothed_nll(ll.log_softmax(x, cd), tgt.data, w, ignore_index, cd, ls)
    if reduction == "none":
        return loss
    return loss.sum() / (kept.sum() if kept is not None else float(np.prod(tgt.shape)))


@pytest.mark.parametrize("shape", [(7, 5), (3, 5, 4), (2, 5, 3, 2), (5,)])
@pytest.mark.parametrize("opts", ["plain", "weight", "ignore", "ls", "ls+weight+ignore", "ls=1+weight"])
def test_fused_softmax_cross_entropy_matches_composed_forward_and_backward(shape, opts):
    r = rng(40)
    x0 = r.normal(scale=3.0, size=shape)
    tshape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    tgt = np.asarray(r.integers(0, 5, size=tshape))
    ignore = -100
    if "ignore" in opts and tgt.ndim:
        ignore = 1
        tgt.flat[0] = 1
    ls = 1.0 if "ls=1" in opts else (0.25 if "ls" in opts else 0.0)
    w0 = r.uniform(0.3, 2.0, 5) if "weight" in opts else None
    g = r.normal(size=tshape)
    res = []
    for fused in (True, False):
        x = t64(x0).requires_grad_()
        w = t64(w0).requires_grad_() if w0 is not None else None
        if fused:
            out = L.cross_entropy(x, i64(tgt), w, ignore_index=ignore, label_smoothing=ls, reduction="none")
        else:
            out = _composed_ce(x, i64(tgt), w, ignore, ls)
        out.backward(t64(g))
        res.append([out.data, x.grad.data] + ([w.grad.data] if w is not None else []))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_fused_softmax_cross_entropy_is_one_node():
    x = t64(np.zeros((3, 4))).requires_grad_()
    out = L.cross_entropy(x, i64([0, 1, 2]), reduction="none")
    # the per-target loss comes straight out of the fused node, whose parent is the input
    assert isinstance(out.grad_fn, SoftmaxCrossEntropy) and out.grad_fn.parents[0] is x


@pytest.mark.parametrize("opts", [{}, {"label_smoothing": 0.2}, {"ignore_index": 1, "label_smoothing": 0.1}])
def test_fused_softmax_cross_entropy_gradgradcheck_input_and_weight(opts):
    r = rng(41)
    x = t64(r.normal(size=(4, 3))).requires_grad_()
    w = t64(r.uniform(0.5, 2.0, 3)).requires_grad_()
    tgt = i64([0, 1, 2, 1])

    def f(a, b):
        return L.cross_entropy(a, tgt, b, reduction="sum", **opts)

    assert ll.autograd.gradcheck(f, [x, w])
    assert ll.autograd.gradgradcheck(f, [x, w])

    def g(a):
        return L.cross_entropy(a, tgt, reduction="sum", **opts)

    assert ll.autograd.gradgradcheck(g, [x])


def test_fused_softmax_cross_entropy_hessian_vector_product_matches_composed():
    r = rng(42)
    x0, v = r.normal(size=(3, 4)), r.normal(size=(3, 4))
    w0 = r.uniform(0.5, 2.0, 4)
    tgt = i64([3, 0, 1])
    hv = []
    for fused in (True, False):
        x = t64(x0).requires_grad_()
        w = t64(w0)
        out = (L.cross_entropy(x, tgt, w, label_smoothing=0.3, reduction="none") if fused
               else _composed_ce(x, tgt, w, -100, 0.3)).sum()
        (gx,) = ll.autograd.grad(out, [x], create_graph=True)
        (h,) = ll.autograd.grad((gx * t64(v)).sum(), [x])
        hv.append(h.data)
    np.testing.assert_allclose(hv[0], hv[1], rtol=1e-11, atol=1e-13)


def test_fused_softmax_cross_entropy_float32_stays_float32():
    x = ll.tensor(np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32), requires_grad=True)
    w = ll.tensor(np.array([1.0, 2.0, 0.5], dtype=np.float32))
    out = L.cross_entropy(x, i64([0, 1, 2, 0]), w, label_smoothing=0.1, ignore_index=2)
    assert out.dtype == np.float32
    out.backward()
    assert x.grad.dtype == np.float32


# ============================================================================ issue #104776
def _smoothed_target(y, eps, c):
    t = np.full(c, eps / c)
    t[y] += 1 - eps
    return t


def test_class_weight_with_label_smoothing_moves_the_minimizer_as_documented():
    # PyTorch's convention (kept): for a class-y sample the optimum is p_c ∝ (1−ε)w_y[c=y] + ε/C·w_c
    eps, w0, y = 0.3, np.array([4.0, 1.0, 0.25]), 1
    smoothed = _smoothed_target(y, eps, 3)
    moved = (1 - eps) * w0[y] * np.eye(3)[y] + eps / 3 * w0
    moved /= moved.sum()
    for p, stationary in ((moved, True), (smoothed, False)):
        x = t64(np.log(p)[None]).requires_grad_()
        L.cross_entropy(x, i64([y]), t64(w0), label_smoothing=eps).backward()
        assert np.allclose(x.grad.data, 0.0, atol=1e-12) == stationary
        tx = torch.tensor(np.log(p)[None], requires_grad=True)
        F.cross_entropy(tx, torch.tensor([y]), torch.tensor(w0), label_smoothing=eps).backward()
        H.assert_close(x.grad, tx.grad, atol=1e-15)


def test_per_sample_class_weight_keeps_the_smoothed_minimizer():
    # The documented recipe: sample_weight = w[y] scales each sample's whole smoothed loss, so
    # the optimum stays at the smoothed target, and the 'mean' divisor is still Σ w_y.
    eps, w0 = 0.3, np.array([4.0, 1.0, 0.25])
    tgt = np.array([0, 1, 2, 1])
    x = t64(np.log(np.stack([_smoothed_target(y, eps, 3) for y in tgt]))).requires_grad_()
    out = L.cross_entropy(x, i64(tgt), label_smoothing=eps, sample_weight=w0[tgt])
    out.backward()
    np.testing.assert_allclose(x.grad.data, 0.0, atol=1e-12)
    # with ε = 0 the recipe is exactly the class-weighted mean
    r = rng(43)
    x1 = t64(r.normal(size=(4, 3)))
    np.testing.assert_allclose(L.cross_entropy(x1, i64(tgt), sample_weight=w0[tgt]).item(),
                               L.cross_entropy(x1, i64(tgt), t64(w0)).item(), rtol=1e-13)


def test_cross_entropy_docstring_documents_the_weight_smoothing_interaction():
    for fn in (L.cross_entropy, L.nll_loss):
        assert "#104776" in fn.__doc__ and "sample_weight=w[y]" in fn.__doc__


# ============================================================================ classes: beyond PyTorch
def test_classification_classes_take_sample_weight_in_forward():
    r = rng(50)
    x, y = t64(r.normal(size=(4, 3))), i64([0, 1, 2, 1])
    sw = np.array([1.0, 0.0, 2.0, 0.5])
    logp = ll.log_softmax(x, 1)
    p, t = ll.sigmoid(x), t64(r.uniform(0, 1, (4, 3)))
    pairs = [
        (L.CrossEntropyLoss(label_smoothing=0.1)(x, y, sample_weight=sw),
         L.cross_entropy(x, y, label_smoothing=0.1, sample_weight=sw)),
        (L.NLLLoss(label_smoothing=0.2)(logp, y, sample_weight=sw),
         L.nll_loss(logp, y, label_smoothing=0.2, sample_weight=sw)),
        (L.BCELoss()(p, t, sample_weight=sw), L.binary_cross_entropy(p, t, sample_weight=sw)),
        (L.BCEWithLogitsLoss()(x, t, sample_weight=sw), L.binary_cross_entropy_with_logits(x, t, sample_weight=sw)),
    ]
    for a, b in pairs:
        np.testing.assert_array_equal(a.data, b.data)


def test_nll_loss_class_label_smoothing_is_keyword_only_after_torch_arguments():
    import inspect
    params = inspect.signature(L.NLLLoss.__init__).parameters
    theirs = list(inspect.signature(torch.nn.NLLLoss.__init__).parameters)
    assert list(params)[:len(theirs)] == theirs
    assert params["label_smoothing"].kind is inspect.Parameter.KEYWORD_ONLY
    assert repr(L.NLLLoss(label_smoothing=0.1)) == "NLLLoss()"


def test_bce_pm1_targets_get_the_mapping_hint():
    with pytest.raises(ValueError, match=r"±1 labels.*target = \(target \+ 1\) / 2") as exc:
        L.binary_cross_entropy(t64([0.5, 0.5]), t64([1.0, -1.0]))
    assert "np.float" not in str(exc.value)  # the value is shown as a plain number


# ============================================================================ fused mean softmax CE (issue 8)
from losslab.losses.classification import SoftmaxCrossEntropyMean  # noqa: E402


@pytest.mark.parametrize("shape", [(1, 3), (7, 5), (64, 10)])
def test_fused_mean_cross_entropy_matches_composed_and_torch(shape):
    """The common case (index targets, no weight, no smoothing, nothing ignored, 'mean') is one
    SoftmaxCrossEntropyMean node; its value and gradient equal the per-target fused op + mean, the
    log_softmax + gather + mean composition, and PyTorch's."""
    r = rng(43)
    x0 = r.normal(scale=3.0, size=shape)
    tgt = r.integers(0, shape[1], size=shape[0])
    g = r.normal()
    res = []
    for way in ("fused_mean", "per_target", "composed"):
        x = t64(x0).requires_grad_()
        if way == "fused_mean":
            out = L.cross_entropy(x, i64(tgt))
            assert isinstance(out.grad_fn, SoftmaxCrossEntropyMean) and out.grad_fn.parents[0] is x
        elif way == "per_target":
            out = L.cross_entropy(x, i64(tgt), reduction="none").mean()
        else:
            out = _composed_ce(x, i64(tgt), None, -100, 0.0).mean()
        out.backward(t64(g))
        res.append((out.data, x.grad.data))
    tx = torch.tensor(x0, requires_grad=True)
    tout = F.cross_entropy(tx, torch.tensor(tgt))
    tout.backward(torch.tensor(g, dtype=torch.float64))
    res.append((tout.detach().numpy(), tx.grad.numpy()))
    for other in res[1:]:
        np.testing.assert_allclose(res[0][0], other[0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(res[0][1], other[1], rtol=1e-12, atol=1e-14)


def test_fused_mean_cross_entropy_only_for_the_plain_case():
    x = t64(np.zeros((3, 4))).requires_grad_()
    tgt = i64([0, 1, 2])
    assert isinstance(L.cross_entropy(x, tgt).grad_fn, SoftmaxCrossEntropyMean)
    for kw in ({"weight": t64(np.ones(4))}, {"label_smoothing": 0.1}, {"ignore_index": 1},
               {"reduction": "sum"}, {"sample_weight": t64(np.ones(3))}):
        assert not isinstance(L.cross_entropy(x, tgt, **kw).grad_fn, SoftmaxCrossEntropyMean), kw
    assert not isinstance(L.cross_entropy(t64(np.zeros(4)).requires_grad_(), i64(2)).grad_fn,
                          SoftmaxCrossEntropyMean)  # unbatched: the general path


def test_fused_mean_cross_entropy_second_derivatives():
    r = rng(44)
    x = t64(r.normal(size=(4, 3))).requires_grad_()
    tgt = i64([0, 1, 2, 1])
    f = lambda a: L.cross_entropy(a, tgt)  # noqa: E731
    assert ll.autograd.gradcheck(f, [x])
    assert ll.autograd.gradgradcheck(f, [x])
    v = r.normal(size=(4, 3))
    hv = []
    for fused in (True, False):
        x = t64(x.data).requires_grad_()
        out = f(x) if fused else _composed_ce(x, tgt, None, -100, 0.0).mean()
        (gx,) = ll.autograd.grad(out, [x], create_graph=True)
        (h,) = ll.autograd.grad((gx * t64(v)).sum(), [x])
        hv.append(h.data)
    np.testing.assert_allclose(hv[0], hv[1], rtol=1e-11, atol=1e-13)


def test_fused_mean_cross_entropy_float32_stays_float32_and_backward_twice():
    x = ll.tensor(np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32), requires_grad=True)
    out = L.cross_entropy(x, i64([0, 1, 2, 0, 1]))
    assert out.dtype == np.float32 and out.shape == ()
    out.backward(retain_graph=True)
    first = x.grad.data.copy()
    out.backward()  # the saved exponentials are not consumed by the first backward
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, 2 * first, rtol=1e-6)


# ============================================================================ fused mean BCE (issue 8)
from losslab.losses.classification import BinaryCrossEntropyMean  # noqa: E402


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(1, 1), (5, 4), (7,)])
def test_fused_mean_bce_matches_composed_and_torch(shape, dtype):
    """binary_cross_entropy(p, y) (reduction='mean', no weights) is one BinaryCrossEntropyMean
    node; its value and both gradients are bit-for-bit those of the elementwise node + mean, close
    to the clamp/log composition and to PyTorch's, and float32 stays float32."""
    r = rng(45)
    p0 = r.uniform(0.01, 0.99, shape).astype(dtype)
    y0 = r.uniform(0, 1, shape).astype(dtype)
    p0.flat[0] = 0.0  # a clamped log and the floored gradient denominator
    g = dtype(r.normal())
    res = []
    for way in ("fused", "per_element", "composed"):
        p = ll.tensor(p0).requires_grad_()
        y = ll.tensor(y0).requires_grad_()
        if way == "fused":
            out = L.binary_cross_entropy(p, y)
            assert isinstance(out.grad_fn, BinaryCrossEntropyMean) and out.grad_fn.parents[0] is p
        elif way == "per_element":
            out = BinaryCrossEntropy.apply(p, y).mean()
        else:
            with np.errstate(divide="ignore", invalid="ignore"):  # log 0 and its 1/0 at p = 0
                out = _bce_composed(p, y).mean()
                out.backward(ll.tensor(np.asarray(g)))
        if way != "composed":
            out.backward(ll.tensor(np.asarray(g)))
        assert out.dtype == dtype and p.grad.dtype == dtype and y.grad.dtype == dtype
        res.append((out.data, p.grad.data, y.grad.data))
    for a, b in zip(res[0], res[1]):
        np.testing.assert_array_equal(a, b)  # same operations in the same order
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    mask = p0 != 0  # the composition's gradient at p = 0 is nan (the reason for the fused op)
    np.testing.assert_allclose(res[0][0], res[2][0], **tol)
    np.testing.assert_allclose(res[0][1][mask], res[2][1][mask], **tol)
    tp = torch.tensor(p0, requires_grad=True)
    tout = F.binary_cross_entropy(tp, torch.tensor(y0))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(res[0][0], tout.detach().numpy(), **tol)
    np.testing.assert_allclose(res[0][1], tp.grad.numpy(), **tol)


def test_fused_mean_bce_only_for_the_plain_case_and_same_errors():
    p, y = t64([[0.2, 0.7]]).requires_grad_(), t64([[0.0, 1.0]])
    assert isinstance(L.binary_cross_entropy(p, y).grad_fn, BinaryCrossEntropyMean)
    for kw in ({"weight": t64([[1.0, 2.0]])}, {"reduction": "sum"}, {"reduction": "none"},
               {"sample_weight": t64([1.0])}):
        assert not isinstance(L.binary_cross_entropy(p, y, **kw).grad_fn, BinaryCrossEntropyMean), kw
    assert not isinstance(L.binary_cross_entropy(p, np.array([[0.0, 1.0]])).grad_fn,
                          BinaryCrossEntropyMean)  # an array target: the general path
    # The same errors as the general path, input checked first.
    for bad_p, bad_y, match in (([[1.5, 0.5]], [[0.0, 1.0]], "elements of input.*logits"),
                                ([[float("nan"), 0.5]], [[0.0, 1.0]], "elements of input"),
                                ([[-0.5, 0.5]], [[0.0, 2.0]], "elements of input"),
                                ([[0.5, 0.5]], [[1.0, -1.0]], "elements of target.*±1 labels"),
                                ([[0.5, 0.5]], [[0.0, float("nan")]], "elements of target")):
        with pytest.raises(ValueError, match=match):
            L.binary_cross_entropy(t64(bad_p).requires_grad_(), t64(bad_y))
        with pytest.raises(ValueError, match=match):
            L.binary_cross_entropy(t64(bad_p), t64(bad_y), reduction="sum")


def test_fused_mean_bce_second_derivatives():
    r = rng(46)
    p = t64(r.uniform(0.05, 0.95, (3, 2))).requires_grad_()
    y = t64(r.uniform(0, 1, (3, 2))).requires_grad_()
    assert isinstance(L.binary_cross_entropy(p, y).grad_fn, BinaryCrossEntropyMean)
    assert ll.autograd.gradcheck(lambda a, b: L.binary_cross_entropy(a, b), [p, y])
    assert ll.autograd.gradgradcheck(lambda a, b: L.binary_cross_entropy(a, b), [p, y])


def test_cross_entropy_fast_path_keeps_the_general_checks():
    """The fused mean cross-entropy is reached through a min/max check of the indices; every case
    it doesn't cover still gets the general path's error or result."""
    x = t64(np.zeros((3, 4))).requires_grad_()
    assert isinstance(L.cross_entropy(x, i64([0, 1, 3])).grad_fn, SoftmaxCrossEntropyMean)
    assert isinstance(L.cross_entropy(x, ll.tensor(np.array([0, 1, 3], dtype=np.int32))).grad_fn,
                      SoftmaxCrossEntropyMean)
    with pytest.raises(L.ClassIndexError, match="class index 4"):
        L.cross_entropy(x, i64([0, 4, 1]))
    with pytest.raises(L.ClassIndexError, match="class index -1"):
        L.cross_entropy(x, i64([0, -1, 1]))
    with pytest.raises(TypeError, match="integer class indices"):
        L.cross_entropy(x, t64([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="must have shape"):
        L.cross_entropy(x, i64([0, 1]))
    # an ignored target in range: the general (masked) path, same value as torch
    out = L.cross_entropy(x, i64([0, 1, 2]), ignore_index=1)
    assert not isinstance(out.grad_fn, SoftmaxCrossEntropyMean)
    ref = F.cross_entropy(torch.zeros(3, 4, dtype=torch.float64), torch.tensor([0, 1, 2]), ignore_index=1)
    np.testing.assert_allclose(out.data, ref.numpy(), rtol=1e-12)
    assert isinstance(L.cross_entropy(x, i64([0, 1, 2]), ignore_index=3).grad_fn, SoftmaxCrossEntropyMean)
