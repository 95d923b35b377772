"""Terms: what each member of a partnership agrees to — its commitment, its agreed benefit share
and its control (the weight of its goals in the objective) — and the talks that reach them, at
founding and at each renewal (every ``governance.contract_term`` months, in every mode).

The rules make the offer: the choice rule the commitment and what refusing costs, the aggregation
rule who holds control before any trade, the payoff rule the agreed shares and how much of the
value they fix, the scope rule the objective that control implies. A lead may concede part of its
control and share to the other members, in proportion to the resources they commit; it offers the
concession whose expected value is best for it (control traded for resources), and proposes only
if that beats going alone. A member accepts only terms whose expected value beats its outside
option (what its committed resources produce alone, less what refusing costs it). Talks go on
with those who accept until everyone at the table accepts, or too few are left: the talks fail.
Dialogue rounds raise the members' shared understanding, which raises their goal fit.

Every partnership negotiating in a step is negotiated at once, as arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from coopsim.model import outputs
from coopsim.model.arrays import rank_within
from coopsim.model.costs import transaction_costs
from coopsim.model.formation import Drafts
from coopsim.model.metrics import gini
from coopsim.model.outputs import NEGOTIATION_KINDS, SHARE_RULES
from coopsim.model.partnerships import CAUSE, DISSOLVED, segment_sum
from coopsim.model.population import alignment
from coopsim.model.production import joint_output
from coopsim.model.rules.payoff import by_group
from coopsim.model.sectors import SECTORS
from coopsim.model.step import in_round

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState

MEMBER_TERMS = ("commitment", "share", "control", "understanding")  # kept in the member table
LEVELS = 7  # concessions a lead weighs: 0, 1/6, …, 1 of max_concession


@dataclass(frozen=True)
class Offer:
    """The terms on the table, per member (M,) and per partnership (F,), and what each member
    expects of them a month."""

    drafts: Drafts
    concession: np.ndarray  # (F,) part of the lead's control and share conceded
    commitment: np.ndarray  # share of the member's endowment
    pledged: np.ndarray  # (kinds, M) resource units committed a month
    share: np.ndarray  # agreed share, summing to 1 in each partnership
    control: np.ndarray  # weight of the member's goals in the objective, summing to 1
    objective: np.ndarray  # (F, goals)
    alignment: np.ndarray  # the member's goals against the objective
    understanding: np.ndarray  # shared understanding after this negotiation's dialogue
    fit: np.ndarray  # alignment raised by understanding
    value: np.ndarray  # expected value of the terms a month
    outside: np.ndarray  # the outside option a month

    @property
    def surplus(self) -> np.ndarray:
        return self.value - self.outside

    @property
    def is_lead(self) -> np.ndarray:
        return self.drafts.members == self.drafts.leads[self.drafts.group]


def raised_fit(alignment_: np.ndarray, understanding: np.ndarray, weight: float) -> np.ndarray:
    """Goal fit raised by shared understanding: alignment + weight × u × (1 − alignment)."""
    return alignment_ + weight * understanding * (1.0 - alignment_)


def _conceded(drafts, lead, values, weight, concession):
    """``values`` after each lead gives ``concession`` (F,) of its own to the other members,
    split by ``weight`` (their shares among the others)."""
    given = segment_sum(np.where(lead, values, 0.0), drafts.group, len(drafts)) * concession
    return np.where(lead, values - given[drafts.group], values + weight * given[drafts.group])


@dataclass(frozen=True)
class BaseTerms:
    """What the rules put on the table whatever the concession: per drafted member."""

    drafts: Drafts
    lead: np.ndarray  # whether the member leads
    commitment: np.ndarray
    pledged: np.ndarray  # (kinds, M)
    units: np.ndarray  # resource units committed a month
    weight: np.ndarray  # its part of what the lead concedes (0 for the lead)
    control: np.ndarray  # before any concession
    share: np.ndarray  # before any concession
    understanding: np.ndarray  # after this negotiation's dialogue
    outside: np.ndarray


def base_terms(model: CoopModel, drafts: Drafts, understood: np.ndarray) -> BaseTerms:
    """The rules' terms before any concession; ``understood`` is each member's shared
    understanding before the talks."""
    rules, p = model.mode, model.config.partnerships
    group, members = drafts.group, drafts.members
    lead = members == drafts.leads[group]
    commitment = rules.choice.commitment(model, drafts)
    pledged = commitment * model.orgs.available[:, members]
    units = pledged.sum(axis=0)
    others = np.where(lead, 0.0, units)
    k = drafts.sizes[group]
    weight = np.where(lead | (k < 2), 0.0, by_group(others, drafts))
    none_pledged = segment_sum(others, group, len(drafts))[group] <= 0
    weight = np.where(none_pledged & ~lead, 1.0 / np.maximum(k - 1, 1), weight)
    rounds = rules.aggregation.rounds(model)
    understanding = 1.0 - (1.0 - understood) * (1.0 - p.dialogue_learning) ** rounds
    refusal = rules.choice.refusal_cost(model, drafts, units)
    return BaseTerms(
        drafts, lead, commitment, pledged, units, weight,
        rules.aggregation.control(model, drafts), rules.payoff.shares(model, drafts, units),
        understanding, model.config.production.stand_alone * units - refusal,
    )  # fmt: skip


def offer(model: CoopModel, drafts: Drafts, concession: np.ndarray, understood: np.ndarray):
    """The terms the rules make for each drafted partnership, with the lead conceding
    ``concession`` (F,) of its control and share; ``understood`` is each member's shared
    understanding before the talks."""
    return offer_at(model, base_terms(model, drafts, understood), concession)


def offer_at(model: CoopModel, base: BaseTerms, concession: np.ndarray) -> Offer:
    """The offer on ``base`` with the lead conceding ``concession`` (F,)."""
    rules, p = model.mode, model.config.partnerships
    drafts, lead = base.drafts, base.lead
    group, members = drafts.group, drafts.members
    control = _conceded(drafts, lead, base.control, base.weight, concession)
    share = _conceded(drafts, lead, base.share, base.weight, concession)
    objective = rules.scope.objective(model, drafts, control)
    aligned = alignment(model.orgs.goals[members], objective[group])
    fit = raised_fit(aligned, base.understanding, p.understanding_weight)
    pooled = segment_sum(base.pledged, group, len(drafts))
    output = _expected_output(model, drafts, pooled, fit, np.ones(len(members)))
    fixed = rules.payoff.fixed
    claim = fixed * share + (1.0 - fixed) * by_group(base.units, drafts)
    value = claim * output[group] * fit
    return Offer(
        drafts, concession, base.commitment, base.pledged, share, control, objective, aligned,
        base.understanding, fit, value, base.outside,
    )  # fmt: skip


def _expected_output(model, drafts, pooled, fit, weight):
    """Value a month each partnership expects from the ``pooled`` resources (kinds, F), its
    members' fit and skill weighted by ``weight`` (their chance to be there)."""
    group, n = drafts.group, len(drafts)
    count = np.maximum(np.bincount(group, weights=weight, minlength=n), 1e-12)
    shared = np.bincount(group, weights=fit * weight, minlength=n) / count
    skill = model.orgs.collaborative_capacity[drafts.members]
    skill = np.bincount(group, weights=skill * weight, minlength=n) / count
    return joint_output(model, pooled, shared, skill)


