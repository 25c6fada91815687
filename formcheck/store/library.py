"""The session library: athletes, their sessions and each session's results.

Where it lives
--------------
``location`` (the ``--library`` option), else the ``FORMCHECK_LIBRARY`` environment
variable, else ``library.sqlite`` in the user's data folder
(``platformdirs.user_data_path("formcheck")``: ``~/.local/share/formcheck`` on Linux,
``~/Library/Application Support/formcheck`` on macOS, ``%LOCALAPPDATA%\\formcheck`` on
Windows). A location is a file path (SQLite) or an SQLAlchemy URL; for a server,
PostgreSQL: ``postgresql+psycopg://user:password@host:5432/formcheck`` (needs
``pip install "psycopg[binary]"``). Only standard SQLAlchemy Core constructs are used,
so the same code runs on both; the tests run the store tests on each.

Many writers
------------
Batch runs in several processes, and several batches, may record at once. On SQLite the
library runs in WAL mode (readers never wait for the writer), every write is one short
``BEGIN IMMEDIATE`` transaction (it takes the write lock at its start, so two writers
never deadlock upgrading a read lock), each connection waits up to
:data:`BUSY_TIMEOUT_S` for the lock, and a transaction that still finds the database
locked is retried with back-off for up to :data:`LOCK_RETRY_S` in all. So is the switch
of a new library to WAL mode, which SQLite fails at once, without the busy timeout, when
another process making the same library holds the write lock. A write is all
or nothing: a process killed in the middle of one leaves the library as it was before
it (SQLite's journal), with every earlier commit kept.

What goes wrong
---------------
Every database problem a user can meet (locked for too long, read-only file, damaged
file, not a formcheck library, a library from a newer formcheck, a server that cannot
be reached) is a :class:`~formcheck.errors.LibraryError` with one line that names the
library. Nothing here ever deletes or rewrites a database it cannot read. A read-only
library can still be read.

Sessions
--------
A session is one analysis folder of one clip. It is identified by its
``analysis_key``, a hash of what the analysis says about its clip (file name, frame
count, frame rate, frame size), so recording or importing the same clip's analysis again
updates (or, on import, keeps) the one session instead of adding another; a different
clip analysed into the same folder later is a new session, and the earlier session keeps
its stored results.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from sqlalchemy import (
    URL,
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import CursorResult, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError
from sqlalchemy.pool import NullPool

from formcheck.errors import InputError, LibraryError
from formcheck.store import migrations
from formcheck.store import schema as s
from formcheck.store.folders import FolderFacts, find_analysis_folders, read_folder, session_when
from formcheck.store.records import (
    Athlete,
    Conditions,
    FaultEntry,
    MetricValue,
    Recorded,
    Session,
)

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

ENV_VAR = "FORMCHECK_LIBRARY"
FILE_NAME = "library.sqlite"
#: How long one SQLite connection waits for another process's write lock.
BUSY_TIMEOUT_S = 5.0
#: How long a write keeps retrying while the library stays locked, in all.
LOCK_RETRY_S = 60.0

T = TypeVar("T")


# ----------------------------------------------------------------------- location


def default_location() -> Path:
    """``library.sqlite`` in the user's data folder (platform conventions)."""
    import platformdirs

    return platformdirs.user_data_path("formcheck", appauthor=False) / FILE_NAME


def resolve_url(location: str | Path | None = None) -> URL:
    """The library's SQLAlchemy URL: ``location``, else ``$FORMCHECK_LIBRARY``, else
    :func:`default_location`. A location with ``://`` is a URL, anything else a path."""
    loc = location if location not in (None, "") else os.environ.get(ENV_VAR) or default_location()
    text = str(loc)
    if "://" in text:
        try:
            return make_url(text)
        except (ArgumentError, ValueError):
            raise LibraryError(f"not a database URL: {text!r}") from None
    path = Path(text).expanduser().absolute()
    return URL.create("sqlite", database=str(path))


def library_exists(location: str | Path | None = None) -> bool:
    """False when the library is a SQLite file that does not exist yet (a server
    database is taken to exist; opening it tells)."""
    url = resolve_url(location)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return True
    return Path(url.database).exists()


def describe(url: URL) -> str:
    """The library's name for messages: its path, or its URL without the password."""
    if url.get_backend_name() == "sqlite" and url.database:
        return url.database
    return url.render_as_string(hide_password=True)


