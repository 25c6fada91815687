"""formcheck's speed and memory benchmark.

Times, on the same clip in the same run, alternating:
  (a) the naive loop (benchmarks/naive_loop.py: OpenCV read -> RGB -> detect_for_video,
      one thread, the same model),
  (b) ``formcheck analyze`` with its default outputs (tables, report, annotated video),
  (c) ``formcheck analyze --no-video``,
and reports wall time, frames/s, the ratios b/a and c/a (medians of the alternating runs)
and the peak resident memory of the largest process. With ``--baseline REV`` the same
two analyze runs of an earlier commit (checked out into benchmarks/.cache) alternate with
them, so "before" and "after" come from one run on one machine under one load.

It also times each stage of one analysis on the three sample clips and a 120 s clip
(benchmarks/stages.py: decode, inference with one and with two landmarkers on
pre-decoded frames, the pose pass, selection, cleaning and metrics, tables, report,
annotated video), compares the peak memory of a 2-minute and a 10-minute clip (in
turn, split by phase: benchmarks/phases.py), runs a batch of clips with 1 and 2
workers, and (benchmarks/live_bench.py) replays a clip through live mode as a machine
that processes fewer frames per second would. The machine's load average is recorded
beside every section.

Every run is a separate process started the way a user starts it. Clips are rendered by
formcheck's own synthetic runner generator into benchmarks/.cache (not committed).

Usage:
  python benchmarks/run.py                    # everything, results -> benchmarks/results.md
  python benchmarks/run.py --baseline 39b8338 # ... with "before" runs of that commit
  python benchmarks/run.py --quick            # fewer repeats, shorter clips (a smoke run)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
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
FORMCHECK = [sys.executable, "-m", "formcheck"]
#: Sections of results.md written by other scripts (kept when this one rewrites the file).
FOREIGN_SECTIONS = ("## Live coaching",)


def render(name: str, **spec) -> Path:
    from formcheck.synth.render import render_clip
    from formcheck.synth.runner import RunnerSpec

    path = CACHE / f"{name}.mp4"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        render_clip(RunnerSpec(**spec), path)
    return path


def loop_clip(src: Path, times: int) -> Path:
    """``src`` played ``times`` times in a row, by copying its packets with shifted
    timestamps (no re-encoding: a 10-minute clip in seconds). The runner jumps back to
    the start at each seam; only the length matters for memory."""
    import av

    dst = src.with_name(f"{src.stem}_x{times}.mp4")
    if dst.exists():
        return dst
    tmp = dst.with_suffix(".part.mp4")
    with av.open(str(src)) as inp, av.open(str(tmp), "w") as out:
        istream = inp.streams.video[0]
        ostream = out.add_stream_from_template(istream)
        first = [pk for pk in inp.demux(istream) if pk.pts is not None]
        span = max(pk.pts + (pk.duration or 0) for pk in first) - min(pk.pts for pk in first)
        for k in range(times):
            inp.seek(0)
            for pk in inp.demux(istream):
                if pk.pts is None or pk.dts is None:
                    continue
                pk.pts += k * span
                pk.dts += k * span
                pk.stream = ostream
                out.mux(pk)
    tmp.rename(dst)
    return dst


def load() -> float:
    """The 1-minute load average (runnable processes, averaged)."""
    return round(os.getloadavg()[0], 2)


def measure(cmd: list[str], env: dict[str, str] | None = None, timeline: bool = False) -> dict:
    """Run ``cmd``; wall time and the peak RSS of the largest process in its tree (with
    ``timeline``, also every 50 ms sample as ``(unix time, MB)``)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    ps = psutil.Process(proc.pid)
    peak = 0
    samples: list[tuple[float, float]] = []
    while proc.poll() is None:
        try:
            procs = [ps, *ps.children(recursive=True)]
            now = max([0] + [p.memory_info().rss for p in procs if p.is_running()])
            peak = max(peak, now)
            if timeline:
                samples.append((time.time(), now / 2**20))
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err.strip()[-400:]}")
    return {"wall_s": wall, "peak_rss_mb": peak / 2**20, "stdout": out, "samples": samples}


def frames_of(clip: Path) -> int:
    from formcheck.io.video import probe

    return probe(clip).frames


