"""losslab.analysis.pitfalls: every rule fires on the pitfall it names and stays silent on the
correct setup; the linter leaves the model, its gradients and the RNG untouched; bad arguments."""
from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L
import losslab.nn as nn
import losslab.optim as optim
from losslab.analysis import pitfalls as lint_mod
from losslab.analysis.pitfalls import RULES, SEVERITIES, Finding, LossLabLintWarning, format_findings, lint, warn_findings


def rules(findings) -> list:
    return [f.rule for f in findings]


def one(findings, rule) -> Finding:
    hits = [f for f in findings if f.rule == rule]
    assert len(hits) == 1, format_findings(findings)
    return hits[0]


@pytest.fixture(autouse=True)
def _seed():
    ll.manual_seed(0)


def _x(n=32, d=4, seed=0):
    return ll.tensor(np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32))


def _labels(n=32, k=3, seed=1):
    return ll.tensor(np.arange(n) % k).long()


def _binary_y(n=32):
    return ll.tensor((np.arange(n) % 2).astype(np.float32).reshape(n, 1))


def _mlp(d=4, h=8, k=3):
    return nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, k))


def _check_finding(f: Finding):
    assert f.rule in RULES and f.severity in SEVERITIES
    assert f.message and f.fix and str(f).startswith(f"[{f.severity}] {f.rule}: ")


# -- the correct setups are silent -----------------------------------------------------------
@pytest.mark.parametrize("case", ["ce", "bce_logits", "bce_probs", "mse", "kl", "nll", "hinge", "huber"])
def test_correct_setups_have_no_findings(case):
    x = _x()
    if case == "ce":
        model, loss, y = _mlp(), "cross_entropy", _labels()
    elif case == "bce_logits":
        model, loss, y = _mlp(k=1), "binary_cross_entropy_with_logits", _binary_y()
    elif case == "bce_probs":
        model, loss, y = nn.Sequential(nn.Linear(4, 1), nn.Sigmoid()), "binary_cross_entropy", _binary_y()
    elif case == "mse":
        model, loss, y = _mlp(k=1), "mse_loss", ll.randn(32, 1)
    elif case == "kl":
        model, loss, y = nn.Sequential(nn.Linear(4, 3), nn.LogSoftmax(dim=1)), "kl_div", ll.softmax(ll.randn(32, 3), 1)
    elif case == "nll":
        model, loss, y = nn.Sequential(nn.Linear(4, 3), nn.LogSoftmax(dim=1)), "nll_loss", _labels()
    elif case == "hinge":
        model, loss, y = nn.Linear(4, 1), "hinge_loss", _binary_y() * 2 - 1
    else:
        model, loss, y = nn.Linear(4, 1), L.HuberLoss(delta=1.0), ll.randn(32, 1)
    opt = optim.SGD(model.parameters(), lr=0.01)
    assert lint(model, loss, x, y, optimizer=opt) == []


# -- 1. BCE clamp ------------------------------------------------------------------------------
def test_bce_clamp_fires_on_probabilities_at_0_or_1():
    model = nn.Sequential(nn.Linear(4, 1), nn.Sigmoid())
    with ll.no_grad():
        model[0].weight.mul_(1000.0)
    f = one(lint(model, "binary_cross_entropy", _x() * 100, _binary_y()), "bce-clamp")
    _check_finding(f)
    assert f.data["n_clamped"] > 0 and "binary_cross_entropy_with_logits" in f.fix
    assert "−100" in f.message


def test_bce_clamp_fires_for_a_callable_returning_exact_zeros_and_ones():
    model = lambda x: ll.tensor(np.array([[0.0], [1.0], [0.5], [0.3]], dtype=np.float32))  # noqa: E731
    f = one(lint(model, "binary_cross_entropy", _x(4), _binary_y(4)), "bce-clamp")
    assert f.data["n_exact"] == 2 and f.data["n"] == 4


def test_bce_clamp_silent_on_moderate_probabilities():
    model = nn.Sequential(nn.Linear(4, 1), nn.Sigmoid())
    assert "bce-clamp" not in rules(lint(model, "binary_cross_entropy", _x(), _binary_y()))


# -- 2. class imbalance ----------------------------------------------------------------------------
def _imbalanced(n=44):
    return ll.tensor(np.r_[np.zeros(n - 4), np.ones(2), 2 * np.ones(2)].astype(np.int64))


