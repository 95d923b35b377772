"""The ``coopsim`` command: parses, calls the layers below, formats.

Exit codes: 0 success; 2 bad usage or invalid input (one ``FILE:LINE:COL: path: message`` line
per problem, no traceback); 1 anything else. Progress goes to stderr, result paths to stdout.
Set ``COOPSIM_DEBUG=1`` to see the traceback of an unexpected error.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from coopsim.model.config import MODES

__all__ = ["app", "main"]

BENCHMARKS = ("nowak-may", "santos-pgg", "hauert-optional")
# The run indicators `compare` shows on the terminal (the report and comparison.parquet hold all).
SUMMARY_INDICATORS = (
    "sustainability_index",
    "cooperation_rate",
    "participation_rate",
    "mean_trust",
    "partnership_survival_median",
    "public_value_total",
)


class _OneLineErrors(TyperGroup):
    """The ``coopsim`` group: a usage mistake (an unknown option, a missing argument, a value
    out of range) is one line on stderr, ``coopsim COMMAND: --option: what is wrong``, and exit
    code 2, like every other bad input; not Click's usage block."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        refusal = _non_utf8(sys.argv[1:] if args is None else list(args))
        if refusal is not None:
            _err(refusal)
            if not standalone_mode:
                return 2
            sys.exit(2)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _CLICK_ERROR as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `coopsim` alone: the help
                typer.echo(exc.ctx.get_help())
            elif isinstance(exc, _USAGE_ERROR):
                _err(_usage_line(exc))
            else:
                _err(f"coopsim: {exc.format_message()}")
            code: Any = exc.exit_code
        except typer.Abort:
            _err("coopsim: interrupted")
            code = 1
        else:  # Exit(n) comes back as n; a command returns None
            code = result if isinstance(result, int) and not isinstance(result, bool) else 0
        if not standalone_mode:
            return code
        sys.exit(code)


# Click's exception classes, as the installed Typer uses them (its own copy of Click or Click).
_USAGE_ERROR: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_CLICK_ERROR: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _usage_line(exc: Any) -> str:
    """A usage error on one line: the command, the parameter and what is wrong with it."""
    command = exc.ctx.command_path if getattr(exc, "ctx", None) is not None else "coopsim"
    message = " ".join(exc.format_message().split()).rstrip(".")
    message = re.sub(r"^Invalid value for '?([^:']*)'?: ", r"\1: ", message)
    message = message.replace("Input should be ", "must be ")
    given = getattr(exc, "value", None)  # not every version of Click keeps it
    if given is not None and "(got" not in message:
        message += f" (got {given!r})"
    return f"{command}: {message} (see {command} --help)"


