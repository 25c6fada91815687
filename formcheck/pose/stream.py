"""Pose for one frame at a time, as frames arrive (the live mode's pose stage).

The Pose Landmarker of :mod:`formcheck.pose.blazepose` (the same one, and the same
conversion, as the offline :mod:`formcheck.pose.landmarker`) in VIDEO mode
(:class:`PoseStream`), with one pose a frame while one person is in view; the live
mode's :class:`PoseTracker` counts the people in view and, when there are several,
tracks two and follows the one the offline selection score prefers so far. Timestamps given to MediaPipe are strictly increasing
integer milliseconds, as it requires, even when the source's clock repeats a value.
Create the tracker before starting any thread that must keep its standard error:
MediaPipe prints its start-up lines there (nothing here redirects it).

Frames larger than ``max_side`` pixels are shrunk before inference: the landmark model
sees the runner through a 256 x 256 crop anyway, so a runner who fills a 640-pixel frame
loses nothing, and the model's own resizing of a large frame costs time on every frame.
Landmarks come back in the pixels of the frame as given.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from formcheck.model.results import ModelMeta
from formcheck.model.skeleton import Skeleton
from formcheck.pose.blazepose import (
    N_POINTS,
    SKELETON,
    PoseFrame,
    centre_scale,
    create_landmarker,
    mp_image,
)
from formcheck.pose.landmarker import CENSUS_EVERY_S

if TYPE_CHECKING:
    from formcheck.pose.selection import Track


@dataclass(frozen=True)
class PoseSample:
    """One frame's pose: ``xy`` (K, 2) pixels (NaN when nobody was found),
    ``visibility`` (K,) in [0, 1]; the K points of ``skeleton`` (the backend's);
    ``world`` (K, 3) the model's world landmarks (m, hips at the origin), None where the
    backend gives none (the live view decision then uses the image alone)."""

    xy: np.ndarray
    visibility: np.ndarray
    skeleton: Skeleton = SKELETON
    world: np.ndarray | None = None
    #: Set on the frame where the tracker moved to another person: what the status says,
    #: and that person's recent frames ``(time_s, sample)`` (oldest first), for the live
    #: pipeline to start over on them (see :class:`PoseTracker`).
    switched: str | None = None
    backlog: tuple[tuple[float, PoseSample], ...] = ()

    @classmethod
    def missing(cls) -> PoseSample:
        return cls(np.full((N_POINTS, 2), np.nan), np.zeros(N_POINTS))

    @classmethod
    def from_frame(cls, frame: PoseFrame, k: int = 0) -> PoseSample:
        """Pose ``k`` of ``frame`` (missing when it holds none)."""
        if len(frame) <= k:
            return cls.missing()
        return cls(frame.xy[k], frame.visibility[k], world=frame.world[k])

    def _with(self, switched: str, backlog: tuple[tuple[float, PoseSample], ...]) -> PoseSample:
        return PoseSample(self.xy, self.visibility, self.skeleton, self.world, switched, backlog)

    @property
    def found(self) -> bool:
        return bool(np.isfinite(self.xy[:, 0]).any())


class PoseStream:
    """A VIDEO-mode landmarker for a stream of frames; ``close()`` when done.

    A :class:`~formcheck.pose.blazepose.PoseBackend` (:meth:`track`); called, it gives
    the live mode's :class:`PoseSample`.
    """

    def __init__(self, model: ModelMeta, max_side: int | None = 640, num_poses: int = 1) -> None:
        self.model = model
        self.max_side = max_side
        self.num_poses = num_poses
        self._landmarker = create_landmarker(model, video_mode=True, num_poses=num_poses)
        self._last_ms = -1
        self.small: np.ndarray | None = None  # the last frame as the model saw it

    def __call__(self, rgb: np.ndarray, time_s: float) -> PoseSample:
        return PoseSample.from_frame(self.track(rgb, time_s))

    def track(self, rgb: np.ndarray, time_s: float) -> PoseFrame:
        """The poses in one frame (at most ``num_poses``), in pixels of ``rgb`` as given."""
        ms = max(int(round(time_s * 1000.0)), self._last_ms + 1)
        self._last_ms = ms
        h, w = rgb.shape[:2]
        small = rgb
        if self.max_side and max(h, w) > self.max_side:
            import cv2

            f = self.max_side / max(h, w)
            small = cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))),
                               interpolation=cv2.INTER_AREA)
        self.small = small
        result = self._landmarker.detect_for_video(mp_image(small), ms)
        return PoseFrame.from_mediapipe(result, w, h, max_poses=self.num_poses, dtype=np.float64)

    def more_poses(self, num_poses: int) -> None:
        """Track up to ``num_poses`` people from the next frame on (a fresh landmarker:
        its first frame is a full detection)."""
        self._landmarker.close()
        self.num_poses = num_poses
        self._landmarker = create_landmarker(self.model, video_mode=True, num_poses=num_poses)

    def close(self) -> None:
        self._landmarker.close()

    def __enter__(self) -> PoseStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Seconds of each person's frames that the choice among people is scored over (and that
#: the live pipeline is given again when the tracker moves to another person).
CHOICE_WINDOW_S = 2.0
#: The first choice among several people once two poses a frame have been tracked this
#: long (s): a gait score needs the feet over about a stride (walking 1-1.3 s, running
#: 0.6-0.8 s).
CHOICE_AFTER_S = 1.0
#: A choice every this many seconds while several people are tracked.
CHOICE_EVERY_S = 0.5
#: Hysteresis: another person is followed once their score beats the followed person's by
#: this factor at SWITCH_CONFIRM successive choices (a person whose score only wobbles
#: around the other's, two runners side by side, does not make the view jump between them).
SWITCH_RATIO = 1.5
SWITCH_CONFIRM = 2
#: Back to one pose a frame once the two-pose tracker has found at most one person in
#: every frame of this long (s): a second pose slot costs inference time on every frame.
SINGLE_AFTER_S = 2.0


class PoseTracker:
    """The live mode's pose: called with a frame, the :class:`PoseSample` of the person it
    follows in a view that may hold several people (``close()`` when done).

    Causally what the offline extraction and selection do (:mod:`formcheck.pose.landmarker`,
    :mod:`formcheck.pose.selection`): one pose a frame, and a census of the people in
    view every ``CENSUS_EVERY_S`` (the offline census, on the frame the model sees); once
    it finds several (or one who is not the person tracked), two poses a frame, linked
    into tracks as offline (:class:`~formcheck.pose.selection.TrackLinker`). After
    :data:`CHOICE_AFTER_S` and every :data:`CHOICE_EVERY_S` after, each track is scored
    over its last :data:`CHOICE_WINDOW_S` by the offline selection score
    (:func:`~formcheck.pose.selection.score_poses`: coverage, size, centrality, alternating
    feet), the window standing in for the whole clip; the tracker moves to another person
    only past the hysteresis (:data:`SWITCH_RATIO`, :data:`SWITCH_CONFIRM`), and the
    sample of that frame says so (``switched``) and carries the person's recent frames
    (``backlog``). Back to one pose a frame after :data:`SINGLE_AFTER_S` with one person.

    Differences from offline, from having no future frames: the choice is over the
    recent window, not the whole clip (a runner who enters late is followed once their
    window scores higher, and their steps before the window are not seen); no zoomed
    search for people too small for the full frame (the tiles cost several detections).
    """

    def __init__(self, model: ModelMeta | None, max_side: int | None = 640, *,
                 stream: PoseStream | None = None, counter: Any = None) -> None:
        """``stream`` and ``counter`` (what gives the frame's poses, and the census's
        ``people(rgb)``) default to the model's; given, ``model`` is not used."""
        from formcheck.pose.landmarker import _SharedCounter
        from formcheck.pose.selection import TrackLinker

        if (stream is None or counter is None) and model is None:
            raise ValueError("a model is needed for the pose stream and the census")
        self.tracker = stream if stream is not None else PoseStream(model, max_side)  # type: ignore[arg-type]
        self.counter = counter if counter is not None else _SharedCounter(model)  # type: ignore[arg-type]
        self.linker = TrackLinker()
        self._history: dict[int, deque[tuple[float, PoseSample]]] = {}
        self._times: deque[float] = deque()  # processed frames within the window
        self._i = -1
        self._last_census = -math.inf
        self.multi_from: float | None = None  # time two poses a frame began
        self._last_two = -math.inf  # last time two people were found in one frame
        self.followed: Track | None = None
        self._next_choice = math.inf
        self._challenger: tuple[Track | None, int] = (None, 0)
        self._lost: tuple[Track, float] | None = None  # the followed track when it ended
        self.switches: list[tuple[float, str]] = []  # (time, what the status said)
        self.census: list[tuple[float, int]] = []  # (time, people found)

    def close(self) -> None:
        self.tracker.close()
        self.counter.close()

    def __call__(self, rgb: np.ndarray, time_s: float) -> PoseSample:
        from formcheck.pose.landmarker import trunk_colour

        t = float(time_s)
        self._i += 1
        i = self._i
        frame = self.tracker.track(rgb, t)
        self._times.append(t)
        while t - self._times[0] > CHOICE_WINDOW_S:
            self._times.popleft()
        colours = np.array([trunk_colour(rgb, p) for p in frame.xy]) if len(frame) else None
        self.linker.add(i, frame.xy, frame.visibility, len(frame), colours)
        live = []
        for tr in self.linker.tracks:
            if tr.last == i:
                hist = self._history.setdefault(id(tr), deque())
                hist.append((t, PoseSample.from_frame(frame, tr.slots[-1])))
                del tr.frames[:-1], tr.slots[:-1]  # the linker needs the last only
            old = self._history.get(id(tr))
            while old and t - old[0][0] > CHOICE_WINDOW_S:
                old.popleft()
            if i - tr.last <= self.linker.max_gap:
                live.append(tr)
            else:
                self._history.pop(id(tr), None)
        self.linker.tracks = live
        if self.followed is not None and all(tr is not self.followed for tr in live):
            self._lost = (self.followed, t)
            self.followed = None
        if self.multi_from is None:
            single = self._single(frame, live, i, t)
            if t - self._last_census >= CENSUS_EVERY_S - 1e-6:
                self._census(rgb, frame, t)
            return single
        if len(frame) > 1:
            self._last_two = t
        elif t - self._last_two >= SINGLE_AFTER_S:
            # one person in every frame for a while: one pose a frame (and censuses) again
            self.multi_from = None
            self._last_census = t
            self.tracker.more_poses(1)
            return self._single(frame, live, i, t)
        switched = None
        if t >= self._next_choice or (self.followed is None and t >= self.multi_from + CHOICE_AFTER_S):
            self._next_choice = t + CHOICE_EVERY_S
            switched = self._choose(t, rgb.shape[1], rgb.shape[0])
        chosen = self.followed
        if chosen is None or chosen.last != i:
            return PoseSample.missing()
        sample = self._history[id(chosen)][-1][1]
        if switched is None:
            return sample
        return sample._with(switched, tuple(self._history[id(chosen)])[:-1])

    def _single(self, frame: PoseFrame, live: list[Track], i: int, t: float) -> PoseSample:
        """The sample while one pose a frame is tracked (the person followed is the one
        tracked; a change of person after several were seen is said)."""
        now = next((tr for tr in live if tr.last == i), None)
        if now is None or now is self.followed:
            return PoseSample.from_frame(frame)
        before, self.followed = self.followed, now
        several = any(n > 1 for _, n in self.census)  # with one person: always that one
        if before is None and several and self._lost is not None and not self._continues(now, t):
            # one pose a frame again, on someone else than the person followed
            text = "following the person now in view (the one followed before was lost)"
            self.switches.append((t, text))
            return PoseSample.from_frame(frame)._with(text, ())
        return PoseSample.from_frame(frame)

    def _census(self, rgb: np.ndarray, frame: PoseFrame, t: float) -> None:
        """Count the people in view (the offline census, on the frame the model saw);
        several: two poses a frame from the next frame on."""
        from formcheck.pose.landmarker import MULTI_POSES, _same_person

        self._last_census = t
        small = self.tracker.small if self.tracker.small is not None else rgb
        found = self.counter.people(small) * (rgb.shape[1] / small.shape[1])
        people = len(found)
        if people == 1 and len(frame) and not _same_person(frame.xy[0], found[0]):
            people = 2  # one found, but not the one tracked: two in view (as offline)
        self.census.append((t, people))
        if people > 1:
            self.multi_from = self._last_two = t
            self._next_choice = t + CHOICE_AFTER_S
            self.tracker.more_poses(MULTI_POSES)

    def _choose(self, t: float, width: int, height: int) -> str | None:
        """Score the tracks over the window; the status text when the followed person
        changes (see the class text)."""
        from formcheck.pose.selection import score_poses

        scored: list[tuple[float, Track, dict]] = []
        tracks = [tr for tr in self.linker.tracks if len(self._history.get(id(tr), ())) >= 3]
        if not tracks:
            return None
        arrays = {id(tr): (np.array([s.xy for _, s in self._history[id(tr)]]),
                           np.array([s.visibility for _, s in self._history[id(tr)]]))
                  for tr in tracks}
        scales = {k: float(np.median([centre_scale(p)[1] for p in xy])) for k, (xy, _) in arrays.items()}
        max_scale = max(scales.values())
        for tr in tracks:
            info = score_poses(*arrays[id(tr)], len(self._times), width, height, max_scale)
            scored.append((float(info["score"]), tr, info))
        scored.sort(key=lambda x: -x[0])
        best_score, best, info = scored[0]
        current = next((x for x in scored if x[1] is self.followed), None)
        if current is not None and best is not self.followed:
            if best_score > SWITCH_RATIO * current[0]:
                n = self._challenger[1] + 1 if self._challenger[0] is best else 1
                self._challenger = (best, n)
                if n < SWITCH_CONFIRM:
                    return None
            else:
                self._challenger = (None, 0)
                return None
        elif current is not None:
            self._challenger = (None, 0)
            return None
        self._challenger = (None, 0)
        self.followed = best
        if current is None and self._continues(best, t):
            return None  # the followed person's track broke and goes on: the same person
        if len(scored) > 1:
            text = (f"{len(scored)} people in view: following the one who moves most like a "
                    f"runner (alternating feet {info['gait']:.2f} torso lengths, in view "
                    f"{info['coverage']:.0%} of the last {CHOICE_WINDOW_S:g} s)")
        else:
            text = "following the person now in view (the one followed before was lost)"
        self.switches.append((t, text))
        return text

    def _continues(self, tr: Track, t: float) -> bool:
        """Whether ``tr`` starts near where the lost followed track ended, as offline's
        selection joins a runner lost and found again
        (:func:`~formcheck.pose.selection.near_where_it_ended`, within a second)."""
        from formcheck.pose.selection import near_where_it_ended

        if self._lost is None:
            return False
        lost, when = self._lost
        hist = self._history.get(id(tr))
        if not hist:
            return False
        t0, first = hist[0]
        gap = max(t0 - when, 0.0)
        if gap > 1.0:
            return False
        centre, scale = centre_scale(first.xy)
        return near_where_it_ended(lost.centre, lost.scale, centre, scale,
                                   gap + (t - t0 if t0 < when else 0.0))

    def __enter__(self) -> PoseTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
