"""Severity judged on the interval, an error model that knows its inputs, and faults
that survive a mirror (issue 18).

Fast tests check the rules on exact numbers: the interval bands, how each error term
moves with its input, and the camera angle read from the shoulders. The slow tests run
the pose model on the 3D synthetic runner (upright, mild and severe heads; small and
larger runners; a camera near the floor and one above the head) and on each real clip
in ``../shared/videos`` and its mirror image.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_VIDEOS, real_clip, recode

from formcheck.assess.faults import SEVERITY_RANK, ClipContext, judge, measurement_error
from formcheck.assess.norms import (
    CALIBRATION_TORSO_PX,
    ERROR_MODELS,
    SHOULDER_WIDTH_TORSO,
    THRESHOLDS,
    cva_camera_bias_deg,
)
from formcheck.model.skeleton import BLAZEPOSE as SK

NOSE = SK.index("nose")
(L_EAR, R_EAR), (L_SHOULDER, R_SHOULDER), (L_HIP, R_HIP), (L_ANKLE, R_ANKLE) = (
    SK.pair(p) for p in ("ear", "shoulder", "hip", "ankle"))
N_LANDMARKS = SK.n

FH = THRESHOLDS["forward_head"]


def rank(sev: str | None) -> int:
    return SEVERITY_RANK.get(sev or "", 0)


# --- severity on the interval ---------------------------------------------------------

@pytest.mark.parametrize("code", ["forward_head", "gaze_down", "waist_lean", "raised_shoulders"])
def test_no_truth_inside_the_interval_has_a_lower_band_than_the_one_reported(code: str) -> None:
    """Whatever the truth inside the interval, its band is at least the reported one;
    'found' exactly when the whole interval is past the mild threshold."""
    th = THRESHOLDS[code]
    lo_v, hi_v = sorted((th.mild, th.severe))
    span = hi_v - lo_v
    rng = np.random.default_rng(3)
    for median in np.linspace(lo_v - 2 * span, hi_v + 2 * span, 161):
        if th.severity(median) is None:
            continue
        for total in np.linspace(0.02, 1.5, 12) * span:
            j = judge(float(median), th, {"total": float(total)}, 20, 20)
            if j.status == "not_measurable":
                assert th.extreme is not None and total >= abs(th.mild - th.extreme)
                continue
            assert j.low == pytest.approx(median - total) and j.high == pytest.approx(median + total)
            best = j.high if th.direction == "below" else j.low  # the end nearest the norm
            assert (j.status == "found") == (th.severity(best) is not None)
            assert rank(j.severity) <= rank(j.median_band)
            if j.status == "found":
                assert j.severity == th.severity(best)
                truths = rng.uniform(j.low, j.high, 50)
                assert min(rank(th.severity(t)) for t in truths) >= rank(j.severity)
            else:
                assert j.severity == "mild" and "not sure" in j.text


def test_severe_only_when_the_whole_interval_is_past_it() -> None:
    err = {"total": 3.0}
    assert judge(FH.severe - 3.5, FH, err, 20, 20).severity == "severe"
    j = judge(FH.severe - 2.5, FH, err, 20, 20)  # median severe, interval reaches moderate
    assert (j.status, j.severity, j.median_band) == ("found", "moderate", "severe")
    assert "the median alone reads severe" in j.text
    j = judge(FH.mild - 1.0, FH, err, 20, 20)
    assert (j.status, j.severity) == ("possible", "mild") and "may be within the norm" in j.text


# --- the error model knows its inputs -------------------------------------------------

VALS = pd.Series(np.linspace(-1, 1, 20) + 60.0)


@pytest.mark.parametrize("metric", ["cva_deg", "head_pitch_deg"])
def test_runner_size_term_grows_as_the_runner_shrinks(metric: str) -> None:
    sizes = [40.0, 50.0, 70.0, 100.0, 156.0, 250.0, 400.0]
    size = [measurement_error(VALS, metric, ClipContext(t, camera_pitch_deg=0.0))["runner_size"] for t in sizes]
    assert np.all(np.diff(size) <= 0) and size[0] > size[3] > 0
    assert size[sizes.index(CALIBRATION_TORSO_PX)] == 0 and size[-1] == 0
    # a 50 px torso puts the ear-shoulder line at ~20 px: 3 px of lost detail turns it ~8 deg
    if metric == "cva_deg":
        assert 6.0 < size[1] < 11.0


@pytest.mark.parametrize("metric", ["cva_deg", "head_pitch_deg", "shoulder_elevation_torso"])
def test_a_guessed_ear_widens_the_error(metric: str) -> None:
    errs = [measurement_error(VALS, metric, ClipContext(200.0, 0.0, ear_visibility=v))["total"]
            for v in (1.0, 0.8, 0.5, 0.2, 0.0)]
    assert np.all(np.diff(errs) > 0)


def test_a_guessed_nose_widens_the_gaze_error_only() -> None:
    sure = ClipContext(200.0, 0.0)
    unsure = ClipContext(200.0, 0.0, nose_visibility=0.3)
    assert measurement_error(VALS, "head_pitch_deg", unsure)["total"] > \
        measurement_error(VALS, "head_pitch_deg", sure)["total"]
    assert measurement_error(VALS, "cva_deg", unsure)["total"] == \
        measurement_error(VALS, "cva_deg", sure)["total"]


def test_a_camera_below_the_shoulders_widens_the_forward_head_error() -> None:
    # geometry: from below the proxy reads lower, from above higher, level: no bias
    assert cva_camera_bias_deg(0.0) == 0.0
    assert cva_camera_bias_deg(-20.0) > cva_camera_bias_deg(-10.0) > 0 > cva_camera_bias_deg(10.0)
    errs = [measurement_error(VALS, "cva_deg", ClipContext(200.0, p, 8.0))["camera_pitch"]
            for p in (0.0, -10.0, -20.0)]
    assert errs[0] < errs[1] < errs[2]
    assert errs[2] == pytest.approx(cva_camera_bias_deg(-28.0))


def test_the_camera_height_widens_the_gaze_error_about_the_calibration_cameras() -> None:
    from formcheck.assess.norms import (
        GAZE_CALIBRATION_PITCH_DEG,
        gaze_camera_bias_deg,
        gaze_camera_error_deg,
    )

    # geometry: the nose sits behind the camera-side ear; from below it appears lower
    assert gaze_camera_bias_deg(0.0) == 0.0
    assert gaze_camera_bias_deg(-20.0) > gaze_camera_bias_deg(-10.0) > 0 > gaze_camera_bias_deg(10.0)
    assert gaze_camera_error_deg(GAZE_CALIBRATION_PITCH_DEG) == 0.0
    # the error is the worst end of the range the clip allows, about the calibration cameras
    for pitch in (-20.0, -9.0, 0.0, 6.0, 15.0):
        got = measurement_error(VALS, "head_pitch_deg", ClipContext(200.0, pitch, 8.0))["camera_pitch"]
        assert got == pytest.approx(max(abs(gaze_camera_error_deg(pitch - 8.0)),
                                        abs(gaze_camera_error_deg(pitch + 8.0))))
    at_cal = measurement_error(VALS, "head_pitch_deg", ClipContext(200.0, GAZE_CALIBRATION_PITCH_DEG, 0.0))
    assert at_cal["camera_pitch"] == 0.0
    unknown = measurement_error(VALS, "head_pitch_deg", ClipContext(200.0))["camera_pitch"]
    assert unknown == pytest.approx(abs(gaze_camera_error_deg(25.0)))


@pytest.mark.parametrize("facing", ["right", "left"])
@pytest.mark.parametrize("camera_cm", [30.0, 60.0, 100.0, 150.0, 200.0])
def test_gaze_camera_model_covers_the_drawn_heads_projection(facing: str, camera_cm: float) -> None:
    """The 3D runner's camera-side ear and nose, projected: their line turns with the camera
    height as the model says, never by more than the model allows (the model is what the
    error term uses, so it must not be the smaller), and by at least half of it (the drawn
    head's ear-nose line is longer than MediaPipe's 0.16 torso, which flattens its turn)."""
    from formcheck.assess.norms import gaze_camera_bias_deg
    from formcheck.synth import body3d
    from formcheck.synth.runner import condition_spec, simulate

    spec = condition_spec("baseline", size=(558, 418), runner_height_px=333.0,
                          yaw_deg=0.0 if facing == "right" else 180.0, camera_height_cm=camera_cm,
                          head_forward_deg=0.0, duration_s=1.0)
    kin = simulate(spec)
    img = body3d.image_joints(spec, kin)
    near = "left" if spec.s < 0 else "right"

    def line(ear: str) -> float:
        d = img["nose"] - img[ear]
        return float(np.nanmedian(np.degrees(np.arctan2(d[:, 1], spec.s * d[:, 0]))))

    drawn = line(f"ear_{near}") - line("ear")  # the camera-side ear against the midline one
    cam = body3d.Camera(spec, kin.floor_y)
    head = body3d.scene_points(spec, kin, body3d.body_frame(spec, kin))["ear"]
    rel = head - cam.centre  # scene px: x along the path, y down, z away from the camera
    pitch = float(np.degrees(np.arctan2(np.median(rel[:, 1]), np.median(rel[:, 2]))))  # + camera above
    model = gaze_camera_bias_deg(pitch)
    if abs(drawn) < 1.0:
        assert abs(model) < 3.0
        return
    assert np.sign(model) == np.sign(drawn)
    assert abs(drawn) <= abs(model) <= 2.0 * abs(drawn), (camera_cm, pitch, drawn, model)


def _side_pose(n: int, pitch_deg: float, facing: int, width: float = 640.0) -> tuple:
    """Landmarks of a runner seen from the side by a camera at ``pitch_deg`` (+ above):
    the far shoulder and hip lie one shoulder width further away and appear lower (camera
    below) or higher (above) by width x sin(-pitch). ``facing`` +1 right, -1 left; the
    near side is the runner's left when facing right (smaller MediaPipe depth)."""
    torso = 100.0
    xy = np.full((n, N_LANDMARKS, 2), np.nan)
    z = np.zeros((n, N_LANDMARKS))
    vis = np.full((n, N_LANDMARKS), 0.99)
    drop = torso * SHOULDER_WIDTH_TORSO * np.sin(np.radians(-pitch_deg))
    cx = width / 2
    near, far = (L_SHOULDER, R_SHOULDER) if facing > 0 else (R_SHOULDER, L_SHOULDER)
    hnear, hfar = (L_HIP, R_HIP) if facing > 0 else (R_HIP, L_HIP)
    enear, efar = (L_EAR, R_EAR) if facing > 0 else (R_EAR, L_EAR)
    jitter = np.random.default_rng(4).normal(0, 0.5, n)
    xy[:, near] = np.c_[np.full(n, cx), 200 + jitter]
    xy[:, far] = np.c_[np.full(n, cx - 2 * facing), 200 + drop + jitter]
    xy[:, hnear] = np.c_[np.full(n, cx), 300 + jitter]
    xy[:, hfar] = np.c_[np.full(n, cx - 2 * facing), 300 + drop + jitter]
    xy[:, enear] = np.c_[np.full(n, cx + 12 * facing), 162 + jitter]
    xy[:, efar] = np.c_[np.full(n, cx + 10 * facing), 163 + jitter]
    xy[:, NOSE] = np.c_[np.full(n, cx + 25 * facing), 170 + jitter]
    z[:, near], z[:, far], z[:, enear], z[:, efar] = -80.0, 80.0, -30.0, 30.0
    z[:, hnear], z[:, hfar] = -50.0, 50.0
    return xy, z, vis, np.ones(n, bool)


