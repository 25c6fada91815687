"""Model-side files read and written in io/: landmark series (.npz) and settings (TOML)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from formcheck.errors import InputError
from formcheck.io.config import read_settings
from formcheck.io.landmarks import load_pose, save_pose
from formcheck.model.pose import PoseSeries, VideoInfo


def test_pose_series_round_trip(tmp_path: Path) -> None:
    s = PoseSeries.empty(4, VideoInfo("clip.mp4", 25.0, 4, 640, 480, 90, "h264"))
    rng = np.random.default_rng(3)
    s.xy[1:3] = rng.uniform(0, 400, size=s.xy[1:3].shape)
    s.visibility[1:3] = 0.7
    s.selection.update(method="single", people=1)
    save_pose(s, tmp_path / "pose.npz")
    back = load_pose(tmp_path / "pose.npz")
    for name in ("t", "xy", "z", "visibility", "world"):
        np.testing.assert_array_equal(getattr(back, name), getattr(s, name))
        assert getattr(back, name).dtype == getattr(s, name).dtype
    assert back.video == s.video and back.selection == s.selection


def test_settings_from_the_formcheck_table(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text('[formcheck]\nheight_cm = 172.5\nview = "side"\n')
    s = read_settings(p)
    assert (s.height_cm, s.view, s.mass_kg) == (172.5, "side", None)


@pytest.mark.parametrize("text, needle", [
    ("[formcheck]\nheigth_cm = 170\n", "unknown setting(s) in c.toml: heigth_cm"),
    ("[formcheck\n", "not valid TOML"),
    ("[formcheck]\nheight_cm = 20\n", "not a plausible height"),
])
def test_bad_settings_files_are_one_clear_error(tmp_path: Path, text: str, needle: str) -> None:
    p = tmp_path / "c.toml"
    p.write_text(text)
    with pytest.raises(InputError, match=None) as err:
        read_settings(p)
    assert needle in str(err.value)


def test_missing_settings_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="config file not found"):
        read_settings(tmp_path / "none.toml")
