"""Pair and triplet losses against PyTorch 2.13 (float64): margin_ranking_loss,
hinge_embedding_loss, cosine_embedding_loss, triplet_margin_loss,
triplet_margin_with_distance_loss — values and gradients of *every* tensor argument (the generic
registry tests only see the first two), across reductions and options, at the kinks, for 1-D
inputs; the classes; sample_weight; bad input."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L

torch = pytest.importorskip("torch")
F = torch.nn.functional

REDUCTIONS = ("none", "mean", "sum")


def _pm1(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _both(ll_fn, t_fn, arrays, kwargs, reduction, *, t_kwargs=None, seed=0, grad=None):
    """Run both libraries on copies of ``arrays`` (all float arrays require grad); backpropagate
    one random upstream gradient; return (ll_out, t_out, ll_leaves, t_leaves)."""
    grad = grad if grad is not None else [a.dtype.kind == "f" for a in arrays]
    ls = [ll.tensor(a.copy(), requires_grad=g) for a, g in zip(arrays, grad)]
    ts = [torch.tensor(a.copy(), requires_grad=g) for a, g in zip(arrays, grad)]
    out = ll_fn(*ls, reduction=reduction, **kwargs)
    tout = t_fn(*ts, reduction=reduction, **(kwargs if t_kwargs is None else t_kwargs))
    g = np.random.default_rng(seed).uniform(0.5, 1.5, size=out.shape)
    out.backward(ll.tensor(g))
    tout.backward(torch.tensor(g))
    return out, tout, ls, ts


def _check(out, tout, ls, ts, what):
    assert out.shape == tuple(tout.shape), what
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-14, err_msg=what)
    for i, (a, b) in enumerate(zip(ls, ts)):
        if b.grad is None:
            assert a.grad is None or np.all(a.grad.data == 0), f"{what}: arg {i} has a gradient torch lacks"
        else:
            np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-10, atol=1e-14,
                                       err_msg=f"{what}: d/d arg {i}")


# ----------------------------------------------------------------------------- vs PyTorch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5, -0.3])
def test_margin_ranking_matches_torch_including_target_gradient(reduction, margin):
    rng = np.random.default_rng(1)
    arrays = [rng.normal(size=7), rng.normal(size=7), _pm1(rng, 7)]
    _check(*_both(L.margin_ranking_loss, F.margin_ranking_loss, arrays, {"margin": margin}, reduction),
           f"margin_ranking {reduction} {margin}")
    # 2-D
    arrays = [rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), _pm1(rng, (3, 4))]
    _check(*_both(L.margin_ranking_loss, F.margin_ranking_loss, arrays, {"margin": margin}, reduction),
           f"margin_ranking 2-D {reduction}")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.3, 2.0])
def test_hinge_embedding_matches_torch(reduction, margin):
    rng = np.random.default_rng(2)
    arrays = [rng.uniform(0, 2.5, (4, 5)), _pm1(rng, (4, 5))]
    _check(*_both(L.hinge_embedding_loss, F.hinge_embedding_loss, arrays, {"margin": margin}, reduction),
           f"hinge_embedding {reduction}")
    arrays = [rng.normal(size=6), _pm1(rng, 6)]  # negative "distances" are accepted, as torch
    _check(*_both(L.hinge_embedding_loss, F.hinge_embedding_loss, arrays, {"margin": margin}, reduction),
           f"hinge_embedding 1-D {reduction}")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.4, -0.5])
def test_cosine_embedding_matches_torch(reduction, margin):
    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=(6, 4)), rng.normal(size=(6, 4)), _pm1(rng, 6)]
    _check(*_both(L.cosine_embedding_loss, F.cosine_embedding_loss, arrays, {"margin": margin}, reduction),
           f"cosine_embedding {reduction}")
    arrays = [rng.normal(size=4), rng.normal(size=4), np.array(-1.0)]
    _check(*_both(L.cosine_embedding_loss, F.cosine_embedding_loss, arrays, {"margin": margin}, reduction),
           f"cosine_embedding unbatched {reduction}")


def test_cosine_embedding_zero_vector_and_int_targets_match_torch():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    a[1] = 0.0  # torch's ε on the squared norms keeps cos = 0 and the gradient finite
    y = np.array([1, -1, 1])
    out, tout, ls, ts = _both(L.cosine_embedding_loss, F.cosine_embedding_loss, [a, b, y], {}, "sum")
    _check(out, tout, ls, ts, "cosine_embedding with a zero vector and int64 targets")
    assert np.isfinite(ls[0].grad.data).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, float("inf")])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_matches_torch_for_all_three_inputs(reduction, p, swap):
    rng = np.random.default_rng(5)
    arrays = [rng.normal(size=(6, 3)) for _ in range(3)]
    kw = {"margin": 1.5, "p": p, "eps": 1e-3, "swap": swap}
    _check(*_both(L.triplet_margin_loss, F.triplet_margin_loss, arrays, kw, reduction),
           f"triplet {reduction} p={p} swap={swap}")


@pytest.mark.parametrize("shape", [(4,), (2, 3, 4)])
def test_triplet_margin_unbatched_and_extra_dims_match_torch(shape):
    rng = np.random.default_rng(6)
    arrays = [rng.normal(size=shape) for _ in range(3)]
    for reduction in REDUCTIONS:
        _check(*_both(L.triplet_margin_loss, F.triplet_margin_loss, arrays, {"eps": 0.0}, reduction),
               f"triplet shape {shape} {reduction}")


def _ll_cosine_distance(a, b):
    return 1.0 - (a * b).sum(dim=-1) / ((a * a).sum(dim=-1) * (b * b).sum(dim=-1)).sqrt()


def _t_cosine_distance(a, b):
    return 1.0 - (a * b).sum(dim=-1) / ((a * a).sum(dim=-1) * (b * b).sum(dim=-1)).sqrt()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("custom", [False, True])
def test_triplet_with_distance_matches_torch(reduction, swap, custom):
    rng = np.random.default_rng(7)
    arrays = [rng.normal(size=(6, 3)) for _ in range(3)]
    kw = {"margin": 0.7 if custom else 2.0, "swap": swap}
    if custom:
        lkw, tkw = {**kw, "distance_function": _ll_cosine_distance}, {**kw, "distance_function": _t_cosine_distance}
    else:
        lkw = tkw = kw
    _check(*_both(L.triplet_margin_with_distance_loss, F.triplet_margin_with_distance_loss, arrays,
                  lkw, reduction, t_kwargs=tkw),
           f"triplet_with_distance {reduction} swap={swap} custom={custom}")


def test_pairwise_distance_matches_torch():
    rng = np.random.default_rng(8)
    for p in (1.0, 2.0, 3.5, float("inf")):
        for keepdim in (False, True):
            a, b = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
            la, lb = ll.tensor(a, requires_grad=True), ll.tensor(b, requires_grad=True)
            ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
            out = L.pairwise_distance(la, lb, p, 1e-4, keepdim)
            tout = F.pairwise_distance(ta, tb, p, 1e-4, keepdim)
            np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
            out.sum().backward(), tout.sum().backward()
            np.testing.assert_allclose(la.grad.data, ta.grad.numpy(), rtol=1e-10, atol=1e-14)
            np.testing.assert_allclose(lb.grad.data, tb.grad.numpy(), rtol=1e-10, atol=1e-14)
    assert repr(L.PairwiseDistance()) == repr(torch.nn.PairwiseDistance()) == "PairwiseDistance()"


# ----------------------------------------------------------------------------- kinks
def test_kink_gradients_follow_torch_clamp_min():
    """At the hinge the gradient is kept (PyTorch's clamp_min passes it at the bound)."""
    x1, x2, y = np.array([1.0, 2.0]), np.array([1.0, 2.5]), np.array([1.0, -1.0])
    # element 0: −1·0 + 0 = 0; element 1: −(−1)(−0.5) + 0.5 = 0 → both exactly at the kink
    _check(*_both(L.margin_ranking_loss, F.margin_ranking_loss, [x1, x2, y], {"margin": 0.5}, "sum"),
           "margin ranking at the kink")
    _check(*_both(L.hinge_embedding_loss, F.hinge_embedding_loss, [np.array([1.0, 0.5]), np.array([-1.0, -1.0])],
                  {"margin": 1.0}, "sum"), "hinge embedding at x = margin")
    a, p = np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]])
    n = np.array([[6.0, 8.0]])  # d(a,p) = 5, d(a,n) = 10 (eps = 0), margin 5: exactly at the kink
    _check(*_both(L.triplet_margin_loss, F.triplet_margin_loss, [a, p, n], {"margin": 5.0, "eps": 0.0}, "sum"),
           "triplet at the kink")
    # swap tie: d(a, n) = d(p, n)
    a, p, n = np.array([[0.0, 0.0]]), np.array([[2.0, 0.0]]), np.array([[1.0, 3.0]])
    _check(*_both(L.triplet_margin_loss, F.triplet_margin_loss, [a, p, n],
                  {"margin": 3.0, "eps": 0.0, "swap": True}, "sum"), "triplet swap tie")


