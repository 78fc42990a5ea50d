"""The optimizer playground: ``GET /api/playground/surfaces``, ``GET /api/playground/surface``
(a grid for contours) and ``POST /api/playground/run`` — real ``losslab.optim`` optimizers followed
by :func:`losslab.optim.trace` on the :mod:`losslab.optim.surfaces`.
"""
from __future__ import annotations

import inspect
import math

import numpy as np

from ..colors import optimizer_color
from ._common import (
    ENGINE_LOCK, ApiError, array, check_keys, choice, field, integer, number, number_list, obj, string,
)

__all__ = ["surfaces", "surface_grid", "run", "MAX_OPTIMIZERS", "STEPS", "optimizer_names"]

MAX_OPTIMIZERS = 6
STEPS = (1, 2000)
RESOLUTION = (10, 200)
START_BOUND = 1e4
LR_BOUND = 1e3
VALUE_BOUND = 1e6
#: most evaluations of f (with its gradient) one trajectory may use: 2000 steps of 2 for most
#: optimizers; L-BFGS with its defaults needs about 4000 for 2000 steps on these surfaces
MAX_EVALUATIONS = 20_000


def _surface_names() -> list:
    from ...optim.surfaces import SURFACES
    return list(SURFACES)


def _surface(name: str, where: str = "surface"):
    from ...optim.surfaces import get_surface
    return get_surface(choice(name, where, _surface_names()))


def surfaces() -> dict:
    """Every surface with its formula, plotting domain, minima, landmarks and suggested start."""
    from ...optim.surfaces import get_surface

    out = []
    for name in _surface_names():
        s = get_surface(name)
        out.append({"name": name, "formula": s.formula, "domain": [list(s.domain[0]), list(s.domain[1])],
                    "minima": [list(m) for m in s.minima], "min_value": s.min_value, "start": list(s.start),
                    "points": {k: list(v) for k, v in s.points.items()}, "params": s.params})
    return {"surfaces": out, "optimizers": optimizer_names()}


def _log_scale(z: np.ndarray) -> bool:
    """Contours read better in log scale when f >= 0 spans several orders of magnitude."""
    zf = z[np.isfinite(z)]
    if zf.size == 0 or zf.min() < 0:
        return False
    positive = zf[zf > 0]
    return bool(positive.size and positive.max() / max(positive.min(), 1e-300) > 1e3)


def surface_grid(query) -> dict:
    """``x``, ``y`` (1-D), ``z[i][j] = f(x[j], y[i])`` over the surface's domain, and ``log_scale``."""
    check_keys(query, ("name", "resolution"))
    s = _surface(query.get("name", "rosenbrock"), "name")
    raw = query.get("resolution", "80")
    try:
        res = int(raw)
    except (TypeError, ValueError):
        raise ApiError(f"resolution: expected an integer in [{RESOLUTION[0]}, {RESOLUTION[1]}], got {raw!r}",
                       "resolution") from None
    res = integer(res, "resolution", *RESOLUTION)
    with np.errstate(all="ignore"):
        X, Y, Z = s.grid(res)
    return {"name": s.name, "x": X[0], "y": Y[:, 0], "z": Z, "log_scale": _log_scale(Z),
            "minima": [list(m) for m in s.minima], "domain": [list(s.domain[0]), list(s.domain[1])]}


def optimizer_names() -> list:
    """Optimizers the playground runs: every registered one that takes a 1-D parameter."""
    from ...optim import OPTIMIZER_REGISTRY
    return [n for n, i in OPTIMIZER_REGISTRY.items() if i.param_ndim in (None, 1)]


def _value(v, where: str):
    """An option value: a number, a boolean, a short word, or a list of numbers (a tuple)."""
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return number(v, where, -VALUE_BOUND, VALUE_BOUND) if isinstance(v, float) else \
            integer(v, where, -int(VALUE_BOUND), int(VALUE_BOUND))
    if isinstance(v, str):
        return string(v, where, 40)
    if isinstance(v, list):
        return tuple(number_list(v, where, 1, 50, -VALUE_BOUND, VALUE_BOUND))
    raise ApiError(f"{where}: expected a number, true/false, a word or a list of numbers", where)


def _optimizer(spec, i: int):
    """``(label, name, params, factory kwargs, scheduler factory or None)`` from one request item."""
    from ...optim import OPTIMIZER_REGISTRY

    where = f"optimizers[{i}]"
    spec = obj(spec, where)
    check_keys(spec, ("name", "label", "lr", "params", "schedule"), where)
    name = choice(field(spec, "name"), f"{where}.name", optimizer_names())
    info = OPTIMIZER_REGISTRY[name]
    label = string(field(spec, "label", name), f"{where}.label", 60)
    lr = number(field(spec, "lr", _default_lr(info.cls)), f"{where}.lr", 0.0, LR_BOUND, lo_open=True)
    raw = obj(field(spec, "params", {}), f"{where}.params")
    accepted = [p for p in inspect.signature(info.cls.__init__).parameters
                if p not in ("self", "params", "lr")]
    check_keys(raw, accepted, f"{where}.params")
    params = {k: _value(v, f"{where}.params.{k}") for k, v in raw.items()}
    return label, name, lr, params, spec.get("schedule")


