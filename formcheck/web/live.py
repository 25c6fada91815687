"""The live page: the browser's camera, the live coaching pipeline on the server.

The page (``/live``) asks the browser for the camera, and sends downscaled JPEG frames,
one request at a time, to ``POST /api/live/frame``. The server runs the very session
``formcheck live`` runs (:func:`formcheck.live.session.start_session`: the same pose
tracker, causal steps, :class:`~formcheck.live.cues.CueEngine` and thresholds) over a
:class:`~formcheck.io.sources.PushSource`, in one thread per live session; each frame's
answer is the overlay data of the newest processed frame (landmarks in the pixels of the
frame sent, the colour state of the ear-shoulder-hip line, the status, the step count)
and the cues the page has not seen yet. The page draws the skeleton, shows the cue in
large text and speaks it (``speechSynthesis``).

Frames are never queued: the source keeps only the newest frame (a frame that arrives
while the pipeline is busy replaces the waiting one, which is counted as dropped), and
the answer to a dropped frame is the newest result, marked ``"dropped": true``.

Why plain POSTs and not a WebSocket: each frame is an ordinary request, so the checks of
:mod:`formcheck.web.security` (Host, access token, CSRF token, Origin, body size) apply
to it unchanged, and one request in flight gives the back-pressure for free: a slow
server slows the page's sending instead of filling a buffer.

Recording (optional, asked for at the start with an athlete's name): every frame the page
sent, dropped ones included, goes to ``live/<session id>/live.mp4`` in the web app's data
folder (:mod:`formcheck.live.record`, at the page's frame times); when the session ends the
clip is queued for the full analysis like an upload, and lands in the library under that
athlete. It holds what the page sent: 480 px wide, at the rate the page managed (about
8-15 frames a second), so the offline analysis sees fewer frames than from a camera file.

One live session at a time per server (the pose model takes a core): a second page gets
a 409 with the reason. A session ends when its page stops it, when no frame arrives for
:data:`IDLE_END_S` seconds (the tab was closed or the network dropped), or when the
server stops. Nothing the client sends names a file: sessions are found by the random id
the server made, frames are decoded from memory.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import math
import re
import secrets
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from formcheck.errors import FormcheckError
from formcheck.pose.blazepose import SKELETON

if TYPE_CHECKING:
    import numpy as np

    from formcheck.io.sources import PushSource
    from formcheck.live.session import LiveSession
    from formcheck.model.settings import Settings

log = logging.getLogger(__name__)

#: Largest frame accepted (bytes of JPEG). A 640 x 480 JPEG at quality 0.9 is about
#: 100 kB; the page sends 480 px wide frames at quality 0.7 (20-40 kB).
MAX_FRAME_BYTES = 1024 * 1024
#: Largest frame side accepted (pixels); the pose tracker works on 640 px anyway.
MAX_FRAME_SIDE = 1920
#: A session with no frame for this long has ended (the page went away).
IDLE_END_S = 5.0
#: How long a frame request waits for its result before answering without one.
RESULT_WAIT_S = 10.0
#: The longest a live session may run (a frame time beyond this is refused).
MAX_SESSION_S = 6 * 3600.0
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
#: A recording shorter than this is not worth a full analysis (seconds).
MIN_RECORDING_S = 3.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class LiveError(Exception):
    """A request the live endpoints refuse: ``status`` and the message for the page."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def decode_frame(data: bytes, max_side: int = MAX_FRAME_SIDE) -> np.ndarray:
    """A JPEG frame as upright RGB pixels (H, W, 3 uint8).

    Raises :class:`LiveError` (400) for anything that is not a readable JPEG image, and
    (413) for one larger than ``max_side`` on a side; the size is read from the header
    before the pixels are decoded.
    """
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise LiveError("the frame is empty")
    try:
        img = Image.open(io.BytesIO(data), formats=["JPEG"])
    except (UnidentifiedImageError, OSError, ValueError):
        raise LiveError("the frame is not a JPEG image") from None
    w, h = img.size
    if max(w, h) > max_side:
        raise LiveError(f"the frame is {w} x {h} pixels; the largest side accepted is {max_side}", 413)
    if min(w, h) < 16:
        raise LiveError(f"the frame is {w} x {h} pixels: too small to find a runner in")
    try:
        rgb = np.asarray(img.convert("RGB"))
    except (OSError, ValueError, SyntaxError):
        raise LiveError("the frame is not a readable JPEG image (truncated or damaged)") from None
    return np.ascontiguousarray(rgb)


