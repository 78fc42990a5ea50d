"""POST /api/curves/regression and /api/curves/classification: values and gradients checked
against the registry functions, finite differences and PyTorch; bad requests get 4xx JSON."""
import numpy as np
import pytest

pytest.importorskip("starlette")

import losslab as ll  # noqa: E402
from losslab.losses.registry import get  # noqa: E402
from losslab.web.colors import loss_color  # noqa: E402
from web_api_helpers import assert_error, client  # noqa: E402,F401


def _curves(resp):
    assert resp.status_code == 200, resp.text
    return {c["name"]: c for c in resp.json()["curves"]}


def _fd(fn, x, target, kw, h=1e-6):
    t = ll.tensor(np.full(len(x), target))
    up = fn(ll.tensor(x + h), t, reduction="none", **kw).data
    dn = fn(ll.tensor(x - h), t, reduction="none", **kw).data
    return (up - dn) / (2 * h)


def test_regression_default_curves_equal_the_registry_functions_and_finite_differences(client):
    r = client.post("/api/curves/regression", json={"range": [-3, 3], "points": 61})
    x = np.array(r.json()["x"])
    assert x[0] == -3 and x[-1] == 3 and len(x) == 61
    curves = _curves(r)
    assert list(curves) == ["mse_loss", "l1_loss", "huber_loss", "log_cosh_loss", "quantile_loss"]
    for name, c in curves.items():
        fn = get(name).fn
        want = fn(ll.tensor(x), ll.tensor(np.zeros_like(x)), reduction="none").data
        np.testing.assert_allclose(c["loss"], want, rtol=1e-12)
        smooth = np.abs(x) > 1e-3  # away from the kinks at 0
        np.testing.assert_allclose(np.array(c["grad"])[smooth], _fd(fn, x, 0.0, {})[smooth], rtol=1e-6, atol=1e-6)
        assert c["color"] == loss_color(name) and c["color"].startswith("#")
    assert curves["l1_loss"]["kinks"] == [pytest.approx(0.0, abs=1e-9)]
    assert curves["mse_loss"]["kinks"] == [] and curves["huber_loss"]["kinks"] == []


