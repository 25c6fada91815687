"""Live coaching: frame sources, the causal pipeline, the cue engine, recording, CLI.

Fast tests use a pose function that returns the synthetic runner's exact joints (no
model); the tests marked ``slow`` run the pose model on rendered clips played as a
live source.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from formcheck.assess.norms import THRESHOLDS, WHOLE_BODY_LEAN_MAX_BEND
from formcheck.errors import FormcheckError
from formcheck.io.landmarks import load_pose
from formcheck.io.sources import (
    FileSource,
    PacedFileSource,
    PushSource,
    SimulatedClock,
    ThreadedSource,
    _Captured,
    open_source,
)
from formcheck.io.video import probe
from formcheck.live.causal import OneEuroFilter, StepDetector
from formcheck.live.cues import CLEAR_MARGINS, CueEngine, judge, step_states, threshold_for
from formcheck.live.pipeline import LivePipeline
from formcheck.live.record import SessionRecorder
from formcheck.live.session import LiveSession
from formcheck.model.skeleton import BLAZEPOSE as SK
from formcheck.pose.stream import PoseSample
from formcheck.synth.render import compute_truth, render_clip
from formcheck.synth.runner import ACCURACY_BASE, RunnerSpec, simulate
from tests.conftest import ROOT, write_clip

NOSE = SK.index("nose")
(L_EAR, R_EAR), (L_SHOULDER, R_SHOULDER), (L_HIP, R_HIP), (L_ANKLE, R_ANKLE) = (
    SK.pair(p) for p in ("ear", "shoulder", "hip", "ankle"))
N_LANDMARKS = SK.n

# --------------------------------------------------------------------------- helpers

#: (left, right) landmark ids of the joints the synthetic runner draws.
_PAIRS = {"ear": (7, 8), "shoulder": (11, 12), "hip": (23, 24), "knee": (25, 26), "ankle": (27, 28)}


def truth_pose(spec: RunnerSpec):
    """A pose function returning the synthetic runner's exact joints at each frame time
    ``i / fps``: the near side fully visible, the far side (as MediaPipe guesses it) less so."""
    kin = simulate(spec)
    xy = np.full((kin.n, N_LANDMARKS, 2), np.nan)
    vis = np.zeros((kin.n, N_LANDMARKS))
    xy[:, 0], vis[:, 0] = kin.joints["nose"], 1.0
    for name, (left, right) in _PAIRS.items():
        near, far = (right, left) if spec.facing == "right" else (left, right)
        if name in ("knee", "ankle"):
            xy[:, near], xy[:, far] = kin.joints[f"{name}_near"], kin.joints[f"{name}_far"]
        else:
            xy[:, near] = xy[:, far] = kin.joints[name]
        vis[:, near], vis[:, far] = 0.99, 0.6

    def pose(rgb: np.ndarray, t: float) -> PoseSample:
        i = min(int(round(t * spec.fps)), kin.n - 1)
        return PoseSample(xy[i], vis[i])

    return pose


class _Frame:
    def __init__(self, index: int, time_s: float, shape: tuple[int, int]) -> None:
        self.index, self.time_s, self.captured_s = index, time_s, time_s
        self.rgb = np.zeros((*shape, 3), np.uint8)


def run_truth(spec: RunnerSpec, every: int = 1, engine: CueEngine | None = None):
    """Run the pipeline over the runner's exact joints, processing every ``every``-th frame."""
    pipe = LivePipeline(truth_pose(spec), engine)
    results = []
    for i in range(0, spec.n_frames, every):
        results.append(pipe.process(_Frame(i, i / spec.fps, (spec.height, spec.width))))
    return results


def cues_of(results):
    return [c for r in results for c in r.cues]


STEP_AT = 5.0
STEPPED = replace(ACCURACY_BASE, duration_s=9.0, head_forward_deg=2.0, head_forward_step_deg=26.0,
                  head_forward_step_s=STEP_AT)
CLEAN = replace(STEPPED, head_forward_step_deg=0.0)

# --------------------------------------------------------------------------- cue rules


@pytest.mark.parametrize("facing", ["left", "right"])
def test_synthetic_head_step_changes_the_neck_angle_at_its_time(facing):
    spec = replace(STEPPED, facing=facing)
    _, cols = compute_truth(spec, simulate(spec))
    t = np.arange(spec.n_frames) / spec.fps
    neck = cols["neck_trunk_angle_deg"]
    before, after = t < STEP_AT, t >= STEP_AT
    np.testing.assert_allclose(neck[before], spec.head_forward_deg, atol=1e-9)
    np.testing.assert_allclose(neck[after], spec.head_forward_deg + spec.head_forward_step_deg, atol=1e-9)
    assert "head_forward_step_deg" in spec.to_dict() and "head_forward_step_deg" not in CLEAN.to_dict()


