"""docs/TUTORIAL.md §6 ("From Python") saved as a script, as a newcomer would save it.

As written (with the guard) it finishes; without the ``if __name__ == "__main__":`` line it stops
at once with one line saying what to do, and leaves no directory that the script did not ask for.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "TUTORIAL.md"
GUARD = 'if __name__ == "__main__":'


def section_six() -> str:
    """The Python block of the tutorial's §6."""
    text = TUTORIAL.read_text(encoding="utf-8")
    section = text.split("## 6. From Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S)[1]


def without_the_guard(code: str) -> str:
    """The block with its guard line removed and the guarded lines dedented."""
    head, guarded = code.split(GUARD, 1)
    body = guarded.split("\n", 1)[1]
    return head + textwrap.dedent(body)


def run_script(folder: Path, code: str) -> subprocess.CompletedProcess:
    (folder / "scenarios").symlink_to(ROOT / "scenarios")
    (folder / "script.py").write_text(code)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, "script.py"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def directories(folder: Path, name: str) -> list[Path]:
    return sorted((folder / name).iterdir()) if (folder / name).exists() else []


def test_section_six_holds_the_guard():
    assert GUARD in section_six()


def test_section_six_without_the_guard_stops_at_once_with_one_line(tmp_path):
    done = run_script(tmp_path, without_the_guard(section_six()))
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("coopsim: script.py:") and GUARD in line, line
    # The script's own run directory, made before compare_modes; no stray run, no comparison.
    assert len(directories(tmp_path, "runs")) == 1
    assert directories(tmp_path, "comparisons") == []


@pytest.mark.slow
def test_section_six_as_written_finishes(tmp_path):
    done = run_script(tmp_path, section_six())
    assert done.returncode == 0, done.stderr
    assert len(directories(tmp_path, "runs")) == 1
    (comparison,) = directories(tmp_path, "comparisons")
    assert '"status": "complete"' in (comparison / "metadata.json").read_text()
