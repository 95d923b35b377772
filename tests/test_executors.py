"""One executor abstraction for sweeps, comparisons and patterns: ``run_all`` gives every task's
result whatever runs it, finds a task that kills its worker, and coopsim's own worker processes
opt in to the allocator settings while the calling process keeps its own."""

from __future__ import annotations

import functools
import operator
import os
import platform
from concurrent.futures.process import BrokenProcessPool

import pytest

from coopsim import allocator
from coopsim.executors import (
    InlineExecutor,
    ProcessExecutor,
    WorkerLost,
    make_executor,
    run_all,
)

# Tasks are callables the workers can unpickle (the test module is not importable there).
SQUARES = [functools.partial(pow, i, 2) for i in range(9)]
KILLER = functools.partial(os._exit, 3)


def _results(executor, tasks, **options):
    try:
        return dict(run_all(executor, operator.call, tasks, **options))
    finally:
        executor.close(cancel=True)


def _lost(task, exc):
    return "lost"


class _CountingRestarts(ProcessExecutor):
    """Local processes that count their restarts (a fresh pool after each worker death)."""

    restarts = 0

    def restart(self):
        self.restarts += 1
        super().restart()


class _FoundBroken(InlineExecutor):
    """Runs tasks in this process, but its first submit finds it broken, as a pool whose idle
    worker died would be (no task of its own fails then)."""

    restarts = 0
    lost = staticmethod(ProcessExecutor.lost)

    def submit(self, fn, arg):
        if not self.restarts:
            raise BrokenProcessPool("an idle worker died")
        return super().submit(fn, arg)

    def restart(self):
        self.restarts += 1


def test_results_do_not_depend_on_the_executor():
    expected = {i: i * i for i in range(len(SQUARES))}
    assert _results(InlineExecutor(), SQUARES) == expected
    assert _results(ProcessExecutor(2), SQUARES) == expected
    assert isinstance(make_executor(None, 1, None, 9), InlineExecutor)
    assert isinstance(make_executor("processes", 4, None, 1), InlineExecutor)  # one task


def test_a_task_that_kills_its_worker_is_found_and_the_others_finish():
    tasks = [*SQUARES[:5], KILLER, *SQUARES[5:]]
    got = _results(ProcessExecutor(2), tasks, on_lost=lambda task, exc: "lost")
    assert got == {**{i: i * i for i in range(5)}, 5: "lost", **{i + 1: i * i for i in range(5, 9)}}
    with pytest.raises(WorkerLost):
        _results(ProcessExecutor(2), tasks)


@pytest.mark.parametrize("workers", [2, 3])
def test_a_killer_in_the_first_wave_is_the_only_task_lost(workers):
    # Its worker's death fails every task in flight: the pool restarts once for that, and each of
    # them runs again alone, where only the killer kills its worker (a second restart).
    executor = _CountingRestarts(workers)
    got = _results(executor, [KILLER, *SQUARES[:5]], on_lost=_lost)
    assert got == {0: "lost", **{i + 1: i * i for i in range(5)}}
    assert executor.restarts == 2
    with pytest.raises(WorkerLost, match="task 0"):
        _results(ProcessExecutor(workers), [KILLER, *SQUARES[:5]])


def test_two_killers_in_the_first_wave_are_both_lost_and_the_others_finish():
    executor = _CountingRestarts(2)
    tasks = [KILLER, SQUARES[1], KILLER, *SQUARES[3:6]]
    got = _results(executor, tasks, on_lost=_lost)
    assert got == {0: "lost", 1: 1, 2: "lost", **{i: i * i for i in range(3, 6)}}
    assert executor.restarts == 3  # one for the wave they broke together, one for each alone


def test_workers_that_never_finish_anything_stop_the_work():
    with pytest.raises(RuntimeError, match='if __name__ == "__main__"'):
        _results(ProcessExecutor(2), [KILLER] * 4)
    for tasks in ([KILLER] * 4, [KILLER] * 2):  # every task kills its worker, even alone
        with pytest.raises(RuntimeError, match="before finishing any task"):
            _results(ProcessExecutor(2), tasks, on_lost=_lost)


def test_an_executor_found_broken_at_submit_restarts_and_loses_nothing():
    executor = _FoundBroken()
    assert _results(executor, SQUARES) == {i: i * i for i in range(len(SQUARES))}
    assert executor.restarts == 1


def test_a_task_that_raises_raises_in_the_caller():
    with pytest.raises(ZeroDivisionError):
        _results(ProcessExecutor(2), [functools.partial(operator.truediv, 1, 0)])


def test_local_workers_opt_in_to_the_allocator_settings_and_the_caller_does_not():
    here = allocator._tuned
    names = (*allocator._CHOSEN_ELSEWHERE, "COOPSIM_TUNE_MALLOC")
    # Whether the settings apply depends on the workers' environment (the fork server's).
    probes = [allocator.tuned, allocator.tuned, *(functools.partial(os.getenv, n) for n in names)]
    got = list(_results(ProcessExecutor(2), probes).items())
    tuned = {value for index, value in got if index < 2}
    env = {names[index - 2]: value for index, value in got if index >= 2}
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    switched_off = (env["COOPSIM_TUNE_MALLOC"] or "1").strip().lower() in allocator._OFF
    chosen = any(env[name] is not None for name in allocator._CHOSEN_ELSEWHERE)
    assert tuned == {glibc and not switched_off and not chosen}
    assert allocator._tuned is here
    assert _results(InlineExecutor(), [allocator.tuned]) == {0: bool(here)}
