"""Decision boundaries of a model on 2-D inputs (moons, circles, spirals, xor, blobs...)."""
from __future__ import annotations

import numpy as np

from ._common import check_save, new_figure, save_figure

__all__ = ["decision_boundary"]

_TASKS = ("binary", "multiclass", "regression")
_CHUNK = 65536  # grid rows per model call


def _as_array(v, name: str) -> np.ndarray:
    data = getattr(v, "data", v) if not isinstance(v, np.ndarray) else v
    try:
        return np.asarray(data)
    except Exception:  # noqa: BLE001 - anything that is not array-like
        raise TypeError(f"decision_boundary: {name} must be an array or Tensor, got {type(v).__name__}") from None


def _grid_dtype(model):
    """The dtype of the model's first floating parameter (float32 when it has none)."""
    params = getattr(model, "parameters", None)
    if callable(params):
        for p in params():
            dt = np.dtype(getattr(p, "dtype", np.float32))
            if dt.kind == "f":
                return dt
    return np.dtype(np.float32)


def _predict(model, points: np.ndarray) -> np.ndarray:
    """The model's raw outputs on ``points`` (no gradient; evaluation mode, restored after)."""
    import losslab as ll

    modules = list(model.modules()) if hasattr(model, "modules") and callable(model.modules) else []
    modes = [(m, m.training) for m in modules if hasattr(m, "training")]
    dtype = _grid_dtype(model)
    outs = []
    try:
        for m, _ in modes:
            m.training = False  # eval() for Dropout & co., restored per module below
        with ll.no_grad():
            for i in range(0, len(points), _CHUNK):
                out = model(ll.tensor(points[i:i + _CHUNK].astype(dtype), dtype=dtype))
                outs.append(np.asarray(getattr(out, "data", out), dtype=np.float64))
    finally:
        for m, was in modes:
            m.training = was
    return np.concatenate(outs, axis=0)


