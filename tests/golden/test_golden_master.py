"""Golden master: short runs of every bundled scenario under every mode (and a few variants that
reach mechanisms the scenarios leave idle) must reproduce the stored record, partnerships and
summary. Integers and strings compare exactly, floats to ``SIGNIFICANT`` digits of each
column's scale.

A refactor keeps these tables. A change of results regenerates them on purpose, says why in the
commit and the CHANGELOG, and bumps the version:

    .venv/bin/python tests/golden/test_golden_master.py --regenerate   (or: make golden)
"""

from __future__ import annotations

import copy
import json
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import coopsim
from coopsim.model import CoopModel
from coopsim.model.config import MODES
from coopsim.scenario import scenario_from_dict

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SCENARIOS = HERE.parents[1] / "scenarios"
STEPS = 120  # long enough for every bundled shock and reform to fire
SIGNIFICANT = 12
TABLES = ("timeseries", "partnerships", "summary")
VERSIONED = ("numpy", "pandas", "pyarrow", "scipy")

# Mechanisms no bundled scenario switches on: imitation learning, heavy turnover with many
# memberships, trust shocks and staff exoduses, a reform mid-run.
VARIANTS: dict[str, dict] = {
    "imitation": {"learning": {"rule": "imitation"}},
    "churn": {"turnover": {"rate": 0.2}, "partnerships": {"max_memberships": 5, "size_max": 9}},
    "trust_shocks": {
        "shocks": [
            {"at": 20, "kind": "trust_shock", "target": "business", "severity": 0.6},
            {"at": 30, "kind": "staff_exodus", "target": "all", "severity": 0.4},
            {"kind": "capacity_loss", "rate": 0.02, "target": "civil_society", "duration": 6},
        ]
    },
    "reform": {"governance": {"switch": [{"at": 40, "mode": "pluralism"}]}},
}


def _merge(base: dict, changes: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def cases() -> dict[str, dict]:
    """Scenario data by case name: every bundled scenario, then the variants of the baseline."""
    files = sorted(SCENARIOS.glob("*.yaml"))
    data = {f.stem: yaml.safe_load(f.read_text()) for f in files}
    out = dict(data)
    for name, changes in VARIANTS.items():
        out[f"baseline+{name}"] = _merge(data["baseline"], changes)
    return out


def run_case(data: dict, mode: str) -> dict[str, pd.DataFrame]:
    """One short run: its per-step record, partnerships and summary (one row)."""
    scenario = scenario_from_dict(data).with_mode(mode)
    model = CoopModel.from_scenario(scenario)
    model.run_for(min(scenario.steps, STEPS))
    # A missing value as NaN: stacking None (object) with floats is deprecated in pandas 2.
    summary = pd.DataFrame([{k: np.nan if v is None else v for k, v in model.summary().items()}])
    return {
        "timeseries": model.timeseries(),
        "partnerships": model.partnerships(),
        "summary": summary,
    }


def produce() -> dict[str, pd.DataFrame]:
    """Every case × mode, each table stacked with ``case`` and ``run_mode`` columns."""
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    for case, data in cases().items():
        for mode in MODES:
            for table, frame in run_case(data, mode).items():
                parts[table].append(frame.assign(case=case, run_mode=mode))
    return {t: pd.concat(frames, ignore_index=True) for t, frames in parts.items()}


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {name: md.version(name) for name in VERSIONED}
    out.update(python=platform.python_version(), machine=platform.machine())
    out["coopsim"] = coopsim.__version__
    return out


def regenerate() -> None:
    DATA.mkdir(exist_ok=True)
    for table, frame in produce().items():
        frame.to_parquet(DATA / f"{table}.parquet", index=False)
    (DATA / "versions.json").write_text(json.dumps(versions(), indent=2) + "\n")


def differences(stored: pd.DataFrame, now: pd.DataFrame, table: str) -> list[str]:
    """Where ``now`` departs from ``stored``: per case and mode, the first row (step or
    partnership) that moved and the columns that moved there."""
    problems = []
    if list(stored.columns) != list(now.columns):
        gone = [c for c in stored.columns if c not in now.columns]
        new = [c for c in now.columns if c not in stored.columns]
        return [f"{table}: columns changed (gone {gone}, new {new})"]
    for (case, mode), old in stored.groupby(["case", "run_mode"], sort=False):
        cur = now[(now["case"] == case) & (now["run_mode"] == mode)]
        where = f"{table} {case} × {mode}"
        if len(old) != len(cur):
            problems.append(f"{where}: {len(cur)} rows, stored {len(old)}")
            continue
        moved = pd.DataFrame(
            {c: ~_same(old[c].to_numpy(), cur[c].to_numpy()) for c in old.columns},
        )
        rows = np.flatnonzero(moved.to_numpy().any(axis=1))
        if len(rows):
            r = rows[0]
            cols = [c for c in moved.columns if moved[c].iloc[r]]
            label = "step" if "step" in old.columns else "row"
            key = old["step"].iloc[r] if "step" in old.columns else r
            first = cols[0]
            problems.append(
                f"{where}: first moved at {label} {key}, columns {cols} "
                f"({first}: stored {old[first].iloc[r]!r}, now {cur[first].iloc[r]!r})"
            )
    return problems


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise agreement: floats to SIGNIFICANT digits of the column's largest magnitude
    (NaN equals NaN), the rest exactly. The column's scale, not the value's: a sum that cancels
    to zero ends at 0.0 or at ±1e-16 depending on numpy's summation order (2.4 vs 2.5)."""
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        both_nan = np.isnan(a) & np.isnan(b)
        column = np.nanmax(np.abs(a), initial=0.0)
        scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), column)
        close = np.abs(a - b) <= 10.0 ** (1 - SIGNIFICANT) * scale
        return both_nan | close | (a == b)
    return np.array([_equal(x, y) for x, y in zip(a, b, strict=True)], dtype=bool)


