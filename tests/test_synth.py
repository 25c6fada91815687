"""Tests for the synthetic runner generator (formcheck.synth.runner).

Fast tests check that the truth follows from the parameters exactly and that rendering
is deterministic; the slow test runs MediaPipe on a rendered clip and checks that the
figure is detected and its landmarks sit near the drawn joints.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from formcheck.synth.render import compute_truth, iter_frames, render_clip, render_frame
from formcheck.synth.runner import NEUTRAL_HEAD_PITCH_DEG, RunnerSpec, simulate

MODEL = Path(__file__).resolve().parents[1] / "models" / "pose_landmarker_full.task"
SMALL = RunnerSpec(duration_s=1.0, fps=30.0, width=320, height=240, runner_height_px=190.0)


@pytest.mark.parametrize(
    ("kwargs", "expectation"),
    [
        ({}, nullcontext()),
        ({"facing": "up"}, pytest.raises(ValueError)),
        ({"view": "front"}, pytest.raises(ValueError)),
        ({"width": 321}, pytest.raises(ValueError)),
        ({"runner_height_px": 500.0}, pytest.raises(ValueError)),
        ({"fps": 0.0}, pytest.raises(ValueError)),
        ({"camera_roll_deg": 5.0, "camera_pitch_deg": -10.0}, nullcontext()),
        ({"camera_roll_deg": 60.0}, pytest.raises(ValueError)),
        ({"rotation_meta": 45}, pytest.raises(ValueError)),
        ({"shutter_fraction": 1.5}, pytest.raises(ValueError)),
        ({"jpeg_quality": 101}, pytest.raises(ValueError)),
        ({"bystander": "crowd"}, pytest.raises(ValueError)),
        ({"visible_from_s": 2.0, "visible_until_s": 1.0}, pytest.raises(ValueError)),
    ],
)
def test_spec_validation(kwargs, expectation):
    with expectation:
        replace(SMALL, **kwargs)


@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize(("body", "waist"), [(0.0, 0.0), (4.0, 0.0), (2.0, 14.0), (-3.0, 5.0)])
def test_trunk_lean_is_body_lean_plus_waist_bend(facing, body, waist):
    spec = replace(SMALL, facing=facing, body_lean_deg=body, waist_bend_deg=waist)
    _, cols = compute_truth(spec, simulate(spec))
    np.testing.assert_allclose(cols["trunk_lean_deg"], body + waist, atol=1e-9)


@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("head_fwd", [0.0, 12.0, 30.0])
def test_neck_angles_follow_head_forward(facing, head_fwd):
    spec = replace(SMALL, facing=facing, head_forward_deg=head_fwd, body_lean_deg=5.0)
    truth, cols = compute_truth(spec, simulate(spec))
    np.testing.assert_allclose(cols["neck_trunk_angle_deg"], head_fwd, atol=1e-9)
    np.testing.assert_allclose(cols["neck_lean_deg"], head_fwd + 5.0, atol=1e-9)
    np.testing.assert_allclose(cols["cva_deg"], 90.0 - head_fwd - 5.0, atol=1e-9)
    # ear ahead of the shoulder by |shoulder->ear| * sin(neck lean), over the torso length
    ear_sh = 0.107 * spec.runner_height_px
    torso = 0.288 * spec.runner_height_px
    expected = ear_sh * math.sin(math.radians(head_fwd + 5.0)) / torso
    assert truth["head_forward_offset_torso"] == pytest.approx(expected, abs=1e-4)


def test_head_pitch_is_neutral_plus_gaze():
    for gaze in (-5.0, 0.0, 15.0):
        spec = replace(SMALL, head_pitch_deg=gaze, head_forward_deg=20.0)
        _, cols = compute_truth(spec, simulate(spec))
        np.testing.assert_allclose(cols["head_pitch_deg"], NEUTRAL_HEAD_PITCH_DEG + gaze, atol=1e-9)


def test_shoulder_raise_shrinks_ear_shoulder_gap():
    base = compute_truth(SMALL, simulate(SMALL))[1]
    spec = replace(SMALL, shoulder_raise_cm=4.0)
    raised = compute_truth(spec, simulate(spec))[1]
    assert np.all(raised["shoulder_elevation_torso"] < base["shoulder_elevation_torso"])
    # the shoulder moved 4 cm up the trunk, which leans 4 deg (the default body lean)
    gap_cm_base = base["shoulder_elevation_torso"] * base["torso_len_px"] * SMALL.cm_per_px
    gap_cm = raised["shoulder_elevation_torso"] * raised["torso_len_px"] * SMALL.cm_per_px
    np.testing.assert_allclose(gap_cm_base - gap_cm, 4.0 * math.cos(math.radians(4.0)))


def test_vertical_oscillation_and_cadence():
    spec = replace(SMALL, duration_s=6.0, fps=240.0, vertical_oscillation_cm=10.0, cadence_spm=180)
    kin = simulate(spec)
    truth, _ = compute_truth(spec, kin)
    assert truth["vertical_oscillation_cm"] == pytest.approx(10.0, rel=0.01)
    assert truth["vertical_oscillation_torso"] == pytest.approx(
        10.0 / spec.cm_per_px / truth["torso_len_px"], rel=0.01
    )
    # one lowest hip point (largest y) per step
    y = kin.joints["hip"][:, 1]
    lows = np.flatnonzero((y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:])) + 1
    assert len(lows) == pytest.approx(180 / 60 * 6.0, abs=1)
    assert np.median(np.diff(lows)) / spec.fps == pytest.approx(60 / 180, rel=0.01)


def test_drift_moves_head_forward_late_in_clip():
    spec = replace(SMALL, duration_s=3.0, head_forward_deg=5.0, head_forward_drift_deg=15.0)
    truth, cols = compute_truth(spec, simulate(spec))
    assert cols["neck_trunk_angle_deg"][0] == pytest.approx(5.0)
    assert cols["neck_trunk_angle_deg"][-1] == pytest.approx(20.0)
    late = truth["neck_trunk_angle_deg_last_third"] - truth["neck_trunk_angle_deg_first_third"]
    assert late == pytest.approx(10.0, abs=0.5)


def test_mirror_facing_flips_x_and_keeps_metrics():
    right = replace(SMALL, facing="right")
    left = replace(SMALL, facing="left")
    kr, kl = simulate(right), simulate(left)
    for name in kr.joints:
        np.testing.assert_allclose(kl.joints[name][:, 0], right.width - kr.joints[name][:, 0])
        np.testing.assert_allclose(kl.joints[name][:, 1], kr.joints[name][:, 1])
    tr, tl = compute_truth(right, kr)[0], compute_truth(left, kl)[0]
    for key in ("trunk_lean_deg", "neck_lean_deg", "head_forward_offset_torso", "head_pitch_deg"):
        assert tr[key] == pytest.approx(tl[key])
    assert tr["near_side"] == "right" and tl["near_side"] == "left"


def test_rendering_is_deterministic_and_seeded():
    kin = simulate(SMALL)
    a = render_frame(SMALL, kin, 3)
    b = render_frame(SMALL, kin, 3)
    assert a.shape == (SMALL.height, SMALL.width, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    other = replace(SMALL, seed=SMALL.seed + 1)
    assert not np.array_equal(a, render_frame(other, simulate(other), 3))


def test_mirrored_render_is_roughly_a_flip():
    kr, kl = simulate(SMALL), simulate(replace(SMALL, facing="left"))
    fr = render_frame(SMALL, kr, 5).astype(float)
    fl = render_frame(replace(SMALL, facing="left"), kl, 5)[:, ::-1].astype(float)
    # the figure is mirrored exactly; only the background decoration differs
    hip = kr.joints["hip"][5].astype(int)
    box = np.s_[hip[1] - 60 : hip[1] + 40, hip[0] - 30 : hip[0] + 30]
    assert np.mean(np.abs(fr[box] - fl[box])) < 8.0


def test_render_clip_writes_video_and_truth(tmp_path):
    import av
    spec = replace(SMALL, duration_s=0.5)
    truth = render_clip(spec, tmp_path / "clip.mp4")
    with av.open(str(tmp_path / "clip.mp4")) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == spec.n_frames == truth["frames"]
    assert frames[0].shape == (spec.height, spec.width, 3)
    on_disk = json.loads((tmp_path / "clip.truth.json").read_text())
    assert on_disk == json.loads(json.dumps(truth))
    for key in (
        "trunk_lean_deg", "neck_lean_deg", "cva_deg", "neck_trunk_angle_deg",
        "head_forward_offset_torso", "head_pitch_deg", "shoulder_elevation_torso",
        "vertical_oscillation_torso", "vertical_oscillation_cm", "cadence_spm", "facing",
        "fps", "frames", "width", "height", "spec",
    ):  # fmt: skip
        assert key in on_disk
    lines = (tmp_path / "clip.truth.csv").read_text().splitlines()
    assert len(lines) == spec.n_frames + 1
    assert lines[0].startswith("frame,time_s")
    # the video matches the in-memory render up to compression
    direct = next(iter_frames(spec))
    assert np.mean(np.abs(direct.astype(float) - frames[0])) < 6.0


def _decoded(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def test_render_clip_is_the_same_after_other_renders(tmp_path):
    """A clip rendered again after other clips in the same process is the same clip.

    Measured before the encoder options were fixed: walker_in_front rendered after
    baseline differed in 76 of 120 decoded frames (the encoder read memory left over from
    the earlier render)."""
    from formcheck.synth.runner import condition_spec

    first = render_clip(condition_spec("walker_in_front"), tmp_path / "a.mp4")
    for name in ("baseline", "far_25pct"):
        render_clip(condition_spec(name), tmp_path / f"{name}.mp4")
    again = render_clip(condition_spec("walker_in_front"), tmp_path / "b.mp4")
    assert first == {**again, "video": first["video"]}
    a, b = _decoded(tmp_path / "a.mp4"), _decoded(tmp_path / "b.mp4")
    assert len(a) == len(b) == first["frames"]
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if not np.array_equal(x, y)]
    assert not differ, f"{len(differ)} of {len(a)} frames differ, from frame {differ[0]}"


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="MALLOC_PERTURB_ is a glibc setting")
def test_render_clip_does_not_read_uninitialised_memory(tmp_path):
    """The same clip, rendered in two interpreters whose fresh heap memory holds different
    bytes (glibc's MALLOC_PERTURB_), is the same file: what an encoder reads without
    having written it cannot reach the clip."""
    code = (
        "import sys; from formcheck.synth.render import render_clip; "
        "from formcheck.synth.runner import condition_spec; "
        "render_clip(condition_spec('walker_in_front'), sys.argv[1])"
    )
    written = []
    for perturb in ("1", "85"):
        out = tmp_path / f"perturb{perturb}.mp4"
        env = {**os.environ, "MALLOC_PERTURB_": perturb}
        subprocess.run([sys.executable, "-c", code, str(out)], env=env, check=True, timeout=300)
        written.append(out.read_bytes())
    assert written[0] == written[1]


MP_SPECS = {
    "right_forward_head": RunnerSpec(duration_s=2.0, facing="right", head_forward_deg=25.0, seed=1),
    "left_waist_bend": RunnerSpec(duration_s=2.0, facing="left", waist_bend_deg=12.0, seed=2),
}
_MP_SEEN: dict[str, dict] = {}


def mediapipe_on(name: str) -> dict:
    """Run MediaPipe (VIDEO mode) on ``MP_SPECS[name]`` once: detections, per-landmark
    distances from the drawn joints (torso lengths) and the shoulder-hip lean per frame."""
    if name in _MP_SEEN:
        return _MP_SEEN[name]
    import mediapipe as mp  # a dependency, and the model is in the repository: no skips
    from mediapipe.tasks.python import BaseOptions, vision

    spec = MP_SPECS[name]
    kin = simulate(spec)
    truth, _ = compute_truth(spec, kin)
    torso = truth["torso_len_px"]
    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(MODEL)),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=1,
    )
    wh = np.array([spec.width, spec.height])
    errs: dict[str, list[float]] = {"ear": [], "shoulder": [], "hip": [], "nose": []}
    lean: list[float] = []
    detected = 0
    with vision.PoseLandmarker.create_from_options(opts) as lm:
        for i, frame in enumerate(iter_frames(spec, kin)):
            img = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame))
            res = lm.detect_for_video(img, round(i * 1000 / spec.fps))
            if not res.pose_landmarks:
                continue
            detected += 1
            p = np.array([[q.x, q.y] for q in res.pose_landmarks[0]]) * wh
            found = {
                "nose": p[0],
                "ear": p[[7, 8]].mean(0),
                "shoulder": p[[11, 12]].mean(0),
                "hip": p[[23, 24]].mean(0),
            }
            for joint, xy in found.items():
                errs[joint].append(float(np.hypot(*(xy - kin.joints[joint][i]))) / torso)
            sh, hp = found["shoulder"], found["hip"]
            lean.append(math.degrees(math.atan2(spec.s * (sh[0] - hp[0]), hp[1] - sh[1])))
    _MP_SEEN[name] = {"frames": kin.n, "detected": detected, "errs": errs, "lean": lean,
                      "truth": truth}
    return _MP_SEEN[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MP_SPECS))
def test_mediapipe_detects_the_figure_near_truth(name):
    seen = mediapipe_on(name)
    errs = seen["errs"]
    assert seen["detected"] >= 0.95 * seen["frames"]
    assert np.median(errs["shoulder"]) < 0.10
    assert np.median(errs["hip"]) < 0.10
    assert np.median(errs["nose"]) < 0.10
    # MediaPipe places this figure's ear ~3.5-4 cm ahead of the drawn ear (see README)
    assert np.median(errs["ear"]) < 0.12


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            "right_forward_head",
            marks=pytest.mark.xfail(
                strict=True,
                reason="MediaPipe's raw shoulder-hip line, over all frames, leans 2.3 deg more "
                "than this figure's drawn trunk (4 deg); formcheck's per-step stance medians "
                "read it within 1 deg (test_end_to_end)",
            ),
        ),
        "left_waist_bend",
    ],
)
def test_mediapipe_sees_the_drawn_trunk_lean(name):
    seen = mediapipe_on(name)
    # within 2 deg: narrower than the 3 deg between the waist-lean thresholds (12 / 15)
    assert np.median(seen["lean"]) == pytest.approx(seen["truth"]["trunk_lean_deg"], abs=2.0)


# --------------------------------------------------------------------------- real-footage fields


SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


def test_sample_specs_are_plain_and_their_truth_is_unchanged():
    from formcheck.synth.runner import sample_specs

    for name, spec in sample_specs().items():
        assert spec.is_plain
        truth, _ = compute_truth(spec, simulate(spec))
        truth["video"] = name
        stored = json.loads((SAMPLES / name).with_suffix(".truth.json").read_text())
        assert json.loads(json.dumps(truth)) == stored, name


def test_spec_dict_round_trip_keeps_only_fields_that_are_on():
    from formcheck.synth.runner import RunnerSpec as RS

    assert "camera_roll_deg" not in SMALL.to_dict()
    spec = replace(SMALL, camera_roll_deg=4.0, visible_from_s=0.2, bystander="treadmill")
    d = json.loads(json.dumps(spec.to_dict()))
    assert d["camera_roll_deg"] == 4.0 and "camera_pitch_deg" not in d
    assert RS.from_dict(d) == spec
    late = replace(SMALL, visible_until_s=0.5)
    assert RS.from_dict(json.loads(json.dumps(late.to_dict()))) == late
    assert RS.from_dict(json.loads(json.dumps(SMALL.to_dict()))) == SMALL


def test_simulate_at_given_times_matches_frame_times():
    spec = replace(SMALL, head_forward_drift_deg=10.0, visible_from_s=0.3)
    a = simulate(spec)
    b = simulate(spec, a.t.copy())
    for name in a.joints:
        np.testing.assert_allclose(b.joints[name], a.joints[name], atol=1e-9)


@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("roll", [-8.0, 5.0])
def test_camera_roll_changes_image_angles_not_posture(facing, roll):
    from formcheck.synth.runner import camera_homography

    spec = replace(SMALL, facing=facing, camera_roll_deg=roll, head_forward_deg=12.0)
    plain = replace(spec, camera_roll_deg=0.0)
    np.testing.assert_allclose(camera_homography(plain), np.eye(3), atol=1e-12)
    truth, cols = compute_truth(spec, simulate(spec))
    ref, _ = compute_truth(plain, simulate(plain))
    for key in ("trunk_lean_deg", "neck_trunk_angle_deg", "cva_deg", "head_forward_offset_torso"):
        assert truth[key] == ref[key]  # physical posture: the camera does not change it
    s = 1 if facing == "right" else -1
    # the picture turns clockwise by `roll`: a forward lean reads s * roll more in the image
    assert truth["image"]["trunk_lean_deg"] == pytest.approx(ref["trunk_lean_deg"] + s * roll, abs=1e-3)
    assert truth["image"]["cva_deg"] == pytest.approx(ref["cva_deg"] - s * roll, abs=1e-3)
    assert truth["image"]["neck_trunk_angle_deg"] == pytest.approx(ref["neck_trunk_angle_deg"], abs=1e-3)
    np.testing.assert_allclose(cols["trunk_lean_deg_image"], ref["trunk_lean_deg"] + s * roll, atol=1e-6)


def test_camera_pitch_is_a_keystone_that_keeps_the_centre():
    from formcheck.synth.runner import camera_homography, project

    spec = replace(SMALL, camera_pitch_deg=20.0)
    h = camera_homography(spec)
    c = np.array([spec.width / 2, spec.height / 2])
    np.testing.assert_allclose(project(h, c[None]), c[None], atol=1e-9)
    # a square-on rectangle looks narrower at the bottom when the camera looks down
    top = project(h, np.array([[100.0, 60.0], [220.0, 60.0]]))
    bottom = project(h, np.array([[100.0, 180.0], [220.0, 180.0]]))
    assert np.ptp(bottom[:, 0]) < np.ptp(top[:, 0])
    truth, _ = compute_truth(spec, simulate(spec))
    assert truth["camera"]["height_above_floor_cm"] > spec.runner_height_cm
    assert truth["image"]["trunk_lean_deg"] != pytest.approx(truth["trunk_lean_deg"], abs=0.05)


def test_runner_enters_late_and_leaves_early():
    from formcheck.synth.runner import figure_bbox

    spec = replace(SMALL, duration_s=3.0, visible_from_s=1.0, visible_until_s=2.0, slide_s=0.5)
    kin = simulate(spec)
    box = figure_bbox(kin, spec.runner_height_px)
    out = (box[:, 2] < 0) | (box[:, 0] > spec.width)
    assert out[kin.t < 0.5].all() and out[kin.t > 2.5].all()
    assert kin.in_frame is not None
    assert kin.in_frame[(kin.t >= 1.0) & (kin.t <= 2.0)].all()
    assert not kin.in_frame[(kin.t < 1.0) | (kin.t > 2.0)].any()
    truth, cols = compute_truth(spec, kin)
    ref, _ = compute_truth(replace(spec, visible_from_s=0.0, visible_until_s=math.inf), simulate(SMALL))
    assert truth["frames_in_view"] == int(kin.in_frame.sum())
    assert truth["trunk_lean_deg"] == ref["trunk_lean_deg"]
    assert "in_frame" in cols


def test_walker_crosses_the_frame_and_neighbour_stays():
    from formcheck.synth.runner import simulate_bystander

    spec = replace(SMALL, duration_s=3.0, bystander="walk_past", bystander_start_s=0.5,
                   bystander_cross_s=2.0, bystander_in_front=True, bystander_scale=1.2)
    kin = simulate_bystander(spec)
    assert kin is not None
    x = kin.joints["hip"][:, 0]
    assert x[0] > spec.width and x[-1] < 0  # faces and walks left (runner faces right)
    truth, _ = compute_truth(spec, simulate(spec))
    assert truth["bystander"]["frames_overlapping_runner"] > 0
    assert truth["trunk_lean_deg"] == compute_truth(SMALL, simulate(SMALL))[0]["trunk_lean_deg"]
    nb = replace(SMALL, bystander="treadmill", bystander_x_frac=0.8)
    kn = simulate_bystander(nb)
    assert kn is not None and np.ptp(kn.joints["hip"][:, 0]) == 0
    assert simulate_bystander(SMALL) is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"shutter_fraction": 1.0},
        {"noise_sigma": 8.0},
        {"jpeg_quality": 20},
        {"camera_roll_deg": 6.0},
        {"bystander": "walk_past", "bystander_start_s": 0.0, "bystander_cross_s": 0.6},
    ],
    ids=["blur", "noise", "jpeg", "roll", "walker"],
)
def test_footage_frames_are_deterministic_and_differ_from_plain(kwargs):
    spec = replace(SMALL, **kwargs)
    kin = simulate(spec)
    a = render_frame(spec, kin, 10)
    b = render_frame(spec, kin, 10)
    assert a.shape == (spec.height, spec.width, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    clean = render_frame(replace(spec, **{k: getattr(SMALL, k) for k in kwargs}), simulate(SMALL), 10)
    assert np.mean(np.abs(a.astype(float) - clean)) > 0.3


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_metadata_opens_upright_in_opencv(tmp_path, rotation):
    import cv2

    from formcheck.io.video import probe

    spec = replace(SMALL, width=120, height=200, runner_height_px=150.0, duration_s=0.2,
                   rotation_meta=rotation, crf=18)
    truth = render_clip(spec, tmp_path / "phone.mp4")
    stored = (200, 120) if rotation != 180 else (120, 200)
    assert (truth["stored_width"], truth["stored_height"]) == stored
    cap = cv2.VideoCapture(str(tmp_path / "phone.mp4"), cv2.CAP_FFMPEG)
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    ok, bgr = cap.read()
    meta = cap.get(cv2.CAP_PROP_ORIENTATION_META)
    cap.release()
    assert ok and bgr.shape[:2] == (spec.height, spec.width)
    assert meta == rotation
    upright = next(iter_frames(spec))
    assert np.mean(np.abs(bgr[:, :, ::-1].astype(float) - upright)) < 6.0
    info = probe(tmp_path / "phone.mp4")
    assert (info.width, info.height) == (spec.width, spec.height)


def test_conditions_build_specs():
    from formcheck.synth.runner import CONDITIONS, condition_spec

    for name in CONDITIONS:
        spec = condition_spec(name)
        assert spec.n_frames >= 60, name
    far = condition_spec("far_25pct")
    assert far.runner_height_px == pytest.approx(0.25 * far.height)
    big = condition_spec("baseline", scale=2.0)
    assert (big.width, big.height) == (640, 480) and big.runner_height_px == 360.0
    assert condition_spec("baseline", fps=50.0).fps == 50.0
    with pytest.raises(KeyError):
        condition_spec("underwater")
