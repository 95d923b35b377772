"""Validation of model parameters: every problem at once, by dotted path, in one set of words.

``ModelConfig.with_overrides`` and ``CoopModel(config=..., **overrides)`` validate here, with the
same strict pydantic rules as scenario files (text is not a number, ``"no"`` is not a boolean,
unknown keys are refused); the scenario layer translates its errors with the functions below and
only adds where each problem is written (``FILE:LINE:COL``).
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import numpy as np
import pydantic

from coopsim.model.config import ModelConfig
from coopsim.model.sectors import SECTORS

__all__ = [
    "NOTHING",
    "ParameterError",
    "ParameterProblem",
    "cross_problems",
    "dotted_path",
    "field_names",
    "field_type",
    "show_value",
    "translate_errors",
    "unknown_key_message",
    "validated",
    "value_hint",
]

NOTHING = object()  # no value to show in a problem
NAN_MESSAGE = "NaN (not a number) is not allowed: give a finite number"
INFINITY_MESSAGE = "infinity is not allowed: give a finite number"
_ORG_RE = re.compile(r"^(" + "|".join(SECTORS) + r")-[0-9]+$")
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


# --------------------------------------------------------------------------------------------------
# Problems


def dotted_path(path: Sequence[str | int]) -> str:
    """``population.business.count``; keys that are not plain names are quoted."""
    return ".".join(str(p) if isinstance(p, int) or _PLAIN_KEY.match(p) else repr(p) for p in path)


def describe(path: str, message: str, got: str | None) -> str:
    """``dotted.path: message (got VALUE)`` (the path left out when empty)."""
    text = message + (f" (got {got})" if got is not None else "")
    return f"{path}: {text}" if path else text


def printable(text: str) -> str:
    """``text`` with control characters escaped, so a problem stays on one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@dataclass(frozen=True)
class ParameterProblem:
    """One invalid parameter: its dotted ``path``, what is wrong, and the value shown (if any)."""

    path: str
    message: str
    got: str | None = None

    @property
    def text(self) -> str:
        """The message and the value, without the path."""
        return printable(describe("", self.message, self.got))

    def __str__(self) -> str:
        return printable(describe(self.path, self.message, self.got))