app = typer.Typer(
    cls=_OneLineErrors,
    name="coopsim",
    help=(
        "Agent-based simulation of cross-sector cooperation under four governance modes: "
        f"{', '.join(MODES[:-1])} and {MODES[-1]}."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class BadInput(Exception):
    """Invalid input from the user: reported as is, exit code 2."""


class Unavailable(Exception):
    """A part of coopsim that this installation does not have: exit code 1."""


# --------------------------------------------------------------------------------------------------
# Output helpers


def _non_utf8(args: Sequence[str]) -> str | None:
    """The line refusing a command-line value (a path, mostly) that is not valid UTF-8, if one
    is: coopsim records the paths it is given in UTF-8 files (metadata.json, scenario.yaml), so
    such a path would fail after its run directory was made."""
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            return (
                f"coopsim: {shown}: not valid UTF-8 (coopsim records paths in UTF-8 files): "
                "rename it"
            )
    return None


def _err(message: str) -> None:
    from coopsim.io import printable

    typer.echo(printable(message), err=True)


def _console() -> Any:
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False)


@contextlib.contextmanager
def _progress(label: str, unit: str) -> Iterator[Any]:
    """A rich progress bar on stderr; yields ``update(done, total)``."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = _console()
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@contextlib.contextmanager
def _guard() -> Iterator[None]:
    """Turn every failure into a message and an exit code; never a traceback."""
    from coopsim.scenario import ScenarioError

    try:
        yield
    except typer.Exit:
        raise
    except ScenarioError as exc:
        for problem in exc.problems:
            _err(problem.render())
        raise typer.Exit(2) from None
    except BadInput as exc:
        _err(f"coopsim: {exc}")
        raise typer.Exit(2) from None
    except Unavailable as exc:
        _err(f"coopsim: {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        _err("coopsim: interrupted")
        raise typer.Exit(1) from None
    except Exception as exc:
        from coopsim.io import OutputPathError
        from coopsim.runs import Interrupted

        if isinstance(exc, OutputPathError):
            _err(f"coopsim: --out: {exc}")
            raise typer.Exit(2) from None

        if isinstance(exc, Interrupted):
            resume = getattr(exc, "resume_command", None)
            _err(
                f"coopsim: interrupted after {exc.done} of {exc.total} {exc.unit}; "
                f"what finished is kept in {exc.path} (metadata.json: status interrupted)"
                + (f"; resume with: {resume}" if resume else "")
            )
            typer.echo(str(exc.path))
            raise typer.Exit(1) from None
        if os.environ.get("COOPSIM_DEBUG"):
            traceback.print_exc()
        _err(f"coopsim: error: {type(exc).__name__}: {exc}")
        if not os.environ.get("COOPSIM_DEBUG"):
            _err("(set COOPSIM_DEBUG=1 to see where it happened)")
        raise typer.Exit(1) from None


def _is_dir(path: str | Path, label: str) -> bool:
    """Whether ``path`` is a directory; a path the file system refuses (a name too long for
    it, ...) is bad input named by ``label``."""
    try:
        return Path(path).is_dir()
    except OSError as exc:
        raise BadInput(f"{label}: cannot use this path: {exc.strerror or exc}") from None


def _command() -> str:
    return shlex.join(["coopsim", *sys.argv[1:]])


def _overrides(
    sets: Sequence[str] | None,
    seed: int | None = None,
    steps: int | None = None,
    mode: str | None = None,
) -> list[Any]:
    from coopsim.scenario import Override, parse_override

    out: list[Any] = [parse_override(text) for text in sets or ()]
    for key, value, label in (
        ("seed", seed, f"--seed {seed}"),
        ("steps", steps, f"--steps {steps}"),
        ("governance.mode", mode, f"--mode {mode}"),
    ):
        if value is not None:
            out.append(Override(tuple(key.split(".")), value, label))
    return out


def _load(path: str, overrides: Sequence[Any] = ()) -> Any:
    from coopsim.scenario import load_scenario, scenario_warnings

    scenario = load_scenario(path, overrides)
    for warning in scenario_warnings(scenario):
        _err(f"{path}: warning: {warning}")
    return scenario


def _load_sweep(path: str, overrides: Sequence[Any] = ()) -> Any:
    from coopsim.scenario import load_sweep, sweep_warnings

    sweep = load_sweep(path, overrides)
    for warning in sweep_warnings(sweep):
        _err(f"{path}: warning: {warning}")
    return sweep


def _load_calibration(path: str) -> Any:
    from coopsim.scenario.calibration import calibration_warnings, load_calibration

    calibration = load_calibration(path)
    for warning in calibration_warnings(calibration):
        _err(f"{path}: warning: {warning}")
    return calibration


def _keep_freed_memory() -> None:
    """Raise glibc's malloc thresholds for this process, which only runs models: each step then
    reuses the memory of the last one's arrays (``coopsim.allocator``; results unchanged;
    ``COOPSIM_TUNE_MALLOC=0`` keeps the C library's defaults)."""
    from coopsim import allocator

    allocator.tune()


def _report(path: Path, scenario: Any, enabled: bool) -> tuple[bool, Path | None]:
    """Figures and report for ``path`` if wanted and available.

    Returns whether nothing failed, and the report's path when one was written.
    """
    if not enabled or scenario.output.report == "none":
        return True, None
    try:
        from coopsim.report import write_report
    except ModuleNotFoundError as exc:
        if exc.name != "coopsim.report":
            raise
        _err("note: figures and report skipped (coopsim.report is not available)")
        return True, None
    except ImportError as exc:
        _err(f"coopsim: the results are saved, but the report cannot be loaded: {exc}")
        return False, None
    try:
        written = write_report(path)
    except Exception as exc:
        if os.environ.get("COOPSIM_DEBUG"):
            traceback.print_exc()
        _err(f"coopsim: the results are saved, but the report failed: {type(exc).__name__}: {exc}")
        return False, None
    _err(f"report: {written}")
    return True, Path(written) if written else None


def _optional_module(module: str, what: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
            raise Unavailable(
                f"{what}: not available yet in this version ({module} is missing)"
            ) from None
        raise


# --------------------------------------------------------------------------------------------------
# Commands

ScenarioArg = Annotated[str, typer.Argument(help="Scenario file (YAML).", metavar="SCENARIO.yaml")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a value by its dotted path, e.g. --set trust.gain=0.1 (repeatable).",
        metavar="KEY.PATH=VALUE",
    ),
]
StepsOpt = Annotated[int | None, typer.Option(help="Steps to run (one step is one month).")]
ReportOpt = Annotated[
    bool, typer.Option("--report/--no-report", help="Write figures and a report at the end.")
]


@app.command()
def run(
    scenario: ScenarioArg,
    seed: Annotated[int | None, typer.Option(help="Seed of the run's random stream.")] = None,
    steps: StepsOpt = None,
    mode: Annotated[
        str | None, typer.Option(help="Governance mode: " + ", ".join(MODES) + ".")
    ] = None,
    set_: SetOpt = None,
    out: Annotated[Path, typer.Option(help="Parent directory of run directories.")] = Path("runs"),
    report: ReportOpt = True,
    check_invariants: Annotated[
        bool,
        typer.Option(
            "--check-invariants",
            help="Check every invariant after every step (slower); stop at the first failure.",
        ),
    ] = False,
) -> None:
    """One run of a scenario: writes a run directory and prints its path."""
    with _guard():
        loaded = _load(scenario, _overrides(set_, seed, steps, mode))
        from coopsim.runs import run_scenario

        _keep_freed_memory()

        with _progress(f"{loaded.name} ({loaded.governance.mode})", "steps") as update:
            path = run_scenario(
                loaded,
                out,
                command=_command(),
                source=scenario,
                overrides=list(set_ or ()),
                progress=update,
                check_invariants=check_invariants,
            )
        typer.echo(str(path))
        if not _report(path, loaded, report)[0]:
            raise typer.Exit(1)


def _parse_modes(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise BadInput(
            f"--modes: unknown mode {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"choose from {','.join(MODES)}"
        )
    return list(dict.fromkeys(modes))


def run_comparison(
    scenario_path: str,
    modes: Sequence[str] = MODES,
    seeds: int = 5,
    *,
    seed: int | None = None,
    steps: int | None = None,
    sets: Sequence[str] = (),
    out: Path = Path("comparisons"),
    workers: int | None = None,
    report: bool = True,
    command: str | None = None,
) -> tuple[Path, bool, Path | None]:
    """What ``coopsim compare`` does (the demo calls it too).

    Returns the comparison directory, whether the report (if any) succeeded, and its path.
    """
    loaded = _load(scenario_path, _overrides(sets, seed, steps))
    if loaded.governance.switch:
        _err(
            "note: the scenario's reforms (governance.switch) apply in every mode compared; "
            "only the starting mode differs"
        )
    from coopsim.runs import compare_modes

    _keep_freed_memory()
    label = f"{loaded.name}: {len(modes)} modes × {seeds} seeds"
    with _progress(label, "runs") as update:
        path = compare_modes(
            loaded,
            modes,
            seeds,
            out,
            workers=workers,
            command=command or _command(),
            source=scenario_path,
            overrides=list(sets),
            progress=update,
        )
    _summary_table(path)
    return path, *_report(path, loaded, report)


def _seeds_run(path: Path, frame: Any) -> int:
    """Seeds per mode of a comparison (metadata.json), else the most runs any cell counts."""
    try:
        seeds = json.loads((path / "metadata.json").read_text(encoding="utf-8")).get("seeds")
    except (OSError, ValueError):
        seeds = None
    return len(seeds) if isinstance(seeds, list) and seeds else int(frame["n"].max())


def _summary_table(path: Path) -> None:
    """A short view of the comparison on stderr (the full tables are in the directory)."""
    import math

    import pandas as pd
    from rich.table import Table

    from coopsim.model import outputs

    table_path = path / "comparison.parquet"
    if not table_path.exists():
        return
    frame = pd.read_parquet(table_path)
    shown = outputs.check(SUMMARY_INDICATORS, "run", role="indicator")
    frame = frame[frame["indicator"].isin(shown)]
    if frame.empty:
        return
    modes = list(dict.fromkeys(frame["mode"]))
    seeds = _seeds_run(path, frame)
    partial = bool((frame["n"] < seeds).any())
    table = Table(
        title=f"mean ± 95% CI half-width over {seeds} seeds",
        title_justify="left",
        caption="n=k: only k runs have a value (a median reached, ...)" if partial else None,
        caption_justify="left",
    )
    table.add_column("indicator", no_wrap=True)
    for mode in modes:
        table.add_column(mode, justify="right", no_wrap=True)

    def cell(row: Any) -> str:
        n = int(row["n"])
        count = f" (n={n})" if n < seeds else ""
        if not math.isfinite(row["mean"]):
            missing = outputs.get(row["indicator"], "run").missing
            return f"– ({missing})" if missing else "–"
        if not math.isfinite(row["ci_low"]):
            return f"{row['mean']:.3g}{count}"
        # The interval may be clipped to the indicator's range: show its ends, not ± half.
        low, high, mean = row["ci_low"], row["ci_high"], row["mean"]
        if not math.isclose(mean - low, high - mean, rel_tol=1e-6, abs_tol=1e-12):
            return f"{mean:.3g} [{low:.3g}, {high:.3g}]{count}"
        return f"{mean:.3g} ±{(high - low) / 2:.2g}{count}"

    for indicator in shown:
        rows = frame[frame["indicator"] == indicator].set_index("mode")
        if len(rows):
            table.add_row(indicator, *(cell(rows.loc[m]) if m in rows.index else "" for m in modes))
    console = _console()
    if not console.is_terminal:
        console.width = 120
    console.print(table)


@app.command()
def compare(
    scenario: ScenarioArg,
    modes: Annotated[
        str, typer.Option(help="Comma-separated governance modes to compare.")
    ] = ",".join(MODES),
    seeds: Annotated[
        int, typer.Option(min=1, max=10_000, help="Seeds per mode (the same seeds in every mode).")
    ] = 5,
    seed: Annotated[
        int | None, typer.Option(help="Root seed the replicate seeds are drawn from.")
    ] = None,
    steps: StepsOpt = None,
    set_: SetOpt = None,
    out: Annotated[Path, typer.Option(help="Parent directory of comparison directories.")] = Path(
        "comparisons"
    ),
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Worker processes (default: one per CPU; 1 runs in-process)."),
    ] = None,
    report: ReportOpt = True,
) -> None:
    """The same scenario under several governance modes, on the same seeds.

    Writes a comparison directory: every run's time series, each indicator's mean and 95%
    confidence interval per mode, effect sizes between modes (A12, paired differences), figures.
    """
    with _guard():
        mode_list = _parse_modes(modes)
        path, reported, _ = run_comparison(
            scenario,
            mode_list,
            seeds,
            seed=seed,
            steps=steps,
            sets=list(set_ or ()),
            out=out,
            workers=workers,
            report=report,
        )
        typer.echo(str(path))
        if not reported:
            raise typer.Exit(1)


@app.command()
def validate(
    files: Annotated[
        list[str],
        typer.Argument(help="Scenario, sweep or calibration files.", metavar="FILE.yaml..."),
    ],
) -> None:
    """Check scenario, sweep and calibration files; exit 0 when all are valid."""
    from coopsim.scenario import ScenarioError, is_sweep_file
    from coopsim.scenario.calibration import is_calibration_file

    invalid = unsupported = 0
    for name in files:
        try:
            with _guard_validate():
                if is_sweep_file(name):
                    _load_sweep(name)
                    typer.echo(f"{name}: ok (sweep)")
                    continue
                if is_calibration_file(name):
                    calibration = _load_calibration(name)
                    typer.echo(
                        f"{name}: ok (calibration: {len(calibration.priors)} parameters, "
                        f"{len(calibration.fitted)} targets fitted, {len(calibration.checked)} "
                        f"checked, {calibration.evaluations:,} evaluations at most)"
                    )
                    continue
                loaded = _load(name)
                typer.echo(
                    f"{name}: ok ({loaded.name}: {loaded.population.size} organisations, "
                    f"{loaded.steps} steps, {loaded.governance.mode})"
                )
        except ScenarioError as exc:
            invalid += 1
            for problem in exc.problems:
                _err(problem.render())
        except Unavailable as exc:
            unsupported += 1
            _err(f"{name}: {exc}")
    if invalid:
        raise typer.Exit(2)
    if unsupported:
        raise typer.Exit(1)


@contextlib.contextmanager
def _guard_validate() -> Iterator[None]:
    """Like ``_guard`` for everything but the problems ``validate`` counts itself."""
    from coopsim.scenario import ScenarioError

    try:
        yield
    except (ScenarioError, Unavailable):
        raise
    except Exception:
        with _guard():
            raise


@app.command()
def schema(
    sweep: Annotated[
        bool, typer.Option("--sweep", help="The schema of sweep files instead.")
    ] = False,
    calibration: Annotated[
        bool, typer.Option("--calibration", help="The schema of calibration files instead.")
    ] = False,
) -> None:
    """Print the JSON Schema of scenario files, or of sweep or calibration files (derived from
    the code)."""
    with _guard():
        if sweep and calibration:
            raise BadInput("schema: give --sweep or --calibration, not both")
        if calibration:
            from coopsim.scenario.calibration import calibration_json_schema

            typer.echo(json.dumps(calibration_json_schema(), indent=2, ensure_ascii=False))
            return
        if sweep:
            from coopsim.scenario import sweep_json_schema

            typer.echo(json.dumps(sweep_json_schema(), indent=2, ensure_ascii=False))
            return
        from coopsim.scenario.schema import json_schema_text

        typer.echo(json_schema_text())


@app.command()
def outputs(
    level: Annotated[
        str | None,
        typer.Argument(
            help="step (time series), run (summary), partnership or member; all by default.",
            metavar="[LEVEL]",
            show_default=False,
        ),
    ] = None,
    names: Annotated[
        bool, typer.Option("--names", help="Only the names, one per line (families expanded).")
    ] = False,
) -> None:
    """List the model's outputs: name, type, unit, role and meaning (Markdown tables).

    A sweep file's `outputs:` takes run outputs of role indicator or context, its `timeseries:`
    step outputs.
    """
    with _guard():
        from coopsim.model import outputs as registry

        if level is not None and level not in registry.LEVELS:
            raise BadInput(
                f"outputs: unknown level {level!r}: expected one of {', '.join(registry.LEVELS)}"
            )
        levels = [level] if level else [lv for lv in registry.LEVELS if registry.names(lv)]
        for i, where in enumerate(levels):
            if not registry.names(where):
                typer.echo(f"No {where} outputs in this version.")
            elif names:
                typer.echo("\n".join(registry.names(where)))
            else:
                typer.echo(("\n" if i else "") + f"## {where} outputs\n")
                typer.echo(registry.markdown(where), nl=False)


@app.command()
def report(
    directory: Annotated[
        str,
        typer.Argument(
            help="A run, comparison, sweep, calibration or decomposition directory.", metavar="DIR"
        ),
    ],
) -> None:
    """Write figures and a readable report for a run, comparison, sweep, calibration or
    decomposition directory."""
    with _guard():
        path = Path(directory)
        if not _is_dir(path, directory):
            raise BadInput(f"{directory}: no such directory")
        if not (path / "metadata.json").exists():
            raise BadInput(f"{directory}: not a coopsim result directory (no metadata.json)")
        module = _optional_module("coopsim.report", "the report")
        try:
            written = module.write_report(path)
        except module.OutsideDirectory as exc:
            raise BadInput(str(exc)) from None
        typer.echo(str(written))


def _benchmark_option(help_text: str) -> Any:
    return typer.Option(help=help_text, show_default=False)


@app.command()
def dock(
    name: Annotated[
        str, typer.Argument(help="nowak-may, santos-pgg or hauert-optional.", metavar="NAME")
    ],
    b: Annotated[float | None, _benchmark_option("nowak-may: temptation payoff b.")] = None,
    size: Annotated[int | None, _benchmark_option("nowak-may: lattice side.")] = None,
    initial_cooperators: Annotated[
        float | None, _benchmark_option("Initial share of cooperators.")
    ] = None,
    boundary: Annotated[str | None, _benchmark_option("nowak-may: periodic or fixed.")] = None,
    graph: Annotated[str | None, _benchmark_option("santos-pgg: regular or scale-free.")] = None,
    eta: Annotated[float | None, _benchmark_option("santos-pgg: η = r/(z+1).")] = None,
    cost: Annotated[
        str | None, _benchmark_option("santos-pgg: per-game or per-individual.")
    ] = None,
    n: Annotated[int | None, _benchmark_option("santos-pgg: number of agents.")] = None,
    z: Annotated[int | None, _benchmark_option("santos-pgg: mean degree.")] = None,
    graphs: Annotated[int | None, _benchmark_option("santos-pgg: graphs averaged.")] = None,
    r: Annotated[float | None, _benchmark_option("hauert-optional: multiplication r.")] = None,
    group_size: Annotated[int | None, _benchmark_option("hauert-optional: group size.")] = None,
    sigma: Annotated[float | None, _benchmark_option("hauert-optional: loner payoff σ.")] = None,
    population: Annotated[
        int | None, _benchmark_option("hauert-optional: population size.")
    ] = None,
    mutation: Annotated[float | None, _benchmark_option("hauert-optional: mutation rate.")] = None,
    generations: Annotated[int | None, _benchmark_option("Generations to run.")] = None,
    window: Annotated[
        float | None, _benchmark_option("Share of the last generations averaged.")
    ] = None,
    seed: Annotated[int | None, _benchmark_option("Seed.")] = None,
    json_: Annotated[
        bool, typer.Option("--json", help="Print one JSON object as the last line.")
    ] = False,
) -> None:
    """A docking benchmark run on the model's own pieces: measured beside published."""
    with _guard():
        if name not in BENCHMARKS:
            raise BadInput(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
        given = {
            key: value
            for key, value in {
                "b": b,
                "size": size,
                "initial_cooperators": initial_cooperators,
                "boundary": boundary,
                "graph": graph,
                "eta": eta,
                "cost": cost,
                "n": n,
                "z": z,
                "graphs": graphs,
                "r": r,
                "group_size": group_size,
                "sigma": sigma,
                "population": population,
                "mutation": mutation,
                "generations": generations,
                "window": window,
                "seed": seed,
            }.items()
            if value is not None
        }
        module = _optional_module("coopsim.docking", "docking benchmarks")
        try:
            accepted = module.benchmark_parameters(name)
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        wrong = [k for k in given if k not in accepted]
        if wrong:
            options = ", ".join("--" + k.replace("_", "-") for k in accepted)
            raise BadInput(
                f"{name} does not take {', '.join('--' + k.replace('_', '-') for k in wrong)}; "
                f"its options: {options}"
            )
        with _progress(f"dock {name}", ""):
            try:
                result = module.run_benchmark(name, **given)
            except ValueError as exc:
                raise BadInput(str(exc)) from None
        if json_:
            from coopsim.io import json_ready

            typer.echo(json.dumps(json_ready(result), ensure_ascii=False))
        else:
            _dock_table(name, result)


def _dock_table(name: str, result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    measured_key = result.get("measured") or next(
        (k for k in ("cooperator_share", "mean_payoff") if k in result), None
    )
    published = result.get("published")
    table = Table(title=f"docking: {name}", title_justify="left", show_header=True)
    table.add_column("")
    table.add_column("value", justify="right")
    if measured_key:
        table.add_row(f"measured {measured_key}", _fmt(result[measured_key]))
    if isinstance(published, dict):
        if "value" in published:
            table.add_row("published", _fmt(published["value"]))
        for key, value in published.items():
            if key != "value":
                table.add_row(f"  {key}", _fmt(value))
    elif published is not None:
        table.add_row("published", _fmt(published))
    for key, value in result.items():
        if key in (measured_key, "measured", "published", "parameters", "benchmark"):
            continue
        table.add_row(key, _fmt(value))
    for key, value in (result.get("parameters") or {}).items():
        table.add_row(f"parameter {key}", _fmt(value))
    Console(file=sys.stdout, highlight=False).print(table)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_fmt(v)}" for k, v in value.items())
    return str(value)


def _is_origin(text: str) -> bool:
    from coopsim.viz.guard import normal_origin

    try:
        normal_origin(text)
    except ValueError:
        return False
    return True


@app.command()
def viz(
    scenario: Annotated[
        str | None, typer.Argument(help="Scenario to open (optional).", metavar="[SCENARIO.yaml]")
    ] = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to bind (127.0.0.1: this machine only).")] = (
        "127.0.0.1"
    ),
    allow_origin: Annotated[
        list[str] | None,
        typer.Option(
            help="Also let in pages from this origin (scheme://host[:port]; repeatable), e.g. "
            "behind a proxy. Otherwise only the app's own page gets in.",
            metavar="ORIGIN",
        ),
    ] = None,
    max_sessions: Annotated[
        int, typer.Option(min=1, help="Browser sessions at once; more are refused.")
    ] = 20,
    idle_minutes: Annotated[
        int, typer.Option(min=1, help="Close a session this long after its page went away.")
    ] = 5,
) -> None:
    """The interactive browser visualisation.

    Only the app's own page (http://127.0.0.1:PORT or http://localhost:PORT) gets in: a
    request with another Host or Origin is refused (403), as is a session beyond --max-sessions.
    """
    with _guard():
        if scenario:
            _load(scenario)  # invalid files stop here, with their lines
        origins = list(allow_origin or [])
        for origin in origins:
            if not _is_origin(origin):
                raise BadInput(f"--allow-origin {origin}: not an origin (http(s)://host[:port])")
        module = _optional_module("coopsim.viz.app", "the browser visualisation")
        try:
            module.serve(
                scenario,
                host=host,
                port=port,
                allow_origins=origins,
                max_sessions=max_sessions,
                idle_minutes=idle_minutes,
            )
        except module.PortUnavailable as exc:
            raise BadInput(f"--port {port}: {exc.strerror}") from None


#: The executor options shared by the commands that run many models.
ExecutorOption = Annotated[
    str | None, typer.Option(help="processes (local, the default) or dask (a LocalCluster).")
]
SchedulerOption = Annotated[
    str | None, typer.Option(help="Address of an existing Dask scheduler (tcp://HOST:PORT).")
]


@app.command()
def sweep(
    sweep_file: Annotated[
        str | None,
        typer.Argument(help="Sweep file (YAML); optional with --resume.", metavar="SWEEP.yaml"),
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local worker processes.")] = None,
    executor: ExecutorOption = None,
    scheduler: SchedulerOption = None,
    out: Annotated[Path, typer.Option(help="Parent directory of sweep directories.")] = Path(
        "sweeps"
    ),
    resume: Annotated[
        str | None, typer.Option(help="Continue an interrupted sweep directory.", metavar="DIR")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override a value of the base scenario by its dotted path, e.g. --set "
            "steps=120 (repeatable; the sweep block is changed in the file).",
            metavar="KEY.PATH=VALUE",
        ),
    ] = None,
) -> None:
    """A parameter sweep (grid, LHS, Sobol, Morris) over a scenario; prints its directory.

    Ctrl-C keeps the finished runs and prints the command that resumes the sweep. The figures
    and report of a sweep: `coopsim report DIR` (the last line on stderr says so).
    """
    with _guard():
        if sweep_file is None and resume is None:
            raise BadInput("sweep needs a SWEEP.yaml file (or --resume DIR)")
        if resume is not None and not _is_dir(resume, f"--resume {resume}"):
            raise BadInput(f"--resume {resume}: no such directory")
        module = _optional_module("coopsim.experiments", "parameter sweeps")
        if executor is not None:
            from coopsim.executors import executor_kind

            try:
                executor_kind(executor)
            except ValueError as exc:
                raise BadInput(f"--executor: {exc}") from None
        overrides = _overrides(set_)
        if overrides and sweep_file is None:  # resuming: the directory's sweep.yaml rules
            raise BadInput(
                "--set: cannot change a sweep while resuming it; start a new sweep with the "
                "changed values"
            )
        spec = None
        if sweep_file is not None:  # loaded here to show its warnings
            spec = _load_sweep(sweep_file, overrides)
        options: dict[str, Any] = {
            "workers": workers,
            "scheduler": scheduler,
            "out": out,
            "resume": resume,
            "command": _command(),
        }
        if executor is not None:
            options["executor"] = executor
        _keep_freed_memory()
        try:
            path = module.run_sweep(spec, **options)
        except module.ExecutorUnavailable as exc:
            raise Unavailable(str(exc)) from None
        except module.DirectoryBusy as exc:  # another process is writing there
            _err(f"coopsim: {exc}")
            raise typer.Exit(1) from None
        typer.echo(str(path))
        _err(f"figures and report: coopsim report {shlex.quote(str(path))}")


# The run outputs `decompose` shows on the terminal (the report and the tables hold all).
DECOMPOSE_SHOWN = 3
_DECOMPOSE_FIELDS = {
    "from_mode": "--from",
    "to_mode": "--to",
    "seeds": "--seeds",
    "outputs": "--outputs",
    "resume": "--resume",
}


def run_decomposition(
    scenario_path: str | None,
    from_mode: str | None,
    to_mode: str | None,
    *,
    seeds: int = 10,
    outputs: str | None = None,
    seed: int | None = None,
    steps: int | None = None,
    sets: Sequence[str] = (),
    workers: int | None = None,
    executor: str | None = None,
    scheduler: str | None = None,
    out: Path = Path("decompositions"),
    resume: str | None = None,
    report: bool = True,
    command: str | None = None,
) -> tuple[Any, bool, Path | None]:
    """What ``coopsim decompose`` does (the demo calls it too).

    Returns the decomposition, whether the report (if any) succeeded, and its path.
    """
    module = _optional_module("coopsim.experiments.decomposition", "decomposition by rule")
    from coopsim.executors import ExecutorUnavailable
    from coopsim.experiments import DirectoryBusy

    if scenario_path is None and resume is None:
        raise BadInput(
            "decompose needs a SCENARIO.yaml file with --from and --to (or --resume DIR)"
        )
    if resume is not None and not _is_dir(resume, f"--resume {resume}"):
        raise BadInput(f"--resume {resume}: no such directory")
    if scenario_path is not None:
        for option, value in (("--from", from_mode), ("--to", to_mode)):
            if value is None:
                raise BadInput(f"{option}: name a governance mode, one of {', '.join(MODES)}")
    elif from_mode is not None or to_mode is not None or sets or steps is not None:
        raise BadInput(
            "--resume: a decomposition resumes from its directory's sweep.yaml; give the "
            "directory alone (or the scenario and options it was started with)"
        )
    if executor is not None:
        from coopsim.executors import executor_kind

        try:
            executor_kind(executor)
        except ValueError as exc:
            raise BadInput(f"--executor: {exc}") from None
    overrides = _overrides(sets, steps=steps)
    if scenario_path is not None:
        _load(scenario_path, overrides)  # invalid files stop here, with their lines; warnings
    options: dict[str, Any] = {
        "seeds": seeds,
        "outputs": outputs,
        "seed": seed,
        "overrides": overrides,
        "workers": workers,
        "scheduler": scheduler,
        "out": out,
        "resume": resume,
        "command": command or _command(),
    }
    if executor is not None:
        options["executor"] = executor
    _keep_freed_memory()
    try:
        result = module.decompose(scenario_path, from_mode, to_mode, **options)
    except module.DecompositionError as exc:
        where = _DECOMPOSE_FIELDS.get(exc.field) or scenario_path or exc.field
        raise BadInput(f"{where}: {exc.message}") from None
    except ExecutorUnavailable as exc:
        raise Unavailable(str(exc)) from None
    except DirectoryBusy as exc:
        _err(f"coopsim: {exc}")
        raise typer.Exit(1) from None
    _decomposition_table(result)
    return result, *_report(result.path, result.plan.scenario, report)


def _decomposition_table(result: Any) -> None:
    """The slots compared and their Shapley values on stderr (the report holds the rest)."""
    from rich.table import Table

    plan = result.plan
    console = _console()
    if not console.is_terminal:
        console.width = 140
    held = ", ".join(f"{s} ({m})" for s, m in plan.held.items())
    _err(
        f"compared {len(plan.compared)} slots: {', '.join(plan.compared)}"
        + (f"; held fixed by the scenario's governance.rules: {held}" if held else "")
        + (f"; the same rule in both modes: {', '.join(plan.identical)}" if plan.identical else "")
    )
    totals = result.totals.set_index("output")
    shown = [o for o in plan.outputs if o in totals.index][:DECOMPOSE_SHOWN]
    if not shown:
        return

    def cell(value: float, low: float, high: float) -> str:
        import math

        if not math.isfinite(value):
            return "–"
        if math.isfinite(low) and math.isfinite(high):
            return f"{value:+.2g} [{low:+.2g}, {high:+.2g}]"
        return f"{value:+.2g}"

    seeds = int(totals.loc[shown, "seeds"].min())
    _err(
        f"{plan.from_mode} → {plan.to_mode}: each slot's Shapley value [95% interval], "
        f"{seeds} seed{'s' if seeds != 1 else ''}"
    )
    table = Table()
    table.add_column("slot", no_wrap=True)
    for output in shown:
        table.add_column(output, justify="right", no_wrap=True)
    effects = result.effects.set_index(["output", "slot"])
    for slot in plan.compared:
        table.add_row(
            slot,
            *(
                cell(*effects.loc[(o, slot), ["shapley", "shapley_low", "shapley_high"]])
                for o in shown
            ),
        )
    table.add_row(
        "difference",
        *(cell(*totals.loc[o, ["difference", "difference_low", "difference_high"]]) for o in shown),
        end_section=True,
    )
    table.add_row(
        "interaction share",
        *(
            cell(
                *totals.loc[
                    o, ["interaction_share", "interaction_share_low", "interaction_share_high"]
                ]
            )
            for o in shown
        ),
    )
    console.print(table)


@app.command()
def decompose(
    scenario: Annotated[
        str | None,
        typer.Argument(
            help="Scenario file (YAML); optional with --resume.", metavar="SCENARIO.yaml"
        ),
    ] = None,
    from_: Annotated[
        str | None,
        typer.Option("--from", help="The first mode: " + ", ".join(MODES) + ".", metavar="MODE"),
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="The second mode.", metavar="MODE")] = None,
    seeds: Annotated[
        int,
        typer.Option(
            min=1, max=10_000, help="Seeds per composition (the same seeds in every composition)."
        ),
    ] = 10,
    outputs: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated run outputs to decompose (default: sustainability_index, "
            "cooperation_rate, participation_rate, mean_trust, public_value_total).",
            metavar="A,B",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="Root seed the seeds are drawn from (default: the scenario's)."),
    ] = None,
    steps: StepsOpt = None,
    set_: SetOpt = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local worker processes.")] = None,
    executor: ExecutorOption = None,
    scheduler: SchedulerOption = None,
    out: Annotated[
        Path, typer.Option(help="Parent directory of decomposition directories.")
    ] = Path("decompositions"),
    resume: Annotated[
        str | None,
        typer.Option(help="Continue an interrupted decomposition directory.", metavar="DIR"),
    ] = None,
    report: ReportOpt = True,
) -> None:
    """Which rule slots account for the difference between two governance modes.

    Runs every composition of the two modes' rules (each slot in which they differ takes
    either mode's rule: up to 2^7 = 128 compositions) on the same seeds, and reports each
    slot's Shapley value, its effect switched alone in the first mode and last in the second,
    and the share of the difference due to interactions, with bootstrap intervals over seeds.
    Slots the scenario's governance.rules sets are held fixed. Prints the directory; Ctrl-C
    keeps the finished runs and prints the command that resumes.
    """
    with _guard():
        result, reported, _ = run_decomposition(
            scenario,
            from_,
            to,
            seeds=seeds,
            outputs=outputs,
            seed=seed,
            steps=steps,
            sets=list(set_ or ()),
            workers=workers,
            executor=executor,
            scheduler=scheduler,
            out=out,
            resume=resume,
            report=report,
        )
        typer.echo(str(result.path))
        if not reported:
            raise typer.Exit(1)


