"""Figures of parameter sweeps: heatmaps over two parameters, main effects, sensitivity bars.

The figure functions take the tables of ``coopsim.experiments.analysis`` (``surface``,
``main_effects``, ``sobol_indices``, ``morris_indices``); ``sweep_tables`` computes them from the
runs the report read (sensitivity indices from the sweep directory, with a note when they cannot
be computed).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from coopsim.report.figures import empty_figure, grid_shape, seed_bands, value_range
from coopsim.report.load import SweepResults
from coopsim.report.style import (
    OKABE_ITO,
    TIME_LABEL,
    indicator_label,
    indicator_unit,
    new_figure,
    style,
)

__all__ = [
    "SweepTables",
    "parameter_label",
    "plot_main_effects",
    "plot_sensitivity",
    "plot_sweep_heatmap",
    "plot_sweep_timeseries",
    "rank_parameters",
    "sweep_tables",
]

HEATMAP_BINS = 5
EFFECT_BINS = 8
_INTERVAL = re.compile(r"^[\(\[]\s*-?[\d.eE+-]+\s*,\s*-?[\d.eE+-]+\s*[\)\]]$")


@functools.cache
def _units() -> dict[str, str]:
    from coopsim.model.config import parameter_table

    return {row["path"]: row.get("unit") or "" for row in parameter_table()}


def parameter_label(path: str) -> str:
    """A parameter's dotted path with its unit, e.g. ``turnover.rate (1/step)``."""
    unit = _units().get(path)
    return f"{path} ({unit})" if unit else path


def _fmt(value: float) -> str:
    if not np.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000 or magnitude < 0.01:
        return f"{value:.2g}"
    return f"{value:.3g}"


def _tick_labels(frame: pd.DataFrame, label: str, position: str) -> list[str]:
    """Tick labels of one heatmap axis: category names, values, or bin centres."""
    out = []
    for text, x in zip(frame[label], frame[position], strict=True):
        text = str(text)
        try:
            float(text)
        except ValueError:
            out.append(_fmt(float(x)) if _INTERVAL.match(text) else text)
        else:
            out.append(_fmt(float(x)))
    return out


# --------------------------------------------------------------------------------------------------
# Tables (from coopsim.experiments.analysis)


@dataclass
class SweepTables:
    """What the sweep figures draw, computed once per report."""

    main_effects: pd.DataFrame
    surfaces: dict[tuple[str, str, str], pd.DataFrame] = field(default_factory=dict)
    sobol: pd.DataFrame | None = None
    morris: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def rank_parameters(effects: pd.DataFrame, output: str) -> list[str]:
    """Parameters by the spread of their main effect on ``output`` (largest first)."""
    part = effects[effects["output"] == output]
    if part.empty:
        return []
    spread = part.groupby("parameter")["mean"].agg(lambda m: np.nanmax(m) - np.nanmin(m))
    return list(spread.sort_values(ascending=False).index)


def sweep_tables(
    sweep: SweepResults, outputs: Sequence[str], heatmap_pair: tuple[str, str] | None = None
) -> SweepTables:
    """Main effects, heatmap surfaces and sensitivity indices for ``outputs`` of a sweep."""
    from coopsim.experiments import analysis  # on first use: a run's report needs none of it

    effects = analysis.main_effects_of(sweep.results, sweep.parameters, outputs, EFFECT_BINS)
    tables = SweepTables(main_effects=effects)

    pair = heatmap_pair
    if pair is None and len(sweep.parameters) >= 2 and outputs:
        ranked = rank_parameters(effects, outputs[0])
        ranked += [p for p in sweep.parameters if p not in ranked]
        pair = (ranked[0], ranked[1])
    if pair is not None:
        for output in outputs:
            tables.surfaces[(pair[0], pair[1], output)] = analysis.surface_of(
                sweep.results, pair[0], pair[1], output, HEATMAP_BINS
            )

    design = sweep.design_kind
    if design in ("sobol", "morris"):
        try:  # from the sweep directory: the design's own points
            if design == "sobol":
                tables.sobol = analysis.sobol_indices(sweep.path, outputs)
            else:
                tables.morris = analysis.morris_indices(sweep.path, outputs)
        except Exception as exc:  # the sweep may not re-validate (an older version wrote it)
            tables.notes.append(f"{design} indices not computed: {type(exc).__name__}: {exc}")
    return tables


# --------------------------------------------------------------------------------------------------
# Figures


