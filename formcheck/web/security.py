"""The checks every request passes before it reaches a page (an ASGI middleware).

* **Host**: on loopback the ``Host`` header must name the server itself
  (``127.0.0.1:PORT``, ``localhost:PORT``, ``[::1]:PORT``); a web page on another site
  cannot reach the server through DNS rebinding.
* **Access token** (when set, always on a network address): every request carries it,
  as the ``X-Formcheck-Token`` header, an ``Authorization: Bearer`` header, or the
  ``formcheck_token`` cookie. A first visit with ``?token=...`` sets the cookie
  (HttpOnly, SameSite=Strict) and redirects to the same address without the token, so
  it stays out of the history and of Referer headers. Compared in constant time.
* **Cross-origin writes**: a POST needs the page's CSRF token in ``X-CSRF-Token``
  (pages carry it in ``<meta name="csrf-token">``), and is refused when its ``Origin``
  names another site or ``Sec-Fetch-Site`` says ``cross-site``.
* **Body size**: a POST must state its ``Content-Length`` and stay under the upload limit;
  larger bodies are refused (413) before a byte is read.
* **Response headers**: a Content-Security-Policy that allows only the server's own
  scripts, styles, images and media (no inline script, no CDN), ``nosniff``, no
  framing, no Referer.
"""

from __future__ import annotations

import hmac
import html
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_COOKIE = "formcheck_token"
TOKEN_HEADER = "x-formcheck-token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
     b"form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


async def _reply(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]] | None = None,
                 json_body: bool = False) -> None:
    if json_body:
        import json

        body = json.dumps({"error": text}).encode()
        ctype = b"application/json"
    else:
        body = (f"<!doctype html><html lang=en><meta charset=utf-8><title>formcheck: {status}</title>"
                f"<p>{html.escape(text)}</p></html>").encode()
        ctype = b"text/html; charset=utf-8"
    headers = [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
               *SECURITY_HEADERS, *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware applying the module's checks in front of ``app``.

    Parameters
    ----------
    app : the application.
    allowed_hosts : Host header values accepted; None accepts any (network mode, where
        the token guards instead).
    token : the access token, or None for none.
    csrf_token : the token POSTs must carry in ``X-CSRF-Token``.
    max_body : largest request body (bytes) a POST may send.
    """

    def __init__(self, app: ASGIApp, *, allowed_hosts: set[str] | None, token: str | None,
                 csrf_token: str, max_body: int):
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.token = token
        self.csrf_token = csrf_token
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        api = scope["path"].startswith("/api/")
        host = headers.get("host", "")
        if self.allowed_hosts is not None and host.lower() not in self.allowed_hosts:
            await _reply(send, 400, "unknown Host header: open formcheck at the address it printed",
                         json_body=api)
            return
        if self.token is not None:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            if "token" in query and scope["method"] in SAFE_METHODS:
                if not _same(query["token"], self.token):
                    await _reply(send, 401, "wrong access token", json_body=api)
                    return
                rest = urlencode({k: v for k, v in query.items() if k != "token"})
                location = scope["path"] + (f"?{rest}" if rest else "")
                cookie = (f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict").encode()
                await send({"type": "http.response.start", "status": 303,
                            "headers": [(b"location", location.encode()), (b"set-cookie", cookie),
                                        (b"content-length", b"0"), *SECURITY_HEADERS]})
                await send({"type": "http.response.body", "body": b""})
                return
            given = headers.get(TOKEN_HEADER)
            auth = headers.get("authorization", "")
            if given is None and auth.lower().startswith("bearer "):
                given = auth[7:].strip()
            if given is None and "cookie" in headers:
                jar: SimpleCookie = SimpleCookie()
                try:
                    jar.load(headers["cookie"])
                except Exception:  # a malformed cookie header counts as no token
                    jar = SimpleCookie()
                if TOKEN_COOKIE in jar:
                    given = jar[TOKEN_COOKIE].value
            if not _same(given, self.token):
                await _reply(send, 401, "this formcheck server needs its access token: open the "
                             "address with ?token=... that 'formcheck serve' printed", json_body=api)
                return
        if scope["method"] not in SAFE_METHODS:
            origin = headers.get("origin")
            scheme = scope.get("scheme", "http")
            if origin is not None and origin != f"{scheme}://{host}":
                await _reply(send, 403, "cross-origin request refused", json_body=api)
                return
            if headers.get("sec-fetch-site") == "cross-site":
                await _reply(send, 403, "cross-site request refused", json_body=api)
                return
            if not _same(headers.get(CSRF_HEADER), self.csrf_token):
                await _reply(send, 403, "missing or stale page token: reload the page and try again",
                             json_body=api)
                return
            length = headers.get("content-length")
            if length is None or not length.isdigit():
                await _reply(send, 411, "the request must state its length", json_body=api)
                return
            if int(length) > self.max_body:
                limit_mb = self.max_body / 1024 / 1024
                await _reply(send, 413, f"the upload is larger than the server's limit of "
                             f"{limit_mb:.0f} MB", json_body=api,
                             extra=[(b"connection", b"close")])
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)
