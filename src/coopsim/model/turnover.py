"""Staff turnover: liaisons leave, and a successor trusts only as far as the tie was
institutionalised (the handover, docs/ODD.md §7.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coopsim.model import trust

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState


def staff_turnover(model: CoopModel, state: StepState) -> None:
    """Phase: each organisation's liaison leaves with the turnover rate (drawn for everyone)."""
    leaving = model.streams.turnover.random(model.orgs.n) < model.config.turnover.rate
    replace_liaisons(model, leaving)


def replace_liaisons(model: CoopModel, leaving: np.ndarray) -> None:
    """Liaisons leave: the personal trust they carried is replaced by the handover."""
    idx = np.flatnonzero(leaving)
    if not len(idx):
        return
    rel = model.relationships
    rows = rel.involving(idx)
    p = model.config
    rel.personal[rows] = trust.handover(
        rel.institutional[rows], p.turnover.handover, p.trust.initial_personal
    )
    model.orgs.liaison_tenure[idx] = 0
    model.orgs.liaison_changes[idx] += 1


def serve(model: CoopModel, state: StepState) -> None:
    """Phase: every liaison serves another month."""
    model.orgs.liaison_tenure += 1
