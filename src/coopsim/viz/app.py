"""The browser app (``coopsim viz``): one model per browser session, run by Mesa's controller.

``Page`` is what Solara serves; it builds its model when a session opens, so two browser tabs
never share one. It is coopsim's own page around Mesa's ``ModelController`` (Reset, play, Step),
not SolaraViz's generic one: no tabs, grid or threads switch to explain, a governance mode that
applies at once, settings whose values show and which say when Reset is needed, and a network
whose organisations can be clicked to inspect them. ``serve`` runs the server offline (no CDN,
no telemetry, no version check) on 127.0.0.1 unless told otherwise, and lets in only its own
page (``coopsim.viz.guard``). The starting values come
from the scenario named in ``COOPSIM_VIZ_SCENARIO`` (``serve`` sets it), else from the model's
defaults.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import solara
from mesa.visualization.solara_viz import ModelController

from coopsim.viz.components import NetworkView, PlotsView
from coopsim.viz.controls import (
    Start,
    VizModel,
    control_values,
    model_params,
    starting_point,
)
from coopsim.viz.guard import (
    DEFAULT_IDLE_MINUTES,
    DEFAULT_MAX_SESSIONS,
    Admission,
    OwnPageOnly,
)
from coopsim.viz.sidebar import LabelledSlider, ModeCard, SettingsCard

SCENARIO_ENV = "COOPSIM_VIZ_SCENARIO"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
# Where Solara would fetch an asset that solara-assets lacks: nowhere (fail, do not go online).
NO_CDN = "http://127.0.0.1:9/no-cdn/"
PLAY_INTERVAL_MS = 50


@functools.cache
def _start(path: str | None) -> Start:
    return starting_point(path)


def start() -> Start:
    """The starting point of every session in this server process."""
    return _start(os.environ.get(SCENARIO_ENV) or None)


# The page at 1280 × 720 (a projector): a narrower sidebar than Solara's 400 px, so the network
# and the plots keep their room; Solara's "runs on Solara" badge off the working area.
CSS = """
.v-navigation-drawer { min-width: 330px !important; width: 330px !important; }
.v-navigation-drawer .v-card__title { font-size: 1.05rem; padding: 2px 4px 6px; line-height: 1.3; }
.coopsim-setting .v-input__slot { margin-bottom: 0; }
.coopsim-setting .v-messages { display: none; }
.coopsim-setting .v-input { margin-top: 0; padding-top: 0; }
.coopsim-settings-card .v-input--checkbox { margin-top: 4px; }
.coopsim-inspector table { width: 100%; }
.coopsim-inspector td, .coopsim-inspector th { padding: 1px 4px !important; }
"""


@solara.component
def Page():
    """One session: its own model, the run controls, the mode and settings, the network (click
    an organisation to inspect it) and the plots."""
    begin = start()
    values = solara.use_reactive(solara.use_memo(lambda: control_values(begin), []))
    controls = solara.use_memo(lambda: model_params(begin), [])
    model = solara.use_reactive(solara.use_memo(lambda: VizModel(**values.value), []))
    pause = solara.use_reactive(PLAY_INTERVAL_MS)
    every = solara.use_reactive(1)  # Mesa's controller: steps per redraw
    threads = solara.use_reactive(False)  # Mesa's controller: draw in the play thread
    solara.Style(CSS)
    solara.Title(f"coopsim · {begin.name}")
    with solara.AppBar():
        solara.AppBarTitle(f"coopsim · {begin.name}")
    with solara.Sidebar(), solara.Column(gap="12px"):
        with solara.Card("Run", classes=["coopsim-run"], style={"padding": "8px"}):
            ModelController(
                model,
                model_parameters=values,
                play_interval=pause,
                render_interval=every,
                use_threads=threads,
            )
            LabelledSlider(
                "Pause between steps while playing", pause.value, pause.set, 0, 500, 10,
                integer=True, unit=" ms",
            )  # fmt: skip
        ModeCard(model, values)
        SettingsCard(model.value, values, controls)
        AboutCard(begin)
    with solara.Columns([1, 1], classes=["coopsim-main"]):
        NetworkView(model.value)
        PlotsView(model.value)


@solara.component
def AboutCard(begin: Start):
    """What the starting point is, and how the controls act."""
    with (
        solara.Card(f"Scenario: {begin.name}", classes=["coopsim-about"]),
        solara.Column(gap="6px", style={"font-size": "0.85em"}),
    ):
        if begin.description:
            solara.Text(begin.description)
        solara.Text(
            "The governance mode applies at once; the settings when you press Reset; a shock "
            "fires at once. One step is one month.",
            style={"color": "#555"},
        )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, port: int) -> str | None:
    """A warning for a server reachable from other machines (None on a loopback address)."""
    if is_loopback(host):
        return None
    return (
        f"warning: coopsim viz listens on {host}:{port}, reachable from other machines: "
        "anyone who can reach it can use the app and run models on this computer. "
        f"Use --host {DEFAULT_HOST} to keep it local. Browsers on other machines are refused "
        f"unless you name the address they use: --allow-origin http://ADDRESS:{port}."
    )


def solara_arguments(host: str, port: int) -> list[str]:
    """The ``solara run`` command line that serves this module."""
    return [
        __name__,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",  # it would ask pypi.org for the latest version
        "--log-level-uvicorn",
        "warning",
    ]


class PortUnavailable(OSError):
    """``host:port`` cannot be listened on (in use, or not an address of this machine)."""


def check_port(host: str, port: int) -> None:
    """Raise ``PortUnavailable``, saying what to do, when ``host:port`` cannot be listened on."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), port))
        except OSError as exc:
            raise PortUnavailable(
                exc.errno,
                f"cannot listen on {host}:{port} ({exc.strerror}): choose another --port "
                "(or stop what uses it)",
            ) from None


