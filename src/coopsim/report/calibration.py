"""Figures and the report of a calibration directory: posterior, threshold by generation, and the
posterior predictive check of every target.

The figure functions take the directory's tables (``posterior.parquet``, ``intervals.parquet``,
``generations.parquet``, ``predictive.parquet``, ``checks.parquet``) and return matplotlib
Figures; ``calibration_document`` assembles the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from coopsim.report.document import Document, Heading, Paragraph, Table, number
from coopsim.report.figures import grid_shape
from coopsim.report.style import OKABE_ITO, new_figure, style

__all__ = [
    "calibration_document",
    "load_calibration_tables",
    "plot_generations",
    "plot_posterior",
    "plot_predictive",
]

TARGET_PREFIX = "target:"
VERDICT_COLOURS = {
    "matched": OKABE_ITO["green"],
    "holds": OKABE_ITO["green"],
    "partly": OKABE_ITO["orange"],
    "uncertain": OKABE_ITO["orange"],
    "not matched": OKABE_ITO["vermillion"],
    "fails": OKABE_ITO["vermillion"],
}


def _read(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.is_file() else None


def load_calibration_tables(directory: str | Path) -> dict[str, pd.DataFrame | None]:
    """The tables of a calibration directory (None for those not written yet)."""
    d = Path(directory)
    names = ("posterior", "intervals", "generations", "predictive", "checks", "best")
    return {name: _read(d / f"{name}.parquet") for name in names}


def plot_posterior(posterior: pd.DataFrame, intervals: pd.DataFrame) -> Figure:
    """One panel per parameter: the weighted posterior histogram over the prior's range, the
    posterior median and 90 % interval, and the prior's 90 % interval as a band."""
    rows = list(intervals.to_dict("records"))
    nrows, ncols = grid_shape(len(rows), max_cols=3)
    w = posterior["weight"].to_numpy()
    with style():
        fig = new_figure(3.6 * ncols, 2.8 * nrows)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, row in zip(axes, rows, strict=False):
            name = row["parameter"]
            values = posterior[name]
            if "prior_low" not in row or pd.isna(row.get("prior_low")):
                shares = values.groupby(values.astype(str)).apply(lambda s: float(w[s.index].sum()))
                ax.bar(shares.index, shares.to_numpy(), color=OKABE_ITO["blue"])
                ax.axhline(1 / len(shares), color="#888888", ls=":", label="prior")
                ax.set_ylabel("posterior probability")
            else:
                log = row.get("scale") == "log"
                low, high = float(row["prior_low"]), float(row["prior_high"])
                bins = np.geomspace(low, high, 25) if log else np.linspace(low, high, 25)
                ax.axvspan(row["prior_q05"], row["prior_q95"], color="#eeeeee", label="prior 90%")
                ax.hist(
                    values.to_numpy(dtype=float),
                    bins=bins,
                    weights=w,
                    density=True,
                    color=OKABE_ITO["blue"],
                    alpha=0.8,
                    label="posterior",
                )
                ax.axvline(row["median"], color=OKABE_ITO["vermillion"], lw=1.5, label="median")
                for edge in (row["q90_low"], row["q90_high"]):
                    ax.axvline(edge, color=OKABE_ITO["vermillion"], ls="--", lw=1)
                if log:
                    from matplotlib.ticker import NullFormatter

                    ax.set_xscale("log")
                    ax.xaxis.set_minor_formatter(NullFormatter())
                ax.set_xlim(low, high)
                ax.set_ylabel("density")
            ax.set_title(f"{name}\n({row.get('verdict', '')})", fontsize=9)
        for ax in axes[len(rows) :]:
            ax.set_axis_off()
        if rows:
            axes[0].legend(fontsize=7, loc="best")
        fig.suptitle("Posterior of each parameter (last generation)")
    return fig


def plot_generations(generations: pd.DataFrame) -> Figure:
    """The acceptance threshold and the evaluations of each generation."""
    table = generations[generations["generation"] >= 0]
    with style():
        fig = new_figure(8, 3.2)
        left, right = fig.subplots(1, 2)
        left.plot(table["generation"], table["epsilon"], marker="o", color=OKABE_ITO["blue"])
        left.axhline(1.0, color="#888888", ls=":", lw=1)
        left.set_xlabel("generation")
        left.set_ylabel("threshold ε (tolerance units)")
        left.set_yscale("log")
        left.set_title("Acceptance threshold")
        right.bar(table["generation"], table["evaluations"], color=OKABE_ITO["orange"])
        right.set_xlabel("generation")
        right.set_ylabel("parameter sets evaluated")
        if "acceptance_rate" in table:
            twin = right.twinx()
            twin.plot(table["generation"], table["acceptance_rate"], color="#333333", marker=".")
            twin.set_ylabel("acceptance rate")
            twin.set_ylim(0, 1.05)
        right.set_title("Evaluations")
        fig.suptitle("ABC-SMC by generation")
    return fig


