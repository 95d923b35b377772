"""Live plots of the run so far: cooperation, participation, trust, value, partnerships.

Four panels, each its own small ``LiveFigure``: when one panel's axis grows only that panel is
redrawn in full. Shocks are marked on every panel (dotted vertical lines, named on the first)
and changes of governance mode are marked and named, so cause and effect sit side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.ticker import MaxNLocator

from coopsim.model import outputs
from coopsim.model.sectors import SECTORS
from coopsim.viz.network import DISSOLVED_COLOUR, SECTOR_COLOURS
from coopsim.viz.render import DPI, LiveFigure, nice_ceiling, step_ceiling

if TYPE_CHECKING:
    import pandas as pd

    from coopsim.model.model import CoopModel

SHORT = {"government": "gov", "business": "firm", "civil_society": "NGO", "community": "comm"}
# A sector-pair line takes the colour of its first sector and the dash of its second.
PARTNER_DASH = {"business": "-", "civil_society": "--", "community": ":"}
PANEL_SIZE = (2.8, 2.0)  # inches; four panels make a 2 × 2 block about one card wide


@dataclass
class Panel:
    """What one panel shows: series ``(step output, style)``, a title, and how its y axis
    behaves: in [0, 1] (legend above 1) when every series is bounded so in the outputs registry,
    else growing from 0 with the data."""

    title: str
    series: list[tuple[str, dict[str, Any]]]
    legend_columns: int = 2
    name_shocks: bool = False
    name_modes: bool = False
    x_label: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    unit_range: bool = field(init=False)

    def __post_init__(self) -> None:
        declared = [outputs.get(column, "step") for column, _ in self.series]
        self.unit_range = all((o.low, o.high) == (0.0, 1.0) for o in declared)


def sector_pairs(model: CoopModel) -> list[tuple[str, str, str]]:
    """``(column, sector_a, sector_b)`` of each cross-sector trust series the model records."""
    present = [s for i, s in enumerate(SECTORS) if np.any(model.orgs.sector == i)]
    return [
        (o.name, *o.about)
        for o in outputs.family("trust_<a>_<b>")
        if set(o.requires) <= set(present) and len(o.requires) == 2
    ]


def panels(model: CoopModel) -> list[Panel]:
    """The four panels, in reading order."""
    pairs = [
        (
            column,
            {
                "color": SECTOR_COLOURS[a],
                "ls": PARTNER_DASH[b],
                "lw": 1.2,
                "label": f"{SHORT[a]}–{SHORT[b]}",
            },
        )
        for column, a, b in sector_pairs(model)
    ]
    return [
        Panel(
            "Cooperation and participation",
            [
                ("cooperation_rate", {"color": "#0072B2", "lw": 1.8, "label": "cooperation"}),
                ("participation_rate", {"color": "#E69F00", "lw": 1.8, "label": "participation"}),
            ],
            name_shocks=True,
        ),
        Panel(
            "Trust between sectors (black: mean)",
            [*pairs, ("mean_trust", {"color": "black", "lw": 2.2})],
            legend_columns=3,
        ),
        Panel(
            "Public value per step",
            [("public_value", {"color": "#009E73", "lw": 1.8})],
            name_modes=True,
            x_label=True,
        ),
        Panel(
            "Active partnerships",
            [("active_partnerships", {"color": "#CC79A7", "lw": 1.8})],
            x_label=True,
            extra={"integer": True},
        ),
    ]


class PanelFigure(LiveFigure):
    """One panel of the time series, extended in place as the model steps."""

    def __init__(self, model: CoopModel, panel: Panel, figsize=PANEL_SIZE, dpi: int = DPI):
        super().__init__(figsize=figsize, dpi=dpi)
        self.model = model
        self.panel = panel
        fig = self.figure
        fig.subplots_adjust(left=0.15, right=0.97, top=0.89, bottom=0.2 if panel.x_label else 0.12)
        ax = self.ax = fig.add_subplot()
        self.lines = {
            column: ax.plot([], [], animated=True, **style)[0] for column, style in panel.series
        }
        ax.set_title(panel.title, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3, lw=0.5)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 3, 6, 10], integer=True))
        ax.set_xlim(0, step_ceiling(0))
        if panel.x_label:
            ax.set_xlabel("step (month)", fontsize=8)
        if panel.extra.get("integer"):
            ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        if panel.unit_range:
            # The legend sits in headroom above 1, where no line (all in [0, 1]) can pass.
            rows = -(-sum("label" in s for _, s in panel.series) // panel.legend_columns)
            ax.set_ylim(-0.02, 1.04 + 0.12 * rows)
            ax.set_yticks([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
        else:
            ax.set_ylim(0, 1)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(
                fontsize=7,
                loc="upper center",
                ncol=panel.legend_columns,
                frameon=False,
                handlelength=1.4,
                columnspacing=0.7,
                handletextpad=0.4,
                borderaxespad=0.1,
            )
        self.hint = ax.text(
            0.5, 0.5, "press Step or ▶", transform=ax.transAxes, ha="center", color="0.4"
        )
        self._limits: tuple = ()
        self._shocks_drawn = 0
        self._modes_checked = 1  # rows of the mode column already scanned for changes
        self._mode_changes = 0

    def moving(self) -> list:
        return list(self.lines.values())

    def layout_key(self) -> object:
        return (self._limits, self._shocks_drawn, self._mode_changes, self.hint.get_visible())

    def update(self, ts: pd.DataFrame | None = None) -> None:
        if ts is None:
            ts = self.model.timeseries()
        self.hint.set_visible(ts.empty)
        steps = np.zeros(0) if ts.empty else ts["step"].to_numpy()
        for column, artist in self.lines.items():
            if column in ts:
                artist.set_data(steps, ts[column].to_numpy())
        xmax = step_ceiling(float(steps[-1]) if len(steps) else 0.0)
        top = None
        if not self.panel.unit_range:
            present = [c for c in self.lines if c in ts and len(ts)]
            top = nice_ceiling(1.05 * max((float(ts[c].max()) for c in present), default=0.0))
        if (xmax, top) != self._limits:
            self.ax.set_xlim(0, xmax)
            if top is not None:
                self.ax.set_ylim(0, top)
            self._limits = (xmax, top)
        self._mark_shocks()
        if "mode" in ts:
            self._mark_modes(ts["mode"].to_numpy(), steps)

    def _mark_shocks(self) -> None:
        fired = self.model.shocks.fired
        for shock in fired[self._shocks_drawn :]:
            self.ax.axvline(shock.step, color=DISSOLVED_COLOUR, ls=":", lw=1.3, zorder=0)
            if self.panel.name_shocks:
                self.ax.annotate(
                    shock.kind.replace("_", " "),
                    xy=(shock.step, 0.0),
                    xycoords=("data", "axes fraction"),
                    xytext=(2, 3),
                    textcoords="offset points",
                    fontsize=7,
                    color=DISSOLVED_COLOUR,
                    va="bottom",
                    rotation=90,
                )
        self._shocks_drawn = len(fired)

    def _mark_modes(self, modes: np.ndarray, steps: np.ndarray) -> None:
        for i in range(max(self._modes_checked, 1), len(modes)):
            if modes[i] != modes[i - 1]:
                self._mode_changes += 1
                self.ax.axvline(steps[i], color="0.3", ls="--", lw=1.0, zorder=0)
                if self.panel.name_modes:
                    self.ax.annotate(
                        f"→ {modes[i]}",
                        xy=(steps[i], 1.0),
                        xycoords=("data", "axes fraction"),
                        xytext=(2, -3),
                        textcoords="offset points",
                        fontsize=7,
                        color="0.3",
                        va="top",
                    )
        self._modes_checked = len(modes)


class TimeseriesPanels:
    """The four panels of one model; ``pngs()`` draws them all from one time-series table."""

    def __init__(self, model: CoopModel):
        self.model = model
        self.figures = [PanelFigure(model, panel) for panel in panels(model)]

    def pngs(self) -> list[bytes]:
        ts = self.model.timeseries()
        for figure in self.figures:
            figure.update(ts)
        return [figure.png(update=False) for figure in self.figures]
