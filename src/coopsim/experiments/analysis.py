"""Reading a sweep directory and analysing it: every function returns a pandas DataFrame.

- ``load_design``, ``load_results``, ``load_timeseries``, ``load_spec``: the tables as stored.
- ``point_summary``: per design point and output, n, mean, sd and a 95% interval over replicates.
- ``main_effects``: per parameter value (or quantile bin of a sampled range) and output, the mean
  over all runs with its 95% interval — main-effect plots with bands. ``n`` counts the runs with
  a value (an output can be missing in a run), and intervals are clipped to the output's range.
- ``surface``: mean of one output over two parameters (values or bins) — heatmaps.
  (``main_effects_of`` and ``surface_of`` do the same for runs already read, e.g. by the report.)
- ``sobol_indices`` / ``sobol_second_order``: Sobol' first, total (and second) order indices with
  their confidence half-widths, from SALib on the replicate means of a ``sobol`` design.
- ``morris_indices``: Morris mu, mu*, its confidence half-width and sigma (SALib), from a
  ``morris`` design, on the unit scale of each parameter (comparable across parameters).
- ``analyse``: all of the above that apply, as a dict of DataFrames.

Failed runs (an ``error``) are left out of every statistic. Sensitivity indices need a value at
every design point: where an output is missing at some point (or constant), its indices are NaN
and the ``note`` column says why.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coopsim.experiments.designs import UNIT_PREFIX, salib_problem
from coopsim.experiments.store import SweepStore
from coopsim.runs.stats import bounds, mean_ci
from coopsim.scenario.sweep import Sweep, load_sweep

__all__ = [
    "analyse",
    "levels",
    "load_design",
    "load_results",
    "load_spec",
    "load_timeseries",
    "main_effects",
    "main_effects_of",
    "morris_indices",
    "point_summary",
    "sobol_indices",
    "sobol_second_order",
    "surface",
    "surface_of",
]

LEVEL = 0.95
BINS = 8
RESAMPLES = 500


def load_spec(sweep_dir: str | Path) -> Sweep:
    """The resolved sweep of a sweep directory."""
    return load_sweep(SweepStore(sweep_dir).sweep_file)


def load_design(sweep_dir: str | Path) -> pd.DataFrame:
    """The design table: run_id, point, replicate, seed, parameters (and unit coordinates)."""
    return SweepStore(sweep_dir).read_design()


def load_results(
    sweep_dir: str | Path, outputs: Iterable[str] | None = None, *, failed: bool = True
) -> pd.DataFrame:
    """One row per finished run, by run_id: design columns, outputs and ``error``.

    ``failed=False`` leaves out runs that raised.
    """
    store = SweepStore(sweep_dir)
    columns = None
    if outputs is not None:
        design_cols = [c for c in store.read_design().columns if not c.startswith(UNIT_PREFIX)]
        columns = [*design_cols, *outputs, "error"]
    frame = store.read_results(columns)
    if not failed and "error" in frame:
        frame = frame[frame["error"].isna()].reset_index(drop=True)
    return frame


def load_timeseries(
    sweep_dir: str | Path, columns: Iterable[str] | None = None, *, with_design: bool = True
) -> pd.DataFrame:
    """Kept time series: run_id, step, columns (with point, replicate and parameters)."""
    store = SweepStore(sweep_dir)
    frame = store.read_timeseries(columns)
    if with_design and len(frame):
        design = store.read_design()
        keep = [c for c in design.columns if not c.startswith(UNIT_PREFIX) and c != "seed"]
        frame = frame.merge(design[keep], on="run_id", how="left")
        front = [c for c in keep if c != "run_id"]
        frame = frame[["run_id", *front, *(c for c in frame.columns if c not in keep)]]
    return frame


def _context(sweep_dir: str | Path, outputs: Iterable[str] | None):
    spec = load_spec(sweep_dir)
    names = list(outputs) if outputs is not None else list(spec.outputs)
    unknown = [o for o in names if o not in spec.outputs]
    if unknown:
        raise ValueError(f"not outputs of this sweep: {unknown} (it kept {list(spec.outputs)})")
    results = load_results(sweep_dir, names, failed=False)
    return spec, names, results


# --------------------------------------------------------------------------------------------------
# Means with intervals


def point_summary(
    sweep_dir: str | Path, outputs: Iterable[str] | None = None, level: float = LEVEL
) -> pd.DataFrame:
    """Per point and output: parameters, n, mean, sd, ci_low, ci_high over replicates."""
    spec, names, results = _context(sweep_dir, outputs)
    design = load_design(sweep_dir)
    points = design.drop_duplicates("point")[["point", *spec.names]].set_index("point")
    rows = []
    grouped = dict(tuple(results.groupby("point"))) if len(results) else {}
    for point, values in points.iterrows():
        runs = grouped.get(point)
        for name in names:
            data = runs[name].to_numpy() if runs is not None else np.zeros(0)
            n, mean, sd, low, high = mean_ci(data, level, bounds(name))
            rows.append(
                {
                    "point": int(point),
                    **values.to_dict(),
                    "output": name,
                    "n": n,
                    "mean": mean,
                    "sd": sd,
                    "ci_low": low,
                    "ci_high": high,
                }
            )
    return pd.DataFrame(rows)


def levels(series: pd.Series, bins: int = BINS) -> tuple[pd.Series, pd.Series]:
    """A label and a numeric position for each value of a parameter: the value itself, or its
    quantile bin (when a sampled range has more than ``bins`` values), or a category's place."""
    return _levels(series, bins)


