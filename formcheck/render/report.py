"""The report: ``report.pdf`` (several pages) and ``report.png`` (page 1), from a folder.

Built **only from an analysis folder** (summary.json, frames.csv, steps.csv, pose.npz
and the evidence stills), never from the video, so ``formcheck report DIR`` can
rebuild it anywhere. matplotlib's object-oriented API (Agg / PDF canvases), no
pyplot: nothing leaks into global state.

Pages
-----
1. Verdict: faults (most important first) with severity and the one thing to change,
   key numbers against their norm bands, and the worst / best moments annotated.
2+. Posture over time: each metric per frame (line) and per step (dots, what the
   thresholds judge), threshold bands, step boundaries, and the bounce underneath.
   Then per-step values and drift from the first to the last third.
n-1. What to do: drills per fault, a breathing rhythm from the cadence, the medical caution.
n. How it was measured: method, limits, data quality, threshold sources.

Each ``build_*`` function returns a :class:`~matplotlib.figure.Figure`, so tests can
inspect the axes; :func:`build_figures` returns them all; :func:`write_report` saves.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from formcheck.assess import verdict as verdict_rules
from formcheck.assess.norms import (
    ADVICE,
    MEASUREMENT_ERROR_DEG,
    MEDICAL_CAUTION,
    THRESHOLDS,
    TORSO_HEIGHT_FRACTION,
    WHOLE_BODY_LEAN_MAX_BEND,
    Threshold,
)
from formcheck.assess.verdict import (
    SHOWN_DRIFT,
    SUMMARY_UPGRADES,
    THRESHOLD_BY_METRIC,
    fault_title,
)
from formcheck.io.folder import read_analysis
from formcheck.model import registry
from formcheck.model.results import AnalysisResult
from formcheck.model.skeleton import DEFAULT, Skeleton
from formcheck.render.report_draw import (
    DARK,
    GREEN,
    GREY,
    SEV_COLORS,
    Block,
    TextColumn,
    bullet,
    draw_still,
    first_sentence,
    shade_zones,
    status_color,
    value_range,
    wrap,
)

log = logging.getLogger(__name__)

PAGE_IN = (11.69, 8.27)  # A4 landscape
PNG_DPI = 130  # page 1 as PNG: 1520 x 1075 px
REPORT_PDF = "report.pdf"
REPORT_PNG = "report.png"

#: Plain-language names of the metrics (summary.json keys).
LABELS: dict[str, str] = registry.LABELS
#: Typical ranges shown for metrics that have no fault threshold (display only).
REFERENCE: dict[str, tuple[float, float, str]] = {
    "cadence_spm": (165.0, 180.0, "typical for recreational runners; rises with speed"),
    "trunk_lean_deg": (4.0, 11.0, "Teng & Powers 2015, low to high trunk-flexion groups at 3.4 m/s"),
}

SIDE_KEY = ("cva_deg", "trunk_lean_deg", "shoulder_elevation_torso", "head_pitch_deg",
            "vertical_oscillation", "cadence_spm")
FRONT_KEY = ("left_shoulder_elevation_torso", "right_shoulder_elevation_torso", "shoulder_tilt_deg",
             "head_tilt_deg", "cadence_spm")
SIDE_ONLY_NAMES = "head position, trunk lean and bend at the hips, gaze and bounce"
#: Short names of the faults, for captions.
SHORT = registry.FAULT_CAPTIONS
#: Why each fault matters for the neck (from the running articles in docs/METRICS).
WHY = {
    "forward_head": "A head held forward of the shoulders turns every bounce of the run into strain "
                    "on the neck and upper-back muscles. The head belongs above the shoulders.",
    "waist_lean": "Bending at the waist breaks the line from hips to shoulders; the neck then has to "
                  "tilt back to look ahead.",
    "raised_shoulders": "Tension carried in raised shoulders and the upper back builds delayed "
                        "soreness in the neck.",
    "gaze_down": "Looking down pulls the head forward and down, which loads the back of the neck.",
    "excessive_bounce": "The bounce multiplies the load a forward head puts on the neck at every step.",
    "form_drift": "Faults that appear as you tire are the ones a long run makes you repeat thousands "
                  "of times.",
}


# --- loading ---------------------------------------------------------------------------


@dataclass
class ReportData:
    """What a report is built from: the contents of one analysis folder."""

    folder: Path
    summary: dict[str, Any]
    frames: pd.DataFrame
    steps: pd.DataFrame
    #: frame -> (K, 2) cleaned landmarks from pose.npz (float32, as stored), for the frames of the stills
    still_xy: dict[int, np.ndarray] = field(default_factory=dict)
    stills: dict[str, np.ndarray] = field(default_factory=dict)  # "worst"/"best" -> RGB
    result: AnalysisResult | None = None
    skeleton: Skeleton = DEFAULT  # the points of still_xy (pose.npz's)

    @property
    def view(self) -> str:
        return str(self.summary.get("view") or "unknown")

    @property
    def sagittal(self) -> bool:
        """Side or oblique view: the side-view measures were taken (oblique: corrected)."""
        return self.view in ("side", "oblique")

    @property
    def height_cm(self) -> float | None:
        return (self.summary.get("settings") or {}).get("height_cm")

    def metric(self, name: str) -> dict[str, Any]:
        return (self.summary.get("metrics") or {}).get(name) or {"measurable": False}


def _read_rgb(path: Path | None) -> np.ndarray | None:
    import cv2

    if path is None:
        return None
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def load_folder(folder: str | Path) -> ReportData:
    """Read an analysis folder (through :func:`formcheck.io.folder.read_analysis`).
    Raises :class:`InputError` when it is not one."""
    af = read_analysis(folder, SUMMARY_UPGRADES)
    summary = af.result.to_json_dict()
    wanted = [i for i in (summary.get("evidence_frames") or {}).values() if isinstance(i, int)]
    points = af.pose_points(wanted)  # only the stills' frames: the whole series grows with the clip
    stills = {label: img for label in ("worst", "best") if (img := _read_rgb(af.still(label))) is not None}
    return ReportData(af.path, summary, af.frames(), af.steps(),
                      {} if points is None else points[0], stills, af.result,
                      DEFAULT if points is None else points[1])


# --- formatting ------------------------------------------------------------------------


def fmt(value: float | None, unit: str) -> str:
    """A value with its unit, at a precision the measurement supports."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if unit == "deg":
        return f"{value:.0f}°".replace("-0°", "0°")
    if unit == "torso":
        return f"{value:.2f} torso"
    if unit == "cm":
        return f"{value:.1f} cm"
    if unit == "steps/min":
        return f"{value:.0f} steps/min"
    if unit == "N m":
        return f"{value:.1f} N·m"
    if unit == "x":
        return f"{value:.2f}×"
    return f"{value:.3g} {unit}"


