"""The explorer's ASGI application: the JSON API of ``notes/web_spec.md``, the page's static files
and plotly.js from the installed ``plotly`` package.

Errors are JSON ``{"error": {"message", "field"}}`` with a 4xx status: 400 for malformed JSON,
wrong types and out-of-range values, 404 for an unknown route or session, 405 for a wrong method,
413 for a body over ``max_body``, 422 for an expression the parser rejects, 429 for too many live
training sessions. Anything unexpected becomes a 500 with the same shape (the tests post random
JSON to every endpoint to check that user input never gets there).

The CPU work of a request runs in Starlette's thread pool, so the event loop keeps serving the
server-sent events of running training sessions. This module needs the web extra: it is
imported by :func:`losslab.web.create_app` once :func:`losslab.web.require_extra` has passed.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from importlib import resources
from pathlib import Path

import anyio
from sse_starlette import EventSourceResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .api import backprop as backprop_api
from .api import check as check_api
from .api import curves as curves_api
from .api import playground as playground_api
from .api import reference as reference_api
from .api import samples as samples_api
from .api._common import ApiError, json_response, jsonable, read_json
from .api.training import SessionStore

__all__ = ["create_app", "STATIC_DIR", "plotly_js_path", "EVENTS_PER_SECOND"]

log = logging.getLogger("losslab.web")

#: the page's own files (index.html, app.js, style.css, js/…)
STATIC_DIR = Path(__file__).resolve().parent / "static"
#: the SSE stream sends at most this many states per second
EVENTS_PER_SECOND = 20


def plotly_js_path() -> Path | None:
    """``plotly/package_data/plotly.min.js`` of the installed plotly package, or None."""
    try:
        p = resources.files("plotly") / "package_data" / "plotly.min.js"
    except ModuleNotFoundError:
        return None
    return Path(str(p)) if p.is_file() else None


# ------------------------------------------------------------------------------------------ errors
def _error(status: int, message: str, field: str | None = None):
    return json_response({"error": {"message": message, "field": field}}, status)


async def _api_error(request, exc: ApiError):
    return _error(exc.status, exc.message, exc.field)


async def _http_error(request, exc):
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", None)
    if status == 404:
        message = f"not found: {request.method} {request.url.path}"
    elif status == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    else:
        message = str(detail) if detail else f"HTTP {status}"
    headers = getattr(exc, "headers", None)
    resp = _error(status, message)
    if headers:
        resp.headers.update(headers)
    return resp


async def _unexpected(request, exc: Exception):
    log.exception("unexpected error in %s %s", request.method, request.url.path)
    return _error(500, f"internal error ({type(exc).__name__}); this is a bug in losslab, please report it")


# ------------------------------------------------------------------------------------------ routes
def _post(fn, allow_empty: bool = False):
    """A POST endpoint running ``fn(body)`` in the thread pool."""

    async def endpoint(request):
        body = await read_json(request, request.app.state.max_body, allow_empty=allow_empty)
        return json_response(await run_in_threadpool(fn, body))

    endpoint.__name__ = fn.__name__
    return endpoint


def _get(fn):
    async def endpoint(request):
        return json_response(await run_in_threadpool(fn))

    endpoint.__name__ = fn.__name__
    return endpoint


async def _surface(request):
    return json_response(await run_in_threadpool(playground_api.surface_grid, dict(request.query_params)))


def _store(request) -> SessionStore:
    return request.app.state.sessions


async def _create_session(request):
    body = await read_json(request, request.app.state.max_body, allow_empty=True)
    session = await run_in_threadpool(_store(request).create, body)
    return json_response({"id": session.id, "state": await run_in_threadpool(session.state)}, 201)


def _action(name: str):
    async def endpoint(request):
        session = _store(request).get(request.path_params["id"])
        return json_response({"state": await run_in_threadpool(getattr(session, name))})

    endpoint.__name__ = f"session_{name}"
    return endpoint


async def _session_state(request):
    session = _store(request).get(request.path_params["id"])
    return json_response({"state": await run_in_threadpool(session.state)})


async def _delete_session(request):
    sid = request.path_params["id"]
    await run_in_threadpool(_store(request).delete, sid)
    return json_response({"id": sid, "deleted": True})


async def _events(request):
    """SSE: the session's state after each epoch (at most EVENTS_PER_SECOND a second); the stream
    ends when the session is paused, done or deleted, at shutdown, or when the client leaves."""
    session = _store(request).get(request.path_params["id"])
    shutdown = request.app.state.shutdown

    async def stream():
        last = -1
        while not shutdown.is_set():
            if await request.is_disconnected():
                return
            if session.deleted:
                yield {"event": "deleted", "data": json.dumps({"id": session.id, "status": "deleted"})}
                return
            if session.version != last:
                last = session.version
                state = await run_in_threadpool(session.state)
                yield {"event": "state", "data": json.dumps(jsonable(state), allow_nan=False)}
                if state["status"] in ("paused", "done", "deleted"):
                    return
            await asyncio.sleep(1.0 / EVENTS_PER_SECOND)

    return EventSourceResponse(stream(), ping=15)


async def _index(request):
    index = STATIC_DIR / "index.html"
    if not index.is_file():
        return _error(404, "the explorer page (static/index.html) is not installed")
    return FileResponse(index, media_type="text/html")


async def _plotly(request):
    path = plotly_js_path()
    if path is None:
        return _error(404, 'plotly.min.js not found: pip install "losslab[web]"')
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})


# ------------------------------------------------------------------------------------------ app
def create_app(*, max_body: int = 64 * 1024, max_sessions: int = 4):
    """The explorer's Starlette application.

    Args:
        max_body: largest request body in bytes (larger: 413).
        max_sessions: most live training sessions (more: the oldest idle one is evicted, or 429
            when all are running).

    Example:
        >>> from starlette.testclient import TestClient          # doctest: +SKIP
        >>> TestClient(create_app()).get("/api/health").json()   # doctest: +SKIP
        {'ok': True, 'version': '0.1.0'}
    """
    if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body < 1:
        raise ValueError(f"create_app: max_body must be a positive int, got {max_body!r}")
    if isinstance(max_sessions, bool) or not isinstance(max_sessions, int) or max_sessions < 1:
        raise ValueError(f"create_app: max_sessions must be a positive int, got {max_sessions!r}")
    store = SessionStore(max_sessions)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        app.state.shutdown.clear()
        try:
            yield
        finally:
            app.state.shutdown.set()
            await anyio.to_thread.run_sync(store.close_all)

    sid = "/api/train/sessions/{id}"
    routes = [
        Route("/", _index, methods=["GET"]),
        Route("/api/health", _get(reference_api.health), methods=["GET"]),
        Route("/api/losses", _get(reference_api.losses), methods=["GET"]),
        Route("/api/guide", _get(reference_api.guide), methods=["GET"]),
        Route("/api/curves/regression", _post(curves_api.regression_curves, True), methods=["POST"]),
        Route("/api/curves/classification", _post(curves_api.classification_curves, True), methods=["POST"]),
        Route("/api/samples", _post(samples_api.samples), methods=["POST"]),
        Route("/api/check", _post(check_api.check), methods=["POST"]),
        Route("/api/playground/surfaces", _get(playground_api.surfaces), methods=["GET"]),
        Route("/api/playground/surface", _surface, methods=["GET"]),
        Route("/api/playground/run", _post(playground_api.run), methods=["POST"]),
        Route("/api/train/sessions", _create_session, methods=["POST"]),
        Route(sid, _session_state, methods=["GET"]),
        Route(sid, _delete_session, methods=["DELETE"]),
        *[Route(f"{sid}/{a}", _action(a), methods=["POST"]) for a in ("start", "pause", "step", "reset")],
        Route(f"{sid}/events", _events, methods=["GET"]),
        Route("/api/backprop", _post(backprop_api.backprop, True), methods=["POST"]),
        Route("/vendor/plotly.min.js", _plotly, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=str(STATIC_DIR), check_dir=False), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        ApiError: _api_error, HTTPException: _http_error, Exception: _unexpected,
    })
    app.state.max_body = max_body
    app.state.sessions = store
    app.state.shutdown = threading.Event()  # set at shutdown: the event streams end
    return app
