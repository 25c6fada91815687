"""A clip whose view changes part-way: the runner turns round, or an edit joins two takes.

Every measure of a side view reads forward as the runner's facing: a clip that faces
left for 6 s and right for 6 s averaged to a yaw of ~270 deg, was called a *back* view,
and lost every fault (the garage treadmill clip followed by its own mirror image). Now
the clip is cut where the view changes (:func:`formcheck.kinematics.view.view_stretches`)
and its longest stretch with one view is measured, with a warning naming the stretches.

The yaw series here are built directly (the image head cue: nose ahead of the ears,
ears apart as the head turns to the camera), so the truth of every frame is known; the
end-to-end cases use the synthetic runner's landmarks and a real clip.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from conftest import analyse_landmarks

from formcheck.kinematics.view import (
    EAR_BREADTH_CM,
    MIN_STRETCH_S,
    NOSE_AHEAD_CM,
    STRETCH_MAX_SPREAD_DEG,
    VIEW_CHANGE_DEG,
    angle_diff,
    frame_yaw,
    view_stretches,
)
from formcheck.model.pose import PoseSeries
from formcheck.model.results import VideoMeta
from formcheck.model.skeleton import BLAZEPOSE as SK

FPS = 30.0


def _series(yaw_deg: np.ndarray) -> PoseSeries:
    """Landmarks whose image head cue reads ``yaw_deg`` in each frame (NaN: no runner)."""
    n = len(yaw_deg)
    ps = PoseSeries.empty(n, VideoMeta("yaw.mp4", FPS, n, 640, 480), SK)
    ps.t[:] = np.arange(n) / FPS
    k = 2.0  # px per cm
    for i, y in enumerate(yaw_deg):
        if not np.isfinite(y):
            continue
        r = math.radians(y)
        across, ahead = EAR_BREADTH_CM * math.sin(r) * k, NOSE_AHEAD_CM * math.cos(r) * k
        ps.xy[i, SK.index("left_ear")] = (320 + across / 2, 100)
        ps.xy[i, SK.index("right_ear")] = (320 - across / 2, 100)
        ps.xy[i, SK.index("nose")] = (320 + ahead, 105)
        for s in ("left", "right"):
            ps.xy[i, SK.index(f"{s}_shoulder")] = (320, 140)
            ps.xy[i, SK.index(f"{s}_hip")] = (320, 240)
        ps.visibility[i] = 0.9
    return ps


def _noisy(*parts: tuple[float, float], sd: float = 8.0, seed: int = 0) -> np.ndarray:
    """Stretches of (yaw deg, seconds), with the frame-to-frame spread of a real side view."""
    rng = np.random.default_rng(seed)
    return np.concatenate([y + rng.normal(0.0, sd, int(round(s * FPS))) for y, s in parts]) % 360.0


def test_the_yaw_series_reads_what_it_was_built_with():
    yaw = np.array([0.0, 45.0, 90.0, 180.0, 270.0, 330.0])
    got = frame_yaw(_series(yaw))
    assert np.allclose(angle_diff(got, yaw), 0.0, atol=1e-3)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("yaw", [0.0, 30.0, 90.0, 160.0, 200.0, 270.0])
def test_one_view_is_one_stretch(yaw, seed):
    """Any view, held for 12 s with a real clip's spread (8 deg; the real side-view
    clips read 3-21): never cut."""
    assert len(view_stretches(_series(_noisy((yaw, 12.0), seed=seed)))) == 1


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("first", "then"), [(0.0, 180.0), (180.0, 0.0), (0.0, 90.0), (180.0, 270.0),
                                             (90.0, 270.0), (20.0, 200.0), (0.0, 75.0)])
def test_a_turn_or_a_cut_between_takes_is_found_where_it_is(first, then, seed):
    yaw = _noisy((first, 5.0), (then, 7.0), seed=seed)
    st = view_stretches(_series(yaw))
    assert len(st) == 2
    assert abs(st[1].first - 150) <= 2  # within two frames of the cut
    assert abs(float(angle_diff(st[0].yaw_deg, first))) < 5.0
    assert abs(float(angle_diff(st[1].yaw_deg, then))) < 5.0
    assert st[0].first == 0 and st[1].last == len(yaw) and st[0].last == st[1].first


def test_front_then_side_then_back_gives_three_stretches():
    """A runner coming towards the camera, passing it, going away (three takes)."""
    st = view_stretches(_series(_noisy((90.0, 4.0), (0.0, 4.0), (270.0, 4.0))))
    assert [s.view[0] for s in st] == ["front", "side", "back"]


@pytest.mark.parametrize("seconds", [6.0, 12.0, 30.0])
@pytest.mark.parametrize("span", [90.0, 120.0, 180.0, 300.0])
def test_a_camera_panning_with_a_runner_going_by_is_not_cut(span, seconds):
    """The yaw sweeps smoothly (from facing the camera towards facing away): no part of it
    holds one view, so no cut is made (a cut needs stretches that each hold one view,
    :data:`STRETCH_MAX_SPREAD_DEG`)."""
    # halves of a smooth sweep lie 60 deg apart when it spans 120; each then spreads by
    # 1.4826 x 15 deg (the MAD of a uniform 60 deg span), past the one-view bar
    assert 1.4826 * 15.0 > STRETCH_MAX_SPREAD_DEG and VIEW_CHANGE_DEG >= 60.0
    n = int(seconds * FPS)
    for seed in range(3):
        yaw = (90.0 - span * np.arange(n) / (n - 1) + np.random.default_rng(seed).normal(0, 5, n)) % 360
        assert len(view_stretches(_series(yaw))) == 1, seed


def test_a_change_smaller_than_a_change_of_view_is_not_cut():
    """Side to a near-side oblique (40 deg, under :data:`VIEW_CHANGE_DEG`): one stretch."""
    assert VIEW_CHANGE_DEG > 40.0
    assert len(view_stretches(_series(_noisy((0.0, 6.0), (40.0, 6.0))))) == 1


def test_a_glimpse_shorter_than_a_stretch_is_not_cut():
    """One second of the other facing (a head turned, a swap of labels): under
    :data:`MIN_STRETCH_S`, so not a view of its own."""
    assert MIN_STRETCH_S > 1.0
    assert len(view_stretches(_series(_noisy((0.0, 5.0), (180.0, 1.0), (0.0, 5.0))))) == 1


def test_frames_without_the_runner_do_not_move_the_cut():
    yaw = _noisy((0.0, 5.0), (180.0, 7.0))
    yaw[120:165] = np.nan  # the runner out of sight across the cut at 150
    st = view_stretches(_series(yaw))
    assert len(st) == 2 and 119 <= st[1].first <= 166
    assert st[0].frames_with_yaw == 120 and st[1].frames_with_yaw == 360 - 165


def _world(yaw_deg: np.ndarray, swapped: np.ndarray) -> PoseSeries:
    """World landmarks of a body facing ``yaw_deg`` (x right, y down, z away from the
    camera), the model's left/right labels swapped in the frames of ``swapped``."""
    ps = _series(yaw_deg)
    r = np.radians(yaw_deg)[:, None]
    left = np.hstack([np.sin(r), np.zeros_like(r), np.cos(r)])  # the runner's left
    ahead = np.hstack([np.cos(r), np.zeros_like(r), -np.sin(r)])
    lab = np.where(swapped[:, None], -1.0, 1.0)
    for name, y, half in (("shoulder", -0.5, 0.2), ("hip", 0.0, 0.15), ("ear", -0.75, 0.07)):
        ps.world[:, SK.index(f"left_{name}")] = lab * half * left + (0, y, 0)
        ps.world[:, SK.index(f"right_{name}")] = -lab * half * left + (0, y, 0)
    ps.world[:, SK.index("nose")] = 0.1 * ahead + (0, -0.75, 0)
    return ps


