"""The annotated video: the clip with the skeleton, the posture line and live values.

``annotated.mp4`` has exactly the source's frames (one output frame per decoded
frame, none dropped or added), H.264 (libx264, yuv420p) in MP4 with the index at the
front (``+faststart``), so it plays in browsers and on phones. Frames are streamed
from the decoder, drawn on in place with OpenCV and encoded one by one: memory stays
bounded whatever the clip's length.

Colours: the ear-shoulder (neck) segment is green while the per-frame CVA proxy is
within the norm, amber past the mild threshold and red past the moderate one; the
shoulder-hip (trunk) segment likewise for the trunk-lean fault, and the ear-nose
segment for gaze. In a front/back view the shoulder line is coloured by the smaller
ear-shoulder gap.
"""

from __future__ import annotations

import logging
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from formcheck.assess.analysis import Analysis
from formcheck.assess.norms import THRESHOLDS, Threshold

log = logging.getLogger(__name__)

ANNOTATED = "annotated.mp4"
PRESET = "ultrafast"
CRF = 23
PREFETCH = 8

# RGB colours (frames are RGB).
GREEN = (47, 158, 68)
AMBER = (245, 159, 0)
RED = (201, 42, 42)
WHITE = (255, 255, 255)
BONE = (230, 230, 230)
JOINT = (116, 192, 252)
#: severity code per frame: 0 within norm, 1 mild, 2 moderate or severe
STATUS_COLORS = (GREEN, AMBER, RED)


