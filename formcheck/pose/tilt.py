"""Camera roll: estimated from straight lines in the background, corrected if sure.

A phone propped up a few degrees off level tilts every angle formcheck measures
against the vertical (trunk lean, CVA proxy, head pitch) by the same amount. Walls,
door frames, treadmill rails and the floor give long straight lines that should be
horizontal or vertical. On a few frames spread over the clip, edges (Canny) and
line segments (probabilistic Hough transform) are found outside the runner's box;
segments within 12 deg of horizontal or vertical vote, weighted by length, for the
roll that would make them level. The weighted median is the estimate; when enough
line length agrees closely (small spread), the landmarks are rotated by it before
any angle is measured. Otherwise nothing is changed, and a large but uncertain
estimate is reported as a warning.
"""

from __future__ import annotations

import cv2
import numpy as np

from formcheck.model.results import TILT_METHOD, TILT_WARN_DEG, CameraTilt

MAX_SIDE = 640
NEAR_AXIS_DEG = 12.0
MIN_LINES = 8
MAX_SPREAD_DEG = 1.5
MIN_CORRECTION_DEG = 1.0


class FrameSampler:
    """Keeps a few small grey frames spread over the clip (for :func:`estimate_roll`),
    keyed by their time in seconds. Safe to call from several decoding threads."""

    def __init__(self, n_frames: int, samples: int = 6) -> None:
        self.every = max(1, n_frames // samples)
        self.frames: dict[float, np.ndarray] = {}
        self.scale = 1.0

    def __call__(self, frame) -> None:  # formcheck.io.video.Frame
        if frame.index % self.every or len(self.frames) >= 10:
            return
        rgb = frame.rgb
        h, w = rgb.shape[:2]
        self.scale = min(1.0, MAX_SIDE / max(h, w))
        small = cv2.resize(rgb, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_AREA) \
            if self.scale < 1 else rgb
        self.frames[float(frame.time_s)] = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)


def _segments(gray: np.ndarray, mask_box: tuple[int, int, int, int] | None) -> np.ndarray:
    edges = cv2.Canny(cv2.GaussianBlur(gray, (5, 5), 0), 50, 150)
    if mask_box is not None:
        x0, y0, x1, y1 = mask_box
        edges[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] = 0
    h, w = gray.shape
    lines = cv2.HoughLinesP(edges, 1, np.pi / 360, threshold=60,
                            minLineLength=int(0.12 * min(h, w)), maxLineGap=4)
    return np.zeros((0, 4)) if lines is None else np.asarray(lines).reshape(-1, 4).astype(float)


def estimate_roll(sampler: FrameSampler, boxes: dict[float, tuple[float, float, float, float]]) -> CameraTilt:
    """Estimate the camera roll from the sampled frames.

    ``boxes`` maps a sampled frame's time -> the runner's box (x0, y0, x1, y1) in
    full-size pixels, which is masked out (the runner's own limbs are not level).
    """
    devs, weights = [], []
    for idx, gray in sampler.frames.items():
        box = boxes.get(idx)
        mbox = None
        if box is not None and np.all(np.isfinite(box)):
            x0, y0, x1, y1 = (np.asarray(box) * sampler.scale)
            pad = 0.15 * (y1 - y0)
            mbox = (int(x0 - pad), int(y0 - pad), int(x1 + pad), int(y1 + pad))
        for x1_, y1_, x2_, y2_ in _segments(gray, mbox):
            dx, dy = x2_ - x1_, y2_ - y1_
            ang = np.degrees(np.arctan2(dy, dx)) % 180.0
            if ang > 90:
                ang -= 180.0  # (-90, 90]
            if abs(ang) <= NEAR_AXIS_DEG:
                dev = ang
            elif abs(abs(ang) - 90.0) <= NEAR_AXIS_DEG:
                dev = ang - 90.0 if ang > 0 else ang + 90.0
            else:
                continue
            devs.append(dev)
            weights.append(float(np.hypot(dx, dy)))
    if len(devs) < MIN_LINES:
        return _tilt(None, len(devs), None, False, "not estimated: too few straight lines in the background")
    d, w = np.asarray(devs), np.asarray(weights)
    order = np.argsort(d)
    cum = np.cumsum(w[order])
    roll = float(d[order][np.searchsorted(cum, cum[-1] / 2)])
    spread = float(np.average(np.abs(d - roll), weights=w))
    sure = spread <= MAX_SPREAD_DEG
    if sure and abs(roll) >= MIN_CORRECTION_DEG:
        return _tilt(roll, len(devs), spread, True, f"camera rolled {roll:+.1f} deg: angles corrected")
    if sure:
        return _tilt(roll, len(devs), spread, False, "camera level (within 1 deg)")
    note = "uncertain estimate, not applied"
    if abs(roll) >= TILT_WARN_DEG:
        note += f": the camera may be rolled by about {roll:+.0f} deg, so lean angles may be off by that much"
    return _tilt(roll, len(devs), spread, False, note)  # CameraTilt.warn: abs(roll) >= TILT_WARN_DEG


def _tilt(roll: float | None, lines: int, spread: float | None, applied: bool, note: str) -> CameraTilt:
    return CameraTilt(roll_deg=roll, lines=lines, spread_deg=spread, applied=applied, note=note,
                      method=TILT_METHOD)


