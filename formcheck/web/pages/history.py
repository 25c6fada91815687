"""The history page: one athlete's metrics over their sessions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from formcheck.web import data
from formcheck.web.state import web_of


def history_page(request: Request) -> Response:
    web = web_of(request)
    athlete = request.query_params.get("athlete", "")
    rows = web.library.sessions(athlete) if athlete else []
    if athlete and not rows:
        return web.not_found("athlete")
    from formcheck.web.compare import history_changes

    ordered = sorted(rows, key=lambda r: (r.date, r.id))  # oldest first
    series = data.history([(r.id, r.date, r.folder) for r in ordered])
    changes = history_changes([r.folder for r in ordered])
    position = {r.id: i for i, r in enumerate(ordered)}
    for metric, sr in series.items():
        for point in sr["points"]:
            i = position[point["session"]]
            change = changes[i - 1].get(metric) if changes and i > 0 else None
            point["verdict"] = change["verdict"] if change else None
            point["mdc"] = change["mdc95"] if change else None
    return web.page("history.html", athlete=athlete, rows=rows, series=series, stats=changes is not None,
                    athletes=web.library.athletes())
