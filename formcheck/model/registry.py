"""The metric and fault registry: one entry per metric and per fault, and every list of
metrics the rest of formcheck shows derived from it.

Adding a metric is: the function that computes it (per frame in
:mod:`formcheck.kinematics.metrics`, or per step in :mod:`formcheck.assess.analysis`),
one :class:`Metric` entry in :data:`METRICS`, and its tests. The summary, the per-step
table, the live view, the comparisons, the batch CSV, the web pages and the reports take
their metrics from here (``tests/test_registry.py`` checks that the metrics computed and
the entries agree, both ways).

The numbers that judge a metric (its norm band, drift and change limits) stay with
their sources in :mod:`formcheck.assess.norms`; an entry names its band by the
threshold's key (:attr:`Metric.norm`).

Order: :data:`METRICS` is in the order of the summary, the batch CSV and the session
table. Comparisons (compare, history) list the side-view metrics first, then the ones
every view measures (cadence), then the front/back-view ones
(:func:`comparison_order`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

#: Which views measure a metric: "side" (side or oblique, the sagittal angles),
#: "front" (front or back), "any" (every view with a runner, e.g. cadence).
Views = Literal["side", "front", "any"]
#: Which way a metric gets better: higher, lower, closer to zero; None: no better direction.
Better = Literal["higher", "lower", "zero"] | None
#: How a step's value is made: "median" of the metric's per-frame values over the step,
#: "stride": their median over the stride that ends with the step (the step and the one
#: before it: for a quantity that goes through one cycle per stride, such as an arm's
#: swing, whose median over one step alternates between the left and the right step),
#: "stance" (median over the stance frames of the step), or "own" (a per-step
#: computation of its own in :func:`formcheck.assess.analysis._step_table`).
PerStep = Literal["median", "stride", "stance", "own"]


@dataclass(frozen=True)
class Metric:
    """One metric: its summary key and everything shown about it.

    Parameters
    ----------
    key : str
        The name in summary.json, frames.csv and steps.csv.
    unit : str
        Its unit as the summary states it ("deg", "torso", "cm", "steps/min", ...).
    label : str
        Its plain-language name in the reports.
    short : str
        Its short lower-case name in comparisons and history plots.
    description : str
        What it measures, with its sign (the summary's ``description``).
    views : {"side", "front", "any"}
        The views that measure it.
    better : {"higher", "lower", "zero"} or None
        Which way it gets better, for judging a change between two sessions.
    per_frame : bool
        Computed per frame by :mod:`formcheck.kinematics.metrics` (a frames.csv column).
    per_step : {"median", "stride", "stance", "own"}
        How a step's value is made from the frames.
    key_metric : bool
        Compared between sessions (compare, history, the reliability study).
    norm : str or None
        The key of the threshold in :data:`formcheck.assess.norms.THRESHOLDS` that
        judges it (its norm band and its fault), None when no threshold does.
    column : str or None
        Its column label in ``formcheck sessions``; None: not shown there.
    batch : bool
        A column of the batch summary CSV.
    timeline : bool
        Drawn on the web session timeline (per frame).
    web_history : bool
        On the web history page and the web comparison made without the statistics.
    needs_steps : bool
        Needs a step rhythm: not measurable when the clip is summarised over time windows.
    clock : bool
        Depends on the clock (a rate or an acceleration): withheld while a slow-motion
        factor is only proposed. Distances and angles do not; the mean neck moment is
        dominated by g.
    """

    key: str
    unit: str
    label: str
    short: str
    description: str
    views: Views
    better: Better = None
    per_frame: bool = False
    per_step: PerStep = "own"
    key_metric: bool = False
    norm: str | None = None
    column: str | None = None
    batch: bool = False
    timeline: bool = False
    web_history: bool = False
    needs_steps: bool = False
    clock: bool = False

    @property
    def fault(self) -> str | None:
        """The code of the fault its threshold raises (the torso variant of the bounce
        threshold raises the same fault as the cm one)."""
        return None if self.norm is None else self.norm.removesuffix("_torso")


@dataclass(frozen=True)
class FaultKind:
    """One fault formcheck looks for.

    Parameters
    ----------
    code : str
        The fault's code in summary.json.
    title : str
        Its title in the reports and the summary.
    short : str
        Its short name where only the code is listed (web lists).
    caption : str
        Its lower-case name in a caption (the report's evidence stills).
    norms : tuple of str
        The keys of the thresholds in :data:`formcheck.assess.norms.THRESHOLDS` that
        raise it (none for the drift fault, which has its own limits).
    """

    code: str
    title: str
    short: str
    caption: str
    norms: tuple[str, ...] = ()


METRICS: tuple[Metric, ...] = (
    Metric("cadence_spm", "steps/min", "Cadence", "cadence",
           "steps per minute (one step = one foot contact)", "any",
           key_metric=True, column="cadence", batch=True, web_history=True, needs_steps=True,
           clock=True),
    Metric("cva_deg", "deg", "Head position (CVA proxy)", "CVA proxy",
           "craniovertebral-angle proxy (horizontal vs shoulder->ear); lower = head further forward",
           "side", "higher", per_frame=True, per_step="median", key_metric=True, norm="forward_head",
           column="CVA", batch=True, timeline=True, web_history=True),
    Metric("head_forward_offset_torso", "torso", "Ear ahead of shoulder", "ear ahead of shoulder",
           "ear ahead of shoulder, in torso lengths; + = forward",
           "side", "lower", per_frame=True, per_step="median", key_metric=True,
           column="head fwd", batch=True, timeline=True, web_history=True),
    Metric("head_forward_offset_cm", "cm", "Ear ahead of shoulder", "ear ahead of shoulder (cm)",
           "ear ahead of shoulder in cm (needs --height-cm)", "side", "lower"),
    Metric("neck_trunk_angle_deg", "deg", "Neck vs trunk angle", "neck vs trunk",
           "neck lean minus trunk lean; + = head forward of the trunk line",
           "side", "lower", per_frame=True, per_step="median", key_metric=True,
           batch=True, timeline=True, web_history=True),
    Metric("trunk_lean_deg", "deg", "Trunk lean", "trunk lean",
           "hip->shoulder from vertical; + = forward",
           "side", "lower", per_frame=True, per_step="median", key_metric=True, norm="waist_lean",
           column="lean", batch=True, timeline=True, web_history=True),
    Metric("waist_bend_deg", "deg", "Bend at the hips", "bend at the waist",
           "trunk lean minus stance-leg (ankle->hip) lean, median over stance; + = bent at the hips",
           "side", "lower", per_frame=True, per_step="stance", key_metric=True,
           column="waist", batch=True, timeline=True, web_history=True, needs_steps=True),
    Metric("shoulder_elevation_torso", "torso", "Ear-shoulder gap", "ear-shoulder gap",
           "ear-shoulder vertical gap in torso lengths; lower = shoulders raised",
           "side", "higher", per_frame=True, per_step="median", key_metric=True,
           norm="raised_shoulders", batch=True, timeline=True, web_history=True),
    Metric("head_pitch_deg", "deg", "Head pitch (gaze)", "gaze (head pitch)",
           "ear->nose below horizontal; + = looking down",
           "side", "lower", per_frame=True, per_step="median", key_metric=True, norm="gaze_down",
           column="pitch", batch=True, timeline=True, web_history=True),
    Metric("elbow_angle_deg", "deg", "Elbow angle (arm carriage)", "elbow angle",
           "angle at the elbow between upper arm and forearm (better-seen arm); 180 = straight arm",
           "side", per_frame=True, per_step="stride", timeline=True),
    Metric("vertical_oscillation_torso", "torso", "Vertical bounce (trunk)", "bounce",
           "trunk rise and fall per step (shoulders, step fundamental), in torso lengths",
           "side", "lower", key_metric=True, norm="excessive_bounce_torso",
           column="bounce", batch=True, web_history=True, needs_steps=True),
    Metric("vertical_oscillation_cm", "cm", "Vertical bounce (trunk)", "bounce (cm)",
           "trunk rise and fall per step in cm (needs --height-cm)",
           "side", "lower", norm="excessive_bounce", batch=True, web_history=True, needs_steps=True),
    Metric("head_bob_deg", "deg", "Head nod per step", "head nod",
           "range of the neck-trunk angle within a step (head nodding)",
           "side", "lower", batch=True, needs_steps=True),
    Metric("neck_load_nm", "N m", "Neck load (mean)", "neck load (mean)",
           "mean forward-head flexion moment over a step (see assumptions)",
           "side", "lower", batch=True),
    Metric("neck_load_peak_nm", "N m", "Neck load (peak)", "neck load (peak)",
           "peak forward-head flexion moment in a step", "side", "lower", clock=True),
    Metric("bounce_load_factor", "x", "Bounce load factor", "bounce load factor",
           "peak (g + vertical head acceleration) / g in a step", "side", "lower", batch=True,
           needs_steps=True, clock=True),
    Metric("shoulder_tilt_deg", "deg", "Shoulder tilt", "shoulder tilt",
           "right->left shoulder line from horizontal; + = left shoulder higher",
           "front", "zero", per_frame=True, per_step="median", key_metric=True, timeline=True),
    Metric("head_tilt_deg", "deg", "Head tilt", "head tilt",
           "right->left ear line from horizontal; + = left ear higher",
           "front", "zero", per_frame=True, per_step="median", key_metric=True, timeline=True),
    Metric("left_shoulder_elevation_torso", "torso", "Left ear-shoulder gap", "left ear-shoulder gap",
           "left ear-shoulder vertical gap; lower = raised",
           "front", "higher", per_frame=True, per_step="median", key_metric=True,
           norm="raised_shoulders"),
    Metric("right_shoulder_elevation_torso", "torso", "Right ear-shoulder gap", "right ear-shoulder gap",
           "right ear-shoulder vertical gap; lower = raised",
           "front", "higher", per_frame=True, per_step="median", key_metric=True,
           norm="raised_shoulders"),
)

#: The faults formcheck looks for, in the order the report lists them.
FAULTS: tuple[FaultKind, ...] = (
    FaultKind("forward_head", "Head held forward of the shoulders", "Forward head", "head forward",
              ("forward_head",)),
    FaultKind("waist_lean", "Leaning forward by bending at the waist", "Bending at the waist",
              "waist bend", ("waist_lean",)),
    FaultKind("raised_shoulders", "Shoulders raised towards the ears", "Raised shoulders",
              "raised shoulders", ("raised_shoulders",)),
    FaultKind("gaze_down", "Looking down", "Looking down", "looking down", ("gaze_down",)),
    FaultKind("excessive_bounce", "Too much vertical bounce", "Too much bounce", "bounce",
              ("excessive_bounce", "excessive_bounce_torso")),
    FaultKind("form_drift", "Form worsens through the clip", "Form drifts as you tire",
              "late in the clip"),
)

BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}
FAULT_BY_CODE: dict[str, FaultKind] = {f.code: f for f in FAULTS}


def keys(metrics: Iterable[Metric]) -> tuple[str, ...]:
    """The keys of ``metrics``, in their order.

    Parameters
    ----------
    metrics : iterable of Metric

    Returns
    -------
    tuple of str
    """
    return tuple(m.key for m in metrics)


def of_view(views: Views) -> tuple[Metric, ...]:
    """The metrics measured in ``views`` ("side", "front" or "any"), in registry order.

    Parameters
    ----------
    views : str
        "side", "front" or "any".

    Returns
    -------
    tuple of Metric
    """
    return tuple(m for m in METRICS if m.views == views)


def comparison_order(metrics: Iterable[Metric]) -> tuple[Metric, ...]:
    """``metrics`` in the order comparisons list them: side-view ones, then the ones
    every view measures, then front/back-view ones (registry order within each).

    Parameters
    ----------
    metrics : iterable of Metric

    Returns
    -------
    tuple of Metric
    """
    ms = tuple(metrics)
    return tuple(m for v in ("side", "any", "front") for m in ms if m.views == v)


#: Metrics computed per frame by :mod:`formcheck.kinematics.metrics`, by view.
SIDE_FRAME_METRICS: tuple[str, ...] = keys(m for m in of_view("side") if m.per_frame)
FRONT_FRAME_METRICS: tuple[str, ...] = keys(m for m in of_view("front") if m.per_frame)
#: Side-view metrics whose step value is the median over the step's frames.
SIDE_STEP_MEDIANS: tuple[str, ...] = keys(m for m in of_view("side") if m.per_step == "median")
#: Side-view metrics whose step value is the median over the stride ending with the step.
SIDE_STRIDE_MEDIANS: tuple[str, ...] = keys(m for m in of_view("side") if m.per_step == "stride")
#: Key metrics (compare, history, reliability), in comparison order.
KEY_METRICS: tuple[str, ...] = keys(comparison_order(m for m in METRICS if m.key_metric))
UNITS: dict[str, str] = {m.key: m.unit for m in METRICS}
LABELS: dict[str, str] = {m.key: m.label for m in METRICS}
SHORT_LABELS: dict[str, str] = {m.key: m.short for m in METRICS}
DESCRIPTIONS: dict[str, str] = {m.key: m.description for m in METRICS}
BETTER: dict[str, Better] = {m.key: m.better for m in METRICS}
#: Fault code -> title; and the short titles by fault code and by threshold key.
FAULT_TITLES: dict[str, str] = {f.code: f.title for f in FAULTS}
FAULT_CAPTIONS: dict[str, str] = {f.code: f.caption for f in FAULTS}
FAULT_SHORT_TITLES: dict[str, str] = {
    **{f.code: f.short for f in FAULTS}, **{n: f.short for f in FAULTS for n in f.norms}}
