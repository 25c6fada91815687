"""The pose pass's per-frame store: one pose slot a frame until a census sees several
people, and ranges tracked with one and with two slots joined into one clip.

The store is allocated up front from the clip's frame count, so its width is what the
pose pass adds per minute of clip (issue 22: memory flat with clip length). A clip with
one runner in view must not pay for a second pose it never tracks, and nothing a range
stored may be lost or moved when the width grows or ranges of different widths join.
"""

from __future__ import annotations

import numpy as np

from formcheck.io.video import DecodeLog
from formcheck.pose.blazepose import N_POINTS
from formcheck.pose.landmarker import MULTI_POSES, Extraction, _Growable, _join


def _put(store: _Growable, t: float, poses: list[float]) -> int:
    """One frame holding ``len(poses)`` poses, pose k's every coordinate = ``poses[k]``."""
    i = store.row()
    a = store.arrays
    a["t"][i] = t
    for k, v in enumerate(poses):
        a["xy"][i, k] = v
        a["z"][i, k] = v
        a["vis"][i, k] = 0.5
        a["world"][i, k] = v
        a["colour"][i, k] = 0.25
    a["count"][i] = len(poses)
    return i


def test_a_clip_with_one_person_keeps_one_pose_slot_a_frame() -> None:
    one = _Growable(600)
    for i in range(600):
        _put(one, i / 30, [float(i)])
    c = one.finish()
    assert c.xy.shape == (600, 1, N_POINTS, 2) and c.world.shape == (600, 1, N_POINTS, 3)
    two = _Growable(600, MULTI_POSES)
    per_frame_one = sum(v.nbytes for v in one.arrays.values()) / 600
    per_frame_two = sum(v.nbytes for v in two.arrays.values()) / 600
    # t and count are per frame, every other array per pose: a little over half
    assert per_frame_one < 0.51 * per_frame_two, (per_frame_one, per_frame_two)


def test_room_for_more_poses_keeps_every_row_stored_before_it() -> None:
    store = _Growable(40)
    for i in range(10):
        _put(store, i / 30, [] if i == 3 else [float(i)])
    store.more_poses(MULTI_POSES)
    store.more_poses(1)  # never narrows
    for i in range(10, 20):
        _put(store, i / 30, [float(i), 100.0 + i])
    c = store.finish()
    assert c.xy.shape[1] == MULTI_POSES and c.n_frames == 20
    np.testing.assert_array_equal(c.t, np.arange(20) / 30)
    np.testing.assert_array_equal(c.count, [1, 1, 1, 0, 1, 1, 1, 1, 1, 1] + [2] * 10)
    for i in range(20):
        if i == 3:
            assert np.isnan(c.xy[i]).all() and (c.vis[i] == 0).all()
            continue
        assert (c.xy[i, 0] == i).all() and (c.world[i, 0] == i).all() and (c.vis[i, 0] == 0.5).all()
        if i < 10:  # the second slot of rows stored with one: absent, not zero
            assert np.isnan(c.xy[i, 1]).all() and np.isnan(c.z[i, 1]).all()
            assert np.isnan(c.world[i, 1]).all() and np.isnan(c.colour[i, 1]).all()
            assert (c.vis[i, 1] == 0).all()
        else:
            assert (c.xy[i, 1] == 100 + i).all()


def test_growing_past_the_stated_frame_count_keeps_the_width_and_the_rows() -> None:
    store = _Growable(16)
    store.more_poses(MULTI_POSES)
    for i in range(50):  # more frames than the file stated
        _put(store, i / 30, [float(i), -float(i)])
    c = store.finish()
    assert c.n_frames == 50 and c.xy.shape[1] == MULTI_POSES
    assert (c.xy[:, 1, 0, 0] == -np.arange(50)).all()


def _part(frames: int, t0: float, width: int, poses: int, census: list[tuple[int, int]],
          multi_from: int | None) -> Extraction:
    store = _Growable(frames, width)
    for i in range(frames):
        _put(store, t0 + i / 30, [float(i + 1000 * k) for k in range(poses)])
    log = DecodeLog(frames=frames, change=[0.0] * frames)
    return Extraction(store.finish(), max(n for _, n in census), census, multi_from, log)


def test_ranges_tracked_with_one_and_two_poses_join_into_one_clip() -> None:
    first = _part(30, 0.0, 1, 1, [(0, 1)], None)
    second = _part(20, 1.0, MULTI_POSES, 2, [(0, 2), (10, 2)], 0)
    joined = _join([first, second])
    c = joined.candidates
    assert c.n_frames == 50 and c.xy.shape == (50, MULTI_POSES, N_POINTS, 2)
    assert c.vis.shape == (50, MULTI_POSES, N_POINTS) and c.colour.shape == (50, MULTI_POSES, 6)
    np.testing.assert_array_equal(c.t[:30], first.candidates.t)
    np.testing.assert_array_equal(c.xy[:30, 0], first.candidates.xy[:, 0])
    assert np.isnan(c.xy[:30, 1]).all() and np.isnan(c.world[:30, 1]).all() and (c.vis[:30, 1] == 0).all()
    np.testing.assert_array_equal(c.xy[30:], second.candidates.xy)
    np.testing.assert_array_equal(c.count, [1] * 30 + [2] * 20)
    assert joined.census == [(0, 1), (30, 2), (40, 2)] and joined.multi_from == 30
    assert joined.people_seen == 2 and joined.decode.frames == 50
    # two ranges of one pose each stay one pose wide
    narrow = _join([_part(10, 0.0, 1, 1, [(0, 1)], None), _part(10, 1.0, 1, 1, [(0, 1)], None)])
    assert narrow.candidates.xy.shape == (20, 1, N_POINTS, 2)
