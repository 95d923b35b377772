"""Corporatism: the state as mediator — peak organisations negotiate for their sectors."""

from __future__ import annotations

import numpy as np
import pytest

from coopsim.model import CoopModel
from coopsim.model.modes import Corporatism


@pytest.fixture
def model() -> CoopModel:
    return CoopModel(mode="corporatism", rng=13, population__community__count=8)


def _gov(model: CoopModel) -> int:
    return int(np.flatnonzero(model.orgs.is_government)[0])


def test_the_model_runs_the_corporatist_policy(model):
    assert isinstance(model.mode, Corporatism)
    assert model.mode.role == "mediator" and not model.mode.pays_rewards


# ---- who initiates --------------------------------------------------------------------------


def test_agencies_and_peak_organisations_initiate(model):
    orgs = model.orgs
    everyone = np.arange(orgs.n)
    expected = np.union1d(np.flatnonzero(orgs.is_government), orgs.peak[orgs.peak >= 0])
    np.testing.assert_array_equal(model.mode.initiators(model, everyone), expected)
    assert np.any(~orgs.is_government[expected])  # not only the state
    ordinary = np.setdiff1d(everyone, expected)
    assert len(model.mode.initiators(model, ordinary)) == 0


# ---- partner choice -------------------------------------------------------------------------


def test_only_insiders_are_asked(model):
    orgs = model.orgs
    leads = model.mode.initiators(model, np.arange(orgs.n))
    proposals = 0
    for lead in leads:
        for size in (2, 3, 5):
            proposal = model.mode.propose(model, int(lead), size)
            if proposal is None:
                continue
            proposals += 1
            partners = proposal.members[1:]
            assert proposal.members[0] == lead
            assert np.all(orgs.peak_member[partners]), "an outsider was asked"
            assert len(np.unique(proposal.members)) == len(proposal.members)
    assert proposals >= len(leads)


def test_outsiders_never_sit_in_corporatist_partnerships(model):
    model.run_for(30)
    orgs, table = model.orgs, model.partnerships_table
    assert table.size > 0
    for lead, members in zip(table.view("lead"), table.member_lists, strict=True):
        partners = [m for m in members if m != lead]
        assert np.all(orgs.peak_member[partners])
    assert not model.orgs.ever_partnered[~orgs.peak_member & ~orgs.is_government].any()


def test_partners_come_from_the_other_sectors_largest_members_first(model, fixed_candidates):
    orgs = model.orgs
    lead = _gov(model)
    fixed_candidates(model, np.flatnonzero(~orgs.is_government))
    proposal = model.mode.propose(model, lead, 4)  # one seat for each of three other sectors
    partners = proposal.members[1:]
    assert sorted(orgs.sector[partners].tolist()) == [1, 2, 3]
    size = orgs.endowment.sum(axis=0)
    for p in partners:
        same = np.flatnonzero((orgs.sector == orgs.sector[p]) & orgs.peak_member)
        assert size[p] == size[same].max()  # the peak puts forward its largest member


def test_the_objective_is_negotiated_between_the_state_and_the_peaks(model):
    orgs = model.orgs
    lead = _gov(model)
    proposal = model.mode.propose(model, lead, 4)
    peaks = orgs.peak[np.unique(orgs.sector[proposal.members])]
    negotiators = np.unique(np.concatenate(([lead], peaks[peaks >= 0])))
    expected = 0.5 * orgs.goals[negotiators].mean(axis=0) + 0.5 * orgs.goals[lead]
    np.testing.assert_allclose(proposal.objective, expected / expected.sum())
    np.testing.assert_array_equal(proposal.commitment, model.config.partnerships.commitment)
    k = len(negotiators)
    assert proposal.negotiating_pairs == k * (k - 1) // 2 + 1 and proposal.rounds == 2


# ---- enforcement ----------------------------------------------------------------------------


