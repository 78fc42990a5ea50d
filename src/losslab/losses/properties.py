"""Numerical checks of a loss's declared properties: convexity, smoothness, growth, minimum.

The registry's metadata (:class:`~losslab.losses.registry.LossInfo`) says whether a loss is
convex, how smooth it is, how it grows for large errors and where its minimum is. This module
*measures* those properties on the loss itself, so that the metadata cannot lie:

* :func:`measure` probes any loss (a registered one or a user's function wrapped in a
  :class:`Probe`) and returns a :class:`Measurement`: convexity witnesses, the singular points it
  found (value jumps, kinks, second-derivative jumps), the growth class for large errors and the
  behaviour at a perfect prediction.
* :func:`verify_metadata` compares a measurement with a :class:`LossInfo` and returns
  :class:`Finding`\\ s — ``"error"`` where the declaration is contradicted, ``"warning"`` where a
  declared property could not be confirmed, ``"info"`` for what is worth knowing.

Everything is done along lines in input space, holding the target and the keyword arguments
fixed: φ(t) = Σ ℓ(x + t·d, y) for an example x from ``make_example`` and a direction d.

Convexity
    Second differences φ(t−h) − 2φ(t) + φ(t+h) on a grid of t, at two scales, along random,
    coordinate and error directions. A difference below −tol (tol ≈ 1e-9 × the magnitude of the
    summed loss terms, far above float64 rounding) that persists on a finer grid is a witness of
    non-convexity.
Smoothness
    On a coarse grid (129 points) the one-sided slopes (φ(tᵢ₊₁) − φ(tᵢ))/h and the second
    differences are computed; points where they change abruptly (spikes over the local median)
    are candidates. Each candidate is localized by zooming in (factor 4 per level, 4 levels) and
    classified. A slope jump (order 1, a kink: C⁰) or a curvature jump (order 2: C¹) is measured
    by M(w) = right − left difference quotients from stencils that leave out the middle of the
    window, at widths w/4, w and 4w: a jump J gives M(w) ≈ J + c·w, so the Richardson estimates
    (4M(w/4) − M(w))/3 and (4M(w) − M(4w))/3 agree on a non-zero J, whereas a smooth point gives
    M = O(w) (estimates near 0) and rounding noise grows like w⁻ᵏ (kept below a significance
    threshold of 10× the estimated rounding of Σ|ℓ|, plus 1e-7 (slopes) or 1e-6 (curvatures) of
    the largest value seen along the line). Failing both, a value jump (order 0: a
    discontinuity) is looked for: quadratic extrapolations to τ from either side (nodes outside
    the middle quarter) differ by V + O(w³), the same V at widths w/4 and w. Small value jumps
    (relative size ≤ 1e-6, e.g. a branch switch of an implementation, such as softplus's switch to
    x above its threshold of 20, which changes the value by 2e-9) are reported as ``info`` and
    not counted as kinks.
Growth
    φ(x + s·d) − φ(x) for s = 1, 2, 4, …, 4096 (times the input's scale); the local exponent
    log₂(g(2s)/g(s)) at the largest s gives quadratic ≈ 2, linear ≈ 1; below 0.6 the increments
    decide between logarithmic (roughly constant increments) and bounded (shrinking increments);
    overflow or an exponent above 6 is exponential. For probabilities the error grows by moving
    towards a corner of [0, 1]ⁿ, with s = 1/distance. The growth of a loss is its worst case over
    the directions tried (how hard an outlier can pull).
Minimum
    At ``make_perfect``: the gradient (autograd) vanishes (for C¹ and smoother losses), the
    central difference derivative vanishes along random directions, and the loss does not decrease
    along any of them (one-sided steps of 1e-4 to 1e-1).

Example:
    >>> import numpy as np
    >>> import losslab.losses as L
    >>> from losslab.losses.properties import verify_metadata
    >>> [f for f in verify_metadata(L.get("mse_loss"), np.random.default_rng(0)) if f.severity == "error"]
    []

Note:
    A numerical check can refute a declaration (one witness suffices) but never prove one:
    "convex" is confirmed only along the lines tried, and a kink of co-dimension ≥ 2 (e.g. a norm
    at 0) is almost never crossed by a random line. Hence "declared non-convex but no witness
    found" is a warning, not an error.
"""
from __future__ import annotations

import math
import time
import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..autograd.engine import no_grad
from ..autograd.tensor import Tensor

__all__ = [
    "Finding", "Probe", "Measurement", "Singularity", "ConvexityWitness", "GrowthEstimate",
    "MinimumCheck", "measure", "verify_metadata", "errors", "GROWTH_ORDER", "classify_growth",
]

_EPS = float(np.finfo(np.float64).eps)
#: Rounding of a summed loss: a few ulps of every term (and of the intermediates of its ops).
_NOISE_ULPS = 64.0
#: Growth classes from gentlest to steepest (the worst case over directions is reported).
GROWTH_ORDER = ("bounded", "logarithmic", "linear", "quadratic", "super-quadratic", "exponential")
SEVERITIES = ("error", "warning", "info")
#: Seconds per evaluation above which a loss is probed more lightly (one example, coarser grids).
_SLOW_EVAL_S = 4e-4


# ============================================================================ results
@dataclass(frozen=True)
class Finding:
    """One result of :func:`verify_metadata`.

    Attributes:
        loss: the loss's name.
        check: ``"convexity"``, ``"smoothness"``, ``"growth"``, ``"robustness"``, ``"minimum"``,
            ``"consistency"`` (declarations that contradict each other) or ``"probe"``.
        severity: ``"error"`` (the declaration is contradicted), ``"warning"`` (a declared property
            was not confirmed) or ``"info"``.
        message: what was declared, what was measured, and where.
    """

    loss: str
    check: str
    severity: str
    message: str

    def __str__(self) -> str:
        return f"[{self.severity}] {self.loss} / {self.check}: {self.message}"


