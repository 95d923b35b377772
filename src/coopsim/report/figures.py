"""Figures of runs and comparisons: each function takes tables and returns a matplotlib Figure.

Tables are those of a run or comparison directory (``load_results`` gives them ``mode`` and
``seed`` columns, so one run is a comparison of one mode and one seed). Where several seeds ran,
lines are means over seeds and shaded bands their 95% confidence intervals (Student t).
Save a figure with ``style.save_figure``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from scipy import stats

from coopsim.model import metrics, outputs
from coopsim.report.load import Event
from coopsim.report.style import (
    CAUSE_COLOURS,
    CAUSE_HATCHES,
    TIME_LABEL,
    indicator_label,
    indicator_unit,
    mode_style,
    new_figure,
    pretty,
    style,
)
from coopsim.runs.stats import bounds, mean_ci
from coopsim.survival import ENDS, aalen_johansen, followed_until

__all__ = [
    "HEADLINE_INDICATORS",
    "TIME_INDICATORS",
    "incidence_by_mode",
    "kaplan_meier",
    "plot_comparison",
    "plot_cumulative_incidence",
    "plot_dissolution_causes",
    "plot_indicators",
    "plot_public_value",
    "plot_sector_trust",
    "plot_survival",
    "seed_bands",
]

TIME_INDICATORS = outputs.check(
    (
        "cooperation_rate",
        "participation_rate",
        "mean_trust",
        "free_riding_rate",
        "active_partnerships",
        "transaction_costs",
        "benefit_gini",
        "institutionalisation",
    ),
    "step",
)
HEADLINE_INDICATORS = outputs.check(
    (
        "sustainability_index",
        "cooperation_rate",
        "participation_rate",
        "mean_trust",
        "free_riding_rate",
        "partnership_survival_median",
        "partnership_life_restricted",
        "dissolution_time_lost",
        "completion_time_lost",
        "dissolution_hazard",
        "public_value_total",
        "transaction_costs_total",
        "benefit_gini",
        "inclusiveness",
        "member_exit_rate",
        "shock_depth",
        "shock_recovery_steps",
    ),
    "run",
    role="indicator",
)
NOT_INDICATORS = outputs.names("run", role=("key", "context"))  # in summaries, not compared
DISSOLVED = {o.name: o.about[0] for o in outputs.family("dissolved_<cause>")}
CAUSE_ORDER = tuple(DISSOLVED.values())  # dissolution causes
SECTOR_TRUST = [(o.name, *o.about) for o in outputs.family("trust_<a>_<b>")]
CONTROL_SHARES = {o.about[0]: o.name for o in outputs.family("control_share_<sector>")}
BENEFIT_SHARES = {o.about[0]: o.name for o in outputs.family("benefit_share_<sector>")}
LEVEL = 0.95
SHOCK_COLOUR = "#F0E442"  # Okabe–Ito yellow: apart from the grey of confidence bands
# What a missing value means, for the run indicators where it means something.
NO_VALUE = {o.name: o.missing for o in outputs.OUTPUTS if o.level == "run" and o.missing}


# --------------------------------------------------------------------------------------------------
# Helpers


def _modes(frame: pd.DataFrame, modes: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(frame["mode"])) if "mode" in frame else []
    if modes is None:
        return present
    return [m for m in modes if m in set(present)]


def _n_seeds(frame: pd.DataFrame) -> int:
    if "seed" not in frame or "mode" not in frame or frame.empty:
        return 1
    return int(frame.groupby("mode")["seed"].nunique().max())


def seed_bands(timeseries: pd.DataFrame, column: str, level: float = LEVEL) -> pd.DataFrame:
    """Per mode and step: mean over seeds, n, and the ``level`` confidence interval (t)."""
    frame = timeseries[["mode", "step", column]].copy()
    frame[column] = pd.to_numeric(frame[column], errors="coerce")
    grouped = frame.groupby(["mode", "step"], sort=False)[column]
    out = grouped.agg(["mean", "std", "count"]).reset_index().sort_values(["mode", "step"])
    n = out["count"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
        half = np.where(n >= 2, t * out["std"].fillna(0.0).to_numpy() / np.sqrt(n), np.nan)
    low, high = value_range(column)
    out["low"] = (out["mean"] - half).clip(low, high)
    out["high"] = (out["mean"] + half).clip(low, high)
    return out.rename(columns={"count": "n"})


def value_range(column: str) -> tuple[float, float]:
    """The range an output can take, from the outputs registry (bands are clipped to it)."""
    output = outputs.find(column)
    return (output.low, output.high) if output else (-math.inf, math.inf)


def _draw_events(ax: Axes, events: Sequence[Event]) -> None:
    for event in events:
        if event.kind == "shock":
            ax.axvspan(event.start, event.end, color=SHOCK_COLOUR, alpha=0.28, lw=0, zorder=0)
        else:
            ax.axvline(event.start, color="#333333", lw=1.0, ls=(0, (4, 2)), zorder=1)


def _event_handles(events: Sequence[Event]) -> list:
    handles: list = []
    shocks = [e for e in events if e.kind == "shock"]
    if shocks:
        names = "\n".join(dict.fromkeys(f"{e.label}, months {e.start:g}–{e.end:g}" for e in shocks))
        word = "shocks" if len(shocks) > 1 else "shock"
        handles.append(Patch(color=SHOCK_COLOUR, alpha=0.45, lw=0, label=f"{word}: {names}"))
    for event in (e for e in events if e.kind == "reform"):
        handles.append(
            Line2D(
                [],
                [],
                color="#333333",
                lw=1.0,
                ls=(0, (4, 2)),
                label=f"{event.label} at month {event.start:g}",
            )
        )
    return handles


def _mode_handles(modes: Sequence[str], band: bool, n_seeds: int) -> list:
    handles: list = [Line2D([], [], label=m, **mode_style(m, modes)) for m in modes]
    if band:
        handles.append(
            Patch(color="#777777", alpha=0.3, lw=0, label=f"band: 95% CI over {n_seeds} seeds")
        )
    return handles


def _legend(fig: Figure, handles: list, extra: Sequence = ()) -> None:
    """One legend below the panels: one row if it fits the figure's width, else wrapped,
    read row by row, with the ``extra`` entries (scheduled events) on rows of their own."""
    if not handles and not extra:
        return
    width = fig.get_figwidth() * 0.96
    blank = Line2D([], [], ls="none", label=" ")

    def rows_of(ncols: int) -> list[list]:
        out: list[list] = []
        for i in range(0, len(handles), ncols):
            row = list(handles[i : i + ncols])
            out.append(row + [blank] * (ncols - len(row)))
        for i in range(0, len(extra), ncols):  # events sit at the right-hand end of their row
            row = list(extra[i : i + ncols])
            out.append([blank] * (ncols - len(row)) + row)
        return out

    def chars(handle: Any) -> int:
        return max(len(line) for line in handle.get_label().split("\n"))

    def needed(ncols: int) -> float:
        grid = rows_of(ncols)
        return sum(0.066 * max(chars(row[c]) for row in grid) + 0.62 for c in range(ncols))

    everything = [*handles, *extra]
    one_row = sum(0.066 * chars(h) + 0.62 for h in everything)
    if one_row <= width:
        ncols, ordered = len(everything), everything
    else:
        ncols = max(len(handles), 1)
        while ncols > 1 and needed(ncols) > width:
            ncols -= 1
        grid = rows_of(ncols)
        ordered = [row[c] for c in range(ncols) for row in grid]
    fig.legend(
        handles=ordered,
        loc="outside lower center",
        ncols=ncols,
        handlelength=2.6,
        columnspacing=1.6,
    )


def _title(kind_of_lines: str, n_seeds: int) -> str:
    return kind_of_lines if n_seeds <= 1 else f"{kind_of_lines}, mean over {n_seeds} seeds"


def _time_panel(
    ax: Axes,
    timeseries: pd.DataFrame,
    column: str,
    modes: Sequence[str],
    events: Sequence[Event],
) -> bool:
    """Lines (and bands) of ``column`` per mode; True if a band was drawn."""
    _draw_events(ax, events)
    bands = seed_bands(timeseries, column)
    drew_band = False
    for mode in modes:
        part = bands[bands["mode"] == mode]
        if part.empty:
            continue
        look = mode_style(mode, modes)
        ax.plot(part["step"], part["mean"], label=mode, **look)
        if part["n"].max() >= 2:
            ax.fill_between(
                part["step"], part["low"], part["high"], color=look["color"], alpha=0.2, lw=0
            )
            drew_band = True
    ax.set_xlabel(TIME_LABEL)
    ax.margins(x=0)
    return drew_band


def grid_shape(n: int, max_cols: int = 4) -> tuple[int, int]:
    cols = min(n, max_cols)
    return math.ceil(n / cols), cols


def empty_figure(title: str, message: str) -> Figure:
    """A figure that says why there is nothing to draw (rather than failing the report)."""
    with style():
        fig = new_figure(7, 2.6)
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, color="#444444")
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------------------------------
# Time series


def plot_indicators(
    timeseries: pd.DataFrame,
    indicators: Sequence[str] | None = None,
    *,
    modes: Sequence[str] | None = None,
    events: Sequence[Event] = (),
    title: str | None = None,
) -> Figure:
    """The main indicators over time, one panel each; a line per mode, 95% bands over seeds."""
    wanted = indicators or TIME_INDICATORS
    columns = [c for c in wanted if c in timeseries.columns]
    modes = _modes(timeseries, modes)
    if not columns or not modes:
        return empty_figure(title or "Indicators over time", "No time series to draw.")
    n_seeds = _n_seeds(timeseries)
    rows, cols = grid_shape(len(columns))
    with style():
        fig = new_figure(3.3 * cols + 0.4, 2.7 * rows + 1.1)
        axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
        band = False
        for ax, column in zip(axes.flat, columns, strict=False):
            band |= _time_panel(ax, timeseries, column, modes, events)
            ax.set_title(indicator_label(column, unit=False, level="step"))
            ax.set_ylabel(indicator_unit(column, level="step") or "value")
        for ax in list(axes.flat)[len(columns) :]:
            ax.set_axis_off()
        for ax in axes[:-1].flat:
            if ax.get_visible():
                ax.tick_params(labelbottom=True)
        fig.suptitle(title or _title("Indicators over time", n_seeds))
        _legend(fig, _mode_handles(modes, band, n_seeds), _event_handles(events))
    return fig


def plot_public_value(
    timeseries: pd.DataFrame,
    *,
    modes: Sequence[str] | None = None,
    events: Sequence[Event] = (),
    title: str | None = None,
) -> Figure:
    """Public value produced per month and cumulated over the run, per mode."""
    modes = _modes(timeseries, modes)
    if "public_value" not in timeseries or not modes:
        return empty_figure(title or "Public value", "No public value in the time series.")
    frame = timeseries
    if "public_value_cumulative" not in frame:
        frame = frame.sort_values(["mode", "seed", "step"]).copy()
        frame["public_value_cumulative"] = frame.groupby(["mode", "seed"])["public_value"].cumsum()
    n_seeds = _n_seeds(frame)
    with style():
        fig = new_figure(11, 4.4)
        left, right = fig.subplots(1, 2)
        band = _time_panel(left, frame, "public_value", modes, events)
        if "demand" in frame:
            demand = frame.groupby("step")["demand"].mean()
            left.plot(demand.index, demand.to_numpy(), color="#555555", lw=1.0, ls=":", zorder=1)
        left.set_title("Per month")
        left.set_ylabel(indicator_label("public_value", level="step"))
        left.set_ylim(bottom=0)
        _time_panel(right, frame, "public_value_cumulative", modes, events)
        right.set_title("Cumulative")
        right.set_ylabel(indicator_label("public_value_cumulative", level="step"))
        right.set_ylim(bottom=0)
        right.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4), useMathText=True)
        handles = _mode_handles(modes, band, n_seeds)
        if "demand" in frame:
            handles.append(
                Line2D([], [], color="#555555", lw=1.0, ls=":", label="public demand (ceiling)")
            )
        fig.suptitle(title or _title("Public value produced", n_seeds))
        _legend(fig, handles, _event_handles(events))
    return fig


def _sector_pairs(columns: Sequence[str]) -> list[tuple[str, str, str]]:
    """The ``trust_<a>_<b>`` columns present, as (column, a, b), in sector order."""
    return [pair for pair in SECTOR_TRUST if pair[0] in columns]


def plot_sector_trust(
    timeseries: pd.DataFrame,
    *,
    modes: Sequence[str] | None = None,
    events: Sequence[Event] = (),
    title: str | None = None,
) -> Figure:
    """Mean effective trust between each pair of sectors over time, one panel per pair."""
    pairs = _sector_pairs(list(timeseries.columns))
    modes = _modes(timeseries, modes)
    if not pairs or not modes:
        return empty_figure(title or "Trust between sectors", "No trust_<sector>_<sector> columns.")
    n_seeds = _n_seeds(timeseries)
    rows, cols = grid_shape(len(pairs), 4 if len(pairs) > 6 else 3)
    with style():
        fig = new_figure(3.2 * cols + 0.4, 2.6 * rows + 1.1)
        axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
        band = False
        for ax, (column, a, b) in zip(axes.flat, pairs, strict=False):
            band |= _time_panel(ax, timeseries, column, modes, events)
            ax.set_title(f"{pretty(a)} – {pretty(b)}")
        for ax in list(axes.flat)[len(pairs) :]:
            ax.set_axis_off()
        for ax in axes[:, 0]:
            ax.set_ylabel("Effective trust (0–1)")
        for ax in axes.flat:
            ax.tick_params(labelbottom=True, labelleft=True)
        fig.suptitle(title or _title("Trust between sectors over time", n_seeds))
        _legend(fig, _mode_handles(modes, band, n_seeds), _event_handles(events))
    return fig


def plot_terms(
    timeseries: pd.DataFrame,
    *,
    modes: Sequence[str] | None = None,
    events: Sequence[Event] = (),
    title: str | None = None,
) -> Figure:
    """What the terms give each sector: its share of control and of benefits over time (one
    panel per sector present), and the share of talks that agree."""
    sectors = [s for s, c in CONTROL_SHARES.items() if c in timeseries]
    sectors = [s for s in sectors if timeseries[CONTROL_SHARES[s]].notna().any()]
    modes = _modes(timeseries, modes)
    if not sectors or not modes:
        return empty_figure(title or "Terms", "No control_share_<sector> values.")
    n_seeds = _n_seeds(timeseries)
    rows, cols = grid_shape(2 * len(sectors) + 1, 4)
    with style():
        fig = new_figure(3.2 * cols + 0.4, 2.6 * rows + 1.1)
        axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
        flat = list(axes.flat)
        band = False
        k = 0
        for sector in sectors:
            for kind, family in (("control", CONTROL_SHARES), ("benefit", BENEFIT_SHARES)):
                if family[sector] in timeseries:
                    band |= _time_panel(flat[k], timeseries, family[sector], modes, events)
                    flat[k].set_title(f"{pretty(sector)}: {kind} share")
                    flat[k].set_ylim(0, 1)
                    k += 1
        if "negotiation_success_rate" in timeseries:
            band |= _time_panel(flat[k], timeseries, "negotiation_success_rate", modes, events)
            flat[k].set_title("Talks that agree")
            flat[k].set_ylim(0, 1.02)
            k += 1
        for ax in flat[k:]:
            ax.set_axis_off()
        for ax in flat[:k]:
            ax.tick_params(labelbottom=True)
        fig.suptitle(title or _title("Control and benefits by sector, and talks", n_seeds))
        _legend(fig, _mode_handles(modes, band, n_seeds), _event_handles(events))
    return fig


# --------------------------------------------------------------------------------------------------
# Partnerships


def kaplan_meier(
    durations: Sequence[float], events: Sequence[bool], level: float = LEVEL
) -> pd.DataFrame:
    """Kaplan–Meier survival with Greenwood log(−log) confidence limits, one row per event time
    (the model's estimator, ``coopsim.model.metrics.kaplan_meier``, as a table)."""
    return pd.DataFrame(metrics.kaplan_meier(durations, events, level=level))


def _step_at(km: pd.DataFrame, t: np.ndarray) -> np.ndarray:
    index = np.searchsorted(km["time"].to_numpy(), t, side="right") - 1
    values = km["survival"].to_numpy()
    return np.where(index >= 0, values[np.maximum(index, 0)] if len(values) else 1.0, 1.0)


def plot_survival(
    partnerships: pd.DataFrame | None,
    *,
    modes: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Dissolution-specific survival per mode (seeds pooled), with censoring ticks.

    Kaplan–Meier with dissolution the event; a partnership that completed its objective or was
    still active at the end is censored at its age (a tick on the curve). With completion a
    competing end, this is the survival were completion impossible, not the share undissolved
    (``plot_cumulative_incidence`` draws that).
    """
    need = {"age", "status", "mode"}
    if partnerships is None or not need <= set(partnerships.columns) or partnerships.empty:
        return empty_figure(
            title or "Dissolution-specific survival",
            "No partnerships table (partnerships.parquet) with age and status.",
        )
    modes = _modes(partnerships, modes)
    n_seeds = _n_seeds(partnerships)
    horizon = float(pd.to_numeric(partnerships["age"]).max())
    with style():
        fig = new_figure(10, 6.2)
        ax = fig.add_subplot()
        handles = []
        for mode in modes:
            part = partnerships[partnerships["mode"] == mode]
            age = pd.to_numeric(part["age"]).to_numpy(dtype=float)
            dissolved = (part["status"] == "dissolved").to_numpy()
            km = kaplan_meier(age, dissolved)
            look = mode_style(mode, modes)
            end = float(age.max()) if len(age) else 0.0
            x = np.concatenate([[0.0], km["time"].to_numpy(), [end]])
            curves = []
            for column in ("survival", "low", "high"):
                values = km[column].to_numpy()
                last = values[-1] if len(values) else 1.0
                curves.append(np.concatenate([[1.0], values, [last]]))
            y, lo, hi = curves
            ax.step(x, y, where="post", **look)
            ax.fill_between(x, lo, hi, step="post", color=look["color"], alpha=0.15, lw=0)
            censored = np.unique(age[~dissolved])
            ax.plot(
                censored,
                _step_at(km, censored),
                ls="none",
                marker="|",
                markersize=6,
                markeredgewidth=0.9,
                color=look["color"],
                alpha=0.8,
            )
            median = metrics.median_survival(km)
            pooled = " (pooled)" if n_seeds > 1 else ""
            median_text = "median not reached" if median is None else f"median {median:g}{pooled}"
            handles.append(
                Line2D(
                    [],
                    [],
                    label=f"{mode}: {len(part)} partnerships, {int(dissolved.sum())} dissolved, "
                    f"{median_text}",
                    **look,
                )
            )
        ax.axhline(0.5, color="#777777", lw=0.8, ls=":", zorder=1)
        ax.text(horizon, 0.5, " 50%", va="center", ha="left", color="#555555", fontsize=8)
        ax.set_xlim(0, horizon if horizon > 0 else 1)
        ax.set_ylim(0, 1.03)
        ax.set_xlabel("Partnership age (months)")
        ax.set_ylabel("Dissolution-specific survival (Kaplan–Meier)")
        handles.append(
            Line2D(
                [],
                [],
                ls="none",
                marker="|",
                markersize=8,
                color="#444444",
                label="censored: completed or still active",
            )
        )
        handles.append(Patch(color="#777777", alpha=0.25, lw=0, label="95% CI (Greenwood)"))
        _legend(fig, handles)
        pooled = "" if n_seeds <= 1 else f", {n_seeds} seeds pooled per mode"
        fig.suptitle(
            title or f"Dissolution-specific survival, completions censored (Kaplan–Meier){pooled}"
        )
    return fig


def incidence_by_mode(
    partnerships: pd.DataFrame, modes: Sequence[str] | None = None
) -> dict[str, tuple[pd.DataFrame, float]]:
    """Per mode (seeds pooled): the Aalen–Johansen table of ``coopsim.survival.aalen_johansen``
    over the partnerships' ages and ends, and the oldest age it is defined to."""
    out = {}
    for mode in _modes(partnerships, modes):
        part = partnerships[partnerships["mode"] == mode]
        age = pd.to_numeric(part["age"]).to_numpy(dtype=float)
        ends = part["status"].where(part["status"].isin(ENDS), "").tolist()
        out[mode] = (pd.DataFrame(aalen_johansen(age, ends, ENDS)), followed_until(age, ends))
    return out


def plot_cumulative_incidence(
    partnerships: pd.DataFrame | None,
    *,
    modes: Sequence[str] | None = None,
    horizon: float | None = None,
    title: str | None = None,
) -> Figure:
    """Cumulative incidence of dissolution (left) and completion (right) by partnership age,
    one line per mode (seeds pooled): Aalen–Johansen, each end competing with the other and
    active partnerships censored. A curve stops at the oldest age its mode is followed to;
    ``horizon`` (τ) is marked with a dotted line."""
    need = {"age", "status", "mode"}
    if partnerships is None or not need <= set(partnerships.columns) or partnerships.empty:
        return empty_figure(
            title or "Cumulative incidence of partnership ends",
            "No partnerships table (partnerships.parquet) with age and status.",
        )
    tables = incidence_by_mode(partnerships, modes)
    modes = list(tables)
    n_seeds = _n_seeds(partnerships)
    oldest = float(pd.to_numeric(partnerships["age"]).max())
    with style():
        fig = new_figure(11.5, 5.2)
        axes = fig.subplots(1, 2, sharey=True)
        handles = []
        for mode, (table, reach) in tables.items():
            look = mode_style(mode, modes)
            end = min(reach, oldest)
            x = np.concatenate([[0.0], table["age"].to_numpy(), [end]])
            for ax, kind in zip(axes, ("dissolved", "completed"), strict=True):
                values = table[f"incidence_{kind}"].to_numpy()
                last = values[-1] if len(values) else 0.0
                ax.step(x, np.concatenate([[0.0], values, [last]]), where="post", **look)
            part = partnerships[partnerships["mode"] == mode]
            counts = part["status"].value_counts()
            handles.append(
                Line2D(
                    [],
                    [],
                    label=f"{mode}: {len(part)} partnerships, {int(counts.get('dissolved', 0))} "
                    f"dissolved, {int(counts.get('completed', 0))} completed",
                    **look,
                )
            )
        for ax, kind in zip(axes, ("dissolution", "completion"), strict=True):
            ax.set_title(f"Ended by {kind}")
            ax.set_xlim(0, oldest if oldest > 0 else 1)
            ax.set_ylim(0, 1.03)
            ax.set_xlabel("Partnership age (months)")
            if horizon is not None and np.isfinite(horizon) and horizon > 0:
                ax.axvline(horizon, color="#777777", lw=0.8, ls=":", zorder=1)
                ax.text(horizon, 1.0, " τ", va="top", ha="left", color="#555555", fontsize=9)
        axes[0].set_ylabel("Cumulative incidence (Aalen–Johansen)")
        axes[1].tick_params(labelleft=True)
        _legend(fig, handles)
        pooled = "" if n_seeds <= 1 else f", {n_seeds} seeds pooled per mode"
        fig.suptitle(title or f"Cumulative incidence of partnership ends (competing risks){pooled}")
    return fig


def _cause_table(
    summaries: pd.DataFrame | None, partnerships: pd.DataFrame | None, modes: Sequence[str]
) -> tuple[pd.DataFrame, int]:
    """Mean number of partnerships per run, by how they ended (mode × ending), and runs per mode."""
    cols = [c for c in summaries.columns if c in DISSOLVED] if summaries is not None else []
    if summaries is not None and cols:
        frame = summaries[["mode", *cols]].copy()
        frame.columns = ["mode", *[DISSOLVED[c] for c in cols]]
        if "partnerships_completed" in summaries:
            frame["completed"] = summaries["partnerships_completed"]
        for column in frame.columns[1:]:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
        table = frame.groupby("mode").mean()
        runs = int(summaries.groupby("mode").size().max())
    elif partnerships is not None and {"status", "cause", "mode"} <= set(partnerships.columns):
        ended = partnerships[partnerships["status"].isin(["dissolved", "completed"])]
        ended = ended.assign(
            ending=np.where(ended["status"] == "completed", "completed", ended["cause"])
        )
        counts = ended.groupby(["mode", "ending"]).size().unstack(fill_value=0)
        runs_per = partnerships.groupby("mode")["seed"].nunique() if "seed" in partnerships else 1
        table = counts.div(runs_per, axis=0)
        runs = int(np.max(runs_per)) if not isinstance(runs_per, int) else 1
    else:
        return pd.DataFrame(), 0
    table = table.reindex([m for m in modes if m in table.index]).fillna(0.0)
    order = ["completed"] + [c for c in CAUSE_ORDER if c in table.columns]
    order += [c for c in table.columns if c not in order]
    table = table[[c for c in order if c in table.columns]]
    keep = [c for c in table.columns if table[c].sum() > 0 or c == "completed"]
    return table[keep], runs


def plot_dissolution_causes(
    summaries: pd.DataFrame | None = None,
    partnerships: pd.DataFrame | None = None,
    *,
    modes: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Why partnerships ended, per mode: dissolutions by cause (left), all endings in % (right).

    Reads the ``dissolved_<cause>`` and ``partnerships_completed`` indicators of the summaries;
    without them, counts the partnerships table.
    """
    source = summaries if summaries is not None else partnerships
    modes = _modes(source, modes) if source is not None else []
    table, runs = _cause_table(summaries, partnerships, modes)
    if table.empty:
        return empty_figure(title or "How partnerships ended", "No partnership endings recorded.")
    causes = [c for c in table.columns if c != "completed"]
    with style():
        fig = new_figure(11.5, 4.6)
        left, right = fig.subplots(1, 2)
        x = np.arange(len(table.index))
        bottom = np.zeros(len(x))
        for cause in causes:
            values = table[cause].to_numpy()
            left.bar(
                x,
                values,
                bottom=bottom,
                width=0.62,
                color=CAUSE_COLOURS.get(cause, "#999999"),
                hatch=CAUSE_HATCHES.get(cause, ""),
                edgecolor="white",
                lw=0.6,
                label=pretty(cause),
            )
            bottom += values
        for xi, total in zip(x, bottom, strict=True):
            left.text(xi, total, f"{total:.1f}", ha="center", va="bottom", fontsize=8.5)
        left.set_ylim(0, max(float(bottom.max()), 1.0) * 1.15)  # the labels stay under the title
        slots = max(len(x), 3) / 2  # a single mode gets a bar of ordinary width
        centre = (len(x) - 1) / 2
        left.set_xticks(x, list(table.index))
        left.set_xlim(centre - slots, centre + slots)
        left.set_ylabel("Partnerships dissolved (mean per run)")
        left.set_xlabel("Governance mode")
        left.set_title("Dissolutions by cause")
        left.grid(axis="x", visible=False)

        totals = table.sum(axis=1).replace(0, np.nan)
        share = table.div(totals, axis=0).fillna(0.0) * 100
        bottom = np.zeros(len(x))
        for cause in table.columns:
            values = share[cause].to_numpy()
            bars = right.bar(
                x,
                values,
                bottom=bottom,
                width=0.62,
                color=CAUSE_COLOURS.get(cause, "#999999"),
                hatch=CAUSE_HATCHES.get(cause, ""),
                edgecolor="white",
                lw=0.6,
                label=pretty(cause),
            )
            for bar, value in zip(bars, values, strict=True):
                if value >= 7:
                    dark = cause in ("lead_exit", "shock", "low_trust", "too_few_members")
                    right.text(
                        bar.get_x() + bar.get_width() / 2,
                        bar.get_y() + value / 2,
                        f"{value:.0f}%",
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if dark else "black",
                    )
            bottom += values
        right.set_xticks(x, list(table.index))
        right.set_xlim(centre - slots, centre + slots)
        right.set_ylim(0, 100)
        right.set_ylabel("Share of ended partnerships (%)")
        right.set_xlabel("Governance mode")
        right.set_title("All endings: completed or dissolved")
        right.grid(axis="x", visible=False)
        handles, labels = right.get_legend_handles_labels()
        fig.legend(handles[::-1], labels[::-1], loc="outside right center", title="ending")
        per = "" if runs <= 1 else f" (mean over {runs} runs per mode)"
        fig.suptitle(title or f"How partnerships ended{per}")
    return fig


# --------------------------------------------------------------------------------------------------
# Comparison of modes


def comparison_from_summaries(summaries: pd.DataFrame, modes: Sequence[str]) -> pd.DataFrame:
    """A comparison table (indicator, mode, n, mean, sd, ci_low, ci_high) from run summaries."""
    rows = []
    for column in summaries.columns:
        if column in NOT_INDICATORS:
            continue
        values = pd.to_numeric(summaries[column], errors="coerce")
        if values.notna().sum() == 0 or summaries[column].dtype == bool:
            continue
        for mode in modes:
            n, mean, sd, low, high = mean_ci(
                values[summaries["mode"] == mode].to_numpy(float), LEVEL, bounds(column)
            )
            rows.append(
                {
                    "indicator": column,
                    "mode": mode,
                    "n": n,
                    "mean": mean,
                    "sd": sd,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows, columns=["indicator", "mode", "n", "mean", "sd", "ci_low", "ci_high"])


def plot_comparison(
    comparison: pd.DataFrame,
    indicators: Sequence[str] | None = None,
    *,
    modes: Sequence[str] | None = None,
    runs_per_mode: int | None = None,
    title: str | None = None,
) -> Figure:
    """Each run indicator per mode: the mean over seeds with its 95% confidence interval."""
    present = list(dict.fromkeys(comparison["indicator"])) if len(comparison) else []
    wanted = indicators or [i for i in HEADLINE_INDICATORS if i in present]
    usable = [
        i for i in wanted if comparison.loc[comparison["indicator"] == i, "mean"].notna().any()
    ]
    modes = _modes(comparison, modes)
    if not usable or not modes:
        return empty_figure(title or "Indicators by mode", "No indicator with a value to compare.")
    most = int(comparison["n"].max()) if runs_per_mode is None else runs_per_mode
    rows, cols = grid_shape(len(usable))
    y = np.arange(len(modes))[::-1]
    with style():
        fig = new_figure(3.3 * cols + 0.5, 0.42 * len(modes) * rows + 1.05 * rows + 1.0)
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, indicator in zip(axes.flat, usable, strict=False):
            part = comparison[comparison["indicator"] == indicator].set_index("mode")
            for yi, mode in zip(y, modes, strict=True):
                look = mode_style(mode, modes)
                if mode not in part.index or not np.isfinite(part.at[mode, "mean"]):
                    ax.text(
                        0.02,
                        yi,
                        NO_VALUE.get(indicator, "no value"),
                        transform=ax.get_yaxis_transform(),
                        va="center",
                        fontsize=8,
                        color="#666666",
                    )
                    continue
                row = part.loc[mode]
                bottom, top = value_range(indicator)
                lo = np.clip(row["ci_low"], bottom, top)
                hi = np.clip(row["ci_high"], bottom, top)
                if np.isfinite(lo) and np.isfinite(hi):
                    ax.plot([lo, hi], [yi, yi], color=look["color"], lw=2.2, solid_capstyle="butt")
                ax.plot(
                    row["mean"],
                    yi,
                    "o",
                    color=look["color"],
                    markersize=6.5,
                    markeredgecolor="white",
                    markeredgewidth=0.8,
                )
                if most <= 1:  # one run: its value, as there is no interval to read
                    ax.annotate(
                        f"{row['mean']:,.0f}" if abs(row["mean"]) >= 1000 else f"{row['mean']:.3g}",
                        (row["mean"], yi),
                        xytext=(0, 7),
                        textcoords="offset points",
                        ha="center",
                        fontsize=8.5,
                    )
                elif int(row["n"]) < most:
                    ax.annotate(
                        f"n={int(row['n'])}",
                        (row["mean"], yi),
                        xytext=(0, 6),
                        textcoords="offset points",
                        ha="center",
                        fontsize=7.5,
                        color="#555555",
                    )
            ax.set_title(indicator_label(indicator, unit=False))
            ax.set_xlabel(indicator_unit(indicator) or "value")
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4))  # panels are narrow: few ticks
            ax.set_yticks(y, modes)
            ax.set_ylim(-0.6, len(modes) - 0.2)  # room for a label over the top row
            ax.grid(axis="y", visible=False)
            ax.margins(x=0.15)
        for ax in list(axes.flat)[len(usable) :]:
            ax.set_axis_off()
        what = "value of the run" if most <= 1 else f"mean and 95% CI over {most} seeds"
        fig.suptitle(title or f"Run indicators by governance mode ({what})")
    return fig
