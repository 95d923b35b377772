"""``write_report(DIR)``: figures into ``DIR/figures/`` and a readable report beside them.

The directory's kind (run, comparison, sweep, calibration or decomposition) decides what is
drawn. ``report.html`` is self-contained (figures embedded, no network); ``report.md`` links the
figure files. Every file is written atomically (a temporary file in the same directory, then a
rename), and nothing is written outside ``DIR``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from coopsim import io
from coopsim.model import outputs
from coopsim.report import figures as F
from coopsim.report import sweeps as S
from coopsim.report.document import (
    Document,
    FigureBlock,
    Heading,
    Paragraph,
    Table,
    render_html,
    render_markdown,
)
from coopsim.report.load import (
    Results,
    SweepResults,
    detect_kind,
    load_results,
    load_sweep,
)
from coopsim.report.style import indicator_label, indicator_unit, pretty, save_figure

__all__ = ["DEFAULT_FORMATS", "OutsideDirectory", "write_report"]

DEFAULT_FORMATS = ("png",)
FIGURE_FORMATS = ("png", "svg", "pdf")
REPORTS = ("markdown", "html", "both", "none")
MAX_FIGURE_OUTPUTS = 8  # outputs (and time series) drawn in a sweep's figures; tables hold all
EFFECT_INDICATORS = outputs.check(
    ("sustainability_index", "cooperation_rate", "public_value_total"), "run", role="indicator"
)


# --------------------------------------------------------------------------------------------------
# Formatting


def fmt(value: Any, digits: int = 3) -> str:
    """A number for a table: 3 significant digits, thousands separated, '—' when missing."""
    if value is None:
        return "—"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return "—"
    if x == int(x) and abs(x) < 1e15 and (isinstance(value, int | np.integer) or abs(x) >= 1000):
        return f"{int(x):,}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def _interval(mean: float, low: float, high: float) -> str:
    if not np.isfinite(mean):
        return "—"
    if np.isfinite(low) and np.isfinite(high):
        return f"{fmt(mean)} [{fmt(low)}, {fmt(high)}]"
    return fmt(mean)


def _meaning(name: str, window: Any = None) -> str:
    output = outputs.find(name, "run")
    if output is None:
        return ""
    if window:  # the window's length where the meaning names the parameter
        return output.meaning.replace("`metrics.window`", f"{window} (`metrics.window`)")
    return output.meaning


def _windowed(name: str) -> bool:
    """Whether a run indicator reads only the last ``metrics.window`` months."""
    output = outputs.find(name, "run")
    if output is None:
        return False
    return name == "sustainability_index" or (
        output.derived is not None and output.derived.statistic == "window_mean"
    )


def _window_sentence(scenario: dict[str, Any], names: Sequence[str], steps: Any = None) -> str:
    """Which months the windowed indicators among ``names`` average, in words."""
    windowed = [n for n in names if _windowed(n)]
    metrics = scenario.get("metrics") if isinstance(scenario.get("metrics"), dict) else {}
    window = (metrics or {}).get("window")
    steps = steps or scenario.get("steps")
    if not windowed or not window:
        return ""
    listed = ", ".join(indicator_label(n, unit=False).lower() for n in windowed)
    if steps and int(window) < int(steps):
        span = (
            f"the last {window} months of each run (months {int(steps) - int(window) + 1}–"
            f"{steps}, `metrics.window`)"
        )
    else:
        span = f"the whole run ({steps} months: `metrics.window` = {window} is not shorter)"
    return (
        f"Window: the {listed} are averages over {span}; totals, counts, survival and the "
        "shock indicators cover the whole run"
    )


def _unit(name: str) -> str:
    return indicator_unit(name, "run")


# --------------------------------------------------------------------------------------------------
# Figures


class _Figures:
    """Draws figures into ``figures/`` in ``formats`` (none: no figure is drawn, and the report
    says so); a figure that fails becomes a note, not a lost report."""

    def __init__(self, directory: Path, formats: Sequence[str]):
        self.folder = directory / "figures"
        self.formats = list(dict.fromkeys(formats))
        self.blocks: list[FigureBlock] = []
        self.problems: list[str] = []
        self.notes: list[str] = []
        if not self.formats:
            self.notes.append(
                "No figures: this directory's scenario sets `output.figures: []` "
                "(`coopsim report` draws them when it lists a format, e.g. `[png]`)."
            )

    def draw(self, name: str, caption: str, build: Callable[[], Figure]) -> FigureBlock | None:
        if not self.formats:
            return None
        try:
            fig = build()
            saved = save_figure(fig, self.folder, name, self.formats)
        except Exception as exc:
            if os.environ.get("COOPSIM_DEBUG"):
                raise
            self.problems.append(f"{name}: {type(exc).__name__}: {exc}")
            return None
        title = saved.title.replace("\n", " ") if saved.title else pretty(name).capitalize()
        files = {fmt: f"figures/{path.name}" for fmt, path in saved.paths.items()}
        block = FigureBlock(
            name=name, title=title, caption=caption.strip(), png=saved.png, files=files
        )
        self.blocks.append(block)
        return block


def _output(scenario: Any) -> dict[str, Any]:
    output = scenario.get("output") if isinstance(scenario, dict) else None
    return output if isinstance(output, dict) else {}


def _formats(scenario: dict[str, Any]) -> list[str]:
    """The figure formats the scenario's ``output.figures`` asks for (PNG when it says none)."""
    wanted = _output(scenario).get("figures", list(DEFAULT_FORMATS))
    return [f for f in dict.fromkeys(wanted or []) if f in FIGURE_FORMATS]


def _reports(scenario: dict[str, Any], report: str | None) -> tuple[str, ...]:
    """Which reports to write: ``report`` if given, else the scenario's ``output.report``
    (an explicit call writes both where the scenario says none)."""
    chosen = report or _output(scenario).get("report") or "both"
    if chosen not in REPORTS:
        raise ValueError(f"report: expected one of {', '.join(REPORTS)} (got {chosen!r})")
    return ("markdown", "html") if chosen in ("both", "none") else (chosen,)


