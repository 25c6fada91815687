"""Accuracy of formcheck against synthetic ground truth, per real-footage condition.

Renders each named condition of :data:`formcheck.synth.runner.CONDITIONS` (camera roll and
pitch, runner size, frame rate, portrait phone clips with rotation metadata, motion
blur, noise and compression, a second person, a runner entering late), analyses it
with :func:`formcheck.pipeline.run_analysis` and compares every metric with the truth.
Writes ``docs/accuracy.md``::

    python benchmarks/accuracy.py                      # 3 seeds, the test's clip sizes
    python benchmarks/accuracy.py --seeds 1 --conditions baseline motion_blur
    python benchmarks/accuracy.py --scale 2 --out /tmp/accuracy_2x.md
    python benchmarks/accuracy.py --from-json benchmarks/.cache/accuracy_records.json

The raw records are kept in ``benchmarks/.cache/accuracy_records.json`` (not checked
in); ``--from-json`` rewrites the report from them without rendering or analysing.

The comparison rules (the bias that MediaPipe shows on the drawn figure, the tolerance
around it, the conditions known to fail) live here, in :data:`CHECKS` and
:data:`KNOWN_FAILURES`; ``tests/test_accuracy.py`` enforces the same table. This file
holds no findings: every measured number in the report comes from the records.
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
CACHE = ROOT / "benchmarks" / ".cache" / "accuracy_records.json"


@dataclass(frozen=True)
class Check:
    """How one metric is compared with the truth.

    ``kind``: ``"diff"`` (error = reading - truth; passes when
    ``|error - bias| <= tol``), ``"ratio"`` (passes when reading / truth is within
    ``tol`` of ``by_fps``, relative: ``|ratio / expected - 1| <= tol``) or ``"equal"``.

    ``bias`` is per posture (see :data:`POSTURE`) and ``by_fps`` per frame rate: they
    are MediaPipe's, measured on the drawn figure (it misplaces some joints by a steady
    amount and under-follows the hip's bounce, more so at low frame rates), so a
    reading is judged against truth + bias. They are measurements of the pose model,
    kept in one place here; the report shows the errors they correct.

    The head angles' expected reading also carries formcheck's facing correction
    (:func:`formcheck.kinematics.metrics.facing_correction_deg`, analysis revision 8): the
    biases were measured on MediaPipe's readings before it.

    ``tol`` comes from the decision the metric feeds, not from the readings: it is
    narrower than the gap between the metric's mild and moderate thresholds in
    :mod:`formcheck.assess.norms`, so a reading that passes cannot land a severity band
    away from the truth. Metrics without thresholds of their own take the tolerance of
    the metric they are geometrically tied to (see each ``note``).
    """

    metric: str
    kind: str
    unit: str
    bias: dict[str, float]
    tol: float = 0.0
    by_fps: dict[float, float] | None = None
    note: str = ""

    def expected_ratio(self, fps: float) -> float:
        """``by_fps`` at the listed frame rate nearest to ``fps`` (in log terms)."""
        assert self.by_fps
        return self.by_fps[min(self.by_fps, key=lambda f: abs(math.log(f / fps)))]


#: Posture of each condition, for the bias: all conditions keep the base runner
#: (15 deg forward head on a 5 deg lean) except ``left_waist_bend``.
POSTURE: dict[str, str] = {"left_waist_bend": "waist_bend_head_28"}

CHECKS: dict[str, Check] = {
    "cadence_spm": Check(
        "cadence_spm", "diff", "steps/min", {"standard": 0.0}, tol=3.0,
        note="no threshold uses it; 3 steps/min is under 2% of a running cadence, below the "
        "5-10% change the advice asks for",
    ),
    "trunk_lean_deg": Check(
        "trunk_lean_deg",
        "diff",
        "deg",
        {"standard": 0.7, "waist_bend_head_28": 1.8},
        tol=2.0,
        note="waist-lean thresholds 12 / 15 deg (3 deg apart). Physical truth (vs true "
        "vertical); with a rolled camera formcheck may instead flag the tilt (summary "
        "camera_tilt) and read the image-space value",
    ),
    "cva_deg": Check(
        "cva_deg",
        "diff",
        "deg",
        {"standard": -3.0, "waist_bend_head_28": 3.0},
        tol=3.0,
        note="forward-head thresholds 72 / 65 deg (7 apart). MediaPipe's ear sits ahead of "
        "the drawn ear: reads low on the base posture and high on the waist-bend posture's "
        "stronger forward head (the bias is not constant across postures)",
    ),
    "neck_trunk_angle_deg": Check(
        "neck_trunk_angle_deg",
        "diff",
        "deg",
        {"standard": 2.5, "waist_bend_head_28": -4.0},
        tol=4.0,
        note="no threshold of its own: neck lean minus trunk lean, so an error in it is an "
        "error in the CVA (90 - neck lean) plus the trunk lean's; below the CVA's 7 deg gap",
    ),
    "head_forward_offset_torso": Check(
        "head_forward_offset_torso",
        "diff",
        "torso",
        {"standard": 0.032, "waist_bend_head_28": 0.01},
        tol=0.03,
        note="no threshold of its own: ear-shoulder distance (0.37 torso) x sin(neck lean), "
        "so 0.03 torso is ~5 deg of neck lean, below the CVA's 7 deg gap. A pitched camera "
        "adds a real image-space offset that formcheck cannot know about",
    ),
    "vertical_oscillation_torso": Check(
        "vertical_oscillation_torso",
        "ratio",
        "x truth",
        {},
        tol=0.15,
        by_fps={24.0: 0.87, 30.0: 0.87, 60.0: 0.87, 120.0: 0.84},
        note="measured at the shoulders as the step fundamental's peak to peak "
        "(kinematics.steps.bounce_amplitude), which no longer depends on the frame rate "
        "(8 cm: 0.87x at 24-60 fps, 0.84x at 120; the hip landmark read 0.52x-0.68x). It "
        "depends on the bounce's size instead (the model smooths small motions more: 4 cm "
        "0.67x, 9-11 cm 0.97-0.98x), so 15% (issue 10's tolerance), not the 8% that the "
        "narrowest gap between the bounce thresholds (16%) would ask for",
    ),
    "facing": Check("facing", "equal", "", {}),
}

#: (condition, metric) -> why formcheck is known to get it wrong today; ``"*"`` = all
#: metrics (the analysis fails). Each must fail on the condition's first seed (the one
#: ``tests/test_accuracy.py`` runs, as a strict xfail); the report shows what every seed
#: measured. The reasons name mechanisms only: the numbers are in the report.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


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
    from formcheck.model.settings import Settings
    from formcheck.pipeline.run import run_analysis
    from formcheck.synth.render import render_clip
    from formcheck.synth.runner import condition_spec

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
        expected = c.expected_ratio(record["fps"])
        return {"ok": abs(r / expected - 1) <= c.tol, "error": r, "corrected": r / expected,
                "limit": f"{expected:g} x (1 +- {c.tol:g})", "detail": f"{got:.4g} / {want:.4g}"}
    # MediaPipe's bias on the drawn figure, plus what formcheck deliberately adds to the
    # head angles for the runner's facing (kinematics.metrics.facing_correction_deg; the
    # biases above were measured on the uncorrected readings)
    from formcheck.kinematics.metrics import facing_correction_deg

    facing = record["truth"].get("facing")
    shift = facing_correction_deg(metric, 1 if facing == "right" else -1) if facing in ("left", "right") else 0.0
    bias = c.bias.get(record["posture"], c.bias.get("standard", 0.0)) + shift
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


#: How far formcheck's camera-roll estimate may be from the truth (deg). A roll adds
#: itself to the trunk-lean reading, so this is the trunk-lean decision tolerance: half
#: the 3 deg between the mild and moderate waist-lean thresholds (``assess.norms``).
ROLL_TOL_DEG = 1.5


def judge_roll(record: dict[str, Any]) -> dict[str, Any] | None:
    """formcheck's camera-roll estimate against the truth (None when not reported).

    A camera rolled by more than :data:`ROLL_TOL_DEG` must be estimated within it
    (applied or only flagged); on a level camera an estimate may be anything as long as
    it is not applied, and an applied one must be within the tolerance.
    """
    roll, applied = _tilt(record)
    if roll is None:
        return None
    true_roll = record["truth"].get("camera", {}).get("roll_deg", 0.0)
    err = roll - true_roll
    must = applied or abs(true_roll) > ROLL_TOL_DEG
    return {"estimate": roll, "truth": true_roll, "error": err, "applied": applied,
            "ok": (not must) or abs(err) <= ROLL_TOL_DEG}


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
    """formcheck's version and analysis revision, and the libraries that can move a number."""
    import formcheck
    from formcheck.model.provenance import library_versions

    libs = ", ".join(f"{k} {v or 'missing'}" for k, v in library_versions().items())
    return f"formcheck {formcheck.__version__} (analysis revision {formcheck.ANALYSIS_REVISION}), {libs}"


