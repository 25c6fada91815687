"""The typed result of one clip's analysis: what ``summary.json`` holds.

Every consumer of an analysis folder (the report, batch resume, the session library,
the web app, notebooks) reads it through :func:`formcheck.io.folder.read_analysis`,
which validates ``summary.json`` against :class:`AnalysisResult` (after migrating a
folder written by an older formcheck); the pipeline writes it through the same model.
``docs/summary.schema.json`` is generated from it (``python -m formcheck.model.results``)
and a test keeps the checked-in file and ``docs/outputs.md`` in step with it.

Why pydantic (v2) rather than plain dataclasses: the folder is read back from disk,
often written by another version, so validation on read is the point; pydantic gives it,
plus JSON Schema generation and the models the web layer serves, from one declaration.

Conventions (as everywhere in formcheck): pixels of the upright frame, image y
downwards, "forward" is the way the runner faces; ``None`` means "not measured", never
zero. Unknown keys are kept (``extra="allow"``), so a newer folder still loads in an
older reader and nothing is lost on a round trip.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import typing
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    create_model,
    field_serializer,
    model_serializer,
    model_validator,
)

from formcheck.model.settings import Settings

#: Version of the ``summary.json`` layout. 1.0 was written by formcheck 0.1;
#: :func:`formcheck.io.migrate.migrate_summary` upgrades it.
SCHEMA_VERSION = "2.0"

Severity = Literal["mild", "moderate", "severe"]
CheckStatus = Literal["found", "possible", "not_found", "not_measurable", "needs_side_view", "too_few_steps"]
FaultStatus = Literal["found", "possible", "not_measurable"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=False)


_VIDEO_POSITIONAL = ("path", "fps", "frames", "width", "height", "rotation", "codec")


def _without_unset(data: Any, key: str) -> Any:
    """``data`` (a serialized record) without ``key`` where its value is false (0, False,
    None): a field added later is then written only by the clips it applies to, and every
    other summary stays as it was."""
    if isinstance(data, dict) and not data.get(key):
        data.pop(key, None)
    return data


class VideoMeta(_Record):
    """The clip as decoded."""

    # The pipeline's record of the clip too (what formcheck.io.video reads frames by):
    # immutable and hashable; built by keyword from a folder, or positionally,
    # VideoMeta(path, fps, frames, width, height, rotation=0, codec=""), where duration_s
    # is frames / fps (0 without a frame rate) and an unknown codec is ""; replace() keeps
    # them in step. Written rounded: fps to 4 decimals, duration_s to 3.
    model_config = ConfigDict(extra="allow", frozen=True)

    path: str
    fps: float = Field(description="frames per second of the file (playback rate)")
    frames: int = Field(description="frames decoded")
    width: int = Field(description="width of the upright (rotation-corrected) frame, px")
    height: int = Field(description="height of the upright frame, px")
    duration_s: float
    rotation: int = Field(default=0, description="display-matrix rotation in the file, deg")
    codec: str | None = None
    turn: int = Field(default=0, description=(
        "clockwise turn (deg) formcheck gave every frame on top of the file's rotation, because "
        "the runner was found only that way up (frames stored sideways or upside down); 0 normally"))

    if TYPE_CHECKING:
        def __init__(self, path: str, fps: float, frames: int, width: int, height: int,
                     rotation: int = 0, codec: str | None = "", **data: Any) -> None: ...
    else:
        def __init__(self, *args: Any, **data: Any) -> None:
            if len(args) > len(_VIDEO_POSITIONAL):
                raise TypeError(f"VideoMeta takes at most {len(_VIDEO_POSITIONAL)} positional arguments")
            super().__init__(**dict(zip(_VIDEO_POSITIONAL, args, strict=False)), **data)

    @model_validator(mode="before")
    @classmethod
    def _made_here(cls, data: Any) -> Any:
        # Made by the pipeline (a folder's record has its duration): the duration from the
        # frames and the frame rate, an unknown codec "". Anything else is left to validation.
        if isinstance(data, dict) and "duration_s" not in data:
            fps, frames = data.get("fps"), data.get("frames")
            if isinstance(fps, int | float | np.number) and isinstance(frames, int | float | np.number):
                data = {**data, "duration_s": frames / fps if fps > 0 else 0.0}
                data.setdefault("codec", "")
        return data

    def replace(self, **changes: Any) -> VideoMeta:
        """A copy with ``changes``; ``duration_s`` follows ``frames`` and ``fps``."""
        data = {k: getattr(self, k) for k in (*_VIDEO_POSITIONAL, "turn")}
        return VideoMeta(**{**data, **(self.model_extra or {}), **changes})

    @field_serializer("fps")
    def _fps(self, fps: float) -> float:
        return round(fps, 4)

    @model_serializer(mode="wrap")
    def _turn_only_when_turned(self, handler: Any) -> Any:
        # a clip that needed no turn is written as it always was
        return _without_unset(handler(self), "turn")

    @field_serializer("duration_s")
    def _duration(self, t: float) -> float:
        return round(t, 3)


class ModelMeta(_Record):
    """The pose model bundle used."""

    # The pipeline's record of the model too (formcheck.pose.bundle.resolve_model makes it),
    # immutable and hashable; path is the bundle's file as a string.
    model_config = ConfigDict(extra="allow", frozen=True)

    name: str
    sha256: str
    bundled: bool
    path: str


def _settings_record() -> type[_Record]:
    """:class:`SettingsRecord`, generated from :class:`~formcheck.model.settings.Settings`:
    its fields, types, defaults and descriptions (a setting added there is recorded here).
    A choice among words (``view``) is read as any string, so a folder written by another
    version still loads."""
    hints = typing.get_type_hints(Settings)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        kind = hints[f.name]
        if typing.get_origin(kind) is Literal:
            kind = str
        fields[f.name] = (kind, Field(default=f.default, description=f.metadata.get("description")))
    return create_model("SettingsRecord", __base__=_Record, __module__=__name__,
                        __doc__="The analysis settings (:class:`formcheck.model.settings.Settings`).",
                        **fields)


SettingsRecord = _settings_record()


class Detection(_Record):
    """How often the runner was found, and how the runner was chosen."""

    frames_with_runner: int
    frames: int
    fraction: float
    runner_selection: dict[str, Any] = Field(
        default_factory=dict,
        description="method, people_seen, tracks, reason, chosen (scores), runner_up, joined_tracks")


class CleaningRecord(_Record):
    """What cleaning did to the landmark series."""

    min_visibility: float
    max_gap_s: float
    cutoff_hz: float | None = Field(description="the low-pass cut-off applied; None: no filter (the cut-off "
                                    "is not below the clip's Nyquist frequency)")
    filter: str
    points_low_visibility: int
    points_outliers: int
    points_filled: int


#: How formcheck.pose.tilt estimates the roll (the ``method`` it records).
TILT_METHOD = "background lines (Canny + Hough), runner masked"
#: A roll at least this large (deg) that was not applied (too uncertain) is worth a warning.
TILT_WARN_DEG = 2.0


class CameraTilt(_Record):
    """Camera roll estimated from background lines."""

    # The pipeline's record too (formcheck.pose.tilt.estimate_roll makes it), immutable.
    # Positive roll: lines that should be level slope down to the right in the image (y
    # grows downwards), i.e. the frame is rotated clockwise. Written rounded to 0.01 deg.
    model_config = ConfigDict(extra="allow", frozen=True)

    roll_deg: float | None
    lines: int
    spread_deg: float | None
    applied: bool
    note: str
    method: str = ""

    @property
    def warn(self) -> bool:
        """Large but uncertain (not applied): worth a warning, not a correction."""
        return not self.applied and self.roll_deg is not None and abs(self.roll_deg) >= TILT_WARN_DEG

    @field_serializer("roll_deg", "spread_deg")
    def _centi(self, deg: float | None) -> float | None:
        return None if deg is None else round(deg, 2)


class ViewDetail(_Record):
    """How the camera view was decided."""

    view: str = Field(description="side, oblique, front, back or unknown")
    facing: str | None = None
    width_ratio: float | None = None
    method: str = "detected"
    yaw_deg: float | None = Field(
        default=None,
        description="direction the runner faces in the ground plane, from the image's +x axis "
        "towards the camera: 0 faces right, 90 faces the camera, 180 left, 270 away")
    yaw_sd_deg: float | None = Field(default=None, description="frame-to-frame spread of the yaw (robust sd)")
    off_side_deg: float | None = Field(
        default=None, description="angle between the direction of running and the image plane")
    oblique: dict[str, float] | None = Field(
        default=None, description="oblique view only: stretch 1/cos(yaw) applied to forward offsets, yaw "
        "uncertainty, relative band on the angles' tangents, perspective bias on the neck angles (deg)")
    cues: dict[str, Any] = Field(default_factory=dict, description="the yaw of each cue and which was used")


class Gait(_Record):
    kind: str = "unclear"
    correlation: float | None = None


class TimingRecord(_Record):
    """How playback time relates to real time (:mod:`formcheck.kinematics.timing`)."""

    factor: float = Field(default=1.0, description="applied: real time = playback time / factor")
    source: Literal["given", "metadata", "proposed", "none"] = Field(
        default="none", description="where the factor came from; 'proposed': none applied, "
                                    "the gait suggests proposed_factor")
    proposed_factor: float | None = None
    playback_cadence_spm: float | None = None
    real_cadence_spm: float | None = None
    capture: dict[str, Any] | None = Field(
        default=None, description="the file's capture-rate record: factor, capture_fps, "
                                  "playback_fps, key, note")
    timeline: dict[str, Any] = Field(
        default_factory=dict, description="stated_fps, median_fps, irregular_fraction, variable")
    repeated_frames: int = Field(default=0, description="frames left out as repeats of the one before")
    message: str | None = None
    notes: list[str] = Field(default_factory=list)
    implausible: bool = Field(default=False, description="the playback cadence is slower than any human "
                              "gait (with no known factor)")
    gait_unknown: bool = Field(default=False, description="the factor was proposed without the gait judged "
                               "(a front or back view, or hips that do not show it): a walk at real "
                               "speed is also possible")

    @field_serializer("playback_cadence_spm", "real_cadence_spm")
    def _spm(self, cadence: float | None) -> float | None:
        return None if cadence is None else round(float(cadence), 1)

    @model_serializer(mode="wrap")
    def _gait_unknown_only_when_set(self, handler: Any) -> Any:
        # a clip whose gait was judged (or that needed no proposal) is written as it always was
        return _without_unset(handler(self), "gait_unknown")

    @property
    def slow_motion_unconfirmed(self) -> bool:
        """Rates at playback speed cannot be the runner's: withhold them."""
        return self.source == "proposed" or self.implausible

    def reason(self) -> str:
        """Why the clock-dependent metrics are withheld."""
        if self.source == "proposed" and self.proposed_factor is not None and self.gait_unknown:
            return (f"the playback cadence is below any running cadence and the gait could not be judged "
                    f"from this view: ~{self.proposed_factor:g}x slow motion if this is running (pass "
                    f"--speed {self.proposed_factor:g}), or a walk at real speed (pass --speed 1)")
        if self.source == "proposed" and self.proposed_factor is not None:
            return (f"the clip looks like ~{self.proposed_factor:g}x slow motion; pass --speed "
                    f"{self.proposed_factor:g} to confirm")
        return ("the playback cadence is slower than any walk or run (slow motion, or strides "
                "counted as steps); pass --speed FACTOR if the clip is slow motion")


