"""Per-sample errors of several runs on the same validation set: where do the big errors go?

A mean (MAE, RMSE) hides *how* a model errs. Sorting each run's per-sample absolute errors from
the largest down shows it: a model fitted with MSE on data with gross outliers is pulled towards
them and errs a little everywhere (a high, flat curve), while MAE or Huber fit the bulk of the
data and leave a few large errors (a curve that drops fast). ``losslab compare`` draws this for
regression comparisons (``val_errors.png``).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._common import check_save, new_figure, save_figure

__all__ = ["per_sample_errors"]

_FN = "per_sample_errors"


def _errors_array(values, label: str) -> np.ndarray:
    """``|values|`` as a 1-D float64 array (NaN/Inf kept; counted and left out by the caller)."""
    data = values.data if hasattr(values, "data") and not isinstance(values, np.ndarray) else values
    try:
        arr = np.asarray(data)
    except Exception:  # noqa: BLE001 - anything that is not array-like
        arr = None
    if arr is None or arr.dtype.kind not in "iufb" or arr.dtype.kind == "b":
        kind = type(values).__name__ if arr is None else f"{type(values).__name__} of dtype {arr.dtype}"
        raise TypeError(f"{_FN}: the errors of {label!r} must be a 1-D array of numbers (ndarray, list or "
                        f"Tensor), got {kind}")
    if arr.ndim == 2 and 1 in arr.shape:  # a (N, 1) column of a regression model's outputs
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise ValueError(f"{_FN}: the errors of {label!r} must be 1-D (one value per sample), got shape "
                         f"{arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{_FN}: the errors of {label!r} are empty; give one value per validation sample")
    return np.abs(arr.astype(np.float64))


def per_sample_errors(errors, *, title: str | None = None, save=None):
    """Plot each run's per-sample absolute errors on a validation set: sorted from the largest
    down (left) and as box plots (right).

    Formula::

        e_i = |ŷ_i − y_i|                      one value per validation sample
        left:  rank k ↦ e_(k), e_(1) ≥ e_(2) ≥ … ≥ e_(n)   (the largest error first)
        right: box = quartiles of e, whiskers 1.5·IQR, points beyond them, ▲ = mean (MAE)

    The left panel uses a log y axis when the positive errors span two decades or more (then
    errors of exactly 0 are not drawn). Each line is labelled ``"<label>: MAE <mean of e>, max
    <largest e>"``.

    Args:
        errors: a mapping ``{label: per-sample errors}``, each a 1-D array (ndarray, list or
            Tensor; an (N, 1) column is flattened) of absolute errors ``|ŷ − y|``. Signed
            residuals work too: their absolute values are drawn. Runs may have different
            lengths. NaN/Inf values (a diverged run) are left out and counted in the legend.
        title: the figure's title (default: none).
        save: None, or a path ending in ``.png`` or ``.svg``.

    Shape:
        two axes side by side (sorted curves, box plots) sharing the y axis; one line and one
        box per label, in the mapping's order.

    Returns:
        the matplotlib ``Figure`` (not registered with pyplot: nothing to close).

    Example:
        >>> import numpy as np
        >>> from losslab.viz import per_sample_errors
        >>> fig = per_sample_errors({"mse": np.array([0.5, 3.0, 1.0]), "mae": [0.1, 0.2, 4.0]})
        >>> [ax.get_title() for ax in fig.axes]
        ['|error| per sample, largest first', 'distribution of |error|']
        >>> fig.axes[0].get_lines()[0].get_ydata().tolist()
        [3.0, 1.0, 0.5]
        >>> [t.get_text() for t in fig.axes[1].get_xticklabels()]
        ['mse', 'mae']

    Note:
        Raises TypeError when ``errors`` is not a mapping or a value is not numeric, ValueError
        for an empty mapping, a value that is empty or not 1-D, or a bad ``save`` path (checked
        before any drawing). The y axis is |error| in the target's units (not standardized).
    """
    check_save(save, _FN)
    if not isinstance(errors, Mapping):
        raise TypeError(f"{_FN}: errors must be a mapping {{label: 1-D array of per-sample errors}}, got "
                        f"{type(errors).__name__}")
    if not errors:
        raise ValueError(f"{_FN}: errors is empty; give {{label: per-sample errors}} for at least one run")
    runs = []
    for label, values in errors.items():
        e = _errors_array(values, str(label))
        finite = np.isfinite(e)
        runs.append((str(label), np.sort(e[finite])[::-1], int((~finite).sum())))

    fig, axes = new_figure(1, 2, figsize=(9.5, 4.0), sharey=True, width_ratios=[2.2, 1])
    curve_ax, box_ax = axes[0]
    positive = np.concatenate([e[e > 0] for _, e, _ in runs])
    log = positive.size > 0 and positive.max() / positive.min() >= 100.0
    for i, (label, e, bad) in enumerate(runs):
        parts = [f"MAE {e.mean():.3g}, max {e.max():.3g}"] if e.size else ["no finite values"]
        if bad:
            parts.append(f"{bad} non-finite left out")
        ranks = np.arange(1, e.size + 1)
        kw = {"marker": "o", "ms": 3} if e.size <= 60 else {}
        curve_ax.plot(ranks, e, color=f"C{i % 10}", lw=1.6, label=f"{label}: {'; '.join(parts)}", **kw)
    if log:
        curve_ax.set_yscale("log", nonpositive="mask")
    curve_ax.set_title("|error| per sample, largest first")
    curve_ax.set_xlabel("sample rank (1 = largest error)")
    curve_ax.set_ylabel("|error|")
    curve_ax.grid(alpha=0.3, which="both" if log else "major")
    curve_ax.legend(fontsize="small")

    positions = np.arange(1, len(runs) + 1)
    data = [e if e.size else np.array([np.nan]) for _, e, _ in runs]
    boxes = box_ax.boxplot(data, positions=positions, widths=0.6, patch_artist=True, showmeans=True,
                           flierprops={"marker": ".", "ms": 4},
                           meanprops={"marker": "^", "markerfacecolor": "black", "markeredgecolor": "black",
                                      "ms": 5})
    for i, patch in enumerate(boxes["boxes"]):
        patch.set_facecolor(f"C{i % 10}")
        patch.set_alpha(0.45)
    for med in boxes["medians"]:
        med.set_color("black")
    labels = [label for label, _, _ in runs]
    rotate = len(runs) > 3 or max(len(s) for s in labels) > 10
    box_ax.set_xticks(positions, labels, rotation=30 if rotate else 0, ha="right" if rotate else "center")
    box_ax.set_title("distribution of |error|")
    box_ax.grid(alpha=0.3, axis="y")
    if title:
        fig.suptitle(title)
    save_figure(fig, save, _FN)
    return fig
