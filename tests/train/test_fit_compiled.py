"""fit(compile=True): the same run as fit's eager loop, bit for bit (history, step losses, final
weights, divergence reports), with the steps replayed where compile_step can replay them."""
from __future__ import annotations

import numpy as np
import pytest

import losslab as ll
import losslab.nn as nn
import losslab.optim as optim
from losslab.data import DataLoader, TensorDataset
from losslab.train import Callback, fit

import fit_data  # noqa: E402  (tests/train/fit_data.py)


_binary, _multiclass = fit_data.binary, fit_data.multiclass


class _Keep(Callback):
    """Keeps the run's CompiledStep (FitState.compiled) for the test to inspect."""

    def on_train_begin(self, state):
        self.compiled = state.compiled


def _run(build, loss, data, compile, epochs=4, batch_size=32, opt=optim.Adam, lr=0.01, **kw):
    ll.manual_seed(0)
    model = build()
    keep = _Keep()
    x, y = data
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, seed=1)
    h = fit(model, loss, opt(model.parameters(), lr=lr), loader, epochs=epochs, progress=False,
            callbacks=[keep], compile=compile, lint=False, **kw)
    return h, model, keep.compiled


def _same_run(a, b):
    (h1, m1, _), (h2, m2, _) = a, b
    assert h1.step_losses == h2.step_losses
    assert h1.diverged == h2.diverged
    for r1, r2 in zip(h1.records, h2.records):
        assert {k: v for k, v in r1.items() if k != "seconds"} == {k: v for k, v in r2.items() if k != "seconds"}
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        assert np.array_equal(p1.data, p2.data)


def _mlp(out=3, last=None):
    def build():
        mods = [nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, out)] + ([last()] if last else [])
        return nn.Sequential(*mods)
    return build


def test_a_compiled_run_is_the_eager_run_bit_for_bit():
    # 150 samples in batches of 32: four full batches and one of 22 (a second input shape)
    eager = _run(_mlp(), "cross_entropy", _multiclass(), compile=False)
    compiled = _run(_mlp(), "cross_entropy", _multiclass(), compile=True)
    _same_run(eager, compiled)
    assert eager[2] is None
    stats = compiled[2].stats
    # per shape: the first batch eager in fit (it learns the output's shape), the second captured
    assert stats["captures"] == 2 and stats["replays"] == 4 * 5 - 4 and compiled[2].reason is None


def test_binary_cross_entropy_on_probabilities_and_sgd_with_momentum():
    kw = dict(opt=lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9), lr=0.1)
    eager = _run(_mlp(1, nn.Sigmoid), "binary_cross_entropy", _binary(), compile=False, **kw)
    compiled = _run(_mlp(1, nn.Sigmoid), "binary_cross_entropy", _binary(), compile=True, **kw)
    _same_run(eager, compiled)
    assert compiled[2].stats["replays"] > 0


def test_regression_with_mse_is_replayed():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 2)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0]], np.float32) + 0.1 * rng.normal(size=(100, 1))).astype(np.float32)
    eager = _run(_mlp(1), "mse_loss", (x, y), compile=False)
    compiled = _run(_mlp(1), "mse_loss", (x, y), compile=True)
    _same_run(eager, compiled)
    assert compiled[2].stats["replays"] == 4 * 4 - 4 and compiled[2].reason is None


@pytest.mark.parametrize("spec", ["bce", "hinge", "bce_probs", "ce"])
def test_the_command_lines_loss_specs_are_replayed(spec):
    # losslab train's losses (losslab.build.LossChoice) adapt the targets and apply the paired
    # activation inside the loss: casts, reshapes, ±1 labels (hinge), all replayed
    from losslab.build import resolve_loss

    choice = resolve_loss(spec)
    out = 3 if choice.info.task == "multiclass" else 1
    data = _multiclass() if out == 3 else _binary()
    task = choice.info.task if choice.info.task in ("binary", "multiclass") else "binary"
    eager = _run(_mlp(out), choice, data, compile=False, task=task)
    compiled = _run(_mlp(out), choice, data, compile=True, task=task)
    _same_run(eager, compiled)
    assert compiled[2].stats["replays"] > 0, compiled[2].reason


def test_a_step_that_cannot_be_replayed_trains_eagerly_and_says_why():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 2)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0]], np.float32)).astype(np.float32)
    eager = _run(_mlp(1), "l1_loss", (x, y), compile=False)  # |d|: Abs is not capturable
    compiled = _run(_mlp(1), "l1_loss", (x, y), compile=True)
    _same_run(eager, compiled)
    step = compiled[2]
    assert step.stats["replays"] == 0 and step.stats["captures"] == 0
    assert "not replayed" in step.reason and "Abs" in step.reason
    # after the one refused capture per shape, fit's own eager loop runs those shapes
    assert step.stats["eager"] == 2


def _dropout_mlp():
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))


def test_dropout_is_replayed_with_the_eager_runs_masks():
    eager = _run(_dropout_mlp, "cross_entropy", _multiclass(), compile=False)
    compiled = _run(_dropout_mlp, "cross_entropy", _multiclass(), compile=True)
    _same_run(eager, compiled)
    assert compiled[2].stats["replays"] == 4 * 5 - 4


def test_a_redone_batch_draws_the_masks_of_the_eager_run():
    # a divergence: the batch whose replay gives a non-finite loss is redone eagerly, with the
    # generator put back first, so the report (and the restored weights) are the eager run's
    kw = dict(opt=optim.SGD, lr=1e30, epochs=3)
    eager = _run(_dropout_mlp, "cross_entropy", _multiclass(), compile=False, **kw)
    compiled = _run(_dropout_mlp, "cross_entropy", _multiclass(), compile=True, **kw)
    assert eager[0].diverged is not None
    _same_run(eager, compiled)
    assert ll.random.get_rng_state() == _rng_after(False, **kw)


def _rng_after(compile, **kw):
    _run(_dropout_mlp, "cross_entropy", _multiclass(), compile=compile, **kw)
    return ll.random.get_rng_state()


def test_divergence_is_reported_as_in_the_eager_loop():
    kw = dict(opt=optim.SGD, lr=1e30, epochs=3)
    eager = _run(_mlp(), "cross_entropy", _multiclass(), compile=False, **kw)
    compiled = _run(_mlp(), "cross_entropy", _multiclass(), compile=True, **kw)
    assert eager[0].diverged is not None
    _same_run(eager, compiled)


def test_clipping_and_a_per_step_scheduler_keep_working():
    from losslab.optim.lr_scheduler import OneCycleLR

    def run(compile):
        ll.manual_seed(0)
        model = _mlp()()
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x, y = _multiclass()
        loader = DataLoader(TensorDataset(x, y), batch_size=30, shuffle=True, seed=1)
        sched = OneCycleLR(opt, max_lr=0.5, total_steps=5 * len(loader))
        keep = _Keep()
        h = fit(model, "cross_entropy", opt, loader, epochs=5, scheduler=sched, clip_grad_norm=0.5,
                progress=False, lint=False, compile=compile, callbacks=[keep])
        return h, model, keep.compiled

    eager, compiled = run(False), run(True)
    _same_run(eager, compiled)
    assert compiled[2].stats["replays"] == 5 * 5 - 2


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_compile_must_be_a_bool(bad):
    model = _mlp()()
    with pytest.raises(TypeError, match="compile must be True or False"):
        fit(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1), _multiclass(), epochs=1,
            progress=False, compile=bad)
