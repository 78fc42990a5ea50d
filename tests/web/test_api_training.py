"""Live training sessions: the same numbers as the library run directly, the loss falls on moons,
start/pause/step/reset/delete, server-sent events, the session bound and shutdown."""
import json
import threading
import time

import numpy as np
import pytest

pytest.importorskip("starlette")

import losslab as ll  # noqa: E402
from losslab.build import build_model, build_optimizer, resolve_loss  # noqa: E402
from losslab.datasets import load  # noqa: E402
from web_api_helpers import assert_error, client, make_client  # noqa: E402,F401

SMALL = {"dataset": "moons", "n": 200, "noise": 0.2, "hidden": [16, 16], "activation": "tanh",
         "loss": "cross_entropy", "optimizer": "adam", "lr": 0.01, "batch_size": "full", "seed": 0,
         "resolution": 20, "epochs": 50}


def _create(c, **over):
    r = c.post("/api/train/sessions", json={**SMALL, **over})
    assert r.status_code == 201, r.text
    return r.json()


def _wait(c, sid, status, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        st = c.get(f"/api/train/sessions/{sid}").json()["state"]
        if st["status"] == status:
            return st
        time.sleep(0.02)
    raise AssertionError(f"session {sid} did not reach {status!r}: {st['status']}")


def test_create_gives_an_idle_session_with_its_data(client):
    d = _create(client)
    st = d["state"]
    assert st["status"] == "idle" and st["epoch"] == 0 and st["loss_history"] == []
    split = load("moons", seed=0, n_samples=200, noise=0.2, val_fraction=0.2)
    np.testing.assert_allclose(st["points"]["x"], split.x_train)
    assert st["points"]["y"] == split.y_train.tolist()
    b = st["boundary"]
    assert len(b["x"]) == len(b["y"]) == 20 and np.array(b["p"]).shape == (20, 20)
    assert 0 <= np.min(b["p"]) and np.max(b["p"]) <= 1
    assert st["loader_mode"] == "batch"
    client.delete(f"/api/train/sessions/{d['id']}")


def test_steps_equal_the_library_run_directly(client):
    d = _create(client)
    sid = d["id"]
    for _ in range(3):
        st = client.post(f"/api/train/sessions/{sid}/step").json()["state"]
    assert st["status"] == "paused" and st["epoch"] == 3
    # the same run, by hand
    split = load("moons", seed=0, n_samples=200, noise=0.2, val_fraction=0.2)
    ll.manual_seed(0)
    model = build_model("mlp:16,16", 2, 2, activation="tanh")
    opt = build_optimizer("adam", model.parameters(), lr=0.01)
    loss = resolve_loss("cross_entropy")
    x, y = ll.tensor(split.x_train), ll.tensor(split.y_train)
    want = []
    for _ in range(3):
        opt.zero_grad()
        v = loss(model(x), y)
        v.backward()
        opt.step()
        want.append(float(v.item()))
    assert st["loss_history"] == pytest.approx(want, rel=1e-12)
    # the session's steps were replayed (compile_step): the first recorded, the others replayed
    step = client.app.state.sessions.get(sid)._compiled
    assert step.stats == {"captures": 1, "replays": 2, "eager": 1}, step.reason
    assert st["loss_history"] == want  # a replay is the eager step, bit for bit
    with ll.no_grad():
        out = model(x).data
    acc = np.mean(out.argmax(axis=1) == split.y_train)
    assert st["accuracy"] == pytest.approx(acc)
    client.delete(f"/api/train/sessions/{sid}")


def test_training_loss_falls_on_moons(client):
    d = _create(client, epochs=150)
    sid = d["id"]
    assert client.post(f"/api/train/sessions/{sid}/start").json()["state"]["status"] in ("running", "done")
    st = _wait(client, sid, "done")
    h = st["loss_history"]
    assert len(h) == 150 and st["epoch"] == 150
    assert h[-1] < 0.5 * h[0]
    assert st["accuracy"] > 0.85 and st["val_accuracy"] > 0.8
    # starting a finished session changes nothing
    assert client.post(f"/api/train/sessions/{sid}/start").json()["state"]["status"] == "done"
    client.delete(f"/api/train/sessions/{sid}")


@pytest.mark.parametrize("over", [
    {"loss": "mse_loss", "optimizer": "sgd", "lr": 0.1, "batch_size": 16},
    {"loss": "hinge_loss", "optimizer": "rmsprop", "batch_size": 1, "epochs": 3},
    {"loss": "binary_cross_entropy", "dataset": "xor", "hidden": [], "epochs": 5},
    {"loss": "poisson_nll_loss", "dataset": "circles", "epochs": 5},
])
def test_other_losses_and_batch_modes_train(client, over):
    d = _create(client, **{"epochs": 10, **over})
    sid = d["id"]
    for _ in range(min(3, over.get("epochs", 10))):
        st = client.post(f"/api/train/sessions/{sid}/step").json()["state"]
    assert all(np.isfinite(st["loss_history"])) and st["epoch"] == min(3, over.get("epochs", 10))
    assert 0 <= np.min(st["boundary"]["p"]) <= np.max(st["boundary"]["p"]) <= 1
    client.delete(f"/api/train/sessions/{sid}")


def test_pause_stops_promptly_and_reset_restores_the_start(client):
    d = _create(client, epochs=2000, delay_ms=5)
    sid, first = d["id"], d["state"]
    client.post(f"/api/train/sessions/{sid}/start")
    time.sleep(0.2)
    t0 = time.monotonic()
    st = client.post(f"/api/train/sessions/{sid}/pause").json()["state"]
    assert time.monotonic() - t0 < 2.0
    assert st["status"] == "paused" and 0 < st["epoch"] < 2000
    time.sleep(0.1)
    assert client.get(f"/api/train/sessions/{sid}").json()["state"]["epoch"] == st["epoch"]
    st = client.post(f"/api/train/sessions/{sid}/reset").json()["state"]
    assert st["status"] == "idle" and st["epoch"] == 0 and st["loss_history"] == []
    assert st["boundary"] == first["boundary"]  # the same seed rebuilds the same initial model
    client.delete(f"/api/train/sessions/{sid}")


def test_delete_stops_and_removes(client):
    sid = _create(client, epochs=2000, delay_ms=5)["id"]
    client.post(f"/api/train/sessions/{sid}/start")
    session = client.app.state.sessions.get(sid)
    r = client.delete(f"/api/train/sessions/{sid}")
    assert r.status_code == 200 and r.json() == {"id": sid, "deleted": True}
    assert session._thread is None and session.deleted
    for method, path in [("GET", ""), ("POST", "/start"), ("POST", "/pause"), ("POST", "/step"), ("POST", "/reset"),
                         ("DELETE", ""), ("GET", "/events")]:
        assert_error(client.request(method, f"/api/train/sessions/{sid}{path}"), 404, "id", "no training session")


def _events(c, sid):
    out = []
    with c.stream("GET", f"/api/train/sessions/{sid}/events") as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in r.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                out.append((event, json.loads(line.split(":", 1)[1])))
    return out


def test_events_stream_states_until_done(client):
    sid = _create(client, epochs=40, delay_ms=2)["id"]
    client.post(f"/api/train/sessions/{sid}/start")
    events = _events(client, sid)
    assert events and all(e == "state" for e, _ in events)
    epochs = [s["epoch"] for _, s in events]
    assert epochs == sorted(epochs)
    assert events[-1][1]["status"] == "done" and events[-1][1]["epoch"] == 40
    # a finished (or paused) session's stream sends its state once and ends
    assert [s["status"] for _, s in _events(client, sid)] == ["done"]
    client.delete(f"/api/train/sessions/{sid}")


def test_events_end_on_pause_and_on_delete(client):
    store = client.app.state.sessions
    for action in ("pause", "delete"):
        sid = _create(client, epochs=2000, delay_ms=10)["id"]
        client.post(f"/api/train/sessions/{sid}/start")
        stop = threading.Timer(0.3, store.get(sid).pause if action == "pause" else lambda s=sid: store.delete(s))
        stop.start()
        events = _events(client, sid)
        stop.join()
        if action == "pause":
            assert events[-1][1]["status"] == "paused"
            client.delete(f"/api/train/sessions/{sid}")
        else:
            assert events[-1] == ("deleted", {"id": sid, "status": "deleted"})
        assert 0 < events[-2 if action == "delete" else -1][1]["epoch"] < 2000


def test_too_many_sessions_is_429_and_idle_ones_are_evicted():
    with make_client(max_sessions=1) as c:
        a = _create(c, epochs=2000, delay_ms=20)["id"]
        c.post(f"/api/train/sessions/{a}/start")
        assert_error(c.post("/api/train/sessions", json=SMALL), 429, None, "at most 1")
        c.post(f"/api/train/sessions/{a}/pause")
        b = _create(c)["id"]  # evicts the paused one
        assert c.get(f"/api/train/sessions/{a}").status_code == 404
        assert c.get(f"/api/train/sessions/{b}").status_code == 200


def test_shutdown_stops_every_worker():
    with make_client() as c:
        sid = _create(c, epochs=2000, delay_ms=20)["id"]
        c.post(f"/api/train/sessions/{sid}/start")
        session = c.app.state.sessions.get(sid)
        worker = session._thread
        assert worker is not None and worker.is_alive()
    worker.join(timeout=5)
    assert not worker.is_alive() and session.deleted


@pytest.mark.parametrize("over, field, text", [
    ({"dataset": "iris"}, "dataset", "moons, circles, spirals, xor"),
    ({"n": 5}, "n", "[20, 1000]"),
    ({"n": 10 ** 6}, "n", "[20, 1000]"),
    ({"noise": -0.1}, "noise", "[0, 1]"),
    ({"hidden": [16, 16, 16, 16]}, "hidden", "0 to 3"),
    ({"hidden": [65]}, "hidden[0]", "[1, 64]"),
    ({"hidden": [0]}, "hidden[0]", "[1, 64]"),
    ({"hidden": "16,16"}, "hidden", "array"),
    ({"activation": "swish"}, "activation", "tanh"),
    ({"loss": "triplet_margin_loss"}, "loss", "valid names"),
    ({"loss": "cross_entropyy"}, "loss", "cross_entropy"),
    ({"optimizer": "lbfgs"}, "optimizer", None),
    ({"optimizer": "adamm"}, "optimizer", "adam"),
    ({"lr": 0}, "lr", "(0, 10]"),
    ({"lr": 100}, "lr", "(0, 10]"),
    ({"batch_size": 0}, "batch_size", "[1, 160]"),
    ({"batch_size": 161}, "batch_size", "[1, 160]"),
    ({"batch_size": "half"}, "batch_size", "full"),
    ({"seed": -1}, "seed", None),
    ({"resolution": 101}, "resolution", "[2, 100]"),
    ({"epochs": 2001}, "epochs", "[1, 2000]"),
    ({"epochs": 0}, "epochs", "[1, 2000]"),
    ({"delay_ms": 5000}, "delay_ms", None),
    ({"momentum": 0.9}, "momentum", "unknown field"),
])
def test_create_bad_requests(client, over, field, text):
    assert_error(client.post("/api/train/sessions", json={**SMALL, **over}), 400, field, text)


def test_unknown_session_is_404(client):
    assert_error(client.post("/api/train/sessions/nope/start"), 404, "id", "nope")
    assert_error(client.get("/api/train/sessions/nope/events"), 404, "id")


def test_requests_during_training_do_not_disturb_the_worker(client):
    """losslab's grad mode is process-wide: a request computing a boundary under no_grad while the
    worker trains would switch the worker's graph off without the server's engine lock."""
    sid = _create(client, epochs=300, batch_size=8)["id"]
    client.post(f"/api/train/sessions/{sid}/start")
    for _ in range(60):
        st = client.get(f"/api/train/sessions/{sid}").json()["state"]
        client.post("/api/curves/regression", json={"losses": ["huber_loss"], "points": 50})
        if st["status"] == "done":
            break
    st = _wait(client, sid, "done")
    assert st["message"] is None and st["epoch"] == 300 and not st["diverged"]
    client.delete(f"/api/train/sessions/{sid}")
