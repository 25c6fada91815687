"""Accuracy of formcheck against synthetic ground truth, per real-footage condition.

Renders each named condition of :data:`formcheck.synth.runner.CONDITIONS` (camera roll and
pitch, runner size, frame rate, portrait phone clips with rotation metadata, motion
blur, noise and compression, a second person, a runner entering late), analyses it
with :func:`formcheck.pipeline.run_analysis` and compares every metric with the truth.
Writes ``docs/accuracy.md``::

    python benchmarks/accuracy.py                      # 3 seeds, the test's clip sizes
    python benchmarks/accuracy.py --seeds 1 --conditions baseline motion_blur
    python benchmarks/accuracy.py --scale 2 --out /tmp/accuracy_2x.md

The comparison rules (the bias that MediaPipe shows on the drawn figure, the tolerance
around it, the conditions known to fail) live here, in :data:`CHECKS` and
:data:`KNOWN_FAILURES`; ``tests/test_accuracy.py`` enforces the same table.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Check:
    """How one metric is compared with the truth.

    ``kind``: ``"diff"`` (error = reading - truth; passes when
    ``|error - bias| <= tol``), ``"ratio"`` (reading / truth in ``[lo, hi]``) or
    ``"equal"``. ``bias`` is per posture (see :data:`POSTURE`): MediaPipe misplaces
    parts of the drawn figure by a steady amount (its ear sits ~3.5 cm ahead of the
    drawn ear, its hip ~4-5 px low and it under-follows the hip's bounce), so a
    reading is judged against truth + bias. Biases and tolerances were set from the
    measured errors in ``docs/accuracy.md`` (3 seeds per condition): each tolerance is
    the largest bias-corrected error of the passing conditions plus a margin.
    """

    metric: str
    kind: str
    unit: str
    bias: dict[str, float]
    tol: float = 0.0
    lo: float = 0.0
    hi: float = 0.0
    note: str = ""


#: Posture of each condition, for the bias: all conditions keep the base runner
#: (15 deg forward head on a 5 deg lean) except ``left_waist_bend``.
POSTURE: dict[str, str] = {"left_waist_bend": "waist_bend_head_28"}

CHECKS: dict[str, Check] = {
    "cadence_spm": Check("cadence_spm", "diff", "steps/min", {"standard": 0.0}, tol=3.0),
    "trunk_lean_deg": Check(
        "trunk_lean_deg",
        "diff",
        "deg",
        {"standard": 0.7, "waist_bend_head_28": 1.8},
        tol=2.0,
        note="physical truth (vs true vertical); with a rolled camera formcheck may instead "
        "flag the tilt (summary camera_tilt) and read the image-space value",
    ),
    "cva_deg": Check(
        "cva_deg",
        "diff",
        "deg",
        {"standard": -3.0, "waist_bend_head_28": 3.0},
        tol=3.0,
        note="MediaPipe's ear sits ahead of the drawn ear: reads low on this posture; "
        "on a 28 deg forward head it reads high (the bias is not constant across postures)",
    ),
    "neck_trunk_angle_deg": Check(
        "neck_trunk_angle_deg",
        "diff",
        "deg",
        {"standard": 2.5, "waist_bend_head_28": -4.0},
        tol=4.0,
    ),
    "head_forward_offset_torso": Check(
        "head_forward_offset_torso",
        "diff",
        "torso",
        {"standard": 0.032, "waist_bend_head_28": 0.01},
        tol=0.03,
        note="ear ahead of shoulder; a pitched camera adds a real image-space offset "
        "(+0.013 torso at 20 deg) that formcheck cannot know about",
    ),
    "vertical_oscillation_torso": Check(
        "vertical_oscillation_torso",
        "ratio",
        "x truth",
        {},
        lo=0.75,
        hi=1.15,
        note="limits: 15% above the truth and 15% below the typical 0.87x reading (the "
        "issue-10 tolerance; the fault bands are ~20% apart); measured at the shoulders as the step fundamental's peak to peak "
        "(kinematics.steps.bounce_amplitude): ~0.87x at 24-60 fps, ~0.84x at 120 fps; "
        "MediaPipe's hip landmark followed only 0.52x (24 fps) to 0.68x (120 fps)",
    ),
    "facing": Check("facing", "equal", "", {}),
}

#: (condition, metric) -> why formcheck is known to get it wrong today; ``"*"`` = all
#: metrics (the analysis fails). The tests mark these xfail (not strict).
_WALKER = (
    "a bigger person walking in front of the runner: MediaPipe's single-pose tracker hops "
    "to the walker while they overlap and follows them out of frame; the 2 s census sees "
    "one person, so those frames join the runner's track"
)
_FAR = (
    "runner 25% of a 640x480 frame (120 px): MediaPipe loses it in 5-65% of the frames, "
    "so steps are missed and cadence and neck angles drift (seed-dependent)"
)
_FAR_720 = (
    "runner 25% of a 1280x720 frame (180 px): MediaPipe's person detector never finds it "
    "(0% of frames; it needs ~35% of the height of a 16:9 frame), so there is no analysis"
)
KNOWN_FAILURES: dict[tuple[str, str], str] = {
    ("far_25pct_720p", "*"): _FAR_720,
    ("walker_in_front", "cadence_spm"): _WALKER,
    ("walker_in_front", "neck_trunk_angle_deg"): _WALKER,
    ("walker_in_front", "cva_deg"): _WALKER,
    ("far_25pct", "cadence_spm"): _FAR,
    ("far_25pct", "cva_deg"): _FAR,
    ("far_25pct", "neck_trunk_angle_deg"): _FAR,
    ("far_25pct", "vertical_oscillation_torso"): _FAR,
}


#: What the matrix showed, diagnosed by hand (kept here so the report carries it;
#: re-check when formcheck changes). The live pass/fail state is in the tables.
FINDINGS: list[str] = [
    "**Half-missing landmarks corrupt the hip (formcheck bug, seen 2026-11-21 at "
    "fe028f2).** The Hampel outlier filter in `cleaning.clean` works on x and y columns "
    "separately; at the last frame (one-sided window) it can drop a hip's y but keep its "
    "x, and the gap filler does not extrapolate. `metrics.combine_sides` weights a side "
    "by `isfinite(x)` only and `nan_to_num`s the missing y to 0, so the hip midpoint "
    "jumps to y = 0 (or half its height) in that frame. The jump swamps the bounce "
    "autocorrelation: since the step-period change in 4588aba, `baseline` gets no step "
    "rhythm at all (cadence and bounce 'not measurable'); before it, "
    "`noise_jpeg_crf34` raised ClipTooShortError. Fix: treat a point as present only "
    "when both coordinates are finite (in `combine_sides`, or NaN both in the cleaner); "
    "with that patch applied at run time, every clip it broke in the 3-seed run "
    "(`baseline` seed 5, `noise_jpeg_crf34` seed 5, `walker_behind` seed 205, "
    "`treadmill_neighbour` seed 105: cadence and bounce not measurable, or 74 steps/min) "
    "passes every check (e.g. `baseline` 172.1 steps/min, truth 172).",
    "**A person walking in front of the runner** (1.2x bigger, overlapping for ~1.3 s): "
    "MediaPipe's single-pose VIDEO tracker hops to the walker and follows them out of "
    "the frame; the 2 s census still counts one person, and runner selection joins the "
    "walker's frames to the runner's track. Cadence comes out +3 to +12.5 steps/min "
    "(3 seeds, with the fix above; -105 in one seed before 1c7e183), and the neck-trunk "
    "angle reads 2-5 deg lower than on the base clip (the walker's head pulls the "
    "track), at or past the tolerance depending on the seed. A walker *behind* the "
    "runner and a runner on the next treadmill do no harm.",
    "**Small runners are not detected.** MediaPipe's detector sees the whole frame at "
    "224 px: the runner must be about 1/5 of the frame's long side. 25% of a 640x480 "
    "frame (120 px) is found in 0/10 frames in IMAGE mode and in 33-94% of frames in "
    "formcheck's VIDEO run (tracking helps once found): cadence off by -9.5 to +4 "
    "steps/min in 2 of 3 seeds, neck angles 2-5 deg more forward. 25% of 1280x720 "
    "(180 px, the same pixel height as the base runner): 0% detected, NoRunnerFoundError. "
    "35% of 1280x720: fine. A crop/zoom second pass (or a detector run on tiles) would "
    "be needed for distant runners.",
    "**High camera looking down (pitch 20 deg, level roll):** the keystone makes "
    "vertical background lines converge and formcheck's roll estimator reports 'the "
    "camera may be rolled by about +7 deg' (uncertain, not applied): a false warning. "
    "Readings are image-space (pitch cannot be undone without knowing it): trunk lean "
    "+0.7 deg and head offset +0.02 torso beyond the base bias.",
    "**Rolled camera (+5, -8 deg):** roll estimated within 0.15 deg from the background "
    "lines and corrected; every metric as accurate as with a level camera. (The "
    "estimate needs straight vertical edges in the background: the synthetic room has a "
    "window and a door frame.)",
    "**Bounce is under-read (~0.86x), the same at any frame rate.** Raw MediaPipe hips "
    "follow 0.73-0.78x of the drawn bounce in IMAGE mode, but 0.61x (24 fps), 0.67x "
    "(30 fps) and 0.76x (60 fps) in VIDEO mode: its landmark smoothing removes part of "
    "the bounce at low frame rates. formcheck therefore measures the bounce at the "
    "shoulders (the trunk rises and falls as one piece), as the peak to peak of the step "
    "frequency's component: 0.87x at 24, 30 and 60 fps, 0.84x at 120 fps (8 cm bounce, "
    "170 steps/min); a 4 cm bounce reads 0.67x.",
    "**Neck-angle bias depends on the posture.** With a 15 deg forward head the "
    "neck-trunk angle reads +2.5 deg (CVA -3 deg); with 28 deg it reads -4 deg (CVA +3): "
    "MediaPipe's ear compresses the range, so mild forward heads look worse and severe "
    "ones look better than they are. Per-clip scatter of the neck-trunk angle on the "
    "same posture is about +-2 deg (seed to seed).",
    "**No effect beyond the scatter:** 24/60/120 fps, a portrait phone clip stored "
    "rotated with a display matrix (OpenCV returns upright frames), a runner 90% of the "
    "frame height, motion blur over a full 1/30 s exposure, sensor noise + JPEG q30 + "
    "CRF 34, a walker behind, a neighbour on the next treadmill, and a runner who "
    "enters 1 s late and leaves 0.8 s early (detected only while in view; metrics "
    "unchanged).",
]


def check_for(condition: str, metric: str) -> Check:
    return CHECKS[metric]


def posture(condition: str) -> str:
    return POSTURE.get(condition, "standard")


def evaluate(
    condition: str,
    workdir: str | Path,
    scale: float = 1.0,
    seed_offset: int = 0,
    **overrides: Any,
) -> dict[str, Any]:
    """Render ``condition``, analyse it and return truth, readings and timings.

    Never raises for a failed analysis: ``record["error"]`` holds the one-line
    exception instead (so a matrix run always completes).
    """
    from formcheck.synth.runner import condition_spec, render_clip

    from formcheck.model.settings import Settings
    from formcheck.pipeline.run import run_analysis

    workdir = Path(workdir)
    spec = condition_spec(condition, scale, **overrides)
    if seed_offset:
        from dataclasses import replace

        spec = replace(spec, seed=spec.seed + seed_offset)
    clip = workdir / f"{condition}_s{spec.seed}.mp4"
    t0 = time.perf_counter()
    truth = render_clip(spec, clip)
    t1 = time.perf_counter()
    summary: dict[str, Any] | None = None
    error = None
    try:
        summary = run_analysis(clip, workdir / clip.stem, Settings(video=False, report=False))
    except Exception as exc:  # record any failure: this is a measurement run
        error = f"{type(exc).__name__}: {exc}"
    t2 = time.perf_counter()
    readings: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    if summary is not None:
        for name in CHECKS:
            if name == "facing":
                readings[name] = summary.get("facing")
            else:
                readings[name] = (summary.get("metrics", {}).get(name) or {}).get("median")
        extra = {
            "detected_fraction": summary.get("detection", {}).get("fraction"),
            "view": summary.get("view"),
            "steps": summary.get("steps"),
            "camera_tilt": summary.get("camera_tilt"),
        }
    return {
        "condition": condition,
        "posture": posture(condition),
        "seed": spec.seed,
        "scale": scale,
        "frames": truth["frames"],
        "size": [spec.width, spec.height],
        "fps": spec.fps,
        "truth": truth,
        "readings": readings,
        "error": error,
        "render_s": round(t1 - t0, 2),
        "analyse_s": round(t2 - t1, 2),
        **extra,
    }


def truth_value(record: dict[str, Any], metric: str, image: bool = False) -> Any:
    truth = record["truth"]
    if image and metric in truth.get("image", {}):
        return truth["image"][metric]
    return truth.get(metric)


def _tilt(record: dict[str, Any]) -> tuple[float | None, bool]:
    """formcheck's camera-roll estimate (deg, + = picture turned clockwise) and whether
    it applied a correction, from ``summary["camera_tilt"]`` when present."""
    tilt = record.get("camera_tilt")
    if not isinstance(tilt, dict):
        return None, False
    roll = tilt.get("roll_deg")
    return (float(roll) if roll is not None else None), bool(tilt.get("applied"))


def judge(record: dict[str, Any], metric: str) -> dict[str, Any]:
    """Compare one metric of one record with the truth.

    Returns ``{"ok", "error", "corrected", "limit", "detail"}``; ``error`` is
    reading - truth (or the ratio for ``"ratio"`` checks), ``corrected`` the error
    minus the posture's bias.
    """
    c = CHECKS[metric]
    if record["error"] is not None:
        return {"ok": False, "error": None, "corrected": None, "limit": None,
                "detail": f"analysis failed: {record['error']}"}
    got = record["readings"].get(metric)
    want = truth_value(record, metric)
    if got is None:
        return {"ok": False, "error": None, "corrected": None, "limit": None,
                "detail": "not measured"}
    if c.kind == "equal":
        return {"ok": got == want, "error": None, "corrected": None, "limit": None,
                "detail": f"{got} (truth {want})"}
    if c.kind == "ratio":
        r = got / want
        return {"ok": c.lo <= r <= c.hi, "error": r, "corrected": r,
                "limit": f"{c.lo:g}-{c.hi:g}", "detail": f"{got:.4g} / {want:.4g}"}
    bias = c.bias.get(record["posture"], c.bias.get("standard", 0.0))
    err = got - want
    ok = abs(err - bias) <= c.tol
    detail = f"{got:.4g} vs {want:.4g}"
    if not ok and metric == "trunk_lean_deg" and "image" in record["truth"]:
        # a rolled camera that formcheck does not correct: acceptable when it reads
        # the image correctly and flags the tilt
        roll, _applied = _tilt(record)
        img_err = got - record["truth"]["image"][metric]
        if roll is not None and abs(roll) >= 1.0 and abs(img_err - bias) <= c.tol:
            ok = True
            detail += f"; tilt flagged ({roll:+.1f} deg), image-space error {img_err:+.2f}"
    return {"ok": ok, "error": err, "corrected": err - bias, "limit": c.tol, "detail": detail}


def judge_roll(record: dict[str, Any]) -> dict[str, Any] | None:
    """formcheck's camera-roll estimate against the truth (None when not reported)."""
    roll, applied = _tilt(record)
    if roll is None:
        return None
    true_roll = record["truth"].get("camera", {}).get("roll_deg", 0.0)
    err = roll - true_roll
    return {"estimate": roll, "truth": true_roll, "error": err, "applied": applied,
            "ok": (not applied) or abs(err) <= 1.5}


# --------------------------------------------------------------------------- report


def _fmt(x: Any, nd: int = 2) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        if not math.isfinite(x):
            return "nan"
        return f"{x:+.{nd}f}"
    return str(x)


def _machine() -> str:
    from common import cpu_model

    cpu = cpu_model()
    n = os.cpu_count()
    try:
        load = f", load average {os.getloadavg()[0]:.1f}"
    except OSError:
        load = ""
    return f"{cpu}, {n} cores{load}; Python {platform.python_version()}, {platform.system()}"


def _versions() -> str:
    out = []
    for mod in ("formcheck", "mediapipe", "cv2", "av"):
        try:
            m = __import__(mod)
            out.append(f"{mod} {getattr(m, '__version__', '?')}")
        except Exception:
            out.append(f"{mod} missing")
    return ", ".join(out)


def write_markdown(records: list[dict[str, Any]], path: Path, args: argparse.Namespace,
                   wall_s: float) -> None:
    from formcheck.synth.runner import ACCURACY_BASE, CONDITIONS

    conds = list(dict.fromkeys(r["condition"] for r in records))
    by = {c: [r for r in records if r["condition"] == c] for c in conds}
    L: list[str] = []
    L.append("# Accuracy against synthetic ground truth")
    L.append("")
    L.append(
        "Generated by `python benchmarks/accuracy.py` "
        f"(`{' '.join(sys.argv[1:]) or 'no options'}`) on "
        f"{_dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}; "
        f"{len(records)} clips in {wall_s / 60:.1f} min."
    )
    L.append(f"Machine: {_machine()}. Versions: {_versions()}.")
    L.append("")
    L.append(
        "Each condition is a `formcheck.synth.runner` clip whose posture, cadence and bounce are "
        "known exactly (`formcheck.synth.runner.CONDITIONS`, `condition_spec`, `render_condition`). "
        f"The base runner: {ACCURACY_BASE.width}x{ACCURACY_BASE.height}, "
        f"{ACCURACY_BASE.fps:g} fps, {ACCURACY_BASE.duration_s:g} s, runner "
        f"{ACCURACY_BASE.runner_height_px / ACCURACY_BASE.height:.0%} of the frame height, "
        f"facing {ACCURACY_BASE.facing}, {ACCURACY_BASE.cadence_spm:g} steps/min, "
        f"trunk lean {ACCURACY_BASE.trunk_lean_deg:g} deg, head {ACCURACY_BASE.head_forward_deg:g} "
        f"deg forward of the trunk, bounce {ACCURACY_BASE.vertical_oscillation_cm:g} cm. "
        f"Seeds per condition: {args.seeds} (the seed changes the background texture and the "
        f"noise); frame size scale {args.scale:g}"
        f"{f'; every clip {args.duration:g} s long' if args.duration else ''}. Regenerate with the command above; "
        "`tests/test_accuracy.py` (marked `slow`) runs one seed of every condition and "
        "enforces the tolerances below."
    )
    L.append("")
    L.append("## Conditions")
    L.append("")
    L.append("| condition | overrides of the base | frames | detected | steps | render s | analyse s |")
    L.append("|---|---|---|---|---|---|---|")
    for c in conds:
        rs = by[c]
        ov = ", ".join(f"{k}={v}" for k, v in CONDITIONS[c].items()) or "-"
        det = "/".join(f"{r.get('detected_fraction') or 0:.2f}" for r in rs)
        steps = "/".join(str(r.get("steps")) for r in rs)
        L.append(
            f"| {c} | {ov} | {rs[0]['frames']} | {det} | {steps} | "
            f"{sum(r['render_s'] for r in rs) / len(rs):.1f} | "
            f"{sum(r['analyse_s'] for r in rs) / len(rs):.1f} |"
        )
    failed = [r for r in records if r["error"]]
    if failed:
        L.append("")
        L.append("Analyses that failed:")
        L.append("")
        for r in failed:
            L.append(f"- {r['condition']} (seed {r['seed']}): `{r['error']}`")
    L.append("")
    L.append("## Tolerances the tests enforce")
    L.append("")
    L.append("| metric | comparison | bias, base posture | bias, waist-bend posture | tolerance | note |")
    L.append("|---|---|---|---|---|---|")
    for name, ch in CHECKS.items():
        if ch.kind == "diff":
            cmp_ = "\\|reading - truth - bias\\| <= tol"
            tol = f"{ch.tol:g} {ch.unit}"
        elif ch.kind == "ratio":
            cmp_ = "reading / truth in range"
            tol = f"{ch.lo:g}-{ch.hi:g}"
        else:
            cmp_, tol = "equal", "-"
        b0 = ch.bias.get("standard")
        b1 = ch.bias.get("waist_bend_head_28", b0)
        L.append(f"| {name} | {cmp_} | {_fmt(b0, 3) if b0 is not None else '-'} | "
                 f"{_fmt(b1, 3) if b1 is not None else '-'} | {tol} | {ch.note} |")
    L.append("")
    L.append(
        "The biases are MediaPipe's on this drawn figure, not formcheck's: "
        "`sample_videos/README.md` shows its ear ~7 px ahead of the drawn ear and its hip "
        "~4-5 px low. The neck angles' bias depends on the posture (a neutral head reads "
        "forward, a strongly forward head reads less forward), so it is stated per posture."
    )
    L.append("")
    L.append("## What formcheck gets wrong")
    L.append("")
    for f in FINDINGS:
        L.append(f"- {f}")
    L.append("")
    L.append("Checks that fail in this run (condition, seed, metric):")
    L.append("")
    n_fail = 0
    for r in records:
        if r["error"] is not None:
            known = (r["condition"], "*") in KNOWN_FAILURES
            L.append(f"- {r['condition']} / seed {r['seed']} / every metric: analysis failed: "
                     f"`{r['error']}`{' (known, xfail)' if known else ''}")
            n_fail += 1
            continue
        for m in CHECKS:
            j = judge(r, m)
            if not j["ok"]:
                known = (r["condition"], m) in KNOWN_FAILURES or (r["condition"], "*") in KNOWN_FAILURES
                L.append(f"- {r['condition']} / seed {r['seed']} / {m}: {j['detail']}"
                         f"{' (known, xfail)' if known else ''}")
                n_fail += 1
    if not n_fail:
        L.append("- none")
    if KNOWN_FAILURES:
        L.append("")
        L.append("Known failures (xfail in the tests):")
        L.append("")
        for (c, m), why in KNOWN_FAILURES.items():
            L.append(f"- `{c}` / `{m}`: {why}")
    L.append("")
    L.append("## Errors per metric and condition")
    L.append("")
    L.append(
        "Error = formcheck's clip median - truth (one value per seed). 'corrected' = error "
        "- bias, the quantity the tolerance bounds. For the rolled / pitched cameras the "
        "truth is the physical posture (relative to true vertical); the image-space truth "
        "(what an uncorrected reading would show) is given beside it."
    )
    for name, ch in CHECKS.items():
        L.append("")
        L.append(f"### {name}")
        L.append("")
        if ch.kind == "equal":
            L.append("| condition | truth | readings | ok |")
            L.append("|---|---|---|---|")
            for c in conds:
                rs = by[c]
                got = "/".join(str(r["readings"].get(name)) for r in rs)
                ok = all(judge(r, name)["ok"] for r in rs)
                L.append(f"| {c} | {truth_value(rs[0], name)} | {got} | {'yes' if ok else '**no**'} |")
            continue
        if ch.kind == "ratio":
            L.append("| condition | truth | readings | reading / truth | ok |")
            L.append("|---|---|---|---|---|")
        else:
            L.append("| condition | truth (image) | readings | error | corrected | ok |")
            L.append("|---|---|---|---|---|---|")
        for c in conds:
            rs = by[c]
            js = [judge(r, name) for r in rs]
            tv = truth_value(rs[0], name)
            iv = rs[0]["truth"].get("image", {}).get(name)
            tv_s = f"{tv:.4g}" + (f" ({iv:.4g})" if iv is not None else "")
            got = "/".join(
                "fail" if r["error"] else _fmt(r["readings"].get(name), 3).lstrip("+") for r in rs
            )
            ok = "yes" if all(j["ok"] for j in js) else "**no**"
            if ch.kind == "ratio":
                rat = "/".join(f"{j['error']:.2f}" if j["error"] is not None else "-" for j in js)
                L.append(f"| {c} | {tv_s} | {got} | {rat} | {ok} |")
            else:
                nd = 3 if ch.unit == "torso" else 2
                err = "/".join(_fmt(j["error"], nd) for j in js)
                cor = "/".join(_fmt(j["corrected"], nd) for j in js)
                L.append(f"| {c} | {tv_s} | {got} | {err} | {cor} | {ok} |")
    rolls = [(r, judge_roll(r)) for r in records]
    rolls = [(r, j) for r, j in rolls if j is not None]
    if rolls:
        L.append("")
        L.append("### camera roll (formcheck's `camera_tilt` estimate)")
        L.append("")
        L.append("| condition | seed | truth roll | estimate | applied | note |")
        L.append("|---|---|---|---|---|---|")
        for r, j in rolls:
            note = (r.get("camera_tilt") or {}).get("note", "")
            L.append(f"| {r['condition']} | {r['seed']} | {j['truth']:+.1f} | {j['estimate']:+.2f} | "
                     f"{'yes' if j['applied'] else 'no'} | {note} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(L) + "\n")


def main(argv: list[str] | None = None) -> int:
    from formcheck.synth.runner import CONDITIONS

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--conditions", nargs="*", default=list(CONDITIONS))
    p.add_argument("--seeds", type=int, default=3, help="seeds per condition (default 3)")
    p.add_argument("--scale", type=float, default=1.0, help="frame size multiplier")
    p.add_argument("--duration", type=float, default=None,
                   help="clip length in seconds for every condition (default: each its own)")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "accuracy.md")
    p.add_argument("--json", type=Path, default=None, help="also write the raw records here")
    p.add_argument("--workdir", type=Path, default=None, help="keep the clips here")
    p.add_argument("--from-json", type=Path, default=None,
                   help="rewrite the report from records saved with --json (no rendering)")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    if args.from_json:
        records = json.loads(args.from_json.read_text())
        write_markdown(records, args.out, args, 0.0)
        print(f"wrote {args.out}")
        return 0
    records = []
    with tempfile.TemporaryDirectory(prefix="formcheck_accuracy_") as tmp:
        work = args.workdir or Path(tmp)
        for c in args.conditions:
            for k in range(args.seeds):
                extra = {"duration_s": args.duration} if args.duration else {}
                r = evaluate(c, work, scale=args.scale, seed_offset=100 * k, **extra)
                records.append(r)
                marks = " ".join(
                    f"{m}:{'ok' if judge(r, m)['ok'] else 'NO'}" for m in CHECKS
                )
                print(f"{c:24s} seed {r['seed']:4d} render {r['render_s']:5.1f}s "
                      f"analyse {r['analyse_s']:5.1f}s {r['error'] or marks}", flush=True)
                if args.json:
                    args.json.write_text(json.dumps(records, indent=1, default=str))
    write_markdown(records, args.out, args, time.perf_counter() - t0)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
