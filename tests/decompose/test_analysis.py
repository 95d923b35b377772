"""From finished runs to the tables, on synthetic results (no model runs): seeds are resampled as
blocks, incomplete seeds are left out, and the intervals are fixed by the directory's seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coopsim.experiments.decomposition import (
    DEFAULT_OUTPUTS,
    PREFIX,
    DecompositionError,
    analyse_compositions,
    plan_decomposition,
)

SCENARIO = {
    "name": "synthetic",
    "seed": 9,
    "steps": 12,
    "population": {"government": {"count": 2}, "business": {"count": 3}},
    "governance": {"rules": {"payoff": "pluralism", "information": "statism"}},
}


@pytest.fixture(scope="module")
def plan():
    return plan_decomposition(
        SCENARIO, "statism", "governance", seeds=8, outputs=["sustainability_index", "mean_trust"]
    )


def results(plan, value) -> pd.DataFrame:
    """A results table as the sweep writes it, ``value(seed, switched slots)`` per run."""
    rows = []
    for replicate in range(plan.seeds):
        for mask in range(plan.compositions):
            switched = {s for i, s in enumerate(plan.compared) if mask >> i & 1}
            row = {"replicate": replicate, "error": None}
            for slot in plan.compared:
                row[PREFIX + slot] = plan.to_mode if slot in switched else plan.from_mode
            for output in plan.outputs:
                row[output] = 0.5  # the same in every run
            row["sustainability_index"] = value(replicate, switched)
            rows.append(row)
    return pd.DataFrame(rows)


def test_the_plan_compares_the_slots_the_scenario_leaves_free(plan):
    assert plan.held == {"information": "statism", "payoff": "pluralism"}
    assert plan.compared == ("boundary", "position", "choice", "aggregation", "scope")
    assert plan.compositions == 32 and plan.runs == 32 * 8
    sweep = plan.sweep()
    assert sweep.n_points == 32 and sweep.replicates == 8 and sweep.seeds == "common"
    assert sweep.scenario.governance.mode == "statism"
    assert sweep.scenario.governance.rules.chosen() == plan.held


def test_pairs_stay_paired_when_seeds_are_resampled(plan):
    """Seeds differ by a large offset shared by all their compositions: the ends vary between
    seeds, the slots' effects do not, so their intervals are points."""
    offsets = np.random.default_rng(3).normal(scale=5.0, size=plan.seeds)
    effect = {"boundary": 0.1, "position": -0.05, "choice": 0.2, "aggregation": 0.0, "scope": 0.3}
    frame = results(plan, lambda r, s: offsets[r] + sum(effect[x] for x in s))
    effects, totals, dividends = analyse_compositions(frame, plan)
    rows = effects[effects["output"] == "sustainability_index"].set_index("slot")
    for column in ("shapley", "shapley_low", "shapley_high", "effect_in_from", "effect_in_to"):
        np.testing.assert_allclose(rows[column], [effect[s] for s in rows.index], atol=1e-9)
    total = totals.set_index("output").loc["sustainability_index"]
    assert total["from_value_high"] - total["from_value_low"] > 1.0  # the offsets show here
    assert total["difference_low"] == pytest.approx(0.55) == total["difference_high"]
    assert total["interaction"] == pytest.approx(0.0, abs=1e-9)
    assert total["seeds"] == 8 and total["compared"] == 5
    flat = totals.set_index("output").loc["mean_trust"]
    assert flat["difference"] == 0 and np.isnan(flat["interaction_share"])  # no difference
    assert len(dividends) == 2 * 31 and set(dividends["order"]) == {1, 2, 3, 4, 5}


def test_seeds_missing_a_composition_are_left_out(plan):
    frame = results(plan, lambda r, s: float(r) + len(s))
    frame.loc[5, "sustainability_index"] = np.nan  # seed 0, one composition without a value
    frame.loc[40, "error"] = "RuntimeError: boom"  # seed 1, a failed run
    frame = frame.drop(index=[100])  # seed 3: a run not finished yet
    _, totals, _ = analyse_compositions(frame, plan)
    total = totals.set_index("output").loc["sustainability_index"]
    assert total["seeds"] == 5 and total["seeds_planned"] == 8
    assert total["from_value"] == pytest.approx(np.mean([2, 4, 5, 6, 7]))
    assert totals.set_index("output").loc["mean_trust", "seeds"] == 6  # the failed run, the gap


