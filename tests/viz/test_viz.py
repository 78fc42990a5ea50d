"""losslab.viz as a package: its public names, its docstring examples, and that matplotlib is
imported only when a figure is made."""
import doctest
import subprocess
import sys

import pytest

import losslab.viz as viz
from losslab.viz import _common, boundary, curves, losses

pytest.importorskip("matplotlib")

PUBLIC = ["training_curves", "compare_curves", "history_arrays", "loss_profile", "loss_profile_data",
          "supported_losses", "LossProfile", "Kink", "KINDS", "decision_boundary", "per_sample_errors"]


def test_public_names():
    assert sorted(viz.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(viz, name) is not None
    for fn in (viz.training_curves, viz.compare_curves, viz.loss_profile, viz.decision_boundary,
               viz.loss_profile_data):
        doc = fn.__doc__
        for section in ("Formula", "Args:", "Shape:", "Example:", "Note:"):
            assert section in doc, f"{fn.__name__} docstring lacks {section}"


@pytest.mark.parametrize("module", [viz, curves, losses, boundary, _common], ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module.__name__):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0
    if module is not _common:
        assert result.attempted > 0


def test_import_does_not_load_matplotlib():
    code = ("import sys, losslab.viz as v; v.loss_profile_data('mse_loss', num=5); "
            "v.supported_losses(); assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_figures_are_not_registered_with_pyplot(no_pyplot_figures):
    fig = viz.training_curves({"train_loss": [1.0, 0.5]})
    assert type(fig).__name__ == "Figure"
    assert type(fig.canvas).__name__ == "FigureCanvasAgg"
