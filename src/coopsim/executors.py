"""Where work runs: this process, a pool of local processes, or a Dask cluster.

Sweeps (``coopsim.experiments``), comparisons of modes (``coopsim.runs``) and the validation
patterns (``coopsim.validation``) hand their tasks to these executors. Each offers the same calls
— ``submit(fn, arg)``, ``wait(futures, timeout)``, ``lost(exc)``, ``restart()``,
``close(cancel)`` and ``describe()`` — and ``slots`` (how many tasks run at once); ``run_all``
drives one over a list of tasks. Results do not depend on the executor: every run is seeded on its
own.

Local processes are forked from a fork server that has imported coopsim once (fast to start,
fast to replace if one dies); they ignore Ctrl-C (the calling process decides) and die with it.
The workers of a ``LocalCluster`` ignore Ctrl-C too; those of an existing cluster are its own.
Dask: ``LocalCluster`` (one single-threaded worker process per slot) or an existing scheduler
by address; its workers need coopsim installed (``pip install "coopsim[dask]"``).

The worker processes coopsim starts (local processes, a ``LocalCluster``'s workers) only run
models, so they opt in to the allocator settings (``coopsim.allocator.tune``); the calling
process and the workers of an existing cluster are left as they are.
"""

from __future__ import annotations

import ast
import bisect
import collections
import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

from coopsim import allocator

__all__ = [
    "DaskExecutor",
    "ExecutorUnavailable",
    "InlineExecutor",
    "ProcessExecutor",
    "UnguardedScript",
    "WorkerLost",
    "executor_kind",
    "gather",
    "init_worker",
    "make_executor",
    "run_all",
]

# What the fork server imports once, so that every worker starts with it (and with a caller's own
# modules, named in ``preload``).
PRELOAD = ("coopsim.model", "coopsim.scenario", "coopsim.runs.run")
MAX_LOSSES_BEFORE_ANY_SUCCESS = 3


@contextlib.contextmanager
def _children_ignore_ctrl_c() -> Iterator[None]:
    """Processes started in this block ignore Ctrl-C (an ignored signal stays ignored in a
    child), so the terminal's SIGINT reaches only the calling process, which stops them itself."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """A Ctrl-C during this block takes effect at its end (main thread): a worker process the
    pool starts in it is then known to the pool, which stops it, not left half-started."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught and callable(previous):
            previous(signal.SIGINT, None)
        elif caught and previous == signal.SIG_DFL:
            raise KeyboardInterrupt


class ExecutorUnavailable(RuntimeError):
    """The asked-for executor cannot be used here (e.g. Dask is not installed)."""


class WorkerLost(RuntimeError):
    """A worker process died while it held a task (the task did not finish)."""


def init_worker() -> None:
    """Initialiser of local worker processes: the parent handles Ctrl-C; die with the parent;
    keep freed memory for the next step's arrays (``coopsim.allocator``).

    A worker forked by the fork server is not the calling process's child and holds its own
    copy of the task queue, so it would outlive a killed caller: a daemon thread waits on the
    parent's sentinel and ends the worker when the caller is gone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        sentinel = parent.sentinel

        def watch() -> None:
            multiprocessing.connection.wait([sentinel])
            os._exit(70)

        threading.Thread(target=watch, name="coopsim-parent-watch", daemon=True).start()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    allocator.tune()


def make_executor(
    executor: str | None,
    workers: int | None,
    scheduler: str | None,
    tasks: int,
    preload: Sequence[str] = (),
) -> Any:
    """The executor for ``executor`` (processes | dask), ``workers`` and ``scheduler``, for
    ``tasks`` tasks (no more local processes than tasks; one runs them in this process).

    A ``scheduler`` address means Dask whatever ``executor`` says; ``local`` is an alias of
    ``processes``. ``preload``: modules the local workers import before their first task.
    """
    kind = executor_kind(executor)
    if _importing_the_parents_script():  # this worker can only stop: one line, no traceback
        raise SystemExit(
            "coopsim: a worker process, importing the script that started it, was asked to start "
            'worker processes: call coopsim from a script under `if __name__ == "__main__":`'
        )
    if scheduler:  # an existing cluster is always Dask
        kind = "dask"
    count = workers or os.cpu_count() or 1
    if kind == "processes":
        count = max(1, min(count, tasks))
    if scheduler is None and (kind == "dask" or count > 1):  # workers that import __main__
        _refuse_an_unguarded_script()
    if kind == "dask":
        return DaskExecutor(count, scheduler)
    return InlineExecutor() if count == 1 else ProcessExecutor(count, preload)


class UnguardedScript(SystemExit):
    """A script calls coopsim's parallel helpers from its top level, outside
    ``if __name__ == "__main__":``: every worker process would import the script and run it
    again. Raised before any worker starts; as a ``SystemExit`` it ends the script with its one
    line (no traceback) unless caught."""


def _refuse_an_unguarded_script() -> None:
    """Raise ``UnguardedScript`` when this call comes from the top-level code of the script run
    as ``__main__`` outside an ``if __name__ == "__main__":`` block."""
    where = unguarded_call_site()
    if where is None:
        return
    script, line = where
    raise UnguardedScript(
        f"coopsim: {script}:{line}: this starts worker processes, which import the script and "
        'would run it again: put the script\'s work under `if __name__ == "__main__":` '
        "(or pass workers=1)"
    )


def unguarded_call_site() -> tuple[str, int] | None:
    """``(script, line)`` of the top-level line of the ``__main__`` script that led to this call
    when that line is outside every ``if __name__ ...`` block; None otherwise (no script file, as
    in a notebook or ``python -c``; a call from a thread; a file that cannot be read).

    Worker processes started by spawn or a fork server import the parent's ``__main__`` file as
    ``__mp_main__``: only code under the guard is safe from running again in each of them.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or not path:
        return None
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals is vars(main) and frame.f_code.co_name == "<module>":
            break
        frame = frame.f_back
    if frame is None:
        return None
    line = frame.f_lineno
    try:
        with open(path, encoding="utf-8") as file:
            body = list(ast.parse(file.read(), path).body)
    except (OSError, SyntaxError, ValueError):
        return None
    while body:  # down the statements that hold the line, to the one that runs it
        statement = next((s for s in body if s.lineno <= line <= (s.end_lineno or 0)), None)
        if statement is None:
            return None
        if isinstance(statement, ast.If) and _tests_the_name(statement.test):
            return None
        body = list(_statements_in(statement))
    return os.path.basename(path), line


