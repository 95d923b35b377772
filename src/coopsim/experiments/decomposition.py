"""Which rule slots account for the difference between two governance modes.

A mode is a composition of seven rules, one per slot (``coopsim.model.modes``). ``decompose``
runs every composition of two modes' rules — each compared slot takes either mode's rule: 2^k
compositions for k compared slots, at most 128 — on the same seeds (common random numbers), as a
grid sweep over ``governance.rules.<slot>`` with the scenario's mode set to the first mode. It
goes through the sweep machinery (``run_sweep``: local processes or Dask, progress, Parquet
parts, resume, nothing run twice), then attributes each output's difference to the slots
(``coopsim.experiments.shapley``)::

    from coopsim.experiments import decompose, load_decomposition

    result = decompose("scenarios/baseline.yaml", "statism", "governance", seeds=10)
    result.effects      # per output and slot: Shapley value, one-at-a-time effects, intervals
    result.totals       # per output: both ends, the difference, the interaction share
    result.dividends    # per output and set of slots: its Harsanyi dividend
    load_decomposition(result.path)                     # the same tables, from the directory
    decompose(resume="decompositions/20260101T120000Z_baseline-statism-to-governance_ab12cd34")

Slots the scenario's ``governance.rules`` already sets are held fixed in both modes and not
compared; slots whose rule is the same in both modes contribute nothing and are not compared. The
mode name is a label (a mode is its rules), so the composition with every compared slot
switched runs as the second mode does.

Intervals: a percentile bootstrap over seeds (``scipy.stats.bootstrap``), each seed resampled
with all its compositions, so every contrast stays paired; seeded from the decomposition's seed,
so the same directory gives the same intervals. Seeds missing a composition (a failed run, an
output without a value) are left out of that output.

The directory is a sweep directory (``metadata.json`` kind ``decomposition``) with, once every
run has finished, ``effects.parquet`` (and ``effects.csv``), ``totals.parquet`` and
``dividends.parquet``; ``coopsim report DIR`` draws the waterfall and writes the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coopsim import io
from coopsim.experiments import shapley
from coopsim.experiments.analysis import load_results
from coopsim.experiments.runner import Progress, run_sweep
from coopsim.experiments.store import SweepStore
from coopsim.model import outputs as registry
from coopsim.model.config import MODES
from coopsim.model.modes import MODE_RULES
from coopsim.model.rules import SLOTS
from coopsim.scenario import Scenario, load_scenario, scenario_from_dict
from coopsim.scenario.schema import scenario_to_dict
from coopsim.scenario.sweep import MAX_REPLICATES, Sweep, indicator_names, load_sweep
from coopsim.scenario.sweep import sweep_from_dict as _sweep_from_dict

__all__ = [
    "DEFAULT_OUTPUTS",
    "KIND",
    "Decomposition",
    "DecompositionError",
    "DecompositionPlan",
    "analyse_compositions",
    "composition_values",
    "decompose",
    "load_decomposition",
    "plan_decomposition",
    "plan_from_sweep",
    "write_tables",
]

KIND = "decomposition"
PREFIX = "governance.rules."
DEFAULT_OUTPUTS: tuple[str, ...] = (
    "sustainability_index",
    "cooperation_rate",
    "participation_rate",
    "mean_trust",
    "public_value_total",
)
LEVEL = 0.95
RESAMPLES = 2_000
TABLES = ("effects", "totals", "dividends")


class DecompositionError(ValueError):
    """An invalid request: ``field`` names what is wrong (``from_mode``, ``to_mode``, ``seeds``,
    ``outputs``, ``scenario``, ``resume``), ``message`` says what."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


# --------------------------------------------------------------------------------------------------
# The plan: which slots are compared, and the sweep that runs their compositions


