"""Which way the camera sees the runner, from the body's yaw: side, oblique, front, back.

The yaw ``phi`` is the direction the runner faces, in the ground plane, measured from the
image's +x axis (the viewer's right) towards the camera: 0 = faces right (side view),
90 = faces the camera (front view), 180 = faces left (side), 270 = faces away (back).

Physical basis
--------------
A horizontal body dimension of length ``d`` along the direction of running appears in the
image as ``d cos(phi)``; one across the body (shoulder to shoulder) as ``d sin(phi)``. So
the yaw decides which measurements the picture supports:

* **side** (``|cos phi| >= cos 22.5 = 0.92``): sagittal angles read within 8% of their
  tangent without correction;
* **oblique** (in between): sagittal angles are foreshortened by ``cos phi`` (0.71 at 45
  deg) and are measured after stretching horizontal offsets by ``1 / |cos phi|``;
* **front / back** (``|cos phi| < cos 67.5 = 0.38``): forward offsets shrink to under 38%,
  so sagittal angles are not measurable; left/right heights (shoulder and head tilt) are.

Cues, in order of weight
------------------------
1. *Body axis in 3D* (MediaPipe world landmarks, metres, x right, y down, z away from the
   camera). The runner's left-pointing axis ``l = left - right`` of the shoulders and of
   the hips, in the ground plane, gives ``phi = atan2(l_x, l_z)`` (facing the camera, the
   left side is on the viewer's right: ``l = +x``; facing right, the left side is the far
   one: ``l = +z``). Shoulders and hips counter-rotate during the stride, so their unit
   vectors are averaged.
2. *Head direction in 3D*: the nose lies ahead of the ears, ``f = nose - mid-ear``, so
   ``phi = atan2(-f_z, f_x)``. It does not depend on the left/right labels, so it
   settles which way round the body axis is (a left/right label swap turns the axis by
   180 deg: a back view read as a front one).
3. *Head in the image* (when world landmarks are missing): the nose is about 13 cm ahead
   of the ears and the ears about 15 cm apart, so
   ``phi = atan2((left_ear.x - right_ear.x) / 14.8, (nose.x - mid_ear.x) / 13.0)``.
   The world landmarks' depth is a guess where the picture has no depth cue (a 2D figure
   in profile read 30-40 deg off the side), so an *oblique* view from the world
   landmarks also needs this image cue to read oblique (or beyond); where it reads side,
   the view is side (:func:`detect_view`).

The clip's yaw is the circular mean of the per-frame body-axis yaw (head cues when the
world landmarks are missing); its uncertainty is the robust circular spread of the frames
(1.4826 x median absolute deviation), which holds the trunk's own rotation during the
stride and the model's noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.kinematics.metrics import body_points, facing_sign
from formcheck.model.pose import PoseSeries
from formcheck.model.skeleton import Skeleton

#: Class boundaries: the angle between the direction of running and the image plane.
SIDE_MAX_OFF_DEG = 22.5
FRONT_MIN_OFF_DEG = 67.5
#: Head geometry for the image cue (cm): nose tip ahead of the tragus, ear-to-ear breadth.
NOSE_AHEAD_CM = 13.0
EAR_BREADTH_CM = 14.8
#: Fewest frames with a usable cue for a clip yaw.
MIN_FRAMES = 5


@dataclass(frozen=True)
class ViewResult:
    """The clip's view.

    ``facing_sign`` is +1 (faces right) / -1 (left) for side and oblique views, 0 for
    front, back and unknown. ``yaw_deg`` follows the convention of the module docstring;
    ``yaw_sd_deg`` is its frame-to-frame spread, ``off_side_deg = asin(|sin yaw|)`` the
    angle between the direction of running and the image plane.
    """

    view: str  # side | oblique | front | back | unknown
    facing: str | None  # left | right | None
    facing_sign: int
    width_ratio: float
    method: str  # "detected" or "given"
    yaw_deg: float = float("nan")
    yaw_sd_deg: float = float("nan")
    cues: dict[str, Any] = field(default_factory=dict)

    @property
    def off_side_deg(self) -> float:
        if not math.isfinite(self.yaw_deg):
            return float("nan")
        return math.degrees(math.asin(min(1.0, abs(math.sin(math.radians(self.yaw_deg))))))

    @property
    def sagittal(self) -> bool:
        """Side or oblique: sagittal angles are measurable (oblique after correction)."""
        return self.view in ("side", "oblique")

    @property
    def cos_yaw(self) -> float:
        """``|cos yaw|``, the foreshortening of forward offsets (1 for a given side view)."""
        if (self.view == "side" and self.method == "given") or not math.isfinite(self.yaw_deg):
            return 1.0
        return abs(math.cos(math.radians(self.yaw_deg)))

    def to_dict(self) -> dict[str, object]:
        def r(x: float, nd: int = 1) -> float | None:
            return round(x, nd) if math.isfinite(x) else None

        return {
            "view": self.view,
            "facing": self.facing,
            "width_ratio": r(self.width_ratio, 3),
            "method": self.method,
            "yaw_deg": r(self.yaw_deg),
            "yaw_sd_deg": r(self.yaw_sd_deg),
            "off_side_deg": r(self.off_side_deg),
            "oblique": oblique_band(self),
            "cues": self.cues,
        }


def width_ratio(series: PoseSeries) -> float:
    """Median shoulder and hip width in the image over the torso length (a descriptive cue).

    Parameters
    ----------
    series : PoseSeries
        Cleaned (levelled) landmarks; its skeleton names the points.

    Returns
    -------
    float
        The ratio (dimensionless); NaN when no frame has both pairs and a torso.
    """
    xy = series.xy.astype(np.float64)
    (ls, rs), (lh, rh) = ((xy[:, i] for i in series.skeleton.pair(part)) for part in ("shoulder", "hip"))
    sh_w = np.abs(ls[:, 0] - rs[:, 0])
    hip_w = np.abs(lh[:, 0] - rh[:, 0])
    mid_sh = (ls + rs) / 2
    mid_hip = (lh + rh) / 2
    torso = np.hypot(*(mid_sh - mid_hip).T)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (sh_w + hip_w) / 2 / torso
    r = r[np.isfinite(r)]
    return float(np.median(r)) if r.size else float("nan")


# --------------------------------------------------------------------------- cues


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 1e-9, v / n, np.nan)


def body_axis_yaw(world: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Per-frame yaw (deg, [0, 360)) from the shoulder and hip axes of world landmarks
    (n, K, 3) of ``skeleton``.

    ``l`` = mean of the unit ground-plane vectors right->left of shoulders and hips;
    ``yaw = atan2(l_x, l_z)``. NaN where either pair is missing.

    Parameters
    ----------
    world : (n, K, 3) array
        World landmarks, m.
    skeleton : Skeleton
        Names the K points.

    Returns
    -------
    (n,) array
        Yaw in degrees, [0, 360); NaN where a point is missing.
    """
    w = np.asarray(world, dtype=np.float64)
    (ls, rs), (lh, rh) = skeleton.pair("shoulder"), skeleton.pair("hip")
    sh = _unit((w[:, ls] - w[:, rs])[:, [0, 2]])
    hp = _unit((w[:, lh] - w[:, rh])[:, [0, 2]])
    lv = sh + hp
    return np.degrees(np.arctan2(lv[:, 0], lv[:, 1])) % 360.0


