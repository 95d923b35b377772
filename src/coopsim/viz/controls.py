"""The app's controls: their starting values (a scenario's, or the defaults), and the model.

Mesa's controller rebuilds the model on Reset by calling ``VizModel(**values)`` with the flat
values of the controls (``model_params`` declares them, in SolaraViz's format). Parameter names
are the model's own dotted paths with ``__`` for the dots, so each control maps to exactly one
scenario field; ``transparency`` multiplies every sector's profile. A value that cannot be used
never kills the app: the model keeps the starting value for it and says so in ``problems``,
which the page shows. The governance mode applies at once (``VizModel.switch_mode``), the other
controls on Reset (``pending_changes`` says which wait for it).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coopsim.model.config import MODES, ModelConfig
from coopsim.model.model import CoopModel
from coopsim.model.rules import SLOTS
from coopsim.model.sectors import SECTORS
from coopsim.model.validation import ParameterError

log = logging.getLogger("coopsim.viz")

DEFAULT_SEED = 42
MAX_SEED = 2**63 - 1
COUNT_MAX = 150  # per sector on the sliders (a scenario's larger count widens its slider)

SECTOR_CONTROLS = {
    "government": "Government agencies",
    "business": "Firms",
    "civil_society": "NGOs (civil society)",
    "community": "Citizen groups (community)",
}
# Control name -> (label, min, max, step); floats are SliderFloat, ints SliderInt.
NUMBER_CONTROLS: dict[str, tuple[str, float, float, float]] = {
    "turnover__rate": ("Staff turnover (chance per month)", 0.0, 0.3, 0.01),
    "turnover__handover": ("Handover quality (share passed on)", 0.0, 1.0, 0.05),
    "incentives__reward": ("Reward (per unit delivered)", 0.0, 1.0, 0.05),
    "incentives__sanction": ("Sanction (per unit withheld)", 0.0, 2.0, 0.05),
}
TRANSPARENCY = ("Transparency (× every sector's profile)", 0.0, 2.0, 0.1)
FIXED = ("config", "fallback_seed")  # passed unchanged on every Reset, not controls
OWN_RULE = "own rule"  # a rule slot's control: the governing mode's own rule
RULE_CONTROLS = {f"governance__rules__{slot}": slot for slot in SLOTS}  # a hybrid, slot by slot
GRADUATED = "Graduated sanctions (warn first)"


def control_values(start: Start) -> dict[str, Any]:
    """What the page rebuilds the model from: every control's value and the fixed starting
    point (``VizModel(**control_values(start))`` is the starting model)."""
    return {**initial_values(start), "config": start.config, "fallback_seed": start.seed}


def label_of(name: str) -> str:
    """A control's label, as the page shows it."""
    if name == "seed":
        return "Seed"
    if name == "mode":
        return "Governance mode"
    if name == "transparency":
        return TRANSPARENCY[0]
    if name == "incentives__graduated":
        return GRADUATED
    if name in RULE_CONTROLS:
        return f"{RULE_CONTROLS[name].capitalize()} rule"
    return _label(name)


def pending_changes(model: Any, values: dict[str, Any]) -> list[str]:
    """``label: now → chosen`` for every control (but the mode, which applies at once) whose
    chosen value differs from the one ``model`` was built with: what Reset would change."""
    built = getattr(model, "controls", {})
    out = []
    for name, chosen in values.items():
        if name in FIXED or name == "mode" or name not in built:
            continue
        now = built[name]
        if _same(now, chosen):
            continue
        out.append(f"{label_of(name).split(' (')[0]}: {_show(now)} → {_show(chosen)}")
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return str(a) == str(b)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class Start:
    """Where the app starts: a configuration, a seed, and a name to show."""

    config: ModelConfig
    seed: int
    name: str
    description: str = ""


def starting_point(scenario_path: str | Path | None = None) -> Start:
    """The scenario's configuration and seed, or the model's defaults with seed 42.

    Raises the scenario layer's error (naming file, line and field) for an invalid file.
    """
    if scenario_path is None:
        return Start(ModelConfig(), DEFAULT_SEED, "defaults", "The model's default parameters.")
    from coopsim.scenario import load_scenario

    scenario = load_scenario(scenario_path)
    return Start(
        scenario.model_config(),
        int(scenario.seed),
        str(scenario.name),
        " ".join(str(getattr(scenario, "description", "") or "").split()),
    )


