"""Loading scenario files: safe YAML, ``--set`` overrides, validation, and messages with places.

Every problem is reported as ``FILE:LINE:COL: dotted.path: message (got VALUE)`` and all of a
file's validation problems are reported at once. Values are checked strictly: a number in quotes
is text, not a number, and ``yes``/``no`` are booleans (the message explains the YAML trap where
it bites). The same pipeline serves files, text and plain dicts, so a sweep loader can reuse it.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import pydantic
import yaml

from coopsim.model.sectors import SECTORS
from coopsim.scenario import yamlsafe
from coopsim.scenario.schema import Scenario, scenario_adapter, scenario_to_dict
from coopsim.scenario.yamlsafe import BOOL, FLOAT, INT, Origin, SourceMap, YamlRefused

__all__ = [
    "Override",
    "Problem",
    "ScenarioError",
    "dump_scenario",
    "load_scenario",
    "parse_override",
    "parse_scenario",
    "scenario_from_dict",
    "scenario_warnings",
]

OverrideLike = Union[str, "Override"]
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$|^[0-9]+$")
_ORG_RE = re.compile(r"^(" + "|".join(SECTORS) + r")-[0-9]+$")


# --------------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class Problem:
    """One problem in one input: where (source, line, column, dotted path) and what."""

    source: str
    message: str
    path: str = ""
    line: int | None = None
    col: int | None = None
    got: str | None = None

    def render(self) -> str:
        """``FILE:LINE:COL: dotted.path: message (got VALUE)``, always on one line."""
        where = self.source
        if self.line is not None:
            where += f":{self.line}:{self.col}"
        text = self.message + (f" (got {self.got})" if self.got is not None else "")
        line = f"{where}: {self.path}: {text}" if self.path else f"{where}: {text}"
        return "".join(c if c.isprintable() else repr(c)[1:-1] for c in line)

    def __str__(self) -> str:
        return self.render()


class ScenarioError(ValueError):
    """An invalid scenario: ``problems`` lists each one, ``str()`` gives one line per problem."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(p.render() for p in self.problems))


# --------------------------------------------------------------------------------------------------
# Overrides


@dataclass(frozen=True)
class Override:
    """A value set on the command line: ``path`` (dotted), the parsed ``value``, its ``label``."""

    path: tuple[str | int, ...]
    value: Any
    label: str
    origin: Origin | None = None  # how the value was written (for hints about YAML traps)


def parse_override(text: str, label: str | None = None) -> Override:
    """``key.path=value`` with the value read as YAML (``0.1``, ``statism``, ``[a, b]``)."""
    label = label or f"--set {text}"
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError([Problem(label, "expected key.path=value (e.g. trust.gain=0.1)")])
    path = split_dotted(key)
    if path is None:
        raise ScenarioError(
            [
                Problem(
                    label, f"{key!r} is not a dotted path of keys (e.g. population.business.count)"
                )
            ]
        )
    try:
        value, smap = yamlsafe.parse_yaml(raw, label)
    except YamlRefused as exc:
        raise ScenarioError([Problem(label, exc.problem.message, path=key)]) from None
    return Override(path, value, label, smap.exact(()))


def split_dotted(text: str) -> tuple[str | int, ...] | None:
    """``a.b.0`` as ``("a", "b", 0)``; None when a part is neither a plain key nor an index."""
    parts = text.split(".")
    if not all(_KEY_RE.match(part) for part in parts):
        return None
    return tuple(int(p) if p.isdigit() else p for p in parts)


def _as_override(item: OverrideLike) -> Override:
    return item if isinstance(item, Override) else parse_override(item)


