"""Every threshold formcheck uses, in one table, with where it comes from.

``kind`` says whether a threshold is a published norm applied as it is, or a
**calibrated proxy**: a cut-off on a MediaPipe-based stand-in for a clinical
measure (e.g. the shoulder landmark instead of C7), set by the formcheck developers
from the published norm, the geometry of the landmarks and the clips they had. Proxy
thresholds are not validated against a clinical measurement; the report says so.

Markerless pose estimation is only accurate to about 5-8 degrees at the joints in
treadmill running (Van Hooren et al. 2023, OpenPose vs markers); readings within
``MEASUREMENT_ERROR_DEG`` of a threshold are flagged as inside the error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from formcheck.kinematics.metrics import FACING_RESIDUAL_DEG
from formcheck.model import registry

MEASUREMENT_ERROR_DEG = 5.0

Direction = Literal["above", "below"]


@dataclass(frozen=True)
class Threshold:
    """A fault fires when the clip's median per-step value passes ``mild``."""

    fault: str
    metric: str
    direction: Direction  # "below": lower values are worse
    mild: float
    moderate: float
    severe: float
    unit: str
    kind: Literal["published", "calibrated proxy"]
    source: str
    #: The most extreme value a runner plausibly shows (for angles: a clinical CVA of
    #: 25 deg, a gaze at the feet 60 deg down). When a clip's measurement error exceeds
    #: ``|mild - extreme|`` not even such a runner could be told from one within the
    #: norm: the fault is "not measurable here". None: no such limit.
    extreme: float | None = None

    def severity(self, value: float) -> str | None:
        """'mild' / 'moderate' / 'severe', or None when ``value`` is within the norm.

        Parameters
        ----------
        value : float
            A value of the threshold's metric (NaN: None).

        Returns
        -------
        str or None
        """
        worse = (lambda v, t: v <= t) if self.direction == "below" else (lambda v, t: v >= t)
        if value != value:  # NaN
            return None
        for name in ("severe", "moderate", "mild"):
            if worse(value, getattr(self, name)):
                return name
        return None


# ---------------------------------------------------------------------------------
# Head calibration on real people and the per-clip measurement error
# (docs/head_calibration.md; the annotations are tests/data/head_landmarks.csv)
# ---------------------------------------------------------------------------------

#: Measured on 39 frames of 5 real side-view clips (mean over frames, torso lengths):
#: the shoulder landmark sits this far *below* C7 minus how far the ear landmark sits
#: below the tragus, i.e. the extra height of the shoulder->ear line over C7->tragus.
#: C7 was marked twice on 8 frames and the second marks sat 0.041 torso lengths higher;
#: formcheck uses the midpoint of the two conventions (first pass alone: 0.187).
PROXY_EXTRA_HEIGHT_TORSO = 0.208
#: ... and the ear landmark's forward offset from the tragus minus the shoulder
#: landmark's forward offset from C7 (torso lengths, + = forward).
PROXY_EXTRA_FORWARD_TORSO = -0.012
#: Median tragus-C7 distance in torso lengths on those frames.
TRAGUS_C7_TORSO = 0.215
#: Half the spread of the proxy cut-off (at a clinical 50 deg) between the first-pass
#: C7 convention (68.8 deg) and the second (73.5 deg): how uncertain the cut-off itself is.
CVA_CALIBRATION_DEG = 2.35


def cva_proxy_from_clinical(clinical_deg: float, tragus_c7_torso: float = TRAGUS_C7_TORSO) -> float:
    """The ear-shoulder CVA proxy (deg) that a clinical CVA reads as.

    With the C7->tragus line of length ``d`` (torso lengths) at ``clinical_deg`` above
    horizontal, the shoulder->ear line has height ``d sin(c) + PROXY_EXTRA_HEIGHT_TORSO``
    and forward run ``d cos(c) + PROXY_EXTRA_FORWARD_TORSO``; the proxy is its angle
    above horizontal. The shoulder landmark sits far below C7, so the proxy reads
    ~20 deg higher and moves only about half as much as the clinical angle.

    Parameters
    ----------
    clinical_deg : float
        Clinical craniovertebral angle (C7-tragus line above horizontal), deg.
    tragus_c7_torso : float, optional
        Length of the C7-tragus line, in torso lengths.

    Returns
    -------
    float
        The proxy angle, deg above horizontal.
    """
    c = math.radians(clinical_deg)
    return math.degrees(math.atan2(tragus_c7_torso * math.sin(c) + PROXY_EXTRA_HEIGHT_TORSO,
                                   tragus_c7_torso * math.cos(c) + PROXY_EXTRA_FORWARD_TORSO))


