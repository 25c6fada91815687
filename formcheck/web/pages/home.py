"""The home page: athletes, recent sessions and the jobs not yet done."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from formcheck.web.state import web_of


def home(request: Request) -> Response:
    web = web_of(request)
    return web.page("home.html", athletes=web.library.athletes(),
                    sessions=web.library.sessions()[:200],
                    jobs=[j for j in web.jobs.recent(20) if j.state != "done"])
