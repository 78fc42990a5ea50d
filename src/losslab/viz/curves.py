"""Training curves (loss, metrics, learning rate per epoch) and overlays of several runs.

A *history* is anything that holds per-epoch values: an object with ``.as_dict()`` (such as
``losslab.train.History``), an object with ``.records`` (a list of per-epoch dicts), a mapping
``{key: [value per epoch]}``, or a list of per-epoch dicts (``{"epoch": 1, "train_loss": …}``).
Missing values (``None``) and NaN/Inf (a diverged run) are drawn as gaps.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ._common import check_save, new_figure, save_figure

__all__ = ["training_curves", "compare_curves", "history_arrays"]

#: Keys that are bookkeeping, not curves (drawn only when asked for with ``keys=``).
_NOT_CURVES = ("epoch", "seconds", "steps", "time", "grad_norm")
_PREFIXES = ("train_", "val_", "test_")


def _to_float_array(values, key: str, fn: str) -> np.ndarray | None:
    """A float array (NaN for None), or None when the column is not numeric (strings...)."""
    out = []
    for v in values:
        if v is None:
            out.append(math.nan)
            continue
        if hasattr(v, "item") and getattr(v, "ndim", 0) == 0:
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            return None
        out.append(float(v))
    return np.array(out, dtype=np.float64)


def history_arrays(history, *, fn: str = "history_arrays") -> dict:
    """``{key: float64 array per epoch}`` from any history-like object (see the module docstring).

    Non-numeric columns are dropped; None becomes NaN.

    Args:
        history: ``History``-like (``.as_dict()`` or ``.records``), ``{key: list}``, or a list of
            per-epoch dicts.

    Example:
        >>> from losslab.viz import history_arrays
        >>> d = history_arrays([{"epoch": 1, "loss": 2.0}, {"epoch": 2, "loss": None}])
        >>> d["epoch"].tolist(), d["loss"].tolist()
        ([1.0, 2.0], [2.0, nan])

    Raises:
        TypeError: not a history. ValueError: columns of different lengths, or no epochs.
    """
    if hasattr(history, "as_dict") and callable(history.as_dict):
        data = history.as_dict()
    elif hasattr(history, "records") and isinstance(history.records, Sequence):
        data = _records_to_dict(history.records, fn)
    elif isinstance(history, Mapping):
        data = dict(history)
    elif isinstance(history, Sequence) and not isinstance(history, (str, bytes)):
        data = _records_to_dict(history, fn)
    else:
        raise TypeError(f"{fn}: expected a History (with .as_dict()), a mapping {{key: [values per "
                        f"epoch]}} or a list of per-epoch dicts, got {type(history).__name__}")
    if not isinstance(data, Mapping):
        raise TypeError(f"{fn}: history.as_dict() returned {type(data).__name__}, expected a mapping")
    out, lengths = {}, {}
    for k, v in data.items():
        if isinstance(v, np.ndarray):
            v = v.tolist()
        if isinstance(v, (str, bytes)) or not isinstance(v, Sequence):
            raise ValueError(f"{fn}: the value of {k!r} must be a list of per-epoch values, got "
                             f"{type(v).__name__}")
        arr = _to_float_array(v, str(k), fn)
        if arr is not None:
            out[str(k)] = arr
            lengths[str(k)] = len(arr)
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{fn}: the keys have different numbers of epochs: {lengths}")
    if not out or not next(iter(lengths.values())):
        raise ValueError(f"{fn}: the history is empty (no epochs with numeric values)")
    return out


def _records_to_dict(records, fn) -> dict:
    keys: dict = {}
    for i, r in enumerate(records):
        if not isinstance(r, Mapping):
            raise TypeError(f"{fn}: per-epoch records must be dicts; record {i} is {type(r).__name__}")
        for k in r:
            keys.setdefault(k, None)
    return {k: [r.get(k) for r in records] for k in keys}


def _epochs(data: dict) -> np.ndarray:
    n = len(next(iter(data.values())))
    e = data.get("epoch")
    if e is not None and np.isfinite(e).all():
        return e
    return np.arange(1, n + 1, dtype=np.float64)


def _base(key: str) -> tuple[str, str]:
    """(prefix, base name): "val_accuracy" -> ("val", "accuracy"); "loss" -> ("", "loss")."""
    for p in _PREFIXES:
        if key.startswith(p):
            return p[:-1], key[len(p):]
    return "", key


def _is_lr(key: str) -> bool:
    return key == "lr" or key.startswith("lr_") or key.startswith("lr/") or key == "learning_rate"


def _line_kw(prefix: str, n: int) -> dict:
    style = {"train": ("C0", "-"), "val": ("C1", "--"), "test": ("C2", "-.")}.get(prefix, ("C3", "-"))
    kw = {"color": style[0], "ls": style[1], "lw": 1.8}
    if n <= 40:
        kw.update(marker="o", ms=3)
    return kw


def _log_if_decades(ax, values, ratio: float = 100.0) -> None:
    """Log y scale when the values are positive and max/min >= ``ratio`` (two decades for losses,
    one for learning rates)."""
    v = np.concatenate([np.asarray(a, dtype=float).ravel() for a in values]) if values else np.array([])
    v = v[np.isfinite(v)]
    if v.size and (v > 0).all() and v.max() / v.min() >= ratio:
        ax.set_yscale("log")


def training_curves(history, keys=None, *, title: str | None = None, save=None):
    """Plot a run's curves: a loss panel (train vs val), one panel per metric, and the
    learning rate (log scale when it spans a decade or more).

    Formula::

        panel(base) = {prefix_base(epoch) for prefix in train, val, test}   e.g. train_loss, val_loss

    Keys are grouped by their name without the ``train_``/``val_``/``test_`` prefix, so
    ``train_accuracy`` and ``val_accuracy`` share a panel. The best (lowest) ``val_loss`` is
    marked. Bookkeeping keys (epoch, seconds, steps, grad_norm) are left out unless listed in
    ``keys``.

    Args:
        history: a ``History`` (``.as_dict()``), ``{key: [value per epoch]}``, or a list of
            per-epoch dicts. The x axis is ``epoch`` when present (else 1, 2, …).
        keys: the keys to draw (default: every numeric key but the bookkeeping ones).
        title: the figure's title (default: none; "(diverged)" / "(stopped early)" is appended
            when the history says so).
        save: None, or a path ending in ``.png`` or ``.svg``.

    Shape:
        one axes per panel, up to three per row.

    Returns:
        the matplotlib ``Figure`` (not registered with pyplot: nothing to close).

    Example:
        >>> from losslab.viz import training_curves
        >>> h = [{"epoch": 1, "train_loss": 0.9, "val_loss": 1.0, "val_accuracy": 0.6, "lr": 0.1},
        ...      {"epoch": 2, "train_loss": 0.5, "val_loss": 0.7, "val_accuracy": 0.8, "lr": 0.01}]
        >>> fig = training_curves(h)
        >>> [ax.get_title() for ax in fig.axes]
        ['loss', 'accuracy', 'learning rate']
        >>> fig.axes[2].get_yscale()
        'log'

    Note:
        Raises ValueError for an empty history, columns of different lengths or a key in
        ``keys`` that the history lacks (listing the keys it has); TypeError for a non-history.
    """
    check_save(save, "training_curves")
    data = history_arrays(history, fn="training_curves")
    epochs = _epochs(data)
    n = len(epochs)
    if keys is None:
        chosen = [k for k in data if k not in _NOT_CURVES]
        if not chosen:
            raise ValueError(f"training_curves: no curves to draw; the history has only {list(data)}")
    else:
        if isinstance(keys, str):
            keys = [keys]
        chosen = list(keys)
        missing = [k for k in chosen if k not in data]
        if missing:
            raise ValueError(f"training_curves: the history has no key(s) {missing}; its numeric keys "
                             f"are {list(data)}")
        if not chosen:
            raise ValueError("training_curves: keys is empty")
    # group into panels: loss first, metrics in first-appearance order, learning rate last
    panels: dict = {}
    for k in chosen:
        group = "learning rate" if _is_lr(k) else _base(k)[1]
        panels.setdefault(group, []).append(k)
    order = sorted(panels, key=lambda g: (0 if g == "loss" else 2 if g == "learning rate" else 1))
    ncols = min(3, len(order))
    nrows = math.ceil(len(order) / ncols)
    fig, axes = new_figure(nrows, ncols, figsize=(4.4 * ncols, 3.3 * nrows))
    flat = [ax for row in axes for ax in row]
    for ax, group in zip(flat, order):
        series = []
        for k in panels[group]:
            prefix = _base(k)[0] if group != "learning rate" else ""
            y = np.where(np.isfinite(data[k]), data[k], np.nan)
            ax.plot(epochs, y, label=k, **_line_kw(prefix, n))
            series.append(y)
        if group == "loss" and "val_loss" in panels[group] and np.isfinite(data["val_loss"]).any():
            i = int(np.nanargmin(np.where(np.isfinite(data["val_loss"]), data["val_loss"], np.nan)))
            ax.plot([epochs[i]], [data["val_loss"][i]], "*", color="C3", ms=12, zorder=3,
                    label=f"best val_loss (epoch {epochs[i]:g})")
        if group == "loss":
            _log_if_decades(ax, series, 100.0)
        elif group == "learning rate":
            _log_if_decades(ax, series, 10.0)
        ax.set_title(group)
        ax.set_xlabel("epoch")
        ax.set_ylabel(group)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    for ax in flat[len(order):]:
        ax.remove()
    notes = []
    if getattr(history, "diverged", None):
        notes.append("diverged")
    if getattr(history, "stopped_early", False):
        notes.append("stopped early")
    if title or notes:
        fig.suptitle(" ".join(([title] if title else []) + [f"({n_})" for n_ in notes]))
    save_figure(fig, save, "training_curves")
    return fig


def _steps_of(history, label, fn):
    steps = getattr(history, "step_losses", None)
    if steps is None and isinstance(history, Mapping):
        steps = history.get("step_losses")
    if steps is None:
        raise ValueError(f"{fn}: history {label!r} has no step_losses (per-step training losses)")
    arr = _to_float_array(list(steps), "step_losses", fn)
    if arr is None or arr.size == 0:
        raise ValueError(f"{fn}: history {label!r} has no numeric step_losses")
    return np.arange(1, arr.size + 1, dtype=np.float64), arr


def compare_curves(histories, key="val_loss", *, title: str | None = None, logy: bool | None = None,
                   save=None):
    """Overlay one curve (or several, one panel each) of several runs: ``{label: history}``.

    Formula::

        for each label: epoch ↦ history[label][key]

    Args:
        histories: a mapping ``{label: history}`` (each history as in :func:`training_curves`),
            e.g. ``{"mse": h1, "huber": h2}`` or ``{"sgd": h1, "adam": h2}``.
        key: the key to overlay (default ``"val_loss"``), or a list of keys (one panel each).
            ``"step_losses"`` overlays the per-step training losses (a ``History``'s
            ``step_losses``): batch GD's smooth curve vs SGD's noisy one, against the update count.
        title: the figure's title.
        logy: log y scale (default: when the values are positive and span two decades or more).
        save: None, or a path ending in ``.png`` or ``.svg``.

    Shape:
        one axes per key, side by side; one line per label.

    Returns:
        the matplotlib ``Figure`` (not registered with pyplot: nothing to close).

    Example:
        >>> from losslab.viz import compare_curves
        >>> runs = {"mse": {"val_loss": [1.0, 0.5, 0.4]}, "huber": {"val_loss": [0.9, 0.4, 0.3]}}
        >>> fig = compare_curves(runs)
        >>> [line.get_label() for line in fig.axes[0].get_lines()]
        ['mse', 'huber']

    Note:
        Raises ValueError for an empty mapping or a run that lacks ``key`` (naming the run and its
        keys), TypeError when ``histories`` is not a mapping.
    """
    check_save(save, "compare_curves")
    if not isinstance(histories, Mapping):
        raise TypeError(f"compare_curves: histories must be a mapping {{label: history}}, got "
                        f"{type(histories).__name__}")
    if not histories:
        raise ValueError("compare_curves: histories is empty; give {label: history} for at least one run")
    keys = [key] if isinstance(key, str) else list(key)
    if not keys or not all(isinstance(k, str) for k in keys):
        raise ValueError(f"compare_curves: key must be a key name or a list of key names, got {key!r}")
    curves = {k: [] for k in keys}
    for label, h in histories.items():
        data = None
        for k in keys:
            if k == "step_losses":
                curves[k].append((str(label),) + _steps_of(h, label, "compare_curves"))
                continue
            if data is None:
                data = history_arrays(h, fn="compare_curves")
            if k not in data:
                raise ValueError(f"compare_curves: history {label!r} has no key {k!r}; its numeric keys "
                                 f"are {list(data)}")
            curves[k].append((str(label), _epochs(data), data[k]))
    fig, axes = new_figure(1, len(keys), figsize=(5.5 * len(keys), 3.8))
    for ax, k in zip(axes[0], keys):
        ys = []
        for i, (label, xs, y) in enumerate(curves[k]):
            y = np.where(np.isfinite(y), y, np.nan)
            kw = {"marker": "o", "ms": 3} if len(y) <= 40 else {}
            ax.plot(xs, y, color=f"C{i % 10}", lw=1.6 if k != "step_losses" else 1.0, label=label, **kw)
            ys.append(y)
        if logy is None:
            _log_if_decades(ax, ys)
        elif logy:
            ax.set_yscale("log")
        ax.set_title(k)
        ax.set_xlabel("optimizer step" if k == "step_losses" else "epoch")
        ax.set_ylabel(k)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    save_figure(fig, save, "compare_curves")
    return fig