def _statements_in(node: ast.AST) -> Iterator[ast.stmt]:
    """The statements directly inside a compound statement (its body, else, handlers, cases)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.stmt):
            yield child
        elif isinstance(child, ast.excepthandler | ast.match_case):
            yield from _statements_in(child)


def _tests_the_name(test: ast.expr) -> bool:
    """Whether an ``if`` test reads ``__name__`` (``__name__ == "__main__"`` and its variants)."""
    return any(isinstance(n, ast.Name) and n.id == "__name__" for n in ast.walk(test))


def _importing_the_parents_script() -> bool:
    """Whether this is a new worker process (spawn or fork server) still importing its parent's
    script: a script without the ``__main__`` guard would start pools without end. The flag is
    the one multiprocessing itself checks before it refuses to start a process then."""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def executor_kind(executor: str | None) -> str:
    """``processes`` or ``dask`` for an executor's name (None: processes); ValueError if unknown."""
    kind = (executor or "processes").lower()
    if kind in ("local", "process", "pool"):
        kind = "processes"
    if kind not in ("processes", "dask"):
        raise ValueError(f"unknown executor {executor!r}: choose 'processes' or 'dask'")
    return kind


class InlineExecutor:
    """Runs each task in this process when it is submitted (one worker)."""

    name = "inline"
    slots = 1
    workers = 1

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_result(fn(arg))
        return future

    def wait(self, futures: Collection[Any], timeout: float) -> set[Any]:
        return {f for f in futures if f.done()}

    @staticmethod
    def lost(exc: BaseException) -> bool:
        return False

    def restart(self) -> None:
        pass

    def close(self, cancel: bool = False) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {"executor": "processes", "workers": 1, "where": "in the calling process"}


class ProcessExecutor:
    """A pool of local worker processes (``concurrent.futures``, fork server)."""

    name = "processes"

    def __init__(self, workers: int, preload: Sequence[str] = ()):
        self.workers = self.slots = workers
        methods = multiprocessing.get_all_start_methods()
        method = "forkserver" if "forkserver" in methods else "spawn"
        self._context = multiprocessing.get_context(method)
        if method == "forkserver":  # taken when the fork server starts (once per process)
            self._context.set_forkserver_preload([*PRELOAD, *preload])
        self._pool = self._start()

    def _start(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            self.workers, mp_context=self._context, initializer=init_worker
        )

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> cf.Future:
        with _ctrl_c_held():  # the pool starts its worker processes here, as tasks come
            return self._pool.submit(fn, arg)

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
            for process in processes:  # a second Ctrl-C: do not wait for running tasks
                process.terminate()
            for process in processes:
                process.join(timeout=5)
        else:
            self._pool.shutdown(wait=True)

    def describe(self) -> dict[str, Any]:
        return {"executor": "processes", "workers": self.workers}


def _in_our_worker(fn: Callable[[Any], Any], arg: Any) -> Any:
    """``fn(arg)`` on a worker of a cluster coopsim started: the worker opts in to the allocator
    settings first, as local worker processes do (once per process)."""
    allocator.tune()
    return fn(arg)


