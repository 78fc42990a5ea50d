"""GET /api/health, /api/losses, /api/guide; the page, its static files and plotly.js."""
import importlib.resources

import pytest

pytest.importorskip("starlette")

from losslab.analysis.pitfalls import RULES, lint  # noqa: E402
from losslab.losses.cards import pitfalls  # noqa: E402
from losslab.losses.registry import LOSS_REGISTRY, TASKS  # noqa: E402
from losslab.web.api.reference import _demo_cases  # noqa: E402
from losslab.web.colors import PALETTE, loss_color  # noqa: E402
from web_api_helpers import assert_error, client  # noqa: E402,F401


def test_health(client):
    import losslab
    assert client.get("/api/health").json() == {"ok": True, "version": losslab.__version__}


def test_losses_are_the_registry(client):
    d = client.get("/api/losses").json()
    assert d["tasks"] == list(TASKS)
    rows = {r["name"]: r for r in d["losses"]}
    assert list(rows) == list(LOSS_REGISTRY)
    for name, info in LOSS_REGISTRY.items():
        r = rows[name]
        for key in ("task", "convex", "convex_conditions", "smoothness", "kinks", "robust_to_outliers", "growth",
                    "value_range", "domain", "output_activation", "latex", "summary", "torch_equivalent"):
            assert r[key] == getattr(info, key), (name, key)
        assert list(r["hyperparameters"]) == list(info.hyperparameters)
        assert r["pitfalls"] == pitfalls(info)
        assert r["color"] == loss_color(name) and r["color"] in PALETTE
        assert r["mathml"].startswith("<math")
    assert rows["huber_loss"]["hyperparameters"]["delta"] == 1.0


def test_colours_are_stable_and_distinct_among_the_curve_losses():
    names = ["mse_loss", "l1_loss", "huber_loss", "log_cosh_loss", "quantile_loss"]
    assert len({loss_color(n) for n in names}) == len(names)
    assert loss_color("mse_loss") == loss_color("mse_loss")


def test_guide_follows_the_advisor(client):
    d = client.get("/api/guide").json()
    choose = {g["situation"]: g for g in d["how_to_choose"]}
    first = {s: g["loss"].split(":")[0] for s, g in choose.items()}
    assert first["regression, Gaussian-looking noise"] == "mse_loss"
    assert first["regression with outliers (10 % gross errors)"] == "huber_loss"
    assert "Standardize the target" in choose["regression, target far from unit scale"]["why"]
    assert first["binary classification, balanced classes"] == "binary_cross_entropy_with_logits"
    assert "pos_weight" in choose["binary classification, imbalanced classes"]["loss"]
    assert first["multiclass classification (one label per row)"] == "cross_entropy"
    assert first["counts (non-negative integers)"] == "poisson_nll_loss"
    assert all(g["why"] and g["activation"] for g in d["how_to_choose"])


def test_guide_pitfalls_are_the_linters(client):
    d = client.get("/api/guide").json()
    rules = {p["rule"]: p for p in d["pitfalls"]}
    assert list(rules) == list(RULES)
    assert all(p["title"] == RULES[r] for r, p in rules.items())
    demonstrated = [r for r, p in rules.items() if p["fix"]]
    assert len(demonstrated) >= 16
    model, loss, x, y, kw = _demo_cases()["target-scale"]
    (f,) = [f for f in lint(model, loss, x, y, **kw) if f.rule == "target-scale"]
    assert rules["target-scale"]["fix"] == f.fix


def test_index_static_and_vendor(client):
    r = client.get("/vendor/plotly.min.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    path = importlib.resources.files("plotly") / "package_data" / "plotly.min.js"
    assert r.content == path.read_bytes()
    index = client.get("/")
    assert index.status_code in (200, 404)  # the page is the front end's; 404 JSON until it exists
    if index.status_code == 200:
        assert index.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("path", [
    "/static/../pyproject.toml", "/static/..%2fpyproject.toml", "/static/%2e%2e/%2e%2e/pyproject.toml",
    "/static/..%2F..%2F..%2Fpyproject.toml", "/static/../../../../etc/passwd", "/static/%2e%2e%2f__init__.py",
    "/static/../app.py",
])
def test_static_traversal_is_refused(client, path):
    r = client.get(path)
    assert r.status_code in (400, 404), (path, r.status_code)
    assert b"[project]" not in r.content and b"root:" not in r.content and b"def create_app" not in r.content


def test_unknown_api_route_and_method(client):
    assert_error(client.get("/api/nothing"), 404, None, "/api/nothing")
    assert_error(client.get("/api/samples"), 405, None, "GET")
    assert_error(client.put("/api/health"), 405, None)
