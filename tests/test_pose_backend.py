"""One adapter from MediaPipe's output to pixels, used offline and live
(:meth:`formcheck.pose.blazepose.PoseFrame.from_mediapipe`); no model needed here."""

from __future__ import annotations

from types import SimpleNamespace as NS

import numpy as np
import pytest

from formcheck.pose.blazepose import PoseFrame
from formcheck.pose.stream import PoseSample


def _pose(k: int, x: float, y: float, vis: float | None = 0.8):
    return [NS(x=x + 0.01 * j, y=y, z=-0.1, visibility=vis) for j in range(k)]


def test_normalised_landmarks_become_pixels_of_the_frame() -> None:
    result = NS(pose_landmarks=[_pose(4, 0.25, 0.5), _pose(4, 0.5, 0.75, None)],
                pose_world_landmarks=[[NS(x=0.1, y=0.2, z=0.3)] * 4])
    f = PoseFrame.from_mediapipe(result, 200, 100, x0=10.0, y0=20.0)
    assert len(f) == 2 and f.xy.shape == (2, 4, 2) and f.xy.dtype == np.float32
    assert f.xy[0, 0] == pytest.approx((0.25 * 200 + 10, 0.5 * 100 + 20))
    assert f.xy[0, 3, 0] == pytest.approx(0.28 * 200 + 10)
    assert f.z[0, 0] == pytest.approx(-0.1 * 200)  # z in the scale of x
    assert f.visibility[0, 0] == pytest.approx(0.8) and f.visibility[1, 0] == 0.0  # none given: 0
    assert f.world[0, 0] == pytest.approx((0.1, 0.2, 0.3)) and np.isnan(f.world[1]).all()


def test_at_most_max_poses_and_nothing_found() -> None:
    result = NS(pose_landmarks=[_pose(3, 0.1, 0.1), _pose(3, 0.9, 0.9)], pose_world_landmarks=None)
    assert len(PoseFrame.from_mediapipe(result, 10, 10, max_poses=1)) == 1
    empty = PoseFrame.from_mediapipe(NS(pose_landmarks=[], pose_world_landmarks=[]), 10, 10)
    assert len(empty) == 0
    assert not PoseSample.from_frame(empty).found


def test_a_bare_list_of_poses_and_the_live_sample() -> None:
    f = PoseFrame.from_mediapipe([_pose(5, 0.5, 0.5, 0.9)], 640, 480, dtype=np.float64)
    s = PoseSample.from_frame(f)
    assert s.found and s.xy.dtype == np.float64
    assert s.xy[0] == pytest.approx((320.0, 240.0)) and s.visibility[0] == pytest.approx(0.9)
