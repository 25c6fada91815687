"""What made a result: formcheck's version and analysis revision, and the versions of the
libraries whose change can move a number (the pose runtime, the maths, the decoders).

Stored in every ``summary.json`` (``made_with``) and beside the accuracy and calibration
records, so a result can be reproduced and two results made by different installs are
told apart (``formcheck compare`` warns). Versions are read from the installed
distributions' metadata: nothing heavy is imported.
"""

from __future__ import annotations

import functools
import platform
from importlib import metadata

#: The libraries recorded, each with the distribution names it may be installed under.
LIBRARIES: dict[str, tuple[str, ...]] = {
    "mediapipe": ("mediapipe",),
    "numpy": ("numpy",),
    "opencv": ("opencv-contrib-python", "opencv-python", "opencv-contrib-python-headless",
               "opencv-python-headless"),
    "av": ("av",),
    "scipy": ("scipy",),
}


def library_versions() -> dict[str, str | None]:
    """``{"python": "3.11.7", "mediapipe": "1.2.3", ...}``; None for a library not installed
    (a new dict each call: the caller may change it).

    Returns
    -------
    dict of str to str or None
    """
    return dict(_library_versions())


@functools.cache
def _library_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name, dists in LIBRARIES.items():
        out[name] = None
        for dist in dists:
            try:
                out[name] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return out


def version_differences(a: dict[str, str | None] | None, b: dict[str, str | None] | None) -> list[str]:
    """``["numpy 2.4.6 / 2.3.1", ...]``: the libraries whose recorded versions differ
    (nothing where either side recorded none: a summary written before they were kept).

    Parameters
    ----------
    a, b : dict of str to str or None, or None
        Two records of :func:`library_versions`.

    Returns
    -------
    list of str
    """
    if not a or not b:
        return []
    return [f"{name} {a.get(name)} / {b.get(name)}" for name in LIBRARIES
            if a.get(name) != b.get(name)]
