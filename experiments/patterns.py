"""Do the eight patterns of docs/ODD.md §1.2 emerge? Paired experiments with common random numbers.

    python experiments/patterns.py [--seeds N] [--steps N] [--out DIR] [--workers N] [--full]
                                   [--docs] [--only 1,3,...]

For each pattern: every arm runs on the same seeds, each contrast is measured as a paired
difference with a 95% interval (t and bootstrap) and the Vargha–Delaney A12, and one figure is
drawn. Writes to ``--out`` (default ``runs/patterns``): ``effects.csv`` and ``effects.md`` (one row
per contrast), ``arms.csv`` (levels of every measure), ``measures.csv`` (every run), and
``figures/pattern_<n>.png``; with ``--docs`` the figures are copied to ``docs/img/patterns``.
The defaults (30 seeds, reduced run lengths) finish in a few minutes on two cores; ``--full``
runs the paper size (100 seeds, longer runs).
"""

from __future__ import annotations

import argparse
import math
import pickle
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from coopsim.model.metrics import kaplan_meier
from coopsim.report.style import MODE_COLOURS
from coopsim.survival import incidence_curve
from coopsim.validation.patterns import (
    CROWDING_MODES,
    CROWDING_REGIMES,
    INCIDENCE_AGE,
    MODES,
    PATTERNS,
    SHOCK_DURATION,
    RelativeLoss,
    Results,
    arm_table,
    cut_step,
    evaluate,
    run_patterns,
    seed_values,
    shock_step,
    window,
)

ROOT = Path(__file__).resolve().parents[1]
DOCS_FIGURES = ROOT / "docs" / "img" / "patterns"
plt.rcParams.update(
    {
        "figure.dpi": 100,
        "font.size": 9,
        "axes.titlesize": 9.5,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
    }
)


# --------------------------------------------------------------------------------------------------
# helpers


def mean_ci(values) -> tuple[float, float]:
    """Mean and half-width of its 95% t interval over finite values."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return (float(x.mean()) if x.size else math.nan), math.nan
    half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size)
    return float(x.mean()), float(half)


def band(series: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean over seeds and the 95% half-width, step by step."""
    stack = np.vstack(series)
    n = np.sum(np.isfinite(stack), axis=0)
    mean = np.nanmean(stack, axis=0)
    sd = np.nanstd(stack, axis=0, ddof=1) if stack.shape[0] > 1 else np.zeros(stack.shape[1])
    half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(np.maximum(n, 1))
    return mean, half


def rolling(x: np.ndarray, k: int = 6) -> np.ndarray:
    return pd.Series(x).rolling(k, min_periods=1).mean().to_numpy()


def arm_values(frame: pd.DataFrame, arm: str, measure: str) -> np.ndarray:
    return frame.loc[frame["arm"] == arm, measure].to_numpy(dtype=float)


def effect_label(effects: pd.DataFrame, name: str) -> str:
    row = effects.loc[effects["contrast"] == name].iloc[0]
    return (
        f"Δ = {row['diff']:+.3g} [{row['ci_low']:+.3g}, {row['ci_high']:+.3g}], "
        f"A12 = {row['a12']:.2f}"
    )


def bars(ax, labels, groups, colours, ylabel, hatches=None):
    """Grouped bars of (mean, CI) with the seeds' values as dots; ``groups`` is a list of
    (name, [values per label])."""
    width = 0.8 / len(groups)
    x = np.arange(len(labels))
    for g, (name, values) in enumerate(groups):
        pos = x - 0.4 + width * (g + 0.5)
        labelled = False
        for i, v in enumerate(values):
            if len(v) == 0:
                continue
            m, h = mean_ci(v)
            ax.bar(
                pos[i],
                m,
                width * 0.92,
                color=colours[g],
                alpha=0.85,
                hatch=None if hatches is None else hatches[g],
                edgecolor="white",
                label=None if labelled else name,
            )
            labelled = True
            if math.isfinite(h):
                ax.errorbar(pos[i], m, yerr=h, color="black", capsize=2, lw=0.8)
    ax.set_xticks(x, labels)
    ax.set_ylabel(ylabel)


def seeds_note(results: Results, number: int) -> str:
    frame = results.of(number)
    return f"{frame['seed'].nunique()} seeds; mean and 95% CI over seeds"


