"""Margin losses on ±1 labels (hinge, squared hinge, soft margin, perceptron, modified Huber)
and the binary sparsemax loss: plain NumPy references, scikit-learn's SGD loss functions,
PyTorch's soft_margin_loss, hand-computed cases, kink conventions, stability and label checks."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L

torch = pytest.importorskip("torch")

RTOL = 1e-12
PM1_LOSSES = ["hinge_loss", "squared_hinge_loss", "soft_margin_loss", "perceptron_loss", "modified_huber_loss"]


def t64(a, requires_grad=False):
    return ll.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# ----------------------------------------------------------------------------- references
def _softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


# (loss of the margin z, derivative in z), written plainly from the definitions
REF = {
    "hinge_loss": (lambda z: np.maximum(0, 1 - z), lambda z: np.where(z < 1, -1.0, 0.0)),
    "squared_hinge_loss": (lambda z: np.maximum(0, 1 - z) ** 2, lambda z: -2 * np.maximum(0, 1 - z)),
    "soft_margin_loss": (lambda z: np.log1p(np.exp(-z)), lambda z: -_sigmoid(-z)),
    "perceptron_loss": (lambda z: np.maximum(0, -z), lambda z: np.where(z < 0, -1.0, 0.0)),
    "modified_huber_loss": (lambda z: np.where(z >= -1, np.maximum(0, 1 - z) ** 2, -4 * z),
                            lambda z: np.where(z >= -1, -2 * np.maximum(0, 1 - z), -4.0)),
}


def _data(rng, shape, kinks=(-1.0, 0.0, 1.0)):
    while True:
        s, y = rng.normal(scale=2.0, size=shape), np.where(rng.random(shape) < 0.5, -1.0, 1.0)
        if np.all(np.abs((s * y)[..., None] - np.array(kinks)) > 1e-3):
            return s, y


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(7,), (4, 3), (2, 3, 2)])
@pytest.mark.parametrize("name", PM1_LOSSES)
def test_values_and_gradients_match_the_definition(name, shape, reduction):
    rng = np.random.default_rng(len(shape) * 10 + PM1_LOSSES.index(name))
    s, y = _data(rng, shape)
    f, df = REF[name]
    z = s * y
    ls, ly = t64(s, True), t64(y, True)
    out = getattr(L, name)(ls, ly, reduction=reduction)
    ref = {"mean": f(z).mean(), "sum": f(z).sum(), "none": f(z)}[reduction]
    np.testing.assert_allclose(out.data, ref, rtol=RTOL)
    out.sum().backward()
    scale = 1 / z.size if reduction == "mean" else 1.0
    np.testing.assert_allclose(ls.grad.data, scale * df(z) * y, rtol=RTOL, atol=1e-300)
    np.testing.assert_allclose(ly.grad.data, scale * df(z) * s, rtol=RTOL, atol=1e-300)


def _sgd_losses():
    sgd = pytest.importorskip("sklearn.linear_model._sgd_fast")
    try:
        return {"hinge_loss": sgd.Hinge(1.0), "perceptron_loss": sgd.Hinge(0.0),
                "squared_hinge_loss": sgd.SquaredHinge(1.0), "modified_huber_loss": sgd.ModifiedHuber()}
    except AttributeError:  # a private module: skip if it changed
        pytest.skip("sklearn's SGD loss classes moved")


@pytest.mark.parametrize("name", ["hinge_loss", "perceptron_loss", "squared_hinge_loss", "modified_huber_loss"])
def test_values_and_derivatives_match_scikit_learn(name):
    """scikit-learn's SGD loss functions (py_loss(p, y), py_dloss(p, y) = ∂ℓ/∂p) as an
    independent implementation."""
    ref = _sgd_losses()[name]
    rng = np.random.default_rng(11)
    s, y = _data(rng, (40,))
    ls = t64(s, True)
    out = getattr(L, name)(ls, t64(y), reduction="none")
    out.sum().backward()
    np.testing.assert_allclose(out.data, [ref.py_loss(a, b) for a, b in zip(s, y)], rtol=1e-13)
    np.testing.assert_allclose(ls.grad.data, [ref.py_dloss(a, b) for a, b in zip(s, y)], rtol=1e-13)


def test_hinge_mean_matches_sklearn_metrics():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(12)
    s, y = _data(rng, (25,))
    assert L.hinge_loss(t64(s), t64(y)).item() == pytest.approx(metrics.hinge_loss(y, s), rel=1e-13)


@pytest.mark.parametrize("name, s, y, expected", [
    ("hinge_loss", [2.0, 1.0, 0.5, -0.5, 0.0], [1, 1, 1, 1, -1], [0.0, 0.0, 0.5, 1.5, 1.0]),
    ("hinge_loss", [2.0, -3.0], [-1, -1], [3.0, 0.0]),
    ("squared_hinge_loss", [2.0, 0.5, -0.5, 0.0], [1, 1, 1, -1], [0.0, 0.25, 2.25, 1.0]),
    ("perceptron_loss", [2.0, 0.0, -0.5, 3.0], [1, 1, 1, -1], [0.0, 0.0, 0.5, 3.0]),
    ("modified_huber_loss", [3.0, 1.0, 0.0, -1.0, -2.0, 2.0], [1, 1, 1, 1, 1, -1], [0.0, 0.0, 1.0, 4.0, 8.0, 8.0]),
    ("soft_margin_loss", [0.0, np.log(3.0)], [1, -1], [np.log(2.0), np.log(4.0)]),
])
def test_hand_computed_cases(name, s, y, expected):
    got = getattr(L, name)(t64(s), t64(y), reduction="none").data
    np.testing.assert_allclose(got, expected, rtol=1e-15)


def test_gradients_at_the_kinks():
    """relu's convention (derivative 0 at 0): hinge at y·s = 1 and perceptron at y·s = 0 take
    the flat side's slope 0; the C¹ losses have one derivative there."""
    cases = [("hinge_loss", 1.0, 0.0), ("perceptron_loss", 0.0, 0.0), ("squared_hinge_loss", 1.0, 0.0),
             ("modified_huber_loss", 1.0, 0.0), ("modified_huber_loss", -1.0, -4.0)]
    for name, z, slope in cases:
        for y in (1.0, -1.0):
            ls = t64([z * y], True)
            getattr(L, name)(ls, t64([y]), reduction="sum").backward()
            assert ls.grad.data[0] == slope * y, (name, z, y)


