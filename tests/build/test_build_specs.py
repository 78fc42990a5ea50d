"""losslab.build: the spec language, loss/optimizer/schedule/model construction and their errors."""
import numpy as np
import pytest

import losslab as ll
import losslab.losses as L
from losslab import nn, optim
from losslab.build import (
    LOSS_ALIASES, build_model, build_optimizer, build_scheduler, check_loss_fits_task, parse_spec,
    parse_value, resolve_loss, split_specs,
)


@pytest.mark.parametrize("text, value", [
    ("true", True), ("False", False), ("none", None), ("3", 3), ("-2", -2), ("1e-3", 1e-3),
    ("0.9/0.999", (0.9, 0.999)), ("cos", "cos"), (" 7 ", 7),
])
def test_parse_value(text, value):
    assert parse_value(text) == value and type(parse_value(text)) is type(value)


def test_parse_spec_and_split_specs():
    assert parse_spec("Huber-Loss:delta=0.5") == ("huber_loss", {"delta": 0.5})
    assert parse_spec("mse") == ("mse", {})
    assert split_specs("mse, huber:delta=2,beta=1 ,mae") == ["mse", "huber:delta=2,beta=1", "mae"]
    for bad in ("", ":x=1", "adam:lr"):
        with pytest.raises(ValueError):
            parse_spec(bad)
    with pytest.raises(ValueError, match="has no NAME before it"):
        split_specs("delta=1,mse")


def test_every_alias_names_a_registered_loss():
    assert all(v in L.LOSS_REGISTRY for v in LOSS_ALIASES.values())


@pytest.mark.parametrize("spec, name", [("mse", "mse_loss"), ("mae", "l1_loss"), ("huber:delta=2", "huber_loss"),
                                        ("bce", "binary_cross_entropy_with_logits"), ("ce", "cross_entropy")])
def test_resolve_loss_names_and_params(spec, name):
    c = resolve_loss(spec)
    assert c.name == name and c.info is L.get(name)
    assert c.label == name + (":delta=2" if "delta" in spec else "")


def test_adapted_losses_apply_the_paired_activation_and_target_mapping():
    out = ll.tensor([[0.3], [-1.2], [2.0]], dtype=ll.float64)
    y = ll.tensor([1, 0, 1])
    yf = y.to(ll.float64).reshape(-1, 1)
    # probabilities: sigmoid applied to the raw output
    np.testing.assert_allclose(resolve_loss("bce_probs")(out, y).item(),
                               L.binary_cross_entropy(out.sigmoid(), yf).item(), rtol=1e-12)
    # margin losses get ±1 targets
    np.testing.assert_allclose(resolve_loss("hinge")(out, y).item(),
                               L.hinge_loss(out, 2.0 * yf - 1.0).item(), rtol=1e-12)
    # log-probabilities: log_softmax over classes
    z = ll.tensor([[0.2, 1.0, -0.5], [1.5, 0.1, 0.3]], dtype=ll.float64)
    t = ll.tensor([1, 0])
    np.testing.assert_allclose(resolve_loss("nll")(z, t).item(), L.cross_entropy(z, t).item(), rtol=1e-12)


@pytest.mark.parametrize("spec, needle", [
    ("hubr", "did you mean 'huber'"),
    ("huber:delt=1", "did you mean 'delta'"),
    ("quantile:tau=1.5", "tau must be in the open interval"),
    ("ctc_loss", "sequence loss"),
    ("triplet_margin_loss", "ranking loss"),
])
def test_resolve_loss_errors(spec, needle):
    with pytest.raises(ValueError, match=needle):
        resolve_loss(spec)


def test_check_loss_fits_task():
    assert check_loss_fits_task(resolve_loss("ce"), "multiclass", 10) == 10
    assert check_loss_fits_task(resolve_loss("ce"), "binary", 2) == 2
    assert check_loss_fits_task(resolve_loss("bce"), "binary", 2) == 1
    assert check_loss_fits_task(resolve_loss("mse"), "regression") == 1
    with pytest.raises(ValueError, match="targets are continuous.*use a regression loss"):
        check_loss_fits_task(resolve_loss("ce"), "regression")
    with pytest.raises(ValueError, match="regression loss but the targets are class labels.*cross_entropy"):
        check_loss_fits_task(resolve_loss("mse"), "multiclass", 3)
    with pytest.raises(ValueError, match="binary loss but the data has 3 classes"):
        check_loss_fits_task(resolve_loss("hinge"), "multiclass", 3)


def test_build_model():
    m = build_model("mlp:8,4", 3, 2, activation="tanh", dropout=0.1)
    kinds = [type(x).__name__ for x in m]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert m(ll.randn(5, 3)).shape == (5, 2)
    assert [type(x).__name__ for x in build_model("linear", 4, 1)] == ["Linear"]
    assert build_model("mlp", 2, 1)[0].out_features == 64
    for spec, needle in (("cnn", "unknown model"), ("mlp:8,x", "integers"), ("mlp:0", ">= 1"),
                         ("linear:4", "takes no hidden sizes")):
        with pytest.raises(ValueError, match=needle):
            build_model(spec, 3, 1)
    with pytest.raises(ValueError, match="unknown activation"):
        build_model("mlp:4", 3, 1, activation="swish")


