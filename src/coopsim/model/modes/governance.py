"""Governance: the state as activator. Anyone may initiate; multilateral negotiation."""

from __future__ import annotations

import numpy as np

from coopsim.model.modes.base import Enforcement, GovernanceMode, Proposal, alignment


class Governance(GovernanceMode):
    """Any organisation may convene a partnership; partners are chosen by trust, complementarity
    and goal alignment, and join only if they want to; the objective is the members' common
    ground; commitments are voluntary; partners monitor each other (joint evaluation) with
    graduated sanctions, the state rewards good delivery from at most half its budget and spends
    the rest on capacity building and seed funding."""

    name = "governance"
    role = "activator"
    formality = 0.5
    monitoring = 0.6
    state_monitors = False
    pays_rewards = True
    reward_share = 0.5  # the activator keeps half its budget for capacity and seed funding

    def initiators(self, model, eligible):
        return eligible

    def propose(self, model, lead, size):
        orgs = model.orgs
        cands = self.candidates(model, lead)
        if len(cands) < size - 1:
            return None
        rng = model.streams.formation
        trust_in = model.trust_between(np.full(len(cands), lead), cands)
        comp = self.complementarity(model, np.array([lead]), cands)
        comp = comp / max(comp.max(), 1e-12)
        fit = alignment(orgs.goals[cands], orgs.goals[lead])
        score = trust_in + comp + fit
        order = np.argsort(-(score + rng.gumbel(size=len(cands)) * 0.3), kind="stable")
        trust_back = model.trust_between(cands, np.full(len(cands), lead))
        # Voluntary: a candidate joins with a chance that rises with shared goals, with its
        # trust in the lead and with what the lead's resources add to its own (complementarity).
        gain_back = self.pair_gain(model, cands, lead)
        appeal = fit + trust_back + 0.5 * gain_back / max(gain_back.max(), 1e-12) - 1.2
        willing = rng.random(len(cands)) < 0.5 * (1.0 + np.tanh(3.0 * appeal))
        chosen = cands[order][willing[order]][: size - 1]
        if len(chosen) < model.config.partnerships.size_min - 1:
            return None
        members = np.concatenate(([lead], chosen))
        objective = orgs.goals[members].mean(axis=0)
        share = model.config.partnerships.commitment * (0.5 + orgs.propensity[members])
        k = len(members)
        return Proposal(
            members=members,
            objective=objective / objective.sum(),
            commitment=np.clip(share, 0.0, 1.0),
            negotiating_pairs=k * (k - 1) // 2,
            rounds=2,
        )

    def enforce(self, model, rnd):
        monitored, caught = self.detect(model, rnd, self.monitoring)
        sanction, warned = self.punish(model, rnd, caught, self.graduated(model))
        return Enforcement(
            sanction=sanction,
            reward=self.reward_delivery(model, rnd, monitored),
            warned_before=warned,
            monitored=monitored,
        )

    def benefit_weights(self, model, rnd):
        """Half shared equally, half by contribution."""
        n = len(rnd.ids)
        members = np.bincount(rnd.partnership, minlength=n)[rnd.partnership]
        total = np.bincount(rnd.partnership, weights=rnd.delivered, minlength=n)[rnd.partnership]
        by_contribution = np.where(total > 0, rnd.delivered / np.maximum(total, 1e-12), 1 / members)
        return 0.5 / members + 0.5 * by_contribution

    def spend(self, model, budget, rnd):
        """Half on capacity building for members, half as seed funding for partnerships."""
        training = np.zeros(model.orgs.n)
        members = np.unique(rnd.organisation)
        training[members] = 0.5 * budget / len(members)
        seed = np.full(len(rnd.ids), 0.5 * budget / len(rnd.ids))
        return {"seed": seed, "training": training}
