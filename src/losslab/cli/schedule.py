"""``losslab schedule``: preview a learning-rate schedule without training."""
from __future__ import annotations

import click
import numpy as np

from ._base import CONTEXT, cli


def _schedule_epilog() -> str:
    from ..optim.schedules import REQUIRED, SCHEDULES

    lines = []
    for name, info in SCHEDULES.items():
        if info.cli:
            params = " ".join(f"--{p.replace('_', '-')}" + ("" if spec.default is REQUIRED else f"={spec.default}")
                              for p, spec in info.params.items())
            lines += [f"{name}: {info.summary}", f"    {params}"]
    return ("Schedules, with their parameters (those without a default are required):\n\n\b\n"
            + "\n".join(lines))


class _ScheduleCommand(click.Command):
    """Builds the epilog lazily so that ``losslab --help`` does not import the optimizers."""

    def format_epilog(self, ctx, formatter):
        self.epilog = _schedule_epilog()
        super().format_epilog(ctx, formatter)


@cli.command(cls=_ScheduleCommand, context_settings={**CONTEXT, "ignore_unknown_options": True})
@click.argument("name")
@click.option("--steps", type=click.IntRange(min=1), default=100, show_default=True,
              help="Number of steps to preview.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, writable=True),
              help="Write a PNG of the learning rate against the step (needs matplotlib: "
                   "pip install 'losslab[plot]').")
@click.option("--every", type=click.IntRange(min=1), default=None,
              help="Print every k-th step (default: about 20 rows).")
@click.option("--json", "as_json", is_flag=True, help="Print the learning rates as a JSON list.")
@click.argument("params", nargs=-1, type=click.UNPROCESSED)
def schedule(name, steps, plot_path, every, as_json, params) -> None:
    """Preview schedule NAME for --steps steps: a table of learning rates, or --plot out.png.

    The schedule's parameters are options: `losslab schedule cosine --lr 0.1 --total-steps 100`,
    `losslab schedule multistep --lr 0.1 --milestones 30,60,90 --steps 100`,
    `losslab schedule sgdr --lr 0.1 --T-0 10 --T-mult 2 --steps 150 --plot sgdr.png`.
    """
    from ..optim.schedules import schedule_from_cli

    try:
        sched = schedule_from_cli(name, _parse_params(params))
        lrs = sched.preview(steps)
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        import json
        click.echo(json.dumps([float(v) for v in lrs]))
    else:
        click.echo(f"{sched!r}: {steps} steps, lr from {lrs[0]:.6g} to {lrs[-1]:.6g} "
                   f"(max {lrs.max():.6g} at step {int(lrs.argmax())}, min {lrs.min():.6g} at step "
                   f"{int(lrs.argmin())})")
        k = every or max(1, steps // 20)
        click.echo(f"{'step':>6}  lr")
        for t in sorted(set(range(0, steps, k)) | {steps - 1}):
            click.echo(f"{t:6d}  {lrs[t]:.8g}")
    if plot_path:
        _plot(sched, lrs, plot_path)
        click.echo(f"wrote {plot_path}", err=as_json)


def _parse_params(tokens) -> dict:
    """``('--lr', '0.1', '--milestones=30,60')`` -> ``{'lr': '0.1', 'milestones': '30,60'}``."""
    params, i = {}, 0
    tokens = list(tokens)
    while i < len(tokens):
        tok = tokens[i]
        if not tok.startswith("--") or tok == "--":
            raise click.UsageError(f"unexpected argument {tok!r}: give schedule parameters as --name value")
        key, eq, value = tok[2:].partition("=")
        if not eq:
            if i + 1 >= len(tokens) or (tokens[i + 1].startswith("--")):
                raise click.UsageError(f"parameter --{key} needs a value (e.g. --{key} 0.1)")
            value, i = tokens[i + 1], i + 1
        params[key] = value
        i += 1
    return params


def _plot(sched, lrs: np.ndarray, path: str) -> None:
    try:
        import matplotlib
    except ImportError:
        raise click.ClickException("--plot needs matplotlib: pip install 'losslab[plot]'") from None
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=110)
    ax.plot(np.arange(len(lrs)), lrs, lw=1.6)
    ax.set(xlabel="step", ylabel="learning rate", title=repr(sched))
    ax.title.set_fontsize(8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    try:
        fig.savefig(path)
    except OSError as exc:
        raise click.ClickException(f"cannot write the plot to {path!r}: {exc}") from None
    finally:
        plt.close(fig)
