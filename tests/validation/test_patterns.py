"""Reduced pattern tests: the parts of the eight patterns (docs/ODD.md §1.2) that the model
reproduces.

Each test is a reduced version of one contrast of ``experiments/patterns.py`` (fewer seeds, shorter
runs, only the arms it reads), run with common random numbers and judged by a one-sided paired
t-test at α = 0.01 in the direction the pattern predicts.

False-alarm rate: if the model had no such effect (and the seed-to-seed differences were roughly
normal), each test would pass by chance with probability at most 1%; over the 19 tests of this
file, at most 19% that one passes by chance, and far less that all do (Bonferroni). The seeds are
fixed, so a run of the suite is deterministic: the rate is over the choice of seeds.

Only contrasts whose estimated power at this size is at least 0.99 are tested (effect / sd of the
paired differences ≥ 1.5 at 12 seeds; most are above 3), so a correct model fails one with small
probability and a failure most likely means a mechanism changed.

Parts of patterns that do not emerge — the decay of pattern 2 under governance (negligible) and
pluralism (reversed), 3c, 3e and 3f, pattern 6 under governance, the control traded in pattern 7,
the stability half of pattern 8 (reversed) — are documented in docs/VALIDATION.md and are not tested
here as if they held. Contrasts that hold but only narrowly (5p, 8m-corp) are not tested either.
Pattern 7 held only by construction (a scarcity term in the formation rule) and no longer holds
since version 0.4: with initiation opportunities shared among the allowed initiators, an agency's
chance to propose is at its cap of 1 in most months (95 % of them under pluralism, seed 1), so the
scarcity term has nothing left to raise (docs/VALIDATION.md); control traded for resources is to
replace it. 8i-stat (corporatism less inclusive than statism) still points the expected way at
version 0.4 but narrowed below this test's power (−0.053 [−0.102, −0.005], p = 0.016 at 12 seeds):
statism forms fewer partnerships since its members may leave; it is left to the validation rerun.

Version 0.5 (terms and the participation constraint) removed five more, each documented in
docs/VALIDATION.md: the decay of pattern 2 under statism and corporatism reversed (without
incentives a member joins only on terms that pay it, and the statist lead must concede share to
win its seats, so delivery rises over the run instead of decaying), and with it the statist
sanctions arm (mandates bring in members whose terms do not pay them, so sanctions now lower late
delivery); pattern 6 under pluralism fell below this test's power (p = 0.03) and under corporatism
reversed (renewal lets members leave on their terms, whatever their goals).

The validation rerun on 0.5.0 (30 seeds, docs/VALIDATION.md) added five contrasts that hold there
with effect / sd of the paired differences ≥ 2.3: crowding out under statism (3s-a, 3s-b; its
arms run at 12 seeds add about a tenth to the file's runs), pluralism churning more than
corporatism and governance (8m-corp, 8m-gove: no new arms) and corporatism less inclusive than
statism again (8i-stat, one more arm). Crowding out under pluralism and corporatism holds too but
is not tested (its arms would add a fifth to the file's time). The rerun's other new contrasts —
pattern 7 with and without the control trade in every mode, and pattern 8's stability as the
cumulative incidence of dissolution — do not hold and are not tested.
"""

from __future__ import annotations

import pytest

from coopsim.validation.patterns import PATTERNS, contrast_effect, run_patterns

SEEDS = range(12)
ALPHA = 0.01

# pattern -> (contrasts that hold, reduced run length)
HOLDING: dict[int, tuple[tuple[str, ...], int]] = {
    1: (("1g", "1g'"), 120),
    2: (("2c-sanctions",), 60),
    3: (("3a", "3b", "3d", "3s-a", "3s-b"), 160),
    4: (("4a", "4c", "4d", "4e"), 160),
    5: (("5g", "5n"), 120),
    8: (("8m-corp", "8m-gove", "8i-stat", "8i-plur", "8i-gove"), 160),
}
CASES = [(number, name) for number, (names, _) in HOLDING.items() for name in names]


@pytest.fixture(scope="module")
def reduced():
    """Every reduced experiment at once, in two processes."""
    patterns = [PATTERNS[n].reduced(names) for n, (names, _) in HOLDING.items()]
    steps = {n: s for n, (_, s) in HOLDING.items()}
    results = run_patterns(patterns, SEEDS, steps, workers=2)
    return {p.number: (p, results.of(p.number)) for p in patterns}


@pytest.mark.slow
@pytest.mark.parametrize(("number", "name"), CASES, ids=[f"{n}:{c}" for n, c in CASES])
def test_pattern_holds(reduced, number, name):
    pattern, frame = reduced[number]
    contrast = pattern.contrast(name)
    effect = contrast_effect(contrast, frame)
    assert effect.n == len(SEEDS), f"seeds lost to missing values: {effect}"
    assert effect.p_one_sided < ALPHA, f"pattern {number} ({contrast.claim}): {effect}"
