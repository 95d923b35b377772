"""The page's components rendered without a browser, and the server's entry point (``serve``)."""

from __future__ import annotations

import inspect

import ipyvue
import ipyvuetify as vw
import ipywidgets
import pytest
import solara
from mesa.visualization.utils import force_update

from coopsim.viz import app
from coopsim.viz.components import (
    NetworkView,
    PlotsView,
    StatusLine,
    fire_shock,
    settings_text,
    status_text,
)
from coopsim.viz.controls import VizModel
from coopsim.viz.inspector import organisation_view
from coopsim.viz.network import NetworkFigure
from coopsim.viz.plots import panels


def status_of(rc) -> str:
    return rc.find(vw.Html, class_="coopsim-status").widget.children[0]


def images_of(rc) -> list[bytes]:
    return [w.value for w in rc.find(ipywidgets.Image).widgets]


def with_class(rc, kind, name: str) -> list:
    """The widgets of ``kind`` whose classes include ``name``."""
    return [w for w in rc.find(kind).widgets if name in (w.class_ or "").split()]


def network_of(rc):
    """The network picture's widget (a Vue template with a ``src`` and a click handler)."""
    (widget,) = [w for w in rc.find(ipyvue.VueTemplate).widgets if hasattr(w, "src")]
    return widget


def click_at(figure: NetworkFigure, organisation: int) -> dict[str, float]:
    """Where a click on ``organisation`` lands, as the page reports it."""
    width, height = figure.canvas.get_width_height()
    x, y = figure.ax.transData.transform(figure.positions[organisation])
    return {"x": x / width, "y": 1 - y / height}


def test_status_line_names_step_mode_and_last_shock():
    model = VizModel(seed="5", mode="corporatism")
    assert status_text(model).startswith("Step 0 · mode: corporatism · seed: 5")
    assert "last shock: none" in status_text(model)
    model.run_for(2)
    model.trigger_shock("demand_surge", target="business", severity=0.3)
    text = status_text(model)
    assert text.startswith("Step 2 · mode: corporatism")
    shock = model.last_shock
    assert f"last shock: demand_surge on business, severity 0.3, step {shock.step}" in text


def test_settings_line_shows_what_the_sliders_do_not():
    model = VizModel(population__business__count=9, turnover__rate=0.12, transparency=0.5)
    text = settings_text(model)
    assert "9 firms" in text
    assert "turnover 0.12" in text
    assert "transparency ×0.5" in text


def test_status_line_follows_the_model_and_shows_problems():
    model = VizModel(seed="not a seed")
    _, rc = solara.render(StatusLine(model), handle_error=False)
    assert status_of(rc).startswith("Step 0")
    warnings = rc.find(vw.Alert).widgets
    assert len(warnings) == 1
    model.step()
    force_update()
    assert status_of(rc).startswith("Step 1")


def test_network_view_redraws_on_each_step():
    model = VizModel(seed="2")
    _, rc = solara.render(NetworkView(model), handle_error=False)
    before = network_of(rc).src
    assert before.startswith("data:image/png;base64,")
    model.run_for(3)
    force_update()
    assert network_of(rc).src != before
    assert status_of(rc).startswith("Step 3")


def test_a_click_on_an_organisation_inspects_it():
    model = VizModel(seed="2")
    model.run_for(8)
    _, rc = solara.render(NetworkView(model), handle_error=False)
    figure = NetworkFigure(model)
    figure.png()
    chosen = int(model.members.organisation[model.members.live()][0])
    unselected = network_of(rc).src
    network_of(rc).vue_select({"x": 0.001, "y": 0.001})  # nothing there: nothing chosen
    assert not with_class(rc, vw.Card, "coopsim-inspector")
    network_of(rc).vue_select(click_at(figure, chosen))
    (title,) = with_class(rc, vw.Html, "coopsim-inspector-title")
    assert title.children[0].startswith(model.orgs.names[chosen] + " · ")
    assert network_of(rc).src != unselected  # ringed, its partnerships drawn on top
    model.step()
    force_update()
    assert with_class(rc, vw.Card, "coopsim-inspector")  # it follows the run
    rc.find(vw.Btn, children=["Close"]).widget.click()
    assert not with_class(rc, vw.Card, "coopsim-inspector")


