"""Organisations drawn around their sector profiles: counts, means, spread, reproducibility."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopsim.model.config import Goals, ModelConfig, Population, Resources
from coopsim.model.population import TRAITS, Organisations
from coopsim.model.sectors import SECTOR_DEFAULTS, SECTORS


def _population(counts: dict[str, int] | None = None, **overrides) -> Population:
    cfg = ModelConfig()
    changes = {f"population.{k}.count": v for k, v in (counts or {}).items()}
    changes.update({f"population.{k}": v for k, v in overrides.items()})
    return cfg.with_overrides(changes).population


def _orgs(population: Population, seed: int = 0, propensity: float = 0.5) -> Organisations:
    return Organisations(population, np.random.default_rng(seed), propensity)


def _vector(obj) -> np.ndarray:
    return np.array([getattr(obj, f.name) for f in fields(obj)], dtype=float)


def test_counts_sectors_and_names_follow_the_configuration():
    counts = {"government": 3, "business": 0, "civil_society": 2, "community": 4}
    orgs = _orgs(_population(counts))
    assert orgs.n == 9
    np.testing.assert_array_equal(orgs.sector, [0, 0, 0, 2, 2, 3, 3, 3, 3])
    assert orgs.names == [
        "government-1", "government-2", "government-3", "civil_society-1", "civil_society-2",
        "community-1", "community-2", "community-3", "community-4",
    ]  # fmt: skip
    np.testing.assert_array_equal(orgs.is_government, orgs.sector == 0)
    assert orgs.endowment.shape == (4, 9) and orgs.goals.shape == (9, 4)  # resources kinds first


def test_default_counts_are_the_sector_defaults():
    orgs = _orgs(ModelConfig().population)
    expected = [SECTOR_DEFAULTS[s]["count"] for s in SECTORS]
    np.testing.assert_array_equal(np.bincount(orgs.sector, minlength=4), expected)


def test_an_empty_population_is_allowed():
    orgs = _orgs(_population(dict.fromkeys(SECTORS, 0)))
    assert orgs.n == 0 and orgs.names == []
    np.testing.assert_array_equal(orgs.peak, -1)


def test_the_initial_state_is_untouched_by_experience():
    orgs = _orgs(ModelConfig().population, propensity=0.37)
    np.testing.assert_array_equal(orgs.crowding, 0.0)
    np.testing.assert_array_equal(orgs.capacity, 1.0)
    np.testing.assert_array_equal(orgs.propensity, 0.37)
    np.testing.assert_array_equal(orgs.memberships, 0)
    np.testing.assert_allclose(orgs.available, orgs.endowment)


@pytest.fixture(scope="module")
def crowd_of_each_sector() -> tuple[Population, Organisations]:
    population = _population(dict.fromkeys(SECTORS, 4000))
    return population, _orgs(population, seed=8)


@pytest.mark.parametrize("sector", SECTORS)
def test_sector_profile_means_hold_on_average(crowd_of_each_sector, sector):
    population, orgs = crowd_of_each_sector
    rows = orgs.sector == SECTORS.index(sector)
    profile = population.sector(sector)
    for trait in TRAITS:
        mean = getattr(profile, trait)
        assert getattr(orgs, trait)[rows].mean() == pytest.approx(mean, abs=0.01), trait
    resources = _vector(profile.resources)
    np.testing.assert_allclose(orgs.endowment[:, rows].mean(axis=1), resources, rtol=0.02)
    goals = _vector(profile.goals)
    np.testing.assert_allclose(orgs.goals[rows].mean(axis=0), goals / goals.sum(), atol=0.01)


@pytest.mark.parametrize("sector", SECTORS)
def test_individuals_differ_around_their_profile(crowd_of_each_sector, sector):
    _, orgs = crowd_of_each_sector
    rows = orgs.sector == SECTORS.index(sector)
    assert np.all(orgs.endowment[:, rows].std(axis=1) > 0)
    assert orgs.integrity[rows].std() > 0.02


def test_more_heterogeneity_spreads_organisations_further():
    counts = {"business": 2000}
    narrow = _orgs(_population(counts, heterogeneity=0.05))
    wide = _orgs(_population(counts, heterogeneity=0.4))
    business = narrow.sector == 1
    for trait in ("integrity", "transparency"):
        assert getattr(wide, trait)[business].std() > 2 * getattr(narrow, trait)[business].std()
    spread = wide.endowment[:, business].std(axis=1) / narrow.endowment[:, business].std(axis=1)
    assert np.all(spread > 2)


def test_no_heterogeneity_gives_identical_organisations_with_the_profile():
    population = _population(heterogeneity=0.0)
    orgs = _orgs(population, seed=3)
    for s, sector in enumerate(SECTORS):
        rows = orgs.sector == s
        if not rows.any():
            continue
        profile = population.sector(sector)
        k = int(rows.sum())
        resources = np.tile(_vector(profile.resources), (k, 1))
        np.testing.assert_allclose(orgs.endowment[:, rows], resources.T)
        goals = _vector(profile.goals)
        np.testing.assert_allclose(orgs.goals[rows], np.tile(goals / goals.sum(), (k, 1)))
        for trait in TRAITS:
            np.testing.assert_array_equal(getattr(orgs, trait)[rows], getattr(profile, trait))


def test_goals_are_normalised_and_absent_goals_stay_absent():
    orgs = _orgs(ModelConfig().population, seed=5)
    np.testing.assert_allclose(orgs.goals.sum(axis=1), 1.0)
    assert orgs.goals.min() >= 0.0
    gov = orgs.is_government
    assert SECTOR_DEFAULTS["government"]["goals"]["profit"] == 0.0
    np.testing.assert_array_equal(orgs.goals[gov, 1], 0.0)  # agencies do not seek profit


def test_the_same_seed_gives_the_same_organisations():
    population = ModelConfig().population
    a, b, c = _orgs(population, seed=42), _orgs(population, seed=42), _orgs(population, seed=43)
    for name in ("endowment", "goals", "peak_member", "peak", *TRAITS):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert not np.array_equal(a.endowment, c.endowment)
    assert not np.array_equal(a.integrity, c.integrity)


def test_each_sector_has_one_peak_organisation_the_largest_of_its_members():
    orgs = _orgs(_population({"community": 10}), seed=6)
    for s in range(len(SECTORS)):
        peak = orgs.peak[s]
        assert orgs.sector[peak] == s and orgs.peak_member[peak]
        members = np.flatnonzero((orgs.sector == s) & orgs.peak_member)
        size = orgs.endowment.sum(axis=0)
        assert size[peak] == size[members].max()


def test_peak_membership_share_is_respected():
    orgs = _orgs(_population(dict.fromkeys(SECTORS, 2000), peak_membership=0.3), seed=1)
    assert orgs.peak_member.mean() == pytest.approx(0.3, abs=0.02)
    nobody = _orgs(_population(peak_membership=0.0), seed=1)
    # with no affiliates, each sector's largest organisation stands as its peak alone
    assert nobody.peak_member.sum() == np.sum(nobody.peak >= 0)


@settings(max_examples=60, deadline=None)
@given(
    heterogeneity=st.floats(0.0, 1.0),
    trait_mean=st.floats(0.0, 1.0, allow_subnormal=False),  # subnormals: see the xfail below
    goal=st.floats(0.0, 5.0),
    resource=st.floats(0.0, 100.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_profile_gives_valid_organisations(heterogeneity, trait_mean, goal, resource, seed):
    population = _population(
        {"business": 40},
        heterogeneity=heterogeneity,
        **{
            "business.integrity": trait_mean,
            "business.goals": Goals(public_value=goal, profit=0.0, mission=1e-3, own_sector=0.0),
            "business.resources": Resources(finance=resource, staff=0.0),
        },
    )
    orgs = _orgs(population, seed=seed)
    for trait in TRAITS:
        x = getattr(orgs, trait)
        assert np.all(np.isfinite(x)) and x.min() >= 0.0 and x.max() <= 1.0, trait
    assert np.all(np.isfinite(orgs.endowment)) and orgs.endowment.min() >= 0.0
    np.testing.assert_array_equal(orgs.endowment[1, orgs.sector == 1], 0.0)  # no staff: none
    assert np.all(np.isfinite(orgs.goals)) and orgs.goals.min() >= 0.0
    np.testing.assert_allclose(orgs.goals.sum(axis=1), 1.0)


def test_a_vanishing_trait_mean_gives_next_to_nothing_not_nan():
    population = _population({"business": 5}, heterogeneity=1.0, **{"business.integrity": 5e-324})
    orgs = _orgs(population)
    business = orgs.sector == 1
    values = orgs.integrity[business]
    assert np.all(np.isfinite(values)) and values.max() <= 1e-300  # as good as zero
