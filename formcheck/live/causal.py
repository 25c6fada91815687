"""Causal signal processing for the live pipeline: landmark smoothing and step detection.

Nothing here looks ahead: every output depends only on the frames seen so far, so it
can run as frames arrive. Frames may be dropped (a live source never falls behind),
so both stages work on irregular sample times.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from formcheck.kinematics.steps import (
    MAX_PERIOD_S,
    MIN_BOUNCE_SHARE,
    MIN_PERIOD_S,
    STEP_DURATION,
    _bandpass,
    _interp_nans,
    _lag_correlation,
    _phase_crossings,
    bounce_signal,
    feet_step,
    step_period,
)


def _alpha(cutoff_hz: np.ndarray | float, dt: float) -> np.ndarray | float:
    """Smoothing factor of a first-order low-pass for a sample interval ``dt``:
    ``alpha = 1 / (1 + tau / dt)``, ``tau = 1 / (2 pi fc)``."""
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz))
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """The one-euro filter (Casiez, Roussel & Vogel, CHI 2012) on landmark positions.

    A first-order low-pass whose cut-off rises with speed:
    ``fc = min_cutoff + beta * |v|``, where ``v`` is the low-passed (``d_cutoff``)
    speed of the point in **torso lengths per second** (``scale`` is the torso length
    in pixels), so the setting does not depend on the picture size. Slow postures are
    smoothed hard; the fast bounce of the hips keeps its amplitude. Works on any
    sample interval, so dropped frames need no special care.

    Points are ``(k, d)`` arrays; a NaN point (not seen) leaves its state untouched,
    and a point unseen for longer than ``max_gap_s`` starts afresh.

    The defaults: ``min_cutoff = 6 Hz`` is the offline cut-off (Sports2D/Pose2Sim);
    ``beta = 1`` raises it to about 7.5 Hz at the hips' peak vertical speed in
    running (about 1.5 torso lengths/s for a 9 cm bounce at 170 steps/min), where a
    first-order filter keeps about 93% of the bounce at the step frequency.
    """

    def __init__(self, min_cutoff: float = 6.0, beta: float = 1.0, d_cutoff: float = 1.0,
                 max_gap_s: float = 0.25) -> None:
        self.min_cutoff, self.beta, self.d_cutoff, self.max_gap_s = min_cutoff, beta, d_cutoff, max_gap_s
        self._x: np.ndarray | None = None  # (k, d) filtered positions
        self._dx: np.ndarray | None = None  # (k, d) filtered velocity (px/s)
        self._t: np.ndarray | None = None  # (k,) time of each point's last sample

    def reset(self) -> None:
        """Forget every point's history (a new person); the filter's settings stay."""
        self._x = self._dx = self._t = None

    def __call__(self, t: float, x: np.ndarray, scale: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._x is None:
            self._x = np.full_like(x, np.nan)
            self._dx = np.zeros_like(x)
            self._t = np.full(x.shape[0], -np.inf)
        assert self._dx is not None and self._t is not None
        seen = np.isfinite(x).all(axis=1)
        fresh = seen & (~np.isfinite(self._x).all(axis=1) | (t - self._t > self.max_gap_s))
        upd = seen & ~fresh
        out = np.full_like(x, np.nan)
        if fresh.any():
            self._x[fresh] = x[fresh]
            self._dx[fresh] = 0.0
            self._t[fresh] = t
        if upd.any():
            dt = np.maximum(t - self._t[upd], 1e-3)[:, None]
            dx = (x[upd] - self._x[upd]) / dt
            a_d = _alpha(self.d_cutoff, dt)
            self._dx[upd] = a_d * dx + (1 - a_d) * self._dx[upd]
            speed = np.hypot(*self._dx[upd].T)[:, None] / max(scale, 1e-6)
            a = _alpha(self.min_cutoff + self.beta * speed, dt)
            self._x[upd] = a * x[upd] + (1 - a) * self._x[upd]
            self._t[upd] = t
        out[seen] = self._x[seen]
        return out


#: How much hip-height history the step detector keeps (s): enough for the offline
#: period search to see at least two periods at 43 steps/min (1.4 s) and a few at running
#: cadences, short enough to follow a change of pace within a few seconds.
WINDOW_S = 6.0
#: The rhythm is first looked for once this much history is there (s): two periods of
#: 86 steps/min, about five of a runner at 140-200 steps/min.
MIN_WINDOW_S = 2.8
#: ... and once it holds this many processed frames: the rhythm test
#: (:data:`MIN_RHYTHM_CORR`) must stand above the chance correlation of noise, about
#: 2 / sqrt(n) over n samples (the even grid the window is resampled onto adds no new
#: ones): 0.32 at 40 samples. At 30 frames/s 2.8 s hold 84; at 8 frames/s they held 22,
#: and the first rhythm found for a 170 steps/min runner was the stride (two steps
#: counted as one, 5 steps lost at the start). At the slowest rate the live mode accepts
#: (9.67 frames/s, see :data:`formcheck.live.pipeline.MIN_STEP_FPS`) 40 frames take 4.1 s,
#: inside the window; the low points already in it are confirmed at once, so waiting loses
#: no step.
MIN_WINDOW_SAMPLES = 40
#: The analysis is redone at most this often (s of clip time): each redo costs about a
#: millisecond, and a new mid-stance cannot come sooner than a step (0.22 s) anyway.
REDO_S = 0.1
#: The smallest bounce counted as steps: peak to peak of the hip height band-passed
#: around the step frequency, in torso lengths. Noise is kept out mainly by the rhythm
#: test (:data:`MIN_RHYTHM_CORR`); this floor only drops steps with next to no bounce
#: (hands on the rails). The smallest running bounce of the tests (3 cm at the hips,
#: 0.06 torso lengths) reads 0.012-0.02 there through the pose model at 200 steps/min
#: (the model and the band-pass keep a fifth to a third of it), single steps down to
#: 0.006; the floor is half that.
MIN_BOUNCE_TORSO = 0.003
#: The bounce must repeat after one period at least this well (correlation). The offline
#: period search accepts an autocorrelation peak of 0.1 over a whole clip; over a 3-6 s
#: window (90-360 samples) white noise alone reaches 0.1-0.2 (2-3 / sqrt(n)), so the live
#: detector asks for 0.3, after one step or one stride (a small bounce with a left/right
#: difference repeats better after a stride). A running bounce repeats at 0.5-0.95.
MIN_RHYTHM_CORR = 0.3
#: A rhythm counts only once this many successive analyses (:data:`REDO_S` apart) have
#: found one. The window moves by 0.1 s between two analyses (2% of its samples): a
#: runner's rhythm is found again, a chance peak of the autocorrelation over pose jitter
#: is not. Measured on real footage (issue 19): on the lab treadmill clip (slowed down
#: about 10x, one real step every ~3 s of playback, the hips moving 0.25 px a frame) a
#: single analysis at 26.16 s took the jitter for a 0.27 s rhythm (bounce 0.0035 torso
#: lengths, just over :data:`MIN_BOUNCE_TORSO`) and confirmed 19 "steps" back to 20.2 s at
#: once; the analyses before and after found none. A real rhythm costs 0.1 s of delay
#: here, no step (the low points stay in the window and are confirmed at the next one).
MIN_RHYTHM_ANALYSES = 2
#: Sample gaps longer than this are not bridged (as offline: ``Settings.max_gap_s``).
MAX_GAP_S = 0.25


#: A step whose fundamental is weak still counts when its hips rise and fall (max - min
#: of the drift-removed height over the step) by at least this fraction of the window's
#: typical step: the share the envelope needs (offline too), taken on the raw
#: excursion. Hands on the rails give next to no excursion and stay out.
MIN_SWING_RATIO = MIN_BOUNCE_SHARE


def _excursion(x: np.ndarray, grid: np.ndarray, t0: float, t1: float) -> float:
    """Peak-to-peak of ``x`` between clip times ``t0`` and ``t1`` (NaN if unseen)."""
    seg = x[(grid >= t0) & (grid <= t1)]
    seg = seg[np.isfinite(seg)]
    return float(np.ptp(seg)) if seg.size >= 2 else math.nan


def _step_excursions(x: np.ndarray, grid: np.ndarray, times: np.ndarray) -> np.ndarray:
    """:func:`_excursion` of every step between consecutive mid-stances ``times``."""
    out = np.array([_excursion(x, grid, a, b) for a, b in itertools.pairwise(times)])
    return out[np.isfinite(out)]


#: A gap between confirmed mid-stances of this many periods, within a steady rhythm, is two
#: steps: a runner does not skip a landing, but where the bounce is weak or uneven the
#: phase of the short window may turn once over two steps (its low point lost between
#: two analyses). Offline sees both sides of such a step and keeps it. Each half is then
#: within 0.8-1.2 periods, the spread of real steps.
MERGED = (STEP_DURATION[1], 2.4)


@dataclass(frozen=True)
class DetectedStep:
    """A step found by :class:`StepDetector`: from mid-stance ``t_start_s`` to mid-stance
    ``t_end_s``; ``valid`` as the offline analysis counts steps (plausible duration,
    a real bounce, enough data)."""

    t_start_s: float
    t_end_s: float
    valid: bool
    period_s: float


class StepDetector:
    """Mid-stance instants (lowest hip) found as frames arrive: the offline step
    detector of :mod:`formcheck.kinematics.steps` run over a sliding window of the last
    :data:`WINDOW_S` seconds, each mid-stance confirmed once it lies far enough back.

    Every :data:`REDO_S` seconds the window's hip height (image y, torso lengths; frames
    may have been dropped, so it is first interpolated onto an even time grid, gaps over
    :data:`MAX_GAP_S` left empty) goes through the same steps as offline: the slow
    drift removed (:func:`~formcheck.kinematics.steps.bounce_signal`), the step period
    from the autocorrelation told from the stride by the feet
    (:func:`~formcheck.kinematics.steps.step_period`), a band-pass around the step
    frequency and one mid-stance per turn of its phase
    (:func:`~formcheck.kinematics.steps._phase_crossings`). A step is counted when
    offline would count it: a duration of 0.6-1.6 periods, a bounce of at least 0.3x
    the window's median, and 80% of its samples seen.

    Where it must differ from offline (it has no future frames):

    * **Confirmation lag.** The band-pass and the phase need samples on both sides of
      a low point; a mid-stance is accepted only once it lies ``LAG_PERIODS`` (half a
      period, about 0.15-0.2 s) behind the newest frame, and then never revised. So the
      steps come that much later than they happened, and a clip's last step (within
      half a period of its end) is never confirmed: **at most one step fewer at the
      end** than offline.
    * **Start-up.** Nothing can be said before :data:`MIN_WINDOW_S` of history; then
      the low points already in the window are confirmed at once (none are lost), but
      the frames before the view was decided never reach the detector: **at most one
      step fewer at the start**. A rhythm (at start-up and after any analysis without
      one) counts once two successive analyses found it (:data:`MIN_RHYTHM_ANALYSES`):
      0.1 s later, no step lost.
    * **The period is local** (the last 6 s, not the whole clip) and the offline
      amplitude test compares a step with the window's bounce, not the clip's: a
      runner who keeps a steady rhythm gets the same steps; a pace change is followed
      within a window.
    * **Weak or uneven bounce.** Over a 6 s window the fundamental's envelope of a
      step can cancel (low points unevenly spaced, a tracking jump ringing through the
      band-pass) and the phase can turn once over two steps, where the whole clip's
      filter offline keeps both. A step then also counts on its own excursion
      (:data:`MIN_SWING_RATIO`), and a gap of two periods is two steps
      (:data:`MERGED`). On the grass clip (real footage, small bounce at 8.5 s and
      13.5-14.8 s, a pace change at 17.5 s) this took live from 60 to 66 steps
      (offline 68, which misses one the eye sees at 21.77 s).

    Hence the test tolerance: the live count within 2 steps of offline per stretch of
    continuous tracking (which is inside 5% from 40 steps on).

    :meth:`update` returns the steps completed by the newly confirmed mid-stances (a
    list, usually empty or one; several at start-up). :attr:`period_s` is the current
    step period (NaN while there is no rhythm).
    """

    LAG_PERIODS = 0.5

    def __init__(self, min_bounce: float = MIN_BOUNCE_TORSO) -> None:
        self.min_bounce = min_bounce
        self._t: deque[float] = deque()
        self._y: deque[float] = deque()
        self._feet: deque[tuple[float, float]] = deque()
        self._last_mid = -math.inf
        self._last_redo = -math.inf
        self.period_s = math.nan
        self.bounce = math.nan  # median peak-to-peak bounce over the window (torso lengths)
        self._rhythm_runs = 0  # successive analyses that found a rhythm
        self.mids: list[float] = []

    def reset(self) -> None:
        self.__init__(self.min_bounce)  # type: ignore[misc]

    @property
    def span_s(self) -> float:
        """How much history the window holds now (s)."""
        return self._t[-1] - self._t[0] if self._t else 0.0

    def update(self, t: float, y: float, feet: tuple[float, float] | None = None) -> list[DetectedStep]:
        """Add the hip height ``y`` (image y, torso lengths) seen at clip time ``t`` and,
        optionally, the left-minus-right ankle vector ``feet`` (torso lengths)."""
        if not math.isfinite(y):
            return []
        if self._t and t - self._t[-1] > WINDOW_S:
            self.reset()  # the runner was gone for longer than the window: start afresh
        self._t.append(t)
        self._y.append(y)
        self._feet.append(feet if feet is not None else (math.nan, math.nan))
        while self._t and t - self._t[0] > WINDOW_S:
            self._t.popleft()
            self._y.popleft()
            self._feet.popleft()
        if (self.span_s < MIN_WINDOW_S or len(self._t) < MIN_WINDOW_SAMPLES
                or t - self._last_redo < REDO_S - 1e-6):
            return []
        self._last_redo = t
        return self._analyse(t)

    def _analyse(self, now: float) -> list[DetectedStep]:
        t = np.asarray(self._t)
        # Resampled at the source's frame rate (the shortest intervals: with dropped
        # frames the median interval is a multiple of it), 30 Hz at least: a 200
        # steps/min step is then 9 samples, and the period is read to a sample.
        dt = float(np.percentile(np.diff(t), 10))
        fs = max(1.0 / max(dt, 1e-3), 30.0)
        grid = np.arange(t[0], t[-1] + 0.5 / fs, 1.0 / fs)
        y = np.interp(grid, t, np.asarray(self._y))
        feet = np.asarray(self._feet)
        fx = np.interp(grid, t, feet[:, 0])
        fy = np.interp(grid, t, feet[:, 1])
        # grid points farther than MAX_GAP_S / 2 from any sample lie in a gap: left empty
        j = np.clip(np.searchsorted(t, grid), 1, len(t) - 1)
        near = np.minimum(np.abs(grid - t[j - 1]), np.abs(t[j] - grid))
        gap = (t[j] - t[j - 1] > MAX_GAP_S) & (near > 0.5 / fs)
        y[gap] = np.nan
        x = bounce_signal(y, np.ones_like(y), fs)
        feet_all = np.column_stack([fx, fy])
        feet_all[gap] = np.nan
        feet_xy = feet_all if np.isfinite(feet_all).any() else None
        period = step_period(x, feet_xy, fs)
        if not (np.isfinite(period) and max(_lag_correlation(x, int(round(k * period * fs)))
                                            for k in (1, 2)) >= MIN_RHYTHM_CORR):
            # No clear hip rhythm in the window (a chance peak of the noise, or none). Over
            # a whole clip the offline period search still finds the weak bounce of a
            # runner filmed by a following camera; over 6 s it may not. The feet then give
            # the step (their left-right vector turns round once per step): the hips are
            # band-passed around it, as offline does around the hips' own period.
            period = feet_step(feet_xy, fs, MAX_PERIOD_S)
        self.period_s = period
        if not np.isfinite(period):
            self.bounce = math.nan
            self._rhythm_runs = 0
            return []
        self._rhythm_runs += 1
        if self._rhythm_runs < MIN_RHYTHM_ANALYSES:
            return []  # not yet found twice (see MIN_RHYTHM_ANALYSES)
        xf = _bandpass(_interp_nans(x), fs, period)
        xf[gap] = np.nan
        _frames, times, env = _phase_crossings(xf, grid, period, fs)
        strong = float(np.nanmedian(env)) if np.isfinite(env).any() else math.nan
        self.bounce = 2.0 * strong
        swing = _step_excursions(x, grid, times)
        typical_swing = float(np.median(swing)) if swing.size else math.nan
        out: list[DetectedStep] = []
        for tc in times:
            if tc > now - self.LAG_PERIODS * period:
                break
            if tc - self._last_mid < max(0.5 * period, MIN_PERIOD_S):
                continue
            prev, self._last_mid = self._last_mid, float(tc)
            self.mids.append(float(tc))
            if not math.isfinite(prev):
                continue
            a, b = np.searchsorted(grid, [prev, tc])
            d = tc - prev
            ok_time = STEP_DURATION[0] * period <= d <= STEP_DURATION[1] * period
            seg = env[a:b]
            ok_amp = (seg.size > 0 and bool(np.isfinite(seg).all())
                      and float(np.median(seg)) >= max(MIN_BOUNCE_SHARE * strong, 0.5 * self.min_bounce))
            if not ok_amp and seg.size > 0 and bool(np.isfinite(seg).all()):
                # The envelope is that of the step's fundamental, which cancels where
                # successive low points are unevenly spaced or a tracking jump rings
                # through the band-pass, while the hips still rise and fall by a
                # whole bounce. The step's own excursion then decides (see
                # :data:`MIN_SWING_RATIO`).
                own = _excursion(x, grid, prev, float(tc))
                ok_amp = own >= max(MIN_SWING_RATIO * typical_swing, self.min_bounce)
            ok_data = bool(np.isfinite(y[a: b + 1]).mean() >= 0.8) if b > a else False
            if prev < grid[0]:  # began before the window: its frames were seen earlier
                ok_amp = ok_data = True if ok_time else False
            if not ok_time and MERGED[0] * period <= d <= MERGED[1] * period and ok_amp and ok_data:
                # Two steps whose middle low point the phase lost (see :data:`MERGED`).
                half = prev + 0.5 * d
                self.mids.insert(len(self.mids) - 1, half)
                out.append(DetectedStep(prev, half, True, period))
                out.append(DetectedStep(half, float(tc), True, period))
                continue
            out.append(DetectedStep(prev, float(tc), ok_time and ok_amp and ok_data, period))
        return out
