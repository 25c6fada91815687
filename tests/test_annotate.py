"""The annotated video: H.264 in MP4, every source frame, and the overlay drawn.

The video tests analyse the 10 s demo clip with the pose model (``slow``); the colour
rule (:func:`status_codes`) is checked on its own.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from formcheck.assess.norms import THRESHOLDS
from formcheck.model.settings import Settings
from formcheck.render.annotate import output_size, status_codes, write_annotated_video

SAMPLE = Path(__file__).resolve().parents[1] / "sample_videos" / "runner_side_forward_head.mp4"


@pytest.fixture(scope="session")
def analysis(offline):
    """The sample's analysis, shared with the other tests that read it (conftest)."""
    return offline.analysis(SAMPLE, Settings(video=False, report=False))


@pytest.fixture(scope="session")
def annotated(analysis, tmp_path_factory) -> Path:
    return write_annotated_video(analysis, tmp_path_factory.mktemp("annotated"))


def _decode(path: Path, keep: int | None = None):
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        info = {"codec": s.codec_context.name, "pix_fmt": s.format.name, "width": s.width,
                "height": s.height}
        n, kept = 0, None
        for frame in c.decode(s):
            if n == keep:
                kept = frame.to_ndarray(format="rgb24")
            n += 1
    return info, n, kept


@pytest.mark.slow
def test_h264_yuv420p_mp4_with_the_source_frame_count_and_size(analysis, annotated):
    import av

    info, n, _ = _decode(annotated)
    assert annotated.name == "annotated.mp4"
    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert (info["width"], info["height"]) == (analysis.video.width, analysis.video.height) == (640, 480)
    assert n == len(analysis.frames) == analysis.video.frames == 300
    with av.open(str(SAMPLE)) as src:
        assert n == sum(1 for _ in src.decode(video=0))


@pytest.mark.slow
def test_faststart_puts_the_index_before_the_media(annotated):
    data = annotated.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")


@pytest.mark.slow
def test_neck_segment_is_red_at_the_worst_forward_head_moment(analysis, annotated):
    frame = analysis.faults[0].frame
    assert analysis.faults[0].code == "forward_head"
    _, _, rgb = _decode(annotated, keep=frame)
    row = analysis.frames.iloc[frame]
    mid = ((row.ear_x + row.shoulder_x) / 2, (row.ear_y + row.shoulder_y) / 2)
    x, y = int(round(mid[0])), int(round(mid[1]))
    patch = rgb[y - 1: y + 2, x - 1: x + 2].reshape(-1, 3).mean(axis=0)
    assert patch[0] > 150 and patch[1] < 100 and patch[2] < 100, patch  # red: severe forward head


@pytest.mark.slow
def test_source_pixels_are_kept_outside_the_overlay(annotated):
    """Away from the runner and the panel, the frame is the source frame (lossy codec aside)."""
    from formcheck.io.video import probe, read_frame

    src = read_frame(probe(SAMPLE), 150)
    _, _, out = _decode(annotated, keep=150)
    assert src is not None and out.shape == src.shape
    region = (slice(400, 470), slice(10, 120))  # floor, bottom left corner
    assert np.abs(out[region].astype(int) - src[region].astype(int)).mean() < 6


@pytest.mark.slow
def test_a_size_cap_scales_the_frames_and_the_overlay_with_them(analysis, tmp_path):
    """Capped at 240 lines, the 640x480 clip is written at 320x240, every frame, and the
    neck segment is red at the half-scale place of the worst forward-head frame."""
    path = write_annotated_video(analysis, tmp_path, max_short_side=240)
    frame = analysis.faults[0].frame
    info, n, rgb = _decode(path, keep=frame)
    assert (info["width"], info["height"]) == (320, 240) and n == len(analysis.frames) == 300
    row = analysis.frames.iloc[frame]
    x = int(round((row.ear_x + row.shoulder_x) / 4))
    y = int(round((row.ear_y + row.shoulder_y) / 4))
    patch = rgb[y - 1: y + 2, x - 1: x + 2].reshape(-1, 3).mean(axis=0)
    assert patch[0] > 150 and patch[1] < 100 and patch[2] < 100, patch


@pytest.mark.parametrize(("size", "cap", "expected"), [
    ((1280, 720), 720, (1280, 720)),    # 720p: unchanged
    ((1920, 1080), 720, (1280, 720)),   # 1080p landscape: scaled to 720p
    ((1080, 1920), 720, (720, 1280)),   # a phone's portrait clip: the shorter side is the width
    ((3840, 2160), 720, (1280, 720)),   # 4K
    ((1921, 1081), 0, (1920, 1080)),    # no cap: the odd last row and column are cropped
    ((641, 481), 720, (640, 480)),      # smaller than the cap: only cropped
    ((1000, 750), 720, (960, 720)),     # scaled, sides even
])
def test_output_size(size, cap, expected):
    assert output_size(*size, cap) == expected


def test_status_codes():
    fh = THRESHOLDS["forward_head"]  # below mild: mild; below moderate: moderate
    vals = [fh.mild + 8, fh.mild, (fh.mild + fh.moderate) / 2, fh.moderate - 1, fh.severe - 20, np.nan]
    got = status_codes(np.array(vals), fh)
    assert got.tolist() == [0, 1, 1, 2, 2, 0]
    gz = THRESHOLDS["gaze_down"]  # above mild: mild; above moderate: moderate
    vals = [gz.mild - 10, (gz.mild + gz.moderate) / 2, gz.severe + 10]
    assert status_codes(np.array(vals), gz).tolist() == [0, 1, 2]