#: Gaze: the ear->nose line of a level head reads this far below horizontal on real
#: people (fit at the annotated tragus->eye-corner line of the four clips whose runners
#: look ahead, mean -20.5 deg), and moves this much per degree of head pitch.
GAZE_LEVEL_DEG = 18.7
GAZE_SLOPE = 0.26
#: Clinical CVA cut-offs (mild / moderate / severe) and the extreme posture (deg).
CVA_CLINICAL = (50.0, 45.5, 40.0)
CVA_CLINICAL_EXTREME = 25.0
#: Head pitched down from level (deg): eyes on the ground 4.4 / 2.8 / 1.6 m ahead from
#: a standing eye height of 1.6 m; extreme: looking at one's feet.
GAZE_DOWN_DEG = (20.0, 30.0, 45.0)
GAZE_DOWN_EXTREME = 60.0


def gaze_proxy_from_pitch(pitch_down_deg: float) -> float:
    """The ear->nose reading (deg below horizontal) of a head pitched down from level.

    Parameters
    ----------
    pitch_down_deg : float
        Head pitch down from level, deg (negative: pitched up).

    Returns
    -------
    float
        The ear->nose angle, deg below horizontal.
    """
    return GAZE_LEVEL_DEG + GAZE_SLOPE * pitch_down_deg


_CVA = [round(cva_proxy_from_clinical(c), 1) for c in (*CVA_CLINICAL, CVA_CLINICAL_EXTREME)]
_GAZE = [round(gaze_proxy_from_pitch(p), 1) for p in (*GAZE_DOWN_DEG, GAZE_DOWN_EXTREME)]


THRESHOLDS: dict[str, Threshold] = {
    t.fault: t
    for t in (
        Threshold(
            "forward_head", "cva_deg", "below", _CVA[0], _CVA[1], _CVA[2], "deg", "calibrated proxy",
            "Clinical craniovertebral angle (C7-tragus): ~44 deg in neck-pain groups vs ~51 deg "
            "in controls (Lau et al., Man Ther 2009); <50 deg common cut-off, 45.5 deg separates "
            "slight from moderate-severe (Mostafaee et al.); severe here = clinical CVA under 40 deg "
            "(formcheck's choice, well below the neck-pain group). MediaPipe has no C7: on 39 "
            "hand-annotated frames of 5 real side-view clips the shoulder landmark sat 0.17 torso "
            "lengths below and 0.05 ahead of C7, the ear landmark 0.04 above the tragus, so the "
            "ear-shoulder proxy reads higher and compresses the range; the clinical 50 / 45.5 / 40 "
            "deg map to 71.3 / 69.0 / 66.2 deg of the proxy through that geometry, +/-2.4 deg "
            "between two C7 annotation passes (cva_proxy_from_clinical; docs/head_calibration.md).",
            extreme=_CVA[3],
        ),
        Threshold(
            "waist_lean", "trunk_lean_deg", "above", 12.0, 15.0, 20.0, "deg", "published",
            "Trunk flexion while running ~4 deg (low) to ~11 deg (high trunk-flexion group) at "
            "3.4 m/s (Teng & Powers 2015); self-selected values up to ~15 deg are reported. Only "
            "counted as bending at the waist when the legs do not lean with the trunk (see "
            "WHOLE_BODY_LEAN_MAX_BEND).",
        ),
        Threshold(
            "raised_shoulders", "shoulder_elevation_torso", "below", 0.20, 0.16, 0.12, "torso",
            "calibrated proxy",
            "Ear-to-shoulder vertical gap in torso lengths. Anthropometry (Winter 2009): "
            "shoulder-hip ~0.29 of height, ear-shoulder ~0.07-0.08 of height, so a relaxed gap "
            "is ~0.25 torso; a shrug of 2-3 cm brings it under 0.20.",
        ),
        Threshold(
            "gaze_down", "head_pitch_deg", "above", _GAZE[0], _GAZE[1], _GAZE[2], "deg", "calibrated proxy",
            "Head pitched down by 20 / 30 / 45 deg from a level gaze: eyes on the ground about 4.4 / "
            "2.8 / 1.6 m ahead from a standing eye height of 1.6 m, instead of the 10-20 m the "
            "advice asks for. On 39 hand-annotated real frames the ear->nose line read 18.7 deg "
            "below horizontal for a level head and moved only 0.26 deg per degree of head pitch "
            "(tragus->eye-corner line; the ear landmark follows the face), so the cut-offs are "
            "18.7 + 0.26 x 20 / 30 / 45 deg (docs/head_calibration.md).",
            extreme=_GAZE[3],
        ),
        Threshold(
            "excessive_bounce", "vertical_oscillation_cm", "above", 10.0, 12.0, 14.0, "cm",
            "published",
            "Vertical oscillation ~6-13 cm in recreational runners; centre of mass 7.5-9.3 cm "
            "in lab studies. Measured at the shoulders (the trunk rises and falls as one "
            "piece), which move slightly more than the centre of mass.",
        ),
        Threshold(
            "excessive_bounce_torso", "vertical_oscillation_torso", "above", 0.20, 0.245, 0.285,
            "torso", "calibrated proxy",
            "Used when the runner's height is not given: the cm thresholds above divided by a "
            "typical torso of 0.288 x 170 cm (Winter 2009 segment proportions).",
        ),
    )
}

