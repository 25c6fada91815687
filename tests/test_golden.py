"""Results unchanged: the current code gives the recorded key values on every clip.

``tests/data/golden_summaries.json`` (the three sample clips) and
``tests/data/golden_real_clips.json`` (../shared/videos, skipped when absent) were
recorded from the code before the issue-9 restructure (33744e9) with
``tests/golden.py``, which documents how to re-record them after a deliberate change of
results and the tolerance used here (identical code gives identical numbers).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLES, SHARED_VIDEOS, real_clip
from golden import differences, key_values

DATA = Path(__file__).resolve().parent / "data"
SAMPLE_GOLDEN = json.loads((DATA / "golden_summaries.json").read_text())["clips"]
REAL_GOLDEN = json.loads((DATA / "golden_real_clips.json").read_text())["clips"]


def _expected(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "recorded_with"}


def test_comparison_sees_a_moved_number_and_a_changed_fault() -> None:
    """The comparison itself can fail: one unit in the 3rd decimal, or a severity, is a
    difference; the last stored decimal is not."""
    want = _expected(SAMPLE_GOLDEN["runner_side_forward_head.mp4"])
    same = json.loads(json.dumps(want))
    assert differences(want, same) == []
    moved = json.loads(json.dumps(want))
    moved["metrics"]["cva_deg"]["median"] += 0.001
    assert differences(want, moved) == [
        f"/metrics/cva_deg/median: expected {want['metrics']['cva_deg']['median']!r}, "
        f"got {moved['metrics']['cva_deg']['median']!r}"]
    rounded = json.loads(json.dumps(want))
    rounded["metrics"]["cva_deg"]["median"] += 0.0001  # a rounding edge
    assert differences(want, rounded) == []
    milder = json.loads(json.dumps(want))
    milder["faults"][0][1] = "moderate"
    assert differences(want, milder) == ["/faults[0][1]: expected 'severe', got 'moderate'"]


def test_every_sample_clip_is_recorded() -> None:
    assert sorted(SAMPLE_GOLDEN) == sorted(p.name for p in SAMPLES.glob("*.mp4"))


@pytest.mark.realclips
def test_every_real_clip_is_recorded() -> None:
    if not SHARED_VIDEOS.is_dir():
        pytest.skip(f"real clips not available: {SHARED_VIDEOS}")
    assert sorted(REAL_GOLDEN) == sorted(p.name for p in SHARED_VIDEOS.glob("*.mp4"))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SAMPLE_GOLDEN))
def test_sample_clip_results_unchanged(name: str) -> None:
    from golden import analyse

    got = key_values(analyse(SAMPLES / name))
    assert differences(_expected(SAMPLE_GOLDEN[name]), got) == []


@pytest.mark.slow
@pytest.mark.realclips
@pytest.mark.parametrize("name", sorted(REAL_GOLDEN))
def test_real_clip_results_unchanged(name: str) -> None:
    from golden import analyse

    got = key_values(analyse(real_clip(name)))
    assert differences(_expected(REAL_GOLDEN[name]), got) == []
