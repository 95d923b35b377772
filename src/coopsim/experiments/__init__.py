"""Parameter sweeps: designs, execution (local processes or Dask), storage, resume and analysis.

A sweep is data (``coopsim.scenario.sweep``); this package turns it into runs and back into
tables::

    from coopsim.experiments import analyse, run_sweep

    path = run_sweep("experiments/sweeps/turnover_handover.yaml", workers=4)
    tables = analyse(path)          # dict of DataFrames: points, main_effects, sobol, ...

    run_sweep("sweep.yaml", executor="dask")                       # a Dask LocalCluster
    run_sweep("sweep.yaml", scheduler="tcp://10.0.0.5:8786")       # an existing cluster
    run_sweep(None, resume="sweeps/20260101T120000Z_turnover_ab12cd34")  # only what is missing

A decomposition by rule slot (``decompose``) is a sweep over every composition of two modes'
rules, with Shapley values of the slots: ``coopsim.experiments.decomposition``.
"""

from coopsim.executors import ExecutorUnavailable
from coopsim.experiments.analysis import (
    analyse,
    load_design,
    load_results,
    load_spec,
    load_timeseries,
    main_effects,
    morris_indices,
    point_summary,
    sobol_indices,
    sobol_second_order,
    surface,
)
from coopsim.experiments.decomposition import (
    Decomposition,
    DecompositionError,
    decompose,
    load_decomposition,
)
from coopsim.experiments.designs import design_table
from coopsim.experiments.runner import SweepInterrupted, run_sweep, sweep_digest
from coopsim.experiments.store import DirectoryBusy

__all__ = [
    "Decomposition",
    "DecompositionError",
    "DirectoryBusy",
    "ExecutorUnavailable",
    "SweepInterrupted",
    "analyse",
    "decompose",
    "design_table",
    "load_decomposition",
    "load_design",
    "load_results",
    "load_spec",
    "load_timeseries",
    "main_effects",
    "morris_indices",
    "point_summary",
    "run_sweep",
    "sobol_indices",
    "sobol_second_order",
    "surface",
    "sweep_digest",
]