@pytest.mark.parametrize("code", ["forward_head", "waist_lean", "raised_shoulders", "gaze_down",
                                  "excessive_bounce"])
def test_a_step_is_bad_exactly_where_the_offline_rule_sees_a_fault(code):
    """Sweep each threshold's whole range: 'bad' iff the offline severity is at least mild;
    'clear' only beyond the margin on the good side."""
    for height_known in (False, True):
        th = threshold_for(code, height_known)
        margin = CLEAR_MARGINS[th.unit]
        span = abs(th.severe - th.mild) + 3 * margin
        for v in np.linspace(th.mild - 2 * span, th.mild + 2 * span, 401):
            state = judge(float(v), th, margin)
            assert (state == "bad") == (th.severity(float(v)) is not None)
            good_side = v >= th.mild + margin if th.direction == "below" else v <= th.mild - margin
            assert (state == "clear") == bool(good_side)
    assert threshold_for("excessive_bounce", False) is THRESHOLDS["excessive_bounce_torso"]
    assert threshold_for("excessive_bounce", True) is THRESHOLDS["excessive_bounce"]
    assert judge(math.nan, THRESHOLDS["forward_head"], 3.0) is None


def test_whole_body_lean_is_not_a_waist_bend():
    lean = THRESHOLDS["waist_lean"].mild + 5
    assert step_states({"trunk_lean_deg": lean, "waist_bend_deg": 5.0}, False)["waist_lean"] == "bad"
    assert step_states({"trunk_lean_deg": lean, "waist_bend_deg": WHOLE_BODY_LEAN_MAX_BEND - 1},
                       False)["waist_lean"] == "clear"


BAD = {"cva_deg": 60.0}  # forward head past every band; other metrics not measurable
GOOD = {"cva_deg": 85.0}
BETWEEN = {"cva_deg": THRESHOLDS["forward_head"].mild + 1.0}  # inside the norm, within the margin


def feed(engine: CueEngine, seq, t0: float = 0.0, dt: float = 0.35):
    out = []
    for k, values in enumerate(seq):
        out += [(k, c) for c in engine.step(t0 + k * dt, values)]
    return out


@pytest.mark.parametrize("k", [1, 3, 4, 6])
def test_cue_fires_after_exactly_k_consecutive_bad_steps(k):
    fired = feed(CueEngine(k_steps=k), [GOOD] * 5 + [BAD] * (k + 3))
    assert [(i, c.code) for i, c in fired] == [(5 + k - 1, "forward_head")]
    assert fired[0][1].phrase == "head up, run tall"
    # k - 1 bad steps, interrupted, never fire
    assert feed(CueEngine(k_steps=k), ([BAD] * (k - 1) + [GOOD]) * 6) == []


def test_alternating_bad_steps_never_fire():
    assert feed(CueEngine(k_steps=4), [BAD, GOOD] * 30) == []
    assert feed(CueEngine(k_steps=4), [BAD, BAD, BAD, BETWEEN] * 15) == []


def test_hysteresis_needs_k_clear_steps_beyond_the_margin():
    eng = CueEngine(k_steps=4, cooldown_s=0.0, min_gap_s=0.0, remind_s=None)
    feed(eng, [BAD] * 4)
    assert eng.active == ["forward_head"]
    feed(eng, [BETWEEN] * 20)  # back inside the norm but not by the margin: still active
    assert eng.active == ["forward_head"]
    feed(eng, [GOOD] * 3 + [BETWEEN] + [GOOD] * 3)  # runs of 3: not enough
    assert eng.active == ["forward_head"]
    feed(eng, [GOOD] * 4)
    assert eng.active == []


def test_cool_down_defers_a_repeat_cue_until_it_ends():
    eng = CueEngine(k_steps=2, cooldown_s=20.0, min_gap_s=0.0, remind_s=None)
    dt = 0.5
    seq = [BAD] * 2 + [GOOD] * 2 + [BAD] * 2  # fires at step 1 (t=0.5), clears, active again at t=2.5
    fired = feed(eng, seq, dt=dt)
    assert [c.time_s for _, c in fired] == [0.5]
    assert eng.active == ["forward_head"]
    assert eng.poll(20.4) == []  # 19.9 s after the first cue
    again = eng.poll(20.6)
    assert [c.code for c in again] == ["forward_head"] and not again[0].reminder
    assert eng.poll(30.0) == []  # given; no nagging while it stays active


