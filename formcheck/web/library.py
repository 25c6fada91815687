"""The web app's view of the session library (:mod:`formcheck.store`).

The one place the web app touches the store: pages use :class:`SessionRow` and
:class:`WebLibrary` only. Sessions are the store's (recorded by ``formcheck analyze
--athlete``, ``batch``, ``import`` or an upload here); the name a clip had on the
uploader's machine, which the store does not keep (uploads are stored under a
server-chosen name), comes from the web app's jobs table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from formcheck.errors import LibraryError
from formcheck.store import Athlete, Conditions, Library, Session

SEVERITY_ORDER = {"mild": 1, "moderate": 2, "severe": 3}


@dataclass(frozen=True)
class SessionRow:
    """A recorded session as the pages show it. ``faults``: (code, severity) pairs."""

    id: int
    athlete: str
    date: str
    notes: str
    conditions: Conditions
    clip_name: str
    folder: Path
    faults: list[tuple[str, str]]
    view: str | None
    steps: int | None

    @property
    def verdict(self) -> str:
        """'no faults', or the most severe fault's severity."""
        if not self.faults:
            return "no faults"
        return max((sev for _, sev in self.faults), key=lambda sev: SEVERITY_ORDER.get(sev, 0))


def parse_session_id(text: str) -> int | None:
    """A session id from a URL: a positive decimal integer, nothing else."""
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    value = int(text)
    return value if value > 0 else None


class WebLibrary:
    """The store, with clip names from the uploads.

    Parameters
    ----------
    store : an open :class:`formcheck.store.Library` (shared by the server's threads).
    clip_names : session id -> the uploaded clip's original name (from the jobs table).
    """

    def __init__(self, store: Library, clip_names: Callable[[], dict[int, str]]):
        self.store = store
        self.clip_names = clip_names

    def _row(self, s: Session, names: dict[int, str]) -> SessionRow:
        return SessionRow(
            id=s.id, athlete=s.athlete, date=s.date.isoformat(), notes=s.conditions.notes or "",
            conditions=s.conditions, clip_name=names.get(s.id) or Path(s.video).name,
            folder=Path(s.folder), faults=[(f.code, f.severity or "") for f in s.faults if f.found],
            view=s.view, steps=s.steps)

    def record(self, folder: Path, athlete: str, date: dt.date | None, conditions: Conditions,
               video: Path) -> int:
        """Record an analysis folder; returns the session id."""
        return self.store.record(folder, athlete, date=date, conditions=conditions, video=video).session_id

    def athletes(self) -> list[Athlete]:
        return self.store.athletes()

    def sessions(self, athlete: str | None = None) -> list[SessionRow]:
        """Newest first; an unknown athlete gives an empty list."""
        try:
            found = self.store.sessions(athlete)
        except LibraryError:
            if athlete is None:
                raise
            return []
        names = self.clip_names()
        return [self._row(s, names) for s in found]

    def session(self, session_id: int) -> SessionRow | None:
        """The session, if it exists and its analysis folder still holds its analysis."""
        try:
            s = self.store.session(session_id)
            self.store.analysis_folder(session_id)
        except LibraryError:
            return None
        return self._row(s, self.clip_names())
