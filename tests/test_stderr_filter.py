"""The CLI keeps the native libraries' start-up chatter off stderr, and only that.

The filter is exercised in a child process that owns its standard error (as the
installed ``formcheck`` command does); the library itself never touches descriptor 2.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    r"""
    import os, sys, threading
    from formcheck.cli.stderr import native_chatter_filtered

    with native_chatter_filtered():
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
        os.write(2, b"WARNING: Logging before InitGoogle() is written to STDERR\n")
        os.write(2, b"W0000 00:00:1700000000.123456  4242 inference_feedback_manager.cc:114] Feedback\n")
        os.write(2, b"native: a real native error line\n")
        os.write(2, b"partial without newline from C")
        os.write(2, b" ... completed\n")
        def other():
            print("from another thread", file=sys.stderr)
        t = threading.Thread(target=other); t.start(); t.join()
        print("formcheck: error: a user-facing error", file=sys.stderr)
        sys.stderr.write("progress 50%\r")
    os.write(2, b"after the block\n")
    """
)


def run_child() -> str:
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stderr.decode()


def test_chatter_dropped_everything_else_kept():
    err = run_child()
    assert "XNNPACK" not in err
    assert "InitGoogle" not in err
    assert "inference_feedback_manager" not in err
    for kept in ("native: a real native error line", "partial without newline from C ... completed",
                 "from another thread", "formcheck: error: a user-facing error", "progress 50%",
                 "after the block"):
        assert kept in err, (kept, err)


def test_library_never_redirects_descriptor_two():
    """Loading the model and detecting (where the chatter comes from) in the library,
    with another thread writing to descriptor 2 at the same time: both reach stderr."""
    code = textwrap.dedent(
        r"""
        import os, threading, time
        import numpy as np
        from formcheck.pose.bundle import resolve_model
        from formcheck.pose.landmarker import _create, _mp_image
        stop = threading.Event()
        def writer():
            while not stop.is_set():
                os.write(2, b"other thread alive\n"); time.sleep(0.005)
        t = threading.Thread(target=writer); t.start()
        lm = _create(resolve_model(), video_mode=True, num_poses=1)
        lm.detect_for_video(_mp_image(np.zeros((64, 64, 3), np.uint8)), 0)
        lm.close()
        stop.set(); t.join()
        os.write(2, b"done\n")
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "done" in err
    lines = err.splitlines()
    first_chatter = next(i for i, line in enumerate(lines) if "XNNPACK" in line)
    # the other thread's lines surround the model's own: nothing was swallowed meanwhile
    assert "other thread alive" in lines[:first_chatter] + lines[first_chatter + 1:]