class MetricSummary(_Record):
    """One metric over the counted steps."""

    median: float | None = None
    p10: float | None = None
    p90: float | None = None
    unit: str = ""
    measurable: bool = False
    description: str = ""
    n_steps: int | None = None
    reason: str | None = Field(default=None, description="why the metric is not measurable")
    band: Severity | None = Field(default=None, description="severity band of the median against the metric's threshold (None: within "
                          "the norm or no threshold); decided in formcheck.assess, not by renderers")
    exempt: str | None = Field(default=None, description="why a median past its threshold is not a fault (e.g. whole-body lean)")


class DriftEntry(_Record):
    """A metric's change from the first to the last third of the steps."""

    first_third: float | None
    last_third: float | None
    change: float | None
    limit: float | None = Field(default=None, description="change towards worse that counts as drift")
    worse: Literal["up", "down"] | None = None
    score: float | None = Field(default=None, description="change towards worse / limit")
    exceeds: bool | None = Field(default=None, description="the change towards worse reached the limit: drift")
    standard_error: float | None = Field(default=None, description="standard error of the change (step-to-step spread)")
    clears_error: bool | None = Field(default=None, description="past the limit by more than the standard error")
    resolvable: bool | None = Field(default=None, description="the standard error is below the limit: a drift of "
                                    "the limit can be told from none (else not judged)")


