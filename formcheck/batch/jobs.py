"""One clip of a batch: the job handed to a worker, what comes back, and the work itself.

Shared by :mod:`formcheck.batch.core` (which plans and records) and
:mod:`formcheck.batch.executors` (which runs the jobs), so neither imports the other back.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck.errors import FormcheckError
from formcheck.model.settings import Settings

OK, FAILED, SKIPPED = "ok", "failed", "skipped"


class ClusterError(FormcheckError):
    """The Dask scheduler cannot be used (not installed, unreachable)."""



@dataclass(frozen=True)
class ClipJob:
    """One clip to analyse; plain data, so it pickles to a worker process or a Dask worker."""

    video: str  # absolute path, as the workers must see it
    rel: str  # path relative to the batch folder, for the CSV
    out_dir: str  # absolute path of the clip's output folder
    settings: Settings


@dataclass(frozen=True)
class ClipResult:
    """What came back for one clip. ``summary`` is the clip's summary for ok/skipped."""

    rel: str
    status: str
    error: str = ""
    summary: dict[str, Any] | None = None
    seconds: float | None = None
    detail: str = ""  # traceback of an unexpected error, for the log


def one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def failed(job: ClipJob, message: str, detail: str = "") -> ClipResult:
    return ClipResult(job.rel, FAILED, one_line(message), detail=detail)


def analyze_clip(job: ClipJob) -> ClipResult:
    """Analyse one clip into its folder; never raises for a bad clip (runs in a worker)."""
    from formcheck.pipeline.run import run_analysis

    t0 = time.perf_counter()
    try:
        summary = run_analysis(job.video, job.out_dir, job.settings)
    except FormcheckError as exc:
        result = failed(job, str(exc))
    except Exception as exc:  # a bug: fail this clip, keep the others going, keep the traceback
        result = failed(job, f"internal error: {type(exc).__name__}: {exc}", traceback.format_exc())
    else:
        return ClipResult(job.rel, OK, summary=summary, seconds=round(time.perf_counter() - t0, 2))
    with contextlib.suppress(OSError):
        Path(job.out_dir).rmdir()  # only if empty: no folder for a clip that never got one
    return result
