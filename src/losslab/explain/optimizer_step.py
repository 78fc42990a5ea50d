r"""One optimizer update worked by hand, with numbers (``losslab explain optimizer NAME``).

:func:`explain_optimizer` prints an optimizer's update rule with its current hyperparameters
substituted, then works one (or two) update steps on a small concrete parameter vector: every
intermediate quantity (moving averages, bias corrections, denominators, …) is computed here with
NumPy from the formula as printed, and the final parameters (and the state the optimizer keeps)
are then **checked against the real** ``losslab.optim`` optimizer's ``step()`` run on the same
parameter and gradient; any difference above 1e-12 raises :class:`ExplanationMismatch`.

The default problem (``problem="seed"``) is the output neuron of seed 003's worked 2-2-1 network:
θ = (w13, w23, b3) = (0.7, 0.5, 0.3), with the hidden activations a1 = σ(0.3), a2 = σ(0.5) held
fixed (x = [1, 0]), and J(θ) = BCE(σ(w13·a1 + w23·a2 + b3), y = 1). Its gradient is computed by
the engine; at t = 1 it is ∂L/∂w13, ∂L/∂w23, ∂L/∂b3 of ``losslab explain backprop``
(−0.1530, −0.1658, −0.2663), so ``sgd`` with ``lr=0.1`` gives the backprop explainer's
w13' = 0.7153, w23' = 0.5166, b3' = 0.3266. At t = 2 the gradient is recomputed at the new θ.
Muon updates matrices only: for it the seed problem's parameter is the hidden layer's 2×2 weight
matrix W1 = [[w11, w21], [w12, w22]] with the rest of the network fixed.

Other problems: ``"quadratic"``, J(θ) = ½·(θ1² + 10·θ2²) from θ = (1, 1) (an ill-conditioned
bowl: the gradient (1, 10) shows how adaptive methods even out the coordinates), or a mapping
``{"theta": [...], "grad": [...]}`` with a fixed gradient (one vector for every step, or a list of
one vector per step).

LBFGS is refused: its step runs a closure many times with a line search, not one update rule.
"""
from __future__ import annotations

import inspect
import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

__all__ = [
    "explain_optimizer", "OptimizerExplanation", "ExplanationMismatch", "optimizer_names",
    "ALIASES", "REFUSED", "TOLERANCE", "MAX_STEPS",
]

#: Most steps one explanation works.
MAX_STEPS = 10

#: Largest |explained − real| accepted (float64), relative to max(1, |value|).
TOLERANCE = 1e-12

#: Convenience names: a registered optimizer with some hyperparameters preset (user params win).
ALIASES: dict[str, tuple[str, dict]] = {
    "gd": ("sgd", {}),
    "momentum": ("sgd", {"momentum": 0.9}),
    "nesterov": ("sgd", {"momentum": 0.9, "nesterov": True}),
}

#: Registered optimizers without a worked step, and why.
REFUSED: dict[str, str] = {
    "lbfgs": "LBFGS has no single update rule to work by hand: each step() re-evaluates a closure "
             "up to max_iter times, builds a quasi-Newton direction from a history of gradients "
             "and may run a strong-Wolfe line search; use losslab.optim.trace to watch its iterates",
}

#: Implementation switches accepted by the optimizers that do not change the arithmetic.
_IMPL_FLAGS = ("foreach", "differentiable", "fused", "capturable")


class ExplanationMismatch(RuntimeError):
    """The hand-worked numbers differ from the real optimizer's (a bug in one of them)."""


# -- formatting -----------------------------------------------------------------------------------
def _h(x: Any) -> str:
    """A hyperparameter as written: 0.9, 1e-08, 0.001, True."""
    if isinstance(x, (bool, np.bool_)) or x is None or isinstance(x, str):
        return str(x)
    if isinstance(x, (tuple, list)):
        return "(" + ", ".join(_h(v) for v in x) + ")"
    v = float(x)
    return "0" if v == 0 else f"{v:.12g}"


class _Fmt:
    def __init__(self, digits: int):
        self.digits = digits

    def s(self, x: float) -> str:
        x = float(x)
        if not math.isfinite(x):
            return str(x)
        if x == 0:
            return "0"
        text = f"{x:.{self.digits}g}"
        return text

    def v(self, a) -> str:
        a = np.asarray(a, dtype=np.float64)
        if a.ndim == 0:
            return self.s(a)
        return "[" + ", ".join(self.v(e) for e in a) + "]"


# -- problems -------------------------------------------------------------------------------------
@dataclass
class _Problem:
    name: str
    description: str
    theta0: np.ndarray
    coords: tuple[str, ...]
    loss: Callable | None = None          # Tensor -> scalar Tensor (engine)
    grads: tuple[np.ndarray, ...] = ()    # fixed gradients when loss is None
    grad_note: str = ""

    def gradient(self, theta: np.ndarray, t: int) -> np.ndarray:
        """∇J(θ) for step t: the engine's backward pass on a fresh tensor (or the fixed one)."""
        if self.loss is None:
            return self.grads[min(t, len(self.grads)) - 1].copy()
        import losslab as ll

        p = ll.tensor(theta.copy(), dtype=ll.float64, requires_grad=True)
        self.loss(p).backward()
        return np.array(p.grad.data, dtype=np.float64)

    def set_grad(self, p, t: int) -> None:
        """Give the real optimizer's parameter its gradient for step t (a backward pass)."""
        import losslab as ll

        p.grad = None
        if self.loss is None:
            p.grad = ll.tensor(self.grads[min(t, len(self.grads)) - 1].copy(), dtype=ll.float64)
        else:
            self.loss(p).backward()

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "theta0": self.theta0.tolist(),
                "coordinates": list(self.coords)}


def _seed_problem(matrix: bool) -> _Problem:
    import losslab as ll
    from ..losses import binary_cross_entropy
    from .spec import seed_problem

    sp = seed_problem()
    tr = sp.trace()
    y = ll.tensor(sp.y, dtype=ll.float64)
    l1, l2 = sp.network.layers
    if matrix:
        x = ll.tensor(sp.x, dtype=ll.float64)
        b1 = ll.tensor(l1.bias, dtype=ll.float64)
        W2 = ll.tensor(l2.weight, dtype=ll.float64)
        b2 = ll.tensor(l2.bias, dtype=ll.float64)

        def loss(W1):
            a = ll.sigmoid(ll.linear(x, W1, b1))
            return binary_cross_entropy(ll.sigmoid(ll.linear(a, W2, b2)), y)

        return _Problem(
            "seed", "seed 003's 2-2-1 network (x = [1, 0], y = 1, BCE): θ = the hidden layer's weight "
            "matrix W1 = [[w11, w21], [w12, w22]], the output layer fixed", np.array(l1.weight, dtype=np.float64),
            ("w11", "w21", "w12", "w22"), loss,
            grad_note="the engine's backward pass through the whole seed network; at t = 1 these are "
                      "∂L/∂w11, ∂L/∂w21, ∂L/∂w12, ∂L/∂w22 of `losslab explain backprop`")
    a = ll.tensor([tr.value("a1"), tr.value("a2")], dtype=ll.float64)  # the engine's hidden activations

    def loss(theta):
        W = theta[0:2].reshape(1, 2)
        b = theta[2:3]
        return binary_cross_entropy(ll.sigmoid(ll.linear(a, W, b)), y)

    theta0 = np.array([l2.weight[0, 0], l2.weight[0, 1], l2.bias[0]], dtype=np.float64)
    return _Problem(
        "seed", "seed 003's 2-2-1 network (x = [1, 0], y = 1, BCE): θ = (w13, w23, b3), the output "
        "neuron, with the hidden activations a1 = σ(0.3), a2 = σ(0.5) fixed", theta0,
        ("w13", "w23", "b3"), loss,
        grad_note="the engine's backward pass of J(θ) = BCE(σ(w13·a1 + w23·a2 + b3), y); at t = 1 these "
                  "are ∂L/∂w13, ∂L/∂w23, ∂L/∂b3 of `losslab explain backprop`")


def _quadratic_problem() -> _Problem:
    import losslab as ll

    c = ll.tensor([0.5, 5.0], dtype=ll.float64)

    def loss(theta):
        return (c * theta * theta).sum()

    return _Problem("quadratic", "J(θ) = ½·(θ1² + 10·θ2²) from θ = (1, 1): an ill-conditioned bowl",
                    np.array([1.0, 1.0]), ("θ1", "θ2"), loss,
                    grad_note="the engine's backward pass of J(θ) = ½·(θ1² + 10·θ2²), i.e. (θ1, 10·θ2)")


