"""The per-step outputs, kept as growing numpy columns (8 bytes a value, not a Python object), and
the record phase that makes each step's row."""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from coopsim.model.metrics import gini
from coopsim.model.partnerships import ACTIVE
from coopsim.model.sectors import SECTOR_PAIRS, SECTORS, pair_code, pair_name
from coopsim.model.terms import forum

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState


class Record:
    """One row of outputs per step, one column per output: numbers in ``int64``/``float64``/
    ``bool`` arrays, text in object arrays; the columns double when full."""

    def __init__(self) -> None:
        self.size = 0
        self._cap = 0
        self._columns: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return self.size

    def append(self, row: dict[str, Any]) -> None:
        if not row:
            raise ValueError("a row needs at least one output")
        if not self._columns:
            self._columns = {key: np.empty(0, dtype=_dtype(v)) for key, v in row.items()}
        if row.keys() != self._columns.keys():
            raise ValueError("every row must have the outputs of the first row")
        if self.size >= self._cap:
            self._cap = max(64, 2 * self._cap)
            for key, col in self._columns.items():
                grown = np.empty(self._cap, dtype=col.dtype)
                grown[: self.size] = col[: self.size]
                self._columns[key] = grown
        for key, value in row.items():
            col = self._columns[key]
            kind = _SAME.get(type(value))
            if kind == col.dtype.kind and (kind != "i" or _INT64.min <= value <= _INT64.max):
                col[self.size] = value  # the usual case: it fits as it is
                continue
            wanted = _widest(col.dtype, _dtype(value))
            if wanted != col.dtype:  # e.g. an int output that turns fractional, or None
                col = self._columns[key] = col.astype(wanted)
            col[self.size] = np.nan if value is None and wanted.kind != "O" else value
        self.size += 1

    def last(self) -> dict[str, Any]:
        """The latest row, as Python values (empty before the first step)."""
        if not self.size:
            return {}
        return {k: _python(col[self.size - 1]) for k, col in self._columns.items()}

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: col[: self.size] for k, col in self._columns.items()})

    @property
    def nbytes(self) -> int:
        """Bytes held by the columns (as allocated) and by the objects of text columns."""
        total = sum(col.nbytes for col in self._columns.values())
        for col in self._columns.values():
            if col.dtype == object:
                distinct = {id(v): v for v in col[: self.size].tolist()}
                total += sum(sys.getsizeof(v) for v in distinct.values())
        return total


_INT64 = np.iinfo(np.int64)
# Python types whose values a column of that kind holds unchanged (others take the long road).
_SAME = {float: "f", int: "i", bool: "b", str: "O"}


