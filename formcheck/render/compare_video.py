"""``compare.mp4``: two sessions' clips side by side, aligned step by step.

A simple alignment: step ``k`` of A is shown beside step ``k`` of B (k = 1 .. the
smaller step count), both stretched in time to the longer of the two steps, so the two
runners reach mid-stance together once per step; frames outside the counted steps are
left out. Each side is the session's ``annotated.mp4`` when the folder has one (one
frame per source frame, so step frames index it directly), otherwise its source video;
both are scaled to a common height (at most 480 px) and labelled A and B. Played at
the slower session's frame rate. Frames are streamed (the step frames only move
forward), so memory stays at a few frames.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from formcheck.errors import InputError

log = logging.getLogger(__name__)

MAX_HEIGHT = 480


def step_alignment(steps_a: Any, steps_b: Any) -> list[tuple[int, int]]:
    """``(frame of A, frame of B)`` per output frame.

    For step pair ``k`` with frame ranges ``[a0, a1]`` and ``[b0, b1]``, ``L = max(a1 -
    a0, b1 - b0) + 1`` output frames; output frame ``i`` shows ``a0 + round(i (a1 - a0)
    / (L - 1))`` and the same for B. Both indices never decrease; the frame two steps
    share (one step's end is the next one's start) is shown once.
    """
    pairs: list[tuple[int, int]] = []
    sa = steps_a.sort_values("frame_start")
    sb = steps_b.sort_values("frame_start")
    for (_, ra), (_, rb) in zip(sa.iterrows(), sb.iterrows(), strict=False):
        a0, a1 = int(ra["frame_start"]), int(ra["frame_end"])
        b0, b1 = int(rb["frame_start"]), int(rb["frame_end"])
        n = max(a1 - a0, b1 - b0) + 1
        for i in range(n):
            f = i / (n - 1) if n > 1 else 0.0
            pa, pb = a0 + round(f * (a1 - a0)), b0 + round(f * (b1 - b0))
            if pairs and (pa < pairs[-1][0] or pb < pairs[-1][1] or (pa, pb) == pairs[-1]):
                continue  # a shared boundary frame once; overlapping ranges: only forward
            pairs.append((pa, pb))
    return pairs


def _source(session: Any) -> Any:
    from formcheck.io.video import probe

    annotated = session.folder / "annotated.mp4"
    if annotated.is_file():
        return probe(annotated)
    info = session.video_info
    if info is not None and Path(info.path).is_file():
        return info
    raise InputError(f"{session.folder}: neither annotated.mp4 nor the source video "
                     f"({info.path if info else 'unknown'}) is available for --video")


class _Cursor:
    """Forward-only access to a clip's frames by index."""

    def __init__(self, info: Any, height: int) -> None:
        from formcheck.io.video import iter_frames

        self._it: Iterator[Any] = iter(iter_frames(info, prefetch=8))
        self._index = -1
        self._frame: np.ndarray | None = None
        self._height = height
        self._width = max(2, 2 * round(info.width * height / info.height / 2))

    @property
    def width(self) -> int:
        return self._width

    def get(self, index: int) -> np.ndarray:
        while self._index < index:
            nxt = next(self._it, None)
            if nxt is None:
                break
            self._index = nxt.index
            self._frame = nxt.rgb
        if self._frame is None:
            return np.zeros((self._height, self._width, 3), np.uint8)
        return cv2.resize(self._frame, (self._width, self._height), interpolation=cv2.INTER_AREA)


def write_side_by_side(a: Any, b: Any, path: Path) -> Path:
    """Write ``path`` (H.264 MP4): A left, B right, step k beside step k."""
    import av

    info_a, info_b = _source(a), _source(b)
    pairs = step_alignment(a.steps, b.steps)
    if not pairs:
        raise InputError("no steps to align for --video")
    height = 2 * (min(MAX_HEIGHT, info_a.height, info_b.height) // 2)
    ca, cb = _Cursor(info_a, height), _Cursor(info_b, height)
    fps = min(info_a.fps, info_b.fps) or 30.0
    width = ca.width + cb.width
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23"}
        for k, (fa, fb) in enumerate(pairs):
            img = np.concatenate([ca.get(fa), cb.get(fb)], axis=1)
            for x, label in ((8, "A"), (ca.width + 8, "B")):
                cv2.putText(img, label, (x, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (255, 255, 255), 2,
                            cv2.LINE_AA)
            yuv = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2YUV_I420).astype(np.uint8, copy=False)
            frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
            frame.pts = k
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
