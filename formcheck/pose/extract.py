"""The pose pass over a clip, and the choice of the runner: everything before cleaning.

Kept apart from :mod:`formcheck.assess.analysis` so that pandas and scipy are not imported
(and take no memory) while the pose landmarkers run: the largest process peaks lower
when they load after the landmarkers have been closed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np

from formcheck.errors import NoRunnerFoundError
from formcheck.io.timing import read_capture_rate
from formcheck.io.video import probe
from formcheck.model.capture import Extracted
from formcheck.model.pose import PoseSeries
from formcheck.model.results import VideoMeta
from formcheck.model.settings import Settings
from formcheck.pose.bundle import resolve_model
from formcheck.pose.tilt import FrameSampler, estimate_roll

log = logging.getLogger(__name__)

MIN_DETECTED_FRAMES = 10
MIN_DETECTED_FRACTION = 0.2


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


def extract_runner(video_path: str, settings: Settings,
                   progress: Callable[[int, int], None] | None = None) -> Extracted:
    """Probe the clip, run the pose pass, pick the runner and estimate the camera roll.

    Raises a :class:`FormcheckError` on bad input or when nobody is found.
    """
    from formcheck.pose.landmarker import extract
    from formcheck.pose.selection import select_runner

    t0 = time.perf_counter()
    video = probe(video_path)
    model = resolve_model(settings.model)
    total = video.frames
    sampler = FrameSampler(total)
    ext = extract(video, model, progress=(lambda i: progress(i, total)) if progress else None,
                  on_frame=sampler, workers=settings.pose_threads())
    cand = ext.candidates
    timings = {"pose": time.perf_counter() - t0}
    if cand.n_frames != video.frames:
        log.info("%s: %d frames decoded (container says %d)", video_path, cand.n_frames, video.frames)
        video = VideoMeta(video.path, video.fps, cand.n_frames, video.width, video.height,
                          video.rotation, video.codec)
    decode = ext.decode.record(total)
    warnings = []
    if ext.decode.bad_packets:
        warnings.append(f"the file is damaged: {ext.decode.bad_packets} video packets could not be "
                        f"decoded and were skipped ({ext.decode.frames} of about {total} frames read)")
    elif total and ext.decode.frames < 0.9 * total:
        warnings.append(f"only {ext.decode.frames} of the {total} frames the file states could be read")
    raw = select_runner(cand, video, ext.people_seen)
    raw.selection["census"] = [{"frame": f, "people": n} for f, n in ext.census]
    raw.selection["two_poses_from_frame"] = ext.multi_from
    raw.selection["zoomed_frames"] = ext.zoomed_frames
    if ext.zoomed_frames:
        warnings.append(
            f"the full frame showed nobody: the runner was found by searching zoomed regions and "
            f"tracked in a region that follows them ({ext.zoomed_frames} frames)")
    raw.video = video
    det = raw.detected
    if det.sum() < MIN_DETECTED_FRAMES or det.mean() < MIN_DETECTED_FRACTION:
        raise NoRunnerFoundError(
            f"no runner found: a person was detected in {int(det.sum())} of {len(det)} frames "
            f"({100 * det.mean():.0f}%); the whole body must be in view, and not too small")
    tilt = estimate_roll(sampler, runner_boxes(raw, list(sampler.frames)))
    capture = read_capture_rate(video.path, video.fps).to_dict()
    change = np.asarray(ext.decode.change, dtype=np.float64)
    return Extracted(raw, video, model, tilt, decode, warnings, timings, capture,
                     change if len(change) == len(raw) else None)
