"""The graph pack's readiness (the embedded store opens) and shutdown (its workers stop)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.anyio


async def test_ready_once_the_store_opens_and_shutdown_closes_it(ggen_host: Any, ggen_workspace: Path) -> None:
    from ggen_graph.stores import open_stores

    # Stores of earlier tests in this process may still be open (the order of files differs per xdist
    # worker): this host's store is the one that opens with it.
    before = {id(store) for store in open_stores()}
    host = ggen_host(["graph"])
    assert await host.readiness() == {}
    assert (ggen_workspace / ".ggen" / "store").is_dir()
    ours = [store for store in open_stores() if id(store) not in before]
    assert [store.kind for store in ours] == ["embedded"]
    await host.shutdown()
    assert open_stores() == []


async def test_an_unusable_store_is_reported_not_ready(ggen_host: Any, ggen_workspace: Path) -> None:
    (ggen_workspace / ".ggen").write_text("a file where the state directory should be")
    host = ggen_host(["graph"])
    problems = await host.readiness()
    assert list(problems) == ["graph"] and problems["graph"].startswith("graph store did not open")


async def test_an_unreachable_remote_store_is_reported_not_ready(ggen_host: Any) -> None:
    """A replica whose SPARQL endpoint is down can only fail graph calls: /readyz must take it out of rotation."""
    host = ggen_host(["graph"], graph={"store": "sparql", "query_endpoint": "http://127.0.0.1:9/query"})
    problems = await host.readiness(within=5)
    assert list(problems) == ["graph"]
    assert problems["graph"].startswith("graph store unreachable: the SPARQL endpoint http://127.0.0.1:9/query")
