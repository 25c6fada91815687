"""Frame sources: a clip decoded as fast as possible, a clip played at its real speed,
a camera and a network stream, behind one interface.

A :class:`FrameSource` is an iterable of :class:`SourceFrame` (index, time in seconds
from the start, upright RGB pixels, and the clock time at which the frame was
captured) with ``info`` (size and nominal frame rate), ``stats`` (frames captured,
handed over and dropped) and ``close()``. When iteration ends, ``end_reason`` says why
("end of clip", "camera disconnected", "stream stalled: no frame for 5 s", ...).

Live sources never fall behind: the newest captured frame waits in a one-frame slot
and a consumer that is still busy when the next frame arrives never sees the older
one (it is counted as dropped). Cameras and streams fill the slot from a reader thread;
a clip played at its real speed does the same by pacing: the frame handed over is the
newest one whose time has come on the source's clock.

Clocks
------
Pacing reads time from a :class:`Clock`. :class:`RealClock` is the wall clock.
:class:`SimulatedClock` lets a test play a clip faster than real time *without changing
which frames are dropped*: its time advances only by the consumer's processing time
(reported through :meth:`Clock.spent`) and by the waits for the next frame, which it
skips instead of sleeping. With ``cost_s`` fixed, every frame costs that much
simulated time, so the drop pattern is exactly that of a machine on which processing
a frame takes ``cost_s``; with ``cost_s=None`` the measured processing time is charged,
which drops what real-time playback on this machine would drop.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from formcheck.errors import InputError, VideoReadError
from formcheck.io.video import DecodeLog, Frame, iter_frames, probe, rgb24

log = logging.getLogger(__name__)

#: A live source with no new frame for this long has stalled (seconds).
DEFAULT_STALL_S = 5.0


@dataclass(frozen=True)
class SourceFrame(Frame):
    """A frame as a source delivers it: ``index`` counts every captured frame (dropped
    ones too), ``time_s`` is its time from the start of the source, ``captured_s`` the
    source clock's time when it became available (for latency)."""

    captured_s: float = math.nan


@dataclass(frozen=True)
class SourceInfo:
    """What a source says about itself. ``fps`` is nominal (0 when unknown)."""

    name: str
    kind: str  # "file" | "file (real time)" | "camera" | "stream"
    fps: float
    width: int
    height: int
    live: bool


@dataclass
class SourceStats:
    """Counts kept by a source: frames captured, handed to the consumer, and dropped
    because the consumer was still busy with an earlier one."""

    captured: int = 0
    delivered: int = 0
    dropped: int = 0

    @property
    def dropped_fraction(self) -> float:
        return self.dropped / self.captured if self.captured else 0.0


class Clock(Protocol):
    """Where a source and its consumer read the time (seconds, monotonic)."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (nothing when not positive).

        Parameters
        ----------
        seconds : float
            How long to wait, seconds.
        """

    def spent(self, seconds: float) -> None:
        """The consumer reports that processing one frame took ``seconds`` of real time.

        Parameters
        ----------
        seconds : float
            The measured processing time, seconds.
        """


class RealClock:
    """The wall clock (``time.monotonic``); ``spent`` is a no-op (time has passed)."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of wall time (nothing when not positive).

        Parameters
        ----------
        seconds : float
            How long to sleep, seconds.
        """
        if seconds > 0:
            time.sleep(seconds)

    def spent(self, seconds: float) -> None:
        """Nothing: the real time has already passed.

        Parameters
        ----------
        seconds : float
            The measured processing time, seconds (ignored).
        """
        return None


