"""Control traded for resources, measured (issue 15's report).

Three paired experiments (common random numbers: the same seeds in every arm), each printed as a
Markdown table with the verdict, the mean effect and its 95 % t-interval over seeds:

1. **Pattern 7 under each mode, with and without the trade.** `scenarios/baseline.yaml` with a
   lasting `budget_cut` on government (severity 0.5 from month 24 to the end) against the same
   seeds without it; the outcome is the partnerships formed after month 24. The pattern predicts
   more formation under the cut.
2. **NYC parks.** `scenarios/nyc_parks.yaml` with and without its cut (`shocks=[]`): the
   community's mean control share and benefit share after month 24, with the trade and without.
3. **The dilemma by mode** on the baseline: `dilemma_strength` (the stand-alone value a member
   forgoes by delivering a unit, less the return its sharing rule gives it; negative when the
   sharing rule alone makes delivering pay) and `dilemma_after_incentives` (also counting expected
   rewards and sanctions), run means.

    python experiments/terms_trade.py [--seeds 10] [--steps 160] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import coopsim
from coopsim.model import CoopModel
from coopsim.scenario import load_scenario
from coopsim.validation.stats import paired_effect, t_interval

MODES = ("statism", "pluralism", "corporatism", "governance")
CUT_AT = 24
CUT = (
    f"shocks=[{{at: {CUT_AT}, kind: budget_cut, target: government, severity: 0.5, "
    "duration: 1000}]"
)


def _run(path: str, overrides: tuple[str, ...]) -> dict[str, float]:
    scenario = load_scenario(path, overrides)
    model = CoopModel.from_scenario(scenario).run()
    ts, summary = model.timeseries(), model.summary()
    after = ts[ts["step"] >= CUT_AT]
    return {
        "formed_after": float(after["partnerships_formed"].sum()),
        "control_community": float(after["control_share_community"].mean()),
        "benefit_community": float(after["benefit_share_community"].mean()),
        "dilemma_strength": float(summary["dilemma_strength"] or np.nan),
        "dilemma_after_incentives": float(summary["dilemma_after_incentives"] or np.nan),
        "control_conceded": float(after["control_conceded"].mean()),
    }


def _arms(pool, path, arms: dict[str, tuple[str, ...]], seeds, steps):
    jobs = {
        (arm, seed): pool.submit(_run, path, (*extra, f"seed={seed}", f"steps={steps}"))
        for arm, extra in arms.items()
        for seed in seeds
    }
    return {arm: {k: np.array([jobs[arm, s].result()[k] for s in seeds]) for k in
                  jobs[arm, seeds[0]].result()} for arm in arms}  # fmt: skip


def _effect_row(label: str, treatment, control, direction: int = 1) -> str:
    e = paired_effect(treatment, control, direction)
    return (
        f"| {label} | {e.control_mean:.3g} | {e.treatment_mean:.3g} | {e.diff:+.3g} "
        f"[{e.ci_low:+.3g}, {e.ci_high:+.3g}] | {e.verdict} (p = {e.p_one_sided:.2g}, n = {e.n}) |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=160)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    seeds = list(range(args.seeds))
    print(f"coopsim {coopsim.__version__}; seeds 0–{args.seeds - 1}; paired; 95 % t-intervals\n")
    with ProcessPoolExecutor(args.workers) as pool:
        print("## Pattern 7: partnerships formed after month 24, cut against no cut\n")
        print("| mode, trade | no cut | cut | cut − no cut | verdict (more formation) |")
        print("|---|---|---|---|---|")
        baseline = "scenarios/baseline.yaml"
        for mode in MODES:
            for trade in ("true", "false"):
                common = (f"governance.mode={mode}", f"partnerships.control_trade={trade}")
                arms = _arms(pool, baseline, {"cut": (*common, CUT), "none": common}, seeds,
                             args.steps)  # fmt: skip
                label = f"{mode}, trade {'on' if trade == 'true' else 'off'}"
                print(_effect_row(label, arms["cut"]["formed_after"], arms["none"]["formed_after"]))
        print("\n## NYC parks: the community after month 24, cut against no cut\n")
        print("| measure, trade | no cut | cut | cut − no cut | verdict (higher under the cut) |")
        print("|---|---|---|---|---|")
        nyc = "scenarios/nyc_parks.yaml"
        for trade in ("true", "false"):
            common = (f"partnerships.control_trade={trade}",)
            arms = _arms(pool, nyc, {"cut": common, "none": (*common, "shocks=[]")}, seeds, 180)
            on = "on" if trade == "true" else "off"
            for key, name in (("control_community", "control share"),
                              ("benefit_community", "benefit share"),
                              ("control_conceded", "control conceded")):  # fmt: skip
                print(_effect_row(f"{name}, trade {on}", arms["cut"][key], arms["none"][key]))
        print("\n## The dilemma by mode (baseline, run means)\n")
        print("| mode | dilemma_strength | dilemma_after_incentives |")
        print("|---|---|---|")
        arms = _arms(pool, baseline, {m: (f"governance.mode={m}",) for m in MODES}, seeds,
                     args.steps)  # fmt: skip
        for mode in MODES:
            cells = []
            for key in ("dilemma_strength", "dilemma_after_incentives"):
                x = arms[mode][key]
                low, high = t_interval(x[np.isfinite(x)])
                cells.append(f"{np.nanmean(x):+.3f} [{low:+.3f}, {high:+.3f}]")
            print(f"| {mode} | {' | '.join(cells)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
