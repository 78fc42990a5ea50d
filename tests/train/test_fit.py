"""losslab.train.fit: the loop, target adaptation, task inference, metrics, schedulers, clipping,
progress bar, divergence detection, History, and the errors for bad input."""
from __future__ import annotations

import io
import json
import sys

import numpy as np
import pytest

import losslab as ll
import losslab.losses as L
import losslab.nn as nn
import losslab.optim as optim
from losslab.data import DataLoader, TensorDataset
from losslab.optim.lr_scheduler import OneCycleLR, ReduceLROnPlateau, StepLR
from losslab.train import History, TrainingDiverged, fit, resolve_loss

import fit_data  # noqa: E402  (tests/train/fit_data.py)


# -- data -------------------------------------------------------------------------------------
def _regression(n=96, d=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    w = np.arange(1, d + 1, dtype=np.float32).reshape(d, 1) / d
    y = (x @ w + 0.3 + 0.05 * rng.normal(size=(n, 1))).astype(np.float32)
    return x, y


_binary, _multiclass = fit_data.binary, fit_data.multiclass


def _loader(x, y, batch_size=16, shuffle=False, seed=0):
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle, seed=seed)


def _params(model):
    return [p.data.copy() for p in model.parameters()]


# -- the loop -----------------------------------------------------------------------------------
def test_regression_trains_and_records_history():
    x, y = _regression()
    ll.manual_seed(0)
    model = nn.Linear(3, 1)
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.1), _loader(x, y, 16, True),
            _loader(x, y, 32), epochs=8, progress=False)
    assert isinstance(h, History) and len(h) == 8
    assert h["epoch"] == list(range(1, 9))
    assert h["train_loss"][-1] < 0.1 * h["train_loss"][0]
    assert h.last["val_loss"] < 0.01
    for key in ("train_loss", "val_loss", "val_mae", "val_rmse", "val_r2", "train_r2", "lr", "steps",
                "grad_norm", "seconds"):
        assert key in h.records[0], key
    assert h["steps"] == [6] * 8  # ceil(96 / 16)
    assert len(h.step_losses) == 48
    assert h["lr"] == [0.1] * 8
    assert not h.stopped_early and h.diverged is None


def test_train_loss_is_the_sample_weighted_mean_of_batch_losses():
    x, y = _regression(n=10)
    ll.manual_seed(0)
    model = nn.Linear(3, 1)
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.0), _loader(x, y, 4), epochs=1,
            progress=False, metrics=False)
    with ll.no_grad():
        full = L.mse_loss(model(ll.tensor(x)), ll.tensor(y)).item()
    # lr = 0: the weights never change, so the running mean is the full-data loss
    assert h.last["train_loss"] == pytest.approx(full, rel=1e-6)
    assert h.step_losses[:3] != [h.step_losses[0]] * 3


@pytest.mark.parametrize("batch_size, steps", [("full", 1), (1, 30), (7, 5)])
def test_updates_per_epoch_follow_the_batch_size(batch_size, steps):
    x, y = _regression(n=30)
    model = nn.Linear(3, 1)
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.01), _loader(x, y, batch_size),
            epochs=2, progress=False, metrics=False)
    assert h["steps"] == [steps, steps]
    assert len(h.step_losses) == 2 * steps


def test_dataset_and_tuple_are_wrapped_in_a_loader():
    x, y = _regression(n=50)
    model = nn.Linear(3, 1)
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.01), (x, y), epochs=1,
            progress=False, batch_size=8)
    assert h["steps"] == [7]
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.01), TensorDataset(x, y),
            val=(x, y), epochs=1, progress=False, batch_size=25)
    assert h["steps"] == [2] and "val_loss" in h.records[0]


def test_same_seed_same_run():
    x, y = _regression()

    def run():
        ll.manual_seed(3)
        model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 1))
        fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.05, momentum=0.9), (x, y),
            epochs=3, progress=False, seed=11, batch_size=10)
        return _params(model)

    a, b = run(), run()
    assert all(np.array_equal(u, v) for u, v in zip(a, b))


