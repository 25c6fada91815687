"""Analysis folders for the library tests, without running the pose model.

``make_analysis`` writes a ``summary.json`` with the keys and nesting of a real one
(formcheck's own summaries; only the fields the library reads are filled with care).
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
    within_error: tuple[str, ...] = (),
    version: str = "0.1.0",
) -> Path:
    """Write ``folder/summary.json``; ``metrics`` maps names to medians (None: not
    measurable); ``faults`` is a list of (code, severity)."""
    folder.mkdir(parents=True, exist_ok=True)
    values = {k: v for k, (_, v) in DEFAULT_METRICS.items()}
    values.update(metrics or {})
    units = {k: u for k, (u, _) in DEFAULT_METRICS.items()}
    summary = {
        "schema_version": "1.0",
        "formcheck_version": version,
        "video": {"path": video, "fps": fps, "frames": frames, "width": 640, "height": 480,
                  "duration_s": round(frames / fps, 3), "rotation": 0, "codec": "h264"},
        "view": "side",
        "facing": "right",
        "steps": 27,
        "metrics": {
            name: (
                {"median": v, "p10": v - 1.0, "p90": v + 1.0, "unit": units.get(name, "deg"),
                 "measurable": True, "description": name, "n_steps": 27}
                if v is not None else
                {"median": None, "p10": None, "p90": None, "unit": units.get(name, "cm"),
                 "measurable": False, "description": name, "reason": "needs the runner's height"}
            )
            for name, v in values.items()
        },
        "faults": [
            {"code": code, "severity": sev, "message": f"{code} ({sev})",
             "evidence": {"within_measurement_error": code in within_error}, "advice": "..."}
            for code, sev in (faults or [])
        ],
        "warnings": [],
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2))
    return folder
