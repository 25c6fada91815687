"""Replay a clip through the live pipeline and set it beside the offline analysis.

:func:`replay_live` plays a clip as a live source would deliver it: at its real speed
on a :class:`~formcheck.io.sources.SimulatedClock`, so a frame is dropped exactly when
real-time playback would drop it. With ``cost_s=None`` every frame is charged the time
its processing really took on this machine (real timing); a fixed ``cost_s`` charges
that much per frame instead (the drop pattern of a machine that needs ``cost_s`` a
frame, the same on every run). The result keeps the steps, their posture values, the
cues and the status line of every processed frame.

:func:`replay_offline` is the offline analysis of the same clip, reduced to what the
live mode can be compared with (step count, per-step values, change points, faults),
and :func:`compare` runs both. Tests and the notes' table use this one harness.

:func:`formcheck.web.replay.replay_web` does the same through the web live page
(the web layer sits above this one).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.io.sources import PacedFileSource, SimulatedClock
from formcheck.live.cues import Cue, CueEngine
from formcheck.live.pipeline import FrameResult, LivePipeline, PoseFn, StepResult
from formcheck.live.session import LiveSession, LiveSummary


@dataclass
class LiveReplay:
    """What the live mode did with a clip: every processed frame's time and status,
    the steps (with their posture values) and the cues."""

    clip: str
    summary: LiveSummary
    steps: list[StepResult]
    cues: list[Cue]
    times: np.ndarray  # clip time of each processed frame (s)
    statuses: list[str]  # the status line of each processed frame
    hips: np.ndarray | None = None  # (n, 2) hip midpoint of each processed frame, px (NaN: nobody)

    @property
    def n_steps(self) -> int:
        return len(self.steps)

    def first_cue(self, code: str) -> float:
        """Clip time of the first cue for ``code`` (NaN when none)."""
        return next((c.time_s for c in self.cues if c.code == code), math.nan)

    def status_at(self, t: float) -> str:
        """The status line shown at clip time ``t`` (the last processed frame before)."""
        i = int(np.searchsorted(self.times, t, side="right")) - 1
        return self.statuses[max(i, 0)]


@dataclass
class OfflineReplay:
    """The offline analysis of the same clip, as far as live can be compared with it."""

    clip: str
    n_steps: int
    cadence_spm: float
    step_table: Any  # pandas DataFrame (the offline step table)
    change_points: list[float]  # clip times (s) of abrupt posture changes
    faults: dict[str, str]  # fault code -> severity (found ones)
    view: str
    t: np.ndarray | None = None  # (n,) frame times (s)
    hips: np.ndarray | None = None  # (n, 2) the runner's hip midpoint, px (NaN: not found)
    torso_px: float = math.nan  # the runner's median torso length (shoulders to hips)
    #: metric -> this clip's measurement error of the metric's median (one SD, the
    #: ``total`` of :func:`formcheck.assess.faults.measurement_error`), for the metrics
    #: that have an error model
    errors: dict[str, float] = field(default_factory=dict)


@dataclass
class Comparison:
    live: LiveReplay
    offline: OfflineReplay | None
    extra: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        """One row of the notes' table."""
        off = self.offline
        fh = self.live.first_cue("forward_head")
        return {"clip": self.live.clip, "live_steps": self.live.n_steps,
                "offline_steps": off.n_steps if off else None,
                "dropped": round(self.live.summary.dropped_fraction, 3),
                "offline_change_s": [round(c, 2) for c in off.change_points] if off else None,
                "live_forward_head_cue_s": None if math.isnan(fh) else round(fh, 2),
                "live_cues": [f"{c.time_s:.1f} {c.code}" for c in self.live.cues],
                "offline_faults": off.faults if off else None, **self.extra}


