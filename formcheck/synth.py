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

Reproduce the bundled clips with ``python -m formcheck.synth samples sample_videos/``.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

__all__ = [
    "NEUTRAL_HEAD_PITCH_DEG",
    "Kinematics",
    "RunnerSpec",
    "compute_truth",
    "iter_frames",
    "main",
    "render_clip",
    "render_frame",
    "render_samples",
    "sample_specs",
    "simulate",
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

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, tuple):
                d[k] = list(v)
        return d


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


def simulate(spec: RunnerSpec) -> Kinematics:
    """Joint positions (pixels) for every frame of ``spec``; pure, no drawing.

    The hip midpoint is the root: fixed horizontally (treadmill), vertically
    ``y = y0 + A/2 * cos(2*pi*(step_phase - midstance))`` with ``A`` the vertical
    oscillation, so its lowest point (largest y) is at mid-stance once per step.
    """
    s = spec.s
    n = spec.n_frames
    t = np.arange(n) / spec.fps
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
    raise_cm = spec.shoulder_raise_cm + spec.shoulder_raise_drift_cm * _ramp(n)
    head_fwd = np.radians(spec.head_forward_deg + spec.head_forward_drift_deg * _ramp(n))
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
    )


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


# --------------------------------------------------------------------------- truth


def _angle_deg(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(dx, dy))


