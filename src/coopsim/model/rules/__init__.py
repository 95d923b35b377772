"""Governance rules by rule slot (Ostrom 2005, *Understanding Institutional Diversity*).

Seven slots, one decision each: **boundary** (who may initiate and join), **position** (the roles in
forming a partnership), **choice** (what a member may commit; what leaving takes), **aggregation**
(how terms are decided), **information** (who monitors whom, paid by whom), **payoff** (shares,
sanctions, rewards, the state's spending) and **scope** (the objective). A governance mode
(``coopsim.model.modes``) is a mapping from slot to rule and nothing else.
"""

from __future__ import annotations

from coopsim.model.rules import (
    aggregation,
    boundary,
    choice,
    information,
    payoff,
    position,
    scope,
)
from coopsim.model.rules.base import Enforcement, Pool, Round, Rule

SLOTS: tuple[str, ...] = (
    "boundary",
    "position",
    "choice",
    "aggregation",
    "information",
    "payoff",
    "scope",
)

#: The base class of each slot: the contract its rules keep.
SLOT_BASES: dict[str, type[Rule]] = {
    "boundary": boundary.Boundary,
    "position": position.Position,
    "choice": choice.Choice,
    "aggregation": aggregation.Aggregation,
    "information": information.Information,
    "payoff": payoff.Payoff,
    "scope": scope.Scope,
}

__all__ = [
    "SLOTS",
    "SLOT_BASES",
    "Enforcement",
    "Pool",
    "Round",
    "Rule",
    "aggregation",
    "boundary",
    "choice",
    "information",
    "payoff",
    "position",
    "scope",
]