class LiveRun:
    """One live session: a push source fed by the page, the pipeline in its own thread."""

    def __init__(self, settings: Settings, on_end: Any, record: Path | None = None,
                 athlete: str | None = None) -> None:
        from formcheck.io.sources import PushSource

        self.id = secrets.token_hex(16)
        self.record = record / self.id if record is not None else None
        self.athlete = athlete
        self.job: dict[str, Any] | None = None
        self.record_note: str | None = None
        self._size: tuple[int, int] | None = None
        self.settings = settings
        self.started_wall = time.time()
        self.source: PushSource = PushSource("browser camera", stall_s=IDLE_END_S)
        self.session: LiveSession | None = None
        self._on_end = on_end
        self._cond = threading.Condition()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._done_index = -1
        self._latest: dict[str, Any] | None = None
        self._cues: list[dict[str, Any]] = []
        self._last_t = -math.inf
        self._push_lock = threading.Lock()
        self.ended: str | None = None
        self.summary: dict[str, Any] | None = None
        self._thread = threading.Thread(target=self._main, name=f"formcheck-live-{self.id[:6]}",
                                        daemon=True)

    # -- the session thread
    def start(self, timeout: float = 120.0) -> None:
        """Load the model and start the session thread; raise what the start raised."""
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop("the pose model did not start")
            raise LiveError("the pose model did not start in time", 503)
        if self._error is not None:
            raise self._error

    def _main(self) -> None:
        from formcheck.live.session import start_session

        try:
            # The model is created, used and closed in this one thread.
            self.session = start_session(self.source, model=self.settings.model,
                                         height_cm=self.settings.height_cm, record=self.record)
        except BaseException as exc:  # reported to the request that started it
            self._error = exc
            self._finish("the pose model could not start")
            self._ready.set()
            return
        self._ready.set()
        reason = None
        try:
            for frame, result in self.session.iter_frames():
                d = result.to_dict()
                d["steps"] = self.session.steps
                d.pop("cues", None)
                with self._cond:
                    self._cues.extend(c.to_dict() for c in result.cues)
                    self._latest = d
                    self._done_index = frame.index
                    self._cond.notify_all()
        except Exception as exc:  # a pipeline failure ends the session with its reason
            log.exception("live session failed")
            reason = f"the live pipeline failed ({type(exc).__name__})"
        finally:
            summary: dict[str, Any] | None
            try:
                summary = self.session.close().to_dict()
            except Exception:
                log.exception("closing the live session failed")
                summary = None
            self.summary = summary
            self._finish(reason or (summary or {}).get("end_reason") or "stopped")

    def _finish(self, reason: str) -> None:
        with self._cond:
            if self.ended is None:
                self.ended = reason
            self._cond.notify_all()
        self._on_end(self)

    # -- what the requests do
    def push(self, rgb: np.ndarray, time_s: float) -> int:
        """Offer a frame taken ``time_s`` seconds after the page started; its index."""
        if self.ended is not None:
            raise LiveError(f"this live session has ended ({self.ended}); press Start again", 410)
        with self._push_lock:
            if not time_s > self._last_t:
                raise LiveError("each frame's time must be later than the previous frame's")
            size = (int(rgb.shape[1]), int(rgb.shape[0]))
            if self._size is not None and size != self._size:
                raise LiveError(f"every frame of a live session must have the same size "
                                f"({self._size[0]} x {self._size[1]}); this one is {size[0]} x {size[1]}")
            self._size = size
            self._last_t = time_s
            return self.source.push(rgb, time_s)

    def result_for(self, index: int, seen_cues: int, timeout: float = RESULT_WAIT_S) -> dict[str, Any]:
        """The answer to frame ``index``: the newest result once the pipeline has got to
        that frame (``dropped`` when it skipped it for a newer one), and the cues after
        the first ``seen_cues``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._done_index < index and self.ended is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            out: dict[str, Any] = {"session": self.id, "frame": index, "ended": self.ended}
            if self._done_index < index:
                out.update(result=None, dropped=self.ended is None)
            else:
                out.update(result=self._latest, dropped=self._done_index > index)
            seen = max(0, min(seen_cues, len(self._cues)))
            out["cues"] = self._cues[seen:]
            out["cue_count"] = len(self._cues)
            dropped = self.source.stats.dropped
            out["frames"] = {"received": self.source.stats.captured, "dropped": dropped}
        return out

    def stop(self, reason: str = "stopped by the page", wait_s: float = 10.0) -> dict[str, Any] | None:
        """End the session (the thread finishes the frame it is on) and return its summary."""
        self.source.end(reason)
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(wait_s)
        return self.summary


class LiveHub:
    """The server's one live session slot."""

    def __init__(self, settings: Settings, record_root: Path | None = None,
                 on_recorded: Any = None) -> None:
        self.settings = settings
        self.record_root = record_root
        self.on_recorded = on_recorded
        self._lock = threading.Lock()
        self._run: LiveRun | None = None
        self._starting = False

    def start(self, athlete: str | None = None) -> LiveRun:
        """A new session (recorded for ``athlete`` when given), or :class:`LiveError`
        (409) while another one runs."""
        if athlete is not None and (self.record_root is None or self.on_recorded is None):
            raise LiveError("this server cannot record live sessions", 400)
        with self._lock:
            run = self._run
            busy = run is not None and run.ended is None
            if busy or self._starting:
                since = time.strftime("%H:%M:%S", time.localtime(run.started_wall)) if run is not None and busy else "now"
                raise LiveError(f"another live session is running on this server (since {since}); "
                                "one at a time. It ends when its page presses Stop or "
                                f"sends no frame for {IDLE_END_S:g} s.", 409)
            self._starting = True
        try:
            run = LiveRun(self.settings, self._ended, self.record_root if athlete else None, athlete)
            try:
                run.start()
            except FormcheckError as exc:
                raise LiveError(f"the live session could not start: {exc}", 500) from None
            except Exception as exc:  # e.g. MediaPipe failing to create the graph
                log.exception("live session start failed")
                raise LiveError(f"the live session could not start ({type(exc).__name__})", 500) from None
            with self._lock:
                self._run = run
            return run
        finally:
            with self._lock:
                self._starting = False

    def _ended(self, run: LiveRun) -> None:
        """Runs in the session's thread once it has closed: queue the recording."""
        log.info("live session %s ended: %s", run.id[:8], run.ended)
        if run.record is None or run.summary is None:
            return
        video = run.summary.get("recording")
        duration = run.source.stats.captured and run._last_t
        if not video:
            run.record_note = "nothing was recorded"
        elif not duration or duration < MIN_RECORDING_S:
            run.record_note = f"the recording is too short to analyse ({duration or 0:.1f} s)"
        else:
            try:
                run.job = self.on_recorded(run, Path(video), float(duration))
                run.record_note = "recorded; the full analysis is queued"
            except Exception as exc:
                log.exception("queueing the live recording failed")
                run.record_note = f"recorded, but queueing its analysis failed ({type(exc).__name__})"

    def get(self, sid: str) -> LiveRun:
        with self._lock:
            run = self._run
        if not SESSION_ID.match(sid) or run is None or not secrets.compare_digest(run.id, sid):
            raise LiveError("no such live session (the server may have restarted); press Start again", 404)
        return run

    def close(self) -> None:
        with self._lock:
            run = self._run
        if run is not None:
            run.stop("the server stopped")


