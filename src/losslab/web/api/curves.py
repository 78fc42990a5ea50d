"""``POST /api/curves/regression`` and ``POST /api/curves/classification``: a loss and its
gradient along one variable, both from the engine.

Regression: x is the error e = prediction − target (target 0); the loss is the registry
function with ``reduction="none"`` and the gradient d loss / d prediction comes from
``backward()``. Only losses that depend on the error alone (``loss(e + t, t) = loss(e, 0)``, checked
numerically) have such a profile. Kinks are located by :func:`losslab.analysis.differentiability`
on the same function.

Classification: ``kind="probability"`` draws binary cross-entropy against p for y = 1 and y = 0;
``kind="margin"`` draws the margin losses against m = y·s (score s = m with y = +1, which is the
label 1 in both the {0, 1} and the ±1 conventions).
"""
from __future__ import annotations

import functools
import math

import numpy as np

from ..colors import loss_color
from ._common import (
    ENGINE_LOCK, ApiError, boolean, check_keys, choice, field, integer, interval, loss_names_and_params, number,
    obj,
)

__all__ = ["regression_curves", "classification_curves", "profile_losses", "curve",
           "DEFAULT_REGRESSION", "MARGIN_LOSSES"]

RANGE_BOUND = 1e4
POINTS = (2, 2001)
DEFAULT_REGRESSION = ["mse_loss", "l1_loss", "huber_loss", "log_cosh_loss", "quantile_loss"]
MARGIN_LOSSES = ["hinge_loss", "soft_margin_loss", "sigmoid_focal_loss", "squared_hinge_loss"]
#: keyword arguments that are not a curve's hyperparameters
_NOT_HYPER = ("reduction", "weight", "sample_weight", "pos_weight")
#: largest |value| accepted for a numeric hyperparameter
PARAM_BOUND = 1e4


@functools.lru_cache(maxsize=1)
def profile_losses() -> tuple:
    """Regression losses whose value depends on the error prediction − target alone (so that a
    curve against the error is their whole story), found by evaluating each registered one."""
    import losslab as ll
    from ...losses.registry import LOSS_REGISTRY

    e = np.linspace(-2.5, 2.5, 11)
    out = []
    with ENGINE_LOCK, np.errstate(all="ignore"):
        for name, info in LOSS_REGISTRY.items():
            if info.task != "regression":
                continue
            try:
                a = info.fn(ll.tensor(e), ll.tensor(np.zeros_like(e)), reduction="none").data
                b = info.fn(ll.tensor(e + 1.5), ll.tensor(np.full_like(e, 1.5)), reduction="none").data
            except (ValueError, TypeError, IndexError):
                continue
            if a.shape == e.shape and np.all(np.isfinite(a)) and np.allclose(a, b, rtol=1e-9, atol=1e-12):
                out.append(name)
    return tuple(out)


def _hyper_names(info) -> list:
    return [k for k in info.hyperparameters if k not in _NOT_HYPER]


def _params(name: str, info, raw, where: str) -> dict:
    """Validate the hyperparameters given for one loss (numbers or booleans, by their default)."""
    raw = obj(raw, where)
    allowed = _hyper_names(info)
    check_keys(raw, allowed, where)
    out = {}
    for k, v in raw.items():
        default = info.hyperparameters[k]
        if isinstance(default, bool):
            out[k] = boolean(v, f"{where}.{k}")
        else:
            out[k] = number(v, f"{where}.{k}", -PARAM_BOUND, PARAM_BOUND)
    return out


def _grid(body: dict, default_range) -> tuple[np.ndarray, tuple]:
    lo, hi = interval(field(body, "range", list(default_range)), "range", RANGE_BOUND)
    n = integer(field(body, "points", 201), "points", *POINTS)
    return np.linspace(lo, hi, n), (lo, hi)


