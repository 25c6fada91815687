"""The session library on the command line: analyze/batch --athlete, athletes, sessions,
import; one clear line for a bad library, checked before any analysis runs.

The fast tests stand in for the analysis (a summary.json from tests/library_data.py);
the slow one runs two real batches into one library at once.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import trim
from library_data import make_analysis

from formcheck.batch.core import OK, SKIPPED, BatchResult
from formcheck.cli.app import main
from formcheck.store import Conditions, Library

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
    full["PYTHONPATH"] = os.pathsep.join([str(ROOT), full.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "formcheck", *args], capture_output=True, text=True,
                          env=full, timeout=300)


def one_error_line(proc: subprocess.CompletedProcess | tuple[int, str], needle: str) -> str:
    code, err = (proc.returncode, proc.stderr) if isinstance(proc, subprocess.CompletedProcess) else proc
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("formcheck: error: ") and needle in lines[0], err
    return lines[0]


@pytest.fixture
def fake_analysis(monkeypatch):
    """``run_analysis`` replaced by one that writes a summary.json (no pose model)."""
    calls = []

    def run_analysis(video, out_dir, settings, progress=None):
        calls.append(video)
        folder = make_analysis(Path(out_dir), str(video), metrics={"cva_deg": 57.0},
                               faults=[("forward_head", "moderate")])
        import json

        summary = json.loads((folder / "summary.json").read_text())
        summary["output_dir"] = str(out_dir)
        return summary

    monkeypatch.setattr("formcheck.pipeline.run.run_analysis", run_analysis)
    return calls


def test_analyze_records_the_session(fake_analysis, tmp_path, capsys):
    lib_path = tmp_path / "lib.sqlite"
    clip = tmp_path / "week1.mp4"
    clip.write_bytes(b"stand-in")  # its file time dates the session when --date is absent
    os.utime(clip, (1_750_000_000, 1_750_000_000))
    rc = main(["analyze", str(clip), "--out", str(tmp_path / "out"), "--athlete", "Ann Lee",
               "--condition", "treadmill", "--speed-kmh", "11.5", "--shoes", "Clifton 9",
               "--note", "before chin tucks", "--library", str(lib_path), "-q"])
    out = capsys.readouterr().out
    assert rc == 0
    day = dt.datetime.fromtimestamp(1_750_000_000, dt.UTC).astimezone().date()
    assert f"library: session 1 of Ann Lee on {day.isoformat()} added ({lib_path})" in out
    with Library.open(lib_path) as lib:
        (sess,) = lib.sessions("ann lee")
    assert sess.conditions == Conditions("treadmill", 11.5, "Clifton 9", "before chin tucks")
    assert sess.date_source == "clip_mtime"
    assert sess.time == dt.datetime.fromtimestamp(1_750_000_000, dt.UTC)
    assert sess.metrics["cva_deg"].median == 57.0
    assert [(f.code, f.severity) for f in sess.faults] == [("forward_head", "moderate")]


def test_library_options_without_athlete_fail_before_the_analysis(fake_analysis, tmp_path, capsys):
    rc = main(["analyze", str(tmp_path / "x.mp4"), "--note", "hello", "--date", "2026-01-01"])
    one_error_line((rc, capsys.readouterr().err), "--date, --note only apply with --athlete NAME")
    assert fake_analysis == []


@pytest.mark.parametrize(("args", "needle"), [
    (["--date", "01/02/2026"], "--date must be a date as YYYY-MM-DD"),
    (["--condition", "beach"], "condition must be one of treadmill, outdoor"),
    (["--speed-kmh", "0"], "speed must be between 0 and 60 km/h"),
])
def test_bad_session_options_fail_before_the_analysis(fake_analysis, tmp_path, capsys, args, needle):
    rc = main(["analyze", str(tmp_path / "x.mp4"), "--athlete", "Ann", "--library",
               str(tmp_path / "lib.sqlite"), *args])
    one_error_line((rc, capsys.readouterr().err), needle)
    assert fake_analysis == []


def test_damaged_library_fails_before_the_analysis_and_is_left_alone(fake_analysis, tmp_path, capsys):
    bad = tmp_path / "lib.sqlite"
    bad.write_bytes(b"\x00garbage" * 1000)
    rc = main(["analyze", str(tmp_path / "x.mp4"), "--athlete", "Ann", "--library", str(bad)])
    one_error_line((rc, capsys.readouterr().err), f"library {bad} is damaged or not a database")
    assert fake_analysis == [] and bad.read_bytes() == b"\x00garbage" * 1000


def test_batch_records_every_clip_analysed_or_unchanged(tmp_path, monkeypatch, capsys):
    src = tmp_path / "clips"
    src.mkdir()
    for name in ("a", "b", "c"):
        (src / f"{name}.mp4").write_bytes(b"stand-in")
    out = tmp_path / "out"

    def run_batch(folder, out_dir, settings, **kwargs):
        rows = []
        for name, status, frames in (("a", OK, 300), ("b", SKIPPED, 310), ("c", "failed", 0)):
            if status != "failed":
                make_analysis(Path(out_dir) / name, str(Path(folder) / f"{name}.mp4"), frames=frames)
            rows.append({"video": f"{name}.mp4", "folder": name, "status": status, "error": ""})
        return BatchResult(Path(out_dir), rows, Path(out_dir) / "batch_summary.csv", [])

    monkeypatch.setattr("formcheck.batch.core.run_batch", run_batch)
    lib_path = tmp_path / "lib.sqlite"
    rc = main(["batch", str(src), "--out", str(out), "--athlete", "Bo", "--date", "2026-04-01",
               "--library", str(lib_path), "-q"])
    text = capsys.readouterr().out
    assert rc == 1  # one clip failed
    assert "library: 2 sessions of Bo: 2 added, 0 updated, 0 already there" in text
    with Library.open(lib_path) as lib:
        assert sorted(Path(x.video).name for x in lib.sessions("Bo")) == ["a.mp4", "b.mp4"]
        assert {x.date for x in lib.sessions("Bo")} == {dt.date(2026, 4, 1)}


def test_athletes_sessions_import_on_the_command_line(tmp_path, monkeypatch, capsys):
    lib = str(tmp_path / "lib.sqlite")
    monkeypatch.setenv("FORMCHECK_LIBRARY", lib)  # the environment variable picks the library
    make_analysis(tmp_path / "out" / "w1", "w1.mp4", metrics={"cva_deg": 54.25},
                  faults=[("gaze_down", "mild"), ("forward_head", "severe")])
    make_analysis(tmp_path / "out" / "w6", "w6.mp4", frames=333, metrics={"cva_deg": 61.0})

    def cli(*args: str) -> tuple[int, str, str]:
        rc = main(list(args))
        got = capsys.readouterr()
        return rc, got.out, got.err

    rc, out, _ = cli("athletes")
    assert rc == 0 and out.startswith("no athletes yet")
    assert not Path(lib).exists()  # listing creates nothing

    rc, _, err = cli("import", str(tmp_path / "out" / "w1"), "--athlete", "Ann", "--date", "2026-01-10",
                     "--condition", "outdoor")
    assert rc == 0, err
    rc, out, err = cli("import", str(tmp_path / "out"), "--athlete", "Ann", "--date", "2026-02-21")
    assert rc == 0, err
    assert out.splitlines()[-1] == f"1 added, 1 already in the library ({lib})"

    rc, out, err = cli("sessions", "ANN")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == "Ann: 2 sessions, newest first"
    assert lines[2].split()[:2] == ["2", "2026-02-21"] and lines[3].split()[:2] == ["1", "2026-01-10"]
    assert "54.2" in lines[3] and "61.0" in lines[2]
    assert "forward_head,gaze_down" in lines[3] and "outdoor" in lines[3]
    rc, out, _ = cli("athletes")
    assert out.split() == ["Ann", "2", "sessions", "2026-01-10", "..", "2026-02-21"]

    rc, _, err = cli("sessions", "Zed")
    one_error_line((rc, err), "no athlete named 'Zed'")
    rc, _, err = cli("import", str(tmp_path / "nothing"), "--athlete", "Ann")
    one_error_line((rc, err), "folder not found")


@pytest.mark.slow
def test_two_imports_at_once_into_one_library(tmp_path):
    lib = str(tmp_path / "lib.sqlite")
    for part in ("p", "q"):
        for i in range(15):
            make_analysis(tmp_path / part / f"{i}", f"{part}{i}.mp4")
    full = dict(os.environ, FORMCHECK_LIBRARY=lib)
    full["PYTHONPATH"] = os.pathsep.join([str(ROOT), full.get("PYTHONPATH", "")])
    procs = [subprocess.Popen([sys.executable, "-m", "formcheck", "import", str(tmp_path / part),
                               "--athlete", "Cy"], env=full, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for part in ("p", "q")]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    with Library.open(lib) as library:
        assert len(library.sessions("Cy")) == 30


@pytest.mark.slow
def test_two_real_batches_record_into_one_library_at_once(tmp_path):
    lib = tmp_path / "lib.sqlite"
    procs = []
    for run, seconds in (("one", 2.0), ("two", 2.5)):
        src = tmp_path / run
        src.mkdir()
        trim(SAMPLES / "runner_side_clean.mp4", src / "clean.mp4", seconds)
        trim(SAMPLES / "runner_side_forward_head.mp4", src / "forward.mp4", seconds)
        full = dict(os.environ)
        full["PYTHONPATH"] = os.pathsep.join([str(ROOT), full.get("PYTHONPATH", "")])
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "formcheck", "batch", str(src), "--out", str(tmp_path / f"out_{run}"),
             "--workers", "1", "--no-video", "--no-report", "-q", "--athlete", "Dee", "--library", str(lib),
             "--date", "2026-05-01" if run == "one" else "2026-05-29"],
            env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    for out, _ in results:
        assert "library: 2 sessions of Dee: 2 added" in out
    with Library.open(lib) as library:
        got = library.sessions("Dee")
    assert [x.date for x in got] == [dt.date(2026, 5, 29)] * 2 + [dt.date(2026, 5, 1)] * 2
    by_clip = {(x.date, Path(x.video).name): x for x in got}
    fwd, clean = by_clip[(dt.date(2026, 5, 1), "forward.mp4")], by_clip[(dt.date(2026, 5, 1), "clean.mp4")]
    # The synthetic clips differ in head position (see sample_videos/*.truth.json):
    assert fwd.metrics["cva_deg"].median < clean.metrics["cva_deg"].median
    assert "forward_head" in {f.code for f in fwd.faults}
    assert all(x.metrics["cadence_spm"].measurable for x in got)


def test_read_only_library_fails_analyze_before_the_analysis(tmp_path):
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="formcheck-ro-cli-"))
    try:
        os.chmod(root, 0o755)
        where = root / "lib.sqlite"
        Library.open(where).close()
        os.chmod(where, 0o444)
        os.chmod(root, 0o555)
        prefix: list[str] = []
        if os.geteuid() == 0:  # root ignores file permissions unless it drops the capability
            if shutil.which("setpriv") is None:
                pytest.skip("running as root without setpriv")
            caps = "-dac_override,-dac_read_search,-fowner"
            prefix = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}"]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
        # The clip does not exist either: the library is checked first, before any analysis.
        proc = subprocess.run([*prefix, sys.executable, "-m", "formcheck", "analyze", str(root / "no.mp4"),
                               "--athlete", "Ann", "--library", str(where)],
                              capture_output=True, text=True, env=env, timeout=120)
        one_error_line(proc, f"library {where} is read-only: cannot record into it")
        listing = subprocess.run([*prefix, sys.executable, "-m", "formcheck", "athletes", "--library", str(where)],
                                 capture_output=True, text=True, env=env, timeout=120)
        assert listing.returncode == 0 and listing.stdout.startswith("no athletes yet in"), listing.stderr
    finally:
        os.chmod(root, 0o755)
        shutil.rmtree(root)
