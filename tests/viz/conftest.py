"""Shared fixtures of the viz tests."""
import pytest


@pytest.fixture
def no_pyplot_figures():
    """Asserts the code under test registered no figure with pyplot (nothing for callers to close)."""
    pytest.importorskip("matplotlib")
    from matplotlib import _pylab_helpers

    before = _pylab_helpers.Gcf.get_num_fig_managers()
    yield
    assert _pylab_helpers.Gcf.get_num_fig_managers() == before
