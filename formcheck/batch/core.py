"""Batch analysis of a folder of clips: resumable, in parallel, locally or on Dask.

Every clip ``FOLDER/<sub>/<clip>.<ext>`` is analysed by :func:`~formcheck.pipeline.run_analysis`
into its own folder ``OUT/<name>/`` (see :func:`output_names`), then one row per clip
goes into ``OUT/batch_summary.csv`` and the clips are compared in
``OUT/batch_report.pdf`` / ``.png``.

Resuming: a clip is *skipped* when its folder holds a ``summary.json`` (written last,
so the folder is complete) that is newer than the clip and was made with the same
model (SHA-256), the same analysis settings (:meth:`Settings.fingerprint`), the same
formcheck version, and at least the optional outputs now asked for. Anything else is
analysed again; ``force=True`` analyses everything. Staging folders left by a killed
run (``.formcheck-partial-*``) are removed at the start of the next.

Where clips run is up to :mod:`formcheck.batch.executors`: worker processes on this
machine, or a Dask cluster. Either way one bad clip, or one crashed worker, only
fails that clip. This module logs through :mod:`logging`; progress is a callback.
"""

from __future__ import annotations

import contextlib
import csv
import fnmatch
import logging
import math
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formcheck import ANALYSIS_REVISION, __version__
from formcheck.batch.jobs import (  # noqa: F401  (re-exported: the batch's public names)
    FAILED,
    OK,
    SKIPPED,
    ClipJob,
    ClipResult,
    ClusterError,
    analyze_clip,
    failed,
    one_line,
)
from formcheck.errors import FormcheckError, InputError, OutputError
from formcheck.io.video import VIDEO_EXTENSIONS
from formcheck.model import registry
from formcheck.model.provenance import library_versions
from formcheck.model.results import AnalysisResult
from formcheck.model.settings import Settings

log = logging.getLogger(__name__)

SUMMARY_CSV = "batch_summary.csv"
REPORT_STEM = "batch_report"
LOCK_NAME = ".formcheck-batch.lock"
INTERRUPTED = "not analysed: the batch was interrupted"

#: Medians per step copied from each clip's summary into the CSV, in this order.
METRIC_COLUMNS: tuple[str, ...] = tuple(m.key for m in registry.METRICS if m.batch)

COLUMNS: tuple[str, ...] = (
    "video",  # path relative to FOLDER, "/"-separated
    "folder",  # the clip's output folder, relative to OUT
    "status",  # ok | failed | skipped
    "error",  # one line, failed clips only
    "duration_s",
    "detected_fraction",
    "view",
    "facing",
    "steps",
    "speed_factor",  # slow-motion factor applied (real time = playback time / factor)
    "speed_source",  # given | metadata | proposed (not applied) | none
    "proposed_speed",  # the factor the gait suggests, when not applied
    *METRIC_COLUMNS,
    "faults",  # fault codes, ";"-separated, worst first
    "fault_severities",  # their severities, same order
    "analysis_s",  # wall time of the analysis (ok clips only)
)


# ---------------------------------------------------------------------- discovery


