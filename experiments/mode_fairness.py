"""How the four modes compare on the baseline, and what decides it (issue 14's report).

Runs ``scenarios/baseline.yaml`` under each mode for 160 months on seeds 0–9 (paired: the same
seeds in every mode) and prints, per mode, the mean and 95 % t-interval over seeds of: the
sustainability index, partnerships dissolved, the largest number dissolved in one month, exit
penalties paid, the share of active partnerships spanning at least two sectors (cross-sector
share, from the partnerships table: members' sectors as listed at the end) and the share of
months in which the demand bound binds (public value rationed to demand).

    python experiments/mode_fairness.py [--seeds 10] [--steps 160] [--set KEY=VALUE ...]

Uses only the public API, so the same script measures any version (before and after a change).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

import coopsim
from coopsim.model import CoopModel
from coopsim.scenario import load_scenario
from coopsim.validation.stats import t_interval

MODES = ("statism", "pluralism", "corporatism", "governance")


def _sectors(value) -> list:
    return value.split(";") if isinstance(value, str) else list(value)


def measure(config, mode: str, seed: int, steps: int) -> dict[str, float]:
    model = CoopModel(config=config, mode=mode, rng=seed)
    model.run_for(steps)
    ts, parts = model.timeseries(), model.partnerships()
    ended = parts["ended"].astype("Float64").fillna(np.inf).to_numpy(dtype=float)
    formed = parts["formed"].to_numpy(dtype=float)
    mixed = np.array([len(set(_sectors(s))) >= 2 for s in parts["sectors"]], dtype=bool)
    shares = []
    for t in ts["step"]:
        active = (formed <= t) & (t < ended)
        if active.any():
            shares.append(mixed[active].mean())
    bound = ts["public_value"].to_numpy() >= ts["demand"].to_numpy() * (1 - 1e-9)
    summary = model.summary()
    return {
        "sustainability_index": summary["sustainability_index"],
        "dissolved": float((parts["status"] == "dissolved").sum()),
        "most_dissolved_in_a_month": float(ts["partnerships_dissolved"].max()),
        "exit_penalties": float(ts["exit_penalties"].sum()) if "exit_penalties" in ts else 0.0,
        "cross_sector_share": float(np.mean(shares)) if shares else float("nan"),
        "demand_bound_share": float(bound.mean()),
        "partnerships_formed": float(len(parts)),
        "initiators_per_step": float(ts["partnerships_formed"].mean()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=160)
    parser.add_argument("--scenario", default="scenarios/baseline.yaml")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    config = load_scenario(args.scenario, args.set).model_config()
    rows = [
        {"mode": mode, "seed": seed, **measure(config, mode, seed, args.steps)}
        for mode in MODES
        for seed in range(args.seeds)
    ]
    frame = pd.DataFrame(rows)
    print(
        f"coopsim {coopsim.__version__}: {args.scenario}, {args.steps} months, "
        f"seeds 0–{args.seeds - 1}; mean [95 % t-interval]\n"
    )
    measures = [c for c in frame.columns if c not in ("mode", "seed")]
    print("| measure | " + " | ".join(MODES) + " |")
    print("|---|" + "---|" * len(MODES))
    for name in measures:
        cells = []
        for mode in MODES:
            x = frame.loc[frame["mode"] == mode, name].dropna().to_numpy()
            lo, hi = t_interval(x) if len(x) > 1 and np.ptp(x) > 0 else (x.mean(), x.mean())
            cells.append(f"{x.mean():.3g} [{lo:.3g}, {hi:.3g}]")
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
