"""Soak run: 20,000 steps of the baseline scenario, every invariant checked after every step,
memory sampled as it goes (issue 8, "Long runs").

Each run is a child process of its own, so that one run's memory is not counted against the
next, and goes through the code path of ``coopsim run --check-invariants``:
``coopsim.runs.run.run_scenario(..., check_invariants=True)``, which calls
``CoopModel.check_invariants()`` after every step and stops at the first broken invariant (the
run directory goes to a temporary directory, removed afterwards). ``check_invariants`` is wrapped
with a counter, so the figure printed is checks that ran and passed, not steps.

Memory is the resident set size (RSS, ``/proc/self/statm``) after building the model ("start"),
every 100 steps, at the middle step and at the last one (before the output tables are built);
the peak RSS of the whole run, output tables built and written, is printed too. A model keeps
two things that grow with the run by design, measured every 1,000 steps:

- the recorded output: one row of outputs per step (``CoopModel.record``, later
  ``timeseries()``), one numpy column per output (8 bytes a value; the columns double when
  full);
- the partnership history: one row per partnership ever formed (``partnerships()``): the
  partnership table's columns as allocated (they double when full), its member lists and the
  model's per-partnership arrays.

The relationships (pairs that ever met, at most n(n − 1)) are measured too: bounded, but their
columns double when full, which can fall in the second half. Each mode is run twice:

- ``as-is``: the run exactly as a user runs it;
- ``control``: the same run, but every 1,000 steps the benchmark empties the recorded output
  lists (keeping each column's last value, which the invariant check reads; the model itself is
  not changed), then asks glibc to hand free heap memory back (``malloc_trim``) before reading
  the RSS again. What is left is the model's state, which must stay flat.

"The rest" is the RSS growth from the middle step to the last, less the growth of the recorded
output, the history and the relationships, per 1,000 steps. The verdict judges the control runs'
rest after ``malloc_trim`` and allows 64 KiB per 1,000 steps: the parts are counted as allocated,
but a doubled column's untouched half is not resident, which leaves about ±0.5 MiB of slack over
10,000 steps; a leak of 100 bytes a step would show as 1 MiB. ``--tracemalloc`` traces every
Python and numpy allocation as well (about 4 × slower): the traced rest is exact bytes, and the
verdict then allows 2 KiB per 1,000 steps (two bytes a step).

    python benchmarks/soak.py             # 20,000 steps, 4 modes × 2 runs, 2 at a time: 4–7 min
    python benchmarks/soak.py --quick     # 2,000 steps: a smoke test, too short for the verdict
    python benchmarks/soak.py --runs control --steps 5000 --tracemalloc    # exact: ~3 min
    python benchmarks/soak.py --modes governance --runs as-is --steps 50000 --jobs 1
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
from _common import MODES, ROOT, header, table

SCENARIO = ROOT / "scenarios" / "baseline.yaml"
RUNS = ("as-is", "control")
RSS_EVERY = 100  # steps between RSS samples (run_scenario reports progress every steps // 200)
ACCOUNT_EVERY = 1_000  # steps between measurements of the recorded output and history
FLAT_BYTES_PER_1000 = 64 * 1024  # RSS after malloc_trim
FLAT_TRACED_PER_1000 = 2 * 1024  # traced bytes
KIB, MIB = 1024, 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
PARTS = ("recorded", "history", "relationships")
FIELDS = (
    "step",
    "seconds",
    "rss",
    "recorded",
    "history",
    "relationships",
    "partnerships",
    "rss_trimmed",
    "traced",
)


def rss() -> int:
    """Resident set size of this process, bytes (the peak where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except OSError:
        return peak_rss()


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * KIB


def _held(size: int) -> int:
    """Bytes an object of ``size`` takes: pymalloc serves up to 512 bytes in 16-byte steps
    (tracemalloc counts the bytes asked for: while it traces, no rounding)."""
    if tracemalloc.is_tracing():
        return size
    return -(-size // 16) * 16 if size <= 512 else size


def _python_bytes(values: list) -> int:
    """A list and the distinct objects in it (shared ones — small ints, names — once)."""
    seen: set[int] = set()
    total = _held(sys.getsizeof(values))
    for v in values:
        if id(v) not in seen:
            seen.add(id(v))
            total += _held(sys.getsizeof(v))
    return total


def _arrays(obj: Any) -> list[np.ndarray]:
    return [a for a in vars(obj).values() if isinstance(a, np.ndarray)]


def recorded_bytes(model: Any) -> int | None:
    """The per-step output rows (``CoopModel.record``: one numpy column per output)."""
    record = getattr(model, "record", None)
    return None if record is None else record.nbytes


def history_bytes(model: Any) -> int | None:
    """The partnership table (allocated columns, the join log) and per-partnership arrays."""
    partnerships = getattr(model, "partnerships_table", None)
    if partnerships is None:
        return None
    total = sum(a.nbytes for a in _arrays(partnerships))
    joins = getattr(partnerships, "_joins", None)  # the join log: count the rows in use, since
    if isinstance(joins, np.ndarray):  # its spare half is never written (so never resident)
        total -= joins.nbytes - partnerships._joined * joins.itemsize * joins.shape[1]
    size, n = partnerships.size, model.orgs.n
    if size:  # the model's own arrays with a row per partnership (not per organisation)
        total += sum(
            a.nbytes for a in _arrays(model) if a.ndim == 1 and len(a) >= size and len(a) != n
        )
    return total


def relationships_bytes(model: Any) -> int | None:
    rel = getattr(model, "relationships", None)
    return None if rel is None else sum(a.nbytes for a in _arrays(rel))


# ------------------------------------------------------------------------------------------------
# A child: one mode, one run


def malloc_trim() -> Any:
    """glibc's ``malloc_trim`` (None elsewhere): returns free heap memory to the system."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def soak(mode: str, steps: int, control: bool, trace: bool = False) -> dict[str, Any]:
    from coopsim.model import CoopModel
    from coopsim.model.record import Record
    from coopsim.runs.run import run_scenario
    from coopsim.scenario.loader import load_scenario

    scenario = load_scenario(SCENARIO).with_mode(mode).replace(steps=steps)
    captured: list[Any] = []
    checks = [0]
    # Samples go to an array allocated once: a growing list would itself be growth measured.
    log = np.full((steps // RSS_EVERY + 3, len(FIELDS)), np.nan)
    filled = [0]
    build, check = CoopModel.from_scenario.__func__, CoopModel.check_invariants
    trim = malloc_trim()
    if trace:
        tracemalloc.start()
    clock = time.perf_counter()
    label = f"[{mode} {'control' if control else 'as-is'}]"

    def sample(done: int, account: bool) -> None:
        model = captured[-1]
        row = log[filled[0]]
        filled[0] += 1
        row[0], row[1] = done, time.perf_counter() - clock
        if account:
            if control and len(model.record):  # empty the recorded output but its last row
                last = model.record.last()
                model.record = Record()
                model.record.append(last)
            gc.collect()
            for i, value in enumerate(
                (
                    recorded_bytes(model),
                    history_bytes(model),
                    relationships_bytes(model),
                    getattr(model.partnerships_table, "size", 0),
                ),
                start=3,
            ):
                row[i] = np.nan if value is None else value
        row[2] = rss()
        if account and control and trim is not None:  # freed heap memory back to the system
            trim(0)
            row[7] = rss()
        if account and tracemalloc.is_tracing():
            row[8] = tracemalloc.get_traced_memory()[0]

    def from_scenario(cls, scenario):  # keeps the model for measuring
        captured.append(build(cls, scenario))
        sample(0, True)
        return captured[-1]

    def counted_check(self):
        check(self)
        checks[0] += 1

    CoopModel.from_scenario = classmethod(from_scenario)
    CoopModel.check_invariants = counted_check

    def progress(done: int, total: int) -> None:
        if done % RSS_EVERY == 0 or done == total:
            sample(done, done % ACCOUNT_EVERY == 0 or done in (total, total // 2))
        if done % (total // 4 or 1) == 0:
            print(
                f"  {label:<24} step {done:>7,}  RSS {rss() / MIB:6.1f} MiB  "
                f"{time.perf_counter() - clock:4.0f} s",
                flush=True,
            )

    error, written = None, 0
    with tempfile.TemporaryDirectory(prefix="coopsim-soak-") as tmp:
        try:
            path = run_scenario(
                scenario,
                out=tmp,
                command=f"benchmarks/soak.py --modes {mode} --steps {steps}",
                progress=progress,
                check_invariants=True,
            )
            written = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        except Exception as exc:  # an invariant broke (InvariantBroken), or the run failed
            error = f"{type(exc).__name__}: {exc}"
    model = captured[-1] if captured else None
    samples = [
        {
            k: float(v) if k == "seconds" else int(v)
            for k, v in zip(FIELDS, row, strict=True)
            if not np.isnan(v)
        }
        for row in log[: filled[0]]
    ]
    return {
        "mode": mode,
        "run": "control" if control else "as-is",
        "steps": steps,
        "steps_done": int(model.steps) if model is not None else 0,
        "checks_passed": checks[0],
        "error": error,
        "seconds": time.perf_counter() - clock,
        "samples": samples,
        "peak_rss": peak_rss(),
        "written_bytes": written,
    }


# ------------------------------------------------------------------------------------------------
# The parent: the children, then the tables


def run_children(
    tasks: list[tuple[str, str]], steps: int, jobs: int, trace: bool
) -> list[dict[str, Any]]:
    """Run each (mode, run) in a child process, ``jobs`` at a time; results in task order."""
    results: dict[int, dict[str, Any]] = {}
    running: list[tuple[int, subprocess.Popen, Path]] = []
    queue = list(enumerate(tasks))
    while queue or running:
        while queue and len(running) < jobs:
            i, (mode, run) = queue.pop(0)
            out = Path(tempfile.mkstemp(suffix=".json")[1])
            cmd = [sys.executable, __file__, "--child", mode, "--steps", str(steps)]
            cmd += ["--out", str(out)] + (["--control"] if run == "control" else [])
            cmd += ["--tracemalloc"] if trace else []
            running.append((i, subprocess.Popen(cmd), out))
        for entry in list(running):
            i, proc, out = entry
            if proc.poll() is None:
                continue
            running.remove(entry)
            mode, run = tasks[i]
            text = out.read_text() if out.exists() else ""
            out.unlink(missing_ok=True)
            results[i] = json.loads(text) if proc.returncode == 0 and text else {}
            results[i].update(mode=mode, run=run, exit=proc.returncode)
        time.sleep(0.2)
    return [results[i] for i in range(len(tasks))]


def mib(b: float | None) -> str:
    return "n/a" if b is None else f"{b / MIB:.1f}"


def kib(b: float | None) -> str:
    return "n/a" if b is None else f"{b / KIB:+.1f}"


def analyse(result: dict[str, Any]) -> dict[str, Any] | None:
    accounted = [s for s in result.get("samples", []) if "partnerships" in s]
    if len(accounted) < 3:
        return None
    start, end = accounted[0], accounted[-1]
    middle = min(accounted, key=lambda s: abs(s["step"] - end["step"] // 2))
    per = (end["step"] - middle["step"]) / 1000 or 1.0

    def growth(key: str) -> float | None:
        if middle.get(key) is None or end.get(key) is None:
            return None
        return (end[key] - middle[key]) / per

    out = {"start": start, "middle": middle, "end": end}
    out.update({k: growth(k) for k in (*PARTS, "rss", "rss_trimmed", "traced")})
    parts = None if None in [out[k] for k in PARTS] else sum(out[k] for k in PARTS)
    for key, rest in (("rss", "rest"), ("rss_trimmed", "rest_trimmed"), ("traced", "rest_traced")):
        out[rest] = None if parts is None or out[key] is None else out[key] - parts
    return out


def judge(a: dict[str, Any]) -> bool:
    """Flat: the traced rest within bounds when traced (the RSS then holds tracemalloc's own
    tables, which grow with the number of live allocations), else the rest after malloc_trim
    (or of the RSS where there is no malloc_trim)."""
    if a["rest_traced"] is not None:
        return abs(a["rest_traced"]) <= FLAT_TRACED_PER_1000
    rest = a["rest_trimmed"] if a["rest_trimmed"] is not None else a["rest"]
    return rest is not None and abs(rest) <= FLAT_BYTES_PER_1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 steps")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated")
    parser.add_argument("--runs", default=",".join(RUNS), help="as-is, control or both")
    parser.add_argument("--jobs", type=int, default=2, help="child processes at a time")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="trace allocations too (about 4 × slower)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--control", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    steps = args.steps or (2_000 if args.quick else 20_000)
    if args.child:
        result = soak(args.child, steps, args.control, args.tracemalloc)
        Path(args.out).write_text(json.dumps(result))
        return
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    runs = [r.strip() for r in args.runs.split(",") if r.strip() in RUNS]
    header(f"Soak run: {steps:,} steps of {SCENARIO.name}, every invariant checked every step")
    print(
        f"runs {', '.join(runs)} of {', '.join(modes)}, one child process each, {args.jobs} at a "
        f"time; RSS every {RSS_EVERY} steps; the parts every {ACCOUNT_EVERY:,} steps",
        flush=True,
    )
    tasks = [(m, r) for m in modes for r in runs]
    results = run_children(tasks, steps, args.jobs, args.tracemalloc)

    rows, memory, problems = [], [], []
    flat_rest, asis = [], []
    for r in results:
        a = analyse(r)
        name = f"{r['mode']}, {r['run']}"
        if r["exit"] != 0 or a is None:
            problems.append(f"{name}: crashed or failed early (exit {r['exit']}, {r.get('error')})")
            rows.append((r["mode"], r["run"], "crashed", "", r.get("error") or "", "", "", ""))
            continue
        ok = r["error"] is None and r["checks_passed"] == r["steps_done"] == steps
        if not ok:
            problems.append(f"{name}: invariants FAILED or run incomplete: {r['error']}")
        rows.append(
            (
                r["mode"],
                r["run"],
                f"{r['steps_done']:,}",
                f"{r['checks_passed']:,}",
                "none" if r["error"] is None else r["error"][:100],
                f"{a['end']['partnerships']:,}",
                f"{r['written_bytes'] / MIB:.1f} MiB",
                f"{r['seconds']:.0f} s",
            )
        )
        flat = judge(a)
        if r["run"] == "control":
            flat_rest.append((r["mode"], a, flat))
        else:
            asis.append((r["mode"], a, a["end"].get("recorded")))
        memory.append(
            (
                r["mode"],
                r["run"],
                mib(a["start"]["rss"]),
                mib(a["middle"]["rss"]),
                mib(a["end"]["rss"]),
                mib(r["peak_rss"]),
                kib(a["rss"]),
                kib(a["recorded"]),
                kib(a["history"]),
                kib(a["relationships"]),
                kib(a["rest"]),
                f"**{kib(a['rest_trimmed'])}**" if a["rest_trimmed"] is not None else "—",
                kib(a["rest_traced"]) if a["rest_traced"] is not None else "—",
                ("flat" if flat else "NOT flat") if r["run"] == "control" else "—",
            )
        )
    print()
    print(
        table(
            [
                "mode",
                "run",
                "steps done",
                "invariant checks passed",
                "invariant broken",
                "partnerships formed",
                "run directory",
                "time",
            ],
            rows,
        )
    )
    if memory:
        print()
        print(
            "RSS (MiB) at the start (model built), the middle and the end (before the output "
            "tables are built), and the peak (output tables built and written). Growth from the "
            "middle to the end, KiB per 1,000 steps: the whole RSS, then its parts."
        )
        print()
        print(
            table(
                [
                    "mode",
                    "run",
                    "RSS start",
                    "RSS middle",
                    "RSS end",
                    "peak RSS",
                    "RSS growth",
                    "recorded output",
                    "partnership history",
                    "relationships",
                    "the rest",
                    "the rest after malloc_trim",
                    "traced rest",
                    "model state",
                ],
                memory,
            )
        )
    print()
    checks = sum(r.get("checks_passed", 0) for r in results)
    print(
        f"verdict: invariants: {checks:,} checks in {len(results)} runs of {steps:,} steps, "
        + ("all passed" if not problems else f"PROBLEMS: {'; '.join(problems)}")
    )
    if steps < 10_000:
        print(
            f"note: {steps:,} steps are too few to judge memory (the first thousands of steps "
            "still fill tables and the allocator's pools): the verdicts below are a smoke test"
        )
    if flat_rest:
        flat = sum(f for _, _, f in flat_rest)
        rests = [
            a["rest_trimmed"] if a["rest_trimmed"] is not None else a["rest"]
            for _, a, _ in flat_rest
        ]
        rests = [r for r in rests if r is not None] or [float("nan")]
        traced = [a["rest_traced"] for _, a, _ in flat_rest if a["rest_traced"] is not None]
        if traced:
            judged = (
                f"traced rest {min(traced) / KIB:+.2f} to {max(traced) / KIB:+.2f} KiB per 1,000 "
                f"steps (allowed ±{FLAT_TRACED_PER_1000 // KIB}; the RSS holds tracemalloc's "
                "own tables and is not judged)"
            )
        else:
            judged = (
                f"the rest after malloc_trim {min(rests) / KIB:+.1f} to "
                f"{max(rests) / KIB:+.1f} KiB per 1,000 steps (allowed "
                f"±{FLAT_BYTES_PER_1000 // KIB})"
            )
        print(
            "verdict: model state memory (control runs: recorded output emptied every 1,000 "
            f"steps): {'' if flat == len(flat_rest) else 'NOT flat; '}flat in {flat} of "
            f"{len(flat_rest)} modes; {judged}"
        )
    if asis:
        growth = [a["rss"] for _, a, _ in asis if a["rss"] is not None]
        recorded = [a["recorded"] for _, a, _ in asis if a["recorded"] is not None] or [0.0]
        held = [b for _, _, b in asis if b is not None] or [0]
        grows = max(growth) > FLAT_BYTES_PER_1000
        print(
            f"verdict: as a user runs it (as-is), RSS grows {min(growth) / KIB:.0f}–"
            f"{max(growth) / KIB:.0f} KiB per 1,000 steps: "
            + ("NOT flat, by design — " if grows else "flat; ")
            + f"the recorded output grows {min(recorded) / KIB:.0f}–{max(recorded) / KIB:.0f} "
            f"KiB per 1,000 steps (one row per step, {min(held) / MIB:.1f}–{max(held) / MIB:.1f} "
            f"MiB allocated at step {steps:,}); the rest is what the allocators hold "
            "beyond the objects counted (the control runs show whether any of it is live state)"
        )
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
