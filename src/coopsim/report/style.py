"""One look for every coopsim figure: colours, labels with units, and saving.

Labels and units of outputs come from the outputs registry (``coopsim.model.outputs``).

Figures are built on ``matplotlib.figure.Figure`` directly (not pyplot): no GUI backend, no global
figure registry to leak, and PNG is drawn by Agg. Colours come from the Okabe–Ito palette, which
stays distinguishable for the common colour-vision deficiencies; every mode also has its own line
style, so a figure still reads in greyscale.
"""

from __future__ import annotations

import contextlib
import io as _bytes_io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from coopsim import io
from coopsim.model import outputs
from coopsim.model.config import MODES
from coopsim.model.outputs import Level

__all__ = [
    "CAUSE_COLOURS",
    "MODE_COLOURS",
    "OKABE_ITO",
    "FigureFiles",
    "figure_bytes",
    "indicator_label",
    "indicator_unit",
    "mode_colour",
    "mode_style",
    "new_figure",
    "pretty",
    "save_figure",
    "style",
]

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}

# The one colour scheme of the governance modes (reports, experiment scripts), in MODES's order.
MODE_COLOURS = dict(
    zip(MODES, (OKABE_ITO[c] for c in ("blue", "orange", "green", "purple")), strict=True)
)
_MODE_LINES: dict[str, Any] = dict(zip(MODES, ("-", "--", "-.", (0, (1, 1.2))), strict=True))
_SPARE_COLOURS = [OKABE_ITO[k] for k in ("vermillion", "sky_blue", "black", "yellow")]
_SPARE_LINES: list[Any] = ["-", "--", "-.", (0, (1, 1.2))]

# Why partnerships ended. Colour plus hatch, so neighbouring stack segments stay apart.
CAUSE_COLOURS = {
    "completed": "#BBBBBB",
    "low_trust": OKABE_ITO["vermillion"],
    "goal_conflict": OKABE_ITO["orange"],
    "free_riding": OKABE_ITO["yellow"],
    "outside_option": OKABE_ITO["sky_blue"],
    "lead_exit": OKABE_ITO["blue"],
    "too_few_members": OKABE_ITO["green"],
    "shock": "#444444",
    "enforcement_lapse": OKABE_ITO["purple"],
    "replaced": "#88CCEE",
}
CAUSE_HATCHES = {
    "completed": "",
    "low_trust": "",
    "goal_conflict": "//",
    "free_riding": "..",
    "outside_option": "\\\\",
    "lead_exit": "",
    "too_few_members": "xx",
    "shock": "",
    "enforcement_lapse": "--",
    "replaced": "oo",
}

STYLE: dict[str, Any] = {
    "font.size": 9.5,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "lines.linewidth": 1.8,
    "svg.hashsalt": "coopsim",
    "svg.fonttype": "path",
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}

TIME_LABEL = "Time (months)"


def pretty(name: str) -> str:
    """``civil_society`` → ``civil society``; ``dissolved_low_trust`` → ``dissolved low trust``."""
    return str(name).replace("__", ".").replace("_", " ")


def indicator_label(name: str, unit: bool = True, level: Level = "run") -> str:
    """Axis label of an output (from the outputs registry): its label and, if wanted, its unit
    in parentheses. A name the registry does not know is shown in words."""
    output = outputs.find(name, level) or outputs.find(name)
    if output is None:
        return pretty(name).capitalize()
    return f"{output.label} ({output.unit})" if unit and output.unit else output.label


def indicator_unit(name: str, level: Level = "run") -> str:
    """The unit of an output ('' for a name the registry does not know)."""
    output = outputs.find(name, level) or outputs.find(name)
    return output.unit if output else ""


def mode_colour(mode: str, order: Iterable[str] = ()) -> str:
    """The colour of a governance mode (a spare Okabe–Ito colour for a mode not known here)."""
    if mode in MODE_COLOURS:
        return MODE_COLOURS[mode]
    others = [m for m in order if m not in MODE_COLOURS]
    index = others.index(mode) if mode in others else 0
    return _SPARE_COLOURS[index % len(_SPARE_COLOURS)]


def mode_style(mode: str, order: Iterable[str] = ()) -> dict[str, Any]:
    """Colour and line style of a governance mode, the same in every figure.

    Line styles tell modes apart without colour; a figure of one mode alone uses a solid line.
    """
    order = list(order)
    others = [m for m in order if m not in MODE_COLOURS]
    line = "-" if len(order) == 1 else _MODE_LINES.get(mode)
    if line is None:
        index = others.index(mode) if mode in others else 0
        line = _SPARE_LINES[index % len(_SPARE_LINES)]
    return {"color": mode_colour(mode, order), "linestyle": line}


@contextlib.contextmanager
def style() -> Iterator[None]:
    """The coopsim rcParams, for building and saving a figure (nothing global is changed)."""
    with matplotlib.rc_context(STYLE):
        yield


def new_figure(width: float, height: float) -> Figure:
    """A figure with constrained layout, outside pyplot (call inside ``style()``)."""
    return Figure(figsize=(width, height), layout="constrained")


_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
}


def figure_bytes(fig: Figure, fmt: str = "png") -> bytes:
    """The figure rendered in memory (deterministic: no dates or versions in the file)."""
    buffer = _bytes_io.BytesIO()
    with style():
        fig.savefig(buffer, format=fmt, metadata=_METADATA.get(fmt))
    return buffer.getvalue()


@dataclass
class FigureFiles:
    """A figure saved under ``figures/``: its name and the file of each format."""

    name: str
    title: str
    paths: dict[str, Path] = field(default_factory=dict)
    png: bytes = b""


def save_figure(
    fig: Figure, directory: str | Path, name: str, formats: Iterable[str] = ("png", "svg")
) -> FigureFiles:
    """Save ``fig`` as ``directory/name.<format>`` for each format, each file atomically."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    title = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    saved = FigureFiles(name=name, title=title)
    saved.png = figure_bytes(fig, "png")
    # The layout is settled by the first rendering; the other formats reuse it.
    fig.set_layout_engine("none")
    for fmt in dict.fromkeys(formats):
        data = saved.png if fmt == "png" else figure_bytes(fig, fmt)
        saved.paths[fmt] = io.atomic_write_bytes(folder / f"{name}.{fmt}", data)
    return saved
