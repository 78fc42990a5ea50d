"""``GET /api/health``, ``GET /api/losses`` (the properties table and the loss cards, from the
registry) and ``GET /api/guide`` (seed 002's "how to choose" as the advisor applies it, and the
pitfall linter's rules with what each says and its fix).

The guide is not a hand-written table: each situation is a small synthetic data set handed to
:func:`losslab.analysis.advise`, and each pitfall's explanation and fix are those
:func:`losslab.analysis.lint` gives on a small model–loss pairing that walks into it. Both are
computed once and cached.
"""
from __future__ import annotations

import functools

import numpy as np

from ..colors import loss_color
from ._common import ENGINE_LOCK

__all__ = ["health", "losses", "guide", "SITUATIONS", "PITFALL_DEMOS"]


def health() -> dict:
    import losslab

    return {"ok": True, "version": losslab.__version__}


def _mathml(latex: str) -> str | None:
    try:
        from latex2mathml.converter import convert
    except ImportError:  # the page then shows the LaTeX source
        return None
    try:
        return convert(latex)
    except Exception:  # noqa: BLE001  (an expression latex2mathml cannot convert: show the source)
        return None


@functools.lru_cache(maxsize=1)
def losses() -> dict:
    """Every registered loss with its metadata, formula (LaTeX and MathML), pitfalls and colour."""
    from ...losses.cards import pitfalls
    from ...losses.registry import LOSS_REGISTRY, TASKS

    rows = []
    for name, info in LOSS_REGISTRY.items():
        rows.append({
            "name": name, "task": info.task, "input_kind": info.input_kind, "target_kind": info.target_kind,
            "convex": info.convex, "convex_conditions": info.convex_conditions, "smoothness": info.smoothness,
            "kinks": info.kinks, "robust_to_outliers": info.robust_to_outliers, "growth": info.growth,
            "value_range": info.value_range, "domain": info.domain, "output_activation": info.output_activation,
            "hyperparameters": {k: _plain(v) for k, v in info.hyperparameters.items()},
            "latex": info.latex, "mathml": _mathml(info.latex), "summary": info.summary,
            "torch_equivalent": info.torch_equivalent, "equivalents": dict(info.equivalents),
            "module": info.module.__name__, "pitfalls": pitfalls(info), "color": loss_color(name),
        })
    return {"losses": rows, "tasks": list(TASKS)}


def _plain(v):
    return v if v is None or isinstance(v, (bool, int, float, str)) else repr(v)


