"""The named skeleton: points asked for by name, pairs, mirror order, edges, and a series
or landmark file that carries another skeleton than BlazePose."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.errors import InputError
from formcheck.io.landmarks import load_points, load_pose, save_pose
from formcheck.kinematics.metrics import body_points
from formcheck.model import skeleton as skeleton_module
from formcheck.model.pose import PoseSeries
from formcheck.model.results import VideoMeta
from formcheck.model.skeleton import BLAZEPOSE, DEFAULT, Skeleton

#: The drawing edges as index pairs before the skeleton was named (model/pose.py SKELETON).
OLD_EDGES = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31), (24, 26), (26, 28), (28, 30),
    (30, 32), (28, 32), (0, 7), (0, 8),
)

#: A small made-up skeleton (another model's), its points in another order than BlazePose.
TOY = Skeleton("toy", ("right_hip", "left_hip", "neck", "right_shoulder", "left_shoulder",
                       "nose", "left_ear", "right_ear", "left_knee", "right_knee",
                       "left_ankle", "right_ankle", "left_elbow", "right_elbow", "left_wrist",
                       "right_wrist"),
               edges=(("left_shoulder", "left_hip"), ("neck", "nose")), details=("left_ear",))


def test_blazepose_is_mediapipes_own_landmark_order():
    from mediapipe.tasks.python.vision import PoseLandmark

    assert BLAZEPOSE.points == tuple(m.name.lower() for m in PoseLandmark)
    assert DEFAULT is BLAZEPOSE


def test_blazepose_edges_and_details_are_the_old_index_tables():
    assert BLAZEPOSE.edge_indices == OLD_EDGES
    assert BLAZEPOSE.detail_indices == frozenset(range(1, 11))  # annotate skipped 0 < j < 11


def test_lookup_by_name_pairs_and_mirror():
    assert TOY.index("left_ear") == 6
    assert TOY.indices("nose", "neck") == [5, 2]
    assert TOY.pair("hip") == (1, 0)
    assert set(TOY.pairs) == {"hip", "shoulder", "ear", "knee", "ankle", "elbow", "wrist"}  # "neck", "nose": no side
    assert BLAZEPOSE.pair("mouth") == (9, 10)  # suffix-sided names pair too
    m = TOY.mirror
    assert sorted(m) == list(range(TOY.n))
    for li, ri in TOY.pairs.values():
        assert (m[li], m[ri]) == (ri, li)
    assert m[TOY.index("neck")] == TOY.index("neck")


@pytest.mark.parametrize(("points", "edges", "message"), [
    (("a", "a"), (), "repeats"),
    (("a", "b"), (("a", "c"),), "no point 'c'"),
])
def test_a_malformed_skeleton_is_refused(points, edges, message):
    with pytest.raises(ValueError, match=message):
        Skeleton("bad", points, edges)


def test_unknown_names_give_one_clear_error():
    with pytest.raises(ValueError, match="skeleton toy has no point 'left_heel'"):
        TOY.index("left_heel")
    with pytest.raises(ValueError, match="no left/right pair 'neck'"):
        TOY.pair("neck")


def _toy_series(n: int = 4) -> PoseSeries:
    s = PoseSeries.empty(n, VideoMeta("toy.mp4", 25.0, n, 320, 240), TOY)
    rng = np.random.default_rng(1)
    s.xy[:] = rng.uniform(10, 300, s.xy.shape)
    s.visibility[:] = 0.9
    return s


def test_a_series_of_another_skeleton_is_read_by_name():
    s = _toy_series()
    assert s.xy.shape == (4, TOY.n, 2)
    np.testing.assert_array_equal(s.point("left_ear"), s.xy[:, 6])
    pts = body_points(s)  # the metrics' points: found by name, in the toy's order
    np.testing.assert_allclose(pts["nose"], s.xy[:, 5])
    np.testing.assert_allclose(pts["shoulder"], (s.xy[:, 3] + s.xy[:, 4]) / 2, rtol=1e-6)
    assert s.detected.all()
    with pytest.raises(ValueError, match=r"expected \(4, 33, 2\)"):
        PoseSeries(s.t, s.xy, s.z, s.visibility, s.world, s.video)  # arrays of the toy, skeleton default


def test_a_landmark_file_keeps_another_skeleton(tmp_path, monkeypatch):
    monkeypatch.setitem(skeleton_module.SKELETONS, TOY.name, TOY)
    s = _toy_series()
    save_pose(s, tmp_path / "pose.npz")
    back = load_pose(tmp_path / "pose.npz")
    assert back.skeleton is TOY
    np.testing.assert_array_equal(back.xy, s.xy)


def test_a_blazepose_file_keeps_its_old_layout(tmp_path):
    s = PoseSeries.empty(3, VideoMeta("x.mp4", 30.0, 3, 640, 480))
    save_pose(s, tmp_path / "pose.npz")
    with np.load(tmp_path / "pose.npz") as data:
        assert sorted(data.files) == ["selection", "t", "video", "visibility", "world", "xy", "z"]
    assert load_pose(tmp_path / "pose.npz").skeleton is BLAZEPOSE


def test_a_file_of_an_unknown_skeleton_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(skeleton_module.SKELETONS, TOY.name, TOY)
    save_pose(_toy_series(), tmp_path / "pose.npz")
    monkeypatch.delitem(skeleton_module.SKELETONS, TOY.name)
    with pytest.raises(InputError, match="unknown skeleton 'toy'"):
        load_pose(tmp_path / "pose.npz")
    with pytest.raises(InputError, match="unknown skeleton 'toy'"):
        load_points(tmp_path / "pose.npz", [0])


def test_points_of_a_few_frames_keep_another_skeleton(tmp_path, monkeypatch):
    monkeypatch.setitem(skeleton_module.SKELETONS, TOY.name, TOY)
    s = _toy_series()
    save_pose(s, tmp_path / "pose.npz")
    points, skeleton = load_points(tmp_path / "pose.npz", [2])
    assert skeleton is TOY
    np.testing.assert_array_equal(points[2], s.xy[2])
