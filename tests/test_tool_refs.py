"""Tools registered by reference (``ToolRef``, issue 16): built and checked on the first start, listed from their
kept listing (``<cache_dir>/tool-specs.json``) on the next without importing their module, imported on first
use; an edited file, other settings, or a damaged listing file means they are built again."""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import cache_dir_beside, make_host, open_client
from ggen_mcp_core.tool_spec_cache import FILE_NAME

PLUGIN = """
from pydantic import BaseModel, Field
from ggen_mcp_core import ToolRef, hookimpl

class Section(BaseModel):
    greeting: str = Field("hello", description="What the echo says first.")

TOOL_PREFIXES = ("{p}_",)
SETTINGS_SECTION = ("{p}", Section)

@hookimpl
def ggen_register_tools():
    return [ToolRef("{p}_echo", "{p}_tools:spec"), ToolRef("{p}_shout", "{p}_tools:SHOUT")]
"""
TOOLS = """
import threading
from pydantic import BaseModel, Field
from ggen_mcp_core import ToolSpec

IMPORTED_ON = threading.current_thread().name

class EchoIn(BaseModel):
    text: str = Field(description="What to echo.")

class EchoOut(BaseModel):
    text: str = Field(description="{out}")

async def echo(args, ctx):
    return EchoOut(text=f"{{ctx.settings.greeting}} {{args.text}}")

async def shout(args, ctx):
    return EchoOut(text=args.text.upper())

def spec(settings):
    return ToolSpec(name="{p}_echo", description=f"Echo the text after {{settings.greeting!r}}.",
                    input_model=EchoIn, output_model=EchoOut, handler=echo, read_only=True)

SHOUT = ToolSpec(name="{p}_shout", description="Shout the text.", input_model=EchoIn, output_model=EchoOut,
                 handler=shout, read_only=True)
"""


