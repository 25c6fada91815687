"""What the runner sees and hears: the overlay window and the spoken (or bell) cue.

Used only by ``formcheck live`` without ``--headless``. The overlay draws the
skeleton, the ear-shoulder-hip line in the colour of the forward-head state (green:
fine, amber: past the threshold in this frame, red: the fault is active) and the
latest cue in large text for a few seconds, readable from a treadmill.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import subprocess
import sys

import numpy as np

from formcheck.live.cues import Cue
from formcheck.live.pipeline import FrameResult

log = logging.getLogger(__name__)

#: BGR colours of the ear-shoulder-hip line by state.
LINE_BGR = {"ok": (80, 200, 60), "warn": (0, 190, 255), "fault": (40, 40, 230)}
CUE_SHOW_S = 4.0


def _pt(xy: np.ndarray, i: int, j: int) -> tuple[int, int] | None:
    p = np.nanmean(xy[[i, j]], axis=0) if np.isfinite(xy[[i, j], 0]).any() else None
    return None if p is None else (int(round(p[0])), int(round(p[1])))


def draw(rgb: np.ndarray, result: FrameResult, cue: Cue | None) -> np.ndarray:
    """The overlay as a BGR image (for ``cv2.imshow``)."""
    import cv2

    img = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    h, w = img.shape[:2]
    scale = max(h, w) / 640.0
    xy = result.xy
    if xy is not None:
        sk = result.skeleton
        for a, b in sk.edge_indices:
            if np.isfinite(xy[[a, b]]).all():
                cv2.line(img, (int(xy[a, 0]), int(xy[a, 1])), (int(xy[b, 0]), int(xy[b, 1])),
                         (230, 230, 230), max(1, int(2 * scale)), cv2.LINE_AA)
        chain = [_pt(xy, *sk.pair(part)) for part in ("ear", "shoulder", "hip")]
        colour = LINE_BGR.get(result.line or "", (160, 160, 160))
        for p, q in itertools.pairwise(chain):
            if p is not None and q is not None:
                cv2.line(img, p, q, colour, max(2, int(6 * scale)), cv2.LINE_AA)
        for p in chain:
            if p is not None:
                cv2.circle(img, p, max(3, int(7 * scale)), colour, -1, cv2.LINE_AA)
    cv2.putText(img, f"{result.time_s:6.1f} s  {result.status}", (int(10 * scale), h - int(12 * scale)),
                cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale, (255, 255, 255), max(1, int(scale)), cv2.LINE_AA)
    if cue is not None:
        text = cue.phrase.upper()
        fs = 1.6 * scale
        th = max(2, int(4 * scale))
        (tw, tht), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, fs, th)
        fs *= min(1.0, 0.94 * w / max(tw, 1))
        (tw, tht), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, fs, th)
        x, y = (w - tw) // 2, int(0.16 * h) + tht
        cv2.rectangle(img, (x - 12, y - tht - 12), (x + tw + 12, y + 16), (0, 0, 0), -1)
        cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_DUPLEX, fs, (60, 220, 255), th, cv2.LINE_AA)
    return img


class Speaker:
    """Says a cue with ``espeak-ng`` (or ``espeak``) when installed, else rings the
    terminal bell; never fails. Speech runs in a child process and never blocks the
    loop; a cue that comes while the last one is still spoken is not queued."""

    def __init__(self) -> None:
        self.exe = shutil.which("espeak-ng") or shutil.which("espeak")
        self._proc: subprocess.Popen[bytes] | None = None

    def say(self, text: str) -> None:
        if self.exe:
            if self._proc is not None and self._proc.poll() is None:
                return
            try:
                self._proc = subprocess.Popen([self.exe, "-s", "165", text], stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL)
                return
            except OSError:
                log.debug("speech failed; using the bell", exc_info=True)
                self.exe = None
        try:
            sys.stderr.write("\a")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            try:
                self._proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self._proc.kill()
