"""Settings files: the ``[formcheck]`` table of a TOML file as
:class:`~formcheck.model.settings.Settings` (the model itself touches no files)."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

from formcheck.errors import InputError
from formcheck.model.settings import Settings


def read_settings(path: str | Path) -> Settings:
    """The settings in a TOML file: its ``[formcheck]`` table, or its top level.

    Parameters
    ----------
    path : str or Path
        The TOML file (``--config``).

    Returns
    -------
    Settings
        Validated.

    Raises
    ------
    InputError
        The file is missing or not TOML, names an unknown setting, or a value is out of range.
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise InputError(f"config file not found: {p}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"config file {p.name} is not valid TOML: {exc}") from None
    section = data.get("formcheck", data)
    names = {f.name for f in dataclasses.fields(Settings)}
    unknown = set(section) - names
    if unknown:
        raise InputError(f"unknown setting(s) in {p.name}: {', '.join(sorted(unknown))}")
    return Settings(**section)