def test_class_imbalance_fires_for_plain_cross_entropy():
    f = one(lint(_mlp(), "cross_entropy", _x(44), _imbalanced()), "class-imbalance")
    _check_finding(f)
    assert f.data["ratio"] == 20 and f.data["counts"] == {0: 40, 1: 2, 2: 2}
    assert "weight=" in f.fix and "focal_loss" in f.fix
    assert f.data["ratio"] >= lint_mod.IMBALANCE_RATIO


def test_class_imbalance_fires_for_binary_with_pos_weight_fix():
    y = ll.tensor(np.r_[np.zeros(30), np.ones(2)].astype(np.float32).reshape(32, 1))
    f = one(lint(nn.Linear(4, 1), "binary_cross_entropy_with_logits", _x(), y), "class-imbalance")
    assert "pos_weight=15" in f.fix


@pytest.mark.parametrize("loss", [
    lambda w: L.CrossEntropyLoss(weight=w),
    lambda w: functools.partial(L.cross_entropy, weight=w),
    lambda w: "focal_loss",
])
def test_class_imbalance_silent_with_weights_or_focal(loss):
    w = ll.tensor([0.37, 7.3, 7.3])
    assert "class-imbalance" not in rules(lint(_mlp(), loss(w), _x(44), _imbalanced()))


def test_class_imbalance_silent_below_the_threshold():
    y = ll.tensor(np.r_[np.zeros(27), np.ones(3), 2 * np.ones(3)].astype(np.int64))  # ratio 9 < 10
    assert "class-imbalance" not in rules(lint(_mlp(), "cross_entropy", _x(33), y))


# -- 3. target scale ---------------------------------------------------------------------------------
@pytest.mark.parametrize("scale,shift", [(1000.0, 0.0), (1.0, 500.0), (0.01, 0.0)])
def test_target_scale_fires_far_from_unit(scale, shift):
    y = ll.randn(32, 1) * scale + shift
    f = one(lint(nn.Linear(4, 1), "mse_loss", _x(), y), "target-scale")
    _check_finding(f)
    assert "standardise" in f.fix and ("> 10" in f.message or "< 0.1" in f.message)


def test_target_scale_silent_for_unit_scale_and_for_other_losses():
    assert "target-scale" not in rules(lint(nn.Linear(4, 1), "mse_loss", _x(), ll.randn(32, 1) * 3 + 2))
    assert "target-scale" not in rules(lint(nn.Linear(4, 1), "l1_loss", _x(), ll.randn(32, 1) * 1000))


# -- 4. double softmax / sigmoid ------------------------------------------------------------------
def test_double_softmax_fires_by_last_module():
    model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
    f = one(lint(model, "cross_entropy", _x(), _labels()), "double-activation")
    _check_finding(f)
    assert f.severity == "error" and "nn.Softmax" in f.message and "logits" in f.fix


def test_double_softmax_fires_by_outputs_summing_to_one():
    class Net(nn.Module):  # softmax applied functionally: no Softmax module to see
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 3)

        def forward(self, x):
            return ll.softmax(self.lin(x), 1)

    f = one(lint(Net(), "cross_entropy", _x(), _labels()), "double-activation")
    assert "sums to 1" in f.message


@pytest.mark.parametrize("loss", ["binary_cross_entropy_with_logits", "sigmoid_focal_loss"])
def test_sigmoid_fed_to_a_logits_loss(loss):
    model = nn.Sequential(nn.Linear(4, 1), nn.Sigmoid())
    f = one(lint(model, loss, _x(), _binary_y()), "double-activation")
    assert "sigmoid" in f.message and f.data["activation"] == "sigmoid"


def test_log_softmax_before_cross_entropy_is_only_info():
    model = nn.Sequential(nn.Linear(4, 3), nn.LogSoftmax(dim=1))
    f = one(lint(model, "cross_entropy", _x(), _labels()), "double-activation")
    assert f.severity == "info" and "idempotent" in f.message


def test_double_activation_silent_on_logits():
    assert "double-activation" not in rules(lint(_mlp(), "cross_entropy", _x(), _labels()))
    # a sigmoid hidden layer is not the output
    model = nn.Sequential(nn.Linear(4, 8), nn.Sigmoid(), nn.Linear(8, 1))
    assert "double-activation" not in rules(lint(model, "binary_cross_entropy_with_logits", _x(), _binary_y()))


