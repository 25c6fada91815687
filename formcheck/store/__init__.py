"""The session library: athletes, their sessions and results, in SQLite or PostgreSQL (SQLAlchemy)."""

# Open a library with Library.open(location); records.py holds what it returns,
# folders.py the one place it reads an analysis folder, migrations.py the schema versions.

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

__all__ = [
    "ENV_VAR",
    "Athlete",
    "Conditions",
    "FaultEntry",
    "FolderFacts",
    "Library",
    "MetricValue",
    "Recorded",
    "Session",
    "default_location",
    "find_analysis_folders",
    "library_exists",
    "read_folder",
    "resolve_url",
]
