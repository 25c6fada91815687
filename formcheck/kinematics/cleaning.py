"""Cleaning landmark trajectories: visibility filter, outliers, gap filling, smoothing.

Order (as in Sports2D / Pose2Sim): drop landmarks the model itself doubts, reject
isolated jumps, fill short gaps, then a zero-phase low-pass filter. Longer gaps stay
empty (NaN): a metric is never computed from invented positions.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings

import numpy as np
import pandas as pd
from scipy import signal

from formcheck.model.pose import PoseSeries
from formcheck.model.results import CleaningRecord

log = logging.getLogger(__name__)

BUTTER_ORDER = 4


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """The ``[start, stop)`` index ranges of each run of True values in a 1-D mask.

    Parameters
    ----------
    mask : (n,) bool array

    Returns
    -------
    list of (int, int)
        ``(start, stop)`` of each run, in order.
    """
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


#: Columns of an (n, k) array processed together by the column-wise filters: their
#: temporaries then take a few columns' memory, not the whole array's, on a long clip.
COLUMN_BLOCK = 8


def _column_blocks(k: int) -> list[slice]:
    return [slice(j, min(k, j + COLUMN_BLOCK)) for j in range(0, k, COLUMN_BLOCK)]


def hampel_mask(x: np.ndarray, window: int, n_sigma: float = 3.0, floor: float = 0.0) -> np.ndarray:
    """Boolean mask of samples that differ from the rolling median by more than
    ``n_sigma`` robust standard deviations (1.4826 * MAD), or ``floor`` if larger.

    ``x`` is (n, k); NaNs are ignored and never flagged.

    Parameters
    ----------
    x : (n, k) array
        Samples in rows, signals in columns.
    window : int
        Rolling window, samples (centred).
    n_sigma : float
        How many robust standard deviations count as an outlier.
    floor : float
        The smallest deviation that counts, in the units of ``x``.

    Returns
    -------
    (n, k) bool array
    """
    out = np.zeros(x.shape, bool)
    for cols in _column_blocks(x.shape[1]):  # columns are independent: a few at a time (memory)
        part = x[:, cols]
        df = pd.DataFrame(part)
        roll = df.rolling(window, center=True, min_periods=max(3, window // 2))
        med = roll.median().to_numpy()
        mad = (df - med).abs().rolling(window, center=True, min_periods=max(3, window // 2)).median()
        thresh = np.maximum(n_sigma * 1.4826 * mad.to_numpy(), floor)
        with np.errstate(invalid="ignore"):
            out[:, cols] = np.abs(part - med) > thresh
    return out


def fill_gaps(x: np.ndarray, max_gap: int) -> tuple[np.ndarray, int]:
    """Linearly interpolate NaN runs of at most ``max_gap`` samples inside each column.

    Leading/trailing NaNs and longer gaps are left as NaN. Returns (filled, count).

    Parameters
    ----------
    x : (n, k) array
        Samples in rows, signals in columns; NaN where missing.
    max_gap : int
        The longest gap filled, samples.

    Returns
    -------
    filled : (n, k) array
    count : int
        Samples filled.
    """
    isnan = np.isnan(x)
    out = np.array(x, copy=True)
    for cols in _column_blocks(x.shape[1]):  # columns are independent: a few at a time (memory)
        if isnan[:, cols].any():
            out[:, cols] = pd.DataFrame(x[:, cols]).interpolate(method="linear", limit_area="inside",
                                                                 axis=0).to_numpy()
    # Undo fills in gaps longer than max_gap.
    n = 0
    for j in range(x.shape[1]):
        col = isnan[:, j]
        if not col.any():
            continue
        for start, stop in true_runs(col):
            if stop - start > max_gap:
                out[start:stop, j] = np.nan
            elif start > 0 and stop < len(col):
                n += stop - start
    return out, n


def lowpass(x: np.ndarray, fs: float, cutoff_hz: float) -> np.ndarray:
    """Zero-phase Butterworth low-pass (order 4, ``sosfiltfilt``) over each
    contiguous finite run of each column; runs too short to pad are left as they are.

    Parameters
    ----------
    x : (n, k) array
        Samples in rows, signals in columns; NaN where missing.
    fs : float
        Sampling rate, Hz.
    cutoff_hz : float
        Cut-off frequency, Hz (below the Nyquist frequency ``fs / 2``).

    Returns
    -------
    (n, k) array
        A filtered copy.
    """
    sos = signal.butter(BUTTER_ORDER, cutoff_hz, btype="low", fs=fs, output="sos")
    padlen = 3 * (2 * len(sos) + 1)
    out = x.copy()
    for j in range(x.shape[1]):
        col = np.isfinite(x[:, j])
        if not col.any():
            continue
        for start, stop in true_runs(col):
            if stop - start > padlen:
                out[start:stop, j] = signal.sosfiltfilt(sos, x[start:stop, j])
    return out


def clean(series: PoseSeries, min_visibility: float = 0.5, max_gap_s: float = 0.25,
          cutoff_hz: float = 6.0) -> tuple[PoseSeries, CleaningRecord]:
    """Return a cleaned copy of ``series`` and a log of what was changed.

    Drops landmarks the model doubts (visibility below ``min_visibility``), outliers
    (Hampel, 4 robust SD over ~0.3 s, at least 5% of the torso), fills gaps up to
    ``max_gap_s`` linearly and low-passes every coordinate (zero-phase Butterworth).

    Parameters
    ----------
    series : PoseSeries
        Landmarks as the model gave them.
    min_visibility : float
        Landmarks below this visibility (0-1) are dropped.
    max_gap_s : float
        Gaps up to this long (s) are filled.
    cutoff_hz : float
        Low-pass cut-off (Hz); no filtering when it is not below 0.95 x Nyquist.

    Returns
    -------
    PoseSeries
        A cleaned copy (same skeleton, times and video).
    CleaningRecord
        What was dropped, filled and filtered.
    """
    n = len(series)
    fs = series.video.fps
    xy = series.xy.astype(np.float64).reshape(n, -1)  # (n, 2K): x0, y0, x1, y1, ...
    vis = np.repeat(series.visibility, 2, axis=1)
    present = np.isfinite(xy)
    low = present & (vis < min_visibility)
    xy[low] = np.nan

    # Outliers: single-landmark jumps against a ~0.3 s rolling median, never less than
    # 5% of the median torso length (so ordinary running motion is not flagged).
    torso = _median_torso(series)
    window = max(5, int(round(0.3 * fs)) | 1)
    out_mask = hampel_mask(xy, window, 4.0, floor=0.05 * torso if np.isfinite(torso) else 0.0)
    # A landmark is dropped whole: x and y go together.
    out_mask = np.repeat(out_mask.reshape(n, -1, 2).any(axis=2), 2, axis=1)
    xy[out_mask] = np.nan

    max_gap = max(1, int(round(max_gap_s * fs)))
    xy, n_filled = fill_gaps(xy, max_gap)

    nyquist = fs / 2.0
    if cutoff_hz < 0.95 * nyquist:
        xy = lowpass(xy, fs, cutoff_hz)
        filt = f"Butterworth low-pass, order {BUTTER_ORDER}, zero-phase, {cutoff_hz:g} Hz"
        used_cutoff: float | None = cutoff_hz
    else:
        filt = f"none (cut-off {cutoff_hz:g} Hz is not below the Nyquist frequency {nyquist:g} Hz)"
        used_cutoff = None

    cleaned = dataclasses.replace(
        series,
        xy=xy.reshape(n, -1, 2).astype(np.float32),
        visibility=np.where(np.isfinite(xy.reshape(n, -1, 2)[..., 0]), series.visibility, 0.0)
        .astype(np.float32),
    )
    return cleaned, CleaningRecord(
        min_visibility=min_visibility, max_gap_s=max_gap_s, cutoff_hz=used_cutoff, filter=filt,
        points_low_visibility=int(low.sum() // 2), points_outliers=int(out_mask.sum() // 2),
        points_filled=int(n_filled // 2),
    )


def _median_torso(series: PoseSeries) -> float:
    shoulders, hips = (list(series.skeleton.pair(part)) for part in ("shoulder", "hip"))
    # All-NaN rows (nobody detected) are expected here: no "Mean of empty slice" warnings.
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        sh = np.nanmean(series.xy[:, shoulders], axis=1)
        hp = np.nanmean(series.xy[:, hips], axis=1)
    d = np.hypot(*(sh - hp).T)
    return float(np.nanmedian(d)) if np.isfinite(d).any() else float("nan")
