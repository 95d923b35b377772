"""What a calibration target can measure: outputs of the registry, and named statistics of runs.

A target never holds an expression. It names either an output of ``coopsim.model.outputs`` (a run
output, or a step output summarised over a span of steps) or one of the ``STATISTICS`` declared
here (each with its arguments, unit and meaning), and ``Measure`` computes it from the replicate
runs of one parameter set. Values are means over replicates, except the partnership statistics,
which pool the replicates' partnerships (one estimate from all of them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from coopsim.model import outputs
from coopsim.survival import cumulative_incidence, median_life

__all__ = [
    "AGGREGATES",
    "PARTNERSHIP_GROUPS",
    "STATISTICS",
    "Argument",
    "Measure",
    "RunData",
    "Statistic",
    "statistic_names",
]

AGGREGATES: dict[str, str] = {
    "mean": "mean over the steps",
    "sum": "sum over the steps",
    "first": "value at the first of the steps",
    "last": "value at the last of the steps",
}
PARTNERSHIP_GROUPS: dict[str, str] = {
    "all": "every partnership",
    "cross_sector": "partnerships whose members come from two sectors or more",
    "single_sector": "partnerships whose members all come from one sector",
}


@dataclass(frozen=True)
class RunData:
    """What a statistic reads of one run: ``summary()``, and the tables it needs."""

    summary: Mapping[str, Any]
    timeseries: pd.DataFrame | None = None
    partnerships: pd.DataFrame | None = None


@dataclass(frozen=True)
class Argument:
    """An argument of a statistic: a whole number in ``low..high`` or one of ``choices``."""

    meaning: str
    default: Any = None  # None: required
    low: int | None = None
    high: int | None = None
    choices: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is None

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not valid for this argument, or None."""
        if self.choices:
            if value not in self.choices:
                return "must be one of " + ", ".join(repr(c) for c in self.choices)
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        if self.low is not None and value < self.low:
            return f"must be at least {self.low}"
        if self.high is not None and value > self.high:
            return f"must be at most {self.high}"
        return None


@dataclass(frozen=True)
class Statistic:
    """A named statistic of the replicate runs of one parameter set."""

    name: str
    label: str
    unit: str
    meaning: str
    arguments: dict[str, Argument]
    compute: Callable[[Sequence[RunData], Mapping[str, Any]], float]
    low: float = -math.inf
    high: float = math.inf


def _partnerships(runs: Sequence[RunData], args: Mapping[str, Any]) -> pd.DataFrame:
    frames = [r.partnerships for r in runs if r.partnerships is not None]
    if not frames:
        return pd.DataFrame(columns=["formed", "age", "status", "sectors"])
    table = pd.concat(frames, ignore_index=True)
    table = table[table["formed"] >= args.get("formed_after", 0)]
    group = args.get("partnerships", "all")
    if group != "all":
        kinds = table["sectors"].map(_sector_count)
        table = table[kinds >= 2] if group == "cross_sector" else table[kinds == 1]
    return table


def _sector_count(sectors: Any) -> int:
    """Distinct sectors of one partnership: a list (``partnerships()``, Parquet) or, as tables
    written before 0.4 hold them, ``;``-joined text."""
    if isinstance(sectors, str):
        return len(set(filter(None, sectors.split(";"))))
    return len(set(sectors))


def _ends(table: pd.DataFrame) -> list[str]:
    return ["" if s == "active" else str(s) for s in table["status"]]


def _dissolution_incidence(runs: Sequence[RunData], args: Mapping[str, Any]) -> float:
    table = _partnerships(runs, args)
    return cumulative_incidence(table["age"].to_numpy(), _ends(table), "dissolved", args["at"])


def _life_median(runs: Sequence[RunData], args: Mapping[str, Any]) -> float:
    table = _partnerships(runs, args)
    return median_life(table["age"].to_numpy(), _ends(table))


_BURN_IN = Argument(
    "burn-in: only partnerships founded at this step or later count", default=0, low=0
)
_GROUP = Argument(
    "which partnerships count: " + "; ".join(f"{k}: {v}" for k, v in PARTNERSHIP_GROUPS.items()),
    default="all",
    choices=tuple(PARTNERSHIP_GROUPS),
)

