"""Causal signal processing for the live pipeline: landmark smoothing and step detection.

Nothing here looks ahead: every output depends only on the frames seen so far, so it
can run as frames arrive. Frames may be dropped (a live source never falls behind),
so both stages work on irregular sample times.
"""

from __future__ import annotations

import math

import numpy as np

from formcheck.kinematics.steps import MAX_PERIOD_S, MIN_PERIOD_S


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


class StepDetector:
    """Mid-stance instants (lowest hip) found causally from the hip bounce.

    The hip height ``y`` (image y, down +, in torso lengths) is lowest once per step.
    A low point is confirmed after the fact: the running maximum of ``y`` since the
    last confirmed step becomes a mid-stance when ``y`` has since risen back by
    ``prominence`` (the hip is on its way up) and it lies at least ``MIN_PERIOD_S``
    (270 steps/min) after the previous mid-stance. After a confirmation the detector
    waits for ``y`` to pass a high point (fall by ``prominence`` below its running
    minimum) before it looks for the next low point: one confirmation per bounce
    (the peak detector of Billauer, with a minimum period).

    ``prominence`` is ``max(min_prominence, 0.35 * amplitude)``, with ``amplitude``
    the median peak-to-peak bounce of the last steps: above the landmark noise
    (about 0.01-0.02 torso lengths after smoothing) and well below a running bounce
    (0.12-0.3 torso lengths), so small wobbles between steps are not steps.

    :meth:`update` returns the time of a newly confirmed mid-stance, else None. The
    confirmation comes roughly a fifth of a step after the low point.
    """

    def __init__(self, min_prominence: float = 0.03) -> None:
        self.min_prominence = min_prominence
        self._seek_low = True
        self._ext_y = -np.inf  # running max of y (seeking a low point) or min (seeking high)
        self._ext_t = math.nan
        self._last_step_t = -np.inf
        self._last_high_y = math.nan
        self._amplitudes: list[float] = []

    @property
    def prominence(self) -> float:
        amp = float(np.median(self._amplitudes[-6:])) if self._amplitudes else 0.0
        return max(self.min_prominence, 0.35 * amp)

    def reset(self) -> None:
        self.__init__(self.min_prominence)  # type: ignore[misc]

    def update(self, t: float, y: float) -> float | None:
        if not math.isfinite(y):
            return None
        p = self.prominence
        if self._seek_low:
            if y > self._ext_y:
                self._ext_y, self._ext_t = y, t
            elif self._ext_y - y >= p and self._ext_t - self._last_step_t >= MIN_PERIOD_S:
                step_t = self._ext_t
                if math.isfinite(self._last_high_y):
                    self._amplitudes.append(self._ext_y - self._last_high_y)
                    del self._amplitudes[:-12]
                self._last_step_t = step_t
                self._seek_low = False
                self._ext_y, self._ext_t = y, t
                return step_t
            elif self._ext_y - y >= p:
                # Too soon after the last step: not a new low point; start afresh.
                self._ext_y, self._ext_t = y, t
        else:
            if y < self._ext_y:
                self._ext_y, self._ext_t = y, t
            elif y - self._ext_y >= p:
                self._last_high_y = self._ext_y
                self._seek_low = True
                self._ext_y, self._ext_t = y, t
        return None


def plausible_step(duration_s: float) -> bool:
    """A step lasts between ``MIN_PERIOD_S`` and ``MAX_PERIOD_S`` (43-270 steps/min), the
    offline analysis's range; a longer interval means steps were missed."""
    return MIN_PERIOD_S <= duration_s <= MAX_PERIOD_S