def test_model_trains_in_train_mode_and_is_left_in_eval_mode():
    seen = []

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 1)

        def forward(self, x):
            seen.append(self.training)
            return self.lin(x)

    x, y = _regression(n=20)
    model = Probe()
    fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.01), _loader(x, y, 10), _loader(x, y, 20),
        epochs=1, progress=False, lint=False)  # the linter calls the model on its own copy
    assert seen == [True, True, False]  # two training batches, one validation batch
    assert model.training is False


def test_validation_runs_without_building_a_graph():
    grad_modes = []

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 1)

        def forward(self, x):
            grad_modes.append(ll.is_grad_enabled())
            return self.lin(x)

    x, y = _regression(n=20)
    model = Probe()
    fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.01), _loader(x, y, 20), _loader(x, y, 20),
        epochs=1, progress=False, lint=False)
    assert grad_modes == [True, False]


# -- the loss: names, functions, modules; task inference -----------------------------------------
def test_resolve_loss_forms():
    fn, info, name = resolve_loss("mse")
    assert name == "mse_loss" and info.task == "regression" and fn is L.mse_loss
    assert resolve_loss("HuberLoss")[2] == "huber_loss"
    assert resolve_loss(L.huber_loss)[1].name == "huber_loss"
    mod = L.HuberLoss(delta=2.0)
    fn, info, name = resolve_loss(mod)
    assert fn is mod and info.name == "huber_loss"
    fn, info, name = resolve_loss(lambda o, t: ((o - t) ** 2).mean())
    assert info is None
    with pytest.raises(ValueError, match="did you mean"):
        resolve_loss("cross_entropi")
    with pytest.raises(TypeError, match="loss_fn"):
        resolve_loss(3)


@pytest.mark.parametrize("loss", ["binary_cross_entropy_with_logits", L.binary_cross_entropy_with_logits,
                                  L.BCEWithLogitsLoss()])
def test_binary_labels_become_float_column_targets(loss):
    x, y = _binary()
    ll.manual_seed(0)
    model = nn.Linear(2, 1)
    h = fit(model, loss, optim.SGD(model.parameters(), lr=0.5), _loader(x, y, 30), _loader(x, y, 120),
            epochs=10, progress=False)
    assert h.last["val_accuracy"] > 0.95
    assert {"val_precision", "val_recall", "val_f1", "val_log_loss"} <= set(h.records[0])


def test_margin_losses_get_plus_minus_one_labels():
    x, y = _binary(n=40)
    ll.manual_seed(0)
    model = nn.Linear(2, 1)
    w0 = _params(model)
    h = fit(model, "hinge_loss", optim.SGD(model.parameters(), lr=0.0), _loader(x, y, 40), epochs=1,
            progress=False, metrics=False)
    model.weight.data[...] = w0[0]
    model.bias.data[...] = w0[1]
    with ll.no_grad():
        expected = L.hinge_loss(model(ll.tensor(x)), ll.tensor(2.0 * y[:, None] - 1).float()).item()
    assert h.last["train_loss"] == pytest.approx(expected, rel=1e-6)


def test_probability_loss_metrics_treat_outputs_as_probabilities():
    x, y = _binary()
    ll.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    h = fit(model, "binary_cross_entropy", optim.SGD(model.parameters(), lr=1.0), _loader(x, y, 30),
            _loader(x, y, 120), epochs=10, progress=False)
    assert h.last["val_accuracy"] > 0.95
    # log-loss computed from the probabilities equals the BCE validation loss
    assert h.last["val_log_loss"] == pytest.approx(h.last["val_loss"], rel=1e-3)


def test_regression_targets_of_shape_n_become_n_by_1():
    x, y = _regression()
    model = nn.Linear(3, 1)
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.1), _loader(x, y[:, 0], 16), epochs=3,
            progress=False)
    assert h.last["train_loss"] < 0.1


def test_task_inferred_from_data_for_a_custom_loss():
    x, y = _multiclass()
    ll.manual_seed(0)
    model = nn.Linear(2, 3)
    h = fit(model, lambda o, t: L.cross_entropy(o, t), optim.SGD(model.parameters(), lr=0.1),
            _loader(x, y, 30), _loader(x, y, 150), epochs=5, progress=False)
    assert "val_accuracy" in h.records[0]
    x, yr = _regression()
    model = nn.Linear(3, 1)
    h = fit(model, lambda o, t: ((o - t) ** 2).mean(), optim.SGD(model.parameters(), lr=0.1),
            _loader(x, yr), epochs=2, progress=False)
    assert "train_r2" in h.records[0]