# ------------------------------------------------------------------------------------------ guide
def _regression_data(rng, outliers=0.0, scale=1.0, shift=0.0):
    X = rng.standard_normal((400, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_normal(400)
    y[: int(outliers * 400)] += 25.0
    return X, y * scale + shift


#: (situation, data builder): the data sets handed to the advisor, one per line of seed 002's guide.
SITUATIONS = (
    ("regression, Gaussian-looking noise", lambda rng: _regression_data(rng)),
    ("regression with outliers (10 % gross errors)", lambda rng: _regression_data(rng, outliers=0.1)),
    ("regression, target far from unit scale", lambda rng: _regression_data(rng, scale=1000.0, shift=5000.0)),
    ("binary classification, balanced classes",
     lambda rng: (X := rng.standard_normal((400, 3)), (X[:, 0] + 0.3 * rng.standard_normal(400) > 0).astype(int))),
    ("binary classification, imbalanced classes",
     lambda rng: (X := rng.standard_normal((400, 3)), (X[:, 0] > 1.6).astype(int))),
    ("multiclass classification (one label per row)",
     lambda rng: (X := rng.standard_normal((400, 3)), np.digitize(X[:, 0], [-0.5, 0.5]))),
    ("multilabel (several 0/1 labels per row)",
     lambda rng: (X := rng.standard_normal((400, 3)),
                  (X + 0.2 * rng.standard_normal((400, 3)) > 0).astype(int))),
    ("counts (non-negative integers)",
     lambda rng: (X := rng.standard_normal((400, 3)), rng.poisson(np.exp(0.5 * X[:, 0] + 1.0)))),
    ("probabilities as targets", lambda rng: (X := rng.standard_normal((400, 3)), 1 / (1 + np.exp(-X[:, 0])))),
)


def _how_to_choose() -> list:
    from ...analysis.advisor import advise

    out = []
    for situation, build in SITUATIONS:
        X, y = build(np.random.default_rng(0))
        a = advise(X, y)
        why = a.candidates[0].reason
        if a.target_transform is not None:
            why += f" Standardize the target first (mean {a.target_transform[0]:.4g}, std {a.target_transform[1]:.4g})."
        out.append({"situation": situation, "task": a.task, "loss": a.candidates[0].spec,
                    "activation": a.activation, "why": why,
                    "alternatives": [c.spec for c in a.candidates[1:]],
                    "optimizer": a.optimizer.spec, "lr": a.optimizer.lr})
    return out


def _x(n=32, scale=1.0):
    import losslab as ll
    return ll.tensor(np.random.default_rng(1).standard_normal((n, 4)) * scale)


def _demo_cases():
    """rule -> (model, loss, x, y, lint kwargs): a pairing that walks into the rule."""
    import losslab as ll
    from losslab import nn

    rng = np.random.default_rng(2)
    y01 = ll.tensor((np.arange(32) % 2).astype(np.float64).reshape(-1, 1))
    labels = ll.tensor(np.arange(32) % 3)
    yreg = ll.tensor(rng.standard_normal((32, 1)))
    deep = [nn.Linear(4, 4)]
    for _ in range(10):
        deep += [nn.Sigmoid(), nn.Linear(4, 4)]
    deep += [nn.Sigmoid(), nn.Linear(4, 1)]
    sat = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    sat[0].weight.data[...] = 50.0
    dead = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    dead[0].bias.data[...] = -100.0
    return {
        "shape-mismatch": (nn.Linear(4, 1), "mse_loss", _x(), ll.tensor(rng.standard_normal(32)), {}),
        "nonfinite-data": (nn.Linear(4, 1), "mse_loss", ll.tensor(np.where(np.eye(32, 4) > 0, np.nan, 1.0)), yreg, {}),
        "bce-clamp": (nn.Sequential(nn.Linear(4, 1), nn.Sigmoid()), "binary_cross_entropy", _x(scale=1000.0), y01, {}),
        "class-imbalance": (nn.Linear(4, 3), "cross_entropy", _x(44),
                            ll.tensor(np.r_[np.zeros(40, int), np.ones(2, int), np.full(2, 2)]), {}),
        "target-scale": (nn.Linear(4, 1), "mse_loss", _x(), ll.tensor(rng.standard_normal((32, 1)) * 1000), {}),
        "double-activation": (nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1)), "cross_entropy", _x(), labels, {}),
        "softmax-mse": (nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1)), "mse_loss", _x(),
                        ll.tensor(np.eye(3)[np.arange(32) % 3]), {}),
        "probabilities-for-log-probabilities": (nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1)), "nll_loss", _x(),
                                                labels, {}),
        "unnormalized-log-probabilities": (nn.Linear(4, 3), "nll_loss", _x(), labels, {}),
        "logits-for-probabilities": (nn.Linear(4, 1), "binary_cross_entropy", _x(), y01, {}),
        "label-encoding": (nn.Linear(4, 1), "binary_cross_entropy_with_logits", _x(), y01 * 2 - 1, {}),
        "vanishing-gradients": (nn.Sequential(*deep), "mse_loss", _x(), yreg, {}),
        "saturated-activations": (sat, "mse_loss", _x(), yreg, {}),
        "dead-relu": (dead, "mse_loss", _x(), yreg, {}),
        "exploding-gradients": (nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1)), "mse_loss",
                                _x(scale=1000.0), yreg, {}),
        "learning-rate": (nn.Linear(4, 1), "mse_loss", _x(), yreg, {"lr": 10.0}),
    }


#: the rules with a demonstration (the others are listed with the linter's one-line description)
PITFALL_DEMOS = tuple(
    ("shape-mismatch nonfinite-data bce-clamp class-imbalance target-scale double-activation softmax-mse "
     "probabilities-for-log-probabilities unnormalized-log-probabilities logits-for-probabilities label-encoding "
     "vanishing-gradients saturated-activations dead-relu exploding-gradients learning-rate").split())


def _pitfalls() -> list:
    import losslab as ll
    from ...analysis.pitfalls import RULES, lint

    state = ll.random.get_rng_state()
    ll.manual_seed(0)
    try:
        cases = _demo_cases()
        out = []
        for rule, title in RULES.items():
            entry = {"rule": rule, "title": title, "explanation": title, "fix": None, "severity": None,
                     "example": None}
            if rule in cases:
                model, loss, x, y, kw = cases[rule]
                found = [f for f in lint(model, loss, x, y, **kw) if f.rule == rule]
                if found:
                    f = found[0]
                    entry.update(explanation=f.message, fix=f.fix, severity=f.severity,
                                 example=f"{type(model).__name__} with {loss}" if isinstance(loss, str) else None)
            out.append(entry)
        return out
    finally:
        ll.random.set_rng_state(state)


@functools.lru_cache(maxsize=1)
def guide() -> dict:
    """Seed 002's guide as the advisor applies it, and the pitfall linter's rules."""
    with ENGINE_LOCK, np.errstate(all="ignore"):
        return {"how_to_choose": _how_to_choose(), "pitfalls": _pitfalls()}
