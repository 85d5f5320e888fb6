"""Where callbacks may go. A callback URL is checked when a provider takes it (so a client learns at
once, in the provider's own error format) and again just before each delivery, against what the name
resolves to then (a name that resolved elsewhere at creation may since point inward).

Refused: the emulator itself (any address it listens on, at its port, whatever the path: a callback
aimed at ``/_emulator/reset`` would wipe every tenant), link-local and cloud-metadata addresses
unless ``EMULATOR_CALLBACK_HOSTS`` lists them, and, when that setting is given, anything it does not
list.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Link-local ranges (cloud metadata services live there) and the metadata addresses outside them.
GUARDED = tuple(
    ipaddress.ip_network(cidr) for cidr in ("169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32")
)
_UNSPECIFIED = ("0.0.0.0", "::", "")
# The addresses a process answers on are few; the bound only guards memory.
MAX_LISTENERS = 64

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to now (empty when it does not resolve)."""
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})
    except (OSError, UnicodeError):
        return []


class CallbackTargets:
    def __init__(self, allowed: str | None, listen_host: str, listen_port: int, resolver: Resolver = resolve) -> None:
        self._networks: list[IPNetwork] = []
        self._hosts: list[tuple[str, int | None]] = []
        for entry in (part.strip() for part in (allowed or "").split(",")):
            if entry:
                self._allow(entry)
        self._restricted = bool(self._networks or self._hosts)
        self._listeners: set[tuple[str, int]] = {(listen_host, listen_port)}
        self._resolve = resolver
        self._own_names = {"localhost", socket.gethostname().lower()}

    def _allow(self, entry: str) -> None:
        try:
            self._networks.append(ipaddress.ip_network(entry, strict=False))
            return
        except ValueError:
            pass
        host, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        self._hosts.append((host.lower(), int(port)) if port.isdigit() else (entry.lower(), None))

    def listening_on(self, servers: Iterable[tuple[str, int] | None]) -> None:
        """Addresses the emulator answers on (from requests' ASGI ``server``): the real port may not
        be the configured one (``--port 0``, a test server on a free port)."""
        for server in servers:
            if server is None or len(self._listeners) >= MAX_LISTENERS:
                continue
            self._listeners.add((str(server[0]), int(server[1])))

    def refusal(self, url: str, *, resolve_names: bool = True) -> str | None:
        """Why a callback may not go to ``url``, or ``None`` when it may."""
        try:
            parts = urlsplit(url)
            host, port = (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return "the URL cannot be read"
        addresses = _literal(host)
        if addresses is None:
            if host in self._own_names:
                addresses = ["127.0.0.1"]
            elif resolve_names or self._networks:
                addresses = self._resolve(host, port)
            else:  # checked on delivery, against what it resolves to then
                addresses = []
        listed = self._listed(host, port, addresses)
        if self._restricted and not listed:
            return f"{host}:{port} is not among EMULATOR_CALLBACK_HOSTS"
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if self._is_self(address, port):
                return "the URL points at the emulator itself"
            if not listed and any(address in network for network in GUARDED):
                return f"{address} is a link-local or metadata address (list it in EMULATOR_CALLBACK_HOSTS to allow it)"
        return None

    def _listed(self, host: str, port: int, addresses: list[str]) -> bool:
        for pattern, allowed_port in self._hosts:
            if fnmatch.fnmatchcase(host, pattern) and allowed_port in (None, port):
                return True
        ips = [ipaddress.ip_address(text.split("%", 1)[0]) for text in addresses]
        return any(ip in network for ip in ips for network in self._networks if ip.version == network.version)

    def _is_self(self, address: IPAddress, port: int) -> bool:
        for listen_host, listen_port in self._listeners:
            if port != listen_port:
                continue
            if listen_host in _UNSPECIFIED or address.is_loopback or address.is_unspecified:
                return True
            if str(address) in (self._resolve(listen_host, port) if _literal(listen_host) is None else [listen_host]):
                return True
        return False


def _literal(host: str) -> list[str] | None:
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        return None