def lead_expects(model: CoopModel, terms: Offer, fewest: np.ndarray) -> np.ndarray:
    """What each lead expects of its offer a month, beyond going alone: if at least ``fewest``
    (F,) others accept, its claim on the value those it expects to accept would produce with it,
    valued by its fit, less its outside option; else nothing (no partnership). It expects a
    member to accept with a logistic chance in the member's surplus, on the scale
    ``offer_uncertainty`` × the member's outside option."""
    drafts, lead = terms.drafts, terms.is_lead
    scale = model.config.partnerships.offer_uncertainty * np.abs(terms.outside) + 1e-9
    z = np.clip(terms.surplus / scale, -60.0, 60.0)
    chance = np.where(lead, 1.0, 0.5 * (1.0 + np.tanh(0.5 * z)))
    n = len(drafts)
    pooled = segment_sum(terms.pledged * chance, drafts.group, n)
    output = _expected_output(model, drafts, pooled, terms.fit, chance)
    fixed = model.mode.payoff.fixed
    units = terms.pledged.sum(axis=0)

    def lead_part(values):
        total = np.bincount(drafts.group, weights=values * chance, minlength=n)
        own = np.bincount(drafts.group, weights=np.where(lead, values, 0.0), minlength=n)
        return np.where(total > 0, own / np.where(total > 0, total, 1.0), 1.0)

    claim = fixed * lead_part(terms.share) + (1.0 - fixed) * lead_part(units)
    at_lead = np.flatnonzero(lead)  # one per partnership, in partnership order
    order = np.argsort(drafts.group[at_lead], kind="stable")
    fit, outside = terms.fit[at_lead][order], terms.outside[at_lead][order]
    enough = at_least(chance[~lead], drafts.group[~lead], n, fewest)
    return enough * (claim * output * fit - outside)


