"""The in-memory copy reads use (ggen_graph.replica): same answers as the disk, never stale after a write."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from ggen_graph.replica import MemoryReplica
from ggen_graph.store_ops import StoreOps
from graph_helpers import EX, ntriples

NAMES = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"


def rows(ops: StoreOps, sparql: str = NAMES) -> list[list[str | None]]:
    return list(ops.query(sparql=sparql, limit=1000, timeout=10).rows)


@pytest.fixture
def ops(tmp_path: Path) -> StoreOps:
    return StoreOps(ox.Store(str(tmp_path / "store")), replica_triples=1000)


def test_queries_read_the_copy_once_built_and_answer_as_the_disk_does(ops: StoreOps) -> None:
    ops.load(format="ntriples", data=ntriples(20).encode())
    from_disk = rows(ops)
    assert ops.replica.wait_ready(10)
    assert ops.replica.reader() is ops.replica.current is not None
    assert ops.replica.reader() is not ops.store
    assert len(ops.replica.current) == len(ops.store)
    assert len(rows(ops)) == 20 and rows(ops) == from_disk
    assert rows(ops) == list(StoreOps(ops.store).query(sparql=NAMES, limit=1000, timeout=10).rows)


@pytest.mark.parametrize("write", ["update", "load", "clear"])
def test_a_write_is_seen_by_the_next_query_and_by_the_rebuilt_copy(ops: StoreOps, write: str) -> None:
    ops.load(format="ntriples", data=ntriples(10).encode())
    assert ops.replica.wait_ready(10)
    before = len(rows(ops))
    if write == "update":
        ops.update(sparql=f"INSERT DATA {{ <{EX}new> <{EX}name> 'new' }}")
        expected = before + 1
    elif write == "load":
        ops.load(format="turtle", data=f"<{EX}new> <{EX}name> 'new' .".encode())
        expected = before + 1
    else:
        ops.clear()
        expected = 0
    assert len(rows(ops)) == expected  # straight after the write: the copy is gone, the disk answers
    assert ops.replica.wait_ready(10)
    assert len(rows(ops)) == expected


def test_a_failed_write_still_drops_and_rebuilds_the_copy(ops: StoreOps) -> None:
    ops.load(format="ntriples", data=ntriples(5).encode())
    assert ops.replica.wait_ready(10)
    with pytest.raises(Exception, match=r"(?i)syntax|parse|error"):
        ops.update(sparql="INSERT DATA { this is not sparql }")
    assert ops.replica.wait_ready(10)
    assert len(rows(ops)) == 5


def test_a_store_over_the_limit_stays_on_disk(tmp_path: Path) -> None:
    ops = StoreOps(ox.Store(str(tmp_path / "store")), replica_triples=5)
    ops.load(format="ntriples", data=ntriples(10).encode())
    assert not ops.replica.wait_ready(10)
    assert ops.replica.too_large and ops.replica.reader() is ops.store
    assert len(rows(ops)) > 0


def test_zero_turns_it_off_and_a_copy_overtaken_by_a_write_is_thrown_away(tmp_path: Path) -> None:
    store = ox.Store(str(tmp_path / "store"))
    off = StoreOps(store, replica_triples=0)
    off.load(format="ntriples", data=ntriples(3).encode())
    assert not off.replica.wait_ready(0.2) and off.replica.reader() is store
    replica = MemoryReplica(store, 0)
    replica.max_triples = 1000
    assert replica._copy(generation=replica._generation) is not None
    assert replica._copy(generation=replica._generation - 1) is None  # a write began since it was asked for
