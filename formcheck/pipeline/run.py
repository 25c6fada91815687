"""Orchestration: analyse a clip and write every output (used by the CLI and batch)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formcheck.model.settings import Settings

if TYPE_CHECKING:
    from formcheck.assess.analysis import Analysis
    from formcheck.model.results import AnalysisResult

log = logging.getLogger(__name__)


def _report_writer(analysis: Analysis, folder: Path) -> None:
    """The report, rendered from the (staging) folder's files alone."""
    from formcheck.render.report import write_report

    write_report(folder)


def analyze(video_path: str | Path, settings: Settings,
            progress: Callable[[int, int], None] | None = None) -> Analysis:
    """The in-memory analysis of one clip, nothing written. Raises a
    :class:`~formcheck.errors.FormcheckError` on bad input."""
    from formcheck.assess.analysis import analyze_extracted
    from formcheck.pose.extract import extract_runner

    return analyze_extracted(extract_runner(str(video_path), settings, progress), settings)


def analyze_video(video: str | Path, out_dir: str | Path, settings: Settings,
                  progress: Callable[[int, int], None] | None = None) -> AnalysisResult:
    """Analyse ``video`` and write all outputs into ``out_dir``; return the result.

    The report (rendered from the staged files alone) is written first, then the
    annotated video (:func:`~formcheck.io.folder.write_analysis` says why not both at
    once). Once the tables are written the analysis keeps only its landmarks' pixel
    positions (:meth:`~formcheck.assess.analysis.Analysis.drop_landmarks`).

    Freed memory is handed back to the system once the pose pass's arrays are let go, once
    the tables are written and once every output is written (or the writing failed), in a
    process whose allocator formcheck owns (the ``analyze`` command, batch's and the
    server's workers: :func:`formcheck.pipeline.allocator.release_free_memory`; elsewhere
    it does nothing).
    """
    from formcheck.io.folder import prepare_out_dir
    from formcheck.pipeline.allocator import release_free_memory as release
    from formcheck.pose.extract import extract_runner

    out = prepare_out_dir(out_dir)  # fail early on an unwritable location
    extracted = extract_runner(str(video), settings, progress=progress)
    # pandas and scipy are imported only now, after the landmarkers are closed.
    from formcheck.assess.analysis import analyze_extracted
    from formcheck.io.folder import write_analysis

    analysis = analyze_extracted(extracted, settings)
    del extracted  # its raw landmarks are the analysis's now; nothing else of it is used
    release()

    def tables_written() -> None:
        analysis.drop_landmarks()
        release()

    writers: list[Callable[[Analysis, Path], Any]] = [_report_writer] if settings.report else []
    if settings.video:
        from functools import partial

        from formcheck.render.annotate import write_annotated_video

        writers.append(partial(write_annotated_video, max_short_side=settings.video_size))
    # Once the tables are written, the writers need only the landmarks' pixel positions
    # (the annotated video) or the folder (the report): the rest is let go (memory).
    try:
        write_analysis(analysis, out, writers, tables_written=tables_written)
    finally:
        release()  # a worker then waits for its next clip with what it holds handed back
    return analysis.result()


def run_analysis(video: str | Path, out_dir: str | Path, settings: Settings,
                 progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """:func:`analyze_video`, with the result as plain data plus ``output_dir``."""
    result = analyze_video(video, out_dir, settings, progress)
    summary = result.to_json_dict()
    summary["output_dir"] = str(Path(out_dir).expanduser())
    return summary


def rebuild_report(folder: str | Path) -> list[Path]:
    """Re-render report.pdf / report.png from an analysis folder."""
    from formcheck.render.report import write_report

    return write_report(Path(folder))
