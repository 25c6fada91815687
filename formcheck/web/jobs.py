"""Analysis jobs of the web app: a queue kept in SQLite, run by worker processes.

Every uploaded clip becomes one row of the ``jobs`` table (``web.sqlite`` in the
library folder) before the upload request returns, so a page reload shows it and a
server restart finds it again:

* ``queued``  waits for a worker; kept across restarts and run when the server is back.
* ``running`` a worker is on it; ``progress`` (0-1) and ``stage`` are written by the
  worker itself, so every page and every server process reads the same numbers. A job
  found ``running`` when a server starts lost its worker with the old server: it is
  queued again once (its clip is still stored), and marked ``failed`` with the reason
  if that happens a second time.
* ``done``    the analysis folder is complete and recorded in the library.
* ``failed``  ``message`` says why, in one line the page shows.

Jobs run on batch's workers (:class:`formcheck.batch.executors.Workers`: *spawned*
processes, as MediaPipe is not fork-safe, or a Dask cluster), running
:func:`formcheck.pipeline.run.analyze_video` with the server's
:class:`~formcheck.model.settings.Settings`, exactly as ``formcheck analyze`` does. With
a Dask scheduler the library folder must be on a file system the Dask workers share.

Progress: the pose pass reports frames done / total; it is shown as 0-90 %, and the
remaining 10 % cover the tables, report and annotated video, which report no progress
of their own. 100 % is written only once the analysis folder is complete.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck.batch.executors import Workers
from formcheck.model.settings import Settings

log = logging.getLogger(__name__)

#: Share of the progress bar given to the pose pass (see the module docstring).
POSE_SHARE = 0.9
#: A job is run at most this many times (a restart during its run counts as one).
MAX_ATTEMPTS = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id          TEXT PRIMARY KEY,
    created     REAL NOT NULL,
    updated     REAL NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    progress    REAL NOT NULL DEFAULT 0,
    stage       TEXT NOT NULL DEFAULT '',
    message     TEXT NOT NULL DEFAULT '',
    clip_name   TEXT NOT NULL,
    clip_path   TEXT NOT NULL,
    out_dir     TEXT NOT NULL,
    athlete     TEXT NOT NULL,
    date        TEXT,
    notes       TEXT NOT NULL DEFAULT '',
    conditions  TEXT NOT NULL DEFAULT '{}',
    height_cm   REAL,
    session_id  TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created);
"""


#: How long a connection waits for another one's lock on the jobs table.
LOCK_WAIT_S = 30.0


def connect(db_path: str | Path) -> sqlite3.Connection:
    """A connection in WAL mode (readers never wait for the writer) that waits up to
    :data:`LOCK_WAIT_S` for a lock instead of failing."""
    con = sqlite3.connect(str(db_path), timeout=LOCK_WAIT_S, isolation_level=None)
    try:
        con.row_factory = sqlite3.Row
        _wal(con)
        con.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        con.close()
        raise
    return con


def _wal(con: sqlite3.Connection) -> None:
    """Switch to WAL mode (a no-op write-free check once the file is WAL). On a new file
    the switch reads and then writes the header, and SQLite answers "database is locked"
    at once, without the busy timeout, when another connection holds the write lock
    between the two (another process making the same new file): so wait and try again."""
    deadline = time.monotonic() + LOCK_WAIT_S
    delay = 0.01
    while True:
        try:
            con.execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


@dataclass(frozen=True)
class Job:
    """One row of the jobs table."""

    id: str
    created: float
    updated: float
    state: str
    progress: float
    stage: str
    message: str
    clip_name: str
    clip_path: str
    out_dir: str
    athlete: str
    date: str | None
    notes: str
    conditions: str
    height_cm: float | None
    session_id: str | None
    attempts: int

    def public(self) -> dict[str, Any]:
        """What the browser may see (no server paths)."""
        return {
            "id": self.id, "state": self.state, "progress": round(self.progress, 4),
            "percent": int(self.progress * 100), "stage": self.stage, "message": self.message,
            "clip_name": self.clip_name, "athlete": self.athlete, "session_id": self.session_id,
            "created": self.created,
        }


