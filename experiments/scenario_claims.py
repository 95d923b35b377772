"""Does every bundled scenario show what its description says to look for?

    python experiments/scenario_claims.py [--seeds N] [--workers N] [--reduced] [--only a,b]
                                          [--alpha A] [--out DIR]

Runs the claims of ``coopsim.validation.scenario_claims`` (the same the suite's
``tests/scenario/test_what_to_look_for.py`` checks) at the scenarios' full lengths on seeds
0..N-1 (default 20; ``--reduced``: at the test's shorter lengths) and prints one markdown row per
claim: the mean paired difference (treatment − control) with its 95 % t-interval, the effect in
standard deviations of the paired differences, the test's p-value and whether the claim holds at
``--alpha``. With ``--out`` it also writes every run's measures (``measures.csv``) and the table
(``claims.md``). The default takes about four minutes on two cores.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from pathlib import Path

from coopsim.validation.scenario_claims import CLAIMS, judge, run_claims

ROOT = Path(__file__).resolve().parents[1]


def _fmt(x: float) -> str:
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞"
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


def _signed(x: float) -> str:
    return _fmt(x) if math.isnan(x) or x < 0 else "+" + _fmt(x)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reduced", action="store_true", help="the test's shorter runs")
    parser.add_argument("--only", default="", help="scenario stems, comma-separated")
    parser.add_argument("--alpha", type=float, default=0.01)
    parser.add_argument("--out", default=None, help="directory for measures.csv and claims.md")
    args = parser.parse_args()

    names = [n for n in args.only.split(",") if n] or list(CLAIMS)
    specs = [CLAIMS[n] for n in names]
    start = time.perf_counter()
    frame = run_claims(
        specs, range(args.seeds), ROOT / "scenarios", reduced=args.reduced, workers=args.workers
    )
    wall = time.perf_counter() - start
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    lines = [
        f"Seeds 0–{args.seeds - 1}, {'reduced' if args.reduced else 'full'} lengths, "
        f"α = {args.alpha}, commit {commit or '?'}, {len(frame)} runs in {wall:.0f} s wall.",
        "",
        "| scenario | claim | kind | treatment | control | difference [95 % CI] | |d|/sd "
        "| p | holds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    failed = 0
    for spec in specs:
        for claim in spec.claims:
            v = judge(spec, claim, frame, args.alpha)
            failed += not v.holds
            lines.append(
                f"| {spec.scenario} | {claim.name} | {v.kind} | {_fmt(v.treatment)} "
                f"| {_fmt(v.control)} | {_signed(v.diff)} [{_signed(v.ci_low)}, "
                f"{_signed(v.ci_high)}] | {_fmt(v.standardised)} | {_fmt(v.p)} "
                f"| {'yes' if v.holds else '**no**'} |"
            )
    text = "\n".join(lines)
    print(text)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out / "measures.csv", index=False)
        (out / "claims.md").write_text(text + "\n", encoding="utf-8")
    print(f"\n{failed} claim(s) do not hold.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
