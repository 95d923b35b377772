"""The four governance modes behind one interface, and the step's phases that belong to the mode:
a scheduled reform, and the mode's review of running partnerships."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coopsim.model.modes.base import GovernanceMode, Proposal, Round
from coopsim.model.modes.corporatism import Corporatism
from coopsim.model.modes.governance import Governance
from coopsim.model.modes.pluralism import Pluralism
from coopsim.model.modes.statism import Statism

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState

MODE_CLASSES: dict[str, type[GovernanceMode]] = {
    cls.name: cls for cls in (Statism, Pluralism, Corporatism, Governance)
}


def make_mode(name: str) -> GovernanceMode:
    """The policy object for a governance mode name."""
    try:
        return MODE_CLASSES[name]()
    except KeyError:
        raise ValueError(
            f"unknown governance mode {name!r}; choose from {list(MODE_CLASSES)}"
        ) from None


def reform(model: CoopModel, state: StepState) -> None:
    """Phase: a reform scheduled for this step changes the governance mode."""
    if state.t in model.reforms:
        model.mode = make_mode(model.reforms[state.t])


def review(model: CoopModel, state: StepState) -> None:
    """Phase: the mode revisits running partnerships (pluralism re-tenders seats)."""
    model.mode.review(model, state.t)


__all__ = [
    "MODE_CLASSES",
    "Corporatism",
    "Governance",
    "GovernanceMode",
    "Pluralism",
    "Proposal",
    "Round",
    "Statism",
    "make_mode",
    "reform",
    "review",
]
