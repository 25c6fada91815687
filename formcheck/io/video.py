"""Reading clips: probing, validation and a streaming frame generator.

Frames are decoded with PyAV (FFmpeg's libraries). Packets that fail to decode (a
damaged stretch in the middle of a file) are skipped and counted rather than ending
the clip, and FFmpeg's own log lines are kept off the terminal. The rotation stored
by phones (the display matrix) is applied, so every frame is delivered upright, as a
viewer sees it. Frames are streamed one at a time, never all held in memory;
decoding can run in a background thread (``prefetch``) so it overlaps with pose
inference in the main thread.
"""

from __future__ import annotations

import datetime
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np

from formcheck.errors import InputError, VideoReadError
from formcheck.model.results import DecodeStats, VideoMeta

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".3gp")

#: Clockwise rotation (degrees) -> cv2.rotate code.
_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
#: Prefetched frames are bounded by bytes as well as by count (4K frames are 25 MB).
PREFETCH_BYTES = 96 * 1024 * 1024


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its index, time in seconds, and RGB pixels (H, W, 3) uint8."""

    index: int
    time_s: float
    rgb: np.ndarray


@dataclass
class DecodeLog:
    """What the decoder met while reading a clip, counted as it goes: :meth:`record` is
    the summary's data-quality section."""

    frames: int = 0
    bad_packets: int = 0
    errors: list[str] = field(default_factory=list)
    #: per decoded frame, in order: how much it differs from the frame before
    #: (:func:`frame_change`; NaN for the first frame of a decode)
    change: list[float] = field(default_factory=list)

    def record(self, frames_stated: int) -> DecodeStats:
        """The summary's ``decode`` record, for a file that states ``frames_stated`` frames.

        Parameters
        ----------
        frames_stated : int
            The frame count the file states.

        Returns
        -------
        DecodeStats
            Frames decoded and stated, bad packets and decoder errors.
        """
        return DecodeStats(frames_decoded=self.frames, frames_stated=frames_stated,
                           bad_packets=self.bad_packets, errors=self.errors)


#: Size of the grey thumbnail that :func:`frame_change` compares (width, height).
THUMB_SIZE = (32, 18)


def thumbnail(rgb: np.ndarray) -> np.ndarray:
    """A small grey version of the frame (float32, 0-255), averaged over pixel areas.

    Parameters
    ----------
    rgb : numpy.ndarray
        (height, width, 3) RGB frame.

    Returns
    -------
    numpy.ndarray
        (18, 32) float32 grey levels (:data:`THUMB_SIZE`).
    """
    small = cv2.resize(rgb, THUMB_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)
    return np.asarray(small.mean(axis=2))


#: 8-bit pixel formats whose first plane is the frame's luma (grey) at full size.
_LUMA_FORMATS = {"yuv420p": False, "yuv422p": False, "yuv444p": False, "nv12": False, "nv21": False,
                 "yuvj420p": True, "yuvj422p": True, "yuvj444p": True}


def luma_thumbnail(frame: av.VideoFrame) -> np.ndarray | None:
    """:func:`thumbnail` read from the decoder's own luma plane, before any colour
    conversion (a third of the pixels, and no copy), or None for a pixel format without
    an 8-bit luma plane. Limited-range luma (16-235) is stretched to 0-255 so that grey
    level differences read on the same scale as :func:`thumbnail`'s. Not rotated: only
    differences between frames of one clip are compared, and they do not depend on the
    orientation.

    Parameters
    ----------
    frame : av.VideoFrame
        A decoded frame.

    Returns
    -------
    numpy.ndarray or None
        (18, 32) float32 grey levels, 0-255 scale; None for a pixel format without an
        8-bit luma plane.
    """
    full = _LUMA_FORMATS.get(frame.format.name)
    if full is None:
        return None
    plane = frame.planes[0]
    luma = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)[:, :plane.width]
    small = _area_shrink(luma).astype(np.float32)
    return small if full else (small - np.float32(16.0)) * np.float32(255.0 / 219.0)


