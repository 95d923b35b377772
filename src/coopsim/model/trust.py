"""Trust submodels: effective trust, asymmetric updating, damage, institutionalisation, handover.

The submodels are pure array maps that keep every value in [0, 1]; the step's trust and healing
phases (at the end) apply them to the model's relationships.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from coopsim.model.step import in_round

if TYPE_CHECKING:
    from coopsim.model.model import CoopModel
    from coopsim.model.step import StepState


def effective_trust(
    personal: np.ndarray,
    institutional: np.ndarray,
    damage: np.ndarray,
    institutionalised: np.ndarray,
    personal_weight_min: float,
) -> np.ndarray:
    """T = (ω·P + (1−ω)·I)·(1 − D), ω falling from 1 to ω_min as u goes from 0 to 1."""
    omega = 1.0 - institutionalised * (1.0 - personal_weight_min)
    return (omega * personal + (1.0 - omega) * institutional) * (1.0 - damage)


def update_personal(personal: np.ndarray, evidence: np.ndarray, gain: float, loss: float):
    """P + gain·e·(1−P) − loss·(1−e)·P for evidence e in [0, 1] (1 = delivered as committed).

    With loss > gain a defection costs more trust than a cooperation earns: built slowly,
    destroyed quickly.
    """
    e = np.clip(evidence, 0.0, 1.0)
    return np.clip(personal + gain * e * (1.0 - personal) - loss * (1.0 - e) * personal, 0.0, 1.0)


def add_damage(damage: np.ndarray, defected: np.ndarray, amount: float) -> np.ndarray:
    """A betrayal adds lasting damage that only healing removes."""
    return damage + amount * defected * (1.0 - damage)


def heal(damage: np.ndarray, rate: float, out: np.ndarray | None = None) -> np.ndarray:
    """Damage fades at ``rate`` per step (in place with ``out=damage``)."""
    return np.multiply(damage, 1.0 - rate, out=out)


def institutionalise(
    institutionalised: np.ndarray, formality: np.ndarray, rate: float
) -> np.ndarray:
    """Joint work under formal agreements, transparency and joint evaluation builds routines."""
    return institutionalised + rate * np.clip(formality, 0.0, 1.0) * (1.0 - institutionalised)


def update_institutional(
    institutional: np.ndarray, personal: np.ndarray, institutionalised: np.ndarray, rate: float
) -> np.ndarray:
    """Institutional trust follows personal trust slowly, as far as the tie is institutionalised."""
    return institutional + rate * institutionalised * (personal - institutional)


def handover(institutional: np.ndarray, quality: float, newcomer_trust: float) -> np.ndarray:
    """A successor's personal trust: P = χ·I + (1−χ)·T₀."""
    return quality * institutional + (1.0 - quality) * newcomer_trust


# --------------------------------------------------------------------------------------------------
# Phases: trust; healing


@in_round
def update_trust(model: CoopModel, state: StepState) -> None:
    """Phase: partners' observed delivery is the evidence; defections leave lasting damage. One
    update per relationship: a pair meeting in several partnerships pools its evidence (mean
    observed delivery; a defection anywhere counts)."""
    cfg = model.config.trust
    rel, s = model.relationships, state
    rows, where = s.met  # distinct relationship rows; each pair's index among them
    source, target = s.org[s.src], s.org[s.dst]
    evidence = s.observed[s.dst]
    meetings = np.bincount(where)
    e = np.bincount(where, weights=evidence) / meetings
    defected = evidence < cfg.defection_threshold
    defections = np.bincount(where[defected], minlength=len(rows))
    transparency = 0.5 * (model.orgs.transparency[source] + model.orgs.transparency[target])
    formality = model.partnerships_table.formality[s.ids[s.pid[s.src]]]
    formality = np.bincount(where, weights=0.5 * formality + 0.5 * transparency) / meetings
    personal = update_personal(rel.personal[rows], e, cfg.gain, cfg.loss)
    routine = institutionalise(rel.institutionalised[rows], formality, cfg.institutionalisation)
    rel.personal[rows] = personal
    hit = defections > 0
    betrayed = rows[hit]  # only these take damage
    rel.damage[betrayed] = add_damage(rel.damage[betrayed], True, cfg.damage)
    rel.institutionalised[rows] = routine
    rel.institutional[rows] = update_institutional(
        rel.institutional[rows], personal, routine, cfg.institutional_learning
    )
    rel.cooperations[rows] += meetings - defections
    rel.defections[betrayed] += defections[hit]
    rel.last_met[rows] = s.t


def heal_damage(model: CoopModel, state: StepState) -> None:
    """Phase: lasting damage fades a little every step."""
    damage = model.relationships.view("damage")
    heal(damage, model.config.trust.healing, out=damage)
