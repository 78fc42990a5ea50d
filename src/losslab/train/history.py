"""``History``: what happened during :func:`losslab.train.fit`, one record per epoch.

A record is a flat dict: ``epoch`` (1-based), ``train_loss``, ``train_<metric>`` …, ``val_loss``,
``val_<metric>`` …, ``lr`` (the first param group's learning rate during the epoch), ``steps``
(optimizer updates in the epoch), ``grad_norm`` (mean gradient norm over the epoch's steps, before
clipping) and ``seconds``; callbacks may add keys. The per-step training losses are kept in
``step_losses`` (for noise/smoothness comparisons of batch GD, SGD and mini-batch).
"""
from __future__ import annotations

import csv
import json
import math
import os
from typing import Any, Iterable

from .._atomic import atomic_open

import numpy as np

__all__ = ["History", "monitor_mode"]


def _plain(v: Any) -> Any:
    """A JSON/CSV-friendly Python value (numpy scalars → float/int)."""
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray) and v.ndim == 0:
        return v.item()
    return v


def monitor_mode(key: str) -> str:
    """``"min"`` or ``"max"``: the direction in which the quantity ``key`` improves.

    Losses (a name ending in ``loss``, or ``log_loss``), errors (``mae``, ``rmse``, ``mse``) and
    the learning rate decrease; scores (``accuracy``, ``precision``, ``recall``, ``f1``, ``r2``)
    increase. A ``train_``/``val_`` prefix is ignored. Metric names of
    ``losslab.metrics.METRICS`` use its ``greater_is_better`` flag.

    Args:
        key: a History key such as ``"val_loss"`` or ``"val_accuracy"``.

    Example:
        >>> monitor_mode("val_loss"), monitor_mode("val_accuracy"), monitor_mode("train_r2")
        ('min', 'max', 'max')

    Raises:
        ValueError: the direction cannot be inferred (then pass ``mode="min"`` or ``"max"``).
    """
    if not isinstance(key, str) or not key:
        raise ValueError(f"monitor must be a non-empty string such as 'val_loss', got {key!r}")
    base = key
    for prefix in ("val_", "train_"):
        if base.startswith(prefix):
            base = base[len(prefix):]
            break
    try:  # the metrics registry is the authority where it knows the name
        from .. import metrics as _metrics
        entry = getattr(_metrics, "METRICS", {}).get(base)
    except ImportError:  # pragma: no cover - metrics not installed yet
        entry = None
    if entry is not None:
        return "max" if entry[2] else "min"
    if base.endswith("loss") or base in ("mae", "rmse", "mse", "error", "lr", "seconds", "grad_norm"):
        return "min"
    if base in ("accuracy", "acc", "precision", "recall", "f1", "r2", "auc"):
        return "max"
    raise ValueError(f"cannot tell whether {key!r} should go down or up; pass mode='min' or mode='max'")


