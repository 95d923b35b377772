"""Rules read their numbers from shared parameters (the same in every mode): monitoring
coverage, the kind of agreement, bargaining rounds, the rewards' share of the budget."""

from __future__ import annotations

import numpy as np
import pytest

from coopsim.model import CoopModel
from coopsim.model.config import MODES
from coopsim.model.modes import MODE_RULES
from coopsim.model.rules import aggregation, information


def test_the_state_inspects_everyone_and_samplers_observe_the_shared_share():
    model = CoopModel(mode="governance", rng=2, incentives__monitoring=0.35)
    orgs = np.flatnonzero(model.orgs.peak_member)
    np.testing.assert_array_equal(information.Inspection().coverage(model, orgs), 1.0)
    for rule in (information.Audit(), information.PeakMonitoring(), information.PeerReview()):
        np.testing.assert_array_equal(rule.coverage(model, orgs), 0.35)


def test_peaks_never_observe_outsiders():
    model = CoopModel(mode="corporatism", rng=2)
    outsiders = np.flatnonzero(~model.orgs.peak_member)
    assert len(outsiders)
    np.testing.assert_array_equal(information.PeakMonitoring().coverage(model, outsiders), 0.0)


def test_an_audit_observes_a_contract_whole(make_round):
    model = CoopModel(mode="pluralism", rng=2)
    part = np.repeat(np.arange(40), 3)
    draws = np.random.default_rng(0).random(len(part))
    rnd = make_round(
        model,
        np.arange(len(part)) % model.orgs.n,
        [0.0] * len(part),
        partnership=part,
        monitor_draw=draws,
    )
    monitored, _ = information.Audit().detect(model, rnd)
    by_contract = monitored.reshape(40, 3)
    assert np.all(by_contract.all(axis=1) | ~by_contract.any(axis=1))
    assert 0 < by_contract[:, 0].sum() < 40


@pytest.mark.parametrize("share", [0.2, 0.9])
def test_a_memorandum_is_as_formal_as_the_parameter_says_and_a_contract_fully(share):
    model = CoopModel(mode="governance", rng=2, trust__memorandum_formality=share)
    kinds = {m: MODE_RULES[m]["aggregation"]() for m in MODES}
    assert kinds["governance"].formality(model) == share
    for mode in ("statism", "pluralism", "corporatism"):
        assert kinds[mode].formality(model) == 1.0


def test_bargaining_takes_the_shared_rounds_and_an_offer_one():
    model = CoopModel(mode="governance", rng=2, costs__bargaining_rounds=5)
    assert aggregation.Multilateral().rounds(model) == 5
    assert aggregation.PeakBargaining().rounds(model) == 5
    assert aggregation.Decree().rounds(model) == aggregation.Award().rounds(model) == 1


@pytest.mark.parametrize("mode", ["pluralism", "governance"])
def test_rewards_take_at_most_the_shared_share_of_the_budget(mode):
    model = CoopModel(mode=mode, rng=3, incentives__reward=50.0, incentives__reward_budget=0.25)
    capped = 0
    for _ in range(30):
        model.step()
        assert model.state.rewards <= 0.25 * model.budget + 1e-9
        capped += model.state.rewards > 0 and model.reward_paid_share < 1.0
    assert capped  # rewards this large exceed the cap: the cap was reached
