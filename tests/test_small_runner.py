"""A runner too small for the full-frame detector is found in zoomed regions.

MediaPipe's detector sees the whole frame at 224 px, so a runner 1/8 of a 1080p frame
tall (135 px) is about 28 px there and is missed. formcheck then searches
half-overlapping tiles and tracks the runner in a region that follows them
(:class:`formcheck.pose.landmarker._Zoom`). Truth: the synthetic runner's drawn hip
position per frame.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from formcheck.pose.landmarker import _tiles


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1080, 1920), (640, 480), (97, 61)])
def test_tiles_cover_every_pixel_with_half_overlap(width, height):
    tiles = _tiles(width, height)
    covered = np.zeros((height, width), bool)
    for x0, y0, side in tiles:
        assert 0 <= x0 and 0 <= y0 and x0 + side <= width and y0 + side <= height
        covered[y0:y0 + side, x0:x0 + side] = True
    assert covered.all()
    # a person up to half a tile wide lies wholly inside some tile wherever they stand
    side = tiles[0][2]
    xs = sorted({x for x, _, _ in tiles})
    assert all(b - a <= side // 2 + 1 for a, b in itertools.pairwise(xs))


@pytest.mark.slow
def test_runner_an_eighth_of_a_1080p_frame_is_found_and_tracked(tmp_path):
    from formcheck.model.settings import Settings
    from formcheck.pose.extract import extract_runner
    from formcheck.synth.render import render_clip
    from formcheck.synth.runner import condition_spec

    clip = tmp_path / "small.mp4"
    spec = condition_spec("baseline", size=(1920, 1080), runner_frac=0.125, duration_s=2.0, fps=24.0)
    render_clip(spec, clip)
    truth = pd.read_csv(clip.with_suffix(".truth.csv"))
    # the pose pass and the choice of the runner (a 2 s clip is too short to count steps)
    raw = extract_runner(str(clip), Settings(video=False, report=False, threads=1)).raw
    assert raw.selection["zoomed_frames"] > 0
    found = raw.detected
    assert found.mean() >= 0.8  # the bar: found in >= 80% of frames
    # and found where the runner is: hip centre within half a torso length of the truth
    hip = np.nanmean(raw.xy[:, [23, 24]], axis=1)
    err = np.hypot(hip[found, 0] - truth["hip_x"].to_numpy()[found], hip[found, 1] - truth["hip_y"].to_numpy()[found])
    assert np.nanmedian(err) < 0.5 * truth["torso_len_px"].median()
