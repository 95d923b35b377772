"""Endings are recorded (issue 19, finding 4): a failure while writing the tables (here a full
disk, ENOSPC) leaves metadata.json saying ``failed`` and why, never ``running``."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from coopsim import io
from coopsim.runs.compare import compare_modes
from coopsim.runs.run import run_scenario
from coopsim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _ending(out: Path) -> dict:
    (directory,) = out.iterdir()
    return json.loads((directory / "metadata.json").read_text())


def _small():
    return load_scenario(REPO / "scenarios" / "baseline.yaml").replace(steps=4)


def test_a_run_whose_tables_cannot_be_written_says_failed(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "write_parquet", _disk_full)
    with pytest.raises(OSError) as caught:
        run_scenario(_small(), tmp_path)
    assert caught.value.errno == errno.ENOSPC
    meta = _ending(tmp_path)
    assert meta["status"] == "failed"
    assert meta["error"] == "writing the tables: OSError: [Errno 28] No space left on device"
    assert meta["finished_utc"]


def test_a_comparison_whose_tables_cannot_be_written_says_failed(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "write_parquet", _disk_full)
    with pytest.raises(OSError):
        compare_modes(_small(), ["statism", "governance"], 1, tmp_path, workers=1)
    meta = _ending(tmp_path)
    assert meta["status"] == "failed" and "No space left on device" in meta["error"]
