"""Check a learner's hand-worked backprop numbers against the engine, step by step.

Each value is judged at the precision the learner wrote it (``0.748`` has 3 decimals, so it
matches any engine value that rounds to it; one unit of slack in the last digit is accepted and
reported). The first wrong step (in dependency order) is named with the correct formula; each later
wrong step is recomputed by the engine *from the learner's own earlier values* and called
``carried`` when it follows from them (the error came from upstream) or ``new slip`` when it
doesn't. A value that only differs because the learner rounded earlier values is ``rounding``.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from .trace import BackpropTrace, Step, _fixed, _short, name_key

__all__ = [
    "LearnerValue", "parse_learner_values", "load_learner_values", "seed_learner_values",
    "compare", "Comparison", "StepCheck", "STATUSES",
]

#: Outcomes of one check, best first. ``match`` and ``rounding`` are not mistakes.
STATUSES = ("match", "rounding", "carried", "new slip")

_NUMBER = re.compile(r"^[+-]?(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$")
_TINY = 1e-12


class LearnerValue(float):
    """A float that remembers how it was written: ``text`` and ``decimals`` (digits after the
    point, minus the exponent: ``"0.748"`` -> 3, ``"1.5e-3"`` -> 4, ``"0"`` -> 0).

    Example:
        >>> v = LearnerValue("-0.030"); float(v), v.decimals
        (-0.03, 3)
    """

    text: str
    decimals: int

    def __new__(cls, value: Any):
        if isinstance(value, LearnerValue):
            return value
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got {value!r}")
        if isinstance(value, (int, float)):
            if not math.isfinite(value):
                raise ValueError(f"expected a finite number, got {value!r}")
            text = repr(value) if isinstance(value, float) else str(value)
        elif isinstance(value, str):
            text = value.strip().replace("\u2212", "-").replace("\u2013", "-")
        else:
            raise ValueError(f"expected a number, got {type(value).__name__} {value!r}")
        m = _NUMBER.match(text)
        if not m:
            raise ValueError(f"expected a number like 0.748 or -1.5e-3, got {value!r}")
        frac = m.group(2) if m.group(1) is not None else m.group(3)
        exp = int(m.group(4)) if m.group(4) else 0
        self = super().__new__(cls, float(text))
        self.text = text
        self.decimals = len(frac or "") - exp
        return self

    @property
    def half_unit(self) -> float:
        """Half a unit of the last written digit: the rounding uncertainty of the value."""
        return 0.5 * 10.0 ** (-self.decimals)

    @property
    def unit(self) -> float:
        return 10.0 ** (-self.decimals)

    def __repr__(self) -> str:
        return f"LearnerValue({self.text!r})"


# -- parsing -----------------------------------------------------------------------------------
_SEP = re.compile(r"\s*(?:≈|~=|:=|=|:|~)\s*")
# split "w11 = 0.2, w21 = 0.4" and "a = 1; b = 2" into assignments (a comma only when a name
# and a separator follow, so that it never splits a number)
_SPLIT = re.compile(r";|,(?=\s*(?:[^\W\d_]|∂)[^\s,=:≈~]*\s*(?:≈|~=|:=|=|:|~))")


def parse_learner_values(text: str, *, source: str = "<text>") -> dict[str, LearnerValue]:
    """Parse a learner's numbers: a JSON object ``{"z3": 1.086, …}`` or lines ``name = value``.

    Line format: ``#`` starts a comment; blank lines are skipped; the separator may be ``=``,
    ``:``, ``≈`` or ``~``; a line may chain the working, ``z3 = (0.7)(0.574) + … = 1.086``
    (the first part is the name, the last the value); several assignments may share a line,
    separated by ``;`` or ``,`` (``w11 = 0.2, w21 = 0.4``). Names may be written in ASCII or
    Unicode (``yhat``/``ŷ``, ``dL/dw13``/``∂L/∂w13``, ``delta3``/``δ3``, ``w13_new``/``w13'``);
    they are matched to steps by :func:`compare`.

    Returns:
        ``{name as written: LearnerValue}`` in file order.

    Raises:
        ValueError: naming the line (or JSON key) and what was wrong.
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected str, got {type(text).__name__}")
    if text.lstrip().startswith("{"):
        return _parse_json(text, source)
    out: dict[str, LearnerValue] = {}
    seen: dict[str, tuple[str, int]] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        for part in _SPLIT.split(line):
            part = part.strip()
            if not part:
                continue
            pieces = _SEP.split(part)
            if len(pieces) < 2 or not pieces[0].strip():
                raise ValueError(
                    f"{source}, line {lineno}: expected 'name = value', got {raw.strip()!r}"
                )
            name, value = pieces[0].strip(), pieces[-1].strip()
            try:
                lv = LearnerValue(value)
            except ValueError:
                raise ValueError(
                    f"{source}, line {lineno}: the value of {name!r} is {value!r}, which is not a "
                    "number (write e.g. 0.748 or -1.5e-3)"
                ) from None
            key = name_key(name)
            if key in seen:
                first, first_line = seen[key]
                raise ValueError(
                    f"{source}, line {lineno}: {name!r} was already given on line {first_line} "
                    f"(as {first!r})"
                )
            seen[key] = (name, lineno)
            out[name] = lv
    if not out:
        raise ValueError(f"{source}: no 'name = value' lines found")
    return out


def _parse_json(text: str, source: str) -> dict[str, LearnerValue]:
    def pairs(items):
        d: dict[str, Any] = {}
        for k, v in items:
            if k in d:
                raise ValueError(f"{source}: key {k!r} appears twice")
            d[k] = v
        return d

    def bad_constant(c):
        raise ValueError(f"{source}: {c} is not allowed; write finite numbers")

    try:
        data = json.loads(text, parse_float=str, parse_int=str, parse_constant=bad_constant,
                          object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{source}, line {exc.lineno}: invalid JSON (column {exc.colno}): {exc.msg}"
        ) from None
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a JSON object of name: number pairs")
    out: dict[str, LearnerValue] = {}
    seen: dict[str, str] = {}
    for name, value in data.items():
        if isinstance(value, (dict, list)) or value is None or isinstance(value, bool):
            raise ValueError(f"{source}: the value of {name!r} must be a number, got {json.dumps(value)}")
        try:
            lv = LearnerValue(value)
        except ValueError:
            raise ValueError(f"{source}: the value of {name!r} is {value!r}, which is not a number") from None
        key = name_key(name)
        if key in seen:
            raise ValueError(f"{source}: {name!r} and {seen[key]!r} name the same value")
        seen[key] = name
        out[name] = lv
    if not out:
        raise ValueError(f"{source}: the JSON object is empty")
    return out


def load_learner_values(path: str | Path) -> dict[str, LearnerValue]:
    """Read a learner's file (format: :func:`parse_learner_values`); ``"seed"`` reads the
    bundled seed numbers (``losslab/explain/seed_worked_example.txt``)."""
    if str(path) == "seed":
        return seed_learner_values()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ValueError(f"learner file {str(p)!r}: cannot be read ({exc.strerror})") from None
    return parse_learner_values(text, source=str(p))


def seed_learner_values() -> dict[str, LearnerValue]:
    """The hand-worked numbers of seed 003, section 10, as written there (z3 = 1.086 is a slip)."""
    name = "seed_worked_example.txt"
    text = resources.files("losslab.explain").joinpath(name).read_text(encoding="utf-8")
    return parse_learner_values(text, source=name)


# -- comparing ---------------------------------------------------------------------------------
@dataclass
class StepCheck:
    """The verdict on one value the learner wrote.

    Attributes:
        name: the step's canonical name; ``written_as`` the learner's spelling.
        learner, engine: the two values.
        status: ``match`` (the engine's value rounds to the learner's), ``rounding`` (differs,
            but follows from the learner's correct, rounded earlier values), ``carried`` (wrong,
            but follows from an earlier wrong value of theirs) or ``new slip``.
        first: True for the first wrong step.
        slack: True when it was accepted only with one unit of slack in the last digit.
        from_yours: the step recomputed by the engine from the learner's own earlier values.
        origins: the learner's wrong steps a carried error comes from.
        message: one sentence for the report.
        own: the step's formula evaluated on the learner's own earlier values.
    """

    name: str
    written_as: str
    learner: LearnerValue
    engine: float
    status: str
    first: bool = False
    slack: bool = False
    from_yours: float | None = None
    origins: tuple[str, ...] = ()
    message: str = ""
    own: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("match", "rounding")

    def to_dict(self) -> dict:
        return {
            "name": self.name, "written_as": self.written_as, "learner": self.learner.text,
            "learner_value": float(self.learner), "decimals": self.learner.decimals,
            "engine": self.engine, "status": self.status, "first": self.first, "slack": self.slack,
            "from_yours": self.from_yours, "origins": list(self.origins), "message": self.message,
            "from_your_values": self.own,
        }


@dataclass
class Comparison:
    """Result of :func:`compare`: one :class:`StepCheck` per value written, in step order."""

    trace: BackpropTrace
    checks: list[StepCheck]
    unknown: list[str] = field(default_factory=list)
    precision: int = 4

    @property
    def first_wrong(self) -> StepCheck | None:
        return next((c for c in self.checks if c.first), None)

    @property
    def carried(self) -> list[StepCheck]:
        return [c for c in self.checks if c.status == "carried"]

    @property
    def new_slips(self) -> list[StepCheck]:
        """Wrong steps not explained by earlier values, the first wrong step included."""
        return [c for c in self.checks if c.status == "new slip"]

    @property
    def ok(self) -> bool:
        """True when every value written is right at its precision (rounding allowed)."""
        return all(c.ok for c in self.checks)

    def __getitem__(self, name: str) -> StepCheck:
        step = self.trace.resolve(name)
        for c in self.checks:
            if step is not None and c.name == step.name:
                return c
        raise KeyError(f"the learner did not write {name!r}")

    def summary(self) -> list[str]:
        lines = []
        n_ok = sum(c.ok for c in self.checks)
        lines.append(f"{n_ok} of {len(self.checks)} values right at the precision you wrote them.")
        first = self.first_wrong
        if first is None:
            if self.checks and not self.carried:
                lines.append("No wrong step found.")
        else:
            lines.append("First wrong step -- " + first.message)
            by_origin: dict[str, list[str]] = {}
            for c in self.carried:
                for o in c.origins:
                    by_origin.setdefault(o, []).append(c.name)
            for o, names in by_origin.items():
                lines.append(
                    f"Your later {', '.join(names)} follow{'s' if len(names) == 1 else ''} from your "
                    f"{o} (carried), not new mistakes."
                )
            later = [c for c in self.new_slips if not c.first]
            for c in later:
                lines.append("New slip: " + c.message)
        rounding = [c for c in self.checks if c.status == "rounding"]
        for c in rounding:
            lines.append("Rounding: " + c.message)
        slack = [c for c in self.checks if c.slack]
        if slack:
            lines.append(
                "Accepted with one unit of slack in the last digit: "
                + "; ".join(
                    f"{c.name} = {c.learner.text} "
                    + (f"(engine: {_fixed(c.engine, max(self.precision, c.learner.decimals + 1))})"
                       if c.status == "match" else
                       f"(from your values: {_fixed(c.from_yours, max(self.precision, c.learner.decimals + 1))})")
                    for c in slack)
            )
        if self.unknown:
            lines.append(
                f"Not recognised (ignored): {', '.join(self.unknown)}; names look like "
                f"{', '.join(self.trace._examples())}"
            )
        return lines

    def render(self, precision: int | None = None) -> str:
        """Text report: a table of the values written, then the verdict."""
        p = self.precision if precision is None else precision
        label = {"match": "ok", "rounding": "rounding", "carried": "carried", "new slip": "WRONG"}
        rows = []
        for c in self.checks:
            status = label[c.status] + ("*" if c.slack else "")
            step = self.trace[c.name]
            engine = (_short(c.engine, max(p, 6)) if step.kind == "input"
                      else _fixed(c.engine, max(p, c.learner.decimals)))
            note = ""
            if c.first:
                note = "<- first wrong step"
            elif c.status == "new slip":
                note = "<- new slip"
            elif c.status == "carried":
                note = f"from your {', '.join(c.origins)}: {c.own}"
            rows.append((status, c.name, c.learner.text, engine, note))
        head = ("", "step", "yours", "engine", "")
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
        lines = [f"Your values vs the engine ({len(self.checks)} checked, each at the precision you wrote it)"]
        lines.append("  " + "  ".join(h.ljust(w) for h, w in zip(head[:4], widths)).rstrip())
        for r in rows:
            lines.append(("  " + "  ".join(v.ljust(w) for v, w in zip(r[:4], widths)) + "  " + r[4]).rstrip())
        if any(c.slack for c in self.checks):
            lines.append("  (* accepted with one unit of slack in the last digit)")
        lines.append("")
        lines.extend(self.summary())
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict:
        first = self.first_wrong
        return {
            "ok": self.ok,
            "first_wrong": None if first is None else first.name,
            "carried": [c.name for c in self.carried],
            "new_slips": [c.name for c in self.new_slips if not c.first],
            "unknown": list(self.unknown),
            "checks": [c.to_dict() for c in self.checks],
            "summary": self.summary(),
        }


def compare(trace: BackpropTrace, learner_values: Mapping[str, Any], *, precision: int = 4) -> Comparison:
    """Check a learner's values against ``trace``, step by step, at the learner's precision.

    A value written with ``d`` decimals matches when |learner − engine| ≤ ½·10^(−d) (the engine's
    value rounds to it), plus 10^(−d) of slack in the last digit, which is reported. For a wrong
    value the step is recomputed by the engine from the learner's *own* earlier values (their
    written numbers where they gave them, else recomputed from those): if their value agrees
    with that, within their precision plus the rounding carried in from their inputs (first-order,
    by ``ll.autograd.grad``), the error is ``carried`` from the earliest wrong step upstream;
    otherwise it is a ``new slip``. The first wrong step in step (dependency) order is flagged.

    Args:
        trace: from :func:`~losslab.explain.trace_backprop`.
        learner_values: ``{name: value}``; names as in the trace or any alias (``yhat``,
            ``delta3``, ``dL/dw13``, ``w13_new``…); values as floats, strings (``"0.748"``) or
            :class:`LearnerValue` (from :func:`load_learner_values`, keeping the decimals as
            written; a float's decimals are read from its ``repr``).
        precision: decimals used in the messages (at least the learner's own).

    Returns:
        :class:`Comparison`; ``.first_wrong``, ``.carried``, ``.new_slips``, ``.render()``.

    Example:
        >>> from losslab.explain import seed_problem, seed_learner_values, compare
        >>> cmp = compare(seed_problem().trace(), seed_learner_values())
        >>> cmp.first_wrong.name, cmp["yhat"].status
        ('z3', 'carried')
    """
    if not isinstance(learner_values, Mapping):
        raise TypeError(f"learner_values: expected a mapping name -> number, got {type(learner_values).__name__}")
    written: dict[str, tuple[str, LearnerValue]] = {}
    unknown: list[str] = []
    for raw_name, raw_value in learner_values.items():
        try:
            lv = LearnerValue(raw_value)
        except ValueError as exc:
            raise ValueError(f"learner_values[{raw_name!r}]: {exc}") from None
        step = trace.resolve(str(raw_name))
        if step is None:
            unknown.append(str(raw_name))
            continue
        if step.name in written:
            prev_name, prev = written[step.name]
            if float(prev) != float(lv):
                raise ValueError(
                    f"learner_values: {prev_name!r} = {prev.text} and {raw_name!r} = {lv.text} both "
                    f"name step {step.name!r} but disagree"
                )
            continue
        written[step.name] = (str(raw_name), lv)

    world: dict[str, float] = {}      # the learner's world: their values, or recomputed from them
    unc: dict[str, float] = {}        # rounding uncertainty of each world value
    origins: dict[str, frozenset] = {}
    checks: list[StepCheck] = []
    first_seen = False
    for step in trace.steps:
        dep_vals = [world[d] for d in step.deps]
        if step.fn is None:
            rec, rec_unc = step.value, 0.0
        else:
            try:
                rec, sens = step.recompute(dep_vals, with_sensitivity=True)
                rec_unc = sum(s * unc[d] for s, d in zip(sens, step.deps) if math.isfinite(s))
            except (ArithmeticError, ValueError, FloatingPointError):
                rec, rec_unc = float("nan"), 0.0
        dep_origins = frozenset().union(*(origins[d] for d in step.deps)) if step.deps else frozenset()
        if step.name not in written:
            world[step.name] = rec
            unc[step.name] = rec_unc
            origins[step.name] = dep_origins
            continue
        written_as, lv = written[step.name]
        half, unit = lv.half_unit, lv.unit
        tiny = _TINY * max(1.0, abs(step.value))
        d_engine = abs(float(lv) - step.value)
        slack = False
        from_yours = rec if step.fn is not None else None
        d_own = abs(float(lv) - rec) if (step.fn is not None and math.isfinite(rec)) else math.inf
        own_status = "carried" if dep_origins else "rounding"
        if d_engine <= half + tiny:
            status = "match"
        elif d_own <= half + rec_unc + tiny:
            status = own_status
        elif d_engine <= half + unit + tiny and step.kind != "input":  # given numbers are exact
            status, slack = "match", True
        elif d_own <= half + unit + rec_unc + tiny:
            status, slack = own_status, True
        else:
            status = "new slip"
        first = status == "new slip" and not first_seen
        first_seen = first_seen or first
        # What the learner carries on with: their number. Where it is right, the true value lies
        # between theirs and the engine's; where it is wrong, they may have kept more digits.
        world[step.name] = lv
        unc[step.name] = d_engine if status == "match" else half
        if status == "new slip":
            origins[step.name] = frozenset([step.name])
        elif status == "carried":
            origins[step.name] = dep_origins
        else:
            origins[step.name] = frozenset()
        check = StepCheck(
            name=step.name, written_as=written_as, learner=lv, engine=step.value, status=status,
            first=first, slack=slack, from_yours=from_yours,
            origins=tuple(sorted(dep_origins, key=_order(trace))) if status == "carried" else (),
        )
        check.message = _message(trace, step, check, world, precision)
        if step.fn is not None:
            check.own = trace.formula(step, max(precision, lv.decimals), values=world, result=rec, lhs=False)
        checks.append(check)
    return Comparison(trace, checks, unknown, precision)


def _order(trace: BackpropTrace):
    index = {s.name: k for k, s in enumerate(trace.steps)}
    return lambda name: index.get(name, 0)


def _message(trace: BackpropTrace, step: Step, c: StepCheck, world: Mapping[str, float],
             precision: int) -> str:
    p = max(precision, c.learner.decimals)
    yours = c.learner.text
    if c.status == "match":
        if c.slack:
            return (f"{step.name}: {yours} is one unit of the last digit away from the engine's "
                    f"{_fixed(step.value, p)}; accepted with 1-unit slack")
        return ""
    if step.fn is None:  # a given number
        return f"{step.name}: you have {yours} but the problem gives {trace.formula(step, p, lhs=False)}"
    correct = trace.formula(step, p, lhs=False)
    own = trace.formula(step, p, values=world, result=c.from_yours, lhs=False)
    d = c.learner.decimals
    own_differs = math.isfinite(c.from_yours) and _fixed(c.from_yours, d) != _fixed(step.value, d)
    if c.status == "new slip":
        text = f"{step.name}: you have {yours} but {correct}"
        if own_differs:
            text += f"; even from your own earlier values it would be {own}"
        return text
    if c.status == "carried":
        return (f"{step.name}: {yours} follows from your {', '.join(c.origins)}: {own}; "
                f"the correct value is {_fixed(step.value, p)}")
    return (f"{step.name}: {yours} differs from the engine's {_fixed(step.value, p)} only because "
            f"your earlier values are rounded ({own}); carry more decimals")
