"""Fixtures of the AI pack's tests: a host with the graph, template and AI packs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ggen_mcp_core.plugins import PluginHost


@pytest.fixture
def ai_host(ggen_host: Callable[..., PluginHost]) -> Callable[..., PluginHost]:
    """``ai_host(**ai_settings)`` -> a host with the graph, template and AI packs."""

    def factory(**ai: Any) -> PluginHost:
        return ggen_host(["graph", "template", "ai"], ai=ai)

    return factory
