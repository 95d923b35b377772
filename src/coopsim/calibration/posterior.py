"""From pyabc's database to answers: the posterior, its intervals, the best parameter sets, and
the posterior predictive check of every target.

Credible intervals are weighted quantiles of the last generation. A parameter is *pinned down*
when its posterior 90 % interval is at most half as wide as its prior's, *narrowed* when it is
narrower than 90 % of it, and *not identified* otherwise. The predictive check runs ``draws``
parameter sets drawn from the posterior (by weight), each with fresh replicate seeds, under every
target's scenario, the targets checked out of sample included. A target observed as a value is
*matched* when at least half of the draws come within its tolerance (2 sd for an ``sd``),
*partly* when at least a tenth do; a bound *holds* in at least 90 % of the draws, *fails* in at
most 10 %, and is *uncertain* between.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coopsim import io
from coopsim.calibration.worker import SEED_KEY, Plan, decode, distance, holds, simulate
from coopsim.scenario.calibration import Calibration, Prior, Target

__all__ = [
    "PARAMETER_PREFIX",
    "TARGET_PREFIX",
    "budget_used",
    "completed_generations",
    "credible_intervals",
    "finish",
    "weighted_quantile",
]

TARGET_PREFIX = "target:"
PARAMETER_PREFIX = ""
BEST = 10
LEVELS = (0.5, 0.9, 0.95)


def _db(path: Path) -> str:
    return f"sqlite:///{(Path(path) / 'abc.db').resolve()}"


def _history(path: Path) -> Any | None:
    if not (Path(path) / "abc.db").exists():
        return None
    import pyabc

    return pyabc.History(_db(path), _id=1)


def completed_generations(path: Path) -> int:
    """Generations stored complete in the directory's database (0 when none)."""
    history = _history(path)
    return 0 if history is None else max(0, history.max_t + 1)


def budget_used(path: Path) -> dict[str, Any]:
    history = _history(path)
    if history is None:
        return {"generations_completed": 0, "evaluations_used": 0}
    return {
        "generations_completed": max(0, history.max_t + 1),
        "evaluations_used": int(history.total_nr_simulations),
    }


def weighted_quantile(values: Sequence[float], weights: Sequence[float], q: float) -> float:
    """The ``q`` quantile of weighted values (the inverse of the weighted empirical CDF, with
    each weight centred on its value)."""
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = np.isfinite(x) & (w > 0)
    x, w = x[keep], w[keep]
    if x.size == 0:
        return math.nan
    order = np.argsort(x)
    x, w = x[order], w[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cdf, x))


def generations_table(path: Path) -> pd.DataFrame:
    history = _history(path)
    if history is None:
        return pd.DataFrame(columns=["generation", "epsilon", "evaluations"])
    pops = history.get_all_populations()
    rows = []
    for _, r in pops.iterrows():
        t = int(r["t"])
        row: dict[str, Any] = {
            "generation": t,
            "epsilon": float(r["epsilon"]),
            "evaluations": int(r["samples"]),
            "accepted": int(r["particles"]) if "particles" in r else None,
        }
        if t >= 0:
            _, w = history.get_distribution(m=0, t=t)
            row["ess"] = float(1.0 / np.sum(np.asarray(w) ** 2))
        rows.append(row)
    table = pd.DataFrame(rows)
    if "accepted" in table and table["accepted"].notna().all():
        table["acceptance_rate"] = table["accepted"] / table["evaluations"].where(
            (table["evaluations"] > 0) & (table["generation"] >= 0)  # the prior sample: none
        )
    table["evaluations_cumulative"] = table["evaluations"].cumsum()
    return table


def posterior_table(path: Path, calibration: Calibration, t: int | None = None) -> pd.DataFrame:
    """One row per particle of generation ``t`` (the last by default): ``weight``,
    ``distance``, ``seed``, each parameter on its own scale and each fitted target's value."""
    history = _history(path)
    if history is None or history.max_t < 0:
        return pd.DataFrame()
    population = history.get_population(t=history.max_t if t is None else t)
    rows = []
    for particle in population.particles:
        row: dict[str, Any] = {"weight": particle.weight, "distance": particle.distance}
        stats = particle.sum_stat or {}
        row["seed"] = int(np.asarray(stats.get(SEED_KEY, -1)).item())
        for prior in calibration.priors:
            row[prior.name] = decode(prior, float(particle.parameter[prior.name]))
        for target in calibration.fitted:
            row[TARGET_PREFIX + target.name] = float(np.asarray(stats.get(target.name)).item())
        rows.append(row)
    table = pd.DataFrame(rows)
    table["weight"] = table["weight"] / table["weight"].sum()
    table.insert(0, "particle", np.arange(len(table)))
    return table


