"""Solara components of the app: network and status line, live plots, the shock control.

Each redraws when SolaraViz steps or resets (``update_counter``) and draws with matplotlib
(no Altair: it would load vega from a CDN). Each session's figures live as long as its model
(``render.LiveFigure``) and never touch pyplot, so drawing from SolaraViz's play thread is safe.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

import numpy as np
import solara
from mesa.visualization.utils import force_update, update_counter

from coopsim.model.config import SHOCK_KINDS
from coopsim.model.partnerships import ACTIVE
from coopsim.model.sectors import SECTORS
from coopsim.viz.network import SECTOR_LABELS, NetworkFigure
from coopsim.viz.plots import TimeseriesPanels

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel

log = logging.getLogger("coopsim.viz")

SHOCK_HELP = {
    "capacity_loss": "organisations lose part of their resources for a while",
    "budget_cut": "the government budget shrinks for a while",
    "demand_surge": "public demand rises for a while",
    "trust_shock": "trust in the target organisations drops at once",
    "staff_exodus": "liaisons leave at once (handover decides what trust survives)",
}


def model_lock(model: CoopModel):
    """The model's lock (``VizModel.lock``): held while it steps, so a drawing made from another
    thread (SolaraViz's "Use Threads") never sees a half-done step."""
    return getattr(model, "lock", contextlib.nullcontext())


def locked(model: CoopModel, draw):
    with model_lock(model):
        return draw()


def status_text(model: CoopModel) -> str:
    """One line: step, governance mode, seed, size, partnerships, last shock."""
    active = int(np.count_nonzero(model.partnerships_table.view("status") == ACTIVE))
    parts = [
        f"Step {model.steps}",
        f"mode: {model.mode.name}",
        f"seed: {model.seed}",
        f"{model.orgs.n} organisations",
        f"{active} active partnerships",
    ]
    shock = model.last_shock
    if shock is None:
        parts.append("last shock: none")
    else:
        parts.append(
            f"last shock: {shock.kind} on {shock.target}, "
            f"severity {shock.severity:g}, step {shock.step}"
        )
    return " · ".join(parts)


def settings_text(model: CoopModel) -> str:
    """The settings this run was built with (the sliders show no numbers)."""
    cfg = model.config
    pop = cfg.population
    counts = ", ".join(f"{pop.sector(s).count} {SECTOR_LABELS[s]}" for s in SECTORS)
    inc = cfg.incentives
    factor = getattr(model, "transparency_factor", 1.0)
    return (
        f"This run: {counts} · turnover {cfg.turnover.rate:.2f}, "
        f"handover {cfg.turnover.handover:.2f} · reward {inc.reward:.2f}, "
        f"sanction {inc.sanction:.2f} ({'graduated' if inc.graduated else 'at once'}) · "
        f"transparency ×{factor:.1f}"
    )


@solara.component
def StatusLine(model: CoopModel):
    update_counter.get()
    with model_lock(model):
        status, settings = status_text(model), settings_text(model)
    with solara.Column(gap="2px", classes=["coopsim-status-block"]):
        solara.Text(status, classes=["coopsim-status"], style={"font-weight": "500"})
        solara.Text(
            settings,
            classes=["coopsim-settings"],
            style={"font-size": "0.8em", "color": "#555"},
        )
        for problem in getattr(model, "problems", []):
            solara.Warning(problem, dense=True, classes=["coopsim-problem"])


@solara.component
def NetworkView(model: CoopModel):
    """The status line over the partnership network."""
    update_counter.get()
    figure = solara.use_memo(lambda: NetworkFigure(model), [model])
    image = solara.use_memo(
        lambda: locked(model, figure.png), [figure, model.steps, len(model.shocks.fired)]
    )
    with solara.Column(gap="4px", classes=["coopsim-network"]):
        StatusLine(model)
        solara.Image(image, width="100%", classes=["coopsim-network-image"])


@solara.component
def PlotsView(model: CoopModel):
    """The shock control over the live plots."""
    update_counter.get()
    figures = solara.use_memo(lambda: TimeseriesPanels(model), [model])
    images = solara.use_memo(
        lambda: locked(model, figures.pngs), [figures, model.steps, len(model.shocks.fired)]
    )
    with solara.Column(gap="4px", classes=["coopsim-plots"]):
        ShockControl(model)
        with solara.Div(
            classes=["coopsim-plots-grid"],
            style={"display": "grid", "grid-template-columns": "1fr 1fr", "gap": "0px"},
        ):
            for image in images:
                solara.Image(image, width="100%", classes=["coopsim-plot-image"])


def fire_shock(model: CoopModel, kind: str, target: str, severity: float, duration: int) -> str:
    """Fire a shock now; returns what happened, for the page."""
    if kind not in SHOCK_KINDS:
        raise ValueError(f"unknown shock kind {kind!r}")
    if not (0.0 <= float(severity) <= 1.0):
        raise ValueError(f"severity must be between 0 and 1 (got {severity})")
    if int(duration) < 1:
        raise ValueError(f"duration must be at least 1 step (got {duration})")
    with model_lock(model):
        model.trigger_shock(kind, target=target, severity=float(severity), duration=int(duration))
    return f"{kind} on {target}, from step {model.last_shock.step}: {SHOCK_HELP[kind]}"


@solara.component
def ShockControl(model: CoopModel):
    """Choose a kind of shock and fire it now, between two steps."""
    kind, set_kind = solara.use_state("capacity_loss")
    target, set_target = solara.use_state("all")
    severity, set_severity = solara.use_state(0.5)
    duration, set_duration = solara.use_state(12)
    message, set_message = solara.use_state(("", ""))  # (kind of message, text)
    present = [s for s in SECTORS if np.any(model.orgs.sector == SECTORS.index(s))]
    targets = ["all", *present]
    chosen = target if target in targets else "all"

    def fire() -> None:
        try:
            done = fire_shock(model, kind, chosen, severity, duration)
        except Exception as exc:  # a bad choice must leave a message, not a dead page
            log.exception("shock failed")
            set_message(("error", f"Could not fire the shock: {exc}"))
            return
        set_message(("ok", done))
        force_update()

    with solara.Column(gap="0px", classes=["coopsim-shock"]):
        with solara.Row(gap="12px", style={"align-items": "center"}):
            solara.Select("Shock kind", value=kind, values=list(SHOCK_KINDS), on_value=set_kind)
            solara.Select("Target", value=chosen, values=targets, on_value=set_target)
            solara.Button(
                "Shock now", color="warning", on_click=fire, classes=["coopsim-shock-fire"]
            )
        with solara.Row(gap="12px"):
            solara.SliderFloat(
                "Severity",
                value=severity,
                min=0.05,
                max=1.0,
                step=0.05,
                on_value=set_severity,
                thumb_label="always",
            )
            solara.SliderInt(
                "Duration (steps)",
                value=duration,
                min=1,
                max=60,
                on_value=set_duration,
                thumb_label="always",
            )
        kind_of, text = message
        if kind_of == "error":
            solara.Error(text, dense=True, classes=["coopsim-shock-message"])
        else:
            solara.Text(
                text or SHOCK_HELP[kind],
                classes=["coopsim-shock-message"],
                style={"font-size": "0.8em", "color": "#555"},
            )
