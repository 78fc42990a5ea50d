"""losslab.viz.training_curves / compare_curves / history_arrays."""
import math

import numpy as np
import pytest

from losslab.viz import compare_curves, history_arrays, training_curves

pytest.importorskip("matplotlib")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def records(n=6, lr_decay=0.5):
    return [{"epoch": i + 1, "train_loss": 1.0 / (i + 1), "val_loss": 1.2 / (i + 1) + 0.05 * i,
             "train_accuracy": 0.5 + 0.05 * i, "val_accuracy": 0.45 + 0.05 * i,
             "lr": 0.1 * lr_decay ** i, "seconds": 0.01, "steps": 4} for i in range(n)]


class FakeHistory:
    """The History interface the train helper provides: .records and .as_dict()."""

    def __init__(self, recs, diverged=None):
        self.records = recs
        self.diverged = diverged
        self.stopped_early = False

    def as_dict(self):
        keys = list(dict.fromkeys(k for r in self.records for k in r))
        return {k: [r.get(k) for r in self.records] for k in keys}


def lines_by_label(ax):
    return {ln.get_label(): ln for ln in ax.get_lines()}


# -- history forms --------------------------------------------------------------------------------
def test_history_forms_are_equivalent():
    recs = records()
    as_dict = FakeHistory(recs).as_dict()
    a = history_arrays(recs)
    b = history_arrays(as_dict)
    c = history_arrays(FakeHistory(recs))
    assert a.keys() == b.keys() == c.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
        np.testing.assert_array_equal(a[k], c[k])


def test_history_arrays_missing_values_and_bad_input():
    d = history_arrays([{"epoch": 1, "loss": 1.0, "note": "x"}, {"epoch": 2, "val_loss": 0.5, "note": "y"}])
    assert "note" not in d  # non-numeric columns are dropped
    assert np.isnan(d["loss"][1]) and np.isnan(d["val_loss"][0])
    with pytest.raises(TypeError, match="History"):
        history_arrays(42)
    with pytest.raises(ValueError, match="different numbers of epochs"):
        history_arrays({"train_loss": [1, 2, 3], "val_loss": [1, 2]})
    with pytest.raises(ValueError, match="empty"):
        history_arrays([])
    with pytest.raises(ValueError, match="list of per-epoch values"):
        history_arrays({"train_loss": 1.0})
    with pytest.raises(TypeError, match="record 1"):
        history_arrays([{"loss": 1.0}, 3])


def test_real_history_class_if_present():
    mod = pytest.importorskip("losslab.train.history")
    h = mod.History()
    for r in records(3):
        h.append(r)
    fig = training_curves(h)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy", "learning rate"]


# -- training_curves ------------------------------------------------------------------------------
def test_training_curves_panels_lines_labels(no_pyplot_figures):
    fig = training_curves(records())
    loss_ax, acc_ax, lr_ax = fig.axes
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy", "learning rate"]
    assert set(lines_by_label(loss_ax)) == {"train_loss", "val_loss", "best val_loss (epoch 5)"}
    assert set(lines_by_label(acc_ax)) == {"train_accuracy", "val_accuracy"}
    assert set(lines_by_label(lr_ax)) == {"lr"}
    assert all(ax.get_xlabel() == "epoch" for ax in fig.axes)
    np.testing.assert_allclose(lines_by_label(loss_ax)["val_loss"].get_ydata(), [r["val_loss"] for r in records()])
    np.testing.assert_array_equal(lines_by_label(loss_ax)["train_loss"].get_xdata(), np.arange(1, 7))
    assert lines_by_label(loss_ax)["val_loss"].get_linestyle() == "--"
    # the learning rate spans decades (0.1 -> 0.003): log scale; the loss does not
    assert lr_ax.get_yscale() == "log" and loss_ax.get_yscale() == "linear"


def test_lr_panel_linear_when_constant_and_absent_when_missing():
    fig = training_curves(records(lr_decay=1.0))
    assert fig.axes[2].get_yscale() == "linear"
    fig = training_curves({"train_loss": [3.0, 2.0, 1.0]})
    assert [ax.get_title() for ax in fig.axes] == ["loss"]
    np.testing.assert_array_equal(fig.axes[0].get_lines()[0].get_xdata(), [1, 2, 3])  # no epoch key


