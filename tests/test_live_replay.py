"""Live against offline on clips the live mode was not developed with (issue 19).

Every clip goes through :mod:`formcheck.live.replay`: played at its real speed on a
simulated clock, each frame charged ``COST_S`` (a machine where the pose model takes
40 ms a frame: none dropped at 24 fps, a sixth at 30 fps, about half at 60 fps), and analysed offline. The rendered runners vary what the issue asks
for: both facings, 140-200 steps/min, a 3-12 cm bounce, 24-60 fps, small to large in
the frame, other colours and backgrounds; three of them drop the head forward by 35 deg
halfway through.

Tolerances come from where the live step detector must differ from the offline one
(:class:`formcheck.live.causal.StepDetector`): a mid-stance is confirmed half a period
after it happened, so the clip's last step is never confirmed, and the edge of the first
window may miss one step at the start: **2 steps**, or 5% of the count where that is
more. The forward-head cue: within 3 s of the offline change point (the issue's
requirement: 4 bad steps at 140-200 steps/min take 1.2-1.7 s, plus up to half a step of
confirmation).

All pose-running tests are ``slow``; the clips are rendered once per session.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from formcheck.live.replay import Comparison, compare
from formcheck.synth.render import render_clip
from formcheck.synth.runner import RunnerSpec
from tests.conftest import SHARED_VIDEOS, real_clip

#: Seconds of processing charged per frame (see the module text).
COST_S = 0.04

#: Step-count tolerance (see the module text): 2 steps, or 5% where that is more.
EDGE_STEPS = 2

CHANGE = dict(head_forward_step_deg=35.0)

#: name -> (spec, time of the head change or None)
CLIPS: dict[str, tuple[RunnerSpec, float | None]] = {
    # the clip: 640x480, 30 fps, 170 steps/min, facing right, upright then 35 deg
    "issue_right_170_30fps": (RunnerSpec(duration_s=20.0, cadence_spm=170, facing="right",
                                         width=640, height=480, fps=30, head_forward_deg=0.0,
                                         head_forward_step_s=10.0, **CHANGE), 10.0),
    "left_140_3cm_24fps_small": (RunnerSpec(duration_s=16.0, cadence_spm=140, facing="left",
                                            width=640, height=480, runner_height_px=150, fps=24,
                                            vertical_oscillation_cm=3.0, seed=3), None),
    "right_200_12cm_60fps_large": (RunnerSpec(duration_s=10.0, cadence_spm=200, facing="right",
                                              width=320, height=240, runner_height_px=216, fps=60,
                                              vertical_oscillation_cm=12.0, seed=4), None),
    "left_200_3cm_30fps_green": (RunnerSpec(duration_s=12.0, cadence_spm=200, facing="left",
                                            width=320, height=240, runner_height_px=190, fps=30,
                                            vertical_oscillation_cm=3.0, head_forward_step_s=6.0,
                                            seed=9, shirt_rgb=(40, 160, 70), shorts_rgb=(20, 20, 20),
                                            skin_rgb=(120, 80, 55), **CHANGE), 6.0),
    "right_170_6cm_24fps_yellow": (RunnerSpec(duration_s=14.0, cadence_spm=170, facing="right",
                                              width=320, height=240, runner_height_px=180, fps=24,
                                              vertical_oscillation_cm=6.0, head_forward_step_s=7.0,
                                              seed=21, shirt_rgb=(230, 200, 40), hair_rgb=(200, 180, 120),
                                              **CHANGE), 7.0),
}

#: Real clips played at their real speed, where offline counts steps. Name -> the
#: stretch (s) compared: on the grass clip the runner speeds up (pace 6:30 -> 2:10 per km,
#: an edit at 17.47 s: about 195 then 235 steps/min), and until offline followed the pace
#: (stretch by stretch, :func:`formcheck.kinematics.steps.detect_steps`) it counted
#: strides after 17.5 s; 0-17 s is kept as the stretch both compared on.
#: Walker: two people, someone doing jumping jacks on a box facing the camera from the
#: start, and a walker in side view crossing right to left from about 2 s to 6.7 s. Offline
#: chooses the walker among all the tracks of the clip (7 steps, 2.16-6.43 s). Live
#: (:class:`formcheck.pose.stream.PoseTracker`, 40 ms a frame): the census at 2.0 s finds
#: the walker while the jumper is tracked, so two poses a frame from then; the walker is
#: found from 2.4 s and followed from 3.0 s with his frames since 2.4 s: 5 steps,
#: 2.82-5.75 s. Before it followed only the first person found (the jumper; 5 "steps", 4
#: of them the jumper's sideways moves). Both edges of the tolerance are used here: the
#: walker's first step is before his first tracked frame, his last is never confirmed.
REAL: dict[str, float] = {"treadmill_side_male_garage_portrait_01.mp4": math.inf,
                          "outdoor_side_male_grass_barefoot_pace_portrait_02.mp4": 17.0,
                          "walk_side_two_people_backlit_01.mp4": math.inf}
#: The fewest offline steps a real clip is compared on (25: enough for a count that is
#: not all edges); the walker crosses the picture in 7 steps, and what is compared there
#: is first whose steps live counts (see :func:`test_live_follows_the_person_offline_chose`).
MIN_OFFLINE_STEPS: dict[str, int] = {"walk_side_two_people_backlit_01.mp4": 7}

#: Real side-view clips where offline finds no step rhythm (it summarises 1 s windows and
#: counts 0 steps): live must not invent one, and must not call the view "not side"
#: (see :func:`test_real_clip_without_a_rhythm_gets_no_steps_and_a_side_view`).
#: - city: a handheld camera follows a runner who first runs towards it (body-axis yaw
#:   100-115 deg at 0-0.6 s, 110-150 at 0.7-2.3 s, 155-195 from 2.4 s: front, then oblique,
#:   then side); offline's clip mean is 162.5 deg, side. Live, on its 60-frame window, reads
#:   oblique from 0.4 s and side from 3.7 s (measured, 40 ms a frame); with the image head
#:   yaw alone (before issue 19's view fix) it said "not a side view" from 0.4 s to the end.
#: - lab: slowed down about 10x (offline: "~10x slow motion", 18 steps/min of playback,
#:   no rhythm at 43-270 steps/min). Live cannot know a file's playback speed (a camera
#:   is always real time); it says "no steady rhythm". Before issue 19's fixes it counted
#:   13 "steps" (the image head yaw flickered between side and not side, and single
#:   analyses took pose jitter for a rhythm: see ``causal.MIN_RHYTHM_ANALYSES``).
NO_RHYTHM: list[str] = ["outdoor_side_female_city_tracking_portrait_03.mp4",
                        "treadmill_side_male_lab_slowmo_03.mp4"]

#: Real clips that cannot be compared, with what was measured (40 ms a frame).
NOT_COMPARED: dict[str, str] = {
    "treadmill_side_male_with_bystander_occluder_05.mp4": (
        "not real speed all along (real-time running, then a slow-motion ramp) and the "
        "ankles hidden by the bystander (visibility 0.03-0.12: no feet to tell a step from "
        "a stride). Offline counts 9 steps over 2.70-10.48 s with one clip-wide period "
        "(0.85 s), withholds the cadence (69 steps/min of playback: slow motion or strides) "
        "and leaves 3 steps out as posture outliers (hands on the rails). Live follows the "
        "same person as offline (hips at x 700-740 px; the census finds two people and the "
        "tracker moves from the bystander at x 980 to him at 1.5 s) and counts 25: 12 of "
        "0.2-0.26 s over 0.09-2.71 s, where offline counts none, then 13 over 2.71-12.29 s "
        "(2.71-3.55, 3.55-4.26, 4.26-5.16 s as offline's first three). Before the tracker "
        "chose among people it followed the bystander (15 steps). By eye (frames 0-94, "
        "lower body): he runs from the first frame, hands on the rails, and from frame ~26 "
        "a foot strikes every 6-7 frames (0.2-0.23 s): live's 12 short steps are real, and "
        "offline's one period (the slow-motion part's) reads the 4x faster start as no "
        "steps. Neither count is the truth of an edited speed ramp."),
    "front_male_path_pace_portrait_01.mp4": (
        "front view: offline counts 19 steps, live counts steps only in side and oblique "
        "views (and before the view is decided) and says 'not a side view'."),
    "outdoor_side_female_clean_1080p_04.mp4": (
        "3.1 s long: 3 steps offline, 3 live, under the 25 steps the agreement test needs."),
}

#: Real clips where live and offline do not agree yet, with what was measured.
REAL_KNOWN: dict[str, str] = {}

_cache: dict[str, Comparison] = {}


#: The renders of :data:`CLIPS` (see :func:`_rendered`), and the thread that makes them.
_renders: dict[str, Future] = {}
_render_pool: list[ThreadPoolExecutor] = []


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("replay")
    for pool in _render_pool:  # renders not started are dropped; a running one finishes
        pool.shutdown(wait=True, cancel_futures=True)


def _rendered(name: str, clip_dir: Path) -> Path:
    """The rendered clip ``name`` of :data:`CLIPS`. The first call starts rendering all
    of them, in the order the tests use them, in a second thread: a render (about one
    core) then runs beside the comparisons, which leave part of CI's second core idle
    where one half of a comparison is shorter than the other. A render depends on its
    spec alone (REPEATABLE_X264); the comparisons beside it are on a simulated clock."""
    if not _renders:
        pool = ThreadPoolExecutor(1, thread_name_prefix="replay-render")
        _render_pool.append(pool)
        for n, (spec, _) in CLIPS.items():
            _renders[n] = pool.submit(render_clip, spec, clip_dir / f"{n}.mp4")
    _renders[name].result()
    return clip_dir / f"{name}.mp4"


def _comparison(name: str, clip_dir: Path) -> Comparison:
    if name not in _cache:
        path = _rendered(name, clip_dir) if name in CLIPS else real_clip(name)
        _cache[name] = _compare(path)
    return _cache[name]


def _compare(path: Path) -> Comparison:
    """``compare(path, cost_s=COST_S)``, with its offline analysis run in a second thread
    while the live replay runs in this one.

    The two halves are independent: the live replay runs on a simulated clock
    (``cost_s`` given, so no measured time enters it) and the offline analysis at
    threads=1, each with its own landmarkers; neither reads what the other does. Run one
    after the other they kept one of CI's two cores idle (each half is about one core);
    at once they take about the longer half's time. ``compare`` is still what builds the
    result: its call of ``replay_offline`` gets the analysis the thread made with the same
    arguments."""
    from unittest import mock

    import formcheck.live.replay as replay

    with ThreadPoolExecutor(1, thread_name_prefix="offline-replay") as pool:
        pending = pool.submit(replay.replay_offline, path)

        def offline(p, model=None, height_cm=None):
            assert (p, model, height_cm) == (path, None, None), (p, model, height_cm)
            return pending.result()

        with mock.patch.object(replay, "replay_offline", offline):
            return compare(path, cost_s=COST_S)  # (leaving the pool waits for the thread)


def _tolerance(offline_steps: int) -> float:
    return max(EDGE_STEPS, 0.05 * offline_steps)


#: Rendered clips where live and offline do not agree yet, with what was measured.
KNOWN: dict[str, str] = {}


@pytest.mark.slow
@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN[n])) if n in KNOWN else n
    for n in CLIPS])
def test_live_steps_agree_with_offline(name, clip_dir):
    c = _comparison(name, clip_dir)
    assert c.offline is not None and c.offline.n_steps >= 30
    assert abs(c.live.n_steps - c.offline.n_steps) <= _tolerance(c.offline.n_steps), c.row()
    # the steps counted have posture values, and the live cadence is the offline one
    durations = [s.t_end_s - s.t_start_s for s in c.live.steps]
    cadence = 60.0 / (sum(durations) / len(durations))
    assert abs(cadence - c.offline.cadence_spm) < 0.03 * c.offline.cadence_spm, c.row()
    assert all(math.isfinite(s.values.get("cva_deg", math.nan)) for s in c.live.steps[1:])


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, (_, t) in CLIPS.items() if t is not None])
def test_forward_head_cue_within_3_s_of_the_offline_change(name, clip_dir):
    c = _comparison(name, clip_dir)
    assert c.offline is not None
    # offline sees the change where it was drawn (within a step or two)
    assert len(c.offline.change_points) == 1 and abs(c.offline.change_points[0] - CLIPS[name][1]) < 0.5
    change = c.offline.change_points[0]
    cue = c.live.first_cue("forward_head")
    assert change < cue <= change + 3.0, c.row()


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n, (_, t) in CLIPS.items() if t is None])
def test_upright_runner_gets_no_forward_head_cue(name, clip_dir):
    c = _comparison(name, clip_dir)
    assert c.live.n_steps >= 20  # the rhythm was found: silence is not blindness
    assert "forward_head" not in [cue.code for cue in c.live.cues]
    assert c.offline is not None and "forward_head" not in c.offline.faults


#: The posture metrics compared step by step: every metric with an error model
#: (:data:`formcheck.assess.norms.ERROR_MODELS`).
POSTURE = ("cva_deg", "head_pitch_deg", "trunk_lean_deg", "shoulder_elevation_torso")
#: Steps a clip needs before the share of its steps within the error is judged.
MIN_PER_STEP = 25
#: Share of the matched steps whose live value must lie within the offline clip's
#: measurement error of offline's value for the same step: live smooths the raw
#: landmarks causally (one-euro) where offline cleans the whole clip, so a step at a
#: tracking jump may differ; measured 100% on every compared clip but the grass
#: clip's shoulder elevation (98%).
PER_STEP_SHARE = 0.9


def _matched_steps(c: Comparison) -> list[tuple[int, int]]:
    """(live step, offline step) pairs: each live step with the offline step whose
    middle is nearest, if within half a step."""
    st = c.offline.step_table
    mid = 0.5 * (st["t_start_s"].to_numpy(float) + st["t_end_s"].to_numpy(float))
    half = 0.5 * float(np.median(st["t_end_s"] - st["t_start_s"]))
    pairs = []
    for i, s in enumerate(c.live.steps):
        j = int(np.argmin(np.abs(mid - 0.5 * (s.t_start_s + s.t_end_s))))
        if abs(mid[j] - 0.5 * (s.t_start_s + s.t_end_s)) < half:
            pairs.append((i, j))
    return pairs


def _assert_posture_agrees(c: Comparison) -> None:
    """Over the steps both count, live's median of each posture metric lies within the
    offline clip's measurement error of offline's median (the issue's requirement); on a
    clip of :data:`MIN_PER_STEP` steps or more, so does each step's value for at least
    :data:`PER_STEP_SHARE` of them."""
    assert c.offline is not None
    pairs = _matched_steps(c)
    assert len(pairs) >= min(c.live.n_steps, c.offline.n_steps) - EDGE_STEPS, c.row()
    st = c.offline.step_table
    for metric in POSTURE:
        err = c.offline.errors[metric]
        live = np.array([c.live.steps[i].values.get(metric, np.nan) for i, _ in pairs], float)
        off = st[metric].to_numpy(float)[[j for _, j in pairs]]
        ok = np.isfinite(live) & np.isfinite(off)
        assert ok.sum() >= 0.8 * len(pairs), (metric, int(ok.sum()), len(pairs))
        d = float(np.median(live[ok]) - np.median(off[ok]))
        assert abs(d) <= err, (metric, d, err, c.row())
        if len(pairs) >= MIN_PER_STEP:
            share = float(np.mean(np.abs(live[ok] - off[ok]) <= err))
            assert share >= PER_STEP_SHARE, (metric, share, err, c.row())


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CLIPS))
def test_live_posture_agrees_with_offline_within_its_error(name, clip_dir):
    _assert_posture_agrees(_comparison(name, clip_dir))


@pytest.mark.slow
@pytest.mark.realclips
@pytest.mark.parametrize("name", list(REAL))
def test_real_clip_live_posture_agrees_with_offline_within_its_error(name, clip_dir):
    """Also the walker: over his 5 live steps the CVA medians differ by 4.6 deg against an
    error of 5.6 (live's first steps of him come from the frames handed over when it
    switched to him, through a fresh smoother)."""
    _assert_posture_agrees(_comparison(name, clip_dir))


@pytest.mark.slow
@pytest.mark.realclips
@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=REAL_KNOWN[n])) if n in REAL_KNOWN else n
    for n in REAL])
def test_real_clip_live_steps_agree_with_offline(name, clip_dir):
    c = _comparison(name, clip_dir)
    assert c.offline is not None
    until = REAL[name]
    live = sum(1 for st in c.live.steps if st.t_end_s <= until)
    off = int((c.offline.step_table["t_end_s"] <= until).sum())
    assert off >= MIN_OFFLINE_STEPS.get(name, 25) and abs(live - off) <= _tolerance(off), (live, off, c.row())


@pytest.mark.slow
@pytest.mark.realclips
def test_live_follows_the_person_offline_chose(clip_dir):
    """Two people in view (see the walker in :data:`REAL`): over offline's steps of the
    walker, live follows the same person (hips near offline's), every live step
    lies within that stretch (give or take one step), and the change of person is said.
    Fails on a live mode that follows the first person found (the jumper, until 5.6 s)."""
    c = _comparison("walk_side_two_people_backlit_01.mp4", clip_dir)
    off = c.offline
    assert off is not None and off.t is not None and off.hips is not None and c.live.hips is not None
    table = off.step_table
    one = float((table["t_end_s"] - table["t_start_s"]).median())
    first, last = float(table["t_start_s"].min()), float(table["t_end_s"].max())
    assert c.live.steps and all(first - one <= s.t_start_s and s.t_end_s <= last + one
                                for s in c.live.steps), [(s.t_start_s, s.t_end_s) for s in c.live.steps]
    idx = np.searchsorted(off.t, c.live.times).clip(0, len(off.t) - 1)
    gap = np.hypot(*(c.live.hips - off.hips[idx]).T)
    during = (c.live.times >= first) & (c.live.times <= last) & np.isfinite(gap)
    assert during.sum() >= 0.5 * ((c.live.times >= first) & (c.live.times <= last)).sum()
    # the same person: the jumper's hips are three torso lengths and more from the walker's;
    # within one person, the smoothing lags a walker of 300 px/s right after missed frames
    # (measured: up to 70 px, half a torso length, at 5.5 and 6.0 s)
    assert np.median(gap[during]) < 0.25 * off.torso_px, (np.median(gap[during]), off.torso_px)
    assert np.mean(gap[during] < 0.5 * off.torso_px) >= 0.9, (np.sort(gap[during]), off.torso_px)
    assert any("people in view" in s or "following the person" in s for s in c.live.statuses)


@pytest.mark.realclips
def test_every_real_clip_is_compared_or_says_why_not():
    clips = sorted(p.name for p in SHARED_VIDEOS.glob("*.mp4"))
    if not clips:
        pytest.skip(f"real clips not available: {SHARED_VIDEOS}")
    listed = [*REAL, *NO_RHYTHM, *NOT_COMPARED]
    assert len(listed) == len(set(listed)) and sorted(listed) == clips


@pytest.mark.slow
@pytest.mark.realclips
@pytest.mark.parametrize("name", NO_RHYTHM)
def test_real_clip_without_a_rhythm_gets_no_steps_and_a_side_view(name, clip_dir):
    """Offline: a side view and no step rhythm (0 steps). Live: at most the edge tolerance
    of steps (a chance rhythm over its 6 s window), and never "not a side view"."""
    c = _comparison(name, clip_dir)
    assert c.offline is not None and c.offline.view == "side" and c.offline.n_steps == 0
    assert c.live.n_steps <= EDGE_STEPS, c.row()
    said = sorted({s for s in c.live.statuses if "not a side view" in s})
    assert not said, said


@pytest.mark.slow
@pytest.mark.realclips
def test_real_grass_clip_whole_clip_count(clip_dir):
    """Over the whole clip too: the runner's pace changes at an edit (17.47 s, about 180
    then 236 steps/min) and the bounce is small at 8.5 s and 13.5-14.8 s (live 60 against
    offline 68 until live also judged a step by its own excursion and took a two-period
    gap for two steps; see :class:`formcheck.live.causal.StepDetector`)."""
    c = _comparison("outdoor_side_male_grass_barefoot_pace_portrait_02.mp4", clip_dir)
    assert c.offline is not None
    assert abs(c.live.n_steps - c.offline.n_steps) <= _tolerance(c.offline.n_steps), c.row()


@pytest.mark.slow
def test_measured_timing_drops_what_this_machine_drops_and_still_agrees(clip_dir):
    """The harness on measured processing time (``cost_s=None``): the drops are this
    machine's, whatever its load; the step count holds to the same tolerance."""
    from formcheck.live.replay import replay_live

    name = "right_170_6cm_24fps_yellow"
    c = _comparison(name, clip_dir)
    for render in _renders.values():  # measured time: no render of ours runs beside it
        render.result()
    live = replay_live(clip_dir / f"{name}.mp4", cost_s=None)
    assert live.summary.frames_processed + live.summary.frames_dropped == live.summary.frames_captured
    assert c.offline is not None
    assert abs(live.n_steps - c.offline.n_steps) <= _tolerance(c.offline.n_steps), (
        live.n_steps, c.offline.n_steps, live.summary.dropped_fraction)


@pytest.mark.slow
def test_web_page_replay_agrees_with_offline(clip_dir):
    """The same clip sent as the web page sends frames (JPEG, one in flight, the camera's
    newest frame each time): the same steps and the same forward-head cue."""
    from formcheck.web.replay import replay_web

    name = "right_170_6cm_24fps_yellow"
    c = _comparison(name, clip_dir)
    web = replay_web(clip_dir / f"{name}.mp4", cost_s=COST_S)
    assert c.offline is not None and web.summary is not None
    assert web.frames_sent == web.summary["frames_processed"]  # one in flight: none dropped there
    assert abs(web.n_steps - c.offline.n_steps) <= _tolerance(c.offline.n_steps), (web.n_steps, c.row())
    change = c.offline.change_points[0]
    assert change < web.first_cue("forward_head") <= change + 3.0, web.cues
