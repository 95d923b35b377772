"""Running sweeps: identical results on any worker count, failures recorded, resume, analysis."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coopsim.executors import ExecutorUnavailable
from coopsim.experiments import (
    analyse,
    load_design,
    load_results,
    load_timeseries,
    main_effects,
    morris_indices,
    run_sweep,
    sobol_indices,
    surface,
)
from coopsim.experiments import worker as worker_module
from coopsim.scenario import ScenarioError


def test_design_and_sweep_file_are_written_before_any_run(tmp_path, monkeypatch, tiny_sweep):
    seen = {}

    def spy(batch):
        path = next(tmp_path.iterdir())
        seen["files"] = sorted(p.name for p in path.iterdir())
        seen["design"] = len(pd.read_parquet(path / "design.parquet"))
        raise KeyboardInterrupt  # stop at once: only the files written before matter

    monkeypatch.setattr("coopsim.experiments.runner.run_batch", spy)
    with pytest.raises(Exception, match="interrupted"):
        run_sweep(tiny_sweep(), workers=1, out=tmp_path, progress=False)
    assert {"sweep.yaml", "design.parquet", "metadata.json"} <= set(seen["files"])
    assert seen["design"] == 12


def test_process_pool_gives_the_same_results_as_one_process(tmp_path, reference, result_rows):
    spec, expected = reference
    path = run_sweep(spec, workers=2, out=tmp_path, progress=False)
    got = load_results(path)
    pd.testing.assert_frame_equal(got, expected)
    assert result_rows(path)["run_id"].is_unique
    meta = json.loads((path / "metadata.json").read_text())
    assert meta["status"] == "complete" and meta["sessions"][0]["workers"] == 2
    series = load_timeseries(path)
    assert set(series["run_id"]) == set(range(12))
    assert list(series.loc[series["run_id"] == 0, "step"]) == [1, 5, 9, 12]


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path, tiny_sweep):
    spec = tiny_sweep(
        parameters={"partnerships.size_min": [2, 4], "partnerships.size_max": [3, 5]},
    )
    path = run_sweep(spec, workers=1, out=tmp_path, progress=False)
    results = load_results(path)
    assert len(results) == 8
    bad = results["partnerships.size_min"] > results["partnerships.size_max"]
    assert bad.sum() == 2
    assert results.loc[bad, "error"].str.contains("size_min must not exceed size_max").all()
    assert results.loc[bad, "mean_trust"].isna().all()
    assert results.loc[~bad, "error"].isna().all()
    assert results.loc[~bad, "mean_trust"].notna().all()
    meta = json.loads((path / "metadata.json").read_text())
    assert meta["status"] == "complete_with_failures" and meta["runs_failed"] == 2
    assert len(analyse(path)["errors"]) == 2


def test_a_run_that_raises_once_is_retried(tmp_path, monkeypatch, tiny_sweep):
    real = worker_module._one_run
    calls: dict[int, int] = {}

    def flaky(batch, spec):
        calls[spec.run_id] = calls.get(spec.run_id, 0) + 1
        if spec.run_id == 3 and calls[spec.run_id] == 1:
            raise MemoryError("transient")
        if spec.run_id == 5:
            raise RuntimeError("always")
        return real(batch, spec)

    monkeypatch.setattr(worker_module, "_one_run", flaky)
    path = run_sweep(tiny_sweep(), workers=1, out=tmp_path, progress=False)
    results = load_results(path).set_index("run_id")
    assert calls[3] == 2 and calls[5] == 2
    assert pd.isna(results.loc[3, "error"]) and np.isfinite(results.loc[3, "mean_trust"])
    assert results.loc[5, "error"].startswith("RuntimeError: always")
    assert results["error"].notna().sum() == 1


def test_resume_runs_only_what_is_missing(tmp_path, reference, result_rows):
    spec, expected = reference
    path = run_sweep(spec, workers=1, out=tmp_path, progress=False, flush_seconds=0)
    parts = sorted((path / "results").glob("part-*.parquet"))
    assert len(parts) >= 3
    for part in parts[1::2]:  # as if the process died before these were written
        part.unlink()
        (path / "timeseries" / part.name).unlink(missing_ok=True)
    (path / "results" / ".part-000-000099.parquet.123.abcd.tmp").write_bytes(b"half")
    missing = 12 - len(load_results(path))
    seen = []
    again = run_sweep(None, resume=path, workers=1, progress=lambda d, t: seen.append(d))
    assert again == path and seen[0] == 12 - missing and seen[-1] == 12
    pd.testing.assert_frame_equal(load_results(path), expected)
    assert len(result_rows(path)) == 12
    assert not list((path / "results").glob(".*.tmp"))
    ts = load_timeseries(path, with_design=False)
    assert not ts.duplicated(["run_id", "step"]).any() and set(ts["run_id"]) == set(range(12))
    meta = json.loads((path / "metadata.json").read_text())
    assert [s["runs_done"] for s in meta["sessions"]] == [12, missing]
    # Nothing left: resuming again runs nothing.
    run_sweep(spec, resume=path, workers=1, progress=False)
    assert len(result_rows(path)) == 12


def test_resume_refuses_a_different_sweep(tmp_path, tiny_sweep):
    path = run_sweep(tiny_sweep(), workers=1, out=tmp_path, progress=False)
    with pytest.raises(ScenarioError, match="differs from the sweep"):
        run_sweep(tiny_sweep(seed=12), resume=path, workers=1, progress=False)
    with pytest.raises(ScenarioError, match="not a sweep directory"):
        run_sweep(None, resume=tmp_path, progress=False)


def test_grid_analysis_tables(tmp_path, reference):
    spec, _ = reference
    path = run_sweep(spec, workers=1, out=tmp_path, progress=False)
    effects = main_effects(path, outputs=["mean_trust"])
    assert set(effects["parameter"]) == {"governance.mode", "turnover.rate"}
    modes = effects[effects["parameter"] == "governance.mode"]
    assert list(modes["value"]) == ["statism", "governance"] and (modes["n"] == 6).all()
    assert (modes["ci_low"] <= modes["mean"]).all() and (modes["mean"] <= modes["ci_high"]).all()
    grid = surface(path, "turnover.rate", "governance.mode", "mean_trust")
    assert grid.pivot(index="y", columns="x", values="mean").shape == (2, 3)
    tables = analyse(path)
    assert {"design", "results", "errors", "points", "main_effects"} <= set(tables)
    assert len(tables["points"]) == 6 * 3


def test_sobol_and_morris_indices(tmp_path, tiny_sweep):
    params = {"turnover.rate": {"low": 0.0, "high": 0.3}, "trust.gain": {"low": 0.02, "high": 0.2}}
    sobol = run_sweep(
        tiny_sweep(design="sobol", samples=4, replicates=1, parameters=params, batch_size=8),
        workers=1,
        out=tmp_path,
        progress=False,
    )
    indices = sobol_indices(sobol, ["mean_trust"])
    assert list(indices.columns[:6]) == ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(indices) == 2 and indices[["S1", "ST"]].notna().all().all()
    assert len(load_design(sobol)) == 4 * (2 * 2 + 2)
    morris = run_sweep(
        tiny_sweep(design="morris", samples=3, replicates=1, parameters=params, batch_size=9),
        workers=1,
        out=tmp_path,
        progress=False,
    )
    mi = morris_indices(morris, ["mean_trust", "cooperation_rate"])
    assert len(mi) == 4 and (mi["mu_star"] >= 0).all() and mi["sigma"].notna().all()
    with pytest.raises(ValueError, match="need a sobol design"):
        sobol_indices(morris)


class _Lost(Exception):
    """Stands for BrokenProcessPool / KilledWorker."""


class _CrashingExecutor:
    """Runs batches here, but a batch holding one of ``culprits`` 'kills its worker'."""

    name = "fake"
    slots = workers = 2

    def __init__(self, culprits):
        self.culprits = set(culprits)
        self.restarts = 0
        self.batches: list[list[int]] = []

    def submit(self, fn, batch):
        import concurrent.futures as cf

        ids = [r.run_id for r in batch.runs]
        self.batches.append(ids)
        future = cf.Future()
        if self.culprits & set(ids) or "all" in self.culprits:
            future.set_exception(_Lost("worker died"))
        else:
            future.set_result(fn(batch))
        return future

    def wait(self, futures, timeout):
        return set(futures)

    @staticmethod
    def lost(exc):
        return isinstance(exc, _Lost)

    def restart(self):
        self.restarts += 1

    def close(self, cancel=False):
        pass

    def describe(self):
        return {"executor": "fake", "workers": 2}


def test_a_run_that_kills_its_worker_is_isolated_and_recorded(tmp_path, monkeypatch, reference):
    spec, expected = reference
    fake = _CrashingExecutor({7})
    monkeypatch.setattr("coopsim.experiments.runner.make_executor", lambda *a: fake)
    path = run_sweep(
        {**spec, "sweep": {**spec["sweep"], "batch_size": 3}}, out=tmp_path, progress=False
    )
    results = load_results(path).set_index("run_id")
    assert results.loc[7, "error"].startswith("WorkerLost")
    ok = results.drop(index=7).reset_index()
    pd.testing.assert_frame_equal(
        ok, expected[expected["run_id"] != 7].reset_index(drop=True), check_like=True
    )
    alone = [b for b in fake.batches if b == [7]]
    assert len(alone) == 1  # its batch-mates were cleared alone, then it failed alone
    assert fake.restarts == 2


def test_workers_that_never_finish_anything_stop_the_sweep(tmp_path, monkeypatch, tiny_sweep):
    monkeypatch.setattr(
        "coopsim.experiments.runner.make_executor", lambda *a: _CrashingExecutor({"all"})
    )
    with pytest.raises(RuntimeError, match='if __name__ == "__main__"'):
        run_sweep(tiny_sweep(), out=tmp_path, progress=False)
    (path,) = tmp_path.iterdir()
    assert not list((path / "results").glob("part-*"))
    assert json.loads((path / "metadata.json").read_text())["status"] == "failed"


@pytest.mark.parametrize(
    "failure",
    [ExecutorUnavailable("Dask is not installed"), OSError("no scheduler at that address")],
    ids=["unavailable", "cannot-connect"],
)
def test_an_executor_that_cannot_start_leaves_nothing_behind(
    tmp_path, monkeypatch, tiny_sweep, failure
):
    def cannot_start(*args):
        raise failure

    monkeypatch.setattr("coopsim.experiments.runner.make_executor", cannot_start)
    with pytest.raises(type(failure), match=str(failure)):
        run_sweep(tiny_sweep(), out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_the_executor_is_closed_when_the_sweep_directory_cannot_be_made(
    tmp_path, monkeypatch, tiny_sweep
):
    from coopsim.io import OutputPathError

    fake = _CrashingExecutor(set())
    closed = []
    fake.close = lambda cancel=False: closed.append(cancel)
    monkeypatch.setattr("coopsim.experiments.runner.make_executor", lambda *a: fake)
    (tmp_path / "out").write_text("a file, not a directory")
    with pytest.raises(OutputPathError):
        run_sweep(tiny_sweep(), out=tmp_path / "out", progress=False)
    assert closed == [True] and not fake.batches


def test_finished_batches_are_gathered_into_parts(tmp_path, tiny_sweep):
    spec = tiny_sweep(batch_size=1)
    gathered = run_sweep(spec, workers=1, out=tmp_path / "a", progress=False, flush_seconds=600)
    single = run_sweep(spec, workers=1, out=tmp_path / "b", progress=False, flush_seconds=0)
    assert len(list((gathered / "results").glob("part-*"))) == 1
    assert len(list((single / "results").glob("part-*"))) == 12
    pd.testing.assert_frame_equal(load_results(gathered), load_results(single))


def test_resuming_after_the_model_code_changed_says_so(tmp_path, tiny_sweep, capsys):
    path = run_sweep(tiny_sweep(), workers=1, out=tmp_path, progress=False, flush_seconds=0)
    parts = sorted((path / "results").glob("part-*"))
    parts[-1].unlink()
    meta = json.loads((path / "metadata.json").read_text())
    meta["code_digest"] = "0" * 16  # as if the sweep had started on other model code
    (path / "metadata.json").write_text(json.dumps(meta))
    run_sweep(None, resume=path, workers=1, progress=False)
    assert "the model code changed" in capsys.readouterr().err
    sessions = json.loads((path / "metadata.json").read_text())["sessions"]
    assert sessions[-1]["code_changed"] is True


def test_a_sector_pair_column_is_empty_in_runs_without_that_sector(tmp_path, tiny_sweep):
    spec = tiny_sweep(
        parameters={"population.community.count": [0, 2]},
        replicates=1,
        timeseries=["mean_trust", "trust_business_community"],
    )
    path = run_sweep(spec, workers=1, out=tmp_path, progress=False)
    assert not load_results(path)["error"].notna().any()
    series = load_timeseries(path).set_index("run_id")
    design = load_design(path).set_index("run_id")["population.community.count"]
    pair = series["trust_business_community"].groupby(level=0).apply(lambda s: s.notna().all())
    assert pair.to_dict() == (design > 0).to_dict()
    assert series["mean_trust"].notna().all()


def test_resume_refuses_an_edited_sweep_file_and_set_values(tmp_path, tiny_sweep):
    """Issue 19, finding 1: an edited sweep.yaml in the directory would mix runs of two sweeps;
    `--set` with `--resume` would be ignored. Both are refused before any run."""
    path = run_sweep(tiny_sweep(), workers=1, out=tmp_path, progress=False)
    with pytest.raises(ScenarioError, match="cannot change the sweep"):
        run_sweep(None, resume=path, overrides=["steps=5"], progress=False)
    sweep_file = path / "sweep.yaml"
    original = sweep_file.read_text()
    edited = re.sub(r"(?m)^  steps: \d+", "  steps: 5", original)
    assert edited != original
    sweep_file.write_text(edited)
    before = len(load_results(path))
    with pytest.raises(ScenarioError, match="was changed since the sweep started"):
        run_sweep(None, resume=path, workers=1, progress=False)
    assert len(load_results(path)) == before
    sweep_file.write_text(original)  # restored: resuming is allowed again (nothing left to run)
    run_sweep(None, resume=path, workers=1, progress=False)


def test_a_second_writer_of_a_sweep_directory_is_refused(tmp_path, tiny_sweep):
    """Issue 19, finding 3: two resumes of one directory at once could overwrite each other's
    parts. While one process writes there, another is refused before it touches anything."""
    from coopsim.experiments import DirectoryBusy
    from coopsim.experiments.store import SweepStore

    path = run_sweep(tiny_sweep(), workers=1, out=tmp_path, progress=False)
    stray = path / "results" / ".part-000-000099.parquet.123.abcd.tmp"  # another writer's
    stray.write_bytes(b"half")
    with SweepStore(path).writing(), pytest.raises(DirectoryBusy, match="another coopsim"):
        run_sweep(None, resume=path, workers=1, progress=False)
    assert stray.exists()  # the other writer's half-written part was left alone
    run_sweep(None, resume=path, workers=1, progress=False)  # once it is done: allowed
    assert not stray.exists()


@pytest.mark.parametrize("damage", ["truncated results", "empty results", "missing series"])
def test_resume_sets_damaged_parts_aside_and_runs_them_again(tmp_path, reference, damage):
    """Issue 19, finding 3: a truncated or empty results part made resume and report fail; a
    missing time-series part went unnoticed. Such parts are set aside and their runs rerun."""
    spec, expected = reference
    path = run_sweep(spec, workers=1, out=tmp_path, progress=False, flush_seconds=0)
    part = sorted((path / "results").glob("part-*.parquet"))[1]
    series = path / "timeseries" / part.name
    if damage == "truncated results":
        part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    elif damage == "empty results":
        part.write_bytes(b"")
    else:
        series.unlink()
    run_sweep(None, resume=path, workers=1, progress=False)
    pd.testing.assert_frame_equal(load_results(path), expected)
    ts = load_timeseries(path, with_design=False)
    assert set(ts["run_id"]) == set(range(12)) and not ts.duplicated(["run_id", "step"]).any()
    meta = json.loads((path / "metadata.json").read_text())
    assert meta["set_aside"] == [part.name]
    assert (path / "results" / (part.name + ".damaged")).exists()


def test_a_deleted_metadata_file_is_rebuilt_whole_on_resume(tmp_path, tiny_sweep):
    """Issue 19, finding 3: a deleted metadata.json came back with 5 keys (digest and versions
    lost). It is rebuilt from the directory's sweep.yaml and design, and says so."""
    path = run_sweep(tiny_sweep(), workers=1, out=tmp_path, progress=False)
    whole = json.loads((path / "metadata.json").read_text())
    (path / "metadata.json").unlink()
    run_sweep(None, resume=path, workers=1, progress=False)
    rebuilt = json.loads((path / "metadata.json").read_text())
    assert rebuilt["digest"] == whole["digest"] and rebuilt["packages"] == whole["packages"]
    assert set(whole) <= set(rebuilt) and "rebuilt_utc" in rebuilt
    assert rebuilt["status"] == "complete" and rebuilt["runs_finished"] == whole["runs_finished"]


def test_a_sweep_whose_parts_cannot_be_written_says_failed(tmp_path, monkeypatch, tiny_sweep):
    """Endings are recorded (issue 19, finding 4): a full disk while writing parts."""
    import errno

    import pyarrow.parquet as pq

    write_table = pq.write_table

    def disk_full(table, where, *args, **kwargs):
        if "results" not in Path(str(where)).parts:  # the design: the sweep starts
            return write_table(table, where, *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "write_table", disk_full)
    with pytest.raises(OSError):
        run_sweep(tiny_sweep(), workers=1, out=tmp_path, progress=False, flush_seconds=0)
    (directory,) = tmp_path.iterdir()
    meta = json.loads((directory / "metadata.json").read_text())
    assert meta["status"] == "failed" and "No space left on device" in meta["error"]
    assert meta["sessions"][-1]["status"] == "failed"


def test_a_sweep_that_cannot_start_leaves_no_directory(tmp_path, monkeypatch, tiny_sweep):
    """A full disk while writing the design: no directory without metadata.json is left."""
    import errno

    import pyarrow.parquet as pq

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "write_table", disk_full)
    with pytest.raises(OSError):
        run_sweep(tiny_sweep(), workers=1, out=tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []
