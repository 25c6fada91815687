"""formcheck's speed and memory benchmark.

Times, on the same clip in the same run, alternating:
  (a) the naive loop (benchmarks/naive_loop.py: OpenCV read -> RGB -> detect_for_video,
      one thread, the same model),
  (b) ``formcheck analyze`` with its default outputs (tables, report, annotated video),
  (c) ``formcheck analyze --no-video``,
and reports wall time, frames/s, the ratios b/a and c/a (medians of the alternating runs)
and the peak resident memory of the largest process. It also analyses a long synthetic
clip for peak memory, and a batch of clips with 1 and 2 workers.

Every run is a separate process started the way a user starts it. Clips are rendered by
formcheck's own synthetic runner generator into benchmarks/.cache (not committed).

Usage:
  python benchmarks/run.py                    # everything, results -> benchmarks/results.md
  python benchmarks/run.py --quick            # fewer repeats, shorter clips (a smoke run)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
BIN = Path(sys.executable).parent
FORMCHECK = [sys.executable, "-m", "formcheck"]


def render(name: str, **spec) -> Path:
    from formcheck.synth.render import render_clip
    from formcheck.synth.runner import RunnerSpec

    path = CACHE / f"{name}.mp4"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        render_clip(RunnerSpec(**spec), path)
    return path


def measure(cmd: list[str]) -> dict:
    """Run ``cmd``; wall time and the peak RSS of the largest process in its tree."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            procs = [ps, *ps.children(recursive=True)]
            peak = max([peak] + [p.memory_info().rss for p in procs if p.is_running()])
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err.strip()[-400:]}")
    return {"wall_s": wall, "peak_rss_mb": peak / 2**20, "stdout": out}


def frames_of(clip: Path) -> int:
    from formcheck.io.video import probe

    return probe(clip).frames