def test_regression_values_and_gradients_match_torch(client):
    torch = pytest.importorskip("torch")
    r = client.post("/api/curves/regression", json={"losses": ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"],
                                                    "params": {"huber_loss": {"delta": 0.7}, "smooth_l1_loss": {"beta": 0.4}},
                                                    "range": [-2.5, 2.0], "points": 46})
    x = np.array(r.json()["x"])
    curves = _curves(r)
    refs = {"mse_loss": lambda p, t: torch.nn.functional.mse_loss(p, t, reduction="none"),
            "l1_loss": lambda p, t: torch.nn.functional.l1_loss(p, t, reduction="none"),
            "huber_loss": lambda p, t: torch.nn.functional.huber_loss(p, t, reduction="none", delta=0.7),
            "smooth_l1_loss": lambda p, t: torch.nn.functional.smooth_l1_loss(p, t, reduction="none", beta=0.4)}
    for name, ref in refs.items():
        p = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        v = ref(p, torch.zeros_like(p))
        v.sum().backward()
        np.testing.assert_allclose(curves[name]["loss"], v.detach().numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(curves[name]["grad"], p.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_huber_delta_changes_the_curve(client):
    def huber(delta):
        return _curves(client.post("/api/curves/regression", json={
            "losses": ["huber_loss"], "params": {"huber_loss": {"delta": delta}}, "points": 101}))["huber_loss"]

    small, large = huber(0.5), huber(2.0)
    assert small["loss"] != large["loss"]
    # the gradient saturates at ±δ: the linear part's slope is δ
    assert max(small["grad"]) == pytest.approx(0.5) and max(large["grad"]) == pytest.approx(2.0)
    assert small["label"] == "huber_loss (delta=0.5)"


def test_epsilon_insensitive_kinks_follow_epsilon(client):
    c = _curves(client.post("/api/curves/regression", json={
        "losses": ["epsilon_insensitive_loss"], "params": {"epsilon_insensitive_loss": {"epsilon": 0.5}}}))
    assert c["epsilon_insensitive_loss"]["kinks"] == [pytest.approx(-0.5, abs=1e-6), pytest.approx(0.5, abs=1e-6)]


def test_quantile_tau_makes_the_curve_asymmetric(client):
    c = _curves(client.post("/api/curves/regression", json={
        "losses": ["quantile_loss"], "params": {"quantile_loss": {"tau": 0.9}}, "range": [-1, 1], "points": 3}))
    loss = c["quantile_loss"]["loss"]
    # e = prediction − target = −1 under-predicts: cost τ; e = +1 over-predicts: cost 1 − τ
    assert loss[0] == pytest.approx(0.9) and loss[2] == pytest.approx(0.1)


def test_classification_probability_is_bce_for_both_labels(client):
    r = client.post("/api/curves/classification", json={"kind": "probability", "range": [0.01, 0.99], "points": 99})
    p = np.array(r.json()["x"])
    assert 0 < p.min() and p.max() < 1
    c = _curves(r)
    np.testing.assert_allclose(c["bce_y1"]["loss"], -np.log(p), rtol=1e-12)
    np.testing.assert_allclose(c["bce_y0"]["loss"], -np.log(1 - p), rtol=1e-12)
    np.testing.assert_allclose(c["bce_y1"]["grad"], -1 / p, rtol=1e-10)
    np.testing.assert_allclose(c["bce_y0"]["grad"], 1 / (1 - p), rtol=1e-10)
    assert c["bce_y1"]["color"] != c["bce_y0"]["color"]


def test_classification_margin_curves(client):
    r = client.post("/api/curves/classification", json={"kind": "margin", "gamma": 2.0, "range": [-3, 3], "points": 61})
    m = np.array(r.json()["x"])
    c = _curves(r)
    assert list(c) == ["hinge_loss", "soft_margin_loss", "sigmoid_focal_loss", "squared_hinge_loss"]
    np.testing.assert_allclose(c["hinge_loss"]["loss"], np.maximum(0, 1 - m), atol=1e-12)
    np.testing.assert_allclose(c["soft_margin_loss"]["loss"], np.log1p(np.exp(-m)), rtol=1e-10)
    np.testing.assert_allclose(c["squared_hinge_loss"]["loss"], np.maximum(0, 1 - m) ** 2, atol=1e-12)
    p = 1 / (1 + np.exp(-m))
    np.testing.assert_allclose(c["sigmoid_focal_loss"]["loss"], -0.25 * (1 - p) ** 2 * np.log(p), rtol=1e-9)
    np.testing.assert_allclose(c["soft_margin_loss"]["grad"], -1 / (1 + np.exp(m)), rtol=1e-9)
    assert c["hinge_loss"]["kinks"] == [pytest.approx(1.0, abs=1e-6)]
    assert c["soft_margin_loss"]["kinks"] == []


def test_focal_gamma_changes_the_margin_curve(client):
    def focal(g):
        return _curves(client.post("/api/curves/classification",
                                   json={"kind": "margin", "gamma": g, "points": 21}))["sigmoid_focal_loss"]["loss"]

    assert focal(0.0) != focal(2.0)
    assert focal(0.0)[-1] > focal(2.0)[-1]  # γ > 0 down-weights well-classified margins


@pytest.mark.parametrize("body, field, text", [
    ({"losses": ["cross_entropy"]}, "losses[0]", "valid names"),
    ({"losses": ["mse"]}, "losses[0]", "mse_loss"),
    ({"losses": "mse_loss"}, "losses", None),
    ({"losses": []}, "losses", None),
    ({"losses": ["mse_loss", "mse_loss"]}, "losses", "once"),
    ({"range": [3, -3]}, "range", "lo < hi"),
    ({"range": [-1e5, 1]}, "range[0]", "[-10000, 10000]"),
    ({"range": [0, "x"]}, "range[1]", "number"),
    ({"range": [1]}, "range", "2 to 2"),
    ({"points": 1}, "points", "[2, 2001]"),
    ({"points": 5000}, "points", "[2, 2001]"),
    ({"points": 2.5}, "points", "integer"),
    ({"points": True}, "points", "integer"),
    ({"params": {"huber_loss": {"delta": -1.0}}}, "params.huber_loss", "delta"),
    ({"params": {"huber_loss": {"delta": "big"}}}, "params.huber_loss.delta", "number"),
    ({"params": {"huber_loss": {"depth": 1.0}}}, "params.huber_loss.depth", "allowed: delta"),
    ({"params": {"l1_loss": {}}, "losses": ["mse_loss"]}, "params.l1_loss", None),
    ({"params": []}, "params", "object"),
    ({"colour": 1}, "colour", "unknown field"),
])
def test_regression_bad_requests(client, body, field, text):
    assert_error(client.post("/api/curves/regression", json=body), 400, field, text)


@pytest.mark.parametrize("body, field", [
    ({"kind": "ranking"}, "kind"),
    ({"kind": 3}, "kind"),
    ({"kind": "margin", "gamma": -1}, "gamma"),
    ({"kind": "margin", "gamma": 11}, "gamma"),
    ({"kind": "margin", "alpha": 2}, "alpha"),
    ({"kind": "probability", "range": [0, 0.5]}, "range"),
    ({"kind": "probability", "range": [0.2, 1.0]}, "range"),
    ({"kind": "probability", "gamma": 1}, "gamma"),
    ({"kind": "margin", "points": 0}, "points"),
])
def test_classification_bad_requests(client, body, field):
    assert_error(client.post("/api/curves/classification", json=body), 400, field)