def test_a_cleared_fault_owes_no_cue():
    eng = CueEngine(k_steps=2, cooldown_s=20.0, min_gap_s=0.0, remind_s=None)
    feed(eng, [BAD] * 2 + [GOOD] * 2 + [BAD] * 2 + [GOOD] * 2)
    assert eng.active == [] and eng.poll(100.0) == []


def test_reminder_while_a_fault_persists():
    eng = CueEngine(k_steps=2, cooldown_s=20.0, min_gap_s=0.0, remind_s=60.0)
    fired = feed(eng, [BAD] * 400, dt=0.35)  # 140 s of forward head
    times = [round(c.time_s, 2) for _, c in fired]
    assert times[0] == 0.35 and all(c.reminder for _, c in fired[1:])
    assert np.allclose(np.diff(times), 60.0, atol=0.35)


def test_one_cue_at_a_time_most_important_first():
    eng = CueEngine(k_steps=2, cooldown_s=20.0, min_gap_s=4.0, remind_s=None)
    both = {"cva_deg": 60.0, "head_pitch_deg": 40.0}
    fired = feed(eng, [both] * 30, dt=0.35)
    assert [c.code for _, c in fired] == ["forward_head", "gaze_down"]
    assert fired[1][1].time_s - fired[0][1].time_s >= 4.0


# --------------------------------------------------------------------------- causal stages


def _detect(t, y):
    det = StepDetector()
    return det, [st for ti, yi in zip(t, y, strict=True) for st in det.update(float(ti), float(yi))]


def test_step_detector_finds_each_low_point_with_dropped_frames():
    """A hip bounce (image y, torso lengths) at 170 steps/min, sampled irregularly (about a
    third of the frames dropped) with landmark noise: every low point found once, after
    the fact, near its true time; all but the last (confirmed half a period later, see
    StepDetector) before the end."""
    rng = np.random.default_rng(3)
    period = 60 / 170
    # the last low point (9.53 s) has time to be confirmed: half a period (0.18 s) plus
    # one redo interval (0.1 s); the first (0 s) has samples before it
    t = np.arange(-0.2, 9.85, 1 / 30)
    t = t[rng.random(t.size) > 0.35]
    y = 0.08 * np.cos(2 * np.pi * t / period) + rng.normal(0, 0.005, t.size)  # lowest hip at t = k*period
    _, steps = _detect(t, y)
    assert all(s.valid for s in steps)
    found = [steps[0].t_start_s] + [s.t_end_s for s in steps]
    true = np.arange(0, 28) * period
    assert len(found) == len(true)
    err = np.array(found) - true
    assert np.abs(err).max() < 1.5 / 30  # the phase of the fundamental: within the sampling gaps


def _even_bounce(amp_at=None):
    """A clean 180 steps/min bounce at 30 fps, 10 s, lowest hip at t = k * period;
    ``amp_at(t)`` scales it (default 1)."""
    period = 60 / 180
    t = np.arange(0, 10, 1 / 30)
    amp = 0.08 * (amp_at(t) if amp_at else 1.0)
    return period, t, amp * np.cos(2 * np.pi * t / period)


def _lose(monkeypatch, lost=(), weak=()):
    """Make the window's phase lose the low points at the times ``lost`` (as on real
    footage where a weak, uneven bounce turns the phase once over two steps), and its
    envelope cancel (x0.05) over the spans ``weak``, in every analysis."""
    from formcheck.live import causal

    real = causal._phase_crossings

    def lossy(xf, grid, period, fs):
        frames, times, env = real(xf, grid, period, fs)
        keep = np.array([all(abs(tc - tl) > 0.3 * period for tl in lost) for tc in times], dtype=bool)
        env = env.copy()
        for a, b in weak:
            env[(grid >= a) & (grid <= b)] *= 0.05
        return frames[keep], times[keep], env

    monkeypatch.setattr(causal, "_phase_crossings", lossy)


def test_step_detector_counts_two_steps_where_the_phase_lost_a_low_point(monkeypatch):
    """A gap of two periods between confirmed mid-stances is two steps (MERGED), split
    evenly; a gap of three is not (runners do not take 1.5-period steps)."""
    period, t, y = _even_bounce()
    clean = _detect(t, y)[1]
    assert all(s.valid for s in clean) and len(clean) == 29  # 30 low points, all confirmed
    _lose(monkeypatch, lost=[15 * period])
    steps = _detect(t, y)[1]
    valid = [s for s in steps if s.valid]
    assert len(valid) == len(steps) == 29
    mid = [s.t_end_s for s in valid if abs(s.t_end_s - 15 * period) < 0.5 * period]
    assert len(mid) == 1 and abs(mid[0] - 15 * period) < 0.1 * period
    _lose(monkeypatch, lost=[15 * period, 16 * period])
    steps = _detect(t, y)[1]
    assert len([s for s in steps if s.valid]) == 26  # 14 -> 17 is not a step
    assert [round((s.t_end_s - s.t_start_s) / period) for s in steps if not s.valid] == [3]