@pytest.mark.parametrize("pitch", [-25.0, -10.0, 0.0, 15.0])
def test_camera_angle_is_read_from_the_shoulders_and_a_mirror_reads_the_same(pitch: float) -> None:
    xy, z, vis, det = _side_pose(60, pitch, +1)
    ctx = ClipContext.from_pose(xy, z, vis, det, SK)
    assert ctx.camera_pitch_deg == pytest.approx(pitch, abs=0.5)
    assert ctx.camera_sd_deg > 0 and ctx.torso_px == pytest.approx(100.0, abs=1.0)
    # the mirror image: x -> W - x, and MediaPipe's left/right labels swap
    mx, mz, mv, _ = _side_pose(60, pitch, -1)
    mirror = ClipContext.from_pose(mx, mz, mv, det, SK)
    assert mirror == ctx


def test_camera_angle_unknown_without_a_depth_order() -> None:
    xy, z, vis, det = _side_pose(60, -20.0, +1)
    z[:] = 0.0  # a front view: the shoulders at the same depth
    ctx = ClipContext.from_pose(xy, z, vis, det, SK)
    assert ctx.camera_pitch_deg is None
    assert measurement_error(VALS, "cva_deg", ctx)["camera_pitch"] == pytest.approx(cva_camera_bias_deg(-25.0))


