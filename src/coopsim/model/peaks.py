"""Peak organisations' discipline (pool punishment, Sigmund et al. 2010, *Nature* 466): under
an information rule that the peaks pay for, each sector's peak keeps a pool. Its members in
partnerships pay dues into it every month; it pays for monitoring them and for sanctioning
them, and the fines it levies go back into it. A peak short of money monitors less. Nothing is
created or lost: pool after = pool before + dues + fines − costs paid (an invariant).

A member that leaves a peak-negotiated partnership before its term ends breaks ranks: its peak
expels it for a term (``governance.contract_term``), and it is an outsider until then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState


def collect_dues(model: CoopModel, s: StepState, coverage: np.ndarray) -> None:
    """Dues in (per insider row, ``s.dues``): what each pool lacks for this month's planned
    monitoring of its members, shared equally and at most ``incentives.peak_dues`` a row; and
    each peak's monitoring strength: what its pool can pay of that plan."""
    orgs, n_sectors = model.orgs, len(model.peak_pool)
    insider = orgs.peak_member[s.org]
    sector = orgs.sector[s.org]
    planned = model.config.costs.monitoring * np.bincount(
        sector, weights=np.where(insider, coverage, 0.0), minlength=n_sectors
    )
    lacking = np.maximum(planned - model.peak_pool, 0.0)
    members = np.bincount(sector, weights=insider, minlength=n_sectors)
    each = np.minimum(lacking / np.maximum(members, 1), model.config.incentives.peak_dues)
    s.dues = np.where(insider, each[sector], 0.0)
    model.peak_pool += np.bincount(sector, weights=s.dues, minlength=n_sectors)
    model.peak_strength = np.where(
        planned > 0, np.minimum(1.0, model.peak_pool / np.where(planned > 0, planned, 1.0)), 1.0
    )
    s.peak_dues = float(s.dues.sum())


def pay_and_fine(model: CoopModel, s: StepState, per_row_cost: np.ndarray) -> np.ndarray:
    """Each pool pays what it can of its insiders' monitoring and enforcement costs and takes
    in their fines; returns the costs per row left for the partnership to owe."""
    orgs, n_sectors = model.orgs, len(model.peak_pool)
    insider = orgs.peak_member[s.org]
    sector = orgs.sector[s.org]
    due = np.bincount(sector, weights=np.where(insider, per_row_cost, 0.0), minlength=n_sectors)
    paid = np.minimum(model.peak_pool, due)
    share = np.where(due > 0, paid / np.where(due > 0, due, 1.0), 0.0)
    model.peak_pool -= paid
    fines = np.where(insider, s.sanction, 0.0)
    model.peak_pool += np.bincount(sector, weights=fines, minlength=n_sectors)
    s.peak_costs, s.peak_fines = float(paid.sum()), float(fines.sum())
    s.peak_pool_after = float(model.peak_pool.sum())
    return np.where(insider, per_row_cost * (1.0 - share[sector]), per_row_cost)


def expel(model: CoopModel, state: StepState, leavers: np.ndarray) -> None:
    """Insiders (not the peaks themselves) who left by choice are outsiders for a term."""
    orgs = model.orgs
    org = state.org[leavers]
    org = org[orgs.peak_member[org] & ~np.isin(org, orgs.peak)]
    orgs.peak_member[org] = False
    orgs.expelled_until[org] = state.t + model.config.governance.contract_term
    state.peak_expulsions = len(np.unique(org))


def readmit(model: CoopModel, t: int) -> None:
    """Expelled organisations whose term is over rejoin their peak."""
    orgs = model.orgs
    back = (orgs.expelled_until >= 0) & (orgs.expelled_until <= t)
    orgs.peak_member[back] = True
    orgs.expelled_until[back] = -1