@dataclass(frozen=True)
class ConvexityWitness:
    """A negative second difference: φ(t−h) − 2φ(t) + φ(t+h) = ``second_difference`` < −``tol``."""

    line: str
    t: float
    h: float
    second_difference: float
    tol: float


@dataclass(frozen=True)
class Singularity:
    """A point of a line where the value (order 0), slope (1) or curvature (2) jumps by ``size``."""

    line: str
    t: float
    order: int
    size: float
    relative: float  # size relative to the scale of the value/slope/curvature along the line


@dataclass(frozen=True)
class GrowthEstimate:
    """The growth class along one direction, with the last local exponent log₂(g(2s)/g(s))."""

    line: str
    growth: str
    exponent: float


@dataclass(frozen=True)
class MinimumCheck:
    """What was found at the perfect prediction: ``problems`` is empty when it is a minimum."""

    grad_max: float
    value: float
    problems: tuple = ()
    kink_like: bool = False  # one-sided slopes are positive in both directions (a kink minimum)


@dataclass
class Measurement:
    """What :func:`measure` found for one loss."""

    name: str
    lines: int = 0
    convexity_witnesses: list = field(default_factory=list)
    singularities: list = field(default_factory=list)
    growth: str | None = None
    growth_estimates: list = field(default_factory=list)
    minimum: MinimumCheck | None = None
    notes: list = field(default_factory=list)

    @property
    def convex(self) -> bool:
        """No witness of non-convexity was found (along the lines tried)."""
        return not self.convexity_witnesses

    @property
    def smoothness(self) -> str:
        """C0 if a kink (or a discontinuity) was found, C1 if only second-derivative jumps, else Cinf."""
        orders = {s.order for s in self.singularities if s.order > 0 or s.relative > 1e-6}
        if orders & {0, 1}:
            return "C0"
        return "C1" if 2 in orders else "Cinf"

    def discontinuities(self, numerical: bool = False) -> list:
        """Value jumps: the large ones, or with ``numerical=True`` the tiny ones (rounding-size
        branch switches of the implementation)."""
        return [s for s in self.singularities if s.order == 0 and ((s.relative <= 1e-6) == numerical)]


# ============================================================================ probe
@dataclass(frozen=True)
class Probe:
    """What :func:`measure` needs of a loss; build one from a LossInfo or for any function.

    Args:
        name: a label for messages.
        fn: ``fn(input, target, reduction=..., **kwargs)`` returning a Tensor.
        make_example: ``(rng, dtype) -> (input, target, kwargs)``, a valid random example.
        input_kind: ``"probabilities"`` keeps the input in [0, 1], ``"rates"`` keeps it ≥ 0;
            any other kind is unconstrained (points where ``fn`` raises ValueError or returns a
            non-finite value are treated as outside the domain).
        make_perfect: ``(rng, dtype) -> (input, target, kwargs)`` at a minimizer, or None.
    """

    name: str
    fn: Callable
    make_example: Callable
    input_kind: str = "real"
    make_perfect: Callable | None = None

    @classmethod
    def from_info(cls, info) -> "Probe":
        return cls(name=info.name, fn=info.fn, make_example=info.make_example,
                   input_kind=info.input_kind, make_perfect=info.make_perfect)


class _Line:
    """φ(t) = Σ ℓ(x₀ + t·d, y) (reduction "none", summed here), memoized, with the magnitude
    Σ|ℓ| that sets the rounding scale. Invalid points give nan, overflow +inf."""

    def __init__(self, fn, x0: np.ndarray, y, kw: dict, d: np.ndarray, label: str):
        self.fn, self.x0, self.y, self.kw, self.d, self.label = fn, x0, y, kw, d, label
        self._cache: dict = {}

    def point(self, t: float) -> np.ndarray:
        return self.x0 + t * self.d

    def eval(self, t: float) -> tuple:
        t = float(t)
        hit = self._cache.get(t)
        if hit is not None:
            return hit
        res = _evaluate(self.fn, self.point(t), self.y, self.kw)
        self._cache[t] = res
        return res

    def values(self, ts) -> tuple:
        pairs = [self.eval(t) for t in ts]
        return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def _evaluate(fn, x: np.ndarray, y, kw: dict) -> tuple:
    """(Σℓ, Σ|ℓ|) at input x; (nan, nan) outside the domain, (inf, inf) on overflow."""
    try:
        with no_grad(), np.errstate(all="ignore"):
            out = fn(Tensor(np.array(x, dtype=np.float64)), y, reduction="none", **kw)
    except (ValueError, ArithmeticError):
        return math.nan, math.nan
    a = np.asarray(out.data if isinstance(out, Tensor) else out, dtype=np.float64)
    with np.errstate(all="ignore"):
        v, s = float(a.sum()), float(np.abs(a).sum())
    if math.isnan(v):
        return math.nan, math.nan
    if math.isinf(v):
        return (math.inf, math.inf) if v > 0 else (math.nan, math.nan)
    return v, s


def _rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(a)))) if a.size else 0.0


def _unit(d: np.ndarray) -> np.ndarray:
    r = _rms(d)
    return d / r if r > 0 else d


def _as_array(t) -> np.ndarray:
    return np.array(t.data if isinstance(t, Tensor) else t, dtype=np.float64)


# ============================================================================ lines
def _projections(x0: np.ndarray) -> list:
    """Ways to make a direction admissible: as is, then zero-sum along a class dimension (for
    losses that insist on normalized rows)."""
    opts = [None]
    for ax in (1, -1, 0):
        if x0.ndim > (ax if ax >= 0 else -ax - 1) and ax not in opts:
            opts.append(ax)
    return opts


