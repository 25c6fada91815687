"""Where the time of one analysis goes, stage by stage, in one process.

Each stage is timed on its own, one after the other, on the same clip:

* ``decode``: PyAV decode to upright RGB (what the pose pass reads), one thread;
* ``decode+thumb``: the same with the per-frame change thumbnail the pose pass keeps;
* ``resize``: the model's own input scaling is inside MediaPipe; formcheck resizes only
  frames whose decoded size differs from the container's (not these clips): not timed;
* ``inference 1 landmarker``: VIDEO-mode detection on pre-decoded frames (a window of
  ``WINDOW`` frames cycled over the clip length, so decoding is not in it), one thread;
* ``inference 2 landmarkers``: two landmarkers in two threads on the same frames (each
  its own half): the two-core limit the pose pass is measured against;
* ``pose pass``: formcheck's whole pose pass (decode, census, tracking, colours, two
  segments on two threads) as ``analyze`` runs it;
* ``selection + roll``: picking the runner and the camera roll (inside the pose pass's
  wall time above; timed again here on its result);
* ``cleaning + metrics``: :func:`formcheck.assess.analysis.analyze_extracted`;
* ``tables + stills``: the CSV/NPZ tables, summary and evidence stills;
* ``report``: report.pdf and report.png;
* ``annotated video``: decode again, draw, encode (x264);

and the CPU seconds each used (process CPU time, all threads). Used by benchmarks/run.py;
on its own: ``python benchmarks/stages.py CLIP``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WINDOW = 60  # pre-decoded frames cycled through for the inference-only timings


def _timed(fn, *args, **kwargs):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - w0, time.process_time() - c0


def _decode_all(video, thumbs: bool) -> int:
    from formcheck.io.video import DecodeLog, iter_frames

    stats = DecodeLog() if thumbs else None
    return sum(1 for _ in iter_frames(video, stats=stats))


def _window(video) -> list[np.ndarray]:
    from formcheck.io.video import iter_frames

    out = []
    for f in iter_frames(video):
        out.append(f.rgb)
        if len(out) >= WINDOW:
            break
    return out


def _infer(model, frames: list[np.ndarray], n: int, fps: float, start: int = 0) -> None:
    from formcheck.pose.blazepose import create_landmarker, mp_image

    lm = create_landmarker(model, video_mode=True, num_poses=1)
    try:
        for i in range(start, start + n):
            lm.detect_for_video(mp_image(frames[i % len(frames)]), int(round(i * 1000.0 / fps)))
    finally:
        lm.close()


def _infer_two(model, frames: list[np.ndarray], n: int, fps: float) -> None:
    half = n // 2
    errors: list[BaseException] = []

    def run(start: int, count: int) -> None:
        try:
            _infer(model, frames, count, fps, start)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(0, half)), threading.Thread(target=run, args=(half, n - half))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def profile(clip: Path) -> dict:
    """Per-stage wall and CPU seconds for ``clip`` (see the module docstring)."""
    from formcheck.assess.analysis import analyze_extracted
    from formcheck.io.folder import write_evidence_stills, write_tables
    from formcheck.io.video import probe
    from formcheck.model.settings import Settings
    from formcheck.pose.bundle import resolve_model
    from formcheck.pose.extract import extract_runner
    from formcheck.render.annotate import write_annotated_video
    from formcheck.render.report import write_report

    settings = Settings()
    video = probe(clip)
    model = resolve_model(settings.model)
    n = video.frames
    stages: dict[str, tuple[float, float]] = {}

    _, w, c = _timed(_decode_all, video, False)
    stages["decode"] = (w, c)
    _, w, c = _timed(_decode_all, video, True)
    stages["decode+thumb"] = (w, c)
    frames = _window(video)
    _infer(model, frames, 5, video.fps)  # warm the file cache and the library
    _, w, c = _timed(_infer, model, frames, n, video.fps)
    stages["inference 1 landmarker"] = (w, c)
    _, w, c = _timed(_infer_two, model, frames, n, video.fps)
    stages["inference 2 landmarkers"] = (w, c)
    del frames
    # selection runs inside the pose pass; its own time is caught on the way
    import formcheck.pose.selection as selection

    picked: list[tuple[float, float]] = []
    original = selection.select_runner

    def timed_selection(*args, **kwargs):
        out, w, c = _timed(original, *args, **kwargs)
        picked.append((w, c))
        return out

    selection.select_runner = timed_selection
    try:
        extracted, w, c = _timed(extract_runner, str(clip), settings)
    finally:
        selection.select_runner = original
    stages["pose pass"] = (w, c)
    stages["selection (in pose pass)"] = picked[0]
    analysis, w, c = _timed(analyze_extracted, extracted, settings)
    stages["cleaning + metrics"] = (w, c)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def tables() -> None:
            write_evidence_stills(analysis, folder)
            write_tables(analysis, folder)

        _, w, c = _timed(tables)
        stages["tables + stills"] = (w, c)
        _, w, c = _timed(write_report, folder)
        stages["report"] = (w, c)
        _, w, c = _timed(write_annotated_video, analysis, folder)
        stages["annotated video"] = (w, c)
    return {"clip": clip.name, "frames": n, "size": f"{video.width}x{video.height}", "cores": os.cpu_count(),
            "stages": {k: {"wall_s": round(v[0], 2), "cpu_s": round(v[1], 2),
                           "fps": round(n / v[0], 1) if v[0] > 0 else None} for k, v in stages.items()}}


def to_markdown(rows: list[dict]) -> list[str]:
    names = list(rows[0]["stages"]) if rows else []
    head = "| stage | " + " | ".join(f"{r['clip']} ({r['size']}, {r['frames']} frames): wall s (frames/s), CPU s"
                                      for r in rows) + " |"
    lines = [head, "|---|" + "---|" * len(rows)]
    for k in names:
        cells = []
        for r in rows:
            s = r["stages"][k]
            cells.append(f"{s['wall_s']} ({s['fps']}), {s['cpu_s']}")
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return lines


def floors(row: dict) -> dict[str, float]:
    """What the measured stages allow at best, as ratios to the naive loop, on this clip.

    The naive loop is estimated as ``decode`` + ``inference 1 landmarker`` (its wall time
    on one thread, without its start-up). The floors assume nothing but the stages the
    job cannot skip, perfectly overlapped on the machine's cores: the two-landmarker limit,
    decoding spread over the cores (its CPU / cores), then cleaning + metrics, tables and
    the report; with the video, the report and the annotated video sharing the cores
    (their CPU / cores, and no less than the report alone: it is one thread). No
    census, no start-up, no waiting: a bound, not a prediction.
    """
    s = row["stages"]
    cores = max(1, row.get("cores") or os.cpu_count() or 1)
    naive = s["decode"]["wall_s"] + s["inference 1 landmarker"]["wall_s"]
    pose = s["inference 2 landmarkers"]["wall_s"] + s["decode"]["cpu_s"] / cores
    after = s["cleaning + metrics"]["wall_s"] + s["tables + stills"]["wall_s"]
    no_video = pose + after + s["report"]["wall_s"]
    full = pose + after + max(s["report"]["wall_s"],
                              (s["report"]["cpu_s"] + s["annotated video"]["cpu_s"]) / cores)
    real_no_video = s["pose pass"]["wall_s"] + after + s["report"]["wall_s"]
    return {"naive_s": round(naive, 2), "no_video": round(no_video / naive, 3), "full": round(full / naive, 3),
            "pose_pass_no_video": round(real_no_video / naive, 3)}


if __name__ == "__main__":
    res = [profile(Path(p)) for p in sys.argv[1:]]
    print("\n".join(to_markdown(res)))
