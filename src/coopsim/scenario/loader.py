"""Loading scenario files: safe YAML, ``--set`` overrides, validation, and messages with places.

Every problem is reported as ``FILE:LINE:COL: dotted.path: message (got VALUE)`` and all of a
file's validation problems are reported at once. Values are checked strictly: a number in quotes
is text, not a number, and ``yes``/``no`` are booleans (the message explains the YAML trap where
it bites). The same pipeline serves files, text and plain dicts, so a sweep loader can reuse it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import pydantic
import yaml

from coopsim.model.sectors import SECTORS
from coopsim.model.validation import (
    NOTHING,
    cross_problems,
    describe,
    dotted_path,
    field_names,
    field_type,
    printable,
    show_value,
    translate_errors,
    unknown_key_message,
    value_hint,
)
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
        return printable(f"{where}: {describe(self.path, self.message, self.got)}")

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
        text = json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ScenarioError([Problem(source, f"not plain data: {exc}")]) from None
    # JSON writes a character beyond U+FFFF (an emoji) as a surrogate pair, which YAML refuses:
    # write it as YAML's own eight-digit \U escape instead.
    return _SURROGATE_PAIR.sub(_astral, text)


_SURROGATE_PAIR = re.compile(r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def _astral(match: re.Match[str]) -> str:
    high, low = int(match.group(2), 16), int(match.group(3), 16)
    return f"{match.group(1)}\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}"


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


def _hint(kind: str, value: Any, path: tuple, locate: _Locator) -> str:
    """Explain the YAML trap behind a wrong type, when there is one (else the model's hint)."""
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
    return value_hint(kind, value)


def _unknown_key(path: tuple) -> str:
    key = str(path[-1])
    if "." in key:
        return (
            "unknown key: dotted paths are for --set; in a file nest the keys "
            f"({key.split('.')[0]}: {{{'.'.join(key.split('.')[1:])}: ...}})"
        )
    return unknown_key_message(key, fields_at(path[:-1]))


def field_hint(path: tuple) -> Any | None:
    """The type (with its constraints) of the scenario field at ``path``, or None if none."""
    return field_type(Scenario, path)


def fields_at(path: tuple) -> list[str]:
    """Field names of the scenario part at ``path`` (empty when it is not a mapping)."""
    return field_names(Scenario, path)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a single text"
    if isinstance(value, bool):
        return "a single boolean"
    return "a single number"


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
    return problems + cross_problems(scenario)


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