def plot_predictive(predictive: pd.DataFrame, checks: pd.DataFrame) -> Figure:
    """One panel per target: the posterior predictive distribution (box: 50 %, whiskers: 90 %)
    beside the observed value and its tolerance, or the bound."""
    rows = list(checks.to_dict("records"))
    nrows, ncols = grid_shape(len(rows), max_cols=3)
    with style():
        fig = new_figure(3.6 * ncols, 2.9 * nrows)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, row in zip(axes, rows, strict=False):
            column = TARGET_PREFIX + row["target"]
            x = pd.to_numeric(predictive.get(column), errors="coerce").dropna().to_numpy()
            colour = VERDICT_COLOURS.get(str(row.get("verdict")), "#888888")
            if x.size:
                ax.boxplot(
                    [x],
                    whis=(5, 95),
                    widths=0.5,
                    showfliers=False,
                    patch_artist=True,
                    boxprops={"facecolor": colour, "alpha": 0.5},
                    medianprops={"color": "#000000"},
                )
                jitter = np.random.default_rng(0).uniform(-0.12, 0.12, x.size)
                ax.scatter(1 + jitter, x, s=4, color="#333333", alpha=0.35, zorder=3)
            observed, scale = row.get("observed"), row.get("scale")
            if observed is not None and not pd.isna(observed):
                ax.axhline(observed, color=OKABE_ITO["vermillion"], lw=1.5, label="observed")
                if scale is not None and not pd.isna(scale):
                    ax.axhspan(
                        observed - scale,
                        observed + scale,
                        color=OKABE_ITO["vermillion"],
                        alpha=0.12,
                    )
            ax.set_xticks([1], [row["use"]])
            ax.set_title(f"{row['target']}: {row.get('verdict', '')}", fontsize=9)
            ax.text(
                0.02, 0.02, row["compared"], transform=ax.transAxes, fontsize=7, color="#444444"
            )
        for ax in axes[len(rows) :]:
            ax.set_axis_off()
        fig.suptitle("Posterior predictive check (box 50%, whiskers 90% of draws)")
    return fig