def _custom_problem(spec: Mapping, matrix: bool) -> _Problem:
    unknown = set(spec) - {"theta", "grad", "description"}
    if unknown:
        raise ValueError(f"problem: unknown key(s) {sorted(unknown)}; expected 'theta' and 'grad'")
    for key in ("theta", "grad"):
        if key not in spec:
            raise ValueError(f"problem: missing {key!r}; give {{'theta': [...], 'grad': [...]}}")
    try:
        theta = np.array(spec["theta"], dtype=np.float64)
        grad = np.array(spec["grad"], dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"problem: theta and grad must be numbers, got theta={spec['theta']!r}, "
                         f"grad={spec['grad']!r}") from None
    want = 2 if matrix else 1
    what = "a 2-D matrix (Muon updates matrices only)" if matrix else "a 1-D vector"
    if theta.ndim != want:
        raise ValueError(f"problem: theta must be {what}, got shape {theta.shape}")
    if not 1 <= theta.size <= 12:
        raise ValueError(f"problem: theta must have 1 to 12 entries, got {theta.size}")
    if grad.shape == theta.shape:
        grads = (grad,)
    elif grad.ndim == theta.ndim + 1 and grad.shape[1:] == theta.shape and grad.shape[0] >= 1:
        grads = tuple(grad)
    else:
        raise ValueError(f"problem: grad must have theta's shape {theta.shape} (used at every step) or "
                         f"be a list of such (one per step), got shape {grad.shape}")
    for name, arr in (("theta", theta), ("grad", grad)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"problem: {name} contains a non-finite number: {arr.tolist()}")
    coords = tuple(f"θ{k + 1}" for k in range(theta.size))
    return _Problem("custom", str(spec.get("description", "a given θ with a fixed gradient")), theta,
                    coords, None, grads, grad_note="given")


def _make_problem(problem: Any, matrix: bool, name: str) -> _Problem:
    if isinstance(problem, str):
        key = problem.strip().lower()
        if key == "seed":
            return _seed_problem(matrix)
        if key == "quadratic":
            if matrix:
                raise ValueError(f"problem: {name} updates 2-D matrices only; the 'quadratic' problem has a "
                                 "vector parameter; use problem='seed' (the hidden layer's 2×2 weights) or "
                                 "{'theta': [[...], [...]], 'grad': [[...], [...]]}")
            return _quadratic_problem()
        raise ValueError(f"problem: expected 'seed', 'quadratic' or {{'theta': [...], 'grad': [...]}}, "
                         f"got {problem!r}")
    if isinstance(problem, Mapping):
        return _custom_problem(problem, matrix)
    raise TypeError(f"problem: expected 'seed', 'quadratic' or a mapping {{'theta', 'grad'}}, got "
                    f"{type(problem).__name__}")


# -- the worked quantities ------------------------------------------------------------------------
@dataclass
class Quantity:
    """One worked line: ``name = formula = numeric = value``."""

    name: str
    formula: str
    value: Any
    numeric: str = ""
    note: str = ""

    def to_dict(self) -> dict:
        v = np.asarray(self.value, dtype=np.float64)
        return {"name": self.name, "formula": self.formula, "numeric": self.numeric,
                "value": float(v) if v.ndim == 0 else v.tolist(), "note": self.note}


class _Work:
    def __init__(self, fmt: _Fmt):
        self.fmt = fmt
        self.items: list[Quantity] = []

    def q(self, name: str, formula: str, value, numeric: str = "", note: str = ""):
        if isinstance(value, np.ndarray):
            value = value.astype(np.float64, copy=True)
        else:
            value = float(value)
        self.items.append(Quantity(name, formula, value, numeric, note))
        return value


@dataclass
class WorkedStep:
    """One update worked by hand and its check against the real optimizer."""

    t: int
    theta_before: np.ndarray
    grad: np.ndarray
    quantities: list[Quantity]
    theta_after: np.ndarray
    real_theta_after: np.ndarray
    max_abs_diff: float
    state_checked: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"t": self.t, "theta_before": self.theta_before.tolist(), "grad": self.grad.tolist(),
                "quantities": [q.to_dict() for q in self.quantities],
                "theta_after": self.theta_after.tolist(),
                "optimizer_theta_after": self.real_theta_after.tolist(),
                "max_abs_diff": self.max_abs_diff, "state_checked": dict(self.state_checked)}


# -- per-optimizer rules and worked steps ---------------------------------------------------------
# Each explainer has: rule(h) -> list of (formula, {symbol: value}) lines, and
# work(h, w, theta, g, st, t) -> new theta, filling w with quantities and st with its state;
# STATE maps the explanation's state names to the real optimizer's state keys for the check.
# Names: θ parameters, g gradient (after maximize / coupled weight decay), t step (1 for the first).


def _grad_lines(h: dict, w: _Work, theta, g, t, *, coupled: bool = True):
    """g_t from ∇J: sign for maximize, + λθ for coupled weight decay."""
    F = w.fmt
    raw = g
    if h.get("maximize"):
        g = w.q(f"g_{t}", f"−∇J(θ_{t - 1})", -raw, f"−{F.v(raw)}", "maximize: ascend")
    wd = h.get("weight_decay", 0.0) if coupled else 0.0
    if wd:
        prev = f"g_{t}" if h.get("maximize") else f"∇J(θ_{t - 1})"
        g = w.q(f"g_{t}", f"{prev} + λ·θ_{t - 1}", g + wd * theta,
                f"{F.v(g)} + {_h(wd)}·{F.v(theta)}", "coupled L2 weight decay")
    if not h.get("maximize") and not wd:
        w.q(f"g_{t}", f"∇J(θ_{t - 1})", g)
    return g


def _grad_rule(h: dict, coupled: bool = True) -> list:
    wd = h.get("weight_decay", 0.0) if coupled else 0.0
    base = "−∇J(θ_{t-1})" if h.get("maximize") else "∇J(θ_{t-1})"
    if wd:
        return [(f"g_t = {base} + λ·θ_{{t-1}}", {"λ": wd})]
    return [(f"g_t = {base}", {})]


def _decoupled(h: dict, w: _Work, theta, t, lr_sym="η"):
    wd = h.get("weight_decay", 0.0)
    if not wd:
        return theta
    F = w.fmt
    return w.q(f"θ'_{t - 1}", f"θ_{t - 1}·(1 − {lr_sym}·λ)", theta * (1 - h["lr"] * wd),
               f"{F.v(theta)}·(1 − {_h(h['lr'])}·{_h(wd)})", "decoupled weight decay")


def _decoupled_rule(h: dict, dec: bool, **values) -> tuple[list, str]:
    """The rule's decoupled-weight-decay line (none when off or λ = 0) and the symbol the update
    starts from (θ'_{t-1} or θ_{t-1})."""
    if not (dec and h["weight_decay"]):
        return [], "θ_{t-1}"
    return [("θ'_{t-1} = θ_{t-1}·(1 − η·λ)   (decoupled weight decay)", {**values, "λ": h["weight_decay"]})], \
        "θ'_{t-1}"


def _decoupled_start(h: dict, w: _Work, theta, t, dec: bool):
    """The worked θ'_{t-1} after decoupled weight decay (θ_{t-1} itself when off) and its name."""
    if not (dec and h["weight_decay"]):
        return theta, f"θ_{t - 1}"
    return _decoupled(h, w, theta, t), f"θ'_{t - 1}"


# SGD ------------------------------------------------------------------------------------------
def _sgd_rule(h):
    mu, tau, lr = h["momentum"], h["dampening"], h["lr"]
    lines = _grad_rule(h)
    if mu == 0:
        return lines + [("θ_t = θ_{t-1} − η·g_t", {"η": lr})]
    if h.get("momentum_style", "pytorch") == "sutskever":
        lines += [("v_1 = −η·g_1;   v_t = μ·v_{t-1} − (1 − τ)·η·g_t", {"μ": mu, "τ": tau, "η": lr})]
        if h["nesterov"]:
            return lines + [("θ_t = θ_{t-1} + μ·v_t − η·g_t", {"μ": mu, "η": lr})]
        return lines + [("θ_t = θ_{t-1} + v_t", {})]
    lines += [("b_1 = g_1;   b_t = μ·b_{t-1} + (1 − τ)·g_t", {"μ": mu, "τ": tau})]
    if h["nesterov"]:
        return lines + [("d_t = g_t + μ·b_t   (Nesterov)", {"μ": mu}), ("θ_t = θ_{t-1} − η·d_t", {"η": lr})]
    return lines + [("θ_t = θ_{t-1} − η·b_t", {"η": lr})]


def _sgd_work(h, w, theta, g, st, t):
    F = w.fmt
    mu, tau, lr = h["momentum"], h["dampening"], h["lr"]
    g = _grad_lines(h, w, theta, g, t)
    if mu == 0:
        return w.q(f"θ_{t}", f"θ_{t - 1} − η·g_{t}", theta - lr * g, f"{F.v(theta)} − {_h(lr)}·{F.v(g)}")
    if h.get("momentum_style", "pytorch") == "sutskever":
        if "v" not in st:
            v = w.q(f"v_{t}", f"−η·g_{t}", -lr * g, f"−{_h(lr)}·{F.v(g)}", "first step: the velocity starts at −η·g")
        else:
            v = w.q(f"v_{t}", f"μ·v_{t - 1} − (1 − τ)·η·g_{t}", mu * st["v"] - (1 - tau) * lr * g,
                    f"{_h(mu)}·{F.v(st['v'])} − {_h(1 - tau)}·{_h(lr)}·{F.v(g)}")
        st["v"] = v
        if h["nesterov"]:
            return w.q(f"θ_{t}", f"θ_{t - 1} + μ·v_{t} − η·g_{t}", theta + mu * v - lr * g,
                       f"{F.v(theta)} + {_h(mu)}·{F.v(v)} − {_h(lr)}·{F.v(g)}")
        return w.q(f"θ_{t}", f"θ_{t - 1} + v_{t}", theta + v, f"{F.v(theta)} + {F.v(v)}")
    if "b" not in st:
        b = w.q(f"b_{t}", f"g_{t}", g.copy(), "", "first step: the buffer starts at g (no dampening)")
    else:
        b = w.q(f"b_{t}", f"μ·b_{t - 1} + (1 − τ)·g_{t}", mu * st["b"] + (1 - tau) * g,
                f"{_h(mu)}·{F.v(st['b'])} + {_h(1 - tau)}·{F.v(g)}")
    st["b"] = b
    if h["nesterov"]:
        d = w.q(f"d_{t}", f"g_{t} + μ·b_{t}", g + mu * b, f"{F.v(g)} + {_h(mu)}·{F.v(b)}", "Nesterov")
    else:
        d = b
    return w.q(f"θ_{t}", f"θ_{t - 1} − η·" + (f"d_{t}" if h["nesterov"] else f"b_{t}"), theta - lr * d,
               f"{F.v(theta)} − {_h(lr)}·{F.v(d)}")