def test_explicit_task_overrides():
    x, y = _multiclass()
    model = nn.Linear(2, 3)
    h = fit(model, lambda o, t: L.cross_entropy(o, t), optim.SGD(model.parameters(), lr=0.1),
            _loader(x, y, 30), epochs=1, progress=False, task="multiclass")
    assert "train_accuracy" in h.records[0]


def test_metrics_selection():
    x, y = _multiclass()
    model = nn.Linear(2, 3)
    h = fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), _loader(x, y, 30),
            _loader(x, y, 50), epochs=1, progress=False, metrics=["accuracy"])
    assert {k for k in h.records[0] if k.startswith("val_")} == {"val_loss", "val_accuracy"}
    h = fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), _loader(x, y, 30),
            _loader(x, y, 50), epochs=1, progress=False, metrics=False)
    assert {k for k in h.records[0] if k.startswith(("val_", "train_"))} == {"val_loss", "train_loss"}
    with pytest.raises(ValueError, match="unknown metric 'acuracy'"):
        fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), _loader(x, y), epochs=1,
            progress=False, metrics=["acuracy"])
    with pytest.raises(ValueError, match="regression"):
        fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), _loader(x, y), epochs=1,
            progress=False, metrics=["r2"])


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("epochs, exc", [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError)])
def test_non_positive_epochs(epochs, exc):
    x, y = _regression(n=32)
    model = nn.Linear(3, 1)
    with pytest.raises(exc, match="epochs"):
        fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.1), _loader(x, y), epochs=epochs)


def test_one_output_for_ten_classes_says_so():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4)).astype(np.float32)
    y = np.arange(50) % 10
    model = nn.Linear(4, 1)
    with pytest.raises(ValueError) as e:
        fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), _loader(x, y, 5), epochs=1,
            progress=False)
    msg = str(e.value)
    assert "the model has 1 output but the data has 10 classes" in msg
    assert "(5, 1)" in msg and "(5,)" in msg and "Linear(..., 10)" in msg


def test_classification_loss_on_continuous_targets_suggests_regression():
    x, y = _regression()
    model = nn.Linear(3, 3)
    with pytest.raises(ValueError, match="classification loss but the targets are continuous.*regression loss"):
        fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), _loader(x, y), epochs=1,
            progress=False)
    model = nn.Linear(3, 1)
    with pytest.raises(ValueError, match="continuous.*mse_loss"):
        fit(model, "binary_cross_entropy_with_logits", optim.SGD(model.parameters(), lr=0.1),
            _loader(x, y * 50), epochs=1, progress=False)


def test_regression_loss_on_class_labels():
    x, y = _multiclass()
    model = nn.Linear(2, 1)
    with pytest.raises(ValueError, match="regression loss but the targets are integer class labels.*cross_entropy"):
        fit(model, "huber_loss", optim.SGD(model.parameters(), lr=0.1), _loader(x, y), epochs=1,
            progress=False)


def test_binary_loss_on_three_classes_and_on_two_outputs():
    x, y = _multiclass()
    model = nn.Linear(2, 1)
    with pytest.raises(ValueError, match="binary loss but the data has 3 classes.*cross_entropy"):
        fit(model, "binary_cross_entropy_with_logits", optim.SGD(model.parameters(), lr=0.1),
            _loader(x, y), epochs=1, progress=False)
    xb, yb = _binary()
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match=r"one logit.*\(16, 2\).*Linear\(\.\.\., 1\)"):
        fit(model, "binary_cross_entropy_with_logits", optim.SGD(model.parameters(), lr=0.1),
            _loader(xb, yb), epochs=1, progress=False)
    with pytest.raises(ValueError, match="-1/\\+1.*0/1"):
        fit(nn.Linear(2, 1), "binary_cross_entropy_with_logits", optim.SGD(model.parameters(), lr=0.1),
            _loader(xb, 2 * yb - 1), epochs=1, progress=False)


def test_regression_shape_mismatch_names_both_shapes():
    x, y = _regression()
    model = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"output has shape \(16, 2\) but the targets have shape \(16, 1\)"):
        fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.1), _loader(x, y), epochs=1,
            progress=False)


