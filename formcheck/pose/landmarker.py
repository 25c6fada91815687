"""Pose extraction with MediaPipe's Pose Landmarker (the only module importing mediapipe).

Design
------
* VIDEO running mode, one landmarker per clip (it keeps tracking state), closed
  explicitly, with strictly increasing integer millisecond timestamps.
* One streaming pass. A census every 2 s (IMAGE mode, up to ``MAX_PEOPLE`` poses,
  on the frame already decoded) counts the people in view. While it sees one person
  the clip is tracked with ``num_poses=1`` (fastest); once it sees several, every
  frame keeps up to two candidate poses and :mod:`formcheck.pose.selection` links them
  into tracks and picks the runner afterwards.
* Landmarks are converted to pixels of the upright frame here, once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from formcheck.errors import ModelError
from formcheck.io.video import DecodeStats, Frame, iter_frames
from formcheck.model.capture import ModelInfo
from formcheck.model.pose import N_LANDMARKS, VideoInfo, centre_scale

log = logging.getLogger(__name__)

MAX_PEOPLE = 3  # the census counts up to this many people in a frame
MULTI_POSES = 2  # poses tracked per frame once a census has seen several people
CENSUS_EVERY_S = 2.0
#: Clips shorter than this per segment are not split (a fresh detection per segment).
MIN_SEGMENT_S = 3.0


def _create(model: ModelInfo, video_mode: bool, num_poses: int):  # -> vision.PoseLandmarker
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model.path)),
        running_mode=vision.RunningMode.VIDEO if video_mode else vision.RunningMode.IMAGE,
        num_poses=num_poses,
        min_pose_detection_confidence=0.5,
        min_pose_presence_confidence=0.5,
        min_tracking_confidence=0.5,
    )
    try:
        return vision.PoseLandmarker.create_from_options(options)
    except (RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"cannot load pose model {model.name}: {first}") from None


@dataclass
class Candidates:
    """Up to ``P`` candidate poses per frame, as dense arrays (NaN where absent).

    xy (n, P, 33, 2) px; z (n, P, 33) px; vis (n, P, 33); world (n, P, 33, 3) m;
    t (n,) s. ``count[i]`` is how many poses frame ``i`` holds.
    """

    t: np.ndarray
    xy: np.ndarray
    z: np.ndarray
    vis: np.ndarray
    world: np.ndarray
    count: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.t.shape[0])


class _Growable:
    def __init__(self, n: int, p: int) -> None:
        self.p = p
        self.n = 0
        self._alloc(max(n, 16))

    arrays: dict[str, np.ndarray]

    def _alloc(self, cap: int) -> None:
        old = getattr(self, "arrays", None)
        p = self.p
        new: dict[str, np.ndarray] = {
            "t": np.zeros(cap, np.float64),
            "xy": np.full((cap, p, N_LANDMARKS, 2), np.nan, np.float32),
            "z": np.full((cap, p, N_LANDMARKS), np.nan, np.float32),
            "vis": np.zeros((cap, p, N_LANDMARKS), np.float32),
            "world": np.full((cap, p, N_LANDMARKS, 3), np.nan, np.float32),
            "count": np.zeros(cap, np.int8),
        }
        if old is not None:
            for k, v in old.items():
                new[k][: self.n] = v[: self.n]
        self.arrays = new

    def row(self) -> int:
        if self.n == self.arrays["t"].shape[0]:
            self._alloc(self.n * 2)
        self.n += 1
        return self.n - 1

    def finish(self) -> Candidates:
        a = {k: v[: self.n].copy() for k, v in self.arrays.items()}
        return Candidates(a["t"], a["xy"], a["z"], a["vis"], a["world"], a["count"])


def _fill(arrays: dict[str, np.ndarray], i: int, result, width: int, height: int) -> int:
    poses = result.pose_landmarks or []
    worlds = result.pose_world_landmarks or []
    p_max = arrays["xy"].shape[1]
    k = 0
    for k, pose in enumerate(poses[:p_max]):
        pts = np.array([(lm.x, lm.y, lm.z, lm.visibility or 0.0) for lm in pose], np.float32)
        arrays["xy"][i, k, :, 0] = pts[:, 0] * width
        arrays["xy"][i, k, :, 1] = pts[:, 1] * height
        arrays["z"][i, k] = pts[:, 2] * width
        arrays["vis"][i, k] = pts[:, 3]
        if k < len(worlds):
            arrays["world"][i, k] = np.array([(w.x, w.y, w.z) for w in worlds[k]], np.float32)
    n = min(len(poses), p_max)
    arrays["count"][i] = n
    return n


def _same_person(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two poses (33, 2) in pixels are the same person: shoulder-hip centres
    closer than half a torso length."""
    ca, sa = centre_scale(np.asarray(a, float))
    cb, sb = centre_scale(np.asarray(b, float))
    if not (np.all(np.isfinite(ca)) and np.all(np.isfinite(cb))):
        return True
    return float(np.hypot(*(ca - cb))) < 0.5 * max(sa, sb, 1.0)


