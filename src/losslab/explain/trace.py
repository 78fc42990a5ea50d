"""One SGD step of a small MLP, run through the losslab engine and recorded value by value.

Naming (the seed's, extended to any MLP; see ``docs/explain.md``):

* inputs ``x1 … xn``; neurons numbered ``1 … N`` globally, layer by layer (first hidden layer
  first, output layer last), top to bottom inside a layer;
* ``w{i}{j}``: the weight from source ``i`` to neuron ``j``, where the source is input ``x_i`` for
  the first layer and neuron ``i`` for later layers (``j`` fixes the layer, so this is never
  ambiguous); ``b{j}``, ``z{j}``, ``a{j}`` for neuron ``j``'s bias, pre-activation, activation;
* when any number exceeds 9, the two indices of a weight are separated: ``w{i}_{j}`` (``w3_12``);
* the output activation is ``ŷ`` (``ŷ1, ŷ2, …`` for several outputs; ``a{j}`` is an alias),
  the target ``y`` (``y1, y2, …``), the loss ``L``, the learning rate ``η``;
* ``δ{j} = ∂L/∂z{j}``; gradients ``dL/dw{i}{j}``, ``dL/db{j}``; updated values ``w{i}{j}'``.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence

import numpy as np

import losslab as ll

from .spec import LayerSpec, NetworkSpec, Problem, parse_vector

__all__ = ["Step", "BackpropTrace", "trace_backprop", "name_key", "KINDS"]

#: Step kinds, in the order the sections appear.
KINDS = ("input", "forward", "loss", "delta", "grad", "update")


# -- names -------------------------------------------------------------------------------------
_KEY_REPLACEMENTS = (
    ("\\hat{y}", "yhat"), ("\\hat y", "yhat"), ("\\partial", "d"), ("\\delta", "delta"),
    ("\\sigma", "sigma"), ("\\eta", "eta"), ("∂", "d"), ("δ", "delta"), ("Δ", "delta"),
    ("ŷ", "yhat"), ("σ", "sigma"), ("η", "eta"), ("′", "'"), ("’", "'"), ("ʹ", "'"), ("‘", "'"),
    ("y^", "yhat"),
)


def name_key(name: str) -> str:
    """Normalise a step name for lookup, so that ASCII and Unicode spellings meet:
    ``"∂L/∂w13"``, ``"dL/dw_13"`` and ``"dl/dw13"`` give one key; ``"δ3"``/``"delta3"``;
    ``"ŷ"``/``"yhat"``/``"y_hat"``; ``"w13'"``/``"w13_new"``. Underscores are dropped except between
    two digits (``w1_12`` stays distinct from ``w11_2``)."""
    s = unicodedata.normalize("NFC", str(name)).strip()
    for a, b in _KEY_REPLACEMENTS:
        s = s.replace(a, b)
    s = s.lower()
    s = re.sub(r"[\s${}()\\*]", "", s)
    s = re.sub(r"(?<=\d),(?=\d)", "_", s)
    s = re.sub(r"(?<!\d)_|_(?!\d)", "", s)
    return s


# -- number formatting -------------------------------------------------------------------------
def _fixed(v: float, p: int) -> str:
    if not math.isfinite(v):
        return str(v)
    s = f"{v:.{p}f}"
    if float(s) == 0.0:
        s = s.lstrip("-")
    return s


def _short(v: float, p: int) -> str:
    """Given numbers as people write them: 0.2, 1, -0.35 (at most ``p`` decimals)."""
    s = _fixed(v, p)
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


class _Num:
    """A number in a formula; ``{0:p}`` wraps it in parentheses, ``{0:s}`` only if negative."""

    __slots__ = ("text",)

    def __init__(self, value: float, given: bool, precision: int):
        written = getattr(value, "text", None)  # a learner's number is shown as they wrote it
        if written is not None:
            self.text = written
        else:
            self.text = _short(value, max(precision, 6)) if given else _fixed(value, precision)

    def __format__(self, spec: str) -> str:
        if spec == "p":
            return f"({self.text})"
        if spec == "s":
            return f"({self.text})" if self.text.startswith("-") else self.text
        return self.text


# -- steps -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One recorded value of the explained SGD step.

    Attributes:
        kind: ``input`` (given numbers), ``forward``, ``loss``, ``delta`` (backward pass:
            ∂L/∂ŷ, activation derivatives, ∂L/∂a, δ), ``grad`` or ``update``.
        name: canonical name (``"z3"``, ``"dL/dw13"``, ``"w13'"``); ``aliases`` lists others.
        symbol: how the name is printed in formulas (``"∂L/∂w13"``).
        value: the engine's number (a Python float read from the graph's tensors).
        expression: the right-hand side in symbols (``"δ3·a1"``).
        deps: names of the steps the expression uses, in the order of ``expression``.
        formula: the whole line at 4 decimals,
            ``"∂L/∂w13 = δ3·a1 = (-0.2663)(0.5744) = -0.1530"``; ``BackpropTrace.formula`` gives
            other precisions or substitutes other values.
        note: an extra remark (e.g. the BCE + sigmoid simplification).
        neuron, layer: where in the network the value lives (None where not applicable).
    """

    kind: str
    name: str
    symbol: str
    value: float
    expression: str = ""
    deps: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    note: str = ""
    neuron: int | None = None
    layer: int | None = None
    formula: str = ""
    numeric: str = field(default="", repr=False)
    fn: Callable[..., Any] | None = field(default=None, repr=False, compare=False)

    def recompute(self, dep_values: Sequence[float], *, with_sensitivity: bool = False):
        """Evaluate this step's formula with the engine (float64) on other dependency values,
        e.g. a learner's. With ``with_sensitivity`` also returns |∂step/∂dep| for each dep
        (by ``ll.autograd.grad``), used to propagate a learner's rounding."""
        if self.fn is None:
            raise ValueError(f"step {self.name!r} ({self.kind}) is given, not computed")
        ts = [ll.tensor(float(v), dtype=ll.float64, requires_grad=with_sensitivity) for v in dep_values]
        out = self.fn(*ts)
        if not isinstance(out, ll.Tensor):
            out = ll.tensor(float(out), dtype=ll.float64)
        value = float(out.item())
        if not with_sensitivity:
            return value
        if not ts or not out.requires_grad:
            return value, [0.0] * len(ts)
        gs = ll.autograd.grad(out, ts, allow_unused=True)
        return value, [0.0 if g is None else abs(float(g.item())) for g in gs]


