"""Invariants of a model state: what must hold after every step, whatever the parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coopsim.model import outputs

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel

_TOL = 1e-9


class InvariantError(AssertionError):
    """A model invariant does not hold."""


def _unit(name: str, x: np.ndarray, problems: list[str]) -> None:
    if len(x) and not (np.all(np.isfinite(x)) and x.min() >= -_TOL and x.max() <= 1 + _TOL):
        bad = x[~(np.isfinite(x) & (x >= -_TOL) & (x <= 1 + _TOL))]
        problems.append(f"{name} outside [0, 1] ({len(bad)} values, e.g. {bad[0]!r})")


def invariant_violations(model: CoopModel) -> list[str]:
    """Every broken invariant, as readable sentences (empty when all hold)."""
    problems: list[str] = []
    rel, orgs, mem, table = model.relationships, model.orgs, model.members, model.partnerships_table
    for name in ("personal", "institutional", "damage", "institutionalised"):
        _unit(
            f"relationship {name} trust" if name != "damage" else "trust damage",
            rel.view(name),
            problems,
        )
    _unit("effective trust", rel.effective(), problems)
    for name in ("crowding", "propensity", "capacity", "collaborative_capacity"):
        _unit(f"organisation {name}", getattr(orgs, name), problems)
    if np.any(orgs.endowment < 0) or np.any(orgs.available < -_TOL):
        problems.append("negative resources")
    live = mem.live()
    counts = np.bincount(mem.organisation[live], minlength=orgs.n)
    if not np.array_equal(counts, orgs.memberships):
        problems.append("membership counts disagree with active member rows")
    if np.any(orgs.memberships > model.config.partnerships.max_memberships):
        problems.append("an organisation holds more memberships than allowed")
    active = np.zeros(table.size, dtype=bool)
    active[table.active()] = True
    if np.any(~active[mem.partnership[live]]):
        problems.append("an active member row belongs to an ended partnership")
    pairs = mem.partnership[live] * max(orgs.n, 1) + mem.organisation[live]
    if len(np.unique(pairs)) != len(pairs):
        problems.append("an organisation holds two seats in one partnership")
    held = np.zeros_like(model.slots)
    held[mem.organisation[live], mem.slot[live]] = True
    if len(np.unique(mem.organisation[live] * held.shape[1] + mem.slot[live])) != len(live):
        problems.append("two memberships share one membership slot")
    elif not np.array_equal(held, model.slots):
        problems.append("membership slots disagree with active member rows")
    if np.any(rel.view("source") == rel.view("target")):
        problems.append("an organisation has a relationship with itself")
    _unit("delivery share", mem.delivery[live], problems)
    led = model.ledger
    if led:
        if led["delivered"] > led["committed"] * (1 + 1e-9) + _TOL:
            problems.append("more delivered than committed")
        if led["overcommitted"] > 1e-6:
            problems.append("an organisation committed more than it has")
        accounted = led["benefits"] + led["costs_paid"]
        if abs(led["value"] - accounted) > 1e-6 * max(1.0, led["value"]):
            problems.append(f"value not accounted for ({led['value']} vs {accounted})")
        pool = led["peak_pool_before"] + led["peak_pool_in"] - led["peak_pool_out"]
        # rounding grows with the amounts that flowed, not with what is left of them
        flows = max(1.0, pool, led["peak_pool_before"], led["peak_pool_in"], led["peak_pool_out"])
        if abs(pool - led["peak_pool_after"]) > 1e-9 * flows:
            problems.append(f"peak pools not accounted for ({pool} vs {led['peak_pool_after']})")
        if led["peak_pool_after"] < -1e-9:
            problems.append("a peak's pool is overdrawn")
        if led["budget_left"] < -1e-6:
            problems.append(f"budget overspent by {-led['budget_left']}")
    last = {k: v for k, v in model.record.last().items() if isinstance(v, (int, float))}
    if last:
        nan = [k for k, v in last.items() if not np.isfinite(v) and not _may_be_missing(k, v)]
        if nan:
            problems.append(f"non-finite outputs: {', '.join(sorted(nan))}")
    return problems


def _may_be_missing(name: str, value: float) -> bool:
    """A NaN where the outputs registry says the output can have no value (a rate without
    partnerships); never an infinity."""
    output = outputs.find(name, "step")
    return bool(np.isnan(value)) and output is not None and output.nullable
