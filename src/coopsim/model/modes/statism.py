"""Statism: the state as authority. Command and control in pursuit of the national interest."""

from __future__ import annotations

import numpy as np

from coopsim.model.formation import Shortlist, Terms, rank
from coopsim.model.modes.base import Enforcement, GovernanceMode


class Statism(GovernanceMode):
    """Agencies initiate and assign partners by what they lack; contributions are mandated;
    every member is monitored from the budget and every detected shortfall is sanctioned at once;
    the state keeps control of the value; left-over budget seeds its partnerships with finance."""

    name = "statism"
    role = "authority"
    formality = 1.0
    monitoring = 1.0
    state_monitors = True
    mandated = True

    def initiators(self, model, eligible):
        return eligible[model.orgs.is_government[eligible]]

    fills_every_seat = True

    def shortlist(self, model, leads):
        """Partners assigned by what the agency lacks: complementarity, random tie-break."""
        cands = self.candidates(model, leads)
        gain = self.complementarity(model, leads, cands)
        tie = model.streams.formation.random(cands.shape)
        return Shortlist(rank(cands, gain, tie), (cands >= 0).sum(axis=1))

    def terms(self, model, drafts):
        return Terms(
            objective=self.national_objective(model.orgs.goals[drafts.leads]),
            commitment=np.full(len(drafts.members), model.config.partnerships.commitment),
            negotiating_pairs=drafts.sizes - 1,
            rounds=1,
        )

    def graduated(self, model):
        return False  # command and control: no warning first

    def enforce(self, model, rnd):
        monitored, caught = self.detect(model, rnd, self.monitoring)
        sanction, warned = self.punish(model, rnd, caught, graduated=False)
        return Enforcement(
            sanction=sanction,
            reward=np.zeros(len(rnd.rows)),
            warned_before=warned,
            monitored=monitored,
        )

    def benefit_weights(self, model, rnd):
        return model.orgs.authority[rnd.organisation] + 0.05

    def spend(self, model, budget, rnd):
        counts = np.bincount(rnd.partnership, minlength=len(rnd.ids))
        seed = budget * counts / max(counts.sum(), 1)
        return {"seed": seed, "training": np.zeros(model.orgs.n)}