def _project(d: np.ndarray, axis) -> np.ndarray:
    if axis is None:
        return d
    return d - d.mean(axis=axis, keepdims=True)


def _box(kind: str):
    if kind == "probabilities":
        return 1e-3, 1 - 1e-3
    if kind == "rates":
        return 1e-3, math.inf
    return -math.inf, math.inf


def _box_interval(x0, d, lo, hi, R):
    """The t-interval ⊂ [−R, R] keeping x₀ + t·d inside [lo, hi] elementwise."""
    a, b = -R, R
    with np.errstate(divide="ignore", invalid="ignore"):
        for bound in (lo, hi):
            if not math.isfinite(bound):
                continue
            nz = d != 0
            tb = (bound - x0[nz]) / d[nz]
            pos = d[nz] > 0
            if bound == lo:  # x0 + t d >= lo
                if np.any(pos):
                    a = max(a, float(np.max(tb[pos])))
                if np.any(~pos):
                    b = min(b, float(np.min(tb[~pos])))
            else:  # x0 + t d <= hi
                if np.any(pos):
                    b = min(b, float(np.min(tb[pos])))
                if np.any(~pos):
                    a = max(a, float(np.max(tb[~pos])))
    return a, b


def _valid(line: _Line, t: float) -> bool:
    return math.isfinite(line.eval(t)[0])


def _valid_end(line: _Line, end: float, iters: int = 12) -> float:
    """The far end of the valid part of [0, end] (the domain is assumed convex along the line):
    ``end`` itself if valid, else 0.9 × the boundary found by bisection."""
    if _valid(line, end):
        return end
    good, bad = 0.0, end
    for _ in range(iters):
        mid = 0.5 * (good + bad)
        if _valid(line, mid):
            good = mid
        else:
            bad = mid
    return 0.9 * good


def _make_line(probe: Probe, x0, y, kw, d, R, label):
    """A line through x₀ along an admissible version of d and its valid t-interval [a, b] ∋ 0
    (None if no admissible direction exists)."""
    lo, hi = _box(probe.input_kind)
    for axis in _projections(x0):
        dd = _unit(_project(d, axis))
        if not np.any(dd):
            continue
        a, b = _box_interval(x0, dd, lo, hi, R)
        if not (a < 0 < b):
            continue
        line = _Line(probe.fn, x0, y, kw, dd, label + ("" if axis is None else f" (zero-sum along dim {axis})"))
        small = 1e-3 * min(-a, b)
        if not all(_valid(line, t) for t in (-small, 0.0, small)):
            continue
        a, b = _valid_end(line, a), _valid_end(line, b)
        if a < 0 < b:
            return line, a, b
    return None


def _directions(rng, x0: np.ndarray, y, n_random: int, n_coord: int, error: bool) -> list:
    """Labelled directions: Gaussian, single coordinates and the error x₀ − y."""
    out = [(f"random direction {k + 1}", rng.normal(size=x0.shape)) for k in range(n_random)]
    for k in range(n_coord):
        d = np.zeros(x0.shape)
        idx = tuple(int(rng.integers(0, n)) for n in x0.shape) if x0.ndim else ()
        d[idx] = 1.0
        out.append((f"coordinate {idx}", d))
    if error:
        ya = _as_array(y)
        if ya.shape == x0.shape and np.any(x0 != ya):
            out.append(("error direction x − y", x0 - ya))
    return out


def _scale(x0: np.ndarray, kind: str) -> float:
    if kind == "probabilities":
        return 1.0
    return max(1.0, _rms(x0))


# ============================================================================ convexity
def _convexity_on_line(line: _Line, a: float, b: float, n: int) -> ConvexityWitness | None:
    ts = np.linspace(a, b, n)
    v, s = line.values(ts)
    if not np.all(np.isfinite(v)):
        return None
    h = float(ts[1] - ts[0])
    d2 = v[:-2] - 2 * v[1:-1] + v[2:]
    tol = 1e-9 * (s[:-2] + 2 * s[1:-1] + s[2:]) + 1e-300
    bad = np.flatnonzero(d2 < -tol)
    for i in bad[np.argsort(d2[bad] / tol[bad])][:3]:
        t = float(ts[i + 1])
        # confirm on a grid 4x finer around t (rounding artefacts do not survive refinement)
        sub = np.linspace(t - h, t + h, 9)
        sv, ss = line.values(sub)
        sd2 = sv[:-2] - 2 * sv[1:-1] + sv[2:]
        stol = 1e-9 * (ss[:-2] + 2 * ss[1:-1] + ss[2:]) + 1e-300
        k = int(np.argmin(sd2 / stol))
        if sd2[k] < -stol[k]:
            return ConvexityWitness(line.label, t, h, float(d2[i]), float(tol[i]))
    return None


# ============================================================================ smoothness
def _noise(s: float) -> float:
    return _NOISE_ULPS * _EPS * (abs(s) + 1e-300)


def _jump_measure(line: _Line, tau: float, w: float, order: int) -> tuple:
    """(signed jump measure M_k(w), rounding noise of it, local magnitude)."""
    if order == 1:
        pts = [tau - w / 2, tau - w / 4, tau + w / 4, tau + w / 2]
        (v0, s0), (v1, s1), (v2, s2), (v3, s3) = (line.eval(t) for t in pts)
        S = max(s0, s1, s2, s3)
        return (v3 - v2) / (w / 4) - (v1 - v0) / (w / 4), 16 * _noise(S) / w, S
    g = w / 8
    pts = [tau - w / 2, tau - w / 2 + g, tau - w / 4, tau + w / 4, tau + w / 2 - g, tau + w / 2]
    vals = [line.eval(t) for t in pts]
    v = [p[0] for p in vals]
    S = max(p[1] for p in vals)
    left = (v[0] - 2 * v[1] + v[2]) / g**2
    right = (v[3] - 2 * v[4] + v[5]) / g**2
    return right - left, 512 * _noise(S) / w**2, S


