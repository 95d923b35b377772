"""What the app shows about one organisation: its state, its partnerships and its trust.

Read from the model between steps (under its lock); plain data, so the page only formats it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from coopsim.model.sectors import SECTORS

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel

SHORT = {"government": "agency", "business": "firm", "civil_society": "NGO", "community": "group"}


@dataclass(frozen=True)
class Membership:
    """One of the organisation's partnerships, as it stands now."""

    partnership: int
    lead: str
    members: tuple[str, ...]  # "name (kind)", lead first
    age: int  # months since it was founded
    value: float  # public value it produced so far
    commitment: float  # share of its endowment the organisation committed
    share: float  # its agreed share of the value (summing to 1 at agreement)
    control: float  # the weight of its goals in the objective (summing to 1 at agreement)
    understanding: float  # its shared understanding with its partners, 0–1
    delivery: float  # share of that commitment it delivered last month
    trust: float  # its mean effective trust in the other members


@dataclass(frozen=True)
class Tie:
    """Trust between the organisation and one partner, both ways."""

    partner: str
    sector: str
    trust_in: float  # the organisation's effective trust in the partner
    trusted_by: float  # the partner's effective trust in the organisation


@dataclass(frozen=True)
class OrganisationView:
    index: int
    name: str
    sector: str
    resources: float  # this month's endowment, all kinds, after shocks
    capacity: float  # 1 = full; less while a capacity shock is in force
    motivation: float
    propensity: float
    memberships: tuple[Membership, ...]
    ties: tuple[Tie, ...]  # its partners, most trusted first


def organisation_view(model: CoopModel, index: int) -> OrganisationView:
    """Everything the inspector shows about organisation ``index``."""
    orgs, members, table = model.orgs, model.members, model.partnerships_table
    names, sector = orgs.names, orgs.sector

    def label(i: int) -> str:
        return f"{names[i]} ({SHORT[SECTORS[sector[i]]]})"

    agent = model.organisations[index]
    rows = np.flatnonzero(members.view("active") & (members.view("organisation") == index))
    memberships = []
    partners: dict[int, None] = {}
    for row in rows.tolist():
        pid = int(members.partnership[row])
        mates = members.view("active") & (members.view("partnership") == pid)
        others = [int(o) for o in members.organisation[np.flatnonzero(mates)] if o != index]
        lead = int(table.view("lead")[pid])
        ordered = [lead, *(o for o in [index, *others] if o != lead)]
        trust = model.trust_between(np.full(len(others), index), np.array(others, dtype=int))
        partners.update(dict.fromkeys(others))
        memberships.append(
            Membership(
                partnership=pid,
                lead=names[lead],
                members=tuple(label(o) for o in ordered),
                age=int(model.steps - table.view("formed")[pid]),
                value=float(table.view("value")[pid]),
                commitment=float(members.commitment[row]),
                share=float(members.share[row]),
                control=float(members.control[row]),
                understanding=float(members.understanding[row]),
                delivery=float(members.delivery[row]),
                trust=float(trust.mean()) if len(trust) else float("nan"),
            )
        )
    mates = np.array(list(partners), dtype=int)
    ties = []
    if len(mates):
        out = model.trust_between(np.full(len(mates), index), mates)
        back = model.trust_between(mates, np.full(len(mates), index))
        for j, a, b in sorted(zip(mates.tolist(), out, back, strict=True), key=lambda t: -t[1]):
            ties.append(Tie(names[j], SECTORS[sector[j]], float(a), float(b)))
    return OrganisationView(
        index=index,
        name=agent.name,
        sector=agent.sector,
        resources=float(sum(agent.resources.values())),
        capacity=float(orgs.capacity[index]),
        motivation=agent.motivation,
        propensity=agent.propensity,
        memberships=tuple(memberships),
        ties=tuple(ties),
    )
