"""Step segmentation from the running bounce, cadence, and per-step aggregation.

The body's centre (here the hip midpoint) is lowest once per step, at mid-stance,
and highest in flight. Steps are the intervals between successive lowest points.

1. Hip height in torso lengths, slow drift removed (camera pans, zoom, treadmill
   drift) with a 1 s centred rolling mean.
2. The step period is the first strong autocorrelation peak for periods of
   0.22-1.4 s (43-270 steps/min). A left/right asymmetry can make the stride (two
   steps) look like the period; the feet's alternation, which repeats once per
   stride, tells the two apart (:func:`step_period`).
3. Mid-stance: one per turn of the phase of the bounce band-passed around the
   step frequency (:func:`_phase_crossings`). Steps with almost no bounce (hands on
   the rails), missing data or an implausible duration are not counted.
4. A runner who changes pace within the clip (a jog then a sprint, or an edit between
   the two) is followed stretch by stretch: the period is also read over short sliding
   windows, and where it leaves the clip-wide band the clip is cut into stretches of
   steady period, each band-passed around its own (:func:`local_periods`,
   :func:`period_stretches`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

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
    #: (t_start, t_end, period) of each stretch of steady period (s) where the runner's
    #: pace changed too much for one clip-wide period; empty when one period held
    stretches: tuple[tuple[float, float, float], ...] = ()

    @property
    def count(self) -> int:
        return len(self.bounds) if self.kind == "steps" else 0


class NoRhythmError(ClipTooShortError):
    """The hips show no repeating bounce at a running or walking cadence."""


def time_windows(t: np.ndarray, detected: np.ndarray, window_s: float = 1.0) -> Steps:
    """Fixed windows in place of steps when no step rhythm is found, so posture can
    still be summarised over the clip (cadence and bounce are then not measurable).

    Parameters
    ----------
    t : (n,) array
        Frame times, s (increasing).
    detected : (n,) bool array
        Frames where the runner was found; a window needs 80% of them.
    window_s : float
        Window length, s.

    Returns
    -------
    Steps
        ``kind`` "windows", no cadence or period.
    """
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
    """Hip vertical position (image y, down +) in torso lengths, with drift removed.

    Parameters
    ----------
    hip_y : (n,) array
        Hip height in image y (px, down +); NaN where missing.
    torso : (n,) array
        Torso length per frame, px (its median scales the signal).
    fps : float
        Frames per second of the series.

    Returns
    -------
    (n,) array
        Torso lengths, a rolling 1 s mean removed.
    """
    scale = np.nanmedian(torso)
    y = hip_y / scale
    trend = pd.Series(y).rolling(max(3, int(round(fps))), center=True, min_periods=1).mean().to_numpy()
    return y - trend


def dominant_period(x: np.ndarray, fps: float, min_s: float = MIN_PERIOD_S,
                    max_s: float = MAX_PERIOD_S, strongest: bool = False) -> float:
    """Period (s) of a repeating signal from its autocorrelation (NaNs allowed),
    searched between ``min_s`` and ``max_s`` and at most half the clip.

    Parameters
    ----------
    x : (n,) array
        The signal; NaN where missing.
    fps : float
        Frames per second of the series.
    min_s, max_s : float
        The period range searched, s.
    strongest : bool
        Take the highest autocorrelation peak instead of the first strong one.

    Returns
    -------
    float
        Period, s (a whole number of frames); NaN when no peak is found.
    """
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


def _lag_correlation(v: np.ndarray, lag: int) -> float:
    """Correlation of a (vector) signal with itself ``lag`` frames later, NaNs ignored:
    ``sum(v(t) . v(t+lag)) / sqrt(sum|v(t)|^2 * sum|v(t+lag)|^2)`` over the frames where
    both are finite, after removing each component's mean."""
    if v.ndim == 1:
        v = v[:, None]
    v = v - np.nanmean(v, axis=0)
    if lag <= 0 or lag >= len(v):
        return float("nan")
    a, b = v[:-lag], v[lag:]
    ok = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    if ok.sum() < 5:
        return float("nan")
    a, b = a[ok], b[ok]
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 0 else float("nan")


def feet_alternate(feet: np.ndarray | None, period: float, fps: float) -> float:
    """Correlation of the left-minus-right ankle vector with itself one ``period`` later.

    After one *step* the other foot is ahead (and the other foot is up), so the
    left-minus-right ankle vector has turned round: the correlation is near -1. After one
    *stride* (two steps) the same foot is ahead again: near +1. NaN when the feet are
    not seen well enough to say.

    Parameters
    ----------
    feet : (n, 2) or (n,) array, or None
        Left-minus-right ankle position (px), or one component of it; None when unknown.
    period : float
        The lag, s.
    fps : float
        Frames per second of the series.

    Returns
    -------
    float
        Correlation in [-1, 1]; NaN when unknown.
    """
    if feet is None or not np.isfinite(period):
        return float("nan")
    return _lag_correlation(np.asarray(feet, dtype=np.float64), int(round(period * fps)))


#: The feet "clearly reverse" when their correlation one step later is below this.
FEET_REVERSE = -0.5
#: ... and "clearly come back" when their correlation one stride later is above this.
FEET_RETURN = 0.5