# -- 5. softmax + MSE ----------------------------------------------------------------------------------
def test_softmax_mse_fires_on_one_hot_targets():
    y = ll.tensor(np.eye(3, dtype=np.float32)[np.arange(32) % 3])
    f = one(lint(nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1)), "mse_loss", _x(), y), "softmax-mse")
    _check_finding(f)
    assert "cross_entropy" in f.fix and "one-hot" in f.message


def test_sigmoid_mse_fires_on_binary_targets():
    f = one(lint(nn.Sequential(nn.Linear(4, 1), nn.Sigmoid()), "mse_loss", _x(), _binary_y()), "softmax-mse")
    assert "binary_cross_entropy_with_logits" in f.fix


def test_softmax_mse_silent_for_real_valued_regression_targets():
    y = ll.softmax(ll.randn(32, 3), 1)  # fitting proportions: a real regression on the simplex
    assert "softmax-mse" not in rules(lint(nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1)), "mse_loss", _x(), y))


# -- 6. probabilities to kl_div / nll_loss ---------------------------------------------------------
@pytest.mark.parametrize("loss", ["kl_div", "js_divergence"])
def test_probabilities_to_kl_div(loss):
    model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
    f = one(lint(model, loss, _x(), ll.softmax(ll.randn(32, 3), 1)), "probabilities-for-log-probabilities")
    _check_finding(f)
    assert "log_softmax" in f.fix


def test_probabilities_to_nll_loss():
    model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
    f = one(lint(model, "nll_loss", _x(), _labels()), "probabilities-for-log-probabilities")
    assert "cross_entropy" in f.fix


def test_raw_scores_to_nll_loss_are_unnormalized_log_probabilities():
    f = one(lint(nn.Linear(4, 3), "nll_loss", _x(), _labels()), "unnormalized-log-probabilities")
    assert f.data["max_abs_logsumexp"] > 1e-3


def test_kl_div_silent_on_log_probabilities():
    model = nn.Sequential(nn.Linear(4, 3), nn.LogSoftmax(dim=1))
    assert lint(model, "kl_div", _x(), ll.softmax(ll.randn(32, 3), 1)) == []


# -- logits to a loss on probabilities ---------------------------------------------------------
def test_logits_to_binary_cross_entropy():
    f = one(lint(nn.Linear(4, 1), "binary_cross_entropy", _x(), _binary_y()), "logits-for-probabilities")
    assert "binary_cross_entropy_with_logits" in f.fix
    assert "loss-error" not in rules(lint(nn.Linear(4, 1), "binary_cross_entropy", _x(), _binary_y()))


# -- 7. label encoding ------------------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["binary_cross_entropy_with_logits", "sigmoid_focal_loss"])
def test_pm1_labels_to_a_zero_one_loss(loss):
    f = one(lint(nn.Linear(4, 1), loss, _x(), _binary_y() * 2 - 1), "label-encoding")
    _check_finding(f)
    assert "(y + 1) / 2" in f.fix


@pytest.mark.parametrize("loss", ["hinge_loss", "soft_margin_loss", "squared_hinge_loss"])
def test_zero_one_labels_to_a_pm1_loss(loss):
    f = one(lint(nn.Linear(4, 1), loss, _x(), _binary_y()), "label-encoding")
    assert "2 * y - 1" in f.fix
    assert "loss-error" not in rules(lint(nn.Linear(4, 1), loss, _x(), _binary_y()))  # explained once


def test_label_encoding_silent_on_matching_labels():
    assert "label-encoding" not in rules(lint(nn.Linear(4, 1), "soft_margin_loss", _x(), _binary_y() * 2 - 1))
    assert "label-encoding" not in rules(lint(nn.Linear(4, 1), "binary_cross_entropy_with_logits", _x(), _binary_y()))


# -- 8. vanishing gradients / saturation / dead ReLU ------------------------------------------------
def _deep_sigmoid(depth=8):
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(4, 4), nn.Sigmoid()]
    return nn.Sequential(*layers, nn.Linear(4, 1))


def test_vanishing_gradients_in_a_deep_sigmoid_stack():
    f = one(lint(_deep_sigmoid(), "mse_loss", _x(), ll.randn(32, 1)), "vanishing-gradients")
    _check_finding(f)
    assert f.data["first"] < lint_mod.VANISHING_RATIO * f.data["last"]
    assert len(f.data["norms"]) == 9