def norm_text(th: Threshold) -> str:
    """'norm ≥ 72°' style description of a threshold's within-norm side."""
    sign = "≥" if th.direction == "below" else "≤"
    return f"norm {sign} {fmt(th.mild, th.unit)}"


def bounce_metric(data: ReportData) -> str:
    cm = data.metric("vertical_oscillation_cm")
    return "vertical_oscillation_cm" if cm.get("measurable") else "vertical_oscillation_torso"


def fault_badge(fault: dict[str, Any]) -> tuple[str, str]:
    """The badge beside a fault: (word, colour); grey unless the fault is found."""
    word = verdict_rules.fault_badge(fault)
    return word, SEV_COLORS.get(word, GREY)


def evidence_text(fault: dict[str, Any]) -> str:
    """One line of measured evidence for a fault."""
    ev = fault.get("evidence") or {}
    if fault.get("code") == "form_drift":
        parts = []
        for m, c in (ev.get("changes") or {}).items():
            unit = (m.split("_")[-1] if m.endswith(("deg", "torso", "cm")) else "")
            parts.append(f"{LABELS.get(m, m)} {fmt(c.get('first_third'), unit)} → {fmt(c.get('last_third'), unit)}")
        return "First → last third of the steps: " + "; ".join(parts)
    metric, unit = ev.get("metric", ""), ev.get("unit", "")
    th = THRESHOLD_BY_METRIC.get(metric)
    text = (f"{LABELS.get(metric, metric)}: median {fmt(ev.get('median'), unit)} "
            f"(most steps {fmt(ev.get('p10'), unit)} to {fmt(ev.get('p90'), unit)})")
    if th is not None:
        text += f", {norm_text(th)}"
    share = ev.get("steps_past_threshold")
    if share is not None:
        text += f"; {100 * share:.0f}% of steps past it"
    if fault.get("confidence"):
        text += ". How sure: " + fault["confidence"]
    elif ev.get("within_measurement_error"):
        text += f". Within the ~{MEASUREMENT_ERROR_DEG:g}° measurement error of the threshold: borderline"
    return text


def verdict(summary: dict[str, Any]) -> list[dict[str, str]]:
    """The faults as page 1 lists them, in order: code, severity, title, change."""
    return [{"code": f["code"], "severity": f["severity"], "title": fault_title(f),
             "change": first_sentence(f.get("advice") or ADVICE.get(f["code"], ""))}
            for f in summary.get("faults") or []]


def _page_header(fig: Figure, data: ReportData, title: str, page: int, pages: int) -> None:
    s = data.summary
    v = s.get("video") or {}
    name = Path(str(v.get("path", ""))).name or data.folder.name
    fig.text(0.03, 0.965, title, fontsize=17, fontweight="bold", color=DARK, va="top")
    view = data.view + (f" view, facing {s['facing']}" if s.get("facing") else " view")
    info = f"{name} · {v.get('duration_s', 0):.1f} s · {view} · {s.get('steps', 0)} steps"
    fig.text(0.97, 0.962, info, fontsize=9, color=GREY, va="top", ha="right")
    fig.text(0.97, 0.012, f"formcheck {s.get('formcheck_version', '')} · page {page} of {pages}",
             fontsize=7, color=GREY, ha="right", va="bottom")
    fig.add_artist(_hline(fig, 0.915))


def _hline(fig: Figure, y: float):
    from matplotlib.lines import Line2D

    return Line2D([0.03, 0.97], [y, y], transform=fig.transFigure, color="#dee2e6", lw=1)


# --- page 1 ----------------------------------------------------------------------------


def _segment_colors(data: ReportData, frame: int | None) -> dict[str, str]:
    """Colours of the neck and trunk segments in a still, from the frame's values."""
    out = {"neck": GREEN, "trunk": GREEN}
    if frame is None or data.frames.empty or frame >= len(data.frames):
        return out
    row = data.frames.iloc[frame]
    codes = {f.get("code") for f in data.summary.get("faults") or []}
    if data.sagittal:
        th = THRESHOLDS["forward_head"]
        out["neck"] = status_color(th.severity(float(row.get(th.metric, np.nan))))
        th = THRESHOLDS["waist_lean"]
        if "waist_lean" in codes:  # the fault rule may excuse a whole-body lean
            out["trunk"] = status_color(th.severity(_step_value(data, frame, th.metric)))
    elif data.view in ("front", "back"):
        gap = np.nanmin([row.get("left_shoulder_elevation_torso", np.nan),
                         row.get("right_shoulder_elevation_torso", np.nan)]) \
            if np.isfinite([row.get("left_shoulder_elevation_torso", np.nan),
                            row.get("right_shoulder_elevation_torso", np.nan)]).any() else np.nan
        out["trunk"] = status_color(THRESHOLDS["raised_shoulders"].severity(float(gap)))
    return out


def _step_value(data: ReportData, frame: int, metric: str) -> float:
    """The per-step value of the step containing ``frame`` (NaN outside steps)."""
    st = data.steps
    if st.empty or metric not in st:
        return float("nan")
    hit = st[(st["frame_start"] <= frame) & (st["frame_end"] > frame)]
    return float(hit[metric].iloc[0]) if len(hit) else float("nan")


