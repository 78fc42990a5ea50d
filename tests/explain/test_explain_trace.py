"""trace_backprop: every recorded number against an independent PyTorch float64 computation,
the seed's headline values, formulas, rendering, JSON, naming and input errors."""
import json
import math

import numpy as np
import pytest

import losslab as ll
from losslab.explain import (
    KINDS, LayerSpec, NetworkSpec, Problem, name_key, render, seed_problem, trace_backprop,
)

from explain_oracle import torch_reference

SEED_LAYERS = [
    ([[0.2, 0.4], [0.3, 0.1]], [0.1, 0.2], "sigmoid", {}),
    ([[0.7, 0.5]], [0.3], "sigmoid", {}),
]


def _spec(layers):
    return NetworkSpec([LayerSpec(w, b, act, p) for w, b, act, p in layers])


def _check_against_torch(trace, layers, x, y, loss, lr, tol=1e-10):
    ref = torch_reference(layers, x, y, loss, lr)
    computed = {s.name: s.value for s in trace.steps if s.kind != "input"}
    assert set(computed) == set(ref), (set(computed) ^ set(ref))
    for name, v in ref.items():
        assert computed[name] == pytest.approx(v, rel=tol, abs=tol), name
    return ref


@pytest.fixture(scope="module")
def seed_trace():
    return seed_problem().trace()


# -- the seed ----------------------------------------------------------------------------------
def test_seed_problem_is_the_seeds_network():
    p = seed_problem()
    assert p.x.tolist() == [1.0, 0.0] and p.y.tolist() == [1.0]
    assert p.loss == "bce" and p.lr == 0.1
    assert p.network.sizes == (2, 2, 1)
    assert p.network.layers[0].weight.tolist() == [[0.2, 0.4], [0.3, 0.1]]
    assert p.network.layers[1].bias.tolist() == [0.3]


def test_seed_all_values_match_torch(seed_trace):
    torch = pytest.importorskip("torch")  # noqa: F841
    ref = _check_against_torch(seed_trace, SEED_LAYERS, [1.0, 0.0], [1.0], "bce", 0.1)
    # what the brief asks for explicitly: forward, L, all δ, all 9 gradients, all 9 updates
    for n in ["z1", "a1", "z2", "a2", "z3", "ŷ", "L", "δ1", "δ2", "δ3"]:
        assert n in ref
    grads = [s.name for s in seed_trace.of_kind("grad")]
    updates = [s.name for s in seed_trace.of_kind("update")]
    assert len(grads) == 9 and len(updates) == 9
    assert grads == ["dL/dw13", "dL/dw23", "dL/db3", "dL/dw11", "dL/dw21", "dL/db1",
                     "dL/dw12", "dL/dw22", "dL/db2"]
    assert updates == ["w11'", "w21'", "b1'", "w12'", "w22'", "b2'", "w13'", "w23'", "b3'"]


def test_seed_headline_values(seed_trace):
    t = seed_trace
    assert round(t.value("ŷ"), 4) == 0.7337
    assert round(t.value("L"), 4) == 0.3097
    assert round(t.value("δ3"), 4) == -0.2663
    assert round(t.value("dL/dw13"), 4) == -0.1530
    assert round(t.value("w13'"), 4) == 0.7153
    assert round(t.value("z3"), 4) == 1.0133  # the seed wrote 1.086 (its slip)
    # closed forms, independent of any autodiff
    s = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    a1, a2 = s(0.3), s(0.5)
    yhat = s(0.7 * a1 + 0.5 * a2 + 0.3)
    assert t.value("ŷ") == pytest.approx(yhat, abs=1e-14)
    assert t.value("δ3") == pytest.approx(yhat - 1, abs=1e-14)
    assert t.value("δ1") == pytest.approx(0.7 * (yhat - 1) * a1 * (1 - a1), abs=1e-14)