def _sgd_state(h):
    if h["momentum"] == 0:
        return {}
    return {"v": "velocity"} if h.get("momentum_style", "pytorch") == "sutskever" else {"b": "momentum_buffer"}


# Adagrad --------------------------------------------------------------------------------------
def _adagrad_rule(h):
    lines = _grad_rule(h)
    if h["lr_decay"]:
        lines.append(("η_t = η/(1 + (t − 1)·κ)", {"η": h["lr"], "κ": h["lr_decay"]}))
    else:
        lines.append(("η_t = η", {"η": h["lr"]}))
    lines.append(("s_t = s_{t-1} + g_t²", {"s_0": h["initial_accumulator_value"]}))
    if h.get("eps_inside_sqrt"):
        lines.append(("θ_t = θ_{t-1} − η_t·g_t/√(s_t + ε)", {"ε": h["eps"]}))
    else:
        lines.append(("θ_t = θ_{t-1} − η_t·g_t/(√s_t + ε)", {"ε": h["eps"]}))
    return lines


def _adagrad_work(h, w, theta, g, st, t):
    F = w.fmt
    g = _grad_lines(h, w, theta, g, t)
    lr, kappa, eps = h["lr"], h["lr_decay"], h["eps"]
    clr = w.q(f"η_{t}", "η/(1 + (t − 1)·κ)", lr / (1 + (t - 1) * kappa), f"{_h(lr)}/(1 + {t - 1}·{_h(kappa)})")
    s_prev = st.get("s", np.full_like(theta, h["initial_accumulator_value"]))
    s = w.q(f"s_{t}", f"s_{t - 1} + g_{t}²", s_prev + g * g, f"{F.v(s_prev)} + {F.v(g)}²")
    st["s"] = s
    if h.get("eps_inside_sqrt"):
        den = w.q("d", f"√(s_{t} + ε)", np.sqrt(s + eps), f"√({F.v(s)} + {_h(eps)})")
    else:
        den = w.q("d", f"√s_{t} + ε", np.sqrt(s) + eps, f"√{F.v(s)} + {_h(eps)}")
    return w.q(f"θ_{t}", f"θ_{t - 1} − η_{t}·g_{t}/d", theta - clr * g / den,
               f"{F.v(theta)} − {F.s(clr)}·{F.v(g)}/{F.v(den)}")


# RMSprop --------------------------------------------------------------------------------------
def _rmsprop_rule(h):
    a, mu, eps, lr = h["alpha"], h["momentum"], h["eps"], h["lr"]
    lines = _grad_rule(h) + [("v_t = α·v_{t-1} + (1 − α)·g_t²   (v_0 = 0)", {"α": a})]
    if h["centered"]:
        lines += [("ḡ_t = α·ḡ_{t-1} + (1 − α)·g_t;   ṽ_t = v_t − ḡ_t²   (centered)", {"α": a})]
        var = "ṽ_t"
    else:
        var = "v_t"
    if h.get("eps_inside_sqrt"):
        lines.append((f"d_t = √({var} + ε)", {"ε": eps}))
    else:
        lines.append((f"d_t = √{var} + ε", {"ε": eps}))
    if mu > 0:
        if h.get("momentum_style", "pytorch") == "sutskever":
            lines += [("b_t = μ·b_{t-1} + η·g_t/d_t", {"μ": mu, "η": lr}), ("θ_t = θ_{t-1} − b_t", {})]
        else:
            lines += [("b_t = μ·b_{t-1} + g_t/d_t   (b_0 = 0)", {"μ": mu}),
                      ("θ_t = θ_{t-1} − η·b_t", {"η": lr})]
    else:
        lines.append(("θ_t = θ_{t-1} − η·g_t/d_t", {"η": lr}))
    return lines


def _rmsprop_work(h, w, theta, g, st, t):
    F = w.fmt
    a, mu, eps, lr = h["alpha"], h["momentum"], h["eps"], h["lr"]
    g = _grad_lines(h, w, theta, g, t)
    v_prev = st.get("v", np.zeros_like(theta))
    v = w.q(f"v_{t}", f"α·v_{t - 1} + (1 − α)·g_{t}²", a * v_prev + (1 - a) * g * g,
            f"{_h(a)}·{F.v(v_prev)} + {_h(1 - a)}·{F.v(g)}²")
    st["v"] = v
    var = v
    if h["centered"]:
        ga_prev = st.get("gbar", np.zeros_like(theta))
        ga = w.q(f"ḡ_{t}", f"α·ḡ_{t - 1} + (1 − α)·g_{t}", a * ga_prev + (1 - a) * g,
                 f"{_h(a)}·{F.v(ga_prev)} + {_h(1 - a)}·{F.v(g)}")
        st["gbar"] = ga
        var = w.q(f"ṽ_{t}", f"v_{t} − ḡ_{t}²", v - ga * ga, f"{F.v(v)} − {F.v(ga)}²")
    vn = f"ṽ_{t}" if h["centered"] else f"v_{t}"
    if h.get("eps_inside_sqrt"):
        d = w.q(f"d_{t}", f"√({vn} + ε)", np.sqrt(var + eps), f"√({F.v(var)} + {_h(eps)})")
    else:
        d = w.q(f"d_{t}", f"√{vn} + ε", np.sqrt(var) + eps, f"√{F.v(var)} + {_h(eps)}")
    if mu > 0:
        b_prev = st.get("b", np.zeros_like(theta))
        if h.get("momentum_style", "pytorch") == "sutskever":
            b = w.q(f"b_{t}", f"μ·b_{t - 1} + η·g_{t}/d_{t}", mu * b_prev + lr * g / d,
                    f"{_h(mu)}·{F.v(b_prev)} + {_h(lr)}·{F.v(g)}/{F.v(d)}")
            st["b"] = b
            return w.q(f"θ_{t}", f"θ_{t - 1} − b_{t}", theta - b, f"{F.v(theta)} − {F.v(b)}")
        b = w.q(f"b_{t}", f"μ·b_{t - 1} + g_{t}/d_{t}", mu * b_prev + g / d,
                f"{_h(mu)}·{F.v(b_prev)} + {F.v(g)}/{F.v(d)}")
        st["b"] = b
        return w.q(f"θ_{t}", f"θ_{t - 1} − η·b_{t}", theta - lr * b, f"{F.v(theta)} − {_h(lr)}·{F.v(b)}")
    return w.q(f"θ_{t}", f"θ_{t - 1} − η·g_{t}/d_{t}", theta - lr * g / d,
               f"{F.v(theta)} − {_h(lr)}·{F.v(g)}/{F.v(d)}")


def _rmsprop_state(h):
    out = {"v": "square_avg"}
    if h["centered"]:
        out["gbar"] = "grad_avg"
    if h["momentum"] > 0:
        out["b"] = "momentum_buffer"
    return out


# Adam / AdamW -----------------------------------------------------------------------------------
def _is_decoupled(h, name):
    return bool(h.get("decoupled_weight_decay", name == "adamw"))


def _adam_rule(h, name="adam"):
    b1, b2 = h["betas"]
    dec = _is_decoupled(h, name)
    lines, theta = _decoupled_rule(h, dec, η=h["lr"])
    lines += _grad_rule(h, coupled=not dec)
    lines += [("m_t = β1·m_{t-1} + (1 − β1)·g_t   (m_0 = 0)", {"β1": b1}),
              ("v_t = β2·v_{t-1} + (1 − β2)·g_t²   (v_0 = 0)", {"β2": b2})]
    vv = "v_t"
    if h["amsgrad"]:
        lines.append(("v^max_t = max(v^max_{t-1}, v_t)   (AMSGrad; used in place of v_t below)", {}))
        vv = "v^max_t"
    if h.get("eps_style", "pytorch") == "epsilon_hat":
        lines += [("α_t = η·√(1 − β2^t)/(1 − β1^t)", {"η": h["lr"]}),
                  (f"θ_t = {theta} − α_t·m_t/(√{vv} + ε̂)", {"ε̂": h["eps"]})]
    else:
        lines += [("m̂_t = m_t/(1 − β1^t)", {}), (f"v̂_t = {vv}/(1 − β2^t)", {}),
                  (f"θ_t = {theta} − η·m̂_t/(√v̂_t + ε)", {"η": h["lr"], "ε": h["eps"]})]
    return lines


def _adam_moments(w, theta, g, st, t, b1, b2):
    """Adam's first and second moments m_t, v_t (shared by Adam, AdamW, NAdam and RAdam)."""
    F = w.fmt
    m_prev = st.get("m", np.zeros_like(theta))
    v_prev = st.get("v", np.zeros_like(theta))
    m = w.q(f"m_{t}", f"β1·m_{t - 1} + (1 − β1)·g_{t}", b1 * m_prev + (1 - b1) * g,
            f"{_h(b1)}·{F.v(m_prev)} + {_h(1 - b1)}·{F.v(g)}")
    v = w.q(f"v_{t}", f"β2·v_{t - 1} + (1 − β2)·g_{t}²", b2 * v_prev + (1 - b2) * g * g,
            f"{_h(b2)}·{F.v(v_prev)} + {_h(1 - b2)}·{F.v(g)}²")
    st["m"], st["v"] = m, v
    return m, v


