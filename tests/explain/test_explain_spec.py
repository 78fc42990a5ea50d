"""Network specs: the JSON schema, its validation errors, command-line strings."""
import json

import numpy as np
import pytest

from losslab.explain import (
    LayerSpec, NetworkSpec, Problem, load_problem, parse_matrix, parse_vector, seed_problem,
)

SEED = {
    "x": [1, 0], "y": [1], "loss": "bce", "lr": 0.1,
    "layers": [
        {"weight": [[0.2, 0.4], [0.3, 0.1]], "bias": [0.1, 0.2], "activation": "sigmoid"},
        {"weight": [[0.7, 0.5]], "bias": [0.3], "activation": "sigmoid"},
    ],
}


def _write(tmp_path, obj, name="net.json"):
    p = tmp_path / name
    p.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    return p


def test_load_problem_from_file(tmp_path):
    p = load_problem(_write(tmp_path, SEED))
    assert p.network.sizes == (2, 2, 1)
    assert p.x.tolist() == [1.0, 0.0] and p.y.tolist() == [1.0] and p.lr == 0.1
    assert round(p.trace().value("ŷ"), 4) == 0.7337
    assert load_problem("seed").to_dict() == seed_problem().to_dict()


def test_roundtrip_to_dict():
    p = seed_problem()
    again = Problem.from_dict(p.to_dict())
    assert again.to_dict() == p.to_dict()
    assert NetworkSpec.from_dict(p.network.to_dict()).sizes == (2, 2, 1)


def test_defaults_and_scalar_target(tmp_path):
    d = {k: v for k, v in SEED.items() if k not in ("loss", "lr")}
    d["y"] = 1
    p = load_problem(_write(tmp_path, d))
    assert p.loss == "bce" and p.lr == 0.1 and p.y.tolist() == [1.0]


def test_weight_shape_mismatch_names_layer_and_shapes(tmp_path):
    bad = json.loads(json.dumps(SEED))
    bad["layers"][1]["weight"] = [[0.7, 0.5, 0.1]]
    with pytest.raises(ValueError) as e:
        load_problem(_write(tmp_path, bad))
    msg = str(e.value)
    assert "layers[1].weight has shape (1, 3)" in msg
    assert "layers[0] has 2 outputs (weight shape (2, 2))" in msg
    assert "expected shape (1, 2)" in msg


def test_bias_shape_mismatch(tmp_path):
    bad = json.loads(json.dumps(SEED))
    bad["layers"][0]["bias"] = [0.1, 0.2, 0.3]
    with pytest.raises(ValueError, match=r"layers\[0\]\.bias has shape \(3,\) but weight has shape \(2, 2\)"):
        load_problem(_write(tmp_path, bad))


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d["layers"][0].update(activation="softmax"), r"layers\[0\]\.activation: unknown activation 'softmax'"),
    (lambda d: d["layers"][0].update(colour="red"), r"layers\[0\]: unknown key\(s\) \['colour'\]"),
    (lambda d: d["layers"][0].pop("weight"), r"layers\[0\]: missing 'weight'"),
    (lambda d: d["layers"][1].update(weight=[0.7, 0.5]), r"layers\[1\]\.weight: expected a list of rows"),
    (lambda d: d["layers"][1].update(weight=[[0.7, "a"]]), r"layers\[1\]\.weight: expected numbers"),
    (lambda d: d["layers"][1].update(weight=[[0.7, 0.5], [0.1]]), r"layers\[1\]\.weight: expected numbers"),
    (lambda d: d.pop("x"), r"missing key 'x'"),
    (lambda d: d.update(epochs=3), r"unknown key\(s\) \['epochs'\]"),
    (lambda d: d.update(loss="hinge"), r"loss: expected one of"),
    (lambda d: d.update(lr="fast"), r"lr: expected a finite number"),
    (lambda d: d.update(layers=[]), r"at least one layer"),
    (lambda d: d.update(layers={"weight": 1}), r"layers: expected a list"),
    (lambda d: d["layers"][0].update(activation="leaky_relu", activation_params={"alpha": 1}),
     r"'leaky_relu' takes \['negative_slope'\], got 'alpha'"),
    (lambda d: d["layers"][0].update(weight=[[1.0, float("inf")], [0, 0]]), r"non-finite"),
])
def test_schema_errors(tmp_path, mutate, match):
    d = json.loads(json.dumps(SEED))
    mutate(d)
    with pytest.raises((ValueError, TypeError), match=match):
        load_problem(_write(tmp_path, json.dumps(d, allow_nan=True)))