def _text_colour(rgba: Sequence[float]) -> str:
    r, g, b = to_rgb(rgba)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def plot_sweep_heatmap(
    surfaces: dict[str, pd.DataFrame] | pd.DataFrame,
    x: str,
    y: str,
    output: str | None = None,
    *,
    title: str | None = None,
) -> Figure:
    """Mean of each output over two parameters (values, categories or quantile bins).

    ``surfaces`` maps output → ``surface`` table (x_value, y_value, x, y, n, mean); a single
    table needs ``output``. Cells no run reached stay blank.
    """
    if isinstance(surfaces, pd.DataFrame):
        surfaces = {output or "output": surfaces}
    panels = [(o, s) for o, s in surfaces.items() if len(s) and s["mean"].notna().any()]
    if not panels:
        return empty_figure(title or "Heatmap", "No finished runs to draw.")
    rows, cols = grid_shape(len(panels), 2)
    partial = False
    with style():
        fig = new_figure(5.4 * cols + 0.3, 4.3 * rows + 0.7)
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, (name, table) in zip(axes.flat, panels, strict=False):
            xs = table.drop_duplicates("x").sort_values("x")
            ys = table.drop_duplicates("y").sort_values("y")
            x_index = {v: i for i, v in enumerate(xs["x"])}
            y_index = {v: i for i, v in enumerate(ys["y"])}
            grid = np.full((len(ys), len(xs)), np.nan)
            counts = {}  # cells where only some runs have a value: (n, runs)
            for _, row in table.iterrows():
                cell = (y_index[row["y"]], x_index[row["x"]])
                grid[cell] = row["mean"]
                runs = int(row["runs"]) if "runs" in row else int(row["n"])
                if int(row["n"]) < runs:
                    counts[cell] = (int(row["n"]), runs)
                    partial = True
            masked = np.ma.masked_invalid(grid)
            image = ax.pcolormesh(masked, cmap="viridis", edgecolors="white", linewidth=0.8)
            colourbar = fig.colorbar(image, ax=ax, shrink=0.92)
            colourbar.set_label(indicator_label(name))
            if grid.size <= 100:
                for (j, i), value in np.ndenumerate(grid):
                    if np.isfinite(value):
                        shown = _fmt(value)
                        if (j, i) in counts:
                            shown += "\nn={}/{}".format(*counts[(j, i)])
                        ax.text(
                            i + 0.5,
                            j + 0.5,
                            shown,
                            ha="center",
                            va="center",
                            fontsize=8,
                            color=_text_colour(image.cmap(image.norm(value))),
                        )
            ax.set_xticks(np.arange(len(xs)) + 0.5, _tick_labels(xs, "x_value", "x"))
            ax.set_yticks(np.arange(len(ys)) + 0.5, _tick_labels(ys, "y_value", "y"))
            ax.set_xlabel(parameter_label(x))
            ax.set_ylabel(parameter_label(y))
            ax.set_title(indicator_label(name, unit=False))
            ax.grid(False)
            ax.set_aspect("auto")
            if len(xs) > 6:
                ax.tick_params(axis="x", labelrotation=45)
        for ax in list(axes.flat)[len(panels) :]:
            ax.set_axis_off()
        binned = any(
            _INTERVAL.match(str(v))
            for _, s in panels
            for v in pd.concat([s["x_value"], s["y_value"]])
        )
        how = "quantile bins labelled by their mean; " if binned else ""
        some = "; n=k/m: only k of the cell's m runs have a value" if partial else ""
        fig.suptitle(
            title
            or f"Mean over runs by {x} and {y}\n"
            f"({how}averaged over replicates and any other parameters{some})"
        )
    return fig


def _effect_panel(
    ax: Axes, part: pd.DataFrame, categorical: bool, colour: str, output: str
) -> None:
    part = part.sort_values("x")
    x = part["x"].to_numpy(dtype=float)
    mean = part["mean"].to_numpy(dtype=float)
    bottom, top = value_range(output)  # an interval is drawn within the possible values
    low = np.clip(part["ci_low"].to_numpy(dtype=float), bottom, top)
    high = np.clip(part["ci_high"].to_numpy(dtype=float), bottom, top)
    if categorical:
        error = np.vstack([mean - low, high - mean])
        error = np.where(np.isfinite(error), error, 0.0)
        ax.errorbar(x, mean, yerr=error, fmt="o", color=colour, capsize=4, lw=1.6, ms=6)
        ax.set_xticks(x, [str(v) for v in part["value"]])
        ax.set_xlim(x.min() - 0.5, x.max() + 0.5)
        ax.grid(axis="x", visible=False)
    else:
        ax.plot(x, mean, "-o", color=colour, ms=4)
        ax.fill_between(x, low, high, color=colour, alpha=0.22, lw=0)
    n = part["n"].to_numpy(dtype=int)
    runs = part["runs"].to_numpy(dtype=int) if "runs" in part else n
    for xi, yi, k, m in zip(x, mean, n, runs, strict=True):
        if k < m and np.isfinite(yi):  # a mean over fewer runs than the point holds
            ax.annotate(
                f"n={k}/{m}",
                (xi, yi),
                xytext=(0, 6),
                textcoords="offset points",
                ha="center",
                fontsize=7,
                color="#555555",
            )


