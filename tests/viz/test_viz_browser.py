"""The app in headless Chromium: offline, one model per session, controls act, shocks show."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from coopsim.viz.controls import initial_values, starting_point

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
