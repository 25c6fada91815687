"""Per-step fault states and the cue engine: when to tell the runner, and what.

Each step's posture values are judged against the offline analysis's own thresholds
(:data:`formcheck.assess.norms.THRESHOLDS`, the ``mild`` band), one step at a time:

* **bad**: past the threshold (what the report would call at least mild);
* **clear**: back inside the norm by at least a margin (:data:`CLEAR_MARGINS`);
* **between**: neither (inside the norm, but too close to the threshold to clear);
* **None**: not measurable in this step.

A fault becomes *active* after ``k_steps`` consecutive bad steps and stops being
active only after ``k_steps`` consecutive clear steps (hysteresis: values hovering at
the threshold neither start nor stop it). A cue is spoken when a fault becomes active,
unless the same cue was given less than ``cooldown_s`` ago (it is then given when the
cool-down ends, if the fault is still active) or any cue was given less than
``min_gap_s`` ago (one thing at a time; the most important waits least). While a fault
stays active the cue is repeated every ``remind_s`` (None: never).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from formcheck.assess.norms import CUES, THRESHOLDS, WHOLE_BODY_LEAN_MAX_BEND, Threshold

#: Fault codes in order of importance for the neck (as the report orders them).
CUE_ORDER: tuple[str, ...] = ("forward_head", "waist_lean", "raised_shoulders", "gaze_down",
                              "excessive_bounce")

#: How far back inside the norm a value must be to count as clear, by unit. About the
#: step-to-step noise of the per-step values (2-3 deg, 0.01-0.02 torso lengths, see
#: ``norms.DRIFT_SOURCE``), so noise alone cannot switch a fault off and on again.
CLEAR_MARGINS: dict[str, float] = {"deg": 3.0, "torso": 0.02, "cm": 1.0}

State = Literal["bad", "between", "clear"]


def threshold_for(code: str, height_known: bool) -> Threshold:
    """The offline threshold a cue uses (bounce in cm only when the height is known)."""
    if code == "excessive_bounce" and not height_known:
        return THRESHOLDS["excessive_bounce_torso"]
    return THRESHOLDS[code]


def judge(value: float, th: Threshold, margin: float) -> State | None:
    """bad / between / clear for one step's value (None when not measurable)."""
    if value is None or not math.isfinite(value):
        return None
    if th.severity(value) is not None:
        return "bad"
    inside = value >= th.mild + margin if th.direction == "below" else value <= th.mild - margin
    return "clear" if inside else "between"


def step_states(values: dict[str, float], height_known: bool,
                margins: dict[str, float] | None = None) -> dict[str, State | None]:
    """Each fault's state for one step's values (keys as in the step table).

    ``waist_lean`` is not bad when the step's ``waist_bend_deg`` shows a whole-body
    lean from the ankles (:data:`~formcheck.assess.norms.WHOLE_BODY_LEAN_MAX_BEND`), as
    in the offline rule.
    """
    margins = CLEAR_MARGINS if margins is None else margins
    out: dict[str, State | None] = {}
    for code in CUE_ORDER:
        th = threshold_for(code, height_known)
        out[code] = judge(values.get(th.metric, math.nan), th, margins[th.unit])
    bend = values.get("waist_bend_deg", math.nan)
    if out["waist_lean"] == "bad" and math.isfinite(bend) and bend < WHOLE_BODY_LEAN_MAX_BEND:
        out["waist_lean"] = "clear"
    return out


@dataclass(frozen=True)
class Cue:
    """A cue event: at clip time ``time_s`` (s), fault ``code``; ``phrase`` is what to say."""

    time_s: float
    code: str
    phrase: str
    metric: str
    value: float  # the step value that completed the run of bad steps (or the latest)
    threshold: float
    reminder: bool = False

    def line(self) -> str:
        """The headless output line: clip time, fault code, phrase."""
        return f"{self.time_s:6.1f} s  {self.code}  {self.phrase}"

    def to_dict(self) -> dict[str, object]:
        return {"time_s": round(self.time_s, 3), "code": self.code, "phrase": self.phrase,
                "metric": self.metric, "value": round(self.value, 3) if math.isfinite(self.value) else None,
                "threshold": self.threshold, "reminder": self.reminder}


@dataclass
class _FaultTrack:
    bad_run: int = 0
    clear_run: int = 0
    active: bool = False
    owed: bool = False  # active, and its cue not given yet
    last_cue_s: float = -math.inf
    last_value: float = math.nan


@dataclass
class CueEngine:
    """Turns per-step fault states into cues (see the module text)."""

    k_steps: int = 4
    cooldown_s: float = 20.0
    min_gap_s: float = 4.0
    remind_s: float | None = 60.0
    height_known: bool = False
    margins: dict[str, float] = field(default_factory=lambda: dict(CLEAR_MARGINS))

    def __post_init__(self) -> None:
        if self.k_steps < 1 or self.cooldown_s < 0 or self.min_gap_s < 0:
            raise ValueError("k_steps must be >= 1, cooldown_s and min_gap_s >= 0")
        self._tracks = {code: _FaultTrack() for code in CUE_ORDER}
        self._last_any = -math.inf

    @property
    def active(self) -> list[str]:
        """Fault codes active now, most important first."""
        return [c for c in CUE_ORDER if self._tracks[c].active]

    def step(self, time_s: float, values: dict[str, float]) -> list[Cue]:
        """Feed one step's values (confirmed at clip time ``time_s``); return the cues
        to give now (at most one)."""
        states = step_states(values, self.height_known, self.margins)
        for code, state in states.items():
            tr = self._tracks[code]
            th = threshold_for(code, self.height_known)
            tr.last_value = values.get(th.metric, math.nan)
            if state == "bad":
                tr.bad_run += 1
                tr.clear_run = 0
            elif state == "clear":
                tr.clear_run += 1
                tr.bad_run = 0
            else:  # between, or not measurable: breaks both runs
                tr.bad_run = tr.clear_run = 0
            if not tr.active and tr.bad_run >= self.k_steps:
                tr.active, tr.owed = True, True
            elif tr.active and tr.clear_run >= self.k_steps:
                tr.active, tr.owed = False, False
        return self.poll(time_s)

    def interrupt(self) -> None:
        """The steps stop being judged for a while (the machine became too slow for the
        step detector): runs of bad or clear steps are broken, as by a step that could
        not be measured, so no cue is built from steps on both sides of the gap."""
        for tr in self._tracks.values():
            tr.bad_run = tr.clear_run = 0

    def poll(self, time_s: float) -> list[Cue]:
        """Cues due at ``time_s`` without a new step (a cool-down that has ended)."""
        if time_s - self._last_any < self.min_gap_s:
            return []
        for code in CUE_ORDER:
            tr = self._tracks[code]
            if not tr.active:
                continue
            since = time_s - tr.last_cue_s
            reminder = (not tr.owed and self.remind_s is not None and since >= self.remind_s)
            if (tr.owed and since >= self.cooldown_s) or reminder:
                th = threshold_for(code, self.height_known)
                tr.owed = False
                tr.last_cue_s = self._last_any = time_s
                return [Cue(time_s, code, CUES[code], th.metric, tr.last_value, th.mild,
                            reminder=reminder)]
        return []
