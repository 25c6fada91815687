"""Drawing of the synthetic runner for :mod:`formcheck.synth.runner` (OpenCV, RGB images).

Everything is drawn at ``_SS`` times the output resolution with anti-aliased polygons,
softened with a small Gaussian blur and downscaled with area averaging. Limbs are tapered
outlines with fake cylindrical shading (dark rim, base colour, light core); the far-side
limbs are darker. Geometry comes from :func:`formcheck.synth.runner.simulate`; nothing here
changes a joint position, so the truth stays exact.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from formcheck.synth.runner import (
    _HAIR,
    _SHOE,
    _SOLE,
    _TORSO,
    Kinematics,
    RunnerSpec,
)
from formcheck.synth.shading import _drop_shadow

_SS = 2  # supersampling factor


def _rgb(c: Sequence[float], k: float = 1.0) -> tuple[int, int, int]:
    """Colour scaled by ``k`` (shading), clipped, as an int tuple for cv2 (RGB image)."""
    return tuple(int(max(0, min(255, round(v * k)))) for v in c)  # type: ignore[return-value]


def _poly(img: np.ndarray, pts: np.ndarray, color: Sequence[float]) -> None:
    p = np.round(np.asarray(pts) * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(img, [p], _rgb(color), lineType=cv2.LINE_AA, shift=4)


def _circle(img: np.ndarray, c: np.ndarray, r: float, color: Sequence[float]) -> None:
    cv2.circle(
        img,
        (round(c[0] * 16), round(c[1] * 16)),
        round(r * 16),
        _rgb(color),
        -1,
        lineType=cv2.LINE_AA,
        shift=4,
    )


def _ellipse(
    img: np.ndarray,
    c: np.ndarray,
    axes: tuple[float, float],
    ang_deg: float,
    color: Sequence[float],
) -> None:
    cv2.ellipse(
        img,
        (round(c[0] * 16), round(c[1] * 16)),
        (round(axes[0] * 16), round(axes[1] * 16)),
        ang_deg,
        0,
        360,
        _rgb(color),
        -1,
        lineType=cv2.LINE_AA,
        shift=4,
    )


def _line(img: np.ndarray, a: np.ndarray, b: np.ndarray, color: Sequence[float], w: float) -> None:
    cv2.line(
        img,
        (round(a[0] * 16), round(a[1] * 16)),
        (round(b[0] * 16), round(b[1] * 16)),
        _rgb(color),
        max(1, round(w)),
        lineType=cv2.LINE_AA,
        shift=4,
    )


def _limb_outline(
    p0: np.ndarray, p1: np.ndarray, profile: Sequence[tuple[float, float, float]], s: int
) -> np.ndarray:
    """Polygon around segment p0->p1; profile = (t, front half-width, back half-width) px.

    "Front" is the side that faces forward when the segment hangs straight down.
    Round caps close both ends.
    """
    d = p1 - p0
    L = float(np.hypot(*d)) or 1e-6
    d = d / L
    g = np.array([-d[1], d[0]])  # geometric normal, fixed handedness
    front_is_g = (s * np.array([d[1], -d[0]])) @ g > 0
    wa = [(wf if front_is_g else wb) for _, wf, wb in profile]  # widths on the +g side
    wb_ = [(wb if front_is_g else wf) for _, wf, wb in profile]  # widths on the -g side
    ts = [t for t, _, _ in profile]
    side_a = [p0 + d * (t * L) + g * w for t, w in zip(ts, wa, strict=True)]
    side_b = [p0 + d * (t * L) - g * w for t, w in zip(ts, wb_, strict=True)]
    th = np.linspace(0, math.pi, 9)[1:-1]
    r1, r0 = 0.5 * (wa[-1] + wb_[-1]), 0.5 * (wa[0] + wb_[0])
    c1 = p1 + g * 0.5 * (wa[-1] - wb_[-1])
    c0 = p0 + g * 0.5 * (wa[0] - wb_[0])
    cap1 = [c1 + r1 * (math.cos(a) * g + math.sin(a) * d) for a in th]
    cap0 = [c0 - r0 * (math.cos(a) * g + math.sin(a) * d) for a in th]
    return np.array(side_a + cap1 + side_b[::-1] + cap0)


def _shaded_limb(
    img: np.ndarray,
    p0: np.ndarray,
    p1: np.ndarray,
    profile: Sequence[tuple[float, float, float]],
    s: int,
    color: Sequence[float],
    light: float = 1.0,
) -> None:
    """A limb with fake cylindrical shading: dark rim, base, lighter core toward the light."""
    _poly(img, _limb_outline(p0, p1, profile, s), _rgb(color, 0.72 * light))
    inner = [(t, wf * 0.82, wb * 0.82) for t, wf, wb in profile]
    _poly(img, _limb_outline(p0, p1, inner, s), _rgb(color, 0.9 * light))
    core = [(t, wf * 0.45, -wf * 0.05) for t, wf, wb in profile]
    _poly(img, _limb_outline(p0, p1, core, s), _rgb(color, 1.06 * light))


def background(spec: RunnerSpec, floor_y: float) -> np.ndarray:
    """Static background at supersampled resolution: wall, skirting, floor, treadmill."""
    W, Hh = spec.width * _SS, spec.height * _SS
    fy = floor_y * _SS
    rng = np.random.default_rng(spec.seed)
    img = np.zeros((Hh, W, 3), np.float32)
    yy = np.linspace(0, 1, Hh)[:, None, None]
    wall_top = np.array([196, 204, 210], np.float32)
    wall_bot = np.array([222, 220, 212], np.float32)
    img[:] = (wall_top * (1 - yy) + wall_bot * yy).astype(np.float32)
    # soft blotches so the wall is not flat
    coarse = rng.normal(0, 1, (Hh // 32 + 1, W // 32 + 1)).astype(np.float32)
    noise = np.asarray(cv2.resize(coarse, (W, Hh), interpolation=cv2.INTER_CUBIC))
    img += noise[:, :, None] * 3.0
    # a window / poster rectangle on the wall, away from the runner
    x0 = int(W * (0.06 if spec.facing == "right" else 0.72))
    cv2.rectangle(
        img,
        (x0, int(Hh * 0.12)),
        (x0 + int(W * 0.2), int(Hh * 0.38)),
        (150, 175, 195),
        -1,
        cv2.LINE_AA,
    )
    cv2.rectangle(
        img,
        (x0, int(Hh * 0.12)),
        (x0 + int(W * 0.2), int(Hh * 0.38)),
        (235, 235, 235),
        6,
        cv2.LINE_AA,
    )
    # skirting board and floor
    fl_top = int(fy - 0.03 * spec.height * _SS)  # far edge of the floor, behind the deck
    sk = int(fl_top - 0.06 * spec.height * _SS)
    img[sk:fl_top] = (175, 170, 160)
    img[fl_top:] = (120, 110, 100)
    fl = np.linspace(0, 1, Hh - fl_top)[:, None, None]
    img[fl_top:] *= 1.0 - 0.25 * fl
    # treadmill deck and belt under the runner
    cx = spec.center_x_frac * W
    half = 0.30 * spec.runner_height_px * _SS * 1.6
    belt_h = 0.018 * spec.height * _SS
    cv2.rectangle(
        img,
        (int(cx - half), int(fy)),
        (int(cx + half), int(fy + 3.0 * belt_h)),
        (70, 72, 78),
        -1,
        cv2.LINE_AA,
    )
    cv2.rectangle(
        img,
        (int(cx - half), int(fy)),
        (int(cx + half), int(fy + belt_h)),
        (38, 38, 42),
        -1,
        cv2.LINE_AA,
    )
    img += rng.normal(0, 1.5, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _head(
    img: np.ndarray, ear: np.ndarray, ang: float, s: int, cm: float, spec: RunnerSpec
) -> None:
    """Profile head at ``ear`` (pixels at supersampled scale), head rotated by ``ang``."""
    c, si = math.cos(ang), math.sin(ang)

    def P(pts: Sequence[tuple[float, float]]) -> np.ndarray:
        a = np.asarray(pts, float)
        x = (a[:, 0] * c - a[:, 1] * si) * cm
        y = (a[:, 0] * si + a[:, 1] * c) * cm
        return np.stack([ear[0] + s * x, ear[1] + y], axis=-1)

    def ell(
        cx: float, cy: float, ax: float, ay: float, n: int = 28, rot: float = 0.0
    ) -> np.ndarray:
        a = np.linspace(0, 2 * math.pi, n, endpoint=False)
        cr, sr = math.cos(math.radians(rot)), math.sin(math.radians(rot))
        x, y = ax * np.cos(a), ay * np.sin(a)
        return P(list(zip(cx + x * cr - y * sr, cy + x * sr + y * cr, strict=True)))

    skin = spec.skin_rgb
    hair = spec.hair_rgb
    # skull + face as one skin silhouette
    face = [
        (-9.6, -3.0),
        (-9.2, 1.5),
        (-7.0, 5.0),
        (-3.0, 6.5),
        (0.0, 7.5),
        (3.0, 9.5),
        (6.5, 11.0),
        (9.2, 11.2),
        (10.8, 9.8),
        (10.6, 8.2),
        (10.1, 7.4),
        (11.0, 6.6),
        (10.7, 5.9),
        (11.3, 5.1),
        (11.1, 4.0),
        (11.6, 3.4),
        (13.0, 2.5),
        (12.8, 1.8),
        (10.9, -1.0),
        (10.4, -1.6),
        (10.9, -3.2),
        (10.6, -6.5),
        (9.0, -10.0),
        (5.0, -13.0),
        (0.0, -14.2),
        (-5.0, -12.8),
        (-8.4, -8.8),
    ]
    _poly(img, P(face), _rgb(skin, 0.93))
    _poly(img, ell(4.0, -2.5, 6.3, 8.0), _rgb(skin, 1.02))  # cheek/temple highlight
    # hair cap over the top and back of the skull
    _poly(img, P(_HAIR), _rgb(hair))
    _poly(
        img,
        P([(6.0, -12.0), (1.0, -13.8), (-4.0, -12.6), (0.0, -12.0), (4.5, -10.8)]),
        _rgb(hair, 1.5),
    )
    # ear
    _poly(img, ell(-0.3, -0.2, 2.0, 3.2, rot=-10), _rgb(skin, 0.80))
    _poly(img, ell(-0.2, -0.1, 1.2, 2.2, rot=-10), _rgb(skin, 0.68))
    _poly(img, ell(0.0, 0.1, 0.6, 1.0), _rgb(skin, 0.55))
    # eyebrow, eye, nostril, mouth
    _poly(img, P([(6.8, -3.9), (9.8, -3.9), (10.1, -3.2), (7.0, -3.1)]), _rgb(hair, 0.9))
    _poly(img, P([(7.6, -1.6), (8.8, -2.5), (10.1, -1.7), (8.8, -0.9)]), (245, 242, 238))
    _poly(img, ell(9.3, -1.6, 0.75, 0.8, 16), (55, 40, 30))
    _poly(
        img,
        P([(7.4, -1.8), (8.8, -2.8), (10.2, -1.9), (10.1, -1.6), (8.8, -2.4), (7.6, -1.5)]),
        (70, 45, 35),
    )
    _poly(img, ell(11.6, 2.9, 0.8, 0.45, 12), _rgb(skin, 0.6))
    _poly(img, P([(9.9, 5.6), (11.0, 5.8), (10.9, 6.1), (9.9, 6.0)]), _rgb(skin, 0.55))
    _poly(img, P([(10.1, 5.0), (11.2, 5.1), (11.0, 5.75), (10.0, 5.6)]), (170, 95, 90))


def render_frame(
    spec: RunnerSpec, kin: Kinematics, i: int, bg: np.ndarray | None = None
) -> np.ndarray:
    """Frame ``i`` as an RGB uint8 array (height, width, 3); ``bg`` from :func:`background`."""
    img = (bg if bg is not None else background(spec, kin.floor_y)).copy()
    img = draw_figure(img, spec, kin, i)
    img = cv2.GaussianBlur(img, (0, 0), 0.6 * _SS)
    return cv2.resize(img, (spec.width, spec.height), interpolation=cv2.INTER_AREA)


def draw_figure(
    img: np.ndarray,
    spec: RunnerSpec,
    kin: Kinematics,
    i: int,
    offset: tuple[float, float] | None = None,
) -> np.ndarray:
    """Draw frame ``i`` of the figure (with its floor shadow) on the supersampled ``img``.

    ``offset`` (scene px) shifts the figure, for canvases larger than the frame.
    Returns the image (the shadow step replaces the array). A spec with ``yaw_deg``
    is drawn in 3D by :func:`formcheck.synth.body3d.draw_figure3d`.
    """
    if spec.yaw_deg is not None:
        from formcheck.synth.body3d import draw_figure3d

        return draw_figure3d(img, spec, kin, i, offset)
    s = spec.s
    H = spec.runner_height_px * _SS
    cm = H / 175.0
    if offset is None:
        J = {k: v[i] * _SS for k, v in kin.joints.items()}
        floor_ss = kin.floor_y * _SS
    else:
        off = np.asarray(offset, dtype=float)
        J = {k: (v[i] + off) * _SS for k, v in kin.joints.items()}
        floor_ss = (kin.floor_y + off[1]) * _SS
    trunk = float(kin.trunk_angle[i])
    u = np.array([s * math.sin(trunk), -math.cos(trunk)])  # up the trunk
    f = np.array([s * math.cos(trunk), math.sin(trunk)])  # forward, perpendicular to trunk
    hip, sh = J["hip"], J["shoulder"]
    nb = hip + _TORSO * H * u  # neck base (unshrugged shoulder level on the spine)

    img = _drop_shadow(img, (int(hip[0]), int(floor_ss)), (int(0.16 * H), int(0.012 * H)), 0.01 * H)

    shirt, shorts, skin, shoe = spec.shirt_rgb, spec.shorts_rgb, spec.skin_rgb, spec.shoe_rgb
    far = 0.72  # far-side limbs are darker

    def draw_leg(side: str, light: float) -> None:
        k, a = J[f"knee_{side}"], J[f"ankle_{side}"]
        # shank (skin, calf bulge at the back) then thigh (shorts + skin below)
        _shaded_limb(
            img,
            k,
            a,
            [
                (0.0, 0.028 * H, 0.030 * H),
                (0.3, 0.028 * H, 0.038 * H),
                (0.65, 0.022 * H, 0.025 * H),
                (1.0, 0.017 * H, 0.018 * H),
            ],
            s,
            skin,
            light,
        )
        thigh_pro = [
            (0.0, 0.050 * H, 0.055 * H),
            (0.5, 0.042 * H, 0.045 * H),
            (1.0, 0.030 * H, 0.031 * H),
        ]
        _shaded_limb(img, hip, k, thigh_pro, s, skin, light)
        short_end = hip + 0.55 * (k - hip)
        _shaded_limb(
            img,
            hip,
            short_end,
            [(0.0, 0.056 * H, 0.060 * H), (1.0, 0.046 * H, 0.048 * H)],
            s,
            shorts,
            light,
        )
        # shoe, drawn in the foot frame (x along the foot, y toward the sole)
        pitch = float((kin.foot_near if side == "near" else kin.foot_far)[i])
        fd = np.array([s * math.cos(pitch), math.sin(pitch)])
        fn = np.array([-s * math.sin(pitch), math.cos(pitch)])

        def F(pts: Sequence[tuple[float, float]]) -> np.ndarray:
            return np.array([a + (x * fd + y * fn) * H for x, y in pts])

        _poly(img, F(_SHOE), _rgb(shoe, 0.88 * light))
        _poly(
            img,
            F(
                [
                    (-0.035, 0.0),
                    (0.0, -0.006),
                    (0.045, 0.012),
                    (0.09, 0.022),
                    (0.09, 0.028),
                    (-0.035, 0.028),
                ]
            ),
            _rgb(shoe, 0.98 * light),
        )
        _poly(img, F(_SOLE), _rgb((70, 70, 80), light))
        stripe = F([(-0.02, 0.02), (0.05, 0.012)])
        _line(img, stripe[0], stripe[1], _rgb((40, 90, 200), light), 0.006 * H)

    def draw_arm(side: str, light: float) -> None:
        e, w = J[f"elbow_{side}"], J[f"wrist_{side}"]
        _shaded_limb(
            img,
            e,
            w,
            [(0.0, 0.024 * H, 0.024 * H), (0.4, 0.025 * H, 0.023 * H), (1.0, 0.016 * H, 0.016 * H)],
            s,
            skin,
            light,
        )
        _shaded_limb(
            img,
            sh,
            e,
            [(0.0, 0.032 * H, 0.032 * H), (0.5, 0.027 * H, 0.028 * H), (1.0, 0.023 * H, 0.023 * H)],
            s,
            skin,
            light,
        )
        _shaded_limb(
            img,
            sh,
            sh + 0.42 * (e - sh),
            [(0.0, 0.040 * H, 0.040 * H), (1.0, 0.031 * H, 0.031 * H)],
            s,
            shirt,
            light,
        )
        fist = w + 0.035 * H * (w - e) / (np.hypot(*(w - e)) or 1.0)
        _circle(img, fist, 0.024 * H, _rgb(skin, 0.8 * light))
        _circle(img, fist - 0.004 * H * u, 0.018 * H, _rgb(skin, 0.95 * light))

    # far side first
    draw_arm("far", far)
    draw_leg("far", far)

    # neck
    ear = J["ear"]
    nk = [
        nb + f * 0.035 * H - u * 0.02 * H,
        ear + np.array([s * 0.035 * H, 0.045 * H]),
        ear + np.array([s * 0.02 * H, 0.0]),
        ear + np.array([-s * 0.03 * H, -0.005 * H]),
        nb - f * 0.045 * H - u * 0.02 * H,
    ]
    _poly(img, np.array(nk), _rgb(skin, 0.82))

    # torso: (along trunk from hip, fraction of torso; forward, fraction of H)
    T = _TORSO * H
    shrug = float(np.hypot(*(sh - nb)))
    front = [
        (-0.16, 0.052),
        (0.0, 0.066),
        (0.25, 0.062),
        (0.45, 0.056),
        (0.65, 0.068),
        (0.82, 0.074),
        (0.95, 0.06),
        (1.04, 0.036),
    ]
    back = [
        (1.04, -0.04),
        (0.96, -0.058),
        (0.80, -0.068),
        (0.55, -0.056),
        (0.35, -0.05),
        (0.15, -0.062),
        (-0.02, -0.074),
        (-0.16, -0.056),
    ]

    def tp(a: float, b: float, top_shift: float = 0.0) -> np.ndarray:
        return hip + u * (a * T + (top_shift if a > 0.8 else 0.0)) + f * b * H

    torso_pts = np.array([tp(a, b, shrug) for a, b in front + back])
    _poly(img, torso_pts, _rgb(shirt, 0.75))
    inner = np.array([tp(a * 0.97 + 0.01, b * 0.8 + 0.006, shrug) for a, b in front + back])
    _poly(img, inner, _rgb(shirt, 0.92))
    core = np.array([tp(a * 0.9 + 0.05, b * 0.4 + 0.02, shrug) for a, b in front + back])
    _poly(img, core, _rgb(shirt, 1.05))
    # shorts over the pelvis
    pel = [
        (-0.16, 0.056),
        (0.12, 0.066),
        (0.17, 0.065),
        (0.17, -0.066),
        (0.15, -0.066),
        (-0.02, -0.078),
        (-0.16, -0.06),
    ]
    _poly(img, np.array([tp(a, b) for a, b in pel]), _rgb(shorts, 0.95))
    _line(img, tp(0.17, 0.066), tp(0.17, -0.066), _rgb(shorts, 0.6), 0.006 * H)

    # head
    _head(img, ear, float(kin.head_angle[i]), s, cm, spec)

    # near side on top
    draw_leg("near", 1.0)
    draw_arm("near", 1.0)
    return img


# --------------------------------------------------------------------------- real footage


def scene_background(
    spec: RunnerSpec,
    floor_y: float,
    origin: tuple[int, int],
    size: tuple[int, int],
    decks: Sequence[tuple[float, float, float]] = (),
) -> np.ndarray:
    """Background of a canvas covering scene pixels ``origin + [0, size)`` (supersampled).

    Same scene as :func:`background` (wall, window, skirting, floor, treadmill) plus a
    door frame (long vertical edges, as real rooms have, from which a tool can estimate
    a camera roll), laid out in the frame's scene coordinates, so a canvas larger than
    the frame (for a rolled or pitched camera) shows more of the same room. ``decks`` are extra treadmills
    ``(centre x, floor y, half length)`` in scene px (for a neighbour).
    """
    ox, oy = origin
    cw, ch = size
    W, Hh = cw * _SS, ch * _SS
    rng = np.random.default_rng([spec.seed, 7])

    def X(x: float) -> int:
        return int((x - ox) * _SS)

    def Y(y: float) -> int:
        return int((y - oy) * _SS)

    img = np.zeros((Hh, W, 3), np.float32)
    yy = ((np.arange(Hh) / _SS + oy) / spec.height).clip(-0.3, 1.3)[:, None, None]
    wall_top = np.array([196, 204, 210], np.float32)
    wall_bot = np.array([222, 220, 212], np.float32)
    img[:] = (wall_top * (1 - yy) + wall_bot * yy).astype(np.float32)
    coarse = rng.normal(0, 1, (Hh // 32 + 1, W // 32 + 1)).astype(np.float32)
    noise = np.asarray(cv2.resize(coarse, (W, Hh), interpolation=cv2.INTER_CUBIC))
    img += noise[:, :, None] * 3.0
    x0 = spec.width * (0.06 if spec.facing == "right" else 0.72)
    win = ((X(x0), Y(0.12 * spec.height)), (X(x0 + 0.2 * spec.width), Y(0.38 * spec.height)))
    cv2.rectangle(img, *win, (150, 175, 195), -1, cv2.LINE_AA)
    cv2.rectangle(img, *win, (235, 235, 235), 6, cv2.LINE_AA)
    # a door frame on the other side: vertical edges make a rolled camera visible
    dx = spec.width * (0.78 if spec.facing == "right" else 0.04)
    door = ((X(dx), Y(0.02 * spec.height)), (X(dx + 0.16 * spec.width), Y(floor_y)))
    cv2.rectangle(img, *door, (205, 200, 190), -1, cv2.LINE_AA)
    cv2.rectangle(img, *door, (120, 100, 80), 5, cv2.LINE_AA)
    fl_top = max(0, Y(floor_y - 0.03 * spec.height))
    sk = max(0, Y(floor_y - 0.09 * spec.height))
    img[sk:fl_top] = (175, 170, 160)
    img[fl_top:] = (120, 110, 100)
    if fl_top < Hh:
        fl = ((np.arange(fl_top, Hh) / _SS + oy - floor_y) / (0.12 * spec.height)).clip(0, 1.5)
        img[fl_top:] *= (1.0 - 0.2 * fl)[:, None, None]
    belt_h = 0.018 * spec.height
    all_decks = [*decks, (spec.center_x_frac * spec.width, floor_y, 0.48 * spec.runner_height_px)]
    for cx, fy, half in all_decks:  # far decks first, the runner's deck last
        cv2.rectangle(
            img, (X(cx - half), Y(fy)), (X(cx + half), Y(fy + 3.0 * belt_h)), (70, 72, 78), -1, cv2.LINE_AA
        )
        cv2.rectangle(
            img, (X(cx - half), Y(fy)), (X(cx + half), Y(fy + belt_h)), (38, 38, 42), -1, cv2.LINE_AA
        )
    img += rng.normal(0, 1.5, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


class FootageRenderer:
    """Frames of a spec with real-footage conditions (camera, blur, noise, bystander...).

    Per frame: background canvas (larger than the frame when the camera moves) ->
    figures, averaged over sub-frame poses for motion blur -> camera homography
    (:func:`formcheck.synth.runner.camera_homography`) -> the usual soft blur and area
    downscale -> sensor noise -> JPEG. Frames are upright (display orientation);
    :func:`formcheck.synth.render.render_clip` rotates them for storage.
    """

    def __init__(self, spec: RunnerSpec, kin: Kinematics) -> None:
        from formcheck.synth import runner as synth

        self.spec, self.kin = spec, kin
        self.h = synth.camera_homography(spec)
        W, Hh = spec.width, spec.height
        if spec.camera_moved:  # the canvas must cover every scene point the camera sees
            corners = np.array([[0, 0], [W, 0], [W, Hh], [0, Hh]], float)
            back = synth.project(np.linalg.inv(self.h), corners)
            lo = np.floor(np.minimum(back.min(0), 0)) - 4
            hi = np.ceil(np.maximum(back.max(0), [W, Hh])) + 4
        else:
            lo, hi = np.zeros(2), np.array([W, Hh], float)
        self.origin = (int(lo[0]), int(lo[1]))
        self.size = (int(hi[0] - lo[0]), int(hi[1] - lo[1]))
        self.offset = (-float(self.origin[0]), -float(self.origin[1]))
        self.bspec = synth.bystander_spec(spec) if spec.bystander != "none" else None
        self.bkin = synth.simulate_bystander(spec)
        decks = []
        if self.bspec is not None and self.bkin is not None and spec.bystander == "treadmill":
            decks.append(
                (spec.bystander_x_frac * W, self.bkin.floor_y, 0.48 * self.bspec.runner_height_px)
            )
        self.bg = scene_background(spec, kin.floor_y, self.origin, self.size, decks)
        # scene px -> supersampled output px, via the canvas
        S = np.diag([_SS, _SS, 1.0])
        T = np.array([[1.0, 0, self.origin[0]], [0, 1.0, self.origin[1]], [0, 0, 1.0]])
        self.warp = S @ self.h @ T @ np.linalg.inv(S)
        n_sub = spec.blur_samples or (1 + 2 * math.ceil(4 * spec.shutter_fraction))
        self.n_sub = n_sub if spec.shutter_fraction > 0 else 1

    def _sub_kin(self, i: int) -> tuple[list[Kinematics], list[Kinematics | None]]:
        from formcheck.synth import runner as synth

        if self.n_sub == 1:
            return [self.kin], [self.bkin]
        t0 = float(self.kin.t[i])
        exp = self.spec.shutter_fraction / self.spec.fps
        ts = t0 + exp * (np.linspace(0.0, 1.0, self.n_sub) - 0.5)
        return [synth.simulate(self.spec, ts)], [synth.simulate_bystander(self.spec, ts)]

    def _canvas(self, kin: Kinematics, bkin: Kinematics | None, j: int) -> np.ndarray:
        img = self.bg.copy()
        figures: list[tuple[RunnerSpec, Kinematics]] = [(self.spec, kin)]
        if bkin is not None and self.bspec is not None:
            if self.spec.bystander_in_front:
                figures.append((self.bspec, bkin))
            else:
                figures.insert(0, (self.bspec, bkin))
        for spec, k in figures:
            img = draw_figure(img, spec, k, j, self.offset)
        return img

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` (RGB uint8, upright display size)."""
        spec = self.spec
        kins, bkins = self._sub_kin(i)
        if self.n_sub == 1:
            canvas = self._canvas(kins[0], bkins[0], i)
        else:
            acc = np.zeros(self.bg.shape, np.float32)
            for j in range(self.n_sub):
                acc += self._canvas(kins[0], bkins[0], j)
            canvas = np.clip(acc / self.n_sub + 0.5, 0, 255).astype(np.uint8)
        out_ss = (spec.width * _SS, spec.height * _SS)
        if spec.camera_moved:
            canvas = cv2.warpPerspective(
                canvas, self.warp, out_ss, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
            )
        img = cv2.GaussianBlur(canvas, (0, 0), 0.6 * _SS)
        img = cv2.resize(img, (spec.width, spec.height), interpolation=cv2.INTER_AREA)
        if spec.noise_sigma > 0:
            rng = np.random.default_rng([spec.seed, 11, i])
            noisy = img.astype(np.float32) + rng.normal(0, spec.noise_sigma, img.shape)
            img = np.clip(noisy + 0.5, 0, 255).astype(np.uint8)
        if spec.jpeg_quality > 0:
            ok, buf = cv2.imencode(
                ".jpg", img[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(spec.jpeg_quality)]
            )
            back = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
            if back is not None:
                img = np.ascontiguousarray(back[:, :, ::-1])
        return img