def find_videos(
    folder: Path, pattern: str | None = None, recursive: bool = False, exclude: Path | None = None
) -> list[Path]:
    """Video files in ``folder`` (sorted by relative path).

    A file counts when its extension is in :data:`~formcheck.io.video.VIDEO_EXTENSIONS`
    (any case) and, if given, it matches ``pattern`` (a shell glob, matched
    case-insensitively against the name, or against the relative path when the pattern
    holds a "/"). Hidden files and folders (".name", e.g. macOS "._clip.mp4") and the
    ``exclude`` folder (the batch's own output) are left out.
    """
    folder = Path(folder)
    excluded = exclude.resolve() if exclude is not None else None
    pat = pattern.casefold() if pattern else None
    found = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".") and (excluded is None or (here / d).resolve() != excluded)
        )
        if not recursive:
            dirs[:] = []
        for name in files:
            p = here / name
            if name.startswith(".") or p.suffix.lower() not in VIDEO_EXTENSIONS:
                continue
            rel = p.relative_to(folder).as_posix()
            if pat and not fnmatch.fnmatchcase((rel if "/" in pat else name).casefold(), pat):
                continue
            if p.is_file():
                found.append(p)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def output_names(videos: Sequence[Path], folder: Path) -> dict[Path, str]:
    """A unique output-folder name per clip, deterministic for a given set of clips.

    The name is the clip's path relative to ``folder`` without its extension, with
    sub-folders joined by ``"__"`` (``trail/run1.mp4`` -> ``trail__run1``). Names that
    clash (compared case-insensitively, for macOS and Windows) get the extension
    (``run1-mp4``, ``run1-mov``); any clash left gets ``-2``, ``-3``, ... in path order.
    """
    rels = {v: Path(v).relative_to(folder) for v in videos}
    base = {v: "__".join([*r.parent.parts, r.stem]) for v, r in rels.items()}
    counts: dict[str, int] = {}
    for b in base.values():
        counts[b.casefold()] = counts.get(b.casefold(), 0) + 1
    taken: set[str] = set()
    names = {}
    for v in sorted(videos, key=lambda v: rels[v].as_posix()):
        name = base[v]
        if counts[name.casefold()] > 1:
            name = f"{name}-{rels[v].suffix.lstrip('.').lower()}"
        candidate, i = name, 2
        while candidate.casefold() in taken:
            candidate, i = f"{name}-{i}", i + 1
        taken.add(candidate.casefold())
        names[v] = candidate
    return names


# ----------------------------------------------------------------------- resuming


def read_summary(folder: Path) -> AnalysisResult | None:
    """The folder's result (:func:`formcheck.io.folder.read_summary`), or None when it
    has none or it cannot be read."""
    from formcheck.assess.verdict import SUMMARY_UPGRADES
    from formcheck.io.folder import read_summary as read

    try:
        return read(folder, SUMMARY_UPGRADES)[0]
    except FormcheckError:
        return None


def completed_summary(
    video: Path, folder: Path, settings: Settings, model_sha256: str
) -> dict[str, Any] | None:
    """The summary in ``folder`` if it is a finished analysis of ``video`` that a rerun
    with ``settings`` can keep; else None (with the reason logged at debug level)."""
    from formcheck.io.folder import SUMMARY

    summary_path = folder / SUMMARY
    try:
        done_ns = summary_path.stat().st_mtime_ns
        clip_ns = video.stat().st_mtime_ns
    except OSError:
        return None
    result = read_summary(folder)
    why = None
    if result is None:
        why = "summary.json unreadable"
    elif done_ns < clip_ns:
        why = "the clip is newer than its results"
    elif Path(result.video.path).name != video.name:
        why = "the folder holds another clip's results"
    elif result.model.sha256 != model_sha256:
        why = "another model"
    elif result.settings_fingerprint != settings.fingerprint():
        why = "other settings"
    elif result.formcheck_version != __version__:
        why = f"formcheck {result.formcheck_version}"
    elif result.analysis_revision != ANALYSIS_REVISION:
        why = f"analysis revision {result.analysis_revision}"
    elif (result.made_with or {}).get("mediapipe") != library_versions()["mediapipe"]:
        why = f"mediapipe {(result.made_with or {}).get('mediapipe')}"
    elif _output_missing(settings, result):
        why = "an output now asked for is missing"
    if why or result is None:
        log.debug("%s: analysing again (%s)", video.name, why)
        return None
    return result.to_json_dict()


def _output_missing(settings: Settings, result: Any) -> bool:
    """Whether ``settings`` ask for an output (video, report) the done analysis did not
    write. Its settings are read as a dict: ``SettingsRecord`` is generated from
    ``Settings`` at import, so the type checker cannot see its fields."""
    done = dict(result.settings.model_dump())
    return bool((settings.video and not done.get("video")) or (settings.report and not done.get("report")))


def remove_stale_staging(out: Path) -> int:
    """Remove staging folders/files that a killed run left in ``out`` and its clip folders."""
    from formcheck.io.folder import STAGING_PREFIX

    n = 0
    for p in [*out.glob(STAGING_PREFIX + "*"), *out.glob(f"*/{STAGING_PREFIX}*")]:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                p.unlink()
        n += 1
    if n:
        log.info("removed %d unfinished staging folder(s) left by an interrupted run", n)
    return n


