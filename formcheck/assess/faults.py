"""Turning per-step metrics into the faults tied to neck soreness.

Each rule reads the per-step table, compares the clip's median with the thresholds
in :mod:`formcheck.assess.norms`, and returns the evidence: the median and spread, the
thresholds and their source, the share of steps past the threshold, and the step,
time and frame where it is worst (the frame the report shows).
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
    MEASUREMENT_ERROR_DEG,
    THRESHOLDS,
    WHOLE_BODY_LEAN_MAX_BEND,
    WHOLE_BODY_LEAN_SOURCE,
    Threshold,
)
from formcheck.assess.verdict import TITLES, drift_table

SEVERITY_RANK = {"severe": 3, "moderate": 2, "mild": 1}

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

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "title": MESSAGES[self.code],
                "message": self.message, "evidence": self.evidence, "advice": self.advice}


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


def _threshold_fault(steps: pd.DataFrame, th: Threshold, code: str,
                     frames: pd.DataFrame | None = None) -> Fault | None:
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
    if th.unit == "deg":
        evidence["within_measurement_error"] = bool(margin < MEASUREMENT_ERROR_DEG)
    sign = "<" if th.direction == "below" else ">"
    msg = (f"{MESSAGES[code]}: median {th.metric} {med:.3g} {th.unit} "
           f"({sign} {th.mild:g} {th.unit}, {sev})")
    return Fault(code, sev, msg, evidence, ADVICE[code], frame=evidence["worst"]["frame"])


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
    (``drift`` is :func:`formcheck.assess.verdict.drift_table` of ``steps``)."""
    changes = {m: {k: d[k] for k in ("first_third", "last_third", "change", "limit")}
               for m, d in drift.items() if d.get("exceeds")}
    if not changes:
        return None
    worst_ratio = max(drift[m]["score"] for m in changes)
    sev = "severe" if worst_ratio >= 3 else "moderate" if worst_ratio >= 2 else "mild"
    last_step = steps.iloc[-1]
    names = ", ".join(changes)
    return Fault(
        "form_drift", sev, f"{MESSAGES['form_drift']}: {names} changed from the first to the last third",
        {"changes": changes, "steps_per_third": len(steps) // 3, "source": DRIFT_SOURCE,
         "worst": {"step": int(last_step["step"]), "time_s": _r(float(last_step["t_start_s"]), 3),
                   "frame": int(last_step["frame_start"])}},
        ADVICE["form_drift"], frame=int(last_step["frame_start"]),
    )


def find_faults(steps: pd.DataFrame, view: str, height_known: bool,
                frames: pd.DataFrame | None = None,
                drift: dict[str, dict[str, Any]] | None = None) -> list[Fault]:
    """All faults for a clip, most severe first. Side-view metrics only in a side view.
    ``drift`` is the clip's :func:`formcheck.assess.verdict.drift_table` (computed here
    when not given)."""
    faults: list[Fault] = []
    if view == "side" and len(steps):
        for code in ("forward_head", "waist_lean", "raised_shoulders", "gaze_down"):
            f = _threshold_fault(steps, THRESHOLDS[code], code, frames)
            if f and code == "waist_lean":
                f = _unless_whole_body_lean(f, steps)
            if f:
                faults.append(f)
        bounce = THRESHOLDS["excessive_bounce" if height_known else "excessive_bounce_torso"]
        f = _threshold_fault(steps, bounce, "excessive_bounce", frames)
        if f:
            faults.append(f)
        if drift is None:
            drift = drift_table(steps, list(DRIFT_LIMITS))
        d = _drift_fault(steps, drift)
        if d:
            faults.append(d)
    elif view in ("front", "back") and len(steps):
        # Raised shoulders are visible from the front/back too (ear-shoulder gap per side).
        th = THRESHOLDS["raised_shoulders"]
        both = steps[["left_shoulder_elevation_torso", "right_shoulder_elevation_torso"]].min(axis=1)
        tmp = steps.assign(shoulder_elevation_torso=both)
        f = _threshold_fault(tmp, th, "raised_shoulders", None)
        if f:
            faults.append(f)
    order = ["forward_head", "waist_lean", "raised_shoulders", "gaze_down", "excessive_bounce", "form_drift"]
    faults.sort(key=lambda f: (-SEVERITY_RANK[f.severity], order.index(f.code)))
    return faults
