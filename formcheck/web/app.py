"""The web application: routes, pages and the upload endpoint (Starlette).

Nothing a client sends is used as a path: sessions and jobs are looked up by the ids
the server made, files are served from a fixed list of names (:data:`DOWNLOADS`), and
uploads are stored under a name the server chooses, in the library's ``clips`` folder,
after the video probe (not the file name) has said they are a video.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
import secrets
import shutil
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from formcheck import __version__
from formcheck.errors import FormcheckError, OutputError
from formcheck.model import registry
from formcheck.web import data, live
from formcheck.web.config import WebConfig, is_loopback
from formcheck.web.jobs import Dispatcher, Job, JobStore
from formcheck.web.library import SessionRow, WebLibrary, parse_session_id
from formcheck.web.security import Guard

if TYPE_CHECKING:
    from formcheck.web.live import LiveHub

log = logging.getLogger(__name__)

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
STATIC = Path(__file__).with_name("static")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Short fault names for lists that only hold a fault's code (the session page shows
#: each fault's own ``title`` from its summary).
FAULT_TITLES = registry.FAULT_SHORT_TITLES
CONDITIONS = ("treadmill", "outdoor")


def _clean_text(value: Any, limit: int) -> str:
    return _CONTROL.sub(" ", str(value or "")).strip()[:limit]


class Web:
    """Everything a running server holds: config, jobs, library, templates, dispatcher."""

    live: LiveHub  # the live page's sessions, set by formcheck.web.live.routes

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
        self.dispatcher = Dispatcher(self.jobs, settings.to_dict(), self._record,
                                     workers=config.workers, scheduler=config.scheduler)

    # -- jobs -> library -------------------------------------------------------------
    def _record(self, job: Job) -> str:
        from formcheck.store import Conditions

        cond = json.loads(job.conditions or "{}")
        conditions = Conditions(condition=cond.get("condition"), speed_kmh=cond.get("speed_kmh"),
                                shoes=cond.get("shoes"), notes=job.notes or None)
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


def build_app(config: WebConfig, start_workers: bool = True) -> Starlette:
    """The ASGI application for ``config``, wrapped in :class:`~formcheck.web.security.Guard`."""
    web = Web(config)

    def home(request: Request) -> Response:
        return web.page("home.html", athletes=web.library.athletes(),
                        sessions=web.library.sessions()[:200],
                        jobs=[j for j in web.jobs.recent(20) if j.state != "done"])

    def upload_page(request: Request) -> Response:
        return web.page("upload.html", athletes=web.library.athletes(),
                        today=dt.date.today().isoformat(),
                        limit_mb=config.max_upload_bytes // (1024 * 1024))

    async def upload(request: Request) -> Response:
        try:
            form = await request.form(max_files=1, max_fields=8, max_part_size=64 * 1024)
        except Exception as exc:  # malformed multipart body
            return JSONResponse({"error": f"could not read the upload: {exc}"}, status_code=400)
        try:
            file = form.get("clip")
            if file is None or isinstance(file, str):
                return JSONResponse({"error": "no clip in the upload"}, status_code=400)
            clip_name = _clean_text(Path(file.filename or "clip").name, 120) or "clip"
            athlete = _clean_text(form.get("athlete"), 80)
            if not athlete:
                return JSONResponse({"error": "give the athlete's name"}, status_code=400)
            date = _clean_text(form.get("date"), 10) or None
            if date is not None:
                try:
                    date = dt.date.fromisoformat(date).isoformat()
                except ValueError:
                    return JSONResponse({"error": f"the date {date!r} is not YYYY-MM-DD"}, status_code=400)
            fallback_date = None
            if date is None:  # the clip's own date: metadata (read by the store), else file time
                file_date = _clean_text(form.get("file_date"), 10)
                try:
                    fallback_date = dt.date.fromisoformat(file_date).isoformat() if file_date else None
                except ValueError:
                    fallback_date = None
            notes = _clean_text(form.get("notes"), 2000)
            condition = _clean_text(form.get("condition"), 20) or None
            if condition is not None and condition not in CONDITIONS:
                return JSONResponse({"error": "the condition must be treadmill or outdoor"}, status_code=400)
            shoes = _clean_text(form.get("shoes"), 120) or None
            speed_text = _clean_text(form.get("speed_kmh"), 10)
            speed = None
            if speed_text:
                try:
                    speed = float(speed_text)
                except ValueError:
                    return JSONResponse({"error": "the speed must be a number of km/h"}, status_code=400)
                if not 0 < speed < 60:
                    return JSONResponse({"error": f"{speed:g} km/h is not a running speed (0-60)"},
                                        status_code=400)
            height_text = _clean_text(form.get("height_cm"), 10)
            height_cm = None
            if height_text:
                try:
                    height_cm = float(height_text)
                except ValueError:
                    return JSONResponse({"error": "the height must be a number of cm"}, status_code=400)
                if not 80 <= height_cm <= 250:
                    return JSONResponse({"error": f"{height_cm:g} cm is not a plausible height (80-250 cm)"},
                                        status_code=400)
            job_id = uuid.uuid4().hex
            part = web.root / "clips" / f"{job_id}.part"
            try:
                await asyncio.to_thread(_store_upload, file.file, part, config.max_upload_bytes)
                info = await asyncio.to_thread(_probe, part)
                if date is None and not info["creation_time"]:
                    date = fallback_date
            except _UploadRefused as exc:
                part.unlink(missing_ok=True)
                return JSONResponse({"error": f"{clip_name}: {exc}"}, status_code=exc.status)
            except BaseException:
                part.unlink(missing_ok=True)
                raise
        finally:
            await form.close()
        clip = part.with_suffix(".video")
        part.replace(clip)
        out_dir = web.root / "sessions" / job_id
        conditions = json.dumps({"condition": condition, "speed_kmh": speed, "shoes": shoes})
        job = web.jobs.add(job_id=job_id, clip_name=clip_name, clip_path=clip, out_dir=out_dir,
                           athlete=athlete, date=date, notes=notes, height_cm=height_cm,
                           conditions=conditions)
        web.dispatcher.wake()
        log.info("queued %s (%s, %.1f s)", clip_name, job_id, info["duration_s"])
        return JSONResponse({"job": job.public(), "video": info}, status_code=201)

    def job_list(request: Request) -> Response:
        return JSONResponse({"jobs": [j.public() for j in web.jobs.recent(50)]})

    def job_one(request: Request) -> Response:
        jid = request.path_params["jid"]
        job = web.jobs.get(jid) if JOB_ID.match(jid) else None
        if job is None:
            return JSONResponse({"error": "no such job"}, status_code=404)
        return JSONResponse({"job": job.public()})

    def session_page(request: Request) -> Response:
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
        row = web.session_or_none(request.path_params["sid"])
        if row is None:
            return JSONResponse({"error": "no such session"}, status_code=404)
        return JSONResponse(data.timeline(row.folder))

    def session_file(request: Request) -> Response:
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

    def compare_page(request: Request) -> Response:
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

    def history_page(request: Request) -> Response:
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

    @asynccontextmanager
    async def lifespan(app: Starlette):
        if start_workers:
            web.dispatcher.start()
        try:
            yield
        finally:
            if start_workers:
                await asyncio.to_thread(web.dispatcher.stop)
            await asyncio.to_thread(web.live.close)
            web.store.close()

    routes = [
        Route("/", home),
        Route("/upload", upload_page),
        Route("/api/uploads", upload, methods=["POST"]),
        Route("/api/jobs", job_list),
        Route("/api/jobs/{jid}", job_one),
        Route("/sessions/{sid}", session_page),
        Route("/api/sessions/{sid}/timeline", session_timeline),
        Route("/sessions/{sid}/files/{name}", session_file),
        Route("/compare", compare_page),
        Route("/history", history_page),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        *live.routes(web),  # the live page and its API (web/live.py)
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
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


class _UploadRefused(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _store_upload(src: Any, dest: Path, limit: int) -> None:
    """Copy the received upload into the library, refusing empty or oversize files."""
    src.seek(0)
    written = 0
    with dest.open("xb") as out:
        while chunk := src.read(1024 * 1024):
            written += len(chunk)
            if written > limit:
                raise _UploadRefused(f"larger than the server's limit of {limit / 1024 / 1024:.0f} MB", 413)
            out.write(chunk)
    if written == 0:
        raise _UploadRefused("the file is empty")


def _probe(path: Path) -> dict[str, Any]:
    """The video probe decides what is a clip (not the file name)."""
    from formcheck.io.video import probe

    try:
        info = probe(path)
    except FormcheckError as exc:
        reason = str(exc).replace(path.name, "the file").replace(str(path), "the file")
        raise _UploadRefused(f"not a video formcheck can read ({reason})", 415) from None
    if info.frames < 2:
        raise _UploadRefused("the clip holds fewer than 2 frames", 415)
    from formcheck.io.video import creation_time

    made = creation_time(path)
    return {"fps": round(info.fps, 3), "frames": info.frames, "width": info.width,
            "height": info.height, "duration_s": round(info.duration_s, 2),
            "creation_time": made.isoformat() if made else None}


def _metric_rows(s: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, m in s.get("metrics", {}).items():
        rows.append({"name": name, **m, "norm": data.norm_bands(name)})
    return rows


def cleanup_partial(data_dir: Path) -> None:
    """Remove upload files a crashed server left half-written (``*.part``)."""
    for p in (data_dir / "clips").glob("*.part"):
        p.unlink(missing_ok=True)
    for p in (data_dir / "sessions").glob("*/.formcheck-partial-*"):
        shutil.rmtree(p, ignore_errors=True)