def credible_intervals(posterior: pd.DataFrame, priors: Sequence[Prior]) -> pd.DataFrame:
    """Per parameter: the prior's range and 90 % interval, the posterior mean, median and its
    50/90/95 % intervals, and the ratio of the posterior's 90 % width to the prior's."""
    rows = []
    w = posterior["weight"].to_numpy()
    for prior in priors:
        row: dict[str, Any] = {"parameter": prior.name, "scale": prior.scale}
        if prior.categorical:
            shares = {
                str(v): float(w[(posterior[prior.name] == v).to_numpy()].sum())
                for v in prior.values or ()
            }
            row["prior"] = ", ".join(f"{k} {1 / len(shares):.2f}" for k in shares)
            row["posterior"] = ", ".join(f"{k} {s:.2f}" for k, s in shares.items())
            row["verdict"] = (
                "pinned down"
                if max(shares.values()) >= 0.9
                else "narrowed"
                if max(shares.values()) >= 1.5 / len(shares)
                else "not identified"
            )
            rows.append(row)
            continue
        x = posterior[prior.name].to_numpy(dtype=float)
        row["prior_low"], row["prior_high"] = prior.low, prior.high
        row["prior_q05"], row["prior_q95"] = prior.interval(0.9)
        row["mean"] = float(np.average(x, weights=w))
        row["median"] = weighted_quantile(x, w, 0.5)
        for level in LEVELS:
            tail = (1 - level) / 2
            tag = f"{round(level * 100)}"
            row[f"q{tag}_low"] = weighted_quantile(x, w, tail)
            row[f"q{tag}_high"] = weighted_quantile(x, w, 1 - tail)
        prior_width = row["prior_q95"] - row["prior_q05"]
        width = row["q90_high"] - row["q90_low"]
        if prior.scale == "log":
            prior_width = math.log(row["prior_q95"]) - math.log(row["prior_q05"])
            width = math.log(row["q90_high"]) - math.log(max(row["q90_low"], 1e-300))
        row["width_ratio"] = width / prior_width if prior_width > 0 else math.nan
        ratio = row["width_ratio"]
        row["verdict"] = (
            "pinned down" if ratio <= 0.5 else "narrowed" if ratio < 0.9 else "not identified"
        )
        rows.append(row)
    return pd.DataFrame(rows)


def best_table(posterior: pd.DataFrame, n: int = BEST) -> pd.DataFrame:
    """The ``n`` particles closest to the targets (smallest distance; the heavier first)."""
    return posterior.sort_values(["distance", "weight"], ascending=[True, False]).head(n)


def calibrated_scenario(calibration: Calibration, row: pd.Series) -> Any:
    """The base scenario with the parameter values of ``row`` and its first replicate's seed."""
    from coopsim.calibration.worker import replicate_seeds
    from coopsim.scenario import Override, scenario_from_dict
    from coopsim.scenario.schema import scenario_to_dict

    overrides = [
        Override(p.path, _plain(row[p.name]), f"calibrated {p.name}") for p in calibration.priors
    ]
    seed = replicate_seeds(int(row["seed"]), calibration.replicates)[0]
    overrides.append(Override(("seed",), seed, "calibrated seed"))
    return scenario_from_dict(scenario_to_dict(calibration.scenario), "calibrated", overrides)


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


# --------------------------------------------------------------------------------------------------
# Posterior predictive check


class _Draw:
    """A task: one posterior draw's values under every target's scenario."""

    def __init__(self, plan: Plan):
        self.plan = plan

    def __call__(self, task: tuple[int, dict[str, Any], int]) -> tuple[int, dict[str, float]]:
        index, values, seed = task
        return index, simulate(self.plan, values, seed)


