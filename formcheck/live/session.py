"""A live session: a frame source, the causal pipeline and (optionally) a recorder.

This is the API the command line and a web page build on::

    session = LiveSession(source, pipeline, recorder=recorder)
    try:
        for result in session:          # one FrameResult per processed frame
            show(result.to_dict())      # overlay data: landmarks, line colour, status
            for cue in result.cues:     # at most one cue per frame
                say(cue.phrase)
    finally:
        summary = session.close()       # always: stops the source, saves the recording

or, with callbacks, ``LiveSession(..., on_result=f, on_cue=g).run()``. Iteration ends
when the source ends (end of clip, camera disconnected, stream stalled); the reason
is ``session.end_reason`` and in the summary. ``close()`` is safe to call on every way
out, Ctrl-C included, and more than once.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.io.sources import FrameSource, SourceFrame, ThreadedSource
from formcheck.live.cues import Cue, CueEngine
from formcheck.live.pipeline import FrameResult, LivePipeline
from formcheck.live.record import SessionRecorder

log = logging.getLogger(__name__)


@dataclass
class LiveSummary:
    """What a session did: frames, drops, latency, cues, why it ended."""

    source: str
    end_reason: str | None
    frames_captured: int
    frames_processed: int
    frames_dropped: int
    latency_p50_ms: float
    latency_p95_ms: float
    steps: int
    cues: list[Cue] = field(default_factory=list)
    recording: str | None = None

    @property
    def dropped_fraction(self) -> float:
        return self.frames_dropped / self.frames_captured if self.frames_captured else 0.0

    def to_dict(self) -> dict[str, Any]:
        def num(v: float) -> float | None:
            return round(v, 2) if math.isfinite(v) else None

        return {"source": self.source, "end_reason": self.end_reason,
                "frames_captured": self.frames_captured, "frames_processed": self.frames_processed,
                "frames_dropped": self.frames_dropped,
                "dropped_fraction": round(self.dropped_fraction, 4),
                "latency_p50_ms": num(self.latency_p50_ms), "latency_p95_ms": num(self.latency_p95_ms),
                "steps": self.steps, "cues": [c.to_dict() for c in self.cues],
                "recording": self.recording}


class LiveSession:
    """Runs ``pipeline`` over ``source``; see the module text for the use."""

    def __init__(self, source: FrameSource, pipeline: LivePipeline,
                 recorder: SessionRecorder | None = None,
                 on_result: Callable[[FrameResult], None] | None = None,
                 on_cue: Callable[[Cue], None] | None = None,
                 closers: list[Callable[[], None]] | None = None) -> None:
        self.source = source
        self._closers = list(closers or [])
        self.pipeline = pipeline
        self.recorder = recorder
        self.on_result, self.on_cue = on_result, on_cue
        self.cues: list[Cue] = []
        self.latencies: list[float] = []
        self.steps = 0
        self._summary: LiveSummary | None = None
        if recorder is not None:
            source.on_capture = recorder.add_frame

    @property
    def end_reason(self) -> str | None:
        return self.source.end_reason

    def __iter__(self) -> Iterator[FrameResult]:
        for _, result in self.iter_frames():
            yield result

    def iter_frames(self) -> Iterator[tuple[SourceFrame, FrameResult]]:
        """Like iterating the session, with each frame's pixels (for an overlay)."""
        clock = self.source.clock
        for frame in self.source:
            start = time.perf_counter()
            result = self.pipeline.process(frame)
            clock.spent(time.perf_counter() - start)
            result.done_s = clock.now()
            self.latencies.append(result.latency_s)
            self.steps += len(result.new_steps)
            if self.recorder is not None:
                self.recorder.add_pose(frame.time_s, frame.index, frame.captured_s,
                                       result.xy, result.visibility, result.skeleton)
            self.cues.extend(result.cues)
            if self.on_result is not None:
                self.on_result(result)
            if self.on_cue is not None:
                for cue in result.cues:
                    self.on_cue(cue)
            yield frame, result

    def run(self) -> LiveSummary:
        """Run to the end of the source (with the callbacks), then :meth:`close`."""
        try:
            for _ in self:
                pass
        finally:
            summary = self.close()
        return summary

    def close(self) -> LiveSummary:
        """Stop the source and finish the recording; return the summary."""
        if self._summary is not None:
            return self._summary
        try:
            self.source.close()
            for close in self._closers:
                close()
        finally:
            st = self.source.stats
            lat = np.asarray([x for x in self.latencies if math.isfinite(x)]) * 1000.0
            p50, p95 = (float(np.percentile(lat, 50)), float(np.percentile(lat, 95))) if lat.size \
                else (math.nan, math.nan)
            summary = LiveSummary(self.source.info.name, self.source.end_reason, st.captured,
                                  len(self.latencies), st.dropped, p50, p95, self.steps,
                                  list(self.cues))
            self._summary = summary
            if self.recorder is not None:
                video = self.recorder.close(session=summary.to_dict(),
                                            cues=[c.to_dict() for c in self.cues])
                summary.recording = str(video) if video else None
        return summary


def start_session(source: FrameSource, *, model: str | None = None, height_cm: float | None = None,
                  record: str | Path | None = None, k_steps: int = 4, cooldown_s: float = 20.0,
                  on_result: Callable[[FrameResult], None] | None = None,
                  on_cue: Callable[[Cue], None] | None = None) -> LiveSession:
    """A ready session with the bundled (or given) pose model: what ``formcheck live``
    and a web page use. The device is opened first, then the landmarker is created,
    then the source's reader thread starts. ``record`` is a folder for the recording (see :mod:`formcheck.live.record`).
    """
    from formcheck.pose.bundle import resolve_model
    from formcheck.pose.stream import PoseTracker

    if isinstance(source, ThreadedSource):
        source.open()  # a missing camera or a wrong URL fails before the model loads
    try:
        tracker = PoseTracker(resolve_model(model))
    except BaseException:
        source.close()
        raise
    try:
        if isinstance(source, ThreadedSource):
            source.start()
        engine = CueEngine(k_steps=k_steps, cooldown_s=cooldown_s, height_known=height_cm is not None)
        pipeline = LivePipeline(tracker, engine, height_cm=height_cm)
        recorder = SessionRecorder(record, fps=source.info.fps or 30.0) if record else None
    except BaseException:
        tracker.close()
        source.close()
        raise
    return LiveSession(source, pipeline, recorder, on_result, on_cue, closers=[tracker.close])
