"""Metric functions against exact answers on synthetic landmark arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import analyse_landmarks
from hypothesis import given, settings
from hypothesis import strategies as st

from formcheck.kinematics import metrics as M
from formcheck.model.pose import PoseSeries
from formcheck.model.results import VideoMeta
from formcheck.model.skeleton import BLAZEPOSE as SK


def pts(*xy: tuple[float, float]) -> np.ndarray:
    return np.array(xy, dtype=float)


def polar(origin: tuple[float, float], length: float, lean_deg: float, s: int) -> tuple[float, float]:
    """Point ``length`` px from ``origin``, tilted ``lean_deg`` from vertical towards facing ``s``."""
    a = math.radians(lean_deg)
    return origin[0] + s * length * math.sin(a), origin[1] - length * math.cos(a)


@pytest.mark.parametrize("s", [1, -1])
@pytest.mark.parametrize("lean", [0.0, 10.0, -7.5, 25.0])
def test_trunk_lean_exact(s: int, lean: float) -> None:
    hip = (300.0, 400.0)
    shoulder = polar(hip, 120.0, lean, s)
    got = M.trunk_lean_deg(pts(shoulder), pts(hip), s)
    assert got[0] == pytest.approx(lean, abs=1e-9)


@pytest.mark.parametrize("s", [1, -1])
def test_cva_and_neck_angles_exact(s: int) -> None:
    hip = (300.0, 400.0)
    shoulder = polar(hip, 120.0, 10.0, s)  # trunk leaning 10 deg forward
    ear = polar(shoulder, 30.0, 35.0, s)  # neck 35 deg from vertical
    e, sh, h = pts(ear), pts(shoulder), pts(hip)
    assert M.neck_lean_deg(e, sh, s)[0] == pytest.approx(35.0)
    assert M.cva_proxy_deg(e, sh, s)[0] == pytest.approx(55.0)
    assert M.neck_trunk_angle_deg(e, sh, h, s)[0] == pytest.approx(25.0)
    expected_offset = 30.0 * math.sin(math.radians(35.0)) / 120.0
    assert M.head_forward_offset_torso(e, sh, h, s)[0] == pytest.approx(expected_offset)
    expected_gap = 30.0 * math.cos(math.radians(35.0)) / 120.0
    assert M.shoulder_elevation_torso(e, sh, h)[0] == pytest.approx(expected_gap)


def test_ear_straight_above_shoulder_is_cva_90_and_behind_is_above_90() -> None:
    sh = pts((100.0, 200.0))
    assert M.cva_proxy_deg(pts((100.0, 150.0)), sh, 1)[0] == pytest.approx(90.0)
    assert M.cva_proxy_deg(pts((90.0, 150.0)), sh, 1)[0] > 90.0  # ear behind (facing right)
    assert M.cva_proxy_deg(pts((90.0, 150.0)), sh, -1)[0] < 90.0  # same ear, facing left


@pytest.mark.parametrize("s", [1, -1])
def test_head_pitch_sign(s: int) -> None:
    ear = pts((100.0, 100.0))
    level = pts((100.0 + s * 40.0, 100.0))
    down = pts((100.0 + s * 40.0, 100.0 + 40.0))  # nose below the ear: looking down
    assert M.head_pitch_deg(ear, level, s)[0] == pytest.approx(0.0)
    assert M.head_pitch_deg(ear, down, s)[0] == pytest.approx(45.0)


@pytest.mark.parametrize("s", [1, -1])
def test_waist_bend_zero_for_whole_body_lean(s: int) -> None:
    ankle = (300.0, 600.0)
    hip = polar(ankle, 200.0, 8.0, s)
    shoulder = polar(hip, 120.0, 8.0, s)  # body straight, leaning 8 deg from the ankle
    assert M.waist_bend_deg(pts(shoulder), pts(hip), pts(ankle), s)[0] == pytest.approx(0.0, abs=1e-9)
    bent = polar(hip, 120.0, 20.0, s)  # trunk bent 12 deg more at the hips
    assert M.waist_bend_deg(pts(bent), pts(hip), pts(ankle), s)[0] == pytest.approx(12.0)


def test_tilt_front_and_back_agree() -> None:
    # Left shoulder 10 px higher (smaller y); seen from the front it is on the viewer's right.
    front = M.tilt_deg(pts((200.0, 90.0)), pts((100.0, 100.0)))
    back = M.tilt_deg(pts((100.0, 90.0)), pts((200.0, 100.0)))
    assert front[0] == pytest.approx(math.degrees(math.atan2(10, 100)))
    assert back[0] == pytest.approx(front[0])


def test_missing_points_give_nan_not_numbers() -> None:
    sh = pts((100.0, 200.0), (np.nan, np.nan))
    hip = pts((100.0, 300.0), (100.0, 300.0))
    out = M.trunk_lean_deg(sh, hip, 1)
    assert np.isfinite(out[0]) and np.isnan(out[1])


@pytest.mark.parametrize("s", [1, -1])
@pytest.mark.parametrize("upper, fore", [(-20.0, 70.0), (0.0, 0.0), (-10.0, 120.0), (15.0, 90.0), (0.0, 180.0)])
def test_elbow_angle_exact(s: int, upper: float, fore: float) -> None:
    """Upper arm hanging ``upper`` deg from vertical, forearm bent ``fore`` deg away from
    the upper arm's line: the angle at the elbow is 180 - fore (either facing)."""
    want = 180.0 - fore
    shoulder = (300.0, 200.0)
    elbow = polar(shoulder, -60.0, upper, s)
    wrist = polar(elbow, -55.0, upper + fore, s)
    got = M.elbow_angle_deg(pts(shoulder), pts(elbow), pts(wrist))
    assert got[0] == pytest.approx(want, abs=1e-9)