#: A forward trunk lean is a whole-body lean from the ankles ("chi running" style), not
#: the waist-bend fault, when the trunk leans no more than the stance leg does, i.e. when
#: ``waist_bend_deg`` (trunk lean minus the stance leg's ankle->hip lean, median over
#: stance) stays below this. Calibrated proxy: upright runners read about -6 to -10 deg,
#: because over a stance the foot is mostly behind the hip (formcheck's synthetic runners
#: and the real clips the developers tested); a 14 deg bend at the hips reads about +1.
WHOLE_BODY_LEAN_MAX_BEND = -3.0
WHOLE_BODY_LEAN_SOURCE = (
    "calibrated proxy: formcheck developers, from synthetic runners with a known bend at the "
    "hips and from real side-view clips"
)

#: Which way a metric gets better, for judging a change between two sessions
#: ("higher", "lower", "zero": closer to 0 is better, None: no better direction), from
#: each metric's registry entry (:attr:`formcheck.model.registry.Metric.better`).
#: Follows the fault thresholds above (their ``direction`` says which way is worse) and
#: METRICS.md: a forward head lowers the CVA proxy and raises the ear's forward offset
#: and the neck-trunk angle; bending forward raises trunk lean and waist bend; raised
#: shoulders shrink the ear-shoulder gap; looking down raises head pitch; bounce loads
#: the neck. Left/right tilts are best level. Cadence has none: it rises with speed.
BETTER: dict[str, Literal["higher", "lower", "zero"] | None] = registry.BETTER

#: Worsening from the first to the last third of the steps that counts as drift.
DRIFT_LIMITS: dict[str, tuple[float, str]] = {
    # metric: (change that counts, "up" or "down" is worse)
    "cva_deg": (5.0, "down"),
    "trunk_lean_deg": (3.0, "up"),
    "waist_bend_deg": (4.0, "up"),
    "shoulder_elevation_torso": (0.03, "down"),
    "head_pitch_deg": (6.0, "up"),
    "vertical_oscillation_torso": (0.03, "up"),
}
DRIFT_SOURCE = (
    "formcheck developers' choice: changes larger than the frame-to-frame noise of the "
    "landmarks (about 2-3 deg, 0.01-0.02 torso lengths after smoothing) and, for angles, "
    "at least half the markerless measurement error."
)

#: Drift (fatigue) needs enough steps for a trend: three thirds of at least 4 steps.
#: On a shorter clip formcheck gives no drift verdict.
DRIFT_MIN_STEPS = 12

#: Abrupt change within a clip (see :mod:`formcheck.assess.segments`): the smallest jump
#: of the per-step median that counts, per metric. For posture the drift limits (larger
#: than the landmark noise and, for angles, at least half the markerless error); for
#: cadence 10 steps/min, about 6% at 170: more than a runner's step-to-step variation at
#: a steady pace (2-3%), i.e. a change of pace or of activity.
CHANGE_LIMITS: dict[str, float] = {
    **{m: lim for m, (lim, _) in DRIFT_LIMITS.items() if m != "vertical_oscillation_torso"},
    "cadence_spm": 10.0,
}
#: A change must be sustained: at least this many steps before and after it (~1.4 s at
#: 170 steps/min), so a stumble, a glance down or a tracking glitch is not a change.
CHANGE_MIN_STEPS = 4
#: A change must clear the step-to-step noise by this many standard errors (and beat a
#: straight line, i.e. a gradual drift, by this many squared noise units).
CHANGE_Z = 3.0