def baseline_tree(rev: str) -> Path:
    """A checkout of commit ``rev`` (a git worktree in benchmarks/.cache) whose code the
    "before" runs import (PYTHONPATH), with this venv's packages."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], check=True,
                         capture_output=True, text=True).stdout.strip()
    path = CACHE / f"baseline-{sha}"
    if not (path / "formcheck").is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(path), sha],
                       check=True, capture_output=True)
    return path


def compare(clip: Path, repeats: int, baseline: Path | None) -> dict:
    n = frames_of(clip)
    kinds = {"naive": None, "analyze": None, "analyze_no_video": None}
    if baseline is not None:
        kinds |= {"before_analyze": baseline, "before_no_video": baseline}
    runs: dict[str, list[dict]] = {k: [] for k in kinds}
    loads: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeats):
            loads.append(load())
            for kind, tree in kinds.items():
                env = {"PYTHONPATH": str(tree)} if tree is not None else None
                if kind == "naive":
                    cmd = [sys.executable, str(ROOT / "benchmarks" / "naive_loop.py"), str(clip)]
                else:
                    cmd = [*FORMCHECK, "analyze", str(clip), "--out", f"{tmp}/{kind}{r}", "-q"]
                    if kind.endswith("no_video"):
                        cmd.append("--no-video")
                runs[kind].append(measure(cmd, env))
        loads.append(load())
        timings = json.loads(Path(f"{tmp}/analyze0/summary.json").read_text()).get("timings_s", {})
    med = {k: statistics.median(x["wall_s"] for x in v) for k, v in runs.items()}
    peak = {k: max(x["peak_rss_mb"] for x in v) for k, v in runs.items()}
    return {
        "clip": clip.name, "frames": n, "repeats": repeats, "load": loads,
        "wall_s": {k: [round(x["wall_s"], 2) for x in v] for k, v in runs.items()},
        "median_s": {k: round(v, 2) for k, v in med.items()},
        "fps": {k: round(n / v, 1) for k, v in med.items()},
        "ratio": {k: round(v / med["naive"], 3) for k, v in med.items() if k != "naive"},
        "peak_rss_mb": {k: round(v) for k, v in peak.items()},
        "stage_timings_s": timings,
    }


def stages(clip: Path) -> dict:
    """benchmarks/stages.py on ``clip``, in a fresh process."""
    l0 = load()
    out = subprocess.run([sys.executable, "-c", "import json, sys; sys.path.insert(0, 'benchmarks'); "
                          "from stages import profile; from pathlib import Path; "
                          f"print('RESULT' + json.dumps(profile(Path({str(clip)!r}))))"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    row = json.loads(out.split("RESULT", 1)[1])
    row["load"] = [l0, load()]
    return row


#: The phases of one analysis that the memory section splits the peak by (benchmarks/phases.py).
PHASES = (("pose pass", "pose_start", "pose_end"), ("analysis", "pose_end", "analysis_end"),
          ("writers", "analysis_end", None))


def memory(clips: list[Path], rounds: int = 1) -> list[dict]:
    """Peak RSS of ``analyze`` (all outputs) on each clip, ``rounds`` times in turn, and
    the peak within each phase (:data:`PHASES`)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(rounds):
            for clip in clips:
                marks = Path(tmp) / f"{clip.stem}_{k}.marks"
                l0 = load()
                r = measure([sys.executable, str(ROOT / "benchmarks" / "phases.py"), str(marks), "analyze",
                             str(clip), "--out", f"{tmp}/{clip.stem}_{k}", "-q"], timeline=True)
                at = dict(line.split() for line in marks.read_text().splitlines())
                phases = {}
                for name, start, end in PHASES:
                    t_start, t_end = float(at[start]), float(at[end]) if end else math.inf
                    phases[name] = round(max((mb for t, mb in r["samples"] if t_start <= t < t_end), default=0))
                rows.append({"clip": clip.name, "round": k + 1, "frames": frames_of(clip),
                             "wall_s": round(r["wall_s"], 1), "peak_rss_mb": round(r["peak_rss_mb"]),
                             "phases_mb": phases, "load": [l0, load()]})
    return rows


def batch(clips: list[Path], workers: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for i, c in enumerate(clips):
            shutil.copy(c, folder / f"{i:02d}_{c.name}")
        l0 = load()
        r = measure([*FORMCHECK, "batch", str(folder), "--out", f"{tmp}/out", "--workers", str(workers)])
    return {"clips": len(clips), "workers": workers, "wall_s": round(r["wall_s"], 1),
            "peak_rss_mb_largest_process": round(r["peak_rss_mb"]), "load": [l0, load()]}


def machine() -> dict:
    import mediapipe
    from common import cpu_model

    cpu = cpu_model()

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "mediapipe": mediapipe.__version__,
            "platform": platform.platform()}


def _loads(xs: list[float]) -> str:
    return " / ".join(f"{x:g}" for x in xs)