class BackpropTrace:
    """The ordered steps of one forward/loss/backward/update pass (see :func:`trace_backprop`).

    Index it by any name or alias: ``trace["yhat"].value``, ``trace.value("∂L/∂w13")``.
    """

    def __init__(self, network: NetworkSpec, x: np.ndarray, y: np.ndarray, loss: str, lr: float,
                 dtype: str, steps: Sequence[Step], neurons: list[dict], names: "_Names"):
        self.network = network
        self.x = x
        self.y = y
        self.loss = loss
        self.lr = lr
        self.dtype = dtype
        self.steps: tuple[Step, ...] = tuple(steps)
        self.neurons = neurons
        self._names = names
        self._index()
        # each step's formula line at the default precision, now that all values are known
        self.steps = tuple(replace(s, formula=self.formula(s, 4)) for s in self.steps)
        self._index()

    def _index(self) -> None:
        self._by_name = {s.name: s for s in self.steps}
        self._by_key: dict[str, Step] = {}
        for s in self.steps:
            for a in (s.name, s.symbol, *s.aliases):
                k = name_key(a)
                other = self._by_key.get(k)
                if other is not None and other.name != s.name:
                    raise RuntimeError(f"explain: alias {a!r} names both {other.name} and {s.name}")
                self._by_key[k] = s

    # lookup
    def resolve(self, name: str) -> Step | None:
        """The step called ``name`` (any alias, ASCII or Unicode), or None."""
        s = self._by_name.get(name)
        return s if s is not None else self._by_key.get(name_key(name))

    def __getitem__(self, name: str) -> Step:
        s = self.resolve(name)
        if s is None:
            raise KeyError(f"no step named {name!r}; names look like {', '.join(self._examples())}")
        return s

    def __contains__(self, name: str) -> bool:
        return self.resolve(name) is not None

    def __iter__(self):
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def value(self, name: str) -> float:
        return self[name].value

    def values(self) -> dict[str, float]:
        """``{name: value}`` for every step, in order."""
        return {s.name: s.value for s in self.steps}

    def of_kind(self, kind: str) -> list[Step]:
        return [s for s in self.steps if s.kind == kind]

    def _examples(self) -> list[str]:
        picks = []
        for kind in KINDS:
            picks += [s.name for s in self.of_kind(kind)[:1]]
        return picks

    # formulas
    def formula(self, step: Step | str, precision: int = 4, values: Mapping[str, float] | None = None,
                result: float | None = None, *, lhs: bool = True) -> str:
        """``step``'s line with numbers substituted at ``precision`` decimals.

        ``values`` replaces dependency values (e.g. a learner's own numbers) and ``result`` the
        final number; ``lhs=False`` leaves out the ``name =`` part.
        """
        if isinstance(step, str):
            step = self[step]
        values = values or {}
        res = step.value if result is None else result
        if step.kind == "input":
            text = _short(res, precision)
            return f"{step.symbol} = {text}" if lhs else text
        nums = [
            _Num(values.get(d, self._by_name[d].value), self._by_name[d].kind == "input", precision)
            for d in step.deps
        ]
        numeric = step.numeric.format(*nums) if step.numeric else ""
        out = _fixed(res, precision)
        parts = [step.expression]
        if numeric and numeric != step.expression and numeric != out:
            parts.append(numeric)
        parts.append(out)
        body = " = ".join(parts)
        return f"{step.symbol} = {body}" if lhs else body

    def describe(self) -> str:
        """``"2-2-1 network (hidden: sigmoid; output: sigmoid), BCE loss, η = 0.1"``."""
        acts = [l.activation for l in self.network.layers]
        hidden = ", ".join(acts[:-1])
        act_text = (f"hidden: {hidden}; output: {acts[-1]}" if hidden else f"output: {acts[-1]}")
        sizes = "-".join(str(n) for n in self.network.sizes)
        return f"{sizes} network ({act_text}), {self.loss.upper()} loss, η = {_short(self.lr, 12)}"

    # output
    def render(self, precision: int = 4) -> str:
        from .render import render

        return render(self, precision=precision)

    def to_dict(self, precision: int = 4) -> dict:
        """JSON-ready description (for ``--json`` and the web explorer): the network, the
        sample, and every step with its value, formula, dependencies and aliases."""
        return {
            "description": self.describe(),
            "network": self.network.to_dict(),
            "sizes": list(self.network.sizes),
            "x": [float(v) for v in self.x],
            "y": [float(v) for v in self.y],
            "loss": self.loss,
            "lr": self.lr,
            "dtype": self.dtype,
            "naming": {
                "weight": "w{i}{j}: from source i (input x_i for the first layer, neuron i after it) "
                          "to neuron j; neurons numbered globally, layer by layer",
                "separator": self._names.sep,
            },
            "neurons": self.neurons,
            "steps": [
                {
                    "kind": s.kind, "name": s.name, "symbol": s.symbol, "value": s.value,
                    "expression": s.expression, "deps": list(s.deps), "aliases": list(s.aliases),
                    "formula": self.formula(s, precision), "note": s.note, "neuron": s.neuron,
                    "layer": s.layer,
                }
                for s in self.steps
            ],
        }

    def __repr__(self) -> str:
        return f"<BackpropTrace {self.describe()}: {len(self.steps)} steps, L = {self.value('L'):.6g}>"


