"""Peak discipline under the corporatist rules: dues into each peak's pool, monitoring and
sanctions paid from it, fines back into it (pool punishment), and expulsion of members who
break ranks; no sector-wide veto on exit."""

from __future__ import annotations

import dataclasses

import numpy as np

from coopsim.model import CoopModel
from coopsim.model.partnerships import CAUSE
from coopsim.model.rules.choice import PeakMembership


def test_nothing_is_created_or_lost_in_the_peaks_pools():
    model = CoopModel(mode="corporatism", rng=4)
    dues = fines = 0.0
    for _ in range(60):
        model.step()
        model.check_invariants()  # pool after = before + dues + fines − costs, never below 0
        led = model.ledger
        if led:
            dues += model.state.peak_dues
            fines += model.state.peak_fines
            assert led["peak_pool_after"] == model.peak_pool.sum()
    assert dues > 0 and fines > 0  # both flows happened, so the identity was tested on them


def test_a_peak_without_money_monitors_nobody():
    model = CoopModel(mode="corporatism", rng=4, incentives__peak_dues=0.0)
    watched = 0
    for _ in range(20):
        model.step()
        watched += int(model.state.sanctions) + int(model.state.monitoring_costs > 0)
    np.testing.assert_array_equal(model.peak_pool, 0.0)
    assert watched == 0


def test_dues_buy_monitoring():
    rich = CoopModel(mode="corporatism", rng=4, incentives__peak_dues=1.0)
    rich.run_for(20)
    assert rich.timeseries()["monitoring_costs"].sum() > 0
    np.testing.assert_array_equal(rich.peak_strength, 1.0)


def _corporatist_round(seed: int = 5):
    model = CoopModel(mode="corporatism", rng=seed)
    model.run_for(10)
    assert model.state.round_open
    return model, dataclasses.replace(model.state)


def test_a_member_leaves_alone_when_staying_costs_more_than_what_it_forfeits():
    """No sector-wide consent: one member wanting out, with nobody else, leaves."""
    model, state = _corporatist_round()
    insider = model.orgs.peak_member[state.org]
    state.benefit = np.full(len(state.rows), 0.01)
    state.membership_return = np.full(len(state.rows), -1.0)  # a heavy loss every month
    cause = np.zeros(len(state.rows), dtype=np.int64)
    cause[0] = CAUSE["outside_option"]
    out = PeakMembership().exits(model, state, cause)
    assert out[0] == CAUSE["outside_option"] and not out[1:].any()
    assert insider[0] and state.exit_cost[0] > 0  # it forfeited something, and still left


def test_an_insider_stays_when_it_would_forfeit_more_than_staying_costs():
    model, state = _corporatist_round()
    state.benefit = np.full(len(state.rows), 5.0)  # a large negotiated share
    state.membership_return = np.full(len(state.rows), -0.01)
    cause = np.full(len(state.rows), CAUSE["outside_option"])
    out = PeakMembership().exits(model, state, cause)
    insider = model.orgs.peak_member[state.org]
    assert not out[insider].any() and out[~insider].all()  # outsiders forfeit nothing


def test_who_breaks_ranks_is_an_outsider_for_a_term_then_rejoins():
    model = CoopModel(mode="corporatism", rng=6)
    base = model.orgs.peak_member.copy()
    expelled_at = {}
    for _ in range(120):
        before = model.orgs.peak_member.copy()
        model.step()
        for org in np.flatnonzero(before & ~model.orgs.peak_member):
            expelled_at[int(org)] = model.steps - 1
        for org, t in list(expelled_at.items()):
            if model.orgs.peak_member[org]:
                assert model.steps - 1 - t >= model.config.governance.contract_term
                del expelled_at[org]
    assert model.timeseries()["peak_expulsions"].sum() > 0
    assert not np.any(model.orgs.peak_member & ~base)  # only insiders are ever readmitted
    assert not np.isin(np.flatnonzero(~model.orgs.peak_member & base), model.orgs.peak).any()
