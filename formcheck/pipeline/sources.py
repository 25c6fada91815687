"""Where compare and history get their analysis folders: paths, or the session library.

The only module of compare/history that knows about :mod:`formcheck.store` (its
``Library``: ``open``, ``sessions``, ``analysis_folder``); the functions marked *store*
are what to adjust when the library's API changes. Library errors
(:class:`~formcheck.errors.LibraryError`, one clear line) pass through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from formcheck.errors import InputError


def _is_analysis(p: Path) -> bool:
    return (p / "summary.json").is_file()


def _library() -> Any | None:
    """The session library (default location, or ``$FORMCHECK_LIBRARY``), opened for
    reading; None when formcheck has no store module."""
    try:
        from formcheck.store import Library
    except ImportError:
        return None
    return Library.open(None, create=False)


def session_folder_from_store(ref: str) -> Path | None:
    """*store*: the analysis folder of a stored session, or None when ``ref`` is no
    session reference or there is no store.

    ``ref`` is a session id (``12``, as ``formcheck sessions NAME`` lists them) or
    ``NAME:K``, the K-th session of athlete NAME (1 = first, -1 = latest).
    """
    sid: int | None = None
    name, k = "", 0
    if ref.lstrip("#").isdigit():
        sid = int(ref.lstrip("#"))
    elif ":" in ref and ref.rsplit(":", 1)[1].lstrip("-").isdigit():
        name, k = ref.rsplit(":", 1)[0], int(ref.rsplit(":", 1)[1])
    else:
        return None
    lib = _library()
    if lib is None:
        return None
    with lib:
        if sid is None:
            sessions = sorted(lib.sessions(name), key=lambda s: (s.date, s.id))
            if k == 0 or abs(k) > len(sessions):
                raise InputError(f"{ref}: athlete {name} has {len(sessions)} session(s); "
                                 "use 1 for the first, -1 for the latest")
            sid = sessions[k - 1 if k > 0 else k].id
        return Path(lib.analysis_folder(sid))


def athlete_sessions_from_store(name: str) -> list[tuple[str, Path]] | None:
    """*store*: ``(label, analysis folder)`` of athlete ``name``'s sessions, oldest
    first; None when formcheck has no store module."""
    lib = _library()
    if lib is None:
        return None
    with lib:
        sessions = sorted(lib.sessions(name), key=lambda s: (s.date, s.id))
        return [(f"{s.date.isoformat()} #{s.id}", Path(lib.analysis_folder(s.id))) for s in sessions]


def resolve(ref: str | Path) -> Path:
    """An analysis folder from a folder path or a stored session's reference."""
    p = Path(ref).expanduser()
    if _is_analysis(p):
        return p
    if p.exists():
        raise InputError(f"{p} is not a complete analysis folder (no summary.json)")
    folder = session_folder_from_store(str(ref))
    if folder is None:
        raise InputError(f"{ref}: no such analysis folder or stored session")
    if not _is_analysis(folder):
        raise InputError(f"session {ref}: its analysis folder {folder} is missing or incomplete")
    return folder


def resolve_history(refs: list[str]) -> list[tuple[str, Path]]:
    """Sessions for ``formcheck history``: one athlete's name (the session library), or
    analysis folders in time order. Returns ``(label, folder)`` pairs."""
    if len(refs) == 1 and not Path(refs[0]).expanduser().exists():
        found = athlete_sessions_from_store(refs[0])
        if found is None:
            raise InputError(f"{refs[0]}: no such analysis folder, and no session library to look "
                             "an athlete up in (give analysis folders instead)")
        if not found:
            raise InputError(f"athlete {refs[0]}: no sessions stored")
        return found
    return [(resolve(r).name, resolve(r)) for r in refs]
