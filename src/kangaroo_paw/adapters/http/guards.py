"""Browser attacks stopped before routing: DNS rebinding (Host allow-list) and cross-site
writes (Origin check), plus the CORS set-up that lets chosen origins in.

A page on another site can make a victim's browser send requests here; the browser always
names that page in ``Origin`` on a cross-site write, so a write from a foreign origin is
refused (403) even when it needs no body. A rebound DNS name reaches this server with the
attacker's name in ``Host``, so only known host names are served (400), on every route.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from litestar.config.cors import CORSConfig

from kangaroo_paw.adapters.http import request_id
from kangaroo_paw.adapters.http.asgi import ASGIApp, Receive, Scope, Send, header, send_error
from kangaroo_paw.settings import Settings, split_list

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Bind addresses that name no host (compared with KP_HOST, never bound here).
ANY_ADDRESS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]  # scheme, host, port: compared, never rendered


def host_name(value: str) -> str:
    """The host of a ``Host`` header value: no port, no IPv6 brackets, lower case."""
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    return value.lower().rstrip(".")


def origin_of(url: str) -> Origin | None:
    """``scheme://host[:port]`` as a comparable triple (default ports filled in); ``None``
    for anything else (``null``, a path, a bad port)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    return scheme, parts.hostname.rstrip("."), port or DEFAULT_PORTS[scheme]


@dataclasses.dataclass(frozen=True, slots=True)
class BrowserPolicy:
    """Which ``Host`` names are served (``None``: any) and which foreign origins may write."""

    hosts: frozenset[str] | None
    origins: frozenset[Origin]

    @classmethod
    def from_settings(cls, settings: Settings) -> BrowserPolicy:
        """The local names, the bind address when it names a host, and ``KP_ALLOWED_HOSTS``;
        the origins of ``KP_CORS_ORIGINS``."""
        extra = {host_name(host) for host in split_list(settings.allowed_hosts)}
        hosts: frozenset[str] | None = None
        if "*" not in extra:
            bound = {host_name(settings.host)} - ANY_ADDRESS
            hosts = LOCAL_HOSTS | bound | extra
        origins = {origin_of(url) for url in split_list(settings.cors_origins)}
        return cls(hosts=hosts, origins=frozenset(o for o in origins if o is not None))

    def serves(self, host: str | None) -> bool:
        return self.hosts is None or (host is not None and host_name(host) in self.hosts)

    def may_write(self, origin: str, scheme: str, host: str) -> bool:
        """A write naming ``origin`` is this server's own page (same scheme, host and port as
        the request) or an allowed CORS origin."""
        claimed = origin_of(origin)
        return claimed is not None and (
            claimed == origin_of(f"{scheme}://{host}") or claimed in self.origins
        )


class BrowserGuard:
    """An ASGI middleware around the whole app (so unknown routes and the event stream are
    covered) that applies a ``BrowserPolicy``."""

    def __init__(self, app: ASGIApp, policy: BrowserPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # the API has no websockets
            await self.app(scope, receive, send)
            return
        host = header(scope, b"host")
        if not self.policy.serves(host):
            await send_error(send, 400, "host_not_allowed", "this server does not serve that Host")
            return
        origin = header(scope, b"origin")
        if (
            origin is not None
            and scope.get("method") in WRITES
            and not self.policy.may_write(origin, scope.get("scheme", "http"), host or "")
        ):
            message = "writes from another site's pages are refused (Origin not allowed)"
            await send_error(send, 403, "cross_origin", message)
            return
        await self.app(scope, receive, send)


def cors_config(settings: Settings) -> CORSConfig | None:
    """CORS for the ``KP_CORS_ORIGINS`` only; none at all (no ``Access-Control-*``) without."""
    origins = list(split_list(settings.cors_origins))
    if not origins:
        return None
    return CORSConfig(allow_origins=origins, expose_headers=[request_id.HEADER])