def at_least(chance: np.ndarray, group: np.ndarray, n: int, fewest: np.ndarray) -> np.ndarray:
    """Per group, the chance that at least ``fewest`` of its independent events (each with its
    ``chance``) happen (the Poisson binomial distribution, column by column)."""
    place = rank_within(group)
    width = int(place.max(initial=-1)) + 1
    padded = np.zeros((n, width))
    padded[group, place] = chance
    count = np.zeros((n, width + 1))
    count[:, 0] = 1.0
    for col in range(width):
        p = padded[:, col : col + 1]
        count[:, 1:] = count[:, 1:] * (1.0 - p) + count[:, :-1] * p
        count[:, :1] *= 1.0 - p
    reach = np.arange(width + 1)[None, :] >= np.asarray(fewest)[:, None]
    return np.where(reach, count, 0.0).sum(axis=1)


def best_offer(model: CoopModel, drafts: Drafts, understood: np.ndarray, fewest: np.ndarray):
    """The concession each lead offers (the one it expects to pay best, the smaller on a tie;
    none without the trade) and what it expects of it, when at least ``fewest`` (F,) others
    must accept. Every level is weighed at once: the drafts are repeated once per level."""
    p = model.config.partnerships
    levels = np.linspace(0.0, p.max_concession, LEVELS) if p.control_trade else np.zeros(1)
    f, g = len(drafts), len(levels)
    tiled = Drafts(
        np.tile(drafts.leads, g),
        np.tile(drafts.members, g),
        (np.arange(g)[:, None] * f + drafts.group[None, :]).ravel(),
        np.tile(drafts.considered, g),
    )
    base = base_terms(model, tiled, np.tile(understood, g))
    values = lead_expects(model, offer_at(model, base, np.repeat(levels, f)), np.tile(fewest, g))
    values = values.reshape(g, f)
    best = np.zeros(f)
    expected = np.full(f, -np.inf)
    for level, value in zip(levels, values, strict=True):
        better = value > expected + 1e-12
        best = np.where(better, level, best)
        expected = np.where(better, value, expected)
    return best, expected


# --------------------------------------------------------------------------------------------------
# Talks


@dataclass(frozen=True)
class Talks:
    """The outcome of one step's talks: per drafted partnership (F,) and per drafted member (M,),
    the last terms each member saw and what it said."""

    drafts: Drafts
    agreed: np.ndarray  # (F,) whether the talks agreed (else they failed)
    concession: np.ndarray  # (F,)
    objective: np.ndarray  # (F, goals) the objective of the agreed terms
    accepted: np.ndarray  # (M,) the member accepted the last terms it saw
    joins: np.ndarray  # (M,) accepted, and its partnership agreed
    commitment: np.ndarray
    share: np.ndarray
    control: np.ndarray
    alignment: np.ndarray
    understanding: np.ndarray
    value: np.ndarray
    outside: np.ndarray


def negotiate(
    model: CoopModel,
    drafts: Drafts,
    concession: np.ndarray,
    understood: np.ndarray,
    fewest: np.ndarray,
    every_seat: bool,
) -> Talks:
    """Talks on the drafted partnerships: the lead offers its concession; those who decline
    leave the table and the others are made the terms anew, until everyone at the table accepts
    (agreed) or the lead declines, fewer than ``fewest`` (F,) others are left, or a seat that
    must be filled is refused (``every_seat``): the talks fail."""
    m, f = len(drafts.members), len(drafts)
    seen = {
        name: np.zeros(m) for name in
        ("commitment", "share", "control", "alignment", "understanding", "value", "outside")
    }  # fmt: skip
    accepted = np.zeros(m, dtype=bool)
    agreed = np.zeros(f, dtype=bool)
    objective = np.zeros((f, model.orgs.goals.shape[1]))
    at_table = np.arange(m)  # drafted members still at the table
    for _ in range(max(drafts.sizes.max(initial=1), 1)):
        sitting, parts = subset(drafts, at_table)
        terms = offer(model, sitting, concession[parts], understood[at_table])
        says_yes = terms.surplus > 0
        for name, values in seen.items():
            values[at_table] = getattr(terms, name)
        accepted[at_table] = says_yes
        objective[parts] = terms.objective
        yes = np.bincount(sitting.group, weights=says_yes, minlength=len(sitting))
        lead_yes = np.zeros(len(sitting), dtype=bool)
        lead_yes[sitting.group[says_yes & terms.is_lead]] = True
        everyone = yes == sitting.sizes
        failed = ~lead_yes | (yes - 1 < fewest[parts]) | (every_seat & ~everyone)
        agreed[parts[everyone & ~failed]] = True
        going_on = ~everyone & ~failed
        at_table = at_table[going_on[sitting.group] & says_yes]
        if not len(at_table):
            break
    return Talks(
        drafts, agreed, concession, objective, accepted, accepted & agreed[drafts.group],
        **seen,
    )  # fmt: skip


