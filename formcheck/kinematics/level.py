"""Levelling landmarks when the camera is rolled (the roll itself is estimated from the
image in :mod:`formcheck.pose.tilt`)."""

from __future__ import annotations

import numpy as np


def rotate_points(xy: np.ndarray, roll_deg: float, width: int, height: int) -> np.ndarray:
    """Rotate pixel coordinates (..., 2) about the frame centre so that a line at
    ``roll_deg`` becomes level (undoing the camera roll).

    Parameters
    ----------
    xy : (..., 2) array
        Pixel coordinates (x right, y down).
    roll_deg : float
        The camera roll, degrees.
    width, height : int
        Frame size, px.

    Returns
    -------
    (..., 2) array
        Rotated coordinates, a new array of ``xy``'s dtype.
    """
    a = np.radians(-roll_deg)
    c, s = np.cos(a), np.sin(a)
    cx, cy = width / 2.0, height / 2.0
    x, y = xy[..., 0] - cx, xy[..., 1] - cy
    out = np.empty_like(xy)
    out[..., 0] = cx + c * x - s * y
    out[..., 1] = cy + s * x + c * y
    return out