class SimulatedClock:
    """Simulated time for faster-than-real-time playback with real-time frame drops.

    ``now()`` starts at 0; ``sleep(d)`` advances it by ``d`` at once; ``spent(d)``
    advances it by ``cost_s`` (or by ``d``, the measured processing time, when
    ``cost_s`` is None).
    """

    def __init__(self, cost_s: float | None = None) -> None:
        self.cost_s = cost_s
        self._t = 0.0

    def now(self) -> float:
        return self._t

    def sleep(self, seconds: float) -> None:
        """Advance the simulated time by ``seconds`` at once (nothing when not positive).

        Parameters
        ----------
        seconds : float
            How far to advance, seconds.
        """
        if seconds > 0:
            self._t += seconds

    def spent(self, seconds: float) -> None:
        """Advance the simulated time by ``cost_s``, or by ``seconds`` when ``cost_s`` is None.

        Parameters
        ----------
        seconds : float
            The measured processing time, seconds (negative counts as 0).
        """
        self._t += self.cost_s if self.cost_s is not None else max(0.0, seconds)


CaptureHook = Callable[[SourceFrame], None]


class FrameSource:
    """Base class: iterate for frames, then read ``end_reason``; always ``close()``.

    ``on_capture`` (if set) sees every captured frame, dropped ones included, in
    capture order: a recorder hangs here so the recording keeps the full frame rate.
    It runs in the reader thread for cameras and streams and must be quick.
    """

    info: SourceInfo
    clock: Clock

    def __init__(self) -> None:
        self.stats = SourceStats()
        self.end_reason: str | None = None
        self.on_capture: CaptureHook | None = None

    def __iter__(self) -> Iterator[SourceFrame]:
        raise NotImplementedError

    def close(self) -> None:
        return None

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _captured(self, frame: SourceFrame) -> None:
        self.stats.captured += 1
        if self.on_capture is not None:
            self.on_capture(frame)


class FileSource(FrameSource):
    """A clip decoded as fast as possible (every frame delivered, nothing dropped).

    ``captured_s`` is the clock time at which the frame was decoded.
    """

    def __init__(self, path: str | Path, clock: Clock | None = None, prefetch: int = 4) -> None:
        super().__init__()
        self.video = probe(path)
        self.clock = clock or RealClock()
        self.prefetch = prefetch
        self.decode = DecodeLog()
        self.info = SourceInfo(Path(path).name, "file", self.video.fps, self.video.width,
                               self.video.height, live=False)
        self._frames: Iterator[Frame] | None = None

    def __iter__(self) -> Iterator[SourceFrame]:
        self._frames = iter_frames(self.video, prefetch=self.prefetch, stats=self.decode)
        for f in self._frames:
            sf = SourceFrame(f.index, f.time_s, f.rgb, self.clock.now())
            self._captured(sf)
            self.stats.delivered += 1
            yield sf
        self.end_reason = "end of clip"

    def close(self) -> None:
        if self._frames is not None and hasattr(self._frames, "close"):
            self._frames.close()


class PacedFileSource(FileSource):
    """A clip played at its real speed, as if a camera were filming it.

    Frame ``i`` becomes available at ``start + time_s[i]`` on the clock. Each request
    returns the newest available frame; older ones the consumer had no time for are
    dropped. When the consumer is ahead, the request waits (``clock.sleep``) for the
    next frame. Decoding runs ahead in a background thread (``prefetch``), standing in
    for the camera's own capture.
    """

    def __init__(self, path: str | Path, clock: Clock | None = None, prefetch: int = 8,
                 speed: float = 1.0) -> None:
        super().__init__(path, clock, prefetch)
        if speed <= 0:
            raise InputError("the playback speed must be positive")
        self.speed = speed
        self.info = SourceInfo(Path(path).name, "file (real time)", self.video.fps,
                               self.video.width, self.video.height, live=True)

    def __iter__(self) -> Iterator[SourceFrame]:
        self._frames = iter_frames(self.video, prefetch=self.prefetch, stats=self.decode)
        start = self.clock.now()

        def timed(f: Frame) -> SourceFrame:
            return SourceFrame(f.index, f.time_s, f.rgb, start + f.time_s / self.speed)

        frames = iter(self._frames)
        nxt = next(frames, None)  # the first frame not yet handed over nor dropped
        while nxt is not None:
            best = timed(nxt)
            wait = best.captured_s - self.clock.now()
            if wait > 0:
                self.clock.sleep(wait)
            self._captured(best)
            # Newer frames whose time has come too replace it (it is dropped).
            nxt = next(frames, None)
            while nxt is not None and timed(nxt).captured_s <= self.clock.now():
                self.stats.dropped += 1
                best = timed(nxt)
                self._captured(best)
                nxt = next(frames, None)
            self.stats.delivered += 1
            yield best
        self.end_reason = "end of clip"


