"""Gradient clipping: clip_grad_norm_ / clip_grad_value_ (and get_total_norm /
clip_grads_with_norm_) against torch.nn.utils for every norm type, several parameters, float32,
mixed dtypes, missing gradients and non-finite norms; bad input; losslab.nn.utils."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import losslab as ll
import losslab.nn as nn
from losslab.optim import clip_grad_norm_, clip_grad_value_
from losslab.optim.clip import clip_grads_with_norm_, get_total_norm

import adaptive_testutil as T

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), (), (2, 1, 3)]


def _pair(grads, dtype=np.float64, none_at=()):
    """losslab and torch parameters with the given gradients (None at the indices in none_at)."""
    lp, tp = [], []
    for i, g in enumerate(grads):
        g = np.asarray(g, dtype=dtype)
        p, q = ll.tensor(np.zeros_like(g), requires_grad=True), torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype, requires_grad=True)
        if i not in none_at:
            p.grad = ll.tensor(g.copy())
            q.grad = torch.from_numpy(g.copy())
        lp.append(p)
        tp.append(q)
    return lp, tp


def _grads(seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s) * scale for s in SHAPES]


def _assert_grads_equal(lp, tp, rtol=1e-15):
    for p, q in zip(lp, tp):
        if q.grad is None:
            assert p.grad is None
        else:
            assert p.grad.data.dtype == q.grad.numpy().dtype
            np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=rtol, atol=0)


@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf"), "inf", -float("inf"), 0, 3.0, 0.5, -2.0],
                         ids=lambda v: f"p={v}")
@pytest.mark.parametrize("max_norm", [0.5, 1e6], ids=["clips", "no-clip"])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    lp, tp = _pair(_grads(), none_at=(2,))
    total = clip_grad_norm_(lp, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    assert isinstance(total, ll.Tensor) and total.shape == () and total.dtype == np.float64
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-14)
    _assert_grads_equal(lp, tp, rtol=1e-14)


def test_clip_grad_norm_scales_to_the_bound_and_keeps_direction():
    w = ll.tensor(np.zeros(3), requires_grad=True)
    w.grad = ll.tensor(np.array([3.0, 0.0, 4.0]))
    assert clip_grad_norm_(w, 1.0).item() == 5.0  # a single Tensor is accepted
    np.testing.assert_allclose(w.grad.data, np.array([0.6, 0.0, 0.8]) * 5.0 / (5.0 + 1e-6), rtol=1e-15)
    before = w.grad.data.copy()
    clip_grad_norm_([w], 10.0)  # below the bound: unchanged
    np.testing.assert_array_equal(w.grad.data, before)


def test_clip_grad_norm_float32_and_mixed_dtypes():
    lp, tp = _pair(_grads(1), dtype=np.float32)
    total = clip_grad_norm_(lp, 0.5)
    ttotal = torch.nn.utils.clip_grad_norm_(tp, 0.5)
    assert total.dtype == np.float32
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-6)
    _assert_grads_equal(lp, tp, rtol=1e-6)
    # float32 and float64 gradients together: the total is float64, each gradient keeps its dtype
    a, ta = _pair(_grads(2)[:2], dtype=np.float32)
    b, tb = _pair(_grads(3)[2:], dtype=np.float64)
    total = clip_grad_norm_(a + b, 1.0, norm_type=3.0)
    ttotal = torch.nn.utils.clip_grad_norm_(ta + tb, 1.0, norm_type=3.0)
    assert total.dtype == np.float64 and ttotal.dtype == torch.float64
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-6)
    _assert_grads_equal(a + b, ta + tb, rtol=1e-6)


@pytest.mark.parametrize("bad", [np.inf, np.nan], ids=["inf", "nan"])
def test_non_finite_norm(bad):
    grads = _grads(4)
    grads[0][0, 0] = bad
    lp, tp = _pair(grads)
    with pytest.raises(RuntimeError, match="non-finite.*error_if_nonfinite=False"):
        clip_grad_norm_(lp, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(tp, 1.0, error_if_nonfinite=True)
    _assert_grads_equal(lp, tp)  # nothing was scaled
    total = clip_grad_norm_(lp, 1.0)
    ttotal = torch.nn.utils.clip_grad_norm_(tp, 1.0)
    np.testing.assert_equal(total.item(), ttotal.item())
    for p, q in zip(lp, tp):
        np.testing.assert_equal(p.grad.data, q.grad.numpy())  # NaN where torch has NaN


def test_no_gradients_and_empty_inputs():
    lp, tp = _pair(_grads(5), none_at=(0, 1, 2, 3))
    total = clip_grad_norm_(lp, 1.0)
    assert total.item() == torch.nn.utils.clip_grad_norm_(tp, 1.0).item() == 0.0
    assert total.dtype == np.float32
    assert clip_grad_norm_([], 1.0).item() == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        clip_grad_norm_((p for p in []), 1.0)
    lp, tp = _pair(_grads(6))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = clip_grad_norm_((p for p in lp), 1.0)  # a generator of parameters is fine
    assert total.item() == pytest.approx(torch.nn.utils.clip_grad_norm_(iter(tp), 1.0).item(), rel=1e-14)


@pytest.mark.parametrize("clip_value", [0.0, 0.7, 100.0])
def test_clip_grad_value_matches_torch(clip_value):
    grads = _grads(7)
    grads[1][0] = np.nan
    lp, tp = _pair(grads, none_at=(3,))
    assert clip_grad_value_(lp, clip_value) is None
    torch.nn.utils.clip_grad_value_(tp, clip_value)
    for p, q in zip(lp, tp):
        if q.grad is not None:
            np.testing.assert_equal(p.grad.data, q.grad.numpy())
    f32 = ll.tensor(np.zeros(3, dtype=np.float32), requires_grad=True)
    f32.grad = ll.tensor(np.array([-2.0, 0.5, 3.0], dtype=np.float32))
    clip_grad_value_(f32, 1.0)
    assert f32.grad.data.dtype == np.float32 and f32.grad.data.tolist() == [-1.0, 0.5, 1.0]


def test_get_total_norm_and_clip_grads_with_norm_match_torch():
    lp, tp = _pair(_grads(8))
    grads = [p.grad for p in lp]
    for norm_type in (2.0, 1.0, float("inf")):
        ours = get_total_norm(grads, norm_type)
        theirs = torch.nn.utils.get_total_norm([q.grad for q in tp], norm_type)
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-14)
    total = get_total_norm(grads)
    clip_grads_with_norm_(lp, 2.0, total)
    torch.nn.utils.clip_grads_with_norm_(tp, 2.0, torch.nn.utils.get_total_norm([q.grad for q in tp]))
    _assert_grads_equal(lp, tp, rtol=1e-14)
    # the norm type 0 counts tensors with a non-zero entry (PyTorch's convention)
    assert get_total_norm([ll.tensor([0.0, 1.0, 2.0]), ll.tensor([0.0])], 0).item() == 1.0


@pytest.mark.parametrize("call,exc,match", [
    (lambda p: clip_grad_norm_(p, -1.0), ValueError, r"clip_grad_norm_: max_norm must be >= 0, got max_norm=-1.0"),
    (lambda p: clip_grad_norm_(p, float("nan")), ValueError, "max_norm must be >= 0"),
    (lambda p: clip_grad_norm_(p, "1"), TypeError, "max_norm must be a number"),
    (lambda p: clip_grad_norm_(p, 1.0, norm_type="two"), TypeError, "norm_type must be a number"),
    (lambda p: clip_grad_norm_(p, 1.0, norm_type=float("nan")), ValueError, "norm_type must not be NaN"),
    (lambda p: clip_grad_norm_(p[0].data, 1.0), TypeError, "got a NumPy array; wrap it"),
    (lambda p: clip_grad_norm_([p[0], 3.0], 1.0), TypeError, r"parameters\[1\] must be a Tensor, got float"),
    (lambda p: clip_grad_norm_(5, 1.0), TypeError, "must be a Tensor or an iterable of Tensors, got int"),
    (lambda p: clip_grad_value_(p, -0.5), ValueError, r"clip_grad_value_: clip_value must be >= 0"),
    (lambda p: clip_grad_value_(p, None), TypeError, "clip_value must be a number"),
])
def test_bad_input(call, exc, match):
    lp, _ = _pair(_grads(9))
    before = [p.grad.data.copy() for p in lp]
    with pytest.raises(exc, match=match):
        call(lp)
    for p, b in zip(lp, before):
        np.testing.assert_array_equal(p.grad.data, b)


def test_available_from_losslab_nn_utils():
    import losslab.nn.utils as nnu
    assert nn.utils.clip_grad_norm_ is clip_grad_norm_ and nnu.clip_grad_value_ is clip_grad_value_
    assert nnu.get_total_norm is get_total_norm and nnu.clip_grads_with_norm_ is clip_grads_with_norm_
    import losslab.optim as optim
    assert optim.clip_grad_norm_ is clip_grad_norm_


def test_clipping_in_a_training_step():
    """Between backward and step: the SGD update is the clipped gradient times lr."""
    w = ll.tensor(np.array([10.0, -10.0]), requires_grad=True)
    opt = ll.optim.SGD([w], lr=0.1)
    opt.zero_grad()
    (w * w).sum().backward()
    total = nn.utils.clip_grad_norm_([w], max_norm=1.0)
    opt.step()
    assert total.item() == pytest.approx(np.sqrt(800.0), rel=1e-15)
    np.testing.assert_allclose(w.data, [10.0 - 0.1 / np.sqrt(2), -10.0 + 0.1 / np.sqrt(2)], rtol=1e-7)


def test_docstring_examples_run():
    import losslab.optim.clip as mod
    T.run_doctests(mod)
    import losslab.nn.utils as nnu
    T.run_doctests(nnu, at_least=1)
