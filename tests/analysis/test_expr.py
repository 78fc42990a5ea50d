"""The restricted expression parser: what it accepts, what it rejects (pointing at the token), and
a fuzz showing that nothing outside the whitelist can run."""
import builtins
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import losslab as ll
from losslab.analysis import expr as E
from losslab.analysis.expr import ExprError, parse, unparse

X = np.linspace(-2.0, 2.0, 9)


def _ev(text, **vals):
    vals = {k: ll.tensor(np.asarray(v, dtype=np.float64), dtype=ll.float64) for k, v in vals.items()}
    return parse(text).evaluate(vals).data


# ------------------------------------------------------------------------------- accepted
@pytest.mark.parametrize("text, expected", [
    ("abs(pred - target)", lambda x: np.abs(x - 0.5)),
    ("maximum(0, 1 - target * score)", lambda x: np.maximum(0, 1 - 0.5 * x)),
    ("log(1 + exp(-y * s))", lambda x: np.log1p(np.exp(-0.5 * x))),
    ("(pred - target)**2", lambda x: (x - 0.5) ** 2),
    ("max(x, target) + min(x, 1)", lambda x: np.maximum(x, 0.5) + np.minimum(x, 1)),
    ("clip(x, -1, 1) + clamp(x, min=0)", lambda x: np.clip(x, -1, 1) + np.maximum(x, 0)),
    ("clamp(x, max=0.5)", lambda x: np.minimum(x, 0.5)),
    ("softplus(x, beta=2)", lambda x: np.log1p(np.exp(2 * x)) / 2),
    ("sigmoid(x) * tanh(x) + relu(-x) + square(x) + sign(x)",
     lambda x: 1 / (1 + np.exp(-x)) * np.tanh(x) + np.maximum(-x, 0) + x**2 + np.sign(x)),
    ("sqrt(abs(x)) + log1p(x**2) + expm1(x) + sin(x) * cos(x) + -x + +x",
     lambda x: np.sqrt(np.abs(x)) + np.log1p(x**2) + np.expm1(x) + np.sin(x) * np.cos(x)),
    ("logcosh(x) + cosh(x) / pi", lambda x: np.log(np.cosh(x)) + np.cosh(x) / math.pi),
    ("2**-x / 3", lambda x: 2.0 ** -x / 3),
])
def test_accepted_expressions_evaluate_like_numpy(text, expected):
    e = parse(text)
    env = {v: (X if v not in E.TARGET_NAMES else 0.5) for v in e.variables}
    got = _ev(text, **env)
    np.testing.assert_allclose(got, expected(X), rtol=1e-12, atol=1e-12)


def test_expr_records_variables_and_canonical_functions():
    e = parse("max(pred, 0) + clip(target, 0, 1) + min(pred, 1)")
    assert e.variables == ("pred", "target")
    assert e.functions == ("maximum", "clamp", "minimum")
    assert isinstance(e.root, E.Bin)


def test_gradients_flow_through_the_evaluator():
    x = ll.tensor([-1.0, 0.5, 2.0], dtype=ll.float64, requires_grad=True)
    parse("(x - target)**2").evaluate({"x": x, "target": 1.0}).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * (np.array([-1.0, 0.5, 2.0]) - 1.0))


def test_custom_variable_set():
    e = parse("a * b", variables={"a", "b"})
    assert e.variables == ("a", "b")
    with pytest.raises(ExprError, match="unknown name 'pred'"):
        parse("pred", variables={"a"})
    with pytest.raises(ValueError, match="identifiers"):
        parse("a", variables={"exp"})


def test_missing_variable_value():
    with pytest.raises(ValueError, match="no value for variable"):
        parse("x + y").evaluate({"x": 1.0})


