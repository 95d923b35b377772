"""write_report on each kind of directory: the files, their sections, and nothing else written."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from coopsim.report import ReportError, detect_kind, write_report

# The Sobol sweep's figures are drawn in test_report_figures; its report adds nothing new here.
KINDS = ("run", "comparison", "sweep_grid", "sweep_morris")
FIGURES = {
    "run": [
        "indicators",
        "public_value",
        "sector_trust",
        "terms",
        "cumulative_incidence",
        "survival",
        "dissolution_causes",
    ],
    "comparison": [
        "comparison",
        "indicators",
        "public_value",
        "sector_trust",
        "terms",
        "cumulative_incidence",
        "survival",
        "dissolution_causes",
    ],
    "sweep_grid": ["heatmap", "main_effects_sustainability_index", "main_effects_mean_trust"],
}
FIGURES["sweep_morris"] = ["heatmap", "main_effects_mean_trust", "sensitivity_morris"]
ENDS = "Partnership ends (competing risks)"
SECTIONS = {
    "run": ["Overview", "Summary", ENDS, "Figures", "Provenance"],
    "comparison": [
        "Overview",
        "Summary",
        "Differences between modes",
        ENDS,
        "Figures",
        "Provenance",
    ],
    "sweep_grid": ["Overview", "Summary", "Heatmaps", "Main effects", "Provenance"],
}
SECTIONS["sweep_morris"] = [*SECTIONS["sweep_grid"], "Sensitivity"]


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root``: size and modification time."""
    out = {}
    for path in root.rglob("*"):
        if path.is_file():
            stat = path.stat()
            out[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return out


@pytest.fixture(scope="module")
def reports(made, tmp_path_factory):
    """Each made directory copied beside a bystander file, then reported on from an empty cwd.

    The run goes through the real command (``coopsim report DIR``: PNG and SVG, as its
    scenario's ``output.figures`` asks), the others through the API with PNG only, to keep the
    module fast.
    """
    from coopsim.cli import app

    out = {}
    home = os.getcwd()
    for kind in KINDS:
        area = tmp_path_factory.mktemp(f"report-{kind}")
        directory = area / "results" / made[kind].name
        shutil.copytree(made[kind], directory)
        (area / "bystander.txt").write_text("untouched\n")
        cwd = area / "cwd"
        cwd.mkdir()
        before_dir = snapshot(directory)
        before_area = {k: v for k, v in snapshot(area).items() if not k.startswith("results/")}
        os.chdir(cwd)
        try:
            if kind == "run":
                result = CliRunner().invoke(app, ["report", str(directory)])
                assert result.exit_code == 0, result.output
                returned = Path(result.stdout.strip().splitlines()[-1])
            else:  # PNG only: the run's report (above) and test_report_figures cover SVG
                returned = write_report(directory, formats=("png",))
        finally:
            os.chdir(home)
        after_area = {k: v for k, v in snapshot(area).items() if not k.startswith("results/")}
        out[kind] = {
            "dir": directory,
            "returned": returned,
            "before_dir": before_dir,
            "after_dir": snapshot(directory),
            "before_area": before_area,
            "after_area": after_area,
            "cwd": sorted(os.listdir(cwd)),
        }
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_report_files_and_figures(reports, kind, check_png):
    info = reports[kind]
    directory = info["dir"]
    assert detect_kind(directory) == ("sweep" if kind.startswith("sweep") else kind)
    assert info["returned"] == directory / "report.html"
    assert (directory / "report.html").stat().st_size > 10_000
    assert (directory / "report.md").stat().st_size > 500
    for name in FIGURES[kind]:
        check_png((directory / "figures" / f"{name}.png").read_bytes())
        if kind == "run":
            svg = (directory / "figures" / f"{name}.svg").read_text(encoding="utf-8")
            assert "<svg" in svg and len(svg) > 5_000


@pytest.mark.parametrize("kind", KINDS)
def test_report_sections(reports, kind):
    directory = reports[kind]["dir"]
    markdown = (directory / "report.md").read_text(encoding="utf-8")
    page = (directory / "report.html").read_text(encoding="utf-8")
    headings = re.findall(r"^#{2,3} (.+)$", markdown, flags=re.MULTILINE)
    for section in SECTIONS[kind]:
        assert section in headings, (section, headings)
        assert f">{section}</h" in page
    assert "could not be drawn" not in markdown
    assert markdown.startswith("# coopsim ")
    # a summary table with a header row and numbers in it
    assert re.search(r"^\| (Indicator|Output) \|", markdown, flags=re.MULTILINE)


@pytest.mark.parametrize("kind", KINDS)
def test_html_is_self_contained(reports, kind, check_png):
    directory = reports[kind]["dir"]
    page = (directory / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "a remote resource"
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == len(FIGURES[kind])
    for data in images:
        check_png(base64.b64decode(data))


@pytest.mark.parametrize("kind", KINDS)
def test_markdown_links_resolve(reports, kind):
    directory = reports[kind]["dir"]
    markdown = (directory / "report.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((figures/[^)]+)\)", markdown)
    assert {f"figures/{n}.png" for n in FIGURES[kind]} <= set(links)
    for link in links:
        assert (directory / link).is_file(), link


@pytest.mark.parametrize("kind", KINDS)
def test_nothing_is_written_outside_the_directory(reports, kind):
    info = reports[kind]
    assert info["after_area"] == info["before_area"], "files changed beside the directory"
    assert info["cwd"] == [], "files written into the working directory"
    before, after = info["before_dir"], info["after_dir"]
    for name, stat in before.items():
        assert after.get(name) == stat, f"{name} was changed"
    new = sorted(set(after) - set(before))
    assert all(n in ("report.html", "report.md") or n.startswith("figures/") for n in new), new
    assert not [n for n in after if n.endswith(".tmp") or "/." in f"/{n}"], "temporary files left"


def test_comparison_report_has_the_table_and_effects(reports):
    markdown = (reports["comparison"]["dir"] / "report.md").read_text(encoding="utf-8")
    header = next(line for line in markdown.splitlines() if line.startswith("| Indicator | Unit"))
    for mode in ("statism", "pluralism", "corporatism", "governance"):
        assert mode in header
    assert re.search(r"\| Sustainability index \| 0–1 \| [0-9.]+ \[[0-9.]+, [0-9.]+\]", markdown)
    assert "A12" in markdown and "statism − pluralism" in markdown


@pytest.mark.parametrize("kind", ["run", "comparison"])
def test_report_shows_partnership_ends_as_competing_risks(reports, kind):
    """The cumulative incidence figure and table, τ and the restricted means; the Kaplan–Meier
    kept but called what it is: dissolution-specific survival, completions censored."""
    markdown = (reports[kind]["dir"] / "report.md").read_text(encoding="utf-8")
    section = markdown.split(f"### {ENDS}")[1].split("\n## ")[0]
    assert "(`metrics.survival_horizon`)" in section and "τ = " in section
    header = next(line for line in section.splitlines() if "Completed F(t)" in line)
    assert "Dissolved F(t)" in header and "Not yet ended S(t)" in header
    assert "Dissolution-specific survival, completions censored" in header
    assert "*Dissolution-specific survival, completions censored (Kaplan–Meier" in section
    table = section.split("*Dissolution-specific survival, completions censored (")[0]
    rows = [line for line in table.splitlines() if re.match(r"^\| (\w+ \| )?\d+ \| ", line)]
    assert rows, "no row of the cumulative incidence table"
    for row in rows:  # completed + dissolved + not yet ended = 1, to the digits shown
        cells = [c.strip() for c in row.strip("|").split("|")]
        shown = [float(c) for c in cells[-4:-1] if c != "—"]
        assert not shown or sum(shown) == pytest.approx(1, abs=0.005)
    figures = markdown.split("## Figures")[1]
    assert "Cumulative incidence of partnership ends (competing risks)" in figures
    assert "Dissolution-specific survival, completions censored" in figures
    for name in ("Restricted mean partnership life", "Time lost to dissolution"):
        assert re.search(rf"^\| {name} \|", markdown, flags=re.MULTILINE)


def test_report_again_over_a_changed_directory(reports, tmp_path):
    """A second report replaces the first; a partial sweep says so."""
    directory = tmp_path / "sweep"
    shutil.copytree(reports["sweep_grid"]["dir"], directory)
    meta = json.loads((directory / "metadata.json").read_text())
    meta["status"] = "interrupted"
    (directory / "metadata.json").write_text(json.dumps(meta))
    parts = sorted((directory / "results").glob("part-*.parquet"))
    parts[-1].unlink()
    kept = sum(len(pd.read_parquet(p)) for p in parts[:-1])
    files_before = sorted(p.name for p in (directory / "figures").iterdir())
    write_report(directory, formats=("png",))
    assert sorted(p.name for p in (directory / "figures").iterdir()) == files_before
    markdown = (directory / "report.md").read_text(encoding="utf-8")
    assert "status is 'interrupted'" in markdown
    assert f"| Runs | {kept} finished, 0 failed, 12 planned |" in markdown


def test_not_a_result_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ReportError, match="not a run, comparison or sweep"):
        write_report(tmp_path)
    with pytest.raises(ReportError, match="no such directory"):
        detect_kind(tmp_path / "missing")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


# --------------------------------------------------------------------------------------------------
# The output settings act (issue 18, trap 4)


def _with_output(made: Path, tmp_path: Path, **output) -> Path:
    """A copy of the made run directory whose resolved scenario's ``output`` is changed."""
    import yaml

    directory = tmp_path / made.name
    shutil.copytree(made, directory, ignore=shutil.ignore_patterns("figures", "report.*"))
    scenario = yaml.safe_load((directory / "scenario.yaml").read_text(encoding="utf-8"))
    scenario["output"].update(output)
    (directory / "scenario.yaml").write_text(yaml.safe_dump(scenario), encoding="utf-8")
    return directory


def _figure_files(directory: Path) -> list[str]:
    folder = directory / "figures"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_no_figure_formats_draw_no_figures(made, tmp_path):
    directory = _with_output(made["run"], tmp_path, figures=[])
    returned = write_report(directory)
    assert _figure_files(directory) == []
    markdown = (directory / "report.md").read_text(encoding="utf-8")
    assert "No figures: this directory's scenario sets `output.figures: []`" in markdown
    assert "figures/" not in markdown
    assert "data:image/png" not in returned.read_text(encoding="utf-8")


def test_png_alone_writes_png_alone(made, tmp_path):
    directory = _with_output(made["run"], tmp_path, figures=["png"])
    write_report(directory)
    files = _figure_files(directory)
    assert files and all(name.endswith(".png") for name in files)


def test_svg_alone_is_linked_from_the_markdown(made, tmp_path):
    directory = _with_output(made["run"], tmp_path, figures=["svg"], report="markdown")
    write_report(directory)
    assert all(name.endswith(".svg") for name in _figure_files(directory))
    markdown = (directory / "report.md").read_text(encoding="utf-8")
    assert "![" in markdown and "figures/indicators.svg" in markdown


@pytest.mark.parametrize(
    ("report", "written"),
    [
        ("markdown", ["report.md"]),
        ("html", ["report.html"]),
        ("both", ["report.html", "report.md"]),
    ],
)
def test_the_report_setting_decides_which_reports(made, tmp_path, report, written):
    directory = _with_output(made["run"], tmp_path, report=report)
    returned = write_report(directory)
    assert sorted(p.name for p in directory.glob("report.*")) == written
    assert returned.name == written[0]


def test_a_run_whose_scenario_says_no_report_writes_none(made, tmp_path, monkeypatch):
    from coopsim.cli import app

    directory = _with_output(made["run"], tmp_path, report="none")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["run", str(directory / "scenario.yaml"), "--out", "runs"])
    assert result.exit_code == 0, result.output
    (run,) = (tmp_path / "runs").iterdir()
    assert list(run.glob("report.*")) == [] and _figure_files(run) == []
    # asked for explicitly, a report is written (both kinds)
    result = CliRunner().invoke(app, ["report", str(run)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in run.glob("report.*")) == ["report.html", "report.md"]


# --------------------------------------------------------------------------------------------------
# Reports stay inside their directory; a scenario's text carries no markup (issue 19, finding 6)


@pytest.mark.parametrize("link", ["figures", "report.md", "figures/indicators.png"])
def test_a_link_out_of_the_directory_is_refused_before_anything_is_written(made, tmp_path, link):
    directory = tmp_path / made["run"].name
    shutil.copytree(made["run"], directory, ignore=shutil.ignore_patterns("figures", "report.*"))
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "precious.txt"
    victim.write_text("keep me")
    if link == "figures":
        (directory / "figures").symlink_to(outside, target_is_directory=True)
    else:
        (directory / link).parent.mkdir(exist_ok=True)
        (directory / link).symlink_to(victim)
    before = sorted(p.name for p in directory.iterdir())
    result = CliRunner().invoke(cli_app, ["report", str(directory)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "symbolic link" in lines[0] and "remove the link" in lines[0]
    assert sorted(p.name for p in outside.iterdir()) == ["precious.txt"]
    assert victim.read_text() == "keep me"
    assert sorted(p.name for p in directory.iterdir()) == before


from coopsim.cli import app as cli_app  # noqa: E402

HOSTILE = (
    "Plain words. <img src=x onerror=alert(1)><script>alert(2)</script> "
    "![tracker](https://attacker.example/pixel.png) `<b>code</b>` "
    "\x1b[2J\x1b]0;owned\x07\x1b[31mred\x1b[0m\x07bell\x08\rreturn \u202eevil"
)


def test_a_descriptions_html_images_and_escapes_are_shown_as_text(made, tmp_path):
    import yaml

    directory = _with_output(made["run"], tmp_path, report="both")
    scenario = yaml.safe_load((directory / "scenario.yaml").read_text(encoding="utf-8"))
    scenario["description"] = HOSTILE
    (directory / "scenario.yaml").write_text(yaml.safe_dump(scenario), encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["report", str(directory)])
    assert result.exit_code == 0, result.output
    for name in ("report.md", "report.html"):
        text = (directory / name).read_text(encoding="utf-8")
        assert "Plain words." in text
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text), name
        assert not re.search(r"(?<!\\)<(script|img src=x|b>)", text), name  # no raw HTML
        if name == "report.md":  # no Markdown image or link survives
            assert not re.search(r"(?<!\\)\]\(https://attacker", text)
        assert not re.search(r"""src=["']?https?:""", text), name
    markdown = (directory / "report.md").read_text(encoding="utf-8")
    assert r"\!\[tracker\](https://attacker.example/pixel.png)" in markdown
    assert r"\<script\>" in markdown
    assert "&lt;script&gt;" in (directory / "report.html").read_text(encoding="utf-8")


def test_terminal_messages_carry_no_escape_sequences(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\x1b]0;owned\x07\nsteps: \x1b[2Jmany\n", encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["run", str(bad)])
    assert result.exit_code == 2
    assert result.output.strip()
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", result.output), repr(result.output)