def _still_panel(fig: Figure, rect: tuple[float, float, float, float], data: ReportData, label: str, caption: str) -> Axes:
    ax = fig.add_axes(rect)
    frame = (data.summary.get("evidence_frames") or {}).get(label)
    v = data.summary.get("video") or {}
    size = (int(v.get("width") or 640), int(v.get("height") or 480))
    fw, fh = fig.get_size_inches()
    aspect = (rect[2] * fw) / (rect[3] * fh)
    xy = data.still_xy[frame].astype(np.float64) if frame in data.still_xy else None
    row = (data.frames.iloc[frame].to_dict() if frame is not None and not data.frames.empty
           and frame < len(data.frames) else None)
    t = f" · {row['time_s']:.1f} s" if row and "time_s" in row else ""
    faults = data.summary.get("faults") or []
    if label == "worst" and faults:
        caption += f": {SHORT.get(faults[0]['code'], faults[0]['code'])}"
    elif data.view in ("front", "back"):
        caption = "Shoulders most tilted" if label == "worst" else "Shoulders most level"
    elif data.sagittal:
        caption = "Head furthest forward" if label == "worst" else "Head most upright"
    if frame is None:
        ax.set_axis_off()
        ax.set_title(caption, fontsize=10, loc="left", fontweight="bold")
        ax.text(0.5, 0.5, "no evidence frame\n(no measurable posture)", ha="center", va="center",
                transform=ax.transAxes, color=GREY, fontsize=9)
        return ax
    draw_still(ax, data.stills.get(label), xy, row, data.view, data.summary.get("facing"), size, aspect,
               _segment_colors(data, frame), f"{caption}{t}", skeleton=data.skeleton)
    return ax


def _key_rows(data: ReportData) -> list[str]:
    if data.sagittal:
        return [bounce_metric(data) if m == "vertical_oscillation" else m for m in SIDE_KEY]
    if data.view in ("front", "back"):
        return list(FRONT_KEY)
    return ["cadence_spm"]


def _key_numbers(fig: Figure, data: ReportData, x0: float, x1: float, top: float, bottom: float) -> list[Axes]:
    rows = _key_rows(data)
    fig.text(x0, top, "Key numbers", fontsize=12, fontweight="bold", color=DARK, va="top")
    # The strip is the clip's own error where its fault was judged (the fault text gives
    # it), else the typical markerless one.
    fig.text(x1, top, "◆ median of the steps   ━ most steps (p10-p90)   grey strip: ± measurement error   "
             "bands: ",
             fontsize=7.5, color=GREY, va="top", ha="right")
    legend_y = top - 0.028
    xs = x1
    for sev in ("severe", "moderate", "mild", None):
        label = sev or "within norm"
        fig.text(xs, legend_y, f" {label} ", fontsize=7, color=DARK, va="top", ha="right",
                 bbox={"boxstyle": "square,pad=0.15", "fc": status_color(sev), "alpha": 0.35, "ec": "none"})
        xs -= (len(label) + 3) * 0.0046
    top -= 0.045
    row_h = (top - bottom) / max(len(rows), 1)
    label_w = 0.42 * (x1 - x0)
    axes = []
    for i, name in enumerate(rows):
        m = data.metric(name)
        y = top - (i + 1) * row_h
        unit = m.get("unit", "")
        th = THRESHOLD_BY_METRIC.get(name)
        ref = REFERENCE.get(name)
        label = LABELS.get(name, name)
        fig.text(x0, y + 0.72 * row_h, label, fontsize=9, fontweight="bold", color=DARK, va="center")
        if not m.get("measurable") or m.get("median") is None:
            # wrapped to the panel (a reason can name two ways to confirm a clip's speed)
            lines = wrap("not measurable: " + str(m.get("reason", "no data")), (x1 - x0) * PAGE_IN[0], 7.5)
            if len(lines) > 3:
                lines = [*lines[:2], lines[2][:-1] + "…"]
            fig.text(x0, y + 0.38 * row_h, "\n".join(lines), fontsize=7.5, color=GREY, va="center",
                     linespacing=1.15)
            continue
        # The colour is the fault's judged severity (its interval), not the median's band:
        # a median in the severe band whose interval only clears "mild" reads mild here
        # too, and a fault that is only "possible" is not coloured as one.
        sev = _judged_severity(data, th) if th is not None else m.get("band")
        sub = fmt(m["median"], unit)
        if th is not None:
            sub += f"  ·  {norm_text(th)}"
            if m.get("exempt"):
                sub += "  (not a fault: whole-body lean)"
            elif _fault_status(data, th) == "possible":
                sub += "  (possible: see the checks)"
        elif ref is not None:
            sub += f"  ·  typical {ref[0]:g}-{ref[1]:g}"
        fig.text(x0, y + 0.38 * row_h, sub, fontsize=8, color=status_color(sev) if sev else DARK,
                 va="center", fontweight="bold" if sev else "normal")
        ax = fig.add_axes((x0 + label_w, y + 0.4 * row_h, x1 - x0 - label_w, 0.45 * row_h))
        bullet(ax, m.get("median"), m.get("p10"), m.get("p90"), th, ref[:2] if ref else None, sev,
               unit == "deg", error=_clip_error(data, th) if th is not None else None)
        ax.set_title(label, fontsize=1, alpha=0)  # invisible: lets tests find the row
        axes.append(ax)
    return axes


def _fault_status(data: ReportData, th: Threshold) -> str | None:
    """The status of ``th``'s fault in the summary (None when it was not judged)."""
    f = next((f for f in data.summary.get("faults") or [] if f.get("code") == th.fault), None)
    return f.get("status", "found") if f else None


def _clip_error(data: ReportData, th: Threshold) -> float | None:
    """This clip's measurement error (one SD, the fault's own total) for ``th``'s metric, when
    the fault was judged; None otherwise (the typical markerless error is drawn then)."""
    f = next((f for f in data.summary.get("faults") or [] if f.get("code") == th.fault), None)
    total = ((f or {}).get("evidence") or {}).get("measurement_error") or {}
    value = total.get("total")
    return float(value) if value is not None and value > 0 else None


def _judged_severity(data: ReportData, th: Threshold) -> str | None:
    """The severity of ``th``'s fault when it was found, else None."""
    f = next((f for f in data.summary.get("faults") or [] if f.get("code") == th.fault), None)
    return f.get("severity") if f and f.get("status", "found") == "found" else None


