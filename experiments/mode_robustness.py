"""Is the ranking of the governance modes robust to the ten uncertain parameters?

    python experiments/mode_robustness.py [--trajectories 10] [--replicates 2] [--levels 4]
                                          [--full] [--workers 2] [--out DIR] [--analyse DIR]

The ten parameters and their ranges are those of ``experiments/sweeps/sensitivity.yaml`` (its
base scenario and its ``set:``: a smaller society over 120 months). One Morris design (SALib,
``design: morris``, the same design seed) is run once per mode, as four sweeps that differ only in
``governance.mode``: every design point and replicate has the same seed in every mode (``seeds:
common``), so the modes pair up run by run (common random numbers).

For each design point, the paired contrast between two modes is the mean over replicates of
(output under mode A − output under mode B), for every pair of modes and each of
``sustainability_index``, ``cooperation_rate`` and ``dissolution_hazard``. The script reports:

- each contrast's Morris μ* (mean absolute elementary effect, per unit of each parameter's
  range) and σ (the spread of the elementary effects: non-linearity or interactions), by
  parameter (``SALib.analyze.morris``);
- the share of design points where the contrast's sign is the opposite of its sign at the
  default parameters (the four modes run there on ``--reference-seeds`` common seeds in the same
  set-up): where the ranking of the two modes flips;
- where the sign flips, the boxes of parameter space that hold the flips (PRIM, EMA Workbench,
  through ``coopsim.experiments.discovery.discover_cases``).

Writes ``contrasts.csv`` (point × contrast), ``morris.csv``, ``flips.csv``, ``boxes.csv`` and
``robustness.md`` under ``--out`` (default ``runs/mode_robustness``); the four sweep directories
are kept under it. ``--full``: 50 trajectories, 5 replicates, the baseline society at 240 months
(50 × 11 points × 5 replicates × 4 modes = 11,000 runs; hours on two cores).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from coopsim.experiments.analysis import load_design, load_results
from coopsim.experiments.discovery import discover_cases
from coopsim.experiments.runner import run_sweep
from coopsim.scenario.sweep import sweep_from_dict

ROOT = Path(__file__).resolve().parents[1]
SWEEP_FILE = ROOT / "experiments" / "sweeps" / "sensitivity.yaml"
MODES = ("statism", "pluralism", "corporatism", "governance")
OUTPUTS = ("sustainability_index", "cooperation_rate", "dissolution_hazard")
UNIT_PREFIX = "unit:"


def sweep_spec(mode: str, trajectories: int, replicates: int, levels: int, full: bool) -> dict:
    """The sensitivity sweep's parameters as a Morris design under one mode."""
    data = yaml.safe_load(SWEEP_FILE.read_text())
    data["name"] = f"mode-robustness-{mode}"
    data["description"] = "Morris design of the ten sensitivity parameters under one mode."
    data["base"] = str((SWEEP_FILE.parent / data["base"]).resolve())
    changes = {} if full else dict(data.get("set") or {})
    if full:
        changes["steps"] = 240
    changes["governance.mode"] = mode
    data["set"] = changes
    block = data["sweep"]
    data["sweep"] = {
        "design": "morris",
        "samples": trajectories,
        "levels": levels,
        "replicates": replicates,
        "seeds": "common",
        "seed": block["seed"],
        "parameters": block["parameters"],
        "outputs": list(OUTPUTS),
    }
    return data


def run(args) -> dict[str, Path]:
    dirs = {}
    for mode in MODES:
        spec = sweep_spec(mode, args.trajectories, args.replicates, args.levels, args.full)
        sweep = sweep_from_dict(spec, base_dir=SWEEP_FILE.parent)
        start = time.perf_counter()
        path = run_sweep(sweep, workers=args.workers, out=args.out / "sweeps", progress=False)
        print(
            f"{mode}: {sweep.n_runs} runs in {time.perf_counter() - start:.0f} s -> {path}",
            file=sys.stderr,
        )
        dirs[mode] = path
    return dirs


def reference_spec(replicates: int, full: bool) -> dict:
    """The four modes at the default parameter values, in the same set-up, common seeds."""
    data = sweep_spec(MODES[0], 2, 1, 4, full)
    data["name"] = "mode-robustness-defaults"
    data["description"] = "The four modes at the default parameters (the reference ranking)."
    del data["set"]["governance.mode"]
    data["sweep"] = {
        "design": "grid",
        "replicates": replicates,
        "seeds": "common",
        "seed": data["sweep"]["seed"],
        "parameters": {"governance.mode": list(MODES)},
        "outputs": list(OUTPUTS),
    }
    return data


