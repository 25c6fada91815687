"""Analysis folders for the library tests, without running the pose model.

``make_analysis`` writes a ``summary.json`` of the current schema, checked against the
result model (:class:`formcheck.model.results.AnalysisResult`) so that it cannot drift
from what ``formcheck analyze`` writes; the checklist comes from the same rules the
analysis uses (:func:`formcheck.assess.verdict.checklist`).
"""

from __future__ import annotations

import json
from pathlib import Path

#: (unit, plausible median) of the metrics written by default.
DEFAULT_METRICS = {
    "cadence_spm": ("steps/min", 170.0),
    "cva_deg": ("deg", 60.0),
    "trunk_lean_deg": ("deg", 8.0),
    "waist_bend_deg": ("deg", 5.0),
    "head_pitch_deg": ("deg", 15.0),
}


def make_analysis(
    folder: Path,
    video: str = "run.mp4",
    *,
    frames: int = 300,
    fps: float = 30.0,
    metrics: dict[str, float | None] | None = None,
    faults: list[tuple[str, str]] | None = None,
    version: str = "0.1.0",
    view: str = "side",
) -> Path:
    """Write ``folder/summary.json``; ``metrics`` maps names to medians (None: not
    measurable); ``faults`` is a list of (code, severity) found."""
    from formcheck.assess.verdict import checklist
    from formcheck.model.results import SCHEMA_VERSION, AnalysisResult

    folder.mkdir(parents=True, exist_ok=True)
    values = {k: v for k, (_, v) in DEFAULT_METRICS.items()}
    values.update(metrics or {})
    units = {k: u for k, (u, _) in DEFAULT_METRICS.items()}
    metric_entries = {
        name: (
            {"median": v, "p10": v - 1.0, "p90": v + 1.0, "unit": units.get(name, "deg"),
             "measurable": True, "description": name, "n_steps": 27}
            if v is not None else
            {"median": None, "p10": None, "p90": None, "unit": units.get(name, "cm"),
             "measurable": False, "description": name, "reason": "needs the runner's height"}
        )
        for name, v in values.items()
    }
    fault_entries = [
        {"code": code, "severity": sev, "title": code, "message": f"{code} ({sev})", "advice": "...",
         "evidence": {"within_measurement_error": False}}
        for code, sev in (faults or [])
    ]
    summary = {
        "schema_version": SCHEMA_VERSION,
        "formcheck_version": version,
        "video": {"path": video, "fps": fps, "frames": frames, "width": 640, "height": 480,
                  "duration_s": round(frames / fps, 3), "rotation": 0, "codec": "h264"},
        "model": {"name": "pose_landmarker_full.task", "sha256": "0" * 64, "bundled": True,
                  "path": "models/pose_landmarker_full.task"},
        "settings": {},
        "settings_fingerprint": "0" * 16,
        "detection": {"frames_with_runner": frames, "frames": frames, "fraction": 1.0},
        "cleaning": {"min_visibility": 0.5, "max_gap_s": 0.25, "cutoff_hz": 6.0, "filter": "test",
                     "points_low_visibility": 0, "points_outliers": 0, "points_filled": 0},
        "view": view,
        "facing": "right",
        "view_detail": {"view": view, "facing": "right"},
        "steps": 27,
        "metrics": metric_entries,
        "faults": fault_entries,
        "checks": checklist(view, metric_entries, fault_entries, 27),
    }
    data = AnalysisResult.model_validate(summary).to_json_dict()  # fails if the schema moved
    (folder / "summary.json").write_text(json.dumps(data, indent=2))
    return folder