# --------------------------------------------------------------------------------------------------
# Runs and comparisons


def _overview(doc: Document, results: Results) -> None:
    meta, scenario = results.metadata, results.scenario
    doc.add(Heading("Overview"))
    description = " ".join(str(scenario.get("description") or "").split())
    if description:
        doc.add(Paragraph(description, literal=True))
    rows = [("Scenario", results.name)]
    if results.kind == "run":
        rows.append(("Governance mode", results.modes[0]))
        rows.append(("Seed", str(results.seeds[0])))
    else:
        rows.append(("Governance modes", ", ".join(results.modes)))
        rows.append(("Seeds per mode", f"{len(results.seeds)} (the same seeds for every mode)"))
    hybrid = {k: v for k, v in ((scenario.get("governance") or {}).get("rules") or {}).items() if v}
    if hybrid:
        taken = ", ".join(f"{slot} rule of {mode}" for slot, mode in hybrid.items())
        rows.append(("Hybrid rules", f"{taken} (in every mode of this report)"))
    steps = meta.get("steps_completed") or meta.get("steps") or scenario.get("steps")
    if steps is not None:
        rows.append(("Length", f"{steps} months (one step is one month)"))
    for event in results.events:
        rows.append(
            (
                "Shock" if event.kind == "shock" else "Reform",
                f"{event.label}, month {event.start:g}"
                + (f" to {event.end:g}" if event.kind == "shock" else ""),
            )
        )
    if meta.get("status"):
        rows.append(("Status", str(meta["status"])))
    if meta.get("command"):
        rows.append(("Command", f"`{meta['command']}`"))
    doc.add(Table(["", ""], rows))
    status = meta.get("status")
    if status and status != "complete":
        doc.add(
            Paragraph(
                f"This directory's status is '{status}': "
                "the results below cover only what finished.",
                "warning",
            )
        )
    for error in meta.get("errors") or []:
        doc.add(
            Paragraph(
                f"Run failed: mode {error.get('mode')}, seed {error.get('seed')}: "
                f"{error.get('error')}",
                "warning",
            )
        )


def _steps(results: Results) -> Any:
    meta = results.metadata
    return meta.get("steps_completed") or meta.get("steps") or results.scenario.get("steps")


def _flat_survival(doc: Document, results: Results) -> None:
    """Say what a flat survival curve means, for each mode in which no partnership dissolved:
    exit is a choice at a cost in every mode (version 0.4: no rule forbids it), so it is a result
    of the runs, not of a veto."""
    summaries = results.summaries
    if summaries is None or "partnerships_dissolved" not in summaries:
        return
    for mode in results.modes:
        runs = summaries[summaries["mode"] == mode]
        dissolved = pd.to_numeric(runs["partnerships_dissolved"], errors="coerce")
        if len(runs) and (dissolved.fillna(0) == 0).all():
            doc.add(
                Paragraph(
                    f"No {mode} partnership dissolved in these runs, so its dissolution-specific "
                    "survival curve stays at 1 and its median is not reached. No rule forbids "
                    "leaving: members who wanted out found staying cheaper than what leaving "
                    "costs under the mode's choice rule (an exit penalty, a forfeited peak share; "
                    "ODD §7.12), or none wanted out. Partnerships that completed or still run "
                    "are censored.",
                    "note",
                )
            )


def _comparison_table(results: Results) -> pd.DataFrame:
    if results.comparison is not None and len(results.comparison):
        return results.comparison
    return F.comparison_from_summaries(results.summaries, results.modes)


def _run_summary(doc: Document, results: Results) -> None:
    summary = results.summaries.iloc[0].to_dict() if len(results.summaries) else {}
    metrics = results.scenario.get("metrics")
    window = metrics.get("window") if isinstance(metrics, dict) else None
    doc.add(Heading("Summary"))
    order = [i for i in F.HEADLINE_INDICATORS if i in summary]
    order += [
        k for k in summary if k not in order and k not in F.NOT_INDICATORS and k not in F.DISSOLVED
    ]
    rows = []
    for name in order:
        value = summary[name]
        shown = fmt(value)
        if shown == "—" and name in F.NO_VALUE:
            shocked = any(e.kind == "shock" for e in results.events)
            missing = "no shock scheduled" if name.startswith("shock_") and not shocked else None
            shown = f"— ({missing or F.NO_VALUE[name]})"
        rows.append((indicator_label(name, unit=False), shown, _unit(name), _meaning(name, window)))
    doc.add(Table(["Indicator", "Value", "Unit", "Meaning"], rows, align=["l", "r", "l", "l"]))
    sentence = _window_sentence(results.scenario, order, _steps(results))
    if sentence:
        doc.add(Paragraph(sentence + "."))
    causes = {F.DISSOLVED[k]: v for k, v in summary.items() if k in F.DISSOLVED and v}
    if causes:
        text = ", ".join(
            f"{pretty(k)} {fmt(v)}" for k, v in sorted(causes.items(), key=lambda kv: -kv[1])
        )
        doc.add(Paragraph(f"Dissolutions by cause: {text}."))
    _flat_survival(doc, results)
    _competing_ends(doc, results)


