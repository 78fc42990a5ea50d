"""Is this loss differentiable, where not, and what to use instead (seeds 000 and 001).

:func:`differentiability` analyses a scalar function of one variable — the prediction, the
error or the margin — with the target held fixed, given as a Python callable on Tensors or as an
expression string of the restricted language of :mod:`losslab.analysis.expr` (nothing is
``eval``-ed). Values and gradients come from the engine (the gradient reported is exactly what
``backward`` gives, kink conventions included); the rest is numpy, and the convexity and
C¹-versus-C^∞ checks reuse :mod:`losslab.losses.properties` along the one line.

What is found, on a grid of ``n`` points over ``domain``:

* kinks — the engine's gradient jumps between grid points; each candidate is bisected (a true
  jump keeps its size as the bracket shrinks, a steep smooth gradient does not) and reported with
  the one-sided derivatives and the value losslab's gradient takes *at* the point (the
  subgradient convention: 0 for ``abs`` at 0, ½·(−1) for ``maximum`` at a tie); a one-sided
  derivative that grows without bound as the point is approached is a cusp (±inf);
* discontinuities — value jumps that persist under bisection (relative size above 1e-6, so a
  rounding-size branch switch is not one);
* flat regions — runs of grid points where the gradient is exactly 0 (dead zones, clamps);
* non-finite values and gradients, as intervals, with the boundary located by bisection;
* smoothness (``"discontinuous"``, ``"C0"``, ``"C1"``, ``"Cinf"``), convexity/concavity from
  second differences, a Lipschitz bound (max |gradient|, inf when unbounded), growth for large
  |x| in both directions;
* how the gradient depends on the target: through the error x − t only (g(x; t) = g(x − t; 0),
  e.g. ∂|x − t|/∂x = sign(x − t)), through the margin t·x (g(x; t) = t·g(t·x; 1)), or otherwise;
* smooth surrogates of the non-smooth functions of an expression, each with a knob, each checked
  numerically to approach the original (max |difference| over the domain decreasing to 0).

Example:
    >>> from losslab.analysis.differentiability import differentiability
    >>> r = differentiability("abs(pred - target)", domain=(-2, 2))
    >>> r.smoothness, [(k.x, k.left, k.right, k.at) for k in r.kinks]
    ('C0', [(0.0, -1.0, 1.0, 0.0)])
"""
from __future__ import annotations

import inspect
import math
from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np

from . import expr as _expr
from .expr import Bin, Call, Num, Unary, Var

__all__ = ["differentiability", "Report", "Kink", "Discontinuity", "NonFinite", "Surrogate",
           "TargetDependence", "report_curve"]


# ============================================================================ results
@dataclass(frozen=True)
class Kink:
    """A point where the one-sided derivatives differ (``left`` ≠ ``right``; ±inf for a cusp);
    ``at`` is the gradient losslab's backward returns at ``x`` (nan if it is not finite)."""

    x: float
    value: float
    left: float
    right: float
    at: float


@dataclass(frozen=True)
class Discontinuity:
    """A value jump: ``left``/``right`` limits and the ``value`` at ``x``."""

    x: float
    left: float
    right: float
    value: float


@dataclass(frozen=True)
class NonFinite:
    """Where the ``what`` ("value" or "gradient") is not finite: [start, end], with an example."""

    what: str
    start: float
    end: float
    example: float


@dataclass(frozen=True)
class Surrogate:
    """A smooth replacement of one non-smooth function of the expression.

    ``expression`` is the whole loss with the replacement, ``knob`` its parameter, which tends to
    ``limit``; ``max_diffs`` (and ``mean_diffs``) are max (mean) |surrogate − original| over the
    domain at ``knob_values``; ``converges`` says they decrease towards 0; ``smoothness`` is the
    class the analyser measures for the surrogate (at the middle knob value).
    """

    replaces: str
    name: str
    expression: str
    knob: str
    limit: str
    knob_values: tuple
    max_diffs: tuple
    mean_diffs: tuple
    converges: bool
    smoothness: str


@dataclass(frozen=True)
class TargetDependence:
    """How the gradient depends on the target: ``kind`` is "none" (no target), "independent",
    "error" (a function of x − t), "margin" (t·g(t·x)) or "other"; ``table`` maps each target to
    the gradients at ``points``; ``kinks`` maps each target to its kink locations."""

    kind: str
    targets: tuple
    points: tuple
    table: dict
    kinks: dict
    sign_form: bool
    description: str


@dataclass
class Report:
    """What :func:`differentiability` found; ``.text`` reads it out, ``.as_dict()`` gives it as data."""

    expression: str
    variable: str
    target: float | None
    domain: tuple
    n: int
    kinks: list = field(default_factory=list)
    discontinuities: list = field(default_factory=list)
    flat_regions: list = field(default_factory=list)
    nonfinite: list = field(default_factory=list)
    smoothness: str = "Cinf"
    convex: bool = True
    concave: bool = False
    convexity_witness: float | None = None
    lipschitz: float = 0.0
    lipschitz_at: float | None = None
    growth: dict = field(default_factory=dict)
    target_dependence: TargetDependence | None = None
    surrogates: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def differentiable(self) -> bool:
        """No kink, cusp or jump where the function is finite (the engine's gradient may still be
        nan at a point, see ``nonfinite``)."""
        return not (self.kinks or self.discontinuities)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["differentiable"] = self.differentiable
        return d

    @property
    def text(self) -> str:
        return _render(self)

    def __str__(self) -> str:
        return self.text


# ============================================================================ evaluation
_SMALL = 1e-300


def _fmt(v) -> str:
    if v is None:
        return "—"
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    return f"{v:.6g}"


