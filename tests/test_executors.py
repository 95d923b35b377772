"""One executor abstraction for sweeps, comparisons and patterns: ``run_all`` gives every task's
result whatever runs it, finds a task that kills its worker, and coopsim's own worker processes
opt in to the allocator settings while the calling process keeps its own."""

from __future__ import annotations

import functools
import operator
import os
import platform

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


def test_workers_that_never_finish_anything_stop_the_work():
    with pytest.raises(RuntimeError, match='if __name__ == "__main__"'):
        _results(ProcessExecutor(2), [KILLER] * 4)


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
