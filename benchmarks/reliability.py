"""formcheck's own test-retest noise per key metric: SEM and MDC95.

Measures how much a metric's clip median moves when nothing about the runner changed,
from three kinds of record, and writes ``docs/reliability.md`` and the table that
``formcheck compare`` judges changes against (``formcheck/assess/reliability_table.py``)::

    python benchmarks/reliability.py                 # analyses are cached in benchmarks/.cache
    python benchmarks/reliability.py --videos ../shared/videos --repeats 5

Records (each a group of readings of one runner under one condition):

``real_halves``
    Each real clip in ``--videos`` (``../shared/videos`` by default) is analysed once;
    its steps are split into the first and the second half, and each half's median of the
    per-step values is one reading. Two readings per clip.
``synth_halves``
    The same split on each synthetic clip.
``synth_repeats``
    One synthetic runner (:class:`formcheck.synth.runner.RunnerSpec`, fixed posture)
    rendered ``--repeats`` times with a different seed (background, sensor noise), a
    slightly different camera (roll +-1 deg, pitch +-2 deg, runner size +-5%, position)
    and a different clothing colour, as a re-test filmed on another day would differ.
    Each clip's median (``summary.json``) is one reading. Two postures.

Statistics (Weir 2005, J Strength Cond Res 19:231; Hopkins 2000, Sports Med 30:1):
the standard error of measurement is the within-runner standard deviation from a
one-way analysis of variance, ``SEM = sqrt(MS_within)`` with
``MS_within = sum_g sum_i (x_gi - mean_g)^2 / sum_g (n_g - 1)``; for pairs this is
``sqrt(sum d^2 / 2G)`` (differences ``d`` between the two readings of each of ``G``
runners, systematic differences included). The minimal detectable change at 95%
confidence is ``MDC95 = 1.96 * sqrt(2) * SEM`` (the difference between two readings
that noise alone exceeds 5% of the time). A 95% interval of the SEM comes from the
chi-square distribution with ``sum_g (n_g - 1)`` degrees of freedom.

``real_segments``
    Each real clip's steps cut into consecutive segments of ``SEGMENT_STEPS`` steps; each
    segment's median is one reading (a group per clip with two or more segments).

The MDC shipped for ``compare`` is, per metric, the largest over the *synthetic* record
kinds with at least ``MIN_DF`` degrees of freedom. Only there is the runner known to be
the same in every reading; in a real clip a change of posture over the clip (the runner
looking down for the first seconds, tiring) cannot be told from measurement noise, and
compare's bootstrap interval already carries the within-session spread. The real records
are reported beside them: they are larger, and they rest on one usable clip per view.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import platform
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from formcheck.assess.change import (  # noqa: E402
    KEY_METRICS,
    mdc95,
    sem_from_groups,
    split_halves,
)

CACHE = ROOT / "benchmarks" / ".cache" / "reliability"
DOC = ROOT / "docs" / "reliability.md"
TABLE = ROOT / "formcheck" / "assess" / "reliability_table.py"
MIN_DF = 3
#: Fewer steps than this in a half: the clip gives no half-vs-half reading.
MIN_STEPS_PER_HALF = 6
#: Steps per segment of a real clip for the ``real_segments`` records.
SEGMENT_STEPS = 8

#: Clips that are not a re-test of one runner at one pace, and why.
REAL_EXCLUDED = {
    "walk_side_two_people_backlit_01.mp4": "walking, not running",
    "outdoor_side_male_grass_barefoot_pace_portrait_02.mp4": (
        "pace changes from 6:30 to 2:10 min/km within the clip (captions): the halves "
        "are two different speeds, not a re-test"
    ),
}

#: Camera and scene changes of the synthetic repeats, per repeat index (cycled).
_VARIATIONS: list[dict[str, Any]] = [
    dict(),
    dict(camera_roll_deg=1.0, noise_sigma=3.0, center_x_frac=0.47),
    dict(camera_roll_deg=-1.0, runner_height_px=171.0, center_x_frac=0.53),
    dict(camera_pitch_deg=2.0, runner_height_px=189.0, noise_sigma=2.0),
    dict(camera_pitch_deg=-2.0, noise_sigma=4.0, center_x_frac=0.5),
    dict(camera_roll_deg=0.5, camera_pitch_deg=1.0, runner_height_px=176.0),
]
_SHIRTS = [(200, 60, 50), (40, 110, 190), (60, 150, 80), (200, 160, 40), (120, 60, 160), (90, 90, 90)]


def synth_runners() -> dict[str, Any]:
    """The synthetic runners whose repeats are measured (6 s, 320x240)."""
    from formcheck.synth.runner import ACCURACY_BASE

    base = replace(ACCURACY_BASE, duration_s=6.0)
    return {
        "forward_head_15": base,
        "waist_bend_10_head_28": replace(
            base, facing="left", body_lean_deg=2.0, waist_bend_deg=10.0, head_forward_deg=28.0,
            cadence_spm=160.0, vertical_oscillation_cm=11.0,
        ),
    }


def repeat_spec(base: Any, i: int) -> Any:
    """Repeat ``i`` of a synthetic runner: another seed, camera and shirt."""
    return replace(base, seed=100 + i, shirt_rgb=_SHIRTS[i % len(_SHIRTS)],
                   **_VARIATIONS[i % len(_VARIATIONS)])


def code_hash() -> str:
    """SHA-256 (16 hex) of formcheck's analysis code: the cache is redone when it changes."""
    import hashlib

    h = hashlib.sha256()
    pkg = ROOT / "formcheck"
    for sub in ("model", "kinematics", "assess", "io", "pose", "pipeline"):
        for f in sorted((pkg / sub).rglob("*.py")):
            if f.name != "reliability_table.py":
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