class ParameterError(ValueError):
    """Invalid parameters: ``problems`` lists each one, ``str()`` gives one line per problem."""

    def __init__(self, problems: Iterable[ParameterProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _problem(path: Sequence[str | int], message: str, got: Any = NOTHING) -> ParameterProblem:
    return ParameterProblem(dotted_path(path), message, None if got is NOTHING else show_value(got))


def show_value(value: Any) -> str | None:
    """A value as a problem shows it (None: too long or not plain data)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, int | float):
        return repr(value)
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    return text if len(text) <= 60 else None


# --------------------------------------------------------------------------------------------------
# Validating a configuration


@functools.cache
def config_adapter() -> pydantic.TypeAdapter:
    """The validator of ``ModelConfig`` data, built once."""
    return pydantic.TypeAdapter(ModelConfig)


def validated(config: Any = None, overrides: Mapping[str, Any] | None = None) -> ModelConfig:
    """``config`` (default: every default) with ``overrides`` set by dotted path
    (``{"trust.gain": 0.1, "shocks.0.at": 5}``), validated as a scenario file's values are.

    Raises ``ParameterError`` listing every problem. Values may be parameter objects or plain
    data (mappings, lists), which become parameter objects; numpy scalars count as numbers.
    """
    adapter = config_adapter()
    data = ModelConfig() if config is None else config
    if isinstance(data, ModelConfig):
        data = adapter.dump_python(data, warnings=False)
    problems: list[ParameterProblem] = []
    for path, value in (overrides or {}).items():
        data = _set(data, path, value, problems)
    if problems:
        raise ParameterError(problems)
    try:
        text = json.dumps(data, allow_nan=False, default=_scalar)
    except (TypeError, ValueError) as exc:
        raise ParameterError(_unplain(data) or [_problem((), f"not plain data: {exc}")]) from None
    try:
        result = adapter.validate_json(text, strict=True)
    except pydantic.ValidationError as exc:
        items = translate_errors(exc.errors(), json.loads(text), _unknown_key, hint=value_hint)
        raise ParameterError(_problem(p, m, got) for p, m, got, _ in items) from None
    except ValueError as exc:  # a JSON number pydantic cannot hold
        raise ParameterError([_problem((), f"cannot read the values: {exc}")]) from None
    crossed = cross_problems(result)
    if crossed:
        raise ParameterError(_problem(p, m, got) for p, m, got in crossed)
    return result


def _set(data: Any, dotted: str, value: Any, problems: list[ParameterProblem]) -> Any:
    """A copy of ``data`` with ``value`` at ``dotted`` (containers along the path are copied);
    a digit indexes a list (``shocks.0.at``)."""
    path = dotted.split(".")
    root = _copy(data)
    node = root
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        where = dotted_path(path[: depth + 1])
        key: str | int = part
        if isinstance(node, dict):
            child = node.get(part)
            if child is None and not last and path[depth + 1].isdigit():
                problems.append(_problem(path, f"there is no list at {where} to index"))
                return data
        elif isinstance(node, list) and part.isdigit():
            key = int(part)
            if key >= len(node):
                message = f"index {key} is past the end of the list ({len(node)} items)"
                problems.append(_problem(path, message))
                return data
            child = node[key]
        else:
            parent = dotted_path(path[:depth]) or "the top level"
            kind = "a list" if isinstance(node, list) else "not a mapping"
            problems.append(_problem(path, f"{parent} is {kind}, so {where} cannot be set"))
            return data
        node[key] = value if last else _copy({} if child is None else child)
        node = node[key]
    return root


def _copy(node: Any) -> Any:
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return _scalar(node)
    if isinstance(node, Mapping):
        return dict(node)
    if isinstance(node, list | tuple):
        return list(node)
    return node


def _scalar(value: Any) -> Any:
    """Parameter objects as mappings and numpy scalars as numbers (for ``json.dumps``)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    raise TypeError(f"{type(value).__name__} is not plain data")


def _unplain(value: Any, path: tuple = ()) -> list[ParameterProblem]:
    """Problems with values no file could hold: NaN, infinity and objects that are not data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = _scalar(value)
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in _unplain(v, (*path, str(k)))]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in _unplain(v, (*path, i))]
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return [_problem(path, NAN_MESSAGE if math.isnan(value) else INFINITY_MESSAGE)]
    if value is None or isinstance(value, str | int | float):
        return []
    message = "must be plain data: a number, text, true or false, a list or a mapping"
    return [ParameterProblem(dotted_path(path), message, type(value).__name__)]


def _unknown_key(path: tuple) -> str:
    return unknown_key_message(str(path[-1]), field_names(ModelConfig, path[:-1]))


# --------------------------------------------------------------------------------------------------
# Checks across sections


def cross_problems(config: Any) -> list[tuple[tuple, str, Any]]:
    """Problems no single field shows, as ``(path, message, value)``: shock targets naming
    organisations that do not exist, and two reforms at one step."""
    problems: list[tuple[tuple, str, Any]] = []
    for i, shock in enumerate(config.shocks):
        targets = [shock.target] if isinstance(shock.target, str) else list(shock.target)
        if not targets:
            problems.append((("shocks", i, "target"), "names no organisation", NOTHING))
        for j, target in enumerate(targets):
            where = ("shocks", i, "target") + (() if isinstance(shock.target, str) else (j,))
            problem = _target_problem(target, config.population)
            if problem:
                problems.append((where, problem, target))
    seen: dict[int, int] = {}
    for i, switch in enumerate(config.governance.switch):
        if switch.at in seen:
            problems.append(
                (
                    ("governance", "switch", i, "at"),
                    f"a second reform at the same step (the first is switch {seen[switch.at]})",
                    switch.at,
                )
            )
        seen[switch.at] = i
    return problems


def _target_problem(target: str, population: Any) -> str | None:
    if target == "all" or target in SECTORS:
        return None
    match = _ORG_RE.match(target)
    if match:
        sector, number = match.group(1), int(target.rsplit("-", 1)[1])
        count = population.sector(sector).count
        if 1 <= number <= count:
            return None
        names = f"{sector}-1 to {sector}-{count}" if count else "none"
        return f"no such organisation: {sector} has {count} ({names})"
    options = ["all", *SECTORS]
    close = difflib.get_close_matches(target, options, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return (
        f"{hint}a target is `all`, a sector ({', '.join(SECTORS)}) or "
        "organisation names such as government-3"
    )


# --------------------------------------------------------------------------------------------------
# Translating pydantic's errors


def translate_errors(
    errors: list[dict[str, Any]],
    data: Any,
    unknown_key: Callable[[tuple], str],
    special: Mapping[tuple[str, tuple], str] | None = None,
    hint: Callable[[str, Any, tuple], str] | None = None,
) -> list[tuple[tuple, str, Any, bool]]:
    """pydantic's ``errors`` about ``data`` in a file's words: one ``(path, message, got, key)``
    for each place, in the order pydantic reports them.

    ``path`` is the place in ``data`` (union tags dropped), ``got`` the value to show (``NOTHING``
    for none) and ``key`` whether the path names a key rather than a value. The messages of union
    arms failing at one place are joined with "or"; arms that failed deeper stand for shallower
    ones. ``unknown_key(path)`` words an unknown key, ``special[(kind, path)]`` replaces the
    message of one kind of error at one place (``missing``, ``string_pattern_mismatch``, ...) and
    ``hint(kind, value, path)`` (if given) explains the trap behind a wrong value.
    """
    grouped: dict[tuple, list[tuple[str, str, Any, bool, bool]]] = {}
    for err in errors:
        path, key, union = _data_path(err["loc"], data, err["type"])
        message, value = _message(err, path, unknown_key, special or {})
        plain = err["type"] in _MISSING + _UNKNOWN or hint is None
        extra = "" if plain else hint(err["type"], value, path)
        grouped.setdefault(path, []).append((message, extra, value, key, union))
    union_paths = [p for p, items in grouped.items() if any(i[4] for i in items)]
    out = []
    for path, items in grouped.items():
        deeper = any(q[: len(path)] == path and len(q) > len(path) for q in union_paths)
        if deeper and all(i[4] for i in items):
            continue  # a union arm that failed deeper says more
        messages = list(dict.fromkeys(m for m, *_ in items))
        message = messages[0]
        for extra in messages[1:]:
            message += " or " + extra.removeprefix("must be ")
        extra = next((h for _, h, *_ in items if h), "")
        _, _, got, key, _ = items[0]
        out.append((path, message + extra, got, key))
    return out


def _data_path(loc: tuple, data: Any, kind: str) -> tuple[tuple, bool, bool]:
    """The part of pydantic's ``loc`` naming places in the data; union tags are dropped.

    Returns the path, whether it names an unknown key, and whether union tags were dropped.
    """
    path: list[Any] = []
    node, present, union = data, True, False
    for part in loc:
        in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if present and (in_dict or in_list):
            path.append(part)
            node = node[part]
        elif present and isinstance(node, dict) and kind in _MISSING:
            path.append(part)
            present = False
        else:
            union = True
    return tuple(path), kind in _UNKNOWN, union


_MISSING = ("missing", "missing_argument")
_UNKNOWN = ("unexpected_keyword_argument", "extra_forbidden")
_TYPE_MESSAGES = {
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "string_type": "must be text",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "dataclass_type": "must be a mapping of keys",
    "dataclass_exact_type": "must be a mapping of keys",
    "dict_type": "must be a mapping of keys",
    "model_type": "must be a mapping of keys",
    "none_required": "must be empty (null)",
}
_BOUNDS = {
    "greater_than_equal": "at least",
    "greater_than": "above",
    "less_than_equal": "at most",
    "less_than": "below",
}


def _message(
    err: dict[str, Any],
    path: tuple,
    unknown_key: Callable[[tuple], str],
    special: Mapping[tuple[str, tuple], str],
) -> tuple[str, Any]:
    """The message and the value to show."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind in _MISSING:
        return special.get(("missing", path), "required, but missing"), NOTHING
    if kind in _UNKNOWN:
        return unknown_key(path), NOTHING
    if (kind, path) in special:
        message = special[kind, path]
    elif kind == "literal_error":
        message = f"must be one of {ctx.get('expected', '')}"
    elif kind in _BOUNDS:
        message = f"must be {_BOUNDS[kind]} {next(iter(ctx.values()), '?')}"
    elif kind == "string_too_long":
        message = f"is too long (at most {ctx.get('max_length')} characters)"
    elif kind in ("value_error", "assertion_error"):
        message = str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
        if isinstance(value, dict):
            value = NOTHING
    elif kind in _TYPE_MESSAGES:
        message = _TYPE_MESSAGES[kind]
    else:
        message = err["msg"][:1].lower() + err["msg"][1:]
    return message, value


def value_hint(kind: str, value: Any, path: tuple = ()) -> str:
    """Explain a wrong value whose type says what was meant (a number in quotes, ``3.0``)."""
    if isinstance(value, str) and kind in ("float_type", "int_type") and _numeric(value):
        return f"; it is in quotes, so it is text: write {value} without quotes"
    if kind in ("int_type", "int_from_float") and isinstance(value, float) and value.is_integer():
        return ": write it without a decimal point or exponent"
    return ""


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def unknown_key_message(key: str, known: Sequence[str]) -> str:
    """``unknown key`` with the closest known key, else the known keys (if any)."""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key: did you mean {close[0]!r}?"
    if known:
        return f"unknown key; expected one of: {', '.join(known)}"
    return "unknown key"


# --------------------------------------------------------------------------------------------------
# Field types by path


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls, include_extras=True)


def field_type(root: type, path: tuple) -> Any | None:
    """The type (with its constraints) of the field of ``root`` at ``path``, or None if none."""
    tp: Any = root
    for part in path:
        base = _unwrap(tp)
        if dataclasses.is_dataclass(base) and isinstance(part, str):
            tp = _hints(base).get(part)
            if tp is None:
                return None
        elif get_origin(base) is tuple and isinstance(part, int):
            tp = get_args(base)[0]
        else:
            return None
    return tp


def field_names(root: type, path: tuple) -> list[str]:
    """Field names of the part of ``root`` at ``path`` (empty when it is not a mapping)."""
    tp = field_type(root, path)
    base = _unwrap(tp) if tp is not None else None
    if base is not None and dataclasses.is_dataclass(base):
        return [f.name for f in dataclasses.fields(base)]
    return []


def _unwrap(tp: Any) -> Any:
    """The type inside ``Annotated`` and optional types; of a union's arms, a structured one."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            structured = [
                a for a in args if dataclasses.is_dataclass(_unwrap(a)) or get_origin(a) is tuple
            ]
            tp = structured[0] if structured else args[0]
        else:
            return tp
