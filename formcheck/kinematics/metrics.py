"""Posture metrics as pure functions of landmark arrays (pixels, image y downwards).

Conventions
-----------
* Points are ``(n, 2)`` arrays of pixel coordinates ``(x, y)``; **y grows downwards**.
* ``s`` is the facing sign: +1 when the runner faces the viewer's right (+x),
  -1 when facing left. Forward offsets are ``s * dx``, so a mirror image (x -> W - x,
  which also flips ``s``) gives identical values (the per-frame head angles of
  :func:`side_view_frame_metrics` then differ by exactly :func:`facing_correction_deg`,
  which undoes MediaPipe's own facing bias).
* Angles are in degrees. Lengths are normalised by the torso length (shoulder-hip
  distance in the same frame), which makes them independent of zoom and distance.
* Missing input (NaN) gives NaN output, never a made-up number.
"""

from __future__ import annotations

import numpy as np

from formcheck.model.pose import PoseSeries


def _check_points(*arrays: np.ndarray) -> None:
    for a in arrays:
        if a.ndim != 2 or a.shape[1] != 2:
            raise ValueError(f"expected an (n, 2) array of points, got shape {a.shape}")


def _deg(a: np.ndarray) -> np.ndarray:
    return np.degrees(a)


def combine_sides(left: np.ndarray, right: np.ndarray, vis_left: np.ndarray,
                  vis_right: np.ndarray) -> np.ndarray:
    """Visibility-weighted mean of a left/right landmark pair, (n, 2).

    In a side view the far side is largely guessed by the model and comes with low
    visibility, so it contributes little. Where one side is missing the other is used.

    Parameters
    ----------
    left, right : (n, 2) arrays, px (x right, y down)
        The same point on each side.
    vis_left, vis_right : (n,) arrays
        The model's visibility of each, 0-1.

    Returns
    -------
    (n, 2) array
        The visibility-weighted point, px; NaN where neither side is known.
    """
    # A point counts only when both its coordinates are known.
    wl = np.where(np.isfinite(left).all(axis=1), np.clip(vis_left, 1e-3, 1.0), 0.0)
    wr = np.where(np.isfinite(right).all(axis=1), np.clip(vis_right, 1e-3, 1.0), 0.0)
    total = wl + wr
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (np.nan_to_num(left) * wl[:, None] + np.nan_to_num(right) * wr[:, None]) / total[:, None]
    out[total == 0] = np.nan
    return out


def body_points(series: PoseSeries) -> dict[str, np.ndarray]:
    """Side-combined key points of a series: nose, ear, shoulder, hip, knee, ankle
    (each (n, 2)), plus ``ankle_low``: the lower (stance-side) ankle of the two, and
    ``arm_shoulder``, ``elbow``, ``wrist``: the better-seen arm (:func:`near_arm`).

    Parameters
    ----------
    series : PoseSeries
        Cleaned landmarks; its skeleton names the points.

    Returns
    -------
    dict of str to (n, 2) array
        Keys ``nose``, ``ear``, ``shoulder``, ``hip``, ``knee``, ``ankle``, ``ankle_low``,
        ``arm_shoulder``, ``elbow``, ``wrist``; px, NaN where unknown.
    """
    xy, v, sk = series.xy.astype(np.float64), series.visibility, series.skeleton
    pts = {"nose": xy[:, sk.index("nose")]}
    for name in ("ear", "shoulder", "hip", "knee", "ankle"):
        li, ri = sk.pair(name)
        pts[name] = combine_sides(xy[:, li], xy[:, ri], v[:, li], v[:, ri])
    li, ri = sk.pair("ankle")
    la, ra = xy[:, li], xy[:, ri]
    lower_left = np.nan_to_num(la[:, 1], nan=-np.inf) >= np.nan_to_num(ra[:, 1], nan=-np.inf)
    low = np.where(lower_left[:, None], la, ra)
    low[~np.isfinite(la[:, 0]) & ~np.isfinite(ra[:, 0])] = np.nan
    pts["ankle_low"] = low
    pts["arm_shoulder"], pts["elbow"], pts["wrist"] = near_arm(series)
    return pts


