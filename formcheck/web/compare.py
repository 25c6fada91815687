"""Two sessions side by side: per key metric, A and B and the change between them.

The statistics (confidence interval of the change, real change or noise) come from
:mod:`formcheck.assess.change` when it is installed; without it the page shows the two
medians and their difference only, and says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from formcheck.web import data


def compare_folders(a: Path, b: Path) -> dict[str, Any]:
    """Rows for the compare page: one per key metric measurable in both sessions."""
    sa, sb = data.summary(a), data.summary(b)
    rows = []
    for metric in data.KEY_METRICS:
        ma = sa.get("metrics", {}).get(metric) or {}
        mb = sb.get("metrics", {}).get(metric) or {}
        if not (ma.get("measurable") and mb.get("measurable")):
            continue
        if ma.get("median") is None or mb.get("median") is None:
            continue
        rows.append({"metric": metric, "unit": ma.get("unit", ""), "description": ma.get("description", ""),
                     "a": ma["median"], "b": mb["median"], "change": mb["median"] - ma["median"],
                     "ci": None, "verdict": None, "norm": data.norm_bands(metric)})
    fa = {f["code"]: f["severity"] for f in sa.get("faults", [])}
    fb = {f["code"]: f["severity"] for f in sb.get("faults", [])}
    return {
        "rows": rows,
        "stats": False,
        "resolved": sorted(set(fa) - set(fb)),
        "new": sorted(set(fb) - set(fa)),
        "unchanged": sorted(set(fa) & set(fb)),
        "severity_a": fa, "severity_b": fb,
    }
