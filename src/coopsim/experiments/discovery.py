"""Scenario discovery on a finished sweep: where in parameter space does an outcome fail?

Each finished run is a case; it is *of interest* when its outcome lies below (or above) a
threshold. PRIM (the Patient Rule Induction Method of Friedman & Fisher, as Bryant & Lempert
2010 use it for scenario discovery) peels the parameter space down to boxes that hold many of
those cases (coverage: the share of all cases of interest inside the box) and few others
(density: the share of the box's cases that are of interest); CART (a classification tree)
splits it into leaves. Both come from the EMA Workbench (``ema_workbench.analysis``); coopsim only
prepares the cases and reads the boxes back as tables::

    from coopsim.experiments.discovery import discover, write_discovery

    found = discover("sweeps/…_modes", "sustainability_index", below=0.3)
    found.boxes      # box, coverage, density, mass, restricted parameters
    found.limits     # box, parameter, low, high (or the values kept of a list parameter)
    write_discovery("sweeps/…_modes", found)   # tables and figures under discovery/

The PRIM box of each step is the point of its peeling trajectory with the largest coverage among
those of density at least ``threshold`` (the densest point if none reaches it); further boxes are
sought in the cases left outside, up to ``max_boxes``, while a box is denser than the share of
cases of interest overall.
"""

from __future__ import annotations

import contextlib
import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coopsim import io

__all__ = [
    "METHODS",
    "Discovery",
    "discover",
    "discover_cases",
    "discovery_folder",
    "write_discovery",
]

METHODS = ("prim", "cart")
THRESHOLD = 0.8
PEEL_ALPHA = 0.05
MASS_MIN = 0.05
MAX_BOXES = 3


