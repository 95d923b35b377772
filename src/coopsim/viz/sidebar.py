"""The sidebar's controls: the governance mode (it applies at once) and the settings that a new
run starts from (they apply on Reset, and the card says which are waiting for it).

Every slider shows its value in its label, above a full-width track (``LabelledSlider``), so a
long label never squeezes the track (the page fits a 1280 × 720 projector).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import solara
from mesa.visualization.utils import force_update, update_counter

from coopsim.model.config import MODES
from coopsim.viz.components import LabelledSlider, SettingsLine
from coopsim.viz.controls import VizModel, pending_changes


@solara.component
def ModeCard(model: solara.Reactive[VizModel], values: solara.Reactive[dict[str, Any]]):
    """The governance mode: a change applies at once. Before the first step the run restarts
    in the new mode (same seed and settings); later, the next month runs under it, as a
    scheduled reform would, and the plots mark the change."""
    update_counter.get()
    current = model.value

    def choose(mode: str) -> None:
        values.value = {**values.value, "mode": mode}
        if current.steps == 0:  # nothing run yet: the same start, in this mode
            model.value = type(current)(**{**current.build_kwargs, "mode": mode})
        else:
            current.switch_mode(mode)
        force_update()

    with solara.Card("Governance mode", classes=["coopsim-mode"], style={"padding": "8px"}):
        solara.Select(
            "Governance mode",
            value=values.value.get("mode", current.mode.name),
            values=list(MODES),
            on_value=choose,
        )
        solara.Text(
            "Applies at once: from the next month, or from the start before the first step.",
            style={"font-size": "0.8em", "color": "#555"},
        )
        hybrid = current.mode.overrides
        if hybrid:
            solara.Text(
                "Hybrid: " + ", ".join(f"{slot} rule of {m}" for slot, m in hybrid.items()),
                classes=["coopsim-hybrid"],
                style={"font-size": "0.8em"},
            )


@solara.component
def SettingsCard(
    model: VizModel, values: solara.Reactive[dict[str, Any]], controls: dict[str, Any]
):
    """The settings a new run starts from (``controls``: ``model_params``); they apply when
    Reset is pressed, and the card lists those that wait for it."""
    update_counter.get()
    current = values.value

    def setter(name: str) -> Callable[[Any], None]:
        def set_value(value: Any) -> None:
            values.value = {**values.value, name: value}

        return set_value

    with solara.Card(
        "Settings (apply on Reset)", classes=["coopsim-settings-card"], style={"padding": "8px"}
    ):
        SettingsLine(model)
        waiting = pending_changes(model, current)
        # Always there, so the controls below keep their places (and their widgets) when the
        # note comes and goes: a text field being typed into is never replaced.
        with solara.Column(gap="0px", classes=["coopsim-pending-area"]):
            if waiting:
                solara.Warning(
                    "Press Reset to start a run with: " + "; ".join(waiting) + ".",
                    dense=True,
                    classes=["coopsim-pending"],
                )
        for name, spec in controls.items():
            kind = spec.get("type") if isinstance(spec, dict) else None
            if kind in ("SliderInt", "SliderFloat"):
                LabelledSlider(
                    spec["label"],
                    current[name],
                    setter(name),
                    spec["min"],
                    spec["max"],
                    spec["step"],
                    integer=kind == "SliderInt",
                )
            elif kind == "InputText":
                solara.InputText(spec["label"], value=str(current[name]), on_value=setter(name))
            elif kind == "Checkbox":
                solara.Checkbox(
                    label=spec["label"], value=bool(current[name]), on_value=setter(name)
                )
            elif kind == "Select" and name != "mode":  # a rule slot (the mode has its own card)
                solara.Select(
                    spec["label"],
                    value=str(current[name]),
                    values=spec["values"],
                    on_value=setter(name),
                )
            # the mode (a Select) has a card of its own: it applies at once
