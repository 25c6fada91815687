"""The compare and history pages show the change statistics of ``formcheck compare``.

Two analysis folders share one real summary (``tests/data/summary_0_1.json``) and get
step tables drawn from known distributions: the CVA proxy 15 deg higher in B (a real
improvement: 10 times the spread of a step and well past the MDC given), the trunk lean
from the same distribution in both (no real change). The MDC table is injected, so the
test does not depend on the reliability study's numbers. No pose model runs.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from formcheck.web.config import WebConfig
from tests.webtools import serve

DATA = Path(__file__).parent / "data" / "summary_0_1.json"
pytest.importorskip("formcheck.assess.change")
pytest.importorskip("formcheck.pipeline.compare")


def _folder(path: Path, video: str, cva: float, seed: int, faults: bool = True) -> Path:
    rng = np.random.default_rng(seed)
    n = 40
    path.mkdir(parents=True)
    summary = json.loads(DATA.read_text())
    summary["video"]["path"] = video  # a distinct clip for the library's analysis key
    summary["metrics"]["cva_deg"]["median"] = cva
    if not faults:
        summary["faults"] = []
    (path / "summary.json").write_text(json.dumps(summary))
    t = np.arange(n) * 0.36
    pd.DataFrame({
        "step": np.arange(n), "frame_start": np.arange(n) * 11, "frame_end": np.arange(n) * 11 + 10,
        "mid_stance_frame": np.arange(n) * 11 + 3, "t_start_s": t, "t_end_s": t + 0.36,
        "duration_s": 0.36, "cadence_spm": rng.normal(168, 2, n),
        "cva_deg": rng.normal(cva, 1.5, n), "trunk_lean_deg": np.random.default_rng(99).normal(6, 1.0, n),
    }).to_csv(path / "steps.csv", index=False)
    return path


@pytest.fixture()
def mdc(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    table = {"cva_deg": 4.0, "trunk_lean_deg": 3.0, "cadence_spm": 4.0}
    fake = types.ModuleType("formcheck.assess.reliability_table")
    fake.GENERATED = "test"  # type: ignore[attr-defined]
    fake.mdc_table = lambda: dict(table)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "formcheck.assess.reliability_table", fake)
    from formcheck.web import compare

    compare._compare.cache_clear()
    compare._history.cache_clear()
    return table


def test_compare_and_history_pages_show_real_change_and_noise(tmp_path: Path, mdc) -> None:
    from formcheck.store import Library
    from formcheck.web.compare import compare_folders

    a = _folder(tmp_path / "sessions" / "a", "before.mp4", 55.0, 1)
    b = _folder(tmp_path / "sessions" / "b", "after.mp4", 70.0, 2)
    result = compare_folders(a, b)
    assert result["stats"] is True
    rows = {r["metric"]: r for r in result["rows"]}
    cva, lean = rows["cva_deg"], rows["trunk_lean_deg"]
    assert cva["verdict"] == "improved"
    assert cva["ci"][0] > mdc["cva_deg"] and 13 < cva["change"] < 17
    assert lean["verdict"] == "no real change" and lean["ci"][0] < 0 < lean["ci"][1]
    assert "shoulder_tilt_deg" not in rows  # a front-view metric, measured in neither session

    with Library.open(tmp_path / "library.sqlite") as store:
        ida = store.record(a, "Ana", date=dt.date(2026, 1, 5)).session_id
        idb = store.record(b, "Ana", date=dt.date(2026, 2, 9)).session_id
        clean = _folder(tmp_path / "sessions" / "c", "clean.mp4", 75.0, 3, faults=False)
        store.record(clean, "Bo", date=dt.date(2026, 3, 1))
    with serve(WebConfig(library=tmp_path / "library.sqlite"), start_workers=False) as srv:
        # the home page: each session's verdict is its worst fault found, the checklist's
        # "not found" entries are not faults
        status, _, body = srv.request("GET", "/")
        rows = re.findall(r"<tr><td>(.*?)</tr>", body.decode(), flags=re.S)
        verdicts = {re.search(r">(\w+\.mp4)<", r).group(1): re.search(r'class="badge [^"]*">([^<]+)<', r).group(1)
                    for r in rows}
        assert verdicts == {"clean.mp4": "no faults", "after.mp4": "severe", "before.mp4": "severe"}
        status, _, body = srv.request("GET", f"/compare?a={ida}&b={idb}")
        assert status == 200
        page = body.decode()
        row = re.search(r'title="cva_deg">(.*?)</tr>', page, flags=re.S).group(1)
        assert "improved" in row and "+4.00" not in row  # the MDC column shows 4.00, unsigned
        row = re.search(r'title="trunk_lean_deg">(.*?)</tr>', page, flags=re.S).group(1)
        assert "no real change" in row
        assert "Next step:" in page
        status, _, body = srv.request("GET", "/history?athlete=Ana")
        assert status == 200
        series = json.loads(re.search(r'id="history-data">(.*?)</script>', body.decode(), flags=re.S).group(1))
        cva_points = series["cva_deg"]["points"]
        assert [p["session"] for p in cva_points] == [ida, idb]  # oldest first
        assert [p["verdict"] for p in cva_points] == [None, "improved"]
        assert cva_points[1]["mdc"] == mdc["cva_deg"]
        assert series["trunk_lean_deg"]["points"][1]["verdict"] == "no real change"