def _irregularity(ts: np.ndarray, v: np.ndarray, order: int) -> tuple:
    """|change| of the order-k difference quotient between neighbouring stencils, and where."""
    h = ts[1] - ts[0]
    if order == 1:
        s = np.diff(v) / h
        return np.abs(np.diff(s)), ts[1:-1]
    c = (v[:-2] - 2 * v[1:-1] + v[2:]) / h**2
    return np.abs(np.diff(c)), (ts[1:-2] + ts[2:-1]) / 2


def _localize(line: _Line, center: float, half: float, order: int, levels: int, n: int = 17):
    for _ in range(levels):
        ts = np.linspace(center - half, center + half, n)
        v, _s = line.values(ts)
        if not np.all(np.isfinite(v)):
            return None
        irr, where = _irregularity(ts, v, order)
        # the middle of the first top plateau (a jump on a grid node spreads evenly over
        # neighbours; a second singularity as large elsewhere in the window is left alone)
        j = k = int(np.argmax(irr))
        while k + 1 < len(irr) and irr[k + 1] >= (1 - 1e-6) * irr[j]:
            k += 1
        center = float(0.5 * (where[j] + where[k]))
        half = 2 * (ts[1] - ts[0])
    return center, half


def _extrapolation_gap(line: _Line, tau: float, w: float) -> tuple:
    """Quadratic extrapolation to τ from the right (τ + w/4, 3w/8, w/2) minus that from the left:
    a value jump V at τ gives V + O(w³); returns (gap, rounding noise, magnitude)."""
    u = w / 8
    vals = {k: line.eval(tau + k * u) for k in (-4, -3, -2, 2, 3, 4)}
    S = max(p[1] for p in vals.values())
    v = {k: p[0] for k, p in vals.items()}
    right = 6 * v[2] - 8 * v[3] + 3 * v[4]  # Lagrange weights at 0 of the nodes 2u, 3u, 4u
    left = 6 * v[-2] - 8 * v[-3] + 3 * v[-4]
    return right - left, 34 * _noise(S), S


def _value_jump(line: _Line, tau: float, w: float) -> Singularity | None:
    """A value jump at τ: the extrapolation gap is significant and the same at widths w/4 and w
    (a smooth point's gap shrinks like w³). Only asked where no kink or curvature jump is."""
    g0, noise, S = _extrapolation_gap(line, tau, w / 4)
    g1, _n, _S = _extrapolation_gap(line, tau, w)
    if not (math.isfinite(g0) and math.isfinite(g1)):
        return None
    if abs(g0) > 10 * noise + 1e-13 * (S + 1.0) and abs(g0 - g1) <= 0.25 * abs(g0):
        return Singularity(line.label, float(tau), 0, float(abs(g0)), float(abs(g0) / (S + 1e-300)))
    return None


def _classify(line: _Line, tau: float, w: float, scales: dict) -> Singularity | None:
    """The lowest order k with a significant jump at τ: order 0 by bisection, orders 1 and 2
    by jump measures at widths w/4, w, 4w whose stencils avoid the middle quarter around τ and
    tend to the jump as the width shrinks."""
    for order in (1, 2):
        ms = [_jump_measure(line, tau, ww, order) for ww in (w / 4, w, 4 * w)]
        (m0, noise, _S), (m1, _n1, _S1), (m2, _n2, _S2) = ms
        if not all(math.isfinite(v) for v in (m0, m1, m2)):
            return None
        floor = 1e-7 * scales[1] if order == 1 else 1e-6 * scales[2]
        if abs(m0) <= 10 * noise + floor:
            continue
        # Richardson on two pairs of widths: M(w) = J + c·w gives the same J from both; a smooth
        # point whose measure merely bends (M not linear in w) or rounding noise does not
        ja, jb = (4 * m0 - m1) / 3, (4 * m1 - m2) / 3
        if abs(ja) <= 10 * noise + floor:
            continue
        if 0.5 <= ja / m0 <= 1.1 and 0.5 <= jb / m1 <= 1.1 and abs(ja - jb) <= 0.25 * max(abs(ja), abs(jb)):
            return Singularity(line.label, float(tau), order, float(abs(ja)), float(abs(ja) / scales[order]))
    # no slope or curvature jump (their stencils leave out the middle, so a value jump there does
    # not disturb them): is it a value jump?
    return _value_jump(line, tau, w)


def _candidates(ts, v, s, order: int, k: int, scale: float) -> list:
    """Grid points where the order-k difference quotient changes abruptly (spikes of the
    irregularity over its local median, beyond rounding and the significance floor), largest
    first."""
    irr, where = _irregularity(ts, v, order)
    h = ts[1] - ts[0]
    noise = (8 * _noise(float(np.max(s))) / h) if order == 1 else (16 * _noise(float(np.max(s))) / h**2)
    floor = 10 * noise + (1e-7 if order == 1 else 1e-6) * scale
    n = len(irr)
    out = []
    for i in range(2, n - 2):
        nb = np.concatenate([irr[max(0, i - 4):i - 1], irr[i + 2:i + 5]])
        med = float(np.median(nb)) if nb.size else 0.0
        excess = irr[i] - med
        if excess > 0.25 * med and irr[i] >= irr[i - 1] and irr[i] >= irr[i + 1] and excess > floor:
            out.append((excess, float(where[i])))
    out.sort(reverse=True)
    return [t for _e, t in out[:k]]


