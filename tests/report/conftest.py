"""Result directories for the report tests, made by the real run, compare and sweep code.

Everything is small (few organisations, few months, few seeds) so the whole module stays fast;
a shock and a reform are scheduled so the figures draw their annotations.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from coopsim.scenario import load_scenario, scenario_from_dict, scenario_to_dict

ROOT = Path(__file__).resolve().parents[2]
STEPS = 36


def small_scenario(mode: str = "statism", reform: bool = False):
    """The baseline, shortened and shrunk, with a capacity shock (and optionally a reform)."""
    data = scenario_to_dict(load_scenario(ROOT / "scenarios" / "baseline.yaml"))
    data["name"] = "report-test"
    data["steps"] = STEPS
    data["seed"] = 11
    data["population"]["government"]["count"] = 6
    data["population"]["business"]["count"] = 12
    data["population"]["civil_society"]["count"] = 10
    data["population"]["community"]["count"] = 0
    data["governance"]["mode"] = mode
    data["governance"]["switch"] = [{"at": 24, "mode": "governance"}] if reform else []
    data["shocks"] = [
        {"at": 12, "kind": "capacity_loss", "target": "government", "severity": 0.6, "duration": 6}
    ]
    data["metrics"]["window"] = 12
    data["output"]["figures"] = ["png", "svg"]
    return scenario_from_dict(data)


@pytest.fixture(scope="session")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Pristine result directories: a run, a comparison, and grid / Morris / Sobol sweeps.

    The grid sweep keeps two outputs (a heatmap panel each), the others one.
    """
    from coopsim.experiments import run_sweep
    from coopsim.runs import compare_modes, run_scenario

    root = tmp_path_factory.mktemp("made")
    out: dict[str, Path] = {}
    out["run"] = run_scenario(small_scenario("statism", reform=True), root / "runs", command="test")
    out["comparison"] = compare_modes(
        small_scenario(), seeds=2, out=root / "comparisons", workers=1, command="test"
    )
    base = scenario_to_dict(small_scenario())
    base["steps"] = 24
    sweeps = {
        "grid": {
            "design": "grid",
            "replicates": 2,
            "parameters": {
                "turnover.rate": {"low": 0.0, "high": 0.1, "num": 3},
                "governance.mode": ["statism", "governance"],
            },
        },
        "morris": {
            "design": "morris",
            "samples": 3,
            "levels": 4,
            "replicates": 1,
            "parameters": {
                "turnover.rate": {"low": 0.0, "high": 0.1},
                "incentives.sanction": {"low": 0.0, "high": 1.0},
            },
        },
        "sobol": {
            "design": "sobol",
            "samples": 2,
            "second_order": False,
            "replicates": 1,
            "parameters": {
                "turnover.rate": {"low": 0.0, "high": 0.1},
                "incentives.sanction": {"low": 0.0, "high": 1.0},
            },
        },
    }
    for name, block in sweeps.items():
        outputs = ["sustainability_index", "mean_trust"] if name == "grid" else ["mean_trust"]
        block = {**block, "seed": 3, "outputs": outputs}
        spec = {"name": f"report-{name}", "scenario": base, "sweep": block}
        out[f"sweep_{name}"] = run_sweep(
            spec, workers=1, out=root / "sweeps", progress=False, command="test"
        )
    return out


@pytest.fixture
def fresh(made: dict[str, Path], tmp_path: Path):
    """A private copy of one made directory (tests may write into it)."""

    def copy(kind: str) -> Path:
        target = tmp_path / "results" / made[kind].name
        shutil.copytree(made[kind], target)
        return target

    return copy


def _check_png(data: bytes, minimum: tuple[int, int] = (300, 600)) -> None:
    """A PNG of at least ``minimum`` (height, width) pixels with visible content."""
    assert data.startswith(b"\x89PNG"), "not a PNG"
    image = matplotlib.image.imread(io.BytesIO(data), format="png")
    assert image.shape[0] >= minimum[0] and image.shape[1] >= minimum[1], image.shape
    assert float(np.std(image[..., :3])) > 0.05, "a blank image"


@pytest.fixture(scope="session")
def check_png():
    """``check_png(data)``: assert that ``data`` is a PNG with visible content."""
    return _check_png