def test_seed_step_order_and_formulas(seed_trace):
    t = seed_trace
    rank = {"input": 0, "forward": 1, "loss": 2, "delta": 3, "grad": 3, "update": 4}
    ranks = [rank[s.kind] for s in t.steps]
    assert ranks == sorted(ranks)  # given, forward, loss, backward (δs and gradients, output
    assert set(KINDS) == set(rank)  # layer first, as the seed does), updates
    forward = [s.name for s in t.of_kind("forward")]
    assert forward == ["z1", "a1", "z2", "a2", "z3", "ŷ"]
    deltas = [s.name for s in t.of_kind("delta")]
    assert deltas == ["dL/dŷ", "σ'(z3)", "δ3", "dL/da1", "σ'(z1)", "δ1", "dL/da2", "σ'(z2)", "δ2"]
    assert t["dL/dw13"].formula == "∂L/∂w13 = δ3·a1 = (-0.2663)(0.5744) = -0.1530"
    assert t["z3"].formula == "z3 = w13·a1 + w23·a2 + b3 = (0.7)(0.5744) + (0.5)(0.6225) + 0.3 = 1.0133"
    assert t["w13'"].formula == "w13' = w13 - η·∂L/∂w13 = 0.7 - (0.1)(-0.1530) = 0.7153"
    assert t["δ3"].formula == "δ3 = ŷ - y = 0.7337 - 1 = -0.2663"
    assert t["δ1"].formula == "δ1 = ∂L/∂a1·σ'(z1) = (-0.1864)(0.2445) = -0.0456"
    assert t["δ1"].deps == ("dL/da1", "σ'(z1)")
    assert t["dL/dw13"].deps == ("δ3", "a1")
    assert t["z3"].deps == ("w13", "a1", "w23", "a2", "b3")
    assert t.formula("dL/dw13", precision=2) == "∂L/∂w13 = δ3·a1 = (-0.27)(0.57) = -0.15"
    # every dependency names an earlier step (dependency order)
    seen = set()
    for s in t.steps:
        assert all(d in seen for d in s.deps), s.name
        seen.add(s.name)


def test_seed_aliases(seed_trace):
    t = seed_trace
    for alias, name in [("yhat", "ŷ"), ("a3", "ŷ"), ("y_hat", "ŷ"), ("∂L/∂w13", "dL/dw13"),
                        ("dl/dw_13", "dL/dw13"), ("delta3", "δ3"), ("dL/dz3", "δ3"),
                        ("w13_new", "w13'"), ("w13^{new}", "w13'"), ("sigma'(z1)", "σ'(z1)"),
                        ("da1/dz1", "σ'(z1)"), ("f'(z2)", "σ'(z2)"), ("eta", "η"), ("lr", "η"),
                        ("loss", "L"), ("dL/dyhat", "dL/dŷ"), ("grad_w23", "dL/dw23")]:
        assert t[alias].name == name, alias
    assert "nonsense" not in t
    with pytest.raises(KeyError, match="names look like"):
        t["nonsense"]


def test_name_key_keeps_separator_between_digits():
    assert name_key("w1_12") != name_key("w11_2")
    assert name_key("w_13") == name_key("w13") == name_key("W13")
    assert name_key("∂L/∂ŷ") == name_key("dL/dyhat")
    assert name_key("δ 3") == name_key("delta_3")


# -- other networks against torch ----------------------------------------------------------------
def test_three_layer_network_matches_torch():
    pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    layers = [
        (rng.normal(size=(3, 2)), rng.normal(size=3), "tanh", {}),
        (rng.normal(size=(2, 3)), rng.normal(size=2), "relu", {}),
        (rng.normal(size=(1, 2)), rng.normal(size=1), "sigmoid", {}),
    ]
    x, y = [0.4, -1.3], [0.0]
    t = trace_backprop(_spec(layers), x, y, loss="bce", lr=0.05)
    _check_against_torch(t, layers, x, y, "bce", 0.05)
    assert [s.name for s in t.of_kind("forward")][-2:] == ["z6", "ŷ"]
    assert "dL/dw46" in t and "dL/dw14" in t and "dL/dw23" in t and "dL/dw41" not in t  # w{i}{j}: source i -> neuron j


