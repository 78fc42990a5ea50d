"""explain.graph: the computation graph's values and gradients are the trace's (exactly), its
edges are the trace's dependencies, the text and image renderings, size bounds and bad input."""
import struct
import sys

import numpy as np
import pytest

from losslab.explain import (
    LayerSpec, NetworkSpec, Problem, build_graph, draw_graph, graph_text, seed_problem,
    trace_backprop,
)
from losslab.explain.graph import MAX_LAYER_PARAMS, MAX_WIDTH

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def seed_trace():
    return seed_problem().trace()


def _random_trace(seed, sizes, acts, loss, bias=True):
    rng = np.random.default_rng(seed)
    layers = [LayerSpec(rng.normal(size=(sizes[k + 1], sizes[k])),
                        rng.normal(size=sizes[k + 1]) if bias else None, acts[k])
              for k in range(len(sizes) - 1)]
    y = rng.uniform(size=sizes[-1]) if loss == "bce" else rng.normal(size=sizes[-1])
    return trace_backprop(NetworkSpec(layers), rng.normal(size=sizes[0]), y, loss=loss, lr=0.1)


def _expected_grad_step(trace, node):
    """The trace step a node's gradient must come from, derived from the naming scheme."""
    if node.kind in ("weight", "bias"):
        return f"dL/d{node.name}"
    if node.kind == "pre":
        return "δ" + node.name[1:]
    if node.kind == "act":
        return f"dL/d{node.name}"
    return None


def _check_graph_against_trace(graph, trace):
    steps = {s.name: s for s in trace.steps}
    for node in graph.nodes:
        assert node.value == steps[node.name].value, node.name  # exactly the engine's number
        src = _expected_grad_step(trace, node)
        if src is not None:
            assert node.grad == steps[src].value, node.name
            assert node.grad_source == src
        elif node.kind == "loss":
            assert node.grad == 1.0
        else:
            assert node.grad is None and node.kind in ("input", "target")
    # every parameter, every z and a, the inputs, the targets and L appear once
    params = [s.name for s in trace.of_kind("input") if s.neuron is not None]
    forward = [s.name for s in trace.of_kind("forward")]
    xs = [s.name for s in trace.of_kind("input") if s.neuron is None and s.name.startswith("x")]
    ys = [d for d in trace["L"].deps if trace[d].kind == "input"]
    assert sorted(n.name for n in graph.nodes) == sorted(params + forward + xs + ys + ["L"])
    # edges: exactly the trace's dependencies of every computed node
    expected_edges = {(d, s.name) for s in trace.steps if s.name in forward or s.name == "L"
                      for d in s.deps}
    assert set(graph.edges) == expected_edges
    assert len(graph.edges) == len(expected_edges)


def test_seed_graph_values_and_grads_equal_the_trace(seed_trace):
    g = build_graph(seed_trace)
    _check_graph_against_trace(g, seed_trace)
    # the seed's numbers as checked in test_explain_trace.py
    assert round(g["ŷ"].value, 4) == 0.7337 and round(g["L"].value, 4) == 0.3097
    assert round(g["z3"].value, 4) == 1.0133 and round(g["z3"].grad, 4) == -0.2663
    assert round(g["w13"].grad, 4) == -0.1530 and round(g["a1"].grad, 4) == -0.1864
    assert g["w13"].value == 0.7 and g["x1"].value == 1.0 and g["x1"].grad is None
    assert g["z3"].inputs == ("w13", "a1", "w23", "a2", "b3")
    assert g["ŷ"].inputs == ("z3",) and g["L"].inputs == ("ŷ", "y")
    assert len(g) == 19 and len(g.edges) == 20
    # a Problem is traced first and gives the same graph
    g2 = build_graph(seed_problem())
    assert [(n.name, n.value, n.grad) for n in g2] == [(n.name, n.value, n.grad) for n in g]


def test_layers_and_columns_are_ordered_left_to_right(seed_trace):
    g = build_graph(seed_trace)
    assert [n.name for n in g.layer(0)] == ["x1", "x2"]
    assert [n.name for n in g.layer(3)] == ["y", "L"]
    cols = g.columns()
    assert [n.name for n in cols[0]] == ["x1", "x2"]
    assert [n.name for n in cols[-1]] == ["L"]
    for src, dst in g.edges:  # data flows left to right
        assert g[src].column < g[dst].column
    d = g.to_dict()
    assert d["nodes"][0]["name"] == "x1" and ["ŷ", "L"] in d["edges"]


@pytest.mark.parametrize("case", [
    (1, (3, 4, 3, 2), ("tanh", "relu", "identity"), "mse", True),
    (2, (2, 5, 1), ("leaky_relu", "sigmoid"), "bce", False),
    (3, (12, 12, 3), ("softplus", "sigmoid"), "bce", True),  # 156 parameters: refused
    (4, (1, 1), ("sigmoid",), "bce", True),
    (5, (4, 3, 3, 3, 2), ("tanh", "tanh", "sigmoid", "sigmoid"), "bce", True),
])
def test_other_networks(case):
    seed, sizes, acts, loss, bias = case
    t = _random_trace(seed, sizes, acts, loss, bias)
    n_params = max(l.weight.size + (0 if l.bias is None else l.bias.size) for l in t.network.layers)
    if n_params > MAX_LAYER_PARAMS:
        with pytest.raises(ValueError, match=f"at most {MAX_LAYER_PARAMS}"):
            build_graph(t)
        return
    g = build_graph(t)
    _check_graph_against_trace(g, t)
    text = graph_text(t)
    for n in g.nodes:
        assert any(line.strip().startswith(n.name) for line in text.splitlines()), n.name


