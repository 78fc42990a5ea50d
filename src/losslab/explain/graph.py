"""The computation graph of a small network, each node with its forward value and its gradient
∂L/∂node, read from a :class:`~losslab.explain.trace.BackpropTrace` (``losslab explain graph``).

Nodes are the inputs ``x{i}``, the weights ``w{i}{j}`` and biases ``b{j}``, each neuron's
pre-activation ``z{j}`` and activation ``a{j}`` (``ŷ`` at the output), the target ``y`` and the
loss ``L``; an edge ``u -> v`` means that ``u`` is an argument of the operation that computes
``v`` (data flow, the direction of the forward pass; gradients flow the other way). Names are the
explainer's (see ``docs/explain.md``).

Where the numbers come from (nothing is recomputed here): a node's value is the trace's recorded
engine value of the same name; its gradient is the trace's engine gradient:

* weight / bias ``p``: ``dL/dp`` (``.grad`` of the parameter after ``L.backward()``);
* ``z{j}``: ``δ{j}`` (``.grad`` of the retained pre-activation);
* ``a{j}`` / ``ŷ``: ``dL/da{j}`` / ``dL/dŷ`` (``.grad`` of the retained activation);
* ``L``: 1 (the seed of the backward pass, ∂L/∂L);
* inputs ``x`` and targets ``y``: none — they are constants (``requires_grad=False``), the engine
  computes no gradient for them.

Two renderings: :func:`graph_text` (layered text, one line per node) and :func:`draw_graph` (a
PNG or SVG drawn with matplotlib on a layered layout computed here: inputs left, loss right).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .spec import Problem
from .trace import BackpropTrace, _fixed

__all__ = [
    "GraphNode", "ComputationGraph", "build_graph", "graph_text", "draw_graph", "MAX_WIDTH",
    "MAX_LAYER_PARAMS",
]

#: Most neurons (or inputs) per layer a graph is built for.
MAX_WIDTH = 12
#: Most parameter nodes (weights + biases) per layer a graph is built for.
MAX_LAYER_PARAMS = 64

#: Node kinds, in the order they appear inside a layer.
NODE_KINDS = ("input", "weight", "bias", "pre", "act", "target", "loss")

_SAVE_FORMATS = {".png": "png", ".svg": "svg"}


@dataclass(frozen=True)
class GraphNode:
    """One node of the computation graph.

    Attributes:
        name: the explainer's name (``"x1"``, ``"w13"``, ``"b3"``, ``"z3"``, ``"a1"``, ``"ŷ"``,
            ``"y"``, ``"L"``).
        kind: ``input``, ``weight``, ``bias``, ``pre`` (z), ``act`` (a or ŷ), ``target`` or
            ``loss``.
        layer: 0 for the inputs, ``l + 1`` for the nodes of network layer ``l`` (its weights,
            biases, z and a), ``n_layers + 1`` for the target and the loss.
        column: position from left to right in the drawing (inputs 0, loss last).
        value: the forward value recorded by the engine.
        grad: ∂L/∂node recorded by the engine, or None for a constant (inputs, targets).
        op: the operation that computes the node from its inputs (``"σ(z1)"``), "" for leaves.
        inputs: the names of the nodes this one is computed from (its incoming edges), in order.
        grad_source: the trace step the gradient was read from (``"δ3"``, ``"dL/dw13"``), or "".
    """

    name: str
    kind: str
    layer: int
    column: int
    value: float
    grad: float | None
    op: str = ""
    inputs: tuple[str, ...] = ()
    grad_source: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "layer": self.layer, "column": self.column,
                "value": self.value, "grad": self.grad, "op": self.op, "inputs": list(self.inputs),
                "grad_source": self.grad_source}


@dataclass(frozen=True)
class ComputationGraph:
    """Nodes (in forward order) and edges ``(source, target)`` of one traced network."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[tuple[str, str], ...]
    description: str
    dtype: str
    n_layers: int
    _by_name: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        self._by_name.update({n.name: n for n in self.nodes})

    def __getitem__(self, name: str) -> GraphNode:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no node named {name!r}; nodes: {', '.join(n.name for n in self.nodes)}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def __iter__(self):
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def layer(self, index: int) -> list[GraphNode]:
        """The nodes of one layer (0: inputs; ``n_layers + 1``: target and loss)."""
        return [n for n in self.nodes if n.layer == index]

    def columns(self) -> list[list[GraphNode]]:
        """Nodes grouped by drawing column, left to right."""
        cols: dict[int, list[GraphNode]] = {}
        for n in self.nodes:
            cols.setdefault(n.column, []).append(n)
        return [cols[c] for c in sorted(cols)]

    def to_dict(self) -> dict:
        """JSON-ready: ``{"description", "dtype", "nodes": [...], "edges": [[src, dst], ...]}``."""
        return {"description": self.description, "dtype": self.dtype,
                "nodes": [n.to_dict() for n in self.nodes],
                "edges": [list(e) for e in self.edges]}


