"""Synthetic runner clips whose posture is known exactly: ground truth for end-to-end tests.

A 2D articulated figure of a runner on a treadmill is animated with a plausible running
cycle and drawn with human proportions (Winter's anthropometric segment lengths as
fractions of height), a profile face, clothes, soft shading and anti-aliasing, so that
MediaPipe's BlazePose detects it as a person. The parameters that the form-fault metrics
measure (trunk lean, waist bend, head forward, shoulder raise, gaze, bounce, cadence,
facing) are inputs of :class:`RunnerSpec`; the truth written beside each clip is computed
from the joint positions that were actually drawn.

Pipeline, one way: :class:`RunnerSpec` -> :func:`simulate` (pure kinematics, pixel joint
positions per frame, no drawing) -> :func:`render_frame` / :func:`iter_frames` (drawing)
-> :func:`render_clip` (MP4 + ``.truth.json`` + ``.truth.csv``). :func:`compute_truth` turns
kinematics into the truth summary and per-frame table. This module never imports mediapipe.

Conventions: pixels, x to the right, image y grows *down*. ``s = +1`` when the runner faces
right (as seen by the viewer), ``-1`` when facing left; "forward" offsets are ``s * dx``.

Real footage varies more than a square-on, level, sharp studio clip. The spec's
real-footage fields (all off by default, so the bundled clips render byte for byte as
before) add a rolled or pitched camera (a homography applied to the drawn scene; the
truth stays physical, relative to true vertical, and the image-space values are added
under ``"image"``), runner size, frame rate, phone clips stored rotated with a display
matrix, motion blur, sensor noise, JPEG and H.264 compression, a second person walking
past or running on the next treadmill, and a runner who enters late or leaves early.
:data:`CONDITIONS` names a matrix of them (:func:`condition_spec`,
:func:`render_condition`); ``benchmarks/accuracy.py`` and ``tests/test_accuracy.py``
measure formcheck on it.

Reproduce the bundled clips with ``python -m formcheck.synth.render samples sample_videos/``;
render a named condition with ``python -m formcheck.synth.render condition roll_cw_5 out.mp4``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np

__all__ = [
    "ACCURACY_BASE",
    "CONDITIONS",
    "NEUTRAL_HEAD_PITCH_DEG",
    "Kinematics",
    "RunnerSpec",
    "camera_homography",
    "condition_spec",
    "sample_specs",
    "simulate",
    "simulate_bystander",
]

#: Winter (2009) segment landmarks as fractions of standing height.
_ANKLE_H = 0.039
_KNEE_H = 0.285
_HIP_H = 0.530
_SHOULDER_H = 0.818
_EAR_H = 0.925
_THIGH = _HIP_H - _KNEE_H  # 0.245
_SHANK = _KNEE_H - _ANKLE_H  # 0.246
_TORSO = _SHOULDER_H - _HIP_H  # 0.288, hip joint -> shoulder joint
_NECK_EAR = _EAR_H - _SHOULDER_H  # 0.107, shoulder joint -> ear, neutral posture
_UPPER_ARM = 0.186
_FOREARM = 0.146

#: Head drawing, in cm for a 175 cm runner, head frame: origin at the ear (tragus
#: region), x forward, y down. The nose tip sits at (13.0, 2.5) cm from the ear, so a
#: neutral head (gaze level) reads atan2(2.5, 13.0) = 10.9 deg of "pitch" by the
#: ear->nose definition.
_NOSE_TIP = (13.0, 2.5)
#: Hair cap outline in the head frame (cm).
_HAIR = [
    (10.4, -6.2),
    (10.0, -8.8),
    (8.5, -11.3),
    (5.0, -13.6),
    (0.0, -14.8),
    (-5.2, -13.4),
    (-8.8, -9.2),
    (-10.1, -3.2),
    (-9.6, 1.5),
    (-7.6, 3.6),
    (-5.0, 2.5),
    (-3.0, -1.2),
    (-1.5, -3.4),
    (1.5, -5.0),
    (5.0, -6.4),
    (8.0, -7.0),
]
NEUTRAL_HEAD_PITCH_DEG = math.degrees(math.atan2(_NOSE_TIP[1], _NOSE_TIP[0]))

#: Running cycle, per stride (two steps), phase 0 = this leg's foot contact.
#: Stance lasts until toe-off at 0.38; mid-stance (lowest hip) at 0.19.
_STANCE_END = 0.38
_MIDSTANCE = 0.19
# thigh angle from the (leaned) vertical, + = hip flexion (knee ahead of hip), degrees
_THIGH_KEYS = (
    (0.0, 24.0),
    (0.19, 2.0),
    (0.38, -21.0),
    (0.46, -20.0),
    (0.62, 5.0),
    (0.80, 36.0),
    (0.90, 34.0),
)
# knee flexion, degrees
_KNEE_KEYS = (
    (0.0, 18.0),
    (0.15, 40.0),
    (0.38, 18.0),
    (0.55, 75.0),
    (0.68, 105.0),
    (0.82, 70.0),
    (0.93, 18.0),
)
# foot angle relative to perpendicular-to-shank, + = plantarflexion (toes down)
_FOOT_KEYS = ((0.0, -8.0), (0.19, -12.0), (0.38, 25.0), (0.55, 15.0), (0.80, 0.0), (0.95, -10.0))

ViewName = Literal["side", "front"]
FacingName = Literal["left", "right"]
BystanderName = Literal["none", "walk_past", "treadmill"]


@dataclass(frozen=True)
class RunnerSpec:
    """Everything that determines a synthetic clip; validated once on construction.

    Angles in degrees, "+" = forward (the direction the runner faces) or, for
    ``head_pitch_deg``, looking down.

    Attributes
    ----------
    facing : "left" | "right"
        Direction the runner faces as seen by the viewer (``s = +1`` for right).
    view : "side"
        Camera view. Only the side (profile) view is implemented.
    cadence_spm : float
        Steps per minute; one step = one foot contact. Stride frequency = cadence / 2.
    duration_s, fps, width, height :
        Clip length and frame geometry (width and height must be even for yuv420p).
    runner_height_px : float
        Standing height of the figure in pixels (top of head to sole).
    runner_height_cm : float
        Standing height in cm; truth in cm uses ``runner_height_cm / runner_height_px``.
    body_lean_deg : float
        Whole-body lean from the ankles: the leg axes and the trunk tilt together.
    waist_bend_deg : float
        Extra forward bend of the trunk at the hips. Trunk lean (hip->shoulder from
        vertical) = ``body_lean_deg + waist_bend_deg`` exactly.
    head_forward_deg : float
        Tilt of the shoulder->ear line forward of the trunk line at the start of the clip
        (with no shoulder raise this equals the truth ``neck_trunk_angle_deg``).
    head_forward_drift_deg : float
        Linear change of ``head_forward_deg`` from the first to the last frame.
    head_forward_step_deg : float
        Abrupt change of ``head_forward_deg`` at ``head_forward_step_s`` (a different
        posture from that moment on, as in an edited clip or a demonstration of bad
        then corrected form). Added to any drift.
    head_forward_step_s : float
        Time of the abrupt change (s); the frames at or after it carry the new posture.
    shoulder_raise_cm : float
        Shrug: the shoulder joints move up along the trunk towards the ears by this much.
    shoulder_raise_drift_cm : float
        Linear change of ``shoulder_raise_cm`` over the clip.
    head_pitch_deg : float
        Gaze below level (+ = looking down), a rotation of the head about the ear. The
        truth ear->nose pitch is ``NEUTRAL_HEAD_PITCH_DEG + head_pitch_deg``.
    vertical_oscillation_cm : float
        Peak-to-trough hip height change per step (continuous time); lowest at mid-stance.
    arm_swing_deg, elbow_flex_deg :
        Upper-arm swing amplitude (each way) and mean elbow flexion.
    center_x_frac : float
        Horizontal position of the hip as a fraction of the width.
    seed : int
        Seeds the background texture (and any later image degradations).
    shirt_rgb, shorts_rgb, skin_rgb, hair_rgb, shoe_rgb :
        Colours, RGB 0-255.

    The fields below vary what real footage varies. Each defaults to "off"; a spec
    with all of them off renders exactly as before (see :attr:`is_plain`).

    camera_roll_deg : float
        Camera rolled about its optical axis: the whole image is rotated by this angle
        about its centre, + = the picture turns clockwise (a truly vertical line appears
        with its top leaning to the right of the image).
    camera_pitch_deg : float
        Camera raised and tilted down (+) or lowered and tilted up (-) by this angle
        while it keeps aiming at the same point of the runner's plane (a perspective
        homography: keystone, vertical lines converge). The camera height this implies
        is written to the truth.
    camera_fov_deg : float
        Field of view across the longer side of the frame; sets the focal length for
        ``camera_pitch_deg`` (65 deg is a typical phone main camera).
    rotation_meta : 0 | 90 | 180 | 270
        Phone-style storage: the MP4 holds the frames rotated and a display matrix that
        tells players to turn them clockwise by this many degrees (what ffprobe and
        OpenCV's ``CAP_PROP_ORIENTATION_META`` report as the rotation). ``width`` and
        ``height`` are always the upright (display) size; a portrait clip is e.g.
        ``width=270, height=480, rotation_meta=90``.
    shutter_fraction : float
        Exposure time as a fraction of the frame interval (0 = instantaneous, 1 = the
        whole interval, "180-degree shutter" = 0.5). Motion blur is rendered by
        averaging ``blur_samples`` sub-frame poses spread over the exposure, centred on
        the frame time (the truth is the pose at the frame time).
    blur_samples : int
        Sub-frames averaged per frame when ``shutter_fraction > 0`` (0 = automatic).
    noise_sigma : float
        Gaussian sensor noise, standard deviation in 8-bit levels, per pixel and channel.
    jpeg_quality : int
        Each frame passes through JPEG at this quality (1-100) before video encoding;
        0 = off. Imitates blocky, twice-compressed footage.
    crf : int
        H.264 constant rate factor of the MP4 (higher = more compression, 51 max).
    bystander : "none" | "walk_past" | "treadmill"
        A second person: ``walk_past`` jogs slowly across the whole frame during the
        clip (a slow-jog cycle stands in for walking); ``treadmill`` runs on the next
        treadmill at ``bystander_x_frac``.
    bystander_scale : float
        The second person's height relative to the runner (< 1: farther away).
    bystander_in_front : bool
        Drawn in front of the runner (occluding it where they overlap) instead of behind.
    bystander_x_frac : float
        Hip position of the treadmill neighbour as a fraction of the width.
    bystander_start_s, bystander_cross_s :
        When the walker enters the frame and how long it takes to cross it.
    visible_from_s, visible_until_s : float
        The runner is out of frame before ``visible_from_s`` and after
        ``visible_until_s`` (``0`` = from the start, ``inf`` = to the end); it slides in
        and out at the frame edge behind it over ``slide_s`` seconds (a camera pan, or
        stepping on and off the treadmill). Truth medians use the frames in full view.
    slide_s : float
        Duration of the slide in or out.
    yaw_deg : float or None
        ``None``: the sagittal (profile) renderer. A number: the 3D runner of
        :mod:`formcheck.synth.body3d`, turned so that it runs at this angle in the
        ground plane, measured from the image's +x axis towards the camera (0 = runs
        right, side view; 90 = runs towards the camera, front view; 180 = runs left;
        270 = runs away, back view). ``facing`` must stay "right"; the facing and the
        expected view follow from the yaw and are written to the truth.
    camera_height_cm, camera_distance_cm :
        Pinhole camera of the 3D runner: lens height above the floor (``None`` = level
        with the frame centre's point on the runner) and horizontal distance from the
        runner's vertical axis; the camera keeps aiming at that point, and its zoom
        keeps the runner ``runner_height_px`` tall.
    """

    facing: FacingName = "right"
    view: ViewName = "side"
    cadence_spm: float = 170.0
    duration_s: float = 4.0
    fps: float = 30.0
    width: int = 640
    height: int = 480
    runner_height_px: float = 380.0
    runner_height_cm: float = 175.0
    body_lean_deg: float = 4.0
    waist_bend_deg: float = 0.0
    head_forward_deg: float = 0.0
    head_forward_drift_deg: float = 0.0
    head_forward_step_deg: float = 0.0
    head_forward_step_s: float = 0.0
    shoulder_raise_cm: float = 0.0
    shoulder_raise_drift_cm: float = 0.0
    head_pitch_deg: float = 0.0
    vertical_oscillation_cm: float = 8.0
    arm_swing_deg: float = 35.0
    elbow_flex_deg: float = 85.0
    center_x_frac: float = 0.5
    seed: int = 0
    shirt_rgb: tuple[int, int, int] = (200, 55, 50)
    shorts_rgb: tuple[int, int, int] = (40, 45, 60)
    skin_rgb: tuple[int, int, int] = (214, 168, 134)
    hair_rgb: tuple[int, int, int] = (60, 40, 28)
    shoe_rgb: tuple[int, int, int] = (235, 235, 240)
    # ---- real-footage variation (all off by default)
    camera_roll_deg: float = 0.0
    camera_pitch_deg: float = 0.0
    camera_fov_deg: float = 65.0
    rotation_meta: int = 0
    shutter_fraction: float = 0.0
    blur_samples: int = 0
    noise_sigma: float = 0.0
    jpeg_quality: int = 0
    crf: int = 26
    bystander: BystanderName = "none"
    bystander_scale: float = 0.85
    bystander_in_front: bool = False
    bystander_x_frac: float = 0.82
    bystander_start_s: float = 0.3
    bystander_cross_s: float = 3.0
    visible_from_s: float = 0.0
    visible_until_s: float = math.inf
    slide_s: float = 0.6
    yaw_deg: float | None = None
    camera_height_cm: float | None = None
    camera_distance_cm: float = 400.0

    def __post_init__(self) -> None:
        if self.facing not in ("left", "right"):
            raise ValueError(f"facing must be 'left' or 'right', not {self.facing!r}")
        if self.view != "side":
            raise ValueError(f"view {self.view!r} is not implemented (only 'side')")
        if self.width % 2 or self.height % 2 or self.width < 64 or self.height < 64:
            raise ValueError("width and height must be even and at least 64")
        if not (self.fps > 0 and self.duration_s > 0 and self.cadence_spm > 0):
            raise ValueError("fps, duration_s and cadence_spm must be positive")
        if not 0 < self.runner_height_px <= self.height:
            raise ValueError("runner_height_px must be in (0, height]")
        if self.runner_height_cm <= 0 or self.vertical_oscillation_cm < 0:
            raise ValueError("runner_height_cm must be > 0, vertical_oscillation_cm >= 0")
        if not -45 <= self.camera_roll_deg <= 45 or not -40 <= self.camera_pitch_deg <= 40:
            raise ValueError("camera_roll_deg must be in [-45, 45], camera_pitch_deg in [-40, 40]")
        if not 10 <= self.camera_fov_deg <= 150:
            raise ValueError("camera_fov_deg must be in [10, 150]")
        if self.rotation_meta not in (0, 90, 180, 270):
            raise ValueError("rotation_meta must be 0, 90, 180 or 270")
        if not 0 <= self.shutter_fraction <= 1 or self.blur_samples < 0:
            raise ValueError("shutter_fraction must be in [0, 1], blur_samples >= 0")
        if self.noise_sigma < 0 or not 0 <= self.jpeg_quality <= 100 or not 0 <= self.crf <= 51:
            raise ValueError("noise_sigma >= 0, jpeg_quality in [0, 100], crf in [0, 51]")
        if self.bystander not in ("none", "walk_past", "treadmill"):
            raise ValueError(f"bystander must be none, walk_past or treadmill, not {self.bystander!r}")
        if not 0.2 <= self.bystander_scale <= 2.0 or self.bystander_cross_s <= 0:
            raise ValueError("bystander_scale must be in [0.2, 2], bystander_cross_s > 0")
        if not 0 <= self.head_forward_step_s <= self.duration_s:
            raise ValueError("head_forward_step_s must be within the clip [0, duration_s]")
        if not self.visible_from_s < self.visible_until_s or self.slide_s <= 0:
            raise ValueError("visible_from_s must be < visible_until_s, slide_s > 0")
        if self.yaw_deg is not None:
            if not math.isfinite(self.yaw_deg):
                raise ValueError("yaw_deg must be finite")
            if self.facing != "right":
                raise ValueError("with yaw_deg the facing follows from the yaw; leave facing='right'")
            if self.camera_pitch_deg != 0.0 or self.camera_roll_deg != 0.0:
                raise ValueError("with yaw_deg set the camera height, not camera_pitch/roll_deg")
        elif self.camera_height_cm is not None or self.camera_distance_cm != 400.0:
            raise ValueError("camera_height_cm and camera_distance_cm need yaw_deg (the 3D runner)")
        if self.camera_height_cm is not None and not 0.0 <= self.camera_height_cm <= 1000.0:
            raise ValueError("camera_height_cm must be in [0, 1000]")
        if not 100.0 <= self.camera_distance_cm <= 5000.0:
            raise ValueError("camera_distance_cm must be in [100, 5000]")

    @property
    def s(self) -> int:
        """Facing sign: +1 facing right, -1 facing left."""
        return 1 if self.facing == "right" else -1

    @property
    def n_frames(self) -> int:
        return round(self.duration_s * self.fps)

    @property
    def cm_per_px(self) -> float:
        return self.runner_height_cm / self.runner_height_px

    @property
    def trunk_lean_deg(self) -> float:
        """Hip->shoulder line from vertical, + = forward (body lean + waist bend)."""
        return self.body_lean_deg + self.waist_bend_deg

    @property
    def camera_moved(self) -> bool:
        """True when the camera is rolled or pitched (image space != upright scene)."""
        return self.camera_roll_deg != 0.0 or self.camera_pitch_deg != 0.0

    @property
    def partly_out_of_frame(self) -> bool:
        """True when the runner enters late or leaves early."""
        return self.visible_from_s > 0.0 or math.isfinite(self.visible_until_s)

    @property
    def is_plain(self) -> bool:
        """True when every real-footage field is off: the original renderer is used."""
        return all(getattr(self, k) == v for k, v in _FOOTAGE_DEFAULTS.items())

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields; the real-footage fields only where they are not off."""
        d = asdict(self)
        if self.head_forward_step_deg == 0.0:  # off: keep the truth files as they were
            del d["head_forward_step_deg"], d["head_forward_step_s"]
        for k, v in list(d.items()):
            if k in _FOOTAGE_DEFAULTS and v == _FOOTAGE_DEFAULTS[k]:
                del d[k]
            elif isinstance(v, tuple):
                d[k] = list(v)
            elif isinstance(v, float) and not math.isfinite(v):
                d[k] = None  # JSON has no infinity; None = "to the end"
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunnerSpec:
        """Inverse of :meth:`to_dict` (e.g. ``RunnerSpec.from_dict(truth["spec"])``)."""
        kw = dict(d)
        for k, v in kw.items():
            if isinstance(v, list):
                kw[k] = tuple(v)
        if kw.get("visible_until_s", 0.0) is None:
            kw["visible_until_s"] = math.inf
        return cls(**kw)


#: The real-footage fields and their "off" values.
_FOOTAGE_DEFAULTS: dict[str, Any] = {
    "camera_roll_deg": 0.0,
    "camera_pitch_deg": 0.0,
    "camera_fov_deg": 65.0,
    "rotation_meta": 0,
    "shutter_fraction": 0.0,
    "blur_samples": 0,
    "noise_sigma": 0.0,
    "jpeg_quality": 0,
    "crf": 26,
    "bystander": "none",
    "bystander_scale": 0.85,
    "bystander_in_front": False,
    "bystander_x_frac": 0.82,
    "bystander_start_s": 0.3,
    "bystander_cross_s": 3.0,
    "visible_from_s": 0.0,
    "visible_until_s": math.inf,
    "slide_s": 0.6,
    "yaw_deg": None,
    "camera_height_cm": None,
    "camera_distance_cm": 400.0,
}


#: Joints that :func:`simulate` returns, each an (n_frames, 2) pixel array.
JOINTS: tuple[str, ...] = (
    "nose",
    "ear",
    "eye",
    "neck_base",
    "shoulder",
    "hip",
    "elbow_near",
    "wrist_near",
    "elbow_far",
    "wrist_far",
    "knee_near",
    "ankle_near",
    "toe_near",
    "heel_near",
    "knee_far",
    "ankle_far",
    "toe_far",
    "heel_far",
)


@dataclass(frozen=True)
class Kinematics:
    """Drawn joint centres per frame, in pixels (y down).

    In a side view the left and right shoulders (hips, ears) project onto one point,
    so ``shoulder``/``hip``/``ear`` are both the drawn joint and the left/right midpoint.
    ``*_near`` limbs are on the camera side: the runner's right side when facing right,
    the left side when facing left. Also holds the per-frame segment angles the
    renderer needs (radians, + forward) and the floor line.
    """

    t: np.ndarray  # (n,) seconds
    joints: dict[str, np.ndarray]  # name -> (n, 2)
    trunk_angle: np.ndarray  # (n,) radians from vertical, + forward
    head_angle: np.ndarray  # (n,) radians, head rotation (+ = nose down)
    thigh_near: np.ndarray
    thigh_far: np.ndarray
    foot_near: np.ndarray  # (n,) radians, foot pitch below horizontal-forward
    foot_far: np.ndarray
    floor_y: float
    step_index: np.ndarray  # (n,) int, which step (foot contact to foot contact)
    contact_near: np.ndarray  # (n,) bool, near foot in stance
    #: (n,) bool: the runner is on the treadmill in full view (None = every frame)
    in_frame: np.ndarray | None = None
    #: (n,) float px: horizontal shift of the whole figure (entering / leaving the frame)
    shift_x: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.t)


