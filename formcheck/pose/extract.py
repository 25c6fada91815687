"""The pose pass over a clip, and the choice of the runner: everything before cleaning.

Kept apart from :mod:`formcheck.assess.analysis` so that pandas and scipy are not imported
(and take no memory) while the pose landmarkers run: the largest process peaks lower
when they load after the landmarkers have been closed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from formcheck.errors import NoRunnerFoundError
from formcheck.io.timing import read_capture_rate
from formcheck.io.video import probe
from formcheck.model.capture import Extracted
from formcheck.model.pose import PoseSeries
from formcheck.model.results import ModelMeta, VideoMeta
from formcheck.model.settings import Settings
from formcheck.pose.bundle import resolve_model
from formcheck.pose.tilt import FrameSampler, estimate_roll

if TYPE_CHECKING:
    from formcheck.pose.landmarker import Extraction

log = logging.getLogger(__name__)

MIN_DETECTED_FRAMES = 10
MIN_DETECTED_FRACTION = 0.2
#: A runner in view for less of the clip than this gets a note saying how much, and
#: whether someone else filled the rest.
PART_OF_CLIP = 0.75


def runner_boxes(series: PoseSeries, times: list[float]) -> dict[float, tuple[float, float, float, float]]:
    """The runner's bounding box (px) in the frames at ``times``."""
    boxes = {}
    for t in times:
        i = int(np.argmin(np.abs(series.t - t))) if len(series) else -1
        if 0 <= i < len(series) and abs(series.t[i] - t) < 1e-3 and series.detected[i]:
            xy = series.xy[i]
            boxes[t] = (float(np.nanmin(xy[:, 0])), float(np.nanmin(xy[:, 1])),
                        float(np.nanmax(xy[:, 0])), float(np.nanmax(xy[:, 1])))
    return boxes


#: Frames looked at for the way up when nobody is found upright: enough to see a runner
#: in view for most of the clip, few enough to take a second or two.
TURN_FRAMES = 8
#: A person counts as standing the right way up in a turned frame when the trunk is this
#: close to vertical: a runner's lean and a rolled camera stay well inside it, and the two
#: wrong quarter turns put the trunk near 90 deg (the model finds people lying down too).
STANDING_TILT_DEG = 45.0


