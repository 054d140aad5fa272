"""A registry that redirects archive downloads to IPv6 spellings of private and metadata IPv4 addresses.

Each spelling (NAT64, local-use NAT64, 6to4, Teredo, IPv4-compatible, IPv4-mapped) and site-local ``fec0::/10``
must be refused by the URL policy before any connection, over an MCP session, with the workspace unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Behaviour, snapshot
from test_bundled_workflow import call, fail
from test_hostile_registries import GOOD, publish

pytestmark = pytest.mark.anyio

TARGETS = [
    "https://[64:ff9b::a9fe:a9fe]/latest/meta-data",  # NAT64 of 169.254.169.254
    "https://[64:ff9b:1::a00:1]/x.tar.gz",  # local-use NAT64
    "https://[2002:a9fe:a9fe::1]/latest/meta-data",  # 6to4 of 169.254.169.254
    "https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/x.tar.gz",  # Teredo, client 10.0.0.1
    "https://[::a9fe:a9fe]/latest/meta-data",  # IPv4-compatible
    "https://[::ffff:0:c0a8:101]/x.tar.gz",  # IPv4-translated 192.168.1.1
    "https://[fec0::1]/x.tar.gz",  # site-local
]


async def test_redirects_to_embedded_private_ipv4_are_refused(
    ggen_host: Any, ggen_client: Any, ggen_workspace: Path, make_registry: Any, fast_settings: dict[str, Any]
) -> None:
    registry = make_registry([(GOOD, "1.0.0")])
    for number, target in enumerate(TARGETS):
        path = publish(registry, f"io.evil.v6-{number}")
        registry.server.behaviours[path] = Behaviour(status=302, location=target)
    settings = {**fast_settings, "registry_url": registry.url}
    async with ggen_client(ggen_host(["market"], market=settings), mode="legacy") as client:
        await call(client, "market_install", {"package": GOOD})
        before = snapshot(ggen_workspace)
        for number, target in enumerate(TARGETS):
            message = await fail(client, "market_install", {"package": f"io.evil.v6-{number}"})
            assert "private, link-local or reserved" in message, f"{target}: {message}"
            assert snapshot(ggen_workspace) == before, target
