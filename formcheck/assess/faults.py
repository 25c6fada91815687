"""Turning per-step metrics into the faults tied to neck soreness.

Each rule reads the per-step table, compares the clip's median with the thresholds
in :mod:`formcheck.assess.norms`, and returns the evidence: the median and spread, the
thresholds and their source, the share of steps past the threshold, and the step,
time and frame where it is worst (the frame the report shows).

How sure: every threshold fault carries the clip's **measurement error** (one standard
deviation of the clip median about the truth; :func:`measurement_error`) and a
``status``:

- ``"found"``: the median is past the threshold by more than the error;
- ``"possible"``: past the threshold, but by less than the error (it may be within
  the norm);
- ``"not_measurable"``: past the threshold, but the error is so large here that not
  even an extreme posture could be told from one within the norm (threshold's
  ``extreme``), or the landmarks were measured in too few steps.

A median within the norm gives no fault record at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from formcheck.assess.norms import (
    ADVICE,
    DRIFT_LIMITS,
    DRIFT_SOURCE,
    ERROR_MODELS,
    MEASUREMENT_ERROR_DEG,
    PITCH_ALLOWANCE_DEG,
    THRESHOLDS,
    WHOLE_BODY_LEAN_MAX_BEND,
    WHOLE_BODY_LEAN_SOURCE,
    Threshold,
)
from formcheck.assess.verdict import TITLES, drift_table

SEVERITY_RANK = {"severe": 3, "moderate": 2, "mild": 1}
STATUS_RANK = {"found": 0, "possible": 1, "not_measurable": 2}
#: A median over fewer steps, or over less than this share of the clip's steps (the
#: head hidden or the landmarks dropped in the others), is not a reading of the clip.
MIN_MEASURED_STEPS = 3
MIN_MEASURED_SHARE = 0.5

MESSAGES = TITLES


@dataclass
class Fault:
    code: str
    severity: str
    message: str
    evidence: dict[str, Any]
    advice: str
    frame: int | None = None  # evidence frame index (worst moment)
    extra: dict[str, Any] = field(default_factory=dict)
    status: str = "found"  # "found" / "possible" / "not_measurable"
    confidence: str = ""  # how sure, in words, with the numbers

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "status": self.status,
                "confidence": self.confidence, "title": MESSAGES[self.code], "message": self.message,
                "evidence": self.evidence, "advice": self.advice}


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

    ``torso_px``: median shoulder-hip length in pixels (runner size); ``camera_pitch_deg``:
    the camera's pitch when known (None: not estimated, an allowance is used).
    """

    torso_px: float = float("nan")
    camera_pitch_deg: float | None = None

    @classmethod
    def from_frames(cls, frames: pd.DataFrame | None) -> ClipContext:
        need = ("shoulder_x", "shoulder_y", "hip_x", "hip_y")
        if frames is None or not all(c in frames for c in need):
            return cls()
        torso = np.hypot(frames["shoulder_x"] - frames["hip_x"], frames["shoulder_y"] - frames["hip_y"])
        return cls(float(np.nanmedian(torso)) if np.isfinite(torso).any() else float("nan"))


