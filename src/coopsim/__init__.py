"""coopsim: an agent-based simulation of cross-sector cooperation under four governance modes.

``CoopModel`` is the model (a ``mesa.Model``); ``load_scenario`` reads a scenario file;
``decompose`` attributes the difference between two governance modes to their rule slots. All are
imported on first use, so the command line starts fast and ``import coopsim.model`` stays free of
file handling.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("coopsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

_LAZY = {
    "CoopModel": "coopsim.model",
    "ModelConfig": "coopsim.model",
    "ParameterError": "coopsim.model",
    "MODES": "coopsim.model.config",
    "load_scenario": "coopsim.scenario",
    "decompose": "coopsim.experiments.decomposition",
}
__all__ = [
    "MODES",
    "CoopModel",
    "ModelConfig",
    "ParameterError",
    "__version__",
    "decompose",
    "load_scenario",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'coopsim' has no attribute {name!r}")
