"""The bench's bound on the ratio to the naive loop (benchmarks/stages.py, ``floors``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def _row(**wall_cpu: tuple[float, float]) -> dict:
    return {"cores": 2, "stages": {k.replace("_", " "): {"wall_s": w, "cpu_s": c} for k, (w, c) in wall_cpu.items()}}


STAGES = {"decode": (8.0, 10.0), "inference_1_landmarker": (62.0, 62.0), "inference_2_landmarkers": (31.0, 61.0),
          "pose_pass": (40.0, 76.0), "cleaning_+_metrics": (0.4, 0.4), "tables_+_stills": (0.5, 0.5),
          "report": (2.0, 2.0), "annotated_video": (16.0, 25.0)}


def test_floors_add_the_stages_the_job_cannot_skip() -> None:
    from stages import floors

    f = floors(_row(**STAGES))
    naive = 8.0 + 62.0
    assert f["naive_s"] == pytest.approx(naive)
    # limit + decoding over 2 cores + cleaning + tables + report (one thread)
    assert f["no_video"] == pytest.approx((31.0 + 5.0 + 0.9 + 2.0) / naive, abs=1e-3)
    # the report and the video share the 2 cores
    assert f["full"] == pytest.approx((31.0 + 5.0 + 0.9 + (2.0 + 25.0) / 2) / naive, abs=1e-3)
    assert f["pose_pass_no_video"] == pytest.approx((40.0 + 0.9 + 2.0) / naive, abs=1e-3)


def test_the_full_job_is_never_bounded_below_the_report_alone() -> None:
    from stages import floors

    short = dict(STAGES, annotated_video=(0.5, 0.9))  # a short clip: the report is the longer
    f = floors(_row(**short))
    assert f["full"] == pytest.approx(f["no_video"])
