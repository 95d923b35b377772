"""Where a step's time goes at 10,000 organisations, each governance mode (cProfile).

After ``WARMUP_STEPS`` steps, ``--steps`` steps run under cProfile. Printed per mode: the phases
of ``CoopModel.step`` (each callee of ``step`` with the share of the step it took, callees
included), then the functions with the most time of their own (callees excluded). cProfile adds a
cost to every Python call, so the phases made of many small Python calls (formation's loop over
proposers) look somewhat larger here than they are; the step time without the profiler is
printed for comparison.

    python benchmarks/profile_step.py                    # 10,000 organisations, every mode
    python benchmarks/profile_step.py --quick            # 2,000 organisations
    python benchmarks/profile_step.py --mode governance --top 25
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from pathlib import Path

from _common import (
    MODES,
    WARMUP_STEPS,
    add_malloc_option,
    build_model,
    header,
    set_malloc,
    table,
    timed,
)


def where(key: tuple[str, int, str]) -> str:
    file, line, name = key
    if file == "~":
        return name  # a built-in
    path = Path(file)
    parts = path.parts
    if "coopsim" in parts:
        short = "/".join(parts[parts.index("coopsim") + 1 :])
    elif "site-packages" in parts:
        short = "/".join(parts[parts.index("site-packages") + 1 :])
    else:
        short = path.name
    return f"{short}:{line} {name}"


def profile(n: int, mode: str, steps: int, top: int) -> None:
    model = build_model(n, mode)
    for _ in range(WARMUP_STEPS):
        model.step()
    bare = timed(model.step, steps).wall / steps
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        model.step()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # {key: (cc, nc, tottime, cumtime, callers)}
    step_key = next(k for k in stats if k[2] == "step" and k[0].endswith("model/model.py"))
    step_total = stats[step_key][3]
    phases = []
    for key, (_cc, _nc, _tt, _ct, callers) in stats.items():
        if step_key in callers:
            _, calls, _, cum = callers[step_key]
            phases.append((cum, key, calls))
    phases.sort(reverse=True)
    print(f"\n## {mode}: {n:,} organisations, steps {WARMUP_STEPS + 1}–{WARMUP_STEPS + steps}")
    print(
        f"step: {1e3 * bare:.0f} ms without the profiler, "
        f"{1e3 * step_total / steps:.0f} ms under it"
    )
    print(
        table(
            ["phase of step()", "ms/step", "share"],
            [
                (where(k), f"{1e3 * cum / steps:.1f}", f"{100 * cum / step_total:.0f}%")
                for cum, k, _ in phases
                if cum / step_total >= 0.005
            ],
        )
    )
    own = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    print()
    print(
        table(
            ["function (own time)", "calls/step", "own ms/step", "share", "with callees ms/step"],
            [
                (
                    where(k),
                    f"{v[1] / steps:.0f}",
                    f"{1e3 * v[2] / steps:.1f}",
                    f"{100 * v[2] / step_total:.0f}%",
                    f"{1e3 * v[3] / steps:.1f}",
                )
                for k, v in own
            ],
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n", type=int)
    parser.add_argument("--mode", choices=MODES, action="append")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--top", type=int, default=12)
    add_malloc_option(parser)
    args = parser.parse_args()
    malloc = set_malloc(args.malloc)
    n = args.n or (2_000 if args.quick else 10_000)
    header(f"Profile of a step at {n:,} organisations (cProfile)")
    print(f"malloc: {malloc}")
    for mode in args.mode or MODES:
        profile(n, mode, args.steps, args.top)


if __name__ == "__main__":
    main()
