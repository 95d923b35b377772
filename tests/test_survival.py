"""Competing ends (coopsim.survival): the discrete-time Aalen–Johansen estimator, checked against
lifelines where ages do not tie and by hand where they do, and the restricted means up to τ."""

from __future__ import annotations

import math
from fractions import Fraction as Q

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopsim.survival import ENDS, aalen_johansen, followed_until, restricted_means

# Tied ages as monthly data have them: at 2 months two dissolve, one completes and one is censored
# at once; at 3 one completes and one is censored; at 5 one of each end and one censored.
TIED_AGES = [2, 2, 2, 2, 3, 3, 5, 5, 5, 7]
TIED_ENDS = ["dissolved", "completed", "dissolved", "", "completed", "", "dissolved", "completed"]
TIED_ENDS += ["", ""]


def _by_hand() -> dict[str, list[Q]]:
    """The estimator written out: ends in one month share S(t−); the censored are at risk."""
    s2 = 1 - Q(3, 10)  # 10 at risk at 2, 3 ended
    s3 = s2 * (1 - Q(1, 6))  # 6 at risk at 3
    s5 = s3 * (1 - Q(2, 4))  # 4 at risk at 5
    dissolved = [Q(2, 10), Q(2, 10), Q(2, 10) + s3 * Q(1, 4)]
    completed = [Q(1, 10), Q(1, 10) + s2 * Q(1, 6)]
    completed.append(completed[-1] + s3 * Q(1, 4))
    return {"survival": [s2, s3, s5], "dissolved": dissolved, "completed": completed}


def test_tied_ages_by_hand():
    table = aalen_johansen(TIED_AGES, TIED_ENDS, ENDS)
    hand = _by_hand()
    assert list(table["age"]) == [2, 3, 5]  # a row per age with an end; 7 is only censored
    assert list(table["at_risk"]) == [10, 6, 4]
    assert list(table["dissolved"]) == [2, 0, 1] and list(table["completed"]) == [1, 1, 1]
    np.testing.assert_allclose(table["survival"], [float(v) for v in hand["survival"]])
    for kind in ENDS:
        np.testing.assert_allclose(table[f"incidence_{kind}"], [float(v) for v in hand[kind]])
    assert float(hand["survival"][-1] + hand["dissolved"][-1] + hand["completed"][-1]) == 1


def test_restricted_means_on_tied_ages_by_hand():
    """∫₀^6 of the step functions: S is 1 on [0, 2), S(2) on [2, 3), S(3) on [3, 5), S(5) on
    [5, 6); the incidences likewise from 0."""
    hand = _by_hand()
    means = restricted_means(TIED_AGES, TIED_ENDS, ENDS, 6)
    widths = [1, 2, 1]  # [2, 3), [3, 5), [5, 6)
    life = 2 + sum(w * s for w, s in zip(widths, hand["survival"], strict=True))
    assert means["horizon"] == 6
    assert means["life"] == pytest.approx(float(life))
    for kind in ENDS:
        lost = sum(w * f for w, f in zip(widths, hand[kind], strict=True))
        assert means[f"lost_{kind}"] == pytest.approx(float(lost))
    assert means["life"] + means["lost_dissolved"] + means["lost_completed"] == pytest.approx(6)


def test_matches_lifelines_on_untied_ages():
    """lifelines' Aalen–Johansen and Kaplan–Meier agree where no two ages tie (where they do,
    lifelines breaks the ties with random jitter, which monthly data must not have)."""
    import lifelines  # the test extra's reference implementation
    from lifelines.utils import restricted_mean_survival_time

    rng = np.random.default_rng(16)
    ages = rng.permutation(np.linspace(0.5, 80.0, 120)) + rng.uniform(0, 0.1, 120)
    ends = rng.choice(["", "completed", "dissolved"], 120, p=[0.25, 0.35, 0.4])
    table = aalen_johansen(ages, ends, ENDS)
    code = {"": 0, "completed": 1, "dissolved": 2}
    events = [code[e] for e in ends]
    for kind in ENDS:
        theirs = lifelines.AalenJohansenFitter(calculate_variance=False)
        theirs.fit(ages, events, event_of_interest=code[kind])
        curve = theirs.cumulative_density_.iloc[:, 0]
        np.testing.assert_allclose(
            table[f"incidence_{kind}"], curve.reindex(table["age"]).to_numpy(), atol=1e-12
        )
    km = lifelines.KaplanMeierFitter().fit(ages, ends != "")
    np.testing.assert_allclose(
        table["survival"], km.survival_function_.iloc[:, 0].reindex(table["age"]), atol=1e-12
    )
    tau = 50.0
    means = restricted_means(ages, ends, ENDS, tau)
    assert means["life"] == pytest.approx(restricted_mean_survival_time(km, t=tau), abs=1e-9)
    for kind in ENDS:
        theirs = lifelines.AalenJohansenFitter(calculate_variance=False)
        curve = theirs.fit(ages, events, event_of_interest=code[kind]).cumulative_density_
        steps = curve.iloc[:, 0].loc[:tau]
        lost = float(np.sum(np.diff([*steps.index, tau]) * steps.to_numpy()))
        assert means[f"lost_{kind}"] == pytest.approx(lost, abs=1e-9)


