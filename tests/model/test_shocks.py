"""Shocks alone: scheduled and random firing, lasting effects, expiry, target resolution."""

from __future__ import annotations

import numpy as np
import pytest

from coopsim.model import CoopModel
from coopsim.model.config import Shock
from coopsim.model.shocks import LASTING, FiredShock, ShockSchedule, resolve_target

NAMES = ["government-1", "government-2", "business-1", "business-2", "civil_society-1"]
SECTOR = np.array([0, 0, 1, 1, 2], dtype=np.int8)
N = len(NAMES)


def _schedule(*shocks: Shock) -> ShockSchedule:
    return ShockSchedule(shocks, NAMES, SECTOR)


def _run(schedule: ShockSchedule, steps: range, seed: int = 0) -> dict[int, list[FiredShock]]:
    rng = np.random.default_rng(seed)
    return {t: schedule.fire(t, rng) for t in steps}


# ---- firing ---------------------------------------------------------------------------------


def test_a_scheduled_shock_fires_at_its_step_only():
    schedule = _schedule(Shock(kind="trust_shock", at=5, target="business"))
    fired = _run(schedule, range(1, 30))
    assert [t for t, new in fired.items() if new] == [5]
    (shock,) = fired[5]
    assert (shock.step, shock.kind, shock.target) == (5, "trust_shock", "business")
    np.testing.assert_array_equal(shock.organisations, [2, 3])
    assert schedule.fired == [shock]


@pytest.mark.parametrize(("rate", "expected"), [(0.0, 0.0), (1.0, 1.0), (0.25, 0.25)])
def test_a_random_shock_fires_at_its_rate(rate, expected):
    schedule = _schedule(Shock(kind="staff_exodus", rate=rate))
    fired = _run(schedule, range(1, 2001))
    share = np.mean([len(new) for new in fired.values()])
    assert share == pytest.approx(expected, abs=0.04)
    assert len(schedule.fired) == sum(len(new) for new in fired.values())


def test_each_spec_draws_one_number_every_step_fired_or_not():
    """Common random numbers: what a schedule draws never depends on what fired."""
    specs = (Shock(kind="budget_cut", at=3), Shock(kind="staff_exodus", rate=0.5))
    schedule = _schedule(*specs)
    rng, twin = np.random.default_rng(11), np.random.default_rng(11)
    for t in range(1, 10):
        schedule.fire(t, rng)
        twin.random(len(specs))
        assert rng.random() == twin.random()


def test_shocks_need_exactly_one_of_a_step_or_a_rate():
    with pytest.raises(ValueError, match="exactly one"):
        Shock(kind="budget_cut")
    with pytest.raises(ValueError, match="exactly one"):
        Shock(kind="budget_cut", at=3, rate=0.1)


# ---- lasting effects ------------------------------------------------------------------------


def test_lasting_effects_hold_for_their_duration_then_expire():
    schedule = _schedule(
        Shock(kind="capacity_loss", at=4, target="government", severity=0.4, duration=6)
    )
    rng = np.random.default_rng(0)
    hit_steps = []
    for t in range(1, 20):
        schedule.fire(t, rng)
        cap = schedule.capacity(N)
        if cap[0] < 1.0:
            hit_steps.append(t)
            np.testing.assert_allclose(cap, [0.6, 0.6, 1.0, 1.0, 1.0])
        else:
            np.testing.assert_array_equal(cap, 1.0)
    assert hit_steps == list(range(4, 10))


