"""Shared by the benchmark scripts: model sizes, timed blocks of steps, medians, the machine.

Run alone (``make bench`` does, first), it prints what the timings depend on: cores, load from
other processes, versions, the BLAS numpy uses and whether OPENBLAS_* variables are set.

Every benchmark measures what it compares side by side in one process, repeats, and reports
medians. Wall-clock time is what a user waits; process CPU time is printed beside it: the two
agree on a quiet machine. Load from other processes stretches wall time, and through the shared
caches it shifts CPU times too (the Boltzmann reference suffers more than coopsim's arrays), so
a ratio measured under load is not to be quoted.

Malloc: the Python API leaves glibc's malloc as it is; the command line and coopsim's worker
processes raise its thresholds (``coopsim.allocator``). Scripts that time the model say which
they measured (``--malloc``): the targets are judged on the Python-API default.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coopsim.model.config import MODES as MODES  # for the scripts: the one list of the modes

ROOT = Path(__file__).resolve().parent.parent
SECTOR_NAMES = ("government", "business", "civil_society", "community")
WARMUP_STEPS = 20  # early steps are a formation burst; steady-state cost is what runs are made of


MALLOC = {
    "api": "Python-API default (glibc's malloc as it is)",
    "cli": "CLI opt-in (coopsim.allocator.tune: raised malloc thresholds)",
}


def add_malloc_option(parser: Any, both: bool = False, default: str = "api") -> None:
    """``--malloc``: measure under the Python-API default (``api``), under the CLI's opt-in to
    raised glibc malloc thresholds (``cli``), or (``both``, where offered) the first, then the
    second in the same process (the opt-in cannot be undone)."""
    choices = [*MALLOC, "both"] if both else list(MALLOC)
    parser.add_argument(
        "--malloc",
        choices=choices,
        default="both" if both else default,
        help="api: as the Python API runs (issue 7's targets are judged on it); cli: as the "
        "command line and coopsim's worker processes run (coopsim.allocator.tune)"
        + ("; both: api first, then cli, in this process" if both else ""),
    )


def set_malloc(choice: str) -> str:
    """Apply ``--malloc`` to this process (``cli``: ``allocator.tune``, irreversible); its label."""
    if choice == "api":
        return MALLOC["api"]
    from coopsim import allocator

    if allocator.tune():
        return MALLOC["cli"]
    return "CLI opt-in asked, not applied (COOPSIM_TUNE_MALLOC=0, MALLOC_* set, or no glibc)"


def sector_counts(n: int) -> dict[str, int]:
    """Counts per sector adding up to ``n``, in the default configuration's proportions
    (largest remainder), as ``CoopModel`` keyword overrides."""
    from coopsim.model.config import ModelConfig

    pop = ModelConfig().population
    weights = {s: pop.sector(s).count for s in SECTOR_NAMES}
    total = sum(weights.values())
    exact = {s: n * w / total for s, w in weights.items()}
    counts = {s: int(v) for s, v in exact.items()}
    short = n - sum(counts.values())
    for s in sorted(exact, key=lambda s: counts[s] - exact[s])[:short]:
        counts[s] += 1
    return {f"population__{s}__count": c for s, c in counts.items()}


def build_model(n: int, mode: str, seed: int = 1):
    """The default configuration scaled to ``n`` organisations, under ``mode``."""
    from coopsim.model import CoopModel

    return CoopModel(mode=mode, rng=seed, **sector_counts(n))


@dataclass
class Timing:
    wall: float  # seconds
    cpu: float  # seconds of this process's CPU time

    def per(self, units: float) -> Timing:
        return Timing(self.wall / units, self.cpu / units)


def timed(fn: Callable[[], object], repeat: int = 1) -> Timing:
    """Wall and CPU time of ``repeat`` calls of ``fn`` (garbage collected before, not during)."""
    gc.collect()
    gc.disable()
    try:
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(repeat):
            fn()
        return Timing(time.perf_counter() - w0, time.process_time() - c0)
    finally:
        gc.enable()


def steps_for(seconds_per_step: float, target: float, cap: int) -> int:
    """How many steps make a block of about ``target`` seconds (at least 1, at most ``cap``)."""
    return max(1, min(cap, round(target / max(seconds_per_step, 1e-6))))


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def spread(values: Sequence[float]) -> str:
    """min–max of the repetitions, for judging how much the median can be trusted."""
    return f"{min(values):.2f}–{max(values):.2f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (pastes into docs/PERFORMANCE.md as it is)."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def load_note() -> str:
    """A warning when other processes load the machine (timings then deserve a rerun).

    A benchmark that ran just before this one still shows as about 1 in the 1-minute average.
    """
    one, five, _ = os.getloadavg()
    cores = os.cpu_count() or 1
    if one > 1.5:
        return (
            f"note: load average {one:.2f} (1 min), {five:.2f} (5 min) on {cores} cores before "
            "this benchmark started: other processes compete for the CPU and the caches, which "
            "stretches times and shifts ratios (CPU times too). Rerun on a quiet machine."
        )
    return f"load average {one:.2f} on {cores} cores (a predecessor counts about 1): quiet"


def blas() -> str:
    try:
        import threadpoolctl

        info = threadpoolctl.threadpool_info()
        return ", ".join(
            f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, "
            f"{i.get('num_threads')} threads)"
            for i in info
        )
    except ImportError:
        import numpy as np

        deps = np.show_config(mode="dicts").get("Build Dependencies", {})
        lapack = deps.get("blas", {})
        return (
            f"{lapack.get('name', '?')} {lapack.get('version', '')} (threadpoolctl not installed)"
        )


def environment_report() -> str:
    import mesa
    import numpy as np

    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except OSError:
        commit = "?"
    openblas = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")}
    lines = [
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        f"python {platform.python_version()}, numpy {np.__version__}, mesa {mesa.__version__}",
        f"blas: {blas()}",
        "OPENBLAS_* set: "
        + (", ".join(f"{k}={v}" for k, v in openblas.items()) if openblas else "none"),
        f"coopsim work tree: {commit}",
        load_note(),
    ]
    return "\n".join(lines)


def header(title: str) -> None:
    print(f"# {title}")
    print(load_note())
    sys.stdout.flush()


if __name__ == "__main__":
    print(environment_report())