def feet_step(feet: np.ndarray | None, fps: float, max_s: float) -> float:
    """The shortest lag (s) between :data:`MIN_PERIOD_S` and ``max_s`` at which the feet
    clearly reverse (:func:`feet_alternate` at a local minimum below :data:`FEET_REVERSE`):
    one step, read from the feet alone. NaN when they never clearly do (feet hidden,
    blurred, or their labels mixed up).

    Parameters
    ----------
    feet : (n, 2) or (n,) array, or None
        Left-minus-right ankle position (px), or one component of it; None when unknown.
    fps : float
        Frames per second of the series.
    max_s : float
        The longest lag tried, s.

    Returns
    -------
    float
        One step, s; NaN when the feet never clearly reverse.
    """
    if feet is None:
        return float("nan")
    lo = max(1, int(np.floor(MIN_PERIOD_S * fps)))
    hi = min(len(feet) // 2, int(np.ceil(max_s * fps)))
    if hi <= lo + 2:
        return float("nan")
    lags = np.arange(lo, hi + 1)
    r = np.array([_lag_correlation(np.asarray(feet, dtype=np.float64), int(k)) for k in lags])
    for i in range(1, len(r) - 1):
        if r[i] < FEET_REVERSE and r[i] <= r[i - 1] and r[i] <= r[i + 1]:
            return float(lags[i]) / fps
    return float("nan")


def feet_return(feet: np.ndarray | None, lag_s: float, fps: float) -> bool:
    """Whether the feet clearly come back after ``lag_s``: the correlation of the
    left-minus-right ankle vector with itself (:func:`feet_alternate`) peaks within a
    frame of that lag, at :data:`FEET_RETURN` or above. The feet are in the same place
    again after every whole stride, so that is a stride or a whole number of them.

    A peak, not only a high value: feet that move slowly against the lag (slow motion,
    a step of 2 s read at a lag of 0.5 s) correlate highly at every short lag without
    coming back. The peak is searched within a frame because the lag is a period read
    to a whole frame from another signal.

    Parameters
    ----------
    feet : (n, 2) or (n,) array, or None
        Left-minus-right ankle position (px), or one component of it; None when unknown.
    lag_s : float
        The lag, s.
    fps : float
        Frames per second of the series.

    Returns
    -------
    bool
        False when the feet are unknown.
    """
    if feet is None or not np.isfinite(lag_s):
        return False
    v = np.asarray(feet, dtype=np.float64)
    k = int(round(lag_s * fps))
    r = {j: _lag_correlation(v, j) for j in range(k - 2, k + 3) if j >= 1}
    for j in (k - 1, k, k + 1):
        if j - 1 in r and j + 1 in r and np.isfinite([r[j - 1], r[j], r[j + 1]]).all():
            if r[j] >= FEET_RETURN and r[j] >= r[j - 1] and r[j] >= r[j + 1]:
                return True
    return False


def step_period(bounce: np.ndarray, feet: np.ndarray | None, fps: float) -> float:
    """Step period (s): the period of the hip bounce, told from the stride by the feet.

    The hips are lowest once per step (period ``T``), but a left/right difference (a
    real limp, or the pose model placing the hip differently when the left or the right
    leg is near the camera) adds a component that repeats once per stride, and the
    bounce's autocorrelation may peak at ``2T``. The feet settle it
    (:func:`feet_alternate`): the left-minus-right ankle vector (``feet``, shape (n, 2)
    or (n,)) reverses after one step and repeats after one stride. So the hip period
    ``P`` is a step when the feet reverse over ``P``; when they come back instead and
    reverse over ``P / 2``, ``P`` was a stride and ``P / 2`` is the step. With the feet
    unseen (both tests NaN or inconclusive) the hip period stands.

    Halving also needs the hips to come back after ``P / 2`` (bounce autocorrelation
    above -0.5): if ``P / 2`` were half a step the hips would be at the opposite end of
    their bounce (about -1), while a step with a left/right difference ``a`` (stride
    term relative to step term) gives ``(1 - a^2) / (1 + a^2) >= 0`` for ``a <= 1``; -0.5
    lies between the two. The feet test is a sign: a clean alternation gives -1 at the
    step and +1 at the stride; the model's occasional left/right label swaps only pull
    both towards 0. So where the feet are read cleanly, coming back over ``P`` (at least
    :data:`FEET_RETURN`) and reversing over ``P / 2`` (at most :data:`FEET_REVERSE`),
    ``P / 2`` cannot be half a step (the feet would be side by side, near 0) and it is
    taken whatever the hips say: their reading below -0.5 is then a left/right difference
    larger than the bounce (``a > 1.7``), as a 3 cm bounce at 200 steps/min gave over a
    6 s live window (-0.50 to -0.53 with the feet at +0.92 and -0.91). Feet that clearly
    come back over ``P`` but are blurred over ``P / 2`` still halve it where the hips
    come back (see the code).

    A hip period over which the feet reverse may still be three steps (the feet reverse
    after any odd number): :func:`_odd_multiple_to_step` takes the feet's own step then.

    When the feet do not turn round over the final period but clearly do over another
    (:func:`feet_step`, more than 25% away), the hip rhythm is not the gait and NaN is
    returned (no rhythm): on a hand-held slow-motion clip the camera's bob gave a
    "176 steps/min" hip rhythm while the feet took 2.4 s per step.

    Parameters
    ----------
    bounce : (n,) array
        :func:`bounce_signal`.
    feet : (n, 2) or (n,) array, or None
        Left-minus-right ankle position (px), or one component of it; None when unknown.
    fps : float
        Frames per second of the series.

    Returns
    -------
    float
        Step period, s; NaN when no step rhythm is found.
    """
    p = dominant_period(bounce, fps)
    if not np.isfinite(p) or feet is None:
        return p
    while p / 2.0 >= MIN_PERIOD_S and not feet_alternate(feet, p, fps) < 0:
        half = p / 2.0
        hips_back = _lag_correlation(bounce, int(round(half * fps)))
        feet_half = feet_alternate(feet, half, fps)
        # Feet that clearly come back over P make P a whole stride even where their
        # reading over P / 2 is blurred (a short live window at 24 fps read +0.83 over
        # the 0.7 s stride and about 0 over the 0.35 s step); the hips still decide
        # against half a step, as when the model labels the ankles near/far and the
        # feet come back after every step. Feet that also clearly reverse over P / 2
        # are read cleanly (label swaps pull both towards 0): then P / 2 is a step
        # whatever the hips say, since a left/right difference larger than a small
        # bounce gives (1 - a^2) / (1 + a^2) < -0.5 for a > 1.73.
        feet_back = feet_alternate(feet, p, fps) >= FEET_RETURN
        clean = feet_back and feet_half <= FEET_REVERSE
        # Feet that clearly come back over P / 2 (a peak of their correlation) make it
        # a whole stride or more (or, with near/far labels, a whole step or more): P / 2
        # cannot be half a step, so it is taken whatever the hips say. A slow sway of
        # the hips (a hand-held camera's bob near 1 Hz, at 1.5-3x the bounce) took the
        # autocorrelation at two strides, where the feet's return is blurred by a
        # frame's mismatch (+0.3 at 32 frames for 31, +0.8 at 16) and the sway puts the
        # hips at the opposite end of its swing after half its period.
        if feet_return(feet, half, fps) or (
                (feet_half < 0 or feet_back) and (hips_back > -0.5 or clean)):
            p = half
        else:
            break
    p = _odd_multiple_to_step(bounce, feet, fps, p)
    # A hip rhythm over which the feet do not turn round, on a clip where they clearly
    # turn round over another time, is not the steps (camera shake, a bobbing
    # hand-held phone; or steps slower than the search range, as in slow motion).
    # The feet's own step counts only where the hips agree: after a real step the hips
    # are back at the same height, so feet that "turn round" at a lag where the hips are
    # at the opposite end of their bounce (below -0.5) are label swaps (the far ankle
    # taken for the near one for part of each stride turns the feet round after about
    # half a step), not a slower gait.
    # Feet that clearly come back after two of these steps but not after one agree
    # with ``p``: a stride of two steps, their reversal over one blurred by the model
    # taking the far ankle for the near one as the legs cross (a sprint at 0.26 s per
    # step read +0.2 over one step and +0.8 over two).
    if not feet_alternate(feet, p, fps) < 0 and not (
            feet_return(feet, 2.0 * p, fps) and not feet_alternate(feet, p, fps) >= FEET_RETURN):
        own = feet_step(feet, fps, 4.0 * MAX_PERIOD_S)
        if (np.isfinite(own) and not 0.75 <= p / own <= 1.33
                and not _lag_correlation(bounce, int(round(own * fps))) < -0.5):
            return float("nan")
    return p


def _odd_multiple_to_step(bounce: np.ndarray, feet: np.ndarray, fps: float, p: float) -> float:
    """One step where the hip period ``p`` is three (or five...) of them.

    The feet turn round after every odd number of steps, so their test passes a hip
    period of three steps as readily as one (a short live window's autocorrelation peaked
    at 0.9 s on a 0.3 s step with a 3 cm bounce). The feet's shortest clear reversal
    (:func:`feet_step`) is then the step, if ``p`` is an odd multiple of it (within 10%)
    and the hips come back after it (autocorrelation above -0.5: not half a step, see
    :func:`step_period`)."""
    if not feet_alternate(feet, p, fps) < 0:
        return p
    own = feet_step(feet, fps, p)
    if not np.isfinite(own):
        return p
    k = int(round(p / own))
    if (k >= 3 and k % 2 == 1 and abs(p / (k * own) - 1.0) < 0.1
            and _lag_correlation(bounce, int(round(own * fps))) > -0.5):
        return own
    return p


#: Pass band around the step frequency f0 (Butterworth order 2, zero phase). The stride
#: term (0.5 f0, left/right differences) lies outside it, so each step's low point keeps
#: its place even when alternate bounces differ; real step-to-step changes of a few
#: per cent pass.
BAND = (0.7, 1.4)
#: A counted step lasts this many step periods, mid-stance to mid-stance: real steps vary
#: by 10-20% around the period; a shorter one is a second low point within one step, a
#: longer one two steps run together (or a pause). Offline, live and the period's
#: refinement judge steps with the same range.
STEP_DURATION = (0.6, 1.6)
#: A counted step's bounce (the band-passed envelope over the step) is at least this share
#: of the typical step's: hands on the rails or a runner standing still keep a rhythm in the
#: signal's phase but next to no bounce. Offline and live use the same share.
MIN_BOUNCE_SHARE = 0.3


def _whole_periods(period_frames: float, at_least: float, at_most: int) -> int:
    """A padding length (frames) of at least ``at_least`` that is as close as possible to a
    whole number of strides (an even number of step periods, so a left/right difference
    keeps its phase too): ``round(k * period_frames)`` with the smallest rounding error
    over the fewest even ``k`` reaching ``at_least`` and the three even ``k`` after. A
    period of 8.47 frames (170 steps/min at 24 fps) padded by 16 frames continues the
    bounce a third of a radian out of phase, which bends the first and last steps by a
    few per cent of a step; 34 frames (4 periods, 0.12 frame off) does not. Never more
    than ``at_most`` (the signal's length: the padding copies it), unless even the fewest
    periods are."""
    p = max(float(period_frames), 1.0)
    k0 = max(2, 2 * int(np.ceil(at_least / (2.0 * p) - 1e-9)))
    ks = np.arange(k0, k0 + 8, 2)
    ks = ks[np.round(ks * p) <= at_most]
    if ks.size == 0:
        return max(1, min(int(round(k0 * p)), at_most))
    err = np.abs(ks * p - np.round(ks * p))
    return max(1, int(round(ks[int(np.argmin(err))] * p)))


def _periodic_pad(seg: np.ndarray, m: int) -> np.ndarray:
    """``seg`` with its first ``m`` samples copied before it and its last ``m`` after it:
    the continuation of a signal that repeats every ``m`` samples. Filters and the
    Hilbert transform then see no artificial edge, so the first and last steps keep their
    timing (a mirror or zero padding bends their phase by up to a tenth of a step)."""
    m = min(m, len(seg))
    return np.concatenate([seg[:m], seg, seg[len(seg) - m:]])


def _bandpass(x: np.ndarray, fps: float, period: float) -> np.ndarray:
    """Zero-phase band-pass around the step frequency (:data:`BAND`), per finite run,
    each run extended by a period at both ends (:func:`_periodic_pad`)."""
    f0 = 1.0 / period
    lo, hi = BAND[0] * f0, min(BAND[1] * f0, 0.45 * fps)
    out = np.full_like(x, np.nan)
    if hi <= lo:
        return x
    sos = signal.butter(2, [lo, hi], btype="band", fs=fps, output="sos")
    ok = np.isfinite(x)
    for a, b in true_runs(ok):
        if b - a > 15:
            m = _whole_periods(period * fps, 2.0 * period * fps, b - a)
            seg = signal.detrend(x[a:b])  # a straight drift would jump at the padding's seams
            out[a:b] = signal.sosfiltfilt(sos, _periodic_pad(seg, m))[m: m + b - a]
        else:
            out[a:b] = x[a:b]
    return out


def _phase_crossings(xf: np.ndarray, t: np.ndarray, period: float,
                     fps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mid-stance instants from the phase of the band-passed bounce.

    The analytic signal (Hilbert transform) of the band-passed hip height gives a phase
    that advances by one turn per step; mid-stance (lowest hip, image y at its maximum)
    is where the phase crosses zero upwards, its time interpolated linearly between the
    two frames around the crossing. The step's fundamental, not the raw maximum, sets
    the instant, so a pose model that places the lowest point a frame early on one leg
    and late on the other does not make even steps alternate short and long. Returns
    the nearest frames, the times (s) and the envelope (bounce amplitude) per frame.
    """
    n = len(xf)
    phase = np.full(n, np.nan)
    env = np.full(n, np.nan)
    ok = np.isfinite(xf)
    for a, b in true_runs(ok):
        if b - a < max(8, int(period * fps)):
            continue
        # the Hilbert transform treats the run as one cycle of a periodic signal: a
        # period continued at each end keeps the jump between its ends from bending the
        # phase of the first and last steps
        pad = _whole_periods(period * fps, period * fps, b - a)
        z = signal.hilbert(_periodic_pad(xf[a:b], pad))[pad: pad + b - a]
        phase[a:b] = np.angle(z)
        env[a:b] = np.abs(z)
    c = np.flatnonzero((phase[:-1] < 0) & (phase[1:] >= 0) & (phase[1:] - phase[:-1] < np.pi))
    frac = -phase[c] / (phase[c + 1] - phase[c])
    times = t[c] + frac * (t[c + 1] - t[c])
    frames = np.where(frac < 0.5, c, c + 1)
    keep: list[int] = []
    for k in range(len(c)):
        if not keep or times[k] - times[keep[-1]] >= 0.5 * period:
            keep.append(k)
    return frames[keep].astype(int), times[keep], env


def bounce_amplitude(y: np.ndarray, torso: np.ndarray, fps: float, period: float) -> np.ndarray:
    """Per-frame vertical oscillation (peak to peak, torso lengths) of a point on the trunk.

    ``2 * |H(b)|``, with ``b`` the point's height (:func:`bounce_signal`) band-passed
    around the step frequency and ``H`` the analytic signal: the peak-to-peak size of the
    bounce's fundamental, wherever the frames happen to sample it. Give it the
    *shoulder* height. The trunk moves up and down as one piece (a lean change of a few
    degrees moves the shoulders vertically by under 1% of the torso), so the shoulders
    bounce as much as the hips; but the hip joint is hidden under clothing and the pose
    model infers it partly from the legs, and its temporal smoothing holds it back. On
    the synthetic runner (8 cm bounce, 170 steps/min, rendered and run through the model)
    the hips' fundamental read 0.52x the truth at 24 fps and 0.68x at 120 fps, the
    shoulders' 0.87x and 0.84x (0.87x and 0.86x at 30 and 60 fps). A per-step max-min of the raw samples adds its own frame
    rate dependence: it misses the peak at low rates (by up to ``1 - cos(pi / N)`` of
    each half with ``N`` frames per step) and gains noise extremes at high ones.

    Parameters
    ----------
    y : (n,) array
        Height of a point on the trunk in image y (px, down +); NaN where missing.
    torso : (n,) array
        Torso length per frame, px (its median scales the result).
    fps : float
        Frames per second of the series.
    period : float
        Step period, s (NaN gives all NaN).

    Returns
    -------
    (n,) array
        Peak-to-peak bounce, torso lengths; NaN where unknown.
    """
    if not np.isfinite(period):
        return np.full(len(y), np.nan)
    # No rolling-mean detrend here (unlike :func:`bounce_signal`): a 1 s mean passes part
    # of the step frequency itself, and subtracting it scales the bounce by
    # 1 - sin(pi f W) / (pi f W), 0.87x at 150 steps/min, 1.2x at 87; the band-pass
    # removes the drift without touching the fundamental.
    x = np.asarray(y, dtype=np.float64) / np.nanmedian(torso)
    ok = np.isfinite(x)
    xf = _bandpass(_interp_nans(x), fps, period)
    amp = np.full(len(x), np.nan)
    for a, b in true_runs(np.isfinite(xf)):
        m = _whole_periods(period * fps, period * fps, b - a)
        if b - a >= max(8, period * fps):
            z = signal.hilbert(_periodic_pad(xf[a:b], m))[m: m + b - a]
            amp[a:b] = 2.0 * np.abs(z)
    amp[~ok] = np.nan
    return amp


def refine_period(mid_times: np.ndarray, period: float) -> float:
    """The step period (s, sub-frame) from successive mid-stance times: the slope of a
    straight line through the times against the step number, leaving out the first and
    last (the ones the period's rounding bends). Intervals outside 0.6-1.6 ``period``
    (a gap, a missed step) break the line; the longest unbroken stretch is used. NaN
    with fewer than 3 steps in it.

    Parameters
    ----------
    mid_times : (k,) array
        Mid-stance times, s, in order.
    period : float
        The step period they were found with, s.

    Returns
    -------
    float
        Step period, s; NaN when too few steps line up.
    """
    tm = np.asarray(mid_times, dtype=np.float64)[1:-1]
    if tm.size < 4:
        return float("nan")
    d = np.diff(tm)
    good = (d >= STEP_DURATION[0] * period) & (d <= STEP_DURATION[1] * period)
    runs = true_runs(good)
    if not runs:
        return float("nan")
    a, b = max(runs, key=lambda r: r[1] - r[0])  # intervals a..b-1: times a..b
    if b - a < 3:
        return float("nan")
    seg = tm[a: b + 1]
    return float(np.polyfit(np.arange(seg.size, dtype=np.float64), seg, 1)[0])


#: Sliding windows for the local step period (s, hop s): 3 s holds 7 steps at 150
#: steps/min (4 at 90; the autocorrelation searches periods up to half the window, 1.5 s,
#: past :data:`MAX_PERIOD_S`), enough for the feet's alternation (:func:`step_period`) to
#: tell a step from a stride, and short enough that a pace change shows in full windows
#: on both sides of it (4 s of a new pace at the end of the grass clip).
LOCAL_WINDOW_S = 3.0
LOCAL_HOP_S = 0.5
#: A local period within this ratio of the clip-wide one is followed by the clip-wide band
#: (:data:`BAND`, 0.7-1.4 of the step frequency, passes a step 15% shorter or longer
#: almost unchanged, while the stride term at half the frequency stays outside it); a
#: stretch of steady period is the same: its windows agree within this ratio.
STEADY_RATIO = 1.15
#: A local period more than this ratio away from the clip-wide one is not a pace change
#: but the window taking a stride (2x) or half a step for the step: within one running
#: clip a runner's cadence stays within about 150-240 steps/min (jog to sprint, 1.6x).
MAX_PACE_RATIO = 1.6
#: A stretch needs this many consecutive windows agreeing (1 s of hop, 4 s of footage):
#: a single window's reading may be a chance peak; a runner's new pace lasts.
MIN_STRETCH_WINDOWS = 3


def local_periods(x: np.ndarray, feet: np.ndarray | None, fps: float,
                  window_s: float = LOCAL_WINDOW_S, hop_s: float = LOCAL_HOP_S) -> tuple[np.ndarray, np.ndarray]:
    """The step period (:func:`step_period`) over sliding windows of the bounce.

    Parameters
    ----------
    x : (n,) array
        :func:`bounce_signal`.
    feet : (n, 2) or (n,) array, or None
        Left-minus-right ankle position (px); None when unknown.
    fps : float
        Frames per second of the series.
    window_s, hop_s : float
        Window length and hop, s.

    Returns
    -------
    centres : (k,) int array
        The frame at the centre of each window.
    periods : (k,) array
        Step period of each window, s; NaN where no step rhythm shows.
    """
    n_win = int(round(window_s * fps))
    hop = max(1, int(round(hop_s * fps)))
    starts = np.arange(0, max(len(x) - n_win, -1) + 1, hop)
    periods = np.full(len(starts), np.nan)
    for k, a in enumerate(starts):
        seg = x[a: a + n_win]
        if np.isfinite(seg).mean() < 0.8:
            continue
        f = None if feet is None else feet[a: a + n_win]
        if f is not None and not np.isfinite(f).any():
            f = None
        periods[k] = step_period(seg, f, fps)
    return starts + n_win // 2, periods


@dataclass(frozen=True)
class Stretch:
    """A stretch of steady step period: frames ``[first, last]`` of window centres that
    agree, and their median period (s)."""

    first: int
    last: int
    period: float


def _group(centres: np.ndarray, periods: np.ndarray) -> list[Stretch]:
    """Consecutive readings within :data:`STEADY_RATIO` of their group's median; NaN
    readings neither join nor break a group."""
    groups: list[list[int]] = []
    for k in np.flatnonzero(np.isfinite(periods)):
        if groups and abs(np.log(periods[k] / np.median(periods[groups[-1]]))) <= np.log(STEADY_RATIO):
            groups[-1].append(int(k))
        else:
            groups.append([int(k)])
    return [Stretch(int(centres[g[0]]), int(centres[g[-1]]), float(np.median(periods[g]))) for g in groups
            if len(g) >= MIN_STRETCH_WINDOWS] if groups else []


def period_stretches(centres: np.ndarray, periods: np.ndarray, clip_period: float) -> list[Stretch]:
    """Stretches of steady step period where one clip-wide period does not hold.

    The runner's pace is read from :func:`local_periods`. Readings more than
    :data:`MAX_PACE_RATIO` from ``clip_period`` are dropped (a window that took a stride
    or half a step: no runner changes pace that much within a clip). When every reading
    left lies within :data:`STEADY_RATIO` of ``clip_period``, one period serves the whole
    clip: the list is empty. Otherwise consecutive readings that agree form stretches;
    a run of fewer than :data:`MIN_STRETCH_WINDOWS` is dropped, and the grouping is
    repeated so that the readings on either side of it join again. Fewer than two
    stretches: empty (one period still serves).

    Parameters
    ----------
    centres : (k,) int array
        Window centre frames (:func:`local_periods`).
    periods : (k,) array
        Their step periods, s (NaN where none).
    clip_period : float
        The clip-wide step period, s.

    Returns
    -------
    list of Stretch
        In time order; empty when one period holds.
    """
    p = np.asarray(periods, dtype=np.float64).copy()
    with np.errstate(invalid="ignore"):
        ratio = np.abs(np.log(p / clip_period))
    p[~(ratio <= np.log(MAX_PACE_RATIO))] = np.nan
    if not np.isfinite(clip_period) or not (ratio[np.isfinite(p)] > np.log(STEADY_RATIO)).any():
        return []
    for _ in range(3):
        kept = _group(centres, p)
        keep = np.zeros(len(p), dtype=bool)
        for st in kept:
            keep |= (centres >= st.first) & (centres <= st.last)
        if (np.isfinite(p) == (keep & np.isfinite(p))).all():
            break
        p[~keep] = np.nan
    stretches = _group(centres, p)
    return stretches if len(stretches) >= 2 else []


def _mids_for_period(x: np.ndarray, t: np.ndarray, fps: float, period: float,
                     span: tuple[float, float] | None = None, max_ratio: float | None = None
                     ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Mid-stances for one step period: band-pass around it, the phase's turns, then the
    period refined from the mid-stances found (those within ``span``, s) and the same
    again around it. Returns the period used, the mid-stance frames, their times and the
    envelope per frame.

    ``max_ratio``: a refined period further than this ratio from ``period`` is not
    taken. A stretch's period (:func:`_stitch`) is the median of window readings that
    agree within :data:`STEADY_RATIO`; a line through its mid-stances that runs further
    off is not a finer reading of that pace but mid-stances that lost it (where the
    hips hardly show the step the band-passed phase skips some: after a cut to a sprint
    read at 0.258 s the line ran at 0.312 s)."""
    xf = _bandpass(_interp_nans(x), fps, period)
    mids, mid_times, envelope = _phase_crossings(xf, t, period, fps)
    # The autocorrelation's period is a whole number of frames (8 frames, 0.333 s, for a
    # 0.353 s step at 24 fps). Filtering and padding around it bend the first and last
    # steps, so the period is refined from the mid-stances found and the band-pass and
    # phase taken again around it.
    inside = mid_times if span is None else mid_times[(mid_times >= span[0]) & (mid_times <= span[1])]
    refined = refine_period(inside, period)
    if (np.isfinite(refined) and abs(refined - period) > 0.25 / fps
            and (max_ratio is None or abs(np.log(refined / period)) <= np.log(max_ratio))):
        period = refined
        xf = _bandpass(_interp_nans(x), fps, period)
        mids, mid_times, envelope = _phase_crossings(xf, t, period, fps)
    return period, mids, mid_times, envelope


def _irregularity(times: np.ndarray, split: float, before: float, after: float) -> float:
    """How far the intervals between ``times`` are from the step period they should have
    (``before`` the split, ``after`` it): the sum of squared log ratios."""
    d = np.diff(times)
    if d.size == 0:
        return 0.0
    expected = np.where(times[1:] < split, before, after)
    return float(np.sum(np.log(d / expected) ** 2))


def _dedupe(times: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Indices of ``times`` (sorted) keeping none closer than half its period to the last kept."""
    keep: list[int] = []
    for k in range(len(times)):
        if not keep or times[k] - times[keep[-1]] >= 0.5 * period[k]:
            keep.append(k)
    return np.asarray(keep, dtype=int)


def _stitch(x: np.ndarray, t: np.ndarray, fps: float, stretches: list[Stretch]
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[tuple[float, float, float]]]:
    """Mid-stances of a clip whose pace changes: each stretch's own band-pass and phase,
    cut over where the rhythm changes.

    Between two stretches lies a gap (the windows there straddle both paces, or read
    nothing). The cut is put where the mid-stances of the stretch before, followed by
    those of the stretch after, are most regular (each interval nearest the period of
    its own side); a mid-stance within half a period of the last one kept is a repeat.
    Returns frames, times, the envelope and the period per frame, and the stretches as
    (t_start, t_end, period)."""
    found = []
    for k, st in enumerate(stretches):
        lo = t[0] if k == 0 else t[stretches[k - 1].last]
        hi = t[-1] if k == len(stretches) - 1 else t[stretches[k + 1].first]
        found.append(_mids_for_period(x, t, fps, st.period, (lo, hi), STEADY_RATIO))
    cuts = [t[0]]
    for k in range(len(stretches) - 1):
        (pa, _, ta, _), (pb, _, tb, _) = found[k], found[k + 1]
        # The last window read at the old pace may already hold mostly the new one:
        # its reading lies between the two (a window wholly after a cut to a sprint
        # read 0.283 s, within 15% of the jog's 0.308 s before and the sprint's
        # 0.258 s after). So the change is looked for from half a window before its
        # centre on (not before the stretch's first window).
        ca = max(t[stretches[k].first], t[stretches[k].last] - 0.5 * LOCAL_WINDOW_S)
        cb = t[stretches[k + 1].first]
        near_a = ta[(ta >= ca - 2.0 * pa) & (ta <= cb + 2.0 * pb)]
        near_b = tb[(tb >= ca - 2.0 * pa) & (tb <= cb + 2.0 * pb)]
        candidates = np.unique(np.concatenate([[ca, cb], near_a[(near_a >= ca) & (near_a <= cb)],
                                               near_b[(near_b >= ca) & (near_b <= cb)]]))
        best, best_cost = 0.5 * (ca + cb), np.inf
        for c in candidates:
            joined = np.concatenate([near_a[near_a < c], near_b[near_b >= c]])
            per = np.where(joined < c, pa, pb)
            joined = joined[_dedupe(joined, per)]
            cost = _irregularity(joined, c, pa, pb)
            if cost < best_cost - 1e-12:
                best, best_cost = float(c), cost
        cuts.append(best)
    cuts.append(np.inf)
    n = len(x)
    frames, times, periods = [], [], []
    envelope = np.full(n, np.nan)
    period_of = np.full(n, np.nan)
    out_stretches = []
    for k, (p, m, tm, env) in enumerate(found):
        sel = (tm >= cuts[k]) & (tm < cuts[k + 1])
        frames.append(m[sel])
        times.append(tm[sel])
        periods.append(np.full(int(sel.sum()), p))
        rows = (t >= cuts[k]) & (t < cuts[k + 1])
        envelope[rows] = env[rows]
        period_of[rows] = p
        out_stretches.append((float(max(cuts[k], t[0])), float(min(cuts[k + 1], t[-1])), float(p)))
    f, tm, per = np.concatenate(frames), np.concatenate(times), np.concatenate(periods)
    keep = _dedupe(tm, per)
    return f[keep].astype(int), tm[keep], envelope, period_of, out_stretches


def detect_steps(hip_y: np.ndarray, torso: np.ndarray, t: np.ndarray, fps: float,
                 feet: np.ndarray | None = None) -> Steps:
    """Find mid-stance instants (lowest hip) and the cadence.

    ``feet`` is the left-minus-right ankle position, (n, 2) or one component (n,), used to tell a step
    from a stride. Raises :class:`ClipTooShortError` when no complete step is found.

    One step period serves the clip unless the runner's pace changes too much for it
    (:func:`period_stretches`, on clips of at least two :data:`LOCAL_WINDOW_S` windows):
    a band-pass around one period that a sprint at the end of a jog lies at the edge of
    passes the stride (a left/right difference, which the pose model adds at speed) as
    strongly as the step, and strides were counted for steps. Each stretch of steady
    pace then gets its own period, band-pass and phase (:func:`_stitch`), and a step's
    duration is judged against the period of its own stretch.

    Parameters
    ----------
    hip_y : (n,) array
        Hip height in image y (px, down +); NaN where missing.
    torso : (n,) array
        Torso length per frame, px (its median scales the signal).
    t : (n,) array
        Frame times, s.
    fps : float
        Frames per second of the series.
    feet : (n, 2) or (n,) array, or None
        Left-minus-right ankle position (px), or one component of it; None when unknown.

    Returns
    -------
    Steps
        Mid-stances, valid step bounds and the cadence.

    Raises
    ------
    NoRhythmError
        No step rhythm in the hips.
    ClipTooShortError
        A rhythm, but no complete valid step.
    """
    x = bounce_signal(hip_y, torso, fps)
    period = step_period(x, feet, fps)
    if not np.isfinite(period):
        raise NoRhythmError(
            "no running rhythm found: the clip is too short or the runner's hips are not "
            "visible long enough to see a single complete step")
    period, mids, mid_times, envelope = _mids_for_period(x, t, fps, period)
    period_of = np.full(len(x), period)
    stretches: list[tuple[float, float, float]] = []
    if len(x) >= 2 * LOCAL_WINDOW_S * fps:
        centres, local = local_periods(x, feet, fps)
        found = period_stretches(centres, local, period)
        if not found and np.isfinite(local).any():
            # The clip-wide period itself may be wrong where the pace changes: over two
            # paces the feet's reversal (the step) lies at two lags, so their test is
            # blurred and the hips' stride may win. The windows' typical pace is then
            # the reference instead.
            found = period_stretches(centres, local, float(np.nanmedian(local)))
        if found:
            mids, mid_times, envelope, period_of, stretches = _stitch(x, t, fps, found)
    if len(mids) < 2:
        raise ClipTooShortError("the clip is too short for one complete step")
    times = {int(m): float(tm) for m, tm in zip(mids, mid_times, strict=True)}
    durations = np.diff(mid_times)
    # A step's bounce is judged against the clip's, or against its own pace's where that
    # is smaller: the body's vertical oscillation falls as the cadence rises (less
    # flight time per step), so a sprint's steps after a jog bounce less than the jog's
    # without being hands-on-the-rails steps.
    seen = np.isfinite(x)
    strong = np.full(len(x), np.nanmedian(envelope[seen]) if seen.any() else np.nan)
    for p in np.unique(period_of[np.isfinite(period_of)]):
        rows = (period_of == p) & seen
        if rows.any():
            strong[period_of == p] = min(strong[0], float(np.nanmedian(envelope[rows])))
    bounds = []
    for a, b, d in zip(mids[:-1], mids[1:], durations, strict=True):
        # a step across a change of pace may be as short as the shorter period or as
        # long as the longer one
        p_lo, p_hi = min(period_of[a], period_of[b]), max(period_of[a], period_of[b])
        ok_time = STEP_DURATION[0] * p_lo <= d <= STEP_DURATION[1] * p_hi
        seg_env = envelope[a:b]
        ok_amp = np.isfinite(seg_env).all() and np.median(seg_env) >= MIN_BOUNCE_SHARE * strong[b]
        ok_data = np.isfinite(x[a: b + 1]).mean() >= 0.8
        if ok_time and ok_amp and ok_data:
            bounds.append((int(a), int(b)))
    if not bounds:
        raise ClipTooShortError("the clip is too short for one complete step")
    valid = np.array([times[b] - times[a] for a, b in bounds])
    peaks = np.asarray(mids)
    return Steps(peaks.astype(int), bounds, times, period, 60.0 / float(np.mean(valid)),
                 stretches=tuple(stretches))


#: Counted steps should fill at least this share of the time from the first to the last
#: (:func:`step_coverage`). Steps run mid-stance to mid-stance, one after another, so on a
#: clip whose rhythm shows throughout they fill all of it (5 of the 8 real clips: 100%;
#: two show no rhythm at their own speed); time between them is steps the detector could
#: not find (the treadmill runner's last 1.7 s before he takes the rails: 86%; blur, heavy
#: compression, a hidden hip: a crf-40 copy of the grass clip 83%, its half-resolution
#: copy 93%). Below this share the cadence and the per-step values describe only the
#: steps found, and the analysis says where the others are.
MIN_STEP_COVERAGE = 0.9


def step_coverage(steps: Steps) -> tuple[float, list[tuple[float, float]]]:
    """The share of time from the first counted step's start to the last one's end that
    counted steps fill, and the gaps between them (start, end; s, the series' clock):
    counted steps share their mid-stances, so any time between two is uncounted steps.

    Parameters
    ----------
    steps : Steps
        From :func:`detect_steps` (``kind`` "steps").

    Returns
    -------
    coverage : float
        1.0 when the steps follow one another without a gap (or there are none).
    gaps : list of (float, float)
        The gaps, in time order.
    """
    if steps.kind != "steps" or not steps.bounds:
        return 1.0, []
    spans = [(steps.times[a], steps.times[b]) for a, b in steps.bounds]
    total = spans[-1][1] - spans[0][0]
    filled = sum(b - a for a, b in spans)
    gaps = [(end, start) for (_, end), (start, _) in pairwise(spans)
            if start > end]
    return (filled / total if total > 0 else 1.0), gaps


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

    Parameters
    ----------
    hip_y : (n,) array
        Hip height in image y (px, down +); NaN where missing.
    torso : (n,) array
        Torso length per frame, px (its median scales the signal).
    ankle_gap : (n,) array
        Horizontal distance between the ankles, px.
    fps : float
        Frames per second of the series.

    Returns
    -------
    kind : str
        "running", "walking" or "unclear".
    correlation : float
        Correlation of hip height and ankle gap; NaN when too few frames.
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