def to_markdown(res: dict) -> str:
    m = res["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Measured {res['date']} on {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, "
        f"Python {m['python']}, mediapipe {m['mediapipe']} ({m['platform']}), code at "
        f"{res.get('commit', '?')}. Regenerate with `make bench` (or `python benchmarks/run.py`). "
        "Load: the 1-minute load average (2 = both cores busy) at the start of each repeat and at the end.",
    ]
    if res.get("compare"):
        base = res.get("baseline")
        lines += ["", "## formcheck vs the naive loop (same clip, alternating runs, medians)", ""]
        if base:
            lines += [f"\"before\": the same commands with the code of {base} (imported from a checkout of "
                      "that commit, same packages), alternating with the others in the same run.", ""]
        kinds = list(res["compare"][0]["median_s"])
        lines += ["| clip | frames | " + " | ".join(kinds) + " | ratios to naive | peak RSS (MB) | load |",
                  "|---|---|" + "---|" * len(kinds) + "---|---|---|"]
        for c in res["compare"]:
            md, fps = c["median_s"], c["fps"]
            cells = [f"{md[k]} s ({fps[k]} fps)" for k in kinds]
            ratios = ", ".join(f"{k} **{v}**" for k, v in c["ratio"].items())
            lines.append(f"| {c['clip']} | {c['frames']} | " + " | ".join(cells) + f" | {ratios} | "
                         + " / ".join(str(c["peak_rss_mb"][k]) for k in kinds) + f" | {_loads(c['load'])} |")
        lines += ["", "All runs (s): " + "; ".join(
            f"{c['clip']}: " + ", ".join(f"{k} {v}" for k, v in c["wall_s"].items()) for c in res["compare"]),
            "", "Stage timings inside formcheck (first run, s): " + "; ".join(
                f"{c['clip']}: {c['stage_timings_s']}" for c in res["compare"])]
    if res.get("stages"):
        from stages import to_markdown as stage_table

        lines += ["", "## Where the time goes (each stage alone, one process per clip)", "",
                  "Wall seconds (frames/s), then process CPU seconds (all threads). The inference rows "
                  "run the landmarker on pre-decoded frames: one landmarker, then two in two threads "
                  "(the two-core limit). The pose pass is formcheck's own (decode, census, tracking, "
                  "two segments on two threads); selection runs inside it and is timed again alone.", ""]
        lines += stage_table(res["stages"])
        lines += ["", "Load (start / end): " + "; ".join(f"{r['clip']} {_loads(r['load'])}" for r in res["stages"])]
        lim = [f"{r['clip']} **{r['stages']['pose pass']['wall_s'] / r['stages']['inference 2 landmarkers']['wall_s']:.2f}**"
               for r in res["stages"]]
        lines += ["", "Pose pass / two-landmarker limit (wall): " + ", ".join(lim)]
        from stages import floors

        lines += ["", "What these stages allow at best, as ratios to the naive loop (estimated as decode + "
                  "one landmarker, start-up left out on both sides): the two-landmarker limit, decoding spread "
                  "over the cores, cleaning, tables and report, nothing else, perfectly overlapped "
                  "(`stages.floors`). The issue's targets are 0.6 (no video) and 0.75 (full job).", "",
                  "| clip | naive estimate | floor, no video | floor, full job | formcheck's pose pass + the rest, "
                  "no video |", "|---|---|---|---|---|"]
        for r in res["stages"]:
            f = floors(r)
            lines.append(f"| {r['clip']} | {f['naive_s']} s | {f['no_video']} | {f['full']} | "
                         f"{f['pose_pass_no_video']} |")
    if res.get("memory"):
        rows = res["memory"]
        lines += ["", "## Memory with clip length", "",
                  "The same rendered 20 s clip repeated end to end (packets copied, no re-encoding); "
                  "`analyze` with all outputs, the clips in turn (benchmarks/phases.py marks the phases: "
                  "the pose pass, the analysis, the writers: tables, report and annotated video).", "",
                  "| clip | round | frames | wall | peak RSS | pose pass / analysis / writers | load |",
                  "|---|---|---|---|---|---|---|"]
        for r in rows:
            ph = r.get("phases_mb") or {}
            lines.append(f"| {r['clip']} | {r.get('round', 1)} | {r['frames']} | {r['wall_s']} s | "
                         f"**{r['peak_rss_mb']} MB** | {' / '.join(str(ph.get(n, '-')) for n, _, _ in PHASES)} MB | "
                         f"{_loads(r['load'])} |")
        short, long_ = rows[0]["clip"], rows[-1]["clip"]
        pairs = [(a["peak_rss_mb"], b["peak_rss_mb"]) for a in rows if a["clip"] == short
                 for b in rows if b["clip"] == long_ and b.get("round", 1) == a.get("round", 1)]
        if short != long_ and pairs:
            ratios = ", ".join(f"{b / a:.3f}" for a, b in pairs)
            lines += ["", f"Peak RSS of the longest clip / the shortest, per round: **{ratios}**"]
    if res.get("batch"):
        lines += ["", "## Batch", "", "| clips | workers | wall | peak RSS of the largest process | load |",
                  "|---|---|---|---|---|"]
        for b in res["batch"]:
            lines.append(f"| {b['clips']} | {b['workers']} | {b['wall_s']} s | {b['peak_rss_mb_largest_process']} MB "
                         f"| {_loads(b['load'])} |")
    if res.get("live_slow"):
        lines += ["", res["live_slow"].rstrip("\n")]
    return "\n".join(lines) + "\n"


