"""Keep MediaPipe/TFLite's native start-up chatter off the terminal, and nothing else.

Creating a pose landmarker and its first detection make the native libraries print a
few lines straight to file descriptor 2 (``INFO: Created TensorFlow Lite XNNPACK
delegate``, ``WARNING: Logging before InitGoogle()``, ``W0000 ...
inference_feedback_manager.cc ...``); environment variables do not silence them.

The library leaves file descriptors alone. The command line, which owns its process,
points descriptor 2 at a pipe for the length of a command; a thread forwards every
line to the real standard error except those chatter lines. Python's own
``sys.stderr`` (our messages, logging, tracebacks, progress bars) writes to the real
standard error directly, so nothing of ours waits on the filter, and a child process
(batch workers) that inherits descriptor 2 is filtered the same way.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator

#: Lines of native chatter, dropped.
CHATTER = re.compile(
    rb"^(INFO: Created TensorFlow Lite XNNPACK delegate"
    rb"|WARNING: Logging before InitGoogle\(\)"
    rb"|[IWE]\d{4} [\d:. ]+\d+ \S+\.cc:\d+\]"  # absl/glog: W0000 00:00:1700000000.123 123 x.cc:84]
    rb")"
)
#: A partial line that may still become chatter is held back until its end arrives.
_MAY_BECOME = re.compile(rb"^(I(N(F(O(:( .*)?)?)?)?)?|W(A(R(N(I(N(G(:( .*)?)?)?)?)?)?)?)?|[IWE]\d[^\n]*)$")


def _pump(read_fd: int, out_fd: int) -> None:
    pending = b""
    while True:
        try:
            chunk = os.read(read_fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        out = b"".join(line + b"\n" for line in lines if not CHATTER.match(line))
        if pending and not _MAY_BECOME.match(pending):
            out, pending = out + pending, b""
        if out:
            with contextlib.suppress(OSError):
                os.write(out_fd, out)
    if pending and not CHATTER.match(pending):
        with contextlib.suppress(OSError):
            os.write(out_fd, pending)
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
