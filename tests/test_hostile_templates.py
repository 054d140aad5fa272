"""A hostile template in the workspace cannot stall template_list or /healthz.

On 06631f7 a workspace holding one YAML alias bomb made template_list never answer and froze /healthz for
48 s: the listing's result was expanded to 24 GB on the event loop. Here uvicorn serves the real app on
127.0.0.1; while an MCP client lists a workspace full of alias bombs, deeply nested and oversized templates,
/healthz keeps answering, and the listing names every bad file with the limit it broke.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio

BOMB = (
    "---\nvars:\n  a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"  {name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        for prev, name in itertools.pairwise("abcdefghi")
    )
    + "---\n{{ i }}\n"
)
DEEP = "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}\n"
COPIES = 20


async def test_template_list_and_healthz_answer_beside_hostile_templates(
    ggen_host: Any, http_server: Callable[..., str]
) -> None:
    host = ggen_host(["template"], rate_limit={"enabled": False})
    templates = host.workspace.root / "templates"
    templates.mkdir()
    for index in range(COPIES):
        (templates / f"bomb{index}.tmpl").write_text(BOMB)
        (templates / f"deep{index}.tmpl").write_text(DEEP)
    (templates / "huge.tmpl").write_text("x" * (2 * 1024 * 1024))
    (templates / "fine.tmpl").write_text("---\ndescription: fine\n---\nhello\n")
    base = http_server(host)
    health: list[int] = []
    listing: list[Any] = []

    async def list_templates() -> None:
        async with Client(f"{base}/mcp", mode="legacy") as client:
            listing.append(await client.call_tool("template_list", {}))

    async with httpx.AsyncClient(base_url=base, timeout=30) as http, anyio.create_task_group() as group:
        group.start_soon(list_templates)
        while True:  # at least once while the listing runs
            health.append((await http.get("/healthz")).status_code)
            if listing:
                break
            await anyio.sleep(0.05)
    assert health and set(health) == {200}
    result = listing[0]
    assert not result.is_error, tool_text(result)
    entries = {t["name"]: t for t in result.structured_content["templates"]}
    assert len(entries) == 2 * COPIES + 2
    for index in range(COPIES):
        assert "(template.max_yaml_expansion)" in entries[f"bomb{index}"]["error"]
        assert "(template.max_nesting)" in entries[f"deep{index}"]["error"]
    assert "(template.max_template_bytes)" in entries["huge"]["error"]
    assert entries["fine"]["error"] is None and entries["fine"]["description"] == "fine"