def _apply(data: dict[str, Any], override: Override) -> tuple[dict[str, Any], list[tuple]]:
    """A copy of ``data`` with the override set (containers along the path are copied).

    Also returns the paths the override created, so that messages about them name the option.
    """
    root = dict(data)
    node: Any = root
    path, created = override.path, []
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        where = path[: depth + 1]
        dotted = ".".join(str(p) for p in where)
        if isinstance(node, dict) and isinstance(part, str):
            if last:
                node[part] = override.value
                break
            child = node.get(part)
            if child is None:
                if isinstance(path[depth + 1], int):
                    raise _override_problem(
                        override,
                        f"there is no list at {dotted} to index: give the whole list "
                        f"(e.g. --set '{dotted}=[...]')",
                    )
                child = {}
                created.append(where)
        elif isinstance(node, list) and isinstance(part, int):
            if part >= len(node):
                raise _override_problem(
                    override, f"index {part} is past the end of the list ({len(node)} items)"
                )
            if last:
                node[part] = override.value
                break
            child = node[part]
        else:
            parent = ".".join(str(p) for p in path[:depth]) or "the top level"
            kind = "a list" if isinstance(node, list) else "not a mapping"
            raise _override_problem(override, f"{parent} is {kind}, so {dotted} cannot be set")
        if isinstance(child, dict):
            child = dict(child)
        elif isinstance(child, list):
            child = list(child)
        node[part] = child
        node = child
    return root, created


def _override_problem(override: Override, message: str) -> ScenarioError:
    dotted = ".".join(str(p) for p in override.path)
    return ScenarioError([Problem(override.label, message, path=dotted)])


# --------------------------------------------------------------------------------------------------
# Entry points


def load_scenario(path: str | Path, overrides: Iterable[OverrideLike] = ()) -> Any:
    """The scenario in a YAML file, with ``--set``-style overrides; raises ``ScenarioError``."""
    return parse_scenario(read_source(path), str(path), overrides)


def parse_scenario(text: str, source: str = "<text>", overrides: Iterable[OverrideLike] = ()):
    """The scenario in YAML ``text`` (``source`` names it in messages)."""
    data, smap = read_yaml(text, source)
    return _validate(data, smap, [_as_override(o) for o in overrides])


def scenario_from_dict(
    data: Any, source: str = "<dict>", overrides: Iterable[OverrideLike] = ()
) -> Any:
    """The scenario in plain data (as a YAML file would hold it); raises ``ScenarioError``."""
    return parse_scenario(plain_text(data, source), source, overrides)


# The readers below serve the sweep loader too: a refused input is a ``ScenarioError``.


def read_source(path: str | Path) -> str:
    """The text of a YAML file (size, encoding and kind of file checked by ``yamlsafe``)."""
    try:
        return yamlsafe.read_source(path)
    except YamlRefused as exc:
        raise _refused(str(path), exc) from None


def read_yaml(text: str, source: str) -> tuple[Any, SourceMap]:
    """Safe YAML: the data and where each part of it is written."""
    try:
        return yamlsafe.parse_yaml(text, source)
    except YamlRefused as exc:
        raise _refused(source, exc) from None


def plain_text(data: Any, source: str) -> str:
    """Plain data as text a YAML reader takes (JSON), refusing what a file could not hold."""
    try:
        return json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ScenarioError([Problem(source, f"not plain data: {exc}")]) from None


def _refused(source: str, exc: YamlRefused) -> ScenarioError:
    p = exc.problem
    return ScenarioError([Problem(source, p.message, line=p.line, col=p.col)])


def _validate(data: Any, smap: SourceMap, overrides: list[Override]) -> Any:
    source = smap.source
    if data is None:
        raise ScenarioError(
            [
                Problem(
                    source,
                    "the file is empty: a scenario needs at least a `name:` "
                    "(see `coopsim schema` or scenarios/baseline.yaml)",
                )
            ]
        )
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Problem(
                    source,
                    "the top level must be a mapping of keys (name:, steps:, population:, ...), "
                    f"not {_kind(data)}",
                    line=1,
                    col=1,
                )
            ]
        )
    labels: dict[tuple, str] = {}
    origins = {o.path: o.origin for o in overrides if o.origin is not None}
    for override in overrides:
        data, created = _apply(data, override)
        labels = {p: lab for p, lab in labels.items() if not _startswith(p, override.path)}
        labels[override.path] = override.label
        labels.update(dict.fromkeys(created, override.label))
    locate = _Locator(smap, labels, data, origins)
    try:
        scenario = scenario_adapter().validate_json(json.dumps(data), strict=True)
    except pydantic.ValidationError as exc:
        raise ScenarioError(_translate(exc.errors(), locate)) from None
    except ValueError as exc:  # a JSON number pydantic cannot hold
        raise ScenarioError([Problem(source, f"cannot read the values: {exc}")]) from None
    problems = [locate.problem(path, msg, got) for path, msg, got in _semantic_problems(scenario)]
    if problems:
        raise ScenarioError(problems)
    return scenario


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def dotted_path(path: Sequence[str | int]) -> str:
    """``population.business.count``; keys that are not plain names are quoted."""
    return ".".join(str(p) if isinstance(p, int) or _PLAIN_KEY.match(p) else repr(p) for p in path)


