"""Scale-out, shown over MCP sessions: stateless replicas on one Oxigraph server, one Redis and one shared
workspace (tests/scale_out_topology.py starts them on 127.0.0.1, once per session), called round robin.

- state written through one replica is what every other replica reads: graphs, saved plans, installed packs,
  hook registrations; no replica serves a query result cached before a write made through another;
- the rate limit is one limit across replicas (Redis), and Redis down follows on_storage_error on each;
- faults lose nothing committed: a replica SIGKILLed mid-graph_load or mid-project_apply (the client retries
  on another replica), the Oxigraph server stopped and started again (calls fail at once with a clear error,
  the breaker opens and closes, /readyz turns 503 and back).
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import psutil
import pytest

from tests.scale_out_topology import (
    PACK,
    Replica,
    RoundRobin,
    Topology,
    replica_env,
    start_replicas,
    start_topology,
    text_of,
)
from tests.test_faults import EX as PEOPLE
from tests.test_faults import (
    TEMP_SUFFIXES,
    assert_every_file_parses,
    in_flight,
    leftovers,
    report,
    wait_until,
    write_people,
)

pytestmark = pytest.mark.anyio
EX = "http://example.org/scale/"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    """Oxigraph, Redis, a registry and two replicas, started once per test session."""
    yield from start_topology(tmp_path_factory.mktemp("scale-out"), replicas=2)


@pytest.fixture
def balancer(topology: Topology) -> RoundRobin:
    return RoundRobin(topology.replicas)


@pytest.fixture(scope="session")
def limited(topology: Topology, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Replica]]:
    """Two more replicas (template pack only) with a small anonymous limit and on_storage_error = deny, on
    their own Redis database of the same server (all callers here are one anonymous client, 127.0.0.1)."""
    env = replica_env(
        topology.workspace,
        GGEN_MCP_LOAD_PLUGINS="template",
        GGEN_MCP_RATE_LIMIT__STORAGE=topology.redis.url(1),
        GGEN_MCP_RATE_LIMIT__ANONYMOUS_LIMIT="6/minute",
        GGEN_MCP_RATE_LIMIT__ON_STORAGE_ERROR="deny",
    )
    replicas = start_replicas(2, "limited", tmp_path_factory.mktemp("limited"), env)
    yield replicas
    for replica in replicas:
        replica.stop()


def count_query(graph: str) -> str:
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"


async def graph_size(balancer: RoundRobin, graph: str, on: Replica | None = None) -> int:
    answer = await balancer.ok("graph_query", {"sparql": count_query(graph)}, on)
    return int(answer["rows"][0][0])


# ---------------------------------------------------------------------------------------------------------
# State written through one replica, read through another


async def test_a_graph_loaded_through_one_replica_is_queried_through_another(
    topology: Topology, balancer: RoundRobin
) -> None:
    graph = f"{EX}people"
    added = write_people(topology.workspace / "people.nt", 50)
    first, second = topology.replicas
    loaded = await balancer.ok("graph_load", {"file": "people.nt", "graph": graph}, on=first)
    assert loaded["triples_added"] == added
    assert await graph_size(balancer, graph, on=second) == added
    answer = await balancer.ok(
        "graph_query", {"sparql": f"SELECT ?n WHERE {{ GRAPH <{graph}> {{ <{PEOPLE}p7> <{PEOPLE}name> ?n }} }}"}, second
    )
    assert answer["rows"] == [["person 7"]]
    listed = await balancer.ok("graph_list", {}, on=second)
    assert graph in [entry["name"] for entry in listed["graphs"]]


async def test_no_replica_serves_a_result_cached_before_a_write_through_another(
    topology: Topology, balancer: RoundRobin
) -> None:
    """The result cache is for embedded stores only (a remote store cannot vouch for a version that other
    writers change): each round reads on every replica, writes through one, reads again everywhere."""
    graph = f"{EX}counter"
    for round_ in range(1, 5):
        for replica in topology.replicas:  # the same query twice on each replica: a cache would now hold it
            for _ in range(2):
                assert await graph_size(balancer, graph, on=replica) == round_ - 1
        writer = topology.replicas[round_ % len(topology.replicas)]
        insert = f"INSERT DATA {{ GRAPH <{graph}> {{ <{EX}c{round_}> <{EX}n> {round_} }} }}"
        await balancer.ok("graph_update", {"sparql": insert}, on=writer)
        for replica in topology.replicas:
            assert await graph_size(balancer, graph, on=replica) == round_, f"{replica.name} served a stale result"


async def test_a_plan_made_on_one_replica_is_applied_on_another(topology: Topology, balancer: RoundRobin) -> None:
    folder = topology.workspace / "templates" / "planned"
    folder.mkdir(parents=True)
    (folder / "a.tmpl").write_text("---\nto: planned/{{ name }}-a.txt\n---\na {{ name }}\n")
    (folder / "b.tmpl").write_text("---\nto: planned/{{ name }}-b.txt\n---\nb {{ name }}\n")
    first, second = topology.replicas
    plan = await balancer.ok("project_plan", {"template": "planned", "vars": {"name": "x"}}, on=first)
    assert plan["estimated_files"] == 2
    applied = await balancer.ok("project_apply", {"plan": plan["plan_id"]}, on=second)
    assert sorted(applied["files_created"]) == ["planned/x-a.txt", "planned/x-b.txt"]
    assert (topology.workspace / "planned" / "x-a.txt").read_text() == "a x\n"


async def test_a_pack_installed_on_one_replica_generates_on_another(topology: Topology, balancer: RoundRobin) -> None:
    first, second = topology.replicas
    installed = await balancer.ok("market_install", {"package": PACK}, on=first)
    assert installed["version"] == "1.0.0"
    generated = await balancer.ok("project_gen", {"template": f"{PACK}:hello.tmpl", "vars": {"name": "w"}}, second)
    assert generated["files_created"] == ["scaled/w.txt"]
    assert (topology.workspace / "scaled" / "w.txt").read_text() == "scaled w\n"


async def test_hooks_registered_on_one_replica_run_on_another(topology: Topology, balancer: RoundRobin) -> None:
    folder = topology.workspace / "templates" / "hooked"
    folder.mkdir(parents=True)
    (folder / "h.tmpl").write_text("---\nto: hooked/{{ name }}.txt\n---\nhooked\n")
    marker = "hook-ran.txt"
    code = f"import os; open({marker!r}, 'a').write(os.environ['GGEN_TEMPLATE'] + '\\n')"
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"
    first, second = topology.replicas
    registration = {"event": "post_gen", "command": command, "name": "scaled-marker", "match": "templates/hooked*"}
    assert (await balancer.ok("hook_register", registration, on=first))["will_run"] is True
    listed = await balancer.ok("hook_list", {}, on=second)
    assert "scaled-marker" in [hook["name"] for hook in listed["hooks"]]
    await balancer.ok("project_gen", {"template": "templates/hooked/h.tmpl", "vars": {"name": "one"}}, second)
    assert (topology.workspace / marker).read_text().splitlines() == ["templates/hooked/h.tmpl"]
    ran = await balancer.ok("hook_run", {"name": "scaled-marker"}, on=second)
    assert ran["status"] == "ok"
    await balancer.ok("hook_remove", {"name": "scaled-marker"}, on=second)
    await balancer.ok("project_gen", {"template": "templates/hooked/h.tmpl", "vars": {"name": "two"}}, first)
    assert len((topology.workspace / marker).read_text().splitlines()) == 2, "a removed hook still ran"


# ---------------------------------------------------------------------------------------------------------
# One rate limit across replicas; Redis down


async def test_the_rate_limit_is_one_limit_across_replicas(limited: list[Replica]) -> None:
    """6 calls a minute: spread round robin over two replicas, calls 7 and 8 are refused on both."""
    balancer = RoundRobin(limited)
    outcomes = []
    for _ in range(8):
        result = await balancer.call("template_list", {})
        outcomes.append("refused" if result.is_error else "ok")
        if result.is_error:
            assert "rate limit 6 per 1 minute reached" in text_of(result), text_of(result)
    assert outcomes == ["ok"] * 6 + ["refused"] * 2
    assert balancer.served_by == ["limited0", "limited1"] * 4


async def test_redis_down_follows_each_replicas_storage_policy(
    topology: Topology, limited: list[Replica], balancer: RoundRobin
) -> None:
    """The topology's replicas allow (serve with a warning), the limited ones deny; every replica's /readyz
    says the storage does not answer; Redis back, every replica serves and is ready again."""
    topology.redis.stop()
    try:
        for replica in topology.replicas:
            assert not (await balancer.call("template_list", {}, on=replica)).is_error
        for replica in limited:
            refused = await RoundRobin(limited).call("template_list", {}, on=replica)
            assert refused.is_error and "rate-limit storage unavailable" in text_of(refused), text_of(refused)
        for replica in [*topology.replicas, *limited]:
            await wait_until(lambda r=replica: r.readyz()[0] == 503, 10, f"{replica.name} to turn not ready")
            _, body = replica.readyz()
            assert "does not answer" in body["not_ready"]["rate_limit"], body
            assert topology.redis.url(0).split("//")[1].split("/")[0] in body["not_ready"]["rate_limit"]
    finally:
        topology.redis.start()
    for replica in [*topology.replicas, *limited]:
        await wait_until(lambda r=replica: r.readyz()[0] == 200, 10, f"{replica.name} to be ready again")
    await anyio.sleep(1.1)  # the limiter leaves a failed storage alone for a second
    for replica in limited:
        assert not (await RoundRobin(limited).call("template_list", {}, on=replica)).is_error


# ---------------------------------------------------------------------------------------------------------
# Faults


@pytest.mark.parametrize("moment", ["parsing", "storing"])
async def test_a_replica_killed_mid_graph_load_loses_nothing(
    topology: Topology, balancer: RoundRobin, moment: str
) -> None:
    """The load is one INSERT DATA: the store has all of it or none of it when the replica dies (`parsing`:
    killed before the update was sent; `storing`: killed once the Oxigraph server is busy with it). The
    client retries on the other replica, and the graph then holds exactly the file, never twice."""
    graph = f"{EX}big-{moment}"
    big = write_people(topology.workspace / "big.nt", 40_000)
    victim = topology.replicas[0]
    store = psutil.Process(topology.oxigraph.pid)
    outcome: dict[str, Any] = {}

    def store_cpu() -> float:
        times = store.cpu_times()
        return float(times.user + times.system)

    async def load() -> None:
        outcome["result"], outcome["failures"] = await balancer.failover(
            "graph_load", {"file": "big.nt", "graph": graph}, first=victim
        )

    async with anyio.create_task_group() as group:
        group.start_soon(load)
        await in_flight(victim.port)
        if moment == "storing":
            idle = store_cpu()
            await wait_until(lambda: store_cpu() - idle > 0.2, 120, "the store to work on the update")
        else:
            await anyio.sleep(0.2)
        assert "result" not in outcome, "the load finished before the kill: make big.nt bigger"
        victim.kill9()
    assert len(outcome["failures"]) == 1 and outcome["failures"][0].startswith(victim.name)
    assert not outcome["result"].is_error, text_of(outcome["result"])
    assert topology.oxigraph.count(graph) == big
    restarted = topology.restart(0)
    assert await graph_size(balancer, graph, on=restarted) == big
    assert await graph_size(balancer, graph, on=topology.replicas[1]) == big
    report(f"replica SIGKILLed mid-graph_load ({moment})", {"load": big})


async def test_a_replica_killed_mid_project_apply_loses_nothing(topology: Topology, balancer: RoundRobin) -> None:
    """The apply stages files under .ggen/tmp (never beside targets); the retry on the other replica writes
    every file whole and sweeps the killed apply's staging folder (its lock died with the process)."""
    files, pad = 200, "x" * 4000
    folder = topology.workspace / "templates" / "many"
    folder.mkdir(parents=True)
    for n in range(files):
        (folder / f"t{n}.tmpl").write_text(
            f'---\nto: "many/f{n}.json"\n---\n{{"n": {n}, "name": "{{{{ name }}}}", "pad": "{pad}"}}\n'
        )
    victim, survivor = topology.replicas
    plan = await balancer.ok("project_plan", {"template": "many", "vars": {"name": "a"}}, on=survivor)
    staging = topology.workspace / ".ggen" / "tmp" / "template"
    outcome: dict[str, Any] = {}

    def staged() -> list[Path]:
        return [p for p in staging.rglob("*") if p.name.endswith(TEMP_SUFFIXES)] if staging.is_dir() else []

    async def apply() -> None:
        outcome["result"], outcome["failures"] = await balancer.failover(
            "project_apply", {"plan": plan["plan_id"], "force": True}, first=victim
        )

    async with anyio.create_task_group() as group:
        group.start_soon(apply)
        await wait_until(lambda: len(staged()) >= 5, 60, "staging")
        assert "result" not in outcome, "the apply finished before the kill: add templates"
        staged_at_kill = len(staged())
        victim.kill9()
    assert len(outcome["failures"]) == 1 and outcome["failures"][0].startswith(victim.name)
    result = outcome["result"]
    assert not result.is_error, text_of(result)
    written = result.structured_content
    assert len(written["files_created"]) + len(written["files_modified"]) + len(written["files_skipped"]) == files
    generated = topology.workspace / "many"
    assert sorted(p.name for p in generated.glob("f*.json")) == sorted(f"f{n}.json" for n in range(files))
    for path in generated.glob("f*.json"):
        assert json.loads(path.read_text())["name"] == "a"
    assert leftovers(topology.workspace) == []
    assert list(staging.glob("apply-*")) == [], "the killed apply's staging was not swept"
    assert_every_file_parses(topology.workspace)
    topology.restart(0)
    report("replica SIGKILLed mid-project_apply", {"staged_at_kill": staged_at_kill, "files": files})


