"""The history page: ``history.pdf`` and ``history.png``, each key metric over sessions.

Takes the numbers only (:class:`HistoryData`: per session a label and the metric
medians, and the consecutive comparisons from :func:`formcheck.assess.change.
consecutive_changes`); never reads files or judges thresholds itself. One panel per
metric measured in any session: the sessions' medians in order, the norm bands of the
metric's fault threshold (:data:`formcheck.assess.norms.THRESHOLDS`) behind them, an
error bar of +-MDC95/2 on each point (two bars that do not overlap differ by more than
the MDC), and each step between sessions coloured by its verdict (green improved, red
worse, grey no real change). matplotlib's object-oriented API, no pyplot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from formcheck.assess.change import METRIC_LABELS, METRIC_UNITS, MetricChange
from formcheck.assess.norms import THRESHOLDS
from formcheck.render.compare import VERDICT_COLORS
from formcheck.render.report_draw import DARK, GREY, status_color, wrap, zones

PAGE_IN = (11.69, 8.27)
PNG_DPI = 130
THRESHOLD_OF = {t.metric: t for t in THRESHOLDS.values()}


@dataclass
class HistoryData:
    """``labels[i]``, ``medians[i][metric]`` per session in time order;
    ``changes[i]``: session i -> i+1; ``mdc``: metric -> MDC95 or None."""

    title: str
    labels: list[str]
    medians: list[dict[str, float | None]]
    changes: list[list[MetricChange]]
    mdc: dict[str, float | None]


def _short(label: str, n: int = 18) -> str:
    """A label cut in the middle to ``n`` characters (session names differ at the end)."""
    return label if len(label) <= n else f"{label[: n // 2 - 1]}..{label[-(n // 2 - 1):]}"


def _panel(ax: Axes, data: HistoryData, metric: str) -> None:
    n = len(data.labels)
    xs = list(range(n))
    ys = [m.get(metric) for m in data.medians]
    th = THRESHOLD_OF.get(metric)
    mdc = data.mdc.get(metric)
    for i in range(n - 1):
        y0, y1 = ys[i], ys[i + 1]
        if y0 is None or y1 is None:
            continue
        ch = next((c for c in data.changes[i] if c.metric == metric), None)
        v = ch.verdict if ch else "no real change"
        real = v in ("improved", "worse", "changed")
        ax.plot([i, i + 1], [y0, y1], color=VERDICT_COLORS.get(v, GREY), lw=2.2 if real else 1.0,
                ls="-" if real else "--", zorder=2)
        if real:
            ax.annotate(v, ((i + i + 1) / 2, (y0 + y1) / 2), fontsize=6.5,
                        color=VERDICT_COLORS.get(v, GREY), ha="center", va="bottom",
                        xytext=(0, 3), textcoords="offset points")
    for x, y in zip(xs, ys, strict=True):
        if y is None:
            continue
        if mdc:
            ax.errorbar(x, y, yerr=mdc / 2, fmt="o", color=DARK, ms=4, capsize=3, lw=1, zorder=3)
        else:
            ax.plot(x, y, "o", color=DARK, ms=4, zorder=3)
    unit = METRIC_UNITS.get(metric, "")
    mdc_txt = f"MDC95 {mdc:.3g} {unit}" if mdc else "no MDC"
    ax.set_title(f"{METRIC_LABELS.get(metric, metric)} ({unit}); {mdc_txt}", fontsize=8,
                 loc="left", color=DARK)
    finite = [y for y in ys if y is not None and math.isfinite(y)]
    if finite:
        half = (mdc or 0) / 2
        lo, hi = min(finite) - half, max(finite) + half
        if th is not None:
            lo, hi = min(lo, th.mild), max(hi, th.mild)
        pad = (hi - lo) * 0.15 or max(abs(hi), 1.0) * 0.1
        ax.set_ylim(lo - pad, hi + pad)
        if th is not None:
            y0, y1 = ax.get_ylim()
            for zlo, zhi, sev in zones(th):
                a, b = max(zlo, y0), min(zhi, y1)
                if a < b:
                    ax.axhspan(a, b, color=status_color(sev), alpha=0.15, lw=0, zorder=0)
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_xticks(xs, [_short(lbl) for lbl in data.labels], fontsize=6.5, rotation=20, ha="right")
    ax.tick_params(axis="y", labelsize=7)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)


def shown_metrics(data: HistoryData, metrics: Sequence[str]) -> list[str]:
    """The metrics measured in at least one session."""
    return [m for m in metrics if any(md.get(m) is not None for md in data.medians)]


def build_history_page(data: HistoryData, metrics: Sequence[str]) -> Figure:
    fig = Figure(figsize=PAGE_IN)
    fig.patch.set_facecolor("white")
    fig.text(0.03, 0.965, data.title, fontsize=15, fontweight="bold", color=DARK)
    note = ("Session medians over time. Bars: +-MDC95/2 (bars that do not overlap differ by more "
            "than formcheck's noise). Lines: solid and coloured = a real change (|change| > MDC95 "
            "and the 95% interval over steps excludes 0), dashed = no real change. "
            "Bands: the fault thresholds (green within the norm, then mild, moderate, severe).")
    fig.text(0.03, 0.94, "\n".join(wrap(note, 11.0, 7.5)), fontsize=7.5, color=GREY, va="top")
    show = shown_metrics(data, metrics)
    cols = 3
    rows = max(1, math.ceil(len(show) / cols))
    gs = fig.add_gridspec(rows, cols, left=0.06, right=0.98, top=0.88, bottom=0.08,
                          hspace=0.75, wspace=0.25)
    for k, m in enumerate(show):
        _panel(fig.add_subplot(gs[k // cols, k % cols]), data, m)
    if not show:
        fig.text(0.5, 0.5, "no metric was measured in these sessions", ha="center", color=GREY)
    return fig


def write_history(data: HistoryData, metrics: Sequence[str], out: Path) -> list[Path]:
    """Write ``history.pdf`` and ``history.png`` into ``out``."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    pdf_path, png_path = out / "history.pdf", out / "history.png"
    meta: dict[str, Any] = {"Title": data.title, "Creator": "formcheck"}
    with rc_context({"font.family": "DejaVu Sans", "pdf.compression": 6, "axes.linewidth": 0.6}):
        fig = build_history_page(data, metrics)
        with PdfPages(pdf_path, metadata=meta) as pdf:
            pdf.savefig(fig)
        fig.savefig(png_path, dpi=PNG_DPI, facecolor="white")
    return [pdf_path, png_path]
