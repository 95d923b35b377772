"""Sweep throughput: two local worker processes against one, a Dask LocalCluster against the pool.

The sweep: the baseline scenario (67 organisations) shortened to ``STEPS`` steps, a grid over the
four governance modes and three turnover rates with replicates, sized so that one worker needs
about ``--seconds``. Each repetition runs the same sweep through ``coopsim.experiments.run_sweep``
three ways, one after the other: ``workers=1`` (in the sweep process), ``workers=2`` (the local
process pool) and ``executor="dask", workers=2`` (a new ``LocalCluster``).

Each way runs two sweeps, a small one (one replicate: 12 runs) and the large one; the marginal
throughput (extra runs ÷ extra seconds) leaves out what every sweep pays once (starting the pool or
the cluster, writing the sweep directory): it is what a sweep of tens of thousands of runs sees,
and the targets are judged on it. The large sweep's own runs ÷ seconds, start-up included, is
printed beside it, and the fixed cost per sweep. Ratios are taken per repetition; medians.
The three ways must give identical results (same seeds, same runs): the large sweeps' results are
compared and the check printed at the end.

Malloc: the worker processes a sweep starts opt in to raised glibc malloc thresholds
(``coopsim.allocator``); this process does too by default, as ``coopsim sweep`` does, so the one
worker running in it is measured as the command line runs it (``--malloc api``: as a script
calling ``run_sweep`` without opting in).

Targets (issue 7): two workers >= 1.7 × one; Dask LocalCluster >= 0.85 × the process pool.
On a two-core machine two workers need both cores: load from any other process lowers the ratio.
So each repetition also measures the ceiling: how much faster two processes of pure CPU work
finish than one (2.0 on two free cores); two workers ÷ one is also printed as a share of it.

    python benchmarks/sweep_throughput.py            # about 15 s of runs per one-worker sweep
    python benchmarks/sweep_throughput.py --quick    # a smoke test: too short to judge targets
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

from _common import (
    MODES,
    ROOT,
    add_malloc_option,
    header,
    median,
    set_malloc,
    spread,
    table,
    verdict,
)

from coopsim.experiments import load_results, run_sweep
from coopsim.scenario.loader import load_scenario
from coopsim.scenario.schema import scenario_to_dict

STEPS = 60
TURNOVER = [0.0, 0.05, 0.1]
OUTPUTS = ["sustainability_index", "cooperation_rate", "mean_trust"]


def sweep_spec(replicates: int) -> dict:
    base = scenario_to_dict(load_scenario(ROOT / "scenarios" / "baseline.yaml"))
    base["steps"] = STEPS
    base["metrics"]["window"] = 24
    return {
        "scenario": base,
        "sweep": {
            "design": "grid",
            "replicates": replicates,
            "seed": 3,
            "parameters": {"governance.mode": list(MODES), "turnover.rate": TURNOVER},
            "outputs": OUTPUTS,
        },
    }


def spin(seconds: float) -> int:
    """Pure CPU work for about ``seconds`` on a quiet core."""
    total = 0
    for i in range(int(seconds * 2.5e7)):
        total += i
    return total


def parallel_ceiling(pool) -> float:
    """How much faster two processes do two equal pieces of CPU work than one does both, right
    now: 2.0 on two free cores, less when other processes hold the CPU. No sweep can beat it."""
    start = time.perf_counter()
    pool.submit(spin, 1.0).result()
    pool.submit(spin, 1.0).result()
    serial = time.perf_counter() - start
    start = time.perf_counter()
    futures = [pool.submit(spin, 1.0) for _ in range(2)]
    for f in futures:
        f.result()
    return serial / (time.perf_counter() - start)


def seconds_of(spec: dict, out: Path, **how) -> float:
    """Wall time of one ``run_sweep`` call (pool or cluster start-up and writing included)."""
    start = time.perf_counter()
    run_sweep(spec, out=out, progress=False, **how)
    return time.perf_counter() - start


def results_of(out: Path):
    """The results of the one sweep written under ``out``: design columns and outputs."""
    (path,) = [p for p in out.iterdir() if p.is_dir()]
    return load_results(path, outputs=OUTPUTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reps", type=int)
    parser.add_argument("--seconds", type=float, help="wanted length of a one-worker sweep")
    add_malloc_option(parser, default="cli")
    args = parser.parse_args()
    malloc = set_malloc(args.malloc)
    reps = args.reps or (2 if args.quick else 3)
    seconds = args.seconds or (8.0 if args.quick else 15.0)
    header("Sweep throughput: 2 workers ÷ 1, Dask LocalCluster ÷ process pool")
    print(f"malloc in this process (the one worker): {malloc}; worker processes: CLI opt-in")
    points = len(MODES) * len(TURNOVER)
    with tempfile.TemporaryDirectory(prefix="coopsim-bench-") as tmp:
        tmp = Path(tmp)
        small = sweep_spec(1)
        per_run = seconds_of(small, tmp / "probe", workers=1) / points
        replicates = max(3, round(seconds / per_run / points))
        large = sweep_spec(replicates)
        n_small, n_large = points, points * replicates
        print(
            f"sweeps of {n_small} and {n_large} runs of {STEPS} steps (about "
            f"{1e3 * per_run:.0f} ms a run), {reps} repetitions; {os.cpu_count()} cores"
        )
        ways = {
            "1 worker": {"workers": 1},
            "2 workers (processes)": {"workers": 2},
            "2 workers (Dask LocalCluster)": {"executor": "dask", "workers": 2},
        }
        ceiling: list[float] = []
        marginal: dict[str, list[float]] = {k: [] for k in ways}
        whole: dict[str, list[float]] = {k: [] for k in ways}
        fixed: dict[str, list[float]] = {k: [] for k in ways}
        identical = True
        probe_pool = cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
        for f in [probe_pool.submit(spin, 0.2) for _ in range(2)]:  # start both workers
            f.result()
        for rep in range(reps):
            ceiling.append(parallel_ceiling(probe_pool))
            print(f"  two processes of pure CPU work: ×{ceiling[-1]:.2f} one", flush=True)
            for i, (name, how) in enumerate(ways.items()):
                t_small = seconds_of(small, tmp / f"{rep}-{i}-small", **how)
                t_large = seconds_of(large, tmp / f"{rep}-{i}-large", **how)
                if t_large - t_small > 0.2 * t_large:
                    rate = (n_large - n_small) / (t_large - t_small)
                else:  # noise swamped the difference: fall back on the whole large sweep
                    rate = n_large / t_large
                    print("  (sweeps too short to separate the fixed cost: whole-sweep rate)")
                marginal[name].append(rate)
                whole[name].append(n_large / t_large)
                fixed[name].append(t_large - n_large / rate)
                print(
                    f"  {name:<30} {rate:6.2f} runs/s marginal, {n_large / t_large:6.2f} whole "
                    f"sweep; fixed cost {fixed[name][-1]:5.1f} s",
                    flush=True,
                )
            reference, *others = (results_of(tmp / f"{rep}-{i}-large") for i in range(len(ways)))
            identical &= all(reference.equals(other) for other in others)

        probe_pool.shutdown()

    def ratios(kind: dict[str, list[float]], a: str, b: str) -> list[float]:
        return [x / y for x, y in zip(kind[a], kind[b], strict=True)]

    one, pool, dask = ways
    rows = []
    for label, a, b, bound in (
        ("2 workers ÷ 1", pool, one, 1.7),
        ("Dask LocalCluster ÷ process pool", dask, pool, 0.85),
    ):
        r_marginal = ratios(marginal, a, b)
        r_whole = ratios(whole, a, b)
        of_ceiling = [r / c for r, c in zip(r_marginal, ceiling, strict=True)] if b == one else None
        rows.append(
            (
                label,
                f"{median(r_marginal):.2f}",
                spread(r_marginal),
                f"{median(r_whole):.2f}",
                "—" if of_ceiling is None else f"{median(of_ceiling):.2f}",
                f">= {bound}: {verdict(median(r_marginal) >= bound)}",
            )
        )
    print()
    print(f"identical results on all three ways: {identical}")
    print(
        f"ceiling now: two processes of pure CPU work ran ×{median(ceiling):.2f} as fast as one "
        f"({spread(ceiling)}); 2.00 on two free cores"
    )
    print(
        table(
            ["way", "marginal runs/s", f"whole sweep of {n_large} runs/s", "fixed cost s"],
            [
                (
                    k,
                    f"{median(marginal[k]):.2f}",
                    f"{median(whole[k]):.2f}",
                    f"{median(fixed[k]):.1f}",
                )
                for k in ways
            ],
        )
    )
    print()
    print(
        table(
            [
                "ratio",
                "marginal",
                "marginal min–max",
                "whole large sweep",
                "marginal ÷ ceiling",
                "target",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
