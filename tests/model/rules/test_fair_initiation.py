"""A fair comparison: initiation opportunities per step are one shared parameter; the boundary
rule decides who may take them, not how many there are."""

from __future__ import annotations

import numpy as np
import pytest

from coopsim.model import CoopModel
from coopsim.model.config import MODES
from coopsim.model.formation import initiation_chance


@pytest.mark.parametrize("initiators", [12, 40, 67])  # large enough for no cap
def test_the_expected_number_of_proposals_does_not_depend_on_the_pool(initiators):
    model = CoopModel(mode="governance", rng=1)
    n = model.orgs.n
    firms = ~model.orgs.is_government  # no budget cut reaches them
    expected = initiation_chance(model, initiators)[firms] * initiators
    rate = model.config.partnerships.initiation_rate * 1.5  # no value yet: unmet demand is 1
    np.testing.assert_allclose(expected, rate * n)


def test_a_small_pool_is_capped_at_one_proposal_each():
    model = CoopModel(mode="statism", rng=1, partnerships__initiation_rate=0.9)
    np.testing.assert_array_equal(initiation_chance(model, 3), 1.0)


def test_per_organisation_opportunities_grow_with_the_pool():
    model = CoopModel(mode="statism", rng=1, partnerships__initiation="per_organisation")
    rate = model.config.partnerships.initiation_rate * 1.5
    np.testing.assert_allclose(initiation_chance(model, 12), rate)
    np.testing.assert_allclose(initiation_chance(model, 60), rate)


def test_every_mode_draws_the_same_initiation_numbers():
    """Common random numbers: the formation stream's first draws are the same in every mode."""
    first = {}
    for mode in MODES:
        model = CoopModel(mode=mode, rng=5)
        first[mode] = model.streams.formation.random(model.orgs.n)
    for mode in MODES[1:]:
        np.testing.assert_array_equal(first[mode], first[MODES[0]])
