"""The synthetic runner's whole-body lean, on the joints it draws (no pose model, fast).

``waist_bend_deg`` compares the trunk (hip->shoulder) with the stance leg (ankle->hip) at
mid-stance, so a whole-body lean from the ankles, which tilts both by the same angle,
must leave it unchanged. The synthetic runner is the truth that claim is tested against
(tests/test_compare.py), so its ``body_lean_deg`` must turn the legs with the trunk.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from formcheck.synth.runner import ACCURACY_BASE, simulate

BASE = replace(ACCURACY_BASE, duration_s=6.0, head_forward_deg=0.0, body_lean_deg=0.0)


def _lean(lo: np.ndarray, up: np.ndarray, s: int) -> np.ndarray:
    return np.degrees(np.arctan2(s * (up[:, 0] - lo[:, 0]), lo[:, 1] - up[:, 1]))


@pytest.mark.xfail(strict=True, reason=(
    "simulate() adds body_lean_deg to the thigh angle (th + lean), which swings the legs "
    "forward under a trunk leaning forward: the hip angle closes by twice the lean, a bend "
    "at the hips. On the drawn joints the waist bend at mid-stance (lowest hip) reads -17.3 / "
    "-7.3 / +2.7 deg at lean 0 / 5 / 10 with no bend, which is the lean leak the compare "
    "test measures. th - lean fixes it (measured), but moves the accuracy suite's "
    "calibrations (bounce ratio 0.87 then reads 1.00), which need re-deriving with it"))
@pytest.mark.parametrize("facing", ["right", "left"])
def test_synthetic_whole_body_lean_tilts_the_legs_with_the_trunk(facing):
    """body_lean_deg turns the whole figure: every knee and ankle, seen from the hip,
    turns back by the lean in every frame as the trunk turns forward by it (the hip
    height may change a little, to keep the stance foot on the floor)."""
    base = replace(BASE, facing=facing)
    k0 = simulate(base)
    s = base.s
    for lean in (5.0, 10.0):
        k = simulate(replace(base, body_lean_deg=lean))
        for leg in ("knee_near", "ankle_near", "knee_far", "ankle_far"):
            tilt0 = _lean(k0.joints[leg], k0.joints["hip"], s)
            tilt = _lean(k.joints[leg], k.joints["hip"], s)
            assert np.allclose(tilt - tilt0, lean, atol=1e-9), leg