def test_the_same_runs_give_the_same_intervals(plan):
    rng = np.random.default_rng(11)
    noise = rng.normal(size=(plan.seeds, plan.compositions))
    frame = results(plan, lambda r, s: noise[r, sum(1 << plan.compared.index(x) for x in s)])
    first = analyse_compositions(frame, plan)
    again = analyse_compositions(frame.sample(frac=1.0, random_state=2), plan)  # any row order
    for a, b in zip(first, again, strict=True):
        pd.testing.assert_frame_equal(a, b)
    noisy = first[0][first[0]["output"] == "sustainability_index"]
    assert (noisy["shapley_low"] < noisy["shapley"]).all()
    assert (noisy["shapley"] < noisy["shapley_high"]).all()


def test_one_seed_gives_estimates_without_intervals():
    one = plan_decomposition(SCENARIO, "statism", "governance", seeds=1)
    assert one.outputs == DEFAULT_OUTPUTS  # each a run output of the model
    effects, totals, _ = analyse_compositions(results(one, lambda r, s: len(s) / 10), one)
    assert effects["shapley"].notna().all() and effects["shapley_low"].isna().all()
    assert totals["difference"].iloc[0] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"from_mode": "anarchy"}, "from_mode", "unknown governance mode 'anarchy'"),
        ({"to_mode": "Governance"}, "to_mode", "unknown governance mode 'Governance'"),
        ({"to_mode": "statism"}, "to_mode", "the same mode as the first (statism)"),
        ({"seeds": 0}, "seeds", "from 1 to 10,000"),
        ({"seeds": 2.5}, "seeds", "from 1 to 10,000"),
        ({"outputs": ["mean_trus"]}, "outputs", "did you mean 'mean_trust'?"),
        ({"outputs": []}, "outputs", "name at least one run output"),
    ],
)
def test_a_bad_request_names_its_field(change, field, words):
    request = {"from_mode": "statism", "to_mode": "governance", "seeds": 2} | change
    with pytest.raises(DecompositionError) as caught:
        plan_decomposition(SCENARIO, **request)
    assert caught.value.field == field and words in caught.value.message


def test_a_scenario_that_fixes_every_differing_slot_leaves_nothing_to_compare():
    rules = dict.fromkeys(
        ("boundary", "position", "choice", "aggregation", "information", "payoff", "scope"),
        "corporatism",
    )
    fixed = {**SCENARIO, "governance": {"rules": rules}}
    with pytest.raises(DecompositionError, match="nothing is left to compare"):
        plan_decomposition(fixed, "statism", "governance")


def test_a_scenario_with_reforms_is_refused():
    reform = {**SCENARIO, "governance": {"switch": [{"at": 6, "mode": "pluralism"}]}}
    with pytest.raises(DecompositionError, match=r"governance\.switch") as caught:
        plan_decomposition(reform, "statism", "governance")
    assert caught.value.field == "scenario"


def test_slots_with_the_same_rule_in_both_modes_are_not_compared(monkeypatch):
    """None today; a mode sharing a rule with another contributes nothing there."""
    from coopsim.experiments import decomposition
    from coopsim.model.modes import MODE_RULES

    shared = {m: dict(rules) for m, rules in MODE_RULES.items()}
    shared["pluralism"]["scope"] = shared["statism"]["scope"]
    monkeypatch.setattr(decomposition, "MODE_RULES", shared)
    plan = plan_decomposition({"name": "plain", "steps": 12}, "statism", "pluralism", seeds=1)
    assert plan.identical == ("scope",) and "scope" not in plan.compared
    assert plan.compositions == 64 and plan.details()["identical"] == ["scope"]