# ----------------------------------------------------------------------------- hand-computed
def test_hand_computed_values():
    out = L.margin_ranking_loss(ll.tensor([3.0, 1.0]), ll.tensor([1.0, 2.0]), ll.tensor([1.0, 1.0]),
                                margin=0.5, reduction="none")
    np.testing.assert_allclose(out.data, [0.0, 1.5])
    out = L.hinge_embedding_loss(ll.tensor([0.2, 0.3, 1.5]), ll.tensor([1, -1, -1]), reduction="none")
    np.testing.assert_allclose(out.data, [0.2, 0.7, 0.0])
    out = L.cosine_embedding_loss(ll.tensor([[1.0, 0.0]]), ll.tensor([[1.0, 1.0]]), ll.tensor([1]))
    np.testing.assert_allclose(out.item(), 1 - 1 / np.sqrt(2), rtol=1e-6)
    a = ll.tensor([[0.0, 0.0]])
    out = L.triplet_margin_loss(a, ll.tensor([[1.0, 0.0]]), ll.tensor([[0.0, 1.5]]), eps=0.0)
    assert out.item() == pytest.approx(0.5)
    out = L.triplet_margin_loss(a, ll.tensor([[1.0, 0.0]]), ll.tensor([[0.0, 1.5]]), eps=0.0, p=1.0,
                                margin=2.0)
    assert out.item() == pytest.approx(1.5)