def _mp_image(rgb: np.ndarray):
    import mediapipe as mp

    if not rgb.flags["C_CONTIGUOUS"]:
        rgb = np.ascontiguousarray(rgb)
    return mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)


class _SharedCounter:
    """The census landmarker (IMAGE mode, up to ``MAX_PEOPLE`` poses), shared by the
    segment threads behind a lock: it is used once every few seconds, and one copy of
    the model saves about 100 MB over one per thread."""

    def __init__(self, model: ModelInfo) -> None:
        self._landmarker = _create(model, video_mode=False, num_poses=MAX_PEOPLE)
        self._lock = threading.Lock()

    def detect(self, image) -> list:
        with self._lock:
            return self._landmarker.detect(image).pose_landmarks or []

    def close(self) -> None:
        self._landmarker.close()


@dataclass
class Extraction:
    """What one pass of the landmarker over a clip produced."""

    candidates: Candidates
    people_seen: int  # most people the census found in one frame
    census: list[tuple[int, int]]  # (frame index, people found) for each census frame
    multi_from: int | None  # frame from which two poses per frame were tracked
    decode: DecodeStats


def _extract_range(
    video: VideoInfo,
    model: ModelInfo,
    progress: Callable[[int], None] | None = None,
    on_frame: Callable[[Frame], None] | None = None,
    prefetch: int = 8,
    census_every_s: float = CENSUS_EVERY_S,
    start_s: float | None = None,
    end_s: float | None = None,
    counter: _SharedCounter | None = None,
) -> Extraction:
    """Track the frames with ``start_s <= time < end_s`` (see :func:`extract`)."""
    share = 1.0 if start_s is None and end_s is None else 0.5
    store = _Growable(int(video.frames * share) + 8, MULTI_POSES)
    last_ts = -1
    census: list[tuple[int, int]] = []
    every = max(1, int(round(census_every_s * (video.fps or 30.0))))
    multi_from: int | None = None
    stats = DecodeStats()
    own_counter = counter is None
    tracker = _create(model, video_mode=True, num_poses=1)
    if counter is None:
        counter = _SharedCounter(model)
    try:
        for frame in iter_frames(video, prefetch=prefetch, stats=stats, start_s=start_s, end_s=end_s):
            i = store.row()
            arrays = store.arrays
            arrays["t"][i] = frame.time_s
            ts = max(int(round(frame.time_s * 1000.0)), last_ts + 1)
            last_ts = ts
            image = _mp_image(frame.rgb)
            if multi_from is None and i % every == 0:
                found = counter.detect(image)
                people = len(found)
                if people == 1 and i > 0 and arrays["count"][i - 1] > 0:
                    # One person found, but is it the one being tracked? If not, two are in view.
                    tracked = arrays["xy"][i - 1, 0]
                    other = np.array([(lm.x * video.width, lm.y * video.height) for lm in found[0]])
                    if not _same_person(tracked, other):
                        people = 2
                census.append((i, people))
                if people > 1:
                    multi_from = i
                    tracker.close()
                    tracker = _create(model, video_mode=True, num_poses=MULTI_POSES)
            result = tracker.detect_for_video(image, ts)
            _fill(arrays, i, result, video.width, video.height)
            if on_frame is not None:
                on_frame(frame)
            if progress is not None:
                progress(i + 1)
    finally:
        tracker.close()
        if own_counter:
            counter.close()
    people_seen = max([c for _, c in census], default=0)
    return Extraction(store.finish(), people_seen, census, multi_from, stats)


