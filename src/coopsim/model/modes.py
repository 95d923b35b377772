"""The four governance modes, each a composition of seven rules (one per rule slot), and the
step's phases that belong to the mode: a scheduled reform, and the review of running partnerships.

A mode is a mapping from slot to rule and nothing else: every number a rule uses is a shared
parameter (the same in every mode) or an organisation's state. A hybrid replaces some slots of a
mode with other modes' rules (``governance.rules`` in a scenario).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coopsim.model.config import MODES
from coopsim.model.rules import SLOTS, aggregation, boundary, choice, information, payoff, position
from coopsim.model.rules import scope as scope_

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState

#: The state's role in each mode.
ROLES: dict[str, str] = {
    "statism": "authority",
    "pluralism": "referee",
    "corporatism": "mediator",
    "governance": "activator",
}


@dataclass(frozen=True)
class GovernanceMode:
    """A governance mode: its name and one rule per slot (other modes' rules in a hybrid)."""

    name: str
    boundary: boundary.Boundary
    position: position.Position
    choice: choice.Choice
    aggregation: aggregation.Aggregation
    information: information.Information
    payoff: payoff.Payoff
    scope: scope_.Scope

    @property
    def role(self) -> str:
        return ROLES[self.name]

    @property
    def rules(self) -> dict[str, str]:
        """Each slot's rule, named by the mode it comes from."""
        return {slot: rule_origin(slot, getattr(self, slot)) for slot in SLOTS}

    @property
    def overrides(self) -> dict[str, str]:
        """The slots whose rule comes from another mode (a hybrid), and that mode."""
        return {slot: m for slot, m in self.rules.items() if m != self.name}


#: Each mode's rules, slot by slot (docs/ODD.md §7.15 describes each rule).
MODE_RULES: dict[str, dict[str, type]] = {
    "statism": {
        "boundary": boundary.Agencies,
        "position": position.Authority,
        "choice": choice.Mandate,
        "aggregation": aggregation.Decree,
        "information": information.Inspection,
        "payoff": payoff.AuthorityShares,
        "scope": scope_.National,
    },
    "pluralism": {
        "boundary": boundary.Tender,
        "position": position.Purchaser,
        "choice": choice.Contract,
        "aggregation": aggregation.Award,
        "information": information.Audit,
        "payoff": payoff.ContractShares,
        "scope": scope_.Specification,
    },
    "corporatism": {
        "boundary": boundary.Insiders,
        "position": position.Delegates,
        "choice": choice.PeakMembership,
        "aggregation": aggregation.PeakBargaining,
        "information": information.PeakMonitoring,
        "payoff": payoff.SectorQuotas,
        "scope": scope_.PeakBlend,
    },
    "governance": {
        "boundary": boundary.Open,
        "position": position.Convenor,
        "choice": choice.Voluntary,
        "aggregation": aggregation.Multilateral,
        "information": information.PeerReview,
        "payoff": payoff.AgreedShares,
        "scope": scope_.CommonGround,
    },
}


def rule_origin(slot: str, rule: object) -> str:
    """The mode a slot's rule comes from."""
    return next(m for m in MODES if MODE_RULES[m][slot] is type(rule))


def make_mode(name: str, rules: Mapping[str, str] | None = None) -> GovernanceMode:
    """The governance mode ``name``, with the slots in ``rules`` taken from the modes they name
    (a hybrid: ``{"payoff": "statism"}`` gives the statist payoff rule)."""
    if name not in MODE_RULES:
        raise ValueError(f"unknown governance mode {name!r}; choose from {list(MODES)}")
    chosen = dict.fromkeys(SLOTS, name) | dict(rules or {})
    for slot, origin in chosen.items():
        if slot not in SLOTS:
            raise ValueError(f"unknown rule slot {slot!r}; choose from {list(SLOTS)}")
        if origin not in MODE_RULES:
            raise ValueError(
                f"rules.{slot}: unknown rule {origin!r}; name a mode, one of {list(MODES)}"
            )
    return GovernanceMode(name, **{slot: MODE_RULES[m][slot]() for slot, m in chosen.items()})


def reform(model: CoopModel, state: StepState) -> None:
    """Phase: a reform scheduled for this step changes the governance mode."""
    if state.t in model.reforms:
        model.mode = make_mode(*model.reforms[state.t])


def review(model: CoopModel, state: StepState) -> None:
    """Phase: the mode revisits running partnerships (a purchaser re-tenders seats)."""
    mode = model.mode
    mode.position.review(model, state.t, mode.boundary.joinable(model))


__all__ = ["MODE_RULES", "ROLES", "GovernanceMode", "make_mode", "reform", "review", "rule_origin"]
