"""Docking (Axtell et al. 1996): canonical games run on the model's own pieces, set beside the
published results they must reproduce.

``run_benchmark("nowak-may", b=1.9, size=100)`` returns a plain, JSON-ready dict holding the
measured figure (``cooperator_share``, or ``mean_payoff``; ``measured`` names the one that
``published["value"]`` refers to), the published figure (``published``) and every parameter
used. The games use ``coopsim.model.network`` (interaction networks), ``coopsim.model.learning``
(imitation) and ``coopsim.model.production`` (the public good).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any, get_args, get_type_hints

from coopsim.docking.hauert_optional import hauert_optional
from coopsim.docking.nowak_may import nowak_may
from coopsim.docking.santos_pgg import santos_pgg

__all__ = ["BENCHMARKS", "benchmark_parameters", "run_benchmark"]

BENCHMARKS: dict[str, Callable[..., dict]] = {
    "nowak-may": nowak_may,
    "santos-pgg": santos_pgg,
    "hauert-optional": hauert_optional,
}


def _function(name: str) -> Callable[..., dict]:
    try:
        return BENCHMARKS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown benchmark {name!r}; choose one of {', '.join(BENCHMARKS)}"
        ) from None


def benchmark_parameters(name: str) -> dict[str, Any]:
    """The parameters a benchmark takes, with their defaults (for option lists and help)."""
    signature = inspect.signature(_function(name))
    return {p.name: p.default for p in signature.parameters.values()}


def _kind(function: Callable[..., dict], key: str) -> type:
    """The declared type of a parameter (``int | None`` counts as ``int``)."""
    hint = get_type_hints(function)[key]
    options = [t for t in get_args(hint) if t is not type(None)] or [hint]
    return options[0]


def _coerce(name: str, key: str, value: Any, kind: type) -> Any:
    """Give ``value`` the parameter's declared type; numbers may come as text (from a CLI)."""
    if kind is str:
        if not isinstance(value, str):
            raise ValueError(f"{name}: {key} must be text (got {value!r})")
        return value
    if isinstance(value, bool):
        raise ValueError(f"{name}: {key} must be a number (got {value!r})")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {key} must be a number (got {value!r})") from None
    if not math.isfinite(number):
        raise ValueError(f"{name}: {key} must be finite (got {value!r})")
    if kind is int:
        if number != int(number):
            raise ValueError(f"{name}: {key} must be a whole number (got {value!r})")
        return int(number)
    return number


def run_benchmark(name: str, **params: Any) -> dict:
    """Run one benchmark by name with keyword parameters; unset (``None``) ones take defaults.

    Option spellings with hyphens (``initial-cooperators``) are accepted. Unknown names,
    unknown parameters and invalid values raise ``ValueError`` with a message naming them.
    Same parameters and seed, same result.
    """
    function = _function(name)
    defaults = benchmark_parameters(name)
    kwargs: dict[str, Any] = {}
    for raw_key, value in params.items():
        key = raw_key.replace("-", "_")
        if key not in defaults:
            raise ValueError(
                f"{name}: unknown parameter {raw_key!r}; accepted: {', '.join(defaults)}"
            )
        if value is not None:
            kwargs[key] = _coerce(name, key, value, _kind(function, key))
    try:
        return function(**kwargs)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from error