class Pack:
    """A third-party pack on disk: ``<p>_plugin.py`` (its hookimpls) and ``<p>_tools.py`` (its tool specs)."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.prefix = f"ref{uuid.uuid4().hex[:10]}"
        self.root = root / "site"
        self.root.mkdir()
        self.tools_file = self.root / f"{self.prefix}_tools.py"
        (self.root / f"{self.prefix}_plugin.py").write_text(PLUGIN.format(p=self.prefix), encoding="utf-8")
        self.write_tools("The echoed text.")
        monkeypatch.syspath_prepend(str(self.root))
        self.workspace = root / "ws"
        self.workspace.mkdir()

    @property
    def tools_module(self) -> str:
        return f"{self.prefix}_tools"

    def write_tools(self, out: str) -> None:
        self.tools_file.write_text(TOOLS.format(p=self.prefix, out=out), encoding="utf-8")
        importlib.invalidate_caches()

    def forget(self) -> None:
        """As a new process would: neither module imported."""
        for name in (f"{self.prefix}_plugin", self.tools_module):
            sys.modules.pop(name, None)

    def host(self, **settings: Any) -> PluginHost:
        """A fresh host (reading the kept listings) with this pack added as plugin ``<prefix>``."""
        self.forget()
        plugin: ModuleType = importlib.import_module(f"{self.prefix}_plugin")
        host = make_host(self.workspace, [], **settings)
        record = host.add_module(plugin, name=self.prefix)
        assert record.status == "loaded", record.error
        return host

    def kept(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((cache_dir_beside(self.workspace) / FILE_NAME).read_text(encoding="utf-8"))
        return data


async def listed(host: PluginHost) -> list[dict[str, Any]]:
    async with open_client(host) as client:
        return [t.model_dump(mode="json", by_alias=True) for t in (await client.list_tools()).tools]


async def call(host: PluginHost, name: str, arguments: dict[str, Any]) -> Any:
    async with open_client(host) as client:
        return await client.call_tool(name, arguments)


@pytest.mark.anyio
async def test_refs_are_listed_from_their_kept_listing_and_imported_on_first_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = Pack(tmp_path, monkeypatch)
    first = pack.host()
    echo, shout = f"{pack.prefix}_echo", f"{pack.prefix}_shout"
    assert not first.tools[echo].deferred and pack.tools_module in sys.modules  # built (and checked) at start
    assert set(pack.kept()["tools"]) == {f"{pack.tools_module}:spec", f"{pack.tools_module}:SHOUT"}
    built = await listed(first)

    second = pack.host()
    assert second.tools[echo].deferred and second.tools[shout].deferred
    assert pack.tools_module not in sys.modules, "a kept listing must not import the tool's module"
    assert await listed(second) == built  # the same tools/list, schemas included
    assert pack.tools_module not in sys.modules
    result = await call(second, echo, {"text": "world"})
    assert not result.is_error, result.content
    assert result.structured_content == {"text": "hello world"}  # its own settings, as when built at start
    assert pack.tools_module in sys.modules
    loop_thread = threading.current_thread().name  # the test's event loop runs here
    assert loop_thread != sys.modules[pack.tools_module].IMPORTED_ON, "the first call imports off the event loop"
    assert second.tools[echo].is_loaded and not second.tools[shout].is_loaded  # each tool on its own first use
    invalid = await call(second, shout, {"text": 3})
    assert invalid.is_error and "'text'" in invalid.content[0].text


@pytest.mark.anyio
async def test_an_edited_tool_module_or_other_settings_build_the_tools_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = Pack(tmp_path, monkeypatch)
    pack.host()
    stat = pack.tools_file.stat()
    pack.write_tools("The text, echoed.")
    os.utime(pack.tools_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    edited = pack.host()
    echo = edited.tools[f"{pack.prefix}_echo"]
    assert not echo.deferred, "an edited source file must not be listed from the listing of the old code"
    assert (echo.output_schema() or {})["properties"]["text"]["description"] == "The text, echoed."
    assert pack.host().tools[f"{pack.prefix}_echo"].deferred  # ... and kept again, replacing the old entry
    assert len(pack.kept()["tools"]) == 2

    other = pack.host(**{pack.prefix: {"greeting": "hi"}})
    assert not other.tools[f"{pack.prefix}_echo"].deferred  # its description depends on the settings
    assert other.tools[f"{pack.prefix}_echo"].description == "Echo the text after 'hi'."


@pytest.mark.anyio
async def test_a_damaged_listing_file_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = Pack(tmp_path, monkeypatch)
    pack.host()
    path = cache_dir_beside(pack.workspace) / FILE_NAME
    good = path.read_text(encoding="utf-8")
    entry = f"{pack.tools_module}:spec"
    damaged: list[str] = ["{not json", json.dumps({"format": 99, "tools": json.loads(good)["tools"]})]
    for change in ({"listing": {"name": f"{pack.prefix}_echo"}}, {"key": "0" * 64}, {"packages": "ggen_mcp_core"}):
        data = json.loads(good)
        if "listing" in change:
            data["tools"][entry]["listing"]["scopes"] = "everything"  # a field of the wrong type
        else:
            data["tools"][entry].update(change)
        damaged.append(json.dumps(data))
    for text in damaged:
        path.write_text(text, encoding="utf-8")
        host = pack.host()
        assert not host.tools[f"{pack.prefix}_echo"].deferred, text[:200]
        assert json.loads(path.read_text(encoding="utf-8")) == json.loads(good)  # written again, whole


@pytest.mark.anyio
async def test_a_listing_that_is_not_what_the_code_builds_is_never_called(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A well-formed listing under the right key is served (as a kept schema is), but the first call builds the
    # spec from the code and refuses to run it against a listing it does not match.
    pack = Pack(tmp_path, monkeypatch)
    pack.host()
    path = cache_dir_beside(pack.workspace) / FILE_NAME
    data = json.loads(path.read_text(encoding="utf-8"))
    data["tools"][f"{pack.tools_module}:SHOUT"]["listing"]["read_only"] = False
    path.write_text(json.dumps(data), encoding="utf-8")
    host = pack.host()
    shout = host.tools[f"{pack.prefix}_shout"]
    assert shout.deferred and not shout.read_only
    result = await call(host, shout.name, {"text": "a"})
    assert result.is_error
    assert "changed after the server started" in result.content[0].text and "restart" in result.content[0].text
    assert f"{pack.tools_module}:SHOUT" not in pack.kept()["tools"]  # dropped: a restart builds it again
    restarted = pack.host()
    assert not restarted.tools[shout.name].deferred and restarted.tools[shout.name].read_only
    assert not (await call(restarted, shout.name, {"text": "a"})).is_error


@pytest.mark.anyio
async def test_a_tool_module_gone_after_start_is_an_error_result_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = Pack(tmp_path, monkeypatch)
    pack.host()
    host = pack.host()
    pack.tools_file.unlink()
    importlib.invalidate_caches()
    result = await call(host, f"{pack.prefix}_echo", {"text": "a"})
    assert result.is_error
    text = result.content[0].text
    assert f"{pack.prefix}_echo could not be loaded from {pack.tools_module}:spec" in text, text
    assert "ModuleNotFoundError" in text
    assert host.record(pack.prefix).status == "loaded"  # the other tools of the pack stay served
    assert f"{pack.tools_module}:spec" not in pack.kept()["tools"]
    pack.forget()
    restarted = make_host(pack.workspace, [])
    record = restarted.add_module(importlib.import_module(f"{pack.prefix}_plugin"), name=pack.prefix)
    assert record.status == "failed_register" and "ModuleNotFoundError" in (record.error or "")  # reported at start


def test_a_bad_ref_fails_only_its_pack_with_the_reason(tmp_path: Path) -> None:
    from ggen_mcp_core import ToolRef, hookimpl

    (tmp_path / "ws").mkdir()
    host = make_host(tmp_path / "ws", [])
    cases = {
        "refmissing": ToolRef("refmissing_x", "refmissing_no_such_module:spec"),
        "refwrongname": ToolRef("refwrongname_x", "ggen_hook.tools.hook_list:SPEC"),
        "refbadtarget": ToolRef("refbadtarget_x", "no colon here"),
    }
    for name, ref in cases.items():
        module = ModuleType(name)

        @hookimpl
        def ggen_register_tools(ref: ToolRef = ref) -> list[ToolRef]:
            return [ref]

        module.ggen_register_tools = ggen_register_tools  # type: ignore[attr-defined]
        record = host.add_module(module, name=name)
        assert record.status == "failed_register" and record.error is not None
    assert "ModuleNotFoundError" in (host.record("refmissing").error or "")
    assert "makes a tool named 'hook_list'" in (host.record("refwrongname").error or "")
    assert "must be 'package.module:attribute'" in (host.record("refbadtarget").error or "")
    assert not any(name.startswith("ref") for name in host.tools)


def test_a_spec_json_cannot_carry_is_built_at_every_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A tuple in `meta` would come back from JSON as a list: such a tool is never listed from a kept listing.
    from pydantic import BaseModel

    from ggen_mcp_core import ToolRef, hookimpl

    class Section(BaseModel):
        greeting: str = "hello"

    prefix = f"ref{uuid.uuid4().hex[:10]}"
    site = tmp_path / "site"
    site.mkdir()
    (site / f"{prefix}_tools.py").write_text(
        TOOLS.format(p=prefix, out="The echoed text.").replace(
            "read_only=True)\n\nSHOUT", 'read_only=True, meta={"pair": (1, 2)})\n\nSHOUT'
        ),
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(site))
    (tmp_path / "ws").mkdir()
    module = ModuleType(prefix)

    @hookimpl
    def ggen_register_tools() -> list[ToolRef]:
        return [ToolRef(f"{prefix}_echo", f"{prefix}_tools:spec"), ToolRef(f"{prefix}_shout", f"{prefix}_tools:SHOUT")]

    module.ggen_register_tools = ggen_register_tools  # type: ignore[attr-defined]
    module.TOOL_PREFIXES = (f"{prefix}_",)  # type: ignore[attr-defined]
    module.SETTINGS_SECTION = (prefix, Section)  # type: ignore[attr-defined]
    for _ in range(2):
        sys.modules.pop(f"{prefix}_tools", None)
        host = make_host(tmp_path / "ws", [])
        record = host.add_module(module, name=prefix)
        assert record.status == "loaded", record.error
        assert not host.tools[f"{prefix}_echo"].deferred and host.tools[f"{prefix}_shout"].deferred is (_ == 1)
    kept = json.loads((cache_dir_beside(tmp_path / "ws") / FILE_NAME).read_text(encoding="utf-8"))["tools"]
    assert list(kept) == [f"{prefix}_tools:SHOUT"]