def test_elbow_angle_missing_point_gives_nan() -> None:
    out = M.elbow_angle_deg(pts((0.0, 0.0), (0.0, 0.0)), pts((0.0, 50.0), (np.nan, 50.0)),
                            pts((40.0, 50.0), (40.0, 50.0)))
    assert out[0] == pytest.approx(90.0) and np.isnan(out[1])


def test_near_arm_is_the_better_seen_arm_per_frame() -> None:
    """The arms swing in opposite phase: each frame takes one whole arm, never a mix."""
    series = PoseSeries.empty(3, VideoMeta("x.mp4", 30.0, 3, 640, 480))
    for side, x in (("left", 100.0), ("right", 500.0)):
        for joint, y in (("shoulder", 100.0), ("elbow", 160.0), ("wrist", 200.0)):
            series.xy[:, SK.index(f"{side}_{joint}")] = (x, y)
    series.visibility[:, [SK.index(f"left_{j}") for j in ("shoulder", "elbow", "wrist")]] = [[0.9, 0.9, 0.9],
                                                                                        [0.9, 0.2, 0.9],
                                                                                        [0.9, 0.9, 0.9]]
    series.visibility[:, [SK.index(f"right_{j}") for j in ("shoulder", "elbow", "wrist")]] = 0.5
    series.xy[2, SK.index("left_wrist")] = np.nan  # frame 2: the left arm is incomplete
    sh, el, wr = M.near_arm(series)
    assert list(el[:, 0]) == [100.0, 500.0, 500.0]
    assert list(sh[:, 0]) == list(el[:, 0]) == list(wr[:, 0])


def test_shape_is_validated() -> None:
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        M.trunk_lean_deg(np.zeros((3, 3)), np.zeros((3, 2)), 1)


def test_combine_sides_weights_by_visibility() -> None:
    left, right = pts((0.0, 0.0)), pts((10.0, 0.0))
    out = M.combine_sides(left, right, np.array([0.9]), np.array([0.1]))
    assert out[0, 0] == pytest.approx(1.0)
    only_right = M.combine_sides(pts((np.nan, np.nan)), right, np.array([0.9]), np.array([0.1]))
    assert only_right[0, 0] == pytest.approx(10.0)


def test_facing_from_nose_and_ears() -> None:
    ear = pts(*[(100.0, 50.0)] * 10)
    assert M.facing_sign(ear + [20.0, 5.0], ear) == 1
    assert M.facing_sign(ear - [20.0, -5.0], ear) == -1
    assert M.facing_sign(pts(*[(np.nan, np.nan)] * 3), pts(*[(1.0, 1.0)] * 3)) == 0


# --- property tests -------------------------------------------------------------------

coord = st.floats(-500, 500, allow_nan=False)
angle = st.floats(-40, 40, allow_nan=False)


def _side_points(lean: float, neck: float, s: int, ox: float, oy: float, scale: float) -> dict:
    hip = (ox, oy)
    shoulder = polar(hip, 100.0 * scale, lean, s)
    ear = polar(shoulder, 25.0 * scale, neck, s)
    nose = (ear[0] + s * 12.0 * scale, ear[1] + 3.0 * scale)
    ankle = polar(hip, -160.0 * scale, 3.0, s)
    elbow = polar(shoulder, -30.0 * scale, -20.0, s)  # upper arm down and back
    wrist = polar(elbow, 28.0 * scale, 70.0, s)  # forearm forward and up
    p = {k: pts(v) for k, v in dict(hip=hip, shoulder=shoulder, ear=ear, nose=nose, ankle_low=ankle,
                                    arm_shoulder=shoulder, elbow=elbow, wrist=wrist).items()}
    return p


