"""Every bundled scenario shows what its description says to look for (issue 15, item 6).

Each effect a scenario's "What to look for" names is a claim of
``coopsim.validation.scenario_claims``: a treatment against a control — with and without a shock,
across modes, with and without a remedy, late against early months of one run — in the direction
the description states. The scenario file runs as it is, with ``--set``-style overrides for the
other arms, on seeds 0–11 (``SEEDS``); every arm of a scenario uses the same seeds, so arms pair up
seed by seed (common random numbers). The seeds are fixed: a run of this module is deterministic.

Tests, at α = 0.01 (``ALPHA``):

- ``paired``: a one-sided paired t-test in the stated direction, and the mean paired difference
  at least the claim's stated minimum effect (``least``, in the measure's units);
- ``equivalent`` (the description says something does *not* change): two one-sided paired
  t-tests put the mean difference inside the stated margin;
- ``every_seed`` (a bound, such as "no partnership dissolves for goal conflict"): every run.

Power and false alarms. Only claims that hold with margin at 20 seeds and the full length
(``experiments/scenario_claims.py``; docs/VALIDATION.md, "Scenarios: what to look for") are
tested. There every paired claim's mean difference is at least 1.46 standard deviations of its
paired differences (the narrowest, statism against pluralism in kobe_1995; most are above 3),
which at 12 seeds gives a one-sided t-test power of at least 0.98 at α = 0.01; each minimum
effect is at most 55 % of the measured effect and at least 3.1 standard errors (at 12 seeds)
short of it. Were there no such effect, each paired test would pass by chance at most 1% of the
time. ``test_each_check_can_fail`` shows on the same runs that each check rejects its claim once
the bound is moved just past what the runs show.

Shortened runs. A run is causal, so a run cut short is the first months of the full run: every
measure that reads fixed months before the cut reads the same numbers. The scenarios that are cut
(``reduced_steps``; each says why in ``reduced_why``): covid_vaccination to 42 months (the surge),
kobe_1995 to 72 (the quake's two years and a year after), nyc_parks to 144 (the cut),
vietnam_sun_nutrition to 120 (years 2–3 and 9–10); baseline to 160, where the sustainability
index reads months 101–160 instead of 181–240 and the mode orderings are the same. No population
is shrunk. The module takes about a minute of wall time on two idle cores.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coopsim.scenario import load_scenario
from coopsim.validation.scenario_claims import (
    CLAIMS,
    Claim,
    M,
    ScenarioClaims,
    Summary,
    judge,
    run_claims,
)

SEEDS = range(12)
ALPHA = 0.01
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
CASES = [(spec.scenario, c.name) for spec in CLAIMS.values() for c in spec.claims]


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    """Every arm of every scenario at every seed, at the reduced lengths, in two processes."""
    return run_claims(CLAIMS.values(), SEEDS, SCENARIOS, reduced=True, workers=2)


def _claim(scenario: str, name: str) -> tuple[ScenarioClaims, Claim]:
    spec = CLAIMS[scenario]
    return spec, next(c for c in spec.claims if c.name == name)


def test_every_bundled_scenario_has_claims():
    assert sorted(p.stem for p in SCENARIOS.glob("*.yaml")) == sorted(CLAIMS)


def _description(scenario: str) -> str:
    return load_scenario(SCENARIOS / f"{scenario}.yaml").description


@pytest.mark.parametrize("scenario", sorted(CLAIMS))
def test_every_set_a_description_suggests_loads(scenario):
    suggested = re.findall(r"--set '?([^'`]+?)'?(?=`| --set)", _description(scenario))
    for override in suggested:
        load_scenario(SCENARIOS / f"{scenario}.yaml", [override])


@pytest.mark.parametrize("scenario", sorted(CLAIMS))
def test_the_claims_run_what_the_description_suggests(scenario):
    """Every override an arm adds is one the description suggests (other than a mode, or the
    run without its shocks as a control)."""
    text = _description(scenario)
    for arm, overrides in CLAIMS[scenario].arms.items():
        for override in overrides:
            if override.startswith("governance.mode=") or override == "shocks=[]":
                continue
            assert f"--set {override}" in text, f"{scenario}/{arm}: {override} is not suggested"


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "name"), CASES, ids=[f"{s}:{n}" for s, n in CASES])
def test_what_to_look_for_holds(runs, scenario, name):
    spec, claim = _claim(scenario, name)
    verdict = judge(spec, claim, runs, ALPHA)
    assert verdict.holds, f"{scenario}: {claim.says}: {verdict}"


def _out_of_reach(claim: Claim, verdict) -> Claim:
    """The same claim with its bound moved just past what the runs show."""
    if claim.kind == "paired":
        return dataclasses.replace(claim, min_effect=verdict.diff * claim.direction + 1e-9)
    if claim.kind == "equivalent":
        return dataclasses.replace(claim, min_effect=abs(verdict.diff) / 2)
    return dataclasses.replace(claim, min_effect=math.inf)


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "name"), CASES, ids=[f"{s}:{n}" for s, n in CASES])
def test_each_check_can_fail(runs, scenario, name):
    """On the same runs, the check rejects the claim once its bound is out of reach."""
    spec, claim = _claim(scenario, name)
    verdict = judge(spec, claim, runs, ALPHA)
    assert not judge(spec, _out_of_reach(claim, verdict), runs, ALPHA).holds


# ---- the judging itself, on made-up runs ------------------------------------------------------


def _spec(claim: Claim) -> ScenarioClaims:
    return ScenarioClaims("made_up", {"a": (), "b": ()}, {"x": Summary("x")}, (claim,))


def _frame(a: list[float], b: list[float]) -> pd.DataFrame:
    rows = [{"scenario": "made_up", "arm": "a", "seed": s, "x": v} for s, v in enumerate(a)]
    rows += [{"scenario": "made_up", "arm": "b", "seed": s, "x": v} for s, v in enumerate(b)]
    return pd.DataFrame(rows)


def test_a_paired_claim_needs_the_direction_the_size_and_every_seed():
    rng = np.random.default_rng(0)
    b = rng.normal(size=12)
    a = b + 1.0 + 0.1 * rng.normal(size=12)
    claim = Claim("up", "a above b", M("a", "x"), M("b", "x"), +1, 0.5)
    assert judge(_spec(claim), claim, _frame(a, b), ALPHA).holds
    down = dataclasses.replace(claim, direction=-1)
    assert not judge(_spec(down), down, _frame(a, b), ALPHA).holds
    too_big = dataclasses.replace(claim, min_effect=1.5)
    assert not judge(_spec(too_big), too_big, _frame(a, b), ALPHA).holds
    a[3] = math.nan
    assert not judge(_spec(claim), claim, _frame(a, b), ALPHA).holds


def test_an_equivalence_claim_needs_the_difference_inside_the_margin():
    b = np.linspace(0.0, 1.0, 12)
    a = b + 0.01 * np.cos(np.arange(12))
    claim = Claim("same", "a as b", M("a", "x"), M("b", "x"), 0, 0.05, "equivalent")
    assert judge(_spec(claim), claim, _frame(a, b), ALPHA).holds
    shifted = a + 0.1
    assert not judge(_spec(claim), claim, _frame(shifted, b), ALPHA).holds


def test_an_every_seed_claim_fails_on_one_seed():
    b = np.zeros(12)
    a = np.full(12, 2.0)
    claim = Claim("bound", "a at least b + 1", M("a", "x"), M("b", "x"), +1, 1.0, "every_seed")
    assert judge(_spec(claim), claim, _frame(a, b), ALPHA).holds
    a[5] = 0.5
    assert not judge(_spec(claim), claim, _frame(a, b), ALPHA).holds
