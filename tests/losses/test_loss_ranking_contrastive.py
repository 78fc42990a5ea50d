"""ntxent_loss, circle_loss and ranking_softmax_loss, which PyTorch lacks: agreement with the
optax / Keras definitions transcribed plainly to NumPy below, hand-computed cases, gradients
against PyTorch autograd on the same formula, gradcheck, batch coupling, masks, extremes and bad
input."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L

torch = pytest.importorskip("torch")
F = torch.nn.functional


# ----------------------------------------------------------------------------- references
def ntxent_reference(emb, labels, tau):
    """``optax.losses.ntxent`` (optax/losses/_self_supervised.py) in NumPy: returns the loss of
    each anchor (its positives' terms summed) and optax's scalar (the mean over positive pairs)."""
    n = emb.shape[0]
    eps = np.finfo(emb.dtype).eps
    a, b = emb[None, :, :], emb[:, None, :]
    an = np.sqrt(np.maximum((a * a).sum(-1, keepdims=True), eps))
    bn = np.sqrt(np.maximum((b * b).sum(-1, keepdims=True), eps))
    xcs = ((a / an) * (b / bn)).sum(-1) / tau
    matches = labels[:, None] == labels[None, :]
    diffs = ~matches
    matches = matches & ~np.eye(n, dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        xd = np.where(diffs, xcs, -np.inf)
        xm = np.where(matches, xcs, -np.inf)
        xmax = np.max(np.concatenate([xd, xm], axis=1), axis=1, keepdims=True)
        numer = xm - xmax
        denom = np.exp(xd - xmax).sum(1, keepdims=True) + np.exp(numer)
        log_softm = numer - np.log(denom)
        per_anchor = -np.where(matches, log_softm, 0.0).sum(1)
        return per_anchor, per_anchor.sum() / matches.sum()


def circle_reference(emb, labels, gamma, margin):
    """``keras.losses.circle`` (keras/src/losses/losses.py) in NumPy, on L2-normalised
    embeddings (Keras expects them normalised): one loss per anchor."""
    u = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    d = np.maximum(1.0 - u @ u.T, 0.0)  # cosine distances
    same = labels[:, None] == labels[None, :]
    pm, nm = same & ~np.eye(len(labels), dtype=bool), ~same
    pos_w = np.maximum((margin + d) * pm, 0.0)
    neg_w = np.maximum((1.0 + margin - d) * nm, 0.0)
    pos_wd = -gamma * pos_w * (margin - d)
    neg_wd = gamma * neg_w * ((1.0 - margin) - d)

    def lse(x, m):
        x = np.where(m, x, -np.inf)
        mx = np.max(x, 1, keepdims=True)
        mx = np.where(np.isfinite(mx), mx, 0.0)
        with np.errstate(divide="ignore"):
            return np.log(np.exp(x - mx).sum(1)) + mx[:, 0]

    return np.logaddexp(0.0, lse(pos_wd, pm) + lse(neg_wd, nm))  # softplus


def ranking_softmax_reference(logits, labels, where=None, weights=None):
    """``optax.losses.ranking_softmax_loss`` with ``reduce_fn=None`` in NumPy: one loss per list."""
    labels = labels.astype(float)
    if where is not None:
        labels = np.where(where, labels, 0.0)
        logits = np.where(where, logits, -np.inf)
    if weights is not None:
        labels = labels * weights
    with np.errstate(divide="ignore", invalid="ignore"):  # a fully masked list: −inf − (−inf)
        m = np.max(logits, -1, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0)
        logsm = logits - m - np.log(np.exp(logits - m).sum(-1, keepdims=True))
        prod = np.where(where if where is not None else True, labels * logsm, 0.0)
    return -prod.sum(-1)


def _t(a, grad=False):
    return ll.tensor(np.array(a, dtype=np.float64), requires_grad=grad)


# ----------------------------------------------------------------------------- NT-Xent
@pytest.mark.parametrize("tau", [0.07, 0.5, 2.0])
@pytest.mark.parametrize("groups", [[2, 2, 2], [3, 1, 2, 2], [4, 4], [1, 1, 1]])
def test_ntxent_equals_optax_definition(tau, groups):
    rng = np.random.default_rng(len(groups) * 10 + int(tau * 100))
    lab = np.repeat(np.arange(len(groups)), groups)[rng.permutation(sum(groups))]
    x = rng.normal(size=(lab.size, 5))
    per_anchor, optax_value = ntxent_reference(x, lab, tau)
    got = L.ntxent_loss(_t(x), ll.tensor(lab), temperature=tau, reduction="none")
    np.testing.assert_allclose(got.data, per_anchor, rtol=1e-12, atol=1e-14)
    mean = L.ntxent_loss(_t(x), ll.tensor(lab), temperature=tau).item()
    if np.isnan(optax_value):  # no positive pair at all: optax divides 0 by 0
        assert np.isnan(mean)
    else:
        assert mean == pytest.approx(optax_value, rel=1e-12)
    assert L.ntxent_loss(_t(x), ll.tensor(lab), temperature=tau, reduction="sum").item() == \
        pytest.approx(per_anchor.sum(), rel=1e-12, abs=1e-14)


def test_ntxent_simclr_pairs_equal_masked_cross_entropy_in_torch_values_and_gradients():
    """With one positive per anchor the loss is SimCLR's: cross-entropy of each row of the
    similarity matrix (self masked) against the partner's index — computed here with torch
    autograd as an independent oracle for the gradient."""
    rng = np.random.default_rng(0)
    n_pairs, tau = 4, 0.2
    x = rng.normal(size=(2 * n_pairs, 3))
    lab = np.concatenate([np.arange(n_pairs), np.arange(n_pairs)])
    partner = np.concatenate([np.arange(n_pairs) + n_pairs, np.arange(n_pairs)])
    tx = torch.tensor(x, requires_grad=True)
    u = tx / tx.norm(dim=1, keepdim=True)
    sim = (u @ u.T / tau).masked_fill(torch.eye(2 * n_pairs, dtype=torch.bool), float("-inf"))
    tl = F.cross_entropy(sim, torch.tensor(partner))
    tl.backward()
    lx = _t(x, grad=True)
    out = L.ntxent_loss(lx, ll.tensor(lab), temperature=tau)
    out.backward()
    assert out.item() == pytest.approx(tl.item(), rel=1e-12)
    np.testing.assert_allclose(lx.grad.data, tx.grad.numpy(), rtol=1e-9, atol=1e-13)


def test_ntxent_hand_computed():
    # x0, x1 same label and identical direction (cos 1), x2 orthogonal (cos 0) with label 1
    x = _t([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    lab = ll.tensor([0, 0, 1])
    tau = 0.5
    # anchor 0: positive x1 (s = 2), negative x2 (s = 0): log(1 + e^{0 − 2}); anchor 1 the same;
    # anchor 2: no positive → 0
    want = np.log1p(np.exp(-2.0))
    got = L.ntxent_loss(x, lab, temperature=tau, reduction="none").data
    np.testing.assert_allclose(got, [want, want, 0.0], rtol=1e-14)
    assert L.ntxent_loss(x, lab, temperature=tau).item() == pytest.approx(want, rel=1e-14)  # 2 pairs


def test_ntxent_is_batch_coupled_and_scale_invariant():
    rng = np.random.default_rng(1)
    x, lab = rng.normal(size=(6, 3)), np.array([0, 0, 1, 1, 2, 2])
    full = L.ntxent_loss(_t(x), ll.tensor(lab), reduction="none").data
    alone = L.ntxent_loss(_t(x[:1]), ll.tensor(lab[:1]), reduction="none").data
    assert alone[0] == 0.0 and full[0] > 0  # a sample alone has no pairs
    x2 = x.copy()
    x2[5] = -x2[5]  # changing another sample changes anchor 0's loss (it is a negative of 0)
    assert L.ntxent_loss(_t(x2), ll.tensor(lab), reduction="none").data[0] != full[0]
    scaled = L.ntxent_loss(_t(x * rng.uniform(0.1, 10.0, (6, 1))), ll.tensor(lab), reduction="none").data
    np.testing.assert_allclose(scaled, full, rtol=1e-12)


def test_ntxent_sample_weight_weights_anchors_and_mean_counts_pairs():
    rng = np.random.default_rng(2)
    x, lab = rng.normal(size=(5, 3)), np.array([0, 0, 0, 1, 1])
    w = rng.uniform(0.0, 2.0, 5)
    per, _ = ntxent_reference(x, lab, 0.3)
    npos = np.array([2, 2, 2, 1, 1])
    got = L.ntxent_loss(_t(x), ll.tensor(lab), temperature=0.3, sample_weight=w).item()
    assert got == pytest.approx((w * per).sum() / (w * npos).sum(), rel=1e-12)
    assert L.NTXentLoss(temperature=0.3, reduction="sum")(_t(x), ll.tensor(lab), sample_weight=w).item() == \
        pytest.approx((w * per).sum(), rel=1e-12)


def test_ntxent_gradcheck_and_extremes():
    rng = np.random.default_rng(3)
    lab = ll.tensor([0, 1, 0, 2, 1, 2, 0])
    x = _t(rng.normal(size=(7, 4)), grad=True)
    for tau in (0.1, 1.0):
        assert ll.autograd.gradcheck(lambda t: L.ntxent_loss(t, lab, temperature=tau), [x])
        assert ll.autograd.gradcheck(lambda t: L.ntxent_loss(t, lab, temperature=tau, reduction="none"), [x])
    for dtype in (np.float32, np.float64):
        big = ll.tensor((1e4 * rng.normal(size=(7, 4))).astype(dtype), requires_grad=True)
        out = L.ntxent_loss(big, lab, temperature=0.01)  # logits up to ±100 after the temperature
        out.backward()
        assert np.isfinite(out.item()) and np.isfinite(big.grad.data).all()
    z = _t(np.vstack([np.zeros((1, 4)), rng.normal(size=(6, 4))]), grad=True)
    out = L.ntxent_loss(z, lab)  # a zero embedding: similarity 0 (optax's ε clip), finite gradient
    out.backward()
    assert np.isfinite(out.item()) and np.isfinite(z.grad.data).all()


def test_ntxent_no_positive_pair_gives_nan_mean_and_zero_sum():
    x = _t(np.eye(3))
    lab = ll.tensor([0, 1, 2])
    assert np.isnan(L.ntxent_loss(x, lab).item())
    assert L.ntxent_loss(x, lab, reduction="sum").item() == 0.0


# ----------------------------------------------------------------------------- Circle
@pytest.mark.parametrize("gamma,margin", [(80.0, 0.4), (256.0, 0.25), (4.0, 0.0), (16.0, 0.6)])
def test_circle_equals_keras_definition(gamma, margin):
    rng = np.random.default_rng(int(gamma) + int(100 * margin))
    lab = np.array([0, 0, 0, 1, 1, 2, 2, 3])
    x = rng.normal(size=(8, 4))
    want = circle_reference(x, lab, gamma, margin)
    got = L.circle_loss(_t(x), ll.tensor(lab), gamma=gamma, margin=margin, reduction="none").data
    np.testing.assert_allclose(got, np.where(np.isin(np.arange(8), [7]), 0.0, want), rtol=1e-10, atol=1e-12)
    # 'mean' over anchors with a positive and a negative (anchor 7 has no positive)
    mean = L.circle_loss(_t(x), ll.tensor(lab), gamma=gamma, margin=margin).item()
    assert mean == pytest.approx(want[:7].mean(), rel=1e-10)


def test_circle_hand_computed():
    # anchors 0, 1: positive pair with s_p = 0; negative (anchor 2) with s_n = 0; m = 0.5, γ = 2
    x = _t([[1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    lab = ll.tensor([0, 0, 1])
    m, g = 0.5, 2.0
    # anchor 0: s_p = cos(x0, x1) = 0: α_p = 1.5, term −γ·1.5·(0 − 0.5) = 1.5;
    #           s_n = cos(x0, x2) = 0: α_n = 0.5, term γ·0.5·(0 − 0.5) = −0.5
    want0 = np.log1p(np.exp(1.5 - 0.5))
    # anchor 1: s_p = 0 as above; s_n = cos(x1, x2) = −1: α_n = [−1 + 0.5]₊ = 0 → term 0
    want1 = np.log1p(np.exp(1.5 + 0.0))
    got = L.circle_loss(x, lab, gamma=g, margin=m, reduction="none").data
    np.testing.assert_allclose(got, [want0, want1, 0.0], rtol=1e-14)


def _torch_circle(x, lab, gamma, margin, detach):
    u = x / x.norm(dim=1, keepdim=True)
    s = u @ u.T
    n = len(lab)
    same = torch.tensor(lab[:, None] == lab[None, :])
    pm, nm = same & ~torch.eye(n, dtype=torch.bool), ~same
    ap = torch.clamp_min(1 + margin - s, 0)
    an = torch.clamp_min(s + margin, 0)
    if detach:
        ap, an = ap.detach(), an.detach()
    lp = torch.logsumexp((-gamma * ap * (s - (1 - margin))).masked_fill(~pm, float("-inf")), dim=1)
    ln = torch.logsumexp((gamma * an * (s - margin)).masked_fill(~nm, float("-inf")), dim=1)
    return F.softplus(lp + ln, threshold=1000).sum()


@pytest.mark.parametrize("detach", [False, True])
def test_circle_gradient_matches_torch_autograd_of_the_formula(detach):
    """detach_weights=False: the exact gradient (Keras); True: α constant, the paper's gradient."""
    rng = np.random.default_rng(5)
    lab = np.array([0, 0, 1, 1, 1, 2])
    x = rng.normal(size=(6, 3))
    tx = torch.tensor(x, requires_grad=True)
    _torch_circle(tx, lab, 32.0, 0.3, detach).backward()
    lx = _t(x, grad=True)
    out = L.circle_loss(lx, ll.tensor(lab), gamma=32.0, margin=0.3, detach_weights=detach, reduction="sum")
    out.backward()
    np.testing.assert_allclose(lx.grad.data, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    same = L.circle_loss(_t(x), ll.tensor(lab), gamma=32.0, margin=0.3, reduction="sum")
    assert out.item() == pytest.approx(same.item(), rel=1e-15)  # the value does not depend on it


def test_circle_gradcheck_stability_and_kink():
    rng = np.random.default_rng(6)
    lab = ll.tensor([0, 0, 1, 1, 2])
    x = _t(rng.normal(size=(5, 3)), grad=True)
    assert ll.autograd.gradcheck(lambda t: L.circle_loss(t, lab, gamma=8.0, margin=0.25), [x])
    for dtype in (np.float32, np.float64):
        big = ll.tensor((1e4 * rng.normal(size=(5, 3))).astype(dtype), requires_grad=True)
        out = L.circle_loss(big, lab, gamma=512.0)
        out.backward()
        assert np.isfinite(out.item()) and np.isfinite(big.grad.data).all()
    # the declared kink: a negative pair at s_n = −m; one-sided slopes differ (exact gradient)
    m = 0.5
    theta0 = np.arccos(-m)  # angle of x1 relative to x0 giving cos = −m

    def loss_at(th):
        # anchor 1: negative x0 at similarity cos θ (= −m at θ0), positive x2
        pts = _t([[1.0, 0.0], [np.cos(th), np.sin(th)], [0.0, 1.0]])
        return L.circle_loss(pts, ll.tensor([0, 1, 1]), gamma=1.0, margin=m, reduction="none").data[1]

    h = 1e-6
    left = (loss_at(theta0) - loss_at(theta0 - h)) / h
    right = (loss_at(theta0 + h) - loss_at(theta0)) / h
    assert abs(left - right) > 1e-3


# ----------------------------------------------------------------------------- ranking softmax
def test_ranking_softmax_optax_docstring_examples():
    s, y = _t([2.0, 1.0, 3.0], grad=True), _t([1.0, 0.0, 0.0])
    out = L.ranking_softmax_loss(s, y)
    assert round(out.item(), 3) == 1.408
    out.backward()
    assert [round(g, 3) for g in s.grad.data.tolist()] == [-0.755, 0.09, 0.665]
    s2 = _t([[2.0, 1.0, 0.0], [1.0, 0.5, 1.5]])
    y2 = _t([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    where = np.array([[True, True, False], [True, True, True]])
    assert round(L.ranking_softmax_loss(s2, y2, where=where).item(), 3) == 0.497


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_ranking_softmax_equals_optax_definition(masked, weighted):
    rng = np.random.default_rng(7 + 2 * masked + weighted)
    s = rng.normal(scale=3.0, size=(5, 6))
    y = rng.integers(0, 4, size=(5, 6)).astype(float)
    where = rng.random((5, 6)) < 0.7 if masked else None
    if masked:
        where[4] = False  # a list with no valid item: loss 0, left out of the mean
    wts = rng.uniform(0.5, 2.0, (5, 6)) if weighted else None
    want = ranking_softmax_reference(s, y, where, wts)
    got = L.ranking_softmax_loss(_t(s), _t(y), where=where, weights=wts, reduction="none")
    np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-14)
    n_valid = 4 if masked else 5
    mean = L.ranking_softmax_loss(_t(s), _t(y), where=where, weights=wts).item()
    assert mean == pytest.approx(want.sum() / n_valid, rel=1e-12)


def test_ranking_softmax_gradients_match_torch_for_scores_and_labels():
    rng = np.random.default_rng(8)
    s, y = rng.normal(size=(4, 5)), rng.uniform(0, 2, (4, 5))
    where = rng.random((4, 5)) < 0.8
    where[:, 0] = True
    ts, ty = torch.tensor(s, requires_grad=True), torch.tensor(y, requires_grad=True)
    tw = torch.tensor(where)
    logsm = torch.log_softmax(ts.masked_fill(~tw, float("-inf")), dim=-1)
    (-(ty * logsm).masked_fill(~tw, 0.0).sum(-1)).sum().backward()
    ls, ly = _t(s, grad=True), _t(y, grad=True)
    L.ranking_softmax_loss(ls, ly, where=where, reduction="sum").backward()
    np.testing.assert_allclose(ls.grad.data, ts.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(ly.grad.data[where], ty.grad.numpy()[where], rtol=1e-10, atol=1e-14)
    # masked items get no gradient (torch's composition gives nan to their labels: 0 · −inf)
    assert np.all(ls.grad.data[~where] == 0) and np.all(ly.grad.data[~where] == 0)


def test_ranking_softmax_extremes_mask_and_batch_of_one():
    s = _t([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], grad=True)
    y = _t([[0.0, 1.0, 2.0], [1.0, 0.0, 0.0]])
    out = L.ranking_softmax_loss(s, y)
    out.backward()
    assert np.isfinite(out.item()) and np.isfinite(s.grad.data).all()
    assert np.isnan(L.ranking_softmax_loss(s, y, where=np.zeros((2, 3), bool)).item())
    one = L.ranking_softmax_loss(s[1:], y[1:], reduction="none").data
    np.testing.assert_allclose(L.ranking_softmax_loss(s, y, reduction="none").data[1:], one)
    lx = _t(np.random.default_rng(9).normal(size=(3, 4)), grad=True)
    yy = _t(np.random.default_rng(10).uniform(0, 3, (3, 4)))
    assert ll.autograd.gradcheck(lambda t, u: L.ranking_softmax_loss(t, u, reduction="none"), [lx, _t(yy.data, grad=True)])


# ----------------------------------------------------------------------------- classes, errors
def test_classes_equal_functions_and_reprs():
    rng = np.random.default_rng(11)
    x, lab = _t(rng.normal(size=(6, 3))), ll.tensor([0, 0, 1, 1, 2, 2])
    assert L.NTXentLoss(temperature=0.2)(x, lab).item() == L.ntxent_loss(x, lab, temperature=0.2).item()
    assert L.CircleLoss(gamma=10.0, margin=0.1, reduction="sum")(x, lab).item() == \
        L.circle_loss(x, lab, gamma=10.0, margin=0.1, reduction="sum").item()
    s, y = _t(rng.normal(size=(2, 4))), _t(rng.uniform(0, 1, (2, 4)))
    w = rng.random((2, 4)) < 0.5
    w[:, 0] = True
    assert L.RankingSoftmaxLoss(reduction="none")(s, y, where=w).data.tolist() == \
        L.ranking_softmax_loss(s, y, where=w, reduction="none").data.tolist()
    for cls in (L.NTXentLoss, L.CircleLoss, L.RankingSoftmaxLoss):
        assert repr(cls()) == f"{cls.__name__}()"


def test_bad_input_errors():
    x = _t(np.ones((4, 3)))
    with pytest.raises(TypeError, match=r"ntxent_loss: target must hold integer class labels \(int64\), got dtype float64"):
        L.ntxent_loss(x, _t([0.0, 0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"target must have shape \(N,\) = \(4,\), one label per embedding, got shape \(3,\)"):
        L.circle_loss(x, ll.tensor([0, 0, 1]))
    with pytest.raises(ValueError, match=r"input must be a batch of embeddings of shape \(N, D\), got shape \(3,\)"):
        L.ntxent_loss(_t([1.0, 2.0, 3.0]), ll.tensor([0, 0, 1]))
    with pytest.raises(ValueError, match="temperature must be > 0, got 0"):
        L.ntxent_loss(x, ll.tensor([0, 0, 1, 1]), temperature=0)
    with pytest.raises(ValueError, match="gamma must be > 0, got -1"):
        L.circle_loss(x, ll.tensor([0, 0, 1, 1]), gamma=-1)
    with pytest.raises(ValueError, match=r"target must hold relevance labels ≥ 0, got \[-1.0\]"):
        L.ranking_softmax_loss(_t([1.0, 2.0]), _t([-1.0, 1.0]))
    with pytest.raises(ValueError, match="input and target must have the same shape"):
        L.ranking_softmax_loss(_t([1.0, 2.0]), _t([1.0, 1.0, 0.0]))
    with pytest.raises(TypeError, match="where must be a bool mask, got dtype int64"):
        L.ranking_softmax_loss(_t([1.0, 2.0]), _t([1.0, 0.0]), where=np.array([1, 0]))
    with pytest.raises(ValueError, match="input and where must have the same shape"):
        L.ranking_softmax_loss(_t([1.0, 2.0]), _t([1.0, 0.0]), where=np.array([True]))
    with pytest.raises(ValueError, match="must have a list dimension"):
        L.ranking_softmax_loss(_t(1.0), _t(1.0))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'batchmean'"):
        L.circle_loss(x, ll.tensor([0, 0, 1, 1]), reduction="batchmean")