def status_codes(values: np.ndarray, th: Threshold) -> np.ndarray:
    """Per-value status: 0 within the norm (or NaN), 1 past ``mild``, 2 past ``moderate``."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        if th.direction == "below":
            mild, moderate = v <= th.mild, v <= th.moderate
        else:
            mild, moderate = v >= th.mild, v >= th.moderate
    return mild.astype(np.int8) + moderate.astype(np.int8)


def _col(frames, name: str, n: int) -> np.ndarray:
    return frames[name].to_numpy(dtype=np.float64) if name in frames else np.full(n, np.nan)


class _Overlay:
    """Everything per frame, computed once up front; :meth:`draw` is then cheap."""

    def __init__(self, analysis: Analysis, width: int, height: int):
        fr = analysis.frames
        n = len(fr)
        self.n = n
        self.view = analysis.view.view
        self.xy = analysis.pose.xy  # (n, K, 2) float32; pixel positions are taken per frame (memory)
        sk = analysis.pose.skeleton
        self.edges = sk.edge_indices
        self.level_pairs = (sk.pair("shoulder"), sk.pair("ear"))
        self.details = sk.detail_indices  # face details: too small to read
        unit = min(width, height) / 720.0
        self.thick = max(1, int(round(2 * unit)))
        self.line = max(2, int(round(5 * unit)))
        self.radius = max(2, int(round(4 * unit)))
        self.font = 0.7 * unit
        self.font_th = max(1, int(round(1.6 * unit)))
        self.row_h = int(round(30 * unit))
        codes = {f.code for f in analysis.faults}
        self.lines: list[tuple[str, np.ndarray, np.ndarray]] = []  # (label fmt, values, status)
        zeros = np.zeros(n, np.int8)
        if self.view in ("side", "oblique"):
            key = {name: np.stack([_col(fr, f"{name}_x", n), _col(fr, f"{name}_y", n)], axis=1)
                   for name in ("nose", "ear", "shoulder", "hip")}
            self.key = {k: (np.isfinite(v).all(axis=1), np.nan_to_num(v).round().astype(np.int32))
                        for k, v in key.items()}
            fh, wl, gz = THRESHOLDS["forward_head"], THRESHOLDS["waist_lean"], THRESHOLDS["gaze_down"]
            self.neck = status_codes(_col(fr, fh.metric, n), fh)
            self.trunk = status_codes(_col(fr, wl.metric, n), wl) if "waist_lean" in codes else zeros
            self.head = status_codes(_col(fr, gz.metric, n), gz)
            self.lines = [
                (f"CVA proxy {{:.0f}} deg (norm >= {fh.mild:g})", _col(fr, "cva_deg", n), self.neck),
                ("trunk lean {:.0f} deg", _col(fr, "trunk_lean_deg", n), self.trunk),
                (f"head pitch {{:.0f}} deg (norm <= {gz.mild:g})", _col(fr, "head_pitch_deg", n), self.head),
            ]
        elif self.view in ("front", "back"):
            rs = THRESHOLDS["raised_shoulders"]
            gap = np.fmin(_col(fr, "left_shoulder_elevation_torso", n),
                          _col(fr, "right_shoulder_elevation_torso", n))
            self.shoulders = status_codes(gap, rs)
            self.lines = [
                ("shoulder tilt {:+.0f} deg", _col(fr, "shoulder_tilt_deg", n), zeros),
                ("head tilt {:+.0f} deg", _col(fr, "head_tilt_deg", n), zeros),
                (f"ear-shoulder gap {{:.2f}} torso (norm >= {rs.mild:g})", gap, self.shoulders),
            ]
        step = fr["step"].to_numpy() if "step" in fr else np.full(n, -1)
        self.step = step
        self.n_steps = analysis.steps.count
        shown = analysis.metrics.get("cadence_spm", {}).get("median")  # None when withheld
        self.cadence = float(shown) if shown is not None else float("nan")
        self.panel_w = int(round(370 * unit))

    def draw(self, img: np.ndarray, i: int) -> None:
        """Draw frame ``i``'s overlay on ``img`` (RGB, modified in place)."""
        if i >= self.n:
            return
        aa = cv2.LINE_AA
        xy = self.xy[i].astype(np.float64)
        ok: np.ndarray = np.isfinite(xy).all(axis=1)
        p: np.ndarray = np.nan_to_num(xy).round().astype(np.int32)
        for a, b in self.edges:
            if ok[a] and ok[b]:
                cv2.line(img, tuple(p[a]), tuple(p[b]), BONE, self.thick, aa)
        if self.view in ("side", "oblique"):
            kok = {k: v[0][i] for k, v in self.key.items()}
            kp = {k: tuple(v[1][i]) for k, v in self.key.items()}
            if kok["shoulder"] and kok["hip"]:
                cv2.line(img, kp["shoulder"], kp["hip"], STATUS_COLORS[self.trunk[i]], self.line, aa)
            if kok["ear"] and kok["shoulder"]:
                cv2.line(img, kp["ear"], kp["shoulder"], STATUS_COLORS[self.neck[i]], self.line, aa)
            if kok["ear"] and kok["nose"]:
                cv2.line(img, kp["ear"], kp["nose"], STATUS_COLORS[self.head[i]], self.thick + 1, aa)
            for k in ("ear", "shoulder", "hip"):
                if kok[k]:
                    cv2.circle(img, kp[k], self.radius + 2, WHITE, -1, aa)
        elif self.view in ("front", "back"):
            col = STATUS_COLORS[self.shoulders[i]]
            for a, b in self.level_pairs:
                if ok[a] and ok[b]:
                    cv2.line(img, tuple(p[a]), tuple(p[b]), col, self.line, aa)
        for j in np.flatnonzero(ok):
            if j in self.details:
                continue
            cv2.circle(img, tuple(p[j]), self.radius, JOINT, -1, aa)
        self._panel(img, i)

    def _panel(self, img: np.ndarray, i: int) -> None:
        rows = len(self.lines) + 1
        h, w = img.shape[:2]
        x0, y0 = int(self.row_h * 0.4), int(self.row_h * 0.4)
        x1, y1 = min(w, x0 + self.panel_w), min(h, y0 + rows * self.row_h + self.row_h // 3)
        roi = img[y0:y1, x0:x1]
        np.right_shift(roi, 2, out=roi)  # darken to a quarter: a readable backdrop, cheap
        y = y0 + self.row_h
        for label, values, status in self.lines:
            v = values[i]
            text = label.format(v) if np.isfinite(v) else label.split("{")[0] + "n/a"
            dot = (x0 + self.row_h // 2, y - self.row_h // 4)
            cv2.circle(img, dot, self.row_h // 4, STATUS_COLORS[status[i]] if np.isfinite(v) else (120, 120, 120),
                       -1, cv2.LINE_AA)
            cv2.putText(img, text, (x0 + self.row_h, y), cv2.FONT_HERSHEY_SIMPLEX, self.font, WHITE,
                        self.font_th, cv2.LINE_AA)
            y += self.row_h
        step = int(self.step[i])
        text = (f"step {step + 1}/{self.n_steps}" if step >= 0 else "step -") + \
            (f"  cadence {self.cadence:.0f}/min" if np.isfinite(self.cadence) and self.cadence > 0 else "")
        cv2.putText(img, text, (x0 + self.row_h, y), cv2.FONT_HERSHEY_SIMPLEX, self.font, WHITE,
                    self.font_th, cv2.LINE_AA)


def _frame_rate(fps: float) -> Fraction:
    rate = Fraction(fps).limit_denominator(1001)
    return rate if rate > 0 else Fraction(30)


def write_annotated_video(analysis: Analysis, folder: Path, preset: str = PRESET, crf: int = CRF) -> Path:
    """Write ``annotated.mp4`` into ``folder``: the clip with skeleton, posture line and values.

    One output frame per source frame (``len(analysis.frames)``); a frame the decoder
    fails to deliver at the end is replaced by the last one, so the count always matches.
    H.264 High profile, yuv420p, even width and height (an odd last row/column is cropped).
    """
    import av

    from formcheck.io.video import iter_frames

    t0 = time.perf_counter()
    video = analysis.video
    n = len(analysis.frames)
    w, h = video.width - video.width % 2, video.height - video.height % 2
    overlay = _Overlay(analysis, video.width, video.height)
    path = Path(folder) / ANNOTATED
    written = 0
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=_frame_rate(video.fps))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"preset": preset, "crf": str(crf), "movflags": "+faststart"}
        stream.codec_context.thread_count = 0  # x264 picks (frame threads on all cores)
        last = None
        for frame in iter_frames(video, prefetch=PREFETCH):
            if written >= n:
                break
            img = frame.rgb
            if img.shape[0] != video.height or img.shape[1] != video.width:
                img = cv2.resize(img, (video.width, video.height), interpolation=cv2.INTER_AREA)
            overlay.draw(img, written)
            last = img[:h, :w]
            _encode(container, stream, last, written)
            written += 1
        if last is None:
            last = np.zeros((h, w, 3), np.uint8)
        while written < n:  # the decoder delivered fewer frames than were analysed
            _encode(container, stream, last, written)
            written += 1
        for packet in stream.encode(None):
            container.mux(packet)
    dt = time.perf_counter() - t0
    log.info("annotated video: %d frames %dx%d in %.2f s (%.0f fps)", written, w, h, dt, written / max(dt, 1e-9))
    return path


def _encode(container, stream, rgb: np.ndarray, index: int) -> None:
    import av

    yuv: np.ndarray = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YUV_I420)  # faster than swscale
    frame = av.VideoFrame.from_ndarray(yuv.astype(np.uint8, copy=False), format="yuv420p")
    frame.pts = index
    for packet in stream.encode(frame):
        container.mux(packet)