@app.command()
def calibrate(
    calibration_file: Annotated[
        str | None,
        typer.Argument(
            help="Calibration file (YAML); optional with --resume.", metavar="CALIBRATION.yaml"
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Local worker processes (default 1: in this process, bit-reproducible; several "
            "reproduce the posterior in distribution).",
        ),
    ] = None,
    executor: ExecutorOption = None,
    scheduler: SchedulerOption = None,
    out: Annotated[Path, typer.Option(help="Parent directory of calibration directories.")] = Path(
        "calibrations"
    ),
    resume: Annotated[
        str | None,
        typer.Option(
            help="Continue a calibration directory from its last completed generation.",
            metavar="DIR",
        ),
    ] = None,
    report: ReportOpt = True,
) -> None:
    """Calibrate parameters against empirical targets (ABC-SMC with pyabc); prints the directory.

    Writes the posterior, credible intervals, the best parameter sets as a scenario
    (calibrated.yaml), a posterior predictive check of every target and a report. A killed
    calibration resumes from its last completed generation with --resume DIR.
    """
    with _guard():
        if calibration_file is None and resume is None:
            raise BadInput("calibrate needs a CALIBRATION.yaml file (or --resume DIR)")
        if calibration_file is not None and resume is not None:
            raise BadInput(
                "--resume: a calibration resumes from its directory's calibration.yaml; "
                "give the directory alone"
            )
        if resume is not None:
            if not _is_dir(resume, f"--resume {resume}"):
                raise BadInput(f"--resume {resume}: no such directory")
            if not (Path(resume) / "calibration.yaml").is_file():
                raise BadInput(
                    f"--resume {resume}: not a calibration directory (no calibration.yaml)"
                )
        if executor is not None:
            from coopsim.executors import executor_kind

            try:
                executor_kind(executor)
            except ValueError as exc:
                raise BadInput(f"--executor: {exc}") from None
        spec = _load_calibration(calibration_file) if calibration_file is not None else None
        try:
            import pyabc  # noqa: F401
        except ImportError:
            raise Unavailable('calibration needs pyabc: pip install "coopsim[calibrate]"') from None
        module = _optional_module("coopsim.calibration", "calibration")
        from coopsim.executors import ExecutorUnavailable

        _keep_freed_memory()
        try:
            path = module.run_calibration(
                spec,
                workers=workers or 1,
                executor=executor or "processes",
                scheduler=scheduler,
                out=out,
                resume=resume,
                command=_command(),
                report=report,
            )
        except ExecutorUnavailable as exc:
            raise Unavailable(str(exc)) from None
        except module.DirectoryBusy as exc:
            _err(f"coopsim: {exc}")
            raise typer.Exit(1) from None
        except module.CalibrationInterrupted as exc:
            _err(f"coopsim: {exc}")
            typer.echo(str(exc.path))
            raise typer.Exit(1) from None
        typer.echo(str(path))


@app.command()
def discover(
    sweep_dir: Annotated[str, typer.Argument(help="A finished sweep directory.", metavar="DIR")],
    outcome: Annotated[
        str, typer.Option(help="An output the sweep kept (the cases are its runs).")
    ],
    below: Annotated[
        float | None, typer.Option(help="Cases of interest: the outcome below this value.")
    ] = None,
    above: Annotated[
        float | None, typer.Option(help="Cases of interest: the outcome above this value.")
    ] = None,
    method: Annotated[str, typer.Option(help="prim (boxes) or cart (a tree's leaves).")] = "prim",
    threshold: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="PRIM: the density a box should reach."),
    ] = 0.8,
) -> None:
    """Scenario discovery: the regions of parameter space where an outcome fails (EMA
    Workbench's PRIM or CART). Writes tables and figures under DIR/discovery/ and prints the
    folder; the boxes are shown on stderr."""
    with _guard():
        if (below is None) == (above is None):
            raise BadInput("discover: give one of --below X or --above X")
        if method not in ("prim", "cart"):
            raise BadInput(f"--method: unknown method {method!r}: choose prim or cart")
        path = Path(sweep_dir)
        if not _is_dir(path, sweep_dir):
            raise BadInput(f"{sweep_dir}: no such directory")
        if not (path / "sweep.yaml").is_file() or not (path / "design.parquet").is_file():
            raise BadInput(f"{sweep_dir}: not a sweep directory (no sweep.yaml and design.parquet)")
        module = _optional_module("coopsim.experiments.discovery", "scenario discovery")
        try:
            found = module.discover(
                path, outcome, below=below, above=above, method=method, threshold=threshold
            )
        except ValueError as exc:
            raise BadInput(f"--outcome: {exc}") from None
        except ImportError as exc:
            raise Unavailable(str(exc)) from None
        folder = module.write_discovery(path, found)
        _discovery_table(found, module)
        typer.echo(str(folder))


