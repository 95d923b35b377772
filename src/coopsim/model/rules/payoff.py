"""Payoff rules: how value is shared, how shortfalls are sanctioned and delivery rewarded, and
what the state spends what is left of its budget on."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from coopsim.model.rules.base import Enforcement, Round, Rule
from coopsim.model.sectors import SECTORS

if TYPE_CHECKING:
    from coopsim.model.formation import Drafts
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState


class Payoff(Rule):
    """Benefit shares, sanctions and rewards, and the state's spending.

    A member's claim on its partnership's value has a fixed part, its agreed share (``fixed`` of
    the value), and a part that follows delivered contribution (the rest)."""

    slot = "payoff"
    fixed: ClassVar[float] = 1.0  # the part of value shared by the agreed shares
    share_rule: ClassVar[str]  # its name in the record of terms
    rewards: ClassVar[bool] = False  # the state pays rewards for delivery
    reads = ("incentives", "orgs.last_warning", "members.share")
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
    def shares(self, model: CoopModel, drafts: Drafts, units: np.ndarray) -> np.ndarray:
        """Each drafted member's agreed share before any trade (summing to 1 in each
        partnership); ``units`` are the resource units each commits."""

    def benefit_weights(self, model: CoopModel, rnd: Round) -> np.ndarray:
        """Each row's claim on its partnership's value (summing to 1 within it): its agreed
        share among the members still there, and its part of what was delivered."""
        n = len(rnd.ids)
        members = np.bincount(rnd.partnership, minlength=n)[rnd.partnership]
        agreed = _within(model.members.share[rnd.rows], rnd.partnership, n, members)
        if self.fixed == 1.0:
            return agreed
        return self.fixed * agreed + (1.0 - self.fixed) * _within(
            rnd.delivered, rnd.partnership, n, members
        )

    def marginal_share(self, model: CoopModel, state: StepState) -> np.ndarray:
        """What a member row expects of the value one more unit it delivers creates: its agreed
        share for the fixed part; all of it for the part that follows delivery (with value taken
        as the partnership's average product times what it pools, every unit is its own)."""
        members = state.sizes[state.pid]
        agreed = _within(model.members.share[state.rows], state.pid, len(state.ids), members)
        return self.fixed * agreed + (1.0 - self.fixed)

    @abstractmethod
    def spend(self, model: CoopModel, budget: float, rnd: Round) -> dict[str, np.ndarray]:
        """What the state does with what is left of its budget after enforcement: ``seed``
        (finance for the next step, per local partnership index) and ``training`` (budget per
        organisation spent on capacity building)."""


def _within(values: np.ndarray, group: np.ndarray, n: int, members: np.ndarray) -> np.ndarray:
    """``values`` as shares of their group's total (equal shares where the total is 0)."""
    total = np.bincount(group, weights=values, minlength=n)[group]
    return np.where(total > 0, values / np.where(total > 0, total, 1.0), 1.0 / members)


def by_group(values: np.ndarray, drafts: Drafts) -> np.ndarray:
    """``values`` of drafted members as shares of their partnership's total."""
    return _within(values, drafts.group, len(drafts), drafts.sizes[drafts.group])


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

    share_rule = "authority"
    reads = ("incentives", "orgs.last_warning", "orgs.authority", "members.share")
    writes = ()  # sanctions at once: no warnings

    def graduated(self, model):
        return False  # command and control: no warning first

    def shares(self, model, drafts, units):
        return by_group(model.orgs.authority[drafts.members], drafts)

    def spend(self, model, budget, rnd):
        counts = np.bincount(rnd.partnership, minlength=len(rnd.ids))
        seed = budget * counts / max(counts.sum(), 1)
        return {"seed": seed, "training": np.zeros(model.orgs.n)}


class ContractShares(Payoff):
    """Value follows delivered contribution (the agreed share is the contracted part of what is
    pooled, for the record); contract penalties from the first breach; the state pays for
    delivery (from at most ``incentives.reward_budget`` of its budget) and finances contracts by
    what they delivered."""

    share_rule = "contract"
    fixed = 0.0
    rewards = True
    writes = ()  # penalties at once: no warnings

    def graduated(self, model):
        return False  # contract penalties apply from the first breach

    def shares(self, model, drafts, units):
        return by_group(units, drafts)

    def spend(self, model, budget, rnd):
        contract = np.bincount(rnd.partnership, weights=rnd.delivered, minlength=len(rnd.ids))
        seed = budget * contract / contract.sum() if contract.sum() > 0 else contract
        return {"seed": seed, "training": np.zeros(model.orgs.n)}


class SectorQuotas(Payoff):
    """Equal shares per sector, split equally within it (the negotiated quota); sanctions as the
    incentives say; no rewards; the budget subsidises every partnership equally."""

    share_rule = "sector_quota"
    reads = ("incentives", "orgs.last_warning", "orgs.sector", "members.share")

    def shares(self, model, drafts, units):
        sector = model.orgs.sector[drafts.members].astype(np.int64)
        key = drafts.group * len(SECTORS) + sector
        in_sector = np.bincount(key)[key]
        sectors = np.bincount(np.unique(key) // len(SECTORS), minlength=len(drafts))
        return 1.0 / (sectors[drafts.group] * in_sector)

    def spend(self, model, budget, rnd):
        seed = np.full(len(rnd.ids), budget / max(len(rnd.ids), 1))
        return {"seed": seed, "training": np.zeros(model.orgs.n)}


class AgreedShares(Payoff):
    """Half by the agreed shares (equal before any trade), half by contribution; graduated
    sanctions as the incentives say; rewards from at most ``incentives.reward_budget`` of the
    budget, the rest on capacity building and seed funding."""

    share_rule = "agreed_half"
    fixed = 0.5
    rewards = True

    def shares(self, model, drafts, units):
        return 1.0 / drafts.sizes[drafts.group].astype(float)

    def spend(self, model, budget, rnd):
        training = np.zeros(model.orgs.n)
        members = np.bincount(rnd.organisation, minlength=model.orgs.n) > 0
        training[members] = 0.5 * budget / max(np.count_nonzero(members), 1)
        seed = np.full(len(rnd.ids), 0.5 * budget / max(len(rnd.ids), 1))
        return {"seed": seed, "training": training}
