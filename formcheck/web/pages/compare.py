"""The compare page: two sessions side by side."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from formcheck.web.state import web_of


def compare_page(request: Request) -> Response:
    web = web_of(request)
    sessions = web.library.sessions()[:500]
    a_id, b_id = request.query_params.get("a", ""), request.query_params.get("b", "")
    a, b = web.session_or_none(a_id), web.session_or_none(b_id)
    result = None
    if a_id and b_id and (a is None or b is None):
        return web.page("compare.html", status=404, sessions=sessions, a_id=a_id, b_id=b_id,
                        result=None, error="one of the two sessions was not found")
    if a is not None and b is not None:
        from formcheck.web.compare import compare_folders

        result = compare_folders(a.folder, b.folder)
    return web.page("compare.html", sessions=sessions, a=a, b=b, a_id=a_id, b_id=b_id,
                    result=result, error=None)