def _adam_work(h, w, theta, g, st, t, name="adam"):
    F = w.fmt
    b1, b2 = h["betas"]
    lr, eps = h["lr"], h["eps"]
    dec = _is_decoupled(h, name)
    th, tn = _decoupled_start(h, w, theta, t, dec)
    g = _grad_lines(h, w, theta, g, t, coupled=not dec)
    m, v = _adam_moments(w, theta, g, st, t, b1, b2)
    second, vn = v, f"v_{t}"
    if h["amsgrad"]:
        vm_prev = st.get("vmax", np.zeros_like(theta))
        second = w.q(f"v^max_{t}", f"max(v^max_{t - 1}, v_{t})", np.maximum(vm_prev, v),
                     f"max({F.v(vm_prev)}, {F.v(v)})", "AMSGrad")
        st["vmax"] = second
        vn = f"v^max_{t}"
    bc1 = w.q(f"1 − β1^{t}", f"1 − {_h(b1)}^{t}", 1 - b1 ** t)
    bc2 = w.q(f"1 − β2^{t}", f"1 − {_h(b2)}^{t}", 1 - b2 ** t)
    if h.get("eps_style", "pytorch") == "epsilon_hat":
        alpha = w.q(f"α_{t}", f"η·√(1 − β2^{t})/(1 − β1^{t})", lr * bc2 ** 0.5 / bc1,
                    f"{_h(lr)}·√{F.s(bc2)}/{F.s(bc1)}")
        den = w.q("d", f"√{vn} + ε̂", np.sqrt(second) + eps, f"√{F.v(second)} + {_h(eps)}")
        return w.q(f"θ_{t}", f"{tn} − α_{t}·m_{t}/d", th - alpha * m / den,
                   f"{F.v(th)} − {F.s(alpha)}·{F.v(m)}/{F.v(den)}")
    mh = w.q(f"m̂_{t}", f"m_{t}/(1 − β1^{t})", m / bc1, f"{F.v(m)}/{F.s(bc1)}")
    vh = w.q(f"v̂_{t}", f"{vn}/(1 − β2^{t})", second / bc2, f"{F.v(second)}/{F.s(bc2)}")
    den = w.q("d", f"√v̂_{t} + ε", np.sqrt(vh) + eps, f"√{F.v(vh)} + {_h(eps)}")
    return w.q(f"θ_{t}", f"{tn} − η·m̂_{t}/d", th - lr * mh / den,
               f"{F.v(th)} − {_h(lr)}·{F.v(mh)}/{F.v(den)}")


def _adam_state(h):
    out = {"m": "exp_avg", "v": "exp_avg_sq"}
    if h["amsgrad"]:
        out["vmax"] = "max_exp_avg_sq"
    return out


# Adadelta -------------------------------------------------------------------------------------
def _adadelta_rule(h):
    rho, eps, lr = h["rho"], h["eps"], h["lr"]
    return _grad_rule(h) + [
        ("v_t = ρ·v_{t-1} + (1 − ρ)·g_t²   (v_0 = 0)", {"ρ": rho}),
        ("Δ_t = √(u_{t-1} + ε)/√(v_t + ε)·g_t   (u_0 = 0)", {"ε": eps}),
        ("u_t = ρ·u_{t-1} + (1 − ρ)·Δ_t²", {"ρ": rho}),
        ("θ_t = θ_{t-1} − η·Δ_t", {"η": lr}),
    ]


def _adadelta_work(h, w, theta, g, st, t):
    F = w.fmt
    rho, eps, lr = h["rho"], h["eps"], h["lr"]
    g = _grad_lines(h, w, theta, g, t)
    v_prev = st.get("v", np.zeros_like(theta))
    u_prev = st.get("u", np.zeros_like(theta))
    v = w.q(f"v_{t}", f"ρ·v_{t - 1} + (1 − ρ)·g_{t}²", rho * v_prev + (1 - rho) * g * g,
            f"{_h(rho)}·{F.v(v_prev)} + {_h(1 - rho)}·{F.v(g)}²")
    delta = w.q(f"Δ_{t}", f"√(u_{t - 1} + ε)/√(v_{t} + ε)·g_{t}", np.sqrt(u_prev + eps) / np.sqrt(v + eps) * g,
                f"√({F.v(u_prev)} + {_h(eps)})/√({F.v(v)} + {_h(eps)})·{F.v(g)}")
    u = w.q(f"u_{t}", f"ρ·u_{t - 1} + (1 − ρ)·Δ_{t}²", rho * u_prev + (1 - rho) * delta * delta,
            f"{_h(rho)}·{F.v(u_prev)} + {_h(1 - rho)}·{F.v(delta)}²")
    st["v"], st["u"] = v, u
    return w.q(f"θ_{t}", f"θ_{t - 1} − η·Δ_{t}", theta - lr * delta, f"{F.v(theta)} − {_h(lr)}·{F.v(delta)}")


# Adamax ---------------------------------------------------------------------------------------
def _adamax_rule(h):
    b1, b2 = h["betas"]
    return _grad_rule(h) + [
        ("m_t = β1·m_{t-1} + (1 − β1)·g_t   (m_0 = 0)", {"β1": b1}),
        ("u_t = max(β2·u_{t-1}, |g_t| + ε)   (u_0 = 0)", {"β2": b2, "ε": h["eps"]}),
        ("θ_t = θ_{t-1} − η/(1 − β1^t)·m_t/u_t", {"η": h["lr"]}),
    ]


def _adamax_work(h, w, theta, g, st, t):
    F = w.fmt
    b1, b2 = h["betas"]
    lr, eps = h["lr"], h["eps"]
    g = _grad_lines(h, w, theta, g, t)
    m_prev = st.get("m", np.zeros_like(theta))
    u_prev = st.get("u", np.zeros_like(theta))
    m = w.q(f"m_{t}", f"β1·m_{t - 1} + (1 − β1)·g_{t}", b1 * m_prev + (1 - b1) * g,
            f"{_h(b1)}·{F.v(m_prev)} + {_h(1 - b1)}·{F.v(g)}")
    u = w.q(f"u_{t}", f"max(β2·u_{t - 1}, |g_{t}| + ε)", np.maximum(b2 * u_prev, np.abs(g) + eps),
            f"max({_h(b2)}·{F.v(u_prev)}, |{F.v(g)}| + {_h(eps)})")
    st["m"], st["u"] = m, u
    clr = w.q(f"η_{t}", "η/(1 − β1^t)", lr / (1 - b1 ** t), f"{_h(lr)}/(1 − {_h(b1)}^{t})")
    return w.q(f"θ_{t}", f"θ_{t - 1} − η_{t}·m_{t}/u_{t}", theta - clr * m / u,
               f"{F.v(theta)} − {F.s(clr)}·{F.v(m)}/{F.v(u)}")


# NAdam ----------------------------------------------------------------------------------------
def _nadam_rule(h):
    b1, b2 = h["betas"]
    dec = bool(h.get("decoupled_weight_decay"))
    lines, th = _decoupled_rule(h, dec)
    return lines + _grad_rule(h, coupled=not dec) + [
        ("μ_t = β1·(1 − ½·0.96^(t·ψ))", {"β1": b1, "ψ": h["momentum_decay"]}),
        ("Π_t = Π_{t-1}·μ_t   (Π_0 = 1; kept in the scalar state dtype, float32 by default, as PyTorch)", {}),
        ("m_t = β1·m_{t-1} + (1 − β1)·g_t;   v_t = β2·v_{t-1} + (1 − β2)·g_t²", {"β2": b2}),
        ("d_t = √(v_t/(1 − β2^t)) + ε", {"ε": h["eps"]}),
        (f"θ_t = {th} − η·(1 − μ_t)/(1 − Π_t)·g_t/d_t − η·μ_{{t+1}}/(1 − Π_t·μ_{{t+1}})·m_t/d_t", {"η": h["lr"]}),
    ]


def _scalar_dtype():
    from ..optim import _adaptive

    return _adaptive.scalar_dtype()