def _comparison_summary(doc: Document, results: Results) -> None:
    table = _comparison_table(results)
    modes = results.modes
    most = len(results.seeds)
    doc.add(Heading("Summary"))
    doc.add(
        Paragraph(
            f"Mean over {most} seeds per mode with its 95% confidence interval (Student t, "
            "clipped to the indicator's possible range: no negative count or duration, no share "
            "above 1). Every mode ran on the same seeds (common random numbers). Where only k of "
            f"the {most} runs have a value (a median not reached, a rate without partnerships, "
            "no recovery), the cell says n=k and the mean is over those k runs."
        )
    )
    present = list(dict.fromkeys(table["indicator"]))
    headline = [i for i in F.HEADLINE_INDICATORS if i in present]
    key = _key_results(table, modes)
    if key:
        doc.add(Paragraph(key))

    def cell(indicator: str, mode: str) -> str:
        row = table[(table["indicator"] == indicator) & (table["mode"] == mode)]
        if row.empty:
            return "—"
        r = row.iloc[0]
        text = _interval(r["mean"], r["ci_low"], r["ci_high"])
        if text == "—" and indicator in F.NO_VALUE:
            return f"— ({F.NO_VALUE[indicator]})"
        if int(r["n"]) < most and np.isfinite(r["mean"]):
            text += f" (n={int(r['n'])})"
        return text

    rows = [
        [indicator_label(i, unit=False), _unit(i), *[cell(i, m) for m in modes]] for i in headline
    ]
    doc.add(Table(["Indicator", "Unit", *modes], rows, align=["l", "l", *["r"] * len(modes)]))
    sentence = _window_sentence(results.scenario, headline, _steps(results))
    if sentence:
        doc.add(Paragraph(sentence + "."))
    _flat_survival(doc, results)
    full = [
        [
            indicator_label(r["indicator"], unit=False),
            r["mode"],
            str(int(r["n"])),
            fmt(r["mean"]),
            fmt(r["sd"]),
            fmt(r["ci_low"]),
            fmt(r["ci_high"]),
        ]
        for _, r in table.iterrows()
    ]
    doc.add(
        Table(
            ["Indicator", "Mode", "n", "Mean", "SD", "95% CI low", "95% CI high"],
            full,
            caption=f"All {len(present)} indicators (comparison.parquet)",
            collapsed=True,
            align=["l", "l", "r", "r", "r", "r", "r"],
        )
    )
    _effects(doc, results, headline)
    _competing_ends(doc, results)


def _key_results(table: pd.DataFrame, modes: Sequence[str]) -> str:
    if len(modes) < 2:
        return ""
    sentences = []
    for indicator in ("sustainability_index", "public_value_total"):
        part = table[(table["indicator"] == indicator)].dropna(subset=["mean"])
        if len(part) < 2:
            continue
        best = part.loc[part["mean"].idxmax()]
        worst = part.loc[part["mean"].idxmin()]
        sentences.append(
            f"{indicator_label(indicator, unit=False)}: highest under {best['mode']} "
            f"({_interval(best['mean'], best['ci_low'], best['ci_high'])}), lowest under "
            f"{worst['mode']} ({_interval(worst['mean'], worst['ci_low'], worst['ci_high'])})."
        )
    return " ".join(sentences)


def _effects(doc: Document, results: Results, headline: Sequence[str]) -> None:
    effects = results.effects
    if effects is None or effects.empty:
        return
    doc.add(Heading("Differences between modes", 3))
    doc.add(
        Paragraph(
            "Difference: the mean over seeds of the paired difference (first mode − second), "
            "with its 95% interval. A12 (Vargha–Delaney): the probability that a run under the "
            "first mode scores higher than a run under the second; 0.5 is no difference, and "
            "0.56 / 0.64 / 0.71 (or 0.44 / 0.36 / 0.29) mark small / medium / large effects."
        )
    )
    first = [i for i in EFFECT_INDICATORS if i in headline]
    rest = [i for i in headline if i not in first]
    for indicators, collapsed in ((first, False), (rest, True)):
        rows = []
        for indicator in indicators:
            part = effects[effects["indicator"] == indicator]
            for _, r in part.iterrows():
                if not np.isfinite(r["mean_diff"]) and not np.isfinite(r["a12"]):
                    continue
                rows.append(
                    [
                        indicator_label(indicator, unit=False),
                        f"{r['mode_a']} − {r['mode_b']}",
                        _interval(r["mean_diff"], r["diff_ci_low"], r["diff_ci_high"]),
                        fmt(r["a12"], 2),
                        str(r["a12_magnitude"] or "—"),
                    ]
                )
        if rows:
            doc.add(
                Table(
                    ["Indicator", "Modes", "Difference [95% CI]", "A12", "Effect"],
                    rows,
                    caption="Differences for the other indicators (effects.parquet)"
                    if collapsed
                    else "",
                    collapsed=collapsed,
                    align=["l", "l", "r", "r", "l"],
                )
            )


def _horizon(results: Results) -> float | None:
    """τ of the restricted means: the largest any run used (None in a directory without it)."""
    summaries = results.summaries
    if summaries is None or "survival_horizon" not in summaries:
        return None
    values = pd.to_numeric(summaries["survival_horizon"], errors="coerce").dropna()
    return float(values.max()) if len(values) else None


def _horizon_sentence(results: Results) -> str:
    """τ in words: the parameter, and the runs in which it was cut short."""
    summaries = results.summaries
    if summaries is None or "survival_horizon" not in summaries:
        return ""
    used = pd.to_numeric(summaries["survival_horizon"], errors="coerce").dropna()
    if used.empty:
        return "No run formed a partnership: there is no τ and no restricted mean."
    metrics = results.scenario.get("metrics")
    asked = metrics.get("survival_horizon") if isinstance(metrics, dict) else None
    asked = float(used.max()) if asked is None else float(asked)
    named = f"τ = {fmt(asked)} months (`metrics.survival_horizon`)"
    short = used[used < asked]
    if short.empty:
        return f"{named} in {'the run' if len(used) == 1 else 'every run'}."
    low, high = fmt(short.min()), fmt(short.max())
    where = "in the run" if len(used) == 1 else f"in {len(short)} of {len(used)} runs"
    cut = (
        f"{named}, cut {where} to the oldest age followed, as a partnership of that age was "
        f"still active (τ = {low if low == high else f'{low}–{high}'} months): past it the "
        "curves are unknown."
    )
    if len(used) == 1:
        return cut
    return (
        f"{cut} Restricted means over different τ do not compare; a longer run or a smaller "
        "`metrics.survival_horizon` gives every run the same τ."
    )


