"""``losslab demo``: the seed's worked example, then training on real data."""
from __future__ import annotations

import click

from ._base import cli


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
    from ..demo import DEMO_FEATURES, train_seed_network
    from ..explain import explain_backprop

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