def test_tanh_mse_network_matches_torch():
    pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    layers = [
        (rng.normal(size=(2, 3)), rng.normal(size=2), "tanh", {}),
        (rng.normal(size=(1, 2)), rng.normal(size=1), "tanh", {}),
    ]
    x, y = [0.5, -0.2, 1.0], [0.3]
    t = trace_backprop(_spec(layers), x, y, loss="mse", lr=0.2)
    _check_against_torch(t, layers, x, y, "mse", 0.2)
    assert t["dL/dŷ"].expression == "2(ŷ - y)"
    assert t["δ3"].deps == ("dL/dŷ", "tanh'(z3)")


@pytest.mark.parametrize("case", range(6))
def test_random_networks_match_torch(case):
    pytest.importorskip("torch")
    rng = np.random.default_rng(100 + case)
    acts = ["sigmoid", "tanh", "relu", "leaky_relu", "softplus", "identity"]
    n_layers = int(rng.integers(1, 4))
    sizes = [int(rng.integers(1, 4)) for _ in range(n_layers + 1)]
    loss = "bce" if case % 2 == 0 else "mse"
    layers = []
    for k in range(n_layers):
        act = acts[(case + k) % len(acts)]
        if k == n_layers - 1 and loss == "bce":
            act = "sigmoid"
        params = {"negative_slope": 0.2} if act == "leaky_relu" else ({"beta": 2.0} if act == "softplus" else {})
        bias = None if (case + k) % 3 == 2 else rng.normal(size=sizes[k + 1])
        layers.append((rng.normal(size=(sizes[k + 1], sizes[k])), bias, act, params))
    x = rng.normal(size=sizes[0])
    y = rng.uniform(size=sizes[-1]) if loss == "bce" else rng.normal(size=sizes[-1])
    t = trace_backprop(_spec(layers), x, y, loss=loss, lr=0.3)
    _check_against_torch(t, layers, x, y, loss, 0.3)
    _check_recompute(t)


def test_multi_output_naming_and_values():
    pytest.importorskip("torch")
    layers = [([[0.1, -0.2], [0.3, 0.4], [0.5, 0.6]], [0.0, 0.1, -0.1], "sigmoid", {}),
              ([[0.2, -0.3, 0.1], [0.4, 0.2, -0.5]], [0.05, -0.05], "sigmoid", {})]
    t = trace_backprop(_spec(layers), [1.0, 2.0], [1.0, 0.0], loss="bce", lr=0.1)
    _check_against_torch(t, layers, [1.0, 2.0], [1.0, 0.0], "bce", 0.1)
    assert t["ŷ1"].name == "ŷ1" and t["a5"].name == "ŷ2" and t["yhat2"].name == "ŷ2"
    assert t["y2"].value == 0.0
    assert t["δ4"].expression == "(ŷ1 - y1)/2"  # mean over the two outputs


def test_relu_kink_follows_pytorch():
    pytest.importorskip("torch")
    layers = [([[1.0, -1.0]], [0.0], "relu", {}), ([[0.5]], [0.1], "sigmoid", {})]
    t = trace_backprop(_spec(layers), [0.3, 0.3], [1.0])  # z1 = 0 exactly
    assert t.value("z1") == 0.0
    assert t.value("relu'(z1)") == 0.0
    _check_against_torch(t, layers, [0.3, 0.3], [1.0], "bce", 0.1)


