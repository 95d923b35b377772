"""The ``coopsim`` command, through the real console script and in process (Typer's runner)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from coopsim.cli import app
from coopsim.model import outputs

REPO = Path(__file__).resolve().parents[2]
BUNDLED = sorted((REPO / "scenarios").glob("*.yaml"))
COOPSIM = Path(sys.executable).with_name("coopsim")
SMALL = """\
name: small
seed: 3
steps: 12
population: {government: {count: 3}, business: {count: 5}}
metrics: {window: 6}
"""

LONG = "a" * 300  # longer than a file name may be (255 bytes on common systems)

# Issue 3's "must show" list: (file name, content or None for a path that cannot be read,
# the line expected on stderr).
BAD = {
    "misspelt key": (
        "bad.yaml",
        "name: a\ntrust:\n  gian: 0.1\n",
        "bad.yaml:3:3: trust.gian: unknown key: did you mean 'gain'?",
    ),
    "wrong type": (
        "bad.yaml",
        "name: a\nsteps: many\n",
        "bad.yaml:2:8: steps: must be a whole number (got 'many')",
    ),
    "unknown mode": (
        "bad.yaml",
        "name: a\ngovernance:\n  mode: anarchy\n",
        "bad.yaml:3:9: governance.mode: must be one of 'statism', 'pluralism', 'corporatism' or "
        "'governance' (got 'anarchy')",
    ),
    "negative count": (
        "bad.yaml",
        "name: a\npopulation:\n  business:\n    count: -5\n",
        "bad.yaml:4:12: population.business.count: must be at least 0 (got -5)",
    ),
    "missing name": (
        "bad.yaml",
        "steps: 12\n",
        "bad.yaml:1:1: name: required: a slug naming the scenario (e.g. name: kobe-1995)",
    ),
    "empty file": ("bad.yaml", "", "bad.yaml: the file is empty"),
    "top-level list": (
        "bad.yaml",
        "- name: a\n",
        "bad.yaml:1:1: the top level must be a mapping of keys",
    ),
    "python tag": (
        "bad.yaml",
        "name: !!python/object/apply:os.system ['touch owned']\n",
        "bad.yaml:1:7: the tag !!python/object/apply:os.system is not allowed: scenario files "
        "hold plain data only, nothing in them is executed or imported",
    ),
    "unreadable path": ("missing.yaml", None, "missing.yaml: no such file"),
    "directory": ("adir", None, "adir: is a directory, not a file"),
    "name too long": (
        LONG + ".yaml",
        None,
        f"{LONG}.yaml: cannot read the file: File name too long",
    ),
    "yaml trap": (
        "bad.yaml",
        "name: a\nshocks:\n  - {at: 3, target: no}\n",
        "YAML reads an unquoted no as the boolean false: write 'no' in quotes",
    ),
}


def write_case(directory: Path, case: str) -> str:
    name, content, _ = BAD[case]
    if content is not None:
        (directory / name).write_text(content)
    elif name == "adir":
        (directory / name).mkdir()
    return name


def run_coopsim(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "COOPSIM_DEBUG"}
    return subprocess.run(
        [str(COOPSIM), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@pytest.fixture
def runner():
    return CliRunner()


def test_the_console_script_exists():
    assert COOPSIM.exists(), "the coopsim console script is installed next to python"


# --------------------------------------------------------------------------------------------------
# Bad input: exit 2, the specified message, no traceback


@pytest.fixture(scope="module")
def real_command_results(tmp_path_factory):
    """Every bad case through its own ``coopsim validate`` process, all started at once."""
    env = {k: v for k, v in os.environ.items() if k != "COOPSIM_DEBUG"}
    started = {}
    for case in BAD:
        directory = tmp_path_factory.mktemp("bad")
        name = write_case(directory, case)
        started[case] = (
            directory,
            subprocess.Popen(
                [str(COOPSIM), "validate", name],
                cwd=directory,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            ),
        )
    results = {}
    for case, (directory, process) in started.items():
        stdout, stderr = process.communicate(timeout=180)
        results[case] = (directory, process.returncode, stdout, stderr)
    return results


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_through_the_real_command(real_command_results, case):
    directory, returncode, stdout, stderr = real_command_results[case]
    assert returncode == 2, stderr
    assert BAD[case][2] in stderr
    assert "Traceback" not in stderr and not stdout
    assert not (directory / "owned").exists()


def test_bad_run_through_the_real_command(tmp_path):
    name = write_case(tmp_path, "python tag")
    done = run_coopsim("run", name, "--out", "runs", cwd=tmp_path)
    assert done.returncode == 2 and BAD["python tag"][2] in done.stderr
    assert "Traceback" not in done.stderr and not done.stdout
    assert not (tmp_path / "runs").exists() and not (tmp_path / "owned").exists()


@pytest.mark.parametrize("command", ["validate", "run", "compare"])
@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_in_process(tmp_path, monkeypatch, runner, case, command):
    monkeypatch.chdir(tmp_path)
    name = write_case(tmp_path, case)
    result = runner.invoke(app, [command, name])
    assert result.exit_code == 2, result.output
    assert BAD[case][2] in result.stderr
    assert "Traceback" not in result.stderr and not result.stdout
    assert not (tmp_path / "runs").exists() and not (tmp_path / "comparisons").exists()


def test_every_problem_of_a_file_is_listed_once(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "name: Bad Name\nsteps: -1\npopulation:\n  goverment: {count: 2}\n"
    )
    done = run_coopsim("run", "bad.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "bad.yaml:1:7: name: must be a slug: lowercase letters, digits, '-' and '_', starting "
        "with a letter or digit, at most 64 characters (e.g. kobe-1995) (got 'Bad Name')",
        "bad.yaml:2:8: steps: must be at least 1 (got -1)",
        "bad.yaml:4:3: population.goverment: unknown key: did you mean 'government'?",
    ]


def test_bad_overrides_and_options_name_their_source(tmp_path, monkeypatch, runner):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(SMALL)
    result = runner.invoke(app, ["run", "s.yaml", "--set", "trust.gain=lots", "--mode", "chaos"])
    assert result.exit_code == 2
    assert sorted(result.stderr.splitlines()) == [
        "--mode chaos: governance.mode: must be one of 'statism', 'pluralism', 'corporatism' or "
        "'governance' (got 'chaos')",
        "--set trust.gain=lots: trust.gain: must be a number (got 'lots')",
    ]
    result = runner.invoke(app, ["compare", "s.yaml", "--modes", "statism,chaos"])
    assert result.exit_code == 2 and "--modes: unknown mode 'chaos'" in result.stderr
    for args in (["compare", "s.yaml", "--seeds", "0"], ["run"], ["frobnicate"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, args
        assert "Traceback" not in result.output


def test_output_parent_that_is_a_file(tmp_path, monkeypatch, runner):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(SMALL)
    (tmp_path / "taken").write_text("not a directory")
    result = runner.invoke(app, ["run", "s.yaml", "--out", "taken"])
    assert result.exit_code == 2 and "taken exists and is not a directory" in result.stderr


def test_validate_reports_each_file(tmp_path, monkeypatch, runner):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.yaml").write_text(SMALL)
    (tmp_path / "bad.yaml").write_text("name: a\nsteps: x\n")
    result = runner.invoke(app, ["validate", "good.yaml", "bad.yaml"])
    assert result.exit_code == 2
    assert result.stdout.startswith("good.yaml: ok (small: 33 organisations, 12 steps")
    assert result.stderr.startswith("bad.yaml:2:8: steps:")
    assert runner.invoke(app, ["validate", "good.yaml"]).exit_code == 0


# --------------------------------------------------------------------------------------------------
# The library, validate, schema


def test_bundled_scenarios_validate_through_the_real_command():
    done = run_coopsim("validate", *map(str, BUNDLED), cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == len(BUNDLED)
    assert not done.stderr


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenarios_run_in_process(tmp_path, runner, path):
    out = tmp_path / "runs"
    result = runner.invoke(
        app, ["run", str(path), "--steps", "6", "--out", str(out), "--no-report"]
    )
    assert result.exit_code == 0, result.output
    run_dir = Path(result.stdout.strip())
    assert run_dir.parent == out
    assert len(pd.read_parquet(run_dir / "timeseries.parquet")) == 6


def test_run_through_the_real_command(tmp_path):
    done = run_coopsim(
        "run", str(REPO / "scenarios" / "baseline.yaml"), "--steps", "8", "--seed", "5",
        "--mode", "pluralism", "--set", "trust.gain=0.1", "--out", "out", "--no-report",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    path = tmp_path / done.stdout.strip()
    assert done.stdout.strip().startswith("out/") and path.is_dir()
    meta = json.loads((path / "metadata.json").read_text())
    assert meta["seed"] == 5 and meta["mode"] == "pluralism"
    assert meta["command"].startswith("coopsim run ") and "--set trust.gain=0.1" in meta["command"]
    assert "gain: 0.1" in (path / "scenario.yaml").read_text()


def test_schema_prints_the_json_schema(runner):
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["required"] == ["name"]
    assert "population" in schema["properties"]


def test_outputs_lists_the_registry(runner):
    result = runner.invoke(app, ["outputs", "run", "--names"])
    assert result.exit_code == 0
    assert tuple(result.stdout.split()) == outputs.names("run")
    result = runner.invoke(app, ["outputs"])
    assert result.exit_code == 0
    assert "## step outputs" in result.stdout and "## partnership outputs" in result.stdout
    assert "| `trust_<a>_<b>` |" in result.stdout  # a family is one row
    assert outputs.markdown("run") in result.stdout
    result = runner.invoke(app, ["outputs", "steps"])
    assert result.exit_code == 2 and "unknown level 'steps'" in result.stderr


def test_compare_in_process(tmp_path, monkeypatch, runner):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(SMALL)
    args = "compare s.yaml --modes statism,governance --seeds 2 --workers 1 --no-report"
    result = runner.invoke(app, args.split())
    assert result.exit_code == 0, result.output
    path = tmp_path / result.stdout.strip()
    assert path.parent == tmp_path / "comparisons"
    assert set(pd.read_parquet(path / "timeseries.parquet")["mode"]) == {"statism", "governance"}
    assert "sustainability_index" in result.stderr  # the short table


# --------------------------------------------------------------------------------------------------
# Other commands


def test_dock_json_is_the_last_line(runner):
    result = runner.invoke(
        app, ["dock", "nowak-may", "--b", "1.9", "--size", "20", "--generations", "10", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert "cooperator_share" in data and data["parameters"]["size"] == 20


def test_dock_table_and_bad_options(runner):
    result = runner.invoke(app, ["dock", "hauert-optional", "--generations", "20"])
    assert result.exit_code == 0 and "published" in result.stdout
    result = runner.invoke(app, ["dock", "nowak-may", "--eta", "0.5"])
    assert result.exit_code == 2 and "nowak-may does not take --eta" in result.stderr
    result = runner.invoke(app, ["dock", "prisoners"])
    assert result.exit_code == 2 and "unknown benchmark" in result.stderr
    result = runner.invoke(app, ["dock", "santos-pgg", "--graph", "ring", "--n", "20"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_missing_parts_say_they_are_not_available(tmp_path, monkeypatch, runner):
    """Until the browser app, sweeps or reports exist, their commands say so (exit 1)."""
    monkeypatch.setitem(sys.modules, "coopsim.viz.app", None)
    result = runner.invoke(app, ["viz"])
    assert result.exit_code == 1
    assert "the browser visualisation: not available yet" in result.stderr
    monkeypatch.setitem(sys.modules, "coopsim.experiments", None)
    (tmp_path / "s.yaml").write_text("base: x.yaml\nsweep: {}\n")
    result = runner.invoke(app, ["sweep", str(tmp_path / "s.yaml")])
    assert result.exit_code == 1
    assert "parameter sweeps: not available yet" in result.stderr
    monkeypatch.setitem(sys.modules, "coopsim.report", None)
    (tmp_path / "metadata.json").write_text("{}")
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 1 and "the report: not available yet" in result.stderr
    assert "Traceback" not in result.output


def test_sweep_and_viz_check_their_input_first(tmp_path, runner):
    result = runner.invoke(app, ["sweep"])
    assert result.exit_code == 2 and "sweep needs a SWEEP.yaml file" in result.stderr
    result = runner.invoke(app, ["sweep", "--resume", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no such directory" in result.stderr
    (tmp_path / "bad.yaml").write_text("name: a\nsteps: x\n")
    result = runner.invoke(app, ["viz", str(tmp_path / "bad.yaml")])
    assert result.exit_code == 2 and "steps: must be a whole number" in result.stderr


def test_report_of_a_missing_directory(tmp_path, runner):
    result = runner.invoke(app, ["report", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no such directory" in result.stderr
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "not a coopsim result directory" in result.stderr


def test_version(runner):
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("coopsim ")


def test_unexpected_errors_exit_1_without_traceback(tmp_path, monkeypatch, runner):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(SMALL)

    def boom(*args, **kwargs):
        raise RuntimeError("the model broke")

    monkeypatch.setattr("coopsim.runs.run_scenario", boom)
    result = runner.invoke(app, ["run", "s.yaml"])
    assert result.exit_code == 1
    assert "coopsim: error: RuntimeError: the model broke" in result.stderr
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------------------------------
# Ctrl-C


def interrupt(tmp_path: Path, args: list[str], folder: str, after: float, sig: int = signal.SIGINT):
    """Start ``coopsim *args``, wait for its output directory, send Ctrl-C (or ``sig``)
    ``after`` seconds later; (exit code, stdout, stderr, path of its metadata.json)."""
    env = {k: v for k, v in os.environ.items() if k != "COOPSIM_DEBUG"}
    process = subprocess.Popen(
        [str(COOPSIM), *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    metadata = None
    while time.monotonic() < deadline and metadata is None:
        found = list((tmp_path / folder).glob("*/metadata.json"))
        metadata = found[0] if found else None
        time.sleep(0.1)
    assert metadata is not None, "the output directory appears at the start"
    time.sleep(after)
    process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr
    return process.returncode, stdout, stderr, metadata


def test_ctrl_c_on_compare_keeps_finished_runs(tmp_path):
    (tmp_path / "s.yaml").write_text(SMALL.replace("steps: 12", "steps: 400"))
    args = ["compare", "s.yaml", "--seeds", "6", "--workers", "2", "--no-report"]
    code, stdout, stderr, metadata = interrupt(tmp_path, args, "comparisons", after=2.0)
    meta = json.loads(metadata.read_text())
    if meta["status"] == "complete":
        pytest.skip("the comparison finished before Ctrl-C arrived")
    assert code == 1
    assert meta["status"] == "interrupted"
    assert "interrupted after" in stderr and "what finished is kept in" in stderr
    assert Path(tmp_path / stdout.strip()) == metadata.parent
    summaries = pd.read_parquet(metadata.parent / "summaries.parquet")
    assert len(summaries) == meta["runs_completed"] < meta["runs_planned"]


# --------------------------------------------------------------------------------------------------
# Report at the end of a run, and the demo


def test_run_writes_its_report(tmp_path, monkeypatch, runner):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(SMALL)
    result = runner.invoke(app, ["run", "s.yaml"])
    assert result.exit_code == 0, result.output
    path = tmp_path / result.stdout.strip()
    assert "report: " in result.stderr
    assert any(path.glob("report.*")) and any((path / "figures").iterdir())


def test_a_failing_report_keeps_the_results(tmp_path, monkeypatch, runner):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(SMALL)

    def broken(directory):
        raise RuntimeError("no fonts")

    monkeypatch.setattr("coopsim.report.write_report", broken)
    result = runner.invoke(app, ["run", "s.yaml"])
    assert result.exit_code == 1
    path = tmp_path / result.stdout.strip()
    assert (path / "timeseries.parquet").exists()
    assert "the results are saved, but the report failed: RuntimeError: no fonts" in result.stderr


def test_demo_compares_the_baseline_and_decomposes_a_difference(tmp_path, monkeypatch, capsys):
    from coopsim import demo

    monkeypatch.chdir(tmp_path)
    assert demo.main(["1", "12"]) == 0  # 1 seed per mode; the decomposition's runs 12 months
    printed = capsys.readouterr().out
    assert "Results:" in printed and "comparison.csv" in printed
    (path,) = (tmp_path / "comparisons").iterdir()
    meta = json.loads((path / "metadata.json").read_text())
    assert meta["modes"] == ["statism", "pluralism", "corporatism", "governance"]
    assert meta["status"] == "complete" and meta["command"].startswith("coopsim compare ")
    (path,) = (tmp_path / "decompositions").iterdir()
    meta = json.loads((path / "metadata.json").read_text())
    assert meta["kind"] == "decomposition" and meta["status"] == "complete"
    assert (
        meta["decomposition"]["from"] == "statism" and meta["decomposition"]["to"] == "governance"
    )
    assert meta["decomposition"]["steps"] == 12 and meta["decomposition"]["scenario_steps"] == 240
    assert meta["runs_planned"] == 128 * 2
    assert (
        f"Figure:     decompositions/{path.name}/figures/waterfall_sustainability_index.png"
        in printed
    )


# --------------------------------------------------------------------------------------------------
# Sweeps

SWEEP = """\
base: s.yaml
sweep:
  design: grid
  samples: 5
  parameters:
    governance.mode: [statism, governance]
  outputs: [mean_trust]