def test_other_bad_arguments():
    x, y = _regression(n=16)
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="on_divergence"):
        fit(model, "mse_loss", opt, _loader(x, y), on_divergence="ignore")
    with pytest.raises(ValueError, match="scheduler_interval"):
        fit(model, "mse_loss", opt, _loader(x, y), scheduler=StepLR(opt, 1), scheduler_interval="batch")
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        fit(model, "mse_loss", opt, _loader(x, y), scheduler=ReduceLROnPlateau(opt), scheduler_interval="step")
    with pytest.raises(ValueError, match="clip_grad_norm"):
        fit(model, "mse_loss", opt, _loader(x, y), clip_grad_norm=-1.0)
    with pytest.raises(ValueError, match="task"):
        fit(model, "mse_loss", opt, _loader(x, y), task="ranking")
    with pytest.raises(TypeError, match="callbacks"):
        fit(model, "mse_loss", opt, _loader(x, y), callbacks=[print])
    with pytest.raises(TypeError, match="train"):
        fit(model, "mse_loss", opt, [1, 2, 3])
    with pytest.raises(ValueError, match="ranking loss"):
        fit(model, "margin_ranking_loss", opt, _loader(x, y))
    with pytest.raises(ValueError, match="scalar"):
        fit(model, lambda o, t: o - t, opt, _loader(x, y), progress=False)


# -- schedulers -----------------------------------------------------------------------------------
def test_epoch_scheduler_steps_once_per_epoch_and_lr_is_recorded():
    x, y = _regression(n=32)
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    h = fit(model, "mse_loss", opt, _loader(x, y, 8), epochs=5, scheduler=sched, progress=False)
    assert sched.last_epoch == 5
    assert h["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_one_cycle_steps_per_batch_by_default():
    x, y = _regression(n=32)
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = OneCycleLR(opt, max_lr=0.5, total_steps=3 * 4)
    fit(model, "mse_loss", opt, _loader(x, y, 8), epochs=3, scheduler=sched, progress=False)
    assert sched.last_epoch == 12
    sched2 = StepLR(opt, step_size=100)
    fit(model, "mse_loss", opt, _loader(x, y, 8), epochs=2, scheduler=sched2, progress=False,
        scheduler_interval="step")
    assert sched2.last_epoch == 8


def test_reduce_on_plateau_gets_the_validation_loss():
    seen = []

    class Spy(ReduceLROnPlateau):
        def step(self, metrics, epoch=None):
            seen.append(metrics)
            super().step(metrics, epoch)

    x, y = _regression(n=32)
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.05)
    h = fit(model, "mse_loss", opt, _loader(x, y, 8), _loader(x, y, 32), epochs=3, scheduler=Spy(opt),
            progress=False)
    assert seen == h["val_loss"]
    seen.clear()
    h = fit(model, "mse_loss", opt, _loader(x, y, 8), epochs=2, scheduler=Spy(opt), progress=False)
    assert seen == h["train_loss"]


# -- clipping -------------------------------------------------------------------------------------
def test_clip_grad_norm_bounds_each_update():
    x, y = _regression(n=32)
    y = y * 100  # large errors → large gradients
    ll.manual_seed(0)
    model = nn.Linear(3, 1)
    before = np.concatenate([p.ravel() for p in _params(model)])
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.1), _loader(x, y, "full"), epochs=1,
            progress=False, clip_grad_norm=1.0)
    after = np.concatenate([p.data.ravel() for p in model.parameters()])
    assert h.last["grad_norm"] > 10  # the norm before clipping is recorded
    assert np.linalg.norm(after - before) <= 0.1 * 1.0 + 1e-6


# -- progress bar ---------------------------------------------------------------------------------
class _TTY(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("tty, progress, shown", [(True, True, True), (True, False, False), (False, True, False)])
def test_progress_bar_only_on_a_terminal(monkeypatch, tty, progress, shown):
    stream = _TTY() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    x, y = _regression(n=32)
    model = nn.Linear(3, 1)
    fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.1), _loader(x, y, 8), _loader(x, y, 32),
        epochs=2, progress=progress)
    out = stream.getvalue()
    if shown:
        assert "epoch 1/2" in out and "epoch 2/2" in out and "loss=" in out and "val_loss=" in out
    else:
        assert out == ""


