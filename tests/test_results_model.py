"""The result model: one schema, checked in and documented; old folders still load."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from formcheck.assess.verdict import SUMMARY_UPGRADES
from formcheck.errors import InputError
from formcheck.io.folder import read_analysis
from formcheck.io.migrate import migrate_summary
from formcheck.model.results import (
    SCHEMA_VERSION,
    TILT_WARN_DEG,
    AnalysisResult,
    CameraTilt,
    FaultRecord,
    MetricSummary,
    VideoMeta,
    json_schema,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
OUTPUTS_MD = (ROOT / "docs" / "outputs.md").read_text()


def test_checked_in_schema_is_generated_from_the_model():
    checked_in = json.loads((ROOT / "docs" / "summary.schema.json").read_text())
    assert checked_in == json_schema(), "regenerate: python -m formcheck.model.results > docs/summary.schema.json"


def _summary_table_keys() -> list[str]:
    section = OUTPUTS_MD.split("## `summary.json`", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)


def test_outputs_md_documents_every_top_level_key_and_no_other():
    assert sorted(_summary_table_keys()) == sorted(AnalysisResult.model_fields)


@pytest.mark.parametrize("model", [MetricSummary, FaultRecord])
def test_outputs_md_names_every_field_of_the_nested_records(model):
    for name in model.model_fields:
        assert f"`{name}`" in OUTPUTS_MD, (model.__name__, name)


def _write(folder: Path, data: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(data))
    return folder


def test_a_folder_written_by_formcheck_0_1_loads_with_the_decisions_re_derived(tmp_path):
    """tests/data/summary_0_1.json is an unmodified summary.json written by formcheck
    0.1.0 (schema 1.0) for sample_videos/runner_side_forward_head.mp4."""
    old = json.loads((DATA / "summary_0_1.json").read_text())
    assert old["schema_version"] == "1.0" and "checks" not in old
    af = read_analysis(_write(tmp_path / "old", old), SUMMARY_UPGRADES)
    r = af.result
    assert af.migrated_from == "1.0" and r.schema_version == SCHEMA_VERSION
    # values carried over untouched
    assert r.metrics["cva_deg"].median == old["metrics"]["cva_deg"]["median"]
    assert [f.code for f in r.faults] == [f["code"] for f in old["faults"]]
    # decisions re-derived with today's rules (formcheck.assess.norms), the checklist
    # has all six faults
    from formcheck.assess.norms import THRESHOLDS
    assert r.metrics["cva_deg"].band == THRESHOLDS["forward_head"].severity(old["metrics"]["cva_deg"]["median"])
    assert r.metrics["cva_deg"].band == "severe"  # 53 deg: far past every forward-head cut-off
    assert r.metrics["head_pitch_deg"].band == THRESHOLDS["gaze_down"].severity(
        old["metrics"]["head_pitch_deg"]["median"])
    assert r.metrics["trunk_lean_deg"].band is None
    status = {c.code: c.status for c in r.checks}
    assert status == {"forward_head": "found", "waist_lean": "not_found", "raised_shoulders": "not_found",
                      "gaze_down": "found", "excessive_bounce": "not_found", "form_drift": "not_found"}
    assert r.drift["cva_deg"].limit == 5.0 and r.drift["cva_deg"].exceeds is False
    assert r.faults[0].title == "Head held forward of the shoulders"


def test_migration_does_not_change_its_input():
    old = json.loads((DATA / "summary_0_1.json").read_text())
    before = json.dumps(old, sort_keys=True)
    migrate_summary(old, SUMMARY_UPGRADES)
    assert json.dumps(old, sort_keys=True) == before


@pytest.mark.parametrize(("content", "match"), [
    (None, "no summary.json"),
    ("{not json", "cannot read"),
    ("[1, 2]", "does not hold a formcheck summary"),
    ('{"schema_version": "9.0"}', "schema version 9.0"),
    ('{"schema_version": "2.0", "formcheck_version": "x"}', "not a valid formcheck summary"),
])
def test_bad_folders_are_one_clear_error(tmp_path, content, match):
    if content is not None:
        (tmp_path / "summary.json").write_text(content)
    with pytest.raises(InputError, match=match):
        read_analysis(tmp_path, SUMMARY_UPGRADES)


def test_io_without_the_upgrades_refuses_an_old_folder_in_one_line(tmp_path):
    """io knows no assessment rules: a 1.0 folder needs the caller's upgrade steps."""
    old = json.loads((DATA / "summary_0_1.json").read_text())
    with pytest.raises(InputError, match=r"schema version 1\.0 \(an older formcheck\); this reader was "
                                         r"given no schema upgrades") as info:
        read_analysis(_write(tmp_path, old))
    assert "\n" not in str(info.value)