def test_step_detector_counts_a_step_whose_fundamental_cancels_but_whose_hips_bounce(monkeypatch):
    """The band-passed envelope of a step can cancel while the hips rise and fall by a
    whole bounce: the step counts on its own excursion (MIN_SWING_RATIO). A step whose
    hips truly barely move (a fifth of the bounce) still does not."""
    period, t, y = _even_bounce()
    _lose(monkeypatch, weak=[(14 * period, 16 * period)])
    assert all(s.valid for s in _detect(t, y)[1])
    period, t, y = _even_bounce(lambda t: np.where((t > 12.5 * period) & (t < 17.5 * period), 0.2, 1.0))
    steps = _detect(t, y)[1]
    low = [s for s in steps if 13.5 * period < s.t_start_s and s.t_end_s < 16.5 * period]
    assert len(low) == 2 and not any(s.valid for s in low)
    assert all(s.valid for s in steps if s.t_end_s < 12 * period or s.t_start_s > 18 * period)


def test_step_detector_ignores_wobbles_and_respects_the_minimum_period():
    t = np.arange(0, 5, 1 / 60)
    wobble = 0.001 * np.cos(2 * np.pi * 3 * t)  # a step rhythm, but a bounce under the noise floor
    assert [s for s in _detect(t, wobble)[1] if s.valid] == []
    fast = 0.1 * np.cos(2 * np.pi * 6 * t)  # 360 "steps"/min: faster than any runner
    steps = _detect(t, fast)[1]
    assert min(s.t_end_s - s.t_start_s for s in steps) >= 60 / 270 - 1e-9


def test_step_detector_says_there_is_no_rhythm_in_noise():
    rng = np.random.default_rng(1)
    t = np.arange(0, 8, 1 / 30)
    det, steps = _detect(t, 0.02 * rng.normal(size=t.size))
    assert steps == [] and math.isnan(det.period_s)  # no rhythm: nothing counted


def test_one_euro_keeps_constants_and_skips_missing_points():
    f = OneEuroFilter()
    x = np.array([[100.0, 50.0], [np.nan, np.nan]])
    for k in range(5):
        out = f(k / 30, x, scale=100.0)
    assert np.allclose(out[0], x[0]) and np.isnan(out[1]).all()
    # a jump is followed, not invented: the output lies between old and new
    out = f(5 / 30, np.array([[110.0, 50.0], [1.0, 2.0]]), 100.0)
    assert 100 < out[0, 0] < 110 and np.allclose(out[1], [1.0, 2.0])
    # after a gap longer than max_gap_s the point starts afresh
    out = f(2.0, np.array([[200.0, 50.0], [1.0, 2.0]]), 100.0)
    assert np.allclose(out[0], [200.0, 50.0])


# --------------------------------------------------------------------------- pipeline, exact joints


@pytest.mark.parametrize("every", [1, 2, 3])
def test_exact_joints_cue_forward_head_within_3_s_of_the_change(every):
    results = run_truth(STEPPED, every)
    cues = cues_of(results)
    assert cues, "no cue"
    assert cues[0].code == "forward_head"
    assert STEP_AT < cues[0].time_s <= STEP_AT + 3.0
    steps = [r.step for r in results if r.step is not None]
    # cadence from the detected steps: 172 steps/min +- one frame per step
    durations = np.array([s.t_end_s - s.t_start_s for s in steps])
    assert abs(60 / durations.mean() - STEPPED.cadence_spm) < 0.03 * STEPPED.cadence_spm


@pytest.mark.parametrize("every", [1, 2])
def test_exact_joints_clean_runner_gets_no_cue(every):
    assert cues_of(run_truth(CLEAN, every)) == []


def test_exact_joints_front_view_status_and_no_cue():
    pipe = LivePipeline(_front(CLEAN))  # facing the camera: left and right apart, the nose between the ears
    res = [pipe.process(_Frame(i, i / 30, (240, 320))) for i in range(90)]
    assert res[-1].status.startswith("not a side view") and cues_of(res) == []
    assert json.dumps(res[-1].to_dict())  # JSON-able for a web page


# --------------------------------------------------------------------------- sources


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory) -> Path:
    frames = [np.full((48, 64, 3), i * 4, np.uint8) for i in range(30)]
    return write_clip(tmp_path_factory.mktemp("live") / "tiny.mp4", frames, fps=30)


