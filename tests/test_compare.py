"""``formcheck compare`` and ``formcheck history``: outputs, verdicts on known changes, errors."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_VIDEOS as SHARED

from formcheck.assess.change import KEY_METRICS
from formcheck.assess.reliability_table import mdc_table
from formcheck.cli.app import main
from formcheck.pipeline.compare import Session, compare_sessions, mid_stance_still
from formcheck.render.compare import normalised_line, write_compare
from formcheck.render.compare_video import step_alignment

# --------------------------------------------------------------------------- no model


def _session(tmp: Path, name: str, cva: float, lean: float, seed: int, faults=()) -> Session:
    """A session without files: AR(1) step series around the given medians."""
    rng = np.random.default_rng(seed)
    n = 30

    def series(mu: float, sd: float) -> np.ndarray:
        x = np.empty(n)
        x[0] = rng.normal()
        for i in range(1, n):
            x[i] = 0.4 * x[i - 1] + rng.normal(0, math.sqrt(1 - 0.16))
        return mu + sd * x

    steps = pd.DataFrame({
        "step": np.arange(n), "frame_start": np.arange(n) * 10, "frame_end": np.arange(n) * 10 + 10,
        "mid_stance_frame": np.arange(n) * 10 + 3,
        "cva_deg": series(cva, 2.0), "trunk_lean_deg": series(lean, 1.0),
        "cadence_spm": series(170.0, 3.0),
    })
    frames = pd.DataFrame({"frame": np.arange(n * 10 + 11), "time_s": np.arange(n * 10 + 11) / 30.0})
    # ear-shoulder-hip with the ear 0.3 torso ahead: facing right, torso 100 px
    for p, (x, y) in {"ear": (130.0, 70.0), "shoulder": (110.0, 100.0), "hip": (100.0, 200.0)}.items():
        frames[f"{p}_x"], frames[f"{p}_y"] = x, y
    summary = {"view": "side", "facing": "right", "segments": "steps",
               "video": {"path": f"/nonexistent/{name}.mp4", "width": 320, "height": 240},
               "faults": [{"code": c, "severity": s} for c, s in faults]}
    return Session(tmp / name, summary, steps, frames, None, None)


def test_normalised_line_puts_hip_at_origin_torso_unit_facing_right():
    from formcheck.render.compare import Still

    esh = np.array([[70.0, 70.0], [90.0, 100.0], [100.0, 200.0]])  # facing left: ear at smaller x
    line = normalised_line(Still("x", 0, None, esh, None, "left", (320, 240)))
    torso = math.hypot(10.0, 100.0)
    assert line[2] == pytest.approx([0.0, 0.0])
    assert math.hypot(*line[1]) == pytest.approx(1.0)
    assert line[0][0] == pytest.approx(30.0 / torso)  # ear ahead (forward = +x after the flip)
    assert line[0][1] == pytest.approx(130.0 / torso)  # above the hip (up = +y)


def test_compare_json_and_pages(tmp_path):
    a = _session(tmp_path, "before", cva=70.0, lean=6.0, seed=1, faults=[("forward_head", "mild")])
    b = _session(tmp_path, "after", cva=55.0, lean=6.0, seed=2,
                 faults=[("forward_head", "moderate"), ("gaze_down", "mild")])
    result = compare_sessions(a, b, n_boot=500)
    rows = {r["metric"]: r for r in result["metrics"]}
    assert set(rows) == set(KEY_METRICS)
    assert rows["cva_deg"]["verdict"] == "worse"  # -15 deg, far beyond any MDC below 10
    assert rows["trunk_lean_deg"]["verdict"] == "no real change"
    assert rows["head_pitch_deg"]["verdict"] == "not measurable"
    assert result["faults"]["new"] == [{"code": "gaze_down", "severity_b": "mild"}]
    assert "CVA proxy" in result["next_step"]
    sa, sb = mid_stance_still(a, "A"), mid_stance_still(b, "B")
    assert sa.frame in set(a.steps["mid_stance_frame"]) and sa.image is None
    out = tmp_path / "out"
    out.mkdir()
    pdf, png = write_compare(result, sa, sb, out)
    assert pdf.stat().st_size > 5000 and png.stat().st_size > 5000
    json.dumps(result)  # plain data


@pytest.mark.parametrize(("key", "b_value", "warned"), [
    (None, None, False),
    ("formcheck_version", "0.1.0", True),
    ("settings_fingerprint", "f" * 16, True),
])
def test_analyses_made_differently_are_said_to_be(tmp_path, key, b_value, warned):
    a = _session(tmp_path, "a", cva=70.0, lean=6.0, seed=1)
    b = _session(tmp_path, "b", cva=70.0, lean=6.0, seed=2)
    for s in (a, b):
        s.summary.update(formcheck_version="0.2.0", settings_fingerprint="0" * 16, model={"sha256": "abc"})
    if key:
        b.summary[key] = b_value
    result = compare_sessions(a, b, n_boot=200)
    assert any("different formcheck versions" in w for w in result["warnings"]) is warned


def test_step_alignment_pairs_steps_and_moves_forward():
    a = pd.DataFrame({"frame_start": [0, 10], "frame_end": [10, 20]})
    b = pd.DataFrame({"frame_start": [5, 25, 45], "frame_end": [25, 45, 65]})
    pairs = step_alignment(a, b)
    assert pairs[0] == (0, 5) and (10, 25) in pairs and pairs[-1] == (20, 45)
    assert all(p <= q for p, q in zip([x for x, _ in pairs], [x for x, _ in pairs[1:]], strict=False))
    assert len(pairs) == 21 + 20  # 2 steps of B's length (21 frames); the shared frame dropped once


def test_mdc_table_covers_the_key_side_metrics():
    mdc = mdc_table()
    for m in ("cva_deg", "trunk_lean_deg", "neck_trunk_angle_deg"):
        assert mdc[m] is not None and mdc[m] > 0


def test_compare_missing_folder_is_one_line(tmp_path, capsys):
    code = main(["compare", str(tmp_path / "nope"), str(tmp_path / "nope2"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("formcheck: error:")
    assert not (tmp_path / "o" / "compare.json").exists()


def test_compare_folder_without_summary_is_one_line(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    code = main(["compare", str(tmp_path / "a"), str(tmp_path / "a")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "summary.json" in err[0]


def test_history_of_an_unknown_athlete_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FORMCHECK_LIBRARY", str(tmp_path / "library.sqlite"))  # no library there
    code = main(["history", "Nobody"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("formcheck: error:")


# --------------------------------------------------------------------------- with the model


def _render(spec, folder: Path) -> Path:
    from formcheck.synth.render import render_clip

    folder.mkdir(parents=True, exist_ok=True)
    clip = folder.with_suffix(".mp4")
    render_clip(spec, clip)
    return clip


def _analyse(clip: Path, folder: Path, video: bool) -> Path:
    from formcheck.model.settings import Settings
    from formcheck.pipeline.run import run_analysis

    run_analysis(clip, folder, Settings(video=video, report=False, threads=1))
    return folder


@pytest.fixture(scope="module")
def synthetic_pairs(tmp_path_factory):
    """A re-test base runner and two changed runners (6 s, 320x240): another seed and a
    slightly moved camera each time, as two sessions on different days would differ."""
    from formcheck.synth.runner import ACCURACY_BASE

    root = tmp_path_factory.mktemp("pairs")
    base = replace(ACCURACY_BASE, duration_s=6.0, seed=21)
    head = replace(base, head_forward_deg=base.head_forward_deg + 10.0, seed=22, camera_roll_deg=0.5,
                   shirt_rgb=(40, 110, 190))
    lean = replace(base, body_lean_deg=base.body_lean_deg + 5.0, seed=23, camera_roll_deg=-0.5,
                   shirt_rgb=(60, 150, 80))
    bend = replace(base, waist_bend_deg=base.waist_bend_deg + 5.0, seed=24, camera_pitch_deg=1.0,
                   shirt_rgb=(200, 160, 40))
    # The renders run in a second thread, ahead of the analyses in this one (each about
    # one core; one after the other they left one of CI's two cores idle); a render
    # depends on its spec alone (REPEATABLE_X264), an analysis (threads=1) on its clip.
    # Only base and head write annotated.mp4: the side-by-side video of the compare test
    # is made of those two; nothing reads the lean and bend sessions' video.
    from concurrent.futures import ThreadPoolExecutor

    sessions = (("base", base, True), ("head", head, True), ("lean", lean, False), ("bend", bend, False))
    with ThreadPoolExecutor(1, thread_name_prefix="pairs-render") as pool:
        clips = [pool.submit(_render, spec, root / name) for name, spec, _ in sessions]
        return {name: _analyse(clip.result(), root / name, video)
                for (name, _, video), clip in zip(sessions, clips, strict=True)}


def _verdicts(result: dict) -> dict[str, str]:
    return {r["metric"]: r["verdict"] for r in result["metrics"]}


@pytest.mark.slow
def test_head_10_deg_further_forward_is_worse(synthetic_pairs, tmp_path):
    from formcheck.pipeline.compare import run_compare

    result = run_compare(synthetic_pairs["base"], synthetic_pairs["head"], tmp_path / "c", video=True)
    v = _verdicts(result)
    # the head's tilt forward of the trunk: all three head measures move the wrong way
    assert v["cva_deg"] == "worse"
    # untouched by a head tilt: the trunk, the hips and the rhythm
    for m in ("trunk_lean_deg", "waist_bend_deg", "vertical_oscillation_torso", "cadence_spm"):
        assert v[m] == "no real change", (m, v[m])
    for name in ("compare.json", "compare.pdf", "compare.png", "compare.mp4"):
        assert (tmp_path / "c" / name).stat().st_size > 1000


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "the head 10 deg further forward of the trunk reads +4.3 deg on the neck-to-trunk angle "
    "(17.1 -> 21.4), but with 16 steps a session the HAC interval (fixed-b critical value) is "
    "-1.9 to +10.6 deg: a 6 s re-test cannot tell this change from step-to-step noise, so the "
    "verdict is 'no real change' (the block bootstrap's narrower interval said 'worse' but "
    "covered the truth only ~90% of the time at lag-1 correlation 0.5)"))
def test_head_10_deg_further_forward_moves_the_neck_to_trunk_angle(synthetic_pairs, tmp_path):
    from formcheck.pipeline.compare import run_compare

    v = _verdicts(run_compare(synthetic_pairs["base"], synthetic_pairs["head"], tmp_path / "c"))
    assert v["neck_trunk_angle_deg"] == "worse"


@pytest.mark.slow
def test_whole_body_lean_5_deg_more_is_worse(synthetic_pairs, tmp_path):
    from formcheck.pipeline.compare import run_compare

    v = _verdicts(run_compare(synthetic_pairs["base"], synthetic_pairs["lean"], tmp_path / "c"))
    assert v["trunk_lean_deg"] == "worse"
    # a whole-body lean tilts the neck with the trunk (CVA and ear offset follow), but not
    # the neck relative to the trunk or the rhythm
    for m in ("neck_trunk_angle_deg", "cadence_spm"):
        assert v[m] == "no real change", (m, v[m])


@pytest.mark.slow
def test_whole_body_lean_leaves_the_bounce(synthetic_pairs, tmp_path):
    from formcheck.pipeline.compare import run_compare

    v = _verdicts(run_compare(synthetic_pairs["base"], synthetic_pairs["lean"], tmp_path / "c"))
    assert v["vertical_oscillation_torso"] == "no real change"


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "+5 deg of body lean (spec: no bend at the hips) reads -7.7 -> +1.2 deg of waist bend on "
    "these clips, but the synthetic runner's body_lean_deg swings the legs forward with the "
    "trunk (thigh + lean), so its hip angle does close by 10 deg: the drawn joints read "
    "-5.1 -> +2.9 (stance median) and -6.9 -> +3.1 (mid-stance). The runner, not the metric, "
    "is wrong first (tests/test_waist_bend.py); with the runner fixed the metric must also "
    "be taken at mid-stance (measured with both: -10.0 -> -10.1, 'no real change')"))
def test_whole_body_lean_leaves_the_bend_at_the_hips(synthetic_pairs, tmp_path):
    from formcheck.pipeline.compare import run_compare

    v = _verdicts(run_compare(synthetic_pairs["base"], synthetic_pairs["lean"], tmp_path / "c"))
    assert v["waist_bend_deg"] == "no real change"


@pytest.mark.slow
def test_bend_at_the_hips_5_deg_more_is_worse(synthetic_pairs, tmp_path):
    from formcheck.pipeline.compare import run_compare

    v = _verdicts(run_compare(synthetic_pairs["base"], synthetic_pairs["bend"], tmp_path / "c"))
    # trunk lean = body lean + bend: both rise by 5 deg
    assert v["trunk_lean_deg"] == "worse"
    assert v["waist_bend_deg"] == "worse"
    assert v["cadence_spm"] == "no real change"


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "on the repeatable renders (libx264 mbtree off) the bounce reads 0.151 -> 0.137 torso "
    "(-9%, interval -0.020 to -0.008, MDC95 0.012) for 5 deg more bend at the hips and the same "
    "9 cm hip bounce: 'improved' instead of 'no real change'. Not formcheck's bounce measure "
    "(on the truth joints the shoulders' bounce is the same with and without the bend): the "
    "pose model's, with this session's yellow shirt. Measured 2026-12-06 (6 s, 320x240): the "
    "bend in the default shirt 0.146-0.153 over seeds 21 and 24-28 (base 0.145-0.151); the bend "
    "in the yellow shirt 0.137-0.145 over 5 seeds and camera pitches 0/1 deg; the base in the "
    "yellow shirt 0.147. The repeats behind the MDC vary the shirt but not the shirt with the "
    "posture"))
def test_bend_at_the_hips_leaves_the_bounce(synthetic_pairs, tmp_path):
    from formcheck.pipeline.compare import run_compare

    v = _verdicts(run_compare(synthetic_pairs["base"], synthetic_pairs["bend"], tmp_path / "c"))
    assert v["vertical_oscillation_torso"] == "no real change"


@pytest.mark.slow
def test_bend_at_the_hips_leaves_the_neck_to_trunk_angle(synthetic_pairs, tmp_path):
    from formcheck.pipeline.compare import run_compare

    v = _verdicts(run_compare(synthetic_pairs["base"], synthetic_pairs["bend"], tmp_path / "c"))
    assert v["neck_trunk_angle_deg"] == "no real change"


@pytest.mark.slow
def test_history_over_three_sessions(synthetic_pairs, tmp_path):
    from formcheck.pipeline.history import run_history

    refs = [str(synthetic_pairs[k]) for k in ("base", "lean", "head")]
    result = run_history(refs, tmp_path / "h")
    assert (tmp_path / "h" / "history.pdf").stat().st_size > 5000
    assert len(result["changes"]) == 2
    first = {c["metric"]: c["verdict"] for c in result["changes"][0]}
    assert first["trunk_lean_deg"] == "worse"


@pytest.mark.slow
@pytest.mark.realclips
@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/videos")
def test_halves_of_one_real_clip_show_no_real_change(tmp_path):
    """The first and second half of one treadmill clip: the same runner, same session."""
    from formcheck.assess.change import split_halves
    from formcheck.model.settings import Settings
    from formcheck.pipeline.compare import read_session
    from formcheck.pipeline.run import run_analysis

    clip = SHARED / "treadmill_side_male_garage_portrait_01.mp4"
    run_analysis(clip, tmp_path / "a", Settings(video=False, report=False, threads=1))
    whole = read_session(tmp_path / "a")
    first, second = split_halves(whole.steps)
    a = Session(whole.folder, whole.summary, first, whole.frames, None, None)
    b = Session(whole.folder, whole.summary, second, whole.frames, None, None)
    v = _verdicts(compare_sessions(a, b, n_boot=2000))
    real = {m: x for m, x in v.items() if x in ("improved", "worse", "changed")}
    assert not real


# --------------------------------------------------------------------------- session library


def _stored_folder(path: Path, video: str, cva: float, seed: int) -> Path:
    """An analysis folder without the model: a real summary (tests/data) and a step table
    drawn around ``cva`` (as tests/test_web_compare.py does)."""
    data = Path(__file__).parent / "data" / "summary_0_1.json"
    rng = np.random.default_rng(seed)
    n = 40
    path.mkdir(parents=True)
    summary = json.loads(data.read_text())
    summary["video"]["path"] = video
    summary["metrics"]["cva_deg"]["median"] = cva
    (path / "summary.json").write_text(json.dumps(summary))
    pd.DataFrame({
        "step": np.arange(n), "frame_start": np.arange(n) * 11, "frame_end": np.arange(n) * 11 + 10,
        "mid_stance_frame": np.arange(n) * 11 + 3, "cadence_spm": rng.normal(168, 2, n),
        "cva_deg": rng.normal(cva, 1.5, n), "trunk_lean_deg": rng.normal(6, 1.0, n),
    }).to_csv(path / "steps.csv", index=False)
    return path


def test_compare_and_history_find_sessions_in_the_library(tmp_path, monkeypatch, capsys):
    import datetime as dt

    store = pytest.importorskip("formcheck.store")
    monkeypatch.setenv("FORMCHECK_LIBRARY", str(tmp_path / "library.sqlite"))
    with store.Library.open(None) as lib:
        for i, (cva, day) in enumerate(((55.0, 1), (56.0, 15), (70.0, 29))):
            folder = _stored_folder(tmp_path / f"s{i}", f"/clips/run{i}.mp4", cva, seed=i)
            lib.record(folder, "Anna", date=dt.date(2026, 3, day))
    assert main(["compare", "Anna:1", "Anna:-1", "--out", str(tmp_path / "c")]) == 0
    result = json.loads((tmp_path / "c" / "compare.json").read_text())
    assert result["a"]["folder"].endswith("s0") and result["b"]["folder"].endswith("s2")
    assert {r["metric"]: r["verdict"] for r in result["metrics"]}["cva_deg"] == "improved"
    assert main(["history", "Anna", "--out", str(tmp_path / "h")]) == 0
    hist = json.loads((tmp_path / "h" / "history.json").read_text())
    assert [s["label"][:10] for s in hist["sessions"]] == ["2026-03-01", "2026-03-15", "2026-03-29"]
    assert (tmp_path / "h" / "history.png").stat().st_size > 5000
    capsys.readouterr()
    assert main(["compare", "Anna:7", "Anna:1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Anna has 3 session" in err[0]