def test_saturated_tanh_layer():
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
    with ll.no_grad():
        model[0].weight.mul_(100.0)
    f = one(lint(model, "mse_loss", _x(), ll.randn(32, 1)), "saturated-activations")
    assert f.data["saturated_fraction"] > lint_mod.SATURATION_FRACTION and "tanh" in f.message


def test_dead_relu_layer():
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    with ll.no_grad():
        model[0].bias.fill_(-100.0)
    found = lint(model, "mse_loss", _x(), ll.randn(32, 1))
    assert one(found, "dead-relu").data["dead_fraction"] == 1.0
    assert "vanishing-gradients" in rules(found)  # the first layer's gradient is 0


def test_gradient_rules_silent_on_a_shallow_relu_net():
    found = rules(lint(_mlp(k=1), "mse_loss", _x(), ll.randn(32, 1)))
    for r in ("vanishing-gradients", "saturated-activations", "dead-relu", "exploding-gradients"):
        assert r not in found
    assert "saturated-activations" not in rules(lint(nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)),
                                                     "mse_loss", _x(), ll.randn(32, 1)))


def test_zero_gradient():
    class Frozen(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 1)

        def forward(self, x):
            return self.lin(x) * 0.0

    assert "zero-gradient" in rules(lint(Frozen(), "mse_loss", _x(), ll.randn(32, 1)))


# -- 9. exploding gradients -------------------------------------------------------------------------
def test_exploding_gradients_on_unscaled_inputs():
    model = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 1))
    f = one(lint(model, "mse_loss", _x() * 1000, ll.randn(32, 1)), "exploding-gradients")
    _check_finding(f)
    assert f.data["total_norm"] > lint_mod.EXPLODING_NORM and "clip_grad_norm" in f.fix


def test_exploding_gradients_silent_on_scaled_inputs():
    model = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 1))
    assert "exploding-gradients" not in rules(lint(model, "mse_loss", _x(), ll.randn(32, 1)))


# -- 10. learning rate --------------------------------------------------------------------------------
def test_learning_rate_too_large_for_sgd():
    f = one(lint(nn.Linear(4, 1), "mse_loss", _x(), ll.randn(32, 1), lr=10.0), "learning-rate")
    _check_finding(f)
    losses = f.data["losses"]
    assert len(losses) == 4 and all(b > a for a, b in zip(losses, losses[1:]))
    assert "lr=1" in f.fix and f.data["optimizer"] == "SGD"


def test_learning_rate_too_large_for_adam_given_as_optimizer():
    model = nn.Linear(4, 1)
    f = one(lint(model, "mse_loss", _x(), ll.randn(32, 1), optimizer=optim.Adam(model.parameters(), lr=5.0)),
            "learning-rate")
    assert f.data["optimizer"] == "Adam" and f.data["lr"] == 5.0


def test_lr_overrides_the_optimizers():
    model = nn.Linear(4, 1)
    opt = optim.SGD(model.parameters(), lr=0.01)
    assert "learning-rate" not in rules(lint(model, "mse_loss", _x(), ll.randn(32, 1), optimizer=opt))
    f = one(lint(model, "mse_loss", _x(), ll.randn(32, 1), optimizer=opt, lr=10.0), "learning-rate")
    assert f.data["lr"] == 10.0 and opt.param_groups[0]["lr"] == 0.01


def test_learning_rate_silent_for_a_small_step_and_without_optimizer():
    assert lint(nn.Linear(4, 1), "mse_loss", _x(), ll.randn(32, 1), lr=0.05) == []
    assert lint(nn.Linear(4, 1), "mse_loss", _x(), ll.randn(32, 1) * 3) == []  # no lr: no trial steps


def test_trial_steps_leave_the_model_and_optimizer_untouched():
    model = _mlp(k=1)
    opt = optim.Adam(model.parameters(), lr=10.0)
    before = {k: v.data.copy() for k, v in model.state_dict().items()}
    x, y = _x(), ll.randn(32, 1)
    model(x).sum().backward()
    grads = [p.grad.data.copy() for p in model.parameters()]
    rng = ll.random.get_rng_state()
    lint(model, "mse_loss", x, y, optimizer=opt)
    assert all(np.array_equal(before[k], v.data) for k, v in model.state_dict().items())
    assert all(np.array_equal(g, p.grad.data) for g, p in zip(grads, model.parameters()))
    assert opt.state_dict()["state"] == {}
    assert ll.random.get_rng_state() == rng


