"""Results unchanged: the current code gives the recorded key values on every clip.

``tests/data/golden_summaries.json`` (the three sample clips) and
``tests/data/golden_real_clips.json`` (../shared/videos, skipped when absent) are
recorded with ``tests/golden.py``, which documents how to re-record them after a
deliberate change of results and the tolerance used here (identical code gives
identical numbers). Each entry says which commit recorded it. Both were recorded before
the issue-9 restructure (33744e9); the new layout (84a192f) gave every value again. The
sample clips were re-recorded at 35fa81d after deliberate changes of the step detection
and the thresholds (see that commit's message). The real clips were not: from 5e5aa6a on,
two of them (city, grass) differ by a frame or two with a runner, and later merges moved
more; their owners have to say why before they are re-recorded.

Both files were re-recorded at analysis revision 4 (issues 18 and 21; the commit message
of that re-record says "every step count as before", which is wrong for one clip): the
severities follow the interval rule (forward head on grass, bystander and walker, gaze on
garage and the forward-head sample, waist lean on the waist-bend sample move down a band);
the elbow angle is a new metric; the cadence follows the sub-frame step period: within
0.4 steps/min on the samples, garage and front clips, but the grass clip counts 57 steps
(56) at 168.7 steps/min (161.5) with a mild form drift now found, and the walker reads
98.5 (104.9). Neither of the last two was checked against hand-counted steps.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLES, SHARED_VIDEOS, real_clip
from golden import (
    GOLDEN_THREADS,
    RevisionNotRaised,
    differences,
    expected_values,
    key_values,
    record,
    values_hash,
)

import formcheck
from formcheck.model.settings import Settings

DATA = Path(__file__).resolve().parent / "data"
GOLDEN_FILES = {name: json.loads((DATA / name).read_text())
                for name in ("golden_summaries.json", "golden_real_clips.json")}
SAMPLE_GOLDEN = GOLDEN_FILES["golden_summaries.json"]["clips"]
REAL_GOLDEN = GOLDEN_FILES["golden_real_clips.json"]["clips"]
_expected = expected_values
#: What tests/golden.py's ``analyse`` runs (the recorder), here through conftest's shared
#: ``offline`` analyses (the same summary, see test_threads_change_the_speed_not_the_results).
GOLDEN_SETTINGS = Settings(video=False, report=False, threads=GOLDEN_THREADS)


@pytest.mark.parametrize("name", sorted(GOLDEN_FILES))
def test_golden_values_are_of_the_current_analysis_revision(name: str) -> None:
    """Recorded results belong to one analysis revision: the code's. A re-record that
    moved values without raising ``formcheck.ANALYSIS_REVISION`` is refused by
    ``golden.record``; values edited by hand no longer match their hash."""
    data = GOLDEN_FILES[name]
    assert data.get("analysis_revision") == formcheck.ANALYSIS_REVISION, (
        f"{name} holds results of analysis revision {data.get('analysis_revision')}, the code is at "
        f"{formcheck.ANALYSIS_REVISION}: record the golden files again (tests/golden.py)")
    assert data.get("values_sha256") == values_hash(data["clips"]), f"{name}: values changed by hand"


def test_recording_moved_results_needs_a_new_revision(tmp_path: Path, monkeypatch) -> None:
    clip = Path("runner_side_forward_head.mp4")
    out = tmp_path / "golden.json"
    recorded = {**GOLDEN_FILES["golden_summaries.json"], "analysis_revision": formcheck.ANALYSIS_REVISION}
    out.write_text(json.dumps(recorded))
    summary_like = {"view": "side", "facing": "right", "gait": {"kind": "run"}, "steps": 20,
                    "segments": "steps", "detection": {"frames_with_runner": 100},
                    "metrics": {}, "faults": []}
    with pytest.raises(RevisionNotRaised, match=r"raise formcheck\.ANALYSIS_REVISION"):
        record(out, [clip], analyse_clip=lambda _: summary_like)
    assert json.loads(out.read_text()) == recorded  # nothing written
    monkeypatch.setattr(formcheck, "ANALYSIS_REVISION", formcheck.ANALYSIS_REVISION + 1)
    record(out, [clip], analyse_clip=lambda _: summary_like)
    data = json.loads(out.read_text())
    assert data["analysis_revision"] == formcheck.ANALYSIS_REVISION
    assert data["clips"][clip.name]["steps"] == 20
    assert data["values_sha256"] == values_hash(data["clips"])


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
def test_sample_clip_results_unchanged(name: str, offline) -> None:
    got = key_values(offline.summary(SAMPLES / name, GOLDEN_SETTINGS))
    assert differences(_expected(SAMPLE_GOLDEN[name]), got) == []


@pytest.mark.slow
@pytest.mark.realclips
@pytest.mark.parametrize("name", sorted(REAL_GOLDEN))
def test_real_clip_results_unchanged(name: str, offline) -> None:
    got = key_values(offline.summary(real_clip(name), GOLDEN_SETTINGS))
    assert differences(_expected(REAL_GOLDEN[name]), got) == []


@pytest.mark.slow
def test_threads_change_the_speed_not_the_results(offline) -> None:
    """``Settings.threads`` is left out of the settings fingerprint (batch resume, compare)
    because the clip is always tracked in the same time ranges: one landmarker working
    through both gives exactly the numbers two side by side give.

    Also the tests' shared analyses (conftest's ``offline``, which the golden checks
    read) give exactly the summary ``run_analysis`` gives."""
    import tempfile

    from formcheck.model.settings import Settings
    from formcheck.pipeline.run import run_analysis

    clip = SAMPLES / "runner_side_clean.mp4"
    got, full = {}, {}
    for threads in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            full[threads] = run_analysis(clip, Path(tmp) / "out",
                                         Settings(video=False, report=False, threads=threads))
            got[threads] = key_values(full[threads])
    shared = offline.summary(clip, Settings(video=False, report=False, threads=2))
    # all but where it was written, how long each stage took and the recorded thread
    # setting (the shared analysis records its first caller's: 0 and 2 are one key on a
    # 2-core machine; the fingerprint, which leaves threads out, is compared)
    def same(summary: dict) -> dict:
        out = {k: v for k, v in summary.items() if k not in ("output_dir", "timings_s")}
        out["settings"] = {k: v for k, v in out["settings"].items() if k != "threads"}
        return out

    assert same(shared) == same(full[2])
    assert got[1]["steps"] > 0
    assert differences(got[2], got[1]) == []
