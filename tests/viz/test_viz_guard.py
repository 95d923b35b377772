"""Only the app's own page gets in (issue 19, finding 5): Host, Origin and a session cap.

The live tests start the app on a free loopback port and probe it as an attacker would: a
WebSocket from another site's page, a DNS-rebinding Host, a flood of sessions.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest
from typer.testing import CliRunner

from coopsim.cli import app
from coopsim.viz.guard import Admission, OwnPageOnly, normal_origin

websockets_client = pytest.importorskip("websockets.sync.client")
from websockets.exceptions import InvalidStatus  # noqa: E402


def test_origins_are_normalised_and_non_origins_refused():
    assert normal_origin("HTTP://LocalHost:8765/") == "http://localhost:8765"
    assert normal_origin("https://example.org:443") == "https://example.org"
    for bad in ("null", "*", "example.org", "ftp://x", "http://x/path", "http://u@x", "http://x:z"):
        with pytest.raises(ValueError):
            normal_origin(bad)


def test_admission_knows_its_own_address_and_the_allowed_origins():
    admission = Admission("127.0.0.1", 8765, ["https://lab.example.org"])
    assert admission.host_ok("127.0.0.1:8765") and admission.host_ok("localhost:8765")
    assert admission.host_ok("lab.example.org") and admission.host_ok("lab.example.org:443")
    for host in ("evil.example:8765", "127.0.0.1:8766", "127.0.0.1", None, ""):
        assert not admission.host_ok(host)
    assert admission.origin_ok("http://localhost:8765")
    assert admission.origin_ok("https://lab.example.org")
    for origin in (
        "http://evil.example",
        "null",
        "http://127.0.0.1:9999",
        "https://127.0.0.1:8765",
    ):
        assert not admission.origin_ok(origin)
    # a wildcard bind does not make every Host the app's own
    assert not Admission("0.0.0.0", 8765).host_ok("0.0.0.0:8765")


def _scope(kind: str, headers: dict[str, str], path: str = "/") -> dict:
    return {
        "type": kind,
        "path": path,
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }


def test_the_middleware_refuses_before_the_app_sees_the_request():
    import asyncio

    seen = []

    async def inner(scope, receive, send):
        seen.append(scope["type"])

    guard = OwnPageOnly(inner, admission=Admission("127.0.0.1", 8765), max_sessions=1)
    own = {"host": "127.0.0.1:8765", "origin": "http://127.0.0.1:8765"}
    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "websocket.connect"}

    async def probe(kind, headers, path="/"):
        sent.clear()
        await guard(_scope(kind, headers, path), receive, send)
        return sent[0]

    async def main():
        refused = await probe("http", {"host": "rebound.example:8765"})
        assert refused["status"] == 403
        refused = await probe("http", {**own, "origin": "http://evil.example"})
        assert refused["status"] == 403
        refused = await probe("websocket", {"host": own["host"]})  # a WebSocket without Origin
        assert refused == {"type": "websocket.close", "code": 1008}
        assert seen == []
        await guard(_scope("http", own), receive, send)
        await guard(_scope("websocket", own), receive, send)
        assert seen == ["http", "websocket"]
        assert guard.open_sockets == 0 and guard.refused == 3

    # in a thread of its own: a browser test's event loop may be running in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main()).result()


def test_a_new_kernel_beyond_the_cap_is_refused_but_a_live_one_reconnects():
    kernels = {"k1": object(), "k2": object()}
    guard = OwnPageOnly(
        None, admission=Admission("127.0.0.1", 80), max_sessions=2, live_kernels=lambda: kernels
    )
    own = {"host": "127.0.0.1", "origin": "http://127.0.0.1"}
    path = "/jupyter/api/kernels/{}/channels"
    assert guard.refusal(_scope("websocket", own, path.format("k1"))) is None
    assert "too many sessions" in guard.refusal(_scope("websocket", own, path.format("k3")))


def test_a_bad_allow_origin_is_one_line_and_exit_2():
    result = CliRunner().invoke(app, ["viz", "--allow-origin", "evil.example"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "coopsim: --allow-origin evil.example: not an origin (http(s)://host[:port])"
    ]


# ---- live, on loopback ---------------------------------------------------------------------------

MAX_SESSIONS = 2


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def guarded_port(tmp_path_factory):
    port = free_port()
    log_path = tmp_path_factory.mktemp("viz-guard") / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "coopsim.viz", "--port", str(port)),
                *("--max-sessions", str(MAX_SESSIONS), "--allow-origin", "https://lab.example.org"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"the app exited ({server.returncode}):\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the app did not answer within 90 s:\n{log_path.read_text()}")
            time.sleep(0.25)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _get(port: int, headers: dict[str, str]) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _socket(port: int, origin: str | None, stack: contextlib.ExitStack):
    url = (
        f"ws://127.0.0.1:{port}/jupyter/api/kernels/{uuid.uuid4()}/channels"
        f"?session_id={uuid.uuid4()}"
    )
    headers = {} if origin is None else {"Origin": origin}
    try:
        return stack.enter_context(
            websockets_client.connect(url, additional_headers=headers, open_timeout=20)
        )
    except InvalidStatus as exc:
        return exc.response.status_code


def test_a_foreign_host_is_refused_and_the_own_page_served(guarded_port):
    assert _get(guarded_port, {}) == 200
    assert _get(guarded_port, {"Host": f"localhost:{guarded_port}"}) == 200
    assert _get(guarded_port, {"Host": f"rebound.attacker.example:{guarded_port}"}) == 403
    assert _get(guarded_port, {"Origin": "http://attacker.example"}) == 403


def test_cross_origin_websockets_are_refused_and_a_flood_beyond_the_cap(guarded_port):
    own = f"http://127.0.0.1:{guarded_port}"
    with contextlib.ExitStack() as stack:
        assert _socket(guarded_port, "http://attacker.example", stack) == 403
        assert _socket(guarded_port, "null", stack) == 403
        assert _socket(guarded_port, None, stack) == 403
        opened = [_socket(guarded_port, own, stack) for _ in range(MAX_SESSIONS - 1)]
        opened.append(_socket(guarded_port, "https://lab.example.org", stack))
        assert all(not isinstance(s, int) for s in opened), opened
        flood = [_socket(guarded_port, own, stack) for _ in range(10)]
        assert flood == [403] * 10