def test_the_page_applies_a_mode_change_at_once(monkeypatch):
    monkeypatch.delenv(app.SCENARIO_ENV, raising=False)
    _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    select = rc.find(vw.Select, label="Governance mode").widget
    select.v_model = "statism"  # before the first step: the same start, in statism
    assert "mode: statism ·" in status_of(rc)
    assert status_of(rc).startswith("Step 0")
    rc.find(vw.Btn, children=["Step"]).widget.click()
    select.v_model = "pluralism"  # during the run: from the next month
    assert "mode: statism → pluralism from step 2" in status_of(rc)
    rc.find(vw.Btn, children=["Step"]).widget.click()
    assert "mode: pluralism ·" in status_of(rc)
    assert not with_class(rc, vw.Alert, "coopsim-pending")


def test_the_page_says_which_settings_wait_for_reset(monkeypatch):
    monkeypatch.delenv(app.SCENARIO_ENV, raising=False)
    _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    seed = rc.find(vw.TextField, label="Seed (whole number)").widget
    seed.v_model = "11"
    seed.fire_event("keyup.enter", None)  # InputText takes its value on Enter
    (pending,) = with_class(rc, vw.Alert, "coopsim-pending")
    assert "Seed: 42 → 11" in str(pending.children)
    rc.find(vw.Btn, children=["Reset"]).widget.click()
    assert "seed: 11" in status_of(rc)
    assert not with_class(rc, vw.Alert, "coopsim-pending")


def test_the_inspector_shows_each_membership_s_terms():
    model = VizModel(seed="2")
    model.run_for(8)
    row = int(model.members.live()[0])
    view = organisation_view(model, int(model.members.organisation[row]))
    (shown,) = [m for m in view.memberships if m.partnership == model.members.partnership[row]]
    assert shown.share == model.members.share[row] > 0
    assert shown.control == model.members.control[row]
    assert 0 < shown.understanding <= 1


def test_shock_button_fires_a_shock_and_the_plots_show_it():
    model = VizModel(seed="2")
    model.run_for(3)
    _, rc = solara.render(PlotsView(model), handle_error=False)
    before = images_of(rc)
    assert len(before) == 4
    rc.find(vw.Btn, children=["Shock now"]).widget.click()
    assert model.last_shock is not None
    assert model.last_shock.kind == "capacity_loss"
    after = images_of(rc)
    assert all(a != b for a, b in zip(before, after, strict=True))  # a marker on every panel


@pytest.mark.parametrize("community", [0, 4])
def test_every_plotted_series_is_a_recorded_step_output(community):
    model = VizModel(seed="3", population__community__count=community)
    model.run_for(2)
    recorded = set(model.timeseries().columns)
    plotted = [column for panel in panels(model) for column, _ in panel.series]
    assert set(plotted) <= recorded
    pairs = [c for c in plotted if c.startswith("trust_")]
    assert len(pairs) == (6 if community else 3)  # the cross-sector pairs present
    assert [p.unit_range for p in panels(model)] == [True, True, False, False]


def test_a_failing_shock_gives_a_message_and_the_page_lives_on(monkeypatch):
    model = VizModel(seed="2")

    def refuse(*args, **kwargs):
        raise ValueError("no shocks today")

    monkeypatch.setattr(model, "trigger_shock", refuse)
    _, rc = solara.render(PlotsView(model), handle_error=False)
    rc.find(vw.Btn, children=["Shock now"]).widget.click()
    alert = rc.find(vw.Alert).widget
    assert "no shocks today" in str(alert.children)
    model.step()
    force_update()
    assert len(images_of(rc)) == 4


