"""Plots (matplotlib, headless): training curves, loss profiles with their gradients, comparison
overlays and decision boundaries.

Every plotting function returns a ``matplotlib.figure.Figure`` made without pyplot (an Agg
canvas: works headless, needs no closing, shows in Jupyter) and takes ``save=None | path``
(``.png`` or ``.svg``). matplotlib is the ``plot`` extra (``pip install 'losslab[plot]'``) and is
imported only when a figure is made, so ``loss_profile_data`` works without it.

Example:
    >>> import losslab.viz as viz
    >>> fig = viz.training_curves({"train_loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7]})
    >>> fig.axes[0].get_title()
    'loss'
"""
from .boundary import decision_boundary
from .curves import compare_curves, history_arrays, training_curves
from .errors import per_sample_errors
from .losses import KINDS, Kink, LossProfile, loss_profile, loss_profile_data, supported_losses

__all__ = [
    "training_curves", "compare_curves", "history_arrays",
    "loss_profile", "loss_profile_data", "supported_losses", "LossProfile", "Kink", "KINDS",
    "decision_boundary", "per_sample_errors",
]
