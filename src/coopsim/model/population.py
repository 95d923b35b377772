"""Organisations as arrays: the shared state that agents present one by one.

Each organisation is an entry of every array (resources kinds first); the state variables are those
of docs/ODD.md §2.1. Individuals are drawn around their sector's profile with a spread set by
``population.heterogeneity``.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
from scipy.special import betaincinv

from coopsim.model.config import Goals, Population, Resources
from coopsim.model.sectors import GOAL_DIMENSIONS, GOVERNMENT, RESOURCE_KINDS, SECTORS

TRAITS: tuple[str, ...] = (
    "intrinsic_motivation",
    "incentive_sensitivity",
    "transparency",
    "integrity",
    "collaborative_capacity",
    "authority",
    "responsibility",
)


def alignment(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of goal vectors (rows of ``a`` against ``b``): goal fit."""
    na = np.sqrt((a * a).sum(axis=-1))  # np.linalg.norm, bit for bit
    nb = np.sqrt((b * b).sum(axis=-1))
    return (a * b).sum(axis=-1) / np.maximum(na * nb, 1e-12)


_MIN_SPREAD = 1e-4  # below this, individuals are identical (and Beta draws stay finite)


class Organisations:
    """State of every organisation, indexed 0..n-1 (sectors in the order of ``SECTORS``)."""

    def __init__(self, population: Population, rng: np.random.Generator, propensity: float):
        counts = [population.sector(s).count for s in SECTORS]
        self.n = n = sum(counts)
        self.sector = np.repeat(np.arange(len(SECTORS), dtype=np.int8), counts)
        self.names: list[str] = [
            f"{name}-{k + 1}" for name, c in zip(SECTORS, counts, strict=True) for k in range(c)
        ]
        spread = population.heterogeneity
        self.endowment = np.zeros((len(RESOURCE_KINDS), n))  # kinds first: numpy sums it fastest
        self.goals = np.zeros((n, len(GOAL_DIMENSIONS)))
        for trait in TRAITS:
            setattr(self, trait, np.zeros(n))
        start = 0
        for name, count in zip(SECTORS, counts, strict=True):
            rows = slice(start, start + count)
            profile = population.sector(name)
            self.endowment[:, rows] = _resources(profile.resources, count, spread, rng).T
            self.goals[rows] = _goals(profile.goals, count, spread, rng)
            for trait in TRAITS:
                getattr(self, trait)[rows] = _unit_trait(
                    getattr(profile, trait), count, spread, rng
                )
            start += count
        self.peak_member = rng.random(n) < population.peak_membership
        self.peak = _peak_organisations(self.sector, self.endowment, self.peak_member)
        self.peak_member[self.peak[self.peak >= 0]] = True
        self.expelled_until = np.full(n, -1, dtype=np.int64)  # outsider until (peak discipline)

        self.capacity = np.ones(n)  # share of endowment available (shocks lower it)
        self.crowding = np.zeros(n)  # eroded share of intrinsic motivation
        self.propensity = np.full(n, float(propensity))
        self.aspiration = np.zeros(n)
        self.liaison_tenure = np.zeros(n, dtype=np.int64)
        self.liaison_changes = np.zeros(n, dtype=np.int64)
        self.memberships = np.zeros(n, dtype=np.int64)
        self.last_warning = np.full(n, -(10**9), dtype=np.int64)
        self.payoff = np.zeros(n)
        self.return_per_unit = np.zeros(n)  # last round's return per unit committed
        self.benefit_total = np.zeros(n)
        self.ever_partnered = np.zeros(n, dtype=bool)

    @property
    def is_government(self) -> np.ndarray:
        return self.sector == GOVERNMENT

    @property
    def capacity(self) -> np.ndarray:
        """Share of endowment available this step (shocks lower it)."""
        return self._capacity

    @capacity.setter
    def capacity(self, value: np.ndarray) -> None:
        self._capacity = np.asarray(value, dtype=float)
        self.available = self.endowment * self._capacity  # endowment after shocks (kinds, n)

    def effective_motivation(self) -> np.ndarray:
        """Intrinsic motivation net of crowding-out."""
        return self.intrinsic_motivation * (1.0 - self.crowding)


def _resources(res: Resources, count: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    mean = np.array([getattr(res, f.name) for f in fields(Resources)])
    noise = rng.standard_normal((count, len(RESOURCE_KINDS)))
    return mean * np.exp(spread * noise - spread**2 / 2)


def _goals(goals: Goals, count: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    mean = np.array([getattr(goals, f.name) for f in fields(Goals)])
    mean = mean / mean.sum()
    if spread < _MIN_SPREAD:
        return np.tile(mean, (count, 1))
    concentration = 1.0 / spread**2
    draws = rng.gamma(
        np.where(mean > 0, mean * concentration, 1.0), size=(count, len(GOAL_DIMENSIONS))
    )
    draws = np.where(mean > 0, draws, 0.0)
    total = draws.sum(axis=1, keepdims=True)
    return np.where(total > 0, draws / np.where(total > 0, total, 1.0), mean)


def _unit_trait(mean: float, count: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    """Beta-distributed around ``mean`` (standard deviation about ``spread``·√(m(1-m))·2)."""
    draws = rng.random(count)  # drawn always, so every trait uses the stream alike
    if spread < _MIN_SPREAD or mean <= 0 or mean >= 1:
        return np.full(count, mean)
    concentration = 1.0 / (4 * spread**2)
    if mean * concentration <= 1e-300 or (1 - mean) * concentration <= 1e-300:
        return np.full(count, mean)  # a vanishing shape parameter: no spread to draw
    return betaincinv(mean * concentration, (1 - mean) * concentration, draws)


def _peak_organisations(
    sector: np.ndarray, endowment: np.ndarray, member: np.ndarray
) -> np.ndarray:
    """Per sector, the affiliated organisation with the largest endowment (-1 if none)."""
    size = endowment.sum(axis=0)
    peaks = np.full(len(SECTORS), -1, dtype=np.int64)
    for s in range(len(SECTORS)):
        idx = np.flatnonzero(sector == s)
        if idx.size:
            pool = idx[member[idx]] if member[idx].any() else idx
            peaks[s] = pool[np.argmax(size[pool])]
    return peaks
