"""Head calibration on real people: MediaPipe's ear, shoulder and nose against landmarks
annotated by eye (tragus, C7, outer eye corner) on frames of real side-view clips.

    python benchmarks/head_calibration.py --videos ../shared/videos [--cache /tmp/hc]

Reads ``tests/data/head_landmarks.csv`` (pixel coordinates in the upright frame, annotated
on zoomed crops with a pixel grid, without the MediaPipe points shown), runs formcheck's
pose pass and analysis on each clip, and prints the tables of ``docs/head_calibration.md``:
landmark offsets (torso lengths), the proxy CVA against the clinical CVA (C7->tragus vs
horizontal), the geometric transfer that :func:`formcheck.assess.norms.cva_proxy_from_clinical`
uses, and the gaze lines. The clips are not part of the repository.
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _points(videos: Path, cache: Path, clip: str) -> tuple[pd.DataFrame, int, np.ndarray, np.ndarray]:
    """Per-frame table, facing sign, raw landmarks and visibilities of one clip."""
    from formcheck.assess.analysis import analyze_extracted
    from formcheck.model.settings import Settings
    from formcheck.pose.extract import extract_runner

    pk = cache / f"{Path(clip).stem}.pkl"
    if pk.exists():
        ex = pickle.loads(pk.read_bytes())
    else:
        ex = extract_runner(str(videos / clip), Settings(video=False, report=False))
        pk.write_bytes(pickle.dumps(ex))
    a = analyze_extracted(ex, Settings(video=False, report=False))
    return a.frames, a.view.facing_sign, ex.raw.xy, ex.raw.visibility


def measure(videos: Path, cache: Path) -> pd.DataFrame:
    from formcheck.kinematics.metrics import facing_correction_deg

    ann = pd.read_csv(ROOT / "tests" / "data" / "head_landmarks.csv")
    rows = []
    for clip, g in ann.groupby("clip", sort=False):
        fr, s, xy, vis = _points(videos, cache, clip)
        first = g[g.annotation == "neck_and_head"].set_index("frame")
        for _, a in g[g.annotation != "c7_repeat"].iterrows():
            r = fr.iloc[int(a.frame)]
            ear = np.array([r.ear_x, r.ear_y])
            sh = np.array([r.shoulder_x, r.shoulder_y])
            nose = np.array([r.nose_x, r.nose_y])
            torso = float(np.hypot(r.shoulder_x - r.hip_x, r.shoulder_y - r.hip_y))
            v = vis[int(a.frame)]
            eye = xy[int(a.frame), 3] if v[7] >= v[8] else xy[int(a.frame), 6]
            tr = np.array([a.tragus_x, a.tragus_y])
            if not np.isfinite(tr).all():
                f0 = first.loc[a.frame]
                tr = np.array([f0.tragus_x, f0.tragus_y])
            ca = np.array([a.canthus_x, a.canthus_y])

            def up(p: np.ndarray, q: np.ndarray, s: int = s) -> float:
                """Angle of p->q above horizontal, towards the facing direction (deg)."""
                return float(np.degrees(np.arctan2(p[1] - q[1], s * (q[0] - p[0]))))

            # formcheck's readings: the geometry plus the facing correction (kinematics.metrics)
            row = {"clip": clip, "frame": int(a.frame), "annotation": a.annotation, "torso_px": torso,
                   "tilt_clin": -up(tr, ca), "pitch_mp": -up(ear, nose) + facing_correction_deg("head_pitch_deg", s),
                   "eyeline_mp": -up(ear, eye)}
            if a.annotation == "neck_and_head":
                c7 = np.array([a.c7_x, a.c7_y])
                rep = g[(g.annotation == "c7_repeat") & (g.frame == a.frame)]
                if len(rep):
                    row.update(c7_repeat_down=(rep.c7_y.iloc[0] - c7[1]) / torso,
                               c7_repeat_fwd=s * (rep.c7_x.iloc[0] - c7[0]) / torso)
                row.update(cva_clin=up(c7, tr), cva_mp=up(sh, ear) + facing_correction_deg("cva_deg", s),
                           ear_fwd=s * (ear[0] - tr[0]) / torso, ear_down=(ear[1] - tr[1]) / torso,
                           sh_fwd=s * (sh[0] - c7[0]) / torso, sh_down=(sh[1] - c7[1]) / torso,
                           tragus_c7=float(np.hypot(*(tr - c7))) / torso)
            rows.append(row)
    return pd.DataFrame(rows)


def _transfer(nh: pd.DataFrame, down: float, fwd: float) -> tuple[float, float, float, np.ndarray]:
    """(extra height, extra forward run, median tragus-C7, clinical CVA per frame) with
    every C7 mark moved ``down`` / ``fwd`` torso lengths."""
    sh_down = nh.sh_down - down
    sh_fwd = nh.sh_fwd - fwd
    dv = float((sh_down - nh.ear_down).mean())
    dh = float((nh.ear_fwd - sh_fwd).mean())
    # tragus relative to the moved C7 (torso lengths; up and forward positive)
    up = np.sin(np.radians(nh.cva_clin)) * nh.tragus_c7 + down
    run = np.cos(np.radians(nh.cva_clin)) * nh.tragus_c7 - fwd
    return dv, dh, float(np.median(np.hypot(up, run))), np.degrees(np.arctan2(up, run))


def report(df: pd.DataFrame) -> str:
    from formcheck.assess.norms import cva_proxy_from_clinical

    L = []
    nh = df[df.annotation == "neck_and_head"].copy()
    rep = nh.dropna(subset=["c7_repeat_down"])
    L.append(f"C7 marked twice on {len(rep)} frames: the second mark moved {rep.c7_repeat_down.mean():+.3f} ± "
             f"{rep.c7_repeat_down.std():.3f} torso lengths down (+) and {rep.c7_repeat_fwd.mean():+.3f} ± "
             f"{rep.c7_repeat_fwd.std():.3f} forward (+) (mean ± SD).\n")
    variants = {"first pass": (0.0, 0.0),
                "midpoint of the passes": (rep.c7_repeat_down.mean() / 2, rep.c7_repeat_fwd.mean() / 2),
                "second-pass convention": (rep.c7_repeat_down.mean(), rep.c7_repeat_fwd.mean())}
    L.append("| C7 convention | extra height | extra run | tragus-C7 | clinical CVA (mean) | "
             "proxy at clinical 50 / 45.5 / 40 / 25 |")
    L.append("|---|---|---|---|---|---|")

    def t(c: float, dv: float, dh: float, d: float) -> float:
        return float(np.degrees(np.arctan2(d * np.sin(np.radians(c)) + dv, d * np.cos(np.radians(c)) + dh)))

    for name, (down, fwd) in variants.items():
        dv, dh, d, clin = _transfer(nh, down, fwd)
        L.append(f"| {name} | {dv:.3f} | {dh:+.3f} | {d:.3f} | {np.mean(clin):.1f} | "
                 + " / ".join(f"{t(c, dv, dh, d):.1f}" for c in (50, 45.5, 40, 25)) + " |")
    L.append("")
    # from here on: the midpoint convention (what formcheck uses)
    down, fwd = variants["midpoint of the passes"]
    nh["sh_down"] = nh.sh_down - down
    nh["sh_fwd"] = nh.sh_fwd - fwd
    _, _, _, clin = _transfer(nh, down, fwd)
    up = np.sin(np.radians(nh.cva_clin)) * nh.tragus_c7 + down
    run = np.cos(np.radians(nh.cva_clin)) * nh.tragus_c7 - fwd
    nh["tragus_c7"] = np.hypot(up, run)
    nh["cva_clin"] = clin
    hz = df[df.annotation == "head_zoom"]
    L.append(f"Frames: {len(nh)} (neck and head) + {len(hz)} (second pass on the head) from "
             f"{nh['clip'].nunique()} clips. Below: C7 at the midpoint of the two passes' conventions.\n")
    L.append("| clip | frames | torso px | clinical CVA | proxy CVA | proxy - clinical |")
    L.append("|---|---|---|---|---|---|")
    for clip, g in nh.groupby("clip", sort=False):
        L.append(f"| {clip} | {len(g)} | {g.torso_px.mean():.0f} | {g.cva_clin.mean():.1f} ± {g.cva_clin.std():.1f} "
                 f"| {g.cva_mp.mean():.1f} ± {g.cva_mp.std():.1f} | {(g.cva_mp - g.cva_clin).mean():+.1f} |")
    L.append("")
    L.append("| offset (torso lengths) | mean | SD |")
    L.append("|---|---|---|")
    for name, col in (("ear landmark ahead of the tragus", "ear_fwd"), ("ear landmark below the tragus", "ear_down"),
                      ("shoulder landmark ahead of C7", "sh_fwd"), ("shoulder landmark below C7", "sh_down"),
                      ("tragus-C7 distance", "tragus_c7")):
        L.append(f"| {name} | {nh[col].mean():+.3f} | {nh[col].std():.3f} |")
    dv = nh.sh_down - nh.ear_down
    dh = nh.ear_fwd - nh.sh_fwd
    d = nh.tragus_c7.median()
    pred = np.array([cva_proxy_from_clinical(c, t) for c, t in zip(nh.cva_clin, nh.tragus_c7, strict=True)])
    res = nh.cva_mp - pred
    clip_res = res.groupby(nh["clip"]).mean()
    diff = nh.cva_mp - nh.cva_clin
    L.append("")
    L.append(f"- proxy - clinical CVA: mean {diff.mean():+.1f} deg, SD {diff.std():.1f} deg (per frame); "
             f"linear fit proxy = {np.polyfit(nh.cva_clin, nh.cva_mp, 1)[0]:.2f} x clinical + "
             f"{np.polyfit(nh.cva_clin, nh.cva_mp, 1)[1]:.1f}, r = {np.corrcoef(nh.cva_clin, nh.cva_mp)[0, 1]:.2f}")
    L.append(f"- extra height of the shoulder->ear line over C7->tragus: {dv.mean():.3f} ± {dv.std():.3f} torso; "
             f"extra forward run {dh.mean():+.3f} ± {dh.std():.3f}; median tragus-C7 {d:.3f} torso")
    L.append(f"- geometric transfer residual (proxy - transfer(clinical, each frame's tragus-C7)): "
             f"mean {res.mean():+.2f}, SD {res.std():.2f} deg per frame; SD of the clip means "
             f"{clip_res.std():.2f} deg")
    L.append("- transfer of the published cut-offs: " + ", ".join(
        f"clinical {c:g} -> proxy {cva_proxy_from_clinical(c):.1f}" for c in (50, 45.5, 44, 40, 25)))
    for name, part in (("first pass (neck and head crops)", nh), ("second pass (head crops)", hz)):
        if not len(part):
            continue
        p = np.polyfit(part.tilt_clin, part.pitch_mp, 1)
        res_p = part.pitch_mp - np.polyval(p, part.tilt_clin)
        L.append(f"- gaze, {name}: ear->nose pitch - tragus->eye-corner line {(part.pitch_mp - part.tilt_clin).mean():+.1f} "
                 f"± {(part.pitch_mp - part.tilt_clin).std():.1f} deg; MediaPipe ear->eye line - annotated "
                 f"{(part.eyeline_mp - part.tilt_clin).mean():+.1f} ± {(part.eyeline_mp - part.tilt_clin).std():.1f}; "
                 f"fit pitch = {p[0]:.2f} x line + {p[1]:.1f} (r = {np.corrcoef(part.tilt_clin, part.pitch_mp)[0, 1]:.2f}), "
                 f"SD of the clip-mean residual {res_p.groupby(part['clip']).mean().std():.1f} deg")
    return "\n".join(L)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--videos", default=str(ROOT.parent / "shared" / "videos"))
    p.add_argument("--cache", default="/tmp/formcheck_head_calibration")
    p.add_argument("--csv", help="also write the per-frame measurements here")
    args = p.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    df = measure(Path(args.videos), cache)
    if args.csv:
        df.to_csv(args.csv, index=False)
    import formcheck
    from formcheck.model.provenance import library_versions

    made_with = ", ".join(f"{k} {v or 'missing'}" for k, v in library_versions().items())
    print(report(df))
    print(f"\nMade with formcheck {formcheck.__version__} (analysis revision "
          f"{formcheck.ANALYSIS_REVISION}), {made_with}.")


if __name__ == "__main__":
    main()
