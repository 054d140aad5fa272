"""The workflow prompts over real sessions: prompts/list, prompts/get and completion/complete from live state."""

from __future__ import annotations

from typing import Any

import mcp.types as types
import pytest
from mcp.shared.exceptions import MCPError

from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
ONTOLOGY = """@prefix ex: <http://example.org/shop#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:Book a owl:Class ; rdfs:label "Book" .
ex:title a owl:DatatypeProperty ; rdfs:domain ex:Book ; rdfs:range xsd:string .
"""
ALL = {"design_ontology", "query_graph", "review_against_ontology", "generate_code"}


def prompt_ref(name: str) -> types.PromptReference:
    return types.PromptReference(type="ref/prompt", name=name)


async def call_ok(client: Any, name: str, arguments: dict[str, Any]) -> Any:
    result = await client.call_tool(name, arguments)
    assert not result.is_error, tool_text(result)
    return result


@pytest.mark.parametrize("mode", MODES)
async def test_prompts_list_and_get(ggen_host: Any, ggen_client: Any, mode: str) -> None:
    host = ggen_host(["graph", "template", "market"])
    async with ggen_client(host, mode=mode) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        assert set(prompts) == ALL
        assert [(a.name, a.required) for a in prompts["generate_code"].arguments or []] == [
            ("graph", True),
            ("pack", False),
            ("template", False),
            ("output", False),
        ]
        design = await client.get_prompt("design_ontology", {"domain": "a bookshop", "graph": "urn:x:shop"})
        text = design.messages[0].content.text
        assert "a bookshop" in text and "graph=urn:x:shop" in text and "graph_load" in text
        await call_ok(client, "graph_load", {"content": ONTOLOGY, "graph": "urn:x:shop"})
        query = await client.get_prompt("query_graph", {"question": "Which books?"})
        assert "- urn:x:shop: 5 triples" in query.messages[0].content.text  # read from the store now
        generate = await client.get_prompt("generate_code", {"graph": "urn:x:shop", "pack": "io.ggen.sql.ddl"})
        assert "market_install (package=io.ggen.sql.ddl)" in generate.messages[0].content.text
        with pytest.raises(MCPError, match="give `pack`"):
            await client.get_prompt("generate_code", {"graph": "urn:x:shop"})
        with pytest.raises(MCPError, match="needs: question"):
            await client.get_prompt("query_graph", {})


async def test_review_embeds_the_ontology_and_the_files(ggen_host: Any, ggen_client: Any) -> None:
    host = ggen_host(["graph"])
    out = host.workspace.root / "out"
    out.mkdir()
    (out / "models.py").write_text("class Book:\n    title: str\n")
    secret = host.workspace.root.parent / "secret.txt"
    secret.write_text("outside")
    (out / "link.txt").symlink_to(secret)  # a link out of the workspace is never read
    async with ggen_client(host) as client:
        await call_ok(client, "graph_load", {"content": ONTOLOGY, "graph": "urn:x:shop"})
        review = await client.get_prompt("review_against_ontology", {"path": "out", "graph": "urn:x:shop"})
        ontology, code, instructions = review.messages
        assert str(ontology.content.resource.uri) == "ggen://graphs/urn%3Ax%3Ashop"
        assert "ex:Book a owl:Class" in ontology.content.resource.text
        assert str(code.content.resource.uri) == "file:///out/models.py"
        assert code.content.resource.text == "class Book:\n    title: str\n"
        assert "1 file(s)" in instructions.content.text
        with pytest.raises(MCPError, match=r"path: .*outside the workspace"):
            await client.get_prompt("review_against_ontology", {"path": "../etc"})
        with pytest.raises(MCPError, match="no files under"):
            (out / "empty").mkdir()
            await client.get_prompt("review_against_ontology", {"path": "out/empty"})


async def test_a_prompt_whose_tools_are_not_served_is_not_listed(ggen_host: Any, ggen_client: Any) -> None:
    host = ggen_host(["graph"])
    async with ggen_client(host) as client:
        names = {p.name for p in (await client.list_prompts()).prompts}
        assert names == ALL - {"generate_code"}
        with pytest.raises(MCPError, match="needs tools this server does not offer now: template_list"):
            await client.get_prompt("generate_code", {"graph": "urn:x", "pack": "p"})


@pytest.mark.parametrize("mode", MODES)
async def test_completions_read_live_state(ggen_host: Any, ggen_client: Any, mode: str) -> None:
    host = ggen_host(["graph", "template", "market"])
    async with ggen_client(host, mode=mode) as client:

        async def complete(ref: Any, name: str, value: str, chosen: dict[str, str] | None = None) -> list[str]:
            done = await client.complete(ref, {"name": name, "value": value}, chosen)
            return list(done.completion.values)

        assert await complete(prompt_ref("query_graph"), "graph", "") == ["default"]
        await call_ok(client, "graph_load", {"content": ONTOLOGY, "graph": "urn:x:shop"})
        await call_ok(client, "graph_load", {"content": ONTOLOGY, "graph": "urn:y:other"})
        assert await complete(prompt_ref("query_graph"), "graph", "urn:x") == ["urn:x:shop"]
        assert await complete(prompt_ref("generate_code"), "graph", "") == ["urn:x:shop", "urn:y:other"]
        graphs = types.ResourceTemplateReference(type="ref/resource", uri="ggen://graphs/{name}")
        assert await complete(graphs, "name", "") == ["default", "urn%3Ax%3Ashop", "urn%3Ay%3Aother"]
        assert await complete(prompt_ref("generate_code"), "pack", "io.ggen.s") == ["io.ggen.sql.ddl"]
        assert await complete(prompt_ref("generate_code"), "template", "") == []
        await call_ok(client, "market_install", {"package": "io.ggen.sql.ddl"})
        refs = await complete(prompt_ref("generate_code"), "template", "", {"pack": "io.ggen.sql.ddl"})
        assert refs == ["io.ggen.sql.ddl:templates/schema.sql.tmpl"]
        assert await complete(prompt_ref("generate_code"), "template", "", {"pack": "io.ggen.rust.serde"}) == []
        assert await complete(prompt_ref("design_ontology"), "domain", "a") == []  # free text: nothing to offer


async def test_a_failing_completer_offers_nothing_and_the_server_keeps_serving(
    ggen_host: Any, ggen_client: Any
) -> None:
    import types as pytypes

    from ggen_mcp_core import PromptArgument, PromptSpec, hookimpl

    def broken(value: str, ctx: Any) -> list[str]:
        raise RuntimeError("the registry is down")

    module = pytypes.ModuleType("ggen_test_broken_completer")

    @hookimpl
    def ggen_register_prompts() -> list[PromptSpec]:
        argument = PromptArgument(name="x", complete=broken)
        return [PromptSpec(name="brokencompleter_ask", description="Ask.", arguments=[argument], render=str)]

    module.ggen_register_prompts = ggen_register_prompts  # type: ignore[attr-defined]
    host = ggen_host(["graph"], modules={"brokencompleter": module})
    async with ggen_client(host) as client:
        done = await client.complete(prompt_ref("brokencompleter_ask"), {"name": "x", "value": ""})
        assert done.completion.values == [] and done.completion.total == 0
        after = await client.complete(prompt_ref("query_graph"), {"name": "graph", "value": "d"})
        assert after.completion.values == ["default"]
