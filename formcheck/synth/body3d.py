"""The synthetic runner in 3D: seen from any yaw and camera height (front, back, oblique).

:func:`formcheck.synth.runner.simulate` moves a runner in its sagittal plane. This module
gives the joints a lateral coordinate, turns the body about the vertical axis by the
spec's ``yaw_deg``, projects it with a pinhole camera at ``camera_height_cm`` and
``camera_distance_cm``, and draws it far to near (painter's algorithm), so that a front,
back or oblique runner is drawn as plausibly as the profile one. Nothing here changes the
sagittal motion: the physical truth (trunk lean, neck angles, bounce, cadence) is the
same as for the side view.

Conventions
-----------
Scene coordinates are those of the sagittal renderer, in pixels: ``x`` to the right,
``y`` down, plus ``z`` = depth away from the camera; the runner's vertical axis passes
through the hip at ``z = 0``. Body frame: ``X`` forward (direction of running), ``Y``
down, ``Z`` towards the runner's *left*. The yaw ``phi`` is the direction of running
in the ground plane measured from the image's +x axis towards the camera:

* ``phi = 0``: runs to the viewer's right (side view, left side far);
* ``phi = 90``: runs towards the camera (front view, the runner's left on the viewer's right);
* ``phi = 180``: runs to the left (side view); ``phi = 270``: runs away (back view).

Forward is ``F = (cos phi, 0, -sin phi)`` and left is ``L = (sin phi, 0, cos phi)`` in
scene coordinates, so a body point is ``hip + X F + Y ŷ + Z L``.

Lateral widths (fractions of standing height ``H``) follow the segment breadths of
Drillis & Contini (1966) as tabulated in Winter, *Biomechanics and Motor Control of Human
Movement*, 4th ed. (2009), Fig. 4.1: shoulder breadth 0.259 H, hip breadth 0.191 H,
foot breadth 0.055 H. Joint centres sit one limb radius inside the outer breadth
(shoulder joints at +-0.10 H, hip joints at +-0.048 H, i.e. about 17 cm apart for a
175 cm runner). Head breadth 15.5 cm and interpupillary distance 6.3 cm are adult means
(Dodgson, "Variation and extrema of human interpupillary distance", Proc. SPIE 5291, 2004,
for the latter). Runners land close to the midline, so the ankles sit at +-0.04 H.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np

from formcheck.model.skeleton import BLAZEPOSE
from formcheck.synth.runner import _NOSE_TIP, _TORSO, Kinematics, RunnerSpec

_SS = 2  # the supersampling factor of formcheck.synth.draw

#: Lateral half-offsets of the joint centres, fractions of H (see the module docstring).
HALF_WIDTH = {
    "shoulder": 0.10,
    "elbow": 0.115,
    "wrist": 0.10,
    "hip": 0.048,
    "knee": 0.046,
    "ankle": 0.040,
    "toe": 0.045,
    "heel": 0.038,
}
#: Ear and eye half-offsets in cm (head breadth 15.5 cm; interpupillary 6.3 cm).
EAR_HALF_CM = 7.4
EYE_HALF_CM = 3.15

#: Default camera distance (cm) from the runner's vertical axis.
DEFAULT_DISTANCE_CM = 400.0


def view_label(yaw_deg: float) -> str:
    """Expected view of a runner at ``yaw_deg``: side, oblique, front or back.

    The angle between the direction of running and the image plane is
    ``off = asin(|sin yaw|)``. Side when ``off < 22.5``, front / back when
    ``off > 67.5`` (towards / away from the camera), oblique between: the eight
    compass yaws 0, 45, ..., 315 sit in the middle of their classes.
    """
    s = math.sin(math.radians(yaw_deg))
    off = math.degrees(math.asin(min(1.0, abs(s))))
    if off < 22.5:
        return "side"
    if off > 67.5:
        return "front" if s > 0 else "back"
    return "oblique"


def facing_label(yaw_deg: float) -> str | None:
    """Direction the runner faces as the viewer sees it: right, left, or None (front/back)."""
    if view_label(yaw_deg) in ("front", "back"):
        return None
    return "right" if math.cos(math.radians(yaw_deg)) > 0 else "left"


# --------------------------------------------------------------------------- geometry


def body_frame(spec: RunnerSpec, kin: Kinematics) -> dict[str, np.ndarray]:
    """Joints of ``kin`` in the body frame, (n, 3) px: X forward, Y down, Z to the left.

    ``kin`` is sagittal (from :func:`~formcheck.synth.runner.simulate`); its ``*_near``
    limbs are the runner's right side when it faces right (``s = +1``), the left side
    otherwise. Left/right joints get ``Z = +-HALF_WIDTH * H``; ears and eyes are offset
    from the drawn (mid) ear and eye.
    """
    H = spec.runner_height_px
    s = spec.s
    hip = kin.joints["hip"]
    out: dict[str, np.ndarray] = {}

    def put(name: str, p: np.ndarray, z: float) -> None:
        out[name] = np.stack([s * (p[:, 0] - hip[:, 0]), p[:, 1], np.full(len(p), z)], axis=-1)

    near_left = s < 0  # facing left: the left side is the near side
    for side in ("near", "far"):
        is_left = (side == "near") == near_left
        name = "left" if is_left else "right"
        sign = 1.0 if is_left else -1.0
        for j in ("elbow", "wrist", "knee", "ankle", "toe", "heel"):
            put(f"{j}_{name}", kin.joints[f"{j}_{side}"], sign * HALF_WIDTH[j] * H)
        put(f"shoulder_{name}", kin.joints["shoulder"], sign * HALF_WIDTH["shoulder"] * H)
        put(f"hip_{name}", kin.joints["hip"], sign * HALF_WIDTH["hip"] * H)
    cm = H / 175.0
    for j in ("shoulder", "hip", "neck_base", "nose", "ear", "eye"):
        put(j, kin.joints[j], 0.0)
    for name, sign in (("left", 1.0), ("right", -1.0)):
        put(f"ear_{name}", kin.joints["ear"], sign * EAR_HALF_CM * cm)
        put(f"eye_{name}", kin.joints["eye"], sign * EYE_HALF_CM * cm)
    return out


class Camera:
    """Pinhole camera looking at the runner from ``camera_distance_cm`` and ``camera_height_cm``.

    The camera aims at the scene point that sits at the frame centre in the sagittal
    render (``(W/2, H_img/2)`` on the runner's axis) and its focal length is the
    distance to that point, so the runner's vertical plane through the hip is imaged
    at 1 scene px = 1 image px, as in the side view. A camera height above that point
    pitches the camera down (a high camera), below it up. ``camera_height_cm = None``
    is a level camera at that point's height.
    """

    def __init__(self, spec: RunnerSpec, floor_y: float) -> None:
        cmpp = spec.cm_per_px
        self.cx, self.cy = spec.width / 2.0, spec.height / 2.0
        aim = np.array([self.cx, self.cy, 0.0])
        aim_h_cm = (floor_y - self.cy) * cmpp
        h_cm = aim_h_cm if spec.camera_height_cm is None else spec.camera_height_cm
        d = spec.camera_distance_cm / cmpp
        self.centre = np.array([self.cx, self.cy - (h_cm - aim_h_cm) / cmpp, -d])
        k = aim - self.centre
        self.f = float(np.linalg.norm(k))
        k /= self.f
        i = np.array([1.0, 0.0, 0.0])
        j = np.cross(k, i)
        self.R = np.stack([i, j / np.linalg.norm(j), k])
        self.height_cm = h_cm
        self.pitch_deg = math.degrees(math.atan2(h_cm - aim_h_cm, spec.camera_distance_cm))

    def to_camera(self, p: np.ndarray) -> np.ndarray:
        """Scene points (..., 3) -> camera coordinates (..., 3): right, down, depth."""
        return (np.asarray(p, float) - self.centre) @ self.R.T

    def project(self, p: np.ndarray) -> np.ndarray:
        """Scene points (..., 3) -> image pixels (..., 2)."""
        c = self.to_camera(p)
        return np.stack(
            [self.cx + self.f * c[..., 0] / c[..., 2], self.cy + self.f * c[..., 1] / c[..., 2]],
            axis=-1,
        )

    def scale(self, p: np.ndarray) -> np.ndarray:
        """Image px per scene px at scene points ``p`` (perspective size factor)."""
        return self.f / self.to_camera(p)[..., 2]


def scene_points(spec: RunnerSpec, kin: Kinematics, body: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Body-frame points (n, 3) -> scene points (n, 3) for the spec's yaw."""
    phi = math.radians(spec.yaw_deg or 0.0)
    F = np.array([math.cos(phi), 0.0, -math.sin(phi)])
    L = np.array([math.sin(phi), 0.0, math.cos(phi)])
    hip = kin.joints["hip"]
    base = np.stack([hip[:, 0], np.zeros(len(hip)), np.zeros(len(hip))], axis=-1)
    return {
        k: base + v[:, :1] * F + v[:, 1:2] * np.array([0.0, 1.0, 0.0]) + v[:, 2:3] * L
        for k, v in body.items()
    }


#: Sagittal joint name -> the 3D joints whose midpoint it is (None: the same name).
_MID = {
    "shoulder": ("shoulder_left", "shoulder_right"),
    "hip": ("hip_left", "hip_right"),
    "ear": ("ear_left", "ear_right"),
    "eye": ("eye_left", "eye_right"),
}


def image_joints(spec: RunnerSpec, kin: Kinematics) -> dict[str, np.ndarray]:
    """Every joint of ``kin`` (and the left/right ones) as it appears in the image, (n, 2) px.

    Midpoints (shoulder, hip, ear, eye) are the projections of the 3D midpoints; the
    ``*_near``/``*_far`` names keep their sagittal meaning (near = the side that faces
    the camera at yaw 0 or 180).
    """
    body = body_frame(spec, kin)
    cam = Camera(spec, kin.floor_y)
    pts = scene_points(spec, kin, body)
    out = {k: cam.project(v) for k, v in pts.items()}
    near = "left" if spec.s < 0 else "right"
    far = "right" if near == "left" else "left"
    for j in ("elbow", "wrist", "knee", "ankle", "toe", "heel"):
        out[f"{j}_near"], out[f"{j}_far"] = out[f"{j}_{near}"], out[f"{j}_{far}"]
    return out


# --------------------------------------------------------------------------- drawing


def _rgb(c: Sequence[float], k: float = 1.0) -> tuple[int, int, int]:
    return tuple(int(max(0, min(255, round(v * k)))) for v in c)  # type: ignore[return-value]


def _poly(img: np.ndarray, pts: np.ndarray, color: Sequence[float]) -> None:
    p = np.round(np.asarray(pts) * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(img, [p], _rgb(color), lineType=cv2.LINE_AA, shift=4)


def _capsule(p0: np.ndarray, p1: np.ndarray, r0: float, r1: float) -> np.ndarray:
    """Outline (image px) of a tapered capsule from ``p0`` (radius r0) to ``p1`` (r1)."""
    d = p1 - p0
    L = float(np.hypot(*d))
    if L < 1e-6:
        a = np.linspace(0, 2 * math.pi, 16, endpoint=False)
        return p0 + max(r0, r1) * np.stack([np.cos(a), np.sin(a)], axis=-1)
    d = d / L
    g = np.array([-d[1], d[0]])
    th = np.linspace(-math.pi / 2, math.pi / 2, 9)
    cap1 = [p1 + r1 * (math.cos(a) * d + math.sin(a) * g) for a in th]
    cap0 = [p0 + r0 * (-math.cos(a) * d - math.sin(a) * g) for a in th]
    return np.array(cap1 + cap0)


def _shaded_capsule(
    img: np.ndarray, p0: np.ndarray, p1: np.ndarray, r0: float, r1: float, color: Sequence[float], k: float
) -> None:
    """Capsule with fake cylindrical shading (dark rim, base, light core), as in draw.py."""
    _poly(img, _capsule(p0, p1, r0, r1), _rgb(color, 0.72 * k))
    _poly(img, _capsule(p0, p1, 0.82 * r0, 0.82 * r1), _rgb(color, 0.9 * k))
    sh = 0.25 * np.array([-(p1 - p0)[1], (p1 - p0)[0]]) / (np.hypot(*(p1 - p0)) or 1.0)
    _poly(img, _capsule(p0 - sh * r0, p1 - sh * r1, 0.42 * r0, 0.42 * r1), _rgb(color, 1.06 * k))


def _ellipsoid_mesh(n_lat: int, n_lon: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit-sphere quads: corners (q, 4, 3) and centre normals (q, 3); x fwd, y down, z left."""
    lat = np.linspace(0, math.pi, n_lat + 1)  # from the top (y = -1) to the bottom
    lon = np.linspace(0, 2 * math.pi, n_lon + 1)

    def P(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.stack([np.sin(a) * np.cos(b), -np.cos(a), np.sin(a) * np.sin(b)], axis=-1)

    A, B = np.meshgrid(lat[:-1], lon[:-1], indexing="ij")
    A2, B2 = A + math.pi / n_lat, B + 2 * math.pi / n_lon
    quads = np.stack([P(A, B), P(A2, B), P(A2, B2), P(A, B2)], axis=2).reshape(-1, 4, 3)
    normals = P(A + math.pi / n_lat / 2, B + math.pi / n_lon).reshape(-1, 3)
    return quads, normals


_SPHERE = _ellipsoid_mesh(10, 18)

#: Head ellipsoid in the head frame (cm; origin at the mid-ear, x forward, y down,
#: z left): centre and semi-axes (head length 20, breadth 15.5, height 23 cm).
_HEAD_C = np.array([1.5, -2.5, 0.0])
_HEAD_R = np.array([10.0, 11.5, 7.75])

#: Torso rings: (fraction of the hip->shoulder length, lateral half-width / H,
#: forward offset / H, front-back half-depth / H). Breadths after Winter (2009) Fig. 4.1.
_TORSO_RINGS = (
    (-0.16, 0.092, -0.002, 0.058),
    (0.05, 0.096, -0.004, 0.068),
    (0.20, 0.085, -0.002, 0.060),
    (0.45, 0.090, 0.000, 0.058),
    (0.70, 0.108, 0.002, 0.068),
    (0.88, 0.122, 0.000, 0.064),
    (1.00, 0.110, -0.004, 0.050),
    (1.06, 0.050, -0.004, 0.030),
)
_SHORTS_TOP = 0.17  # rings below this fraction are shorts


class _Painter:
    """Collects drawable items with a depth, then draws them far to near."""

    def __init__(self) -> None:
        self.items: list[tuple[float, int, Callable[[], None]]] = []

    def add(self, depth: float, fn: Callable[[], None]) -> None:
        self.items.append((depth, len(self.items), fn))

    def draw(self) -> None:
        for _, _, fn in sorted(self.items, key=lambda t: (-t[0], t[1])):
            fn()


def draw_figure3d(
    img: np.ndarray,
    spec: RunnerSpec,
    kin: Kinematics,
    i: int,
    offset: tuple[float, float] | None = None,
) -> np.ndarray:
    """Draw frame ``i`` of the runner at ``spec.yaw_deg`` on the supersampled ``img``.

    Limbs are shaded capsules, the torso and head are shaded meshes with back faces
    removed; parts are painted far to near by their distance from the camera. The head
    has hair on the top and back, a face (eyes, brows, nose, mouth) at the front and an
    ear on each side, so a front view shows a face and a back view hair.
    """
    from formcheck.synth.shading import _drop_shadow

    H = spec.runner_height_px
    cm = H / 175.0
    off = np.zeros(2) if offset is None else np.asarray(offset, float)
    sl = slice(i, i + 1)
    sub = Kinematics(
        t=kin.t[sl], joints={k: v[sl] for k, v in kin.joints.items()}, trunk_angle=kin.trunk_angle[sl],
        head_angle=kin.head_angle[sl], thigh_near=kin.thigh_near[sl], thigh_far=kin.thigh_far[sl],
        foot_near=kin.foot_near[sl], foot_far=kin.foot_far[sl], floor_y=kin.floor_y,
        step_index=kin.step_index[sl], contact_near=kin.contact_near[sl],
    )
    body = {k: v[0] for k, v in body_frame(spec, sub).items()}
    cam = Camera(spec, kin.floor_y)
    phi = math.radians(spec.yaw_deg or 0.0)
    F = np.array([math.cos(phi), 0.0, -math.sin(phi)])
    Lv = np.array([math.sin(phi), 0.0, math.cos(phi)])
    Yv = np.array([0.0, 1.0, 0.0])
    hip_x = float(sub.joints["hip"][0, 0])
    base = np.array([hip_x, 0.0, 0.0])

    def W(p: np.ndarray) -> np.ndarray:  # body frame (..., 3) -> scene
        p = np.asarray(p, float)
        return base + p[..., :1] * F + p[..., 1:2] * Yv + p[..., 2:3] * Lv

    def img_pt(p_scene: np.ndarray) -> np.ndarray:
        return (cam.project(p_scene) + off) * _SS

    def depth(p_scene: np.ndarray) -> float:
        return float(np.linalg.norm(np.asarray(p_scene) - cam.centre))

    def light_k(p_scene: np.ndarray) -> float:
        """Parts farther from the camera than the hip are darker (as the far limbs in 2D)."""
        dz = depth(p_scene) - depth(W(body["hip"]))
        return float(np.clip(1.0 - 0.9 * dz / H, 0.72, 1.08))

    to_cam_dir = lambda p: (cam.centre - p) / (np.linalg.norm(cam.centre - p, axis=-1, keepdims=True))  # noqa: E731
    light = np.array([-0.35, -0.55, -0.75])
    light /= np.linalg.norm(light)

    # floor shadow under the hip
    floor_px = img_pt(W(np.array([0.0, kin.floor_y, 0.0])))
    img = _drop_shadow(
        img, (int(floor_px[0]), int(floor_px[1])), (int(0.16 * H * _SS), int(0.02 * H * _SS)), 0.01 * H * _SS
    )
    paint = _Painter()

    def capsule(a: np.ndarray, b: np.ndarray, r0: float, r1: float, color: Sequence[float],
                bias: float = 0.0) -> None:
        pa, pb = W(a), W(b)
        mid = 0.5 * (pa + pb)
        k = light_k(mid)
        sa, sb = float(cam.scale(pa)) * _SS, float(cam.scale(pb)) * _SS
        qa, qb = img_pt(pa), img_pt(pb)
        paint.add(depth(mid) + bias, lambda: _shaded_capsule(img, qa, qb, r0 * sa, r1 * sb, color, k))

    def mesh(quads: np.ndarray, normals: np.ndarray, colors: Sequence[Sequence[float]], bias: float = 0.0,
             group_depth: float | None = None) -> None:
        """Quads (q, 4, 3) scene, outward normals (q, 3): back faces culled, far first."""
        cen = quads.mean(axis=1)
        facing = np.einsum("qk,qk->q", normals, to_cam_dir(cen)) > 0.0
        idx = np.flatnonzero(facing)
        dq = np.linalg.norm(cen[idx] - cam.centre, axis=-1)
        idx = idx[np.argsort(-dq)]
        pts = img_pt(quads[idx])
        lam = np.clip(np.einsum("qk,k->q", normals[idx], light), 0.0, 1.0)
        cols = [_rgb(colors[int(j)], 0.62 + 0.5 * float(lam[n])) for n, j in enumerate(idx)]

        def run() -> None:
            for p, c in zip(pts, cols, strict=True):
                _poly(img, p, c)

        d = group_depth if group_depth is not None else float(np.mean(dq)) if len(dq) else 0.0
        paint.add(d + bias, run)

    skin, shirt, shorts, shoe, hair = spec.skin_rgb, spec.shirt_rgb, spec.shorts_rgb, spec.shoe_rgb, spec.hair_rgb

    # ---- legs and arms
    for side in ("left", "right"):
        hp, kn, an = body[f"hip_{side}"], body[f"knee_{side}"], body[f"ankle_{side}"]
        capsule(kn, an, 0.029 * H, 0.018 * H, skin)
        capsule(hp, kn, 0.052 * H, 0.031 * H, skin)
        capsule(hp, hp + 0.55 * (kn - hp), 0.058 * H, 0.048 * H, shorts, bias=-0.01 * H)
        he, to = body[f"heel_{side}"], body[f"toe_{side}"]
        up = np.array([0.0, -0.022 * H, 0.0])
        capsule(he + up, to + up, 0.026 * H, 0.018 * H, shoe, bias=-0.005 * H)
        sh, el, wr = body[f"shoulder_{side}"], body[f"elbow_{side}"], body[f"wrist_{side}"]
        capsule(el, wr, 0.024 * H, 0.016 * H, skin)
        capsule(sh, el, 0.032 * H, 0.023 * H, skin)
        capsule(sh, sh + 0.42 * (el - sh), 0.041 * H, 0.032 * H, shirt, bias=-0.01 * H)
        d = (wr - el) / (np.linalg.norm(wr - el) or 1.0)
        fist = wr + 0.03 * H * d
        capsule(fist, fist, 0.026 * H, 0.026 * H, skin, bias=-0.004 * H)

    # ---- torso: rings along the trunk
    trunk = float(sub.trunk_angle[0])
    u = np.array([math.sin(trunk), -math.cos(trunk), 0.0])  # up the trunk (body frame)
    fwd = np.array([math.cos(trunk), math.sin(trunk), 0.0])
    lat = np.array([0.0, 0.0, 1.0])
    hip_c = body["hip"]
    shrug = float(np.linalg.norm(body["shoulder"] - body["neck_base"]))
    n_around = 20
    ang = np.linspace(0, 2 * math.pi, n_around, endpoint=False)
    rings, cols_r = [], []
    for a, hw, fo, hd in _TORSO_RINGS:
        c = hip_c + u * (a * _TORSO * H + (shrug if a > 0.8 else 0.0)) + fwd * fo * H
        ring = c + np.outer(np.cos(ang) * hd * H, fwd) + np.outer(np.sin(ang) * hw * H, lat)
        rings.append(ring)
        cols_r.append(shorts if a < _SHORTS_TOP else shirt)
    quads, normals, colors = [], [], []
    for r in range(len(rings) - 1):
        r0, r1 = rings[r], rings[r + 1]
        for k in range(n_around):
            k2 = (k + 1) % n_around
            q = np.array([r0[k], r1[k], r1[k2], r0[k2]])
            quads.append(q)
            nrm = np.cross(q[1] - q[0], q[3] - q[0])
            mid = q.mean(axis=0)
            axis_pt = hip_c + u * np.dot(mid - hip_c, u)
            if np.dot(nrm, mid - axis_pt) < 0:
                nrm = -nrm
            normals.append(nrm / (np.linalg.norm(nrm) or 1.0))
            colors.append(cols_r[r])
    top = rings[-1]
    for k in range(n_around):  # shoulder cap
        k2 = (k + 1) % n_around
        c = top.mean(axis=0)
        quads.append(np.array([top[k], top[k2], c, c]))
        normals.append(-u)
        colors.append(shirt)
    tq = W(np.array(quads))
    tn = np.array(normals) @ np.stack([F, Yv, Lv])
    mesh(tq, tn, colors, group_depth=depth(W(hip_c + u * 0.5 * _TORSO * H)))

    # ---- neck and head
    ha = float(sub.head_angle[0])
    ear = body["ear"]

    def head_pt(p: np.ndarray) -> np.ndarray:
        """Head-frame point(s) (..., 3) cm -> body frame px."""
        p = np.asarray(p, float)
        c, s_ = math.cos(ha), math.sin(ha)
        x = (p[..., 0] * c - p[..., 1] * s_) * cm
        y = (p[..., 0] * s_ + p[..., 1] * c) * cm
        return ear + np.stack([x, y, p[..., 2] * cm], axis=-1)

    def head_dir(v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, float)
        c, s_ = math.cos(ha), math.sin(ha)
        return np.stack([v[..., 0] * c - v[..., 1] * s_, v[..., 0] * s_ + v[..., 1] * c, v[..., 2]], axis=-1)

    nb = body["neck_base"]
    capsule(nb - u * 0.01 * H, head_pt(np.array([0.5, 4.0, 0.0])), 0.034 * H, 0.03 * H, skin, bias=0.02 * H)

    sq, sn = _SPHERE
    hq = head_pt(_HEAD_C + sq * _HEAD_R)
    hn = sn / _HEAD_R
    hn /= np.linalg.norm(hn, axis=-1, keepdims=True)
    # hair on the top and back of the skull; the face, temples and jaw are skin
    hair_mask = (sn[:, 1] < -0.55) | ((sn[:, 0] < 0.05) & (sn[:, 1] < 0.4)) | (
        (sn[:, 0] < 0.45) & (sn[:, 1] < -0.3)
    )
    hcols = [hair if m else skin for m in hair_mask]
    head_centre = W(head_pt(_HEAD_C))
    hd = depth(head_centre)
    mesh(W(hq), head_dir(hn) @ np.stack([F, Yv, Lv]), hcols, group_depth=hd)

    # face and ear features: flat patches, drawn when their normal faces the camera
    def feature(centre_cm: Sequence[float], normal: Sequence[float], outline_cm: np.ndarray,
                color: Sequence[float], order: float) -> None:
        n_sc = W(head_dir(np.asarray(normal, float))) - base
        c_sc = W(head_pt(np.asarray(centre_cm, float)))
        if np.dot(n_sc, to_cam_dir(c_sc)) <= 0.05:
            return
        pts = img_pt(W(head_pt(np.asarray(outline_cm, float))))
        paint.add(hd - order * 1e-3 - 1e-6, lambda: _poly(img, pts, color))

    def ell(cx: float, cy: float, cz: float, ax: float, ay: float, plane: str, n: int = 14) -> np.ndarray:
        t = np.linspace(0, 2 * math.pi, n, endpoint=False)
        a, b = ax * np.cos(t), ay * np.sin(t)
        if plane == "yz":  # on a forward-facing surface
            return np.stack([np.full(n, cx), cy + b, cz + a], axis=-1)
        return np.stack([cx + a, cy + b, np.full(n, cz)], axis=-1)  # xy: side-facing

    for sgn in (1.0, -1.0):
        ez = sgn * EYE_HALF_CM
        feature((10.3, -1.6, ez), (1, 0, 0.3 * sgn), ell(10.6, -1.6, ez, 1.5, 0.75, "yz"), (245, 242, 238), 1)
        feature((10.5, -1.6, ez), (1, 0, 0.3 * sgn), ell(10.8, -1.6, ez, 0.75, 0.75, "yz", 10), (55, 40, 30), 2)
        brow = np.array([[10.6, -3.6, ez - 1.7 * sgn], [10.6, -4.1, ez + 1.6 * sgn],
                         [10.6, -3.5, ez + 1.7 * sgn], [10.6, -3.0, ez - 1.6 * sgn]])
        feature((10.5, -3.5, ez), (1, -0.2, 0.3 * sgn), brow, _rgb(hair, 0.9), 1)
        feature((-0.3, -0.2, sgn * EAR_HALF_CM), (0, 0, sgn), ell(-0.3, -0.2, sgn * (EAR_HALF_CM + 0.3), 2.0, 3.2, "xy"),
                _rgb(skin, 0.78), 1)
        feature((-0.3, -0.2, sgn * EAR_HALF_CM), (0, 0, sgn), ell(-0.2, -0.1, sgn * (EAR_HALF_CM + 0.4), 1.1, 2.0, "xy"),
                _rgb(skin, 0.62), 2)
    feature((9.0, 5.4, 0.0), (1, 0.2, 0), ell(9.1, 5.4, 0.0, 2.2, 0.6, "yz"), (170, 95, 90), 1)
    # nose: a small wedge out of the face, to the nose tip of the profile head
    tip = np.array([_NOSE_TIP[0], _NOSE_TIP[1], 0.0])
    for sgn in (1.0, -1.0):
        wing = np.array([[10.9, -1.0, 0.0], tip, [11.0, 3.0, 1.6 * sgn]])
        shade = 0.95 if sgn * math.sin(phi) > 0 else 0.8
        feature((11.5, 1.0, 0.5 * sgn), (1, 0, 0.8 * sgn), wing, _rgb(skin, shade), 3)
    feature((11.5, 2.5, 0.0), (0.3, 1.0, 0.0), np.array([[11.0, 3.0, 1.6], tip, [11.0, 3.0, -1.6]]),
            _rgb(skin, 0.6), 4)

    paint.draw()
    return img


def camera_truth(spec: RunnerSpec, kin: Kinematics) -> dict[str, Any]:
    """Yaw, expected view and facing, and where the camera is (cm)."""
    cam = Camera(spec, kin.floor_y)
    yaw = float(spec.yaw_deg or 0.0) % 360.0
    return {
        "yaw_deg": yaw,
        "view": view_label(yaw),
        "facing": facing_label(yaw),
        "off_side_deg": round(math.degrees(math.asin(min(1.0, abs(math.sin(math.radians(yaw)))))), 4),
        "camera_height_cm": round(cam.height_cm, 2),
        "camera_distance_cm": spec.camera_distance_cm,
        "camera_pitch_deg": round(cam.pitch_deg, 3),
    }


#: BlazePose landmark index -> the 3D joint that stands in for it.
#: The drawn joint that stands for each BlazePose point (the hand's points sit at the wrist).
_LANDMARK_JOINTS = {
    "nose": "nose", "left_eye_inner": "eye_left", "left_eye": "eye_left", "left_eye_outer": "eye_left",
    "right_eye_inner": "eye_right", "right_eye": "eye_right", "right_eye_outer": "eye_right",
    "left_ear": "ear_left", "right_ear": "ear_right", "mouth_left": "mouth_left",
    "mouth_right": "mouth_right", "left_shoulder": "shoulder_left", "right_shoulder": "shoulder_right",
    "left_elbow": "elbow_left", "right_elbow": "elbow_right", "left_wrist": "wrist_left",
    "right_wrist": "wrist_right", "left_pinky": "wrist_left", "right_pinky": "wrist_right",
    "left_index": "wrist_left", "right_index": "wrist_right", "left_thumb": "wrist_left",
    "right_thumb": "wrist_right", "left_hip": "hip_left", "right_hip": "hip_right",
    "left_knee": "knee_left", "right_knee": "knee_right", "left_ankle": "ankle_left",
    "right_ankle": "ankle_right", "left_heel": "heel_left", "right_heel": "heel_right",
    "left_foot_index": "toe_left", "right_foot_index": "toe_right",
}


def landmarks(spec: RunnerSpec, kin: Kinematics) -> tuple[np.ndarray, np.ndarray]:
    """Exact BlazePose-like landmarks of the drawn joints: image ``xy`` (n, K, 2) px and
    ``world`` (n, K, 3) m, the K points of :data:`~formcheck.model.skeleton.BLAZEPOSE`.

    ``world`` is what MediaPipe's world landmarks stand for: metres, origin at the hip
    midpoint, axes of the camera (x right, y down, z away from the camera). Mouth corners
    are 2.5 cm either side, 6 cm below and 2 cm behind the nose tip (head frame). For
    tests of the view classifier without rendering.
    """
    body = body_frame(spec, kin)
    cm = spec.runner_height_px / 175.0
    ha = kin.head_angle
    for name, sgn in (("mouth_left", 1.0), ("mouth_right", -1.0)):
        hx, hy = _NOSE_TIP[0] - 2.0, _NOSE_TIP[1] + 3.5
        off = np.stack([(hx * np.cos(ha) - hy * np.sin(ha)) * cm, (hx * np.sin(ha) + hy * np.cos(ha)) * cm,
                        np.full(len(ha), sgn * 2.5 * cm)], axis=-1)
        body[name] = body["ear"] + off
    cam = Camera(spec, kin.floor_y)
    pts = scene_points(spec, kin, body)
    order = [_LANDMARK_JOINTS[p] for p in BLAZEPOSE.points]
    scene = np.stack([pts[k] for k in order], axis=1)  # (n, K, 3)
    xy = cam.project(scene)
    c = cam.to_camera(scene)
    li, ri = BLAZEPOSE.pair("hip")
    mid_hip = (c[:, li] + c[:, ri]) / 2
    world = (c - mid_hip[:, None, :]) * spec.cm_per_px / 100.0
    return xy, world
