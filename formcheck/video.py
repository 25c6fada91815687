"""Reading clips: probing, validation and a streaming frame generator.

Frames are decoded with OpenCV (FFmpeg backend), which applies the rotation
metadata of phone clips, so every frame is delivered upright, as a viewer sees
it. Frames are streamed one at a time, never all held in memory. Decoding can run
in a background thread (:func:`iter_frames` with ``prefetch``) so that it overlaps
with pose inference, which keeps the main thread busy.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .errors import InputError, VideoReadError
from .posedata import VideoInfo

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".3gp")


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its index, time in seconds, and RGB pixels (H, W, 3) uint8."""

    index: int
    time_s: float
    rgb: np.ndarray


_LOGS_QUIETED = False


def _quiet_decoder_logs() -> None:
    """FFmpeg and OpenCV print warnings (e.g. 'moov atom not found') straight to stderr;
    formcheck reports problems itself, in one line. A user's own settings of these
    variables are respected."""
    global _LOGS_QUIETED
    if _LOGS_QUIETED:
        return
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    if os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR") == "ERROR":
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    _LOGS_QUIETED = True


def _open(path: Path) -> cv2.VideoCapture:
    _quiet_decoder_logs()
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        raise VideoReadError(f"cannot open {path.name}: not a video file, or a format FFmpeg cannot read")
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return cap


def check_input(path: str | Path) -> Path:
    """Validate that ``path`` names a readable, non-empty file; return it resolved."""
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(f"no such file: {p}")
    if p.is_dir():
        raise InputError(f"{p} is a folder, not a video file (use 'formcheck batch' for folders)")
    try:
        size = p.stat().st_size
        with p.open("rb"):
            pass
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror or exc}") from None
    if size == 0:
        raise VideoReadError(f"{p.name} is empty (0 bytes)")
    return p


def probe(path: str | Path) -> VideoInfo:
    """Read a clip's size, frame rate and frame count; fail clearly if it is not a video.

    The frame count is what the container claims; :func:`iter_frames` reports what
    actually decodes, which can be a few frames fewer.
    """
    p = check_input(path)
    cap = _open(p)
    try:
        ok, frame = cap.read()
        if not ok or frame is None:
            raise VideoReadError(f"{p.name}: no decodable video frame (corrupt or not a video)")
        height, width = frame.shape[:2]
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        if not np.isfinite(fps) or fps <= 0 or fps > 1000:
            log.warning("%s: container gives no usable frame rate; assuming 30 fps", p.name)
            fps = 30.0
        frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        rotation = int(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0)
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC) or 0)
        codec = "".join(chr((fourcc >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ")
    finally:
        cap.release()
    if frames <= 0:
        frames = count_frames(p)
    return VideoInfo(str(p), fps, frames, int(width), int(height), rotation, codec)


def count_frames(path: Path) -> int:
    """Count frames by decoding (for containers that do not state a count)."""
    cap = _open(path)
    n = 0
    try:
        while cap.grab():
            n += 1
    finally:
        cap.release()
    return n


def _decode(path: Path, fps: float) -> Iterator[Frame]:
    cap = _open(path)
    try:
        index = 0
        last_t = -1.0
        while True:
            ok, bgr = cap.read()
            if not ok or bgr is None:
                break
            # Container timestamps can repeat or go backwards; fall back to index/fps then.
            t = float(cap.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0
            if not np.isfinite(t) or t <= last_t:
                t = index / fps if index / fps > last_t else last_t + 1.0 / fps
            last_t = t
            yield Frame(index, t, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            index += 1
    finally:
        cap.release()


_END = object()


def iter_frames(info: VideoInfo, prefetch: int = 0) -> Iterator[Frame]:
    """Yield the clip's frames in order as RGB arrays.

    With ``prefetch > 0`` decoding and colour conversion run in a background thread
    that stays up to ``prefetch`` frames ahead (bounded memory).
    """
    path = Path(info.path)
    if prefetch <= 0:
        yield from _decode(path, info.fps)
        return

    q: queue.Queue[object] = queue.Queue(maxsize=prefetch)
    stop = threading.Event()

    def worker() -> None:
        try:
            for frame in _decode(path, info.fps):
                while not stop.is_set():
                    try:
                        q.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_END)
        except BaseException as exc:  # hand decoder errors to the consumer
            q.put(exc)

    thread = threading.Thread(target=worker, name="formcheck-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, Frame)
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def read_frame(info: VideoInfo, index: int) -> np.ndarray | None:
    """Return one frame (RGB) by index, or None if it cannot be read."""
    cap = _open(Path(info.path))
    try:
        if index > 0:
            cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, bgr = cap.read()
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if ok and bgr is not None else None
    finally:
        cap.release()
