"""The allocator settings: applied once, only where nobody chose otherwise, change no result,
and the memory they keep goes back when a run ends."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from coopsim.model import allocator

glibc_only = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)

_RUN = """
import hashlib
from coopsim.model import allocator
from coopsim.model.model import CoopModel
model = CoopModel(mode="governance", rng=5)
for _ in range(30):
    model.step()
print(allocator.tune(), hashlib.sha256(model.timeseries().to_csv().encode()).hexdigest())
"""

# Many large blocks freed below a small live one: glibc cannot trim them from the heap's top.
_KEEP_AND_RELEASE = """
import numpy as np
from coopsim.model import allocator
assert allocator.tune()
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
blocks = [np.ones(1 << 19) for _ in range(40)]  # 40 × 4 MiB
pin = np.ones(1 << 13)
del blocks
kept = rss()
allocator.release()
print(kept - rss())
"""


def _python(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in allocator._CHOSEN_ELSEWHERE}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "COOPSIM_TUNE_MALLOC": "1", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_tune_is_applied_once_and_says_whether_it_was():
    first = allocator.tune()
    assert isinstance(first, bool)
    assert allocator.tune() is first
    allocator.release()  # harmless whether or not the settings were applied


@glibc_only
def test_switching_the_settings_off_leaves_results_as_they_are():
    on = _python(_RUN).split()
    for off in ("0", "false", "Off"):
        tuned, digest = _python(_RUN, COOPSIM_TUNE_MALLOC=off).split()
        assert tuned == "False" and digest == on[1]
    assert on[0] == "True"


@glibc_only
@pytest.mark.parametrize(
    "chosen", ["MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES"]
)
def test_settings_chosen_in_the_environment_are_left_alone(chosen):
    value = "glibc.malloc.trim_threshold=65536" if chosen == "GLIBC_TUNABLES" else "65536"
    assert _python(_RUN, **{chosen: value}).split()[0] == "False"


@glibc_only
def test_release_hands_back_the_memory_the_settings_keep():
    handed_back = int(_python(_KEEP_AND_RELEASE))
    assert handed_back > 100 << 20  # most of the 160 MiB freed