class Worst(_Record):
    step: int | None = None
    frame: int | None = None
    time_s: float | None = None
    value: float | None = None


class FaultEvidence(_Record):
    """The measured evidence for a fault (threshold faults fill the metric fields;
    ``form_drift`` fills ``changes``)."""

    metric: str | None = None
    unit: str | None = None
    median: float | None = None
    p10: float | None = None
    p90: float | None = None
    threshold: dict[str, Any] | None = None
    steps_past_threshold: float | None = None
    worst: Worst | None = None
    source: str | None = None
    within_measurement_error: bool | None = None
    changes: dict[str, DriftEntry] | None = None
    steps_per_third: int | None = None
    measurement_error: dict[str, float | None] | None = Field(
        default=None, description="one SD of the clip median about the truth: total and its parts")
    interval: dict[str, float | None] | None = Field(
        default=None, description="the interval the severity is judged on: low, high (median +/- sd x "
        "the measurement error's total), sd")
    median_band: Severity | None = Field(
        default=None, description="the band of the median alone (the severity is the band of the whole interval)")
    first_step: int | None = Field(default=None, description="form_drift: first step of the stretch judged")
    last_step: int | None = Field(default=None, description="form_drift: last step of the stretch judged")


class FaultRecord(_Record):
    code: str
    severity: Severity
    status: FaultStatus = Field(default="found", description="how sure: found (the whole interval, median +/- "
                                "the clip's measurement error, lies past the threshold; severity = the highest "
                                "band it lies past), possible (severity mild), or not measurable here")
    confidence: str = Field(default="", description="how sure, in words, with the numbers")
    title: str = Field(default="", description="short name of the fault")
    message: str
    advice: str
    evidence: FaultEvidence

    @property
    def frame(self) -> int | None:
        """The evidence frame (the worst moment's), if any."""
        return self.evidence.worst.frame if self.evidence.worst is not None else None


