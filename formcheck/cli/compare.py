"""``formcheck compare A B`` and ``formcheck history NAME`` (registered on the app)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# app.py imports this module at its end, after these names are defined
from formcheck.cli.common import _setup_logging, _user_errors
from formcheck.cli.options import VerboseOpt


def register(app: typer.Typer) -> None:
    """Add the compare and history commands to ``app``."""

    @app.command()
    @_user_errors
    def compare(
        a: Annotated[str, typer.Argument(help="The earlier session: an analysis folder or a stored session.")],
        b: Annotated[str, typer.Argument(help="The later session: an analysis folder or a stored session.")],
        out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder [default: formcheck_output/compare_<A>_vs_<B>].")] = None,
        video: Annotated[bool, typer.Option("--video", help="Also write compare.mp4: the two clips side by side, step by step.")] = False,
        verbose: VerboseOpt = 0,
    ) -> None:
        """Compare two sessions: which changes are larger than formcheck's own noise."""
        _setup_logging(verbose)
        from formcheck.pipeline.compare import run_compare

        result = run_compare(a, b, out, video=video)
        print(f"A: {result['a']['label']}\nB: {result['b']['label']}")
        for r in result["metrics"]:
            if r["change"] is None:
                continue
            print(f"  {r['label']:24s} {r['change']:+8.3g} [{r['ci_low']:+.3g}, {r['ci_high']:+.3g}]"
                  f"  {r['verdict']}")
        for w in result["warnings"]:
            print(f"  note: {w}")
        print(f"next step: {result['next_step']}")
        print(f"outputs: {result['output_dir']}")

    @app.command()
    @_user_errors
    def history(
        sessions: Annotated[list[str], typer.Argument(help="An athlete's name (session library), or analysis folders oldest first.")],
        out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder [default: formcheck_output/history_<name>].")] = None,
        verbose: VerboseOpt = 0,
    ) -> None:
        """Each key metric over the sessions, with its norm bands and the MDC."""
        _setup_logging(verbose)
        from formcheck.pipeline.history import run_history

        result = run_history(sessions, out)
        print(f"{len(result['sessions'])} sessions; outputs: {result['output_dir']}")
