"""The C allocator's settings for the processes the ``formcheck`` program owns.

glibc's ``malloc`` gives a block of ``M_MMAP_THRESHOLD`` bytes or more its own ``mmap``,
returned to the system by ``free``; smaller blocks come from its heaps, which keep what
is freed for later use. By default the threshold starts at 128 KiB and follows the size
of every larger ``mmap`` block freed, up to 32 MiB, and the heaps are trimmed only past
twice that. After the pose pass has freed its decoded frames and multi-megabyte arrays,
every later array up to that size comes from the heaps, and a clip's per-frame arrays
grow with its length (ten minutes: 4.8 MB of landmarks in float32, 9.5 MB in float64,
tables, the report's series), so the heaps they fragment did too: a 10-minute clip's
peak resident memory was 1.20 times a 2-minute clip's (issue 22).

A fixed threshold stops it: arrays of :data:`MMAP_THRESHOLD` or more are always
returned on ``free``, and a heap's free top past :data:`TRIM_THRESHOLD` is returned too.
The threshold is a compromise: the lower it is, the less the heaps hold, but a block at
or above it costs a fresh ``mmap`` and its page faults every time (128 KiB: every decoded
720p frame, 2.7 MB: 24-37% more CPU time). With 4 MiB a 10-minute 720p
clip peaked at 1.06 and 1.09 times a 2-minute one in two runs (glibc's default: 1.23), with the same CPU time;
8 MiB was not flat (1.12 from 1 to 5 minutes); a third 2- against 10-minute pair, in the
bench, read 1.18 (what still grows is the writers' phase). Frames above 4 MiB pay the
``mmap`` each: no measurable cost at 1080p (6.2 MB of RGB); at 4K (25 MB) 22% more CPU time
when the thresholds come from the environment at the process's start (as batch and server
workers get them), but none, and no memory saved, with this function's ``mallopt`` in the
``formcheck`` process itself (3 and 3 alternating runs; the reason was not found).

Set only where formcheck owns the process: :func:`formcheck.cli.app.main` run as the
program (the ``formcheck`` command, ``python -m formcheck``) calls :func:`tune_allocator`
for its own process (``mallopt``) and for the processes it starts (batch and server
workers are spawned Python processes; glibc reads ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` from their environment when they start, and each worker
:func:`adopt_inherited_settings` as it starts, so that :func:`release_free_memory` acts
there too: a worker that has analysed a clip otherwise idles with the freed pages of
its heaps resident; measured on one batch worker after each of three 20 s 720p clips:
441 / 503 / 486 MB without the release, 365 / 360 / 372 MB with it).
Importing formcheck changes nothing. Off glibc, or where the user has set either
variable or a ``glibc.malloc`` tunable, it does nothing.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import MutableMapping

#: Blocks of at least this many bytes get their own mmap (returned on free).
MMAP_THRESHOLD = 4 << 20
#: A heap's free top past this many bytes is returned to the system.
TRIM_THRESHOLD = 8 << 20
#: The same settings as glibc reads them from a starting process's environment.
ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD), "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD)}

_M_TRIM_THRESHOLD = -1  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
#: Non-empty once formcheck owns this process's allocator (:func:`tune_allocator` or
#: :func:`adopt_inherited_settings`); :func:`release_free_memory` acts only then.
_tuned: list[bool] = []


def _glibc() -> ctypes.CDLL | None:
    """The process's C library when it is glibc (None elsewhere)."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
    except (ValueError, OSError, AttributeError):  # not glibc (musl, macOS) or no confstr (Windows)
        return None
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") else None


def _user_set(environ: MutableMapping[str, str]) -> bool:
    return any(k in environ for k in ENVIRONMENT) or "glibc.malloc." in environ.get("GLIBC_TUNABLES", "")


def tune_allocator(environ: MutableMapping[str, str] | None = None) -> bool:
    """Fix glibc's mmap and trim thresholds for this process and the ones it starts.

    For the process that runs the ``formcheck`` program only (it changes the whole
    process); see the module's docstring for why.

    Parameters
    ----------
    environ : mutable mapping of str to str, optional
        The environment the started processes inherit (default ``os.environ``); the
        settings are added to it.

    Returns
    -------
    bool
        True when set; False off glibc or where the user has set malloc's thresholds.
    """
    env = os.environ if environ is None else environ
    if _user_set(env):
        return False
    libc = _glibc()
    if libc is None:
        return False
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.mallopt.restype = ctypes.c_int
    if libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1 or libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) != 1:
        return False
    env.update(ENVIRONMENT)
    _tuned.append(True)
    return True


def adopt_inherited_settings(environ: MutableMapping[str, str] | None = None) -> bool:
    """In a worker process formcheck started: own its allocator when the program set it up.

    A worker spawned by a process that ran :func:`tune_allocator` inherits
    :data:`ENVIRONMENT`, and glibc applied those thresholds when the worker started; the
    worker is then formcheck's own, and :func:`release_free_memory` acts in it. Called
    by batch's and the server's local workers as they start
    (:func:`formcheck.batch.executors.spawn_pool`); a Dask worker, or a worker of a
    program that embeds formcheck without tuning, is left as it is.

    Parameters
    ----------
    environ : mapping of str to str, optional
        The process's environment (default ``os.environ``).

    Returns
    -------
    bool
        True when the settings were inherited (and are now owned).
    """
    env = os.environ if environ is None else environ
    if _glibc() is None or any(env.get(k) != v for k, v in ENVIRONMENT.items()):
        return False
    if not _tuned:
        _tuned.append(True)
    return True


def is_tuned() -> bool:
    """Whether formcheck owns this process's allocator (:func:`tune_allocator` or
    :func:`adopt_inherited_settings`), so that :func:`release_free_memory` acts."""
    return bool(_tuned)


def release_free_memory() -> bool:
    """Hand the C heaps' free pages back to the system (glibc's ``malloc_trim(0)``).

    The trim threshold returns only a heap's free *top*; pages freed inside a heap stay
    resident until something reuses them. Between the pose pass and the writers (and
    after the tables) most of what the pose pass and the analysis allocated is free but
    scattered, so the writers' phase started from a level that grew with the clip's
    length. Called by :func:`formcheck.pipeline.run.analyze_video` at those two points and
    once its outputs are written (a batch or server worker then waits for its next clip
    with the freed pages handed back); it does nothing unless :func:`tune_allocator` or
    :func:`adopt_inherited_settings` set this process up (formcheck owns it).

    Returns
    -------
    bool
        True when memory was returned to the system.
    """
    if not _tuned:
        return False
    libc = _glibc()
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    libc.malloc_trim.argtypes = [ctypes.c_size_t]
    libc.malloc_trim.restype = ctypes.c_int
    return libc.malloc_trim(0) == 1
