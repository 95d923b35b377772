"""The contribution choice and motivation crowding.

A member delivers a share d of its commitment, d = σ(β·ΔU + ε), where the utility gain ΔU adds the
case study's four motivation terms — internal-positive (mission, goal alignment), internal-negative
(blame avoidance where responsibility exceeds authority), external-positive (expected rewards),
external-negative (detection probability × sanction) — plus conditional cooperation through trust,
integrity, the learned propensity and the private net return of delivering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coopsim.model.config import Behaviour, Incentives


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