def calibration_document(directory: Path, figs: Any, meta: dict[str, Any]) -> Document:
    """The report of a calibration directory (``figs`` draws into ``figures/``)."""
    from coopsim.scenario.calibration import load_calibration

    tables = load_calibration_tables(directory)
    calibration = load_calibration(directory / "calibration.yaml")
    title = f"coopsim calibration: {calibration.name}"
    doc = Document(title)
    doc.add(Heading("Overview"))
    description = " ".join((calibration.description or "").split())
    if description:
        doc.add(Paragraph(description, literal=True))
    budget = meta.get("budget") or {}
    rows = [
        ("Base scenario", f"{calibration.scenario.name} ({calibration.scenario.steps} months)"),
        ("Parameters", ", ".join(f"`{p}`" for p in calibration.names)),
        ("Targets fitted", ", ".join(t.name for t in calibration.fitted) or "—"),
        ("Targets checked out of sample", ", ".join(t.name for t in calibration.checked) or "—"),
        ("Replicates per parameter set", str(calibration.replicates)),
        (
            "Budget",
            f"{budget.get('evaluations', calibration.evaluations):,} evaluations, "
            f"{calibration.population} particles per generation, at most "
            f"{calibration.generations} generations",
        ),
        (
            "Used",
            f"{meta.get('evaluations_used', '—')} evaluations in "
            f"{meta.get('generations_completed', '—')} completed generations"
            + (
                f" ({meta['evaluations_discarded']} more in a last generation the budget cut "
                "short, discarded)"
                if meta.get("evaluations_discarded")
                else ""
            ),
        ),
        ("Seed", str(calibration.seed)),
    ]
    if meta.get("duration_seconds") is not None:
        rows.append(("Wall time", f"{number(meta['duration_seconds'])} s"))
    if meta.get("status"):
        rows.append(("Status", str(meta["status"])))
    doc.add(Table(["", ""], rows))
    if meta.get("status") not in (None, "complete"):
        doc.add(
            Paragraph(
                f"This calibration's status is '{meta.get('status')}': resume it with "
                f"`coopsim calibrate --resume {directory}`.",
                "warning",
            )
        )
    doc.add(Heading("Targets"))
    doc.add(
        Table(
            ["Target", "Use", "Measure", "Compared", "Scenario changes", "Source"],
            [
                [
                    t.name,
                    t.use,
                    t.measure.describe(),
                    t.describe(),
                    ", ".join(f"{k}={v}" for k, v in t.set) or "—",
                    t.source,
                ]
                for t in calibration.targets
            ],
        )
    )
    posterior, intervals = tables["posterior"], tables["intervals"]
    if posterior is None or intervals is None:
        doc.add(Paragraph("No posterior yet: no generation has completed.", "warning"))
        return doc
    doc.add(Heading("Posterior"))
    doc.add(
        Paragraph(
            "Weighted quantiles of the last generation. Width ratio: the posterior 90 % "
            "interval's width over the prior's (on the log scale for log priors); a parameter "
            "is pinned down at 0.5 or less, narrowed below 0.9, not identified above."
        )
    )
    interval_rows = []
    for r in intervals.to_dict("records"):
        if "median" in r and not pd.isna(r.get("median")):
            interval_rows.append(
                [
                    f"`{r['parameter']}`",
                    f"{number(r['prior_low'])} – {number(r['prior_high'])}"
                    + (" (log)" if r.get("scale") == "log" else ""),
                    number(r["median"]),
                    f"[{number(r['q90_low'])}, {number(r['q90_high'])}]",
                    f"[{number(r['q95_low'])}, {number(r['q95_high'])}]",
                    number(r["width_ratio"], 2),
                    str(r["verdict"]),
                ]
            )
        else:
            interval_rows.append(
                [
                    f"`{r['parameter']}`",
                    str(r["prior"]),
                    str(r["posterior"]),
                    "",
                    "",
                    "",
                    str(r["verdict"]),
                ]
            )
    doc.add(
        Table(
            [
                "Parameter",
                "Prior",
                "Median",
                "90 % interval",
                "95 % interval",
                "Width ratio",
                "Verdict",
            ],
            interval_rows,
            align=["l", "l", "r", "r", "r", "r", "l"],
        )
    )
    block = figs.draw(
        "posterior",
        "Weighted histogram of the last generation's particles over each prior's range (grey "
        "band: the prior's central 90 %; red: the posterior median and 90 % interval).",
        lambda: plot_posterior(posterior, intervals),
    )
    if block:
        doc.add(block)
    best = tables["best"]
    if best is not None and len(best):
        top = best.iloc[0]
        doc.add(
            Paragraph(
                f"The parameter set closest to the targets (distance {number(top['distance'])}; 1 "
                "means every fitted target within its tolerance) is written as `calibrated.yaml`, "
                "a scenario re-runnable as it is: "
                + ", ".join(f"`{p}` = {number(top[p], 4)}" for p in calibration.names)
                + "."
            )
        )
    generations = tables["generations"]
    if generations is not None and len(generations):
        doc.add(Heading("Threshold by generation"))
        block = figs.draw(
            "generations",
            "Left: the acceptance threshold ε of each generation (the median distance of the "
            "last; the dotted line at 1 is where every fitted target is within its tolerance). "
            "Right: parameter sets evaluated per generation and the acceptance rate.",
            lambda: plot_generations(generations),
        )
        if block:
            doc.add(block)
        doc.add(
            Table(
                ["Generation", "Threshold", "Evaluated", "Acceptance", "ESS"],
                [
                    [
                        "prior sample" if r["generation"] < 0 else str(int(r["generation"])),
                        number(r["epsilon"]),
                        str(int(r["evaluations"])),
                        number(r.get("acceptance_rate"), 2),
                        number(r.get("ess")),
                    ]
                    for r in generations.to_dict("records")
                ],
                collapsed=True,
                caption="Generations (generations.parquet)",
            )
        )
    predictive, checks = tables["predictive"], tables["checks"]
    if predictive is None or checks is None:
        doc.add(Paragraph("The posterior predictive check has not run yet.", "warning"))
        return doc
    doc.add(Heading("Posterior predictive check"))
    doc.add(
        Paragraph(
            f"{len(predictive)} parameter sets drawn from the posterior by weight, each run with "
            "fresh seeds under every target's scenario, including the targets not fitted (out of "
            "sample). A value is matched when at least half of the draws come within its "
            "tolerance (2 sd), partly when a tenth do; a bound holds in at least 90 % of the "
            "draws and fails in at most 10 %."
        )
    )
    doc.add(
        Table(
            ["Target", "Use", "Compared", "Median", "90 % predictive", "Share", "Verdict"],
            [
                [
                    r["target"],
                    r["use"],
                    r["compared"],
                    number(r.get("median")),
                    f"[{number(r.get('q90_low'))}, {number(r.get('q90_high'))}]",
                    number(r.get("share"), 2),
                    str(r["verdict"]),
                ]
                for r in checks.to_dict("records")
            ],
            align=["l", "l", "l", "r", "r", "r", "l"],
        )
    )
    block = figs.draw(
        "predictive",
        "Each panel one target: the distribution of its value over the posterior draws (box: "
        "middle 50 %, whiskers: 90 %, dots: draws), the observed value (red line) with its "
        "tolerance (band); the box is green where the verdict is matched or holds, orange where "
        "partly or uncertain, red where not matched or fails.",
        lambda: plot_predictive(predictive, checks),
    )
    if block:
        doc.add(block)
    return doc
