"""Sweep speed-up: one process, a pool of two, a Dask LocalCluster of two, on the same sweep.

Prints wall times and ratios measured in this run (no assertions): end to end (worker start-up
included) and warm (a second sweep on executors already started), and checks that the results
are identical. Run from the repository root: ``python benchmarks/sweep_speedup.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import pandas as pd

from coopsim.experiments import load_results, run_sweep


def sweep(runs: int, seed: int) -> dict:
    """The baseline society over 120 months, turnover × mode, ``runs`` runs in all."""
    return {
        "base": os.path.abspath("scenarios/baseline.yaml"),
        "set": {"steps": 120},
        "sweep": {
            "design": "grid",
            "replicates": max(1, runs // 8),
            "seed": seed,
            "parameters": {
                "governance.mode": ["statism", "pluralism", "corporatism", "governance"],
                "turnover.rate": [0.02, 0.1],
            },
            "outputs": ["sustainability_index", "mean_trust"],
        },
    }


def timed(label: str, out: str, spec: dict, **kwargs) -> tuple[float, pd.DataFrame]:
    clock = time.perf_counter()
    path = run_sweep(spec, out=out, progress=False, **kwargs)
    seconds = time.perf_counter() - clock
    results = load_results(path)
    print(f"  {label:<34} {seconds:7.2f} s  {len(results) / seconds:6.2f} runs/s")
    return seconds, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=48)
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as out:
        print(f"end to end ({args.runs} runs of 120 months, 67 organisations):")
        one, reference = timed("1 worker (in process)", out, sweep(args.runs, 1), workers=1)
        pool, r2 = timed(
            "pool of 2 (cold: fork server starts)", out, sweep(args.runs, 1), workers=2
        )
        dask, r3 = timed(
            "Dask LocalCluster of 2 (cold)", out, sweep(args.runs, 1), executor="dask", workers=2
        )
        print("warm (executors already running; new seeds):")
        one_w, _ = timed("1 worker (in process)", out, sweep(args.runs, 2), workers=1)
        pool_w, _ = timed("pool of 2 (fork server up)", out, sweep(args.runs, 2), workers=2)
        from distributed import LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster:
            run_sweep(sweep(8, 3), out=out, progress=False, scheduler=cluster.scheduler_address)
            dask_w, _ = timed(
                "Dask cluster of 2 (workers up)",
                out,
                sweep(args.runs, 2),
                scheduler=cluster.scheduler_address,
            )
    same = reference.equals(r2) and reference.equals(r3)
    print(f"identical results on all three executors: {same}")
    print(f"speed-up, 2 workers vs 1:   cold {one / pool:.2f}×, warm {one_w / pool_w:.2f}×")
    print(f"Dask vs pool (2 workers):   cold {pool / dask:.2f}×, warm {pool_w / dask_w:.2f}×")


if __name__ == "__main__":
    main()
