"""`ctx.sample` and `ctx.elicit`: the client's model and the user, asked mid-call in both protocol eras
(2025-11-25: a request on the back-channel; 2026-07-28: InputRequiredResult rounds), bounded, and a plain
error naming the capability when the client lacks it."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import mcp.types as mt
import pytest
from pydantic import BaseModel, ConfigDict, Field

from ggen_mcp_core import ToolContext, ToolSpec, hookimpl
from ggen_mcp_core.testing import make_host, open_client, tool_text

pytestmark = pytest.mark.anyio
ERAS = ["legacy", "auto"]


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    questions: list[str] = Field(description="Prompts to sample, one after another.")
    max_chars: int | None = Field(default=None, description="Answer limit.")


class AskOut(BaseModel):
    answers: list[str]
    models: list[str]
    runs: int


class Person(BaseModel):
    name: str = Field(description="Your name")
    age: int = Field(description="Your age")


class FormIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FormOut(BaseModel):
    action: str
    content: dict[str, Any] | None


RUNS: list[str] = []


def asking_plugin() -> types.ModuleType:
    module = types.ModuleType("asking_fixture")

    async def ask(args: AskIn, ctx: ToolContext) -> AskOut:
        RUNS.append("run")
        answers, models = [], []
        for question in args.questions:
            sampled = await ctx.sample(question, max_tokens=50, max_chars=args.max_chars)
            answers.append(sampled.text)
            models.append(sampled.model)
        return AskOut(answers=answers, models=models, runs=len(RUNS))

    async def relay(args: AskIn, ctx: ToolContext) -> AskOut:
        before = await ctx.sample("before", max_tokens=10)
        nested = await ctx.call_tool("asking_model", args.model_dump())
        assert isinstance(nested, dict)
        return AskOut(answers=[before.text, *nested["answers"]], models=nested["models"], runs=nested["runs"])

    async def form(args: FormIn, ctx: ToolContext) -> FormOut:
        answer = await ctx.elicit("Who are you?", Person)
        return FormOut(action=answer.action, content=answer.content)

    @hookimpl
    def ggen_register_tools() -> list[ToolSpec]:
        return [
            ToolSpec("asking_model", "Samples the client's model.", AskIn, ask, AskOut, read_only=True),
            ToolSpec("asking_user", "Asks the user.", FormIn, form, FormOut, read_only=True),
            ToolSpec("asking_relay", "Asks, then calls asking_model.", AskIn, relay, AskOut, read_only=True),
        ]

    module.ggen_register_tools = ggen_register_tools  # type: ignore[attr-defined]
    return module


@pytest.fixture
def host(ggen_workspace: Path) -> Any:
    RUNS.clear()
    return make_host(ggen_workspace, plugins=[], modules={"asking": asking_plugin()})


async def echo_model(context: Any, params: mt.CreateMessageRequestParams) -> mt.CreateMessageResult:
    text = params.messages[-1].content.text  # type: ignore[union-attr]
    return mt.CreateMessageResult(
        role="assistant", content=mt.TextContent(type="text", text=f"echo: {text}"), model="scripted"
    )


@pytest.mark.parametrize("mode", ERAS)
async def test_sample_answers_in_order_in_both_eras(host: Any, mode: str) -> None:
    async with open_client(host, mode=mode, sampling_callback=echo_model) as client:
        result = await client.call_tool("asking_model", {"questions": ["one", "two", "three"]})
    assert not result.is_error, tool_text(result)
    assert result.structured_content["answers"] == ["echo: one", "echo: two", "echo: three"]
    assert result.structured_content["models"] == ["scripted"] * 3
    # 2025-11-25 asks during one run; 2026-07-28 runs the handler again for each answer (3 questions: 4 runs)
    assert result.structured_content["runs"] == (1 if mode == "legacy" else 4)


@pytest.mark.parametrize("mode", ERAS)
async def test_client_without_sampling_gets_an_error_naming_it(host: Any, mode: str) -> None:
    async with open_client(host, mode=mode) as client:
        result = await client.call_tool("asking_model", {"questions": ["one"]})
    assert result.is_error
    text = tool_text(result)
    assert "'sampling' capability" in text and "server-side model" in text


@pytest.mark.parametrize("mode", ERAS)
async def test_oversized_answer_is_refused(host: Any, mode: str) -> None:
    async with open_client(host, mode=mode, sampling_callback=echo_model) as client:
        result = await client.call_tool("asking_model", {"questions": ["x" * 200], "max_chars": 100})
    assert result.is_error
    assert "over the 100-character limit" in tool_text(result)


@pytest.mark.parametrize("mode", ERAS)
async def test_elicit_in_both_eras(host: Any, mode: str) -> None:
    seen: list[dict[str, Any]] = []

    async def user(context: Any, params: mt.ElicitRequestParams) -> mt.ElicitResult:
        seen.append(params.requested_schema)  # type: ignore[union-attr]
        return mt.ElicitResult(action="accept", content={"name": "Ada", "age": 36})

    async with open_client(host, mode=mode, elicitation_callback=user) as client:
        result = await client.call_tool("asking_user", {})
    assert not result.is_error, tool_text(result)
    assert result.structured_content == {"action": "accept", "content": {"name": "Ada", "age": 36}}
    assert set(seen[0]["properties"]) == {"name", "age"}


@pytest.mark.parametrize("mode", ERAS)
async def test_declined_elicitation_has_no_content(host: Any, mode: str) -> None:
    async def user(context: Any, params: mt.ElicitRequestParams) -> mt.ElicitResult:
        return mt.ElicitResult(action="decline")

    async with open_client(host, mode=mode, elicitation_callback=user) as client:
        result = await client.call_tool("asking_user", {})
    assert result.structured_content == {"action": "decline", "content": None}


@pytest.mark.parametrize("mode", ERAS)
async def test_client_without_elicitation_gets_an_error_naming_it(host: Any, mode: str) -> None:
    async with open_client(host, mode=mode) as client:
        result = await client.call_tool("asking_user", {})
    assert result.is_error
    assert "'elicitation' (form) capability" in tool_text(result)


async def test_request_state_is_sealed(host: Any) -> None:
    """The 2026-07-28 state a client echoes is opaque and checked: a forged one is refused."""
    async with open_client(host, mode="auto", sampling_callback=echo_model) as client:
        first = await client.session.call_tool("asking_model", {"questions": ["one", "two"]}, allow_input_required=True)
        assert isinstance(first, mt.InputRequiredResult)
        assert first.request_state and "ggen-0" not in first.request_state  # sealed, not plain JSON
        forged = '{"v":1,"recorded":[],"asked":{"ggen-0":"x"},"started":0}'
        with pytest.raises(Exception, match="Invalid or expired requestState"):
            await client.session.call_tool(
                "asking_model", {"questions": ["one", "two"]}, request_state=forged, allow_input_required=True
            )


@pytest.mark.parametrize(("mode", "stateless"), [("legacy", False), ("auto", False), ("auto", True)])
async def test_sample_over_http(ggen_workspace: Path, http_server: Any, mode: str, stateless: bool) -> None:
    """Over Streamable HTTP: a mid-call request on a stateful 2025-11-25 session; sealed InputRequiredResult
    rounds on 2026-07-28, stateless too (each round a separate HTTP request)."""
    from mcp import Client

    RUNS.clear()
    host = make_host(ggen_workspace, plugins=[], modules={"asking": asking_plugin()}, http={"stateless": stateless})
    base = http_server(host)
    async with Client(f"{base}/mcp", mode=mode, sampling_callback=echo_model) as client:
        result = await client.call_tool("asking_model", {"questions": ["one", "two"]})
    assert not result.is_error, tool_text(result)
    assert result.structured_content["answers"] == ["echo: one", "echo: two"]


async def test_stateless_2025_has_no_back_channel(ggen_workspace: Path, http_server: Any) -> None:
    from mcp import Client

    host = make_host(ggen_workspace, plugins=[], modules={"asking": asking_plugin()}, http={"stateless": True})
    base = http_server(host)
    async with Client(f"{base}/mcp", mode="legacy", sampling_callback=echo_model) as client:
        result = await client.call_tool("asking_model", {"questions": ["one"]})
    assert result.is_error and "no back-channel" in tool_text(result)


@pytest.mark.parametrize("mode", ERAS)
async def test_a_nested_call_may_ask_too(host: Any, mode: str) -> None:
    """Questions of a tool called through ctx.call_tool are the client call's questions, in order."""
    async with open_client(host, mode=mode, sampling_callback=echo_model) as client:
        result = await client.call_tool("asking_relay", {"questions": ["one", "two"]})
    assert not result.is_error, tool_text(result)
    assert result.structured_content["answers"] == ["echo: before", "echo: one", "echo: two"]