CHECK_MARKS = {"found": "✗", "not_found": "✓", "possible": "?"}


def checks(data: ReportData) -> list[tuple[str, str]]:
    """The checklist the analysis decided (``summary["checks"]``), as text and colour."""
    out = []
    for c in data.summary.get("checks") or []:
        color = SEV_COLORS[c["severity"]] if c["status"] == "found" else \
            GREEN if c["status"] == "not_found" else GREY
        out.append((f"{CHECK_MARKS.get(c['status'], '–')}  {c['text']}", color))
    return out


def build_summary_page(data: ReportData, pages: int = 1) -> Figure:
    """Page 1 (also report.png): verdict, key numbers, worst and best moments."""
    fig = Figure(figsize=PAGE_IN)
    _page_header(fig, data, "Running form report", 1, pages)
    s = data.summary
    faults = verdict(s)
    blocks: list[Block] = []
    if faults:
        n = sum(1 for f in s["faults"] if f.get("status", "found") == "found")
        unsure = len(faults) - n
        head = (f"{n} form fault{'s' if n != 1 else ''} found" if n else "No form fault found for sure") + \
            (f", {unsure} uncertain" if unsure else "")
        first_found = next((f for f in s["faults"] if f.get("status", "found") == "found"), None)
        blocks.append(Block(head, 15, "bold",
                            SEV_COLORS[first_found["severity"]] if first_found else GREY,
                            gap_after=0.2, gid="verdict"))
        blocks.append(Block("Most important first. Change one thing at a time.", 9, color=GREY,
                            style="italic", gap_after=0.9))
        for f, raw in zip(faults, s["faults"], strict=True):
            blocks.append(Block(f["title"], 11, "bold", badge=fault_badge(raw),
                                gap_after=0.25, gid=f"fault:{f['code']}"))
            blocks.append(Block("Change: " + f["change"], 9.5, indent_in=TextColumn.BADGE_IN, gap_after=0.2))
            blocks.append(Block(evidence_text(raw), 8, color=GREY, indent_in=TextColumn.BADGE_IN,
                                gap_after=1.1))
    else:
        blocks.append(Block("No form faults found", 15, "bold", GREEN, gap_after=0.5, gid="verdict"))
        if data.sagittal:
            msg = ("Head position, bend at the hips, shoulders, gaze, bounce and drift over the clip "
                   "are all within the norms formcheck uses (see the key numbers). Keep it up.")
        elif data.view in ("front", "back"):
            msg = ("The shoulders (height and tilt) are within the norms formcheck uses.")
        else:
            msg = "No posture could be measured: the camera view could not be classified."
        blocks.append(Block(msg, 10, gap_after=0.8))
    timing = s.get("timing") or {}
    if timing.get("source") == "proposed" and timing.get("message"):
        msg = str(timing["message"])
        blocks.append(Block(msg[0].upper() + msg[1:] + ".", 9, color=SEV_COLORS["mild"], weight="bold",
                            gap_after=0.5, gid="slow_motion"))
    if data.view in ("front", "back"):
        blocks.append(Block(f"Filmed from the {data.view}: {SIDE_ONLY_NAMES} need a side view and "
                            "were not measured. Film from the side, at hip height, to check them.",
                            9, color=SEV_COLORS["mild"], weight="bold", gap_after=0.5))
    elif data.view == "oblique":
        off = (s.get("view_detail") or {}).get("off_side_deg")
        angle = f" ({off:.0f}° off a side view)" if off is not None else ""
        blocks.append(Block(f"Filmed at an angle{angle}: side-view angles were "
                            "corrected for it and are less certain. Film from the side, at hip height, "
                            "for the surest numbers.", 9, color=SEV_COLORS["mild"], weight="bold",
                            gap_after=0.5))
    elif not data.sagittal:
        blocks.append(Block("Camera view unknown: posture angles were not measured. "
                            "Film from the side, at hip height, whole body in view.", 9,
                            color=SEV_COLORS["mild"], weight="bold"))
    blocks.append(Block("What was checked", 10.5, "bold", gap_after=0.4))
    for text, color in checks(data):
        blocks.append(Block(text, 8.8, color=color, gap_after=0.25))
    TextColumn(fig, 0.03, 0.40, 0.89, 0.10).place(blocks)
    # Stills.
    _still_panel(fig, (0.43, 0.495, 0.26, 0.37), data, "worst", "Worst moment")
    _still_panel(fig, (0.715, 0.495, 0.26, 0.37), data, "best", "Best moment")
    note = ("Line ear → shoulder → hip: green within the norm, amber / orange / red past it. "
            "CVA proxy: angle of the shoulder→ear line above the horizontal (higher = head more upright)."
            if data.sagittal else
            "Shoulder and ear lines: green within the norm, amber / orange / red past it.")
    fig.text(0.43, 0.485, "\n".join(wrap(note, 0.54 * PAGE_IN[0], 7)), fontsize=7, color=GREY, va="top")
    _key_numbers(fig, data, 0.43, 0.97, 0.425, 0.085)
    caution = "\n".join(wrap(MEDICAL_CAUTION, 0.94 * PAGE_IN[0], 7.5))
    fig.text(0.03, 0.035, caution, fontsize=7.5, color="#862e2e", va="bottom", linespacing=1.2)
    return fig


# --- time series -----------------------------------------------------------------------


def _steps_meta(data: ReportData) -> tuple[np.ndarray, np.ndarray]:
    """(step boundary times, step mid times)."""
    st = data.steps
    if st.empty:
        return np.array([]), np.array([])
    bounds = np.r_[st["t_start_s"].to_numpy(), st["t_end_s"].to_numpy()[-1:]]
    return np.unique(bounds), ((st["t_start_s"] + st["t_end_s"]) / 2).to_numpy()