def near_arm(series: PoseSeries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shoulder, elbow and wrist (each (n, 2)) of the arm seen better in each frame.

    The arms swing in opposite phase, so unlike the trunk points the two sides cannot be
    averaged: each frame takes the side whose least visible of the three points is more
    visible (in a side view the near arm), or the only side with all three known.

    Parameters
    ----------
    series : PoseSeries
        Cleaned landmarks; its skeleton names the points.

    Returns
    -------
    shoulder, elbow, wrist : (n, 2) arrays
        The chosen arm's points, px.
    """
    xy, v = series.xy.astype(np.float64), series.visibility
    sides = [series.skeleton.indices(*(f"{side}_{joint}" for joint in ("shoulder", "elbow", "wrist")))
             for side in ("left", "right")]
    score = []
    for ids in sides:
        known = np.isfinite(xy[:, ids]).all(axis=(1, 2))
        score.append(np.where(known, v[:, ids].min(axis=1), -1.0))
    use_left = score[0] >= score[1]
    out = tuple(np.where(use_left[:, None], xy[:, li], xy[:, ri])
                for li, ri in zip(*sides, strict=True))
    return out[0], out[1], out[2]


def torso_length(shoulder: np.ndarray, hip: np.ndarray) -> np.ndarray:
    """Euclidean shoulder-hip distance per frame (px).

    Parameters
    ----------
    shoulder, hip : (n, 2) arrays, px (x right, y down)

    Returns
    -------
    (n,) array
        px; NaN where a point is missing.
    """
    _check_points(shoulder, hip)
    return np.hypot(*(shoulder - hip).T)


def facing_sign(nose: np.ndarray, ear: np.ndarray) -> int:
    """+1 if the runner faces right (nose ahead of the ears in +x), -1 if left, 0 if unclear.

    Decided once per clip from the median nose-minus-ear x offset.

    Parameters
    ----------
    nose, ear : (n, 2) arrays, px (x right, y down)
        Side-combined nose and ear.

    Returns
    -------
    int
        +1 facing right, -1 facing left, 0 when unclear.
    """
    _check_points(nose, ear)
    dx = nose[:, 0] - ear[:, 0]
    dx = dx[np.isfinite(dx)]
    if dx.size == 0:
        return 0
    med = float(np.median(dx))
    share = float(np.mean(np.sign(dx) == np.sign(med))) if med != 0 else 0.0
    return int(np.sign(med)) if share >= 0.6 else 0


def lean_from_vertical_deg(lower: np.ndarray, upper: np.ndarray, s: int) -> np.ndarray:
    """Angle of the segment lower->upper from the vertical, + = upper end forward.

    ``atan2(s * (upper.x - lower.x), lower.y - upper.y)``: 0 for an upright segment,
    +10 when the upper end is tilted 10 degrees towards the facing direction.

    Parameters
    ----------
    lower, upper : (n, 2) arrays, px (x right, y down)
        The segment's ends.
    s : int
        Facing sign: +1 facing right (towards +x), -1 facing left.

    Returns
    -------
    (n,) array
        Degrees; NaN where a point is missing.
    """
    _check_points(lower, upper)
    return _deg(np.arctan2(s * (upper[:, 0] - lower[:, 0]), lower[:, 1] - upper[:, 1]))


def trunk_lean_deg(shoulder: np.ndarray, hip: np.ndarray, s: int) -> np.ndarray:
    """Trunk (hip->shoulder) lean from vertical, + = forward. Teng & Powers (2015)
    report about 4 deg (low) to 11 deg (high trunk flexion group) at 3.4 m/s.

    Parameters
    ----------
    shoulder, hip : (n, 2) arrays, px (x right, y down)
    s : int
        Facing sign: +1 facing right (towards +x), -1 facing left.

    Returns
    -------
    (n,) array
        Degrees; NaN where a point is missing.
    """
    return lean_from_vertical_deg(hip, shoulder, s)


def neck_lean_deg(ear: np.ndarray, shoulder: np.ndarray, s: int) -> np.ndarray:
    """Neck (shoulder->ear) lean from vertical, + = ear ahead of the shoulder.

    Parameters
    ----------
    ear, shoulder : (n, 2) arrays, px (x right, y down)
    s : int
        Facing sign: +1 facing right (towards +x), -1 facing left.

    Returns
    -------
    (n,) array
        Degrees; NaN where a point is missing.
    """
    return lean_from_vertical_deg(shoulder, ear, s)


def cva_proxy_deg(ear: np.ndarray, shoulder: np.ndarray, s: int) -> np.ndarray:
    """Craniovertebral-angle proxy: angle between the horizontal and the
    shoulder->ear line, on the facing side. ``90 - neck_lean_deg``.

    90 = ear straight above the shoulder; lower = head further forward; above 90 =
    ear behind the shoulder. The clinical CVA uses C7 (behind the shoulder landmark),
    so this proxy reads higher than a clinical CVA for the same posture.

    Parameters
    ----------
    ear, shoulder : (n, 2) arrays, px (x right, y down)
    s : int
        Facing sign: +1 facing right (towards +x), -1 facing left.

    Returns
    -------
    (n,) array
        Degrees; NaN where a point is missing.
    """
    return 90.0 - neck_lean_deg(ear, shoulder, s)


def neck_trunk_angle_deg(ear: np.ndarray, shoulder: np.ndarray, hip: np.ndarray, s: int) -> np.ndarray:
    """Head forward relative to the trunk: neck lean minus trunk lean (deg).

    0 when ear, shoulder and hip are in line; + when the neck tilts forward of the
    trunk line (head pushed forward); independent of a whole-body lean.

    Parameters
    ----------
    ear, shoulder, hip : (n, 2) arrays, px (x right, y down)
    s : int
        Facing sign: +1 facing right (towards +x), -1 facing left.

    Returns
    -------
    (n,) array
        Degrees; NaN where a point is missing.
    """
    return neck_lean_deg(ear, shoulder, s) - trunk_lean_deg(shoulder, hip, s)


def head_forward_offset_torso(ear: np.ndarray, shoulder: np.ndarray, hip: np.ndarray, s: int) -> np.ndarray:
    """Horizontal distance of the ear ahead of the shoulder, in torso lengths.

    ``s * (ear.x - shoulder.x) / |shoulder - hip|``; + = head forward of the shoulders.
    Gravity acts vertically, so this horizontal offset is the neck's lever arm.

    Parameters
    ----------
    ear, shoulder, hip : (n, 2) arrays, px (x right, y down)
    s : int
        Facing sign: +1 facing right (towards +x), -1 facing left.

    Returns
    -------
    (n,) array
        Torso lengths (dimensionless); NaN where a point is missing.
    """
    _check_points(ear, shoulder, hip)
    return s * (ear[:, 0] - shoulder[:, 0]) / torso_length(shoulder, hip)


def shoulder_elevation_torso(ear: np.ndarray, shoulder: np.ndarray, hip: np.ndarray) -> np.ndarray:
    """Ear-to-shoulder vertical gap in torso lengths: ``(shoulder.y - ear.y) / torso``.

    The gap **shrinks when the shoulders are raised** towards the ears (tense,
    shrugged shoulders); a forward head also lowers it a little.

    Parameters
    ----------
    ear, shoulder, hip : (n, 2) arrays, px (x right, y down)

    Returns
    -------
    (n,) array
        Torso lengths (dimensionless); NaN where a point is missing.
    """
    _check_points(ear, shoulder, hip)
    return (shoulder[:, 1] - ear[:, 1]) / torso_length(shoulder, hip)


def head_pitch_deg(ear: np.ndarray, nose: np.ndarray, s: int) -> np.ndarray:
    """Pitch of the ear->nose line below the horizontal, + = looking down.

    ``atan2(nose.y - ear.y, s * (nose.x - ear.x))``. A level gaze reads a little
    above 0 because the nose tip sits slightly below the ear canal.

    Parameters
    ----------
    ear, nose : (n, 2) arrays, px (x right, y down)
    s : int
        Facing sign: +1 facing right (towards +x), -1 facing left.

    Returns
    -------
    (n,) array
        Degrees; NaN where a point is missing.
    """
    _check_points(ear, nose)
    return _deg(np.arctan2(nose[:, 1] - ear[:, 1], s * (nose[:, 0] - ear[:, 0])))


def waist_bend_deg(shoulder: np.ndarray, hip: np.ndarray, ankle: np.ndarray, s: int) -> np.ndarray:
    """The part of the trunk lean that comes from bending at the hips (deg).

    Trunk lean minus the lean of the stance leg's ankle->hip line. A whole-body lean
    from the ankles tilts both equally and gives ~0; bending forward at the waist
    gives a positive value. Meaningful during stance (the stance foot on the ground);
    the per-step value is the median over the stance frames.

    Parameters
    ----------
    shoulder, hip, ankle : (n, 2) arrays, px (x right, y down)
        ``ankle``: the stance (lower) ankle.
    s : int
        Facing sign: +1 facing right (towards +x), -1 facing left.

    Returns
    -------
    (n,) array
        Degrees; NaN where a point is missing.
    """
    return trunk_lean_deg(shoulder, hip, s) - lean_from_vertical_deg(ankle, hip, s)


def tilt_deg(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Front/back view: tilt of the right->left line from the horizontal, + = left side higher.

    ``atan2(right.y - left.y, |left.x - right.x|)``; the same whether the runner is
    seen from the front or from the back.

    Parameters
    ----------
    left, right : (n, 2) arrays, px (x right, y down)
        The left and right point of one pair (shoulders, ears).

    Returns
    -------
    (n,) array
        Degrees; NaN where a point is missing.
    """
    _check_points(left, right)
    return _deg(np.arctan2(right[:, 1] - left[:, 1], np.abs(left[:, 0] - right[:, 0])))


def elbow_angle_deg(shoulder: np.ndarray, elbow: np.ndarray, wrist: np.ndarray) -> np.ndarray:
    """Angle at the elbow between the upper arm (elbow->shoulder) and the forearm
    (elbow->wrist), in degrees: 180 = a straight arm, 90 = a right angle; the arm
    carriage of a runner (about 70-110 deg while running).

    ``atan2(|u x f|, u . f)``; independent of the facing direction and of a mirror image.

    Parameters
    ----------
    shoulder, elbow, wrist : (n, 2) arrays, px (x right, y down)
        One arm's points.

    Returns
    -------
    (n,) array
        Degrees in [0, 180]; NaN where a point is missing.
    """
    _check_points(shoulder, elbow, wrist)
    u, f = shoulder - elbow, wrist - elbow
    return _deg(np.arctan2(np.abs(u[:, 0] * f[:, 1] - u[:, 1] * f[:, 0]), (u * f).sum(axis=1)))


#: MediaPipe reads a runner's head differently when the runner faces left and right:
#: the same frames flipped left-right (``tests/test_severity.py::_mirror``) give, with the
#: runner facing left minus facing right, these clip medians (mean over the 7 real
#: side-view clips of ../shared/videos: garage, bystander (census fix), clean 1080p, city,
#: grass, slow-mo lab, walker; measured 2026-12-06 at analysis revision 7; docs/
#: head_calibration.md, "The facing correction"). Head pitch L - R: -5.78, -6.44, -2.61, -2.40, -3.41,
#: -3.87, -3.29 (7 of 7 steeper facing right); CVA proxy: +1.94, +2.11, +1.67, +2.16, -0.82,
#: +1.08, +1.10 (6 of 7 lower facing right). It is the model's, not the scene's: the rendered
#: runner of the severity grid (12 renders, right-facing, and their mirrors) reads
#: -2.58 +/- 1.13 (SE) and +0.81 +/- 0.27 the same way; formcheck's geometry is exactly
#: mirror-symmetric (tests/test_metrics.py).
FACING_BIAS_LR_DEG = {"cva_deg": 1.32, "head_pitch_deg": -3.97}
#: Share of that difference taken off a left-facing reading (the rest, ``1 - share``, is
#: added to a right-facing one, so the two agree). The head thresholds were calibrated on
#: 4 left-facing clips and 1 right-facing (31 and 8 of the 39 annotated frames,
#: docs/head_calibration.md): a share of 0.2 leaves the mean of the calibration clips, and
#: so the thresholds, where they were (4 x -0.2 + 1 x 0.8 = 0).
FACING_LEFT_SHARE = 0.2
#: The spread that is left after the correction: SD of the 7 clips' L - R about its mean
#: (head pitch 1.55, CVA 1.04 deg) shared by the two facings as independent parts (/ sqrt 2);
#: an error term of the two metrics (formcheck.assess.norms.ERROR_MODELS).
FACING_RESIDUAL_DEG = {"cva_deg": round(1.04 / 2**0.5, 2), "head_pitch_deg": round(1.55 / 2**0.5, 2)}


def facing_correction_deg(metric: str, s: int) -> float:
    """What is added to a head angle read for a runner facing ``s`` (+1 right, -1 left),
    so that a clip and its mirror image read the same (see :data:`FACING_BIAS_LR_DEG`).

    Parameters
    ----------
    metric : str
        "cva_deg" or "head_pitch_deg"; any other metric gets 0.
    s : int
        Facing sign: +1 facing right (towards +x), -1 facing left.

    Returns
    -------
    float
        Degrees to add to the geometric reading.
    """
    d = FACING_BIAS_LR_DEG.get(metric, 0.0)
    return -FACING_LEFT_SHARE * d if s < 0 else (1.0 - FACING_LEFT_SHARE) * d


def side_view_frame_metrics(pts: dict[str, np.ndarray], s: int) -> dict[str, np.ndarray]:
    """All per-frame side-view metrics from :func:`body_points` output.

    Parameters
    ----------
    pts : dict of str to (n, 2) array
        The points of :func:`body_points`.
    s : int
        Facing sign: +1 facing right (towards +x), -1 facing left.

    Returns
    -------
    dict of str to (n,) array
        Metric key (:data:`formcheck.model.registry.SIDE_FRAME_METRICS`) -> per-frame values.
        ``cva_deg`` and ``head_pitch_deg`` carry :func:`facing_correction_deg` (the
        geometric functions above do not); the other metrics are the geometry alone.
    """
    ear, sh, hip, nose = pts["ear"], pts["shoulder"], pts["hip"], pts["nose"]
    return {
        # the two head angles read the geometry, corrected for MediaPipe's facing bias
        "cva_deg": cva_proxy_deg(ear, sh, s) + facing_correction_deg("cva_deg", s),
        "head_forward_offset_torso": head_forward_offset_torso(ear, sh, hip, s),
        "neck_trunk_angle_deg": neck_trunk_angle_deg(ear, sh, hip, s),
        "trunk_lean_deg": trunk_lean_deg(sh, hip, s),
        "waist_bend_deg": waist_bend_deg(sh, hip, pts["ankle_low"], s),
        "shoulder_elevation_torso": shoulder_elevation_torso(ear, sh, hip),
        "head_pitch_deg": head_pitch_deg(ear, nose, s) + facing_correction_deg("head_pitch_deg", s),
        "elbow_angle_deg": elbow_angle_deg(pts["arm_shoulder"], pts["elbow"], pts["wrist"]),
    }


def front_view_frame_metrics(series: PoseSeries) -> dict[str, np.ndarray]:
    """Per-frame front/back-view metrics: shoulder and head tilt, and each side's
    ear-shoulder vertical gap in torso lengths (smaller = that shoulder raised).

    Parameters
    ----------
    series : PoseSeries
        Cleaned (levelled) landmarks.

    Returns
    -------
    dict of str to (n,) array
        Metric key (:data:`formcheck.model.registry.FRONT_FRAME_METRICS`) -> per-frame values.
    """
    xy, sk = series.xy.astype(np.float64), series.skeleton
    (ls, rs), (le, re), (lh, rh) = ((xy[:, i] for i in sk.pair(part)) for part in ("shoulder", "ear", "hip"))
    mid_sh = (ls + rs) / 2
    mid_hip = (lh + rh) / 2
    torso = np.abs(mid_hip[:, 1] - mid_sh[:, 1])
    return {
        "shoulder_tilt_deg": tilt_deg(ls, rs),
        "head_tilt_deg": tilt_deg(le, re),
        "left_shoulder_elevation_torso": (ls[:, 1] - le[:, 1]) / torso,
        "right_shoulder_elevation_torso": (rs[:, 1] - re[:, 1]) / torso,
    }