def test_frames_without_hips_give_no_numpy_warning() -> None:
    """A runner found with the hips out of the picture in some frames is normal input: the
    camera reading uses the other frames and nothing is printed."""
    import warnings

    xy, z, vis, det = _side_pose(60, -10.0, +1)
    xy[:20, list(SK.pair("hip"))] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ctx = ClipContext.from_pose(xy, z, vis, det, SK)
    assert ctx.camera_pitch_deg == pytest.approx(-10.0, abs=0.5)


def test_ear_visibility_counts_missing_frames_as_unseen() -> None:
    xy, z, vis, det = _side_pose(60, 0.0, +1)
    vis[:, [L_EAR, R_EAR]] = 0.9
    xy[:40, [L_EAR, R_EAR]] = np.nan  # dropped in 2 of 3 frames
    ctx = ClipContext.from_pose(xy, z, vis, det, SK)
    assert ctx.ear_visibility == 0.0
    assert ClipContext.from_pose(*_side_pose(60, 0.0, +1), SK).ear_visibility == pytest.approx(0.99)


def test_every_head_metric_error_model_says_where_its_numbers_come_from() -> None:
    for name in ("cva_deg", "head_pitch_deg"):
        em = ERROR_MODELS[name]
        assert em.line_torso and em.head_points and em.source


