"""Real time in a clip: the speed factor, slow motion read from the gait, repeated frames
and an irregular frame timeline. Pure (numpy only).

Conventions. ``factor`` is how many times slower than real the clip plays: real time =
playback time / factor (2 for 60 fps footage shown at 30, 8 for 240 at 30; below 1 for
time-lapse). Once a factor is known every rate and duration (cadence, step durations,
accelerations, filters in Hz) is computed in real time. Positions in the clip (a frame's
``time_s``, a step's ``t_start_s``/``t_end_s``, the time of a fault's evidence) stay in
playback time, the time a player shows, so they can be found in the file; the per-frame
table adds ``real_time_s``.

Slow motion from the gait (:func:`propose_factor`). Running needs a flight phase, and
the body's bounce then sets a floor on cadence: recreational runners step at about
150-200 steps/min even when jogging slowly (METRICS.md quotes ~165-180 for most); the
limit of 140 steps/min is formcheck's choice, a fifteenth below the slowest jog, and above
a 1.5x clip of a 200 steps/min runner (133 at playback; at 120, 1.5x clips of runners
over 180 printed their playback cadence as the runner's). A running gait (hips lowest as the legs pass,
:func:`formcheck.kinematics.steps.gait_kind`) whose playback cadence is under
:data:`SLOW_MOTION_BELOW_SPM` is therefore slow motion. Walking is not evidence (a
slow walk is 90-120 steps/min at real speed).

Why the factor is only *proposed*, never applied. The gait says the clip is slowed, but
not exactly by how much: real cadences span 150-200 steps/min (+-14% around 172), and
slow-motion footage comes at 2x, 4x and 8x from phones but at any factor from editors
and screen recordings (the 6 slow clips behind issue 10 were 2x to 5x, a lab clip ~3x).
A 3x clip of a 150 steps/min runner reads 50, which 4x would turn into a confident-looking
200. An applied guess would put that error, silently, into every rate and acceleration.
So the estimate is shown (terminal, summary, report) with the cadence it implies, the
time-based values are withheld until confirmed, and ``--speed`` applies it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

import numpy as np

from formcheck.errors import ClipTooShortError
from formcheck.kinematics.steps import Steps, detect_steps, feet_step, gait_kind
from formcheck.model.pose import PoseSeries
from formcheck.model.results import TimingRecord

#: A running gait slower than this (steps/min, at playback speed) is slow motion.
SLOW_MOTION_BELOW_SPM = 140.0
#: Any gait slower than this is slower than a human walk or run (slow motion, or not a gait).
NO_GAIT_BELOW_SPM = 70.0
#: Cadence range of runners at real speed (steps/min) used to read the factor.
RUNNING_SPM = (150.0, 200.0)
#: The centre of that range, for factors that no phone rate explains.
TYPICAL_RUNNING_SPM = 172.0
#: Phone slow-motion rates over a 30 fps playback (60, 120, 240 fps), preferred when
#: they give a cadence in :data:`RUNNING_SPM`; then other whole factors.
PHONE_FACTORS = (2, 4, 8)
OTHER_FACTORS = (3, 5, 6, 10, 12, 16)
#: A frame is a repeat when it differs from the one before by under this fraction of the
#: clip's median change, and by under :data:`REPEAT_MAX_LEVELS` grey levels.
REPEAT_FRACTION = 0.1
REPEAT_MAX_LEVELS = 0.5
#: Timestamps further than this (relative) from the median frame interval are irregular.
IRREGULAR_DT = 0.25


def resolve_factor(given: float | None,
                   capture_factor: float | None) -> tuple[float, Literal["given", "metadata", "none"]]:
    """The factor to apply and where it came from: ``--speed`` first, then the file.

    Parameters
    ----------
    given : float or None
        ``--speed`` (capture fps / playback fps).
    capture_factor : float or None
        The factor the file's capture-rate metadata states.

    Returns
    -------
    factor : float
        1.0 when neither is known.
    source : str
        "given", "metadata" or "none".
    """
    if given is not None:
        return float(given), "given"
    if capture_factor is not None:
        return float(capture_factor), "metadata"
    return 1.0, "none"


def propose_factor(playback_cadence_spm: float, gait: str) -> float | None:
    """The likely slow-motion factor of a clip, or None when nothing suggests one.

    Only a running gait under :data:`SLOW_MOTION_BELOW_SPM` counts (see the module doc).
    The factor is the phone rate (2, 4, 8) that puts the cadence in :data:`RUNNING_SPM`
    (the one nearest :data:`TYPICAL_RUNNING_SPM` if two do), else another whole factor that
    does, else ``TYPICAL_RUNNING_SPM / cadence`` rounded to a half.

    Parameters
    ----------
    playback_cadence_spm : float
        Cadence at playback speed, steps/min.
    gait : str
        "running", "walking" or "unclear" (:func:`~formcheck.kinematics.steps.gait_kind`).

    Returns
    -------
    float or None
    """
    c = playback_cadence_spm
    if gait != "running" or not np.isfinite(c) or c <= 0 or c >= SLOW_MOTION_BELOW_SPM:
        return None
    lo, hi = RUNNING_SPM
    for group in (PHONE_FACTORS, OTHER_FACTORS):
        fits = [k for k in group if lo <= c * k <= hi]
        if fits:
            return float(min(fits, key=lambda k: abs(c * k - TYPICAL_RUNNING_SPM)))
    return max(1.5, round(2.0 * TYPICAL_RUNNING_SPM / c) / 2.0)


def proposal_message(factor: float, playback_cadence_spm: float) -> str:
    """The line shown in the terminal, the summary's warnings and the report.

    Parameters
    ----------
    factor : float
        The proposed slow-motion factor.
    playback_cadence_spm : float
        Cadence at playback speed, steps/min.

    Returns
    -------
    str
    """
    return (f"this looks like ~{factor:g}x slow motion: a running gait at "
            f"{playback_cadence_spm:.0f} steps/min of playback is about "
            f"{playback_cadence_spm * factor:.0f} steps/min at real speed; pass --speed "
            f"{factor:g} to confirm (cadence and the bounce and neck-load peaks, which need "
            "real time, are withheld until then)")


def real_time(series: PoseSeries, factor: float) -> PoseSeries:
    """The same landmarks on a real-time clock: ``t / factor``, frame rate ``fps * factor``.

    Parameters
    ----------
    series : PoseSeries
        Landmarks on the playback clock.
    factor : float
        Capture fps / playback fps (1.0: real time already).

    Returns
    -------
    PoseSeries
        ``series`` itself when ``factor`` is 1, else a copy with new times and frame rate.
    """
    if factor == 1.0:
        return series
    video = series.video.replace(fps=series.video.fps * factor)
    return replace(series, t=series.t / factor, video=video)


def repeated_frames(change: np.ndarray) -> np.ndarray:
    """Frames that repeat the frame before (bool mask), from per-frame changes.

    ``change[i]`` is the mean absolute grey-level difference of frame ``i`` from frame
    ``i - 1`` (NaN for a first frame). A repeat differs by compression noise only:
    under :data:`REPEAT_FRACTION` of the clip's median change and under
    :data:`REPEAT_MAX_LEVELS`. A run of two or more repeats is a pause (a frozen player):
    the frame it repeats is left out too, since it shows the same still moment.

    Parameters
    ----------
    change : (n,) array
        Per-frame mean absolute grey-level change (NaN where unknown).

    Returns
    -------
    (n,) bool array
    """
    change = np.asarray(change, dtype=np.float64)
    ok = np.isfinite(change)
    if ok.sum() < 3:
        return np.zeros(len(change), bool)
    limit = min(REPEAT_MAX_LEVELS, REPEAT_FRACTION * float(np.median(change[ok])))
    rep = ok & (change <= limit)
    out = rep.copy()
    i = 0
    n = len(rep)
    while i < n:
        if rep[i]:
            j = i
            while j < n and rep[j]:
                j += 1
            if j - i >= 2 and i > 0:
                out[i - 1] = True
            i = j
        else:
            i += 1
    return out


def timeline(t: np.ndarray, stated_fps: float) -> dict[str, Any]:
    """How regular the frame timestamps are.

    Returns the stated rate, the rate from the median interval, the share of intervals
    further than :data:`IRREGULAR_DT` from the median, and ``variable`` (a VFR timeline:
    more than 2% of the intervals irregular).

    Parameters
    ----------
    t : (n,) array
        Frame times, s.
    stated_fps : float
        The container's frame rate.

    Returns
    -------
    dict
        ``stated_fps``, ``median_fps``, ``irregular_fraction``, ``variable``.
    """
    t = np.asarray(t, dtype=np.float64)
    dt = np.diff(t[np.isfinite(t)])
    dt = dt[dt > 0]
    if dt.size < 2:
        return {"stated_fps": round(stated_fps, 4), "median_fps": None, "irregular_fraction": None,
                "variable": False}
    med = float(np.median(dt))
    irregular = float(np.mean(np.abs(dt - med) > IRREGULAR_DT * med))
    return {"stated_fps": round(stated_fps, 4), "median_fps": round(1.0 / med, 4),
            "irregular_fraction": round(irregular, 4), "variable": irregular > 0.02}


def without_frames(series: PoseSeries, mask: np.ndarray) -> PoseSeries:
    """``series`` with the frames in ``mask`` emptied (not detected), e.g. repeats.

    Parameters
    ----------
    series : PoseSeries
    mask : (n,) bool array
        Frames to empty.

    Returns
    -------
    PoseSeries
        ``series`` itself when ``mask`` is empty, else a copy.
    """
    if not mask.any():
        return series
    xy, z, vis, world = series.xy.copy(), series.z.copy(), series.visibility.copy(), series.world.copy()
    xy[mask] = np.nan
    z[mask] = np.nan
    vis[mask] = 0.0
    world[mask] = np.nan
    return replace(series, xy=xy, z=z, visibility=vis, world=world)


def start_timing(raw: PoseSeries, given: float | None, capture: dict[str, Any] | None,
                 frame_change: np.ndarray | None) -> tuple[TimingRecord, PoseSeries]:
    """The clip's timing before analysis, and the series to analyse: repeated frames
    emptied (:func:`repeated_frames`) and on the real-time clock (:func:`real_time`).

    ``capture`` is the file's capture-rate record (``factor`` key, or None); ``frame_change``
    the per-frame change measured while decoding, aligned with ``raw`` (ignored if not).

    Parameters
    ----------
    raw : PoseSeries
        The model's landmarks on the playback clock.
    given : float or None
        ``--speed``.
    capture : dict or None
        The capture-rate record of the file.
    frame_change : (n,) array or None
        Per-frame grey-level change from decoding.

    Returns
    -------
    Timing
        The clip's timing so far (slow motion is checked later, :func:`check_slow_motion`).
    PoseSeries
        The series to analyse.
    """
    factor, source = resolve_factor(given, (capture or {}).get("factor"))
    timing = TimingRecord(factor=factor, source=source, capture=capture,
                          timeline=timeline(raw.t, raw.video.fps))
    series = raw
    if frame_change is not None and len(frame_change) == len(raw):
        mask = repeated_frames(frame_change)
        timing.repeated_frames = int(mask.sum())
        series = without_frames(raw, mask)
        if mask.any():
            timing.notes.append(
                f"{int(mask.sum())} frame(s) repeat the frame before (a paused player, or duplicates "
                "from a frame-rate conversion) and were left out")
    if timing.timeline.get("variable"):
        timing.notes.append(
            f"the frame timestamps are irregular ({100 * timing.timeline['irregular_fraction']:.0f}% of "
            "the intervals; a variable frame rate): times and rates follow the timestamps")
    if source == "metadata" and factor != 1.0:
        timing.notes.append(f"{capture.get('note') if capture else ''}: rates and durations are "
                            "at real speed")
    return timing, real_time(series, factor)


#: Time scalings tried when no step rhythm shows at playback speed (4x and 16x slower
#: rhythms come into the 43-270 steps/min search range of the step finder).
PROBE_SCALES = (4.0, 16.0)


def check_slow_motion(timing: TimingRecord, steps: Steps, hip_y: np.ndarray, torso: np.ndarray,
                      t: np.ndarray, fps: float, feet: np.ndarray | None, gap: np.ndarray | None,
                      gait: str) -> list[str]:
    """Look for slow motion in the gait when no factor is known; fill ``timing`` and
    return the warnings to show.

    The playback cadence comes from ``steps``; when they found no rhythm (a slow-motion
    clip's steps can be slower than the step finder's 43 steps/min floor) the step finder
    is run again on the clock sped up 4x, then 16x, and the cadence scaled back, with
    the gait (``gap``: horizontal ankle gap, side view) judged on that clock too. When a
    short clip holds too few of its slow steps for that, the time the feet take to turn
    round (:func:`formcheck.kinematics.steps.feet_step`) times one step.

    Parameters
    ----------
    timing : Timing
        Filled in place (cadences, proposed factor, message).
    steps : Steps
        The steps found at the series' clock.
    hip_y, torso : (n,) arrays
        Hip height (image y, px) and torso length (px) per frame.
    t : (n,) array
        Frame times, s.
    fps : float
        Frames per second.
    feet : (n, 2) array or None
        Left-minus-right ankle position, px.
    gap : (n,) array or None
        Horizontal ankle gap (px; side view), for the gait.
    gait : str
        The gait judged at this clock.

    Returns
    -------
    list of str
        Warnings to show (empty when nothing suggests slow motion).
    """
    cadence = steps.cadence_spm if steps.kind == "steps" else float("nan")
    if not np.isfinite(cadence):
        for scale in PROBE_SCALES:
            try:
                found = detect_steps(hip_y, torso, t / scale, fps * scale, feet)
            except ClipTooShortError:
                continue
            cadence = found.cadence_spm / scale
            if gap is not None:
                gait = gait_kind(hip_y, gap, torso, fps * scale)[0]
            break
    if not np.isfinite(cadence) and len(t) > 1:
        # too few slow steps for the hips' rhythm: the feet turning round still time a step
        step_s = feet_step(feet, fps, (t[-1] - t[0]) / 2.0)
        if np.isfinite(step_s):
            cadence = 60.0 / step_s
            if gap is not None:
                gait = gait_kind(hip_y, gap, torso, fps * step_s * TYPICAL_RUNNING_SPM / 60.0)[0]
    if not np.isfinite(cadence):
        return []
    timing.playback_cadence_spm = timing.real_cadence_spm = float(cadence)
    factor = propose_factor(cadence, gait)
    if factor is not None:
        timing.source = "proposed"
        timing.proposed_factor = factor
        timing.real_cadence_spm = float(cadence * factor)
        timing.message = proposal_message(factor, cadence)
        return [timing.message]
    if cadence < NO_GAIT_BELOW_SPM:
        timing.implausible = True
        return [f"a cadence of {cadence:.0f} steps/min at playback speed is slower than any walk or "
                "run: the clip is slow motion (pass --speed FACTOR, capture fps / playback fps), or "
                "each counted step is a stride (the feet were not seen well enough to tell); "
                "cadence and step timing are withheld"]
    if cadence < SLOW_MOTION_BELOW_SPM and gait != "walking":
        # The gait could not be judged (a front or back view, or hips that do not show it):
        # a run this slow is slow motion, a walk may be at real speed. Either way the
        # playback cadence is not known to be the person's, so it is withheld like a
        # proposal, and the message names both ways to confirm.
        k = propose_factor(cadence, "running")
        if k is None:  # not reached: propose_factor answers for any running cadence below the bar
            return []
        timing.source = "proposed"
        timing.proposed_factor = k
        timing.gait_unknown = True
        timing.real_cadence_spm = float(cadence * k)
        timing.message = (
            f"a cadence of {cadence:.0f} steps/min at playback speed is below any running cadence, and "
            f"the gait could not be judged from this view: if this is running, the clip is likely "
            f"~{k:g}x slow motion (about {cadence * k:.0f} steps/min at real speed; pass --speed {k:g}); "
            "if it is a walk at real speed (90-120 steps/min), pass --speed 1. Cadence and the bounce "
            "and neck-load peaks, which need real time, are withheld until then")
        return [timing.message]
    return []