# -- the activations: engine forward, derivative formula, engine derivative --------------------
def _act_forward(layer: LayerSpec) -> Callable:
    p = layer.activation_params
    return {
        "sigmoid": ll.sigmoid,
        "tanh": ll.tanh,
        "relu": ll.relu,
        "leaky_relu": lambda z: ll.leaky_relu(z, p["negative_slope"]),
        "softplus": lambda z: ll.softplus(z, p["beta"], p["threshold"]),
        "identity": lambda z: z * 1.0,  # a recorded copy, so that a and z are separate nodes
    }[layer.activation]


_ACT_SYMBOL = {
    "sigmoid": "σ", "tanh": "tanh", "relu": "relu", "leaky_relu": "leaky_relu",
    "softplus": "softplus", "identity": "id",
}


def _const(v: float):
    return ll.tensor(float(v), dtype=ll.float64)


def _derivative(layer: LayerSpec, a: str, z: str) -> tuple[str, list[str], str, Callable]:
    """(expression, deps, numeric template, engine function) of the activation's derivative.

    Derivatives of sigmoid and tanh are written in terms of the activation (as the seed does:
    σ'(z) = σ(z)(1 − σ(z))); the kinks follow PyTorch (relu′(0) = 0, leaky_relu′(0) = slope).
    """
    act, p = layer.activation, layer.activation_params
    if act == "sigmoid":
        return f"{a}(1 - {a})", [a], "{0:p}(1 - {0:s})", lambda t: t * (1.0 - t)
    if act == "tanh":
        return f"1 - {a}²", [a], "1 - {0:p}²", lambda t: 1.0 - t * t
    if act == "relu":
        return (f"1 if {z} > 0 else 0", [z], "1 if {0} > 0 else 0",
                lambda t: ll.where(t.data > 0, _const(1.0), _const(0.0)))
    if act == "leaky_relu":
        s = p["negative_slope"]
        return (f"1 if {z} > 0 else {_short(s, 12)}", [z], "1 if {0} > 0 else " + _short(s, 12),
                lambda t: ll.where(t.data > 0, _const(1.0), _const(s)))
    if act == "softplus":
        beta, thr = p["beta"], p["threshold"]
        inner = z if beta == 1.0 else f"{_short(beta, 12)}·{z}"
        num = "{0:p}" if beta == 1.0 else _short(beta, 12) + "·{0:p}"
        # PyTorch's softplus is linear (derivative 1) where β·z > threshold.
        return (f"σ({inner})", [z], f"σ({num})",
                lambda t: ll.where(t.data * beta > thr, _const(1.0), ll.sigmoid(t * beta)))
    return "1", [], "", lambda: _const(1.0)