def _series_panel(ax: Axes, data: ReportData, metric: str, unit: str, note: str = "") -> None:
    fr = data.frames
    t = fr["time_s"].to_numpy() if "time_s" in fr else np.arange(len(fr))
    bounds, mids = _steps_meta(data)
    th = THRESHOLD_BY_METRIC.get(metric)
    label = LABELS.get(metric, metric)
    ax.set_title(f"{label}" + (f"  ({norm_text(th)})" if th else "") + (f"  {note}" if note else ""),
                 fontsize=9.5, loc="left", fontweight="bold", color=DARK)
    ax.set_ylabel(unit if unit != "deg" else "degrees", fontsize=8)
    ax.tick_params(labelsize=7.5)
    y = fr[metric].to_numpy(dtype=float) if metric in fr else np.full(len(t), np.nan)
    st_vals = data.steps[metric].to_numpy(dtype=float) if metric in data.steps else np.array([])
    if not np.isfinite(y).any() and not np.isfinite(st_vals).any():
        ax.text(0.5, 0.5, "not measurable in this clip", transform=ax.transAxes, ha="center",
                va="center", color=GREY, fontsize=9)
        ax.set_yticks([])
        return
    finite = y[np.isfinite(y)]
    data_vals = [float(finite.min()), float(finite.max())] if finite.size else []
    data_vals += [float(v) for v in st_vals[np.isfinite(st_vals)]]
    lo, hi = value_range(data_vals, None, None)
    if th is not None:  # always show the fault threshold and a little beyond it
        lo, hi = min(lo, th.mild), max(hi, th.mild)
        span = hi - lo
        lo, hi = lo - 0.08 * span, hi + 0.08 * span
        shade_zones(ax, th, horizontal=False)
        ax.axhline(th.mild, color=SEV_COLORS["mild"], lw=1, ls="--")
    elif metric == "waist_bend_deg":
        bend = WHOLE_BODY_LEAN_MAX_BEND
        ax.axhline(bend, color=GREY, lw=1, ls="--")
        ax.text(0.995, 0.04, f"below {bend:g}°: a whole-body lean, not a bend at the waist",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color=GREY)
    elif metric in REFERENCE:
        r = REFERENCE[metric]
        ax.axhspan(r[0], r[1], color=GREEN, alpha=0.15, lw=0)
        lo, hi = min(lo, r[0]), max(hi, r[1])
    ax.set_ylim(lo, hi)
    ax.vlines(bounds, 0, 1, transform=ax.get_xaxis_transform(), colors="#adb5bd", lw=0.6, ls=":")
    ax.plot(t, y, color="#343a40", lw=1.0, label="per frame")
    if st_vals.size:
        cols = [status_color(th.severity(v)) if th else "#1c7ed6" for v in st_vals]
        ax.scatter(mids, st_vals, s=16, c=cols, edgecolors=DARK, linewidths=0.5, zorder=3,
                   label="per step (judged)")
    ax.set_xlim(t[0] if len(t) else 0, t[-1] if len(t) else 1)


def _bounce_panel(ax: Axes, data: ReportData) -> None:
    fr = data.frames
    ax.set_title("Bounce: hip height (up +); dotted lines = mid-stance, the lowest point of each step"
                 + ("  [front/back view: distance to the camera moves it too]"
                    if data.view in ("front", "back") else ""),
                 fontsize=9.5, loc="left", fontweight="bold", color=DARK)
    ax.tick_params(labelsize=7.5)
    ax.set_xlabel("time (s)", fontsize=8)
    need = {"hip_y", "shoulder_x", "shoulder_y", "hip_x", "time_s"}
    if not need <= set(fr.columns) or not np.isfinite(fr["hip_y"].to_numpy(float)).any():
        ax.text(0.5, 0.5, "hip not tracked", transform=ax.transAxes, ha="center", color=GREY)
        return
    t = fr["time_s"].to_numpy()
    torso = np.hypot(fr["shoulder_x"] - fr["hip_x"], fr["shoulder_y"] - fr["hip_y"]).to_numpy(float)
    hip = fr["hip_y"].to_numpy(float)
    h = -(hip - np.nanmedian(hip)) / np.nanmedian(torso)
    unit = "torso lengths"
    if data.height_cm:
        h *= TORSO_HEIGHT_FRACTION * data.height_cm
        unit = "cm"
    ax.set_ylabel(unit, fontsize=8)
    bounds, _ = _steps_meta(data)
    ax.vlines(bounds, 0, 1, transform=ax.get_xaxis_transform(), colors="#adb5bd", lw=0.6, ls=":")
    ax.plot(t, h, color="#1c7ed6", lw=1.2)
    ax.set_xlim(t[0], t[-1])
    m = data.metric(bounce_metric(data))
    if m.get("measurable"):
        th = THRESHOLD_BY_METRIC.get(bounce_metric(data))
        txt = f"rise and fall per step: median {fmt(m['median'], m['unit'])}"
        if th:
            txt += f" ({norm_text(th)})"
        ax.text(0.995, 0.95, txt, transform=ax.transAxes, ha="right", va="top", fontsize=8,
                bbox={"fc": "white", "ec": "none", "alpha": 0.8})


def build_timeseries_pages(data: ReportData) -> list[Figure]:
    """Posture metrics over time with thresholds, steps and the bounce underneath."""
    if data.sagittal:
        groups = [
            ("Head and neck over time", [("cva_deg", "deg", ""), ("neck_trunk_angle_deg", "deg", "0 = ear in line with the trunk"),
                                         ("head_pitch_deg", "deg", "")]),
            ("Trunk and shoulders over time", [("trunk_lean_deg", "deg", ""),
                                               ("waist_bend_deg", "deg", "meaningful at mid-stance (dots)"),
                                               ("shoulder_elevation_torso", "torso lengths", "")]),
        ]
    elif data.view in ("front", "back"):
        groups = [("Shoulders and head over time (front/back view)",
                   [("left_shoulder_elevation_torso", "torso lengths", ""),
                    ("right_shoulder_elevation_torso", "torso lengths", ""),
                    ("shoulder_tilt_deg", "deg", "+ = left shoulder higher"),
                    ("head_tilt_deg", "deg", "+ = left ear higher")])]
    else:
        groups = [("Bounce over time", [])]
    figs = []
    for title, panels in groups:
        fig = Figure(figsize=PAGE_IN)
        n = len(panels) + 1
        gs = fig.add_gridspec(n, 1, left=0.07, right=0.97, top=0.87, bottom=0.1, hspace=0.55,
                              height_ratios=[1.0] * len(panels) + [0.9])
        axes = [fig.add_subplot(gs[i, 0]) for i in range(n)]
        for ax in axes[1:]:
            ax.sharex(axes[0])
        for ax, (metric, unit, note) in zip(axes, panels, strict=False):
            _series_panel(ax, data, metric, unit, note)
            ax.tick_params(labelbottom=False)
        _bounce_panel(axes[-1], data)
        if panels:
            handles, labels = axes[0].get_legend_handles_labels()
            if handles:
                fig.legend(handles, labels, loc="upper right", bbox_to_anchor=(0.97, 0.905), ncol=2,
                           fontsize=8, frameon=False)
        fig.text(0.07, 0.9, "Line: every frame. Dots: median of each step, the values the thresholds "
                 "judge (coloured by severity). Bands: within norm (green) to severe (red).",
                 fontsize=8, color=GREY, va="bottom")
        fig._formcheck_title = title  # type: ignore[attr-defined]
        figs.append(fig)
    return figs


