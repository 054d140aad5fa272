"""Shared fixtures of the graph pack's tests: hosts, stores closed between tests, data builders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from ggen_graph.stores import close_all


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    """Each test opens its own workspace's store: close what earlier tests in this process left open (with
    xdist, files of other folders run in the same process first), and close it after the test so workers do
    not pile up; so ``open_stores()`` holds only the test's own stores."""
    close_all()
    yield
    close_all()


@pytest.fixture
def graph_host(ggen_host: Callable[..., Any]) -> Callable[..., Any]:
    """``graph_host(**graph_settings)``: a host with only the graph pack and these ``[graph]`` settings."""

    def factory(**graph: Any) -> Any:
        return ggen_host(["graph"], graph=graph) if graph else ggen_host(["graph"])

    return factory
