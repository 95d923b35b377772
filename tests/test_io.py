"""Atomic writes, output directories that never overwrite or escape, JSON that stays JSON."""

from __future__ import annotations

import datetime as dt
import json
import math
import os

import numpy as np
import pandas as pd
import pytest

from coopsim import io


def test_atomic_write_replaces_whole_files_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "a.json"
    io.atomic_write_json(target, {"x": 1})
    io.atomic_write_json(target, {"x": 2, "nan": math.nan, "arr": np.arange(3)})
    assert json.loads(target.read_text()) == {"x": 2, "nan": None, "arr": [0, 1, 2]}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "table.parquet"
    io.write_parquet(target, pd.DataFrame({"a": [1, 2]}))
    before = target.read_bytes()
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_bytes(b"half a file")
        raise RuntimeError("disk full")
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["table.parquet"]
    with pytest.raises(TypeError):
        io.atomic_write_json(target, {"bad": object.__new__(type("X", (), {"tolist": 1}))})
    assert target.read_bytes() == before


def test_json_ready_unwraps_numpy_and_drops_non_finite():
    data = {
        "i": np.int64(3),
        "f": np.float32(0.5),
        "inf": -math.inf,
        "t": (1, 2),
        "when": dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    }
    assert io.json_ready(data) == {
        "i": 3,
        "f": 0.5,
        "inf": None,
        "t": [1, 2],
        "when": "2020-01-01T00:00:00+00:00",
    }


@pytest.mark.parametrize(
    "name",
    ["../../etc", "/etc/passwd", "a/b", "..", ".", "", "a\\b", "C:\\x", "ünïcode", "x" * 300],
)
def test_output_dirs_stay_inside_the_parent(tmp_path, name):
    parent = tmp_path / "runs"
    path = io.new_output_dir(parent, name, "abc123")
    assert path.parent == parent
    assert path.resolve().parent == parent.resolve()
    assert "/" not in path.name and ".." not in path.name
    assert path.is_dir()


def test_output_dirs_are_never_reused(tmp_path):
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    first = io.new_output_dir(tmp_path, "kobe-1995", "deadbeef", when)
    (first / "keep.txt").write_text("mine")
    second = io.new_output_dir(tmp_path, "kobe-1995", "deadbeef", when)
    assert first.name == "20260102T030405Z_kobe-1995_deadbeef"
    assert second.name == "20260102T030405Z_kobe-1995_deadbeef-2"
    assert (first / "keep.txt").read_text() == "mine"
    assert not any(second.iterdir())


def test_output_parent_must_be_a_directory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(io.OutputPathError):
        io.new_output_dir(blocker, "a", "b")


def test_safe_component_and_hash():
    assert io.safe_component("Kobe 1995/../x") == "kobe-1995-x"
    assert io.safe_component("...") == "scenario"
    assert len(io.short_hash("a", b"b")) == 8
    assert io.short_hash("a", "b") != io.short_hash("ab")


def test_environment_names_versions():
    env = io.environment()
    assert env["coopsim_version"]
    assert env["packages"]["mesa"].startswith("3.")
    assert env["python"].startswith("3.")


def test_atomic_write_is_a_rename(tmp_path, monkeypatch):
    calls = []
    real = os.replace

    def spy(src, dst):
        calls.append((os.path.basename(src), os.path.basename(dst)))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    io.atomic_write_text(tmp_path / "x.txt", "hello")
    assert len(calls) == 1 and calls[0][1] == "x.txt" and calls[0][0].endswith(".tmp")