def _expected_paced(n: int, fps: float, cost: float) -> list[int]:
    """Frames a consumer that needs ``cost`` s per frame gets from a camera at ``fps``:
    it takes the newest frame whose time has come, or waits for the next."""
    got, now, nxt = [], 0.0, 0
    while nxt < n:
        now = max(now, nxt / fps)
        newest = min(n - 1, int(math.floor(now * fps + 1e-9)))
        got.append(newest)
        now += cost
        nxt = newest + 1
    return got


@pytest.mark.parametrize("cost", [0.01, 0.045, 0.07, 0.125])
def test_paced_source_drops_exactly_what_real_time_would(tiny_clip, cost):
    clock = SimulatedClock(cost)
    src = PacedFileSource(tiny_clip, clock)
    got = []
    for f in src:
        got.append(f.index)
        clock.spent(0.0)  # what LiveSession does after each frame
    assert got == _expected_paced(30, 30.0, cost)
    assert src.stats.captured == 30 and src.stats.delivered + src.stats.dropped == 30
    assert src.end_reason == "end of clip"


def test_paced_source_on_the_real_clock_takes_the_clip_duration(tiny_clip):
    start = time.monotonic()
    src = PacedFileSource(tiny_clip)
    frames = list(src)
    elapsed = time.monotonic() - start
    assert elapsed >= 29 / 30 - 0.02  # the last frame is due at 29/30 s
    # A frame whose decode came late on a loaded machine is dropped as a camera drops it
    # (the newest due frame wins); every frame is either handed over or counted dropped.
    assert src.stats.delivered + src.stats.dropped == 30 and len(frames) == src.stats.delivered
    assert frames[-1].index == 29


def test_file_source_delivers_every_frame(tiny_clip):
    src = FileSource(tiny_clip)
    assert [f.index for f in src] == list(range(30)) and src.stats.dropped == 0


class FakeLive(ThreadedSource):
    """A camera stand-in: ``n`` frames at ``fps``, then ``then``: "end" (disconnect),
    "stall" (no more frames, no end), or "error"."""

    kind = "camera"
    _end_message = "camera disconnected"

    def __init__(self, n: int, fps: float = 100.0, then: str = "end", stall_s: float = 0.5,
                 size=(48, 64)) -> None:
        super().__init__("fake camera", stall_s)
        self.n, self.fps, self.then, self.size = n, fps, then, size
        self.k = 0
        self.released = threading.Event()

    def _read(self):
        if self.k >= self.n:
            if self.then == "stall":
                self._stop.wait(30)
                return None
            if self.then == "error":
                raise OSError("device unplugged")
            return None
        time.sleep(1 / self.fps)
        self.k += 1
        return _Captured(np.full((*self.size, 3), self.k % 255, np.uint8), self.k / self.fps)

    def _release(self) -> None:
        self.released.set()


@pytest.mark.parametrize(("then", "reason"), [
    ("end", "camera disconnected"),
    ("error", "camera disconnected (OSError: device unplugged)"),
    ("stall", "stream stalled: no frame for 0.5 s"),
])
def test_live_source_ends_cleanly_with_its_reason(then, reason):
    src = FakeLive(20, then=then)
    start = time.monotonic()
    got = [f.index for f in src]
    src.close()
    assert src.end_reason == reason
    assert got == sorted(got) and src.stats.captured == 20
    if then == "stall":
        assert 0.5 <= time.monotonic() - start < 0.5 + 20 / 100 + 1.0
    assert src.released.wait(3)


def test_live_source_drops_frames_for_a_slow_consumer():
    src = FakeLive(60, fps=100.0)
    got = []
    for f in src:
        got.append(f.index)
        time.sleep(0.03)  # 3 frame intervals per frame
    src.close()
    st = src.stats
    assert st.captured == 60 and st.delivered == len(got)
    assert st.delivered + st.dropped == st.captured
    assert st.dropped >= 30  # most frames never reach the consumer
    assert got[-1] >= 55  # ... and it stays current


def test_push_source_hands_over_the_newest_frame_and_ends():
    src = PushSource(stall_s=0.3)
    it = iter(src)
    for k in range(5):
        src.push(np.zeros((4, 4, 3), np.uint8), k / 30)
    first = next(it)
    assert first.index == 4 and src.stats.dropped == 4  # only the newest is handed over
    src.push(np.zeros((4, 4, 3), np.uint8), 5 / 30)
    src.end("page closed")
    assert [f.index for f in it] == [5] and src.end_reason == "page closed"
    stalled = PushSource(stall_s=0.2)
    assert list(stalled) == [] and stalled.end_reason == "stream stalled: no frame for 0.2 s"


