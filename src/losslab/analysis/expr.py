"""A restricted expression language for losses: ``"abs(pred - target)"``, ``"maximum(0, 1 - y * s)"``.

The text is parsed with :func:`ast.parse` (``mode="eval"``) and the tree is walked with an
explicit whitelist into a small tree of our own (:class:`Num`, :class:`Var`, :class:`Unary`,
:class:`Bin`, :class:`Call`); that tree is then evaluated by :meth:`Expr.evaluate` on losslab
Tensors. Nothing of the user's text is ever given to ``eval``/``exec``/``compile``, and no
attribute, subscript, builtin or import can be reached: a construct outside the whitelist is a
:class:`ExprError` (a ValueError) whose message shows the offending token with a caret line.

Grammar (everything else is rejected)::

    expr   := number | name | -expr | +expr | expr (+|-|*|/|**) expr | (expr)
            | func(expr, ...[, keyword=expr])
    name   := one of the allowed variables (default :data:`DEFAULT_VARIABLES`) or ``pi``
    func   := one of :data:`FUNCTIONS` (``min``/``max`` of two arguments mean minimum/maximum;
              ``clip`` means ``clamp``)

Example:
    >>> import losslab as ll
    >>> from losslab.analysis.expr import parse
    >>> e = parse("abs(pred - target)")
    >>> e.variables
    ('pred', 'target')
    >>> e(pred=ll.tensor([1.0, -2.0], dtype=ll.float64), target=0.0).data.tolist()
    [1.0, 2.0]

Note:
    Limits: at most :data:`MAX_LENGTH` characters and :data:`MAX_DEPTH` levels of nesting.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

__all__ = ["parse", "Expr", "ExprError", "FUNCTIONS", "DEFAULT_VARIABLES", "TARGET_NAMES",
           "CONSTANTS", "NONSMOOTH", "unparse", "MAX_LENGTH", "MAX_DEPTH", "Num", "Var", "Unary", "Bin", "Call"]

MAX_LENGTH = 2000
MAX_DEPTH = 64
#: Variable names accepted by default.
DEFAULT_VARIABLES = frozenset({"pred", "prediction", "target", "x", "y", "t", "s", "m", "e", "z", "u", "p",
                               "error", "score", "margin", "label", "input", "yhat", "y_pred", "y_true"})
#: Names that denote the target (held fixed by the differentiability analyser).
TARGET_NAMES = frozenset({"target", "y", "t", "label", "y_true"})
#: Named constants.
CONSTANTS = {"pi": math.pi}


class ExprError(ValueError):
    """A rejected expression; ``.column`` is the 1-based column of the offending token (or None)."""

    def __init__(self, message: str, text: str = "", col: int | None = None, end: int | None = None):
        self.column = None if col is None else col + 1
        if col is not None and text and "\n" not in text:
            width = max(1, (end if end is not None and end > col else col + 1) - col)
            message = f"{message} at column {col + 1}\n  {text}\n  {' ' * col}{'^' * width}"
        super().__init__(message)


# ============================================================================ nodes
@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "+"
    operand: object


@dataclass(frozen=True)
class Bin:
    op: str  # "+", "-", "*", "/", "**"
    left: object
    right: object


@dataclass(frozen=True)
class Call:
    func: str  # canonical name (min -> minimum, clip -> clamp)
    args: tuple
    kwargs: tuple = ()  # ((name, node), ...)


def _ll():
    import losslab as ll
    return ll


def _clamp(x, min=None, max=None):
    ll = _ll()
    lo, hi = _const_or_tensor(min), _const_or_tensor(max)
    if (lo is None or isinstance(lo, float)) and (hi is None or isinstance(hi, float)):
        return ll.clamp(x, lo, hi)
    out = x
    if lo is not None:
        out = ll.maximum(out, lo)
    if hi is not None:
        out = ll.minimum(out, hi)
    return out


def _const_or_tensor(v):
    if v is None:
        return None
    if v.ndim == 0 and not v.requires_grad:
        return float(v.item())
    return v


def _softplus(x, beta=None):
    ll = _ll()
    b = 1.0 if beta is None else _const_or_tensor(beta)
    if not isinstance(b, float):
        raise ExprError("softplus: beta must be a constant (a number or an expression without variables)")
    if not b > 0:
        raise ExprError(f"softplus: beta must be > 0, got {b:g}")
    return ll.softplus(x, beta=b)


def _logcosh(x):
    # log cosh(x) = |x| + log1p(exp(-2|x|)) - log 2: no overflow of cosh for large |x|
    # (the standard identity, e.g. as in TensorFlow's keras.losses.log_cosh)
    ll = _ll()
    a = ll.abs(x)
    return a + ll.log1p(ll.exp(-2.0 * a)) - math.log(2.0)


def _cosh(x):
    ll = _ll()
    return (ll.exp(x) + ll.exp(-x)) * 0.5


def _fn1(name):
    return lambda x: getattr(_ll(), name)(x)


#: name -> (min positional args, max positional args, allowed keywords, implementation on Tensors).
FUNCTIONS: dict = {
    **{n: (1, 1, (), _fn1(n)) for n in ("abs", "exp", "log", "log1p", "expm1", "sqrt", "sin", "cos",
                                         "tanh", "sigmoid", "relu", "sign", "square")},
    "cosh": (1, 1, (), _cosh),
    "logcosh": (1, 1, (), _logcosh),
    "softplus": (1, 2, ("beta",), _softplus),
    "maximum": (2, 2, (), lambda a, b: _ll().maximum(a, b)),
    "minimum": (2, 2, (), lambda a, b: _ll().minimum(a, b)),
    "clamp": (1, 3, ("min", "max"), _clamp),
}
_ALIASES = {"max": "maximum", "min": "minimum", "clip": "clamp"}
#: Functions whose result is not differentiable everywhere (kinks or jumps).
NONSMOOTH = frozenset({"abs", "relu", "sign", "maximum", "minimum", "clamp"})

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNOPS = {ast.USub: "-", ast.UAdd: "+"}
_DESCRIBE = {
    ast.Attribute: "attribute access", ast.Subscript: "subscript", ast.Lambda: "lambda",
    ast.ListComp: "comprehension", ast.SetComp: "comprehension", ast.DictComp: "comprehension",
    ast.GeneratorExp: "generator expression", ast.Compare: "comparison", ast.BoolOp: "boolean operator",
    ast.IfExp: "conditional expression", ast.NamedExpr: "assignment expression", ast.JoinedStr: "f-string",
    ast.List: "list", ast.Tuple: "tuple", ast.Dict: "dict", ast.Set: "set", ast.Starred: "starred argument",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield", ast.Slice: "slice",
}


# ============================================================================ parsing
class _Builder:
    def __init__(self, text: str, variables: frozenset):
        self.text, self.variables = text, variables
        self.used: list = []
        self.funcs: list = []

    def fail(self, msg: str, node) -> ExprError:
        col = getattr(node, "col_offset", None)
        end = getattr(node, "end_col_offset", None)
        if getattr(node, "end_lineno", 1) != getattr(node, "lineno", 1):
            end = None
        return ExprError(f"expression: {msg}", self.text, col, end)

    def build(self, node, depth: int = 0):
        if depth > MAX_DEPTH:
            raise self.fail(f"nested more than {MAX_DEPTH} levels deep", node)
        if isinstance(node, ast.Constant):
            v = node.value
            if type(v) is int:
                try:
                    v = float(v)
                except OverflowError:
                    raise self.fail("number too large", node) from None
            if type(v) is not float:
                what = {str: "string", bytes: "bytes", bool: "boolean", complex: "complex number",
                        type(None): "None", type(...): "Ellipsis"}.get(type(v), type(v).__name__)
                raise self.fail(f"{what} literal not allowed (only real numbers)", node)
            return Num(v)
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return Num(CONSTANTS[node.id])
            if node.id in self.variables:
                if node.id not in self.used:
                    self.used.append(node.id)
                return Var(node.id)
            if node.id in FUNCTIONS or node.id in _ALIASES:
                raise self.fail(f"{node.id!r} is a function: call it, e.g. {node.id}(x)", node)
            raise self.fail(f"unknown name {node.id!r} (allowed variables: {', '.join(sorted(self.variables))}; "
                            f"constants: {', '.join(CONSTANTS)})", node)
        if isinstance(node, ast.UnaryOp):
            op = _UNOPS.get(type(node.op))
            if op is None:
                raise self.fail(f"operator {type(node.op).__name__} not allowed (only unary - and +)", node)
            return Unary(op, self.build(node.operand, depth + 1))
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise self.fail(f"operator {type(node.op).__name__} not allowed (only + - * / **)", node)
            return Bin(op, self.build(node.left, depth + 1), self.build(node.right, depth + 1))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise self.fail("only calls of whitelisted function names are allowed", node.func)
            name = _ALIASES.get(node.func.id, node.func.id)
            if name not in FUNCTIONS:
                raise self.fail(f"function {node.func.id!r} is not allowed (allowed: "
                                f"{', '.join(sorted(set(FUNCTIONS) | set(_ALIASES)))})", node.func)
            lo, hi, kws, _impl = FUNCTIONS[name]
            for a in node.args:
                if isinstance(a, ast.Starred):
                    raise self.fail("starred argument not allowed", a)
            names = set()
            for k in node.keywords:
                if k.arg is None:
                    raise self.fail("**keyword arguments not allowed", k.value)
                if k.arg not in kws:
                    raise self.fail(f"{node.func.id}() takes no keyword {k.arg!r}"
                                    + (f" (allowed: {', '.join(kws)})" if kws else ""), k)
                names.add(k.arg)
            n = len(node.args)
            if not lo <= n <= hi:
                want = str(lo) if lo == hi else f"{lo} to {hi}"
                raise self.fail(f"{node.func.id}() takes {want} positional argument(s), got {n}", node)
            # a keyword may not repeat a positional argument
            for k in node.keywords:
                if k.arg in kws and kws.index(k.arg) + 1 < n:
                    raise self.fail(f"{node.func.id}() got {k.arg!r} twice", k)
            if name not in self.funcs:
                self.funcs.append(name)
            args = tuple(self.build(a, depth + 1) for a in node.args)
            kwargs = tuple((k.arg, self.build(k.value, depth + 1)) for k in node.keywords)
            return Call(name, args, kwargs)
        what = _DESCRIBE.get(type(node), type(node).__name__)
        raise self.fail(f"{what} not allowed (only numbers, variables, + - * / **, and calls of "
                        f"whitelisted functions)", node)


@dataclass(frozen=True)
class Expr:
    """A parsed expression: call it with Tensors (or numbers) for its variables.

    Attributes:
        text: the source. root: the tree (:class:`Num`/:class:`Var`/:class:`Unary`/:class:`Bin`/
        :class:`Call`). variables: names used, in order of appearance. functions: canonical
        function names used.
    """

    text: str
    root: object
    variables: tuple
    functions: tuple

    def __call__(self, **values):
        return self.evaluate(values)

    def evaluate(self, values: dict, replace: dict | None = None):
        """Evaluate on ``values`` (name -> Tensor or number).

        ``replace`` maps a function name to another implementation (same arguments), used to
        substitute smooth surrogates for non-smooth functions.
        """
        missing = [v for v in self.variables if v not in values]
        if missing:
            raise ValueError(f"Expr({self.text!r}): no value for variable(s) {missing}; got {sorted(values)}")
        ll = _ll()
        env = {k: (v if isinstance(v, ll.Tensor) else ll.tensor(np.asarray(v, dtype=np.float64)))
               for k, v in values.items()}
        with np.errstate(all="ignore"):
            return _eval(self.root, env, replace or {})

    def nodes(self) -> Iterable:
        """Every node of the tree (depth first)."""
        stack = [self.root]
        while stack:
            n = stack.pop()
            yield n
            if isinstance(n, Unary):
                stack.append(n.operand)
            elif isinstance(n, Bin):
                stack += [n.left, n.right]
            elif isinstance(n, Call):
                stack += list(n.args) + [v for _k, v in n.kwargs]

    def __str__(self) -> str:
        return self.text


def _eval(node, env: dict, replace: dict):
    ll = _ll()
    if isinstance(node, Num):
        return ll.tensor(np.float64(node.value), dtype=ll.float64)
    if isinstance(node, Var):
        return env[node.name]
    if isinstance(node, Unary):
        v = _eval(node.operand, env, replace)
        return -v if node.op == "-" else v
    if isinstance(node, Bin):
        a, b = _eval(node.left, env, replace), _eval(node.right, env, replace)
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        if node.op == "/":
            return a / b
        if isinstance(node.right, Num):  # a constant exponent: no gradient w.r.t. it (no log of a < 0)
            return a ** float(node.right.value)
        return a ** b
    if isinstance(node, Call):
        args = [_eval(a, env, replace) for a in node.args]
        kwargs = {k: _eval(v, env, replace) for k, v in node.kwargs}
        impl: Callable = replace.get(node.func) or FUNCTIONS[node.func][3]
        return impl(*args, **kwargs)
    raise TypeError(f"not an expression node: {type(node).__name__}")  # pragma: no cover


_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}


def unparse(node) -> str:
    """The text of an expression tree (parseable again by :func:`parse`)."""
    def go(n, parent: int = 0, right: bool = False) -> str:
        if isinstance(n, Num):
            v = n.value
            txt = "pi" if v == math.pi else (repr(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v))
            return f"({txt})" if v < 0 else txt
        if isinstance(n, Var):
            return n.name
        if isinstance(n, Unary):
            txt = n.op + go(n.operand, 3)
            return f"({txt})" if parent >= 2 or right else txt
        if isinstance(n, Bin):
            p = _PREC[n.op]
            if n.op == "**":  # right-associative
                txt = f"{go(n.left, p + 1)}**{go(n.right, p, True)}"
            else:
                txt = f"{go(n.left, p)} {n.op} {go(n.right, p + 1, True)}"
            return f"({txt})" if p < parent else txt
        if isinstance(n, Call):
            parts = [go(a) for a in n.args] + [f"{k}={go(v)}" for k, v in n.kwargs]
            return f"{n.func}({', '.join(parts)})"
        raise TypeError(f"not an expression node: {type(n).__name__}")
    return go(node)


def parse(text: str, variables: Iterable[str] | None = None) -> Expr:
    """Parse a loss expression with the restricted grammar (nothing is evaluated as Python).

    Args:
        text: the expression, e.g. ``"log(1 + exp(-y * s))"``; at most :data:`MAX_LENGTH` characters.
        variables: allowed variable names (default :data:`DEFAULT_VARIABLES`).

    Returns:
        an :class:`Expr`.

    Raises:
        TypeError: ``text`` is not a str.
        ExprError (a ValueError): a syntax error, an unknown name, attribute access, a call
            outside the whitelist, a literal other than a real number, a disallowed operator, an
            expression too long or nested too deep; the message points at the offending token.

    Example:
        >>> parse("maximum(0, 1 - target * score)").functions
        ('maximum',)
    """
    if not isinstance(text, str):
        raise TypeError(f"parse: text must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression: {len(text)} characters, more than the limit of {MAX_LENGTH}")
    if not text.strip():
        raise ExprError("expression: empty expression")
    allowed = DEFAULT_VARIABLES if variables is None else frozenset(variables)
    bad = [v for v in allowed if not (isinstance(v, str) and v.isidentifier()) or v in FUNCTIONS or v in CONSTANTS]
    if bad:
        raise ValueError(f"parse: variables must be identifiers other than function/constant names, got {bad}")
    src = text.strip()
    if "\n" in src or "\r" in src:
        raise ExprError("expression: must be a single line")
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as e:
        col = (e.offset - 1) if e.offset and 0 < e.offset <= len(src) + 1 else len(src)
        raise ExprError(f"expression: invalid syntax ({e.msg})", src, col) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError("expression: too deeply nested or malformed") from None
    b = _Builder(src, allowed)
    root = b.build(tree.body)
    return Expr(src, root, tuple(b.used), tuple(b.funcs))
