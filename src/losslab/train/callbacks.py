"""Callbacks for :func:`losslab.train.fit`: early stopping, best-model checkpoints, lr logging.

A callback subclasses :class:`Callback` and overrides any of its hooks. Each hook receives the
run's ``state`` (a :class:`losslab.train.fit.FitState`: ``model``, ``optimizer``, ``scheduler``,
``history``, ``epoch`` (1-based), ``epochs``, ``step`` (optimizer updates so far), and
``stop_training``, which a callback sets to end the run after the current epoch, with
``stop_reason``). The epoch hook also gets the epoch's record (``logs``), which it may extend.
A callback with state (counters, best values) implements ``state_dict``/``load_state_dict`` so
that a checkpointed run resumes it exactly.
"""
from __future__ import annotations

import math
import os

import numpy as np

from .history import monitor_mode

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "LearningRateLogger"]


class Callback:
    """Base class: every hook does nothing.

    Hooks, in the order fit calls them::

        on_train_begin(state)
        for each epoch:  on_epoch_begin(state)
                         for each batch: on_batch_end(state, logs)   # logs: batch, step, loss, lr
                         on_epoch_end(state, logs)                   # logs: the epoch's record
        on_train_end(state)

    Example:
        >>> class PrintLoss(Callback):
        ...     def on_epoch_end(self, state, logs):
        ...         print(f"epoch {logs['epoch']}: {logs['train_loss']:.3f}")
        >>> PrintLoss().on_epoch_end(None, {"epoch": 1, "train_loss": 0.5})
        epoch 1: 0.500
    """

    def on_train_begin(self, state) -> None:
        """Called once before the first epoch (after a resumed run's state is loaded)."""

    def on_epoch_begin(self, state) -> None:
        """Called before the epoch's first batch; ``state.epoch`` is the (1-based) epoch."""

    def on_batch_end(self, state, logs: dict) -> None:
        """Called after each optimizer step; ``logs`` has ``batch``, ``step``, ``loss``, ``lr``."""

    def on_epoch_end(self, state, logs: dict) -> None:
        """Called after validation; ``logs`` is the epoch's record (add keys to extend it)."""

    def on_train_end(self, state) -> None:
        """Called once at the end (also after an early stop or a divergence)."""

    def state_dict(self) -> dict:
        """The callback's state for a checkpoint (empty for a stateless callback)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict`."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _check_mode(who: str, monitor: str, mode: str) -> str:
    if mode == "auto":
        try:
            return monitor_mode(monitor)
        except ValueError as e:
            raise ValueError(f"{who}: {e}") from None
    if mode not in ("min", "max"):
        raise ValueError(f"{who}: mode must be 'min', 'max' or 'auto', got {mode!r}")
    return mode


def _monitored(who: str, monitor: str, logs: dict) -> float:
    if monitor not in logs:
        avail = sorted(k for k in logs if k not in ("epoch", "seconds", "steps"))
        hint = ("; pass val=... to fit to get val_ keys" if monitor.startswith("val_")
                and not any(k.startswith("val_") for k in logs) else "")
        raise ValueError(f"{who}: monitor={monitor!r} is not in the epoch's record; available: "
                         f"{avail}{hint}")
    v = logs[monitor]
    return float("nan") if v is None else float(v)


def _snapshot(model) -> dict:
    return {k: np.array(v.data, copy=True) for k, v in model.state_dict().items()}


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving.

    Rule: an epoch improves when ``value < best − min_delta`` (mode ``"min"``) or
    ``value > best + min_delta`` (mode ``"max"``); after ``patience`` epochs in a row without
    improvement the run stops (``history.stopped_early`` is True and ``history.stop_reason``
    says why). A NaN value never improves.

    Args:
        monitor: a record key (default ``"val_loss"``; ``"train_loss"`` when there is no
            validation set; any metric, e.g. ``"val_accuracy"``).
        patience: epochs without improvement tolerated, an int >= 0 (default 5).
        min_delta: the smallest change that counts as an improvement, >= 0 (default 0).
        mode: ``"min"``, ``"max"`` or ``"auto"`` (default: from the monitor's name — losses and
            errors go down, accuracy/F1/R² go up).
        restore_best_weights: when stopping, put back the weights of the best epoch (default
            True). ``restore_best`` is accepted as an alias.

    Example:
        >>> import losslab as ll, losslab.nn as nn, losslab.optim as optim
        >>> from losslab.train import fit, EarlyStopping
        >>> _ = ll.manual_seed(0)
        >>> x = ll.randn(64, 2); y = x @ ll.tensor([[1.0], [-2.0]])
        >>> model = nn.Linear(2, 1)
        >>> stop = EarlyStopping(monitor="train_loss", patience=2, min_delta=0.5)
        >>> h = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.1), (x, y),
        ...         epochs=50, callbacks=[stop], progress=False)
        >>> h.stopped_early, len(h) < 50
        (True, True)

    Note:
        As in Keras, the best weights are restored only when the run is stopped by this
        callback, not when it ends by reaching ``epochs``.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = True, *,
                 restore_best: bool | None = None):
        who = "EarlyStopping"
        if not isinstance(patience, (int, np.integer)) or isinstance(patience, bool) or patience < 0:
            raise ValueError(f"{who}: patience must be an int >= 0, got {patience!r}")
        if not isinstance(min_delta, (int, float, np.number)) or not (min_delta >= 0):
            raise ValueError(f"{who}: min_delta must be a number >= 0, got {min_delta!r}")
        self.monitor = monitor
        self.mode = _check_mode(who, monitor, mode)
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.restore_best_weights = bool(restore_best_weights if restore_best is None else restore_best)
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights: dict | None = None

    def _improves(self, v: float) -> bool:
        if math.isnan(v):
            return False
        return v < self.best - self.min_delta if self.mode == "min" else v > self.best + self.min_delta

    def on_train_begin(self, state) -> None:
        if state is not None and state.epoch_done == 0:
            self._reset()

    def on_epoch_end(self, state, logs: dict) -> None:
        v = _monitored("EarlyStopping", self.monitor, logs)
        epoch = logs.get("epoch", 0)
        if self._improves(v):
            self.best, self.best_epoch, self.wait = v, epoch, 0
            if self.restore_best_weights:
                self.best_weights = _snapshot(state.model)
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            state.stop_training = True
            state.stop_reason = (
                f"EarlyStopping: {self.monitor} did not improve by more than {self.min_delta:g} for "
                f"{self.wait} epoch(s); best {self.best:.6g} at epoch {self.best_epoch}")
            if self.restore_best_weights and self.best_weights is not None:
                state.model.load_state_dict(self.best_weights)
                state.stop_reason += f" (weights of epoch {self.best_epoch} restored)"

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "stopped_epoch": self.stopped_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state: dict) -> None:
        self.best = float(state["best"])
        self.best_epoch = int(state["best_epoch"])
        self.wait = int(state["wait"])
        self.stopped_epoch = int(state["stopped_epoch"])
        bw = state.get("best_weights")
        self.best_weights = None if bw is None else {k: np.asarray(getattr(v, "data", v)) for k, v in bw.items()}

    def __repr__(self) -> str:
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"min_delta={self.min_delta:g}, mode={self.mode!r}, "
                f"restore_best_weights={self.restore_best_weights})")


class ModelCheckpoint(Callback):
    """Save the model's weights (its ``state_dict``) with ``ll.save`` when the monitored
    quantity improves (or after every epoch with ``save_best_only=False``).

    Files are written atomically (``ll.save``: a temporary file, then a rename), so a crash
    never leaves a half-written model. Load with ``model.load_state_dict(ll.load(path))``.

    Args:
        path: the file, e.g. ``"best.npz"``; it may hold ``str.format`` fields naming the epoch
            or record keys (``"model-{epoch:03d}-{val_loss:.3f}.npz"``).
        monitor: the record key to watch (default ``"val_loss"``).
        mode: ``"min"``, ``"max"`` or ``"auto"`` (from the monitor's name).
        save_best_only: only write when the monitor improves (default True).

    Attributes:
        best, best_epoch: the best value so far and its epoch. last_path: the last file written.

    Example:
        >>> import os, tempfile
        >>> import losslab as ll, losslab.nn as nn, losslab.optim as optim
        >>> from losslab.train import fit, ModelCheckpoint
        >>> _ = ll.manual_seed(0)
        >>> x = ll.randn(32, 2); y = x.sum(1, keepdim=True)
        >>> model = nn.Linear(2, 1)
        >>> path = os.path.join(tempfile.mkdtemp(), "best.npz")
        >>> ckpt = ModelCheckpoint(path, monitor="train_loss")
        >>> _ = fit(model, "mse_loss", optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=3,
        ...         callbacks=[ckpt], progress=False)
        >>> from losslab.serialization import load
        >>> ckpt.best_epoch, sorted(load(path))
        (3, ['bias', 'weight'])
    """

    def __init__(self, path: str | os.PathLike, monitor: str = "val_loss", mode: str = "auto",
                 save_best_only: bool = True):
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise TypeError(f"ModelCheckpoint: path must be a file path, got {path!r}")
        self.path = os.fspath(path)
        self.monitor = monitor
        self.mode = _check_mode("ModelCheckpoint", monitor, mode)
        self.save_best_only = bool(save_best_only)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0
        self.last_path: str | None = None

    def on_train_begin(self, state) -> None:
        if state is not None and state.epoch_done == 0:
            self.best = math.inf if self.mode == "min" else -math.inf
            self.best_epoch = 0
            self.last_path = None

    def on_epoch_end(self, state, logs: dict) -> None:
        from ..serialization import save
        v = _monitored("ModelCheckpoint", self.monitor, logs)
        improved = (not math.isnan(v)) and (v < self.best if self.mode == "min" else v > self.best)
        if improved:
            self.best, self.best_epoch = v, logs.get("epoch", 0)
        if improved or not self.save_best_only:
            try:
                path = self.path.format(**logs)
            except (KeyError, IndexError, ValueError) as e:
                raise ValueError(f"ModelCheckpoint: cannot fill the fields of path {self.path!r} "
                                 f"from the record (keys {sorted(logs)}): {e}") from None
            save(state.model.state_dict(), path)
            self.last_path = path

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "last_path": self.last_path}

    def load_state_dict(self, state: dict) -> None:
        self.best = float(state["best"])
        self.best_epoch = int(state["best_epoch"])
        self.last_path = state.get("last_path")

    def __repr__(self) -> str:
        return (f"ModelCheckpoint({self.path!r}, monitor={self.monitor!r}, mode={self.mode!r}, "
                f"save_best_only={self.save_best_only})")


class LearningRateLogger(Callback):
    """Record the learning rate of every param group, per epoch and (optionally) per step.

    Each epoch's record gets ``lr_group<i>`` for every param group ``i`` when the optimizer has
    more than one (``lr`` itself, group 0's rate, is always recorded by fit), and ``momentum``
    (or Adam's ``beta1``) when ``log_momentum=True``.

    Args:
        interval: ``"epoch"`` (default) records the rates used in each epoch (at its start) in
            ``epochs``; ``"step"`` also records the rates after every optimizer step in ``steps``
            (useful for OneCycleLR/CyclicLR, which change the rate within an epoch).
        log_momentum: also record the momentum (``momentum`` or ``betas[0]``) of group 0.

    Attributes:
        epochs: list, one entry per epoch: the list of the groups' rates.
        steps: list, one entry per step: the list of the groups' rates (``interval="step"``).

    Example:
        >>> import losslab as ll, losslab.nn as nn, losslab.optim as optim
        >>> from losslab.optim.lr_scheduler import StepLR
        >>> from losslab.train import fit, LearningRateLogger
        >>> _ = ll.manual_seed(0)
        >>> x = ll.randn(16, 2); y = x.sum(1, keepdim=True)
        >>> model = nn.Linear(2, 1); opt = optim.SGD(model.parameters(), lr=0.1)
        >>> log = LearningRateLogger()
        >>> _ = fit(model, "mse_loss", opt, (x, y), epochs=4, scheduler=StepLR(opt, 2, 0.5),
        ...         callbacks=[log], progress=False)
        >>> [round(g[0], 4) for g in log.epochs]
        [0.1, 0.1, 0.05, 0.05]
    """

    def __init__(self, interval: str = "epoch", log_momentum: bool = False):
        if interval not in ("epoch", "step"):
            raise ValueError(f"LearningRateLogger: interval must be 'epoch' or 'step', got {interval!r}")
        self.interval = interval
        self.log_momentum = bool(log_momentum)
        self.epochs: list = []
        self.steps: list = []
        self._epoch_lrs: list | None = None

    @staticmethod
    def _lrs(optimizer) -> list:
        return [float(g["lr"]) for g in optimizer.param_groups]

    def on_train_begin(self, state) -> None:
        if state is not None and state.epoch_done == 0:
            self.epochs, self.steps = [], []

    def on_epoch_begin(self, state) -> None:
        self._epoch_lrs = self._lrs(state.optimizer)

    def on_batch_end(self, state, logs: dict) -> None:
        if self.interval == "step":
            self.steps.append(self._lrs(state.optimizer))

    def on_epoch_end(self, state, logs: dict) -> None:
        lrs = self._epoch_lrs if self._epoch_lrs is not None else self._lrs(state.optimizer)
        self.epochs.append(list(lrs))
        if len(lrs) > 1:
            for i, v in enumerate(lrs):
                logs[f"lr_group{i}"] = v
        if self.log_momentum:
            g = state.optimizer.param_groups[0]
            if "momentum" in g:
                logs["momentum"] = float(g["momentum"])
            elif "betas" in g:
                logs["beta1"] = float(g["betas"][0])

    def state_dict(self) -> dict:
        return {"epochs": [list(e) for e in self.epochs], "steps": [list(s) for s in self.steps]}

    def load_state_dict(self, state: dict) -> None:
        self.epochs = [[float(v) for v in e] for e in state.get("epochs", [])]
        self.steps = [[float(v) for v in s] for s in state.get("steps", [])]

    def __repr__(self) -> str:
        return f"LearningRateLogger(interval={self.interval!r}, log_momentum={self.log_momentum})"
