"""The partnership network drawn with matplotlib: who works with whom, and how much they trust.

Organisations are grouped by sector, one disc per sector. Each partnership is drawn as a group: a
diamond at the centre of its members with a spoke to each, so a partnership across sectors
reaches into several discs. Positions are computed once per model (seeded by the model's seed,
cheap at any size) and never move: only sizes, spokes and colours change from step to step. An
organisation can be picked out (``NetworkFigure.selected``): a ring, and its partnerships on top.
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
HUB_COLOUR = "#666666"  # a partnership's diamond
FOCUS_COLOUR = "#CC3311"  # the organisation inspected, and its partnerships
FADE_STEPS = 12  # a dissolved partnership's ties fade out over a year
TRUST_CMAP = LinearSegmentedColormap.from_list("trust", ["#d9d9d9", "#737373", "#000000"])
_GOLDEN_ANGLE = np.pi * (3.0 - np.sqrt(5.0))
FIGSIZE = (5.6, 5.0)  # inches: the network over a three-column legend
LEGEND_SHARE = 0.19  # of the figure's height


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


def node_sizes(model: CoopModel, scale: float) -> np.ndarray:
    """Marker areas proportional to this step's resources (endowment after shocks)."""
    resources = model.orgs.available.sum(axis=0)
    reference = model.orgs.endowment.sum(axis=0).mean() if model.orgs.n else 1.0
    return scale * resources / max(reference, 1e-12)


def _marker_scale(n: int) -> float:
    """Marker area for an organisation of mean resources: smaller markers in larger networks."""
    return float(np.clip(9000.0 / max(n, 1), 12.0, 160.0))


@dataclass(frozen=True)
class Groups:
    """Partnerships as groups: one entry per member row (``organisation``, its ``hub``, the
    index of its partnership in ``ids``, and ``value``, a number per row), and the partnership
    ids themselves."""

    organisation: np.ndarray
    hub: np.ndarray
    value: np.ndarray
    ids: np.ndarray

    def __len__(self) -> int:
        return len(self.organisation)

    def hubs(self, positions: np.ndarray) -> np.ndarray:
        """Each partnership's place: the centre of its members' positions."""
        if not len(self.ids):
            return np.zeros((0, 2))
        counts = np.bincount(self.hub, minlength=len(self.ids))
        out = np.empty((len(self.ids), 2))
        for axis in (0, 1):
            out[:, axis] = np.bincount(
                self.hub, weights=positions[self.organisation, axis], minlength=len(self.ids)
            ) / np.maximum(counts, 1)
        return out


def active_groups(model: CoopModel) -> Groups:
    """The active partnerships as groups; ``value`` is each member's mean effective trust in its
    co-members (trust between strangers for a member alone)."""
    rows = model.members.live()
    pid = model.members.partnership[rows]
    org = model.members.organisation[rows]
    ids, hub = np.unique(pid, return_inverse=True)
    src, dst = co_member_pairs(pid)
    trust = model.trust_between(org[src], org[dst]) if len(src) else np.zeros(0)
    counts = np.bincount(src, minlength=len(rows))
    sums = np.bincount(src, weights=trust, minlength=len(rows))
    strangers = model.config.trust.initial_personal
    mean = np.where(counts > 0, sums / np.maximum(counts, 1), strangers)
    return Groups(org, hub.astype(np.int64), np.clip(mean, 0.0, 1.0), ids)


def dissolved_groups(model: CoopModel, window: int = FADE_STEPS) -> Groups:
    """Partnerships dissolved in the last ``window`` steps, with their founding members;
    ``value`` is the number of steps since the partnership ended (0 = this step)."""
    table = model.partnerships_table
    ended = table.view("ended")
    recent = np.flatnonzero(
        (table.view("status") == DISSOLVED) & (ended >= model.steps - window) & (ended >= 0)
    )
    org, hub, age = [], [], []
    for k, p in enumerate(recent.tolist()):  # few: those dissolved within one window
        members = table.member_lists[p]
        org += list(members)
        hub += [k] * len(members)
        age += [model.steps - int(ended[p])] * len(members)
    return Groups(
        np.array(org, dtype=np.int64),
        np.array(hub, dtype=np.int64),
        np.array(age, dtype=float),
        recent.astype(np.int64),
    )