def _as_trace(trace: Any, fn: str) -> BackpropTrace:
    if isinstance(trace, BackpropTrace):
        return trace
    if isinstance(trace, Problem):
        return trace.trace()
    raise TypeError(
        f"{fn}: trace must be a BackpropTrace (from trace_backprop or Problem.trace()) or a "
        f"Problem, got {type(trace).__name__}"
    )


def _check_size(trace: BackpropTrace, fn: str) -> None:
    sizes = trace.network.sizes
    for k, n in enumerate(sizes):
        if n > MAX_WIDTH:
            where = "the input layer" if k == 0 else f"layer {k - 1}"
            raise ValueError(
                f"{fn}: {where} has {n} nodes; the graph view is for small networks with at most "
                f"{MAX_WIDTH} nodes per layer (sizes {'-'.join(map(str, sizes))}); use "
                "`losslab explain backprop` for the numbers of a larger network"
            )
    for k, layer in enumerate(trace.network.layers):
        count = layer.weight.size + (0 if layer.bias is None else layer.bias.size)
        if count > MAX_LAYER_PARAMS:
            raise ValueError(
                f"{fn}: layer {k} has {count} weights and biases (weight shape {layer.shape}); the "
                f"graph view draws each parameter as a node and takes at most {MAX_LAYER_PARAMS} "
                "per layer"
            )


