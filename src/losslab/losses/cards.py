"""Loss tables and loss cards, read from the registry: what ``losslab losses`` prints and what
``docs/losses.md`` holds.

* :func:`properties_table` — one :class:`PropertyRow` per registered loss (name, task, input kind,
  paired activation, convexity, smoothness, robustness/growth, PyTorch equivalent), filterable
  by task, convexity, smoothness, robustness and input kind; :func:`render_table` prints rows as
  an aligned text table or a Markdown table.
* :func:`loss_card` / :func:`render_card` — one loss's card: the formula (LaTeX source and a
  plain-text rendering), its properties, when to use it, pitfalls derived from the metadata, the
  equivalents in PyTorch/optax/Keras/scikit-learn and references.
* :func:`generate_docs` — the Markdown page ``docs/losses.md``; regenerate it with
  ``python -m losslab.losses.cards --write-docs docs/losses.md`` (a test fails when it is stale).

Example:
    >>> from losslab.losses.cards import properties_table, render_table, render_card
    >>> print(render_table(properties_table(task="binary")))          # doctest: +SKIP
    >>> print(render_card("mse_loss").splitlines()[0])
    mse_loss — regression loss (class MSELoss)

Note:
    Plain formatting only (no third-party table library): the text is deterministic, which the
    docs check relies on, and works in any terminal.
"""
from __future__ import annotations

import re
import textwrap
import unicodedata
from dataclasses import asdict, dataclass

from .registry import LOSS_REGISTRY, SMOOTHNESS, TASKS, LossInfo, get

__all__ = [
    "PropertyRow", "properties_table", "render_table", "loss_card", "render_card", "pitfalls",
    "latex_to_text", "generate_docs", "DOCS_COMMAND", "main",
]

DOCS_COMMAND = "python -m losslab.losses.cards --write-docs docs/losses.md"

_SMOOTH_WORDS = {"C0": "C0 (kinks)", "C1": "C1 (continuous gradient)", "Cinf": "Cinf (smooth)"}
_ROBUST_WORDS = {True: "yes", False: "no", "partial": "partial"}


# ============================================================================ table
@dataclass(frozen=True)
class PropertyRow:
    """One loss's key properties, as the table shows them."""

    name: str
    task: str
    input: str
    activation: str
    convex: str
    smoothness: str
    robust: str
    growth: str
    torch: str

    def as_dict(self) -> dict:
        return asdict(self)


#: Column headers of the table, in order (keys of :class:`PropertyRow`).
COLUMNS = {
    "name": "loss", "task": "task", "input": "input", "activation": "activation",
    "convex": "convex", "smoothness": "smooth", "robust": "robust", "growth": "growth",
    "torch": "PyTorch",
}


def _short_activation(text: str) -> str:
    """``"identity (sigmoid is applied inside the loss)"`` -> ``"identity"``; the first clause of
    a longer description."""
    return re.split(r" \(|; ", text, maxsplit=1)[0].strip()


def _kink_text(info: LossInfo) -> str:
    """Where the loss is not smooth, in words ("" when it is smooth everywhere); a leading
    "none (…)" of a C¹ loss becomes its parenthetical."""
    k = str(info.kinks).strip()
    if k.lower() == "none":
        return ""
    m = re.fullmatch(r"none\s*\((.*)\)", k, flags=re.I | re.S)
    return m.group(1).strip() if m else k


def _short_torch(path: str | None) -> str:
    if not path:
        return "-"
    return path.replace("torch.nn.functional.", "F.")


def _row(info: LossInfo) -> PropertyRow:
    return PropertyRow(
        name=info.name, task=info.task, input=info.input_kind,
        activation=_short_activation(info.output_activation),
        convex="yes" if info.convex else "no", smoothness=info.smoothness,
        robust=_ROBUST_WORDS[info.robust_to_outliers], growth=info.growth,
        torch=_short_torch(info.torch_equivalent),
    )


def _norm_smoothness(value: str) -> str:
    v = str(value).strip().replace("C∞", "Cinf").replace("c∞", "Cinf")
    for s in SMOOTHNESS:
        if v.lower() == s.lower():
            return s
    raise ValueError(f"properties_table: smoothness must be one of {', '.join(SMOOTHNESS)}, got {value!r}")


