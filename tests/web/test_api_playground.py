"""The optimizer playground: surfaces, contour grids, and trajectories equal to
losslab.optim.trace run directly."""
import numpy as np
import pytest

pytest.importorskip("starlette")

from losslab.optim import SGD, Adam, surfaces, trace  # noqa: E402
from losslab.optim.lr_scheduler import CosineAnnealingLR  # noqa: E402
from losslab.web.colors import optimizer_color  # noqa: E402
from web_api_helpers import assert_error, client  # noqa: E402,F401

SEED_RUN = {"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 200, "optimizers": [
    {"name": "sgd", "label": "GD", "lr": 0.001, "params": {}},
    {"name": "sgd", "label": "momentum", "lr": 0.001, "params": {"momentum": 0.9}},
    {"name": "sgd", "label": "Nesterov", "lr": 0.001, "params": {"momentum": 0.9, "nesterov": True}},
    {"name": "adam", "label": "Adam", "lr": 0.1, "params": {}}], "schedule": None}


def test_surfaces_list(client):
    d = client.get("/api/playground/surfaces").json()
    names = [s["name"] for s in d["surfaces"]]
    assert names == list(surfaces.SURFACES)
    rb = d["surfaces"][names.index("rosenbrock")]
    assert rb["minima"] == [[1.0, 1.0]] and rb["start"] == [-1.5, 2.0] and "(a − x)²" in rb["formula"]
    sd = d["surfaces"][names.index("saddle")]
    assert sd["minima"] == [] and sd["min_value"] is None  # -inf is not JSON: null
    assert "adam" in d["optimizers"] and "muon" not in d["optimizers"]


def test_surface_grid_matches_the_surface(client):
    d = client.get("/api/playground/surface?name=rosenbrock&resolution=30").json()
    s = surfaces.rosenbrock()
    X, Y, Z = s.grid(30)
    np.testing.assert_allclose(d["x"], X[0])
    np.testing.assert_allclose(d["y"], Y[:, 0])
    np.testing.assert_allclose(d["z"], Z)
    assert d["log_scale"] is True
    assert client.get("/api/playground/surface?name=saddle").json()["log_scale"] is False
    assert len(client.get("/api/playground/surface?name=beale").json()["x"]) == 80  # default resolution


def test_trajectories_equal_trace_run_directly(client):
    r = client.post("/api/playground/run", json=SEED_RUN)
    assert r.status_code == 200, r.text
    got = {t["label"]: t for t in r.json()["trajectories"]}
    s = surfaces.rosenbrock()
    refs = {"GD": trace(SGD, s, (-1.5, 2.0), 200, lr=0.001),
            "momentum": trace(SGD, s, (-1.5, 2.0), 200, lr=0.001, momentum=0.9),
            "Nesterov": trace(SGD, s, (-1.5, 2.0), 200, lr=0.001, momentum=0.9, nesterov=True),
            "Adam": trace(Adam, s, (-1.5, 2.0), 200, lr=0.1)}
    for label, ref in refs.items():
        t = got[label]
        np.testing.assert_array_equal(np.array(t["points"]), ref.path)
        np.testing.assert_array_equal(np.array(t["values"]), ref.values)
        assert t["diverged"] is False and t["steps"] == 200
    colors = [got[k]["color"] for k in ("GD", "momentum", "Nesterov", "Adam")]
    assert len(set(colors)) == 4
    assert got["Adam"]["color"] == optimizer_color("adam")
    assert got["Adam"]["values"][-1] < got["Adam"]["values"][0]


def test_a_diverging_trajectory_stops_with_diverged_true(client):
    d = client.post("/api/playground/run", json={"surface": "rosenbrock", "steps": 100,
                                                  "optimizers": [{"name": "sgd", "lr": 0.1}]}).json()
    (t,) = d["trajectories"]
    assert t["diverged"] is True and t["steps"] < 100
    assert np.all(np.isfinite(np.array(t["points"], dtype=float)))


