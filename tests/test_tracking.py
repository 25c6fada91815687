"""Keeping the runner's identity when a similar person runs alongside.

Two people side by side at the same pace look alike to a tracker that links poses
by position alone: their centres are a fraction of a torso apart and jitter from
frame to frame, so nearest-neighbour linking swaps them. What differs is what they
wear. Candidates here are synthetic (exact positions and colours), so the truth of
who is who is known in every frame.
"""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.model.skeleton import BLAZEPOSE as SK
from formcheck.pose.landmarker import Candidates
from formcheck.pose.selection import link_tracks

NOSE = SK.index("nose")
(L_EAR, R_EAR), (L_SHOULDER, R_SHOULDER), (L_HIP, R_HIP), (L_ANKLE, R_ANKLE) = (
    SK.pair(p) for p in ("ear", "shoulder", "hip", "ankle"))
N_LANDMARKS = SK.n

RED = np.array([0.8, 0.15, 0.15, 0.1, 0.1, 0.1], np.float32)
YELLOW = np.array([0.9, 0.75, 0.15, 0.1, 0.1, 0.1], np.float32)  # same shorts, other shirt


def _pose(cx: float, cy: float, torso: float) -> np.ndarray:
    xy = np.full((N_LANDMARKS, 2), np.nan, np.float32)
    xy[[11, 12]] = (cx, cy - torso / 2)
    xy[[23, 24]] = (cx, cy + torso / 2)
    return xy


def side_by_side(gap_torso: float, jitter_torso: float, n: int = 300, seed: int = 0,
                 colours: bool = True) -> tuple[Candidates, np.ndarray]:
    """Two people ``gap_torso`` torso lengths apart, moving together across the frame,
    each centre jittering by ``jitter_torso`` (SD); the model's order of the two poses is
    random. Returns the candidates and, per frame, the slot holding person A."""
    rng = np.random.default_rng(seed)
    torso = 100.0
    xy = np.full((n, 2, N_LANDMARKS, 2), np.nan, np.float32)
    colour = np.full((n, 2, 6), np.nan, np.float32)
    slot_a = rng.integers(0, 2, n)
    for i in range(n):
        base = 200.0 + 2.0 * i
        for person, (dx, col) in enumerate(((0.0, RED), (gap_torso * torso, YELLOW))):
            cx = base + dx + rng.normal(0, jitter_torso * torso)
            cy = 400.0 + rng.normal(0, jitter_torso * torso)
            k = slot_a[i] if person == 0 else 1 - slot_a[i]
            xy[i, k] = _pose(cx, cy, torso)
            if colours:
                colour[i, k] = np.clip(col + rng.normal(0, 0.03, 6), 0, 1)
    vis = np.full((n, 2, N_LANDMARKS), 0.9, np.float32)
    cand = Candidates(np.arange(n) / 30.0, xy, np.zeros((n, 2, N_LANDMARKS), np.float32), vis,
                      np.zeros((n, 2, N_LANDMARKS, 3), np.float32), np.full(n, 2, np.int8), colour)
    return cand, slot_a


def identity_swaps(cand: Candidates, slot_a: np.ndarray) -> int:
    """How often the longest track changes from one person to the other."""
    track = max(link_tracks(cand), key=lambda t: len(t.frames))
    is_a = np.array([s == slot_a[f] for f, s in zip(track.frames, track.slots, strict=True)])
    return int(np.count_nonzero(np.diff(is_a.astype(int))))


@pytest.mark.parametrize("gap", [0.15, 0.3, 0.5])
@pytest.mark.parametrize("jitter", [0.05, 0.1])
def test_different_clothes_keep_identity_side_by_side(gap, jitter):
    cand, slot_a = side_by_side(gap, jitter)
    assert identity_swaps(cand, slot_a) == 0


def test_without_colour_position_alone_swaps_them():
    """The same scene without colours: the check above can fail, and does for
    position-only linking (the reason colour is used)."""
    cand, slot_a = side_by_side(0.15, 0.1, colours=False)
    assert identity_swaps(cand, slot_a) > 0


# --- the census: how many people are in view, whichever way they face ---------------

class _Landmark:
    def __init__(self, x: float, y: float) -> None:
        self.x, self.y, self.z, self.visibility = x, y, 0.0, 0.9


class _OneSidedDetector:
    """A detector that is not mirror-symmetric, like the real one on the treadmill clip
    with a bystander (both people in its first frame, only one in the mirror image):
    it sees a person (a bright square) only in the left half of the image."""

    def detect(self, image):
        rgb = image.numpy_view()
        h, w = rgb.shape[:2]
        poses = []
        for x0 in range(0, w // 2, 10):
            if rgb[h // 2, x0, 0] > 128:
                cx, cy = (x0 + 5) / w, 0.5
                poses.append([_Landmark(cx, cy + (0.2 if i in (23, 24) else -0.2 if i in (11, 12) else 0.0))
                              for i in range(N_LANDMARKS)])
        return type("Result", (), {"pose_landmarks": poses, "pose_world_landmarks": []})()


def _census(rgb: np.ndarray) -> np.ndarray:
    import threading

    from formcheck.pose.landmarker import _SharedCounter

    counter = object.__new__(_SharedCounter)  # no model file: the detector above
    counter._landmarker, counter._lock = _OneSidedDetector(), threading.Lock()
    return counter.people(rgb)


def test_census_counts_the_same_people_in_a_clip_and_its_mirror_image() -> None:
    pytest.importorskip("mediapipe")
    rgb = np.zeros((100, 200, 3), np.uint8)
    rgb[45:55, 40:50] = 255  # a person on the left, seen by the one-sided detector
    rgb[45:55, 150:160] = 255  # and one on the right, which it misses
    found, mirrored = _census(rgb), _census(np.ascontiguousarray(rgb[:, ::-1]))
    assert len(found) == len(mirrored) == 2
    xs = sorted(float(np.nanmean(p[:, 0])) for p in found)
    assert xs == pytest.approx([45.0, 155.0], abs=1e-6)  # mapped back to where they stand
    assert sorted(200.0 - float(np.nanmean(p[:, 0])) for p in mirrored) == pytest.approx(xs, abs=1e-6)


def test_census_counts_one_person_once_when_both_images_see_them() -> None:
    pytest.importorskip("mediapipe")
    rgb = np.zeros((100, 200, 3), np.uint8)
    rgb[45:55, 90:100] = 255  # near the middle: the detector sees them in both images
    rgb[45:55, 100:110] = 255
    assert len(_census(rgb)) == 1
