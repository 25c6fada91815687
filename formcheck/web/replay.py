"""Replay a clip through the web live page's session as the page would send it.

:func:`replay_web` sends a clip through :class:`formcheck.web.live.LiveRun` the way the
page sends a camera's frames: a JPEG of the camera's current frame, the next one only once
the answer has come (frames the camera took meanwhile are never sent), on a simulated clock
(see :mod:`formcheck.live.replay`, the same harness for ``formcheck live``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class WebReplay:
    """What the web page saw: every answer's clip time, status and new steps, the cues."""

    clip: str
    n_steps: int
    cues: list[dict[str, Any]]
    times: np.ndarray
    statuses: list[str]
    frames_sent: int
    frames_skipped: int  # camera frames the page never sent (it was waiting for an answer)
    summary: dict[str, Any] | None

    def first_cue(self, code: str) -> float:
        return next((float(c["time_s"]) for c in self.cues if c["code"] == code), math.nan)


def replay_web(path: str | Path, *, cost_s: float | None = None, model: str | None = None,
               quality: int = 80) -> WebReplay:
    """Play ``path`` through a web live session as the page would (see the module text).

    The clock advances by each round trip (JPEG encoding, decoding, the pipeline) as
    measured, or by ``cost_s`` per frame; the page then sends the camera's newest frame.
    """
    import io
    import time

    from PIL import Image

    from formcheck.io.video import iter_frames, probe
    from formcheck.model.settings import Settings
    from formcheck.web.live import LiveRun, decode_frame

    run = LiveRun(Settings(model=model, video=False, report=False), on_end=lambda _run: None)
    run.start()
    times: list[float] = []
    statuses: list[str] = []
    cues: list[dict[str, Any]] = []
    n_steps = sent = skipped = 0
    clock = 0.0
    try:
        frames = iter(iter_frames(probe(path)))
        nxt = next(frames, None)
        while nxt is not None:
            clock = max(clock, nxt.time_s)  # wait for the camera's next frame
            best, nxt = nxt, next(frames, None)
            while nxt is not None and nxt.time_s <= clock:  # the camera moved on meanwhile
                best, nxt = nxt, next(frames, None)
                skipped += 1
            start = time.perf_counter()
            buf = io.BytesIO()
            Image.fromarray(best.rgb).save(buf, format="JPEG", quality=quality)
            index = run.push(decode_frame(buf.getvalue()), best.time_s)
            answer = run.result_for(index, len(cues))
            clock += cost_s if cost_s is not None else time.perf_counter() - start
            sent += 1
            cues += answer["cues"]
            res = answer.get("result")
            if res is not None:
                times.append(float(res["time_s"]))
                statuses.append(str(res["status"]))
                n_steps += int(res.get("new_steps") or 0)
            if answer["ended"] is not None:
                break
    finally:
        summary = run.stop()
    return WebReplay(Path(path).name, n_steps, cues, np.asarray(times), statuses, sent, skipped,
                     summary)