def _ages(horizon: float) -> list[float]:
    """Ages at which the cumulative incidence table is read: each year up to τ, and τ."""
    years = [float(a) for a in range(12, int(horizon), 12)]
    return [*years, float(horizon)]


def _step_value(table: pd.DataFrame, column: str, age: float, start: float) -> float:
    index = np.searchsorted(table["age"].to_numpy(dtype=float), age, side="right") - 1
    return float(table[column].iloc[index]) if index >= 0 else start


def _competing_ends(doc: Document, results: Results) -> None:
    """Partnership ends as competing risks: τ, the cumulative incidence of each end at yearly
    ages beside the dissolution-specific survival, and that Kaplan–Meier table in full."""
    doc.add(Heading("Partnership ends (competing risks)", 3))
    doc.add(
        Paragraph(
            "A partnership ends completed or dissolved, or is still active when the run stops "
            "(censored). The cumulative incidence F(t) of an end is the share of partnerships "
            "ended that way by age t (Aalen–Johansen, the other end competing). Over the first τ "
            "months, the restricted mean partnership life is ∫₀^τ S(t) dt (S: not yet ended in "
            "any way) and the time lost to an end ∫₀^τ F(t) dt; the three add up to τ. "
            + _horizon_sentence(results)
        )
    )
    parts = results.partnerships
    if parts is None or not {"age", "status", "mode"} <= set(parts.columns):
        doc.add(Paragraph("No partnerships.parquet: no cumulative incidence to show.", "note"))
        return
    if parts.empty:
        doc.add(Paragraph("No partnership was formed: no cumulative incidence to show.", "note"))
        return
    tables = F.incidence_by_mode(parts, results.modes)
    horizon = _horizon(results) or float(pd.to_numeric(parts["age"]).max())
    many = len(tables) > 1 or len(results.seeds) > 1
    rows: list[list[str]] = []
    km_rows: list[list[str]] = []
    for mode, (table, reach) in tables.items():
        part = parts[parts["mode"] == mode]
        age = pd.to_numeric(part["age"]).to_numpy(dtype=float)
        km = F.kaplan_meier(age, (part["status"] == "dissolved").to_numpy())
        first = [mode] if many else []
        for a in _ages(horizon):
            ends = [
                _step_value(table, "incidence_completed", a, 0.0),
                _step_value(table, "incidence_dissolved", a, 0.0),
                _step_value(table, "survival", a, 1.0),
            ]
            shown = [fmt(v) if a <= reach else "—" for v in ends]
            km_value = _step_value(km.rename(columns={"time": "age"}), "survival", a, 1.0)
            shown.append(fmt(km_value) if a <= age.max() else "—")
            rows.append([*first, fmt(a), *shown])
        for _, r in km.iterrows():
            row = [r["time"], r["at_risk"], r["events"], r["survival"]]
            km_rows.append([*first, *(fmt(v) for v in row)])
    lead = ["Mode"] if many else []
    pooled = " (seeds pooled per mode)" if len(results.seeds) > 1 else ""
    doc.add(
        Table(
            [
                *lead,
                "Age (months)",
                "Completed F(t)",
                "Dissolved F(t)",
                "Not yet ended S(t)",
                "Dissolution-specific survival, completions censored",
            ],
            rows,
            caption=f"Cumulative incidence of each end by age{pooled}; the last column is the "
            "Kaplan–Meier with completions censored, for contrast ('—': past the oldest age "
            "followed)",
            align=["l"] * len(lead) + ["r"] * 5,
        )
    )
    doc.add(
        Table(
            [*lead, "Age (months)", "At risk", "Dissolved", "Survival"],
            km_rows,
            caption="Dissolution-specific survival, completions censored (Kaplan–Meier at each "
            f"dissolution age{pooled}; each run's own table is in survival.parquet)",
            collapsed=True,
            align=["l"] * len(lead) + ["r"] * 4,
        )
    )