def _loss_fn(loss: str) -> Callable:
    """The loss from ``losslab.losses``, mean over the outputs (PyTorch's default reduction).

    BCE is ``losslab.losses.binary_cross_entropy``: each log clamped at -100 and the gradient
    (ŷ − y)/max(ŷ(1 − ŷ), ε≈1e-12) as ``torch.nn.BCELoss``, so a saturated ŷ = 1 stays finite.
    """
    from ..losses import binary_cross_entropy, mse_loss

    if loss == "mse":
        return lambda yhat, y: mse_loss(yhat, y)
    return lambda yhat, y: binary_cross_entropy(yhat, y)


def _bce_eps() -> float:
    from ..losses.classification import BCE_GRAD_EPS  # PyTorch's float32(1e-12) floor

    return BCE_GRAD_EPS


# -- names of one network ----------------------------------------------------------------------
class _Names:
    def __init__(self, sizes: Sequence[int]):
        self.sizes = tuple(sizes)
        self.n_in = sizes[0]
        self.n_out = sizes[-1]
        self.total = sum(sizes[1:])
        self.sep = "_" if max(self.n_in, self.total) > 9 else ""
        starts, s = [], 1
        for n in sizes[1:]:
            starts.append(s)
            s += n
        self.starts = starts  # first neuron number of each layer

    def neuron(self, layer: int, r: int) -> int:
        return self.starts[layer] + r

    def source(self, layer: int, r: int) -> tuple[int, str]:
        """(index, activation name) of the r-th input of ``layer``."""
        if layer == 0:
            return r + 1, f"x{r + 1}"
        j = self.neuron(layer - 1, r)
        return j, self.act(layer - 1, r)

    def is_output(self, layer: int) -> bool:
        return layer == len(self.sizes) - 2

    def act(self, layer: int, r: int) -> str:
        if self.is_output(layer):
            return "ŷ" if self.n_out == 1 else f"ŷ{r + 1}"
        return f"a{self.neuron(layer, r)}"

    def target(self, r: int) -> str:
        return "y" if self.n_out == 1 else f"y{r + 1}"

    def w(self, i: int, j: int) -> str:
        return f"w{i}{self.sep}{j}"


# -- the trace ---------------------------------------------------------------------------------
def _as_spec(model_or_spec) -> NetworkSpec:
    if isinstance(model_or_spec, NetworkSpec):
        return model_or_spec
    if isinstance(model_or_spec, Problem):
        return model_or_spec.network
    if isinstance(model_or_spec, (list, tuple)) and all(isinstance(l, LayerSpec) for l in model_or_spec):
        return NetworkSpec(list(model_or_spec))
    if isinstance(model_or_spec, Mapping):
        return NetworkSpec.from_dict(model_or_spec)
    return NetworkSpec.from_module(model_or_spec)