def _robust_ok(declared, wanted) -> bool:
    if wanted is True:
        return declared is True or declared == "partial"
    if wanted is False:
        return declared is False
    if wanted == "bounded":
        return declared is True
    return declared == wanted  # "partial"


def _sort_key(info: LossInfo):
    return (TASKS.index(info.task), info.name)


def properties_table(task: str | None = None, *, convex: bool | None = None,
                     smoothness: str | None = None, robust: bool | str | None = None,
                     input_kind: str | None = None) -> list:
    """Rows of the properties table for the registered losses, optionally filtered.

    Args:
        task: only losses for this task (one of the registry's TASKS).
        convex: True: only convex losses; False: only non-convex ones.
        smoothness: "C0", "C1" or "Cinf" ("C∞" accepted): only losses of that class.
        robust: True: robust to outliers (bounded, or linear growth with a bounded gradient:
            ``robust_to_outliers`` True or "partial"); "bounded": only bounded losses;
            "partial": only linear-growth ones; False: only non-robust ones.
        input_kind: only losses whose input is of this kind ("logits", "probabilities", …).

    Returns:
        A list of :class:`PropertyRow`, ordered by task then name.

    Example:
        >>> [r.name for r in properties_table(task="multiclass", smoothness="Cinf")][:1]
        ['cross_entropy']
    """
    if task is not None and task not in TASKS:
        raise ValueError(f"properties_table: task must be one of {', '.join(TASKS)}, got {task!r}")
    if smoothness is not None:
        smoothness = _norm_smoothness(smoothness)
    if robust not in (None, True, False, "partial", "bounded"):
        raise ValueError(f"properties_table: robust must be True, False, 'partial' or 'bounded', got {robust!r}")
    infos = sorted(LOSS_REGISTRY.values(), key=_sort_key)
    rows = []
    for info in infos:
        if task is not None and info.task != task:
            continue
        if convex is not None and info.convex != bool(convex):
            continue
        if smoothness is not None and info.smoothness != smoothness:
            continue
        if robust is not None and not _robust_ok(info.robust_to_outliers, robust):
            continue
        if input_kind is not None and info.input_kind != input_kind:
            continue
        rows.append(_row(info))
    return rows


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|")


def render_table(rows, *, fmt: str = "text", columns=None, legend: bool = True, max_width: int = 24) -> str:
    """Format rows of :func:`properties_table` as an aligned text table or a Markdown table.

    Args:
        rows: a list of :class:`PropertyRow` (or dicts with the same keys).
        fmt: ``"text"`` (aligned columns for a terminal) or ``"markdown"``.
        columns: the keys to show, default all of :data:`COLUMNS`.
        legend: append a line explaining the smoothness and robustness columns (text only).
        max_width: longer cells (other than the name and PyTorch columns) are cut to this width
            with "…" (text only; Markdown keeps them whole).

    Returns:
        The table as one string (no trailing newline); "no loss matches" when ``rows`` is empty.
    """
    if fmt not in ("text", "markdown"):
        raise ValueError(f"render_table: fmt must be 'text' or 'markdown', got {fmt!r}")
    cols = list(columns or COLUMNS)
    unknown = [c for c in cols if c not in COLUMNS]
    if unknown:
        raise ValueError(f"render_table: unknown columns {unknown}; choose from {list(COLUMNS)}")
    data = [r.as_dict() if isinstance(r, PropertyRow) else dict(r) for r in rows]
    if not data:
        return "no loss matches"
    header = [COLUMNS[c] for c in cols]
    body = [[str(d[c]) for c in cols] for d in data]
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in cols) + "|"]
        for r, d in zip(body, data):
            cells = [f"[`{v}`](#{_anchor(v)})" if c == "name" else _md_escape(v) for c, v in zip(cols, r)]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)
    body = [[v if len(v) <= max_width or c in ("name", "torch") else v[:max_width - 1] + "…"
             for c, v in zip(cols, r)] for r in body]
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(header)]

    def line(cells):
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    out = [line(header), line(["-" * w for w in widths])] + [line(r) for r in body]
    if legend:
        out.append("")
        out += textwrap.wrap(
            f"{len(body)} loss{'es' if len(body) != 1 else ''}. smooth: C0 = kinks (subgradients there), "
            "C1 = continuous gradient, Cinf = smooth. robust: yes = bounded loss, partial = linear "
            "growth (bounded gradient), no = an outlier can dominate. `losslab losses NAME` shows a card.",
            width=100)
    return "\n".join(out)


