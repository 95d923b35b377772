"""Staff turnover against handover quality and institutionalisation.

Can goodwill be institutionalised independent of the people who agreed the deal? A grid over
the liaison turnover rate, handover quality (the share of a relationship a successor inherits
from institutional trust) and the institutionalisation rate of joint work, on the baseline
scenario. Writes heatmaps, main effects with 95% bands, trust over time and ``results.md``.

    python experiments/turnover_institutionalisation.py           # about a minute on two cores
    python experiments/turnover_institutionalisation.py --full    # finer grid, 10 seeds a point
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _shared import analysis_dir, fmt, markdown_table, options, plt, run, save, write_text

from coopsim.experiments import load_results, load_timeseries, surface
from coopsim.runs.stats import a12, a12_magnitude, bounds, mean_ci

RATE, HANDOVER, INST = "turnover.rate", "turnover.handover", "trust.institutionalisation"
LABELS = {
    RATE: "liaison turnover rate (per month)",
    HANDOVER: "handover quality χ",
    INST: "institutionalisation rate",
    "sustainability_index": "sustainability index",
    "mean_trust": "mean trust",
    "cooperation_rate": "cooperation rate",
}


def main() -> None:
    args = options(__doc__.splitlines()[0])

    def adjust(data: dict) -> None:
        if args.full:
            params = data["sweep"]["parameters"]
            params[RATE] = [0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2]
            params[HANDOVER] = [0.0, 0.25, 0.5, 0.75, 1.0]
            params[INST] = [0.0, 0.02, 0.04, 0.08, 0.12]
            data["sweep"]["replicates"] = 10

    path, sweep = run("turnover_handover", args, adjust)
    out = analysis_dir(path)
    results = load_results(path, failed=False)
    _heatmaps(path, out)
    _main_effects(results, out)
    _trust_over_time(path, results, out)
    _write_results(path, sweep, results, out)
    print(out)


def _heatmaps(path, out) -> None:
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    for row, output in enumerate(["sustainability_index", "mean_trust"]):
        for col, other in enumerate([HANDOVER, INST]):
            ax = axes[row, col]
            table = surface(path, RATE, other, output)
            grid = table.pivot(index="y", columns="x", values="mean")
            image = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
            ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
            ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
            for i in range(grid.shape[0]):
                for j in range(grid.shape[1]):
                    ax.text(
                        j,
                        i,
                        f"{grid.iat[i, j]:.2f}",
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if grid.iat[i, j] < np.nanmean(grid) else "black",
                    )
            ax.set_xlabel(LABELS[RATE])
            ax.set_ylabel(LABELS[other])
            ax.set_title(f"{LABELS[output]} (mean over runs)", fontsize=10)
            fig.colorbar(image, ax=ax, shrink=0.85, format="%.2f")
    fig.suptitle("Turnover against handover (left) and institutionalisation (right)", fontsize=12)
    fig.tight_layout()
    save(fig, out / "heatmaps.png")


def _band(frame: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    rows = []
    for value, group in frame.groupby(x):
        n, mean, _, low, high = mean_ci(group[y].to_numpy(), bounds=bounds(y))
        rows.append({"x": value, "n": n, "mean": mean, "low": low, "high": high})
    return pd.DataFrame(rows)


def _main_effects(results: pd.DataFrame, out) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
    cmap = plt.get_cmap("plasma")
    for ax, (split, output) in zip(
        axes,
        [(HANDOVER, "sustainability_index"), (HANDOVER, "mean_trust"), (INST, "mean_trust")],
        strict=True,
    ):
        levels = sorted(results[split].unique())
        for k, level in enumerate(levels):
            band = _band(results[results[split] == level], RATE, output)
            colour = cmap(0.1 + 0.75 * k / max(1, len(levels) - 1))
            ax.plot(band["x"], band["mean"], "o-", color=colour, label=f"{level:g}")
            ax.fill_between(band["x"], band["low"], band["high"], color=colour, alpha=0.2)
        ax.set_xlabel(LABELS[RATE])
        ax.set_ylabel(LABELS[output])
        ax.legend(title=LABELS[split], fontsize=8, title_fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(
        "Main effect of turnover, by handover quality and institutionalisation "
        "(mean and 95% interval over runs)",
        fontsize=11,
    )
    fig.tight_layout()
    save(fig, out / "main_effects.png")


def _trust_over_time(path, results: pd.DataFrame, out) -> None:
    series = load_timeseries(path, ["mean_trust"])
    rates = sorted(results[RATE].unique())
    handovers = sorted(results[HANDOVER].unique())
    fig, ax = plt.subplots(figsize=(8, 4.5))
    styles = {
        (rates[0], handovers[-1]): ("#1b9e77", "-"),
        (rates[-1], handovers[-1]): ("#7570b3", "-"),
        (rates[-1], handovers[0]): ("#d95f02", "--"),
    }
    for (rate, handover), (colour, style) in styles.items():
        chosen = series[(series[RATE] == rate) & (series[HANDOVER] == handover)]
        mean = chosen.groupby("step")["mean_trust"].agg(["mean", "std", "count"])
        half = 1.96 * mean["std"] / np.sqrt(mean["count"])
        ax.plot(
            mean.index,
            mean["mean"],
            style,
            color=colour,
            label=f"turnover {rate:g}, handover {handover:g}",
        )
        ax.fill_between(
            mean.index, mean["mean"] - half, mean["mean"] + half, color=colour, alpha=0.15
        )
    ax.set_xlabel("month")
    ax.set_ylabel("mean trust")
    ax.set_title(
        "Trust over time (mean over runs and institutionalisation levels, 95% band)", fontsize=10
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    save(fig, out / "trust_over_time.png")


def _write_results(path, sweep, results: pd.DataFrame, out) -> None:
    rates = sorted(results[RATE].unique())
    handovers = sorted(results[HANDOVER].unique())
    low, high = rates[0], rates[-1]
    rows = []
    for handover in handovers:
        at = results[results[HANDOVER] == handover]
        calm = at.loc[at[RATE] == low, "sustainability_index"]
        churn = at.loc[at[RATE] == high, "sustainability_index"]
        value = a12(calm, churn)
        rows.append(
            [
                f"{handover:g}",
                fmt(calm.mean()),
                fmt(churn.mean()),
                fmt(churn.mean() - calm.mean()),
                fmt(value, 2),
                str(a12_magnitude(value)),
            ]
        )
    insts = sorted(results[INST].unique())
    inst_rows = []
    for inst in insts:
        at = results[(results[INST] == inst) & (results[RATE] == high)]
        n, mean, _, lo, hi = mean_ci(at["mean_trust"].to_numpy(), bounds=bounds("mean_trust"))
        inst_rows.append([f"{inst:g}", f"{fmt(mean)} [{fmt(lo)}, {fmt(hi)}]", str(n)])
    loss_poor = float(rows[0][3])
    loss_good = float(rows[-1][3])
    lines = [
        "# Staff turnover, handover and institutionalisation",
        "",
        f"Sweep directory: `{path}`. {sweep.n_points} grid points × {sweep.replicates} seeds "
        f"({len(results)} runs finished) on `{sweep.scenario.name}` "
        f"({sweep.scenario.governance.mode}, {sweep.scenario.steps} months).",
        "",
        f"## Sustainability at turnover {low:g} and {high:g} per month, by handover quality",
        "",
        markdown_table(
            rows,
            [
                "handover χ",
                f"turnover {low:g}",
                f"turnover {high:g}",
                "change",
                "A12 (calm > churn)",
                "size",
            ],
        ),
        "",
        f"## Mean trust at turnover {high:g}, by institutionalisation rate (95% interval)",
        "",
        markdown_table(inst_rows, ["institutionalisation", "mean trust", "runs"]),
        "",
        "## Reading",
        "",
        f"- Going from turnover {low:g} to {high:g} changes the sustainability index by "
        f"{loss_poor:+.3f} with no handover (χ = {handovers[0]:g}) and by {loss_good:+.3f} with "
        f"full handover (χ = {handovers[-1]:g}).",
        "- Pattern 4 (docs/ODD.md §1.2) expects turnover to erode cooperation where trust is "
        "personal, "
        "and handover and institutionalisation to protect it: the change should be smaller "
        "(less negative) with good handover, and trust under high turnover should rise with "
        "the institutionalisation rate. Read the tables against that; if it does not hold, "
        "that is a finding about the model, not a failed script.",
        "",
        "Figures: `heatmaps.png`, `main_effects.png`, `trust_over_time.png`.",
        "",
    ]
    write_text(out / "results.md", "\n".join(lines))


if __name__ == "__main__":
    main()
