r"""Standard test surfaces of two variables for watching optimizers move.

Each builder returns a :class:`Surface`: callable on a losslab Tensor of shape ``(2,)`` (so
autograd gives its gradient, and :func:`losslab.optim.trace` can follow an optimizer on it), with
its known minima and other critical points, a suggested plotting domain, a suggested start, and
a vectorised NumPy evaluation for contour plots (``surface.grid()``).

==============================  ===========================================  =============================
surface                         f(x, y)                                      minima
==============================  ===========================================  =============================
``ill_conditioned_quadratic``   ½(u² + κ v²), (u, v) = (x, y) rotated by θ   (0, 0); Hessian eigenvalues 1, κ
``rosenbrock``                  (a − x)² + b (y − x²)²                       (a, a²) at the end of a curved valley
``beale``                       (1.5 − x + xy)² + (2.25 − x + xy²)²           (3, 0.5); flat plateaus, saddles
                                + (2.625 − x + xy³)²
``himmelblau``                  (x² + y − 11)² + (x + y² − 7)²               four, all with f = 0
``saddle``                      a x² − b y²                                  none (a saddle at the origin)
==============================  ===========================================  =============================

Example:
    >>> import losslab as ll
    >>> from losslab.optim import surfaces
    >>> s = surfaces.rosenbrock()
    >>> s
    Surface('rosenbrock', minima=[(1.0, 1.0)], domain=((-2.0, 2.0), (-1.0, 3.0)))
    >>> p = ll.tensor([-1.5, 2.0], dtype=ll.float64, requires_grad=True)
    >>> s(p).backward(); p.grad.data.tolist()
    [-155.0, -50.0]
    >>> s.value(1.0, 1.0)
    0.0
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..autograd import Tensor, tensor
from .schedules import _real

__all__ = ["Surface", "ill_conditioned_quadratic", "rosenbrock", "beale", "himmelblau", "saddle",
           "SURFACES", "get_surface"]


@dataclass(frozen=True, eq=False)
class Surface:
    r"""A function of two variables with its landmarks.

    Formula: ``f(x, y)`` as given by ``formula``; ``fn(x, y)`` uses only arithmetic operators, so
    it runs on losslab Tensors (with gradients) and on NumPy arrays alike.

    Args:
        name: the surface's name (its key in ``SURFACES``).
        formula: f in plain text.
        fn: ``f(x, y)``.
        minima: the global minimisers (empty if f is unbounded below).
        min_value: the minimal value (``-inf`` if unbounded below).
        points: other known points by name (saddles, local maxima, …).
        domain: ``((x_min, x_max), (y_min, y_max))``, a region that shows the landmarks.
        start: a suggested starting point for optimizers.
        params: the builder's parameters (and derived quantities such as a Hessian).

    Shape:
        ``surface(p)`` takes a Tensor (or array) of shape ``(2,)`` and returns a scalar;
        ``value(x, y)`` broadcasts arrays; ``grid(n)`` returns three ``(n, n)`` arrays.

    Example:
        >>> from losslab.optim.surfaces import himmelblau
        >>> s = himmelblau()
        >>> len(s.minima), s.value(3.0, 2.0), s.points['local maximum']
        (4, 0.0, (-0.270844590667, -0.92303855648))
    """

    name: str
    formula: str
    fn: Callable[[Any, Any], Any]
    minima: tuple[tuple[float, float], ...]
    min_value: float
    domain: tuple[tuple[float, float], tuple[float, float]]
    start: tuple[float, float]
    points: dict[str, tuple[float, float]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    def __call__(self, p: Any) -> Any:
        """f at ``p``: a losslab Tensor of shape ``(2,)`` (returns a 0-d Tensor with its graph),
        or anything array-like of shape ``(2,)`` (returns a float)."""
        if isinstance(p, Tensor):
            if tuple(p.shape) != (2,):
                raise ValueError(f"{self.name}: expected a point of shape (2,), got a Tensor of shape {tuple(p.shape)}")
            return self.fn(p[0], p[1])
        a = np.asarray(p, dtype=np.float64)
        if a.shape != (2,):
            raise ValueError(f"{self.name}: expected a point of shape (2,), got shape {a.shape}")
        return float(self.fn(a[0], a[1]))

    def value(self, x: Any, y: Any) -> Any:
        """f on NumPy arrays (broadcast), e.g. a meshgrid; a float for scalars."""
        out = self.fn(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        return float(out) if np.ndim(out) == 0 else out

    def grad(self, point: Any) -> np.ndarray:
        """∇f at ``point`` (shape ``(2,)``), by losslab autograd in float64."""
        p = tensor(np.asarray(point, dtype=np.float64).copy(), requires_grad=True)
        self(p).backward()
        return p.grad.data.copy()

    def grid(self, n: int = 200, domain: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(X, Y, Z)``: an ``n × n`` meshgrid over ``domain`` (default ``self.domain``) and f on it,
        ready for ``plt.contour(X, Y, Z)``."""
        (x0, x1), (y0, y1) = domain if domain is not None else self.domain
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        return X, Y, self.value(X, Y)

    def __repr__(self) -> str:
        mins = "[" + ", ".join(f"({x!r}, {y!r})" for x, y in self.minima) + "]"
        return f"Surface({self.name!r}, minima={mins}, domain={self.domain!r})"