def _offline() -> None:
    """No telemetry, and no asset fetched from a CDN (solara-assets bundles them)."""
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ["SOLARA_ASSETS_CDN"] = NO_CDN
    import solara.server.settings as server_settings
    import solara.settings as ui_settings

    server_settings.telemetry.mixpanel_enable = False
    ui_settings.assets.cdn = NO_CDN
    ui_settings.assets.proxy = True
    # Solara's own banner ("This website runs on Solara") would sit over the plots.
    os.environ["SOLARA_THEME_SHOW_BANNER"] = "False"
    server_settings.theme.show_banner = False


def _guard(admission: Admission, max_sessions: int, idle_minutes: int):
    """Let in only the app's own page, at most ``max_sessions`` at once; cull a session
    ``idle_minutes`` after its page went away (Solara's default: 24 hours)."""
    import solara.server.settings as server_settings

    os.environ["SOLARA_KERNEL_CULL_TIMEOUT"] = f"{idle_minutes}m"
    server_settings.kernel.cull_timeout = f"{idle_minutes}m"
    # Solara's server module builds its app at import, from SOLARA_APP (``run`` sets the same).
    os.environ["SOLARA_APP"] = __name__
    from solara.server.starlette import app as solara_app

    solara_app.user_middleware = [
        m for m in solara_app.user_middleware if getattr(m, "cls", None) is not OwnPageOnly
    ]
    solara_app.add_middleware(OwnPageOnly, admission=admission, max_sessions=max_sessions)


def serve(
    scenario: str | os.PathLike[str] | None = None,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    allow_origins: Sequence[str] = (),
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    idle_minutes: int = DEFAULT_IDLE_MINUTES,
) -> None:
    """Serve the app until interrupted; each browser session gets its own model.

    An invalid scenario raises the scenario layer's error (a ``ValueError``), so does an
    ``allow_origins`` entry that is not ``scheme://host[:port]``, and an address in use
    ``PortUnavailable`` (an ``OSError``), all before the server starts. A host that is not a
    loopback address prints a warning to stderr. Only the app's own page (and
    ``allow_origins``) gets in; at most ``max_sessions`` sessions at once; a session whose page
    went away is closed after ``idle_minutes``. Returns when the server stops (Ctrl-C).
    """
    if max_sessions < 1 or idle_minutes < 1:
        raise ValueError("max_sessions and idle_minutes must be at least 1")
    admission = Admission(host, port, allow_origins)
    path = None if scenario is None else str(Path(scenario).resolve())
    _start.cache_clear()
    _start(path)  # fail now, with the file's own message, rather than in the page
    if path is None:
        os.environ.pop(SCENARIO_ENV, None)
    else:
        os.environ[SCENARIO_ENV] = path
    check_port(host, port)
    warning = exposure_warning(host, port)
    if warning:
        print(warning, file=sys.stderr)
    _offline()
    _guard(admission, max_sessions, idle_minutes)
    # Solara warns on every page load that plain-http cookies fall back to SameSite=Lax: right
    # for a local app, and noise in the user's terminal.
    warnings.filterwarnings(
        "ignore", message="Cookies with samesite=none require https", category=UserWarning
    )
    from solara.__main__ import run

    run.main(args=solara_arguments(host, port), prog_name="coopsim viz", standalone_mode=False)
