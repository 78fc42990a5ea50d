"""losslab.viz.decision_boundary on hand-set models."""
import numpy as np
import pytest

import losslab as ll
from losslab import nn
from losslab.viz import decision_boundary

pytest.importorskip("matplotlib")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

X = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0], [0.5, 0.2], [-0.4, 0.3]])


def linear(weight, bias, dtype=ll.float32):
    weight = np.asarray(weight, dtype=np.float64)
    m = nn.Linear(weight.shape[1], weight.shape[0]).to(dtype)
    with ll.no_grad():
        m.weight.copy_(ll.tensor(weight, dtype=dtype))
        m.bias.copy_(ll.tensor(np.asarray(bias, dtype=np.float64), dtype=dtype))
    return m


def contour_sets(ax):
    from matplotlib.contour import ContourSet

    return [c for c in ax.collections if isinstance(c, ContourSet)]


def scatters(ax):
    from matplotlib.collections import PathCollection

    return [c for c in ax.collections if isinstance(c, PathCollection)]


def test_binary_boundary_is_where_the_logit_is_zero(no_pyplot_figures):
    model = linear([[2.0, 0.0]], [-0.6])  # logit 2·x₁ − 0.6: boundary at x₁ = 0.3
    y = (X[:, 0] > 0.3).astype(np.int64)
    fig = decision_boundary(model, X, y, resolution=41)
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # the panel and its colorbar (P(class 1))
    assert fig.axes[1].get_ylabel() == "P(class 1)"
    filled, line = contour_sets(ax)
    assert list(line.levels) == [0.5]
    xs = np.concatenate([p.vertices[:, 0] for p in line.get_paths() if len(p.vertices)])
    np.testing.assert_allclose(xs, 0.3, atol=1e-6)
    assert [c.get_label() for c in scatters(ax)] == ["class 0", "class 1"]
    assert [len(c.get_offsets()) for c in scatters(ax)] == [int((y == 0).sum()), int((y == 1).sum())]
    assert ax.get_xlabel() == "x₁" and ax.get_ylabel() == "x₂" and ax.get_title() == "decision boundary (binary)"
    # the view spans the data plus 10 % on each side
    np.testing.assert_allclose(ax.get_xlim(), (-1.2, 1.2))


def test_multiclass_regions_are_the_argmax():
    model = linear([[1.0, 0.0], [-1.0, 0.0], [0.0, 3.0]], [0.0, 0.0, 0.0])
    y = np.array([1, 2, 0, 2, 0, 1])
    fig = decision_boundary(model, ll.tensor(X), ll.tensor(y), resolution=25, class_names=["a", "b", "c"])
    ax = fig.axes[0]
    assert len(fig.axes) == 1  # no colorbar for regions
    filled, lines = contour_sets(ax)
    np.testing.assert_allclose(filled.levels, [-0.5, 0.5, 1.5, 2.5])
    assert [c.get_label() for c in scatters(ax)] == ["a", "b", "c"]
    assert ax.get_title() == "decision boundary (multiclass)"


def test_binary_with_plus_minus_one_labels_and_column_targets():
    model = linear([[1.0, 1.0]], [0.0])
    y = np.where(X.sum(axis=1) > 0, 1.0, -1.0)[:, None]  # (N, 1) ±1 labels (hinge style)
    fig = decision_boundary(model, X, y, resolution=20)
    assert [c.get_label() for c in scatters(fig.axes[0])] == ["class 0", "class 1"]


def test_regression_surface():
    model = linear([[1.0, -1.0]], [0.5])
    fig = decision_boundary(model, X, X[:, 0] - X[:, 1] + 0.5, resolution=15, task="regression")
    assert fig.axes[1].get_ylabel() == "prediction"


def test_mlp_float64_and_modes_restored():
    ll.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Dropout(0.5), nn.Linear(8, 3)).to(ll.float64)
    model.train()
    model[2].training = True
    fig = decision_boundary(model, X, np.array([0, 1, 2, 0, 1, 2]), resolution=12)
    assert model.training and all(m.training for m in model.modules())
    assert all(p.grad is None for p in model.parameters())  # evaluated under no_grad
    assert fig.axes[0].get_title() == "decision boundary (multiclass)"


def test_plain_callable_model():
    def model(t):
        return t[:, :1] - t[:, 1:]  # a logit: x₁ − x₂

    fig = decision_boundary(model, X, (X[:, 0] > X[:, 1]).astype(int), resolution=10)
    assert len(contour_sets(fig.axes[0])) == 2


def test_errors(tmp_path):
    model = linear([[1.0, 0.0]], [0.0])
    y = np.zeros(6, dtype=np.int64)
    with pytest.raises(ValueError, match=r"shape \(N, 2\).*\(6, 3\)"):
        decision_boundary(model, np.zeros((6, 3)), y)
    with pytest.raises(ValueError, match=r"shape \(N, 2\).*\(6,\)"):
        decision_boundary(model, np.zeros(6), y)
    with pytest.raises(ValueError, match=r"y must have shape \(6,\)"):
        decision_boundary(model, X, np.zeros(5))
    with pytest.raises(ValueError, match="resolution"):
        decision_boundary(model, X, y, resolution=1)
    with pytest.raises(ValueError, match="multiclass.*C >= 2"):
        decision_boundary(model, X, y, task="multiclass")
    with pytest.raises(ValueError, match="task must be"):
        decision_boundary(model, X, y, task="ranking")
    with pytest.raises(ValueError, match="integer class labels"):
        decision_boundary(model, X, np.linspace(0, 1, 6))
    with pytest.raises(ValueError, match="NaN"):
        decision_boundary(model, np.full((6, 2), np.nan), y)
    with pytest.raises(ValueError, match="PNG or SVG"):
        decision_boundary(model, X, y, save=tmp_path / "b.gif")
    with pytest.raises(TypeError, match="callable"):
        decision_boundary("model", X, y)


def test_save_png_and_svg(tmp_path):
    model = linear([[1.0, 0.0]], [0.0])
    y = (X[:, 0] > 0).astype(np.int64)
    decision_boundary(model, X, y, resolution=10, save=tmp_path / "b.png")
    decision_boundary(model, X, y, resolution=10, save=tmp_path / "b.svg")
    assert (tmp_path / "b.png").read_bytes()[:8] == PNG_MAGIC
    head = (tmp_path / "b.svg").read_text()[:100].lstrip()
    assert head.startswith("<?xml") or head.startswith("<svg")