# ------------------------------------------------------------------------------- rejected
@pytest.mark.parametrize("text, fragment, column", [
    ("x.__class__", "attribute access", 1),
    ("exp(x).grad", "attribute access", 1),
    ("x[0]", "subscript", 1),
    ("foo(x)", "function 'foo' is not allowed", 1),
    ("abs(x) + eval('1')", "function 'eval' is not allowed", 10),
    ("__import__('os')", "function '__import__' is not allowed", 1),
    ("abs(pred - bogus)", "unknown name 'bogus'", 12),
    ("x + 'a'", "string literal", 5),
    ("x + True", "boolean literal", 5),
    ("x + 1j", "complex number", 5),
    ("x + None", "None literal", 5),
    ("lambda: 1", "lambda", 1),
    ("[i for i in x]", "comprehension", 1),
    ("x if x else y", "conditional expression", 1),
    ("x < y", "comparison", 1),
    ("x and y", "boolean operator", 1),
    ("(x := 1)", "assignment expression", 2),
    ("x % 2", "operator Mod", 1),
    ("x // 2", "operator FloorDiv", 1),
    ("x @ y", "operator MatMult", 1),
    ("~x", "operator Invert", 1),
    ("not x", "operator Not", 1),
    ("exp(x, base=2)", "takes no keyword 'base'", 8),
    ("exp(**x)", "**keyword arguments", 7),
    ("exp(*x)", "starred argument", 5),
    ("max(x, 1, 2)", "takes 2 positional argument(s), got 3", 1),
    ("exp", "'exp' is a function", 1),
    ("(x, y)", "tuple", 1),
    ("f'{x}'", "f-string", 1),
    ("x.exp(1)", "only calls of whitelisted function names", 1),
    ("clamp(x, 0, min=1)", "got 'min' twice", 13),
    ("x +", "invalid syntax", None),
])
def test_rejections_point_at_the_offending_token(text, fragment, column):
    with pytest.raises(ExprError) as info:
        parse(text)
    msg = str(info.value)
    assert fragment in msg
    if column is not None:
        assert info.value.column == column
        assert f"at column {column}" in msg
        lines = msg.splitlines()
        assert lines[-2].strip() == text and lines[-1].index("^") == column + 1  # "  " prefix


def test_limits_length_depth_empty_and_type():
    with pytest.raises(ExprError, match="more than the limit of 2000"):
        parse("x + " * 600 + "x")
    with pytest.raises(ExprError, match="nested more than"):
        parse("-" * 200 + "x")
    with pytest.raises(ExprError, match="too deeply nested|invalid syntax|nested"):
        parse("(" * 300 + "x" + ")" * 300)
    with pytest.raises(ExprError, match="empty"):
        parse("   ")
    with pytest.raises(ExprError, match="single line"):
        parse("x +\n1")
    with pytest.raises(TypeError, match="must be a str"):
        parse(3)
    with pytest.raises(ExprError, match="number too large"):
        parse("1" * 400)


def test_rejection_is_a_valueerror_for_callers():
    assert issubclass(ExprError, ValueError)


# ------------------------------------------------------------------------------- unparse
_LEAF = st.one_of(st.sampled_from([E.Var("x"), E.Var("target"), E.Num(2.0), E.Num(0.5), E.Num(1.0)]))


def _node(children):
    return st.one_of(
        st.builds(E.Unary, st.sampled_from(["-", "+"]), children),
        st.builds(E.Bin, st.sampled_from(["+", "-", "*", "/", "**"]), children, children),
        st.builds(lambda f, a: E.Call(f, (a,)), st.sampled_from(["abs", "exp", "tanh", "sigmoid", "relu"]), children),
        st.builds(lambda f, a, b: E.Call(f, (a, b)), st.sampled_from(["maximum", "minimum"]), children, children),
    )