def _dtype(value: Any) -> np.dtype:
    """The column type a value needs: bool, int64, float64 (None as NaN) or object."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(bool)
    if isinstance(value, (int, np.integer)):
        return np.dtype(np.int64) if _INT64.min <= value <= _INT64.max else np.dtype(object)
    if value is None or isinstance(value, (float, np.floating)):
        return np.dtype(np.float64)
    return np.dtype(object)


def _widest(column: np.dtype, value: np.dtype) -> np.dtype:
    """bool < int64 < float64 among numbers; anything else makes the column hold objects."""
    if column == value:
        return column
    if object in (column, value):
        return np.dtype(object)
    if np.dtype(bool) in (column, value):  # True is not 1: mixing bools and numbers keeps both
        return np.dtype(object)
    return np.promote_types(column, value)


def _python(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# --------------------------------------------------------------------------------------------------
# The record phase


def observe(model: CoopModel, state: StepState) -> None:
    """Phase: the step's outputs, one row of ``model.record``, in the order of the outputs
    registry (``model.step_outputs``: every step output recorded for the sectors present)."""
    orgs, rel, s = model.orgs, model.relationships, state
    eff = rel.effective()
    row: dict[str, Any] = {
        "step": s.t,
        "mode": model.mode.name,
        "demand": model.demand,
        "budget": model.budget,
        "participation_rate": np.count_nonzero(orgs.memberships) / orgs.n if orgs.n else 0.0,
        "mean_trust": float(eff.mean()) if len(eff) else model.config.trust.initial_personal,
        "active_partnerships": int(
            np.count_nonzero(model.partnerships_table.view("status") == ACTIVE)
        ),
        "partnerships_formed": s.formed,
    }
    for name in _ROUND_OUTPUTS:
        row[name] = getattr(s, name)
    model.cumulative_value += s.public_value
    row["public_value_cumulative"] = model.cumulative_value
    row["negotiation_costs"] = s.negotiation_costs
    row["proposals_withdrawn"] = s.proposals_withdrawn
    row["negotiations"] = s.negotiations
    row.update(forum(s.agreed_surplus, s.agreements, s.negotiations))
    row["control_conceded"] = float(s.concessions.mean()) if len(s.concessions) else math.nan
    row["transaction_costs"] = s.negotiation_costs + s.monitoring_costs + s.enforcement_costs
    row["peak_dues"] = s.peak_dues
    row["peak_pool"] = float(model.peak_pool.sum())
    row["peak_expulsions"] = s.peak_expulsions
    row["demand_bound"] = int(s.demand_bound)
    row["cross_sector_share"] = cross_sector_share(model, s)
    row["members_replaced"] = model.members_replaced
    model.members_replaced = 0
    total = s.benefit_by_sector.sum()
    for k, name in enumerate(SECTORS):
        share = s.benefit_by_sector[k] / total if total > 0 else math.nan  # a share of nothing
        row[f"benefit_share_{name}"] = float(share)
    row.update(_control(model))
    row["benefit_gini"] = gini(orgs.benefit_total)
    row.update(_sector_trust(model, eff))
    row["mean_propensity"] = float(orgs.propensity.mean()) if orgs.n else 0.0
    row["mean_motivation"] = float(orgs.effective_motivation().mean()) if orgs.n else 0.0
    row["institutionalisation"] = float(rel.view("institutionalised").mean()) if len(rel) else 0.0
    row["liaison_changes"] = int(orgs.liaison_changes.sum())
    row["enforcement_strength"] = model.enforcement_strength
    model.last_value = s.public_value
    if row.keys() != model.step_outputs.keys():
        raise RuntimeError(
            f"recorded outputs differ from the registry's: {set(row) ^ set(model.step_outputs)}"
        )
    model.record.append({name: row[name] for name in model.step_outputs})


def _control(model: CoopModel) -> dict[str, float]:
    """Each sector's share of the control held in active partnerships now, and the members'
    mean shared understanding (none without an active partnership)."""
    mem = model.members
    rows = np.flatnonzero(mem.view("active"))
    sector = model.orgs.sector[mem.organisation[rows]]
    held = np.bincount(sector, weights=mem.control[rows], minlength=len(SECTORS))
    total = held.sum()
    out = {
        f"control_share_{name}": float(held[k] / total) if total > 0 else math.nan
        for k, name in enumerate(SECTORS)
    }
    out["mean_understanding"] = float(mem.understanding[rows].mean()) if len(rows) else math.nan
    return out


def cross_sector_share(model: CoopModel, state: StepState) -> float:
    """Share of this step's active partnerships whose members span at least two sectors."""
    if not len(state.ids):
        return math.nan
    key = np.unique(state.pid * len(SECTORS) + model.orgs.sector[state.org])
    return float(np.mean(np.bincount(key // len(SECTORS), minlength=len(state.ids)) >= 2))


_ROUND_OUTPUTS = (
    "cooperation_rate",
    "free_riding_rate",
    "partner_trust",
    "public_value",
    "monitoring_costs",
    "enforcement_costs",
    "sanctions",
    "rewards",
    "budget_spent",
    "seed_finance",
    "members_left",
    "exit_penalties",
    "partnerships_dissolved",
    "partnerships_completed",
    "dilemma_strength",
    "dilemma_after_incentives",
)


def sector_pairs(sector: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Each pair of sectors present, once: its relationship ``pair`` code and output name."""
    present = np.flatnonzero(np.bincount(sector, minlength=len(SECTORS))).tolist()
    pairs = [(a, b) for i, a in enumerate(present) for b in present[i:]]
    codes = np.array([pair_code(a, b) for a, b in pairs], dtype=np.int64)
    return codes, [pair_name(a, b) for a, b in pairs]


def _sector_trust(model: CoopModel, eff: np.ndarray) -> dict[str, float]:
    """Mean effective trust between each pair of sectors present (either direction)."""
    codes, names = model.sector_pairs
    rel = model.relationships
    sums = np.bincount(rel.view("pair"), weights=eff, minlength=SECTOR_PAIRS)[codes]
    counts = rel.pair_count[codes]
    mean = sums / np.maximum(counts, 1)
    values = np.where(counts > 0, mean, model.config.trust.initial_personal)
    return dict(zip(names, values.tolist(), strict=True))
