"""Records of how a clip was captured and read: the pose model used, the camera roll,
and everything the pose pass hands to the analysis (:class:`Extracted`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.model.pose import PoseSeries
from formcheck.model.results import DecodeStats, ModelMeta, VideoMeta


@dataclass(frozen=True)
class TiltEstimate:
    """Estimated camera roll (deg). Positive: lines that should be level slope down to
    the right in the image (y grows downwards), i.e. the frame is rotated clockwise."""

    roll_deg: float | None
    lines: int
    spread_deg: float | None
    applied: bool
    note: str
    warn: bool = False  #: large but uncertain: worth a warning, not a correction

    def to_dict(self) -> dict[str, object]:
        r = None if self.roll_deg is None else round(self.roll_deg, 2)
        s = None if self.spread_deg is None else round(self.spread_deg, 2)
        return {"roll_deg": r, "lines": self.lines, "spread_deg": s, "applied": self.applied,
                "note": self.note, "method": "background lines (Canny + Hough), runner masked"}


@dataclass
class Extracted:
    """The runner's raw landmarks and what was learnt about the clip on the way."""

    raw: PoseSeries
    video: VideoMeta
    model: ModelMeta
    tilt: TiltEstimate
    decode: DecodeStats
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: the file's capture-rate record (:class:`formcheck.io.timing.CaptureRate` as a dict)
    capture: dict[str, Any] | None = None
    #: per raw frame, its change from the frame before (:func:`formcheck.io.video.frame_change`)
    frame_change: np.ndarray | None = None
