"""The four governance modes behind one interface."""

from coopsim.model.modes.base import GovernanceMode, Proposal, Round, transaction_costs
from coopsim.model.modes.corporatism import Corporatism
from coopsim.model.modes.governance import Governance
from coopsim.model.modes.pluralism import Pluralism
from coopsim.model.modes.statism import Statism

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
    "transaction_costs",
]
