"""``coopsim decompose`` on the command line: bad input is one line and exit 2 with nothing
written; a hybrid scenario keeps its own slots and says so; the report draws the waterfall."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from coopsim.cli import app

TINY = """\
name: tiny
seed: 5
steps: 12
population:
  government: {count: 2}
  business: {count: 3}
  civil_society: {count: 3}
metrics: {window: 6}
output: {figures: [png], report: markdown}
"""
HYBRID = (
    TINY
    + """\
governance:
  mode: pluralism
  rules: {payoff: pluralism, choice: statism, scope: governance}
"""
)
REFORM = TINY + "governance:\n  switch: [{at: 6, mode: corporatism}]\n"
MODES = "statism, pluralism, corporatism, governance"


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("tiny.yaml").write_text(TINY)
    Path("hybrid.yaml").write_text(HYBRID)
    Path("reform.yaml").write_text(REFORM)
    Path("empty").mkdir()
    return tmp_path


@pytest.fixture
def runner():
    return CliRunner()


GOOD = ["tiny.yaml", "--from", "statism", "--to", "governance"]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["tiny.yaml", "--from", "anarchy", "--to", "governance"],
            f"coopsim: --from: unknown governance mode 'anarchy'; choose from {MODES}",
        ),
        (
            ["tiny.yaml", "--from", "statism", "--to", "market"],
            f"coopsim: --to: unknown governance mode 'market'; choose from {MODES}",
        ),
        (
            ["tiny.yaml", "--from", "statism", "--to", "statism"],
            "coopsim: --to: the same mode as the first (statism): name two different modes",
        ),
        (
            ["tiny.yaml", "--from", "statism"],
            f"coopsim: --to: name a governance mode, one of {MODES}",
        ),
        (
            [*GOOD, "--outputs", "sustainability_index,mean_trus"],
            "coopsim: --outputs: 'mean_trus' is not a numeric run output of the model: did you "
            "mean 'mean_trust'?",
        ),
        (
            ["reform.yaml", "--from", "statism", "--to", "governance"],
            "coopsim: reform.yaml: governance.switch: the scenario changes mode during the run (at "
            "step 6); a decomposition compares two modes over the whole run: remove the reforms",
        ),
        (
            [],
            "coopsim: decompose needs a SCENARIO.yaml file with --from and --to (or --resume DIR)",
        ),
        (["--resume", "nowhere"], "coopsim: --resume nowhere: no such directory"),
        (
            ["--resume", "empty"],
            "coopsim: --resume: empty: not a decomposition directory (no sweep.yaml)",
        ),
    ],
    ids=[
        "unknown-from",
        "unknown-to",
        "equal-modes",
        "missing-to",
        "unknown-output",
        "reform",
        "nothing",
        "no-directory",
        "not-a-decomposition",
    ],
)
def test_bad_input_is_one_line_and_exit_2(here, runner, args, line):
    result = runner.invoke(app, ["decompose", *args, "--out", "out"])
    assert result.exit_code == 2, result.output
    assert result.stderr == line + "\n"
    assert result.stdout == ""
    assert not (here / "out").exists()


@pytest.mark.parametrize("seeds", ["0", "-3", "ten", "10001", "2.5"])
def test_a_bad_seed_count_is_one_line_and_exit_2(here, runner, seeds):
    result = runner.invoke(app, ["decompose", *GOOD, "--seeds", seeds, "--out", "out"])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("coopsim decompose: --seeds: ")
    assert not (here / "out").exists()


def test_a_hybrid_scenario_holds_its_slots_and_says_so(here, runner):
    args = [*GOOD[1:], "--seeds", "2", "--outputs", "sustainability_index,mean_trust"]
    result = runner.invoke(app, ["decompose", "hybrid.yaml", *args, "--workers", "1"])
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert (
        "compared 4 slots: boundary, position, aggregation, information; held fixed by the "
        "scenario's governance.rules: choice (statism), payoff (pluralism), scope (governance)"
    ) in result.stderr
    meta = json.loads((path / "metadata.json").read_text())
    assert meta["decomposition"]["held"] == {
        "choice": "statism",
        "payoff": "pluralism",
        "scope": "governance",
    }
    assert meta["decomposition"]["compared"] == [
        "boundary",
        "position",
        "aggregation",
        "information",
    ]
    design = pd.read_parquet(path / "design.parquet")
    assert len(design) == 16 * 2
    assert [c for c in design if c.startswith("governance.")] == [
        f"governance.rules.{s}" for s in ("boundary", "position", "aggregation", "information")
    ]
    effects = pd.read_parquet(path / "effects.parquet")
    assert list(effects["slot"].unique()) == ["boundary", "position", "aggregation", "information"]
    report = (path / "report.md").read_text()
    assert "| Slots held fixed | choice (the statism rule" in report
    assert "| Slots compared | 4: boundary" in report
    assert (path / "figures" / "waterfall_sustainability_index.png").is_file()
    # `coopsim report` draws it again, byte for byte.
    first = {p.name: p.read_bytes() for p in [path / "report.md", *(path / "figures").iterdir()]}
    again = runner.invoke(app, ["report", str(path)])
    assert again.exit_code == 0, again.output
    assert {
        p.name: p.read_bytes() for p in [path / "report.md", *(path / "figures").iterdir()]
    } == first


def test_an_interrupted_decomposition_says_how_to_resume(here, runner, monkeypatch):
    from coopsim.experiments import SweepInterrupted

    kept = here / "decompositions" / "kept"

    def interrupted(spec, **options):
        kept.mkdir(parents=True)
        raise SweepInterrupted(kept, 3, 256, options["kind"])

    monkeypatch.setattr("coopsim.experiments.decomposition.run_sweep", interrupted)
    result = runner.invoke(app, ["decompose", *GOOD, "--seeds", "2"])
    assert result.exit_code == 1
    assert f"resume with: coopsim decompose --resume {kept}" in result.stderr
    assert result.stdout.strip() == str(kept)


def test_the_waterfall_walks_from_one_mode_to_the_other():
    from coopsim.report.decomposition import plot_waterfall

    effects = pd.DataFrame(
        {
            "output": "mean_trust",
            "slot": ["boundary", "payoff"],
            "from_rule": ["Agencies", "AuthorityShares"],
            "to_rule": ["Open", "AgreedShares"],
            "shapley": [0.25, -0.05],
            "shapley_low": [0.2, -0.1],
            "shapley_high": [0.3, 0.0],
        }
    )
    totals = pd.DataFrame(
        [
            {
                "output": "mean_trust",
                "from_mode": "statism",
                "to_mode": "governance",
                **{
                    f"{n}{e}": v
                    for n, v in (("from_value", 0.3), ("to_value", 0.5), ("difference", 0.2))
                    for e in ("", "_low", "_high")
                },
                "interaction_share": 0.1,
            }
        ]
    )
    fig = plot_waterfall(effects, totals, "mean_trust", note="2 seeds × 120 months")
    bars = [p for p in fig.axes[0].patches if p.get_width() > 0.5]
    tops = [b.get_y() + b.get_height() for b in bars]
    assert tops == pytest.approx([0.3, 0.55, 0.5, 0.5])
    whiskers = [
        y for c in fig.axes[0].collections for y in sorted(y for _, y in c.get_segments()[0])
    ]  # each top's interval: the ends' own, a slot's shifted by where its bar starts
    assert whiskers == pytest.approx([0.3, 0.3, 0.5, 0.6, 0.45, 0.55, 0.5, 0.5])
    assert "120 months" in fig.axes[0].get_title()
