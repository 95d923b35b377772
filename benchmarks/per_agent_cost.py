"""Per organisation-step cost of coopsim against Mesa's Boltzmann wealth model on a network.

coopsim: the default configuration scaled to N organisations in the default sector proportions,
each governance mode, a full ``step()`` (formation, cooperation, trust, learning and the record).
Boltzmann: ``BoltzmannNetwork`` below, N ``FixedAgent``s on a ``mesa.discrete_space.Network``
(a G(n, m) random graph of mean degree 6, ``layout=None``); each step every agent, in random
order, gives one unit of wealth to a random neighbour if it has any — Mesa's simplest example,
with no data collection.

Both run in this process. After ``WARMUP_STEPS`` steps (the formation burst of a new coopsim
population; timed and printed separately), each repetition times a block of coopsim steps and,
right after it, a block of Boltzmann steps of about the same duration; the ratio of the two
per-agent-step costs is taken per repetition, and the table shows medians.

Targets (issue 7): ratio <= 3 at 1,000 organisations, <= 1 at 10,000 and above, judged on the
Python-API default (glibc's malloc as it is). The table also has rows for the CLI's opt-in to
raised malloc thresholds (``coopsim.allocator``), measured after the default rows in the same
process (``--malloc api`` or ``cli`` for one of the two).

    python benchmarks/per_agent_cost.py            # 100, 1,000, 10,000, 50,000 (several minutes)
    python benchmarks/per_agent_cost.py --quick    # 100, 1,000, 5,000 (a minute or two)
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
from _common import (
    MALLOC,
    MODES,
    WARMUP_STEPS,
    Timing,
    add_malloc_option,
    build_model,
    header,
    median,
    set_malloc,
    spread,
    steps_for,
    table,
    timed,
    verdict,
)
from mesa import Model
from mesa.discrete_space import FixedAgent, Network

FULL_SIZES = (100, 1_000, 10_000, 50_000)
QUICK_SIZES = (100, 1_000, 5_000)
MEAN_DEGREE = 6


class MoneyAgent(FixedAgent):
    """An agent fixed to its node: it gives one unit to a random neighbour while it has any."""

    def __init__(self, model: Model, cell):
        super().__init__(model)
        self.cell = cell
        self.wealth = 1

    def step(self) -> None:
        if self.wealth > 0:
            other = self.cell.neighborhood.select_random_agent(default=None)
            if other is not None:
                other.wealth += 1
                self.wealth -= 1


class BoltzmannNetwork(Model):
    """Boltzmann wealth exchange on a random network of mean degree 6, one agent per node."""

    def __init__(self, n: int = 100, rng: int | None = None):
        super().__init__(rng=rng)
        graph = nx.gnm_random_graph(n, n * MEAN_DEGREE // 2, seed=int(self.rng.integers(2**31)))
        self.grid = Network(graph, capacity=1, random=self.random, layout=None)
        for cell in self.grid.all_cells:
            MoneyAgent(self, cell)

    def step(self) -> None:
        self.agents.shuffle_do("step")


def measure(n: int, reps: int, target: float, budget: float) -> list[dict]:
    """One row per mode at size ``n``: medians of per-agent-step costs and their ratio.

    A mode that runs over ``budget`` seconds of CPU time at this size (CPU time, so that load
    from other processes does not cut more) gets fewer warm-up steps (at most half the budget)
    or fewer repetitions (at least two), and its row says so.
    """
    boltzmann = BoltzmannNetwork(n, rng=7)
    for _ in range(3):
        boltzmann.step()
    b_step = timed(boltzmann.step).wall
    k_b = steps_for(b_step, target, 10_000)
    rows = []
    for mode in MODES:
        model = build_model(n, mode)
        start, clock = time.perf_counter(), time.process_time()
        warm = Timing(0.0, 0.0)
        warm_steps = 0
        while warm_steps < WARMUP_STEPS and time.process_time() - clock < budget / 2:
            t = timed(model.step)
            warm = Timing(warm.wall + t.wall, warm.cpu + t.cpu)
            warm_steps += 1
        k_c = steps_for(t.wall, target, 200)  # the last warm-up step sets the block length
        coop, boltz, ratio, ratio_cpu = [], [], [], []
        for _ in range(reps):
            if len(ratio) >= 2 and time.process_time() - clock > budget:
                break
            c = timed(model.step, k_c).per(k_c * n)
            b = timed(boltzmann.step, k_b).per(k_b * n)
            coop.append(c.wall)
            boltz.append(b.wall)
            ratio.append(c.wall / b.wall)
            ratio_cpu.append(c.cpu / b.cpu if b.cpu > 0 else float("nan"))
        notes = []
        if warm_steps < WARMUP_STEPS:
            notes.append(f"warm-up cut to {warm_steps} steps")
        if len(ratio) < reps:
            notes.append(f"{len(ratio)} repetitions")
        rows.append(
            {
                "n": n,
                "mode": mode,
                "coop_us": 1e6 * median(coop),
                "boltz_us": 1e6 * median(boltz),
                "ratio": median(ratio),
                "ratio_cpu": median(ratio_cpu),
                "spread": spread(ratio),
                "warmup_us": 1e6 * warm.wall / (warm_steps * n),
                "blocks": f"{len(ratio)}×{k_c}",
                "notes": "; ".join(notes) + (" (over budget)" if notes else ""),
            }
        )
        print(
            f"  {n:>6} {mode:<12} coopsim {rows[-1]['coop_us']:8.2f} µs  "
            f"boltzmann {rows[-1]['boltz_us']:6.2f} µs  ratio {rows[-1]['ratio']:6.2f}  "
            f"({time.perf_counter() - start:.0f} s) {rows[-1]['notes']}",
            flush=True,
        )
        del model
    return rows


def target_of(n: int) -> float | None:
    if n >= 10_000:
        return 1.0
    if n == 1_000:
        return 3.0
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 100, 1,000 and 5,000 only")
    parser.add_argument("--sizes", type=int, nargs="+", help="organisation counts to measure")
    parser.add_argument("--reps", type=int, help="repetitions per size and mode")
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="CPU seconds one (size, mode) may take before warm-up and repetitions are cut",
    )
    add_malloc_option(parser, both=True)
    args = parser.parse_args()
    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    reps = args.reps or (3 if args.quick else 5)
    target = 0.1 if args.quick else 0.25  # seconds per timed block
    header("Per organisation-step cost: coopsim ÷ Mesa Boltzmann wealth on a network")
    print(f"warm-up {WARMUP_STEPS} steps excluded; {reps} repetitions; medians; µs per agent-step")
    rows = []
    for choice in ("api", "cli") if args.malloc == "both" else (args.malloc,):
        label = set_malloc(choice)
        print(f"malloc: {label}")
        for n in sizes:
            rows += [{**r, "malloc": choice} for r in measure(n, reps, target, args.budget)]
    print()
    print(
        table(
            [
                "organisations",
                "mode",
                "malloc",
                "coopsim µs/org-step",
                "Boltzmann µs/agent-step",
                "ratio",
                "ratio (CPU time)",
                "ratio min–max",
                "warm-up µs/org-step",
                "blocks × steps",
                "target",
                "notes",
            ],
            [
                (
                    f"{r['n']:,}",
                    r["mode"],
                    r["malloc"],
                    f"{r['coop_us']:.2f}",
                    f"{r['boltz_us']:.2f}",
                    f"{r['ratio']:.2f}",
                    f"{r['ratio_cpu']:.2f}",
                    r["spread"],
                    f"{r['warmup_us']:.2f}",
                    r["blocks"],
                    "—"
                    if target_of(r["n"]) is None or r["malloc"] != "api"
                    else f"<= {target_of(r['n']):g}: {verdict(r['ratio'] <= target_of(r['n']))}",
                    r["notes"],
                )
                for r in rows
            ],
        )
    )
    print()
    print("malloc: " + "; ".join(f"{k}: {v}" for k, v in MALLOC.items()))
    print(
        "targets: ratio <= 3 at 1,000 organisations, <= 1 at 10,000 and above "
        "(judged on the Python-API default)"
    )
    for bound, label in ((3.0, "1,000"), (1.0, ">= 10,000")):
        judged = [r for r in rows if target_of(r["n"]) == bound and r["malloc"] == "api"]
        if judged:
            worst = max(judged, key=lambda r: r["ratio"])
            met = sum(r["ratio"] <= bound for r in judged)
            print(
                f"  {label}: {met} of {len(judged)} (size, mode) met; worst {worst['mode']} at "
                f"{worst['n']:,}: {worst['ratio']:.2f}"
            )


if __name__ == "__main__":
    main()