@dataclass(frozen=True)
class ErrorModel:
    """How far a clip's median of a metric can be from the truth, besides step-to-step noise.

    ``person``: one standard deviation between people (landmark offsets from the
    anatomical points vary with the face, hair and clothing), measured on real people;
    ``pitch_per_10deg``: bias per 10 deg of camera pitch (synthetic runner), applied to
    ``PITCH_ALLOWANCE_DEG`` when the pitch is not known; ``small_px``: the torso length
    (px) under which the landmark model sees too few pixels and the error grows as
    ``small_gain * (small_px / torso - 1)``; ``calibration``: how uncertain the threshold
    itself is (the annotation's repeatability), the same for every clip.
    """

    person: float
    pitch_per_10deg: float
    small_px: float
    small_gain: float
    source: str
    calibration: float = 0.0
    #: For an angle of a line between two landmarks: the line's length (torso lengths).
    #: Then the runner-size term is the pixel model (``LANDMARK_BLUR_PX``) and a guessed
    #: ear or nose turns the line (``GUESSED_POINT_TORSO``) instead of ``small_gain``.
    line_torso: float | None = None
    #: Which of "ear" / "nose" the metric reads (for the visibility term).
    head_points: tuple[str, ...] = ()
    #: Distance metrics (torso lengths) that a guessed ear moves one for one.
    guess_moves_distance: bool = False
    #: What is left of MediaPipe's facing bias after the correction (deg, one SD;
    #: :data:`formcheck.kinematics.metrics.FACING_RESIDUAL_DEG`).
    facing: float = 0.0
    #: How far the reading is from a level camera's (or the calibration cameras') at a
    #: camera pitch (deg -> deg): a geometric model used at the worst pitch the clip
    #: allows instead of ``pitch_per_10deg``.
    camera_bias: Callable[[float], float] | None = None


#: A phone held at chest height to a tripod at hip height or a high shelf: an unknown
#: camera pitch is taken as up to this much either way (metrics other than the CVA proxy).
PITCH_ALLOWANCE_DEG = 15.0

# ---------------------------------------------------------------------------------
# What the per-clip error knows about its inputs (issue 18): the runner's size in
# pixels, how sure the model was of the ear and nose, and the camera's height
# ---------------------------------------------------------------------------------

#: Length of the shoulder->ear line at the forward-head threshold (torso lengths):
#: ``d sin c + PROXY_EXTRA_HEIGHT_TORSO`` up and ``d cos c + PROXY_EXTRA_FORWARD_TORSO``
#: forward at the clinical 50 deg (0.39; the real clips measure 0.39-0.42 on upright
#: runners). An error of ``e`` px at the ear turns this line by about ``e / length``.
_C50 = math.radians(50.0)
EAR_SHOULDER_UP_TORSO = TRAGUS_C7_TORSO * math.sin(_C50) + PROXY_EXTRA_HEIGHT_TORSO
EAR_SHOULDER_FORWARD_TORSO = TRAGUS_C7_TORSO * math.cos(_C50) + PROXY_EXTRA_FORWARD_TORSO
EAR_SHOULDER_TORSO = math.hypot(EAR_SHOULDER_UP_TORSO, EAR_SHOULDER_FORWARD_TORSO)
#: Length of the ear->nose line (torso lengths): 0.15-0.17 on the real side-view clips.
EAR_NOSE_TORSO = 0.16

#: Landmark size in pixels. Phone video loses detail finer than about this many pixels
#: of the source frame (4:2:0 colour is stored per 2x2 block, and the codec smooths
#: edges over another pixel or so). When the whole ear spans only a few such pixels
#: (a torso of 50 px puts the ear, ~0.12 torso, at 6 px) the model no longer sees the
#: ear's outline and places the landmark on the side of the head (on the cheek): an
#: offset of up to this much that is the same in every frame, so the median over steps
#: does not average it away. It turns a line of ``L`` px by ``atan(px / L)``.
LANDMARK_BLUR_PX = 3.0
#: The torso length (px) of the real clips the between-people error was measured on
#: (median of the 5 annotated clips, 87-190 px; docs/head_calibration.md): their
#: between-people spread already holds the size error at that size, so only the part
#: beyond it is added for a smaller runner.
CALIBRATION_TORSO_PX = 156.0

