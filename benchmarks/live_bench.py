"""Live coaching benchmark: capture-to-cue latency and dropped frames at 30 fps.

A synthetic running clip (formcheck's own generator, rendered into benchmarks/.cache)
is played as a live source at its real speed on the wall clock, exactly as
``formcheck live --source clip.mp4 --headless`` plays it: frame ``i`` becomes
available at ``start + i / 30`` s, and a frame that arrives while the pipeline is still
busy replaces the one waiting (it is dropped). For every processed frame:

* latency = the moment its result (pose, metrics, step, fault states, cue decision)
  is ready minus the moment the frame became available (its capture time);
* pose = the time spent in the landmarker alone.

A real camera adds its own exposure, driver and transfer delay before "capture" (not
measured here). Results go into a "Live coaching" section of benchmarks/results.md.

Usage:
  python benchmarks/live_bench.py              # 640x480 and 1280x720, 20 s each
  python benchmarks/live_bench.py --quick      # 10 s, 640x480 only
  python benchmarks/live_bench.py --slow-machine   # only the slow-machine table, printed

The slow-machine table (:func:`slow_machine_rows`, :func:`slow_machine_markdown`) plays
rendered runners through the replay harness on the simulated clock at fixed processing
rates (``cost_s = 1 / rate``: the drops of a machine that processes that many frames a
second, the same on every run) and sets the live steps and forward-head cue beside the
offline analysis, with what the status line says.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "benchmarks" / ".cache"
RESULTS = ROOT / "benchmarks" / "results.md"
SECTION = "## Live coaching"

from benchmarks.common import cpu_model  # noqa: E402


def clip(width: int, height: int, duration: float) -> Path:
    from formcheck.synth.render import render_clip
    from formcheck.synth.runner import RunnerSpec

    path = CACHE / f"live_{width}x{height}_{duration:g}s.mp4"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        spec = RunnerSpec(width=width, height=height, runner_height_px=0.8 * height, fps=30.0,
                          duration_s=duration, head_forward_deg=2.0, head_forward_step_deg=26.0,
                          head_forward_step_s=duration / 2, seed=4)
        render_clip(spec, path)
    return path


def run(path: Path, record: bool) -> dict:
    from formcheck.io.sources import PacedFileSource
    from formcheck.live.session import start_session

    with tempfile.TemporaryDirectory() as tmp:
        session = start_session(PacedFileSource(path), record=Path(tmp) / "rec" if record else None)
        pose = session.pipeline.pose
        pose_ms: list[float] = []
        cpu_ms: list[float] = []

        def timed(rgb, t):
            t0, c0 = time.perf_counter(), time.process_time()
            out = pose(rgb, t)
            pose_ms.append(1000 * (time.perf_counter() - t0))
            cpu_ms.append(1000 * (time.process_time() - c0))
            return out

        session.pipeline.pose = timed
        load0 = os.getloadavg()[0]
        summary = session.run()
        load1 = os.getloadavg()[0]
    lat = np.array(session.latencies) * 1000
    first_cue = summary.cues[0].time_s if summary.cues else None
    return {"clip": path.name, "record": record, "captured": summary.frames_captured,
            "processed": summary.frames_processed, "dropped": summary.dropped_fraction,
            "lat_p50": float(np.percentile(lat, 50)), "lat_p95": float(np.percentile(lat, 95)),
            "pose_p50": float(np.percentile(pose_ms, 50)), "pose_p95": float(np.percentile(pose_ms, 95)),
            "pose_cpu": float(np.median(cpu_ms)),
            "load": (load0 + load1) / 2, "first_cue": first_cue, "step_at": None}


#: The slow-machine table's runners: name -> RunnerSpec fields (320x240, 30 fps, 20 s,
#: upright for 10 s, then the head 35 deg forward).
SLOW_CLIPS: dict[str, dict] = {
    "slow_170spm": dict(cadence_spm=170, facing="right"),
    "slow_200spm": dict(cadence_spm=200, facing="left", seed=5),
}
SLOW_RATES = (30.0, 15.0, 12.0, 10.0, 8.0, 6.0, 5.0)


def _slow_clip(name: str) -> Path:
    from formcheck.synth.render import render_clip
    from formcheck.synth.runner import RunnerSpec

    path = CACHE / f"{name}.mp4"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        render_clip(RunnerSpec(duration_s=20.0, width=320, height=240, runner_height_px=190, fps=30,
                               head_forward_deg=0.0, head_forward_step_s=10.0,
                               head_forward_step_deg=35.0, **SLOW_CLIPS[name]), path)
    return path


def slow_machine_rows(rates: tuple[float, ...] = SLOW_RATES,
                      clips: tuple[str, ...] = tuple(SLOW_CLIPS)) -> list[dict]:
    """One row per (clip, processing rate): live steps against offline, the first
    forward-head cue against the offline change point, and the status line (at 2 s and at
    the end) and the times of the headless notices. Runs the pose model (about 10 s of a
    2-core machine per row, and one offline analysis per clip)."""
    from formcheck.live.replay import replay_live, replay_offline

    rows = []
    for name in clips:
        path = _slow_clip(name)
        off = replay_offline(path)
        change = off.change_points[0] if off.change_points else None
        for rate in rates:
            notices: list[float] = []
            live = replay_live(path, cost_s=1.0 / rate,
                               on_result=lambda r, n=notices: n.append(r.time_s) if r.notice else None)
            cue = live.first_cue("forward_head")
            cue_s = None if math.isnan(cue) else round(cue, 2)
            rows.append({
                "clip": name, "cadence_spm": SLOW_CLIPS[name]["cadence_spm"], "rate": rate,
                "samples_per_step": round(rate * 60.0 / SLOW_CLIPS[name]["cadence_spm"], 2),
                "processed": live.summary.frames_processed, "live_steps": live.n_steps,
                "offline_steps": off.n_steps,
                "change_s": None if change is None else round(change, 2), "cue_s": cue_s,
                "cue_delay_s": None if cue_s is None or change is None else round(cue_s - change, 2),
                "status_2s": live.status_at(2.0), "status_end": live.statuses[-1] if live.statuses else "",
                "notices_s": [round(t, 1) for t in notices],
            })
    return rows


def slow_machine_markdown(rows: list[dict]) -> str:
    """The slow-machine table as markdown (see :func:`slow_machine_rows`)."""
    from formcheck.live.pipeline import MIN_STEP_FPS

    lines = [
        "### Live mode on a slow machine",
        "",
        "Rendered runners (320x240, 30 fps, 20 s, the head 35 deg forward from 10 s) replayed on the "
        "simulated clock at a fixed processing rate (`cost_s = 1 / rate`), against the offline "
        f"analysis of the same clip. The live mode needs {MIN_STEP_FPS:g} processed frames/s (three "
        "samples of the bounce per step at 200 steps/min); below that the status says so and no "
        "steps or cues are given.",
        "",
        "| runner | frames/s processed | samples per step | live / offline steps | offline change | "
        "forward-head cue (delay) | status at 2 s | status at the end | notices at |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cue = "none" if r["cue_s"] is None else f"{r['cue_s']:.1f} s (+{r['cue_delay_s']:.1f} s)"
        change = "none" if r["change_s"] is None else f"{r['change_s']:.1f} s"
        notices = ", ".join(f"{t:g}" for t in r["notices_s"]) or "-"
        lines.append(
            f"| {r['cadence_spm']} steps/min | {r['rate']:g} ({r['processed']} frames) | "
            f"{r['samples_per_step']:.1f} | {r['live_steps']} / {r['offline_steps']} | {change} | {cue} | "
            f"{r['status_2s']} | {r['status_end']} | {notices} |")
    return "\n".join(lines) + "\n"


def write(rows: list[dict]) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        SECTION, "",
        f"Measured {now} on {cpu_model()}, {os.cpu_count()} cores (shared with other jobs: "
        f"the 1-minute load average is in the table), Python {platform.python_version()}. "
        "Regenerate with `python benchmarks/live_bench.py`.",
        "",
        "A synthetic clip played at its real speed (30 fps) on the wall clock, as "
        "`formcheck live --source clip.mp4 --headless` plays it; latency = from the moment a "
        "frame is available to the moment its result and cue decision are ready.",
        "",
        "| clip | recording | frames | processed | dropped | latency p50 | latency p95 | pose wall p50 / p95 | pose CPU p50 (process) | load avg | first cue (head forward at) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cue = f"{r['first_cue']:.1f} s" if r["first_cue"] is not None else "none"
        lines.append(
            f"| {r['clip']} | {'yes' if r['record'] else 'no'} | {r['captured']} | {r['processed']} | "
            f"**{100 * r['dropped']:.0f}%** | {r['lat_p50']:.0f} ms | **{r['lat_p95']:.0f} ms** | "
            f"{r['pose_p50']:.0f} / {r['pose_p95']:.0f} ms | {r['pose_cpu']:.0f} ms | {r['load']:.1f} | "
            f"{cue} ({r['step_at']:g} s) |")
    lines.append("")
    ok = [r for r in rows if r["lat_p95"] < 150 and r["dropped"] < 0.05]
    base = next((r for r in rows if not r["record"]), rows[0])
    lines += [
        f"Targets (issue 13): p95 latency under 150 ms and under 5% of frames dropped at 30 fps: "
        f"reached in {len(ok)} of {len(rows)} runs.",
        "",
        "What limits it:",
        f"- The pose model on every processed frame. It takes {base['pose_cpu']:.0f} ms of CPU per "
        f"frame ({base['clip']}; the process's CPU time during the call, which also counts the "
        f"decoder's and, with recording, the encoder's threads), so one otherwise idle core could "
        f"process about {1000 / max(base['pose_cpu'], 1e-6):.0f} frames/s. This machine was shared: with "
        f"a load average of {base['load']:.0f} on {os.cpu_count()} cores the loop gets a fraction of a "
        f"core, a pose call takes {base['pose_p50']:.0f} ms (p50) / {base['pose_p95']:.0f} ms (p95) of "
        "wall time, and the source drops what arrives meanwhile (by design: cues never fall behind).",
        "- Latency = the wait of a frame in the one-frame slot (up to one pose call) + the pose call "
        "+ the causal pipeline (a few ms). Its p95 follows the slowest pose calls.",
        "- Recording encodes every captured frame (30 fps, x264 ultrafast, one thread) beside the "
        "model: on 2 busy cores it takes CPU from it, so more frames are dropped.",
        "- Steps are found from the hip bounce, which needs three processed frames per step at 200 "
        "steps/min (10 frames/s); below that the status line and the headless output say the machine "
        "is too slow for live cues, and no steps or cues are given (`--slow-machine` prints the "
        "table behind the limit).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--slow-machine", action="store_true",
                   help="print only the slow-machine table (results.md is left alone)")
    args = p.parse_args()
    if args.slow_machine:
        print(slow_machine_markdown(slow_machine_rows()))
        return 0
    duration = 10.0 if args.quick else 20.0
    sizes = [(640, 480)] if args.quick else [(640, 480), (1280, 720)]
    rows = []
    for w, h in sizes:
        path = clip(w, h, duration)
        for record in (False, True):
            r = run(path, record)
            r["step_at"] = duration / 2
            rows.append(r)
            print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}, flush=True)
    section = write(rows)
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if SECTION in text:
        text = re.sub(rf"{re.escape(SECTION)}\n.*?(?=\n## |\Z)", section.rstrip("\n") + "\n", text,
                      flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
