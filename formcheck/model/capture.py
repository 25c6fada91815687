"""Records of how a clip was captured and read: the pose model used, the camera roll,
and everything the pose pass hands to the analysis (:class:`Extracted`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formcheck.model.pose import PoseSeries
from formcheck.model.results import CameraTilt, DecodeStats, ModelMeta, VideoMeta


@dataclass
class Extracted:
    """The runner's raw landmarks and what was learnt about the clip on the way."""

    raw: PoseSeries
    video: VideoMeta
    model: ModelMeta
    tilt: CameraTilt
    decode: DecodeStats
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: the file's capture-rate record (:class:`formcheck.io.timing.CaptureRate` as a dict)
    capture: dict[str, Any] | None = None
    #: per raw frame, its change from the frame before (:func:`formcheck.io.video.frame_change`)
    frame_change: np.ndarray | None = None
