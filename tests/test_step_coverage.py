"""Steps the detector could not find: how much of the running time the counted steps fill
(:func:`formcheck.kinematics.steps.step_coverage`), and the note when it is too little.

Counted steps run mid-stance to mid-stance, one after another, so any time between two
of them is steps that were not counted. On a clip whose rhythm shows throughout they
fill all of it (the pace-change grid of tests/test_steps_pace_change.py asserts there is
no note); hips hidden for 2 s of a 12 s run leave a gap there, and the analysis says so.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import analyse_landmarks

from formcheck.kinematics.steps import MIN_STEP_COVERAGE, Steps, step_coverage
from formcheck.model.skeleton import BLAZEPOSE as SK
from formcheck.synth.landmarks import pose_series
from formcheck.synth.runner import RunnerSpec

NOTE = "steps were found for only"


def test_coverage_is_the_share_of_time_the_counted_steps_fill():
    times = {0: 0.0, 10: 0.35, 20: 0.70, 40: 1.40, 50: 1.75}
    steps = Steps(np.array(list(times)), [(0, 10), (10, 20), (40, 50)], times, 0.35, 171.4)
    coverage, gaps = step_coverage(steps)
    assert coverage == pytest.approx(1.05 / 1.75)
    assert gaps == [(0.70, 1.40)]
    whole = Steps(np.array(list(times)), [(0, 10), (10, 20)], times, 0.35, 171.4)
    assert step_coverage(whole) == (1.0, [])
    windows = Steps(np.array([0, 10]), [(0, 10)], times, float("nan"), float("nan"), kind="windows")
    assert step_coverage(windows) == (1.0, [])


@pytest.mark.parametrize("facing", ["left", "right"])
def test_a_steady_runner_has_no_note(facing):
    ps = pose_series(RunnerSpec(cadence_spm=170, fps=30, duration_s=12.0, facing=facing), noise_px=0.7)
    a = analyse_landmarks(ps)
    assert step_coverage(a.steps)[0] == 1.0
    assert not [w for w in a.warnings if w.startswith(NOTE)]


@pytest.mark.parametrize(("start", "end"), [(5.0, 7.0), (3.0, 6.0)])
def test_hips_hidden_for_a_while_leave_a_gap_the_note_names(start, end):
    """The hips (and so the bounce) unknown from ``start`` to ``end`` s: no step can be
    counted there, the counted ones fill under 90% of the run, and the note gives the
    gap, which holds the hidden time less at most a step at each side."""
    spec = RunnerSpec(cadence_spm=170, fps=30, duration_s=12.0)
    ps = pose_series(spec, noise_px=0.7)
    hidden = (ps.t >= start) & (ps.t < end)
    for i in SK.pair("hip"):
        ps.xy[hidden, i] = np.nan
        ps.visibility[hidden, i] = 0.0
    a = analyse_landmarks(ps)
    coverage, gaps = step_coverage(a.steps)
    assert coverage < MIN_STEP_COVERAGE
    period = 60.0 / spec.cadence_spm
    assert any(g0 <= start + period and g1 >= end - period for g0, g1 in gaps), gaps
    note = next(w for w in a.warnings if w.startswith(NOTE))
    assert f"{100 * coverage:.0f}%" in note


def test_the_gaps_are_given_on_the_playback_clock():
    """With a slow-motion factor applied, steps are timed in real time, but the note
    gives the gap where a player shows it: hips hidden from 10 to 14 s of a 2x clip's
    playback (of 24 s) are named near 10-14 s, not 5-7 s."""
    import re

    from formcheck.synth.landmarks import slow_motion_spec

    real = RunnerSpec(cadence_spm=170, fps=30, duration_s=24.0)
    ps = pose_series(slow_motion_spec(real, 2), noise_px=0.7)
    assert ps.t[-1] > 20.0  # the spec's duration is the playback's
    hidden = (ps.t >= 10.0) & (ps.t < 14.0)
    for i in SK.pair("hip"):
        ps.xy[hidden, i] = np.nan
        ps.visibility[hidden, i] = 0.0
    a = analyse_landmarks(ps, speed=2.0)
    note = next(w for w in a.warnings if w.startswith(NOTE))
    gaps = [(float(x), float(y)) for x, y in re.findall(r"(\d+\.\d)-(\d+\.\d) s", note)]
    step = 2 * 60.0 / real.cadence_spm  # one step on the playback clock
    assert any(g0 <= 10.0 + step and g1 >= 14.0 - step for g0, g1 in gaps), (gaps, note)