def ill_conditioned_quadratic(cond: float = 50.0, angle: float = 0.0) -> Surface:
    r"""An ill-conditioned quadratic bowl: gradient descent zig-zags across it, momentum and
    per-coordinate methods do better.

    Formula: ``f = ½(u² + κ·v²)`` with ``u = x cos θ + y sin θ``, ``v = −x sin θ + y cos θ``; the
    Hessian has eigenvalues 1 and κ (condition number κ), plain gradient descent is stable for
    ``lr < 2/κ``.

    Args:
        cond: κ >= 1 (default 50).
        angle: θ in radians (default 0: the axes are the eigenvectors, which favours
            per-coordinate optimizers such as Adam; rotate to remove that advantage).

    Shape:
        see :class:`Surface`.

    Example:
        >>> from losslab.optim.surfaces import ill_conditioned_quadratic
        >>> s = ill_conditioned_quadratic(cond=10.0)
        >>> s.value(1.0, 1.0), s.params['hessian']
        (5.5, [[1.0, 0.0], [0.0, 10.0]])
    """
    k = _real("ill_conditioned_quadratic", "cond", cond, lo=1.0)
    th = _real("ill_conditioned_quadratic", "angle", angle)
    c, s = math.cos(th), math.sin(th)

    def f(x, y):
        u = x * c + y * s
        v = x * (-s) + y * c
        return (u * u + v * v * k) * 0.5

    H = [[c * c + k * s * s, c * s * (1 - k)], [c * s * (1 - k), s * s + k * c * c]]
    return Surface("ill_conditioned_quadratic", "½(u² + κ v²), (u, v) = rotation of (x, y) by θ", f,
                   minima=((0.0, 0.0),), min_value=0.0, domain=((-2.0, 2.0), (-2.0, 2.0)),
                   start=(-1.5, 1.0), points={},
                   params={"cond": k, "angle": th, "hessian": [[round(v, 15) + 0.0 for v in r] for r in H]})


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    r"""Rosenbrock's banana: a long, curved, flat-bottomed valley; easy to find, slow to follow.

    Formula: ``f = (a − x)² + b(y − x²)²``, minimum 0 at ``(a, a²)``.

    Args:
        a: default 1.
        b: > 0, default 100 (the steepness of the valley walls).

    Shape:
        see :class:`Surface`.

    Example:
        >>> from losslab.optim.surfaces import rosenbrock
        >>> rosenbrock().start, rosenbrock(a=2.0).minima
        ((-1.5, 2.0), ((2.0, 4.0),))
    """
    a = _real("rosenbrock", "a", a)
    b = _real("rosenbrock", "b", b, lo=0.0, lo_open=True)

    def f(x, y):
        return (a - x) ** 2 + (y - x * x) ** 2 * b

    return Surface("rosenbrock", "(a − x)² + b (y − x²)²", f, minima=((a, a * a),), min_value=0.0,
                   domain=((-2.0, 2.0), (-1.0, 3.0)) if (a, b) == (1.0, 100.0) else
                   ((-abs(a) - 1.0, abs(a) + 1.0), (-1.0, a * a + 2.0)),
                   start=(-1.5, 2.0), points={}, params={"a": a, "b": b})