@contextlib.contextmanager
def _ema() -> Iterator[Any]:
    """The EMA Workbench's analysis modules, with what they change left as it was: importing it
    warns when ipyparallel is missing and adds warning filters (statsmodels), and its calls use
    pandas features that pandas 3 deprecates. Its warnings are silenced only inside this block."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"ema_workbench")
        warnings.filterwarnings("ignore", message=r"ipyparallel not installed")
        try:
            from ema_workbench.analysis import cart, prim
        except ImportError:
            raise ImportError(
                'scenario discovery needs the EMA Workbench: pip install "coopsim[calibrate]"'
            ) from None
        yield prim, cart


@dataclass
class Discovery:
    """What scenario discovery found in one sweep for one outcome."""

    outcome: str
    relation: str  # "below" or "above"
    threshold: float
    method: str
    parameters: list[str]
    cases: int  # finished runs with a value of the outcome
    of_interest: int
    boxes: pd.DataFrame
    limits: pd.DataFrame
    trajectory: pd.DataFrame | None = None  # PRIM: the peeling trajectory of every box
    left_out: int = 0  # runs without a value of the outcome
    notes: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.of_interest / self.cases if self.cases else math.nan

    def describe(self) -> str:
        return f"{self.outcome} {self.relation} {self.threshold:g}"


def _cases(sweep_dir: str | Path, outcome: str) -> tuple[pd.DataFrame, pd.Series, list[str], int]:
    from coopsim.experiments.analysis import load_results, load_spec

    spec = load_spec(sweep_dir)
    if outcome not in spec.outputs:
        from coopsim.model import outputs

        close = outputs.suggest(outcome, spec.outputs)
        hint = f"did you mean {close!r}? " if close else ""
        raise ValueError(
            f"{outcome!r} is not an output this sweep kept: {hint}it kept "
            + ", ".join(spec.outputs)
        )
    results = load_results(sweep_dir, [outcome], failed=False)
    values = pd.to_numeric(results[outcome], errors="coerce")
    known = values.notna()
    x = results.loc[known, spec.names].reset_index(drop=True)
    for column in x.columns:
        kind = x[column].dtype
        if (
            pd.api.types.is_object_dtype(kind)
            or pd.api.types.is_string_dtype(kind)
            or pd.api.types.is_bool_dtype(kind)
        ):
            x[column] = x[column].astype(str).astype("category")
        elif pd.api.types.is_integer_dtype(x[column]):
            x[column] = x[column].astype("int64")
        else:
            x[column] = x[column].astype("float64")
    return x, values[known].reset_index(drop=True), spec.names, int((~known).sum())


def discover(
    sweep_dir: str | Path,
    outcome: str,
    *,
    below: float | None = None,
    above: float | None = None,
    method: str = "prim",
    threshold: float = THRESHOLD,
    peel_alpha: float = PEEL_ALPHA,
    mass_min: float = MASS_MIN,
    max_boxes: int = MAX_BOXES,
) -> Discovery:
    """Boxes of parameter space where ``outcome`` is below ``below`` (or above ``above``)."""
    if (below is None) == (above is None):
        raise ValueError("give one of below= or above=")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: choose prim or cart")
    x, values, _, left_out = _cases(sweep_dir, outcome)
    return discover_cases(
        x,
        values,
        outcome,
        below=below,
        above=above,
        method=method,
        threshold=threshold,
        peel_alpha=peel_alpha,
        mass_min=mass_min,
        max_boxes=max_boxes,
        left_out=left_out,
    )


def discover_cases(
    x: pd.DataFrame,
    values: pd.Series,
    outcome: str,
    *,
    below: float | None = None,
    above: float | None = None,
    method: str = "prim",
    threshold: float = THRESHOLD,
    peel_alpha: float = PEEL_ALPHA,
    mass_min: float = MASS_MIN,
    max_boxes: int = MAX_BOXES,
    left_out: int = 0,
) -> Discovery:
    """``discover`` on cases given as a table: ``x`` one column per parameter (numbers, or
    categories), ``values`` the outcome of each case (in the same order, no missing values).
    For outcomes a sweep did not keep, e.g. a paired contrast between two sweeps on one design."""
    if (below is None) == (above is None):
        raise ValueError("give one of below= or above=")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: choose prim or cart")
    x = x.reset_index(drop=True)
    values = pd.Series(values).reset_index(drop=True)
    names = list(x.columns)
    relation, cut = ("below", below) if below is not None else ("above", above)
    assert cut is not None
    y = (values < cut if relation == "below" else values > cut).to_numpy()
    found = Discovery(
        outcome, relation, float(cut), method, names, len(y), int(y.sum()),
        pd.DataFrame(), pd.DataFrame(), left_out=left_out,
    )  # fmt: skip
    if left_out:
        found.notes.append(f"{left_out} runs have no value of {outcome} and are left out.")
    if len(y) < 10:
        found.notes.append(f"only {len(y)} runs: too few to find boxes.")
        return found
    if y.all() or not y.any():
        found.notes.append(
            f"{'every' if y.all() else 'no'} run has {outcome} {relation} {cut:g}: there is no "
            "region to find."
        )
        return found
    with _ema() as (prim, cart):
        if method == "prim":
            _prim(prim, x, y, found, threshold, peel_alpha, mass_min, max_boxes)
        else:
            _cart(cart, x, y, found, mass_min)
    return found


def _restricted(box: pd.DataFrame, full: pd.DataFrame, x: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per parameter the box restricts: its limits (numbers) or kept values (lists)."""
    rows = []
    for column in x.columns:
        if column not in box.columns:
            continue
        low, high = box[column].iloc[0], box[column].iloc[1]
        full_low, full_high = full[column].iloc[0], full[column].iloc[1]
        if isinstance(low, set):
            if set(low) == set(full_low):
                continue
            rows.append({"parameter": column, "values": ", ".join(sorted(map(str, low)))})
            continue
        if low <= full_low and high >= full_high:
            continue
        rows.append(
            {
                "parameter": column,
                "low": float(low) if low > full_low else math.nan,
                "high": float(high) if high < full_high else math.nan,
                "range_low": float(full_low),
                "range_high": float(full_high),
            }
        )
    return rows


def _prim(prim, x, y, found: Discovery, threshold, peel_alpha, mass_min, max_boxes) -> None:
    model = prim.Prim(x, y, peel_alpha=peel_alpha, mass_min=mass_min)
    full = model.box_init
    boxes, limits, trajectories = [], [], []
    for number in range(1, max_boxes + 1):
        box = model.find_box()
        if box is None:
            break
        trajectory = box.peeling_trajectory
        dense = trajectory[trajectory["density"] >= threshold]
        chosen = (
            int(dense.sort_values(["coverage", "density"]).index[-1])
            if len(dense)
            else int(trajectory["density"].idxmax())
        )
        box.select(chosen)
        part = trajectory.assign(box=number, chosen=trajectory.index == chosen)
        trajectories.append(part)
        if box.density <= found.share:
            found.notes.append(
                f"no box {number}: the next box is no denser than the share of cases overall."
            )
            break
        restricted = _restricted(box.box_lim, full, x)
        boxes.append(
            {
                "box": number,
                "coverage": float(box.coverage),
                "density": float(box.density),
                "mass": float(box.mass),
                "cases": round(box.mass * len(y)),
                "restricted": ", ".join(r["parameter"] for r in restricted),
                "step": chosen,
            }
        )
        limits += [{"box": number, **r} for r in restricted]
        if float(box.density) < threshold:
            found.notes.append(
                f"box {number} reaches a density of {box.density:.2f} only (threshold "
                f"{threshold:g}): its densest point is shown."
            )
    found.boxes = pd.DataFrame(boxes)
    found.limits = pd.DataFrame(limits)
    found.trajectory = pd.concat(trajectories, ignore_index=True) if trajectories else None


