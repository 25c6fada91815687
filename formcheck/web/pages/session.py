"""The session page, its timeline API and its downloads.

Files are served from a fixed list of names (:data:`formcheck.web.data.DOWNLOADS`);
nothing a client sends is used as a path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from formcheck.web import data
from formcheck.web.state import web_of


def session_page(request: Request) -> Response:
    web = web_of(request)
    row = web.session_or_none(request.path_params["sid"])
    if row is None:
        return web.not_found("session")
    s = data.summary(row.folder)
    present = [n for n in data.DOWNLOADS if (row.folder / n).is_file()]
    others = [x for x in web.library.sessions(row.athlete) if x.id != row.id]
    checks = s.get("checks", [])
    return web.page("session.html", row=row, s=s, faults=data.faults(row.folder),
                    files=present, metrics=_metric_rows(s), others=others, checks=checks,
                    has_video="annotated.mp4" in present)


def session_timeline(request: Request) -> Response:
    web = web_of(request)
    row = web.session_or_none(request.path_params["sid"])
    if row is None:
        return JSONResponse({"error": "no such session"}, status_code=404)
    return JSONResponse(data.timeline(row.folder))


def session_file(request: Request) -> Response:
    web = web_of(request)
    row = web.session_or_none(request.path_params["sid"])
    name = request.path_params["name"]
    if row is None or name not in data.DOWNLOADS:
        return web.not_found("file")
    path = row.folder / name
    if not path.is_file():
        return web.not_found("file")
    inline = name.endswith((".mp4", ".jpg", ".png"))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(row.clip_name).stem)[:60] or "session"
    return FileResponse(path, media_type=data.DOWNLOADS[name],
                        filename=None if inline else f"{stem}_{name}")


def _metric_rows(s: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, m in s.get("metrics", {}).items():
        rows.append({"name": name, **m, "norm": data.norm_bands(name)})
    return rows
