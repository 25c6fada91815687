"""Command line for the session library: ``formcheck athletes | sessions | import``, and
the options with which ``analyze`` and ``batch`` record into it (``--athlete`` ...).

The commands are plain functions registered on the app by :mod:`formcheck.cli.app`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from formcheck.errors import InputError, LibraryError
from formcheck.model import registry

if TYPE_CHECKING:
    from formcheck.store import Conditions, Library, Recorded, Session

LibraryOpt = Annotated[str | None, typer.Option(
    "--library", metavar="PATH|URL",
    help="The session library: a SQLite file, or a database URL such as "
         "postgresql+psycopg://user@host/formcheck [default: $FORMCHECK_LIBRARY, else "
         "library.sqlite in your user data folder].")]
AthleteOpt = Annotated[str | None, typer.Option(
    "--athlete", help="Record the result into the session library as a session of this athlete.")]
DateOpt = Annotated[str | None, typer.Option(
    "--date", metavar="YYYY-MM-DD",
    help="The session's date [default: the clip's recording time from its metadata, else its file time].")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="A note kept with the session.")]
ConditionOpt = Annotated[str | None, typer.Option(
    "--condition", metavar="treadmill|outdoor", help="Where the session was run.")]
SpeedOpt = Annotated[float | None, typer.Option("--speed-kmh", help="Running speed, km/h.")]
ShoesOpt = Annotated[str | None, typer.Option("--shoes", help="The shoes worn.")]

#: Metrics shown by ``formcheck sessions`` (name, column label).
KEY_METRICS: tuple[tuple[str, str], ...] = tuple(
    (m.key, m.column) for m in registry.METRICS if m.column)


def parse_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--date must be a date as YYYY-MM-DD, not {text!r}") from None


@dataclass(frozen=True)
class Recording:
    """What ``analyze`` / ``batch`` were asked to record, checked before any analysis runs."""

    library: Library
    athlete: str
    date: dt.date | None
    conditions: Conditions

    def record(self, folder: Path, video: Path | None = None) -> Recorded:
        return self.library.record(folder, self.athlete, date=self.date, conditions=self.conditions,
                                   video=video)


def recording(athlete: str | None, date: str | None, note: str | None, condition: str | None,
              speed_kmh: float | None, shoes: str | None, library: str | None) -> Recording | None:
    """The recording asked for, with the library opened (so that a bad library or option
    fails before the analysis, not after it); None without ``--athlete``."""
    if athlete is None:
        given = [name for name, v in (("--date", date), ("--note", note), ("--condition", condition),
                                      ("--speed-kmh", speed_kmh), ("--shoes", shoes), ("--library", library))
                 if v is not None]
        if given:
            raise InputError(f"{', '.join(given)} only apply with --athlete NAME (the session library)")
        return None
    from formcheck.store import Conditions, Library
    from formcheck.store.library import clean_name

    name = clean_name(athlete)
    conditions = Conditions(condition, speed_kmh, shoes, note)
    day = parse_date(date)
    lib = Library.open(library)
    if lib.read_only:
        lib.close()
        raise LibraryError(f"library {lib.where} is read-only: cannot record into it")
    return Recording(lib, name, day, conditions)


def recorded_line(r: Recorded, where: str) -> str:
    what = {"added": "added", "updated": "updated", "unchanged": "already there"}[r.status]
    return f"library: session {r.session_id} of {r.athlete} on {r.date.isoformat()} {what} ({where})"


def record_failed_hint(folders: str) -> str:
    return (f"the analysis results are kept in {folders}; add them later with "
            f"'formcheck import {folders} --athlete NAME'")


# ------------------------------------------------------------------- commands


def athletes(library: LibraryOpt = None) -> None:
    """List the athletes in the session library, with their sessions."""
    from formcheck.store import Library, library_exists, resolve_url
    from formcheck.store.library import describe

    if not library_exists(library):
        print(f"no athletes yet: no library at {describe(resolve_url(library))}")
        return
    with Library.open(library, create=False) as lib:
        found = lib.athletes()
        where = lib.where
    if not found:
        print(f"no athletes yet in {where}")
        return
    width = max(len(a.name) for a in found)
    for a in found:
        span = ""
        if a.first is not None and a.last is not None:
            span = f"  {a.first.isoformat()}" + ("" if a.last == a.first else f" .. {a.last.isoformat()}")
        print(f"{a.name:<{width}}  {a.sessions:>3} session{'' if a.sessions == 1 else 's'}{span}")


def sessions(
    name: Annotated[str, typer.Argument(help="The athlete (any case).")],
    library: LibraryOpt = None,
) -> None:
    """List an athlete's sessions, newest first: date, conditions, key metric medians and faults."""
    from formcheck.store import Library

    with Library.open(library, create=False) as lib:
        found = lib.sessions(name)
    if not found:
        print(f"{name}: no sessions")
        return
    print(f"{found[0].athlete}: {len(found)} session{'' if len(found) == 1 else 's'}, newest first")
    for line in session_table(found):
        print(line)


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) < 1 else f"{value:.1f}"


def session_table(found: Iterable[Session]) -> list[str]:
    """Lines of a plain text table (one row per session) for the terminal."""
    header = ["id", "date", "view", *(label for _, label in KEY_METRICS), "faults", "conditions"]
    rows = []
    for se in found:
        c = se.conditions
        cond = ", ".join(x for x in (c.condition, f"{c.speed_kmh:g} km/h" if c.speed_kmh else None,
                                     c.shoes, c.notes) if x)
        rows.append([str(se.id), se.date.isoformat(), se.view or "-",
                     *(_fmt(se.metrics[m].median if m in se.metrics else None) for m, _ in KEY_METRICS),
                     ",".join(f.code for f in se.faults) or "none", cond])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]

    def line(r: list[str]) -> str:
        return "  ".join(v.ljust(w) if i < 3 or i >= len(header) - 2 else v.rjust(w)
                         for i, (v, w) in enumerate(zip(r, widths, strict=False))) + "  " + r[-1]

    units = registry.UNITS
    legend = "medians over steps: " + ", ".join(f"{label} ({units[m]})" for m, label in KEY_METRICS)
    return [line(header).rstrip(), *(line(r).rstrip() for r in rows), legend]


def import_(
    folder: Annotated[Path, typer.Argument(help="An analysis folder, or a folder holding analysis folders.")],
    athlete: Annotated[str, typer.Option("--athlete", help="Whose sessions these are.")],
    date: DateOpt = None,
    note: NoteOpt = None,
    condition: ConditionOpt = None,
    speed_kmh: SpeedOpt = None,
    shoes: ShoesOpt = None,
    library: LibraryOpt = None,
) -> None:
    """Add analysis folders made earlier to the session library (importing again adds nothing twice)."""
    from formcheck.store import Conditions, Library

    day = parse_date(date)
    conditions = Conditions(condition, speed_kmh, shoes, note)
    with Library.open(library) as lib:
        done = lib.import_folders(folder, athlete, date=day, conditions=conditions)
        where = lib.where
    for r in done:
        print(recorded_line(r, str(r.folder)))
    added = sum(r.status == "added" for r in done)
    print(f"{added} added, {len(done) - added} already in the library ({where})")
