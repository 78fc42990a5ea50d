"""Shared by the backend's API tests (tests/web/test_api_*.py): a TestClient on a fresh app and
the check of the documented JSON error shape. (Not a conftest: that file belongs to the browser
tests.)"""
from __future__ import annotations

import warnings

import pytest

#: every POST endpoint with a valid body (used by the generic error and fuzz tests)
POST_ENDPOINTS = {
    "/api/curves/regression": {"losses": ["mse_loss", "huber_loss"], "points": 11},
    "/api/curves/classification": {"kind": "margin", "points": 11},
    "/api/samples": {"predictions": [1.0, 2.0], "targets": [1.5, 2.0]},
    "/api/check": {"expression": "abs(pred - target)", "domain": [-1, 1], "points": 101},
    "/api/playground/run": {"surface": "rosenbrock", "steps": 5, "optimizers": [{"name": "adam", "lr": 0.1}]},
    "/api/train/sessions": {"dataset": "moons", "n": 40, "hidden": [4], "epochs": 2},
    "/api/backprop": {},
}
GET_ENDPOINTS = ["/api/health", "/api/losses", "/api/guide", "/api/playground/surfaces",
                 "/api/playground/surface?name=himmelblau&resolution=10"]


def make_client(**kwargs):
    """A TestClient (lifespan run) on ``create_app(**kwargs)``; server errors come back as 500s."""
    from losslab.web import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's notice about httpx vs httpx2
        from starlette.testclient import TestClient
    return TestClient(create_app(**kwargs), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client():
    with make_client() as c:
        yield c


def assert_error(resp, status: int, field=..., contains: str | None = None) -> dict:
    """``resp`` is the documented error: the status, JSON ``{"error": {"message", "field"}}``, the
    field when given, and ``contains`` in the message."""
    assert resp.status_code == status, (resp.status_code, resp.text[:500])
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "field"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if field is not ...:
        assert body["error"]["field"] == field, body
    if contains is not None:
        assert contains in body["error"]["message"], body
    return body["error"]
