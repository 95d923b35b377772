"""Run and comparison directories: contents, reproducibility, common random numbers, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pandas as pd
import pytest

from coopsim.model import outputs
from coopsim.runs import Interrupted, compare_modes, replicate_seeds, run_scenario
from coopsim.scenario import load_scenario, parse_scenario

SMALL = """\
name: small
seed: 7
steps: 24
population:
  government: {count: 4}
  business: {count: 8}
  civil_society: {count: 6}
shocks:
  - {at: 10, kind: capacity_loss, target: government, severity: 0.6, duration: 6}
"""


@pytest.fixture
def small():
    return parse_scenario(SMALL, "small.yaml")


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


def test_run_directory_holds_the_contract(tmp_path, small):
    path = run_scenario(small, tmp_path / "runs", command="coopsim run small.yaml")
    assert path.parent == tmp_path / "runs"
    assert path.name.split("_")[1] == "small"
    names = {p.name for p in path.iterdir()}
    assert names == {
        "scenario.yaml",
        "metadata.json",
        "timeseries.parquet",
        "partnerships.parquet",
        "survival.parquet",
        "cumulative_incidence.parquet",
        "terms.parquet",
        "summary.json",
        "figures",
    }
    terms = pd.read_parquet(path / "terms.parquet")
    assert list(terms.columns) == list(outputs.names("member"))
    assert terms["accepted"].any() and set(terms["outcome"]) <= {"agreed", "failed"}
    meta = read_json(path / "metadata.json")
    assert meta["status"] == "complete"
    assert meta["seed"] == 7 and meta["steps_completed"] == 24
    assert meta["command"] == "coopsim run small.yaml"
    assert meta["coopsim_version"] and meta["packages"]["mesa"]
    assert meta["started_utc"] and meta["finished_utc"] and meta["python"]
    timeseries = pd.read_parquet(path / "timeseries.parquet")
    assert len(timeseries) == 24 and "cooperation_rate" in timeseries
    summary = read_json(path / "summary.json")
    assert "sustainability_index" in summary
    incidence = pd.read_parquet(path / "cumulative_incidence.parquet")
    assert list(incidence.columns) == [
        "age",
        "at_risk",
        "completed",
        "dissolved",
        "survival",
        "incidence_completed",
        "incidence_dissolved",
    ]
    assert summary["survival_horizon"] <= small.steps
    assert not [p for p in path.rglob(".*")], "no temporary files left"


def test_resolved_scenario_reproduces_the_time_series_exactly(tmp_path, small):
    first = run_scenario(small, tmp_path / "a")
    resolved = load_scenario(first / "scenario.yaml")
    assert resolved == small
    second = run_scenario(resolved, tmp_path / "b")
    pd.testing.assert_frame_equal(
        pd.read_parquet(first / "timeseries.parquet"),
        pd.read_parquet(second / "timeseries.parquet"),
        check_exact=True,
    )
    assert (first / "timeseries.parquet").read_bytes() == (
        second / "timeseries.parquet"
    ).read_bytes()
    assert (first / "scenario.yaml").read_text() == (second / "scenario.yaml").read_text()


def test_bundled_scenario_reruns_from_its_resolved_file(tmp_path):
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    scenario = load_scenario(repo / "scenarios" / "kobe_1995.yaml", ["steps=40"])
    first = run_scenario(scenario, tmp_path)
    second = run_scenario(load_scenario(first / "scenario.yaml"), tmp_path)
    assert first != second
    assert (first / "timeseries.parquet").read_bytes() == (
        second / "timeseries.parquet"
    ).read_bytes()


def test_output_settings_thin_and_skip(tmp_path):
    scenario = parse_scenario(SMALL + "output: {every: 5, partnerships: false}\n")
    path = run_scenario(scenario, tmp_path)
    steps = pd.read_parquet(path / "timeseries.parquet")["step"].tolist()
    assert steps == [1, 6, 11, 16, 21, 24]
    assert not (path / "partnerships.parquet").exists()


def test_ctrl_c_keeps_the_steps_done(tmp_path, small):
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN where the shell started us in background

    def progress(done, total):
        if done == 5:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(Interrupted) as info:
        run_scenario(small, tmp_path, progress=progress)
    path = info.value.path
    meta = read_json(path / "metadata.json")
    assert meta["status"] == "interrupted"
    assert 5 <= meta["steps_completed"] < 24
    assert len(pd.read_parquet(path / "timeseries.parquet")) == meta["steps_completed"]
    assert signal.getsignal(signal.SIGINT) is before  # the handler is put back


def test_replicate_seeds_are_stable_and_distinct():
    seeds = replicate_seeds(42, 5)
    assert seeds == replicate_seeds(42, 5)
    assert len(set(seeds)) == 5 and all(0 <= s < 2**63 for s in seeds)
    assert replicate_seeds(42, 6)[:5] == seeds
    with pytest.raises(ValueError):
        replicate_seeds(1, 0)


def test_comparison_directory(tmp_path, small):
    modes = ["statism", "governance"]
    path = compare_modes(small, modes, 3, tmp_path, workers=1, command="coopsim compare x")
    names = {p.name for p in path.iterdir()}
    assert {
        "scenario.yaml",
        "metadata.json",
        "timeseries.parquet",
        "partnerships.parquet",
        "survival.parquet",
        "cumulative_incidence.parquet",
        "summaries.parquet",
        "comparison.parquet",
        "comparison.csv",
        "effects.parquet",
        "figures",
    } <= names
    meta = read_json(path / "metadata.json")
    assert meta["status"] == "complete" and meta["runs_completed"] == 6
    seeds = meta["seeds"]
    assert seeds == replicate_seeds(small.seed, 3)

    timeseries = pd.read_parquet(path / "timeseries.parquet")
    assert list(timeseries.columns[:2]) == ["mode", "seed"]
    runs = timeseries.groupby(["mode", "seed"]).size()
    assert set(runs.index) == {(m, s) for m in modes for s in seeds}, "same seeds in every mode"
    assert (runs == 24).all()

    summaries = pd.read_parquet(path / "summaries.parquet")
    assert len(summaries) == 6
    table = pd.read_parquet(path / "comparison.parquet")
    row = table[(table.indicator == "sustainability_index") & (table["mode"] == "statism")]
    assert row["n"].item() == 3
    assert row["ci_low"].item() <= row["mean"].item() <= row["ci_high"].item()
    effects = pd.read_parquet(path / "effects.parquet")
    pair = effects[effects.indicator == "sustainability_index"]
    assert pair[["mode_a", "mode_b"]].values.tolist() == [["statism", "governance"]]
    assert 0 <= pair["a12"].item() <= 1
    incidence = pd.read_parquet(path / "cumulative_incidence.parquet")
    assert list(incidence.columns[:3]) == ["mode", "seed", "age"]
    for name in ("partnership_life_restricted", "dissolution_time_lost", "completion_time_lost"):
        assert set(table.loc[table.indicator == name, "mode"]) == set(modes)  # with intervals

    # each run is reproducible on its own from the resolved scenario, its mode and its seed
    one = load_scenario(path / "scenario.yaml", [f"seed={seeds[1]}", "governance.mode=statism"])
    alone = run_scenario(one, tmp_path / "alone")
    expected = timeseries[(timeseries["mode"] == "statism") & (timeseries["seed"] == seeds[1])]
    expected = expected.drop(columns=["mode", "seed"]).reset_index(drop=True)
    got = pd.read_parquet(alone / "timeseries.parquet").drop(columns=["mode"])
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_parallel_comparison_equals_serial(tmp_path, small):
    serial = compare_modes(small, ["pluralism", "corporatism"], 2, tmp_path / "s", workers=1)
    parallel = compare_modes(small, ["pluralism", "corporatism"], 2, tmp_path / "p", workers=2)
    for name in ("timeseries.parquet", "summaries.parquet", "comparison.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(serial / name), pd.read_parquet(parallel / name), check_exact=True
        )


@pytest.mark.slow
def test_a_comparison_on_a_dask_cluster_equals_the_serial_one(tmp_path, small):
    pytest.importorskip("distributed")
    modes = ["pluralism", "corporatism"]
    serial = compare_modes(small, modes, 2, tmp_path / "s", workers=1)
    dask = compare_modes(small, modes, 2, tmp_path / "d", workers=2, executor="dask")
    for name in ("timeseries.parquet", "summaries.parquet", "comparison.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(serial / name), pd.read_parquet(dask / name), check_exact=True
        )
    meta = read_json(dask / "metadata.json")
    assert meta["executor"] == "dask" and meta["scheduler"] == "LocalCluster"


def test_ctrl_c_during_a_comparison_keeps_finished_runs(tmp_path, small):
    def progress(done, total):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted) as info:
        compare_modes(small, ["statism", "governance"], 3, tmp_path, workers=1, progress=progress)
    path = info.value.path
    meta = read_json(path / "metadata.json")
    assert meta["status"] == "interrupted" and meta["runs_completed"] == 3
    assert len(pd.read_parquet(path / "summaries.parquet")) == 3


def test_unknown_modes_are_refused(tmp_path, small):
    with pytest.raises(ValueError, match="unknown mode"):
        compare_modes(small, ["anarchy"], 2, tmp_path)


_UNGUARDED = """
from coopsim.runs import compare_modes
from coopsim.scenario import parse_scenario
{prelude}
scenario = parse_scenario({small!r})
compare_modes(scenario, modes=["statism", "governance"], seeds=2, workers=2, out="comparisons")
"""


def _run_script(folder, prelude=""):
    (folder / "script.py").write_text(_UNGUARDED.format(small=SMALL, prelude=prelude))
    return subprocess.run(
        [sys.executable, "script.py"], cwd=folder, capture_output=True, text=True, timeout=120
    )


def test_a_script_without_the_main_guard_stops_at_once_with_the_remedy(tmp_path):
    """Worker processes import the script; without `if __name__ == "__main__":` each would run it
    again. coopsim sees the unguarded call before any worker starts: one line naming the
    script's line and the remedy, exit 1, nothing written."""
    done = _run_script(tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "coopsim: script.py:6: this starts worker processes, which import the script and would "
        'run it again: put the script\'s work under `if __name__ == "__main__":` '
        "(or pass workers=1)"
    ]
    assert not (tmp_path / "comparisons").exists()