def _anchor(name: str) -> str:
    """GitHub's anchor of the heading ``### `name` ``."""
    return re.sub(r"[^\w\- ]", "", name.lower()).replace(" ", "-")


# ============================================================================ LaTeX -> text
_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "ell": "ℓ", "infty": "∞", "cdot": "·", "times": "×",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "in": "∈", "notin": "∉",
    "sum": "Σ", "prod": "Π", "partial": "∂", "nabla": "∇", "to": "→", "rightarrow": "→",
    "leftarrow": "←", "mapsto": "↦", "approx": "≈", "pm": "±", "mp": "∓", "mid": "|", "vert": "|",
    "lvert": "|", "rvert": "|", "lVert": "‖", "rVert": "‖", "Vert": "‖", "|": "‖", "langle": "⟨",
    "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "top": "ᵀ",
    "ldots": "…", "cdots": "⋯", "dots": "…", "odot": "⊙", "circ": "∘", "sim": "~", "propto": "∝",
    "forall": "∀", "exists": "∃", "cup": "∪", "cap": "∩", "subset": "⊂", "subseteq": "⊆",
    "log": "log", "ln": "ln", "exp": "exp", "max": "max", "min": "min", "sup": "sup", "inf": "inf",
    "arg": "arg", "lim": "lim", "tanh": "tanh", "cosh": "cosh", "sinh": "sinh", "cos": "cos",
    "sin": "sin", "det": "det", "operatorname*": "", "{": "{", "}": "}", "_": "_", "%": "%",
    "lbrace": "{", "rbrace": "}", "neg": "¬", "land": "∧", "lor": "∨", "emptyset": "∅",
    "setminus": "∖", "equiv": "≡", "coloneqq": "≔", "star": "⋆", "ast": "∗", "backslash": "∖",
}
_SPACES = {",": " ", ";": " ", ":": " ", "!": "", "quad": "  ", "qquad": "   ", " ": " "}
_DROP = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "displaystyle",
         "textstyle", "limits", "nolimits"}
_FONT = {"text", "mathrm", "operatorname", "mathbf", "boldsymbol", "mathit", "mathsf", "mathtt",
         "textrm", "textbf", "textit", "mathcal", "mathbb", "mathfrak", "bm", "rm"}
_ACCENT = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303",
           "bar": "\u0304", "overline": "\u0304", "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308"}
_VULGAR = {("1", "2"): "½", ("1", "3"): "⅓", ("2", "3"): "⅔", ("1", "4"): "¼", ("3", "4"): "¾",
           ("1", "8"): "⅛"}