def _nadam_work(h, w, theta, g, st, t):
    F = w.fmt
    b1, b2 = h["betas"]
    lr, eps, psi = h["lr"], h["eps"], h["momentum_decay"]
    dec = bool(h.get("decoupled_weight_decay"))
    th, tn = _decoupled_start(h, w, theta, t, dec)
    g = _grad_lines(h, w, theta, g, t, coupled=not dec)
    mu = w.q(f"μ_{t}", f"β1·(1 − ½·0.96^({t}·ψ))", b1 * (1.0 - 0.5 * 0.96 ** (t * psi)),
             f"{_h(b1)}·(1 − ½·0.96^({t}·{_h(psi)}))")
    mu_next = w.q(f"μ_{t + 1}", f"β1·(1 − ½·0.96^({t + 1}·ψ))", b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi)),
                  f"{_h(b1)}·(1 − ½·0.96^({t + 1}·{_h(psi)}))")
    sd = _scalar_dtype()
    pi_prev = st.get("pi", np.ones((), dtype=sd))
    pi_arr = np.array(pi_prev, dtype=sd)
    pi_arr *= mu  # rounded to the scalar state dtype, as the optimizer stores it
    note = "" if sd == np.float64 else f"stored as {np.dtype(sd).name}, as PyTorch keeps mu_product"
    pi = w.q(f"Π_{t}", f"Π_{t - 1}·μ_{t}", float(pi_arr), f"{F.s(float(pi_prev))}·{F.s(mu)}", note)
    st["pi"] = pi_arr
    m, v = _adam_moments(w, theta, g, st, t, b1, b2)
    bc2 = 1 - b2 ** t
    d = w.q(f"d_{t}", f"√(v_{t}/(1 − β2^{t})) + ε", np.sqrt(v / bc2) + eps, f"√({F.v(v)}/{F.s(bc2)}) + {_h(eps)}")
    cg = w.q("c_g", f"η·(1 − μ_{t})/(1 − Π_{t})", lr * (1.0 - mu) / (1.0 - pi), f"{_h(lr)}·(1 − {F.s(mu)})/(1 − {F.s(pi)})")
    cm = w.q("c_m", f"η·μ_{t + 1}/(1 − Π_{t}·μ_{t + 1})", lr * mu_next / (1.0 - pi * mu_next),
             f"{_h(lr)}·{F.s(mu_next)}/(1 − {F.s(pi)}·{F.s(mu_next)})")
    return w.q(f"θ_{t}", f"{tn} − c_g·g_{t}/d_{t} − c_m·m_{t}/d_{t}", th - cg * g / d - cm * m / d,
               f"{F.v(th)} − {F.s(cg)}·{F.v(g)}/{F.v(d)} − {F.s(cm)}·{F.v(m)}/{F.v(d)}")


def _nadam_state(h):
    return {"m": "exp_avg", "v": "exp_avg_sq", "pi": "mu_product"}


# RAdam ----------------------------------------------------------------------------------------
def _radam_rule(h):
    b1, b2 = h["betas"]
    dec = bool(h.get("decoupled_weight_decay"))
    lines, th = _decoupled_rule(h, dec)
    return lines + _grad_rule(h, coupled=not dec) + [
        ("m_t = β1·m_{t-1} + (1 − β1)·g_t;   m̂_t = m_t/(1 − β1^t)", {"β1": b1}),
        ("v_t = β2·v_{t-1} + (1 − β2)·g_t²", {"β2": b2}),
        ("ρ_∞ = 2/(1 − β2) − 1;   ρ_t = ρ_∞ − 2t·β2^t/(1 − β2^t)", {}),
        ("if ρ_t > 5:  r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))", {}),
        (f"             θ_t = {th} − η·m̂_t·r_t·√(1 − β2^t)/(√v_t + ε)", {"η": h["lr"], "ε": h["eps"]}),
        (f"else:        θ_t = {th} − η·m̂_t   (too few steps for a reliable variance: plain momentum)", {}),
    ]


def _radam_work(h, w, theta, g, st, t):
    F = w.fmt
    b1, b2 = h["betas"]
    lr, eps = h["lr"], h["eps"]
    dec = bool(h.get("decoupled_weight_decay"))
    th, tn = _decoupled_start(h, w, theta, t, dec)
    g = _grad_lines(h, w, theta, g, t, coupled=not dec)
    m, v = _adam_moments(w, theta, g, st, t, b1, b2)
    bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
    mh = w.q(f"m̂_{t}", f"m_{t}/(1 − β1^{t})", m / bc1, f"{F.v(m)}/{F.s(bc1)}")
    rho_inf = w.q("ρ_∞", "2/(1 − β2) − 1", 2 / (1 - b2) - 1, f"2/(1 − {_h(b2)}) − 1")
    rho_t = w.q(f"ρ_{t}", f"ρ_∞ − 2·{t}·β2^{t}/(1 − β2^{t})", rho_inf - 2 * t * (b2 ** t) / bc2,
                f"{F.s(rho_inf)} − 2·{t}·{_h(b2)}^{t}/{F.s(bc2)}")
    if rho_t > 5.0:
        r = w.q(f"r_{t}", "√((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))",
                ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5,
                note=f"ρ_{t} = {F.s(rho_t)} > 5: the variance is rectified")
        return w.q(f"θ_{t}", f"{tn} − η·m̂_{t}·r_{t}·√(1 − β2^{t})/(√v_{t} + ε)",
                   th - lr * mh * r * bc2 ** 0.5 / (np.sqrt(v) + eps),
                   f"{F.v(th)} − {_h(lr)}·{F.v(mh)}·{F.s(r)}·√{F.s(bc2)}/(√{F.v(v)} + {_h(eps)})")
    return w.q(f"θ_{t}", f"{tn} − η·m̂_{t}", th - lr * mh, f"{F.v(th)} − {_h(lr)}·{F.v(mh)}",
               f"ρ_{t} = {F.s(rho_t)} ≤ 5: no adaptive denominator yet, a momentum step")


# Rprop ----------------------------------------------------------------------------------------
def _rprop_rule(h):
    em, ep = h["etas"]
    smin, smax = h["step_sizes"]
    return [("g_t = " + ("−∇J(θ_{t-1})" if h.get("maximize") else "∇J(θ_{t-1})"), {}),
            ("s_t = sign(g_t·g_{t-1})   (g_0 = 0)", {}),
            ("Δ_t = clamp(Δ_{t-1}·η+ if s_t > 0, Δ_{t-1}·η− if s_t < 0, else Δ_{t-1}; Γmin, Γmax)   (Δ_0 = η)",
             {"η+": ep, "η−": em, "Γmin": smin, "Γmax": smax, "η": h["lr"]}),
            ("g'_t = 0 where s_t < 0 (sign flip: no move this step), else g_t", {}),
            ("θ_t = θ_{t-1} − sign(g'_t)·Δ_t;   g_t is remembered as g'_t", {})]


def _rprop_work(h, w, theta, g, st, t):
    F = w.fmt
    em, ep = h["etas"]
    smin, smax = h["step_sizes"]
    if h.get("maximize"):
        g = w.q(f"g_{t}", f"−∇J(θ_{t - 1})", -g, f"−{F.v(g)}", "maximize: ascend")
    else:
        w.q(f"g_{t}", f"∇J(θ_{t - 1})", g)
    prev = st.get("prev", np.zeros_like(theta))
    size_prev = st.get("size", np.full_like(theta, h["lr"]))
    s = w.q(f"s_{t}", f"sign(g_{t}·g_{t - 1})", np.sign(g * prev), f"sign({F.v(g)}·{F.v(prev)})")
    factor = np.where(s > 0, ep, np.where(s < 0, em, 1.0))
    size = w.q(f"Δ_{t}", f"clamp(Δ_{t - 1}·factor, Γmin, Γmax)", np.clip(size_prev * factor, smin, smax),
               f"clamp({F.v(size_prev)}·{F.v(factor)}, {_h(smin)}, {_h(smax)})",
               f"factor η+ = {_h(ep)} where s > 0, η− = {_h(em)} where s < 0, 1 where s = 0")
    gp = w.q(f"g'_{t}", f"g_{t} with 0 where s_{t} < 0", np.where(s < 0, 0.0, g))
    st["prev"], st["size"] = gp, size
    return w.q(f"θ_{t}", f"θ_{t - 1} − sign(g'_{t})·Δ_{t}", theta - np.sign(gp) * size,
               f"{F.v(theta)} − {F.v(np.sign(gp))}·{F.v(size)}")


# ASGD -----------------------------------------------------------------------------------------
def _asgd_rule(h):
    lines = _grad_rule(h)
    if h["weight_decay"]:
        lines = [(lines[0][0].replace("λ", "wd"), {"wd": h["weight_decay"]})]
    return lines + [
        ("θ_t = θ_{t-1}·(1 − λ·η_t) − η_t·g_t   (η_1 = η)", {"λ": h["lambd"], "η": h["lr"]}),
        ("ax_t = ax_{t-1} + μ_t·(θ_t − ax_{t-1})   (ax_0 = 0, μ_1 = 1: ax_1 = θ_1)", {}),
        ("η_{t+1} = η/(1 + λ·η·t)^α;   μ_{t+1} = 1/max(1, t − t0)   (both kept in the scalar state dtype)",
         {"α": h["alpha"], "t0": h["t0"]}),
    ]


