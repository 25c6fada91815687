"""Step segmentation from the running bounce, cadence, and per-step aggregation.

The body's centre (here the hip midpoint) is lowest once per step, at mid-stance,
and highest in flight. Steps are the intervals between successive lowest points.

1. Hip height in torso lengths, slow drift removed (camera pans, zoom, treadmill
   drift) with a 1 s centred rolling mean.
2. The step period is the first strong autocorrelation peak for periods of
   0.22-1.4 s (43-270 steps/min). A left/right asymmetry can make the stride (two
   steps) look like the period; the feet's alternation, which repeats once per
   stride, tells the two apart (:func:`step_period`).
3. Lowest points: one per turn of the phase of the bounce band-passed around the
   step frequency (:func:`_phase_crossings`). Steps with almost no bounce (hands on
   the rails), missing data or an implausible duration are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import signal

from formcheck.errors import ClipTooShortError
from formcheck.kinematics.cleaning import true_runs

MIN_PERIOD_S = 60.0 / 270.0
MAX_PERIOD_S = 60.0 / 43.0


@dataclass(frozen=True)
class Steps:
    """Mid-stance frame indices and the steps between them.

    Step k spans frames ``[start, end)`` of ``bounds[k]``, from one mid-stance to the
    next. Intervals much longer than the step period (the runner was lost for a while,
    so steps were missed) are not counted as steps.
    """

    mid_stance: np.ndarray  # int frame indices of every lowest point found
    bounds: list[tuple[int, int]]  # valid steps
    times: dict[int, float]  # mid-stance frame -> sub-frame time (s) of the lowest hip
    period_s: float  # dominant step period from autocorrelation
    cadence_spm: float  # 60 / mean duration of the valid steps

    kind: str = "steps"  # "steps", or "windows" when no step rhythm was found

    @property
    def count(self) -> int:
        return len(self.bounds) if self.kind == "steps" else 0


class NoRhythmError(ClipTooShortError):
    """The hips show no repeating bounce at a running or walking cadence."""


def time_windows(t: np.ndarray, detected: np.ndarray, window_s: float = 1.0) -> Steps:
    """Fixed windows in place of steps when no step rhythm is found, so posture can
    still be summarised over the clip (cadence and bounce are then not measurable)."""
    bounds = []
    start = 0
    while start < len(t) - 1:
        end = int(np.searchsorted(t, t[start] + window_s))
        end = min(max(end, start + 1), len(t) - 1)
        if detected[start:end].mean() >= 0.8:
            bounds.append((start, end))
        start = end
    times = {i: float(t[i]) for b in bounds for i in b}
    return Steps(np.array(sorted(times), dtype=int), bounds, times, float("nan"), float("nan"), "windows")


def _interp_nans(y: np.ndarray) -> np.ndarray:
    out = pd.Series(y).interpolate(limit_area="inside").to_numpy()
    return out


def bounce_signal(hip_y: np.ndarray, torso: np.ndarray, fps: float) -> np.ndarray:
    """Hip vertical position (image y, down +) in torso lengths, with drift removed."""
    scale = np.nanmedian(torso)
    y = hip_y / scale
    trend = pd.Series(y).rolling(max(3, int(round(fps))), center=True, min_periods=1).mean().to_numpy()
    return y - trend


def dominant_period(x: np.ndarray, fps: float, min_s: float = MIN_PERIOD_S,
                    max_s: float = MAX_PERIOD_S, strongest: bool = False) -> float:
    """Period (s) of a repeating signal from its autocorrelation (NaNs allowed),
    searched between ``min_s`` and ``max_s`` and at most half the clip."""
    ok = np.isfinite(x)
    if ok.sum() < 3:
        return float("nan")
    x0 = np.where(ok, x - np.nanmean(x), 0.0)
    n = len(x0)
    ac = signal.correlate(x0, x0, mode="full", method="fft")[n - 1:]
    norm = signal.correlate(ok.astype(float), ok.astype(float), mode="full", method="fft")[n - 1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        ac = ac / np.maximum(norm, 1) / max(np.nanvar(x), 1e-12)
    lo = max(1, int(np.floor(min_s * fps)))
    hi = min(n // 2, int(np.ceil(max_s * fps)))
    if hi <= lo + 1:
        return float("nan")
    seg = ac[lo: hi + 1]
    peaks, props = signal.find_peaks(seg, height=0.1)
    if peaks.size == 0:
        return float("nan")
    # The first strong peak is the step period; a stride peak (2x) may be higher when
    # left and right steps differ, so prefer the shortest peak close to the best one.
    best = float(np.max(props["peak_heights"]))
    if strongest:
        return (lo + int(peaks[np.argmax(props["peak_heights"])])) / fps
    for p, h in zip(peaks, props["peak_heights"], strict=True):
        if h >= 0.6 * best:
            return (lo + int(p)) / fps
    return (lo + int(peaks[np.argmax(props["peak_heights"])])) / fps


def step_period(bounce: np.ndarray, feet: np.ndarray | None, fps: float) -> float:
    """Step period (s) from the hip bounce, checked against the feet.

    The bounce repeats once per step, but a left/right difference between steps can
    make its autocorrelation peak at the stride (two steps). The alternation of the
    feet (left-minus-right ankle height) repeats once per *stride*, so when the
    bounce period comes out close to the feet's period it is halved.
    """
    p_hip = dominant_period(bounce, fps)
    # The feet repeat once per stride (two steps): search twice the step range, and take
    # the strongest peak, since the model's occasional left/right swaps of the ankles in a
    # side view put a weaker echo at half a stride.
    p_feet = (dominant_period(feet, fps, 2 * MIN_PERIOD_S, 2 * MAX_PERIOD_S, strongest=True)
              if feet is not None else float("nan"))
    if np.isfinite(p_hip) and np.isfinite(p_feet):
        if abs(p_hip - p_feet) / p_feet < 0.3:
            return p_feet / 2.0
        return p_hip
    # No bounce rhythm means no steps: the feet alone are too easily fooled (the model
    # swaps left and right ankles) to count steps on.
    return p_hip


def _bandpass(x: np.ndarray, fps: float, period: float) -> np.ndarray:
    """Zero-phase band-pass around the step frequency (0.5x to 2x), per finite run,
    so that each step's low point stands out even when alternate steps differ."""
    f0 = 1.0 / period
    lo, hi = 0.5 * f0, min(2.0 * f0, 0.45 * fps)
    out = np.full_like(x, np.nan)
    if hi <= lo:
        return x
    sos = signal.butter(2, [lo, hi], btype="band", fs=fps, output="sos")
    ok = np.isfinite(x)
    for a, b in true_runs(ok):
        out[a:b] = signal.sosfiltfilt(sos, x[a:b]) if b - a > 15 else x[a:b]
    return out


