"""The partnership network drawn with matplotlib: who works with whom, and how much they trust.

Organisations are grouped by sector, one disc per sector, so cross-sector partnerships show as ties
between discs. Positions are computed once per model (seeded by the model's seed, cheap at any
size) and never move: only node sizes, tie widths and colours change from step to step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap, Normalize, to_rgb
from matplotlib.lines import Line2D

from coopsim.model.partnerships import DISSOLVED, co_member_pairs
from coopsim.model.sectors import SECTORS
from coopsim.viz.render import LiveFigure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from coopsim.model.model import CoopModel

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
SECTOR_COLOURS = {
    "government": "#0072B2",
    "business": "#E69F00",
    "civil_society": "#009E73",
    "community": "#CC79A7",
}
SECTOR_LABELS = {
    "government": "government agencies",
    "business": "firms",
    "civil_society": "NGOs",
    "community": "citizen groups",
}
DISSOLVED_COLOUR = "#D55E00"
HIT_COLOUR = "black"
FADE_STEPS = 12  # a dissolved partnership's ties fade out over a year
TRUST_CMAP = LinearSegmentedColormap.from_list("trust", ["#d9d9d9", "#737373", "#000000"])
_GOLDEN_ANGLE = np.pi * (3.0 - np.sqrt(5.0))
FIGSIZE = (5.6, 5.4)  # inches: the network over a three-column legend
LEGEND_SHARE = 0.2  # of the figure's height


@dataclass(frozen=True)
class Ties:
    """Undirected ties ``source[k]``–``target[k]`` (source < target) with one value each."""

    source: np.ndarray
    target: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.source)


def sector_layout(sector: np.ndarray, seed: int) -> np.ndarray:
    """Positions (n × 2) in the unit square: one sunflower disc per sector, discs on a ring.

    O(n) and stable: the same sectors and seed give the same positions. The seed only shuffles
    who sits where inside a disc, so that neighbours in the table are not neighbours on screen.
    """
    n = len(sector)
    pos = np.zeros((n, 2))
    present = [s for s in range(len(SECTORS)) if np.any(sector == s)]
    if not present:
        return pos
    rng = np.random.default_rng(seed)
    counts = np.array([np.count_nonzero(sector == s) for s in present])
    radii = np.sqrt(counts)  # a sunflower disc of k points has radius ~ sqrt(k)
    if len(present) == 1:
        centres = np.zeros((1, 2))
    else:
        # Ring radius so that neighbouring discs do not overlap, starting at the top.
        angles = np.pi / 2 + 2 * np.pi * np.arange(len(present)) / len(present)
        half_gap = np.sin(np.pi / len(present))
        ring = 1.15 * max(radii[i] + radii[(i + 1) % len(present)] for i in range(len(present)))
        ring /= 2 * half_gap
        centres = ring * np.column_stack((np.cos(angles), np.sin(angles)))
    for s, centre in zip(present, centres, strict=True):
        idx = np.flatnonzero(sector == s)
        order = rng.permutation(len(idx))
        k = np.arange(len(idx)) + 0.5
        r = np.sqrt(k)
        theta = k * _GOLDEN_ANGLE
        pos[idx[order]] = centre + np.column_stack((r * np.cos(theta), r * np.sin(theta)))
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    span = max(float((hi - lo).max()), 1e-9)
    return 0.05 + 0.9 * (pos - (lo + hi) / 2 + span / 2) / span


def _unique_pairs(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keys = np.unique(lo[lo != hi] * n + hi[lo != hi])
    return keys // max(n, 1), keys % max(n, 1)


def active_ties(model: CoopModel) -> Ties:
    """Pairs of organisations sharing an active partnership, with their mutual trust.

    Trust is the mean effective trust of the two directions (trust between strangers where a
    direction has no relationship yet).
    """
    n = model.orgs.n
    rows = model.members.live()
    src, dst = co_member_pairs(model.members.partnership[rows])
    orgs = model.members.organisation[rows]
    i, j = _unique_pairs(orgs[src], orgs[dst], n)
    trust = 0.5 * (model.trust_between(i, j) + model.trust_between(j, i))
    return Ties(i, j, np.clip(trust, 0.0, 1.0))


def dissolved_ties(model: CoopModel, window: int = FADE_STEPS, live: Ties | None = None) -> Ties:
    """Founding-member pairs of partnerships dissolved in the last ``window`` steps, with age.

    ``value`` is the number of steps since the partnership ended (0 = this step). Pairs that
    are still partners elsewhere are left out: the active tie is the one that counts (pass
    ``live``, the model's ``active_ties``, when you have them already).
    """
    table = model.partnerships_table
    ended = table.view("ended")
    recent = np.flatnonzero(
        (table.view("status") == DISSOLVED) & (ended >= model.steps - window) & (ended >= 0)
    )
    n = model.orgs.n
    if not len(recent) or n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Ties(empty, empty, np.zeros(0))
    keys: dict[int, int] = {}
    for p in recent:  # few per step: partnerships dissolved within one window
        members = np.array(table.member_lists[p], dtype=np.int64)
        a, b = np.triu_indices(len(members), k=1)
        lo = np.minimum(members[a], members[b])
        hi = np.maximum(members[a], members[b])
        age = model.steps - int(ended[p])
        for key in (lo * n + hi).tolist():
            keys[key] = min(keys.get(key, age), age)
    live = active_ties(model) if live is None else live
    live_keys = set((live.source * n + live.target).tolist())
    kept = np.array([k for k in keys if k not in live_keys], dtype=np.int64)
    ages = np.array([keys[k] for k in kept.tolist()], dtype=float)
    return Ties(kept // n, kept % n, ages)


def node_sizes(model: CoopModel, scale: float) -> np.ndarray:
    """Marker areas proportional to this step's resources (endowment after shocks)."""
    resources = model.orgs.available.sum(axis=0)
    reference = model.orgs.endowment.sum(axis=0).mean() if model.orgs.n else 1.0
    return scale * resources / max(reference, 1e-12)


def _marker_scale(n: int) -> float:
    """Marker area for an organisation of mean resources: smaller markers in larger networks."""
    return float(np.clip(9000.0 / max(n, 1), 12.0, 160.0))


class NetworkFigure(LiveFigure):
    """The partnership network of one model, at positions fixed when the figure is made."""

    def __init__(self, model: CoopModel, figsize: tuple[float, float] = FIGSIZE, **options):
        super().__init__(figsize=figsize, **options)
        self.model = model
        self.positions = sector_layout(model.orgs.sector, model.seed)
        n = model.orgs.n
        self.scale = _marker_scale(n)
        self.width_scale = float(np.clip(6.0 / np.sqrt(max(n, 1) / 40.0), 1.5, 4.0))
        ax = self.ax = self.figure.add_axes((0.0, LEGEND_SHARE, 1.0, 1.0 - LEGEND_SHARE))
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_axis_off()
        if n == 0:
            ax.text(0.5, 0.5, "no organisations", ha="center", va="center", color="0.4")
        self.dissolved = LineCollection(
            [],
            colors=DISSOLVED_COLOUR,
            linewidths=0.8,
            linestyles=(0, (3, 2)),
            zorder=1,
            animated=True,
        )
        self.ties = LineCollection([], zorder=2, capstyle="round", animated=True)
        ax.add_collection(self.dissolved)
        ax.add_collection(self.ties)
        self.nodes = ax.scatter(
            self.positions[:, 0],
            self.positions[:, 1],
            s=node_sizes(model, self.scale),
            c=[SECTOR_COLOURS[SECTORS[s]] for s in model.orgs.sector],
            edgecolors="white",
            linewidths=0.6,
            zorder=3,
            animated=True,
        )
        _legend(model, ax, self.width_scale)

    def moving(self) -> list:
        return [self.dissolved, self.ties, self.nodes]

    def update(self) -> None:
        model, pos = self.model, self.positions
        if model.orgs.n == 0:
            return
        ties = active_ties(model)
        old = dissolved_ties(model, live=ties)
        fade = np.clip(1.0 - old.value / (FADE_STEPS + 1), 0.1, 1.0)
        colours = np.zeros((len(old), 4))
        colours[:, :3] = to_rgb(DISSOLVED_COLOUR)
        colours[:, 3] = 0.75 * fade
        self.dissolved.set_segments(np.stack((pos[old.source], pos[old.target]), axis=1))
        self.dissolved.set_color(colours)
        order = np.argsort(ties.value)  # most trusted on top
        trust = ties.value[order]
        self.ties.set_segments(np.stack((pos[ties.source], pos[ties.target]), axis=1)[order])
        self.ties.set_color(TRUST_CMAP(Normalize(0.0, 1.0)(trust)))
        self.ties.set_linewidth(0.3 + self.width_scale * trust)
        hit = model.orgs.capacity < 0.999  # weakened by a capacity shock in force
        self.nodes.set_sizes(node_sizes(model, self.scale))
        self.nodes.set_edgecolors(np.where(hit, HIT_COLOUR, "white"))
        self.nodes.set_linewidths(np.where(hit, 1.2, 0.6))


def _legend(model: CoopModel, ax: Axes, width_scale: float) -> None:
    handles = []
    for s, name in enumerate(SECTORS):
        count = int(np.count_nonzero(model.orgs.sector == s))
        if count:
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="",
                    marker="o",
                    markersize=7,
                    markerfacecolor=SECTOR_COLOURS[name],
                    markeredgecolor="white",
                    label=f"{SECTOR_LABELS[name]} ({count})",
                )
            )
    for t in (0.2, 0.5, 0.9):
        handles.append(
            Line2D([], [], color=TRUST_CMAP(t), lw=0.3 + width_scale * t, label=f"trust {t}")
        )
    handles.append(
        Line2D(
            [],
            [],
            color=DISSOLVED_COLOUR,
            lw=0.8,
            ls=(0, (3, 2)),
            label=f"dissolved ≤ {FADE_STEPS} steps ago",
        )
    )
    handles.append(
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            markersize=7,
            markerfacecolor="white",
            markeredgecolor=HIT_COLOUR,
            markeredgewidth=1.5,
            label="capacity shock",
        )
    )
    ax.figure.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=3,
        fontsize=8,
        frameon=False,
        title="size = resources · ties = partnerships",
        title_fontsize=8,
        columnspacing=1.2,
        handletextpad=0.5,
    )
