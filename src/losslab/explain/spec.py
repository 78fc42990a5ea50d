"""Network descriptions for the backprop explainer: layers as plain numbers, loadable from JSON,
from command-line strings or from a ``losslab.nn.Sequential``.

A network is a list of fully connected layers, each ``z = W·a_prev + b`` followed by an
elementwise activation. ``weight`` has PyTorch's ``nn.Linear`` layout, shape ``(out, in)``: row
``j`` holds the weights *into* the layer's ``j``-th neuron, column ``i`` the weights *from* its
``i``-th input. With the explainer's global numbering that entry is called ``w{i}{j}`` (from
source ``i`` to neuron ``j``); see ``docs/explain.md``.

JSON schema of a problem file (everything but ``layers`` is optional)::

    {
      "description": "free text",
      "x": [1, 0],                 # one input sample (list of numbers)
      "y": [1],                    # its target (a number or a list, one per output)
      "loss": "bce",               # "bce" or "mse"
      "lr": 0.1,                   # learning rate η of the SGD step
      "layers": [
        {"weight": [[0.2, 0.4], [0.3, 0.1]], "bias": [0.1, 0.2], "activation": "sigmoid"},
        {"weight": [[0.7, 0.5]], "bias": [0.3], "activation": "sigmoid"}
      ]
    }

``bias`` may be ``null`` (a layer without bias); ``activation`` is one of
``sigmoid, tanh, relu, leaky_relu, softplus, identity`` and parametrised ones take
``"activation_params"``, e.g. ``{"negative_slope": 0.1}`` or ``{"beta": 2.0}``.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = [
    "ACTIVATIONS", "LOSSES", "LayerSpec", "NetworkSpec", "Problem", "load_problem", "seed_problem",
    "parse_vector", "parse_matrix",
]

#: Activation name -> allowed parameters with their defaults (PyTorch's defaults).
ACTIVATIONS: dict[str, dict[str, float]] = {
    "sigmoid": {},
    "tanh": {},
    "relu": {},
    "leaky_relu": {"negative_slope": 0.01},
    "softplus": {"beta": 1.0, "threshold": 20.0},
    "identity": {},
}
_ACTIVATION_ALIASES = {
    "σ": "sigmoid", "logistic": "sigmoid", "sig": "sigmoid", "linear": "identity", "none": "identity",
    "id": "identity", "leakyrelu": "leaky_relu", "leaky-relu": "leaky_relu",
}
LOSSES = ("bce", "mse")


def _canonical_activation(name: Any, where: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"{where}: activation must be a string, got {type(name).__name__} {name!r}")
    key = name.strip().lower()
    key = _ACTIVATION_ALIASES.get(key, key)
    if key not in ACTIVATIONS:
        raise ValueError(
            f"{where}: unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}"
        )
    return key


def _as_float_array(value: Any, ndim: int, where: str) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: expected numbers, got {value!r} ({exc})") from None
    if arr.ndim != ndim:
        what = "a list of numbers" if ndim == 1 else "a list of rows (list of lists of numbers)"
        raise ValueError(f"{where}: expected {what}, got an array of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{where}: is empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{where}: contains a non-finite number: {arr.tolist()}")
    return arr


@dataclass(frozen=True)
class LayerSpec:
    """One fully connected layer: ``z = weight @ a_prev + bias``, ``a = activation(z)``.

    Args:
        weight: array of shape ``(out, in)`` (``nn.Linear`` layout): ``weight[j, i]`` is the
            weight from input ``i`` to neuron ``j`` of this layer.
        bias: array of shape ``(out,)``, or None for a layer without bias.
        activation: ``sigmoid``, ``tanh``, ``relu``, ``leaky_relu``, ``softplus`` or ``identity``.
        activation_params: parameters of the activation (``negative_slope``; ``beta``,
            ``threshold``), PyTorch's defaults when left out.

    Example:
        >>> LayerSpec([[0.7, 0.5]], [0.3], "sigmoid").shape
        (1, 2)
    """

    weight: Any
    bias: Any = None
    activation: str = "sigmoid"
    activation_params: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self):
        w = _as_float_array(self.weight, 2, "weight")
        object.__setattr__(self, "weight", w)
        if self.bias is not None:
            b = _as_float_array(self.bias, 1, "bias")
            if b.shape != (w.shape[0],):
                raise ValueError(
                    f"bias has shape {b.shape} but weight has shape {w.shape}; expected bias of "
                    f"shape ({w.shape[0]},), one entry per output neuron"
                )
            object.__setattr__(self, "bias", b)
        act = _canonical_activation(self.activation, "activation")
        object.__setattr__(self, "activation", act)
        allowed = ACTIVATIONS[act]
        params = dict(self.activation_params or {})
        for k, v in params.items():
            if k not in allowed:
                raise ValueError(
                    f"activation_params: {act!r} takes {sorted(allowed) or 'no parameters'}, got {k!r}"
                )
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                raise ValueError(f"activation_params: {k} must be a finite number, got {v!r}")
        if act == "softplus" and params.get("beta", 1.0) <= 0:
            raise ValueError(f"activation_params: softplus beta must be > 0, got {params['beta']}")
        object.__setattr__(self, "activation_params", {**allowed, **{k: float(v) for k, v in params.items()}})

    @property
    def shape(self) -> tuple[int, int]:
        """``(out, in)``."""
        return tuple(self.weight.shape)

    @property
    def in_features(self) -> int:
        return int(self.weight.shape[1])

    @property
    def out_features(self) -> int:
        return int(self.weight.shape[0])

    def to_dict(self) -> dict:
        d: dict[str, Any] = {
            "weight": self.weight.tolist(),
            "bias": None if self.bias is None else self.bias.tolist(),
            "activation": self.activation,
        }
        if ACTIVATIONS[self.activation]:
            d["activation_params"] = dict(self.activation_params)
        return d


@dataclass(frozen=True)
class NetworkSpec:
    """A small MLP as numbers: a list of :class:`LayerSpec`, checked for matching shapes.

    Example:
        >>> net = NetworkSpec([LayerSpec([[0.2, 0.4], [0.3, 0.1]], [0.1, 0.2], "sigmoid"),
        ...                    LayerSpec([[0.7, 0.5]], [0.3], "sigmoid")])
        >>> net.sizes
        (2, 2, 1)
    """

    layers: Sequence[LayerSpec]

    def __post_init__(self):
        layers = list(self.layers)
        if not layers:
            raise ValueError("layers: a network needs at least one layer, got an empty list")
        for k, layer in enumerate(layers):
            if not isinstance(layer, LayerSpec):
                raise TypeError(f"layers[{k}]: expected a LayerSpec, got {type(layer).__name__}")
        for k in range(1, len(layers)):
            prev, cur = layers[k - 1], layers[k]
            if cur.in_features != prev.out_features:
                raise ValueError(
                    f"layers[{k}].weight has shape {cur.shape} but layers[{k - 1}] has "
                    f"{prev.out_features} outputs (weight shape {prev.shape}); expected shape "
                    f"({cur.out_features}, {prev.out_features})"
                )
        object.__setattr__(self, "layers", tuple(layers))

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths, input first: ``(2, 2, 1)`` for the seed's 2-2-1 network."""
        return (self.layers[0].in_features, *(l.out_features for l in self.layers))

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping) -> "NetworkSpec":
        """Build from ``{"layers": [{"weight": …, "bias": …, "activation": …}, …]}`` (other
        top-level keys are ignored here; :func:`load_problem` reads them)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"network: expected a JSON object, got {type(data).__name__}")
        if "layers" not in data:
            raise ValueError("network: missing key 'layers' (a list of {weight, bias, activation})")
        raw = data["layers"]
        if not isinstance(raw, list):
            raise ValueError(f"layers: expected a list, got {type(raw).__name__}")
        layers = []
        for k, item in enumerate(raw):
            where = f"layers[{k}]"
            if not isinstance(item, Mapping):
                raise ValueError(f"{where}: expected an object with weight/bias/activation, got {item!r}")
            unknown = set(item) - {"weight", "bias", "activation", "activation_params"}
            if unknown:
                raise ValueError(
                    f"{where}: unknown key(s) {sorted(unknown)}; allowed: weight, bias, activation, "
                    "activation_params"
                )
            if "weight" not in item:
                raise ValueError(f"{where}: missing 'weight' (a list of rows, shape (out, in))")
            try:
                layers.append(LayerSpec(
                    weight=item["weight"], bias=item.get("bias"),
                    activation=item.get("activation", "sigmoid"),
                    activation_params=item.get("activation_params") or {},
                ))
            except (ValueError, TypeError) as exc:
                raise type(exc)(f"{where}.{exc}") from None
        return cls(layers)

    @classmethod
    def from_json(cls, path: str | Path) -> "NetworkSpec":
        """Read the ``layers`` of a problem file (schema in the module docstring)."""
        return cls.from_dict(_read_json(path))

    @classmethod
    def from_strings(cls, weights: Sequence[str], biases: Sequence[str] | None = None,
                     activations: Sequence[str] | str = "sigmoid") -> "NetworkSpec":
        """Build from command-line style strings, one per layer.

        A weight matrix is written row by row, rows separated by ``;`` and entries by ``,`` (or
        spaces): ``"0.2,0.4; 0.3,0.1"`` is ``[[0.2, 0.4], [0.3, 0.1]]`` (shape (out, in)). Biases
        are ``"0.1,0.2"``; ``"none"`` for a layer without bias. ``activations`` is one name for
        every layer or one per layer (also as one comma-separated string).

        Example:
            >>> NetworkSpec.from_strings(["0.2,0.4;0.3,0.1", "0.7,0.5"], ["0.1,0.2", "0.3"]).sizes
            (2, 2, 1)
        """
        if isinstance(weights, str):
            weights = [weights]
        weights = list(weights)
        if not weights:
            raise ValueError("weights: give one weight matrix per layer, got none")
        if biases is None:
            biases = [None] * len(weights)
        elif isinstance(biases, str):
            biases = [biases]
        biases = list(biases)
        if len(biases) != len(weights):
            raise ValueError(f"biases: got {len(biases)} bias vectors for {len(weights)} layers")
        if isinstance(activations, str):
            activations = [a for a in re.split(r"[,\s]+", activations.strip()) if a]
        activations = list(activations)
        if len(activations) == 1:
            activations = activations * len(weights)
        if len(activations) != len(weights):
            raise ValueError(
                f"activations: got {len(activations)} names for {len(weights)} layers; give one for "
                "all layers or one per layer"
            )
        layers = []
        for k, (w, b, act) in enumerate(zip(weights, biases, activations)):
            where = f"layers[{k}]"
            try:
                wm = parse_matrix(w, "weight")
                bv = None if b is None or str(b).strip().lower() in ("", "none", "null") else parse_vector(b, "bias")
                layers.append(LayerSpec(wm, bv, act))
            except (ValueError, TypeError) as exc:
                raise type(exc)(f"{where}.{exc}") from None
        return cls(layers)

    def to_module(self, dtype=None):
        """A ``losslab.nn.Sequential`` with these weights: ``Linear`` layers, each followed by its
        activation module (none for ``identity``). The inverse of :meth:`from_module`.

        Example:
            >>> seed_problem().network.to_module()[0]
            Linear(in_features=2, out_features=2, bias=True)
        """
        import losslab as ll
        from losslab import nn

        makers = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,
                  "leaky_relu": nn.LeakyReLU, "softplus": nn.Softplus}
        modules = []
        for layer in self.layers:
            out_f, in_f = layer.weight.shape
            lin = nn.Linear(in_f, out_f, bias=layer.bias is not None, dtype=dtype)
            with ll.no_grad():
                lin.weight.copy_(ll.tensor(layer.weight, dtype=lin.weight.dtype))
                if layer.bias is not None:
                    lin.bias.copy_(ll.tensor(layer.bias, dtype=lin.bias.dtype))
            modules.append(lin)
            if layer.activation != "identity":
                modules.append(makers[layer.activation](**layer.activation_params))
        return nn.Sequential(*modules)

    @classmethod
    def from_module(cls, model) -> "NetworkSpec":
        """Read a ``losslab.nn.Sequential`` (or torch-like) model of ``Linear`` layers, each
        optionally followed by one activation module (Sigmoid, Tanh, ReLU, LeakyReLU, Softplus,
        Identity). The weights are copied (as float64); the model is not changed."""
        modules = _children(model)
        layers: list[LayerSpec] = []
        k = 0
        while k < len(modules):
            m = modules[k]
            if not _is_linear(m):
                raise ValueError(
                    f"model[{k}]: expected a Linear layer here, got {type(m).__name__}; the explainer "
                    "handles Linear layers, each optionally followed by one activation"
                )
            weight = _array_of(m.weight)
            bias = None if getattr(m, "bias", None) is None else _array_of(m.bias)
            act, params = "identity", {}
            if k + 1 < len(modules) and not _is_linear(modules[k + 1]):
                act, params = _activation_of(modules[k + 1], k + 1)
                k += 1
            layers.append(LayerSpec(weight, bias, act, params))
            k += 1
        if not layers:
            raise ValueError("model: no Linear layers found")
        return cls(layers)

    def to_dict(self) -> dict:
        return {"layers": [l.to_dict() for l in self.layers]}


def _children(model) -> list:
    for attr in ("children",):
        fn = getattr(model, attr, None)
        if callable(fn):
            return list(fn())
    try:
        return list(model)
    except TypeError:
        raise TypeError(
            f"model: expected an nn.Sequential (iterable of modules) or a NetworkSpec, got "
            f"{type(model).__name__}"
        ) from None


def _is_linear(m) -> bool:
    return type(m).__name__ == "Linear" and hasattr(m, "weight")


def _array_of(t) -> np.ndarray:
    data = getattr(t, "data", t)
    if hasattr(data, "detach"):  # a torch tensor
        data = data.detach().cpu().numpy()
    return np.array(data, dtype=np.float64)


_MODULE_ACTIVATIONS = {
    "Sigmoid": ("sigmoid", ()), "Tanh": ("tanh", ()), "ReLU": ("relu", ()),
    "LeakyReLU": ("leaky_relu", ("negative_slope",)), "Softplus": ("softplus", ("beta", "threshold")),
    "Identity": ("identity", ()),
}


def _activation_of(m, index: int) -> tuple[str, dict]:
    name = type(m).__name__
    if name not in _MODULE_ACTIVATIONS:
        raise ValueError(
            f"model[{index}]: unsupported module {name}; after a Linear the explainer accepts "
            f"{', '.join(_MODULE_ACTIVATIONS)}"
        )
    act, keys = _MODULE_ACTIVATIONS[name]
    return act, {k: float(getattr(m, k)) for k in keys if hasattr(m, k)}


# -- parsing helpers ----------------------------------------------------------------------------
def parse_vector(text: Any, name: str = "vector") -> np.ndarray:
    """``"1,0"`` / ``"1 0"`` / ``[1, 0]`` / ``1`` -> float64 array of shape (n,)."""
    if isinstance(text, str):
        parts = [p for p in re.split(r"[,\s]+", text.strip().strip("[]")) if p]
        if not parts:
            raise ValueError(f"{name}: expected comma-separated numbers, got {text!r}")
        try:
            vals = [float(p.replace("\u2212", "-")) for p in parts]
        except ValueError:
            raise ValueError(f"{name}: expected comma-separated numbers, got {text!r}") from None
        return _as_float_array(vals, 1, name)
    arr = np.atleast_1d(np.array(text, dtype=np.float64)) if np.ndim(text) == 0 else text
    return _as_float_array(arr, 1, name)


def parse_matrix(text: Any, name: str = "matrix") -> np.ndarray:
    """``"0.2,0.4; 0.3,0.1"`` (rows separated by ``;``) or nested lists -> shape (rows, cols)."""
    if isinstance(text, str):
        rows = [r for r in text.strip().strip("[]").split(";") if r.strip()]
        if not rows:
            raise ValueError(f"{name}: expected rows separated by ';', got {text!r}")
        parsed = [parse_vector(r, f"{name} row {i}") for i, r in enumerate(rows)]
        lengths = {len(r) for r in parsed}
        if len(lengths) != 1:
            raise ValueError(
                f"{name}: rows have different lengths {[len(r) for r in parsed]} in {text!r}"
            )
        return np.stack(parsed)
    return _as_float_array(text, 2, name)


def _read_json(path: str | Path) -> Any:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"network file {str(p)!r}: cannot be read ({exc.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"network file {str(p)!r}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


# -- a whole problem: network + sample + loss + learning rate ------------------------------------
@dataclass(frozen=True)
class Problem:
    """Everything one explained SGD step needs: network, one sample ``(x, y)``, loss, η."""

    network: NetworkSpec
    x: Any
    y: Any
    loss: str = "bce"
    lr: float = 0.1
    description: str = ""

    def __post_init__(self):
        object.__setattr__(self, "x", parse_vector(self.x, "x"))
        object.__setattr__(self, "y", parse_vector(self.y, "y"))
        loss = str(self.loss).strip().lower()
        if loss not in LOSSES:
            raise ValueError(f"loss: expected one of {LOSSES}, got {self.loss!r}")
        object.__setattr__(self, "loss", loss)
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or not math.isfinite(self.lr):
            raise ValueError(f"lr: expected a finite number, got {self.lr!r}")
        object.__setattr__(self, "lr", float(self.lr))

    @classmethod
    def from_dict(cls, data: Mapping, *, source: str = "problem") -> "Problem":
        if not isinstance(data, Mapping):
            raise ValueError(f"{source}: expected a JSON object, got {type(data).__name__}")
        unknown = set(data) - {"layers", "x", "y", "loss", "lr", "description", "name"}
        if unknown:
            raise ValueError(
                f"{source}: unknown key(s) {sorted(unknown)}; allowed: layers, x, y, loss, lr, "
                "description, name"
            )
        for key in ("x", "y"):
            if key not in data:
                raise ValueError(f"{source}: missing key {key!r} (the input sample and its target)")
        return cls(
            network=NetworkSpec.from_dict(data), x=data["x"], y=data["y"],
            loss=data.get("loss", "bce"), lr=data.get("lr", 0.1),
            description=str(data.get("description", data.get("name", ""))),
        )

    def to_dict(self) -> dict:
        return {
            "description": self.description, "x": self.x.tolist(), "y": self.y.tolist(),
            "loss": self.loss, "lr": self.lr, **self.network.to_dict(),
        }

    def trace(self, **kwargs):
        """``trace_backprop(self.network, self.x, self.y, loss=self.loss, lr=self.lr)``."""
        from .trace import trace_backprop

        return trace_backprop(self.network, self.x, self.y, loss=self.loss, lr=self.lr, **kwargs)


def load_problem(path: str | Path) -> Problem:
    """Read a problem file (schema in this module's docstring); ``"seed"`` gives the seed's."""
    if str(path) == "seed":
        return seed_problem()
    return Problem.from_dict(_read_json(path), source=f"network file {str(path)!r}")


def seed_problem() -> Problem:
    """The worked 2-2-1 example of seed 003, section 10: x = [1, 0], y = 1, sigmoid everywhere,
    BCE, η = 0.1 (bundled as ``losslab/explain/seed_network.json``)."""
    text = resources.files("losslab.explain").joinpath("seed_network.json").read_text(encoding="utf-8")
    return Problem.from_dict(json.loads(text), source="seed_network.json")
