"""``make demo``: the baseline scenario under all four governance modes, which rules make the
difference, then where to look.

Runs ``coopsim compare scenarios/baseline.yaml`` with a few seeds on every CPU, writes the
comparison directory (and its report, when ``coopsim.report`` is installed) under
``comparisons/``; then decomposes the statism → governance difference by rule slot
(``coopsim decompose``, 2 seeds and a shorter horizon, labelled so on its figure) under
``decompositions/``; and prints where the results, figures and reports are.

``python -m coopsim.demo [SEEDS [STEPS]]``: seeds of the comparison (default 8) and months of the
decomposition's runs (default 120; 0 skips it).
"""

from __future__ import annotations

import sys
from pathlib import Path

SEEDS = 8
DECOMPOSITION = ("statism", "governance")
DECOMPOSITION_SEEDS = 2
DECOMPOSITION_STEPS = 120  # months: half the baseline's horizon, to keep the demo short


def baseline_path() -> Path | None:
    """``scenarios/baseline.yaml`` of this checkout (or of the current directory)."""
    for root in (Path(__file__).resolve().parents[2], Path.cwd()):
        candidate = root / "scenarios" / "baseline.yaml"
        if candidate.is_file():
            return candidate
    return None


def main(argv: list[str] | None = None) -> int:
    import typer

    from coopsim import cli

    args = sys.argv[1:] if argv is None else argv
    seeds = int(args[0]) if args and args[0].isdigit() else SEEDS
    steps = int(args[1]) if len(args) > 1 and args[1].isdigit() else DECOMPOSITION_STEPS
    scenario = baseline_path()
    if scenario is None:
        print("coopsim demo: scenarios/baseline.yaml not found; run it from the repository root.")
        return 1
    shown = scenario.relative_to(Path.cwd()) if scenario.is_relative_to(Path.cwd()) else scenario
    print(f"coopsim demo: {shown} under {', '.join(cli.MODES)}, {seeds} seeds each")
    print(f"  (the same as: coopsim compare {shown} --seeds {seeds})", flush=True)
    try:
        with cli._guard():
            path, reported, report = cli.run_comparison(
                str(shown),
                cli.MODES,
                seeds,
                out=Path("comparisons"),
                command=f"coopsim compare {shown} --seeds {seeds}",
            )
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    print()
    print(f"Results:    {path}/")
    print(f"  comparison table (mean and 95% CI per mode): {path / 'comparison.csv'}")
    print(f"  effect sizes between modes (A12, paired differences): {path / 'effects.parquet'}")
    print(f"  every run's time series (mode, seed columns): {path / 'timeseries.parquet'}")
    figures = sorted((path / "figures").glob("*"))
    if figures:
        print(f"Figures:    {path / 'figures'}/ ({len(figures)} files)")
    if report is not None:
        print(f"Report:     {report}")
    elif not reported:
        print("Report:     failed (see the message above)")
    else:
        print(f"Report:     not written here; try: coopsim report {path}")
    if steps:
        decomposed = _decomposition(cli, typer, shown, steps)
        if decomposed is None:
            return 1
        reported = reported and decomposed
    print("Next: docs/TUTORIAL.md walks from here to a scenario of your own.")
    return 0 if reported else 1


def _decomposition(cli, typer, shown: Path, steps: int) -> bool | None:
    """Which rule slots account for the statism → governance difference; whether its report
    succeeded (None: it failed)."""
    first, second = DECOMPOSITION
    seeds = DECOMPOSITION_SEEDS
    command = (
        f"coopsim decompose {shown} --from {first} --to {second} --seeds {seeds} --steps {steps}"
    )
    print()
    print(f"coopsim demo: which rules make {second} differ from {first}?")
    print(f"  every composition of their rules, {seeds} seeds, {steps} months")
    print(f"  (the same as: {command})", flush=True)
    try:
        with cli._guard():
            result, reported, report = cli.run_decomposition(
                str(shown),
                first,
                second,
                seeds=seeds,
                steps=steps,
                out=Path("decompositions"),
                command=command,
            )
    except typer.Exit:
        return None
    path = result.path
    print()
    print(f"Results:    {path}/")
    print(f"  each slot's Shapley value and one-at-a-time effects: {path / 'effects.csv'}")
    print(f"  per output, the difference and its interaction share: {path / 'totals.parquet'}")
    waterfall = path / "figures" / "waterfall_sustainability_index.png"
    if waterfall.exists():
        print(f"Figure:     {waterfall}")
    if report is not None:
        print(f"Report:     {report}")
    elif not reported:
        print("Report:     failed (see the message above)")
    return reported


if __name__ == "__main__":
    raise SystemExit(main())
