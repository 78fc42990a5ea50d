"""Callbacks: the hook order, EarlyStopping, ModelCheckpoint, LearningRateLogger."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
import losslab.nn as nn
import losslab.optim as optim
from losslab.data import DataLoader, TensorDataset
from losslab.optim.lr_scheduler import OneCycleLR, StepLR
from losslab.serialization import load
from losslab.train import Callback, EarlyStopping, LearningRateLogger, ModelCheckpoint, fit, monitor_mode


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-1.0], [0.5]]) + 0.1 * rng.normal(size=(n, 1))).astype(np.float32)
    return x, y


def _loader(x, y, bs=16):
    return DataLoader(TensorDataset(x, y), batch_size=bs)


def _model():
    ll.manual_seed(0)
    return nn.Linear(3, 1)


class Script(Callback):
    """Overwrites the monitored value with a scripted series (placed before the callback under
    test) and remembers the weights at every epoch."""

    def __init__(self, key, values):
        self.key, self.values, self.weights = key, list(values), {}

    def on_epoch_end(self, state, logs):
        logs[self.key] = self.values[logs["epoch"] - 1]
        self.weights[logs["epoch"]] = [p.data.copy() for p in state.model.parameters()]


def _same(ws, model):
    return all(np.array_equal(a, p.data) for a, p in zip(ws, model.parameters()))


# -- base class -----------------------------------------------------------------------------------
def test_hook_order_and_state():
    events = []

    class Rec(Callback):
        def on_train_begin(self, state):
            events.append(("train_begin", state.epoch_done))

        def on_epoch_begin(self, state):
            events.append(("epoch_begin", state.epoch))

        def on_batch_end(self, state, logs):
            events.append(("batch", logs["batch"], logs["step"], round(logs["lr"], 3)))

        def on_epoch_end(self, state, logs):
            events.append(("epoch_end", logs["epoch"], "train_loss" in logs))
            logs["custom"] = 7.0  # callbacks may extend the record

        def on_train_end(self, state):
            events.append(("train_end", state.step))

    x, y = _data(n=32)
    model = _model()
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.1), _loader(x, y, 16), epochs=2,
            callbacks=[Rec()], progress=False)
    assert events == [("train_begin", 0),
                      ("epoch_begin", 1), ("batch", 1, 1, 0.1), ("batch", 2, 2, 0.1), ("epoch_end", 1, True),
                      ("epoch_begin", 2), ("batch", 1, 3, 0.1), ("batch", 2, 4, 0.1), ("epoch_end", 2, True),
                      ("train_end", 4)]
    assert h["custom"] == [7.0, 7.0]


def test_stop_training_from_a_batch_hook_stops_within_the_epoch():
    class StopAt(Callback):
        def on_batch_end(self, state, logs):
            if state.step == 5:
                state.stop_training = True
                state.stop_reason = "enough"

    x, y = _data(n=48)
    model = _model()
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.1), _loader(x, y, 16), epochs=10,
            callbacks=[StopAt()], progress=False)
    assert len(h.step_losses) == 5 and len(h) == 2 and h["steps"] == [3, 2]
    assert h.stopped_early and h.stop_reason == "enough"


def test_monitor_mode():
    assert monitor_mode("val_loss") == "min"
    assert monitor_mode("train_loss") == "min"
    assert monitor_mode("val_log_loss") == "min"
    assert monitor_mode("val_mae") == "min"
    assert monitor_mode("val_rmse") == "min"
    for k in ("val_accuracy", "val_f1", "val_r2", "train_precision", "val_recall"):
        assert monitor_mode(k) == "max", k
    with pytest.raises(ValueError, match="mode='min'"):
        monitor_mode("val_banana")


# -- EarlyStopping ----------------------------------------------------------------------------------
def test_early_stopping_patience_and_restore_best():
    x, y = _data()
    model = _model()
    script = Script("val_loss", [5.0, 4.0, 3.0, 3.5, 3.2, 3.1, 1.0, 0.5])
    stop = EarlyStopping(patience=3)
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.05), _loader(x, y), _loader(x, y),
            epochs=8, callbacks=[script, stop], progress=False)
    assert len(h) == 6  # best at epoch 3, then 3 epochs without improvement
    assert h.stopped_early and "val_loss" in h.stop_reason and "epoch 3" in h.stop_reason
    assert stop.best == 3.0 and stop.best_epoch == 3 and stop.stopped_epoch == 6
    assert _same(script.weights[3], model)


def test_early_stopping_without_restore_keeps_the_last_weights():
    x, y = _data()
    model = _model()
    script = Script("val_loss", [5.0, 4.0, 4.5, 4.5])
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.05), _loader(x, y), _loader(x, y),
            epochs=8, callbacks=[script, EarlyStopping(patience=2, restore_best_weights=False)],
            progress=False)
    assert len(h) == 4 and _same(script.weights[4], model)
    # restore_best is an alias
    assert EarlyStopping(restore_best=False).restore_best_weights is False


def test_early_stopping_min_delta_and_max_mode():
    x, y = _data()
    model = _model()
    script = Script("val_accuracy", [0.5, 0.6, 0.605, 0.609, 0.9])
    stop = EarlyStopping(monitor="val_accuracy", patience=2, min_delta=0.01)
    assert stop.mode == "max"
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.05), _loader(x, y), _loader(x, y),
            epochs=5, callbacks=[script, stop], progress=False)
    assert len(h) == 4 and stop.best == 0.6  # +0.005 and +0.009 are below min_delta


def test_early_stopping_nan_never_improves_and_run_to_the_end_keeps_weights():
    x, y = _data()
    model = _model()
    script = Script("train_loss", [1.0, float("nan"), 0.9, 0.8])
    stop = EarlyStopping(monitor="train_loss", patience=2)
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.05), _loader(x, y), epochs=4,
            callbacks=[script, stop], progress=False)
    assert len(h) == 4 and not h.stopped_early and stop.best == 0.8
    assert _same(script.weights[4], model)


def test_early_stopping_bad_arguments_and_missing_key():
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="min_delta"):
        EarlyStopping(min_delta=-0.1)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(monitor="val_loss", mode="down")
    with pytest.raises(ValueError, match="cannot tell"):
        EarlyStopping(monitor="val_weirdness")
    x, y = _data()
    model = _model()
    with pytest.raises(ValueError, match="val_loss.*not in the epoch's record.*val="):
        fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.05), _loader(x, y), epochs=2,
            callbacks=[EarlyStopping()], progress=False)


def test_early_stopping_on_real_training_stops_before_the_end():
    x, y = _data()
    model = _model()
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.1), _loader(x, y), _loader(x, y, 48),
            epochs=200, callbacks=[EarlyStopping(patience=3, min_delta=1e-4)], progress=False)
    assert h.stopped_early and len(h) < 200


# -- ModelCheckpoint --------------------------------------------------------------------------------
def test_model_checkpoint_best_only(tmp_path):
    x, y = _data()
    model = _model()
    path = tmp_path / "best.npz"
    script = Script("val_loss", [3.0, 2.0, 2.5, 1.0, 1.5])
    ckpt = ModelCheckpoint(path)
    fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.05), _loader(x, y), _loader(x, y),
        epochs=5, callbacks=[script, ckpt], progress=False)
    assert ckpt.best == 1.0 and ckpt.best_epoch == 4
    saved = load(path)
    fresh = nn.Linear(3, 1)
    fresh.load_state_dict(saved)
    assert _same(script.weights[4], fresh)
    assert [p.name for p in tmp_path.iterdir()] == ["best.npz"]  # atomic: no temporary files left


def test_model_checkpoint_every_epoch_with_formatted_names(tmp_path):
    x, y = _data()
    model = _model()
    ckpt = ModelCheckpoint(tmp_path / "m-{epoch:02d}-{train_loss:.2f}.npz", monitor="train_loss",
                           save_best_only=False)
    h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.05), _loader(x, y), epochs=3,
            callbacks=[ckpt], progress=False)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"m-{e:02d}-{v:.2f}.npz" for e, v in zip(h["epoch"], h["train_loss"])]
    assert ckpt.last_path.endswith(names[-1])


def test_model_checkpoint_max_mode_and_errors(tmp_path):
    x, y = _data()
    model = _model()
    script = Script("val_r2", [0.1, 0.5, 0.3])
    ckpt = ModelCheckpoint(tmp_path / "b.npz", monitor="val_r2")
    assert ckpt.mode == "max"
    fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.05), _loader(x, y), _loader(x, y),
        epochs=3, callbacks=[script, ckpt], progress=False)
    assert ckpt.best_epoch == 2
    with pytest.raises(TypeError, match="path"):
        ModelCheckpoint(None)
    with pytest.raises(ValueError, match="val_loss"):
        fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.05), _loader(x, y), epochs=1,
            callbacks=[ModelCheckpoint(tmp_path / "c.npz")], progress=False)
    with pytest.raises(ValueError, match="fields"):
        fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.05), _loader(x, y), epochs=1,
            callbacks=[ModelCheckpoint(tmp_path / "{nope}.npz", monitor="train_loss")], progress=False)


# -- LearningRateLogger -------------------------------------------------------------------------------
def test_lr_logger_per_epoch():
    x, y = _data()
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    log = LearningRateLogger()
    fit(model, "mse_loss", opt, _loader(x, y), epochs=5, scheduler=StepLR(opt, 2, 0.5), callbacks=[log],
        progress=False)
    assert [g[0] for g in log.epochs] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert all(len(g) == 1 for g in log.epochs)
    assert log.steps == []


def test_lr_logger_per_step_follows_one_cycle():
    x, y = _data(n=32)
    model = _model()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = OneCycleLR(opt, max_lr=1.0, total_steps=8)
    expected = [sched.get_last_lr()[0]]
    log = LearningRateLogger(interval="step", log_momentum=True)
    h = fit(model, "mse_loss", opt, _loader(x, y, 8), epochs=2, scheduler=sched, callbacks=[log],
            progress=False)
    assert len(log.steps) == 8
    # the rate logged after step k is the one the scheduler set for step k + 1
    probe = OneCycleLR(optim.SGD([ll.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9), max_lr=1.0,
                       total_steps=8)
    for _ in range(7):
        probe.optimizer.step()
        probe.step()
        expected.append(probe.get_last_lr()[0])
    assert [s[0] for s in log.steps[:7]] == pytest.approx(expected[1:])
    assert "momentum" in h.records[0]


def test_lr_logger_param_groups():
    x, y = _data()
    model = _model()
    opt = optim.SGD([{"params": [model.weight], "lr": 0.1}, {"params": [model.bias], "lr": 0.01}])
    h = fit(model, "mse_loss", opt, _loader(x, y), epochs=2, callbacks=[LearningRateLogger()],
            progress=False)
    assert h["lr_group0"] == [0.1, 0.1] and h["lr_group1"] == [0.01, 0.01]
    with pytest.raises(ValueError, match="interval"):
        LearningRateLogger(interval="batch")
