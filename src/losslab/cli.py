"""The ``losslab`` command (built on click; every command has ``--help``).

Commands:
    losslab demo                       explain one backprop step of the seed's network, then train it
    losslab explain backprop [...]     the step-by-step explainer, optionally checking a learner's values
"""
from __future__ import annotations

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="losslab", prog_name="losslab")
def cli() -> None:
    """losslab: differentiable losses, backpropagation and gradient descent, usable and visible."""


# ------------------------------------------------------------------------------------ demo
@cli.command()
@click.option("--epochs", type=click.IntRange(min=1), default=20, show_default=True,
              help="Passes over the training data.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=0.5, show_default=True,
              help="SGD learning rate η.")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True,
              help="Samples per SGD step (1: stochastic GD; 426, the training-set size: batch GD).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds the split and shuffling.")
@click.option("--no-explain", is_flag=True, help="Skip the backprop explanation; only train.")
def demo(epochs: int, lr: float, batch_size: int, seed: int, no_explain: bool) -> None:
    """Explain one backprop step of the seed's 2-2-1 network, then train it on real data.

    Part 1 prints the worked example of seed 003 (x = [1, 0], y = 1, sigmoid, BCE, η = 0.1):
    every forward value, every δ, every gradient with its chain-rule product, the updated weights.
    Part 2 trains the same network, from the same initial weights, with mini-batch SGD on two
    standardized features of scikit-learn's bundled breast-cancer data, printing the loss falling.
    """
    from .demo import DEMO_FEATURES, train_seed_network
    from .explain import explain_backprop

    if not no_explain:
        click.echo(explain_backprop().text)
        click.echo()
    click.echo(f"Training the same 2-2-1 network on breast-cancer data ({', '.join(DEMO_FEATURES)}; "
               f"target: benign), SGD η = {lr}, batch {batch_size}, {epochs} epochs")
    click.echo(f"{'epoch':>5}  {'train loss':>10}  {'val loss':>9}  {'val acc':>7}")

    def show(r):
        click.echo(f"{r.epoch:5d}  {r.train_loss:10.4f}  {r.val_loss:9.4f}  {r.val_accuracy:7.1%}")

    history = train_seed_network(epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, on_epoch=show)
    first, last = history[0], history[-1]
    click.echo(f"loss {first.train_loss:.4f} → {last.train_loss:.4f}; "
               f"validation accuracy {last.val_accuracy:.1%}")


# --------------------------------------------------------------------------------- explain
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
    from .explain import explain_backprop

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


def main(argv=None) -> int:
    """Entry point of the ``losslab`` console script."""
    return cli.main(args=argv, prog_name="losslab")


if __name__ == "__main__":  # python -m losslab.cli
    main()