def test_modified_huber_is_continuously_differentiable_at_minus_one():
    f, _ = REF["modified_huber_loss"]
    h = 1e-7
    left = (f(-1.0) - f(-1.0 - h)) / h
    right = (f(-1.0 + h) - f(-1.0)) / h
    assert left == pytest.approx(-4.0, abs=1e-5) and right == pytest.approx(-4.0, abs=1e-5)


# ----------------------------------------------------------------------------- soft margin vs torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_soft_margin_loss_matches_torch(dtype, reduction):
    rng = np.random.default_rng(21)
    s, y = _data(rng, (5, 4))
    ls = ll.tensor(s.astype(dtype), requires_grad=True)
    ts = torch.tensor(s.astype(dtype), requires_grad=True)
    for target, ttarget in ((ll.tensor(y.astype(dtype)), torch.tensor(y.astype(dtype))),
                            (ll.tensor(y.astype(np.int64)), torch.tensor(y.astype(np.int64)))):
        ls.grad, ts.grad = None, None
        out = L.soft_margin_loss(ls, target, reduction=reduction)
        tout = torch.nn.functional.soft_margin_loss(ts, ttarget, reduction=reduction)
        assert out.dtype == dtype
        rtol = 1e-10 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=rtol)
        out.sum().backward(), tout.sum().backward()
        np.testing.assert_allclose(ls.grad.data, ts.grad.numpy(), rtol=rtol, atol=1e-7 if dtype == np.float32 else 0)