class JobStore:
    """The jobs table. Every method opens its own short connection, so one store can be
    used from the request handlers, the dispatcher thread and the worker processes."""

    def __init__(self, db_path: str | Path):
        self.db_path = Path(db_path)
        with self._con() as con:
            con.executescript(SCHEMA)

    @contextlib.contextmanager
    def _con(self) -> Iterator[sqlite3.Connection]:
        con = connect(self.db_path)
        try:
            yield con
        finally:
            con.close()

    def add(self, *, clip_name: str, clip_path: Path, out_dir: Path, athlete: str,
            date: str | None, notes: str, height_cm: float | None, conditions: str = "{}",
            job_id: str | None = None) -> Job:
        now = time.time()
        jid = job_id or uuid.uuid4().hex
        with self._con() as con:
            con.execute(
                "INSERT INTO jobs (id, created, updated, state, stage, clip_name, clip_path, out_dir,"
                " athlete, date, notes, conditions, height_cm) VALUES (?, ?, ?, 'queued',"
                " 'waiting for a worker', ?, ?, ?, ?, ?, ?, ?, ?)",
                (jid, now, now, clip_name, str(clip_path), str(out_dir), athlete, date, notes,
                 conditions, height_cm),
            )
        job = self.get(jid)
        assert job is not None
        return job

    def get(self, job_id: str) -> Job | None:
        with self._con() as con:
            row = con.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job(**dict(row)) if row else None

    def recent(self, limit: int = 50) -> list[Job]:
        with self._con() as con:
            rows = con.execute("SELECT * FROM jobs ORDER BY created DESC LIMIT ?", (limit,)).fetchall()
        return [Job(**dict(r)) for r in rows]

    def active(self) -> list[Job]:
        with self._con() as con:
            rows = con.execute(
                "SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY created").fetchall()
        return [Job(**dict(r)) for r in rows]

    def clip_names(self) -> dict[int, str]:
        """Session id -> the uploaded clip's original name, for the finished uploads."""
        with self._con() as con:
            rows = con.execute("SELECT session_id, clip_name FROM jobs WHERE state = 'done'").fetchall()
        return {int(r["session_id"]): r["clip_name"] for r in rows if (r["session_id"] or "").isdigit()}

    def claim_next(self) -> Job | None:
        """Mark the oldest queued job running and return it (None when none waits)."""
        with self._con() as con:
            con.execute("BEGIN IMMEDIATE")
            row = con.execute(
                "SELECT id FROM jobs WHERE state = 'queued' ORDER BY created LIMIT 1").fetchone()
            if row is None:
                con.execute("COMMIT")
                return None
            con.execute(
                "UPDATE jobs SET state = 'running', stage = 'starting', progress = 0,"
                " attempts = attempts + 1, updated = ? WHERE id = ?", (time.time(), row["id"]))
            con.execute("COMMIT")
        return self.get(row["id"])

    def set_progress(self, job_id: str, progress: float, stage: str) -> None:
        with self._con() as con:
            con.execute("UPDATE jobs SET progress = ?, stage = ?, updated = ? WHERE id = ? AND state = 'running'",
                        (min(max(progress, 0.0), 1.0), stage, time.time(), job_id))

    def finish(self, job_id: str, session_id: str) -> None:
        with self._con() as con:
            con.execute("UPDATE jobs SET state = 'done', progress = 1, stage = 'done', message = '',"
                        " session_id = ?, updated = ? WHERE id = ?", (session_id, time.time(), job_id))

    def fail(self, job_id: str, message: str) -> None:
        with self._con() as con:
            con.execute("UPDATE jobs SET state = 'failed', stage = 'failed', message = ?, updated = ?"
                        " WHERE id = ?", (message, time.time(), job_id))

    def recover(self) -> tuple[int, int]:
        """After a (re)start: jobs left ``running`` by a server that stopped are queued
        again, or failed when they have used their attempts. Returns (requeued, failed)."""
        with self._con() as con:
            con.execute("BEGIN IMMEDIATE")
            failed = con.execute(
                "UPDATE jobs SET state = 'failed', stage = 'failed', message = ?, updated = ?"
                " WHERE state = 'running' AND attempts >= ?",
                ("the server stopped twice while analysing this clip; upload it again",
                 time.time(), MAX_ATTEMPTS)).rowcount
            requeued = con.execute(
                "UPDATE jobs SET state = 'queued', progress = 0,"
                " stage = 'queued again after a server restart', updated = ? WHERE state = 'running'",
                (time.time(),)).rowcount
            con.execute("COMMIT")
        for job in self.active():
            if not Path(job.clip_path).is_file():
                self.fail(job.id, "the uploaded clip is no longer stored; upload it again")
        return requeued, failed