def subset(drafts: Drafts, keep: np.ndarray) -> tuple[Drafts, np.ndarray]:
    """The drafted members at positions ``keep`` (sorted) as drafts of their own, and the
    original index of each of their partnerships."""
    parts, group = np.unique(drafts.group[keep], return_inverse=True)
    sub = Drafts(drafts.leads[parts], drafts.members[keep], group, drafts.considered[parts])
    return sub, parts


def agreed_drafts(talks: Talks) -> tuple[Drafts, np.ndarray]:
    """The agreed partnerships as drafts (members who join only), and the members' positions in
    ``talks``."""
    keep = np.flatnonzero(talks.joins)
    return subset(talks.drafts, keep)[0], keep


# --------------------------------------------------------------------------------------------------
# The record of terms


@dataclass(eq=False)
class TermsLog:
    """Every member's terms in every negotiation, appended step by step (``frame`` builds the
    table of ``terms.parquet``)."""

    chunks: list[dict[str, np.ndarray]] = field(default_factory=list)
    negotiations: int = 0  # numbered from 0 in order

    def add(self, talks: Talks, step: int, kind: str, partnership: np.ndarray, share_rule: str):
        """Log the talks; ``partnership`` (F,) is each one's id, -1 where the talks failed."""
        drafts = talks.drafts
        numbers = self.negotiations + np.arange(len(drafts))
        self.negotiations += len(drafts)
        g = drafts.group
        self.chunks.append(
            {
                "negotiation": numbers[g],
                "step": np.full(len(g), step),
                "kind": np.full(len(g), NEGOTIATION_KINDS.index(kind), dtype=np.int8),
                "partnership": partnership[g],
                "organisation": drafts.members,
                "lead": drafts.members == drafts.leads[g],
                "commitment": talks.commitment,
                "share_rule": np.full(len(g), SHARE_RULES.index(share_rule), dtype=np.int8),
                "share": talks.share,
                "control": talks.control,
                "concession": talks.concession[g],
                "understanding": talks.understanding,
                "expected_value": talks.value,
                "outside_option": talks.outside,
                "accepted": talks.accepted,
                "agreed": talks.agreed[g],
            }
        )

    def forum(self) -> dict[str, float]:
        """The forum outputs over every negotiation logged."""
        if not self.chunks:
            return forum(np.zeros(0), 0, 0)
        agreed = np.concatenate([c["agreed"] for c in self.chunks])
        joined = agreed & np.concatenate([c["accepted"] for c in self.chunks])
        surplus = np.concatenate([c["expected_value"] - c["outside_option"] for c in self.chunks])
        number = np.concatenate([c["negotiation"] for c in self.chunks])
        return forum(surplus[joined], len(np.unique(number[agreed])), self.negotiations)

    def frame(self, names: list[str], sectors: np.ndarray) -> pd.DataFrame:
        """One row per member per negotiation (see the member outputs of the registry)."""
        columns = [o.name for o in outputs.OUTPUTS if o.level == "member"]
        if not self.chunks:
            return pd.DataFrame({c: pd.Series(dtype=outputs.get(c, "member").pandas_dtype)
                                 for c in columns})  # fmt: skip
        data = {k: np.concatenate([c[k] for c in self.chunks]) for k in self.chunks[0]}
        org = data.pop("organisation")
        pid = data.pop("partnership")
        frame = pd.DataFrame(data)
        frame.insert(3, "partnership", pd.array([p if p >= 0 else None for p in pid], "Int64"))
        frame.insert(4, "organisation", [names[i] for i in org])
        frame.insert(5, "sector", [SECTORS[s] for s in sectors[org]])
        frame["surplus"] = frame["expected_value"] - frame["outside_option"]
        frame["kind"] = np.asarray(NEGOTIATION_KINDS, dtype=object)[frame["kind"].to_numpy()]
        frame["share_rule"] = np.asarray(SHARE_RULES, dtype=object)[frame["share_rule"].to_numpy()]
        frame["outcome"] = np.where(frame.pop("agreed").to_numpy(), "agreed", "failed")
        return frame[columns].astype({c: "str" for c in ("kind", "share_rule", "outcome")})


