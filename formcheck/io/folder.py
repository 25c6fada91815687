"""Writing an analysis to a folder, all or nothing.

Files are first written into a hidden staging folder inside the output folder, then
moved into place one by one with ``os.replace`` (atomic on one file system), with
``summary.json`` moved **last**. A run that fails or is interrupted removes its
staging folder and leaves no ``summary.json`` of its own, so a folder with a
``summary.json`` always holds a complete, consistent analysis.

Files (see the README for every column):

``summary.json``  clip, model, detection, view, metrics (median/p10/p90), faults.
``frames.csv``    one row per frame: time, key points used (px), per-frame metrics.
``steps.csv``     one row per step: timing, cadence and per-step metrics.
``pose.npz``      the cleaned landmark series (all 33 points, px + visibility).
``landmarks_raw.npz`` the model's landmarks before cleaning.
``evidence_worst.jpg`` / ``evidence_best.jpg`` the frames behind the report's stills.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from formcheck.errors import OutputError

if TYPE_CHECKING:
    from formcheck.assess.analysis import Analysis
    from formcheck.render.report_server import ReportProcess

log = logging.getLogger(__name__)

SUMMARY = "summary.json"
STAGING_PREFIX = ".formcheck-partial-"


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _clean_nans(obj: Any) -> Any:
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean_nans(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean_nans(v) for v in obj]
    return obj


def dump_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(_clean_nans(data), indent=2, default=_json_default, allow_nan=False) + "\n")


def prepare_out_dir(out_dir: str | Path) -> Path:
    out = Path(out_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise OutputError(f"output path {out} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {out}: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(f"output folder {out} is not writable")
    return out


@contextlib.contextmanager
def staging(out: Path) -> Iterator[Path]:
    """A staging folder inside ``out``; removed whatever happens."""
    try:
        tmp = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    except OSError as exc:
        raise OutputError(f"cannot write into {out}: {exc.strerror or exc}") from None
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def commit(stage: Path, out: Path) -> list[Path]:
    """Move every staged file into ``out``; ``summary.json`` last."""
    names = sorted(p.name for p in stage.iterdir() if p.name != SUMMARY)
    old_summary = out / SUMMARY
    try:
        if old_summary.exists():
            old_summary.unlink()  # the folder is incomplete until the new summary lands
        moved = []
        for name in [*names, SUMMARY]:
            src = stage / name
            if src.exists():
                os.replace(src, out / name)
                moved.append(out / name)
        return moved
    except OSError as exc:
        raise OutputError(f"cannot write results into {out}: {exc.strerror or exc}") from None


def write_tables(analysis: Analysis, folder: Path) -> None:
    """summary.json, frames.csv, steps.csv and the landmark arrays."""
    analysis.frames.to_csv(folder / "frames.csv", index=False, float_format="%.4f")
    analysis.step_table.to_csv(folder / "steps.csv", index=False, float_format="%.4f")
    analysis.pose.save(folder / "pose.npz")
    analysis.raw.save(folder / "landmarks_raw.npz")
    dump_json(analysis.summary(), folder / SUMMARY)


def write_evidence_stills(analysis: Analysis, folder: Path) -> dict[str, str]:
    """Save the raw frames behind the report's worst/best stills as JPEG."""
    import cv2

    from formcheck.io.video import read_frames

    wanted = sorted(set(analysis.evidence_frames.values()))
    times = {i: float(analysis.pose.t[i]) for i in wanted if 0 <= i < len(analysis.pose)}
    frames = read_frames(analysis.video, wanted, times)
    saved = {}
    for label, idx in analysis.evidence_frames.items():
        rgb = frames.get(idx)
        if rgb is None:
            log.warning("could not read frame %d for the %s still", idx, label)
            continue
        name = f"evidence_{label}.jpg"
        cv2.imwrite(str(folder / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
        saved[label] = name
    return saved


Writer = Callable[["Analysis", Path], Any]

def write_analysis(analysis: Analysis, out_dir: str | Path, extra: list[Writer] | None = None,
                   report: bool = False, report_process: ReportProcess | None = None) -> list[Path]:
    """Write all outputs of ``analysis`` into ``out_dir`` atomically.

    ``extra`` writers (the annotated video) run inside the staging folder after the
    tables. The report (``report=True``) only reads the staging folder, so it is
    rendered by ``report_process`` at the same time, or here if there is none or it
    fails. If anything fails nothing is committed.
    """
    out = prepare_out_dir(out_dir)
    with staging(out) as stage:
        try:
            write_evidence_stills(analysis, stage)
            write_tables(analysis, stage)
            pending = report_process.start_render(stage) if report and report_process else None
            if report and pending is None:
                _render_report_here(stage)
            for writer in extra or []:
                writer(analysis, stage)
            if pending is not None:
                answer = report_process.outcome(pending)  # type: ignore[union-attr]
                if answer != "ok":
                    log.info("report process: %s; rendering the report here", answer)
                    _render_report_here(stage)
            # summary.json is written last: the writers may read the tables.
            dump_json(analysis.summary(), stage / SUMMARY)
        except OSError as exc:
            raise OutputError(f"cannot write results into {out}: {exc.strerror or exc}") from None
        return commit(stage, out)


def _render_report_here(folder: Path) -> None:
    from formcheck.render.report import write_report

    write_report(folder)
