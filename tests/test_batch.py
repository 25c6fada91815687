"""Batch analysis: statuses, resuming, --force, crashed workers, Ctrl-C, Dask.

The clips are the first 3 s of two sample clips (remuxed, no re-encoding) plus a
corrupt one; video and report outputs are off so that the pose model dominates. The
tests that run the pose model are ``slow``; resuming, naming, locking and crashed
workers are also checked without it (stand-in tasks, hand-written summaries).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import trim

from formcheck import ANALYSIS_REVISION, __version__
from formcheck.batch.core import (
    COLUMNS,
    INTERRUPTED,
    SUMMARY_CSV,
    ClipJob,
    ClipResult,
    ClusterError,
    batch_lock,
    completed_summary,
    find_videos,
    output_names,
    read_batch_csv,
    run_batch,
)
from formcheck.batch.executors import WORKER_DIED, run_local
from formcheck.cli.app import main
from formcheck.errors import OutputError
from formcheck.model.provenance import library_versions
from formcheck.model.settings import Settings
from formcheck.pose.bundle import resolve_model

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
FAST = ["--no-video", "--no-report"]
SETTINGS = Settings(video=False, report=False)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    """a.mp4 and b.mp4 (3 s each, good) and bad.mp4 (random bytes), plus a non-video."""
    d = tmp_path_factory.mktemp("clips")
    trim(SAMPLES / "runner_side_clean.mp4", d / "a.mp4", 3.0)
    trim(SAMPLES / "runner_side_forward_head.mp4", d / "b.mp4", 3.0)
    (d / "bad.mp4").write_bytes(os.urandom(4000))
    (d / "notes.txt").write_text("not a clip\n")
    return d


@pytest.fixture(scope="module")
def first_run(clips, tmp_path_factory) -> tuple[int, Path]:
    out = tmp_path_factory.mktemp("out")
    rc = main(["batch", str(clips), "--out", str(out), "--workers", "2", *FAST])
    return rc, out


def rows_by_video(out: Path) -> dict[str, dict[str, str]]:
    return {r["video"]: r for r in read_batch_csv(out / SUMMARY_CSV)}


def summary_mtimes(out: Path) -> dict[str, int]:
    return {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/summary.json")}


def copy_out(out: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "out"
    shutil.copytree(out, dst)  # copy2 keeps the mtimes
    return dst


# --------------------------------------------------------------- end to end, local


@pytest.mark.slow  # first_run runs the pose model (in the batch workers)
def test_first_run_one_row_per_clip_and_exit_1(first_run):
    rc, out = first_run
    assert rc == 1  # bad.mp4 failed
    rows = rows_by_video(out)
    assert list(read_batch_csv(out / SUMMARY_CSV)[0]) == list(COLUMNS)
    assert {v: r["status"] for v, r in rows.items()} == {
        "a.mp4": "ok",
        "b.mp4": "ok",
        "bad.mp4": "failed",
    }
    bad = rows["bad.mp4"]
    assert bad["error"] and "\n" not in bad["error"] and bad["cva_deg"] == ""
    for v, source in (("a.mp4", "runner_side_clean"), ("b.mp4", "runner_side_forward_head")):
        r = rows[v]
        assert r["error"] == "" and r["view"] == "side"
        assert float(r["duration_s"]) == pytest.approx(3.0, abs=0.1)
        # the drawn cadence, within 3 steps/min (under 2%, below the 5-10% the advice asks for)
        truth = json.loads((SAMPLES / f"{source}.truth.json").read_text())["cadence_spm"]
        assert float(r["cadence_spm"]) == pytest.approx(truth, abs=3.0)
        assert (out / r["folder"] / "summary.json").is_file()
    assert (rows["a.mp4"]["facing"], rows["b.mp4"]["facing"]) == ("left", "right")
    # the forward-head clip is flagged, the clean one is not
    assert "forward_head" in rows["b.mp4"]["faults"].split(";")
    assert "forward_head" not in rows["a.mp4"]["faults"].split(";")
    assert float(rows["b.mp4"]["cva_deg"]) < float(rows["a.mp4"]["cva_deg"])
    assert not (out / "bad").exists()  # no empty folder for a failed clip
    for name in ("batch_report.pdf", "batch_report.png"):
        assert (out / name).stat().st_size > 1000
    assert not list(out.rglob(".formcheck-partial-*"))


@pytest.mark.slow  # first_run runs the pose model (in the batch workers)
def test_rerun_analyses_nothing_new(first_run, clips, tmp_path):
    out = copy_out(first_run[1], tmp_path)
    before = summary_mtimes(out)
    rc = main(["batch", str(clips), "--out", str(out), "--workers", "2", *FAST])
    assert rc == 1  # the corrupt clip is tried again, and fails again
    statuses = {v: r["status"] for v, r in rows_by_video(out).items()}
    assert statuses == {"a.mp4": "skipped", "b.mp4": "skipped", "bad.mp4": "failed"}
    assert summary_mtimes(out) == before
    # a skipped row still carries the clip's values
    assert rows_by_video(out)["b.mp4"]["cva_deg"] == rows_by_video(first_run[1])["b.mp4"]["cva_deg"]


@pytest.mark.slow  # first_run runs the pose model (in the batch workers)
def test_all_good_exits_0(first_run, clips, tmp_path):
    out = copy_out(first_run[1], tmp_path)
    rc = main(["batch", str(clips), "--out", str(out), "--pattern", "?.MP4", *FAST])
    assert rc == 0
    assert set(rows_by_video(out)) == {"a.mp4", "b.mp4"}


@pytest.mark.slow  # first_run runs the pose model (in the batch workers)
def test_interrupted_clip_is_analysed_again(first_run, clips, tmp_path):
    """A killed run leaves a staging folder and no summary.json: the rerun redoes that clip
    (and removes the leftovers); complete clips are kept."""
    out = copy_out(first_run[1], tmp_path)
    (out / "a" / "summary.json").unlink()
    stale = out / "a" / ".formcheck-partial-k1ll3d"
    stale.mkdir()
    (stale / "frames.csv").write_text("half a table")
    (out / ".formcheck-partial-0000-batch_summary.csv").write_text("half a table")
    b_before = summary_mtimes(out)["b"]
    main(["batch", str(clips), "--out", str(out), "--workers", "1", "--pattern", "?.mp4", *FAST])
    statuses = {v: r["status"] for v, r in rows_by_video(out).items()}
    assert statuses == {"a.mp4": "ok", "b.mp4": "skipped"}
    assert (out / "a" / "summary.json").is_file()
    assert summary_mtimes(out)["b"] == b_before
    assert not list(out.rglob(".formcheck-partial-*"))


@pytest.mark.slow  # first_run runs the pose model (in the batch workers)
def test_force_analyses_again(first_run, clips, tmp_path):
    out = copy_out(first_run[1], tmp_path)
    before = summary_mtimes(out)
    main(["batch", str(clips), "--out", str(out), "--force", "--pattern", "?.mp4", *FAST])
    statuses = {v: r["status"] for v, r in rows_by_video(out).items()}
    assert statuses == {"a.mp4": "ok", "b.mp4": "ok"}
    after = summary_mtimes(out)
    assert all(after[k] > before[k] for k in ("a", "b"))


@pytest.mark.slow
def test_ctrl_c_keeps_finished_clips(clips, tmp_path):
    """SIGINT to the whole process group (as a terminal's Ctrl-C) once the first clip is
    done and the second is running: exit 130, the first clip kept, nothing half-written,
    the table written with the unfinished clip marked."""
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "formcheck",
        "batch",
        str(clips),
        "--out",
        str(out),
        "--workers",
        "1",
        "--pattern",
        "?.mp4",
        "--quiet",
        *FAST,
    ]
    proc = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 90
    while not (out / "a" / "summary.json").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not (out / "b" / "summary.json").exists()
    assert not list(out.rglob(".formcheck-partial-*"))
    rows = rows_by_video(out)
    assert rows["a.mp4"]["status"] == "ok"
    assert rows["b.mp4"]["status"] == "failed" and rows["b.mp4"]["error"] == INTERRUPTED
    # what a rerun would keep (the rerun itself: test_interrupted_clip_is_analysed_again)
    model_sha = resolve_model(None).sha256
    assert completed_summary(clips / "a.mp4", out / "a", SETTINGS, model_sha) is not None
    assert completed_summary(clips / "b.mp4", out / "b", SETTINGS, model_sha) is None


# ---------------------------------------------------------------------------- Dask


@pytest.mark.slow
def test_dask_cluster_gives_the_same_table(first_run, clips, tmp_path):
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "dask_out"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        rc = main(
            [
                "batch",
                str(clips),
                "--out",
                str(out),
                "--scheduler",
                cluster.scheduler_address,
                *FAST,
            ]
        )
    assert rc == 1
    local, dask = rows_by_video(first_run[1]), rows_by_video(out)
    assert set(local) == set(dask)
    skip = {"analysis_s"}
    for v in local:
        for col in COLUMNS:
            if col in skip:
                continue
            a, b = local[v][col], dask[v][col]
            try:
                assert float(a) == pytest.approx(float(b), abs=1e-3), (v, col)
            except ValueError:
                assert a == b, (v, col)


def test_missing_dask_is_one_clear_line(clips, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    rc = main(
        ["batch", str(clips), "--out", str(tmp_path), "--scheduler", "tcp://127.0.0.1:1", *FAST]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert err.strip().count("\n") == 0 and "formcheck[dask]" in err


def test_cluster_error_is_a_formcheck_error():
    from formcheck.errors import FormcheckError

    assert issubclass(ClusterError, FormcheckError)


# --------------------------------------------------------------- crashed workers


def stand_in_task(job: ClipJob) -> ClipResult:
    """Pretends to analyse; a clip named crash*.mp4 kills its worker process outright."""
    if Path(job.video).name.startswith("crash"):
        os._exit(9)
    time.sleep(0.2)
    return ClipResult(
        job.rel,
        "ok",
        summary={"view": "side", "facing": "left", "metrics": {"cva_deg": {"median": 70.0}}},
    )


def test_a_crashed_worker_fails_only_its_clip(tmp_path):
    jobs = [
        ClipJob(str(tmp_path / f"{n}.mp4"), f"{n}.mp4", str(tmp_path / n), SETTINGS)
        for n in ("a", "b", "crash", "c", "d", "e")
    ]
    results: dict[str, ClipResult] = {}
    run_local(jobs, 2, lambda r: results.__setitem__(r.rel, r), task=stand_in_task)
    assert set(results) == {j.rel for j in jobs}  # every clip reported, exactly once
    assert results["crash.mp4"].status == "failed" and results["crash.mp4"].error == WORKER_DIED
    assert all(r.status == "ok" for k, r in results.items() if k != "crash.mp4")


def test_run_batch_survives_a_crashed_worker(tmp_path):
    src = tmp_path / "clips"
    src.mkdir()
    for n in ("a", "crash", "b"):
        (src / f"{n}.mp4").write_bytes(b"x")
    res = run_batch(src, tmp_path / "out", SETTINGS, workers=2, task=stand_in_task)
    assert {r["video"]: r["status"] for r in res.rows} == {
        "a.mp4": "ok",
        "b.mp4": "ok",
        "crash.mp4": "failed",
    }
    assert not res.all_ok and res.counts == {"ok": 2, "skipped": 0, "failed": 1}
    assert rows_by_video(tmp_path / "out")["a.mp4"]["cva_deg"] == "70.0"


def test_workers_renew_their_pool_after_a_crash_and_close_ends_a_busy_one(tmp_path):
    # The pool the web app's jobs run on: a task that kills its worker breaks the pool,
    # the next submit runs in a fresh one, and close() ends a worker still busy.
    from concurrent.futures.process import BrokenProcessPool

    from formcheck.batch.executors import Workers

    def job(name: str) -> ClipJob:
        return ClipJob(str(tmp_path / name), name, str(tmp_path / "out"), SETTINGS)

    pool = Workers(1)
    try:
        with pytest.raises(BrokenProcessPool):
            pool.submit(stand_in_task, job("crash.mp4")).result(timeout=60)
        assert pool.submit(stand_in_task, job("a.mp4")).result(timeout=60).status == "ok"
        busy = pool.submit(time.sleep, 60)
        deadline = time.monotonic() + 60
        while not busy.running() and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = pool.pids()
        assert len(pids) == 1
    finally:
        t0 = time.monotonic()
        pool.close()
    assert time.monotonic() - t0 < 10  # not the 60 s the task would take
    with pytest.raises(KeyboardInterrupt):  # interrupted (SIGINT), not left to run
        busy.result(timeout=10)
    assert not Path(f"/proc/{pids[0]}").exists() or "Z" in Path(f"/proc/{pids[0]}/stat").read_text().split()[2]


# ------------------------------------------------------------------------- pieces


def test_find_videos(tmp_path):
    for p in (
        "a.mp4",
        "B.MOV",
        "notes.txt",
        ".hidden.mp4",
        "._a.mp4",
        "sub/a.mp4",
        "sub/deeper/c.webm",
        ".cache/x.mp4",
        "out/annotated.mp4",
    ):
        f = tmp_path / p
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"x")
    rel = lambda vs: [v.relative_to(tmp_path).as_posix() for v in vs]  # noqa: E731
    assert rel(find_videos(tmp_path)) == ["B.MOV", "a.mp4"]
    assert rel(find_videos(tmp_path, recursive=True, exclude=tmp_path / "out")) == [
        "B.MOV",
        "a.mp4",
        "sub/a.mp4",
        "sub/deeper/c.webm",
    ]
    assert rel(find_videos(tmp_path, pattern="b*", recursive=True)) == ["B.MOV"]
    # with a "/" the pattern matches the relative path ("*" also matches "/", as in fnmatch)
    assert rel(find_videos(tmp_path, pattern="sub/deeper/*", recursive=True)) == [
        "sub/deeper/c.webm"
    ]


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (["a.mp4", "b.mp4"], ["a", "b"]),
        (["a.mp4", "sub/a.mp4", "sub/deeper/a.mp4"], ["a", "sub__a", "sub__deeper__a"]),
        (["run.mp4", "run.MOV"], ["run-mov", "run-mp4"]),
        (["Run.mp4", "run.mp4"], ["Run-mp4", "run-mp4-2"]),
        (["x-mp4.mp4", "x.mp4", "x.mov"], ["x-mp4", "x-mov", "x-mp4-2"]),
    ],
)
def test_output_names_are_unique_and_deterministic(tmp_path, paths, expected):
    videos = [tmp_path / p for p in paths]
    names = output_names(videos, tmp_path)
    assert [
        names[v] for v in sorted(videos, key=lambda v: v.relative_to(tmp_path).as_posix())
    ] == expected
    assert names == output_names(list(reversed(videos)), tmp_path)
    assert len({n.casefold() for n in names.values()}) == len(videos)


def _fake_done(tmp_path: Path, **changes) -> tuple[Path, Path]:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"x")
    folder = tmp_path / "out" / "clip"
    folder.mkdir(parents=True)
    # a complete summary (the one a 0.1 analysis wrote; the reader migrates it) with the
    # fields resuming compares set to match SETTINGS, then the test's changes
    summary = json.loads((Path(__file__).parent / "data" / "summary_0_1.json").read_text())
    summary["formcheck_version"] = __version__
    summary["analysis_revision"] = ANALYSIS_REVISION
    summary["made_with"] = library_versions()
    summary["video"]["path"] = str(clip)
    summary["model"]["sha256"] = "abc"
    summary["settings"].update(video=False, report=False)
    summary["settings_fingerprint"] = SETTINGS.fingerprint()
    for key, value in changes.items():
        if isinstance(value, dict):
            summary[key].update(value)
        else:
            summary[key] = value
    (folder / "summary.json").write_text(json.dumps(summary))
    return clip, folder


@pytest.mark.parametrize(
    ("changes", "settings", "kept"),
    [
        ({}, SETTINGS, True),
        ({}, SETTINGS.replace(video=True), False),  # annotated video now asked for
        ({"settings_fingerprint": "0" * 16}, SETTINGS, False),
        ({}, SETTINGS.replace(height_cm=180.0), False),
        ({"model": {"sha256": "other"}}, SETTINGS, False),
        ({"formcheck_version": "0.0.0"}, SETTINGS, False),
        ({"analysis_revision": ANALYSIS_REVISION - 1}, SETTINGS, False),  # results moved since
        ({"analysis_revision": None}, SETTINGS, False),  # made before revisions were kept
        ({"made_with": {"mediapipe": "0.10.14"}}, SETTINGS, False),  # another pose runtime
        ({"made_with": {"numpy": "1.26.0"}}, SETTINGS, True),  # compare warns; no rerun
        ({}, SETTINGS.replace(threads=1), True),  # threads change the speed, not results
        ({"video": {"path": "/elsewhere/another.mp4"}}, SETTINGS, False),
    ],
)
def test_completed_summary(tmp_path, changes, settings, kept):
    clip, folder = _fake_done(tmp_path, **changes)
    assert (completed_summary(clip, folder, settings, "abc") is not None) is kept


def test_clip_newer_than_results_is_redone(tmp_path):
    clip, folder = _fake_done(tmp_path)
    assert completed_summary(clip, folder, SETTINGS, "abc") is not None
    later = (folder / "summary.json").stat().st_mtime_ns + 10**9
    os.utime(clip, ns=(later, later))
    assert completed_summary(clip, folder, SETTINGS, "abc") is None
    (folder / "summary.json").write_text("{not json")
    assert completed_summary(clip, folder, SETTINGS, "abc") is None


def test_second_batch_into_the_same_folder_is_refused(tmp_path):
    with batch_lock(tmp_path), pytest.raises(OutputError, match="another formcheck batch"):
        with batch_lock(tmp_path):
            pass
    with batch_lock(tmp_path):  # released
        pass


@pytest.mark.parametrize("make", ["missing", "file", "empty"])
def test_bad_folder_is_one_line_and_exit_2(tmp_path, capsys, make):
    src = tmp_path / "src"
    if make == "file":
        src.write_text("x")
    elif make == "empty":
        src.mkdir()
        (src / "notes.txt").write_text("x")
    assert main(["batch", str(src), "--out", str(tmp_path / "out"), *FAST]) == 2
    err = capsys.readouterr().err
    assert err.startswith("formcheck: error:") and err.strip().count("\n") == 0


def test_recursive_into_its_own_output_is_refused(clips, capsys):
    assert main(["batch", str(clips), "--out", str(clips), "--recursive", *FAST]) == 2
    assert "--out must not be" in capsys.readouterr().err