def _result_figures(figs: _Figures, results: Results) -> None:
    ts, modes, events = results.timeseries, results.modes, results.events
    many = len(results.seeds) > 1
    band = (
        f"lines are means over {len(results.seeds)} seeds, shaded bands their 95% confidence "
        "intervals (Student t over seeds, clipped to the indicator's possible range). "
        if many
        else ""
    )
    marks = "Yellow spans mark scheduled shocks, dashed vertical lines reforms. " if events else ""
    comparison = _comparison_table(results)
    if results.kind == "comparison":
        figs.draw(
            "comparison",
            "Each panel is one run indicator; a dot is the mean over seeds of one mode and its "
            "line the 95% confidence interval (clipped to the possible range). 'n=k' marks a "
            "mode where only k runs have a value; 'median not reached' means fewer than half of "
            "the partnerships ever dissolved.",
            lambda: F.plot_comparison(comparison, modes=modes, runs_per_mode=len(results.seeds)),
        )
    figs.draw(
        "indicators",
        "The main indicators month by month, one colour and line style per mode; "
        + band
        + marks
        + "Rates over partnership members (cooperation, free riding) have no value in a month "
        "without an active partnership: a line breaks there, and where only some seeds have a "
        "value the mean and band are over those seeds.",
        lambda: F.plot_indicators(ts, modes=modes, events=events),
    )
    figs.draw(
        "public_value",
        "Public value produced by all partnerships per month (left; the dotted grey line is "
        "public demand, the ceiling on what can be produced) and cumulated over the run "
        "(right). " + band + marks,
        lambda: F.plot_public_value(ts, modes=modes, events=events),
    )
    figs.draw(
        "sector_trust",
        "Mean effective trust (personal and institutional, 0–1) over the relationships between "
        "organisations of two sectors, in either direction. "
        + band
        + marks
        + "Where two sectors have no relationship yet the model reports the initial trust, "
        "so a flat line at that value means no contact rather than steady trust.",
        lambda: F.plot_sector_trust(ts, modes=modes, events=events),
    )
    figs.draw(
        "terms",
        "What the terms give each sector: its share of the control (the weight of members' "
        "goals in their partnerships' objectives) held in active partnerships, beside its share "
        "of the benefits distributed, and the share of the month's talks (founding and renewal) "
        "that agreed. " + band + marks + "A month without an active partnership, or without "
        "talks, has no value: a line breaks there.",
        lambda: F.plot_terms(ts, modes=modes, events=events),
    )
    if results.partnerships is None:
        figs.notes.append(
            "No partnership survival curves: this directory has no partnerships.parquet "
            "(the scenario's output.partnerships was false); survival.parquet and "
            "cumulative_incidence.parquet hold each run's tables without the censoring times "
            "the figures need."
        )
    else:
        figs.draw(
            "cumulative_incidence",
            "Cumulative incidence of each end by partnership age (Aalen–Johansen, discrete "
            "time): the share of partnerships that have dissolved (left) or completed their "
            "objective (right) by each age, the other end competing and partnerships still "
            "active at the end censored. At every age the two curves and the share not yet "
            "ended add up to 1. "
            + ("Runs of a mode are pooled. " if many else "")
            + "The dotted line marks τ, the horizon of the restricted means; a curve stops at "
            "the oldest age its partnerships were followed to.",
            lambda: F.plot_cumulative_incidence(
                results.partnerships, modes=modes, horizon=_horizon(results)
            ),
        )
        figs.draw(
            "survival",
            "Dissolution-specific survival, completions censored: the Kaplan–Meier estimate with "
            "dissolution the event and partnerships that completed their objective or were still "
            "active at the end censored (the ticks). It is the survival were completion "
            "impossible, not the share not yet dissolved (one minus it overstates dissolution "
            "where partnerships complete; the cumulative incidence figure shows that share). "
            + (
                "Runs of a mode are pooled, so the median in the legend is the pooled curve's; "
                "the summary table's median partnership survival is the mean of each run's own "
                "median over the runs that reached one (n=k), and the two need not agree. "
                if many
                else ""
            )
            + "The shaded band is the 95% Greenwood (log–log) interval; the dotted line marks 50%, "
            "where the median survival is read. A curve that stays at 1 means no partnership of "
            "that mode dissolved.",
            lambda: F.plot_survival(results.partnerships, modes=modes),
        )
    figs.draw(
        "dissolution_causes",
        "Why partnerships ended. Left: partnerships dissolved per run, stacked by cause"
        + (" (mean over runs)" if many else "")
        + ". Right: every partnership that ended, completed or dissolved, as a share.",
        lambda: F.plot_dissolution_causes(results.summaries, results.partnerships, modes=modes),
    )


def _provenance(doc: Document, meta: dict[str, Any], directory: Path) -> None:
    doc.add(Heading("Provenance"))
    rows = []
    if meta.get("coopsim_version"):
        rows.append(("coopsim", str(meta["coopsim_version"])))
    git = meta.get("git")
    if isinstance(git, dict) and git.get("commit"):
        rows.append(
            (
                "Git commit",
                f"`{git['commit']}`" + (" (with local changes)" if git.get("dirty") else ""),
            )
        )
    for key, label in (("python", "Python"), ("platform", "Platform")):
        if meta.get(key):
            rows.append((label, str(meta[key])))
    packages = meta.get("packages")
    if isinstance(packages, dict) and packages:
        rows.append(("Packages", ", ".join(f"{k} {v}" for k, v in packages.items() if v)))
    started = meta.get("started_utc") or meta.get("created_utc")
    if started:
        rows.append(("Started (UTC)", str(started)))
    if meta.get("finished_utc"):
        rows.append(("Finished (UTC)", str(meta["finished_utc"])))
    if meta.get("duration_seconds") is not None:
        rows.append(("Duration", f"{fmt(meta['duration_seconds'])} s"))
    rows.append(("Directory", f"`{directory.name}`"))
    files = sorted(
        p.name + ("/" if p.is_dir() else "")
        for p in directory.iterdir()
        if not p.name.startswith(".") and not p.name.startswith("report.")
    )
    rows.append(("Files", ", ".join(files)))
    doc.add(Table(["", ""], rows))


def _run_document(
    directory: Path, formats: Sequence[str] | None
) -> tuple[Document, dict[str, Any]]:
    results = load_results(directory)
    if results.kind == "run":
        title = f"coopsim run: {results.name} ({results.modes[0]}, seed {results.seeds[0]})"
    else:
        title = (
            f"coopsim comparison: {results.name} — {len(results.modes)} modes × "
            f"{len(results.seeds)} seeds"
        )
    doc = Document(title)
    _overview(doc, results)
    if results.kind == "run":
        _run_summary(doc, results)
    else:
        _comparison_summary(doc, results)
    figs = _Figures(directory, _formats(results.scenario) if formats is None else formats)
    _result_figures(figs, results)
    doc.add(Heading("Figures"))
    doc.add(*figs.blocks)
    doc.add(*(Paragraph(note, "note") for note in figs.notes))
    _problems(doc, figs.problems)
    _provenance(doc, results.metadata, directory)
    return doc, results.scenario


def _problems(doc: Document, problems: Sequence[str]) -> None:
    for problem in problems:
        doc.add(Paragraph(f"A figure could not be drawn: {problem}", "warning"))


# --------------------------------------------------------------------------------------------------
# Sweeps


