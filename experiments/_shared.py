"""What the experiment scripts share: options, their sweep files, and writing figures and text.

Each script reads its sweep from ``experiments/sweeps/NAME.yaml`` (also runnable on its own with
``coopsim sweep``), adjusts its size (the default fits in two minutes on two cores; ``--full``
is the size a paper needs), runs it with ``coopsim.experiments.run_sweep`` and writes figures
and ``results.md`` into ``analysis/`` inside the sweep directory, whose path it prints.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from coopsim import io
from coopsim.experiments import SweepInterrupted, load_spec, run_sweep
from coopsim.scenario import ScenarioError
from coopsim.scenario.sweep import Sweep, sweep_from_dict
from coopsim.scenario.yamlsafe import parse_yaml, read_source

HERE = Path(__file__).resolve().parent
SWEEPS = HERE / "sweeps"


def options(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--full", action="store_true", help="the size a paper needs (hours)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes")
    parser.add_argument("--executor", default="processes", choices=["processes", "dask"])
    parser.add_argument("--scheduler", default=None, help="a Dask scheduler (tcp://HOST:PORT)")
    parser.add_argument("--out", default="sweeps", help="parent of the sweep directory")
    parser.add_argument("--resume", default=None, help="continue an interrupted sweep directory")
    parser.add_argument("--analyse", default=None, help="only analyse a finished sweep directory")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args()


def sweep_data(name: str) -> dict[str, Any]:
    """The bundled sweep file as plain data, its ``base:`` made absolute."""
    path = SWEEPS / f"{name}.yaml"
    data, _ = parse_yaml(read_source(path), str(path))
    data = copy.deepcopy(data)
    if "base" in data:
        data["base"] = str((path.parent / data["base"]).resolve())
    return data


def run(name: str, args: argparse.Namespace, adjust: Callable[[dict], None] | None = None):
    """Validate and run the sweep ``name`` (``adjust`` edits its data first); its directory."""
    if args.analyse:
        return Path(args.analyse), load_spec(args.analyse)
    data = sweep_data(name)
    if adjust is not None:
        adjust(data)
    try:
        sweep: Sweep = sweep_from_dict(data, source=str(SWEEPS / f"{name}.yaml"))
    except ScenarioError as exc:
        sys.exit(f"invalid sweep:\n{exc}")
    size = "full" if args.full else "default"
    print(
        f"{name}: {sweep.design} design, {sweep.n_points} points × {sweep.replicates} "
        f"replicates = {sweep.n_runs} runs ({size} size)",
        file=sys.stderr,
    )
    clock = time.perf_counter()
    try:
        path = run_sweep(
            None if args.resume else sweep,
            workers=args.workers,
            executor=args.executor,
            scheduler=args.scheduler,
            out=args.out,
            resume=args.resume,
            progress=not args.quiet,
        )
    except SweepInterrupted as exc:
        sys.exit(f"interrupted: {exc}\nresume with: python {sys.argv[0]} --resume {exc.path}")
    print(f"{name}: runs took {time.perf_counter() - clock:.1f} s", file=sys.stderr)
    return path, sweep


def analysis_dir(sweep_dir: Path) -> Path:
    out = sweep_dir / "analysis"
    out.mkdir(exist_ok=True)
    return out


def save(fig: Any, path: Path) -> Path:
    """Save a figure atomically as PNG and close it."""
    with io.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=130, bbox_inches="tight")
    plt.close(fig)
    return path


def write_text(path: Path, text: str) -> Path:
    return io.atomic_write_text(path, text)


def fmt(value: float, digits: int = 3) -> str:
    """A number for a table: n/a for NaN, fewer decimals for large values."""
    if value != value:
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def markdown_table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)