#: Ear and nose visibility and presence. MediaPipe reports a low visibility when it
#: guesses a point it does not see (hair or a hood over the ear, the face turned away,
#: too few pixels). A guessed ear sits somewhere on the side of the head: up to the
#: ear-to-cheekbone distance from the ear (about 3 cm, 0.06 of a 50 cm torso) and the
#: same in every frame. Scaled by how unsure the model was, ``1 - visibility`` (the
#: median over the frames with the runner; a frame without the point counts 0).
GUESSED_POINT_TORSO = 0.06

#: Camera height. The shoulder landmark MediaPipe reports on the camera's side sits
#: further from the body's midline (the shoulder joint, ~17 cm) than the ear (~7.5 cm
#: by the head's breadth, the synthetic runner's EAR_HALF_CM 7.4): the ear is this much
#: further from the camera than the near shoulder (torso lengths; 9.5 cm of a 50 cm torso).
EAR_BEHIND_SHOULDER_TORSO = 0.19
#: Seen from a camera whose line of sight rises to the shoulders at an angle ``e``
#: (camera below them; ``e = -pitch``), a point further away appears lower by its depth
#: x sin e and vertical distances shrink by cos e: the ear drops against the shoulder
#: and the shoulder->ear line flattens; the CVA proxy reads lower (more "forward").
#: The angle is read from the same effect on the shoulders: the far shoulder, one
#: shoulder width further away, appears lower by ``width x sin e``. Landmark shoulder
#: width in the depth direction (torso lengths; joint centre to joint centre, ~0.2 of
#: standing height, i.e. 0.7 of the 0.288 torso).
SHOULDER_WIDTH_TORSO = 0.7
#: How far the angle read from the shoulders can be from the truth (deg): the 3D
#: synthetic runner (formcheck.synth.body3d, side view, camera 0.3 / 1.0 / 2.0 m high,
#: 4 m away) read a rising line of sight of 9.0 / 4.8 / -0.3 deg for a true 15.8 / 6.3 /
#: -8.0 deg (MediaPipe draws the far shoulder towards level); the largest miss, rounded up.
CAMERA_ELEVATION_SD_DEG = 8.0
#: When the angle cannot be read (the shoulders' depth order is unclear), a camera
#: anywhere from the floor to above the head: a phone on the floor 3 m from a treadmill
#: runner sees the shoulders (1.45 m up, with the deck) at atan(1.45 / 3) = 26 deg.
CAMERA_ELEVATION_ALLOWANCE_DEG = 25.0


def cva_camera_bias_deg(pitch_deg: float) -> float:
    """How much lower (+) the CVA proxy of a head at the threshold reads from a camera
    that sees the shoulders at ``pitch_deg`` (the synthetic runner's convention: +
    camera above them, looking down; - below them, looking up). From below the proxy
    reads lower (result +); from above it reads higher (result -).

    Geometry above: with ``e = -pitch_deg`` the angle of the line of sight rising to
    the shoulders, the shoulder->ear line (up ``U``, forward ``F``, ear ``b`` further
    from the camera) appears with height ``U cos e - b sin e``.

    Parameters
    ----------
    pitch_deg : float
        Camera pitch relative to the shoulders, deg (+ above looking down, - below looking
        up).

    Returns
    -------
    float
        The bias, deg: how much lower the proxy reads than from a level camera.
    """
    e = math.radians(-pitch_deg)
    up = EAR_SHOULDER_UP_TORSO * math.cos(e) - EAR_BEHIND_SHOULDER_TORSO * math.sin(e)
    return math.degrees(math.atan2(EAR_SHOULDER_UP_TORSO, EAR_SHOULDER_FORWARD_TORSO)
                        - math.atan2(up, EAR_SHOULDER_FORWARD_TORSO))