class NetworkFigure(LiveFigure):
    """The partnership network of one model, at positions fixed when the figure is made.

    Each active partnership is a group: a small diamond at the centre of its members, with a
    spoke to each member shaded by that member's trust in its partners. ``selected`` (an
    organisation's index, or None) rings that organisation and draws its partnerships on top;
    ``organisation_at`` finds the organisation under a point of the picture.
    """

    def __init__(self, model: CoopModel, figsize: tuple[float, float] = FIGSIZE, **options):
        super().__init__(figsize=figsize, **options)
        self.model = model
        self.selected: int | None = None
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
        self.focus = LineCollection([], zorder=2.6, colors=FOCUS_COLOUR, animated=True)
        for lines in (self.dissolved, self.ties, self.focus):
            ax.add_collection(lines)
        self.hubs = ax.scatter(
            [], [], s=[], marker="D", c=HUB_COLOUR, edgecolors="white", linewidths=0.5,
            zorder=2.5, animated=True,
        )  # fmt: skip
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
        self.ring = ax.scatter(
            [], [], s=[], facecolors="none", edgecolors=FOCUS_COLOUR, linewidths=2.0, zorder=4,
            animated=True,
        )  # fmt: skip
        _legend(model, ax, self.width_scale)

    def moving(self) -> list:
        return [self.dissolved, self.ties, self.focus, self.hubs, self.nodes, self.ring]

    def update(self) -> None:
        model, pos = self.model, self.positions
        if model.orgs.n == 0:
            return
        groups = active_groups(model)
        hubs = groups.hubs(pos)
        old = dissolved_groups(model)
        old_hubs = old.hubs(pos)
        fade = np.clip(1.0 - old.value / (FADE_STEPS + 1), 0.1, 1.0)
        colours = np.zeros((len(old), 4))
        colours[:, :3] = to_rgb(DISSOLVED_COLOUR)
        colours[:, 3] = 0.75 * fade
        self.dissolved.set_segments(_spokes(old_hubs, old, pos))
        self.dissolved.set_color(colours)
        order = np.argsort(groups.value, kind="stable")  # most trusted on top
        trust = groups.value[order]
        self.ties.set_segments(_spokes(hubs, groups, pos)[order])
        self.ties.set_color(TRUST_CMAP(Normalize(0.0, 1.0)(trust)))
        self.ties.set_linewidth(0.3 + 0.6 * self.width_scale * trust)
        members = np.bincount(groups.hub, minlength=len(groups.ids))
        self.hubs.set_offsets(hubs)
        self.hubs.set_sizes(6.0 + 3.0 * members)
        hit = model.orgs.capacity < 0.999  # weakened by a capacity shock in force
        sizes = node_sizes(model, self.scale)
        self.nodes.set_sizes(sizes)
        self.nodes.set_edgecolors(np.where(hit, HIT_COLOUR, "white"))
        self.nodes.set_linewidths(np.where(hit, 1.2, 0.6))
        chosen = (
            self.selected if self.selected is not None and self.selected < model.orgs.n else None
        )
        if chosen is None:
            self.focus.set_segments([])
            self.ring.set_offsets(np.zeros((0, 2)))
            self.ring.set_sizes([])
            return
        mine = np.isin(groups.hub, groups.hub[groups.organisation == chosen])
        self.focus.set_segments(_spokes(hubs, groups, pos)[mine])
        self.focus.set_linewidth(1.6)
        self.ring.set_offsets(pos[[chosen]])
        self.ring.set_sizes([sizes[chosen] + 120.0])

    def organisation_at(self, x: float, y: float) -> int | None:
        """The organisation drawn at ``(x, y)``, fractions of the picture's width and height
        from its top-left corner (where a click landed), or None if none is near."""
        if self.model.orgs.n == 0:
            return None
        with self._lock:
            if self._background is None:
                self.draw()
            width, height = self.canvas.get_width_height()
            point = np.array([x * width, (1.0 - y) * height])
            drawn = self.ax.transData.transform(self.positions)
            distance = np.hypot(*(drawn - point).T)
            radius = np.sqrt(self.nodes.get_sizes()) / 2 * self.figure.dpi / 72
        index = int(np.argmin(distance))
        return index if distance[index] <= max(radius[index], 4.0) + 4.0 else None


def _spokes(hubs: np.ndarray, groups: Groups, positions: np.ndarray) -> np.ndarray:
    """Line segments hub → member, one per member row."""
    if not len(groups):
        return np.zeros((0, 2, 2))
    return np.stack((hubs[groups.hub], positions[groups.organisation]), axis=1)


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
    handles.append(
        Line2D(
            [],
            [],
            ls="",
            marker="D",
            markersize=5,
            markerfacecolor=HUB_COLOUR,
            markeredgecolor="white",
            label="a partnership",
        )
    )
    for t in (0.2, 0.9):
        handles.append(
            Line2D(
                [],
                [],
                color=TRUST_CMAP(t),
                lw=0.3 + 0.6 * width_scale * t,
                label=f"member's trust {t}",
            )
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
        title="size = resources · a partnership joins its members · click one to inspect it",
        title_fontsize=8,
        columnspacing=1.2,
        handletextpad=0.5,
    )
