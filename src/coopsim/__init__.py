"""coopsim: an agent-based simulation of cross-sector cooperation under four governance modes.

``CoopModel`` is the model (a ``mesa.Model``); ``load_scenario`` reads a scenario file. The
scenario layer is imported on first use, so ``import coopsim.model`` stays free of file handling.
"""

from importlib.metadata import PackageNotFoundError, version

from coopsim.model import MODES, CoopModel, ModelConfig

try:
    __version__ = version("coopsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["MODES", "CoopModel", "ModelConfig", "__version__", "load_scenario"]


def __getattr__(name: str):
    if name == "load_scenario":
        from coopsim.scenario import load_scenario

        return load_scenario
    raise AttributeError(f"module 'coopsim' has no attribute {name!r}")
