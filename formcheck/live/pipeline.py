"""The causal, frame-by-frame stage: one frame in, its pose, metrics, step and cues out.

Per frame: pose (any callable ``(rgb, time_s) -> PoseSample``; the live command uses
:class:`formcheck.pose.stream.PoseTracker`) -> landmarks below ``min_visibility``
dropped -> one-euro smoothing -> side-view metrics of
:mod:`formcheck.kinematics.metrics` -> causal step detection on the hip bounce ->
when a step is confirmed, its posture values (defined as in the offline step table)
-> fault states and cues (:mod:`formcheck.live.cues`, thresholds of
:mod:`formcheck.assess.norms`).

The view and the facing direction are decided from the last few seconds of frames
(the offline rules, applied to a sliding window: see :meth:`LivePipeline._view`).
Posture cues need a side or oblique view (oblique: forward offsets stretched by
``1 / |cos yaw|``, as offline); in a front or back view the frames are still shown and
recorded, with a status line saying why there are no cues.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

from formcheck.assess.norms import TORSO_HEIGHT_FRACTION
from formcheck.kinematics.metrics import body_points, side_view_frame_metrics
from formcheck.kinematics.view import (
    body_axis_yaw,
    classify_cues,
    combine_yaw_cues,
    head_image_yaw,
    head_world_yaw,
    midpoints,
    stretch_forward,
)
from formcheck.live.causal import DetectedStep, OneEuroFilter, StepDetector
from formcheck.live.cues import Cue, CueEngine, judge, step_states, threshold_for
from formcheck.model import registry
from formcheck.model.pose import PoseSeries
from formcheck.model.results import VideoMeta
from formcheck.model.skeleton import DEFAULT, Skeleton
from formcheck.pose.stream import PoseSample

#: Per-step values taken as the median over the step's frames (as offline).
MEDIAN_METRICS = registry.SIDE_STEP_MEDIANS
#: The view and facing are decided over this many recent frames with a runner (2 s at
#: 30 processed frames/s, 6 s at the slowest rate the step detector works with): long
#: enough for the trunk's counter-rotation over a stride to average out of the body-axis
#: yaw (offline averages it over the whole clip), short enough to follow a runner who
#: turns (a camera that tracks a runner going past it sees the front first, then the side).
WINDOW_FRAMES = 60
#: At least this many frames with a runner before the view is decided.
MIN_VIEW_FRAMES = 10
#: The views whose sagittal angles are measured (oblique after the stretch), as offline.
SAGITTAL = ("side", "oblique")

PoseFn = Callable[[np.ndarray, float], PoseSample]

#: After the tracker moves to another person the status says so for this long (s).
SWITCH_SAY_S = 2.0
#: After this long without a step (s) the status says why, and keeps saying it.
NO_STEP_S = 5.0
#: A runner whose torso (shoulders to hips) is shorter than this (px) is too small for the
#: step detector: the smallest running bounce the model reads, 0.035 torso lengths (3 cm),
#: would be under 1.4 px, the size of the model's frame-to-frame jitter there.
MIN_TORSO_PX = 40.0
#: The fewest processed frames per second the step detector works with. The hips go down
#: and up once per step, so the bounce repeats at the step frequency: up to 3.3 Hz at 200
#: steps/min, the fastest running cadence the tests run (a step lasts 0.3-0.35 s at
#: 170-200 steps/min, so at R frames/s a step gets R * 0.3 samples). The sampling theorem
#: needs more than 2 samples per step (6.7 frames/s at 200 steps/min), and then only for
#: a pure, evenly sampled sine: frames a live source drops leave the rest unevenly spaced
#: (whole source frames apart: from a 30 fps camera at 8/s, 0.1 and 0.133 s), and the
#: rhythm must be told from the stride. Measured through the pose model (rendered runners,
#: see benchmarks/live_bench.py ``slow_machine_rows``): at 170 steps/min, 7.5-8 frames/s
#: (2.6-2.8 samples per step) still agree with offline, 6/s (2.1) miss and merge steps and
#: 5/s (1.8, below the sampling theorem) count a slower false rhythm (33 steps of 56); at
#: 200 steps/min, 9/s (2.7 per step) took the stride for the step over the first 4 s (53
#: steps of 66) and 10/s agrees (65). Hence three samples per step at 200 steps/min.
MIN_STEP_FPS = 10.0
#: The processing rate is measured over the processed frames of the last RATE_WINDOW_S
#: seconds, once they span RATE_MIN_SPAN_S (so a too slow machine is said within about a
#: second and a half of the start).
RATE_WINDOW_S = 3.0
RATE_MIN_SPAN_S = 1.0
#: A count of frames over the window is uncertain by one frame, so the machine is found
#: too slow only when a window holds one frame fewer than the limit asks for (below 9.67
#: frames/s), and counts as fast enough again at the limit itself (a rate hovering at the
#: limit does not switch the cues on and off).
RATE_SLACK = 1.0 / RATE_WINDOW_S
#: A step's posture values (medians) are taken over at least this many frames: the step's
#: own, and where it has fewer (at 10-12 frames/s a step has 2-4 frames before its end),
#: the latest frames before it. A median of three sets aside one wrong frame; a posture
#: changes over seconds, so the older frame (at most 0.2 s back above MIN_STEP_FPS) delays
#: a change by that much at most. The bounce is a range *within* the step: it comes from
#: the step's own frames only, and needs three (n evenly spread samples of a sine read its
#: range low, three at worst 0.75 of it: a low reading can miss an excessive-bounce cue,
#: never make a false one).
MIN_POSTURE_FRAMES = 3


def too_slow_text(rate: float, dropping: bool) -> str:
    """What the status says while frames come too slowly for the step detector."""
    if dropping:
        return (f"this machine is too slow for live cues ({rate:.1f} frames/s processed, "
                f"needs {MIN_STEP_FPS:g}): no steps or cues until it keeps up")
    return (f"frames come too slowly for live cues ({rate:.1f} frames/s, needs "
            f"{MIN_STEP_FPS:g}): no steps or cues until they come faster")


def why_no_steps(recent: list[tuple[float, bool, str, float]], frame_height: int,
                 period_s: float) -> str:
    """Why no step is being found, from the last seconds of frames ``(time, runner found,
    view, torso px)``, the first reason that holds in this order: no runner in view, not
    a side view, runner too small, no steady rhythm. (Frames too slow for the step
    detector are said at once and all along, before this: see :func:`too_slow_text`.)"""
    if not recent:
        return "no runner in view"
    found = [r for r in recent if r[1]]
    if len(found) < 0.5 * len(recent):
        return "no runner in view (or too small or dark to be found)"
    side = [r for r in found if r[2] in SAGITTAL]
    if len(side) < 0.5 * len(found):
        return "not a side view (film the runner from the side)"
    torso = [r[3] for r in side if math.isfinite(r[3])]
    if torso and float(np.median(torso)) < MIN_TORSO_PX:
        return (f"runner too small ({float(np.median(torso)):.0f} px from shoulders to hips, "
                f"needs {MIN_TORSO_PX:.0f}): come closer or zoom in")
    return "no steady rhythm (the hips show no repeating bounce)"


@dataclass
class StepResult:
    """One confirmed step: from mid-stance ``t_start_s`` to mid-stance ``t_end_s``."""

    index: int
    t_start_s: float
    t_end_s: float
    frames: int  # processed frames in the step
    values: dict[str, float]
    states: dict[str, str | None]

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "t_start_s": round(self.t_start_s, 3),
                "t_end_s": round(self.t_end_s, 3), "frames": self.frames,
                "values": {k: (round(v, 4) if math.isfinite(v) else None) for k, v in self.values.items()},
                "states": self.states}


@dataclass
class FrameResult:
    """Everything the live mode knows after one frame: what an overlay draws and a web
    page shows (:meth:`to_dict` is JSON-able).

    ``line`` is the colour state of the ear-shoulder-hip line: "fault" while the
    forward-head fault is active, "warn" when this frame's CVA proxy is past the
    threshold, "ok" otherwise, None without a runner or a side view.
    """

    index: int
    time_s: float
    captured_s: float
    width: int
    height: int
    xy: np.ndarray | None  # (K, 2) smoothed landmarks, px; None without a runner
    visibility: np.ndarray | None
    status: str
    view: str  # "side", "oblique", "front", "back", "unknown" (see LivePipeline._view)
    facing: int
    metrics: dict[str, float] = field(default_factory=dict)
    line: str | None = None
    step: StepResult | None = None  # the last step completed at this frame
    new_steps: list[StepResult] = field(default_factory=list)  # every one (several at start-up)
    cues: list[Cue] = field(default_factory=list)
    active: list[str] = field(default_factory=list)
    done_s: float = math.nan  # clock time when this result was ready
    notice: str | None = None  # why there are no steps, on the frames where it is (re)said
    slow: bool = False  # frames come too slowly for the step detector (no steps, no cues)
    skeleton: Skeleton = DEFAULT  # the K points of xy (the pose backend's)

    @property
    def latency_s(self) -> float:
        """Capture-to-decision latency: from the frame's capture to this result."""
        return self.done_s - self.captured_s

    def to_dict(self) -> dict[str, Any]:
        def num(v: float, nd: int = 3) -> float | None:
            return round(float(v), nd) if v is not None and math.isfinite(v) else None

        pts = None
        if self.xy is not None:
            pts = [[num(x, 1), num(y, 1), num(v, 2)] for (x, y), v in
                   zip(self.xy.tolist(), (self.visibility if self.visibility is not None
                                          else np.zeros(len(self.xy))).tolist(), strict=True)]
        return {
            "index": self.index, "time_s": num(self.time_s), "width": self.width, "height": self.height,
            "landmarks": pts, "status": self.status, "view": self.view, "facing": self.facing,
            "metrics": {k: num(v) for k, v in self.metrics.items()}, "line": self.line,
            "step": self.step.to_dict() if self.step else None,
            "cues": [c.to_dict() for c in self.cues], "active": self.active,
            "latency_s": num(self.latency_s, 4), "notice": self.notice, "slow": self.slow,
            "new_steps": len(self.new_steps),
        }