def _startswith(path: tuple, prefix: tuple) -> bool:
    return path[: len(prefix)] == prefix


class _Locator:
    """Maps dotted paths to the file's lines or to the ``--set`` option that gave the value."""

    def __init__(
        self, smap: SourceMap, labels: dict[tuple, str], data: Any, origins: dict[tuple, Origin]
    ):
        self.smap, self.labels, self.data, self.origins = smap, labels, data, origins

    def exact(self, path: tuple) -> Origin | None:
        """How the value at ``path`` was written, if it was written as it stands."""
        if self.label(path) is not None:
            return self.origins.get(path)
        return self.smap.exact(path)

    def label(self, path: tuple) -> str | None:
        for n in range(len(path), 0, -1):
            if path[:n] in self.labels:
                return self.labels[path[:n]]
        return None

    def problem(self, path: tuple, message: str, got: Any = None, key: bool = False) -> Problem:
        label = self.label(path)
        dotted = dotted_path(path)
        shown = None if got is NOTHING else show_value(got)
        if label is not None:
            return Problem(label, message, dotted, got=shown)
        origin = self.smap.key(path) if key else self.smap.value(path)
        if origin is None:
            return Problem(self.smap.source, message, dotted, got=shown)
        return Problem(self.smap.source, message, dotted, origin.line, origin.col, shown)


NOTHING = object()  # no value to show in a problem


# --------------------------------------------------------------------------------------------------
# Translating pydantic's errors


# The scenario's wording for errors at particular places, by (kind of error, data path).
_SPECIAL = {
    ("missing", ("name",)): "required: a slug naming the scenario (e.g. name: kobe-1995)",
    ("string_pattern_mismatch", ("name",)): (
        "must be a slug: lowercase letters, digits, '-' and '_', starting with a letter or "
        "digit, at most 64 characters (e.g. kobe-1995)"
    ),
}


def _translate(errors: list[dict[str, Any]], locate: _Locator) -> list[Problem]:
    items = translate_errors(
        errors,
        locate.data,
        _unknown_key,
        _SPECIAL,
        hint=lambda kind, value, path: _hint(kind, value, path, locate),
    )
    problems = [locate.problem(path, message, got, key=key) for path, message, got, key in items]
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0, p.col or 0))


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
    ``hint(kind, value, path)`` (if given) explains the YAML trap behind a wrong value.
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


def _hint(kind: str, value: Any, path: tuple, locate: _Locator) -> str:
    """Explain the YAML trap behind a wrong type, when there is one."""
    origin = locate.exact(path)
    text = origin.text if origin else None
    wants_text = kind in ("string_type", "literal_error", "string_pattern_mismatch")
    if origin and origin.plain and text is not None:
        if isinstance(value, bool) and origin.tag == BOOL and kind != "bool_type":
            read = f"YAML reads an unquoted {text} as the boolean {str(value).lower()}"
            if wants_text:
                return f"; {read}: write '{text}' in quotes to mean the text"
            return f"; {read}"
        if wants_text and origin.tag in (INT, FLOAT):
            return f"; YAML reads an unquoted {text} as a number: write '{text}' in quotes"
        if value is None:
            return "; the value is empty (YAML reads it as null)"
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


def _unknown_key(path: tuple) -> str:
    key = str(path[-1])
    if "." in key:
        return (
            "unknown key: dotted paths are for --set; in a file nest the keys "
            f"({key.split('.')[0]}: {{{'.'.join(key.split('.')[1:])}: ...}})"
        )
    return unknown_key_message(key, fields_at(path[:-1]))


