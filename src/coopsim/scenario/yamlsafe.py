"""Safe, bounded YAML reading that remembers where every value came from.

Files hold plain data only: mappings, lists, text, numbers, booleans and null. Nothing is executed
or imported, and every tag other than the standard scalar and collection tags is refused. The
reader composes the document itself from PyYAML's event stream (no recursion, no object graph
built by PyYAML), so it can refuse, before any work grows, documents nested too deeply, aliases
that expand into too many values (the "billion laughs"), oversized files, duplicate keys, several
documents, NaN and infinity.

Scalars follow YAML 1.1 as PyYAML reads them, with three changes that remove traps:
``1e-3`` is a number (PyYAML 1.1 reads it as text), integers are decimal (``012`` is twelve, not
ten; ``1:30`` is text, not ninety) and dates stay text. ``yes``/``no``/``on``/``off`` remain
booleans, as every other YAML 1.1 tool reads them; the validator explains the trap where text
was expected.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml import events as ev
from yaml.nodes import ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from coopsim.model.validation import INFINITY_MESSAGE, NAN_MESSAGE

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_VALUES",
    "Origin",
    "SourceMap",
    "YamlProblem",
    "YamlRefused",
    "describe_scalar",
    "parse_yaml",
    "read_source",
    "render_tag",
]

MAX_BYTES = 1_048_576  # 1 MiB: a scenario is a few kilobytes
MAX_DEPTH = 32  # a scenario nests five levels deep
MAX_VALUES = 100_000  # values after alias expansion
MAX_NUMBER_CHARS = 64

TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, MAP, SEQ, MERGE = (
    TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "merge")
)
ALLOWED_TAGS = {STR, INT, FLOAT, BOOL, NULL, MAP, SEQ}
BOOL_WORDS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Origin:
    """Where a value was written: 1-based line and column, and for scalars the text as written."""

    line: int
    col: int
    text: str | None = None
    plain: bool = False  # an unquoted scalar (so YAML resolved its type)
    tag: str | None = None


@dataclass
class SourceMap:
    """Dotted paths of a document mapped to the places their values and keys were written."""

    source: str
    values: dict[Path_, Origin] = field(default_factory=dict)
    keys: dict[Path_, Origin] = field(default_factory=dict)

    def value(self, path: Path_) -> Origin | None:
        """The origin of the value at ``path``, or of its nearest written ancestor."""
        for n in range(len(path), -1, -1):
            found = self.values.get(path[:n])
            if found is not None:
                return found
        return None

    def exact(self, path: Path_) -> Origin | None:
        return self.values.get(path)

    def key(self, path: Path_) -> Origin | None:
        return self.keys.get(path) or self.value(path)


@dataclass(frozen=True)
class YamlProblem:
    message: str
    line: int | None = None
    col: int | None = None


class YamlRefused(Exception):
    """The text is not a readable, safe YAML document; ``problem`` says why and where."""

    def __init__(self, problem: YamlProblem):
        super().__init__(problem.message)
        self.problem = problem


def _refuse(message: str, mark: Any = None) -> YamlRefused:
    if mark is None:
        return YamlRefused(YamlProblem(message))
    return YamlRefused(YamlProblem(message, mark.line + 1, mark.column + 1))


# --------------------------------------------------------------------------------------------------
# Reading the bytes


def read_source(path: str | Path) -> str:
    """The text of a scenario file, refusing what is not a small, readable UTF-8 text file."""
    p = Path(path)
    try:
        if not p.exists():
            raise _refuse("no such file")
        if p.is_dir():
            raise _refuse("is a directory, not a file")
        if not p.is_file():
            raise _refuse("is not a regular file")
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise _refuse(f"file is too large ({size:,} bytes; the limit is {MAX_BYTES:,})")
        with p.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except PermissionError:
        raise _refuse("cannot read the file: permission denied") from None
    except OSError as exc:
        raise _refuse(f"cannot read the file: {exc.strerror or exc}") from None
    except ValueError as exc:  # e.g. a NUL character in the path
        raise _refuse(f"not a usable file path: {exc}") from None
    if len(data) > MAX_BYTES:
        raise _refuse(f"file is too large (the limit is {MAX_BYTES:,} bytes)")
    return decode(data)


def has_top_level_key(path: str | Path, key: str) -> bool:
    """Whether ``path`` holds a mapping with the top-level ``key`` (False if unreadable): what
    kind of file it is (``sweep:``, ``calibration:``)."""
    try:
        data, _ = parse_yaml(read_source(path), str(path))
    except YamlRefused:
        return False
    return isinstance(data, dict) and key in data


def decode(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order mark."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise YamlRefused(
            YamlProblem(
                f"not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded); "
                "scenario files are UTF-8 YAML",
                line,
                col,
            )
        ) from None


# --------------------------------------------------------------------------------------------------
# Resolving plain scalars


class _Resolver(BaseResolver):
    """YAML 1.1 resolution without its numeric and date traps (see the module docstring)."""


_Resolver.add_implicit_resolver(
    BOOL,
    re.compile(r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"),
    list("yYnNtTfFoO"),
)
_INT_RE = re.compile(r"^(?:[-+]?[0-9](?:_?[0-9])*|0o[0-7]+|0x[0-9a-fA-F]+)$")
_Resolver.add_implicit_resolver(INT, _INT_RE, list("-+0123456789"))
_FLOAT_RE = re.compile(
    r"""^(?:[-+]?(?:[0-9](?:_?[0-9])*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9](?:_?[0-9])*[eE][-+]?[0-9]+
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_Resolver.add_implicit_resolver(FLOAT, _FLOAT_RE, list("-+0123456789."))
_Resolver.add_implicit_resolver(NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Resolver.add_implicit_resolver(MERGE, re.compile(r"^(?:<<)$"), ["<"])


class _PyEventReader(Reader, Scanner, Parser, _Resolver):
    def __init__(self, text: str):
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        _Resolver.__init__(self)


try:  # libyaml's parser: the same events, ten times faster
    from yaml._yaml import CParser as _CParser

    class _CEventReader(_CParser, _Resolver):
        def __init__(self, text: str):
            _CParser.__init__(self, text)
            _Resolver.__init__(self)

    _EventReader: type = _CEventReader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _EventReader = _PyEventReader


def render_tag(tag: str) -> str:
    """``tag:yaml.org,2002:python/object`` as it is written: ``!!python/object``."""
    return "!!" + tag[len(TAG) :] if tag.startswith(TAG) else tag


def _scalar(tag: str, text: str, mark: Any) -> Any:
    if tag == STR:
        return text
    if tag == NULL:
        return None
    if tag == BOOL:
        word = text.lower()
        if word not in BOOL_WORDS:
            raise _refuse(f"!!bool {text!r} is not a boolean (true or false)", mark)
        return BOOL_WORDS[word]
    if tag == INT:
        if not _INT_RE.match(text):
            raise _refuse(f"!!int {text!r} is not an integer", mark)
        if len(text) > MAX_NUMBER_CHARS:
            raise _refuse(f"number too long ({len(text)} characters)", mark)
        clean = text.replace("_", "")
        if clean[:2] in ("0o", "0x"):
            return int(clean[2:], 8 if clean[1] == "o" else 16)
        return int(clean)
    if tag == FLOAT:
        if not (_FLOAT_RE.match(text) or _INT_RE.match(text)) or len(text) > MAX_NUMBER_CHARS:
            raise _refuse(f"{text[:40]!r} is not a number", mark)
        lower = text.lower().replace("_", "")
        if lower.endswith(".nan"):
            raise _refuse(NAN_MESSAGE, mark)
        if lower.endswith(".inf"):
            raise _refuse(INFINITY_MESSAGE, mark)
        if lower.startswith("0x") or lower.startswith("0o"):
            raise _refuse(f"{text!r} is not a decimal number", mark)
        value = float(lower)
        if not math.isfinite(value):
            raise _refuse(f"{text} is too large (it would be infinite): give a finite number", mark)
        return value
    raise _refuse(_tag_message(tag), mark)


def _tag_message(tag: str) -> str:
    shown = render_tag(tag)
    if "python/" in tag:
        return (
            f"the tag {shown} is not allowed: scenario files hold plain data only, "
            "nothing in them is executed or imported"
        )
    return (
        f"the tag {shown} is not allowed: only plain mappings, lists, text, numbers, "
        "true/false and null"
    )


# --------------------------------------------------------------------------------------------------
# Composing the document from events


@dataclass
class _Frame:
    kind: str  # "map" or "seq"
    value: Any
    path: Path_
    anchor: str | None
    mark: Any
    size: int = 1
    key: tuple[str, Any] | None = None  # pending key and its mark (mappings)
    merges: list[tuple[Any, Any]] = field(default_factory=list)  # (merged value, mark)
    explicit: dict[str, Any] = field(default_factory=dict)  # key -> mark, for duplicates


def parse_yaml(text: str, source: str) -> tuple[Any, SourceMap]:
    """Plain data of the single YAML document in ``text``, and where each value was written."""
    if len(text) > MAX_BYTES:
        raise _refuse(f"text is too large (the limit is {MAX_BYTES:,} characters)")
    smap = SourceMap(source)
    try:
        return _compose(_EventReader(text), smap), smap
    except yaml.reader.ReaderError as exc:
        before = text.encode("utf-8", "replace")[: exc.position].decode("utf-8", "replace")
        line = before.count("\n") + 1
        col = len(before) - (before.rfind("\n") + 1) + 1
        raise YamlRefused(
            YamlProblem(
                f"unreadable text: character #x{_code(exc.character):04x} is not allowed in YAML",
                line,
                col,
            )
        ) from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax(exc, text) from None
    except yaml.YAMLError as exc:
        raise _refuse(f"YAML error: {exc}") from None
    except RecursionError:
        raise _refuse(f"nesting too deep (the limit is {MAX_DEPTH} levels)") from None
    except (UnicodeError, ValueError) as exc:
        raise _refuse(f"unreadable text: {exc}") from None


def _code(character: Any) -> int:
    if isinstance(character, int):
        return character
    return ord(character[:1]) if character else 0


def _syntax(exc: yaml.MarkedYAMLError, text: str) -> YamlRefused:
    mark = exc.problem_mark or exc.context_mark
    if mark is not None:  # a tab where YAML wants spaces: say so, at the tab
        lines = text.splitlines()
        for number in (mark.line, mark.line - 1):
            line = lines[number] if 0 <= number < len(lines) else ""
            indent = line[: len(line) - len(line.lstrip())]
            if "\t" in indent or line[mark.column : mark.column + 1] == "\t":
                column = line.index("\t")
                return YamlRefused(
                    YamlProblem(
                        "YAML syntax error: a tab character; YAML indents with spaces only "
                        "(replace the tab with spaces)",
                        number + 1,
                        column + 1,
                    )
                )
    problem = (exc.problem or "unreadable YAML").strip()
    context = f" ({exc.context.strip()})" if exc.context else ""
    return _refuse(f"YAML syntax error: {problem}{context}", mark)


def _compose(reader: _EventReader, smap: SourceMap) -> Any:
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, int, Origin | None]] = {}
    open_anchors: set[str] = set()
    documents = 0
    root: list[Any] = []

    def attach(value: Any, size: int, origin: Origin | None, mark: Any, path: Path_) -> None:
        if origin is not None:
            smap.values[path] = origin
        if not stack:
            root.append(value)
            if size > MAX_VALUES:
                raise _too_many(mark)
            return
        parent = stack[-1]
        parent.size += size
        if parent.size > MAX_VALUES:
            raise _too_many(mark)
        if parent.kind == "seq":
            parent.value.append(value)
            return
        assert parent.key is not None
        key, key_mark = parent.key
        parent.key = None
        if key == "<<":
            for item in value if isinstance(value, list) else [value]:
                if not isinstance(item, dict):
                    raise _refuse("a merge key (<<) needs a mapping or a list of mappings", mark)
                parent.merges.append((item, key_mark))
            return
        parent.value[key] = value

    def child_path() -> Path_:
        if not stack:
            return ()
        parent = stack[-1]
        if parent.kind == "seq":
            return (*parent.path, len(parent.value))
        assert parent.key is not None
        return (*parent.path, parent.key[0])

    def take_key(event: ev.Event) -> bool:
        """Handle ``event`` as a mapping key if one is expected; True when it was."""
        if not stack or stack[-1].kind != "map" or stack[-1].key is not None:
            return False
        if isinstance(event, ev.MappingEndEvent | ev.SequenceEndEvent):
            return False
        frame = stack[-1]
        mark = event.start_mark
        if not isinstance(event, ev.ScalarEvent):
            raise _refuse("mapping keys must be plain names, not lists, mappings or aliases", mark)
        tag = _scalar_tag(reader, event)
        if tag == MERGE:
            frame.key = ("<<", mark)
            return True
        if tag != STR:
            value = _scalar(tag, event.value, mark) if tag in ALLOWED_TAGS else None
            raise _refuse(
                f"the key {event.value!r} is read by YAML as {describe_scalar(value)}, "
                f"not as a name; write it in quotes ({event.value!r}) if you mean the name",
                mark,
            )
        name = event.value
        if name in frame.explicit:
            first = frame.explicit[name]
            raise _refuse(
                f"duplicate key {name!r} (first written at line {first.line + 1}); "
                "remove one of them",
                mark,
            )
        frame.explicit[name] = mark
        frame.key = (name, mark)
        smap.keys[(*frame.path, name)] = Origin(mark.line + 1, mark.column + 1, name)
        return True

    while reader.check_event():
        event = reader.get_event()
        if isinstance(event, ev.StreamStartEvent | ev.StreamEndEvent | ev.DocumentEndEvent):
            continue
        if isinstance(event, ev.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _refuse(
                    "more than one YAML document (a second '---'); a file holds one scenario",
                    event.start_mark,
                )
            continue
        if take_key(event):
            continue
        mark = event.start_mark
        if isinstance(event, ev.AliasEvent):
            name = event.anchor
            if name in open_anchors:
                raise _refuse(f"the alias *{name} refers to itself (a recursive alias)", mark)
            if name not in anchors:
                raise _refuse(f"the alias *{name} has no anchor &{name} before it", mark)
            value, size, origin = anchors[name]
            here = Origin(mark.line + 1, mark.column + 1, *(_origin_text(origin)))
            attach(value, size, here, mark, child_path())
        elif isinstance(event, ev.ScalarEvent):
            tag = _scalar_tag(reader, event)
            if tag == MERGE:
                raise _refuse("'<<' (a merge key) can only be a key", mark)
            value = _scalar(tag, event.value, mark)
            origin = Origin(mark.line + 1, mark.column + 1, event.value, not event.style, tag)
            if event.anchor:
                anchors[event.anchor] = (value, 1, origin)
            attach(value, 1, origin, mark, child_path())
        elif isinstance(event, ev.MappingStartEvent | ev.SequenceStartEvent):
            kind = "map" if isinstance(event, ev.MappingStartEvent) else "seq"
            if event.tag not in (None, "!", MAP if kind == "map" else SEQ):
                raise _refuse(_tag_message(event.tag), mark)
            if len(stack) >= MAX_DEPTH:
                raise _refuse(f"nesting too deep (the limit is {MAX_DEPTH} levels)", mark)
            if event.anchor:
                open_anchors.add(event.anchor)
            stack.append(
                _Frame(kind, {} if kind == "map" else [], child_path(), event.anchor, mark)
            )
        elif isinstance(event, ev.MappingEndEvent | ev.SequenceEndEvent):
            frame = stack.pop()
            if frame.kind == "map":
                _merge(frame, smap)
            origin = Origin(frame.mark.line + 1, frame.mark.column + 1)
            if frame.anchor:
                open_anchors.discard(frame.anchor)
                anchors[frame.anchor] = (frame.value, frame.size, origin)
            attach(frame.value, frame.size, origin, frame.mark, frame.path)
        else:  # pragma: no cover - PyYAML emits no other events
            raise _refuse(f"unexpected YAML event {type(event).__name__}", mark)
    return root[0] if root else None


def _merge(frame: _Frame, smap: SourceMap) -> None:
    """Apply ``<<`` merge keys: explicit keys win, then earlier merged mappings win."""
    if not frame.merges:
        return
    merged: dict[str, Any] = {}
    for mapping, mark in frame.merges:
        for key, value in mapping.items():
            if key not in merged and key not in frame.value:
                merged[key] = value
                origin = Origin(mark.line + 1, mark.column + 1)
                smap.values.setdefault((*frame.path, key), origin)
                smap.keys.setdefault((*frame.path, key), origin)
    frame.value.update(merged)
    frame.size += sum(_size(v) for v in merged.values())
    if frame.size > MAX_VALUES:
        raise _too_many(frame.mark)


def _size(value: Any, budget: int = MAX_VALUES + 1) -> int:
    """Values in ``value`` (counting shared parts each time), stopping past ``budget``."""
    count, todo = 0, [value]
    while todo and count <= budget:
        item = todo.pop()
        count += 1
        if isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return count


def _origin_text(origin: Origin | None) -> tuple[str | None, bool, str | None]:
    if origin is None:
        return None, False, None
    return origin.text, origin.plain, origin.tag


def _scalar_tag(reader: _EventReader, event: ev.ScalarEvent) -> str:
    tag = event.tag
    if tag is None or tag == "!":
        return reader.resolve(ScalarNode, event.value, event.implicit)
    if tag not in ALLOWED_TAGS:
        raise _refuse(_tag_message(tag), event.start_mark)
    return tag


def _too_many(mark: Any) -> YamlRefused:
    return _refuse(
        f"the document holds more than {MAX_VALUES:,} values once aliases are expanded "
        "(a 'billion laughs'?); scenario files are far smaller, so it is refused",
        mark,
    )


def describe_scalar(value: Any) -> str:
    """How YAML read a scalar: ``the boolean false``, ``null``, ``the number 3``."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if value is None:
        return "null (nothing)"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    return f"the text {value!r}"
