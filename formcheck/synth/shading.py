"""The soft floor shadow under the synthetic runner, shared by the 2D and the 3D drawing."""

from __future__ import annotations

import cv2
import numpy as np


def _drop_shadow_full(
    img: np.ndarray, centre: tuple[int, int], axes: tuple[int, int], sigma: float
) -> np.ndarray:
    shadow = np.zeros(img.shape[:2], np.float32)
    cv2.ellipse(shadow, centre, axes, 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    soft = np.asarray(cv2.GaussianBlur(shadow, (0, 0), sigma))
    return (img * (1 - 0.35 * soft[:, :, None])).astype(np.uint8)


def _drop_shadow(
    img: np.ndarray, centre: tuple[int, int], axes: tuple[int, int], sigma: float
) -> np.ndarray:
    """Darken ``img`` under a soft elliptic floor shadow.

    Computed in a window around the ellipse that holds the blur's whole support (the
    shadow is exactly 0 outside it, so the result equals the full-frame computation,
    which is used when the window would touch the image edge).
    """
    pad = int(4 * sigma) + 4
    x0, x1 = centre[0] - axes[0] - pad, centre[0] + axes[0] + pad + 1
    y0, y1 = centre[1] - axes[1] - pad, centre[1] + axes[1] + pad + 1
    h, w = img.shape[:2]
    if x0 - pad < 0 or y0 - pad < 0 or x1 + pad > w or y1 + pad > h:
        return _drop_shadow_full(img, centre, axes, sigma)
    out = img.copy()
    local = (centre[0] - x0, centre[1] - y0)
    out[y0:y1, x0:x1] = _drop_shadow_full(np.ascontiguousarray(img[y0:y1, x0:x1]), local, axes, sigma)
    return out