def _asgd_work(h, w, theta, g, st, t):
    F = w.fmt
    lr, lambd, alpha, t0, wd = h["lr"], h["lambd"], h["alpha"], h["t0"], h["weight_decay"]
    raw = g
    if h.get("maximize"):
        g = w.q(f"g_{t}", f"−∇J(θ_{t - 1})", -raw, f"−{F.v(raw)}", "maximize: ascend")
    if wd:
        prev = f"g_{t}" if h.get("maximize") else f"∇J(θ_{t - 1})"
        g = w.q(f"g_{t}", f"{prev} + wd·θ_{t - 1}", g + wd * theta, f"{F.v(g)} + {_h(wd)}·{F.v(theta)}",
                "coupled L2 weight decay")
    if not h.get("maximize") and not wd:
        w.q(f"g_{t}", f"∇J(θ_{t - 1})", g)
    sd = _scalar_dtype()
    eta = float(st.get("eta", np.array(lr, dtype=sd)))
    mu = float(st.get("mu", np.ones((), dtype=sd)))
    note = "" if eta == lr or t > 1 else f"η stored as {np.dtype(sd).name}, as PyTorch keeps it"
    w.q(f"η_{t}", "η" if t == 1 else f"η/(1 + λ·η·{t - 1})^α", eta, note=note)
    new = w.q(f"θ_{t}", f"θ_{t - 1}·(1 − λ·η_{t}) − η_{t}·g_{t}", theta * (1 - lambd * eta) - eta * g,
              f"{F.v(theta)}·(1 − {_h(lambd)}·{F.s(eta)}) − {F.s(eta)}·{F.v(g)}")
    ax_prev = st.get("ax", np.zeros_like(theta))
    if mu != 1:
        ax = w.q(f"ax_{t}", f"ax_{t - 1} + μ_{t}·(θ_{t} − ax_{t - 1})", ax_prev + (new - ax_prev) * mu,
                 f"{F.v(ax_prev)} + {F.s(mu)}·({F.v(new)} − {F.v(ax_prev)})")
    else:
        ax = w.q(f"ax_{t}", f"θ_{t}", new.copy(), note=f"μ_{t} = 1: the average restarts at θ_{t}")
    st["ax"] = ax
    st["eta"] = np.array(lr / ((1 + lambd * lr * t) ** alpha), dtype=sd)
    st["mu"] = np.array(1 / max(1, t - t0), dtype=sd)
    w.q(f"η_{t + 1}", f"η/(1 + λ·η·{t})^α", float(st["eta"]), f"{_h(lr)}/(1 + {_h(lambd)}·{_h(lr)}·{t})^{_h(alpha)}")
    w.q(f"μ_{t + 1}", f"1/max(1, {t} − t0)", float(st["mu"]), f"1/max(1, {t} − {_h(t0)})")
    return new


# Adafactor (vector parameters) ---------------------------------------------------------------
def _rms(x) -> float:
    return float(np.sqrt(np.sum(np.square(x)))) / (np.size(x) ** 0.5)


def _adafactor_rule(h):
    eps1, eps2 = h["eps"]
    e1 = "machine ε of float64" if eps1 is None else _h(eps1)
    return [
        ("g_t = " + ("−∇J(θ_{t-1})" if h.get("maximize") else "∇J(θ_{t-1})"), {}),
        ("β̂2_t = 1 − t^τ;   ρ_t = min(η, 1/√t);   α_t = max(ε2, RMS(θ_{t-1}))·ρ_t",
         {"τ": h["beta2_decay"], "η": h["lr"], "ε2": eps2}),
        ("θ'_{t-1} = θ_{t-1}·(1 − η·λ)   (decoupled weight decay)", {"λ": h["weight_decay"]}),
        ("V_t = β̂2_t·V_{t-1} + (1 − β̂2_t)·g_t²   (a vector: not factored)", {}),
        (f"U_t = g_t/max(√V_t, ε1)   (ε1 = {e1})", {}),
        ("θ_t = θ'_{t-1} − α_t·U_t/max(1, RMS(U_t)/d);   RMS(x) = √(mean x²)", {"d": h["d"]}),
    ]


def _adafactor_work(h, w, theta, g, st, t):
    F = w.fmt
    lr, tau, d, wd = h["lr"], h["beta2_decay"], h["d"], h["weight_decay"]
    eps1, eps2 = h["eps"]
    if eps1 is None:
        eps1 = float(np.finfo(np.float64).eps)
    if h.get("maximize"):
        g = w.q(f"g_{t}", f"−∇J(θ_{t - 1})", -g, f"−{F.v(g)}", "maximize: ascend")
    else:
        w.q(f"g_{t}", f"∇J(θ_{t - 1})", g)
    w_new = w.q(f"1 − β̂2_{t}", f"{t}^τ", t ** tau, f"{t}^{_h(tau)}")
    rho = w.q(f"ρ_{t}", f"min(η, 1/√{t})", min(lr, 1 / (t ** 0.5)), f"min({_h(lr)}, {F.s(1 / t ** 0.5)})")
    rms_theta = w.q(f"RMS(θ_{t - 1})", f"√(mean θ_{t - 1}²)", _rms(theta))
    alpha = w.q(f"α_{t}", f"max(ε2, RMS(θ_{t - 1}))·ρ_{t}", max(eps2, rms_theta) * rho,
                f"max({_h(eps2)}, {F.s(rms_theta)})·{F.s(rho)}")
    th = _decoupled(h, w, theta, t)
    v_prev = st.get("V", np.zeros_like(theta))
    V = w.q(f"V_{t}", f"β̂2_{t}·V_{t - 1} + (1 − β̂2_{t})·g_{t}²", (1 - w_new) * v_prev + w_new * g * g,
            f"{F.s(1 - w_new)}·{F.v(v_prev)} + {F.s(w_new)}·{F.v(g)}²")
    st["V"] = V
    U = w.q(f"U_{t}", f"g_{t}/max(√V_{t}, ε1)", g / np.sqrt(np.maximum(V, eps1 * eps1)),
            f"{F.v(g)}/max(√{F.v(V)}, {_h(eps1)})")
    rms_u = w.q(f"RMS(U_{t})", f"√(mean U_{t}²)", _rms(U))
    den = w.q("c", f"max(1, RMS(U_{t})/d)", max(1.0, rms_u / d), f"max(1, {F.s(rms_u)}/{_h(d)})")
    tn = f"θ'_{t - 1}" if wd else f"θ_{t - 1}"
    return w.q(f"θ_{t}", f"{tn} − α_{t}·U_{t}/c", th - alpha * U / den,
               f"{F.v(th)} − {F.s(alpha)}·{F.v(U)}/{F.s(den)}")


# Lion -----------------------------------------------------------------------------------------
def _lion_rule(h):
    b1, b2 = h["betas"]
    return [("g_t = " + ("−∇J(θ_{t-1})" if h.get("maximize") else "∇J(θ_{t-1})"), {}),
            ("c_t = β1·m_{t-1} + (1 − β1)·g_t   (m_0 = 0)", {"β1": b1}),
            ("θ_t = θ_{t-1} − η·(sign(c_t) + λ·θ_{t-1})", {"η": h["lr"], "λ": h["weight_decay"]}),
            ("m_t = β2·m_{t-1} + (1 − β2)·g_t", {"β2": b2})]


def _lion_work(h, w, theta, g, st, t):
    F = w.fmt
    b1, b2 = h["betas"]
    lr, wd = h["lr"], h["weight_decay"]
    if h.get("maximize"):
        g = w.q(f"g_{t}", f"−∇J(θ_{t - 1})", -g, f"−{F.v(g)}", "maximize: ascend")
    else:
        w.q(f"g_{t}", f"∇J(θ_{t - 1})", g)
    m_prev = st.get("m", np.zeros_like(theta))
    c = w.q(f"c_{t}", f"β1·m_{t - 1} + (1 − β1)·g_{t}", b1 * m_prev + (1 - b1) * g,
            f"{_h(b1)}·{F.v(m_prev)} + {_h(1 - b1)}·{F.v(g)}")
    upd = np.sign(c) + wd * theta if wd else np.sign(c)
    new = w.q(f"θ_{t}", f"θ_{t - 1} − η·(sign(c_{t}) + λ·θ_{t - 1})", theta - lr * upd,
              f"{F.v(theta)} − {_h(lr)}·({F.v(np.sign(c))} + {_h(wd)}·{F.v(theta)})")
    st["m"] = w.q(f"m_{t}", f"β2·m_{t - 1} + (1 − β2)·g_{t}", b2 * m_prev + (1 - b2) * g,
                  f"{_h(b2)}·{F.v(m_prev)} + {_h(1 - b2)}·{F.v(g)}")
    return new


# Muon (matrix parameters) ---------------------------------------------------------------------
def _muon_lr(h, shape) -> tuple[float, str]:
    rows, cols = shape
    fn = h["adjust_lr_fn"]
    if fn is None or fn == "original":
        return h["lr"] * math.sqrt(max(1, rows / cols)), f"η·√max(1, {rows}/{cols})"
    return h["lr"] * 0.2 * math.sqrt(max(rows, cols)), f"0.2·η·√max({rows}, {cols})"


def _muon_rule(h):
    a, b, c = h["ns_coefficients"]
    mu = h["momentum"]
    lines = [("G_t = ∇J(θ_{t-1})   (a matrix)", {}),
             ("B_t = μ·B_{t-1} + (1 − μ)·G_t   (B_0 = 0)", {"μ": mu})]
    lines.append(("B̃_t = μ·B_t + (1 − μ)·G_t   (Nesterov)" if h["nesterov"] else "B̃_t = B_t", {}))
    lines += [("X_0 = B̃_t/max(‖B̃_t‖_F, ε)   (transposed first when it has more rows than columns)", {"ε": h["eps"]}),
              ("X_k = a·X_{k-1} + (b·A + c·A·A)·X_{k-1},  A = X_{k-1}·X_{k-1}ᵀ,  k = 1…K;   O_t = X_K",
               {"a": a, "b": b, "c": c, "K": h["ns_steps"]}),
              ("θ_t = θ_{t-1}·(1 − η·λ) − η'·O_t,   η' = η·√max(1, rows/cols)"
               + ("" if h["adjust_lr_fn"] in (None, "original") else " (match_rms_adamw: 0.2·η·√max(rows, cols))"),
               {"η": h["lr"], "λ": h["weight_decay"]})]
    return lines