# -------------------------------------------------------------------- the library


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    return None if t is None else t.replace(tzinfo=dt.UTC)


def _naive_utc(t: dt.datetime | None) -> dt.datetime | None:
    if t is None:
        return None
    return (t if t.tzinfo is None else t.astimezone(dt.UTC)).replace(tzinfo=None)


def _message(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return " ".join(str(orig).split())[:200]


def _locked(exc: DBAPIError | sqlite3.Error) -> bool:
    text = _message(exc).lower()
    return "database is locked" in text or "database table is locked" in text or "busy" in text


def clean_name(name: str) -> str:
    """An athlete's name as stored: trimmed, inner spaces collapsed; not empty."""
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise InputError("the athlete's name is empty")
    if len(cleaned) > 200:
        raise InputError("the athlete's name is longer than 200 characters")
    return cleaned


class _ReadOnlyError(LibraryError):
    """The database refused a write (or, in WAL mode, even a read) as read-only."""


class Library:
    """A session library in a database. Open with :meth:`open`; close (or use ``with``).

    One object may be shared by the threads of one process (a web server); each process
    opens its own.
    """

    def __init__(self, url: URL, engine: Engine, read_only: bool = False) -> None:
        self.url = url
        self.engine = engine
        self.read_only = read_only
        self.where = describe(url)

    # ------------------------------------------------------------- opening

    @classmethod
    def open(cls, location: str | Path | None = None, *, create: bool = True) -> Library:
        """Open (and, if ``create``, make or upgrade) the library at ``location``.

        ``create=False`` is for reading: a missing SQLite file raises
        :class:`LibraryError` instead of being created; an old schema is still upgraded
        when the file is writable.
        """
        url = resolve_url(location)
        where = describe(url)
        is_sqlite = url.get_backend_name() == "sqlite"
        if is_sqlite and url.database in (None, "", ":memory:"):
            raise LibraryError(f"{where!r}: a library needs a file (an in-memory one would vanish)")
        if is_sqlite and url.database:
            path = Path(url.database)
            if path.is_dir():
                raise LibraryError(f"library {where} is a folder, not a database file")
            if not path.exists():
                if not create:
                    raise LibraryError(f"no library at {where} yet (record a session with --athlete)")
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise LibraryError(f"cannot create the library folder {path.parent}: "
                                       f"{exc.strerror or exc}") from None
        lib = cls(url, _make_engine(url))
        try:
            lib._prepare()
        except LibraryError as exc:
            lib.close()
            if is_sqlite and isinstance(exc, _ReadOnlyError):
                ro = cls(url, _make_engine(url, read_only=True), read_only=True)
                try:
                    ro._prepare()
                except BaseException:
                    ro.close()
                    raise
                return ro
            raise
        except BaseException:
            lib.close()
            raise
        return lib

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Library({self.where!r}{', read-only' if self.read_only else ''})"

    def _prepare(self) -> None:
        """Check the schema; make it (empty database) or upgrade it (older version)."""
        state = self._run(_schema_state, write=False)
        if state == "current":
            return
        if state == "foreign":
            raise LibraryError(f"{self.where} is a database but not a formcheck library "
                               "(it has tables but no schema_version); it was left as it is")
        if isinstance(state, int) and state > s.SCHEMA_VERSION:
            raise LibraryError(f"library {self.where} was written by a newer formcheck (schema "
                               f"version {state}, this one knows up to {s.SCHEMA_VERSION}); "
                               "upgrade formcheck")
        if self.read_only and state == "empty":
            raise LibraryError(f"library {self.where} is read-only and empty: no library can be made there")
        if self.read_only:
            raise LibraryError(f"library {self.where} is read-only and has the older schema "
                               f"version {state}; make it writable once to upgrade it")
        if state == "empty":
            self._wal()
        self._run(_make_or_upgrade, write=True)

    def _wal(self) -> None:
        """Put a new SQLite library in WAL mode (kept in the file; it cannot be set inside a
        transaction, and is never set on a database that is not a library).

        Several processes may open the same new library at once, and each one that found
        it empty comes here. The switch reads the file's header and then writes it: a
        connection that finds another one's write lock taken at that upgrade gets "database
        is locked" at once, without waiting for the busy timeout (SQLite does not wait
        there, as waiting while holding a read lock could deadlock). So the switch is
        retried like every transaction; once one process has made the file WAL, the others'
        switch finds it so and writes nothing."""
        if self.url.get_backend_name() != "sqlite":
            return

        def switch() -> None:
            with self.engine.connect() as conn:
                raw = conn.connection.driver_connection
                raw.execute("PRAGMA journal_mode = WAL").fetchall()  # type: ignore[union-attr]

        self._retrying(switch, write=True)

    # ------------------------------------------------------------- transactions

    def _run(self, fn: Callable[[Connection], T], *, write: bool) -> T:
        """Run ``fn(conn)`` in one transaction; retry while the database is locked (and,
        on a server, after a unique-key clash with a concurrent writer)."""

        def transaction() -> T:
            with self.engine.connect() as conn:
                conn = conn.execution_options(formcheck_write=write)
                with conn.begin():
                    return fn(conn)

        return self._retrying(transaction, write=write)

    def _retrying(self, action: Callable[[], T], *, write: bool) -> T:
        """``action()``, called again with back-off while the database is locked, for up
        to :data:`LOCK_RETRY_S` in all; every other database error is one
        :class:`LibraryError`. ``action`` opens its own connection each time."""
        deadline = time.monotonic() + LOCK_RETRY_S
        delay = 0.05
        clashes = 0
        while True:
            try:
                return action()
            except IntegrityError:
                clashes += 1
                if clashes > 3:
                    raise
                continue  # another process added the same athlete or session: look again
            except (DBAPIError, sqlite3.Error) as exc:  # sqlite3: a statement on the raw connection
                invalidated = isinstance(exc, DBAPIError) and exc.connection_invalidated
                if invalidated or not _locked(exc) or time.monotonic() > deadline:
                    raise self._error(exc, write) from None
                log.debug("library %s is locked; retrying in %.2f s", self.where, delay)
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 1.0)

    def _error(self, exc: DBAPIError | sqlite3.Error, write: bool) -> LibraryError:
        msg = _message(exc)
        low = msg.lower()
        if _locked(exc):
            return LibraryError(f"library {self.where} stayed locked by another process for "
                                f"{LOCK_RETRY_S:.0f} s ({msg}); try again")
        if "readonly" in low or "read-only" in low:
            what = "cannot record into it" if write else "cannot open it"
            return _ReadOnlyError(f"library {self.where} is read-only: {what}")
        if "not a database" in low or "malformed" in low or "disk image" in low:
            return LibraryError(f"library {self.where} is damaged or not a database ({msg}); it was "
                                "left as it is: restore a backup or move it away and run again")
        if "unable to open" in low:
            return LibraryError(f"cannot open library {self.where} ({msg})")
        if self.url.get_backend_name() != "sqlite" and isinstance(getattr(exc, "orig", None), Exception):
            return LibraryError(f"library server {self.where}: {msg}")
        return LibraryError(f"library {self.where}: {msg}")

    # ------------------------------------------------------------- writing

    def record(
        self,
        folder: str | Path,
        athlete: str,
        *,
        date: dt.date | None = None,
        conditions: Conditions | None = None,
        replace: bool = True,
        video: str | Path | None = None,
    ) -> Recorded:
        """Record the analysis in ``folder`` as a session of ``athlete`` (made if new).

        When the library already holds this analysis (the same ``analysis_key``):
        ``replace=True`` (after a new analysis) updates its results, athlete and date, and
        the conditions given (those not given are kept); ``replace=False`` (import)
        leaves it as it is. ``video`` is where the clip is now, for its date (default:
        the path in the summary).
        """
        name = clean_name(athlete)
        self._writable()
        facts = read_folder(folder)
        day, moment, source = session_when(date, video or facts.video, facts.summary_mtime)
        cond = conditions or Conditions()
        return self._run(
            lambda conn: _record(conn, facts, name, day, moment, source, cond, replace), write=True
        )

    def update_session(self, session_id: int, *, date: dt.date | None = None,
                       conditions: Conditions | None = None) -> Session:
        """Change a session's date (to ``date``, marked as given by the user) and/or the
        condition fields given in ``conditions`` (fields left None are kept)."""
        self._writable()

        def change(conn: Connection) -> None:
            values: dict[str, Any] = {}
            if date is not None:
                values.update(session_date=date, session_time=None, date_source="option")
            if conditions is not None:
                values.update({k: v for k, v in (("condition", conditions.condition),
                                                 ("speed_kmh", conditions.speed_kmh),
                                                 ("shoes", conditions.shoes),
                                                 ("notes", conditions.notes)) if v is not None})
            se = s.sessions
            found = conn.execute(update(se).where(se.c.id == session_id)
                                 .values(updated_at=_utcnow(), **values)).rowcount
            if not found:
                raise LibraryError(f"no session {session_id} in library {self.where}")

        self._run(change, write=True)
        return self.session(session_id)

    def delete_session(self, session_id: int) -> None:
        """Remove a session (and its results) from the library; its analysis folder is
        left as it is. Athletes are kept, even with no session left."""
        self._writable()

        def remove(conn: Connection) -> None:
            sid = s.sessions.c.id
            for table in (s.metric_results, s.faults):
                conn.execute(delete(table).where(table.c.session_id == session_id))
            if not conn.execute(delete(s.sessions).where(sid == session_id)).rowcount:
                raise LibraryError(f"no session {session_id} in library {self.where}")

        self._run(remove, write=True)

    def _writable(self) -> None:
        if self.read_only:
            raise LibraryError(f"library {self.where} is read-only: cannot record into it")

    def import_folders(
        self,
        path: str | Path,
        athlete: str,
        *,
        date: dt.date | None = None,
        conditions: Conditions | None = None,
    ) -> list[Recorded]:
        """Record every analysis folder at or below ``path`` (see
        :func:`find_analysis_folders`); ones already in the library are left unchanged."""
        folders = find_analysis_folders(path)
        if not folders:
            raise InputError(f"no analysis folders (with a summary.json) in {path}")
        return [self.record(f, athlete, date=date, conditions=conditions, replace=False)
                for f in folders]

    # ------------------------------------------------------------- reading

    def athletes(self) -> list[Athlete]:
        """Every athlete, by name, with their number of sessions and first/last dates."""
        a, se = s.athletes, s.sessions
        q = (
            select(a.c.id, a.c.name, func.count(se.c.id), func.min(se.c.session_date),
                   func.max(se.c.session_date))
            .select_from(a.outerjoin(se, se.c.athlete_id == a.c.id))
            .group_by(a.c.id, a.c.name)
            .order_by(a.c.name_key)
        )
        rows = self._run(lambda conn: conn.execute(q).all(), write=False)
        return [Athlete(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def sessions(self, athlete: str | None = None) -> list[Session]:
        """The sessions of ``athlete`` (any case or spacing of the name), or of everyone,
        newest first. An unknown athlete raises :class:`LibraryError` with the known names."""

        def read(conn: Connection) -> list[Session]:
            athlete_id = None
            if athlete is not None:
                athlete_id = _athlete_id(conn, clean_name(athlete))
                if athlete_id is None:
                    names = conn.execute(select(s.athletes.c.name).order_by(s.athletes.c.name_key)).scalars().all()
                    known = ", ".join(names[:20]) if names else "none yet"
                    raise LibraryError(f"no athlete named {athlete!r} in library {self.where} "
                                       f"(athletes: {known})")
            return _load_sessions(conn, athlete_id=athlete_id)

        return self._run(read, write=False)

    def session(self, session_id: int) -> Session:
        """One session by id; :class:`LibraryError` when there is none."""
        found = self._run(lambda conn: _load_sessions(conn, session_id=session_id), write=False)
        if not found:
            raise LibraryError(f"no session {session_id} in library {self.where}")
        return found[0]

    def analysis_folder(self, session_id: int) -> Path:
        """The session's analysis folder, checked to still hold this session's analysis
        (it may have been moved, deleted or overwritten by another clip's analysis)."""
        sess = self.session(session_id)
        try:
            facts = read_folder(sess.folder)
        except InputError as exc:
            raise LibraryError(f"session {session_id}: its analysis folder is gone or unreadable "
                               f"({exc})") from None
        if facts.analysis_key != sess.analysis_key:
            raise LibraryError(f"session {session_id}: {sess.folder} now holds another clip's "
                               f"analysis ({Path(facts.video).name}, not {Path(sess.video).name})")
        return sess.folder

    def sessions_frame(self, athlete: str | None = None) -> pd.DataFrame:
        """Every session (of ``athlete``) as one row: the session's fields, ``faults``
        (codes, ";"-separated, worst first) and one column per metric with its median."""
        import pandas as pd

        rows = []
        for se in self.sessions(athlete):
            row: dict[str, Any] = {
                "session_id": se.id, "athlete": se.athlete, "date": pd.Timestamp(se.date),
                "condition": se.conditions.condition, "speed_kmh": se.conditions.speed_kmh,
                "shoes": se.conditions.shoes, "notes": se.conditions.notes, "view": se.view,
                "facing": se.facing, "steps": se.steps, "duration_s": se.duration_s,
                "faults": ";".join(f.code for f in se.faults), "folder": str(se.folder),
                "video": se.video, "formcheck_version": se.formcheck_version,
            }
            row.update({name: m.median for name, m in se.metrics.items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def metrics_frame(self, athlete: str | None = None) -> pd.DataFrame:
        """Long form: one row per session and metric (median, p10, p90, n_steps, unit,
        measurable, reason), with the session's id, athlete and date."""
        import pandas as pd

        rows = [
            {"session_id": se.id, "athlete": se.athlete, "date": pd.Timestamp(se.date),
             "metric": m.name, "median": m.median, "p10": m.p10, "p90": m.p90,
             "n_steps": m.n_steps, "unit": m.unit, "measurable": m.measurable, "reason": m.reason}
            for se in self.sessions(athlete) for m in se.metrics.values()
        ]
        return pd.DataFrame(rows, columns=["session_id", "athlete", "date", "metric", "median", "p10",
                                           "p90", "n_steps", "unit", "measurable", "reason"])


# ------------------------------------------------------------------------ engine


def _make_engine(url: URL, read_only: bool = False) -> Engine:
    if url.get_backend_name() != "sqlite":
        try:
            return create_engine(url, pool_pre_ping=True)
        except (NoSuchModuleError, ImportError) as exc:
            raise LibraryError(f"library {describe(url)}: the database driver is not installed "
                               f"({exc}); for PostgreSQL: pip install 'psycopg[binary]'") from None
    if read_only:
        # A read-only WAL database cannot be opened normally when its folder is read-only
        # too (SQLite must create the -shm file): open it immutable, as a snapshot.
        path = Path(url.database or "").absolute()
        url = URL.create("sqlite", database=f"file:{path.as_posix()}?mode=ro&immutable=1",
                         query={"uri": "true"})
    # No pool: a connection per transaction (cheap for a local file), so that no idle
    # connection is held through a long analysis or inherited by forked batch workers.
    engine = create_engine(url, poolclass=NullPool,
                           connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        dbapi_conn.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("formcheck_write", True)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write and not read_only else "BEGIN")

    return engine


def _schema_state(conn: Connection) -> str | int:
    """"current", "empty", "foreign", or the (older or newer) schema version."""
    tables = set(inspect(conn).get_table_names())
    if not tables:
        return "empty"
    if "schema_version" not in tables:
        return "foreign"
    version = conn.execute(select(s.schema_version.c.version)).scalar()
    if version is None:
        return "foreign"
    return "current" if version == s.SCHEMA_VERSION else int(version)


def _make_or_upgrade(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":  # one process at a time makes or upgrades the schema
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(5171)")
    state = _schema_state(conn)  # again, inside the write lock: another process may have done it
    if state == "empty":
        s.metadata.create_all(conn)
        conn.execute(insert(s.schema_version).values(version=s.SCHEMA_VERSION))
        log.info("created a new session library (schema version %d)", s.SCHEMA_VERSION)
    elif isinstance(state, int) and state < s.SCHEMA_VERSION:
        migrations.upgrade(conn, state)


# ---------------------------------------------------------------- writes, reads


def _athlete_id(conn: Connection, name: str) -> int | None:
    key = migrations.name_key(name)
    return conn.execute(select(s.athletes.c.id).where(s.athletes.c.name_key == key)).scalar()


def _insert_results(conn: Connection, session_id: int, facts: FolderFacts) -> None:
    if facts.metrics:
        conn.execute(insert(s.metric_results), [
            {"session_id": session_id, "name": m.name, "median": m.median, "p10": m.p10,
             "p90": m.p90, "n_steps": m.n_steps, "unit": m.unit, "measurable": m.measurable,
             "reason": m.reason}
            for m in facts.metrics
        ])
    if facts.checks:
        conn.execute(insert(s.faults), [
            {"session_id": session_id, "code": f.code, "severity": f.severity, "status": f.status}
            for f in facts.checks
        ])


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no id for a new row")
    return int(key[0])


def _record(conn: Connection, facts: FolderFacts, name: str, day: dt.date,
            moment: dt.datetime | None, source: str, cond: Conditions, replace: bool) -> Recorded:
    now = _utcnow()
    se = s.sessions
    existing = conn.execute(
        select(se.c.id, se.c.session_date, s.athletes.c.name, se.c.folder)
        .join(s.athletes, s.athletes.c.id == se.c.athlete_id)
        .where(se.c.analysis_key == facts.analysis_key)
    ).first()
    if existing is not None and not replace:
        return Recorded(existing[0], existing[2], existing[1], Path(existing[3]), "unchanged")
    athlete_id = _athlete_id(conn, name)
    if athlete_id is None:
        athlete_id = _new_id(conn.execute(insert(s.athletes).values(
            name=name, name_key=migrations.name_key(name), created_at=now)))
    values: dict[str, Any] = dict(
        athlete_id=athlete_id, session_date=day, session_time=_naive_utc(moment),
        date_source=source, folder=str(facts.folder), video=facts.video,
        formcheck_version=facts.formcheck_version, view=facts.view, facing=facts.facing,
        steps=facts.steps, duration_s=facts.duration_s, updated_at=now,
    )
    given = dict(condition=cond.condition, speed_kmh=cond.speed_kmh, shoes=cond.shoes, notes=cond.notes)
    # A new analysis of a recorded session keeps the conditions it is not given again.
    values.update(given if existing is None else {k: v for k, v in given.items() if v is not None})
    if existing is None:
        session_id = _new_id(conn.execute(insert(se).values(
            analysis_key=facts.analysis_key, created_at=now, **values)))
        status: Literal["added", "updated"] = "added"
    else:
        session_id = existing[0]
        conn.execute(update(se).where(se.c.id == session_id).values(**values))
        conn.execute(delete(s.metric_results).where(s.metric_results.c.session_id == session_id))
        conn.execute(delete(s.faults).where(s.faults.c.session_id == session_id))
        status = "updated"
    _insert_results(conn, session_id, facts)
    return Recorded(session_id, _name_of(conn, athlete_id), day, facts.folder, status)


def _name_of(conn: Connection, athlete_id: int) -> str:
    return conn.execute(select(s.athletes.c.name).where(s.athletes.c.id == athlete_id)).scalar_one()


def _chunks(ids: Sequence[int], n: int = 500) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), n):
        yield ids[i:i + n]


def _load_sessions(conn: Connection, athlete_id: int | None = None,
                   session_id: int | None = None) -> list[Session]:
    se, a = s.sessions, s.athletes
    q = select(se, a.c.name.label("athlete_name")).join(a, a.c.id == se.c.athlete_id)
    if athlete_id is not None:
        q = q.where(se.c.athlete_id == athlete_id)
    if session_id is not None:
        q = q.where(se.c.id == session_id)
    q = q.order_by(se.c.session_date.desc(), se.c.session_time.desc().nulls_last(), se.c.id.desc())
    rows = conn.execute(q).mappings().all()
    ids = [r["id"] for r in rows]
    metrics: dict[int, dict[str, MetricValue]] = {i: {} for i in ids}
    found: dict[int, list[FaultEntry]] = {i: [] for i in ids}
    m, f = s.metric_results, s.faults
    for chunk in _chunks(ids):
        for r in conn.execute(select(m).where(m.c.session_id.in_(chunk)).order_by(m.c.id)).mappings():
            metrics[r["session_id"]][r["name"]] = MetricValue(
                r["name"], r["median"], r["p10"], r["p90"], r["n_steps"], r["unit"],
                bool(r["measurable"]), r["reason"])
        for r in conn.execute(select(f).where(f.c.session_id.in_(chunk)).order_by(f.c.id)).mappings():
            found[r["session_id"]].append(FaultEntry(r["code"], r["severity"], r["status"]))
    return [
        Session(
            id=r["id"], athlete=r["athlete_name"], date=r["session_date"],
            time=_aware(r["session_time"]), date_source=r["date_source"],
            conditions=Conditions(r["condition"], r["speed_kmh"], r["shoes"], r["notes"]),
            folder=Path(r["folder"]), video=r["video"], analysis_key=r["analysis_key"],
            formcheck_version=r["formcheck_version"], view=r["view"], facing=r["facing"],
            steps=r["steps"], duration_s=r["duration_s"], metrics=metrics[r["id"]],
            checks=tuple(found[r["id"]]), created_at=r["created_at"].replace(tzinfo=dt.UTC),
            updated_at=r["updated_at"].replace(tzinfo=dt.UTC),
        )
        for r in rows
    ]