_SUP = dict(zip("0123456789+-=()nikT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵏᵀ"))
_SUB = dict(zip("0123456789+-=()aeoxhklmnpstijruv", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ"))


def _group(s: str, i: int) -> tuple:
    """The argument at s[i:]: a {…} group (braces balanced), a \\command or one character."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        depth, j = 0, i
        while j < len(s):
            if s[j] == "\\":
                j += 2
                continue
            if s[j] == "{":
                depth += 1
            elif s[j] == "}":
                depth -= 1
                if depth == 0:
                    return s[i + 1:j], j + 1
            j += 1
        return s[i + 1:], len(s)
    if s[i] == "\\":
        m = re.match(r"\\([A-Za-z]+\*?|.)", s[i:])
        return m.group(0), i + m.end()
    return s[i], i + 1


def _atomic(t: str) -> bool:
    """No parentheses needed around t in a/b: no space or operator outside brackets."""
    depth = 0
    for c in t:
        if c in "([{⟨":
            depth += 1
        elif c in ")]}⟩":
            depth -= 1
        elif depth == 0 and (c.isspace() or c in "+-−=/·×,"):
            return False
    return bool(t)


def _script(t: str, table: dict, mark: str) -> str:
    if t and all(c in table for c in t):
        return "".join(table[c] for c in t)
    return mark + (t if len(t) == 1 else f"({t})")


def latex_to_text(latex: str) -> str:
    """A plain-text (Unicode) rendering of a LaTeX formula, for terminals.

    Greek letters and operators become symbols (\\sigma → σ, \\sum → Σ, \\le → ≤), \\frac{a}{b} →
    a/b (parenthesized where needed), \\sqrt{a} → √a, simple super/subscripts become Unicode
    (x^2 → x², y_i → yᵢ), \\text{…} keeps its text, sizing commands (\\left, \\big) vanish;
    an unknown command loses its backslash (\\foo{x} → foo(x)).

    Example:
        >>> latex_to_text(r"\\ell(x, y) = \\log\\sum_{c} e^{x_c} - x_y")
        'ℓ(x, y) = log Σ_c e^(x_c) − x_y'
    """
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", _convert(str(latex))).strip())


def _after_spacing(s: str, sizing: bool = False) -> str:
    """``s`` without leading spaces and spacing commands (and \\left/\\big… with ``sizing``)."""
    pattern = r"(\s|\\[,;:! ]" + (r"|\\(left|right|bigl|bigr|Bigl|Bigr|big|Big|bigg|Bigg)\b" if sizing else "") + ")*"
    return s[re.match(pattern, s).end():]


def _split_top(s: str, sep: str) -> list:
    """Split at ``sep`` outside braces."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(s):
        if s.startswith(sep, i) and depth == 0:
            parts.append(s[start:i])
            i += len(sep)
            start = i
            continue
        if s[i] == "\\" and not s.startswith(sep, i):
            i += 2
            continue
        depth += s[i] == "{"
        depth -= s[i] == "}"
        i += 1
    parts.append(s[start:])
    return parts


def _environment(s: str, i: int, env: str) -> tuple:
    """The body of ``\\begin{env}`` starting at s[i:], and the index after its ``\\end{env}``."""
    depth, j = 1, i
    begin, end = f"\\begin{{{env}}}", f"\\end{{{env}}}"
    while j < len(s):
        if s.startswith(begin, j):
            depth += 1
        elif s.startswith(end, j):
            depth -= 1
            if depth == 0:
                return s[i:j], j + len(end)
        j += 1
    return s[i:], len(s)


def _render_environment(env: str, body: str) -> str:
    """cases: "a if c; b otherwise"; matrices and alignments: rows joined by "; "."""
    rows = [r for r in _split_top(body, "\\\\") if r.strip()]
    out = []
    for row in rows:
        cells = [_convert(c).strip() for c in _split_top(row, "&")]
        if env.startswith("cases") and len(cells) >= 2:
            cond = " ".join(cells[1:]).strip()
            plain = cond.lower().strip(" ,")
            out.append(f"{cells[0]} {'otherwise' if plain in ('otherwise', 'else', '') else ('if ' + cond).replace('if if ', 'if ')}")
        else:
            out.append(" ".join(c for c in cells if c))
    return "; ".join(out)


def _convert(s: str) -> str:
    out, i = [], 0
    while i < len(s):
        ch = s[i]
        if ch == "\\":
            m = re.match(r"\\([A-Za-z]+\*?|.)", s[i:])
            name = m.group(1)
            i += m.end()
            if name in _SPACES:
                out.append(_SPACES[name])
            elif name == "\\":  # a line break
                out.append("; ")
            elif name == "begin":
                env, i = _group(s, i)
                body, i = _environment(s, i, env)
                out.append(_render_environment(env, body))
            elif name == "end":  # unmatched: drop it
                _env, i = _group(s, i)
            elif name in _DROP:
                # \left( keeps its delimiter, \left. none
                if i < len(s) and s[i] == ".":
                    i += 1
            elif name in ("frac", "dfrac", "tfrac"):
                a, i = _group(s, i)
                b, i = _group(s, i)
                a, b = _convert(a).strip(), _convert(b).strip()
                frac = _VULGAR.get((a, b))
                if frac is None:
                    a = a if _atomic(a) else f"({a})"
                    b = b if _atomic(b) else f"({b})"
                    frac = f"{a}/{b}"
                    rest = _after_spacing(s[i:])
                    if rest and rest[0] not in "=+-<>)]},;|&.":  # a product follows: (a/b)·…
                        frac = f"({frac})"
                out.append(frac)
            elif name == "sqrt":
                a, i = _group(s, i)
                a = _convert(a).strip()
                out.append("√" + (a if _atomic(a) else f"({a})"))
            elif name in _FONT:
                a, i = _group(s, i)
                a = _convert(a)
                out.append("𝟙" if name == "mathbb" and a.strip() == "1" else a)
            elif name in _ACCENT:
                a, i = _group(s, i)
                a = _convert(a).strip()
                out.append(a + _ACCENT[name] if len(a) == 1 else f"{a}")
            elif name in _SYMBOLS:
                sym = _SYMBOLS[name]
                if sym.isalpha() and len(sym) > 1:  # a word operator: log x, y log p, max(…), max_j
                    prev = "".join(out)[-1:]
                    if prev and (prev.isalnum() or prev in ")]|‖"):
                        sym = " " + sym
                    rest = _after_spacing(s[i:], sizing=True)
                    if rest and rest[0] not in "_^({[":
                        sym += " "
                out.append(sym)
            elif i < len(s) and s[i] == "{":  # an unknown macro with an argument: name(arg)
                a, i = _group(s, i)
                out.append(f"{name}({_convert(a).strip()})")
            else:
                out.append(name)
        elif ch in "^_":
            a, i = _group(s, i + 1)
            a = _convert(a).strip()
            out.append(_script(a, _SUP if ch == "^" else _SUB, ch))
        elif ch in "{}":
            i += 1
        elif ch == "-":
            out.append("−")
            i += 1
        elif ch == "~":
            out.append(" ")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# ============================================================================ cards
def _logit_alternatives(info: LossInfo) -> list:
    """Registered losses on logits that replace a probability loss (its ``_with_logits`` twin
    first, then the other logit losses of its task)."""
    twins = [n for n in (f"{info.name}_with_logits",) if n in LOSS_REGISTRY]
    same = [i.name for i in sorted(LOSS_REGISTRY.values(), key=_sort_key)
            if i.task == info.task and i.input_kind == "logits" and i.name not in twins]
    return (twins + same)[:2]


def _robust_alternatives(info: LossInfo) -> list:
    """Robust losses of the same task (not the same loss on another input scale, e.g. a
    ``_with_logits`` twin)."""
    base = info.name.removesuffix("_with_logits")
    rank = {"Cinf": 0, "C1": 1, "C0": 2}
    robust = [i for i in LOSS_REGISTRY.values()
              if i.task == info.task and i.name.removesuffix("_with_logits") != base
              and i.robust_to_outliers in (True, "partial")]
    # convex linear-growth losses first, smoothest first (log-cosh, Huber before L1)
    robust.sort(key=lambda i: (not i.convex, i.robust_to_outliers != "partial", rank[i.smoothness], i.name))
    return [i.name for i in robust[:3]]


def _names(names: list) -> str:
    return " or ".join(names)


def pitfalls(info: LossInfo) -> list:
    """Pitfalls of a loss, derived from its metadata (input kind, robustness, smoothness,
    convexity, growth, attainability of the minimum)."""
    out = []
    act = _short_activation(info.output_activation)
    kind = info.input_kind
    if kind == "probabilities":
        alt = _logit_alternatives(info)
        out.append(f"Takes probabilities: apply {act} to the model's output first, and prefer a loss on logits"
                   + (f" ({_names(alt)})" if alt else "")
                   + f": log p of a saturated {act} loses precision and its gradient vanishes.")
    elif kind == "log-probabilities":
        out.append("Takes log-probabilities: compute them with log_softmax, not log(softmax(x)), which "
                   "underflows to −inf; a loss on logits (e.g. cross_entropy) fuses both steps.")
    elif kind == "logits":
        inner = re.search(r"\((.*)\)", info.output_activation)
        how = inner.group(1) if inner else "the loss applies what it needs"
        out.append(f"Takes raw logits: do not apply sigmoid/softmax before it ({how}); applying it twice "
                   "flattens the gradient.")
    if info.robust_to_outliers is False:
        alt = _robust_alternatives(info)
        out.append(f"Not robust to outliers ({info.growth} growth): one large error dominates the sum and "
                   f"its gradient" + (f"; consider {_names(alt)}" if alt else "") + ".")
    elif info.robust_to_outliers is True:
        out.append("Bounded: gross errors get (almost) no gradient — outliers are ignored, but so are badly "
                   "wrong predictions early in training; warm-start with a convex loss if training stalls.")
    if info.task == "regression" and info.growth in ("quadratic", "super-quadratic"):
        out.append("Scale-sensitive: the loss is in squared units of the target; normalize targets.")
    kinks = _kink_text(info)
    if info.smoothness == "C0":
        out.append("Not differentiable at its kinks" + (f" ({kinks})" if kinks else "")
                   + ": autodiff returns a subgradient there, and the gradient does not shrink near the "
                   "optimum — decay the learning rate or use a smoothed variant.")
    elif info.smoothness == "C1":
        out.append("Only C1" + (f" ({kinks})" if kinks else "") + ": harmless for gradient descent, but "
                   "second-order methods (Newton, L-BFGS) may behave poorly where the curvature jumps.")
    if not info.convex:
        cond = info.convex_conditions.strip()
        out.append("Non-convex in its input" + (f" ({cond})" if cond else "")
                   + ": gradient descent can stop in local minima or on plateaus; initialization matters.")
    if info.growth == "exponential":
        out.append("Grows exponentially in the input: large inputs overflow; keep inputs moderate "
                   "(predict log-rates, clip).")
    if info.make_perfect is None and kind in ("logits", "real", "scores", "log-probabilities"):
        out.append("No finite minimizer: the loss approaches its infimum only as the outputs go to ±∞ "
                   "(e.g. on separable data), so weights can grow without bound; use weight decay, early "
                   "stopping or label smoothing.")
    hp = info.hyperparameters
    if "weight" in hp and "label_smoothing" in hp:
        out.append("weight and label_smoothing interact: the smoothing term is weighted per class as "
                   "well (PyTorch issue #104776); see the function's Note.")
    return out


def _equivalents(info: LossInfo) -> list:
    rows = []
    if info.torch_equivalent:
        rows.append(("PyTorch", f"{info.torch_equivalent} (class torch.nn.{info.module.__name__})"))
    else:
        rows.append(("PyTorch", "—"))
    labels = {"optax": "optax", "keras": "Keras", "sklearn": "scikit-learn"}
    for lib, label in labels.items():
        rows.append((label, info.equivalents.get(lib) or "—"))
    return rows


def _hyper(info: LossInfo) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in info.hyperparameters.items()) or "—"


def _properties(info: LossInfo) -> list:
    convex = "yes" if info.convex else "no"
    if info.convex_conditions:
        convex += f" — {info.convex_conditions}"
    smooth = _SMOOTH_WORDS[info.smoothness]
    if _kink_text(info):
        smooth += f" — {_kink_text(info)}"
    return [
        ("task", info.task),
        ("input", f"{info.input_kind} (paired output activation: {info.output_activation})"),
        ("target", info.target_kind),
        ("convex", convex),
        ("smoothness", smooth),
        ("robust to outliers", f"{_ROBUST_WORDS[info.robust_to_outliers]} (growth for large errors: {info.growth})"),
        ("range", info.value_range),
        ("domain", info.domain),
        ("hyperparameters", _hyper(info)),
    ]


def loss_card(name: str, fmt: str = "text", *, width: int = 100) -> str:
    """The card of one loss: formula, properties, when to use, pitfalls, equivalents, references.

    Args:
        name: a registered loss's name (a KeyError suggests close names when it is unknown).
        fmt: ``"text"`` for a terminal or ``"markdown"`` for the docs.
        width: the text card's line width (long values wrap; the LaTeX source does not).

    Example:
        >>> "Formula" in loss_card("mse_loss")
        True
    """
    info = get(name)
    if fmt == "markdown":
        return _card_markdown(info)
    if fmt != "text":
        raise ValueError(f"loss_card: fmt must be 'text' or 'markdown', got {fmt!r}")
    title = f"{info.name} — {info.task} loss (class {info.module.__name__})"
    out = [title, "=" * len(title), "Formula",
           f"  {latex_to_text(info.latex)}", f"  LaTeX: {info.latex}", "", "Properties"]
    out += _aligned(_properties(info), width)
    out += ["", "When to use"] + _wrap(info.summary, "  ", "  ", width)
    out += ["", "Pitfalls"]
    out += [line for p in pitfalls(info) for line in _wrap(p, "  - ", "    ", width)] or ["  —"]
    out += ["", "Equivalents"] + _aligned(_equivalents(info), width)
    out += ["", "References"] + [line for r in info.references for line in _wrap(r, "  - ", "    ", width)]
    return "\n".join(out)


def _wrap(text: str, first: str, rest: str, width: int) -> list:
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def _aligned(pairs: list, width: int) -> list:
    """"  key   value" lines, values wrapped under themselves."""
    w = max(len(k) for k, _ in pairs)
    return [line for k, v in pairs for line in _wrap(str(v), f"  {k.ljust(w)}  ", " " * (w + 4), width)]


def render_card(name: str, width: int = 100) -> str:
    """The text card of ``name`` (for ``losslab losses NAME``); KeyError with suggestions if unknown."""
    return loss_card(name, "text", width=width)


def _card_markdown(info: LossInfo) -> str:
    out = [f"### `{info.name}`", "", info.summary, "", f"$$\n{info.latex}\n$$", "",
           f"Plain text: `{latex_to_text(info.latex)}`", "", "| property | value |", "|---|---|",
           f"| class | `{info.module.__name__}` |"]
    out += [f"| {k} | {_md_escape(v)} |" for k, v in _properties(info)]
    out += ["", "**Pitfalls**", ""] + ([f"- {p}" for p in pitfalls(info)] or ["—"])
    out += ["", "**Equivalents**", ""] + [f"- {k}: {_md_code(v)}" for k, v in _equivalents(info)]
    out += ["", "**References**", ""] + [f"- {r}" for r in info.references]
    return "\n".join(out)


# ============================================================================ docs
def _md_code(v: str) -> str:
    """A bare dotted name in backticks; a name followed by a note: the name only."""
    if v == "—":
        return v
    head, sep, rest = v.partition(" ")
    return f"`{head}`" + (f" {rest}" if sep else "")


def generate_docs() -> str:
    """The Markdown of ``docs/losses.md``: the properties table and every loss's card, by task."""
    infos = sorted(LOSS_REGISTRY.values(), key=_sort_key)
    out = [
        "# Loss reference",
        "",
        f"<!-- Generated from the loss registry (losslab/losses/catalog); do not edit. Regenerate with: {DOCS_COMMAND} -->",
        "",
        f"Every loss in `losslab.losses` ({len(infos)} of them), generated from the registry that the tests, the "
        "CLI (`losslab losses`, `losslab losses NAME`) and the tools read. Convexity, smoothness, growth and the "
        "minimum at a perfect prediction are checked numerically for every entry "
        "(`losslab.losses.properties.verify_metadata`).",
        "",
        "Columns: **input** is what the loss takes (logits, probabilities, …); **activation** the model's last "
        "activation it pairs with; **convex** in the input (the logit for logit losses), target fixed; "
        "**smooth**: C0 = continuous with kinks (subgradients there), C1 = continuous gradient, Cinf = smooth; "
        "**robust**: yes = bounded loss, partial = linear growth (bounded gradient), no = an outlier can "
        "dominate; **growth** for large errors.",
        "",
        "## Properties",
        "",
        render_table([_row(i) for i in infos], fmt="markdown"),
    ]
    for task in TASKS:
        group = [i for i in infos if i.task == task]
        if not group:
            continue
        out += ["", f"## {task.capitalize()}"]
        for info in group:
            out += ["", _card_markdown(info)]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    """``python -m losslab.losses.cards``: print the table, a card, or write/check docs/losses.md."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m losslab.losses.cards", description=main.__doc__)
    parser.add_argument("name", nargs="?", help="print this loss's card")
    parser.add_argument("--write-docs", metavar="PATH", help="write the Markdown reference to PATH")
    parser.add_argument("--check-docs", metavar="PATH", help="exit 1 if PATH differs from the registry")
    parser.add_argument("--task", choices=TASKS)
    args = parser.parse_args(argv)
    if args.write_docs:
        path = Path(args.write_docs)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(generate_docs(), encoding="utf-8")
        tmp.replace(path)
        print(f"wrote {path} ({len(LOSS_REGISTRY)} losses)")
        return 0
    if args.check_docs:
        path = Path(args.check_docs)
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != generate_docs():
            print(f"{path} is out of date: run `{DOCS_COMMAND}`")
            return 1
        print(f"{path} is up to date")
        return 0
    if args.name:
        try:
            print(render_card(args.name))
        except KeyError as e:
            print(e.args[0])
            return 2
        return 0
    print(render_table(properties_table(args.task)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