def _muon_work(h, w, theta, g, st, t):
    F = w.fmt
    mu, lr, wd, eps = h["momentum"], h["lr"], h["weight_decay"], h["eps"]
    a, b, c = h["ns_coefficients"]
    w.q(f"G_{t}", f"∇J(θ_{t - 1})", g)
    B_prev = st.get("B", np.zeros_like(theta))
    B = w.q(f"B_{t}", f"μ·B_{t - 1} + (1 − μ)·G_{t}", mu * B_prev + (1 - mu) * g,
            f"{_h(mu)}·{F.v(B_prev)} + {_h(1 - mu)}·{F.v(g)}")
    st["B"] = B
    if h["nesterov"]:
        U = w.q(f"B̃_{t}", f"μ·B_{t} + (1 − μ)·G_{t}", mu * B + (1 - mu) * g,
                f"{_h(mu)}·{F.v(B)} + {_h(1 - mu)}·{F.v(g)}")
    else:
        U = B
    transpose = U.shape[0] > U.shape[1]
    X = U.T if transpose else U
    norm = w.q("‖B̃‖_F", "√(sum of squares)", float(np.sqrt(np.sum(np.square(X)))))
    X = w.q("X_0", "B̃ᵀ/max(‖B̃‖_F, ε)" if transpose else "B̃/max(‖B̃‖_F, ε)", X / max(norm, eps),
            f"{F.v(X)}/{F.s(max(norm, eps))}")
    for k in range(1, h["ns_steps"] + 1):
        gram = X @ X.T
        X = w.q(f"X_{k}", f"a·X_{k - 1} + (b·A + c·A·A)·X_{k - 1}", a * X + (b * gram + c * (gram @ gram)) @ X,
                note=f"A = X_{k - 1}·X_{k - 1}ᵀ = {F.v(gram)}")
    O = w.q(f"O_{t}", f"X_{h['ns_steps']}ᵀ" if transpose else f"X_{h['ns_steps']}", X.T if transpose else X)
    adj, expr = _muon_lr(h, theta.shape)
    adj = w.q("η'", expr, adj)
    return w.q(f"θ_{t}", f"θ_{t - 1}·(1 − η·λ) − η'·O_{t}", theta * (1 - lr * wd) - adj * O,
               f"{F.v(theta)}·(1 − {_h(lr)}·{_h(wd)}) − {F.s(adj)}·{F.v(O)}")


@dataclass(frozen=True)
class _Explainer:
    rule: Callable
    work: Callable
    state: Callable
    matrix: bool = False
    note: str = ""


_EXPLAINERS: dict[str, _Explainer] = {
    "sgd": _Explainer(_sgd_rule, _sgd_work, _sgd_state),
    "adagrad": _Explainer(_adagrad_rule, _adagrad_work, lambda h: {"s": "sum"}),
    "rmsprop": _Explainer(_rmsprop_rule, _rmsprop_work, _rmsprop_state),
    "adam": _Explainer(_adam_rule, _adam_work, _adam_state),
    "adamw": _Explainer(lambda h: _adam_rule(h, "adamw"),
                        lambda h, w, th, g, st, t: _adam_work(h, w, th, g, st, t, "adamw"), _adam_state),
    "adadelta": _Explainer(_adadelta_rule, _adadelta_work, lambda h: {"v": "square_avg", "u": "acc_delta"}),
    "adamax": _Explainer(_adamax_rule, _adamax_work, lambda h: {"m": "exp_avg", "u": "exp_inf"}),
    "nadam": _Explainer(_nadam_rule, _nadam_work, _nadam_state),
    "radam": _Explainer(_radam_rule, _radam_work, lambda h: {"m": "exp_avg", "v": "exp_avg_sq"}),
    "rprop": _Explainer(_rprop_rule, _rprop_work, lambda h: {"prev": "prev", "size": "step_size"}),
    "asgd": _Explainer(_asgd_rule, _asgd_work, lambda h: {"ax": "ax", "eta": "eta", "mu": "mu"}),
    "adafactor": _Explainer(_adafactor_rule, _adafactor_work, lambda h: {"V": "variance"}),
    "lion": _Explainer(_lion_rule, _lion_work, lambda h: {"m": "exp_avg"}),
    "muon": _Explainer(_muon_rule, _muon_work, lambda h: {"B": "momentum_buffer"}, matrix=True,
                       note="Muon updates 2-D matrices only (the seed problem uses the hidden layer's "
                            "weights); the Newton–Schulz iteration runs in float64 here and in "
                            "losslab (PyTorch runs it in bfloat16)"),
}


# -- public API -----------------------------------------------------------------------------------
def optimizer_names(*, include_aliases: bool = True) -> list[str]:
    """The names :func:`explain_optimizer` accepts: every registered optimizer with a worked
    step (registry order), then the aliases (``gd``, ``momentum``, ``nesterov``).

    Args:
        include_aliases: also list the aliases (default True).

    Example:
        >>> "adam" in optimizer_names() and "lbfgs" not in optimizer_names()
        True
    """
    from ..optim import OPTIMIZER_REGISTRY

    names = [n for n in OPTIMIZER_REGISTRY if n in _EXPLAINERS]
    if include_aliases:
        names += [a for a in ALIASES if a not in names]
    return names


def _resolve(name: Any):
    from ..optim import OPTIMIZER_REGISTRY

    if not isinstance(name, str):
        raise TypeError(f"name: expected an optimizer name (a string), got {type(name).__name__}")
    key = name.strip().lower()
    preset: dict = {}
    if key in ALIASES:
        key, preset = ALIASES[key]
    if key in REFUSED:
        raise ValueError(f"name: {name!r} cannot be explained step by step: {REFUSED[key]}")
    if key not in OPTIMIZER_REGISTRY:
        raise ValueError(f"name: unknown optimizer {name!r}; expected one of {', '.join(optimizer_names())}")
    if key not in _EXPLAINERS:
        raise ValueError(f"name: {name!r} is registered but has no worked step yet; explained are "
                         f"{', '.join(optimizer_names())}")
    return key, OPTIMIZER_REGISTRY[key], dict(preset)


def _constructor_keys(cls) -> list[str]:
    sig = inspect.signature(cls.__init__)
    return [k for k in sig.parameters if k not in ("self", "params", "lr")]


def _merge_params(cls, preset: dict, params: Mapping | None) -> dict:
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise TypeError(f"params: expected a dict of hyperparameters (e.g. {{'momentum': 0.9}}), got "
                        f"{type(params).__name__}")
    allowed = _constructor_keys(cls)
    out = dict(preset)
    given = dict(params)
    if "lr" in given:
        raise ValueError("params: give the learning rate as lr=..., not inside params")
    if ("beta1" in given or "beta2" in given) and "betas" in allowed:
        default = inspect.signature(cls.__init__).parameters["betas"].default
        b1, b2 = given.pop("betas", default)
        b1 = given.pop("beta1", b1)
        b2 = given.pop("beta2", b2)
        given["betas"] = (b1, b2)
    for k, v in given.items():
        if not isinstance(k, str) or k not in allowed:
            extra = ", beta1, beta2" if "betas" in allowed else ""
            raise ValueError(f"params: {cls.__name__} has no hyperparameter {k!r}; expected some of "
                             f"{', '.join(allowed)}{extra}")
        out[k] = tuple(v) if isinstance(v, list) else v
    return out


@dataclass
class OptimizerExplanation:
    """What :func:`explain_optimizer` worked out: ``.text`` to print, ``.to_dict()`` for JSON.

    Attributes:
        name: the registry name (``"adam"``); ``cls_name`` the class (``"Adam"``).
        hyperparameters: the optimizer's param group as it ran (defaults filled in).
        rule: the update-rule lines with the hyperparameter values.
        problem: the problem description; ``steps``: a :class:`WorkedStep` per update.
        text: the rendered explanation.
    """

    name: str
    cls_name: str
    torch_name: str | None
    hyperparameters: dict
    rule: list[str]
    problem: dict
    steps: list[WorkedStep]
    text: str = ""
    note: str = ""

    @property
    def verified(self) -> bool:
        """Every step matched the real optimizer (a mismatch raises, so this is always True)."""
        return all(s.max_abs_diff <= TOLERANCE * max(1.0, float(np.max(np.abs(s.real_theta_after))))
                   for s in self.steps)

    def to_dict(self) -> dict:
        return {
            "optimizer": self.name, "class": self.cls_name, "torch_name": self.torch_name,
            "hyperparameters": _jsonable(self.hyperparameters), "rule": list(self.rule),
            "problem": self.problem, "steps": [s.to_dict() for s in self.steps],
            "verified": self.verified, "tolerance": TOLERANCE, "note": self.note,
        }

    def __str__(self) -> str:
        return self.text