def _discovery_table(found: Any, module: Any) -> None:
    from rich.table import Table

    console = _console()
    if not console.is_terminal:
        console.width = 140
    console.print(
        f"{found.of_interest} of {found.cases} runs have {found.describe()} "
        f"({found.share:.0%}); {found.method.upper()}:"
    )
    rows = module.as_table(found)
    if rows:
        table = Table(title_justify="left")
        for column in ("box", "coverage", "density", "mass", "limits"):
            table.add_column(column, justify="left" if column == "limits" else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    for note in found.notes:
        console.print(f"note: {note}")


def _version(value: bool) -> None:
    if value:
        from coopsim.io import package_versions

        typer.echo(f"coopsim {package_versions().get('coopsim') or 'unknown'}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """coopsim: cross-sector cooperation under four governance modes."""


def _sigterm_as_ctrl_c() -> None:
    """SIGTERM (what `timeout`, systemd, Slurm and `docker stop` send) ends a command as Ctrl-C
    does: finished work kept, the status `interrupted`, the resume command printed."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: os.kill(os.getpid(), signal.SIGINT))


def main(argv: Sequence[str] | None = None) -> None:
    """The console script: exit codes 0 (ok), 2 (bad usage or input), 1 (anything else)."""
    _sigterm_as_ctrl_c()
    try:
        app(args=list(argv) if argv is not None else None, prog_name="coopsim")
    except SystemExit:
        raise
    except BaseException as exc:  # nothing may escape as a traceback
        if os.environ.get("COOPSIM_DEBUG"):
            traceback.print_exc()
        _err(f"coopsim: error: {type(exc).__name__}: {exc}")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
