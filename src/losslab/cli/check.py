"""``losslab check "EXPR"``: is this loss differentiable, where not, and what to use instead."""
from __future__ import annotations

import math

import click

from ._base import CONTEXT, cli


def _pair(text: str, what: str):
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 2:
        raise click.BadParameter(f"expected LO,HI (two numbers separated by a comma), got {text!r}",
                                 param_hint=what)
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise click.BadParameter(f"expected two numbers, got {text!r}", param_hint=what) from None
    return lo, hi


def plot_report(report, fn, path) -> None:
    """Draw the function and its engine gradient over the report's domain, kinks and jumps marked."""
    from ..viz._common import check_save, new_figure, save_figure
    from ..analysis.differentiability import report_curve

    check_save(path, "losslab check")
    xs, v, g = report_curve(fn, report)
    fig, axes = new_figure(2, 1, figsize=(6.4, 5.6), sharex=True)
    ax0, ax1 = axes[0][0], axes[1][0]
    ax0.plot(xs, v, color="C0", label=report.expression)
    ax1.plot(xs, g, color="C1", label="losslab gradient")
    for k in report.kinks:
        if math.isfinite(k.x):
            ax0.axvline(k.x, color="C3", ls=":", lw=1)
            ax1.axvline(k.x, color="C3", ls=":", lw=1)
            if math.isfinite(k.value):
                ax0.plot([k.x], [k.value], "o", color="C3")
            if math.isfinite(k.at):
                ax1.plot([k.x], [k.at], "o", color="C3")
    for d in report.discontinuities:
        ax0.axvline(d.x, color="C4", ls="--", lw=1)
        ax1.axvline(d.x, color="C4", ls="--", lw=1)
    for a, b in report.flat_regions:
        ax1.axvspan(a, b, color="0.85", zorder=0)
    ax0.set_ylabel("loss")
    ax1.set_ylabel(f"d loss / d {report.variable}")
    ax1.set_xlabel(report.variable + (f" (target = {report.target:g})" if report.target is not None else ""))
    ax0.set_title(f"{report.expression}: {report.smoothness}"
                  + (f", kinks at {', '.join(f'{k.x:g}' for k in report.kinks)}" if report.kinks else ""))
    ax0.legend(loc="best", fontsize="small")
    ax1.legend(loc="best", fontsize="small")
    save_figure(fig, path, "losslab check")


@cli.command(context_settings=CONTEXT)
@click.argument("expression")
@click.option("--domain", default="-5,5", show_default=True, metavar="LO,HI",
              help="The interval of the variable analysed.")
@click.option("--target", type=float, default=None,
              help="The fixed target (default 0, or 1 for a margin loss that is constant at target 0).")
@click.option("--variable", default=None, help="The variable to vary (default: the one that is not a target).")
@click.option("-n", "--points", "n", type=click.IntRange(5, 200001), default=2001, show_default=True,
              help="Grid points.")
@click.option("--plot", "plot", type=click.Path(dir_okay=False), default=None,
              help="Draw the function and its derivative with the kinks marked (.png or .svg).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check(expression, domain, target, variable, n, plot, as_json) -> None:
    """Analyse a loss EXPRESSION for kinks, jumps, flat regions, smoothness and surrogates.

    EXPRESSION uses numbers, variables (pred, target, x, y, s, score, margin, error, …), + - * / **
    and the functions abs exp log log1p expm1 sqrt sin cos cosh tanh sigmoid relu softplus
    logcosh sign square maximum/max minimum/min clamp/clip — nothing is evaluated as Python.

    \b
    Examples:
      losslab check "abs(pred - target)"
      losslab check "maximum(0, 1 - target * score)" --target 1 --plot hinge.png
      losslab check "log(1 + exp(-y * s))" --domain -10,10
    """
    from ..analysis.differentiability import differentiability
    from ..analysis.expr import ExprError, parse

    try:
        e = parse(expression)
    except ExprError as exc:
        first = str(exc).splitlines()
        raise click.UsageError(first[0] + (f" (near {first[1].strip()!r})" if len(first) > 1 else "")) from None
    lo_hi = _pair(domain, "--domain")
    if plot is not None:
        from ..viz._common import check_save
        try:
            check_save(plot, "losslab check")
        except (TypeError, ValueError) as exc:
            raise click.BadParameter(str(exc), param_hint="--plot") from None
    try:
        rep = differentiability(e, domain=lo_hi, target=target, n=n, variable=variable)
    except ValueError as exc:
        raise click.UsageError(str(exc).splitlines()[0]) from None
    if as_json:
        import json
        click.echo(json.dumps(rep.as_dict(), default=str, indent=2))
    else:
        click.echo(rep.text)
    if plot is not None:
        plot_report(rep, e, plot)
        click.echo(f"plot written to {plot}")