STATISTICS: dict[str, Statistic] = {
    s.name: s
    for s in (
        Statistic(
            "dissolution_incidence",
            "Cumulative incidence of dissolution",
            "share of partnerships",
            "Share of partnerships dissolved by the age `at` (months), with completion as a "
            "competing end and the still active censored (Aalen–Johansen), pooled over the "
            "replicates.",
            {
                "at": Argument("age in months at which the incidence is read", low=1),
                "formed_after": _BURN_IN,
                "partnerships": _GROUP,
            },
            _dissolution_incidence,
            0.0,
            1.0,
        ),
        Statistic(
            "life_median",
            "Median partnership life",
            "months",
            "Age by which half of the partnerships have ended, dissolved or completed "
            "(Kaplan–Meier, the still active censored), pooled over the replicates; missing "
            "when fewer than half are seen to end.",
            {"formed_after": _BURN_IN, "partnerships": _GROUP},
            _life_median,
            0.0,
        ),
    )
}


def statistic_names() -> tuple[str, ...]:
    return tuple(STATISTICS)


def _finite_mean(values: Sequence[float]) -> float:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(finite)) if finite else math.nan


def _number(value: Any) -> float:
    if value is None or isinstance(value, str):
        return math.nan
    return float(value)


@dataclass(frozen=True)
class Measure:
    """What one target measures: an ``output`` of the registry (a step output with
    ``aggregate`` over ``steps``) or a named ``statistic`` with its ``arguments``."""

    output: str | None = None
    statistic: str | None = None
    arguments: tuple[tuple[str, Any], ...] = ()
    aggregate: str | None = None  # step outputs only
    steps: tuple[int, int] | None = None  # inclusive; None: every step
    level: str = field(default="run")

    @property
    def args(self) -> dict[str, Any]:
        return dict(self.arguments)

    @property
    def needs(self) -> frozenset[str]:
        """The tables of a run it reads: ``timeseries``, ``partnerships`` (the summary always)."""
        if self.statistic is not None:
            return frozenset({"partnerships"})
        return frozenset({"timeseries"}) if self.level == "step" else frozenset()

    @property
    def label(self) -> str:
        if self.statistic is not None:
            return STATISTICS[self.statistic].label
        output = outputs.get(self.output, self.level)  # type: ignore[arg-type]
        return output.label

    @property
    def unit(self) -> str:
        if self.statistic is not None:
            return STATISTICS[self.statistic].unit
        return outputs.get(self.output, self.level).unit  # type: ignore[arg-type]

    @property
    def bounds(self) -> tuple[float, float]:
        """The range the value can take (for figures)."""
        if self.statistic is not None:
            s = STATISTICS[self.statistic]
            return s.low, s.high
        o = outputs.get(self.output, self.level)  # type: ignore[arg-type]
        if self.level == "step" and self.aggregate == "sum":
            return (0.0 if o.low >= 0 else -math.inf), math.inf
        return o.low, o.high

    def describe(self) -> str:
        """In words, e.g. ``dissolution_incidence(at=60, formed_after=60)``."""
        if self.statistic is not None:
            inner = ", ".join(f"{k}={v}" for k, v in self.arguments)
            return f"{self.statistic}({inner})"
        if self.level == "step":
            span = f" over steps {self.steps[0]}–{self.steps[1]}" if self.steps else ""
            return f"{self.aggregate} of {self.output}{span}"
        return str(self.output)

    def value(self, runs: Sequence[RunData]) -> float:
        """The measure over the replicate runs of one parameter set (NaN when undefined)."""
        if self.statistic is not None:
            return float(STATISTICS[self.statistic].compute(runs, self.args))
        if self.level == "run":
            return _finite_mean([_number(r.summary.get(self.output)) for r in runs])
        return _finite_mean([self._step_value(r) for r in runs])

    def _step_value(self, run: RunData) -> float:
        frame = run.timeseries
        if frame is None or self.output not in frame:
            return math.nan
        if self.steps is not None:
            frame = frame[(frame["step"] >= self.steps[0]) & (frame["step"] <= self.steps[1])]
        column = pd.to_numeric(frame[self.output], errors="coerce")
        if column.empty:
            return math.nan
        if self.aggregate == "sum":
            return float(column.sum())
        if self.aggregate == "first":
            return float(column.iloc[0])
        if self.aggregate == "last":
            return float(column.iloc[-1])
        return float(column.mean())