def extract(
    video: VideoInfo,
    model: ModelInfo,
    progress: Callable[[int], None] | None = None,
    on_frame: Callable[[Frame], None] | None = None,
    prefetch: int = 8,
    census_every_s: float = CENSUS_EVERY_S,
    segments: int = 1,
) -> Extraction:
    """Run the landmarker over every frame of the clip, in one streaming pass.

    The VIDEO-mode landmarker tracks one pose per frame (the fastest setting). Every
    ``census_every_s`` seconds (and on the first frame) an IMAGE-mode landmarker counts
    the people in that same frame; once it sees more than one (or one who is not the
    person being tracked), tracking switches to two poses per frame for the rest of the
    clip, and :mod:`formcheck.pose.selection` picks the runner afterwards.

    One landmarker keeps about one core busy. With ``segments > 1`` the clip is cut
    into that many consecutive time ranges, each decoded and tracked by its own
    landmarker in its own thread (MediaPipe releases the GIL while it works), and the
    results are joined in time order; each range starts with a fresh detection.

    ``progress(n)`` is called with the number of frames done; ``on_frame(frame)`` sees
    each decoded frame (``frame.index`` counts within its range; use ``frame.time_s``).
    """
    duration = video.duration_s
    if segments <= 1 or duration < MIN_SEGMENT_S * segments:
        return _extract_range(video, model, progress, on_frame, prefetch, census_every_s)

    bounds = [duration * k / segments for k in range(segments + 1)]
    done = [0] * segments
    lock = threading.Lock()

    def part_progress(k: int) -> Callable[[int], None]:
        def report(n: int) -> None:
            with lock:
                done[k] = n
                total = sum(done)
            if progress is not None:
                progress(total)
        return report

    results: list[Extraction | BaseException | None] = [None] * segments
    counter = _SharedCounter(model)
    # Each segment has its own decoder and queue: keep the queues short (memory).
    depth = max(2, prefetch // segments)

    def work(k: int) -> None:
        try:
            results[k] = _extract_range(
                video, model, part_progress(k), on_frame, depth, census_every_s,
                start_s=None if k == 0 else bounds[k], end_s=None if k == segments - 1 else bounds[k + 1],
                counter=counter)
        except BaseException as exc:  # re-raised in the calling thread
            results[k] = exc

    threads = [threading.Thread(target=work, args=(k,), name=f"formcheck-pose-{k}", daemon=True)
               for k in range(segments)]
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        counter.close()
    for r in results:
        if isinstance(r, BaseException):
            raise r
    parts = [r for r in results if isinstance(r, Extraction)]
    return _join(parts)


def _join(parts: list[Extraction]) -> Extraction:
    """Join the extractions of consecutive time ranges into one."""
    cands = [p.candidates for p in parts]
    joined = Candidates(*(np.concatenate([getattr(c, f) for c in cands])
                          for f in ("t", "xy", "z", "vis", "world", "count")))
    census: list[tuple[int, int]] = []
    multi_from: int | None = None
    stats = DecodeStats()
    offset = 0
    for p in parts:
        census += [(i + offset, n) for i, n in p.census]
        if p.multi_from is not None and multi_from is None:
            multi_from = p.multi_from + offset
        stats.frames += p.decode.frames
        stats.bad_packets += p.decode.bad_packets
        stats.errors += [e for e in p.decode.errors if e not in stats.errors][: 5 - len(stats.errors)]
        offset += p.candidates.n_frames
    return Extraction(joined, max(p.people_seen for p in parts), census, multi_from, stats)