def build_graph(trace: BackpropTrace | Problem) -> ComputationGraph:
    """The computation graph of a traced network, every number read from the trace.

    Formula (network layer l, neuron j; edges point along the data flow)::

        x_i, w_ij, b_j  ->  z_j = Σ_i w_ij·a_i + b_j     (a_i = x_i in the first layer)
        z_j             ->  a_j = f(z_j)                 (ŷ at the output)
        ŷ, y            ->  L = loss(ŷ, y)
        grad(node) = ∂L/∂node:  dL/dw, dL/db, δ_j for z_j, dL/da_j for a_j, 1 for L

    Args:
        trace: a :class:`~losslab.explain.trace.BackpropTrace` (``trace_backprop(...)``), or a
            :class:`~losslab.explain.spec.Problem`, which is traced first.

    Returns:
        a :class:`ComputationGraph`; ``graph["z3"].value``, ``graph["z3"].grad``, ``.edges``.

    Raises:
        TypeError: ``trace`` is neither a trace nor a problem.
        ValueError: a layer has more than :data:`MAX_WIDTH` nodes or more than
            :data:`MAX_LAYER_PARAMS` weights and biases.

    Example:
        >>> from losslab.explain import seed_problem, build_graph
        >>> g = build_graph(seed_problem())
        >>> round(g["a1"].value, 4), round(g["a1"].grad, 4), g["a1"].inputs
        (0.5744, -0.1864, ('z1',))
    """
    trace = _as_trace(trace, "build_graph")
    _check_size(trace, "build_graph")
    n_layers = len(trace.network.layers)
    nodes: list[GraphNode] = []
    edges: list[tuple[str, str]] = []

    def add(name, kind, layer, column, value, grad=None, op="", inputs=(), grad_source=""):
        nodes.append(GraphNode(name, kind, layer, column, value, grad, op, tuple(inputs), grad_source))
        edges.extend((src, name) for src in inputs)

    for s in trace.of_kind("input"):
        if s.neuron is None and s.name.startswith("x"):
            add(s.name, "input", 0, 0, s.value)

    # a neuron's weights and bias are the "input" steps recorded with its neuron number
    params_of: dict[int, list] = {}
    for s in trace.of_kind("input"):
        if s.neuron is not None:
            params_of.setdefault(s.neuron, []).append(s)

    by_layer: dict[int, list[dict]] = {}
    for info in trace.neurons:
        by_layer.setdefault(info["layer"], []).append(info)

    for l in range(n_layers):
        col = 1 + 3 * l
        for info in by_layer[l]:
            for p in params_of.get(info["neuron"], []):
                g = trace[f"dL/d{p.name}"]
                add(p.name, "bias" if p.name.startswith("b") else "weight", l + 1, col, p.value,
                    g.value, grad_source=g.name)
        for info in by_layer[l]:
            j = info["neuron"]
            z = trace[f"z{j}"]
            delta = trace[f"δ{j}"]
            add(z.name, "pre", l + 1, col + 1, z.value, delta.value, z.expression, z.deps, delta.name)
        for info in by_layer[l]:
            j = info["neuron"]
            a = trace[info["name"]]
            ga = trace[f"dL/d{a.name}"]
            add(a.name, "act", l + 1, col + 2, a.value, ga.value, a.expression, a.deps, ga.name)

    last = n_layers + 1
    loss_col = 1 + 3 * n_layers  # the targets are drawn beside the outputs, in column loss_col - 1
    loss_step = trace["L"]
    targets = [d for d in loss_step.deps if trace[d].kind == "input"]
    outs = [d for d in loss_step.deps if trace[d].kind != "input"]
    for t in targets:
        add(t, "target", last, loss_col - 1, trace.value(t))
    if len(outs) == 1:
        op = f"{trace.loss.upper()}({outs[0]}, {targets[0]})"
    else:
        op = f"mean_k {trace.loss.upper()}(ŷk, yk), k = 1…{len(outs)}"
    add("L", "loss", last, loss_col, loss_step.value, 1.0, op, loss_step.deps, "∂L/∂L = 1")
    return ComputationGraph(tuple(nodes), tuple(edges), trace.describe(), trace.dtype, n_layers)


# -- text -----------------------------------------------------------------------------------------
def _check_precision(precision: Any, fn: str) -> None:
    if not isinstance(precision, int) or isinstance(precision, bool) or not 0 <= precision <= 15:
        raise ValueError(f"{fn}: precision must be an int in [0, 15], got {precision!r}")


def _layer_title(graph: ComputationGraph, trace: BackpropTrace, index: int) -> str:
    if index == 0:
        return "Layer 0: inputs (constants, no gradient)"
    if index == graph.n_layers + 1:
        return f"Loss: {trace.loss.upper()}, averaged over the outputs"
    layer = trace.network.layers[index - 1]
    role = "output" if index == graph.n_layers else "hidden"
    return (f"Layer {index}: {role}, {layer.out_features} neuron(s), {layer.activation} "
            f"(z = W·a_prev + b, a = {layer.activation}(z))")