def beale() -> Surface:
    r"""Beale's function: a narrow curved valley between flat plateaus and sharp walls.

    Formula: ``f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²``; minimum 0 at
    (3, 0.5); saddle points at (0, 1) (f = 14.203125) and about (0.10054, −2.64451).

    Shape:
        see :class:`Surface`.

    Example:
        >>> from losslab.optim.surfaces import beale
        >>> beale().value(3.0, 0.5), beale().value(0.0, 1.0)
        (0.0, 14.203125)
    """

    def f(x, y):
        return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2
                + (2.625 - x + x * y * y * y) ** 2)

    return Surface("beale", "(1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²", f,
                   minima=((3.0, 0.5),), min_value=0.0, domain=((-4.5, 4.5), (-4.5, 4.5)),
                   start=(1.0, 1.5),
                   points={"saddle": (0.0, 1.0), "saddle 2": (0.10053793732415842, -2.6445135850231245)})


def himmelblau() -> Surface:
    r"""Himmelblau's function: four minima of equal depth, a local maximum and four saddles; where
    an optimizer ends depends on where it starts.

    Formula: ``f = (x² + y − 11)² + (x + y² − 7)²``; minima (f = 0) at (3, 2),
    (−2.805118, 3.131313), (−3.779310, −3.283186), (3.584428, −1.848127); local maximum
    f ≈ 181.617 at (−0.270845, −0.923039).

    Shape:
        see :class:`Surface`.

    Example:
        >>> from losslab.optim.surfaces import himmelblau
        >>> s = himmelblau()
        >>> max(abs(s.value(x, y)) for x, y in s.minima) < 1e-20
        True
    """

    def f(x, y):
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    # critical points found by Newton's method to 1e-12 (gradient < 1e-10)
    return Surface("himmelblau", "(x² + y − 11)² + (x + y² − 7)²", f,
                   minima=((3.0, 2.0), (-2.805118086953, 3.131312518251),
                           (-3.779310253378, -3.283185991286), (3.584428340330, -1.848126526964)),
                   min_value=0.0, domain=((-5.0, 5.0), (-5.0, 5.0)), start=(0.0, 0.0),
                   points={"local maximum": (-0.270844590667, -0.923038556480),
                           "saddle 1": (-3.073025750764, -0.081353044288),
                           "saddle 2": (-0.127961346731, -1.953714980245),
                           "saddle 3": (0.086677504555, 2.884254701175),
                           "saddle 4": (3.385154183607, 0.073851879838)})


def saddle(a: float = 1.0, b: float = 1.0) -> Surface:
    r"""A saddle: gradient descent started near the x-axis first heads for the origin, then
    escapes along y (slowly, since the gradient there is tiny).

    Formula: ``f = a·x² − b·y²``; a saddle point at the origin; unbounded below.

    Args:
        a: curvature along x, > 0 (default 1).
        b: negative curvature along y, > 0 (default 1).

    Shape:
        see :class:`Surface`.

    Example:
        >>> from losslab.optim.surfaces import saddle
        >>> s = saddle()
        >>> s.minima, s.min_value, s.points
        ((), -inf, {'saddle': (0.0, 0.0)})
    """
    a = _real("saddle", "a", a, lo=0.0, lo_open=True)
    b = _real("saddle", "b", b, lo=0.0, lo_open=True)

    def f(x, y):
        return x * x * a - y * y * b

    return Surface("saddle", "a x² − b y²", f, minima=(), min_value=-math.inf,
                   domain=((-2.0, 2.0), (-2.0, 2.0)), start=(-1.5, 1e-3),
                   points={"saddle": (0.0, 0.0)}, params={"a": a, "b": b})


#: name -> builder (each takes its keyword parameters and returns a Surface).
SURFACES: dict[str, Callable[..., Surface]] = {
    "ill_conditioned_quadratic": ill_conditioned_quadratic,
    "rosenbrock": rosenbrock,
    "beale": beale,
    "himmelblau": himmelblau,
    "saddle": saddle,
}


def get_surface(name: str, **params: Any) -> Surface:
    """Build a surface by name (``'rosenbrock'``, ``'quadratic'`` for the ill-conditioned one …).

    Example:
        >>> from losslab.optim.surfaces import get_surface
        >>> get_surface('quadratic', cond=4.0).params['cond']
        4.0
    """
    key = str(name).strip().lower().replace("-", "_")
    key = {"quadratic": "ill_conditioned_quadratic", "ill_conditioned": "ill_conditioned_quadratic"}.get(key, key)
    if key not in SURFACES:
        raise ValueError(f"unknown surface {name!r}; known surfaces: {', '.join(SURFACES)}")
    return SURFACES[key](**params)
