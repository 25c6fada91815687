"""A clip stored sideways or upside down, its rotation lost (an editor or a messaging app
re-saved it without the display matrix).

Before, the garage treadmill clip stored upside down read three *sure, severe* faults
(trunk lean 176 deg, CVA -52 deg, shoulders "raised" -0.25 torso) from a skeleton the pose
model tracked upside down; stored on its side, the model found the runner in 5 of 360
frames and the clip was refused. Now an upside-down pose is never the runner
(tests/test_upright.py), and when nobody is found upright a few frames are looked at
turned a quarter, a half and three quarters (:func:`formcheck.pose.extract.find_turn`);
the pass runs again turned the way that shows the runner standing, and says so.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import recode

from formcheck.io.video import iter_frames, probe, turned
from formcheck.model.results import VideoMeta

TURN_TO_STORE = {90: 1, 180: 2, 270: 3}  # np.rot90 k (counter-clockwise quarters) that stores a frame needing this clockwise turn


def _store_turned(src: Path, dst: Path, turn: int) -> Path:
    """``src``'s frames stored so that they need ``turn`` deg clockwise to stand upright,
    with no rotation in the file (near-lossless H.264)."""
    return recode(src, dst, lambda rgb: np.rot90(rgb, TURN_TO_STORE[turn]))


def test_a_turn_swaps_the_size_for_a_quarter_and_adds_up():
    v = VideoMeta("x.mp4", 30.0, 10, 640, 480, 90, "h264")
    q = turned(v, 90)
    assert (q.width, q.height, q.turn, q.rotation) == (480, 640, 90, 90)
    h = turned(q, 90)
    assert (h.width, h.height, h.turn) == (640, 480, 180)
    assert turned(h, 180).turn == 0
    assert h.replace(frames=5).turn == 180  # replace keeps it
    assert "turn" not in v.model_dump() and h.model_dump()["turn"] == 180  # written only when turned
    assert VideoMeta.model_validate(h.model_dump()).turn == 180
    with pytest.raises(ValueError):
        turned(v, 45)


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_turned_frames_are_the_stored_ones_turned_back(tmp_path, turn):
    """Decoding with a turn gives back the upright frames the clip was made from."""
    from formcheck.synth.render import render_clip
    from formcheck.synth.runner import RunnerSpec

    upright = tmp_path / "upright.mp4"
    render_clip(RunnerSpec(width=160, height=96, runner_height_px=80.0, duration_s=0.2, fps=10.0), upright)
    stored = _store_turned(upright, tmp_path / f"turned{turn}.mp4", turn)
    want = [f.rgb for f in iter_frames(probe(upright))]
    got = [f.rgb for f in iter_frames(turned(probe(stored), turn))]
    assert [g.shape for g in got] == [w.shape for w in want]
    for w, g in zip(want, got, strict=True):
        # two lossless-ish codings of the same pixels: a grey level or two apart
        assert np.abs(w.astype(int) - g.astype(int)).mean() < 2.0


@pytest.fixture(scope="module")
def synthetic_upright(tmp_path_factory):
    from formcheck.synth.render import render_clip
    from formcheck.synth.runner import ACCURACY_BASE

    path = tmp_path_factory.mktemp("turn") / "runner.mp4"
    render_clip(replace(ACCURACY_BASE, duration_s=4.0, width=320, height=240, runner_height_px=190.0,
                        head_forward_deg=25.0), path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_runner_stored_turned_is_found_and_measured_upright(synthetic_upright, tmp_path, turn):
    """The synthetic runner stored sideways or upside down: found, measured as upright
    (the same view, facing and faults; every angle within a degree or two of the upright
    clip's, the difference of two pose passes over re-coded pixels), and the warning says
    which way the file was stored."""
    from formcheck.model.settings import Settings
    from formcheck.pipeline.run import analyze

    settings = Settings(video=False, report=False)
    a = analyze(str(synthetic_upright), settings)
    b = analyze(str(_store_turned(synthetic_upright, tmp_path / "stored.mp4", turn)), settings)
    assert a.video.turn == 0 and b.video.turn == turn
    assert (b.video.width, b.video.height) == (a.video.width, a.video.height)
    assert any(f"turned {turn} deg clockwise" in w for w in b.warnings), b.warnings
    assert (b.view.view, b.view.facing) == (a.view.view, a.view.facing)
    assert {f.code: (f.status, f.severity) for f in b.faults} == {f.code: (f.status, f.severity) for f in a.faults}
    for m in ("cva_deg", "trunk_lean_deg", "neck_trunk_angle_deg"):
        assert b.metrics[m]["median"] == pytest.approx(a.metrics[m]["median"], abs=2.0), m


@pytest.mark.slow
def test_the_garage_clip_stored_on_its_side_keeps_its_faults(offline, tmp_path):
    """The real garage treadmill clip stored a quarter turn off: its faults as upright."""
    from conftest import real_clip

    from formcheck.model.settings import Settings
    from formcheck.pipeline.run import analyze

    src = real_clip("treadmill_side_male_garage_portrait_01.mp4")
    settings = Settings(video=False, report=False)
    whole = offline.analysis(src, settings)
    side = analyze(str(_store_turned(src, tmp_path / "garage_on_its_side.mp4", 90)), settings)
    assert side.video.turn == 90
    assert (side.view.view, side.view.facing) == (whole.view.view, whole.view.facing)
    assert {f.code: f.status for f in side.faults} == {f.code: f.status for f in whole.faults}


@pytest.mark.slow
def test_a_clip_with_nobody_in_it_is_still_refused_at_every_turn(tmp_path):
    """No person at any turn: the one-line 'no runner found' error, after the turns."""
    import av

    from formcheck.errors import NoRunnerFoundError
    from formcheck.model.settings import Settings
    from formcheck.pose.extract import extract_runner

    path = tmp_path / "empty.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        for i in range(30):
            img = np.full((96, 160, 3), 40 + 4 * i, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    with pytest.raises(NoRunnerFoundError, match="no runner found"):
        extract_runner(str(path), Settings(video=False, report=False))
