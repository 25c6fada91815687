"""A side view with no depth cue stays side (issue 18).

MediaPipe's world landmarks guess depth even where the picture has none (a 2D figure
drawn in profile): their body axis can read 30-40 deg off the side while the image shows
a pure profile. The view is oblique only where the world landmarks and the image's head
cue agree.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from formcheck.kinematics.view import detect_view
from formcheck.model.pose import PoseSeries
from formcheck.model.skeleton import BLAZEPOSE as SK
from formcheck.synth.landmarks import pose_series
from formcheck.synth.runner import RunnerSpec

NOSE = SK.index("nose")
(L_EAR, R_EAR), (L_SHOULDER, R_SHOULDER), (L_HIP, R_HIP), (L_ANKLE, R_ANKLE) = (
    SK.pair(p) for p in ("ear", "shoulder", "hip", "ankle"))
N_LANDMARKS = SK.n


def _with_world_yaw(ps: PoseSeries, yaw_deg: float) -> PoseSeries:
    """``ps`` (a profile in the image) with world landmarks whose body axis and head
    point at ``yaw_deg`` (the convention of :mod:`formcheck.kinematics.view`)."""
    n = len(ps)
    y = math.radians(yaw_deg)
    left = np.array([math.sin(y), 0.0, math.cos(y)])  # right->left axis, (x, y, z)
    ahead = np.array([math.cos(y), 0.0, -math.sin(y)])
    world = np.zeros((n, 33, 3), np.float32)
    for li, ri, half in ((L_SHOULDER, R_SHOULDER, 0.18), (L_HIP, R_HIP, 0.10), (L_EAR, R_EAR, 0.074)):
        world[:, li] = half * left
        world[:, ri] = -half * left
    world[:, NOSE] = 0.13 * ahead
    return replace(ps, world=world)


@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("world_off_deg", [0.0, 30.0, 40.0, -35.0])
def test_profile_in_the_image_is_side_whatever_the_world_depth(facing, world_off_deg) -> None:
    ps = pose_series(RunnerSpec(facing=facing, duration_s=2.0))
    base = 0.0 if facing == "right" else 180.0
    v = detect_view(_with_world_yaw(ps, base + world_off_deg))
    assert v.view == "side"
    assert v.facing == facing


@pytest.mark.parametrize("yaw", [35.0, 45.0, 60.0, 135.0, 315.0])
def test_oblique_where_image_and_world_agree(yaw) -> None:
    """Both the world axis and the image head cue turned: oblique (the image's ears
    separate by 14.8 sin(yaw) cm, the nose leads by 13 cos(yaw) cm)."""
    ps = pose_series(RunnerSpec(facing="right", duration_s=2.0))
    xy = ps.xy.copy()
    cm = RunnerSpec().cm_per_px
    mid = (xy[:, L_EAR] + xy[:, R_EAR]) / 2
    y = math.radians(yaw)
    xy[:, L_EAR, 0] = mid[:, 0] + 7.4 * math.sin(y) / cm
    xy[:, R_EAR, 0] = mid[:, 0] - 7.4 * math.sin(y) / cm
    xy[:, NOSE, 0] = mid[:, 0] + 13.0 * math.cos(y) / cm
    v = detect_view(_with_world_yaw(replace(ps, xy=xy), yaw))
    assert v.view == "oblique"
    assert abs((v.yaw_deg - yaw + 180.0) % 360.0 - 180.0) < 3.0
