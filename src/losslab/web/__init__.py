"""The explorer (``losslab serve``): a local web page on the same engine — loss curves and their
gradients, a sample table, the loss reference, the differentiability checker, the optimizer
playground, live training and the backpropagation explainer.

The server needs the ``web`` extra (``pip install "losslab[web]"``: Starlette, uvicorn,
sse-starlette, plotly, latex2mathml); ``import losslab`` never does. The API is described in
``notes/web_spec.md`` and ``docs/explorer.md``.
"""
from __future__ import annotations

__all__ = ["create_app", "serve", "MissingExtra", "require_extra", "INSTALL_HINT"]

INSTALL_HINT = 'pip install "losslab[web]"'
_MODULES = ("starlette", "uvicorn", "sse_starlette", "plotly", "latex2mathml")


class MissingExtra(ImportError):
    """The web extra is not installed."""


def require_extra() -> None:
    """Raise :class:`MissingExtra` naming the missing packages and the install command."""
    import importlib.util

    missing = [m for m in _MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingExtra(f"the explorer needs {', '.join(missing)}: {INSTALL_HINT}")


def create_app(*, max_body: int = 64 * 1024, max_sessions: int = 4):
    """The explorer's Starlette application (the JSON API, the page and its static files).

    Args:
        max_body: largest request body in bytes (larger: 413).
        max_sessions: most live training sessions (more: the oldest idle one is evicted, or 429
            when all are running).

    Raises:
        MissingExtra: the web extra is not installed (the message says what to install).

    Example:
        >>> from starlette.testclient import TestClient                 # doctest: +SKIP
        >>> TestClient(create_app()).get("/api/health").json()["ok"]    # doctest: +SKIP
        True
    """
    require_extra()
    from .app import create_app as _create

    return _create(max_body=max_body, max_sessions=max_sessions)


def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False, *, log_level: str = "warning",
          on_ready=None) -> None:
    """Run the explorer with uvicorn until interrupted.

    Args:
        host: interface to bind (default loopback only).
        port: TCP port; 0 picks a free one.
        open_browser: open the page in the default browser once the server listens.
        log_level: uvicorn's log level.
        on_ready: called with the page's URL once the server listens (the CLI prints it).

    Raises:
        MissingExtra: the web extra is not installed.
        OSError: the address cannot be bound (in use, or not an interface of this machine).

    Example:
        >>> serve(port=0, on_ready=print)   # doctest: +SKIP
        http://127.0.0.1:54321/
    """
    require_extra()
    import socket

    import uvicorn

    app = create_app()
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()  # an address in use or not of this machine: no socket left behind
        raise
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound}/"
    config = uvicorn.Config(app, log_level=log_level, timeout_graceful_shutdown=3, lifespan="on")

    class _Server(uvicorn.Server):
        """Ends the event streams as soon as shutdown begins (uvicorn waits for open
        connections before running the lifespan shutdown that stops the training threads)."""

        def handle_exit(self, sig, frame):
            app.state.shutdown.set()
            super().handle_exit(sig, frame)

    server = _Server(config)

    import threading

    def announce():
        import time

        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            if on_ready is not None:
                on_ready(url)
            if open_browser:
                import webbrowser

                webbrowser.open(url)

    threading.Thread(target=announce, name="losslab-serve-announce", daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
