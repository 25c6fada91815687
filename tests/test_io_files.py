"""Files read and written in io/: landmark series (.npz), settings (TOML), and the
load_file / save_file facade that picks the format by suffix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from formcheck.errors import InputError
from formcheck.io import landmarks
from formcheck.io.config import read_settings
from formcheck.io.landmarks import load_points, load_pose, save_pose
from formcheck.model.pose import PoseSeries
from formcheck.model.results import VideoMeta


def test_pose_series_round_trip(tmp_path: Path) -> None:
    s = PoseSeries.empty(4, VideoMeta("clip.mp4", 25.0, 4, 640, 480, 90, "h264"))
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


def _long_series(n: int) -> PoseSeries:
    s = PoseSeries.empty(n, VideoMeta("clip.mp4", 30.0, n, 1280, 720))
    s.xy[:] = np.random.default_rng(5).uniform(0, 700, size=s.xy.shape)
    return s


def test_points_of_a_few_frames_are_the_rows_of_the_whole_file(tmp_path: Path, monkeypatch) -> None:
    # 3000 frames: xy is 792 kB, several of the pieces the reader skips in
    monkeypatch.setattr(landmarks, "_SKIP_BYTES", 4096)
    s = _long_series(3000)
    save_pose(s, tmp_path / "pose.npz")
    whole = load_pose(tmp_path / "pose.npz")
    points, skeleton = load_points(tmp_path / "pose.npz", [2999, 0, 1234, 1234, 1235, 3000, -1])
    assert sorted(points) == [0, 1234, 1235, 2999]  # past either end: left out
    for i, xy in points.items():
        assert xy.dtype == np.float32 and xy.shape == (33, 2)
        np.testing.assert_array_equal(xy, whole.xy[i])
    assert skeleton is whole.skeleton
    assert load_points(tmp_path / "pose.npz", [])[0] == {}


def test_points_of_a_damaged_file_are_a_value_error(tmp_path: Path) -> None:
    save_pose(_long_series(3000), tmp_path / "pose.npz")
    data = bytearray((tmp_path / "pose.npz").read_bytes())
    with np.load(tmp_path / "pose.npz") as z:
        info = z.zip.getinfo("xy.npy")
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + 200  # inside xy's deflate stream
    data[at:at + 64] = bytes(64)
    (tmp_path / "bad.npz").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"bad\.npz"):
        load_points(tmp_path / "bad.npz", [2999])


def test_an_analysis_folder_serves_a_few_frames_of_its_pose(tmp_path: Path, caplog) -> None:
    import shutil

    from formcheck.assess.verdict import SUMMARY_UPGRADES
    from formcheck.io.folder import read_analysis

    shutil.copy(Path(__file__).resolve().parent / "data" / "summary_0_1.json", tmp_path / "summary.json")
    af = read_analysis(tmp_path, SUMMARY_UPGRADES)
    assert af.pose_points([0]) is None  # no pose.npz
    s = _long_series(50)
    save_pose(s, tmp_path / "pose.npz")
    points, _ = af.pose_points([7, 60])
    assert list(points) == [7]
    np.testing.assert_array_equal(points[7], s.xy[7])
    (tmp_path / "pose.npz").write_bytes(b"not a zip file")
    assert af.pose_points([7]) is None
    assert "cannot read" in caplog.text


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


# --------------------------------------------------------------------------- load_file / save_file

DATA = Path(__file__).resolve().parent / "data"


def _series() -> PoseSeries:
    s = PoseSeries.empty(5, VideoMeta("clip.mp4", 30.0, 5, 320, 240))
    s.xy[:] = np.random.default_rng(7).uniform(0, 300, s.xy.shape)
    s.visibility[:] = 0.8
    return s


def _result():
    from formcheck.assess.verdict import SUMMARY_UPGRADES
    from formcheck.io.summary import load_summary

    return load_summary(DATA / "summary_0_1.json", SUMMARY_UPGRADES)[0]


def test_save_and_load_file_round_trip_landmarks(tmp_path: Path) -> None:
    from formcheck.io.files import load_file, save_file

    s = _series()
    save_file(s, tmp_path / "pose.npz")
    back = load_file(tmp_path / "pose.npz")
    assert isinstance(back, PoseSeries)
    np.testing.assert_array_equal(back.xy, s.xy)
    assert back.video == s.video and back.skeleton == s.skeleton


def test_save_and_load_file_round_trip_summary(tmp_path: Path) -> None:
    from formcheck.io.files import load_file, save_file
    from formcheck.model.results import AnalysisResult

    r = _result()
    save_file(r, tmp_path / "summary.json")
    back = load_file(tmp_path / "summary.json")  # written in today's schema: no upgrades needed
    assert isinstance(back, AnalysisResult)
    assert back.to_json_dict() == r.to_json_dict()


def test_save_and_load_file_round_trip_table(tmp_path: Path) -> None:
    import pandas as pd

    from formcheck.io.files import load_file, save_file

    t = pd.DataFrame({"frame": [0, 1, 2], "cva_deg": [48.123449, float("nan"), 50.0]})
    save_file(t, tmp_path / "frames.csv")
    back = load_file(tmp_path / "frames.csv")
    assert list(back.columns) == ["frame", "cva_deg"]  # no index column
    assert back["frame"].tolist() == [0, 1, 2]
    # 4 decimals written: the value comes back within half a unit of the 4th decimal
    np.testing.assert_allclose(back["cva_deg"].to_numpy(), [48.1234, np.nan, 50.0], atol=0.5e-4)


def test_load_file_reads_settings(tmp_path: Path) -> None:
    from formcheck.io.files import load_file
    from formcheck.model.settings import Settings

    p = tmp_path / "c.toml"
    p.write_text("[formcheck]\nheight_cm = 181.0\n")
    s = load_file(p)
    assert isinstance(s, Settings) and s.height_cm == 181.0


def test_load_file_migrates_an_old_summary_only_with_the_upgrades(tmp_path: Path) -> None:
    from formcheck.assess.verdict import SUMMARY_UPGRADES
    from formcheck.io.files import load_file

    assert load_file(DATA / "summary_0_1.json", SUMMARY_UPGRADES).checks  # re-derived checklist
    with pytest.raises(InputError, match="no schema upgrades"):
        load_file(DATA / "summary_0_1.json")


@pytest.mark.parametrize("name", ["pose.parquet", "pose", "pose.NPZ", "frames.xlsx"])
def test_an_unknown_suffix_is_one_clear_error(tmp_path: Path, name: str) -> None:
    from formcheck.errors import OutputError
    from formcheck.io.files import load_file, save_file

    with pytest.raises(InputError, match="formcheck cannot read") as err:
        load_file(tmp_path / name)
    assert "\n" not in str(err.value) and name in str(err.value)
    with pytest.raises(OutputError, match="formcheck cannot write") as err:
        save_file(_series(), tmp_path / name)
    assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize(("obj", "name"), [("series", "x.json"), ("result", "x.npz"), ("series", "x.csv")])
def test_save_file_refuses_an_object_its_suffix_does_not_hold(tmp_path: Path, obj: str, name: str) -> None:
    from formcheck.io.files import save_file

    with pytest.raises(TypeError, match="is not written as"):
        save_file(_series() if obj == "series" else _result(), tmp_path / name)