@contextlib.contextmanager
def batch_lock(out: Path) -> Iterator[None]:
    """Refuse a second batch writing into the same ``out`` at the same time (POSIX only).

    The lock (``flock``) dies with its process, so a killed run never leaves it held.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        yield
        return
    with open(out / LOCK_NAME, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OutputError(f"another formcheck batch is writing into {out}") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# ----------------------------------------------------------------------- the table


def _num(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return ""
    return "" if not math.isfinite(f) else repr(round(f, digits))


def make_row(rel: str, folder: str, result: ClipResult) -> dict[str, str]:
    """One CSV row (all strings; empty where unknown) from a clip's result."""
    row = dict.fromkeys(COLUMNS, "")
    row.update(video=rel, folder=folder, status=result.status, error=result.error)
    s = result.summary
    if s is None:
        return row
    metrics = s.get("metrics", {})
    faults = s.get("faults", [])
    row.update(
        duration_s=_num(s.get("video", {}).get("duration_s"), 3),
        detected_fraction=_num(s.get("detection", {}).get("fraction"), 4),
        view=str(s.get("view") or ""),
        facing=str(s.get("facing") or ""),
        steps=str(s.get("steps", "")),
        speed_factor=_num((s.get("timing") or {}).get("factor"), 4),
        speed_source=str((s.get("timing") or {}).get("source") or ""),
        proposed_speed=_num((s.get("timing") or {}).get("proposed_factor"), 4),
        faults=";".join(str(f.get("code", "")) for f in faults),
        fault_severities=";".join(str(f.get("severity", "")) for f in faults),
        analysis_s=_num(result.seconds, 2),
    )
    for name in METRIC_COLUMNS:
        row[name] = _num((metrics.get(name) or {}).get("median"))
    return row


