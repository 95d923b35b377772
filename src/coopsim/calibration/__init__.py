"""Calibration of coopsim against empirical targets: ABC-SMC (pyabc) on coopsim's executors.

A calibration file (``coopsim.scenario.calibration``) names priors over scenario parameters and
targets (outputs of the registry or statistics of ``coopsim.statistics``, each with an observed
value and its source); ``run_calibration`` runs ABC-SMC into a calibration directory that holds
the posterior, credible intervals, the best parameter sets as a scenario, and a posterior
predictive check of every target::

    from coopsim.calibration import run_calibration

    path = run_calibration("experiments/calibration/alliances.yaml", workers=2)
    run_calibration(None, resume=path)          # after a kill: from the last generation

Needs the optional extra ``coopsim[calibrate]`` (pyabc).
"""

from coopsim.calibration.runner import (
    CalibrationInterrupted,
    DirectoryBusy,
    calibration_digest,
    run_calibration,
)

__all__ = ["CalibrationInterrupted", "DirectoryBusy", "calibration_digest", "run_calibration"]
