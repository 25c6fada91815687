"""Pose for one frame at a time, as frames arrive (the live mode's pose stage).

The Pose Landmarker of :mod:`formcheck.pose.blazepose` (the same one, and the same
conversion, as the offline :mod:`formcheck.pose.landmarker`) in VIDEO mode with one pose:
in live mode the runner is the one person the tracker follows (on a treadmill the
runner fills the picture). Timestamps given to MediaPipe are strictly increasing
integer milliseconds, as it requires, even when the source's clock repeats a value.
Create the tracker before starting any thread that must keep its standard error:
MediaPipe prints its start-up lines there (nothing here redirects it).

Frames larger than ``max_side`` pixels are shrunk before inference: the landmark model
sees the runner through a 256 x 256 crop anyway, so a runner who fills a 640-pixel frame
loses nothing, and the model's own resizing of a large frame costs time on every frame.
Landmarks come back in the pixels of the frame as given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.model.results import ModelMeta
from formcheck.model.skeleton import Skeleton
from formcheck.pose.blazepose import N_POINTS, SKELETON, PoseFrame, create_landmarker, mp_image


@dataclass(frozen=True)
class PoseSample:
    """One frame's pose: ``xy`` (K, 2) pixels (NaN when nobody was found),
    ``visibility`` (K,) in [0, 1]; the K points of ``skeleton`` (the backend's);
    ``world`` (K, 3) the model's world landmarks (m, hips at the origin), None where the
    backend gives none (the live view decision then uses the image alone)."""

    xy: np.ndarray
    visibility: np.ndarray
    skeleton: Skeleton = SKELETON
    world: np.ndarray | None = None

    @classmethod
    def missing(cls) -> PoseSample:
        return cls(np.full((N_POINTS, 2), np.nan), np.zeros(N_POINTS))

    @classmethod
    def from_frame(cls, frame: PoseFrame) -> PoseSample:
        """The first pose of ``frame`` (missing when it holds none)."""
        if not len(frame):
            return cls.missing()
        return cls(frame.xy[0], frame.visibility[0], world=frame.world[0])

    @property
    def found(self) -> bool:
        return bool(np.isfinite(self.xy[:, 0]).any())


class PoseTracker:
    """A VIDEO-mode landmarker for a stream of frames; ``close()`` when done.

    A :class:`~formcheck.pose.blazepose.PoseBackend` (:meth:`track`); called, it gives
    the live mode's :class:`PoseSample`.
    """

    def __init__(self, model: ModelMeta, max_side: int | None = 640) -> None:
        self.model = model
        self.max_side = max_side
        self._landmarker = create_landmarker(model, video_mode=True, num_poses=1)
        self._last_ms = -1

    def __call__(self, rgb: np.ndarray, time_s: float) -> PoseSample:
        return PoseSample.from_frame(self.track(rgb, time_s))

    def track(self, rgb: np.ndarray, time_s: float) -> PoseFrame:
        """The pose in one frame (at most one), in pixels of ``rgb`` as given."""
        ms = max(int(round(time_s * 1000.0)), self._last_ms + 1)
        self._last_ms = ms
        h, w = rgb.shape[:2]
        small = rgb
        if self.max_side and max(h, w) > self.max_side:
            import cv2

            f = self.max_side / max(h, w)
            small = cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))),
                               interpolation=cv2.INTER_AREA)
        result = self._landmarker.detect_for_video(mp_image(small), ms)
        return PoseFrame.from_mediapipe(result, w, h, max_poses=1, dtype=np.float64)

    def close(self) -> None:
        self._landmarker.close()

    def __enter__(self) -> PoseTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
