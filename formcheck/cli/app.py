"""Command line: ``formcheck analyze | report | batch | samples``.

User errors (:class:`FormcheckError`) end in one line on stderr and a non-zero
exit code, never a traceback. Progress bars and colour live here only.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from formcheck import __version__
from formcheck.errors import FormcheckError

app = typer.Typer(
    name="formcheck",
    help="Running-form analysis from video: the form faults behind a sore neck.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_INTERRUPTED = 130


def _user_errors(func):
    """Turn user errors and Ctrl-C inside a command into one line and an exit code."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except FormcheckError as exc:
            print(f"formcheck: error: {exc}", file=sys.stderr)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            print("formcheck: interrupted; no partial results were kept", file=sys.stderr)
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="formcheck: %(levelname)s: %(message)s", stream=sys.stderr)


def _settings(config: Path | None, **overrides):
    from formcheck.model.settings import Settings

    base = Settings.from_toml(config) if config else Settings()
    return base.replace(**overrides)


def default_out_dir(video: Path) -> Path:
    return Path("formcheck_output") / video.stem


VerboseOpt = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")]


@app.command()
@_user_errors
def analyze(
    video: Annotated[Path, typer.Argument(help="The running clip (mp4, mov, avi, mkv, webm, ...).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder [default: formcheck_output/<clip name>].")] = None,
    height_cm: Annotated[float | None, typer.Option("--height-cm", help="Runner's height: gives values in cm.")] = None,
    mass_kg: Annotated[float | None, typer.Option("--mass-kg", help="Runner's body mass: scales the neck-load estimate.")] = None,
    model: Annotated[Path | None, typer.Option("--model", help="A Pose Landmarker .task bundle [default: the bundled full model].")] = None,
    view: Annotated[str, typer.Option("--view", help="Camera view: auto, side, front or back.")] = "auto",
    no_video: Annotated[bool, typer.Option("--no-video", help="Do not write annotated.mp4.")] = False,
    no_report: Annotated[bool, typer.Option("--no-report", help="Do not write report.pdf / report.png.")] = False,
    config: Annotated[Path | None, typer.Option("--config", help="TOML file with settings ([formcheck] table).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    verbose: VerboseOpt = 0,
) -> None:
    """Analyse one running clip and write the summary, tables, report and annotated video."""
    _setup_logging(verbose)
    from formcheck.pipeline.run import run_analysis

    settings = _settings(config, model=str(model) if model else None, view=view, height_cm=height_cm,
                         mass_kg=mass_kg)
    if no_video:
        settings = settings.replace(video=False)
    if no_report:
        settings = settings.replace(report=False)
    out_dir = out or default_out_dir(video)
    console = _stderr_console()
    if quiet or not console.is_terminal:
        result = run_analysis(video, out_dir, settings)
    else:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=console, transient=True) as bar:
            task = bar.add_task(f"analysing {video.name}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total or None)

            result = run_analysis(video, out_dir, settings, progress=progress)
    _print_result(result)


def _print_result(summary: dict) -> None:
    faults = summary.get("faults", [])
    m = summary["metrics"]
    cad = m.get("cadence_spm", {}).get("median")
    lines = [
        f"{Path(summary['video']['path']).name}: {summary['view']} view"
        + (f", facing {summary['facing']}" if summary.get("facing") else "")
        + f", {summary['steps']} steps" + (f", cadence {cad:.0f} steps/min" if cad else ""),
    ]
    if faults:
        for f in faults:
            status = f.get("status", "found")
            tag = f["severity"] if status == "found" else f"{f['severity']}, {status.replace('_', ' ')}"
            lines.append(f"  [{tag}] {f['message']}")
            if f.get("confidence"):
                lines.append(f"      how sure: {f['confidence']}")
    else:
        lines.append("  no form faults found")
    for w in summary.get("warnings", []):
        lines.append(f"  note: {w}")
    lines.append(f"outputs: {summary['output_dir']}")
    print("\n".join(lines))


@app.command()
@_user_errors
def report(
    folder: Annotated[Path, typer.Argument(help="An analysis folder written by 'formcheck analyze'.")],
    verbose: VerboseOpt = 0,
) -> None:
    """Rebuild report.pdf and report.png from an analysis folder (no video needed)."""
    _setup_logging(verbose)
    from formcheck.pipeline.run import rebuild_report

    for p in rebuild_report(folder):
        print(p)


@app.command()
@_user_errors
def batch(
    folder: Annotated[Path, typer.Argument(help="Folder of running clips (mp4, mov, avi, mkv, webm, ...).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: one sub-folder per clip, plus batch_summary.csv and batch_report.pdf/.png.")] = Path("formcheck_output"),
    workers: Annotated[int | None, typer.Option("--workers", "-j", help="Worker processes [default: one per CPU core]; with --scheduler local, the Dask workers.")] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Run on a Dask cluster: tcp://HOST:PORT of its scheduler, or 'local' for a local one. Needs formcheck[dask] and a shared file system.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Analyse every clip again, even those whose results are complete and current.")] = False,
    pattern: Annotated[str | None, typer.Option("--pattern", help="Only clips whose name matches this glob (case-insensitive), e.g. 'race_*'.")] = None,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Include clips in sub-folders.")] = False,
    height_cm: Annotated[float | None, typer.Option("--height-cm", help="Runners' height (the same for every clip): gives values in cm.")] = None,
    mass_kg: Annotated[float | None, typer.Option("--mass-kg", help="Runners' body mass: scales the neck-load estimate.")] = None,
    model: Annotated[Path | None, typer.Option("--model", help="A Pose Landmarker .task bundle [default: the bundled full model].")] = None,
    view: Annotated[str, typer.Option("--view", help="Camera view: auto, side, front or back.")] = "auto",
    no_video: Annotated[bool, typer.Option("--no-video", help="Do not write annotated.mp4.")] = False,
    no_report: Annotated[bool, typer.Option("--no-report", help="Do not write each clip's report.pdf / report.png.")] = False,
    config: Annotated[Path | None, typer.Option("--config", help="TOML file with settings ([formcheck] table).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    verbose: VerboseOpt = 0,
) -> None:
    """Analyse every clip in a folder, in parallel; a rerun resumes where the last one stopped.

    Exit code 0 when every clip is analysed or unchanged, 1 when any failed.
    """
    _setup_logging(verbose)
    if verbose < 2:  # Dask logs every worker coming and going at INFO
        logging.getLogger("distributed").setLevel(logging.WARNING)
    from formcheck.batch.core import FAILED, run_batch

    settings = _settings(config, model=str(model.expanduser().resolve()) if model else None,
                         view=view, height_cm=height_cm, mass_kg=mass_kg)
    if no_video:
        settings = settings.replace(video=False)
    if no_report:
        settings = settings.replace(report=False)
    console = _stderr_console()
    kwargs: dict[str, Any] = dict(workers=workers, scheduler=scheduler, force=force, pattern=pattern,
                  recursive=recursive)
    try:
        if quiet or not console.is_terminal:
            result = run_batch(folder, out, settings, **kwargs)
        else:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                          transient=True) as bar:
                task = bar.add_task("analysing clips", total=None)

                def progress(done: int, total: int, clip) -> None:
                    bar.update(task, completed=done, total=total,
                               description=f"{clip.rel} {clip.status}")

                result = run_batch(folder, out, settings, progress=progress, **kwargs)
    except KeyboardInterrupt:
        print(f"formcheck: interrupted; finished clips are kept in {out}; run the same command "
              "again to resume", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    c = result.counts
    print(f"{len(result.rows)} clips: {c['ok']} analysed, {c['skipped']} skipped (unchanged), "
          f"{c['failed']} failed")
    for row in result.rows:
        if row["status"] == FAILED:
            print(f"  failed: {row['video']}: {row['error']}")
    print(f"summary: {result.csv_path}")
    for p in result.report_paths:
        if p.suffix == ".pdf":
            print(f"report: {p}")
    if not result.all_ok:
        raise typer.Exit(1)


@app.command()
@_user_errors
def samples(
    out: Annotated[Path, typer.Argument(help="Folder for the rendered clips.")] = Path("sample_videos"),
) -> None:
    """Render the synthetic sample clips (with their ground truth) into a folder."""
    from formcheck.synth.runner import render_samples

    for p in render_samples(out):
        print(p)


@app.command()
def version() -> None:
    """Print formcheck's version."""
    print(__version__)


def main(argv: list[str] | None = None) -> int:
    """Entry point. Usage errors are reported by typer (exit 2)."""
    from formcheck.cli.stderr import native_chatter_filtered

    try:
        with native_chatter_filtered():
            app(args=argv, standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
