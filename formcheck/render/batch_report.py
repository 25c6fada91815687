"""``batch_report.pdf`` / ``.png``: the clips of a batch side by side against the norms.

One panel per key metric, one dot per clip (its median per step), on the norm bands
of :data:`formcheck.assess.norms.THRESHOLDS` (green: within the norm; yellow, orange, red:
mild, moderate, severe). Failed clips are listed under the panels. Drawn from the
rows of ``batch_summary.csv`` only, so it can be rebuilt from that file.
Matplotlib's object-oriented API with no pyplot, so no global state.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

from formcheck.assess.norms import THRESHOLDS, Threshold
from formcheck.errors import OutputError

BAND_COLOURS = {"normal": "#d9f0d3", "mild": "#fff3bf", "moderate": "#ffd8a8", "severe": "#ffc9c9"}
DOT_COLOURS = {None: "#2b8a3e", "mild": "#e6a700", "moderate": "#e8590c", "severe": "#c92a2a"}

#: (column, title, threshold key or None)
PANELS: tuple[tuple[str, str, str | None], ...] = (
    ("cva_deg", "CVA proxy (deg; lower = head forward)", "forward_head"),
    ("trunk_lean_deg", "Trunk lean (deg; + = forward)", None),
    ("waist_bend_deg", "Bend at the waist (deg)", "waist_lean"),
    ("shoulder_elevation_torso", "Ear-shoulder gap (torso; lower = shrug)", "raised_shoulders"),
    ("head_pitch_deg", "Gaze below level (deg)", "gaze_down"),
    ("vertical_oscillation_torso", "Vertical oscillation (torso)", "excessive_bounce_torso"),
)


def _value(row: dict[str, str], col: str) -> float:
    try:
        return float(row.get(col) or "nan")
    except ValueError:
        return math.nan


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _bands(ax, th: Threshold, lo: float, hi: float) -> None:
    """Shade normal / mild / moderate / severe over the x range [lo, hi]."""
    cuts = [th.mild, th.moderate, th.severe]
    if th.direction == "below":  # lower is worse: severe | moderate | mild | normal
        edges = [lo, *sorted(cuts), hi]
        labels = ["severe", "moderate", "mild", "normal"]
    else:
        edges = [lo, *cuts, hi]
        labels = ["normal", "mild", "moderate", "severe"]
    for a, b, lab in zip(edges[:-1], edges[1:], labels, strict=True):
        if b > a:
            ax.axvspan(a, b, color=BAND_COLOURS[lab], zorder=0, lw=0)


def draw_batch_figure(rows: Sequence[dict[str, str]]):
    """The comparison figure (a matplotlib ``Figure``) for the rows of a batch table."""
    from matplotlib.figure import Figure

    measured = [r for r in rows if r.get("status") in ("ok", "skipped")]
    failures = [r for r in rows if r.get("status") == "failed"]
    n = max(1, len(measured))
    panel_h = max(2.0, 0.3 * n + 0.9)
    fail_h = 0.25 + 0.2 * min(len(failures), 40) if failures else 0.0
    fig = Figure(figsize=(13, 1.0 + 2 * panel_h + fail_h), layout="constrained")
    counts = {s: sum(r.get("status") == s for r in rows) for s in ("ok", "skipped", "failed")}
    fig.suptitle(
        f"formcheck batch: {len(rows)} clips ({counts['ok']} analysed, "
        f"{counts['skipped']} unchanged, {counts['failed']} failed)",
        fontsize=13,
    )
    ratios = [panel_h, panel_h] + ([fail_h] if failures else [])
    grid = fig.add_gridspec(len(ratios), 3, height_ratios=ratios)
    labels = [_short(r["video"], 28) for r in measured]
    ys = list(range(len(measured)))
    for k, (col, title, th_key) in enumerate(PANELS):
        ax = fig.add_subplot(grid[k // 3, k % 3])
        th = THRESHOLDS.get(th_key) if th_key else None
        vals = [_value(r, col) for r in measured]
        finite = [v for v in vals if math.isfinite(v)]
        anchors = finite + ([th.mild, th.severe] if th else [])
        if anchors:
            lo, hi = min(anchors), max(anchors)
            pad = 0.12 * (hi - lo) or 1.0
            lo, hi = lo - pad, hi + pad
        else:
            lo, hi = 0.0, 1.0
        if th:
            _bands(ax, th, lo, hi)
        for y, v in zip(ys, vals, strict=True):
            if math.isfinite(v):
                sev = th.severity(v) if th else None
                ax.plot([v], [y], "o", ms=7, color=DOT_COLOURS[sev], zorder=3)
            else:
                ax.text(
                    lo + 0.02 * (hi - lo),
                    y,
                    "not measured",
                    va="center",
                    fontsize=7,
                    color="#868e96",
                )
        ax.set_xlim(lo, hi)
        ax.set_ylim(len(measured) - 0.5, -0.5)
        ax.set_yticks(ys, labels if k % 3 == 0 else [""] * len(ys), fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", color="white", lw=0.8)
        if not measured:
            ax.text(
                0.5,
                0.5,
                "no clip measured",
                ha="center",
                va="center",
                transform=ax.transAxes,
                color="#868e96",
            )
    if failures:
        ax = fig.add_subplot(grid[2, :])
        ax.axis("off")
        lines = [
            f"{_short(r['video'], 50)}: {_short(r.get('error', ''), 110)}" for r in failures[:40]
        ]
        if len(failures) > 40:
            lines.append(f"... and {len(failures) - 40} more (see batch_summary.csv)")
        ax.text(
            0,
            1,
            "Failed clips\n" + "\n".join(lines),
            va="top",
            ha="left",
            fontsize=8,
            family="monospace",
            transform=ax.transAxes,
            color="#c92a2a",
        )
    return fig


def write_batch_report(rows: Sequence[dict[str, str]], stem: str | Path) -> list[Path]:
    """Write ``<stem>.pdf`` and ``<stem>.png`` (each atomically); return their paths."""
    from formcheck.io.folder import STAGING_PREFIX

    stem = Path(stem)
    fig = draw_batch_figure(rows)
    paths = []
    for ext, kw in (("pdf", {}), ("png", {"dpi": 110})):
        target = stem.with_suffix(f".{ext}")
        tmp = target.with_name(f"{STAGING_PREFIX}{uuid.uuid4().hex[:8]}-{target.name}")
        try:
            fig.savefig(tmp, format=ext, **kw)
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        paths.append(target)
    return paths
