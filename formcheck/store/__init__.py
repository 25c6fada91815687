"""The session library: athletes, sessions and their results in a database (SQLite by default).

Use :class:`Library` (``Library.open(location)``); :func:`read_folder` is the one place
the store reads an analysis folder. See :mod:`formcheck.store.library` for where the
library lives, how concurrent writers are handled and what errors look like.
"""

from formcheck.store.library import (
    ENV_VAR,
    Athlete,
    Conditions,
    FaultEntry,
    FolderFacts,
    Library,
    MetricValue,
    Recorded,
    Session,
    default_location,
    find_analysis_folders,
    read_folder,
    resolve_url,
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
    "read_folder",
    "resolve_url",
]
