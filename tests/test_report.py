"""The PDF/PNG report: built from an analysis folder alone, readable, and honest.

The fixtures analyse the synthetic sample clips once per session (pose extraction
takes a few seconds per clip) with the report on and the annotated video off; the tests
that use them are ``slow``. The small helpers at the end run without the pose model.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from formcheck.errors import InputError
from formcheck.model.settings import Settings
from formcheck.render.report import (
    REPORT_PDF,
    REPORT_PNG,
    breathing,
    build_figures,
    fmt,
    load_folder,
    verdict,
    write_report,
)
from formcheck.render.report_draw import crop_box, first_sentence, wrap

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


def _analyse(clip: str, out: Path) -> Path:
    from formcheck.pipeline.run import run_analysis

    run_analysis(SAMPLES / clip, out, Settings(video=False, report=True))
    return out


@pytest.fixture(scope="session")
def forward_head_dir(tmp_path_factory) -> Path:
    return _analyse("runner_side_forward_head.mp4", tmp_path_factory.mktemp("fh"))


@pytest.fixture(scope="session")
def clean_dir(tmp_path_factory, offline) -> Path:
    """The clean sample's folder with its report: the session's shared tables-only
    analysis (conftest's ``offline``) copied and the report written from the copy, as
    ``run_analysis`` writes it from the staged files (forward_head_dir runs that path)."""
    shared = Path(offline.summary(SAMPLES / "runner_side_clean.mp4",
                                  Settings(video=False, report=False))["output_dir"])
    out = tmp_path_factory.mktemp("clean") / "clean"
    shutil.copytree(shared, out)
    write_report(out)
    return out


def pdf_page_count(path: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", path.read_bytes()))


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _gid_texts(fig, prefix: str) -> list:
    """Figure texts whose gid starts with ``prefix``, top to bottom."""
    texts = [t for t in fig.texts if (t.get_gid() or "").startswith(prefix)]
    return sorted(texts, key=lambda t: -t.get_position()[1])


# --- written files -----------------------------------------------------------------------


@pytest.mark.slow
def test_analyze_writes_pdf_with_several_pages_and_a_wide_png(forward_head_dir):
    pdf, png = forward_head_dir / REPORT_PDF, forward_head_dir / REPORT_PNG
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf_page_count(pdf) >= 4
    width, height = png_size(png)
    assert width >= 1200 and height > 800


@pytest.mark.slow
def test_page_count_matches_the_figures(forward_head_dir):
    figs = build_figures(load_folder(forward_head_dir))
    assert pdf_page_count(forward_head_dir / REPORT_PDF) == len(figs)


# --- content -----------------------------------------------------------------------------


@pytest.mark.slow
def test_forward_head_clip_lists_forward_head_first_with_its_evidence_frame(forward_head_dir):
    summary = json.loads((forward_head_dir / "summary.json").read_text())
    assert verdict(summary)[0]["code"] == "forward_head"
    fig = build_figures(load_folder(forward_head_dir))[0]
    faults = _gid_texts(fig, "fault:")
    assert faults, "page 1 shows no faults"
    assert faults[0].get_gid() == "fault:forward_head"
    assert faults[0].get_text() == "Head held forward of the shoulders"
    head = _gid_texts(fig, "verdict")[0].get_text()
    assert re.match(r"\d+ form faults? found", head), head
    # The worst still is the forward-head fault's evidence frame, and its caption says so.
    worst = summary["faults"][0]["evidence"]["worst"]["frame"]
    assert summary["evidence_frames"]["worst"] == worst
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert any(t.startswith("Worst moment: head forward") for t in titles), titles
    # The one thing to change is the first sentence of the advice.
    assert verdict(summary)[0]["change"].startswith("Bring your head back over your shoulders")


@pytest.mark.slow
def test_clean_clip_says_no_faults(clean_dir):
    summary = json.loads((clean_dir / "summary.json").read_text())
    assert summary["faults"] == []
    fig = build_figures(load_folder(clean_dir))[0]
    assert _gid_texts(fig, "verdict")[0].get_text() == "No form faults found"
    assert _gid_texts(fig, "fault:") == []


@pytest.mark.slow
def test_every_chart_has_titles_and_axis_labels(forward_head_dir):
    figs = build_figures(load_folder(forward_head_dir))
    assert len(figs) >= 4
    series_pages = [f for f in figs if "over time" in getattr(f, "_formcheck_title", "")]
    assert len(series_pages) == 2  # head & neck, trunk & shoulders
    for fig in series_pages:
        axes = fig.axes
        assert len(axes) >= 3
        for ax in axes:
            assert ax.get_title(loc="left"), "untitled panel"
            assert ax.get_ylabel(), f"no y label on {ax.get_title(loc='left')!r}"
        assert axes[-1].get_title(loc="left").startswith("Bounce")
        assert axes[-1].get_xlabel() == "time (s)"
        assert any(len(ax.lines) for ax in axes)
    head = series_pages[0]
    from formcheck.assess.norms import THRESHOLDS
    from formcheck.render.report import norm_text
    norm = norm_text(THRESHOLDS["forward_head"])
    assert head.axes[0].get_title(loc="left").startswith(f"Head position (CVA proxy)  ({norm})")


@pytest.mark.slow
def test_report_carries_the_medical_caution_and_breathing(forward_head_dir):
    from formcheck.assess.norms import MEDICAL_CAUTION

    figs = build_figures(load_folder(forward_head_dir))
    alltext = " ".join(t.get_text().replace("\n", " ") for f in figs for t in f.texts)
    assert "not a diagnosis" in alltext and MEDICAL_CAUTION.split(".")[0] in alltext
    assert "breaths per minute" in alltext
    # the model that made the numbers, by its checksum (the bundled model's file beside it)
    sha = (Path(__file__).resolve().parents[1] / "models" / "pose_landmarker_full.task.sha256"
           ).read_text().split()[0]
    assert f"sha256 {sha[:12]}" in alltext


# --- rebuilding without the video -------------------------------------------------------


@pytest.mark.slow
def test_report_command_rebuilds_from_the_folder_without_the_video(forward_head_dir, tmp_path):
    from formcheck.cli.app import main

    folder = tmp_path / "copy"
    shutil.copytree(forward_head_dir, folder)
    for name in (REPORT_PDF, REPORT_PNG):
        (folder / name).unlink()
    summary = json.loads((folder / "summary.json").read_text())
    summary["video"]["path"] = str(tmp_path / "gone.mp4")  # the clip is not needed
    (folder / "summary.json").write_text(json.dumps(summary))
    assert main(["report", str(folder)]) == 0
    assert pdf_page_count(folder / REPORT_PDF) >= 4
    assert png_size(folder / REPORT_PNG)[0] >= 1200


@pytest.mark.slow
def test_missing_stills_and_pose_still_give_a_report(forward_head_dir, tmp_path):
    folder = tmp_path / "bare"
    shutil.copytree(forward_head_dir, folder)
    for name in ("evidence_worst.jpg", "evidence_best.jpg", "pose.npz", REPORT_PDF, REPORT_PNG):
        (folder / name).unlink()
    pdf, png = write_report(folder)
    assert pdf_page_count(pdf) >= 4 and png.is_file()


def test_not_an_analysis_folder_is_a_user_error(tmp_path):
    with pytest.raises(InputError, match="not an analysis folder"):
        write_report(tmp_path)


@pytest.mark.slow
def test_no_pyplot_figures_leak(forward_head_dir, tmp_path):
    folder = tmp_path / "again"
    shutil.copytree(forward_head_dir, folder)
    write_report(folder)
    plt = sys.modules.get("matplotlib.pyplot")
    assert plt is None or plt.get_fignums() == []


# --- small pure helpers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(52.93, "deg", "53°"), (-0.27, "deg", "0°"), (0.2076, "torso", "0.21 torso"),
     (168.4, "steps/min", "168 steps/min"), (None, "deg", "n/a"), (float("nan"), "cm", "n/a")],
)
def test_fmt(value, unit, text):
    assert fmt(value, unit) == text


def test_breathing_rhythm_follows_the_cadence():
    lines = breathing(170.0)
    assert "34 breaths per minute" in lines[0]  # 3:2 -> 5 steps a breath
    assert "57 breaths per minute" in lines[1]  # 2:1 -> 3 steps a breath
    assert "not measured" in breathing(None)[0]


def test_first_sentence():
    assert first_sentence("Look ahead. Not down. ") == "Look ahead."
    assert first_sentence("Run 'low and light': quick steps (5-10% more). Then more.") == \
        "Run 'low and light': quick steps (5-10% more)."


def test_wrap_keeps_lines_within_the_width():
    lines = wrap("word " * 200, width_in=3.0, size=10)
    assert len(lines) > 5 and max(len(x) for x in lines) <= int(3.0 * 72 / 5.5)


def test_crop_box_keeps_aspect_and_stays_in_the_image():
    pts = np.array([[100.0, 50.0], [140.0, 300.0], [np.nan, np.nan], [120.0, 200.0]])
    x0, y0, x1, y1 = crop_box(pts, 640, 480, aspect=0.8)
    assert 0 <= x0 < x1 <= 640 and 0 <= y0 < y1 <= 480
    assert abs((x1 - x0) / (y1 - y0) - 0.8) < 0.02
    assert x0 <= 100 and x1 >= 140 and y0 <= 50 and y1 >= 300
    assert crop_box(np.full((3, 2), np.nan), 640, 480, 1.0) == (0, 0, 640, 480)


@pytest.mark.slow
@pytest.mark.parametrize("status,severity", [("found", "mild"), ("found", "severe"), ("possible", "moderate")])
def test_key_number_colour_is_the_judged_fault_not_the_median_band(forward_head_dir, tmp_path, status, severity):
    """A median in the severe band whose interval only clears mild is a mild fault: the
    key number reads in the fault's colour; a fault that is only possible is not coloured."""
    from formcheck.render.report_draw import DARK, status_color

    folder = tmp_path / "f"
    shutil.copytree(forward_head_dir, folder)
    summary = json.loads((folder / "summary.json").read_text())
    summary["metrics"]["cva_deg"]["band"] = "severe"
    fault = next(f for f in summary["faults"] if f["code"] == "forward_head")
    fault["status"], fault["severity"] = status, severity
    (folder / "summary.json").write_text(json.dumps(summary))
    fig = build_figures(load_folder(folder))[0]
    head = next(t for t in fig.texts if re.match(r"^\d+°  ·  norm ≥", t.get_text()))
    # the fault's badge on page 1: its severity in the severity's colour when found; a
    # possible fault's badge says "POSSIBLE" in grey, whatever its severity
    from matplotlib.colors import to_rgba

    from formcheck.render.report_draw import GREY, SEV_COLORS

    title = next(t for t in fig.texts if t.get_gid() == "fault:forward_head")
    badges = [t for t in fig.texts if t.get_text() in {"MILD", "MODERATE", "SEVERE", "POSSIBLE"}]
    badge = min(badges, key=lambda t: abs(t.get_position()[1] - title.get_position()[1]))
    assert abs(badge.get_position()[1] - title.get_position()[1]) < 0.02
    verdict = next(t for t in fig.texts if t.get_gid() == "verdict")
    if status == "found":
        assert head.get_color() == status_color(severity)
        assert badge.get_text() == severity.upper()
        assert badge.get_bbox_patch().get_facecolor() == to_rgba(SEV_COLORS[severity])
    else:
        assert "possible" in head.get_text() and head.get_color() == DARK
        assert badge.get_text() == "POSSIBLE"
        assert badge.get_bbox_patch().get_facecolor() == to_rgba(GREY)
        if not any(f.get("status", "found") == "found" for f in summary["faults"]):
            assert verdict.get_color() == GREY


@pytest.mark.slow
@pytest.mark.parametrize("error", [2.5, 8.4])
def test_key_number_error_strip_is_the_clips_own(forward_head_dir, tmp_path, error):
    """The grey strip around the fault threshold is this clip's measurement error (the
    fault's stated total), not a fixed 5 deg, where the fault was judged."""
    from matplotlib.patches import Rectangle

    from formcheck.assess.verdict import THRESHOLD_BY_METRIC
    from formcheck.render.report import LABELS

    folder = tmp_path / "f"
    shutil.copytree(forward_head_dir, folder)
    summary = json.loads((folder / "summary.json").read_text())
    fault = next(f for f in summary["faults"] if f["code"] == "forward_head")
    fault["evidence"]["measurement_error"]["total"] = error
    (folder / "summary.json").write_text(json.dumps(summary))
    fig = build_figures(load_folder(folder))[0]
    ax = next(a for a in fig.axes if a.get_title() == LABELS["cva_deg"])
    mild = THRESHOLD_BY_METRIC["cva_deg"].mild
    spans = [(p.get_x(), p.get_x() + p.get_width()) for p in ax.patches if isinstance(p, Rectangle)]
    assert (pytest.approx(mild - error), pytest.approx(mild + error)) in spans, spans
    legend = next(t.get_text() for t in fig.texts if "grey strip" in t.get_text())
    assert "measurement error" in legend and "5°" not in legend


@pytest.mark.slow
def test_the_analysis_notes_are_on_the_method_page_and_on_the_page(forward_head_dir, tmp_path):
    """The notes the terminal prints (here: a change of view and a clip stored turned, as
    formcheck writes them, and three more long ones) are in the report too, and the
    column that holds them stays inside the page (it shrinks its fonts to fit)."""
    folder = tmp_path / "f"
    shutil.copytree(forward_head_dir, folder)
    summary = json.loads((folder / "summary.json").read_text())
    notes = [
        "the view changes during the clip: the runner faces left 0.0-6.0 s, faces right 6.0-12.0 s "
        "(a turn, or an edit joining takes); only 0.0-6.0 s, the longest stretch with one view, is "
        "measured: cut the clip to analyse another stretch",
        "the video is stored on its side (its rotation is missing): the runner was found with every "
        "frame turned 90 deg clockwise, and the outputs show it that way up",
    ] + [f"note {k}: " + "a long explanation of something the clip showed " * 4 for k in range(3)]
    summary["warnings"] = notes
    (folder / "summary.json").write_text(json.dumps(summary))
    figs = build_figures(load_folder(folder))
    page = next(f for f in figs if any(t.get_text() == "Data quality" for t in f.texts))
    text = " ".join(t.get_text().replace("\n", " ") for t in page.texts)
    for note in notes[:2]:
        assert " ".join(("Note: " + note).split()) in " ".join(text.split())
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(page)
    canvas.draw()
    renderer = canvas.get_renderer()
    height = page.bbox.height
    for t in page.texts:
        box = t.get_window_extent(renderer)
        assert box.y0 >= -1 and box.y1 <= height + 1, t.get_text()[:60]


def test_detection_line_says_which_stretch_was_measured_after_a_change_of_view():
    """After a change of view only one stretch is measured: the data-quality line that
    counts the runner's frames says which, so "detected in 360 of 360 frames" does not
    read as 360 frames measured. Without a change of view the line is as before."""
    from types import SimpleNamespace

    from formcheck.render.report import _quality_lines

    summary = {
        "video": {"width": 640, "height": 480, "fps": 30.0, "frames": 360, "duration_s": 12.0},
        "detection": {"frames_with_runner": 360, "frames": 360, "fraction": 1.0},
        "view": "side", "facing": "left",
        "view_detail": {"method": "world", "yaw_deg": 270.0, "yaw_sd_deg": 4.0, "cues": {
            "stretches": [{"start_s": 0.0, "end_s": 6.0, "frames": 180, "view": "side", "facing": "left"},
                          {"start_s": 6.0, "end_s": 12.0, "frames": 180, "view": "side", "facing": "right"}],
            "analysed_stretch": 0}},
    }
    line = next(x for x in _quality_lines(SimpleNamespace(summary=summary)) if x.startswith("Runner detected"))
    assert line == ("Runner detected in 360 of 360 frames (100%); measured only 0.0-6.0 s, the longest "
                    "stretch with one view (180 of those frames).")
    del summary["view_detail"]["cues"]
    line = next(x for x in _quality_lines(SimpleNamespace(summary=summary)) if x.startswith("Runner detected"))
    assert line == "Runner detected in 360 of 360 frames (100%)."


@pytest.mark.slow
def test_a_long_not_measurable_reason_stays_on_the_page(forward_head_dir, tmp_path):
    """A key number that is not measurable shows its reason under its name, wrapped to
    the panel: a reason naming two ways to confirm the clip's speed ran off the page's
    right edge in one line."""
    folder = tmp_path / "f"
    shutil.copytree(forward_head_dir, folder)
    summary = json.loads((folder / "summary.json").read_text())
    reason = ("the playback cadence is below any running cadence and the gait could not be judged from "
              "this view: ~2x slow motion if this is running (pass --speed 2), or a walk at real speed "
              "(pass --speed 1)")
    summary["metrics"]["cadence_spm"].update(median=None, measurable=False, reason=reason)
    (folder / "summary.json").write_text(json.dumps(summary))
    page = build_figures(load_folder(folder))[0]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(page)
    canvas.draw()
    text = next(t for t in page.texts if t.get_text().startswith("not measurable: the playback cadence"))
    assert " ".join(text.get_text().split()) == "not measurable: " + reason
    box = text.get_window_extent(canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= page.bbox.width, (box, page.bbox.width)