def test_the_body_axis_gives_the_yaw_and_the_head_undoes_swapped_labels():
    """The body axis (steadier than the head) is read in every frame; in frames where the
    model swapped left and right it points backwards, and the head turns it round."""
    rng = np.random.default_rng(3)
    yaw = _noisy((0.0, 4.0), (180.0, 4.0), seed=3)
    swapped = rng.random(len(yaw)) < 0.2
    got = frame_yaw(_world(yaw, swapped))
    assert np.allclose(angle_diff(got, yaw), 0.0, atol=1e-3)
    st = view_stretches(_world(yaw, swapped))
    assert [s.view[1] for s in st] == ["right", "left"]


def test_no_runner_gives_no_stretch():
    assert view_stretches(_series(np.full(60, np.nan))) == []


# ---- end to end: the synthetic runner, and a real clip


def _join(a: PoseSeries, b: PoseSeries) -> PoseSeries:
    n = len(a) + len(b)
    ps = PoseSeries(np.concatenate([a.t, b.t + a.t[-1] + 1.0 / FPS]),
                    np.concatenate([a.xy, b.xy]), np.concatenate([a.z, b.z]),
                    np.concatenate([a.visibility, b.visibility]), np.concatenate([a.world, b.world]),
                    a.video.replace(frames=n), {"method": "synthetic"}, skeleton=a.skeleton)
    return ps


