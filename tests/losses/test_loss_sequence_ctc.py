"""ctc_loss: values and gradients equal PyTorch 2.13's (float64) across reductions, target formats,
blank indices, lengths and zero_infinity; the fused forward–backward primitive against a brute-
force sum over alignments and against a log-space recursion composed of engine ops; gradcheck
through log_softmax (PyTorch's gradient convention); batch-of-one; float32; create_graph; bad
input."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L

torch = pytest.importorskip("torch")
F = torch.nn.functional

REDUCTIONS = ("none", "mean", "sum")


def _log_softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def _batch(rng, t_max=9, n=4, c=5, blank=0, s_max=4):
    """Random log-probs and feasible targets with varied lengths, a repeat and an empty target."""
    lp = _log_softmax(rng.normal(scale=1.5, size=(t_max, n, c)))
    labels = [k for k in range(c) if k != blank]
    tg = rng.choice(labels, size=(n, s_max))
    tg[0, 1] = tg[0, 0]  # repeated label
    tl = np.array([s_max, 2, 0, 3])[:n]
    il = np.array([t_max, t_max - 2, 3, 7])[:n]
    return lp, tg.astype(np.int64), il, tl


def _run(lp, tg, il, tl, reduction, *, seed=0, **kw):
    a = ll.tensor(lp.copy(), requires_grad=True)
    b = torch.tensor(lp.copy(), requires_grad=True)
    out = L.ctc_loss(a, ll.tensor(tg), ll.tensor(il), ll.tensor(tl), reduction=reduction, **kw)
    tout = F.ctc_loss(b, torch.tensor(tg), torch.tensor(il), torch.tensor(tl), reduction=reduction, **kw)
    g = np.random.default_rng(seed).uniform(0.5, 1.5, size=out.shape)
    out.backward(ll.tensor(g))
    tout.backward(torch.tensor(g))
    return out, tout, a, b


def _close(out, tout, a, b, what=""):
    assert out.shape == tuple(tout.shape), what
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-13, err_msg=what)
    np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-10, atol=1e-13, err_msg=what)


# ----------------------------------------------------------------------------- vs PyTorch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("blank", [0, 4])
@pytest.mark.parametrize("concatenated", [False, True])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_matches_torch(reduction, blank, concatenated, zero_infinity):
    rng = np.random.default_rng(blank + 2 * concatenated)
    lp, tg, il, tl = _batch(rng, blank=blank)
    if concatenated:
        tg = np.concatenate([tg[i, : tl[i]] for i in range(len(tl))])
    _close(*_run(lp, tg, il, tl, reduction, blank=blank, zero_infinity=zero_infinity),
           f"{reduction} blank={blank} concat={concatenated}")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_zero_infinity_matches_torch_on_infeasible_sequences(reduction):
    rng = np.random.default_rng(1)
    lp, tg, il, tl = _batch(rng)
    tg[1, :2] = [3, 3]
    il = np.array([9, 2, 0, 7])  # seq 1: "33" needs 3 frames, has 2; seq 2: empty input, empty target
    tl = np.array([4, 2, 0, 4])  # seq 3 is fine (7 frames for ≤ 4 labels + repeats)
    out, tout, a, b = _run(lp, tg, il, tl, reduction, zero_infinity=True)
    _close(out, tout, a, b, "zero_infinity")
    assert np.all(a.grad.data[:, 1] == 0)
    il[2], tl[2] = 0, 1  # an empty input with a non-empty target
    _close(*_run(lp, tg, il, tl, reduction, zero_infinity=True), "zero_infinity, empty input")


def test_unbatched_and_empty_targets_match_torch():
    rng = np.random.default_rng(2)
    lp = _log_softmax(rng.normal(size=(6, 4)))
    for reduction in REDUCTIONS:
        a, b = ll.tensor(lp, requires_grad=True), torch.tensor(lp, requires_grad=True)
        out = L.ctc_loss(a, ll.tensor([1, 2, 2]), 6, 3, reduction=reduction)
        tout = F.ctc_loss(b, torch.tensor([1, 2, 2]), torch.tensor(6), torch.tensor(3), reduction=reduction)
        out.backward(), tout.backward()
        _close(out, tout, a, b, f"unbatched {reduction}")
        assert out.shape == ()
    lp3, _, il, _ = _batch(rng)
    _close(*_run(lp3, np.zeros(0, np.int64), il, np.zeros(4, np.int64), "mean"), "all targets empty")


def test_minus_inf_log_probs_give_torch_value_and_zero_gradient():
    rng = np.random.default_rng(3)
    lp, tg, il, tl = _batch(rng)
    lp[0, 0, 3] = -np.inf  # a class with probability 0 in one frame
    out, tout, a, b = _run(lp, tg, il, tl, "sum")
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10)
    assert a.grad.data[0, 0, 3] == 0.0  # PyTorch: nan (0 · ∞ in its formula)
    mask = np.ones(lp.shape, bool)
    mask[0, 0, 3] = False
    np.testing.assert_allclose(a.grad.data[mask], b.grad.numpy()[mask], rtol=1e-10, atol=1e-13)


# ----------------------------------------------------------------------------- references
def _brute_force_nll(lp, target, blank):
    """−log Σ over every frame labelling that collapses to ``target`` (tiny T and C only)."""
    t_max, c = lp.shape
    total = 0.0
    for path in itertools.product(range(c), repeat=t_max):
        collapsed = [k for i, k in enumerate(path) if (i == 0 or k != path[i - 1]) and k != blank]
        if collapsed == list(target):
            total += np.exp(sum(lp[t, k] for t, k in enumerate(path)))
    return -np.log(total)


@pytest.mark.parametrize("target", [[1], [1, 2], [2, 2], [1, 1, 2], [], [2, 1, 2]])
@pytest.mark.parametrize("blank", [0, 1])
def test_equals_brute_force_sum_over_alignments(target, blank):
    if blank in target:
        target = [c if c != blank else 3 - blank for c in target]  # {0,1} ↔ 2: keep labels ≠ blank
    rng = np.random.default_rng(len(target) + 10 * blank)
    t_max, c = 5, 3
    lp = _log_softmax(rng.normal(size=(t_max, 1, c)))
    want = _brute_force_nll(lp[:, 0], target, blank)
    got = L.ctc_loss(ll.tensor(lp), ll.tensor([target + [0] * (3 - len(target))]), [t_max], [len(target)],
                     blank=blank, reduction="sum")
    assert got.item() == pytest.approx(want, rel=1e-12)


def test_hand_computed():
    # uniform over 3 classes, T = 3, target "12": alignments 112, 122, 12b, 1b2, b12 → 5/27
    lp = ll.log_softmax(ll.zeros(3, 1, 3), dim=2)
    assert L.ctc_loss(lp, ll.tensor([[1, 2]]), [3], [2], reduction="sum").item() == pytest.approx(-np.log(5 / 27))
    # one frame, one label: −log y(label)
    z = np.log(np.array([[[0.2, 0.5, 0.3]]]))
    assert L.ctc_loss(ll.tensor(z), ll.tensor([[2]]), [1], [1], reduction="none").data[0] == pytest.approx(-np.log(0.3))
    # 'mean' divides by the target length: 2 labels → half the sum
    s = L.ctc_loss(lp, ll.tensor([[1, 2]]), [3], [2], reduction="sum").item()
    assert L.ctc_loss(lp, ll.tensor([[1, 2]]), [3], [2]).item() == pytest.approx(s / 2)


def _composed_nll(lp, target, t_len, blank):
    """CTC of one sequence composed from engine ops: the log-space α recursion over the states
    that can be reached (no −∞ enters a logsumexp), so the engine differentiates it."""
    ext = [blank]
    for k in target:
        ext += [k, blank]
    alpha = {0: lp[0, ext[0]]}
    if len(ext) > 1:
        alpha[1] = lp[0, ext[1]]
    for t in range(1, t_len):
        new = {}
        for s, k in enumerate(ext):
            preds = [alpha[j] for j in (s, s - 1) if j in alpha]
            if s >= 2 and k != blank and k != ext[s - 2] and s - 2 in alpha:
                preds.append(alpha[s - 2])
            if preds:
                new[s] = lp[t, k] + ll.logsumexp(ll.stack(preds), dim=0)
        alpha = new
    ends = [alpha[s] for s in {len(ext) - 1, max(len(ext) - 2, 0)} if s in alpha]
    return -ll.logsumexp(ll.stack(ends), dim=0)


def test_fused_primitive_equals_composed_recursion_values_and_gradients():
    rng = np.random.default_rng(4)
    z, tg, il, tl = _batch(rng, t_max=6, n=3, s_max=3)
    z = rng.normal(size=z.shape)
    # through log_softmax: both give the true gradient with respect to the logits
    zf, zc = ll.tensor(z, requires_grad=True), ll.tensor(z, requires_grad=True)
    fused = L.ctc_loss(ll.log_softmax(zf, dim=2), ll.tensor(tg), il, tl, reduction="none")
    lpc = ll.log_softmax(zc, dim=2)
    composed = ll.stack([_composed_nll(lpc[:, n], list(tg[n, : tl[n]]), il[n], 0) for n in range(3)])
    np.testing.assert_allclose(fused.data, composed.data, rtol=1e-12)
    fused.sum().backward(), composed.sum().backward()
    np.testing.assert_allclose(zf.grad.data, zc.grad.data, rtol=1e-10, atol=1e-13)
    # directly on log_probs: PyTorch's convention exp(lp) − γ vs the true derivative −γ
    lp = _log_softmax(z, axis=2)
    lf, lc = ll.tensor(lp, requires_grad=True), ll.tensor(lp, requires_grad=True)
    L.ctc_loss(lf, ll.tensor(tg), il, tl, reduction="sum").backward()
    ll.stack([_composed_nll(lc[:, n], list(tg[n, : tl[n]]), il[n], 0) for n in range(3)]).sum().backward()
    alive = (np.arange(6)[:, None] < il[None, :])[:, :, None]
    np.testing.assert_allclose(lf.grad.data, np.where(alive, np.exp(lp), 0.0) + lc.grad.data, rtol=1e-10, atol=1e-13)
    # so each live frame's gradient sums to 0 over the classes (Σ p − Σ γ = 1 − 1)
    np.testing.assert_allclose(lf.grad.data.sum(axis=2), 0.0, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_gradcheck_through_log_softmax(reduction):
    rng = np.random.default_rng(5)
    z, tg, il, tl = _batch(rng, t_max=6, n=3, s_max=3)
    zt = ll.tensor(rng.normal(size=z.shape), requires_grad=True)
    w = rng.uniform(0.5, 2.0, 3)
    assert ll.autograd.gradcheck(
        lambda t: L.ctc_loss(ll.log_softmax(t, dim=2), ll.tensor(tg), il, tl, reduction=reduction,
                             sample_weight=w), [zt])


# ----------------------------------------------------------------------------- contract
def test_sample_weight_and_batch_of_one():
    rng = np.random.default_rng(6)
    lp, tg, il, tl = _batch(rng)
    x = ll.tensor(lp)
    none = L.ctc_loss(x, tg, il, tl, reduction="none").data
    w = rng.uniform(0.0, 2.0, 4)
    got = L.ctc_loss(x, tg, il, tl, sample_weight=w).item()
    assert got == pytest.approx((w * none / np.maximum(tl, 1)).sum() / w.sum(), rel=1e-12)
    assert L.ctc_loss(x, tg, il, tl, reduction="sum", sample_weight=w).item() == pytest.approx((w * none).sum())
    for i in range(4):
        alone = L.ctc_loss(x[:, i:i + 1], tg[i:i + 1], il[i:i + 1], tl[i:i + 1], reduction="none").data
        np.testing.assert_allclose(alone, none[i:i + 1], rtol=1e-13)


def test_float32_class_and_repr():
    rng = np.random.default_rng(7)
    lp, tg, il, tl = _batch(rng)
    x32 = ll.tensor(lp.astype(np.float32), requires_grad=True)
    out = L.CTCLoss(blank=0, reduction="mean")(x32, tg, il, tl)
    assert out.dtype == np.float32
    out.backward()
    assert x32.grad.dtype == np.float32
    assert out.item() == pytest.approx(L.ctc_loss(ll.tensor(lp), tg, il, tl).item(), rel=1e-6)
    assert repr(L.CTCLoss()) == repr(torch.nn.CTCLoss()) == "CTCLoss()"
    np.testing.assert_array_equal(L.CTCLoss(reduction="none", zero_infinity=True)(ll.tensor(lp), tg, il, tl).data,
                                  L.ctc_loss(ll.tensor(lp), tg, il, tl, reduction="none", zero_infinity=True).data)


def test_extreme_logits_are_finite():
    rng = np.random.default_rng(8)
    lp, tg, il, tl = _batch(rng)
    for dtype in (np.float32, np.float64):
        z = ll.tensor((1e4 * np.sign(rng.normal(size=lp.shape))).astype(dtype), requires_grad=True)
        out = L.ctc_loss(ll.log_softmax(z, dim=2), tg, il, tl)
        out.backward()
        assert np.isfinite(out.item()) and np.isfinite(z.grad.data).all()


def test_create_graph_first_derivative_works_second_raises():
    rng = np.random.default_rng(9)
    lp, tg, il, tl = _batch(rng)
    x = ll.tensor(lp, requires_grad=True)
    (g,) = ll.autograd.grad(L.ctc_loss(x, tg, il, tl), [x], create_graph=True)
    y = ll.tensor(lp, requires_grad=True)
    L.ctc_loss(y, tg, il, tl).backward()
    np.testing.assert_allclose(g.data, y.grad.data, rtol=1e-14)
    with pytest.raises(RuntimeError, match="second derivative with respect to log_probs is not implemented"):
        (g * g).sum().backward()


# ----------------------------------------------------------------------------- bad input
def test_bad_input_errors():
    rng = np.random.default_rng(10)
    lp, tg, il, tl = _batch(rng)
    x = ll.tensor(lp)
    tg[1, :2] = [1, 2]
    with pytest.raises(ValueError, match=r"sequence 1 has no alignment: its target needs at least 2 frames .* input_lengths\[1\] = 1.*zero_infinity=True"):
        L.ctc_loss(x, tg, [9, 1, 3, 7], tl)
    bad = tg.copy()
    bad[0] = [2, 2, 3, 1]
    with pytest.raises(ValueError, match=r"sequence 0 has no alignment: its target needs at least 5 frames \(4 labels"):
        L.ctc_loss(x, bad, [4, 7, 3, 7], tl)
    bad = tg.copy()
    bad[3, 1] = 0
    with pytest.raises(ValueError, match="the targets of sequence 3 contain the blank label 0"):
        L.ctc_loss(x, bad, il, tl)
    bad[3, 1] = 5
    with pytest.raises(ValueError, match=r"targets contain class index 5, outside \[0, C\) = \[0, 5\)"):
        L.ctc_loss(x, bad, il, tl)
    with pytest.raises(TypeError, match=r"targets must hold integers \(int64\), got dtype float64 \(convert with .long\(\)\)"):
        L.ctc_loss(x, tg.astype(float), il, tl)
    with pytest.raises(TypeError, match="input_lengths must hold integers"):
        L.ctc_loss(x, tg, il.astype(float), tl)
    with pytest.raises(ValueError, match=r"input_lengths must lie in \[0, T\] = \[0, 9\], got 10"):
        L.ctc_loss(x, tg, [10, 7, 3, 7], tl)
    with pytest.raises(ValueError, match="target_lengths must be ≥ 0, got -1"):
        L.ctc_loss(x, tg, il, [4, 2, -1, 3])
    with pytest.raises(ValueError, match=r"target_lengths 5 exceeds the padded targets' length S = 4"):
        L.ctc_loss(x, tg, il, [5, 2, 0, 3])
    with pytest.raises(ValueError, match=r"concatenated 1-D targets must have length sum\(target_lengths\) = 9, got 8"):
        L.ctc_loss(x, np.ones(8, np.int64), il, tl)
    with pytest.raises(ValueError, match=r"input_lengths must have shape \(N,\) = \(4,\)"):
        L.ctc_loss(x, tg, il[:3], tl)
    with pytest.raises(ValueError, match=r"blank must be a class index in \[0, C\) = \[0, 5\), got 5"):
        L.ctc_loss(x, tg, il, tl, blank=5)
    with pytest.raises(ValueError, match=r"log_probs must have shape \(T, N, C\) or \(T, C\)"):
        L.ctc_loss(ll.tensor(np.zeros((2, 3, 4, 5))), tg, il, tl)
    with pytest.raises(TypeError, match="input must be a floating tensor"):
        L.ctc_loss(ll.tensor(np.zeros((9, 4, 5), np.int64)), tg, il, tl)
    with pytest.raises(ValueError, match=r"padded targets must have shape \(N, S\) with N = 4"):
        L.ctc_loss(x, tg[:3], il, tl)
    with pytest.raises(ValueError, match="sample_weight needs a batch"):
        L.ctc_loss(ll.tensor(lp[:, 0]), [1, 2], 9, 2, sample_weight=[1.0])
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        L.ctc_loss(x, tg, il, tl, reduction="avg")