def head_world_yaw(world: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Per-frame yaw (deg) from the nose relative to the mid-ear in world landmarks
    (n, K, 3) of ``skeleton``.

    Parameters
    ----------
    world : (n, K, 3) array
        World landmarks, m.
    skeleton : Skeleton
        Names the K points.

    Returns
    -------
    (n,) array
        Yaw in degrees, [0, 360); NaN where a point is missing.
    """
    w = np.asarray(world, dtype=np.float64)
    le, re = skeleton.pair("ear")
    f = w[:, skeleton.index("nose")] - (w[:, le] + w[:, re]) / 2
    return np.degrees(np.arctan2(-f[:, 2], f[:, 0])) % 360.0


def head_image_yaw(xy: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Per-frame yaw (deg) from the image: ear separation vs nose offset (px, (n, K, 2)
    points of ``skeleton``).

    Parameters
    ----------
    xy : (n, K, 2) array
        Image landmarks, px.
    skeleton : Skeleton
        Names the K points.

    Returns
    -------
    (n,) array
        Yaw in degrees, [0, 360); NaN where a point is missing.
    """
    p = np.asarray(xy, dtype=np.float64)
    le, re = skeleton.pair("ear")
    across = (p[:, le, 0] - p[:, re, 0]) / EAR_BREADTH_CM
    ahead = (p[:, skeleton.index("nose"), 0] - (p[:, le, 0] + p[:, re, 0]) / 2) / NOSE_AHEAD_CM
    out = np.degrees(np.arctan2(across, ahead)) % 360.0
    out[~(np.isfinite(across) & np.isfinite(ahead))] = np.nan
    return out


def circular_stats(deg: np.ndarray) -> tuple[float, float, int]:
    """Circular mean (deg, [0, 360)), robust spread (1.4826 x MAD, deg) and count of ``deg``.

    Parameters
    ----------
    deg : array
        Angles in degrees (NaN ignored).

    Returns
    -------
    mean : float
        Circular mean, degrees in [0, 360); NaN when no angle is finite.
    spread : float
        1.4826 x the median absolute angular deviation from the mean, degrees.
    count : int
        Finite angles used.
    """
    a = np.asarray(deg, dtype=np.float64)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return float("nan"), float("nan"), 0
    m = math.degrees(math.atan2(np.mean(np.sin(np.radians(a))), np.mean(np.cos(np.radians(a))))) % 360.0
    dev = np.abs(angle_diff(a, m))
    return m, float(1.4826 * np.median(dev)), int(a.size)


def angle_diff(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """Signed difference ``a - b`` wrapped to [-180, 180) degrees.

    Parameters
    ----------
    a, b : float or array
        Angles in degrees.

    Returns
    -------
    array
        ``a - b`` in [-180, 180) degrees.
    """
    return (np.asarray(a, dtype=np.float64) - b + 180.0) % 360.0 - 180.0


def classify_yaw(yaw_deg: float) -> tuple[str, str | None, int]:
    """(view, facing, facing_sign) of a yaw, by the class boundaries of the module docstring.

    Parameters
    ----------
    yaw_deg : float
        The clip's yaw, degrees (NaN: unknown).

    Returns
    -------
    view : str
        "side", "oblique", "front", "back" or "unknown".
    facing : str or None
        "right" or "left" for side and oblique views, else None.
    facing_sign : int
        +1 facing right, -1 facing left, 0 for the other views.
    """
    if not math.isfinite(yaw_deg):
        return "unknown", None, 0
    s, c = math.sin(math.radians(yaw_deg)), math.cos(math.radians(yaw_deg))
    off = math.degrees(math.asin(min(1.0, abs(s))))
    if off > FRONT_MIN_OFF_DEG:
        return ("front" if s > 0 else "back"), None, 0
    sign = 1 if c > 0 else -1
    return ("side" if off < SIDE_MAX_OFF_DEG else "oblique"), ("right" if sign > 0 else "left"), sign


def estimate_yaw(series: PoseSeries) -> tuple[float, float, dict[str, Any]]:
    """The clip's yaw (deg), its frame-to-frame spread (deg) and the cues behind it.

    Body axis from the world landmarks when at least :data:`MIN_FRAMES` frames have it;
    if the head (world nose direction, else the image head cue) points more than 90 deg
    away from it, the left/right labels are taken as swapped and the axis turned by 180
    deg (the nose is where the face is; the labels are what the model guessed). Without
    world landmarks, the image head cue alone (:func:`combine_yaw_cues`).

    Parameters
    ----------
    series : PoseSeries
        Cleaned (levelled) landmarks; its skeleton names the points.

    Returns
    -------
    yaw : float
        Degrees in [0, 360); NaN when no cue has enough frames.
    spread : float
        Frame-to-frame spread (robust SD), degrees.
    cues : dict
        Each cue's mean, spread and frames, and which one was ``used``.
    """
    det = series.detected
    axis = body_axis_yaw(series.world, series.skeleton)
    axis[~det] = np.nan
    head_w = head_world_yaw(series.world, series.skeleton)
    head_w[~det] = np.nan
    head_i = head_image_yaw(series.xy, series.skeleton)
    head_i[~det] = np.nan
    return combine_yaw_cues(axis, head_w, head_i)


def combine_yaw_cues(axis: np.ndarray, head_w: np.ndarray,
                     head_i: np.ndarray) -> tuple[float, float, dict[str, Any]]:
    """The yaw of a set of frames from their per-frame cues (the rule of :func:`estimate_yaw`,
    which the live mode applies to a sliding window of frames).

    Parameters
    ----------
    axis, head_w, head_i : (n,) arrays
        Per-frame yaw (deg) from :func:`body_axis_yaw`, :func:`head_world_yaw` and
        :func:`head_image_yaw`; NaN where a frame lacks the cue.

    Returns
    -------
    yaw, spread, cues
        As :func:`estimate_yaw`.
    """
    a_m, a_sd, a_n = circular_stats(axis)
    hw_m, hw_sd, hw_n = circular_stats(head_w)
    hi_m, hi_sd, hi_n = circular_stats(head_i)

    def r(x: float) -> float | None:
        return round(x, 1) if math.isfinite(x) else None

    cues: dict[str, Any] = {
        "body_axis_world": {"yaw_deg": r(a_m), "sd_deg": r(a_sd), "frames": a_n},
        "head_world": {"yaw_deg": r(hw_m), "sd_deg": r(hw_sd), "frames": hw_n},
        "head_image": {"yaw_deg": r(hi_m), "sd_deg": r(hi_sd), "frames": hi_n},
    }
    head_m = hw_m if hw_n >= MIN_FRAMES else hi_m if hi_n >= MIN_FRAMES else float("nan")
    if a_n >= MIN_FRAMES:
        yaw, sd = a_m, a_sd
        if math.isfinite(head_m) and abs(float(angle_diff(a_m, head_m))) > 90.0:
            yaw = (a_m + 180.0) % 360.0
            cues["labels_swapped"] = True
        cues["used"] = "body_axis_world"
    elif hi_n >= MIN_FRAMES:
        yaw, sd = hi_m, hi_sd
        cues["used"] = "head_image"
    else:
        yaw, sd = float("nan"), float("nan")
        cues["used"] = None
    return yaw, sd, cues


def _oblique_needs_the_image(yaw: float, sd: float, view: str, facing: str | None, sign: int,
                             cues: dict[str, Any]) -> tuple[float, float, str, str | None, int]:
    """An oblique view read from the world landmarks stands only where the image agrees.

    The world landmarks' depth is the model's guess: on a flat, depth-less picture (a 2D
    figure drawn in profile, a runner filmed square-on with a long lens) it can turn the
    body axis by 30-40 deg that nothing in the image shows. The image's own cue is the
    head (:func:`head_image_yaw`: the two ears separate in x as the head turns towards
    the camera). When it reads a side view (off the side by under
    :data:`SIDE_MAX_OFF_DEG`), the view is side, with the image's yaw and facing; the
    world yaw is kept in ``cues["world_yaw_deg"]``. Without the image cue the world
    landmarks stand.
    """
    img = cues.get("head_image", {})
    img_yaw = img.get("yaw_deg")
    if img_yaw is None or img.get("frames", 0) < MIN_FRAMES:
        return yaw, sd, view, facing, sign
    i_view, i_facing, i_sign = classify_yaw(float(img_yaw))
    if i_view != "side":
        cues["image_agrees"] = True
        return yaw, sd, view, facing, sign
    cues["image_agrees"] = False
    cues["world_yaw_deg"] = round(yaw, 1)
    cues["used"] = "head_image (the world landmarks' oblique yaw is not seen in the image)"
    return float(img_yaw), float(img.get("sd_deg") or float("nan")), i_view, i_facing, i_sign


def classify_cues(yaw: float, sd: float, cues: dict[str, Any]
                  ) -> tuple[float, float, str, str | None, int, dict[str, Any]]:
    """The view of a yaw from :func:`combine_yaw_cues`: :func:`classify_yaw`, and an oblique
    view read from the world landmarks stands only where the image agrees
    (:func:`_oblique_needs_the_image`). The rule of :func:`detect_view`, which the live
    mode applies to a sliding window of frames.

    Parameters
    ----------
    yaw, sd, cues
        From :func:`combine_yaw_cues` (or :func:`estimate_yaw`); ``cues`` is updated.

    Returns
    -------
    yaw, sd, view, facing, facing_sign, cues
        The yaw and spread the view was read from, the view, the facing ("left", "right"
        or None) and its sign, and the cues.
    """
    view, facing, sign = classify_yaw(yaw)
    if view == "oblique" and cues.get("used") == "body_axis_world":
        yaw, sd, view, facing, sign = _oblique_needs_the_image(yaw, sd, view, facing, sign, cues)
    return yaw, sd, view, facing, sign, cues


def detect_view(series: PoseSeries, forced: str = "auto") -> ViewResult:
    """Classify the clip's view from the body's yaw; facing for side and oblique views.

    ``forced`` ("side", "front", "back", "oblique") overrides the class; for a forced
    side view the facing comes from the yaw when it is known, else from the nose
    relative to the ears.

    Parameters
    ----------
    series : PoseSeries
        Cleaned (levelled) landmarks; its skeleton names the points.
    forced : str
        "auto" to classify, or the view to take ("side", "front", "back", "oblique").

    Returns
    -------
    ViewResult
    """
    ratio = width_ratio(series)
    yaw, sd, view, facing, sign, cues = classify_cues(*estimate_yaw(series))
    method = "detected"
    if forced != "auto":
        method = "given"
        view = forced
        if view in ("side", "oblique"):
            if sign == 0:
                pts = body_points(series)
                sign = facing_sign(pts["nose"], pts["ear"])
            facing = {1: "right", -1: "left"}.get(sign)
        else:
            facing, sign = None, 0
    return ViewResult(view, facing, sign, ratio, method, yaw, sd, cues)


#: Two stretches of a clip whose yaws differ by this much or more cannot be measured as
#: one view (a turn, or an edit joining takes): the forward offsets of one are
#: foreshortened to half the other's or less (cos 60 = 0.5), and side to front or back
#: is 90 deg, facing left to facing right 180.
VIEW_CHANGE_DEG = 60.0
#: Each stretch must hold one view: the robust spread of its frames' yaw under this. The
#: real side-view clips spread by 3-21 deg over the whole clip (per-frame body axis, the
#: trunk's rotation and the model's noise; one handheld clip 30), and a camera panning with
#: a runner going by sweeps the yaw smoothly: for its halves to lie 60 deg apart the sweep
#: spans 120 deg, and each half then spreads by 1.4826 x 15 = 22 deg, over this bar.
STRETCH_MAX_SPREAD_DEG = 20.0
#: ... and last at least this long with the runner in view (s): about 6 steps, enough
#: for the step-based measures of that stretch.
MIN_STRETCH_S = 2.0


@dataclass(frozen=True)
class Stretch:
    """Frames ``first``..``last - 1`` of a clip seen from one view (:func:`view_stretches`)."""

    first: int
    last: int
    start_s: float
    end_s: float
    yaw_deg: float
    spread_deg: float
    frames_with_yaw: int

    @property
    def view(self) -> tuple[str, str | None, int]:
        """:func:`classify_yaw` of the stretch's yaw."""
        return classify_yaw(self.yaw_deg)

    def describe(self) -> str:
        """The stretch in words: "faces left 0.0-6.0 s", "is seen from the front 6.0-9.0 s"."""
        view, facing, _ = self.view
        what = {"side": f"faces {facing}", "oblique": f"is seen obliquely, facing {facing},",
                "front": "is seen from the front", "back": "is seen from behind"}.get(view, "is seen")
        return f"{what} {self.start_s:.1f}-{self.end_s:.1f} s"

    def to_dict(self) -> dict[str, Any]:
        view, facing, _ = self.view
        return {"start_s": round(self.start_s, 2), "end_s": round(self.end_s, 2),
                "yaw_deg": round(self.yaw_deg, 1), "sd_deg": round(self.spread_deg, 1),
                "view": view, "facing": facing, "frames": self.frames_with_yaw}


def frame_yaw(series: PoseSeries) -> np.ndarray:
    """Per-frame yaw (deg) for telling views apart over time: the body axis in the world
    landmarks (:func:`body_axis_yaw`), turned by 180 deg in a frame whose head points
    more than 90 deg away from it (the left/right labels swapped there, as in
    :func:`combine_yaw_cues`); the head's own direction (world, else image) where the
    axis is missing.

    Parameters
    ----------
    series : PoseSeries
        Cleaned landmarks; its skeleton names the points.

    Returns
    -------
    (n,) array
        Yaw in degrees, [0, 360); NaN where the runner or every cue is missing.
    """
    head = head_world_yaw(series.world, series.skeleton)
    head = np.where(np.isfinite(head), head, head_image_yaw(series.xy, series.skeleton))
    axis = body_axis_yaw(series.world, series.skeleton)
    swapped = np.abs(angle_diff(axis, head)) > 90.0  # False where either is NaN
    yaw = np.where(np.isfinite(axis), np.where(swapped, (axis + 180.0) % 360.0, axis), head)
    yaw[~series.detected] = np.nan
    return yaw


def view_stretches(series: PoseSeries) -> list[Stretch]:
    """The clip cut where the view changes (:data:`VIEW_CHANGE_DEG`), else one stretch.

    Binary segmentation on the circle: the split of a stretch that best fits two mean
    directions (largest sum of the two halves' resultant lengths) with at least
    :data:`MIN_STRETCH_S` of frames with a yaw on each side. It stands when the two means
    differ by :data:`VIEW_CHANGE_DEG` or more and each half, split again the same way,
    ends in stretches that each hold one view (spread under
    :data:`STRETCH_MAX_SPREAD_DEG`): a turn or a cut between takes, not a camera panning
    with a runner going by (the yaw sweeps smoothly, and no part of it holds still). A
    cut falls halfway between the last frame with a yaw before it and the first after.

    Parameters
    ----------
    series : PoseSeries
        Cleaned landmarks with their frame times.

    Returns
    -------
    list of Stretch
        In time order, covering every frame; empty when no frame has a yaw.
    """
    yaw = frame_yaw(series)
    t = np.asarray(series.t, dtype=np.float64)
    n = len(yaw)
    if not np.isfinite(yaw).any():
        return []

    def make(a: int, b: int) -> Stretch:
        m, sd, k = circular_stats(yaw[a:b])
        return Stretch(a, b, float(t[a]), float(t[b - 1]), m, sd, k)

    def split(a: int, b: int) -> list[Stretch]:
        idx = a + np.flatnonzero(np.isfinite(yaw[a:b]))
        if idx.size < 2 * MIN_FRAMES or t[idx[-1]] - t[idx[0]] < 2 * MIN_STRETCH_S:
            return [make(a, b)]
        r = np.radians(yaw[idx])
        c, s = np.cumsum(np.cos(r)), np.cumsum(np.sin(r))
        j = np.arange(1, idx.size)  # left: idx[:j], right: idx[j:]
        left = np.hypot(c[j - 1], s[j - 1])
        right = np.hypot(c[-1] - c[j - 1], s[-1] - s[j - 1])
        ok = (t[idx[j - 1]] - t[idx[0]] >= MIN_STRETCH_S) & (t[idx[-1]] - t[idx[j]] >= MIN_STRETCH_S)
        if not ok.any():
            return [make(a, b)]
        best = int(j[ok][np.argmax((left + right)[ok])])
        cut = int((idx[best - 1] + idx[best]) // 2) + 1
        if abs(float(angle_diff(make(a, cut).yaw_deg, make(cut, b).yaw_deg))) >= VIEW_CHANGE_DEG:
            parts = split(a, cut) + split(cut, b)
            if all(p.spread_deg <= STRETCH_MAX_SPREAD_DEG for p in parts):
                return parts
        return [make(a, b)]

    return split(0, n)


def stretch_forward(pts: dict[str, np.ndarray], cos_yaw: float) -> dict[str, np.ndarray]:
    """Undo the foreshortening of an oblique view: x offsets from the hip over ``|cos yaw|``.

    Each point ``p`` becomes ``(hip.x + (p.x - hip.x) / |cos yaw|, p.y)`` per frame, so
    sagittal angles measured on the result are those of the runner's own plane (for
    points in the mid-sagittal plane; left/right midpoints are).

    Parameters
    ----------
    pts : dict of str to (n, 2) array
        Key points (px), ``hip`` among them.
    cos_yaw : float
        Cosine of the clip's yaw (its magnitude is floored at 1e-3).

    Returns
    -------
    dict of str to (n, 2) array
        New arrays; ``pts`` is not modified.
    """
    c = max(abs(cos_yaw), 1e-3)
    hip_x = pts["hip"][:, :1]
    out = {}
    for k, v in pts.items():
        q = v.copy()
        q[:, 0] = hip_x[:, 0] + (v[:, 0] - hip_x[:, 0]) / c
        out[k] = q
    return out


def midpoints(series: PoseSeries, pts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``pts`` (from :func:`~formcheck.kinematics.metrics.body_points`) with the plain
    left/right midpoints of ear, shoulder, hip, knee and ankle where both sides are known.

    In an oblique view both sides are in sight, and the visibility-weighted mean of a side
    view would lean towards the near side: a lateral offset that the forward stretch of
    :func:`stretch_forward` would then magnify.

    Parameters
    ----------
    series : PoseSeries
        Cleaned (levelled) landmarks; its skeleton names the points.
    pts : dict of str to (n, 2) array
        The side-combined points of :func:`~formcheck.kinematics.metrics.body_points`.

    Returns
    -------
    dict of str to (n, 2) array
        A new dict; ``pts`` is not modified.
    """
    xy = series.xy.astype(np.float64)
    out = dict(pts)
    for name in ("ear", "shoulder", "hip", "knee", "ankle"):
        li, ri = series.skeleton.pair(name)
        mid = (xy[:, li] + xy[:, ri]) / 2
        ok = np.asarray(np.isfinite(mid).all(axis=1), dtype=bool)
        out[name] = np.where(ok[:, None], mid, pts[name])
    return out


#: Clip-yaw error on the rendered synthetic runner (deg): the 90th percentile over 40
#: clips at yaws 0-345 and camera heights 0.6-2.5 m (docs/view.md); the floor of the
#: yaw uncertainty used for the oblique error band.
YAW_ERROR_FLOOR_DEG = 8.0
#: Shoulder and ear half-widths (cm, 175 cm adult; Winter 2009 Fig. 4.1 and head breadth)
#: and the shoulder->ear length (0.107 x 175 cm), for the perspective term of the band.
_SHOULDER_HALF_CM, _EAR_HALF_CM, _NECK_CM = 17.5, 7.4, 18.7
#: A typical filming distance (cm) for that term; closer cameras do worse.
_TYPICAL_DISTANCE_CM = 300.0


def oblique_band(view: ViewResult) -> dict[str, float] | None:
    """The oblique correction and its error band (None unless the view is oblique).

    Forward offsets are divided by ``|cos yaw|`` (``stretch``); a yaw error ``dphi``
    changes that factor by ``|tan yaw| dphi`` (relative), the band on the tangent of every
    sagittal angle (``angle_tan_rel``), with ``dphi = max(yaw spread, YAW_ERROR_FLOOR_DEG)``.
    Perspective adds a bias: the two shoulders lie ``2 w cos(yaw)`` apart in depth, so the
    mean of their projections sits ``w^2 sin(yaw) cos(yaw) / D`` towards the near side
    (less for the narrower ears); after the stretch the neck line tilts by about
    ``(w_sh^2 - w_ear^2) |sin yaw| / (D L_neck)`` (``perspective_neck_deg``, for D = 3 m:
    1.8 deg at 45 deg).

    Parameters
    ----------
    view : ViewResult
        The clip's view.

    Returns
    -------
    dict or None
        ``stretch``, ``yaw_uncertainty_deg``, ``angle_tan_rel``, ``perspective_neck_deg``.
    """
    if view.view != "oblique" or not math.isfinite(view.yaw_deg):
        return None
    sigma = max(view.yaw_sd_deg if math.isfinite(view.yaw_sd_deg) else 0.0, YAW_ERROR_FLOOR_DEG)
    sin = abs(math.sin(math.radians(view.yaw_deg)))
    return {
        "stretch": round(1.0 / view.cos_yaw, 3),
        "yaw_uncertainty_deg": round(sigma, 1),
        "angle_tan_rel": round(abs(math.tan(math.radians(view.yaw_deg))) * math.radians(sigma), 3),
        "perspective_neck_deg": round(math.degrees(
            (_SHOULDER_HALF_CM**2 - _EAR_HALF_CM**2) * sin / (_TYPICAL_DISTANCE_CM * _NECK_CM)), 2),
    }


def oblique_note(view: ViewResult) -> str:
    """One line on the oblique correction and its error band (:func:`oblique_band`).

    Parameters
    ----------
    view : ViewResult
        The clip's view.

    Returns
    -------
    str
        Empty unless the view is oblique.
    """
    b = oblique_band(view)
    if b is None:
        return ""
    return (f"oblique view: the runner faces {view.off_side_deg:.0f} deg off the side view "
            f"(yaw {view.yaw_deg:.0f} +- {b['yaw_uncertainty_deg']:.0f} deg); forward offsets are stretched "
            f"by 1/cos(yaw) = {b['stretch']:.2f} before measuring, so sagittal angles carry about "
            f"+-{100 * b['angle_tan_rel']:.0f}% extra error, and perspective adds up to "
            f"~{b['perspective_neck_deg']:.1f} deg to the neck angles with the camera 3 m away")
