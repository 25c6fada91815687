"""Cadence exact on clean runners, and slow motion never giving a third number (issue 18).

The synthetic runner's landmarks (:func:`formcheck.synth.landmarks.pose_series`, no pose
model) go through the whole analysis (:func:`finish_analysis`), so the printed summary
cadence is what is checked, over a grid of cadences, facings, frame rates, clip lengths
and posture change points (an abrupt head change, a gradual drift).
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from conftest import analyse_landmarks

from formcheck.model.settings import Settings
from formcheck.synth.landmarks import pose_series, slow_motion_spec
from formcheck.synth.runner import RunnerSpec

#: The issue's "done when": no printed cadence off by more than 1%.
CADENCE_REL_TOL = 0.01


CHANGES = {
    "none": {},
    "head_jump": dict(head_forward_step_deg=20.0),  # at mid-clip, set below
    "drift": dict(head_forward_drift_deg=15.0),
}


def _grid():
    """Cadence x frame rate x clip length; facing, change point and the pose model's
    faults (hip asymmetry, ankle label swaps) rotate along the grid so every value of
    each appears with several of the others. 3 s is the shortest clip with the 8 steps
    a per-step summary needs at 160 steps/min."""
    combos = itertools.product((150, 163, 170, 176, 190, 205), (24, 30, 60, 120), (3.0, 6.0, 10.0))
    for i, (cad, fps, dur) in enumerate(combos):
        if fps >= 60 and dur > 6.0:
            continue  # long high-rate clips add time, not cases
        facing = ("left", "right")[i % 2]
        change = tuple(CHANGES)[(i // 2) % 3]
        yield pytest.param(cad, fps, dur, facing, change, (0.0, 0.3, 0.6)[i % 3], bool((i // 3) % 2),
                           id=f"{cad}spm-{fps}fps-{dur:g}s-{facing}-{change}")


@pytest.mark.parametrize(("cadence", "fps", "duration", "facing", "change", "hip_asym", "swap"),
                         list(_grid()))
def test_summary_cadence_within_one_percent(cadence, fps, duration, facing, change, hip_asym, swap) -> None:
    extra = dict(CHANGES[change])
    if change == "head_jump":
        extra["head_forward_step_s"] = duration / 2
    spec = RunnerSpec(cadence_spm=cadence, fps=fps, duration_s=duration, facing=facing,
                      head_forward_deg=3.0, vertical_oscillation_cm=8.0, **extra)
    ps = pose_series(spec, hip_asym=hip_asym, ankle_swap=swap, noise_px=0.7, seed=cadence + fps)
    a = analyse_landmarks(ps)
    got = a.metrics["cadence_spm"]["median"]
    assert got is not None, a.warnings
    assert got == pytest.approx(cadence, rel=CADENCE_REL_TOL)
    # steps / time: the steps counted over the time from the first to the last mid-stance
    st = a.steps
    span = st.times[st.bounds[-1][1]] - st.times[st.bounds[0][0]]
    contiguous = all(b0[1] == b1[0] for b0, b1 in itertools.pairwise(st.bounds))
    if contiguous:
        assert 60.0 * st.count / span == pytest.approx(cadence, rel=CADENCE_REL_TOL)


def test_edge_steps_keep_their_length() -> None:
    """The first and last steps of a clip whose step is not a whole number of frames
    (0.353 s at 24 fps = 8.47 frames) are as long as the others: the band-pass and phase
    are padded with whole periods, not whole frames (before: 0.343 and 0.335 s)."""
    spec = RunnerSpec(cadence_spm=170, fps=24, duration_s=3.0, facing="right")
    a = analyse_landmarks(pose_series(spec, noise_px=0.0))
    st = a.steps
    d = np.array([st.times[b] - st.times[e] for e, b in st.bounds])
    # every step, the edge ones too, within the 1% the cadence is held to
    assert np.abs(d / (60.0 / 170) - 1.0).max() < CADENCE_REL_TOL


# ---- slow motion: the real cadence, or withheld with the factor; never a third number


def _slow_cases():
    """Factors 1.5-10 at both facings; the clip holds at least 4.5 real steps (3 s of
    playback per unit of factor, 16 s at most)."""
    for i, (factor, facing) in enumerate(itertools.product((1.5, 2, 3, 4, 6, 8, 10), ("left", "right"))):
        yield pytest.param(factor, facing, (176, 168, 184)[i % 3], (30, 60)[(i // 2) % 2],
                           id=f"{factor:g}x-{facing}")


@pytest.mark.parametrize(("factor", "facing", "real_cadence", "fps"), list(_slow_cases()))
def test_slow_motion_real_or_withheld(factor, facing, real_cadence, fps) -> None:
    real = RunnerSpec(cadence_spm=real_cadence, fps=fps, facing=facing,
                      duration_s=min(3.0 * factor, 16.0), vertical_oscillation_cm=7.0,
                      head_forward_deg=3.0)
    ps = pose_series(slow_motion_spec(real, factor), hip_asym=0.3, ankle_swap=True, noise_px=0.7)
    found = analyse_landmarks(ps)
    printed = found.metrics["cadence_spm"]["median"]
    if printed is not None:  # only the real cadence may be printed without --speed ...
        assert printed == pytest.approx(real_cadence, rel=CADENCE_REL_TOL)
    else:  # ... or it is withheld with the proposed factor (which may differ from the
        # true one: 6x of 190 and 5x of 158 both read 32 at playback)
        assert found.timing.proposed_factor is not None, found.warnings
        k = found.timing.proposed_factor
        assert f"--speed {k:g}" in " ".join(found.warnings)
        assert not found.metrics["cadence_spm"]["measurable"]
    given = analyse_landmarks(ps, speed=float(factor))
    assert given.metrics["cadence_spm"]["median"] == pytest.approx(real_cadence, rel=CADENCE_REL_TOL)


# ---- trunk lean independent of the head (not fixed: measured and kept as a strict xfail)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "the pose model pulls the shoulder landmarks forward with the head: on the rendered "
    "runner (320x240, 180 px tall, body lean 0) a head-only change 0 -> 25 deg moved the far "
    "shoulder forward by ~45% and the near one by ~11-17% of the ear's shift, and trunk lean "
    "by +1.6 to +1.9 deg (both facings, 2 sizes). Near-side shoulder and hip alone leave "
    "+0.8 to +1.5 deg; a correction proportional to the neck offset would over-correct the "
    "bundled forward-head clip, whose trunk lean reads as biased as the clean one's (+0.9)"))
def test_head_only_change_leaves_trunk_lean(tmp_path) -> None:
    from formcheck.assess.analysis import analyze_extracted
    from formcheck.pose.extract import extract_runner
    from formcheck.synth.render import render_clip

    settings = Settings(video=False, report=False, threads=1)
    base = RunnerSpec(width=320, height=240, runner_height_px=180.0, duration_s=3.0, body_lean_deg=0.0,
                      seed=5, facing="right")
    lean = {}
    for head in (0.0, 25.0):
        clip = tmp_path / f"head{head:g}.mp4"
        render_clip(replace(base, head_forward_deg=head), clip)
        a = analyze_extracted(extract_runner(str(clip), settings), settings)
        lean[head] = a.metrics["trunk_lean_deg"]["median"]
    # the bar: a head-only change of 0-25 deg moves trunk lean by under 1 deg
    assert abs(lean[25.0] - lean[0.0]) < 1.0
