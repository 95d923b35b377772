"""Corporatism: the state as mediator. Peak organisations negotiate for their sectors."""

from __future__ import annotations

import numpy as np

from coopsim.model.formation import Shortlist, Terms
from coopsim.model.modes.base import Enforcement, GovernanceMode
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

    def shortlist(self, model, leads):
        """Each other sector's peak nominates its eligible insiders by seniority (size); seats
        go round the peaks in turn from one drawn at random."""
        orgs = model.orgs
        sectors = np.flatnonzero(orgs.peak >= 0)  # every sector with organisations has a peak
        lead_sector = orgs.sector[leads]
        asked = (lead_sector[:, None] != sectors[None, :]) | (len(sectors) == 1)  # (P, S)
        turn = np.cumsum(asked, axis=1) - 1  # each asked sector's place in the lead's round
        start = (model.streams.formation.random(len(leads)) * asked.sum(axis=1)).astype(int)
        blocks, keys = [], []
        for j, s in enumerate(sectors):
            who = np.flatnonzero(asked[:, j])
            cands = self.candidates(
                model, leads[who], allowed=orgs.peak_member & (orgs.sector == s)
            )
            seniority = np.where(
                cands >= 0, orgs.endowment[:, np.maximum(cands, 0)].sum(axis=0), -1.0
            )
            nominees = np.take_along_axis(cands, np.argsort(-seniority, axis=1, kind="stable"), 1)
            place = (turn[who, j] - start[who]) % asked[who].sum(axis=1)
            block = np.full((len(leads), nominees.shape[1]), -1, dtype=np.int64)
            key = np.full(block.shape, np.inf)
            block[who] = nominees
            key[who] = np.arange(nominees.shape[1]) * len(sectors) + place[:, None]
            blocks.append(block)
            keys.append(key)
        ranked, key = np.concatenate(blocks, axis=1), np.concatenate(keys, axis=1)
        key[ranked < 0] = np.inf
        order = np.argsort(key, axis=1, kind="stable")
        considered = (ranked >= 0).sum(axis=1)
        return Shortlist(np.take_along_axis(ranked, order, axis=1), considered)

    def terms(self, model, drafts):
        """The lead and the members' peak organisations negotiate; an agency lead weighs its own
        goals half."""
        orgs = model.orgs
        f = len(drafts)
        present = np.zeros((f, len(orgs.peak)), dtype=bool)
        present[drafts.group, orgs.sector[drafts.members]] = True
        speaks = present & (orgs.peak >= 0)[None, :]
        peak_of = np.where(orgs.peak >= 0, orgs.peak, 0)
        lead_is_peak = np.any(speaks & (peak_of[None, :] == drafts.leads[:, None]), axis=1)
        goals = speaks.astype(float) @ orgs.goals[peak_of]
        goals += np.where(lead_is_peak, 0.0, 1.0)[:, None] * orgs.goals[drafts.leads]
        negotiators = speaks.sum(axis=1) + ~lead_is_peak
        objective = goals / negotiators[:, None]
        agency = orgs.sector[drafts.leads] == GOVERNMENT
        objective[agency] = 0.5 * objective[agency] + 0.5 * orgs.goals[drafts.leads[agency]]
        return Terms(
            objective=objective / objective.sum(axis=1, keepdims=True),
            commitment=np.full(len(drafts.members), model.config.partnerships.commitment),
            negotiating_pairs=negotiators * (negotiators - 1) // 2 + 1,
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
