"""``POST /api/backprop``: one forward / loss / backward / SGD step of a small network, every value
with its formula — :func:`losslab.explain.trace_backprop` on the seed's 2-2-1 network, or on the
weights, biases, sample and learning rate the page sends (``null`` keeps the seed's value).
"""
from __future__ import annotations

import numpy as np

from ._common import ENGINE_LOCK, ApiError, array, check_keys, choice, field, integer, number, number_list

__all__ = ["backprop", "MAX_LAYERS", "MAX_WIDTH"]

MAX_LAYERS = 4
MAX_WIDTH = 8
VALUE_BOUND = 1e3


def _matrix(v, where: str) -> list:
    rows = array(v, where, 1, MAX_WIDTH)
    out = [number_list(r, f"{where}[{i}]", 1, MAX_WIDTH, -VALUE_BOUND, VALUE_BOUND) for i, r in enumerate(rows)]
    if len({len(r) for r in out}) != 1:
        raise ApiError(f"{where}: every row must have the same length, got lengths {[len(r) for r in out]}", where)
    return out


def _problem(body: dict):
    from ...explain import ACTIVATIONS, LOSSES, Problem, seed_problem

    seed = seed_problem()
    seed_layers = seed.network.to_dict()["layers"]
    weights = field(body, "weights", None)
    if weights is None:
        weights = [l["weight"] for l in seed_layers]
    else:
        weights = [_matrix(w, f"weights[{k}]") for k, w in enumerate(array(weights, "weights", 1, MAX_LAYERS))]
    same_shape = [np.shape(w) for w in weights] == [np.shape(l["weight"]) for l in seed_layers]
    biases = field(body, "biases", None)
    if biases is None:
        biases = [l["bias"] for l in seed_layers] if same_shape else [[0.0] * len(w) for w in weights]
    else:
        biases = array(biases, "biases", len(weights), len(weights)) if len(weights) > 0 else []
        biases = [None if b is None else number_list(b, f"biases[{k}]", 1, MAX_WIDTH, -VALUE_BOUND, VALUE_BOUND)
                  for k, b in enumerate(biases)]
    acts = field(body, "activations", None)
    if acts is None:
        acts = [l["activation"] for l in seed_layers] if same_shape else ["sigmoid"] * len(weights)
    elif isinstance(acts, str):
        acts = [choice(acts, "activations", ACTIVATIONS)] * len(weights)
    else:
        acts = [choice(a, f"activations[{k}]", ACTIVATIONS)
                for k, a in enumerate(array(acts, "activations", len(weights), len(weights)))]
    x = field(body, "x", None)
    x = seed.x.tolist() if x is None else number_list(x, "x", 1, MAX_WIDTH, -VALUE_BOUND, VALUE_BOUND)
    y = field(body, "y", None)
    if y is None:
        y = seed.y.tolist()
    elif isinstance(y, (int, float)) and not isinstance(y, bool):
        y = [number(y, "y", -VALUE_BOUND, VALUE_BOUND)]
    else:
        y = number_list(y, "y", 1, MAX_WIDTH, -VALUE_BOUND, VALUE_BOUND)
    loss = choice(field(body, "loss", seed.loss), "loss", LOSSES)
    lr = number(field(body, "lr", seed.lr), "lr", 0.0, 100.0)
    data = {"x": x, "y": y, "loss": loss, "lr": lr,
            "layers": [{"weight": w, "bias": b, "activation": a} for w, b, a in zip(weights, biases, acts)]}
    try:
        return Problem.from_dict(data, source="request")
    except (ValueError, TypeError) as e:  # shapes that do not chain, x/y sizes that do not match
        raise ApiError(str(e), _field_of(str(e))) from None


def _field_of(message: str) -> str | None:
    head = message.split(":", 1)[0].strip()
    if head.startswith("layers["):
        k = head[len("layers["):].split("]", 1)[0]
        return f"weights[{k}]" if "bias" not in message.split(":", 1)[-1][:40] else f"biases[{k}]"
    return head if head in ("x", "y", "loss", "lr") else None


def backprop(body: dict) -> dict:
    """The explainer's trace as JSON (ordered steps with formulas and values) plus its text."""
    from ...explain import render

    check_keys(body, ("weights", "biases", "activations", "x", "y", "loss", "lr", "precision"))
    precision = integer(field(body, "precision", 4), "precision", 1, 10)
    problem = _problem(body)
    with ENGINE_LOCK, np.errstate(all="ignore"):
        try:
            trace = problem.trace()
        except ValueError as e:  # e.g. BCE on an output that is not a probability, y outside [0, 1]
            raise ApiError(str(e), _field_of(str(e))) from None
        out = trace.to_dict(precision)
        out["text"] = render(trace, precision)
    out["problem"] = problem.to_dict()
    return out
