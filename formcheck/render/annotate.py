"""The annotated video: the clip with the skeleton, the posture line and live values.

``annotated.mp4`` has exactly the source's frames (one output frame per decoded
frame, none dropped or added), H.264 (libx264, yuv420p) in MP4 with the index at the
front (``+faststart``), so it plays in browsers and on phones. Frames are streamed
from the decoder, drawn on with OpenCV and encoded one by one: memory stays bounded
whatever the clip's length. They stay in the decoder's YUV: only the two boxes the
overlay covers (the runner's, the panel's) are turned into RGB, drawn on and turned
back, so the rest of each frame is the source's samples, untouched, and the colour
conversions cost a fraction of a whole frame's.

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
#: The annotated video's shorter side at most (px): "720p". A coach watches it on a laptop
#: or a phone, where 720 lines show the skeleton and the panel sharply (the panel's text
#: scales with the frame). A 1080p clip (measured): x264 at 720 lines takes 0.4 of the
#: time at 1080 (0.6 with the scaling), the file 0.57 of the bytes, the whole writer 0.8 of
#: the CPU time (decoding stays at full size). 0 keeps the source's size.
MAX_SHORT_SIDE = 720

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

    def __init__(self, analysis: Analysis, width: int, height: int,
                 scale: tuple[float, float] = (1.0, 1.0)):
        """For frames ``width`` x ``height``: the source's pixel positions times ``scale`` (x, y)."""
        fr = analysis.frames
        n = len(fr)
        self.n = n
        self.view = analysis.view.view
        # (n, K, 2) float32 as the analysis holds it; the pixel positions (times ``scale``)
        # are taken per frame (:meth:`_points`), not kept for every frame (memory).
        self.xy = analysis.pose.xy
        self.scale = np.asarray(scale, np.float64)
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
            key = {name: np.stack([_col(fr, f"{name}_x", n), _col(fr, f"{name}_y", n)], axis=1) * np.asarray(scale)
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
        """Draw frame ``i``'s overlay on ``img`` (RGB, the whole frame, modified in place)."""
        if i >= self.n:
            return
        self.draw_skeleton(img, i)
        self._panel(img, i, (0, 0), img.shape[1], img.shape[0])

    def draw_i420(self, yuv: np.ndarray, i: int) -> None:
        """Draw frame ``i``'s overlay on ``yuv`` (I420, (H * 3 / 2, W), modified in place):
        the same pixels as :meth:`draw` on the frame in RGB, converted only inside the
        boxes the overlay covers."""
        if i >= self.n:
            return
        h, w = yuv.shape[0] * 2 // 3, yuv.shape[1]
        box = self.skeleton_box(i, w, h)
        if box is not None:
            with _RgbBox(yuv, w, h, box) as (rgb, origin):
                self.draw_skeleton(rgb, i, origin)
        texts, box = self._panel_layout(i, w, h)
        if box[2] > box[0] and box[3] > box[1]:
            with _RgbBox(yuv, w, h, box) as (rgb, origin):
                self._panel(rgb, i, origin, w, h, texts)

    def _points(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Frame ``i``'s landmarks: which are known (K,) and their pixel positions (K, 2)
        int32 in the written frame."""
        xy = self.xy[i].astype(np.float64) * self.scale
        return np.isfinite(xy).all(axis=1), np.nan_to_num(xy).round().astype(np.int32)

    def skeleton_box(self, i: int, w: int, h: int) -> tuple[int, int, int, int] | None:
        """(x0, y0, x1, y1): what :meth:`draw_skeleton` draws on frame ``i`` lies inside
        it (within a ``w`` x ``h`` frame); None when it draws nothing."""
        ok, p = self._points(i)
        p = p[ok]
        if self.view in ("side", "oblique"):
            p = np.concatenate([p, *[v[1][i][None] for v in self.key.values() if v[0][i]]])
        if not len(p):
            return None
        m = max(self.line, self.thick + 1, self.radius + 2) + 3  # half a line or a dot, and the anti-aliasing
        x0, y0 = p.min(axis=0) - m
        x1, y1 = p.max(axis=0) + m + 1
        x0, y0, x1, y1 = max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1))
        return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None

    def draw_skeleton(self, img: np.ndarray, i: int, origin: tuple[int, int] = (0, 0)) -> None:
        """The skeleton and the posture lines of frame ``i``, on ``img`` whose top left
        corner is at ``origin`` in the frame."""
        aa = cv2.LINE_AA
        ok, p = self._points(i)
        p = p - np.asarray(origin, np.int32)
        for a, b in self.edges:
            if ok[a] and ok[b]:
                cv2.line(img, tuple(p[a]), tuple(p[b]), BONE, self.thick, aa)
        if self.view in ("side", "oblique"):
            kok = {k: v[0][i] for k, v in self.key.items()}
            kp = {k: tuple(v[1][i] - np.asarray(origin, np.int32)) for k, v in self.key.items()}
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

    def _panel_layout(self, i: int, w: int, h: int) -> tuple[list[str], tuple[int, int, int, int]]:
        """The panel's lines of text for frame ``i`` and the box that holds the panel and
        its text (a long line may run past the panel)."""
        texts = []
        for label, values, _ in self.lines:
            v = values[i]
            texts.append(label.format(v) if np.isfinite(v) else label.split("{")[0] + "n/a")
        step = int(self.step[i])
        texts.append((f"step {step + 1}/{self.n_steps}" if step >= 0 else "step -")
                     + (f"  cadence {self.cadence:.0f}/min" if np.isfinite(self.cadence) and self.cadence > 0 else ""))
        x0 = y0 = int(self.row_h * 0.4)
        top, x1, y1 = y0, x0 + self.panel_w, y0 + len(texts) * self.row_h + self.row_h // 3
        for k, text in enumerate(texts):
            (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, self.font, self.font_th)
            baseline = y0 + (k + 1) * self.row_h
            top = min(top, baseline - th - self.font_th - 2)
            x1 = max(x1, x0 + self.row_h + tw + self.font_th + 2)
            y1 = max(y1, baseline + base + self.font_th + 2)
        return texts, (x0, max(0, top), min(w, x1), min(h, y1))

    def _panel(self, img: np.ndarray, i: int, origin: tuple[int, int], w: int, h: int,
               texts: list[str] | None = None) -> None:
        """The panel of values of frame ``i`` (top left of a ``w`` x ``h`` frame) on
        ``img``, whose top left corner is at ``origin`` in the frame."""
        texts = texts if texts is not None else self._panel_layout(i, w, h)[0]
        rows = len(self.lines) + 1
        ox, oy = origin
        x0, y0 = int(self.row_h * 0.4), int(self.row_h * 0.4)
        x1, y1 = min(w, x0 + self.panel_w), min(h, y0 + rows * self.row_h + self.row_h // 3)
        roi = img[y0 - oy:y1 - oy, x0 - ox:x1 - ox]
        np.right_shift(roi, 2, out=roi)  # darken to a quarter: a readable backdrop, cheap
        x0, y0 = x0 - ox, y0 - oy
        y = y0 + self.row_h
        for (_, values, status), text in zip(self.lines, texts, strict=False):
            dot = (x0 + self.row_h // 2, y - self.row_h // 4)
            cv2.circle(img, dot, self.row_h // 4,
                       STATUS_COLORS[status[i]] if np.isfinite(values[i]) else (120, 120, 120), -1, cv2.LINE_AA)
            cv2.putText(img, text, (x0 + self.row_h, y), cv2.FONT_HERSHEY_SIMPLEX, self.font, WHITE,
                        self.font_th, cv2.LINE_AA)
            y += self.row_h
        cv2.putText(img, texts[-1], (x0 + self.row_h, y), cv2.FONT_HERSHEY_SIMPLEX, self.font, WHITE,
                    self.font_th, cv2.LINE_AA)


class _RgbBox:
    """``with _RgbBox(yuv, w, h, box) as (rgb, origin)``: the part of an I420 frame inside
    ``box`` (widened to even edges) as an RGB array to draw on; written back on exit."""

    #: Box widths are rounded up to a multiple of this: OpenCV's I420 <-> RGB conversions
    #: run their vector code on 128-pixel runs of a row and the rest pixel by pixel, which
    #: made a 350 px wide box cost more than a whole 1280 px frame (4.5x per pixel).
    WIDTH_STEP = 128

    def __init__(self, yuv: np.ndarray, w: int, h: int, box: tuple[int, int, int, int]):
        x0, y0, x1, y1 = box
        self.x0, self.y0 = x0 - x0 % 2, y0 - y0 % 2
        self.x1, self.y1 = min(w, x1 + x1 % 2), min(h, y1 + y1 % 2)
        wide = -(-(self.x1 - self.x0) // self.WIDTH_STEP) * self.WIDTH_STEP
        if wide <= w:  # widen to the right, or to the left at the frame's right edge
            self.x0 = min(self.x0, w - wide)
            self.x1 = self.x0 + wide
        flat = yuv.reshape(-1)
        n, q = w * h, w * h // 4
        self.planes = (flat[:n].reshape(h, w), flat[n:n + q].reshape(h // 2, w // 2),
                       flat[n + q:].reshape(h // 2, w // 2))

    def _parts(self) -> list[tuple[np.ndarray, int]]:
        ys, xs = slice(self.y0, self.y1), slice(self.x0, self.x1)
        ys2, xs2 = slice(self.y0 // 2, self.y1 // 2), slice(self.x0 // 2, self.x1 // 2)
        return [(self.planes[0][ys, xs], 1), (self.planes[1][ys2, xs2], 2), (self.planes[2][ys2, xs2], 2)]

    def __enter__(self) -> tuple[np.ndarray, tuple[int, int]]:
        bw, bh = self.x1 - self.x0, self.y1 - self.y0
        sub = np.concatenate([part.reshape(-1) for part, _ in self._parts()]).reshape(bh * 3 // 2, bw)
        self.rgb = np.asarray(cv2.cvtColor(sub, cv2.COLOR_YUV2RGB_I420))
        return self.rgb, (self.x0, self.y0)

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            return
        back = np.asarray(cv2.cvtColor(self.rgb, cv2.COLOR_RGB2YUV_I420)).reshape(-1)
        k = 0
        for part, _ in self._parts():
            part[...] = back[k:k + part.size].reshape(part.shape)
            k += part.size


def _frame_rate(fps: float) -> Fraction:
    rate = Fraction(fps).limit_denominator(1001)
    return rate if rate > 0 else Fraction(30)


def output_size(width: int, height: int, max_short_side: int = MAX_SHORT_SIDE) -> tuple[int, int]:
    """The annotated video's (width, height) for a ``width`` x ``height`` source: the
    source's size with an odd last row or column cropped, or, when its shorter side is
    longer than ``max_short_side`` (> 0), scaled down to that (aspect kept, sides even)."""
    short = min(width, height)
    if max_short_side <= 0 or short <= max_short_side:
        return width - width % 2, height - height % 2
    s = max_short_side / short
    w, h = int(round(width * s)), int(round(height * s))
    return max(2, w - w % 2), max(2, h - h % 2)


def _resize_i420(yuv: np.ndarray, w0: int, h0: int, w: int, h: int) -> np.ndarray:
    """An I420 frame of ``w0`` x ``h0`` scaled down to ``w`` x ``h``, plane by plane.

    Bilinear below a factor of 2 (1080p -> 720p: its 2x2 taps cover each output pixel's
    footprint; OpenCV's area averaging costs 2.4x as much at a 1.5 factor), area
    averaging from 2 up (4K -> 720p), where bilinear would skip pixels and shimmer."""
    interp = cv2.INTER_AREA if min(w0, h0) >= 2 * min(w, h) else cv2.INTER_LINEAR
    flat = yuv.reshape(-1)
    n, q = w0 * h0, w0 * h0 // 4
    planes = ((flat[:n].reshape(h0, w0), (w, h)), (flat[n:n + q].reshape(h0 // 2, w0 // 2), (w // 2, h // 2)),
              (flat[n + q:].reshape(h0 // 2, w0 // 2), (w // 2, h // 2)))
    return np.concatenate([cv2.resize(pl, size, interpolation=interp).reshape(-1)
                           for pl, size in planes]).reshape(h * 3 // 2, w)


def write_annotated_video(analysis: Analysis, folder: Path, preset: str = PRESET, crf: int = CRF,
                          max_short_side: int = MAX_SHORT_SIDE) -> Path:
    """Write ``annotated.mp4`` into ``folder``: the clip with skeleton, posture line and values.

    One output frame per source frame (``len(analysis.frames)``); a frame the decoder
    fails to deliver at the end is replaced by the last one, so the count always matches.
    H.264 High profile, yuv420p, even width and height (an odd last row/column is cropped);
    a source whose shorter side is longer than ``max_short_side`` is scaled down to it
    (:func:`output_size`; 0 keeps the source's size).
    """
    import av

    from formcheck.io.video import iter_i420

    t0 = time.perf_counter()
    video = analysis.video
    n = len(analysis.frames)
    w0, h0 = video.width - video.width % 2, video.height - video.height % 2
    w, h = output_size(video.width, video.height, max_short_side)
    scaled = (w, h) != (w0, h0)
    if scaled:
        overlay = _Overlay(analysis, w, h, (w / video.width, h / video.height))
    else:
        overlay = _Overlay(analysis, video.width, video.height)
    path = Path(folder) / ANNOTATED
    written = 0
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=_frame_rate(video.fps))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"preset": preset, "crf": str(crf), "movflags": "+faststart"}
        stream.codec_context.thread_count = 0  # x264 picks (frame threads on all cores)
        last = None
        for yuv in iter_i420(video, prefetch=PREFETCH):
            if written >= n:
                break
            if scaled:
                yuv = _resize_i420(yuv, w0, h0, w, h)
            overlay.draw_i420(yuv, written)
            last = yuv
            _encode(container, stream, yuv, written)
            written += 1
        if last is None:
            last = np.zeros((h * 3 // 2, w), np.uint8)
            last[:h], last[h:] = 16, 128  # black (limited range)
        while written < n:  # the decoder delivered fewer frames than were analysed
            _encode(container, stream, last, written)
            written += 1
        for packet in stream.encode(None):
            container.mux(packet)
    dt = time.perf_counter() - t0
    log.info("annotated video: %d frames %dx%d in %.2f s (%.0f fps)", written, w, h, dt, written / max(dt, 1e-9))
    return path


def _encode(container, stream, yuv: np.ndarray, index: int) -> None:
    import av

    frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
    frame.pts = index
    for packet in stream.encode(frame):
        container.mux(packet)
