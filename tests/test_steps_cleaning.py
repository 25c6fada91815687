"""Step detection, cadence and cleaning on synthetic signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import analyse_landmarks

from formcheck.errors import ClipTooShortError
from formcheck.kinematics.cleaning import clean, fill_gaps, hampel_mask, lowpass
from formcheck.kinematics.steps import bounce_signal, detect_steps, dominant_period, step_period
from formcheck.model.pose import PoseSeries
from formcheck.model.results import VideoMeta


def bounce(cadence: float, fps: float, seconds: float, asym: float = 0.0, noise: float = 0.0,
           seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hip y (px, down +) bouncing once per step; every other step ``asym`` deeper.

    Lowest hip (max y) at t = k / step_rate. Also returns the feet signal
    (left-minus-right ankle height, one cycle per stride).
    """
    t = np.arange(int(seconds * fps)) / fps
    f_step = cadence / 60.0
    y = 400 + 10 * np.cos(2 * np.pi * f_step * t) + asym * 10 * np.cos(np.pi * f_step * t)
    rng = np.random.default_rng(seed)
    y = y + rng.normal(0, noise, size=t.shape)
    feet = 30 * np.sin(np.pi * f_step * t)
    return t, y, feet


@pytest.mark.parametrize("cadence", [150.0, 168.0, 182.0, 200.0])
@pytest.mark.parametrize("fps", [24.0, 30.0, 60.0, 120.0])
def test_cadence_recovered(cadence: float, fps: float) -> None:
    t, y, feet = bounce(cadence, fps, 10.0, noise=0.3)
    steps = detect_steps(y, np.full_like(y, 100.0), t, fps, feet)
    assert steps.cadence_spm == pytest.approx(cadence, abs=1.5)
    assert steps.count >= int(10 * cadence / 60) - 3


def test_strong_left_right_asymmetry_still_counts_steps_not_strides() -> None:
    t, y, feet = bounce(170.0, 30.0, 10.0, asym=0.8)
    steps = detect_steps(y, np.full_like(y, 100.0), t, 30.0, feet)
    assert steps.cadence_spm == pytest.approx(170.0, abs=2.0)


def test_stride_term_larger_than_the_bounce_counts_steps_when_the_feet_are_clean() -> None:
    """A small bounce under a left/right difference twice its size (the hips' correlation
    after one step is (1 - 4) / (1 + 4) = -0.6): the feet, reversing after a step and
    back after a stride, still make it a step. 6 s at 200 steps/min, as in a live window
    on a 3 cm runner (before: the stride, 100 steps/min)."""
    t, y, feet = bounce(200.0, 30.0, 6.0, asym=2.0, noise=0.3)
    steps = detect_steps(y, np.full_like(y, 100.0), t, 30.0, feet)
    assert steps.period_s == pytest.approx(0.3, abs=1.0 / 30.0)
    assert steps.cadence_spm == pytest.approx(200.0, rel=0.01)


def test_hip_period_of_three_steps_is_one_step() -> None:
    """Hips whose autocorrelation peaks at three steps (a component repeating every third
    step, as a short window's noise can give) pass the feet's test (they reverse after
    any odd number of steps); the feet's own step is taken (before: 0.9 s)."""
    fps, step = 30.0, 0.3
    t = np.arange(int(6.0 * fps)) / fps
    y = 400 + 10 * np.cos(2 * np.pi * t / (3 * step)) + 5 * np.cos(2 * np.pi * t / step)
    feet = 30 * np.sin(np.pi * t / step)
    x = bounce_signal(y, np.full_like(y, 100.0), fps)
    assert dominant_period(x, fps) == pytest.approx(3 * step, abs=1.0 / fps)  # the premise
    assert step_period(x, feet, fps) == pytest.approx(step, abs=1.0 / fps)


def test_mid_stance_is_lowest_hip() -> None:
    t, y, feet = bounce(180.0, 60.0, 6.0)
    steps = detect_steps(y, np.full_like(y, 100.0), t, 60.0, feet)
    # Lowest hip (max y) at multiples of 1/3 s.
    phase = (t[steps.mid_stance] * 3.0) % 1.0
    assert np.all(np.minimum(phase, 1 - phase) < 0.06)


def test_too_short_for_a_step() -> None:
    t, y, feet = bounce(170.0, 30.0, 0.3)
    with pytest.raises(ClipTooShortError):
        detect_steps(y, np.full_like(y, 100.0), t, 30.0, feet)