def _cart(cart, x, y, found: Discovery, mass_min) -> None:
    tree = cart.CART(x, y, mass_min=mass_min)
    tree.build_tree()
    from ema_workbench.analysis import scenario_discovery_util as sdutil

    full = sdutil._make_box(x)
    rows, limits = [], []
    for number, (lims, stats) in enumerate(zip(tree.boxes, tree.stats, strict=True), 1):
        restricted = _restricted(lims, full, x)
        density = float(stats.get("density", math.nan))
        rows.append(
            {
                "box": number,
                "coverage": float(stats.get("coverage", math.nan)),
                "density": density,
                "mass": float(stats.get("mass", math.nan)),
                "cases": round(float(stats.get("mass", 0.0)) * len(y)),
                "restricted": ", ".join(r["parameter"] for r in restricted),
            }
        )
        limits += [{"box": number, **r} for r in restricted]
    table = pd.DataFrame(rows)
    if len(table):
        table = table.sort_values(["density", "coverage"], ascending=False)
        keep = table[table["density"] > 0.5]["box"].tolist()
        found.notes.append(
            f"CART's tree gives {len(table)} boxes (the EMA Workbench's CART.boxes), densest "
            f"first; in {len(keep)} of them most runs are cases of interest (density above 0.5)."
        )
    found.boxes = table.reset_index(drop=True)
    found.limits = pd.DataFrame(limits)


# --------------------------------------------------------------------------------------------------
# Writing


def discovery_folder(found: Discovery) -> str:
    cut = re.sub(r"[^0-9a-z.-]+", "_", f"{found.threshold:g}")
    return f"{found.outcome}_{found.relation}_{cut}_{found.method}"


def write_discovery(sweep_dir: str | Path, found: Discovery) -> Path:
    """Tables (CSV and Parquet) and figures of ``found`` under ``SWEEP_DIR/discovery/…``."""
    from coopsim.report.discovery import plot_box_limits, plot_tradeoff
    from coopsim.report.style import save_figure

    folder = Path(sweep_dir) / "discovery" / discovery_folder(found)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("boxes", "limits"):
        frame = getattr(found, name)
        io.write_parquet(folder / f"{name}.parquet", frame)
        io.atomic_write_text(folder / f"{name}.csv", frame.to_csv(index=False))
    if found.trajectory is not None:
        io.write_parquet(folder / "trajectory.parquet", found.trajectory)
        save_figure(plot_tradeoff(found), folder, "tradeoff", ["png", "svg"])
    if len(found.boxes):
        save_figure(plot_box_limits(found), folder, "box_limits", ["png", "svg"])
    io.atomic_write_json(
        folder / "discovery.json",
        {
            "outcome": found.outcome,
            "relation": found.relation,
            "threshold": found.threshold,
            "method": found.method,
            "cases": found.cases,
            "of_interest": found.of_interest,
            "left_out": found.left_out,
            "notes": found.notes,
        },
    )
    return folder


def as_table(found: Discovery) -> list[list[str]]:
    """The boxes with their limits, one row per box (for the terminal and reports)."""
    rows = []
    for box in found.boxes.to_dict("records"):
        parts = []
        lim = found.limits[found.limits["box"] == box["box"]] if len(found.limits) else []
        for r in lim.to_dict("records") if len(lim) else []:
            if isinstance(r.get("values"), str):
                parts.append(f"{r['parameter']} ∈ {{{r['values']}}}")
                continue
            low, high = r.get("low"), r.get("high")
            if not _missing(low) and not _missing(high):
                parts.append(f"{_num(low)} ≤ {r['parameter']} ≤ {_num(high)}")
            elif not _missing(low):
                parts.append(f"{r['parameter']} ≥ {_num(low)}")
            elif not _missing(high):
                parts.append(f"{r['parameter']} ≤ {_num(high)}")
        rows.append(
            [
                str(box["box"]),
                f"{box['coverage']:.2f}",
                f"{box['density']:.2f}",
                f"{box['mass']:.2f}",
                "; ".join(parts) or "(no restriction)",
            ]
        )
    return rows


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _num(value: float) -> str:
    return f"{value:.3g}" if isinstance(value, float) and not np.isnan(value) else str(value)
