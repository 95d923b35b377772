"""Figures and the report of a decomposition directory: which rule slots account for the difference
between two governance modes.

``plot_waterfall`` walks from the first mode's value to the second's, one bar per slot (its
Shapley value, with its interval); ``plot_slot_effects`` sets each slot's Shapley value beside its
one-at-a-time effects from both ends, where the gap between them shows interactions.
``decomposition_document`` assembles the report from ``coopsim.experiments.decomposition``'s
tables.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from coopsim.report.document import Document, Heading, Paragraph, Table, number
from coopsim.report.figures import empty_figure, grid_shape
from coopsim.report.style import OKABE_ITO, indicator_label, indicator_unit, new_figure, style

__all__ = ["decomposition_document", "horizon_note", "plot_slot_effects", "plot_waterfall"]

MAX_OUTPUTS = 8  # outputs drawn; the tables hold all
GAIN, LOSS, END = OKABE_ITO["blue"], OKABE_ITO["vermillion"], "#8C8C8C"


def _interval(row: Any, name: str) -> str:
    low, high = row.get(f"{name}_low"), row.get(f"{name}_high")
    text = number(row.get(name))
    if low is not None and high is not None and np.isfinite(low) and np.isfinite(high):
        text += f" [{number(low)}, {number(high)}]"
    return text


def horizon_note(details: dict[str, Any], seeds: int) -> str:
    """``2 seeds × 120 months (shorter than the scenario's 240)``: what a figure stands on."""
    steps = details.get("steps")
    text = f"{seeds} seed{'s' if seeds != 1 else ''}"
    if steps:
        text += f" × {steps} months"
    own = details.get("scenario_steps")
    if own and steps and int(own) != int(steps):
        relation = "shorter" if int(steps) < int(own) else "longer"
        text += f" ({relation} than the scenario's {own})"
    return text


def plot_waterfall(
    effects: pd.DataFrame, totals: pd.DataFrame, output: str, *, note: str = ""
) -> Figure:
    """From the first mode's value to the second's: one floating bar per compared slot (its
    Shapley value, whiskers its interval), the two ends as full bars with theirs."""
    total = totals[totals["output"] == output].iloc[0]
    rows = effects[effects["output"] == output].reset_index(drop=True)
    first, second = str(total["from_mode"]), str(total["to_mode"])
    n = len(rows)
    title = f"{indicator_label(output, unit=False)}: {first} → {second}, by rule slot"
    if not (np.isfinite(total["from_value"]) and np.isfinite(total["to_value"])):
        return empty_figure(
            title,
            "No seed has a value of this output in every composition (a run failed, or the "
            "output has no value in some runs): nothing to decompose.",
        )
    with style():
        fig = new_figure(max(6.5, 1.1 * (n + 2) + 1.2), 4.8)
        ax = fig.subplots()
        # x, bottom, height, and where the top's interval runs
        bars: list[tuple[float, float, float, float, float]] = []
        start = float(total["from_value"])
        bars.append((0, 0.0, start, total["from_value_low"], total["from_value_high"]))
        level = start
        for i, row in rows.iterrows():
            value = float(row["shapley"])
            low, high = row["shapley_low"], row["shapley_high"]
            bars.append((i + 1, level, value, level + low, level + high))
            level += value
        stop = float(total["to_value"])
        bars.append((n + 1, 0.0, stop, total["to_value_low"], total["to_value_high"]))
        for index, (x, bottom, height, low, high) in enumerate(bars):
            end = index in (0, n + 1)
            colour = END if end else (GAIN if height >= 0 else LOSS)
            ax.bar(x, height, bottom=bottom, color=colour, width=0.66)
            top = bottom + height
            whisker = np.isfinite(low) and np.isfinite(high)
            if whisker:
                ax.errorbar(
                    x,
                    top,
                    yerr=[[max(top - low, 0.0)], [max(high - top, 0.0)]],
                    color="#333333",
                    capsize=3,
                    lw=1,
                )
            if index:  # from the previous bar's top
                joint = bars[index - 1][1] + bars[index - 1][2]
                ax.plot([x - 0.67, x - 0.33], [joint, joint], color="#777777", lw=0.8, ls=":")
            peak = max(bottom, top, high if whisker else top)
            ax.annotate(
                f"{height:.3g}" if end else f"{height:+.3g}",
                (x, peak),
                textcoords="offset points",
                xytext=(0, 3),
                ha="center",
                fontsize=8,
            )
        labels = [
            f"{s}\n{a}\n→ {b}"
            for s, a, b in zip(rows["slot"], rows["from_rule"], rows["to_rule"], strict=True)
        ]
        ax.set_xticks(np.arange(n + 2), [first, *labels, second], fontsize=7.5)
        ax.axhline(0, color="#666666", lw=0.8)
        ax.set_ylabel(indicator_label(output))
        ax.grid(axis="x", visible=False)
        share = total["interaction_share"]
        subtitle = f"difference {_interval(total, 'difference')}"
        if np.isfinite(share):
            subtitle += f"; interaction share {number(share, 2)}"
        subtitle += " — bars: Shapley values, whiskers: 95% intervals over seeds"
        ax.set_title(subtitle + (f"\n{note}" if note else ""), fontsize=9, fontweight="normal")
        fig.suptitle(title)
    return fig


def plot_slot_effects(effects: pd.DataFrame, outputs: list[str]) -> Figure:
    """Per output, each slot's Shapley value beside its effect switched alone in the first mode
    and switched last in the second; where they differ, the slot interacts with others."""
    nrows, ncols = grid_shape(len(outputs), max_cols=3)
    markers = (
        ("effect_in_from", "alone, in the first mode", "o", OKABE_ITO["orange"]),
        ("shapley", "Shapley value", "D", OKABE_ITO["black"]),
        ("effect_in_to", "last, in the second mode", "s", OKABE_ITO["sky_blue"]),
    )
    with style():
        fig = new_figure(4.2 * ncols, 0.35 * effects["slot"].nunique() * nrows + 1.6 * nrows)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, output in zip(axes, outputs, strict=False):
            rows = effects[effects["output"] == output].reset_index(drop=True)
            y = np.arange(len(rows))[::-1]
            for offset, (column, label, marker, colour) in zip(
                (-0.2, 0, 0.2), markers, strict=True
            ):
                low, high = rows[f"{column}_low"], rows[f"{column}_high"]
                value = rows[column]
                err = np.vstack([(value - low).clip(lower=0), (high - value).clip(lower=0)])
                ax.errorbar(
                    value,
                    y + offset,
                    xerr=np.nan_to_num(err),
                    fmt=marker,
                    color=colour,
                    ms=4,
                    lw=0.9,
                    capsize=2,
                    label=label,
                )
            ax.axvline(0, color="#666666", lw=0.8)
            ax.set_yticks(y, rows["slot"])
            ax.set_title(indicator_label(output, unit=False), fontsize=9)
            unit = indicator_unit(output)
            ax.set_xlabel(f"effect ({unit})" if unit else "effect", fontsize=8)
        for ax in axes[len(outputs) :]:
            ax.set_axis_off()
        if outputs:
            handles, labels = axes[0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=8)
        fig.suptitle("Each slot's effect: alone, averaged over every order (Shapley), last")
    return fig


def _overview(doc: Document, result: Any, meta: dict[str, Any], note: str) -> None:
    plan = result.plan
    doc.add(Heading("Overview"))
    compared = ", ".join(
        f"{s} ({plan.from_mode}'s {r.__name__} → {plan.to_mode}'s {t.__name__})"
        for s, r, t in _rules(plan)
    )
    rows = [
        ("Scenario", plan.scenario.name),
        ("Difference", f"{plan.to_mode} − {plan.from_mode}"),
        ("Slots compared", f"{len(plan.compared)}: {compared}"),
        (
            "Slots held fixed",
            ", ".join(
                f"{s} (the {m} rule, from the scenario's governance.rules)"
                for s, m in plan.held.items()
            )
            or "none",
        ),
        ("Slots with the same rule in both modes", ", ".join(plan.identical) or "none"),
        ("Compositions", f"{plan.compositions} (every slot compared takes either mode's rule)"),
        ("Runs", f"{plan.compositions} compositions × {plan.seeds} seeds (common random numbers)"),
        ("Horizon", note),
        ("Status", str(meta.get("status", "unknown"))),
    ]
    doc.add(Table(["", ""], rows))
    doc.add(
        Paragraph(
            "How to read it. A slot's **Shapley value** is its switch's effect averaged over "
            "every order in which the slots could be switched from the first mode's rules to the "
            "second's; the values add up to the whole difference. **Alone in the first mode**: "
            "the slot switched with every other slot left as the first mode has it; **last in "
            "the second mode**: the slot's switch made when every other slot already has the "
            "second mode's rule. The **interaction share** is the part of the difference that no "
            "slot produces alone (Harsanyi dividends of two or more slots) over the difference: "
            "0 when the effects simply add up, above 1 (or below 0) when slots alone would "
            "move the outcome less than (or against) what they do together. Intervals: 95% "
            "percentile bootstrap over seeds, each seed resampled with all its compositions "
            "(pairs stay paired)."
        )
    )


def _rules(plan: Any) -> list[tuple[str, Any, Any]]:
    from coopsim.model.modes import MODE_RULES

    return [(s, MODE_RULES[plan.from_mode][s], MODE_RULES[plan.to_mode][s]) for s in plan.compared]


def _output_section(doc: Document, figs: Any, result: Any, output: str, note: str) -> None:
    totals = result.totals[result.totals["output"] == output]
    if totals.empty:
        return
    total = totals.iloc[0]
    rows = result.effects[result.effects["output"] == output]
    doc.add(Heading(indicator_label(output), 3))
    difference = float(total["difference"])
    seeds = int(total["seeds"])
    if seeds < result.plan.seeds:
        doc.add(
            Paragraph(
                f"{seeds} of {result.plan.seeds} seeds have every composition (the others "
                "miss a run or a value of this output) and are used.",
                "warning",
            )
        )
    body = []
    for _, row in rows.iterrows():
        share = row["shapley"] / difference if difference else math.nan
        body.append(
            [
                str(row["slot"]),
                f"{row['from_rule']} → {row['to_rule']}",
                _interval(row, "shapley"),
                number(share, 2),
                _interval(row, "effect_in_from"),
                _interval(row, "effect_in_to"),
            ]
        )
    body.append(
        [
            "total",
            f"{result.plan.from_mode} → {result.plan.to_mode}",
            _interval(total, "difference"),
            "1",
            "",
            "",
        ]
    )
    doc.add(
        Table(
            [
                "slot",
                "rule",
                "Shapley value [95%]",
                "share",
                "alone in the first mode",
                "last in the second mode",
            ],
            body,
            caption=(
                f"{result.plan.from_mode}: {_interval(total, 'from_value')}; "
                f"{result.plan.to_mode}: {_interval(total, 'to_value')}; interaction share "
                f"{_interval(total, 'interaction_share')}"
            ),
            align=("l", "l", "r", "r", "r", "r"),
        )
    )
    pairs = result.dividends[
        (result.dividends["output"] == output) & (result.dividends["order"] >= 2)
    ]
    if len(pairs):
        top = pairs.reindex(pairs["dividend"].abs().sort_values(ascending=False).index).head(8)
        doc.add(
            Table(
                ["slots switched together", "Harsanyi dividend"],
                [
                    [str(r["slots"]).replace("+", " + "), number(r["dividend"])]
                    for _, r in top.iterrows()
                ],
                caption="The largest interactions: what slots add only when switched together",
                collapsed=True,
                align=("l", "r"),
            )
        )
    block = figs.draw(
        f"waterfall_{output}",
        f"From {result.plan.from_mode} to {result.plan.to_mode}: each bar is a slot's Shapley "
        "value (whiskers: 95% interval over seeds); the end bars are the two modes' means. "
        f"{note}.",
        lambda: plot_waterfall(result.effects, result.totals, output, note=note),
    )
    if block is not None:
        doc.add(block)


def decomposition_document(directory: Path, figs: Any, meta: dict[str, Any]) -> Document:
    """The report of a decomposition directory (``figs`` draws into ``figures/``)."""
    from coopsim.experiments.decomposition import load_decomposition

    result = load_decomposition(directory)
    plan = result.plan
    note = f"{plan.scenario.name}: " + horizon_note(
        meta.get("decomposition") or {"steps": plan.scenario.steps}, plan.seeds
    )
    doc = Document(
        f"coopsim decomposition: {plan.scenario.name} — {plan.from_mode} → {plan.to_mode}, "
        f"{len(plan.compared)} slots, {plan.compositions} compositions × {plan.seeds} seeds"
    )
    _overview(doc, result, meta, note)
    if not result.complete:
        finished = meta.get("runs_finished")
        doc.add(
            Paragraph(
                f"Unfinished: {finished if finished is not None else 'some'} of {plan.runs} runs "
                "have finished; the tables use the seeds whose compositions have all finished. "
                f"Continue with: coopsim decompose --resume {directory}",
                "warning",
            )
        )
    outputs = list(plan.outputs)
    doc.add(Heading("Contributions by slot"))
    for output in outputs[:MAX_OUTPUTS]:
        _output_section(doc, figs, result, output, note)
    for output in outputs[MAX_OUTPUTS:]:
        _output_section(doc, _NoFigures(), result, output, note)
    if len(outputs) and not result.effects.empty:
        doc.add(Heading("One at a time and in every order"))
        block = figs.draw(
            "slot_effects",
            "Each slot's effect switched alone in the first mode (circle), its Shapley value "
            "(diamond) and its effect switched last, in the second mode (square), with 95% "
            "intervals. Where the three differ, the slot's effect depends on the other slots.",
            lambda: plot_slot_effects(result.effects, outputs[:MAX_OUTPUTS]),
        )
        if block is not None:
            doc.add(block)
    doc.add(*(Paragraph(text, "note") for text in figs.notes))
    return doc


class _NoFigures:
    """Outputs beyond the figure limit: tables only."""

    notes: tuple[str, ...] = ()

    def draw(self, *args: Any, **kwargs: Any) -> None:
        return None