class LatestFrameSlot:
    """A one-frame mailbox: ``put`` replaces an unread frame (counted as dropped),
    ``get`` waits for a new one. ``finish(reason)`` ends the stream for the reader."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: SourceFrame | None = None
        self._finished: str | None = None
        self.replaced = 0

    def put(self, frame: SourceFrame) -> None:
        """Leave ``frame`` for the reader, replacing (and counting in ``replaced``) an unread one.

        Parameters
        ----------
        frame : SourceFrame
            The newest frame.
        """
        with self._cond:
            if self._frame is not None:
                self.replaced += 1
            self._frame = frame
            self._cond.notify_all()

    def finish(self, reason: str) -> None:
        """End the stream; the first reason given is kept.

        Parameters
        ----------
        reason : str
            Why the stream ended, returned by :meth:`get` once the slot is drained.
        """
        with self._cond:
            if self._finished is None:
                self._finished = reason
            self._cond.notify_all()

    def get(self, timeout: float) -> tuple[SourceFrame | None, str | None]:
        """(frame, None); (None, reason) once finished and drained; (None, None) on timeout.

        Parameters
        ----------
        timeout : float
            The longest wait for a frame, seconds.

        Returns
        -------
        frame : SourceFrame or None
            The newest unread frame, or None.
        reason : str or None
            The finish reason once the stream ended and no frame is left, else None.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._frame is None and self._finished is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None, None
                self._cond.wait(left)
            if self._frame is not None:
                frame, self._frame = self._frame, None
                return frame, None
            return None, self._finished


@dataclass
class _Captured:
    rgb: np.ndarray
    time_s: float | None = None  # the source's own timestamp, when it has one


class ThreadedSource(FrameSource):
    """A live source whose frames arrive by themselves, read in a background thread
    into a :class:`LatestFrameSlot`. Subclasses implement :meth:`_open` and :meth:`_read`.

    The iteration ends cleanly, with ``end_reason`` set, when the device or stream
    ends or fails (``_read`` returns None or raises), or when no frame arrives for
    ``stall_s`` seconds. Always on the real clock (the frames come in real time).
    """

    kind = "live"
    _end_message = "the source ended"

    def __init__(self, name: str, stall_s: float = DEFAULT_STALL_S) -> None:
        super().__init__()
        if stall_s <= 0:
            raise InputError("the stall timeout must be positive")
        self.name = name
        self.stall_s = stall_s
        self.clock = RealClock()
        self._slot = LatestFrameSlot()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._opened = False
        self.info = SourceInfo(name, self.kind, 0.0, 0, 0, live=True)

    # -- to implement
    def _open(self) -> None:
        """Open the device; raise a FormcheckError if it cannot be opened."""

    def _read(self) -> _Captured | None:
        """Block until the next frame; None when the source has ended."""
        raise NotImplementedError

    def _release(self) -> None:
        """Free the device (called from the reader thread when it stops)."""

    # -- machinery
    def open(self) -> None:
        """Open the device (no thread yet): fails early, with a clear error."""
        if not self._opened:
            self._open()
            self._opened = True

    def start(self) -> None:
        """Open the device if needed and start the reader thread."""
        if self._thread is not None:
            return
        self.open()
        self._thread = threading.Thread(target=self._reader, name="formcheck-capture", daemon=True)
        self._thread.start()

    def _reader(self) -> None:
        index = 0
        t0: float | None = None
        src_t0: float | None = None
        reason = self._end_message
        try:
            while not self._stop.is_set():
                cap = self._read()
                if cap is None:
                    break
                now = self.clock.now()
                if t0 is None:
                    t0 = now
                if cap.time_s is not None and math.isfinite(cap.time_s):
                    if src_t0 is None:
                        src_t0 = cap.time_s
                    t = cap.time_s - src_t0
                else:
                    t = now - t0
                frame = SourceFrame(index, float(t), cap.rgb, now)
                index += 1
                self._captured(frame)
                self._slot.put(frame)
        except Exception as exc:  # a device error ends the session, with its reason
            reason = f"{self._end_message} ({type(exc).__name__}: {str(exc).splitlines()[0][:100] if str(exc) else ''})"
            log.debug("capture thread ended", exc_info=True)
        finally:
            self._release()
            self._slot.finish("stopped" if self._stop.is_set() else reason)

    def __iter__(self) -> Iterator[SourceFrame]:
        self.start()
        while True:
            frame, reason = self._slot.get(self.stall_s)
            if frame is None:
                if reason is None:
                    self.end_reason = f"stream stalled: no frame for {self.stall_s:g} s"
                elif reason == "stopped":
                    self.end_reason = "stopped"
                else:
                    self.end_reason = reason
                return
            self.stats.delivered += 1
            self.stats.dropped = self._slot.replaced
            yield frame

    def close(self) -> None:
        self._stop.set()
        if self._thread is None and self._opened:
            self._release()  # opened, never started
        if self._thread is not None:
            # A reader blocked inside a driver call may not return: it is a daemon thread.
            self._thread.join(timeout=2.0)
        self.stats.dropped = self._slot.replaced



