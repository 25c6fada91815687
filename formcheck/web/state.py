"""What a running web server holds, shared by every page's routes.

:func:`formcheck.web.app.build_app` makes one :class:`Web` and puts it on the
Starlette application as ``app.state.web``; a route reads it with :func:`web_of`.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from formcheck import __version__
from formcheck.errors import OutputError
from formcheck.model import registry
from formcheck.web.config import WebConfig
from formcheck.web.jobs import Dispatcher, Job, JobStore
from formcheck.web.library import SessionRow, WebLibrary, parse_session_id

if TYPE_CHECKING:
    from formcheck.web.live import LiveHub

#: Short fault names for lists that only hold a fault's code (the session page shows
#: each fault's own ``title`` from its summary).
FAULT_TITLES = registry.FAULT_SHORT_TITLES


class Web:
    """Everything a running server holds: config, jobs, library, templates, dispatcher."""

    live: LiveHub  # the live page's sessions, set by formcheck.web.app.build_app

    def __init__(self, config: WebConfig):
        from formcheck.store import Library

        self.config = config
        assert config.data_dir is not None
        self.root = root = config.data_dir
        try:
            for sub in ("clips", "sessions"):
                (root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create the web app's data folder {root}: {exc.strerror or exc}") from None
        self.db_path = root / "web-jobs.sqlite"
        self.jobs = JobStore(self.db_path)
        self.store = Library.open(config.library)
        self.library = WebLibrary(self.store, self.jobs.clip_names)
        self.csrf_token = secrets.token_urlsafe(32)
        self.env = Environment(loader=PackageLoader("formcheck.web", "templates"),
                               autoescape=select_autoescape(["html"]))
        self.env.globals.update(version=__version__, csrf=self.csrf_token, titles=FAULT_TITLES)
        settings = config.settings
        if config.workers > 1 and settings.threads == 0:
            settings = settings.replace(threads=1)  # as batch does: one core per worker
        self.dispatcher = Dispatcher(self.jobs, settings, self._record,
                                     workers=config.workers, scheduler=config.scheduler)

    # -- jobs -> library -------------------------------------------------------------
    def _record(self, job: Job) -> str:
        from formcheck.store import Conditions

        run = json.loads(job.conditions or "{}")  # written from Conditions.run()
        conditions = Conditions(condition=run.get("condition"), speed_kmh=run.get("speed_kmh"),
                                shoes=run.get("shoes"), notes=job.notes or None)
        date = dt.date.fromisoformat(job.date) if job.date else None
        sid = self.library.record(Path(job.out_dir), job.athlete, date, conditions, Path(job.clip_path))
        return str(sid)

    # -- rendering -------------------------------------------------------------------
    def page(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status)

    def not_found(self, what: str) -> HTMLResponse:
        return self.page("error.html", status=404, message=f"{what} not found")

    def session_or_none(self, sid: str) -> SessionRow | None:
        """The session named by a URL's id, or None (unknown, malformed, or its analysis
        folder gone)."""
        number = parse_session_id(sid)
        return None if number is None else self.library.session(number)


def web_of(request: Request) -> Web:
    """The server state of the application that received ``request``."""
    return request.app.state.web
