"""The simulation: organisations, trust, partnerships and the four governance modes.

No file I/O, printing or CLI here: importable and usable alone.
"""

from coopsim.model.agents import Organisation
from coopsim.model.config import MODES, SHOCK_KINDS, ModelConfig
from coopsim.model.model import CoopModel
from coopsim.model.sectors import GOAL_DIMENSIONS, RESOURCE_KINDS, SECTORS

__all__ = [
    "GOAL_DIMENSIONS",
    "MODES",
    "RESOURCE_KINDS",
    "SECTORS",
    "SHOCK_KINDS",
    "CoopModel",
    "ModelConfig",
    "Organisation",
]