def unknown_key_message(key: str, known: Sequence[str]) -> str:
    """``unknown key`` with the closest known key, else the known keys (if any)."""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key: did you mean {close[0]!r}?"
    if known:
        return f"unknown key; expected one of: {', '.join(known)}"
    return "unknown key"


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls, include_extras=True)


def field_hint(path: tuple) -> Any | None:
    """The type (with its constraints) of the scenario field at ``path``, or None if none."""
    tp: Any = Scenario
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


def fields_at(path: tuple) -> list[str]:
    """Field names of the scenario part at ``path`` (empty when it is not a mapping)."""
    tp = field_hint(path)
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


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a single text"
    if isinstance(value, bool):
        return "a single boolean"
    return "a single number"


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
# Checks across fields


def _semantic_problems(scenario: Any) -> list[tuple[tuple, str, Any]]:
    problems: list[tuple[tuple, str, Any]] = []
    if scenario.population.size == 0:
        problems.append(
            (
                ("population",),
                "no organisations: give at least one sector a count above 0",
                NOTHING,
            )
        )
    for i, shock in enumerate(scenario.shocks):
        targets = [shock.target] if isinstance(shock.target, str) else list(shock.target)
        if not targets:
            problems.append((("shocks", i, "target"), "names no organisation", NOTHING))
        for j, target in enumerate(targets):
            where = ("shocks", i, "target") + (() if isinstance(shock.target, str) else (j,))
            if target == "all" or target in SECTORS:
                continue
            match = _ORG_RE.match(target)
            if match:
                sector, number = match.group(1), int(target.rsplit("-", 1)[1])
                count = scenario.population.sector(sector).count
                if not 1 <= number <= count:
                    names = f"{sector}-1 to {sector}-{count}" if count else "none"
                    problems.append(
                        (where, f"no such organisation: {sector} has {count} ({names})", target)
                    )
                continue
            options = ["all", *SECTORS]
            close = difflib.get_close_matches(target, options, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(
                (
                    where,
                    f"{hint}a target is `all`, a sector ({', '.join(SECTORS)}) or "
                    "organisation names such as government-3",
                    target,
                )
            )
    seen: dict[int, int] = {}
    for i, switch in enumerate(scenario.governance.switch):
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


def scenario_warnings(scenario: Any) -> list[str]:
    """Things that are valid but probably not meant (each a readable sentence)."""
    out = []
    steps = scenario.steps
    for i, shock in enumerate(scenario.shocks):
        if shock.at is not None and shock.at > steps:
            out.append(
                f"shocks.{i}.at: step {shock.at} is after the last step ({steps}): it never fires"
            )
    for i, switch in enumerate(scenario.governance.switch):
        if switch.at > steps:
            out.append(
                f"governance.switch.{i}.at: step {switch.at} is after the last step ({steps}): "
                "the reform never happens"
            )
    if scenario.metrics.window > steps:
        out.append(
            f"metrics.window: {scenario.metrics.window} steps is longer than the run ({steps}): "
            "the sustainability index uses the whole run"
        )
    counts = {s: scenario.population.sector(s).count for s in SECTORS}
    for i, shock in enumerate(scenario.shocks):
        if isinstance(shock.target, str) and shock.target in SECTORS and not counts[shock.target]:
            out.append(f"shocks.{i}.target: {shock.target} has no organisations in this scenario")
    return out


# --------------------------------------------------------------------------------------------------
# Writing a resolved scenario


class _Dumper(yaml.SafeDumper):
    """Quotes text exactly when coopsim's reader would otherwise take it for something else."""


_Dumper.yaml_implicit_resolvers = {
    k: list(v) for k, v in yamlsafe._Resolver.yaml_implicit_resolvers.items()
}


def dump_scenario(scenario: Any, header: str | None = None) -> str:
    """YAML of a scenario with every default filled in; loading it gives the same scenario."""
    text = yaml.dump(
        scenario_to_dict(scenario),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return comment(header) + text


def comment(header: str | None) -> str:
    """``header`` as YAML comment lines ("" for none)."""
    if not header:
        return ""
    return "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