@settings(max_examples=60, deadline=None)
@given(lean=angle, neck=angle, dx=coord, dy=coord, scale=st.floats(0.2, 5.0))
def test_metrics_invariant_to_translation_and_scale(lean, neck, dx, dy, scale) -> None:
    base = M.side_view_frame_metrics(_side_points(lean, neck, 1, 0.0, 0.0, 1.0), 1)
    moved = M.side_view_frame_metrics(_side_points(lean, neck, 1, dx, dy, scale), 1)
    for name in base:
        assert moved[name][0] == pytest.approx(base[name][0], rel=1e-6, abs=1e-6), name


@settings(max_examples=60, deadline=None)
@given(lean=angle, neck=angle, width=st.floats(100, 4000))
def test_mirror_flips_facing_but_not_values(lean, neck, width) -> None:
    right = _side_points(lean, neck, 1, width / 3, 500.0, 1.0)
    mirrored = {k: np.column_stack([width - v[:, 0], v[:, 1]]) for k, v in right.items()}
    assert M.facing_sign(right["nose"], right["ear"]) == 1
    assert M.facing_sign(mirrored["nose"], mirrored["ear"]) == -1
    a = M.side_view_frame_metrics(right, 1)
    b = M.side_view_frame_metrics(mirrored, -1)
    for name in a:
        # the geometry is the same; only MediaPipe's facing bias is taken off the head angles
        undo = M.facing_correction_deg(name, 1) - M.facing_correction_deg(name, -1)
        assert b[name][0] == pytest.approx(a[name][0] - undo, abs=1e-9), name


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(coord, coord), min_size=2, max_size=20), st.integers(0, 19))
def test_nan_in_one_frame_stays_in_that_frame(points, hole) -> None:
    a = np.array(points, dtype=float)
    b = a + [0.0, 150.0]
    hole = hole % len(a)
    a[hole] = np.nan
    out = M.trunk_lean_deg(a, b, 1)
    assert np.isnan(out[hole])
    assert np.isfinite(np.delete(out, hole)).all()


def test_series_mirror_keeps_metrics() -> None:
    video = VideoMeta("x.mp4", 30.0, 3, 640, 480)
    series = PoseSeries.empty(3, video)
    rng = np.random.default_rng(1)
    series.xy[:] = rng.uniform(100, 400, size=series.xy.shape).astype(np.float32)
    series.visibility[:] = 0.9
    a = M.side_view_frame_metrics(M.body_points(series), 1)
    b = M.side_view_frame_metrics(M.body_points(series.mirrored()), -1)
    for name in a:
        undo = M.facing_correction_deg(name, 1) - M.facing_correction_deg(name, -1)
        np.testing.assert_allclose(a[name] - undo, b[name], atol=1e-3)


def test_facing_correction_makes_the_measured_mirror_pairs_agree_and_keeps_the_calibration() -> None:
    # a reading facing left minus facing right of FACING_BIAS_LR_DEG becomes 0
    for name, d in M.FACING_BIAS_LR_DEG.items():
        left, right = M.facing_correction_deg(name, -1), M.facing_correction_deg(name, 1)
        assert (d + left) - right == pytest.approx(0.0, abs=1e-12), name
        # the calibration clips (4 facing left, 1 facing right) keep their mean
        assert 4 * left + right == pytest.approx(0.0, abs=1e-12), name
    assert M.facing_correction_deg("trunk_lean_deg", 1) == M.facing_correction_deg("trunk_lean_deg", -1) == 0.0


def test_combine_sides_needs_both_coordinates() -> None:
    # A left point with a lost y must not pull the midpoint to y = 0.
    left = pts((10.0, np.nan))
    right = pts((12.0, 300.0))
    out = M.combine_sides(left, right, np.array([0.9]), np.array([0.9]))
    assert out[0, 0] == pytest.approx(12.0) and out[0, 1] == pytest.approx(300.0)


@pytest.mark.parametrize("flex", [70.0, 100.0])
def test_elbow_angle_of_the_synthetic_runner(flex: float) -> None:
    """The synthetic runner bends its elbows by ``elbow_flex_deg`` (+/-12 deg over a
    stride, symmetric about the mean): the clip median of the per-stride medians of the
    angle at the elbow is 180 - flex. 2 deg: half a pixel of noise on a 30-40 px forearm
    is about 1 deg per frame, and the medians shrink that; a per-step (half-stride)
    median would be off by up to the 12 deg swing."""

    from formcheck.synth.landmarks import pose_series
    from formcheck.synth.runner import RunnerSpec

    ps = pose_series(RunnerSpec(cadence_spm=170, fps=30, duration_s=6.0, elbow_flex_deg=flex), noise_px=0.5)
    a = analyse_landmarks(ps)
    assert a.metrics["elbow_angle_deg"]["median"] == pytest.approx(180.0 - flex, abs=2.0)
