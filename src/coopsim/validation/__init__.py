"""Validation of the model against the patterns it should reproduce (docs/ODD.md §1.2; the
results are in docs/VALIDATION.md)."""

from coopsim.validation.patterns import (
    PATTERNS,
    Arm,
    Contrast,
    Pattern,
    Results,
    evaluate,
    run_patterns,
)
from coopsim.validation.stats import PairedEffect, a12, a12_magnitude, paired_effect

__all__ = [
    "PATTERNS",
    "Arm",
    "Contrast",
    "PairedEffect",
    "Pattern",
    "Results",
    "a12",
    "a12_magnitude",
    "evaluate",
    "paired_effect",
    "run_patterns",
]
