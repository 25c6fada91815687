"""The MediaPipe Pose Landmarker backend: the one place that creates a landmarker, wraps
a frame for it and converts what it returns.

Offline extraction (:mod:`formcheck.pose.landmarker`) and the live stream
(:mod:`formcheck.pose.stream`) both go through :func:`create_landmarker`,
:func:`mp_image` and :meth:`PoseFrame.from_mediapipe`, so a frame's landmarks are the
same numbers whichever path produced them. Another pose model plugs in by giving a
:class:`PoseBackend` (a frame in, a :class:`PoseFrame` out, as
:class:`formcheck.pose.stream.PoseStream` does) and its own ``from_*``
adapter; nothing downstream of :class:`PoseFrame` sees MediaPipe objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from formcheck.errors import ModelError
from formcheck.model.results import ModelMeta
from formcheck.model.skeleton import BLAZEPOSE

#: The points this backend reports, in its order (33 BlazePose landmarks). Code outside
#: pose/ reads a series' own ``skeleton``; pose/ builds its arrays with this one.
SKELETON = BLAZEPOSE
N_POINTS = SKELETON.n
_SHOULDERS = list(SKELETON.pair("shoulder"))
_HIPS = list(SKELETON.pair("hip"))


def centre_scale(xy: np.ndarray) -> tuple[np.ndarray, float]:
    """Shoulder-hip centre (px) and torso length (px) of one pose, (K, 2)."""
    sh = np.nanmean(xy[_SHOULDERS], axis=0)
    hp = np.nanmean(xy[_HIPS], axis=0)
    return (sh + hp) / 2.0, float(np.hypot(*(sh - hp)))


def trunk_tilt_deg(xy: np.ndarray) -> np.ndarray:
    """Angle (deg, 0-180) of the hip->shoulder line from image-up: 0 upright, 90 lying on
    its side, 180 upside down; each end the mean of the sides known, NaN where a pair is
    missing.

    Parameters
    ----------
    xy : (..., K, 2) array
        Landmarks of one pose or of many (frames, poses), px (x right, y down).

    Returns
    -------
    (...) array
        Degrees from image-up, 0-180.
    """
    p = np.asarray(xy, dtype=np.float64)

    def mid(pair: list[int]) -> np.ndarray:
        a, b = p[..., pair[0], :], p[..., pair[1], :]
        return np.where(np.isfinite(a), np.where(np.isfinite(b), (a + b) / 2, a), b)

    d = mid(_SHOULDERS) - mid(_HIPS)
    return np.degrees(np.arctan2(np.abs(d[..., 0]), -d[..., 1]))


def upright(xy: np.ndarray) -> bool:
    """Whether one pose, (K, 2) px in an upright frame, has its shoulders above its hips
    (:func:`trunk_tilt_deg` under 90 deg).

    A runner's trunk leans at most about 30 deg from vertical, and a camera rolled by up
    to 45 deg turns it by that much more: under 90 deg either way, so shoulders at or
    below the hips are never a runner. The pose model sometimes tracks a small or
    blurred person with the skeleton upside down (the head where the feet are), and
    every angle read from such a pose is off by about 180 deg. Unknown (a shoulder or
    hip pair missing) counts as upright.

    Parameters
    ----------
    xy : (K, 2) array
        The pose's landmarks, px (x right, y down).

    Returns
    -------
    bool
    """
    return not trunk_tilt_deg(xy) >= 90.0  # NaN: unknown, kept


def create_landmarker(model: ModelMeta, video_mode: bool, num_poses: int):  # -> vision.PoseLandmarker
    """A Pose Landmarker for ``model``: VIDEO mode (tracking, timestamps) or IMAGE mode.

    Raises
    ------
    ModelError
        The bundle cannot be loaded (one line: MediaPipe's first line of complaint).
    """
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model.path)),
        running_mode=vision.RunningMode.VIDEO if video_mode else vision.RunningMode.IMAGE,
        num_poses=num_poses,
        min_pose_detection_confidence=0.5,
        min_pose_presence_confidence=0.5,
        min_tracking_confidence=0.5,
    )
    try:
        return vision.PoseLandmarker.create_from_options(options)
    except (RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"cannot load pose model {model.name}: {first}") from None


def mp_image(rgb: np.ndarray):  # -> mp.Image
    """An RGB frame (h, w, 3) uint8 as MediaPipe's image (made contiguous if needed)."""
    import mediapipe as mp

    if not rgb.flags["C_CONTIGUOUS"]:
        rgb = np.ascontiguousarray(rgb)
    return mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)


@dataclass(frozen=True)
class PoseFrame:
    """The poses found in one image, in pixels of the frame.

    Attributes
    ----------
    xy : (P, K, 2) array
        Landmark positions (px), x right, y down; P poses, K landmarks each.
    z : (P, K) array
        Depth relative to the hips, in the same pixel scale as x.
    visibility : (P, K) array
        The model's visibility of each landmark, 0-1 (0 where it gives none).
    world : (P, K, 3) array
        World landmarks (m, hips at the origin); NaN for poses without them.
    """

    xy: np.ndarray
    z: np.ndarray
    visibility: np.ndarray
    world: np.ndarray

    def __len__(self) -> int:
        return int(self.xy.shape[0])

    @classmethod
    def from_mediapipe(cls, result: Any, width: float, height: float, x0: float = 0.0, y0: float = 0.0,
                       max_poses: int | None = None, dtype: Any = np.float32) -> PoseFrame:
        """Convert a Pose Landmarker result (or its ``pose_landmarks`` list) to pixels.

        Parameters
        ----------
        result : PoseLandmarkerResult or sequence of landmark lists
            What ``detect``/``detect_for_video`` returned, or its ``pose_landmarks``.
        width, height : float
            Size (px) of the image the model saw: its coordinates are fractions of it.
        x0, y0 : float
            Where that image's top-left corner sits in the frame (a crop), px.
        max_poses : int or None
            Keep at most this many poses (in the model's order).
        dtype : numpy dtype
            Precision of the arithmetic and of the arrays (float32 offline, float64 live).

        Returns
        -------
        PoseFrame
            Empty (P = 0) when nobody was found.
        """
        poses: Sequence = getattr(result, "pose_landmarks", result) or []
        worlds: Sequence = getattr(result, "pose_world_landmarks", None) or []
        if max_poses is not None:
            poses = poses[:max_poses]
        k = len(poses[0]) if poses else 0
        xy = np.full((len(poses), k, 2), np.nan, dtype)
        z = np.full((len(poses), k), np.nan, dtype)
        vis = np.zeros((len(poses), k), dtype)
        world = np.full((len(poses), k, 3), np.nan, dtype)
        for p, pose in enumerate(poses):
            pts = np.array([(lm.x, lm.y, lm.z, lm.visibility or 0.0) for lm in pose], dtype)
            xy[p, :, 0] = pts[:, 0] * width + x0
            xy[p, :, 1] = pts[:, 1] * height + y0
            z[p] = pts[:, 2] * width
            vis[p] = pts[:, 3]
            if p < len(worlds):
                world[p] = np.array([(w.x, w.y, w.z) for w in worlds[p]], dtype)
        return cls(xy, z, vis, world)


class PoseBackend(Protocol):
    """A pose model that follows a runner through a stream of frames.

    ``track(rgb, time_s)`` takes one RGB frame (h, w, 3) and its time (s, increasing)
    and returns the poses found in it in that frame's pixels; ``close()`` frees it.
    """

    def track(self, rgb: np.ndarray, time_s: float) -> PoseFrame: ...

    def close(self) -> None: ...