def plot_main_effects(
    effects: pd.DataFrame,
    output: str,
    parameters: Sequence[str] | None = None,
    *,
    title: str | None = None,
) -> Figure:
    """Mean of ``output`` against each parameter in turn, with its 95% CI over runs.

    Each panel averages over every other parameter (a main effect); numeric parameters are shown
    at their values or at the mean of quantile bins, categories as points with error bars.
    """
    part = effects[effects["output"] == output]
    names = [
        p
        for p in (parameters or list(dict.fromkeys(part["parameter"])))
        if p in set(part["parameter"])
    ]
    if not names:
        return empty_figure(title or f"Main effects on {output}", "No main effects to draw.")
    rows, cols = grid_shape(len(names), 3)
    colour = OKABE_ITO["blue"]
    with style():
        fig = new_figure(3.6 * cols + 0.4, 3.0 * rows + 1.1)
        axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
        for ax, name in zip(axes.flat, names, strict=False):
            rows_of = part[part["parameter"] == name]
            categorical = not all(
                _is_number(v) or _INTERVAL.match(str(v)) for v in rows_of["value"]
            )
            _effect_panel(ax, rows_of, categorical, colour, output)
            ax.set_xlabel(parameter_label(name))
            ax.set_title(name, fontsize=9.5)
        for ax in axes[:, 0]:
            ax.set_ylabel(indicator_label(output))
        for ax in axes.flat:
            ax.tick_params(labelleft=True)
        for ax in list(axes.flat)[len(names) :]:
            ax.set_axis_off()
        handles = [
            Line2D([], [], color=colour, marker="o", ms=4, label="mean over runs"),
            Patch(color=colour, alpha=0.3, lw=0, label="95% CI (bars for categories)"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=2)
        fig.suptitle(title or f"Main effects on {indicator_label(output, unit=False).lower()}")
    return fig


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _whiskers(
    ax: Axes, y: np.ndarray, values: np.ndarray, error: np.ndarray, low: float, high: float
) -> None:
    """Interval whiskers cut at the axis; a cut one is labelled with its half-width."""
    for yi, v, e in zip(y, values, error, strict=True):
        if not (np.isfinite(v) and np.isfinite(e)) or e <= 0:
            continue
        a, b = max(v - e, low), min(v + e, high)
        ax.plot([a, b], [yi, yi], color="#333333", lw=1.0, solid_capstyle="butt")
        for end, cut in ((a, v - e < low), (b, v + e > high)):
            if not cut:
                ax.plot([end, end], [yi - 0.08, yi + 0.08], color="#333333", lw=1.0)
        if v + e > high or v - e < low:
            ax.annotate(
                f"±{_fmt(e)}",
                (high, yi),
                xytext=(-2, 0),
                textcoords="offset points",
                ha="right",
                va="center",
                fontsize=7.5,
                color="#333333",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            )


def plot_sensitivity(
    indices: pd.DataFrame,
    method: str | None = None,
    *,
    title: str | None = None,
) -> Figure:
    """Sensitivity indices per output: Sobol' S1 and ST, or Morris mu* and sigma, as bars.

    Bars are sorted by total effect (ST or mu*); whiskers are the bootstrap 95% half-widths.
    """
    if method is None:
        method = "sobol" if "ST" in indices.columns else "morris"
    if method == "sobol":
        bars = [
            ("S1", "S1_conf", "first order S1", OKABE_ITO["sky_blue"]),
            ("ST", "ST_conf", "total order ST", OKABE_ITO["blue"]),
        ]
    else:
        bars = [
            ("mu_star", "mu_star_conf", "μ* (mean |elementary effect|)", OKABE_ITO["vermillion"]),
            ("sigma", None, "σ (spread: interactions, non-linearity)", OKABE_ITO["orange"]),
        ]
    key = bars[1][0] if method == "sobol" else bars[0][0]
    outputs = [
        o
        for o in dict.fromkeys(indices["output"])
        if indices.loc[indices["output"] == o, key].notna().any()
    ]
    if not outputs:
        note = "; ".join(sorted({str(n) for n in indices.get("note", []) if n})) or "no values"
        return empty_figure(title or "Sensitivity", f"No sensitivity indices: {note}.")
    rows, cols = grid_shape(len(outputs), 2)
    n_params = indices["parameter"].nunique()
    wide = False
    with style():
        fig = new_figure(5.6 * cols + 0.4, (0.42 * n_params + 1.3) * rows + 1.0)
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, output in zip(axes.flat, outputs, strict=False):
            part = indices[indices["output"] == output].sort_values(key, ascending=True)
            y = np.arange(len(part))
            height = 0.38
            drawn = []
            for k, (column, conf, label, colour) in enumerate(bars):
                values = part[column].to_numpy(dtype=float)
                error = part[conf].to_numpy(dtype=float) if conf else np.zeros(len(values))
                offset = (k - 0.5) * height
                ax.barh(y + offset, values, height=height, color=colour, label=label)
                drawn.append((y + offset, values, error))
                big = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 0.0
                if np.isfinite(error).any() and np.nanmax(error) > 0.5 * max(big, 0.1):
                    wide = True
            ax.set_yticks(y, list(part["parameter"]))
            values_all = np.concatenate([v for _, v, _ in drawn])
            reach = np.concatenate([v + np.nan_to_num(e) for _, v, e in drawn])
            low = min(0.0, float(np.nanmin(values_all)))
            if method == "sobol":  # a share of variance: keep the 0..1 scale, whiskers may leave it
                high = max(1.0, float(np.nanmax(values_all)))
            else:
                high = max(float(np.nanmax(reach)), float(np.nanmax(values_all)), 0.0)
            span = (high - low) or 1.0
            low, high = low - 0.08 * span, high + 0.08 * span
            ax.set_xlim(low, high)
            for positions, values, error in drawn:
                _whiskers(ax, positions, values, error, low, high)
            ax.axvline(0, color="#333333", lw=0.8)
            ax.set_title(indicator_label(output, unit=False))
            ax.set_xlabel(
                "Sobol' index (share of output variance)"
                if method == "sobol"
                else "Elementary effect (output units per full parameter range)"
            )
            ax.grid(axis="y", visible=False)
        for ax in list(axes.flat)[len(outputs) :]:
            ax.set_axis_off()
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(bars))
        name = "Sobol' indices" if method == "sobol" else "Morris screening"
        caution = "\nwide intervals: too few samples for stable indices" if wide else ""
        fig.suptitle(title or f"Sensitivity: {name} with 95% bootstrap intervals{caution}")
    return fig