@pytest.mark.parametrize(
    ("kind", "severity", "duration"),
    [("flood", 0.5, 3), ("budget_cut", 1.5, 3), ("budget_cut", 0.5, 0)],
)
def test_fire_shock_refuses_bad_choices(kind, severity, duration):
    model = VizModel()
    with pytest.raises(ValueError):
        fire_shock(model, kind, "all", severity, duration)
    assert model.last_shock is None


def test_each_page_builds_its_own_model(monkeypatch):
    monkeypatch.delenv(app.SCENARIO_ENV, raising=False)
    # The app layout hosts the sidebar, where SolaraViz puts its Step button.
    _, first = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    _, second = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    first.find(vw.Btn, children=["Step"]).widget.click()
    assert status_of(first).startswith("Step 1")
    assert status_of(second).startswith("Step 0")


# ---- serve ---------------------------------------------------------------------------------------
def test_serve_binds_to_loopback_by_default():
    parameters = inspect.signature(app.serve).parameters
    assert parameters["host"].default == "127.0.0.1"
    assert parameters["host"].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.0.2", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_exposure_warning_only_off_loopback(host, local):
    warning = app.exposure_warning(host, 8765)
    assert (warning is None) == local
    if warning:
        assert host in warning
        assert "127.0.0.1" in warning
        assert "--allow-origin http://ADDRESS:8765" in warning  # else browsers are refused


def test_solara_runs_offline_on_the_given_address():
    args = app.solara_arguments("127.0.0.1", 9123)
    assert args[0] == "coopsim.viz.app"
    assert args[args.index("--host") + 1] == "127.0.0.1"
    assert args[args.index("--port") + 1] == "9123"
    assert "--no-check-version" in args  # it would ask pypi.org
    assert "--no-open" in args


@pytest.fixture
def stub_solara(monkeypatch):
    """Stand-in for the Solara server: records the arguments instead of serving."""
    import solara.server.settings as server_settings
    import solara.settings as ui_settings
    from solara.__main__ import run

    calls = []
    monkeypatch.setattr(run, "main", lambda **kwargs: calls.append(kwargs))
    monkeypatch.setattr(ui_settings.assets, "cdn", ui_settings.assets.cdn)
    monkeypatch.setattr(ui_settings.assets, "proxy", ui_settings.assets.proxy)
    monkeypatch.setattr(
        server_settings.telemetry, "mixpanel_enable", server_settings.telemetry.mixpanel_enable
    )
    for name in (app.SCENARIO_ENV, "SOLARA_TELEMETRY_MIXPANEL_ENABLE", "SOLARA_ASSETS_CDN"):
        monkeypatch.setenv(name, "")
    yield calls
    app._start.cache_clear()


def test_serve_starts_solara_offline_with_the_scenario(stub_solara, tmp_path, capsys):
    import os

    import solara.server.settings as server_settings
    import solara.settings as ui_settings

    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\nseed: 3\nsteps: 10\ngovernance: {mode: statism}\n")
    app.serve(scenario, port=9124)
    (call,) = stub_solara
    assert call["args"] == app.solara_arguments("127.0.0.1", 9124)
    assert os.environ[app.SCENARIO_ENV] == str(scenario.resolve())
    assert app.start().name == "s"
    assert not server_settings.telemetry.mixpanel_enable
    assert ui_settings.assets.cdn == app.NO_CDN
    assert capsys.readouterr().err == ""


def test_serve_warns_when_exposed(stub_solara, capsys):
    app.serve(host="0.0.0.0", port=9125)
    assert "reachable from other machines" in capsys.readouterr().err


def test_serve_refuses_a_bad_scenario_before_starting(stub_solara, tmp_path):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("name: bad\nseed: 3\nsteps: 10\nunknown_key: 1\n")
    with pytest.raises(ValueError, match="unknown_key"):
        app.serve(scenario)
    assert stub_solara == []


def test_serve_refuses_a_port_in_use(stub_solara):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(OSError, match="choose another --port"):
            app.serve(port=port)
    assert stub_solara == []