def test_saturated_sigmoid_stays_finite_and_is_explained():
    pytest.importorskip("torch")
    import warnings

    layers = [([[50.0]], [0.0], "sigmoid", {})]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = trace_backprop(_spec(layers), [1.0], [0.0])
    assert t.value("ŷ") == 1.0 and t.value("L") == 100.0  # log clamped at -100, as BCELoss
    assert t.value("δ1") == 0.0  # σ'(z) rounds to 0: the reason BCE-with-logits exists
    assert "sigmoid saturated" in t["δ1"].note
    _check_against_torch(t, layers, [1.0], [0.0], "bce", 0.1)
    assert t["dL/dŷ"].recompute([1.0, 0.0]) == t.value("dL/dŷ")


def test_separator_for_more_than_nine_neurons():
    rng = np.random.default_rng(0)
    layers = [(rng.normal(size=(10, 2)), rng.normal(size=10), "tanh", {}),
              (rng.normal(size=(1, 10)), rng.normal(size=1), "sigmoid", {})]
    t = trace_backprop(_spec(layers), [0.1, 0.2], [1.0])
    assert "w1_10" in t and t["w10_11"].kind == "input" and "dL/dw10_11" in t
    assert t["dL/dw1_10"].name == "dL/dw1_10"
    assert t.resolve("w110") is None  # ambiguous without the separator


def _check_recompute(t):
    """Every step's formula, evaluated by the engine on the trace's own values, gives the
    recorded value: the formulas shown are the computation performed."""
    for s in t.steps:
        if s.fn is None:
            continue
        v = s.recompute([t.value(d) for d in s.deps])
        assert v == pytest.approx(s.value, rel=1e-12, abs=1e-12), s.name


def test_formulas_recompute_recorded_values(seed_trace):
    _check_recompute(seed_trace)
    layers = [([[0.3, -0.2]], [0.1], "leaky_relu", {"negative_slope": 0.1}),
              ([[1.5]], None, "identity", {})]
    _check_recompute(trace_backprop(_spec(layers), [-1.0, 2.0], [0.5], loss="mse"))


def test_recompute_sensitivity_uses_engine(seed_trace):
    v, sens = seed_trace["dL/dw13"].recompute([-0.25, 0.5], with_sensitivity=True)
    assert v == -0.125 and sens == [0.5, 0.25]


# -- the engine is really used, and nothing outside is changed -------------------------------------
def test_float32_trace_differs_from_float64_only_by_rounding():
    p = seed_problem()
    t32 = trace_backprop(p.network, p.x, p.y, dtype=ll.float32)
    t64 = p.trace()
    assert t32.dtype == "float32" and t64.dtype == "float64"
    diffs = [abs(a.value - b.value) for a, b in zip(t32.steps, t64.steps)]
    assert max(diffs) < 1e-6 and max(diffs) > 0  # float32 arithmetic happened


def test_spec_is_not_modified():
    p = seed_problem()
    before = p.network.layers[1].weight.copy()
    p.trace()
    assert np.array_equal(p.network.layers[1].weight, before)


def test_torch_sequential_is_read_without_change():
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1),
                                torch.nn.Sigmoid()).double()
    before = [p.detach().clone() for p in model.parameters()]
    t = trace_backprop(model, [0.5, -0.5], [1.0])
    x = torch.tensor([0.5, -0.5], dtype=torch.float64)
    assert t.value("ŷ") == pytest.approx(model(x).item(), abs=1e-12)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert all(p.grad is None for p in model.parameters())


def test_losslab_sequential():
    nn = pytest.importorskip("losslab.nn")
    if not hasattr(nn, "Sequential"):
        pytest.skip("losslab.nn.Sequential not written yet")
    ll.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid())
    t = trace_backprop(model, [0.5, -0.5], [1.0])
    out = model(ll.tensor([[0.5, -0.5]], dtype=model[0].weight.dtype))
    assert t.value("ŷ") == pytest.approx(float(out.data.ravel()[0]), rel=1e-6)
    assert t.network.layers[1].activation == "sigmoid"
    assert model[0].weight.grad is None


