"""The tool schemas kept in the cache directory between starts (issue 16): the same ``tools/list`` with and
without them, used when the code is the same, generated again when a source file changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from ggen_mcp_core.tool_schema_cache import FILE_NAME, ToolSchemaCache
from ggen_mcp_core.tool_spec_cache import FILE_NAME as TOOL_SPECS_FILE

LIST_PROBE = """
import json, sys, anyio
from pathlib import Path
from ggen_mcp_core.testing import make_host, open_client

async def main():
    host = make_host(Path(sys.argv[1]), None, cache_dir=Path(sys.argv[2]))
    async with open_client(host) as client:
        tools = (await client.list_tools()).tools
    print(json.dumps([tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]))

anyio.run(main)
"""


def list_tools(workspace: Path, cache: Path) -> list[dict[str, object]]:
    """The full ``tools/list`` (every pack) of a fresh process whose host uses ``cache`` as cache_dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GGEN_MCP_")}
    probe = subprocess.run(
        [sys.executable, "-c", LIST_PROBE, str(workspace), str(cache)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr[-2000:]
    tools: list[dict[str, object]] = json.loads(probe.stdout.strip().splitlines()[-1])
    return tools


def test_tools_list_is_the_same_from_kept_schemas_and_the_kept_ones_are_served(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    cache = tmp_path / "cache"
    generated = list_tools(tmp_path / "ws", cache)
    kept_file = cache / FILE_NAME
    kept = json.loads(kept_file.read_text(encoding="utf-8"))
    assert len(kept["schemas"]) > 20, kept.keys()
    assert list_tools(tmp_path / "ws", cache) == generated  # the second start reads them: the same list
    # ... and they are what it serves: a kept schema changed on disk shows in the next start's tools/list
    key = next(k for k in kept["schemas"] if k.startswith("ggen_graph.tools.query:QueryInput:"))
    field = next(iter(kept["schemas"][key]["properties"]))
    kept["schemas"][key]["properties"][field]["description"] = "changed in the cache file"
    kept_file.write_text(json.dumps(kept), encoding="utf-8")
    (cache / TOOL_SPECS_FILE).unlink()  # the packs' tools are built again, not listed from their kept listings
    served = {tool["name"]: tool for tool in list_tools(tmp_path / "ws", cache)}
    query = served["graph_query"]["inputSchema"]
    assert query["properties"][field]["description"] == "changed in the cache file"  # type: ignore[index]


def write_model(package: Path, field: str) -> None:
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "models.py").write_text(
        textwrap.dedent(
            f"""
            from pydantic import BaseModel, Field

            class Args(BaseModel):
                {field}: str = Field(description="a field")

            class Authored(BaseModel):
                @classmethod
                def model_json_schema(cls, *args, **kwargs):
                    return {{"type": "object"}}
            """
        ),
        encoding="utf-8",
    )


def test_an_edited_source_file_changes_the_key_and_a_local_or_authored_model_is_not_kept(tmp_path: Path) -> None:
    import importlib

    package = tmp_path / "schema_cache_probe"
    write_model(package, "first")
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module("schema_cache_probe.models")
        cache = ToolSchemaCache(tmp_path / "cache" / FILE_NAME)
        key = cache.key(module.Args)
        assert cache.key(module.Authored) is None  # its author wrote its schema: generated every time
        assert key is not None and key.startswith("schema_cache_probe.models:Args:")
        cache.put(module.Args, {"type": "object", "marker": 1})
        cache.save()
        assert ToolSchemaCache(tmp_path / "cache" / FILE_NAME).get(module.Args) == {"type": "object", "marker": 1}
        write_model(package, "second_and_longer")  # an edit: other size, other modification time
        os.utime(package / "models.py", ns=(1, 1))
        assert ToolSchemaCache(tmp_path / "cache" / FILE_NAME).get(module.Args) is None
        edited = ToolSchemaCache(tmp_path / "cache" / FILE_NAME)
        assert edited.key(module.Args) != key
        edited.put(module.Args, {"type": "object", "marker": 2})  # replaces the entry of the older code
        assert list(edited.schemas) == [edited.key(module.Args)]
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("schema_cache_probe")]:
            del sys.modules[name]

    from pydantic import BaseModel

    class Local(BaseModel):  # one qualified name, possibly many classes
        text: str

    assert ToolSchemaCache().key(Local) is None


def test_a_damaged_schema_file_is_an_empty_one(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    path.write_text("{not json", encoding="utf-8")
    assert ToolSchemaCache(path).schemas == {}
    path.write_text(json.dumps({"format": 999, "schemas": {"a": {}}}), encoding="utf-8")
    assert ToolSchemaCache(path).schemas == {}
