"""The web app's view of the session library: athletes and their sessions.

This is the one place the web app touches the library's storage. Until the session
library (``formcheck.store``) is merged, it keeps its own ``sessions`` table beside the
jobs in ``web.sqlite``; the pages only use :class:`SessionRow` and the functions
below, so swapping the backing store changes this module only.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formcheck.web.jobs import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id        TEXT PRIMARY KEY,
    created   REAL NOT NULL,
    athlete   TEXT NOT NULL,
    date      TEXT NOT NULL,
    notes     TEXT NOT NULL DEFAULT '',
    clip_name TEXT NOT NULL,
    folder    TEXT NOT NULL,
    faults    TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS sessions_athlete ON sessions (athlete, date);
"""

#: Session ids are server-made hex strings; anything else is refused before a lookup.
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class SessionRow:
    """A recorded session. ``faults`` is the list of (code, severity) pairs."""

    id: str
    created: float
    athlete: str
    date: str
    notes: str
    clip_name: str
    folder: Path
    faults: list[tuple[str, str]]

    @property
    def verdict(self) -> str:
        """'no faults', or the most severe fault's severity."""
        if not self.faults:
            return "no faults"
        order = {"mild": 1, "moderate": 2, "severe": 3}
        return max((s for _, s in self.faults), key=lambda s: order.get(s, 0))


@dataclass(frozen=True)
class Athlete:
    name: str
    sessions: int
    last_date: str


class Library:
    """Athletes and sessions stored in ``db_path``; analysis folders under ``root``."""

    def __init__(self, root: Path, db_path: Path):
        self.root = root
        self.db_path = db_path
        with self._con() as con:
            con.executescript(SCHEMA)

    @contextlib.contextmanager
    def _con(self) -> Iterator[Any]:
        con = connect(self.db_path)
        try:
            yield con
        finally:
            con.close()

    @staticmethod
    def _row(r: Any) -> SessionRow:
        d = dict(r)
        d["folder"] = Path(d["folder"])
        d["faults"] = [tuple(x) for x in json.loads(d["faults"])]
        return SessionRow(**d)

    def add(self, *, folder: Path, athlete: str, date: str, notes: str, clip_name: str,
            session_id: str | None = None) -> str:
        """Record a complete analysis folder (its ``summary.json`` must exist)."""
        summary = json.loads((folder / "summary.json").read_text())
        faults = [(f["code"], f["severity"]) for f in summary.get("faults", [])]
        sid = session_id or uuid.uuid4().hex
        with self._con() as con:
            con.execute(
                "INSERT INTO sessions (id, created, athlete, date, notes, clip_name, folder, faults)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (sid, time.time(), athlete, date, notes, clip_name, str(folder), json.dumps(faults)))
        return sid

    def session(self, session_id: str) -> SessionRow | None:
        if not SESSION_ID.match(session_id):
            return None
        with self._con() as con:
            row = con.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return self._row(row) if row else None

    def sessions(self, athlete: str | None = None, limit: int = 500) -> list[SessionRow]:
        """Newest first (by session date, then by when recorded)."""
        with self._con() as con:
            if athlete is None:
                rows = con.execute("SELECT * FROM sessions ORDER BY date DESC, created DESC LIMIT ?",
                                   (limit,)).fetchall()
            else:
                rows = con.execute("SELECT * FROM sessions WHERE athlete = ?"
                                   " ORDER BY date DESC, created DESC LIMIT ?", (athlete, limit)).fetchall()
        return [self._row(r) for r in rows]

    def athletes(self) -> list[Athlete]:
        with self._con() as con:
            rows = con.execute("SELECT athlete, COUNT(*) AS n, MAX(date) AS last FROM sessions"
                               " GROUP BY athlete ORDER BY athlete COLLATE NOCASE").fetchall()
        return [Athlete(r["athlete"], r["n"], r["last"]) for r in rows]
