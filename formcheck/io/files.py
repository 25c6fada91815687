"""One entry point per direction for the files formcheck reads and writes.

:func:`load_file` and :func:`save_file` pick the format from the file's suffix and hand
over to the module of that format (sleap-io's facade):

========  ===========================================  ==========================
suffix    object                                       module
========  ===========================================  ==========================
``.npz``  :class:`~formcheck.model.pose.PoseSeries`    :mod:`formcheck.io.landmarks`
``.json`` :class:`~formcheck.model.results.AnalysisResult` (``summary.json``)
                                                       :mod:`formcheck.io.summary`
``.csv``  a pandas table (``frames.csv``, ``steps.csv``)  pandas
``.toml`` :class:`~formcheck.model.settings.Settings` (read only)
                                                       :mod:`formcheck.io.config`
========  ===========================================  ==========================
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from formcheck.errors import InputError, OutputError
from formcheck.io.config import read_settings
from formcheck.io.landmarks import load_pose, save_pose
from formcheck.io.migrate import Step
from formcheck.io.summary import load_summary, save_summary
from formcheck.model.pose import PoseSeries
from formcheck.model.results import AnalysisResult

#: Suffixes :func:`load_file` reads and :func:`save_file` writes.
READS = (".npz", ".json", ".csv", ".toml")
WRITES = (".npz", ".json", ".csv")
#: How tables are written (4 decimals: far below every metric's measurement error).
CSV_FLOAT_FORMAT = "%.4f"


def _suffix(path: str | Path) -> str:
    return Path(path).suffix  # as written: numpy would add ".npz" to a name ending ".NPZ"


def load_file(path: str | Path, upgrades: Mapping[str, Step] | None = None) -> Any:
    """Read one formcheck file, its format chosen by its suffix.

    Parameters
    ----------
    path : str or Path
        A ``.npz`` landmark file, a ``.json`` summary, a ``.csv`` table or a ``.toml``
        settings file.
    upgrades : mapping of str to callable, optional
        For a summary: the schema upgrade steps
        (:data:`formcheck.assess.verdict.SUMMARY_UPGRADES`) to read an older one.

    Returns
    -------
    PoseSeries or AnalysisResult or pandas.DataFrame or Settings
        What the file holds.

    Raises
    ------
    InputError
        An unknown suffix, or (summary, settings) a file that cannot be read or is invalid.
    OSError, KeyError, ValueError
        A landmark or table file that is missing or damaged (as :func:`load_pose` and
        ``pandas.read_csv`` raise them).
    """
    suffix = _suffix(path)
    if suffix == ".npz":
        return load_pose(path)
    if suffix == ".json":
        return load_summary(path, upgrades)[0]
    if suffix == ".csv":
        import pandas as pd

        return pd.read_csv(path)
    if suffix == ".toml":
        return read_settings(path)
    raise InputError(f"{Path(path).name}: formcheck cannot read '{suffix or '(no suffix)'}' files "
                     f"(it reads {', '.join(READS)})")


def save_file(obj: PoseSeries | AnalysisResult | Any, path: str | Path) -> None:
    """Write ``obj`` to ``path`` in the format its suffix names.

    Parameters
    ----------
    obj : PoseSeries or AnalysisResult or pandas.DataFrame
        Landmarks (``.npz``), a result (``.json``) or a table (``.csv``, no index,
        floats to 4 decimals).
    path : str or Path
        The file to write.

    Raises
    ------
    OutputError
        An unknown suffix.
    TypeError
        ``obj`` is not what that suffix holds.
    """
    suffix = _suffix(path)
    if suffix not in WRITES:
        raise OutputError(f"{Path(path).name}: formcheck cannot write '{suffix or '(no suffix)'}' files "
                          f"(it writes {', '.join(WRITES)})")
    if suffix == ".npz" and isinstance(obj, PoseSeries):
        save_pose(obj, path)
    elif suffix == ".json" and isinstance(obj, AnalysisResult):
        save_summary(obj, path)
    elif suffix == ".csv" and hasattr(obj, "to_csv"):
        obj.to_csv(path, index=False, float_format=CSV_FLOAT_FORMAT)
    else:
        raise TypeError(f"a {type(obj).__name__} is not written as {suffix}")
