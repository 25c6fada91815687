"""How much of the clip the runner is in, said when it is under three quarters.

An edited clip can join takes of different people, or of the runner in two places; a
runner can enter late or leave early. Only the runner's frames are measured, so the
output says how many those are, and whether someone not taken for the runner filled the
rest (:data:`formcheck.pose.extract.PART_OF_CLIP`).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from formcheck.model.results import VideoMeta
from formcheck.model.skeleton import BLAZEPOSE as SK
from formcheck.pose.landmarker import Candidates
from formcheck.pose.selection import select_runner


def _pose(cx: float, stride: float) -> np.ndarray:
    xy = np.full((SK.n, 2), np.nan, np.float32)
    for s, off in (("left", -3.0), ("right", 3.0)):
        xy[SK.index(f"{s}_shoulder")] = (cx + off, 190.0)
        xy[SK.index(f"{s}_hip")] = (cx + off, 290.0)
    xy[SK.index("left_ankle")] = (cx, 440.0 + 40.0 * stride)
    xy[SK.index("right_ankle")] = (cx, 440.0 - 40.0 * stride)
    return xy


def test_frames_where_only_someone_else_is_seen_are_counted():
    """A runner (feet alternating) in the second half; in the first half someone standing
    elsewhere: the runner is chosen, and the first half is counted as someone else's."""
    n = 120
    xy = np.full((n, 1, SK.n, 2), np.nan, np.float32)
    for i in range(n):
        if i < 60:
            xy[i, 0] = _pose(150.0, 0.0)
        else:
            xy[i, 0] = _pose(450.0, math.sin(2 * math.pi * i / 20.0))
    vis = np.full((n, 1, SK.n), 0.9, np.float32)
    cand = Candidates(np.arange(n) / 30.0, xy, np.zeros((n, 1, SK.n), np.float32), vis,
                      np.zeros((n, 1, SK.n, 3), np.float32), np.ones(n, np.int8), None)
    series = select_runner(cand, VideoMeta("x.mp4", 30.0, n, 640, 480), 1)
    assert series.detected[60:].all() and not series.detected[:60].any()
    assert series.selection["others_without_runner_frames"] == 60


@pytest.mark.slow
def test_a_runner_in_view_for_part_of_the_clip_is_told(tmp_path):
    """The synthetic runner in view from 1.0 to 3.2 s of a 5 s clip, nobody else."""
    from formcheck.model.settings import Settings
    from formcheck.pose.extract import extract_runner
    from formcheck.synth.render import render_clip
    from formcheck.synth.runner import ACCURACY_BASE

    clip = tmp_path / "late.mp4"
    render_clip(replace(ACCURACY_BASE, duration_s=5.0, visible_from_s=1.0, visible_until_s=3.2), clip)
    ex = extract_runner(str(clip), Settings(video=False, report=False))
    det = ex.raw.detected
    assert det.mean() < 0.75
    note = [w for w in ex.warnings if "the runner is in view in" in w]
    assert note == [f"the runner is in view in {int(det.sum())} of {len(det)} frames "
                    f"({100 * det.mean():.0f}%): only the runner's frames are measured"]