class PushSource(FrameSource):
    """Frames pushed in by someone else (a web page sending its camera's frames, a test):
    ``push(rgb, time_s)`` from any thread, ``end(reason)`` when done. The consumer gets
    the newest frame, like any live source, and a source with no new frame for
    ``stall_s`` seconds has stalled."""

    def __init__(self, name: str = "pushed frames", stall_s: float = DEFAULT_STALL_S,
                 fps: float = 0.0) -> None:
        super().__init__()
        self.stall_s = stall_s
        self.clock = RealClock()
        self.info = SourceInfo(name, "pushed", fps, 0, 0, live=True)
        self._slot = LatestFrameSlot()
        self._index = 0
        self._t0 = 0.0
        self._lock = threading.Lock()

    def push(self, rgb: np.ndarray, time_s: float | None = None) -> int:
        """Offer one RGB frame; ``time_s`` is its time from the start (default: the
        clock time since the first frame). Returns the frame's index.

        Parameters
        ----------
        rgb : (h, w, 3) uint8 array
            The frame.
        time_s : float, optional
            Its time from the start, s.

        Returns
        -------
        int
        """
        with self._lock:
            now = self.clock.now()
            if self._index == 0:
                self._t0 = now
            t = float(time_s) if time_s is not None else now - self._t0
            frame = SourceFrame(self._index, t, rgb, now)
            self._index += 1
            self._captured(frame)
        self._slot.put(frame)
        return frame.index

    def end(self, reason: str = "stopped") -> None:
        """End the stream: the iteration stops once the frame waiting, if any, is taken.

        Parameters
        ----------
        reason : str
            Why it ended (the source's ``end_reason``).
        """
        self._slot.finish(reason)

    def __iter__(self) -> Iterator[SourceFrame]:
        while True:
            frame, reason = self._slot.get(self.stall_s)
            self.stats.dropped = self._slot.replaced
            if frame is None:
                self.end_reason = reason or f"stream stalled: no frame for {self.stall_s:g} s"
                return
            self.stats.delivered += 1
            yield frame

    def close(self) -> None:
        self._slot.finish("stopped")

