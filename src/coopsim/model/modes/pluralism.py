"""Pluralism: the state as referee. Agencies tender; firms and NGOs compete on cost and quality."""

from __future__ import annotations

import numpy as np

from coopsim.model import formation
from coopsim.model.arrays import ranges, run_starts
from coopsim.model.formation import Shortlist, Terms, rank
from coopsim.model.modes.base import Enforcement, GovernanceMode
from coopsim.model.sectors import PROFIT


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

    fills_every_seat = True

    def _bids(self, model, leads, cands):
        """Quality per price of each bidder: what it adds to its lead's work, for its price."""
        orgs = model.orgs
        bidder = np.maximum(cands, 0)
        share = model.config.partnerships.commitment
        quality = self.complementarity(model, leads, cands)
        quality = quality * (0.5 + orgs.collaborative_capacity[bidder])
        stand_alone = model.config.production.stand_alone
        opportunity = stand_alone * share * orgs.available[:, bidder].sum(axis=0)
        price = opportunity * (1.0 + orgs.goals[bidder, PROFIT]) + 1e-9
        return quality / price

    def shortlist(self, model, leads):
        """Bids from non-government organisations, best quality per price first."""
        cands = self.candidates(model, leads, allowed=~model.orgs.is_government)
        score = self._bids(model, leads, cands)
        tie = model.streams.formation.random(cands.shape)
        return Shortlist(rank(cands, score, tie), (cands >= 0).sum(axis=1))  # every bid evaluated

    def terms(self, model, drafts):
        goals = model.orgs.goals[drafts.leads]
        return Terms(
            objective=goals / goals.sum(axis=1, keepdims=True),
            commitment=np.full(len(drafts.members), model.config.partnerships.commitment),
            negotiating_pairs=drafts.considered,
            rounds=1,
        )

    def review(self, model, t):
        """At the end of each contract term the weakest seat is re-tendered: its incumbent keeps
        it only if its bid, discounted by the delivery the agency observed, still beats the best
        challenger's. Current members do not bid; partnerships due re-tender in id order."""
        table, mem = model.partnerships_table, model.members
        ids = table.active()
        age = t - table.formed[ids]
        due = ids[(age > 0) & (age % model.config.governance.contract_term == 0)]
        if not len(due):
            return
        live = mem.live()  # grouped by partnership
        part = mem.partnership[live]
        lo, hi = np.searchsorted(part, due), np.searchsorted(part, due, side="right")
        rows = live[ranges(lo, hi)]
        group = np.repeat(np.arange(len(due)), hi - lo)  # position in ``due`` of each row
        org = mem.organisation[rows]
        leads = table.lead[due]
        # The weakest seat of each partnership: lowest bid discounted by the observed delivery.
        held = self._bids(model, leads[group], org[:, None])[:, 0] * mem.observed[rows]
        held[org == leads[group]] = np.inf  # the lead's seat is not at stake
        order = np.lexsort((held, group))
        weakest = order[run_starts(group[order])]
        weakest = weakest[np.isfinite(held[weakest])]
        if not len(weakest):
            return
        # Challengers for every contested partnership at once; its members do not bid.
        contested = group[weakest]
        position = np.full(len(due), -1)
        position[contested] = np.arange(len(contested))
        inside = position[group] >= 0
        members = np.unique(position[group[inside]] * model.orgs.n + org[inside])
        cands = self.candidates(
            model, leads[contested], allowed=~model.orgs.is_government, exclude=members
        )
        score = np.where(cands >= 0, self._bids(model, leads[contested], cands), -np.inf)
        best_first = np.argsort(-score, axis=1, kind="stable")
        at = np.arange(len(cands))[:, None]
        ranked, ranked_score = cands[at, best_first], score[at, best_first]
        free = formation.free_slots(model).tolist()
        bar = held.tolist()
        seats, winners = [], []
        for k, seat in enumerate(weakest.tolist()):  # in id order: a win uses up a free slot
            for c, bid in zip(ranked[k].tolist(), ranked_score[k].tolist(), strict=True):
                if c >= 0 and free[c] > 0:
                    if bid > bar[seat]:
                        seats.append(rows[seat])
                        winners.append(c)
                        free[c] -= 1
                    break
        if seats:
            model.replace_members(np.array(seats), np.array(winners), t)

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
