"""Payoff rules: how value is shared, how shortfalls are sanctioned and delivery rewarded, and
what the state spends what is left of its budget on."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from coopsim.model.rules.base import Enforcement, Round, Rule
from coopsim.model.sectors import SECTORS

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState


class Payoff(Rule):
    """Benefit shares, sanctions and rewards, and the state's spending."""

    slot = "payoff"
    rewards: ClassVar[bool] = False  # the state pays rewards for delivery
    reads = ("incentives", "orgs.last_warning")
    writes = ("orgs.last_warning",)

    def graduated(self, model: CoopModel) -> bool:
        """Whether a first shortfall draws a warning before a sanction."""
        return model.config.incentives.graduated

    def enforce(
        self, model: CoopModel, rnd: Round, monitored: np.ndarray, caught: np.ndarray
    ) -> Enforcement:
        """Sanction those caught short; reward those seen to deliver (if the rule pays)."""
        sanction, warned = punish(model, rnd, caught, self.graduated(model))
        if self.rewards:
            reward = model.config.incentives.reward * rnd.delivered
            reward = np.where(monitored & ~rnd.shortfall, reward, 0.0)
        else:
            reward = np.zeros(len(rnd.rows))
        return Enforcement(sanction, reward, warned, monitored)

    @abstractmethod
    def benefit_weights(self, model: CoopModel, rnd: Round) -> np.ndarray:
        """Each row's claim on its partnership's value (normalised within the partnership)."""

    @abstractmethod
    def marginal_share(self, model: CoopModel, state: StepState) -> np.ndarray:
        """What a member row expects of the value one more unit it delivers creates: its fixed
        share under a fixed sharing rule, the derivative of its share under one that follows
        delivery (value taken as the partnership's average product times what it pools)."""

    @abstractmethod
    def spend(self, model: CoopModel, budget: float, rnd: Round) -> dict[str, np.ndarray]:
        """What the state does with what is left of its budget after enforcement: ``seed``
        (finance for the next step, per local partnership index) and ``training`` (budget per
        organisation spent on capacity building)."""


def punish(model: CoopModel, rnd: Round, caught: np.ndarray, graduated: bool):
    """Sanction amounts per row; with graduated sanctions a first shortfall draws a warning."""
    inc = model.config.incentives
    orgs = model.orgs
    warned = (model.steps - orgs.last_warning[rnd.organisation]) <= inc.warning_memory
    if graduated:
        hit = caught & warned
        orgs.last_warning[rnd.organisation[caught & ~warned]] = model.steps
    else:
        hit = caught
    amount = np.where(hit, inc.sanction * rnd.committed * (1.0 - rnd.observed), 0.0)
    return amount, hit & warned


class AuthorityShares(Payoff):
    """Shares in proportion to authority; sanctions at once; no rewards; the left-over budget
    seeds the state's partnerships by their size."""

    reads = ("incentives", "orgs.last_warning", "orgs.authority")
    writes = ()  # sanctions at once: no warnings

    def graduated(self, model):
        return False  # command and control: no warning first

    def benefit_weights(self, model, rnd):
        return model.orgs.authority[rnd.organisation]

    def marginal_share(self, model, state):
        authority = model.orgs.authority[state.org]
        total = np.bincount(state.pid, weights=authority, minlength=len(state.ids))[state.pid]
        return np.where(
            total > 0, authority / np.where(total > 0, total, 1.0), 1.0 / state.sizes[state.pid]
        )

    def spend(self, model, budget, rnd):
        counts = np.bincount(rnd.partnership, minlength=len(rnd.ids))
        seed = budget * counts / max(counts.sum(), 1)
        return {"seed": seed, "training": np.zeros(model.orgs.n)}


class ContractShares(Payoff):
    """Value follows delivered contribution; contract penalties from the first breach; the state
    pays for delivery (from at most ``incentives.reward_budget`` of its budget) and finances
    contracts by what they delivered."""

    rewards = True
    writes = ()  # penalties at once: no warnings

    def graduated(self, model):
        return False  # contract penalties apply from the first breach

    def benefit_weights(self, model, rnd):
        return rnd.delivered + 1e-9

    def marginal_share(self, model, state):
        """Value follows delivery: with value = average product × units pooled, a member's
        value is its own units times the average product, so every unit is its own."""
        return np.ones(len(state.rows))

    def spend(self, model, budget, rnd):
        contract = np.bincount(rnd.partnership, weights=rnd.delivered, minlength=len(rnd.ids))
        seed = budget * contract / contract.sum() if contract.sum() > 0 else contract
        return {"seed": seed, "training": np.zeros(model.orgs.n)}


class SectorQuotas(Payoff):
    """Equal shares per sector, split equally within it (the negotiated quota); sanctions as the
    incentives say; no rewards; the budget subsidises every partnership equally."""

    reads = ("incentives", "orgs.last_warning", "orgs.sector")

    def marginal_share(self, model, state):
        return self._quota(model, state.org, state.pid)

    def _quota(self, model, organisation, partnership):
        """1 / (sectors present × members of the row's sector), per row."""
        sector = model.orgs.sector[organisation].astype(np.int64)
        key = partnership * len(SECTORS) + sector
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        sectors = np.bincount(np.unique(key) // len(SECTORS))[partnership]
        return 1.0 / (sectors * counts[inverse])

    def benefit_weights(self, model, rnd):
        sector = model.orgs.sector[rnd.organisation].astype(np.int64)
        key = rnd.partnership * len(SECTORS) + sector
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        return 1.0 / counts[inverse]

    def spend(self, model, budget, rnd):
        seed = np.full(len(rnd.ids), budget / max(len(rnd.ids), 1))
        return {"seed": seed, "training": np.zeros(model.orgs.n)}


class AgreedShares(Payoff):
    """Half shared equally, half by contribution; graduated sanctions as the incentives say;
    rewards from at most ``incentives.reward_budget`` of the budget, the rest on capacity
    building and seed funding."""

    rewards = True

    def benefit_weights(self, model, rnd):
        n = len(rnd.ids)
        members = np.bincount(rnd.partnership, minlength=n)[rnd.partnership]
        total = np.bincount(rnd.partnership, weights=rnd.delivered, minlength=n)[rnd.partnership]
        by_contribution = np.where(total > 0, rnd.delivered / np.maximum(total, 1e-12), 1 / members)
        return 0.5 / members + 0.5 * by_contribution

    def marginal_share(self, model, state):
        """Half an equal share, half by contribution (where every unit is the member's own)."""
        return 0.5 / state.sizes[state.pid] + 0.5

    def spend(self, model, budget, rnd):
        training = np.zeros(model.orgs.n)
        members = np.bincount(rnd.organisation, minlength=model.orgs.n) > 0
        training[members] = 0.5 * budget / max(np.count_nonzero(members), 1)
        seed = np.full(len(rnd.ids), 0.5 * budget / max(len(rnd.ids), 1))
        return {"seed": seed, "training": training}