# ----------------------------------------------------------------------------- options beyond torch
@pytest.mark.parametrize("name", ["margin_ranking_loss", "cosine_embedding_loss", "triplet_margin_loss",
                                  "triplet_margin_with_distance_loss", "hinge_embedding_loss"])
def test_sample_weight_weights_each_pair_or_triplet(name):
    info = L.get(name)
    rng = np.random.default_rng(9)
    x, y, kw = info.make_example(rng, np.float64)
    none = info.fn(x, y, reduction="none", **kw).data
    w = rng.uniform(0.0, 2.0, none.shape[0])
    wb = w.reshape((-1,) + (1,) * (none.ndim - 1))
    got = info.fn(x, y, reduction="mean", sample_weight=w, **kw).item()
    assert got == pytest.approx((none * wb).sum() / (np.broadcast_to(wb, none.shape)).sum(), rel=1e-12)
    # gradients flow through the weighting (weights themselves are data)
    lx = ll.tensor(x.data, requires_grad=True)
    info.fn(lx, y, reduction="sum", sample_weight=w, **kw).backward()
    assert np.isfinite(lx.grad.data).all()


def test_float32_stays_float32():
    rng = np.random.default_rng(10)
    a, p, n = (ll.tensor(rng.normal(size=(3, 4)).astype(np.float32), requires_grad=True) for _ in range(3))
    out = L.triplet_margin_loss(a, p, n)
    assert out.dtype == np.float32
    out.backward()
    assert a.grad.dtype == np.float32 and n.grad.dtype == np.float32
    y = ll.tensor([1.0, -1.0, 1.0], dtype=ll.float32)
    assert L.cosine_embedding_loss(a, p, y).dtype == np.float32
    assert L.margin_ranking_loss(a[:, 0], p[:, 0], y).dtype == np.float32


# ----------------------------------------------------------------------------- classes
def test_classes_equal_functions_and_torch_reprs():
    rng = np.random.default_rng(11)
    a, p, n = (ll.tensor(rng.normal(size=(4, 3))) for _ in range(3))
    y = ll.tensor(_pm1(rng, 4))
    pairs = [
        (L.MarginRankingLoss(margin=0.2, reduction="sum")(a[:, 0], p[:, 0], y),
         L.margin_ranking_loss(a[:, 0], p[:, 0], y, 0.2, reduction="sum")),
        (L.HingeEmbeddingLoss(margin=2.0)(a.abs(), ll.tensor(_pm1(rng, (4, 3)))), None),
        (L.CosineEmbeddingLoss(margin=0.1, reduction="none")(a, p, y),
         L.cosine_embedding_loss(a, p, y, 0.1, reduction="none")),
        (L.TripletMarginLoss(margin=0.5, p=1.0, swap=True)(a, p, n),
         L.triplet_margin_loss(a, p, n, 0.5, 1.0, swap=True)),
        (L.TripletMarginWithDistanceLoss(distance_function=_ll_cosine_distance, margin=0.3)(a, p, n),
         L.triplet_margin_with_distance_loss(a, p, n, distance_function=_ll_cosine_distance, margin=0.3)),
        (L.TripletMarginWithDistanceLoss()(a, p, n), L.triplet_margin_with_distance_loss(a, p, n)),
    ]
    for got, want in pairs:
        if want is not None:
            np.testing.assert_array_equal(got.data, want.data)
    for cls in ("MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss", "TripletMarginLoss",
                "TripletMarginWithDistanceLoss"):
        assert repr(getattr(L, cls)()) == repr(getattr(torch.nn, cls)())
    w = np.array([1.0, 0.0, 2.0, 1.0])
    np.testing.assert_allclose(L.TripletMarginLoss()(a, p, n, sample_weight=w).data,
                               L.triplet_margin_loss(a, p, n, sample_weight=w).data)


