"""``POST /api/check``: the differentiability analyser on an expression the user wrote.

The expression goes through :func:`losslab.analysis.parse` (a whitelisted grammar; nothing is
evaluated as Python); a rejection is answered with 422 and the parser's message, which points at
the offending token. The answer is the analyser's report (``Report.as_dict()``), the CLI's text
report, and the function with its engine gradient on a grid for the chart.
"""
from __future__ import annotations

import numpy as np

from ._common import ENGINE_LOCK, ApiError, check_keys, field, integer, interval, number, string

__all__ = ["check", "DOMAIN_BOUND", "PLOT_POINTS"]

DOMAIN_BOUND = 1e4
#: grid points of the analysis (the CLI's default) and of the plot
ANALYSIS_POINTS = (5, 4001)
PLOT_POINTS = 801


def _parse(text: str):
    from ...analysis.expr import MAX_LENGTH, ExprError, parse

    if len(text) > MAX_LENGTH:
        raise ApiError(f"expression: {len(text)} characters, more than the limit of {MAX_LENGTH}", "expression", 422)
    try:
        return parse(text)
    except ExprError as e:
        raise ApiError(str(e), "expression", 422) from None


def check(body: dict) -> dict:
    """The analyser's report on ``expression`` over ``domain`` at ``target``, with a plot."""
    from ...analysis.differentiability import differentiability, report_curve
    from ...analysis.expr import MAX_LENGTH

    check_keys(body, ("expression", "domain", "target", "variable", "points"))
    text = string(field(body, "expression"), "expression", max_len=10 * MAX_LENGTH)
    expr = _parse(text)
    if not expr.variables:
        raise ApiError(f"expression: {text!r} has no variable to vary (a constant); write it in pred, target, "
                       "x, …", "expression", 422)
    domain = interval(field(body, "domain", [-5.0, 5.0]), "domain", DOMAIN_BOUND)
    target = field(body, "target", None)
    if target is not None:
        target = number(target, "target", -DOMAIN_BOUND, DOMAIN_BOUND)
    variable = field(body, "variable", None)
    if variable is not None:
        variable = string(variable, "variable", 40)
        if variable not in expr.variables:
            raise ApiError(f"variable: {variable!r} does not occur in the expression; its variables are "
                           f"{', '.join(expr.variables) or 'none'}", "variable")
    n = integer(field(body, "points", 2001), "points", *ANALYSIS_POINTS)
    with ENGINE_LOCK, np.errstate(all="ignore"):
        try:
            rep = differentiability(expr, domain=domain, target=target, n=n, variable=variable)
            xs, v, g = report_curve(expr, rep, PLOT_POINTS)
        except ValueError as e:  # e.g. no variable to vary, or two candidates
            raise ApiError(str(e).splitlines()[0], "expression", 422) from None
    out = rep.as_dict()
    out.update(plot={"x": xs, "f": v, "df": g}, text=rep.text, variables=list(expr.variables), functions=list(expr.functions))
    return out
