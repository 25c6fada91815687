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
and on the one athlete. Rounds repeat for a few seconds per N (each a new library).

The race that failed in issue 20 is the making of a new library by several processes at
once, and it is rare: with the code before the fix about 2 % of starts failed (4 of 210,
with 2, 4 and 8 processes; the full workload above, 2-3 starts per N, never met it in 17
runs). So a second test only starts N processes on a new library (and a new jobs file)
at once, each recording one clip, over and over for a few seconds: before the fix 4 of 12
runs of this file failed there, on a 2-core machine at load 14-19.

What must hold in every round: every process exits 0; every clip is one session, added by
exactly one write; every session read at any moment has all its results (a write is all
or nothing); every upload's job is done once and names its clip's session;
``PRAGMA integrity_check`` is ok on both SQLite files.

``-m "not stress"`` leaves these out; ``FORMCHECK_STRESS_SECONDS`` and
``FORMCHECK_STRESS_OPEN_SECONDS`` set the time per N of each.
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

#: Seconds of rounds per N (at least MIN_ROUNDS rounds, each a new library) of the full
#: workload; the open test spends OPEN_SECONDS * N / 4 on N processes (more rounds of 8).
SECONDS = float(os.environ.get("FORMCHECK_STRESS_SECONDS", "5"))
OPEN_SECONDS = float(os.environ.get("FORMCHECK_STRESS_OPEN_SECONDS", "6"))
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
    # the interpreter's own streams write to descriptors 1 and 2 (pytest's capture objects,
    # inherited through the fork, would keep the child's output in the parent's buffers)
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
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


def _start_at_once(roles: list[str], location: str, jobs_db: str, folders_of: list[list[str]],
                   work: Path) -> list[dict]:
    """Run one forked writer per role, all released at the same moment; fail on any that
    exits non-zero (with the end of its stderr); return what each saw."""
    import ast

    n = len(roles)
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
            assert int(added) + int(rest.split()[0]) == len(folders_of[i])
            seen[i]["added"] = int(added)
    return seen


def _sqlite_ok(path: str) -> None:
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def one_round(n: int, location: str, work: Path) -> None:
    """``n`` writers start at once on a new library at ``location``; check what they left."""
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
    seen = _start_at_once(roles, location, jobs_db, folders_of, work)
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
        _sqlite_ok(location)
    _sqlite_ok(jobs_db)
    with sqlite3.connect(jobs_db) as con:
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


def _opener(i: int, work: str, log: str, barrier, stop) -> None:
    """One of the processes of the open test (forked once, for every round): at each start,
    open round r's new library and jobs file and record clip ``i``. A failure is noted
    (the round goes on for the others) and reported at the end in ``log``.seen."""
    for fd, ext in ((1, ".out"), (2, ".err")):
        f = os.open(log + ext, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(f, fd)
        os.close(f)
    seen: dict = {"added": 0, "failed": []}
    r = 0
    while True:
        barrier.wait(120)
        if stop.value:
            break
        here = Path(work) / f"round{r}"
        try:
            with Library.open((here / "location").read_text()) as lib:  # the first thing every writer does
                seen["added"] += lib.record(Path(work) / f"f{i}", ATHLETE, date=DAY).status == "added"
            JobStore(here / "web-jobs.sqlite")
        except Exception as exc:
            seen["failed"].append((r, f"{type(exc).__name__}: {exc}"))
        r += 1
        barrier.wait(120)
    Path(log + ".seen").write_text(repr(seen))


@pytest.mark.parametrize("n", [2, 4, 8])
def test_many_processes_make_one_new_library_at_once(backend, n, tmp_path, request):
    """Round after round, ``n`` processes open the same new library (and the same new jobs
    file) at the same moment and record one clip each: the race that failed in issue 20,
    cheap enough to repeat many times. The processes are forked once for all rounds."""
    import ast
    from contextlib import ExitStack

    admin = request.getfixturevalue("pg_admin_url") if backend == "postgresql" else None
    for i in range(n):
        make_analysis(tmp_path / f"f{i}", f"f{i}.mp4")
    ctx = multiprocessing.get_context("fork")
    barrier, stop = ctx.Barrier(n + 1), ctx.Value("b", 0)
    logs = [str(tmp_path / f"p{i}") for i in range(n)]
    locations: list[str] = []
    with cpu_load(), ExitStack() as databases:
        procs = [ctx.Process(target=_opener, args=(i, str(tmp_path), logs[i], barrier, stop)) for i in range(n)]
        for p in procs:
            p.start()
        t0 = time.monotonic()
        try:
            while len(locations) < MIN_ROUNDS or time.monotonic() - t0 < OPEN_SECONDS * n / 4:
                here = tmp_path / f"round{len(locations)}"
                here.mkdir()
                location = str(here / "lib.sqlite") if admin is None else databases.enter_context(fresh_database(admin))
                (here / "location").write_text(location)
                locations.append(location)
                barrier.wait(120)  # go
                barrier.wait(300)  # every process is through this round
            took = time.monotonic() - t0
            stop.value = 1
            barrier.wait(120)
        finally:
            for p in procs:
                p.join(60)
        codes = [p.exitcode for p in procs]
        assert codes == [0] * n, [Path(log + ".err").read_text()[-500:] for log in logs]
        seen = [ast.literal_eval(Path(log + ".seen").read_text()) for log in logs]
        failed = [f for s in seen for f in s["failed"]]
        assert not failed, f"{len({r for r, _ in failed})} of {len(locations)} rounds failed: {failed[:3]}"
        assert sum(s["added"] for s in seen) == n * len(locations)
        for r, location in enumerate(locations):
            with Library.open(location, create=False) as lib:
                assert sorted(s.video for s in lib.sessions()) == sorted(f"f{i}.mp4" for i in range(n))
            if admin is None:
                _sqlite_ok(location)
            _sqlite_ok(str(tmp_path / f"round{r}" / "web-jobs.sqlite"))
    print(f"{backend} n={n}: {len(locations)} new libraries in {took:.1f} s")
