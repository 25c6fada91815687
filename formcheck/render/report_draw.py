"""Drawing helpers for the report: text layout, norm-band charts, annotated stills.

Pure matplotlib object-oriented API (``Figure`` / ``Axes``), no pyplot, so nothing
leaks into global state. Coordinates of stills are image pixels (x right, y down).
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text

from formcheck.assess.norms import MEASUREMENT_ERROR_DEG, Threshold
from formcheck.model.skeleton import DEFAULT, Skeleton

#: Status colours (within norm, then severities); the video uses the same greens/ambers/reds.
GREEN = "#2f9e44"
SEV_COLORS = {"mild": "#f59f00", "moderate": "#e8590c", "severe": "#c92a2a"}
GREY = "#868e96"
DARK = "#212529"
ZONE_ALPHA = 0.22
LINESPACING = 1.25


def status_color(severity: str | None) -> str:
    return SEV_COLORS.get(severity or "", GREEN)


def first_sentence(text: str) -> str:
    """The first sentence of a piece of advice (up to the first '. ' before a capital)."""
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z'\"(])", text.strip(), maxsplit=1)
    return parts[0]


def wrap(text: str, width_in: float, size: float, bold: bool = False) -> list[str]:
    """Wrap ``text`` to a width in inches for a DejaVu Sans font of ``size`` points.

    Uses a conservative average glyph width (0.55 em, 0.6 em bold), so lines never
    overflow; paragraphs (newlines) are kept.
    """
    chars = max(10, int(width_in * 72.0 / ((0.6 if bold else 0.55) * size)))
    out: list[str] = []
    for para in text.split("\n"):
        out.extend(textwrap.wrap(para, chars, break_on_hyphens=False) or [""])
    return out


@dataclass
class Block:
    """One paragraph for :class:`TextColumn`."""

    text: str
    size: float = 10.0
    weight: str = "normal"
    color: str = DARK
    indent_in: float = 0.0
    gap_after: float = 0.35  # in units of the font size
    style: str = "normal"
    badge: tuple[str, str] | None = None  # (label, colour) drawn left of the text
    gid: str | None = None


class TextColumn:
    """Lays paragraphs out top-down in a rectangle of a figure (figure fractions).

    Heights are computed from line counts (no renderer needed), and the whole column
    shrinks its fonts (down to 70%) if the paragraphs would not fit.
    """

    BADGE_IN = 0.82

    def __init__(self, fig: Figure, x0: float, x1: float, top: float, bottom: float):
        self.fig, self.x0, self.x1, self.top, self.bottom = fig, x0, x1, top, bottom
        self.w_in = (x1 - x0) * fig.get_figwidth()
        self.h_in = (top - bottom) * fig.get_figheight()

    def _layout(self, blocks: list[Block], scale: float) -> list[tuple[Block, list[str], float, float]]:
        out = []
        for b in blocks:
            size = b.size * scale
            indent = b.indent_in + (self.BADGE_IN * scale if b.badge else 0.0)
            lines = wrap(b.text, self.w_in - indent, size, b.weight == "bold")
            h = (len(lines) - 1) * LINESPACING * size / 72 + 1.15 * size / 72
            out.append((b, lines, size, h + b.gap_after * size / 72))
        return out

    def place(self, blocks: list[Block]) -> list[Text]:
        for scale in (1.0, 0.92, 0.85, 0.78, 0.7):
            layout = self._layout(blocks, scale)
            if sum(h for *_, h in layout) <= self.h_in:
                break
        fh = self.fig.get_figheight()
        y = self.top
        artists = []
        for b, lines, size, h in layout:
            x = self.x0 + b.indent_in / self.fig.get_figwidth()
            if b.badge:
                label, col = b.badge
                self.fig.text(x + 0.04 / self.fig.get_figwidth(), y - 0.2 * size / 72 / fh, label.upper(), fontsize=size * 0.72,
                              fontweight="bold", color="white", va="top", ha="left",
                              bbox={"boxstyle": "round,pad=0.3", "fc": col, "ec": "none"})
                x += self.BADGE_IN * (size / b.size) / self.fig.get_figwidth()
            t = self.fig.text(x, y, "\n".join(lines), fontsize=size, fontweight=b.weight,
                              color=b.color, va="top", ha="left", linespacing=LINESPACING,
                              fontstyle=b.style)
            if b.gid:
                t.set_gid(b.gid)
            artists.append(t)
            y -= h / fh
        return artists


# --- norm-band charts -------------------------------------------------------------------


def zones(th: Threshold) -> list[tuple[float, float, str | None]]:
    """(lo, hi, severity) intervals covering the real line for a threshold."""
    inf = math.inf
    if th.direction == "below":
        return [(-inf, th.severe, "severe"), (th.severe, th.moderate, "moderate"),
                (th.moderate, th.mild, "mild"), (th.mild, inf, None)]
    return [(-inf, th.mild, None), (th.mild, th.moderate, "mild"),
            (th.moderate, th.severe, "moderate"), (th.severe, inf, "severe")]


def shade_zones(ax: Axes, th: Threshold, horizontal: bool, alpha: float = ZONE_ALPHA) -> None:
    """Colour the within-norm / mild / moderate / severe ranges of an axis."""
    for lo, hi, sev in zones(th):
        lo_, hi_ = max(lo, -1e9), min(hi, 1e9)
        if horizontal:
            ax.axvspan(lo_, hi_, color=status_color(sev), alpha=alpha, lw=0)
        else:
            ax.axhspan(lo_, hi_, color=status_color(sev), alpha=alpha, lw=0)


def value_range(values: Sequence[float | None], th: Threshold | None = None,
                ref: tuple[float, float] | None = None) -> tuple[float, float]:
    """An axis range showing the data and the thresholds, with some of the good side."""
    vals = [v for v in values if v is not None and np.isfinite(v)]
    if th is not None:
        step = abs(th.mild - th.moderate)
        good = th.mild + step if th.direction == "below" else th.mild - step
        vals += [th.mild, th.moderate, th.severe, good]
    if ref is not None:
        vals += list(ref)
    if not vals:
        return 0.0, 1.0
    lo, hi = min(vals), max(vals)
    span = hi - lo or max(abs(hi), 1.0) * 0.2
    return lo - 0.08 * span, hi + 0.08 * span


def bullet(ax: Axes, median: float | None, p10: float | None, p90: float | None,
           th: Threshold | None, ref: tuple[float, float] | None, severity: str | None,
           deg: bool, error: float | None = None) -> None:
    """A one-line chart: coloured norm bands, the p10-p90 spread and the median; for an
    angle, a grey strip of +/- ``error`` (the clip's own, else the typical markerless
    error) around the fault threshold."""
    lo, hi = value_range([median, p10, p90], th, ref)
    ax.set_xlim(lo, hi)
    ax.set_ylim(-1, 1)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(GREY)
    ax.tick_params(axis="x", labelsize=7, length=2, pad=1, colors="#495057")
    ticks: list[float] = []
    if th is not None:
        shade_zones(ax, th, horizontal=True, alpha=0.35)
        ticks = [th.severe, th.moderate, th.mild]
        if deg:  # the markerless error band around the fault threshold
            half = error if error is not None else MEASUREMENT_ERROR_DEG
            ax.axvspan(th.mild - half, th.mild + half, ymin=0.82,
                       ymax=1.0, color=GREY, alpha=0.35, lw=0)
    elif ref is not None:
        ax.axvspan(lo, hi, color="#e9ecef", lw=0)
        ax.axvspan(ref[0], ref[1], color=GREEN, alpha=0.3, lw=0)
        ticks = list(ref)
    else:
        ax.axvspan(lo, hi, color="#e9ecef", lw=0)
    if ticks:
        ticks = [t for t in ticks if lo <= t <= hi]
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}" for t in ticks])
    else:
        ax.locator_params(axis="x", nbins=4)
    if p10 is not None and p90 is not None:
        ax.plot([p10, p90], [0, 0], color=DARK, lw=2.2, solid_capstyle="butt")
    if median is not None:
        ax.plot([median], [0], marker="D", ms=8, mfc=status_color(severity), mec=DARK, mew=1.0)


# --- stills ----------------------------------------------------------------------------


def crop_box(points: np.ndarray, width: int, height: int, aspect: float,
             pad: float = 0.18) -> tuple[int, int, int, int]:
    """A crop (x0, y0, x1, y1) around the finite ``points`` with a given w/h aspect,
    kept inside the image. The whole frame when there are no points."""
    pts = points[np.isfinite(points).all(axis=1)]
    if len(pts) < 3:
        return 0, 0, width, height
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    h = (y1 - y0) * (1 + 2 * pad)
    w = (x1 - x0) * (1 + 2 * pad)
    if w / max(h, 1) < aspect:
        w = h * aspect
    else:
        h = w / aspect
    w, h = min(w, width), min(h, height)
    x0 = int(round(min(max(cx - w / 2, 0), width - w)))
    y0 = int(round(min(max(cy - h / 2, 0), height - h)))
    return x0, y0, int(round(x0 + w)), int(round(y0 + h))


def angle_arc(ax: Axes, center: np.ndarray, u: np.ndarray, v: np.ndarray, radius: float,
              label: str, color: str, size: float = 8) -> None:
    """Draw the angle between directions u and v (image coordinates, y down) at center."""
    au = math.atan2(-u[1], u[0])
    av = math.atan2(-v[1], v[0])
    delta = (av - au + math.pi) % (2 * math.pi) - math.pi
    th = au + np.linspace(0, delta, 24)
    ax.plot(center[0] + radius * np.cos(th), center[1] - radius * np.sin(th), color=color, lw=1.4)
    mid = au + delta / 2
    ax.text(center[0] + 1.25 * radius * math.cos(mid), center[1] - 1.25 * radius * math.sin(mid), label,
            color="white", fontsize=size, fontweight="bold", ha="center", va="center",
            bbox={"boxstyle": "round,pad=0.2", "fc": color, "ec": "none", "alpha": 0.9})


def draw_still(ax: Axes, image: np.ndarray | None, xy: np.ndarray | None, row: dict[str, Any] | None,
               view: str, facing: str | None, size_wh: tuple[int, int], aspect: float,
               colors: dict[str, str], title: str, max_px: int = 700, skeleton: Skeleton = DEFAULT) -> None:
    """One evidence still: cropped frame, skeleton, ear-shoulder-hip line and angles.

    ``xy`` are the frame's cleaned landmarks (px), the points of ``skeleton``; ``row`` the frame's row of
    frames.csv (side-combined key points and per-frame metrics). ``colors`` gives
    the colours of the 'neck' (ear-shoulder) and 'trunk' (shoulder-hip) segments.
    """
    import cv2

    width, height = size_wh
    pts = xy if xy is not None else np.full((1, 2), np.nan)
    x0, y0, x1, y1 = crop_box(pts, width, height, aspect)
    ax.set_title(title, fontsize=10, loc="left", fontweight="bold", color=DARK)
    ax.set_xticks([])
    ax.set_yticks([])
    if image is not None:
        crop = image[y0:y1, x0:x1]
        scale = max_px / max(crop.shape[:2])
        if scale < 1:
            crop = cv2.resize(crop, (max(1, int(crop.shape[1] * scale)), max(1, int(crop.shape[0] * scale))),
                              interpolation=cv2.INTER_AREA)
        ax.imshow(crop, extent=(x0, x1, y1, y0), interpolation="bilinear")
    else:
        ax.set_facecolor("#343a40")
        ax.text(0.5, 0.04, "video frame not available", transform=ax.transAxes, ha="center",
                va="bottom", color="white", fontsize=8)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y1, y0)
    ax.set_aspect("equal")
    if xy is None or not np.isfinite(xy).any():
        ax.text(0.5, 0.5, "no landmarks in this frame", transform=ax.transAxes, ha="center",
                color="white", fontsize=9)
        return
    scale_px = (y1 - y0) / 100.0  # line widths relative to the crop
    for a, b in skeleton.edge_indices:
        ax.plot(xy[[a, b], 0], xy[[a, b], 1], color="white", lw=1.2, alpha=0.85, solid_capstyle="round")
    ax.plot(xy[:, 0], xy[:, 1], "o", ms=2.2, color="#74c0fc", mec="none")
    if row is None:
        return
    if view == "side":
        ear = np.array([row.get("ear_x", np.nan), row.get("ear_y", np.nan)], float)
        sh = np.array([row.get("shoulder_x", np.nan), row.get("shoulder_y", np.nan)], float)
        hip = np.array([row.get("hip_x", np.nan), row.get("hip_y", np.nan)], float)
        if not (np.isfinite(ear).all() and np.isfinite(sh).all() and np.isfinite(hip).all()):
            return
        s = -1.0 if facing == "left" else 1.0
        ax.plot([sh[0], hip[0]], [sh[1], hip[1]], color=colors.get("trunk", GREEN), lw=4, solid_capstyle="round")
        ax.plot([ear[0], sh[0]], [ear[1], sh[1]], color=colors.get("neck", GREEN), lw=4, solid_capstyle="round")
        for p in (ear, sh, hip):
            ax.plot(*p, "o", ms=6, mfc="white", mec=DARK, mew=1)
        r = 8 * scale_px
        # CVA proxy: horizontal (forward) through the shoulder vs shoulder->ear.
        ax.plot([sh[0], sh[0] + s * 2.2 * r], [sh[1], sh[1]], color="white", lw=1, ls="--")
        cva = row.get("cva_deg")
        if cva is not None and np.isfinite(cva):
            angle_arc(ax, sh, np.array([s, 0.0]), ear - sh, r, f"CVA {cva:.0f}°", colors.get("neck", GREEN))
        # Trunk lean: vertical through the hip vs hip->shoulder.
        ax.plot([hip[0], hip[0]], [hip[1], hip[1] - 3 * r], color="white", lw=1, ls="--")
        lean = row.get("trunk_lean_deg")
        if lean is not None and np.isfinite(lean):
            angle_arc(ax, hip, np.array([0.0, -1.0]), sh - hip, 2.2 * r, f"trunk {lean:.0f}°",
                      colors.get("trunk", GREEN))
    elif view in ("front", "back"):
        for (li, ri), key, name in ((skeleton.pair("shoulder"), "shoulder_tilt_deg", "shoulders"),
                                    (skeleton.pair("ear"), "head_tilt_deg", "head")):
            p, q = xy[li], xy[ri]
            if not (np.isfinite(p).all() and np.isfinite(q).all()):
                continue
            col = colors.get("neck" if name == "head" else "trunk", GREEN)
            ax.plot([p[0], q[0]], [p[1], q[1]], color=col, lw=3.5, solid_capstyle="round")
            val = row.get(key)
            if val is not None and np.isfinite(val):
                dy = -7 * scale_px if name == "head" else 6 * scale_px  # above the head, on the chest
                ax.text((p[0] + q[0]) / 2, (p[1] + q[1]) / 2 + dy, f"{name} tilt {val:+.0f}°".replace("+0°", "0°"),
                        color="white", fontsize=7.5, fontweight="bold", va="center", ha="center",
                        clip_on=True,
                        bbox={"boxstyle": "round,pad=0.2", "fc": col, "ec": "none", "alpha": 0.9})
