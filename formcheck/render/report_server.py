"""The report rendered in a second process, beside the annotated video.

Rendering the report (matplotlib) and writing the annotated video (decode, draw,
encode) are independent once the tables are written, and each keeps about one core
busy, so they run at the same time. The report process is started when the analysis
starts, so that importing matplotlib and pandas is done while the pose model runs; it
then waits for the folder to render. It is a plain subprocess speaking one line at a
time on stdin/stdout (no multiprocessing), so it also works inside daemonic worker
processes. If anything goes wrong with it, the report is rendered in this process.

Protocol: the parent writes a folder path and a newline; the server renders the
report there and answers ``ok`` or ``error <one line>``. End of input ends it.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

log = logging.getLogger(__name__)

TIMEOUT_S = 300


class ReportProcess:
    """A report renderer running in a subprocess (started at once, used later)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "formcheck.render.report_server"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        except OSError as exc:
            log.info("report process not started (%s); the report will be rendered in-process", exc)
            self.proc = None

    def start_render(self, folder: Path) -> threading.Thread | None:
        """Ask for the report of ``folder``; returns a thread to join, or None if the
        process is not usable (render in-process then)."""
        if self.proc is None or self.proc.poll() is not None:
            return None
        result: dict[str, str] = {}

        def talk() -> None:
            try:
                assert self.proc is not None and self.proc.stdin and self.proc.stdout
                self.proc.stdin.write(f"{folder}\n")
                self.proc.stdin.flush()
                result["answer"] = self.proc.stdout.readline().strip()
            except (OSError, ValueError, AssertionError) as exc:
                result["answer"] = f"error {exc}"

        thread = threading.Thread(target=talk, name="formcheck-report", daemon=True)
        thread.result = result  # type: ignore[attr-defined]
        thread.start()
        return thread

    @staticmethod
    def outcome(thread: threading.Thread) -> str:
        thread.join(TIMEOUT_S)
        if thread.is_alive():
            return "error the report process did not answer in time"
        return thread.result.get("answer", "error no answer") or "error the report process ended"  # type: ignore[attr-defined]

    def close(self) -> None:
        if self.proc is None:
            return
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            if self.proc.stdout:
                self.proc.stdout.close()
            self.proc = None


def serve() -> int:
    from formcheck.render.report import (
        write_report,  # imports matplotlib and pandas now, while waiting
    )

    for line in sys.stdin:
        folder = line.strip()
        if not folder:
            continue
        try:
            write_report(Path(folder))
            answer = "ok"
        except Exception as exc:  # reported to the parent, which renders it itself
            answer = "error " + (str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        sys.stdout.write(answer + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(serve())
