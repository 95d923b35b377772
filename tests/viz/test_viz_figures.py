"""The network and the live plots: stable layout, the right ties, cheap frames that stay correct."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from coopsim.model.partnerships import ACTIVE, DISSOLVED
from coopsim.model.sectors import SECTORS
from coopsim.viz.controls import VizModel
from coopsim.viz.network import (
    FADE_STEPS,
    HIT_COLOUR,
    NetworkFigure,
    active_groups,
    dissolved_groups,
    sector_layout,
)
from coopsim.viz.plots import PanelFigure, TimeseriesPanels, panels, sector_pairs
from coopsim.viz.render import nice_ceiling, step_ceiling

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@pytest.fixture(scope="module")
def run():
    """A four-sector model whose partnerships formed, then a trust shock dissolved many."""
    model = VizModel(seed="3", population__community__count=10, mode="governance")
    model.run_for(30)
    model.trigger_shock("trust_shock", target="all", severity=1.0)
    model.run_for(8)
    return model


# ---- layout -------------------------------------------------------------------------------------
def test_layout_is_seeded_stable_and_inside_the_picture():
    sector = np.repeat(np.arange(4), [10, 30, 25, 5]).astype(np.int8)
    a = sector_layout(sector, seed=1)
    assert a.shape == (70, 2)
    assert np.all((a >= 0.0) & (a <= 1.0))
    np.testing.assert_array_equal(a, sector_layout(sector, seed=1))
    assert not np.array_equal(a, sector_layout(sector, seed=2))
    assert len(np.unique(a.round(9), axis=0)) == 70  # no two organisations on one spot


def test_layout_groups_organisations_by_sector():
    sector = np.repeat(np.arange(4), [12, 30, 25, 8]).astype(np.int8)
    pos = sector_layout(sector, seed=0)
    centres = np.array([pos[sector == s].mean(axis=0) for s in range(4)])
    radii = np.array(
        [np.linalg.norm(pos[sector == s] - centres[s], axis=1).max() for s in range(4)]
    )
    for s in range(4):
        for u in range(s + 1, 4):
            assert np.linalg.norm(centres[s] - centres[u]) > radii[s] + radii[u]


@pytest.mark.parametrize("counts", [[0, 0, 0, 0], [5, 0, 0, 0], [1, 1, 0, 0], [0, 300, 0, 1]])
def test_layout_handles_small_and_lopsided_populations(counts):
    sector = np.repeat(np.arange(4), counts).astype(np.int8)
    pos = sector_layout(sector, seed=0)
    assert pos.shape == (sum(counts), 2)
    assert np.all(np.isfinite(pos))
    assert np.all((pos >= 0.0) & (pos <= 1.0))


# ---- partnerships as groups -------------------------------------------------------------------
def test_active_groups_are_the_active_partnerships_and_their_members(run):
    groups = active_groups(run)
    table, members = run.partnerships_table, run.members
    expected = {}
    for p in np.flatnonzero(table.view("status") == ACTIVE):
        rows = np.flatnonzero(members.view("active") & (members.view("partnership") == p))
        expected[int(p)] = sorted(members.organisation[rows].tolist())
    assert sorted(groups.ids.tolist()) == sorted(expected)
    found = {
        int(p): sorted(groups.organisation[groups.hub == k].tolist())
        for k, p in enumerate(groups.ids)
    }
    assert found == expected
    assert np.all((groups.value >= 0) & (groups.value <= 1))
    # a member's value is its mean effective trust in its co-members
    k = 0
    mates = groups.organisation[(groups.hub == groups.hub[k]) & (np.arange(len(groups)) != k)]
    own = run.trust_between(np.full(len(mates), groups.organisation[k]), mates)
    assert groups.value[k] == pytest.approx(own.mean() if len(mates) else 0.3)
    hubs = groups.hubs(NetworkFigure(run).positions)
    assert hubs.shape == (len(groups.ids), 2) and np.all((hubs >= 0) & (hubs <= 1))


def test_dissolved_groups_are_recent(run):
    old = dissolved_groups(run)
    table = run.partnerships_table
    recent = (table.view("status") == DISSOLVED) & (table.view("ended") >= run.steps - FADE_STEPS)
    assert recent.any(), "the fixture run should dissolve partnerships"
    assert sorted(old.ids.tolist()) == np.flatnonzero(recent).tolist()
    assert np.all((old.value >= 0) & (old.value <= FADE_STEPS))


def test_an_organisation_is_found_where_it_is_drawn_and_ringed(run):
    figure = NetworkFigure(run)
    plain = figure.png()
    width, height = figure.canvas.get_width_height()
    for chosen in (0, run.orgs.n // 2, run.orgs.n - 1):
        x, y = figure.ax.transData.transform(figure.positions[chosen])
        assert figure.organisation_at(x / width, 1 - y / height) == chosen
    assert figure.organisation_at(0.0, 0.0) is None  # a corner: nobody there
    groups = active_groups(run)
    chosen = int(groups.organisation[0])
    figure.selected = chosen
    ringed = figure.png()
    assert not np.array_equal(pixels(plain), pixels(ringed))
    np.testing.assert_allclose(figure.ring.get_offsets(), figure.positions[[chosen]])
    mine = np.isin(groups.hub, groups.hub[groups.organisation == chosen])
    assert len(figure.focus.get_segments()) == int(mine.sum())
    figure.selected = None
    assert np.array_equal(pixels(figure.png()), pixels(plain))
    assert figure.full_draws == 1  # choosing redraws only what moves


# ---- the network figure -------------------------------------------------------------------------
def test_the_network_never_moves_and_frames_are_cheap():
    model = VizModel(seed="4")
    figure = NetworkFigure(model)
    before = figure.positions.copy()
    first = figure.png()
    assert first.startswith(PNG_MAGIC)
    for _ in range(15):
        model.step()
        frame = figure.png()
    np.testing.assert_array_equal(figure.positions, before)
    np.testing.assert_array_equal(figure.nodes.get_offsets(), before)
    assert figure.full_draws == 1  # legend and axes drawn once, ties and nodes blitted
    assert not np.array_equal(pixels(first), pixels(frame))


def test_a_blitted_network_frame_equals_a_fresh_drawing(run):
    figure = NetworkFigure(run)
    figure.png()
    np.testing.assert_array_equal(pixels(figure.png()), pixels(NetworkFigure(run).png()))


def test_a_capacity_shock_marks_and_shrinks_the_organisations_hit():
    model = VizModel(seed="4")
    model.step()
    figure = NetworkFigure(model)
    figure.png()
    sizes = figure.nodes.get_sizes().copy()
    model.trigger_shock("capacity_loss", target="government", severity=0.6)
    figure.png()
    gov = model.orgs.sector == SECTORS.index("government")
    edges = figure.nodes.get_edgecolors()
    assert np.allclose(edges[gov][:, :3], 0.0)  # HIT_COLOUR is black
    assert HIT_COLOUR == "black"
    assert np.all(edges[~gov][:, :3] == 1.0)
    np.testing.assert_allclose(figure.nodes.get_sizes()[gov], 0.4 * sizes[gov])


def test_an_empty_population_draws():
    model = VizModel(**{f"population__{s}__count": 0 for s in SECTORS})
    figure = NetworkFigure(model)
    model.step()
    assert figure.png().startswith(PNG_MAGIC)


# ---- the plots ----------------------------------------------------------------------------------
def test_panels_show_the_asked_series(run):
    columns = [c for panel in panels(run) for c, _ in panel.series]
    for name in (
        "cooperation_rate",
        "participation_rate",
        "mean_trust",
        "public_value",
        "active_partnerships",
    ):
        assert name in columns
    pairs = [c for c, _, _ in sector_pairs(run)]
    assert len(pairs) == 6  # four sectors: every cross-sector pair
    assert set(pairs) <= set(run.timeseries().columns)
    assert set(pairs) <= set(columns)


def test_plot_lines_hold_the_time_series(run):
    figures = TimeseriesPanels(run)
    images = figures.pngs()
    assert len(images) == 4
    assert all(i.startswith(PNG_MAGIC) for i in images)
    ts = run.timeseries()
    for figure in figures.figures:
        for column, line in figure.lines.items():
            np.testing.assert_array_equal(line.get_xdata(), ts["step"])
            np.testing.assert_array_equal(line.get_ydata(), ts[column])
        assert figure.ax.get_xlim()[1] >= ts["step"].iloc[-1]


def test_plots_redraw_in_full_only_when_an_axis_or_a_marker_changes():
    model = VizModel(seed="4")
    figures = TimeseriesPanels(model)
    figures.pngs()
    model.run_for(30)
    figures.pngs()
    counts = [f.full_draws for f in figures.figures]
    for _ in range(5):  # steps 31-35: the x axis stays at 60 months
        model.step()
        figures.pngs()
    assert [f.full_draws for f in figures.figures] <= [c + 1 for c in counts]
    model.trigger_shock("budget_cut")
    before = [f.full_draws for f in figures.figures]
    figures.pngs()
    assert [f.full_draws for f in figures.figures] == [b + 1 for b in before]
    for figure in figures.figures:
        assert any(line.get_linestyle() == ":" for line in figure.ax.get_lines())


def test_a_blitted_plot_frame_equals_a_fresh_drawing():
    model = VizModel(seed="6")
    figure = PanelFigure(model, panels(model)[1])
    figure.png()
    model.run_for(20)
    model.trigger_shock("trust_shock", target="business")
    model.run_for(5)
    for _ in range(3):
        figure.png()
        model.step()
    np.testing.assert_array_equal(
        pixels(figure.png()), pixels(PanelFigure(model, panels(model)[1]).png())
    )


def test_a_change_of_mode_is_marked():
    model = VizModel(seed="2", mode="statism")
    model.step()
    from coopsim.model.modes import make_mode

    model.mode = make_mode("governance")
    model.run_for(2)
    figures = TimeseriesPanels(model)
    figures.pngs()
    value_panel = figures.figures[2]
    assert [t.get_text() for t in value_panel.ax.texts if t.get_text().startswith("→")] == [
        "→ governance"
    ]


# ---- axis limits --------------------------------------------------------------------------------
@given(st.floats(min_value=1e-6, max_value=1e9))
def test_nice_ceiling_is_above_and_near(value):
    top = nice_ceiling(value)
    assert value <= top * (1 + 1e-9)
    assert top <= 2.0 * value * (1 + 1e-9)


@given(st.integers(min_value=0, max_value=10**7))
def test_step_ceiling_is_above_and_near(step):
    end = step_ceiling(step)
    assert end >= step
    assert end <= max(24, 2.5 * step)