def find_turn(video: VideoMeta, model: ModelMeta) -> int | None:
    """The clockwise turn (90, 180 or 270 deg) under which a person stands upright in most
    of a few frames spread over the clip: for a clip stored sideways or upside down whose
    rotation was lost (an editor or a messaging app re-saved it). The pose model looks for
    people in the frames as stored; it missed a runner lying sideways in 355 of 360 frames
    of the garage clip turned a quarter, and tracked one upside down, which is never a
    runner (:func:`formcheck.pose.blazepose.upright`).

    Parameters
    ----------
    video : VideoMeta
        The clip as probed.
    model : ModelMeta
        The pose model.

    Returns
    -------
    int or None
        The turn that shows someone standing (trunk within :data:`STANDING_TILT_DEG` of
        vertical) in at least half of :data:`TURN_FRAMES` frames, and in more of them than
        any other turn or the clip as stored; None when no turn does.
    """
    import cv2

    from formcheck.io.video import read_frames
    from formcheck.pose.blazepose import PoseFrame, create_landmarker, mp_image, trunk_tilt_deg

    picks = sorted({int(i) for i in np.linspace(0, max(video.frames - 1, 0), TURN_FRAMES).round()})
    frames = list(read_frames(video, picks).values())
    if not frames:
        return None
    rotate = {0: None, 90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    seen: dict[int, int] = {}
    landmarker = create_landmarker(model, video_mode=False, num_poses=1)
    try:
        for turn, code in rotate.items():
            seen[turn] = 0
            for rgb in frames:
                img = np.ascontiguousarray(rgb if code is None else cv2.rotate(rgb, code))
                found = PoseFrame.from_mediapipe(landmarker.detect(mp_image(img)), img.shape[1], img.shape[0])
                seen[turn] += bool(len(found) and (trunk_tilt_deg(found.xy) < STANDING_TILT_DEG).any())
    finally:
        landmarker.close()
    best = max(seen, key=lambda k: seen[k])
    others = [n for k, n in seen.items() if k != best]
    if best and seen[best] >= max(2, (len(frames) + 1) // 2) and seen[best] > max(others):
        return best
    return None


#: A runner whose trunk, as the clip is stored, is tilted this far from vertical in most
#: frames is more likely stored on its side than filmed by a camera rolled by 50 deg or
#: more (formcheck levels rolls of up to 45): the way up is looked for (:func:`find_turn`).
LYING_TILT_DEG = 60.0


def median_tilt_deg(series: PoseSeries) -> float:
    """Median over the frames with the runner of the trunk's tilt from image-up
    (:func:`~formcheck.pose.blazepose.trunk_tilt_deg`; NaN without any).

    Parameters
    ----------
    series : PoseSeries
        The runner's landmarks.

    Returns
    -------
    float
        Degrees from image-up, 0-180.
    """
    from formcheck.pose.blazepose import trunk_tilt_deg

    tilt = trunk_tilt_deg(series.xy)
    tilt = tilt[np.isfinite(tilt)]
    return float(np.median(tilt)) if tilt.size else float("nan")


def _found(series: PoseSeries) -> bool:
    det = series.detected
    return bool(det.sum() >= MIN_DETECTED_FRAMES and det.mean() >= MIN_DETECTED_FRACTION)


def extract_runner(video_path: str, settings: Settings,
                   progress: Callable[[int, int], None] | None = None) -> Extracted:
    """Probe the clip, run the pose pass, pick the runner and estimate the camera roll.

    When nobody is found upright in the clip as stored, or the runner found is lying on
    their side (:data:`LYING_TILT_DEG`), a few frames are looked at turned a quarter, a
    half and three quarters (:func:`find_turn`); where one of those shows the runner
    standing, the pass runs again on every frame turned that way, and the outputs
    (tables, stills, the annotated video) show the clip turned upright too.

    Raises a :class:`FormcheckError` on bad input or when nobody is found.
    """
    from formcheck.io.video import turned

    t0 = time.perf_counter()
    video = probe(video_path)
    total = video.frames  # what the container states
    model = resolve_model(settings.model)
    sampler, ext, raw, video = _pose_pass(video, model, settings, progress)
    warnings = []
    if not _found(raw) or median_tilt_deg(raw) > LYING_TILT_DEG:
        turn = find_turn(video, model)
        if turn is not None:
            again = _pose_pass(turned(video, turn), model, settings, progress)
            if _found(again[2]):
                sampler, ext, raw, video = again
                way = "upside down" if turn == 180 else "on its side"
                warnings.append(
                    f"the video is stored {way} (its rotation is missing): the runner was found with every "
                    f"frame turned {turn} deg clockwise, and the outputs show it that way up")
    timings = {"pose": time.perf_counter() - t0}
    decode = ext.decode.record(total)
    if ext.decode.bad_packets:
        warnings.append(f"the file is damaged: {ext.decode.bad_packets} video packets could not be "
                        f"decoded and were skipped ({ext.decode.frames} of about {total} frames read)")
    elif total and ext.decode.frames < 0.9 * total:
        warnings.append(f"only {ext.decode.frames} of the {total} frames the file states could be read")
    if ext.zoomed_frames:
        warnings.append(
            f"the full frame showed nobody: the runner was found by searching zoomed regions and "
            f"tracked in a region that follows them ({ext.zoomed_frames} frames)")
    det = raw.detected
    if not _found(raw):
        raise NoRunnerFoundError(
            f"no runner found: a person was detected in {int(det.sum())} of {len(det)} frames "
            f"({100 * det.mean():.0f}%); the whole body must be in view, and not too small")
    if det.mean() < PART_OF_CLIP:
        others = int(raw.selection.get("others_without_runner_frames", 0))
        fps = video.fps or 30.0
        warnings.append(
            f"the runner is in view in {int(det.sum())} of {len(det)} frames ({100 * det.mean():.0f}%)"
            + (f"; a person not taken for the runner is seen for {others / fps:.1f} s where the runner "
               "is not (someone else, or the runner in another take of an edited clip)" if others >= fps else "")
            + ": only the runner's frames are measured")
    tilt = estimate_roll(sampler, runner_boxes(raw, list(sampler.frames)))
    capture = read_capture_rate(video.path, video.fps).to_dict()
    change = np.asarray(ext.decode.change, dtype=np.float64)
    return Extracted(raw, video, model, tilt, decode, warnings, timings, capture,
                     change if len(change) == len(raw) else None)


def _pose_pass(video: VideoMeta, model: ModelMeta, settings: Settings,
               progress: Callable[[int, int], None] | None
               ) -> tuple[FrameSampler, Extraction, PoseSeries, VideoMeta]:
    """One pose pass over ``video`` and the runner it picks (and ``video`` with the frame
    count that decoded)."""
    from formcheck.pose.landmarker import extract
    from formcheck.pose.selection import select_runner

    total = video.frames
    sampler = FrameSampler(total)
    ext = extract(video, model, progress=(lambda i: progress(i, total)) if progress else None,
                  on_frame=sampler, workers=settings.pose_threads())
    cand = ext.candidates
    if cand.n_frames != video.frames:
        log.info("%s: %d frames decoded (container says %d)", video.path, cand.n_frames, video.frames)
        video = video.replace(frames=cand.n_frames)
    raw = select_runner(cand, video, ext.people_seen)
    raw.selection["census"] = [{"frame": f, "people": n} for f, n in ext.census]
    raw.selection["two_poses_from_frame"] = ext.multi_from
    raw.selection["zoomed_frames"] = ext.zoomed_frames
    raw.video = video
    return sampler, ext, raw, video