def test_invalid_json_names_line(tmp_path):
    with pytest.raises(ValueError, match=r"invalid JSON at line 3"):
        load_problem(_write(tmp_path, '{\n "x": [1, 0],\n "y": [1],,\n}'))
    with pytest.raises(ValueError, match="cannot be read"):
        load_problem(tmp_path / "missing.json")


def test_activation_aliases_and_params():
    layer = LayerSpec([[1.0]], None, "Linear")
    assert layer.activation == "identity" and layer.bias is None
    lk = LayerSpec([[1.0]], [0.0], "leaky_relu", {"negative_slope": 0.2})
    assert lk.activation_params == {"negative_slope": 0.2}
    assert LayerSpec([[1.0]], [0.0], "softplus").activation_params == {"beta": 1.0, "threshold": 20.0}
    with pytest.raises(ValueError, match="beta must be > 0"):
        LayerSpec([[1.0]], [0.0], "softplus", {"beta": 0.0})
    with pytest.raises(TypeError, match="activation must be a string"):
        LayerSpec([[1.0]], [0.0], 3)


def test_from_strings():
    net = NetworkSpec.from_strings(["0.2,0.4; 0.3,0.1", "0.7 0.5"], ["0.1,0.2", "0.3"], "sigmoid")
    assert net.to_dict() == seed_problem().network.to_dict()
    net2 = NetworkSpec.from_strings(["1,2;3,4", "1,1"], ["none", "0"], "tanh,identity")
    assert net2.layers[0].bias is None and net2.layers[1].activation == "identity"
    with pytest.raises(ValueError, match=r"layers\[1\]\.weight: rows have different lengths"):
        NetworkSpec.from_strings(["1,2;3,4", "1,1;2"])
    with pytest.raises(ValueError, match=r"layers\[1\]\.weight has shape \(1, 3\)"):
        NetworkSpec.from_strings(["1,2;3,4", "1,1,1"])
    with pytest.raises(ValueError, match="activations: got 3 names for 2 layers"):
        NetworkSpec.from_strings(["1,2;3,4", "1,1"], None, ["tanh", "tanh", "tanh"])
    with pytest.raises(ValueError, match="biases: got 1 bias vectors for 2 layers"):
        NetworkSpec.from_strings(["1,2;3,4", "1,1"], ["1,2"])


def test_parse_vector_and_matrix():
    assert parse_vector("1, 0").tolist() == [1.0, 0.0]
    assert parse_vector("[0.5 −1]").tolist() == [0.5, -1.0]  # unicode minus
    assert parse_vector(1).tolist() == [1.0]
    assert parse_matrix("1,2;3,4").tolist() == [[1.0, 2.0], [3.0, 4.0]]
    np.testing.assert_array_equal(parse_matrix([[1, 2]]), [[1.0, 2.0]])
    with pytest.raises(ValueError, match="x: expected comma-separated numbers"):
        parse_vector("1,b", "x")
    with pytest.raises(ValueError, match="y: is empty"):
        parse_vector([], "y")


def test_to_module_round_trips_through_from_module():
    import losslab as ll
    from losslab.explain.spec import NetworkSpec, seed_problem

    spec = seed_problem().network
    model = spec.to_module(dtype=ll.float64)
    assert [type(m).__name__ for m in model] == ["Linear", "Sigmoid", "Linear", "Sigmoid"]
    back = NetworkSpec.from_module(model)
    for a, b in zip(spec.layers, back.layers):
        np.testing.assert_array_equal(a.weight, b.weight)
        np.testing.assert_array_equal(a.bias, b.bias)
        assert a.activation == b.activation