def _levels(series: pd.Series, bins: int) -> tuple[pd.Series, pd.Series]:
    """A label and a numeric position for each value: the value itself, or its quantile bin."""
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    distinct = series.nunique(dropna=True)
    if numeric and distinct > bins:
        cut = pd.qcut(series.astype(float), q=bins, duplicates="drop")
        centre = series.astype(float).groupby(cut, observed=True).transform("mean")
        labels = cut.astype(str)
        return labels, centre
    if numeric:
        return series.astype(str), series.astype(float)
    order = {v: i for i, v in enumerate(pd.unique(series))}
    return series.astype(str), series.map(order).astype(float)


def main_effects(
    sweep_dir: str | Path,
    parameters: Sequence[str] | None = None,
    outputs: Iterable[str] | None = None,
    bins: int = BINS,
    level: float = LEVEL,
) -> pd.DataFrame:
    """Per parameter, value (or quantile bin) and output: runs, n (the runs with a value), mean,
    sd, ci_low, ci_high.

    ``value`` is a label, ``x`` a number to plot against (the value, the mean of a bin, or the
    position of a category). Other parameters vary: this is the marginal (main) effect.
    """
    spec, names, results = _context(sweep_dir, outputs)
    for parameter in parameters or spec.names:
        if parameter not in spec.names:
            raise ValueError(f"{parameter!r} is not a parameter of this sweep ({spec.names})")
    return main_effects_of(results, parameters or spec.names, names, bins, level)


def main_effects_of(
    results: pd.DataFrame,
    parameters: Sequence[str],
    outputs: Sequence[str],
    bins: int = BINS,
    level: float = LEVEL,
) -> pd.DataFrame:
    """``main_effects`` of finished runs already read (one row per run: parameters, outputs)."""
    rows = []
    for parameter in parameters:
        if not len(results):
            continue
        labels, x = _levels(results[parameter], bins)
        frame = pd.DataFrame({"value": labels, "x": x})
        for name in outputs:
            frame["y"] = results[name].to_numpy()
            for (label, position), group in frame.groupby(["value", "x"], sort=False):
                n, mean, sd, low, high = mean_ci(group["y"].to_numpy(), level, bounds(name))
                rows.append(
                    {
                        "parameter": parameter,
                        "value": label,
                        "x": float(position),
                        "output": name,
                        "runs": len(group),
                        "n": n,
                        "mean": mean,
                        "sd": sd,
                        "ci_low": low,
                        "ci_high": high,
                    }
                )
    out = pd.DataFrame(
        rows,
        columns=[
            "parameter",
            "value",
            "x",
            "output",
            "runs",
            "n",
            "mean",
            "sd",
            "ci_low",
            "ci_high",
        ],
    )
    return out.sort_values(["parameter", "output", "x"], kind="stable").reset_index(drop=True)