def decision_boundary(model, x, y, *, resolution: int = 200, task: str | None = None,
                      class_names=None, padding: float = 0.1, title: str | None = None, save=None):
    """Plot a classifier's decision regions over 2-D inputs, with the data points on top.

    Formula::

        binary (N, 1) logits:      P(class 1) = sigmoid(f(x)); boundary where it is 0.5
        multiclass (N, C) logits:  region(x) = argmax_c f_c(x)
        regression (N, 1):         filled contours of f(x)

    Args:
        model: a ``losslab.nn.Module`` (or any callable Tensor -> Tensor); called under
            ``ll.no_grad()`` on a grid of float points (the dtype of its first parameter,
            float32 by default), in evaluation mode (each module's mode is restored after).
        x: the inputs, (N, 2) array or Tensor.
        y: the labels, (N,) class indices (or (N, 1) 0/1 labels; regression: targets).
        resolution: grid points per axis (>= 2).
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``; None infers it from the output
            width (1: binary, C >= 2: multiclass).
        class_names: names of the classes for the legend (default "class 0", "class 1", …).
        padding: margin around the data, as a fraction of its extent.
        title: the axes' title.
        save: None, or a path ending in ``.png`` or ``.svg``.

    Shape:
        x: (N, 2); y: (N,) or (N, 1); model output on the grid: (M,), (M, 1) or (M, C).

    Returns:
        the matplotlib ``Figure`` (not registered with pyplot: nothing to close).

    Example:
        >>> import numpy as np, losslab as ll
        >>> from losslab.viz import decision_boundary
        >>> _ = ll.manual_seed(0)
        >>> model = ll.nn.Linear(2, 1)
        >>> x = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
        >>> fig = decision_boundary(model, x, np.array([0, 1, 0, 1]), resolution=20)
        >>> fig.axes[0].get_xlabel()
        'x₁'

    Note:
        Raises ValueError when x is not (N, 2), y's length differs from N, the output's width
        does not fit ``task`` (e.g. multiclass with one output), or resolution < 2.
    """
    check_save(save, "decision_boundary")
    if task is not None and task not in _TASKS:
        raise ValueError(f"decision_boundary: task must be None or one of {_TASKS}, got {task!r}")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"decision_boundary: resolution must be an integer >= 2, got {resolution!r}")
    if not callable(model):
        raise TypeError(f"decision_boundary: model must be callable (an nn.Module), got {type(model).__name__}")
    xa = _as_array(x, "x")
    if xa.ndim != 2 or xa.shape[1] != 2 or xa.shape[0] == 0:
        raise ValueError(f"decision_boundary: x must have shape (N, 2) (2-D inputs), got shape "
                         f"{tuple(xa.shape)}; decision boundaries are drawn for 2 features only")
    try:
        xa = xa.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"decision_boundary: x must hold numbers, got dtype {xa.dtype}") from None
    if not np.isfinite(xa).all():
        raise ValueError("decision_boundary: x contains NaN or Inf")
    ya = _as_array(y, "y")
    if ya.ndim == 2 and ya.shape[1] == 1:
        ya = ya[:, 0]
    if ya.ndim != 1 or ya.shape[0] != xa.shape[0]:
        raise ValueError(f"decision_boundary: y must have shape ({xa.shape[0]},) to match x "
                         f"{tuple(xa.shape)}, got shape {tuple(ya.shape)}")
    if not isinstance(padding, (int, float)) or padding < 0:
        raise ValueError(f"decision_boundary: padding must be a number >= 0, got {padding!r}")

    lo, hi = xa.min(axis=0), xa.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - padding * span, hi + padding * span
    g0, g1 = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    G0, G1 = np.meshgrid(g0, g1)
    grid = np.column_stack([G0.ravel(), G1.ravel()])
    out = _predict(model, grid)
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2 or out.shape[0] != grid.shape[0]:
        raise ValueError(f"decision_boundary: the model's output on a ({grid.shape[0]}, 2) grid has shape "
                         f"{out.shape}; expected ({grid.shape[0]},), ({grid.shape[0]}, 1) or ({grid.shape[0]}, C)")
    width = out.shape[1]
    if task is None:
        task = "binary" if width == 1 else "multiclass"
    if task == "binary" and width not in (1, 2):
        raise ValueError(f"decision_boundary: task='binary' needs 1 output (a logit) or 2 (class logits), "
                         f"the model gives {width}")
    if task == "multiclass" and width < 2:
        raise ValueError("decision_boundary: task='multiclass' needs C >= 2 outputs (class logits), the "
                         "model gives 1; use task='binary' for a single logit")
    if task == "regression" and width != 1:
        raise ValueError(f"decision_boundary: task='regression' needs 1 output, the model gives {width}")

    from matplotlib.colors import ListedColormap

    fig, axes = new_figure(1, 1, figsize=(6.0, 5.0))
    ax = axes[0][0]
    if task == "regression":
        z = out[:, 0].reshape(G0.shape)
        vmin = float(min(np.nanmin(z), np.nanmin(ya.astype(float))))
        vmax = float(max(np.nanmax(z), np.nanmax(ya.astype(float))))
        cs = ax.contourf(G0, G1, z, levels=20, cmap="viridis", vmin=vmin, vmax=vmax, alpha=0.8)
        fig.colorbar(cs, ax=ax, label="prediction")
        ax.scatter(xa[:, 0], xa[:, 1], c=ya.astype(float), cmap="viridis", vmin=vmin, vmax=vmax,
                   edgecolors="black", linewidths=0.5, s=22)
    else:
        labels = ya.astype(np.int64) if np.issubdtype(ya.dtype, np.number) else None
        if labels is None or not np.array_equal(labels, ya):
            raise ValueError(f"decision_boundary: y must hold integer class labels for task={task!r}, got "
                             f"values like {ya[:3].tolist()}")
        if task == "binary" and labels.size and set(np.unique(labels).tolist()) <= {-1, 1}:
            labels = (labels + 1) // 2  # ±1 labels (hinge-style) -> 0/1
        if labels.size and labels.min() < 0:
            raise ValueError(f"decision_boundary: class labels must be >= 0, got {int(labels.min())}")
        n_classes = max(width if task == "multiclass" else 2, int(labels.max()) + 1 if labels.size else 0)
        colors = [f"C{i % 10}" for i in range(n_classes)]
        if task == "binary":
            if width == 1:
                with np.errstate(over="ignore"):
                    prob = 1.0 / (1.0 + np.exp(-out[:, 0]))  # sigmoid of the logit
            else:
                z = out - out.max(axis=1, keepdims=True)  # max-subtracted softmax, no overflow (scipy.special.softmax)
                prob = np.exp(z[:, 1]) / np.exp(z).sum(axis=1)
            pz = prob.reshape(G0.shape)
            cs = ax.contourf(G0, G1, pz, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.45)
            fig.colorbar(cs, ax=ax, label="P(class 1)")
            if pz.min() < 0.5 < pz.max():
                ax.contour(G0, G1, pz, levels=[0.5], colors="black", linewidths=1.5)
            colors = ["#2166ac", "#b2182b"] + colors[2:]
        else:
            region = out.argmax(axis=1).reshape(G0.shape)
            cmap = ListedColormap(colors[:n_classes])
            ax.contourf(G0, G1, region, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.3)
            ax.contour(G0, G1, region, levels=np.arange(n_classes) + 0.5, colors="black", linewidths=0.8)
        names = list(class_names) if class_names is not None else [f"class {c}" for c in range(n_classes)]
        if len(names) < n_classes:
            raise ValueError(f"decision_boundary: class_names has {len(names)} names for {n_classes} classes")
        for c in np.unique(labels):
            m = labels == c
            ax.scatter(xa[m, 0], xa[m, 1], color=colors[int(c) % len(colors)], edgecolors="black",
                       linewidths=0.5, s=22, label=str(names[int(c)]))
        ax.legend(fontsize="small", loc="best")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_title(title or f"decision boundary ({task})")
    save_figure(fig, save, "decision_boundary")
    return fig