# --------------------------------------------------------------------------- routes


def _error(exc: LiveError) -> JSONResponse:
    return JSONResponse({"error": str(exc)}, status_code=exc.status)


def queue_recording(web: Any, run: LiveRun, video: Path, duration_s: float) -> dict[str, Any]:
    """Queue a finished live recording for the full analysis, like an upload."""
    import datetime as dt
    import json
    import uuid

    from formcheck.store.records import Conditions

    job_id = uuid.uuid4().hex
    started = time.localtime(run.started_wall)
    job = web.jobs.add(job_id=job_id, clip_name=f"live {time.strftime('%Y-%m-%d %H:%M', started)}",
                       clip_path=video, out_dir=web.root / "sessions" / job_id,
                       athlete=run.athlete or "", date=dt.date.fromtimestamp(run.started_wall).isoformat(),
                       notes=f"recorded on the live page ({duration_s:.0f} s)",
                       height_cm=web.config.settings.height_cm,
                       conditions=json.dumps(Conditions(condition="treadmill").run()))
    web.dispatcher.wake()
    return job.public()


def make_hub(web: Any) -> LiveHub:
    """The live session slot of the server ``web`` (:class:`formcheck.web.state.Web`)."""
    import functools

    return LiveHub(web.config.settings, web.root / "live", functools.partial(queue_recording, web))


