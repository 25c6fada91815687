"""The example notebook runs top to bottom on two analysis folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from formcheck.model.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "explore_results.ipynb"


@pytest.fixture(scope="session")
def sample_results(offline) -> tuple[Path, Path]:
    """Two analysis folders (named after their clips), the session's shared analyses
    (conftest's ``offline``: the notebook only reads them)."""
    out = []
    for clip in ("runner_side_forward_head", "runner_side_clean"):
        summary = offline.summary(ROOT / "sample_videos" / f"{clip}.mp4", Settings(video=False, report=False))
        out.append(Path(summary["output_dir"]))
    return out[0], out[1]


def test_committed_notebook_has_no_outputs():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.slow
def test_notebook_runs_on_two_analyses(sample_results, monkeypatch, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    first, second = sample_results
    monkeypatch.setenv("FORMCHECK_RESULTS", str(first))
    monkeypatch.setenv("FORMCHECK_COMPARE", str(second))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("FORMCHECK_LIBRARY", str(tmp_path / "no_library_yet.sqlite"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "runner_side_forward_head.mp4 - side view" in text
    assert "Head held forward" in text
    tables = [o for c in nb.cells for o in c.get("outputs", []) if "data" in o and "text/html" in o["data"]]
    assert any("difference" in o["data"]["text/html"] for o in tables)
    # The library section: no library yet, so a throw-away one with the two folders.
    assert not (tmp_path / "no_library_yet.sqlite").exists()
    library_table = next(o["data"]["text/html"] for o in tables if "demo runner" in o["data"]["text/html"])
    assert library_table.count("demo runner") == 2 and "after six weeks of drills" in library_table
    assert library_table.index("2026-04-12") < library_table.index("2026-03-01")  # newest first