def write_csv_atomic(rows: Sequence[dict[str, str]], path: Path) -> Path:
    """Write ``rows`` to ``path`` via a temporary file beside it and ``os.replace``."""
    from formcheck.io.folder import STAGING_PREFIX

    tmp = path.with_name(f"{STAGING_PREFIX}{uuid.uuid4().hex[:8]}-{path.name}")
    try:
        with open(tmp, "x", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def read_batch_csv(path: str | Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ------------------------------------------------------------------------ the run


@dataclass
class BatchResult:
    out_dir: Path
    rows: list[dict[str, str]]
    csv_path: Path
    report_paths: list[Path] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(r["status"] == s for r in self.rows) for s in (OK, SKIPPED, FAILED)}

    @property
    def all_ok(self) -> bool:
        return self.counts[FAILED] == 0


Progress = Callable[[int, int, ClipResult], None]


def _with_pose_threads(jobs: list[ClipJob], threads: int) -> list[ClipJob]:
    """Set how many landmarkers each clip runs, unless the user chose (``threads``)."""
    import dataclasses

    return [j if j.settings.threads else dataclasses.replace(j, settings=j.settings.replace(threads=threads))
            for j in jobs]


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def run_batch(
    folder: str | Path,
    out: str | Path,
    settings: Settings,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    pattern: str | None = None,
    recursive: bool = False,
    progress: Progress | None = None,
    task: Callable[[ClipJob], ClipResult] = analyze_clip,
) -> BatchResult:
    """Analyse every clip in ``folder`` into ``out``; return one row per clip.

    Parameters
    ----------
    workers : local worker processes (default: one per CPU core; capped at the number
        of clips). With ``scheduler="local"``, the size of the local Dask cluster.
    scheduler : None for local worker processes, ``"tcp://host:port"`` for a running
        Dask scheduler, or ``"local"`` for a throw-away Dask ``LocalCluster``.
    force : analyse clips again even when their results are complete and current.
    progress : called in this process as ``progress(done, total, result)`` per clip.
    task : what runs per clip (tests swap in a stand-in); must be importable by workers.

    Raises :class:`FormcheckError` for a bad folder, an unusable output folder or model,
    or an unreachable scheduler; a failed clip does not raise, it is a ``failed`` row.
    On Ctrl-C the finished clips are kept, the table is written with the rest marked
    failed, and ``KeyboardInterrupt`` propagates.
    """
    from formcheck.io.folder import prepare_out_dir
    from formcheck.pose.bundle import resolve_model

    src = Path(folder).expanduser()
    if not src.is_dir():
        raise InputError(f"{src} is not a folder" if src.exists() else f"folder not found: {src}")
    if workers is not None and workers < 1:
        raise InputError("--workers must be at least 1")
    out_dir = Path(out).expanduser().resolve()
    if recursive and (out_dir == src.resolve() or out_dir in src.resolve().parents):
        raise InputError(
            "with --recursive, --out must not be the clip folder or a folder above it "
            "(the outputs would be read as clips)"
        )
    out_dir = prepare_out_dir(out_dir)
    videos = find_videos(src, pattern, recursive, exclude=out_dir)
    if not videos:
        what = f"matching {pattern!r} " if pattern else ""
        raise InputError(
            f"no videos {what}found in {src}"
            + ("" if recursive else " (use --recursive for sub-folders)")
        )
    model_sha = resolve_model(settings.model).sha256  # a bad model fails the batch, once
    names = output_names(videos, src)

    with batch_lock(out_dir):
        remove_stale_staging(out_dir)
        results: dict[str, ClipResult] = {}
        jobs = []
        for v in videos:
            rel = v.relative_to(src).as_posix()
            folder_i = out_dir / names[v]
            summary = None if force else completed_summary(v, folder_i, settings, model_sha)
            if summary is not None:
                results[rel] = ClipResult(rel, SKIPPED, summary=summary)
            else:
                jobs.append(ClipJob(str(v.resolve()), rel, str(folder_i), settings))
        folder_of = {v.relative_to(src).as_posix(): names[v] for v in videos}
        total = len(videos)
        log.info("%d clip(s): %d to analyse, %d already done", total, len(jobs), len(results))

        def record(result: ClipResult) -> None:
            results[result.rel] = result
            if result.status == FAILED:
                log.info("%s: failed: %s", result.rel, result.error)
                if result.detail:
                    log.error("%s: unexpected error\n%s", result.rel, result.detail)
            else:
                log.info("%s: %s", result.rel, result.status)
            if progress is not None:
                progress(len(results), total, result)

        if progress is not None:
            for i, r in enumerate(list(results.values()), 1):
                progress(i, total, r)

        def table() -> list[dict[str, str]]:
            rows = []
            for rel in sorted(folder_of):
                r = results.get(rel) or ClipResult(rel, FAILED, INTERRUPTED)
                rows.append(make_row(rel, folder_of[rel], r))
            return rows

        try:
            if jobs:
                from formcheck.batch.executors import run_dask, run_local

                if scheduler:
                    # A Dask worker usually holds one core: one landmarker per clip.
                    run_dask(_with_pose_threads(jobs, 1), scheduler, record, workers=workers, task=task)
                else:
                    n = min(workers or default_workers(), len(jobs))
                    # Cores left over by the workers go to each clip's landmarkers (analyze
                    # splits a clip between two when it has two cores to itself).
                    per_clip = max(1, min(2, default_workers() // n))
                    run_local(_with_pose_threads(jobs, per_clip), n, record, task=task)
        except KeyboardInterrupt:
            for job in jobs:  # a clip may have finished on disk before its result came back
                if job.rel not in results:
                    done = completed_summary(
                        Path(job.video), Path(job.out_dir), settings, model_sha
                    )
                    if done is not None:
                        results[job.rel] = ClipResult(job.rel, OK, summary=done)
            write_csv_atomic(table(), out_dir / SUMMARY_CSV)
            raise

        rows = table()
        csv_path = write_csv_atomic(rows, out_dir / SUMMARY_CSV)
        from formcheck.render.batch_report import write_batch_report

        report_paths = write_batch_report(rows, out_dir / REPORT_STEM)
    return BatchResult(out_dir, rows, csv_path, report_paths)