@dataclass
class _Row:
    t: float
    metrics: dict[str, float]
    hip_y: float
    ankle_y: float
    torso: float


def _one(a: np.ndarray) -> float:
    return float(a[0])


def _nanmedian(x: list[float]) -> float:
    a = np.asarray(x, dtype=float)
    a = a[np.isfinite(a)]
    return float(np.median(a)) if a.size else math.nan


class LivePipeline:
    """The causal per-frame stage. ``process(frame)`` once per frame, in time order.

    Parameters
    ----------
    pose : callable ``(rgb, time_s) -> PoseSample``
    engine : the :class:`CueEngine` (its ``height_known`` decides cm or torso bounce).
    height_cm : the runner's height, for bounce in cm.
    min_visibility : landmarks the model doubts more than this are dropped (as offline).
    smoother : the landmark filter (a fresh :class:`OneEuroFilter` by default).
    """

    def __init__(self, pose: PoseFn, engine: CueEngine | None = None,
                 height_cm: float | None = None, min_visibility: float = 0.5,
                 smoother: OneEuroFilter | None = None) -> None:
        self.pose = pose
        self.height_cm = height_cm
        self.engine = engine or CueEngine(height_known=height_cm is not None)
        self.min_visibility = min_visibility
        self.smoother = smoother or OneEuroFilter()
        self.steps = StepDetector()
        self._video = VideoMeta("live", 30.0, 1, 0, 0)
        # per frame with a runner: (body-axis yaw from the world landmarks, head yaw from
        # the world landmarks, head yaw from the image), deg, NaN where a cue is missing
        self._yaw: deque[tuple[float, float, float]] = deque(maxlen=WINDOW_FRAMES)
        self._torso: deque[float] = deque(maxlen=WINDOW_FRAMES)
        self._rows: list[_Row] = []
        self._last_mid: float | None = None
        self._n_steps = 0
        self._t0: float | None = None  # clip time of the first frame
        self._last_step_t = -math.inf  # clip time when the last step was counted
        self._recent: deque[tuple[float, bool, str, float]] = deque()  # (t, found, view, torso px)
        self._said: tuple[float, str] | None = None  # last "no steps" notice (time, reason)
        self._rate_frames: deque[tuple[float, int]] = deque()  # (t, source index), RATE_WINDOW_S
        self.rate = math.nan  # processed frames per second (NaN until measured)
        self.slow = False  # too slow for the step detector: no steps, no cues
        self._slow_said = -math.inf  # when the too-slow notice was last given
        self._switch: tuple[float, str] | None = None  # last change of person (time, text)

    # -- view and facing over a sliding window (the offline rules)
    def _view(self, sample: PoseSample) -> tuple[str, int, float]:
        """The view, its facing sign and ``|cos yaw|`` from the window's frames: the offline
        rule itself (:func:`formcheck.kinematics.view.combine_yaw_cues` and
        :func:`~formcheck.kinematics.view.classify_cues`, as ``detect_view`` applies them
        to the whole clip): the body axis from the world landmarks, turned by 180 deg where
        the head points the other way; an oblique reading of it stands only where the image
        head cue is not side; without world landmarks (a pose function that gives none)
        the image head cue alone.

        Differences from offline, each from having no future frames: the window holds the
        last :data:`WINDOW_FRAMES` frames, not the whole clip, so a runner who turns is
        classed by where they face now (offline: by the clip's mean, which can read side
        on a clip whose first seconds face the camera), and the first
        :data:`MIN_VIEW_FRAMES` frames are "unknown". The landmarks are the model's raw
        ones (offline: cleaned, every frame of the selected runner).
        """
        sk = sample.skeleton
        xy = np.asarray(sample.xy, dtype=np.float64)[None]
        if sample.world is not None:
            world = np.asarray(sample.world, dtype=np.float64)[None]
            axis, head_w = float(body_axis_yaw(world, sk)[0]), float(head_world_yaw(world, sk)[0])
        else:
            axis = head_w = math.nan
        cues = (axis, head_w, float(head_image_yaw(xy, sk)[0]))
        if any(math.isfinite(c) for c in cues):
            self._yaw.append(cues)
        if len(self._yaw) < MIN_VIEW_FRAMES:
            return "unknown", 0, 1.0
        a = np.asarray(self._yaw)
        yaw, _sd, view, _facing, sign, _cues = classify_cues(*combine_yaw_cues(a[:, 0], a[:, 1], a[:, 2]))
        cos = abs(math.cos(math.radians(yaw))) if math.isfinite(yaw) else 1.0
        return view, sign, cos

    def process(self, frame: Any) -> FrameResult:
        """One frame (anything with ``index``, ``time_s``, ``rgb``, ``captured_s``)."""
        t = float(frame.time_s)
        entered = self._measure_rate(t, int(getattr(frame, "index", -1)))
        sample = self.pose(frame.rgb, t)
        h, w = frame.rgb.shape[:2]
        res = FrameResult(frame.index, t, float(getattr(frame, "captured_s", math.nan)),
                          int(w), int(h), None, None, "no runner in view", "unknown", 0,
                          skeleton=sample.skeleton)
        if sample.switched is not None:
            self._start_over(res, sample)
        torso = self._runner(res, t, sample)
        if res.step is None and not self.slow:
            res.cues = self.engine.poll(t)
        res.active = [] if self.slow else self.engine.active
        tracking = res.status == "tracking"
        if tracking and self._n_steps == 0:
            res.status = "finding the step rhythm"
        self._why_no_steps(res, t, sample.found, torso if sample.found else math.nan)
        if self.slow:
            self._say_too_slow(res, t, entered)
        elif self._switch is not None and t - self._switch[0] < SWITCH_SAY_S:
            res.status = f"{self._switch[1]}; {res.status}"
        if tracking:
            th = threshold_for("forward_head", self.engine.height_known)
            state = judge(res.metrics.get("cva_deg", math.nan), th, 0.0)
            res.line = ("fault" if "forward_head" in res.active else
                        "warn" if state == "bad" else "ok" if state is not None else None)
        return res

    def _runner(self, res: FrameResult, t: float, sample: PoseSample) -> float:
        """The runner's part of one frame (view, smoothing, metrics, steps) into ``res``;
        the torso length (px; NaN without a runner)."""
        if not sample.found:
            return math.nan
        sk = sample.skeleton
        xy = np.array(sample.xy, dtype=np.float64)
        xy[sample.visibility < self.min_visibility] = np.nan
        raw_view, s, cos_yaw = self._view(sample)
        shoulders, hips = list(sk.pair("shoulder")), list(sk.pair("hip"))
        sh = np.nanmean(xy[shoulders], axis=0) if np.isfinite(
            xy[shoulders, 0]).any() else np.full(2, np.nan)
        hp = np.nanmean(xy[hips], axis=0) if np.isfinite(
            xy[hips, 0]).any() else np.full(2, np.nan)
        torso_now = float(np.hypot(*(sh - hp)))
        if math.isfinite(torso_now) and torso_now > 0:
            self._torso.append(torso_now)
        torso = float(np.median(self._torso)) if self._torso else math.nan
        smooth = self.smoother(t, xy, torso if math.isfinite(torso) else 100.0)
        res.xy, res.visibility = smooth, np.where(np.isfinite(smooth[:, 0]), sample.visibility, 0.0)
        res.view, res.facing = raw_view, s
        series = PoseSeries(np.array([t]), smooth[None].astype(np.float32),
                            np.full((1, sk.n), np.nan, np.float32),
                            res.visibility[None].astype(np.float32),
                            np.full((1, sk.n, 3), np.nan, np.float32), self._video, skeleton=sk)
        pts = body_points(series)
        if raw_view == "oblique":  # both sides in view: as offline (analysis._per_frame_table)
            pts = stretch_forward(midpoints(series, pts), cos_yaw)
        if raw_view in SAGITTAL and s != 0:
            m = {k: _one(v) for k, v in side_view_frame_metrics(pts, s).items()}
            res.metrics = m
            res.status = "tracking"
            self._frame_row(res, t, m, pts, torso, smooth)
        elif raw_view == "unknown":
            res.status = "finding the view"
            # the rhythm needs no view: its first seconds are not lost while the view
            # is decided (offline counts those steps too)
            self._feed_steps(res, t, pts, torso, smooth)
        else:
            res.status = "not a side view: no posture cues (film the runner from the side)"
        return torso

    def _start_over(self, res: FrameResult, sample: PoseSample) -> None:
        """The tracker moved to another person (:class:`formcheck.pose.stream.PoseTracker`):
        the runner's state (smoothing, view window, step detector, posture rows) starts
        over on that person's recent frames, whose steps count from here (steps already
        counted stay); the status says so for :data:`SWITCH_SAY_S`."""
        self.smoother.reset()  # the pipeline's own filter and detector, settings kept
        self.steps.reset()
        self._yaw.clear()
        self._torso.clear()
        self._rows = []
        self._last_mid = None
        for tb, sb in sample.backlog:
            past = FrameResult(res.index, tb, res.captured_s, res.width, res.height, None, None,
                               "", "unknown", 0, skeleton=sb.skeleton)
            self._runner(past, tb, sb)
            res.new_steps += past.new_steps
            res.cues += past.cues
            if past.step is not None:
                res.step = past.step
        if res.new_steps:
            self._last_step_t = res.time_s
        self._switch = (res.time_s, sample.switched or "")
        res.notice = sample.switched

    def _measure_rate(self, t: float, index: int) -> bool:
        """Update :attr:`rate` and :attr:`slow` with a frame processed at clip time ``t``
        (``index`` counts the source's frames, dropped ones too); True when the machine
        has just been found too slow."""
        self._rate_frames.append((t, index))
        while t - self._rate_frames[0][0] > RATE_WINDOW_S:
            self._rate_frames.popleft()
        span = t - self._rate_frames[0][0]
        if span < RATE_MIN_SPAN_S:
            return False
        self.rate = (len(self._rate_frames) - 1) / span
        if not self.slow and self.rate < MIN_STEP_FPS - RATE_SLACK:
            self.slow = True
            self.engine.interrupt()  # no run of bad steps spans the slow stretch
            return True
        if self.slow and self.rate >= MIN_STEP_FPS:
            self.slow = False
            self._slow_said = -math.inf
            self._last_step_t = t  # the "no steps for 5 s" clock starts again
        return False

    def _say_too_slow(self, res: FrameResult, t: float, entered: bool) -> None:
        """While too slow: the status says so on every frame, and the notice (the headless
        line) when it starts and every :data:`NO_STEP_S` after."""
        idx = [i for _, i in self._rate_frames]
        dropping = any(b - a > 1 for a, b in pairwise(idx)) or min(idx) < 0
        res.status = too_slow_text(self.rate, dropping)
        res.slow = True
        if entered or t - self._slow_said >= NO_STEP_S - 1e-6:
            res.notice = res.status
            self._slow_said = t

    def _why_no_steps(self, res: FrameResult, t: float, found: bool, torso: float) -> None:
        """Never silent: once no step has been counted for :data:`NO_STEP_S`, the status
        says why (see :func:`why_no_steps`), and :attr:`FrameResult.notice` repeats it
        every :data:`NO_STEP_S` (and when the reason changes) until steps come."""
        if self._t0 is None:
            self._t0 = t
        self._recent.append((t, found, res.view, torso))
        while self._recent and t - self._recent[0][0] > NO_STEP_S:
            self._recent.popleft()
        if res.new_steps or self.slow:
            self._said = None
            return
        since = t - max(self._last_step_t, self._t0)
        if since < NO_STEP_S:
            return
        reason = why_no_steps(list(self._recent), res.height, self.steps.period_s)
        res.status = f"no steps for {since:.0f} s: {reason}"
        kind = reason.split(" (")[0]  # the reason without its numbers
        if self._said is None or self._said[1] != kind or t - self._said[0] >= NO_STEP_S - 1e-6:
            res.notice = reason
            self._said = (t, kind)

    def _frame_row(self, res: FrameResult, t: float, m: dict[str, float],
                   pts: dict[str, np.ndarray], torso: float, xy: np.ndarray) -> None:
        self._rows.append(_Row(t, m, _one(pts["hip"][:, 1]), _one(pts["ankle_low"][:, 1]), torso))
        self._feed_steps(res, t, pts, torso, xy)

    def _feed_steps(self, res: FrameResult, t: float, pts: dict[str, np.ndarray], torso: float,
                    xy: np.ndarray) -> None:
        hip_y = _one(pts["hip"][:, 1])
        if not math.isfinite(torso) or torso <= 0:
            return
        la, ra = res.skeleton.pair("ankle")
        feet = (xy[la] - xy[ra]) / torso
        for det in self.steps.update(t, hip_y / torso, (float(feet[0]), float(feet[1]))):
            self._add_step(res, t, det)

    def _add_step(self, res: FrameResult, t: float, det: DetectedStep) -> None:
        prev, mid = det.t_start_s, det.t_end_s
        self._last_mid = mid
        rows = [r for r in self._rows if prev <= r.t <= mid]
        before = [r for r in self._rows if r.t <= mid]
        # the frames after this mid-stance, and the latest before it (see MIN_POSTURE_FRAMES)
        self._rows = before[-MIN_POSTURE_FRAMES:] + [r for r in self._rows if r.t > mid]
        if not det.valid or self.slow:
            # not a step offline would count (too long or short, no bounce, gaps), or the
            # frames come too slowly to tell a step from an alias of the bounce
            return
        # the latest frames, from at most one step before this one's start
        latest = [r for r in before if r.t >= 2 * prev - mid][-MIN_POSTURE_FRAMES:]
        values: dict[str, float] = {}
        if len(rows) >= MIN_POSTURE_FRAMES or len(latest) >= MIN_POSTURE_FRAMES:
            values = self._step_values(rows, latest, mid)
        step = StepResult(self._n_steps, prev, mid, len(rows), values, {})
        self._n_steps += 1
        self._last_step_t = t
        res.new_steps.append(step)
        res.step = step
        res.cues = res.cues + self.engine.step(t, values)
        step.states = dict(step_states(values, self.engine.height_known, self.engine.margins))

    def _step_values(self, rows: list[_Row], latest: list[_Row], end: float) -> dict[str, float]:
        """A step's posture values, defined as in the offline step table: medians over
        the step's frames; waist bend as the median over stance (lower ankle within 5%
        of a torso length of its lowest point); bounce as the hip's range over the step
        in torso lengths (and cm when the height is known). Where the step has fewer
        than :data:`MIN_POSTURE_FRAMES` frames before its end, the medians and the waist
        bend are taken over the ``latest`` frames up to its end instead (when there are
        as many); the bounce needs three of the step's own (else not measured)."""
        inner = [r for r in rows if r.t < end]
        posture = rows
        if len(inner) < MIN_POSTURE_FRAMES and len(latest) >= MIN_POSTURE_FRAMES:
            inner = posture = latest
        values = {k: _nanmedian([r.metrics[k] for r in inner]) for k in MEDIAN_METRICS}
        torso = _nanmedian([r.torso for r in posture])
        ankle = np.array([r.ankle_y for r in posture])
        bend = np.array([r.metrics["waist_bend_deg"] for r in posture])
        if np.isfinite(ankle).any() and math.isfinite(torso):
            stance = ankle >= np.nanmax(ankle) - 0.05 * torso
            values["waist_bend_deg"] = _nanmedian(list(bend[stance]))
        else:
            values["waist_bend_deg"] = math.nan
        hip = np.array([r.hip_y for r in rows])
        hip = hip[np.isfinite(hip)]
        step_torso = _nanmedian([r.torso for r in rows])
        osc = float(np.ptp(hip)) / step_torso if hip.size >= 3 and step_torso > 0 else math.nan
        values["vertical_oscillation_torso"] = osc
        if self.height_cm:
            values["vertical_oscillation_cm"] = osc * TORSO_HEIGHT_FRACTION * self.height_cm
        return values
