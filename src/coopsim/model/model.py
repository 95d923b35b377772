"""CoopModel: organisations form partnerships and cooperate — or stop — under a governance mode.

One step is one month. The step follows MODEL.md: environment and shocks, staff turnover,
formation, commitment, contribution, production, monitoring, enforcement, benefits, trust,
exit, learning, record. State lives in arrays (``orgs``, ``relationships``, ``partnerships_table``,
``members``); every per-step computation runs over all partnerships at once.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

import mesa
import numpy as np
import pandas as pd

from coopsim.model import learning, trust
from coopsim.model.agents import Organisation
from coopsim.model.arrays import narrow_sum, occurrence, run_ids, unique_inverse
from coopsim.model.config import MODES, ModelConfig, constraint_problems
from coopsim.model.formation import Drafts, Terms
from coopsim.model.invariants import InvariantError, invariant_violations
from coopsim.model.metrics import (
    gini,
    kaplan_meier,
    median_survival,
    shock_response,
    sustainability_index,
)
from coopsim.model.modes import GovernanceMode, Round, make_mode, transaction_costs
from coopsim.model.modes.base import alignment
from coopsim.model.motivation import MotivationTerms, crowd, delivery_share
from coopsim.model.network import Neighbours, from_edges, scale_free
from coopsim.model.partnerships import (
    ACTIVE,
    CAUSE,
    CAUSES,
    COMPLETED,
    DISSOLVED,
    STATUS_NAMES,
    MemberTable,
    PairRows,
    PartnershipTable,
    segment_sum,
)
from coopsim.model.population import Organisations
from coopsim.model.production import ces
from coopsim.model.record import Record
from coopsim.model.relationships import Relationships
from coopsim.model.sectors import FINANCE, SECTORS
from coopsim.model.shocks import FiredShock, ShockSchedule

STREAMS = (
    "population",
    "network",
    "shocks",
    "turnover",
    "formation",
    "choice",
    "monitoring",
    "learning",
    "demand",  # last: adding a stream leaves the others' numbers unchanged
)
MODE_CODES = {mode: code for code, mode in enumerate(MODES)}


class ScenarioLike(Protocol):
    seed: int
    steps: int

    def model_config(self) -> ModelConfig: ...


class Streams:
    """One independent random stream per mechanism, spawned from the run's seed.

    Mechanisms that every mode shares (shocks, turnover, the contribution noise, monitoring)
    draw the same numbers in every mode: common random numbers for comparisons.
    """

    def __init__(self, seed: int):
        children = np.random.SeedSequence(seed).spawn(len(STREAMS))
        for name, child in zip(STREAMS, children, strict=True):
            setattr(self, name, np.random.default_rng(child))


def _seed_of(rng: Any) -> int:
    if rng is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(rng, (int, np.integer)):
        if rng < 0:
            raise ValueError(f"seed must be non-negative (got {rng})")
        return int(rng)
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63))
    raise TypeError(
        f"rng must be an int seed, a numpy Generator or None (got {type(rng).__name__})"
    )


class CoopModel(mesa.Model):
    """Cross-sector cooperation under one of four governance modes.

    Keyword-only: ``config`` (a ModelConfig; defaults everywhere), ``mode`` (overrides
    ``config.governance.mode``), ``rng`` (an int seed or a Generator) and any parameter by its
    dotted path with ``__`` for the dots (``turnover__rate=0.1``), so SolaraViz can rebuild it.
    """

    def __init__(
        self,
        *,
        config: ModelConfig | None = None,
        mode: str | None = None,
        rng: Any = None,
        **overrides: Any,
    ):
        config = config or ModelConfig()
        if overrides:
            config = config.with_overrides({k.replace("__", "."): v for k, v in overrides.items()})
        if mode is not None:
            make_mode(mode)  # validates the name
            gov = dataclasses.replace(config.governance, mode=mode)
            config = dataclasses.replace(config, governance=gov)
        problems = constraint_problems(config)
        if problems:
            raise ValueError("invalid model parameters: " + "; ".join(problems))
        self.seed = _seed_of(rng)
        super().__init__(rng=self.seed)
        self.config = config
        self.streams = Streams(self.seed)
        self.planned_steps: int | None = None

        self.orgs = Organisations(
            config.population, self.streams.population, config.learning.initial_propensity
        )
        n = self.orgs.n
        self.network = _acquaintances(
            n, config.population.acquaintance_degree, self.streams.network
        )
        self.relationships = Relationships(n, config.trust, self.orgs.sector)
        self.partnerships_table = PartnershipTable()
        self.members = MemberTable()
        self._pair_rows = PairRows()  # co-member pairs' relationship rows, kept between rounds
        self._sector_pairs = _sector_pairs(self.orgs.sector)  # for _sector_trust
        self.shocks = ShockSchedule(config.shocks, self.orgs.names, self.orgs.sector)
        self.mode: GovernanceMode = make_mode(config.governance.mode)
        self._slots = np.zeros((n, config.partnerships.max_memberships), dtype=bool)
        self._eligible = np.ones(n, dtype=bool)
        self._reforms = {s.at: s.mode for s in config.governance.switch}

        self.demand_level = config.environment.demand * n
        self.demand = self.demand_level
        self.budget = 0.0
        self.enforcement_strength = 1.0
        self.reward_paid_share = 1.0  # share of earned rewards the budget paid last time
        self._avg_product = np.zeros(0)  # value per unit pooled, last step, per partnership
        self._pending_seed = np.zeros(0)  # budget finance promised to each partnership
        self._pending_cost = np.zeros(0)  # transaction costs each partnership still owes
        self._last_value = 0.0
        self._cumulative_value = 0.0
        self._formed_now = 0
        self._negotiation_now = 0.0
        self._replaced_now = 0
        self._imitation_payoff = np.zeros(n)
        self.ledger: dict[str, float] = {}
        self.record = Record()  # one row of outputs per step
        self.last_shock: FiredShock | None = None

        self._apply_lasting_shocks()
        self.organisations = [Organisation(self, i) for i in range(n)]
        self.running = True

    # ---- construction helpers -----------------------------------------------------------------
    @classmethod
    def from_scenario(cls, scenario: ScenarioLike) -> CoopModel:
        """A model configured by a loaded scenario (its seed; ``planned_steps`` = its steps)."""
        model = cls(config=scenario.model_config(), rng=scenario.seed)
        model.planned_steps = scenario.steps
        return model

    def run(self) -> CoopModel:
        """Run for the scenario's planned steps (or the default of 240)."""
        self.run_for(self.planned_steps or 240)
        return self

    # ---- queries used by the modes and agents -------------------------------------------------
    def eligible_mask(self) -> np.ndarray:
        """Organisations that can take on another partnership now (a copy)."""
        return self._eligible.copy()

    def _update_eligibility(self, organisations: np.ndarray | slice = slice(None)) -> None:
        o = self.orgs
        limit = self.config.partnerships.max_memberships
        self._eligible[organisations] = (o.memberships[organisations] < limit) & (
            o.capacity[organisations] >= self.config.partnerships.min_capacity
        )

    def acquaintances(self, i: int) -> np.ndarray:
        return self.network.of(i)

    def trust_between(self, source: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Effective trust source→target; trust between strangers where they never met."""
        source, target = np.asarray(source), np.asarray(target)
        if source.shape != target.shape:
            source, target = np.broadcast_arrays(source, target)
        rows = self.relationships.find(source.ravel(), target.ravel())
        out = np.full(len(rows), self.config.trust.initial_personal)
        met = rows >= 0
        if met.any():
            out[met] = self.relationships.effective(rows[met])
        return out.reshape(source.shape)

    # ---- the step -----------------------------------------------------------------------------
    def step(self) -> None:
        t = self.steps
        self._reform(t)
        self._environment(t)
        self._turnover(self.streams.turnover.random(self.orgs.n) < self.config.turnover.rate)
        self._form_partnerships(t)
        shape = self._slots.shape  # drawn every step, used or not: common random numbers
        self._noise = (
            self.streams.choice.standard_normal(shape),
            self.streams.monitoring.standard_normal(shape),
            self.streams.monitoring.random(shape),
        )
        rows = self.members.live()
        self.ledger = {}
        if len(rows):
            stats = self._cooperate(rows, t)
        else:
            stats = _idle_stats(self.budget)
            idle = np.zeros(self.orgs.n)
            self.orgs.crowding = crowd(
                self.orgs.crowding, idle, idle > 0, idle, False, self.config.incentives
            )
        self.mode.review(self, t)
        self._learn_by_imitation()
        damage = self.relationships.view("damage")
        trust.heal(damage, self.config.trust.healing, out=damage)
        self.orgs.liaison_tenure += 1
        self._record(t, stats)
        if self.members.size > 256 and self.members.view("active").mean() < 0.5:
            self.members.compact()

    def _reform(self, t: int) -> None:
        if t in self._reforms:
            self.mode = make_mode(self._reforms[t])

    def _environment(self, t: int) -> None:
        env = self.config.environment
        fired = self.shocks.fire(t, self.streams.shocks)
        drift = self.streams.demand.standard_normal()
        self.demand_level += (
            env.demand_reversion * (env.demand * self.orgs.n - self.demand_level)
            + env.demand_volatility * self.demand_level * drift
        )
        self.demand_level = max(self.demand_level, 0.0)
        for shock in fired:
            self._strike(shock)
        self._apply_lasting_shocks()

    def _apply_lasting_shocks(self) -> None:
        self.orgs.capacity = self.shocks.capacity(self.orgs.n)
        self.demand = self.demand_level * self.shocks.demand_factor()
        self._budget_left = self.shocks.budget_factor(self.orgs.n)[self.orgs.is_government]
        self.budget = self.config.environment.budget * float(self._budget_left.sum())

    def _strike(self, shock: FiredShock) -> None:
        """Apply a one-off shock's effect; lasting ones act through the schedule."""
        self.last_shock = shock
        if shock.kind == "trust_shock":
            rel = self.relationships
            rows = rel.towards(shock.organisations)
            rel.personal[rows] *= 1.0 - shock.severity
            rel.institutional[rows] *= 1.0 - shock.severity
            rel.damage[rows] = trust.add_damage(rel.damage[rows], 1.0, shock.severity)
        elif shock.kind == "staff_exodus":
            leave = np.zeros(self.orgs.n, dtype=bool)
            draws = self.streams.shocks.random(len(shock.organisations))
            leave[shock.organisations[draws < shock.severity]] = True
            self._turnover(leave)

    def trigger_shock(
        self, kind: str, target: str = "all", severity: float = 0.5, duration: int = 12
    ):
        """Fire a shock now (the browser app's button); it takes effect from this step on."""
        from coopsim.model.shocks import resolve_target

        orgs = resolve_target(target, self.orgs.names, self.orgs.sector)
        # stamped as if it struck in the coming step, so it lasts ``duration`` steps from now
        shock = FiredShock(self.steps + 1, kind, target, severity, duration, orgs)
        self.shocks.trigger(shock)
        self._strike(shock)
        self._apply_lasting_shocks()

    def _turnover(self, leaving: np.ndarray) -> None:
        """Liaisons leave: personal trust they carried is replaced by the handover."""
        idx = np.flatnonzero(leaving)
        if not len(idx):
            return
        rel = self.relationships
        rows = rel.involving(idx)
        p = self.config
        rel.personal[rows] = trust.handover(
            rel.institutional[rows], p.turnover.handover, p.trust.initial_personal
        )
        self.orgs.liaison_tenure[idx] = 0
        self.orgs.liaison_changes[idx] += 1

    # ---- formation ----------------------------------------------------------------------------
    def _form_partnerships(self, t: int) -> None:
        cfg = self.config.partnerships
        rng = self.streams.formation
        draws = rng.random(self.orgs.n)
        unmet = 1.0 - min(1.0, self._last_value / max(self.demand, 1e-12))
        need = np.ones(self.orgs.n)
        need[self.orgs.is_government] += 1.0 - self._budget_left  # scarcity: partners for resources
        chance = cfg.initiation_rate * (0.5 + unmet) * need
        self._update_eligibility()
        eligible = np.flatnonzero(self._eligible)
        initiators = self.mode.initiators(self, eligible)
        proposers = initiators[draws[initiators] < chance[initiators]]
        proposers = proposers[rng.permutation(len(proposers))]
        sizes = rng.integers(cfg.size_min, cfg.size_max + 1, size=len(proposers))
        self._formed_now = 0
        if len(proposers):
            drafts = self.mode.draft(self, proposers, sizes)
            if len(drafts):
                self._found(drafts, self.mode.terms(self, drafts), t)
            self._formed_now = len(drafts)

    def _found(self, drafts: Drafts, terms: Terms, t: int) -> None:
        cfg = self.config
        sizes = drafts.sizes
        pids = self.partnerships_table.add(
            drafts.leads,
            sizes,
            terms.objective,
            formality=self.mode.formality,
            formed=t,
            mode=MODE_CODES[self.mode.name],
            target_value=cfg.partnerships.completion_value * sizes,
        )
        self._grow_partnership_arrays()
        self._join(pids[drafts.group], drafts.members, terms.commitment, t)
        neg, _, _ = transaction_costs(cfg.costs, terms.negotiating_pairs, terms.rounds)
        self._pending_cost[pids] += neg
        self._negotiation_now += float(np.sum(neg))
        self._avg_product[pids] = cfg.production.productivity

    def _join(self, pids: np.ndarray, organisations: np.ndarray, commitment, t: int) -> None:
        """Members take their first free membership slots (the next ones if an organisation
        joins more than one partnership at once)."""
        occurrence_ = occurrence(organisations)
        free_first = np.argsort(self._slots[organisations], axis=1, kind="stable")
        slots = free_first[np.arange(len(organisations)), occurrence_]
        self._slots[organisations, slots] = True
        rows = self.members.add(pids, organisations, slots, t)
        self.members.commitment[rows] = commitment
        # Goals and objectives never change: a member's goal fit is fixed when it joins.
        objective = self.partnerships_table.objective[pids]
        self.members.fit[rows] = alignment(self.orgs.goals[organisations], objective)
        np.add.at(self.orgs.memberships, organisations, 1)
        self.orgs.ever_partnered[organisations] = True
        self.partnerships_table.joined(pids, organisations)
        self._update_eligibility(organisations)

    def replace_members(self, rows: np.ndarray, newcomers: np.ndarray, t: int) -> None:
        """Re-tendered seats: each incumbent leaves as ``replaced`` and its winner joins on the
        same commitment."""
        pids = self.members.partnership[rows]
        commitment = self.members.commitment[rows]
        self._leave(rows, np.full(len(rows), CAUSE["replaced"]), t)
        self._join(pids, newcomers, commitment, t)
        self._replaced_now += len(rows)

    def _grow_partnership_arrays(self) -> None:
        size = self.partnerships_table.size
        if len(self._avg_product) < size:
            extra = max(size, 2 * len(self._avg_product)) - len(self._avg_product)
            self._avg_product = np.concatenate((self._avg_product, np.zeros(extra)))
            self._pending_seed = np.concatenate((self._pending_seed, np.zeros(extra)))
            self._pending_cost = np.concatenate((self._pending_cost, np.zeros(extra)))

    # ---- one round of cooperation over every active partnership ------------------------------
    def _cooperate(self, rows: np.ndarray, t: int) -> dict[str, Any]:
        cfg = self.config
        orgs, mem, table, rel = self.orgs, self.members, self.partnerships_table, self.relationships
        org = mem.organisation[rows]
        part = mem.partnership[rows]  # grouped: local partnership index by runs
        starts, sizes, pid = run_ids(part)
        ids = part[starts]
        n_p = len(ids)
        slot = mem.slot[rows]

        # Commitment: shares of this step's endowment, never more than all of it.
        avail = orgs.available
        share = mem.commitment[rows]
        total_share = np.bincount(org, weights=share, minlength=orgs.n)
        share = share / np.maximum(1.0, total_share[org])
        committed = share[:, None] * avail[org]
        committed_total = narrow_sum(committed)

        # Contribution: the logistic choice on four motivation terms and conditional cooperation.
        src, dst, pair_rows = self._pair_rows(rel, org, (starts, sizes, pid, ids), t)
        met = rel.distinct(pair_rows)  # (relationship rows ascending, each pair's index among them)
        partners = np.bincount(src, minlength=len(rows))
        trust_in_partners = _row_mean(
            src, rel.effective(met[0])[met[1]], partners, cfg.trust.initial_personal
        )
        fit = mem.fit[rows]  # alignment of the member's goals with the objective
        reward_exp, sanction_exp = self.mode.expected_incentives(self, org)
        expected_share = 1.0 / sizes[pid]
        private = expected_share * self._avg_product[ids][pid] * fit - cfg.production.stand_alone
        terms = MotivationTerms(
            mission=orgs.effective_motivation()[org] * fit,
            blame=np.maximum(0.0, orgs.responsibility[org] - orgs.authority[org]),
            reward=reward_exp,
            sanction=sanction_exp,
            reciprocity=trust_in_partners - cfg.trust.initial_personal,
            integrity=orgs.integrity[org] - 0.5,
            propensity=orgs.propensity[org] - 0.5,
            private_return=private,
        )
        choice_noise = self._noise[0][org, slot]
        delivery = delivery_share(terms.utility_gain(cfg.behaviour), choice_noise, cfg.behaviour)
        delivered_units = delivery[:, None] * committed
        delivered = narrow_sum(delivered_units)

        # Production: CES over pooled kinds, with the state's seed finance, bounded by demand.
        pooled = segment_sum(delivered_units, pid, n_p)
        seeded = self._pending_seed[ids]
        pooled[:, FINANCE] += seeded
        self._pending_seed[ids] = 0.0
        value = self._produce(pooled, fit, org, pid, n_p)
        pooled_total = narrow_sum(pooled)
        self._avg_product[ids] = np.where(
            pooled_total > 0, value / np.maximum(pooled_total, 1e-12), self._avg_product[ids]
        )

        # Monitoring: partners see delivery through a noise that shrinks with transparency.
        mon_noise = self._noise[1][org, slot]
        mon_draw = self._noise[2][org, slot]
        opacity = 1.0 - orgs.transparency[org]
        observed = np.clip(delivery + cfg.trust.observation_noise * opacity * mon_noise, 0.0, 1.0)
        shortfall = observed < cfg.trust.defection_threshold
        rnd = Round(rows, org, pid, ids, committed_total, delivered, observed, shortfall, mon_draw)

        # Enforcement, paid by the state or by the partnership as the mode says.
        budget = self.budget
        if self.mode.state_monitors:
            planned = cfg.costs.monitoring * self.mode.monitoring * len(rows)
            self.enforcement_strength = min(1.0, budget / planned) if planned > 0 else 1.0
        else:
            self.enforcement_strength = 1.0
        enf = self.mode.enforce(self, rnd)
        acted = enf.sanction > 0
        _, mon_cost, enf_cost = transaction_costs(
            cfg.costs, monitored=float(enf.monitored.sum()), actions=float(acted.sum())
        )
        owed = self._pending_cost[ids]
        if self.mode.state_monitors:  # the state pays what its budget allows
            due = mon_cost + enf_cost
            paid = min(budget, due)
            mon_cost, enf_cost = (c * paid / due if due > 0 else c for c in (mon_cost, enf_cost))
            budget -= paid
        else:
            per_row = cfg.costs.monitoring * enf.monitored + cfg.costs.enforcement * acted
            owed = owed + np.bincount(pid, weights=per_row, minlength=n_p)
        reward = enf.reward
        affordable = budget * self.mode.reward_share
        claimed = float(reward.sum())
        if claimed > affordable:
            reward = reward * (affordable / claimed)
        self.reward_paid_share = float(reward.sum()) / claimed if claimed > 0 else 1.0
        budget -= float(reward.sum())
        spending = self.mode.spend(self, budget, rnd)
        seed = np.asarray(spending["seed"], dtype=float)
        training = np.asarray(spending["training"], dtype=float)
        planned = float(seed.sum() + training.sum())
        if planned > budget + 1e-9 * max(1.0, self.budget):  # shares of tiny deliveries can
            # round well past what is left; last-digit rounding is left alone
            cut = max(budget, 0.0) / planned
            seed, training = seed * cut, training * cut
        self._pending_seed[ids] += seed
        budget -= float(seed.sum() + training.sum())
        gain = -np.expm1(-cfg.environment.capacity_building * training)  # saturating, < 1
        orgs.collaborative_capacity += gain * (1.0 - orgs.collaborative_capacity)

        # Benefits: transaction costs first, then the mode's sharing rule.
        paid_costs = np.minimum(owed, value)
        self._pending_cost[ids] = owed - paid_costs
        net = value - paid_costs
        weights = np.maximum(self.mode.benefit_weights(self, rnd), 0.0)
        weight_sum = np.bincount(pid, weights=weights, minlength=n_p)[pid]
        norm = np.where(
            weight_sum > 0, weights / np.where(weight_sum > 0, weight_sum, 1.0), 1.0 / sizes[pid]
        )
        benefit = net[pid] * norm
        standalone = cfg.production.stand_alone
        membership_return = benefit * fit + reward - enf.sanction - standalone * delivered
        uncommitted = narrow_sum(avail) - np.bincount(
            org, weights=committed_total, minlength=orgs.n
        )
        kept = np.bincount(org, weights=committed_total - delivered, minlength=orgs.n)
        orgs.payoff = standalone * (uncommitted + kept) + np.bincount(
            org, weights=benefit * fit + reward - enf.sanction, minlength=orgs.n
        )
        orgs.benefit_total += np.bincount(org, weights=benefit, minlength=orgs.n)
        table.value[ids] += value
        table.transaction_costs[ids] += paid_costs

        # Trust: partners' observed delivery is the evidence; defections leave lasting damage.
        self._update_trust(met, observed[dst], ids[pid[src]], org[src], org[dst], t)

        # Motivation crowding from this step's sanctions and rewards.
        orgs.crowding = crowd(
            orgs.crowding,
            np.bincount(org, weights=acted, minlength=orgs.n),
            np.bincount(org, weights=enf.warned_before, minlength=orgs.n) > 0,
            np.bincount(org, weights=reward > 0, minlength=orgs.n),
            bool(reward.sum() > 0),
            cfg.incentives,
        )

        # Exit and dissolution.
        mem.delivery[rows] = delivery
        mem.observed[rows] = observed
        partner_seen = _row_mean(src, observed[dst], partners, 1.0)
        left, dissolved, completed = self._exits(
            rnd, membership_return, trust_in_partners, partner_seen, fit, t
        )

        # Learning: reinforcement of the propensity to cooperate.
        self._learn(org, delivery, membership_return, committed_total)

        held = np.bincount(org, weights=committed_total, minlength=orgs.n)
        self.ledger = {
            "available": float(avail.sum()),
            "committed": float(committed_total.sum()),
            "delivered": float(delivered.sum()),
            "overcommitted": float((held - narrow_sum(avail)).max()),
            "value": float(value.sum()),
            "benefits": float(benefit.sum()),
            "costs_paid": float(paid_costs.sum()),
            "budget": float(self.budget),
            "budget_left": float(budget),
        }
        committed_sum = committed_total.sum()
        dilemma = -private  # > 0: delivering does not pay privately (a social dilemma)
        return {
            "cooperation_rate": float(delivered.sum() / committed_sum)
            if committed_sum > 0
            else 0.0,
            "free_riding_rate": float(np.mean(delivery < cfg.trust.defection_threshold)),
            "partner_trust": float(trust_in_partners.mean()),
            "public_value": float(value.sum()),
            "monitoring_costs": float(mon_cost),
            "enforcement_costs": float(enf_cost),
            "sanctions": int(acted.sum()),
            "rewards": float(reward.sum()),
            "budget_spent": float(self.budget - budget),
            "seed_finance": float(seeded.sum()),
            "benefit_by_sector": np.bincount(
                orgs.sector[org], weights=benefit, minlength=len(SECTORS)
            ),
            "members_left": left,
            "partnerships_dissolved": dissolved,
            "partnerships_completed": completed,
            "dilemma_strength": float(dilemma.mean()),
        }

    def _produce(self, pooled, fit, org, pid, n_p) -> np.ndarray:
        p = self.config.production
        k = pooled.shape[1]
        count = np.maximum(np.bincount(pid, minlength=n_p), 1)
        shared = np.bincount(pid, weights=fit, minlength=n_p) / count
        skill = (
            np.bincount(pid, weights=self.orgs.collaborative_capacity[org], minlength=n_p) / count
        )
        scale = p.productivity * k**p.returns_to_scale
        value = ces(pooled, np.ones(k), p.substitution, p.returns_to_scale, scale)
        value = value * (1 - p.alignment_weight + p.alignment_weight * shared)
        value = value * (1 - p.capacity_weight + p.capacity_weight * skill)
        total = value.sum()
        if total > self.demand:  # wicked problems: value is bounded by public demand
            value = value * (self.demand / total)
        return value

    def _update_trust(self, met, evidence, pid, source, target, t) -> None:
        """One update per relationship: pairs meeting in several partnerships pool their
        evidence (mean observed delivery; a defection anywhere counts). ``met`` holds the
        distinct relationship rows and, for each pair, the index of its row among them."""
        cfg = self.config.trust
        rel = self.relationships
        rows, where = met
        meetings = np.bincount(where)
        e = np.bincount(where, weights=evidence) / meetings
        defected = evidence < cfg.defection_threshold
        defections = np.bincount(where[defected], minlength=len(rows))
        transparency = 0.5 * (self.orgs.transparency[source] + self.orgs.transparency[target])
        formality = 0.5 * self.partnerships_table.formality[pid] + 0.5 * transparency
        formality = np.bincount(where, weights=formality) / meetings
        personal = trust.update_personal(rel.personal[rows], e, cfg.gain, cfg.loss)
        routine = trust.institutionalise(
            rel.institutionalised[rows], formality, cfg.institutionalisation
        )
        rel.personal[rows] = personal
        hit = defections > 0
        betrayed = rows[hit]  # only these take damage
        rel.damage[betrayed] = trust.add_damage(rel.damage[betrayed], True, cfg.damage)
        rel.institutionalised[rows] = routine
        rel.institutional[rows] = trust.update_institutional(
            rel.institutional[rows], personal, routine, cfg.institutional_learning
        )
        rel.cooperations[rows] += meetings - defections
        rel.defections[betrayed] += defections[hit]
        rel.last_met[rows] = t

    def _exits(self, rnd: Round, ret, trust_in, partner_seen, fit, t):
        """Members leave on low trust or poor returns (as the mode lets them); partnerships end."""
        cfg = self.config.partnerships
        mem, table, orgs = self.members, self.partnerships_table, self.orgs
        rows, pid, ids = rnd.rows, rnd.partnership, rnd.ids
        mem.bad_steps[rows] = np.where(ret < 0, mem.bad_steps[rows] + 1, 0)
        mem.low_trust_steps[rows] = np.where(
            trust_in < cfg.exit_trust, mem.low_trust_steps[rows] + 1, 0
        )
        value_cause = np.where(
            partner_seen < self.config.trust.defection_threshold,
            CAUSE["free_riding"],
            np.where(fit < 0.5, CAUSE["goal_conflict"], CAUSE["outside_option"]),
        )
        cause = np.where(mem.bad_steps[rows] >= cfg.patience, value_cause, 0)
        cause = np.where(mem.low_trust_steps[rows] >= cfg.patience, CAUSE["low_trust"], cause)
        groups = self.mode.exit_groups(self, rnd)  # who must agree before a member leaves
        share = np.bincount(groups, weights=cause > 0) / np.maximum(np.bincount(groups), 1)
        cause = np.where(share[groups] >= 0.5, cause, 0)
        if self.mode.mandated:  # held in by the mandate while it is enforced
            lapse = self.enforcement_strength < 0.5
            cause = np.where((cause > 0) & lapse, CAUSE["enforcement_lapse"], 0)
        shocked = orgs.capacity[rnd.organisation] < self.config.partnerships.shock_exit_capacity
        cause = np.where(shocked, CAUSE["shock"], cause)
        leaving = cause > 0
        self._leave(rows[leaving], cause[leaving], t)

        # Partnerships: completed when the objective is met; dissolved by lead exit or attrition.
        n_p = len(ids)
        remaining = np.bincount(pid[~leaving], minlength=n_p)
        lead_left = np.zeros(n_p, dtype=bool)
        lead_left[pid[leaving & (rnd.organisation == table.lead[ids][pid])]] = True
        main_cause = _most_common(pid[leaving], cause[leaving], n_p)
        lead_row = leaving & (rnd.organisation == table.lead[ids][pid])
        lead_cause = np.zeros(n_p, dtype=np.int64)
        lead_cause[pid[lead_row]] = cause[lead_row]
        # A lead who walks away for a better use of its resources ends the partnership as
        # `lead_exit`; one driven out by a shock or by the partnership's own troubles
        # (distrust, goal conflict, free riding) passes that cause on.
        walked = lead_cause == CAUSE["outside_option"]
        dissolve = lead_left | (remaining < cfg.min_members)
        complete = ~dissolve & (table.value[ids] >= table.target_value[ids])
        causes = np.where(
            lead_left,
            np.where(walked, CAUSE["lead_exit"], lead_cause),
            np.where(main_cause > 0, main_cause, CAUSE["too_few_members"]),
        )
        ending = complete | dissolve
        status = np.where(complete, COMPLETED, DISSOLVED)
        causes = np.where(complete, CAUSE["completed"], causes)
        self._end(ids[ending], status[ending], causes[ending], t)
        return int(leaving.sum()), int(dissolve.sum()), int(complete.sum())

    def _leave(self, rows: np.ndarray, cause: np.ndarray, t: int) -> None:
        mem = self.members
        mem.active[rows] = False
        mem.left[rows] = t
        mem.cause[rows] = cause
        orgs = mem.organisation[rows]
        np.subtract.at(self.orgs.memberships, orgs, 1)
        self._slots[orgs, mem.slot[rows]] = False
        self._update_eligibility(orgs)

    def _end(self, ids: np.ndarray, status, causes: np.ndarray, t: int) -> None:
        """Partnerships end (``status`` and ``causes`` for each); their members leave."""
        if not len(ids):
            return
        table, mem = self.partnerships_table, self.members
        table.status[ids] = status
        table.ended[ids] = t
        table.cause[ids] = causes
        flag = np.zeros(table.size, dtype=bool)
        flag[ids] = True
        rows = np.flatnonzero(mem.view("active") & flag[mem.view("partnership")])
        cause_of = np.zeros(table.size, dtype=np.int8)
        cause_of[ids] = causes
        self._leave(rows, cause_of[mem.partnership[rows]], t)
        self._pending_seed[ids] = 0.0
        self._pending_cost[ids] = 0.0

    def _learn(self, org, delivery, ret, committed_total) -> None:
        """Bush–Mosteller: what paid off against aspiration is reinforced."""
        cfg = self.config.learning
        orgs = self.orgs
        n = orgs.n
        count = np.bincount(org, minlength=n)
        who = np.flatnonzero(count > 0)
        per_unit = np.bincount(org, weights=ret, minlength=n)[who] / np.maximum(
            np.bincount(org, weights=committed_total, minlength=n)[who], 1e-12
        )
        self._imitation_payoff[:] = 0.0
        self._imitation_payoff[who] = per_unit
        if cfg.rule != "bush_mosteller":
            return
        coop = np.bincount(org, weights=delivery, minlength=n)[who] / count[who]
        stimulus = np.tanh(2.0 * (per_unit - orgs.aspiration[who]))
        orgs.propensity[who] = learning.bush_mosteller(
            orgs.propensity[who], np.clip(coop, 0.0, 1.0), stimulus, cfg.rate
        )
        orgs.aspiration[who] += cfg.habituation * (per_unit - orgs.aspiration[who])

    def _learn_by_imitation(self) -> None:
        cfg = self.config.learning
        draws = self.streams.learning.random(self.orgs.n)  # drawn always: common numbers
        if cfg.rule != "imitation" or self.orgs.n < 2:
            return
        adopt = learning.fermi_imitation(
            self.orgs.propensity,
            self._imitation_payoff,
            self.network,
            self.streams.learning,
            selection=cfg.imitation_selection,
        )
        mix = draws < cfg.rate
        self.orgs.propensity = np.where(mix, adopt, self.orgs.propensity)

    # ---- recording ------------------------------------------------------------------------------
    def _record(self, t: int, stats: dict[str, Any]) -> None:
        orgs, rel, table = self.orgs, self.relationships, self.partnerships_table
        active = int(np.count_nonzero(table.view("status") == ACTIVE))
        eff = rel.effective()
        row: dict[str, Any] = {
            "step": t,
            "mode": self.mode.name,
            "demand": self.demand,
            "budget": self.budget,
            "participation_rate": np.count_nonzero(orgs.memberships) / orgs.n if orgs.n else 0.0,
            "mean_trust": float(eff.mean()) if len(eff) else self.config.trust.initial_personal,
            "active_partnerships": active,
            "partnerships_formed": self._formed_now,
        }
        row.update({k: v for k, v in stats.items() if not isinstance(v, np.ndarray)})
        self._cumulative_value += stats["public_value"]
        row["public_value_cumulative"] = self._cumulative_value
        row["negotiation_costs"] = self._negotiation_now
        row["transaction_costs"] = (
            self._negotiation_now + stats["monitoring_costs"] + stats["enforcement_costs"]
        )
        self._negotiation_now = 0.0
        row["members_replaced"] = self._replaced_now
        self._replaced_now = 0
        by_sector = stats["benefit_by_sector"]
        total = by_sector.sum()
        for s, name in enumerate(SECTORS):
            row[f"benefit_share_{name}"] = float(by_sector[s] / total) if total > 0 else 0.0
        row["benefit_gini"] = gini(orgs.benefit_total)
        row.update(self._sector_trust(eff))
        row["mean_propensity"] = float(orgs.propensity.mean()) if orgs.n else 0.0
        row["mean_motivation"] = float(orgs.effective_motivation().mean()) if orgs.n else 0.0
        row["institutionalisation"] = (
            float(rel.view("institutionalised").mean()) if len(rel) else 0.0
        )
        row["liaison_changes"] = int(orgs.liaison_changes.sum())
        row["enforcement_strength"] = self.enforcement_strength
        self._last_value = stats["public_value"]
        self.record.append(row)

    def _sector_trust(self, eff: np.ndarray) -> dict[str, float]:
        """Mean effective trust between each pair of sectors present (either direction)."""
        codes, names = self._sector_pairs
        code = self.relationships.view("pair")
        sums = np.bincount(code, weights=eff, minlength=16)[codes]
        counts = self.relationships.pair_count[codes]
        mean = sums / np.maximum(counts, 1)
        values = np.where(counts > 0, mean, self.config.trust.initial_personal)
        return dict(zip(names, values.tolist(), strict=True))

    def check_invariants(self) -> None:
        """Raise InvariantError naming every broken invariant of the current state."""
        problems = invariant_violations(self)
        if problems:
            raise InvariantError(f"step {self.steps}: " + "; ".join(problems))

    # ---- outputs ------------------------------------------------------------------------------
    def timeseries(self) -> pd.DataFrame:
        """One row per step: the model-level outputs of MODEL.md."""
        return self.record.frame()

    def partnerships(self) -> pd.DataFrame:
        """One row per partnership: formed, members, ended, cause, age, value."""
        table = self.partnerships_table
        n = table.size
        names, sectors = self.orgs.names, self.orgs.sector
        ended = table.view("ended")
        age = np.where(ended >= 0, ended, self.steps) - table.view("formed")
        members = table.member_lists
        return pd.DataFrame(
            {
                "partnership": np.arange(n),
                "formed": table.view("formed"),
                "ended": pd.array([e if e >= 0 else None for e in ended], dtype="Int64"),
                "status": [STATUS_NAMES[s] for s in table.view("status")],
                "cause": [CAUSES[c] for c in table.view("cause")],
                "age": age,
                "mode": [list(MODE_CODES)[m] for m in table.view("mode")],
                "lead": [names[i] for i in table.view("lead")],
                "lead_sector": [SECTORS[sectors[i]] for i in table.view("lead")],
                "members": [";".join(names[i] for i in m) for m in members],
                "n_members": table.view("initial_members"),
                "sectors": [";".join(sorted({SECTORS[sectors[i]] for i in m})) for m in members],
                "value": table.view("value"),
                "transaction_costs": table.view("transaction_costs"),
            }
        )

    def survival_table(self) -> pd.DataFrame:
        """Kaplan–Meier survival of partnerships; completed and active ones are censored."""
        table = self.partnerships_table
        ended = table.view("ended")
        age = np.where(ended >= 0, ended, self.steps) - table.view("formed")
        km = kaplan_meier(age, table.view("status") == DISSOLVED)
        return pd.DataFrame(km)

    def shock_log(self) -> pd.DataFrame:
        """Every shock that fired: step, kind, target, severity, duration, organisations hit."""
        return pd.DataFrame(
            [
                {
                    "step": s.step,
                    "kind": s.kind,
                    "target": s.target,
                    "severity": s.severity,
                    "duration": s.duration,
                    "organisations": len(s.organisations),
                }
                for s in self.shocks.fired
            ],
            columns=["step", "kind", "target", "severity", "duration", "organisations"],
        )

    def summary(self) -> dict[str, Any]:
        """Run indicators (JSON-serialisable)."""
        ts = self.timeseries()
        cfg = self.config
        table = self.partnerships_table
        status = table.view("status")
        out: dict[str, Any] = {"steps": int(self.steps), "seed": self.seed, "mode": self.mode.name}
        out["organisations"] = self.orgs.n
        if ts.empty:
            return out
        window = ts.tail(cfg.metrics.window)
        out["sustainability_index"] = sustainability_index(
            ts["participation_rate"].to_numpy(),
            ts["cooperation_rate"].to_numpy(),
            cfg.metrics.window,
        )
        km = kaplan_meier(
            *(
                np.where(table.view("ended") >= 0, table.view("ended"), self.steps)
                - table.view("formed"),
                status == DISSOLVED,
            )
        )
        out["partnership_survival_median"] = median_survival(km)
        for name in ("cooperation_rate", "participation_rate", "mean_trust", "free_riding_rate"):
            out[name] = float(window[name].mean())
        out["public_value_total"] = float(ts["public_value"].sum())
        out["transaction_costs_total"] = float(ts["transaction_costs"].sum())
        out["partnerships_formed"] = int(table.size)
        out["partnerships_completed"] = int(np.sum(status == COMPLETED))
        out["partnerships_dissolved"] = int(np.sum(status == DISSOLVED))
        partnership_steps = float(ts["active_partnerships"].sum())
        out["dissolution_hazard"] = (
            out["partnerships_dissolved"] / partnership_steps if partnership_steps else 0.0
        )
        exits = float(ts["members_left"].sum() + ts["members_replaced"].sum())
        out["member_exit_rate"] = exits / max(
            float((ts["participation_rate"] * self.orgs.n).sum()), 1.0
        )
        out["inclusiveness"] = float(self.orgs.ever_partnered.mean()) if self.orgs.n else 0.0
        out["benefit_gini"] = gini(self.orgs.benefit_total)
        out["dilemma_strength"] = float(ts["dilemma_strength"].mean())
        for code, cause in enumerate(CAUSES):
            if cause and cause != "completed":
                out[f"dissolved_{cause}"] = int(
                    np.sum((status == DISSOLVED) & (table.view("cause") == code))
                )
        depth = recovery = None
        if self.shocks.fired:
            first = self.shocks.fired[0]
            index = int(np.searchsorted(ts["step"].to_numpy(), first.step))
            depth, recovery = shock_response(
                ts["public_value"].to_numpy(),
                index,
                cfg.metrics.baseline_window,
                cfg.metrics.recovery_level,
            )
        out["shock_depth"] = depth
        out["shock_recovery_steps"] = recovery
        return out


def _row_mean(src: np.ndarray, values: np.ndarray, counts: np.ndarray, empty: float):
    """Mean of pair values per source row (``empty`` where a row has no partner)."""
    sums = np.bincount(src, weights=values, minlength=len(counts))
    return np.where(counts > 0, sums / np.maximum(counts, 1), empty)


def _sector_pairs(sector: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Each pair of sectors present, once: its relationship ``pair`` code and output name."""
    present = np.flatnonzero(np.bincount(sector, minlength=len(SECTORS))).tolist()
    pairs = [(s, u) for i, s in enumerate(present) for u in present[i:]]
    codes = np.array([4 * s + u for s, u in pairs], dtype=np.int64)
    return codes, [f"trust_{SECTORS[s]}_{SECTORS[u]}" for s, u in pairs]


def _most_common(group: np.ndarray, code: np.ndarray, n: int) -> np.ndarray:
    """Per group 0..n-1, its most frequent code (ties: the smaller code; 0 if none)."""
    out = np.zeros(n, dtype=np.int64)
    if len(group):
        key, inverse = unique_inverse(group * 64 + code)
        counts = np.bincount(inverse)
        g, c = key // 64, key % 64
        order = np.lexsort((c, -counts, g))
        first = np.concatenate(([True], np.diff(g[order]) != 0))
        out[g[order][first]] = c[order][first]
    return out


def _idle_stats(budget: float) -> dict[str, Any]:
    return {
        "cooperation_rate": 0.0,
        "free_riding_rate": 0.0,
        "partner_trust": 0.0,
        "public_value": 0.0,
        "monitoring_costs": 0.0,
        "enforcement_costs": 0.0,
        "sanctions": 0,
        "rewards": 0.0,
        "budget_spent": 0.0,
        "seed_finance": 0.0,
        "benefit_by_sector": np.zeros(len(SECTORS)),
        "members_left": 0,
        "partnerships_dissolved": 0,
        "partnerships_completed": 0,
        "dilemma_strength": 0.0,
    }


def _acquaintances(n: int, degree: int, rng: np.random.Generator) -> Neighbours:
    """Who knows whom: a scale-free network (or everyone, in a population too small for one)."""
    z = max(2, 2 * (degree // 2))
    draws = int(rng.integers(2**31))  # drawn always, so the stream is used alike at any size
    if n > z // 2 + 1:
        return scale_free(n, z, np.random.default_rng(draws))
    edges = [(i, j) for i in range(n) for j in range(i + 1, n)]
    return from_edges(n, np.array(edges, dtype=np.int64).reshape(-1, 2))
