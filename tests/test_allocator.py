"""The allocator settings: made only when asked for, once, only where nobody chose otherwise;
they change no result, and the memory they keep goes back on ``release``."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from coopsim import allocator

glibc_only = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)

_RUN = """
import hashlib
from coopsim import allocator
from coopsim.model.model import CoopModel
print(allocator.tune())
model = CoopModel(mode="governance", rng=5)
for _ in range(30):
    model.step()
print(hashlib.sha256(model.timeseries().to_csv().encode()).hexdigest())
"""

# Every symbol looked up through ctypes is an audit event: a malloc setting needs ``mallopt``.
_API_ONLY = """
import sys
looked_up = []
sys.addaudithook(lambda event, args: looked_up.append(args[1]) if event == "ctypes.dlsym" else 0)
import coopsim
from coopsim import CoopModel
CoopModel(mode="governance", rng=3, population__business__count=30).run_for(12)
model = CoopModel(mode="statism", rng=3, population__business__count=30)
model.planned_steps = 6
model.run()
if {opt_in}:
    from coopsim import allocator
    allocator.tune()
state = getattr(sys.modules.get("coopsim.allocator"), "_tuned", None)
print(sorted(set(looked_up) & {{"mallopt", "malloc_trim"}}), state)
"""

# Many large blocks (below the mmap threshold: on the heap) freed below a small live one.
_KEEP_AND_RELEASE = """
import numpy as np
from coopsim import allocator
print(allocator.tune())
blocks = [np.ones(1 << 19) for _ in range(40)]  # 40 × 4 MiB
pin = np.ones(1 << 13)
del blocks
print(allocator.release())
"""


def _python(code: str, **env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k not in allocator._CHOSEN_ELSEWHERE}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "COOPSIM_TUNE_MALLOC": "1", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()


def test_the_python_api_changes_no_malloc_setting():
    looked_up, state = _python(_API_ONLY.format(opt_in=False))[-1].rsplit(" ", 1)
    assert looked_up == "[]"  # neither mallopt nor malloc_trim was ever looked up
    assert state == "None"  # tune() was never called


@glibc_only
def test_opting_in_is_what_sets_malloc():
    looked_up, state = _python(_API_ONLY.format(opt_in=True))[-1].rsplit(" ", 1)
    assert looked_up == "['malloc_trim', 'mallopt']" and state == "True"


def test_tune_is_applied_once_and_says_whether_it_was():
    out = _python(
        "from coopsim import allocator\n"
        "print(allocator.tuned(), allocator.tune(), allocator.tune(), allocator.tuned())"
    )
    before, first, second, after = out[-1].split()
    assert before == "False" and first == second == after
    assert first == str(platform.system() == "Linux" and platform.libc_ver()[0] == "glibc")


@glibc_only
def test_switching_the_settings_off_leaves_results_as_they_are():
    tuned, digest = _python(_RUN)
    assert tuned == "True"
    for off in ("0", "false", "Off"):
        assert _python(_RUN, COOPSIM_TUNE_MALLOC=off) == ["False", digest]


@glibc_only
@pytest.mark.parametrize(
    "chosen", ["MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES"]
)
def test_settings_chosen_in_the_environment_are_left_alone(chosen):
    value = "glibc.malloc.trim_threshold=65536" if chosen == "GLIBC_TUNABLES" else "65536"
    assert _python(_RUN, **{chosen: value})[0] == "False"


@glibc_only
def test_release_hands_back_the_memory_the_settings_keep():
    assert _python(_KEEP_AND_RELEASE) == ["True", "True"]  # malloc_trim released memory


def test_release_does_nothing_where_the_settings_were_not_made():
    assert _python(_KEEP_AND_RELEASE, COOPSIM_TUNE_MALLOC="0") == ["False", "False"]
