"""The ``losslab`` group that every command module adds itself to."""
from __future__ import annotations

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="losslab", prog_name="losslab")
def cli() -> None:
    """losslab: differentiable losses, backpropagation and gradient descent, usable and visible."""
