"""POST /api/samples: per-row losses from the registry, cost = the mean of the rows."""
import numpy as np
import pytest

pytest.importorskip("starlette")

import losslab as ll  # noqa: E402
from losslab.losses.registry import get  # noqa: E402
from web_api_helpers import assert_error, client  # noqa: E402,F401


def test_rows_and_cost(client):
    preds, targs = [1.0, 2.0, 3.0, -4.0], [1.5, 2.0, 5.0, 0.0]
    r = client.post("/api/samples", json={"predictions": preds, "targets": targs,
                                          "losses": ["mse_loss", "l1_loss", "huber_loss"],
                                          "params": {"huber_loss": {"delta": 0.5}}})
    assert r.status_code == 200, r.text
    d = r.json()
    assert [c["name"] for c in d["columns"]] == ["mse_loss", "l1_loss", "huber_loss"]
    assert d["columns"][2]["label"] == "huber_loss (delta=0.5)"
    assert [row["error"] for row in d["rows"]] == [p - t for p, t in zip(preds, targs)]
    assert [row["losses"]["mse_loss"] for row in d["rows"]] == pytest.approx([0.25, 0.0, 4.0, 16.0])
    assert [row["losses"]["l1_loss"] for row in d["rows"]] == pytest.approx([0.5, 0.0, 2.0, 4.0])
    huber = get("huber_loss").fn(ll.tensor(preds), ll.tensor(targs), reduction="none", delta=0.5).data
    assert [row["losses"]["huber_loss"] for row in d["rows"]] == pytest.approx(huber.tolist())
    for name in ("mse_loss", "l1_loss", "huber_loss"):
        assert d["cost"][name] == pytest.approx(np.mean([row["losses"][name] for row in d["rows"]]), rel=1e-12)


def test_an_outlier_pulls_mse_more_than_mae(client):
    base = {"predictions": [0.0, 0.0, 0.0], "losses": ["mse_loss", "l1_loss"]}
    clean = client.post("/api/samples", json={**base, "targets": [1.0, 1.0, 1.0]}).json()["cost"]
    outlier = client.post("/api/samples", json={**base, "targets": [1.0, 1.0, 10.0]}).json()["cost"]
    assert outlier["mse_loss"] / clean["mse_loss"] > outlier["l1_loss"] / clean["l1_loss"]


def test_default_losses_are_the_regression_curve_ones(client):
    d = client.post("/api/samples", json={"predictions": [1.0], "targets": [0.0]}).json()
    assert [c["name"] for c in d["columns"]] == ["mse_loss", "l1_loss", "huber_loss", "log_cosh_loss", "quantile_loss"]


@pytest.mark.parametrize("body, status, field, text", [
    ({"predictions": [1, 2], "targets": [1]}, 400, "targets", "2 values but targets has 1"),
    ({"predictions": [1] * 201, "targets": [1] * 201}, 400, "predictions", "1 to 200"),
    ({"predictions": [], "targets": []}, 400, "predictions", None),
    ({"predictions": [1, "a"], "targets": [1, 2]}, 400, "predictions[1]", "number"),
    ({"predictions": [1, None], "targets": [1, 2]}, 400, "predictions[1]", "number"),
    ({"predictions": [1], "targets": [2e6]}, 400, "targets[0]", "out of range"),
    ({"predictions": "1,2", "targets": [1, 2]}, 400, "predictions", "array"),
    ({"targets": [1]}, 400, "predictions", "required"),
    ({"predictions": [1], "targets": [1], "losses": ["cross_entropy"]}, 400, "losses[0]", "valid names"),
    ({"predictions": [1], "targets": [1], "losses": ["nope"]}, 400, "losses[0]", "mse_loss"),
    ({"predictions": [-5], "targets": [1], "losses": ["mean_squared_logarithmic_error"]}, 400, "losses[0]", None),
    ({"predictions": [1], "targets": [1], "losses": ["huber_loss"], "params": {"huber_loss": {"delta": 0}}},
     400, "losses[0]", "delta"),
    ({"predictions": [1], "targets": [1], "params": {"mse_loss": {"delta": 1}}}, 400, "params.mse_loss.delta", None),
])
def test_bad_requests(client, body, status, field, text):
    assert_error(client.post("/api/samples", json=body), status, field, text)
