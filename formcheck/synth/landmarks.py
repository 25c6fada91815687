"""The synthetic runner's joints as a :class:`PoseSeries`, without rendering or a pose model.

:func:`pose_series` places MediaPipe's 33 landmarks on the drawn joints of
:func:`formcheck.synth.runner.simulate` (a side view: left and right shoulders, hips and
ears project onto one point) and can add the faults the pose model shows on real and
rendered side views, so step and timing logic can be tested over a whole grid of
runners in milliseconds:

- ``hip_asym``: the hip point dips deeper on every other step (the model's hip estimate
  shifts with which leg is near the camera). Added as a stride-frequency term
  ``hip_asym * A/2 * cos(pi * f_step * t)``, with ``A`` the true oscillation.
- ``ankle_swap``: the model labels the far ankle as the near one for part of every
  stride (seen on rendered side views: the signed left-right gap jumps by more than a
  foot length once per stride). Modelled as swapped left/right ankle labels while the
  near leg's stride phase is in ``[0.45, 0.70)``.
- ``noise_px``: independent Gaussian jitter on every landmark coordinate.

Slow motion: a clip of real cadence ``C`` filmed at ``F * k`` fps and shown at ``F`` fps
is, frame for frame, the runner of cadence ``C / k`` at ``F`` fps; build it with
``replace(spec, cadence_spm=C / k)`` (see :func:`slow_motion_spec`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from formcheck.model.pose import PoseSeries
from formcheck.model.results import VideoMeta
from formcheck.model.skeleton import BLAZEPOSE
from formcheck.synth.runner import Kinematics, RunnerSpec, simulate


def slow_motion_spec(spec: RunnerSpec, factor: float) -> RunnerSpec:
    """The clip of ``spec``'s runner shown ``factor`` times slower than real time.

    Frame ``i`` is shown at ``i / spec.fps`` but shows the runner at ``i / (spec.fps * factor)``
    of real time, so the playback cadence is ``spec.cadence_spm / factor``. The clip keeps
    ``spec.duration_s`` of playback time.
    """
    return replace(spec, cadence_spm=spec.cadence_spm / factor)


def pose_series(spec: RunnerSpec, kin: Kinematics | None = None, *, hip_asym: float = 0.0,
                ankle_swap: bool = False, noise_px: float = 0.0, seed: int = 0) -> PoseSeries:
    """MediaPipe-style landmarks (pixels, y down) of the synthetic runner; see the module doc."""
    kin = kin or simulate(spec)
    j = kin.joints
    n = kin.n
    sk = BLAZEPOSE  # the synthetic runner imitates MediaPipe Pose's points
    xy = np.full((n, sk.n, 2), np.nan, np.float64)
    near, far = ("right", "left") if spec.facing == "right" else ("left", "right")
    hip = j["hip"].copy()
    if hip_asym:
        amp = spec.vertical_oscillation_cm / spec.cm_per_px
        f_step = spec.cadence_spm / 60.0
        hip[:, 1] += hip_asym * 0.5 * amp * np.cos(np.pi * f_step * kin.t)
    put = {
        "nose": j["nose"], "left_ear": j["ear"], "right_ear": j["ear"],
        "left_shoulder": j["shoulder"], "right_shoulder": j["shoulder"],
        "left_hip": hip, "right_hip": hip,
        f"{near}_elbow": j["elbow_near"], f"{far}_elbow": j["elbow_far"],
        f"{near}_wrist": j["wrist_near"], f"{far}_wrist": j["wrist_far"],
        f"{near}_knee": j["knee_near"], f"{far}_knee": j["knee_far"],
        f"{near}_ankle": j["ankle_near"], f"{far}_ankle": j["ankle_far"],
        f"{near}_heel": j["heel_near"], f"{far}_heel": j["heel_far"],
        f"{near}_foot_index": j["toe_near"], f"{far}_foot_index": j["toe_far"],
    }
    for eye in ("left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
                "right_eye_outer"):
        put[eye] = j["eye"]
    for mouth in ("mouth_left", "mouth_right"):
        put[mouth] = 0.5 * (j["nose"] + j["ear"])
    for name, p in put.items():
        xy[:, sk.index(name)] = p
    if ankle_swap:
        phase = np.mod(kin.t * spec.cadence_spm / 120.0, 1.0)
        swap = (phase >= 0.45) & (phase < 0.70)
        for a, b in (("left_ankle", "right_ankle"), ("left_heel", "right_heel"),
                     ("left_foot_index", "right_foot_index")):
            ia, ib = sk.index(a), sk.index(b)
            xa = xy[swap, ia].copy()
            xy[swap, ia] = xy[swap, ib]
            xy[swap, ib] = xa
    if noise_px:
        xy += np.random.default_rng(seed).normal(0.0, noise_px, xy.shape)
    video = VideoMeta(f"synthetic:{spec.cadence_spm:g}spm@{spec.fps:g}fps", spec.fps, n,
                      spec.width, spec.height)
    vis = np.where(np.isfinite(xy[..., 0]), 0.99, 0.0).astype(np.float32)
    z = np.zeros((n, sk.n), np.float32)
    world = np.full((n, sk.n, 3), np.nan, np.float32)
    return PoseSeries(kin.t.astype(np.float64), xy.astype(np.float32), z, vis, world, video,
                      {"method": "synthetic"}, skeleton=sk)


@dataclass(frozen=True)
class CadenceChange:
    """A cadence that changes within a clip: ``start_spm`` until ``t0_s``, then linearly to
    ``end_spm`` at ``t1_s`` (``t1_s == t0_s``: an abrupt change), ``end_spm`` after.

    The runner's motion is the constant-cadence runner's at a warped time: its step
    phase advances by ``cadence(t) / 60`` steps per second, so each step is a whole
    step of the runner model, only shorter or longer (:func:`pose_series_changing`).
    """

    start_spm: float
    end_spm: float
    t0_s: float
    t1_s: float

    def __post_init__(self) -> None:
        if not (self.start_spm > 0 and self.end_spm > 0 and 0 <= self.t0_s <= self.t1_s):
            raise ValueError("cadences must be positive and 0 <= t0_s <= t1_s")

    def cadence(self, t: np.ndarray) -> np.ndarray:
        """Cadence (steps/min) at times ``t`` (s)."""
        t = np.asarray(t, dtype=np.float64)
        if self.t1_s == self.t0_s:
            return np.where(t < self.t0_s, self.start_spm, self.end_spm)
        u = np.clip((t - self.t0_s) / (self.t1_s - self.t0_s), 0.0, 1.0)
        return self.start_spm + u * (self.end_spm - self.start_spm)

    def steps(self, t: np.ndarray) -> np.ndarray:
        """Steps taken from 0 to ``t`` (the integral of the cadence / 60), exactly."""
        t = np.asarray(t, dtype=np.float64)
        a = np.minimum(t, self.t0_s)
        ramp = np.clip(t, self.t0_s, self.t1_s) - self.t0_s
        after = np.maximum(t - self.t1_s, 0.0)
        mid = 0.5 * (self.start_spm + self.cadence(self.t0_s + ramp)) * ramp
        return (self.start_spm * a + mid + self.end_spm * after) / 60.0

    def mid_stances(self, t_end: float) -> np.ndarray:
        """True mid-stance times (lowest hip) in ``[0, t_end]``: where the step phase of the
        runner model passes its mid-stance (:func:`formcheck.synth.runner.simulate`)."""
        from formcheck.synth.runner import _MIDSTANCE

        grid = np.linspace(0.0, t_end, int(t_end * 2000) + 2)
        phase = self.steps(grid)
        first = 2.0 * _MIDSTANCE  # the step phase of mid-stance
        k = np.arange(np.ceil(phase[0] - first), np.floor(phase[-1] - first) + 1)
        return np.interp(k + first, phase, grid)


def pose_series_changing(spec: RunnerSpec, change: CadenceChange, **faults: float | bool | int) -> PoseSeries:
    """:func:`pose_series` of ``spec``'s runner with the cadence of ``change`` (``spec``'s
    own cadence is not used). Frame ``i`` shows the runner of cadence ``start_spm`` at the
    time ``steps(i / fps) * 60 / start_spm``; the series keeps the frame times ``i / fps``.
    ``faults`` go to :func:`pose_series` (their stride terms follow the warped phase)."""
    base = replace(spec, cadence_spm=change.start_spm)
    t = np.arange(base.n_frames) / base.fps
    warped = change.steps(t) * 60.0 / change.start_spm
    ps = pose_series(base, simulate(base, times=warped), **faults)  # type: ignore[arg-type]
    ps.t = t
    ps.video = ps.video.replace(path=f"synthetic:{change.start_spm:g}->{change.end_spm:g}spm@{spec.fps:g}fps")
    return ps