def keep_foreign(text: str, old: str) -> str:
    """``text`` with the sections of the old results.md that other scripts write."""
    for head in FOREIGN_SECTIONS:
        m = re.search(rf"{re.escape(head)}\n.*?(?=\n## |\Z)", old, flags=re.S)
        if m and head not in text:
            text = text.rstrip("\n") + "\n\n" + m.group(0).rstrip("\n") + "\n"
    return text


def live_slow() -> str:
    """Live mode replayed as a machine that processes fewer frames per second would
    (benchmarks/live_bench.py, its slow-machine table)."""
    import live_bench

    l0 = load()
    table = live_bench.slow_machine_markdown(live_bench.slow_machine_rows())
    return (f"## Live mode on a loaded machine\n\nLoad (start / end): {_loads([l0, load()])}\n\n"
            + table.replace("### ", "#### ", 1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--baseline", default=None, help="a commit to time beside the current code")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.md")
    ap.add_argument("--memory-rounds", type=int, default=2,
                    help="times the 2- and 10-minute clips are analysed, in turn (identical runs spread by ~5%%)")
    ap.add_argument("--skip", nargs="*", default=[],
                    choices=["compare", "stages", "memory", "batch", "live"])
    args = ap.parse_args()
    quick = args.quick
    repeats = args.repeats or (1 if quick else 3)
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip()
    res: dict = {"machine": machine(), "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                 "commit": commit}
    baseline = baseline_tree(args.baseline) if args.baseline else None
    res["baseline"] = args.baseline
    dur = 8 if quick else 24
    main_clip = render(f"bench_720p_{dur}s", width=1280, height=720, runner_height_px=560,
                       duration_s=dur, fps=30, facing="right", head_forward_deg=20.0)
    clips = [main_clip]
    real = ROOT.parent / "shared" / "videos" / "outdoor_side_male_grass_barefoot_pace_portrait_02.mp4"
    if real.exists() and not quick:
        clips.append(real)
    if not quick:  # a short clip: where start-up, the report and the writers weigh most
        clips.append(ROOT / "sample_videos" / "runner_side_clean.mp4")
    if "compare" not in args.skip:
        res["compare"] = [compare(c, repeats, baseline) for c in clips]
        print(json.dumps(res["compare"], indent=1), flush=True)
    unit = render("bench_720p_20s", width=1280, height=720, runner_height_px=560,
                  duration_s=20, fps=30, facing="left")
    if "stages" not in args.skip:
        sample = sorted((ROOT / "sample_videos").glob("*.mp4"))
        stage_clips = sample[:1] if quick else [*sample, loop_clip(unit, 6)]
        res["stages"] = [stages(c) for c in stage_clips]
        print(json.dumps(res["stages"], indent=1), flush=True)
    if "memory" not in args.skip:
        res["memory"] = memory([loop_clip(unit, 1 if quick else 6), loop_clip(unit, 2 if quick else 30)],
                               rounds=args.memory_rounds)
        print(json.dumps(res["memory"], indent=1), flush=True)
    if "batch" not in args.skip:
        sample = sorted((ROOT / "sample_videos").glob("*.mp4"))
        batch_clips = sample + sample[:1] if not quick else sample[:2]
        res["batch"] = [batch(batch_clips, w) for w in (1, 2)]
    if "live" not in args.skip:
        res["live_slow"] = live_slow()
    text = to_markdown(res)
    old = args.out.read_text() if args.out.exists() else ""
    args.out.write_text(keep_foreign(text, old))
    args.out.with_suffix(".json").write_text(json.dumps(res, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
