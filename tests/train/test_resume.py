"""Checkpoints and resumption: a run killed after 3 of 6 epochs and resumed from its checkpoint
ends with exactly the parameters of an uninterrupted run (shuffling, dropout, a scheduler,
momentum/Adam state, callbacks), and the checkpoint API's errors."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
import losslab.nn as nn
import losslab.optim as optim
from losslab.data import DataLoader, TensorDataset
from losslab.optim.lr_scheduler import CosineAnnealingLR, OneCycleLR, ReduceLROnPlateau, StepLR
from losslab.serialization import save
from losslab.train import EarlyStopping, History, LearningRateLogger, fit, load_checkpoint, save_checkpoint


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (np.sin(x[:, :1]) + x[:, 1:2] * x[:, 2:3] + 0.1 * rng.normal(size=(n, 1))).astype(np.float32)
    return x, y


def _setup(kind: str, init_seed: int):
    """A fresh model, optimizer, scheduler and loader, as a restarted process would build them."""
    ll.manual_seed(init_seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.25), nn.Linear(16, 1))
    if kind == "sgd-momentum":
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
        sched = StepLR(opt, step_size=2, gamma=0.5)
    elif kind == "adam":
        opt = optim.Adam(model.parameters(), lr=0.01)
        sched = CosineAnnealingLR(opt, T_max=6)
    elif kind == "adam-onecycle":  # a per-step schedule
        opt = optim.Adam(model.parameters(), lr=0.01)
        sched = OneCycleLR(opt, max_lr=0.05, total_steps=6 * 6)
    else:  # the validation loss drives the schedule (its state holds inf before the first epoch)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
        sched = ReduceLROnPlateau(opt, patience=0, factor=0.5, threshold=0.05)
    x, y = _data()
    loader = DataLoader(TensorDataset(x, y), batch_size=10, shuffle=True, seed=123)
    val = DataLoader(TensorDataset(*_data(20, seed=1)), batch_size=20)
    return model, opt, sched, loader, val


def _state(model):
    return [p.data.copy() for p in model.parameters()]


@pytest.mark.parametrize("kind", ["sgd-momentum", "adam", "adam-onecycle", "sgd-plateau"])
def test_resume_equals_uninterrupted_run(tmp_path, kind):
    # the uninterrupted run: 6 epochs
    model, opt, sched, loader, val = _setup(kind, init_seed=0)
    ll.manual_seed(99)  # the dropout stream
    full = fit(model, "mse_loss", opt, loader, val, epochs=6, scheduler=sched, progress=False,
               callbacks=[LearningRateLogger(interval="step")])
    expected = _state(model)

    # the same run, killed after 3 epochs (its checkpoint written after each epoch)
    path = tmp_path / "run.npz"
    model, opt, sched, loader, val = _setup(kind, init_seed=0)
    ll.manual_seed(99)
    first = fit(model, "mse_loss", opt, loader, val, epochs=3, scheduler=sched, progress=False,
                checkpoint=path, callbacks=[LearningRateLogger(interval="step")])
    assert len(first) == 3

    # a new process: different initial weights and RNG state, everything rebuilt
    model, opt, sched, loader, val = _setup(kind, init_seed=7)
    ll.manual_seed(12345)
    logger = LearningRateLogger(interval="step")
    resumed = fit(model, "mse_loss", opt, loader, val, epochs=6, scheduler=sched, progress=False,
                  resume=path, checkpoint=path, callbacks=[logger])
    got = _state(model)
    assert all(np.array_equal(a, b) for a, b in zip(expected, got))
    assert resumed["epoch"] == [1, 2, 3, 4, 5, 6]
    assert resumed["train_loss"] == full["train_loss"]
    assert resumed["val_loss"] == full["val_loss"]
    assert resumed.step_losses == full.step_losses
    assert resumed["lr"] == full["lr"]
    if kind == "sgd-plateau":
        assert len(set(full["lr"])) > 1  # the plateau schedule did reduce the rate
    assert len(logger.steps) == 36  # the callback's state was resumed too
    # the checkpoint now holds epoch 6
    assert load_checkpoint(path)["epoch"] == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.npz"]


def test_early_stopping_state_is_resumed(tmp_path):
    def run(epochs, **kw):
        model, opt, sched, loader, val = _setup("adam", init_seed=0)
        stop = EarlyStopping(monitor="val_loss", patience=3, min_delta=0.002)
        h = fit(model, "mse_loss", opt, loader, val, epochs=epochs, scheduler=sched, progress=False,
                callbacks=[stop], **kw)
        return h, _state(model), stop

    ll.manual_seed(5)
    h_full, w_full, s_full = run(20)
    stop_epoch = len(h_full)
    assert h_full.stopped_early and stop_epoch >= 10
    ll.manual_seed(5)
    path = tmp_path / "ck.npz"
    _, _, s_part = run(7, checkpoint=path)
    assert s_part.wait == 2  # killed in the middle of a plateau: the counter must be resumed
    h_res, w_res, s_res = run(20, resume=path)
    assert len(h_res) == stop_epoch and h_res.stopped_early
    assert (s_res.best, s_res.best_epoch) == (s_full.best, s_full.best_epoch)
    assert all(np.array_equal(a, b) for a, b in zip(w_full, w_res))


def test_resume_when_already_done_changes_nothing(tmp_path):
    path = tmp_path / "ck.npz"
    model, opt, sched, loader, val = _setup("adam", init_seed=0)
    fit(model, "mse_loss", opt, loader, val, epochs=2, scheduler=sched, progress=False, checkpoint=path)
    model, opt, sched, loader, val = _setup("adam", init_seed=3)
    h = fit(model, "mse_loss", opt, loader, val, epochs=2, scheduler=sched, progress=False, resume=path)
    assert len(h) == 2
    ck = load_checkpoint(path)
    assert all(np.array_equal(p.data, ck["model"][k].data if hasattr(ck["model"][k], "data") else ck["model"][k])
               for k, p in model.state_dict().items())


def test_checkpoint_contents_and_round_trip(tmp_path):
    model, opt, sched, loader, val = _setup("sgd-momentum", init_seed=0)
    h = fit(model, "mse_loss", opt, loader, val, epochs=2, scheduler=sched, progress=False,
            checkpoint=tmp_path / "ck.npz")
    ck = load_checkpoint(tmp_path / "ck.npz")
    assert ck["epoch"] == 2 and ck["step"] == 12
    assert isinstance(ck["history"], History) and ck["history"]["train_loss"] == h["train_loss"]
    assert ck["loader"]["seed"] == 123
    assert ck["extra"]["loss"] == "mse_loss" and ck["extra"]["task"] == "regression"
    # restoring into fresh objects gives the same optimizer and scheduler state
    model2, opt2, sched2, loader2, _ = _setup("sgd-momentum", init_seed=4)
    load_checkpoint(tmp_path / "ck.npz", model=model2, optimizer=opt2, scheduler=sched2, loader=loader2)
    assert all(np.array_equal(a, b) for a, b in zip(_state(model), _state(model2)))
    assert sched2.state_dict() == sched.state_dict()
    s1, s2 = opt.state_dict(), opt2.state_dict()
    assert s1["param_groups"] == s2["param_groups"]
    for k in s1["state"]:
        assert np.array_equal(s1["state"][k]["momentum_buffer"], s2["state"][k]["momentum_buffer"])


def test_save_and_load_checkpoint_restore_the_rng(tmp_path):
    model = nn.Linear(2, 1)
    ll.manual_seed(1)
    save_checkpoint(tmp_path / "c.npz", model, epoch=0)
    a = ll.randn(5).data
    ll.manual_seed(2)
    load_checkpoint(tmp_path / "c.npz")
    assert np.array_equal(ll.randn(5).data, a)
    ll.manual_seed(2)
    b = ll.randn(3).data
    ll.manual_seed(2)
    load_checkpoint(tmp_path / "c.npz", restore_rng=False)
    assert np.array_equal(ll.randn(3).data, b)


def test_checkpoint_errors(tmp_path):
    model, opt, sched, loader, val = _setup("adam", init_seed=0)
    path = tmp_path / "ck.npz"
    fit(model, "mse_loss", opt, loader, epochs=1, scheduler=sched, progress=False, checkpoint=path)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.npz")
    save({"a": ll.zeros(2)}, tmp_path / "other.npz")
    with pytest.raises(ValueError, match="not a losslab training checkpoint"):
        load_checkpoint(tmp_path / "other.npz")
    with pytest.raises(ValueError, match="does not match"):
        load_checkpoint(path, model=nn.Linear(3, 1))
    m2, _, _, _, _ = _setup("adam", init_seed=0)
    with pytest.raises(ValueError, match="Adam, not a SGD"):
        load_checkpoint(path, model=m2, optimizer=optim.SGD(m2.parameters(), lr=0.1))
    m3, o3, _, l3, _ = _setup("adam", init_seed=0)
    with pytest.raises(ValueError, match="pass the same scheduler"):
        fit(m3, "mse_loss", o3, l3, epochs=2, progress=False, resume=path)
    m4, o4, _, l4, _ = _setup("adam", init_seed=0)
    with pytest.raises(ValueError, match="CosineAnnealingLR, not a StepLR"):
        fit(m4, "mse_loss", o4, l4, epochs=2, progress=False, resume=path, scheduler=StepLR(o4, 1))
    with pytest.raises(ValueError, match="epoch"):
        save_checkpoint(tmp_path / "x.npz", model, epoch=-1)


def test_a_diverged_run_does_not_overwrite_its_last_good_checkpoint(tmp_path):
    x, y = _data()
    path = tmp_path / "ck.npz"
    ll.manual_seed(0)
    model = nn.Linear(4, 1)
    opt = optim.SGD(model.parameters(), lr=0.01)
    sched = StepLR(opt, 1, gamma=30.0)  # the lr grows 30× per epoch until the loss blows up
    h = fit(model, "mse_loss", opt, DataLoader(TensorDataset(x, y), batch_size=10), epochs=20,
            scheduler=sched, progress=False, checkpoint=path)
    assert h.diverged
    ck = load_checkpoint(path)
    assert ck["epoch"] == len(h) and ck["history"].diverged is None
