"""The simulation: organisations, trust, partnerships and the four governance modes.

No file I/O, printing or CLI here: importable and usable alone. Names are imported on first use,
so reading parameters (``coopsim.model.config``) does not load Mesa.
"""

from importlib import import_module

_LAZY = {
    "CoopModel": "coopsim.model.model",
    "Organisation": "coopsim.model.agents",
    "ModelConfig": "coopsim.model.config",
    "ParameterError": "coopsim.model.validation",
    "MODES": "coopsim.model.config",
    "SHOCK_KINDS": "coopsim.model.config",
    "SECTORS": "coopsim.model.sectors",
    "RESOURCE_KINDS": "coopsim.model.sectors",
    "GOAL_DIMENSIONS": "coopsim.model.sectors",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'coopsim.model' has no attribute {name!r}")
