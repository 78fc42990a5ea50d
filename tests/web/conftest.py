"""Fixtures for the explorer's browser tests: the real server and a real Chromium.

``live_server`` runs ``losslab.web.create_app()`` under uvicorn in a background thread on a free
127.0.0.1 port for the whole session (one per xdist worker) and stops it at the end.
``browser`` is a session-scoped Playwright Chromium: Debian's ``/usr/bin/chromium``, never a browser
Playwright downloads itself. Each test gets a fresh ``page`` (its own context, 1280×900) that
records console errors and uncaught page errors; an uncaught page error fails the test.

The browser tests are skipped, with the reason, only when Playwright or ``/usr/bin/chromium`` is
missing (or the web extra is not installed). Screenshots go to ``out/screenshots`` when the
``LOSSLAB_SCREENSHOTS`` environment variable is set, else to a temporary folder.
"""
from __future__ import annotations

import importlib.util
import os
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
WEB_MODULES = ("starlette", "uvicorn", "sse_starlette", "plotly", "latex2mathml")
REPO = Path(__file__).resolve().parents[2]


def _missing_browser_reason() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed (apt-get install chromium); Playwright must not download a browser"
    missing = [m for m in WEB_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        return f"the web extra is not installed ({', '.join(missing)}): pip install -e '.[web]'"
    return None


@pytest.fixture(scope="session")
def live_server():
    """Base URL of a running explorer (uvicorn in a thread), stopped at the end of the session."""
    reason = _missing_browser_reason()
    if reason:
        pytest.skip(reason)
    import uvicorn

    from losslab.web import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(), log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="losslab-live-server",
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail("the explorer's server did not start within 20 s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def browser(live_server):
    """One headless Chromium (Debian's) for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class PageLog:
    """What the page said: console errors and uncaught exceptions."""

    def __init__(self):
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []

    def attach(self, page):
        page.on("console", lambda msg: self.console_errors.append(f"{msg.text} @ {msg.location}")
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))


@pytest.fixture
def page_log():
    return PageLog()


def _new_page(browser, live_server, log, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server)
    context.set_default_timeout(15_000)
    page = context.new_page()
    log.attach(page)
    return context, page


@pytest.fixture
def page(browser, live_server, page_log):
    """A fresh page at 1280×900; fails the test if the page threw an uncaught exception."""
    context, pg = _new_page(browser, live_server, page_log, 1280, 900)
    yield pg
    context.close()
    assert not page_log.page_errors, f"uncaught errors in the page: {page_log.page_errors}"


@pytest.fixture
def new_page(browser, live_server, page_log):
    """Factory for extra pages (another viewport, a second visitor opening a shared URL)."""
    contexts = []

    def make(width=1280, height=900):
        context, pg = _new_page(browser, live_server, page_log, width, height)
        contexts.append(context)
        return pg

    yield make
    for c in contexts:
        c.close()
    assert not page_log.page_errors, f"uncaught errors in the page: {page_log.page_errors}"


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    """Where the section screenshots go: out/screenshots with LOSSLAB_SCREENSHOTS set, else a temp dir."""
    if os.environ.get("LOSSLAB_SCREENSHOTS"):
        path = REPO / "out" / "screenshots"
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")