def test_workers_that_import_an_unguarded_script_stop_and_leave_no_directory(tmp_path):
    """Where the call cannot be seen from the parent, the workers refuse instead: the script
    stops with the remedy as its last line, and the comparison leaves no directory."""
    prelude = "import coopsim.executors\ncoopsim.executors.unguarded_call_site = lambda: None\n"
    done = _run_script(tmp_path, prelude)
    assert done.returncode != 0
    assert 'if __name__ == "__main__":' in done.stderr.splitlines()[-1]
    assert list((tmp_path / "comparisons").iterdir()) == []


@pytest.mark.parametrize(
    ("source", "unguarded"),
    [
        ("compare()\n", True),
        ('if __name__ == "__main__":\n    compare()\n', False),
        ("if '__main__' == __name__:\n    x = 1\n    compare()\n", False),
        ("try:\n    compare()\nfinally:\n    pass\n", True),
        (
            'try:\n    if __name__ == "__main__":\n        compare()\nexcept OSError:\n    pass\n',
            False,
        ),
        ("def main():\n    compare()\n\nmain()\n", True),
        ('def main():\n    compare()\n\nif __name__ == "__main__":\n    main()\n', False),
    ],
)
def test_the_guard_is_read_from_the_script(tmp_path, source, unguarded):
    script = tmp_path / "probe.py"
    script.write_text(
        "import sys\nfrom coopsim.executors import unguarded_call_site\n"
        "def compare():\n    print(unguarded_call_site())\n    sys.exit()\n" + source
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True
    )
    assert (done.stdout.strip() != "None") == unguarded