def live_page(request: Request) -> Response:
    web = request.app.state.web
    return web.page("live.html", idle_s=IDLE_END_S, max_bytes=MAX_FRAME_BYTES,
                    athletes=web.library.athletes())


async def live_start(request: Request) -> Response:
    hub = request.app.state.web.live
    athlete = None
    try:
        if int(request.headers.get("content-length", "0") or 0) > 4096:
            raise LiveError("the start request is too large", 413)
        body = await request.body()
        if body:
            try:
                options = json.loads(body)
            except ValueError:
                raise LiveError("the start request must be JSON") from None
            if not isinstance(options, dict):
                raise LiveError("the start request must be a JSON object")
            if options.get("record"):
                athlete = _CONTROL.sub(" ", str(options.get("athlete") or "")).strip()[:80]
                if not athlete:
                    raise LiveError("give the athlete's name to record the session into the library")
        run = await asyncio.to_thread(hub.start, athlete)
    except LiveError as exc:
        return _error(exc)
    chain = {part: list(SKELETON.pair(part)) for part in ("ear", "shoulder", "hip")}
    return JSONResponse({"session": run.id, "skeleton": [list(p) for p in SKELETON.edge_indices], "chain": chain,
                         "max_frame_bytes": MAX_FRAME_BYTES, "max_side": MAX_FRAME_SIDE,
                         "idle_end_s": IDLE_END_S}, status_code=201)


async def live_frame(request: Request) -> Response:
    hub = request.app.state.web.live
    q = request.query_params
    try:
        run = hub.get(q.get("session", ""))
        try:
            t = float(q.get("t", ""))
            seen = int(q.get("cues", "0"))
        except ValueError:
            raise LiveError("t (the frame's time in seconds) and cues (a count) must be numbers") from None
        if not (math.isfinite(t) and 0 <= t <= MAX_SESSION_S) or seen < 0:
            raise LiveError(f"the frame time must be between 0 and {MAX_SESSION_S:g} s")
        length = int(request.headers.get("content-length", "0") or 0)
        if length > MAX_FRAME_BYTES:
            raise LiveError(f"the frame is {length / 1024:.0f} kB; the limit is "
                            f"{MAX_FRAME_BYTES / 1024:.0f} kB", 413)
        body = await request.body()
        if len(body) > MAX_FRAME_BYTES:
            raise LiveError(f"the frame is larger than {MAX_FRAME_BYTES / 1024:.0f} kB", 413)
        rgb = await asyncio.to_thread(decode_frame, body)
        index = run.push(rgb, t)
    except LiveError as exc:
        return _error(exc)
    answer = await asyncio.to_thread(run.result_for, index, seen)
    return JSONResponse(answer)


async def live_stop(request: Request) -> Response:
    hub = request.app.state.web.live
    try:
        run = hub.get(request.query_params.get("session", ""))
    except LiveError as exc:
        return _error(exc)
    summary = await asyncio.to_thread(run.stop)
    if summary is not None:  # no server paths to the page
        summary = {k: v for k, v in summary.items() if k != "recording"}
    return JSONResponse({"session": run.id, "ended": run.ended, "summary": summary,
                         "recording": run.record_note, "job": run.job})


#: The live page and its API, for :func:`formcheck.web.app.build_app`.
ROUTES = [
    Route("/live", live_page),
    Route("/api/live/start", live_start, methods=["POST"]),
    Route("/api/live/frame", live_frame, methods=["POST"]),
    Route("/api/live/stop", live_stop, methods=["POST"]),
]