class CameraSource(ThreadedSource):
    """A local camera through OpenCV's ``VideoCapture`` (``--camera 0``)."""

    kind = "camera"
    _end_message = "camera disconnected"

    def __init__(self, index: int, stall_s: float = DEFAULT_STALL_S, width: int | None = None,
                 height: int | None = None) -> None:
        super().__init__(f"camera {index}", stall_s)
        self.index = index
        self._want = (width, height)
        self._cap: Any = None  # cv2.VideoCapture once open
        self._first: np.ndarray | None = None

    def _open(self) -> None:
        import cv2

        cap = cv2.VideoCapture(self.index)
        if not cap.isOpened():
            cap.release()
            raise VideoReadError(f"cannot open camera {self.index} (not connected, or in use)")
        w, h = self._want
        if w:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, w)
        if h:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, h)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # keep the driver's own queue short
        ok, bgr = cap.read()
        if not ok or bgr is None:
            cap.release()
            raise VideoReadError(f"camera {self.index} opened but delivers no picture")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.info = SourceInfo(self.name, self.kind, fps if 0 < fps < 1000 else 0.0,
                               int(bgr.shape[1]), int(bgr.shape[0]), live=True)
        self._first = bgr
        self._cap = cap

    def _read(self) -> _Captured | None:
        import cv2

        if self._first is not None:
            bgr, self._first = self._first, None
        else:
            ok, bgr = self._cap.read()
            if not ok or bgr is None:
                return None
        return _Captured(np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))

    def _release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class StreamSource(ThreadedSource):
    """A network stream (RTSP, HTTP, ...) decoded with PyAV (FFmpeg).

    RTSP is read over TCP (no lost packets turning into grey smears). FFmpeg's own
    read timeout is the stall timeout, so a silent server ends the stream too.
    """

    kind = "stream"
    _end_message = "stream ended"

    def __init__(self, url: str, stall_s: float = DEFAULT_STALL_S, open_timeout_s: float = 10.0) -> None:
        super().__init__(url, stall_s)
        self.url = url
        self.open_timeout_s = open_timeout_s
        self._container: Any = None  # av.container.InputContainer once open
        self._decoded: Iterator | None = None

    def _open(self) -> None:
        import av

        options = {"rtsp_transport": "tcp"} if self.url.lower().startswith("rtsp") else {}
        try:
            container = av.open(self.url, mode="r", options=options,
                                timeout=(self.open_timeout_s, self.stall_s))
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            first = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            raise VideoReadError(f"cannot open stream {self.url}: {first}") from None
        if not container.streams.video:
            container.close()
            raise VideoReadError(f"stream {self.url} holds no video")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else 0.0
        cc = stream.codec_context
        self.info = SourceInfo(self.url, self.kind, fps if 0 < fps < 1000 else 0.0,
                               int(cc.width or 0), int(cc.height or 0), live=True)
        self._container = container
        self._decoded = container.decode(stream)

    def _read(self) -> _Captured | None:
        import av

        assert self._decoded is not None
        try:
            frame = next(self._decoded, None)
        except av.error.FFmpegError as exc:
            raise VideoReadError(str(exc).splitlines()[0][:120]) from None
        if frame is None:
            return None
        return _Captured(rgb24(frame), frame.time)

    def _release(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None


def open_source(*, camera: int | None = None, source: str | Path | None = None,
                url: str | None = None, stall_s: float = DEFAULT_STALL_S,
                clock: Clock | None = None, real_time: bool = True) -> FrameSource:
    """The source the command line asks for: exactly one of ``camera``, ``source``, ``url``.

    ``source`` is played at its real speed unless ``real_time`` is False.

    Parameters
    ----------
    camera : int, optional
        A local camera by number.
    source : str or Path, optional
        A video file.
    url : str, optional
        A network stream.
    stall_s : float
        A camera or stream with no new frame for this long has stalled, s.
    clock : Clock, optional
        The clock pacing a file (default: the wall clock).
    real_time : bool
        Play a file at its real speed.

    Returns
    -------
    FrameSource

    Raises
    ------
    InputError
        Not exactly one of ``camera``, ``source``, ``url``.
    """
    given = [x is not None for x in (camera, source, url)]
    if sum(given) != 1:
        raise InputError("give exactly one of --camera, --source or --url")
    if camera is not None:
        return CameraSource(camera, stall_s)
    if url is not None:
        return StreamSource(url, stall_s)
    assert source is not None
    return PacedFileSource(source, clock) if real_time else FileSource(source, clock)
