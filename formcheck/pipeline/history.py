"""Orchestration of ``formcheck history``: one athlete's sessions over time.

Reads each session's step table, compares each session with the one before
(:func:`formcheck.assess.change.consecutive_changes`) and writes ``history.pdf``,
``history.png`` and ``history.json`` (the same numbers) into the output folder
(``history.json`` last, as compare does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from formcheck.errors import InputError


def run_history(refs: list[str], out_dir: str | Path | None = None,
                n_boot: int = 2000) -> dict[str, Any]:
    """``formcheck history NAME`` or ``formcheck history FOLDER...``."""
    from formcheck.assess.change import KEY_METRICS, consecutive_changes
    from formcheck.assess.reliability_table import mdc_table
    from formcheck.io.folder import prepare_out_dir
    from formcheck.io.summary import dump_json
    from formcheck.pipeline.compare import read_session, write_atomically
    from formcheck.pipeline.sources import resolve_history
    from formcheck.render.history import HistoryData, write_history

    sessions = resolve_history(refs)
    if len(sessions) < 2:
        raise InputError("history needs at least two sessions")
    read = [read_session(folder) for _, folder in sessions]
    mdc = mdc_table()
    changes = consecutive_changes([s.steps for s in read], mdc, KEY_METRICS, n_boot=n_boot)
    medians = [{m: s.summary.get("metrics", {}).get(m, {}).get("median") for m in KEY_METRICS}
               for s in read]
    name = refs[0] if len(refs) == 1 else "sessions"
    title = f"formcheck history: {name}"
    data = HistoryData(title, [label for label, _ in sessions], medians, changes, mdc)
    if out_dir is None:
        out_dir = Path("formcheck_output") / f"history_{Path(name).name}"
    out = prepare_out_dir(out_dir)
    result = {
        "sessions": [{"label": lbl, "folder": str(f), "medians": md}
                     for (lbl, f), md in zip(sessions, medians, strict=True)],
        "changes": [[c.to_dict() for c in step] for step in changes],
        "mdc95": mdc,
    }

    def write(stage: Path) -> None:
        write_history(data, KEY_METRICS, stage)
        dump_json(result, stage / "history.json")

    write_atomically(out, write, "history.json")
    result["output_dir"] = str(out)
    return result
