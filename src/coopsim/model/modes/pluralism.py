"""Pluralism: the state as referee. Agencies tender; firms and NGOs compete on cost and quality."""

from __future__ import annotations

import numpy as np

from coopsim.model.modes.base import Enforcement, GovernanceMode, Proposal
from coopsim.model.sectors import GOVERNMENT, PROFIT


class Pluralism(GovernanceMode):
    """Agencies put work out to tender; non-state bidders are scored by quality per price and the
    best win; the contract fixes commitments; the state audits a share of contracts, applies
    contract penalties at once and pays for delivery; value follows delivered contribution."""

    name = "pluralism"
    role = "referee"
    formality = 1.0
    monitoring = 0.5
    state_monitors = True
    pays_rewards = True

    def initiators(self, model, eligible):
        return eligible[model.orgs.is_government[eligible]]

    def propose(self, model, lead, size):
        bidders_pool = np.flatnonzero(model.orgs.sector != GOVERNMENT)
        cands = self.candidates(model, lead, pool=bidders_pool)
        if len(cands) < size - 1:
            return None
        orgs = model.orgs
        share = model.config.partnerships.commitment
        quality = self.complementarity(model, np.array([lead]), cands)
        quality = quality * (0.5 + orgs.collaborative_capacity[cands])
        opportunity = (
            model.config.production.stand_alone * share * orgs.available[cands].sum(axis=1)
        )
        price = opportunity * (1.0 + orgs.goals[cands, PROFIT]) + 1e-9
        score = quality / price
        tie = model.streams.formation.random(len(cands))
        chosen = cands[np.lexsort((tie, -score))[: size - 1]]
        members = np.concatenate(([lead], chosen))
        return Proposal(
            members=members,
            objective=orgs.goals[lead] / orgs.goals[lead].sum(),
            commitment=np.full(len(members), share),
            negotiating_pairs=len(cands),  # every bid is evaluated
            rounds=1,
        )

    def graduated(self, model):
        return False  # contract penalties apply from the first breach

    def enforce(self, model, rnd):
        monitored, caught = self.detect(model, rnd, self.monitoring)
        penalty, warned = self.punish(model, rnd, caught, graduated=False)
        return Enforcement(
            sanction=penalty,
            reward=self.reward_delivery(model, rnd, monitored),
            warned_before=warned,
            monitored=monitored,
        )

    def benefit_weights(self, model, rnd):
        return rnd.delivered + 1e-9

    def spend(self, model, budget, rnd):
        contract = np.bincount(rnd.partnership, weights=rnd.delivered, minlength=len(rnd.ids))
        seed = budget * contract / contract.sum() if contract.sum() > 0 else contract
        return {"seed": seed, "training": np.zeros(model.orgs.n)}