def trace_backprop(model_or_spec, x=None, y=None, *, loss: str | None = None, lr: float | None = None,
                   dtype=None) -> BackpropTrace:
    """Run one forward / loss / backward / SGD step through the engine and record every value.

    The forward pass builds ``z = linear(a_prev, W, b)`` and ``a = f(z)`` per layer with
    ``ll.linear`` and the activation ops; ``L.backward()`` fills ``.grad`` of the weights, biases
    and (through ``retain_grad()``) of every ``z`` (δ) and ``a`` (∂L/∂a); activation derivatives
    come from ``ll.autograd.grad(a, z)``; the update is ``W.add_(W.grad, alpha=-lr)`` under
    ``no_grad`` (``torch.optim.SGD`` without momentum). Every recorded number is read from those
    tensors: nothing is computed in Python floats.

    Formula (per layer l, neuron j; ⊙ elementwise):
        z_l = W_l a_{l-1} + b_l,  a_l = f_l(z_l),  L = mean_k loss(ŷ_k, y_k)
        δ_out = ∂L/∂ŷ ⊙ f'(z_out),  δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ f_l'(z_l)
        ∂L/∂W_l = δ_l a_{l-1}ᵀ,  ∂L/∂b_l = δ_l,  W_l' = W_l − η ∂L/∂W_l

    Args:
        model_or_spec: a :class:`NetworkSpec`, a list of :class:`LayerSpec`, a
            :class:`Problem` (then ``x``, ``y``, ``loss``, ``lr`` default to the problem's), a
            dict in the JSON schema, or a ``losslab.nn.Sequential`` of ``Linear`` + activation
            modules (its weights are copied as float64; the model is not modified).
        x: one input sample, shape ``(in,)`` (a list, array, or ``"1,0"``).
        y: its target, shape ``(out,)`` or a number for one output.
        loss: ``"bce"`` (needs a sigmoid output and targets in [0, 1]) or ``"mse"``;
            both averaged over the outputs like PyTorch's ``reduction="mean"``. Default ``"bce"``.
        lr: the learning rate η. Default 0.1.
        dtype: engine dtype, ``ll.float64`` by default (exact enough to compare with hand work).

    Shape:
        x: (in,); y: (out,). One sample only: the names (z1, δ3, …) are per neuron.

    Example:
        >>> from losslab.explain import trace_backprop, seed_problem
        >>> p = seed_problem()
        >>> t = trace_backprop(p.network, p.x, p.y, loss="bce", lr=0.1)
        >>> round(t.value("ŷ"), 4), round(t.value("dL/dw13"), 4), round(t.value("w13'"), 4)
        (0.7337, -0.153, 0.7153)

    Note:
        BCE is written ``-[y·log(ŷ) + (1 - y)·log(1 - ŷ)]`` with each log clamped at -100 as in
        ``torch.nn.BCELoss``; MSE is ``(ŷ - y)²`` without the ½ some textbooks use.
    """
    problem = model_or_spec if isinstance(model_or_spec, Problem) else None
    spec = _as_spec(model_or_spec)
    if x is None:
        if problem is None:
            raise ValueError("x: the input sample is required (a list of numbers)")
        x = problem.x
    if y is None:
        if problem is None:
            raise ValueError("y: the target is required (a number or a list of numbers)")
        y = problem.y
    if loss is None:
        loss = problem.loss if problem is not None else "bce"
    if lr is None:
        lr = problem.lr if problem is not None else 0.1
    loss = str(loss).strip().lower()
    if loss not in ("bce", "mse"):
        raise ValueError(f"loss: expected 'bce' or 'mse', got {loss!r}")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr):
        raise ValueError(f"lr: expected a finite number, got {lr!r}")
    lr = float(lr)
    xv = parse_vector(x, "x")
    yv = parse_vector(y, "y")
    sizes = spec.sizes
    if xv.shape != (sizes[0],):
        raise ValueError(
            f"x: has {xv.size} value(s) {xv.tolist()} but the network's first layer takes "
            f"{sizes[0]} inputs (weight shape {spec.layers[0].shape})"
        )
    if yv.shape != (sizes[-1],):
        raise ValueError(
            f"y: has {yv.size} value(s) {yv.tolist()} but the network has {sizes[-1]} output(s)"
        )
    if loss == "bce":
        if spec.layers[-1].activation != "sigmoid":
            raise ValueError(
                f"loss='bce' needs outputs in (0, 1), but the output layer's activation is "
                f"{spec.layers[-1].activation!r}; use a sigmoid output or loss='mse'"
            )
        if np.any((yv < 0) | (yv > 1)):
            raise ValueError(f"y: BCE targets must lie in [0, 1], got {yv.tolist()}")
    dt = ll.float64 if dtype is None else dtype
    names = _Names(sizes)
    return _run(spec, xv, yv, loss, lr, dt, names)