def measurement_error(values: pd.Series, metric: str, ctx: ClipContext) -> dict[str, float]:
    """One standard deviation of the clip median of ``metric`` about the truth.

    Independent parts, added in quadrature (``total``):

    - ``step_to_step``: standard error of the median of the per-step values,
      ``1.2533 * SD / sqrt(n)`` (landmark jitter and the runner's own variation);
    - ``between_people``: how the landmarks sit on the anatomy differs from person to
      person (face, hair, clothing); measured on real people (:data:`ERROR_MODELS`);
    - ``calibration``: how uncertain the threshold itself is (annotation repeatability);
    - ``camera_pitch``: a camera above or below the runner foreshortens the vertical;
      bias per 10 deg from the synthetic runner, times the known pitch or
      ``PITCH_ALLOWANCE_DEG`` when it is not known;
    - ``runner_size``: below ``small_px`` of torso the landmark model sees too few
      pixels of the head; grows as ``small_gain * (small_px / torso_px - 1)``.

    Metrics without an :class:`ErrorModel` get the step-to-step part only.
    """
    v = values.dropna()
    n = len(v)
    parts: dict[str, float] = {
        "step_to_step": float(1.2533 * v.std(ddof=1) / np.sqrt(n)) if n >= 2 else float("nan")}
    em = ERROR_MODELS.get(metric)
    if em is not None:
        pitch = abs(ctx.camera_pitch_deg) if ctx.camera_pitch_deg is not None else PITCH_ALLOWANCE_DEG
        parts["between_people"] = em.person
        parts["calibration"] = em.calibration
        parts["camera_pitch"] = em.pitch_per_10deg * pitch / 10.0
        size = em.small_gain * max(0.0, em.small_px / ctx.torso_px - 1.0) if ctx.torso_px > 0 else 0.0
        parts["runner_size"] = float(size) if np.isfinite(size) else 0.0
    finite = [p for p in parts.values() if np.isfinite(p)]
    parts["total"] = float(np.sqrt(sum(p * p for p in finite))) if finite else float("nan")
    return parts


def _fmt_err(err: dict[str, float], unit: str) -> str:
    names = {"between_people": "between people", "calibration": "calibration", "camera_pitch": "unknown camera pitch",
             "runner_size": "runner size", "step_to_step": "step to step"}
    bits = [f"{names[k]} {v:.2g}" for k, v in err.items() if k != "total" and np.isfinite(v) and v > 0]
    return f"+/-{err['total']:.2g} {unit} ({', '.join(bits)})"


def decide_status(median: float, th: Threshold, err: dict[str, float], n_measured: int,
                  n_steps: int) -> tuple[str, str]:
    """(status, confidence text) for a median past ``th.mild`` (see the module docstring).

    Physical reason: a reading is evidence of a fault only when the threshold lies
    outside its error bar; when the error bar is wider than the whole distance from
    the threshold to an extreme posture, the clip cannot show the fault either way.
    """
    total = err["total"]
    margin = abs(median - th.mild)
    errs = _fmt_err(err, th.unit)
    if n_measured < MIN_MEASURED_STEPS or n_measured < MIN_MEASURED_SHARE * n_steps:
        return "not_measurable", (f"not measurable here: {th.metric} was measured in only {n_measured} "
                                  f"of {n_steps} steps (landmarks hidden or unsure)")
    if not np.isfinite(total):
        return "possible", f"not sure: the measurement error could not be estimated ({n_measured} steps)"
    if th.extreme is not None and total >= abs(th.mild - th.extreme):
        return "not_measurable", (
            f"not measurable here: the measurement error {errs} is wider than the whole range from "
            f"the threshold ({th.mild:g}) to an extreme posture ({th.extreme:g})")
    if margin > total:
        times = f"{margin / total:.1f} times" if total > 0 else "more than"
        return "found", (f"sure: {margin:.2g} {th.unit} past the threshold, {times} "
                         f"this clip's measurement error {errs}")
    return "possible", (f"not sure: only {margin:.2g} {th.unit} past the threshold, inside this clip's "
                        f"measurement error {errs}; it may be within the norm")


def _threshold_fault(steps: pd.DataFrame, th: Threshold, code: str,
                     frames: pd.DataFrame | None = None, ctx: ClipContext | None = None) -> Fault | None:
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
    status, confidence = decide_status(med, th, err, int(vals.notna().sum()), len(steps))
    evidence["measurement_error"] = {k: _r(v, 3) for k, v in err.items()}
    evidence["within_measurement_error"] = bool(margin <= err["total"]) if np.isfinite(err["total"]) \
        else bool(th.unit == "deg" and margin < MEASUREMENT_ERROR_DEG)
    sign = "<" if th.direction == "below" else ">"
    msg = (f"{MESSAGES[code]}: median {th.metric} {med:.3g} {th.unit} "
           f"({sign} {th.mild:g} {th.unit}, {sev})")
    return Fault(code, sev, msg, evidence, ADVICE[code], frame=evidence["worst"]["frame"],
                 status=status, confidence=confidence)