def _area_shrink(grey: np.ndarray) -> np.ndarray:
    """``cv2.resize(grey, THUMB_SIZE, interpolation=cv2.INTER_AREA)`` for a uint8 image,
    the same numbers. Where the size is a whole multiple (at least 3) of
    :data:`THUMB_SIZE` (1280x720, 1920x1080, 3840x2160, ...) OpenCV averages whole blocks:
    the block sums here are exact integers and the rounding is OpenCV's (the sum times
    ``float32(1 / area)``, rounded half to even), at a third to a fifth of its CPU time
    (2.6 -> 0.5 ms a 1080p frame). Other sizes go to OpenCV."""
    tw, th = THUMB_SIZE
    h, w = grey.shape
    fx, fy = w // tw, h // th
    if w % tw or h % th or fx < 3 or fy < 3:
        return np.asarray(cv2.resize(grey, THUMB_SIZE, interpolation=cv2.INTER_AREA))
    acc = np.uint16 if fy * 255 <= np.iinfo(np.uint16).max else np.uint32
    sums = grey.reshape(th, fy, w).sum(axis=1, dtype=acc).reshape(th, tw, fx).sum(axis=2, dtype=np.uint32)
    return np.rint(sums.astype(np.float32) * np.float32(1.0 / (fx * fy))).astype(np.uint8)


def frame_change(prev: np.ndarray | None, thumb: np.ndarray) -> float:
    """Mean absolute difference (grey levels, 0-255) between two thumbnails; NaN with no
    previous frame. A repeated frame (a paused player, a duplicate inserted to turn 24p
    into 30p) differs only by compression noise, which the area averaging shrinks to a
    small fraction of a grey level.

    Parameters
    ----------
    prev : array or None
        The previous frame's grey thumbnail.
    thumb : array
        This frame's grey thumbnail (same shape).

    Returns
    -------
    float
    """
    if prev is None:
        return float("nan")
    return float(np.mean(np.abs(thumb - prev)))


def check_input(path: str | Path) -> Path:
    """Validate that ``path`` names a readable, non-empty file; return it.

    Parameters
    ----------
    path : str or Path
        The clip (``~`` expanded).

    Returns
    -------
    Path

    Raises
    ------
    InputError
        Missing, a folder, or unreadable.
    VideoReadError
        Empty (0 bytes).
    """
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


def _open(path: Path) -> av.container.InputContainer:
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError):
        raise VideoReadError(f"cannot open {path.name}: not a video file, or damaged") from None
    if not container.streams.video:
        container.close()
        raise VideoReadError(f"{path.name} holds no video stream")
    return container


def _rotation_cw(frame: av.VideoFrame) -> int:
    """Clockwise rotation that makes the frame upright (from the display matrix)."""
    rot = int(round(getattr(frame, "rotation", 0) or 0))
    return (-rot) % 360


def probe(path: str | Path) -> VideoMeta:
    """Read a clip's size, frame rate and frame count; fail clearly if it is not a video.

    The frame count is what the container states (or, when it states none, the number
    of video packets); :func:`iter_frames` reports what actually decodes.

    Parameters
    ----------
    path : str or Path
        The clip.

    Returns
    -------
    VideoMeta
        As displayed (rotation applied to width and height).

    Raises
    ------
    InputError, VideoReadError
        Not a readable file, or not a video that decodes.
    """
    p = check_input(path)
    container = _open(p)
    try:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        if not np.isfinite(fps) or fps <= 0 or fps > 1000:
            log.warning("%s: the container gives no usable frame rate; assuming 30 fps", p.name)
            fps = 30.0
        try:
            first = next(iter(container.decode(stream)), None)
        except av.error.FFmpegError:
            first = None
        if first is None:
            raise VideoReadError(f"{p.name}: no decodable video frame (damaged, or not a video)")
        rotation = _rotation_cw(first)
        width, height = first.width, first.height
        if rotation in (90, 270):
            width, height = height, width
        frames = int(stream.frames or 0)
        codec = stream.codec_context.name or ""
    finally:
        container.close()
    if frames <= 0:
        frames = count_packets(p)
    return VideoMeta(str(p), fps, frames, int(width), int(height), rotation, codec)