def _subframe_time(x: np.ndarray, t: np.ndarray, j: int) -> float:
    """Time of the maximum near frame ``j`` refined by a parabola through j-1, j, j+1,
    so step durations are not rounded to whole frames."""
    if 0 < j < len(x) - 1 and np.isfinite(x[j - 1: j + 2]).all():
        a, b, c = x[j - 1], x[j], x[j + 1]
        den = a - 2 * b + c
        if den < 0:
            delta = float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))
            dt = (t[j + 1] - t[j - 1]) / 2
            return float(t[j] + delta * dt)
    return float(t[j])


def _phase_crossings(xf: np.ndarray, x: np.ndarray, fps: float,
                     period: float) -> tuple[np.ndarray, np.ndarray]:
    """Mid-stance frames from the phase of the band-passed bounce.

    The analytic signal (Hilbert transform) of the band-passed hip height gives a
    phase that advances by one turn per step; each turn's lowest-hip instant is found
    near the phase zero (image y at its maximum), then moved to the actual maximum of
    the unfiltered signal within a third of a period. Unlike plain peak picking,
    this keeps every step when alternate bounces differ in size. Returns the frames and
    the envelope (bounce amplitude) per frame.
    """
    n = len(xf)
    phase = np.full(n, np.nan)
    env = np.full(n, np.nan)
    ok = np.isfinite(xf)
    for a, b in true_runs(ok):
        if b - a < max(8, int(period * fps)):
            continue
        z = signal.hilbert(xf[a:b])
        phase[a:b] = np.angle(z)
        env[a:b] = np.abs(z)
    crossings = np.flatnonzero((phase[:-1] < 0) & (phase[1:] >= 0) & np.isfinite(phase[:-1]))
    half = max(1, int(period * fps / 3))
    mids: list[int] = []
    for c in crossings:
        lo, hi = max(0, int(c) - half), min(n, int(c) + half + 1)
        seg = x[lo:hi]
        j = lo + int(np.nanargmax(seg)) if np.isfinite(seg).any() else int(c)
        if not mids or j - mids[-1] >= 0.5 * period * fps:
            mids.append(j)
    return np.asarray(mids, dtype=int), env


