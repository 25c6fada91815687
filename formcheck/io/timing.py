"""The capture frame rate a clip's file records, for slow-motion clips.

A slow-motion clip is filmed at a high frame rate and played at a lower one, so one
second of the file shows ``1 / factor`` seconds of the run, with
``factor = capture fps / playback fps``. Phones record this in the container:

- Android writes the key ``com.android.capture.fps`` (e.g. ``240.000000``) into the MP4's
  ``meta`` box; FFmpeg (and so PyAV) exposes it as container metadata. A clip stored at
  its capture rate carries the same value as its stream rate (factor 1); a clip stored
  slowed (240 fps shown at 30) gives factor 8.
- Apple writes ``com.apple.quicktime.full-frame-rate-playback-intent``: ``0`` marks a
  slow-motion capture, but the frames are stored with their real timestamps (240 fps in
  the file; the Photos app slows them when it plays), so the file's own time is real time
  (factor 1). Exported or shared copies are re-timed and usually lose the tag; those are
  left to the gait check (:mod:`formcheck.kinematics.timing`).

FFmpeg writes such keys back only with ``movflags=use_metadata_tags``; the tests make
their own files that way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

ANDROID_CAPTURE_FPS = "com.android.capture.fps"
APPLE_PLAYBACK_INTENT = "com.apple.quicktime.full-frame-rate-playback-intent"

#: Capture and playback rates this close (relative) are the same rate: factor 1.
SAME_RATE_TOLERANCE = 0.05


@dataclass(frozen=True)
class CaptureRate:
    """What the file says about its capture rate.

    ``factor`` is ``capture_fps / playback_fps`` (real time = playback time / factor), or
    None when the file says nothing usable.
    """

    factor: float | None
    capture_fps: float | None
    playback_fps: float
    key: str | None
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"factor": self.factor, "capture_fps": self.capture_fps,
                "playback_fps": round(self.playback_fps, 4), "key": self.key, "note": self.note}


def _number(text: object) -> float | None:
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if value > 0 and value < 100_000 else None


def capture_rate_from_tags(tags: dict[str, str], playback_fps: float) -> CaptureRate:
    """The capture rate from a clip's metadata tags (container and stream merged).

    Parameters
    ----------
    tags : dict of str to str
        The metadata tags (keys matched case-insensitively).
    playback_fps : float
        The stream's stated (playback) frame rate, frames per second.

    Returns
    -------
    CaptureRate
        The slow-motion factor (None when the tags do not say), the capture and playback
        rates, the tag it came from and a sentence explaining it.
    """
    low = {k.lower(): v for k, v in tags.items()}
    capture = _number(low.get(ANDROID_CAPTURE_FPS)) if ANDROID_CAPTURE_FPS in low else None
    if capture is not None and playback_fps > 0:
        factor = capture / playback_fps
        if abs(factor - 1.0) <= SAME_RATE_TOLERANCE:
            return CaptureRate(1.0, capture, playback_fps, ANDROID_CAPTURE_FPS,
                               f"captured at {capture:g} fps and stored at that rate: real time")
        return CaptureRate(round(factor, 4), capture, playback_fps, ANDROID_CAPTURE_FPS,
                           f"captured at {capture:g} fps, played at {playback_fps:g} fps: "
                           f"{factor:.3g}x slow motion")
    intent = str(low.get(APPLE_PLAYBACK_INTENT, "")).strip()
    if intent == "0":
        return CaptureRate(1.0, playback_fps, playback_fps, APPLE_PLAYBACK_INTENT,
                           "an Apple slow-motion capture with its real timestamps (the player "
                           "slows it); analysed at real speed")
    return CaptureRate(None, None, playback_fps, None, "no capture rate in the file")


def read_capture_rate(path: str | Path, playback_fps: float) -> CaptureRate:
    """Read the capture rate tags of the clip at ``path`` (see the module doc).

    Never raises for a readable video; an unreadable one gives "no capture rate".

    Parameters
    ----------
    path : str or Path
        The clip.
    playback_fps : float
        Its playback frame rate.

    Returns
    -------
    CaptureRate
    """
    try:
        with av.open(str(path), mode="r") as container:
            tags: dict[str, str] = dict(container.metadata)
            if container.streams.video:
                tags.update(container.streams.video[0].metadata)
    except (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError):
        return CaptureRate(None, None, playback_fps, None, "metadata not readable")
    return capture_rate_from_tags(tags, playback_fps)
