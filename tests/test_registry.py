"""The metric registry agrees with what formcheck computes and judges, both ways.

Every metric the kinematics compute per frame, and every column of the per-step table
of a whole analysis, has a registry entry; every entry is computed. The norm band an
entry names exists and judges that metric, and its better direction is the opposite of
the threshold's worse direction.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import analyse_landmarks

from formcheck.assess.norms import THRESHOLDS
from formcheck.assess.verdict import CHECKS, THRESHOLD_BY_METRIC
from formcheck.kinematics import metrics as M
from formcheck.model import registry
from formcheck.model.pose import PoseSeries
from formcheck.model.results import VideoMeta
from formcheck.model.skeleton import BLAZEPOSE as SK

NOSE = SK.index("nose")
(L_EAR, R_EAR), (L_SHOULDER, R_SHOULDER), (L_HIP, R_HIP), (L_ANKLE, R_ANKLE) = (
    SK.pair(p) for p in ("ear", "shoulder", "hip", "ankle"))
N_LANDMARKS = SK.n

#: Per-step table columns that are not metrics (where and when the step is).
STEP_PLACE_COLUMNS = {"step", "frame_start", "frame_end", "mid_stance_frame", "t_start_s", "t_end_s",
                      "duration_s"}


def _random_series(n: int = 5) -> PoseSeries:
    rng = np.random.default_rng(0)
    s = PoseSeries.empty(n, VideoMeta("x.mp4", 30.0, n, 640, 480))
    s.xy[:] = rng.uniform(100, 400, size=(n, N_LANDMARKS, 2))
    s.visibility[:] = 0.9
    return s


def test_every_per_frame_metric_has_an_entry_and_every_entry_is_computed() -> None:
    s = _random_series()
    side = M.side_view_frame_metrics(M.body_points(s), 1)
    front = M.front_view_frame_metrics(s)
    assert tuple(side) == registry.SIDE_FRAME_METRICS
    assert tuple(front) == registry.FRONT_FRAME_METRICS


def test_whole_analysis_computes_exactly_the_registry_metrics() -> None:
    """A synthetic side-view run with the runner's height given (so the cm metrics are
    made): the per-step table has one column per side-view and every-view entry, the
    per-frame table one per side-view per-frame entry, the summary one per entry."""
    from formcheck.synth.landmarks import pose_series
    from formcheck.synth.runner import RunnerSpec

    ps = pose_series(RunnerSpec(cadence_spm=170, fps=30, duration_s=6.0), noise_px=0.5)
    a = analyse_landmarks(ps, height_cm=175.0)
    assert a.view.sagittal
    side_any = {m.key for m in registry.METRICS if m.views in ("side", "any")}
    assert set(a.step_table.columns) - STEP_PLACE_COLUMNS == side_any
    assert set(a.frames.columns) & set(registry.BY_KEY) == set(registry.SIDE_FRAME_METRICS)
    assert list(a.metrics) == [m.key for m in registry.METRICS]
    measured = {k for k, v in a.metrics.items() if v["measurable"]}
    assert measured == side_any


def test_norm_links_point_at_thresholds_that_judge_the_metric() -> None:
    for th_key, th in THRESHOLDS.items():
        assert registry.BY_KEY[th.metric].norm == th_key, th_key
    linked = {m.key: THRESHOLDS[m.norm] for m in registry.METRICS if m.norm}
    assert linked == THRESHOLD_BY_METRIC
    for m in registry.METRICS:
        if m.norm:
            th = THRESHOLDS[m.norm]
            assert m.unit == th.unit, m.key
            assert m.better == {"below": "higher", "above": "lower"}[th.direction], m.key
            assert m.fault in registry.FAULT_BY_CODE, m.key


def test_faults_match_the_checks_and_the_thresholds() -> None:
    assert tuple(f.code for f in registry.FAULTS) == CHECKS
    assert sorted(n for f in registry.FAULTS for n in f.norms) == sorted(THRESHOLDS)


def test_entries_are_unique_and_well_formed() -> None:
    keys = [m.key for m in registry.METRICS]
    assert len(keys) == len(set(keys))
    for m in registry.METRICS:
        assert m.label and m.short and m.description and m.unit, m.key
        if m.per_step in ("median", "stride", "stance"):
            assert m.per_frame, f"{m.key}: a step median needs per-frame values"
        assert not (m.timeline and not m.per_frame), f"{m.key}: the timeline draws per-frame values"


@pytest.mark.parametrize("key", ["cva_deg", "cadence_spm", "shoulder_tilt_deg"])
def test_derived_lists_follow_the_registry(key: str) -> None:
    """The lists other modules show are views of the registry (a sample of them)."""
    from formcheck.assess.analysis import ALL_METRICS
    from formcheck.assess.change import KEY_METRICS, METRIC_LABELS, METRIC_UNITS
    from formcheck.render.report import LABELS

    m = registry.BY_KEY[key]
    assert ALL_METRICS[key] == (m.unit, m.description)
    assert LABELS[key] == m.label and METRIC_LABELS[key] == m.short and METRIC_UNITS[key] == m.unit
    assert (key in KEY_METRICS) == m.key_metric


def test_stride_of_a_step_is_the_step_and_the_one_before_it() -> None:
    from formcheck.assess.analysis import _stride_start
    from formcheck.kinematics.steps import Steps

    bounds = [(5, 15), (15, 26), (30, 40)]  # a gap before the third step
    steps = Steps(np.array([5, 15, 26, 30, 40]), bounds, {}, 170.0, 0.7, "steps")
    assert [_stride_start(steps, k) for k in range(3)] == [0, 5, 20]


def test_clock_metrics_are_exactly_those_withheld_for_a_proposed_slow_motion() -> None:
    """A 2x slow-motion clip with no speed given: formcheck proposes the factor and
    withholds the rates; the registry's ``clock`` metrics are exactly the ones withheld
    (front-view metrics aside: a side view does not measure them)."""
    from formcheck.synth.landmarks import pose_series, slow_motion_spec
    from formcheck.synth.runner import RunnerSpec

    real = RunnerSpec(cadence_spm=170, fps=30, duration_s=6.0, vertical_oscillation_cm=7.0)
    ps = pose_series(slow_motion_spec(real, 2), hip_asym=0.3, noise_px=0.5)
    a = analyse_landmarks(ps, height_cm=175.0)
    assert a.timing.source == "proposed"
    withheld = {k for k, v in a.metrics.items() if not v["measurable"]}
    front = {m.key for m in registry.of_view("front")}
    assert withheld - front == {m.key for m in registry.METRICS if m.clock}
