"""Keep the native libraries' log lines off the terminal, and nothing else.

Creating a pose landmarker and running it make MediaPipe's native runtime print straight
to file descriptor 2. The lines change with every wheel (mediapipe 1.2.3's LiteRT runtime
prints about 50 per landmarker: ``INFO: [environment.cc:36] Creating LiteRT environment``,
``WARNING: [model_load.cc:402] Sparsity tensors may not yet be fully supported.``; older
wheels printed ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`` and absl lines
such as ``W0000 00:00:1700000000.123 123 inference_feedback_manager.cc:114] ...``), so the
filter knows them by their *format*, not their wording.

Silencing them at the source was tried first and does not work with the wheels we ship:
with mediapipe 1.2.3, ``GLOG_minloglevel=3``, ``TF_CPP_MIN_LOG_LEVEL=3`` and the LiteRT
variables leave the count of lines unchanged (51 for one landmarker and one detection), and
the runtime offers no logging setting through its Python API. tests/test_stderr_filter.py
starts a real landmarker in a child process and checks that nothing of it reaches stderr,
so a wheel that talks in a new format fails the tests, not the users.

The library leaves file descriptors alone. The command line, which owns its process,
points descriptor 2 at a pipe for the length of a command; a thread forwards every line to
the real standard error except native log lines (and blank lines, which interleaved native
writes leave behind). Python's own ``sys.stderr`` (our
messages, logging, tracebacks, progress bars) writes to the real standard error directly,
so nothing of ours waits on the filter, and a child process (batch workers) that inherits
descriptor 2 is filtered the same way.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import sys
import threading
from collections.abc import Iterator

#: Native log lines, dropped. Each alternative is a format, not a message:
NATIVE_LOG = re.compile(
    rb"^(?:"
    # absl / glog: severity I/W/E + MMDD, time (hh:mm:ss.us, or 00:00:<epoch> before the
    # logger is set up), thread id, file:line] (F, fatal, is kept:
    # it is the only word on why the process is about to stop)
    rb"[IWE]\d{4} [\d:.]+\s+\d+\s+\S+:\d+\]"
    # LiteRT / TFLite logger with a source location: INFO: [file.cc:12] ..., WARNING: [...].
    # It writes the severity and the rest in separate writes, so two landmarkers starting in
    # two threads interleave them: "INFO: INFO: [environment.cc:36] ..." and a line left
    # with the location alone, "[model_load.cc:402] ..." (seen with mediapipe 1.2.3)
    rb"|(?:(?:INFO|WARNING|VERBOSE|DEBUG): )+\[[^\]\s]+:\d+\]"
    rb"|\[[\w./-]+\.(?:cc|cpp|c|h):\d+\] "
    # the start-up banners of the TFLite runtime and of the absl logger
    rb"|INFO: (?:Created|Initialized) TensorFlow Lite"
    rb"|WARNING: Logging before InitGoogle\(\)"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb")"
)
#: How long a partial line (no newline yet) is held back before it is passed on as it is.
PARTIAL_LINE_WAIT_S = 0.2


def is_native_log(line: bytes) -> bool:
    """Whether one line (without its newline) is a native library's log line."""
    return NATIVE_LOG.match(line.rstrip(b"\r")) is not None


def _pump(read_fd: int, out_fd: int) -> None:
    pending = b""
    poller = select.poll()
    poller.register(read_fd, select.POLLIN | select.POLLHUP)

    def emit(data: bytes) -> None:
        if data:
            with contextlib.suppress(OSError):
                os.write(out_fd, data)

    while True:
        ready = poller.poll(PARTIAL_LINE_WAIT_S * 1000 if pending else None)
        if not ready:  # a partial line and nothing more for a while: it is not a log line
            emit(pending)
            pending = b""
            continue
        try:
            chunk = os.read(read_fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        # blank lines go too: two landmarkers logging from two threads interleave their
        # writes and leave a newline on its own (seen once in 4 CI runs with mediapipe 1.2.3)
        emit(b"".join(line + b"\n" for line in lines if line.strip() and not is_native_log(line)))
    if pending and not is_native_log(pending):
        emit(pending)
    os.close(read_fd)


@contextlib.contextmanager
def native_chatter_filtered() -> Iterator[None]:
    """For the length of the block: descriptor 2 -> filter -> real stderr; ``sys.stderr``
    -> real stderr. Does nothing where descriptor 2 cannot be duplicated, or where
    ``sys.stderr`` was already replaced (a test harness or an embedding program owns it)."""
    if sys.stderr is not sys.__stderr__:
        yield
        return
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
        real = os.dup(2)
        read_fd, write_fd = os.pipe()
    except (OSError, ValueError, AttributeError):
        yield
        return
    old_stderr = sys.stderr
    sys.stderr = open(os.dup(real), "w", buffering=1, encoding=getattr(old_stderr, "encoding", None) or "utf-8",
                      errors="backslashreplace")
    os.dup2(write_fd, 2)
    os.close(write_fd)
    thread = threading.Thread(target=_pump, args=(read_fd, real), name="formcheck-stderr", daemon=True)
    thread.start()
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
            sys.stderr.close()
        sys.stderr = old_stderr
        os.dup2(real, 2)  # closes the pipe's last writer here: the pump drains and ends
        thread.join(timeout=2.0)
        os.close(real)
