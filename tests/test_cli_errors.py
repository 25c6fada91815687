"""Bad input ends in one clear line on stderr and a non-zero exit, and no results."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import write_clip

from formcheck.errors import ModelError, OutputError
from formcheck.pose.bundle import resolve_model

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_videos" / "runner_side_clean.mp4"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "formcheck", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def assert_one_line_error(proc: subprocess.CompletedProcess, code: int, needle: str) -> None:
    assert proc.returncode == code, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("formcheck: error:")
    assert needle in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"


def assert_no_results(out: Path) -> None:
    assert not (out / "summary.json").exists()
    if out.exists():
        assert not [p for p in out.iterdir() if p.name.startswith(".formcheck-partial-")]


def test_missing_file(tmp_path: Path, out_dir: Path) -> None:
    proc = run_cli("analyze", str(tmp_path / "nope.mp4"), "--out", str(out_dir))
    assert_one_line_error(proc, 2, "no such file")
    assert_no_results(out_dir)


def test_folder_instead_of_file(tmp_path: Path, out_dir: Path) -> None:
    assert_one_line_error(run_cli("analyze", str(tmp_path), "--out", str(out_dir)), 2, "is a folder")


def test_empty_file(tmp_path: Path, out_dir: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    assert_one_line_error(run_cli("analyze", str(empty), "--out", str(out_dir)), 2, "empty")
    assert_no_results(out_dir)


def test_text_file_named_mp4(tmp_path: Path, out_dir: Path) -> None:
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("this is not a video\n" * 100)
    assert_one_line_error(run_cli("analyze", str(bogus), "--out", str(out_dir)), 2, "not a video")
    assert_no_results(out_dir)


def test_truncated_video(tmp_path: Path, out_dir: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(SAMPLE.read_bytes()[:20_000])  # the index (moov) is at the end: gone
    proc = run_cli("analyze", str(cut), "--out", str(out_dir))
    assert_one_line_error(proc, 2, "cut.mp4")
    assert_no_results(out_dir)


@pytest.mark.slow
def test_nobody_in_view(tmp_path: Path, out_dir: Path) -> None:
    rng = np.random.default_rng(0)
    frames = [np.full((240, 320, 3), 90, np.uint8) + rng.integers(0, 20, (240, 320, 3), dtype=np.uint8)
              for _ in range(45)]
    clip = write_clip(tmp_path / "empty_room.mp4", frames)
    proc = run_cli("analyze", str(clip), "--out", str(out_dir), "--no-video", "--no-report")
    assert_one_line_error(proc, 3, "no runner found")
    assert_no_results(out_dir)


@pytest.mark.slow
def test_clip_too_short_for_a_step(tmp_path: Path, out_dir: Path) -> None:
    from formcheck.synth.render import render_clip
    from formcheck.synth.runner import RunnerSpec

    clip = tmp_path / "short.mp4"
    render_clip(RunnerSpec(duration_s=0.5, width=320, height=240, runner_height_px=190), clip)
    proc = run_cli("analyze", str(clip), "--out", str(out_dir), "--no-video", "--no-report")
    assert_one_line_error(proc, 3, "the clip is too short")
    assert_no_results(out_dir)


def test_bad_model_paths(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        resolve_model(tmp_path / "missing.task")
    junk = tmp_path / "junk.task"
    junk.write_bytes(b"\x00" * 100)
    with pytest.raises(ModelError, match=r"not a MediaPipe \.task bundle"):
        resolve_model(junk)
    proc = run_cli("analyze", str(SAMPLE), "--model", str(junk), "--out", str(tmp_path / "o"))
    assert_one_line_error(proc, 2, "junk.task")


def test_damaged_bundled_model_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import formcheck.pose.bundle as model_mod

    real = model_mod.default_model_path()
    copy = tmp_path / real.name
    data = bytearray(real.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    (tmp_path / (real.name + ".sha256")).write_text(
        real.with_name(real.name + ".sha256").read_text())
    monkeypatch.setattr(model_mod, "default_model_path", lambda: copy)
    with pytest.raises(ModelError, match="damaged"):
        model_mod.resolve_model(None)


def test_bundled_model_checksum_matches() -> None:
    info = resolve_model(None)
    assert info.bundled and len(info.sha256) == 64


def test_unwritable_output(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_cli("analyze", str(SAMPLE), "--out", str(blocker))
    assert_one_line_error(proc, 2, "not a folder")
    from formcheck.io.folder import prepare_out_dir

    with pytest.raises(OutputError):
        prepare_out_dir(blocker / "sub")


def test_bad_option_values() -> None:
    proc = run_cli("analyze", str(SAMPLE), "--height-cm", "5")
    assert_one_line_error(proc, 2, "height")
    proc = run_cli("analyze", str(SAMPLE), "--view", "sideways")
    assert_one_line_error(proc, 2, "--view")


def assert_no_native_lines(proc: subprocess.CompletedProcess) -> None:
    """Whatever a command prints on stderr is formcheck's own: no native library log line."""
    from formcheck.cli.stderr import is_native_log

    native = [ln for ln in proc.stderr.splitlines() if is_native_log(ln.encode())]
    assert native == [], native[:5]


@pytest.fixture(scope="module")
def empty_room(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clip the pose model runs on and finds nobody in."""
    rng = np.random.default_rng(1)
    frames = [np.full((240, 320, 3), 90, np.uint8) + rng.integers(0, 20, (240, 320, 3), dtype=np.uint8)
              for _ in range(45)]
    return write_clip(tmp_path_factory.mktemp("room") / "empty_room.mp4", frames)


@pytest.mark.slow
def test_batch_of_a_clip_with_nobody_keeps_native_lines_off_stderr(empty_room: Path, tmp_path: Path) -> None:
    """The pose model runs in a spawned worker (it inherits the filtered descriptor 2)."""
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / empty_room.name).write_bytes(empty_room.read_bytes())
    proc = run_cli("batch", str(folder), "--out", str(tmp_path / "out"), "--no-video", "--no-report",
                   "--workers", "1")
    assert proc.returncode != 0, proc.stderr
    assert_no_native_lines(proc)
    assert "Traceback" not in proc.stderr
    assert "no runner found" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_live_on_a_clip_with_nobody_keeps_native_lines_off_stderr(empty_room: Path) -> None:
    proc = run_cli("live", "--source", str(empty_room), "--headless", "--no-pacing")
    assert_no_native_lines(proc)
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args, code, needle", [
    (("batch", "/no/such/folder"), 2, "/no/such/folder"),
    (("compare", "/no/such/a", "/no/such/b"), 2, "/no/such/a"),
    (("live", "--source", "/no/such/clip.mp4", "--headless"), 2, "/no/such/clip.mp4"),
    (("serve", "--port", "70000"), 2, "not a port number"),
    (("serve", "--library", "{tmp}/not_a_database.sqlite", "--port", "0"), 2, "not a database"),
])
def test_every_command_reports_bad_input_in_one_line(args, code, needle, tmp_path: Path) -> None:
    (tmp_path / "not_a_database.sqlite").write_text("not a database")
    proc = run_cli(*(a.format(tmp=tmp_path) for a in args))
    assert_one_line_error(proc, code, needle)