def _commit() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_meta(args: argparse.Namespace, wall_s: float) -> dict[str, Any]:
    """How and where the records were measured (stored beside them)."""
    return {
        "command": " ".join(sys.argv[1:]) or "no options",
        "measured_at": _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "wall_s": round(wall_s, 1),
        "machine": _machine(),
        "versions": _versions(),
        "commit": _commit(),
        "seeds": args.seeds,
        "scale": args.scale,
        "duration": args.duration,
    }


def write_markdown(records: list[dict[str, Any]], path: Path, meta: dict[str, Any],
                   regenerated: str | None = None) -> None:
    """Write the report. Every number in it comes from ``records`` and ``meta`` (the
    measurement) or from the checks and conditions defined in this file."""
    from formcheck.synth.runner import ACCURACY_BASE, CONDITIONS

    conds = list(dict.fromkeys(r["condition"] for r in records))
    by = {c: [r for r in records if r["condition"] == c] for c in conds}
    L: list[str] = []
    L.append("# Accuracy against synthetic ground truth")
    L.append("")
    L.append(
        "Generated by `python benchmarks/accuracy.py` "
        f"(`{meta['command']}`) at {meta['commit']} on {meta['measured_at']}; "
        f"{len(records)} clips in {meta['wall_s'] / 60:.1f} min."
        + (f" Report rewritten from the stored records ({regenerated})." if regenerated else "")
    )
    L.append(f"Machine: {meta['machine']}. Versions: {meta['versions']}.")
    L.append("")
    duration = f"; every clip {meta['duration']:g} s long" if meta["duration"] else ""
    L.append("Head and gaze calibration on real people (hand-annotated tragus, C7 and eye corner; thresholds and per-clip measurement error): [head_calibration.md](head_calibration.md).")
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
        f"Seeds per condition: {meta['seeds']} (the seed changes the background texture and the "
        f"noise); frame size scale {meta['scale']:g}"
        f"{duration}. "
        "Regenerate with the command above; "
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
            cmp_ = "\\|(reading / truth) / expected - 1\\| <= tol"
            tol = f"{ch.tol:.0%}; expected " + ", ".join(
                f"{v:g} at {f:g} fps" for f, v in (ch.by_fps or {}).items())
        else:
            cmp_, tol = "equal", "-"
        b0 = ch.bias.get("standard")
        b1 = ch.bias.get("waist_bend_head_28", b0)
        L.append(f"| {name} | {cmp_} | {_fmt(b0, 3) if b0 is not None else '-'} | "
                 f"{_fmt(b1, 3) if b1 is not None else '-'} | {tol} | {ch.note} |")
    L.append("")
    L.append(
        "The biases are MediaPipe's on this drawn figure, not formcheck's (where its ear and "
        "hip sit relative to the drawn joints: `sample_videos/README.md`). The neck angles' "
        "bias depends on the posture, so it is stated per posture."
    )
    L.append("")
    L.append("## What formcheck gets wrong in this run")
    L.append("")
    L.append("Checks that fail (condition, seed, metric):")
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
        L.append(
            "Known failures (strict xfail in `tests/test_accuracy.py`, which runs each "
            "condition's first seed; a known failure that passes there fails the test run), "
            "with what this run measured:"
        )
        L.append("")
        for (c, m), why in KNOWN_FAILURES.items():
            seen = []
            for r in by.get(c, []):
                metrics = list(CHECKS) if m == "*" else [m]
                bad = [f"{x} {judge(r, x)['detail']}" for x in metrics if not judge(r, x)["ok"]]
                if r["error"] is not None:
                    bad = [f"`{r['error']}`"]
                seen.append(f"seed {r['seed']}: " + ("; ".join(bad) if bad else "passes"))
            L.append(f"- `{c}` / `{m}`: {why}. This run: {' | '.join(seen) or 'not run'}.")
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
            L.append("| condition | fps | truth | readings | reading / truth | expected | ok |")
            L.append("|---|---|---|---|---|---|---|")
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
                fps = rs[0]["fps"]
                L.append(f"| {c} | {fps:g} | {tv_s} | {got} | {rat} | "
                         f"{ch.expected_ratio(fps):g} | {ok} |")
            else:
                nd = 3 if ch.unit == "torso" else 2
                err = "/".join(_fmt(j["error"], nd) for j in js)
                cor = "/".join(_fmt(j["corrected"], nd) for j in js)
                L.append(f"| {c} | {tv_s} | {got} | {err} | {cor} | {ok} |")
    ratio_checks = [n for n, ch in CHECKS.items() if ch.kind == "ratio"]
    for name in ratio_checks:
        L.append("")
        L.append(f"#### {name}: reading / truth by frame rate (this run)")
        L.append("")
        L.append("Over the conditions that differ from the base only in frame rate or in nothing "
                 "(`baseline`, `fps_*`), every seed:")
        L.append("")
        L.append("| fps | clips | min | median | max | expected (`CHECKS`) |")
        L.append("|---|---|---|---|---|---|")
        rows: dict[float, list[float]] = {}
        for r in records:
            if r["condition"] == "baseline" or r["condition"].startswith("fps_"):
                j = judge(r, name)
                if j["error"] is not None:
                    rows.setdefault(float(r["fps"]), []).append(j["error"])
        for fps in sorted(rows):
            v = sorted(rows[fps])
            med = v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2
            L.append(f"| {fps:g} | {len(v)} | {v[0]:.3f} | {med:.3f} | {v[-1]:.3f} | "
                     f"{CHECKS[name].expected_ratio(fps):g} |")
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
    p.add_argument("--json", type=Path, default=CACHE,
                   help=f"where the raw records are kept (default {CACHE.relative_to(ROOT)})")
    p.add_argument("--workdir", type=Path, default=None, help="keep the clips here")
    p.add_argument("--from-json", type=Path, default=None,
                   help="rewrite the report from records saved with --json (no rendering)")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    if args.from_json:
        stored = json.loads(args.from_json.read_text())
        write_markdown(stored["records"], args.out, stored["meta"],
                       regenerated=f"--from-json, {_dt.date.today().isoformat()} at {_commit()}")
        print(f"wrote {args.out}")
        return 0
    records = []
    args.json.parent.mkdir(parents=True, exist_ok=True)
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
                # after every clip, so that an interrupted run keeps what it measured
                args.json.write_text(json.dumps({"meta": None, "records": records}, default=str))
    meta = run_meta(args, time.perf_counter() - t0)
    args.json.write_text(json.dumps({"meta": meta, "records": records}, indent=1, default=str))
    write_markdown(records, args.out, meta)
    print(f"wrote {args.out} (records: {args.json})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