# --- slow: the pose model on the 3D synthetic runner -----------------------------------

#: (torso px, camera height cm): a small runner and a larger one, each filmed from a
#: camera 30 cm off the floor (well below the shoulders, ~1.44 m) and from 2 m (above
#: the head). The runner is ~0.30 torso lengths per standing height in these renders.
GRID = [(40.0, 30.0), (40.0, 200.0), (100.0, 30.0), (100.0, 200.0)]
#: head forward of the trunk (deg): truth CVA proxy 85 (upright), 70 (mild), 60 (severe)
HEADS = {"upright": 0.0, "mild": 15.0, "severe": 25.0}


def _render(cache: Path, torso: float, cam: float, head: float) -> tuple[Path, dict]:
    from formcheck.synth.render import render_clip
    from formcheck.synth.runner import condition_spec

    runner_px = round(torso / 0.30)
    h = max(240, int(np.ceil(runner_px / 0.8 / 2)) * 2)
    w = max(320, int(np.ceil(h * 4 / 3 / 2)) * 2)
    clip = cache / f"t{torso:.0f}_c{cam:.0f}_h{head:.0f}.mp4"
    truth_file = clip.with_suffix(".truth.json")
    if not (clip.is_file() and truth_file.is_file()):
        spec = condition_spec("baseline", size=(w, h), runner_height_px=float(runner_px), yaw_deg=0.0,
                              camera_height_cm=cam, head_forward_deg=head, duration_s=3.0)
        render_clip(spec, clip)
    return clip, json.loads(truth_file.read_text())