def count_packets(path: Path) -> int:
    """Number of video packets (about one per frame), without decoding.

    Parameters
    ----------
    path : Path
        The video file.

    Returns
    -------
    int
        The number of non-empty video packets; 0 when demuxing fails.

    Raises
    ------
    VideoReadError
        The file cannot be opened as a video or holds no video stream.
    """
    container = _open(path)
    try:
        stream = container.streams.video[0]
        return sum(1 for pkt in container.demux(stream) if pkt.size)
    except av.error.FFmpegError:
        return 0
    finally:
        container.close()


#: Whether this PyAV's reformatter takes ``threads`` (17 and later); cleared on the first
#: TypeError from an older one.
_SWS_THREADS_ARG: list[bool] = [True]


def rgb24(frame: av.VideoFrame) -> np.ndarray:
    """The frame as RGB (h, w, 3) uint8, converted by FFmpeg's swscale in this thread.

    By default PyAV 17+ converts with ``threads=0`` (swscale's choice: two workers on two
    cores) and starts those workers afresh for every frame: two thread starts a frame, and
    2.5 to 4 times the CPU time of one thread for the same pixels (0.34 -> 0.10 CPU s for
    200 720p frames, 0.50 -> 0.18 for 93 1080p ones). The pixels do not depend on the
    thread count (checked bit for bit on 8-bit and 10-bit 4:2:0, 4:2:2, 4:4:4, NV12, full
    and limited range, odd sizes up to 4K). Each frame is converted in the thread that
    decoded it, which runs beside the landmarkers: one thread is enough.

    Parameters
    ----------
    frame : av.VideoFrame
        A decoded frame in any pixel format swscale reads.

    Returns
    -------
    numpy.ndarray
        (h, w, 3) uint8, RGB.
    """
    if _SWS_THREADS_ARG[0]:
        try:
            return np.asarray(frame.to_ndarray(format="rgb24", threads=1))
        except TypeError:  # PyAV < 17: no threads argument, and no threaded conversion
            _SWS_THREADS_ARG[0] = False
    return np.asarray(frame.to_ndarray(format="rgb24"))


def turned(info: VideoMeta, turn: int) -> VideoMeta:
    """``info`` with every frame turned ``turn`` deg more clockwise (a multiple of 90):
    for a clip stored sideways or upside down without a rotation that says so.

    Parameters
    ----------
    info : VideoMeta
        The clip (:func:`probe`).
    turn : int
        Clockwise degrees, a multiple of 90.

    Returns
    -------
    VideoMeta
        Its ``turn`` added to, width and height swapped for a quarter turn.
    """
    if turn % 90:
        raise ValueError(f"a turn is a multiple of 90 deg, not {turn}")
    quarter = turn % 180 == 90
    return info.replace(turn=(info.turn + turn) % 360, width=info.height if quarter else info.width,
                        height=info.width if quarter else info.height)


def _rotation(frame: av.VideoFrame, info: VideoMeta) -> int:
    """Clockwise rotation that makes ``frame`` upright: the file's, and formcheck's turn."""
    return (_rotation_cw(frame) + info.turn) % 360


def _upright_rgb(frame: av.VideoFrame, info: VideoMeta) -> np.ndarray:
    rgb = rgb24(frame)
    rot = _rotation(frame, info)
    if rot in _ROTATE:
        rgb = np.asarray(cv2.rotate(rgb, _ROTATE[rot]))
    if rgb.shape[1] != info.width or rgb.shape[0] != info.height:
        rgb = np.asarray(cv2.resize(rgb, (info.width, info.height), interpolation=cv2.INTER_AREA))
    return rgb