def test_a_schedule_drives_the_learning_rate(client):
    body = {"surface": "ill_conditioned_quadratic", "steps": 20,
            "optimizers": [{"name": "sgd", "lr": 0.02}], "schedule": {"name": "cosine"}}
    (t,) = client.post("/api/playground/run", json=body).json()["trajectories"]
    s = surfaces.ill_conditioned_quadratic()
    ref = trace(SGD, s, s.start, 20, lr=0.02, scheduler_factory=lambda o: CosineAnnealingLR(o, T_max=20))
    np.testing.assert_allclose(t["lrs"], ref.lrs, rtol=1e-12)
    np.testing.assert_allclose(t["points"], ref.path, rtol=1e-12)
    # a per-optimizer schedule overrides the shared one
    body["optimizers"][0]["schedule"] = {"name": "step", "step_size": 5, "gamma": 0.5}
    (t,) = client.post("/api/playground/run", json=body).json()["trajectories"]
    assert t["lrs"][:6] == pytest.approx([0.02] * 5 + [0.01])


def test_lbfgs_runs_with_its_closure(client):
    d = client.post("/api/playground/run", json={"surface": "himmelblau", "steps": 10,
                                                  "optimizers": [{"name": "lbfgs", "lr": 1.0}]}).json()
    assert d["trajectories"][0]["final_value"] < 1e-6


@pytest.mark.parametrize("body, field, text", [
    ({"surface": "sphere", "optimizers": [{"name": "adam"}]}, "surface", "rosenbrock"),
    ({"optimizers": [{"name": "adamm"}]}, "optimizers[0].name", "adam"),
    ({"optimizers": [{"name": "muon"}]}, "optimizers[0].name", None),
    ({"optimizers": []}, "optimizers", "1 to 6"),
    ({"optimizers": [{"name": "adam"}] * 7}, "optimizers", "1 to 6"),
    ({}, "optimizers", "required"),
    ({"optimizers": ["adam"]}, "optimizers[0]", "object"),
    ({"optimizers": [{"name": "adam", "lr": 0}]}, "optimizers[0].lr", "(0, 1000]"),
    ({"optimizers": [{"name": "adam", "lr": "1e-3"}]}, "optimizers[0].lr", "number"),
    ({"optimizers": [{"name": "adam", "params": {"beta": 0.9}}]}, "optimizers[0].params.beta", "betas"),
    ({"optimizers": [{"name": "adam", "params": {"betas": [0.9, 2.0]}}]}, "optimizers[0]", "beta"),
    ({"optimizers": [{"name": "sgd", "params": {"momentum": -1}}]}, "optimizers[0]", "momentum"),
    ({"optimizers": [{"name": "sgd", "params": {"momentum": {"a": 1}}}]}, "optimizers[0].params.momentum", None),
    ({"optimizers": [{"name": "adam"}], "steps": 0}, "steps", "[1, 2000]"),
    ({"optimizers": [{"name": "adam"}], "steps": 2001}, "steps", "[1, 2000]"),
    ({"optimizers": [{"name": "adam"}], "start": [0]}, "start", None),
    ({"optimizers": [{"name": "adam"}], "start": [0, 1e5]}, "start[1]", "out of range"),
    ({"optimizers": [{"name": "adam"}], "schedule": {"name": "zigzag"}}, "schedule.name", "cosine"),
    ({"optimizers": [{"name": "adam"}], "schedule": {"name": "step"}}, "optimizers[0]", "step_size"),
    ({"optimizers": [{"name": "adam"}], "schedule": {"name": "cosine", "warp": 1}}, "schedule.warp", None),
    ({"optimizers": [{"name": "adam"}], "schedule": "cosine"}, "schedule", "object"),
])
def test_run_bad_requests(client, body, field, text):
    assert_error(client.post("/api/playground/run", json=body), 400, field, text)


@pytest.mark.parametrize("query, field", [
    ("name=nope", "name"), ("resolution=5", "resolution"), ("resolution=500", "resolution"),
    ("resolution=ten", "resolution"), ("colour=red", "colour"),
])
def test_surface_bad_queries(client, query, field):
    assert_error(client.get(f"/api/playground/surface?{query}"), 400, field)


def test_an_optimizer_doing_too_much_work_per_step_is_stopped(client, monkeypatch):
    from losslab.web.api import playground

    assert playground.MAX_EVALUATIONS >= 5000  # L-BFGS with its defaults fits (about 4000 for 2000 steps)
    monkeypatch.setattr(playground, "MAX_EVALUATIONS", 300)
    body = {"surface": "rosenbrock", "steps": 2000,
            "optimizers": [{"name": "lbfgs", "lr": 1e-9, "params": {"max_iter": 1000000, "max_eval": 1000000,
                                                                      "tolerance_grad": 0, "tolerance_change": 0}}]}
    assert_error(client.post("/api/playground/run", json=body), 400, "optimizers[0]", "evaluations")