def build_steps_page(data: ReportData) -> Figure:
    """Per-step values and drift from the first to the last third of the steps."""
    fig = Figure(figsize=PAGE_IN)
    fig._formcheck_title = "Step by step, and drift as you tire"  # type: ignore[attr-defined]
    st = data.steps
    side = data.sagittal
    per_step = (["cva_deg", bounce_metric(data), "neck_load_peak_nm"] if side else
                ["left_shoulder_elevation_torso", "right_shoulder_elevation_torso", "shoulder_tilt_deg"])
    gs = fig.add_gridspec(3, 2, left=0.07, right=0.97, top=0.86, bottom=0.09, hspace=0.6, wspace=0.5,
                          width_ratios=[1.15, 1.0])
    for i, metric in enumerate(per_step):
        ax = fig.add_subplot(gs[i, 0])
        m = data.metric(metric)
        unit = m.get("unit", "")
        th = THRESHOLD_BY_METRIC.get(metric)
        ax.set_title(f"{LABELS.get(metric, metric)} per step" + (f"  ({norm_text(th)})" if th else ""),
                     fontsize=9.5, loc="left", fontweight="bold")
        ax.set_ylabel({"deg": "degrees"}.get(unit, unit), fontsize=8)
        ax.tick_params(labelsize=7.5)
        if i == len(per_step) - 1:
            ax.set_xlabel("step", fontsize=8)
        if st.empty or metric not in st or not st[metric].notna().any():
            ax.text(0.5, 0.5, "not measurable in this clip", transform=ax.transAxes, ha="center",
                    va="center", color=GREY, fontsize=9)
            continue
        vals = st[metric].to_numpy(float)
        cols = [status_color(th.severity(v)) if th else "#1c7ed6" for v in vals]
        _bars(ax, st["step"].to_numpy(float), vals, cols)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if th is not None:
            ax.axhline(th.mild, color=SEV_COLORS["mild"], ls="--", lw=1)
            lo, hi = value_range(list(vals[np.isfinite(vals)]) + [th.mild], None, None)
            ax.set_ylim(min(lo, 0) if th.direction == "above" else lo, hi)
        third = len(st) // 3
        if third and len(st) >= 6:
            for k in (third - 0.5, len(st) - third - 0.5):
                ax.axvline(k, color=GREY, lw=0.8, ls="-.")
    if side:
        fig.text(0.07, 0.895, "Peak neck load: the extra moment a forward head adds at the neck, "
                 "multiplied by the bounce (see page on method). Dash-dot lines: first / last third.",
                 fontsize=8, color=GREY)
    _drift_panel(fig.add_subplot(gs[:, 1]), data)
    return fig


def _bars(ax: Axes, x: np.ndarray, heights: np.ndarray, colors: list[str], width: float = 0.8) -> None:
    """Bars from 0 to ``heights`` centred on ``x``, as one collection: what ``ax.bar`` draws,
    without an artist per bar (a 10-minute clip has thousands of steps, and a Rectangle
    costs kilobytes). Bars with a NaN height are left out, as ``ax.bar`` leaves them empty."""
    ok = np.isfinite(heights)
    left, right, top = x[ok] - width / 2, x[ok] + width / 2, heights[ok]
    zero = np.zeros_like(top)
    verts = np.stack([np.c_[left, zero], np.c_[left, top], np.c_[right, top], np.c_[right, zero]], axis=1)
    bars = PolyCollection(list(verts), facecolors=[c for c, k in zip(colors, ok, strict=True) if k],
                          edgecolors=DARK, linewidths=0.4)
    bars.sticky_edges.y.append(0.0)  # as ax.bar: no margin below the bars' base
    ax.add_collection(bars)
    ax.autoscale_view()


