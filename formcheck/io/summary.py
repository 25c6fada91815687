"""``summary.json``: an :class:`~formcheck.model.results.AnalysisResult` as JSON.

Written with two-space indents and no NaN (JSON has none: missing values are null);
read back validated against the model, and a summary written by an older formcheck
is migrated on the way in when the caller hands in the schema upgrades
(:data:`formcheck.assess.verdict.SUMMARY_UPGRADES`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from formcheck.errors import InputError
from formcheck.io.migrate import Step, migrate_summary
from formcheck.model.results import AnalysisResult, json_ready


def dump_json(data: dict[str, Any], path: Path) -> None:
    """Write plain data as indented JSON (numpy values made plain, NaN refused).

    Parameters
    ----------
    data : dict
        JSON-able data (numpy scalars and arrays are converted).
    path : Path
        The file to write.
    """
    path.write_text(json.dumps(json_ready(data), indent=2, allow_nan=False) + "\n")


def save_summary(result: AnalysisResult, path: str | Path) -> None:
    """Write ``result`` as ``summary.json`` at ``path``.

    Parameters
    ----------
    result : AnalysisResult
        The validated result of an analysis.
    path : str or Path
        The file to write.
    """
    dump_json(result.to_json_dict(), Path(path))


def load_summary(path: str | Path, upgrades: Mapping[str, Step] | None = None
                 ) -> tuple[AnalysisResult, str | None]:
    """Read a ``summary.json``: validated, and migrated when it is older and ``upgrades`` are given.

    Parameters
    ----------
    path : str or Path
        The JSON file.
    upgrades : mapping of str to callable, optional
        The schema upgrade steps; without them only the current schema is read.

    Returns
    -------
    AnalysisResult
        The validated result.
    str or None
        The schema version the file was written in, when it was migrated.

    Raises
    ------
    InputError
        The file cannot be read, is not JSON or not a formcheck summary, or has a
        schema it cannot upgrade (one line each).
    """
    from pydantic import ValidationError

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path} does not hold a formcheck summary")
    data, old = migrate_summary(data, upgrades or {})
    try:
        return AnalysisResult.model_validate(data), old
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise InputError(f"{path} is not a valid formcheck summary ({where}: {first['msg']})") from None