def test_overlapping_lasting_effects_compound():
    schedule = _schedule(
        Shock(kind="capacity_loss", at=2, target="government", severity=0.5, duration=10),
        Shock(
            kind="capacity_loss",
            at=3,
            target=("government-1", "business-1"),
            severity=0.5,
            duration=10,
        ),
        Shock(kind="budget_cut", at=2, severity=0.5, duration=10),
        Shock(kind="budget_cut", at=3, target="government-2", severity=0.2, duration=1),
        Shock(kind="demand_surge", at=2, severity=0.5, duration=10),
        Shock(kind="demand_surge", at=3, severity=1.0, duration=10),
    )
    rng = np.random.default_rng(0)
    schedule.fire(1, rng)
    np.testing.assert_array_equal(schedule.budget_factor(N), 1.0)
    assert schedule.demand_factor() == 1.0
    schedule.fire(2, rng)
    schedule.fire(3, rng)
    np.testing.assert_allclose(schedule.capacity(N), [0.25, 0.5, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(schedule.budget_factor(N), [0.5, 0.4, 0.5, 0.5, 0.5])
    assert schedule.demand_factor() == pytest.approx(1.5 * 2.0)
    schedule.fire(4, rng)  # the one-step budget cut is over
    np.testing.assert_allclose(schedule.budget_factor(N), 0.5)
    for t in range(5, 14):
        schedule.fire(t, rng)
    np.testing.assert_array_equal(schedule.capacity(N), 1.0)
    np.testing.assert_array_equal(schedule.budget_factor(N), 1.0)
    assert schedule.demand_factor() == 1.0


def test_a_budget_cut_reaches_only_the_targeted_agencies_budget():
    model = CoopModel(
        rng=2,
        shocks=[{"kind": "budget_cut", "at": 2, "target": "government-1", "severity": 0.5}],
    )
    agencies = int(model.orgs.is_government.sum())
    full = model.config.environment.budget * agencies
    model.run_for(3)
    budget = model.timeseries()["budget"].to_numpy()
    np.testing.assert_allclose(
        budget, [full, full * (1 - 0.5 / agencies), full * (1 - 0.5 / agencies)]
    )


def test_one_off_shocks_strike_once_and_leave_no_lasting_effect():
    schedule = _schedule(
        Shock(kind="trust_shock", at=2, target="business"),
        Shock(kind="staff_exodus", at=2, target="government"),
    )
    _run(schedule, range(1, 4))
    assert [s.kind for s in schedule.fired] == ["trust_shock", "staff_exodus"]
    assert schedule.active == []
    assert "trust_shock" not in LASTING and "staff_exodus" not in LASTING


def test_a_shock_triggered_by_hand_is_logged_and_lasts():
    schedule = _schedule()
    shock = FiredShock(5, "budget_cut", "all", 0.3, 2, np.arange(N))
    schedule.trigger(shock)
    assert schedule.fired == [shock]
    np.testing.assert_allclose(schedule.budget_factor(N), 0.7)
    rng = np.random.default_rng(0)
    schedule.fire(6, rng)
    np.testing.assert_allclose(schedule.budget_factor(N), 0.7)
    schedule.fire(7, rng)
    np.testing.assert_array_equal(schedule.budget_factor(N), 1.0)


# ---- targets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("all", [0, 1, 2, 3, 4]),
        ("government", [0, 1]),
        ("civil_society", [4]),
        ("community", []),  # a sector with no organisations
        ("business-2", [3]),
        (("civil_society-1", "government-2"), [4, 1]),
    ],
)
def test_targets_resolve_to_organisations(target, expected):
    np.testing.assert_array_equal(resolve_target(target, NAMES, SECTOR), expected)


@pytest.mark.parametrize("target", ["government-9", ("business-1", "nobody"), "Government"])
def test_unknown_names_are_refused(target):
    with pytest.raises(ValueError, match="unknown organisations"):
        resolve_target(target, NAMES, SECTOR)
    with pytest.raises(ValueError, match="unknown organisations"):
        _schedule(Shock(kind="trust_shock", at=1, target=target))


def test_a_model_with_an_unknown_target_does_not_start():
    with pytest.raises(ValueError, match="government-99"):
        CoopModel(rng=0, shocks=[{"kind": "budget_cut", "at": 2, "target": "government-99"}])


# ---- in a model -----------------------------------------------------------------------------


