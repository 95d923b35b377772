"""Data collection's share of a step at 10,000 organisations, each governance mode.

Data collection is the record phase (``coopsim.model.record.observe``), near the end of every
``step()``: one row of model-level outputs (trust between each pair of sectors, the benefit Gini,
participation, ...).
A timer is wrapped around it (the wrapper only reads the clock), so each block of steps yields the
time spent recording and the time of the whole steps; the share is taken per block and the median
printed. Building the table (``timeseries()``, once per run) is not part of a step and is timed
separately. Target (issue 7): <= 15% of a step at 10,000 organisations.

    python benchmarks/data_collection.py            # 10,000 organisations
    python benchmarks/data_collection.py --quick    # 2,000 organisations
"""

from __future__ import annotations

import argparse
import functools
import time

from _common import (
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

from coopsim.model import record

recorded = [0.0]


@functools.wraps(record.observe)
def timed_record(model, state) -> None:
    """The record phase, its time added up in ``recorded``."""
    start = time.perf_counter()
    try:
        record.observe(model, state)
    finally:
        recorded[0] += time.perf_counter() - start


def install_timer(model) -> None:
    """Put the timed record phase in place of the record phase of this model's step."""
    model.phases = tuple(timed_record if p is record.observe else p for p in model.phases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n", type=int)
    parser.add_argument("--reps", type=int)
    add_malloc_option(parser)
    args = parser.parse_args()
    malloc = set_malloc(args.malloc)
    n = args.n or (2_000 if args.quick else 10_000)
    reps = args.reps or (3 if args.quick else 7)
    header(f"Data collection's share of a step at {n:,} organisations")
    print(f"malloc: {malloc}")
    print(f"warm-up {WARMUP_STEPS} steps excluded; {reps} repetitions; medians")
    rows = []
    for mode in MODES:
        model = build_model(n, mode)
        install_timer(model)
        for _ in range(WARMUP_STEPS):
            model.step()
        k = steps_for(timed(model.step).wall, 0.5, 50)
        shares, record_ms, step_ms = [], [], []
        for _ in range(reps):
            recorded[0] = 0.0
            whole = timed(model.step, k).wall
            shares.append(recorded[0] / whole)
            record_ms.append(1e3 * recorded[0] / k)
            step_ms.append(1e3 * whole / k)
        table_s = timed(model.timeseries).wall
        rows.append(
            (
                mode,
                f"{median(step_ms):.1f}",
                f"{median(record_ms):.2f}",
                f"{100 * median(shares):.1f}%",
                spread([100 * s for s in shares]) + " %",
                verdict(median(shares) <= 0.15),
                f"{1e3 * table_s:.1f} ms for {model.steps} rows",
            )
        )
        print(f"  {mode:<12} {rows[-1][3]} of {rows[-1][1]} ms", flush=True)
    print()
    print(
        table(
            [
                "mode",
                "ms/step",
                "record ms/step",
                "share",
                "share min–max",
                "target <= 15%",
                "timeseries() (once per run)",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
