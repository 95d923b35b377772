"""pyabc's sampler on coopsim's executors: this process, local processes, or a Dask cluster.

pyabc asks a sampler for ``n`` accepted particles of generation ``t``, giving it
``simulate_one`` (draw a parameter set from the last generation's kernel, run the model, accept or
reject). This sampler hands those calls to a ``coopsim.executors`` executor and, like pyabc's own
dynamic schedulers, keeps the first ``n`` accepted in the order they were *started* (not
finished), so that fast parameter sets are not favoured. It also stops a generation when the
evaluation budget is spent (the generation then does not count).

Random numbers: in this process (one worker) each generation's draws come from numpy's global
generator seeded from the calibration's seed and the generation, so one worker is bit-
reproducible. Worker processes seed themselves from the operating system, as pyabc's parallel
samplers do: on several workers the posterior is reproducible in distribution only.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import cloudpickle
import numpy as np
from pyabc.sampler import Sampler

__all__ = ["ExecutorSampler", "generation_seed"]

Remaining = Callable[[], float]
OnGeneration = Callable[[int, int, int], None]


def generation_seed(seed: int, t: int) -> np.ndarray:
    """The state that numpy's global generator takes before generation ``t`` (from -1, pyabc's
    calibration sample) in the calling process."""
    return np.random.SeedSequence([int(seed), t + 1]).generate_state(8)


def _run_batch(payload: tuple[bytes, int]) -> list[Any]:
    """On a worker: ``simulate_one`` ``count`` times, the worker seeded from the system."""
    pickled, count = payload
    simulate_one = cloudpickle.loads(pickled)
    random.seed()
    np.random.seed()  # noqa: NPY002 (pyabc draws from numpy's global generator)
    return [simulate_one() for _ in range(count)]


class ExecutorSampler(Sampler):
    """A pyabc ``Sampler`` that runs on a ``coopsim.executors`` executor (``None``: here)."""

    def __init__(
        self,
        executor: Any,
        seed: int,
        remaining: Remaining,
        on_generation: OnGeneration | None = None,
        batch: int = 1,
    ):
        super().__init__()
        self.executor = executor
        self.seed = seed
        self.remaining = remaining
        self.on_generation = on_generation
        self.batch = max(1, batch)

    def __getstate__(self) -> dict[str, Any]:  # pyabc pickles parts of itself, never this
        state = dict(self.__dict__)
        state["executor"] = None
        return state

    def sample_until_n_accepted(
        self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None
    ):
        budget = min(max_eval, self.remaining())
        np.random.seed(generation_seed(self.seed, t))  # noqa: NPY002 (pyabc's generator)
        inline = self.executor is None or getattr(self.executor, "name", "") == "inline"
        if inline:
            sample, evaluated = self._here(n, simulate_one, budget)
        else:
            sample, evaluated = self._there(n, simulate_one, budget)
        self.nr_evaluations_ = evaluated
        if sample.n_accepted < n:
            sample.ok = False
        if self.on_generation is not None:
            self.on_generation(t, evaluated, min(sample.n_accepted, n))
        return sample

    def _here(self, n: int, simulate_one, budget: float):
        sample = self._create_empty_sample()
        evaluated = 0
        while sample.n_accepted < n and evaluated < budget:
            sample.append(simulate_one())
            evaluated += 1
        return sample, evaluated

    def _there(self, n: int, simulate_one, budget: float):
        pickled = cloudpickle.dumps(simulate_one)
        executor = self.executor
        running: dict[Any, int] = {}  # future: first job id of its batch
        results: dict[int, Any] = {}  # job id: particle
        next_id = 0
        accepted_ids: list[int] = []

        def enough() -> int | None:
            """The job id of the n-th accepted particle, once every earlier job has finished."""
            if len(accepted_ids) < n:
                return None
            nth = sorted(accepted_ids)[n - 1]
            if any(first <= nth for first in running.values()):
                return None
            return nth

        try:
            while True:
                nth = enough()
                if nth is not None:
                    break
                full = len(accepted_ids) >= n
                while not full and len(running) < 2 * executor.slots and next_id < budget:
                    count = int(min(self.batch, budget - next_id))
                    future = executor.submit(_run_batch, (pickled, count))
                    running[future] = next_id
                    next_id += count
                if not running:
                    break  # the budget is spent and every job is in
                for future in executor.wait(list(running), timeout=0.25):
                    first = running.pop(future)
                    for offset, particle in enumerate(future.result()):
                        results[first + offset] = particle
                        if particle.accepted:
                            accepted_ids.append(first + offset)
                if len(accepted_ids) >= n:  # jobs started after the n-th accepted are not needed
                    nth = sorted(accepted_ids)[n - 1]
                    for future, first in list(running.items()):
                        if first > nth:
                            future.cancel()
                            running.pop(future)
        finally:
            for future in running:
                future.cancel()
        sample = self._create_empty_sample()
        last = sorted(accepted_ids)[n - 1] if len(accepted_ids) >= n else max(results, default=-1)
        for job in sorted(results):
            if job > last:
                break
            sample.append(results[job])
        return sample, next_id