def analyse_cached(video: Path, folder: Path, key: str) -> Path | None:
    """Analyse ``video`` into ``folder`` unless a complete analysis for ``key`` made by
    the same analysis code (:func:`code_hash`) is there."""
    from formcheck import __version__
    from formcheck.errors import FormcheckError
    from formcheck.model.settings import Settings
    from formcheck.pipeline.run import run_analysis

    stamp = folder / "reliability_key.txt"
    want = f"{key} formcheck {__version__} code {code_hash()}"
    if (folder / "summary.json").exists() and stamp.exists() and stamp.read_text() == want:
        return folder
    try:
        run_analysis(video, folder, Settings(video=False, report=False, threads=1))
    except FormcheckError as exc:
        print(f"  {video.name}: not analysed ({exc})", flush=True)
        return None
    stamp.write_text(want)
    return folder


def _summary_medians(folder: Path) -> dict[str, float]:
    data = json.loads((folder / "summary.json").read_text())
    out = {}
    for name, m in data.get("metrics", {}).items():
        if isinstance(m, dict) and m.get("median") is not None and m.get("measurable", True):
            out[name] = float(m["median"])
    return out


def _steps(folder: Path) -> Any:
    import pandas as pd

    return pd.read_csv(folder / "steps.csv")


def collect_real(videos: Path) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Half-vs-half readings of every usable real clip; and the clips left out, why."""
    used, left_out = [], []
    for clip in sorted(videos.glob("*.mp4")):
        if clip.name in REAL_EXCLUDED:
            left_out.append({"record": clip.name, "why": REAL_EXCLUDED[clip.name]})
            continue
        print(f"real clip {clip.name}", flush=True)
        folder = analyse_cached(clip, CACHE / "real" / clip.stem, f"real {clip.stat().st_size}")
        if folder is None:
            left_out.append({"record": clip.name, "why": "formcheck found nothing to measure"})
            continue
        summary = json.loads((folder / "summary.json").read_text())
        if summary.get("segments") not in (None, "steps"):
            left_out.append({"record": clip.name,
                             "why": f"no step rhythm found (segments: {summary.get('segments')})"})
            continue
        steps = _steps(folder)
        segments = split_segments(steps, SEGMENT_STEPS)
        if len(segments) >= 2:
            used.append(_half_record("real_segments", clip.name, summary, *segments))
        first, second = split_halves(steps)
        if min(len(first), len(second)) < MIN_STEPS_PER_HALF:
            left_out.append({"record": clip.name,
                             "why": f"only {len(steps)} steps (< {MIN_STEPS_PER_HALF} per half, "
                                    f"< 2 segments of {SEGMENT_STEPS})"})
            continue
        used.append(_half_record("real_halves", clip.name, summary, first, second))
    return used, left_out


def split_segments(steps: Any, size: int) -> list[Any]:
    """Consecutive segments of ``size`` steps (by step order); left-over steps at the end
    are dropped."""
    ordered = steps.sort_values("step").reset_index(drop=True)
    return [ordered.iloc[k * size:(k + 1) * size] for k in range(len(ordered) // size)]


def _half_record(kind: str, name: str, summary: dict[str, Any], *parts: Any) -> dict[str, Any]:
    """One group: the median of each part (half, segment) of a clip's steps."""
    readings: dict[str, list[float]] = {}
    for metric in KEY_METRICS:
        m = summary.get("metrics", {}).get(metric)
        if not isinstance(m, dict) or not m.get("measurable", True) or metric not in parts[0]:
            continue
        vals = [float(np.nanmedian(p[metric])) if p[metric].notna().any() else math.nan for p in parts]
        if all(math.isfinite(v) for v in vals):
            readings[metric] = vals
    return {"kind": kind, "record": name, "view": summary.get("view"),
            "steps": [len(p) for p in parts], "readings": readings}


