"""Abrupt changes of posture or gait within a clip, told apart from gradual drift.

A runner who tires drifts: the head creeps forward a little more step after step. An
edited clip (bad form, then the corrected one), a demonstration, or a walker who stops
and turns round changes *abruptly*: the posture jumps to a new level within a few steps
and stays there. The two call for different messages, so the per-step series is
segmented at abrupt changes first, and the drift verdict (see
:func:`formcheck.assess.faults.find_faults`) only looks at change that no change point
explains.

Method (binary segmentation with physical minimums), for each metric of
:data:`formcheck.assess.norms.CHANGE_LIMITS` separately:

1. On a stretch of steps ``y[lo:hi]``, the split ``k`` that minimises the squared error
   of a two-level (step) model, with at least ``CHANGE_MIN_STEPS`` steps on each side.
2. The split is a change point only when all hold:

   - **large**: the medians of the two sides differ by at least the metric's limit
     (larger than the landmark noise and, for angles, half the markerless error);
   - **real**: the difference of the means exceeds ``CHANGE_Z`` standard errors, with
     the per-step noise ``sigma`` estimated from successive differences
     (``1.4826 * MAD(diff(y)) / sqrt(2)``, which a single jump or a slow trend barely
     moves);
   - **abrupt**: the step model fits better than a straight line (a gradual drift)
     by more than ``CHANGE_Z**2 * sigma**2`` in squared error. A linear ramp of total
     change D over m steps leaves ``m D^2 / 48`` to the best step model and nothing to
     the line; a jump of D leaves ``m D^2 / 16`` to the line and nothing to the step
     model, so the test separates the two once D is a few times the noise.
3. Recurse on both sides. Change points of different metrics within
   ``CHANGE_MIN_STEPS`` of each other are one event (posture changes together).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from formcheck.assess.norms import CHANGE_LIMITS, CHANGE_MIN_STEPS, CHANGE_Z
from formcheck.model.results import ChangePointRecord, PostureSegments, SegmentRecord

#: Metrics whose medians are given for every segment.
SEGMENT_SUMMARY = ("cva_deg", "trunk_lean_deg", "head_pitch_deg", "shoulder_elevation_torso",
                   "cadence_spm")


#: How the change points are found, as the summary states it.
METHOD = (f"binary segmentation of the per-step series; a change point needs a jump of at least "
          f"the metric's limit, {CHANGE_Z:g} standard errors, a better fit than a straight line "
          f"(gradual drift), and {CHANGE_MIN_STEPS} steps either side")


def noise_sigma(y: np.ndarray) -> float:
    """Robust per-step noise: ``1.4826 * median(|diff(y) - median(diff(y))|) / sqrt(2)``.

    Parameters
    ----------
    y : (n,) array
        Per-step values in step order.

    Returns
    -------
    float
        In the unit of ``y``; NaN with fewer than 3 values.
    """
    d = np.diff(y)
    if d.size < 2:
        return float("nan")
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2.0))


def _sse(y: np.ndarray) -> float:
    return float(((y - y.mean()) ** 2).sum()) if y.size else 0.0


def _line_sse(y: np.ndarray) -> float:
    x = np.arange(y.size, dtype=float)
    coef = np.polyfit(x, y, 1)
    return float(((y - np.polyval(coef, x)) ** 2).sum())


def _split(y: np.ndarray, lo: int, hi: int, limit: float, sigma: float,
           min_steps: int, out: list[tuple[int, float, float]]) -> None:
    """Append (index, median before, median after) of accepted splits of ``y[lo:hi]``."""
    seg = y[lo:hi]
    m = seg.size
    if m < 2 * min_steps:
        return
    best_k, best = -1, np.inf
    for k in range(min_steps, m - min_steps + 1):
        cost = _sse(seg[:k]) + _sse(seg[k:])
        if cost < best:
            best_k, best = k, cost
    a, b = seg[:best_k], seg[best_k:]
    jump = float(np.median(b) - np.median(a))
    se = sigma * np.sqrt(1.0 / a.size + 1.0 / b.size)
    large = abs(jump) >= limit
    real = abs(b.mean() - a.mean()) > CHANGE_Z * se
    abrupt = _line_sse(seg) - best > CHANGE_Z ** 2 * sigma ** 2
    if not (large and real and abrupt):
        return
    out.append((lo + best_k, float(np.median(a)), float(np.median(b))))
    _split(y, lo, lo + best_k, limit, sigma, min_steps, out)
    _split(y, lo + best_k, hi, limit, sigma, min_steps, out)


def metric_change_points(values: np.ndarray, limit: float,
                         min_steps: int = CHANGE_MIN_STEPS) -> list[tuple[int, float, float]]:
    """Change points of one per-step series (NaN steps skipped): a list of
    (index into ``values``, median before, median after), sorted by index.

    Parameters
    ----------
    values : numpy.ndarray
        The per-step values of one metric, in step order; NaN for unmeasured steps.
    limit : float
        The smallest change of the median that counts, in the metric's units.
    min_steps : int, optional
        The fewest finite steps on either side of a change point.

    Returns
    -------
    list of tuple of (int, float, float)
        Empty with fewer than ``2 * min_steps`` finite steps or no noise estimate.
    """
    values = np.asarray(values, dtype=float)
    ok = np.flatnonzero(np.isfinite(values))
    y = values[ok]
    if y.size < 2 * min_steps:
        return []
    sigma = noise_sigma(y)
    if not np.isfinite(sigma):
        return []
    # a floor on the noise: the series is never quieter than a hundredth of the limit
    sigma = max(sigma, 0.01 * limit)
    found: list[tuple[int, float, float]] = []
    _split(y, 0, y.size, limit, sigma, min_steps, found)
    return sorted((int(ok[k]), a, b) for k, a, b in found)


def segment_steps(steps: pd.DataFrame, min_steps: int = CHANGE_MIN_STEPS) -> PostureSegments:
    """Change points and segments of a per-step table (see the module docstring).

    ``steps`` needs ``t_start_s``, ``t_end_s``, ``frame_start`` and the metrics of
    :data:`CHANGE_LIMITS` that the view measures (missing ones are skipped).

    Parameters
    ----------
    steps : pandas.DataFrame
        The per-step table.
    min_steps : int, optional
        The fewest steps on either side of a change point; change points of several
        metrics closer than this are merged.

    Returns
    -------
    PostureSegments
        The change points and the segments between them.
    """
    n = len(steps)
    events: list[tuple[int, str, float, float, float]] = []  # step, metric, before, after, limit
    for metric, limit in CHANGE_LIMITS.items():
        if metric not in steps:
            continue
        for k, a, b in metric_change_points(steps[metric].to_numpy(dtype=float), limit, min_steps):
            events.append((k, metric, a, b, limit))
    events.sort()
    # merge change points of several metrics that fall within min_steps of each other
    groups: list[list[tuple[int, str, float, float, float]]] = []
    for ev in events:
        if groups and ev[0] - groups[-1][0][0] < min_steps:
            groups[-1].append(ev)
        else:
            groups.append([ev])
    cps: list[ChangePointRecord] = []
    for g in groups:
        # the step where the largest jump (in units of its limit) happens
        k = max(g, key=lambda e: abs(e[3] - e[2]) / e[4])[0]
        changes = {}
        for _, metric, a, b, limit in g:
            changes[metric] = {"before": round(a, 4), "after": round(b, 4), "change": round(b - a, 4),
                               "limit": limit}
        cps.append(ChangePointRecord(step=k, t_s=float(steps["t_start_s"].iloc[k]),
                                     frame=int(steps["frame_start"].iloc[k]), changes=changes))
    bounds = [0] + [c.step for c in cps] + [n]
    segments = []
    for a, b in itertools.pairwise(bounds):
        if b <= a:
            continue
        part = steps.iloc[a:b]
        med = {}
        for m in SEGMENT_SUMMARY:
            v = part[m].dropna() if m in part else pd.Series(dtype=float)
            med[m] = round(float(v.median()), 4) if len(v) else None
        segments.append(SegmentRecord(first_step=a, last_step=b - 1, steps=b - a,
                                      t_start_s=float(part["t_start_s"].iloc[0]),
                                      t_end_s=float(part["t_end_s"].iloc[-1]), medians=med))
    return PostureSegments(method=METHOD, limits=dict(CHANGE_LIMITS), change_points=cps,
                           segments=segments)