def curve(fn, xs: np.ndarray, target: float, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """``(loss, grad)`` of ``fn(x, target, reduction="none", **params)`` at each x; the gradient is
    d loss_i / d x_i from the engine's backward pass (the losses are elementwise)."""
    import losslab as ll

    with ENGINE_LOCK, np.errstate(all="ignore"):
        x = ll.tensor(np.asarray(xs, dtype=np.float64), requires_grad=True)
        t = ll.tensor(np.full(len(xs), float(target)))
        v = fn(x, t, reduction="none", **params)
        v.sum().backward()
        return v.data.copy(), x.grad.data.copy()


@functools.lru_cache(maxsize=256)
def _kinks_cached(name: str, params_items: tuple, lo: float, hi: float, target: float) -> tuple:
    import losslab as ll
    from ...analysis.differentiability import differentiability
    from ...losses.registry import get

    fn, params = get(name).fn, dict(params_items)

    def f(x):
        return fn(x, ll.full_like(x, target), reduction="none", **params)

    with ENGINE_LOCK, np.errstate(all="ignore"):
        rep = differentiability(f, domain=(lo, hi), n=401, surrogates=False)
    return tuple(float(k.x) for k in rep.kinks if math.isfinite(k.x))


def _kinks(name, params, lo, hi, target=0.0) -> list:
    return list(_kinks_cached(name, tuple(sorted(params.items())), lo, hi, float(target)))


def _series(name: str, label: str, xs, params: dict, target: float, lo: float, hi: float) -> dict:
    from ...losses.registry import get

    try:
        loss, grad = curve(get(name).fn, xs, target, params)
    except (ValueError, TypeError) as e:  # the loss refused a hyperparameter value
        raise ApiError(f"params.{name}: {e}", f"params.{name}") from None
    return {"name": name, "label": label, "color": loss_color(name), "loss": loss, "grad": grad,
            "kinks": _kinks(name, params, lo, hi, target)}


def _label(name: str, params: dict) -> str:
    args = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
    return f"{name} ({args})" if args else name


def regression_curves(body: dict) -> dict:
    """The regression section: each requested loss against the error, with its gradient and kinks."""
    from ...losses.registry import get

    check_keys(body, ("losses", "params", "range", "points"))
    allowed = profile_losses()
    names, raw_params = loss_names_and_params(body, DEFAULT_REGRESSION, allowed)
    xs, (lo, hi) = _grid(body, (-3.0, 3.0))
    curves = []
    for n in names:
        p = _params(n, get(n), raw_params.get(n) or {}, f"params.{n}")
        curves.append(_series(n, _label(n, p), xs, p, 0.0, lo, hi))
    return {"x": xs, "target": 0.0, "curves": curves}


def classification_curves(body: dict) -> dict:
    """The classification section: BCE against the probability, or margin losses against y·s."""
    kind = choice(field(body, "kind", "probability"), "kind", ("probability", "margin"))
    if kind == "probability":
        return _probability(body)
    return _margin(body)


def _probability(body: dict) -> dict:
    from ...losses.registry import get

    check_keys(body, ("kind", "range", "points"))
    lo, hi = interval(field(body, "range", [0.001, 0.999]), "range", 1.0)
    if not (0.0 < lo and hi < 1.0):
        raise ApiError(f"range: probabilities must lie in the open interval (0, 1), got [{lo:g}, {hi:g}]", "range")
    n = integer(field(body, "points", 201), "points", *POINTS)
    xs = np.linspace(lo, hi, n)
    fn = get("binary_cross_entropy").fn
    out = []
    for name, y, label in (("bce_y1", 1.0, "y = 1: −log p"), ("bce_y0", 0.0, "y = 0: −log(1 − p)")):
        loss, grad = curve(fn, xs, y, {})
        out.append({"name": name, "label": label, "color": loss_color(name), "loss": loss, "grad": grad,
                    "kinks": [], "target": y})
    return {"x": xs, "kind": "probability", "curves": out}


def _margin(body: dict) -> dict:
    check_keys(body, ("kind", "gamma", "alpha", "range", "points"))
    gamma = number(field(body, "gamma", 2.0), "gamma", 0.0, 10.0)
    alpha = field(body, "alpha", None)
    params = {"sigmoid_focal_loss": {"gamma": gamma}}
    if alpha is not None:
        params["sigmoid_focal_loss"]["alpha"] = number(alpha, "alpha", 0.0, 1.0)
    xs, (lo, hi) = _grid(body, (-3.0, 3.0))
    curves = [_series(n, _label(n, params.get(n, {})), xs, params.get(n, {}), 1.0, lo, hi) for n in MARGIN_LOSSES]
    return {"x": xs, "kind": "margin", "curves": curves}
