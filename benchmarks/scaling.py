"""Scaling: cost per step at 50,000 organisations ÷ cost at 5,000, and peak memory at 50,000.

Each governance mode runs in its own child process (so each has its own peak memory), which
builds the default configuration at 5,000 and at 50,000 organisations, warms both up for
``WARMUP_STEPS`` steps, then times blocks of steps of the two alternately; the ratio of the
per-step costs is taken per repetition, and the median is printed. Ten times the organisations
at ten times the cost is linear; the target is <= 12.

Memory: the child's peak resident set (``ru_maxrss``, the whole process: interpreter, libraries,
both models) against the target of 1 GiB, and the part the 50,000-organisation model added (peak
minus the resident set before it was built) per organisation. The arrays of the model's state are
listed by structure, to show what grows; the relationships (one row per pair that ever met)
grow all run long, so the peak of a 240-step run is above the one measured here.

Each mode runs twice, in two child processes: with glibc's malloc as the Python API leaves it
(the targets are judged on these rows), and with the CLI's opt-in to raised malloc thresholds
(``coopsim.allocator``; it keeps freed memory, so its peak is higher). ``--malloc api`` or
``cli`` runs one of the two.

    python benchmarks/scaling.py             # all four modes (several minutes)
    python benchmarks/scaling.py --quick     # 2,000 vs 20,000, statism and governance
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _common import (
    MALLOC,
    MODES,
    WARMUP_STEPS,
    add_malloc_option,
    build_model,
    header,
    median,
    set_malloc,
    spread,
    steps_for,
    table,
    timed,
    verdict,
)

GiB = 1024**3


def rss_now() -> int:
    """Resident set size of this process now, in bytes."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize()


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kibibytes


def state_bytes(model) -> dict[str, int]:
    """Bytes of the numpy arrays each structure of the model holds (its capacity, not only the
    live part)."""

    def arrays(obj) -> int:
        return sum(v.nbytes for v in vars(obj).values() if isinstance(v, np.ndarray))

    out = {
        "organisations": arrays(model.orgs),
        "relationships": arrays(model.relationships),
        "members": arrays(model.members),
        "partnerships": arrays(model.partnerships_table),
        "network": arrays(model.network),
        "model arrays": arrays(model),
    }
    out["total arrays"] = sum(out.values())
    return out


