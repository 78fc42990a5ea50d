"""The loss classes (PyTorch constructors, nn.Module behaviour, deprecated arguments) and the
registry API (lookup, filtering, validation, automatic enrolment in the generic tests)."""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L
import losslab.nn as nn
from losslab.losses.registry import LOSS_REGISTRY

torch = pytest.importorskip("torch")

import loss_helpers as H  # noqa: E402


def t64(a):
    return ll.tensor(np.asarray(a, dtype=np.float64))


# ============================================================================ classes
CLASSES = [L.MSELoss, L.BCELoss, L.BCEWithLogitsLoss, L.CrossEntropyLoss, L.NLLLoss]


@pytest.mark.parametrize("cls", CLASSES)
def test_classes_are_modules_without_parameters(cls):
    crit = cls()
    assert isinstance(crit, nn.Module)
    assert list(crit.parameters()) == []
    assert crit.reduction == "mean"


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("size_average,reduce", [(None, False), (False, None), (True, True), (False, True), (True, False)])
def test_deprecated_size_average_and_reduce_map_like_torch(cls, size_average, reduce):
    with pytest.warns(DeprecationWarning, match="deprecated"):
        ours = cls(size_average=size_average, reduce=reduce)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(torch.nn, cls.__name__)(size_average=size_average, reduce=reduce)
    assert ours.reduction == theirs.reduction


def test_cross_entropy_loss_holds_its_options_and_weight_buffer():
    crit = L.CrossEntropyLoss([1.0, 2.0, 3.0], ignore_index=1, reduction="sum", label_smoothing=0.2)
    assert isinstance(crit.weight, ll.Tensor)
    assert list(crit.state_dict()) == ["weight"]
    x, y = t64(np.random.default_rng(0).normal(size=(4, 3))), ll.tensor([0, 1, 2, 2])
    a = crit(x, y)
    b = L.cross_entropy(x, y, t64([1.0, 2.0, 3.0]), ignore_index=1, reduction="sum", label_smoothing=0.2)
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-7)  # weight buffer is float32
    crit.double()
    np.testing.assert_allclose(crit(x, y).item(), b.item(), rtol=1e-14)
    tc = torch.nn.CrossEntropyLoss(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), ignore_index=1,
                                   reduction="sum", label_smoothing=0.2)
    H.assert_close(crit(x, y), tc(H.to_torch(torch, x), H.to_torch(torch, y)))


def test_bce_with_logits_loss_buffers_and_forward():
    crit = L.BCEWithLogitsLoss(weight=t64([1.0, 0.5]), pos_weight=t64([3.0, 1.0]), reduction="none")
    assert sorted(crit.state_dict()) == ["pos_weight", "weight"]
    x, y = t64([[0.3, -2.0], [1.5, 0.0]]), t64([[1.0, 0.0], [0.0, 1.0]])
    tc = torch.nn.BCEWithLogitsLoss(weight=torch.tensor([1.0, 0.5], dtype=torch.float64),
                                    pos_weight=torch.tensor([3.0, 1.0], dtype=torch.float64), reduction="none")
    H.assert_close(crit(x, y), tc(H.to_torch(torch, x), H.to_torch(torch, y)))


def test_nll_and_bce_loss_forward_their_options():
    logp = ll.log_softmax(t64([[1.0, 2.0, 0.0], [0.0, 0.0, 0.0]]), 1)
    a = L.NLLLoss(t64([1.0, 2.0, 3.0]), ignore_index=0, reduction="mean")(logp, ll.tensor([1, 0]))
    assert a.item() == pytest.approx(-logp.data[0, 1])
    b = L.BCELoss(t64([2.0]), reduction="sum")(t64([0.5, 0.5]), t64([1.0, 0.0]))
    assert b.item() == pytest.approx(4 * np.log(2))


def test_a_loss_inside_a_model_trains():
    ll.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3))
    crit = L.CrossEntropyLoss()
    x, y = ll.randn(8, 2), ll.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    before = crit(model(x), y).item()
    for _ in range(50):
        for p in model.parameters():
            p.grad = None
        loss = crit(model(x), y)
        loss.backward()
        with ll.no_grad():
            for p in model.parameters():
                p.sub_(p.grad * 0.5)
    assert crit(model(x), y).item() < before


def test_class_reduction_is_checked_at_construction():
    with pytest.raises(ValueError, match="MSELoss: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        L.MSELoss(reduction="avg")


# ============================================================================ registry API
def test_get_and_available():
    assert L.get("cross_entropy").module is L.CrossEntropyLoss
    assert {"mse_loss", "l1_loss", "huber_loss"} <= set(L.available("regression"))
    assert {"cross_entropy", "nll_loss"} <= set(L.available("multiclass"))
    for task in ("regression", "multiclass", "binary"):
        assert all(L.get(n).task == task for n in L.available(task))
    assert L.available() == list(LOSS_REGISTRY)
    with pytest.raises(ValueError, match="task must be one of"):
        L.available("clustering")


def test_get_unknown_suggests_close_names():
    with pytest.raises(KeyError, match="did you mean 'cross_entropy'"):
        L.get("cross_entropi")


def test_register_refuses_duplicates_and_non_info():
    with pytest.raises(ValueError, match="already registered"):
        L.register(L.get("mse_loss"))
    with pytest.raises(TypeError, match="expected a LossInfo"):
        L.register({"name": "x"})


@pytest.mark.parametrize("change", [
    {"summary": ""}, {"task": "clustering"}, {"smoothness": "C2"}, {"robust_to_outliers": "somewhat"},
    {"input_kind": "pixels"}, {"convex": "yes"}, {"latex": None}, {"references": ()},
    {"hyperparameters": ["reduction"]},
])
def test_incomplete_or_invalid_info_is_refused(change):
    with pytest.raises(ValueError, match="incomplete or invalid"):
        dataclasses.replace(L.get("mse_loss"), name="x", **change)


def _half_mse(input, target, *, reduction="mean"):
    """Half the squared error (a loss defined only in this test).

    Formula::

        ℓ = (x − y)² / 2

    Args:
        input, target, reduction: as mse_loss.

    Shape:
        any, same shape.

    Example:
        >>> 1
        1

    Note:
        none.
    """
    return L.mse_loss(input, target, reduction=reduction) * 0.5


class HalfMSELoss(nn.Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        return _half_mse(input, target, reduction=self.reduction)


def test_a_newly_registered_loss_runs_through_the_generic_tests():
    import test_loss_registry_generic as G

    info = dataclasses.replace(L.get("mse_loss"), name="_half_mse", fn=_half_mse, module=HalfMSELoss,
                               hyperparameters={"reduction": "mean"}, torch_equivalent=None)
    L.register(info)
    try:
        assert "_half_mse" in L.available()
        G.test_metadata_is_complete("_half_mse")
        G.test_gradcheck_float64("_half_mse", "mean")
        G.test_minimal_at_perfect_prediction("_half_mse")
        G.test_finite_value_and_gradient_at_extreme_inputs("_half_mse")
        G.test_class_equals_function("_half_mse", "sum")
    finally:
        del LOSS_REGISTRY["_half_mse"]
    assert "_half_mse" not in L.available()