def test_build_optimizer_aliases_options_and_errors():
    params = list(nn.Linear(3, 2).parameters())
    opt = build_optimizer("momentum", params, lr=0.05)
    assert isinstance(opt, optim.SGD) and opt.defaults["momentum"] == 0.9 and opt.defaults["lr"] == 0.05
    nest = build_optimizer("nesterov", params)
    assert nest.defaults["nesterov"] is True
    adam = build_optimizer("Adam:betas=0.8/0.99,amsgrad=true", params, lr=1e-3)
    assert adam.defaults["betas"] == (0.8, 0.99) and adam.defaults["amsgrad"] is True
    assert isinstance(build_optimizer("adamw", params), optim.AdamW)
    for spec, needle in (("adm", "did you mean 'adam'"), ("adam:beta=0.9", "did you mean 'betas'"),
                         ("lbfgs", "needs a closure"), ("muon", "only 2-D parameters"),
                         ("sgd:momentum=-1", "Invalid momentum")):
        with pytest.raises(ValueError, match=needle):
            build_optimizer(spec, params)


def test_build_scheduler_defaults_to_the_run():
    w = ll.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.2)
    assert build_scheduler(None, opt, 10) is None
    sched = build_scheduler("cosine", opt, 10)
    lrs = []
    for _ in range(10):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[0] == pytest.approx(0.2) and lrs[5] == pytest.approx(0.1) and opt.param_groups[0]["lr"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="Did you mean 'cosine'"):
        build_scheduler("cosin", opt, 10)
    with pytest.raises(ValueError, match="milestones"):
        build_scheduler("multistep:milestones=5/3", opt, 10)


# --- class weights in a spec: w0/w1/... or 'balanced' from the training targets ---------------------
def test_class_weights_in_a_spec_equal_the_loss_called_with_them():
    choice = resolve_loss("cross_entropy:weight=1/2.5/0.5")
    assert choice.params == {"weight": (1.0, 2.5, 0.5)} and choice.label == "cross_entropy:weight=1/2.5/0.5"
    rng = np.random.default_rng(0)
    out = ll.tensor(rng.normal(size=(6, 3)), dtype=ll.float64)
    y = ll.tensor([0, 1, 2, 2, 1, 0])
    direct = L.cross_entropy(out, y, weight=ll.tensor([1.0, 2.5, 0.5], dtype=ll.float64))
    assert choice(out, y).item() == pytest.approx(direct.item(), rel=1e-12)


def test_balanced_class_weights_follow_sklearn():
    from sklearn.utils.class_weight import compute_class_weight

    y = np.repeat([0, 1, 2], [30, 6, 4])
    ce = resolve_loss("cross_entropy:weight=balanced").balanced(y, 3)
    expected = compute_class_weight("balanced", classes=np.arange(3), y=y)
    np.testing.assert_allclose(ce.params["weight"], expected, rtol=1e-12)
    focal = resolve_loss("focal_loss:alpha=balanced,gamma=2").balanced(y, 3)
    np.testing.assert_allclose(focal.params["alpha"], expected, rtol=1e-12)
    assert focal.params["gamma"] == 2
    bce = resolve_loss("bce:pos_weight=balanced").balanced(np.r_[np.zeros(12), np.ones(4)])
    assert bce.params["pos_weight"] == 3.0  # negatives / positives
    plain = resolve_loss("ce")
    assert plain.balanced(y) is plain  # nothing to compute
    with pytest.raises(ValueError, match=r"class\(es\) \[1\] have no sample"):
        resolve_loss("ce:weight=balanced").balanced(np.array([0, 0, 2]), 3)


@pytest.mark.parametrize("spec, needle", [
    ("ce:weight=a/b", "weight must be a number, one number per class"),
    ("ce:weight=true", "weight must be a number"),
    ("ce:weight=1/-1", "weight must be finite and ≥ 0"),
    ("bce:pos_weight=0", "pos_weight must be finite and ≥ 0 with one > 0"),
    ("ce:weight=2", "weight needs one number per class"),  # not the probe's two classes
])
def test_class_weight_spec_errors(spec, needle):
    with pytest.raises(ValueError, match=needle):
        resolve_loss(spec)


def test_class_weights_must_match_the_number_of_classes():
    with pytest.raises(ValueError, match="weight has 2 values but the data has 3 classes"):
        check_loss_fits_task(resolve_loss("ce:weight=1/2"), "multiclass", 3)
    assert check_loss_fits_task(resolve_loss("ce:weight=1/2/3"), "multiclass", 3) == 3


@pytest.mark.parametrize("spec", ["mse_loss:weight=balanced", "bce:weight=balanced",
                                  "sigmoid_focal_loss:alpha=balanced"])
def test_balanced_only_for_per_class_weights(spec):
    with pytest.raises(ValueError, match="is not a per-class weight of this"):
        resolve_loss(spec)


def test_same_named_parameters_that_are_not_class_weights_pass_through():
    # binary focal's α is a share in [0, 1] (0: all on the negatives), not a class-weight list
    assert resolve_loss("sigmoid_focal_loss:alpha=0").params == {"alpha": 0}