def test_rng_is_restored_with_dropout():
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 1))
    x, y = _x(), ll.randn(32, 1)
    gen = ll.random.generator()
    state = gen.bit_generator.state
    lint(model, "mse_loss", x, y, lr=0.01)
    assert ll.random.generator() is gen and gen.bit_generator.state == state


# -- shapes ---------------------------------------------------------------------------------------
def test_shape_mismatch_n1_vs_n_explains_broadcasting():
    f = one(lint(nn.Linear(4, 1), "mse_loss", _x(), ll.randn(32)), "shape-mismatch")
    _check_finding(f)
    assert "32×32" in f.message and "y.reshape(32, 1)" in f.fix


def test_shape_mismatch_other_cases():
    assert "Linear(..., 3)" in one(lint(nn.Linear(4, 1), "mse_loss", _x(), ll.randn(32, 3)), "shape-mismatch").fix
    assert "batch" in one(lint(nn.Linear(4, 1), "mse_loss", _x(), ll.randn(30, 1)), "shape-mismatch").message
    f = one(lint(nn.Linear(4, 2), "cross_entropy", _x(), _labels(k=3)), "shape-mismatch")
    assert f.data == {"n_outputs": 2, "n_classes": 3}
    assert "y.reshape(-1)" in one(lint(_mlp(), "cross_entropy", _x(), _labels().reshape(32, 1)), "shape-mismatch").fix
    assert "shape-mismatch" not in rules(lint(_mlp(), "cross_entropy", _x(), ll.softmax(ll.randn(32, 3), 1)))


def test_nonfinite_data():
    x = _x()
    x.data[3, 1] = np.nan
    f = one(lint(nn.Linear(4, 1), "mse_loss", x, ll.randn(32, 1)), "nonfinite-data")
    assert "inputs x" in f.message


def test_custom_callable_loss_gets_the_generic_rules():
    loss = lambda o, t: ((o - t) ** 2).mean()  # noqa: E731
    assert lint(nn.Linear(4, 1), loss, _x(), ll.randn(32, 1)) == []
    assert "learning-rate" in rules(lint(nn.Linear(4, 1), loss, _x(), ll.randn(32, 1), lr=10.0))


def test_arrays_are_accepted():
    x = np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[np.arange(32) % 3]
    assert "softmax-mse" in rules(lint(nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1)), "mse_loss", x, y))


# -- output, warnings, bad input ------------------------------------------------------------------------
def test_findings_are_sorted_errors_first_and_formatted():
    model = nn.Sequential(nn.Linear(4, 3), nn.LogSoftmax(dim=1))
    found = lint(model, "cross_entropy", _x(44), _imbalanced())
    assert [f.severity for f in found] == ["warning", "info"]
    assert format_findings([]) == "no pitfalls found"
    assert format_findings(found).count("\n") == 1


def test_warn_findings_skips_info():
    found = [Finding("double-activation", "info", "m", "f"), Finding("target-scale", "warning", "m2", "f2")]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        warn_findings(found)
    assert [str(x.message) for x in w] == ["[warning] target-scale: m2 Fix: f2"]
    assert all(issubclass(x.category, LossLabLintWarning) for x in w)


def test_bad_arguments():
    with pytest.raises(ValueError, match="lint: loss_fn: no loss named 'cross_entropi'"):
        lint(nn.Linear(4, 1), "cross_entropi", _x(), ll.randn(32, 1))
    with pytest.raises(TypeError, match="lint: loss_fn"):
        lint(nn.Linear(4, 1), 3, _x(), ll.randn(32, 1))
    with pytest.raises(ValueError, match="lint: lr must be a positive number, got -1"):
        lint(nn.Linear(4, 1), "mse_loss", _x(), ll.randn(32, 1), lr=-1)
    with pytest.raises(TypeError, match="lint: optimizer"):
        lint(nn.Linear(4, 1), "mse_loss", _x(), ll.randn(32, 1), optimizer="adam")
    with pytest.raises(TypeError, match="lint: model"):
        lint("net", "mse_loss", _x(), ll.randn(32, 1))
    with pytest.raises(TypeError, match="must return a Tensor"):
        lint(lambda x: 3.0, "mse_loss", _x(), ll.randn(32, 1))


def test_every_rule_is_documented():
    doc = lint_mod.__doc__
    for rule in RULES:
        assert f"``{rule}``" in doc, rule