def graph_text(trace: BackpropTrace | Problem, precision: int = 4) -> str:
    """The computation graph as layered text: one line per node with its value, its gradient
    ∂L/∂node and its incoming edges, grouped by layer (inputs first, loss last).

    Formula: see :func:`build_graph`; each line is ``name = op   value v   grad g   <- inputs``.

    Args:
        trace: a :class:`~losslab.explain.trace.BackpropTrace` or a
            :class:`~losslab.explain.spec.Problem`.
        precision: decimals shown for values and gradients (0–15).

    Returns:
        the text, ending with a newline.

    Example:
        >>> from losslab.explain import seed_problem, graph_text
        >>> print(graph_text(seed_problem()))  # doctest: +ELLIPSIS
        Computation graph: 2-2-1 network ...
          a1 = σ(z1)  ...value 0.5744  grad -0.1864  <- z1
        ...
    """
    _check_precision(precision, "graph_text")
    trace = _as_trace(trace, "graph_text")
    graph = build_graph(trace)
    rows: list[tuple[int, str, str, str, str]] = []
    for n in graph.nodes:
        left = f"{n.name} = {n.op}" if n.op else n.name
        value = _fixed(n.value, precision)
        grad = "—" if n.grad is None else _fixed(n.grad, precision)
        edge = ("<- " + ", ".join(n.inputs)) if n.inputs else ""
        rows.append((n.layer, left, value, grad, edge))
    w_left = max(len(r[1]) for r in rows)
    w_val = max(len(r[2]) for r in rows)
    w_grad = max(len(r[3]) for r in rows)
    lines = [f"Computation graph: {graph.description}",
             f"(value: the forward value; grad: ∂L/∂node; both recorded by the losslab engine, {graph.dtype};",
             " edges follow the data flow: 'z1 = … <- w11, x1' means z1 is computed from w11 and x1)"]
    current = None
    for layer, left, value, grad, edge in rows:
        if layer != current:
            current = layer
            lines.append("")
            lines.append(_layer_title(graph, trace, layer))
        line = f"  {left:<{w_left}}  value {value:>{w_val}}  grad {grad:>{w_grad}}"
        if edge:
            line += "  " + edge
        lines.append(line.rstrip())
    lines.append("")
    lines.append(f"{len(graph.nodes)} nodes, {len(graph.edges)} edges")
    return "\n".join(lines) + "\n"


# -- image ----------------------------------------------------------------------------------------
def _require_matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            "draw_graph needs matplotlib, which is not installed: pip install \"losslab[plot]\" "
            "(graph_text needs nothing extra)"
        ) from exc
    return Figure, FigureCanvasAgg


