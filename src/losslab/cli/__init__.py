"""The ``losslab`` command (built on click; every command has ``--help``).

Commands:
    losslab demo                       explain one backprop step of the seed's network, then train it
    losslab explain backprop [...]     the step-by-step explainer, optionally checking a learner's values
    losslab losses [NAME] [filters]    the properties table of every loss, or one loss's card
    losslab schedule NAME [...]        preview a learning-rate schedule (table or --plot PNG)
    losslab train [...]                train a model on a bundled dataset or a CSV; history, model, plots
    losslab compare [...]              several losses / optimizers / batch sizes on the same data
    losslab advise DATA [--verify]     which loss, activation and optimizer suit this data, and why
    losslab check "EXPR" [--plot F]    is this loss differentiable? kinks, flat zones, smoothness, surrogates
    losslab serve [--port P] [--open]  the explorer page (needs the web extra)

One module per command group; each adds its commands to the ``cli`` group on import.
"""
from __future__ import annotations

from ._base import CONTEXT, cli
from . import advise, check, demo, explain, losses, schedule, serve, train  # noqa: F401,E402  (register the commands)

__all__ = ["cli", "main", "CONTEXT"]


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings in a terminal as one readable line each (the library's warnings explain
    themselves; the Python source line they were raised from means nothing to a CLI user)."""
    import sys

    print(f"warning: {message}", file=file or sys.stderr)


def main(argv=None) -> int:
    """Entry point of the ``losslab`` console script."""
    import warnings

    previous = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        return cli.main(args=argv, prog_name="losslab")
    finally:
        warnings.showwarning = previous
