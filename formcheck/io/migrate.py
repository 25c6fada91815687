"""Bringing a ``summary.json`` written by an older formcheck up to the current layout.

Each step upgrades one schema version to the next and is pure (dict in, dict out), so
a folder written by formcheck 0.1 (schema 1.0) loads in every later version. The
decisions a newer layout records (severity bands, the checklist, drift scores) are
re-derived with the same rules the analysis uses (:mod:`formcheck.assess.verdict`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from formcheck.assess.norms import DRIFT_LIMITS
from formcheck.assess.verdict import checklist, metric_bands
from formcheck.errors import InputError
from formcheck.model.registry import FAULT_TITLES
from formcheck.model.results import SCHEMA_VERSION


def _1_0_to_2_0(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 2.0 adds fault titles, metric bands, drift limits and scores, and the checklist."""
    faults = data.get("faults") or []
    for f in faults:
        f.setdefault("title", FAULT_TITLES.get(f.get("code", ""), ""))
    metrics = data.get("metrics") or {}
    metric_bands(metrics, {f.get("code") for f in faults})
    for name, entry in (data.get("drift") or {}).items():
        if name in DRIFT_LIMITS and entry.get("change") is not None:
            limit, worse = DRIFT_LIMITS[name]
            bad = entry["change"] if worse == "up" else -entry["change"]
            entry.update(limit=limit, worse=worse, score=round(bad / limit, 3), exceeds=bad >= limit)
    data["checks"] = checklist(str(data.get("view") or "unknown"), metrics, faults, int(data.get("steps") or 0))
    data["schema_version"] = "2.0"
    return data


#: from-version -> the step that upgrades it to the next version.
STEPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"1.0": _1_0_to_2_0}


def migrate_summary(data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """``data`` upgraded to :data:`~formcheck.model.results.SCHEMA_VERSION`, and the
    version it was written in (``None`` when it was current already). Raises
    :class:`InputError` for a version this formcheck does not know (e.g. newer)."""
    version = str(data.get("schema_version", ""))
    if version == SCHEMA_VERSION:
        return data, None
    if version not in STEPS:
        raise InputError(f"summary.json has schema version {version or '(none)'}, which this formcheck "
                         f"(schema {SCHEMA_VERSION}) cannot read; upgrade formcheck")
    out = copy.deepcopy(data)
    while out.get("schema_version") != SCHEMA_VERSION:
        out = STEPS[str(out["schema_version"])](out)
    return out, version
