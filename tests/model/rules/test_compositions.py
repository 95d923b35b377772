"""Modes as compositions of rules: what a mode is (a name and one rule per slot, nothing else),
hybrids, and mixed compositions run whole.

The compositions form a strength-2 covering array over the seven slots with four rules each:
every pair of rules in every pair of slots runs together in at least one composition."""

from __future__ import annotations

import dataclasses
from itertools import combinations, product
from numbers import Number

import numpy as np
import pandas as pd
import pytest

from coopsim.model import CoopModel, outputs
from coopsim.model.config import MODES
from coopsim.model.modes import MODE_RULES, ROLES, GovernanceMode, make_mode
from coopsim.model.rules import SLOT_BASES, SLOTS, Rule

STEPS = 12


# ---- what a mode is --------------------------------------------------------------------------


def test_a_mode_is_one_rule_class_per_slot_and_nothing_else():
    assert list(MODE_RULES) == list(MODES)
    for mode, rules in MODE_RULES.items():
        assert list(rules) == list(SLOTS), mode
        for slot, cls in rules.items():
            assert not isinstance(cls, Number), f"{mode}.{slot} is a number"
            assert isinstance(cls, type) and issubclass(cls, SLOT_BASES[slot]), f"{mode}.{slot}"
            assert cls is not SLOT_BASES[slot]  # a rule, not the slot's contract


def test_each_rule_belongs_to_one_mode_and_one_slot():
    owners = [cls for rules in MODE_RULES.values() for cls in rules.values()]
    assert len(set(owners)) == len(owners) == len(MODES) * len(SLOTS)


def test_a_governance_mode_holds_its_name_and_the_seven_rules_only():
    assert tuple(f.name for f in dataclasses.fields(GovernanceMode)) == ("name", *SLOTS)
    for mode in MODES:
        built = make_mode(mode)
        assert built.name == mode and built.role == ROLES[mode]
        for slot in SLOTS:
            assert type(getattr(built, slot)) is MODE_RULES[mode][slot]
        assert all(isinstance(v, Rule) for k, v in vars(built).items() if k != "name")
        assert built.rules == dict.fromkeys(SLOTS, mode) and built.overrides == {}
        assert built == make_mode(mode)
        with pytest.raises(dataclasses.FrozenInstanceError):
            built.payoff = built.scope  # type: ignore[misc]


def test_a_hybrid_takes_the_named_slots_from_other_modes():
    hybrid = make_mode("statism", rules={"payoff": "governance", "boundary": "corporatism"})
    assert hybrid.name == "statism" and hybrid.role == ROLES["statism"]
    assert type(hybrid.payoff) is MODE_RULES["governance"]["payoff"]
    assert type(hybrid.boundary) is MODE_RULES["corporatism"]["boundary"]
    assert hybrid.overrides == {"boundary": "corporatism", "payoff": "governance"}
    assert hybrid.rules["scope"] == "statism"
    assert make_mode("statism", rules={"payoff": "statism"}) == make_mode("statism")
    assert hybrid != make_mode("statism")


@pytest.mark.parametrize(
    ("name", "rules", "names"),
    [
        ("anarchy", None, "anarchy"),
        ("statism", {"payment": "statism"}, "payment"),
        ("statism", {"payoff": "anarchy"}, "anarchy"),
    ],
)
def test_unknown_modes_and_slots_are_refused_by_name(name, rules, names):
    with pytest.raises(ValueError, match=names):
        make_mode(name, rules=rules)


# ---- the covering array ----------------------------------------------------------------------


def covering_array(factors: int, levels: int, seed: int = 4) -> list[tuple[int, ...]]:
    """Rows covering every pair of levels of every pair of factors: greedily, each row the one of
    all ``levels ** factors`` rows that covers the most pairs not yet covered (ties broken by a
    seeded random choice: deterministic)."""
    rng = np.random.default_rng(seed)
    rows = np.array(list(product(range(levels), repeat=factors)))
    pairs = list(combinations(range(factors), 2))
    index = np.stack(
        [p * levels**2 + rows[:, i] * levels + rows[:, j] for p, (i, j) in enumerate(pairs)],
        axis=1,
    )
    uncovered = np.ones(len(pairs) * levels**2, dtype=bool)
    chosen = []
    while uncovered.any():
        gain = uncovered[index].sum(axis=1)
        best = rng.choice(np.flatnonzero(gain == gain.max()))
        chosen.append(tuple(rows[best].tolist()))
        uncovered[index[best]] = False
    return chosen


COMPOSITIONS = [
    {slot: MODES[level] for slot, level in zip(SLOTS, row, strict=True)}
    for row in covering_array(len(SLOTS), len(MODES))
]


def _label(composition: dict[str, str]) -> str:
    return "-".join(composition[slot][:4] for slot in SLOTS)


def test_the_compositions_cover_every_pair_of_rules_in_every_pair_of_slots():
    covered = {(a, c[a], b, c[b]) for c in COMPOSITIONS for a, b in combinations(SLOTS, 2)}
    wanted = {(a, x, b, y) for a, b in combinations(SLOTS, 2) for x in MODES for y in MODES}
    assert covered == wanted
    assert len(COMPOSITIONS) <= 24  # far fewer than the 4^7 = 16,384 compositions


def _hybrid(composition: dict[str, str], at: int) -> CoopModel:
    """A model whose mode is ``composition`` from the start: its base mode's name (which only
    labels the run), the rules of the composition, fixed seed; every other one with communities,
    so that every sector and its peak organisation is present."""
    base = MODES[at % len(MODES)]
    extra = {"population__community__count": 8} if at % 2 else {}
    model = CoopModel(mode=base, rng=100 + at, **extra)
    model.mode = make_mode(base, rules=composition)
    return model


@pytest.mark.parametrize(
    ("at", "composition"), list(enumerate(COMPOSITIONS)), ids=[_label(c) for c in COMPOSITIONS]
)
def test_every_composition_runs_with_the_invariants_intact(at, composition):
    model = _hybrid(composition, at)
    for _ in range(STEPS):
        model.step()
        model.check_invariants()
    assert model.mode.rules == composition  # no rule changed on the way
    assert model.partnerships_table.size > 0  # the composition formed partnerships
    ts = model.timeseries()
    talks = [c for c in ts if (o := outputs.find(c, "step")) and o.missing.startswith("no ")
             and ("talks" in o.missing or "agreement" in o.missing)]  # fmt: skip
    assert len(ts) == STEPS and ts.drop(columns=talks).select_dtypes("number").notna().all().all()


def test_a_composition_gives_the_same_run_for_the_same_seed():
    composition = COMPOSITIONS[1]

    def run() -> CoopModel:
        model = _hybrid(composition, 1)
        model.run_for(STEPS)
        return model

    first, again = run(), run()
    pd.testing.assert_frame_equal(first.timeseries(), again.timeseries())
    pd.testing.assert_frame_equal(first.partnerships(), again.partnerships())
    live = first.members.live()
    np.testing.assert_array_equal(live, again.members.live())
    np.testing.assert_array_equal(
        first.members.organisation[live], again.members.organisation[live]
    )
    np.testing.assert_array_equal(
        first.orgs.collaborative_capacity, again.orgs.collaborative_capacity
    )
