"""Sweeps on Dask: a LocalCluster gives the pool's results; a killed worker loses nothing."""

from __future__ import annotations

import json
import os
import platform
import signal
import threading
import time

import pandas as pd
import pytest

from coopsim.experiments import load_results, run_sweep

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow


def test_dask_local_cluster_gives_the_same_results(tmp_path, reference, result_rows):
    spec, expected = reference
    path = run_sweep(spec, executor="dask", workers=2, out=tmp_path, progress=False)
    pd.testing.assert_frame_equal(load_results(path), expected)
    assert result_rows(path)["run_id"].is_unique
    session = json.loads((path / "metadata.json").read_text())["sessions"][0]
    assert session["executor"] == "dask" and session["scheduler"] == "LocalCluster"


def _worker_settings():
    import dask

    from coopsim import allocator

    return (
        dask.config.get("distributed.worker.profile.enabled"),
        os.environ.get("MALLOC_TRIM_THRESHOLD_"),
        allocator._tuned,  # None: tune() never called in this worker
    )


def test_the_local_cluster_runs_its_workers_without_the_profiler_or_the_nannys_malloc_setting():
    """The workers of a cluster coopsim starts opt in to coopsim's allocator settings instead of
    the nanny's; this process's Dask configuration and malloc stay as they were."""
    import dask

    from coopsim import allocator
    from coopsim.executors import DaskExecutor

    before = os.environ.get("MALLOC_TRIM_THRESHOLD_")  # other tests' clusters may have set it
    tuned_here = allocator._tuned
    executor = DaskExecutor(1)
    try:
        assert executor.submit(abs, -1).result() == 1  # a task: the worker opts in first
        (profiled, trim, tuned), *_ = executor.client.run(_worker_settings).values()
    finally:
        executor.close()
    assert profiled is False
    assert trim == before  # the nanny added nothing (a value here was inherited)
    if before is None:
        glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
        switched_off = os.environ.get("COOPSIM_TUNE_MALLOC", "1").lower() in allocator._OFF
        chosen = any(name in os.environ for name in allocator._CHOSEN_ELSEWHERE)
        assert tuned is (glibc and not switched_off and not chosen)
    else:
        assert tuned is False  # an inherited MALLOC_TRIM_THRESHOLD_ is someone's choice
    assert dask.config.get("distributed.worker.profile.enabled")  # this process's is untouched
    assert os.environ.get("MALLOC_TRIM_THRESHOLD_") == before
    assert allocator._tuned is tuned_here


def test_the_workers_of_an_existing_cluster_are_left_as_they_are(cluster):
    from coopsim.executors import DaskExecutor

    executor = DaskExecutor(1, cluster.scheduler_address)
    try:
        assert executor.submit(abs, -1).result() == 1
        states = {state for *_, state in executor.client.run(_worker_settings).values()}
    finally:
        executor.close()
    assert states == {None}


@pytest.fixture
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local


def test_a_worker_killed_mid_sweep_loses_and_doubles_nothing(
    tmp_path, tiny_sweep, result_rows, cluster
):
    spec = tiny_sweep(replicates=6, batch_size=2)  # 36 runs in 18 tasks
    expected = load_results(run_sweep(spec, workers=1, out=tmp_path / "ref", progress=False))
    with distributed.Client(cluster) as client:
        before = set(client.run(os.getpid).values())
    out = tmp_path / "dask"
    killed: list[int] = []

    def kill_one_worker_mid_sweep() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if len(list(out.glob("*/results/part-*.parquet"))) >= 2:
                victim = min(before)
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_one_worker_mid_sweep, daemon=True)
    killer.start()
    path = run_sweep(
        spec, scheduler=cluster.scheduler_address, out=out, progress=False, flush_seconds=0
    )
    killer.join(timeout=5)
    assert killed, "the sweep finished before a worker could be killed"
    rows = result_rows(path)
    assert len(rows) == 36 and rows["run_id"].is_unique
    pd.testing.assert_frame_equal(load_results(path), expected)
    assert rows["error"].isna().all()
    with distributed.Client(cluster) as client:
        client.wait_for_workers(2, timeout=60)
        after = set(client.run(os.getpid).values())
    assert killed[0] not in after  # the nanny started a new worker in its place


def test_a_result_lost_with_its_worker_counts_as_a_lost_batch():
    """A killed worker, or a result that cannot be fetched after one (a future "bound to a
    different event loop"), sends the batch round again; any other error is the run's own."""
    from coopsim.executors import DaskExecutor

    assert DaskExecutor.lost(distributed.KilledWorker("task", None, 3))
    assert DaskExecutor.lost(RuntimeError("<Future> is bound to a different event loop"))
    assert not DaskExecutor.lost(RuntimeError("something else"))
    assert not DaskExecutor.lost(ValueError("a bad value"))
