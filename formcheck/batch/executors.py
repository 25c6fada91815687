"""Where batch clips run: local worker processes, or a Dask cluster.

Both executors take :class:`~formcheck.batch.ClipJob` s and hand every
:class:`~formcheck.batch.ClipResult` to ``on_result`` in this process, in the order
clips finish. A clip whose worker dies is reported ``failed``; the others go on.

Local workers are *spawned* (MediaPipe is not fork-safe) and each handles one clip at a
time, with its own pose landmarker (``run_analysis`` makes one per clip). When a
worker dies, :class:`~concurrent.futures.process.BrokenProcessPool` takes down every
clip then in flight; those clips are run again one at a time in a fresh pool, which
names the culprit without blaming the bystanders, and the rest carry on in a new pool.

:class:`Workers` is the same local pool (or a Dask client) kept open for tasks that
arrive one at a time: the web app's analysis jobs run through it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import signal
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from formcheck.batch.jobs import ClipJob, ClipResult, ClusterError, analyze_clip, failed
from formcheck.io.folder import is_analysis_folder

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)

Task = Callable[[ClipJob], ClipResult]
OnResult = Callable[[ClipResult], None]

WORKER_DIED = "the worker process died while analysing this clip (crash or out of memory)"


# ------------------------------------------------------------------ local processes


def _worker_init() -> None:
    # Ctrl-C in a terminal reaches every process of the group. An idle worker ignores it
    # (no traceback spam); a busy one gets KeyboardInterrupt inside the task (see
    # _call), so run_analysis removes its staging folder on the way out.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Started by the formcheck program: the allocator settings it inherited are its own,
    # and it hands freed memory back between clips (formcheck.pipeline.allocator).
    from formcheck.pipeline.allocator import adopt_inherited_settings

    adopt_inherited_settings()


def _call(task: Callable[..., Any], *args: Any) -> Any:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return task(*args)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def spawn_pool(width: int) -> ProcessPoolExecutor:
    """``width`` spawned worker processes that ignore Ctrl-C while idle (submit through
    :func:`_call`, which lets a busy one be interrupted)."""
    return ProcessPoolExecutor(
        max_workers=width, mp_context=mp.get_context("spawn"), initializer=_worker_init
    )


def _outcome(fut: Future, job: ClipJob) -> ClipResult | None:
    """The future's result; None when its worker died (pool broken)."""
    try:
        return fut.result()
    except BrokenProcessPool:
        return None
    except Exception as exc:  # e.g. a result that cannot be unpickled
        return failed(job, f"internal error: {type(exc).__name__}: {exc}")


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started, interrupt the busy workers, reap them (after Ctrl-C,
    or when a server stops).

    A terminal's Ctrl-C has already reached the workers; a SIGINT sent to this process
    alone has not, so the workers still busy after a second get one (a KeyboardInterrupt
    in the task, which removes its staging folder), and are terminated if that fails.
    """
    procs = _processes(pool)  # taken before shutdown() forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + 1.0
    for p in procs:
        p.join(timeout=max(0.0, deadline - time.monotonic()))
    for p in procs:
        if p.is_alive() and p.pid:
            with contextlib.suppress(OSError):
                os.kill(p.pid, signal.SIGINT)
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():
            p.terminate()
            p.join(timeout=2)


def _processes(pool: ProcessPoolExecutor) -> list[mp.process.BaseProcess]:
    return list((getattr(pool, "_processes", None) or {}).values())


def _drain(source: deque[ClipJob], width: int, task: Task, on_result: OnResult) -> list[ClipJob]:
    """Run jobs from ``source`` with ``width`` workers, at most ``width`` in flight.

    Returns the jobs that were in flight when a worker died (empty when none died);
    jobs not yet started stay in ``source``.
    """
    pool = spawn_pool(width)
    inflight: dict[Future, ClipJob] = {}
    crashed: list[ClipJob] = []
    broken = False
    try:
        while source or inflight:
            while source and not broken and len(inflight) < width:
                job = source.popleft()
                try:
                    inflight[pool.submit(_call, task, job)] = job
                except BrokenProcessPool:
                    source.appendleft(job)
                    broken = True
            if not inflight:
                break
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            for fut in done:
                job = inflight.pop(fut)
                result = _outcome(fut, job)
                if result is None:
                    crashed.append(job)
                    broken = True
                else:
                    on_result(result)
            if broken:  # every other clip in flight goes down with the pool: collect them
                for fut in wait(inflight).done:
                    job = inflight.pop(fut)
                    result = _outcome(fut, job)
                    if result is None:
                        crashed.append(job)
                    else:
                        on_result(result)
                break
    except BaseException:  # Ctrl-C, or on_result failing
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)
    return crashed


def run_local(
    jobs: Sequence[ClipJob], workers: int, on_result: OnResult, task: Task = analyze_clip
) -> None:
    """Analyse ``jobs`` in ``workers`` spawned processes; a crashed worker fails one clip."""
    queue = deque(jobs)
    isolate: deque[ClipJob] = deque()
    log.info("analysing %d clip(s) with %d worker process(es)", len(jobs), workers)
    while queue or isolate:
        source, width = (isolate, 1) if isolate else (queue, max(1, workers))
        crashed = _drain(source, min(width, len(source)), task, on_result)
        if width == 1:  # alone in its pool: this clip took the worker down
            for job in crashed:
                on_result(failed(job, WORKER_DIED))
        elif crashed:
            log.warning(
                "a worker process died; re-running the %d clip(s) it took down one at a time",
                len(crashed),
            )
            isolate.extend(crashed)


# ----------------------------------------------------------------------------- Dask

NO_DASK = "--scheduler needs Dask distributed: pip install 'formcheck[dask]'"


def connect(address: object, scheduler: str) -> Client:
    """A Dask client of ``address`` (a scheduler address or a cluster); ``scheduler`` names
    it in the error. Raises :class:`~formcheck.batch.jobs.ClusterError` when it cannot."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError(NO_DASK) from None
    try:
        return Client(address, timeout="15s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(
            f"cannot connect to the Dask scheduler at {scheduler}: "
            f"{' '.join(str(exc).split()) or type(exc).__name__}"
        ) from None


