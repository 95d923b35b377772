"""The four sectors and their default profiles: the one documented place for sector defaults.

Every number is a default a scenario may override per sector (``population.<sector>.<field>``).
Units: resources are endowment units per step (one step = one month); other traits lie in [0, 1].
The rationale of each profile is in ``docs/ODD.md`` ("Initialisation").
"""

from __future__ import annotations

import numpy as np

SECTORS: tuple[str, ...] = ("government", "business", "civil_society", "community")
RESOURCE_KINDS: tuple[str, ...] = ("finance", "staff", "expertise", "legitimacy")
GOAL_DIMENSIONS: tuple[str, ...] = ("public_value", "profit", "mission", "own_sector")

GOVERNMENT, BUSINESS, CIVIL_SOCIETY, COMMUNITY = range(4)
PUBLIC_VALUE, PROFIT, MISSION, OWN_SECTOR = range(4)
FINANCE, STAFF, EXPERTISE, LEGITIMACY = range(4)
SECTOR_PAIRS = len(SECTORS) ** 2  # codes of unordered sector pairs (``pair_code``) lie below


def pair_code(a, b):
    """One code per unordered pair of sectors (or other groups below ``len(SECTORS)``)."""
    return len(SECTORS) * np.minimum(a, b) + np.maximum(a, b)


def pair_name(a: int, b: int) -> str:
    """The output name of a sector pair's mean trust, e.g. ``trust_government_business``."""
    return f"trust_{SECTORS[min(a, b)]}_{SECTORS[max(a, b)]}"


# Sector profiles. Resources: agencies hold finance, staff and formal authority; firms finance and
# technical expertise; NGOs staff (volunteers), service expertise and social standing; citizens
# local knowledge and legitimacy (the lecture's "expertise, skills, knowledge, finance" by sector).
# Goals: public value, profit, mission, own-sector interest (departmentalism, the case study).
SECTOR_DEFAULTS: dict[str, dict] = {
    "government": dict(
        count=12,
        resources=dict(finance=1.0, staff=0.8, expertise=0.5, legitimacy=0.35),
        goals=dict(public_value=0.6, profit=0.0, mission=0.1, own_sector=0.3),
        intrinsic_motivation=0.5,
        incentive_sensitivity=0.5,
        transparency=0.4,
        integrity=0.7,
        collaborative_capacity=0.5,
        authority=0.8,
        responsibility=0.8,
    ),
    "business": dict(
        count=30,
        resources=dict(finance=1.0, staff=0.5, expertise=0.9, legitimacy=0.2),
        goals=dict(public_value=0.15, profit=0.65, mission=0.05, own_sector=0.15),
        intrinsic_motivation=0.25,
        incentive_sensitivity=0.8,
        transparency=0.45,
        integrity=0.6,
        collaborative_capacity=0.5,
        authority=0.1,
        responsibility=0.1,
    ),
    "civil_society": dict(
        count=25,
        resources=dict(finance=0.3, staff=0.6, expertise=0.5, legitimacy=0.9),
        goals=dict(public_value=0.35, profit=0.0, mission=0.55, own_sector=0.1),
        intrinsic_motivation=0.7,
        incentive_sensitivity=0.35,
        transparency=0.6,
        integrity=0.75,
        collaborative_capacity=0.55,
        authority=0.05,
        responsibility=0.1,
    ),
    "community": dict(
        count=0,
        resources=dict(finance=0.1, staff=0.5, expertise=0.2, legitimacy=0.8),
        goals=dict(public_value=0.45, profit=0.05, mission=0.35, own_sector=0.15),
        intrinsic_motivation=0.6,
        incentive_sensitivity=0.3,
        transparency=0.6,
        integrity=0.7,
        collaborative_capacity=0.35,
        authority=0.02,
        responsibility=0.05,
    ),
}
