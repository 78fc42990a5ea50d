"""Generic bad requests for every endpoint: oversized bodies (413), malformed JSON and non-object
bodies (400), and random JSON (Hypothesis) that must never produce a server error."""
import json

import pytest

pytest.importorskip("starlette")

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from web_api_helpers import GET_ENDPOINTS, POST_ENDPOINTS, assert_error, make_client  # noqa: E402


@pytest.fixture(scope="module")
def small():
    """max_body 2 KiB, one session: quick to hit the limits."""
    with make_client(max_body=2048, max_sessions=1) as c:
        yield c


@pytest.mark.parametrize("path", list(POST_ENDPOINTS) + ["/api/train/sessions/x/start"])
def test_oversized_body_is_413(small, path):
    body = json.dumps({"padding": "x" * 5000})
    r = small.post(path, content=body, headers={"content-type": "application/json"})
    if path.endswith("/start"):  # a session action reads no body: its 404 comes first
        assert r.status_code == 404
        return
    assert_error(r, 413, None, "2048 bytes")


@pytest.mark.parametrize("path", list(POST_ENDPOINTS))
def test_oversized_body_without_content_length_is_413(small, path):
    def chunks():
        for _ in range(10):
            yield b"[" + b" " * 500

    assert_error(small.post(path, content=chunks()), 413, None, "2048 bytes")


@pytest.mark.parametrize("path", list(POST_ENDPOINTS))
@pytest.mark.parametrize("raw, text", [
    (b"{not json", "malformed JSON"), (b'{"a": NaN}', "NaN"), (b'{"a": Infinity}', "Infinity"),
    (b"[1, 2]", "JSON object"), (b'"text"', "JSON object"), (b"\xff\xfe", "UTF-8"), (b"[" * 5000 + b"]" * 5000, None),
])
def test_malformed_json_is_400(path, raw, text):
    with make_client(max_body=64 * 1024) as c:
        r = c.post(path, content=raw, headers={"content-type": "application/json"})
    assert_error(r, 400, None, text)


@pytest.mark.parametrize("path", ["/api/samples", "/api/check", "/api/playground/run"])
def test_empty_body_where_fields_are_required_is_400(small, path):
    assert_error(small.post(path, content=b""), 400, None, "empty")


@pytest.mark.parametrize("path, body", list(POST_ENDPOINTS.items()))
def test_every_valid_example_works(small, path, body):
    r = small.post(path, json=body)
    assert r.status_code in (200, 201), r.text
    if path == "/api/train/sessions":
        small.delete(f"/api/train/sessions/{r.json()['id']}")


@pytest.mark.parametrize("path", GET_ENDPOINTS)
def test_get_endpoints(small, path):
    r = small.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10 ** 12, 10 ** 12) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=6) | st.dictionaries(st.text(max_size=12), kids, max_size=6),
    max_leaves=25)


def _field_names(path):
    """The endpoint's own field names, so that random bodies reach the validation of each field."""
    names = set(POST_ENDPOINTS[path]) | {"losses", "params", "range", "points", "kind", "gamma", "predictions",
                                         "targets", "expression", "domain", "target", "start", "steps",
                                         "optimizers", "schedule", "weights", "biases", "x", "y", "lr", "hidden",
                                         "batch_size", "epochs", "resolution", "loss", "name", "activations"}
    return sorted(names)


@pytest.mark.parametrize("path", list(POST_ENDPOINTS))
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_json_never_gives_a_server_error(small, path, data):
    keys = st.sampled_from(_field_names(path)) | st.text(max_size=8)
    base = POST_ENDPOINTS[path]
    mode = data.draw(st.sampled_from(["random", "mutate", "any"]))
    if mode == "random":
        body = data.draw(st.dictionaries(keys, json_values, max_size=6))
    elif mode == "mutate":  # a valid body with some fields replaced by random values
        body = dict(base)
        for k in data.draw(st.lists(keys, max_size=3)):
            body[k] = data.draw(json_values)
    else:
        body = data.draw(json_values)
    r = small.post(path, content=json.dumps(body), headers={"content-type": "application/json"})
    assert r.status_code < 500, (body, r.text[:500])
    if r.status_code >= 400:
        assert set(r.json()["error"]) == {"message", "field"}
    elif path == "/api/train/sessions":
        small.delete(f"/api/train/sessions/{r.json()['id']}")


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=12), resolution=st.text(max_size=6) | st.integers(-10, 500).map(str))
def test_random_surface_queries_never_give_a_server_error(small, name, resolution):
    r = small.get("/api/playground/surface", params={"name": name, "resolution": resolution})
    assert r.status_code < 500, r.text


@pytest.mark.parametrize("raw, field", [
    (b'{"predictions": [1' + b"0" * 5000 + b'], "targets": [1]}', None),          # beyond Python's int parsing
    (b'{"predictions": [1' + b"0" * 400 + b'], "targets": [1]}', "predictions[0]"),  # beyond the float range
    (b'{"predictions": [1e400], "targets": [1]}', "predictions[0]"),                 # parses as inf
])
def test_huge_numbers_are_400(raw, field):
    with make_client() as c:
        r = c.post("/api/samples", content=raw, headers={"content-type": "application/json"})
    assert_error(r, 400, field)