def _unless_whole_body_lean(fault: Fault, steps: pd.DataFrame) -> Fault | None:
    """Drop a trunk-lean fault when the whole body leans (legs lean as much as the trunk)."""
    bend = float(steps["waist_bend_deg"].median()) if "waist_bend_deg" in steps else float("nan")
    fault.evidence["waist_bend_deg"] = _r(bend, 2)
    fault.evidence["whole_body_lean_max_bend"] = WHOLE_BODY_LEAN_MAX_BEND
    fault.evidence["whole_body_lean_source"] = WHOLE_BODY_LEAN_SOURCE
    if np.isfinite(bend) and bend < WHOLE_BODY_LEAN_MAX_BEND:
        return None
    return fault


def _drift_fault(steps: pd.DataFrame, drift: dict[str, dict[str, Any]]) -> Fault | None:
    """``form_drift`` when a metric with a drift limit worsened by at least its limit
    (``drift`` is :func:`formcheck.assess.verdict.drift_table` of ``steps``).

    "found" when the worst such change passes its limit by more than the standard error
    of the difference of the two thirds' medians (``clears_error``; the person's own
    landmark offsets cancel within a clip), else "possible". Why thirds of whole strides
    and at least ``DRIFT_MIN_STEPS`` steps: see :func:`~formcheck.assess.verdict.drift_table`.
    An abrupt change (an edit, a demonstration, stopping or turning) is not fatigue:
    :func:`find_faults` calls this on each stretch between change points.
    """
    changes = {m: {k: d.get(k) for k in ("first_third", "last_third", "change", "limit", "standard_error")}
               for m, d in drift.items() if d.get("exceeds")}
    if not changes:
        return None
    worst_ratio = max(drift[m]["score"] for m in changes)
    sure = any(drift[m].get("clears_error") for m in changes)
    sev = "severe" if worst_ratio >= 3 else "moderate" if worst_ratio >= 2 else "mild"
    last_step = steps.iloc[-1]
    names = ", ".join(changes)
    n, third = len(steps), 2 * (len(steps) // 6)
    return Fault(
        "form_drift", sev, f"{MESSAGES['form_drift']}: {names} changed from the first to the last third",
        {"changes": changes, "steps_per_third": third, "source": DRIFT_SOURCE,
         "first_step": int(steps["step"].iloc[0]), "last_step": int(last_step["step"]),
         "worst": {"step": int(last_step["step"]), "time_s": _r(float(last_step["t_start_s"]), 3),
                   "frame": int(last_step["frame_start"])}},
        ADVICE["form_drift"], frame=int(last_step["frame_start"]),
        status="found" if sure else "possible",
        confidence=(f"{'sure' if sure else 'not sure'}: gradual change over {n} steps ({third} per third), "
                    f"{worst_ratio:.1f} times the drift limit"
                    + ("" if sure else ", but not past it by more than the step-to-step error")
                    + ", within a stretch with no abrupt change"),
    )


def _segment_drift(steps: pd.DataFrame, drift: dict[str, dict[str, Any]] | None,
                   segments: list[tuple[int, int]] | None) -> Fault | None:
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
    worst.confidence += (f" (steps {worst.evidence['first_step']}-{worst.evidence['last_step']}, between "
                         "abrupt changes of posture)")
    return worst


def find_faults(steps: pd.DataFrame, view: str, height_known: bool,
                frames: pd.DataFrame | None = None,
                drift: dict[str, dict[str, Any]] | None = None, ctx: ClipContext | None = None,
                segments: list[tuple[int, int]] | None = None) -> list[Fault]:
    """All faults for a clip: found ones first, then possible, then not measurable; most
    severe first within each. Side-view metrics only in a side view.

    ``drift`` is the clip's :func:`formcheck.assess.verdict.drift_table` (computed here
    when not given). ``segments``: (first, last) step rows between abrupt changes
    (:func:`formcheck.assess.segments.segment_steps`); with more than one, drift is looked
    for within each (the worst is reported), never across a change.
    """
    faults: list[Fault] = []
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