def test_keys_selects_panels_and_errors():
    fig = training_curves(records(), keys=["val_accuracy", "seconds"])
    assert [ax.get_title() for ax in fig.axes] == ["accuracy", "seconds"]
    with pytest.raises(ValueError, match=r"no key\(s\) \['val_f1'\].*val_accuracy"):
        training_curves(records(), keys=["val_f1"])
    with pytest.raises(ValueError, match="no curves"):
        training_curves({"epoch": [1, 2], "seconds": [0.1, 0.1]})


def test_many_metrics_wrap_rows():
    h = {"train_loss": [1, 0.5], "val_loss": [1, 0.6], "val_accuracy": [0.5, 0.6], "val_precision": [0.4, 0.5],
         "val_recall": [0.3, 0.6], "val_f1": [0.3, 0.5], "lr": [0.1, 0.1]}
    fig = training_curves(h)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["loss", "accuracy", "precision", "recall", "f1", "learning rate"]
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (2, 3)


def test_nan_and_divergence(tmp_path):
    recs = records(4)
    recs[3]["train_loss"] = math.nan
    recs[3]["val_loss"] = math.inf
    fig = training_curves(FakeHistory(recs, diverged="loss became NaN at step 12"), save=tmp_path / "c.png")
    assert "diverged" in fig._suptitle.get_text()
    y = lines_by_label(fig.axes[0])["val_loss"].get_ydata()
    assert np.isnan(y[3]) and np.isfinite(y[:3]).all()  # Inf drawn as a gap
    assert (tmp_path / "c.png").read_bytes()[:8] == PNG_MAGIC


def test_training_curves_svg(tmp_path):
    training_curves(records(), save=tmp_path / "c.svg")
    head = (tmp_path / "c.svg").read_text()[:100].lstrip()
    assert head.startswith("<?xml") or head.startswith("<svg")
    with pytest.raises(ValueError, match="PNG or SVG"):
        training_curves(records(), save=tmp_path / "c.pdf")


# -- compare_curves -------------------------------------------------------------------------------
def test_compare_curves_overlays(no_pyplot_figures):
    runs = {"mse": records(5), "huber": FakeHistory(records(5, 0.9)), "mae": {"val_loss": [2, 1, 0.5, 0.4, 0.3]}}
    fig = compare_curves(runs)
    (ax,) = fig.axes
    assert [ln.get_label() for ln in ax.get_lines()] == ["mse", "huber", "mae"]
    assert ax.get_title() == "val_loss" and ax.get_xlabel() == "epoch"
    np.testing.assert_allclose(ax.get_lines()[2].get_ydata(), [2, 1, 0.5, 0.4, 0.3])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["mse", "huber", "mae"]


def test_compare_curves_several_keys_and_log_scale():
    runs = {"sgd": records(5), "adam": records(5)}
    fig = compare_curves(runs, key=["val_loss", "val_accuracy"])
    assert [ax.get_title() for ax in fig.axes] == ["val_loss", "val_accuracy"]
    fig = compare_curves({"a": {"val_loss": [100.0, 1.0, 0.1]}})
    assert fig.axes[0].get_yscale() == "log"
    fig = compare_curves({"a": {"val_loss": [1.0, 0.9]}}, logy=True)
    assert fig.axes[0].get_yscale() == "log"


def test_compare_step_losses():
    class H(FakeHistory):
        step_losses = [1.0, 0.8, 0.9, 0.5, 0.6, 0.4]

    fig = compare_curves({"sgd": H(records(2)), "batch": {"val_loss": [1, 0.5], "step_losses": [1.0, 0.7]}},
                         key="step_losses")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "optimizer step"
    assert [len(ln.get_xdata()) for ln in ax.get_lines()] == [6, 2]
    with pytest.raises(ValueError, match="'x' has no step_losses"):
        compare_curves({"x": records(2)}, key="step_losses")


def test_compare_curves_errors(tmp_path):
    with pytest.raises(ValueError, match="history 'b' has no key 'val_loss'.*train_loss"):
        compare_curves({"a": records(3), "b": {"train_loss": [1, 2]}})
    with pytest.raises(TypeError, match="mapping"):
        compare_curves([records(3)])
    with pytest.raises(ValueError, match="empty"):
        compare_curves({})
    with pytest.raises(ValueError, match="PNG or SVG"):
        compare_curves({"a": records(3)}, save=tmp_path / "x.txt")
    compare_curves({"a": records(3)}, save=tmp_path / "x.png")
    assert (tmp_path / "x.png").read_bytes()[:8] == PNG_MAGIC
