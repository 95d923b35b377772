"""Honest statistics in tables and reports (issue 18, traps 2 and 3).

Every table that aggregates over runs says how many contributed; intervals stay inside what a
quantity can be; a rate without partnerships is missing, not 0, and every consumer copes; the
report names each indicator's window, explains a result that holds by construction, and a sweep
report covers every requested output and time series or says why not.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopsim.model import CoopModel, outputs
from coopsim.report import plot_main_effects, plot_sweep_heatmap, write_report
from coopsim.report.document import Document
from coopsim.report.load import load_results
from coopsim.report.writer import _flat_survival, _window_sentence
from coopsim.runs.stats import bounds, comparison_table, effects_table, mean_ci

# --------------------------------------------------------------------------------------------------
# Rates without partnerships: no value, not 0


def lonely_model() -> CoopModel:
    """One agency alone: no partnership can ever form."""
    return CoopModel(
        rng=1,
        population__government__count=1,
        population__business__count=0,
        population__civil_society__count=0,
        population__community__count=0,
    )


RATES = ("cooperation_rate", "free_riding_rate", "partner_trust", "dilemma_strength")


def test_a_rate_is_missing_not_zero_without_partnerships():
    model = lonely_model()
    model.run_for(12)
    ts = model.timeseries()
    assert (ts["active_partnerships"] == 0).all()
    for column in (*RATES, "benefit_share_government"):
        assert ts[column].isna().all(), column
        assert outputs.get(column, "step").nullable, f"{column} may be missing: say what it means"
    summary = model.summary()
    assert summary["cooperation_rate"] is None and summary["free_riding_rate"] is None
    assert summary["dilemma_strength"] is None
    assert summary["sustainability_index"] == 0.0  # nobody cooperated: 0, a value
    model.check_invariants()  # a missing rate is no broken invariant
    json.dumps(summary, allow_nan=False)  # JSON without NaN


def test_in_an_ordinary_run_a_rate_is_missing_only_in_months_without_partnerships():
    model = CoopModel(rng=3, mode="statism", population__civil_society__count=5)
    model.run_for(60)
    ts = model.timeseries()
    missing = ts["cooperation_rate"].isna()
    assert (ts.loc[missing, "participation_rate"] == 0).all()
    assert ts.loc[~missing, "cooperation_rate"].between(0, 1).all()


# --------------------------------------------------------------------------------------------------
# Intervals inside the possible range


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 500, allow_nan=False), min_size=2, max_size=12))
def test_intervals_of_counts_and_durations_never_go_below_zero(values):
    for name in ("shock_recovery_steps", "dissolution_hazard", "partnerships_dissolved"):
        _, _, _, low, high = mean_ci(values, bounds=bounds(name))
        assert low >= 0 and high >= low


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=2, max_size=12))
def test_intervals_of_shares_stay_within_zero_and_one(values):
    _, mean, _, low, high = mean_ci(values, bounds=bounds("sustainability_index"))
    assert 0 <= low <= mean + 1e-12 and mean - 1e-12 <= high <= 1


def test_the_comparison_table_clips_what_the_figures_clip():
    summaries = pd.DataFrame(
        {
            "mode": ["statism"] * 4 + ["governance"] * 4,
            "seed": [1, 2, 3, 4] * 2,
            "shock_recovery_steps": [0.0, 0.0, 3.0, 170.0, 5.0, 6.0, 7.0, np.nan],
            "sustainability_index": [0.99, 0.98, 1.0, 0.4, 0.0, 0.01, 0.0, 0.02],
        }
    )
    table = comparison_table(summaries, ["statism", "governance"]).set_index(["indicator", "mode"])
    recovery = table.loc[("shock_recovery_steps", "statism")]
    assert recovery["ci_low"] == 0.0 and recovery["ci_high"] > recovery["mean"]
    assert table.loc[("shock_recovery_steps", "governance"), "n"] == 3
    index = table.loc[("sustainability_index", "governance")]
    assert index["ci_low"] == 0.0
    effects = effects_table(summaries, ["statism", "governance"])
    share = effects[effects["indicator"] == "sustainability_index"].iloc[0]
    assert -1 <= share["diff_ci_low"] <= share["diff_ci_high"] <= 1


# --------------------------------------------------------------------------------------------------
# n in every table that aggregates over runs


def test_the_terminal_table_says_how_many_runs_have_a_value(tmp_path, capsys):
    from coopsim.cli import _summary_table

    rows = []
    for mode, n_median in (("statism", 3), ("governance", 10)):
        for indicator in ("sustainability_index", "partnership_survival_median"):
            n = n_median if indicator == "partnership_survival_median" else 10
            rows.append(
                {
                    "indicator": indicator,
                    "mode": mode,
                    "n": n,
                    "mean": 34.3,
                    "sd": 2.0,
                    "ci_low": 31.4,
                    "ci_high": 37.2,
                }
            )
    pd.DataFrame(rows).to_parquet(tmp_path / "comparison.parquet")
    (tmp_path / "metadata.json").write_text(json.dumps({"seeds": list(range(10))}))
    _summary_table(tmp_path)
    err = capsys.readouterr().err
    assert "over 10 seeds" in err and "n=k: only k runs have a value" in " ".join(err.split())
    median_row = next(line for line in err.splitlines() if "partnership_surviv" in line)
    assert "(n=3)" in median_row and "(n=10)" not in median_row


def test_heatmap_cells_and_main_effects_say_how_many_runs_have_a_value():
    surface = pd.DataFrame(
        {
            "x_value": ["0", "1", "0", "1"],
            "y_value": ["a", "a", "b", "b"],
            "x": [0.0, 1.0, 0.0, 1.0],
            "y": [0.0, 0.0, 1.0, 1.0],
            "runs": [9, 9, 9, 9],
            "n": [9, 3, 9, 9],
            "mean": [30.0, 34.0, 31.0, 29.0],
            "sd": [1.0, 1.0, 1.0, 1.0],
        }
    )
    fig = plot_sweep_heatmap({"partnership_survival_median": surface}, "p", "q")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "34\nn=3/9" in texts and "30" in texts
    assert "only k of the cell's m runs" in fig.get_suptitle()
    effects = pd.DataFrame(
        {
            "parameter": ["p", "p"],
            "value": ["0", "1"],
            "x": [0.0, 1.0],
            "output": ["partnership_survival_median"] * 2,
            "runs": [9, 9],
            "n": [9, 4],
            "mean": [30.0, 34.0],
            "sd": [1.0, 1.0],
            "ci_low": [29.0, 32.0],
            "ci_high": [31.0, 36.0],
        }
    )
    fig = plot_main_effects(effects, "partnership_survival_median", ["p"])
    assert "n=4/9" in [t.get_text() for ax in fig.axes for t in ax.texts]


# --------------------------------------------------------------------------------------------------
# Context: windows, results by construction, every requested output


def test_the_window_of_each_windowed_indicator_is_named():
    scenario = {"steps": 120, "metrics": {"window": 60}}
    sentence = _window_sentence(scenario, ["sustainability_index", "cooperation_rate", "seed"])
    assert "sustainability index, cooperation rate" in sentence
    assert "the last 60 months of each run (months 61–120" in sentence
    short = _window_sentence({"steps": 24, "metrics": {"window": 60}}, ["mean_trust"])
    assert "the whole run (24 months" in short
    assert _window_sentence(scenario, ["public_value_total"]) == ""


def test_a_flat_survival_curve_is_explained_as_a_result_not_a_veto(made):
    results = load_results(made["comparison"])
    summaries = results.summaries.copy()
    summaries["partnerships_dissolved"] = 2
    summaries.loc[summaries["mode"] == "statism", "partnerships_dissolved"] = 0
    results.summaries = summaries
    doc = Document("t")
    _flat_survival(doc, results)
    (note,) = [b.text for b in doc.blocks]
    assert note.startswith("No statism partnership dissolved")
    assert "No rule forbids leaving" in note and "ODD §7.12" in note
    summaries.loc[summaries["mode"] == "statism", "partnerships_dissolved"] = 2
    doc = Document("t")
    _flat_survival(doc, results)
    assert doc.blocks == []


def test_run_and_comparison_reports_name_the_window(made, tmp_path):
    import shutil

    for kind in ("run", "comparison"):
        directory = tmp_path / kind
        shutil.copytree(made[kind], directory)
        write_report(directory, formats=(), report="markdown")
        markdown = (directory / "report.md").read_text(encoding="utf-8")
        assert "Window: the sustainability index" in markdown
        assert "the last 12 months of each run (months 25–36, `metrics.window`)" in markdown
        if kind == "comparison":
            assert "clipped to the indicator's possible range" in markdown


SWEEP_OUTPUTS = [
    "sustainability_index",
    "cooperation_rate",
    "mean_trust",
    "partnership_survival_median",
    "dissolution_hazard",
    "public_value_total",
]


@pytest.fixture(scope="module")
def six_output_sweep(tmp_path_factory):
    """A small grid asking for six outputs and two time series (as turnover_handover does)."""
    from coopsim.experiments import run_sweep
    from coopsim.scenario import scenario_to_dict

    from .conftest import small_scenario

    base = scenario_to_dict(small_scenario())
    base["steps"] = 24
    block = {
        "design": "grid",
        "replicates": 2,
        "seed": 5,
        "parameters": {"turnover.rate": [0.0, 0.1], "turnover.handover": [0.0, 1.0]},
        "outputs": SWEEP_OUTPUTS,
        "timeseries": ["mean_trust", "cooperation_rate"],
        "every": 3,
    }
    spec = {"name": "six-outputs", "scenario": base, "sweep": block}
    root = tmp_path_factory.mktemp("sweep6")
    return run_sweep(spec, workers=1, out=root, progress=False, command="test")


def test_a_sweep_report_covers_every_requested_output_and_time_series(six_output_sweep):
    directory = six_output_sweep
    write_report(directory, formats=("png",), report="markdown")
    markdown = (directory / "report.md").read_text(encoding="utf-8")
    results = pd.concat(pd.read_parquet(p) for p in (directory / "results").glob("*.parquet"))
    for output in SWEEP_OUTPUTS:
        if results[output].notna().any():
            label = outputs.get(output, "run").label
            assert re.search(rf"^\| {re.escape(label)} \|", markdown, re.M), output
            assert (directory / "figures" / f"main_effects_{output}.png").is_file(), output
        else:  # said, not silently dropped
            assert f"`{output}` was asked for but no finished run has a value" in markdown
    assert "## Time series" in markdown or "### Time series" in markdown
    assert (directory / "figures" / "timeseries.png").is_file()
    assert "Window: the sustainability index, cooperation rate, mean trust" in markdown


def test_sweep_ends_by_pointing_to_the_report(six_output_sweep, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from coopsim.cli import app

    monkeypatch.chdir(tmp_path)
    sweep = six_output_sweep / "sweep.yaml"
    result = CliRunner().invoke(app, ["sweep", str(sweep), "--workers", "1", "--out", "out"])
    assert result.exit_code == 0, result.output
    path = result.stdout.strip()
    assert result.stderr.splitlines()[-1] == f"figures and report: coopsim report {path}"


def test_nan_free_json_of_a_run_without_partnerships(tmp_path):
    from coopsim.runs import run_scenario
    from coopsim.scenario import parse_scenario

    scenario = parse_scenario(
        "name: lonely\nsteps: 6\npopulation:\n  government: {count: 1}\n  business: {count: 0}\n"
        "  civil_society: {count: 0}\n  community: {count: 0}\noutput: {report: none}\n"
    )
    path = run_scenario(scenario, tmp_path)
    summary = json.loads((path / "summary.json").read_text(), parse_constant=pytest.fail)
    assert summary["cooperation_rate"] is None
    assert math.isnan(pd.read_parquet(path / "timeseries.parquet")["cooperation_rate"].iloc[0])
    write_report(path, report="markdown")  # the report copes with a run of missing rates
    assert "Cooperation rate | — (no partnership in the window)" in (path / "report.md").read_text(
        encoding="utf-8"
    )