@dataclass(frozen=True)
class DecompositionPlan:
    """Two modes on one scenario: the compared slots (in ``SLOTS`` order; slot *i* is bit *i*
    of a composition), those held by the scenario, those identical in both modes."""

    scenario: Scenario  # governance.mode is ``from_mode``; compared slots are unset
    from_mode: str
    to_mode: str
    compared: tuple[str, ...]
    held: dict[str, str]
    identical: tuple[str, ...]
    seeds: int
    seed: int
    outputs: tuple[str, ...]
    scenario_steps: int | None = None  # the scenario file's own horizon, where it was changed

    @property
    def compositions(self) -> int:
        return 1 << len(self.compared)

    @property
    def runs(self) -> int:
        return self.compositions * self.seeds

    @property
    def name(self) -> str:
        suffix = f"-{self.from_mode}-to-{self.to_mode}"
        return self.scenario.name[: 64 - len(suffix)].rstrip("-_") + suffix

    def sweep(self) -> Sweep:
        """The grid sweep over the compared slots: 2^k points × ``seeds`` common seeds."""
        base = scenario_to_dict(self.scenario)
        data = {
            "name": self.name,
            "description": (
                f"Decomposition of {self.to_mode} − {self.from_mode} by rule slot: every "
                f"composition of the two modes' rules for {', '.join(self.compared)}"
                + (f"; held as the scenario sets them: {_listing(self.held)}" if self.held else "")
                + "."
            ),
            "scenario": base,
            "sweep": {
                "design": "grid",
                "replicates": self.seeds,
                "seed": self.seed,
                "seeds": "common",
                "parameters": {
                    PREFIX + slot: [self.from_mode, self.to_mode] for slot in self.compared
                },
                "outputs": list(self.outputs),
            },
        }
        return _sweep_from_dict(data, f"<decomposition of {self.scenario.name}>")

    def details(self) -> dict[str, Any]:
        """What metadata.json records of the decomposition."""
        out: dict[str, Any] = {
            "from": self.from_mode,
            "to": self.to_mode,
            "compared": list(self.compared),
            "held": dict(self.held),
            "identical": list(self.identical),
            "compositions": self.compositions,
            "steps": self.scenario.steps,
        }
        if self.scenario_steps is not None and self.scenario_steps != self.scenario.steps:
            out["scenario_steps"] = self.scenario_steps
        return out


def _listing(rules: Mapping[str, str]) -> str:
    return ", ".join(f"{slot} ({mode})" for slot, mode in rules.items())


def _mode(value: Any, field: str) -> str:
    if value is None:
        raise DecompositionError(field, f"name a governance mode, one of {', '.join(MODES)}")
    if value not in MODES:
        raise DecompositionError(
            field, f"unknown governance mode {value!r}; choose from {', '.join(MODES)}"
        )
    return str(value)


def _outputs(names: Sequence[str] | str | None) -> tuple[str, ...]:
    if names is None:
        names = DEFAULT_OUTPUTS
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    if not names:
        raise DecompositionError("outputs", "name at least one run output")
    known = indicator_names()
    for name in names:
        if name not in known:
            close = registry.suggest(name, known)
            hint = f"did you mean {close!r}?" if close else "see `coopsim outputs run`"
            raise DecompositionError(
                "outputs", f"{name!r} is not a numeric run output of the model: {hint}"
            )
    return tuple(dict.fromkeys(names))


def _scenario(
    scenario: Scenario | str | Path | Mapping[str, Any], overrides: Sequence[Any]
) -> tuple[Scenario, int | None]:
    """The scenario with ``overrides`` applied, and its own steps where they changed them."""
    if isinstance(scenario, Scenario):
        if overrides:
            raise TypeError("overrides apply to a scenario file or dict, not to a Scenario")
        return scenario, None
    if isinstance(scenario, Mapping):
        loaded = scenario_from_dict(dict(scenario), "<dict>", overrides)
        own = scenario_from_dict(dict(scenario), "<dict>") if overrides else loaded
    elif isinstance(scenario, str | Path):
        loaded = load_scenario(scenario, overrides)
        own = load_scenario(scenario) if overrides else loaded
    else:
        raise TypeError(
            f"expected a scenario file path, a dict or a Scenario (got {type(scenario).__name__})"
        )
    return loaded, own.steps


