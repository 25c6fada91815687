"""Golden summaries: the key results of an analysis, recorded once and compared later.

The restructure of issue 9 must not change any result. This module records, per clip,
the values a user reads off a summary (view, facing, gait, steps, cadence, every
metric's median, the faults with their severities and statuses) into a small JSON file, and
``tests/test_golden.py`` runs the current code on the same clips and compares.

Recording (run from the checkout whose results are the reference; ``PYTHONPATH``
decides which ``formcheck`` is imported, so the reference can be an older commit)::

    # the sample clips (checked in: tests/data/golden_summaries.json)
    PYTHONPATH=$PWD python tests/golden.py record tests/data/golden_summaries.json \\
        sample_videos/runner_side_*.mp4
    # the real clips, one at a time (checked in: tests/data/golden_real_clips.json)
    PYTHONPATH=$PWD nice -n 10 python tests/golden.py record tests/data/golden_real_clips.json \\
        ../shared/videos/*.mp4

``record`` adds or replaces the entries of the clips it is given and keeps the others,
so clips can be recorded one per call. It stores the ``git describe`` of the code that
produced each entry, the ``formcheck.ANALYSIS_REVISION`` the file holds results of, and a
hash of the recorded values. Results that move need a new revision: ``record`` refuses
to write changed values under the revision they were recorded with, and
``tests/test_golden.py`` fails when the file's revision is not the code's or its values
do not match their hash (edited by hand).

A deliberate change of results (a fixed bug, a new rule) re-records both files from
the new code, and the commit message says why the values moved. An unexplained
difference is a regression.

Determinism, measured at 33744e9 on the three sample clips: two runs with the same
settings give identical summaries (every value, to the last stored decimal). The
number of pose threads does change results: each landmarker tracks its own part of the
clip and starts it with a fresh detection, so ``threads=1`` and ``threads=2`` differ by
up to 0.55 deg (neck-trunk angle) and 0.8 deg (head bob) on the same clip. The default
(``threads=0``) takes one thread per core, at most 2, so the golden runs pin
``GOLDEN_THREADS`` = 2 to give the same numbers on any machine.

Tolerance: numbers are compared with ``math.isclose(rel_tol=1e-6, abs_tol=1.5e-4)``.
Identical code gives identical numbers; 1e-6 relative only absorbs a last-bit
difference of another platform's maths library, and 1.5e-4 lets a median that lands on
a rounding edge move by one unit of the fourth decimal the summary rounds it to. Both
are far below any decision the numbers feed: the narrowest gap between two severity
thresholds in ``formcheck.assess.norms`` is 2 cm / 3 deg / 0.04 torso. Strings, step
counts, faults and severities must match exactly.
"""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

GOLDEN_THREADS = 2  # pose landmarkers side by side; results depend on it (see above)
NUMBER_RTOL = 1e-6
NUMBER_ATOL = 1.5e-4


def _as_dict(summary: Any) -> dict[str, Any]:
    """The summary as a plain dict, whatever type ``run_analysis`` returns."""
    if isinstance(summary, dict):
        return summary
    for name in ("to_dict", "model_dump", "as_dict"):
        if hasattr(summary, name):
            return getattr(summary, name)()
    if dataclasses.is_dataclass(summary):
        return dataclasses.asdict(summary)  # type: ignore[arg-type]
    raise TypeError(f"cannot read a summary of type {type(summary).__name__}")


def key_values(summary: Any) -> dict[str, Any]:
    """The values of a summary that must not change without a reason."""
    s = _as_dict(summary)
    gait = s.get("gait") or {}
    return {
        "view": s["view"],
        "facing": s["facing"],
        "gait_kind": gait.get("kind") if isinstance(gait, dict) else None,
        "steps": s["steps"],
        "segments": s["segments"],
        "frames_with_runner": s["detection"]["frames_with_runner"],
        "metrics": {name: {"measurable": bool(m["measurable"]), "median": m["median"]}
                    for name, m in sorted(s["metrics"].items())},
        # status too: "found" and "possible" at the same severity read differently
        "faults": [[f["code"], f["severity"], f.get("status", "found")] for f in s["faults"]],
    }