def test_a_first_shortfall_draws_a_warning_and_a_repeat_the_sanction(model, make_round):
    inc = model.config.incentives
    assert inc.graduated
    model.steps = 10
    orgs = [20, 30, 40]
    observed = [0.1, 0.9, 0.2]
    enf = model.mode.enforce(model, make_round(model, orgs, observed))
    np.testing.assert_array_equal(enf.sanction, 0.0)  # warned, not punished
    np.testing.assert_array_equal(model.orgs.last_warning[[20, 40]], 10)
    assert model.orgs.last_warning[30] < 0  # the deliverer was not warned
    model.steps = 12
    enf = model.mode.enforce(model, make_round(model, orgs, observed))
    np.testing.assert_allclose(enf.sanction, [inc.sanction * 0.9, 0.0, inc.sanction * 0.8])
    np.testing.assert_array_equal(enf.warned_before, [True, False, True])
    np.testing.assert_array_equal(enf.reward, 0.0)  # the peaks punish; nobody pays
    model.steps = 12 + inc.warning_memory + 1  # the warning has lapsed: a warning again
    enf = model.mode.enforce(model, make_round(model, orgs, observed))
    np.testing.assert_array_equal(enf.sanction, 0.0)


def test_without_graduation_the_peaks_sanction_at_once(make_round):
    model = CoopModel(mode="corporatism", rng=13, incentives__graduated=False)
    enf = model.mode.enforce(model, make_round(model, [20, 30], [0.1, 0.9]))
    np.testing.assert_allclose(enf.sanction, [model.config.incentives.sanction * 0.9, 0.0])


def test_the_peaks_watch_three_in_four(model, make_round):
    draws = np.array([0.1, 0.74, 0.76, 0.99])
    enf = model.mode.enforce(
        model, make_round(model, [20, 30, 40, 50], [1.0] * 4, monitor_draw=draws)
    )
    np.testing.assert_array_equal(enf.monitored, [True, True, False, False])


# ---- benefits, exit, spending ---------------------------------------------------------------


def test_value_is_shared_by_sector_quota(model, make_round):
    orgs = model.orgs
    gov = np.flatnonzero(orgs.sector == 0)[:1]
    biz = np.flatnonzero(orgs.sector == 1)[:3]
    ngo = np.flatnonzero(orgs.sector == 2)[:2]
    members = np.concatenate((gov, biz, ngo, biz[:1]))
    part = np.array([0, 0, 0, 0, 0, 0, 1])
    delivered = [1.0, 1.0, 0.0, 0.2, 1.0, 0.5, 1.0]
    weights = model.mode.benefit_weights(model, make_round(model, members, delivered, part))
    share = weights[:6] / weights[:6].sum()
    np.testing.assert_allclose(share, np.array([3, 1, 1, 1, 1.5, 1.5]) / 9)
    assert weights[6] > 0


def test_members_leave_only_with_their_sector(model, make_round):
    orgs = np.array([0, 20, 21, 50, 51])
    groups = model.mode.exit_groups(model, make_round(model, orgs, [1.0] * 5, [0, 0, 1, 1, 2]))
    np.testing.assert_array_equal(groups, model.orgs.sector[orgs])


@pytest.mark.parametrize("budget", [0.0, 0.3, 7.2])
def test_the_state_subsidises_each_negotiated_partnership_equally(model, make_round, budget):
    rnd = make_round(model, [0, 20, 1, 30, 40], [1.0, 0.0, 1.0, 1.0, 0.5], [0, 0, 1, 1, 1])
    spent = model.mode.spend(model, budget, rnd)
    seed, training = np.asarray(spent["seed"]), np.asarray(spent["training"])
    assert seed.sum() + training.sum() <= budget + 1e-12
    np.testing.assert_allclose(seed, [budget / 2, budget / 2])
    np.testing.assert_array_equal(training, 0.0)


def test_a_peak_organisation_convenes_the_other_sectors(model):
    orgs = model.orgs
    lead = int(orgs.peak[1])  # the business peak
    proposal = model.mode.propose(model, lead, 4)
    partners = proposal.members[1:]
    assert proposal.members[0] == lead
    assert not np.any(orgs.sector[partners] == orgs.sector[lead])
    assert np.all(orgs.peak_member[partners])
    peaks = orgs.peak[np.unique(orgs.sector[proposal.members])]
    negotiated = orgs.goals[np.unique(peaks[peaks >= 0])].mean(axis=0)
    np.testing.assert_allclose(proposal.objective, negotiated / negotiated.sum())