def _smoothness_on_line(line: _Line, a: float, b: float, n: int, k: int, stop_at_kink: bool) -> list:
    ts = np.linspace(a, b, n)
    v, sv = line.values(ts)
    if not np.all(np.isfinite(v)):
        return []
    h = float(ts[1] - ts[0])
    slopes = np.diff(v) / h
    curv = (v[:-2] - 2 * v[1:-1] + v[2:]) / h**2
    scales = {1: float(np.max(np.abs(slopes))) + 1e-300, 2: float(np.max(np.abs(curv))) + 1e-300}
    found, seen = [], []
    levels = 4
    for order in (1, 2):
        for t in _candidates(ts, v, sv, order, k, scales[order]):
            if any(abs(t - u) < 3 * h for u in seen):
                continue
            seen.append(t)
            half = 2 * h
            if t - 4 * half < a or t + 4 * half > b:
                continue
            loc = _localize(line, t, half, order, levels)
            if loc is None:
                continue
            tau, half = loc
            # the singularity lies within ±0.75·half of τ, inside the ±w/16 left out by the
            # smallest stencil (w/4); the largest (4w = h/2) keeps neighbouring ones out
            w = 16 * half
            sing = _classify(line, tau, w, scales)
            if sing is not None:
                found.append(sing)
                if stop_at_kink and sing.order == 1:
                    return found
    return found


# ============================================================================ growth
def classify_growth(s: np.ndarray, g: np.ndarray, overflowed: bool = False) -> tuple:
    """Growth class of g(s) = φ(s) − φ(0) sampled at s = 2ᵏ: (class, last local exponent)."""
    if overflowed and len(g) >= 2 and g[-1] > g[-2] > 0:
        with np.errstate(all="ignore"):
            p = np.log2(g[1:] / g[:-1]) / np.log2(s[1:len(g)] / s[:len(g) - 1])
        if len(g) < 4 or np.nanmax(p[-3:]) > 3:
            return "exponential", math.inf
        # overflow after polynomial growth: an implementation that overflows, not e^s growth
    if len(g) < 4 or not (g[-1] > 0 and g[-2] > 0 and g[-3] > 0):
        return None, math.nan
    if not g[-1] > g[-2]:
        # saturated: bounded if the loss has levelled off (within rounding), else it is falling
        flat = abs(g[-1] - g[-2]) <= 1e-9 * abs(g[-1]) and abs(g[-2] - g[-3]) <= 1e-6 * abs(g[-1])
        return ("bounded", 0.0) if flat else (None, math.nan)
    with np.errstate(all="ignore"):
        p = np.log2(g[1:] / g[:-1]) / np.log2(s[1:] / s[:-1])
    p_last = float(p[-1])
    if np.nanmax(np.where(np.isfinite(p[-4:]), p[-4:], -np.inf)) > 6 or (p_last > 2.6 and p[-1] > p[-2] + 0.5):
        return "exponential", p_last
    if p_last > 2.6:
        return "super-quadratic", p_last
    if p_last > 1.5:
        return "quadratic", p_last
    if p_last > 0.6:
        return "linear", p_last
    inc = np.diff(g)
    r = inc[-1] / inc[-2] if inc[-2] > 0 else 0.0
    return ("logarithmic" if r > 0.75 else "bounded"), p_last


def _growth_ray(probe: Probe, x0, y, kw, d, label, unit: float, kmax: int = 12, kmax_slow: int = 30):
    base = _evaluate(probe.fn, x0, y, kw)[0]
    if not math.isfinite(base):
        return None
    s = unit * 2.0 ** np.arange(kmax_slow + 1)
    g, overflowed = [], False
    for k, si in enumerate(s):
        if k > kmax:
            # sub-linear so far: go further out, so that a bounded loss whose slowest component
            # (a small entry of d) has not yet saturated is not mistaken for a logarithmic one
            cls, _p = classify_growth(s[:len(g)], np.array(g))
            if cls not in ("bounded", "logarithmic"):
                break
        xs = x0 + si * d
        v, mag = _evaluate(probe.fn, xs, y, kw)
        if math.isinf(v):
            overflowed = True
            break
        if math.isnan(v):
            if k > kmax:
                break
            return None  # leaves the domain: not a direction for growth
        # a change within the rounding of inputs this large is no growth (e.g. a loss invariant
        # to a uniform shift of the logits)
        noise = 1e3 * _EPS * (mag + abs(base) + float(np.abs(xs).sum()))
        g.append(v - base if abs(v - base) > noise else 0.0)
    g = np.array(g)
    cls, p = classify_growth(s[:len(g)], g, overflowed)
    if cls is None:
        return None
    if overflowed and cls != "exponential":
        label += f" (overflows to inf at s = {s[len(g)]:g} although it grows {cls})"
    return GrowthEstimate(label, cls, p)


def _growth_to_corner(probe: Probe, x0, y, kw, corner, label, kmax: int = 30):
    """Probabilities: move towards a corner of the box; s = 1/distance."""
    base = _evaluate(probe.fn, x0, y, kw)[0]
    if not math.isfinite(base):
        return None
    r = 2.0 ** -np.arange(1, kmax + 1)
    g = []
    for ri in r:
        v = _evaluate(probe.fn, corner + ri * (x0 - corner), y, kw)[0]
        if not math.isfinite(v):
            return None
        g.append(v - base)
    cls, p = classify_growth(1 / r, np.array(g))
    return None if cls is None else GrowthEstimate(label, cls, p)


