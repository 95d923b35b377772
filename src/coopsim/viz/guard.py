"""Who may use the app: only its own page, and only so many sessions at once.

A page on another site can open a WebSocket to ``127.0.0.1`` (browsers do not stop it), and a
DNS name that resolves to ``127.0.0.1`` (DNS rebinding) makes any Host header reach the app.
``OwnPageOnly`` is an ASGI middleware around Solara's Starlette app that answers 403, before
Solara sees the request, when

- the ``Host`` header is not the address the app serves (``127.0.0.1``/``localhost`` with its
  port, the bound address, or the host of an ``--allow-origin``);
- a WebSocket carries no ``Origin``, or any request carries an ``Origin`` other than the app's
  own (or one allowed by ``--allow-origin``);
- a WebSocket would open a session beyond ``max_sessions`` (open WebSockets, or live Solara
  kernels for a new kernel: a closed tab's kernel lives until it is culled).

Pure ASGI, no Solara import: testable with any ASGI app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

DEFAULT_MAX_SESSIONS = 20
DEFAULT_IDLE_MINUTES = 5
LOOPBACK_NAMES = ("127.0.0.1", "localhost")
WILDCARDS = ("0.0.0.0", "::", "[::]", "")
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
KERNEL_PATH = "/jupyter/api/kernels/"


def _bracket(host: str) -> str:
    host = host.strip().lower()
    return f"[{host.strip('[]')}]" if ":" in host.strip("[]") else host


def normal_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lower case, without a default port; ValueError if not one."""
    text = origin.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(f"{origin!r} is not an origin (scheme://host[:port])") from None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        raise ValueError(f"{origin!r} is not an origin (http(s)://host[:port])")
    scheme = parts.scheme.lower()
    host = _bracket(parts.hostname)
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


class Admission:
    """The hosts and origins the app answers, from the address it serves and ``--allow-origin``."""

    def __init__(self, host: str, port: int, allow_origins: Iterable[str] = ()):
        names = list(LOOPBACK_NAMES)
        if host.strip().lower() not in WILDCARDS:
            names.append(host)
        self.origins: set[str] = set()
        self.hosts: set[str] = set()
        for name in names:
            self.hosts.add(f"{_bracket(name)}:{port}")
            self.origins.add(normal_origin(f"http://{_bracket(name)}:{port}"))
            if port == 80:
                self.hosts.add(_bracket(name))
        for origin in allow_origins:
            allowed = normal_origin(origin)
            self.origins.add(allowed)
            self.hosts.add(allowed.split("://", 1)[1])
            parts = urlsplit(allowed)
            if parts.port is None:  # a default port: browsers send Host without it, or with it
                self.hosts.add(f"{_bracket(parts.hostname or '')}:{DEFAULT_PORTS[parts.scheme]}")

    def host_ok(self, host: str | None) -> bool:
        return host is not None and host.strip().lower() in self.hosts

    def origin_ok(self, origin: str) -> bool:
        try:
            return normal_origin(origin) in self.origins
        except ValueError:
            return False


def _live_kernels() -> dict | None:
    """Solara's live kernels (None where Solara's server is not loaded)."""
    import sys

    module = sys.modules.get("solara.server.kernel_context")
    return None if module is None else getattr(module, "contexts", None)


class OwnPageOnly:
    """ASGI middleware: 403 for a foreign Host or Origin, and for a session beyond the cap."""

    def __init__(
        self,
        app,
        *,
        admission: Admission,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        live_kernels: Callable[[], dict | None] = _live_kernels,
    ):
        self.app = app
        self.admission = admission
        self.max_sessions = max_sessions
        self.live_kernels = live_kernels
        self.open_sockets = 0
        self.refused = 0

    def refusal(self, scope) -> str | None:
        """Why this request is refused (None: let it in)."""
        hosts: list[str] = []
        origins: list[str] = []
        for key, value in scope.get("headers", ()):
            name = key.decode("latin-1").lower()
            if name == "host":
                hosts.append(value.decode("latin-1"))
            elif name == "origin":
                origins.append(value.decode("latin-1"))
        if len(hosts) != 1 or not self.admission.host_ok(hosts[0]):
            return "this app answers only its own address (Host)"
        if len(origins) > 1:
            return "more than one Origin"
        if origins and not self.admission.origin_ok(origins[0]):
            return "this app answers only its own page (Origin); see --allow-origin"
        if scope["type"] == "websocket":
            if not origins:
                return "a WebSocket needs the app's own Origin"
            if self.open_sockets >= self.max_sessions:
                return f"too many sessions (at most {self.max_sessions}; see --max-sessions)"
            path = scope.get("path", "")
            kernels = self.live_kernels()
            if path.startswith(KERNEL_PATH) and kernels is not None:
                kernel_id = path[len(KERNEL_PATH) :].split("/", 1)[0]
                if kernel_id not in kernels and len(kernels) >= self.max_sessions:
                    return f"too many sessions (at most {self.max_sessions}; see --max-sessions)"
        return None

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        reason = self.refusal(scope)
        if reason is not None:
            self.refused += 1
            await self._refuse(scope, receive, send, reason)
            return
        if scope["type"] == "http":
            await self.app(scope, receive, send)
            return
        self.open_sockets += 1  # reserved now, so a burst cannot slip past the cap
        try:
            await self.app(scope, receive, send)
        finally:
            self.open_sockets -= 1

    @staticmethod
    async def _refuse(scope, receive, send, reason: str) -> None:
        body = f"forbidden: {reason}\n".encode()
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 403, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        if "websocket.http.response" in scope.get("extensions", {}):
            await send({"type": "websocket.http.response.start", "status": 403, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": body})
        else:  # closing before accepting: the server answers 403
            await send({"type": "websocket.close", "code": 1008})
