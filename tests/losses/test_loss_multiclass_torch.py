"""The multiclass/multilabel losses PyTorch has (multi_margin_loss, multilabel_margin_loss,
multilabel_soft_margin_loss): every option against torch 2.13 in float64 (values, input and
target/weight gradients), kinks, PyTorch's shapes; then what losslab adds beyond PyTorch
(ignore_index, label_smoothing, sample_weight), checked against references built from torch's
own loss; bad input; the classes."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L

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


# ============================================================================ multi_margin_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.3, -0.2, 2.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_matches_torch(reduction, p, margin, weighted):
    r = rng(1)
    x, y = t64(r.normal(size=(7, 5))), i64(r.integers(0, 5, 7))
    kw = {"p": p, "margin": margin}
    if weighted:
        kw["weight"] = t64(r.uniform(0.2, 3.0, 5))
    check_vs_torch(L.multi_margin_loss, F.multi_margin_loss, x, y, kw, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("target", [np.int64(2), np.array([2])])
def test_multi_margin_unbatched_matches_torch(reduction, target):
    x = t64(rng(2).normal(size=5))
    out = check_vs_torch(L.multi_margin_loss, F.multi_margin_loss, x, i64(target), {"p": 2}, reduction)
    if reduction == "none":
        assert out.shape == target.shape  # () or (1,), as PyTorch


@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_at_the_kink_matches_torch(p):
    # margin − x_y + x_i = 0 exactly: PyTorch's kernel tests z > 0, so the hinge's gradient is 0
    x = t64([[0.0, 1.0, 0.5], [2.0, 1.0, 1.0]])
    check_vs_torch(L.multi_margin_loss, F.multi_margin_loss, x, i64([1, 0]), {"p": p}, "sum")


def test_multi_margin_extreme_scores_match_torch():
    x = t64([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]])
    for p in (1, 2):
        check_vs_torch(L.multi_margin_loss, F.multi_margin_loss, x, i64([1, 0]), {"p": p}, "none", rtol=1e-13)


def test_multi_margin_hand_computed():
    # C = 4, y = 3: hinges 1 − 0.8 + {0.1, 0.2, 0.4} = {0.3, 0.4, 0.6}; mean over C
    x, y = t64([[0.1, 0.2, 0.4, 0.8]]), i64([3])
    assert L.multi_margin_loss(x, y).item() == pytest.approx(1.3 / 4, rel=1e-14)
    assert L.multi_margin_loss(x, y, p=2).item() == pytest.approx((0.09 + 0.16 + 0.36) / 4, rel=1e-14)
    assert L.multi_margin_loss(x, y, weight=t64([1, 1, 1, 2.0])).item() == pytest.approx(2.6 / 4, rel=1e-14)


# --------------------------------------------------------------------------- beyond PyTorch
def _torch_mm(x, y, **kw):
    return F.multi_margin_loss(torch.from_numpy(x), torch.from_numpy(np.asarray(y)), reduction="none", **kw).numpy()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_ignore_index_drops_targets_from_sum_and_mean(reduction):
    r = rng(3)
    x0, y0 = r.normal(size=(6, 4)), r.integers(0, 4, 6)
    y0[[0, 3]] = -1
    keep = y0 != -1
    per = np.zeros(6)
    per[keep] = _torch_mm(x0[keep], y0[keep], p=2)
    expected = {"none": per, "sum": per.sum(), "mean": per[keep].mean()}[reduction]
    got = L.multi_margin_loss(t64(x0), i64(y0), p=2, ignore_index=-1, reduction=reduction)
    np.testing.assert_allclose(got.data, expected, rtol=1e-12)
    x = t64(x0).requires_grad_()
    L.multi_margin_loss(x, i64(y0), ignore_index=-1).backward()
    np.testing.assert_array_equal(x.grad.data[~keep], 0.0)


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_label_smoothing_is_the_expectation_over_smoothed_targets(p, weighted):
    # ℓ_ε = (1 − ε)·ℓ(x, y) + (ε/C)·Σ_c ℓ(x, c), with ℓ PyTorch's own loss for each target c
    r = rng(4)
    x0, y0, eps = r.normal(size=(5, 4)), r.integers(0, 4, 5), 0.3
    kw = {"p": p, "margin": 0.7}
    if weighted:
        kw["weight"] = torch.from_numpy(r.uniform(0.5, 2.0, 4))
    every = np.stack([_torch_mm(x0, np.full(5, c), **kw) for c in range(4)], axis=1)
    expected = (1 - eps) * every[np.arange(5), y0] + eps / 4 * every.sum(1)
    ll_kw = {k: (t64(v.numpy()) if k == "weight" else v) for k, v in kw.items()}
    got = L.multi_margin_loss(t64(x0), i64(y0), label_smoothing=eps, reduction="none", **ll_kw)
    np.testing.assert_allclose(got.data, expected, rtol=1e-12)
    x = t64(x0).requires_grad_()
    assert ll.autograd.gradcheck(lambda a: L.multi_margin_loss(a, i64(y0), label_smoothing=eps, **ll_kw), [x])


def test_multi_margin_sample_weight_mean_divides_by_the_kept_weights():
    r = rng(5)
    x0, y0 = r.normal(size=(5, 3)), np.array([0, 1, 2, 1, 0])
    sw = np.array([1.0, 2.0, 0.0, 0.5, 3.0])
    per = _torch_mm(x0, y0)
    got = L.multi_margin_loss(t64(x0), i64(y0), sample_weight=sw, ignore_index=0)
    keep = y0 != 0
    np.testing.assert_allclose(got.item(), (sw * per)[keep].sum() / sw[keep].sum(), rtol=1e-13)


# ============================================================================ multilabel_margin_loss
def _label_lists(r, n, c):
    t = np.full((n, c), -1, dtype=np.int64)
    for i in range(n):
        k = r.integers(0, c + 1)  # 0 … C targets (0: no target at all, C: every class)
        t[i, :k] = r.choice(c, size=k, replace=bool(r.random() < 0.3))  # duplicates sometimes
        if k + 1 < c:
            t[i, k + 1:] = r.integers(-1, c, size=c - k - 1)  # after the first −1: ignored
    return t


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", [6, 7])
def test_multilabel_margin_matches_torch(reduction, seed):
    r = rng(seed)
    x, y = t64(r.normal(size=(8, 5))), i64(_label_lists(r, 8, 5))
    check_vs_torch(L.multilabel_margin_loss, F.multilabel_margin_loss, x, y, {}, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_unbatched_and_kink_match_torch(reduction):
    check_vs_torch(L.multilabel_margin_loss, F.multilabel_margin_loss, t64([0.1, 0.2, 0.4, 0.8]),
                   i64([3, 0, -1, 1]), {}, reduction)
    # x_j − x_i = 1 exactly (a kink): gradient 0 there, as PyTorch
    check_vs_torch(L.multilabel_margin_loss, F.multilabel_margin_loss, t64([[1.0, 0.0, 0.5]]),
                   i64([[0, -1, 2]]), {}, reduction)


def test_multilabel_margin_hand_computed_and_duplicates_count_twice():
    x = t64([[0.1, 0.2, 0.4, 0.8]])
    # targets {3, 0}; non-targets {1, 2}: (1.1 + 1.3 + 0.4 + 0.6) / 4
    assert L.multilabel_margin_loss(x, i64([[3, 0, -1, 1]])).item() == pytest.approx(0.85, rel=1e-14)
    once = L.multilabel_margin_loss(x, i64([[0, -1, -1, -1]])).item()
    assert L.multilabel_margin_loss(x, i64([[0, 0, -1, -1]])).item() == pytest.approx(2 * once, rel=1e-14)
    assert L.multilabel_margin_loss(x, i64([[0, 1, 2, 3]])).item() == 0.0  # no non-target class


def test_multilabel_margin_sample_weight():
    r = rng(8)
    x0, y0 = r.normal(size=(4, 3)), _label_lists(r, 4, 3)
    sw = np.array([0.5, 1.0, 2.0, 0.0])
    per = F.multilabel_margin_loss(torch.from_numpy(x0), torch.from_numpy(y0), reduction="none").numpy()
    got = L.multilabel_margin_loss(t64(x0), i64(y0), sample_weight=sw)
    np.testing.assert_allclose(got.item(), (sw * per).sum() / sw.sum(), rtol=1e-13)


# ============================================================================ multilabel_soft_margin
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("wshape", [None, (4,), (6, 1), (6, 4)])
def test_multilabel_soft_margin_matches_torch(reduction, wshape):
    r = rng(9)
    x = t64(r.normal(scale=3.0, size=(6, 4)))
    y = t64(np.where(r.random((6, 4)) < 0.5, r.integers(0, 2, (6, 4)), r.uniform(0, 1, (6, 4))))
    kw = {} if wshape is None else {"weight": t64(r.uniform(0.2, 2.0, wshape))}
    check_vs_torch(L.multilabel_soft_margin_loss, F.multilabel_soft_margin_loss, x, y, kw, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (3, 2, 4)])
def test_multilabel_soft_margin_other_ranks_match_torch(reduction, shape):
    r = rng(10)
    x, y = t64(r.normal(size=shape)), t64(r.integers(0, 2, shape))
    check_vs_torch(L.multilabel_soft_margin_loss, F.multilabel_soft_margin_loss, x, y, {}, reduction)


def test_multilabel_soft_margin_extreme_logits_match_torch_and_stay_finite():
    x = t64([[1e4, -1e4, 1e4], [-1e4, 1e4, 800.0]])
    y = t64([[1.0, 0.0, 0.0], [1.0, 1.0, 0.5]])
    out = check_vs_torch(L.multilabel_soft_margin_loss, F.multilabel_soft_margin_loss, x, y, {}, "none", rtol=1e-13)
    np.testing.assert_allclose(out.data, [1e4 / 3, 1e4 / 3 + 400.0 / 3], rtol=1e-14)


def test_multilabel_soft_margin_weight_is_differentiable():
    r = rng(11)
    x = t64(r.normal(size=(3, 4))).requires_grad_()
    y = t64(r.uniform(0, 1, (3, 4))).requires_grad_()
    w = t64(r.uniform(0.5, 2.0, 4)).requires_grad_()
    f = lambda a, b, c: L.multilabel_soft_margin_loss(a, b, c)  # noqa: E731
    assert ll.autograd.gradcheck(f, [x, y, w])
    assert ll.autograd.gradgradcheck(f, [x, y, w])


# ============================================================================ bad input
def test_multi_margin_bad_input():
    x = t64(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="only p == 1 and p == 2 are supported"):
        L.multi_margin_loss(x, i64([0, 1, 2]), p=3)
    with pytest.raises(ValueError, match=r"vector \(C,\) or matrix \(N, C\), got shape \(3, 4, 2\)"):
        L.multi_margin_loss(t64(np.zeros((3, 4, 2))), i64(np.zeros((3, 2))))
    with pytest.raises(L.ClassIndexError, match=r"class index 4, outside \[0, 4\)"):
        L.multi_margin_loss(x, i64([0, 4, 2]))
    with pytest.raises(TypeError, match="integer class indices"):
        L.multi_margin_loss(x, t64([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"must have shape \(3,\)"):
        L.multi_margin_loss(x, i64([0, 1]))
    with pytest.raises(ValueError, match=r"weight must hold one value per class, shape \(4,\)"):
        L.multi_margin_loss(x, i64([0, 1, 2]), weight=t64([1.0, 2.0]))
    with pytest.raises(ValueError, match="margin must be a finite number"):
        L.multi_margin_loss(x, i64([0, 1, 2]), margin=float("inf"))
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0"):
        L.multi_margin_loss(x, i64([0, 1, 2]), label_smoothing=2.0)


def test_multilabel_margin_bad_input():
    x = t64(np.zeros((2, 3)))
    with pytest.raises(L.ClassIndexError, match=r"target contains 3, outside \[-1, 3\)"):
        L.multilabel_margin_loss(x, i64([[0, 3, -1], [0, -1, -1]]))
    with pytest.raises(L.ClassIndexError, match=r"target contains -2"):
        L.multilabel_margin_loss(x, i64([[0, -2, -1], [0, -1, -1]]))
    with pytest.raises(ValueError, match=r"outside \[-1, 3\)"):  # also after the first −1 (PyTorch checks)
        L.multilabel_margin_loss(x, i64([[0, -1, 7], [0, -1, -1]]))
    with pytest.raises(TypeError, match="integer class indices padded with -1"):
        L.multilabel_margin_loss(x, t64([[0, 1, -1], [0, -1, -1]]))
    with pytest.raises(ValueError, match=r"target must have the input's shape \(2, 3\)"):
        L.multilabel_margin_loss(x, i64([0, 1]))
    with pytest.raises(ValueError, match="non-empty vector"):
        L.multilabel_margin_loss(t64(np.zeros((2, 3, 1))), i64(np.zeros((2, 3, 1))))


def test_multilabel_soft_margin_bad_input():
    x = t64(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"labels in \[0, 1\].*got -1.0 \(±1 labels: convert them with \(y \+ 1\) / 2\)"):
        L.multilabel_soft_margin_loss(x, t64([[1, -1, 1], [-1, 1, 1]]))
    with pytest.raises(ValueError, match=r"input \(2, 3\) and target \(2, 2\)"):
        L.multilabel_soft_margin_loss(x, t64(np.zeros((2, 2))))
    with pytest.raises(ValueError, match=r"weight of shape \(2,\) does not broadcast"):
        L.multilabel_soft_margin_loss(x, t64(np.zeros((2, 3))), weight=t64([1.0, 2.0]))
    with pytest.raises(ValueError, match="class dimension"):
        L.multilabel_soft_margin_loss(t64(1.0), t64(1.0))


# ============================================================================ classes
@pytest.mark.parametrize("name", ["MultiMarginLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss"])
def test_classes_repr_and_deprecated_arguments_like_torch(name):
    cls, tcls = getattr(L, name), getattr(torch.nn, name)
    assert repr(cls()) == repr(tcls()) == f"{name}()"
    with pytest.warns(DeprecationWarning, match="deprecated"):
        ours = cls(size_average=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ours.reduction == tcls(size_average=False).reduction == "sum"


def test_multi_margin_class_forwards_every_option_and_keeps_weight_as_buffer():
    r = rng(12)
    x, y = t64(r.normal(size=(5, 3))), i64([0, 1, 2, 1, 0])
    crit = L.MultiMarginLoss(p=2, margin=0.5, weight=t64([1.0, 2.0, 3.0]), reduction="sum",
                             ignore_index=2, label_smoothing=0.1)
    assert list(crit.state_dict()) == ["weight"]
    sw = np.array([1.0, 0.5, 2.0, 1.0, 0.0])
    expected = L.multi_margin_loss(x, y, 2, 0.5, t64([1.0, 2.0, 3.0]), reduction="sum", ignore_index=2,
                                   label_smoothing=0.1, sample_weight=sw)
    H.assert_close(crit(x, y, sample_weight=sw), expected.data, rtol=0)
    tc = torch.nn.MultiMarginLoss(p=2, margin=0.5, weight=torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    H.assert_close(L.MultiMarginLoss(p=2, margin=0.5, weight=t64([1.0, 2.0, 3.0]))(x, y),
                   tc(H.to_torch(torch, x), H.to_torch(torch, y)))
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        L.MultiMarginLoss(p=3)


def test_multilabel_classes_forward():
    r = rng(13)
    x = t64(r.normal(size=(4, 3)))
    y = i64(_label_lists(r, 4, 3))
    H.assert_close(L.MultiLabelMarginLoss(reduction="none")(x, y),
                   F.multilabel_margin_loss(H.to_torch(torch, x), H.to_torch(torch, y), reduction="none"))
    t = t64(r.integers(0, 2, (4, 3)))
    w = t64([1.0, 0.5, 2.0])
    crit = L.MultiLabelSoftMarginLoss(weight=w)
    assert list(crit.state_dict()) == ["weight"]
    H.assert_close(crit(x, t), F.multilabel_soft_margin_loss(H.to_torch(torch, x), H.to_torch(torch, t),
                                                           weight=H.to_torch(torch, w)))