def test_a_capacity_loss_cuts_the_targets_resources_for_its_duration():
    model = CoopModel(
        rng=2,
        shocks=[
            {
                "kind": "capacity_loss",
                "at": 3,
                "target": "government",
                "severity": 0.5,
                "duration": 4,
            }
        ],
    )
    gov = model.orgs.is_government
    full = model.orgs.available.copy()
    seen = []
    for _ in range(9):
        model.step()
        seen.append(model.orgs.capacity[gov].max())
        np.testing.assert_array_equal(model.orgs.capacity[~gov], 1.0)
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0]
    np.testing.assert_allclose(model.orgs.available, full)  # and it comes back in full


def test_a_trust_shock_lowers_trust_towards_its_targets_only():
    model = CoopModel(mode="governance", rng=4)
    model.run_for(24)
    rel = model.relationships
    target = model.orgs.names[int(np.bincount(rel.view("target")).argmax())]
    index = model.orgs.names.index(target)
    towards = rel.view("target") == index
    before = rel.effective().copy()
    model.trigger_shock("trust_shock", target=target, severity=0.5)
    after = rel.effective()
    assert towards.any()
    assert np.all(after[towards] < before[towards])
    np.testing.assert_array_equal(after[~towards], before[~towards])


@pytest.mark.parametrize("duration", [1, 3])
def test_a_shock_triggered_by_hand_lasts_its_duration_in_steps(duration):
    model = CoopModel(rng=2)
    model.run_for(5)
    model.trigger_shock("capacity_loss", target="government", severity=0.5, duration=duration)
    hit = 0
    for _ in range(duration + 3):
        model.step()
        hit += bool(model.orgs.capacity.min() < 1.0)
    assert hit == duration


def test_an_extra_shock_entry_leaves_the_demand_path_alone():
    """Demand drifts on its own stream: listing a shock (one that never strikes within the run)
    changes no demand."""
    kwargs = {"rng": 5, "environment__demand_volatility": 0.2}
    plain = CoopModel(**kwargs)
    listed = CoopModel(**kwargs, shocks=[Shock(kind="budget_cut", rate=0.0)])
    plain.run_for(30)
    listed.run_for(30)
    np.testing.assert_array_equal(plain.timeseries()["demand"], listed.timeseries()["demand"])


@pytest.mark.parametrize(("exit_floor", "left"), [(0.35, False), (0.45, True)])
@pytest.mark.parametrize(("entry_floor", "formed"), [(0.5, False), (0.3, True)])
def test_capacity_floors_decide_who_leaves_and_who_may_join(exit_floor, left, entry_floor, formed):
    """After a capacity loss of 0.6 everyone has 0.4 left: members leave (cause shock) only if
    that is below the exit floor, and new partnerships form only if it reaches the entry floor."""
    model = CoopModel(
        rng=7,
        partnerships__shock_exit_capacity=exit_floor,
        partnerships__min_capacity=entry_floor,
        partnerships__initiation_rate=0.5,
        partnerships__max_memberships=4,  # free slots after ten steps: capacity decides
    )
    model.run_for(10)
    assert model.orgs.memberships.sum() > 0
    model.trigger_shock("capacity_loss", target="all", severity=0.6, duration=20)
    model.run_for(3)
    assert bool((model.partnerships()["cause"] == "shock").any()) is left
    assert bool(model.timeseries()["partnerships_formed"].iloc[-3:].sum() > 0) is formed


@pytest.mark.parametrize(
    ("target", "hit"),
    [(["all"], 67), (["government"], 12), (["government", "business-2"], 13), ("business-2", 1)],
)
def test_a_list_of_targets_takes_all_sectors_and_organisations_it_names(target, hit):
    """What validates runs: a list may name `all`, sectors and organisations (issue 19, 7)."""
    model = CoopModel(
        rng=1, shocks=[{"at": 2, "kind": "capacity_loss", "target": target, "severity": 0.5}]
    )
    model.run_for(3)
    assert int(np.count_nonzero(model.orgs.capacity < 1)) == hit
