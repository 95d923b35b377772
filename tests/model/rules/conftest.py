"""Shared helpers for the rule tests: a model per mode, hand-made rounds and drafts, fixed candidate
pools, and the contract that every rule of a slot keeps.

Each slot's module (``test_<slot>.py``) names its slot in ``SLOT``; a test there that asks for
``rule`` runs once for every rule of that slot, ``MODE_RULES[mode][SLOT]`` for each mode. The
contract (``Contract``) is what a slot's rules promise whichever mode they come from and whatever
rules fill the other slots; each slot's module runs it over its four rules. Everything is handed
over as fixtures: with pytest's importlib import mode a test module cannot import a sibling.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from coopsim.model import CoopModel, formation
from coopsim.model.arrays import run_starts
from coopsim.model.config import MODES
from coopsim.model.formation import NOBODY, Drafts
from coopsim.model.modes import MODE_RULES, make_mode, rule_origin
from coopsim.model.partnerships import CAUSE
from coopsim.model.rules import SLOT_BASES, Enforcement, Pool, Round, Rule

#: A fixed seed per mode (the seeds of the former per-mode tests).
SEEDS: dict[str, int] = {"statism": 11, "pluralism": 12, "corporatism": 13, "governance": 14}
#: Extra communities, so that every sector (and its peak organisation) is present.
COMMUNITIES: dict[str, Any] = {"population__community__count": 8}
LIVED_STEPS = 12
TOL = 1e-9


def rules_of(slot: str) -> list[type[Rule]]:
    """Every rule of a slot, one per mode, in the order of ``MODES``."""
    return [MODE_RULES[m][slot] for m in MODES]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test asking for ``rule`` runs over every rule of its module's ``SLOT``."""
    if "rule" in metafunc.fixturenames:
        slot = metafunc.module.SLOT
        metafunc.parametrize(
            "rule", [cls() for cls in rules_of(slot)], ids=[c.__name__ for c in rules_of(slot)]
        )


# ---- models ----------------------------------------------------------------------------------


def new_model(mode: str, rng: int | None = None, **overrides: Any) -> CoopModel:
    """A fresh model of ``mode`` with its fixed seed (or ``rng``)."""
    return CoopModel(mode=mode, rng=SEEDS[mode] if rng is None else rng, **overrides)


def host(model: CoopModel, rule: Rule) -> CoopModel:
    """Put ``rule`` in its slot of the model's mode (a hybrid unless it is the mode's own)."""
    model.mode = make_mode(model.mode.name, rules={rule.slot: rule_origin(rule.slot, rule)})
    return model


@pytest.fixture
def model_of() -> Callable[..., CoopModel]:
    """``model_of(mode, rng=None, **overrides)``: a fresh model of a mode, fixed seed."""
    return new_model


@pytest.fixture(params=["own", "foreign"])
def lived(request: pytest.FixtureRequest, rule: Rule) -> CoopModel:
    """A model that has run ``LIVED_STEPS`` steps with ``rule`` in its slot: in the rule's own
    mode, or in the next mode's (a hybrid); every sector present; partnerships running, some
    organisations busy, relationships made."""
    origin = rule_origin(rule.slot, rule)
    base = origin if request.param == "own" else MODES[(MODES.index(origin) + 1) % len(MODES)]
    model = host(
        new_model(
            base, **COMMUNITIES, governance__contract_term=3, partnerships__max_memberships=4
        ),
        rule,
    )  # room for more memberships: some organisations stay free to initiate and join
    model.run_for(LIVED_STEPS)
    assert model.partnerships_table.size > 0 and model.state.round is not None
    return model


# ---- rounds and drafts -----------------------------------------------------------------------

RoundMaker = Callable[..., Round]


def build_round(
    model: CoopModel,
    organisation,
    observed,
    partnership=None,
    committed=1.0,
    monitor_draw=None,
) -> Round:
    """A round of delivery as the model would hand it to a rule (observed = delivered share).
    Its member rows are added to the model's member table (inactive, so that no phase sees
    them) with the shares the mode's payoff rule agrees before any trade."""
    org = np.asarray(organisation, dtype=np.int64)
    k = len(org)
    part = np.zeros(k, dtype=np.int64) if partnership is None else np.asarray(partnership)
    observed = np.asarray(observed, dtype=float)
    committed = np.broadcast_to(np.asarray(committed, dtype=float), (k,)).copy()
    draw = np.zeros(k) if monitor_draw is None else np.asarray(monitor_draw, dtype=float)
    rows = model.members.add(part, org, np.zeros(k, dtype=np.int64), model.steps)
    model.members.active[rows] = False
    drafts = Drafts(org[run_starts(part)], org, part, np.bincount(part) - 1)
    model.members.share[rows] = model.mode.payoff.shares(model, drafts, committed)
    return Round(
        rows=rows,
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


def build_drafts(groups, considered=None) -> Drafts:
    """Drafts from member lists, lead first in each (``considered``: candidates seen, per
    partnership; default its size − 1)."""
    members = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups])
    group = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    leads = np.array([g[0] for g in groups], dtype=np.int64)
    seen = [len(g) - 1 for g in groups] if considered is None else considered
    return Drafts(leads, members, group, np.asarray(seen, dtype=np.int64))


