"""Figures and readable reports of runs, comparisons and sweeps.

``write_report(DIR)`` detects what ``DIR`` holds, draws the figures that apply into
``DIR/figures/`` (in the formats of the scenario's ``output.figures``) and writes
``DIR/report.html`` (self-contained) and/or ``DIR/report.md`` (as ``output.report`` says);
``coopsim report DIR`` calls it. The figure functions take the tables of a
result directory and return matplotlib Figures, for notebooks and scripts::

    from coopsim.report import load_results, plot_survival, save_figure

    results = load_results("comparisons/20260101T120000Z_baseline_ab12cd34")
    fig = plot_survival(results.partnerships, modes=results.modes)
    save_figure(fig, "my_figures", "survival")
"""

from coopsim.report.figures import (
    comparison_from_summaries,
    incidence_by_mode,
    kaplan_meier,
    plot_comparison,
    plot_cumulative_incidence,
    plot_dissolution_causes,
    plot_indicators,
    plot_public_value,
    plot_sector_trust,
    plot_survival,
    plot_terms,
)
from coopsim.report.load import (
    ReportError,
    Results,
    SweepResults,
    detect_kind,
    load_results,
    load_sweep,
)
from coopsim.report.style import MODE_COLOURS, figure_bytes, save_figure
from coopsim.report.sweeps import (
    plot_main_effects,
    plot_sensitivity,
    plot_sweep_heatmap,
    sweep_tables,
)
from coopsim.report.writer import OutsideDirectory, write_report

__all__ = [
    "MODE_COLOURS",
    "OutsideDirectory",
    "ReportError",
    "Results",
    "SweepResults",
    "comparison_from_summaries",
    "detect_kind",
    "figure_bytes",
    "incidence_by_mode",
    "kaplan_meier",
    "load_results",
    "load_sweep",
    "plot_comparison",
    "plot_cumulative_incidence",
    "plot_dissolution_causes",
    "plot_indicators",
    "plot_main_effects",
    "plot_public_value",
    "plot_sector_trust",
    "plot_sensitivity",
    "plot_survival",
    "plot_sweep_heatmap",
    "plot_terms",
    "save_figure",
    "sweep_tables",
    "write_report",
]
