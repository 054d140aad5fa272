"""Dependency resolution, ggen.lock, the URL policy, the circuit breaker and search ranking."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from ggen_market.breaker import CircuitBreaker, backoff_delay
from ggen_market.errors import MarketError, RegistryUnavailable, ResolutionError, UrlRefused
from ggen_market.index import RegistryIndex, parse_index
from ggen_market.lockfile import LockEntry, Lockfile, read_lockfile, workspace_lock, write_lockfile
from ggen_market.ranking import match, search
from ggen_market.resolver import Root, resolve
from ggen_market.semver import parse_range
from ggen_market.urlpolicy import UrlPolicy, check_static, check_url

from ggen_mcp_core import Workspace

pytestmark = pytest.mark.anyio


def make_index(packs: dict[str, dict[str, dict[str, str]]], **meta: Any) -> RegistryIndex:
    """``{id: {version: {dep: req}}}`` -> an index."""
    doc: dict[str, Any] = {"packs": {}}
    for pack_id, versions in packs.items():
        doc["packs"][pack_id] = {
            "id": pack_id,
            "name": pack_id.split(".")[-1],
            "description": f"the {pack_id} pack",
            "latest_version": max(versions, key=lambda v: tuple(int(p) for p in v.split("-")[0].split("."))),
            "versions": {
                v: {"version": v, "url": f"{pack_id}-{v}.tar.gz", "size": 10, "sha256": "a" * 64, "dependencies": deps}
                for v, deps in versions.items()
            },
            **meta.get(pack_id, {}),
        }
    return parse_index(json.dumps(doc).encode())


def order(steps: list[Any]) -> list[str]:
    return [f"{s.pack_id}@{s.version}" for s in steps]


def test_dependencies_come_first_with_the_best_versions() -> None:
    index = make_index(
        {
            "io.app": {"1.0.0": {"io.lib": "^1.1", "io.util": "~0.2"}},
            "io.lib": {"1.0.0": {}, "1.1.0": {"io.util": ">=0.2.1"}, "1.4.2": {"io.util": ">=0.2.1"}, "2.0.0": {}},
            "io.util": {"0.2.0": {}, "0.2.5": {}, "0.3.0": {}},
        }
    )
    steps = resolve(index, Lockfile(), [Root("io.app", None)])
    assert order(steps) == ["io.util@0.2.5", "io.lib@1.4.2", "io.app@1.0.0"]
    assert [s.direct for s in steps] == [False, False, True] and steps[-1].requirement == "*"


def test_locked_versions_are_kept_when_they_still_fit() -> None:
    index = make_index({"io.app": {"1.0.0": {"io.lib": "^1"}}, "io.lib": {"1.0.0": {}, "1.2.0": {}}})
    lock = Lockfile({"io.lib": LockEntry("io.lib", "1.0.0", "a" * 64, "x")})
    assert order(resolve(index, lock, [Root("io.app", None)])) == ["io.lib@1.0.0", "io.app@1.0.0"]
    assert order(resolve(index, lock, [Root("io.lib", None, upgrade=True)])) == ["io.lib@1.2.0"]


def test_cycles_conflicts_and_unknown_packs_are_errors() -> None:
    cyclic = make_index(
        {"io.a": {"1.0.0": {"io.b": "1"}}, "io.b": {"1.0.0": {"io.c": "1"}}, "io.c": {"1.0.0": {"io.a": "1"}}}
    )
    with pytest.raises(ResolutionError, match=re.escape("cycle: io.a -> io.b -> io.c -> io.a")):
        resolve(cyclic, Lockfile(), [Root("io.a", None)])
    siblings = make_index(
        {
            "io.a": {"1.0.0": {"io.x": "^1", "io.b": "1"}},
            "io.b": {"1.0.0": {"io.x": "^2"}},
            "io.x": {"1.0.0": {}, "2.0.0": {}},
        }
    )
    with pytest.raises(ResolutionError, match=r"no version of io.x satisfies \^1 \(from io.a\), \^2 \(from io.b\)"):
        resolve(siblings, Lockfile(), [Root("io.a", None)])
    deep = make_index(
        {
            "io.a": {"1.0.0": {"io.x": "^1", "io.z": "1"}},
            "io.z": {"1.0.0": {"io.y": "1"}},
            "io.y": {"1.0.0": {"io.x": "^2"}},
            "io.x": {"1.0.0": {}, "2.0.0": {}},
        }
    )
    with pytest.raises(ResolutionError, match=re.escape("conflict on io.x: 1.0.0 was chosen, but io.y needs ^2")):
        resolve(deep, Lockfile(), [Root("io.a", None)])
    missing = make_index({"io.a": {"1.0.0": {"io.gone": "1"}}, "io.gine": {"1.0.0": {}}})
    with pytest.raises(ResolutionError, match=r"'io.gone' is not in the registry \(a dependency of io.a\).*io.gine"):
        resolve(missing, Lockfile(), [Root("io.a", None)])
    with pytest.raises(ResolutionError, match=re.escape("no version of io.a satisfies >=2")):
        resolve(missing, Lockfile(), [Root("io.a", parse_range(">=2"))])
    held = make_index({"io.x": {"1.0.0": {}, "2.0.0": {}}})
    lock = Lockfile({"io.y": LockEntry("io.y", "1.0.0", "a" * 64, "x", ["io.x@^1"])})
    with pytest.raises(ResolutionError, match=r"io\.y"):
        resolve(held, lock, [Root("io.x", parse_range("2.0.0"))])
    with pytest.raises(ResolutionError, match="more than 1 packs"):
        resolve(
            make_index({"io.a": {"1.0.0": {"io.b": "1"}}, "io.b": {"1.0.0": {}}}),
            Lockfile(),
            [Root("io.a", None)],
            max_packs=1,
        )


def test_yanked_versions_are_skipped_unless_pinned() -> None:
    index = make_index({"io.y": {"1.0.0": {}, "1.1.0": {}}})
    index.packs["io.y"].versions["1.1.0"].yanked = True
    assert order(resolve(index, Lockfile(), [Root("io.y", parse_range("^1"))])) == ["io.y@1.0.0"]
    assert order(resolve(index, Lockfile(), [Root("io.y", parse_range("1.1.0"))])) == ["io.y@1.1.0"]


def test_lockfile_round_trip_and_errors(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path)
    assert read_lockfile(workspace).packs == {}
    lock = Lockfile()
    lock.upsert(LockEntry("io.b", "1.0.0", "b" * 64, "https://r/b.tar.gz", ["io.a@^1"], "*"))
    lock.upsert(LockEntry("io.a", "1.2.0", "a" * 64, "bundled:archives/a.tar.gz"))
    write_lockfile(workspace, lock)
    text = (tmp_path / "ggen.lock").read_text()
    assert text.index('id = "io.a"') < text.index('id = "io.b"') and "[[packs]]" in text and 'version = "1.0"' in text
    again = read_lockfile(workspace)
    assert again.packs["io.b"].dependencies == ["io.a@^1"] and again.packs["io.b"].requirement == "*"
    odd = 'https://r/x?a="b"&c=\\d\n\t\x7f\x01é#'
    lock.upsert(LockEntry("io.c", "1.0.0", "c" * 64, odd, ["io.a@>=1 <2"]))
    write_lockfile(workspace, lock)
    assert read_lockfile(workspace).packs["io.c"].source == odd  # every character survives the round trip
    assert again.dependants("io.a") == ["io.b"]
    for broken, reason in [
        ("packs = [", "not valid TOML"),
        ('[[packs]]\nid = "io.a"\n', "lacks 'version'"),
        ('[[packs]]\nid = "../x"\nversion = "1.0.0"\nsha256 = "x"\n', "not a valid pack id"),
        ('[[packs]]\nid = "io.a"\nversion = "1.0.0"\nsha256 = "xyz"\n', "64 hex"),
    ]:
        (tmp_path / "ggen.lock").write_text(broken)
        with pytest.raises(MarketError, match=reason):
            read_lockfile(workspace)


def test_workspace_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    with (
        workspace_lock(tmp_path, timeout=1),
        pytest.raises(MarketError, match="another install"),
        workspace_lock(tmp_path, timeout=0.1),
    ):
        pass
    with workspace_lock(tmp_path, timeout=0.1):
        pass


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://registry.example.org/index.json", True),
        ("http://127.0.0.1:8080/", True),
        ("http://localhost/", True),
        ("https://[::1]/", True),
        ("http://registry.example.org/", False),
        ("http://10.0.0.5/", False),
        ("https://10.0.0.5/", False),
        ("https://169.254.169.254/latest/meta-data", False),
        ("https://[::ffff:192.168.1.1]/", False),
        ("https://user:pw@registry.example.org/", False),
        ("ftp://registry.example.org/", False),
        ("file:///srv/registry/", False),
        ("gopher://x", False),
        ("https://:99999/", False),
    ],
)
def test_static_url_policy(url: str, allowed: bool) -> None:
    if allowed:
        check_static(url, UrlPolicy(), what="URL")
    else:
        with pytest.raises(UrlRefused):
            check_static(url, UrlPolicy(), what="URL")


async def test_policy_switches_and_dns() -> None:
    check_static("file:///srv/registry/", UrlPolicy(allow_file=True), what="URL")
    with pytest.raises(UrlRefused, match="remote host"):
        check_static("file://evil.example/x", UrlPolicy(allow_file=True), what="URL")
    check_static("https://10.0.0.5/", UrlPolicy(allowed_hosts=frozenset({"10.0.0.5"})), what="URL")
    await check_url("https://127.0.0.1/", UrlPolicy(), what="URL")
    with pytest.raises(RegistryUnavailable, match="cannot resolve"):
        await check_url("https://no-such-host.invalid/", UrlPolicy(), what="URL")


def test_breaker_opens_half_opens_and_closes() -> None:
    breaker = CircuitBreaker("r", threshold=2, reset=0.05)
    breaker.failure()
    breaker.before()
    breaker.failure()
    assert breaker.state == "open"
    with pytest.raises(RegistryUnavailable, match="circuit breaker is open"):
        breaker.before()
    time.sleep(0.06)
    assert breaker.state == "half_open"
    breaker.before()
    breaker.failure()
    assert breaker.state == "open"
    time.sleep(0.06)
    breaker.success()
    assert breaker.state == "closed" and breaker.failures == 0
    assert all(0 <= backoff_delay(n, 0.5) <= min(8.0, 0.5 * 2 ** (n - 1)) for n in range(1, 8) for _ in range(20))


def test_search_matching_ranking_and_sorting() -> None:
    index = make_index(
        {
            "io.ggen.python.models": {"1.0.0": {}},
            "io.ggen.rust.serde": {"1.0.0": {}},
            "io.other.pythonic": {"1.0.0": {}},
            "io.ggen.sql.ddl": {"1.0.0": {}},
        },
        **{
            "io.ggen.python.models": {
                "name": "Python models",
                "tags": ["python", "pydantic"],
                "downloads": 5,
                "category": "python",
                "updated": "2026-01-01T00:00:00Z",
            },
            "io.other.pythonic": {
                "name": "Snake helpers",
                "description": "pythonic helpers",
                "downloads": 50,
                "category": "python",
                "updated": "2026-05-01T00:00:00Z",
            },
            "io.ggen.rust.serde": {"name": "Rust serde", "tags": ["rust"], "category": "rust"},
            "io.ggen.sql.ddl": {"name": "SQL DDL", "keywords": ["database"], "category": "sql"},
        },
    )
    hits = search(index, "python")
    assert [h.pack.id for h in hits] == ["io.ggen.python.models", "io.other.pythonic"]
    assert hits[0].relevance > hits[1].relevance
    assert search(index, "python", sort="downloads")[0].pack.id == "io.other.pythonic"
    assert search(index, "python", sort="updated")[0].pack.id == "io.other.pythonic"
    assert [h.pack.id for h in search(index, "", sort="name", limit=2)] == [
        "io.ggen.python.models",
        "io.ggen.rust.serde",
    ]
    assert [h.pack.id for h in search(index, "", sort="downloads", limit=2)] == [
        "io.other.pythonic",
        "io.ggen.python.models",
    ]
    assert search(index, "python rust") == []
    assert [h.pack.id for h in search(index, "", category="SQL")] == ["io.ggen.sql.ddl"]
    assert [h.pack.id for h in search(index, "", tag="database")] == ["io.ggen.sql.ddl"]
    assert [h.pack.id for h in search(index, "ddl", category="rust")] == []
    assert search(index, "pydantc") == []
    assert [h.pack.id for h in search(index, "pydantc", fuzzy=True)] == ["io.ggen.python.models"]
    assert search(index, "io.ggen.sql.ddl")[0].relevance >= 100
    assert [h.pack.id for h in search(index, "ggen.sql")] == ["io.ggen.sql.ddl"]  # inside the id
    assert [h.pack.id for h in search(index, "helpers snake")] == ["io.other.pythonic"]
    assert len(match(index, "python")) == 2 and len(match(index, "", category="python")) == 2
