"""``market.registry_token_file``: the registry token read from a file, never from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_bundled_workflow import call
from test_http_registry import BASE

from ggen_mcp_core.config import ConfigError, Settings
from ggen_mcp_core.testing import environment

pytestmark = pytest.mark.anyio


async def test_registry_token_from_a_file(ggen_host: Any, ggen_client: Any, make_registry: Any, tmp_path: Path) -> None:
    registry = make_registry([(BASE, "1.0.0")])
    token_file = tmp_path / "registry-token"
    token_file.write_text("t0ken-from-file\n")
    settings = {"registry_url": registry.url, "registry_token_file": str(token_file)}
    async with ggen_client(ggen_host(["market"], market=settings), mode="legacy") as client:
        await call(client, "market_install", {"package": BASE})
    index_headers = next(h for p, h in registry.server.requests if p == "/index.json")
    assert index_headers.get("Authorization") == "Bearer t0ken-from-file"


def test_registry_token_file_from_the_environment_and_its_errors(tmp_path: Path) -> None:
    from ggen_market.settings import MarketSettings

    token_file = tmp_path / "token"
    token_file.write_text("env-t0ken")
    with environment(GGEN_MCP_MARKET__REGISTRY_TOKEN_FILE=str(token_file)):
        market = Settings.load().section("market", MarketSettings)
    assert market.registry_token is not None and market.registry_token.get_secret_value() == "env-t0ken"
    assert "env-t0ken" not in repr(market)
    unreadable = pytest.raises(ConfigError, match=r"market\.registry_token_file: cannot read .*missing")
    with environment(GGEN_MCP_MARKET__REGISTRY_TOKEN_FILE=str(tmp_path / "missing")), unreadable:
        Settings.load().section("market", MarketSettings)
    both = {"GGEN_MCP_MARKET__REGISTRY_TOKEN_FILE": str(token_file), "GGEN_MCP_MARKET__REGISTRY_TOKEN": "x"}
    twice = pytest.raises(ConfigError, match=r"set market\.registry_token or market\.registry_token_file, not both")
    with environment(**both), twice:
        Settings.load().section("market", MarketSettings)