def test_open_source_needs_exactly_one_source(tmp_path):
    with pytest.raises(FormcheckError, match="exactly one"):
        open_source()
    with pytest.raises(FormcheckError, match="exactly one"):
        open_source(camera=0, url="rtsp://127.0.0.1:1/x")
    with pytest.raises(FormcheckError, match="no such file"):
        open_source(source=tmp_path / "missing.mp4")


def test_stream_source_reads_a_url_and_ends(tiny_clip):
    src = open_source(url=tiny_clip.as_uri(), stall_s=2.0)
    got = [f.index for f in src]
    src.close()
    assert src.end_reason == "stream ended" and src.stats.captured == 30 and got[-1] == 29


# --------------------------------------------------------------------------- recording


def _session(src, spec: RunnerSpec, folder: Path) -> LiveSession:
    return LiveSession(src, LivePipeline(truth_pose(spec)), SessionRecorder(folder, fps=100.0))


def _check_recording(folder: Path, frames: int) -> None:
    video = folder / "live.mp4"
    info = probe(video)
    assert info.frames == frames and (info.width, info.height) == (320, 240)
    series = load_pose(folder / "landmarks.npz")
    session = json.loads((folder / "session.json").read_text())
    assert len(series) == session["frames_processed"] > 0
    assert session["frames_recorded"] == frames
    assert not list(folder.glob(".*part"))


@pytest.mark.parametrize("then", ["end", "stall", "error"])
def test_disconnect_and_stall_keep_a_valid_recording(tmp_path, then):
    src = FakeLive(40, then=then, size=(240, 320))
    summary = _session(src, CLEAN, tmp_path / "rec").run()
    assert summary.end_reason == src.end_reason and summary.recording
    _check_recording(tmp_path / "rec", 40)


def test_ctrl_c_keeps_a_valid_recording(tmp_path):
    src = FakeLive(1000, size=(240, 320))
    session = _session(src, CLEAN, tmp_path / "rec")
    with pytest.raises(KeyboardInterrupt):
        try:
            for r in session:
                if r.index >= 25:
                    raise KeyboardInterrupt
        finally:
            summary = session.close()
    assert summary.recording and summary.frames_captured >= 26
    _check_recording(tmp_path / "rec", summary.frames_captured)


def test_recorder_refuses_to_overwrite(tmp_path):
    (tmp_path / "live.mp4").write_bytes(b"x")
    with pytest.raises(FormcheckError, match="exists already"):
        SessionRecorder(tmp_path)


# --------------------------------------------------------------------------- command line


