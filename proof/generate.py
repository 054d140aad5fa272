"""Generate code from every bundled template pack with the real server, over stdio, as an MCP client does.

One ``ggen-mcp serve`` process (stdio) in a fresh workspace: the bundled packs are listed with
``market_search`` (and checked against the pack sources shipped in ggen-market, so a new pack cannot be
missed), each is installed with ``market_install``, the proof ontology is loaded with ``graph_load``, and
every template of every pack is rendered twice:

- from the pack's own example ontology with ``project_gen`` into ``example/``;
- from the user's ontology (``proof/ontology.ttl``, graph ``urn:proof``, ``example: false``) with
  ``project_plan`` then ``project_apply`` into ``shop/``.

The result is a list of :class:`Generated` files the toolchain proofs consume.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

import anyio

HERE = Path(__file__).parent
ONTOLOGY = HERE / "ontology.ttl"
GRAPH = "urn:proof"
# Templates rendered more than once: one render per set of variables (every other template: once, defaults).
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "schema.sql.tmpl": [{"dialect": "sqlite"}, {"dialect": "postgres", "module": "schema_pg"}],
}
ONTOLOGIES = ("example", "shop")


@dataclasses.dataclass(frozen=True)
class Generated:
    """One generated file: which pack, template and variables made it, from which ontology."""

    pack: str
    template: str
    ontology: str  # "example" (the pack's own) or "shop" (proof/ontology.ttl)
    variables: tuple[tuple[str, Any], ...]
    path: Path

    @property
    def dialect(self) -> str | None:
        return dict(self.variables).get("dialect")


def bundled_pack_ids() -> set[str]:
    """The pack ids shipped as sources in ggen-market (one folder with a gpack.toml per pack)."""
    import tomllib

    from ggen_market.bundled import SOURCES

    return {tomllib.loads(p.read_text())["gpack"]["id"] for p in SOURCES.glob("*/gpack.toml")}


async def _call(client: Any, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    from ggen_mcp_core.testing import tool_text

    result = await client.call_tool(tool, arguments)
    if result.is_error:
        raise AssertionError(f"{tool}({arguments}) failed: {tool_text(result)}")
    structured: dict[str, Any] = result.structured_content
    return structured


def _written(result: dict[str, Any]) -> list[str]:
    return [*result.get("files_created", []), *result.get("files_modified", [])]


async def _generate(workspace: Path) -> list[Generated]:
    from mcp import Client, StdioServerParameters

    env = {**os.environ, "GGEN_MCP_LOG_LEVEL": "warning"}
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "ggen_mcp_core.cli", "--workspace", str(workspace), "serve"], env=env
    )
    made: list[Generated] = []
    async with Client(params, mode="legacy") as client:
        found = await _call(client, "market_search", {"query": "", "limit": 100})
        packs = sorted(hit["id"] for hit in found["results"])
        expected = bundled_pack_ids()
        if set(packs) != expected:
            raise AssertionError(f"market_search lists {packs}, the bundled sources are {sorted(expected)}")
        for pack in packs:
            await _call(client, "market_install", {"package": pack})
        await _call(client, "graph_load", {"content": ONTOLOGY.read_text(), "graph": GRAPH, "format": "turtle"})
        listed = await _call(client, "template_list", {})
        for pack in packs:
            templates = sorted(t["name"] for t in listed["templates"] if t["source"] == pack)
            if not templates:
                raise AssertionError(f"{pack} is installed but template_list shows none of its templates")
            for name in templates:
                made += await _render(client, pack, name)
    return made


async def _render(client: Any, pack: str, name: str) -> list[Generated]:
    made: list[Generated] = []
    file_name = Path(name.split(":", 1)[1]).name
    for variables in VARIANTS.get(file_name, [{}]):
        key = tuple(sorted(variables.items()))
        gen = await _call(client, "project_gen", {"template": name, "output": "example", "vars": variables})
        made += [Generated(pack, name, "example", key, Path(p)) for p in _written(gen)]
        own = {**variables, "example": False}
        plan = await _call(client, "project_plan", {"template": name, "output": "shop", "vars": own, "graph": GRAPH})
        applied = await _call(client, "project_apply", {"plan": plan["plan_id"]})
        made += [Generated(pack, name, "shop", key, Path(p)) for p in _written(applied)]
        if not _written(gen) or not _written(applied):
            raise AssertionError(f"{name} {variables} wrote nothing: {gen} / {applied}")
    return made


def generate(workspace: Path) -> list[Generated]:
    """Run the server in ``workspace`` and return every file it generated (paths absolute)."""
    made = anyio.run(_generate, workspace)
    return [dataclasses.replace(g, path=_absolute(workspace, g.path)) for g in made]


def _absolute(workspace: Path, path: Path) -> Path:
    return path if path.is_absolute() else workspace / path


if __name__ == "__main__":
    import tempfile

    root = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="ggen-proof-"))
    root.mkdir(parents=True, exist_ok=True)
    for item in generate(root):
        print(item.pack, item.template, item.ontology, dict(item.variables), item.path)
