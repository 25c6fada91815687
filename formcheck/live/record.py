"""Recording a live session: every captured frame to an H.264 MP4, and the landmarks.

The video gets every frame the source captured, dropped ones included, with its
capture time as its timestamp (millisecond time base), so ``formcheck analyze
DIR/live.mp4`` later analyses the whole session at the camera's frame rate. Encoding
runs in its own thread behind a bounded queue, so a slow encoder never delays a cue;
frames the queue has no room for are left out of the recording and counted. x264's
fastest preset on one thread keeps the encoder's share of the CPU small (the file is
larger than it needs to be; re-encode it to archive).

The folder is written so that a session cut short still leaves valid files: the MP4
is written under a temporary name and renamed once its container is closed
(``close()`` runs on every way out: the end of a clip, a disconnect, a stall, Ctrl-C).
Files: ``live.mp4``, ``landmarks.npz`` (the processed frames' smoothed landmarks in
pixels, the ones the cues were computed from, in the
:class:`~formcheck.model.pose.PoseSeries` layout, plus ``frame_index`` into the video
and ``captured_s``), ``cues.json`` and ``session.json`` (the session summary).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.errors import OutputError
from formcheck.io.sources import SourceFrame
from formcheck.model.pose import PoseSeries
from formcheck.model.results import VideoMeta
from formcheck.model.skeleton import DEFAULT, Skeleton

log = logging.getLogger(__name__)

VIDEO_NAME = "live.mp4"
_STOP = object()


class SessionRecorder:
    """Record a session into ``folder`` (created if needed; existing recordings in it
    are refused rather than overwritten)."""

    def __init__(self, folder: str | Path, fps: float = 30.0, queue_s: float = 4.0,
                 crf: int = 23, preset: str = "ultrafast") -> None:
        self.folder = Path(folder).expanduser()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {self.folder}: {exc.strerror or exc}") from None
        if (self.folder / VIDEO_NAME).exists():
            raise OutputError(f"{self.folder / VIDEO_NAME} exists already; choose another --record folder")
        self.fps = fps if fps > 0 else 30.0
        self.crf, self.preset = crf, preset
        self._tmp = self.folder / f".{VIDEO_NAME}.part"
        self._q: queue.Queue[Any] = queue.Queue(maxsize=max(8, int(queue_s * self.fps)))
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.frames_written = 0
        self.frames_lost = 0
        self._t0: float | None = None
        self._size: tuple[int, int] | None = None
        self._poses: list[tuple[float, int, float, np.ndarray, np.ndarray]] = []
        self._skeleton = DEFAULT  # the points of the landmarks kept (the pose backend's)
        self._closed = False

    # -- video
    def add_frame(self, frame: SourceFrame) -> None:
        """Queue a captured frame for the video (never blocks; a full queue loses it)."""
        if self._closed:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._encode, name="formcheck-record", daemon=True)
            self._thread.start()
        try:
            self._q.put_nowait(frame)
        except queue.Full:
            self.frames_lost += 1

    def _encode(self) -> None:
        import av

        container = None
        try:
            container = av.open(str(self._tmp), mode="w", format="mp4")
            stream = None
            last_pts = -1
            while True:
                item = self._q.get()
                if item is _STOP:
                    break
                rgb = item.rgb
                h, w = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2  # yuv420p wants even sizes
                if stream is None:
                    stream = container.add_stream("libx264", rate=Fraction(self.fps).limit_denominator(1001))
                    stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
                    stream.time_base = Fraction(1, 1000)
                    stream.codec_context.time_base = Fraction(1, 1000)
                    # One encoder thread: the recording must not take the pose model's core.
                    stream.options = {"crf": str(self.crf), "preset": self.preset, "threads": "1"}
                    self._size = (w, h)
                if (w, h) != self._size:
                    continue  # a camera that changes size mid-session: keep the first size
                vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:h, :w]), format="rgb24")
                pts = max(int(round(item.time_s * 1000.0)), last_pts + 1)
                last_pts = pts
                vf.pts, vf.time_base = pts, Fraction(1, 1000)
                for packet in stream.encode(vf):
                    container.mux(packet)
                self.frames_written += 1
            if stream is not None:
                for packet in stream.encode():
                    container.mux(packet)
        except BaseException as exc:  # reported by close()
            self._error = exc
            while True:  # keep draining so add_frame never blocks on a dead encoder
                try:
                    if self._q.get(timeout=0.5) is _STOP:
                        break
                except queue.Empty:
                    break
        finally:
            if container is not None:
                container.close()

    # -- landmarks
    def add_pose(self, time_s: float, index: int, captured_s: float, xy: np.ndarray | None,
                 visibility: np.ndarray | None, skeleton: Skeleton = DEFAULT) -> None:
        """Keep one processed frame's landmarks (pixels, the points of ``skeleton``) for
        ``landmarks.npz``."""
        self._skeleton = skeleton
        if xy is None:
            xy = np.full((skeleton.n, 2), np.nan)
            visibility = np.zeros(skeleton.n)
        assert visibility is not None
        self._poses.append((time_s, index, captured_s, np.asarray(xy, np.float32),
                            np.asarray(visibility, np.float32)))

    # -- finish
    def close(self, session: dict[str, Any] | None = None, cues: list[dict] | None = None) -> Path | None:
        """Finish the video (flush, close the container, rename) and write the other
        files. Returns the video's path, or None when no frame was recorded."""
        if self._closed:
            return None
        self._closed = True
        if self._thread is not None:
            while True:
                try:
                    self._q.put(_STOP, timeout=1.0)
                    break
                except queue.Full:
                    if not self._thread.is_alive():
                        break
            self._thread.join()
        if self._error is not None:
            self._tmp.unlink(missing_ok=True)
            raise OutputError(f"recording failed: {self._error}") from None
        video = None
        if self.frames_written:
            video = self.folder / VIDEO_NAME
            self._tmp.replace(video)
        else:
            self._tmp.unlink(missing_ok=True)
        self._write_landmarks(video)
        (self.folder / "cues.json").write_text(json.dumps(cues or [], indent=2) + "\n")
        info = dict(session or {})
        info.update({"video": VIDEO_NAME if video else None, "frames_recorded": self.frames_written,
                     "frames_not_recorded": self.frames_lost})
        (self.folder / "session.json").write_text(json.dumps(info, indent=2) + "\n")
        return video

    def _write_landmarks(self, video: Path | None) -> None:
        n = len(self._poses)
        w, h = self._size or (0, 0)
        info = VideoMeta(str(video or ""), self.fps, self.frames_written, w, h)
        series = PoseSeries.empty(n, info, self._skeleton)
        if n:
            series.t = np.array([p[0] for p in self._poses], np.float64)
            series.xy = np.stack([p[3] for p in self._poses])
            series.visibility = np.stack([p[4] for p in self._poses])
        series.selection = {"method": "live: the single pose the tracker follows"}
        tmp = self.folder / ".landmarks.npz.part"
        with tmp.open("wb") as fh:
            np.savez_compressed(
                fh, t=series.t, xy=series.xy, z=series.z, visibility=series.visibility,
                world=series.world, video=json.dumps(info.model_dump()),
                selection=json.dumps(series.selection),
                frame_index=np.array([p[1] for p in self._poses], np.int64),
                captured_s=np.array([p[2] for p in self._poses], np.float64))
        tmp.replace(self.folder / "landmarks.npz")
