"""analyze, batch and serve share one declaration of the analysis options: the same
options give the same settings (and the same fingerprint, which decides whether a batch
rerun and a comparison see the same analysis) in every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from formcheck.cli.app import main
from formcheck.cli.options import analysis_settings, model_path
from formcheck.errors import FormcheckError, InputError


class _Stop(FormcheckError):
    """Raised by the stand-ins once they have the settings (ends the command)."""


def _settings_of(monkeypatch: pytest.MonkeyPatch, argv: list[str]):
    """The Settings a command hands to the analysis, without analysing anything."""
    import formcheck.batch.core
    import formcheck.pipeline.run

    seen = []

    def grab(_src, _out, settings, **_kw):
        seen.append(settings)
        raise _Stop("stop")

    monkeypatch.setattr(formcheck.pipeline.run, "run_analysis", grab)
    monkeypatch.setattr(formcheck.batch.core, "run_batch", grab)
    assert main(argv) != 0
    assert len(seen) == 1
    return seen[0]


def test_analyze_and_batch_give_the_same_settings_for_a_relative_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clips").mkdir()
    opts = ["--model", "models/custom.task", "--height-cm", "180", "--view", "side", "--speed", "2",
            "--no-video", "-q"]
    a = _settings_of(monkeypatch, ["analyze", "clips/run.mp4", *opts])
    b = _settings_of(monkeypatch, ["batch", "clips", *opts])
    assert a == b
    assert a.fingerprint() == b.fingerprint()
    assert a.model == str(tmp_path / "models" / "custom.task")
    assert (a.height_cm, a.view, a.speed, a.video, a.report) == (180.0, "side", 2.0, False, True)


def test_model_path_is_absolute_and_the_same_from_any_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    here = model_path(Path("m.task"))
    monkeypatch.chdir(tmp_path / "sub")
    assert model_path(Path("../m.task")) == here == str(tmp_path / "m.task")
    assert model_path(None) is None


def test_config_file_is_overridden_by_the_options_given(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[formcheck]\nheight_cm = 170.0\nmass_kg = 60.0\n")
    s = analysis_settings(cfg, height_cm=185.0, no_report=True)
    assert (s.height_cm, s.mass_kg, s.report, s.video) == (185.0, 60.0, False, True)


@pytest.mark.parametrize("command", ["analyze", "batch"])
def test_the_config_view_holds_unless_view_is_given(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    """``--view`` not given leaves the config file's view (it used to reset it to auto)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clips").mkdir()
    cfg = tmp_path / "c.toml"
    cfg.write_text('[formcheck]\nview = "side"\n')
    src = "clips/run.mp4" if command == "analyze" else "clips"
    assert _settings_of(monkeypatch, [command, src, "--config", str(cfg), "-q"]).view == "side"
    assert _settings_of(monkeypatch, [command, src, "--config", str(cfg), "--view", "front", "-q"]).view == "front"
    assert _settings_of(monkeypatch, [command, src, "-q"]).view == "auto"


def test_a_bad_value_is_an_input_error() -> None:
    with pytest.raises(InputError, match="height"):
        analysis_settings(height_cm=20.0)


def test_fingerprint_is_unchanged_for_folders_written_before() -> None:
    """The hashes 0d3a1d8 gave for these settings: batch resume compares a folder's stored
    fingerprint with the current one, so a different hash would rerun every clip."""
    from formcheck.model.settings import Settings

    assert Settings().fingerprint() == "c2525e0c4731148e"
    assert Settings(model="/x/m.task", view="side", height_cm=180.0, mass_kg=70.0, speed=2.0,
                    video=False, report=False, threads=3).fingerprint() == "a8b39bf6b23c353c"


def test_an_output_flag_marked_not_analysis_stays_out_of_the_fingerprint() -> None:
    import dataclasses

    from formcheck.model.settings import NOT_ANALYSIS, Settings

    with_trc = dataclasses.make_dataclass(
        "WithTrc", [("trc", bool, dataclasses.field(default=False, metadata=NOT_ANALYSIS)),
                    ("smooth", bool, dataclasses.field(default=False))],
        bases=(Settings,), frozen=True)
    assert with_trc(trc=True).fingerprint() == with_trc().fingerprint()
    assert with_trc(smooth=True).fingerprint() != with_trc().fingerprint()


def test_video_size_from_analyze_batch_and_a_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--video-size reaches the settings in both commands, overrides the config file, is
    refused out of range in one line, and leaves the fingerprint alone (an output size)."""
    from formcheck.model.settings import Settings
    from formcheck.render.annotate import MAX_SHORT_SIDE

    assert Settings().video_size == MAX_SHORT_SIDE == 720
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clips").mkdir()
    a = _settings_of(monkeypatch, ["analyze", "clips/run.mp4", "--video-size", "480", "-q"])
    b = _settings_of(monkeypatch, ["batch", "clips", "--video-size", "480", "-q"])
    assert a.video_size == b.video_size == 480
    assert a.fingerprint() == Settings().fingerprint()
    cfg = tmp_path / "c.toml"
    cfg.write_text("[formcheck]\nvideo_size = 0\n")
    assert analysis_settings(cfg).video_size == 0
    assert analysis_settings(cfg, video_size=1080).video_size == 1080
    with pytest.raises(InputError, match="--video-size 50 "):
        analysis_settings(video_size=50)