def _jsonable(v):
    """``v`` as strict JSON values: NumPy scalars as Python ones, tuples as lists, and a
    non-finite float (an overflowing step) as ``None``, as losslab's other JSON writers do."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (np.floating, np.integer)):
        return _jsonable(v.item())
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    return str(v)


def _close(a: np.ndarray, b: np.ndarray) -> tuple[bool, float]:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False, math.inf
    same = (a == b) | (np.isnan(a) & np.isnan(b))  # an overflow both sides agree on is no difference
    diff = float(np.max(np.where(same, 0.0, np.abs(a - b)))) if a.size else 0.0
    scale = max(1.0, float(np.max(np.abs(b))) if b.size else 0.0)
    return diff <= TOLERANCE * scale, diff


def explain_optimizer(name: str, *, lr: float | None = None, params: Mapping | None = None,
                      problem: str | Mapping = "seed", steps: int = 1, precision: int = 6,
                      as_json: bool = False) -> OptimizerExplanation:
    """An optimizer's update rule with its hyperparameters, and one (or two) steps worked with
    numbers, each checked against the real ``losslab.optim`` optimizer.

    Formula (every optimizer; its own rule is printed in full)::

        g_t = ∇J(θ_{t-1})               (the engine's backward pass, or a given gradient)
        state_t, θ_t = rule(θ_{t-1}, g_t, state_{t-1}; hyperparameters)

    Every quantity of the rule is computed here with NumPy (float64), independently of the
    optimizer's kernel; then the real optimizer (``OPTIMIZER_REGISTRY[name].cls``) is built on a
    float64 parameter with the same values, given the same gradient and stepped; θ_t and the
    state it keeps (``exp_avg``, ``momentum_buffer``, …) must equal the worked values to 1e-12
    (relative to max(1, |value|)), else :class:`ExplanationMismatch` is raised.

    Args:
        name: a registered optimizer (``sgd``, ``adam``, ``adamw``, ``rmsprop``, ``adagrad``,
            ``adadelta``, ``adamax``, ``nadam``, ``radam``, ``rprop``, ``asgd``, ``adafactor``,
            ``lion``, ``muon``) or an alias (``gd``; ``momentum``: sgd with momentum 0.9;
            ``nesterov``: sgd with Nesterov momentum 0.9). ``lbfgs`` is refused (no single
            update rule).
        lr: the learning rate η (default: the optimizer's own default, as PyTorch's).
        params: other hyperparameters, as the optimizer's constructor takes them
            (``{"momentum": 0.9, "nesterov": True}``, ``{"betas": (0.8, 0.99)}``; ``beta1`` /
            ``beta2`` set one of ``betas``).
        problem: ``"seed"`` (default: θ = (w13, w23, b3) of seed 003's network, its gradient by
            the engine; Muon: the hidden 2×2 weight matrix), ``"quadratic"`` (J = ½(θ1² + 10θ2²)
            from (1, 1)), or ``{"theta": [...], "grad": [...]}`` (a fixed gradient, one vector
            for all steps or one per step).
        steps: how many updates to work, 1 to :data:`MAX_STEPS` (default 1); the second shows
            the state carried over (buffers, bias corrections). RAdam's rectified branch needs
            ρ_t > 5, i.e. t ≥ 6 with β2 = 0.999.
        precision: significant digits shown (2–17).
        as_json: ``text`` is the JSON of :meth:`OptimizerExplanation.to_dict`.

    Returns:
        an :class:`OptimizerExplanation` (``.text``, ``.to_dict()``, ``.steps``).

    Raises:
        TypeError / ValueError: an unknown name (the message lists the valid ones), a refused
            one, a bad hyperparameter (the optimizer's own message), problem, steps or precision.
        ExplanationMismatch: the worked numbers and the real optimizer disagree.

    Example:
        >>> e = explain_optimizer("sgd", lr=0.1)          # the backprop explainer's SGD step
        >>> e.steps[0].theta_after.round(4).tolist()
        [0.7153, 0.5166, 0.3266]
        >>> print(explain_optimizer("adam", lr=0.01, steps=2).text)  # doctest: +ELLIPSIS
        Adam (torch.optim.Adam): update rule ...
    """
    import losslab as ll

    key, info, preset = _resolve(name)
    explainer = _EXPLAINERS[key]
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps: expected an int from 1 to {MAX_STEPS}, got {steps!r}")
    if isinstance(precision, bool) or not isinstance(precision, int) or not 2 <= precision <= 17:
        raise ValueError(f"precision: expected an int in [2, 17] (significant digits), got {precision!r}")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr)):
        raise ValueError(f"lr: expected a finite number, got {lr!r}")
    kwargs = _merge_params(info.cls, preset, params)
    prob = _make_problem(problem, explainer.matrix, key)

    # the real optimizer (its constructor validates the hyperparameters with its own messages)
    p = ll.tensor(prob.theta0.copy(), dtype=ll.float64, requires_grad=True)
    if lr is not None:
        kwargs["lr"] = float(lr)
    opt = info.cls([p], **kwargs)
    group = opt.param_groups[0]
    h = {k: v for k, v in group.items() if k != "params"}
    h["lr"] = float(h["lr"].item()) if hasattr(h["lr"], "item") else float(h["lr"])

    fmt = _Fmt(precision)
    rule_lines = []
    for formula, values in explainer.rule(h):
        used = ", ".join(f"{s} = {_h(v)}" for s, v in values.items())
        rule_lines.append(f"{formula}   with {used}" if used else formula)

    worked: list[WorkedStep] = []
    st: dict = {}
    theta = prob.theta0.copy()
    state_names = explainer.state(h)
    for t in range(1, steps + 1):
        grad = prob.gradient(theta, t)
        w = _Work(fmt)
        new_theta = np.asarray(explainer.work(h, w, theta, grad, st, t), dtype=np.float64)
        # the real step on the same gradient
        prob.set_grad(p, t)
        real_grad = np.array(p.grad.data, dtype=np.float64)
        ok, gdiff = _close(grad, real_grad)
        if not ok:
            raise ExplanationMismatch(f"{info.cls.__name__} step {t}: the gradient given to the optimizer "
                                      f"{real_grad.tolist()} differs from the worked one {grad.tolist()}")
        opt.step()
        real = np.array(p.data, dtype=np.float64)
        ok, diff = _close(new_theta, real)
        if not ok:
            raise ExplanationMismatch(
                f"{info.cls.__name__} step {t}: the worked θ_{t} = {new_theta.tolist()} but "
                f"{info.cls.__name__}.step() gave {real.tolist()} (max |difference| {diff:.3g} > {TOLERANCE})")
        checked = {}
        real_state = opt.state[p]
        for mine, theirs in state_names.items():
            if theirs not in real_state:
                raise ExplanationMismatch(f"{info.cls.__name__} step {t}: expected state {theirs!r}, the "
                                          f"optimizer keeps {sorted(real_state)}")
            ok, sdiff = _close(np.asarray(st[mine], dtype=np.float64),
                               np.asarray(real_state[theirs], dtype=np.float64))
            if not ok:
                raise ExplanationMismatch(
                    f"{info.cls.__name__} step {t}: the worked state {mine} = {np.asarray(st[mine]).tolist()} but "
                    f"state[{theirs!r}] = {np.asarray(real_state[theirs]).tolist()} (max |difference| {sdiff:.3g})")
            checked[theirs] = sdiff
        worked.append(WorkedStep(t, theta.copy(), grad, w.items, new_theta, real, diff, checked))
        theta = new_theta

    result = OptimizerExplanation(key, info.cls.__name__, info.torch_name, h, rule_lines,
                                  prob.to_dict() | {"gradient": prob.grad_note}, worked, note=explainer.note)
    result.text = (json.dumps(_jsonable(result.to_dict()), ensure_ascii=False, indent=2, allow_nan=False) if as_json
                   else _render(result, prob, fmt))
    return result


# -- text -----------------------------------------------------------------------------------------
_SKIP_HP = set(_IMPL_FLAGS)


def _render(e: OptimizerExplanation, prob: _Problem, fmt: _Fmt) -> str:
    torch = f"torch.optim.{e.torch_name}" if e.torch_name else "no torch.optim counterpart"
    hp = ", ".join(f"{k}={_h(v)}" for k, v in e.hyperparameters.items()
                   if k not in _SKIP_HP and not (k in ("maximize",) and not v))
    lines = [f"{e.cls_name} ({torch}): update rule with the current hyperparameters",
             f"  {e.cls_name}(params, {hp})",
             "  (vectors are updated coordinate by coordinate: ·, /, √, ², |·|, sign, max act per entry)",
             ""]
    lines += ["  " + r for r in e.rule]
    if e.note:
        lines += ["", f"  Note: {e.note}"]
    lines += ["", f"Problem: {prob.description}",
              f"  θ = ({', '.join(prob.coords)}),  θ_0 = {fmt.v(prob.theta0)}",
              f"  gradient: {prob.grad_note}"]
    for s in e.steps:
        lines += ["", f"Step {s.t} (t = {s.t})", f"  θ_{s.t - 1} = {fmt.v(s.theta_before)}"]
        for q in s.quantities:
            value = fmt.v(q.value)
            head = f"  {q.name} = {q.formula}" if q.formula and q.formula != q.name else f"  {q.name}"
            parts = [p for p in (q.numeric,) if p and p != value]
            one = head + "".join(f" = {p}" for p in parts) + f" = {value}"
            if len(one) <= 110:
                lines.append(one)
            else:
                pad = " " * (len(q.name) + 1)
                lines.append(head)
                for part in parts:
                    lines.append(f"  {pad}= {part}")
                lines.append(f"  {pad}= {value}")
            if q.note:
                lines.append(f"      ({q.note})")
        state = ", ".join(sorted(s.state_checked))
        lines.append(f"  check: θ_{s.t} equals {e.cls_name}.step() on the same θ and gradient, max |difference| "
                     f"{s.max_abs_diff:.1e} (tolerance {TOLERANCE:g})"
                     + (f"; so does its state {state}" if state else ""))
    lines += ["", f"θ after {len(e.steps)} step(s): {fmt.v(e.steps[-1].theta_after)}   "
                  f"(θ_0 = {fmt.v(prob.theta0)})"]
    return "\n".join(lines) + "\n"
