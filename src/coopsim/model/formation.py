"""Partnership formation drafted for every proposer at once.

Each step all proposals are drawn up together from the same state: the shared candidate search
and the mode's ranking run as array operations over a (proposers × candidates) matrix. Then, in
the proposers' random order, each proposal fills its seats with its best-ranked candidates that
still have a free membership slot — the only Python loop, over small integer lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from coopsim.model.arrays import ranges, rank_within
from coopsim.model.config import MODES
from coopsim.model.production import ces

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState

NOBODY = -1  # pads a row of candidates


@dataclass(frozen=True)
class Shortlist:
    """Each proposer's acceptable candidates, best first (``NOBODY`` pads the rows)."""

    ranked: np.ndarray  # (proposers, width) organisation ids
    considered: np.ndarray  # (proposers,) candidates evaluated (bids, for negotiation effort)


@dataclass(frozen=True)
class Drafts:
    """The partnerships to found, members flattened and grouped, lead first in each group."""

    leads: np.ndarray  # (F,)
    members: np.ndarray  # (M,)
    group: np.ndarray  # (M,) index 0..F-1 of each member's partnership
    considered: np.ndarray  # (F,)

    def __len__(self) -> int:
        return len(self.leads)

    @property
    def sizes(self) -> np.ndarray:
        return np.bincount(self.group, minlength=len(self.leads))


def free_slots(model: CoopModel) -> np.ndarray:
    """Membership slots each organisation can still fill now (0 if it is not eligible)."""
    limit = model.config.partnerships.max_memberships
    return np.where(model.eligible_mask(), limit - model.orgs.memberships, 0)


def fill_seats(
    leads: np.ndarray,
    shortlist: Shortlist,
    seats: np.ndarray,
    fewest: np.ndarray,
    free: np.ndarray,
) -> Drafts:
    """Found proposals in order: each takes up to ``seats`` of its ranked candidates still free
    and goes ahead with at least ``fewest``; ``free`` (slots per organisation) is used up.
    A row of ``shortlist.ranked`` lists each organisation once (as ``candidates`` gives them)."""
    left = free.tolist()  # Python ints: far cheaper than numpy scalars one at a time
    chosen_leads, members, group, considered = [], [], [], []
    rows = zip(
        leads.tolist(),
        shortlist.ranked.tolist(),
        np.asarray(seats).tolist(),
        np.asarray(fewest).tolist(),
        shortlist.considered.tolist(),
        strict=True,
    )
    for lead, ranked, want, least, seen in rows:
        if left[lead] <= 0:
            continue  # recruited meanwhile
        pick = []
        for c in ranked:
            if c >= 0 and left[c] > 0:
                pick.append(c)
                if len(pick) == want:
                    break
        if len(pick) < least:
            continue
        for org in (lead, *pick):
            left[org] -= 1
        g = len(chosen_leads)
        chosen_leads.append(lead)
        members.extend((lead, *pick))
        group.extend([g] * (len(pick) + 1))
        considered.append(seen)
    as_int = lambda x: np.asarray(x, dtype=np.int64)  # noqa: E731
    np.subtract.at(free, as_int(members), 1)
    return Drafts(as_int(chosen_leads), as_int(members), as_int(group), as_int(considered))


