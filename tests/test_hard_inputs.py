"""Hard input: huge or fast clips, tiny runners, a full disk, an interrupted run."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from formcheck.errors import FormcheckError, OutputError
from formcheck.model.settings import Settings


def render(tmp_path: Path, name: str, **spec) -> Path:
    from formcheck.synth.render import render_clip
    from formcheck.synth.runner import RunnerSpec

    path = tmp_path / f"{name}.mp4"
    render_clip(RunnerSpec(**spec), path)
    return path


@pytest.mark.slow
def test_4k_clip(tmp_path: Path) -> None:
    """A 3840x2160 clip is read at its size and its runner's rhythm is found.

    Two seconds (60 frames of 4k, about 5.7 steps at 170 steps/min) are enough for
    that: the size is the stream's, and the cadence is a median over the steps found
    (measured 2026-12-06 on this 2 s clip: 171.0 steps/min from 5 steps). Drawing the
    synthetic runner at 4k costs ~0.5-1 s of CPU a frame, so the 4 s this test rendered
    before made it the suite's slowest test (71 s on CI); nothing it checks needs them."""
    from formcheck.pipeline.run import run_analysis

    clip = render(tmp_path, "uhd", width=3840, height=2160, runner_height_px=1700, duration_s=2.0)
    s = run_analysis(clip, tmp_path / "o", Settings(video=False, report=False))
    assert (s["video"]["width"], s["video"]["height"]) == (3840, 2160)
    assert s["metrics"]["cadence_spm"]["median"] == pytest.approx(170, abs=3)


@pytest.mark.slow
def test_high_frame_rate_clip(tmp_path: Path) -> None:
    """A 240 fps clip: its rate is read and the rhythm found over ~85 frames a step.

    Two seconds (480 frames, 5 steps at 170 steps/min) give the cadence as 3 s did
    (measured 2026-12-06: 170.4 from 5 steps at 2 s, 169.9 from 7 at 3 s); the third
    second added 240 frames of pose model and nothing this test checks."""
    from formcheck.pipeline.run import run_analysis

    clip = render(tmp_path, "fast", fps=240, duration_s=2.0, width=320, height=240, runner_height_px=200)
    s = run_analysis(clip, tmp_path / "o", Settings(video=False, report=False))
    assert s["video"]["fps"] == pytest.approx(240)
    assert s["metrics"]["cadence_spm"]["median"] == pytest.approx(170, abs=3)


@pytest.mark.slow
def test_tiny_runner_fails_clearly_or_warns(tmp_path: Path) -> None:
    from formcheck.pipeline.run import run_analysis

    clip = render(tmp_path, "tiny", width=1280, height=720, runner_height_px=110, duration_s=4.0)
    try:
        s = run_analysis(clip, tmp_path / "o", Settings(video=False, report=False))
    except FormcheckError as exc:  # nobody found: one clear line
        assert "no runner found" in str(exc) and "\n" not in str(exc)
        assert not (tmp_path / "o" / "summary.json").exists()
    else:
        assert any("small in the frame" in w for w in s["warnings"])


@pytest.fixture(scope="module")
def clean_analysis(tmp_path_factory: pytest.TempPathFactory):
    """An analysis to write: a 3 s, 320x240 synthetic clip through the pose model."""
    from formcheck.pipeline.run import analyze

    clip = render(tmp_path_factory.mktemp("clean"), "clean", duration_s=3.0, width=320,
                  height=240, runner_height_px=190)
    return analyze(str(clip), Settings(video=False, report=False))


@pytest.mark.slow  # clean_analysis runs the pose model
def test_full_disk_leaves_no_summary(tmp_path: Path, clean_analysis, monkeypatch: pytest.MonkeyPatch) -> None:
    import formcheck.io.folder as outputs
    import formcheck.io.summary

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(formcheck.io.summary, "dump_json", no_space)
    out = tmp_path / "o"
    with pytest.raises(OutputError, match="No space left"):
        outputs.write_analysis(clean_analysis, out)
    assert list(out.iterdir()) == []


@pytest.mark.slow  # clean_analysis runs the pose model
def test_failed_move_leaves_no_summary(tmp_path: Path, clean_analysis, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import formcheck.io.folder as outputs

    real_replace = os.replace

    def flaky(src, dst):
        if Path(dst).name == "steps.csv":
            raise OSError(errno.EROFS, "Read-only file system")
        return real_replace(src, dst)

    out = tmp_path / "o"
    outputs.write_analysis(clean_analysis, out)  # a complete earlier result
    assert (out / "summary.json").exists()
    monkeypatch.setattr(outputs.os, "replace", flaky)
    with pytest.raises(OutputError, match="Read-only"):
        outputs.write_analysis(clean_analysis, out)
    # The earlier summary is withdrawn before anything is replaced: no mixed folder is
    # ever marked complete.
    assert not (out / "summary.json").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".formcheck-partial-")]


@pytest.mark.slow  # clean_analysis runs the pose model
def test_interrupted_writing_leaves_no_summary(tmp_path: Path, clean_analysis) -> None:
    import formcheck.io.folder as outputs

    def interrupt(analysis, folder):
        raise KeyboardInterrupt

    out = tmp_path / "o"
    with pytest.raises(KeyboardInterrupt):
        outputs.write_analysis(clean_analysis, out, [interrupt])
    assert list(out.iterdir()) == []


def test_unwritable_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import formcheck.io.folder as outputs

    monkeypatch.setattr(outputs.os, "access", lambda path, mode: False)
    with pytest.raises(OutputError, match="not writable"):
        outputs.prepare_out_dir(tmp_path / "o")
