"""losslab.viz.per_sample_errors: sorted per-sample |error| curves and box plots of several runs."""
import doctest

import numpy as np
import pytest

import losslab as ll
import losslab.viz as viz
from losslab.viz import errors as errors_module
from losslab.viz import per_sample_errors

pytest.importorskip("matplotlib")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def runs(n=50, seed=0):
    rng = np.random.default_rng(seed)
    return {"mse_loss": 3.0 + rng.normal(size=n),                # signed residuals, all far off
            "l1_loss": np.abs(rng.normal(scale=0.3, size=n)),      # small errors...
            "huber_loss": np.abs(rng.normal(scale=0.4, size=n))}


def test_exported_with_a_full_docstring():
    assert viz.per_sample_errors is per_sample_errors
    assert "per_sample_errors" in viz.__all__
    for section in ("Formula", "Args:", "Shape:", "Example:", "Note:"):
        assert section in per_sample_errors.__doc__, section


def test_docstring_example_runs():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(errors_module, errors_module.__name__):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0 and result.attempted > 0


def test_curves_are_sorted_absolute_errors_with_labels(no_pyplot_figures):
    data = runs()
    fig = per_sample_errors(data)
    curve_ax, box_ax = fig.axes
    assert curve_ax.get_title() == "|error| per sample, largest first"
    assert box_ax.get_title() == "distribution of |error|"
    assert curve_ax.get_xlabel() == "sample rank (1 = largest error)" and curve_ax.get_ylabel() == "|error|"
    lines = curve_ax.get_lines()
    assert len(lines) == 3
    for line, (label, values) in zip(lines, data.items()):
        expected = np.sort(np.abs(values))[::-1]
        np.testing.assert_allclose(line.get_ydata(), expected)
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, len(values) + 1))
        mae = np.abs(values).mean()
        assert line.get_label() == f"{label}: MAE {mae:.3g}, max {expected[0]:.3g}"
    assert [t.get_text() for t in box_ax.get_xticklabels()] == list(data)
    # the two panels share the y axis; the box panel has one box (a filled patch) per run
    assert box_ax.get_shared_y_axes().joined(curve_ax, box_ax)
    assert len([p for p in box_ax.patches if p.get_facecolor()[3] > 0]) == 3


def test_box_plot_marks_the_mean():
    fig = per_sample_errors({"a": [1.0, 2.0, 3.0, 10.0]})
    box_ax = fig.axes[1]
    means = [ln for ln in box_ax.get_lines() if ln.get_marker() == "^"]
    assert len(means) == 1 and means[0].get_ydata()[0] == pytest.approx(4.0)
    medians = [ln for ln in box_ax.get_lines() if ln.get_color() == "black" and len(ln.get_xdata()) == 2
               and ln.get_ydata()[0] == ln.get_ydata()[1]]
    assert any(m.get_ydata()[0] == pytest.approx(2.5) for m in medians)


def test_log_scale_only_when_errors_span_decades():
    assert per_sample_errors({"a": [0.5, 1.0, 2.0]}).axes[0].get_yscale() == "linear"
    fig = per_sample_errors({"a": [0.01, 1.0, 5.0], "b": [0.2, 0.3]})
    assert fig.axes[0].get_yscale() == "log" and fig.axes[1].get_yscale() == "log"  # shared
    # exact zeros do not count when deciding (they are masked on a log axis)
    assert per_sample_errors({"a": [0.0, 0.5, 1.0]}).axes[0].get_yscale() == "linear"
    assert per_sample_errors({"a": [0.0, 0.001, 1.0]}).axes[0].get_yscale() == "log"
    assert per_sample_errors({"a": [0.0, 0.0]}).axes[0].get_yscale() == "linear"


def test_inputs_tensor_list_column_and_different_lengths():
    t = ll.tensor([[0.5], [-2.0], [1.0]])  # an (N, 1) column of signed residuals, as a Tensor
    fig = per_sample_errors({"tensor": t, "list": [4, 1], 3: np.array([0.1])})
    ys = [ln.get_ydata().tolist() for ln in fig.axes[0].get_lines()]
    assert ys == [[2.0, 1.0, 0.5], [4.0, 1.0], [0.1]]
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()] == ["tensor", "list", "3"]


def test_non_finite_values_are_left_out_and_counted():
    fig = per_sample_errors({"diverged": [np.nan, np.inf, 1.0, 3.0], "gone": [np.nan]})
    a, b = fig.axes[0].get_lines()
    assert a.get_ydata().tolist() == [3.0, 1.0]
    assert a.get_label() == "diverged: MAE 2, max 3; 2 non-finite left out"
    assert len(b.get_ydata()) == 0 and b.get_label() == "gone: no finite values; 1 non-finite left out"


def test_long_or_many_labels_are_rotated():
    fig = per_sample_errors({"binary_cross_entropy": [1.0], "b": [2.0]})
    assert fig.axes[1].get_xticklabels()[0].get_rotation() == 30
    fig = per_sample_errors({"a": [1.0], "b": [2.0]})
    assert fig.axes[1].get_xticklabels()[0].get_rotation() == 0


def test_title_and_saving(tmp_path):
    fig = per_sample_errors(runs(), title="linear: validation errors", save=tmp_path / "e.png")
    assert fig._suptitle.get_text() == "linear: validation errors"
    assert (tmp_path / "e.png").read_bytes()[:8] == PNG_MAGIC
    per_sample_errors(runs(), save=str(tmp_path / "e.svg"))
    head = (tmp_path / "e.svg").read_text()[:100].lstrip()
    assert head.startswith("<?xml") or head.startswith("<svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.png", "e.svg"]  # no temporary files left


@pytest.mark.parametrize("errors, exc, needle", [
    ([1.0, 2.0], TypeError, "must be a mapping"),
    ({}, ValueError, "errors is empty"),
    ({"a": []}, ValueError, "errors of 'a' are empty"),
    ({"a": np.ones((3, 2))}, ValueError, r"errors of 'a' must be 1-D .*\(3, 2\)"),
    ({"a": 1.5}, ValueError, r"must be 1-D .*\(\)"),
    ({"a": ["x", "y"]}, TypeError, "errors of 'a' must be a 1-D array of numbers"),
    ({"a": [True, False]}, TypeError, "dtype bool"),
    ({"a": [1.0], "b": object()}, TypeError, "errors of 'b'"),
])
def test_bad_input(errors, exc, needle):
    with pytest.raises(exc, match=needle):
        per_sample_errors(errors)


def test_bad_save_is_refused_before_drawing(tmp_path):
    with pytest.raises(ValueError, match="PNG or SVG"):
        per_sample_errors(runs(), save=tmp_path / "e.pdf")
    with pytest.raises(ValueError, match="does not exist"):
        per_sample_errors(runs(), save=tmp_path / "missing" / "e.png")
    with pytest.raises(TypeError, match="save must be None or a path"):
        per_sample_errors(runs(), save=3)
    # the save path is checked first, even when the errors are bad too
    with pytest.raises(ValueError, match="PNG or SVG"):
        per_sample_errors({}, save=tmp_path / "e.txt")
    assert not any(tmp_path.iterdir())
