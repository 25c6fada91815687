"""The analysis pipeline for one clip, from file to faults (no files written here).

video -> pose extraction -> runner selection -> cleaning -> view & facing ->
per-frame metrics -> steps -> per-step metrics -> clip summary -> faults.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import signal

from formcheck import ANALYSIS_REVISION, __version__
from formcheck.assess.faults import ClipContext, find_faults
from formcheck.assess.norms import (
    DEFAULT_HEIGHT_CM,
    DEFAULT_MASS_KG,
    HEAD_MASS_FRACTION,
    TORSO_HEIGHT_FRACTION,
    G,
)
from formcheck.assess.segments import segment_steps
from formcheck.assess.verdict import checklist, drift_table, metric_bands
from formcheck.kinematics.cleaning import clean, true_runs
from formcheck.kinematics.level import rotate_points
from formcheck.kinematics.metrics import (
    body_points,
    front_view_frame_metrics,
    side_view_frame_metrics,
)
from formcheck.kinematics.steps import (
    MIN_STEP_COVERAGE,
    NoRhythmError,
    Steps,
    bounce_amplitude,
    detect_steps,
    gait_kind,
    step_coverage,
    time_windows,
)
from formcheck.kinematics.timing import check_slow_motion, start_timing
from formcheck.kinematics.view import (
    ViewResult,
    detect_view,
    midpoints,
    oblique_note,
    stretch_forward,
    view_stretches,
)
from formcheck.model import registry
from formcheck.model.capture import Extracted
from formcheck.model.pose import PoseSeries
from formcheck.model.provenance import library_versions
from formcheck.model.results import (
    SCHEMA_VERSION,
    TILT_METHOD,
    AnalysisResult,
    CameraTilt,
    CleaningRecord,
    DecodeStats,
    FaultRecord,
    ModelMeta,
    PostureSegments,
    TimingRecord,
    VideoMeta,
    json_ready,
)
from formcheck.model.settings import Settings

log = logging.getLogger(__name__)

#: Below this torso length (px) the runner is "small in the frame" (a warning).
SMALL_TORSO_PX = 60.0
#: With no step rhythm, posture is still summarised if the runner is seen this long (s).
MIN_WINDOWED_S = 3.0

#: name -> (unit, description), from the registry (:mod:`formcheck.model.registry`).
#: The order is the order of the summary and the tables.
SIDE_METRICS: dict[str, tuple[str, str]] = {
    m.key: (m.unit, m.description) for m in registry.of_view("side")}
FRONT_METRICS: dict[str, tuple[str, str]] = {
    m.key: (m.unit, m.description) for m in registry.of_view("front")}
COMMON_METRICS: dict[str, tuple[str, str]] = {
    m.key: (m.unit, m.description) for m in registry.of_view("any")}
ALL_METRICS = {m.key: (m.unit, m.description) for m in registry.METRICS}
POINTS = ("nose", "ear", "shoulder", "hip", "knee", "ankle", "ankle_low")


@dataclass
class Analysis:
    """Everything one clip's analysis produced (the outputs module writes it)."""

    video: VideoMeta
    model: ModelMeta
    settings: Settings
    raw: PoseSeries
    pose: PoseSeries
    cleaning: CleaningRecord
    view: ViewResult
    steps: Steps
    frames: pd.DataFrame
    step_table: pd.DataFrame
    metrics: dict[str, dict[str, Any]]
    faults: list[FaultRecord]
    drift: dict[str, dict[str, Any]]
    assumptions: list[str]
    evidence_frames: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)
    decode: DecodeStats = field(default_factory=DecodeStats)
    warnings: list[str] = field(default_factory=list)
    tilt: CameraTilt | None = None
    gait: dict[str, Any] = field(default_factory=dict)
    timing: TimingRecord = field(default_factory=TimingRecord)
    posture_segments: PostureSegments | None = None
    #: What the clip says about how well the head can be measured (runner size, ear and
    #: nose visibility, camera height): the faults' measurement errors were computed with it.
    context: ClipContext | None = None

    def summary(self) -> dict[str, Any]:
        """``summary.json`` as plain data (validated by :meth:`result`)."""
        det = self.raw.detected
        faults = [f.model_dump() for f in self.faults]
        return {
            "schema_version": SCHEMA_VERSION,
            "formcheck_version": __version__,
            "analysis_revision": ANALYSIS_REVISION,
            "made_with": library_versions(),
            "video": self.video.model_dump(),
            "model": self.model.model_dump(),
            "settings": dataclasses.asdict(self.settings),
            "settings_fingerprint": self.settings.fingerprint(),
            "detection": {
                "frames_with_runner": int(det.sum()),
                "frames": len(det),
                "fraction": round(float(det.mean()) if len(det) else 0.0, 4),
                "runner_selection": self.raw.selection,
            },
            "cleaning": self.cleaning.model_dump(),
            "camera_tilt": self.tilt.model_dump() if self.tilt else None,
            "view": self.view.view,
            "facing": self.view.facing,
            "view_detail": self.view.to_dict(),
            "steps": self.steps.count,
            "segments": self.steps.kind,
            "gait": self.gait,
            "timing": self.timing.model_dump(),
            "step_period_s": round(self.steps.period_s, 4),
            "metrics": self.metrics,
            "drift": self.drift,
            "posture_segments": self.posture_segments.model_dump() if self.posture_segments else None,
            "faults": faults,
            "checks": checklist(self.view.view, self.metrics, faults, self.steps.count),
            "evidence_frames": self.evidence_frames,
            "assumptions": self.assumptions,
            "warnings": self.warnings,
            "decode": self.decode.model_dump(),
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def drop_landmarks(self) -> None:
        """Let go of the landmark arrays that only the tables need, once they are written.

        The depth, visibility and world coordinates of both series (raw and cleaned)
        are replaced by read-only placeholders that take no memory (NaN; visibility 0);
        the pixel positions stay (the annotated video draws the cleaned ones, the summary
        counts the frames with a runner in the raw ones), so :meth:`result` and the
        writers that draw are unchanged. For the owner of an analysis that writes it once
        (:func:`formcheck.pipeline.run.analyze_video`): 0.8 KB a frame, 14 MB in a
        10-minute clip at 30 frames/s (issue 22: memory flat with clip length).
        """
        self.raw, self.pose = _without_depth(self.raw), _without_depth(self.pose)

    def result(self) -> AnalysisResult:
        """The typed result (:class:`formcheck.model.results.AnalysisResult`).

        Returns
        -------
        AnalysisResult
        """
        return AnalysisResult.model_validate(json_ready(self.summary()))


def _placeholder(shape: tuple[int, ...], value: float) -> np.ndarray:
    """A read-only float32 array of ``shape`` holding ``value`` everywhere, in no memory."""
    return np.broadcast_to(np.float32(value), shape)


def _without_depth(series: PoseSeries) -> PoseSeries:
    """``series`` with its z, visibility and world arrays replaced by placeholders."""
    n, k = len(series), series.skeleton.n
    return dataclasses.replace(series, z=_placeholder((n, k), np.nan), visibility=_placeholder((n, k), 0.0),
                               world=_placeholder((n, k, 3), np.nan))


def _only_frames(series: PoseSeries, keep: np.ndarray) -> PoseSeries:
    """``series`` with the runner taken out of the frames outside ``keep`` ((n,) bool)."""
    k = np.asarray(keep, dtype=bool)[:, None]
    return dataclasses.replace(
        series,
        xy=np.where(k[..., None], series.xy, np.nan).astype(series.xy.dtype),
        z=np.where(k, series.z, np.nan).astype(series.z.dtype),
        visibility=np.where(k, series.visibility, 0.0).astype(series.visibility.dtype),
        world=np.where(k[..., None], series.world, np.nan).astype(series.world.dtype))


def _nanmedian(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


def _nanrange(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.max() - x.min()) if x.size >= 3 else float("nan")


def _stance_median(values: np.ndarray, ankle_y: np.ndarray, torso: np.ndarray, a: int, b: int) -> float:
    """Median of ``values`` over the stance frames of step [a, b]: frames where the
    lower ankle is within 5% of a torso length of its lowest (ground) position."""
    seg_y = ankle_y[a: b + 1]
    if not np.isfinite(seg_y).any():
        return float("nan")
    ground = np.nanmax(seg_y)
    stance = seg_y >= ground - 0.05 * _nanmedian(torso[a: b + 1])
    return _nanmedian(values[a: b + 1][stance])


def _stride_start(steps: Steps, k: int) -> int:
    """First frame of the stride that ends with step ``k``: the start of step ``k - 1``
    when it ends where step ``k`` starts, else one step's length before step ``k``."""
    a, b = steps.bounds[k]
    if k > 0 and steps.bounds[k - 1][1] == a:
        return steps.bounds[k - 1][0]
    return max(0, a - (b - a))


def neck_moment(ear: np.ndarray, shoulder: np.ndarray, torso_px: np.ndarray, s: int,
                fps: float, height_cm: float, mass_kg: float) -> tuple[np.ndarray, np.ndarray]:
    """Forward-head flexion moment about the shoulder line (N m) and the load factor.

    ``M = m_head * (g + a_v) * lever``, with ``m_head = 0.081 * body mass`` (head and
    neck, Winter 2009), ``a_v`` the ear's vertical acceleration (up +, from a
    Savitzky-Golay second derivative) and ``lever`` the horizontal distance of the ear
    ahead of the shoulder (0 when behind). Pixels become metres through the torso
    length, taken as 0.288 x height. The shoulder landmark stands in for C7 and the
    ear for the head's centre of mass, so M indexes the *extra* moment that a forward
    head adds and the bounce multiplies; it is not the total neck moment.
    Returns (moment, load_factor) per frame, where load_factor = (g + a_v) / g.

    Parameters
    ----------
    ear : numpy.ndarray
        (n, 2) ear position per frame, pixels (x, y with y down); NaN where missing.
    shoulder : numpy.ndarray
        (n, 2) shoulder position per frame, pixels.
    torso_px : numpy.ndarray
        Torso length per frame, pixels; its NaN-median sets the pixel-to-metre scale.
    s : int
        Facing sign (+1 or -1): which image direction counts as forward.
    fps : float
        Frame rate (frames per second), for the acceleration.
    height_cm : float
        Runner's height, cm.
    mass_kg : float
        Runner's body mass, kg.

    Returns
    -------
    moment : numpy.ndarray
        (n,) moment per frame, N m; NaN where the ear's acceleration is unknown.
    load_factor : numpy.ndarray
        (n,) ``(g + a_v) / g`` per frame; NaN where the acceleration is unknown.
    """
    m_per_px = (TORSO_HEIGHT_FRACTION * height_cm / 100.0) / np.nanmedian(torso_px)
    y_up_m = -ear[:, 1] * m_per_px
    window = max(5, int(round(0.15 * fps)) | 1)
    acc = np.full_like(y_up_m, np.nan)
    ok = np.isfinite(y_up_m)
    for a, b in true_runs(ok):
        if b - a > window:
            acc[a:b] = signal.savgol_filter(y_up_m[a:b], window, 3, deriv=2, delta=1.0 / fps)
    lever = np.clip(s * (ear[:, 0] - shoulder[:, 0]) * m_per_px, 0.0, None)
    m_head = HEAD_MASS_FRACTION * mass_kg
    factor = (G + acc) / G
    return m_head * (G + acc) * lever, factor


def _per_frame_table(pose: PoseSeries, view: ViewResult, image_pose: PoseSeries) -> tuple[pd.DataFrame, dict]:
    """Per-frame table: key points in image pixels (``image_pose``), metrics from ``pose``
    (the same landmarks, levelled when the camera is rolled)."""
    pts = body_points(pose)
    img_pts = pts if image_pose is pose else body_points(image_pose)
    data: dict[str, Any] = {"frame": np.arange(len(pose)), "time_s": np.round(pose.t, 5),
                            "detected": image_pose.detected}
    for name in POINTS:
        data[f"{name}_x"] = np.round(img_pts[name][:, 0], 2)
        data[f"{name}_y"] = np.round(img_pts[name][:, 1], 2)
    metrics: dict[str, np.ndarray] = {}
    if view.view == "oblique":  # both sides in view: plain midpoints, forward offsets un-foreshortened
        pts = stretch_forward(midpoints(pose, pts), view.cos_yaw)
    if view.sagittal:
        metrics = side_view_frame_metrics(pts, view.facing_sign)
    elif view.view in ("front", "back"):
        metrics = front_view_frame_metrics(pose)
    for k, v in metrics.items():
        data[k] = v
    return pd.DataFrame(data), pts


def _step_table(frames: pd.DataFrame, pts: dict, steps: Steps, pose: PoseSeries, view: ViewResult,
                settings: Settings, torso: np.ndarray) -> pd.DataFrame:
    fps = pose.video.fps
    height = settings.height_cm
    cm_per_torso = TORSO_HEIGHT_FRACTION * height if height else None
    side = view.sagittal
    if side:
        moment, factor = neck_moment(pts["ear"], pts["shoulder"], torso, view.facing_sign, fps,
                                     height or DEFAULT_HEIGHT_CM, settings.mass_kg or DEFAULT_MASS_KG)
    rows = []
    bounce = bounce_amplitude(pts["shoulder"][:, 1], torso, fps, steps.period_s) if side else None
    for k, (a, b) in enumerate(steps.bounds):
        sl = slice(a, b)
        t0, t1 = steps.times[a], steps.times[b]
        windows = steps.kind != "steps"
        row: dict[str, Any] = {
            "step": k, "frame_start": a, "frame_end": b, "mid_stance_frame": a,
            "t_start_s": round(t0, 4), "t_end_s": round(t1, 4),
            "duration_s": round(t1 - t0, 4),
            "cadence_spm": np.nan if windows else 60.0 / (t1 - t0),
        }
        if side:
            for m in registry.SIDE_STEP_MEDIANS:
                row[m] = _nanmedian(frames[m].to_numpy()[sl])
            for m in registry.SIDE_STRIDE_MEDIANS:
                row[m] = _nanmedian(frames[m].to_numpy()[sl if windows else slice(_stride_start(steps, k), b)])
            row["waist_bend_deg"] = np.nan if windows else _stance_median(
                frames["waist_bend_deg"].to_numpy(), pts["ankle_low"][:, 1], torso, a, b)
            row["vertical_oscillation_torso"] = (_nanmedian(bounce[sl]) if bounce is not None
                                                 and not windows else np.nan)
            row["head_bob_deg"] = np.nan if windows else _nanrange(frames["neck_trunk_angle_deg"].to_numpy()[sl])
            row["neck_load_nm"] = float(np.nanmean(moment[sl])) if np.isfinite(moment[sl]).any() else np.nan
            row["neck_load_peak_nm"] = float(np.nanmax(moment[sl])) if np.isfinite(moment[sl]).any() else np.nan
            row["bounce_load_factor"] = (float(np.nanmax(factor[sl])) if np.isfinite(factor[sl]).any()
                                         and not windows else np.nan)
            if cm_per_torso:
                row["head_forward_offset_cm"] = row["head_forward_offset_torso"] * cm_per_torso
                row["vertical_oscillation_cm"] = row["vertical_oscillation_torso"] * cm_per_torso
        elif view.view in ("front", "back"):
            for m in FRONT_METRICS:
                row[m] = _nanmedian(frames[m].to_numpy()[sl])
        rows.append(row)
    return pd.DataFrame(rows)


#: Metrics that depend on the clock: withheld while a slow-motion factor is only proposed.
#: (Distances and angles do not; the mean neck moment is dominated by g.)
SPEED_DEPENDENT = tuple(m.key for m in registry.METRICS if m.clock)


def _playback_positions(frames: pd.DataFrame, step_table: pd.DataFrame, t_playback: np.ndarray,
                        factor: float) -> None:
    """Positions in the clip in playback time (where a player shows them), in place:
    ``time_s`` and the steps' ``t_start_s``/``t_end_s``; ``real_time_s`` is added beside
    ``time_s``. Durations and rates stay in real time."""
    frames["time_s"] = np.round(t_playback, 5)
    frames.insert(int(frames.columns.get_loc("time_s")) + 1, "real_time_s",
                  np.round(t_playback / factor, 5))
    for col in ("t_start_s", "t_end_s"):
        if col in step_table:
            step_table[col] = (step_table[col] * factor).round(4)


#: A step whose trunk lean is this far (deg) from the clip's median step, and more than
#: 4 robust standard deviations, is not counted: holding the rails, stepping on or off.
OUTLIER_LEAN_DEG = 12.0


def _drop_posture_outliers(steps: Steps, step_table: pd.DataFrame) -> tuple[Steps, pd.DataFrame, int]:
    """Leave out steps whose trunk lean is far from the runner's other steps."""
    if steps.kind != "steps" or "trunk_lean_deg" not in step_table or len(step_table) < 5:
        return steps, step_table, 0
    lean = step_table["trunk_lean_deg"]
    med = float(lean.median())
    mad = float((lean - med).abs().median()) * 1.4826
    off = (lean - med).abs() > max(OUTLIER_LEAN_DEG, 4 * mad)
    if not off.any() or off.all():
        return steps, step_table, 0
    keep = ~off.to_numpy()
    bounds = [b for b, k in zip(steps.bounds, keep, strict=True) if k]
    durations = np.array([steps.times[b] - steps.times[a] for a, b in bounds])
    kept = dataclasses.replace(steps, bounds=bounds, cadence_spm=60.0 / float(np.mean(durations)))
    table = step_table[keep].reset_index(drop=True)
    table["step"] = np.arange(len(table))
    return kept, table, int(off.sum())


def _summarise(step_table: pd.DataFrame, view: ViewResult, settings: Settings) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, (unit, desc) in ALL_METRICS.items():
        measurable = name in step_table and step_table[name].notna().any()
        entry: dict[str, Any] = {"median": None, "p10": None, "p90": None, "unit": unit,
                                 "measurable": bool(measurable), "description": desc}
        if measurable:
            v = step_table[name].dropna()
            entry.update(median=round(float(v.median()), 4), p10=round(float(v.quantile(0.1)), 4),
                         p90=round(float(v.quantile(0.9)), 4), n_steps=int(v.size))
        else:
            if name in SIDE_METRICS and not view.sagittal:
                entry["reason"] = f"needs a side or oblique view (this clip: {view.view})"
            elif name in FRONT_METRICS and view.view not in ("front", "back"):
                entry["reason"] = f"needs a front or back view (this clip: {view.view})"
            elif name.endswith("_cm") and settings.height_cm is None:
                entry["reason"] = "needs the runner's height (--height-cm)"
            else:
                entry["reason"] = "landmarks not visible enough"
        out[name] = entry
    return out


def _evidence_frames(frames: pd.DataFrame, faults: list[FaultRecord], view: ViewResult) -> dict[str, int]:
    """Worst and best moments for the report's stills."""
    out: dict[str, int] = {}
    if faults and faults[0].frame is not None:
        out["worst"] = int(faults[0].frame)
    key = "cva_deg" if view.sagittal else "shoulder_tilt_deg" if view.view in ("front", "back") else None
    if key and key in frames and frames[key].notna().any():
        # Typical rather than extreme frames (the 10th and 90th percentiles): the single
        # most extreme frame is too often a tracking glitch or a moment off the treadmill.
        col = frames[key] if view.sagittal else frames[key].abs()
        bad, good = (0.1, 0.9) if view.sagittal else (0.9, 0.1)
        out.setdefault("worst", int((col - col.quantile(bad)).abs().idxmin()))
        out["best"] = int((col - col.quantile(good)).abs().idxmin())
    return out


def analyze_extracted(ex: Extracted, settings: Settings) -> Analysis:
    """The analysis after the pose pass (see :mod:`formcheck.pose.extract`).

    Parameters
    ----------
    ex : Extracted
        The pose pass's output (landmarks, video, model, timings, tilt, capture rate).
    settings : Settings
        Analysis settings.

    Returns
    -------
    Analysis
        With the pose pass's decode statistics and warnings added.
    """
    analysis = finish_analysis(ex.raw, ex.video, ex.model, settings, ex.timings, None, ex.tilt,
                               capture=ex.capture, frame_change=ex.frame_change)
    analysis.decode = ex.decode
    analysis.warnings = ex.warnings + analysis.warnings
    return analysis


def finish_analysis(raw: PoseSeries, video: VideoMeta, model: ModelMeta, settings: Settings,
                    timings: dict[str, float] | None = None, t_start: float | None = None,
                    tilt: CameraTilt | None = None, capture: dict[str, Any] | None = None,
                    frame_change: np.ndarray | None = None) -> Analysis:
    """Everything after pose extraction: pure computation on the landmark arrays.

    With a camera roll that ``tilt`` is sure of, angles are measured on landmarks
    rotated level; the tables keep image coordinates (for drawing on the frames).
    Rates and durations are in real time (:mod:`formcheck.kinematics.timing`: the speed
    factor from ``settings.speed`` or the file's ``capture`` rate); repeated frames
    (``frame_change``, measured while decoding) are left out.

    Parameters
    ----------
    raw : PoseSeries
        The selected runner's landmarks as the model gave them.
    video : VideoMeta
        The clip.
    model : ModelMeta
        The pose model used.
    settings : Settings
        Analysis settings.
    timings : dict, optional
        Stage timings so far, s (the analysis adds its own).
    t_start : float, optional
        ``time.perf_counter()`` when the analysis started (default: now).
    tilt : CameraTilt, optional
        The camera roll estimate.
    capture : dict, optional
        The file's capture-rate record.
    frame_change : (n,) array, optional
        Per-frame grey-level change from decoding.

    Returns
    -------
    Analysis

    Raises
    ------
    NoRhythmError, ClipTooShortError
        Too little of the runner for a step or a window to measure.
    """
    timings = dict(timings or {})
    t2 = t_start if t_start is not None else time.perf_counter()
    tilt = tilt or CameraTilt(roll_deg=None, lines=0, spread_deg=None, applied=False, note="not estimated",
                              method=TILT_METHOD)
    timing, series = start_timing(raw, settings.speed, capture, frame_change)
    fps = series.video.fps  # frames per second of real time
    pose, clog = clean(series, settings.min_visibility, settings.max_gap_s, settings.cutoff_hz)
    level = pose
    if tilt.applied and tilt.roll_deg is not None:
        level = dataclasses.replace(pose, xy=rotate_points(pose.xy, tilt.roll_deg, video.width,
                                                           video.height).astype(np.float32))
    # one view per analysis: a clip that turns (or joins takes) from one view to another
    # is measured on its longest stretch with one view (kinematics.view.view_stretches)
    stretches = view_stretches(level)
    kept = max(stretches, key=lambda st: st.frames_with_yaw) if len(stretches) > 1 else None
    if kept is not None:
        keep = np.zeros(len(level), dtype=bool)
        keep[kept.first:kept.last] = True
        levelled = level is not pose
        pose, series = _only_frames(pose, keep), _only_frames(series, keep)
        level = _only_frames(level, keep) if levelled else pose
    view = detect_view(level, settings.view)
    if kept is not None:
        view.cues["stretches"] = [st.to_dict() for st in stretches]
        view.cues["analysed_stretch"] = stretches.index(kept)
    frames, pts = _per_frame_table(level, view, image_pose=pose)
    torso = np.hypot(*(pts["shoulder"] - pts["hip"]).T)
    la, ra = level.skeleton.pair("ankle")
    feet = (level.xy[:, la] - level.xy[:, ra]).astype(np.float64)  # (n, 2): x and y
    warnings: list[str] = list(timing.notes)
    if kept is not None:
        warnings.append(
            f"the view changes during the clip: the runner {', '.join(st.describe() for st in stretches)} "
            f"(a turn, or an edit joining takes); only {kept.start_s:.1f}-{kept.end_s:.1f} s, the longest "
            "stretch with one view, is measured: cut the clip to analyse another stretch")
    try:
        steps = detect_steps(pts["hip"][:, 1], torso, pose.t, fps, feet)
    except NoRhythmError:
        if level.detected.sum() < MIN_WINDOWED_S * fps:
            raise
        steps = time_windows(pose.t, level.detected)
        if not steps.bounds:
            raise
        warnings.append(
            "no step rhythm was found (between 43 and 270 steps/min at the clip's own speed: a "
            "slow-motion clip, walking in place, or the hips hidden?); cadence, bounce and head bob "
            "are not measured, and posture is summarised over 1 s windows instead of steps")
    coverage, gaps = step_coverage(steps)
    if coverage < MIN_STEP_COVERAGE:
        # the gaps on the playback clock, as every position in the clip is given
        # (the steps' times are real time: playback time / factor)
        k = timing.factor
        where = ", ".join(f"{a * k:.1f}-{b * k:.1f} s" for a, b in gaps[:4]) + (", ..." if len(gaps) > 4 else "")
        warnings.append(
            f"steps were found for only {100 * coverage:.0f}% of the time from the first to the last "
            f"(none at {where}: no clear step rhythm there; the runner slowed, stopped or held the rails, or "
            "the hips were blurred, compressed or hidden): "
            "the cadence and the per-step values are those of the steps found, and where the pace changes "
            "the gaps may hold steps of another pace")
    gait = ("unclear", float("nan"))
    if view.sagittal:
        gap = np.abs(level.xy[:, la, 0] - level.xy[:, ra, 0]).astype(np.float64)
        gait = gait_kind(pts["hip"][:, 1], gap, torso, fps)
        if gait[0] == "walking":
            warnings.append("this looks like walking, not running (the hips are highest when the "
                            "legs pass each other); the running norms may not apply")
    if timing.source == "none":
        warnings += check_slow_motion(timing, steps, pts["hip"][:, 1], torso, pose.t, fps, feet,
                                      gap if view.view == "side" else None, gait[0])
    step_table = _step_table(frames, pts, steps, level, view, settings, torso)
    steps, step_table, dropped = _drop_posture_outliers(steps, step_table)
    if dropped:
        warnings.append(
            f"{dropped} step(s) left out: the trunk was far from its lean in the other steps "
            "(hands on the rails, stepping on or off, or the tracking slipped)")
    step_of = np.full(len(frames), -1)
    for k, (a, b) in enumerate(steps.bounds):
        step_of[a:b] = k
    frames.insert(3, "step", step_of)
    if timing.source in ("given", "metadata") and steps.kind == "steps":
        timing.real_cadence_spm = steps.cadence_spm
        timing.playback_cadence_spm = steps.cadence_spm / timing.factor
    metrics = _summarise(step_table, view, settings)
    if steps.kind == "steps":
        metrics["cadence_spm"].update(median=round(steps.cadence_spm, 2))
    else:
        for name in (m.key for m in registry.METRICS if m.needs_steps):
            metrics[name].update(median=None, p10=None, p90=None, measurable=False,
                                 reason="no step rhythm found")
    if timing.slow_motion_unconfirmed:
        for name in SPEED_DEPENDENT:
            metrics[name].update(median=None, p10=None, p90=None, measurable=False,
                                 reason=timing.reason())
    _playback_positions(frames, step_table, raw.t, timing.factor)
    drift = drift_table(step_table, list(SIDE_METRICS) + list(FRONT_METRICS))
    segmentation = segment_steps(step_table) if len(step_table) else None
    if segmentation and segmentation.change_points:
        when = ", ".join(f"{c.t_s:.1f} s ({', '.join(c.changes)})" for c in segmentation.change_points)
        warnings.append(f"posture or pace changes abruptly at {when}: an edit, a demonstration or a change "
                        "of activity rather than fatigue; each part is summarised separately (posture_segments)")
    # what the clip says about how well the head can be measured (runner size, ear and
    # nose visibility, camera height): the measurement error of every fault widens with it
    ctx = ClipContext.from_pose(level.xy, series.z, series.visibility, series.detected, series.skeleton)
    ctx.torso_px = ClipContext.from_frames(frames).torso_px  # the runner size the tables use
    faults = find_faults(step_table, "side" if view.sagittal else view.view, settings.height_cm is not None,
                         frames, drift, ctx=ctx,
                         segments=[(g.first_step, g.last_step) for g in segmentation.segments]
                         if segmentation else None)
    metric_bands(metrics, {f.code for f in faults})
    assumptions = []
    if view.view == "oblique":
        assumptions.append(oblique_note(view))
    if view.sagittal:
        assumptions.append(
            f"neck load: head+neck mass = 8.1% of body mass ({settings.mass_kg or DEFAULT_MASS_KG:g} kg"
            f"{'' if settings.mass_kg else ', assumed'}), metres from torso = 0.288 x height "
            f"({settings.height_cm or DEFAULT_HEIGHT_CM:g} cm{'' if settings.height_cm else ', assumed'}); "
            "shoulder landmark stands in for C7, ear for the head's centre of mass")
    tilt_warnings = []
    torso_px = float(np.nanmedian(torso)) if np.isfinite(torso).any() else float("nan")
    if np.isfinite(torso_px) and torso_px < SMALL_TORSO_PX:
        tilt_warnings.append(
            f"the runner is small in the frame (torso about {torso_px:.0f} px): landmarks are less "
            "precise, so treat the angles with more caution; film closer or at a higher resolution")
    if tilt.applied:
        assumptions.append(f"camera roll of {tilt.roll_deg:+.1f} deg estimated from background lines "
                           "and removed before measuring angles")
    elif tilt.warn:
        tilt_warnings.append(tilt.note)
    if view.method == "given":
        assumptions.append(f"view set by the user: {view.view}")
    if view.view == "unknown":
        assumptions.append("camera view could not be classified (no usable landmarks): posture angles "
                           "not measured")
    timings["metrics"] = time.perf_counter() - t2
    pose = dataclasses.replace(pose, t=raw.t, video=video)  # positions in playback time
    return Analysis(video, model, settings, raw, pose, clog, view, steps, frames, step_table, metrics,
                    faults, drift, assumptions,
                    _evidence_frames(frames, faults, view), timings,
                    warnings=tilt_warnings + warnings, tilt=tilt,
                    gait={"kind": gait[0], "correlation": None if not np.isfinite(gait[1])
                          else round(gait[1], 3)}, timing=timing, posture_segments=segmentation,
                    context=ctx)