def _equal(x, y) -> bool:
    sequences = (list, tuple, np.ndarray)
    if isinstance(x, sequences) or isinstance(y, sequences):  # list columns (members, sectors)
        return isinstance(x, sequences) and isinstance(y, sequences) and list(x) == list(y)
    if _missing(x) or _missing(y):
        return _missing(x) and _missing(y)
    if isinstance(x, float) and isinstance(y, float):
        return bool(_same(np.array([x]), np.array([y]))[0])
    return bool(x == y)


def _missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x))


@pytest.fixture(scope="module")
def produced() -> dict[str, pd.DataFrame]:
    return produce()


@pytest.mark.slow
@pytest.mark.parametrize("table", TABLES)
def test_results_match_the_golden_master(produced, table):
    stored = pd.read_parquet(DATA / f"{table}.parquet")
    made_with = json.loads((DATA / "versions.json").read_text())
    problems = differences(stored, produced[table], table)
    drift = {k: (v, versions()[k]) for k, v in made_with.items() if versions().get(k) != v}
    hint = f"\nmade with {made_with}; differing now: {drift}" if drift else ""
    assert not problems, "\n".join(problems[:12]) + hint


def test_a_moved_value_is_named_with_its_column_and_step():
    stored = pd.DataFrame(
        {"step": [0, 1, 2], "x": [1.0, 2.0, 3.0], "case": "c", "run_mode": "m"},
    )
    now = stored.copy()
    now.loc[2, "x"] = 3.0 * (1 + 1e-9)
    (problem,) = differences(stored, now, "timeseries")
    assert "step 2" in problem and "['x']" in problem
    now.loc[2, "x"] = 3.0 * (1 + 1e-14)  # below the compared precision
    assert differences(stored, now, "timeseries") == []


def test_every_bundled_scenario_is_in_the_golden_master():
    stored = pd.read_parquet(DATA / "summary.parquet", columns=["case", "run_mode"])
    expected = {(c, m) for c in cases() for m in MODES}
    assert set(map(tuple, stored.to_numpy())) == expected


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit("usage: python tests/golden/test_golden_master.py --regenerate")
    regenerate()
    print(f"golden master written to {DATA} with {versions()}")
