"""Pose extraction with MediaPipe's Pose Landmarker (the only module importing mediapipe).

Design
------
* VIDEO running mode, one landmarker per clip (it keeps tracking state), closed
  explicitly, with strictly increasing integer millisecond timestamps.
* One streaming pass. A census every 2 s (IMAGE mode, up to ``MAX_PEOPLE`` poses,
  on the frame already decoded and on its mirror image, so that the count does not
  depend on which way the people face) counts the people in view. While it sees one person
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

import cv2
import numpy as np

from formcheck.io.video import DecodeLog, Frame, iter_frames
from formcheck.model.results import ModelMeta, VideoMeta
from formcheck.pose.blazepose import N_POINTS, SKELETON, PoseFrame, centre_scale
from formcheck.pose.blazepose import create_landmarker as _create
from formcheck.pose.blazepose import mp_image as _mp_image

log = logging.getLogger(__name__)

MAX_PEOPLE = 3  # the census counts up to this many people in a frame
MULTI_POSES = 2  # poses tracked per frame once a census has seen several people
CENSUS_EVERY_S = 2.0
#: Clips shorter than this per segment are not split (a fresh detection per segment).
MIN_SEGMENT_S = 3.0
#: The clip is tracked in this many consecutive time ranges, each starting with a fresh
#: detection, whatever the number of threads: the results then do not depend on how many
#: landmarkers run side by side (``Settings.threads`` only changes the speed).
POSE_SEGMENTS = 2


@dataclass
class Candidates:
    """Up to ``P`` candidate poses per frame, as dense arrays (NaN where absent); ``P`` is
    1 where every census saw one person, else :data:`MULTI_POSES`.

    xy (n, P, 33, 2) px; z (n, P, 33) px; vis (n, P, 33); world (n, P, 33, 3) m;
    t (n,) s. ``count[i]`` is how many poses frame ``i`` holds. ``colour`` (n, P, 6):
    mean RGB (0-1) of the clothes on the upper and the lower trunk (:func:`trunk_colour`),
    NaN where unknown; what tells two similar people apart when their paths cross.
    """

    t: np.ndarray
    xy: np.ndarray
    z: np.ndarray
    vis: np.ndarray
    world: np.ndarray
    count: np.ndarray
    colour: np.ndarray | None = None

    @property
    def n_frames(self) -> int:
        return int(self.t.shape[0])


class _Growable:
    """One pose pass's per-frame arrays, filled a row at a time.

    Room for one pose a frame until :meth:`more_poses` (a census saw several people):
    a clip with one runner in view keeps half the memory, which, allocated up front
    from the frame count, is most of what the pose pass adds per minute of clip
    (1.9 KB a frame with two poses: 34 MB for ten minutes at 30 fps).
    """

    def __init__(self, n: int, p: int = 1) -> None:
        self.p = p
        self.n = 0
        self._alloc(max(n, 16), p)

    arrays: dict[str, np.ndarray]

    def _alloc(self, cap: int, p: int) -> None:
        old = getattr(self, "arrays", None)
        new: dict[str, np.ndarray] = {
            "t": np.zeros(cap, np.float64),
            "xy": np.full((cap, p, N_POINTS, 2), np.nan, np.float32),
            "z": np.full((cap, p, N_POINTS), np.nan, np.float32),
            "vis": np.zeros((cap, p, N_POINTS), np.float32),
            "world": np.full((cap, p, N_POINTS, 3), np.nan, np.float32),
            "count": np.zeros(cap, np.int8),
            "colour": np.full((cap, p, 6), np.nan, np.float32),
        }
        if old is not None:
            for k, v in old.items():
                if v.ndim > 1:  # per pose: into the slots the rows had (no broadcast)
                    new[k][: self.n, : v.shape[1]] = v[: self.n]
                else:
                    new[k][: self.n] = v[: self.n]
        self.arrays = new
        self.p = p

    def more_poses(self, p: int) -> None:
        """Room for ``p`` poses a frame from now on (the rows so far keep theirs)."""
        if p > self.p:
            self._alloc(self.arrays["t"].shape[0], p)

    def row(self) -> int:
        if self.n == self.arrays["t"].shape[0]:
            self._alloc(self.n * 2, self.p)
        self.n += 1
        return self.n - 1

    def finish(self) -> Candidates:
        # Views when little capacity is spare (the usual case: sized from the frame count),
        # else copies that let the spare rows go; a copy would double the arrays' memory.
        spare = self.arrays["t"].shape[0] - self.n
        a = {k: v[: self.n] if spare <= 64 + self.n // 100 else v[: self.n].copy()
             for k, v in self.arrays.items()}
        return Candidates(a["t"], a["xy"], a["z"], a["vis"], a["world"], a["count"], a["colour"])


_TRUNK = SKELETON.indices("left_shoulder", "right_shoulder", "left_hip", "right_hip")


def trunk_colour(rgb: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Mean colour (RGB, 0-1) of two patches on one pose's trunk: a third of the way
    down from the shoulder centre (the shirt) and at the hip centre (shorts or
    trousers), each a square of a fifth of the torso length. NaN where unknown."""
    out = np.full(6, np.nan, np.float32)
    trunk = xy[_TRUNK]
    if np.isfinite(trunk).all():  # every pose MediaPipe returns: the means without nanmean's cost
        sh = (trunk[0] + trunk[1]) / 2
        hp = (trunk[2] + trunk[3]) / 2
    else:
        sh = np.nanmean(trunk[:2], axis=0)
        hp = np.nanmean(trunk[2:], axis=0)
    torso = float(np.hypot(*(sh - hp)))
    if not (np.all(np.isfinite(sh)) and np.all(np.isfinite(hp))) or torso < 5:
        return out
    r = max(1, int(0.1 * torso))
    height, width = rgb.shape[:2]
    for j, p in enumerate((sh + (hp - sh) / 3.0, hp)):
        x, y = int(round(p[0])), int(round(p[1]))
        patch = rgb[max(0, y - r):min(height, y + r + 1), max(0, x - r):min(width, x + r + 1)]
        if patch.size:
            # The exact integer sums over the count: the same numbers as the patch's mean,
            # without numpy copying the patch to float64 first.
            out[3 * j:3 * j + 3] = np.asarray(cv2.sumElems(patch)[:3]) / (patch.size // 3) / 255.0
    return out


def _fill(arrays: dict[str, np.ndarray], i: int, result, width: int, height: int,
          x0: float = 0.0, y0: float = 0.0, rgb: np.ndarray | None = None) -> int:
    """Store frame ``i``'s poses in pixels of the full frame. ``width`` x ``height`` is the
    image the model saw; (``x0``, ``y0``) where its top-left corner sits in the frame
    (a zoomed region, :class:`_Zoom`); ``rgb`` the full frame, for the clothes' colour."""
    found = PoseFrame.from_mediapipe(result, width, height, x0, y0, max_poses=arrays["xy"].shape[1])
    n = len(found)
    if n:
        arrays["xy"][i, :n] = found.xy
        arrays["z"][i, :n] = found.z
        arrays["vis"][i, :n] = found.visibility
        arrays["world"][i, :n] = found.world
    if rgb is not None:
        for k in range(n):
            arrays["colour"][i, k] = trunk_colour(rgb, arrays["xy"][i, k])
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


class _SharedCounter:
    """The census landmarker (IMAGE mode, up to ``MAX_PEOPLE`` poses), shared by the
    segment threads behind a lock: it is used once every few seconds, and one copy of
    the model saves about 100 MB over one per thread."""

    def __init__(self, model: ModelMeta) -> None:
        self._landmarker = _create(model, video_mode=False, num_poses=MAX_PEOPLE)
        self._lock = threading.Lock()

    def detect(self, image) -> list:
        with self._lock:
            return self._landmarker.detect(image).pose_landmarks or []

    def people(self, rgb: np.ndarray, image=None) -> np.ndarray:
        """The distinct people (P, 33, 2; px of ``rgb``) found in the frame or in its mirror
        image (mapped back): the count then does not depend on which way anyone faces.
        ``image``: ``rgb`` already wrapped by :func:`~formcheck.pose.blazepose.mp_image`.

        The detector is not mirror-symmetric: the treadmill clip with a bystander showed
        both people in its first frame, and its mirror image only the bystander (the
        runner, bent over the rails, was missed), so the mirror was tracked with one pose
        for 2 s and lost the runner there. Looking at both images costs one more detection
        per census (every ``CENSUS_EVERY_S``)."""
        height, width = rgb.shape[:2]
        found = PoseFrame.from_mediapipe(self.detect(image if image is not None else _mp_image(rgb)),
                                         width, height, dtype=np.float64).xy
        # cv2.flip: the same pixels as rgb[:, ::-1] made contiguous, at a fraction of numpy's
        # cost for a negative-stride copy (0.13 vs 6.3 ms a 720p frame, idle).
        flipped = PoseFrame.from_mediapipe(self.detect(_mp_image(cv2.flip(rgb, 1))), width, height,
                                           dtype=np.float64).xy
        flipped[..., 0] = width - flipped[..., 0]  # pixel i of the flip is pixel width - 1 - i
        people = list(found)
        for pose in flipped:
            if not any(_same_person(pose, other) for other in people):
                people.append(pose)
        return np.array(people, dtype=np.float64).reshape(-1, N_POINTS, 2)

    def close(self) -> None:
        self._landmarker.close()


#: Search for a runner the full frame misses after this long without a pose (s), at
#: most this often (s).
SEARCH_AFTER_S = 0.5
SEARCH_EVERY_S = 1.0
#: Tiles for the search: squares of this fraction of the frame's shorter side, half
#: overlapping, so a runner 1/8 of the frame tall fills a quarter of a tile.
TILE_FRACTION = 0.5
#: The zoomed region is this many torso lengths square (a runner is ~3.3 torso lengths
#: tall with the legs swinging: the region holds the whole body with room to move).
ZOOM_TORSOS = 7.0
MIN_ZOOM_PX = 96


def _tiles(width: int, height: int) -> list[tuple[int, int, int]]:
    """Half-overlapping square tiles (x0, y0, side) covering the frame."""
    side = min(max(MIN_ZOOM_PX, int(TILE_FRACTION * min(width, height))), width, height)
    step = max(1, side // 2)
    xs = sorted({*range(0, max(1, width - side + 1), step), max(0, width - side)})
    ys = sorted({*range(0, max(1, height - side + 1), step), max(0, height - side)})
    return [(x, y, side) for y in ys for x in xs]


class _Zoom:
    """A square region of the frame that follows a runner too small for the full-frame
    detector (the model sees every image at 224-256 px, so a runner 1/8 of a 1080p
    frame tall is ~30 px there: not found). Found by searching half-overlapping tiles
    with the census landmarker; then a VIDEO-mode landmarker of its own tracks the
    runner inside the region, which is re-centred on the runner every frame (like a
    camera panning with them). Landmarks are mapped back to full-frame pixels."""

    def __init__(self, model: ModelMeta, cx: float, cy: float, torso: float, width: int, height: int) -> None:
        self.model, self.width, self.height = model, width, height
        self.tracker = _create(model, video_mode=True, num_poses=1)
        self.cx, self.cy = cx, cy
        self.side = 0
        self._resize(torso)

    def _resize(self, torso: float) -> None:
        side = int(max(MIN_ZOOM_PX, ZOOM_TORSOS * torso))
        self.side = min(side, self.width, self.height)

    def box(self) -> tuple[int, int, int]:
        """(x0, y0, side) of the region, kept inside the frame."""
        x0 = int(round(min(max(self.cx - self.side / 2, 0), self.width - self.side)))
        y0 = int(round(min(max(self.cy - self.side / 2, 0), self.height - self.side)))
        return x0, y0, self.side

    def follow(self, xy: np.ndarray) -> None:
        """Re-centre on the runner's pose (33, 2) in full-frame pixels."""
        centre, torso = centre_scale(xy)
        if np.all(np.isfinite(centre)) and torso > 1:
            self.cx, self.cy = float(centre[0]), float(centre[1])
            self._resize(torso)

    def close(self) -> None:
        self.tracker.close()


def _search_tiles(counter: _SharedCounter, rgb: np.ndarray) -> tuple[float, float, float] | None:
    """The centre (px) and torso length of the most visible person found in any tile."""
    height, width = rgb.shape[:2]
    best: tuple[float, float, float, float] | None = None
    for x0, y0, side in _tiles(width, height):
        found = PoseFrame.from_mediapipe(counter.detect(_mp_image(rgb[y0:y0 + side, x0:x0 + side])),
                                         side, side, x0, y0, dtype=np.float64)
        for xy, pose_vis in zip(found.xy, found.visibility, strict=True):
            vis = float(np.mean(pose_vis))
            centre, torso = centre_scale(xy)
            if np.all(np.isfinite(centre)) and torso > 2 and (best is None or vis > best[3]):
                best = (float(centre[0]), float(centre[1]), torso, vis)
    return None if best is None else best[:3]


@dataclass
class Extraction:
    """What one pass of the landmarker over a clip produced."""

    candidates: Candidates
    people_seen: int  # most people the census found in one frame
    census: list[tuple[int, int]]  # (frame index, people found) for each census frame
    multi_from: int | None  # frame from which two poses per frame were tracked
    decode: DecodeLog
    zoomed_frames: int = 0  # frames whose pose came from a zoomed region (small runner)


def _extract_range(
    video: VideoMeta,
    model: ModelMeta,
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
    store = _Growable(int(video.frames * share) + 8)
    last_ts = -1
    census: list[tuple[int, int]] = []
    every = max(1, int(round(census_every_s * (video.fps or 30.0))))
    multi_from: int | None = None
    stats = DecodeLog()
    own_counter = counter is None
    tracker = _create(model, video_mode=True, num_poses=1)
    if counter is None:
        counter = _SharedCounter(model)
    fps = video.fps or 30.0
    search_after = max(1, int(round(SEARCH_AFTER_S * fps)))
    search_every = max(1, int(round(SEARCH_EVERY_S * fps)))
    zoom: _Zoom | None = None
    zoomed = 0
    lost = 0  # consecutive frames without a pose
    last_search = -search_every
    try:
        for frame in iter_frames(video, prefetch=prefetch, stats=stats, start_s=start_s, end_s=end_s):
            i = store.row()
            arrays = store.arrays
            arrays["t"][i] = frame.time_s
            ts = max(int(round(frame.time_s * 1000.0)), last_ts + 1)
            last_ts = ts
            image = None  # the frame as MediaPipe's image (a copy), made once if needed
            if multi_from is None and i % every == 0:
                image = _mp_image(frame.rgb)
                found = counter.people(frame.rgb, image)
                people = len(found)
                if people == 1 and i > 0 and arrays["count"][i - 1] > 0:
                    # One person found, but is it the one being tracked? If not, two are in view.
                    if not _same_person(arrays["xy"][i - 1, 0], found[0]):
                        people = 2
                census.append((i, people))
                if people > 1:
                    multi_from = i
                    store.more_poses(MULTI_POSES)
                    arrays = store.arrays
                    tracker.close()
                    tracker = _create(model, video_mode=True, num_poses=MULTI_POSES)
                    if zoom is not None:
                        zoom.close()
                        zoom = None
            if zoom is None:
                if image is None:
                    image = _mp_image(frame.rgb)
                n = _fill(arrays, i, tracker.detect_for_video(image, ts), video.width, video.height,
                          rgb=frame.rgb)
                lost = 0 if n else lost + 1
                if (not n and multi_from is None and (lost >= search_after or i == 0)
                        and i - last_search >= search_every):
                    # Nobody in the full frame: perhaps a runner too small for the detector.
                    last_search = i
                    hit = _search_tiles(counter, frame.rgb)
                    if hit is not None:
                        zoom = _Zoom(model, *hit, video.width, video.height)
            if zoom is not None:
                x0, y0, side = zoom.box()
                crop = _mp_image(frame.rgb[y0:y0 + side, x0:x0 + side])
                n = _fill(arrays, i, zoom.tracker.detect_for_video(crop, ts), side, side, x0, y0, frame.rgb)
                if n:
                    zoom.follow(arrays["xy"][i, 0])
                    zoomed += 1
                    lost = 0
                else:
                    lost += 1
                    if lost >= search_after:  # lost in the region too: back to the full frame
                        zoom.close()
                        zoom = None
            if on_frame is not None:
                on_frame(frame)
            if progress is not None:
                progress(i + 1)
    finally:
        tracker.close()
        if zoom is not None:
            zoom.close()
        if own_counter:
            counter.close()
    people_seen = max([c for _, c in census], default=0)
    return Extraction(store.finish(), people_seen, census, multi_from, stats, zoomed)


def extract(
    video: VideoMeta,
    model: ModelMeta,
    progress: Callable[[int], None] | None = None,
    on_frame: Callable[[Frame], None] | None = None,
    prefetch: int = 8,
    census_every_s: float = CENSUS_EVERY_S,
    segments: int = POSE_SEGMENTS,
    workers: int = 1,
) -> Extraction:
    """Run the landmarker over every frame of the clip, in one streaming pass.

    The VIDEO-mode landmarker tracks one pose per frame (the fastest setting). Every
    ``census_every_s`` seconds (and on the first frame) an IMAGE-mode landmarker counts
    the people in that same frame; once it sees more than one (or one who is not the
    person being tracked), tracking switches to two poses per frame for the rest of the
    clip, and :mod:`formcheck.pose.selection` picks the runner afterwards.

    One landmarker keeps about one core busy. With ``segments > 1`` the clip (when it is
    at least ``MIN_SEGMENT_S`` per range long) is cut into that many consecutive time
    ranges, each decoded and tracked by its own landmarker, and the results are joined in
    time order; each range starts with a fresh detection. ``workers`` threads work through
    the ranges (MediaPipe releases the GIL while it works): the result is the same for any
    number of workers, only the time changes.

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

    todo = list(range(segments))

    def worker() -> None:
        while True:
            with lock:
                if not todo:
                    return
                k = todo.pop(0)
            work(k)

    threads = [threading.Thread(target=worker, name=f"formcheck-pose-{w}", daemon=True)
               for w in range(max(1, min(workers, segments)))]
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
    width = max(c.xy.shape[1] for c in cands)  # poses a frame: ranges tracking one get NaN slots

    def widened(a: np.ndarray, f: str) -> np.ndarray:
        if a.ndim < 2 or a.shape[1] == width:
            return a
        pad = np.full((a.shape[0], width - a.shape[1], *a.shape[2:]), 0.0 if f == "vis" else np.nan, a.dtype)
        return np.concatenate([a, pad], axis=1)

    joined = Candidates(*(np.concatenate([widened(getattr(c, f), f) for c in cands])
                          for f in ("t", "xy", "z", "vis", "world", "count", "colour")))
    census: list[tuple[int, int]] = []
    multi_from: int | None = None
    stats = DecodeLog()
    offset = 0
    for p in parts:
        census += [(i + offset, n) for i, n in p.census]
        if p.multi_from is not None and multi_from is None:
            multi_from = p.multi_from + offset
        stats.frames += p.decode.frames
        stats.bad_packets += p.decode.bad_packets
        stats.change += p.decode.change
        stats.errors += [e for e in p.decode.errors if e not in stats.errors][: 5 - len(stats.errors)]
        offset += p.candidates.n_frames
    return Extraction(joined, max(p.people_seen for p in parts), census, multi_from, stats,
                      sum(p.zoomed_frames for p in parts))
