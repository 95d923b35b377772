"""The allocator settings: applied once, can be switched off, and change no result."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys

import pytest

from coopsim.model import allocator

_RUN = """
import hashlib
from coopsim.model import allocator
from coopsim.model.model import CoopModel
model = CoopModel(mode="governance", rng=5)
for _ in range(30):
    model.step()
print(allocator.tune(), hashlib.sha256(model.timeseries().to_csv().encode()).hexdigest())
"""


def _run(setting: str) -> tuple[str, str]:
    env = {**os.environ, "COOPSIM_TUNE_MALLOC": setting}
    out = subprocess.run(
        [sys.executable, "-c", _RUN], env=env, capture_output=True, text=True, check=True
    )
    tuned, digest = out.stdout.split()
    return tuned, digest


def test_tune_is_applied_once_and_says_whether_it_was():
    first = allocator.tune()
    assert isinstance(first, bool)
    assert allocator.tune() is first


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_switching_the_settings_off_leaves_results_as_they_are():
    on, off = _run("1"), _run("0")
    assert on[0] == "True" and off[0] == "False"
    assert on[1] == off[1]
    assert len(on[1]) == len(hashlib.sha256().hexdigest())