TREES = st.recursive(_LEAF, _node, max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(TREES)
def test_unparse_round_trips(tree):
    text = unparse(tree)
    assert parse(text).root == tree


# ------------------------------------------------------------------------------- fuzz
class Sentinel:
    """Records any attribute access (dunders included) made on it."""

    def __init__(self):
        object.__setattr__(self, "touched", [])

    def __getattribute__(self, name):
        if name != "touched":
            object.__getattribute__(self, "touched").append(name)
        return object.__getattribute__(self, name)


_WHITELIST_NODES = (E.Num, E.Var, E.Unary, E.Bin, E.Call)


def _check_whitelisted(e):
    for n in e.nodes():
        assert isinstance(n, _WHITELIST_NODES)
        if isinstance(n, E.Call):
            assert n.func in E.FUNCTIONS
            assert all(k in E.FUNCTIONS[n.func][2] for k, _v in n.kwargs)
        if isinstance(n, E.Var):
            assert n.name in E.DEFAULT_VARIABLES


class _Guard:
    """eval/exec/open replaced by recorders and compile allowed only to build an AST (what
    ast.parse does), while parsing and evaluating: nothing else may run."""

    def __init__(self):
        self.calls = []

    def __enter__(self):
        import ast as _ast
        self.saved = {n: getattr(builtins, n) for n in ("eval", "exec", "open", "compile")}
        real_compile = self.saved["compile"]

        def rec(_n):
            def f(*a, **k):
                self.calls.append(_n)
                raise AssertionError(f"{_n} called")
            return f

        def guarded_compile(source, filename, mode, flags=0, *a, **k):
            if not flags & _ast.PyCF_ONLY_AST:
                self.calls.append("compile")
                raise AssertionError("compile called to make code")
            return real_compile(source, filename, mode, flags, *a, **k)

        for n in ("eval", "exec", "open"):
            setattr(builtins, n, rec(n))
        builtins.compile = guarded_compile
        return self

    def __exit__(self, *exc):
        for n, f in self.saved.items():
            setattr(builtins, n, f)
        return False


_ALPHABET = st.sampled_from(list("xyst pred+-*/()[]{}.,'\"_:=<>!%@~^&|0123456789e") +
                            ["abs", "exp", "log", "max", "__class__", "__import__", "lambda", "os", "eval",
                             "open", "getattr", " if ", " for ", " in ", "**", "target", "clamp", "min="])


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=25).map("".join))
def test_fuzz_random_strings_parse_or_raise_valueerror(text):
    with _Guard() as g:
        try:
            e = parse(text)
        except ValueError:
            e = None
    if e is not None:
        _check_whitelisted(e)
    assert g.calls == []


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=40))
def test_fuzz_arbitrary_unicode_parse_or_raise_valueerror(text):
    with _Guard() as g:
        try:
            e = parse(text)
        except ValueError:
            e = None
    if e is not None:
        _check_whitelisted(e)
    assert g.calls == []


_FORBIDDEN = st.sampled_from([
    "x.__class__", "x.__dict__", "x.__class__.__bases__[0].__subclasses__()", "getattr(x, '__class__')",
    "__import__('os').system('true')", "eval('1')", "exec('1')", "open('/etc/passwd')", "x[0]",
    "(lambda: x)()", "[x for x in ()]", "{'a': x}", "'abc'", "b'x'", "x if x else x", "(x := 1)",
    "globals()", "vars(x)", "type(x)", "x.data", "exp(x).sum()", "exp(x, **{})", "exp(*[x])",
    "abs(x, key=1)", "...", "None", "x < 1", "x @ x", "not x", "f'{x}'", "print(x)", "bogus",
])


@settings(max_examples=120, deadline=None)
@given(TREES, _FORBIDDEN, st.sampled_from(["{} + ({})", "({1}) * {0}", "abs({1}) - {0}", "maximum({0}, {1})"]))
def test_fuzz_forbidden_constructs_in_random_expressions_never_run(tree, bad, template):
    good = unparse(tree)
    text = template.format(good, bad)
    sentinel = Sentinel()
    with _Guard() as g, pytest.raises(ValueError) as info:
        parse(text).evaluate({"x": sentinel, "target": sentinel})
    # the message points into the forbidden part
    col = info.value.column
    assert col is not None
    start = text.index(bad, len(good)) if text.startswith(good) else text.index(bad)
    assert start <= col - 1 < start + len(bad), (text, str(info.value))
    assert sentinel.touched == []
    assert g.calls == []


def test_guard_detects_dynamic_code():
    with _Guard() as g:
        with pytest.raises(AssertionError):
            eval("1")
    assert g.calls == ["eval"]