"""
UNUSED_SAMPLES = "sweep.yaml: warning: sweep.samples: a grid's size is the product of its values"


@pytest.fixture
def sweep_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(SMALL)
    (tmp_path / "sweep.yaml").write_text(SWEEP)
    return tmp_path


def test_sweep_and_validate_show_the_sweep_files_warnings(sweep_dir, runner):
    result = runner.invoke(app, ["sweep", "sweep.yaml", "--workers", "1", "--out", "out"])
    assert result.exit_code == 0, result.output
    assert (sweep_dir / result.stdout.strip()).parent == sweep_dir / "out"
    assert UNUSED_SAMPLES in result.stderr
    result = runner.invoke(app, ["validate", "sweep.yaml"])
    assert result.exit_code == 0 and result.stdout == "sweep.yaml: ok (sweep)\n"
    assert UNUSED_SAMPLES in result.stderr


def test_sweep_with_an_unknown_executor_is_a_usage_error(sweep_dir, runner):
    result = runner.invoke(app, ["sweep", "sweep.yaml", "--executor", "threads", "--out", "out"])
    assert result.exit_code == 2
    assert "coopsim: --executor: unknown executor 'threads'" in result.stderr
    assert not (sweep_dir / "out").exists()  # refused before anything is written


def test_sweep_on_an_executor_this_installation_lacks_exits_1(sweep_dir, monkeypatch, runner):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed
    result = runner.invoke(app, ["sweep", "sweep.yaml", "--executor", "dask", "--out", "out"])
    assert result.exit_code == 1
    assert 'coopsim: Dask is not installed: pip install "coopsim[dask]"' in result.stderr
    assert "Traceback" not in result.output
    assert not (sweep_dir / "out").exists()  # the executor starts before anything is written


@pytest.mark.parametrize("executor", [[], ["--executor", "dask"]], ids=["processes", "dask"])
def test_an_executor_that_cannot_start_leaves_no_sweep_directory(
    sweep_dir, monkeypatch, runner, executor
):
    from coopsim.executors import ExecutorUnavailable

    def unavailable(*args):
        raise ExecutorUnavailable("no workers can start here")

    monkeypatch.setattr("coopsim.experiments.runner.make_executor", unavailable)
    result = runner.invoke(app, ["sweep", "sweep.yaml", "--out", "out", *executor])
    assert result.exit_code == 1
    assert "coopsim: no workers can start here\n" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert not (sweep_dir / "out").exists()


def test_paths_too_long_for_the_file_system_are_bad_input(sweep_dir, runner):
    Path("long.yaml").write_text(SWEEP.replace("base: s.yaml", f"base: {LONG}.yaml"))
    for args in (["validate", "long.yaml"], ["sweep", "long.yaml", "--out", "out"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "long.yaml:1:7: base: cannot read the file: File name too long" in result.stderr
        assert "Traceback" not in result.output and not result.stdout
    assert not (sweep_dir / "out").exists()
    for args, message in (
        (["sweep", "--resume", LONG], f"coopsim: --resume {LONG}: cannot use this path: "),
        (["report", LONG], f"coopsim: {LONG}: cannot use this path: "),
        (
            ["run", "s.yaml", "--out", LONG],
            f"coopsim: --out: {LONG}: cannot create the directory: ",
        ),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert message + "File name too long\n" in result.stderr
        assert "Traceback" not in result.output and not result.stdout


def test_an_interrupted_sweep_says_how_to_resume(sweep_dir, monkeypatch, runner):
    from coopsim.experiments import SweepInterrupted

    kept = sweep_dir / "sweeps" / "kept"

    def interrupted(spec, **options):
        raise SweepInterrupted(kept, 1, 2)

    monkeypatch.setattr("coopsim.experiments.run_sweep", interrupted)
    result = runner.invoke(app, ["sweep", "sweep.yaml"])
    assert result.exit_code == 1
    assert result.stdout.strip() == str(kept)
    assert f"resume with: coopsim sweep {kept / 'sweep.yaml'} --resume {kept}" in result.stderr


def test_schema_of_sweep_files(runner):
    result = runner.invoke(app, ["schema", "--sweep"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["required"] == ["sweep"] and "parameters" in json.dumps(schema)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_on_a_real_run_keeps_the_steps_done_and_says_so(tmp_path, sig):
    """SIGTERM (`timeout`, systemd, Slurm, `docker stop`) ends a run as Ctrl-C does."""
    (tmp_path / "s.yaml").write_text(SMALL.replace("steps: 12", "steps: 200000"))
    code, stdout, stderr, metadata = interrupt(
        tmp_path, ["run", "s.yaml"], "runs", after=1.5, sig=sig
    )
    assert code == 1
    assert "interrupted after" in stderr and "steps" in stderr
    meta = json.loads(metadata.read_text())
    assert meta["status"] == "interrupted"
    done = pd.read_parquet(metadata.parent / "timeseries.parquet")
    assert 0 < len(done) == meta["steps_completed"] < 200000
    assert str(metadata.parent.name) in stdout  # the run directory, for scripts


def test_compare_refuses_more_seeds_than_its_limit(tmp_path):
    (tmp_path / "s.yaml").write_text(SMALL)
    result = run_coopsim("compare", "s.yaml", "--seeds", "10001", cwd=tmp_path)
    assert result.returncode == 2
    assert "--seeds" in result.stderr and "10000" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "comparisons").exists()


def test_set_with_resume_is_refused_not_ignored(sweep_dir, runner):
    """Issue 19, finding 1: `--resume DIR --set steps=5` used to ignore the --set silently."""
    done = runner.invoke(app, ["sweep", "sweep.yaml", "--workers", "1", "--out", "out"])
    assert done.exit_code == 0, done.output
    directory = done.stdout.strip()
    result = runner.invoke(app, ["sweep", "--resume", directory, "--set", "steps=5"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "coopsim: --set: cannot change a sweep while resuming it; start a new sweep with the "
        "changed values"
    ]


# --------------------------------------------------------------------------------------------------
# Every door answers bad usage in one line with exit 2 (issue 18, trap 6)

DOORS = {
    "no seeds": (["compare", "s.yaml", "--seeds", "0"], "coopsim compare: --seeds: must be"),
    "seeds not a number": (["compare", "s.yaml", "--seeds", "abc"], "--seeds: must be"),
    "missing argument": (["compare"], "coopsim compare: Missing argument 'SCENARIO.yaml'"),
    "no such option": (["run", "s.yaml", "--sed", "3"], "No such option: --sed"),
    "no such command": (["frobnicate"], "No such command 'frobnicate'"),
    "scenario given to sweep": (["sweep", "s.yaml"], "s.yaml:1:1: a scenario file, not a sweep"),
    "--set on the sweep block": (
        ["sweep", "sweep.yaml", "--set", "sweep.replicates=2"],
        "--set sweep.replicates=2: --set changes the base scenario, which has no `sweep`",
    ),
    "tab in YAML": (
        ["validate", "tab.yaml"],
        "tab.yaml:3:1: YAML syntax error: a tab character; YAML indents with spaces",
    ),
    "sweep without parameters": (
        ["sweep", "null.yaml"],
        "null.yaml:3:14: sweep.parameters: name at least one parameter to vary",
    ),
}


@pytest.fixture(scope="module")
def door_results(tmp_path_factory):
    """Each door through its own ``coopsim`` process, all started at once."""
    folder = tmp_path_factory.mktemp("doors")
    (folder / "s.yaml").write_text(SMALL)
    (folder / "sweep.yaml").write_text(SWEEP)
    (folder / "tab.yaml").write_text("name: tabbed\npopulation:\n\tgovernment: {count: 3}\n")
    (folder / "null.yaml").write_text("base: s.yaml\nsweep:\n  parameters:\n")
    env = {k: v for k, v in os.environ.items() if k != "COOPSIM_DEBUG"}
    started = {
        case: subprocess.Popen(
            [str(COOPSIM), *args],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for case, (args, _) in DOORS.items()
    }
    results = {case: (p.wait(timeout=180), *p.communicate()) for case, p in started.items()}
    return folder, results


@pytest.mark.parametrize("case", list(DOORS))
def test_every_door_answers_bad_input_in_one_line(door_results, case):
    folder, results = door_results
    returncode, stdout, stderr = results[case]
    assert returncode == 2, stderr
    (line,) = stderr.splitlines()
    assert DOORS[case][1] in line
    assert stdout == ""
    assert not (folder / "sweeps").exists() and not (folder / "comparisons").exists()


def test_usage_errors_are_one_line_in_process_too(runner):
    result = runner.invoke(app, ["compare", "s.yaml", "--seeds", "0"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "coopsim compare: --seeds: must be greater than or equal to 1 (see coopsim compare --help)"
    ]


def test_coopsim_alone_prints_its_help(runner):
    result = runner.invoke(app, [])
    assert result.exit_code == 2 and "Commands" in result.output


def test_viz_on_a_port_in_use_is_one_line_and_exit_2(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_coopsim("viz", "--port", str(port), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"coopsim: --port {port}: cannot listen on 127.0.0.1:{port} (Address already in use): "
        "choose another --port (or stop what uses it)"
    ]


# --------------------------------------------------------------------------------------------------
# What validates runs (issue 19, finding 7): paths that are not UTF-8, docking sizes


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file names are always UTF-8")
@pytest.mark.parametrize("where", ["scenario", "out"])
def test_a_path_that_is_not_utf8_is_one_line_and_exit_2_before_any_directory(tmp_path, where):
    bad = os.fsdecode(b"bad\xff")
    good = tmp_path / "small.yaml"
    good.write_text(SMALL)
    if where == "scenario":
        (tmp_path / (bad + ".yaml")).write_text(SMALL)
        args = ("run", bad + ".yaml")
    else:
        args = ("run", str(good), "--out", bad)
    done = run_coopsim(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "coopsim: bad\ufffd"
        + (".yaml" if where == "scenario" else "")
        + ": not valid UTF-8 (coopsim records paths in UTF-8 files): rename it"
    ]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowak-may", "--size", "100000"], "size must be an integer in [3, 2,000]"),
        (["nowak-may", "--generations", "10000000"], "generations must be an integer in [1,"),
        (["santos-pgg", "--n", "10000000"], "n must be at most 100,000"),
        (["santos-pgg", "--graphs", "100000"], "graphs must be an integer in [1, 1,000]"),
        (["hauert-optional", "--population", "100000000"], "population must be at most"),
        (["hauert-optional", "--group-size", "5000"], "group_size must be an integer in [2,"),
    ],
)
def test_dock_sizes_are_capped_with_one_line(runner, args, message):
    result = runner.invoke(app, ["dock", *args])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
