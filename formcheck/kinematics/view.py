"""Which way the camera sees the runner: side, front, back (or unknown), and facing.

* Side vs front/back: in a side view the two shoulders (and the two hips) overlap
  in x; seen from the front or back they are about a torso-length-half apart.
  ``width ratio = median(|Lx - Rx|) / torso length``, shoulders and hips averaged.
* Front vs back: seen from the front the runner's left shoulder is on the viewer's
  right (larger x) and the face is visible; from the back the order flips and the
  model reports low visibility for the face.
* Facing (side view): the nose is ahead of the ears.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.kinematics.metrics import body_points, facing_sign
from formcheck.model.pose import (
    L_EYE_IDS,
    L_HIP,
    L_SHOULDER,
    NOSE,
    R_EYE_IDS,
    R_HIP,
    R_SHOULDER,
    PoseSeries,
)

SIDE_MAX_WIDTH = 0.35
FRONT_MIN_WIDTH = 0.5


@dataclass(frozen=True)
class ViewResult:
    view: str  # side | front | back | unknown
    facing: str | None  # left | right | None
    facing_sign: int  # +1 right, -1 left, 0 unknown / not a side view
    width_ratio: float
    method: str  # "detected" or "given"

    def to_dict(self) -> dict[str, object]:
        return {"view": self.view, "facing": self.facing, "width_ratio": round(self.width_ratio, 3),
                "method": self.method}


def width_ratio(series: PoseSeries) -> float:
    xy = series.xy.astype(np.float64)
    sh_w = np.abs(xy[:, L_SHOULDER, 0] - xy[:, R_SHOULDER, 0])
    hip_w = np.abs(xy[:, L_HIP, 0] - xy[:, R_HIP, 0])
    mid_sh = (xy[:, L_SHOULDER] + xy[:, R_SHOULDER]) / 2
    mid_hip = (xy[:, L_HIP] + xy[:, R_HIP]) / 2
    torso = np.hypot(*(mid_sh - mid_hip).T)
    r = (sh_w + hip_w) / 2 / torso
    r = r[np.isfinite(r)]
    return float(np.median(r)) if r.size else float("nan")


def detect_view(series: PoseSeries, forced: str = "auto") -> ViewResult:
    """Classify the clip's view and, for side views, the facing direction."""
    pts = body_points(series)
    s = facing_sign(pts["nose"], pts["ear"])
    ratio = width_ratio(series)
    if forced != "auto":
        view, method = forced, "given"
    else:
        method = "detected"
        if not np.isfinite(ratio):
            view = "unknown"
        elif ratio <= SIDE_MAX_WIDTH:
            view = "side"
        elif ratio >= FRONT_MIN_WIDTH:
            view = _front_or_back(series)
        else:
            view = "unknown"
    if view != "side":
        s = 0
    facing = {1: "right", -1: "left"}.get(s)
    return ViewResult(view, facing, s, ratio, method)


def _front_or_back(series: PoseSeries) -> str:
    xy, vis = series.xy, series.visibility
    order = np.sign(xy[:, L_SHOULDER, 0] - xy[:, R_SHOULDER, 0])
    order = order[np.isfinite(order)]
    left_on_right = float(np.mean(order > 0)) if order.size else 0.5
    face_ids = [NOSE, *L_EYE_IDS, *R_EYE_IDS]
    detected = series.detected
    face_vis = float(np.median(vis[detected][:, face_ids])) if detected.any() else 0.0
    if left_on_right >= 0.6 and face_vis >= 0.5:
        return "front"
    if left_on_right <= 0.4 or face_vis < 0.3:
        return "back"
    return "unknown"