def test_soft_margin_loss_is_bce_with_logits_on_mapped_labels():
    rng = np.random.default_rng(22)
    s, y = _data(rng, (6, 2))
    a = L.soft_margin_loss(t64(s), t64(y), reduction="none").data
    b = L.binary_cross_entropy_with_logits(t64(s), t64((y + 1) / 2), reduction="none").data
    np.testing.assert_allclose(a, b, rtol=1e-14)


def test_soft_margin_loss_is_finite_where_torch_overflows():
    x = np.array([-1000.0, 1000.0])
    y = np.array([1.0, -1.0])  # y·x = −1000: log(1 + e^1000)
    tout = torch.nn.functional.soft_margin_loss(torch.tensor(x, requires_grad=True), torch.tensor(y), reduction="none")
    assert np.all(np.isinf(tout.detach().numpy()))  # PyTorch: log1p(exp(1000)) = inf
    lx = t64(x, True)
    out = L.soft_margin_loss(lx, t64(y), reduction="none")
    np.testing.assert_array_equal(out.data, [1000.0, 1000.0])
    out.sum().backward()
    np.testing.assert_array_equal(lx.grad.data, [-1.0, 1.0])  # −y·σ(−y·x) = −y


def test_soft_margin_legacy_arguments_and_signature():
    with pytest.warns(DeprecationWarning, match="reduction='sum'"):
        crit = L.SoftMarginLoss(size_average=False)
    assert crit.reduction == "sum"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert L.SoftMarginLoss(reduction="none").reduction == "none"


# ----------------------------------------------------------------------------- sparsemax
def _sparse_plus(z):
    return np.where(z <= -1, 0.0, np.where(z >= 1, z, (z + 1) ** 2 / 4))


def test_sparsemax_loss_matches_optax_definition_on_hard_labels():
    """optax.losses.sparsemax_loss = sparse_plus(where(labels, −logits, logits))."""
    rng = np.random.default_rng(31)
    x = rng.normal(scale=2.5, size=(6, 5))
    y = (rng.random((6, 5)) < 0.5).astype(float)
    lx = t64(x, True)
    out = L.sparsemax_loss(lx, t64(y), reduction="none")
    np.testing.assert_allclose(out.data, _sparse_plus(np.where(y == 1, -x, x)), rtol=1e-14, atol=1e-300)
    out.sum().backward()
    np.testing.assert_allclose(lx.grad.data, np.clip((x + 1) / 2, 0, 1) - y, rtol=1e-14, atol=1e-300)


def test_sparsemax_loss_soft_labels_follow_the_fenchel_young_form():
    rng = np.random.default_rng(32)
    x = rng.normal(scale=2.5, size=40)
    y = rng.uniform(size=40)
    lx, ly = t64(x, True), t64(y, True)
    out = L.sparsemax_loss(lx, ly, reduction="none")
    np.testing.assert_allclose(out.data, _sparse_plus(x) - x * y - y * (1 - y), rtol=1e-12, atol=1e-14)
    out.sum().backward()
    q = np.clip((x + 1) / 2, 0, 1)
    np.testing.assert_allclose(lx.grad.data, q - y, rtol=1e-13, atol=1e-15)   # ∂ℓ/∂x = q − y
    np.testing.assert_allclose(ly.grad.data, -x - 1 + 2 * y, rtol=1e-13, atol=1e-15)  # ∂ℓ/∂y = −x − 1 + 2y


def test_sparsemax_loss_zero_iff_sparse_sigmoid_equals_label():
    x = np.array([1.0, 5.0, -1.0, -7.0, 0.2, 0.999, -0.999])
    y = np.array([1.0, 1.0, 0.0, 0.0, 0.6, 1.0, 0.0])
    out = L.sparsemax_loss(t64(x), t64(y), reduction="none").data
    np.testing.assert_array_equal(out[:5], 0.0)
    assert np.all(out[5:] > 0)


def test_sparsemax_gradient_is_continuous_at_plus_minus_one():
    for x in (-1.0, 1.0):
        for y in (0.0, 0.4, 1.0):
            lx = t64([x], True)
            L.sparsemax_loss(lx, t64([y]), reduction="sum").backward()
            assert lx.grad.data[0] == pytest.approx((x + 1) / 2 - y, abs=1e-15)


