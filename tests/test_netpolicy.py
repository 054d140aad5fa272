"""The host's address policy: every IPv6 form that embeds an IPv4 address is judged as that IPv4 address."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network, IPv6Address
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ggen_mcp_core.auth import check_fetch_url
from ggen_mcp_core.netpolicy import embedded_ipv4, is_loopback_host, is_public, parse_ip

# Every range an outbound fetch must never reach: private, loopback, link-local (cloud metadata), shared
# CGN, "this network", IETF protocol assignments, benchmarking, documentation, multicast, reserved.
NON_PUBLIC_V4 = [
    IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]
METADATA = [IPv4Address("169.254.169.254"), IPv4Address("100.100.100.200"), IPv4Address("192.0.0.192")]
TEREDO_SERVER = IPv4Address("65.54.227.120")


def _in(network: IPv4Network) -> st.SearchStrategy[IPv4Address]:
    low = int(network.network_address)
    return st.integers(low, low + network.num_addresses - 1).map(IPv4Address)


non_public_v4 = st.one_of(st.sampled_from(METADATA), *[_in(n) for n in NON_PUBLIC_V4])
any_v4 = st.integers(0, 2**32 - 1).map(IPv4Address)


def mapped(v4: IPv4Address) -> IPv6Address:
    return IPv6Address((0xFFFF << 32) | int(v4))


def translated(v4: IPv4Address) -> IPv6Address:
    return IPv6Address((0xFFFF << 48) | int(v4))


def compatible(v4: IPv4Address) -> IPv6Address:
    return IPv6Address(int(v4))


def nat64(v4: IPv4Address) -> IPv6Address:
    return IPv6Address((0x0064FF9B << 96) | int(v4))


def sixtofour(v4: IPv4Address) -> IPv6Address:
    return IPv6Address((0x2002 << 112) | (int(v4) << 80) | 0x1)


def teredo_client(v4: IPv4Address) -> IPv6Address:
    """Teredo 2001:0:server:flags:port:client, the client address stored inverted (RFC 4380)."""
    return IPv6Address((0x20010000 << 96) | (int(TEREDO_SERVER) << 64) | (0xFFFF_FFFF ^ int(v4)))


def teredo_server(v4: IPv4Address) -> IPv6Address:
    return IPv6Address((0x20010000 << 96) | (int(v4) << 64) | (0xFFFF_FFFF ^ int(IPv4Address("8.8.8.8"))))


FORMS: list[Callable[[IPv4Address], IPv6Address]] = [
    mapped,
    translated,
    compatible,
    nat64,
    sixtofour,
    teredo_client,
    teredo_server,
]


@settings(max_examples=400, deadline=None, database=None)
@given(v4=non_public_v4, form=st.sampled_from(FORMS))
def test_every_transition_form_of_a_non_public_ipv4_is_refused(v4: IPv4Address, form: Callable[..., Any]) -> None:
    address = form(v4)
    if int(address) <= 1:  # :: and ::1 are not IPv4-compatible spellings of 0.0.0.0/0.0.0.1
        return
    assert v4 in embedded_ipv4(address)
    assert not is_public(v4)
    assert not is_public(address), f"{address} embeds {v4}"
    assert not is_public(parse_ip(f"[{address}]") or v4)


@settings(max_examples=400, deadline=None, database=None)
@given(v4=any_v4, form=st.sampled_from([mapped, translated, compatible, nat64, sixtofour, teredo_client]))
def test_a_transition_form_gets_the_verdict_of_its_ipv4(v4: IPv4Address, form: Callable[..., Any]) -> None:
    address = form(v4)
    if int(address) <= 1:
        return
    assert is_public(address) == is_public(v4), f"{address} embeds {v4}"


@pytest.mark.parametrize(
    "literal",
    [
        "64:ff9b::169.254.169.254",  # NAT64 to the metadata endpoint
        "64:ff9b:1::a9fe:a9fe",  # local-use NAT64
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "2002:0a00:0001::",  # 6to4 of 10.0.0.1
        "::169.254.169.254",  # IPv4-compatible
        "::ffff:10.0.0.1",
        "::ffff:0:192.168.0.1",
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo whose client is 10.0.0.1
        "fec0::1",  # site-local
        "fed0:1::1",
        "fd00:ec2::254",  # the AWS IPv6 metadata endpoint
        "fe80::1",
        "ff02::1",
        "::1",
        "::",
        "3fff::1",
        "2001:db8::1",
    ],
)
def test_non_public_ipv6_literals(literal: str) -> None:
    address = parse_ip(f"[{literal}]")
    assert address is not None and not is_public(address)


def test_public_addresses_stay_public() -> None:
    for literal in ("93.184.216.34", "2606:4700::1111", "64:ff9b::93.184.216.34", "::ffff:1.1.1.1"):
        address = parse_ip(literal)
        assert address is not None and is_public(address), literal


def test_loopback_hosts() -> None:
    for host in ("localhost", "127.0.0.1", "127.9.9.9", "[::1]", "::1", "[::ffff:127.0.0.1]", "LOCALHOST"):
        assert is_loopback_host(host), host
    for host in ("localhost.evil.com", "10.0.0.1", "[64:ff9b::127.0.0.1]", "[::127.0.0.1]", "example.com", ""):
        assert not is_loopback_host(host), host


def test_jwks_url_uses_the_same_loopback_check() -> None:
    check_fetch_url("http://[::ffff:127.0.0.1]:8080/jwks")
    check_fetch_url("https://issuer.example.com/jwks")
    for url in ("http://[64:ff9b::7f00:1]/jwks", "http://localhost.evil.com/jwks", "http://10.0.0.1/jwks"):
        with pytest.raises(ValueError, match="loopback"):
            check_fetch_url(url)
