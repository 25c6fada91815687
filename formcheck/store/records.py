"""What the library holds, as plain frozen records (no database, no files).

These are what :class:`~formcheck.store.Library` returns and what a web layer or a
notebook consumes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from formcheck.errors import InputError

CONDITIONS = ("treadmill", "outdoor")


@dataclass(frozen=True)
class Conditions:
    """How the session was run. ``condition`` is ``"treadmill"`` or ``"outdoor"``."""

    condition: str | None = None
    speed_kmh: float | None = None
    shoes: str | None = None
    notes: str | None = None

    def __post_init__(self) -> None:
        if self.condition is not None and self.condition not in CONDITIONS:
            raise InputError(f"condition must be one of {', '.join(CONDITIONS)}, not {self.condition!r}")
        if self.speed_kmh is not None and not (0 < self.speed_kmh < 60):
            raise InputError(f"speed must be between 0 and 60 km/h, not {self.speed_kmh:g}")

    def run(self) -> dict[str, str | float | None]:
        """How the session was run, without the notes: condition, speed_kmh, shoes."""
        return {"condition": self.condition, "speed_kmh": self.speed_kmh, "shoes": self.shoes}


@dataclass(frozen=True)
class MetricValue:
    """One metric of one session: the median over steps and the 10th/90th percentiles."""

    name: str
    median: float | None
    p10: float | None
    p90: float | None
    n_steps: int | None
    unit: str | None
    measurable: bool
    reason: str | None = None


@dataclass(frozen=True)
class FaultEntry:
    """One fault formcheck looks for, in one session: ``status`` is ``found``,
    ``not_found``, ``not_measurable``, ``needs_side_view`` or ``too_few_steps``;
    ``severity`` (mild, moderate, severe) is set for a fault found."""

    code: str
    severity: str | None
    status: str

    @property
    def found(self) -> bool:
        return self.status == "found"


@dataclass(frozen=True)
class Athlete:
    id: int
    name: str
    sessions: int
    first: dt.date | None
    last: dt.date | None


@dataclass(frozen=True)
class Session:
    """One recorded session, with its results.

    ``date`` is the day of the session (local time of the machine that recorded it);
    ``time`` the moment (aware, UTC) when the clip's metadata or file time gave one.
    ``folder`` is the analysis folder as it was recorded; see
    :meth:`Library.analysis_folder` for one that is checked to still hold this session.
    """

    id: int
    athlete: str
    date: dt.date
    time: dt.datetime | None
    date_source: str
    conditions: Conditions
    folder: Path
    video: str
    analysis_key: str
    formcheck_version: str
    view: str | None
    facing: str | None
    steps: int | None
    duration_s: float | None
    metrics: dict[str, MetricValue]
    checks: tuple[FaultEntry, ...]
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def faults(self) -> tuple[FaultEntry, ...]:
        """The faults found, worst first (checklist order among equals)."""
        rank = {"severe": 0, "moderate": 1, "mild": 2}
        return tuple(sorted((c for c in self.checks if c.found), key=lambda c: rank.get(c.severity or "", 3)))


@dataclass(frozen=True)
class Recorded:
    """What :meth:`Library.record` did: ``status`` is added, updated or unchanged."""

    session_id: int
    athlete: str
    date: dt.date
    folder: Path
    status: Literal["added", "updated", "unchanged"]