# -- divergence -----------------------------------------------------------------------------------
def test_divergence_stops_restores_and_explains():
    from losslab.optim.lr_scheduler import LambdaLR

    x, y = _regression()
    ll.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.05)
    blow_up = LambdaLR(opt, lambda epoch: 1.0 if epoch < 4 else 60.0)  # lr 3 from epoch 5
    h = fit(model, "mse_loss", opt, _loader(x, y, 16), _loader(x, y, 96), epochs=50, scheduler=blow_up,
            progress=False)
    msg = h.diverged
    assert msg is not None and 4 <= len(h) < 50
    assert "step" in msg and ("inf" in msg or "nan" in msg)
    assert "lr=3" in msg and "clip_grad_norm" in msg and "learning rate is too high" in msg
    assert "weights of epoch" in msg
    # the restored weights are those of the best (lowest val_loss) epoch, all finite
    assert all(np.isfinite(p.data).all() for p in model.parameters())
    best = h.best("val_loss")
    with ll.no_grad():
        v = L.mse_loss(model(ll.tensor(x)), ll.tensor(y)).item()
    assert v == pytest.approx(best["val_loss"], rel=1e-5)
    assert not h.stopped_early


def test_divergence_in_the_first_epoch_restores_the_initial_weights_and_names_the_step():
    x, y = _regression()
    ll.manual_seed(0)
    model = nn.Linear(3, 1)
    w0 = _params(model)
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=1e6), _loader(x, y, 16), epochs=3,
            progress=False)
    assert len(h) == 0
    assert "epoch 1, step" in h.diverged and "initial weights" in h.diverged
    assert all(np.array_equal(a, p.data) for a, p in zip(w0, model.parameters()))


def test_on_divergence_raise():
    x, y = _regression()
    model = nn.Linear(3, 1)
    with pytest.raises(TrainingDiverged, match="learning rate") as e:
        fit(model, "mse_loss", optim.SGD(model.parameters(), lr=1e6), _loader(x, y, 16), epochs=3,
            progress=False, on_divergence="raise")
    assert e.value.history.diverged == str(e.value)


def test_nan_loss_stops_within_the_step_without_updating():
    calls = []

    def loss_fn(o, t):
        calls.append(1)
        v = L.mse_loss(o, t)
        return v * float("nan") if len(calls) == 3 else v

    x, y = _regression(n=32)
    ll.manual_seed(0)
    model = nn.Linear(3, 1)
    w0 = _params(model)
    h = fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.1), _loader(x, y, 8), epochs=2,
            progress=False, lint=False)
    assert len(calls) == 3 and len(h.step_losses) == 2
    assert "step 3 (batch 3 of 4)" in h.diverged and "the loss is nan" in h.diverged
    assert all(np.array_equal(a, p.data) for a, p in zip(w0, model.parameters()))


def test_non_finite_gradient_is_divergence():
    x, y = _regression(n=16)
    model = nn.Linear(3, 1)
    # sqrt at 0: a finite loss (0) whose gradient is infinite
    h = fit(model, lambda o, t: ((o - o.detach()) ** 2).sum().sqrt(), optim.SGD(model.parameters(), lr=0.1),
            _loader(x, y, 8), epochs=1, progress=False, task="regression")
    assert h.diverged is not None and "gradient norm" in h.diverged
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_probability_loss_outputs_leaving_the_unit_interval():
    x, y = _binary(n=64)
    ll.manual_seed(0)
    model = nn.Linear(2, 1)  # no Sigmoid: outputs start at 0.5, then leave [0, 1]
    model.weight.data[...] = 0.0
    model.bias.data[...] = 0.5
    h = fit(model, "binary_cross_entropy", optim.SGD(model.parameters(), lr=5.0), _loader(x, y, 8),
            epochs=3, progress=False)
    msg = h.diverged
    assert msg is not None and "(0, 1)" in msg and "Sigmoid" in msg and "learning rate" in msg
    # at the first step the loss's own error is raised (a setup mistake, not a divergence)
    model = nn.Linear(2, 1)
    model.bias.data[...] = 5.0
    with pytest.raises(ValueError, match="between 0 and 1"):
        fit(model, "binary_cross_entropy", optim.SGD(model.parameters(), lr=0.1), _loader(x, y, 8),
            epochs=1, progress=False)


