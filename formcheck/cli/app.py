"""Command line: ``formcheck analyze | report | batch | samples | athletes | sessions | import |
compare | history | serve | live``.

User errors (:class:`FormcheckError`) end in one line on stderr and a non-zero
exit code, never a traceback. Progress bars and colour live here only.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from formcheck import __version__
from formcheck.cli import library as library_cli
from formcheck.cli.common import (
    EXIT_INTERRUPTED,
    _setup_logging,
    _stderr_console,
    _user_errors,
)
from formcheck.cli.library import (
    AthleteOpt,
    ConditionOpt,
    DateOpt,
    LibraryOpt,
    NoteOpt,
    ShoesOpt,
    SpeedOpt,
)
from formcheck.cli.options import (
    ConfigOpt,
    HeightOpt,
    MassOpt,
    ModelOpt,
    NoReportOpt,
    NoVideoOpt,
    QuietOpt,
    SlowMotionOpt,
    VerboseOpt,
    VideoSizeOpt,
    ViewOpt,
    analysis_settings,
    model_path,
)
from formcheck.errors import LibraryError

app = typer.Typer(
    name="formcheck",
    help="Running-form analysis from video: the form faults behind a sore neck.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)



def default_out_dir(video: Path) -> Path:
    return Path("formcheck_output") / video.stem




@app.command()
@_user_errors
def analyze(
    video: Annotated[Path, typer.Argument(help="The running clip (mp4, mov, avi, mkv, webm, ...).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder [default: formcheck_output/<clip name>].")] = None,
    height_cm: HeightOpt = None,
    mass_kg: MassOpt = None,
    model: ModelOpt = None,
    view: ViewOpt = None,
    speed: SlowMotionOpt = None,
    no_video: NoVideoOpt = False,
    video_size: VideoSizeOpt = None,
    no_report: NoReportOpt = False,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    athlete: AthleteOpt = None,
    date: DateOpt = None,
    note: NoteOpt = None,
    condition: ConditionOpt = None,
    speed_kmh: SpeedOpt = None,
    shoes: ShoesOpt = None,
    library: LibraryOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Analyse one running clip and write the summary, tables, report and annotated video.

    With --athlete, the result is also recorded into the session library.
    """
    _setup_logging(verbose)
    from formcheck.pipeline.run import run_analysis

    rec = library_cli.recording(athlete, date, note, condition, speed_kmh, shoes, library)

    settings = analysis_settings(config, model=model, view=view, height_cm=height_cm, mass_kg=mass_kg,
                                 speed=speed, no_video=no_video, no_report=no_report,
                                 video_size=video_size)
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
    if rec is not None:
        with rec.library:
            try:
                r = rec.record(Path(result["output_dir"]), video=video)
            except LibraryError as exc:
                raise LibraryError(f"{exc}; {library_cli.record_failed_hint(str(out_dir))}") from None
            print(library_cli.recorded_line(r, rec.library.where))