def collect_synth(repeats: int) -> list[dict[str, Any]]:
    """Synthetic repeats (whole-clip medians) and synthetic halves."""
    from formcheck.synth.render import render_clip

    records = []
    for name, base in synth_runners().items():
        clip_readings: dict[str, list[float]] = {}
        clips = []
        for i in range(repeats):
            spec = repeat_spec(base, i)
            key = json.dumps(asdict(spec), sort_keys=True, default=str)
            folder = CACHE / "synth" / f"{name}_r{i}"
            video = folder.parent / f"{name}_r{i}.mp4"
            print(f"synthetic {name} repeat {i}", flush=True)
            if not video.exists() or not (folder / "reliability_key.txt").exists() or \
                    not (folder / "reliability_key.txt").read_text().startswith(key):
                folder.parent.mkdir(parents=True, exist_ok=True)
                render_clip(spec, video)
            done = analyse_cached(video, folder, key)
            if done is None:
                continue
            clips.append(f"{name}_r{i}")
            for metric, value in _summary_medians(done).items():
                if metric in KEY_METRICS:
                    clip_readings.setdefault(metric, []).append(value)
            summary = json.loads((done / "summary.json").read_text())
            first, second = split_halves(_steps(done))
            if min(len(first), len(second)) >= MIN_STEPS_PER_HALF:
                records.append(_half_record("synth_halves", f"{name}_r{i}", summary, first, second))
        records.append({"kind": "synth_repeats", "record": name, "view": "side",
                        "clips": clips, "readings": clip_readings})
    return records


KINDS = ("real_halves", "real_segments", "synth_halves", "synth_repeats")
#: The record kinds the shipped MDC comes from (see the module docstring).
SHIPPED_KINDS = ("synth_halves", "synth_repeats")