@pytest.fixture
def make_drafts() -> Callable[..., Drafts]:
    return build_drafts


def varied_drafts(model: CoopModel) -> list[Drafts]:
    """Drafts a rule may be asked to settle: what the model's mode drafts now, and hand-made
    ones led by an agency, a peak organisation and an ordinary organisation, within one sector
    and across all, of two to five members."""
    orgs = model.orgs
    eligible = np.flatnonzero(model.eligible_mask())
    leads = model.mode.boundary.initiators(model, eligible)
    sizes = 2 + np.arange(len(leads)) % 4
    drafted = formation.draft(model, leads, sizes)
    agency = int(np.flatnonzero(orgs.is_government)[0])
    peaks = orgs.peak[orgs.peak >= 0]
    peak = int(peaks[-1])
    ordinary = int(np.flatnonzero(~orgs.peak_member & ~orgs.is_government)[0])
    by_sector = [np.flatnonzero(orgs.sector == s) for s in np.unique(orgs.sector)]
    one_each = [int(s[-1]) for s in by_sector]
    groups = [
        [agency, *[o for o in one_each if o != agency]],
        [peak, *[o for o in one_each if o != peak]],
        [ordinary, *[o for o in one_each if o != ordinary]],
        [agency, int(by_sector[0][1])],  # agencies only
        [peak, *[int(o) for o in by_sector[orgs.sector[peak]] if o != peak][:4]],  # its sector
        [ordinary, agency],
    ]
    made = build_drafts(groups)
    return [d for d in (drafted, made) if len(d)]


@pytest.fixture
def drafts_of() -> Callable[[CoopModel], list[Drafts]]:
    return varied_drafts


def clone_organisations(model: CoopModel, source: int, targets) -> None:
    """Make organisations identical to ``source`` in everything partner choice looks at."""
    orgs = model.orgs
    for t in targets:
        orgs.endowment[:, t] = orgs.endowment[:, source]
        orgs.goals[t] = orgs.goals[source]
        orgs.collaborative_capacity[t] = orgs.collaborative_capacity[source]
    orgs.capacity = orgs.capacity  # recompute the available endowment from the new one


def set_trust(model: CoopModel, source: int, target: int, value: float) -> None:
    """``source``'s trust in ``target``, personal and institutional."""
    rel = model.relationships
    (row,) = rel.ensure(np.array([source]), np.array([target]), step=0)
    rel.personal[row] = rel.institutional[row] = value


@pytest.fixture
def clone() -> Callable[..., None]:
    return clone_organisations


@pytest.fixture
def trust() -> Callable[..., None]:
    return set_trust


# ---- candidates ------------------------------------------------------------------------------


@pytest.fixture
def fixed_candidates(monkeypatch: pytest.MonkeyPatch):
    """``fixed_candidates(cands)``: the shared candidate search (``formation.candidates``, which
    every position rule's pool and the re-tender call) gives exactly these candidates, in this
    order, to every lead (less the lead and, when a mask is passed, those it bars; ``exclude`` is
    ignored). Returns the list of masks the rules passed, in order."""

    def install(cands) -> list:
        pools: list = []

        def candidates(_model, leads, allowed=None, exclude=None):
            pools.append(allowed)
            chosen = np.asarray(cands, dtype=np.int64)
            if allowed is not None:
                chosen = chosen[allowed[chosen]]
            rows = np.full((len(leads), max(len(chosen), 1)), NOBODY, dtype=np.int64)
            for i, lead in enumerate(leads):
                mine = chosen[chosen != lead]
                rows[i, : len(mine)] = mine
            return rows

        monkeypatch.setattr(formation, "candidates", candidates)
        return pools

    return install


# ---- the contract ----------------------------------------------------------------------------