def candidates(
    model: CoopModel,
    leads: np.ndarray,
    allowed: np.ndarray | None = None,
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    """The shared candidate search for every lead at once: (leads, M) ids, ``NOBODY``-padded.

    Eligible organisations other than the lead (and within ``allowed``, a mask, when given; never
    the pairs ``lead_position * n + organisation`` listed in the sorted ``exclude``): M of the
    lead's eligible acquaintances at random if it has that many, else all of them followed by
    eligible organisations drawn at random, up to M = ``partnerships.candidates``.
    """
    want = model.config.partnerships.candidates
    ok = model.eligible_mask()
    if allowed is not None:
        ok &= allowed
    out = np.full((len(leads), want), NOBODY, dtype=np.int64)
    if not len(leads):
        return out
    barred = _barred(leads, model.orgs.n, exclude)
    known = _acquaintances(model, leads, ok, barred, out)
    _top_up(model, leads, ok, barred, out, known)
    return out


def _barred(leads: np.ndarray, n: int, exclude: np.ndarray | None):
    """Whether each (lead position, organisation) may not be a candidate: the lead itself, or a
    pair listed in the sorted ``exclude``."""

    def barred(owner: np.ndarray, org: np.ndarray) -> np.ndarray:
        bar = org == leads[owner]
        if exclude is not None and len(exclude):
            key = owner * n + org
            at = np.minimum(np.searchsorted(exclude, key), len(exclude) - 1)
            bar |= exclude[at] == key
        return bar

    return barred


def _acquaintances(model: CoopModel, leads, ok, barred, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` with a random M of each lead's eligible acquaintances (random keys, sorted
    within each lead); how many each lead got."""
    want, p = out.shape[1], len(leads)
    net = model.network
    lo, hi = net.indptr[leads], net.indptr[leads + 1]
    owner = np.repeat(np.arange(p), hi - lo)
    entry = net.indices[ranges(lo, hi)]
    keep = ok[entry] & ~barred(owner, entry)
    owner, entry = owner[keep], entry[keep]
    order = np.lexsort((model.streams.formation.random(len(entry)), owner))
    owner, entry = owner[order], entry[order]
    rank = rank_within(owner)
    take = rank < want
    out[owner[take], rank[take]] = entry[take]
    return np.bincount(owner[take], minlength=p)


def _top_up(model: CoopModel, leads, ok, barred, out: np.ndarray, known: np.ndarray) -> None:
    """Leads with too few acquaintances: top ``out`` up with eligible organisations drawn at
    random (each once, none already listed)."""
    want, p, n = out.shape[1], len(leads), model.orgs.n
    rng = model.streams.formation
    short = np.flatnonzero(known < want)
    pool = np.flatnonzero(ok)
    if not len(short) or not len(pool):
        return
    if len(pool) <= 8 * want:  # a small pool: a random order of all of it
        draws = pool[np.argsort(rng.random((len(short), len(pool))), axis=1)]
    else:  # first distinct draws with replacement: a sample without replacement
        draws = pool[rng.integers(len(pool), size=(len(short), 3 * want))]
    width = draws.shape[1]
    row = np.repeat(np.arange(len(short)), width)
    org = draws.ravel()
    owner = short[row]
    known_keys = np.sort((np.arange(p)[:, None] * n + out)[out >= 0])  # already on each list
    key = owner * n + org
    at = np.minimum(np.searchsorted(known_keys, key), max(len(known_keys) - 1, 0))
    bad = barred(owner, org) | (known_keys[at] == key if len(known_keys) else False)
    first = np.argsort(key, kind="stable")  # by row (``owner`` rises with it), org, draw
    dup = np.zeros(len(org), dtype=bool)
    dup[first[1:][key[first][1:] == key[first][:-1]]] = True  # a repeat of an earlier draw
    keep = ~bad & ~dup
    row, org = row[keep], org[keep]  # still in draw order within each row
    rank = rank_within(row)
    slot = known[short[row]] + rank
    fits = slot < want
    out[short[row[fits]], slot[fits]] = org[fits]


def rank(cands: np.ndarray, score: np.ndarray, tie: np.ndarray | None = None, keep=None):
    """Candidates re-ordered best score first (then ``tie``, smaller first); those not kept, and
    pads, become ``NOBODY``."""
    valid = cands >= 0 if keep is None else (cands >= 0) & keep
    key = np.where(valid, -score, np.inf)
    order = np.argsort(key, axis=1, kind="stable") if tie is None else np.lexsort((tie, key))
    rows = np.arange(len(cands))[:, None]  # np.take_along_axis by hand: far fewer checks
    ranked = cands[rows, order]
    ranked[~valid[rows, order]] = NOBODY
    return ranked


def output_of(model: CoopModel, resources: np.ndarray) -> np.ndarray:
    """F(x) of §7.3: the CES of pooled resources (kinds first) with scale K (the number of
    kinds), without productivity A."""
    p = model.config.production
    k = resources.shape[0]
    return ces(resources, np.ones(k), p.substitution, p.returns_to_scale, k, axis=0)


def complementarity(model: CoopModel, leads: np.ndarray, cands: np.ndarray) -> np.ndarray:
    """What each candidate would add to its lead's resources: F(x_lead + x_j) − F(x_lead)."""
    own, together = _pooling(model, leads, cands)
    return together - output_of(model, own)[:, None]


def pooled_gains(model: CoopModel, leads: np.ndarray, cands: np.ndarray):
    """Complementarity, and what each lead's resources would add to each candidate's own,
    F(x_j + x_lead) − F(x_j), from one evaluation of the pooled output."""
    own, together = _pooling(model, leads, cands)
    theirs = model.orgs.available[:, np.maximum(cands, 0)]
    return together - output_of(model, own)[:, None], together - output_of(model, theirs)


def _pooling(model: CoopModel, leads: np.ndarray, cands: np.ndarray):
    avail = model.orgs.available
    own = avail[:, leads]
    return own, output_of(model, own[:, :, None] + avail[:, np.maximum(cands, 0)])


def row_max(values: np.ndarray, cands: np.ndarray, floor: float = 1e-12) -> np.ndarray:
    """The largest value over each row's real candidates (at least ``floor``), as a column."""
    return np.where(cands >= 0, values, -np.inf).max(axis=1, initial=floor)[:, None]


# --------------------------------------------------------------------------------------------------
# The formation phase


def form_partnerships(model: CoopModel, state: StepState) -> None:
    """Phase: the boundary rule's eligible initiators propose, as many as the shared initiation
    opportunities allow (more with unmet demand); the rules draft the proposals; the leads make
    their offers and the talks settle the terms, all at once."""
    cfg = model.config.partnerships
    rng = model.streams.formation
    draws = rng.random(model.orgs.n)
    model.update_eligibility()
    eligible = np.flatnonzero(model.eligible_mask())
    initiators = model.mode.boundary.initiators(model, eligible)
    chance = initiation_chance(model, len(initiators))
    proposers = initiators[draws[initiators] < chance[initiators]]
    proposers = proposers[rng.permutation(len(proposers))]
    sizes = rng.integers(cfg.size_min, cfg.size_max + 1, size=len(proposers))
    if len(proposers):
        talks = propose_all(model, proposers, sizes, state)
        if talks is not None:
            found(model, talks, state)


def initiation_chance(model: CoopModel, initiators: int) -> np.ndarray:
    """Each organisation's chance to propose now if it is an allowed initiator. Shared
    opportunities: ``initiation_rate`` per organisation, more with unmet demand, spread over the
    ``initiators`` so that every mode expects as many proposals (as far as it has initiators).
    Nothing here reads the state's budget: scarcity acts through the terms a lead can offer."""
    cfg = model.config.partnerships
    unmet = 1.0 - min(1.0, model.last_value / max(model.demand, 1e-12))
    per_initiator = cfg.initiation_rate * (0.5 + unmet)
    if cfg.initiation == "shared":
        per_initiator *= model.orgs.n / max(initiators, 1)
    return np.full(model.orgs.n, min(per_initiator, 1.0))


def shortlist(model: CoopModel, leads: np.ndarray) -> Shortlist:
    """Every lead's candidates who agree to join, best first: the position rule searches and
    scores the boundary rule's joinable organisations; the boundary rule says who agrees."""
    rules = model.mode
    pool = rules.position.pool(model, leads, rules.boundary.joinable(model))
    score, tie = rules.position.score(model, pool)
    keep = rules.boundary.joins(model, pool)
    return Shortlist(rank(pool.cands, score, tie, keep), pool.considered)


def draft(model: CoopModel, leads: np.ndarray, sizes: np.ndarray) -> Drafts:
    """Partnerships led by ``leads`` (in that order) of the given sizes, as far as the ranked
    candidates still have free membership slots."""
    seats = np.asarray(sizes) - 1
    return fill_seats(
        leads, shortlist(model, leads), seats, fewest(model, seats), free_slots(model)
    )


def fewest(model: CoopModel, seats: np.ndarray) -> np.ndarray:
    """Seats each proposal must fill (besides the lead) to go ahead."""
    if model.mode.position.fills_every_seat:
        return np.asarray(seats)
    return np.full(len(seats), model.config.partnerships.size_min - 1)


def propose_all(model: CoopModel, leads: np.ndarray, sizes: np.ndarray, state: StepState | None):
    """Draft the leads' partnerships, let each lead choose its offer and propose it if it
    expects more than going alone, and hold the talks; None if no talks were held. The talks
    are logged when ``state`` is given."""
    from coopsim.model import terms  # here: terms builds on this module's Drafts

    drafts = draft(model, leads, sizes)
    if not len(drafts):
        return None
    understood = np.zeros(len(drafts.members))  # strangers to this partnership's talks
    least = fewest(model, drafts.sizes - 1)
    concession, expected = terms.best_offer(model, drafts, understood, least)
    proposed = np.flatnonzero(expected > 0)
    if state is not None:
        state.proposals_withdrawn += len(drafts) - len(proposed)
    if not len(proposed):
        return None
    keep = np.flatnonzero(np.isin(drafts.group, proposed))
    drafts, parts = terms.subset(drafts, keep)
    every_seat = model.mode.position.fills_every_seat
    return terms.negotiate(
        model, drafts, concession[parts], understood[keep], least[parts], every_seat
    )


@dataclass(frozen=True)
class Agreed:
    """The terms one proposal agreed (one partnership; per member in ``Proposal.members``)."""

    objective: np.ndarray  # (1, goals)
    commitment: np.ndarray
    share: np.ndarray
    control: np.ndarray
    concession: float
    negotiating_pairs: np.ndarray  # (1,)
    rounds: int
    formality: float


@dataclass(frozen=True)
class Proposal:
    """One partnership as the mode would found it now: lead first among the members, and the
    terms its talks agreed."""

    members: np.ndarray
    terms: Agreed
    drafted: np.ndarray  # everyone at the table when the talks began


def propose(model: CoopModel, lead: int, size: int) -> Proposal | None:
    """The partnership ``lead`` would found now with ``size`` members, or None (one lead's
    formation, for reading and testing; the model drafts all proposals at once)."""
    talks = propose_all(model, np.array([lead]), np.array([size]), None)
    if talks is None or not talks.agreed.all():
        return None
    rules, joins = model.mode, talks.joins
    return Proposal(
        talks.drafts.members[joins],
        Agreed(
            objective=talks.objective,
            commitment=talks.commitment[joins],
            share=talks.share[joins],
            control=talks.control[joins],
            concession=float(talks.concession[0]),
            negotiating_pairs=rules.aggregation.negotiating_pairs(model, talks.drafts),
            rounds=rules.aggregation.rounds(model),
            formality=rules.aggregation.formality(model),
        ),
        talks.drafts.members,
    )


def found(model: CoopModel, talks, state: StepState) -> None:
    """Found the partnerships whose talks agreed, on their terms; log every talk; negotiation
    costs are owed from now on."""
    from coopsim.model import terms  # here: terms builds on this module's Drafts

    cfg = model.config
    drafts, joins = terms.agreed_drafts(talks)
    pids = np.full(len(talks.drafts), -1)
    if len(drafts):
        sizes = drafts.sizes
        table = model.partnerships_table
        agreed = talks.agreed
        pids[agreed] = table.add(
            drafts.leads,
            sizes,
            talks.objective[agreed],
            formality=model.mode.aggregation.formality(model),
            formed=state.t,
            mode=MODES.index(model.mode.name),
            target_value=cfg.partnerships.completion_value * sizes,
            avg_product=cfg.production.productivity,
        )
        model.join(
            pids[agreed][drafts.group],
            drafts.members,
            state.t,
            **{name: getattr(talks, name)[joins] for name in terms.MEMBER_TERMS},
        )
    terms.record_talks(model, state, talks, "founding", pids)
    terms.charge(model, state, talks.drafts, talks, pids)
    state.formed = len(drafts)