def detect_steps(hip_y: np.ndarray, torso: np.ndarray, t: np.ndarray, fps: float,
                 feet: np.ndarray | None = None) -> Steps:
    """Find mid-stance instants (lowest hip) and the cadence.

    ``feet`` is the left-minus-right ankle height (any unit), used to tell a step
    from a stride. Raises :class:`ClipTooShortError` when no complete step is found.
    """
    x = bounce_signal(hip_y, torso, fps)
    period = step_period(x, feet, fps)
    if not np.isfinite(period):
        raise NoRhythmError(
            "no running rhythm found: the clip is too short or the runner's hips are not "
            "visible long enough to see a single complete step")
    xf = _bandpass(_interp_nans(x), fps, period)
    mids, envelope = _phase_crossings(xf, x, fps, period)
    if len(mids) < 2:
        raise ClipTooShortError("the clip is too short for one complete step")
    times = {int(m): _subframe_time(x, t, int(m)) for m in mids}
    durations = np.diff([times[int(m)] for m in mids])
    strong = np.nanmedian(envelope[np.isfinite(x)]) if np.isfinite(x).any() else np.nan
    bounds = []
    for a, b, d in zip(mids[:-1], mids[1:], durations, strict=True):
        ok_time = 0.6 * period <= d <= 1.6 * period
        seg_env = envelope[a:b]
        ok_amp = np.isfinite(seg_env).all() and np.median(seg_env) >= 0.3 * strong
        ok_data = np.isfinite(x[a: b + 1]).mean() >= 0.8
        if ok_time and ok_amp and ok_data:
            bounds.append((int(a), int(b)))
    if not bounds:
        raise ClipTooShortError("the clip is too short for one complete step")
    valid = np.array([times[b] - times[a] for a, b in bounds])
    peaks = np.asarray(mids)
    return Steps(peaks.astype(int), bounds, times, period, 60.0 / float(np.mean(valid)))


RUNNING_MAX_CORR = -0.15
WALKING_MIN_CORR = 0.3


def gait_kind(hip_y: np.ndarray, ankle_gap: np.ndarray, torso: np.ndarray,
              fps: float) -> tuple[str, float]:
    """Running or walking, from when in the stride the hips are lowest (side view).

    The legs pass each other (smallest horizontal ankle gap) at mid-stance. A runner's
    hips are *lowest* then (the leg compresses like a spring); a walker's are *highest*
    (the body vaults over a stiff leg). So the correlation between the ankle gap and the
    hip height in image y (down +) is negative for running and positive for walking.
    Returns ("running" | "walking" | "unclear", correlation).
    """
    x = bounce_signal(hip_y, torso, fps)
    gap = ankle_gap / np.nanmedian(torso)
    gap = gap - pd.Series(gap).rolling(max(3, round(fps)), center=True, min_periods=1).mean().to_numpy()
    ok = np.isfinite(x) & np.isfinite(gap)
    if ok.sum() < max(10, fps) or np.std(x[ok]) == 0 or np.std(gap[ok]) == 0:
        return "unclear", float("nan")
    r = float(np.corrcoef(x[ok], gap[ok])[0, 1])
    if r <= RUNNING_MAX_CORR:
        return "running", r
    if r >= WALKING_MIN_CORR:
        return "walking", r
    return "unclear", r