def _resolves(model: CoopModel, name: str) -> bool:
    """Whether a declared read or write names something of the model or of its configuration
    (``orgs.goals``, ``streams.formation``, ``incentives``, ``members (re-tendered seats)``)."""
    path = name.split(" (")[0]
    for root in (model, model.config):
        try:
            operator.attrgetter(path)(root)
        except AttributeError:
            continue
        return True
    return False


def _subset(a: np.ndarray, b: np.ndarray) -> bool:
    return not np.any(a & ~b)


class Contract:
    """What every rule of a slot promises; each check returns what the rule gave."""

    # ---- every rule ----
    @staticmethod
    def rule(cls: type[Rule], slot: str, model: CoopModel) -> None:
        assert issubclass(cls, SLOT_BASES[slot]) and cls.slot == slot
        assert cls.__module__ == f"coopsim.model.rules.{slot}"
        line = cls.summary()
        assert isinstance(line, str) and line.strip() and "\n" not in line
        for declared in (cls.reads, cls.writes):
            assert isinstance(declared, tuple)
            assert all(isinstance(x, str) and x for x in declared)
            unknown = [x for x in declared if not _resolves(model, x)]
            assert not unknown, f"{cls.__name__} declares what the model does not have: {unknown}"
        assert cls() == cls() and hash(cls()) == hash(cls())
        assert rule_origin(slot, cls()) in MODES

    # ---- boundary ----
    @staticmethod
    def initiators(model: CoopModel, rule, eligible: np.ndarray) -> np.ndarray:
        out = np.asarray(rule.initiators(model, eligible))
        assert out.ndim == 1 and np.issubdtype(out.dtype, np.integer)
        where = {int(o): i for i, o in enumerate(eligible)}
        assert all(int(o) in where for o in out), "an initiator that was not eligible"
        at = [where[int(o)] for o in out]
        assert at == sorted(set(at)), "initiators out of the eligible order, or repeated"
        return out

    @staticmethod
    def joinable(model: CoopModel, rule) -> np.ndarray | None:
        mask = rule.joinable(model)
        if mask is None:
            return None
        assert mask.dtype == bool and mask.shape == (model.orgs.n,)
        again = mask.copy()
        mask[:] = ~mask  # the caller's to change: the model is untouched
        np.testing.assert_array_equal(rule.joinable(model), again)
        return again

    @staticmethod
    def joins(model: CoopModel, rule, pool: Pool) -> np.ndarray | None:
        keep = rule.joins(model, pool)
        if keep is not None:
            assert keep.dtype == bool and keep.shape == pool.cands.shape
        return keep

    # ---- position ----
    @staticmethod
    def pool(model: CoopModel, rule, leads: np.ndarray, allowed: np.ndarray | None) -> Pool:
        eligible = model.eligible_mask()
        pool = rule.pool(model, leads, None if allowed is None else allowed.copy())
        cands = pool.cands
        np.testing.assert_array_equal(pool.leads, leads)
        assert np.issubdtype(cands.dtype, np.integer)
        assert cands.ndim == 2 and len(cands) == len(leads)
        assert np.all(cands >= NOBODY)
        if pool.order is not None:
            assert pool.order.shape == cands.shape
        for lead, row in zip(leads.tolist(), cands, strict=True):
            real = row[row >= 0]
            assert len(np.unique(real)) == len(real), "a candidate listed twice"
            assert lead not in real, "the lead is its own candidate"
            assert np.all(eligible[real]), "an ineligible candidate"
            if allowed is not None:
                assert np.all(allowed[real]), "a candidate the boundary rule bars"
        return pool

    @staticmethod
    def score(model: CoopModel, rule, pool: Pool) -> tuple[np.ndarray, np.ndarray | None]:
        score, tie = rule.score(model, pool)
        assert score.shape == pool.cands.shape
        assert np.all(np.isfinite(score[pool.cands >= 0]))
        if tie is not None:
            assert tie.shape == pool.cands.shape
        assert isinstance(rule.fills_every_seat, bool)
        return score, tie

    @staticmethod
    def shortlist(model: CoopModel, leads: np.ndarray) -> np.ndarray:
        """The ranked candidates of the model's mode: each once, never the lead, only eligible
        and joinable organisations (the promise ``formation.fill_seats`` relies on)."""
        allowed = model.mode.boundary.joinable(model)
        eligible = model.eligible_mask()
        short = formation.shortlist(model, leads)
        assert short.ranked.shape[0] == len(leads) and short.considered.shape == (len(leads),)
        assert np.all(short.considered >= (short.ranked >= 0).sum(axis=1))
        for lead, row in zip(leads.tolist(), short.ranked, strict=True):
            real = row[row >= 0]
            assert len(np.unique(real)) == len(real) and lead not in real
            assert np.all(eligible[real])
            assert allowed is None or np.all(allowed[real])
        return short.ranked

    # ---- choice ----
    @staticmethod
    def commitment(model: CoopModel, rule, drafts: Drafts) -> np.ndarray:
        share = rule.commitment(model, drafts)
        assert share.shape == drafts.members.shape
        assert np.all(np.isfinite(share)) and np.all((share >= 0) & (share <= 1))
        return share

    @staticmethod
    def exits(model: CoopModel, rule, state, cause: np.ndarray) -> np.ndarray:
        asked = cause.copy()
        out = np.asarray(rule.exits(model, state, cause))
        np.testing.assert_array_equal(cause, asked)  # the request is not changed in place
        assert out.shape == cause.shape and np.issubdtype(out.dtype, np.integer)
        assert np.all(out >= 0) and np.all(out < len(CAUSE))
        assert not np.any(out[cause == 0]), "a member made to leave who did not want to"
        return out

    # ---- aggregation ----
    @staticmethod
    def negotiation(model: CoopModel, rule, drafts: Drafts) -> np.ndarray:
        pairs = np.asarray(rule.negotiating_pairs(model, drafts))
        assert pairs.shape == (len(drafts),) and np.issubdtype(pairs.dtype, np.integer)
        assert np.all(pairs >= 0)
        rounds = rule.rounds(model)
        assert isinstance(rounds, int) and rounds >= 1
        assert 0.0 <= rule.formality(model) <= 1.0
        return pairs

    # ---- information ----
    @staticmethod
    def detect(model: CoopModel, rule, rnd: Round) -> tuple[np.ndarray, np.ndarray]:
        monitored, caught = rule.detect(model, rnd)
        n = len(rnd.rows)
        assert monitored.dtype == bool and monitored.shape == (n,)
        assert caught.dtype == bool and caught.shape == (n,)
        assert _subset(caught, monitored & rnd.shortfall)
        assert isinstance(rule.state_pays, bool)
        return monitored, caught

    # ---- payoff ----
    @staticmethod
    def enforce(model: CoopModel, rule, rnd: Round, monitored, caught) -> Enforcement:
        enf = rule.enforce(model, rnd, monitored, caught)
        n = len(rnd.rows)
        for a in (enf.sanction, enf.reward):
            assert a.shape == (n,) and np.all(np.isfinite(a)) and np.all(a >= 0)
        assert _subset(enf.sanction > 0, caught), "a sanction for one not caught short"
        assert _subset(enf.reward > 0, monitored & ~rnd.shortfall), "a reward for one not seen"
        assert enf.warned_before.shape == (n,) and _subset(enf.warned_before, caught)
        np.testing.assert_array_equal(enf.monitored, monitored)
        assert isinstance(rule.graduated(model), bool) and isinstance(rule.rewards, bool)
        return enf

    @staticmethod
    def benefit_weights(model: CoopModel, rule, rnd: Round) -> np.ndarray:
        w = np.asarray(rule.benefit_weights(model, rnd))
        assert w.shape == (len(rnd.rows),)
        assert np.all(np.isfinite(w)) and np.all(w >= 0)
        present = np.bincount(rnd.partnership, minlength=len(rnd.ids)) > 0
        claimed = np.bincount(rnd.partnership, weights=w > 0, minlength=len(rnd.ids))
        assert np.all(claimed[present] > 0), "a partnership whose value nobody may claim"
        return w

    @staticmethod
    def spend(model: CoopModel, rule, budget: float, rnd: Round) -> tuple[np.ndarray, np.ndarray]:
        spent = rule.spend(model, budget, rnd)
        assert set(spent) == {"seed", "training"}
        seed = np.asarray(spent["seed"], dtype=float)
        training = np.asarray(spent["training"], dtype=float)
        assert seed.shape == (len(rnd.ids),) and training.shape == (model.orgs.n,)
        for a in (seed, training):
            assert np.all(np.isfinite(a)) and np.all(a >= 0)
        assert seed.sum() + training.sum() <= budget * (1 + TOL) + TOL
        return seed, training

    # ---- scope ----
    @staticmethod
    def objective(model: CoopModel, rule, drafts: Drafts) -> np.ndarray:
        control = model.mode.aggregation.control(model, drafts)
        obj = rule.objective(model, drafts, control)
        assert obj.shape == (len(drafts), model.orgs.goals.shape[1])
        assert np.all(np.isfinite(obj)) and np.all(obj >= 0)
        np.testing.assert_allclose(obj.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        return obj


@pytest.fixture
def contract() -> type[Contract]:
    return Contract
