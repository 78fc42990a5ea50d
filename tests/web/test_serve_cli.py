"""``losslab serve``: its help, and the real server in a subprocess on a free loopback port."""
import os
import re
import subprocess
import sys
import time

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from click.testing import CliRunner  # noqa: E402

from losslab.cli import cli  # noqa: E402


def test_help():
    r = CliRunner().invoke(cli, ["serve", "--help"])
    assert r.exit_code == 0
    assert "--host" in r.output and "--port" in r.output and "--open" in r.output and "127.0.0.1" in r.output


def test_missing_extra_names_the_install_command(monkeypatch):
    import losslab.web as web

    monkeypatch.setattr(web, "_MODULES", web._MODULES + ("losslab_no_such_module",))
    r = CliRunner().invoke(cli, ["serve"])
    assert r.exit_code != 0 and 'pip install "losslab[web]"' in r.output


def _read_url(proc, timeout=60.0) -> str:
    end = time.monotonic() + timeout
    seen = []
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        if m:
            return m.group(1)
    raise AssertionError("the server printed no URL: " + "".join(seen) + (proc.stderr.read() if proc.poll() is not None else ""))


def test_real_server_on_a_free_port():
    import httpx

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "losslab.cli", "serve", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = _read_url(proc)
        r = httpx.get(url + "api/health", timeout=10)
        assert r.status_code == 200 and r.json()["ok"] is True
        r = httpx.post(url + "api/samples", json={"predictions": [1], "targets": [0]}, timeout=10)
        assert r.json()["cost"]["mse_loss"] == 1.0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode is not None


def test_non_loopback_host_warns():
    from losslab.cli.serve import _is_loopback

    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and _is_loopback("localhost")
    assert not _is_loopback("0.0.0.0") and not _is_loopback("192.168.1.5")
