"""Decisions about a clip that every renderer displays and none re-makes.

* :func:`drift_table`: each metric's change from the first to the last third of the
  steps, with its limit and how far towards worse it went (the ``form_drift`` fault
  and the report's drift panel both read this one table).
* :func:`metric_bands`: the severity band of each metric's median against its
  threshold, and why a median past its threshold is not a fault (whole-body lean).
* :func:`checklist`: one line per fault formcheck looks for: found, not found, not
  measurable here, needs a side view, too few steps.

All three take summary-level data only (plain dicts of the per-step table's medians,
fault codes), so a folder written by an older formcheck can be brought up to date
with the same rules: :data:`SUMMARY_UPGRADES` holds the schema steps that need them,
which the folder reader (:func:`formcheck.io.folder.read_analysis`) is given by its
caller (io knows no assessment rules).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from formcheck.assess.norms import DRIFT_LIMITS, DRIFT_MIN_STEPS, THRESHOLDS, Threshold
from formcheck.model import registry

#: Fewer counted steps than this and drift is not judged: a trend needs three thirds of
#: at least two whole strides (:data:`formcheck.assess.norms.DRIFT_MIN_STEPS`).
MIN_DRIFT_STEPS = DRIFT_MIN_STEPS

#: The faults formcheck looks for, in the order the report lists them.
CHECKS = ("forward_head", "waist_lean", "raised_shoulders", "gaze_down", "excessive_bounce", "form_drift")

TITLES = registry.FAULT_TITLES

#: How a fault's title starts when formcheck is not sure of it.
STATUS_PREFIX = {"found": "", "possible": "Possibly: ", "not_measurable": "Cannot tell here: "}


def fault_title(fault: Mapping[str, Any]) -> str:
    """The fault's name, prefixed with how sure formcheck is when it is not sure.

    Parameters
    ----------
    fault : mapping
        A fault of ``summary.json`` (``code``, ``status``, ``message``).

    Returns
    -------
    str
        e.g. "Head held forward of the shoulders" or "Possibly: looking down".
    """
    name = TITLES.get(fault.get("code", ""), str(fault.get("message", "")).split(":")[0])
    prefix = STATUS_PREFIX.get(fault.get("status", "found"), "")
    return prefix + (name[0].lower() + name[1:] if prefix else name)


def fault_badge(fault: Mapping[str, Any]) -> str:
    """The word on a fault's badge: its severity when the fault is found, else "possible"
    (or "unclear"): an uncertain fault must not look as certain as a found one, so every
    renderer shows it without its severity's colour (the severity is in its checklist line).

    Parameters
    ----------
    fault : mapping
        A fault of ``summary.json`` (``severity``, ``status``).

    Returns
    -------
    str
        "mild", "moderate" or "severe" when found; "possible" or "unclear" otherwise.
    """
    status = fault.get("status", "found")
    if status == "found":
        return str(fault["severity"])
    return "possible" if status == "possible" else "unclear"


#: Metrics whose drift is shown but has no limit (front/back view).
SHOWN_DRIFT = ("left_shoulder_elevation_torso", "right_shoulder_elevation_torso",
               "shoulder_tilt_deg", "head_tilt_deg")

#: Metric -> the threshold that judges it (both sides' ear-shoulder gap use the side
#: view's raised-shoulder threshold).
THRESHOLD_BY_METRIC: dict[str, Threshold] = {t.metric: t for t in THRESHOLDS.values()}
THRESHOLD_BY_METRIC["left_shoulder_elevation_torso"] = THRESHOLDS["raised_shoulders"]
THRESHOLD_BY_METRIC["right_shoulder_elevation_torso"] = THRESHOLDS["raised_shoulders"]


def fault_code_of(th: Threshold) -> str:
    """The fault a threshold raises (the torso variant of the bounce is the same fault).

    Parameters
    ----------
    th : Threshold
        A fault threshold.

    Returns
    -------
    str
        The threshold's fault code without a ``_torso`` suffix.
    """
    return th.fault.removesuffix("_torso")


def _r(x: float, nd: int) -> float | None:
    return None if not np.isfinite(x) else round(float(x), nd)


def drift_table(step_table: Any, metrics: Sequence[str]) -> dict[str, dict[str, Any]]:
    """First third vs last third of the steps, per metric, in step order.

    ``step_table`` is the per-step table (a pandas DataFrame); a metric is included
    when at least half of the steps have it. Entries: ``first_third``, ``last_third``
    (medians), ``change`` (last - first), ``standard_error`` of that change
    (``1.2533 * sqrt(var_first / n_first + var_last / n_last)``) and, for metrics with a
    drift limit in :data:`formcheck.assess.norms.DRIFT_LIMITS`, ``limit``, ``worse`` ("up"
    or "down"), ``score`` = change towards worse / limit, ``exceeds`` (score >= 1: drift),
    ``clears_error`` (past the limit by more than the standard error) and ``resolvable``
    (the standard error is below the limit). Empty with fewer than
    :data:`MIN_DRIFT_STEPS` steps: fatigue is a trend, and a trend needs steps.

    ``resolvable`` is False where the step-to-step scatter is as wide as the whole range
    from no change to the limit: a change of the limit lies within one standard error of
    none, so these steps cannot show a drift of that size either way (as a metric whose
    error spans the range from its threshold to an extreme posture is not measurable,
    :func:`formcheck.assess.faults.judge`). Waist bend per step scatters by about 8 deg on
    a small real runner; over 12 steps (4 a third) its standard error was 7.9 against a
    limit of 4, and a change of 8.7 came and went between the clip and its mirror image.

    Each third holds whole strides, ``2 * (n // 6)`` steps: left and right steps differ
    (body asymmetry; the near and far leg are seen differently), and an odd count would
    tilt one third towards one side.

    Parameters
    ----------
    step_table : pandas.DataFrame
        The per-step table (``step`` column: the order).
    metrics : sequence of str
        The metrics looked at.

    Returns
    -------
    dict of str to dict
        Metric -> its entry (see above).
    """
    n = len(step_table)
    out: dict[str, dict[str, Any]] = {}
    if n < MIN_DRIFT_STEPS:
        return out
    third = 2 * (n // 6)
    for name in metrics:
        if name not in step_table or step_table[name].notna().sum() < n // 2:
            continue
        fa = step_table[name].iloc[:third].dropna()
        la = step_table[name].iloc[-third:].dropna()
        a, b = float(fa.median()), float(la.median())
        se = float(1.2533 * np.sqrt(fa.var(ddof=1) / len(fa) + la.var(ddof=1) / len(la))) \
            if len(fa) > 1 and len(la) > 1 else float("nan")
        entry: dict[str, Any] = {"first_third": _r(a, 4), "last_third": _r(b, 4), "change": _r(b - a, 4),
                                 "standard_error": _r(se, 4)}
        if name in DRIFT_LIMITS:
            limit, worse = DRIFT_LIMITS[name]
            bad = (b - a) if worse == "up" else (a - b)
            entry.update(limit=limit, worse=worse, score=_r(bad / limit, 3),
                         exceeds=bool(np.isfinite(bad) and bad >= limit),
                         clears_error=bool(np.isfinite(bad) and np.isfinite(se) and bad - limit > se),
                         resolvable=bool(np.isfinite(se) and se < limit))
        out[name] = entry
    return out


def metric_bands(metrics: Mapping[str, dict[str, Any]], fault_codes: set[str]) -> None:
    """Set ``band`` (severity of the median) and ``exempt`` on each metric entry, in place.

    A median past a threshold whose fault was not raised is exempt; today the only
    such rule is the whole-body lean (trunk lean without a bend at the hips), which
    :func:`formcheck.assess.faults.find_faults` applies.

    Parameters
    ----------
    metrics : mapping of str to dict
        Metric -> its summary entry (``median``, ``measurable``); modified in place.
    fault_codes : set of str
        The codes of the faults raised.
    """
    for name, entry in metrics.items():
        entry["band"] = None
        entry["exempt"] = None
        th = THRESHOLD_BY_METRIC.get(name)
        med = entry.get("median")
        if th is None or med is None or not entry.get("measurable"):
            continue
        band = th.severity(float(med))
        if band and fault_code_of(th) not in fault_codes:
            if th.fault == "waist_lean":
                entry["exempt"] = "whole-body lean: the legs lean as much as the trunk, no bend at the hips"
            band = None
        entry["band"] = band


def checklist(view: str, metrics: Mapping[str, dict[str, Any]], faults: Sequence[dict[str, Any]],
              n_steps: int) -> list[dict[str, Any]]:
    """One entry per fault formcheck looks for (``code``, ``title``, ``status``,
    ``severity``, ``text``), in :data:`CHECKS` order.

    Parameters
    ----------
    view : str
        The clip's view.
    metrics : mapping of str to dict
        Metric -> its summary entry (``measurable``).
    faults : sequence of dict
        The faults raised (``code``, ``severity``, ``status``).
    n_steps : int
        Steps counted.

    Returns
    -------
    list of dict
    """
    found = {f["code"]: f["severity"] for f in faults}
    status_of = {f["code"]: f.get("status", "found") for f in faults}
    side = view in ("side", "oblique")  # oblique: sagittal angles measured after un-foreshortening

    def measurable(name: str) -> bool:
        return bool((metrics.get(name) or {}).get("measurable"))

    out = []
    for code in CHECKS:
        title = TITLES[code]
        applies = side or (code == "raised_shoulders" and view in ("front", "back"))
        if code in found and status_of[code] == "possible":
            status, text = "possible", f"{title}: possibly ({found[code]}), inside the measurement error"
        elif code in found and status_of[code] == "not_measurable":
            status, text = "not_measurable", f"{title}: not measurable here (the error is too large)"
        elif code in found:
            status, text = "found", f"{title}: {found[code]}"
        elif not applies:
            status, text = "needs_side_view", f"{title}: needs a side view"
        elif code == "form_drift":
            if n_steps < MIN_DRIFT_STEPS:
                status, text = "too_few_steps", f"{title}: too few steps to tell"
            else:
                status, text = "not_found", f"{title}: not found"
        else:
            if code == "excessive_bounce":
                ok = measurable("vertical_oscillation_torso") or measurable("vertical_oscillation_cm")
            elif code == "raised_shoulders" and not side:
                ok = measurable("left_shoulder_elevation_torso") or measurable("right_shoulder_elevation_torso")
            else:
                ok = measurable(THRESHOLDS[code].metric)
            status, text = ("not_found", f"{title}: not found") if ok else \
                ("not_measurable", f"{title}: not measurable here")
        out.append({"code": code, "title": title, "status": status, "severity": found.get(code),
                    "text": text})
    return out


def upgrade_summary_1_0(data: dict[str, Any]) -> dict[str, Any]:
    """A schema 1.0 ``summary.json`` (formcheck 0.1) as schema 2.0.

    Schema 2.0 adds fault titles, metric bands, drift limits and scores, and the
    checklist; each is re-derived with today's rules (:func:`metric_bands`,
    :func:`checklist`, :data:`~formcheck.assess.norms.DRIFT_LIMITS`). Values already in
    the file are kept as they are.

    Parameters
    ----------
    data : dict
        The parsed 1.0 summary (not modified).

    Returns
    -------
    dict
        A new dict with ``schema_version`` "2.0".
    """
    data = copy.deepcopy(data)
    faults = data.get("faults") or []
    for f in faults:
        f.setdefault("title", TITLES.get(f.get("code", ""), ""))
    metrics = data.get("metrics") or {}
    metric_bands(metrics, {f.get("code") for f in faults})
    for name, entry in (data.get("drift") or {}).items():
        if name in DRIFT_LIMITS and entry.get("change") is not None:
            limit, worse = DRIFT_LIMITS[name]
            bad = entry["change"] if worse == "up" else -entry["change"]
            entry.update(limit=limit, worse=worse, score=round(bad / limit, 3), exceeds=bad >= limit)
    data["checks"] = checklist(str(data.get("view") or "unknown"), metrics, faults, int(data.get("steps") or 0))
    data["schema_version"] = "2.0"
    return data


#: Summary schema version -> the step that upgrades it to the next version, for
#: :func:`formcheck.io.migrate.migrate_summary`.
SUMMARY_UPGRADES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"1.0": upgrade_summary_1_0}
