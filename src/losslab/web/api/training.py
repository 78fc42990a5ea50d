"""Live training sessions: a small MLP learns a 2-D data set while the page watches its loss and
decision boundary.

A :class:`Session` holds its model, optimizer, loader and history in memory. ``start`` trains in a
worker thread (one epoch at a time) until the epoch budget is spent, the loss diverges, or its
stop flag is set by ``pause``/``reset``/``delete`` (checked between mini-batches, so a pause takes
effect within one batch); ``step`` runs one epoch in the caller's thread. A :class:`SessionStore`
bounds the number of live sessions (evicting the oldest that is not running) and stops every
thread at server shutdown.

Everything is losslab: ``losslab.datasets.load`` for the data (standardized, with a validation
part), ``losslab.build`` for the model, the loss (with the registry's paired activation and target
mapping) and the optimizer, and ``losslab.data.DataLoader`` for batch / stochastic / mini-batch
gradient descent.
"""
from __future__ import annotations

import functools
import itertools
import math
import threading
import time

import numpy as np

from ._common import (
    ENGINE_LOCK, ApiError, array, check_keys, choice, field, integer, number,
)

__all__ = ["Session", "SessionStore", "parse_config", "training_losses", "DATASETS", "ACTIVATIONS"]

DATASETS = ("moons", "circles", "spirals", "xor")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "leaky_relu", "elu", "softplus")
N_SAMPLES = (20, 1000)
MAX_HIDDEN_LAYERS = 3
WIDTH = (1, 64)
EPOCHS = (1, 2000)
RESOLUTION = (2, 100)
LR_BOUND = 10.0
VAL_FRACTION = 0.2
#: the boundary grid extends this far (in standardized units) beyond the data
GRID_MARGIN = 0.5


@functools.lru_cache(maxsize=1)
def training_losses() -> tuple:
    """Losses that train a one-target 2-D classifier here: every registry entry that
    :func:`losslab.build.resolve_loss` accepts (regression losses regress the 0/1 label)."""
    from ...build import resolve_loss
    from ...losses.registry import LOSS_REGISTRY

    out = []
    with ENGINE_LOCK, np.errstate(all="ignore"):  # resolve_loss tries each loss on a tiny batch
        for name in LOSS_REGISTRY:
            try:
                resolve_loss(name)
            except ValueError:
                continue
            out.append(name)
    return tuple(out)


def _optimizers() -> list:
    from ...optim import OPTIMIZER_REGISTRY
    return [n for n, i in OPTIMIZER_REGISTRY.items() if not i.requires_closure and i.param_ndim is None]


def parse_config(body: dict) -> dict:
    """The validated session configuration (defaults filled in)."""
    check_keys(body, ("dataset", "n", "noise", "hidden", "activation", "loss", "optimizer", "lr", "batch_size",
                      "seed", "resolution", "epochs", "delay_ms"))
    cfg = {
        "dataset": choice(field(body, "dataset", "moons"), "dataset", DATASETS),
        "n": integer(field(body, "n", 200), "n", *N_SAMPLES),
        "noise": number(field(body, "noise", 0.2), "noise", 0.0, 1.0),
        "activation": choice(field(body, "activation", "tanh"), "activation", ACTIVATIONS),
        "loss": choice(field(body, "loss", "cross_entropy"), "loss", training_losses()),
        "optimizer": choice(field(body, "optimizer", "adam"), "optimizer", _optimizers()),
        "lr": number(field(body, "lr", 0.01), "lr", 0.0, LR_BOUND, lo_open=True),
        "seed": integer(field(body, "seed", 0), "seed", 0, 2**31 - 1),
        "resolution": integer(field(body, "resolution", 50), "resolution", *RESOLUTION),
        "epochs": integer(field(body, "epochs", 300), "epochs", *EPOCHS),
        "delay_ms": integer(field(body, "delay_ms", 0), "delay_ms", 0, 1000),
    }
    hidden = array(field(body, "hidden", [16, 16]), "hidden", 0, MAX_HIDDEN_LAYERS)
    cfg["hidden"] = [integer(h, f"hidden[{i}]", *WIDTH) for i, h in enumerate(hidden)]
    n_train = cfg["n"] - math.ceil(VAL_FRACTION * cfg["n"])
    bs = field(body, "batch_size", "full")
    cfg["batch_size"] = "full" if bs == "full" else integer(bs, "batch_size", 1, n_train) if not isinstance(bs, str) \
        else _bad_batch(bs, n_train)
    return cfg


def _bad_batch(bs, n_train):
    raise ApiError(f"batch_size: expected \"full\" or an integer in [1, {n_train}] (the training rows), got {bs!r}",
                   "batch_size")


