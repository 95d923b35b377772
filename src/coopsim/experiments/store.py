"""The sweep directory: design table, results as atomically written Parquet parts, resume state.

```
sweeps/<UTC timestamp>_<name>_<short hash>/
  sweep.yaml                 the resolved sweep (base scenario inline): re-loadable as it is
  design.parquet             run_id, point, replicate, seed, parameters (unit:<path> coordinates)
  results/part-SSS-NNNNNN.parquet    one row per finished run: design columns, outputs, error
  timeseries/part-SSS-NNNNNN.parquet run_id, step and the kept columns (when asked)
  metadata.json              status, counts, sessions (executor, workers, times), versions
  sweep.lock                 held (flock) by the process writing here; a second writer is refused
```
Every file is written to a temporary name and renamed into place, so a part is whole or absent.
A results part is the commit point of its runs: its time-series part is written first, and a
time-series part without its results part (the process was killed between the two) is removed
on resume. ``SSS`` counts sessions (the first run and each resume), ``NNNNNN`` parts within one.
On resume a part that cannot be read, or whose finished runs' time series are missing or
unreadable, is renamed ``*.damaged`` (listed under ``set_aside`` in metadata.json) and its runs
run again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from coopsim import io

__all__ = ["SweepStore"]

PART_RE = re.compile(r"^part-(\d{3,})-(\d{6,})\.parquet$")


class DirectoryBusy(RuntimeError):
    """Another process is writing to this sweep directory."""

    def __init__(self, path: Path):
        super().__init__(
            f"{path}: another coopsim process is writing to this sweep directory (a sweep or a "
            "resume of it is running): wait for it to end, or stop it, then resume"
        )


class SweepStore:
    """Reads and writes one sweep directory."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.results_dir = self.path / "results"
        self.timeseries_dir = self.path / "timeseries"

    # ---- files ----------------------------------------------------------------------------------
    @property
    def sweep_file(self) -> Path:
        return self.path / "sweep.yaml"

    @property
    def design_file(self) -> Path:
        return self.path / "design.parquet"

    @property
    def metadata_file(self) -> Path:
        return self.path / "metadata.json"

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the directory's lock while this process writes to it: a second writer (another
        sweep or resume of the same directory) is refused instead of overwriting parts. An
        advisory ``flock`` on ``sweep.lock``; the system drops it when the process ends, however."""
        with open(self.path / "sweep.lock", "a", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DirectoryBusy(self.path) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def prepare(self) -> None:
        self.results_dir.mkdir(exist_ok=True)
        self.timeseries_dir.mkdir(exist_ok=True)

    def write_design(self, design: pd.DataFrame) -> None:
        io.write_parquet(self.design_file, design)

    def read_design(self) -> pd.DataFrame:
        return pd.read_parquet(self.design_file)

    def read_metadata(self) -> dict[str, Any]:
        try:
            return json.loads(self.metadata_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def write_metadata(self, meta: dict[str, Any]) -> None:
        io.atomic_write_json(self.metadata_file, meta)

    # ---- parts ----------------------------------------------------------------------------------
    def parts(self, folder: Path | None = None) -> list[Path]:
        """Finished parts, in the order they were written."""
        folder = folder or self.results_dir
        if not folder.is_dir():
            return []
        found = []
        for p in folder.iterdir():
            match = PART_RE.match(p.name)
            if match:
                found.append(((int(match.group(1)), int(match.group(2))), p))
        return [p for _, p in sorted(found)]

    def next_session(self) -> int:
        sessions = []
        for p in self.parts():
            match = PART_RE.match(p.name)
            if match:
                sessions.append(int(match.group(1)))
        recorded = len(self.read_metadata().get("sessions", []))
        return max([recorded, *(s + 1 for s in sessions)])

    def tidy(self) -> list[Path]:
        """Remove what a killed process left: temporary files and time series without results."""
        removed = []
        for folder in (self.results_dir, self.timeseries_dir, self.path):
            if not folder.is_dir():
                continue
            for p in folder.iterdir():
                if p.name.startswith(".") and p.name.endswith(".tmp"):
                    with contextlib.suppress(OSError):
                        p.unlink()
                        removed.append(p)
        committed = {p.name for p in self.parts()}
        for p in self.parts(self.timeseries_dir):
            if p.name not in committed:
                with contextlib.suppress(OSError):
                    p.unlink()
                    removed.append(p)
        return removed

    def set_aside_damaged(self, with_timeseries: bool) -> list[str]:
        """Rename (``*.damaged``) every results part that cannot be read, or whose finished runs'
        time series (when the sweep keeps them) are missing or unreadable, with its time-series
        part: their runs count as not done and run again. Returns the parts' names."""
        damaged = []
        for part in self.parts():
            series = self.timeseries_dir / part.name
            try:
                table = pq.read_table(part)
                finished = pc.sum(pc.is_null(table.column("error"))).as_py() or 0
                if with_timeseries and finished:
                    pq.read_table(series)  # missing or truncated: raises
            except (OSError, ValueError, KeyError, pa.ArrowException):
                damaged.append(part.name)
                for p in (part, series):
                    if p.exists():
                        p.rename(p.with_name(p.name + ".damaged"))
        return damaged

    def write_part(
        self, name: str, results: pa.Table, timeseries: pd.DataFrame | None = None
    ) -> Path:
        """Write one part atomically (its time series first: the results part commits)."""
        if timeseries is not None and len(timeseries):
            with io.atomic_path(self.timeseries_dir / name) as tmp:
                timeseries.to_parquet(tmp, index=False)
        target = self.results_dir / name
        with io.atomic_path(target) as tmp:
            pq.write_table(results, tmp)
        return target

    def done_ids(self) -> np.ndarray:
        """run_ids that have a row in some results part (finished or failed), sorted, unique."""
        ids = [pq.read_table(p, columns=["run_id"]).column(0).to_numpy() for p in self.parts()]
        return np.unique(np.concatenate(ids)) if ids else np.zeros(0, dtype=np.int64)

    def read_results(self, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """All result rows, one per run (the first written if a run appears twice), by run_id."""
        cols = list(columns) if columns is not None else None
        if cols is not None and "run_id" not in cols:
            cols = ["run_id", *cols]
        tables = [pq.read_table(p, columns=cols) for p in self.parts()]
        if not tables:
            return pd.DataFrame(columns=cols or ["run_id"])
        frame = pa.concat_tables(tables, promote_options="default").to_pandas()
        frame = frame.drop_duplicates("run_id", keep="first")
        return frame.sort_values("run_id", kind="stable").reset_index(drop=True)

    def read_timeseries(self, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """The kept time series of finished runs: run_id, step and columns, by run and step."""
        committed = {p.name for p in self.parts()}
        cols = list(columns) if columns is not None else None
        if cols is not None:
            cols = ["run_id", "step", *(c for c in cols if c not in ("run_id", "step"))]
        tables = [
            pq.read_table(p, columns=cols)
            for p in self.parts(self.timeseries_dir)
            if p.name in committed
        ]
        if not tables:
            return pd.DataFrame(columns=cols or ["run_id", "step"])
        frame = pa.concat_tables(tables, promote_options="default").to_pandas()
        frame = frame.drop_duplicates(["run_id", "step"], keep="first")
        return frame.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True)
