"""mse_loss beyond the generic tests: per-element weights against PyTorch, broadcast weights,
gradients to the target, and shape checking (PyTorch warns and broadcasts; we raise)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L

torch = pytest.importorskip("torch")
F = torch.nn.functional

import loss_helpers as H  # noqa: E402


def t64(a):
    return ll.tensor(np.asarray(a, dtype=np.float64))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_weight_matches_torch(reduction):
    r = np.random.default_rng(0)
    x, y, w = (t64(r.normal(size=(4, 3))) for _ in range(3))
    w = t64(np.abs(w.data) + 0.1)
    out, tout, (lx, ly), (tx, ty) = H.run_both(torch, L.mse_loss, F.mse_loss, x, y, {"weight": w}, reduction)
    H.assert_close(out, tout)
    H.assert_close(lx.grad, tx.grad)
    H.assert_close(ly.grad, ty.grad)


def test_mse_weighted_mean_is_sum_over_sum_of_weights():
    x, y, w = t64([1.0, 2.0, 3.0]), t64([0.0, 0.0, 0.0]), t64([1.0, 0.0, 3.0])
    assert L.mse_loss(x, y, weight=w).item() == pytest.approx((1 + 27) / 4)


def test_mse_broadcast_weight_divides_by_the_broadcast_sum():
    r = np.random.default_rng(1)
    x, y = t64(r.normal(size=(5, 3))), t64(r.normal(size=(5, 3)))
    w = np.array([0.5, 1.0, 2.0])
    full = np.broadcast_to(w, (5, 3))
    a = L.mse_loss(x, y, weight=t64(w))
    b = L.mse_loss(x, y, weight=t64(full))
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-14)
    np.testing.assert_allclose(a.item(), (full * (x.data - y.data) ** 2).sum() / full.sum(), rtol=1e-14)


def test_mse_weight_gradient_and_gradcheck():
    r = np.random.default_rng(2)
    x, y, w = (t64(r.uniform(0.5, 1.5, (3, 2))).requires_grad_() for _ in range(3))
    assert ll.autograd.gradcheck(lambda a, b, c: L.mse_loss(a, b, weight=c), [x, y, w])
    assert ll.autograd.gradgradcheck(lambda a, b, c: L.mse_loss(a, b, weight=c), [x, y, w])


def test_mse_shape_mismatch_raises_where_torch_only_warns():
    x, y = t64(np.zeros(4)), t64(np.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"input and target must have the same shape, got input \(4,\) and target \(4, 1\)"):
        L.mse_loss(x, y)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        assert F.mse_loss(torch.zeros(4), torch.zeros(4, 1)).shape == ()
    assert any("different to the input size" in str(w.message) for w in rec)


def test_mse_weight_that_does_not_broadcast_raises():
    with pytest.raises(ValueError, match=r"weight of shape \(2,\) does not broadcast to the input's shape \(3,\)"):
        L.mse_loss(t64([1.0, 2.0, 3.0]), t64([0.0, 0.0, 0.0]), weight=t64([1.0, 2.0]))


def test_mse_accepts_lists_and_arrays():
    x = ll.tensor([1.0, 2.0], requires_grad=True)
    assert L.mse_loss(x, [1.0, 4.0]).item() == 2.0
    assert L.mse_loss(x, np.array([1.0, 4.0])).dtype == np.float32  # target takes input's dtype
    assert L.mse_loss([1.0, 2.0], [1.0, 4.0]).item() == 2.0
    assert L.mse_loss(x, ll.tensor([1, 4])).item() == 2.0  # integer target tensor is converted


def test_mse_float64_target_does_not_upcast_float32_input_but_keeps_its_gradient():
    x = ll.tensor([1.0, 2.0], requires_grad=True)
    y = t64([0.0, 0.0]).requires_grad_()
    out = L.mse_loss(x, y)
    assert out.dtype == np.float32
    out.backward()
    assert y.grad.dtype == np.float64
    np.testing.assert_allclose(y.grad.data, [-1.0, -2.0])


def test_mse_integer_input_raises():
    with pytest.raises(TypeError, match="mse_loss: input must be a floating tensor, got dtype int64"):
        L.mse_loss(ll.tensor([1, 2]), ll.tensor([1, 2]))


def test_mse_empty_mean_is_nan_like_torch():
    out = L.mse_loss(t64(np.zeros(0)), t64(np.zeros(0)))
    assert np.isnan(out.item()) and np.isnan(F.mse_loss(torch.zeros(0), torch.zeros(0)).item())
    assert L.mse_loss(t64(np.zeros(0)), t64(np.zeros(0)), reduction="sum").item() == 0.0
