"""docs/ODD.md must not drift from the code.

Every parameter of ``parameter_table()`` has a row in the ODD's parameter table, with the code's
default, range and unit; the table documents no parameter the code no longer has; every output
the product brief names is described in the ODD's observation section and produced by the model;
and that section's output tables are those of the outputs registry (``--regenerate`` writes them).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coopsim.model import CoopModel, outputs
from coopsim.model.config import parameter_table

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"

# The output columns the product brief names (part of the user contract).
BRIEF_OUTPUTS = (
    "cooperation_rate",
    "participation_rate",
    "mean_trust",
    "active_partnerships",
    "partnerships_formed",
    "partnerships_dissolved",
    "public_value",
    "free_riding_rate",
    "transaction_costs",
    "sustainability_index",
    "partnership_survival_median",
    "shock_recovery_steps",
    "shock_depth",
)


@pytest.fixture(scope="module")
def odd() -> str:
    assert ODD.is_file(), f"{ODD} is missing"
    return ODD.read_text(encoding="utf-8")


def _section(text: str, title: str) -> str:
    """Body of the first heading whose title matches ``title``, up to the next heading of the same
    or a higher level (headings inside fenced code blocks do not count)."""
    lines = text.splitlines()
    fenced = False
    start = level = None
    for i, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        heading = None if fenced else re.match(r"^(#{1,6})\s+(.*\S)\s*$", line)
        if not heading:
            continue
        depth = len(heading.group(1))
        if start is None:
            if re.search(title, heading.group(2)):
                start, level = i + 1, depth
        elif depth <= level:
            return "\n".join(lines[start:i])
    if start is None:
        pytest.fail(f"docs/ODD.md has no heading matching {title!r}")
    return "\n".join(lines[start:])


def _cells(line: str) -> list[str]:
    """Cells of a Markdown table row (``\\|`` is an escaped pipe inside a cell)."""
    parts = re.split(r"(?<!\\)\|", line.strip())
    return [p.strip() for p in parts[1:-1]]


def _parameter_rows(text: str) -> dict[str, list[str]]:
    """The ODD's parameter table: dotted path -> cells (path, default, unit, range, ...)."""
    rows = {}
    for line in _section(text, r"^8\.1\s+Every parameter").splitlines():
        match = re.match(r"^\|\s*`([a-z_][a-z0-9_.]*)`\s*\|", line)
        if match:
            rows[match.group(1)] = _cells(line)
    return rows


def _range(row: dict) -> str | None:
    """The range cell as the ODD writes it, for numeric parameters (None for the others)."""
    low, high = row["low"], row["high"]
    if low is None and high is None:
        return None
    left = str(low) if low is not None else "−∞"
    return f"[{left}, {high}]" if high is not None else f"[{left}, ∞)"


def test_every_parameter_path_is_documented(odd):
    documented = _parameter_rows(odd)
    missing = [row["path"] for row in parameter_table() if row["path"] not in documented]
    assert not missing, (
        f"{len(missing)} parameter(s) missing from the parameter table of docs/ODD.md (§8): "
        + ", ".join(missing)
    )
    for row in parameter_table():  # and named in backticks, as the text refers to them
        assert f"`{row['path']}`" in odd


def test_documented_defaults_ranges_and_units_match_the_code(odd):
    documented = _parameter_rows(odd)
    problems = []
    for row in parameter_table():
        cells = documented.get(row["path"])
        if cells is None:
            continue  # reported by the test above
        if len(cells) < 6:
            problems.append(f"{row['path']}: expected 6 cells, found {len(cells)}")
            continue
        _, default, unit, rng, description, rationale = cells[:6]
        if default.strip("`") != str(row["default"]):
            problems.append(
                f"{row['path']}: default {default} in the ODD, {row['default']!r} in code"
            )
        expected = _range(row)
        if expected is not None and rng != expected:
            problems.append(f"{row['path']}: range {rng} in the ODD, {expected} in code")
        if row["unit"] and row["unit"] not in unit:
            problems.append(f"{row['path']}: unit {unit!r} in the ODD, {row['unit']!r} in code")
        if not description or not rationale:
            problems.append(f"{row['path']}: description or rationale is empty")
    assert not problems, "docs/ODD.md disagrees with the code:\n" + "\n".join(problems)


def test_parameter_table_documents_no_stale_parameter(odd):
    known = {row["path"] for row in parameter_table()}
    stale = sorted(set(_parameter_rows(odd)) - known)
    assert not stale, "docs/ODD.md documents parameters the code does not have: " + ", ".join(stale)


def test_observation_section_names_every_output_of_the_brief(odd):
    observation = _section(odd, r"Observation")
    missing = [name for name in BRIEF_OUTPUTS if f"`{name}`" not in observation]
    assert not missing, "outputs missing from the ODD's observation section: " + ", ".join(missing)


def test_outputs_of_the_brief_are_produced_by_the_model():
    model = CoopModel(rng=1)
    model.run_for(6)
    produced = set(model.timeseries().columns) | set(model.summary())
    missing = [name for name in BRIEF_OUTPUTS if name not in produced]
    assert not missing, "the ODD promises outputs the model does not produce: " + ", ".join(missing)


# ---- the outputs tables of §4.11, generated from the outputs registry -------------------------

OUTPUT_LEVELS = ("step", "run", "partnership")


def _outputs_block(level: str) -> re.Pattern:
    return re.compile(rf"(<!-- outputs:{level} -->\n)(.*?)(<!-- /outputs:{level} -->)", re.S)


def outputs_tables(text: str) -> str:
    """``text`` with each ``<!-- outputs:LEVEL -->`` block holding the registry's table."""
    for level in OUTPUT_LEVELS:
        table = outputs.markdown(level)
        text, count = _outputs_block(level).subn(lambda m, t=table: m[1] + t + m[3], text)
        if count != 1:
            raise ValueError(f"docs/ODD.md needs one <!-- outputs:{level} --> block, has {count}")
    return text


def test_observation_tables_are_the_outputs_registry(odd):
    observation = _section(odd, r"Observation")
    for level in OUTPUT_LEVELS:
        block = _outputs_block(level).search(observation)
        assert block, f"§4.11 has no <!-- outputs:{level} --> block"
        assert block[2] == outputs.markdown(level), (
            f"the {level} outputs table of docs/ODD.md differs from the registry: "
            "run `python tests/test_docs.py --regenerate`"
        )


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--regenerate"]:
        sys.exit("usage: python tests/test_docs.py --regenerate   (writes §4.11's output tables)")
    ODD.write_text(outputs_tables(ODD.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"{ODD}: output tables written from the outputs registry")