class Check(_Record):
    """One line of the checklist of every fault formcheck looks for."""

    code: str
    title: str
    status: CheckStatus
    severity: Severity | None = None
    text: str = Field(description="the line as a person reads it")


class ChangePointRecord(_Record):
    """An abrupt change of posture or pace between step ``step - 1`` and ``step``."""

    step: int
    t_s: float
    frame: int
    changes: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="per metric: before, after (medians), change, limit")

    @field_serializer("t_s")
    def _ms(self, t: float) -> float:
        return round(t, 3)


class SegmentRecord(_Record):
    """A stretch of steps between abrupt changes and its median posture."""

    first_step: int
    last_step: int
    steps: int
    t_start_s: float
    t_end_s: float
    medians: dict[str, float | None] = Field(default_factory=dict)

    @field_serializer("t_start_s", "t_end_s")
    def _ms(self, t: float) -> float:
        return round(t, 3)


class PostureSegments(_Record):
    # made by formcheck.assess.segments.segment_steps
    method: str = ""
    limits: dict[str, float] = Field(default_factory=dict)
    change_points: list[ChangePointRecord] = Field(default_factory=list)
    segments: list[SegmentRecord] = Field(default_factory=list)

    @property
    def changed_metrics(self) -> set[str]:
        """Metrics that jump at some change point (their drift is not fatigue)."""
        return {m for cp in self.change_points for m in cp.changes}