async def test_oxigraph_down_fails_fast_opens_the_breaker_and_recovers(
    topology: Topology, balancer: RoundRobin
) -> None:
    graph = f"{EX}durable"
    await balancer.ok("graph_update", {"sparql": f"INSERT DATA {{ GRAPH <{graph}> {{ <{EX}d> <{EX}n> 1 }} }}"})
    before = await graph_size(balancer, graph)
    topology.oxigraph.stop()
    timings: dict[str, list[float]] = {}
    try:
        for replica in topology.replicas:
            messages = []
            for _ in range(4):  # threshold 3: the fourth call finds the breaker open
                started = time.perf_counter()
                result = await balancer.call("graph_query", {"sparql": count_query(graph)}, on=replica)
                timings.setdefault(replica.name, []).append(round((time.perf_counter() - started) * 1000, 1))
                assert result.is_error
                messages.append(text_of(result))
            assert "could not be reached" in messages[0] and topology.oxigraph.base in messages[0], messages[0]
            assert "circuit breaker is open" in messages[-1], messages
            await wait_until(lambda r=replica: r.readyz()[0] == 503, 10, f"{replica.name} to turn not ready")
            _, body = replica.readyz()
            assert body["not_ready"]["graph"].startswith("graph store unreachable: the SPARQL endpoint"), body
    finally:
        topology.oxigraph.start()
    for replica in topology.replicas:
        await wait_until(lambda r=replica: r.readyz()[0] == 200, 15, f"{replica.name} to be ready again")
        assert await graph_size(balancer, graph, on=replica) == before  # the breaker closed; nothing lost
    report("oxigraph down: graph_query ms per call (4 calls, breaker opens at 3)", timings)