@pytest.fixture(scope="module")
def grid_results(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The analysis of every grid clip (renders cached across runs by pytest's cache).

    The renders run in a second thread, ahead of the analyses in this one: each is about
    one core, and one after the other they left one of CI's two cores idle. A render
    depends on its spec alone (the encoder's REPEATABLE_X264) and each analysis (threads=1)
    on its clip alone, so the files and the results are those of the serial loop."""
    from concurrent.futures import ThreadPoolExecutor

    from formcheck.model.settings import Settings
    from formcheck.pipeline.run import analyze

    # the folder's name changes with the renderer's output (2: the encoder's mbtree off)
    cache = Path(request.config.cache.mkdir("severity_grid_2")) if getattr(request.config, "cache", None) \
        else tmp_path_factory.mktemp("severity_grid")
    points = [(torso, cam, name, head) for torso, cam in GRID for name, head in HEADS.items()]
    out = {}
    with ThreadPoolExecutor(1, thread_name_prefix="grid-render") as pool:
        renders = [pool.submit(_render, cache, torso, cam, head) for torso, cam, _, head in points]
        for (torso, cam, name, _), rendered in zip(points, renders, strict=True):
            clip, truth = rendered.result()
            a = analyze(str(clip), Settings(video=False, report=False, threads=1))
            out[(torso, cam, name)] = (clip, truth, a)
    return out


#: Grid points where the severity still comes out above the truth, with what was measured.
GRID_KNOWN: dict[tuple[float, float, str], str] = {}


@pytest.mark.slow
@pytest.mark.parametrize("point", [
    pytest.param((t, c, n), marks=pytest.mark.xfail(strict=True, reason=GRID_KNOWN[(t, c, n)]))
    if (t, c, n) in GRID_KNOWN else (t, c, n)
    for t, c in GRID for n in HEADS
], ids=lambda p: f"{p[0]:.0f}px-{p[1]:.0f}cm-{p[2]}")
def test_synthetic_grid_severity_is_never_higher_than_the_truth(grid_results: dict, point) -> None:
    torso, cam, name = point
    _, truth, a = grid_results[point]
    true_band = FH.severity(truth["cva_deg"])
    assert (name == "upright") == (true_band is None), (name, truth["cva_deg"])
    fh = next((f for f in a.faults if f.code == "forward_head"), None)
    said = fh.severity if fh is not None and fh.status == "found" else None
    assert rank(said) <= rank(true_band), (torso, cam, name, truth["cva_deg"], fh and fh.confidence)


@pytest.mark.slow
def test_synthetic_grid_level_gaze_is_never_found_looking_down(grid_results: dict) -> None:
    """Every grid runner looks ahead. From 30 cm the ear->nose line reads 14-42 deg (a
    forward head raises it too, docs/head_calibration.md); the camera-height term
    (gaze_camera_error_deg) keeps those readings from being called 'found'."""
    found = [k for k, (_, _, a) in grid_results.items()
             if any(f.code == "gaze_down" and f.status == "found" for f in a.faults)]
    assert not found, found


@pytest.mark.slow
def test_synthetic_grid_severe_head_is_seen_on_the_larger_runner(grid_results: dict) -> None:
    """The interval is not so wide that a clearly forward head goes unnoticed."""
    for cam in (30.0, 200.0):
        _, _, a = grid_results[(100.0, cam, "severe")]
        fh = next(f for f in a.faults if f.code == "forward_head")
        assert fh.status == "found", fh.confidence


# --- mirror invariance ------------------------------------------------------------------

def _mirror(src: Path, dst: Path) -> Path:
    """The clip flipped left-right (upright frames, H.264 near-lossless; the same file on
    every run: with x264's default options the mirror depended on leftover memory, and so
    did its verdicts)."""
    return recode(src, dst, lambda rgb: rgb[:, ::-1])


def _analyze_mirrored(src: Path, settings, monkeypatch: pytest.MonkeyPatch):
    """The analysis of ``src`` with every frame the pose pass decodes flipped left-right.

    The flip is patched into the pose pass's decoder (``formcheck.pose.landmarker.iter_frames``)
    for this one call only. It checks that every frame of the analysis went through the
    flip, so that a change in how the pose pass decodes cannot silently turn this into a
    comparison of the clip with itself."""
    from formcheck.io.video import Frame
    from formcheck.pipeline.run import analyze
    from formcheck.pose import landmarker

    decode = landmarker.iter_frames
    flipped: list[int] = []

    def mirrored(*args, **kwargs):
        for fr in decode(*args, **kwargs):
            flipped.append(fr.index)
            yield Frame(fr.index, fr.time_s, np.ascontiguousarray(fr.rgb[:, ::-1]))

    with monkeypatch.context() as m:
        m.setattr(landmarker, "iter_frames", mirrored)
        b = analyze(str(src), settings)
    assert b.video.frames > 0 and len(flipped) == b.video.frames, (len(flipped), b.video.frames)
    return b


def assert_mirror_invariant(a, b) -> None:
    """Fault statuses agree exactly; every metric with an error model agrees within
    the clip's stated error."""
    from formcheck.assess.faults import ClipContext

    assert a.view.view == b.view.view
    assert {f.code: f.status for f in a.faults} == {f.code: f.status for f in b.faults}
    ctx = ClipContext.from_pose(a.pose.xy, a.pose.z, a.pose.visibility, a.pose.detected, a.pose.skeleton)
    for metric in ERROR_MODELS:
        ma, mb = a.metrics[metric]["median"], b.metrics[metric]["median"]
        if ma is None or mb is None:
            assert ma == mb, metric
            continue
        err = measurement_error(a.step_table[metric], metric, ctx)["total"]
        assert abs(ma - mb) <= err, (metric, ma, mb, err)


@pytest.mark.slow
@pytest.mark.parametrize("key", [
    (40.0, 30.0, "mild"),
    (100.0, 30.0, "severe"),
])
def test_synthetic_clip_and_its_mirror_agree(grid_results: dict, key: tuple, tmp_path: Path) -> None:
    from formcheck.model.settings import Settings
    from formcheck.pipeline.run import analyze

    clip, _, a = grid_results[key]
    b = analyze(str(_mirror(clip, tmp_path / "mirror.mp4")), Settings(video=False, report=False, threads=1))
    assert a.metrics["cva_deg"]["median"] is not None
    assert_mirror_invariant(a, b)


#: Real clips whose mirror image does not give the same answer yet (measured 2026-12-06).
#: MediaPipe's own asymmetry of the head points (a runner facing right read a steeper
#: ear->nose line and a lower CVA proxy) is taken off since analysis revision 8
#: (kinematics.metrics.facing_correction_deg): the garage, bystander and clean 1080p clips
#: agreed then (clip / mirror: garage head pitch 31.5 / 33.3 against a stated 5.6;
#: bystander forward_head possible / possible, 68.0 / 67.5; clean 1080p gaze_down absent /
#: absent, 22.4 / 21.0). The grass clip agrees since analysis revision 10: its mirror's
#: windows read the sprint after the cut at 17.5 s (steps.feet_return; 65 steps, 68 in
#: the clip), and the possible form_drift its mirror raised over steps 0-11 (waist bend
#: change 8.7, standard error 7.9 against a limit of 4) is no longer judged (drift_table's
#: ``resolvable``). The garage clip's gaze has disagreed again since analysis revision 9,
#: when the gaze error took in the camera height (below).
MIRROR_KNOWN: dict[str, str] = {
    "treadmill_side_male_garage_portrait_01.mp4": "gaze_down: possible in the clip, not measurable in its "
    "mirror (measured 2026-12-06, analysis revision 10). The head pitch reads 31.5 / 33.3 deg, within the "
    "stated 9.7; its error is 9.7 / 10.5 deg against the 10.4 deg from the mild threshold to looking at the "
    "feet, past which a clip cannot show the fault. The difference is the camera-height term (8.3 / 9.2): "
    "the camera pitch read from the shoulders is -4.0 / -5.3 deg. Over the 7 side-view clips and their "
    "mirrors that reading differs by -1.0 to +3.4 deg (facing left minus right, 4 positive, 3 negative or "
    "zero): noise of the pose model, not a bias a correction could take off",
}
REAL = sorted(p.name for p in SHARED_VIDEOS.glob("*.mp4")) if SHARED_VIDEOS.is_dir() else []


@pytest.mark.slow
@pytest.mark.realclips
@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=MIRROR_KNOWN[n])) if n in MIRROR_KNOWN else n
    for n in REAL] or ["(no real clips)"])
def test_real_clip_and_its_mirror_agree(name: str, offline, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mirror is analysed from the clip's own decoded frames flipped in memory
    (:func:`_analyze_mirrored`), not from a re-encoded mirror file: the pose model sees
    exactly the clip's pixels mirrored (a crf-1 file added its own small coding error), and
    the test no longer spends most of its time encoding and decoding that file (measured
    2026-12-06: 6-39 CPU s a clip, 169 s for the 8, against one pose pass each)."""
    from formcheck.model.settings import Settings

    src = real_clip(name)
    settings = Settings(video=False, report=False)
    # the clip's own analysis is shared (conftest); taken BEFORE the flip is patched in
    a = offline.analysis(src, settings)
    b = _analyze_mirrored(src, settings, monkeypatch)
    assert_mirror_invariant(a, b)
