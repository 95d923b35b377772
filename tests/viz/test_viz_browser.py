"""The app in headless Chromium at 1280 × 720 (a projector): offline, one model per session,
controls act and show their values, a mode change applies at once, organisations can be
inspected, shocks show, and none of Mesa's generic page is left over."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from coopsim.viz.controls import VizModel, control_values, initial_values, starting_point
from coopsim.viz.network import NetworkFigure

pytestmark = pytest.mark.browser


def test_the_page_loads_offline_with_the_scenarios_values(open_app, demo_scenario):
    start = starting_point(demo_scenario)
    values = initial_values(start)
    app = open_app()
    status = app.status()
    assert f"mode: {values['mode']}" in status
    assert f"seed: {start.seed}" in status
    assert f"{start.config.population.size} organisations" in status
    assert f"{values['population__community__count']} citizen groups" in app.settings()
    assert f"turnover {values['turnover__rate']:.2f}" in app.settings()
    assert app.page.get_by_label("Seed (whole number)").input_value() == str(start.seed)
    assert f"coopsim · {start.name}" in app.page.locator(".v-toolbar__title").inner_text()
    app.step()
    app.page.wait_for_timeout(300)
    assert app.requests, "no request was recorded"
    outside = app.outside_requests()
    assert outside == [], f"requests left the machine: {outside}"
    assert app.failures == [], f"requests failed: {app.failures}"
    assert any(url.startswith("ws://127.0.0.1") for url in app.requests)


def test_another_mode_changes_the_plots(open_app):
    app = open_app()
    assert "mode: corporatism" in app.status()
    start = app.digests()
    app.step(3)
    app.wait_images_change(start)
    corporatism = app.settled_digests()
    app.choose("Governance mode", "statism")
    app.reset()
    assert "mode: statism" in app.status()
    app.wait_images_change(corporatism)
    app.step(3)
    statism = app.settled_digests()
    assert statism != corporatism
    assert statism != start


def test_reset_with_another_seed_and_with_a_bad_one(open_app):
    app = open_app()
    network = app.digests(".coopsim-network-image")
    app.step(2)
    app.type_into("Seed (whole number)", "11")
    app.reset()
    app.wait_status("seed: 11")
    # Another seed draws other organisations: the network is laid out and sized anew.
    assert app.wait_images_change(network, ".coopsim-network-image") != network
    # A value that is no seed: a message in the page, the scenario's seed, and the app lives on.
    app.type_into("Seed (whole number)", "twelve")
    app.reset()
    problem = app.page.locator(".coopsim-problem")
    problem.wait_for()
    assert "whole number" in problem.inner_text()
    app.wait_status("seed: 7")
    app.step(2)
    assert app.status().startswith("Step 2 ")


def test_two_sessions_do_not_share_a_model(open_app):
    first, second = open_app(), open_app()
    first.step(3)
    second.page.wait_for_timeout(500)
    assert first.status().startswith("Step 3 ")
    assert second.status().startswith("Step 0 ")
    second.step()
    assert second.status().startswith("Step 1 ")
    assert first.status().startswith("Step 3 ")


def test_a_shock_from_the_page_shows_in_status_and_plots(open_app):
    app = open_app()
    app.step(2)
    plots = app.settled_digests()
    app.choose("Shock kind", "budget_cut")
    app.button("Shock now").click()
    app.wait_status("last shock: budget_cut on all")
    app.wait_images_change(plots, every=True)  # a marker on every panel
    app.step()
    assert "last shock: budget_cut" in app.status()


def test_play_and_pause(open_app):
    app = open_app()
    app.button("▶").click()
    app.page.wait_for_function(
        "() => Number(document.querySelector('.coopsim-status').innerText.split(' ')[1]) >= 3"
    )
    app.button("❚❚").click()
    expect(app.button("Step")).to_be_enabled(timeout=30_000)  # disabled while playing
    app.page.wait_for_timeout(800)  # let a step under way finish
    paused = app.status()
    app.page.wait_for_timeout(800)
    assert app.status() == paused
    app.step()


def test_screenshot(open_app, tmp_path):
    """The picture for the docs: set COOPSIM_VIZ_SCREENSHOT=docs/img/viz.png to keep it."""
    app = open_app()
    app.step(18)
    app.choose("Shock kind", "trust_shock")
    app.button("Shock now").click()
    app.wait_status("last shock: trust_shock")
    app.step(14)
    app.page.wait_for_timeout(500)
    target = Path(os.environ.get("COOPSIM_VIZ_SCREENSHOT") or tmp_path / "viz.png")
    target.parent.mkdir(parents=True, exist_ok=True)
    app.page.screenshot(path=str(target))
    assert target.stat().st_size > 50_000


# ---- a teacher at a projector (issue 18, trap 5) -----------------------------------------------
def test_the_page_fits_a_projector_and_shows_no_leftovers(open_app, demo_scenario):
    app = open_app()
    page = app.page
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1280, f"the page scrolls sideways ({width} px)"
    for selector in (".coopsim-network-image", ".coopsim-plot-image"):
        for box in [
            page.locator(selector).nth(i).bounding_box()
            for i in range(page.locator(selector).count())
        ]:
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1280 + 1, (selector, box)
            assert box["y"] + box["height"] <= 720 + 1, (selector, box)
    text = page.locator("body").inner_text()
    for leftover in ("PAGE 0", "Page 0", "Use Threads", "Information:", "Time:", "runs on Solara"):
        assert leftover not in text, leftover
    assert page.locator(".v-tab").count() == 0


def test_slider_values_are_visible_and_sliders_are_wide(open_app, demo_scenario):
    values = initial_values(starting_point(demo_scenario))
    app = open_app()
    labels = app.page.locator(".coopsim-setting-label").all_inner_texts()
    assert f"Firms: {values['population__business__count']}" in labels
    assert f"Staff turnover (chance per month): {values['turnover__rate']:g}" in labels
    assert "Severity: 0.5" in labels and "Duration: 12 months" in labels
    settings = app.page.locator(".coopsim-setting")
    for i in range(settings.count()):
        track = settings.nth(i).locator(".v-slider").bounding_box()
        assert track["width"] >= 180, (labels[i], track)


def test_a_mode_change_applies_at_once(open_app):
    app = open_app()
    app.choose("Governance mode", "statism")  # before the first step: the run starts over
    app.wait_status("mode: statism ")
    app.step(2)
    plots = app.settled_digests()
    app.choose("Governance mode", "governance")  # during the run: from the next month
    app.wait_status("mode: statism → governance from step 3")
    app.step()
    app.wait_status("mode: governance ")
    app.wait_images_change(plots)  # the change is marked on the plots
    assert app.page.locator(".coopsim-pending").count() == 0  # nothing waits for Reset
    app.reset()  # Reset keeps the chosen mode
    app.wait_status("mode: governance ")


def test_settings_say_they_wait_for_reset(open_app, demo_scenario):
    firms = initial_values(starting_point(demo_scenario))["population__business__count"]
    app = open_app()
    slider = app.page.locator(".coopsim-setting").filter(has_text="Firms:").get_by_role("slider")
    slider.press("ArrowRight")
    pending = app.page.locator(".coopsim-pending")
    pending.wait_for()
    assert f"Firms: {firms} → {firms + 1}" in pending.inner_text()
    assert f"{firms} firms" in app.settings()
    app.reset()
    expect(pending).to_have_count(0)
    assert f"{firms + 1} firms" in app.settings()


def _click_point(demo_scenario, organisation: int) -> tuple[float, float]:
    """Where ``organisation`` is drawn, as fractions of the picture (the same start, seed and
    layout as the served app's)."""
    figure = NetworkFigure(VizModel(**control_values(starting_point(demo_scenario))))
    figure.png()
    width, height = figure.canvas.get_width_height()
    x, y = figure.ax.transData.transform(figure.positions[organisation])
    return x / width, 1 - y / height


def test_an_organisation_is_inspected_by_a_click(open_app, demo_scenario):
    app = open_app()
    app.step(6)
    model = VizModel(**control_values(starting_point(demo_scenario)))
    model.run_for(6)
    members = model.members.organisation[model.members.live()]
    chosen = int(members[0])  # one in a partnership at step 6
    x, y = _click_point(demo_scenario, chosen)
    image = app.page.locator(".coopsim-network-image")
    before = app.digests(".coopsim-network-image")
    box = image.bounding_box()
    image.click(position={"x": box["width"] * x, "y": box["height"] * y})
    inspector = app.page.locator(".coopsim-inspector")
    inspector.wait_for()
    text = inspector.inner_text()
    assert model.orgs.names[chosen] in text
    assert "trust in them" in text and "their trust in it" in text
    assert "agreed share" in text and "control of the objective" in text  # its terms
    app.wait_images_change(before, ".coopsim-network-image")  # ringed, its partnerships on top
    app.step()  # the inspector follows the run
    assert model.orgs.names[chosen] in inspector.inner_text()
    app.button("Close").click()
    expect(inspector).to_have_count(0)


def test_the_rule_slots_are_controls_and_a_hybrid_is_shown(open_app):
    """Every rule slot is a control (a hybrid starts on Reset); the mode card names a hybrid."""
    app = open_app()
    text = app.page.locator("body").inner_text()
    for slot in ("Boundary", "Position", "Choice", "Aggregation", "Information", "Payoff", "Scope"):
        assert f"{slot} rule" in text, slot
    app.choose("Payoff rule", "statism")
    app.page.get_by_text("Press Reset to start a run with").wait_for()
    app.page.get_by_role("button", name="Reset").click()
    app.page.locator(".coopsim-hybrid").wait_for()
    assert "payoff rule of statism" in app.page.locator(".coopsim-hybrid").inner_text()
