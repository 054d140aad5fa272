"""Rate limits per principal, the concurrency cap with its queue timeout, result caps, the audit log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from ggen_mcp_core.auth import hash_key
from ggen_mcp_core.calls import call_tool
from ggen_mcp_core.events import RequestInfo
from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio
KEYS = [
    {"name": "alice", "sha256": hash_key("alice-key"), "scopes": ["demo:read", "demo:write"]},
    {"name": "bob", "sha256": hash_key("bob-key"), "scopes": ["demo:read"]},
]


def as_user(key: str) -> RequestInfo:
    return RequestInfo(transport="http", headers={"authorization": f"Bearer {key}"}, client_address="127.0.0.1")


async def test_flood_from_one_principal_is_limited_while_another_is_served(fixture_site: Path, ggen_host: Any) -> None:
    host = ggen_host(["demo"], auth={"mode": "api_key", "api_keys": KEYS}, rate_limit={"limit": "5/minute"})
    results = [await call_tool(host, "demo_echo", {"text": "x"}, request=as_user("alice-key")) for _ in range(8)]
    assert [r.is_error for r in results] == [False] * 5 + [True] * 3
    assert "rate limit 5 per 1 minute reached for alice; retry after" in tool_text(results[-1])
    bob = await call_tool(host, "demo_echo", {"text": "y"}, request=as_user("bob-key"))
    assert bob.structured_content == {"echo": "y", "principal": "bob"}


async def test_anonymous_callers_are_limited_per_address(fixture_site: Path, ggen_host: Any) -> None:
    host = ggen_host(["demo"], rate_limit={"anonymous_limit": "2/minute"})
    first = RequestInfo(transport="http", client_address="10.0.0.1")
    second = RequestInfo(transport="http", client_address="10.0.0.2")
    outcomes = [(await call_tool(host, "demo_echo", {"text": "a"}, request=first)).is_error for _ in range(3)]
    assert outcomes == [False, False, True]
    assert not (await call_tool(host, "demo_echo", {"text": "a"}, request=second)).is_error


async def test_memory_storage_is_bounded(fixture_site: Path, ggen_host: Any) -> None:
    host = ggen_host(["demo"], rate_limit={"max_keys": 10})
    for n in range(50):
        caller = RequestInfo(transport="http", client_address=f"10.0.0.{n}")
        await call_tool(host, "demo_echo", {"text": "a"}, request=caller)
    assert host.rate_limiter.tracked_keys == 10


async def test_unreachable_redis_follows_the_policy(fixture_site: Path, ggen_host: Any) -> None:
    lenient = ggen_host(["demo"], rate_limit={"storage": "redis://127.0.0.1:1/0"})
    assert not (await call_tool(lenient, "demo_echo", {"text": "a"}, request=as_user("x"))).is_error
    strict = ggen_host(["demo"], rate_limit={"storage": "redis://127.0.0.1:1/0", "on_storage_error": "deny"})
    refused = await call_tool(strict, "demo_echo", {"text": "a"}, request=as_user("x"))
    assert refused.is_error and "rate-limit storage unavailable" in tool_text(refused)


async def test_a_failed_storage_is_not_tried_again_for_a_second(
    fixture_site: Path, ggen_host: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ggen_mcp_core import ratelimit

    host = ggen_host(["demo"], rate_limit={"storage": "redis://127.0.0.1:1/0", "on_storage_error": "deny"})
    limiter = host.rate_limiter
    attempts = []
    real_hit = limiter._hit
    monkeypatch.setattr(limiter, "_hit", lambda *a: attempts.append(1) or real_hit(*a))
    for _ in range(5):
        refused = await call_tool(host, "demo_echo", {"text": "a"}, request=as_user("x"))
        assert refused.is_error and "rate-limit storage unavailable" in tool_text(refused)
    assert len(attempts) == 1  # one connection attempt, then the breaker answers by the policy
    monkeypatch.setattr(ratelimit, "STORAGE_RETRY_SECONDS", 0.0)
    limiter._storage_down_until = 0.0
    await call_tool(host, "demo_echo", {"text": "a"}, request=as_user("x"))
    assert len(attempts) == 2  # after the pause the storage is tried again


async def test_server_busy_after_the_queue_timeout(fixture_site: Path, ggen_host: Any) -> None:
    host = ggen_host(["demo"], max_concurrent_calls=1, limits={"queue_timeout": 0.2})
    local = RequestInfo(transport="stdio")
    results: list[Any] = []

    async def slow() -> None:
        results.append(await call_tool(host, "demo_slow", {"seconds": 0.45}, request=local))

    async with anyio.create_task_group() as group:
        group.start_soon(slow)
        await anyio.sleep(0.05)
        busy = await call_tool(host, "demo_echo", {"text": "b"}, request=local)
    assert busy.is_error and "server busy: 1 calls running; retry demo_echo shortly" in tool_text(busy)
    assert not results[0].is_error
    assert not (await call_tool(host, "demo_echo", {"text": "c"}, request=local)).is_error


async def test_oversized_structured_result_is_refused(fixture_site: Path, ggen_host: Any) -> None:
    host = ggen_host(["demo"], limits={"max_result_bytes": 60})
    big = await call_tool(host, "demo_echo", {"text": "x" * 100}, request=RequestInfo(transport="stdio"))
    assert big.is_error and "over the 60-byte cap (limits.max_result_bytes)" in tool_text(big)
    small = await call_tool(host, "demo_echo", {"text": "x"}, request=RequestInfo(transport="stdio"))
    assert not small.is_error


def test_text_results_are_truncated_and_flagged() -> None:
    import mcp.types as types

    from ggen_mcp_core.tools import cap_result

    spec = type("Spec", (), {"name": "demo_text"})()
    result = types.CallToolResult(content=[types.TextContent(type="text", text="é" * 100)])
    capped = cap_result(spec, result, 50)  # type: ignore[arg-type]
    assert capped.meta == {"truncated": True}
    assert capped.content[0].text == "é" * 25
    assert "[truncated: 150 bytes over the cap]" in capped.content[-1].text


async def test_audit_log_file_has_one_line_per_call(fixture_site: Path, ggen_host: Any, tmp_path: Path) -> None:
    log_file = tmp_path / "audit" / "audit.jsonl"
    host = ggen_host(["demo"], audit={"file": str(log_file)}, auth={"mode": "api_key", "api_keys": KEYS})
    await call_tool(host, "demo_echo", {"text": "secret value"}, request=as_user("alice-key"))
    await call_tool(host, "demo_write", {"path": "x", "content": "y"}, request=as_user("bob-key"))
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert [(line["principal"], line["tool"], line["outcome"]) for line in lines] == [
        ("alice", "demo_echo", "ok"),
        ("bob", "demo_write", "denied"),
    ]
    assert set(lines[0]) == {
        "time",
        "event",
        "call_id",
        "parent_call_id",
        "request_id",
        "principal",
        "authenticated",
        "tool",
        "plugin",
        "arguments_sha256",
        "outcome",
        "error_type",
        "duration_ms",
    }
    assert "secret value" not in log_file.read_text(), "arguments are digested, never logged"


def test_auth_misconfiguration_is_fatal(fixture_site: Path, ggen_host: Any) -> None:
    from ggen_mcp_core import ConfigError

    with pytest.raises(ConfigError, match="no keys are configured"):
        ggen_host(["demo"], auth={"mode": "api_key"})
    with pytest.raises(ConfigError, match="audience is required"):
        ggen_host(["demo"], auth={"mode": "jwt", "jwt": {"jwks_url": "https://issuer.example/jwks"}})
    with pytest.raises(ConfigError, match="only https URLs"):
        ggen_host(["demo"], auth={"mode": "jwt", "jwt": {"audience": "a", "jwks_url": "http://issuer.example/jwks"}})


async def test_limits_are_shared_through_redis(fixture_site: Path, ggen_host: Any, redis_url: str) -> None:
    """Two replicas (two hosts) share one Redis: the limit holds across them."""
    settings = {
        "auth": {"mode": "api_key", "api_keys": KEYS},
        "rate_limit": {"limit": "4/minute", "storage": redis_url},
    }
    replica_a, replica_b = ggen_host(["demo"], **settings), ggen_host(["demo"], **settings)
    outcomes = []
    for replica in (replica_a, replica_b, replica_a, replica_b, replica_a, replica_b):
        result = await call_tool(replica, "demo_echo", {"text": "r"}, request=as_user("alice-key"))
        outcomes.append(result.is_error)
    assert outcomes == [False, False, False, False, True, True]
    assert not (await call_tool(replica_b, "demo_echo", {"text": "r"}, request=as_user("bob-key"))).is_error


async def test_memory_limiter_starts_no_thread_per_call() -> None:
    import threading

    from ggen_mcp_core.config import RateLimitSettings
    from ggen_mcp_core.principal import Principal
    from ggen_mcp_core.ratelimit import RateLimiter

    limiter = RateLimiter(RateLimitSettings(limit="1000/minute"))
    await anyio.sleep(0.05)  # the storage's one start-up timer ends
    started = threading.active_count()
    seen = set()
    for _ in range(20):
        await limiter.check(Principal(name="p"))
        seen.add(threading.active_count())
        await anyio.sleep(0.015)
    assert max(seen) <= started, f"threads went from {started} to {max(seen)}"
