"""Checkpoints: the full state of a training run in one file, to continue it exactly.

A checkpoint holds the model's parameters, the optimizer's state (momentum buffers, Adam's
moments and step counts, the param groups' learning rates), the scheduler's state, the train
loader's state (shuffling seed and epoch), the global random generator's state (dropout masks),
the :class:`History`, the callbacks' states, the number of epochs and steps done, and extra
entries. It is written with :func:`losslab.serialization.save` (``.npz`` + JSON manifest, no
pickle, atomic: a temporary file in the same directory, then a rename), so a run killed while
saving leaves the previous checkpoint intact.
"""
from __future__ import annotations

import json
import os
from typing import Any, Iterable

from .history import History

__all__ = ["save_checkpoint", "load_checkpoint", "CHECKPOINT_FORMAT"]

#: The ``format`` entry of a checkpoint file (and its version).
CHECKPOINT_FORMAT = "losslab.train.checkpoint"
_VERSION = 1


def _rng_state_to_text() -> str:
    from ..random import get_rng_state
    # the PCG64 state holds 128-bit integers; JSON text keeps them exact whatever the container
    return json.dumps(get_rng_state())


def _rng_state_from_text(text: str) -> None:
    from ..random import set_rng_state
    set_rng_state(json.loads(str(text)))


def save_checkpoint(path: str | os.PathLike, model, optimizer=None, scheduler=None, loader=None,
                    history: History | None = None, epoch: int = 0, *, callbacks: Iterable = (),
                    step: int = 0, extra: dict | None = None) -> str:
    """Write a training checkpoint to ``path`` (atomically; no pickle).

    Args:
        path: the file (``.npz``; ``losslab.serialization.save`` decides the exact name).
        model: the ``nn.Module`` (its ``state_dict()``).
        optimizer: the optimizer (its ``state_dict()``), or None.
        scheduler: the lr scheduler (its ``state_dict()``), or None.
        loader: the train DataLoader (its ``state_dict()``: seed and epoch), or None.
        history: the run's :class:`History`, or None.
        epoch: the number of completed epochs.
        callbacks: callbacks whose ``state_dict()`` is saved (by position).
        step: the number of optimizer steps done.
        extra: more entries (values ``losslab.serialization`` can store).

    Returns:
        the path written.

    Example:
        >>> import os, tempfile
        >>> import losslab as ll, losslab.nn as nn, losslab.optim as optim
        >>> from losslab.train import save_checkpoint, load_checkpoint
        >>> model = nn.Linear(2, 1); opt = optim.Adam(model.parameters(), lr=0.1)
        >>> path = os.path.join(tempfile.mkdtemp(), "run.npz")
        >>> _ = save_checkpoint(path, model, opt, epoch=3)
        >>> fresh = nn.Linear(2, 1)
        >>> load_checkpoint(path, model=fresh)["epoch"]
        3
        >>> bool((fresh.weight.data == model.weight.data).all())
        True

    Note:
        The random generator's state is stored as JSON text (its 128-bit integers stay exact).
    """
    from ..serialization import save
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise ValueError(f"save_checkpoint: epoch must be an int >= 0, got {epoch!r}")
    callbacks = list(callbacks or ())
    obj: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "version": _VERSION,
        "epoch": int(epoch),
        "step": int(step),
        "model": model.state_dict(),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "optimizer_class": None if optimizer is None else type(optimizer).__name__,
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "scheduler_class": None if scheduler is None else type(scheduler).__name__,
        "loader": None if loader is None or not hasattr(loader, "state_dict") else loader.state_dict(),
        "rng": _rng_state_to_text(),
        "history": None if history is None else history.state_dict(),
        "callbacks": [{"class": type(cb).__name__, "state": cb.state_dict()} for cb in callbacks],
        "extra": dict(extra or {}),
    }
    save(obj, path)
    return os.fspath(path)