def table(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per metric and record kind: SEM, its 95% interval, MDC95, df, groups."""
    from scipy import stats

    out: dict[str, dict[str, Any]] = {}
    for metric in KEY_METRICS:
        per_kind: dict[str, Any] = {}
        for kind in KINDS:
            groups = [r["readings"][metric] for r in records
                      if r["kind"] == kind and len(r["readings"].get(metric, [])) >= 2]
            if not groups:
                continue
            sem, df = sem_from_groups(groups)
            lo = sem * math.sqrt(df / stats.chi2.ppf(0.975, df)) if df else math.nan
            hi = sem * math.sqrt(df / stats.chi2.ppf(0.025, df)) if df else math.nan
            per_kind[kind] = {"sem": sem, "sem_ci95": [lo, hi], "mdc95": mdc95(sem), "df": df,
                              "groups": len(groups),
                              "records": [r["record"] for r in records if r["kind"] == kind
                                          and len(r["readings"].get(metric, [])) >= 2]}
        usable = {k: v for k, v in per_kind.items() if v["df"] >= MIN_DF and k in SHIPPED_KINDS}
        chosen = max(usable, key=lambda k: usable[k]["sem"]) if usable else None
        out[metric] = {"by_record": per_kind, "chosen": chosen,
                       "sem": usable[chosen]["sem"] if chosen else None,
                       "mdc95": usable[chosen]["mdc95"] if chosen else None}
    return out


COVERAGE_N = (30, 60, 200)
COVERAGE_PHI = (0.0, 0.3, 0.5, 0.7)
COVERAGE_REPS = 200


def coverage_study(seed: int = 0) -> dict[tuple[int, float], float]:
    """Coverage of compare's 95% interval on AR(1) step series with a known shift.

    For each (steps n, lag-1 correlation phi): ``COVERAGE_REPS`` pairs of stationary
    AR(1) series (unit variance), B shifted by 1; the share of intervals
    (:func:`formcheck.assess.change.change_ci`, 500 replicates) holding the shift.
    """
    from formcheck.assess.change import change_ci

    rng = np.random.default_rng(seed)
    out = {}
    for n in COVERAGE_N:
        for phi in COVERAGE_PHI:
            hits = 0
            for _ in range(COVERAGE_REPS):
                xs = []
                for _k in range(2):
                    e = rng.normal(0.0, math.sqrt(1 - phi**2), n)
                    x = np.empty(n)
                    x[0] = rng.normal()
                    for i in range(1, n):
                        x[i] = phi * x[i - 1] + e[i]
                    xs.append(x)
                ci = change_ci(xs[0], xs[1] + 1.0, n_boot=500, rng=rng)
                hits += ci.ci_low <= 1.0 <= ci.ci_high
            out[(n, phi)] = hits / COVERAGE_REPS
            print(f"coverage n={n} phi={phi}: {out[(n, phi)]:.3f}", flush=True)
    return out


def step_autocorrelation(records: list[dict[str, Any]]) -> dict[str, list[tuple[str, float]]]:
    """Lag-1 autocorrelation of each key metric's step series in the real clips used."""
    import pandas as pd

    used = sorted({r["record"] for r in records if r["kind"].startswith("real")})
    out: dict[str, list[tuple[str, float]]] = {}
    for name in used:
        folder = CACHE / "real" / Path(name).stem
        if not (folder / "steps.csv").is_file():
            continue
        steps = pd.read_csv(folder / "steps.csv")
        for m in KEY_METRICS:
            if m in steps and steps[m].notna().sum() >= 12:
                x = steps[m].dropna().to_numpy(float)
                xc = x - x.mean()
                if xc @ xc > 0:
                    out.setdefault(m, []).append((name, float(xc[:-1] @ xc[1:] / (xc @ xc))))
    return out


def _fmt(x: Any, nd: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{nd}g}" if abs(x) < 1 else f"{x:.{nd - 1}f}" if abs(x) < 10 else f"{x:.1f}"


def write_doc(records: list[dict[str, Any]], left_out: list[dict[str, str]],
              tab: dict[str, dict[str, Any]], args: argparse.Namespace,
              coverage: dict[tuple[int, float], float], acf: dict[str, list[tuple[str, float]]]) -> None:
    from formcheck import __version__
    from formcheck.assess.change import METRIC_UNITS

    lines = [
        "# How big a change is real: formcheck's test-retest noise",
        "",
        f"Generated by `python benchmarks/reliability.py` on {_dt.date.today().isoformat()} "
        f"(formcheck {__version__}, Python {platform.python_version()}). Do not edit by hand; "
        "rerun the script. `formcheck compare` reads the MDC column from "
        "`formcheck/assess/reliability_table.py`, written by the same run.",
        "",
        "## What is measured, and how",
        "",
        "A reading is a clip's (or half-clip's) median of a metric over its steps, as "
        "`summary.json` reports it. A group is two or more readings of one runner when nothing "
        "about the runner changed:",
        "",
        "- **real_halves**: a real clip's steps split into the first and second half (by step "
        "order); each half's median is one reading. Real changes within a clip (tiring, a "
        "change of pace) count as noise here.",
        f"- **real_segments**: a real clip's steps cut into consecutive segments of {SEGMENT_STEPS} "
        "steps; each segment's median is one reading.",
        "- **synth_halves**: the same split as real_halves on the synthetic clips below.",
        f"- **synth_repeats**: one synthetic runner rendered {args.repeats} times (6 s, 320x240, "
        "30 fps) with another seed, sensor noise 0-4 levels, camera roll +-1 deg, camera pitch "
        "+-2 deg, runner size +-5%, position and shirt colour; each clip's median is one "
        "reading. Two postures: a 15 deg forward head on a 5 deg whole-body lean, and a 10 deg "
        "waist bend with a 28 deg forward head.",
        "",
        "Standard error of measurement (Weir 2005; Hopkins 2000), from a one-way analysis of "
        "variance over the groups:",
        "",
        "    SEM = sqrt(MS_within),  MS_within = sum_g sum_i (x_gi - mean_g)^2 / df,  "
        "df = sum_g (n_g - 1)",
        "",
        "(for pairs, `SEM = sqrt(sum d^2 / 2G)`: systematic differences between first and second "
        "halves count as noise). Minimal detectable change at 95% confidence:",
        "",
        "    MDC95 = 1.96 * sqrt(2) * SEM",
        "",
        "The SEM interval is the 95% chi-square interval on `df`. **Used by compare**: per "
        f"metric the largest MDC95 among the synthetic record kinds with at least {MIN_DF} "
        "degrees of freedom. Only in those is the runner known to be the same in every "
        "reading; in a real clip a change of posture over the clip (looking down for the first "
        "seconds, tiring) cannot be told from measurement noise, and compare's bootstrap "
        "interval already carries the within-session spread.",
        "",
        "**Read this before trusting a verdict on real footage.** The real records below are "
        "larger than the synthetic ones for most metrics, and only one side-view clip and one "
        "front-view clip were long and steady enough to give them (see *Records left out*). "
        "The shipped MDC is therefore formcheck's measurement noise under good conditions "
        "(steady camera, clean figure), a lower bound for real re-tests, which add day-to-day "
        "variation of the runner and the filming. There are no real re-test clips of one "
        "runner on two days here; front-view metrics have no MDC at all.",
        "",
        "## SEM and MDC95 per metric",
        "",
        "| metric | unit | record | n groups | df | SEM | SEM 95% CI | MDC95 | used |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for metric, row in tab.items():
        if not row["by_record"]:
            lines.append(f"| `{metric}` | {METRIC_UNITS.get(metric, '')} | (no data) | 0 | 0 | - | - | - | |")
        for kind, v in row["by_record"].items():
            used = "**yes**" if kind == row["chosen"] else ""
            lines.append(
                f"| `{metric}` | {METRIC_UNITS.get(metric, '')} | {kind} | {v['groups']} | {v['df']} | "
                f"{_fmt(v['sem'])} | {_fmt(v['sem_ci95'][0])}-{_fmt(v['sem_ci95'][1])} | "
                f"{_fmt(v['mdc95'])} | {used} |"
            )
    lines += ["", "Metrics with no record kind of at least "
              f"{MIN_DF} degrees of freedom have no shipped MDC: compare reports their change "
              "and confidence interval but no verdict against noise (`no MDC`).", "",
              "## Records used", ""]
    lines += ["| kind | record | view | steps / clips | metrics |", "|---|---|---|---|---|"]
    for r in records:
        size = "+".join(str(s) for s in r["steps"]) if "steps" in r else f"{len(r.get('clips', []))} clips"
        lines.append(f"| {r['kind']} | {r['record']} | {r.get('view')} | {size} | "
                     f"{len(r['readings'])} |")
    tol = 3 * math.sqrt(0.95 * 0.05 / COVERAGE_REPS)
    lines += [
        "", "## How well compare's confidence interval covers",
        "",
        "`formcheck compare` puts a 95% interval on each change by a circular block bootstrap "
        "over steps (block length: Politis & White 2004 with Patton, Politis & White 2009). "
        f"Coverage on {COVERAGE_REPS} pairs of AR(1) step series per cell (B shifted by a known "
        f"amount; 3 binomial SEs = {tol:.3f}):", "",
        "| steps | " + " | ".join(f"lag-1 corr {p}" for p in COVERAGE_PHI) + " |",
        "|---|" + "---|" * len(COVERAGE_PHI),
    ]
    for n in COVERAGE_N:
        lines.append(f"| {n} | " + " | ".join(f"{coverage[(n, p)]:.3f}" for p in COVERAGE_PHI) + " |")
    lines += ["", "Lag-1 autocorrelation of the per-step series in the real clips used above "
              "(clips with 12 or more measured steps):", ""]
    lines += [f"- `{m}`: " + ", ".join(f"{v:+.2f} ({Path(c).stem[:24]})" for c, v in vals)
              for m, vals in acf.items()]
    lines += ["", "With the correlation real step series show and 30-60 steps, the interval is "
              "too narrow: the bootstrap cannot see the slow wander of a short, strongly "
              "correlated series. This is why compare asks for both: the change must exceed the "
              "MDC95 (measured between sessions, above) *and* the interval must exclude zero."]
    lines += ["", "## Records left out", ""]
    lines += [f"- {x['record']}: {x['why']}" for x in left_out] or ["- none"]
    lines += ["", "## Raw readings", "",
              "Per record and metric, the readings (half or clip medians) in order:", "", "```"]
    for r in records:
        for metric, vals in r["readings"].items():
            lines.append(f"{r['kind']:14s} {r['record'][:48]:48s} {metric:28s} "
                         + " ".join(f"{v:.4g}" for v in vals))
    lines += ["```", ""]
    DOC.write_text("\n".join(lines))


def write_table(tab: dict[str, dict[str, Any]]) -> None:
    """The shipped table: a Python module, so the pure core reads it without file access."""
    rows = []
    for m, row in tab.items():
        df = row["by_record"][row["chosen"]]["df"] if row["chosen"] else 0
        sem = None if row["sem"] is None else round(row["sem"], 5)
        mdc = None if row["mdc95"] is None else round(row["mdc95"], 5)
        rows.append(f"    {m!r}: Reliability({sem!r}, {mdc!r}, {row['chosen']!r}, {df}),")
    TABLE.write_text("\n".join([
        '"""formcheck\'s test-retest noise per metric: GENERATED by benchmarks/reliability.py."""',
        "",
        "# Do not edit: rerun `python benchmarks/reliability.py` (see docs/reliability.md).",
        "# SEM = sqrt(MS_within) over repeated readings of one runner; MDC95 = 1.96 * sqrt(2) * SEM.",
        "",
        "from __future__ import annotations",
        "",
        "from typing import NamedTuple",
        "",
        "",
        "class Reliability(NamedTuple):",
        '    """SEM and MDC95 of a clip median (metric units), the record kind they come from, df."""',
        "",
        "    sem: float | None",
        "    mdc95: float | None",
        "    record: str | None",
        "    df: int",
        "",
        "",
        f"GENERATED = {_dt.date.today().isoformat()!r}",
        "RELIABILITY: dict[str, Reliability] = {",
        *rows,
        "}",
        "",
        "",
        "def mdc_table() -> dict[str, float | None]:",
        '    """Metric -> MDC95 (None where too few re-test records exist)."""',
        "    return {m: r.mdc95 for m, r in RELIABILITY.items()}",
        "",
    ]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", type=Path, default=ROOT.parent / "shared" / "videos",
                   help="folder of real clips (default ../shared/videos)")
    p.add_argument("--repeats", type=int, default=5, help="synthetic repeats per runner")
    p.add_argument("--no-write", action="store_true", help="print the table only")
    args = p.parse_args(argv)
    records, left_out = collect_real(args.videos) if args.videos.is_dir() else ([], [])
    records += collect_synth(args.repeats)
    tab = table(records)
    coverage = coverage_study()
    acf = step_autocorrelation(records)
    for metric, row in tab.items():
        print(f"{metric:30s} chosen={row['chosen']} SEM={_fmt(row['sem'])} MDC95={_fmt(row['mdc95'])}")
    if args.no_write:
        return 0
    write_doc(records, left_out, tab, args, coverage, acf)
    write_table(tab)
    print(f"wrote {DOC.relative_to(ROOT)} and {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
