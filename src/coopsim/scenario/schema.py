"""The scenario schema: a run's identity (name, seed, steps), its outputs, and the model sections.

The model sections are the very dataclasses of :mod:`coopsim.model.config` (one source of truth for
defaults, ranges, units and docs); this module only adds the top-level keys a file needs around
them. ``Scenario`` is built from ``ModelConfig``'s fields, so a section added to the model
appears in scenario files, in ``coopsim schema`` and in resolved ``scenario.yaml`` files without
an edit here.
A sweep schema (a scenario plus a ``sweep:`` block) will live beside this one, in ``sweep.py``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass, field, fields, make_dataclass
from typing import Annotated, Any, Literal, get_type_hints

import pydantic
from annotated_types import Interval
from pydantic.json_schema import GenerateJsonSchema

from coopsim.model.config import (
    MAX_STEPS,
    ModelConfig,
    _describe,  # fields' doc and unit into the JSON Schema
    doc,
)

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_SEED",
    "NAME_PATTERN",
    "SECTIONS",
    "JsonSchemaGenerator",
    "Output",
    "Scenario",
    "json_schema",
    "scenario_adapter",
    "scenario_to_dict",
]

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
MAX_SEED = 2**63 - 1
MAX_DESCRIPTION = 20_000
DEFAULT_STEPS = 240
SECTIONS: tuple[str, ...] = tuple(f.name for f in fields(ModelConfig))

Slug = Annotated[str, pydantic.StringConstraints(pattern=NAME_PATTERN)]
FigureFormat = Literal["png", "svg", "pdf"]


_CONFIG: pydantic.ConfigDict = {"extra": "forbid", "json_schema_extra": _describe}


@dataclass(frozen=True)
class Output:
    """What a run writes besides its tables: thinning, figures and the report."""

    __pydantic_config__ = _CONFIG
    every: Annotated[int, Interval(ge=1, le=MAX_STEPS)] = field(
        default=1,
        metadata=doc(
            "Keep every N-th step in timeseries.parquet (the last step is always kept); "
            "1 keeps them all.",
            "steps",
        ),
    )
    partnerships: bool = field(
        default=True, metadata=doc("Write partnerships.parquet (one row per partnership).")
    )
    figures: tuple[FigureFormat, ...] = field(
        default=("png",),
        metadata=doc(
            "Figure formats written into figures/: png, svg, pdf; empty: no figures (the "
            "report is written without them)."
        ),
    )
    report: Literal["markdown", "html", "both", "none"] = field(
        default="both",
        metadata=doc(
            "Report written at the end of `run` and `compare`: report.md (markdown), "
            "report.html (html, figures embedded), both, or none."
        ),
    )


class _ScenarioMethods:
    """Behaviour of ``Scenario`` (its fields are generated from ``ModelConfig``)."""

    __slots__ = ()

    def model_config(self) -> ModelConfig:
        """The model's parameters: every section of this scenario."""
        return ModelConfig(**{name: getattr(self, name) for name in SECTIONS})

    def replace(self, **changes: Any) -> Scenario:
        """A copy with top-level fields replaced (not re-validated: pass validated values)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def with_mode(self, mode: str) -> Scenario:
        """A copy whose initial governance mode is ``mode`` (reforms in ``switch`` are kept)."""
        governance = dataclasses.replace(self.governance, mode=mode)  # type: ignore[attr-defined]
        return self.replace(governance=governance)


def _scenario_class() -> type:
    hints = get_type_hints(ModelConfig, include_extras=True)
    head = [
        (
            "name",
            Slug,
            field(
                metadata=doc(
                    "Required. A slug naming the scenario (lowercase letters, digits, '-' and '_', "
                    "at most 64 characters); it names the run directories."
                )
            ),
        ),
        (
            "description",
            Annotated[str, pydantic.StringConstraints(max_length=MAX_DESCRIPTION)],
            field(default="", metadata=doc("Free text: the case, its source, what to look for.")),
        ),
        (
            "seed",
            Annotated[int, Interval(ge=0, le=MAX_SEED)],
            field(default=0, metadata=doc("Root of the run's random stream.")),
        ),
        (
            "steps",
            Annotated[int, Interval(ge=1, le=MAX_STEPS)],
            field(default=DEFAULT_STEPS, metadata=doc("Steps to run (one step is one month).")),
        ),
    ]
    sections = [
        (f.name, hints[f.name], field(default_factory=f.default_factory, metadata=f.metadata))
        if f.default is dataclasses.MISSING
        else (f.name, hints[f.name], field(default=f.default, metadata=f.metadata))
        for f in fields(ModelConfig)
    ]
    tail = [
        (
            "output",
            Output,
            field(default_factory=Output, metadata=doc("What a run writes besides its tables.")),
        )
    ]
    cls = make_dataclass(
        "Scenario",
        head + sections + tail,
        bases=(_ScenarioMethods,),
        frozen=True,
        module=__name__,
        namespace={"__pydantic_config__": _CONFIG},
    )
    cls.__doc__ = (
        "A scenario file: name, description, seed, steps, the model sections and the output "
        "settings, each with a default except the name."
    )
    return cls


Scenario: Any = _scenario_class()


@functools.cache
def scenario_adapter() -> pydantic.TypeAdapter:
    """The validator of scenario data (``validate_json(..., strict=True)`` is what files get)."""
    return pydantic.TypeAdapter(Scenario)


def scenario_to_dict(scenario: Any) -> dict[str, Any]:
    """Plain data (lists, dicts, numbers, text) of a scenario, every default filled in."""
    return scenario_adapter().dump_python(scenario, mode="json")


class JsonSchemaGenerator(GenerateJsonSchema):
    """Pydantic's JSON Schema, with a float field's bounds always written as floats.

    ``Annotated[float, Ge(0)]`` (pydantic's own ``NonNegativeFloat``) and
    ``Annotated[float, Ge(0.0)]`` compare equal, so ``typing`` caches them as one object: without
    this, ``"minimum"`` would be ``0`` or ``0.0`` depending on which module was imported first.
    """

    BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")

    def float_schema(self, schema: Any) -> dict[str, Any]:
        out = super().float_schema(schema)
        for key in self.BOUNDS:
            if type(out.get(key)) is int:
                out[key] = float(out[key])
        return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, derived from the code."""
    schema = scenario_adapter().json_schema(schema_generator=JsonSchemaGenerator)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False)
