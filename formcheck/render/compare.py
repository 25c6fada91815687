"""The comparison page: ``compare.pdf`` and ``compare.png`` from a comparison result.

Takes the numbers (``compare.json`` content, from :mod:`formcheck.assess.change`) and
one pose per session at mid-stance (:class:`Still`): it never reads files or judges
thresholds itself. matplotlib's object-oriented API, no pyplot.

Page 1: the table of changes (A, B, change with its 95% interval, MDC95, verdict), a
chart of each change in units of its MDC with the interval, the two runners side by
side at mid-stance with their ear-shoulder-hip lines, the two lines overlaid (aligned
at the hip, scaled by the torso, both facing right), faults resolved / new / unchanged
and the next step. Page 2: how the verdicts are made.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from formcheck.model.skeleton import DEFAULT, Skeleton
from formcheck.render.report_draw import DARK, GREEN, GREY, SEV_COLORS, crop_box, wrap

PAGE_IN = (11.69, 8.27)  # A4 landscape
PNG_DPI = 130
COLOR_A = "#1c7ed6"
COLOR_B = "#e8590c"
VERDICT_COLORS = {
    "improved": GREEN,
    "worse": SEV_COLORS["severe"],
    "changed": "#7048e8",
    "no real change": GREY,
    "no MDC": GREY,
    "not measurable": "#adb5bd",
}


@dataclass
class Still:
    """One session's runner at mid-stance.

    ``xy``: the frame's landmarks (px), the points of ``skeleton``, or None; ``esh``: the
    near-side ear, shoulder and hip (3, 2) in px (frames.csv key points); ``image``: the
    RGB frame or None; ``facing``: "left"/"right"; ``size_wh``: frame size.
    """

    label: str
    frame: int | None
    xy: np.ndarray | None
    esh: np.ndarray | None
    image: np.ndarray | None
    facing: str | None
    size_wh: tuple[int, int]
    skeleton: Skeleton = DEFAULT


def fmt(v: float | None, unit: str) -> str:
    """A number with a precision that suits its unit."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if unit == "torso":
        return f"{v:.3f}"
    return f"{v:.1f}"


def _still(ax: Axes, st: Still, color: str) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(st.label, fontsize=9, loc="left", color=color, fontweight="bold")
    w, h = st.size_wh
    pts = st.xy if st.xy is not None else (st.esh if st.esh is not None else np.full((1, 2), np.nan))
    x0, y0, x1, y1 = crop_box(pts, w, h, 0.75)
    if st.image is not None:
        ax.imshow(st.image[y0:y1, x0:x1], extent=(x0, x1, y1, y0), interpolation="bilinear")
    else:
        ax.set_facecolor("#343a40")
        ax.text(0.5, 0.03, "no video: landmarks", transform=ax.transAxes,
                ha="center", va="bottom", color="white", fontsize=6.5)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y1, y0)
    ax.set_aspect("equal")
    if st.xy is not None and np.isfinite(st.xy).any():
        for a, b in st.skeleton.edge_indices:
            ax.plot(st.xy[[a, b], 0], st.xy[[a, b], 1], color="white", lw=1.0, alpha=0.8)
    if st.esh is not None and np.isfinite(st.esh).all():
        ax.plot(st.esh[:, 0], st.esh[:, 1], "-o", color=color, lw=2.5, ms=4)
    if st.frame is not None:
        ax.text(0.02, 0.98, f"frame {st.frame}", transform=ax.transAxes, ha="left", va="top",
                fontsize=7, color="white", bbox=dict(fc="black", alpha=0.4, lw=0))


def normalised_line(st: Still) -> np.ndarray | None:
    """Ear, shoulder, hip relative to the hip, in torso lengths, facing right, y up.

    ``p' = s * (p - hip) / |shoulder - hip|`` with the x sign flipped for a runner
    facing left and y flipped so that up is positive.
    """
    if st.esh is None or not np.isfinite(st.esh).all():
        return None
    hip = st.esh[2]
    torso = float(np.hypot(*(st.esh[1] - hip)))
    if torso <= 0:
        return None
    p = (st.esh - hip) / torso
    p[:, 0] *= -1.0 if st.facing == "left" else 1.0
    p[:, 1] *= -1.0
    return p


