"""Position rules: the roles in forming a partnership — who ranks the candidates, and how.

A position rule searches the candidate pool (the shared search of ODD §7.3 within the boundary
rule's joinable organisations) and scores it; seats then go to the best-ranked candidates who agree
to join. It may also revisit running partnerships (the re-tender of a contract)."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from coopsim.model import formation
from coopsim.model.arrays import ranges, run_starts
from coopsim.model.rules.base import Pool, Rule
from coopsim.model.sectors import PROFIT

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel


class Position(Rule):
    """Who ranks the candidates for the seats, and how."""

    slot = "position"
    fills_every_seat: ClassVar[bool] = False  # founded only with all size − 1 seats filled

    def pool(self, model: CoopModel, leads: np.ndarray, allowed: np.ndarray | None) -> Pool:
        """Every lead's candidates (the shared search within ``allowed``)."""
        return Pool(model, leads, formation.candidates(model, leads, allowed))

    @abstractmethod
    def score(self, model: CoopModel, pool: Pool) -> tuple[np.ndarray, np.ndarray | None]:
        """(score, tie-break) of each candidate: higher first, then the smaller tie-break."""

    def review(self, model: CoopModel, t: int, allowed: np.ndarray | None) -> None:
        """Revisit running partnerships after a step (default: nothing to revisit)."""


class Authority(Position):
    """The agency, as authority, assigns every seat by what it lacks (complementarity)."""

    fills_every_seat = True
    reads = ("orgs.available", "streams.formation")

    def score(self, model, pool):
        return pool.complementarity, model.streams.formation.random(pool.cands.shape)


class Purchaser(Position):
    """The agency, as purchaser, awards every seat to the best bids (quality per price) and
    re-tenders the weakest seat at the end of each contract term."""

    fills_every_seat = True
    reads = (
        "orgs.available",
        "orgs.collaborative_capacity",
        "orgs.goals",
        "streams.formation",
        "governance.contract_term",
        "production.stand_alone",
        "partnerships.commitment",
        "members",
        "partnerships_table",
    )
    writes = ("members",)  # re-tendered seats

    def score(self, model, pool):
        return bids(model, pool.leads, pool.cands), model.streams.formation.random(pool.cands.shape)

    def review(self, model, t, allowed):
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
        held = bids(model, leads[group], org[:, None])[:, 0] * mem.observed[rows]
        held[org == leads[group]] = np.inf  # the lead's seat is not at stake
        order = np.lexsort((held, group))
        weakest = order[run_starts(group[order])]
        weakest = weakest[np.isfinite(held[weakest])]
        if not len(weakest):
            return
        seats, winners = _challenge(model, leads, rows, group, org, weakest, held, allowed)
        if seats:
            model.replace_members(np.array(seats), np.array(winners), t)


def _challenge(model, leads, rows, group, org, weakest, held, allowed):
    """The best challenger of each contested seat, if its bid beats the incumbent's: (member
    rows, winners). Challengers are searched for every contested partnership at once; its
    members do not bid; a win uses up a free slot, partnership by partnership in id order."""
    contested = group[weakest]
    position = np.full(len(leads), -1)
    position[contested] = np.arange(len(contested))
    inside = position[group] >= 0
    members = np.unique(position[group[inside]] * model.orgs.n + org[inside])
    cands = formation.candidates(model, leads[contested], allowed=allowed, exclude=members)
    score = np.where(cands >= 0, bids(model, leads[contested], cands), -np.inf)
    best_first = np.argsort(-score, axis=1, kind="stable")
    at = np.arange(len(cands))[:, None]
    ranked, ranked_score = cands[at, best_first], score[at, best_first]
    free = formation.free_slots(model).tolist()
    bar = held.tolist()
    seats, winners = [], []
    for k, seat in enumerate(weakest.tolist()):
        for c, bid in zip(ranked[k].tolist(), ranked_score[k].tolist(), strict=True):
            if c >= 0 and free[c] > 0:
                if bid > bar[seat]:
                    seats.append(rows[seat])
                    winners.append(c)
                    free[c] -= 1
                break
    return seats, winners


def bids(model: CoopModel, leads: np.ndarray, cands: np.ndarray) -> np.ndarray:
    """Quality per price of each bidder: what it adds to its lead's work, for its price."""
    orgs = model.orgs
    bidder = np.maximum(cands, 0)
    share = model.config.partnerships.commitment
    quality = formation.complementarity(model, leads, cands)
    quality = quality * (0.5 + orgs.collaborative_capacity[bidder])
    stand_alone = model.config.production.stand_alone
    opportunity = stand_alone * share * orgs.available[:, bidder].sum(axis=0)
    price = opportunity * (1.0 + orgs.goals[bidder, PROFIT]) + 1e-9
    return quality / price


class Delegates(Position):
    """Peak organisations, as delegates, nominate their sector's candidates by seniority (size);
    seats go round the other sectors' peaks in turn, from one drawn at random."""

    reads = ("orgs.peak", "orgs.sector", "orgs.endowment", "streams.formation")

    def pool(self, model, leads, allowed):
        orgs = model.orgs
        sectors = np.flatnonzero(orgs.peak >= 0)  # every sector with organisations has a peak
        lead_sector = orgs.sector[leads]
        asked = (lead_sector[:, None] != sectors[None, :]) | (len(sectors) == 1)  # (P, S)
        turn = np.cumsum(asked, axis=1) - 1  # each asked sector's place in the lead's round
        start = (model.streams.formation.random(len(leads)) * asked.sum(axis=1)).astype(int)
        blocks, keys = [], []
        for j, s in enumerate(sectors):
            who = np.flatnonzero(asked[:, j])
            mine = orgs.sector == s if allowed is None else allowed & (orgs.sector == s)
            cands = formation.candidates(model, leads[who], mine)
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
        return Pool(model, leads, np.concatenate(blocks, axis=1), np.concatenate(keys, axis=1))

    def score(self, model, pool):
        return -pool.order, None


class Convenor(Position):
    """A convenor ranks candidates by trust, complementarity and goal fit (noisily)."""

    reads = (
        "orgs.goals",
        "orgs.available",
        "relationships",
        "streams.formation",
        "partnerships.ranking_noise",
    )

    def score(self, model, pool):
        comp, _ = pool.gains
        trust_in, _ = pool.trust
        score = trust_in + comp / formation.row_max(comp, pool.cands) + pool.fit
        noise = model.streams.formation.gumbel(size=pool.cands.shape)
        return score + noise * model.config.partnerships.ranking_noise, None