def plan_decomposition(
    scenario: Scenario | str | Path | Mapping[str, Any],
    from_mode: str,
    to_mode: str,
    *,
    seeds: int = 10,
    outputs: Sequence[str] | str | None = None,
    seed: int | None = None,
    overrides: Sequence[Any] = (),
) -> DecompositionPlan:
    """Check a request and decide what to compare. ``DecompositionError`` names the field of a
    bad request; ``ScenarioError`` reports an invalid scenario or override."""
    first, second = _mode(from_mode, "from_mode"), _mode(to_mode, "to_mode")
    if first == second:
        raise DecompositionError(
            "to_mode", f"the same mode as the first ({first}): name two different modes"
        )
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= MAX_REPLICATES:
        raise DecompositionError(
            "seeds", f"must be a whole number from 1 to {MAX_REPLICATES:,} (got {seeds!r})"
        )
    kept = _outputs(outputs)
    loaded, own_steps = _scenario(scenario, overrides)
    governance = loaded.governance
    if governance.switch:
        at = ", ".join(str(s.at) for s in governance.switch)
        raise DecompositionError(
            "scenario",
            f"governance.switch: the scenario changes mode during the run (at step {at}); a "
            "decomposition compares two modes over the whole run: remove the reforms",
        )
    held = governance.rules.chosen()
    differing = [s for s in SLOTS if MODE_RULES[first][s] is not MODE_RULES[second][s]]
    compared = tuple(s for s in differing if s not in held)
    identical = tuple(s for s in SLOTS if s not in differing and s not in held)
    if not compared:
        raise DecompositionError(
            "scenario",
            f"governance.rules: the scenario fixes every slot in which {first} and {second} "
            f"differ ({', '.join(differing)}): nothing is left to compare",
        )
    data = scenario_to_dict(loaded)
    data["governance"]["mode"] = first
    data["governance"]["rules"] = {s: m for s, m in held.items()}
    resolved = scenario_from_dict(data, f"<{loaded.name}>")
    root = loaded.seed if seed is None else seed
    return DecompositionPlan(
        scenario=resolved,
        from_mode=first,
        to_mode=second,
        compared=compared,
        held=held,
        identical=identical,
        seeds=seeds,
        seed=int(root),
        outputs=kept,
        scenario_steps=own_steps,
    )


def plan_from_sweep(sweep: Sweep, details: Mapping[str, Any] | None = None) -> DecompositionPlan:
    """The plan a decomposition directory's sweep.yaml was written from."""
    compared = []
    to_modes = set()
    for p in sweep.parameters:
        slot = p.name.removeprefix(PREFIX)
        if not p.name.startswith(PREFIX) or slot not in SLOTS or len(p.values or ()) != 2:
            raise DecompositionError(
                "resume", f"not a decomposition: the sweep varies {p.name}, not a rule slot"
            )
        compared.append(slot)
        to_modes.add(p.values[1])
    first = sweep.scenario.governance.mode
    if len(to_modes) != 1 or not compared:
        raise DecompositionError("resume", "not a decomposition: no single second mode")
    second = to_modes.pop()
    held = sweep.scenario.governance.rules.chosen()
    identical = tuple(s for s in SLOTS if s not in compared and s not in held)
    own = (details or {}).get("scenario_steps")
    return DecompositionPlan(
        scenario=sweep.scenario,
        from_mode=first,
        to_mode=second,
        compared=tuple(compared),
        held=held,
        identical=identical,
        seeds=sweep.replicates,
        seed=sweep.seed,
        outputs=sweep.outputs,
        scenario_steps=int(own) if own is not None else None,
    )


# --------------------------------------------------------------------------------------------------
# Running


@dataclass
class Decomposition:
    """A decomposition directory and its tables (tidy: one row per output and slot, per output,
    per output and set of slots)."""

    path: Path
    plan: DecompositionPlan
    effects: pd.DataFrame
    totals: pd.DataFrame
    dividends: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def from_mode(self) -> str:
        return self.plan.from_mode

    @property
    def to_mode(self) -> str:
        return self.plan.to_mode

    @property
    def compared(self) -> tuple[str, ...]:
        return self.plan.compared

    @property
    def held(self) -> dict[str, str]:
        return self.plan.held

    @property
    def complete(self) -> bool:
        return str(self.metadata.get("status", "")).startswith("complete")


def decompose(
    scenario: Scenario | str | Path | Mapping[str, Any] | None = None,
    from_mode: str | None = None,
    to_mode: str | None = None,
    *,
    seeds: int = 10,
    outputs: Sequence[str] | str | None = None,
    seed: int | None = None,
    overrides: Sequence[Any] = (),
    workers: int | None = None,
    executor: str | None = "processes",
    scheduler: str | None = None,
    out: str | Path = "decompositions",
    resume: str | Path | None = None,
    progress: bool | Progress = True,
    command: str | None = None,
    flush_seconds: float | None = None,
) -> Decomposition:
    """Run every composition of two modes' rules on ``scenario`` and attribute the difference
    to the slots; or continue the directory ``resume`` (the scenario and modes may then be
    left out; if given, they must match it).

    ``seeds`` per composition (the same seeds in all), ``seed`` their root (default: the
    scenario's), ``outputs`` the run outputs to decompose, ``overrides`` changes to the
    scenario (``--set`` texts or ``Override``). ``workers``, ``executor``, ``scheduler``,
    ``progress``: as for ``run_sweep``. Writes the tables into the directory once every run has
    finished, and returns them. Raises ``DecompositionError`` for a bad request,
    ``ScenarioError`` for an invalid scenario and ``SweepInterrupted`` on Ctrl-C.
    """
    spec = None
    plan = None
    if scenario is not None or from_mode is not None or to_mode is not None:
        if scenario is None:
            raise DecompositionError("scenario", "name a scenario (or resume a directory)")
        plan = plan_decomposition(
            scenario,
            from_mode,  # type: ignore[arg-type]
            to_mode,  # type: ignore[arg-type]
            seeds=seeds,
            outputs=outputs,
            seed=seed,
            overrides=overrides,
        )
        spec = plan.sweep()
    elif resume is None:
        raise DecompositionError("scenario", "name a scenario and two modes (or resume=DIR)")
    if resume is not None:
        _check_directory(Path(resume))
    options: dict[str, Any] = {
        "workers": workers,
        "executor": executor,
        "scheduler": scheduler,
        "out": out,
        "resume": resume,
        "progress": progress,
        "command": command,
        "kind": KIND,
        "details": {KIND: plan.details()} if plan is not None else None,
    }
    if flush_seconds is not None:
        options["flush_seconds"] = flush_seconds
    path = run_sweep(spec, **options)
    result = load_decomposition(path)
    if result.complete:
        write_tables(result)
    return result


