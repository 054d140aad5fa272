"""The optional server-side model, through the `llm` library: a test model registered with llm's own plugin
mechanism (a pluggy ``register_models`` hook), used when the client cannot sample; its key comes from the
settings (or ``api_key_file``) and never appears in a result or the log."""

from __future__ import annotations

import logging
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import llm
import pytest
from ai_script import BROKEN_TTL, ERAS, QUERY, TEMPLATE, VALID_TTL, fenced

from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio
MODEL_ID = "ggen-test-scripted"
KEY = "sk-test-0123456789-very-secret"


class ScriptedLlm(llm.KeyModel):
    """A key-needing llm model answering from a script; it refuses a wrong key like a provider would."""

    model_id = MODEL_ID
    needs_key = "ggen-test"
    answers: list[str] = []
    seen: list[tuple[str, str | None]] = []

    def execute(self, prompt: Any, stream: bool, response: Any, conversation: Any, key: str | None) -> Iterator[str]:
        if key != KEY:
            raise RuntimeError(f"401: bad key {key}")
        self.seen.append((prompt.prompt, prompt.system))
        yield self.answers.pop(0)


@pytest.fixture
def scripted_llm() -> Iterator[type[ScriptedLlm]]:
    plugin = types.ModuleType("ggen_test_llm_plugin")

    @llm.hookimpl
    def register_models(register: Callable[..., None]) -> None:
        register(ScriptedLlm())

    plugin.register_models = register_models  # type: ignore[attr-defined]
    llm.plugins.pm.register(plugin, name="ggen-test-llm")
    ScriptedLlm.answers, ScriptedLlm.seen = [], []
    try:
        yield ScriptedLlm
    finally:
        llm.plugins.pm.unregister(name="ggen-test-llm")


@pytest.fixture(autouse=True)
def llm_user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_USER_PATH", str(tmp_path / "llm"))


@pytest.mark.parametrize("mode", ERAS)
async def test_server_model_converges_for_a_client_without_sampling(
    ai_host: Callable[..., PluginHost],
    ggen_client: Any,
    scripted_llm: type[ScriptedLlm],
    tmp_path: Path,
    mode: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = tmp_path / "key"
    secret.write_text(KEY + "\n")
    scripted_llm.answers = [fenced(BROKEN_TTL), fenced(VALID_TTL)]
    host = ai_host(model=MODEL_ID, api_key_file=str(secret))
    caplog.set_level(logging.DEBUG)
    async with ggen_client(host, mode=mode) as client:  # no sampling callback
        providers = await client.call_tool("ai_list_providers", {})
        result = await client.call_tool("ai_generate_ontology", {"description": "a shop"})
    assert not result.is_error, tool_text(result)
    loop = result.structured_content["loop"]
    assert loop["valid"] and [r["round"] for r in loop["rounds"]] == [1, 2] and loop["model"] == MODEL_ID
    assert "a shop" in scripted_llm.seen[0][0] and "Turtle" in (scripted_llm.seen[0][1] or "")
    assert providers.structured_content["providers"][1] == {
        "name": MODEL_ID,
        "type": "server",
        "status": "available",
        "detail": "llm model (key configured)",
    }
    assert KEY not in tool_text(result) + tool_text(providers) + caplog.text


@pytest.mark.parametrize("mode", ERAS)
async def test_provider_failure_never_shows_the_key(
    ai_host: Callable[..., PluginHost],
    ggen_client: Any,
    scripted_llm: type[ScriptedLlm],
    mode: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    scripted_llm.answers = [fenced(VALID_TTL)]
    wrong = "sk-wrong-key-abcdef"
    caplog.set_level(logging.DEBUG)
    async with ggen_client(ai_host(model=MODEL_ID, api_key=wrong), mode=mode) as client:
        result = await client.call_tool("ai_generate_ontology", {"description": "a shop", "provider": MODEL_ID})
    assert result.is_error
    assert "the server-side model ggen-test-scripted failed" in tool_text(result) and "401: bad key ***" in tool_text(
        result
    )
    assert wrong not in tool_text(result) + caplog.text


async def test_missing_key_and_unknown_model_are_reported(
    ai_host: Callable[..., PluginHost], ggen_client: Any, scripted_llm: type[ScriptedLlm]
) -> None:
    async with ggen_client(ai_host(model=MODEL_ID), mode="legacy") as client:
        no_key = (await client.call_tool("ai_list_providers", {})).structured_content["providers"][1]
    async with ggen_client(ai_host(model="no-such-model"), mode="legacy") as client:
        unknown = (await client.call_tool("ai_list_providers", {})).structured_content["providers"][1]
        failed = await client.call_tool("ai_generate_ontology", {"description": "x"})
    assert no_key["status"] == "unavailable" and "ai.api_key" in no_key["detail"]
    assert unknown["status"] == "unavailable" and "no installed `llm` plugin" in unknown["detail"]
    assert failed.is_error and "not known to `llm`" in tool_text(failed)


async def test_every_generating_tool_runs_on_the_server_model(
    ai_host: Callable[..., PluginHost], ggen_client: Any, scripted_llm: type[ScriptedLlm], ggen_workspace: Path
) -> None:
    """The same loops with the llm model instead of sampling (a client without sampling), one tool after another."""
    import json

    (ggen_workspace / "shop.ttl").write_text(VALID_TTL)
    addition = (
        "@prefix ex: <http://example.org/shop#> .\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        '@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\nex:Customer a owl:Class ; rdfs:label "Customer" .'
    )
    templates = json.dumps({"templates": [{"name": "classes", "content": TEMPLATE}]})
    scripted_llm.answers = [
        fenced(BROKEN_TTL),
        fenced(addition),  # ai_extend_graph
        fenced("SELEKT"),
        fenced(QUERY),  # ai_generate_sparql
        fenced(TEMPLATE.replace("{% endfor %}", "")),
        fenced(TEMPLATE),  # ai_generate_template
        fenced("def f(:"),
        fenced("def f():\n    return 1"),  # ai_validate_and_improve
        fenced(VALID_TTL),
        fenced(templates),  # ai_generate_project
    ]
    calls = [
        ("ai_extend_graph", {"graph_file": "shop.ttl", "description": "customers"}),
        ("ai_generate_sparql", {"description": "classes", "graph_file": "shop.ttl"}),
        ("ai_generate_template", {"description": "list classes"}),
        ("ai_validate_and_improve", {"content": "def f(", "content_type": "python"}),
        ("ai_generate_project", {"description": "a shop", "name": "shop"}),
    ]
    async with ggen_client(ai_host(model=MODEL_ID, api_key=KEY), mode="legacy") as client:
        for name, arguments in calls:
            result = await client.call_tool(name, arguments)
            assert not result.is_error, (name, tool_text(result))
            out = result.structured_content
            loop = out.get("loop") or out["templates_loop"]
            assert loop["valid"] and loop["model"] == MODEL_ID, (name, loop)
            assert sum(r["source"] == "model" for r in loop["rounds"]) == (1 if name == "ai_generate_project" else 2)
    assert scripted_llm.answers == []
