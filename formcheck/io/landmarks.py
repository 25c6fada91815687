"""Landmark files: a :class:`~formcheck.model.pose.PoseSeries` as a compressed ``.npz``.

``pose.npz`` and ``landmarks_raw.npz`` of an analysis folder are written and read here
(the model itself touches no files). Arrays ``t``, ``xy``, ``z``, ``visibility``,
``world``; ``video`` and ``selection`` as JSON strings; ``skeleton``, the skeleton's name,
only for a skeleton other than :data:`~formcheck.model.skeleton.DEFAULT` (so BlazePose
files keep the layout formcheck has always written, and a file without it is BlazePose).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.errors import InputError
from formcheck.model.pose import PoseSeries
from formcheck.model.results import VideoMeta
from formcheck.model.skeleton import DEFAULT, SKELETONS


def save_pose(series: PoseSeries, path: str | Path) -> None:
    """Write ``series`` to a compressed ``.npz`` at ``path``.

    Parameters
    ----------
    series : PoseSeries
        The landmarks to write.
    path : str or Path
        The file (numpy adds ``.npz`` when the name lacks it).
    """
    arrays: dict[str, Any] = dict(
        t=series.t, xy=series.xy, z=series.z, visibility=series.visibility, world=series.world,
        video=json.dumps(series.video.model_dump()), selection=json.dumps(series.selection),
    )
    if series.skeleton != DEFAULT:
        arrays["skeleton"] = series.skeleton.name
    np.savez_compressed(path, **arrays)


def load_pose(path: str | Path) -> PoseSeries:
    """Read a series written by :func:`save_pose`.

    Parameters
    ----------
    path : str or Path
        The ``.npz`` file.

    Returns
    -------
    PoseSeries

    Raises
    ------
    OSError, KeyError, ValueError
        The file is missing, lacks an array, or its arrays do not fit together.
    InputError
        The file names a skeleton this formcheck does not know.
    """
    with np.load(path, allow_pickle=False) as data:
        v = json.loads(str(data["video"]))
        video = VideoMeta(v["path"], v["fps"], v["frames"], v["width"], v["height"],
                          v.get("rotation", 0), v.get("codec", ""))
        name = str(data["skeleton"]) if "skeleton" in data.files else DEFAULT.name
        if name not in SKELETONS:
            raise InputError(f"{path}: landmarks of an unknown skeleton {name!r} (known: "
                             f"{', '.join(sorted(SKELETONS))})")
        return PoseSeries(data["t"], data["xy"], data["z"], data["visibility"], data["world"],
                          video, json.loads(str(data["selection"])), skeleton=SKELETONS[name])
