"""The upload page and its endpoint: a clip in, a queued analysis job out.

Uploads are stored under a name the server chooses, in the web app's ``clips`` folder,
after the video probe (not the file name) has said they are a video.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
import uuid
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from formcheck.errors import FormcheckError, InputError
from formcheck.store.records import Conditions
from formcheck.web.state import web_of

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _clean_text(value: Any, limit: int) -> str:
    return _CONTROL.sub(" ", str(value or "")).strip()[:limit]


def _number(value: Any, what: str, unit: str) -> float | None:
    """A form field's number, None when left empty (its range is checked by the record)."""
    text = _clean_text(value, 10)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"the {what} must be a number of {unit}") from None


def upload_page(request: Request) -> Response:
    web = web_of(request)
    return web.page("upload.html", athletes=web.library.athletes(),
                    today=dt.date.today().isoformat(),
                    limit_mb=web.config.max_upload_bytes // (1024 * 1024))


async def upload(request: Request) -> Response:
    web = web_of(request)
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
        try:  # the same checks as the command line's: Conditions and Settings
            conditions = Conditions(condition=_clean_text(form.get("condition"), 20) or None,
                                    speed_kmh=_number(form.get("speed_kmh"), "speed", "km/h"),
                                    shoes=_clean_text(form.get("shoes"), 120) or None,
                                    notes=notes or None)
            height_cm = _number(form.get("height_cm"), "height", "cm")
            web.config.settings.replace(height_cm=height_cm)  # checked as every height is (None: none given)
        except InputError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        job_id = uuid.uuid4().hex
        part = web.root / "clips" / f"{job_id}.part"
        try:
            await asyncio.to_thread(_store_upload, file.file, part, web.config.max_upload_bytes)
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
    job = web.jobs.add(job_id=job_id, clip_name=clip_name, clip_path=clip, out_dir=out_dir,
                       athlete=athlete, date=date, notes=notes, height_cm=height_cm,
                       conditions=json.dumps(conditions.run()))
    web.dispatcher.wake()
    log.info("queued %s (%s, %.1f s)", clip_name, job_id, info["duration_s"])
    return JSONResponse({"job": job.public(), "video": info}, status_code=201)


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