def initial_values(start: Start) -> dict[str, Any]:
    """Every control's starting value, by control name."""
    cfg = start.config
    values: dict[str, Any] = {"mode": cfg.governance.mode, "seed": str(start.seed)}
    for sector in SECTOR_CONTROLS:
        values[f"population__{sector}__count"] = cfg.population.sector(sector).count
    for name in NUMBER_CONTROLS:
        values[name] = _get(cfg, name)
    values["incentives__graduated"] = cfg.incentives.graduated
    values["transparency"] = 1.0
    for name, slot in RULE_CONTROLS.items():
        values[name] = getattr(cfg.governance.rules, slot) or OWN_RULE
    return values


def model_params(start: Start) -> dict[str, Any]:
    """The controls in SolaraViz's ``model_params`` format (type, label, value, range), plus the
    fixed starting point they modify; the page's sidebar draws them."""
    values = initial_values(start)
    params: dict[str, Any] = {
        "mode": {
            "type": "Select",
            "value": values["mode"],
            "values": list(MODES),
            "label": "Governance mode",
        },
        "seed": {"type": "InputText", "value": values["seed"], "label": "Seed (whole number)"},
    }
    for sector, label in SECTOR_CONTROLS.items():
        name = f"population__{sector}__count"
        params[name] = {
            "type": "SliderInt",
            "value": values[name],
            "label": label,
            "min": 0,
            "max": max(COUNT_MAX, values[name]),
            "step": 1,
        }
    for name, (label, low, high, step) in NUMBER_CONTROLS.items():
        params[name] = _float_slider(label, values[name], low, high, step)
    params["incentives__graduated"] = {
        "type": "Checkbox",
        "value": values["incentives__graduated"],
        "label": GRADUATED,
    }
    params["transparency"] = _float_slider(*TRANSPARENCY[:1], 1.0, *TRANSPARENCY[1:])
    for name in RULE_CONTROLS:  # a hybrid: any slot may take another mode's rule
        params[name] = {
            "type": "Select",
            "value": values[name],
            "values": [OWN_RULE, *MODES],
            "label": label_of(name),
        }
    # Fixed values (not dicts with a "type"): passed unchanged on every Reset.
    params["config"] = start.config
    params["fallback_seed"] = start.seed
    return params


def _float_slider(label: str, value: float, low: float, high: float, step: float) -> dict:
    return {
        "type": "SliderFloat",
        "value": float(value),
        "label": label,
        "min": float(min(low, value)),
        "max": float(max(high, value)),
        "step": step,
    }


def _get(config: ModelConfig, name: str) -> Any:
    obj: Any = config
    for part in name.split("__"):
        obj = getattr(obj, part)
    return obj


def parse_seed(value: Any) -> int:
    """A seed from a control: a whole number in [0, 2**63 - 1] (text or number)."""
    if isinstance(value, bool):
        raise ValueError(f"the seed must be a whole number (got {value!r})")
    if isinstance(value, int):
        seed = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        seed = int(value)
    else:
        text = str(value).strip().replace("_", "")
        if not text.lstrip("+-").isdigit():
            raise ValueError(f"the seed must be a whole number (got {str(value)!r})")
        seed = int(text)
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"the seed must be between 0 and {MAX_SEED} (got {seed})")
    return seed


def build_config(
    base: ModelConfig, mode: str | None, transparency: Any, overrides: dict[str, Any]
) -> tuple[ModelConfig, float, list[str]]:
    """``base`` with the controls' values applied, the transparency factor used, and a message
    for each value left out.

    Each value is tried on its own, so one bad value does not discard the others.
    """
    problems: list[str] = []
    config = base
    changes = {k: (None if v == OWN_RULE else v) for k, v in overrides.items()}
    if mode is not None:
        changes["governance__mode"] = mode
    for name, value in changes.items():
        try:
            candidate = config.with_overrides({name.replace("__", "."): value})
        except (KeyError, TypeError, ValueError) as exc:
            current = _get_or(config, name)
            kept = "ignored" if current is None else f"kept {current!r}"
            problems.append(f"{_label(name)}: {_reason(exc)}; {kept}")
            continue
        config = candidate
    try:
        factor = float(transparency)
        if not math.isfinite(factor) or factor < 0:
            raise ValueError(f"must be a finite number >= 0 (got {transparency!r})")
        config = _scale_transparency(config, factor)
    except (TypeError, ValueError) as exc:
        factor = 1.0
        problems.append(f"transparency: {_reason(exc)}; kept the sectors' profiles")
    return config, factor, problems