def load_checkpoint(path: str | os.PathLike, model=None, optimizer=None, scheduler=None, loader=None,
                    *, callbacks: Iterable = (), restore_rng: bool = True) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` and load it into the given objects.

    Args:
        path: the checkpoint file.
        model, optimizer, scheduler, loader: objects to restore (each optional; a scheduler or
            optimizer given here must have been saved, and one saved must be given here for
            ``fit(resume=...)`` to continue exactly — a mismatch raises ValueError).
        callbacks: callbacks to restore, matched by position and class name.
        restore_rng: also restore the global random generator (default True).

    Returns:
        a dict: ``epoch``, ``step``, ``history`` (a :class:`History`), ``extra`` and the raw
        ``model``/``optimizer``/``scheduler``/``loader`` states.

    Raises:
        FileNotFoundError: no such file. ValueError: not a losslab checkpoint, or a saved part
        does not match the object given (another optimizer or scheduler class, another model).
    """
    from ..serialization import load
    p = os.fspath(path)
    if not os.path.exists(p):
        raise FileNotFoundError(f"load_checkpoint: no checkpoint at {p!r}")
    ck = load(p)
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"load_checkpoint: {p!r} is not a losslab training checkpoint (written by "
                         "save_checkpoint / fit(checkpoint=...))")
    if int(ck.get("version", 0)) > _VERSION:
        raise ValueError(f"load_checkpoint: {p!r} has checkpoint version {ck['version']}, newer than "
                         f"this losslab reads ({_VERSION})")
    if model is not None:
        try:
            model.load_state_dict(ck["model"])
        except (RuntimeError, ValueError) as e:
            raise ValueError(f"load_checkpoint: the checkpoint's model does not match the model "
                             f"given: {e}") from None
    if optimizer is not None:
        if ck["optimizer"] is None:
            raise ValueError("load_checkpoint: the checkpoint holds no optimizer state")
        if ck.get("optimizer_class") not in (None, type(optimizer).__name__):
            raise ValueError(f"load_checkpoint: the checkpoint's optimizer is a {ck['optimizer_class']}, "
                             f"not a {type(optimizer).__name__}")
        optimizer.load_state_dict(ck["optimizer"])
    if scheduler is not None or ck.get("scheduler") is not None:
        if scheduler is None and model is not None and optimizer is not None:
            raise ValueError(f"load_checkpoint: the checkpoint was saved with a "
                             f"{ck.get('scheduler_class')} scheduler; pass the same scheduler to resume")
        if scheduler is not None:
            if ck.get("scheduler") is None:
                raise ValueError(f"load_checkpoint: the checkpoint holds no scheduler state, but a "
                                 f"{type(scheduler).__name__} was given")
            if ck.get("scheduler_class") not in (None, type(scheduler).__name__):
                raise ValueError(f"load_checkpoint: the checkpoint's scheduler is a "
                                 f"{ck['scheduler_class']}, not a {type(scheduler).__name__}")
            scheduler.load_state_dict(ck["scheduler"])
    if loader is not None and ck.get("loader") is not None and hasattr(loader, "load_state_dict"):
        loader.load_state_dict(ck["loader"])
    saved_cbs = ck.get("callbacks") or []
    for i, cb in enumerate(callbacks or ()):
        if i < len(saved_cbs) and saved_cbs[i]["class"] == type(cb).__name__:
            cb.load_state_dict(saved_cbs[i]["state"])
    if restore_rng and ck.get("rng") is not None:
        _rng_state_from_text(ck["rng"])
    hist = History() if ck.get("history") is None else History.from_dict(ck["history"])
    return {"epoch": int(ck["epoch"]), "step": int(ck.get("step", 0)), "history": hist,
            "extra": ck.get("extra") or {}, "model": ck.get("model"), "optimizer": ck.get("optimizer"),
            "scheduler": ck.get("scheduler"), "loader": ck.get("loader")}

