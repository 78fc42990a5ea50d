"""POST /api/check: the differentiability analyser's report on a user's expression; the parser
refuses anything outside its grammar with 422 and nothing is evaluated as Python."""
import numpy as np
import pytest

pytest.importorskip("starlette")

from losslab.analysis import differentiability  # noqa: E402
from web_api_helpers import assert_error, client  # noqa: E402,F401


def test_abs_has_a_kink_at_zero_with_both_one_sided_derivatives(client):
    r = client.post("/api/check", json={"expression": "abs(pred - target)", "domain": [-3, 3], "target": 0.0})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["differentiable"] is False and d["smoothness"] == "C0" and d["convex"] is True
    (k,) = d["kinks"]
    assert k["x"] == pytest.approx(0.0) and (k["left"], k["right"], k["at"]) == (-1.0, 1.0, 0.0)
    want = differentiability("abs(pred - target)", domain=(-3, 3), target=0.0)
    assert d["text"] == want.text
    assert d["lipschitz"] == want.lipschitz and d["growth"] == want.growth
    x, f, df = (np.array(d["plot"][k]) for k in ("x", "f", "df"))
    np.testing.assert_allclose(f, np.abs(x), atol=1e-15)
    away = np.abs(x) > 1e-9
    np.testing.assert_allclose(df[away], np.sign(x[away]))
    assert d["variables"] == ["pred", "target"] and d["functions"] == ["abs"]


def test_smooth_logistic_loss(client):
    d = client.post("/api/check", json={"expression": "log(1 + exp(-y * s))", "domain": [-10, 10]}).json()
    assert d["differentiable"] is True and d["kinks"] == [] and d["smoothness"] == "Cinf"
    assert d["target"] == 1.0  # at target 0 the margin loss is constant, so the analyser moves to 1


def test_hinge_flat_region_and_surrogates(client):
    d = client.post("/api/check", json={"expression": "maximum(0, 1 - target * score)", "target": 1,
                                        "domain": [-3, 3]}).json()
    assert [k["x"] for k in d["kinks"]] == [pytest.approx(1.0)]
    assert d["flat_regions"] == [[1.0, 3.0]]
    assert any(s["converges"] for s in d["surrogates"])


def test_variable_choice(client):
    d = client.post("/api/check", json={"expression": "abs(x - y)", "variable": "y", "target": 0, "domain": [-1, 1],
                                        "points": 101}).json()
    assert d["variable"] == "y"


@pytest.mark.parametrize("expression, text", [
    ("__import__('os').system('true')", "whitelisted"),
    ("pred.__class__", None),
    ("abs(pred", "invalid syntax"),
    ("exec('1')", "not allowed"),
    ("[1, 2]", None),
    ("'text'", None),
    ("lambda: 1", None),
    ("pred ** 2 if pred else 0", None),
    ("", "empty"),
    ("x" * 2001, "limit of 2000"),
])
def test_parser_rejections_are_422(client, expression, text):
    assert_error(client.post("/api/check", json={"expression": expression}), 422, "expression", text)


def test_a_constant_has_nothing_to_vary(client):
    assert_error(client.post("/api/check", json={"expression": "1 + 2"}), 422, "expression")


@pytest.mark.parametrize("body, field, text", [
    ({}, "expression", "required"),
    ({"expression": 42}, "expression", "string"),
    ({"expression": "abs(x)", "domain": [1, -1]}, "domain", "lo < hi"),
    ({"expression": "abs(x)", "domain": [-1e5, 1]}, "domain[0]", None),
    ({"expression": "abs(x)", "domain": "all"}, "domain", None),
    ({"expression": "abs(x - t)", "target": "zero"}, "target", "number"),
    ({"expression": "abs(x - t)", "target": 1e9}, "target", "out of range"),
    ({"expression": "abs(x)", "points": 3}, "points", "[5, 4001]"),
    ({"expression": "abs(x)", "points": 10 ** 6}, "points", "[5, 4001]"),
    ({"expression": "abs(x)", "variable": "q"}, "variable", "does not occur"),
    ({"expression": "abs(x)", "eval": True}, "eval", "unknown field"),
])
def test_bad_requests(client, body, field, text):
    assert_error(client.post("/api/check", json=body), 400, field, text)