def _parameter_spec(value: Any) -> str:
    if isinstance(value, dict):
        low, high = value.get("low"), value.get("high")
        text = f"{fmt(low)} to {fmt(high)}"
        if value.get("num"):
            text += f", {value['num']} values"
        if value.get("scale") and value.get("scale") != "linear":
            text += f", {value['scale']} scale"
        return text
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _sweep_document(
    directory: Path, formats: Sequence[str] | None
) -> tuple[Document, dict[str, Any]]:
    sweep = load_sweep(directory)
    scenario = sweep.spec.get("scenario") if isinstance(sweep.spec.get("scenario"), dict) else {}
    meta, block = sweep.metadata, sweep.sweep
    design = sweep.design_kind
    points = meta.get("points") or (
        sweep.design["point"].nunique() if "point" in sweep.design else None
    )
    replicates = meta.get("replicates") or block.get("replicates")
    title = f"coopsim sweep: {sweep.name} — {design} design"
    if points:
        reps = int(replicates or 1)
        title += f", {points} points × {reps} replicate{'s' if reps != 1 else ''}"
    doc = Document(title)
    outputs = sweep.outputs
    drawn = outputs[:MAX_FIGURE_OUTPUTS]

    doc.add(Heading("Overview"))
    description = " ".join(str(sweep.spec.get("description") or "").split())
    if description:
        doc.add(Paragraph(description, literal=True))
    planned = meta.get("runs_planned") or len(sweep.design)
    finished = len(sweep.results)
    rows = [
        ("Design", design + (f", {block.get('samples')} samples" if block.get("samples") else "")),
        ("Runs", f"{finished} finished, {len(sweep.failed)} failed, {planned} planned"),
        ("Replicates", f"{replicates} per point (seeds: {block.get('seeds', 'common')})"),
        ("Outputs", ", ".join(_requested(sweep) or sweep.outputs) or "—"),
    ]
    if meta.get("status"):
        rows.append(("Status", str(meta["status"])))
    doc.add(Table(["", ""], rows))
    ranges = sweep.ranges()
    doc.add(
        Table(
            ["Parameter", "Varied over", "Unit"],
            [
                [
                    f"`{p}`",
                    _parameter_spec(ranges.get(p)),
                    S.parameter_label(p)[len(p) :].strip(" ()"),
                ]
                for p in sweep.parameters
            ],
            caption="Parameters varied",
        )
    )
    if meta.get("status") and meta["status"] != "complete":
        doc.add(
            Paragraph(
                f"This sweep's status is '{meta['status']}': the results cover the runs that "
                "finished "
                f"(resume it with `{meta.get('resume') or 'coopsim sweep --resume DIR'}`).",
                "warning",
            )
        )
    if sweep.results.empty or not outputs:
        doc.add(Paragraph("No finished run with outputs yet: nothing to summarise.", "warning"))
        _sweep_failures(doc, sweep)
        _provenance(doc, meta, directory)
        return doc, scenario

    tables = S.sweep_tables(sweep, outputs)
    figs = _Figures(directory, _formats(scenario) if formats is None else formats)

    doc.add(Heading("Summary"))
    summary_rows = []
    for output in outputs:
        values = pd.to_numeric(sweep.results[output], errors="coerce").dropna()
        strongest = _strongest(tables, output)
        summary_rows.append(
            [
                indicator_label(output, unit=False),
                _unit(output),
                str(len(values)),
                fmt(values.mean()),
                fmt(values.std(ddof=1)) if len(values) > 1 else "—",
                fmt(values.min()),
                fmt(values.max()),
                strongest,
            ]
        )
    doc.add(
        Table(
            ["Output", "Unit", "Runs", "Mean", "SD", "Min", "Max", "Most influential parameter"],
            summary_rows,
            align=["l", "l", "r", "r", "r", "r", "r", "l"],
        )
    )
    doc.add(
        Paragraph(
            "Runs: the finished runs with a value of the output (a median not reached or a "
            "rate without partnerships has none). Most influential: the largest total Sobol' "
            "index (ST) or Morris μ* for sampled sensitivity designs, otherwise the parameter "
            "whose main effect spans the widest range of the output's mean."
        )
    )
    window = _window_sentence(scenario, outputs)
    if window:
        doc.add(Paragraph(window + " (unless `metrics.window` or `steps` is itself varied)."))
    for output in _requested(sweep):
        if output not in outputs:
            doc.add(
                Paragraph(
                    f"`{output}` was asked for but no finished run has a value of it "
                    f"({F.NO_VALUE.get(output, 'it is missing in every run')}): it is left out.",
                    "note",
                )
            )

    if tables.sobol is not None or tables.morris is not None:
        method = "sobol" if tables.sobol is not None else "morris"
        indices = tables.sobol if tables.sobol is not None else tables.morris
        doc.add(Heading("Sensitivity"))
        figs.draw(
            f"sensitivity_{method}",
            "Sobol' indices: S1 is the share of the output's variance due to the parameter "
            "alone, ST that share including its interactions; whiskers are 95% bootstrap "
            "intervals. Indices are computed on the mean over replicates at each point, and "
            "need many samples to settle (a few hundred per parameter is common)."
            if method == "sobol"
            else "Morris screening: μ* is the mean absolute change in the output when the "
            "parameter moves across its whole range, σ the spread of those changes (large σ: "
            "interactions or non-linearity); whiskers are 95% bootstrap intervals of μ*.",
            lambda: S.plot_sensitivity(indices, method),
        )
        if figs.blocks and figs.blocks[-1].name == f"sensitivity_{method}":
            doc.add(figs.blocks[-1])
        doc.add(_indices_table(indices, method))

    doc.add(Heading("Heatmaps"))
    by_pair: dict[tuple[str, str], dict[str, pd.DataFrame]] = {}
    for (x, y, output), surface in tables.surfaces.items():
        if output in drawn:
            by_pair.setdefault((x, y), {})[output] = surface
    if not by_pair:
        doc.add(Paragraph("A heatmap needs two parameters; this sweep varies one.", "note"))
    for (x, y), surfaces in by_pair.items():
        block_ = figs.draw(
            "heatmap",
            f"Mean of each output over `{x}` (horizontal) and `{y}` (vertical), averaged over "
            + (
                "replicates and over every other parameter. "
                if len(sweep.parameters) > 2
                else "replicates. "
            )
            + (
                "Ranges sampled continuously are cut into quantile bins, labelled by the mean "
                "value in the bin; blank cells had no run. "
                if design != "grid"
                else ""
            )
            + (
                "The two parameters are those with the largest main effects on the first output."
                if len(sweep.parameters) > 2
                else ""
            ),
            lambda surfaces=surfaces, x=x, y=y: S.plot_sweep_heatmap(surfaces, x, y),
        )
        if block_:
            doc.add(block_)

    doc.add(Heading("Main effects"))
    for output in drawn:
        block_ = figs.draw(
            f"main_effects_{output}",
            f"Mean of {indicator_label(output, unit=False).lower()} against each parameter in "
            "turn, averaging over all other parameters and replicates, with the 95% confidence "
            "interval of that mean over runs (band, or bars for categories; clipped to the "
            "output's possible range). Flat panels: little effect on average; a steep one: a "
            "strong main effect. 'n=k/m' marks a point where only k of its m runs have a value.",
            lambda output=output: S.plot_main_effects(
                tables.main_effects, output, sweep.parameters
            ),
        )
        if block_:
            doc.add(block_)
    _sweep_timeseries(doc, figs, sweep, tables)
    left = outputs[MAX_FIGURE_OUTPUTS:]
    if left:
        doc.add(
            Paragraph(
                f"The figures show the first {MAX_FIGURE_OUTPUTS} of the {len(outputs)} outputs "
                f"kept; the summary table above lists all. Left out of the figures: "
                f"{', '.join(left)} (`sweep.outputs` chooses and orders them).",
                "note",
            )
        )
    for note in tables.notes:
        doc.add(Paragraph(note, "note"))
    for note in figs.notes:
        doc.add(Paragraph(note, "note"))
    _discovery(doc, figs, directory, block.get("discover"))
    _problems(doc, figs.problems)
    _sweep_failures(doc, sweep)
    _provenance(doc, meta, directory)
    return doc, scenario