def near_side(spec: RunnerSpec) -> Literal["left", "right"]:
    """The runner's side facing the camera: right when facing right, left when facing left."""
    return "right" if spec.facing == "right" else "left"


def _periodic(keys: Sequence[tuple[float, float]], phase: np.ndarray) -> np.ndarray:
    """Smooth periodic interpolation (period 1) through (phase, value) key points."""
    from scipy.interpolate import CubicSpline

    x = np.array([k[0] for k in keys] + [1.0])
    y = np.array([k[1] for k in keys] + [keys[0][1]])
    return np.asarray(CubicSpline(x, y, bc_type="periodic")(np.mod(phase, 1.0)))


def _down(angle: np.ndarray, s: int) -> np.ndarray:
    """Unit vector of a segment hanging at ``angle`` (rad) from vertical-down, + = forward."""
    return np.stack([s * np.sin(angle), np.cos(angle)], axis=-1)


def _up(angle: np.ndarray, s: int) -> np.ndarray:
    """Unit vector of a segment pointing up at ``angle`` (rad) from vertical, + = forward."""
    return np.stack([s * np.sin(angle), -np.cos(angle)], axis=-1)


def simulate(spec: RunnerSpec, times: np.ndarray | None = None) -> Kinematics:
    """Joint positions (pixels) for every frame of ``spec``; pure, no drawing.

    The hip midpoint is the root: fixed horizontally (treadmill), vertically
    ``y = y0 + A/2 * cos(2*pi*(step_phase - midstance))`` with ``A`` the vertical
    oscillation, so its lowest point (largest y) is at mid-stance once per step.
    With ``visible_from_s`` / ``visible_until_s`` set, the whole figure also slides
    horizontally out of the frame (behind the runner) outside that window.

    ``times`` (seconds) evaluates the motion at arbitrary instants instead of the frame
    times ``i / fps`` (used for motion blur); drifts still run from 0 at ``t = 0`` to
    their full value at the last frame's time.
    """
    s = spec.s
    if times is None:
        n = spec.n_frames
        t = np.arange(n) / spec.fps
        ramp = _ramp(n)
    else:
        t = np.asarray(times, dtype=float)
        n = len(t)
        t_last = (spec.n_frames - 1) / spec.fps
        ramp = np.clip(t / t_last, 0.0, 1.0) if t_last > 0 else np.zeros(n)
    H = spec.runner_height_px
    px_per_cm = 1.0 / spec.cm_per_px
    stride_f = spec.cadence_spm / 120.0  # strides per second
    ph_near = np.mod(t * stride_f, 1.0)
    ph_far = np.mod(ph_near + 0.5, 1.0)
    step_phase = np.mod(t * stride_f * 2.0, 1.0)
    step_index = np.floor(t * stride_f * 2.0).astype(int)

    # vertical: standing hip height minus a crouch so the stance foot meets the floor
    amp = spec.vertical_oscillation_cm * px_per_cm
    bounce = 0.5 * amp * np.cos(2 * np.pi * (step_phase - _MIDSTANCE * 2.0))
    floor_y = 0.5 * (spec.height + H) + 0.02 * spec.height
    floor_y = min(floor_y, spec.height - 0.04 * spec.height)
    lean = np.radians(spec.body_lean_deg)
    trunk = np.radians(spec.trunk_lean_deg) * np.ones(n)

    def leg(phase: np.ndarray, hip: np.ndarray, clamp: bool = True) -> tuple[np.ndarray, ...]:
        th = np.radians(_periodic(_THIGH_KEYS, phase)) + lean
        kf = np.radians(_periodic(_KNEE_KEYS, phase))
        knee = hip + _THIGH * H * _down(th, s)
        sh = th - kf  # shank angle from vertical (+ forward)
        ankle = knee + _SHANK * H * _down(sh, s)
        # foot pitch below horizontal-forward (+ = toes down); perpendicular to the shank
        # when the plantarflexion key is 0
        pitch = np.radians(_periodic(_FOOT_KEYS, phase)) - sh
        if clamp:
            pitch = _clamp_foot(pitch, ankle[:, 1], floor_y, H)
        return th, knee, ankle, pitch

    # hip height that puts the mid-stance sole on the floor (lowest hip point)
    probe = np.array([_MIDSTANCE])
    _, _, a_mid, p_mid = leg(probe, np.zeros((1, 2)), clamp=False)
    sole_mid = max(
        _foot_point(_HEEL_SOLE, p_mid, s, H)[0, 1], _foot_point(_TOE_SOLE, p_mid, s, H)[0, 1]
    )
    hip_y0 = floor_y - a_mid[0, 1] - sole_mid - 0.5 * amp
    hip = np.stack([np.full(n, spec.center_x_frac * spec.width), hip_y0 + bounce], axis=-1)

    th_n, knee_n, ankle_n, foot_n = leg(ph_near, hip)
    th_f, knee_f, ankle_f, foot_f = leg(ph_far, hip)
    toe_n = ankle_n + _foot_point(_TOE_SOLE, foot_n, s, H)
    heel_n = ankle_n + _foot_point(_HEEL_SOLE, foot_n, s, H)
    toe_f = ankle_f + _foot_point(_TOE_SOLE, foot_f, s, H)
    heel_f = ankle_f + _foot_point(_HEEL_SOLE, foot_f, s, H)

    # trunk and head
    raise_cm = spec.shoulder_raise_cm + spec.shoulder_raise_drift_cm * ramp
    jump = np.where(t >= spec.head_forward_step_s - 1e-9, spec.head_forward_step_deg, 0.0)
    head_fwd = np.radians(spec.head_forward_deg + spec.head_forward_drift_deg * ramp + jump)
    u = _up(trunk, s)
    neck_base = hip + _TORSO * H * u  # shoulder joint position with no shrug
    shoulder = neck_base + (raise_cm * px_per_cm)[:, None] * u
    ear = neck_base + _NECK_EAR * H * _up(trunk + head_fwd, s)
    head_ang = np.radians(spec.head_pitch_deg) * np.ones(n)
    cm = H / 175.0
    nose = ear + _head_point(_NOSE_TIP, head_ang, s, cm)
    eye = ear + _head_point((8.6, -1.6), head_ang, s, cm)

    # arms: swing opposite to the same-side leg (near arm with far leg)
    def arm(phase: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # upper arm forward when the same-side leg is back (thigh most extended ~0.45)
        ua = np.radians(-4.0 + spec.arm_swing_deg * np.cos(2 * np.pi * (phase - 0.45)))
        ua = ua + np.radians(spec.body_lean_deg) * 0.5
        ef = np.radians(spec.elbow_flex_deg + 12.0 * np.cos(2 * np.pi * (phase - 0.45)))
        elbow = shoulder + _UPPER_ARM * H * _down(ua, s)
        wrist = elbow + _FOREARM * H * _down(ua + ef, s)
        return elbow, wrist

    elbow_n, wrist_n = arm(ph_near)
    elbow_f, wrist_f = arm(ph_far)

    joints = {
        "nose": nose,
        "ear": ear,
        "eye": eye,
        "neck_base": neck_base,
        "shoulder": shoulder,
        "hip": hip,
        "elbow_near": elbow_n,
        "wrist_near": wrist_n,
        "elbow_far": elbow_f,
        "wrist_far": wrist_f,
        "knee_near": knee_n,
        "ankle_near": ankle_n,
        "toe_near": toe_n,
        "heel_near": heel_n,
        "knee_far": knee_f,
        "ankle_far": ankle_f,
        "toe_far": toe_f,
        "heel_far": heel_f,
    }
    in_frame = shift = None
    if spec.partly_out_of_frame:
        shift = _slide_offset(spec, t)
        joints = {k: v + np.stack([shift, np.zeros(n)], axis=-1) for k, v in joints.items()}
        in_frame = shift == 0.0
    return Kinematics(
        t=t,
        joints=joints,
        trunk_angle=trunk,
        head_angle=head_ang,
        thigh_near=th_n,
        thigh_far=th_f,
        foot_near=foot_n,
        foot_far=foot_f,
        floor_y=float(floor_y),
        step_index=step_index,
        contact_near=ph_near < _STANCE_END,
        in_frame=in_frame,
        shift_x=shift,
    )


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _slide_offset(spec: RunnerSpec, t: np.ndarray) -> np.ndarray:
    """Horizontal shift (px) of the runner: 0 in view, out past the back edge outside.

    Before ``visible_from_s`` the figure is beyond the frame edge behind the runner and
    slides in over the ``slide_s`` seconds that end at ``visible_from_s``; after
    ``visible_until_s`` it slides back out the same way.
    """
    H = spec.runner_height_px
    hip_x = spec.center_x_frac * spec.width
    to_edge = hip_x if spec.s > 0 else spec.width - hip_x
    away = -spec.s * (to_edge + 0.75 * H)  # the whole figure is past the edge
    w_in = _smoothstep((spec.visible_from_s - t) / spec.slide_s)
    w_out = _smoothstep((t - spec.visible_until_s) / spec.slide_s)
    out = np.maximum(w_in, w_out)
    return np.where(out > 0.0, away * out, 0.0)


#: Shoe outline and sole in the foot frame (fractions of height).
_SHOE = [
    (-0.050, 0.039),
    (-0.054, 0.012),
    (-0.046, -0.010),
    (-0.020, -0.016),
    (0.005, -0.012),
    (0.030, -0.002),
    (0.065, 0.010),
    (0.100, 0.020),
    (0.121, 0.031),
    (0.120, 0.039),
]
_SOLE = [(-0.051, 0.031), (0.121, 0.031), (0.122, 0.036), (0.116, 0.041), (-0.048, 0.041)]

#: Sole points of the foot frame (fractions of height): x along the foot (forward),
#: y toward the sole, origin at the ankle joint.
_HEEL_SOLE = (-0.045, _ANKLE_H)
_TOE_SOLE = (0.118, _ANKLE_H)


def _foot_point(p: tuple[float, float], pitch: np.ndarray, s: int, H: float) -> np.ndarray:
    """Offset (px) from the ankle of foot-frame point ``p`` for foot ``pitch`` (rad)."""
    c, si = np.cos(pitch), np.sin(pitch)
    return np.stack([s * (p[0] * c - p[1] * si) * H, (p[0] * si + p[1] * c) * H], axis=-1)


def _clamp_foot(pitch: np.ndarray, ankle_y: np.ndarray, floor_y: float, H: float) -> np.ndarray:
    """Rotate the foot about the ankle so neither heel nor toe goes below the floor."""
    pitch = pitch.copy()
    d = (floor_y - ankle_y) / H  # room below the ankle, in heights
    for (px, py), sign in ((_TOE_SOLE, -1.0), (_HEEL_SOLE, 1.0)):
        r, phi = math.hypot(px, py), math.atan2(py, px)
        y = r * np.sin(pitch + phi)
        bad = y > d
        ok = bad & (np.abs(d / r) <= 1)
        # solve r*sin(pitch + phi) = d on the branch nearest the current pitch
        sol = np.arcsin(np.clip(d / r, -1, 1)) - phi
        if sign > 0:  # heel: y = r sin(pitch+phi) with phi near pi; use the other branch
            sol = np.pi - np.arcsin(np.clip(d / r, -1, 1)) - phi
        pitch = np.where(ok, sol, pitch)
    return pitch


def _ramp(n: int) -> np.ndarray:
    """0 at the first frame, 1 at the last."""
    return np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(n)


def _head_point(p: tuple[float, float], head_ang: np.ndarray, s: int, cm: float) -> np.ndarray:
    """A point of the head frame (cm, x forward, y down) as a pixel offset from the ear."""
    c, si = np.cos(head_ang), np.sin(head_ang)
    x = (p[0] * c - p[1] * si) * cm
    y = (p[0] * si + p[1] * c) * cm
    return np.stack([s * x, y], axis=-1)


# --------------------------------------------------------------------------- camera


def camera_focal_px(spec: RunnerSpec) -> float:
    """Focal length in pixels from ``camera_fov_deg`` across the frame's longer side."""
    return 0.5 * max(spec.width, spec.height) / math.tan(math.radians(spec.camera_fov_deg) / 2)


def camera_homography(spec: RunnerSpec) -> np.ndarray:
    """3x3 homography from scene pixels (upright camera) to display-image pixels.

    The scene is what :func:`simulate` returns: true vertical is image vertical and
    the runner's plane is seen square-on at a distance where 1 scene px = 1 image px.
    The camera then (1) rises by ``f*tan(pitch)`` and pitches down by ``pitch``
    about its centre, so the scene point at the frame centre stays there (pure camera
    rotation about its centre: ``K R K^-1``), and (2) rolls by ``camera_roll_deg``
    about the optical axis: the picture turns clockwise about its centre. Identity
    when both angles are 0.
    """
    cx, cy = spec.width / 2.0, spec.height / 2.0
    f = camera_focal_px(spec)
    phi = math.radians(spec.camera_pitch_deg)
    K = np.array([[f, 0.0, cx], [0.0, f, cy], [0.0, 0.0, 1.0]])
    rx = np.array(
        [[1.0, 0.0, 0.0], [0.0, math.cos(phi), -math.sin(phi)], [0.0, math.sin(phi), math.cos(phi)]]
    )
    lift = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, f * math.tan(phi)], [0.0, 0.0, 1.0]])
    a = math.radians(spec.camera_roll_deg)
    c, si = math.cos(a), math.sin(a)
    # y points down, so this matrix turns the picture clockwise for a > 0
    roll = np.array([[c, -si, cx - c * cx + si * cy], [si, c, cy - si * cx - c * cy], [0, 0, 1.0]])
    h = roll @ K @ rx @ np.linalg.inv(K) @ lift
    return h / h[2, 2]


