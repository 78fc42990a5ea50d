"""``losslab explain``: step-by-step explanations computed by the engine."""
from __future__ import annotations

import click

from ._base import CONTEXT, cli


@cli.group(context_settings=CONTEXT)
def explain() -> None:
    """Step-by-step explanations computed by the engine."""


@explain.command(context_settings=CONTEXT)
@click.option("--network", metavar="FILE|seed",
              help="A JSON problem file (x, y, loss, lr, layers; see docs/explain.md) or 'seed'.")
@click.option("--compare", "compare_with", metavar="FILE|seed",
              help="A learner's hand-worked values (JSON or 'name = value' lines) to check, or 'seed' "
                   "for the seed's own numbers. Exit status 1 when a step is wrong.")
@click.option("--weights", multiple=True, metavar="ROWS",
              help="One layer's weights, rows separated by ';' (e.g. '0.2,0.4;0.3,0.1'); repeat per layer.")
@click.option("--biases", multiple=True, metavar="VALUES", help="One layer's biases (e.g. '0.1,0.2'); repeat per layer.")
@click.option("--activations", multiple=True, metavar="NAME",
              help="Activation per layer: sigmoid, tanh, relu, leaky_relu, softplus, identity; repeat per layer.")
@click.option("--x", "x", metavar="VALUES", help="The input sample, e.g. '1,0'.")
@click.option("--y", "y", metavar="VALUES", help="The target, e.g. '1'.")
@click.option("--loss", type=click.Choice(["bce", "mse"], case_sensitive=False), help="Loss (default: bce).")
@click.option("--lr", type=float, help="Learning rate η of the SGD step (default 0.1).")
@click.option("--precision", type=click.IntRange(0, 12), default=4, show_default=True, help="Decimals shown.")
@click.option("--json", "as_json", is_flag=True, help="Print the trace (and comparison) as JSON.")
def backprop(network, compare_with, weights, biases, activations, x, y, loss, lr, precision, as_json) -> None:
    """One forward pass, loss, backward pass and SGD update, every number from the engine's graph.

    With no options: the worked 2-2-1 example of seed 003. Each gradient is shown with the
    chain-rule product behind it. With --compare, the learner's values are checked at the
    learner's own precision and the first wrong step is named, with why.
    """
    from ..explain import explain_backprop

    try:
        result = explain_backprop(
            network, x=x, y=y, loss=loss, lr=lr, weights=list(weights) or None,
            biases=list(biases) or None, activations=list(activations) or None,
            compare_with=compare_with, precision=precision, as_json=as_json,
        )
    except (ValueError, TypeError, OSError) as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(result.text)
    if not result.ok:
        raise SystemExit(1)