def _check_directory(path: Path) -> None:
    store = SweepStore(path)
    if not path.is_dir():
        raise DecompositionError("resume", f"{path}: no such directory")
    if not store.sweep_file.is_file():
        raise DecompositionError("resume", f"{path}: not a decomposition directory (no sweep.yaml)")
    kind = store.read_metadata().get("kind")
    if kind not in (None, KIND):
        raise DecompositionError(
            "resume", f"{path}: a {kind} directory, not a decomposition directory"
        )


def write_tables(result: Decomposition) -> None:
    """``effects.parquet`` (and ``.csv``), ``totals.parquet``, ``dividends.parquet``."""
    for name in TABLES:
        io.write_parquet(result.path / f"{name}.parquet", getattr(result, name))
    with io.atomic_path(result.path / "effects.csv") as tmp:
        result.effects.to_csv(tmp, index=False)


# --------------------------------------------------------------------------------------------------
# Reading and analysing


def load_decomposition(
    path: str | Path, *, level: float = LEVEL, resamples: int = RESAMPLES
) -> Decomposition:
    """A decomposition directory's tables, computed from its finished runs (only seeds with
    every composition finished count; an unfinished directory gives partial tables)."""
    path = Path(path)
    store = SweepStore(path)
    meta = store.read_metadata()
    sweep = load_sweep(store.sweep_file)
    plan = plan_from_sweep(sweep, meta.get(KIND))
    frame = load_results(path, plan.outputs) if store.parts() else pd.DataFrame()
    effects, totals, dividends = analyse_compositions(frame, plan, level=level, resamples=resamples)
    return Decomposition(path, plan, effects, totals, dividends, meta)


def composition_values(frame: pd.DataFrame, plan: DecompositionPlan, output: str) -> np.ndarray:
    """One output as a table seeds × compositions (bit *i*: compared slot *i* switched);
    NaN where a run is missing, failed or has no value."""
    table = np.full((plan.seeds, plan.compositions), np.nan)
    if frame.empty:
        return table
    ok = frame["error"].isna().to_numpy() if "error" in frame else np.ones(len(frame), bool)
    mask = np.zeros(len(frame), dtype=np.int64)
    for i, slot in enumerate(plan.compared):
        mask |= (frame[PREFIX + slot].astype(str).to_numpy() == plan.to_mode).astype(np.int64) << i
    replicate = frame["replicate"].to_numpy(dtype=np.int64)
    values = frame[output].to_numpy(dtype=np.float64)
    table[replicate[ok], mask[ok]] = values[ok]
    return table


def _statistics(per_seed: np.ndarray, k: int) -> np.ndarray:
    """Per seed (leading axes) the linear statistics: from, to, difference, interaction, then
    Shapley values, effects in the first and in the second mode (k each)."""
    return np.concatenate(
        [
            per_seed[..., :1],
            per_seed[..., -1:],
            per_seed[..., -1:] - per_seed[..., :1],
            shapley.interaction(per_seed)[..., None],
            shapley.shapley_values(per_seed),
            shapley.effects_in_first(per_seed),
            shapley.effects_in_second(per_seed),
        ],
        axis=-1,
    )


