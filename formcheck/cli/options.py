"""The command-line options that several commands share, declared once.

``analyze``, ``batch``, ``live`` and ``serve`` take the analysis settings (model, view,
height, mass, slow-motion factor, outputs, config file) through these declarations and
turn them into :class:`~formcheck.model.settings.Settings` with :func:`analysis_settings`,
so the same option means the same thing, is validated the same way and gives the same
settings (and the same :meth:`Settings.fingerprint`) in every command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from formcheck.model.settings import Settings

HeightOpt = Annotated[float | None, typer.Option(
    "--height-cm", help="Runner's height (cm): gives values in cm and judges the bounce in cm.")]
MassOpt = Annotated[float | None, typer.Option(
    "--mass-kg", help="Runner's body mass: scales the neck-load estimate.")]
ModelOpt = Annotated[Path | None, typer.Option(
    "--model", help="A Pose Landmarker .task bundle [default: the bundled full model].")]
ViewOpt = Annotated[str | None, typer.Option(
    "--view", help="Camera view: auto, side, front or back [default: the config's, else auto].")]
SlowMotionOpt = Annotated[float | None, typer.Option(
    "--speed", help="Slow-motion factor: capture fps / playback fps (2 = filmed at 60, played at 30) "
                    "[default: from the file, else 1].")]
NoVideoOpt = Annotated[bool, typer.Option("--no-video", help="Do not write annotated.mp4.")]
NoReportOpt = Annotated[bool, typer.Option("--no-report", help="Do not write report.pdf / report.png.")]
VideoSizeOpt = Annotated[int | None, typer.Option(
    "--video-size", help="annotated.mp4's shorter side at most, px; larger clips are scaled down "
    "(0: the source's size) [default: 720].")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="TOML file with settings ([formcheck] table).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
VerboseOpt = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")]


def model_path(model: Path | None) -> str | None:
    """The ``--model`` bundle as an absolute path (None: the bundled model).

    Absolute, so that the same bundle gives the same settings fingerprint whatever the
    working directory, and batch workers started elsewhere find it.
    """
    return str(model.expanduser().resolve()) if model is not None else None


def analysis_settings(config: Path | None = None, *, model: Path | None = None, view: str | None = None,
                      height_cm: float | None = None, mass_kg: float | None = None,
                      speed: float | None = None, no_video: bool = False,
                      no_report: bool = False, video_size: int | None = None) -> Settings:
    """The settings of an analysis from the shared options.

    Parameters
    ----------
    config : Path or None
        A TOML file of settings (``--config``); the options given override it.
    model, view, height_cm, mass_kg, speed
        ``--model``, ``--view``, ``--height-cm``, ``--mass-kg``, ``--speed``; None leaves
        the config's (or the default) value.
    no_video, no_report : bool
        ``--no-video``, ``--no-report``.
    video_size : int or None
        ``--video-size``; None leaves the config's (or the default) value.

    Returns
    -------
    Settings
        Validated (a bad value raises :class:`~formcheck.errors.InputError`).
    """
    from formcheck.io.config import read_settings
    from formcheck.model.settings import Settings

    base = read_settings(config) if config else Settings()
    settings = base.replace(model=model_path(model), view=view, height_cm=height_cm, mass_kg=mass_kg,
                            speed=speed, video_size=video_size)
    if no_video:
        settings = settings.replace(video=False)
    if no_report:
        settings = settings.replace(report=False)
    return settings