# -- History ----------------------------------------------------------------------------------------
def test_history_export_and_queries(tmp_path):
    h = History()
    h.append({"epoch": 1, "train_loss": 1.0, "val_loss": 2.0, "val_accuracy": 0.5})
    h.append({"epoch": 2, "train_loss": 0.5, "val_loss": 1.5, "val_accuracy": 0.75})
    h.append({"epoch": 3, "train_loss": 0.25, "val_loss": float("nan"), "val_accuracy": 0.7, "extra": 1})
    h.step_losses = [1.0, 0.5]
    assert h.best("val_loss")["epoch"] == 2
    assert h.best("val_accuracy")["epoch"] == 2
    assert h.best("val_accuracy", mode="min")["epoch"] == 1
    assert h.as_dict()["extra"] == [None, None, 1]
    with pytest.raises(KeyError, match="val_r2"):
        h["val_r2"]
    with pytest.raises(ValueError, match="mode"):
        h.best("train_loss", mode="up")
    h.to_csv(tmp_path / "h.csv")
    lines = (tmp_path / "h.csv").read_text().splitlines()
    assert lines[0] == "epoch,train_loss,val_loss,val_accuracy,extra"
    assert lines[1] == "1,1.0,2.0,0.5,"
    h.to_json(tmp_path / "h.json")
    data = json.loads((tmp_path / "h.json").read_text())
    assert data["records"][2]["val_loss"] is None  # NaN → null (strict JSON)
    back = History.from_json(tmp_path / "h.json")
    assert back["train_loss"] == h["train_loss"] and back.step_losses == [1.0, 0.5]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.csv", "h.json"]  # no temp files
    assert "3 epochs" in repr(h)


# -- docstring examples -----------------------------------------------------------------------------
@pytest.mark.parametrize("module", ["losslab.train", "losslab.train.fit", "losslab.train.history",
                                    "losslab.train.callbacks", "losslab.train.checkpoint"])
def test_docstring_examples_run(module):
    import doctest
    import importlib
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             extraglobs={"ll": ll, "np": np})
    assert result.failed == 0
    if module != "losslab.train":
        assert result.attempted > 0


def test_weights_overflowing_in_the_last_step_are_a_divergence():
    x, y = _regression(n=16)
    ll.manual_seed(0)
    model = nn.Linear(3, 1)
    w0 = _params(model)
    # a finite loss and gradient, but lr × gradient overflows float32: the weights become inf
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=1e38), _loader(x, 1e4 * y, "full"), epochs=1,
            progress=False)
    assert h.diverged is not None and "weights" in h.diverged and "step 1 (batch 1 of 1)" in h.diverged
    assert len(h) == 0 and all(np.array_equal(a, p.data) for a, p in zip(w0, model.parameters()))


@pytest.mark.parametrize("with_val", [True, False])
def test_divergence_restores_the_initial_weights_when_they_beat_every_epoch(with_val):
    # lr just past the stability limit: the loss grows every step, slowly enough that epoch 1 ends
    # finite (and worse than at the start) before it overflows. The best epoch is then worse than
    # the untrained weights, so those are what the restore gives back.
    x, y = _regression()
    ll.manual_seed(0)
    model = nn.Linear(3, 1)
    w0 = _params(model)
    with ll.no_grad():
        start = L.mse_loss(model(ll.tensor(x)), ll.tensor(y)).item()
    val = _loader(x, y, 96) if with_val else None
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=2.5), _loader(x, y, 96), val,
            epochs=200, progress=False)
    assert h.diverged is not None and len(h) >= 1
    if with_val:
        assert h.records[0]["val_loss"] > start  # every epoch was worse than doing nothing
    else:  # full batch: epoch 1's train_loss is the loss *before* its step, which made it worse
        assert h.records[0]["train_loss"] == pytest.approx(start, rel=1e-6)
    assert "initial weights were restored" in h.diverged
    assert all(np.array_equal(a, p.data) for a, p in zip(w0, model.parameters()))