def predictive_draws(
    calibration: Calibration, posterior: pd.DataFrame, runner: Any, say: Callable[[str], None]
) -> pd.DataFrame:
    """``draws`` posterior parameter sets, each run for every target: one row per draw."""
    from coopsim.executors import run_all

    rng = np.random.default_rng(np.random.SeedSequence([calibration.seed, 0xC4EC]))
    picks = rng.choice(len(posterior), size=calibration.draws, p=posterior["weight"].to_numpy())
    seeds = rng.integers(0, 2**63 - 1, size=calibration.draws, dtype=np.int64)
    replicates = calibration.check_replicates or calibration.replicates
    plan = Plan.of(calibration, calibration.targets, replicates)
    tasks = [
        (i, {p.name: _plain(posterior.iloc[k][p.name]) for p in calibration.priors}, int(s))
        for i, (k, s) in enumerate(zip(picks, seeds, strict=True))
    ]
    rows: dict[int, dict[str, Any]] = {}
    fn = _Draw(plan)
    if runner is None:
        results = (fn(task) for task in tasks)
    else:
        results = (result for _, result in run_all(runner, fn, tasks))
    for done, (index, values) in enumerate(results, 1):
        k = int(picks[index])
        row = {"draw": index, "particle": k, "seed": int(seeds[index])}
        row.update({p.name: tasks[index][1][p.name] for p in calibration.priors})
        row.update({TARGET_PREFIX + name: v for name, v in values.items()})
        rows[index] = row
        if done % max(1, calibration.draws // 5) == 0:
            say(f"predictive check: {done} of {calibration.draws} draws")
    return pd.DataFrame([rows[i] for i in sorted(rows)])


def check_table(calibration: Calibration, draws: pd.DataFrame) -> pd.DataFrame:
    """Per target: observed value or bound, predictive median and intervals, the share of draws
    that match it, and a verdict."""
    rows = []
    values = [
        {t.name: float(r[TARGET_PREFIX + t.name]) for t in calibration.targets}
        for _, r in draws.iterrows()
    ]
    for target in calibration.targets:
        x = np.array([v[target.name] for v in values], dtype=float)
        finite = x[np.isfinite(x)]
        row: dict[str, Any] = {
            "target": target.name,
            "use": target.use,
            "measure": target.measure.describe(),
            "compared": target.describe(),
            "observed": target.observed,
            "scale": target.scale if (target.sd or target.tolerance) else None,
            "source": target.source,
            "draws": int(finite.size),
            "undefined": int(x.size - finite.size),
        }
        if finite.size:
            row["median"] = float(np.median(finite))
            for level in (0.5, 0.9, 0.95):
                tail = (1 - level) / 2
                tag = f"{round(level * 100)}"
                row[f"q{tag}_low"] = float(np.quantile(finite, tail))
                row[f"q{tag}_high"] = float(np.quantile(finite, 1 - tail))
        if not finite.size and target.kind != "reference":
            row["share"] = math.nan
            row["verdict"] = "no value"  # in no draw: the target cannot be judged
        elif target.observed is not None:
            reach = target.scale * (2.0 if target.sd else 1.0)
            close = [abs(v - target.observed) <= reach for v in finite]
            share = float(np.mean(close)) if close else 0.0
            row["share"] = share
            row["verdict"] = (
                "matched" if share >= 0.5 else "partly" if share >= 0.1 else "not matched"
            )
        elif target.kind == "reference":
            row["share"] = math.nan
            row["verdict"] = "reported"
        else:
            outcomes = [holds(target, v) for v in values]
            judged = [o for o in outcomes if o is not None]
            share = float(np.mean(judged)) if judged else 0.0
            row["share"] = share
            row["verdict"] = "holds" if share >= 0.9 else "fails" if share <= 0.1 else "uncertain"
            row["distance_median"] = float(
                np.median([min(distance(target, v), 1e300) for v in values])
            )
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# Writing the tables


def finish(path: Path, calibration: Calibration, runner: Any, say: Callable[[str], None]) -> None:
    """Write every table of a calibration whose ABC-SMC part has ended."""
    from coopsim.scenario.loader import dump_scenario

    path = Path(path)
    io.write_parquet(path / "generations.parquet", generations_table(path))
    post = posterior_table(path, calibration)
    if post.empty:
        raise RuntimeError(
            "no generation completed within the budget: raise budget.evaluations (the first "
            "generation needs about twice budget.population evaluations)"
        )
    io.write_parquet(path / "posterior.parquet", post)
    io.write_parquet(path / "intervals.parquet", credible_intervals(post, calibration.priors))
    best = best_table(post)
    io.write_parquet(path / "best.parquet", best)
    top = best.iloc[0]
    scenario = calibrated_scenario(calibration, top)
    header = (
        f"The parameter set of calibration '{calibration.name}' closest to its targets "
        f"(distance {top['distance']:.3g};\n1 means every target within its tolerance), with the "
        "seed of its first replicate.\n"
        + "".join(f"{p.name}: {_plain(top[p.name])}\n" for p in calibration.priors)
    )
    io.atomic_write_text(path / "calibrated.yaml", dump_scenario(scenario, header=header))
    draws = predictive_draws(calibration, post, runner, say)
    io.write_parquet(path / "predictive.parquet", draws)
    checks = check_table(calibration, draws)
    io.write_parquet(path / "checks.parquet", checks)
    for name in checks.loc[checks["verdict"] == "no value", "target"]:
        say(
            f"warning: target {name!r} had no value in any predictive draw: it cannot be judged, "
            "and where it is fitted the posterior did not learn from it (check its definition)"
        )


def target_by_name(calibration: Calibration) -> dict[str, Target]:
    return {t.name: t for t in calibration.targets}