class DaskExecutor:
    """Tasks as Dask futures: on a new ``LocalCluster`` or on a scheduler by address."""

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
            # dashboard, competing with a CPU-bound task for the interpreter lock), and the
            # nanny's MALLOC_TRIM_THRESHOLD_ (the workers opt in to coopsim.allocator's settings
            # instead; the nanny would also leave it in this process's environ).
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

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> Any:
        if self.cluster is None:  # an existing cluster's workers are its own
            return self.client.submit(fn, arg, pure=False)
        return self.client.submit(_in_our_worker, fn, arg, pure=False)

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
        """A worker died under the task, or its result could not be fetched after a worker
        loss (seen with a second client in the scheduler's own process: the future is then
        "bound to a different event loop"); either way the task runs again."""
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


def run_all(
    executor: Any,
    fn: Callable[[Any], Any],
    tasks: Sequence[Any],
    on_lost: Callable[[Any, BaseException], Any] | None = None,
) -> Iterator[tuple[int, Any]]:
    """``fn(task)`` for every task on ``executor``: yields ``(index, result)`` as each finishes.

    At most twice ``executor.slots`` tasks are in flight. When a worker dies, the executor is
    restarted once, and the tasks that were in flight and did not finish (a local pool fails them
    all) run again one at a time, in task order, with nothing else in flight, before any new task
    starts: none is held to have killed its worker for having been in flight then. A task that
    kills its worker when it runs alone does: its result is ``on_lost(task, exc)`` (or
    ``WorkerLost`` is raised). Workers that die under every task, each run alone, cannot run
    coopsim at all: ``RuntimeError`` once ``MAX_LOSSES_BEFORE_ANY_SUCCESS`` tasks killed their
    worker alone before any task finished (or every task did). The caller closes the executor.
    """
    pending = collections.deque(range(len(tasks)))
    suspects: list[int] = []  # in flight when a worker died, to run again alone (in task order)
    inflight: dict[Any, tuple[int, int, bool]] = {}  # future: index, generation, ran alone
    generation = 0  # the executor's restarts: a breakage fails the futures of one generation
    unjudged: list[tuple[int, BaseException]] = []  # killed alone before any task finished
    finished_any = False

    def submit(index: int, alone: bool) -> bool:
        """``tasks[index]`` in flight; False if the executor was found broken before its
        failed futures were seen (they will be, and restart it)."""
        nonlocal generation
        try:
            future = executor.submit(fn, tasks[index])
        except Exception as exc:
            if not executor.lost(exc):
                raise
            if any(g == generation for _, g, _ in inflight.values()):
                return False
            executor.restart()  # broken with nothing of ours in flight (an idle worker died)
            generation += 1
            future = executor.submit(fn, tasks[index])
        inflight[future] = (index, generation, alone)
        return True

    def lost(index: int, exc: BaseException) -> Any:
        if on_lost is None:
            raise WorkerLost(f"a worker process died while running task {index}") from exc
        return on_lost(tasks[index], exc)

    while pending or suspects or inflight:
        if suspects and not inflight:  # (with nothing in flight, submit restarts if it must)
            submit(suspects.pop(0), alone=True)
        while not suspects and pending and len(inflight) < 2 * executor.slots:
            index = pending.popleft()
            if not submit(index, alone=False):
                pending.appendleft(index)
                break
        for future in executor.wait(list(inflight), timeout=0.25):
            index, submitted, alone = inflight.pop(future)
            try:
                result = future.result()
            except Exception as exc:
                casualty = submitted < generation and isinstance(exc, cf.CancelledError)
                if not (executor.lost(exc) or casualty):
                    raise
                if submitted == generation:  # a new breakage: once, whatever it failed
                    executor.restart()
                    generation += 1
                if not alone:
                    bisect.insort(suspects, index)
                    continue
                if not finished_any:  # nothing runs yet: the workers may be what is broken
                    unjudged.append((index, exc))
                    if len(unjudged) >= MAX_LOSSES_BEFORE_ANY_SUCCESS:
                        raise _never_finish(exc) from exc
                    continue
                result = lost(index, exc)
            else:
                if not finished_any:
                    finished_any = True
                    for earlier, cause in unjudged:
                        yield earlier, lost(earlier, cause)
                    unjudged.clear()
            yield index, result
    if unjudged:  # every task killed its worker, alone
        exc = unjudged[-1][1]
        raise _never_finish(exc) from exc


def _never_finish(exc: BaseException) -> RuntimeError:
    return RuntimeError(
        "the worker processes die before finishing any task, even one at a time "
        f"({type(exc).__name__}: {exc}); when coopsim is called from a script, call it under "
        '`if __name__ == "__main__":` (worker processes import the script)'
    )


def gather(
    fn: Callable[[Any], Any],
    tasks: Sequence[Any],
    *,
    executor: str | None = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    preload: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """``fn(task)`` for every task, on an executor made for them (``make_executor``) and closed
    after: the results in task order; ``progress(done, total)`` after each."""
    runner = make_executor(executor, workers, scheduler, len(tasks), preload)
    results: list[Any] = [None] * len(tasks)
    finished = False
    try:
        for done, (index, result) in enumerate(run_all(runner, fn, tasks), start=1):
            results[index] = result
            if progress:
                progress(done, len(tasks))
        finished = True
    finally:
        runner.close(cancel=not finished)
    return results
