"""Analysis folders as the library sees them: reading one, finding many, dating a session.

:func:`read_folder` is the only place the store reads an analysis folder (through
:func:`formcheck.io.folder.read_analysis`, the project's one reader).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from formcheck.errors import InputError
from formcheck.store.records import FaultEntry, MetricValue

DateSource = Literal["option", "clip_metadata", "clip_mtime", "analysis_time"]


@dataclass(frozen=True)
class FolderFacts:
    """What the library keeps from an analysis folder."""

    folder: Path
    video: str
    video_info: dict[str, Any]
    formcheck_version: str
    view: str | None
    facing: str | None
    steps: int | None
    duration_s: float | None
    metrics: tuple[MetricValue, ...]
    checks: tuple[FaultEntry, ...]  # the checklist: every fault looked for, with its status
    summary_mtime: float
    analysis_key: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "analysis_key", analysis_key(self.video, self.video_info))


def analysis_key(video: str, info: dict[str, Any]) -> str:
    """SHA-256 (hex) of the clip's identity as the analysis saw it: file name
    (case-folded), frame count, frame rate (3 decimals) and frame size."""
    fps = info.get("fps")
    ident = [
        Path(str(video).replace("\\", "/")).name.casefold(),
        info.get("frames"),
        None if fps is None else round(float(fps), 3),
        info.get("width"),
        info.get("height"),
    ]
    return hashlib.sha256(json.dumps(ident).encode()).hexdigest()


def read_folder(folder: str | Path) -> FolderFacts:
    """The facts the library keeps, from an analysis folder (read, and migrated when
    written by an older formcheck, by :func:`formcheck.io.folder.read_analysis`).

    This is the only function of the store that reads an analysis folder. Faults are
    the analysis's checklist: one entry per fault formcheck looks for, with its status.
    Raises :class:`InputError` when ``folder`` holds no valid analysis.
    """
    from formcheck.assess.verdict import SUMMARY_UPGRADES
    from formcheck.io.folder import SUMMARY, read_analysis

    p = Path(folder).expanduser()
    if not p.is_dir():
        raise InputError(f"{p} is not a folder" if p.exists() else f"folder not found: {p}")
    p = p.resolve()
    result = read_analysis(p, SUMMARY_UPGRADES).result
    try:
        mtime = (p / SUMMARY).stat().st_mtime
    except OSError as exc:
        raise InputError(f"cannot read {p / SUMMARY}: {exc.strerror or exc}") from None
    metrics = tuple(
        MetricValue(name, m.median, m.p10, m.p90, m.n_steps, m.unit or None, m.measurable, m.reason)
        for name, m in result.metrics.items()
    )
    checks = [FaultEntry(c.code, c.severity, c.status) for c in result.checks]
    listed = {c.code for c in checks}
    # A fault outside the checklist (none today) is still kept, as found.
    checks += [FaultEntry(f.code, f.severity, "found") for f in result.faults if f.code not in listed]
    return FolderFacts(
        folder=p, video=result.video.path, video_info=result.video.model_dump(mode="json"),
        formcheck_version=result.formcheck_version, view=result.view, facing=result.facing,
        steps=result.steps, duration_s=result.video.duration_s, metrics=metrics,
        checks=tuple(checks), summary_mtime=mtime,
    )


def find_analysis_folders(path: str | Path) -> list[Path]:
    """``path`` itself if it is an analysis folder, else every analysis folder below it
    (sorted; staging folders of unfinished runs left out)."""
    from formcheck.io.folder import STAGING_PREFIX, SUMMARY, is_analysis_folder

    p = Path(path).expanduser()
    if not p.is_dir():
        raise InputError(f"{p} is not a folder" if p.exists() else f"folder not found: {p}")
    if is_analysis_folder(p):
        return [p.resolve()]
    found = []
    for summary in p.rglob(SUMMARY):
        rel = summary.parent.relative_to(p).parts
        if any(part.startswith(STAGING_PREFIX) for part in rel):
            continue
        found.append(summary.parent.resolve())
    return sorted(found)


def session_when(
    date: dt.date | None, video: str | Path | None, analysis_mtime: float
) -> tuple[dt.date, dt.datetime | None, DateSource]:
    """The session's day and moment, and where they came from.

    In order: ``date`` (the user's option); the clip's ``creation_time`` tag; the clip's
    file time; the time the analysis was written (when the clip is no longer there).
    The day is the local calendar day of that moment on this machine.
    """
    if date is not None:
        return date, None, "option"
    clip = Path(video).expanduser() if video else None
    if clip is not None and clip.is_file():
        from formcheck.io.video import creation_time

        when = creation_time(clip)
        if when is not None:
            return when.astimezone().date(), when, "clip_metadata"
        when = dt.datetime.fromtimestamp(clip.stat().st_mtime, dt.UTC)
        return when.astimezone().date(), when, "clip_mtime"
    when = dt.datetime.fromtimestamp(analysis_mtime, dt.UTC)
    return when.astimezone().date(), when, "analysis_time"


