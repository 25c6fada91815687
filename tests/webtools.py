"""Helpers for the web app tests: a real uvicorn server on loopback, in a thread."""

from __future__ import annotations

import contextlib
import http.client
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from formcheck.web.config import WebConfig


@dataclass
class Served:
    base: str
    host: str
    port: int
    web: Any  # formcheck.web.app.Web

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """One raw HTTP request (no client-side path normalisation)."""
        con = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            con.putrequest(method, path, skip_host=headers is not None and "Host" in headers,
                           skip_accept_encoding=True)
            hdrs = dict(headers or {})
            if body is not None and "Content-Length" not in hdrs:
                hdrs["Content-Length"] = str(len(body))
            for k, v in hdrs.items():
                con.putheader(k, v)
            con.endheaders(body)
            r = con.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            con.close()


@contextlib.contextmanager
def serve(config: WebConfig, start_workers: bool = True) -> Iterator[Served]:
    """Run the app for ``config`` on 127.0.0.1 (a free port) until the block ends."""
    import uvicorn

    from formcheck.web.app import build_app, guarded
    from formcheck.web.server import bind

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    app = build_app(config, start_workers=start_workers)
    server = uvicorn.Server(uvicorn.Config(guarded(app, config, port), log_level="warning",
                                           lifespan="on", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web server did not start")
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", "127.0.0.1", port, app.state.web)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def multipart(fields: dict[str, str], filename: str, content: bytes,
              boundary: str = "formcheckTestBoundary7MA4YWxk") -> tuple[bytes, str]:
    """A multipart/form-data body with ``fields`` and one file part named ``clip``."""
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="clip"; filename="{filename}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
