"""The jobs API the home and upload pages poll for an analysis' progress."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from formcheck.web.state import web_of

JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def job_list(request: Request) -> Response:
    web = web_of(request)
    return JSONResponse({"jobs": [j.public() for j in web.jobs.recent(50)]})


def job_one(request: Request) -> Response:
    web = web_of(request)
    jid = request.path_params["jid"]
    job = web.jobs.get(jid) if JOB_ID.match(jid) else None
    if job is None:
        return JSONResponse({"error": "no such job"}, status_code=404)
    return JSONResponse({"job": job.public()})
