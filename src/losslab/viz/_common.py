"""Shared plumbing of :mod:`losslab.viz`: the lazy matplotlib import, new figures, saving.

Figures are made with ``matplotlib.figure.Figure`` and an Agg canvas, never through
``matplotlib.pyplot``: nothing global is touched (no backend switch, no pyplot figure list), so
the figures need no closing, work headless, and still display in Jupyter.
"""
from __future__ import annotations

import os
from pathlib import Path

from .._atomic import atomic_open

__all__ = ["require_matplotlib", "new_figure", "check_save", "save_figure", "SAVE_FORMATS"]

#: Suffix -> matplotlib format name for ``save=``.
SAVE_FORMATS = {".png": "png", ".svg": "svg"}


def require_matplotlib():
    """Import and return ``matplotlib`` (an ImportError saying how to install it otherwise)."""
    try:
        import matplotlib
    except ImportError as e:  # pragma: no cover - matplotlib is a test dependency
        raise ImportError("losslab.viz needs matplotlib: pip install 'losslab[plot]'") from e
    return matplotlib


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize=None, squeeze: bool = False, **kwargs):
    """A new headless Figure (Agg canvas) and its grid of axes (``fig.subplots(...)``)."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=squeeze, **kwargs)
    return fig, axes


def check_save(save, fn: str):
    """Validate ``save`` (None, or a path ending in .png/.svg) before any work is done.

    Returns the :class:`~pathlib.Path` (or None). Raises TypeError for a non-path and ValueError
    for another suffix or a missing parent directory.
    """
    if save is None:
        return None
    if not isinstance(save, (str, os.PathLike)):
        raise TypeError(f"{fn}: save must be None or a path ending in .png or .svg, got {type(save).__name__}")
    path = Path(save)
    suffix = path.suffix.lower()
    if suffix not in SAVE_FORMATS:
        raise ValueError(f"{fn}: save={str(save)!r} has suffix {path.suffix or '(none)'!r}; "
                         f"expected one of {', '.join(SAVE_FORMATS)} (PNG or SVG)")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{fn}: cannot save to {str(save)!r}: the directory {str(parent)!r} does not exist")
    return path


def save_figure(fig, save, fn: str, *, dpi: int = 150) -> None:
    """Write ``fig`` to ``save`` (PNG or SVG by suffix) atomically: a temporary file in the same
    directory, then ``os.replace``, so a failed write leaves no half-written file behind."""
    path = check_save(save, fn)
    if path is None:
        return
    fmt = SAVE_FORMATS[path.suffix.lower()]
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format=fmt, dpi=dpi)