def normalised_skeleton(st: Still) -> np.ndarray | None:
    """All landmarks with the same transform as :func:`normalised_line` (hip at the
    landmarks' hip midpoint, scaled by their shoulder-hip distance)."""
    if st.xy is None:
        return None
    sh = np.nanmean(st.xy[list(st.skeleton.pair("shoulder"))], axis=0)
    hp = np.nanmean(st.xy[list(st.skeleton.pair("hip"))], axis=0)
    torso = float(np.hypot(*(sh - hp)))
    if not np.isfinite(torso) or torso <= 0:
        return None
    p = (st.xy - hp) / torso
    p[:, 0] *= -1.0 if st.facing == "left" else 1.0
    p[:, 1] *= -1.0
    return p


def _overlay(ax: Axes, a: Still, b: Still) -> None:
    ax.set_title("overlaid at the hip", fontsize=9, loc="left", color=DARK)
    for st, color in ((a, COLOR_A), (b, COLOR_B)):
        sk = normalised_skeleton(st)
        if sk is not None:
            for i, j in st.skeleton.edge_indices:
                ax.plot(sk[[i, j], 0], sk[[i, j], 1], color=color, lw=0.8, alpha=0.35)
        line = normalised_line(st)
        if line is not None:
            ax.plot(line[:, 0], line[:, 1], "-o", color=color, lw=2.5, ms=4, label=st.label)
    ax.axvline(0, color=GREY, lw=0.6, ls=":")
    ax.set_aspect("equal")
    ax.set_xlim(-1.2, 1.2)
    ax.set_ylim(-1.9, 1.6)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.text(0.98, 0.02, "torso = 1, forward ->", transform=ax.transAxes, ha="right", fontsize=6.5,
            color=GREY)


def _table(ax: Axes, rows: Sequence[dict[str, Any]]) -> None:
    ax.axis("off")
    cols = ["metric", "A", "B", "change [95% CI]", "MDC95", "verdict"]
    xs = [0.0, 0.33, 0.44, 0.55, 0.80, 0.89]
    y = 0.97
    for x, c in zip(xs, cols, strict=True):
        ax.text(x, y, c, fontsize=8, fontweight="bold", color=DARK, va="top", transform=ax.transAxes)
    dy = min(0.075, 0.9 / max(len(rows), 1))
    for r in rows:
        y -= dy
        u = r["unit"]
        ci = (f"{fmt(r['change'], u)} [{fmt(r['ci_low'], u)}, {fmt(r['ci_high'], u)}]"
              if r["change"] is not None else "-")
        cells = [f"{r['label']} ({u})", fmt(r["a_median"], u), fmt(r["b_median"], u), ci,
                 fmt(r["mdc95"], u), r["verdict"]]
        for k, (x, c) in enumerate(zip(xs, cells, strict=True)):
            color = VERDICT_COLORS.get(r["verdict"], DARK) if k == 5 else DARK
            ax.text(x, y, c, fontsize=7.5, color=color, va="top", transform=ax.transAxes,
                    fontweight="bold" if k == 5 and r["verdict"] in ("improved", "worse") else None)


def _mdc_chart(ax: Axes, rows: Sequence[dict[str, Any]]) -> None:
    """Each change and its interval divided by the metric's MDC95; the band +-1 is noise."""
    shown = [r for r in rows if r["change"] is not None and r["mdc95"]]
    ax.axvspan(-1, 1, color=GREY, alpha=0.15, lw=0)
    ax.axvline(0, color=GREY, lw=0.8)
    for i, r in enumerate(shown):
        m = r["mdc95"]
        col = VERDICT_COLORS.get(r["verdict"], DARK)
        ax.plot([r["ci_low"] / m, r["ci_high"] / m], [i, i], color=col, lw=2)
        ax.plot(r["change"] / m, i, "o", color=col, ms=5)
    ax.set_yticks(range(len(shown)), [r["label"] for r in shown], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("change B - A in MDC95 units (grey band: within formcheck's noise)", fontsize=7)
    ax.tick_params(axis="x", labelsize=7)
    lim = max([3.0] + [abs(v) / r["mdc95"] * 1.1 for r in shown for v in (r["ci_low"], r["ci_high"])])
    ax.set_xlim(-lim, lim)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)


def _fault_lines(faults: dict[str, list[dict[str, Any]]]) -> list[str]:
    def name(f: dict[str, Any]) -> str:
        return f["code"].replace("_", " ")

    lines = []
    for key, title in (("resolved", "Resolved"), ("new", "New"), ("unchanged", "Still there")):
        items = faults.get(key, [])
        if key == "unchanged":
            text = ", ".join(f"{name(f)} ({f['severity_a']} -> {f['severity_b']})" for f in items)
        else:
            text = ", ".join(f"{name(f)} ({f.get('severity_a') or f.get('severity_b')})" for f in items)
        lines.append(f"{title}: {text or 'none'}")
    return lines


