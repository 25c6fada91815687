"""Where compare and history get their analysis folders: paths, or the session library.

The only module of compare/history that knows about :mod:`formcheck.store`; the two
functions marked *store* are what to adjust when the library's API changes.
"""

from __future__ import annotations

from pathlib import Path

from formcheck.errors import InputError


def _is_analysis(p: Path) -> bool:
    return (p / "summary.json").is_file()


def session_folder_from_store(ref: str) -> Path | None:
    """*store*: the analysis folder of stored session ``ref``, or None."""
    try:
        from formcheck import store
    except ImportError:
        return None
    finder = getattr(store, "session_folder", None)
    folder = finder(ref) if finder is not None else None
    return Path(folder) if folder else None


def athlete_sessions_from_store(name: str) -> list[tuple[str, Path]] | None:
    """*store*: ``(label, analysis folder)`` of athlete ``name``'s sessions, oldest first;
    None when there is no session library."""
    try:
        from formcheck import store
    except ImportError:
        return None
    lister = getattr(store, "athlete_session_folders", None)
    if lister is None:
        return None
    return [(str(label), Path(folder)) for label, folder in lister(name)]


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
        sessions = athlete_sessions_from_store(refs[0])
        if sessions is None:
            raise InputError(f"{refs[0]}: no such analysis folder, and no session library to look "
                             "an athlete up in (give analysis folders instead)")
        if not sessions:
            raise InputError(f"athlete {refs[0]}: no sessions stored")
        missing = [str(f) for _, f in sessions if not _is_analysis(f)]
        if missing:
            raise InputError(f"athlete {refs[0]}: analysis folder(s) missing: {', '.join(missing)}")
        return sessions
    return [(resolve(r).name, resolve(r)) for r in refs]
