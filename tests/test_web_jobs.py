"""Analysis jobs across a server stop: the worker busy with a clip is ended with the
server, its job is kept and runs again when the next server starts, to completion."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from conftest import wait_until

from formcheck.model.settings import Settings
from formcheck.web.jobs import Dispatcher, Job, JobStore

SAMPLE = Path(__file__).resolve().parents[1] / "sample_videos" / "runner_side_clean.mp4"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True




def test_a_new_jobs_table_locked_by_another_process_is_waited_for(tmp_path: Path) -> None:
    # Another process holds the write lock of the new jobs file while this one switches
    # it to WAL: SQLite fails the switch at once, without its busy timeout; it is retried.
    where = tmp_path / "web-jobs.sqlite"
    holder = sqlite3.connect(where, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(1.0, lambda: holder.execute("COMMIT"))
    release.start()
    t0 = time.monotonic()
    try:
        store = JobStore(where)
        waited = time.monotonic() - t0
    finally:
        release.join()
        holder.close()
    assert waited >= 0.9
    job = store.add(clip_name="a.mp4", clip_path=tmp_path / "a.mp4", out_dir=tmp_path / "out",
                    athlete="Ana", date=None, notes="", height_cm=None)
    assert store.claim_next() == store.get(job.id) and store.get(job.id).state == "running"
    with sqlite3.connect(where) as con:
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.slow
def test_a_stopped_server_ends_its_workers_and_the_job_runs_again(tmp_path: Path) -> None:
    clip = tmp_path / "clip.video"
    shutil.copy(SAMPLE, clip)
    store = JobStore(tmp_path / "jobs.sqlite")
    job = store.add(clip_name="clean.mp4", clip_path=clip, out_dir=tmp_path / "out", athlete="Ana",
                    date=None, notes="", height_cm=None)
    recorded: list[Job] = []

    def record(j: Job) -> str:
        recorded.append(j)
        return "1"

    settings = Settings(video=False, report=False, threads=1)
    first = Dispatcher(store, settings, record)
    first.start()
    try:
        wait_until(lambda: (j := store.get(job.id)) and j.state == "running" and j.progress > 0, 300,
              "the pose pass to start")
        pids = first.pool.pids()  # type: ignore[union-attr]
    finally:
        first.stop()
    assert pids and not any(_alive(p) for p in pids), "a worker outlived the server"
    assert store.get(job.id).state == "running"  # as a killed server leaves it
    assert not (tmp_path / "out" / "summary.json").exists()

    second = Dispatcher(JobStore(tmp_path / "jobs.sqlite"), settings, record)
    second.start()  # recovers: queued again, then run
    try:
        done = wait_until(lambda: (j := store.get(job.id)) and j.state in ("done", "failed") and j, 600,
                     "the job to finish after the restart")
    finally:
        second.stop()
    assert done.state == "done", done.message
    assert done.attempts == 2 and done.progress == 1.0
    assert [j.id for j in recorded] == [job.id]
    assert (tmp_path / "out" / "summary.json").is_file()


@pytest.mark.slow
def test_jobs_run_on_a_dask_scheduler(tmp_path: Path) -> None:
    """With a scheduler address the same analysis runs on the Dask cluster, and its
    progress and result arrive through the shared jobs table."""
    distributed = pytest.importorskip("distributed")
    clip = tmp_path / "clip.video"
    shutil.copy(SAMPLE, clip)
    store = JobStore(tmp_path / "jobs.sqlite")
    job = store.add(clip_name="clean.mp4", clip_path=clip, out_dir=tmp_path / "out", athlete="Ana",
                    date=None, notes="", height_cm=None)
    settings = Settings(video=False, report=False, threads=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        dispatcher = Dispatcher(store, settings, lambda j: "7", scheduler=cluster.scheduler_address)
        dispatcher.start()
        try:
            seen = set()

            def finished():
                j = store.get(job.id)
                seen.add(round(j.progress, 1))
                return j if j.state in ("done", "failed") else None

            done = wait_until(finished, 600, "the job on the cluster")
        finally:
            dispatcher.stop()
    assert done.state == "done", done.message
    assert done.session_id == "7"
    assert any(0 < p < 1 for p in seen), seen  # progress arrived while it ran
    assert (tmp_path / "out" / "summary.json").is_file()