def test_a_synthetic_runner_turning_round_is_measured_on_its_longer_stretch():
    """Facing right for 4 s, then left for 7 s (its head 25 deg forward in the left
    stretch only): the left stretch is measured, as the left stretch alone is."""
    from formcheck.synth.landmarks import pose_series
    from formcheck.synth.runner import ACCURACY_BASE

    base = replace(ACCURACY_BASE, fps=FPS, head_forward_deg=4.0)
    right = pose_series(replace(base, facing="right", duration_s=4.0), noise_px=0.5, seed=1)
    left = pose_series(replace(base, facing="left", duration_s=7.0, head_forward_deg=25.0),
                       noise_px=0.5, seed=2)
    both = analyse_landmarks(_join(right, left))
    alone = analyse_landmarks(left)
    assert (both.view.view, both.view.facing) == ("side", "left")
    assert any("the view changes during the clip" in w for w in both.warnings), both.warnings
    assert [s["facing"] for s in both.view.cues["stretches"]] == ["right", "left"]
    assert both.view.cues["analysed_stretch"] == 1
    # the turn's frames are left out: only the left stretch's frames carry the runner
    assert not both.pose.detected[: len(right)].any()
    for metric in ("cva_deg", "trunk_lean_deg", "neck_trunk_angle_deg"):
        # the same frames, measured the same way; the steps at the cut may differ
        assert both.metrics[metric]["median"] == pytest.approx(alone.metrics[metric]["median"], abs=1.0), metric
    assert {f.code: f.status for f in both.faults} == {f.code: f.status for f in alone.faults}


def test_a_clip_of_one_view_is_measured_whole():
    from formcheck.synth.landmarks import pose_series
    from formcheck.synth.runner import ACCURACY_BASE

    a = analyse_landmarks(pose_series(replace(ACCURACY_BASE, fps=FPS, duration_s=8.0), noise_px=0.5))
    assert "stretches" not in a.view.cues
    assert not any("view changes" in w for w in a.warnings)
    assert a.pose.detected.all()


@pytest.mark.slow
def test_a_real_clip_followed_by_its_mirror_keeps_its_faults(offline, monkeypatch):
    """The garage treadmill clip with every frame from 6 s on flipped left-right (an edit
    joining a take from each side of the treadmill): measured on one facing, it keeps the
    faults the clip shows whole (before: a 'back' view and no fault at all)."""
    from conftest import real_clip

    from formcheck.io.video import Frame
    from formcheck.model.settings import Settings
    from formcheck.pipeline.run import analyze
    from formcheck.pose import landmarker

    src = real_clip("treadmill_side_male_garage_portrait_01.mp4")
    settings = Settings(video=False, report=False)
    whole = offline.analysis(src, settings)
    decode = landmarker.iter_frames

    def turned(*args, **kwargs):
        for fr in decode(*args, **kwargs):
            yield Frame(fr.index, fr.time_s, np.ascontiguousarray(fr.rgb[:, ::-1]) if fr.time_s >= 6.0 else fr.rgb)

    with monkeypatch.context() as m:
        m.setattr(landmarker, "iter_frames", turned)
        edited = analyze(str(src), settings)
    assert edited.view.view == "side"
    assert [s["facing"] for s in edited.view.cues["stretches"]] == ["left", "right"]
    assert {f.code: f.status for f in edited.faults} == {f.code: f.status for f in whole.faults}
