"""``losslab losses``: the properties table of every registered loss, or one loss's card."""
from __future__ import annotations

import click

from ._base import CONTEXT, cli

_ROBUST = {"yes": True, "no": False, "partial": "partial", "bounded": "bounded"}


@cli.command(context_settings=CONTEXT)
@click.argument("name", required=False)
@click.option("--task", type=click.Choice(["regression", "binary", "multiclass", "multilabel", "distribution",
                                           "ranking", "segmentation", "sequence"]),
              help="Only losses for this task.")
@click.option("--convex/--non-convex", default=None, help="Only convex (or only non-convex) losses.")
@click.option("--smooth", "smoothness", type=click.Choice(["C0", "C1", "Cinf"], case_sensitive=False),
              help="Only losses of this smoothness class (C0: kinks, C1: continuous gradient, Cinf: smooth).")
@click.option("--robust", type=click.Choice(list(_ROBUST)),
              help="yes: bounded or linear growth; bounded; partial: linear growth; no: an outlier can dominate.")
@click.option("--input", "input_kind",
              type=click.Choice(["real", "logits", "probabilities", "log-probabilities", "scores", "embeddings",
                                 "log-rates", "rates", "distances"]),
              help="Only losses taking this kind of input.")
@click.option("--markdown", is_flag=True, help="Print Markdown instead of aligned text.")
def losses(name, task, convex, smoothness, robust, input_kind, markdown) -> None:
    """The properties of every loss, or the card of one (`losslab losses huber_loss`).

    The table lists each loss's task, input, paired output activation, convexity, smoothness,
    robustness to outliers, growth and PyTorch name, all read from the loss registry (whose
    declarations the test suite checks numerically). A card adds the formula, when to use the
    loss, its pitfalls, its equivalents in PyTorch/optax/Keras/scikit-learn and references.
    """
    from ..losses import LOSS_REGISTRY
    from ..losses.cards import loss_card, properties_table, render_table

    fmt = "markdown" if markdown else "text"
    if name is not None:
        if any(v is not None for v in (task, convex, smoothness, robust, input_kind)):
            raise click.UsageError("filters (--task, --convex, --smooth, --robust, --input) apply to the "
                                   "table; give either a loss NAME or filters, not both")
        key = name.strip().lower().replace("-", "_")
        # `losslab losses huber` finds huber_loss: try the name with the usual suffix
        if key not in LOSS_REGISTRY and f"{key}_loss" in LOSS_REGISTRY:
            key = f"{key}_loss"
        try:
            click.echo(loss_card(key, fmt))
        except KeyError as exc:
            raise click.ClickException(exc.args[0]) from None
        return
    rows = properties_table(task, convex=convex, smoothness=smoothness,
                            robust=_ROBUST[robust] if robust else None, input_kind=input_kind)
    click.echo(render_table(rows, fmt=fmt))
