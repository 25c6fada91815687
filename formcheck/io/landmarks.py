"""Landmark files: a :class:`~formcheck.model.pose.PoseSeries` as a compressed ``.npz``.

``pose.npz`` and ``landmarks_raw.npz`` of an analysis folder are written and read here
(the model itself touches no files). Arrays ``t``, ``xy``, ``z``, ``visibility``,
``world``; ``video`` and ``selection`` as JSON strings; ``skeleton``, the skeleton's name,
only for a skeleton other than :data:`~formcheck.model.skeleton.DEFAULT` (so BlazePose
files keep the layout formcheck has always written, and a file without it is BlazePose).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.errors import InputError
from formcheck.model.pose import PoseSeries
from formcheck.model.results import VideoMeta
from formcheck.model.skeleton import DEFAULT, SKELETONS, Skeleton


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
                          v.get("rotation", 0), v.get("codec", ""), turn=v.get("turn", 0))
        skeleton = _skeleton(data, path)
        return PoseSeries(data["t"], data["xy"], data["z"], data["visibility"], data["world"],
                          video, json.loads(str(data["selection"])), skeleton=skeleton)


def _skeleton(data: Any, path: str | Path) -> Skeleton:
    name = str(data["skeleton"]) if "skeleton" in data.files else DEFAULT.name
    if name not in SKELETONS:
        raise InputError(f"{path}: landmarks of an unknown skeleton {name!r} (known: "
                         f"{', '.join(sorted(SKELETONS))})")
    return SKELETONS[name]


_SKIP_BYTES = 1 << 18


def load_points(path: str | Path, frames: Iterable[int]) -> tuple[dict[int, np.ndarray], Skeleton]:
    """The ``xy`` points of a few frames of a file written by :func:`save_pose`, read
    without loading the whole file (whose arrays grow with the clip: 16 MB for ten
    minutes, where a still needs one frame's 264 bytes).

    Parameters
    ----------
    path : str or Path
        The ``.npz`` file.
    frames : iterable of int
        Frame indices; those outside the file are left out of the result.

    Returns
    -------
    points : dict of int to ndarray
        Frame index -> that frame's ``xy`` row, (K, 2) px, as stored (float32).
    skeleton : Skeleton
        The skeleton of the points.

    Raises
    ------
    OSError, KeyError, ValueError
        The file is missing, lacks ``xy`` or is damaged (a damaged compressed stream
        is reported as ValueError).
    InputError
        The file names a skeleton this formcheck does not know.
    """
    import zipfile
    import zlib

    try:
        return _load_points(path, frames)
    except (zipfile.BadZipFile, zlib.error) as exc:
        raise ValueError(f"{path}: {exc}") from exc


def _load_points(path: str | Path, frames: Iterable[int]) -> tuple[dict[int, np.ndarray], Skeleton]:
    from numpy.lib import format as npy

    with np.load(path, allow_pickle=False) as data:
        skeleton = _skeleton(data, path)
        with data.zip.open("xy.npy") as f:  # a stream: rows before the wanted ones are skipped
            version = npy.read_magic(f)
            read_header = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}.get(version)
            if read_header is None:
                raise ValueError(f"{path}: xy in an unknown .npy format version {version}")
            shape, fortran, dtype = read_header(f)
            if fortran or len(shape) != 3:
                raise ValueError(f"{path}: xy is not an (n, K, 2) array in C order")
            row = int(np.prod(shape[1:])) * dtype.itemsize
            points: dict[int, np.ndarray] = {}
            at = 0  # the row the stream is at
            for i in sorted({int(i) for i in frames if 0 <= int(i) < shape[0]}):
                skip = (i - at) * row
                while skip > 0:  # read and drop in small pieces (ZipExtFile.seek reads up to 16 MB at once)
                    got = len(f.read(min(skip, _SKIP_BYTES)))
                    if not got:
                        break
                    skip -= got
                buf = f.read(row)
                if len(buf) != row:
                    raise ValueError(f"{path}: xy ends before frame {i}")
                points[i] = np.frombuffer(buf, dtype).reshape(shape[1:]).copy()
                at = i + 1
    return points, skeleton