def test_cli_live_bad_input_is_one_line(tmp_path, capsys):
    from formcheck.cli.app import main

    assert main(["live", "--headless"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "formcheck: error: give exactly one of --camera, --source or --url"]
    assert main(["live", "--source", str(tmp_path / "none.mp4"), "--headless"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("formcheck: error: no such file")
    assert main(["live", "--camera", "97", "--headless"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "formcheck: error: cannot open camera 97 (not connected, or in use)"]
    if sys.platform.startswith("linux"):
        with pytest.MonkeyPatch.context() as mp:
            mp.delenv("DISPLAY", raising=False)
            mp.delenv("WAYLAND_DISPLAY", raising=False)
            assert main(["live", "--source", str(tmp_path / "none.mp4")]) == 2
        assert capsys.readouterr().err.strip().splitlines() == [
            "formcheck: error: no display for the overlay window (use --headless)"]
    # nothing listens on port 9 of this machine: refused at once, before the model loads
    assert main(["live", "--url", "rtsp://127.0.0.1:9/cam", "--headless"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("formcheck: error: cannot open stream rtsp://127.0.0.1:9/cam")


# --------------------------------------------------------------------------- with the pose model


@pytest.fixture(scope="module")
def live_clips(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("liveclips")
    return {name: (render_clip(spec, out / f"{name}.mp4"), out / f"{name}.mp4")[1]
            for name, spec in (("stepped", STEPPED), ("clean", CLEAN))}


def _play(path: Path, cost_s: float):
    """Play a clip as a live source on a simulated clock: each frame costs ``cost_s``."""
    from formcheck.live.session import start_session

    session = start_session(PacedFileSource(path, SimulatedClock(cost_s)))
    return session.run()


@pytest.mark.slow
def test_model_cue_fires_within_3_s_of_the_head_dropping_forward(live_clips):
    # 50 ms a frame: slower than 30 fps, so about a third of the frames are dropped.
    summary = _play(live_clips["stepped"], 0.05)
    assert 0.2 < summary.dropped_fraction < 0.45
    assert summary.cues, "no cue"
    first = summary.cues[0]
    assert first.code == "forward_head" and first.phrase == "head up, run tall"
    assert STEP_AT < first.time_s <= STEP_AT + 3.0


@pytest.mark.slow
def test_model_clean_runner_gets_no_cue(live_clips):
    summary = _play(live_clips["clean"], 0.05)
    assert summary.steps >= 20  # the rhythm was found: silence is not blindness
    assert summary.cues == []


def _formcheck(*args: str, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return [sys.executable, "-m", "formcheck", *args], env


@pytest.mark.slow
def test_cli_headless_prints_one_line_per_cue(live_clips):
    """Every frame processed (--no-pacing), so the result does not depend on how busy the
    machine is: the head drops forward at 5 s, the cue line follows within 3 s."""
    cmd, env = _formcheck("live", "--source", str(live_clips["stepped"]), "--headless", "--no-pacing")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines, r.stderr
    t, unit, code, phrase = lines[0].split(None, 3)
    assert (unit, code, phrase) == ("s", "forward_head", "head up, run tall")
    assert STEP_AT < float(t) <= STEP_AT + 3.0
    assert "end of clip" in r.stderr and "(0% dropped)" in r.stderr


@pytest.mark.slow
def test_cli_ctrl_c_saves_a_recording_that_analyses_in_full(live_clips, tmp_path):
    cmd, env = _formcheck("live", "--source", str(live_clips["stepped"]), "--headless",
                          "--record", str(tmp_path / "rec"))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    part = tmp_path / "rec" / ".live.mp4.part"
    deadline = time.monotonic() + 120
    while not part.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)  # the model is loading
    time.sleep(4.0)  # about 4 s of the 9 s clip played
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "recording saved" in err
    info = probe(tmp_path / "rec" / "live.mp4")
    assert 3.0 * 30 < info.frames < STEPPED.n_frames  # cut short, but valid
    assert not part.exists()
    # ... and it analyses in full like any clip: every captured frame is in it
    cmd, env = _formcheck("analyze", str(tmp_path / "rec" / "live.mp4"), "-o", str(tmp_path / "an"),
                          "--no-video", "--no-report", "-q")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "an" / "summary.json").read_text())
    assert summary["view"] == "side" and summary["steps"] >= 0.8 * info.frames / 30 * 172 / 60


# --------------------------------------------------------------------------- overlay and sound


def test_overlay_colours_the_ear_shoulder_hip_line_by_state():
    from formcheck.live.cues import Cue
    from formcheck.live.overlay import LINE_BGR, draw

    pose = truth_pose(CLEAN)
    sample = pose(None, 0.0)
    pipe = LivePipeline(pose)
    res = [pipe.process(_Frame(i, i / 30, (CLEAN.height, CLEAN.width))) for i in range(30)][-1]
    rgb = np.zeros((CLEAN.height, CLEAN.width, 3), np.uint8)
    ear, hip = sample.xy[8], sample.xy[24]
    mid = ((ear + hip) / 2).round().astype(int)  # on the ear-shoulder-hip chain (near side)
    for state in ("ok", "warn", "fault"):
        res.line = state
        img = draw(rgb, res, None)
        assert img.shape == rgb.shape
        near = img[mid[1] - 4: mid[1] + 5, mid[0] - 4: mid[0] + 5].reshape(-1, 3)
        assert (np.abs(near.astype(int) - LINE_BGR[state]).sum(axis=1) < 30).any(), state
    cue = Cue(1.0, "forward_head", "head up, run tall", "cva_deg", 60.0, 72.0)
    with_cue = draw(rgb, res, cue)
    top = with_cue[: CLEAN.height // 3]
    assert (np.abs(top.astype(int) - (60, 220, 255)).sum(axis=2) < 30).sum() > 50  # the cue text


def test_speaker_without_speech_rings_the_bell(monkeypatch, capsys):
    from formcheck.live import overlay

    monkeypatch.setattr(overlay.shutil, "which", lambda name: None)
    sp = overlay.Speaker()
    sp.say("head up, run tall")
    sp.close()
    assert capsys.readouterr().err == "\a"


@pytest.mark.slow
@pytest.mark.realclips
def test_real_treadmill_clip_cues_the_forward_head_the_report_finds():
    """The cleanest real treadmill clip (a severe forward head offline: median CVA proxy
    about 53 deg): played frame by frame, the first cue is the forward head."""
    from formcheck.live.session import start_session
    from tests.conftest import real_clip

    clip = real_clip("treadmill_side_male_garage_portrait_01.mp4")
    summary = start_session(FileSource(clip)).run()
    assert summary.steps >= 25  # 12 s at about 170 steps/min
    assert summary.cues and summary.cues[0].code == "forward_head"


# --------------------------------------------------------------------------- never silent


def _run_pose(pose, seconds: float, fps: float = 30.0, every: int = 1, shape=(240, 320)):
    pipe = LivePipeline(pose)
    n = int(seconds * fps)
    return [pipe.process(_Frame(i, i / fps, shape)) for i in range(0, n, every)]


def _scaled(pose, f: float):
    """A pose shrunk by ``f`` about the image origin (a runner far away)."""
    return lambda rgb, t: (lambda s: PoseSample(s.xy * f, s.visibility))(pose(rgb, t))


def _standing(spec: RunnerSpec):
    """The runner frozen in its first frame (no bounce, no rhythm)."""
    pose = truth_pose(spec)
    return lambda rgb, t: pose(rgb, 0.0)


def _front(spec: RunnerSpec):
    pose = truth_pose(spec)

    def front(rgb, t):
        s = pose(rgb, t)
        xy = s.xy.copy()
        for left, right, half in ((11, 12, 30), (23, 24, 30), (7, 8, 12)):
            mid = (xy[left, 0] + xy[right, 0]) / 2
            xy[left, 0], xy[right, 0] = mid + half, mid - half
        xy[0, 0] = (xy[7, 0] + xy[8, 0]) / 2
        return PoseSample(xy, s.visibility)

    return front


LONG_CLEAN = replace(CLEAN, duration_s=12.0)


@pytest.mark.parametrize(("name", "pose", "every", "reason"), [
    ("nobody", lambda rgb, t: PoseSample.missing(), 1, "no runner in view"),
    ("front", _front(LONG_CLEAN), 1, "not a side view"),
    # no step found, and the runner is small (shoulders to hips 10 px): that is what is
    # said, before the rhythm (frames too slow for the step detector are said at once and
    # all along: tests/test_live_slow.py)
    ("tiny", _scaled(_standing(LONG_CLEAN), 0.15), 1, "runner too small"),
    ("standing", _standing(LONG_CLEAN), 1, "no steady rhythm"),
])
def test_no_step_for_5_s_says_why_and_keeps_saying_it(name, pose, every, reason):
    from formcheck.live.pipeline import NO_STEP_S

    res = _run_pose(pose, 12.0, every=every)
    assert not any(r.new_steps for r in res), name
    # before 5 s: no reason yet; from 5 s on, every frame's status gives it
    assert not any("no steps for" in r.status for r in res if r.time_s < NO_STEP_S - 0.2)
    late = [r for r in res if r.time_s >= NO_STEP_S + 0.2]
    assert late and all(reason in r.status for r in late), {r.status for r in late}
    # the notice (headless line) comes at 5 s and again every 5 s
    said = [r.time_s for r in res if r.notice]
    assert said and all(reason in r.notice for r in res if r.notice)
    assert abs(said[0] - NO_STEP_S) < 0.2 and len(said) == 2 and 4.8 < said[1] - said[0] < 5.3


def test_the_reason_stops_when_steps_come():
    """Nobody for 7 s, then the runner: the notice stops and steps are counted."""
    nobody, runner = PoseSample.missing(), truth_pose(LONG_CLEAN)
    res = _run_pose(lambda rgb, t: nobody if t < 7.0 else runner(rgb, t - 7.0), 19.0)
    assert any("no runner in view" in r.status for r in res if 5.5 < r.time_s < 7.0)
    first = next(r.time_s for r in res if r.new_steps)
    assert first < 7.0 + 4.0  # the rhythm is found within about 3 s of history
    assert not any(r.notice for r in res if r.time_s > first)
    assert not any("no steps" in r.status for r in res if r.time_s > first + 1)


@pytest.mark.slow
def test_cli_headless_says_why_there_are_no_steps(tmp_path):
    """An empty scene: from 5 s on, a no_steps line every 5 s says why (11 s: two lines)."""
    clip = write_clip(tmp_path / "empty.mp4", [np.full((240, 320, 3), 90 + (i % 2), np.uint8)
                                               for i in range(11 * 30)])
    cmd, env = _formcheck("live", "--source", str(clip), "--headless", "--no-pacing")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    lines = [ln.split(None, 3) for ln in r.stdout.splitlines()]
    assert [(u, code) for _, u, code, _ in lines] == [("s", "no_steps")] * 2, r.stdout
    assert all(why.startswith("no runner in view") for *_, why in lines)
    assert [round(float(t)) for t, *_ in lines] == [5, 10]