def child(
    small: int, large: int, mode: str, reps: int, target: float, run_to: int, budget: float
) -> dict:
    """Run in a fresh process: time both sizes alternately, then (after stepping the large model
    on to step ``run_to``, untimed, if it is not there yet) report memory. Past ``budget``
    seconds of CPU time (not wall time, so that load from other processes does not cut more)
    the large model's warm-up (after half of it) and the repetitions (after two) stop."""
    small_model = build_model(small, mode)
    for _ in range(WARMUP_STEPS):
        small_model.step()
    before = rss_now()
    large_model = build_model(large, mode)
    built = rss_now()
    start = time.process_time()
    warm_steps = 0
    while warm_steps < WARMUP_STEPS and time.process_time() - start < budget / 2:
        large_model.step()
        warm_steps += 1
    k_small = steps_for(timed(small_model.step).wall, target / 2, 100)
    k_large = steps_for(timed(large_model.step).wall, target, 20)
    ratios, ratios_cpu, small_s, large_s = [], [], [], []
    for _ in range(reps):
        if len(ratios) >= 2 and time.process_time() - start > budget:
            break
        s = timed(small_model.step, k_small).per(k_small)
        g = timed(large_model.step, k_large).per(k_large)
        ratios.append(g.wall / s.wall)
        ratios_cpu.append(g.cpu / s.cpu if s.cpu > 0 else float("nan"))
        small_s.append(s.wall)
        large_s.append(g.wall)
    notes = []
    if warm_steps < WARMUP_STEPS:
        notes.append(f"warm-up at {large:,} cut to {warm_steps} steps")
    if len(ratios) < reps:
        notes.append(f"{len(ratios)} repetitions")
    timed_steps = int(large_model.steps)
    while large_model.steps < run_to:
        large_model.step()
    peak = peak_rss()
    return {
        "mode": mode,
        "small_ms": 1e3 * median(small_s),
        "large_ms": 1e3 * median(large_s),
        "ratio": median(ratios),
        "ratio_cpu": median(ratios_cpu),
        "spread": spread(ratios),
        "blocks": f"{len(ratios)}×({k_small}+{k_large})",
        "notes": "; ".join(notes) + (" (over budget)" if notes else ""),
        "timed_steps": timed_steps,
        "steps": int(large_model.steps),
        "peak": peak,
        "built": built - before,
        "added": peak - before,
        "state": state_bytes(large_model),
        "relationships": len(large_model.relationships),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reps", type=int)
    parser.add_argument("--modes", nargs="+", choices=MODES)
    parser.add_argument(
        "--memory-steps",
        type=int,
        default=0,
        help="step the large model on to this step (untimed) before reading peak memory; "
        "240 = a whole default run (adds minutes per mode at 50,000)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="CPU seconds the large model of a mode may take before its warm-up and "
        "repetitions are cut",
    )
    add_malloc_option(parser, both=True)
    parser.add_argument("--child", nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        small, large, mode, reps, seconds, run_to, budget = args.child
        set_malloc(args.malloc)
        result = child(
            int(small), int(large), mode, int(reps), float(seconds), int(run_to), float(budget)
        )
        print(json.dumps(result))
        return
    small, large = (2_000, 20_000) if args.quick else (5_000, 50_000)
    modes = args.modes or (("statism", "governance") if args.quick else MODES)
    reps = args.reps or (3 if args.quick else 5)
    header(f"Scaling: cost per step at {large:,} ÷ cost at {small:,}; peak memory at {large:,}")
    print(
        f"warm-up {WARMUP_STEPS} steps excluded; {reps} repetitions; medians; one process per mode"
    )
    results = []
    for mode in modes:
        for malloc in ("api", "cli") if args.malloc == "both" else (args.malloc,):
            out = subprocess.run(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--malloc",
                    malloc,
                    "--child",
                    *(
                        str(a)
                        for a in (small, large, mode, reps, 0.5, args.memory_steps, args.budget)
                    ),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode:
                sys.exit(f"{mode} ({malloc}): the child process failed:\n{out.stderr}")
            r = {**json.loads(out.stdout.strip().splitlines()[-1]), "malloc": malloc}
            results.append(r)
            print(
                f"  {mode:<12} {malloc:<4} {r['small_ms']:8.1f} ms → {r['large_ms']:8.1f} ms per "
                f"step: ×{r['ratio']:.2f}; peak {r['peak'] / 2**20:.0f} MiB {r['notes']}",
                flush=True,
            )
    print()
    print(
        table(
            [
                "mode",
                "malloc",
                f"ms/step at {small:,}",
                f"ms/step at {large:,}",
                "ratio",
                "ratio (CPU time)",
                "ratio min–max",
                "target <= 12",
                "peak RSS (process)",
                f"added by the {large:,} model",
                "per organisation",
                "target < 1 GiB",
                "notes",
            ],
            [
                (
                    r["mode"],
                    r["malloc"],
                    f"{r['small_ms']:.1f}",
                    f"{r['large_ms']:.1f}",
                    f"{r['ratio']:.2f}",
                    f"{r['ratio_cpu']:.2f}",
                    r["spread"],
                    verdict(r["ratio"] <= 12),
                    f"{r['peak'] / 2**20:.0f} MiB",
                    f"{r['added'] / 2**20:.0f} MiB",
                    f"{r['added'] / large / 1024:.1f} KiB",
                    verdict(r["peak"] < GiB),
                    r["notes"],
                )
                for r in results
            ],
        )
    )
    print()
    print(f"model state (numpy arrays, capacity) at {large:,} organisations at the end:")
    keys = list(results[0]["state"])
    print(
        table(
            ["mode", "malloc", "steps", "relationship rows", *keys],
            [
                (
                    r["mode"],
                    r["malloc"],
                    r["steps"],
                    f"{r['relationships']:,}",
                    *(f"{r['state'][k] / 2**20:.1f} MiB" for k in keys),
                )
                for r in results
            ],
        )
    )
    print(
        "peak RSS is the whole child process (interpreter, numpy, mesa, the small model too); "
        "'added' is what the large model added to it, including its Mesa agents."
    )
    print("malloc: " + "; ".join(f"{k}: {v}" for k, v in MALLOC.items()))


if __name__ == "__main__":
    main()
