"""Recovery at reduced size: data simulated at known values, calibrated, the truth found.

Two parameters, 20 organisations, 60 months, a fixed seed; the full coverage study over many
true values is experiments/calibration/recovery.py (docs/CALIBRATION.md reports it).
"""

from __future__ import annotations

import logging
import random
import warnings

import numpy as np
import pandas as pd
import pytest

from coopsim.calibration import run_calibration
from coopsim.calibration.recovery import PRIORS, TRUTH, recovery_spec
from coopsim.scenario.calibration import load_calibration

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def recovered(tmp_path_factory):
    spec = recovery_spec()  # runs the model (its imports add scipy's warning filters)
    np.random.seed(99)  # noqa: NPY002 (the test checks that the calibration leaves it alone)
    random.seed(99)
    before = (
        np.random.get_state()[1].copy(),  # noqa: NPY002
        random.getstate(),
        list(warnings.filters),
        list(logging.getLogger().handlers),
        logging.getLogger().level,
    )
    path = run_calibration(spec, out=tmp_path_factory.mktemp("recovery"), progress=False)
    after = (
        np.random.get_state()[1].copy(),  # noqa: NPY002
        random.getstate(),
        list(warnings.filters),
        list(logging.getLogger().handlers),
        logging.getLogger().level,
    )
    return path, before, after


def test_the_truth_lies_in_the_95_percent_intervals(recovered):
    path, _, _ = recovered
    intervals = pd.read_parquet(path / "intervals.parquet").set_index("parameter")
    for name, value in TRUTH.items():
        row = intervals.loc[name]
        assert row["q95_low"] <= value <= row["q95_high"], (name, value, row.to_dict())


def test_the_data_narrow_every_prior_by_half(recovered):
    path, _, _ = recovered
    intervals = pd.read_parquet(path / "intervals.parquet").set_index("parameter")
    for name, prior in PRIORS.items():
        row = intervals.loc[name]
        width = row["q90_high"] - row["q90_low"]
        prior_width = 0.9 * (prior["high"] - prior["low"])
        assert width <= prior_width / 2, (name, width, prior_width)
        assert row["verdict"] == "pinned down"


def test_the_directory_holds_every_answer(recovered):
    path, _, _ = recovered
    for name in (
        "calibration.yaml", "abc.db", "metadata.json", "generations.parquet",
        "posterior.parquet", "intervals.parquet", "best.parquet", "calibrated.yaml",
        "predictive.parquet", "checks.parquet", "report.md", "report.html",
    ):  # fmt: skip
        assert (path / name).is_file(), name
    posterior = pd.read_parquet(path / "posterior.parquet")
    assert posterior["weight"].sum() == pytest.approx(1.0)
    checks = pd.read_parquet(path / "checks.parquet")
    assert set(checks["target"]) == {"mean_trust", "partnerships_completed", "partnerships_formed"}
    assert checks["verdict"].isin(["matched", "partly"]).all()
    report = (path / "report.md").read_text()
    for heading in ("## Posterior", "## Threshold by generation", "## Posterior predictive check"):
        assert heading in report
    # The calibrated scenario is a scenario file that runs as it is.
    from coopsim import CoopModel, load_scenario

    scenario = load_scenario(path / "calibrated.yaml")
    best = pd.read_parquet(path / "best.parquet").iloc[0]
    assert scenario.partnerships.completion_value == pytest.approx(
        best["partnerships.completion_value"]
    )
    CoopModel.from_scenario(scenario).run_for(2)
    # ... and the resolved calibration reloads.
    assert load_calibration(path / "calibration.yaml").names == list(PRIORS)


def test_the_process_is_left_as_it_was(recovered):
    _, before, after = recovered
    assert np.array_equal(before[0], after[0])
    assert before[1:] == after[1:]