def test_sequential_errors():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="expected a Linear"):
        NetworkSpec.from_module(torch.nn.Sequential(torch.nn.Tanh()))
    with pytest.raises(ValueError, match="unsupported module Softmax"):
        NetworkSpec.from_module(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Softmax(dim=0)))
    with pytest.raises(TypeError, match="nn.Sequential"):
        trace_backprop(42, [1.0], [1.0])


# -- render and JSON ---------------------------------------------------------------------------
def test_render_sections(seed_trace):
    text = render(seed_trace)
    for title in ["Given", "1. Forward pass", "2. Loss", "3. Backward pass", "4. Gradients",
                  "5. Updated weights"]:
        assert title in text
    order = [text.index(t) for t in ["Forward pass", "Loss", "Backward", "Gradients", "Updated"]]
    assert order == sorted(order)
    assert "∂L/∂w13 = δ3·a1 = (-0.2663)(0.5744) = -0.1530" in text
    assert "neuron 3: w13 = 0.7, w23 = 0.5, b3 = 0.3" in text
    assert "BCE after a sigmoid" in text
    assert "(-0.26633)(0.57444) = -0.15299" in render(seed_trace, precision=5)
    assert seed_trace.render() == text
    with pytest.raises(ValueError, match="precision"):
        render(seed_trace, precision=-1)


def test_to_dict_is_json(seed_trace):
    d = json.loads(json.dumps(seed_trace.to_dict()))
    assert d["sizes"] == [2, 2, 1] and d["loss"] == "bce" and d["lr"] == 0.1
    names = [s["name"] for s in d["steps"]]
    assert names == [s.name for s in seed_trace.steps]
    step = d["steps"][names.index("dL/dw13")]
    assert step["kind"] == "grad" and step["deps"] == ["δ3", "a1"]
    assert step["formula"].endswith("= -0.1530")
    assert step["value"] == seed_trace.value("dL/dw13")
    assert [n["neuron"] for n in d["neurons"]] == [1, 2, 3]
    assert d["neurons"][2]["output"] is True


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    (dict(x=[1.0], y=[1.0]), r"x: has 1 value\(s\) \[1.0\] but the network's first layer takes 2"),
    (dict(x=[1.0, 0.0], y=[1.0, 0.0]), r"y: has 2 value\(s\).*1 output"),
    (dict(x=[1.0, 0.0], y=[2.0]), r"BCE targets must lie in \[0, 1\]"),
    (dict(x=[1.0, 0.0], y=[1.0], loss="hinge"), "loss: expected 'bce' or 'mse'"),
    (dict(x=[1.0, 0.0], y=[1.0], lr=float("nan")), "lr: expected a finite number"),
    (dict(x="1,a", y=[1.0]), "x: expected comma-separated numbers"),
])
def test_trace_input_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        trace_backprop(seed_problem().network, **kwargs)


def test_bce_needs_sigmoid_output():
    spec = _spec([([[1.0]], [0.0], "tanh", {})])
    with pytest.raises(ValueError, match="output layer's activation is 'tanh'"):
        trace_backprop(spec, [1.0], [1.0], loss="bce")
    trace_backprop(spec, [1.0], [1.0], loss="mse")  # fine


def test_missing_sample_is_an_error():
    with pytest.raises(ValueError, match="x: the input sample is required"):
        trace_backprop(seed_problem().network)
    t = trace_backprop(seed_problem())  # a Problem brings its own sample
    assert round(t.value("L"), 4) == 0.3097
    t2 = trace_backprop(seed_problem(), lr=1.0)
    assert t2.value("w13'") == pytest.approx(0.7 - t2.value("dL/dw13"), abs=1e-15)


def test_problem_trace_overrides_loss():
    p = Problem(_spec(SEED_LAYERS), [1, 0], 1, loss="mse", lr=0.5)
    t = p.trace()
    assert t.loss == "mse" and t.value("L") == pytest.approx((t.value("ŷ") - 1) ** 2, abs=1e-15)