def surface(sweep_dir: str | Path, x: str, y: str, output: str, bins: int = BINS) -> pd.DataFrame:
    """Mean of ``output`` over two parameters: x_value, y_value, x, y, runs, n (the runs with a
    value), mean, sd.

    ``.pivot(index="y", columns="x", values="mean")`` gives the heatmap's matrix.
    """
    spec, _, results = _context(sweep_dir, [output])
    for name in (x, y):
        if name not in spec.names:
            raise ValueError(f"{name!r} is not a parameter of this sweep ({spec.names})")
    return surface_of(results, x, y, output, bins)


def surface_of(
    results: pd.DataFrame, x: str, y: str, output: str, bins: int = BINS
) -> pd.DataFrame:
    """``surface`` of finished runs already read (one row per run: parameters, outputs)."""
    if not len(results):
        return pd.DataFrame(columns=["x_value", "y_value", "x", "y", "runs", "n", "mean", "sd"])
    x_label, x_pos = _levels(results[x], bins)
    y_label, y_pos = _levels(results[y], bins)
    frame = pd.DataFrame(
        {"x_value": x_label, "y_value": y_label, "x": x_pos, "y": y_pos, "v": results[output]}
    )
    table = (
        frame.groupby(["x_value", "y_value", "x", "y"], sort=False)["v"]
        .agg(runs="size", n="count", mean="mean", sd="std")
        .reset_index()
    )
    return table.sort_values(["y", "x"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Sensitivity indices (SALib)


def _point_means(spec: Sweep, results: pd.DataFrame, name: str) -> tuple[np.ndarray, str]:
    """Replicate means of ``name`` at every point (NaN where none), and a note on gaps."""
    means = results.groupby("point")[name].mean()
    y = means.reindex(range(spec.n_points)).to_numpy(dtype=float)
    missing = int(np.sum(~np.isfinite(y)))
    if missing:
        return y, f"no value at {missing} of {spec.n_points} points"
    if np.nanstd(y) == 0:
        return y, "constant over the design"
    return y, ""


def _quiet(call: Any, *args: Any, **kwargs: Any) -> Any:
    """A SALib call without numpy's warnings on degenerate bootstrap resamples."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return call(*args, **kwargs)


def sobol_indices(
    sweep_dir: str | Path,
    outputs: Iterable[str] | None = None,
    level: float = LEVEL,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """Sobol' indices per output and parameter: S1, S1_conf, ST, ST_conf, note.

    ``*_conf`` is the half-width of the ``level`` bootstrap interval (SALib). Needs a ``sobol``
    design; the output is averaged over replicates at each point first.
    """
    from SALib.analyze import sobol

    spec, names, results = _context(sweep_dir, outputs)
    _require(spec, "sobol")
    problem = salib_problem(spec)
    return _per_parameter(
        spec,
        results,
        names,
        ("S1", "S1_conf", "ST", "ST_conf"),
        lambda y: _quiet(
            sobol.analyze,
            problem,
            y,
            calc_second_order=spec.second_order,
            num_resamples=resamples,
            conf_level=level,
            seed=spec.seed,
        ),
    )


def _per_parameter(
    spec: Sweep,
    results: pd.DataFrame,
    names: Sequence[str],
    keys: Sequence[str],
    analyze: Callable[[np.ndarray], Any],
) -> pd.DataFrame:
    """One row per output and parameter with the ``keys`` of ``analyze(point means)``; NaN
    where an output's point means cannot be analysed (``note`` says why)."""
    rows = []
    for name in names:
        y, note = _point_means(spec, results, name)
        si = dict.fromkeys(keys, [math.nan] * len(spec.names)) if note else analyze(y)
        for j, parameter in enumerate(spec.names):
            rows.append(
                {
                    "output": name,
                    "parameter": parameter,
                    **{k: float(np.asarray(si[k])[j]) for k in keys},
                    "note": note,
                }
            )
    return pd.DataFrame(rows)


def sobol_second_order(
    sweep_dir: str | Path,
    outputs: Iterable[str] | None = None,
    level: float = LEVEL,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """Second-order Sobol' indices: output, parameter_1, parameter_2, S2, S2_conf, note."""
    from SALib.analyze import sobol

    spec, names, results = _context(sweep_dir, outputs)
    _require(spec, "sobol")
    if not spec.second_order:
        raise ValueError("this Sobol design has second_order: false (no second-order indices)")
    problem = salib_problem(spec)
    rows = []
    d = len(spec.names)
    for name in names:
        y, note = _point_means(spec, results, name)
        s2 = conf = np.full((d, d), math.nan)
        if not note:
            si = _quiet(
                sobol.analyze,
                problem,
                y,
                calc_second_order=True,
                num_resamples=resamples,
                conf_level=level,
                seed=spec.seed,
            )
            s2, conf = np.asarray(si["S2"]), np.asarray(si["S2_conf"])
        for i in range(d):
            for j in range(i + 1, d):
                rows.append(
                    {
                        "output": name,
                        "parameter_1": spec.names[i],
                        "parameter_2": spec.names[j],
                        "S2": float(s2[i, j]),
                        "S2_conf": float(conf[i, j]),
                        "note": note,
                    }
                )
    return pd.DataFrame(rows)


def morris_indices(
    sweep_dir: str | Path,
    outputs: Iterable[str] | None = None,
    level: float = LEVEL,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """Morris elementary effects per output and parameter: mu, mu_star, mu_star_conf, sigma.

    Effects are per unit of each parameter's normalised range (0..1), so they compare across
    parameters; ``mu_star_conf`` is the bootstrap half-width at ``level``.
    """
    from SALib.analyze import morris

    spec, names, results = _context(sweep_dir, outputs)
    _require(spec, "morris")
    design = load_design(sweep_dir).drop_duplicates("point").sort_values("point")
    x = design[[UNIT_PREFIX + p for p in spec.names]].to_numpy(dtype=float)
    problem = salib_problem(spec)
    return _per_parameter(
        spec,
        results,
        names,
        ("mu", "mu_star", "mu_star_conf", "sigma"),
        lambda y: _quiet(
            morris.analyze,
            problem,
            x,
            y,
            num_resamples=resamples,
            conf_level=level,
            num_levels=spec.levels,
            seed=spec.seed,
        ),
    )


def _require(spec: Sweep, design: str) -> None:
    if spec.design != design:
        raise ValueError(f"{design} indices need a {design} design (this sweep is {spec.design})")


def analyse(sweep_dir: str | Path, outputs: Iterable[str] | None = None) -> dict[str, Any]:
    """Everything that applies to this sweep, as DataFrames keyed by name.

    Always: ``design``, ``results``, ``errors``, ``points`` (point_summary), ``main_effects``;
    a sobol design adds ``sobol`` (and ``sobol_second_order``), a morris design ``morris``.
    """
    spec = load_spec(sweep_dir)
    names = list(outputs) if outputs is not None else list(spec.outputs)
    results = load_results(sweep_dir)
    out: dict[str, Any] = {
        "design": load_design(sweep_dir),
        "results": results,
        "errors": results[results["error"].notna()].reset_index(drop=True)
        if "error" in results
        else results.head(0),
        "points": point_summary(sweep_dir, names),
        "main_effects": main_effects(sweep_dir, outputs=names),
    }
    if spec.design == "sobol":
        out["sobol"] = sobol_indices(sweep_dir, names)
        if spec.second_order:
            out["sobol_second_order"] = sobol_second_order(sweep_dir, names)
    if spec.design == "morris":
        out["morris"] = morris_indices(sweep_dir, names)
    return out
