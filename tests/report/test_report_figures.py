"""Each figure function draws a readable, non-empty PNG from run, comparison and sweep tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from coopsim.model.metrics import kaplan_meier as model_kaplan_meier
from coopsim.report import (
    comparison_from_summaries,
    figure_bytes,
    kaplan_meier,
    load_results,
    load_sweep,
    plot_comparison,
    plot_cumulative_incidence,
    plot_dissolution_causes,
    plot_indicators,
    plot_main_effects,
    plot_public_value,
    plot_sector_trust,
    plot_sensitivity,
    plot_survival,
    plot_sweep_heatmap,
    plot_terms,
    save_figure,
    sweep_tables,
)
from coopsim.report.figures import seed_bands
from coopsim.report.style import MODE_COLOURS, mode_style


def check_figure(fig: Figure, legend: bool = True) -> None:
    """A titled figure whose axes are labelled (units included) and which has a legend.

    Rendering is left to the report tests, which draw every figure into PNG and SVG files.
    """
    assert fig.get_suptitle().strip(), "figure without a title"
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert axes, "figure without axes"
    for ax in axes:
        if ax.get_label() == "<colorbar>":
            assert ax.get_ylabel() or ax.get_xlabel(), "colour bar without a label"
            continue
        assert ax.get_xlabel().strip(), f"unlabelled x axis in {ax.get_title()!r}"
        ticks = [t.get_text() for t in ax.get_yticklabels()]
        assert ax.get_ylabel().strip() or any(ticks), f"unlabelled y axis in {ax.get_title()!r}"
        assert ax.has_data(), f"empty panel {ax.get_title()!r}"
    if legend:
        assert fig.legends or any(ax.get_legend() for ax in fig.axes), "figure without a legend"


@pytest.fixture(scope="module")
def run(made):
    return load_results(made["run"])


@pytest.fixture(scope="module")
def comparison(made):
    return load_results(made["comparison"])


@pytest.fixture(scope="module", params=["run", "comparison"])
def results(request, run, comparison):
    return run if request.param == "run" else comparison


def test_indicators(results):
    fig = plot_indicators(results.timeseries, modes=results.modes, events=results.events)
    check_figure(fig)
    assert len([ax for ax in fig.axes if ax.axison]) >= 6


def test_public_value(results):
    check_figure(plot_public_value(results.timeseries, modes=results.modes, events=results.events))


def test_terms_figure_shows_control_and_benefits_by_sector(results):
    fig = plot_terms(results.timeseries, modes=results.modes, events=results.events)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert any(t.endswith("control share") for t in titles)
    assert any(t.endswith("benefit share") for t in titles)
    assert "Talks that agree" in titles


def test_sector_trust(results):
    fig = plot_sector_trust(results.timeseries, modes=results.modes, events=results.events)
    check_figure(fig)
    pairs = [c for c in results.timeseries if c.startswith("trust_")]
    assert len([ax for ax in fig.axes if ax.axison]) == len(pairs)


def test_survival(results):
    fig = plot_survival(results.partnerships, modes=results.modes)
    check_figure(fig)
    ax = fig.axes[0]
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] > 1


def test_cumulative_incidence(results):
    """Two panels, dissolution then completion, one line per mode, τ marked."""
    fig = plot_cumulative_incidence(results.partnerships, modes=results.modes, horizon=30)
    check_figure(fig)
    axes = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in axes] == ["Ended by dissolution", "Ended by completion"]
    for ax in axes:
        assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] > 1
        assert len(ax.get_lines()) == len(results.modes) + 1  # a curve per mode and τ
    assert "competing risks" in fig.get_suptitle()
    assert "Dissolution-specific survival" in plot_survival(results.partnerships).get_suptitle()


def test_dissolution_causes(results):
    check_figure(
        plot_dissolution_causes(results.summaries, results.partnerships, modes=results.modes)
    )


def test_dissolution_causes_from_partnerships_alone(comparison):
    check_figure(plot_dissolution_causes(None, comparison.partnerships, modes=comparison.modes))


def test_comparison(results, check_png):
    table = results.comparison
    if table is None:
        table = comparison_from_summaries(results.summaries, results.modes)
    fig = plot_comparison(table, modes=results.modes)
    check_figure(fig, legend=False)
    if results.kind == "run":  # the report draws it for comparisons only: render it here
        check_png(figure_bytes(fig))


def test_every_mode_has_its_own_colour_and_line():
    from coopsim.model.config import MODES

    assert list(MODE_COLOURS) == list(MODES)
    assert len(set(MODE_COLOURS.values())) == len(MODES)
    assert len({str(mode_style(m, MODES)["linestyle"]) for m in MODES}) == len(MODES)


def test_mode_colours_are_the_same_in_every_figure(comparison):
    fig = plot_indicators(comparison.timeseries, modes=comparison.modes)
    first = fig.axes[0]
    for line, mode in zip(first.get_lines(), comparison.modes, strict=False):
        assert line.get_color().lower() == MODE_COLOURS[mode].lower()
    styles = {str(mode_style(m, comparison.modes)["linestyle"]) for m in comparison.modes}
    assert len(styles) == len(comparison.modes), "modes must differ by line style as well"


def test_scheduled_shock_and_reform_are_drawn(run):
    kinds = {e.kind for e in run.events}
    assert kinds == {"shock", "reform"}
    fig = plot_indicators(run.timeseries, modes=run.modes, events=run.events)
    labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert any(label.startswith("shock") for label in labels)
    assert any(label.startswith("reform") for label in labels)


# ---- sweeps -------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sweep_grid", "sweep_morris", "sweep_sobol"])
def sweep(request, made):
    data = load_sweep(made[request.param])
    return data, sweep_tables(data, data.outputs)


def test_sweep_heatmap(sweep):
    _, tables = sweep
    assert tables.surfaces, "no heatmap surface"
    (x, y, _), _ = next(iter(tables.surfaces.items()))
    surfaces = {o: s for (a, b, o), s in tables.surfaces.items() if (a, b) == (x, y)}
    check_figure(plot_sweep_heatmap(surfaces, x, y), legend=False)


def test_main_effects(sweep):
    data, tables = sweep
    check_figure(plot_main_effects(tables.main_effects, data.outputs[0], data.parameters))


def test_sensitivity(sweep):
    data, tables = sweep
    indices = tables.sobol if tables.sobol is not None else tables.morris
    if data.design_kind == "grid":
        assert indices is None
        return
    assert indices is not None and set(indices["parameter"]) == set(data.parameters)
    check_figure(plot_sensitivity(indices))


def test_sensitivity_with_wide_intervals_marks_them():
    indices = pd.DataFrame(
        {
            "output": ["mean_trust"] * 2,
            "parameter": ["turnover.rate", "incentives.sanction"],
            "S1": [0.4, -0.2],
            "S1_conf": [0.05, 30.0],
            "ST": [0.6, 0.3],
            "ST_conf": [0.1, 12.0],
        }
    )
    fig = plot_sensitivity(indices, "sobol")
    check_figure(fig)
    assert "too few samples" in fig.get_suptitle()
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("±30") for t in texts), texts


# ---- pieces -------------------------------------------------------------------------------------


def test_kaplan_meier_matches_the_model_and_a_hand_count():
    durations = np.array([2, 3, 3, 5, 8, 8, 9, 12], dtype=float)
    events = np.array([1, 1, 0, 1, 0, 1, 0, 1], dtype=bool)
    ours = kaplan_meier(durations, events)
    theirs = model_kaplan_meier(durations, events)
    np.testing.assert_allclose(ours["time"], theirs["time"])
    np.testing.assert_allclose(ours["survival"], theirs["survival"])
    # by hand: 8 at risk at t=2 (1 event), 7 at t=3 (1), 5 at t=5 (1), 4 at t=8 (1), 1 at t=12
    expected = np.cumprod([7 / 8, 6 / 7, 4 / 5, 3 / 4, 0 / 1])
    np.testing.assert_allclose(ours["survival"], expected)
    inside = (ours["survival"] > 0) & (ours["survival"] < 1)
    assert np.all(ours.loc[inside, "low"] <= ours.loc[inside, "survival"])
    assert np.all(ours.loc[inside, "high"] >= ours.loc[inside, "survival"])


def test_seed_bands_are_t_intervals_clipped_to_the_range():
    frame = pd.DataFrame(
        {
            "mode": ["a"] * 3,
            "seed": [1, 2, 3],
            "step": [1, 1, 1],
            "cooperation_rate": [0.9, 1.0, 0.95],
        }
    )
    band = seed_bands(frame, "cooperation_rate").iloc[0]
    assert band["mean"] == pytest.approx(0.95)
    half = 4.302652729911275 * 0.05 / np.sqrt(3)
    assert band["low"] == pytest.approx(0.95 - half)
    assert band["high"] == 1.0  # 0.95 + half would pass 1: clipped


def test_save_figure_writes_png_and_svg_atomically(tmp_path: Path, run):
    fig = plot_dissolution_causes(run.summaries, modes=run.modes)
    saved = save_figure(fig, tmp_path / "figures", "value")
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["value.png", "value.svg"]
    assert saved.paths["png"].read_bytes() == saved.png
    assert saved.paths["svg"].read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_empty_input_gives_a_figure_that_says_so(check_png):
    fig = plot_survival(None)
    assert "No partnerships" in fig.axes[0].texts[0].get_text()
    check_png(figure_bytes(fig), minimum=(150, 500))
    fig = plot_cumulative_incidence(None)
    assert "No partnerships" in fig.axes[0].texts[0].get_text()
