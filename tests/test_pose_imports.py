"""The pose pass keeps pandas and scipy out of the process while the landmarkers run.

:mod:`formcheck.pose.extract` promises this (the largest process peaks lower when they
load after the landmarkers are closed). Each check runs in a fresh interpreter, since
the test process itself has imported both long ago.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("pandas", "scipy")


def loaded_after(code: str) -> dict[str, bool]:
    """Run ``code`` in a new interpreter; which of ``HEAVY`` it left in ``sys.modules``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_probe_sees_an_import() -> None:
    """The check can fail: importing the analysis does load pandas and scipy."""
    assert loaded_after("import formcheck.assess.analysis") == {"pandas": True, "scipy": True}


def test_importing_the_pose_pass_loads_neither() -> None:
    code = ("import formcheck.pose.extract, formcheck.pose.landmarker, "
            "formcheck.pose.selection, formcheck.pose.tilt")
    assert loaded_after(code) == {"pandas": False, "scipy": False}


@pytest.mark.slow  # runs the pose model (on a 2 s clip)
def test_running_the_pose_pass_loads_neither(tmp_path: Path) -> None:
    from formcheck.synth.render import render_clip
    from formcheck.synth.runner import RunnerSpec

    clip = tmp_path / "short.mp4"
    render_clip(RunnerSpec(duration_s=2.0, width=320, height=240, runner_height_px=190.0), clip)
    code = (
        "from formcheck.model.settings import Settings\n"
        "from formcheck.pose.extract import extract_runner\n"
        f"ext = extract_runner({str(clip)!r}, Settings(video=False, report=False))\n"
        "assert ext.raw.detected.sum() > 0.9 * len(ext.raw.detected), 'runner not found'\n"
    )
    assert loaded_after(code) == {"pandas": False, "scipy": False}
