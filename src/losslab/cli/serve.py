"""``losslab serve``: the explorer page on this machine (needs the web extra)."""
from __future__ import annotations

import ipaddress

import click

from ._base import CONTEXT, cli


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@cli.command(context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; anything but a loopback address exposes the page to the network.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="TCP port (0 picks a free one; the URL is printed).")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
def serve(host, port, open_browser) -> None:
    """Serve the explorer: loss curves, the loss reference, the differentiability checker, the
    optimizer playground, live training and the backprop explainer, on the same engine.

    \b
    Examples:
      losslab serve                  # http://127.0.0.1:8000/
      losslab serve --port 0 --open  # a free port, opened in the browser
    """
    from ..web import INSTALL_HINT, MissingExtra, require_extra

    try:
        require_extra()
    except MissingExtra as e:
        raise click.ClickException(f"{e}\n(the explorer's server is optional; install it with {INSTALL_HINT})") from None
    if not _is_loopback(host):
        click.echo(f"warning: listening on {host}: anyone who can reach this machine can use the explorer "
                   "(it has no authentication); use --host 127.0.0.1 to keep it local", err=True)
    from ..web import serve as run

    def ready(url):
        click.echo(f"losslab explorer at {url} (Ctrl+C to stop)")

    try:
        run(host=host, port=port, open_browser=open_browser, on_ready=ready)
    except OSError as e:
        raise click.ClickException(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
