"""Which network addresses the server may talk to, decided by ``ipaddress`` (a real parser), never by patterns.

One place for every address decision of the host and the packs: is a host name or literal loopback (plain
``http://`` is allowed there, and an unauthenticated bind), and is an address public (outbound fetches of
pack registries, archives, JWKS). An IPv6 address that embeds an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``,
IPv4-translated ``::ffff:0:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``,
Teredo ``2001::/32``) is judged by the IPv4 address it reaches, so ``64:ff9b::169.254.169.254`` is the metadata
endpoint it is. Site-local ``fec0::/10``, local-use NAT64 ``64:ff9b:1::/48`` and the documentation ranges
are never public, whatever the running Python's tables say.
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IpAddress = IPv4Address | IPv6Address

NAT64_WELL_KNOWN = IPv6Network("64:ff9b::/96")
IPV4_TRANSLATED = IPv6Network("::ffff:0:0:0/96")  # SIIT, RFC 2765: ::ffff:0:a.b.c.d
IPV4_COMPATIBLE = IPv6Network("::/96")  # deprecated, RFC 4291 2.5.5.1: ::a.b.c.d
# Never public, whatever the running Python's ipaddress tables say (3.11 calls several of these global).
NEVER_PUBLIC_V6 = (
    IPv6Network("fec0::/10"),  # site-local, deprecated by RFC 3879 but still routed by some stacks
    IPv6Network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215): translates into the operator's own network
    IPv6Network("3fff::/20"),  # documentation (RFC 9637)
    IPv6Network("100::/64"),  # discard-only
)
NEVER_PUBLIC_V4 = (IPv4Network("100.64.0.0/10"), IPv4Network("192.0.0.0/24"))  # shared CGN; IETF protocol


def parse_ip(host: str) -> IpAddress | None:
    """The address a host literal names (``[::1]`` brackets and ``%zone`` suffixes allowed), or None for a name."""
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    text = text.split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def embedded_ipv4(address: IpAddress) -> tuple[IPv4Address, ...]:
    """The IPv4 address(es) an IPv6 transition form carries (Teredo: server and client); () for none."""
    if isinstance(address, IPv4Address):
        return ()
    low32 = IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        return (address.ipv4_mapped,)
    if address in IPV4_TRANSLATED or address in NAT64_WELL_KNOWN:
        return (low32,)
    if address in IPV4_COMPATIBLE and int(address) > 1:  # :: is unspecified and ::1 loopback, not IPv4
        return (low32,)
    if address.sixtofour is not None:
        return (address.sixtofour,)
    if address.teredo is not None:
        return address.teredo
    return ()


def is_public(address: IpAddress) -> bool:
    """True when ``address`` (or every IPv4 address it embeds) is globally routable unicast.

    False for loopback, private, link-local, site-local, shared, multicast, reserved, documentation and
    cloud-metadata addresses (``169.254.169.254``, ``fd00:ec2::254``) in every spelling.
    """
    embedded = embedded_ipv4(address)
    if embedded:
        return all(_public_v4(v4) for v4 in embedded)
    if isinstance(address, IPv4Address):
        return _public_v4(address)
    if any(address in network for network in NEVER_PUBLIC_V6):
        return False
    return address.is_global and not address.is_multicast


def _public_v4(address: IPv4Address) -> bool:
    if any(address in network for network in NEVER_PUBLIC_V4):
        return False
    return address.is_global and not address.is_multicast


def is_loopback_address(address: IpAddress) -> bool:
    """``127.0.0.0/8``, ``::1``, or an IPv4-mapped spelling of a loopback address (``::ffff:127.0.0.1``)."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address literal (brackets allowed): where plain http may go."""
    if host.strip().lower() == "localhost":
        return True
    address = parse_ip(host)
    return address is not None and is_loopback_address(address)
