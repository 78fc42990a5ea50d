"""POST /api/backprop: the explainer's trace of seed 003's worked 2-2-1 example (and of a network
the page sends)."""
import pytest

pytest.importorskip("starlette")

from losslab.explain import seed_problem, trace_backprop  # noqa: E402
from web_api_helpers import assert_error, client  # noqa: E402,F401


def _values(d):
    return {s["name"]: s["value"] for s in d["steps"]}


def test_seed_example_numbers(client):
    r = client.post("/api/backprop", json={"weights": None, "biases": None, "x": None, "y": None, "lr": None})
    assert r.status_code == 200, r.text
    d = r.json()
    v = _values(d)
    # seed 003, section 10: z1 = 0.3, a1 ≈ 0.574, z2 = 0.5, a2 ≈ 0.622, σ'(z1) ≈ 0.244, σ'(z2) ≈ 0.235
    assert v["z1"] == pytest.approx(0.3) and v["z2"] == pytest.approx(0.5)
    assert v["a1"] == pytest.approx(0.574, abs=5e-4) and v["a2"] == pytest.approx(0.622, abs=5e-4)
    # the seed adds z3 up to 1.086; 0.7·0.5744 + 0.5·0.6225 + 0.3 = 1.0133, so ŷ = σ(1.0133)
    assert v["z3"] == pytest.approx(0.7 * v["a1"] + 0.5 * v["a2"] + 0.3, rel=1e-12)
    assert v["ŷ"] == pytest.approx(0.7337, abs=1e-4)
    assert v["dL/dw13"] == pytest.approx((v["ŷ"] - 1.0) * v["a1"], rel=1e-9)  # δ3 = ŷ − y for BCE + sigmoid
    assert v["w13'"] == pytest.approx(0.7 - 0.1 * v["dL/dw13"], rel=1e-12)
    assert [s["kind"] for s in d["steps"]][:1] == ["input"]
    assert {"forward", "loss", "delta", "grad", "update"} <= {s["kind"] for s in d["steps"]}
    assert "∂L/∂w13" in d["text"] and d["sizes"] == [2, 2, 1]
    assert all(s["formula"] for s in d["steps"])


def test_empty_body_equals_the_library_trace(client):
    d = client.post("/api/backprop", json={}).json()
    p = seed_problem()
    want = trace_backprop(p.network, p.x, p.y, loss=p.loss, lr=p.lr).to_dict()
    assert d["steps"] == want["steps"]


def test_custom_network(client):
    body = {"weights": [[[0.2, 0.4], [0.3, 0.1]], [[0.5, 0.6]]], "biases": [[0.0, 0.0], [0.0]],
            "x": [1, 0], "y": [1], "lr": 0.5, "loss": "mse", "activations": ["tanh", "sigmoid"]}
    d = client.post("/api/backprop", json=body).json()
    spec = {"layers": [{"weight": w, "bias": b, "activation": a}
                       for w, b, a in zip(body["weights"], body["biases"], body["activations"])]}
    want = trace_backprop(spec, [1, 0], [1], loss="mse", lr=0.5)
    assert _values(d) == pytest.approx(want.values())
    assert d["loss"] == "mse" and d["lr"] == 0.5


def test_weights_without_biases_of_another_shape_get_zero_biases(client):
    d = client.post("/api/backprop", json={"weights": [[[0.5, -0.5]]], "x": [1, 2], "y": 0.0}).json()
    assert _values(d)["z1"] == pytest.approx(-0.5)


@pytest.mark.parametrize("body, field, text", [
    ({"weights": [[[0.2, 0.4], [0.3, 0.1]], [[0.5, 0.6, 0.7]]]}, "weights[1]", None),
    ({"weights": "0.2,0.4"}, "weights", "array"),
    ({"weights": [[[0.2, "a"]]]}, "weights[0][0][1]", "number"),
    ({"weights": [[[1, 2], [3]]]}, "weights[0]", "same length"),
    ({"weights": [[[0.1] * 9]]}, "weights[0][0]", "1 to 8"),
    ({"weights": [[[0.1]]] * 5}, "weights", "1 to 4"),
    ({"x": [1, 0, 1]}, "x", "takes 2 inputs"),
    ({"y": [1, 0]}, "y", "1 output"),
    ({"y": 2.0}, "y", None),
    ({"x": [1e9, 0]}, "x[0]", "out of range"),
    ({"lr": -1}, "lr", "[0, 100]"),
    ({"lr": "fast"}, "lr", "number"),
    ({"loss": "hinge"}, "loss", "bce, mse"),
    ({"activations": "swish"}, "activations", "sigmoid"),
    ({"activations": ["tanh"]}, "activations", None),
    ({"precision": 0}, "precision", None),
    ({"biases": [[0.1, 0.2]]}, "biases", None),
    ({"network": {}}, "network", "unknown field"),
])
def test_bad_requests(client, body, field, text):
    assert_error(client.post("/api/backprop", json=body), 400, field, text)
