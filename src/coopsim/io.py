"""Files that outlive a crash: atomic writes, output directories that stay put, run metadata.

Every file is written to a temporary name in its own directory and renamed into place, so a
reader sees the old file or the new one, never half of one. Output directories are created
fresh (an existing one is never reused or overwritten) and always inside the chosen parent,
whatever name a scenario gives. Other layers (report, experiments) write through these helpers.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import hashlib
import json
import math
import os
import platform
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

# A terminal escape sequence (CSI, OSC, or a two-character ESC form), then any control character
# left (C0 but tab and newline, DEL, C1) and the bidirectional overrides that reorder text.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (tab, newline kept):
    what a scenario's text carries into a terminal or a report cannot move the cursor, recolour,
    retitle the window or hide text."""
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


__all__ = [
    "OutputPathError",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "git_commit",
    "json_ready",
    "new_output_dir",
    "package_versions",
    "printable",
    "safe_component",
    "short_hash",
    "utc_now",
    "utc_stamp",
    "write_parquet",
]

PACKAGES = (
    "mesa",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "networkx",
    "pydantic",
    "pyyaml",
    "matplotlib",
    "typer",
    "rich",
)


class OutputPathError(ValueError):
    """An output location that cannot be used (outside the parent, not a directory, ...)."""


# --------------------------------------------------------------------------------------------------
# Atomic writes


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path``; renamed onto ``path`` if the block succeeds.

    For writers that want a file name (``DataFrame.to_parquet``, ``Figure.savefig``). On any
    exception the temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "xb") as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON (NaN and infinity become null) atomically."""
    text = json.dumps(json_ready(obj), indent=2, ensure_ascii=False, allow_nan=False)
    return atomic_write_text(path, text + "\n")


def write_parquet(path: str | Path, frame: Any) -> Path:
    """Write a pandas DataFrame to Parquet atomically (no index column)."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
    return Path(path)


def _fsync_file(path: Path) -> None:
    with contextlib.suppress(OSError), open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def json_ready(obj: Any) -> Any:
    """Plain JSON data: numpy scalars and arrays unwrapped, NaN and infinity as None."""
    if isinstance(obj, Mapping):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [json_ready(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, str | bytes):
        return json_ready(obj.tolist())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, _dt.datetime):
        return obj.isoformat()
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    return str(obj)


# --------------------------------------------------------------------------------------------------
# Output directories


def safe_component(name: str, fallback: str = "scenario") -> str:
    """``name`` reduced to one safe path component: lowercase slug characters only."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", str(name).lower()).strip("-_")
    return slug[:64] or fallback


def short_hash(*parts: str | bytes, length: int = 8) -> str:
    """The first ``length`` hex digits of the SHA-256 of ``parts``."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:length]


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def utc_stamp(when: _dt.datetime | None = None) -> str:
    """``20260101T120000Z``: sortable and safe in file names."""
    return (when or utc_now()).astimezone(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def new_output_dir(
    parent: str | Path, name: str, digest: str, when: _dt.datetime | None = None
) -> Path:
    """Create ``parent/<UTC timestamp>_<name>_<digest>/`` and return it.

    The directory is new: if that name exists, ``-2``, ``-3``, ... is appended (nothing is ever
    overwritten). ``name`` and ``digest`` are reduced to safe characters, and the result is
    checked to lie inside ``parent`` (no ``..``, separators or absolute paths get out).
    """
    root = Path(parent)
    try:
        if root.exists() and not root.is_dir():
            raise OutputPathError(f"{root} exists and is not a directory")
        root.mkdir(parents=True, exist_ok=True)
        resolved_root = root.resolve()
    except OSError as exc:  # a name too long for the file system, no permission, ...
        raise OutputPathError(
            f"{root}: cannot create the directory: {exc.strerror or exc}"
        ) from None
    base = f"{utc_stamp(when)}_{safe_component(name)}_{safe_component(digest, 'run')}"
    for attempt in range(1, 1000):
        candidate = root / (base if attempt == 1 else f"{base}-{attempt}")
        if candidate.resolve().parent != resolved_root:
            raise OutputPathError(f"{candidate} would lie outside {root}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise OutputPathError(f"could not create a new directory under {root} for {base}")


# --------------------------------------------------------------------------------------------------
# Metadata


@functools.cache
def git_commit() -> dict[str, Any] | None:
    """The commit of the source tree coopsim runs from (and whether it has changes), if any."""
    here = Path(__file__).resolve().parent
    try:
        top = _git(here, "rev-parse", "--show-toplevel")
        if top is None or not (here.is_relative_to(Path(top))):
            return None
        commit = _git(here, "rev-parse", "HEAD")
        if commit is None:
            return None
        status = _git(here, "status", "--porcelain", "--untracked-files=no")
    except OSError:
        return None
    return {"commit": commit, "dirty": bool(status)}


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.cache
def package_versions() -> dict[str, str | None]:
    """Versions of coopsim and the packages its results depend on."""
    out: dict[str, str | None] = {}
    for name in ("coopsim", *PACKAGES):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def environment() -> dict[str, Any]:
    """What produced a result: versions, commit, Python and platform."""
    versions = package_versions()
    return {
        "coopsim_version": versions.get("coopsim"),
        "git": git_commit(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": {k: v for k, v in versions.items() if k != "coopsim"},
    }