def _requested(sweep: SweepResults) -> list[str]:
    wanted = sweep.sweep.get("outputs")
    return [str(o) for o in wanted] if isinstance(wanted, list) else []


def _sweep_timeseries(
    doc: Document, figs: _Figures, sweep: SweepResults, tables: S.SweepTables
) -> None:
    """The kept time series, by the parameter with the largest main effect, or why there are
    none."""
    wanted = sweep.sweep.get("timeseries")
    if not wanted:
        return
    columns = list(wanted) if isinstance(wanted, list) else []
    doc.add(Heading("Time series"))
    from coopsim.experiments.analysis import load_timeseries

    try:
        frame = load_timeseries(sweep.path, columns)
    except Exception as exc:  # an unreadable part: say so, keep the rest of the report
        doc.add(Paragraph(f"The kept time series cannot be read: {exc}.", "warning"))
        return
    present = [c for c in columns if c in frame and frame[c].notna().any()]
    if frame.empty or not present:
        doc.add(
            Paragraph(
                "The sweep keeps time series of "
                + ", ".join(f"`{c}`" for c in columns)
                + ", but no finished run has stored any yet.",
                "note",
            )
        )
        return
    ranked = S.rank_parameters(tables.main_effects, sweep.outputs[0]) if sweep.outputs else []
    by = next((p for p in [*ranked, *sweep.parameters] if p in frame), None)
    if by is None:
        doc.add(Paragraph("The kept time series carry no parameter values to group by.", "note"))
        return
    shown = present[:MAX_FIGURE_OUTPUTS]
    every = sweep.sweep.get("every") or 1
    block = figs.draw(
        "timeseries",
        f"Each kept time series month by month (every {every} month"
        + ("s" if every != 1 else "")
        + f" kept), one line per value of `{by}` (the parameter with the largest main effect "
        "on the first output; quantile bins for a sampled range): the mean over its runs, "
        "averaged over every other parameter, with the 95% interval over runs.",
        lambda: S.plot_sweep_timeseries(frame, shown, by),
    )
    if block:
        doc.add(block)
    missing = [c for c in columns if c not in present]
    if missing or len(present) > len(shown):
        left = [*missing, *present[len(shown) :]]
        doc.add(
            Paragraph(
                "Not drawn: "
                + ", ".join(f"`{c}`" for c in left)
                + (" (no finished run has a value)" if missing else "")
                + (
                    f" (the figure holds {MAX_FIGURE_OUTPUTS} series)"
                    if len(present) > len(shown)
                    else ""
                )
                + ".",
                "note",
            )
        )


def _discovery(doc: Document, figs: _Figures, directory: Path, spec: Any) -> None:
    """Scenario discovery, when the sweep file asks for it (``sweep.discover``)."""
    if not isinstance(spec, dict) or not spec.get("outcome"):
        return
    try:
        from coopsim.experiments.discovery import discover
        from coopsim.report.discovery import discovery_blocks

        found = discover(
            directory,
            spec["outcome"],
            below=spec.get("below"),
            above=spec.get("above"),
            method=spec.get("method", "prim"),
            threshold=spec.get("threshold", 0.8),
        )
    except Exception as exc:
        if os.environ.get("COOPSIM_DEBUG"):
            raise
        doc.add(Heading("Scenario discovery"))
        doc.add(Paragraph(f"Scenario discovery failed: {type(exc).__name__}: {exc}", "warning"))
        return
    doc.add(*discovery_blocks(found, figs))


