"""The session library: athletes, their sessions and results, in SQLite or PostgreSQL (SQLAlchemy)."""

# Open a library with Library.open(location); records.py holds what it returns,
# folders.py the one place it reads an analysis folder, migrations.py the schema versions.
#
# The names below are loaded on first use (PEP 562), not imported here: the package's
# modules import each other through ``formcheck.store.<module>``, and an ``__init__`` that
# imported them back would make every such import a cycle.

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_HOME = {
    "FolderFacts": "folders", "find_analysis_folders": "folders", "read_folder": "folders",
    "ENV_VAR": "library", "Library": "library", "default_location": "library",
    "library_exists": "library", "resolve_url": "library",
    "Athlete": "records", "Conditions": "records", "FaultEntry": "records",
    "MetricValue": "records", "Recorded": "records", "Session": "records",
}
__all__ = [
    "ENV_VAR", "Athlete", "Conditions", "FaultEntry", "FolderFacts", "Library", "MetricValue",
    "Recorded", "Session", "default_location", "find_analysis_folders", "library_exists",
    "read_folder", "resolve_url",
]

if TYPE_CHECKING:
    from formcheck.store.folders import FolderFacts, find_analysis_folders, read_folder
    from formcheck.store.library import (
        ENV_VAR,
        Library,
        default_location,
        library_exists,
        resolve_url,
    )
    from formcheck.store.records import (
        Athlete,
        Conditions,
        FaultEntry,
        MetricValue,
        Recorded,
        Session,
    )


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOME])
