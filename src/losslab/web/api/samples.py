"""``POST /api/samples``: a small table of predictions and targets, each row's loss under each
chosen regression loss, and the cost (the loss with ``reduction="mean"``, from the engine) —
seed 002's "loss is one sample's error, cost is the average over the set".
"""
from __future__ import annotations

import functools

import numpy as np

from ..colors import loss_color
from ._common import ENGINE_LOCK, ApiError, array, check_keys, field, loss_names_and_params, number
from .curves import DEFAULT_REGRESSION, _label, _params

__all__ = ["samples", "row_losses", "MAX_ROWS", "VALUE_BOUND"]

MAX_ROWS = 200
VALUE_BOUND = 1e6


@functools.lru_cache(maxsize=1)
def row_losses() -> tuple:
    """Regression losses that give one value per row for vectors of predictions and targets."""
    import losslab as ll
    from ...losses.registry import LOSS_REGISTRY

    p, t = np.array([0.5, 1.5, 2.0]), np.array([1.0, 1.0, 3.0])
    out = []
    with ENGINE_LOCK, np.errstate(all="ignore"):
        for name, info in LOSS_REGISTRY.items():
            if info.task != "regression":
                continue
            try:
                v = info.fn(ll.tensor(p), ll.tensor(t), reduction="none").data
            except (ValueError, TypeError, IndexError):
                continue
            if v.shape == p.shape and np.all(np.isfinite(v)):
                out.append(name)
    return tuple(out)


def samples(body: dict) -> dict:
    """Rows with per-loss values, the cost per loss, and the column headers."""
    import losslab as ll
    from ...losses.registry import get

    check_keys(body, ("predictions", "targets", "losses", "params"))
    preds = array(field(body, "predictions"), "predictions", 1, MAX_ROWS)
    targs = array(field(body, "targets"), "targets", 1, MAX_ROWS)
    if len(preds) != len(targs):
        raise ApiError(f"predictions has {len(preds)} values but targets has {len(targs)}; give one target per "
                       "prediction", "targets")
    preds = [number(v, f"predictions[{i}]", -VALUE_BOUND, VALUE_BOUND) for i, v in enumerate(preds)]
    targs = [number(v, f"targets[{i}]", -VALUE_BOUND, VALUE_BOUND) for i, v in enumerate(targs)]
    allowed = row_losses()
    names, raw_params = loss_names_and_params(body, DEFAULT_REGRESSION, allowed)
    p, t = np.asarray(preds), np.asarray(targs)
    per_row, cost, columns = {}, {}, []
    for n in names:
        info = get(n)
        kw = _params(n, info, raw_params.get(n) or {}, f"params.{n}")
        try:
            with ENGINE_LOCK, np.errstate(all="ignore"):
                per_row[n] = info.fn(ll.tensor(p), ll.tensor(t), reduction="none", **kw).data
                cost[n] = float(info.fn(ll.tensor(p), ll.tensor(t), reduction="mean", **kw).item())
        except (ValueError, TypeError) as e:  # outside the loss's domain, or a refused hyperparameter
            raise ApiError(f"{n}: {e}", f"losses[{names.index(n)}]") from None
        columns.append({"name": n, "label": _label(n, kw), "color": loss_color(n)})
    rows = [{"prediction": preds[i], "target": targs[i], "error": preds[i] - targs[i],
             "losses": {n: float(per_row[n][i]) for n in names}} for i in range(len(preds))]
    return {"rows": rows, "cost": cost, "columns": columns}