def _strongest(tables: S.SweepTables, output: str) -> str:
    for frame, column in ((tables.sobol, "ST"), (tables.morris, "mu_star")):
        if frame is not None:
            part = frame[frame["output"] == output].dropna(subset=[column])
            if len(part):
                row = part.loc[part[column].idxmax()]
                label = "ST" if column == "ST" else "μ*"
                return f"{row['parameter']} ({label} {fmt(row[column], 2)})"
    ranked = S.rank_parameters(tables.main_effects, output)
    if not ranked:
        return "—"
    part = tables.main_effects[
        (tables.main_effects["output"] == output) & (tables.main_effects["parameter"] == ranked[0])
    ]
    spread = part["mean"].max() - part["mean"].min()
    return f"{ranked[0]} (main effect range {fmt(spread)})"


def _indices_table(indices: pd.DataFrame, method: str) -> Table:
    if method == "sobol":
        header = ["Output", "Parameter", "S1", "± 95%", "ST", "± 95%", "Note"]
        columns = ["S1", "S1_conf", "ST", "ST_conf"]
    else:
        header = ["Output", "Parameter", "μ", "μ*", "± 95%", "σ", "Note"]
        columns = ["mu", "mu_star", "mu_star_conf", "sigma"]
    rows = [
        [r["output"], r["parameter"], *[fmt(r[c]) for c in columns], str(r.get("note") or "")]
        for _, r in indices.iterrows()
    ]
    return Table(
        header, rows, caption="Sensitivity indices", align=["l", "l", "r", "r", "r", "r", "l"]
    )


def _sweep_failures(doc: Document, sweep: SweepResults) -> None:
    if sweep.failed.empty:
        return
    doc.add(Heading("Failed runs"))
    doc.add(
        Paragraph(
            f"{len(sweep.failed)} runs raised an error (retried once) and are left out of every "
            "statistic above." + (" The first 20:" if len(sweep.failed) > 20 else "")
        )
    )
    columns = [c for c in ("run_id", "point", "seed", *sweep.parameters) if c in sweep.failed]
    rows = [
        [*(str(r[c]) for c in columns), str(r["error"])]
        for _, r in sweep.failed.head(20).iterrows()
    ]
    doc.add(Table([*columns, "error"], rows))


# --------------------------------------------------------------------------------------------------
# Calibrations


def _calibration_document(directory: Path, formats: Sequence[str] | None) -> Document:
    from coopsim.report.calibration import calibration_document
    from coopsim.report.load import _read_json

    meta = _read_json(directory / "metadata.json")
    figs = _Figures(directory, formats or DEFAULT_FORMATS)
    doc = calibration_document(directory, figs, meta)
    _problems(doc, figs.problems)
    _provenance(doc, meta, directory)
    return doc


# --------------------------------------------------------------------------------------------------
# Decompositions by rule slot


def _decomposition_document(
    directory: Path, formats: Sequence[str] | None
) -> tuple[Document, dict[str, Any]]:
    from coopsim.report.decomposition import decomposition_document
    from coopsim.report.load import _read_json, _read_yaml

    meta = _read_json(directory / "metadata.json")
    spec = _read_yaml(directory / "sweep.yaml")
    scenario = spec.get("scenario") if isinstance(spec.get("scenario"), dict) else {}
    figs = _Figures(directory, _formats(scenario) if formats is None else formats)
    doc = decomposition_document(directory, figs, meta)
    _problems(doc, figs.problems)
    _provenance(doc, meta, directory)
    return doc, scenario


# --------------------------------------------------------------------------------------------------
# Entry point


class OutsideDirectory(ValueError):
    """A path the report would write leads out of its directory (a symbolic link)."""


def _check_inside(directory: Path) -> None:
    """Refuse, before anything is drawn, a directory whose report would be written elsewhere:
    ``figures/``, a figure or a report file that is a symbolic link, or that resolves outside."""
    root = directory.resolve()
    figures = directory / "figures"
    written = [figures, directory / "report.md", directory / "report.html"]
    if figures.is_dir() and not figures.is_symlink():
        written += sorted(figures.iterdir())
    for target in written:
        inside = target.resolve(strict=False).is_relative_to(root)
        if target.is_symlink() or not inside:
            name = target.relative_to(directory).as_posix()
            raise OutsideDirectory(
                f"{directory}: {name} is a symbolic link (to {os.readlink(target)}); "
                f"coopsim report writes only inside {directory}: remove the link"
                if target.is_symlink()
                else f"{directory}: {name} leads outside {directory}; coopsim report writes "
                "only inside it"
            )


def write_report(
    directory: str | Path,
    *,
    formats: Sequence[str] | None = None,
    report: str | None = None,
) -> Path:
    """Draw the figures that apply to ``directory`` and write its report.

    ``directory`` is a run, comparison, sweep, calibration or decomposition directory
    (detected from metadata.json or the files). Figures go to ``directory/figures/`` in the
    formats of the scenario's ``output.figures`` (PNG by default; none when it is empty), or as
    ``formats`` says. The report is ``report.md``, ``report.html`` (self-contained: figures
    embedded) or both, as the scenario's ``output.report`` says (both where it says none: this
    call asks for one), or as ``report`` (markdown, html, both) says. Returns the path of
    report.html if it was written, else of report.md. ``OutsideDirectory`` (a ``ValueError``),
    before anything is written, where ``figures/`` or a file the report writes is a symbolic
    link.
    """
    path = Path(directory)
    _check_inside(path)
    kind = detect_kind(path)
    if kind == "calibration":
        doc, scenario = _calibration_document(path, formats), {}
    elif kind == "sweep":
        doc, scenario = _sweep_document(path, formats)
    elif kind == "decomposition":
        doc, scenario = _decomposition_document(path, formats)
    else:
        doc, scenario = _run_document(path, formats)
    written = _reports(scenario, report)
    if "markdown" in written:
        out = io.atomic_write_text(path / "report.md", render_markdown(doc))
    if "html" in written:
        out = io.atomic_write_text(path / "report.html", render_html(doc))
    return out
