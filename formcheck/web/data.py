"""What the pages show, read from an analysis folder and turned into JSON-ready dicts.

Pages render the folder's own data (``summary.json``, ``frames.csv``, ``steps.csv``)
and the thresholds of :mod:`formcheck.assess.norms`; nothing here re-judges a fault.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from formcheck.assess.norms import THRESHOLDS
from formcheck.assess.verdict import fault_badge, fault_title
from formcheck.model import registry

#: Metrics drawn on the session timeline (per frame, from frames.csv), in menu order.
TIMELINE_METRICS = tuple(m.key for m in registry.METRICS if m.timeline)
#: Metrics on the compare and history pages (per step, from steps.csv / the summary).
KEY_METRICS = registry.keys(registry.comparison_order(m for m in registry.METRICS if m.web_history))
#: Files a session offers for download, with their media types. Only these names are
#: ever served from an analysis folder.
DOWNLOADS: dict[str, str] = {
    "report.pdf": "application/pdf",
    "report.png": "image/png",
    "summary.json": "application/json",
    "frames.csv": "text/csv",
    "steps.csv": "text/csv",
    "annotated.mp4": "video/mp4",
    "evidence_worst.jpg": "image/jpeg",
    "evidence_best.jpg": "image/jpeg",
}


def _values(series: Any) -> list[float | None]:
    """A table column as JSON numbers, missing and non-finite values as null."""
    out: list[float | None] = []
    for v in series.tolist():
        try:
            f = float(v)
        except (TypeError, ValueError):
            out.append(None)
            continue
        out.append(f if math.isfinite(f) else None)
    return out


def _mtime_key(folder: Path, name: str) -> tuple[str, int]:
    p = folder / name
    return str(p), p.stat().st_mtime_ns


def summary(folder: Path) -> dict[str, Any]:
    """The analysis's result (``summary.json`` read, validated and, for an older folder,
    migrated by :func:`formcheck.io.folder.read_analysis`), as plain data; cached until
    the file changes."""
    return _summary(*_mtime_key(folder, "summary.json"))


@lru_cache(maxsize=64)
def _summary(path: str, _mtime: int) -> dict[str, Any]:
    from formcheck.assess.verdict import SUMMARY_UPGRADES
    from formcheck.io.folder import read_analysis

    return read_analysis(Path(path).parent, SUMMARY_UPGRADES).result.to_json_dict()


def norm_bands(metric: str) -> dict[str, Any] | None:
    """The fault thresholds on ``metric`` (from assess.norms), or None if it has none."""
    for t in THRESHOLDS.values():
        if t.metric == metric:
            return {"fault": t.fault, "direction": t.direction, "mild": t.mild,
                    "moderate": t.moderate, "severe": t.severe, "unit": t.unit, "kind": t.kind}
    return None


def timeline(folder: Path) -> dict[str, Any]:
    """Per-frame metric series, steps and norm bands for the session's timeline chart."""
    return _timeline(*_mtime_key(folder, "summary.json"))


@lru_cache(maxsize=32)
def _timeline(summary_path: str, _mtime: int) -> dict[str, Any]:
    from formcheck.assess.verdict import SUMMARY_UPGRADES
    from formcheck.io.folder import read_analysis

    folder = read_analysis(Path(summary_path).parent, SUMMARY_UPGRADES)
    s = folder.result.to_json_dict()
    frames = folder.frames()
    times = _values(frames["time_s"]) if "time_s" in frames else []
    metrics: dict[str, Any] = {}
    for name in TIMELINE_METRICS:
        if name not in frames:
            continue
        values = _values(frames[name])
        if all(v is None for v in values):
            continue
        info = s.get("metrics", {}).get(name, {})
        metrics[name] = {"values": values, "unit": info.get("unit", ""),
                         "description": info.get("description", name),
                         "median": info.get("median"), "norm": norm_bands(name)}
    steps_table = folder.steps()
    steps = []
    if {"step", "t_start_s", "t_end_s"} <= set(steps_table.columns):
        for step, t0, t1 in zip(steps_table["step"], _values(steps_table["t_start_s"]),
                                _values(steps_table["t_end_s"]), strict=True):
            steps.append({"step": int(step), "t": t0, "t_end": t1})
    video = s.get("video", {})
    return {"time": times, "metrics": metrics, "steps": steps,
            "fps": video.get("fps"), "duration_s": video.get("duration_s")}


def faults(folder: Path) -> list[dict[str, Any]]:
    """The faults as report page 1 lists them, each with the evidence frame to seek to."""
    out = []
    for f in summary(folder).get("faults", []):
        ev = f.get("evidence") or {}
        worst = ev.get("worst") or {}
        out.append({**f, "title": fault_title(f), "badge": fault_badge(f),
                    "sure": f.get("status", "found") == "found",
                    "seek_s": worst.get("time_s"), "seek_frame": worst.get("frame"),
                    "norm": norm_bands(ev.get("metric", ""))})
    return out


def history(folders: list[tuple[int, str, Path]]) -> dict[str, Any]:
    """Each key metric's median (and p10-p90) per session, oldest first.

    ``folders`` holds (session id, date, analysis folder) tuples.
    """
    series: dict[str, Any] = {}
    ordered = sorted(folders, key=lambda x: x[1])
    for metric in KEY_METRICS:
        points = []
        for sid, date, folder in ordered:
            m = summary(folder).get("metrics", {}).get(metric) or {}
            if m.get("measurable") and m.get("median") is not None:
                points.append({"session": sid, "date": date, "median": m["median"],
                               "p10": m.get("p10"), "p90": m.get("p90")})
        if points:
            info = summary(ordered[-1][2]).get("metrics", {}).get(metric, {})
            series[metric] = {"points": points, "unit": info.get("unit", ""),
                              "description": info.get("description", metric),
                              "norm": norm_bands(metric)}
    return series
