"""Solara components of the app: network and status line, live plots, the shock control.

Each redraws when Mesa's controller steps or resets (``update_counter``) and draws with matplotlib
(no Altair: it would load vega from a CDN). Each session's figures live as long as its model
(``render.LiveFigure``) and never touch pyplot, so drawing from the play thread is safe.
"""

from __future__ import annotations

import base64
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import solara
from mesa.visualization.utils import force_update, update_counter

from coopsim.model.config import SHOCK_KINDS
from coopsim.model.partnerships import ACTIVE
from coopsim.model.sectors import SECTORS
from coopsim.viz.inspector import organisation_view
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
    thread (the controller's play thread) never sees a half-done step."""
    return getattr(model, "lock", contextlib.nullcontext())


def locked(model: CoopModel, draw):
    with model_lock(model):
        return draw()


def status_text(model: CoopModel) -> str:
    """One line: step, governance mode (and the one the next month starts under, if another),
    seed, size, partnerships, last shock."""
    active = int(np.count_nonzero(model.partnerships_table.view("status") == ACTIVE))
    coming = getattr(model, "next_mode", None)
    mode = model.mode.name + (f" → {coming} from step {model.steps + 1}" if coming else "")
    parts = [
        f"Step {model.steps}",
        f"mode: {mode}",
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
    """The settings this run was built with (the sliders show what the next Reset will use)."""
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
    """Step, mode, seed, size, partnerships and last shock; any problem with the controls."""
    update_counter.get()
    with model_lock(model):
        status = status_text(model)
    with solara.Column(gap="2px", classes=["coopsim-status-block"]):
        solara.Text(status, classes=["coopsim-status"], style={"font-weight": "500"})
        for problem in getattr(model, "problems", []):
            solara.Warning(problem, dense=True, classes=["coopsim-problem"])


@solara.component
def SettingsLine(model: CoopModel):
    """The settings the run in view was built with."""
    update_counter.get()
    with model_lock(model):
        settings = settings_text(model)
    solara.Text(
        settings, classes=["coopsim-settings"], style={"font-size": "0.8em", "color": "#555"}
    )


@solara.component_vue("network_image.vue")
def NetworkImage(src: str, classes: str, event_select: Callable[[dict], None]):
    """The network picture; a click reports where it landed, as fractions of the picture's
    width and height from its top-left corner."""


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@solara.component
def NetworkView(model: CoopModel):
    """The status line over the partnership network; a click on an organisation inspects it."""
    update_counter.get()
    figure = solara.use_memo(lambda: NetworkFigure(model), [model])
    picked, set_picked = solara.use_state((None, None))  # (model, organisation)
    chosen = picked[1] if picked[0] is model else None
    figure.selected = chosen
    image = solara.use_memo(
        lambda: locked(model, figure.png),
        [figure, model.steps, len(model.shocks.fired), chosen],
    )

    def pick(point: dict) -> None:
        try:
            index = figure.organisation_at(float(point["x"]), float(point["y"]))
        except (KeyError, TypeError, ValueError):  # not a point: ignore the click
            return
        set_picked((model, index))

    with solara.Column(gap="4px", classes=["coopsim-network"]):
        StatusLine(model)
        NetworkImage(src=data_url(image), classes="coopsim-network-image", event_select=pick)
        if chosen is None:
            solara.Text(
                "Click an organisation to see its partnerships and trust.",
                classes=["coopsim-inspect-hint"],
                style={"font-size": "0.8em", "color": "#555"},
            )
        else:
            Inspector(model, chosen, on_close=lambda: set_picked((None, None)))


def _percent(value: float) -> str:
    return "—" if not np.isfinite(value) else f"{100 * value:.0f}%"


@solara.component
def Inspector(model: CoopModel, index: int, on_close: Callable[[], None] | None = None):
    """One organisation: its state, its partnerships (with its own terms and delivery)
    and its trust in its partners, both ways."""
    update_counter.get()
    view = locked(model, lambda: organisation_view(model, index))
    with solara.Card(classes=["coopsim-inspector"], style={"padding": "8px"}):
        with solara.Row(style={"align-items": "center"}, justify="space-between"):
            solara.Text(
                f"{view.name} · {SECTOR_LABELS[view.sector]}",
                style={"font-weight": "600"},
                classes=["coopsim-inspector-title"],
            )
            if on_close is not None:
                solara.Button("Close", text=True, small=True, on_click=on_close)
        solara.Text(
            f"resources {view.resources:.2f} (capacity {_percent(view.capacity)}) · "
            f"motivation {view.motivation:.2f} · propensity to cooperate {view.propensity:.2f}",
            style={"font-size": "0.8em"},
        )
        if not view.memberships:
            solara.Text(
                "In no partnership now.",
                classes=["coopsim-inspector-none"],
                style={"font-size": "0.85em"},
            )
            return
        lines = []
        for m in view.memberships:
            others = [name for name in m.members if not name.startswith(view.name + " (")]
            lead = "" if m.lead == view.name else f" (lead: {m.lead})"
            lines.append(
                f"- **Partnership {m.partnership}**, {m.age} months, public value "
                f"{m.value:.1f}{lead}: it commits {_percent(m.commitment)} of its resources "
                f"and delivered {_percent(m.delivery)} last month; its agreed share "
                f"{_percent(m.share)}, its control of the objective {_percent(m.control)}, its "
                f"understanding with its partners {m.understanding:.2f}; its trust in these "
                f"partners {m.trust:.2f}. With: {', '.join(others) or 'nobody else'}."
            )
        solara.Markdown("\n".join(lines), style={"font-size": "0.8em"})
        ties = [
            "| partner | its trust in them | their trust in it |",
            "|---|---:|---:|",
            *(f"| {t.partner} | {t.trust_in:.2f} | {t.trusted_by:.2f} |" for t in view.ties),
        ]
        solara.Markdown("\n".join(ties), style={"font-size": "0.8em"})


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


@solara.component
def LabelledSlider(
    label: str,
    value: float,
    on_value: Callable[[Any], None],
    low: float,
    high: float,
    step: float,
    integer: bool = False,
    unit: str = "",
):
    """``label: value`` over a slider as wide as the card."""
    shown = f"{int(value)}" if integer else f"{float(value):g}"
    with solara.Column(gap="0px", classes=["coopsim-setting"]):
        solara.Text(
            f"{label}: {shown}{unit}",
            classes=["coopsim-setting-label"],
            style={"font-size": "0.85em"},
        )
        slider = solara.SliderInt if integer else solara.SliderFloat
        slider(
            "",
            value=int(value) if integer else float(value),
            min=int(low) if integer else float(low),
            max=int(high) if integer else float(high),
            step=int(step) if integer else float(step),
            on_value=on_value,
            thumb_label=False,
        )


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
        with solara.Columns([1, 1], gutters_dense=True):
            LabelledSlider("Severity", severity, set_severity, 0.05, 1.0, 0.05)
            LabelledSlider(
                "Duration", duration, set_duration, 1, 60, 1, integer=True, unit=" months"
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