def _check_path(path: Any, fn: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{fn}: path must be a file path ending in .png or .svg, got {type(path).__name__}")
    p = Path(path)
    if p.suffix.lower() not in _SAVE_FORMATS:
        raise ValueError(f"{fn}: path {str(path)!r} has suffix {p.suffix or '(none)'!r}; expected .png or .svg")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{fn}: cannot write {str(path)!r}: the directory {str(parent)!r} does not exist")
    return p


#: Box colours by node kind (fill, edge).
_COLOURS = {
    "input": ("#e8f1fb", "#4a7ab5"), "weight": ("#fdf3e1", "#c08a2d"), "bias": ("#fdf3e1", "#c08a2d"),
    "pre": ("#eef7ee", "#4f9a55"), "act": ("#e6f4ea", "#2f7d3a"), "target": ("#f0f0f0", "#777777"),
    "loss": ("#fbe9e9", "#b54a4a"),
}


def _positions(graph: ComputationGraph) -> dict[str, tuple[float, float]]:
    """Layered layout: x = column; parameter columns one unit per node; each z at the mean
    height of its own weights and bias, each a beside its z, the targets below the outputs, the
    loss at the mean height of its inputs; other columns (the inputs) spread evenly over the
    height of the tallest column."""
    pos: dict[str, tuple[float, float]] = {}
    cols = graph.columns()
    height = max(len(c) for c in cols) - 1
    for col_nodes in cols:
        placed = [n for n in col_nodes if n.kind != "target"]
        n = len(placed)
        gap = 1.0 if n < 2 or placed[0].kind in ("weight", "bias") else max(1.0, min(2.0, height / (n - 1)))
        top = (n - 1) * gap / 2
        for k, node in enumerate(placed):
            pos[node.name] = (float(node.column), top - k * gap)
    for node in graph.nodes:
        if node.kind == "pre":
            params = [s for s in node.inputs if graph[s].kind in ("weight", "bias")]
            y = sum(pos[s][1] for s in params) / len(params)
            pos[node.name] = (float(node.column), y)
        elif node.kind == "act":
            pos[node.name] = (float(node.column), pos[node.inputs[0]][1])
    targets = [n for n in graph.nodes if n.kind == "target"]
    if targets:
        column = targets[0].column
        low = min(p[1] for name, p in pos.items() if graph[name].column == column)
        for k, node in enumerate(targets):
            pos[node.name] = (float(column), low - 1.0 - k)
    loss = graph["L"]
    pos["L"] = (float(loss.column), sum(pos[s][1] for s in loss.inputs) / len(loss.inputs))
    return pos


def draw_graph(trace: BackpropTrace | Problem, path: str | os.PathLike, *, precision: int = 4,
               dpi: int = 150) -> Path:
    """Draw the computation graph to a PNG or SVG file: one box per node with its name, value
    and gradient ∂L/∂node, arrows along the data flow, inputs on the left and the loss on the
    right (a layered layout computed here, no graphviz needed).

    Formula: see :func:`build_graph` (every number is the trace's engine value).

    Args:
        trace: a :class:`~losslab.explain.trace.BackpropTrace` or a
            :class:`~losslab.explain.spec.Problem`.
        path: where to write; the suffix picks the format (``.png`` or ``.svg``). Written
            atomically (a temporary file, then renamed).
        precision: decimals shown in the boxes (0–15).
        dpi: resolution of a PNG (10–600).

    Returns:
        the path written, as a :class:`~pathlib.Path`.

    Raises:
        ImportError: matplotlib is missing (``pip install "losslab[plot]"``).
        TypeError / ValueError: a bad ``trace``, ``path``, ``precision`` or ``dpi``, or a network
            over the size bound (:data:`MAX_WIDTH` nodes, :data:`MAX_LAYER_PARAMS` parameters per
            layer).

    Example:
        >>> from losslab.explain import seed_problem, draw_graph
        >>> draw_graph(seed_problem(), "graph.png")  # doctest: +SKIP
        PosixPath('graph.png')
    """
    _check_precision(precision, "draw_graph")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 10 <= dpi <= 600:
        raise ValueError(f"draw_graph: dpi must be an int in [10, 600], got {dpi!r}")
    out = _check_path(path, "draw_graph")
    trace = _as_trace(trace, "draw_graph")
    graph = build_graph(trace)
    Figure, FigureCanvasAgg = _require_matplotlib()
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    pos = _positions(graph)
    cols = graph.columns()
    n_cols = len(cols)
    ys = [p[1] for p in pos.values()]
    y_lo, y_hi = min(ys), max(ys)
    box_w, box_h = 0.78, 0.72
    fig = Figure(figsize=(max(6.0, 1.9 * n_cols), max(3.5, 0.95 * (y_hi - y_lo + 2))))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.9))
    ax.set_xlim(-0.6, n_cols - 1 + 0.6)
    ax.set_ylim(y_lo - 0.8, y_hi + 0.8)
    ax.axis("off")
    fig.suptitle(f"Computation graph: {graph.description}\nvalue (v) and ∂L/∂node (g) from the "
                 f"losslab engine, {graph.dtype}", fontsize=9)

    for src, dst in graph.edges:
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        skip = graph[dst].column - graph[src].column > 1  # passes behind a parameter column
        arrow = FancyArrowPatch((x0 + box_w / 2, y0), (x1 - box_w / 2, y1), arrowstyle="-|>",
                                mutation_scale=8, lw=0.6, color="#9aa5b1" if skip else "#555555",
                                alpha=0.55 if skip else 0.9, zorder=1, shrinkA=0, shrinkB=0)
        ax.add_patch(arrow)
    for node in graph.nodes:
        x, y = pos[node.name]
        fill, edge = _COLOURS[node.kind]
        ax.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0.02,rounding_size=0.08", fc=fill, ec=edge,
                                    lw=1.0, zorder=2))
        grad = "—" if node.grad is None else _fixed(node.grad, precision)
        label = f"{node.name}\nv = {_fixed(node.value, precision)}\ng = {grad}"
        ax.text(x, y, label, ha="center", va="center", fontsize=7, zorder=3, family="DejaVu Sans")
    heads = {0: "inputs"}
    for k in range(graph.n_layers):
        c = 1 + 3 * k
        heads.update({c: f"W, b (layer {k + 1})", c + 1: "z", c + 2: "a" if k < graph.n_layers - 1 else "ŷ, y"})
    heads[1 + 3 * graph.n_layers] = "loss"
    for c, text in heads.items():
        ax.text(c, y_hi + 0.6, text, ha="center", va="center", fontsize=7, color="#333333")

    from ..viz._common import save_figure

    save_figure(fig, out, "draw_graph", dpi=dpi)  # atomic, format by suffix, as every losslab plot
    return out
