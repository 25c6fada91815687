"""Bringing a ``summary.json`` written by an older formcheck up to the current layout.

Each step upgrades one schema version to the next and is pure (dict in, dict out), so
a folder written by formcheck 0.1 (schema 1.0) loads in every later version. The steps
re-derive decisions a newer layout records (severity bands, the checklist, drift
scores) with the analysis' own rules, so they live with those rules
(:data:`formcheck.assess.verdict.SUMMARY_UPGRADES`) and the caller hands them in: io
reads and writes files and knows no assessment rules.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from formcheck.errors import InputError
from formcheck.model.results import SCHEMA_VERSION


def _older(version: str) -> bool:
    try:
        return tuple(map(int, version.split("."))) < tuple(map(int, SCHEMA_VERSION.split(".")))
    except ValueError:
        return False


#: One upgrade step: a summary of one schema version in, of the next version out.
Step = Callable[[dict[str, Any]], dict[str, Any]]


def migrate_summary(data: dict[str, Any], steps: Mapping[str, Step]) -> tuple[dict[str, Any], str | None]:
    """``data`` upgraded to :data:`~formcheck.model.results.SCHEMA_VERSION`.

    Parameters
    ----------
    data : dict
        A parsed ``summary.json`` (not modified).
    steps : mapping of str to callable
        From-version -> the step that upgrades it to the next version (e.g.
        :data:`formcheck.assess.verdict.SUMMARY_UPGRADES`).

    Returns
    -------
    dict
        The summary in the current schema (``data`` itself when it was current).
    str or None
        The version it was written in; None when it was current already.

    Raises
    ------
    InputError
        A version no step upgrades (e.g. one newer than this formcheck).
    """
    version = str(data.get("schema_version", ""))
    if version == SCHEMA_VERSION:
        return data, None
    if version not in steps:
        if not steps and _older(version):
            raise InputError(f"summary.json has schema version {version} (an older formcheck); this reader "
                             "was given no schema upgrades (formcheck.assess.verdict.SUMMARY_UPGRADES)")
        raise InputError(f"summary.json has schema version {version or '(none)'}, which this formcheck "
                         f"(schema {SCHEMA_VERSION}) cannot read; upgrade formcheck")
    out = copy.deepcopy(data)
    while out.get("schema_version") != SCHEMA_VERSION:
        step = steps.get(str(out.get("schema_version")))
        if step is None:
            raise InputError(f"summary.json has schema version {out.get('schema_version')}, which this "
                             f"formcheck (schema {SCHEMA_VERSION}) cannot read; upgrade formcheck")
        out = step(out)
    return out, version
