"""Pluralism: the state as referee. Agencies tender; firms and NGOs compete on cost and quality."""

from __future__ import annotations

import numpy as np

from coopsim.model.modes.base import Enforcement, GovernanceMode, Proposal
from coopsim.model.sectors import GOVERNMENT, PROFIT


class Pluralism(GovernanceMode):
    """Agencies put work out to tender; non-state bidders are scored by quality per price and the
    best win; the contract fixes commitments and is re-tendered each term; the state audits a
    share of contracts, applies contract penalties at once and pays for delivery; value follows
    delivered contribution."""

    name = "pluralism"
    role = "referee"
    formality = 1.0
    monitoring = 0.5
    state_monitors = True
    pays_rewards = True

    def initiators(self, model, eligible):
        return eligible[model.orgs.is_government[eligible]]

    contract_term = 12  # steps between re-tenders of every seat

    def _bids(self, model, lead, cands):
        """Quality per price of each bidder: what it adds to the lead's work, for its price."""
        orgs = model.orgs
        share = model.config.partnerships.commitment
        quality = self.complementarity(model, np.array([lead]), cands)
        quality = quality * (0.5 + orgs.collaborative_capacity[cands])
        opportunity = model.config.production.stand_alone * share * orgs.available[cands].sum(1)
        price = opportunity * (1.0 + orgs.goals[cands, PROFIT]) + 1e-9
        return quality / price

    def propose(self, model, lead, size):
        bidders_pool = np.flatnonzero(model.orgs.sector != GOVERNMENT)
        cands = self.candidates(model, lead, pool=bidders_pool)
        if len(cands) < size - 1:
            return None
        score = self._bids(model, lead, cands)
        tie = model.streams.formation.random(len(cands))
        chosen = cands[np.lexsort((tie, -score))[: size - 1]]
        members = np.concatenate(([lead], chosen))
        return Proposal(
            members=members,
            objective=model.orgs.goals[lead] / model.orgs.goals[lead].sum(),
            commitment=np.full(len(members), model.config.partnerships.commitment),
            negotiating_pairs=len(cands),  # every bid is evaluated
            rounds=1,
        )

    def review(self, model, t):
        """At the end of each contract term the weakest seat is re-tendered: its incumbent keeps
        it only if its bid, discounted by the delivery the agency observed, still beats the best
        challenger's. Current members do not bid."""
        table, mem = model.partnerships_table, model.members
        ids = table.active()
        age = t - table.formed[ids]
        due = ids[(age > 0) & (age % self.contract_term == 0)]
        if not len(due):
            return
        live = mem.live()
        bidders_pool = np.flatnonzero(model.orgs.sector != GOVERNMENT)
        for pid in due:
            lead = int(table.lead[pid])
            seats = live[(mem.partnership[live] == pid) & (mem.organisation[live] != lead)]
            if not len(seats):
                continue
            current = mem.organisation[live[mem.partnership[live] == pid]]
            cands = self.candidates(model, lead, pool=np.setdiff1d(bidders_pool, current))
            if not len(cands):
                continue
            challenger = self._bids(model, lead, cands)
            incumbents = mem.organisation[seats]
            held = self._bids(model, lead, incumbents) * mem.observed[seats]
            best = int(np.argmax(challenger))
            worst = int(np.argmin(held))
            if challenger[best] > held[worst]:
                model.replace_member(int(seats[worst]), int(cands[best]), t)

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