def compute_truth(
    spec: RunnerSpec, kin: Kinematics
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Truth summary (JSON-able dict) and per-frame columns from the drawn joints.

    Definitions (pixels, y down, ``s`` the facing sign; shoulder/ear/hip are the drawn
    joint centres, which in the side view are also the left/right midpoints):

    - ``trunk_lean_deg = atan2(s*(shoulder.x - hip.x), hip.y - shoulder.y)``, + forward
    - ``neck_lean_deg = atan2(s*(ear.x - shoulder.x), shoulder.y - ear.y)``
    - ``cva_deg = 90 - neck_lean_deg``; ``neck_trunk_angle_deg = neck_lean - trunk_lean``
    - ``head_forward_offset_torso = s*(ear.x - shoulder.x) / |shoulder - hip|``
    - ``head_pitch_deg = atan2(nose.y - ear.y, s*(nose.x - ear.x))``, + looking down
    - ``shoulder_elevation_torso = (shoulder.y - ear.y) / |shoulder - hip|``
    - ``vertical_oscillation_torso`` = median over complete steps of (max - min of hip y
      within the step) / torso length; ``vertical_oscillation_cm`` the same in cm.

    Angle and ratio metrics in the summary are medians over frames.
    """
    s = spec.s
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

    # per-step oscillation over complete steps only
    osc = []
    for k in np.unique(kin.step_index):
        sel = kin.step_index == k
        frames = np.flatnonzero(sel)
        step_frames = spec.fps * 60.0 / spec.cadence_spm
        if len(frames) < math.floor(step_frames):  # partial step at an end
            continue
        if frames[0] == 0 and (kin.t[0] * spec.cadence_spm / 60.0) % 1 > 1e-9:
            continue
        osc.append(float(np.ptp(hip[sel, 1])))
    osc_px = float(np.median(osc)) if osc else float("nan")
    torso_med = float(np.median(torso))

    def med(name: str) -> float:
        return round(float(np.nanmedian(cols[name])), 4)

    summary: dict[str, Any] = {
        "generator": "formcheck.synth",
        "spec": spec.to_dict(),
        "facing": spec.facing,
        "view": spec.view,
        "near_side": near_side(spec),
        "cadence_spm": spec.cadence_spm,
        "fps": spec.fps,
        "frames": kin.n,
        "width": spec.width,
        "height": spec.height,
        "runner_height_px": spec.runner_height_px,
        "runner_height_cm": spec.runner_height_cm,
        "cm_per_px": spec.cm_per_px,
        "torso_len_px": round(torso_med, 3),
        "trunk_lean_deg": med("trunk_lean_deg"),
        "body_lean_deg": spec.body_lean_deg,
        "waist_bend_deg": spec.waist_bend_deg,
        "neck_lean_deg": med("neck_lean_deg"),
        "cva_deg": med("cva_deg"),
        "neck_trunk_angle_deg": med("neck_trunk_angle_deg"),
        "head_forward_offset_torso": med("head_forward_offset_torso"),
        "head_forward_offset_cm": med("head_forward_offset_cm"),
        "head_pitch_deg": med("head_pitch_deg"),
        "neutral_head_pitch_deg": round(NEUTRAL_HEAD_PITCH_DEG, 4),
        "gaze_down_deg": spec.head_pitch_deg,
        "shoulder_elevation_torso": med("shoulder_elevation_torso"),
        "vertical_oscillation_px": round(osc_px, 4),
        "vertical_oscillation_torso": round(osc_px / torso_med, 5),
        "vertical_oscillation_cm": round(osc_px * spec.cm_per_px, 4),
        "vertical_oscillation_cm_continuous": spec.vertical_oscillation_cm,
        "steps_complete": len(osc),
    }
    # drift: first third vs last third
    third = max(1, kin.n // 3)
    for name in ("neck_trunk_angle_deg", "head_forward_offset_torso", "shoulder_elevation_torso"):
        summary[f"{name}_first_third"] = round(float(np.median(cols[name][:third])), 4)
        summary[f"{name}_last_third"] = round(float(np.median(cols[name][-third:])), 4)
    return summary, cols


# --------------------------------------------------------------------------- frames


def render_frame(
    spec: RunnerSpec, kin: Kinematics, i: int, background: np.ndarray | None = None
) -> np.ndarray:
    """Frame ``i`` of ``kin`` as an RGB uint8 array (height, width, 3).

    ``background`` (from :func:`formcheck.synth_draw.background`) is reused when given.
    """
    from formcheck import synth_draw

    return synth_draw.render_frame(spec, kin, i, background)


def iter_frames(spec: RunnerSpec, kin: Kinematics | None = None) -> Iterator[np.ndarray]:
    """Yield every frame of the clip as an RGB uint8 array."""
    kin = kin if kin is not None else simulate(spec)
    from formcheck import synth_draw

    bg = synth_draw.background(spec, kin.floor_y)
    for i in range(kin.n):
        yield render_frame(spec, kin, i, bg)


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


def _truth_rows(
    spec: RunnerSpec, kin: Kinematics, cols: dict[str, np.ndarray]
) -> tuple[list[str], list[list[Any]]]:
    header = ["frame", "time_s", "step_index", "near_foot_contact"]
    for jn in _CSV_JOINTS:
        header += [f"{jn}_x", f"{jn}_y"]
    metric_names = list(cols)
    header += metric_names
    rows = []
    for i in range(kin.n):
        row: list[Any] = [
            i,
            round(float(kin.t[i]), 6),
            int(kin.step_index[i]),
            int(kin.contact_near[i]),
        ]
        for jn in _CSV_JOINTS:
            row += [round(float(kin.joints[jn][i, 0]), 3), round(float(kin.joints[jn][i, 1]), 3)]
        row += ["" if np.isnan(cols[m][i]) else round(float(cols[m][i]), 5) for m in metric_names]
        rows.append(row)
    return header, rows


def render_clip(spec: RunnerSpec, path: str | Path, crf: int = 26) -> dict[str, Any]:
    """Render ``spec`` to an H.264 MP4 at ``path`` and write its truth beside it.

    Writes ``<stem>.truth.json`` (summary, see :func:`compute_truth`) and
    ``<stem>.truth.csv`` (per frame: drawn joint pixels and metric values).
    Returns the summary dict. Timestamps are exact: frame ``i`` is at ``i / fps``.
    """
    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kin = simulate(spec)
    summary, cols = compute_truth(spec, kin)
    from fractions import Fraction

    rate = Fraction(spec.fps).limit_denominator(1001)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height = spec.width, spec.height
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": "medium"}
        for frame in iter_frames(spec, kin):
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            for packet in stream.encode(vf):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    summary["video"] = path.name
    stem = path.with_suffix("")
    Path(f"{stem}.truth.json").write_text(json.dumps(summary, indent=2) + "\n")
    header, rows = _truth_rows(spec, kin, cols)
    with open(f"{stem}.truth.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return summary


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


def render_samples(out_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Render the bundled sample clips into ``out_dir``; returns name -> truth summary."""
    out = Path(out_dir)
    return {name: render_clip(spec, out / name) for name, spec in sample_specs().items()}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m formcheck.synth samples OUT_DIR`` renders the bundled clips."""
    import argparse

    p = argparse.ArgumentParser(
        prog="python -m formcheck.synth", description=__doc__.splitlines()[0]
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("samples", help="render the bundled sample clips")
    sp.add_argument("out_dir")
    args = p.parse_args(argv)
    if args.cmd == "samples":
        for name, truth in render_samples(args.out_dir).items():
            print(
                f"{name}: {truth['frames']} frames, trunk {truth['trunk_lean_deg']:.1f} deg, "
                f"neck-trunk {truth['neck_trunk_angle_deg']:.1f} deg"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