def run_dask(
    jobs: Sequence[ClipJob],
    scheduler: str,
    on_result: OnResult,
    workers: int | None = None,
    task: Task = analyze_clip,
) -> None:
    """Analyse ``jobs`` on a Dask cluster: ``scheduler`` is ``tcp://host:port`` of a running
    scheduler, or ``"local"`` for a ``LocalCluster`` of ``workers`` single-threaded processes.

    The workers need formcheck installed, and must see the clips and the output folder
    at the same paths as this machine (a shared file system): they write the results.
    Dask re-runs a task whose worker died on another worker; after
    ``distributed.scheduler.allowed-failures`` deaths the clip is reported failed.
    """
    try:
        from distributed import LocalCluster, as_completed
    except ImportError:
        raise ClusterError(NO_DASK) from None

    with contextlib.ExitStack() as stack:
        if scheduler == "local":
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers or None,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
            )
            address: object = cluster
        else:
            address = scheduler
            if workers:
                log.warning("--workers is ignored with a Dask scheduler: its workers do the work")
        client = stack.enter_context(connect(address, scheduler))
        n = len(client.scheduler_info().get("workers", {}))
        log.info(
            "analysing %d clip(s) on the Dask cluster at %s (%d worker(s) now)",
            len(jobs),
            client.scheduler.address,
            n,
        )
        run = uuid.uuid4().hex[:8]
        futures = {
            client.submit(task, job, pure=False, key=f"formcheck-{run}-{i}-{job.rel}"): job
            for i, job in enumerate(jobs)
        }
        try:
            for fut in as_completed(futures):
                job = futures[fut]
                try:
                    result = fut.result()
                except Exception as exc:  # KilledWorker, a worker without formcheck, ...
                    result = failed(job, f"the Dask task failed: {type(exc).__name__}: {exc}")
                if result.status == "ok" and not is_analysis_folder(job.out_dir):
                    log.warning(
                        "%s: a worker wrote its results to %s, but they cannot be seen here: "
                        "the output folder must be on a file system shared with the workers",
                        job.rel,
                        job.out_dir,
                    )
                on_result(result)
        except BaseException:
            with contextlib.suppress(Exception):
                client.cancel(list(futures))
            raise


# ----------------------------------------------------------- tasks one at a time


class Workers:
    """Worker processes kept open for tasks that arrive one at a time (the web app's
    analysis jobs): ``workers`` spawned local processes as :func:`run_local` uses, or the
    Dask cluster at ``scheduler``, whose workers must see the files at the same paths.

    A local worker that dies breaks the pool: its tasks' futures raise
    :class:`~concurrent.futures.process.BrokenProcessPool`, and :meth:`renew` (or the next
    :meth:`submit`) starts a fresh pool.
    """

    def __init__(self, workers: int = 1, scheduler: str | None = None) -> None:
        self.width = max(1, workers)
        self.scheduler = scheduler
        self._client: Client | None = None
        self._executor: Executor = self._open()

    def _open(self) -> Executor:
        if self.scheduler:
            self._client = connect(self.scheduler, self.scheduler)
            return self._client.get_executor()
        return spawn_pool(self.width)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run ``fn(*args)`` on a worker; the future holds its result."""
        try:
            return self._submit(fn, *args)
        except BrokenProcessPool:
            self.renew()
            return self._submit(fn, *args)

    def _submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        if isinstance(self._executor, ProcessPoolExecutor):
            return self._executor.submit(_call, fn, *args)
        return self._executor.submit(fn, *args)

    def renew(self) -> None:
        """A fresh local pool if a worker died (a Dask cluster replaces its own). Every
        task then in flight reports the death: only the first call replaces the pool."""
        pool = self._executor
        if isinstance(pool, ProcessPoolExecutor) and getattr(pool, "_broken", False):
            self._executor = spawn_pool(self.width)
            pool.shutdown(wait=False)

    def pids(self) -> list[int]:
        """The process ids of the local workers now running (none on Dask)."""
        if not isinstance(self._executor, ProcessPoolExecutor):
            return []
        return [p.pid for p in _processes(self._executor) if p.pid is not None]

    def close(self) -> None:
        """Cancel what has not started and end the busy tasks (see :func:`stop_pool`)."""
        if isinstance(self._executor, ProcessPoolExecutor):
            stop_pool(self._executor)
        else:  # Dask's ClientExecutor takes no cancel_futures
            self._executor.shutdown(wait=False)
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
