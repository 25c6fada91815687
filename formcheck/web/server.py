"""Starting the web server: a socket on the chosen address, uvicorn, the browser."""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import webbrowser
from collections.abc import Callable

from formcheck.errors import FormcheckError
from formcheck.web.config import WebConfig, is_loopback

log = logging.getLogger(__name__)


def new_token() -> str:
    """A fresh access token (32 random bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one the OS picks)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise FormcheckError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_for(config: WebConfig, port: int, with_token: bool = True) -> str:
    host = config.host
    if host in ("0.0.0.0", "::"):
        host = socket.gethostname()
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    url = f"http://{host}:{port}/"
    if config.token and with_token:
        url += f"?token={config.token}"
    return url


def serve(config: WebConfig, open_browser: bool = True,
          announce: Callable[[str], None] = print) -> None:
    """Run the server until interrupted. ``announce`` gets the address (printed once)."""
    import uvicorn

    from formcheck.web.app import build_app, cleanup_partial, guarded

    sock = bind(config.host, config.port)
    port = sock.getsockname()[1]
    assert config.data_dir is not None
    cleanup_partial(config.data_dir)
    app = build_app(config)
    server = uvicorn.Server(uvicorn.Config(guarded(app, config, port), log_level="warning",
                                           access_log=False, lifespan="on",
                                           timeout_graceful_shutdown=5))
    url = url_for(config, port)
    announce(url)
    if not is_loopback(config.host):
        log.warning("listening on %s: anyone on the network with the token can use this server", config.host)
    if open_browser:
        def _open() -> None:
            while not server.started and not server.should_exit:
                threading.Event().wait(0.05)
            if server.started:
                webbrowser.open(url)

        threading.Thread(target=_open, daemon=True).start()
    server.run(sockets=[sock])
