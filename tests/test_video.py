"""The video reader: rotation metadata, damaged files, odd names, and a fuzz pass."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import write_clip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formcheck.errors import FormcheckError, VideoReadError
from formcheck.io.video import iter_frames, iter_i420, probe, read_frames

SAMPLE = Path(__file__).resolve().parents[1] / "sample_videos" / "runner_side_clean.mp4"


def set_display_rotation(path: Path, clockwise: int) -> None:
    """Write a display matrix into the MP4 track header, as phones do."""
    data = bytearray(path.read_bytes())
    i = data.find(b"tkhd")
    version = data[i + 4]
    off = i + 4 + 4 + (20 if version == 0 else 32) + 8 + 8
    one, minus = 0x10000, (-0x10000) & 0xFFFFFFFF
    matrices = {90: (0, one, 0, minus, 0, 0, 0, 0, 0x40000000),
                180: (minus, 0, 0, 0, minus, 0, 0, 0, 0x40000000),
                270: (0, minus, 0, one, 0, 0, 0, 0, 0x40000000)}
    data[off: off + 36] = struct.pack(">9I", *matrices[clockwise])
    path.write_bytes(bytes(data))


def marker_clip(path: Path) -> Path:
    """A 96x48 clip with a red block in the stored frame's top-left corner."""
    img = np.zeros((48, 96, 3), np.uint8)
    img[:12, :12] = (255, 0, 0)
    return write_clip(path, [img] * 6)


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_metadata_gives_upright_frames_like_a_player(tmp_path: Path, rotation: int) -> None:
    clip = marker_clip(tmp_path / f"rot{rotation}.mp4")
    set_display_rotation(clip, rotation)
    info = probe(clip)
    assert info.rotation == rotation
    assert (info.width, info.height) == ((48, 96) if rotation in (90, 270) else (96, 48))
    frame = next(iter(iter_frames(info))).rgb
    assert frame.shape[:2] == (info.height, info.width)
    # OpenCV applies the same metadata on its own: both must agree on where the block is.
    cap = cv2.VideoCapture(str(clip))
    ok, bgr = cap.read()
    cap.release()
    assert ok and bgr.shape[:2] == frame.shape[:2]
    ys, xs = np.nonzero(frame[..., 0] > 128)
    ys2, xs2 = np.nonzero(bgr[..., 2] > 128)
    assert abs(ys.mean() - ys2.mean()) < 2 and abs(xs.mean() - xs2.mean()) < 2


@pytest.mark.parametrize("rotation", [0, 90, 180, 270, "yuv444p"])
def test_i420_frames_are_the_rgb_frames_upright(tmp_path: Path, rotation: int | str) -> None:
    """The annotated video's frames (I420, passed through or converted) show what
    :func:`iter_frames` shows: same size, same place of the marker block, colours within
    the few levels two BT.601 conversions differ by (x264 keeps the block's edges soft)."""
    if rotation == "yuv444p":
        img = np.zeros((48, 96, 3), np.uint8)
        img[:12, :12] = (255, 0, 0)
        clip = write_clip(tmp_path / "c444.mp4", [img] * 6, pix_fmt="yuv444p")  # not passed through
    else:
        clip = marker_clip(tmp_path / f"rot{rotation}.mp4")
        if rotation:
            set_display_rotation(clip, rotation)
    info = probe(clip)
    rgbs = [f.rgb for f in iter_frames(info)]
    yuvs = list(iter_i420(info, prefetch=2))
    assert len(yuvs) == len(rgbs) == 6
    for yuv, rgb in zip(yuvs, rgbs, strict=True):
        assert yuv.dtype == np.uint8 and yuv.shape == (info.height * 3 // 2, info.width)
        back = cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB_I420)
        ys, xs = np.nonzero(rgb[..., 0] > 128)
        ys2, xs2 = np.nonzero(back[..., 0] > 128)
        assert abs(ys.mean() - ys2.mean()) < 1 and abs(xs.mean() - xs2.mean()) < 1
        if rotation != "yuv444p":  # the same 4:2:0 samples: only the conversion differs
            assert np.abs(back.astype(int) - rgb).mean() < 2


def test_non_ascii_file_name(tmp_path: Path) -> None:
    clip = tmp_path / "läufer_ランナー_bégin.mp4"
    clip.write_bytes(SAMPLE.read_bytes())
    info = probe(clip)
    assert info.frames == 300
    assert sum(1 for _ in iter_frames(info, prefetch=4)) == 300


