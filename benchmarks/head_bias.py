"""How camera pitch and runner size bias the head measures (CVA proxy, head pitch).

Renders the synthetic runner (``formcheck.synth``) over a grid of camera pitch,
runner size in the frame and head posture, runs the analysis (pose pass included)
and records the clip medians of ``cva_deg`` and ``head_pitch_deg`` against the
physical truth. Used for ``docs/head_calibration.md``; not part of the test suite.

    python benchmarks/head_bias.py --json /tmp/head_bias.json

The synthetic runner is a flat figure warped by the camera homography: it models the
projective part of a pitched camera (foreshortening, keystone), not the 3-D parallax
of a real head seen from below.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

GRID_PITCH = (-20.0, -10.0, 0.0, 10.0, 20.0)
GRID_FRAC = (0.2, 0.3, 0.45, 0.75)
HEAD_FORWARD = (5.0, 25.0)


def one(workdir: Path, frac: float, pitch: float, head: float) -> dict[str, Any]:
    from formcheck.model.settings import Settings
    from formcheck.pipeline.run import analyze
    from formcheck.synth.render import render_clip
    from formcheck.synth.runner import condition_spec

    size = (640, 480) if frac < 0.4 else (320, 240)
    spec = condition_spec("baseline", size=size, runner_frac=frac, camera_pitch_deg=pitch,
                          head_forward_deg=head)
    clip = workdir / f"f{frac}_p{pitch}_h{head}.mp4"
    truth = render_clip(spec, clip)
    rec: dict[str, Any] = {"frac": frac, "pitch": pitch, "head_forward": head,
                           "runner_px": spec.runner_height_px,
                           "truth_cva": truth.get("cva_deg"), "truth_pitch": truth.get("head_pitch_deg"),
                           "truth_image_cva": truth.get("image", {}).get("cva_deg"),
                           "truth_image_pitch": truth.get("image", {}).get("head_pitch_deg")}
    try:
        a = analyze(str(clip), Settings(video=False, report=False))
        st = a.step_table
        rec.update(cva=float(st["cva_deg"].median()), head_pitch=float(st["head_pitch_deg"].median()),
                   steps=len(st), torso_px=float(st["frame_start"].size and
                                                 a.frames[["shoulder_y"]].size and 0.0))
        torso = ((a.frames.shoulder_x - a.frames.hip_x) ** 2 + (a.frames.shoulder_y - a.frames.hip_y) ** 2) ** 0.5
        rec["torso_px"] = float(torso.median())
    except Exception as exc:  # a measurement run: record and go on
        rec["error"] = f"{type(exc).__name__}: {exc}"
    return rec


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--json", default="head_bias.json")
    args = p.parse_args()
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for head in HEAD_FORWARD:
            for frac in GRID_FRAC:
                out.append(one(Path(tmp), frac, 0.0, head))
                print(out[-1], flush=True)
            for pitch in GRID_PITCH:
                if pitch:
                    out.append(one(Path(tmp), 0.75, pitch, head))
                    print(out[-1], flush=True)
    Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
