"""The contribution choice and motivation crowding.

A member delivers a share d of its commitment, d = σ(β·ΔU + ε), where the utility gain ΔU adds the
case study's four motivation terms — internal-positive (mission, goal alignment), internal-negative
(blame avoidance where responsibility exceeds authority), external-positive (expected rewards),
external-negative (detection probability × sanction) — plus conditional cooperation through trust,
integrity, the learned propensity and the private net return of delivering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from coopsim.model.config import Behaviour, Incentives
from coopsim.model.enforcement import expected_incentives
from coopsim.model.partnerships import partner_mean
from coopsim.model.step import in_round
from coopsim.model.terms import raised_fit

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState


@dataclass(frozen=True)
class MotivationTerms:
    """Per member row, the ingredients of the utility gain from delivering in full."""

    mission: np.ndarray  # effective intrinsic motivation × alignment with the objective
    blame: np.ndarray  # max(0, responsibility − authority)
    reward: np.ndarray  # expected reward × incentive sensitivity
    sanction: np.ndarray  # detection probability × sanction × incentive sensitivity
    reciprocity: np.ndarray  # trust in partners − trust in strangers (expected delivery)
    integrity: np.ndarray  # integrity − ½
    propensity: np.ndarray  # learned cooperation propensity − ½
    private_return: np.ndarray  # own share of value from delivering − stand-alone value, per unit

    def utility_gain(self, w: Behaviour) -> np.ndarray:
        return (
            w.mission_weight * self.mission
            - w.blame_weight * self.blame
            + self.reward
            + self.sanction
            + w.reciprocity_weight * self.reciprocity
            + w.integrity_weight * self.integrity
            + 2.0 * self.propensity
            + self.private_return
        )


def delivery_share(gain: np.ndarray, shock: np.ndarray, w: Behaviour) -> np.ndarray:
    """Logistic choice of the delivered share; ``shock`` is a standard-normal draw per row."""
    z = w.choice_sensitivity * gain + w.choice_sensitivity * w.noise * shock
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # σ(z), overflow-free


def crowd(
    crowding: np.ndarray,
    sanctioned: np.ndarray,
    warned_before: np.ndarray,
    rewarded: np.ndarray,
    regime_rewards: bool,
    p: Incentives,
) -> np.ndarray:
    """Update eroded intrinsic motivation of each organisation (counts of events per organisation).

    Sanctions crowd out (Gneezy & Rustichini 2000) — less when a warning came first or when the
    same regime rewards too (Andreoni et al. 2003); rewards crowd back in; all heals slowly, so the
    harm outlasts the sanctions.
    """
    harm = np.where(warned_before, p.graduated_harm, 1.0) * (
        p.paired_harm if regime_rewards else 1.0
    )
    out = 1.0 - (1.0 - p.crowding_out * harm) ** sanctioned
    c = crowding + out * (1.0 - crowding)
    c = c * (1.0 - p.crowding_in) ** rewarded
    return np.clip(c * (1.0 - p.recovery), 0.0, 1.0)


# --------------------------------------------------------------------------------------------------
# Phases: contribution; crowding


@in_round
def contribute(model: CoopModel, state: StepState) -> None:
    """Phase: each member chooses the share of its commitment it delivers (the logistic choice
    on the motivation terms and conditional cooperation through trust in its partners)."""
    cfg = model.config
    orgs, rel, s = model.orgs, model.relationships, state
    org, pid = s.org, s.pid
    s.src, s.dst, pair_rows = model.pair_rows(rel, org, (s.starts, s.sizes, pid, s.ids), s.t)
    s.met = rel.distinct(pair_rows)  # (relationship rows ascending, each pair's index among them)
    s.partners = np.bincount(s.src, minlength=len(s.rows))
    s.trust_in_partners = partner_mean(
        s.src, rel.effective(s.met[0])[s.met[1]], s.partners, cfg.trust.initial_personal
    )
    mem, p = model.members, cfg.partnerships
    s.fit = raised_fit(mem.fit[s.rows], mem.understanding[s.rows], p.understanding_weight)
    reward, sanction = expected_incentives(model, org, weighted=False)  # value units, once
    sensitivity = orgs.incentive_sensitivity[org]
    share = model.mode.payoff.marginal_share(model, s)  # what the member's sharing rule gives
    avg_product = model.partnerships_table.avg_product[s.ids][pid]
    s.private_return = share * avg_product * s.fit - cfg.production.stand_alone
    terms = MotivationTerms(
        mission=orgs.effective_motivation()[org] * s.fit,
        blame=np.maximum(0.0, orgs.responsibility[org] - orgs.authority[org]),
        reward=sensitivity * reward,
        sanction=sensitivity * sanction,
        reciprocity=s.trust_in_partners - cfg.trust.initial_personal,
        integrity=orgs.integrity[org] - 0.5,
        propensity=orgs.propensity[org] - 0.5,
        private_return=s.private_return,
    )
    gain = terms.utility_gain(cfg.behaviour)
    s.delivery = delivery_share(gain, s.choice_noise[org, s.slot], cfg.behaviour)
    s.delivered_units = s.delivery * s.committed
    s.delivered = s.delivered_units.sum(axis=0)

    committed = s.committed_total.sum()
    s.cooperation_rate = float(s.delivered.sum() / committed) if committed > 0 else math.nan
    s.free_riding_rate = float(np.mean(s.delivery < cfg.trust.defection_threshold))
    s.partner_trust = float(s.trust_in_partners.mean())
    s.dilemma_strength = float((-s.private_return).mean())  # > 0: delivering does not pay
    s.dilemma_after_incentives = float((-(s.private_return + reward + sanction)).mean())


def crowding(model: CoopModel, state: StepState) -> None:
    """Phase: this step's sanctions crowd intrinsic motivation out, rewards crowd it back in,
    and all of it heals slowly (also in a step without partnerships)."""
    n, org = model.orgs.n, state.org
    model.orgs.crowding = crowd(
        model.orgs.crowding,
        np.bincount(org, weights=state.sanctioned, minlength=n),
        np.bincount(org, weights=state.warned_before, minlength=n) > 0,
        np.bincount(org, weights=state.reward > 0, minlength=n),
        bool(state.reward.sum() > 0),
        model.config.incentives,
    )