# --------------------------------------------------------------------------------------------------
# one figure per pattern


def figure_1(results: Results, effects: pd.DataFrame, steps: dict[int, int]):
    frame = results.of(1)
    series = results.series[1]["governance"][:5]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), width_ratios=[1.1, 1])
    ax = axes[0]
    trust = np.concatenate([s["trust"] for s in series])
    gain = np.concatenate([s["gain"] for s in series])
    loss = np.concatenate([s["loss"] for s in series])
    ax.scatter(trust, loss, s=5, color="#b71c1c", alpha=0.5, label="loss after one defection")
    ax.scatter(trust, gain, s=5, color="#1565c0", alpha=0.5, label="gain after one cooperation")
    ax.set_xlabel("effective trust before the event")
    ax.set_ylabel("change of effective trust (absolute)")
    ax.set_title(
        f"Governance: every relationship active at step {steps[1]}\n"
        f"(counterfactual, {len(series)} seeds pooled)"
    )
    ax.legend(loc="upper left", markerscale=3)
    ax = axes[1]
    groups = [
        ("defection, counterfactual", [arm_values(frame, m, "cf_loss") for m in MODES]),
        ("cooperation, counterfactual", [arm_values(frame, m, "cf_gain") for m in MODES]),
        ("defection, seen in the run", [arm_values(frame, m, "ev_loss") for m in MODES]),
        ("cooperation, seen in the run", [arm_values(frame, m, "ev_gain") for m in MODES]),
    ]
    bars(
        ax,
        MODES,
        groups,
        ["#b71c1c", "#1565c0", "#ef9a9a", "#90caf9"],
        "mean |Δ trust| per event",
    )
    ax.tick_params(axis="x", labelsize=8)
    ax.set_title("Trust lost per defection vs gained per cooperation\n(mean and 95% CI over seeds)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2, fontsize=7.5)
    fig.suptitle(
        "Pattern 1 — trust asymmetry. Governance, loss − gain: "
        + effect_label(effects, "1g")
        + f"; {seeds_note(results, 1)}",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def figure_2(results: Results, effects: pd.DataFrame, steps: dict[int, int]):
    fig, axes = plt.subplots(1, 4, figsize=(11, 3.3), sharey=True)
    for ax, m in zip(axes, ("corporatism", "statism", "governance", "pluralism"), strict=True):
        for arm, colour, label in (
            ("none", "#616161", "no incentives"),
            ("sanctions", "#c62828", "sanctions (the mode's own rule)"),
        ):
            curves = [s["curve"] for s in results.series[2][f"{m}/{arm}"]]
            mean, half = band(curves)
            rounds = np.arange(1, len(mean) + 1)
            ax.plot(rounds, mean, color=colour, label=label)
            ax.fill_between(rounds, mean - half, mean + half, color=colour, alpha=0.2, lw=0)
        ax.axhspan(0.4, 0.6, color="#fbc02d", alpha=0.15, lw=0, label="lab PGGs, first round")
        ax.set_ylim(0, 1)
        ax.set_xlabel("round (partnership age, months)")
        decay = effects.loc[effects["contrast"] == f"2{m[0]}-decay"].iloc[0]
        ax.set_title(
            f"{m}\nlate − early rounds, no incentives:\n"
            f"{decay['diff']:+.2f} [{decay['ci_low']:+.2f}, {decay['ci_high']:+.2f}]"
        )
    axes[0].set_ylabel("share of commitment delivered")
    axes[0].legend(loc="lower left", fontsize=7.5)
    fig.suptitle(
        "Pattern 2 — fixed groups (no exit, no completion), cohort formed in the first 12 months; "
        f"{seeds_note(results, 2)}",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


REGIME_LABELS = {
    "none": "no incentives",
    "sanction_only": "sanctions only (immediate)",
    "reward_graduated": "rewards + graduated sanctions",
    "reward_sanction": "rewards + immediate sanctions",
    "sanctions_removed": "sanctions only, removed half-way",
}


def regime_label(mode: str, regime: str) -> str:
    """What a regime is under a mode's rules (a rule that pays no rewards or does not graduate
    makes some regimes the same run; docs/VALIDATION.md, pattern 3)."""
    if mode == "corporatism" and regime == "reward_graduated":
        return "graduated sanctions (no rewards paid)"
    if mode == "pluralism" and regime == "reward_sanction":
        return "rewards + sanctions"
    return REGIME_LABELS[regime]


REGIME_COLOURS = {
    "none": "#616161",
    "sanction_only": "#c62828",
    "reward_graduated": "#2e7d32",
    "reward_sanction": "#1565c0",
    "sanctions_removed": "#ef6c00",
}


def figure_3(results: Results, effects: pd.DataFrame, steps: dict[int, int]):
    frame = results.of(3)
    n = steps[3]
    fig, axes = plt.subplots(2, 4, figsize=(13, 6.4), height_ratios=[1.3, 1])
    for col, m in enumerate(CROWDING_MODES):
        arms = [*CROWDING_REGIMES[m], "sanctions_removed"]
        ax = axes[0, col]
        for a in arms:
            runs = results.series[3].get(f"{m}/{a}", [])
            if not runs:
                continue
            mean, half = band([s["mean_motivation"] for s in runs])
            t = np.arange(1, len(mean) + 1)
            ax.plot(t, mean, color=REGIME_COLOURS[a], label=regime_label(m, a))
            ax.fill_between(t, mean - half, mean + half, color=REGIME_COLOURS[a], alpha=0.15, lw=0)
        ax.axvline(n // 2, color="#ef6c00", ls=":", lw=1)
        ax.set_xlabel("step (month)")
        a_name = "3a" if m == "governance" else f"3{m[0]}-a"
        row = effects.loc[effects["contrast"] == a_name].iloc[0]
        ax.set_title(
            f"{m}: motivation\nsanctions only − none {row['diff']:+.3f} "
            f"[{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]",
            fontsize=8.5,
        )
        ax.legend(fontsize=6.5, loc="lower left")
        ax = axes[1, col]
        values = [arm_values(frame, f"{m}/{a}", "cooperation") for a in arms]
        for i, (a, v) in enumerate(zip(arms, values, strict=True)):
            mean, h = mean_ci(v)
            ax.errorbar(mean, i, xerr=h, fmt="o", color=REGIME_COLOURS[a], capsize=3)
        ax.set_yticks(range(len(arms)), [regime_label(m, a) for a in arms], fontsize=6.5)
        ax.invert_yaxis()
        ax.set_xlabel(f"cooperation rate, last {window(n)} steps", fontsize=8)
    axes[0, 0].set_ylabel("mean intrinsic motivation\n(net of crowding)")
    fig.suptitle(
        "Pattern 3 — crowding out in every mode (sanctions removed at the dotted line in the "
        f"orange arm); {seeds_note(results, 3)}",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def figure_4(results: Results, effects: pd.DataFrame, steps: dict[int, int]):
    frame = results.of(4)
    regimes = [
        ("personal", "personal trust only\n(no institutionalisation,\nno handover)"),
        ("default", "defaults\n(slow institutionalisation,\nhandover ½)"),
        ("institutional", "institutionalised\n(fast institutionalisation,\nfull handover)"),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, measure, label in (
        (axes[0], "cooperation", "cooperation rate"),
        (axes[1], "partner_trust", "trust in partners"),
    ):
        groups = [
            ("no turnover", [arm_values(frame, f"{r}/stable", measure) for r, _ in regimes]),
            (
                "turnover 15%/month",
                [arm_values(frame, f"{r}/turnover", measure) for r, _ in regimes],
            ),
        ]
        bars(ax, [t for _, t in regimes], groups, ["#90a4ae", "#d84315"], label)
        ax.tick_params(axis="x", labelsize=7.5)
        ax.set_title(f"{label}, last {window(steps[4])} steps (governance)")
        lo = min(np.nanmean(v) for _, vs in groups for v in vs)
        ax.set_ylim(max(0, lo - 0.15), None)
    axes[1].legend(loc="upper right")
    fig.suptitle(
        "Pattern 4 — turnover. Protection (turnover effect, institutional − personal): "
        + effect_label(effects, "4c")
        + f"; {seeds_note(results, 4)}",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def figure_5(results: Results, effects: pd.DataFrame, steps: dict[int, int]):
    frame = results.of(5)
    n = steps[5]
    at = shock_step(n)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), width_ratios=[1.3, 1])
    ax = axes[0]
    for m in MODES:
        shock = np.vstack([s["public_value"] for s in results.series[5][f"{m}/shock"]])
        base = np.vstack([s["public_value"] for s in results.series[5][f"{m}/placebo"]])
        ratio = shock.mean(axis=0) / np.maximum(base.mean(axis=0), 1e-12)
        t = np.arange(1, n + 1)
        ax.plot(t, rolling(ratio, 3), color=MODE_COLOURS[m], label=m)
    ax.axvspan(at, at + SHOCK_DURATION - 1, color="#9e9e9e", alpha=0.2, lw=0)
    ax.text(at + 1, 1.05, "capacity −80%\nfor agencies", fontsize=7.5, va="bottom")
    ax.set_xlim(at - 36, n)
    ax.set_ylim(0, 1.3)
    ax.set_xlabel("step (month)")
    ax.set_ylabel("public value, shock run / placebo run")
    ax.set_title("Public value relative to the same seed without the shock")
    ax.legend(loc="lower right", fontsize=7.5)
    ax = axes[1]
    by_seed = seed_values(frame)
    losses = [
        [RelativeLoss(f"{m}/shock", f"{m}/placebo", "value_during")(v) for v in by_seed.values()]
        for m in MODES
    ]
    shares = [
        [
            arm_values(frame, f"{m}/placebo", "non_government_share"),
            arm_values(frame, f"{m}/shock", "non_government_share"),
        ]
        for m in MODES
    ]
    x = np.arange(len(MODES))
    for i, m in enumerate(MODES):
        mean, half = mean_ci(losses[i])
        ax.bar(x[i], mean, 0.6, color=MODE_COLOURS[m], alpha=0.85)
        ax.errorbar(x[i], mean, yerr=half, color="black", capsize=3, lw=0.8)
        share = np.nanmean(shares[i][1])
        top = mean + (half if math.isfinite(half) else 0.0)
        ax.text(
            x[i], top + 0.03, f"firm/NGO-led:\n{share:.0%} of the rest", ha="center", fontsize=7
        )
    ax.set_xticks(x, MODES)
    ax.set_ylim(0, 1.25)
    ax.set_ylabel(f"share of public value lost\n(during the {SHOCK_DURATION}-month shock)")
    ax.set_title("Relative loss by mode (and who produced what was left)")
    fig.suptitle(
        "Pattern 5 — government capacity shock. Loss, statism − governance: "
        + effect_label(effects, "5g")
        + f"; {seeds_note(results, 5)}",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def figure_6(results: Results, effects: pd.DataFrame, steps: dict[int, int]):
    frame = results.of(6)
    modes = ("pluralism", "corporatism", "governance")
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.5), sharey=True)
    for ax, m in zip(axes, modes, strict=True):
        for arm, colour, label in (
            ("aligned", "#1565c0", "default goals"),
            ("conflict", "#c62828", "polarised goals"),
        ):
            runs = results.series[6][f"{m}/{arm}"]
            age = np.concatenate([r["age"] for r in runs])
            event = np.concatenate([r["dissolved"] for r in runs])
            km = kaplan_meier(age, event)
            t = np.concatenate(([0], km["time"]))
            s = np.concatenate(([1.0], km["survival"]))
            fit = np.nanmean(arm_values(frame, f"{m}/{arm}", "alignment"))
            ax.step(t, s, where="post", color=colour, label=f"{label} (alignment {fit:.2f})")
        row = effects.loc[effects["contrast"] == f"6{m[0]}"].iloc[0]
        ax.set_title(
            f"{m}\nhazard ×{row['treatment_mean'] / max(row['control_mean'], 1e-9):.1f}"
            f" (Δ {row['diff']:+.3f}/month, A12 {row['a12']:.2f})"
        )
        ax.set_xlabel("partnership age (months)")
        ax.set_xlim(0, steps[6] // 2)
        ax.set_ylim(0, 1.02)
        ax.legend(loc="upper right", fontsize=7.5)
    axes[0].set_ylabel("Kaplan–Meier survival\n(completion censored)")
    fig.suptitle(
        "Pattern 6 — goal conflict and partnership survival; Kaplan–Meier curves pooled over "
        f"{results.of(6)['seed'].nunique()} seeds, hazards and A12 paired by seed",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def figure_7(results: Results, effects: pd.DataFrame, steps: dict[int, int]):
    frame = results.of(7)
    n = steps[7]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), width_ratios=[1.4, 1])
    ax = axes[0]
    groups = [
        (
            f"{label}, {'no cut' if arm == 'placebo' else 'cut −50%'}",
            [arm_values(frame, f"{m}/{trade}/{arm}", "government_led") for m in MODES],
        )
        for trade, label in (("trade", "trade on"), ("notrade", "trade off"))
        for arm in ("placebo", "cut")
    ]
    bars(
        ax,
        MODES,
        groups,
        ["#90a4ae", "#c62828", "#cfd8dc", "#ef9a9a"],
        "government-led partnerships formed",
        hatches=[None, None, "//", "//"],
    )
    for i, m in enumerate(MODES):
        on = effects.loc[effects["contrast"] == f"7{m[0]}"].iloc[0]
        off = effects.loc[effects["contrast"] == f"7{m[0]}-notrade"].iloc[0]
        ax.text(
            i,
            ax.get_ylim()[1] * 1.02,
            f"cut − no cut\non {on['diff']:+.1f} [{on['ci_low']:+.1f}, {on['ci_high']:+.1f}]"
            f"\noff {off['diff']:+.1f} [{off['ci_low']:+.1f}, {off['ci_high']:+.1f}]",
            ha="center",
            va="bottom",
            fontsize=7,
        )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=4, fontsize=7)
    ax.set_title(f"Formation in months {cut_step(n)}–{n}", pad=44)
    ax = axes[1]
    groups = [
        (
            "no cut" if arm == "placebo" else "cut −50%",
            [arm_values(frame, f"{m}/trade/{arm}", "control_conceded") for m in MODES],
        )
        for arm in ("placebo", "cut")
    ]
    bars(ax, MODES, groups, ["#90a4ae", "#c62828"], "control conceded by leads (mean)")
    ax.legend(fontsize=7)
    ax.set_title("Control traded (trade on)", pad=44)
    fig.suptitle(
        f"Pattern 7 — a lasting government budget cut, with and without the control trade; "
        f"{seeds_note(results, 7)}",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def figure_8(results: Results, effects: pd.DataFrame, steps: dict[int, int]):
    frame = results.of(8)
    fig, axes = plt.subplots(1, 3, figsize=(11.5, 3.6))
    rng = np.random.default_rng(0)
    for ax, (measure, label) in zip(
        axes[[0, 2]],
        (
            ("member_exit_rate", "member exits (incl. re-tendered seats)\nper member-month"),
            ("inclusiveness", "share of organisations ever in a partnership"),
        ),
        strict=True,
    ):
        for i, m in enumerate(MODES):
            v = arm_values(frame, m, measure)
            ax.scatter(
                i + rng.uniform(-0.15, 0.15, len(v)), v, s=6, color=MODE_COLOURS[m], alpha=0.4
            )
            mean, half = mean_ci(v)
            ax.errorbar(i + 0.3, mean, yerr=half, fmt="o", color="black", capsize=3, ms=4)
        ax.set_xticks(range(len(MODES)), MODES, fontsize=8)
        ax.set_title(label)
    ax = axes[1]
    for m in MODES:
        runs = results.series[8][m]
        age = np.concatenate([r["age"] for r in runs])
        end = np.concatenate([r["end"] for r in runs])
        cross = np.concatenate([r["cross"] for r in runs])
        ends = np.array(["", "dissolved", "completed"], dtype=object)[end[cross]]
        times, incidence = incidence_curve(age[cross], ends, "dissolved")
        t = np.concatenate(([0], times))
        f = np.concatenate(([0.0], incidence))
        value = np.nanmean(arm_values(frame, m, "dissolution_incidence"))
        ax.step(t, f, where="post", color=MODE_COLOURS[m], label=f"{m} ({value:.2f} at 60)")
    ax.axvline(INCIDENCE_AGE, color="#9e9e9e", ls=":", lw=1)
    ax.set_xlim(0, steps[8])
    ax.set_ylim(0, 1)
    ax.set_xlabel("partnership age (months)")
    ax.set_title("cross-sector partnerships dissolved\n(cumulative incidence, pooled)")
    ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(
        "Pattern 8 — churn, stability and inclusiveness by mode (default parameters); "
        + seeds_note(results, 8)
        + "; the value at 60 months is the mean of the per-seed estimates",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


FIGURES = {
    1: figure_1,
    2: figure_2,
    3: figure_3,
    4: figure_4,
    5: figure_5,
    6: figure_6,
    7: figure_7,
    8: figure_8,
}


# --------------------------------------------------------------------------------------------------
# tables


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def model_version() -> str:
    """The commit the model code came from (and whether ``src/coopsim/model`` had local edits)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "src/coopsim/model"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return (head or "unknown") + (" with local model edits" if dirty else "")


def markdown_table(effects: pd.DataFrame) -> str:
    head = (
        "| # | contrast | claim | treatment | control | Δ (treatment − control) [95% CI] | "
        "A12 | p (one-sided) | verdict |\n|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in effects.itertuples():
        name = f"**{r.contrast}**" if r.primary else r.contrast
        lines.append(
            f"| {r.pattern} | {name} | {r.claim} | {r.treatment_mean:.4g} | {r.control_mean:.4g} | "
            f"{r.diff:+.4g} [{r.ci_low:+.4g}, {r.ci_high:+.4g}] | {r.a12:.2f} ({r.a12_magnitude})"
            f" | {r.p_one_sided:.2g} | {r.verdict} |"
        )
    return head + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, help="seeds per arm (default 30; --full: 100)")
    parser.add_argument(
        "--steps", type=int, help="run length for every pattern (default: each pattern's own)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "patterns")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="paper size: 100 seeds, longer runs")
    parser.add_argument("--docs", action="store_true", help=f"copy figures to {DOCS_FIGURES}")
    parser.add_argument("--only", help="comma-separated pattern numbers (default: all)")
    parser.add_argument(
        "--replot", action="store_true", help="redraw figures and tables from --out/results.pkl"
    )
    args = parser.parse_args(argv)

    seeds = args.seeds or (100 if args.full else 30)
    chosen = (
        [PATTERNS[int(k)] for k in args.only.split(",")] if args.only else list(PATTERNS.values())
    )
    steps = {p.number: args.steps or (p.full_steps if args.full else p.steps) for p in chosen}
    figures = args.out / "figures"
    figures.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 20 == 0 or done == total:
            elapsed = time.perf_counter() - start
            print(f"\r  runs {done}/{total}  {elapsed:5.0f} s", end="", file=sys.stderr, flush=True)

    store = args.out / "results.pkl"
    if args.replot:
        with store.open("rb") as fh:
            saved = pickle.load(fh)
        results, steps, seeds, wall = saved[:4]
        version = saved[4] if len(saved) > 4 else "unknown"
        chosen = [p for p in chosen if p.number in steps]
    else:
        print(
            f"patterns {[p.number for p in chosen]}, {seeds} seeds, steps {steps}", file=sys.stderr
        )
        results = run_patterns(chosen, range(seeds), steps, workers=args.workers, progress=progress)
        wall = time.perf_counter() - start
        version = model_version()
        print(file=sys.stderr)
        with store.open("wb") as fh:
            pickle.dump((results, steps, seeds, wall, version), fh)

    effects = pd.concat([evaluate(p, results.of(p.number)) for p in chosen], ignore_index=True)
    arms = pd.concat([arm_table(p, results.of(p.number)) for p in chosen], ignore_index=True)
    effects.to_csv(args.out / "effects.csv", index=False)
    arms.to_csv(args.out / "arms.csv", index=False)
    results.measures.to_csv(args.out / "measures.csv", index=False)
    (args.out / "effects.md").write_text(
        f"Model {version}. Seeds: {seeds}; steps: {steps}; wall time {wall:.0f} s with "
        f"{args.workers} workers.\n"
        "Bold: the contrast that carries the pattern's verdict. Verdict from the 95% interval.\n\n"
        + markdown_table(effects)
    )
    for p in chosen:
        fig = FIGURES[p.number](results, effects[effects["pattern"] == p.number], steps)
        path = figures / f"pattern_{p.number}.png"
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        if args.docs:
            DOCS_FIGURES.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, DOCS_FIGURES / path.name)

    with pd.option_context("display.width", 200, "display.max_colwidth", 70):
        print(
            effects[["contrast", "claim", "diff", "ci_low", "ci_high", "a12", "verdict"]].to_string(
                index=False, float_format=lambda v: f"{v:.4g}"
            )
        )
    print(
        f"\n{len(results.measures)} arm-seed results, wall {wall:.0f} s, "
        f"CPU {cpu_seconds():.0f} s in all processes; tables in {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
