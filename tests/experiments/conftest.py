"""Tiny sweeps shared by the sweep tests: few organisations, few steps, fast runs.

Helpers are handed to tests as fixtures (``tiny_sweep``, ``result_rows``): with pytest's
importlib import mode, test modules cannot import a sibling module.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from coopsim.experiments import load_results, run_sweep

TINY_SCENARIO: dict[str, Any] = {
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


def make_tiny_sweep(**sweep: Any) -> dict[str, Any]:
    """A sweep over the tiny scenario; keyword arguments replace keys of the sweep block."""
    block: dict[str, Any] = {
        "design": "grid",
        "replicates": 2,
        "seed": 11,
        "parameters": {
            "governance.mode": ["statism", "governance"],
            "turnover.rate": {"low": 0.0, "high": 0.2, "num": 3},
        },
        "outputs": ["sustainability_index", "mean_trust", "cooperation_rate"],
    }
    block.update(sweep)
    return {"scenario": copy.deepcopy(TINY_SCENARIO), "sweep": block}


def read_result_rows(path: Path) -> pd.DataFrame:
    """Every row of every results part, as written (duplicates would show)."""
    parts = sorted((path / "results").glob("part-*.parquet"))
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)


@pytest.fixture(scope="session")
def tiny_sweep() -> Callable[..., dict[str, Any]]:
    """``tiny_sweep(**block)``: a sweep over the tiny scenario (keys replace the sweep block's)."""
    return make_tiny_sweep


@pytest.fixture(scope="session")
def result_rows() -> Callable[[Path], pd.DataFrame]:
    """``result_rows(path)``: every row of every results part, as written."""
    return read_result_rows


@pytest.fixture(scope="session")
def reference(tmp_path_factory) -> tuple[dict[str, Any], pd.DataFrame]:
    """A grid sweep with time series, run uninterrupted in this process: the expected results."""
    spec = make_tiny_sweep(timeseries=["mean_trust", "cooperation_rate"], every=4)
    out = tmp_path_factory.mktemp("reference")
    path = run_sweep(spec, workers=1, out=out, progress=False)
    return spec, load_results(path)