def project(h: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Apply homography ``h`` to points ``(..., 2)``."""
    pts = np.asarray(pts, dtype=float)
    q = pts @ h[:, :2].T + h[:, 2]
    return q[..., :2] / q[..., 2:3]


def camera_info(spec: RunnerSpec, kin: Kinematics) -> dict[str, float]:
    """Where the camera is, in cm: height above the floor and distance to the runner."""
    f = camera_focal_px(spec)
    lift = f * math.tan(math.radians(spec.camera_pitch_deg))
    return {
        "roll_deg": spec.camera_roll_deg,
        "pitch_deg": spec.camera_pitch_deg,
        "fov_deg": spec.camera_fov_deg,
        "focal_px": round(f, 3),
        "distance_cm": round(f * spec.cm_per_px, 2),
        "height_above_floor_cm": round((kin.floor_y - spec.height / 2 + lift) * spec.cm_per_px, 2),
    }


# --------------------------------------------------------------------------- bystander


def bystander_spec(spec: RunnerSpec) -> RunnerSpec:
    """The second person of ``spec`` as a figure of its own (other colours and gait).

    A walker uses a slow-jog cycle (120 steps/min, small bounce and arm swing) and
    faces away from the runner's facing; a treadmill neighbour runs at 160 steps/min
    facing the same way as the runner.
    """
    walk = spec.bystander == "walk_past"
    facing: FacingName = ("left" if spec.facing == "right" else "right") if walk else spec.facing
    return RunnerSpec(
        facing=facing,
        cadence_spm=120.0 if walk else 160.0,
        duration_s=spec.duration_s,
        fps=spec.fps,
        width=spec.width,
        height=spec.height,
        runner_height_px=min(spec.height, spec.bystander_scale * spec.runner_height_px),
        body_lean_deg=2.0 if walk else 6.0,
        head_forward_deg=8.0,
        vertical_oscillation_cm=3.0 if walk else 9.0,
        arm_swing_deg=18.0 if walk else 40.0,
        elbow_flex_deg=25.0 if walk else 90.0,
        center_x_frac=0.5 if walk else spec.bystander_x_frac,
        seed=spec.seed + 17,
        shirt_rgb=(90, 90, 100) if walk else (230, 190, 40),
        shorts_rgb=(50, 60, 110) if walk else (20, 20, 20),
        skin_rgb=(120, 82, 60) if walk else (232, 190, 160),
        hair_rgb=(20, 18, 16) if walk else (150, 110, 60),
        shoe_rgb=(30, 30, 30),
    )


def simulate_bystander(spec: RunnerSpec, times: np.ndarray | None = None) -> Kinematics | None:
    """Kinematics of the second person (None when ``spec.bystander == "none"``).

    A walker crosses from beyond one frame edge to beyond the other between
    ``bystander_start_s`` and ``bystander_start_s + bystander_cross_s``, and is out of
    frame before and after.
    """
    if spec.bystander == "none":
        return None
    bs = bystander_spec(spec)
    kin = simulate(bs, times)
    if spec.bystander != "walk_past":
        return kin
    t = kin.t
    hb = bs.runner_height_px
    start, end = -0.6 * hb, spec.width + 0.6 * hb
    if bs.s < 0:
        start, end = end, start
    u = np.clip((t - spec.bystander_start_s) / spec.bystander_cross_s, 0.0, 1.0)
    shift = start + (end - start) * u - 0.5 * spec.width
    joints = {k: v + np.stack([shift, np.zeros(len(t))], axis=-1) for k, v in kin.joints.items()}
    return replace(kin, joints=joints, shift_x=shift)


def figure_bbox(kin: Kinematics, H: float) -> np.ndarray:
    """(n, 4) x0, y0, x1, y1 of the drawn figure (joints padded by head and limb size)."""
    pts = np.stack(list(kin.joints.values()), axis=1)  # (n, J, 2)
    pad = 0.09 * H
    return np.concatenate([pts.min(axis=1) - pad, pts.max(axis=1) + pad], axis=1)


# --------------------------------------------------------------------------- truth


def _angle_deg(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(dx, dy))


def _metric_columns(spec: RunnerSpec, kin: Kinematics, s: int | None = None) -> dict[str, np.ndarray]:
    """Per-frame metric columns of the joints in ``kin`` (see :func:`compute_truth`);
    ``s`` overrides the spec's facing sign."""
    s = spec.s if s is None else s
    j = kin.joints
    sh, ear, hip, nose = j["shoulder"], j["ear"], j["hip"], j["nose"]
    torso = np.hypot(*(sh - hip).T)
    cols: dict[str, np.ndarray] = {
        "trunk_lean_deg": _angle_deg(s * (sh[:, 0] - hip[:, 0]), hip[:, 1] - sh[:, 1]),
        "neck_lean_deg": _angle_deg(s * (ear[:, 0] - sh[:, 0]), sh[:, 1] - ear[:, 1]),
    }
    cols["cva_deg"] = 90.0 - cols["neck_lean_deg"]
    cols["neck_trunk_angle_deg"] = cols["neck_lean_deg"] - cols["trunk_lean_deg"]
    cols["head_forward_offset_torso"] = s * (ear[:, 0] - sh[:, 0]) / torso
    cols["head_forward_offset_cm"] = s * (ear[:, 0] - sh[:, 0]) * spec.cm_per_px
    cols["head_pitch_deg"] = np.degrees(
        np.arctan2(nose[:, 1] - ear[:, 1], s * (nose[:, 0] - ear[:, 0]))
    )
    cols["shoulder_elevation_torso"] = (sh[:, 1] - ear[:, 1]) / torso
    cols["torso_len_px"] = torso
    # whole-body lean: mid-stance ankle -> hip line of the stance leg
    # (reported per frame for the near leg; NaN outside its stance)
    ank = j["ankle_near"]
    leg_lean = _angle_deg(s * (hip[:, 0] - ank[:, 0]), ank[:, 1] - hip[:, 1])
    cols["leg_lean_near_deg"] = np.where(kin.contact_near, leg_lean, np.nan)
    return cols


#: Metrics restated in image space when the camera is rolled or pitched.
_IMAGE_METRICS = (
    "trunk_lean_deg",
    "neck_lean_deg",
    "cva_deg",
    "neck_trunk_angle_deg",
    "head_forward_offset_torso",
    "head_pitch_deg",
    "shoulder_elevation_torso",
)


# --------------------------------------------------------------------------- frames


#: ``rotation_meta`` (clockwise turn a player applies) -> (cv2 rotate code that turns
#: the upright frame into the stored one, FFmpeg display-matrix angle, counter-clockwise)
_STORE_ROTATION = {90: (2, -90), 180: (1, 180), 270: (0, 90)}  # cv2.ROTATE_* values


# --------------------------------------------------------------------------- files

_CSV_JOINTS = (
    "nose",
    "ear",
    "shoulder",
    "hip",
    "elbow_near",
    "wrist_near",
    "knee_near",
    "ankle_near",
    "knee_far",
    "ankle_far",
    "elbow_far",
    "wrist_far",
)


def sample_specs() -> dict[str, RunnerSpec]:
    """The bundled sample clips, by file name."""
    base = RunnerSpec(duration_s=10.0, fps=30.0, width=640, height=480, runner_height_px=380.0)
    return {
        "runner_side_forward_head.mp4": replace(
            base,
            facing="right",
            head_forward_deg=28.0,
            body_lean_deg=4.0,
            head_pitch_deg=8.0,
            shoulder_raise_cm=1.5,
            vertical_oscillation_cm=9.0,
            cadence_spm=168.0,
            seed=1,
        ),
        "runner_side_clean.mp4": replace(
            base,
            facing="left",
            head_forward_deg=2.0,
            body_lean_deg=5.0,
            head_pitch_deg=0.0,
            vertical_oscillation_cm=7.0,
            cadence_spm=176.0,
            seed=2,
            shirt_rgb=(40, 110, 190),
            shorts_rgb=(30, 30, 35),
            hair_rgb=(30, 22, 18),
        ),
        "runner_side_waist_bend.mp4": replace(
            base,
            facing="right",
            body_lean_deg=2.0,
            waist_bend_deg=14.0,
            head_forward_deg=10.0,
            vertical_oscillation_cm=13.0,
            cadence_spm=158.0,
            seed=3,
            shirt_rgb=(60, 150, 80),
            skin_rgb=(160, 112, 80),
            hair_rgb=(25, 20, 15),
        ),
    }


# --------------------------------------------------------------------------- conditions

#: The runner the accuracy conditions start from: small frames so a clip renders and
#: analyses in seconds; a forward head (15 deg) and a slight whole-body lean.
ACCURACY_BASE = RunnerSpec(
    facing="right",
    duration_s=4.0,
    fps=30.0,
    width=320,
    height=240,
    runner_height_px=180.0,
    body_lean_deg=5.0,
    head_forward_deg=15.0,
    vertical_oscillation_cm=9.0,
    cadence_spm=172.0,
    seed=5,
)

#: Real-footage conditions as overrides of :data:`ACCURACY_BASE`. Two keys are not
#: spec fields: ``runner_frac`` (runner height as a fraction of the frame height) and
#: ``size`` ((width, height) of the upright frame, before ``scale``).
CONDITIONS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "left_waist_bend": dict(
        facing="left",
        body_lean_deg=2.0,
        waist_bend_deg=10.0,
        head_forward_deg=28.0,
        cadence_spm=160.0,
        vertical_oscillation_cm=11.0,
        seed=6,
        shirt_rgb=(40, 110, 190),
    ),
    "far_25pct": dict(size=(640, 480), runner_frac=0.25),
    "far_25pct_720p": dict(size=(1280, 720), runner_frac=0.25),
    "far_35pct_720p": dict(size=(1280, 720), runner_frac=0.35),
    "near_90pct": dict(runner_frac=0.9),
    "fps_24": dict(fps=24.0),
    "fps_60": dict(fps=60.0, duration_s=3.0),
    "fps_120": dict(fps=120.0, duration_s=2.5),
    "roll_cw_5": dict(camera_roll_deg=5.0),
    "roll_ccw_8_left": dict(camera_roll_deg=-8.0, facing="left", seed=7),
    "high_camera_pitch_20": dict(camera_pitch_deg=20.0),
    "portrait_rotated_90": dict(size=(270, 480), runner_frac=0.55, rotation_meta=90),
    "motion_blur": dict(shutter_fraction=1.0),
    "noise_jpeg_crf34": dict(noise_sigma=6.0, jpeg_quality=30, crf=34),
    "walker_behind": dict(
        bystander="walk_past", bystander_scale=0.8, bystander_start_s=0.4, bystander_cross_s=3.0
    ),
    "walker_in_front": dict(
        bystander="walk_past",
        bystander_scale=1.2,
        bystander_in_front=True,
        bystander_start_s=0.4,
        bystander_cross_s=3.0,
    ),
    "treadmill_neighbour": dict(
        bystander="treadmill", bystander_scale=0.8, center_x_frac=0.36, bystander_x_frac=0.78
    ),
    "late_entry_early_exit": dict(duration_s=5.0, visible_from_s=1.0, visible_until_s=4.2),
}


def _even(x: float) -> int:
    return max(64, 2 * round(x / 2))


def condition_spec(name: str, scale: float = 1.0, **overrides: Any) -> RunnerSpec:
    """The :class:`RunnerSpec` of the named condition (see :data:`CONDITIONS`).

    ``scale`` multiplies the frame size (and the runner with it, so ``runner_frac``
    holds); ``overrides`` are applied last and may use ``runner_frac`` and ``size``.
    """
    if name not in CONDITIONS:
        raise KeyError(f"unknown condition {name!r}; known: {', '.join(CONDITIONS)}")
    kw = {**CONDITIONS[name], **overrides}
    width, height = kw.pop("size", (ACCURACY_BASE.width, ACCURACY_BASE.height))
    frac = kw.pop("runner_frac", ACCURACY_BASE.runner_height_px / ACCURACY_BASE.height)
    width, height = _even(width * scale), _even(height * scale)
    kw.setdefault("runner_height_px", round(frac * height, 1))
    return replace(ACCURACY_BASE, width=width, height=height, **kw)