class History:
    """Per-epoch records of a training run, with export and a few queries.

    Attributes:
        records: list of per-epoch dicts (see the module docstring for the keys).
        step_losses: the training loss of every optimizer step, in order (floats).
        stopped_early: True when a callback (e.g. :class:`EarlyStopping`) stopped the run.
        stop_reason: a sentence saying why the run stopped early (``None`` otherwise).
        diverged: ``None``, or the message saying at which step the loss (or gradient) became
            NaN/Inf, its value and the likely causes.

    Example:
        >>> h = History()
        >>> h.append({"epoch": 1, "train_loss": 0.9, "val_loss": 1.0})
        >>> h.append({"epoch": 2, "train_loss": 0.5, "val_loss": 0.7})
        >>> h["val_loss"]
        [1.0, 0.7]
        >>> h.best("val_loss")["epoch"]
        2
        >>> h.as_dict()["train_loss"]
        [0.9, 0.5]

    Note:
        ``h[key]`` and ``as_dict()`` mirror Keras's ``history.history``; a key missing from some
        records (a metric added by a callback later) is filled with ``None`` there.
    """

    def __init__(self, records: Iterable[dict] | None = None):
        self.records: list[dict] = [dict(r) for r in (records or [])]
        self.step_losses: list[float] = []
        self.stopped_early: bool = False
        self.stop_reason: str | None = None
        self.diverged: str | None = None

    # -- building ----------------------------------------------------------------------------
    def append(self, record: dict) -> None:
        """Add one epoch's record (a dict; values are converted to plain Python numbers)."""
        if not isinstance(record, dict):
            raise TypeError(f"History.append: expected a dict, got {type(record).__name__}")
        self.records.append({k: _plain(v) for k, v in record.items()})

    # -- queries -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self):
        return iter(self.records)

    def keys(self) -> list:
        """Every key that appears in a record, in first-appearance order."""
        out: dict = {}
        for r in self.records:
            for k in r:
                out.setdefault(k, None)
        return list(out)

    def __getitem__(self, key: str) -> list:
        if key not in self.keys():
            raise KeyError(f"History has no key {key!r}; keys are {self.keys()}")
        return [r.get(key) for r in self.records]

    def __contains__(self, key: str) -> bool:
        return key in self.keys()

    @property
    def last(self) -> dict:
        """The last epoch's record (an empty dict when there is none)."""
        return dict(self.records[-1]) if self.records else {}

    def as_dict(self) -> dict:
        """``{key: [value per epoch]}`` (``None`` where an epoch lacks the key)."""
        return {k: [r.get(k) for r in self.records] for k in self.keys()}

    def best(self, key: str = "val_loss", mode: str = "auto") -> dict:
        """The record of the epoch where ``key`` was best (the first one on ties).

        Args:
            key: a History key, e.g. ``"val_loss"`` or ``"val_accuracy"``.
            mode: ``"min"``, ``"max"`` or ``"auto"`` (from the key's name: see :func:`monitor_mode`).

        Returns:
            a copy of that epoch's record (``h.best("val_loss")["epoch"]`` is the epoch).

        Raises:
            KeyError: no record has ``key``. ValueError: every value is NaN/None.
        """
        values = self[key]
        mode = monitor_mode(key) if mode == "auto" else mode
        if mode not in ("min", "max"):
            raise ValueError(f"History.best: mode must be 'min', 'max' or 'auto', got {mode!r}")
        best_i, best_v = None, None
        for i, v in enumerate(values):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            if best_v is None or (v < best_v if mode == "min" else v > best_v):
                best_i, best_v = i, v
        if best_i is None:
            raise ValueError(f"History.best: no finite value of {key!r} was recorded")
        return dict(self.records[best_i])

    # -- export ------------------------------------------------------------------------------
    def to_csv(self, path: str | os.PathLike) -> None:
        """Write the records as CSV (one row per epoch, one column per key; empty where absent).

        The file is written atomically (a temporary file in the same directory, then renamed).
        """
        keys = self.keys()

        def write(f):
            w = csv.writer(f)
            w.writerow(keys)
            for r in self.records:
                w.writerow(["" if r.get(k) is None else r.get(k) for k in keys])

        _atomic_text(path, write, newline="")

    def to_dict(self) -> dict:
        """Everything, as plain Python (what :meth:`to_json` writes and :meth:`from_dict` reads)."""
        return {"records": [dict(r) for r in self.records], "step_losses": list(self.step_losses),
                "stopped_early": self.stopped_early, "stop_reason": self.stop_reason,
                "diverged": self.diverged}

    def to_json(self, path: str | os.PathLike) -> None:
        """Write :meth:`to_dict` as JSON (atomically). NaN/Inf are written as ``null``."""
        data = _json_safe(self.to_dict())

        def write(f):
            json.dump(data, f, indent=1, allow_nan=False)
            f.write("\n")

        _atomic_text(path, write)

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        """Rebuild a History from :meth:`to_dict` (or from a checkpoint's ``history`` entry)."""
        if not isinstance(data, dict) or "records" not in data:
            raise ValueError("History.from_dict: expected a dict with a 'records' list (from History.to_dict())")
        h = cls()
        for r in data["records"]:
            h.append(dict(r))
        steps = data.get("step_losses")
        h.step_losses = [] if steps is None else [float(v) for v in np.asarray(steps, dtype=float).ravel()]
        h.stopped_early = bool(data.get("stopped_early", False))
        h.stop_reason = data.get("stop_reason")
        h.diverged = data.get("diverged")
        return h

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> "History":
        """Read a file written by :meth:`to_json`."""
        with open(path, encoding="utf-8") as f:
            return cls.from_dict(json.load(f))

    def state_dict(self) -> dict:
        """The History for a checkpoint (``step_losses`` as a float64 array)."""
        d = self.to_dict()
        d["step_losses"] = np.asarray(self.step_losses, dtype=np.float64)
        return d

    def load_state_dict(self, state: dict) -> None:
        """Replace this History's content by a :meth:`state_dict`."""
        other = History.from_dict(state)
        self.__dict__.update(other.__dict__)

    def __repr__(self) -> str:
        last = self.last
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in last.items() if k != "seconds")
        flags = (" stopped_early" if self.stopped_early else "") + (" diverged" if self.diverged else "")
        return f"History({len(self)} epochs{flags}{'; last: ' + shown if last else ''})"


def _json_safe(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    v = _plain(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _atomic_text(path, write, newline=None) -> None:
    with atomic_open(path, "w", newline=newline) as f:
        write(f)
