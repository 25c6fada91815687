"""Shared test fixtures.

Real clips live in ``../shared/videos`` beside the project checkout (not in the repo;
``FORMCHECK_SHARED_VIDEOS`` names another folder); tests that need them are marked
``realclips`` and skip when the folder is absent.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
# FORMCHECK_SHARED_VIDEOS points elsewhere (e.g. from a git worktree that has no ../shared)
SHARED_VIDEOS = Path(os.environ.get("FORMCHECK_SHARED_VIDEOS") or ROOT.parent / "shared" / "videos")


def pytest_configure(config: pytest.Config) -> None:
    """In a fast run (``-m "not slow"``, ``make test-fast``) the pose model refuses to
    start, so a test or fixture that runs it without the ``slow`` marker fails instead
    of making the fast suite slow. (Only in this process: spawned batch workers and
    command-line subprocesses are not covered.)"""
    if config.getoption("markexpr", "").strip() == "not slow":
        from mediapipe.tasks.python import vision

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("this test runs the pose model: mark it @pytest.mark.slow")

        vision.PoseLandmarker.create_from_options = refuse  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def pg_admin_url():
    """The admin URL of a throw-away PostgreSQL server (tests/pg_server.py), one per test
    run; skips the test when no server can be started here."""
    from pg_server import postgres_server, why_unavailable

    why = why_unavailable()
    if why:
        pytest.skip(why)
    with postgres_server() as url:
        yield url


def real_clip(name: str) -> Path:
    path = SHARED_VIDEOS / name
    if not path.is_file():
        pytest.skip(f"real clip not available: {path}")
    return path


def write_clip(path: Path, frames: list, fps: int = 30, pix_fmt: str = "yuv420p") -> Path:
    """Encode RGB frames (H, W, 3 uint8) as an H.264 MP4 (``pix_fmt`` samples), the same
    bytes on every run (see :data:`formcheck.synth.render.REPEATABLE_X264`: tests analyse
    these clips)."""
    import av

    from formcheck.synth.render import REPEATABLE_X264

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options=dict(REPEATABLE_X264))
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], pix_fmt
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def trim(src: Path, dst: Path, seconds: float) -> Path:
    """Copy the first ``seconds`` of a clip without re-encoding."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        stream = inp.streams.video[0]
        ostream = out.add_stream_from_template(stream)
        for pkt in inp.demux(stream):
            if pkt.dts is None or (pkt.pts is not None and pkt.pts * stream.time_base >= seconds):
                continue
            pkt.stream = ostream
            out.mux(pkt)
    return dst


def wait_until(cond, timeout: float, what: str, interval: float = 0.2):
    """Poll ``cond`` until it returns something truthy (returned); fail the test after
    ``timeout`` seconds, naming ``what`` was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def load_truth(clip: Path) -> dict:
    return json.loads(clip.with_suffix(".truth.json").read_text())


@pytest.fixture(scope="session")
def sample_analyses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The three bundled sample clips analysed once per session (tables only)."""
    from formcheck.model.settings import Settings
    from formcheck.pipeline.run import run_analysis

    out = tmp_path_factory.mktemp("samples")
    settings = Settings(video=False, report=False)
    results = {}
    for name in ("forward_head", "clean", "waist_bend"):
        clip = SAMPLES / f"runner_side_{name}.mp4"
        summary = run_analysis(clip, out / name, settings)
        results[name] = {"summary": summary, "truth": load_truth(clip), "dir": out / name}
    return results
