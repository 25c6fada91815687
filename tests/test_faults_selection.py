"""Fault rules, runner selection and view detection on constructed data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from formcheck.assess.faults import SEVERITY_RANK, find_faults
from formcheck.assess.norms import THRESHOLDS, WHOLE_BODY_LEAN_MAX_BEND
from formcheck.kinematics.view import detect_view
from formcheck.model.pose import PoseSeries
from formcheck.model.results import VideoMeta
from formcheck.model.skeleton import BLAZEPOSE as SK
from formcheck.pose.landmarker import Candidates
from formcheck.pose.selection import select_runner

NOSE = SK.index("nose")
(L_EAR, R_EAR), (L_SHOULDER, R_SHOULDER), (L_HIP, R_HIP), (L_ANKLE, R_ANKLE) = (
    SK.pair(p) for p in ("ear", "shoulder", "hip", "ankle"))
N_LANDMARKS = SK.n


def step_table(n: int = 12, **values: float | list[float]) -> pd.DataFrame:
    base = {
        "cva_deg": 80.0, "trunk_lean_deg": 6.0, "waist_bend_deg": -8.0,
        "shoulder_elevation_torso": 0.3, "head_pitch_deg": 12.0,
        "vertical_oscillation_torso": 0.15, "neck_trunk_angle_deg": 4.0,
    }
    base.update(values)
    df = pd.DataFrame({k: np.broadcast_to(np.asarray(v, float), (n,)) for k, v in base.items()})
    df.insert(0, "step", np.arange(n))
    df["frame_start"] = np.arange(n) * 10
    df["frame_end"] = df["frame_start"] + 10
    df["mid_stance_frame"] = df["frame_start"]
    df["t_start_s"] = df["frame_start"] / 30.0
    return df


def test_clean_runner_has_no_faults() -> None:
    assert find_faults(step_table(), "side", height_known=False) == []


_FH = THRESHOLDS["forward_head"]


@pytest.mark.parametrize(("cva", "severity"), [((_FH.mild + _FH.moderate) / 2, "mild"),
                                               ((_FH.moderate + _FH.severe) / 2, "moderate"),
                                               (_FH.severe - 5.0, "severe")])
def test_forward_head_severity_and_evidence(cva: float, severity: str) -> None:
    offsets = [3, 1, -2, 0, 4, -4, 2, -1, 5, -30, 1, 0]  # step 9: a one-step glitch
    values = [cva + d for d in offsets]
    faults = find_faults(step_table(cva_deg=values), "side", height_known=False)
    assert [f.code for f in faults] == ["forward_head"]
    f = faults[0]
    # the median's band; the severity stated is judged on the interval (median +/- the
    # clip's error) and is never above it (tests/test_severity.py)
    assert f.evidence.median_band == severity
    assert SEVERITY_RANK[f.severity] <= SEVERITY_RANK[severity]
    # The evidence step is a bad but typical step (10th percentile), not the glitch.
    assert f.evidence.worst.step == 5
    assert f.evidence.worst.value == pytest.approx(cva - 4)
    assert f.evidence.threshold["mild"] == THRESHOLDS["forward_head"].mild
    assert f.evidence.threshold["kind"] == "calibrated proxy"
    assert "chin tucks" in f.advice


def test_whole_body_lean_is_not_a_waist_fault() -> None:
    lean = step_table(trunk_lean_deg=16.0, waist_bend_deg=WHOLE_BODY_LEAN_MAX_BEND - 6)
    assert find_faults(lean, "side", height_known=False) == []
    bend = step_table(trunk_lean_deg=16.0, waist_bend_deg=1.0)
    assert [f.code for f in find_faults(bend, "side", height_known=False)] == ["waist_lean"]


def test_bounce_uses_cm_when_height_known() -> None:
    df = step_table(vertical_oscillation_torso=0.15, vertical_oscillation_cm=13.0)
    assert [f.code for f in find_faults(df, "side", height_known=True)] == ["excessive_bounce"]
    assert find_faults(df, "side", height_known=False) == []


def test_drift_detected_first_vs_last_third() -> None:
    cva = np.linspace(86, 76, 12).tolist()  # stays above the threshold, but drops 10 deg
    faults = find_faults(step_table(cva_deg=cva), "side", height_known=False)
    assert [f.code for f in faults] == ["form_drift"]
    assert faults[0].evidence.changes["cva_deg"].change < -5


def test_side_faults_not_reported_for_front_view() -> None:
    df = step_table(cva_deg=40.0)
    df["left_shoulder_elevation_torso"] = 0.3
    df["right_shoulder_elevation_torso"] = 0.3
    assert find_faults(df, "front", height_known=False) == []


def test_severity_order() -> None:
    # mild forward head, severe gaze down
    from formcheck.assess.faults import ClipContext
    from formcheck.assess.norms import GAZE_CALIBRATION_PITCH_DEG

    df = step_table(cva_deg=_FH.mild - 0.5, head_pitch_deg=THRESHOLDS["gaze_down"].severe + 20)
    ctx = ClipContext(200.0, GAZE_CALIBRATION_PITCH_DEG)  # a camera height the gaze can be read at
    assert [f.code for f in find_faults(df, "side", False, ctx=ctx)] == ["gaze_down", "forward_head"]


# --- runner selection -------------------------------------------------------------------

def _person(n: int, cx: float, size: float, runner: bool, fps: float = 30.0) -> np.ndarray:
    """(n, 33, 2) landmarks of a side-view figure centred at cx; a runner alternates feet."""
    t = np.arange(n) / fps
    xy = np.zeros((n, N_LANDMARKS, 2), np.float32)
    xy[:, :, 0] = cx
    xy[:, :, 1] = 300.0
    xy[:, [11, 12], 1] = 300.0 - size  # shoulders
    xy[:, [23, 24], 1] = 300.0  # hips
    xy[:, [7, 8], 1] = 300.0 - 1.3 * size
    xy[:, 0, 1] = 300.0 - 1.25 * size
    xy[:, 0, 0] = cx + 0.1 * size
    swing = 0.4 * size * np.sin(2 * np.pi * 1.4 * t) if runner else 0 * t
    xy[:, 27, 1] = 300.0 + 1.8 * size - np.clip(swing, 0, None)
    xy[:, 28, 1] = 300.0 + 1.8 * size - np.clip(-swing, 0, None)
    return xy


def test_runner_chosen_over_larger_bystander() -> None:
    n = 120
    video = VideoMeta("x.mp4", 30.0, n, 1280, 720)
    runner = _person(n, 500.0, 100.0, runner=True)
    bystander = _person(n, 900.0, 160.0, runner=False)  # bigger, standing still
    xy = np.full((n, 2, N_LANDMARKS, 2), np.nan, np.float32)
    # Candidate order swaps every frame, as the model gives no stable order.
    for i in range(n):
        a, b = (runner[i], bystander[i]) if i % 2 else (bystander[i], runner[i])
        xy[i, 0], xy[i, 1] = a, b
    cand = Candidates(np.arange(n) / 30.0, xy, np.zeros((n, 2, N_LANDMARKS), np.float32),
                      np.full((n, 2, N_LANDMARKS), 0.9, np.float32),
                      np.zeros((n, 2, N_LANDMARKS, 3), np.float32), np.full(n, 2, np.int8))
    series = select_runner(cand, video, people_seen=2)
    assert np.allclose(series.xy[:, 11, 0], 500.0)
    assert series.selection["method"] == "multi_person_track_score"
    assert series.selection["chosen"]["gait"] > series.selection["runner_up"]["gait"]


def test_view_side_vs_front() -> None:
    n = 60
    video = VideoMeta("x.mp4", 30.0, n, 640, 480)
    side = PoseSeries.empty(n, video)
    side.xy[:] = _person(n, 300.0, 100.0, runner=True)
    side.visibility[:] = 0.9
    v = detect_view(side)
    assert (v.view, v.facing) == ("side", "right")
    assert detect_view(side.mirrored()).facing == "left"

    front = PoseSeries.empty(n, video)
    front.xy[:] = side.xy
    front.xy[:, [11, 23, 7], 0] += 30.0  # runner's left on the viewer's right
    front.xy[:, [12, 24, 8], 0] -= 30.0
    front.xy[:, 0, 0] = 300.0
    front.visibility[:] = 0.9
    v = detect_view(front)
    assert v.view == "front" and v.facing is None
    assert detect_view(front, forced="side").view == "side"


def test_steps_with_an_odd_trunk_are_left_out() -> None:
    from formcheck.assess.analysis import _drop_posture_outliers
    from formcheck.kinematics.steps import Steps

    n = 10
    bounds = [(10 * k, 10 * (k + 1)) for k in range(n)]
    times = {10 * k: k / 3.0 for k in range(n + 1)}
    steps = Steps(np.arange(0, 10 * (n + 1), 10), bounds, times, 1 / 3, 180.0)
    lean = [5.0, 4.0, 6.0, 5.5, 4.5, 5.0, 6.0, 4.0, 5.0, 33.0]  # the last: hands on the rails
    table = step_table(n, trunk_lean_deg=lean)
    kept, out, dropped = _drop_posture_outliers(steps, table)
    assert dropped == 1 and len(out) == 9 and kept.count == 9
    assert out["trunk_lean_deg"].max() == 6.0
    assert list(out["step"]) == list(range(9))
    same, _, none = _drop_posture_outliers(steps, step_table(n, trunk_lean_deg=lean[:-1] + [7.0]))
    assert none == 0 and same.count == n