def test_completion_competes_rather_than_censors():
    """One minus the Kaplan–Meier with completions censored overstates the share dissolved."""
    table = aalen_johansen(TIED_AGES, TIED_ENDS, ENDS)
    km = aalen_johansen(TIED_AGES, [e if e == "dissolved" else "" for e in TIED_ENDS], ENDS)
    # By hand: 1 − (1 − 2/10)(1 − 1/4) = 2/5 with completions censored; with completion
    # competing, 2/10 + (7/10)(5/6)(1/4) = 83/240 dissolve by age 5.
    assert km["survival"][-1] == pytest.approx(3 / 5, abs=1e-12)
    assert table["incidence_dissolved"][-1] == pytest.approx(83 / 240, abs=1e-12)
    assert 1 - km["survival"][-1] > table["incidence_dissolved"][-1]


def test_tau_is_cut_to_the_oldest_age_followed():
    # The oldest (7 months) is still active: past 7 the curves are unknown.
    assert followed_until(TIED_AGES, TIED_ENDS) == 7
    assert restricted_means(TIED_AGES, TIED_ENDS, ENDS, 60)["horizon"] == 7
    assert restricted_means(TIED_AGES, TIED_ENDS, ENDS, 4)["horizon"] == 4
    # Every partnership of the oldest age ended: nothing is left at risk, the curves stay flat.
    ended = ["dissolved", "completed", "dissolved"]
    assert math.isinf(followed_until([1, 3, 3], ended))
    means = restricted_means([1, 3, 3], ended, ENDS, 10)
    assert means["horizon"] == 10 and means["life"] == pytest.approx(1 + 2 * 2 / 3)


def test_nothing_ended_and_no_partnership():
    means = restricted_means([5, 9, 12], ["", "", ""], ENDS, 10)
    assert means == {"horizon": 10, "life": 10, "lost_completed": 0, "lost_dissolved": 0}
    assert len(aalen_johansen([5, 9], ["", ""], ENDS)["age"]) == 0
    assert restricted_means([], [], ENDS, 10) is None
    assert math.isnan(followed_until([], []))
    # Partnerships formed in the last month are all age 0: τ is 0, and so is every mean.
    assert restricted_means([0, 0], ["", ""], ENDS, 10) == {
        "horizon": 0,
        "life": 0,
        "lost_completed": 0,
        "lost_dissolved": 0,
    }


monthly = st.lists(
    st.tuples(st.integers(0, 30), st.sampled_from(["", "completed", "dissolved"])),
    min_size=1,
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(monthly, st.integers(1, 40))
def test_incidences_and_survival_add_up(rows, horizon):
    """At every age F_completed + F_dissolved + S = 1; up to τ the time lost to each end and
    the restricted mean life add up to τ, and τ is never past the oldest age followed."""
    ages, ends = zip(*rows, strict=True)
    table = aalen_johansen(ages, ends, ENDS)
    total = table["incidence_completed"] + table["incidence_dissolved"] + table["survival"]
    np.testing.assert_allclose(total, 1.0, atol=1e-12)
    for kind in ENDS:
        assert np.all(np.diff(table[f"incidence_{kind}"]) >= 0)
    means = restricted_means(ages, ends, ENDS, horizon)
    tau = means["horizon"]
    assert tau <= horizon and tau <= followed_until(ages, ends)
    assert means["life"] + means["lost_completed"] + means["lost_dissolved"] == pytest.approx(
        tau, abs=1e-9
    )
    assert 0 <= means["life"] <= tau + 1e-9
