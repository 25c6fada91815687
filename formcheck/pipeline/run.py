"""Orchestration: analyse a clip and write every output (used by the CLI and batch)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from formcheck.model.settings import Settings

log = logging.getLogger(__name__)


def output_writers(settings: Settings) -> list[Callable[..., Any]]:
    """The writers besides the tables and the report that the settings ask for; each
    takes ``(analysis, folder)``."""
    writers: list[Callable[..., Any]] = []
    if settings.video:
        from formcheck.render.annotate import write_annotated_video

        writers.append(write_annotated_video)
    return writers


def run_analysis(video: str | Path, out_dir: str | Path, settings: Settings,
                 progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Analyse ``video`` and write all outputs into ``out_dir``; return the summary.

    The report renderer is started first, in a second process, so that its imports
    overlap with the pose model's work; it renders while the annotated video is written.
    """
    from formcheck.io.folder import prepare_out_dir
    from formcheck.pose.extract import extract_runner

    out = prepare_out_dir(out_dir)  # fail early on an unwritable location
    report_process = None
    if settings.report:
        from formcheck.render.report_server import ReportProcess

        report_process = ReportProcess()
    try:
        extracted = extract_runner(str(video), settings, progress=progress)
        # pandas and scipy are imported only now, after the landmarkers are closed.
        from formcheck.assess.analysis import analyze_extracted
        from formcheck.io.folder import write_analysis

        analysis = analyze_extracted(extracted, settings)
        write_analysis(analysis, out, output_writers(settings), report=settings.report,
                       report_process=report_process)
    finally:
        if report_process is not None:
            report_process.close()
    summary = analysis.summary()
    summary["output_dir"] = str(out)
    return summary


def rebuild_report(folder: str | Path) -> list[Path]:
    """Re-render report.pdf / report.png from an analysis folder."""
    from formcheck.render.report import write_report

    return write_report(Path(folder))