def analyse(clip: Path) -> dict[str, Any]:
    """Run the analysis (tables only) with the default settings and ``GOLDEN_THREADS``
    pose threads; return the summary."""
    import tempfile

    try:  # after the restructure
        from formcheck.model.settings import Settings
        from formcheck.pipeline.run import run_analysis
    except ImportError:  # before it (33744e9 and older)
        from formcheck.config import Settings  # type: ignore[no-redef]

        from formcheck.pipeline import run_analysis  # type: ignore[no-redef]
    settings = Settings(video=False, report=False, threads=GOLDEN_THREADS)
    with tempfile.TemporaryDirectory() as tmp:
        return _as_dict(run_analysis(clip, Path(tmp) / "out", settings))


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every place where ``actual`` differs from ``expected`` (numbers to the tolerance)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{path}/{k}: missing" for k in expected if k not in actual]
        out += [f"{path}/{k}: unexpected" for k in actual if k not in expected]
        for k in expected.keys() & actual.keys():
            out += differences(expected[k], actual[k], f"{path}/{k}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {expected!r} != {actual!r}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual, strict=True))
                for d in differences(e, a, f"{path}[{i}]")]
    numbers = (int, float)
    if (isinstance(expected, numbers) and isinstance(actual, numbers)
            and not isinstance(expected, bool) and not isinstance(actual, bool)):
        if math.isclose(expected, actual, rel_tol=NUMBER_RTOL, abs_tol=NUMBER_ATOL):
            return []
        return [f"{path}: expected {expected!r}, got {actual!r}"]
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


def _code_version() -> str:
    import formcheck

    root = Path(formcheck.__file__).resolve().parents[1]
    try:
        return subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def expected_values(entry: dict[str, Any]) -> dict[str, Any]:
    """A recorded entry without its bookkeeping: the values compared."""
    return {k: v for k, v in entry.items() if k != "recorded_with"}


def values_hash(clips: dict[str, Any]) -> str:
    """The hash of every clip's recorded values (not of who recorded them)."""
    import hashlib

    canon = {name: expected_values(entry) for name, entry in sorted(clips.items())}
    return hashlib.sha256(json.dumps(canon, sort_keys=True).encode()).hexdigest()


class RevisionNotRaised(RuntimeError):
    """Results moved, but ``formcheck.ANALYSIS_REVISION`` did not."""


def record(out: Path, clips: list[Path], analyse_clip: Any = None) -> None:
    """Analyse ``clips`` one after another and add their key values to ``out``.

    Raises :class:`RevisionNotRaised` (before writing that clip) when a clip's values
    differ from those recorded under the current analysis revision."""
    from formcheck import ANALYSIS_REVISION

    analyse_clip = analyse_clip or analyse
    data = json.loads(out.read_text()) if out.is_file() else {"clips": {}}
    same_revision = data.get("analysis_revision") == ANALYSIS_REVISION
    version = _code_version()
    for clip in clips:
        print(f"analysing {clip.name} ...", file=sys.stderr, flush=True)
        entry = {"recorded_with": version, **key_values(analyse_clip(clip))}
        old = data["clips"].get(clip.name)
        if same_revision and old is not None:
            moved = differences(expected_values(old), expected_values(entry))
            if moved:
                raise RevisionNotRaised(
                    f"{clip.name}: results moved under analysis revision {ANALYSIS_REVISION} "
                    f"({'; '.join(moved[:3])}): raise formcheck.ANALYSIS_REVISION and record again")
        data["clips"][clip.name] = entry
        data["clips"] = dict(sorted(data["clips"].items()))
        data["analysis_revision"] = ANALYSIS_REVISION
        data["values_sha256"] = values_hash(data["clips"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, indent=1) + "\n")  # after each clip: a crash keeps the rest


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "record":
        print(__doc__, file=sys.stderr)
        return 2
    record(Path(argv[1]), [Path(p) for p in argv[2:]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