def test_deprecated_size_average_maps_to_reduction():
    with pytest.warns(DeprecationWarning, match="reduction='sum'"):
        crit = L.MarginRankingLoss(size_average=False)
    assert crit.reduction == "sum"


# ----------------------------------------------------------------------------- bad input
def test_bad_input_errors():
    x, y = ll.tensor([1.0, 2.0]), ll.tensor([0.5, 1.0])
    with pytest.raises(ValueError, match=r"target must hold labels ±1 .*got values \[0.0\].*2 \* target - 1"):
        L.margin_ranking_loss(x, y, ll.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"target must hold labels ±1.*got values \[0.5\]"):
        L.hinge_embedding_loss(x, ll.tensor([0.5, 1.0]))
    with pytest.raises(ValueError, match=r"input1 and input2 must have the same shape, got input1 \(2,\) and input2 \(3,\)"):
        L.margin_ranking_loss(x, ll.tensor([1.0, 2.0, 3.0]), ll.tensor([1.0, 1.0]))
    with pytest.raises(ValueError, match=r"input1 and target must have the same shape"):
        L.margin_ranking_loss(x, y, ll.tensor([[1.0, 1.0]]))
    with pytest.raises(ValueError, match=r"input and target must have the same shape"):
        L.hinge_embedding_loss(x, ll.tensor([[1.0, -1.0]]))
    with pytest.raises(TypeError, match="input1 must be a floating tensor"):
        L.margin_ranking_loss(ll.tensor([1, 2]), y, ll.tensor([1.0, 1.0]))
    e = ll.tensor(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"target must have shape \(3,\) \(one label per pair\)"):
        L.cosine_embedding_loss(e, e, ll.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"\(N, D\) batches or single \(D,\) embeddings, got shape \(2, 3, 4\)"):
        L.cosine_embedding_loss(ll.tensor(np.ones((2, 3, 4))), ll.tensor(np.ones((2, 3, 4))), ll.tensor([1.0, 1.0]))
    with pytest.raises(ValueError, match="target must hold labels ±1"):
        L.cosine_embedding_loss(e, e, ll.tensor([1.0, 0.0, -1.0]))
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0.0"):
        L.triplet_margin_loss(e, e, e, margin=0.0)
    with pytest.raises(ValueError, match="margin must be greater than 0, got -1"):
        L.triplet_margin_with_distance_loss(e, e, e, margin=-1)
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        L.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError, match=r"p must be a positive number \(or inf\), got 0"):
        L.triplet_margin_loss(e, e, e, p=0)
    with pytest.raises(ValueError, match=r"anchor and negative must have the same shape, got anchor \(3, 4\) and negative \(1, 4\)"):
        L.triplet_margin_loss(e, e, ll.tensor(np.ones((1, 4))))
    with pytest.raises(ValueError, match="same number of dimensions"):
        L.triplet_margin_with_distance_loss(e, e, ll.tensor(np.ones(4)), distance_function=_ll_cosine_distance)
    with pytest.raises(TypeError, match="distance_function must be callable"):
        L.triplet_margin_with_distance_loss(e, e, e, distance_function="euclidean")
    with pytest.raises(TypeError, match="distance_function must return a losslab Tensor"):
        L.triplet_margin_with_distance_loss(e, e, e, distance_function=lambda u, v: np.zeros(3))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        L.triplet_margin_loss(e, e, e, reduction="avg")
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(N,\) with N = 3"):
        L.triplet_margin_loss(e, e, e, sample_weight=[1.0, 1.0])
    with pytest.raises(ValueError, match=r"x1 and x2 must have the same shape"):
        L.pairwise_distance(e, ll.tensor(np.ones((1, 4))))