def forum(talks_accepted_surplus: np.ndarray, agreed: int, negotiated: int) -> dict[str, float]:
    """The forum outputs of a set of talks: the share that reached agreement, the mean surplus
    of the accepted terms over the members' outside options, and 1 − Gini of that surplus."""
    surplus = talks_accepted_surplus
    return {
        "negotiation_success_rate": agreed / negotiated if negotiated else np.nan,
        "terms_acceptability": float(surplus.mean()) if len(surplus) else np.nan,
        "terms_equity": 1.0 - gini(surplus) if len(surplus) else np.nan,
    }


# --------------------------------------------------------------------------------------------------
# Phase: renewal


@in_round
def renew(model: CoopModel, state: StepState) -> None:
    """Phase: partnerships at the end of a term (every ``governance.contract_term`` months)
    agree their terms anew; members who decline leave for their outside option; a partnership
    whose lead declines, or with too few members left, dissolves."""
    table, mem = model.partnerships_table, model.members
    ids = table.active()
    age = state.t - table.formed[ids]
    due = ids[(age > 0) & (age % model.config.governance.contract_term == 0)]
    if not len(due):
        return
    live = mem.live()
    part = mem.partnership[live]
    rows = live[np.isin(part, due)]
    pids, group = np.unique(mem.partnership[rows], return_inverse=True)
    sizes = np.bincount(group, minlength=len(pids))
    drafts = Drafts(table.lead[pids], mem.organisation[rows], group, sizes - 1)
    understood = mem.understanding[rows]
    fewest = np.full(len(pids), model.config.partnerships.min_members - 1)
    concession, _ = best_offer(model, drafts, understood, fewest)
    talks = negotiate(model, drafts, concession, understood, fewest, every_seat=False)
    record_talks(model, state, talks, "renewal", pids)
    stay = talks.joins
    keep = rows[stay]
    for name in MEMBER_TERMS:
        getattr(mem, name)[keep] = getattr(talks, name)[stay]
    mem.fit[keep] = talks.alignment[stay]
    table.objective[pids[talks.agreed]] = talks.objective[talks.agreed]
    leaving = talks.agreed[group] & ~stay
    model.leave(rows[leaving], np.full(int(leaving.sum()), CAUSE["outside_option"]), state.t)
    state.members_left += int(leaving.sum())
    lead_said_no = np.zeros(len(pids), dtype=bool)
    lead_said_no[group[~talks.accepted & (drafts.members == drafts.leads[group])]] = True
    ending = ~talks.agreed
    causes = np.where(lead_said_no, CAUSE["lead_exit"], CAUSE["outside_option"])
    model.end_partnerships(pids[ending], DISSOLVED, causes[ending], state.t)
    state.partnerships_dissolved += int(ending.sum())
    charge(model, state, drafts, talks, pids)


def charge(model: CoopModel, state: StepState, drafts: Drafts, talks: Talks, pids: np.ndarray):
    """Negotiation costs of the talks (pairs × rounds): owed by the partnerships that agree
    (``pids``, -1 where none). Failed talks cost as much; they are counted in the month's
    negotiation costs and owed by no partnership."""
    rules = model.mode
    pairs = rules.aggregation.negotiating_pairs(model, drafts)
    cost, _, _ = transaction_costs(model.config.costs, pairs, rules.aggregation.rounds(model))
    agreed = talks.agreed & (pids >= 0)
    model.partnerships_table.pending_cost[pids[agreed]] += cost[agreed]
    state.negotiation_costs += float(np.sum(cost))


def record_talks(model: CoopModel, state: StepState, talks: Talks, kind: str, pids: np.ndarray):
    """Log the talks and add them to the month's forum counts."""
    model.terms_log.add(talks, state.t, kind, pids, model.mode.payoff.share_rule)
    state.negotiations += len(talks.drafts)
    state.agreements += int(talks.agreed.sum())
    surplus = (talks.value - talks.outside)[talks.joins]
    state.agreed_surplus = np.concatenate((state.agreed_surplus, surplus))
    state.concessions = np.concatenate((state.concessions, talks.concession[talks.agreed]))
