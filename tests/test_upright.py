"""Upside-down poses are never the runner.

The pose model sometimes tracks a small person with the skeleton turned upside down
(the head where the feet are): on the garage treadmill clip shrunk to 40% of its size
it did so for half the clip, and those frames read trunk leans of -140 to -165 deg and
shoulder-ear gaps below zero, which made "raised shoulders" a certain fault on a runner
whose shoulders the full-size clip shows relaxed. A runner's trunk leans at most about
30 deg, and a camera rolled by up to 45 deg (the most formcheck levels) adds that much:
under 90 deg from upright either way, so shoulders at or below the hips are never a
runner (:func:`formcheck.pose.blazepose.upright`). Poses here are synthetic, so the
truth is known in every frame.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.model.results import VideoMeta
from formcheck.model.skeleton import BLAZEPOSE as SK
from formcheck.pose.blazepose import upright
from formcheck.pose.landmarker import Candidates
from formcheck.pose.selection import link_tracks, select_runner

TORSO = 100.0


def _pose(cx: float, cy: float, angle_deg: float, stride: float = 0.0) -> np.ndarray:
    """A stick runner centred at (cx, cy) whose body axis (hips -> shoulders) is turned
    ``angle_deg`` from image-up (clockwise); its feet apart by ``stride`` torso lengths
    vertically (+ left foot lower)."""
    a = math.radians(angle_deg)
    up = np.array([math.sin(a), -math.cos(a)])  # image y points down
    side = np.array([math.cos(a), math.sin(a)])
    xy = np.full((SK.n, 2), np.nan, np.float32)
    c = np.array([cx, cy])

    def put(name: str, along: float, across: float = 0.0) -> None:
        xy[SK.index(name)] = c + TORSO * (along * up + across * side)

    put("nose", 1.0, 0.1)
    for s, off in (("left", -0.05), ("right", 0.05)):
        put(f"{s}_ear", 0.9, off)
        put(f"{s}_shoulder", 0.5, off)
        put(f"{s}_hip", -0.5, off)
        put(f"{s}_knee", -1.0, off)
    put("left_ankle", -1.5 - stride / 2, -0.05)
    put("right_ankle", -1.5 + stride / 2, 0.05)
    return xy


@pytest.mark.parametrize("angle", [-89.0, -75.0, -45.0, -30.0, -10.0, 0.0, 10.0, 30.0, 45.0, 75.0, 89.0])
def test_every_lean_and_camera_roll_a_runner_can_show_is_upright(angle):
    """Trunk lean (under 30 deg) plus camera roll (up to 45 deg), and more: all upright."""
    assert upright(_pose(300, 300, angle))


@pytest.mark.parametrize("angle", [91.0, 120.0, 150.0, 180.0, 210.0, 240.0, 269.0])
def test_shoulders_below_the_hips_are_upside_down(angle):
    assert not upright(_pose(300, 300, angle))


def test_a_pose_without_its_shoulders_or_hips_is_not_rejected():
    xy = _pose(300, 300, 180.0)
    xy[SK.index("left_shoulder")] = np.nan
    xy[SK.index("right_shoulder")] = np.nan
    assert upright(xy)


def _clip(flipped: slice, n: int = 120) -> Candidates:
    """One runner in place, feet alternating; in the frames of ``flipped`` the model's
    pose of the same person is upside down (same centre and size)."""
    xy = np.full((n, 1, SK.n, 2), np.nan, np.float32)
    for i in range(n):
        stride = 0.4 * math.sin(2 * math.pi * i / 20.0)
        xy[i, 0] = _pose(320.0, 240.0, 5.0, stride)
    xy[flipped, 0] = np.stack([_pose(320.0, 240.0, 185.0, 0.4 * math.sin(2 * math.pi * i / 20.0))
                               for i in range(n)[flipped]])
    vis = np.full((n, 1, SK.n), 0.9, np.float32)
    return Candidates(np.arange(n) / 30.0, xy, np.zeros((n, 1, SK.n), np.float32), vis,
                      np.zeros((n, 1, SK.n, 3), np.float32), np.ones(n, np.int8), None)


def test_upside_down_frames_are_left_out_of_the_runner():
    """Half the clip upside down (as on the shrunk garage clip): those frames are not the
    runner's, the others are all kept, and no track holds an upside-down pose."""
    cand = _clip(slice(0, 60))
    for track in link_tracks(cand):
        assert all(f >= 60 for f in track.frames)
    series = select_runner(cand, VideoMeta("x.mp4", 30.0, 120, 640, 480, 0, "h264"), 1)
    found = np.isfinite(series.xy[:, SK.index("left_shoulder"), 0])
    assert not found[:60].any()
    assert found[60:].all()
    sh = np.nanmean(series.xy[60:, list(SK.pair("shoulder")), 1], axis=1)
    hp = np.nanmean(series.xy[60:, list(SK.pair("hip")), 1], axis=1)
    assert (sh < hp).all()


def test_a_few_upside_down_frames_inside_a_run_do_not_split_it():
    """A short flip in the middle: the runner's track goes on across it (within the
    linker's gap) and only the flipped frames are missing."""
    cand = _clip(slice(50, 55))
    series = select_runner(cand, VideoMeta("x.mp4", 30.0, 120, 640, 480, 0, "h264"), 1)
    found = np.isfinite(series.xy[:, SK.index("left_shoulder"), 0])
    assert not found[50:55].any()
    assert found[:50].all() and found[55:].all()
    assert series.selection["joined_tracks"] == 1