def _print_result(summary: dict) -> None:
    faults = summary.get("faults", [])
    m = summary["metrics"]
    cad = m.get("cadence_spm", {}).get("median")
    lines = [
        f"{Path(summary['video']['path']).name}: {summary['view']} view"
        + (f", facing {summary['facing']}" if summary.get("facing") else "")
        + f", {summary['steps']} steps" + (f", cadence {cad:.0f} steps/min" if cad else ""),
    ]
    timing = summary.get("timing") or {}
    if timing.get("source") in ("given", "metadata") and timing.get("factor") != 1:
        lines.append(f"  speed: {timing['factor']:g}x slow motion ({timing['source']}); "
                     "rates and durations are at real speed")
    if timing.get("repeated_frames"):
        lines.append(f"  {timing['repeated_frames']} repeated (frozen or duplicated) frames left out")
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
    height_cm: HeightOpt = None,
    mass_kg: MassOpt = None,
    model: ModelOpt = None,
    view: ViewOpt = None,
    speed: SlowMotionOpt = None,
    no_video: NoVideoOpt = False,
    video_size: VideoSizeOpt = None,
    no_report: NoReportOpt = False,
    config: ConfigOpt = None,
    quiet: QuietOpt = False,
    athlete: AthleteOpt = None,
    date: DateOpt = None,
    note: NoteOpt = None,
    condition: ConditionOpt = None,
    speed_kmh: SpeedOpt = None,
    shoes: ShoesOpt = None,
    library: LibraryOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Analyse every clip in a folder, in parallel; a rerun resumes where the last one stopped.

    With --athlete, every clip analysed (or unchanged since the last run) is recorded into
    the session library. Exit code 0 when every clip is analysed or unchanged, 1 when any failed.
    """
    _setup_logging(verbose)
    if verbose < 2:  # Dask logs every worker coming and going at INFO
        logging.getLogger("distributed").setLevel(logging.WARNING)
    from formcheck.batch.core import FAILED, OK, SKIPPED, run_batch

    rec = library_cli.recording(athlete, date, note, condition, speed_kmh, shoes, library)

    settings = analysis_settings(config, model=model, view=view, height_cm=height_cm, mass_kg=mass_kg,
                                 speed=speed, no_video=no_video, no_report=no_report,
                                 video_size=video_size)
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
    if rec is not None:
        with rec.library:
            done = []
            try:
                for row in result.rows:
                    if row["status"] in (OK, SKIPPED):
                        done.append(rec.record(result.out_dir / row["folder"], video=folder / row["video"]))
            except LibraryError as exc:
                raise LibraryError(f"{exc}; {library_cli.record_failed_hint(str(result.out_dir))}") from None
            counts = {s: sum(r.status == s for r in done) for s in ("added", "updated", "unchanged")}
            print(f"library: {len(done)} sessions of {rec.athlete}: {counts['added']} added, "
                  f"{counts['updated']} updated, {counts['unchanged']} already there ({rec.library.where})")
    if not result.all_ok:
        raise typer.Exit(1)


@app.command()
@_user_errors
def live(
    camera: Annotated[int | None, typer.Option("--camera", help="A local camera by number (0 = the first).")] = None,
    source: Annotated[Path | None, typer.Option("--source", help="A clip played at its real speed, as if filmed live (tests, demos).")] = None,
    url: Annotated[str | None, typer.Option("--url", help="A network stream: rtsp://..., http://... (e.g. a phone camera app).")] = None,
    headless: Annotated[bool, typer.Option("--headless", help="No window and no sound: each cue is printed as one line (clip time, fault code, cue); while no step is found for 5 s, a no_steps line says why, every 5 s.")] = False,
    no_pacing: Annotated[bool, typer.Option("--no-pacing", help="With --source: process every frame as fast as possible instead of at the clip's real speed (no frames dropped; for scripts and tests).")] = False,
    record: Annotated[Path | None, typer.Option("--record", help="Record the session into this folder (live.mp4, landmarks.npz, cues.json, session.json); analyse it afterwards with 'formcheck analyze DIR/live.mp4'.")] = None,
    height_cm: HeightOpt = None,
    model: ModelOpt = None,
    steps: Annotated[int, typer.Option("--steps", min=1, max=50, help="A cue fires after this many consecutive steps with the fault (and clears after as many back within the norm).")] = 4,
    cooldown_s: Annotated[float, typer.Option("--cooldown-s", min=0, help="At least this long between two cues for the same fault (s).")] = 20.0,
    stall_s: Annotated[float, typer.Option("--stall-s", min=0.1, help="A camera or stream with no new frame for this long has stalled; the session ends (s).")] = 5.0,
    verbose: VerboseOpt = 0,
) -> None:
    """Coach a runner in real time: posture cues from a camera, a stream or a clip."""
    _setup_logging(verbose)
    from formcheck.io.sources import open_source
    from formcheck.live.session import start_session
    analysis_settings(height_cm=height_cm)  # validates the height like 'analyze' does
    if not headless and sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        # OpenCV's window toolkit aborts the process without a display: say so first.
        from formcheck.errors import InputError

        raise InputError("no display for the overlay window (use --headless)")
    src = open_source(camera=camera, source=str(source) if source is not None else None, url=url,
                      stall_s=stall_s, real_time=not no_pacing)
    if camera is not None:
        _open_camera_quietly(src)
    speaker = None
    if headless:
        def on_cue(cue) -> None:
            print(cue.line(), flush=True)
    else:
        from formcheck.live.overlay import Speaker

        speaker = Speaker()

        def on_cue(cue) -> None:
            print(cue.line(), flush=True)
            speaker.say(cue.phrase)

    session = start_session(src, model=model_path(model), height_cm=height_cm,
                            record=record, k_steps=steps, cooldown_s=cooldown_s, on_cue=on_cue)
    interrupted = False
    try:
        if headless:
            for result in session:
                if result.notice:  # never silent: why no step has been found
                    print(f"{result.time_s:6.1f} s  no_steps  {result.notice}", flush=True)
        else:
            _live_window(session)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        summary = session.close()
        if speaker is not None:
            speaker.close()
    reason = "interrupted" if interrupted else summary.end_reason or "stopped"
    print(f"formcheck: live: {reason}; {summary.frames_processed} of {summary.frames_captured} frames "
          f"processed ({100 * summary.dropped_fraction:.0f}% dropped), {summary.steps} steps, "
          f"{len(summary.cues)} cues, latency p50 {summary.latency_p50_ms:.0f} ms, "
          f"p95 {summary.latency_p95_ms:.0f} ms", file=sys.stderr)
    if summary.recording:
        print(f"formcheck: live: recording saved: {summary.recording}", file=sys.stderr)
    if interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)


def _open_camera_quietly(src) -> None:
    """Open the camera with OpenCV's own log muted (a missing camera makes every video
    back end print its complaint); our one error line says what went wrong. OpenCV's
    log level is process-wide, which the command line owns: restored right after."""
    import cv2

    logging_api = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging_api is None:
        src.open()
        return
    previous = logging_api.getLogLevel()
    logging_api.setLogLevel(logging_api.LOG_LEVEL_SILENT)
    try:
        src.open()
    finally:
        logging_api.setLogLevel(previous)


def _live_window(session) -> None:
    """Show the overlay until the source ends or the window is closed (q or Esc)."""
    import cv2

    from formcheck.live.overlay import CUE_SHOW_S, draw

    title = "formcheck live (q to stop)"
    shown = None
    cv2.namedWindow(title, cv2.WINDOW_NORMAL)
    try:
        for frame, result in session.iter_frames():
            if result.cues:
                shown = result.cues[-1]
            if shown is not None and result.time_s - shown.time_s > CUE_SHOW_S:
                shown = None
            cv2.imshow(title, draw(frame.rgb, result, shown))
            key = cv2.waitKey(1) & 0xFF
            if key in (ord("q"), 27) or cv2.getWindowProperty(title, cv2.WND_PROP_VISIBLE) < 1:
                break
    finally:
        cv2.destroyWindow(title)


@app.command()
@_user_errors
def samples(
    out: Annotated[Path, typer.Argument(help="Folder for the rendered clips.")] = Path("sample_videos"),
) -> None:
    """Render the synthetic sample clips (with their ground truth) into a folder."""
    from formcheck.synth.render import render_samples

    for p in render_samples(out):
        print(p)


app.command("athletes")(_user_errors(library_cli.athletes))
app.command("sessions")(_user_errors(library_cli.sessions))
app.command("import")(_user_errors(library_cli.import_))


@app.command()
@_user_errors
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on. Anything but loopback needs the access token it prints.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port; 0 picks a free one.")] = 0,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open the browser.")] = False,
    library: Annotated[str | None, typer.Option("--library", help="Session library: database file or URL [default: $FORMCHECK_LIBRARY, else the user data folder].")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Where uploaded clips and their analyses go [default: beside an SQLite library, else the user data folder].")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Clips analysed at once (worker processes).")] = 1,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Run analyses on a Dask cluster (tcp://host:8786); the library must be on a shared file system.")] = None,
    max_upload_mb: Annotated[int, typer.Option("--max-upload-mb", help="Largest clip accepted.")] = 1024,
    height_cm: Annotated[float | None, typer.Option("--height-cm", help="Default runner height (an upload's own height wins).")] = None,
    model: ModelOpt = None,
    config: ConfigOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Start the web app: upload clips, follow their analysis, read, compare and download reports."""
    _setup_logging(verbose)
    import os

    from formcheck.web.config import WebConfig, is_loopback
    from formcheck.web.server import new_token
    from formcheck.web.server import serve as run_server

    token = None
    if not is_loopback(host):
        token = os.environ.get("FORMCHECK_TOKEN") or new_token()
    settings = analysis_settings(config, model=model, height_cm=height_cm)
    cfg = WebConfig(library=library, data_dir=data_dir.expanduser() if data_dir else None, host=host, port=port, token=token,
                    max_upload_bytes=max_upload_mb * 1024 * 1024, workers=workers, scheduler=scheduler,
                    settings=settings)

    def announce(url: str) -> None:
        from formcheck.store.library import describe, resolve_url

        print(f"formcheck: library {describe(resolve_url(cfg.library))}, clips and analyses in {cfg.data_dir}",
              flush=True)
        if token:
            print("formcheck: open this address (it holds the access token; it is printed only once):", flush=True)
        print(url, flush=True)

    run_server(cfg, open_browser=not no_browser, announce=announce)


@app.command()
def version() -> None:
    """Print formcheck's version."""
    print(__version__)


def _register_commands() -> None:
    from formcheck.cli import compare as _compare

    _compare.register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point. Usage errors are reported by typer (exit 2).

    Without ``argv`` formcheck runs as the program (the ``formcheck`` command,
    ``python -m formcheck``) and owns its process: it first fixes the C allocator's
    thresholds (:func:`formcheck.pipeline.allocator.tune_allocator`: memory flat with clip
    length). Called with ``argv`` (tests, a program that embeds formcheck), it leaves the
    process as it is.
    """
    from formcheck.cli.stderr import native_chatter_filtered

    if argv is None:
        from formcheck.pipeline.allocator import tune_allocator

        tune_allocator()

    try:
        with native_chatter_filtered():
            app(args=argv, standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