def _scale_transparency(config: ModelConfig, factor: float) -> ModelConfig:
    if factor == 1.0:
        return config
    pop = config.population
    sectors = {
        s: dataclasses.replace(
            pop.sector(s), transparency=min(1.0, pop.sector(s).transparency * factor)
        )
        for s in SECTORS
    }
    return dataclasses.replace(config, population=dataclasses.replace(pop, **sectors))


def _label(name: str) -> str:
    if name == "governance__mode":
        return "governance mode"
    sector = name.removeprefix("population__").removesuffix("__count")
    if sector in SECTOR_CONTROLS:
        return SECTOR_CONTROLS[sector]
    return NUMBER_CONTROLS.get(name, (name.replace("__", "."),))[0]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ParameterError):
        return "; ".join(p.text for p in exc.problems)
    return str(exc.args[0]) if exc.args else type(exc).__name__


def _get_or(config: ModelConfig, name: str) -> Any:
    try:
        return _get(config, name)
    except AttributeError:
        return None


class VizModel(CoopModel):
    """A CoopModel built from the app's controls; unusable values give messages, not a crash.

    ``config`` is the starting configuration the controls modify and ``fallback_seed`` the seed
    used when the seed control holds something that is not a seed. ``problems`` lists what was
    left out; a step that fails stops the model (``running = False``) with a message instead of
    killing the page.
    """

    def __init__(
        self,
        *,
        config: ModelConfig | None = None,
        seed: Any = DEFAULT_SEED,
        mode: str | None = None,
        transparency: Any = 1.0,
        fallback_seed: int = DEFAULT_SEED,
        scenario: Any = None,  # Mesa's controller passes its own scenario on Reset: unused
        **overrides: Any,
    ):
        self.build_kwargs: dict[str, Any] = {
            "config": config,
            "seed": seed,
            "mode": mode,
            "transparency": transparency,
            "fallback_seed": fallback_seed,
            **overrides,
        }
        base = config or ModelConfig()
        problems: list[str] = []
        try:
            rng = parse_seed(seed)
        except ValueError as exc:
            rng = fallback_seed
            problems.append(f"Seed: {exc}; used {fallback_seed}")
        resolved, factor, config_problems = build_config(base, mode, transparency, overrides)
        problems += config_problems
        try:
            super().__init__(config=resolved, rng=rng)
        except (KeyError, TypeError, ValueError) as exc:  # a combination the model refuses
            problems.append(f"These settings do not make a valid model ({exc}); used the start")
            super().__init__(config=base, rng=rng)
            factor = 1.0
        self.transparency_factor = factor
        if self.orgs.n == 0:
            problems.append("No organisations: give at least one sector a count above 0")
        self.problems: list[str] = problems
        self.lock = threading.RLock()  # held while stepping; the page draws under it too

    @property
    def controls(self) -> dict[str, Any]:
        """The control values this model was built with (by control name)."""
        return {k: v for k, v in self.build_kwargs.items() if k not in FIXED}

    def switch_mode(self, mode: str) -> None:
        """Govern by ``mode`` from the next month on, as a reform scheduled in the scenario
        would (``governance.switch``): the run goes on, its record marks the change."""
        if mode not in MODES:
            raise ValueError(f"unknown governance mode {mode!r}: choose from {', '.join(MODES)}")
        with self.lock:
            self.reforms[self.steps + 1] = (mode, self.config.governance.rules.chosen())
            self.build_kwargs["mode"] = mode

    @property
    def next_mode(self) -> str | None:
        """The mode the next month starts under, when it differs from the one in force."""
        coming = self.reforms.get(self.steps + 1)
        return coming[0] if coming is not None and coming[0] != self.mode.name else None

    def step(self) -> None:
        try:
            with self.lock:
                super().step()
        except Exception as exc:  # the app must survive a failing step: stop, and say why
            log.exception("step %d failed", self.steps)
            self.running = False
            self.problems = [*self.problems, f"The model stopped at step {self.steps}: {exc}"]
