"""Browser-test fixtures: the app served on a free local port, and headless Debian Chromium.

The app runs as a subprocess (``python -m coopsim.viz``, i.e. ``serve``) started from a scenario
file, exactly as ``coopsim viz`` starts it. Playwright drives ``/usr/bin/chromium``; it never
downloads a browser. Without that binary the browser tests are skipped, saying why.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
VIEWPORT = {"width": 1280, "height": 720}  # a projector: the app must fit it
TIMEOUT_MS = 30_000

DEMO_SCENARIO = """\
name: viz-demo
description: >
  A small mixed population of agencies, firms, NGOs and citizen groups under corporatism:
  press Step or Play, fire a shock, change the mode and press Reset.
seed: 7
steps: 120
governance:
  mode: corporatism
population:
  government: {count: 10}
  business: {count: 24}
  civil_society: {count: 20}
  community: {count: 8}
turnover:
  rate: 0.06
"""

_DIGESTS_JS = """async (selector) => {
  const out = [];
  for (const img of document.querySelectorAll(selector)) {
    const data = await (await fetch(img.src)).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
    out.push(Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""));
  }
  return out;
}"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_local(url: str) -> bool:
    """Whether a request stays on this machine (loopback, or data:/blob: in the page)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob"):
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname in LOCAL_HOSTS


@pytest.fixture(scope="session")
def demo_scenario(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("viz") / "viz-demo.yaml"
    path.write_text(DEMO_SCENARIO)
    return path


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip(
            "browser tests need Debian's Chromium at /usr/bin/chromium "
            "(`make browser-deps`, or `apt-get install chromium`)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def viz_url(chromium, demo_scenario, tmp_path_factory):
    """The app, served from the demo scenario on a free port of 127.0.0.1."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("viz-server") / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "coopsim.viz", str(demo_scenario), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"the app exited ({server.returncode}):\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the app did not answer within 90 s:\n{log_path.read_text()}")
            time.sleep(0.25)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class AppPage:
    """One browser session of the app, with every request it made recorded."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.requests: list[str] = []
        self.failures: list[str] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.context.on("requestfailed", lambda r: self.failures.append(f"failed {r.url}"))
        self.context.on(
            "response",
            lambda r: self.failures.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        self.page = self.context.new_page()
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))
        self.page.goto(url)
        self.wait_status("Step 0")
        self.page.locator(".coopsim-plot-image").nth(3).wait_for()

    def close(self) -> None:
        self.context.close()

    # ---- reading -------------------------------------------------------------------------------
    def status(self) -> str:
        return self.page.locator(".coopsim-status").inner_text()

    def settings(self) -> str:
        return self.page.locator(".coopsim-settings").inner_text()

    def wait_status(self, text: str, start: bool = False) -> None:
        """Wait until the status line contains ``text`` (or starts with it)."""
        test = "startsWith" if start else "includes"
        self.page.wait_for_function(
            f"(t) => (document.querySelector('.coopsim-status')?.innerText || '').{test}(t)",
            arg=text,
        )

    def digests(self, selector: str = ".coopsim-plot-image") -> list[str]:
        """SHA-256 of each displayed image (plots by default)."""
        return self.page.evaluate(_DIGESTS_JS, selector)

    def settled_digests(self, selector: str = ".coopsim-plot-image") -> list[str]:
        """Digests once the images stop changing (an update may trail the status line)."""
        last = self.digests(selector)
        while True:
            self.page.wait_for_timeout(250)
            now = self.digests(selector)
            if now == last:
                return now
            last = now

    def outside_requests(self) -> list[str]:
        return [url for url in self.requests if not is_local(url)]

    def wait_images_change(
        self, before: list[str], selector: str = ".coopsim-plot-image", every: bool = False
    ) -> list[str]:
        """Wait until one image (``every``: each image) differs from ``before``."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        changed = all if every else any
        while True:
            now = self.digests(selector)
            if len(now) == len(before) and changed(
                a != b for a, b in zip(now, before, strict=True)
            ):
                return now
            assert time.monotonic() < deadline, f"{selector}: {now} after {before}"
            self.page.wait_for_timeout(100)

    # ---- acting --------------------------------------------------------------------------------
    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def step(self, times: int = 1) -> None:
        for _ in range(times):
            shown = int(self.status().split()[1])
            self.button("Step").click()
            self.wait_status(f"Step {shown + 1} ", start=True)

    def reset(self) -> None:
        self.button("Reset").click()
        self.wait_status("Step 0 ", start=True)

    def choose(self, label: str, option: str) -> None:
        """Pick ``option`` in the Vuetify select labelled ``label``."""
        self.page.locator(".v-select").filter(has_text=label).locator(".v-select__slot").click()
        menu = self.page.locator(".menuable__content__active .v-list-item")
        menu.filter(has_text=option).first.click()

    def type_into(self, label: str, text: str) -> None:
        field = self.page.get_by_label(label)
        field.fill(text)
        field.press("Enter")


@pytest.fixture
def open_app(chromium, viz_url):
    """Open sessions of the app; all are closed after the test."""
    pages: list[AppPage] = []

    def opener() -> AppPage:
        pages.append(AppPage(chromium, viz_url))
        return pages[-1]

    yield opener
    for page in pages:
        page.close()