def test_damaged_middle_is_skipped_not_fatal(tmp_path: Path) -> None:
    data = bytearray(SAMPLE.read_bytes())
    rng = np.random.default_rng(3)
    n = len(data)
    for i in rng.integers(n // 3, n // 3 + n // 4, size=20000):
        data[i] = int(rng.integers(0, 256))
    bad = tmp_path / "damaged.mp4"
    bad.write_bytes(bytes(data))
    from formcheck.io.video import DecodeLog

    stats = DecodeLog()
    frames = list(iter_frames(probe(bad), stats=stats))
    assert stats.bad_packets > 0
    assert 0.4 * 300 < len(frames) < 300  # frames after the damage are still read
    times = [f.time_s for f in frames]
    assert np.all(np.diff(times) > 0)


def test_read_frames_by_index() -> None:
    info = probe(SAMPLE)
    got = read_frames(info, [0, 150, 299])
    assert set(got) == {0, 150, 299}
    assert got[150].shape == (480, 640, 3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.floats(0.0, 1.0), garble_at=st.floats(0.0, 1.0), garble_len=st.integers(0, 5000),
       seed=st.integers(0, 2**16))
def test_fuzz_truncated_and_garbled_files(tmp_path: Path, cut: float, garble_at: float,
                                          garble_len: int, seed: int) -> None:
    data = bytearray(SAMPLE.read_bytes())
    data = data[: max(1, int(len(data) * cut))]
    rng = np.random.default_rng(seed)
    start = int(len(data) * garble_at)
    end = min(len(data), start + garble_len)
    data[start:end] = rng.integers(0, 256, size=end - start, dtype=np.uint8).tobytes()
    path = tmp_path / f"fuzz_{seed}.mp4"
    path.write_bytes(bytes(data))
    try:
        info = probe(path)
    except FormcheckError as exc:
        assert isinstance(exc, VideoReadError) and str(exc)
        return
    n = 0
    for frame in iter_frames(info, prefetch=2):
        assert frame.rgb.shape == (info.height, info.width, 3)
        n += 1
    assert n <= info.frames + 5


def test_luma_thumbnail_reads_grey_levels_like_the_rgb_thumbnail() -> None:
    """The pose pass measures frame changes on the decoder's luma plane (no colour
    conversion). On grey content luma is the grey level itself (16-235 in limited range,
    stretched back to 0-255), so both thumbnails agree within the 8-bit rounding of the
    conversion and the stretch (1 level x 255/219, plus one for the area average)."""
    import av

    from formcheck.io.video import luma_thumbnail, thumbnail

    rng = np.random.default_rng(3)
    levels = rng.integers(0, 256, size=(18, 32)).astype(np.uint8)
    grey = np.kron(levels, np.ones((20, 20), np.uint8))  # 360 x 640, blocks of 20 px
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    for fmt in ("yuv420p", "yuvj420p"):
        thumb = luma_thumbnail(frame.reformat(format=fmt))
        assert thumb is not None and thumb.shape == (18, 32)
        assert np.max(np.abs(thumb - thumbnail(rgb))) <= 255 / 219 + 1.0, fmt
    assert luma_thumbnail(frame) is None  # no luma plane: the caller falls back to the RGB one


@pytest.mark.parametrize("height,width", [(720, 1280), (1080, 1920), (2160, 3840), (360, 640), (54, 96),
                                          (480, 640), (36, 64), (1280, 720)])
def test_area_shrink_is_opencvs_area_resize(height: int, width: int) -> None:
    """The frame-change thumbnail's block averages are OpenCV's INTER_AREA numbers exactly
    (a repeated frame is judged on them, so a faster path must not move one level), on
    noise, on smooth content (where the rounding ties are) and on a strided view like the
    decoder's plane; sizes that are not whole multiples of the thumbnail go to OpenCV."""
    from formcheck.io.video import THUMB_SIZE, _area_shrink

    rng = np.random.default_rng(height + width)
    noise = rng.integers(0, 256, (height, width + 32), dtype=np.uint8)
    smooth = cv2.GaussianBlur(noise, (0, 0), 6)
    for image in (noise[:, :width], np.ascontiguousarray(smooth[:, :width]),
                  np.full((height, width), 255, np.uint8)):
        expected = cv2.resize(image, THUMB_SIZE, interpolation=cv2.INTER_AREA)
        assert np.array_equal(_area_shrink(image), expected)


@pytest.mark.parametrize("fmt", ["yuv420p", "yuvj420p", "yuv422p", "yuv444p", "nv12", "yuv420p10le"])
def test_rgb_conversion_is_pyavs_default_conversion(fmt: str) -> None:
    """Frames reach the pose model as swscale converts them in one thread; the pixels are
    those of PyAV's default (threaded) conversion, bit for bit: the landmarks depend on
    every pixel. Odd and 4K-class sizes, smooth content and noise."""
    import av

    from formcheck.io.video import rgb24

    rng = np.random.default_rng(7)
    for height, width in ((479, 641), (720, 1280), (2160, 3840)):
        noise = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        smooth = cv2.GaussianBlur(noise, (0, 0), 5)
        for image in (noise, smooth):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format=fmt)
            assert np.array_equal(rgb24(frame), frame.to_ndarray(format="rgb24")), (fmt, height, width)