def _with_share(means: np.ndarray) -> np.ndarray:
    """Append the interaction share (interaction / difference; NaN where there is none)."""
    difference, inter = means[..., 2], means[..., 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(difference != 0, inter / difference, np.nan)
    return np.concatenate([means, share[..., None]], axis=-1)


def _intervals(
    stats: np.ndarray, level: float, resamples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap intervals of the seed means (and of the interaction share, from
    the same resamples), each seed resampled with all its compositions."""
    n, m = stats.shape
    nan = np.full(m + 1, np.nan)
    if n < 2:
        return nan, nan
    from scipy.stats import bootstrap

    def statistic(index: np.ndarray, axis: int = -1) -> np.ndarray:
        chosen = stats[np.asarray(index, dtype=np.int64)]  # (..., n, m)
        return np.moveaxis(chosen.mean(axis=-2), -1, 0)

    result = bootstrap(
        (np.arange(n),),
        statistic,
        vectorized=True,
        n_resamples=resamples,
        batch=200,
        confidence_level=level,
        method="percentile",
        rng=rng,
    )
    low = np.asarray(result.confidence_interval.low, dtype=np.float64)
    high = np.asarray(result.confidence_interval.high, dtype=np.float64)
    # The share is a ratio: NaN where a resample has no difference (scipy would warn).
    share = _with_share(np.moveaxis(result.bootstrap_distribution, 0, -1))[..., -1]
    alpha = (1 - level) / 2
    share_low, share_high = (
        np.quantile(share, [alpha, 1 - alpha]) if np.isfinite(share).all() else (np.nan, np.nan)
    )
    return np.append(low, share_low), np.append(high, share_high)


def analyse_compositions(
    frame: pd.DataFrame,
    plan: DecompositionPlan,
    *,
    level: float = LEVEL,
    resamples: int = RESAMPLES,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The effects, totals and dividends tables from the finished runs of a decomposition."""
    k = len(plan.compared)
    # The bootstrap's own stream: child 2 of the sweep's root (children 0 and 1 draw the design
    # and the run seeds), so the intervals are fixed by the directory.
    root = np.random.SeedSequence(plan.seed, spawn_key=(2,))
    effects, totals, dividends = [], [], []
    sizes = shapley.coalition_sizes(k)
    streams = root.spawn(len(plan.outputs))
    for j, output in enumerate(plan.outputs):
        values = composition_values(frame, plan, output)
        complete = values[np.isfinite(values).all(axis=1)]
        stats = _statistics(complete, k)
        with np.errstate(invalid="ignore"):
            point = (
                _with_share(stats.mean(axis=0))
                if len(complete)
                else np.full(stats.shape[1] + 1, np.nan)
            )
        rng = np.random.default_rng(streams[j])
        low, high = _intervals(stats, level, resamples, rng)

        def trio(i: int, name: str, low=low, high=high, point=point) -> dict[str, float]:
            return {name: point[i], f"{name}_low": low[i], f"{name}_high": high[i]}

        totals.append(
            {
                "output": output,
                "from_mode": plan.from_mode,
                "to_mode": plan.to_mode,
                **trio(0, "from_value"),
                **trio(1, "to_value"),
                **trio(2, "difference"),
                **trio(3, "interaction"),
                **trio(4 + 3 * k, "interaction_share"),
                "seeds": len(complete),
                "seeds_planned": plan.seeds,
                "compared": len(plan.compared),
            }
        )
        for i, slot in enumerate(plan.compared):
            effects.append(
                {
                    "output": output,
                    "slot": slot,
                    "from_rule": MODE_RULES[plan.from_mode][slot].__name__,
                    "to_rule": MODE_RULES[plan.to_mode][slot].__name__,
                    **trio(4 + i, "shapley"),
                    **trio(4 + k + i, "effect_in_from"),
                    **trio(4 + 2 * k + i, "effect_in_to"),
                }
            )
        mean = complete.mean(axis=0) if len(complete) else np.full(plan.compositions, np.nan)
        dividend = shapley.harsanyi_dividends(mean)
        for mask in range(1, plan.compositions):
            members = [s for i, s in enumerate(plan.compared) if mask >> i & 1]
            dividends.append(
                {
                    "output": output,
                    "slots": "+".join(members),
                    "order": int(sizes[mask]),
                    "dividend": dividend[mask],
                }
            )
    return (
        _frame(effects, ["output", "slot", "from_rule", "to_rule"]),
        _frame(totals, ["output", "from_mode", "to_mode"]),
        _frame(dividends, ["output", "slots"]),
    )


def _frame(rows: list[dict[str, Any]], text: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=list(text))
    for column in frame.columns:
        if column in text:
            frame[column] = frame[column].astype("string")
        elif column in ("seeds", "seeds_planned", "compared", "order"):
            frame[column] = frame[column].astype(np.int64)
        else:
            frame[column] = frame[column].astype(np.float64)
    return frame
