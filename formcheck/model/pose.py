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

from formcheck.model.results import VideoMeta
from formcheck.model.skeleton import DEFAULT, Skeleton


@dataclass
class PoseSeries:
    """Landmarks of the selected runner, one row per decoded frame.

    Attributes
    ----------
    t : (n,) float64
        Presentation time of each frame in seconds from the clip start.
    xy : (n, K, 2) float32
        Landmark positions in pixels (x right, y down); NaN where not detected. ``K`` is
        the skeleton's point count; point ``k`` is ``skeleton.points[k]``.
    z : (n, K) float32
        The model's relative depth, scaled to pixels like x; NaN where not detected.
    visibility : (n, K) float32
        The model's visibility in [0, 1]; 0 where not detected.
    world : (n, K, 3) float32
        World landmarks in metres (hip-centred, the model's axes); NaN where missing.
    video : VideoMeta
    selection : dict
        How the runner was chosen (method, number of people seen, reason).
    skeleton : Skeleton
        The named points of the landmark arrays (keyword; default
        :data:`formcheck.model.skeleton.DEFAULT`, the skeleton of files that name none).
    """

    t: np.ndarray
    xy: np.ndarray
    z: np.ndarray
    visibility: np.ndarray
    world: np.ndarray
    video: VideoMeta
    selection: dict[str, Any] = field(default_factory=dict)
    skeleton: Skeleton = field(default=DEFAULT, kw_only=True)

    def __post_init__(self) -> None:
        n, k = self.t.shape[0], self.skeleton.n
        expected = {
            "t": (n,),
            "xy": (n, k, 2),
            "z": (n, k),
            "visibility": (n, k),
            "world": (n, k, 3),
        }
        for name, shape in expected.items():
            got = getattr(self, name).shape
            if got != shape:
                raise ValueError(f"PoseSeries.{name} has shape {got}, expected {shape}")

    def __len__(self) -> int:
        return int(self.t.shape[0])

    def point(self, name: str) -> np.ndarray:
        """The (n, 2) pixel track of one point, by name (a view into :attr:`xy`).

        Parameters
        ----------
        name : str
            A point of the skeleton, e.g. ``"left_ear"``.

        Returns
        -------
        (n, 2) array
        """
        return self.xy[:, self.skeleton.index(name)]

    @property
    def detected(self) -> np.ndarray:
        """(n,) bool: a pose was found in the frame (either shoulder is known)."""
        li, ri = self.skeleton.pair("shoulder")
        return ~np.isnan(self.xy[:, li, 0]) | ~np.isnan(self.xy[:, ri, 0])

    @classmethod
    def empty(cls, n: int, video: VideoMeta, skeleton: Skeleton = DEFAULT) -> PoseSeries:
        """An all-missing series of ``n`` frames, to be filled by the extractor.

        Parameters
        ----------
        n : int
            Number of frames.
        video : VideoMeta
            The clip; its frame rate spaces the times (30 fps when unknown).
        skeleton : Skeleton
            The points of each frame.

        Returns
        -------
        PoseSeries
        """
        k = skeleton.n
        return cls(
            t=np.arange(n, dtype=np.float64) / (video.fps or 30.0),
            xy=np.full((n, k, 2), np.nan, np.float32),
            z=np.full((n, k), np.nan, np.float32),
            visibility=np.zeros((n, k), np.float32),
            world=np.full((n, k, 3), np.nan, np.float32),
            video=video,
            skeleton=skeleton,
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
                          self.video, dict(self.selection), skeleton=self.skeleton)

