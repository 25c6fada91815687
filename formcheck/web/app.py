"""The web application: the wiring of the pages' routes (Starlette).

Each page's routes are named functions in its own module (:mod:`formcheck.web.pages`,
and :mod:`formcheck.web.live` for the live page); they read the server's state,
:class:`~formcheck.web.state.Web`, from ``request.app.state.web``.

Nothing a client sends is used as a path: sessions and jobs are looked up by the ids
the server made, files are served from a fixed list of names
(:data:`~formcheck.web.data.DOWNLOADS`), and uploads are stored under a name the server
chooses, in the library's ``clips`` folder, after the video probe (not the file name)
has said they are a video.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from formcheck.web import live
from formcheck.web.config import WebConfig, is_loopback
from formcheck.web.pages import compare, history, home, jobs, session, upload
from formcheck.web.security import Guard
from formcheck.web.state import FAULT_TITLES, Web

__all__ = ["FAULT_TITLES", "STATIC", "Web", "build_app", "cleanup_partial", "guarded"]

STATIC = Path(__file__).with_name("static")

ROUTES = [
    Route("/", home.home),
    Route("/upload", upload.upload_page),
    Route("/api/uploads", upload.upload, methods=["POST"]),
    Route("/api/jobs", jobs.job_list),
    Route("/api/jobs/{jid}", jobs.job_one),
    Route("/sessions/{sid}", session.session_page),
    Route("/api/sessions/{sid}/timeline", session.session_timeline),
    Route("/sessions/{sid}/files/{name}", session.session_file),
    Route("/compare", compare.compare_page),
    Route("/history", history.history_page),
    Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    *live.ROUTES,  # the live page and its API
]


def build_app(config: WebConfig, start_workers: bool = True) -> Starlette:
    """The ASGI application for ``config``; serve it wrapped by :func:`guarded`."""
    web = Web(config)
    web.live = live.make_hub(web)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if start_workers:
            web.dispatcher.start()
        try:
            yield
        finally:
            if start_workers:
                await asyncio.to_thread(web.dispatcher.stop)
            await asyncio.to_thread(web.live.close)
            web.store.close()

    app = Starlette(routes=ROUTES, lifespan=lifespan)
    app.state.web = web
    return app


def guarded(app: Starlette, config: WebConfig, port: int) -> Guard:
    """``app`` behind the request checks, for a server listening on ``port``."""
    web: Web = app.state.web
    hosts = None
    if is_loopback(config.host):
        hosts = {f"{h}:{port}" for h in ("127.0.0.1", "localhost", "[::1]")}
    return Guard(app, allowed_hosts=hosts, token=config.token, csrf_token=web.csrf_token,
                 max_body=config.max_upload_bytes + 1024 * 1024)


def cleanup_partial(data_dir: Path) -> None:
    """Remove upload files a crashed server left half-written (``*.part``)."""
    for p in (data_dir / "clips").glob("*.part"):
        p.unlink(missing_ok=True)
    for p in (data_dir / "sessions").glob("*/.formcheck-partial-*"):
        shutil.rmtree(p, ignore_errors=True)
