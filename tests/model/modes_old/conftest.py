"""Shared helpers for the governance-mode tests: a populated model and hand-made rounds."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from coopsim.model import CoopModel
from coopsim.model.modes import Round

RoundMaker = Callable[..., Round]


def build_round(
    model: CoopModel,
    organisation,
    observed,
    partnership=None,
    committed=1.0,
    monitor_draw=None,
) -> Round:
    """A round of delivery as the model would hand it to a mode (observed = delivered share)."""
    org = np.asarray(organisation, dtype=np.int64)
    k = len(org)
    part = np.zeros(k, dtype=np.int64) if partnership is None else np.asarray(partnership)
    observed = np.asarray(observed, dtype=float)
    committed = np.broadcast_to(np.asarray(committed, dtype=float), (k,)).copy()
    draw = np.zeros(k) if monitor_draw is None else np.asarray(monitor_draw, dtype=float)
    return Round(
        rows=np.arange(k),
        organisation=org,
        partnership=part,
        ids=np.arange(int(part.max()) + 1 if k else 0),
        committed=committed,
        delivered=committed * observed,
        observed=observed,
        shortfall=observed < model.config.trust.defection_threshold,
        monitor_draw=draw,
    )


@pytest.fixture
def make_round() -> RoundMaker:
    return build_round


@pytest.fixture
def fixed_candidates(monkeypatch):
    """Make a model's mode consider exactly the given candidates, in that order, for every lead
    (and record the pools asked, as masks)."""

    def install(model: CoopModel, cands) -> list:
        pools: list = []

        def candidates(_model, leads, allowed=None, exclude=None):
            pools.append(allowed)
            chosen = np.asarray(cands, dtype=np.int64)
            if allowed is not None:
                chosen = chosen[allowed[chosen]]
            rows = np.full((len(leads), max(len(chosen), 1)), -1, dtype=np.int64)
            for i, lead in enumerate(leads):
                mine = chosen[chosen != lead]
                rows[i, : len(mine)] = mine
            return rows

        monkeypatch.setattr(model.mode, "candidates", candidates)
        return pools

    return install
