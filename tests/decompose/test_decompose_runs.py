"""``decompose`` on a tiny scenario: every composition once on common seeds, the ends are the two
modes, and the results do not depend on the executor or on a SIGKILL and resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from coopsim.cli import app
from coopsim.experiments import decompose, load_decomposition, load_results
from coopsim.experiments.decomposition import TABLES, composition_values
from coopsim.model import CoopModel
from coopsim.scenario import scenario_from_dict, scenario_to_dict

pytestmark = pytest.mark.slow

TINY = {
    "name": "tiny",
    "seed": 5,
    "steps": 12,
    "population": {
        "government": {"count": 2},
        "business": {"count": 3},
        "civil_society": {"count": 3},
    },
    "metrics": {"window": 6},
}
REQUEST = {"from_mode": "statism", "to_mode": "governance", "seeds": 2}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The decomposition run uninterrupted in this process."""
    out = tmp_path_factory.mktemp("reference")
    return decompose(TINY, **REQUEST, workers=1, out=out, progress=False)


def _same(path: Path, expected) -> None:
    """``path`` holds exactly the reference's runs, tables and table files."""
    found = load_decomposition(path)
    rows = pd.concat([pd.read_parquet(p) for p in sorted((path / "results").glob("*.parquet"))])
    assert len(rows) == 256 and rows["run_id"].is_unique
    pd.testing.assert_frame_equal(load_results(path), load_results(expected.path))
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(found, name), getattr(expected, name))
        assert (path / f"{name}.parquet").read_bytes() == (
            expected.path / f"{name}.parquet"
        ).read_bytes()


def test_every_composition_runs_once_on_common_seeds(reference):
    path = reference.path
    design = pd.read_parquet(path / "design.parquet")
    rules = [c for c in design.columns if c.startswith("governance.rules.")]
    assert len(rules) == 7 and design["point"].nunique() == 128 and len(design) == 256
    assert design.groupby("replicate")["seed"].nunique().eq(1).all()  # common random numbers
    assert design.drop_duplicates(rules).shape[0] == 128
    meta = json.loads((path / "metadata.json").read_text())
    assert meta["kind"] == "decomposition" and meta["status"] == "complete"
    assert meta["resume"] == f"coopsim decompose --resume {path}"
    assert meta["decomposition"]["compared"] == list(reference.compared)
    assert meta["decomposition"]["held"] == {}
    totals = reference.totals.set_index("output")
    sums = reference.effects.groupby("output")["shapley"].sum()
    np.testing.assert_allclose(sums, totals.loc[sums.index, "difference"], rtol=0, atol=1e-12)
    assert (totals["seeds"] == 2).all()
    pd.testing.assert_frame_equal(pd.read_parquet(path / "effects.parquet"), reference.effects)


def test_the_ends_are_the_two_modes_on_the_same_seeds(reference):
    """The composition with no slot switched is the first mode, the one with all switched the
    second (the mode's name is a label): the difference decomposed is the modes' difference."""
    frame = load_results(reference.path)
    seeds = frame.groupby("replicate")["seed"].first()
    outputs = list(reference.plan.outputs)
    table = {o: composition_values(frame, reference.plan, o) for o in outputs}
    for replicate, seed in seeds.items():
        for column, mode in ((0, "statism"), (-1, "governance")):
            data = scenario_to_dict(reference.plan.scenario)
            data["governance"]["mode"], data["seed"] = mode, int(seed)
            pure = scenario_from_dict(data, mode)
            assert not pure.governance.rules.chosen()
            model = CoopModel.from_scenario(pure)
            model.run_for(pure.steps)
            summary = model.summary()
            for output in outputs:
                assert table[output][replicate, column] == summary[output]


def test_two_workers_give_identical_results(reference, tmp_path):
    found = decompose(TINY, **REQUEST, workers=2, out=tmp_path, progress=False)
    _same(found.path, reference)


def test_a_dask_local_cluster_gives_identical_results(reference, tmp_path):
    pytest.importorskip("distributed")
    found = decompose(TINY, **REQUEST, executor="dask", workers=2, out=tmp_path, progress=False)
    _same(found.path, reference)
    session = json.loads((found.path / "metadata.json").read_text())["sessions"][0]
    assert session["executor"] == "dask"


DRIVER = """
import json, sys
from coopsim.experiments import decompose

if __name__ == "__main__":
    scenario, target, mode = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
    options = dict(workers=2, progress=False, flush_seconds=0)
    if mode == "new":
        decompose(scenario, "statism", "governance", seeds=2, out=target, **options)
    else:
        decompose(resume=target, **options)
"""


def _parts(out: Path) -> int:
    return len(list(out.glob("*/results/part-*.parquet")))


def _run_until_killed(script: Path, args: list[str], out: Path, parts: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(script), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    try:
        while _parts(out) < parts:
            if proc.poll() is not None:
                raise AssertionError(f"it ended before {parts} parts: {proc.stderr.read()}")
            assert time.monotonic() < deadline, f"no {parts} parts after 90 s"
            time.sleep(0.005)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stderr.close()
        deadline = time.monotonic() + 20  # its workers die with it
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)


def test_sigkill_then_resume_gives_identical_results(reference, tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    out = tmp_path / "decompositions"
    _run_until_killed(script, [json.dumps(TINY), str(out), "new"], out, 3)
    (path,) = out.iterdir()
    first = len(load_results(path))
    assert 0 < first < 256
    _run_until_killed(script, [json.dumps(TINY), str(path), "resume"], out, _parts(out) + 2)
    assert first < len(load_results(path)) < 256
    assert not (path / "effects.parquet").exists()  # tables only once every run has finished
    finished = CliRunner().invoke(
        app, ["decompose", "--resume", str(path), "--workers", "1", "--no-report"]
    )
    assert finished.exit_code == 0, finished.output
    assert finished.stdout.strip() == str(path)
    _same(path, reference)
    assert load_decomposition(path).complete
    sessions = json.loads((path / "metadata.json").read_text())["sessions"]
    assert len(sessions) == 3
