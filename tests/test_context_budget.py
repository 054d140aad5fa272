"""Issue 16's context budget, checked on the real ``tools/list`` of a session with every first-party pack: the
model-visible part (name, description, inputSchema as compact JSON) stays within 16,000 bytes (4,000 tokens
counted as bytes/4), and each pack within its share (``bench/context_cost.py``'s ``PACK_BUDGETS``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]


def bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("context_cost", REPO / "bench" / "context_cost.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("context_cost", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.anyio
async def test_every_tool_fits_the_models_context_budget() -> None:
    bench = bench_module()
    measured = await bench.measure("all")
    packs = measured["packs"]
    assert {"graph", "template", "market", "hook", "ai"} <= set(packs), packs
    assert sum(bench.PACK_BUDGETS.values()) <= bench.TOTAL_BUDGET
    assert measured["bytes"] <= bench.TOTAL_BUDGET, measured
    over = {name: row["bytes"] for name, row in packs.items() if row["bytes"] > bench.PACK_BUDGETS.get(name, 0)}
    assert not over, f"over their share: {over} (budgets {bench.PACK_BUDGETS})"
