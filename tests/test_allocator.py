"""The C allocator's thresholds (formcheck.pipeline.allocator): fixed by the formcheck program
for its own process and the ones it starts, never by importing formcheck, and a no-op off
glibc or where the user chose malloc's settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from formcheck.pipeline import allocator
from formcheck.pipeline.allocator import ENVIRONMENT, MMAP_THRESHOLD, tune_allocator

ROOT = Path(__file__).resolve().parents[1]
ON_GLIBC = sys.platform.startswith("linux") and bool(os.confstr("CS_GNU_LIBC_VERSION"))

# Whether a block of 1.5x MMAP_THRESHOLD, malloc'ed after a 3x one was freed, gets its own
# mmap. glibc's default (dynamic) threshold follows the freed block up and serves the
# second one from the heap; the fixed threshold gives it an mmap. mallinfo2().hblkhd:
# the bytes in mmapped blocks.
PROBE = f"""
import ctypes, json, os, subprocess, sys
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                               "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
def own_mmap():
    libc.free(libc.malloc({3 * MMAP_THRESHOLD}))
    before = libc.mallinfo2().hblkhd
    p = libc.malloc({3 * MMAP_THRESHOLD // 2})
    got = libc.mallinfo2().hblkhd - before >= {3 * MMAP_THRESHOLD // 2}
    libc.free(p)
    return got
"""


def _run(code: str, env: dict[str, str] | None = None) -> dict:
    base = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT and k != "GLIBC_TUNABLES"}
    out = subprocess.run([sys.executable, "-c", PROBE + code], capture_output=True, text=True, cwd=ROOT,
                         env={**base, "PYTHONPATH": str(ROOT), **(env or {})}, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not ON_GLIBC, reason="glibc's malloc")
def test_the_program_fixes_the_threshold_for_itself_and_the_processes_it_starts():
    child = PROBE + "print(json.dumps(own_mmap()))"
    got = _run(f"""
from formcheck.pipeline.allocator import tune_allocator
applied = tune_allocator()
child = subprocess.run([sys.executable, "-c", {child!r}], capture_output=True, text=True, check=True)
print(json.dumps({{"applied": applied, "self": own_mmap(), "child": json.loads(child.stdout)}}))
""")
    assert got == {"applied": True, "self": True, "child": True}


@pytest.mark.skipif(not ON_GLIBC, reason="glibc's malloc")
def test_importing_formcheck_leaves_the_allocator_as_it_is():
    got = _run("""
import formcheck, formcheck.cli.app, formcheck.pipeline.run, formcheck.batch
print(json.dumps({"self": own_mmap(), "env": sorted(k for k in os.environ if k.startswith("MALLOC_"))}))
""")
    assert got == {"self": False, "env": []}  # glibc's dynamic threshold: the heap serves it


@pytest.mark.skipif(not ON_GLIBC, reason="glibc's malloc")
def test_a_users_malloc_setting_stands():
    got = _run("""
from formcheck.pipeline.allocator import tune_allocator
print(json.dumps({"applied": tune_allocator(), "self": own_mmap(), "env": os.environ["MALLOC_MMAP_THRESHOLD_"]}))
""", env={"MALLOC_MMAP_THRESHOLD_": str(64 << 20)})
    assert got == {"applied": False, "self": False, "env": str(64 << 20)}


def test_off_glibc_it_does_nothing(monkeypatch):
    def no_glibc(name: str) -> str:
        raise ValueError("unrecognized configuration name")

    def no_cdll(*args, **kwargs):
        raise AssertionError("the C library was opened off glibc")

    monkeypatch.setattr(allocator.os, "confstr", no_glibc)
    monkeypatch.setattr(allocator.ctypes, "CDLL", no_cdll)
    env: dict[str, str] = {}
    assert tune_allocator(env) is False
    assert env == {}


def test_the_program_tunes_and_a_caller_with_arguments_does_not(monkeypatch, capsys):
    from formcheck.cli import app

    calls: list[int] = []
    monkeypatch.setattr(allocator, "tune_allocator", lambda: calls.append(1) or True)
    assert app.main(["version"]) == 0
    assert calls == []
    monkeypatch.setattr(sys, "argv", ["formcheck", "version"])
    assert app.main() == 0
    assert calls == [1]
    assert capsys.readouterr().out.strip()


@pytest.mark.skipif(not ON_GLIBC, reason="glibc's malloc")
def test_release_hands_freed_heap_pages_back_only_where_the_program_tuned_the_process():
    # 64 blocks of 256 KiB (under the fixed mmap threshold: they come from the heap),
    # written so that they are resident, then all freed but the last, which pins the
    # heap's top: the trim threshold cannot return the 16 MiB below it, malloc_trim can.
    got = _run("""
from formcheck.pipeline.allocator import release_free_memory, tune_allocator
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
def fragment():
    blocks = [libc.malloc(256 << 10) for _ in range(64)]
    for b in blocks:
        ctypes.memset(b, 1, 256 << 10)
    for b in blocks[:-1]:
        libc.free(b)
    return blocks[-1]
untuned = release_free_memory()
applied = tune_allocator()
pin = fragment()
before = rss()
released = release_free_memory()
after = rss()
libc.free(pin)
print(json.dumps({"untuned": untuned, "applied": applied, "released": released, "freed_mb": (before - after) / 2**20}))
""")
    assert got["untuned"] is False  # not the program's process: nothing done
    assert got["applied"] is True and got["released"] is True
    assert got["freed_mb"] >= 12  # of the 15.75 MiB freed inside the heap (page rounding, the C heap's own use)


@pytest.mark.skipif(not ON_GLIBC, reason="glibc's malloc")
@pytest.mark.parametrize("program_tuned", [True, False], ids=["started-by-the-program", "started-by-a-caller"])
def test_a_worker_owns_its_allocator_only_where_the_program_that_started_it_did(
        monkeypatch: pytest.MonkeyPatch, program_tuned: bool) -> None:
    """batch's and the server's local workers (spawned, formcheck's own processes) hand
    memory back between clips when the formcheck program started them: tune_allocator
    left ENVIRONMENT for them, and glibc applied it when they started. A worker of a
    program that embeds formcheck without tuning stays as it is."""
    from formcheck.batch.executors import spawn_pool
    from formcheck.pipeline.allocator import is_tuned

    for key in ENVIRONMENT:
        monkeypatch.delenv(key, raising=False)
    if program_tuned:  # what tune_allocator leaves in the environment of the processes it starts
        for key, value in ENVIRONMENT.items():
            monkeypatch.setenv(key, value)
    with spawn_pool(1) as pool:
        assert pool.submit(is_tuned).result(timeout=120) is program_tuned