#: The nose is on the body's midline; the ear MediaPipe reports on the camera's side sits
#: half the head's breadth nearer the camera (the synthetic runner's EAR_HALF_CM 7.4 cm;
#: 0.15 of a 50 cm torso).
NOSE_BEHIND_EAR_TORSO = 0.15
#: The camera pitch (:meth:`~formcheck.assess.faults.ClipContext.from_pose`, read from the
#: shoulders) of the five clips the gaze thresholds were fitted on (clean 1080p -1.4,
#: garage -4.0, grass +0.8, bystander +6.0, walker -3.3 deg; their median): the ear->nose
#: reading of a level head, ``GAZE_LEVEL_DEG``, is what those cameras saw.
GAZE_CALIBRATION_PITCH_DEG = -1.4


def gaze_camera_bias_deg(pitch_deg: float) -> float:
    """How much higher (+, "looking down") the ear->nose pitch of a level head reads from a
    camera that sees the runner at ``pitch_deg`` (+ above, looking down; - below, looking
    up) than from a level camera.

    Geometry: with ``e = -pitch_deg`` the angle of the line of sight rising to the head,
    the nose, ``NOSE_BEHIND_EAR_TORSO`` further from the camera than the ear, appears lower
    by that depth x sin e, and the ear->nose line's own drop (``EAR_NOSE_TORSO`` long at
    ``GAZE_LEVEL_DEG``) shrinks by cos e. From below the head reads pitched down, from
    above pitched up: +7 deg at 9 deg below, -15 deg at 15 deg above. The rendered runner
    (3D, 100 px torso, camera 4 m away 0.3 and 2.0 m high) reads 17.2 deg apart on an
    upright head; the projection of its drawn near ear and nose, 12.4 deg; this
    function at those cameras' pitches (-8.8 / +15.1, the truth), 22.0. On the four
    real runners of the calibration who look ahead, the reading falls as the camera
    pitch read from the shoulders rises: 22.4 / 20.5 / 18.6 / 13.0 deg at -1.4 / -3.3 /
    +0.8 / +6.0 deg.

    Parameters
    ----------
    pitch_deg : float
        Camera pitch relative to the runner, deg (+ above looking down, - below looking up).

    Returns
    -------
    float
        The bias, deg: how much higher the reading is than from a level camera.
    """
    e = math.radians(-pitch_deg)
    p = math.radians(GAZE_LEVEL_DEG)
    down = EAR_NOSE_TORSO * math.sin(p) * math.cos(e) + NOSE_BEHIND_EAR_TORSO * math.sin(e)
    return math.degrees(math.atan2(down, EAR_NOSE_TORSO * math.cos(p)) - p)


def gaze_camera_error_deg(pitch_deg: float) -> float:
    """The ear->nose reading's bias from a camera at ``pitch_deg`` against the cameras the
    gaze thresholds were fitted with (:data:`GAZE_CALIBRATION_PITCH_DEG`).

    Parameters
    ----------
    pitch_deg : float
        Camera pitch relative to the runner, deg (+ above looking down, - below looking up).

    Returns
    -------
    float
        How much higher (+) the reading is than the calibration clips' cameras saw, deg.
    """
    return gaze_camera_bias_deg(pitch_deg) - gaze_camera_bias_deg(GAZE_CALIBRATION_PITCH_DEG)


