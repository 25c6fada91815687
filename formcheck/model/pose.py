"""The central pose structure: one runner's landmarks for every frame of a clip.

Everything downstream of pose extraction (cleaning, metrics, steps, outputs) works
on :class:`PoseSeries`, never on MediaPipe objects, so the metric core can be
tested with synthetic arrays and no model.

Coordinates are **pixels** of the displayed (rotation-corrected) frame: x to the
right, y *downwards*. MediaPipe normalises x by the width and y by the height
separately; the conversion to pixels happens once, in :mod:`formcheck.pose.landmarker`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: MediaPipe Pose landmark indices (BlazePose topology, 33 points).
LANDMARK_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner",
    "right_eye", "right_eye_outer", "left_ear", "right_ear", "mouth_left",
    "mouth_right", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index",
    "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)
N_LANDMARKS = len(LANDMARK_NAMES)
LM = {name: i for i, name in enumerate(LANDMARK_NAMES)}

NOSE = 0
L_EAR, R_EAR = 7, 8
L_SHOULDER, R_SHOULDER = 11, 12
L_HIP, R_HIP = 23, 24
L_KNEE, R_KNEE = 25, 26
L_ANKLE, R_ANKLE = 27, 28
L_EYE_IDS = (1, 2, 3)
R_EYE_IDS = (4, 5, 6)

#: Left/right pairs used by the metrics (name -> (left index, right index)).
PAIRS: dict[str, tuple[int, int]] = {
    "ear": (L_EAR, R_EAR),
    "shoulder": (L_SHOULDER, R_SHOULDER),
    "hip": (L_HIP, R_HIP),
    "knee": (L_KNEE, R_KNEE),
    "ankle": (L_ANKLE, R_ANKLE),
}

#: Skeleton edges for drawing (index pairs).
SKELETON: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31), (24, 26), (26, 28), (28, 30),
    (30, 32), (28, 32), (0, 7), (0, 8),
)


def centre_scale(xy: np.ndarray) -> tuple[np.ndarray, float]:
    """Shoulder-hip centre (px) and torso length (px) of one pose, (33, 2)."""
    sh = np.nanmean(xy[[L_SHOULDER, R_SHOULDER]], axis=0)
    hp = np.nanmean(xy[[L_HIP, R_HIP]], axis=0)
    return (sh + hp) / 2.0, float(np.hypot(*(sh - hp)))


@dataclass(frozen=True)
class VideoInfo:
    """What is known about the clip, as displayed (after rotation metadata)."""

    path: str
    fps: float
    frames: int
    width: int
    height: int
    rotation: int = 0
    codec: str = ""

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps if self.fps > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "fps": round(self.fps, 4),
            "frames": self.frames,
            "width": self.width,
            "height": self.height,
            "duration_s": round(self.duration_s, 3),
            "rotation": self.rotation,
            "codec": self.codec,
        }


@dataclass
class PoseSeries:
    """Landmarks of the selected runner, one row per decoded frame.

    Attributes
    ----------
    t : (n,) float64
        Presentation time of each frame in seconds from the clip start.
    xy : (n, 33, 2) float32
        Landmark positions in pixels (x right, y down); NaN where not detected.
    z : (n, 33) float32
        MediaPipe's relative depth, scaled to pixels like x; NaN where not detected.
    visibility : (n, 33) float32
        MediaPipe visibility in [0, 1]; 0 where not detected.
    world : (n, 33, 3) float32
        World landmarks in metres (hip-centred, MediaPipe's axes); NaN where missing.
    video : VideoInfo
    selection : dict
        How the runner was chosen (method, number of people seen, reason).
    """

    t: np.ndarray
    xy: np.ndarray
    z: np.ndarray
    visibility: np.ndarray
    world: np.ndarray
    video: VideoInfo
    selection: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.t.shape[0]
        expected = {
            "t": (n,),
            "xy": (n, N_LANDMARKS, 2),
            "z": (n, N_LANDMARKS),
            "visibility": (n, N_LANDMARKS),
            "world": (n, N_LANDMARKS, 3),
        }
        for name, shape in expected.items():
            got = getattr(self, name).shape
            if got != shape:
                raise ValueError(f"PoseSeries.{name} has shape {got}, expected {shape}")

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @property
    def detected(self) -> np.ndarray:
        """(n,) bool: a pose was found in the frame."""
        return ~np.isnan(self.xy[:, L_SHOULDER, 0]) | ~np.isnan(self.xy[:, R_SHOULDER, 0])

    @classmethod
    def empty(cls, n: int, video: VideoInfo) -> PoseSeries:
        """An all-missing series of ``n`` frames, to be filled by the extractor."""
        return cls(
            t=np.arange(n, dtype=np.float64) / (video.fps or 30.0),
            xy=np.full((n, N_LANDMARKS, 2), np.nan, np.float32),
            z=np.full((n, N_LANDMARKS), np.nan, np.float32),
            visibility=np.zeros((n, N_LANDMARKS), np.float32),
            world=np.full((n, N_LANDMARKS, 3), np.nan, np.float32),
            video=video,
        )

    def mirrored(self) -> PoseSeries:
        """The same pose seen in a mirror (x -> width - x, left/right labels kept).

        Used by tests: a mirror image must flip the facing but not the metric values.
        """
        xy = self.xy.copy()
        xy[..., 0] = self.video.width - xy[..., 0]
        world = self.world.copy()
        world[..., 0] = -world[..., 0]
        return PoseSeries(self.t.copy(), xy, self.z.copy(), self.visibility.copy(), world,
                          self.video, dict(self.selection))

