"""Governance: the state as activator. Anyone may initiate; multilateral negotiation."""

from __future__ import annotations

import numpy as np

from coopsim.model import formation
from coopsim.model.formation import Shortlist, Terms, rank
from coopsim.model.modes.base import Enforcement, GovernanceMode, alignment
from coopsim.model.partnerships import segment_sum


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

    def shortlist(self, model, leads):
        """Candidates ranked by trust, complementarity and goal fit (noisily); only the willing
        stay on the list."""
        orgs, rng = model.orgs, model.streams.formation
        cands = self.candidates(model, leads)
        them = np.maximum(cands, 0)
        lead = np.repeat(leads[:, None], cands.shape[1], axis=1)
        fit = alignment(orgs.goals[them], orgs.goals[leads][:, None, :])
        comp, back = self.pooled_gains(model, leads, cands)
        trust_in, trusted_by = model.trust_between(np.stack((lead, them)), np.stack((them, lead)))
        score = trust_in + comp / formation.row_max(comp, cands) + fit
        score = score + rng.gumbel(size=cands.shape) * 0.3
        # Voluntary: a candidate joins with a chance that rises with shared goals, with its
        # trust in the lead and with what the lead's resources add to its own (complementarity).
        appeal = fit + trusted_by + 0.5 * back / formation.row_max(back, cands)
        willing = rng.random(cands.shape) < 0.5 * (1.0 + np.tanh(3.0 * (appeal - 1.2)))
        return Shortlist(rank(cands, score, keep=willing), (cands >= 0).sum(axis=1))

    def terms(self, model, drafts):
        """The members' common ground; voluntary commitments; everyone negotiates with everyone."""
        orgs = model.orgs
        common = segment_sum(orgs.goals[drafts.members].T, drafts.group, len(drafts)).T
        k = drafts.sizes
        share = model.config.partnerships.commitment * (0.5 + orgs.propensity[drafts.members])
        return Terms(
            objective=common / common.sum(axis=1, keepdims=True),
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
        members = np.bincount(rnd.organisation, minlength=model.orgs.n) > 0
        training[members] = 0.5 * budget / np.count_nonzero(members)
        seed = np.full(len(rnd.ids), 0.5 * budget / len(rnd.ids))
        return {"seed": seed, "training": training}
