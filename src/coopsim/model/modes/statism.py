"""Statism: the state as authority. Command and control in pursuit of the national interest."""

from __future__ import annotations

import numpy as np

from coopsim.model.modes.base import Enforcement, GovernanceMode, Proposal


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

    def propose(self, model, lead, size):
        cands = self.candidates(model, lead)
        if len(cands) < size - 1:
            return None
        gain = self.complementarity(model, np.array([lead]), cands)
        tie = model.streams.formation.random(len(cands))
        chosen = cands[np.lexsort((tie, -gain))[: size - 1]]
        members = np.concatenate(([lead], chosen))
        share = model.config.partnerships.commitment
        return Proposal(
            members=members,
            objective=self.national_objective(model.orgs.goals[lead]),
            commitment=np.full(len(members), share),
            negotiating_pairs=len(members) - 1,
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
