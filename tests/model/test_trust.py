"""Trust submodels alone: asymmetry, bounds, lasting damage, institutionalisation, handover."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coopsim.model import CoopModel, trust
from coopsim.model.config import Trust

DEFAULT = Trust()
T0 = DEFAULT.initial_personal
# Personal trust from the level at which every relationship starts (strangers) up to full trust.
P_FROM_STRANGERS = np.linspace(T0, 1.0, 71)
P_FULL_RANGE = np.linspace(0.01, 1.0, 100)

unit = st.floats(0.0, 1.0)
units = hnp.arrays(float, 8, elements=unit)
# Evidence is clipped by the rule, so any finite or infinite number is a legal input.
evidence = hnp.arrays(float, 8, elements=st.floats(allow_nan=False))


def _updated(p: np.ndarray, e: float, cfg: Trust = DEFAULT) -> np.ndarray:
    return trust.update_personal(p, np.full_like(p, e), cfg.gain, cfg.loss)


def _effective(p, i, d, u, cfg: Trust = DEFAULT):
    return trust.effective_trust(
        np.asarray(p, float), np.asarray(i, float), np.asarray(d, float), np.asarray(u, float),
        cfg.personal_weight_min,
    )  # fmt: skip


# ---- asymmetry ------------------------------------------------------------------------------


def test_defaults_lose_trust_faster_than_they_build_it():
    assert DEFAULT.loss > DEFAULT.gain


def test_one_defection_costs_more_personal_trust_than_one_cooperation_earns():
    lost = P_FROM_STRANGERS - _updated(P_FROM_STRANGERS, 0.0)
    won = _updated(P_FROM_STRANGERS, 1.0) - P_FROM_STRANGERS
    assert np.all(lost > won)
    assert np.all(won >= 0) and np.all(lost > 0)


def test_asymmetry_holds_above_the_crossover_and_only_there():
    """Bounded trust cannot fall far from near zero: the drop loss·P and the rise gain·(1−P)
    cross at P* = gain/(gain+loss) (≈ 0.24 by default, below strangers' trust). Pattern 1 is
    stated for trust at or above P*; docs/ODD.md says so."""
    p = Trust()
    crossover = p.gain / (p.gain + p.loss)
    assert crossover < p.initial_personal
    lost = P_FULL_RANGE - _updated(P_FULL_RANGE, 0.0)
    won = _updated(P_FULL_RANGE, 1.0) - P_FULL_RANGE
    above = np.greater(P_FULL_RANGE, crossover + 1e-9)
    below = np.less(P_FULL_RANGE, crossover - 1e-9)
    assert np.all(lost[above] > won[above])
    assert np.all(lost[below] < won[below])


def test_a_betrayal_costs_several_cooperations():
    """From stranger-level trust up, one cooperation never repairs one defection."""
    for p in P_FROM_STRANGERS[:-1]:
        x = _updated(np.array([p]), 0.0)
        needed = 0
        while x[0] < p:
            x = _updated(x, 1.0)
            needed += 1
        assert needed >= 2, p


@pytest.mark.parametrize("institutionalised", [0.0, 0.5, 1.0])
def test_effective_trust_drop_with_damage_exceeds_the_rise(institutionalised):
    p = P_FROM_STRANGERS
    i = np.full_like(p, 0.5)
    u = np.full_like(p, institutionalised)
    zero = np.zeros_like(p)
    before = _effective(p, i, zero, u)
    after_defection = _effective(
        _updated(p, 0.0), i, trust.add_damage(zero, np.ones_like(p), DEFAULT.damage), u
    )
    after_defection_no_damage = _effective(_updated(p, 0.0), i, zero, u)
    after_cooperation = _effective(_updated(p, 1.0), i, zero, u)
    drop = before - after_defection
    assert np.all(drop > after_cooperation - before)
    # the lasting damage makes a betrayal cost more than the personal loss alone
    assert np.all(drop > before - after_defection_no_damage)


def test_partial_evidence_interpolates_between_cooperation_and_defection():
    p = P_FROM_STRANGERS
    low, mid, high = _updated(p, 0.0), _updated(p, 0.5), _updated(p, 1.0)
    assert np.all(low <= mid) and np.all(mid <= high)
    np.testing.assert_allclose(mid, 0.5 * (low + high))


# ---- bounds ---------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(p=units, e=evidence, gain=unit, loss=unit)
def test_update_personal_stays_in_unit_interval(p, e, gain, loss):
    out = trust.update_personal(p, e, gain, loss)
    assert np.all(np.isfinite(out)) and out.min() >= 0.0 and out.max() <= 1.0


@settings(max_examples=150, deadline=None)
@given(p=units, i=units, d=units, u=units, wmin=unit, amount=unit, rate=unit, chi=unit, t0=unit)
def test_every_trust_rule_maps_unit_inputs_into_the_unit_interval(
    p, i, d, u, wmin, amount, rate, chi, t0
):
    defected = p > 0.5
    outputs = {
        "effective": trust.effective_trust(p, i, d, u, wmin),
        "damage": trust.add_damage(d, defected, amount),
        "healed": trust.heal(d, rate),
        "institutionalised": trust.institutionalise(u, i * 3 - 1, rate),  # formality clipped
        "institutional": trust.update_institutional(i, p, u, rate),
        "handover": trust.handover(i, chi, t0),
    }
    for name, out in outputs.items():
        assert np.all(np.isfinite(out)), name
        assert out.min() >= -1e-12 and out.max() <= 1.0 + 1e-12, (name, out)


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.tuples(evidence, unit, st.booleans()), min_size=1, max_size=25),
    params=st.tuples(unit, unit, unit, unit, unit, unit, unit, unit),
)
def test_any_sequence_of_updates_keeps_all_trust_state_in_bounds(steps, params):
    gain, loss, dmg, healing, inst, learn, wmin, chi = params
    p = np.full(8, T0)
    i = np.full(8, T0)
    d = np.zeros(8)
    u = np.zeros(8)
    for e, formality, turnover in steps:
        p = trust.update_personal(p, e, gain, loss)
        d = trust.heal(trust.add_damage(d, np.clip(e, 0, 1) < 0.5, dmg), healing)
        u = trust.institutionalise(u, np.full(8, formality), inst)
        i = trust.update_institutional(i, p, u, learn)
        if turnover:
            p = trust.handover(i, chi, T0)
        for x in (p, i, d, u, trust.effective_trust(p, i, d, u, wmin)):
            assert np.all(np.isfinite(x)) and x.min() >= 0.0 and x.max() <= 1.0 + 1e-12


# ---- lasting damage -------------------------------------------------------------------------


def test_damage_accumulates_with_repeated_betrayal_but_never_exceeds_one():
    d = np.zeros(1)
    history = []
    for _ in range(200):
        d = trust.add_damage(d, np.ones(1), DEFAULT.damage)
        history.append(d[0])
    assert np.all(np.diff(history) >= 0)
    assert history[1] > history[0] and history[-1] <= 1.0
    assert trust.add_damage(np.array([0.4]), np.zeros(1), DEFAULT.damage)[0] == 0.4


def test_damage_heals_monotonically_towards_zero():
    d = np.array([DEFAULT.damage])
    history = [d[0]]
    for _ in range(400):
        d = trust.heal(d, DEFAULT.healing)
        history.append(d[0])
    assert np.all(np.diff(history) < 0)
    assert history[-1] < 1e-6 * history[0]
    assert trust.heal(np.array([0.3]), 0.0)[0] == 0.3


def test_damage_heals_slowly_half_life_of_at_least_a_year():
    d = np.array([DEFAULT.damage])
    for _ in range(12):  # one step = one month
        d = trust.heal(d, DEFAULT.healing)
    assert d[0] > 0.5 * DEFAULT.damage


def test_damage_outlasts_the_personal_trust_lost_in_a_betrayal():
    """After one betrayal and steady cooperation, personal trust is back before effective trust."""
    p0 = np.array([0.5])
    zero = np.zeros(1)
    t_before = _effective(p0, zero, zero, zero)[0]
    p = _updated(p0, 0.0)
    d = trust.add_damage(zero, np.ones(1), DEFAULT.damage)
    personal_back = effective_back = None
    for step in range(1, 200):
        p = _updated(p, 1.0)
        d = trust.heal(d, DEFAULT.healing)
        if personal_back is None and p[0] >= p0[0]:
            personal_back = step
        if effective_back is None and _effective(p, zero, d, zero)[0] >= t_before:
            effective_back = step
    assert personal_back is not None and effective_back is not None
    assert effective_back > personal_back


# ---- institutionalisation -------------------------------------------------------------------


@pytest.mark.parametrize("formality", [0.2, 0.5, 1.0])
def test_institutionalisation_rises_monotonically_towards_one(formality):
    u = np.zeros(1)
    history = [0.0]
    for _ in range(500):
        u = trust.institutionalise(u, np.array([formality]), DEFAULT.institutionalisation)
        history.append(u[0])
    assert np.all(np.diff(history) > 0)
    assert max(history) <= 1.0
    assert history[-1] > 0.95


def test_more_formal_agreements_institutionalise_faster_and_none_not_at_all():
    u = np.full(3, 0.2)
    out = trust.institutionalise(u, np.array([0.0, 0.5, 1.0]), DEFAULT.institutionalisation)
    assert out[0] == 0.2
    assert out[0] < out[1] < out[2]


def test_institutionalisation_lowers_the_weight_of_personal_trust():
    u = np.linspace(0.0, 1.0, 11)
    # with P = 1, I = 0 and no damage, effective trust is ω itself
    omega = _effective(np.ones_like(u), np.zeros_like(u), np.zeros_like(u), u)
    assert omega[0] == pytest.approx(1.0)
    assert omega[-1] == pytest.approx(DEFAULT.personal_weight_min)
    assert np.all(np.diff(omega) < 0)


def test_institutionalised_relationships_lose_less_effective_trust_when_personal_trust_goes():
    p_before, p_after, i = np.array([0.8]), np.array([0.3]), np.array([0.8])
    zero = np.zeros(1)
    drops = [
        (_effective(p_before, i, zero, [u]) - _effective(p_after, i, zero, [u]))[0]
        for u in (0.0, 0.5, 1.0)
    ]
    assert drops[0] > drops[1] > drops[2] > 0


def test_institutional_trust_follows_personal_only_as_far_as_institutionalised():
    i, p = np.full(5, 0.3), np.full(5, 0.9)
    u = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    rate = DEFAULT.institutional_learning
    out = trust.update_institutional(i, p, u, rate)
    assert out[0] == 0.3  # a personal tie alone leaves no institutional trace
    np.testing.assert_allclose(out - i, u * rate * (p - i))
    assert np.all(np.diff(out) > 0)
    # it moves towards personal trust in both directions, never past it
    down = trust.update_institutional(np.full(5, 0.9), np.full(5, 0.2), u, 1.0)
    assert np.all(down <= 0.9) and np.all(down >= 0.2)


# ---- handover -------------------------------------------------------------------------------


@pytest.mark.parametrize("chi", [0.0, 0.3, 0.5, 1.0])
def test_handover_gives_a_mix_of_institutional_and_stranger_trust(chi):
    institutional = np.linspace(0.0, 1.0, 11)
    out = trust.handover(institutional, chi, T0)
    np.testing.assert_allclose(out, chi * institutional + (1 - chi) * T0)


def test_staff_turnover_keeps_institutional_trust_and_replaces_personal():
    model = CoopModel(mode="governance", rng=5)
    model.run_for(36)
    rel = model.relationships
    ties = np.bincount(rel.view("source"), minlength=model.orgs.n) + np.bincount(
        rel.view("target"), minlength=model.orgs.n
    )
    who = int(np.argmax(ties))
    hit = np.zeros(len(rel), dtype=bool)
    hit[rel.involving(np.array([who]))] = True
    personal = rel.view("personal").copy()
    institutional = rel.view("institutional").copy()
    changes = model.orgs.liaison_changes.copy()
    assert hit.sum() >= 2
    assert np.any(np.abs(personal[hit] - institutional[hit]) > 1e-3)  # something to lose

    model.trigger_shock("staff_exodus", target=model.orgs.names[who], severity=1.0)

    chi = model.config.turnover.handover
    np.testing.assert_array_equal(rel.view("institutional"), institutional)
    np.testing.assert_allclose(rel.view("personal")[hit], chi * institutional[hit] + (1 - chi) * T0)
    np.testing.assert_array_equal(rel.view("personal")[~hit], personal[~hit])
    assert model.orgs.liaison_changes[who] == changes[who] + 1
    assert model.orgs.liaison_tenure[who] == 0
