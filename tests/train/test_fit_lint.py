"""fit(..., lint=True): the pitfall linter runs once on the first batch and warns per finding;
lint=False turns it off; the run itself is the same either way."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import losslab as ll
import losslab.nn as nn
import losslab.optim as optim
from losslab.analysis.pitfalls import LossLabLintWarning
from losslab.train import Callback, fit


def _multiclass(n=64):
    rng = np.random.default_rng(0)
    y = np.arange(n) % 3
    x = (rng.normal(size=(n, 4)) + y[:, None]).astype(np.float32)
    return x, y.astype(np.int64)


def _softmax_model():
    ll.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))


def _lint_warnings(record):
    return [w for w in record if issubclass(w.category, LossLabLintWarning)]


def test_fit_warns_once_on_double_softmax():
    model = _softmax_model()
    with pytest.warns(LossLabLintWarning, match="double-activation") as record:
        fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), _multiclass(), epochs=2,
            batch_size=16, progress=False)
    assert len(_lint_warnings(record)) == 1  # once, not per batch or epoch
    assert record[0].filename == __file__  # points at the fit call


def test_fit_lint_false_is_silent():
    model = _softmax_model()
    with warnings.catch_warnings():
        warnings.simplefilter("error", LossLabLintWarning)
        fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), _multiclass(), epochs=1,
            batch_size=16, progress=False, lint=False)


def test_fit_lint_silent_on_a_correct_setup():
    ll.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", LossLabLintWarning)
        fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), _multiclass(), epochs=1,
            batch_size=16, progress=False)


def test_fit_lints_adapted_targets_and_uses_the_optimizer():
    # binary labels (N,) are adapted to (N, 1) floats: no shape finding; the lr is too large
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    ll.manual_seed(0)
    model = nn.Linear(2, 1)
    with pytest.warns(LossLabLintWarning) as record:
        fit(model, "mse_loss", optim.SGD(model.parameters(), lr=5.0), (x, y.astype(np.float32) * 1000),
            epochs=1, batch_size=64, progress=False)
    texts = [str(w.message) for w in _lint_warnings(record)]
    assert any("learning-rate" in t for t in texts) and any("target-scale" in t for t in texts)
    assert not any("shape-mismatch" in t for t in texts)


def test_fit_keeps_findings_for_callbacks_and_the_run_is_unchanged():
    seen = {}

    class Grab(Callback):
        def on_epoch_end(self, state, logs):
            seen["lint"] = state.extra.get("lint")

    x, y = _multiclass()
    runs = []
    for lint in (True, False):
        ll.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.3), nn.Linear(8, 3), nn.Softmax(dim=1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LossLabLintWarning)
            h = fit(model, "cross_entropy", optim.Adam(model.parameters(), lr=0.01), (x, y), epochs=2,
                    batch_size=16, progress=False, seed=0, lint=lint, callbacks=[Grab()])
        runs.append((h.step_losses, [p.data.copy() for p in model.parameters()]))
        if lint:
            assert [f.rule for f in seen["lint"]] == ["double-activation"]
        else:
            assert seen["lint"] is None
    assert runs[0][0] == runs[1][0]  # linting consumed no randomness and changed no weights
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))


# --- a loss chosen by spec (losslab.build.LossChoice, what `losslab train --loss` passes to fit) --
def _binary(n=64, ratio=1):
    rng = np.random.default_rng(1)
    y = (np.arange(n) % (ratio + 1) == 0).astype(np.float32)
    x = (rng.normal(size=(n, 3)) + y[:, None]).astype(np.float32)
    return x, y


def _lint_rules(model, spec, data):
    from losslab.build import resolve_loss

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fit(model, resolve_loss(spec), optim.SGD(model.parameters(), lr=0.05), data, epochs=1,
            batch_size="full", progress=False)
    return {str(w.message).split(":")[0] for w in _lint_warnings(record)}


def test_loss_spec_is_linted_with_its_registry_entry():
    # binary_cross_entropy takes probabilities, but the spec applies the sigmoid itself: a Sigmoid
    # at the end of the model squashes twice, which the linter now sees through the spec
    ll.manual_seed(0)
    squashed = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())
    assert any("double-activation" in r for r in _lint_rules(squashed, "binary_cross_entropy", _binary()))
    ll.manual_seed(0)
    plain = nn.Sequential(nn.Linear(3, 1))
    assert _lint_rules(plain, "binary_cross_entropy", _binary()) == set()


def test_loss_spec_margin_loss_takes_zero_one_labels_without_warning():
    # the hinge spec maps {0, 1} to ±1 itself, so 0/1 labels are right, not a label-encoding error
    ll.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 1))
    assert not any("label-encoding" in r for r in _lint_rules(model, "hinge_loss", _binary()))


def test_loss_spec_class_imbalance_is_reported():
    ll.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 1))
    assert any("class-imbalance" in r for r in _lint_rules(model, "bce", _binary(120, ratio=11)))


def test_effective_info_of_a_loss_spec():
    from losslab.build import resolve_loss

    assert resolve_loss("binary_cross_entropy").effective_info.input_kind == "logits"
    assert resolve_loss("nll_loss").effective_info.input_kind == "logits"
    hinge = resolve_loss("hinge_loss")
    t = hinge.adapt_target(ll.zeros(3, 1), ll.tensor([0, 1, 1]))
    assert t.shape == (3, 1) and t.data.ravel().tolist() == [-1.0, 1.0, 1.0]
    mse = resolve_loss("mse")
    assert mse.effective_info is mse.info  # nothing applied, nothing changed