def test_graph_text_seed(seed_trace):
    text = graph_text(seed_trace)
    lines = text.splitlines()
    assert lines[0].startswith("Computation graph: 2-2-1 network (hidden: sigmoid; output: sigmoid)")
    line = next(l for l in lines if l.strip().startswith("a1 = "))
    assert line.split() == ["a1", "=", "σ(z1)", "value", "0.5744", "grad", "-0.1864", "<-", "z1"]
    line = next(l for l in lines if l.strip().startswith("z3 = "))
    assert "value 1.0133" in line and "grad -0.2663" in line
    assert line.endswith("<- w13, a1, w23, a2, b3")
    line = next(l for l in lines if l.strip().startswith("w13 "))
    assert "value 0.7000" in line and "grad -0.1530" in line and "<-" not in line
    line = next(l for l in lines if l.strip().startswith("x1 "))
    assert line.split()[-1] == "—"
    assert "L = BCE(ŷ, y)" in text and "19 nodes, 20 edges" in text
    # section order: inputs, hidden layer, output layer, loss
    heads = [l for l in lines if l and not l.startswith(" ") and l[0] in "LC"]
    assert [h.split(":")[0] for h in heads[1:]] == ["Layer 0", "Layer 1", "Layer 2", "Loss"]
    # precision is honoured
    assert "value 0.574443" in graph_text(seed_trace, precision=6)


def test_graph_text_with_more_decimals_shows_the_exact_values(seed_trace):
    text = graph_text(seed_trace, precision=12)
    g = build_graph(seed_trace)
    for name in ("z3", "ŷ", "L", "a2"):
        assert f"{g[name].value:.12f}" in text
        assert f"{g[name].grad:.12f}" in text


def test_draw_png_is_a_valid_nontrivial_png(tmp_path, seed_trace):
    pytest.importorskip("matplotlib")
    out = draw_graph(seed_trace, tmp_path / "graph.png")
    data = out.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 600 and height > 300
    assert len(data) > 20_000  # 19 labelled boxes, not an empty canvas
    assert not list(tmp_path.glob("*.tmp*"))  # atomic write leaves nothing behind


def test_draw_svg_contains_the_numbers(tmp_path, seed_trace):
    pytest.importorskip("matplotlib")
    out = draw_graph(seed_trace, tmp_path / "graph.svg")
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    # matplotlib writes text as glyph paths by default; the labels survive as comments/ids only
    # when svg.fonttype is 'none', so check the size instead
    assert len(svg) > 50_000


def test_draw_bigger_network(tmp_path):
    pytest.importorskip("matplotlib")
    t = _random_trace(9, (3, 4, 3, 2), ("tanh", "relu", "identity"), "mse")
    out = draw_graph(t, tmp_path / "big.png", dpi=60)
    assert out.read_bytes()[:8] == PNG_MAGIC


def test_bad_inputs(tmp_path, seed_trace):
    with pytest.raises(TypeError, match="BackpropTrace"):
        build_graph("seed")
    with pytest.raises(TypeError, match="BackpropTrace"):
        graph_text(None)
    with pytest.raises(ValueError, match="precision"):
        graph_text(seed_trace, precision=-1)
    with pytest.raises(ValueError, match="precision"):
        graph_text(seed_trace, precision=True)
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        draw_graph(seed_trace, tmp_path / "graph.jpg")
    with pytest.raises(ValueError, match="does not exist"):
        draw_graph(seed_trace, tmp_path / "missing" / "graph.png")
    with pytest.raises(TypeError, match="path"):
        draw_graph(seed_trace, 42)
    with pytest.raises(ValueError, match="dpi"):
        draw_graph(seed_trace, tmp_path / "g.png", dpi=5)


def test_too_wide_network_is_refused():
    width = MAX_WIDTH + 1
    spec = NetworkSpec([LayerSpec(np.full((1, width), 0.1), [0.0], "sigmoid")])
    p = Problem(spec, np.zeros(width), [1.0])
    with pytest.raises(ValueError, match=f"at most {MAX_WIDTH} nodes per layer"):
        build_graph(p)
    with pytest.raises(ValueError, match="input layer has 13 nodes"):
        graph_text(p)
    spec = NetworkSpec([LayerSpec(np.full((width, 1), 0.1), np.zeros(width), "sigmoid")])
    with pytest.raises(ValueError, match="layer 0 has 13 nodes"):
        build_graph(Problem(spec, [1.0], np.zeros(width)))


def test_missing_matplotlib_says_how_to_install(tmp_path, monkeypatch, seed_trace):
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(ImportError, match=r'pip install "losslab\[plot\]"'):
        draw_graph(seed_trace, tmp_path / "graph.png")
    assert not (tmp_path / "graph.png").exists()
    assert "value 0.7337" in graph_text(seed_trace)  # the text view needs nothing extra