class _Fn:
    """The function of one variable, evaluated on arrays of points with the engine."""

    def __init__(self, f, label: str, variable: str, target_name: str | None, takes_target: bool):
        self.f, self.label, self.variable = f, label, variable
        self.target_name, self.takes_target = target_name, takes_target
        self.pointwise = False

    @classmethod
    def build(cls, fn_or_expr, variable):
        if isinstance(fn_or_expr, str):
            e = _expr.parse(fn_or_expr)
            return cls.from_expr(e, variable), e
        if isinstance(fn_or_expr, _expr.Expr):
            return cls.from_expr(fn_or_expr, variable), fn_or_expr
        if not callable(fn_or_expr):
            raise TypeError(f"differentiability: fn_or_expr must be a callable or an expression string, "
                            f"got {type(fn_or_expr).__name__}")
        takes = _arity(fn_or_expr) >= 2
        name = getattr(fn_or_expr, "__name__", type(fn_or_expr).__name__)
        return cls(fn_or_expr, name, variable or "x", "target" if takes else None, takes), None

    @classmethod
    def from_expr(cls, e, variable, knobs=()):
        names = [v for v in e.variables if v not in knobs]
        if variable is not None:
            if variable not in names:
                raise ValueError(f"differentiability: variable={variable!r} does not occur in {e.text!r} "
                                 f"(its variables: {names or 'none'})")
            var = variable
        else:
            free = [v for v in names if v not in _expr.TARGET_NAMES]
            if len(free) > 1:
                raise ValueError(f"differentiability: {e.text!r} has several free variables {free}; "
                                 f"say which one to vary with variable=")
            if free:
                var = free[0]
            elif len(names) == 1:
                var = names[0]
            elif not names:
                var = "x"
            else:
                raise ValueError(f"differentiability: {e.text!r} has only target-like variables {names}; "
                                 f"say which one to vary with variable=")
        rest = [v for v in names if v != var]
        if len(rest) > 1:
            raise ValueError(f"differentiability: {e.text!r} has variables {names}: one is varied ({var!r}) "
                             f"and at most one can be the fixed target, got {rest}")
        tname = rest[0] if rest else None

        def f(x, t=None, replace=None, extra=None):
            env = {var: x}
            if tname is not None:
                env[tname] = t
            if extra:
                env.update(extra)
            return e.evaluate(env, replace)

        return cls(f, e.text, var, tname, tname is not None)

    def _call(self, x, t, **kw):
        import losslab as ll
        tt = ll.tensor(np.float64(t), dtype=ll.float64) if t is not None else None
        if self.takes_target:
            return self.f(x, tt, **kw)
        return self.f(x, **kw)

    def _out(self, out, shape):
        import losslab as ll
        if not isinstance(out, ll.Tensor):
            try:
                out = ll.tensor(np.asarray(out, dtype=np.float64))
            except (TypeError, ValueError):
                raise TypeError(f"differentiability: {self.label} returned {type(out).__name__}, "
                                f"expected a Tensor or a number") from None
        return out

    def eval(self, xs, t, grad: bool = True, **kw):
        """(values, gradients) at the points ``xs``."""
        xs = np.asarray(xs, dtype=np.float64)
        if self.pointwise:
            res = [self._eval_block(xs[i:i + 1], t, grad, **kw) for i in range(xs.size)]
            return (np.concatenate([r[0] for r in res]) if res else np.zeros(0),
                    np.concatenate([r[1] for r in res]) if res else np.zeros(0))
        return self._eval_block(xs, t, grad, **kw)

    def eval_soft(self, xs, t, grad: bool = True):
        """Like :meth:`eval`, outside the analysed domain: a point where the function raises is nan."""
        xs = np.asarray(xs, dtype=np.float64)
        try:
            return self.eval(xs, t, grad)
        except ValueError:
            v, g = np.full(xs.shape, np.nan), np.full(xs.shape, np.nan)
            for i in range(xs.size):
                try:
                    vi, gi = self.eval(xs[i:i + 1], t, grad)
                    v[i], g[i] = vi[0], gi[0]
                except ValueError:
                    pass
            return v, g

    def _eval_block(self, xs, t, grad, **kw):
        import losslab as ll
        scalar_in = self.pointwise
        with ll.enable_grad(), np.errstate(all="ignore"):
            xt = ll.tensor(xs.reshape(()) if scalar_in else xs, dtype=ll.float64, requires_grad=grad)
            try:
                out = self._call(xt, t, **kw)
            except (TypeError, ValueError, ArithmeticError, RuntimeError, IndexError, KeyError,
                    AttributeError) as e:
                if isinstance(e, (_expr.ExprError,)):
                    raise
                raise ValueError(f"differentiability: {self.label} raised {type(e).__name__}: {e} "
                                 f"(evaluated at {xs.size} point(s) in [{_fmt(xs.min())}, {_fmt(xs.max())}]"
                                 + (f", target {_fmt(t)}" if t is not None and self.takes_target else "")
                                 + ")") from e
            out = self._out(out, xs.shape)
            want = () if scalar_in else xs.shape
            if out.shape != want:
                size = int(np.prod(out.shape))
                if size == 1:
                    if not scalar_in and xs.size > 1:
                        raise _Reduces()
                    out = out.reshape(want)
                else:
                    raise ValueError(f"differentiability: {self.label} returned shape {tuple(out.shape)} for an "
                                     f"input of shape {tuple(xt.shape)}; expected a scalar function "
                                     f"(one value per point: shape {tuple(want)})")
            vals = np.array(out.data, dtype=np.float64).reshape(xs.shape)
            g = np.zeros(xs.shape)
            if grad and out.requires_grad:
                out.sum().backward()
                if xt.grad is not None:
                    g = np.array(xt.grad.data, dtype=np.float64).reshape(xs.shape)
        return vals, g

    def setup(self, xs, t):
        """Decide between elementwise (vectorized) and point-by-point evaluation."""
        try:
            v, g = self.eval(xs, t)
        except _Reduces:
            self.pointwise = True
            return self.eval(xs, t)
        # elementwise? the value at a point must not depend on the other points
        idx = np.unique(np.array([0, 1, xs.size // 3, xs.size - 1]))
        v1 = np.concatenate([self._eval_block(xs[i:i + 1], t, False)[0] for i in idx])
        same = (v1 == v[idx]) | (np.isnan(v1) & np.isnan(v[idx])) | np.isclose(v1, v[idx], rtol=1e-9, atol=1e-12)
        if not np.all(same):
            raise ValueError(f"differentiability: {self.label} is not elementwise: its value at a point depends "
                             f"on the other points evaluated with it (e.g. a mean or a softmax); give a "
                             f"function of one number")
        return v, g

    def line_fn(self, t):
        """For :mod:`losslab.losses.properties`' lines: fn(Tensor(x), y, reduction) -> Tensor."""
        import losslab as ll

        def fn(x, y=None, reduction="none"):
            v, _ = self.eval(np.asarray(x.data, dtype=np.float64).reshape(-1), t, grad=False)
            return ll.tensor(v)
        return fn


class _Reduces(Exception):
    pass


def _arity(f) -> int:
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return 1
    n = 0
    for p in sig.parameters.values():
        if p.kind == p.VAR_POSITIONAL:
            return 2
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and (
                p.default is p.empty or p.name in _expr.TARGET_NAMES):
            n += 1
    return n


# ============================================================================ detection
def _runs(mask: np.ndarray) -> list:
    """(i, j) index runs (inclusive) where mask is True."""
    out, i, n = [], 0, len(mask)
    while i < n:
        if mask[i]:
            j = i
            while j + 1 < n and mask[j + 1]:
                j += 1
            out.append((i, j))
            i = j + 1
        else:
            i += 1
    return out


def _round(x: float) -> float:
    r = round(x, 9)
    return (r if abs(x - r) < 1e-10 else x) + 0.0


def _candidates(y: np.ndarray, atol: float) -> np.ndarray:
    """Intervals i (between points i and i+1) where y changes much more than on both neighbours."""
    d = np.abs(np.diff(y))
    ok = np.isfinite(d)
    dd = np.where(ok, d, 0.0)
    left = np.concatenate([[np.inf], dd[:-1]])
    right = np.concatenate([dd[1:], [np.inf]])
    base = np.minimum(left, right)
    base = np.where(np.isinf(base), np.where(np.isinf(left), right, left), base)
    return np.flatnonzero(ok & (dd > atol) & (dd > 4.0 * base))


def _bisect_jumps(F: _Fn, t, x, y, which: int, atol: float, iterations: int = 60):
    """Bisect the candidate jumps of values (which=0) or gradients (which=1); the real ones."""
    cand = _candidates(y, atol)
    if len(cand) == 0:
        return []
    if len(cand) > 64:
        dd = np.abs(np.diff(y))[cand]
        cand = np.sort(cand[np.argsort(dd)[-64:]])
    a, b = x[cand].copy(), x[cand + 1].copy()
    ya, yb = y[cand].copy(), y[cand + 1].copy()
    d0 = np.abs(yb - ya)
    for _ in range(iterations):
        mid = 0.5 * (a + b)
        if np.all((mid == a) | (mid == b)):
            break
        ym = F.eval(mid, t, grad=which == 1)[which]
        left = np.abs(ym - ya) <= np.abs(ym - yb)
        a, ya = np.where(left, mid, a), np.where(left, ym, ya)
        b, yb = np.where(left, b, mid), np.where(left, yb, ym)
    jump = np.abs(yb - ya)
    real = np.isfinite(jump) & (jump > atol) & (jump > 0.25 * d0)
    xs = sorted(_round(float(0.5 * (ai + bi))) for ai, bi in zip(a[real], b[real]))
    merged = []
    for xi in xs:
        if not merged or xi - merged[-1] > 1e-9 * max(1.0, abs(xi)):
            merged.append(xi)
    return merged


def _one_sided(F: _Fn, t, x0: float, width: float):
    """Engine gradients just left/right of x0 at two distances; ±inf where they grow without bound."""
    d1, d2 = 1e-6 * width, 1e-8 * width
    pts = np.array([x0 - d1, x0 - d2, x0 + d1, x0 + d2])
    _, g = F.eval(pts, t)
    out = []
    for far, near in ((g[0], g[1]), (g[2], g[3])):
        if not math.isfinite(near):
            out.append(float(near))
        elif abs(near) > 3 * abs(far) + 1e-6 and abs(near) > 1e2:  # grows like a cusp
            out.append(math.copysign(math.inf, near))
        else:
            out.append(float(near) + 0.0)
    return out


class _Slope:
    """The derivative of the engine's gradient, (g(x + ε) − g(x − ε)) / 2ε, as an evaluator."""

    def __init__(self, F: _Fn, eps: float):
        self.F, self.eps = F, eps

    def eval(self, xs, t, grad=True):
        xs = np.asarray(xs, dtype=np.float64)
        _, g = self.F.eval(np.concatenate([xs + self.eps, xs - self.eps]), t)
        gp = (g[:xs.size] - g[xs.size:]) / (2 * self.eps)
        return gp, gp


def _curvature_jumps(F: _Fn, t, x, g) -> list:
    """Jumps of the second derivative (a C¹ function that is not C²: Huber at ±δ): the slope of
    the engine's gradient jumps and the jump survives bisection."""
    fin = np.isfinite(g)
    if fin.sum() < 5 or not fin.all():
        return []
    h = float(x[1] - x[0])
    sl = np.diff(g) / h
    mids = 0.5 * (x[1:] + x[:-1])
    scale = float(np.max(np.abs(sl))) if sl.size else 0.0
    if scale == 0:
        return []
    # the bracket must stay much wider than ε (within ε of the jump the slope is a blend)
    S = _Slope(F, 1e-7 * h)
    return _bisect_jumps(S, t, mids, sl, 1, 1e-4 * scale + 1e-9, iterations=14)


def _boundary(F: _Fn, t, good: float, bad: float, iterations: int = 50) -> float:
    """Bisect between a point where the value is finite and one where it is not."""
    for _ in range(iterations):
        mid = 0.5 * (good + bad)
        v, _ = F.eval_soft(np.array([mid]), t, grad=False)
        if math.isfinite(v[0]):
            good = mid
        else:
            bad = mid
    return _round(bad)


# ============================================================================ main
def differentiability(fn_or_expr, *, domain=(-5.0, 5.0), target=None, targets: Sequence[float] | None = None,
                      n: int = 2001, variable: str | None = None, surrogates: bool = True) -> Report:
    """Analyse a scalar loss of one variable: kinks, jumps, flat regions, smoothness, convexity, ….

    Formula::

        f(x) = loss(x; t) for x in [lo, hi], t fixed;  g(x) = df/dx by the engine's backward

    Args:
        fn_or_expr: an expression string (``"abs(pred - target)"``, restricted language of
            :mod:`losslab.analysis.expr`), a parsed :class:`~losslab.analysis.expr.Expr`, or a
            callable ``f(x)`` or ``f(x, target)`` on Tensors, elementwise (a Tensor of shape (n,)
            in, (n,) out) or scalar (then it is called point by point).
        domain: ``(lo, hi)`` with lo < hi, finite.
        target: the fixed target (default 0; if the loss does not depend on the variable at
            target 0, e.g. a margin loss ``maximum(0, 1 - target * score)``, then 1).
        targets: targets for the target-dependence check (default target − 1, target, target + 1).
        n: grid points (≥ 5; odd puts the middle of a symmetric domain on the grid).
        variable: the name varied (default: the one variable that is not a target name such as
            target/y/t/label).
        surrogates: look for smooth surrogates of an expression's non-smooth functions.

    Shape:
        the callable gets a float64 Tensor of shape (n,) (or () point by point).

    Returns:
        a :class:`Report` (``.text``, ``.as_dict()``).

    Example:
        >>> r = differentiability("maximum(0, 1 - target * score)", target=1, domain=(-3, 3))
        >>> [(k.x, k.left, k.right) for k in r.kinks], r.flat_regions
        ([(1.0, -1.0, 0.0)], [(1.0, 3.0)])

    Note:
        A numerical analysis on a grid: a kink between grid points is found by bisection, but a
        feature narrower than the grid spacing whose value and gradient look smooth on the grid
        (e.g. an isolated removable point) can be missed. The gradient reported at a kink is the
        engine's (PyTorch's) convention, not a mathematical fact.
    """
    lo, hi = _check_domain(domain)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 5:
        raise ValueError(f"differentiability: n must be an integer >= 5, got {n!r}")
    if n > 200001:
        raise ValueError(f"differentiability: n must be at most 200001, got {n}")
    F, e = _Fn.build(fn_or_expr, variable)
    xs = np.linspace(lo, hi, int(n))
    width = hi - lo
    notes = []
    t0 = _check_target(target, "target")
    auto_target = t0 is None
    if t0 is None:
        t0 = 0.0
    v, g = F.setup(xs, t0 if F.takes_target else None)
    if auto_target and F.takes_target:
        fin = np.isfinite(v)
        if fin.any() and np.ptp(v[fin]) == 0 and np.all(g[np.isfinite(g)] == 0):
            v1, g1 = F.eval(xs, 1.0)
            f1 = np.isfinite(v1)
            if f1.any() and (np.ptp(v1[f1]) > 0):
                t0, v, g = 1.0, v1, g1
                notes.append("at target 0 the loss does not depend on the variable (a margin y·s?), "
                             "so target 1 is used")
    T = t0 if F.takes_target else None
    if target is not None and not F.takes_target:
        notes.append(f"the function takes no target: target={target!r} is ignored")
    rep = Report(expression=F.label, variable=F.variable, target=T, domain=(lo, hi), n=int(n), notes=notes)
    if F.pointwise:
        notes.append("the callable returns one number per call: evaluated point by point")

    fv, fg = np.isfinite(v), np.isfinite(g)
    # ---- non-finite values and gradients
    for what, mask, arr in (("value", ~fv, v), ("gradient", fv & ~fg, g)):
        for i, j in _runs(mask):
            start, end = float(xs[i]), float(xs[j])
            if what == "value":
                if i > 0 and fv[i - 1]:
                    start = _boundary(F, T, float(xs[i - 1]), start)
                if j < n - 1 and fv[j + 1]:
                    end = _boundary(F, T, float(xs[j + 1]), end)
            rep.nonfinite.append(NonFinite(what, _round(start), _round(end), float(arr[i])))
    if not fv.any():
        rep.smoothness = "undefined"
        rep.convex = False
        rep.lipschitz = math.nan
        notes.append(f"the function is not finite anywhere on [{_fmt(lo)}, {_fmt(hi)}]")
        return rep

    vscale = float(np.max(np.abs(v[fv]))) + 1e-300
    gfin = g[fv & fg]
    gscale = float(np.max(np.abs(gfin))) if gfin.size else 0.0

    # ---- discontinuities (value jumps) on the finite stretches
    disc_x = []
    vrange = float(np.ptp(v[fv]))
    for i, j in _runs(fv):
        if j - i < 2:
            continue
        disc_x += _bisect_jumps(F, T, xs[i:j + 1], v[i:j + 1], 0, 1e-6 * max(vrange, vscale) + 1e-12)
    for x0 in disc_x:
        d = 1e-9 * max(1.0, abs(x0))
        vals, _ = F.eval(np.array([x0 - d, x0 + d, x0]), T, grad=False)
        rep.discontinuities.append(Discontinuity(x0, float(vals[0]), float(vals[1]), float(vals[2])))

    # ---- kinks (gradient jumps) and cusps (non-finite gradient at a point with a finite value)
    kink_x = []
    ok = fv & fg
    for i, j in _runs(ok):
        if j - i < 2:
            continue
        kink_x += _bisect_jumps(F, T, xs[i:j + 1], g[i:j + 1], 1, 1e-6 * max(gscale, 1e-12) + 1e-12)
    for nf in rep.nonfinite:
        if nf.what == "gradient" and nf.end - nf.start <= 2 * width / (n - 1):
            kink_x.append(_round(0.5 * (nf.start + nf.end)))
    for x0 in sorted(set(kink_x)):
        if any(abs(x0 - dx) <= 1e-7 * max(1.0, abs(x0)) for dx in disc_x):
            continue  # a value jump: reported as a discontinuity
        left, right = _one_sided(F, T, x0, width)
        vals, gat = F.eval(np.array([x0]), T)
        same = (math.isfinite(left) and math.isfinite(right)
                and abs(left - right) <= 1e-6 * (abs(left) + abs(right)) + 1e-9)
        if same:
            if not math.isfinite(gat[0]):
                notes.append(f"at {F.variable} = {_fmt(x0)} the one-sided derivatives agree ({_fmt(left)}) but "
                             f"losslab's gradient is {_fmt(gat[0])} (an inf·0 or 0/0 inside the backward "
                             f"of this formula: rewrite it)")
            continue
        rep.kinks.append(Kink(x0, float(vals[0]), left, right, float(gat[0]) + 0.0))

    # ---- flat regions: the gradient is exactly 0 over an interval
    marks = [k.x for k in rep.kinks] + [d.x for d in rep.discontinuities]
    h = width / (n - 1)
    for i, j in _runs(ok & (g == 0)):
        if j - i < 2:
            continue
        a, b = float(xs[i]), float(xs[j])
        a = next((m for m in marks if abs(m - a) <= 1.01 * h), a)
        b = next((m for m in marks if abs(m - b) <= 1.01 * h), b)
        rep.flat_regions.append((_round(a), _round(b)))
    if len(rep.flat_regions) == 1 and rep.flat_regions[0] == (_round(lo), _round(hi)) and np.ptp(v[fv]) == 0:
        notes.append("the function is constant on the domain: it does not depend on the variable")

    # ---- smoothness, convexity (losslab.losses.properties along the line)
    from ..losses import properties as P
    stretches = [(i, j) for i, j in _runs(fv) if j - i >= 8]
    c1 = False
    witness = None
    concave_w = None
    line_fn = F.line_fn(T)
    neg_fn = (lambda x, y=None, reduction="none": -line_fn(x))
    for i, j in stretches:
        a, b = float(xs[i]), float(xs[j])
        if (i > 0 or j < n - 1) and j - i > 20:  # step off the edge of a non-finite region
            a, b = a + 2 * h, b - 2 * h
        c = 0.5 * (a + b)
        line = P._Line(line_fn, np.array([c]), None, {}, np.array([1.0]), f"x = {_fmt(c)} + t")
        nline = P._Line(neg_fn, np.array([c]), None, {}, np.array([1.0]), "neg")
        if not rep.kinks and not rep.discontinuities:
            # grid nodes off round numbers: a singularity exactly on a node spreads over its
            # neighbours and can escape properties' spike detection
            sings = P._smoothness_on_line(line, a - c + 0.0123 * (b - a), b - c, n=257, k=3,
                                          stop_at_kink=False)
            orders = {s.order for s in sings if s.order > 0 or s.relative > 1e-6}
            if orders & {0, 1}:
                notes.append("losslab.losses.properties flagged a slope irregularity that the engine's "
                             "gradient does not show (no gradient jump): counted as at most C1")
            c1 = c1 or bool(orders & {0, 1}) or 2 in orders or bool(_curvature_jumps(F, T, xs[i:j + 1], g[i:j + 1]))
        w = P._convexity_on_line(line, a - c, b - c, n=257)
        if w is not None and witness is None:
            witness = c + w.t
        wn = P._convexity_on_line(nline, a - c, b - c, n=257)
        if wn is not None and concave_w is None:
            concave_w = c + wn.t
    cusps = [k for k in rep.kinks if not (math.isfinite(k.left) and math.isfinite(k.right))]
    if rep.discontinuities:
        rep.smoothness = "discontinuous"
    elif rep.kinks:
        rep.smoothness = "C0"
    else:
        rep.smoothness = "C1" if c1 else "Cinf"
    if rep.discontinuities:
        witness = witness if witness is not None else rep.discontinuities[0].x
    rep.convex = witness is None and len(stretches) >= 1 and len(_runs(fv)) == 1
    rep.concave = concave_w is None and len(stretches) >= 1 and len(_runs(fv)) == 1
    rep.convexity_witness = witness
    if rep.nonfinite and any(nf.what == "value" for nf in rep.nonfinite):
        notes.append("smoothness, convexity and the Lipschitz bound refer to the part of the domain "
                     "where the function is finite")

    # ---- Lipschitz bound
    if rep.discontinuities:
        rep.lipschitz, rep.lipschitz_at = math.inf, rep.discontinuities[0].x
    elif cusps:
        rep.lipschitz, rep.lipschitz_at = math.inf, cusps[0].x
    else:
        grads = np.abs(gfin)
        k = int(np.argmax(grads)) if grads.size else 0
        L = float(grads[k]) if grads.size else 0.0
        where = float(xs[fv & fg][k]) if grads.size else None
        for kk in rep.kinks:
            for s in (kk.left, kk.right):
                if abs(s) > L:
                    L, where = abs(s), kk.x
        # near the edge of a non-finite region the gradient may blow up (log at 0)
        for nf in rep.nonfinite:
            for edge, side in ((nf.start, -1), (nf.end, 1)):
                if lo < edge < hi:
                    pts = edge + side * width * np.array([1e-2, 1e-4, 1e-6, 1e-8])
                    gv = np.abs(F.eval_soft(pts, T)[1])
                    if np.all(np.isfinite(gv)) and gv[-1] > 100 * gv[0] and gv[-1] > 1e3:
                        L, where = math.inf, edge
                    elif not np.isfinite(gv[-1]):
                        L, where = math.inf, edge
        rep.lipschitz, rep.lipschitz_at = L, (None if where is None else _round(where))

    # ---- growth for large |x|
    imin = int(np.nanargmin(np.where(fv, v, np.nan)))
    rep.growth = _growth(F, T, float(xs[imin]), P)

    # ---- target dependence
    rep.target_dependence = _target_dependence(F, T, targets, xs, h)

    # ---- surrogates
    if surrogates and e is not None and (rep.kinks or rep.discontinuities):
        rep.surrogates = _surrogates(F, e, T, xs, v)
    elif rep.kinks and e is None:
        notes.append("surrogates are built for expressions only; for a callable, replace |u| by "
                     "sqrt(u² + δ²) − δ, max(0, u) by τ·softplus(u/τ), clamp by a soft clip")
    return rep


def report_curve(fn_or_expr, report: Report, n: int = 801) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The analysed function and its engine derivative on ``n`` even points of the report's
    domain, at the report's target — what a plot of the report draws.

    Formula::

        x_i = lo + i·(hi − lo)/(n − 1),   f(x_i),   ∂f/∂x (x_i) by the engine's backward pass

    Args:
        fn_or_expr: the function :func:`differentiability` analysed (a callable, an expression
            string or a parsed expression).
        report: its :class:`Report` (domain, variable and target are read from it).
        n: number of points (default 801).

    Returns:
        ``(x, f, df)``, three float64 arrays of length ``n``.

    Example:
        >>> rep = differentiability("abs(pred - target)", domain=(-1, 1), target=0.0)
        >>> x, f, df = report_curve("abs(pred - target)", rep, n=5)
        >>> f.tolist(), df.tolist()
        ([1.0, 0.5, 0.0, 0.5, 1.0], [-1.0, -1.0, 0.0, 1.0, 1.0])
    """
    e = _expr.parse(fn_or_expr) if isinstance(fn_or_expr, str) else fn_or_expr
    variable = report.variable
    if isinstance(e, _expr.Expr) and variable not in e.variables:
        variable = None  # a constant: the analysis varied a placeholder x, and so does the curve
    F, _ = _Fn.build(e, variable)
    xs = np.linspace(report.domain[0], report.domain[1], n)
    F.setup(xs, report.target)
    v, g = F.eval(xs, report.target)
    return xs, np.asarray(v, dtype=np.float64), np.asarray(g, dtype=np.float64)


def _check_domain(domain):
    try:
        lo, hi = (float(d) for d in domain)
    except (TypeError, ValueError):
        raise ValueError(f"differentiability: domain must be a pair (lo, hi) of numbers, got {domain!r}") from None
    if math.isnan(lo) or math.isnan(hi):
        raise ValueError(f"differentiability: domain contains NaN: {domain!r}")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"differentiability: domain must be finite, got {domain!r}")
    if not lo < hi:
        raise ValueError(f"differentiability: domain ({_fmt(lo)}, {_fmt(hi)}) has no points: expected lo < hi")
    return lo, hi


def _check_target(t, name):
    if t is None:
        return None
    try:
        t = float(t)
    except (TypeError, ValueError):
        raise ValueError(f"differentiability: {name} must be a number, got {t!r}") from None
    if not math.isfinite(t):
        raise ValueError(f"differentiability: {name} must be finite, got {t!r}")
    return t


def _growth(F: _Fn, T, c: float, P) -> dict:
    """Growth of f(c ± s) − f(c) for s = 2^k (k = 0..30): classify_growth of losses.properties."""
    s = 2.0 ** np.arange(0, 31)
    out = {}
    base = F.eval_soft(np.array([c]), T, grad=False)[0][0]
    for side, sign in (("+inf", 1.0), ("-inf", -1.0)):
        vals = F.eval_soft(c + sign * s, T, grad=False)[0]
        fin = np.isfinite(vals)
        m = int(np.argmin(fin)) if not fin.all() else len(vals)
        overflowed = m < len(vals) and vals[m] == math.inf
        g = vals[:m] - base
        if m < 4 and not overflowed:
            out[side] = "undefined"
            continue
        if m and np.all(np.abs(g) <= 1e-12 * (1 + abs(base))) and not overflowed:
            out[side] = "flat"
            continue
        decreasing = m > 0 and g[-1] < 0
        gg = -g if decreasing else g
        cls = None
        for cut in (min(m, 13), m):
            cls, _p = P.classify_growth(s[:cut], gg[:cut], overflowed and cut == m)
            if cls not in ("bounded", "logarithmic"):
                break
        if cls is None:
            cls = "irregular"
        out[side] = f"{cls} (decreasing)" if decreasing and cls not in ("bounded",) else cls
    order = ("flat", "undefined", "irregular") + P.GROWTH_ORDER
    key = lambda c: order.index(c.split(" ")[0]) if c.split(" ")[0] in order else 0  # noqa: E731
    out["overall"] = max((out["+inf"], out["-inf"]), key=key)
    return out


def _close(a, b, rtol=1e-7):
    both = np.isfinite(a) & np.isfinite(b)
    good = both & (np.abs(a - b) <= rtol * (1 + np.abs(a) + np.abs(b)))
    return int(np.sum(both & ~good)) <= max(2, int(0.01 * both.sum())) and both.sum() > 0


def _target_dependence(F: _Fn, T, targets, xs, h) -> TargetDependence:
    if not F.takes_target:
        return TargetDependence("none", (), (), {}, {}, False, "the function has no target")
    if targets is None:
        ts = (T - 1.0, T, T + 1.0)
    else:
        ts = tuple(_check_target(t, "targets") for t in targets)
        if len(ts) < 2:
            raise ValueError(f"differentiability: targets must hold at least 2 values, got {targets!r}")
    sub = xs[:: max(1, len(xs) // 200)]
    grads = {t: F.eval_soft(sub, t)[1] for t in ts}
    ref = grads[ts[0]]
    independent = all(_close(grads[t], ref) for t in ts)
    err = all(_close(grads[t], F.eval_soft(sub - t + T, T)[1]) for t in ts)
    g1 = lambda z: F.eval_soft(z, 1.0)[1]  # noqa: E731
    margin = all(_close(grads[t], t * g1(t * sub)) for t in ts)
    lo, hi = float(xs[0]), float(xs[-1])
    pts = tuple(_round(p) for p in (lo + 0.25 * (hi - lo), lo + 0.5 * (hi - lo), lo + 0.75 * (hi - lo)))
    table = {float(t): tuple(float(x) for x in F.eval_soft(np.array(pts), t)[1]) for t in ts}
    kinks = {}
    for t in ts:
        vv, gg = F.eval_soft(xs, t)
        ok = np.isfinite(vv) & np.isfinite(gg)
        found = []
        for i, j in _runs(ok):
            if j - i >= 2:
                gs = float(np.max(np.abs(gg[i:j + 1]))) if j >= i else 0
                found += _bisect_jumps(F, t, xs[i:j + 1], gg[i:j + 1], 1, 1e-6 * max(gs, 1e-12) + 1e-12)
        kinks[float(t)] = tuple(found)
    sign_form = False
    if independent:
        kind, desc = "independent", "the gradient does not depend on the target"
    elif err:
        kind = "error"
        gT = F.eval_soft(sub, T)[1]
        away = np.abs(sub - T) > 2 * h
        c = float(np.median(np.abs(gT[away]))) if away.any() else 0.0
        sign_form = c > 0 and bool(np.allclose(gT[away], c * np.sign(sub[away] - T), rtol=1e-9, atol=1e-12))
        desc = ("the gradient depends on the target only through the error x − t: g(x; t) = g(x − t; 0), "
                "so moving the target moves the gradient (and any kink) with it")
        if sign_form:
            desc += (f"; here g(x; t) = {_fmt(c)}·sign(x − t): the target decides the sign of the gradient "
                     f"(d|m − t|/dw = sign(m − t)·m′, seed 001)")
    elif margin:
        kind = "margin"
        desc = ("the gradient depends on the target through the margin t·x: g(x; t) = t·g₁(t·x) with g₁ the "
                "gradient at target 1, so the target flips the direction of the push")
    else:
        kind = "other"
        desc = "the gradient depends on the target, neither through x − t alone nor through t·x"
    return TargetDependence(kind, tuple(float(t) for t in ts), pts, table, kinks, sign_form, desc)


# ============================================================================ surrogates
def _K(name):
    return Var(name)


def _sp(u, tau):
    return Call("softplus", (u,), (("beta", Bin("/", Num(1.0), _K(tau))),))


def _is_zero(n):
    return isinstance(n, Num) and n.value == 0.0


def _clamp_bounds(node: Call):
    args = list(node.args)
    kw = dict(node.kwargs)
    lo = args[1] if len(args) > 1 else kw.get("min")
    hi = args[2] if len(args) > 2 else kw.get("max")
    return args[0], lo, hi


#: func -> [(name, knob, knob values, limit, builder(node) -> replacement node)]
def _surrogate_rules(func: str):
    r = []
    if func == "abs":
        r.append(("pseudo-Huber", "delta", (1.0, 0.3, 0.1, 0.03, 0.01), "delta → 0",
                  lambda nd: Bin("-", Call("sqrt", (Bin("+", Bin("**", nd.args[0], Num(2.0)),
                                                             Bin("**", _K("delta"), Num(2.0))),)),
                                 _K("delta"))))
        r.append(("log-cosh", "a", (1.0, 3.0, 10.0, 30.0, 100.0), "a → ∞",
                  lambda nd: Bin("/", Call("logcosh", (Bin("*", _K("a"), nd.args[0]),)), _K("a"))))
    elif func == "relu":
        r.append(("softplus with temperature", "tau", (1.0, 0.3, 0.1, 0.03, 0.01), "tau → 0",
                  lambda nd: Bin("*", _K("tau"), Call("softplus", (Bin("/", nd.args[0], _K("tau")),)))))
    elif func == "maximum":
        def smax(nd):
            a, b = nd.args
            if _is_zero(a):
                return Bin("*", _K("tau"), Call("softplus", (Bin("/", b, _K("tau")),)))
            if _is_zero(b):
                return Bin("*", _K("tau"), Call("softplus", (Bin("/", a, _K("tau")),)))
            return Bin("+", b, Bin("*", _K("tau"), Call("softplus", (Bin("/", Bin("-", a, b), _K("tau")),))))
        r.append(("softplus with temperature", "tau", (1.0, 0.3, 0.1, 0.03, 0.01), "tau → 0", smax))

        def shinge(nd):
            a, b = nd.args
            u = b if _is_zero(a) else a
            c = Call("clamp", (u, Num(0.0), _K("gamma")))
            return Bin("+", Bin("/", Bin("**", c, Num(2.0)), Bin("*", Num(2.0), _K("gamma"))),
                       Call("relu", (Bin("-", u, _K("gamma")),)))
        r.append(("smoothed (Huberized) hinge", "gamma", (1.0, 0.3, 0.1, 0.03, 0.01), "gamma → 0",
                  lambda nd: shinge(nd) if (_is_zero(nd.args[0]) or _is_zero(nd.args[1])) else None))
    elif func == "minimum":
        r.append(("softplus with temperature", "tau", (1.0, 0.3, 0.1, 0.03, 0.01), "tau → 0",
                  lambda nd: Bin("-", nd.args[0], Bin("*", _K("tau"), Call(
                      "softplus", (Bin("/", Bin("-", nd.args[0], nd.args[1]), _K("tau")),))))))
    elif func == "clamp":
        def soft(nd):
            u, lo, hi = _clamp_bounds(nd)
            sp = lambda z: Bin("*", _K("tau"), Call("softplus", (Bin("/", z, _K("tau")),)))  # noqa: E731
            if lo is not None and hi is not None:
                return Bin("-", Bin("+", lo, sp(Bin("-", u, lo))), sp(Bin("-", u, hi)))
            if lo is not None:
                return Bin("+", lo, sp(Bin("-", u, lo)))
            if hi is not None:
                return Bin("-", hi, sp(Bin("-", hi, u)))
            return u
        r.append(("soft clip", "tau", (1.0, 0.3, 0.1, 0.03, 0.01), "tau → 0", soft))
    elif func == "sign":
        r.append(("tanh with temperature", "tau", (1.0, 0.3, 0.1, 0.03, 0.01), "tau → 0",
                  lambda nd: Call("tanh", (Bin("/", nd.args[0], _K("tau")),))))
    return r


def _substitute(node, func, build):
    """The tree with every call of ``func`` replaced by ``build(call)`` (arguments first)."""
    if isinstance(node, Unary):
        return Unary(node.op, _substitute(node.operand, func, build))
    if isinstance(node, Bin):
        return Bin(node.op, _substitute(node.left, func, build), _substitute(node.right, func, build))
    if isinstance(node, Call):
        nd = Call(node.func, tuple(_substitute(a, func, build) for a in node.args),
                  tuple((k, _substitute(v, func, build)) for k, v in node.kwargs))
        if nd.func == func:
            rep = build(nd)
            if rep is None:
                raise _NotApplicable()
            return rep
        return nd
    return node


class _NotApplicable(Exception):
    pass


def _surrogates(F: _Fn, e, T, xs, v) -> list:
    out = []
    fin = np.isfinite(v)
    for func in e.functions:
        if func not in _expr.NONSMOOTH:
            continue
        for name, knob, values, limit, build in _surrogate_rules(func):
            try:
                root = _substitute(e.root, func, build)
            except _NotApplicable:
                continue
            text = _expr.unparse(root)
            sub = _expr.Expr(text, root, tuple(e.variables) + (knob,), e.functions)
            S = _Fn.from_expr(sub, F.variable, knobs=(knob,))

            def at(k, S=S, knob=knob):
                import losslab as ll
                return lambda x, t=None, replace=None, extra=None: S.f(x, t, extra={knob: ll.tensor(np.float64(k))})
            maxd, meand = [], []
            for k in values:
                fk = _Fn(at(k), text, F.variable, F.target_name, F.takes_target)
                vk = fk.eval(xs, T, grad=False)[0]
                ok = fin & np.isfinite(vk)
                diff = np.abs(vk[ok] - v[ok]) if ok.any() else np.array([math.inf])
                maxd.append(float(diff.max()))
                meand.append(float(diff.mean()))
            crit = meand if func == "sign" else maxd
            converges = all(b < a for a, b in zip(crit, crit[1:])) and crit[-1] <= crit[0] / 5
            mid = values[len(values) // 2]
            smooth = differentiability(_Fn(at(mid), text, F.variable, F.target_name, F.takes_target).f
                                       if not F.takes_target else
                                       (lambda x, t, f=at(mid): f(x, t)),
                                       domain=(float(xs[0]), float(xs[-1])), target=T,
                                       n=min(len(xs), 1001), surrogates=False).smoothness
            out.append(Surrogate(func, name, text, knob, limit, tuple(values), tuple(maxd), tuple(meand),
                                 bool(converges), smooth))
    return out


# ============================================================================ text
def _render(r: Report) -> str:
    L = []
    lo, hi = r.domain
    head = f"Differentiability of {r.expression}  in {r.variable} ∈ [{_fmt(lo)}, {_fmt(hi)}]"
    if r.target is not None:
        head += f", target = {_fmt(r.target)}"
    L.append(head)
    L.append(f"  smoothness: {r.smoothness}   "
             f"{'differentiable everywhere it is finite' if r.differentiable else 'NOT differentiable everywhere'}"
             + ("; losslab's gradient is not finite everywhere" if any(nf.what == "gradient" for nf in r.nonfinite)
                else ""))
    conv = "convex" if r.convex else ("concave" if r.concave else "not convex")
    if r.convex and r.concave:
        conv = "affine (convex and concave)"
    if not r.convex and not r.concave and r.convexity_witness is not None:
        conv += f" (negative second difference near {r.variable} = {_fmt(r.convexity_witness)})"
    L.append(f"  convexity: {conv}")
    lip = _fmt(r.lipschitz)
    if r.lipschitz == math.inf:
        lip = f"none (the gradient is unbounded or the function jumps near {r.variable} = {_fmt(r.lipschitz_at)})"
    elif r.lipschitz_at is not None:
        lip += f" (max |gradient|, at {r.variable} = {_fmt(r.lipschitz_at)})"
    L.append(f"  Lipschitz bound on the domain: {lip}")
    gr = r.growth
    if gr:
        pull = {"quadratic": "an outlier pulls in proportion to its error (not robust)",
                "linear": "an outlier's pull is bounded (robust-ish)",
                "bounded": "an outlier's pull vanishes (robust)",
                "logarithmic": "an outlier's pull fades (robust)",
                "flat": "no pull", "exponential": "an outlier dominates everything",
                "super-quadratic": "an outlier dominates"}.get(gr["overall"].split(" ")[0], "")
        L.append(f"  growth for large |{r.variable}|: {gr['+inf']} towards +inf, {gr['-inf']} towards -inf"
                 + (f" → {pull}" if pull else ""))
    if r.kinks:
        L.append("  kinks (one-sided derivatives differ):")
        for k in r.kinks:
            L.append(f"    {r.variable} = {_fmt(k.x)}: left derivative {_fmt(k.left)}, right derivative "
                     f"{_fmt(k.right)}; losslab's gradient there = {_fmt(k.at)}"
                     + ("  (cusp: infinite slope)" if not (math.isfinite(k.left) and math.isfinite(k.right)) else ""))
    else:
        L.append("  kinks: none found")
    if r.discontinuities:
        L.append("  discontinuities (the value jumps):")
        for d in r.discontinuities:
            L.append(f"    {r.variable} = {_fmt(d.x)}: left limit {_fmt(d.left)}, right limit {_fmt(d.right)}, "
                     f"value {_fmt(d.value)}")
    if r.flat_regions:
        L.append("  flat regions (gradient exactly 0: no learning signal there):")
        for a, b in r.flat_regions:
            L.append(f"    {r.variable} ∈ [{_fmt(a)}, {_fmt(b)}]")
    if r.nonfinite:
        L.append("  non-finite:")
        for nf in r.nonfinite:
            where = f"at {r.variable} = {_fmt(nf.start)}" if nf.start == nf.end else \
                f"for {r.variable} ∈ [{_fmt(nf.start)}, {_fmt(nf.end)}]"
            L.append(f"    {nf.what} is {_fmt(nf.example)} {where}")
    td = r.target_dependence
    if td is not None and td.kind != "none":
        L.append(f"  target dependence: {td.description}")
        L.append("    gradient at " + ", ".join(f"{r.variable} = {_fmt(p)}" for p in td.points) + ":")
        for t, row in td.table.items():
            ks = td.kinks.get(t, ())
            L.append(f"      target {_fmt(t):>6}: " + ", ".join(f"{_fmt(x):>10}" for x in row)
                     + (f"   kinks at {', '.join(_fmt(k) for k in ks)}" if ks else ""))
    if r.surrogates:
        L.append("  smooth surrogates (each checked to approach the original as its knob → limit):")
        for s in r.surrogates:
            diffs = ", ".join(f"{_fmt(d)}" for d in s.max_diffs)
            L.append(f"    {s.replaces} → {s.name} [{s.smoothness}]: {s.expression}")
            if s.replaces == "sign":  # a jump: the sup distance stays ~1, the mean distance shrinks
                diffs = ", ".join(f"{_fmt(d)}" for d in s.mean_diffs)
            what = "mean |diff|" if s.replaces == "sign" else "max |diff|"
            L.append(f"      {s.knob} = {', '.join(_fmt(k) for k in s.knob_values)} ({s.limit}): "
                     f"{what} = {diffs} → {'converges' if s.converges else 'DOES NOT converge'}")
        if any(s.replaces == "maximum" for s in r.surrogates):
            L.append("    (squared hinge max(0, u)**2 is also C1, but a different loss: it does not approach the hinge)")
    for note in r.notes:
        L.append(f"  note: {note}")
    return "\n".join(L)
