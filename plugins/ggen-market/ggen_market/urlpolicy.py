"""Which URLs the market may fetch: the SSRF rules every registry, archive, redirect and git URL obeys.

- ``https://`` to a host whose every address is public (or a host named in ``allowed_hosts``, for an
  intranet registry), or to a loopback literal (``127.0.0.1``, ``[::1]``, ``localhost``);
- ``http://`` only to a loopback literal (a test or a local mirror);
- ``file://`` only when ``allow_file_urls`` is on;
- nothing else: no credentials in URLs, no other schemes, no private, link-local, site-local, multicast or
  reserved addresses (cloud metadata endpoints included), whether named directly, in an IPv6 form that embeds
  an IPv4 address (NAT64, 6to4, Teredo, IPv4-mapped/-compatible), reached through DNS or through a redirect.

The address decisions are the host's (:mod:`ggen_mcp_core.netpolicy`); this module applies them to URLs.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ggen_market.errors import RegistryUnavailable, UrlRefused
from ggen_mcp_core.netpolicy import is_loopback_address, is_loopback_host, is_public, parse_ip


@dataclass(frozen=True)
class UrlPolicy:
    """The switches the operator controls."""

    allow_file: bool = False
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)


def scheme_of(url: str) -> str:
    return urlsplit(url).scheme.lower()


def check_static(url: str, policy: UrlPolicy, *, what: str) -> tuple[str, str]:
    """Check everything that needs no DNS; return ``(scheme, host)``. Raise ``UrlRefused``."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise UrlRefused(f"{what} {url!r} is not a valid URL") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if "@" in parts.netloc:
        raise UrlRefused(f"{what} {url!r} carries credentials; use the market.registry_token setting instead")
    if scheme == "file":
        if not policy.allow_file:
            raise UrlRefused(f"{what} {url!r} is a file:// URL; set market.allow_file_urls = true to allow it")
        if host not in {"", "localhost"}:
            raise UrlRefused(f"{what} {url!r} names a remote host in a file:// URL")
        return scheme, host
    if scheme not in {"http", "https"}:
        raise UrlRefused(f"{what} {url!r}: only https (or http on 127.0.0.1/localhost) is allowed")
    if not host:
        raise UrlRefused(f"{what} {url!r} has no host")
    if scheme == "http" and not is_loopback_host(host):
        raise UrlRefused(f"{what} {url!r} uses plain http to a non-loopback host; use https")
    address = parse_ip(host)
    if (
        address is not None
        and not (is_loopback_address(address) or is_public(address))
        and host not in policy.allowed_hosts
    ):
        raise UrlRefused(
            f"{what} {url!r} points at a private, link-local or reserved address ({address}); "
            "list the host in market.allowed_hosts if this is your intranet registry"
        )
    return scheme, host


async def check_url(url: str, policy: UrlPolicy, *, what: str) -> None:
    """:func:`check_static`, then resolve a host name and refuse it when any address is not public."""
    import anyio

    scheme, host = check_static(url, policy, what=what)
    if scheme == "file" or is_loopback_host(host) or parse_ip(host) is not None or host in policy.allowed_hosts:
        return
    try:
        infos = await anyio.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise RegistryUnavailable(f"cannot resolve {host!r} for {what} {url!r}: {exc}") from None
    for info in infos:
        address = parse_ip(str(info[4][0]))
        if address is None or not is_public(address):
            raise UrlRefused(
                f"{what} {url!r}: {host} resolves to a non-public address ({info[4][0]}); "
                "list the host in market.allowed_hosts if this is your intranet registry"
            )
