"""Corporatism: the state as mediator. Peak organisations negotiate for their sectors."""

from __future__ import annotations

import numpy as np

from coopsim.model.modes.base import Enforcement, GovernanceMode, Proposal
from coopsim.model.sectors import GOVERNMENT


class Corporatism(GovernanceMode):
    """Agencies and peak organisations initiate; the peak organisation of each sector nominates
    its affiliated members (outsiders are not asked); objective and shares are negotiated between
    the state and the peaks; peaks monitor and discipline their own members from dues (pool
    punishment); members leave only with their peak's consent; the state's budget
    subsidises the negotiated partnerships."""

    name = "corporatism"
    role = "mediator"
    formality = 0.8
    monitoring = 0.75
    state_monitors = False

    def initiators(self, model, eligible):
        orgs = model.orgs
        ok = orgs.is_government[eligible] | np.isin(eligible, orgs.peak)
        return eligible[ok]

    def propose(self, model, lead, size):
        orgs = model.orgs
        sectors = [s for s in np.unique(orgs.sector) if orgs.peak[s] >= 0]
        others = [s for s in sectors if s != orgs.sector[lead]] or sectors
        insiders = np.flatnonzero(orgs.peak_member)
        nominees = []  # each peak ranks its own eligible insiders by seniority (size)
        for s in others:
            cands = self.candidates(model, lead, pool=insiders[orgs.sector[insiders] == s])
            seniority = orgs.endowment[cands].sum(axis=1)
            nominees.append(list(cands[np.argsort(-seniority, kind="stable")]))
        start = int(model.streams.formation.integers(len(nominees)))
        chosen: list[int] = []
        while len(chosen) < size - 1 and any(nominees):  # seats go round the peaks in turn
            queue = nominees[start % len(nominees)]
            if queue:
                chosen.append(int(queue.pop(0)))
            start += 1
        chosen = chosen[: size - 1]
        if len(chosen) < model.config.partnerships.size_min - 1:
            return None
        members = np.array([lead, *chosen])
        peaks = orgs.peak[np.unique(orgs.sector[members])]
        negotiators = np.unique(np.concatenate(([lead], peaks[peaks >= 0])))
        goals = orgs.goals[negotiators]
        objective = goals.mean(axis=0)
        if orgs.sector[lead] == GOVERNMENT:
            objective = 0.5 * objective + 0.5 * orgs.goals[lead]
        return Proposal(
            members=members,
            objective=objective / objective.sum(),
            commitment=np.full(len(members), model.config.partnerships.commitment),
            negotiating_pairs=len(negotiators) * (len(negotiators) - 1) // 2 + 1,
            rounds=2,
        )

    def enforce(self, model, rnd):
        monitored, caught = self.detect(model, rnd, self.monitoring)
        sanction, warned = self.punish(model, rnd, caught, self.graduated(model))
        return Enforcement(
            sanction=sanction,
            reward=np.zeros(len(rnd.rows)),
            warned_before=warned,
            monitored=monitored,
        )

    def benefit_weights(self, model, rnd):
        """Equal shares per sector, split equally within the sector (the negotiated quota)."""
        sector = model.orgs.sector[rnd.organisation].astype(np.int64)
        key = rnd.partnership * 4 + sector
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        return 1.0 / counts[inverse]

    def exit_groups(self, model, rnd):
        """A member leaves only with its peak organisation's consent: when most of its sector's
        members in corporatist partnerships want out too."""
        return model.orgs.sector[rnd.organisation].astype(np.int64)

    def spend(self, model, budget, rnd):
        """Equal subsidies to every negotiated partnership."""
        seed = np.full(len(rnd.ids), budget / max(len(rnd.ids), 1))
        return {"seed": seed, "training": np.zeros(model.orgs.n)}