def build_compare_page(result: dict[str, Any], a: Still, b: Still) -> Figure:
    """Page 1 of ``compare.pdf`` (also ``compare.png``)."""
    fig = Figure(figsize=PAGE_IN)
    fig.patch.set_facecolor("white")
    fig.text(0.03, 0.965, "formcheck compare", fontsize=15, fontweight="bold", color=DARK)
    fig.text(0.03, 0.935, f"A: {result['a']['label']}", fontsize=9, color=COLOR_A)
    fig.text(0.03, 0.915, f"B: {result['b']['label']}", fontsize=9, color=COLOR_B)
    rows = [r for r in result["metrics"] if r["a_median"] is not None or r["b_median"] is not None]
    unmeasured = [r["label"] for r in result["metrics"] if r not in rows]
    if unmeasured:
        fig.text(0.03, 0.48, "\n".join(wrap("Not measured in either session: " + ", ".join(unmeasured),
                                             7.0, 7)), fontsize=7, color=GREY, va="top")
    n_real = sum(r["verdict"] in ("improved", "worse", "changed") for r in rows)
    fig.text(0.97, 0.955, f"{n_real} real change{'s' if n_real != 1 else ''} of {len(rows)} metrics",
             ha="right", fontsize=11, fontweight="bold", color=DARK)
    _table(fig.add_axes((0.03, 0.50, 0.55, 0.40)), rows)
    _mdc_chart(fig.add_axes((0.14, 0.08, 0.30, 0.36)), rows)
    _still(fig.add_axes((0.60, 0.50, 0.125, 0.40)), a, COLOR_A)
    _still(fig.add_axes((0.735, 0.50, 0.125, 0.40)), b, COLOR_B)
    _overlay(fig.add_axes((0.87, 0.50, 0.12, 0.40)), a, b)
    text = ["Faults", *_fault_lines(result["faults"]), "", "Next step", *wrap(result["next_step"], 5.3, 8)]
    if result.get("warnings"):
        text += ["", "Take care", *[line for w in result["warnings"] for line in wrap(w, 5.3, 8)]]
    y = 0.44
    for line in text:
        bold = line in ("Faults", "Next step", "Take care")
        fig.text(0.52, y, line, fontsize=9 if bold else 8, fontweight="bold" if bold else None,
                 color=DARK, va="top")
        y -= 0.026
    fig.text(0.03, 0.015, "Verdict: real = |change| > MDC95 (docs/reliability.md) and the 95% "
             "interval (HAC, correlated steps allowed for) excludes 0. Not a diagnosis.",
             fontsize=7, color=GREY)
    return fig


def build_method_page(result: dict[str, Any]) -> Figure:
    """Page 2: how the numbers are made."""
    fig = Figure(figsize=PAGE_IN)
    fig.text(0.05, 0.93, "How the comparison is made", fontsize=14, fontweight="bold", color=DARK)
    m = result["method"]
    paras = [
        f"Each session's value is the median over its steps (A: {result['a']['steps']} steps, "
        f"B: {result['b']['steps']} steps). The change is B - A.",
        m["interval"],
        m["verdict"],
        m["mdc"],
        "A real change says the measurement moved beyond formcheck's noise; whether it matters "
        "for the runner's neck is judged against the norms in the single-session report.",
    ]
    y = 0.86
    for p in paras:
        for line in wrap(p, 10.5, 9):
            fig.text(0.05, y, line, fontsize=9, color=DARK, va="top")
            y -= 0.028
        y -= 0.02
    return fig


def write_compare(result: dict[str, Any], a: Still, b: Still, out: Path) -> list[Path]:
    """Write ``compare.pdf`` (2 pages) and ``compare.png`` (page 1) into ``out``."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    pdf_path, png_path = out / "compare.pdf", out / "compare.png"
    with rc_context({"font.family": "DejaVu Sans", "pdf.compression": 6, "axes.linewidth": 0.6}):
        figs = [build_compare_page(result, a, b), build_method_page(result)]
        with PdfPages(pdf_path, metadata={"Title": "formcheck compare",
                                          "Creator": f"formcheck {result.get('formcheck_version', '')}"}) as pdf:
            for f in figs:
                pdf.savefig(f)
        figs[0].savefig(png_path, dpi=PNG_DPI, facecolor="white")
    return [pdf_path, png_path]