def _run(spec: NetworkSpec, xv, yv, loss, lr, dt, names: _Names) -> BackpropTrace:
    n_layers = len(spec.layers)
    n_out = names.n_out

    # ---- the real pass through the engine --------------------------------------------------
    x_t = ll.tensor(xv, dtype=dt)
    y_t = ll.tensor(yv, dtype=dt)
    Ws = [ll.tensor(l.weight, dtype=dt, requires_grad=True) for l in spec.layers]
    bs = [None if l.bias is None else ll.tensor(l.bias, dtype=dt, requires_grad=True) for l in spec.layers]
    W0 = [w.data.copy() for w in Ws]
    b0 = [None if b is None else b.data.copy() for b in bs]
    zs, acts = [], []
    a = x_t
    for layer, W, b in zip(spec.layers, Ws, bs):
        z = ll.linear(a, W, b)
        a = _act_forward(layer)(z)
        z.retain_grad()
        a.retain_grad()
        zs.append(z)
        acts.append(a)
    L = _loss_fn(loss)(acts[-1], y_t)
    # f'(z) per layer: the vector-Jacobian product of the elementwise activation with ones.
    fprimes = [
        ll.autograd.grad(a_l, z_l, grad_outputs=ll.ones(*z_l.shape, dtype=dt), retain_graph=True)[0].data.copy()
        for z_l, a_l in zip(zs, acts)
    ]
    L.backward()
    with ll.no_grad():
        for W, b in zip(Ws, bs):
            W.add_(W.grad, alpha=-lr)
            if b is not None:
                b.add_(b.grad, alpha=-lr)
    f = float  # every value below is read from an engine tensor

    # ---- record ---------------------------------------------------------------------------
    steps: list[Step] = []
    neurons: list[dict] = []

    def add(kind, name, symbol, value, expression="", deps=(), numeric="", fn=None, aliases=(),
            note="", neuron=None, layer=None):
        steps.append(Step(kind=kind, name=name, symbol=symbol, value=f(value), expression=expression,
                          deps=tuple(deps), aliases=tuple(dict.fromkeys(a for a in aliases if a != name)),
                          note=note, neuron=neuron, layer=layer, numeric=numeric, fn=fn))

    # given
    for i in range(names.n_in):
        add("input", f"x{i + 1}", f"x{i + 1}", x_t.data[i], aliases=("x",) if names.n_in == 1 else ())
    for r in range(n_out):
        t = names.target(r)
        add("input", t, t, y_t.data[r], aliases=("y1", "target") if n_out == 1 else (f"target{r + 1}",))
    for l, layer in enumerate(spec.layers):
        for r in range(layer.out_features):
            j = names.neuron(l, r)
            for c in range(layer.in_features):
                i, _ = names.source(l, c)
                add("input", names.w(i, j), names.w(i, j), W0[l][r, c], neuron=j, layer=l)
            if b0[l] is not None:
                add("input", f"b{j}", f"b{j}", b0[l][r], neuron=j, layer=l)
    add("input", "η", "η", lr, aliases=("eta", "lr", "learning_rate"))

    # forward
    for l, layer in enumerate(spec.layers):
        sym = _ACT_SYMBOL[layer.activation]
        for r in range(layer.out_features):
            j = names.neuron(l, r)
            terms, nums, deps = [], [], []
            for c in range(layer.in_features):
                i, src = names.source(l, c)
                w = names.w(i, j)
                terms.append(f"{w}·{src}")
                nums.append(f"{{{len(deps)}:p}}{{{len(deps) + 1}:p}}")
                deps += [w, src]
            if layer.bias is not None:
                terms.append(f"b{j}")
                nums.append(f"{{{len(deps)}:s}}")
                deps.append(f"b{j}")
            has_bias = layer.bias is not None

            def z_fn(*ts, _bias=has_bias):
                k = len(ts) - (1 if _bias else 0)
                out = ts[k] if _bias else _const(0.0)
                for m in range(0, k, 2):
                    out = out + ts[m] * ts[m + 1]
                return out

            add("forward", f"z{j}", f"z{j}", zs[l].data[r], " + ".join(terms), deps, " + ".join(nums),
                z_fn, neuron=j, layer=l)
            a_name = names.act(l, r)
            aliases = [f"a{j}"]
            if names.is_output(l):
                aliases += (["yhat", "y_pred", "output", "prediction"] if n_out == 1
                            else [f"yhat{r + 1}", f"output{r + 1}"])
            act_fn = _act_forward(layer)
            if layer.activation == "identity":
                expr, num = f"z{j}", "{0}"
            else:
                expr, num = f"{sym}(z{j})", f"{sym}({{0}})"
            add("forward", a_name, a_name, acts[l].data[r], expr, [f"z{j}"], num,
                lambda t, _f=act_fn: _f(t), aliases, neuron=j, layer=l)
        neurons.extend(
            {"neuron": names.neuron(l, r), "layer": l, "activation": layer.activation,
             "output": names.is_output(l), "name": names.act(l, r)}
            for r in range(layer.out_features)
        )

    # loss
    outs = [names.act(n_layers - 1, r) for r in range(n_out)]
    tgts = [names.target(r) for r in range(n_out)]
    lf = _loss_fn(loss)
    if loss == "bce":
        term_e = [f"{t}·log({o}) + (1 - {t})·log(1 - {o})" for o, t in zip(outs, tgts)]
        term_n = [f"{{{n_out + k}:p}}·log({{{k}}}) + (1 - {{{n_out + k}:s}})·log(1 - {{{k}}})"
                  for k in range(n_out)]
        if n_out == 1:
            expr, num = f"-[{term_e[0]}]", f"-[{term_n[0]}]"
        else:
            expr = f"-(1/{n_out})·(" + " + ".join(f"[{e}]" for e in term_e) + ")"
            num = f"-(1/{n_out})·(" + " + ".join(f"[{e}]" for e in term_n) + ")"
    else:
        term_e = [f"({o} - {t})²" for o, t in zip(outs, tgts)]
        term_n = [f"({{{k}}} - {{{n_out + k}:s}})²" for k in range(n_out)]
        if n_out == 1:
            expr, num = term_e[0], term_n[0]
        else:
            expr = "(" + " + ".join(term_e) + f")/{n_out}"
            num = "(" + " + ".join(term_n) + f")/{n_out}"
    add("loss", "L", "L", L.item(), expr, outs + tgts, num,
        lambda *ts: lf(ll.stack(list(ts[:n_out])), ll.stack(list(ts[n_out:]))),
        ("loss", "cost", "J"))

    # backward, output layer first
    def grads_of_layer(l: int, layer: LayerSpec):
        for r in range(layer.out_features):
            j = names.neuron(l, r)
            for c in range(layer.in_features):
                i, src = names.source(l, c)
                w = names.w(i, j)
                add("grad", f"dL/d{w}", f"∂L/∂{w}", Ws[l].grad.data[r, c], f"δ{j}·{src}",
                    [f"δ{j}", src], "{0:p}{1:p}", lambda d, s: d * s,
                    (f"∂L/∂{w}", f"grad_{w}"), neuron=j, layer=l)
            if layer.bias is not None:
                add("grad", f"dL/db{j}", f"∂L/∂b{j}", bs[l].grad.data[r], f"δ{j}", [f"δ{j}"], "",
                    lambda d: d * 1.0, (f"∂L/∂b{j}", f"grad_b{j}"), neuron=j, layer=l)

    def derivative_step(l: int, layer: LayerSpec, r: int):
        j = names.neuron(l, r)
        a_name = names.act(l, r)
        expr, deps, num, fn = _derivative(layer, a_name, f"z{j}")
        sym = _ACT_SYMBOL[layer.activation]
        dname = f"{sym}'(z{j})"
        add("delta", dname, dname, fprimes[l][r], expr, deps, num, fn,
            (f"f'(z{j})", f"d{a_name}/dz{j}", f"da{j}/dz{j}", f"∂{a_name}/∂z{j}", f"{layer.activation}'(z{j})"),
            neuron=j, layer=l)
        return dname

    last = n_layers - 1
    out_layer = spec.layers[last]
    for r in range(n_out):
        j = names.neuron(last, r)
        o, t = outs[r], tgts[r]
        scale = "" if n_out == 1 else f"/{n_out}"
        if loss == "bce":
            e = f"-{t}/{o} + (1 - {t})/(1 - {o})"
            nm = "-{1:p}/{0:p} + (1 - {1:s})/(1 - {0:s})"
            # -y/ŷ + (1 - y)/(1 - ŷ) = (ŷ - y)/(ŷ(1 - ŷ)); evaluated in the second form with
            # PyTorch's BCELoss guard max(ŷ(1 - ŷ), ε≈1e-12), finite where ŷ saturates to 0 or 1.
            fn = lambda yh, yy, _n=n_out: (yh - yy) / ll.clamp(yh * (1.0 - yh), min=_bce_eps()) / float(_n)
        else:
            e, nm = f"2({o} - {t})", "2({0} - {1:s})"
            fn = lambda yh, yy, _n=n_out: 2.0 * (yh - yy) / float(_n)
        if scale:
            e, nm = f"({e}){scale}", f"({nm}){scale}"
        add("delta", f"dL/d{o}", f"∂L/∂{o}", acts[last].grad.data[r], e, [o, t], nm, fn,
            (f"∂L/∂{o}", f"dL/da{j}"), neuron=j, layer=last)
        dname = derivative_step(last, out_layer, r)
        if loss == "bce" and out_layer.activation == "sigmoid":
            # BCE after a sigmoid: ∂L/∂ŷ·σ'(z) = [(ŷ − y)/(ŷ(1 − ŷ))]·ŷ(1 − ŷ) = ŷ − y (per output, /n).
            e2, nm2 = f"{o} - {t}", "{0} - {1:s}"
            if scale:
                e2, nm2 = f"({e2}){scale}", f"({nm2}){scale}"
            note = (f"BCE after a sigmoid: ∂L/∂{o}·σ'(z{j}) simplifies to {o} - {t}"
                    + (f" (divided by {n_out} outputs)" if scale else ""))
            delta = zs[last].grad.data[r]
            shortcut = (acts[last].data[r] - y_t.data[r]) / n_out
            if abs(delta - shortcut) > 1e-6 * max(1.0, abs(shortcut)):
                note = (f"the sigmoid saturated: σ'(z{j}) = {fprimes[last][r]:.3g} in {np.dtype(dt).name}, "
                        f"so the engine's δ{j} is {delta:.4g}, not {o} - {t}; BCE-with-logits "
                        "(loss on z directly) avoids this")
            add("delta", f"δ{j}", f"δ{j}", delta, e2, [o, t], nm2,
                lambda yh, yy, _n=n_out: (yh - yy) / float(_n), (f"delta{j}", f"dL/dz{j}", f"∂L/∂z{j}"),
                note=note, neuron=j, layer=last)
        else:
            add("delta", f"δ{j}", f"δ{j}", zs[last].grad.data[r], f"∂L/∂{o}·{dname}",
                [f"dL/d{o}", dname], "{0:p}{1:p}", lambda g, d: g * d,
                (f"delta{j}", f"dL/dz{j}", f"∂L/∂z{j}"), neuron=j, layer=last)
    grads_of_layer(last, out_layer)
    for l in range(last - 1, -1, -1):
        layer, nxt = spec.layers[l], spec.layers[l + 1]
        for r in range(layer.out_features):
            j = names.neuron(l, r)
            a_name = names.act(l, r)
            terms, nums, deps = [], [], []
            for q in range(nxt.out_features):
                k = names.neuron(l + 1, q)
                w = names.w(j, k)
                terms.append(f"{w}·δ{k}")
                nums.append(f"{{{len(deps)}:p}}{{{len(deps) + 1}:p}}")
                deps += [w, f"δ{k}"]

            def da_fn(*ts):
                out = ts[0] * ts[1]
                for m in range(2, len(ts), 2):
                    out = out + ts[m] * ts[m + 1]
                return out

            add("delta", f"dL/d{a_name}", f"∂L/∂{a_name}", acts[l].grad.data[r], " + ".join(terms), deps,
                " + ".join(nums), da_fn, (f"∂L/∂{a_name}",), neuron=j, layer=l)
            dname = derivative_step(l, layer, r)
            add("delta", f"δ{j}", f"δ{j}", zs[l].grad.data[r], f"∂L/∂{a_name}·{dname}",
                [f"dL/d{a_name}", dname], "{0:p}{1:p}", lambda g, d: g * d,
                (f"delta{j}", f"dL/dz{j}", f"∂L/∂z{j}"), neuron=j, layer=l)
        grads_of_layer(l, layer)

    # updates, in parameter order
    for l, layer in enumerate(spec.layers):
        for r in range(layer.out_features):
            j = names.neuron(l, r)
            params = []
            for c in range(layer.in_features):
                i, _ = names.source(l, c)
                params.append((names.w(i, j), Ws[l].data[r, c]))
            if layer.bias is not None:
                params.append((f"b{j}", bs[l].data[r]))
            for p, v in params:
                add("update", f"{p}'", f"{p}'", v, f"{p} - η·∂L/∂{p}", [p, "η", f"dL/d{p}"],
                    "{0} - {1:p}{2:p}", lambda w0, eta, g: w0 - eta * g,
                    (f"{p}_new", f"new_{p}", f"{p}^new", f"{p}(new)"), neuron=j, layer=l)

    return BackpropTrace(spec, xv, yv, loss, lr, np.dtype(dt).name, steps, neurons, names)