def run_reference(args) -> Path:
    sweep = sweep_from_dict(
        reference_spec(args.reference_seeds, args.full), base_dir=SWEEP_FILE.parent
    )
    start = time.perf_counter()
    path = run_sweep(sweep, workers=args.workers, out=args.out / "sweeps", progress=False)
    print(
        f"defaults: {sweep.n_runs} runs in {time.perf_counter() - start:.0f} s -> {path}",
        file=sys.stderr,
    )
    return path


def reference_contrasts(path: Path) -> pd.DataFrame:
    """Each contrast at the default parameters: mean paired difference and 95 % t-interval."""
    from coopsim.validation.stats import paired_effect

    frame = load_results(path, list(OUTPUTS), failed=False)
    rows = []
    for a, b in itertools.combinations(MODES, 2):
        for o in OUTPUTS:
            wide = frame.pivot_table(index="seed", columns="governance.mode", values=o)
            effect = paired_effect(wide[a].to_numpy(float), wide[b].to_numpy(float), +1)
            rows.append(
                {
                    "contrast": f"{o}: {a} − {b}",
                    "default": effect.diff,
                    "default_low": effect.ci_low,
                    "default_high": effect.ci_high,
                }
            )
    return pd.DataFrame(rows).set_index("contrast")


def point_contrasts(dirs: dict[str, Path]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Per design point: parameter values, unit coordinates and every paired contrast."""
    frames = {m: load_results(d, list(OUTPUTS), failed=False) for m, d in dirs.items()}
    design = load_design(dirs[MODES[0]])
    names = [c[len(UNIT_PREFIX) :] for c in design.columns if c.startswith(UNIT_PREFIX)]
    for m, d in dirs.items():
        other = load_design(d)
        if not other[["run_id", "point", "seed"]].equals(design[["run_id", "point", "seed"]]):
            raise RuntimeError(f"{m}: the design or the seeds differ between the modes' sweeps")
    runs = design[["run_id", "point"]].copy()
    for m, frame in frames.items():
        kept = frame.set_index("run_id")[list(OUTPUTS)]
        for o in OUTPUTS:
            runs[f"{m}:{o}"] = runs["run_id"].map(kept[o]).astype(float)
    columns = {}
    for a, b in itertools.combinations(MODES, 2):
        for o in OUTPUTS:
            columns[f"{o}: {a} − {b}"] = runs[f"{a}:{o}"] - runs[f"{b}:{o}"]
    diffs = pd.concat([runs[["point"]], pd.DataFrame(columns)], axis=1)
    by_point = diffs.groupby("point").mean().sort_index()
    points = design.drop_duplicates("point").set_index("point").sort_index()
    return points, by_point, names


def analyse(
    dirs: dict[str, Path], reference: pd.DataFrame, out: Path, levels: int, seed: int
) -> str:
    from SALib.analyze import morris

    points, contrasts, names = point_contrasts(dirs)
    x_unit = points[[UNIT_PREFIX + n for n in names]].to_numpy(dtype=float)
    x = points[names].astype(float).reset_index(drop=True)
    problem = salib_problem_names(names)
    morris_rows, flip_rows, box_rows = [], [], []
    for name, y in contrasts.items():
        values = y.to_numpy(dtype=float)
        res = morris.analyze(
            problem, x_unit, values, num_levels=levels, num_resamples=1000, seed=seed
        )
        for i, p in enumerate(names):
            morris_rows.append(
                {
                    "contrast": name,
                    "parameter": p,
                    "mu": float(res["mu"][i]),
                    "mu_star": float(res["mu_star"][i]),
                    "mu_star_conf": float(res["mu_star_conf"][i]),
                    "sigma": float(res["sigma"][i]),
                }
            )
        mean = float(np.nanmean(values))
        at_default = float(reference.loc[name, "default"])
        sign = 1.0 if at_default >= 0 else -1.0
        finite = np.isfinite(values)
        flipped = (np.sign(values) == -sign) & finite
        flip_rows.append(
            {
                "contrast": name,
                "default": at_default,
                "default_low": float(reference.loc[name, "default_low"]),
                "default_high": float(reference.loc[name, "default_high"]),
                "mean": mean,
                "min": float(np.nanmin(values)),
                "max": float(np.nanmax(values)),
                "points": int(finite.sum()),
                "flips": int(flipped.sum()),
                "flip_share": float(flipped.sum() / finite.sum()),
            }
        )
        if flipped.sum() >= 5:
            found = discover_cases(
                x[finite],
                pd.Series(values[finite]),
                name,
                **({"below": 0.0} if sign > 0 else {"above": 0.0}),
            )
            for _, box in found.boxes.iterrows():
                limits = found.limits[found.limits["box"] == box["box"]]
                box_rows.append(
                    {
                        "contrast": name,
                        "box": int(box["box"]),
                        "coverage": float(box["coverage"]),
                        "density": float(box["density"]),
                        "mass": float(box["mass"]),
                        "limits": "; ".join(_limit(r) for _, r in limits.iterrows()),
                    }
                )
    morris_frame = pd.DataFrame(morris_rows)
    flips = pd.DataFrame(flip_rows)
    boxes = pd.DataFrame(box_rows)
    contrasts.to_csv(out / "contrasts.csv")
    morris_frame.to_csv(out / "morris.csv", index=False)
    flips.to_csv(out / "flips.csv", index=False)
    boxes.to_csv(out / "boxes.csv", index=False)
    return report(morris_frame, flips, boxes, len(points))


def salib_problem_names(names: list[str]) -> dict:
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def _limit(row: pd.Series) -> str:
    low = "" if pd.isna(row.get("low")) else f"{row['low']:.3g} ≤ "
    high = "" if pd.isna(row.get("high")) else f" ≤ {row['high']:.3g}"
    return f"{low}{row['parameter']}{high}"


def report(morris_frame: pd.DataFrame, flips: pd.DataFrame, boxes: pd.DataFrame, n: int) -> str:
    lines = [
        f"{n} design points. Per contrast: its value at the default parameters (mean paired "
        "difference, 95 % t-interval), its mean and range over the design points (each the mean "
        "of its replicates), the share of points whose sign is opposite to the sign at the "
        "defaults, and the two parameters with the largest Morris μ* (σ beside).",
        "",
        "| contrast | at the defaults | design mean | min | max | flip share | largest μ* (σ) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in flips.itertuples():
        top = morris_frame[morris_frame["contrast"] == r.contrast].nlargest(2, "mu_star")
        tops = "; ".join(f"{t.parameter} {t.mu_star:.3g} ({t.sigma:.3g})" for t in top.itertuples())
        lines.append(
            f"| {r.contrast} | {r.default:+.3g} [{r.default_low:+.3g}, {r.default_high:+.3g}] | "
            f"{r.mean:+.3g} | {r.min:+.3g} | {r.max:+.3g} | "
            f"{r.flips}/{r.points} ({r.flip_share:.0%}) | {tops} |"
        )
    if len(boxes):
        lines += [
            "",
            "| contrast | box | coverage | density | mass | limits |",
            "|---|---|---|---|---|---|",
        ]
        for b in boxes.itertuples():
            lines.append(
                f"| {b.contrast} | {b.box} | {b.coverage:.2f} | {b.density:.2f} | "
                f"{b.mass:.2f} | {b.limits} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trajectories", type=int, default=10)
    parser.add_argument("--replicates", type=int, default=2)
    parser.add_argument("--levels", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="50 trajectories, 5 replicates")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "mode_robustness")
    parser.add_argument("--reference-seeds", type=int, default=10, help="seeds at the defaults")
    parser.add_argument(
        "--analyse", nargs=5, metavar="DIR", help="the four sweeps (by mode) and the defaults"
    )
    args = parser.parse_args(argv)
    if args.full:
        args.trajectories, args.replicates = 50, 5
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if args.analyse:
        dirs = dict(zip(MODES, map(Path, args.analyse[:4]), strict=True))
        ref_dir = Path(args.analyse[4])
    else:
        ref_dir = run_reference(args)
        dirs = run(args)
    wall = time.perf_counter() - start
    seed = yaml.safe_load(SWEEP_FILE.read_text())["sweep"]["seed"]
    text = analyse(dirs, reference_contrasts(ref_dir), args.out, args.levels, seed)
    size = (
        "the baseline society, 240 months"
        if args.full
        else "the sensitivity sweep's set-up (smaller society, 120 months)"
    )
    header = (
        f"Morris, {args.trajectories} trajectories, {args.levels} levels, {args.replicates} "
        f"replicates per point, {size}; 4 modes; "
        + (
            "analysed from finished sweeps.\n\n"
            if args.analyse
            else f"wall {wall:.0f} s with {args.workers} workers.\n\n"
        )
    )
    (args.out / "robustness.md").write_text(header + text)
    print(header + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