# ============================================================================ minimum
def _minimum(probe: Probe, rng, smooth: bool | None) -> MinimumCheck | None:
    """At ``make_perfect``: the loss does not decrease along admissible directions, and (for a
    smooth loss) the gradient vanishes — within the domain: at a box boundary only an outward
    gradient is allowed, and for normalized rows only the part along the simplex counts."""
    if probe.make_perfect is None:
        return None
    x, y, kw = probe.make_perfect(rng, np.float64)
    kw = {k: v for k, v in kw.items() if k != "reduction"}
    x0 = _as_array(x)
    xt = Tensor(x0.copy(), requires_grad=True)
    out = probe.fn(xt, y, reduction="sum", **kw)
    out.backward()
    grad = np.asarray(xt.grad.data if isinstance(xt.grad, Tensor) else xt.grad, dtype=np.float64)
    v0, s0 = _evaluate(probe.fn, x0, y, kw)
    problems = []
    lo, hi = _box(probe.input_kind)
    if probe.input_kind == "probabilities":
        lo, hi = 0.0, 1.0
    scale = _scale(x0, probe.input_kind)
    tol = 1e-11 * (1 + s0) + 10 * _noise(s0)

    def inward(d):
        if math.isfinite(lo):
            d = np.where(x0 <= lo, np.abs(d), d)
        if math.isfinite(hi):
            d = np.where(x0 >= hi, -np.abs(d), d)
        return d

    def admissible(xp):
        return not (np.any(xp < lo) or np.any(xp > hi)) and math.isfinite(_evaluate(probe.fn, xp, y, kw)[0])

    # the admissible kind of direction: free, or zero-sum along a class dimension
    axis = None
    for ax in _projections(x0):
        d = inward(_unit(_project(rng.normal(size=x0.shape), ax)))
        if np.any(d) and admissible(x0 + 1e-4 * scale * d):
            axis = ax
            break
    g = _project(grad, axis) if axis is not None else grad
    interior = np.ones(x0.shape, bool)
    viol = np.zeros(x0.shape)
    if math.isfinite(lo):
        at = x0 <= lo
        interior &= ~at
        viol = np.where(at, np.maximum(-g, 0.0), viol)
    if math.isfinite(hi):
        at = x0 >= hi
        interior &= ~at
        viol = np.where(at, np.maximum(g, 0.0), viol)
    viol = np.where(interior, np.abs(g), viol)
    gmax = float(np.max(viol)) if viol.size else 0.0
    if smooth and gmax > 1e-7 * (1 + s0) / scale:
        problems.append(f"the gradient at the perfect prediction is not zero (max |∂ℓ/∂x| = {gmax:.3g}"
                        + ("" if axis is None else f", along the simplex of dim {axis}") + ")")
    kink_like = False
    for k in range(6):
        d = inward(_unit(_project(rng.normal(size=x0.shape), axis)))
        slopes = {}
        for sign in (1, -1):
            dd = inward(sign * d)
            for h in (1e-5, 1e-4, 1e-3, 1e-2, 1e-1):
                xp = x0 + h * scale * dd
                if np.any(xp < lo) or np.any(xp > hi):
                    continue
                v = _evaluate(probe.fn, xp, y, kw)[0]
                if not math.isfinite(v):
                    continue
                if v < v0 - tol:
                    problems.append(f"the loss decreases from {v0:.10g} to {v:.10g} at a step of "
                                    f"{h * scale:g} along random direction {k + 1}")
                    break
                if h <= 1e-4:
                    slopes[sign, h] = (v - v0) / (h * scale)
        # a kink minimum: one-sided slopes that do not shrink with the step, on both sides (not
        # judged on a box boundary, where "both sides" are both inwards)
        floor = 1e-6 * (1 + s0) / scale
        if np.all(interior) and all(((sg, h) in slopes) for sg in (1, -1) for h in (1e-5, 1e-4)):
            if all(slopes[sg, 1e-5] > floor and slopes[sg, 1e-5] > 0.5 * slopes[sg, 1e-4] for sg in (1, -1)):
                kink_like = True
    return MinimumCheck(grad_max=gmax, value=v0, problems=tuple(problems[:3]), kink_like=kink_like)


# ============================================================================ measure
def _rng(rng, name: str) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    seed = zlib.crc32(name.encode()) if rng is None else int(rng)
    return np.random.default_rng(seed)


