"""The session library and the web app's jobs table under many writers on a loaded machine.

In each round N processes (2, 4, 8) start at the same moment against one library that
does not exist yet (a new SQLite file, or an empty PostgreSQL database):

* ``formcheck import`` of the process's folder of analyses, as a user types it;
* a batch-like writer that records every folder, then again (an update, never a second
  session), and reads the whole library after each write;
* a stand-in for the web app (every third process) that queues uploads in the jobs table
  (``web-jobs.sqlite``, a SQLite file of its own, new too), claims them, writes progress,
  records each analysis in the library, marks the job done and reads the library,

while one busy loop per core keeps every core loaded. Some clips are in every process's
folder (the same analysis, so the same session), so the writers also race on one session
and on the one athlete. Rounds repeat for a few seconds per N (each a new library): the
race to make a new library is the rare one (issue 20: a few per cent of rounds failed).

What must hold in every round: every process exits 0; every clip is one session, added by
exactly one write; every session read at any moment has all its results (a write is all
or nothing); every upload's job is done once and names its clip's session;
``PRAGMA integrity_check`` is ok on both SQLite files.

``-m "not stress"`` leaves this out; ``FORMCHECK_STRESS_SECONDS`` sets the time per N.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from library_data import DEFAULT_METRICS, make_analysis
from pg_server import fresh_database

from formcheck.cli.app import main as cli_main
from formcheck.store import Library
from formcheck.web.jobs import JobStore

pytestmark = pytest.mark.stress

#: Seconds of rounds per N (at least MIN_ROUNDS rounds, each a new library).
SECONDS = float(os.environ.get("FORMCHECK_STRESS_SECONDS", "8"))
MIN_ROUNDS = 2
OWN, COMMON = 2, 2  # clips only this process has; clips every process has
ATHLETE = "Cy"
DAY = dt.date(2026, 3, 1)
N_METRICS = len(DEFAULT_METRICS)


# ------------------------------------------------------------------- the writers


def _read(lib: Library, seen: dict) -> None:
    for s in lib.sessions():
        if len(s.metrics) != N_METRICS:
            seen["torn"].append((s.video, len(s.metrics)))
    lib.athletes()


def _import(location: str, jobs_db: str, folders: list[str], seen: dict) -> None:
    code = cli_main(["import", str(Path(folders[0]).parent), "--athlete", ATHLETE,
                     "--date", DAY.isoformat(), "--library", location])
    sys.stdout.flush()
    if code:
        sys.exit(code)


def _record(location: str, jobs_db: str, folders: list[str], seen: dict) -> None:
    with Library.open(location) as lib:
        for again in (False, True):
            for f in folders:
                r = lib.record(f, ATHLETE, date=DAY)
                seen["added"] += r.status == "added"
                assert not again or r.status == "updated", (f, r.status)
                _read(lib, seen)


def _web(location: str, jobs_db: str, folders: list[str], seen: dict) -> None:
    jobs = JobStore(jobs_db)
    for f in folders:
        jobs.add(clip_name=Path(f).name + ".mp4", clip_path=Path(f) / "clip.mp4", out_dir=Path(f),
                 athlete=ATHLETE, date=DAY.isoformat(), notes="", height_cm=None)
    with Library.open(location) as lib:
        while (job := jobs.claim_next()) is not None:
            for p in (0.3, 0.6, 0.9):
                jobs.set_progress(job.id, p, "pose pass")
            r = lib.record(job.out_dir, job.athlete, date=DAY)
            seen["added"] += r.status == "added"
            jobs.finish(job.id, str(r.session_id))
            _read(lib, seen)


ROLES = {"import": _import, "record": _record, "web": _web}


def _child(role: str, location: str, jobs_db: str, folders: list[str], log: str, barrier) -> None:
    """One writer process (forked): its stdout and stderr go to ``log``.out/.err, what it
    saw to ``log``.seen."""
    for fd, ext in ((1, ".out"), (2, ".err")):
        f = os.open(log + ext, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(f, fd)
        os.close(f)
    seen = {"added": 0, "torn": []}
    barrier.wait(60)
    ROLES[role](location, jobs_db, folders, seen)
    Path(log + ".seen").write_text(repr(seen))


# ------------------------------------------------------------------- the round


@contextmanager
def cpu_load():
    """One busy loop per core, stopped at the end (or when the test process dies)."""
    loop = "import os\nparent = os.getppid()\nwhile os.getppid() == parent:\n    pass"
    burners = [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(os.cpu_count() or 2)]
    try:
        yield
    finally:
        for b in burners:
            b.kill()
        for b in burners:
            b.wait(10)


def one_round(n: int, location: str, work: Path) -> None:
    """``n`` writers start at once on a new library at ``location``; check what they left."""
    import ast

    roles = [("import", "web", "record")[i % 3] for i in range(n)]
    jobs_db = str(work / "web-jobs.sqlite")
    folders_of, video_of = [], {}
    for i in range(n):
        base = work / f"p{i}"
        # Every process has its own copy of the common clips' analyses: the same clip,
        # hence the same session, reached from different folders.
        clips = [(f"own{j}", f"p{i}_{j}.mp4") for j in range(OWN)] + \
                [(f"common{k}", f"common{k}.mp4") for k in range(COMMON)]
        folders_of.append([str(make_analysis(base / name, video)) for name, video in clips])
        video_of.update({str(base / name): video for name, video in clips})
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(n)
    logs = [str(work / f"p{i}") for i in range(n)]
    procs = [ctx.Process(target=_child, args=(roles[i], location, jobs_db, folders_of[i], logs[i], barrier))
             for i in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
    codes = [p.exitcode for p in procs]
    failed = [(roles[i], codes[i], Path(logs[i] + ".err").read_text().strip().splitlines()[-2:])
              for i in range(n) if codes[i] != 0]
    assert not failed, f"{len(failed)} of {n} processes failed: {failed}"

    seen = [ast.literal_eval(Path(log + ".seen").read_text()) for log in logs]
    for i, role in enumerate(roles):
        if role == "import":  # its last line: "<added> added, <rest> already in the library (...)"
            added, rest = Path(logs[i] + ".out").read_text().strip().splitlines()[-1].split(" added, ")
            assert int(added) + int(rest.split()[0]) == OWN + COMMON
            seen[i]["added"] = int(added)
    assert not [s["torn"] for s in seen if s["torn"]], "a session was read without all its results"

    want = {f"p{i}_{j}.mp4" for i in range(n) for j in range(OWN)} | {f"common{k}.mp4" for k in range(COMMON)}
    with Library.open(location, create=False) as lib:
        sessions = lib.sessions()
        assert sorted(s.video for s in sessions) == sorted(want)  # each clip is one session
        assert sum(s["added"] for s in seen) == len(want)  # added by exactly one write
        assert all(len(s.metrics) == N_METRICS for s in sessions)
        assert [(a.name, a.sessions) for a in lib.athletes()] == [(ATHLETE, len(want))]
        video_by_id = {s.id: s.video for s in sessions}
    if "://" not in location:
        with sqlite3.connect(location) as con:
            assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with sqlite3.connect(jobs_db) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = con.execute("SELECT out_dir, state, progress, session_id FROM jobs").fetchall()
    uploads = [f for i, role in enumerate(roles) if role == "web" for f in folders_of[i]]
    assert sorted(r[0] for r in rows) == sorted(uploads)  # each upload queued once
    assert {r[1:3] for r in rows} == {("done", 1.0)}
    assert all(video_by_id[int(r[3])] == video_of[r[0]] for r in rows)  # the job names its session


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def backend(request):
    return request.param


@pytest.mark.parametrize("n", [2, 4, 8])
def test_many_writers_at_once_on_a_loaded_machine(backend, n, tmp_path, request):
    admin = request.getfixturevalue("pg_admin_url") if backend == "postgresql" else None
    rounds, t0 = 0, time.monotonic()
    with cpu_load():
        while rounds < MIN_ROUNDS or time.monotonic() - t0 < SECONDS:
            work = tmp_path / f"round{rounds}"
            work.mkdir()
            if admin is None:
                one_round(n, str(work / "lib.sqlite"), work)
            else:
                with fresh_database(admin) as url:
                    one_round(n, url, work)
            rounds += 1
    print(f"{backend} n={n}: {rounds} rounds in {time.monotonic() - t0:.1f} s")