def compare(clip: Path, repeats: int) -> dict:
    n = frames_of(clip)
    runs: dict[str, list[dict]] = {"naive": [], "analyze": [], "analyze_no_video": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            runs["naive"].append(measure([sys.executable, str(ROOT / "benchmarks" / "naive_loop.py"), str(clip)]))
            runs["analyze"].append(measure([*FORMCHECK, "analyze", str(clip), "--out", f"{tmp}/b{r}", "-q"]))
            runs["analyze_no_video"].append(
                measure([*FORMCHECK, "analyze", str(clip), "--out", f"{tmp}/c{r}", "-q", "--no-video"]))
        timings = json.loads(Path(f"{tmp}/b0/summary.json").read_text()).get("timings_s", {})
    med = {k: statistics.median(x["wall_s"] for x in v) for k, v in runs.items()}
    peak = {k: max(x["peak_rss_mb"] for x in v) for k, v in runs.items()}
    return {
        "clip": clip.name, "frames": n, "repeats": repeats,
        "wall_s": {k: [round(x["wall_s"], 2) for x in v] for k, v in runs.items()},
        "median_s": {k: round(v, 2) for k, v in med.items()},
        "fps": {k: round(n / v, 1) for k, v in med.items()},
        "ratio_analyze": round(med["analyze"] / med["naive"], 3),
        "ratio_no_video": round(med["analyze_no_video"] / med["naive"], 3),
        "peak_rss_mb": {k: round(v) for k, v in peak.items()},
        "stage_timings_s": timings,
    }


def long_clip_memory(clip: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        r = measure([*FORMCHECK, "analyze", str(clip), "--out", f"{tmp}/long", "-q"])
    return {"clip": clip.name, "frames": frames_of(clip), "wall_s": round(r["wall_s"], 1),
            "peak_rss_mb": round(r["peak_rss_mb"])}


def batch(clips: list[Path], workers: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for i, c in enumerate(clips):
            shutil.copy(c, folder / f"{i:02d}_{c.name}")
        r = measure([*FORMCHECK, "batch", str(folder), "--out", f"{tmp}/out", "--workers", str(workers)])
    return {"clips": len(clips), "workers": workers, "wall_s": round(r["wall_s"], 1),
            "peak_rss_mb_largest_process": round(r["peak_rss_mb"])}


def machine() -> dict:
    import mediapipe
    from common import cpu_model

    cpu = cpu_model()

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "mediapipe": mediapipe.__version__,
            "platform": platform.platform()}


def to_markdown(res: dict) -> str:
    m = res["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Measured {res['date']} on {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, "
        f"Python {m['python']}, mediapipe {m['mediapipe']} ({m['platform']}). "
        "Regenerate with `make bench` (or `python benchmarks/run.py`).",
        "",
        "## formcheck vs the naive loop (same clip, alternating runs, medians)",
        "",
        "| clip | frames | naive loop | analyze (all outputs) | analyze --no-video | b/a | c/a | peak RSS naive / b / c (MB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in res["compare"]:
        md, fps, pk = c["median_s"], c["fps"], c["peak_rss_mb"]
        lines.append(
            f"| {c['clip']} | {c['frames']} | {md['naive']} s ({fps['naive']} fps) | "
            f"{md['analyze']} s ({fps['analyze']} fps) | {md['analyze_no_video']} s "
            f"({fps['analyze_no_video']} fps) | **{c['ratio_analyze']}** | **{c['ratio_no_video']}** | "
            f"{pk['naive']} / {pk['analyze']} / {pk['analyze_no_video']} |")
    lines += ["", "All runs (s): " + "; ".join(
        f"{c['clip']}: " + ", ".join(f"{k} {v}" for k, v in c["wall_s"].items()) for c in res["compare"]),
        "", "Stage timings inside formcheck (first run, s): " + "; ".join(
            f"{c['clip']}: {c['stage_timings_s']}" for c in res["compare"])]
    if res.get("long"):
        lo = res["long"]
        lines += ["", "## Memory on a long clip", "",
                  f"`{lo['clip']}` ({lo['frames']} frames): analyze with all outputs took {lo['wall_s']} s, "
                  f"peak RSS **{lo['peak_rss_mb']} MB**."]
    if res.get("batch"):
        lines += ["", "## Batch", "", "| clips | workers | wall | peak RSS of the largest process |", "|---|---|---|---|"]
        for b in res["batch"]:
            lines.append(f"| {b['clips']} | {b['workers']} | {b['wall_s']} s | {b['peak_rss_mb_largest_process']} MB |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.md")
    ap.add_argument("--skip", nargs="*", default=[], choices=["compare", "long", "batch"])
    args = ap.parse_args()
    quick = args.quick
    repeats = args.repeats or (1 if quick else 3)
    res: dict = {"machine": machine(), "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    dur = 8 if quick else 24
    main_clip = render(f"bench_720p_{dur}s", width=1280, height=720, runner_height_px=560,
                       duration_s=dur, fps=30, facing="right", head_forward_deg=20.0)
    clips = [main_clip]
    real = ROOT.parent / "shared" / "videos" / "outdoor_side_male_grass_barefoot_pace_portrait_02.mp4"
    if real.exists() and not quick:
        clips.append(real)
    if "compare" not in args.skip:
        res["compare"] = [compare(c, repeats) for c in clips]
    if "long" not in args.skip:
        long_dur = 20 if quick else 120
        long_clip = render(f"bench_720p_{long_dur}s", width=1280, height=720, runner_height_px=560,
                           duration_s=long_dur, fps=30, facing="left")
        res["long"] = long_clip_memory(long_clip)
    if "batch" not in args.skip:
        sample = sorted((ROOT / "sample_videos").glob("*.mp4"))
        batch_clips = sample + sample[:1] if not quick else sample[:2]
        res["batch"] = [batch(batch_clips, w) for w in (1, 2)]
    text = to_markdown(res)
    args.out.write_text(text)
    args.out.with_suffix(".json").write_text(json.dumps(res, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