class Session:
    """One live training run (see the module docstring). Thread-safe: public methods may be called
    from any thread."""

    _ids = itertools.count(1)

    def __init__(self, config: dict):
        import secrets

        self.id = f"s{next(self._ids)}-{secrets.token_hex(4)}"
        self.config = config
        self.created = time.monotonic()
        self.touched = self.created
        self._lock = threading.RLock()      # guards the fields below and the thread handle
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.deleted = False
        self.version = 0
        self._state_cache: tuple | None = None
        self._load_data()
        self._build()

    # -- setup ------------------------------------------------------------------------------
    def _load_data(self) -> None:
        from ...datasets import load

        c = self.config
        with np.errstate(all="ignore"):
            self.split = load(c["dataset"], seed=c["seed"], n_samples=c["n"], noise=c["noise"],
                              val_fraction=VAL_FRACTION)
        pts = np.concatenate([self.split.x_train, self.split.x_val])
        lo, hi = pts.min(axis=0) - GRID_MARGIN, pts.max(axis=0) + GRID_MARGIN
        r = c["resolution"]
        self.gx, self.gy = np.linspace(lo[0], hi[0], r), np.linspace(lo[1], hi[1], r)

    def _build(self) -> None:
        """(Re)build model, loss, optimizer and loader from the configuration and its seed."""
        import losslab as ll
        from ...build import build_model, build_optimizer, resolve_loss
        from ...data import DataLoader, TensorDataset
        from ...train import compile_step

        c = self.config
        self.loss = resolve_loss(c["loss"])
        task = self.loss.info.task
        self.n_out = 2 if task == "multiclass" else 1
        spec = "mlp:" + ",".join(map(str, c["hidden"])) if c["hidden"] else "linear"
        y = self.split.y_train
        y_t = y.astype(np.float64).reshape(-1, 1) if task == "regression" else y
        with ENGINE_LOCK:
            rng = ll.random.get_rng_state()
            ll.manual_seed(c["seed"])
            try:
                self.model = build_model(spec, 2, self.n_out, activation=c["activation"])
            finally:
                ll.random.set_rng_state(rng)
            try:
                self.optimizer = build_optimizer(c["optimizer"], self.model.parameters(), lr=c["lr"])
            except ValueError as e:
                raise ApiError(str(e), "optimizer") from None
            # the steps are recorded once per batch shape and replayed (the eager numbers, bit
            # for bit; docs/engine.md); the update stays here, after the divergence check
            self._compiled = compile_step(self.model, self.loss, self.optimizer)
            ds = TensorDataset(ll.tensor(self.split.x_train), ll.tensor(y_t))
            self.loader = DataLoader(ds, batch_size=c["batch_size"], shuffle=c["batch_size"] != "full",
                                     seed=c["seed"])
        self.status = "idle"
        self.epoch = 0
        self.loss_history: list = []
        self.diverged = False
        self.message: str | None = None
        self._bump()

    def _bump(self) -> None:
        self.version += 1
        self.touched = time.monotonic()

    # -- training ---------------------------------------------------------------------------
    def _epoch(self) -> None:
        """One pass over the training rows (the caller holds ``_lock``'s run permission)."""
        total, count = 0.0, 0
        for xb, yb in self.loader:
            with ENGINE_LOCK, np.errstate(all="ignore"):
                _, loss = self._compiled.forward_backward(xb, yb)  # zero_grad, forward, backward
                v = float(loss.item())
                if not math.isfinite(v):
                    self.diverged = True
                    self.message = (f"the loss became {v} in epoch {self.epoch + 1}: the learning rate "
                                    f"{self.config['lr']:g} is too large for {self.config['optimizer']}; lower it")
                    break
                self.optimizer.step()
            total += v * len(xb)
            count += len(xb)
        with self._lock:
            if self.diverged:
                self.status = "done"
            else:
                self.epoch += 1
                self.loss_history.append(total / max(count, 1))
                if self.epoch >= self.config["epochs"]:
                    self.status = "done"
            self._bump()

    def _run(self) -> None:
        delay = self.config["delay_ms"] / 1000.0
        try:
            while not self._stop.is_set() and self.status == "running":
                self._epoch()
                if delay and self._stop.wait(delay):
                    break
        except Exception as e:  # noqa: BLE001  (a worker must not die silently: report it in the state)
            with self._lock:
                self.status, self.message = "done", f"training stopped: {type(e).__name__}: {e}"
                self._bump()

    def _halt(self) -> None:
        """Ask the worker to stop after its epoch and wait for it (``start`` clears the flag)."""
        self._stop.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout=10.0)
        self._thread = None

    def start(self) -> dict:
        with self._lock:
            if self.status in ("idle", "paused"):
                self._halt()
                self._stop.clear()
                self.status = "running"
                self._bump()
                self._thread = threading.Thread(target=self._run, name=f"losslab-train-{self.id}", daemon=True)
                self._thread.start()
        return self.state()

    def pause(self) -> dict:
        self._halt()
        with self._lock:
            if self.status == "running":
                self.status = "paused"
            self._bump()
        return self.state()

    def step(self) -> dict:
        """One epoch now (pausing a run first); a finished session is left as it is."""
        self._halt()
        with self._lock:
            if self.status == "done":
                return self.state()
            self.status = "paused"
            self._epoch()
        return self.state()

    def reset(self) -> dict:
        self._halt()
        with self._lock:
            self._build()
        return self.state()

    def close(self) -> None:
        """Stop the worker and mark the session deleted (streams end)."""
        self._halt()
        with self._lock:
            self.deleted = True
            self._bump()

    @property
    def running(self) -> bool:
        return self.status == "running"

    # -- state ------------------------------------------------------------------------------
    def _predict(self, x: np.ndarray) -> np.ndarray:
        """P(class 1) for each row (regression losses: the prediction clipped to [0, 1])."""
        import losslab as ll
        from losslab import nn

        with ENGINE_LOCK, ll.no_grad(), np.errstate(all="ignore"):
            out = self.model(ll.tensor(x)).data.astype(np.float64)
        info = self.loss.info
        if self.n_out == 2:
            z = out - out.max(axis=1, keepdims=True)
            e = np.exp(z)
            return e[:, 1] / e.sum(axis=1)
        o = out[:, 0]
        if info.task == "binary":
            with np.errstate(over="ignore"):
                return 1.0 / (1.0 + np.exp(-o))
        if info.input_kind == "rates":
            o = nn.functional.softplus(ll.tensor(o)).data
        elif info.input_kind == "log-rates":
            with np.errstate(over="ignore"):
                o = np.exp(o)
        return np.clip(o, 0.0, 1.0)

    def state(self) -> dict:
        """What the page draws: status, epoch, losses, accuracies, boundary grid and points."""
        with self._lock:
            version = self.version
            if self._state_cache is not None and self._state_cache[0] == version:
                return self._state_cache[1]
            X, Y = np.meshgrid(self.gx, self.gy)
            p = self._predict(np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
            acc = float(np.mean((self._predict(self.split.x_train) > 0.5) == (self.split.y_train == 1)))
            val = float(np.mean((self._predict(self.split.x_val) > 0.5) == (self.split.y_val == 1)))
            state = {
                "id": self.id, "status": "deleted" if self.deleted else self.status, "epoch": self.epoch,
                "epochs": self.config["epochs"], "loss_history": list(self.loss_history),
                "loss": self.loss_history[-1] if self.loss_history else None, "accuracy": acc,
                "val_accuracy": val, "diverged": self.diverged, "message": self.message,
                "boundary": {"x": self.gx.tolist(), "y": self.gy.tolist(), "p": p.tolist()},
                "points": {"x": self.split.x_train.tolist(), "y": self.split.y_train.tolist()},
                "val_points": {"x": self.split.x_val.tolist(), "y": self.split.y_val.tolist()},
                "config": dict(self.config), "loader_mode": self.loader.mode,
            }
            self._state_cache = (version, state)
            return state


class SessionStore:
    """At most ``max_sessions`` live sessions; creating one more evicts the oldest session that is
    not running, or is refused (429) when all are running."""

    def __init__(self, max_sessions: int = 4):
        self.max_sessions = max_sessions
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, body: dict) -> Session:
        config = parse_config(body)
        with self._lock:
            if len(self._sessions) >= self.max_sessions:
                idle = [s for s in self._sessions.values() if not s.running]
                if not idle:
                    raise ApiError(f"too many live training sessions (at most {self.max_sessions}, all running); "
                                   "pause or delete one first", None, 429)
                victim = min(idle, key=lambda s: s.touched)
                del self._sessions[victim.id]
            else:
                victim = None
        if victim is not None:
            victim.close()
        session = Session(config)
        with self._lock:
            if len(self._sessions) >= self.max_sessions:  # filled meanwhile by another request
                raise ApiError(f"too many live training sessions (at most {self.max_sessions})", None, 429)
            self._sessions[session.id] = session
        return session

    def get(self, sid: str) -> Session:
        with self._lock:
            s = self._sessions.get(sid)
        if s is None:
            raise ApiError(f"no training session {sid!r} (it may have been deleted or evicted); create one with "
                           "POST /api/train/sessions", "id", 404)
        s.touched = time.monotonic()
        return s

    def delete(self, sid: str) -> None:
        s = self.get(sid)
        with self._lock:
            self._sessions.pop(sid, None)
        s.close()

    def close_all(self) -> None:
        """Stop every worker (server shutdown)."""
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for s in sessions:
            s.close()

    def __len__(self) -> int:
        return len(self._sessions)