class EvidenceFrames(_Record):
    worst: int | None = None
    best: int | None = None


class DecodeStats(_Record):
    frames_decoded: int = 0
    frames_stated: int = 0
    bad_packets: int = 0
    errors: list[str] = Field(default_factory=list)


class AnalysisResult(_Record):
    """Everything ``summary.json`` holds for one clip."""

    schema_version: str = SCHEMA_VERSION
    formcheck_version: str
    analysis_revision: int | None = Field(
        default=None, description="formcheck.ANALYSIS_REVISION that made it (None: written before it was kept)")
    made_with: dict[str, str | None] = Field(
        default_factory=dict, description="versions of Python and the libraries that can move a number")
    video: VideoMeta
    model: ModelMeta
    settings: SettingsRecord  # type: ignore[valid-type]  # generated from Settings
    settings_fingerprint: str
    detection: Detection
    cleaning: CleaningRecord
    camera_tilt: CameraTilt | None = None
    view: str
    facing: str | None = None
    view_detail: ViewDetail
    steps: int
    segments: str = Field(default="steps", description="'steps' or 'windows' (no step rhythm: 1 s windows)")
    gait: Gait = Field(default_factory=Gait)
    timing: TimingRecord = Field(default_factory=TimingRecord)
    step_period_s: float | None = None
    metrics: dict[str, MetricSummary]
    drift: dict[str, DriftEntry] = Field(default_factory=dict)
    posture_segments: PostureSegments | None = Field(
        default=None, description="abrupt changes of posture or pace and the stretches between them")
    faults: list[FaultRecord] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    evidence_frames: EvidenceFrames = Field(default_factory=EvidenceFrames)
    assumptions: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    decode: DecodeStats = Field(default_factory=DecodeStats)
    timings_s: dict[str, float] = Field(default_factory=dict)

    def metric(self, name: str) -> MetricSummary:
        """The summary of ``name``; an unmeasured placeholder when the folder lacks it.

        Parameters
        ----------
        name : str
            A metric name (a key of ``metrics``).

        Returns
        -------
        MetricSummary
            The metric's summary, or one with no values and the reason "not in this analysis".
        """
        return self.metrics.get(name) or MetricSummary(reason="not in this analysis")

    def fault(self, code: str) -> FaultRecord | None:
        """The fault record with code ``code``, or None when the analysis has none.

        Parameters
        ----------
        code : str
            A fault code (e.g. ``"forward_head"``).

        Returns
        -------
        FaultRecord or None
            The first fault with that code; None when no fault has it.
        """
        return next((f for f in self.faults if f.code == code), None)

    def to_json_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (``None`` for missing values)."""
        return self.model_dump(mode="json")


def json_ready(obj: Any) -> Any:
    """``obj`` with numpy scalars and arrays made plain, non-finite floats made ``None``
    and paths made strings: what JSON (and the model) accepts.

    Parameters
    ----------
    obj : Any
        A value, possibly nested in dicts, lists and tuples.

    Returns
    -------
    Any
        The same structure with dict keys made strings, tuples and arrays made lists, numpy
        booleans, integers and floats made Python ones, NaN and infinities made None and
        paths made strings; anything else unchanged.
    """
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_ready(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_ready(obj.tolist())
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, PurePath):
        return str(obj)
    return obj


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``summary.json`` (``docs/summary.schema.json``)."""
    schema = AnalysisResult.model_json_schema()
    schema["title"] = f"formcheck summary.json (schema {SCHEMA_VERSION})"
    return schema


def main() -> int:
    """``python -m formcheck.model.results`` prints the JSON Schema."""
    sys.stdout.write(json.dumps(json_schema(), indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
