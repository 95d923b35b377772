"""CoopModel: organisations form partnerships and cooperate — or stop — under a governance mode.

One step is one month: the phases of ``CoopModel.phases`` in the ODD's order (environment,
turnover, formation, commitment, contribution, production, monitoring, enforcement and spending,
benefits, trust, crowding, exit, learning, review and imitation, record), each a function beside
its mechanism's module, sharing one ``StepState``. State lives in arrays (``orgs``,
``relationships``, ``partnerships_table``, ``members``); every phase runs over all partnerships
at once. Organisations (``organisations``) are the readable face of the arrays.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Protocol

import mesa
import numpy as np
import pandas as pd

from coopsim.model import (
    enforcement,
    formation,
    learning,
    modes,
    motivation,
    outputs,
    partnerships,
    production,
    record,
    shocks,
    terms,
    trust,
    turnover,
)
from coopsim.model.agents import Organisation
from coopsim.model.arrays import occurrence
from coopsim.model.config import MODES, ModelConfig
from coopsim.model.invariants import InvariantError, invariant_violations
from coopsim.model.metrics import (
    gini,
    kaplan_meier,
    median_survival,
    shock_response,
    sustainability_index,
)
from coopsim.model.modes import GovernanceMode, make_mode
from coopsim.model.network import Neighbours, from_edges, scale_free
from coopsim.model.partnerships import (
    CAUSE,
    CAUSES,
    COMPLETED,
    DISSOLVED,
    STATUS_NAMES,
    MemberTable,
    PairRows,
    PartnershipTable,
)
from coopsim.model.population import Organisations, alignment
from coopsim.model.record import Record
from coopsim.model.relationships import Relationships
from coopsim.model.sectors import SECTORS
from coopsim.model.shocks import FiredShock, ShockSchedule
from coopsim.model.step import Phase, StepState, runs_now
from coopsim.model.terms import TermsLog
from coopsim.survival import ENDS, aalen_johansen, restricted_means

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
# The run outputs of coopsim.survival.restricted_means, by its keys.
RESTRICTED_MEANS = {
    "horizon": "survival_horizon",
    "life": "partnership_life_restricted",
    "lost_dissolved": "dissolution_time_lost",
    "lost_completed": "completion_time_lost",
}


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
    Everything is validated as scenario files are: ``ParameterError`` lists every problem with
    its dotted path and the files' wording.
    """

    def __init__(
        self,
        *,
        config: ModelConfig | None = None,
        mode: str | None = None,
        rng: Any = None,
        **overrides: Any,
    ):
        changes = {k.replace("__", "."): v for k, v in overrides.items()}
        if mode is not None:
            changes["governance.mode"] = mode
        config = (config or ModelConfig()).with_overrides(changes)  # validated as files are
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
        self.terms_log = TermsLog()  # every member's terms in every negotiation
        self.pair_rows = PairRows()  # co-member pairs' relationship rows, kept between rounds
        self.sector_pairs = record.sector_pairs(self.orgs.sector)  # for the trust outputs
        present = [SECTORS[s] for s in np.unique(self.orgs.sector)]
        self.step_outputs = dict.fromkeys(outputs.names("step", sectors=present))  # in order
        self.shocks = ShockSchedule(config.shocks, self.orgs.names, self.orgs.sector)
        gov = config.governance
        self.mode: GovernanceMode = make_mode(gov.mode, gov.rules.chosen())
        self.reforms = {s.at: (s.mode, gov.rules.merged(s.rules).chosen()) for s in gov.switch}
        self.slots = np.zeros((n, config.partnerships.max_memberships), dtype=bool)  # held
        self._eligible = np.ones(n, dtype=bool)

        self.demand_level = config.environment.demand * n
        self.demand = self.demand_level
        self.budget = 0.0
        self.budget_share = np.ones(int(self.orgs.is_government.sum()))  # left after cuts
        self.enforcement_strength = 1.0  # share of planned monitoring the state can pay
        self.peak_pool = np.zeros(len(SECTORS))  # each sector's peak's pool (value units)
        self.peak_strength = np.ones(len(SECTORS))  # share of planned monitoring it can pay
        self.reward_paid_share = 1.0  # share of earned rewards the budget paid last time
        self.last_value = 0.0  # public value produced in the last step
        self.members_replaced = 0  # seats re-tendered since the last record
        self.cumulative_value = 0.0
        self.record = Record()  # one row of outputs per step
        self.state = StepState(t=0)  # the last step's (none yet)
        self.last_shock: FiredShock | None = None

        shocks.apply_lasting(self)
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

    def update_eligibility(self, organisations: np.ndarray | slice = slice(None)) -> None:
        """Who can take on another partnership: a free membership slot and enough capacity."""
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
    #: The phases of a step, in the order of docs/ODD.md §3 ("Process overview and scheduling").
    phases: ClassVar[tuple[Phase, ...]] = (
        modes.reform,  # a scheduled reform changes the governance mode
        shocks.environment,  # demand drifts; shocks strike
        turnover.staff_turnover,  # liaisons leave; successors inherit institutional trust
        formation.form_partnerships,  # initiators propose; the mode drafts and settles terms
        partnerships.commit,  # members commit shares of their endowment
        motivation.contribute,  # each member chooses how much of its commitment to deliver
        production.produce,  # pooled resources become public value
        enforcement.monitor,  # partners see delivery through noise
        enforcement.enforce_and_spend,  # sanctions, rewards; the state spends what is left
        production.share_benefits,  # costs paid, value shared by the mode's rule
        trust.update_trust,  # observed delivery updates trust; defections leave damage
        motivation.crowding,  # sanctions crowd motivation out, rewards back in
        partnerships.exit_and_dissolve,  # members leave; partnerships complete or dissolve
        learning.reinforce,  # what paid off is reinforced
        modes.review,  # the mode revisits running partnerships
        terms.renew,  # at the end of a term, partnerships agree their terms anew
        learning.imitate,  # organisations imitate better-off neighbours
        trust.heal_damage,  # damage fades
        turnover.serve,  # liaisons serve another month
        record.observe,  # the step's outputs
        partnerships.tidy,  # housekeeping: drop rows of members who left
    )

    def step(self) -> None:
        """One month: each phase of ``phases`` in turn, sharing a fresh ``StepState``."""
        shape = self.slots.shape  # noise drawn every step, used or not: common random numbers
        self.state = state = StepState(
            t=self.steps,
            choice_noise=self.streams.choice.standard_normal(shape),
            observation_noise=self.streams.monitoring.standard_normal(shape),
            monitor_draw=self.streams.monitoring.random(shape),
        )
        for phase in self.phases:
            if runs_now(phase, state):
                phase(self, state)

    @property
    def ledger(self) -> dict[str, float]:
        """The last round's accounts (empty after a step with no active partnership)."""
        return self.state.ledger

    def trigger_shock(
        self, kind: str, target: str = "all", severity: float = 0.5, duration: int = 12
    ):
        """Fire a shock now (the browser app's button); it takes effect from this step on."""
        orgs = shocks.resolve_target(target, self.orgs.names, self.orgs.sector)
        # stamped as if it struck in the coming step, so it lasts ``duration`` steps from now
        shock = shocks.FiredShock(self.steps + 1, kind, target, severity, duration, orgs)
        self.shocks.trigger(shock)
        shocks.strike(self, shock)
        shocks.apply_lasting(self)

    # ---- membership: joining, leaving, ending ---------------------------------------------------
    def join(self, pids: np.ndarray, organisations: np.ndarray, t: int, **terms) -> None:
        """Members take their first free membership slots (the next ones if an organisation
        joins more than one partnership at once) on their ``terms`` (member-table columns:
        commitment, share, control, understanding)."""
        occurrence_ = occurrence(organisations)
        free_first = np.argsort(self.slots[organisations], axis=1, kind="stable")
        slots = free_first[np.arange(len(organisations)), occurrence_]
        self.slots[organisations, slots] = True
        rows = self.members.add(pids, organisations, slots, t)
        for name, values in terms.items():
            getattr(self.members, name)[rows] = values
        # Goals never change; a member's alignment with the objective changes with the objective,
        # agreed anew at each renewal (its fit also rises with shared understanding).
        objective = self.partnerships_table.objective[pids]
        self.members.fit[rows] = alignment(self.orgs.goals[organisations], objective)
        np.add.at(self.orgs.memberships, organisations, 1)
        self.orgs.ever_partnered[organisations] = True
        self.partnerships_table.joined(pids, organisations)
        self.update_eligibility(organisations)

    def replace_members(self, rows: np.ndarray, newcomers: np.ndarray, t: int) -> None:
        """Re-tendered seats: each incumbent leaves as ``replaced`` and its winner joins on the
        same terms (with no shared understanding yet)."""
        mem = self.members
        pids = mem.partnership[rows]
        kept = {
            name: getattr(mem, name)[rows].copy() for name in ("commitment", "share", "control")
        }
        self.leave(rows, np.full(len(rows), CAUSE["replaced"]), t)
        self.join(pids, newcomers, t, **kept)
        self.members_replaced += len(rows)

    def leave(self, rows: np.ndarray, cause: np.ndarray, t: int) -> None:
        """Members leave (member-table ``rows``), each for its ``cause``."""
        mem = self.members
        mem.active[rows] = False
        mem.left[rows] = t
        mem.cause[rows] = cause
        orgs = mem.organisation[rows]
        np.subtract.at(self.orgs.memberships, orgs, 1)
        self.slots[orgs, mem.slot[rows]] = False
        self.update_eligibility(orgs)

    def end_partnerships(self, ids: np.ndarray, status, causes: np.ndarray, t: int) -> None:
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
        self.leave(rows, cause_of[mem.partnership[rows]], t)
        table.pending_seed[ids] = 0.0
        table.pending_cost[ids] = 0.0

    def check_invariants(self) -> None:
        """Raise InvariantError naming every broken invariant of the current state."""
        problems = invariant_violations(self)
        if problems:
            raise InvariantError(f"step {self.steps}: " + "; ".join(problems))

    # ---- outputs ------------------------------------------------------------------------------
    def timeseries(self) -> pd.DataFrame:
        """One row per step: the step outputs of the registry (``coopsim.model.outputs``)."""
        return self.record.frame()

    def partnerships(self) -> pd.DataFrame:
        """One row per partnership: formed, members, ended, cause, age, value.

        ``members`` and ``sectors`` hold lists (``explode`` gives one row per member);
        ``cause`` and ``ended`` are missing while a partnership is active.
        """
        table = self.partnerships_table
        n = table.size
        names, sectors = self.orgs.names, self.orgs.sector
        ended = table.view("ended")
        members = table.member_lists
        return pd.DataFrame(
            {
                "partnership": np.arange(n),
                "formed": table.view("formed"),
                "ended": pd.array([e if e >= 0 else None for e in ended], dtype="Int64"),
                "status": [STATUS_NAMES[s] for s in table.view("status")],
                "cause": [CAUSES[c] or None for c in table.view("cause")],  # none: active
                "age": table.ages(self.steps),
                "mode": [MODES[m] for m in table.view("mode")],
                "lead": [names[i] for i in table.view("lead")],
                "lead_sector": [SECTORS[sectors[i]] for i in table.view("lead")],
                "members": [[names[i] for i in m] for m in members],
                "n_members": table.view("initial_members"),
                "sectors": [sorted({SECTORS[sectors[i]] for i in m}) for m in members],
                "value": table.view("value"),
                "transaction_costs": table.view("transaction_costs"),
            }
        )

    def terms(self) -> pd.DataFrame:
        """One row per member per negotiation: the terms it was last offered (commitment, share
        rule and share, control, concession, understanding, expected value, outside option,
        surplus), whether it accepted, and whether the talks agreed (``terms.parquet``)."""
        return self.terms_log.frame(self.orgs.names, self.orgs.sector)

    def survival_table(self) -> pd.DataFrame:
        """Kaplan–Meier survival of partnerships; completed and active ones are censored."""
        return pd.DataFrame(self._survival())

    def _survival(self) -> dict[str, np.ndarray]:
        table = self.partnerships_table
        return kaplan_meier(table.ages(self.steps), table.view("status") == DISSOLVED)

    def incidence_table(self) -> pd.DataFrame:
        """Cumulative incidence of each end (``ENDS``) by partnership age: the discrete-time
        Aalen–Johansen estimator, active partnerships censored (``coopsim.survival``)."""
        table = pd.DataFrame(aalen_johansen(*self._ends(), ENDS))
        return table.astype({"age": "int64"})  # whole months

    def _ends(self) -> tuple[np.ndarray, np.ndarray]:
        """Each partnership's age and how it ended (empty while active)."""
        table = self.partnerships_table
        names = np.array(["" if s == "active" else s for s in STATUS_NAMES], dtype=object)
        return table.ages(self.steps), names[table.view("status")]

    def _restricted_means(self) -> dict[str, Any]:
        """τ and the restricted mean life and times lost to each end (none without partnerships)."""
        horizon = self.config.metrics.survival_horizon
        means = restricted_means(*self._ends(), ENDS, horizon)
        if means is None:
            return dict.fromkeys(RESTRICTED_MEANS.values())
        out = {RESTRICTED_MEANS[k]: v for k, v in means.items()}
        out["survival_horizon"] = int(means["horizon"])  # ages are whole months
        return out

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
        """Run indicators (JSON-serialisable), in the order of the outputs registry; those
        derived from a step output (window means, sums) computed as the registry declares."""
        ts = self.timeseries()
        out: dict[str, Any] = {"steps": int(self.steps), "seed": self.seed, "mode": self.mode.name}
        out["organisations"] = self.orgs.n
        out["survival_horizon"] = None  # context too, but no partnership before the first step
        if ts.empty:
            return out
        window = self.config.metrics.window
        for name in outputs.names("run"):
            if outputs.get(name, "run").derived is not None:
                value = outputs.derive(name, ts, window=window)
                out[name] = None if math.isnan(value) else value  # no step had a value
        out["sustainability_index"] = sustainability_index(
            ts["participation_rate"].to_numpy(), ts["cooperation_rate"].to_numpy(), window
        )
        out["partnership_survival_median"] = median_survival(self._survival())
        out.update(self._restricted_means())
        out.update(self._partnership_counts(ts))
        out["inclusiveness"] = float(self.orgs.ever_partnered.mean()) if self.orgs.n else 0.0
        out["benefit_gini"] = gini(self.orgs.benefit_total)
        out.update(self._forum())
        out["shock_depth"], out["shock_recovery_steps"] = self._shock_response(ts)
        return {name: out[name] for name in outputs.names("run")}

    def _forum(self) -> dict[str, Any]:
        """The forum outputs over all the run's talks (none without talks or agreements)."""
        out = self.terms_log.forum()
        return {k: None if math.isnan(v) else v for k, v in out.items()}

    def _partnership_counts(self, ts: pd.DataFrame) -> dict[str, Any]:
        """Partnerships formed, completed, dissolved (by cause); the dissolution hazard and the
        members' exit rate."""
        table = self.partnerships_table
        status, cause = table.view("status"), table.view("cause")
        out: dict[str, Any] = {"partnerships_formed": int(table.size)}
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
        for code, name in enumerate(CAUSES):
            if name and name != "completed":
                out[f"dissolved_{name}"] = int(np.sum((status == DISSOLVED) & (cause == code)))
        return out

    def _shock_response(self, ts: pd.DataFrame) -> tuple[float | None, int | None]:
        """Depth of the first shock's dip in public value, and the steps to recover from it."""
        if not self.shocks.fired:
            return None, None
        metrics = self.config.metrics
        index = int(np.searchsorted(ts["step"].to_numpy(), self.shocks.fired[0].step))
        return shock_response(
            ts["public_value"].to_numpy(), index, metrics.baseline_window, metrics.recovery_level
        )


def _acquaintances(n: int, degree: int, rng: np.random.Generator) -> Neighbours:
    """Who knows whom: a scale-free network (or everyone, in a population too small for one)."""
    z = max(2, 2 * (degree // 2))
    draws = int(rng.integers(2**31))  # drawn always, so the stream is used alike at any size
    if n > z // 2 + 1:
        return scale_free(n, z, np.random.default_rng(draws))
    edges = [(i, j) for i in range(n) for j in range(i + 1, n)]
    return from_edges(n, np.array(edges, dtype=np.int64).reshape(-1, 2))