def test_no_bounce_is_an_error_not_a_cadence() -> None:
    t = np.arange(300) / 30.0
    y = np.full_like(t, 400.0)
    with pytest.raises(ClipTooShortError):
        detect_steps(y, np.full_like(y, 100.0), t, 30.0, np.zeros_like(t))


def test_long_gap_is_not_a_step() -> None:
    t, y, feet = bounce(170.0, 30.0, 10.0)
    y[100:160] = np.nan  # runner hidden for 2 s
    steps = detect_steps(y, np.full_like(y, 100.0), t, 30.0, feet)
    assert steps.cadence_spm == pytest.approx(170.0, abs=2.0)
    for a, b in steps.bounds:
        assert not (a < 130 < b)


def test_dominant_period_of_sine() -> None:
    t = np.arange(600) / 60.0
    assert dominant_period(np.sin(2 * np.pi * 2.5 * t), 60.0) == pytest.approx(0.4, abs=0.02)


def test_fill_gaps_only_short_inside() -> None:
    x = np.array([np.nan, 1, 2, np.nan, 4, np.nan, np.nan, np.nan, np.nan, 9, np.nan], float)[:, None]
    out, n = fill_gaps(x, max_gap=2)
    assert out[3, 0] == pytest.approx(3.0)
    assert np.isnan(out[0, 0]) and np.isnan(out[-1, 0])  # edges never extrapolated
    assert np.isnan(out[5:9, 0]).all()  # 4-frame gap stays empty
    assert n == 1


def test_hampel_flags_spike_only() -> None:
    x = np.sin(np.linspace(0, 6, 200))[:, None] * 10
    x[100, 0] += 50
    mask = hampel_mask(x, 9, 3.0, floor=1.0)
    assert mask[100, 0]
    assert mask.sum() == 1


def test_lowpass_is_zero_phase() -> None:
    fs = 30.0
    t = np.arange(300) / fs
    slow = np.sin(2 * np.pi * 1.0 * t)
    noisy = slow + 0.3 * np.sin(2 * np.pi * 12.0 * t)
    out = lowpass(noisy[:, None], fs, 6.0)[:, 0]
    inner = slice(30, -30)
    assert np.max(np.abs(out[inner] - slow[inner])) < 0.05  # no lag, noise removed


def test_clean_drops_low_visibility_and_logs() -> None:
    video = VideoMeta("x.mp4", 30.0, 90, 640, 480)
    s = PoseSeries.empty(90, video)
    s.xy[:] = 100.0
    s.xy[:, 23:25, 1] = 300.0  # hips below shoulders so the torso has a length
    s.visibility[:] = 0.9
    s.visibility[40:80, 0] = 0.1  # nose hidden for 40 frames (> 0.25 s): not filled
    cleaned, log = clean(s, min_visibility=0.5, max_gap_s=0.25, cutoff_hz=6.0)
    assert np.isnan(cleaned.xy[40:80, 0]).all()
    assert np.isfinite(cleaned.xy[:40, 0]).all()
    assert log.points_low_visibility == 40
    assert log.cutoff_hz == 6.0


def test_outlier_drops_both_coordinates() -> None:
    video = VideoMeta("x.mp4", 30.0, 90, 640, 480)
    s = PoseSeries.empty(90, video)
    s.xy[:] = 100.0
    s.xy[:, 23:25, 1] = 300.0
    s.visibility[:] = 0.9
    s.xy[45:48, 23, 1] += 200.0  # a 3-frame jump in y only (longer than the gaps filled)
    cleaned, log = clean(s, cutoff_hz=6.0, max_gap_s=1 / 30)
    assert np.isnan(cleaned.xy[45:48, 23]).all()  # x went with it
    assert log.points_outliers >= 1


def test_a_clip_too_slow_for_the_filter_is_summarised_unfiltered() -> None:
    """At 10 fps the 6 Hz cut-off is above the Nyquist frequency (5 Hz): no low-pass
    filter, ``cutoff_hz`` None, and the summary record takes that (it once required a
    number, so such a clip failed when its summary was written)."""

    from formcheck.synth.landmarks import pose_series
    from formcheck.synth.runner import RunnerSpec

    ps = pose_series(RunnerSpec(cadence_spm=170, fps=10, duration_s=8.0), noise_px=0.5)
    a = analyse_landmarks(ps)
    result = a.result()
    assert result.cleaning.cutoff_hz is None
    assert result.cleaning.filter.startswith("none (cut-off 6 Hz is not below the Nyquist frequency 5 Hz)")
