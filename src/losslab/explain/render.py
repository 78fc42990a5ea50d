"""Terminal text for a :class:`~losslab.explain.trace.BackpropTrace`."""
from __future__ import annotations

from .trace import BackpropTrace, _short

__all__ = ["render"]

_SECTIONS = (
    ("input", "Given"),
    ("forward", "1. Forward pass"),
    ("loss", "2. Loss"),
    ("delta", "3. Backward pass (δj = ∂L/∂zj, output layer first)"),
    ("grad", "4. Gradients"),
    ("update", "5. Updated weights (SGD: w' = w - η·∂L/∂w)"),
)


def render(trace: BackpropTrace, precision: int = 4) -> str:
    """The trace as text for a terminal: given numbers, then one line per step with the formula,
    the numbers substituted and the result, in five sections (forward pass, loss, backward pass,
    gradients, updated weights).

    Args:
        trace: from :func:`~losslab.explain.trace_backprop`.
        precision: decimals shown for computed values (given numbers are printed as short as
            they are, up to this many decimals).

    Example:
        >>> from losslab.explain import seed_problem, render
        >>> print(render(seed_problem().trace()))  # doctest: +ELLIPSIS
        Backpropagation, one SGD step: 2-2-1 network ...
    """
    if not isinstance(precision, int) or isinstance(precision, bool) or not 0 <= precision <= 15:
        raise ValueError(f"precision: expected an int in [0, 15], got {precision!r}")
    lines = [f"Backpropagation, one SGD step: {trace.describe()}"]
    lines.append(f"(every number below was recorded from the losslab engine, {trace.dtype})")
    for kind, title in _SECTIONS:
        steps = trace.of_kind(kind)
        if not steps:
            continue
        lines.append("")
        lines.append(title)
        if kind == "input":
            lines.extend(_given_lines(trace, precision))
            continue
        for s in steps:
            lines.append("  " + trace.formula(s, precision))
            if s.note:
                lines.append("      (" + s.note + ")")
    return "\n".join(lines) + "\n"


def _given_lines(trace: BackpropTrace, precision: int) -> list[str]:
    """Inputs and target on one line, then each neuron's incoming weights and bias."""
    p = max(precision, 6)  # given numbers are shown as written, not rounded to the display
    given = trace.of_kind("input")
    sample = [s for s in given if s.neuron is None and s.name != "η"]
    out = ["  " + ", ".join(f"{s.symbol} = {_short(s.value, p)}" for s in sample)]
    by_neuron: dict[int, list] = {}
    for s in given:
        if s.neuron is not None:
            by_neuron.setdefault(s.neuron, []).append(s)
    for j, ss in by_neuron.items():
        out.append(f"  neuron {j}: " + ", ".join(f"{s.symbol} = {_short(s.value, p)}" for s in ss))
    out.append(f"  η = {_short(trace.lr, p)}")
    return out
