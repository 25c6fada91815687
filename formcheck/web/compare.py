"""Two sessions side by side, and one athlete's history, for the pages.

The statistics are those of ``formcheck compare`` / ``formcheck history``
(:mod:`formcheck.pipeline.compare`, :mod:`formcheck.assess.change`): per key metric the
change B - A with a 95 % interval that allows for correlated steps (HAC), and a verdict
against the metric's minimal detectable change (MDC95). Nothing is re-judged here.
Without those modules (or without the reliability table they read) the pages show
the two medians and their difference only, and say so.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from formcheck.web import data

log = logging.getLogger(__name__)

#: Bootstrap replicates for a page (the CLI uses 4000; 2000 keeps a page under a second,
#: and the replicates are seeded, so a page always shows the same interval).
N_BOOT = 2000


def _stats_available() -> bool:
    import importlib

    try:
        for name in ("formcheck.assess.change", "formcheck.assess.reliability_table",
                     "formcheck.pipeline.compare"):
            importlib.import_module(name)
    except ImportError:
        return False
    return True


def compare_folders(a: Path, b: Path) -> dict[str, Any]:
    """The rows and fault changes of the compare page (cached per pair of analyses)."""
    key = tuple(str(p) for p in (a, b))
    mtimes = tuple((p / "summary.json").stat().st_mtime_ns for p in (a, b))
    return _compare(key, mtimes)


@lru_cache(maxsize=32)
def _compare(key: tuple[str, ...], _mtimes: tuple[int, ...]) -> dict[str, Any]:
    a, b = (Path(k) for k in key)
    if _stats_available():
        from formcheck.pipeline.compare import compare_sessions, read_session

        result = compare_sessions(read_session(a), read_session(b), n_boot=N_BOOT)
        rows = [{"metric": m["metric"], "description": m["label"], "unit": m["unit"],
                 "a": m["a_median"], "b": m["b_median"], "change": m["change"],
                 "ci": (m["ci_low"], m["ci_high"]) if m["ci_low"] is not None else None,
                 "mdc": m["mdc95"], "verdict": m["verdict"], "reason": m.get("reason")}
                for m in result["metrics"]
                if m["a_median"] is not None or m["b_median"] is not None]  # measured in neither: left out
        faults = result["faults"]
        return {"rows": rows, "stats": True,
                "resolved": [f["code"] for f in faults["resolved"]],
                "new": [f["code"] for f in faults["new"]],
                "unchanged": [f["code"] for f in faults["unchanged"]],
                "severity_a": {f["code"]: f.get("severity_a") for f in faults["resolved"] + faults["unchanged"]},
                "severity_b": {f["code"]: f.get("severity_b") for f in faults["new"] + faults["unchanged"]},
                "next_step": result.get("next_step"), "warnings": result.get("warnings", []),
                "method": result.get("method", {})}
    sa, sb = data.summary(a), data.summary(b)
    rows = []
    for metric in data.KEY_METRICS:
        ma = sa.get("metrics", {}).get(metric) or {}
        mb = sb.get("metrics", {}).get(metric) or {}
        if ma.get("median") is None or mb.get("median") is None:
            continue
        rows.append({"metric": metric, "unit": ma.get("unit", ""), "description": ma.get("description", ""),
                     "a": ma["median"], "b": mb["median"], "change": mb["median"] - ma["median"],
                     "ci": None, "mdc": None, "verdict": None, "reason": None})
    fa = {f["code"]: f["severity"] for f in sa.get("faults", [])}
    fb = {f["code"]: f["severity"] for f in sb.get("faults", [])}
    return {"rows": rows, "stats": False,
            "resolved": sorted(set(fa) - set(fb)), "new": sorted(set(fb) - set(fa)),
            "unchanged": sorted(set(fa) & set(fb)), "severity_a": fa, "severity_b": fb,
            "next_step": None, "warnings": [], "method": {}}


def history_changes(folders: list[Path]) -> list[dict[str, dict[str, Any]]] | None:
    """For each session after the first, metric -> its change from the session before
    (verdict and interval), as ``formcheck history`` computes it; None without the
    statistics. Cached per list of analyses."""
    if len(folders) < 2 or not _stats_available():
        return None
    key = tuple(str(f) for f in folders)
    return _history(key, tuple((f / "summary.json").stat().st_mtime_ns for f in folders))


@lru_cache(maxsize=16)
def _history(key: tuple[str, ...], _mtimes: tuple[int, ...]) -> list[dict[str, dict[str, Any]]]:
    folders = [Path(k) for k in key]
    from formcheck.assess.change import KEY_METRICS, consecutive_changes
    from formcheck.assess.reliability_table import mdc_table
    from formcheck.pipeline.compare import read_session

    steps = [read_session(f).steps for f in folders]
    changes = consecutive_changes(steps, mdc_table(), KEY_METRICS, n_boot=N_BOOT)
    return [{c.metric: c.to_dict() for c in step} for step in changes]