def _default_lr(cls) -> float:
    d = inspect.signature(cls.__init__).parameters.get("lr")
    v = None if d is None else d.default
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 else 1e-3


def _scheduler_factory(raw, where: str, steps: int):
    """``optimizer -> ScheduleLR`` from ``{"name": ..., **params}``; lr/max_lr default to the
    optimizer's learning rate and total_steps to the run's steps, as ``losslab train`` does."""
    if raw is None:
        return None
    from ...build import scheduler_from_params
    from ...optim.schedules import _ALIASES, SCHEDULES

    raw = obj(raw, where)
    buildable = [n for n, i in SCHEDULES.items() if i.cli]
    key = field(raw, "name")
    if not isinstance(key, str):
        raise ApiError(f"{where}.name: expected a schedule name, one of {', '.join(buildable)}", f"{where}.name")
    key = key.strip().lower().replace("-", "_")
    key = choice(_ALIASES.get(key, key), f"{where}.name", buildable)
    check_keys(raw, ["name", *SCHEDULES[key].params], where)
    params = {k: _value(v, f"{where}.{k}") for k, v in raw.items() if k != "name"}
    params = {k: (",".join(f"{x:g}" for x in v) if isinstance(v, tuple) else v) for k, v in params.items()}
    return lambda opt: scheduler_from_params(key, params, opt, steps)


class _WorkLimit(Exception):
    """Raised by :class:`_Budget` when a run evaluates the surface too often."""


class _Budget:
    """The surface, counting its evaluations: an optimizer that evaluates f many times per step
    (L-BFGS with a huge ``max_iter``) is stopped at :data:`MAX_EVALUATIONS`."""

    def __init__(self, surface):
        self.surface, self.count = surface, 0

    def __call__(self, p):
        self.count += 1
        if self.count > MAX_EVALUATIONS:
            raise _WorkLimit
        return self.surface(p)


def _trajectory(label, name, lr, params, sched, surface, start, steps) -> dict:
    from ...optim import OPTIMIZER_REGISTRY, trace

    cls = OPTIMIZER_REGISTRY[name].cls
    with ENGINE_LOCK, np.errstate(all="ignore"):
        try:
            r = trace(cls, _Budget(surface), start, steps, scheduler_factory=sched, lr=lr, **params)
        except _WorkLimit:
            raise ApiError(f"{label}: more than {MAX_EVALUATIONS} evaluations of the surface; lower steps or the "
                           "optimizer's iterations per step (max_iter, max_eval)", None) from None
    finite = np.all(np.isfinite(r.path), axis=1)
    n = int(np.argmin(finite)) if not finite.all() else len(finite)  # stop before the first non-finite point
    values = r.values[:n]
    diverged = bool(r.diverged or not finite.all())
    return {"label": label, "name": name, "color": optimizer_color(name, params), "lr": lr, "params": params,
            "points": r.path[:n], "values": values, "lrs": r.lrs[: max(n - 1, 0)], "steps": max(n - 1, 0),
            "diverged": diverged, "final": r.path[n - 1] if n else None,
            "final_value": float(values[-1]) if n and math.isfinite(values[-1]) else None}


def run(body: dict) -> dict:
    """One trajectory per requested optimizer on the chosen surface."""
    check_keys(body, ("surface", "start", "steps", "optimizers", "schedule"))
    s = _surface(field(body, "surface", "rosenbrock"))
    start = number_list(field(body, "start", list(s.start)), "start", 2, 2, -START_BOUND, START_BOUND)
    steps = integer(field(body, "steps", 200), "steps", *STEPS)
    items = array(field(body, "optimizers"), "optimizers", 1, MAX_OPTIMIZERS)
    specs = [_optimizer(o, i) for i, o in enumerate(items)]
    shared = field(body, "schedule", None)
    out = []
    for i, (label, name, lr, params, own) in enumerate(specs):
        where = f"optimizers[{i}].schedule" if own is not None else "schedule"
        sched = _scheduler_factory(own if own is not None else shared, where, steps)
        try:
            out.append(_trajectory(label, name, lr, params, sched, s, start, steps))
        except ApiError as e:
            e.field = f"optimizers[{i}]"
            raise
        except (ValueError, TypeError) as e:  # the optimizer or the schedule refused a value
            raise ApiError(f"optimizers[{i}] ({name}): {e}", f"optimizers[{i}]") from None
    return {"surface": s.name, "start": start, "steps": steps, "trajectories": out}