class _ProgressWriter:
    """The ``progress(done, total)`` callback of a worker: writes at most every 0.25 s."""

    def __init__(self, db_path: str, job_id: str):
        self.store = JobStore.__new__(JobStore)
        self.store.db_path = Path(db_path)
        self.job_id = job_id
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.25 and done != total:
            return
        self.last = now
        frac = done / total if total else 0.0
        stage = "finding the runner" if done == 0 else "pose pass"
        if total and done >= total:
            stage = "writing tables, report and video"
        self.write(POSE_SHARE * frac, stage)

    def write(self, progress: float, stage: str) -> None:
        try:
            self.store.set_progress(self.job_id, progress, stage)
        except sqlite3.Error as exc:  # progress is a courtesy; the analysis goes on
            log.debug("progress not written for job %s: %s", self.job_id, exc)


def analyse_job(db_path: str, job_id: str, clip: str, out_dir: str,
                settings: Settings) -> dict[str, Any]:
    """Run in a worker process: analyse one uploaded clip into ``out_dir``.

    Returns ``{"ok": True}`` or ``{"error": "<one line>"}`` for a user error
    (:class:`~formcheck.errors.FormcheckError`); anything else is a bug and raises.
    """
    from formcheck.errors import FormcheckError
    from formcheck.pipeline.run import analyze_video

    writer = _ProgressWriter(db_path, job_id)
    writer.write(0.0, "loading the pose model")
    try:
        analyze_video(clip, out_dir, settings, progress=writer)
    except FormcheckError as exc:
        return {"error": str(exc)}
    return {"ok": True}


#: Called with a finished job: records it in the library and returns the session id.
OnDone = Callable[[Job], str]


class Dispatcher:
    """Hands queued jobs to batch's :class:`~formcheck.batch.executors.Workers` (local
    processes or a Dask cluster) and records the results.

    Parameters
    ----------
    store : the jobs table.
    settings : the server's settings (a job's height replaces the height given here).
    on_done : records a completed analysis folder in the library, returns the session id.
    workers : number of worker processes (clips analysed at once).
    scheduler : a Dask scheduler address, or None for local processes.
    """

    def __init__(self, store: JobStore, settings: Settings, on_done: OnDone,
                 workers: int = 1, scheduler: str | None = None):
        self.store = store
        self.settings = settings
        self.on_done = on_done
        self.workers = workers
        self.scheduler = scheduler
        self.pool: Workers | None = None
        self._in_flight: dict[str, Future] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        requeued, failed = self.store.recover()
        if requeued or failed:
            log.info("jobs after restart: %d queued again, %d failed", requeued, failed)
        self.pool = Workers(self.workers, self.scheduler)
        self._thread = threading.Thread(target=self._loop, name="formcheck-dispatch", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self.pool is not None:
            # A worker busy with a clip is interrupted (its staging folder removed) or
            # ended: it would otherwise run on after the server has gone.
            self.pool.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            while len(self._in_flight) < self.workers and not self._stop.is_set():
                try:
                    job = self.store.claim_next()
                except sqlite3.Error as exc:
                    log.warning("jobs table unreadable: %s", exc)
                    job = None
                if job is None:
                    break
                self._submit(job)
            self._wake.wait(timeout=1.0)
            self._wake.clear()

    def _submit(self, job: Job) -> None:
        settings = self.settings.replace(height_cm=job.height_cm)  # None keeps the server's
        assert self.pool is not None
        fut = self.pool.submit(analyse_job, str(self.store.db_path), job.id, job.clip_path,
                               job.out_dir, settings)
        with self._lock:
            self._in_flight[job.id] = fut
        fut.add_done_callback(functools.partial(self._finished, job))

    def _finished(self, job: Job, fut: Future) -> None:
        try:
            try:
                result = fut.result()
            except BrokenProcessPool:
                if self._stop.is_set():
                    return  # server shutting down: the job stays 'running' and is recovered
                self.store.fail(job.id, "the analysis worker stopped unexpectedly (out of memory?)")
                if self.pool is not None:
                    self.pool.renew()
                return
            except KeyboardInterrupt:
                # Ctrl-C on the server's terminal reached the worker (its staging folder
                # is removed): the job stays 'running' and is recovered at the next start.
                return
            except Exception as exc:
                if self._stop.is_set():
                    return  # server shutting down: the job stays 'running' and is recovered
                log.exception("analysis of job %s failed", job.id)
                self.store.fail(job.id, f"internal error: {type(exc).__name__}: {exc}")
                return
            if "error" in result:
                self.store.fail(job.id, result["error"])
                return
            try:
                session_id = self.on_done(job)
            except Exception as exc:
                log.exception("recording job %s in the library failed", job.id)
                self.store.fail(job.id, f"the analysis finished but was not recorded: {exc}")
                return
            self.store.finish(job.id, session_id)
        finally:
            with self._lock:
                self._in_flight.pop(job.id, None)
            self._wake.set()