def test_sparsemax_loss_has_no_cancellation_at_large_logits():
    x, y = np.array([1e4, -1e4, 1e12]), np.array([0.3, 0.7, 0.3])
    out = L.sparsemax_loss(t64(x), t64(y), reduction="none").data
    exact = np.array([0.7 * (1e4 - 0.3), 0.7 * (1e4 - 0.3), 0.7 * (1e12 - 0.3)])
    np.testing.assert_allclose(out, exact, rtol=1e-15)


# ----------------------------------------------------------------------------- labels and errors
@pytest.mark.parametrize("name", PM1_LOSSES)
def test_pm1_losses_refuse_01_labels_and_other_values(name):
    fn = getattr(L, name)
    s = t64([0.5, -0.5, 2.0])
    with pytest.raises(ValueError, match=rf"{name}: target must hold labels -1 or \+1, got {{0, 1}} labels.*2 \* target - 1"):
        fn(s, t64([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match=rf"{name}: target must hold labels -1 or \+1, got 1 other value\(s\) \(e.g. 0.5\)"):
        fn(s, t64([1.0, 0.5, -1.0]))
    with pytest.raises(ValueError, match="target must hold labels -1 or"):
        fn(s, t64([1.0, float("nan"), -1.0]))
    with pytest.raises(ValueError, match=rf"{name}: input and target must have the same shape"):
        fn(s, t64([[1.0, -1.0, 1.0]]))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        fn(s, t64([1.0, -1.0, 1.0]), reduction="avg")
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        fn(s, t64([1.0, -1.0, 1.0]), sample_weight=[1.0, 2.0])
    # all-ones targets are valid in both conventions
    fn(s, t64([1.0, 1.0, 1.0]))
    # integer labels are accepted
    fn(s, ll.tensor([1, -1, 1]))


def test_sparsemax_loss_refuses_pm1_labels():
    with pytest.raises(ValueError, match=r"sparsemax_loss: target must hold {0, 1} labels.*got -1.*\(target \+ 1\) / 2"):
        L.sparsemax_loss(t64([0.5, -0.5]), t64([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"sparsemax_loss: all elements of target must be in \[0, 1\]"):
        L.sparsemax_loss(t64([0.5, -0.5]), t64([2.0, 0.0]))


# ----------------------------------------------------------------------------- classes
@pytest.mark.parametrize("cls, fn", [(L.HingeLoss, L.hinge_loss), (L.SquaredHingeLoss, L.squared_hinge_loss),
                                     (L.PerceptronLoss, L.perceptron_loss), (L.ModifiedHuberLoss, L.modified_huber_loss),
                                     (L.SoftMarginLoss, L.soft_margin_loss)])
def test_classes_call_the_functions(cls, fn):
    s, y = t64([0.3, -2.0, 1.5]), t64([1.0, 1.0, -1.0])
    sw = np.array([1.0, 2.0, 0.5])
    assert repr(cls()) == f"{cls.__name__}()"
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_array_equal(cls(reduction=reduction)(s, y).data, fn(s, y, reduction=reduction).data)
        np.testing.assert_array_equal(cls(reduction=reduction)(s, y, sample_weight=sw).data,
                                      fn(s, y, reduction=reduction, sample_weight=sw).data)
    with pytest.raises(ValueError, match="reduction"):
        cls(reduction="avg")


def test_sparsemax_class_is_the_binary_loss():
    assert L.SparsemaxLoss()(t64([2.0, 0.0]), t64([1.0, 1.0])).item() == pytest.approx(0.125)
    assert L.get("sparsemax_loss").module is L.SparsemaxLoss


@pytest.mark.parametrize("name", ["squared_hinge_loss", "soft_margin_loss", "modified_huber_loss", "sparsemax_loss"])
def test_second_derivatives(name):
    info = L.get(name)
    x, y, kw = info.make_example(np.random.default_rng(2), np.float64)
    assert ll.autograd.gradgradcheck(lambda a: info.fn(a, y, **kw), [t64(x.data, True)])
