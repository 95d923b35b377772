"""Transaction costs: one function for every mode (negotiation, monitoring, enforcement)."""

from __future__ import annotations

from coopsim.model.config import TransactionCosts


def transaction_costs(
    c: TransactionCosts,
    pairs: float = 0,
    rounds: float = 0,
    monitored: float = 0,
    actions: float = 0,
) -> tuple[float, float, float]:
    """(negotiation, monitoring, enforcement) costs: the same function for every mode."""
    return c.negotiation * pairs * rounds, c.monitoring * monitored, c.enforcement * actions
