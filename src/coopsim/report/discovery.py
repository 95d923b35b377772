"""Figures and report blocks of scenario discovery (``coopsim.experiments.discovery``).

``plot_tradeoff`` draws PRIM's peeling trajectory (coverage against density, coloured by the
number of restricted parameters, the chosen box marked); ``plot_box_limits`` draws each box's
limits on every restricted parameter's range, as the EMA Workbench's box inspection does. Both
are drawn here on coopsim's figures (not through pyplot) so that they save like every other.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from coopsim.report.style import OKABE_ITO, new_figure, style

__all__ = ["discovery_blocks", "plot_box_limits", "plot_tradeoff"]

BOX_COLOURS = [OKABE_ITO[c] for c in ("vermillion", "blue", "green", "purple", "orange")]


def plot_tradeoff(found: Any) -> Figure:
    """Coverage against density along PRIM's peeling of each box; the chosen point circled."""
    trajectory = found.trajectory
    with style():
        fig = new_figure(6.4, 4.2)
        ax = fig.add_subplot()
        if trajectory is None or trajectory.empty:
            ax.set_axis_off()
            ax.text(0.5, 0.5, "no peeling trajectory", ha="center", va="center")
            return fig
        dims = trajectory["res_dim"].to_numpy(dtype=float)
        points = ax.scatter(
            trajectory["coverage"], trajectory["density"], c=dims, cmap="viridis", s=18, zorder=3
        )
        for number, part in trajectory.groupby("box"):
            colour = BOX_COLOURS[(int(number) - 1) % len(BOX_COLOURS)]
            ax.plot(
                part["coverage"],
                part["density"],
                color=colour,
                lw=0.8,
                alpha=0.7,
                label=f"box {number}",
            )
            chosen = part[part["chosen"]]
            ax.scatter(
                chosen["coverage"],
                chosen["density"],
                s=160,
                facecolors="none",
                edgecolors=colour,
                linewidths=2,
                zorder=4,
            )
        ax.axhline(found.share, color="#888888", ls=":", lw=1, label="share overall")
        ax.set_xlabel("coverage (share of the cases of interest inside the box)")
        ax.set_ylabel("density (share of the box's cases of interest)")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        bar = fig.colorbar(points, ax=ax)
        bar.set_label("restricted parameters")
        ax.legend(fontsize=8, loc="lower left")
        fig.suptitle(f"PRIM peeling trade-off: {found.describe()}")
    return fig


def plot_box_limits(found: Any) -> Figure:
    """Each box's limits on every parameter it restricts, on the parameter's full range (0–1)."""
    limits = found.limits
    params = list(dict.fromkeys(limits["parameter"])) if len(limits) else []
    boxes = found.boxes["box"].tolist()[:5]
    with style():
        fig = new_figure(7.0, 0.7 + 0.55 * max(1, len(params)) * max(1, len(boxes)) ** 0.5)
        ax = fig.add_subplot()
        if not params:
            ax.set_axis_off()
            ax.text(0.5, 0.5, "no box restricts any parameter", ha="center", va="center")
            return fig
        height = 0.8 / max(1, len(boxes))
        for j, number in enumerate(boxes):
            colour = BOX_COLOURS[j % len(BOX_COLOURS)]
            part = limits[limits["box"] == number]
            for _, r in part.iterrows():
                i = params.index(r["parameter"])
                y = i - 0.4 + height * (j + 0.5)
                if isinstance(r.get("values"), str):
                    ax.text(
                        0.5,
                        y,
                        "{" + r["values"] + "}",
                        ha="center",
                        va="center",
                        fontsize=8,
                        color=colour,
                    )
                    continue
                span = r["range_high"] - r["range_low"]
                low = 0.0 if _nan(r["low"]) else (r["low"] - r["range_low"]) / span
                high = 1.0 if _nan(r["high"]) else (r["high"] - r["range_low"]) / span
                ax.barh(
                    y,
                    high - low,
                    left=low,
                    height=height * 0.8,
                    color=colour,
                    alpha=0.7,
                )
                for edge, value in ((low, r["low"]), (high, r["high"])):
                    if not _nan(value):
                        ax.text(edge, y, f"{value:.3g}", ha="center", va="bottom", fontsize=7)
        ax.set_yticks(range(len(params)), params)
        ax.set_xlim(-0.02, 1.02)
        ax.set_xlabel("position within the parameter's range in the sweep (0 = low end, 1 = high)")
        ax.invert_yaxis()
        handles = [
            Patch(color=BOX_COLOURS[j % len(BOX_COLOURS)], alpha=0.7, label=f"box {number}")
            for j, number in enumerate(boxes)
        ]
        ax.legend(handles=handles, fontsize=8, loc="best")
        fig.suptitle(f"Box limits ({found.method.upper()}): {found.describe()}")
    return fig


def _nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def discovery_blocks(found: Any, figs: Any) -> list[Any]:
    """Report blocks: a paragraph, the boxes table and the figures."""
    from coopsim.experiments.discovery import as_table
    from coopsim.report.document import Heading, Paragraph, Table

    blocks: list[Any] = [Heading("Scenario discovery")]
    blocks.append(
        Paragraph(
            f"Where in the parameter space is {found.describe()}? {found.of_interest} of "
            f"{found.cases} runs ({found.share:.0%}) are cases of interest. Method: "
            f"{'PRIM' if found.method == 'prim' else 'CART'} (EMA Workbench). Coverage: the "
            "share of all cases of interest inside a box; density: the share of a box's runs "
            "that are cases of interest; mass: the share of all runs inside it."
        )
    )
    rows = as_table(found)
    if rows:
        blocks.append(
            Table(
                ["Box", "Coverage", "Density", "Mass", "Limits"],
                rows,
                align=["r", "r", "r", "r", "l"],
            )
        )
    for note in found.notes:
        blocks.append(Paragraph(note, "note"))
    if found.trajectory is not None:
        block = figs.draw(
            "discovery_tradeoff",
            "PRIM's peeling trajectory: each point a box along the peeling (coverage against "
            "density, colour: restricted parameters); the circled point is the box chosen.",
            lambda: plot_tradeoff(found),
        )
        if block:
            blocks.append(block)
    if rows:
        block = figs.draw(
            "discovery_limits",
            "Each box's limits on the parameters it restricts, drawn within the range the sweep "
            "varied (a list parameter shows the values the box keeps).",
            lambda: plot_box_limits(found),
        )
        if block:
            blocks.append(block)
    return blocks
