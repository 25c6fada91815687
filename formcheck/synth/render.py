"""Rendering of the synthetic runner: frames, clips with their truth, the bundled samples.

The runner's motion and camera come from :mod:`formcheck.synth.runner`; the drawing from
:mod:`formcheck.synth.draw` (a 2D figure) and :mod:`formcheck.synth.body3d` (a 3D body).
Reproduce the bundled clips with ``python -m formcheck.synth.render samples sample_videos/``;
render a named condition with ``python -m formcheck.synth.render condition roll_cw_5 out.mp4``.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.synth.runner import (
    _CSV_JOINTS,
    _IMAGE_METRICS,
    _STORE_ROTATION,
    CONDITIONS,
    NEUTRAL_HEAD_PITCH_DEG,
    Kinematics,
    RunnerSpec,
    _metric_columns,
    bystander_spec,
    camera_homography,
    camera_info,
    condition_spec,
    figure_bbox,
    near_side,
    project,
    sample_specs,
    simulate,
    simulate_bystander,
)

__all__ = ["REPEATABLE_X264", "compute_truth", "iter_frames", "main", "render_clip", "render_condition", "render_frame", "render_samples", "stored_frame"]

#: libx264 options that make an encode depend on its input frames only. With the
#: macroblock tree (``mbtree``, on in the ``medium`` preset) the libx264 in PyAV's FFmpeg
#: reads memory it has not written: the same frames encoded with glibc's
#: ``MALLOC_PERTURB_`` at 1 and at 85 gave different files, and a clip rendered after
#: other clips in one process differed from its first render in 76 of 120 decoded frames
#: (walker_in_front, where the passer-by crosses; cadence 167.4 instead of 169.8).
#: With the tree off, every value of ``MALLOC_PERTURB_`` gives the same file.
REPEATABLE_X264: dict[str, str] = {"mbtree": "0"}


def compute_truth(
    spec: RunnerSpec, kin: Kinematics
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Truth summary (JSON-able dict) and per-frame columns from the drawn joints.

    Definitions (pixels, y down, ``s`` the facing sign; shoulder/ear/hip are the drawn
    joint centres, which in the side view are also the left/right midpoints):

    - ``trunk_lean_deg = atan2(s*(shoulder.x - hip.x), hip.y - shoulder.y)``, + forward
    - ``neck_lean_deg = atan2(s*(ear.x - shoulder.x), shoulder.y - ear.y)``
    - ``cva_deg = 90 - neck_lean_deg``; ``neck_trunk_angle_deg = neck_lean - trunk_lean``
    - ``head_forward_offset_torso = s*(ear.x - shoulder.x) / |shoulder - hip|``
    - ``head_pitch_deg = atan2(nose.y - ear.y, s*(nose.x - ear.x))``, + looking down
    - ``shoulder_elevation_torso = (shoulder.y - ear.y) / |shoulder - hip|``
    - ``vertical_oscillation_torso`` = median over complete steps of (max - min of hip y
      within the step) / torso length; ``vertical_oscillation_cm`` the same in cm.

    Angle and ratio metrics in the summary are medians over frames (over the frames in
    full view when the runner enters late or leaves early). These are physical values,
    relative to true vertical; with a rolled or pitched camera the image-space values
    are added under ``"image"`` (see :func:`_footage_truth`).
    """
    cols = _metric_columns(spec, kin)
    hip = kin.joints["hip"]
    torso = cols["torso_len_px"]
    view = kin.in_frame  # None: every frame is in full view

    # per-step oscillation over complete steps only
    osc = []
    for k in np.unique(kin.step_index):
        sel = kin.step_index == k
        frames = np.flatnonzero(sel)
        step_frames = spec.fps * 60.0 / spec.cadence_spm
        if len(frames) < math.floor(step_frames):  # partial step at an end
            continue
        if frames[0] == 0 and (kin.t[0] * spec.cadence_spm / 60.0) % 1 > 1e-9:
            continue
        if view is not None and not view[sel].all():
            continue
        osc.append(float(np.ptp(hip[sel, 1])))
    osc_px = float(np.median(osc)) if osc else float("nan")
    torso_med = float(np.median(torso if view is None else torso[view]))

    def med(name: str) -> float:
        v = cols[name] if view is None else cols[name][view]
        return round(float(np.nanmedian(v)), 4)

    summary: dict[str, Any] = {
        "generator": "formcheck.synth",
        "spec": spec.to_dict(),
        "facing": spec.facing,
        "view": spec.view,
        "near_side": near_side(spec),
        "cadence_spm": spec.cadence_spm,
        "fps": spec.fps,
        "frames": kin.n,
        "width": spec.width,
        "height": spec.height,
        "runner_height_px": spec.runner_height_px,
        "runner_height_cm": spec.runner_height_cm,
        "cm_per_px": spec.cm_per_px,
        "torso_len_px": round(torso_med, 3),
        "trunk_lean_deg": med("trunk_lean_deg"),
        "body_lean_deg": spec.body_lean_deg,
        "waist_bend_deg": spec.waist_bend_deg,
        "neck_lean_deg": med("neck_lean_deg"),
        "cva_deg": med("cva_deg"),
        "neck_trunk_angle_deg": med("neck_trunk_angle_deg"),
        "head_forward_offset_torso": med("head_forward_offset_torso"),
        "head_forward_offset_cm": med("head_forward_offset_cm"),
        "head_pitch_deg": med("head_pitch_deg"),
        "neutral_head_pitch_deg": round(NEUTRAL_HEAD_PITCH_DEG, 4),
        "gaze_down_deg": spec.head_pitch_deg,
        "shoulder_elevation_torso": med("shoulder_elevation_torso"),
        "vertical_oscillation_px": round(osc_px, 4),
        "vertical_oscillation_torso": round(osc_px / torso_med, 5),
        "vertical_oscillation_cm": round(osc_px * spec.cm_per_px, 4),
        "vertical_oscillation_cm_continuous": spec.vertical_oscillation_cm,
        "steps_complete": len(osc),
    }
    # drift: first third vs last third
    third = max(1, kin.n // 3)
    for name in ("neck_trunk_angle_deg", "head_forward_offset_torso", "shoulder_elevation_torso"):
        summary[f"{name}_first_third"] = round(float(np.median(cols[name][:third])), 4)
        summary[f"{name}_last_third"] = round(float(np.median(cols[name][-third:])), 4)
    if not spec.is_plain:
        _footage_truth(spec, kin, cols, summary)
    return summary, cols


def _footage_truth(
    spec: RunnerSpec, kin: Kinematics, cols: dict[str, np.ndarray], summary: dict[str, Any]
) -> None:
    """Add the truth of the real-footage conditions to ``summary`` and ``cols``.

    The posture truth above is physical (relative to true vertical). With a rolled or
    pitched camera, ``summary["image"]`` holds the same metrics measured on the joints
    as they appear in the image, which is what a tool that does not correct the
    camera would read; ``cols`` gains ``<metric>_image`` columns.
    """
    view = kin.in_frame
    if spec.yaw_deg is not None:
        _view3d_truth(spec, kin, summary, cols)
    summary["runner_height_frac"] = round(spec.runner_height_px / spec.height, 4)
    stored = (spec.height, spec.width) if spec.rotation_meta in (90, 270) else (spec.width, spec.height)
    summary["stored_width"], summary["stored_height"] = stored
    summary["rotation_meta"] = spec.rotation_meta
    if view is not None:
        cols["in_frame"] = view.astype(float)
        idx = np.flatnonzero(view)
        summary["frames_in_view"] = len(idx)
        summary["in_view_from_s"] = round(float(kin.t[idx[0]]), 4) if len(idx) else None
        summary["in_view_until_s"] = round(float(kin.t[idx[-1]]), 4) if len(idx) else None
    if spec.camera_moved:
        summary["camera"] = camera_info(spec, kin)
        h = camera_homography(spec)
        img_kin = replace(kin, joints={k: project(h, v) for k, v in kin.joints.items()})
        img_cols = _metric_columns(spec, img_kin)
        image: dict[str, Any] = {}
        for name in _IMAGE_METRICS:
            cols[f"{name}_image"] = img_cols[name]
            v = img_cols[name] if view is None else img_cols[name][view]
            image[name] = round(float(np.nanmedian(v)), 4)
        hip_img = img_kin.joints["hip"]
        osc = [
            float(np.ptp(hip_img[kin.step_index == k, 1]))
            for k in np.unique(kin.step_index)
            if (kin.step_index == k).sum() >= math.floor(spec.fps * 60.0 / spec.cadence_spm)
            and (view is None or view[kin.step_index == k].all())
        ]
        torso_img = float(np.median(img_cols["torso_len_px"]))
        image["vertical_oscillation_torso"] = round(float(np.median(osc)) / torso_img, 5)
        image["torso_len_px"] = round(torso_img, 3)
        summary["image"] = image
    if spec.bystander != "none":
        bkin = simulate_bystander(spec)
        assert bkin is not None
        bs = bystander_spec(spec)
        rb, bb = figure_bbox(kin, spec.runner_height_px), figure_bbox(bkin, bs.runner_height_px)
        in_pic = (bb[:, 2] > 0) & (bb[:, 0] < spec.width)
        overlap = in_pic & (bb[:, 0] < rb[:, 2]) & (bb[:, 2] > rb[:, 0])
        cols["bystander_hip_x"] = bkin.joints["hip"][:, 0]
        cols["bystander_hip_y"] = bkin.joints["hip"][:, 1]
        cols["bystander_overlaps_runner"] = overlap.astype(float)
        summary["bystander"] = {
            "kind": spec.bystander,
            "in_front": spec.bystander_in_front,
            "height_px": round(bs.runner_height_px, 2),
            "facing": bs.facing,
            "cadence_spm": bs.cadence_spm,
            "frames_in_picture": int(in_pic.sum()),
            "frames_overlapping_runner": int(overlap.sum()),
        }


def _view3d_truth(
    spec: RunnerSpec, kin: Kinematics, summary: dict[str, Any], cols: dict[str, np.ndarray]
) -> None:
    """Truth of a 3D runner (``yaw_deg`` set): view, facing, camera and image-space metrics.

    The posture metrics of ``summary`` stay physical (measured in the runner's sagittal
    plane). ``summary["image"]`` holds the same metrics measured on the projected
    joints, with the facing sign of the yaw: what a tool that takes the picture as a
    side view reads (foreshortened by ``cos(yaw)`` in an oblique view).
    """
    from formcheck.synth import body3d

    truth = body3d.camera_truth(spec, kin)
    summary["view3d"] = truth
    summary["view"] = truth["view"]
    summary["facing"] = truth["facing"]
    summary["yaw_deg"] = truth["yaw_deg"]
    img_kin = replace(kin, joints=body3d.image_joints(spec, kin))
    s_img = 1 if math.cos(math.radians(truth["yaw_deg"])) >= 0 else -1
    img_cols = _metric_columns(spec, img_kin, s_img)
    image: dict[str, Any] = {}
    for name in _IMAGE_METRICS:
        cols[f"{name}_image"] = img_cols[name]
        image[name] = round(float(np.nanmedian(img_cols[name])), 4)
    summary["image"] = image


def render_frame(
    spec: RunnerSpec, kin: Kinematics, i: int, background: np.ndarray | None = None
) -> np.ndarray:
    """Frame ``i`` of ``kin`` as an RGB uint8 array (height, width, 3), upright.

    ``background`` (from :func:`formcheck.synth.draw.background`) is reused when given;
    it is ignored for specs with real-footage conditions (see
    :class:`formcheck.synth.draw.FootageRenderer`, which :func:`iter_frames` reuses).
    """
    from formcheck.synth import draw as synth_draw

    if spec.is_plain:
        return synth_draw.render_frame(spec, kin, i, background)
    return synth_draw.FootageRenderer(spec, kin).frame(i)


def iter_frames(spec: RunnerSpec, kin: Kinematics | None = None) -> Iterator[np.ndarray]:
    """Yield every frame of the clip as an RGB uint8 array, upright (as displayed)."""
    kin = kin if kin is not None else simulate(spec)
    from formcheck.synth import draw as synth_draw

    if not spec.is_plain:
        renderer = synth_draw.FootageRenderer(spec, kin)
        for i in range(kin.n):
            yield renderer.frame(i)
        return
    bg = synth_draw.background(spec, kin.floor_y)
    for i in range(kin.n):
        yield render_frame(spec, kin, i, bg)


def stored_frame(spec: RunnerSpec, frame: np.ndarray) -> np.ndarray:
    """The upright ``frame`` as the file stores it (rotated for ``rotation_meta``)."""
    if spec.rotation_meta == 0:
        return frame
    import cv2

    return np.ascontiguousarray(cv2.rotate(frame, _STORE_ROTATION[spec.rotation_meta][0]))


def _truth_rows(
    spec: RunnerSpec, kin: Kinematics, cols: dict[str, np.ndarray]
) -> tuple[list[str], list[list[Any]]]:
    if spec.yaw_deg is not None:  # the 3D runner: joints as the camera sees them
        from formcheck.synth import body3d

        kin = replace(kin, joints=body3d.image_joints(spec, kin))
    if spec.camera_moved:  # joint pixels as they appear in the (upright) image
        h = camera_homography(spec)
        kin = replace(kin, joints={k: project(h, v) for k, v in kin.joints.items()})
    header = ["frame", "time_s", "step_index", "near_foot_contact"]
    for jn in _CSV_JOINTS:
        header += [f"{jn}_x", f"{jn}_y"]
    metric_names = list(cols)
    header += metric_names
    rows = []
    for i in range(kin.n):
        row: list[Any] = [
            i,
            round(float(kin.t[i]), 6),
            int(kin.step_index[i]),
            int(kin.contact_near[i]),
        ]
        for jn in _CSV_JOINTS:
            row += [round(float(kin.joints[jn][i, 0]), 3), round(float(kin.joints[jn][i, 1]), 3)]
        row += ["" if np.isnan(cols[m][i]) else round(float(cols[m][i]), 5) for m in metric_names]
        rows.append(row)
    return header, rows


def render_clip(spec: RunnerSpec, path: str | Path, crf: int | None = None) -> dict[str, Any]:
    """Render ``spec`` to an H.264 MP4 at ``path`` and write its truth beside it.

    Writes ``<stem>.truth.json`` (summary, see :func:`compute_truth`) and
    ``<stem>.truth.csv`` (per frame: joint pixels in the upright image, metric values).
    Returns the summary dict. Timestamps are exact: frame ``i`` is at ``i / fps``.
    ``crf`` overrides ``spec.crf``. With ``rotation_meta`` the frames are stored rotated
    and the stream carries a display matrix (PyAV ``set_display_rotation``), which
    FFmpeg-based players and OpenCV (``CAP_PROP_ORIENTATION_AUTO``) apply; the legacy
    ``rotate`` metadata tag is not written by current FFmpeg muxers.
    """
    crf = spec.crf if crf is None else crf
    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kin = simulate(spec)
    summary, cols = compute_truth(spec, kin)
    from fractions import Fraction

    rate = Fraction(spec.fps).limit_denominator(1001)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stored_wh = (spec.width, spec.height)
        if spec.rotation_meta:
            stream.set_display_rotation(_STORE_ROTATION[spec.rotation_meta][1])
            if spec.rotation_meta != 180:
                stored_wh = (spec.height, spec.width)
        stream.width, stream.height = stored_wh
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": "medium", **REPEATABLE_X264}
        for frame in iter_frames(spec, kin):
            vf = av.VideoFrame.from_ndarray(stored_frame(spec, frame), format="rgb24")
            for packet in stream.encode(vf):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    summary["video"] = path.name
    stem = path.with_suffix("")
    Path(f"{stem}.truth.json").write_text(json.dumps(summary, indent=2) + "\n")
    header, rows = _truth_rows(spec, kin, cols)
    with open(f"{stem}.truth.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return summary


def render_condition(
    name: str, path: str | Path, scale: float = 1.0, **overrides: Any
) -> dict[str, Any]:
    """Render the named condition to ``path`` (MP4 + truth); returns the truth summary."""
    spec = condition_spec(name, scale, **overrides)
    truth = render_clip(spec, path)
    truth["condition"] = name
    return truth


def render_samples(out_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Render the bundled sample clips into ``out_dir``; returns name -> truth summary."""
    out = Path(out_dir)
    return {name: render_clip(spec, out / name) for name, spec in sample_specs().items()}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m formcheck.synth.render samples OUT_DIR`` renders the bundled clips."""
    import argparse

    p = argparse.ArgumentParser(
        prog="python -m formcheck.synth.render", description=__doc__.splitlines()[0]
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("samples", help="render the bundled sample clips")
    sp.add_argument("out_dir")
    cp = sub.add_parser("condition", help="render a named real-footage condition")
    cp.add_argument("name", choices=list(CONDITIONS))
    cp.add_argument("out")
    cp.add_argument("--scale", type=float, default=1.0, help="frame size multiplier")
    args = p.parse_args(argv)
    if args.cmd == "condition":
        t = render_condition(args.name, args.out, scale=args.scale)
        print(
            f"{args.out}: {t['frames']} frames {t['width']}x{t['height']}, trunk "
            f"{t['trunk_lean_deg']:.1f} deg, neck-trunk {t['neck_trunk_angle_deg']:.1f} deg"
        )
    if args.cmd == "samples":
        for name, truth in render_samples(args.out_dir).items():
            print(
                f"{name}: {truth['frames']} frames, trunk {truth['trunk_lean_deg']:.1f} deg, "
                f"neck-trunk {truth['neck_trunk_angle_deg']:.1f} deg"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