ERROR_MODELS: dict[str, ErrorModel] = {
    "cva_deg": ErrorModel(
        3.7, 2.0, 55.0, 3.5,
        "between people: SD of the clip-mean residual of the proxy (with the facing correction) against "
        "the clinical CVA (through cva_proxy_from_clinical), 5 real clips, 39 hand-annotated frames; calibration: "
        "half the spread of the cut-off between two C7 annotation passes. Camera pitch: "
        "synthetic runner, -4.0 deg at 20 deg below (the largest of -20..+20 deg, head 5 and 25 deg "
        "forward). Runner size: synthetic runner, -0.9 / -2.6 deg at 43 / 33 px of torso against "
        "53 px (benchmarks/head_bias.py); the size, visibility and camera-height terms are "
        "geometric (LANDMARK_BLUR_PX, GUESSED_POINT_TORSO, cva_camera_bias_deg)"
        "; facing: the spread of MediaPipe's left/right bias left after its correction, 7 real clips "
        "and their mirror images (kinematics.metrics.FACING_RESIDUAL_DEG)",
        calibration=CVA_CALIBRATION_DEG, line_torso=EAR_SHOULDER_TORSO, head_points=("ear",),
        facing=FACING_RESIDUAL_DEG["cva_deg"], camera_bias=cva_camera_bias_deg),
    "head_pitch_deg": ErrorModel(
        4.6, 1.0, 55.0, 5.0,
        "between people: SD of the clip-mean residual of the ear->nose pitch (with the facing "
        "correction) against the annotated tragus->eye-corner line (13 re-annotated frames; 1.6 on 39 "
        "coarser ones), 5 real "
        "clips. Camera pitch: geometric, the nose on the midline behind the camera-side ear "
        "(gaze_camera_error_deg, against the calibration clips' cameras). Runner size: "
        "synthetic runner, +1.8 / +3.2 deg at 43 / 33 px of torso (benchmarks/head_bias.py); "
        "size and visibility terms geometric on the ear->nose line; facing: the spread of MediaPipe's "
        "left/right bias left after its correction, 7 real clips and their mirror images "
        "(kinematics.metrics.FACING_RESIDUAL_DEG)",
        line_torso=EAR_NOSE_TORSO, head_points=("ear", "nose"), facing=FACING_RESIDUAL_DEG["head_pitch_deg"],
        camera_bias=gaze_camera_error_deg),
    "trunk_lean_deg": ErrorModel(
        MEASUREMENT_ERROR_DEG, 0.0, 55.0, 0.0,
        "markerless pose vs markers, 5-8 deg at the joints in treadmill running (Van Hooren et "
        "al. 2023)"),
    "shoulder_elevation_torso": ErrorModel(
        0.036, 0.0, 55.0, 0.0,
        "between people: SD of the ear-shoulder landmark gap minus the tragus-C7 gap (torso "
        "lengths), 39 hand-annotated real frames", head_points=("ear",), guess_moves_distance=True),
}

#: Assumptions for the neck-load estimate.
HEAD_MASS_FRACTION = 0.081  # head + neck mass / body mass (Winter 2009)
TORSO_HEIGHT_FRACTION = 0.288  # shoulder-hip distance / body height (Winter 2009: 0.818 - 0.530)
DEFAULT_MASS_KG = 70.0
DEFAULT_HEIGHT_CM = 170.0
G = 9.81

ADVICE: dict[str, str] = {
    "forward_head": (
        "Bring your head back over your shoulders: think 'tall', ears above shoulders, chin "
        "level and slightly tucked. Off the run: chin tucks (2-3 sets of 10, 5 s hold) and gentle "
        "neck mobility daily."
    ),
    "waist_lean": (
        "Keep shoulders above hips with a relaxed but straight spine; if you lean, lean slightly "
        "from the ankles with the whole body, not by folding at the waist. Strengthen the core: "
        "planks, side planks and dead bugs, 3 times a week."
    ),
    "raised_shoulders": (
        "Let your shoulders drop and stay loose; relax your hands (as if holding a crisp "
        "without breaking it) and shake out the arms every few minutes. Widen the upper back "
        "with rows, reverse flies and face pulls."
    ),
    "gaze_down": (
        "Look ahead, about 10-20 m down the road (on a treadmill, at a point on the wall at eye "
        "height), not at your feet."
    ),
    "excessive_bounce": (
        "Run 'low and light': aim for quicker, shorter steps (a cadence 5-10% higher) and push "
        "forwards rather than upwards. Less bounce means less load for a forward head to carry."
    ),
    "form_drift": (
        "Your form changes as you tire: check in with your posture every few minutes (tall, "
        "relaxed shoulders, eyes ahead), and build endurance of the postural muscles with core "
        "and upper-back work."
    ),
}

MEDICAL_CAUTION = (
    "Mild muscle soreness after running is common. Sharp or persistent pain, or neck pain with "
    "numbness, tingling or shooting pains into the arms, needs a doctor or physiotherapist "
    "before you run again. formcheck measures running form from video; it is not a diagnosis."
)

#: Live coaching (``formcheck live``): the one thing to change, as a short phrase a
#: runner can take in mid-stride (spoken or shown in large text). One per fault code.
CUES: dict[str, str] = {
    "forward_head": "head up, run tall",
    "waist_lean": "stand tall from the hips",
    "raised_shoulders": "drop your shoulders",
    "gaze_down": "eyes up, look ahead",
    "excessive_bounce": "quicker, lighter steps",
}