def _upright_i420(frame: av.VideoFrame, info: VideoMeta) -> np.ndarray:
    """The frame upright as I420 (see :func:`iter_i420`)."""
    w, h = info.width - info.width % 2, info.height - info.height % 2
    rot = _rotation(frame, info)
    fw, fh = (frame.height, frame.width) if rot in (90, 270) else (frame.width, frame.height)
    if (frame.format.name == "yuv420p" and frame.color_range != 2  # 2: full ("JPEG") range
            and frame.width % 2 == 0 and frame.height % 2 == 0 and (fw, fh) == (w, h)):
        yuv: np.ndarray = frame.to_ndarray(format="yuv420p")  # the decoder's samples, copied
        if rot not in _ROTATE:
            return yuv
        n, q = frame.width * frame.height, frame.width * frame.height // 4
        flat = yuv.reshape(-1)
        planes = (flat[:n].reshape(frame.height, frame.width),
                  flat[n:n + q].reshape(frame.height // 2, frame.width // 2),
                  flat[n + q:].reshape(frame.height // 2, frame.width // 2))
        return np.concatenate([cv2.rotate(pl, _ROTATE[rot]).reshape(-1) for pl in planes]).reshape(h * 3 // 2, w)
    rgb = np.ascontiguousarray(_upright_rgb(frame, info)[:h, :w])
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420))


def _decode(info: VideoMeta, stats: DecodeLog | None = None, start_s: float | None = None,
            end_s: float | None = None,
            convert: Callable[[av.VideoFrame, VideoMeta], np.ndarray] = _upright_rgb) -> Iterator[Frame]:
    """Decode frames with ``start_s <= time < end_s`` (the whole clip by default).

    Frame indices count from the first frame yielded; ``convert`` makes each frame's
    pixels (upright RGB by default)."""
    path = Path(info.path)
    track = stats is not None  # measure frame changes only for a caller who keeps them
    stats = stats if stats is not None else DecodeLog()
    prev_thumb: np.ndarray | None = None
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        index = 0
        last_t = -1.0
        step = 1.0 / info.fps
        if start_s is not None and start_s > 0 and stream.time_base:
            container.seek(int(start_s / stream.time_base), stream=stream, backward=True)
        for packet in container.demux(stream):
            try:
                decoded = packet.decode()
            except av.error.FFmpegError as exc:
                stats.bad_packets += 1
                msg = str(exc).splitlines()[0][:120]
                if len(stats.errors) < 5 and msg not in stats.errors:
                    stats.errors.append(msg)
                continue
            for frame in decoded:
                t = frame.time
                # Timestamps can be missing, repeat or go backwards: keep them increasing.
                if t is None or not np.isfinite(t) or t <= last_t:
                    t = last_t + step if last_t >= 0 else index * step
                last_t = t
                if start_s is not None and t < start_s:
                    continue
                if end_s is not None and t >= end_s:
                    return
                if track:
                    thumb = luma_thumbnail(frame)
                rgb = convert(frame, info)
                if track:
                    thumb = thumb if thumb is not None else thumbnail(rgb)
                    stats.change.append(frame_change(prev_thumb, thumb))
                    prev_thumb = thumb
                stats.frames += 1
                yield Frame(index, float(t), rgb)
                index += 1
    finally:
        container.close()


_END = object()


def iter_frames(info: VideoMeta, prefetch: int = 0, stats: DecodeLog | None = None,
                start_s: float | None = None, end_s: float | None = None,
                _convert: Callable[[av.VideoFrame, VideoMeta], np.ndarray] = _upright_rgb) -> Iterator[Frame]:
    """Yield the clip's frames (or those with ``start_s <= time < end_s``) in order as
    upright RGB arrays.

    With ``prefetch > 0`` decoding runs in a background thread that stays up to
    ``prefetch`` frames ahead (fewer for large frames; memory stays bounded).

    Parameters
    ----------
    info : VideoMeta
        The clip (:func:`probe`).
    prefetch : int
        Frames decoded ahead in a background thread (0: decode in this thread).
    stats : DecodeStats, optional
        Filled with what decoded and what did not.
    start_s, end_s : float, optional
        The time range, s.

    Yields
    ------
    Frame
    """
    if prefetch <= 0:
        yield from _decode(info, stats, start_s, end_s, _convert)
        return
    frame_bytes = max(1, info.width * info.height * 3)
    depth = max(2, min(prefetch, PREFETCH_BYTES // frame_bytes))
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def worker() -> None:
        try:
            for frame in _decode(info, stats, start_s, end_s, _convert):
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


def iter_i420(info: VideoMeta, prefetch: int = 0) -> Iterator[np.ndarray]:
    """Yield the clip's frames in order, upright, as I420 (planar YUV 4:2:0) arrays.

    For re-encoding (the annotated video) without colour conversions: a plain 8-bit
    limited-range yuv420p frame (nearly every camera and phone clip) is the decoder's own
    samples, copied (its rotation applied plane by plane); any other frame is converted
    from RGB by OpenCV (BT.601).

    Parameters
    ----------
    info : VideoMeta
        The clip (:func:`probe`).
    prefetch : int
        Frames decoded ahead in a background thread (0: decode in this thread).

    Yields
    ------
    numpy.ndarray
        (H * 3 / 2, W) uint8: the Y plane (H, W), then U and V (H/2 x W/2 each) packed;
        W and H are the upright size, cropped to even.
    """
    for frame in iter_frames(info, prefetch, _convert=_upright_i420):
        yield frame.rgb  # the pixels ``_upright_i420`` made


def read_frames(info: VideoMeta, indices: list[int],
                times: dict[int, float] | None = None) -> dict[int, np.ndarray]:
    """Return a few frames (upright RGB) by index, for the report's stills.

    Each is found by seeking to the key frame before it and decoding forward to the
    frame at its time (``times[index]``, or ``index / fps``); frames that cannot be
    decoded are left out.

    Parameters
    ----------
    info : VideoMeta
        The clip (:func:`probe`).
    indices : list of int
        Frame indices.
    times : dict of int to float, optional
        Frame index -> its time, s (default ``index / fps``).

    Returns
    -------
    dict of int to array
        Index -> (h, w, 3) uint8 RGB.
    """
    out: dict[int, np.ndarray] = {}
    for index in sorted(set(indices)):
        target = (times or {}).get(index, index / info.fps)
        container = _open(Path(info.path))
        try:
            stream = container.streams.video[0]
            if stream.time_base and target > 0:
                container.seek(int(target / stream.time_base), stream=stream, backward=True)
            for packet in container.demux(stream):
                try:
                    decoded = packet.decode()
                except av.error.FFmpegError:
                    continue
                frame = next((f for f in decoded if f.time is None or f.time >= target - 0.5 / info.fps),
                             None)
                if frame is not None:
                    out[index] = _upright_rgb(frame, info)
                    break
        except av.error.FFmpegError:
            pass
        finally:
            container.close()
    return out


def read_frame(info: VideoMeta, index: int) -> np.ndarray | None:
    """Return one frame (upright RGB) by index, or None if it cannot be read.

    Parameters
    ----------
    info : VideoMeta
        The clip (its path, size and rotation).
    index : int
        0-based frame index.

    Returns
    -------
    numpy.ndarray or None
        (height, width, 3) uint8 RGB frame, upright; None when it cannot be read.
    """
    return read_frames(info, [index]).get(index)


def creation_time(path: str | Path) -> datetime.datetime | None:
    """When the clip was recorded, from the container's ``creation_time`` tag (UTC).

    Phones and cameras write it into the MP4/MOV header (format or video-stream
    metadata, ISO 8601, e.g. ``2026-03-01T07:12:44.000000Z``). Returns an aware UTC
    datetime, or None when the file cannot be opened, has no tag, or the tag is the
    MP4 "zero" date (1904 or 1970), which tools write when they know no date.

    Parameters
    ----------
    path : str or Path
        The clip.

    Returns
    -------
    datetime.datetime or None
    """
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError):
        return None
    try:
        tags = [dict(container.metadata)]
        tags += [dict(st.metadata) for st in container.streams.video]
    finally:
        container.close()
    for tag in tags:
        text = str(tag.get("creation_time") or "").strip()
        if not text:
            continue
        try:
            when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            log.debug("%s: unreadable creation_time %r", path, text)
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        if when.year > 1970:
            return when.astimezone(datetime.UTC)
    return None