def test_unknown_keys_survive_a_round_trip(tmp_path):
    old = json.loads((DATA / "summary_0_1.json").read_text())
    old["added_by_a_newer_formcheck"] = {"x": 1}
    r = read_analysis(_write(tmp_path, old), SUMMARY_UPGRADES).result
    assert r.to_json_dict()["added_by_a_newer_formcheck"] == {"x": 1}


def _documented_columns(heading: str) -> set[str]:
    section = OUTPUTS_MD.split(heading, 1)[1].split("\n## ", 1)[0]
    cells = re.findall(r"^\| ([^|]+) \|", section, flags=re.M)
    return {name for cell in cells for name in re.findall(r"`([a-z_0-9]+)`", cell)}


@pytest.mark.slow
@pytest.mark.parametrize(("table", "heading"), [("frames", "## `frames.csv`"), ("steps", "## `steps.csv`")])
def test_outputs_md_documents_every_column_written(sample_analyses, table, heading):
    af = read_analysis(sample_analyses["forward_head"]["dir"])
    written = set(getattr(af, table)().columns)
    missing = written - _documented_columns(heading)
    assert not missing, f"columns of {table}.csv not in docs/outputs.md: {sorted(missing)}"


@pytest.mark.slow
def test_a_fresh_analysis_round_trips_through_the_reader(sample_analyses):
    entry = sample_analyses["forward_head"]
    af = read_analysis(entry["dir"])
    assert af.migrated_from is None
    fresh = {k: v for k, v in entry["summary"].items() if k != "output_dir"}
    assert af.result.to_json_dict() == fresh
    assert len(af.frames()) == af.result.video.frames
    assert len(af.steps()) == af.result.steps


def test_the_pipelines_video_record_is_the_summarys():
    """VideoMeta built positionally by the pipeline: duration from frames and fps, an
    unknown codec "", immutable and hashable (a set of clips), written rounded as
    summary.json always was; a folder's record keeps what the folder says."""
    v = VideoMeta("clip.mp4", 30000 / 1001, 300, 640, 480)
    assert v.duration_s == pytest.approx(300 * 1001 / 30000) and v.codec == ""
    assert v.model_dump() == {"path": "clip.mp4", "fps": 29.97, "frames": 300, "width": 640,
                              "height": 480, "duration_s": 10.01, "rotation": 0, "codec": ""}
    assert len({v, VideoMeta("clip.mp4", 30000 / 1001, 300, 640, 480)}) == 1
    with pytest.raises(ValidationError):
        v.fps = 25.0  # type: ignore[misc]
    twice = v.replace(fps=v.fps * 2)
    assert twice.duration_s == pytest.approx(v.duration_s / 2) and twice.frames == 300
    read = VideoMeta.model_validate({"path": "a.mp4", "fps": 25.0, "frames": 10, "width": 2,
                                     "height": 2, "duration_s": 0.4})
    assert read.codec is None and read.duration_s == 0.4
    with pytest.raises(ValidationError):  # a damaged folder record is a validation error
        VideoMeta.model_validate({"path": "a.mp4", "fps": 25.0, "frames": 10, "width": 2})


@pytest.mark.parametrize(("roll", "applied", "warn"), [
    (TILT_WARN_DEG + 0.5, False, True), (-(TILT_WARN_DEG + 0.5), False, True),
    (TILT_WARN_DEG - 0.5, False, False), (TILT_WARN_DEG + 0.5, True, False), (None, False, False)])
def test_a_large_roll_not_applied_is_warned_about(roll, applied, warn):
    tilt = CameraTilt(roll_deg=roll, lines=20, spread_deg=3.0, applied=applied, note="")
    assert tilt.warn is warn