def measure(probe, rng=None, *, n_examples: int = 2, checks=("convexity", "smoothness", "growth", "minimum"),
            want_kink: bool = False, smooth_minimum: bool | None = None, effort: str = "full") -> Measurement:
    """Measure convexity, smoothness, growth and the perfect-prediction minimum of a loss.

    Args:
        probe: a :class:`Probe` or a LossInfo.
        rng: a numpy Generator, a seed, or None (a seed derived from the loss's name).
        n_examples: examples drawn from ``make_example``; every check runs on each.
        checks: which of "convexity", "smoothness", "growth", "minimum" to run.
        want_kink: stop the smoothness search at the first kink (enough to confirm C⁰).
        smooth_minimum: require a zero autograd gradient at the perfect prediction (default:
            when no kink was found).
        effort: "full"; "light" (one example, coarser grids: for slow losses); or "auto"
            (light when one evaluation takes over 0.4 ms — then results depend on the machine's
            speed, so tests use "full").

    Returns:
        A :class:`Measurement`.
    """
    if effort not in ("full", "light", "auto"):
        raise ValueError(f"measure: effort must be 'full', 'light' or 'auto', got {effort!r}")
    if not isinstance(probe, Probe):
        probe = Probe.from_info(probe)
    rng = _rng(rng, probe.name)
    m = Measurement(probe.name)
    light = False
    for e in range(n_examples):
        if light and e > 0:
            break
        x, y, kw = probe.make_example(rng, np.float64)
        kw = {k: v for k, v in kw.items() if k != "reduction"}
        x0 = _as_array(x)
        if not math.isfinite(_evaluate(probe.fn, x0, y, kw)[0]):
            m.notes.append(f"example {e + 1}: the loss is not finite at make_example's input")
            continue
        R = 3.0 * _scale(x0, probe.input_kind)
        tag = f"example {e + 1}, "
        if e == 0 and effort == "auto":  # a slow loss (e.g. a Python loop) gets a lighter probe
            t0 = time.perf_counter()
            for _ in range(3):
                _evaluate(probe.fn, x0, y, kw)
            light = (time.perf_counter() - t0) / 3 > _SLOW_EVAL_S
        elif e == 0:
            light = effort == "light"
        if e == 0 and light:
            m.notes.append("light probe: one example and coarser grids were used")
        if "convexity" in checks:
            for scale, n_random, error in ((R, 2, True), (10 * R, 1, False)):
                for label, d in _directions(rng, x0, y, n_random, 1, error=error):
                    made = _make_line(probe, x0, y, kw, d, scale, tag + label)
                    if made is None:
                        continue
                    m.lines += 1
                    w = _convexity_on_line(*made, n=33 if light else 65)
                    if w is not None:
                        m.convexity_witnesses.append(w)
        if "smoothness" in checks and not (want_kink and any(s.order == 1 for s in m.singularities)):
            for label, d in _directions(rng, x0, y, 2, 0, error=False):
                made = _make_line(probe, x0, y, kw, d, R, tag + label)
                if made is None:
                    continue
                m.lines += 1
                m.singularities += _smoothness_on_line(*made, n=65 if light else 129, k=2 if light else 3,
                                                       stop_at_kink=want_kink)
                if want_kink and any(s.order == 1 for s in m.singularities):
                    break
        if "growth" in checks:
            m.growth_estimates += _growth_estimates(probe, rng, x0, y, kw, tag)
    if m.growth_estimates:
        m.growth = max((g.growth for g in m.growth_estimates), key=GROWTH_ORDER.index)
    if "minimum" in checks:
        smooth = smooth_minimum if smooth_minimum is not None else m.smoothness != "C0"
        m.minimum = _minimum(probe, rng, smooth)
    return m


def _growth_estimates(probe: Probe, rng, x0, y, kw, tag: str) -> list:
    out = []
    if probe.input_kind == "probabilities":
        ya = _as_array(y)
        same = ya.shape == x0.shape
        corners = [("corner away from the target", 1.0 - np.round(ya))] if same else []
        corners += [(f"random corner {k + 1}", (rng.random(x0.shape) < 0.5).astype(float)) for k in range(3)]
        # vertices of the simplex along a class dimension (for losses that need normalized rows)
        for axis in {a for a in (1, -1) if x0.ndim >= 2} | ({0} if x0.ndim == 1 else set()):
            far = np.argmin(ya, axis=axis) if same else rng.integers(0, x0.shape[axis], np.delete(x0.shape, axis))
            onehot = np.moveaxis(np.eye(x0.shape[axis])[far], -1, axis)
            corners.append((f"simplex vertex along dim {axis}", onehot))
        for label, c in corners:
            est = _growth_to_corner(probe, x0, y, kw, c, tag + label)
            if est is not None:
                out.append(est)
        return out
    unit = _scale(x0, probe.input_kind)
    dirs = _directions(rng, x0, y, 2, 1, error=True) + [("uniform shift (all ones)", np.ones(x0.shape))]
    for label, d in dirs:
        d = _unit(d)
        if probe.input_kind == "rates":
            d = np.abs(d)
        for sign, name in ((1, ""), (-1, "minus ")):
            est = _growth_ray(probe, x0, y, kw, sign * d, tag + name + label, unit)
            if est is not None:
                out.append(est)
    return out


# ============================================================================ verify
def _robust_consistent(robust, growth: str) -> str | None:
    if robust is True and growth not in ("bounded", "logarithmic"):
        return f"robust_to_outliers=True (bounded pull) but growth is {growth!r}"
    if robust == "partial" and growth in ("quadratic", "super-quadratic", "exponential", "bounded"):
        return f"robust_to_outliers='partial' (linear growth, bounded gradient) but growth is {growth!r}"
    if robust is False and growth == "bounded":
        return "robust_to_outliers=False but growth is 'bounded' (a bounded loss caps an outlier's pull)"
    return None