def plot_sweep_timeseries(
    timeseries: pd.DataFrame,
    columns: Sequence[str],
    by: str,
    *,
    title: str | None = None,
) -> Figure:
    """The kept time series of a sweep: one panel per column, one line per value (or quantile
    bin) of the parameter ``by``, the mean over its runs with a 95% band (clipped to the
    column's range).

    ``timeseries`` has run_id, step, the parameters and the columns (``load_timeseries``).
    """
    from coopsim.experiments import analysis

    present = [c for c in columns if c in timeseries and timeseries[c].notna().any()]
    if timeseries.empty or not present or by not in timeseries:
        return empty_figure(title or "Time series", "No kept time series to draw.")
    labels, position = analysis.levels(timeseries[by], HEATMAP_BINS)
    frame = timeseries.assign(mode=labels, _x=position)
    order = frame.drop_duplicates("mode").sort_values("_x")["mode"].tolist()
    colours = _sequence_colours(len(order))
    rows, cols = grid_shape(len(present), 2)
    with style():
        fig = new_figure(5.4 * cols + 0.4, 3.3 * rows + 1.3)
        axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
        for ax, column in zip(axes.flat, present, strict=False):
            bands = seed_bands(frame, column)
            for level, colour in zip(order, colours, strict=True):
                part = bands[bands["mode"] == level]
                ax.plot(part["step"], part["mean"], color=colour, lw=1.6)
                if part["n"].max() >= 2:
                    ax.fill_between(
                        part["step"], part["low"], part["high"], color=colour, alpha=0.15, lw=0
                    )
            ax.set_title(indicator_label(column, unit=False, level="step"))
            ax.set_ylabel(indicator_unit(column, level="step") or "value")
            ax.set_xlabel(TIME_LABEL)
            ax.tick_params(labelbottom=True)
            ax.margins(x=0)
        for ax in list(axes.flat)[len(present) :]:
            ax.set_axis_off()
        handles = [
            Line2D([], [], color=c, lw=1.6, label=_level_label(level))
            for level, c in zip(order, colours, strict=True)
        ]
        handles.append(Patch(color="#777777", alpha=0.3, lw=0, label="95% CI over runs"))
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncols=min(len(handles), 4),
            title=parameter_label(by),
        )
        fig.suptitle(
            title
            or f"Kept time series by {by}\n(mean over runs, averaged over any other parameters)"
        )
    return fig


def _level_label(label: str) -> str:
    if _INTERVAL.match(str(label)):
        return f"bin {label}"
    try:
        return _fmt(float(label))
    except ValueError:
        return str(label)


def _sequence_colours(n: int) -> list:
    """Colours for ordered levels: viridis from dark to light (readable on white)."""
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(0.05 + 0.8 * i / max(n - 1, 1)) for i in range(n)]
