"""Turning per-step metrics into the faults tied to neck soreness.

Each rule reads the per-step table, compares the clip's median with the thresholds
in :mod:`formcheck.assess.norms`, and returns the evidence: the median and spread, the
thresholds and their source, the share of steps past the threshold, and the step,
time and frame where it is worst (the frame the report shows).

How sure: every threshold fault carries the clip's **measurement error** (one standard
deviation of the clip median about the truth; :func:`measurement_error`, which knows
the runner's size in pixels, the ear's and nose's visibility and the camera's height),
the **interval** median +/- that error, and a ``status`` judged on the interval, not the
median (:func:`judge`):

- ``"found"``: the whole interval lies past the mild threshold; the ``severity`` is the
  highest band (mild / moderate / severe) the whole interval lies past, so *severe*
  only when even the least-bad end of the interval is past the severe threshold;
- ``"possible"``: the median is past the threshold, but the interval reaches back into
  the norm (it may be within the norm); severity "mild";
- ``"not_measurable"``: past the threshold, but the error is so large here that not
  even an extreme posture could be told from one within the norm (threshold's
  ``extreme``), or the landmarks were measured in too few steps; severity "mild".

A median within the norm gives no fault record at all.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from formcheck.assess.norms import (
    ADVICE,
    CALIBRATION_TORSO_PX,
    CAMERA_ELEVATION_ALLOWANCE_DEG,
    CAMERA_ELEVATION_SD_DEG,
    DRIFT_LIMITS,
    DRIFT_SOURCE,
    ERROR_MODELS,
    GUESSED_POINT_TORSO,
    LANDMARK_BLUR_PX,
    MEASUREMENT_ERROR_DEG,
    PITCH_ALLOWANCE_DEG,
    SHOULDER_WIDTH_TORSO,
    THRESHOLDS,
    WHOLE_BODY_LEAN_MAX_BEND,
    WHOLE_BODY_LEAN_SOURCE,
    Threshold,
)
from formcheck.assess.verdict import TITLES, drift_table
from formcheck.model.results import FaultRecord
from formcheck.model.skeleton import Skeleton

SEVERITY_RANK = {"severe": 3, "moderate": 2, "mild": 1}
STATUS_RANK = {"found": 0, "possible": 1, "not_measurable": 2}
#: A median over fewer steps, or over less than this share of the clip's steps (the
#: head hidden or the landmarks dropped in the others), is not a reading of the clip.
MIN_MEASURED_STEPS = 3
MIN_MEASURED_SHARE = 0.5

MESSAGES = TITLES


def _r(x: float, nd: int = 2) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def _evidence_frame(frames: pd.DataFrame | None, metric: str, start: int, end: int,
                    value: float, default: int) -> int:
    """The frame of step [start, end) whose per-frame value is closest to the step's own
    value: a frame that shows what the step shows, not a one-frame glitch."""
    if frames is None or metric not in frames:
        return default
    seg = frames[metric].iloc[start:end]
    if seg.notna().sum() == 0 or not np.isfinite(value):
        return default
    return int((seg - value).abs().idxmin())


@dataclass
class ClipContext:
    """What a clip says about how well its landmarks can be measured.

    ``torso_px``: median shoulder-hip length in pixels (runner size);
    ``camera_pitch_deg``: the angle at which the camera sees the runner's shoulders
    (+: camera above them, looking down; -: below them, looking up; the synthetic
    runner's convention), when known or estimated (None: unknown,
    ``CAMERA_ELEVATION_ALLOWANCE_DEG`` either way is allowed); ``camera_sd_deg``: how far that angle may be off (0 when given);
    ``ear_visibility`` / ``nose_visibility``: MediaPipe's median visibility of the
    camera-side ear and of the nose over the frames with the runner (0 where absent).
    """

    torso_px: float = float("nan")
    camera_pitch_deg: float | None = None
    camera_sd_deg: float = 0.0
    ear_visibility: float = 1.0
    nose_visibility: float = 1.0

    @classmethod
    def from_frames(cls, frames: pd.DataFrame | None) -> ClipContext:
        """The context of a clip from its per-frame table: only the torso length is known.

        Parameters
        ----------
        frames : pandas.DataFrame or None
            The per-frame table (``frames.csv``); its ``shoulder_x``, ``shoulder_y``, ``hip_x``
            and ``hip_y`` columns (pixels) give the torso length.

        Returns
        -------
        ClipContext
            With ``torso_px`` the median shoulder-hip distance (pixels), NaN when never
            measured; the defaults when ``frames`` is None or lacks those columns.
        """
        need = ("shoulder_x", "shoulder_y", "hip_x", "hip_y")
        if frames is None or not all(c in frames for c in need):
            return cls()
        torso = np.hypot(frames["shoulder_x"] - frames["hip_x"], frames["shoulder_y"] - frames["hip_y"])
        return cls(float(np.nanmedian(torso)) if np.isfinite(torso).any() else float("nan"))

    @classmethod
    def from_pose(cls, xy: np.ndarray, z: np.ndarray, visibility: np.ndarray,
                  detected: np.ndarray, skeleton: Skeleton) -> ClipContext:
        """The context of a clip from its landmarks: (n, K, 2) pixels (levelled), (n, K)
        relative depth and visibility, (n,) whether the runner was found; the K points
        are ``skeleton``'s.

        Camera height: in every frame the shoulder nearer the camera (smaller MediaPipe
        depth ``z``; the left/right labels are not used, they swap in a mirror image) and
        the far one. A camera below the shoulders sees the far one lower by ``width x sin
        e`` (see :data:`formcheck.assess.norms.SHOULDER_WIDTH_TORSO`), so the median of
        ``(y_far - y_near) / torso`` gives the angle ``e``. Unknown when the depth order
        of the shoulders is unclear in most frames (a front or back view).

        Parameters
        ----------
        xy : numpy.ndarray
            (n, K, 2) landmark positions, pixels, levelled; NaN where missing.
        z : numpy.ndarray
            (n, K) MediaPipe relative depth (image-width units, smaller is nearer).
        visibility : numpy.ndarray
            (n, K) landmark visibility, 0-1.
        detected : numpy.ndarray
            (n,) bool, whether the runner was found in the frame; only those frames are used.
        skeleton : Skeleton
            The landmark layout of the K points.

        Returns
        -------
        ClipContext
            Torso length (pixels), the camera-side ear's and the nose's median visibility, and
            the camera pitch (deg; None when unknown) with its uncertainty; the defaults when
            no frame has the runner.
        """
        det = np.asarray(detected, bool)
        if det.sum() == 0:
            return cls()
        p = np.asarray(xy, np.float64)[det]
        zz = np.asarray(z, np.float64)[det]
        vis = np.nan_to_num(np.asarray(visibility, np.float64)[det], nan=0.0)
        (ls, rs), (le, re) = skeleton.pair("shoulder"), skeleton.pair("ear")
        nose = skeleton.index("nose")
        # A frame with the runner found but a pair of points missing (hips out of the
        # picture) is expected: NaN there, no "Mean of empty slice" warning.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            shoulder = np.nanmean(p[:, [ls, rs]], axis=1)
            hip = np.nanmean(p[:, list(skeleton.pair("hip"))], axis=1)
        torso_f = np.hypot(*(shoulder - hip).T)
        torso = float(np.nanmedian(torso_f)) if np.isfinite(torso_f).any() else float("nan")
        ctx = cls(torso)
        # camera-side ear: the nearer one by depth, its visibility (absent: 0)
        ear_near_left = np.nan_to_num(zz[:, le], nan=np.inf) <= np.nan_to_num(zz[:, re], nan=np.inf)
        ear_vis = np.where(np.isfinite(p[:, le, 0]) | np.isfinite(p[:, re, 0]),
                           np.where(ear_near_left, vis[:, le], vis[:, re]), 0.0)
        nose_vis = np.where(np.isfinite(p[:, nose, 0]), vis[:, nose], 0.0)
        ctx.ear_visibility = float(np.median(ear_vis))
        ctx.nose_visibility = float(np.median(nose_vis))
        dz = zz[:, ls] - zz[:, rs]
        ok = np.isfinite(dz) & np.isfinite(p[:, [ls, rs], 1]).all(axis=1) & (torso_f > 0)
        ok &= np.abs(dz) > DEPTH_ORDER_MIN * torso_f  # z is in image-width units like x
        if ok.sum() >= MIN_CAMERA_FRAMES and ok.mean() >= 0.5:
            left_near = dz[ok] < 0
            y_l, y_r = p[ok, ls, 1], p[ok, rs, 1]
            drop = np.where(left_near, y_r - y_l, y_l - y_r) / torso_f[ok]  # far minus near, down +
            sin_e = float(np.clip(np.median(drop) / SHOULDER_WIDTH_TORSO, -1.0, 1.0))
            ctx.camera_pitch_deg = -float(np.degrees(np.arcsin(sin_e)))  # below: looking up
            ctx.camera_sd_deg = CAMERA_ELEVATION_SD_DEG
        return ctx


#: The shoulders' depth order is taken as known in a frame when their MediaPipe depths
#: differ by more than this share of the torso length (in a side view they differ by a
#: shoulder width, about 1.5-2.5 torso lengths in MediaPipe's depth units; in a front
#: view by little), and read in at least this many frames.
DEPTH_ORDER_MIN = 0.25
MIN_CAMERA_FRAMES = 10


def _camera_range(ctx: ClipContext) -> tuple[float, float, bool]:
    """The range of camera pitches (deg, + = above the shoulders) the clip allows, and
    whether the angle was known or estimated."""
    if ctx.camera_pitch_deg is None:
        return -CAMERA_ELEVATION_ALLOWANCE_DEG, CAMERA_ELEVATION_ALLOWANCE_DEG, False
    return ctx.camera_pitch_deg - ctx.camera_sd_deg, ctx.camera_pitch_deg + ctx.camera_sd_deg, True


def measurement_error(values: pd.Series, metric: str, ctx: ClipContext) -> dict[str, float]:
    """One standard deviation of the clip median of ``metric`` about the truth.

    Independent parts, added in quadrature (``total``), each for a physical reason:

    - ``step_to_step``: standard error of the median of the per-step values,
      ``1.2533 * SD / sqrt(n)`` (landmark jitter and the runner's own variation);
    - ``between_people``: how the landmarks sit on the anatomy differs from person to
      person (face, hair, clothing); measured on real people (:data:`ERROR_MODELS`);
    - ``calibration``: how uncertain the threshold itself is (annotation repeatability);
    - ``camera_pitch`` ("camera height" when the angle was estimated, "unknown camera
      pitch" when not): a camera below the shoulders sees the ear, which sits behind
      the near shoulder, drop against it, and vertical distances foreshortened
      (:func:`~formcheck.assess.norms.cva_camera_bias_deg`, at the worst angle of the
      range the clip allows); the head pitch likewise: the nose, on the midline, sits
      behind the camera-side ear (:func:`~formcheck.assess.norms.gaze_camera_error_deg`,
      against the cameras its thresholds were fitted with); other metrics: bias per
      10 deg from the synthetic runner;
    - ``runner_size``: for an angle between two landmarks (``line_torso``), detail
      finer than ``LANDMARK_BLUR_PX`` source pixels is lost, which turns a line of
      ``L`` px by ``atan(px / L)``; only the part beyond the size of the calibration
      clips (``CALIBRATION_TORSO_PX``), whose between-people spread holds the rest.
      Other metrics: ``small_gain * (small_px / torso_px - 1)`` below ``small_px``;
    - ``landmark_guess``: the model's own doubt about the ear / nose (``1 -
      visibility``) times how far a guessed point can sit from the real one
      (``GUESSED_POINT_TORSO``), turning the line as above.
    - ``facing`` (the two head angles): how far MediaPipe's left/right bias can still
      be from the correction :func:`~formcheck.kinematics.metrics.facing_correction_deg`
      takes off (``ErrorModel.facing``).

    Metrics without an :class:`ErrorModel` get the step-to-step part only.

    Parameters
    ----------
    values : pandas.Series
        The metric's per-step values (NaN ignored).
    metric : str
        The metric's key.
    ctx : ClipContext
        The clip's torso size, camera pitch and landmark visibility.

    Returns
    -------
    dict of str to float
        Each part above and ``total``, in the metric's unit.
    """
    v = values.dropna()
    n = len(v)
    parts: dict[str, float] = {
        "step_to_step": float(1.2533 * v.std(ddof=1) / np.sqrt(n)) if n >= 2 else float("nan")}
    em = ERROR_MODELS.get(metric)
    if em is not None:
        lo, hi, known = _camera_range(ctx)
        parts["between_people"] = em.person
        parts["calibration"] = em.calibration
        if em.facing:
            parts["facing"] = em.facing
        if em.camera_bias is not None:
            # the bias grows monotonically with the angle: the worst is at an end
            cam = max(abs(em.camera_bias(lo)), abs(em.camera_bias(hi)))
        else:  # bias per 10 deg measured on the flat synthetic runner up to 20 deg
            cam = em.pitch_per_10deg * (max(abs(lo), abs(hi)) if known else PITCH_ALLOWANCE_DEG) / 10.0
        parts["camera_pitch"] = float(cam)
        torso = ctx.torso_px
        size = 0.0
        line = em.line_torso
        if line is not None:
            if torso > 0:
                def turn(t: float) -> float:
                    return float(np.degrees(np.arctan(LANDMARK_BLUR_PX / (line * t))))
                size = float(np.sqrt(max(0.0, turn(torso) ** 2 - turn(CALIBRATION_TORSO_PX) ** 2)))
        elif torso > 0:
            size = em.small_gain * max(0.0, em.small_px / torso - 1.0)
        parts["runner_size"] = float(size) if np.isfinite(size) else 0.0
        doubt = {"ear": 1.0 - ctx.ear_visibility, "nose": 1.0 - ctx.nose_visibility}
        off = GUESSED_POINT_TORSO * float(np.sqrt(sum(max(0.0, doubt[k]) ** 2 for k in em.head_points)))
        if em.line_torso is not None:
            parts["landmark_guess"] = float(np.degrees(np.arctan(off / em.line_torso)))
        elif em.guess_moves_distance:
            parts["landmark_guess"] = off
    finite = [p for p in parts.values() if np.isfinite(p)]
    parts["total"] = float(np.sqrt(sum(p * p for p in finite))) if finite else float("nan")
    return parts


def _fmt_err(err: dict[str, float], unit: str) -> str:
    names = {"between_people": "between people", "calibration": "calibration", "camera_pitch": "camera pitch",
             "runner_size": "runner size", "step_to_step": "step to step", "landmark_guess": "ear/nose guessed",
             "facing": "facing"}
    # terms under 5% of the total add under 0.2% to it in quadrature: not worth a word
    floor = 0.05 * err["total"] if np.isfinite(err["total"]) else 0.0
    bits = [f"{names[k]} {v:.2g}" for k, v in err.items() if k != "total" and np.isfinite(v) and v > floor]
    return f"+/-{err['total']:.2g} {unit} ({', '.join(bits)})"


#: The interval a severity is judged on: the clip median +/- this many times its
#: measurement error (one standard deviation: the same bar "found" has always used).
INTERVAL_SD = 1.0
BANDS = ("severe", "moderate", "mild")


@dataclass(frozen=True)
class Judgement:
    """How a clip median past a threshold is judged (see :func:`judge`)."""

    status: str  # found / possible / not_measurable
    severity: str  # the highest band the whole interval clears ("mild" when none)
    median_band: str | None  # the band of the median alone
    low: float  # the interval
    high: float
    text: str  # how sure, in words, with the numbers


def judge(median: float, th: Threshold, err: dict[str, float], n_measured: int, n_steps: int) -> Judgement:
    """Judge a clip median on its interval, ``median +/- INTERVAL_SD x error``, not on
    the median alone.

    Physical reason: the error is how far the median can be from the truth, so only a
    band whose threshold the *whole* interval lies past is shown by the clip. The
    severity is the highest band the interval clears ("found"); when it clears none the
    fault is "possible" (it may be within the norm); when the error is wider than the
    whole distance from the threshold to an extreme posture, or the metric was measured
    in too few steps, the clip cannot show the fault either way ("not_measurable").

    Parameters
    ----------
    median : float
        The clip median.
    th : Threshold
        The fault's threshold.
    err : dict of str to float
        :func:`measurement_error` (its ``total`` is used).
    n_measured : int
        Steps in which the metric was measured.
    n_steps : int
        Steps in the clip.

    Returns
    -------
    Judgement
    """
    total = err["total"]
    half = INTERVAL_SD * total if np.isfinite(total) else float("nan")
    low, high = median - half, median + half
    median_band = th.severity(median)
    errs = _fmt_err(err, th.unit)
    # the end of the interval nearest the norm: the whole interval is past a threshold
    # when this end is
    best = high if th.direction == "below" else low

    def out(status: str, severity: str, text: str) -> Judgement:
        return Judgement(status, severity, median_band, low, high, text)

    if n_measured < MIN_MEASURED_STEPS or n_measured < MIN_MEASURED_SHARE * n_steps:
        return out("not_measurable", "mild", f"not measurable here: {th.metric} was measured in only "
                   f"{n_measured} of {n_steps} steps (landmarks hidden or unsure)")
    if not np.isfinite(total):
        return out("possible", "mild",
                   f"not sure: the measurement error could not be estimated ({n_measured} steps)")
    if th.extreme is not None and total >= abs(th.mild - th.extreme):
        return out("not_measurable", "mild", (
            f"not measurable here: the measurement error {errs} is wider than the whole range from "
            f"the threshold ({th.mild:g}) to an extreme posture ({th.extreme:g})"))
    span = f"{low:.3g} to {high:.3g} {th.unit}"
    cleared = th.severity(best)  # the highest band the whole interval lies past
    if cleared is None:
        return out("possible", "mild", (
            f"not sure: the median {median:.3g} {th.unit} is past the threshold ({th.mild:g}), but its "
            f"interval {span} (this clip's measurement error {errs}) reaches back into the norm; it "
            f"may be within the norm"))
    limit = getattr(th, cleared)
    text = (f"sure: the whole interval {span} (median {median:.3g} +/- this clip's measurement error "
            f"{errs}) lies past the {cleared} threshold ({limit:g})")
    if median_band is not None and SEVERITY_RANK[median_band] > SEVERITY_RANK[cleared]:
        text += (f"; the median alone reads {median_band}, but the interval reaches back past the "
                 f"{BANDS[BANDS.index(cleared) - 1]} threshold ({getattr(th, BANDS[BANDS.index(cleared) - 1]):g})")
    return out("found", cleared, text)


def decide_status(median: float, th: Threshold, err: dict[str, float], n_measured: int,
                  n_steps: int) -> tuple[str, str]:
    """(status, confidence text) of :func:`judge`.

    Parameters
    ----------
    median : float
        The clip median of the metric.
    th : Threshold
        The fault's threshold.
    err : dict of str to float
        :func:`measurement_error` (its ``total`` is used).
    n_measured : int
        Steps in which the metric was measured.
    n_steps : int
        Steps in the clip.

    Returns
    -------
    status : str
        The judgement's status (see :func:`judge`).
    text : str
        Its confidence text.
    """
    j = judge(median, th, err, n_measured, n_steps)
    return j.status, j.text


def _threshold_fault(steps: pd.DataFrame, th: Threshold, code: str,
                     frames: pd.DataFrame | None = None, ctx: ClipContext | None = None) -> FaultRecord | None:
    if th.metric not in steps or steps[th.metric].notna().sum() == 0:
        return None
    vals = steps[th.metric]
    med = float(vals.median())
    sev = th.severity(med)
    if sev is None:
        return None
    # The evidence step is a bad but typical one: the step at the 10th percentile on the
    # bad side. The single most extreme step is too often a moment that is not running
    # (hands on the rails, stepping on) or a tracking glitch.
    q = float(vals.quantile(0.1 if th.direction == "below" else 0.9))
    worst_idx = (vals - q).abs().idxmin()
    worst = steps.loc[worst_idx]
    past = (vals <= th.mild) if th.direction == "below" else (vals >= th.mild)
    margin = abs(med - th.mild)
    frame = _evidence_frame(frames, th.metric, int(worst["frame_start"]), int(worst["frame_end"]),
                            float(worst[th.metric]), int(worst["mid_stance_frame"]))
    evidence: dict[str, Any] = {
        "metric": th.metric,
        "unit": th.unit,
        "median": _r(med, 3),
        "p10": _r(float(vals.quantile(0.1)), 3),
        "p90": _r(float(vals.quantile(0.9)), 3),
        "threshold": {"mild": th.mild, "moderate": th.moderate, "severe": th.severe,
                      "direction": th.direction, "kind": th.kind},
        "steps_past_threshold": round(float(past.mean()), 3),
        "worst": {"step": int(worst["step"]), "frame": frame,
                  "time_s": _r(float(frames["time_s"].iloc[frame]), 3) if frames is not None
                  else _r(float(worst["t_start_s"]), 3),
                  "value": _r(float(worst[th.metric]), 3)},
        "source": th.source,
    }
    err = measurement_error(vals, th.metric, ctx or ClipContext.from_frames(frames))
    j = judge(med, th, err, int(vals.notna().sum()), len(steps))
    evidence["measurement_error"] = {k: _r(v, 3) for k, v in err.items()}
    evidence["within_measurement_error"] = bool(margin <= err["total"]) if np.isfinite(err["total"]) \
        else bool(th.unit == "deg" and margin < MEASUREMENT_ERROR_DEG)
    evidence["interval"] = {"low": _r(j.low, 3), "high": _r(j.high, 3), "sd": INTERVAL_SD}
    evidence["median_band"] = sev
    sign = "<" if th.direction == "below" else ">"
    said = j.severity if j.status == "found" else j.status.replace("_", " ")
    msg = (f"{MESSAGES[code]}: median {th.metric} {med:.3g} {th.unit} "
           f"({sign} {th.mild:g} {th.unit}, {said})")
    return FaultRecord.model_validate(dict(
        code=code, severity=j.severity, status=j.status, confidence=j.text, title=MESSAGES[code],
        message=msg, advice=ADVICE[code], evidence=evidence))


def _unless_whole_body_lean(fault: FaultRecord, steps: pd.DataFrame) -> FaultRecord | None:
    """Drop a trunk-lean fault when the whole body leans (legs lean as much as the trunk)."""
    bend = float(steps["waist_bend_deg"].median()) if "waist_bend_deg" in steps else float("nan")
    fault.evidence = fault.evidence.model_copy(update={  # extra keys, after the fields
        "waist_bend_deg": _r(bend, 2), "whole_body_lean_max_bend": WHOLE_BODY_LEAN_MAX_BEND,
        "whole_body_lean_source": WHOLE_BODY_LEAN_SOURCE})
    if np.isfinite(bend) and bend < WHOLE_BODY_LEAN_MAX_BEND:
        return None
    return fault


def _drift_fault(steps: pd.DataFrame, drift: dict[str, dict[str, Any]]) -> FaultRecord | None:
    """``form_drift`` when a metric with a drift limit worsened by at least its limit
    (``drift`` is :func:`formcheck.assess.verdict.drift_table` of ``steps``).

    "found" when the worst such change passes its limit by more than the standard error
    of the difference of the two thirds' medians (``clears_error``; the person's own
    landmark offsets cancel within a clip), else "possible". A metric whose standard
    error is not below its limit (``resolvable`` False) is not judged: its steps cannot
    tell a drift of the limit from none. Why thirds of whole strides
    and at least ``DRIFT_MIN_STEPS`` steps: see :func:`~formcheck.assess.verdict.drift_table`.
    An abrupt change (an edit, a demonstration, stopping or turning) is not fatigue:
    :func:`find_faults` calls this on each stretch between change points.
    """
    changes = {m: {k: d.get(k) for k in ("first_third", "last_third", "change", "limit", "standard_error")}
               for m, d in drift.items() if d.get("exceeds") and d.get("resolvable")}
    if not changes:
        return None
    worst_ratio = max(drift[m]["score"] for m in changes)
    sure = any(drift[m].get("clears_error") for m in changes)
    sev = "severe" if worst_ratio >= 3 else "moderate" if worst_ratio >= 2 else "mild"
    last_step = steps.iloc[-1]
    names = ", ".join(changes)
    n, third = len(steps), 2 * (len(steps) // 6)
    return FaultRecord.model_validate(dict(
        code="form_drift", severity=sev, status="found" if sure else "possible",
        confidence=(f"{'sure' if sure else 'not sure'}: gradual change over {n} steps ({third} per third), "
                    f"{worst_ratio:.1f} times the drift limit"
                    + ("" if sure else ", but not past it by more than the step-to-step error")
                    + ", within a stretch with no abrupt change"),
        title=MESSAGES["form_drift"],
        message=f"{MESSAGES['form_drift']}: {names} changed from the first to the last third",
        advice=ADVICE["form_drift"],
        evidence={"changes": changes, "steps_per_third": third, "source": DRIFT_SOURCE,
                  "first_step": int(steps["step"].iloc[0]), "last_step": int(last_step["step"]),
                  "worst": {"step": int(last_step["step"]), "time_s": _r(float(last_step["t_start_s"]), 3),
                            "frame": int(last_step["frame_start"])}},
    ))


def _segment_drift(steps: pd.DataFrame, drift: dict[str, dict[str, Any]] | None,
                   segments: list[tuple[int, int]] | None) -> FaultRecord | None:
    """The worst drift within any stretch between abrupt changes (the whole clip, with
    the given ``drift`` table, when there is no change)."""
    if not segments or len(segments) < 2:
        return _drift_fault(steps, drift if drift is not None else drift_table(steps, list(DRIFT_LIMITS)))
    found = []
    for a, b in segments:
        part = steps.iloc[a: b + 1]
        f = _drift_fault(part, drift_table(part, list(DRIFT_LIMITS)))
        if f:
            found.append(f)
    if not found:
        return None
    worst = max(found, key=lambda f: (f.status == "found", SEVERITY_RANK[f.severity]))
    worst.confidence += (f" (steps {worst.evidence.first_step}-{worst.evidence.last_step}, between "
                         "abrupt changes of posture)")
    return worst


def find_faults(steps: pd.DataFrame, view: str, height_known: bool,
                frames: pd.DataFrame | None = None,
                drift: dict[str, dict[str, Any]] | None = None, ctx: ClipContext | None = None,
                segments: list[tuple[int, int]] | None = None) -> list[FaultRecord]:
    """All faults for a clip: found ones first, then possible, then not measurable; most
    severe first within each. Side-view metrics only in a side view.

    ``drift`` is the clip's :func:`formcheck.assess.verdict.drift_table` (computed here
    when not given). ``segments``: (first, last) step rows between abrupt changes
    (:func:`formcheck.assess.segments.segment_steps`); with more than one, drift is looked
    for within each (the worst is reported), never across a change.

    Parameters
    ----------
    steps : pandas.DataFrame
        The per-step table.
    view : str
        The clip's view ("side", "oblique", "front", "back", "unknown").
    height_known : bool
        The runner's height was given (bounce in cm).
    frames : pandas.DataFrame, optional
        The per-frame table (for the clip context when ``ctx`` is not given).
    drift : dict, optional
        :func:`formcheck.assess.verdict.drift_table`.
    ctx : ClipContext, optional
        The clip context.
    segments : list of (int, int), optional
        Step rows between abrupt changes.

    Returns
    -------
    list of Fault
    """
    faults: list[FaultRecord] = []
    ctx = ctx or ClipContext.from_frames(frames)
    if view == "side" and len(steps):
        for code in ("forward_head", "waist_lean", "raised_shoulders", "gaze_down"):
            f = _threshold_fault(steps, THRESHOLDS[code], code, frames, ctx)
            if f and code == "waist_lean":
                f = _unless_whole_body_lean(f, steps)
            if f:
                faults.append(f)
        bounce = THRESHOLDS["excessive_bounce" if height_known else "excessive_bounce_torso"]
        f = _threshold_fault(steps, bounce, "excessive_bounce", frames, ctx)
        if f:
            faults.append(f)
        d = _segment_drift(steps, drift, segments)
        if d:
            faults.append(d)
    elif view in ("front", "back") and len(steps):
        # Raised shoulders are visible from the front/back too (ear-shoulder gap per side).
        th = THRESHOLDS["raised_shoulders"]
        both = steps[["left_shoulder_elevation_torso", "right_shoulder_elevation_torso"]].min(axis=1)
        tmp = steps.assign(shoulder_elevation_torso=both)
        f = _threshold_fault(tmp, th, "raised_shoulders", None, ctx)
        if f:
            faults.append(f)
    order = ["forward_head", "waist_lean", "raised_shoulders", "gaze_down", "excessive_bounce", "form_drift"]
    faults.sort(key=lambda f: (STATUS_RANK[f.status], -SEVERITY_RANK[f.severity], order.index(f.code)))
    return faults
