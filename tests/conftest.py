"""Shared test fixtures.

Real clips live in ``../shared/videos`` beside the project checkout (not in the repo;
``FORMCHECK_SHARED_VIDEOS`` names another folder); tests that need them are marked
``realclips`` and skip when the folder is absent.
"""

from __future__ import annotations

import dataclasses
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


def analyse_landmarks(series, capture=None, frame_change=None, **settings):
    """Everything after the pose pass (:func:`formcheck.assess.analysis.finish_analysis`) on
    ``series``, with a stand-in model record and ``Settings(video=False, report=False,
    **settings)``: for landmarks made without the pose model (the synthetic runner's)."""
    from formcheck.assess.analysis import finish_analysis
    from formcheck.model.results import ModelMeta
    from formcheck.model.settings import Settings

    model = ModelMeta(name="synthetic", sha256="0" * 64, bundled=False, path="synthetic")
    return finish_analysis(series, series.video, model, Settings(video=False, report=False, **settings),
                           capture=capture, frame_change=frame_change)


def runner_seen_from(spec, landmarks=None, world: bool = True):
    """The 3D synthetic runner's exact landmarks at ``spec.yaw_deg`` as a PoseSeries
    (visibility 0.95 everywhere): for tests of views and timing without the pose model.
    ``landmarks``: ``(xy, world)`` arrays to use instead of
    :func:`formcheck.synth.body3d.landmarks` (e.g. with noise added); ``world=False``
    leaves the world landmarks unknown."""
    from formcheck.model.pose import PoseSeries
    from formcheck.model.results import VideoMeta
    from formcheck.synth import body3d
    from formcheck.synth.runner import simulate

    if landmarks is None:  # the motion does not depend on yaw or camera
        kin = simulate(dataclasses.replace(spec, yaw_deg=None, camera_height_cm=None, camera_distance_cm=400.0))
        landmarks = body3d.landmarks(spec, kin)
    xy, w = landmarks
    n = len(xy)
    s = PoseSeries.empty(n, VideoMeta("synthetic.mp4", spec.fps, n, spec.width, spec.height))
    s.xy[:] = xy
    s.visibility[:] = 0.95
    if world:
        s.world[:] = w
    return s


def recode(src: Path, dst: Path, transform) -> Path:
    """``src``'s upright frames, each passed through ``transform`` (an RGB array -> an RGB
    array: a mirror, a turn), as a near-lossless H.264 MP4 (crf 1) at the same frame rate,
    the same bytes on every run (:data:`formcheck.synth.render.REPEATABLE_X264`)."""
    from fractions import Fraction

    import av
    import numpy as np

    from formcheck.io.video import iter_frames, probe
    from formcheck.synth.render import REPEATABLE_X264

    info = probe(src)
    with av.open(str(dst), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(info.fps).limit_denominator(1001),
                                options={"crf": "1", **REPEATABLE_X264})
        first = True
        for fr in iter_frames(info):
            rgb = np.ascontiguousarray(transform(fr.rgb))
            if first:
                stream.width, stream.height = rgb.shape[1] // 2 * 2, rgb.shape[0] // 2 * 2
                stream.pix_fmt = "yuv420p"
                first = False
            # a copy of its own for each frame (see synth.render.render_clip)
            frame = av.VideoFrame.from_ndarray(np.array(rgb[: stream.height, : stream.width], copy=True),
                                               format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return dst


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
def sample_analyses(offline) -> dict[str, dict]:
    """The three bundled sample clips analysed once per session (tables only; the
    analyses are :func:`offline`'s, shared with the golden test)."""
    from formcheck.model.settings import Settings

    settings = Settings(video=False, report=False)
    results = {}
    for name in ("forward_head", "clean", "waist_bend"):
        clip = SAMPLES / f"runner_side_{name}.mp4"
        summary = offline.summary(clip, settings)
        results[name] = {"summary": summary, "truth": load_truth(clip), "dir": Path(summary["output_dir"])}
    return results


class OfflineAnalyses:
    """Offline analyses of clips, each run once per test session and shared by the tests
    that read it (the golden values, the regression checks, the mirror test).

    Keyed by the clip's resolved path and its :class:`~formcheck.model.settings.Settings`
    with ``threads`` resolved to the landmarkers actually run (``threads`` moves results,
    see tests/golden.py: threads=0 on a 2-core machine is threads=2, on 1 core it is
    not). Only table-only settings (``video=False, report=False``), whose run writes
    nothing more than the tables and ``summary.json``. The analysis is the one
    :func:`formcheck.pipeline.run.analyze` gives and the summary is what
    :func:`formcheck.pipeline.run.run_analysis` returns for it (its ``result()``, written
    with :func:`formcheck.io.folder.write_analysis`, plus ``output_dir``);
    tests/test_golden.py checks that equality on a sample clip. The summary's recorded
    ``settings.threads`` is that of the first test that asked (0 or the resolved count).
    Tests must not modify what they get: the summary is a copy each time, the analysis is
    shared.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._done: dict = {}
        self.runs = 0  # pose passes actually run

    def _get(self, clip: Path | str, settings):
        import dataclasses

        if settings.video or settings.report:
            raise ValueError("OfflineAnalyses holds table-only analyses (video=False, report=False)")
        key = (Path(clip).resolve(), dataclasses.replace(settings, threads=settings.pose_threads()))
        if key not in self._done:
            from formcheck.io.folder import write_analysis
            from formcheck.pipeline.run import analyze

            analysis = analyze(str(clip), settings)
            out = self.root / f"{len(self._done):03d}" / Path(clip).stem
            write_analysis(analysis, out)
            summary = analysis.result().to_json_dict()
            summary["output_dir"] = str(out)
            self._done[key] = (analysis, summary)
            self.runs += 1
        return self._done[key]

    def analysis(self, clip: Path | str, settings):
        """The in-memory analysis (shared: read it, do not change it)."""
        return self._get(clip, settings)[0]

    def summary(self, clip: Path | str, settings) -> dict:
        """``run_analysis``'s summary (a fresh copy; ``output_dir`` holds the tables)."""
        import copy

        return copy.deepcopy(self._get(clip, settings)[1])


@pytest.fixture(scope="session")
def offline(tmp_path_factory: pytest.TempPathFactory) -> OfflineAnalyses:
    """The session's :class:`OfflineAnalyses` (runs the pose model: mark users slow)."""
    return OfflineAnalyses(tmp_path_factory.mktemp("offline"))
