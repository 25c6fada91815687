"""Analysis settings: one frozen object, loadable from TOML, overridden by CLI options.

Only the orchestration (:mod:`formcheck.assess.analysis`, the CLI, batch) unpacks it;
the metric functions take plain arguments.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from formcheck.errors import InputError

View = Literal["auto", "side", "front", "back"]

#: Field metadata of a setting that does not change the analysis (which files are
#: written, how many threads): :meth:`Settings.fingerprint` leaves it out. Give it to
#: every new output flag, or every batch resume would rerun its clips.
NOT_ANALYSIS = {"analysis": False}


@dataclass(frozen=True)
class Settings:
    """Everything that changes an analysis result.

    Attributes
    ----------
    model : path of a ``.task`` bundle, or None for the bundled model.
    view : "auto" to detect, or force "side" / "front" / "back".
    height_cm, mass_kg : the runner's height and body mass, if known. Height gives
        centimetre values; mass scales the neck-load estimate.
    min_visibility : landmarks below this MediaPipe visibility are dropped.
    max_gap_s : gaps up to this long are filled by interpolation; longer stay empty.
    cutoff_hz : low-pass cut-off of the zero-phase Butterworth filter (order 4,
        applied forwards and backwards). 6 Hz follows Sports2D and Pose2Sim.
    video : write ``annotated.mp4``.
    report : write ``report.pdf`` / ``report.png``.
    speed : how many times slower than real time the clip plays (2 for 60 fps footage
        shown at 30, 8 for 240 at 30; below 1 for time-lapse): real time = playback
        time / speed. None = the file's capture rate if it records one, else 1 (a
        slow-motion gait is then reported and a factor proposed, not applied).
    threads : pose landmarkers run side by side on the clip's two consecutive parts (each
        keeps about one core busy); 0 = one per core, at most 2. Batch workers use 1. It
        changes the speed only, never a result (so it is not in :meth:`fingerprint`).
    video_size : ``annotated.mp4``'s shorter side at most, px (720: "720p", plenty on the
        laptop or phone a coach watches it on; a larger source is scaled down: for a 1080p
        clip, 0.57 of the bytes and 0.8 of the writer's CPU time); 0 keeps the source's size.
    """

    model: str | None = None
    view: View = "auto"
    height_cm: float | None = None
    mass_kg: float | None = None
    min_visibility: float = 0.5
    max_gap_s: float = 0.25
    cutoff_hz: float = 6.0
    video: bool = field(default=True, metadata=NOT_ANALYSIS)
    report: bool = field(default=True, metadata=NOT_ANALYSIS)
    speed: float | None = field(default=None, metadata={
        "description": "slow-motion factor given (--speed), or None"})
    threads: int = field(default=0, metadata=NOT_ANALYSIS)
    video_size: int = field(default=720, metadata=NOT_ANALYSIS)

    def __post_init__(self) -> None:
        if self.view not in ("auto", "side", "front", "back"):
            raise InputError(f"--view must be auto, side, front or back, not {self.view!r}")
        if self.height_cm is not None and not 80 <= self.height_cm <= 250:
            raise InputError(f"a height of {self.height_cm:g} cm is not a plausible height (80-250 cm)")
        if self.mass_kg is not None and not 20 <= self.mass_kg <= 250:
            raise InputError(f"a body mass of {self.mass_kg:g} kg is not plausible (20-250 kg)")
        if not 0 <= self.min_visibility < 1:
            raise InputError("min_visibility must be in [0, 1)")
        if self.cutoff_hz <= 0:
            raise InputError("cutoff_hz must be positive")
        if self.speed is not None and not 0.05 <= self.speed <= 100:
            raise InputError(f"--speed {self.speed:g} is not a plausible slow-motion factor (0.05-100: "
                             "capture fps / playback fps)")
        if not 0 <= self.threads <= 64:
            raise InputError("threads must be between 0 (automatic) and 64")
        if self.video_size != 0 and not 120 <= self.video_size <= 4320:
            raise InputError(f"--video-size {self.video_size} is not a video size: 120-4320 px "
                             "(the shorter side), or 0 for the source's size")

    def pose_threads(self) -> int:
        """How many landmarkers to run side by side (see ``threads``)."""
        if self.threads:
            return self.threads
        import os

        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, min(2, cores))

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def fingerprint(self) -> str:
        """Hash of the settings that change the analysis: every field but those marked
        :data:`NOT_ANALYSIS` (which files are written, how many threads: the
        speed only, results are the same for any count, tested)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
             if f.metadata.get("analysis", True)}
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]

