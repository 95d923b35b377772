"""Where batches run: this process, a pool of local processes, or a Dask cluster.

Each executor offers the same three calls — ``submit(batch)``, ``wait(futures, timeout)`` and
``close(cancel)`` — and ``slots`` (how many batches run at once). Results do not depend on the
executor: every run is seeded on its own.

Local processes are forked from a fork server that has imported coopsim once (fast to start,
fast to replace if one dies); they ignore Ctrl-C (the sweep process decides) and die with it.
The workers of a ``LocalCluster`` ignore Ctrl-C too; those of an existing cluster are its own.
Dask: ``LocalCluster`` (one single-threaded worker process per slot) or an existing scheduler
by address; its workers need coopsim installed (``pip install "coopsim[dask]"``).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Collection, Iterator
from typing import Any

from coopsim.experiments.worker import Batch, init_worker, run_batch

__all__ = [
    "DaskExecutor",
    "ExecutorUnavailable",
    "InlineExecutor",
    "ProcessExecutor",
    "WorkerLost",
    "executor_kind",
    "make_executor",
]

PRELOAD = ["coopsim.experiments.worker", "coopsim.model", "coopsim.scenario", "coopsim.runs.run"]


@contextlib.contextmanager
def _children_ignore_ctrl_c() -> Iterator[None]:
    """Processes started in this block ignore Ctrl-C (an ignored signal stays ignored in a
    child), so the terminal's SIGINT reaches only the sweep process, which stops them itself."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class ExecutorUnavailable(RuntimeError):
    """The asked-for executor cannot be used here (e.g. Dask is not installed)."""


class WorkerLost(RuntimeError):
    """A worker process died while it held a batch (the batch did not finish)."""


def make_executor(
    executor: str | None, workers: int | None, scheduler: str | None, runs: int
) -> Any:
    """The executor for ``executor`` (processes | dask), ``workers`` and ``scheduler``.

    A ``scheduler`` address means Dask whatever ``executor`` says; ``local`` is an alias of
    ``processes``.
    """
    kind = executor_kind(executor)
    if scheduler:  # an existing cluster is always Dask
        kind = "dask"
    count = workers or os.cpu_count() or 1
    if kind == "dask":
        return DaskExecutor(count, scheduler)
    count = max(1, min(count, runs))
    return InlineExecutor() if count == 1 else ProcessExecutor(count)


def executor_kind(executor: str | None) -> str:
    """``processes`` or ``dask`` for an executor's name (None: processes); ValueError if unknown."""
    kind = (executor or "processes").lower()
    if kind in ("local", "process", "pool"):
        kind = "processes"
    if kind not in ("processes", "dask"):
        raise ValueError(f"unknown executor {executor!r}: choose 'processes' or 'dask'")
    return kind


class InlineExecutor:
    """Runs each batch in this process when it is submitted (one worker)."""

    name = "inline"
    slots = 1
    workers = 1

    def submit(self, batch: Batch) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_result(run_batch(batch))
        return future

    def wait(self, futures: Collection[Any], timeout: float) -> set[Any]:
        return {f for f in futures if f.done()}

    def restart(self) -> None:
        pass

    def close(self, cancel: bool = False) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {"executor": "processes", "workers": 1, "where": "in the sweep process"}


class ProcessExecutor:
    """A pool of local worker processes (``concurrent.futures``, fork server)."""

    name = "processes"

    def __init__(self, workers: int):
        self.workers = self.slots = workers
        methods = multiprocessing.get_all_start_methods()
        method = "forkserver" if "forkserver" in methods else "spawn"
        self._context = multiprocessing.get_context(method)
        if method == "forkserver":
            self._context.set_forkserver_preload(PRELOAD)
        self._pool = self._start()

    def _start(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            self.workers, mp_context=self._context, initializer=init_worker
        )

    def submit(self, batch: Batch) -> cf.Future:
        return self._pool.submit(run_batch, batch)

    def wait(self, futures: Collection[Any], timeout: float) -> set[Any]:
        done, _ = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return set(done)

    @staticmethod
    def lost(exc: BaseException) -> bool:
        from concurrent.futures.process import BrokenProcessPool

        return isinstance(exc, BrokenProcessPool)

    def restart(self) -> None:
        """A fresh pool after a worker died (the old one is unusable)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._start()

    def close(self, cancel: bool = False) -> None:
        if cancel:
            processes = list(getattr(self._pool, "_processes", {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:  # a second Ctrl-C: do not wait for running batches
                process.terminate()
            for process in processes:
                process.join(timeout=5)
        else:
            self._pool.shutdown(wait=True)

    def describe(self) -> dict[str, Any]:
        return {"executor": "processes", "workers": self.workers}


class DaskExecutor:
    """Batches as Dask futures: on a new ``LocalCluster`` or on a scheduler by address."""

    name = "dask"

    def __init__(self, workers: int, scheduler: str | None = None):
        try:
            import distributed
        except ImportError:
            raise ExecutorUnavailable(
                'Dask is not installed: pip install "coopsim[dask]" (or dask[distributed])'
            ) from None
        self._distributed = distributed
        self.scheduler = scheduler
        self.cluster = None
        if scheduler:
            self.client = distributed.Client(scheduler, timeout="30s")
            self.client.wait_for_workers(1, timeout=120)
        else:
            import dask

            # The cluster is ours, so it goes without two defaults meant for other work: the
            # workers' statistical profiler (it samples every thread's stack every 10 ms for the
            # dashboard, competing with a CPU-bound batch for the interpreter lock), and the
            # nanny's MALLOC_TRIM_THRESHOLD_ (the model sets glibc's thresholds itself; see
            # coopsim.allocator; the nanny would also leave it in this process's environ).
            ours = {
                "distributed.worker.profile.enabled": False,
                "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
            }
            with _children_ignore_ctrl_c(), dask.config.set(ours):
                self.cluster = distributed.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,
                )
            self.client = distributed.Client(self.cluster)
        self.workers = len(self.client.nthreads())
        self.slots = max(1, sum(self.client.nthreads().values()))
        self._count = 0

    def submit(self, batch: Batch) -> Any:
        self._count += 1
        return self.client.submit(run_batch, batch, pure=False)

    def wait(self, futures: Collection[Any], timeout: float) -> set[Any]:
        try:
            done, _ = self._distributed.wait(
                list(futures), timeout=timeout, return_when="FIRST_COMPLETED"
            )
        except TimeoutError:
            return set()
        self.slots = max(1, sum(self.client.nthreads().values()))
        return set(done)

    @staticmethod
    def lost(exc: BaseException) -> bool:
        """A worker died under the batch, or its result could not be fetched after a worker
        loss (seen with a second client in the scheduler's own process: the future is then
        "bound to a different event loop"); either way the batch runs again."""
        from distributed import KilledWorker

        if isinstance(exc, KilledWorker):
            return True
        return isinstance(exc, RuntimeError) and "different event loop" in str(exc)

    def restart(self) -> None:
        pass

    def close(self, cancel: bool = False) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"executor": "dask", "workers": self.workers}
        out["scheduler"] = self.scheduler or "LocalCluster"
        return out