def verify_metadata(info, rng=None, *, n_examples: int = 2, effort: str = "full") -> list:
    """Check a LossInfo's declared convexity, smoothness, growth and minimum numerically.

    Args:
        info: a :class:`~losslab.losses.registry.LossInfo`.
        rng: a numpy Generator, a seed, or None (seeded from the name: reproducible).
        n_examples: examples drawn from ``info.make_example``.
        effort: "full", "light" or "auto" (see :func:`measure`).

    Returns:
        A list of :class:`Finding`; ``[f for f in findings if f.severity == "error"]`` is empty
        when nothing contradicts the declaration.

    Example:
        >>> import losslab.losses as L
        >>> errors(verify_metadata(L.get("binary_cross_entropy_with_logits"), 0))
        []
    """
    name = info.name
    findings = []

    def add(check, severity, message):
        findings.append(Finding(name, check, severity, message))

    # declarations that contradict each other
    if info.smoothness == "C0" and str(info.kinks).strip().lower() == "none":
        add("consistency", "error", "smoothness 'C0' declares kinks, but kinks is 'none'")
    if info.smoothness == "Cinf" and str(info.kinks).strip().lower() != "none":
        add("consistency", "warning", f"smoothness 'Cinf' but kinks = {info.kinks!r} (expected 'none')")
    msg = _robust_consistent(info.robust_to_outliers, info.growth)
    if msg:
        add("consistency", "error", msg)

    m = measure(info, _rng(rng, name), n_examples=n_examples, want_kink=info.smoothness == "C0",
                smooth_minimum=info.smoothness != "C0", effort=effort)
    for note in m.notes:
        add("probe", "info" if note.startswith("light probe") else "warning", note)
    if m.lines == 0:
        add("probe", "warning", "no admissible line through make_example's inputs: nothing was checked "
                                "(the input domain may not be a box; see properties.Probe)")
        return findings
    cond = f" (convex_conditions: {info.convex_conditions!r})" if info.convex_conditions else ""

    # convexity
    if info.convex and m.convexity_witnesses:
        w = min(m.convexity_witnesses, key=lambda w: w.second_difference / w.tol)
        add("convexity", "error",
            f"declared convex{cond}, but along {w.line} through a make_example input, "
            f"t ↦ L(x + t·d) has second difference {w.second_difference:.3g} < 0 (tolerance "
            f"{w.tol:.2g}) at t = {w.t:.4g} with step {w.h:.3g}, confirmed on a 4x finer grid "
            f"({len(m.convexity_witnesses)} line(s) with witnesses)")
    elif not info.convex and not m.convexity_witnesses:
        add("convexity", "warning",
            f"declared non-convex{cond}, but no negative second difference was found along the "
            f"lines tried; if the loss is convex in its input, declare convex=True")

    # smoothness
    big_jumps = m.discontinuities()
    tiny_jumps = m.discontinuities(numerical=True)
    kinks = [s for s in m.singularities if s.order == 1]
    c1 = [s for s in m.singularities if s.order == 2]
    if big_jumps:
        s = max(big_jumps, key=lambda s: s.relative)
        add("smoothness", "error", f"the loss is discontinuous: it jumps by {s.size:.3g} "
                                   f"(relative {s.relative:.2g}) at t = {s.t:.6g} along {s.line}")
    if tiny_jumps:
        s = max(tiny_jumps, key=lambda s: s.size)
        add("smoothness", "info", f"{len(tiny_jumps)} numerical value jump(s) of relative size ≤ 1e-6 "
                                  f"(largest {s.size:.2g} at t = {s.t:.6g} along {s.line}): a branch switch "
                                  f"of the implementation, not counted as a kink")
    if info.smoothness in ("C1", "Cinf") and kinks:
        s = max(kinks, key=lambda s: s.relative)
        add("smoothness", "error",
            f"declared {info.smoothness}, but the slope jumps by {s.size:.3g} (relative {s.relative:.2g}) at "
            f"t = {s.t:.6g} along {s.line}: a kink, so the loss is C0 (declared kinks: {info.kinks!r})")
    elif info.smoothness == "Cinf" and c1:
        s = max(c1, key=lambda s: s.relative)
        add("smoothness", "error",
            f"declared Cinf, but the second derivative jumps by {s.size:.3g} (relative {s.relative:.2g}) at "
            f"t = {s.t:.6g} along {s.line}: the loss is C1")
    elif info.smoothness == "C0" and not kinks:
        add("smoothness", "warning",
            f"declared C0 (kinks: {info.kinks!r}) but no slope jump was found along the lines tried"
            + (" (only second-derivative jumps: C1?)" if c1 else "")
            + "; a kink set of co-dimension ≥ 2 is rarely crossed by a random line")
    elif info.smoothness == "C1" and not c1:
        add("smoothness", "warning",
            f"declared C1 (kinks: {info.kinks!r}) but no second-derivative jump was found along the lines tried")

    # growth
    if m.growth is None:
        add("growth", "info", "the growth could not be measured along any direction tried")
    elif m.growth != info.growth:
        g = [g for g in m.growth_estimates if g.growth == m.growth][0]
        n = len(m.growth_estimates)
        steeper = GROWTH_ORDER.index(m.growth) > GROWTH_ORDER.index(info.growth)
        # a steeper growth is witnessed by one direction; a gentler one is the steepest found over
        # the directions tried — an error only when enough of them were measured
        severity = "error" if steeper or n >= 4 else "warning"
        what = "grows" if steeper else f"grows at most (over {n} growing directions)"
        add("growth", severity,
            f"declared growth {info.growth!r}, but the loss {what} {m.growth!r}, e.g. along {g.line} "
            f"(local exponent {g.exponent:.3g} of g(s) = L(x + s·d) − L(x) for s = 1, 2, 4, … × scale)")
        msg = _robust_consistent(info.robust_to_outliers, m.growth)
        if msg:
            add("robustness", severity, "measured: " + msg)

    # minimum
    if info.make_perfect is None:
        add("minimum", "info", "make_perfect is None (no stationary minimizer at finite inputs: the infimum is not attained, or only on the domain's boundary)")
    elif m.minimum is not None:
        for p in m.minimum.problems:
            add("minimum", "error", f"make_perfect is not a minimizer: {p}")
        if m.minimum.kink_like and info.smoothness != "C0":
            add("minimum", "error", f"declared {info.smoothness}, but the loss rises with a non-zero slope in "
                                    f"both directions from the perfect prediction (a kink minimum)")
    return findings


def errors(findings) -> list:
    """The findings of severity ``"error"``."""
    return [f for f in findings if f.severity == "error"]


def main(argv=None) -> int:
    """``python -m losslab.losses.properties [NAME ...]``: verify registered losses, print findings."""
    import argparse

    from . import available, get

    parser = argparse.ArgumentParser(prog="python -m losslab.losses.properties", description=main.__doc__)
    parser.add_argument("names", nargs="*", help="losses to check (default: all registered)")
    parser.add_argument("--all-findings", action="store_true", help="also print warnings and info")
    args = parser.parse_args(argv)
    bad = 0
    for name in args.names or available():
        fs = verify_metadata(get(name))
        shown = fs if args.all_findings else errors(fs)
        bad += bool(errors(fs))
        print(f"{name}: {'ok' if not errors(fs) else 'CONTRADICTED'}")
        for f in shown:
            print(f"    {f.severity}: {f.check}: {f.message}")
    return 1 if bad else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
