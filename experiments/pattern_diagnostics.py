"""Why do some patterns not emerge? Small paired experiments that test one explanation each.

    python experiments/pattern_diagnostics.py [--seeds N] [--out DIR]

Each diagnostic changes one parameter (by its dotted path) or one rule of a mode, on the same
seeds, and reports the paired effect. Rules are changed by setting an attribute of the mode class
in this process only (a mode's ``benefit_weights``), never by editing the model. Writes
``diagnostics.md`` to ``--out`` (default ``runs/patterns``). About one to two minutes at 10 seeds.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from coopsim.model.modes import MODE_RULES
from coopsim.validation.patterns import (
    FIXED_GROUPS,
    POLARISATION,
    REGIMES,
    arm,
    late,
    polarised_goals,
    run_arm,
)
from coopsim.validation.stats import paired_effect

ROOT = Path(__file__).resolve().parents[1]
NO_INCENTIVES = dict(incentives__reward=0.0, incentives__sanction=0.0)


@contextmanager
def attribute(cls, name, value):
    old = getattr(cls, name)
    setattr(cls, name, value)
    try:
        yield
    finally:
        setattr(cls, name, old)


def measure(a, steps, seeds, fn):
    return np.array([fn(run_arm(a, steps, s)) for s in seeds])


def row(label, treatment, control, direction):
    e = paired_effect(treatment, control, direction)
    return (
        f"| {label} | {e.treatment_mean:.4g} | {e.control_mean:.4g} | "
        f"{e.diff:+.4g} [{e.ci_low:+.4g}, {e.ci_high:+.4g}] | {e.a12:.2f} |"
    )


def equal_shares(self, model, rnd):
    """A public-goods split: every member gets the same share of the partnership's value."""
    return np.ones(len(rnd.rows))


def decay(out):
    curve = out.collected["age_curve"]
    return float(np.nanmean(curve[-12:]) - np.nanmean(curve[:5]))


def dilemma(out):
    return float(out.ts["dilemma_strength"].mean())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "patterns")
    args = parser.parse_args(argv)
    seeds = range(args.seeds)
    start = time.perf_counter()
    lines = [
        f"Diagnostics, {args.seeds} seeds (paired, common random numbers).",
        "",
        "| diagnostic | treatment | control | Δ [95% CI] | A12 |",
        "|---|---|---|---|---|",
    ]

    # Pattern 2: why contributions do not decay under pluralism and governance.
    pgg = {
        m: arm(m, ("age_curve",), **FIXED_GROUPS, **NO_INCENTIVES)
        for m in ("corporatism", "statism", "governance", "pluralism")
    }
    dil = {m: measure(a, 72, seeds, dilemma) for m, a in pgg.items()}
    for m in ("statism", "governance", "pluralism"):
        lines.append(row(f"P2 dilemma strength, {m} − corporatism", dil[m], dil["corporatism"], -1))
    base = measure(pgg["pluralism"], 72, seeds, decay)
    no_retender = arm(
        "pluralism", ("age_curve",), **FIXED_GROUPS, **NO_INCENTIVES, governance__contract_term=240
    )
    frozen = measure(no_retender, 72, seeds, decay)
    lines.append(
        row("P2 pluralism late − early: no re-tendering vs re-tendering", frozen, base, -1)
    )
    for m in ("pluralism", "governance"):
        cls = MODE_RULES[m]["payoff"]
        base = measure(pgg[m], 72, seeds, decay)
        with attribute(cls, "benefit_weights", equal_shares):
            equal = measure(pgg[m], 72, seeds, decay)
        lines.append(row(f"P2 {m} late − early: equal shares vs the mode's rule", equal, base, -1))
    print("  pattern 2 done", file=sys.stderr)

    # Pattern 3: how much cooperation crowding costs, and what carries cooperation after removal.
    def coop(out):
        return late(out.ts, "cooperation_rate", out.steps)

    sanctions = arm("governance", **REGIMES["sanction_only"])
    no_crowding = arm("governance", incentives__crowding_out=0.0, **REGIMES["sanction_only"])
    lines.append(
        row(
            "P3 cooperation under sanctions alone: crowding on vs off",
            measure(sanctions, 160, seeds, coop),
            measure(no_crowding, 160, seeds, coop),
            -1,
        )
    )
    removed = arm(
        "governance",
        changes=((80, {"incentives.sanction": 0.0}),),
        **REGIMES["sanction_only"],
    )
    none = arm("governance", **REGIMES["none"])
    for column in ("mean_propensity", "partner_trust"):
        lines.append(
            row(
                f"P3 {column} after removal vs never sanctioned",
                measure(removed, 160, seeds, lambda o, c=column: late(o.ts, c, o.steps)),
                measure(none, 160, seeds, lambda o, c=column: late(o.ts, c, o.steps)),
                +1,
            )
        )
    print("  pattern 3 done", file=sys.stderr)

    # Pattern 6: governance partners select themselves by goal fit.
    def one_sector(out):
        p = out.model.partnerships()
        return float((p["sectors"].map(len) == 1).mean())

    lines.append(
        row(
            "P6 governance: share of single-sector partnerships, polarised vs default goals",
            measure(arm("governance", **polarised_goals(POLARISATION)), 160, seeds, one_sector),
            measure(arm("governance"), 160, seeds, one_sector),
            +1,
        )
    )
    print("  pattern 6 done", file=sys.stderr)

    # Pattern 8: what makes corporatist partnerships short-lived.
    def hazard(out):
        return float(out.summary["dissolution_hazard"])

    def low_trust_share(out):
        s = out.summary
        return s.get("dissolved_low_trust", 0) / max(s["partnerships_dissolved"], 1)

    corp = arm("corporatism")
    lines.append(
        row(
            "P8 corporatism: share of dissolutions for low trust (vs 0)",
            measure(corp, 160, seeds, low_trust_share),
            np.zeros(args.seeds),
            +1,
        )
    )
    dil8 = {m: measure(arm(m), 160, seeds, dilemma) for m in ("corporatism", "governance")}
    lines.append(
        row(
            "P8 dilemma strength, corporatism − governance",
            dil8["corporatism"],
            dil8["governance"],
            +1,
        )
    )
    base_h = measure(corp, 160, seeds, hazard)
    for label, kw in (
        ("immediate sanctions", dict(incentives__graduated=False)),
        ("immediate sanctions at 1.0", dict(incentives__graduated=False, incentives__sanction=1.0)),
        ("no low-trust exit", dict(partnerships__exit_trust=0.0)),
    ):
        lines.append(
            row(
                f"P8 corporatism hazard: {label} vs default",
                measure(arm("corporatism", **kw), 160, seeds, hazard),
                base_h,
                -1,
            )
        )
    print("  pattern 8 done", file=sys.stderr)

    lines.append("")
    lines.append(f"Wall time {time.perf_counter() - start:.0f} s.")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "diagnostics.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