def replay_live(path: str | Path, *, cost_s: float | None = None, pose: PoseFn | None = None,
                model: str | None = None, height_cm: float | None = None,
                engine: CueEngine | None = None,
                on_result: Callable[[FrameResult], None] | None = None) -> LiveReplay:
    """Play ``path`` through the live pipeline on a simulated clock (see the module text).

    ``pose`` replaces the pose model (a callable ``(rgb, time_s) -> PoseSample``); by
    default the bundled model's :class:`~formcheck.pose.stream.PoseTracker` runs, as in
    ``formcheck live``.
    """
    closers: list[Callable[[], None]] = []
    if pose is None:
        from formcheck.pose.bundle import resolve_model
        from formcheck.pose.stream import PoseTracker

        tracker = PoseTracker(resolve_model(model))
        pose = tracker
        closers.append(tracker.close)
    engine = engine or CueEngine(height_known=height_cm is not None)
    pipeline = LivePipeline(pose, engine, height_cm=height_cm)
    source = PacedFileSource(path, SimulatedClock(cost_s))
    steps: list[StepResult] = []
    times: list[float] = []
    statuses: list[str] = []
    hips: list[np.ndarray] = []

    def seen(r: FrameResult) -> None:
        times.append(r.time_s)
        statuses.append(r.status)
        hip = list(r.skeleton.pair("hip"))
        hips.append(np.nanmean(r.xy[hip], axis=0) if r.xy is not None and np.isfinite(r.xy[hip, 0]).any()
                    else np.full(2, np.nan))
        steps.extend(r.new_steps)
        if on_result is not None:
            on_result(r)

    session = LiveSession(source, pipeline, on_result=seen, closers=closers)
    summary = session.run()
    return LiveReplay(Path(path).name, summary, steps, list(summary.cues), np.asarray(times), statuses,
                      np.asarray(hips, dtype=float).reshape(-1, 2))


def replay_offline(path: str | Path, model: str | None = None,
                   height_cm: float | None = None) -> OfflineReplay:
    """The offline analysis of ``path`` (nothing written), reduced for comparison."""
    from formcheck.assess.faults import ClipContext, measurement_error
    from formcheck.assess.norms import ERROR_MODELS
    from formcheck.model.settings import Settings
    from formcheck.pipeline.run import analyze

    a = analyze(path, Settings(model=model, height_cm=height_cm, video=False, report=False, threads=1))
    cps = [float(c.t_s) for c in a.posture_segments.change_points] if a.posture_segments else []
    faults: dict[str, str] = {f.code: str(f.severity) for f in a.faults if f.status == "found"}
    pose = a.pose
    sk = pose.skeleton
    xy = pose.xy.astype(float)
    hips = 0.5 * xy[:, list(sk.pair("hip"))].sum(axis=1)  # NaN where either is missing
    shoulders = 0.5 * xy[:, list(sk.pair("shoulder"))].sum(axis=1)
    torso = np.hypot(*(shoulders - hips).T)
    # the errors offline judged the clip's faults with (its context: runner size, ear and
    # nose visibility, camera height)
    ctx = a.context or ClipContext.from_frames(a.frames)  # as the faults' judge falls back
    errors = {m: float(measurement_error(a.step_table[m], m, ctx)["total"])
              for m in ERROR_MODELS if m in a.step_table and a.step_table[m].notna().sum() >= 2}
    return OfflineReplay(Path(path).name, int(a.steps.count), float(a.steps.cadence_spm), a.step_table,
                         cps, faults, str(a.view.view), np.asarray(pose.t, dtype=float), hips,
                         float(np.nanmedian(torso)) if np.isfinite(torso).any() else math.nan, errors)


def compare(path: str | Path, *, cost_s: float | None = None, model: str | None = None,
            height_cm: float | None = None, offline: bool = True) -> Comparison:
    """Both analyses of one clip (see the module text)."""
    live = replay_live(path, cost_s=cost_s, model=model, height_cm=height_cm)
    off = replay_offline(path, model=model, height_cm=height_cm) if offline else None
    return Comparison(live, off)