def _drift_panel(ax: Axes, data: ReportData) -> None:
    drift = data.summary.get("drift") or {}
    ax.set_title("Drift: last third vs first third of the steps", fontsize=10, loc="left", fontweight="bold")
    rows = [(m, d) for m, d in drift.items() if d.get("limit") is not None or m in SHOWN_DRIFT]
    if not rows:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "Too few steps to judge drift\n(needs at least 6 steps)", transform=ax.transAxes,
                ha="center", va="center", color=GREY, fontsize=10)
        return
    if not any(d.get("limit") is not None for _, d in rows):  # e.g. front view: shown, not judged
        ax.set_axis_off()
        lines = [f"{LABELS.get(m, m)}: {fmt(d.get('first_third'), data.metric(m).get('unit', ''))} → "
                 f"{fmt(d.get('last_third'), data.metric(m).get('unit', ''))}" for m, d in rows]
        ax.text(0.0, 0.95, "\n".join(lines) + "\n\nNo drift limits are defined for these metrics:\n"
                "the change is shown, not judged.", transform=ax.transAxes, va="top", fontsize=9,
                linespacing=1.6)
        return
    names, vals, cols = [], [], []
    for m, d in rows:
        unit = data.metric(m).get("unit", "")
        if d.get("limit") is None or d.get("score") is None:
            continue
        names.append(f"{LABELS.get(m, m)}\n{fmt(d.get('first_third'), unit)} → "
                     f"{fmt(d.get('last_third'), unit)} (limit {fmt(d['limit'], unit)})")
        vals.append(d["score"])
        cols.append(SEV_COLORS["moderate"] if d.get("exceeds") else GREEN)
    y = np.arange(len(names))[::-1]
    ax.barh(y, vals, color=cols, edgecolor=DARK, lw=0.4, height=0.6)
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=8)
    ax.axvline(0, color=DARK, lw=0.8)
    ax.axvline(1, color=SEV_COLORS["moderate"], lw=1, ls="--")
    lim = max(1.6, max(abs(v) for v in vals) * 1.15 if vals else 1.6)
    ax.set_xlim(-lim, lim)
    ax.set_xlabel("change towards worse, in drift limits (≥ 1 counts as drift)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7.5)
    ax.set_ylim(-0.6, len(names) - 0.4)


# --- advice and method -----------------------------------------------------------------


def breathing(cadence: float | None) -> list[str]:
    """Rhythmic breathing suggestions from the cadence (steps/min)."""
    if cadence is None or not np.isfinite(cadence) or cadence <= 0:
        return ["Cadence not measured, so no breathing rhythm can be derived."]
    return [
        f"Easy running: inhale for 3 steps, exhale for 2. Each exhale then starts on the other foot. "
        f"At your cadence of {cadence:.0f} steps/min that is {cadence / 5:.0f} breaths per minute.",
        f"Harder efforts: inhale 2 steps, exhale 1: {cadence / 3:.0f} breaths per minute.",
        "Breathe from the belly and let the shoulders stay low while you do.",
    ]


def build_advice_page(data: ReportData, page: int, pages: int) -> Figure:
    """Drills per fault, breathing rhythm and the medical caution."""
    fig = Figure(figsize=PAGE_IN)
    _page_header(fig, data, "What to do", page, pages)
    faults = data.summary.get("faults") or []
    left: list[Block] = [Block("Drills and cues for what was found", 12, "bold", gap_after=0.6)]
    if faults:
        for f in faults:
            left.append(Block(fault_title(f), 11.5, "bold", badge=fault_badge(f),
                              gap_after=0.3))
            if f["code"] in WHY:
                left.append(Block(WHY[f["code"]], 9.5, color="#495057", style="italic",
                                  indent_in=TextColumn.BADGE_IN, gap_after=0.3))
            left.append(Block(f.get("advice") or ADVICE.get(f["code"], ""), 10.5,
                              indent_in=TextColumn.BADGE_IN, gap_after=1.3))
    else:
        left.append(Block("No faults to fix. To keep it that way, every few minutes of a run check: "
                          "tall, head over the shoulders, shoulders low and loose, eyes ahead.", 10,
                          gap_after=1.0))
    TextColumn(fig, 0.03, 0.5, 0.89, 0.08).place(left)
    right: list[Block] = [Block("Breathing rhythm", 12, "bold", gap_after=0.6)]
    for line in breathing(data.metric("cadence_spm").get("median")):
        right.append(Block("• " + line, 10.5, gap_after=0.5))
    right.append(Block("", 4, gap_after=1.0))
    right.append(Block("Take care", 12, "bold", color="#862e2e", gap_after=0.6))
    right.append(Block(MEDICAL_CAUTION, 10.5, color="#862e2e", gap_after=1.2))
    right.append(Block("Film again after a few weeks of practice, with the same camera set-up, "
                       "and compare the key numbers.", 9, color=GREY, style="italic"))
    TextColumn(fig, 0.55, 0.97, 0.89, 0.08).place(right)
    return fig


def timing_line(timing: dict[str, Any]) -> str:
    """The report's sentence on playback vs real time (summary ``timing``)."""
    factor, source = timing.get("factor") or 1.0, timing.get("source") or "none"
    if source == "given":
        text = f"Speed: {factor:g}x slow motion as given (--speed); rates and durations are at real speed."
    elif source == "metadata":
        note = (timing.get("capture") or {}).get("note") or "from the file"
        text = f"Speed: {factor:g}x ({note}); rates and durations are at real speed."
    elif source == "proposed":
        text = f"Speed: {timing.get('message') or 'slow motion suspected'}."
    else:
        text = "Speed: played at real speed (no slow motion recorded in the file or seen in the gait)."
    if timing.get("repeated_frames"):
        text += f" {timing['repeated_frames']} repeated frames (frozen or duplicated) left out."
    return text


def _quality_lines(data: ReportData) -> list[str]:
    s = data.summary
    det = s.get("detection") or {}
    cl = s.get("cleaning") or {}
    vd = s.get("view_detail") or {}
    model = s.get("model") or {}
    v = s.get("video") or {}
    sel = det.get("runner_selection") or {}
    cues = vd.get("cues") or {}
    stretches, kept = cues.get("stretches") or [], cues.get("analysed_stretch")
    measured = ""
    if isinstance(kept, int) and 0 <= kept < len(stretches):  # the view changed: one stretch measured
        st = stretches[kept]
        measured = (f"; measured only {st.get('start_s')}-{st.get('end_s')} s, the longest stretch "
                    f"with one view ({st.get('frames')} of those frames)")
    lines = [
        f"Clip: {v.get('width')}×{v.get('height')} px, {v.get('fps')} fps, {v.get('frames')} frames, "
        f"{v.get('duration_s')} s, codec {v.get('codec') or '?'}.",
        f"Runner detected in {det.get('frames_with_runner')} of {det.get('frames')} frames "
        f"({100 * float(det.get('fraction') or 0):.0f}%){measured}.",
        f"Runner selection: {sel.get('reason', 'n/a')} (people seen: {sel.get('people_seen', '?')}).",
        f"Camera view: {s.get('view')} ({vd.get('method', '?')}"
        + (f", body yaw {vd['yaw_deg']:.0f}° ± {vd.get('yaw_sd_deg') or 0:.0f}°" if vd.get("yaw_deg") is not None
           else f", shoulder width / torso {vd['width_ratio']:.2f}" if vd.get("width_ratio") is not None else "")
        + ")" + (f", facing {s['facing']}." if s.get("facing") else "."),
        f"Cleaning: {cl.get('points_low_visibility', 0)} landmark readings dropped for low visibility "
        f"(< {cl.get('min_visibility', '?')}), {cl.get('points_outliers', 0)} as outliers; "
        f"{cl.get('points_filled', 0)} filled in gaps up to {cl.get('max_gap_s', '?')} s; "
        f"{cl.get('filter', 'smoothed')}.",
        f"Steps: {s.get('steps')} counted (step period {s.get('step_period_s')} s).",
        timing_line(s.get("timing") or {}),
        f"Model: {model.get('name', '?')} (sha256 {str(model.get('sha256', ''))[:12]}"
        f"{', bundled' if model.get('bundled') else ''}).",
    ]
    return lines


def build_method_page(data: ReportData, page: int, pages: int) -> Figure:
    """How the numbers were measured, their limits, data quality and sources."""
    fig = Figure(figsize=PAGE_IN)
    _page_header(fig, data, "How this was measured", page, pages)
    view = data.view
    left = [Block("Method and limits", 12, "bold", gap_after=0.6)]
    method = [
        f"A markerless pose model (MediaPipe Pose Landmarker) finds {data.skeleton.n} body landmarks in every frame. "
        "Angles and distances are computed in pixels, after dropping unsure landmarks, filling short gaps "
        "and smoothing.",
        f"Camera view: {view}, from the direction the body faces (its shoulder and hip axes and the head "
        "in 3D). Head position, trunk lean, gaze and bounce need a side view; seen at an angle, forward "
        "distances shrink by the cosine of that angle, so formcheck stretches them back and states the "
        "extra error; from the front or back only the shoulders (height, tilt) are measured.",
        "The CVA is a proxy: the clinical craniovertebral angle uses the C7 vertebra, which the model "
        "does not see; the shoulder landmark stands in for it, so the proxy reads about 20-25° higher "
        "than a clinical CVA and its thresholds were shifted accordingly (calibrated, not validated).",
        f"Markerless measurement is accurate to about {MEASUREMENT_ERROR_DEG:g}-8° at the joints in "
        f"running. A reading within ~{MEASUREMENT_ERROR_DEG:g}° of a threshold is borderline; the "
        "report says so where it happens.",
        "Faults are judged on the median over all steps (a step runs from one mid-stance, the "
        "lowest hip point, to the next), not on single frames.",
        "Lengths are in torso lengths (shoulder to hip) unless the runner's height was given.",
    ]
    method += [f"Assumption: {a}." for a in data.summary.get("assumptions") or []]
    for line in method:
        left.append(Block("• " + line, 8.8, gap_after=0.45))
    TextColumn(fig, 0.03, 0.49, 0.89, 0.06).place(left)
    right = [Block("Data quality", 12, "bold", gap_after=0.6)]
    for line in _quality_lines(data):
        right.append(Block("• " + line, 8.8, gap_after=0.45))
    # what the analysis warned about (a change of view, a clip stored turned, slow motion,
    # a small runner...): the same notes the terminal and summary.json give
    for note in data.summary.get("warnings") or []:
        right.append(Block("• Note: " + note, 8.8, color="#862e2e", gap_after=0.45))
    right.append(Block("", 4, gap_after=0.6))
    right.append(Block("Thresholds and their sources", 12, "bold", gap_after=0.6))
    codes = ["forward_head", "waist_lean", "raised_shoulders", "gaze_down",
             "excessive_bounce" if data.height_cm else "excessive_bounce_torso"]
    if view in ("front", "back"):
        codes = ["raised_shoulders"]
    for code in codes:
        th = THRESHOLDS[code]
        sign = "<" if th.direction == "below" else ">"
        right.append(Block(f"{LABELS.get(th.metric, th.metric)} ({th.kind}): mild {sign} {th.mild:g}, "
                           f"moderate {sign} {th.moderate:g}, severe {sign} {th.severe:g} {th.unit}. "
                           f"{th.source}", 7.3, color="#495057", gap_after=0.5))
    TextColumn(fig, 0.52, 0.97, 0.89, 0.06).place(right)
    return fig


# --- assembling ------------------------------------------------------------------------


def _titled(fig: Figure, data: ReportData, page: int, pages: int) -> Figure:
    _page_header(fig, data, getattr(fig, "_formcheck_title", ""), page, pages)
    return fig


def build_figures(data: ReportData) -> list[Figure]:
    """All report pages, in order."""
    series = build_timeseries_pages(data)
    steps_page = build_steps_page(data)
    pages = 1 + len(series) + 1 + 2
    figs = [build_summary_page(data, pages)]
    for fig in [*series, steps_page]:
        figs.append(_titled(fig, data, len(figs) + 1, pages))
    figs.append(build_advice_page(data, len(figs) + 1, pages))
    figs.append(build_method_page(data, len(figs) + 1, pages))
    return figs


def write_report(folder: Path) -> list[Path]:
    """Write ``report.pdf`` (all pages) and ``report.png`` (page 1) into ``folder``.

    Reads only the folder's files; returns ``[pdf, png]``.
    """
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    t0 = time.perf_counter()
    folder = Path(folder)
    data = load_folder(folder)
    pdf_path, png_path = folder / REPORT_PDF, folder / REPORT_PNG
    # axes.titley fixed at 1.0 (its default place): matplotlib then skips looking for tick
    # labels above each plot to lift the title over (none are), a fifth of the drawing time.
    with rc_context({"font.family": "DejaVu Sans", "pdf.compression": 6, "axes.linewidth": 0.6,
                     "svg.fonttype": "none", "axes.titley": 1.0}):
        figs = build_figures(data)
        s = data.summary
        meta = {"Title": f"formcheck report: {Path(str((s.get('video') or {}).get('path', ''))).name}",
                "Creator": f"formcheck {s.get('formcheck_version', '')}"}
        with PdfPages(pdf_path, metadata=meta) as pdf:
            for k, fig in enumerate(figs):
                pdf.savefig(fig)
                if k:  # an artist tree is a web of cycles: free it now, not at the next gc
                    fig.clear()
        figs[0].savefig(png_path, dpi=PNG_DPI, facecolor="white")
        figs[0].clear()
    log.info("report written in %.2f s", time.perf_counter() - t0)
    return [pdf_path, png_path]
