"""A healthy fixture plugin that implements every hook, so the host's tests can exercise each one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import click
from pydantic import BaseModel, ConfigDict, Field

from ggen_mcp_core import (
    LifecycleEvent,
    Principal,
    PromptArgument,
    PromptSpec,
    RequestInfo,
    ResourceSpec,
    ResourceTemplateSpec,
    ToolCallEvent,
    ToolContext,
    ToolError,
    ToolSpec,
    hookimpl,
)

TOOL_PREFIXES = ("demo_",)
OBSERVED: list[ToolCallEvent] = []
SHUTDOWNS: list[str] = []
LIFECYCLE: list[str] = []


class EchoIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="Text to echo back.", max_length=100)
    times: int = Field(1, ge=1, le=5, description="How often to repeat it.")


class EchoOut(BaseModel):
    echo: str
    principal: str


class WriteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(description="Workspace-relative file to write.")
    content: str = Field(description="What to write.", max_length=10_000)


class WriteOut(BaseModel):
    path: str
    bytes: int


class SlowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(description="How long to sleep.", ge=0, le=30)


class GenerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="Name of the file to generate.")


async def echo(args: EchoIn, ctx: ToolContext) -> EchoOut:
    await ctx.progress(0, 2, "starting")
    await ctx.client_log("info", f"echoing {args.text}")
    await ctx.progress(2, 2, "done")
    return EchoOut(echo=" ".join([args.text] * args.times), principal=ctx.principal.name)


async def write(args: WriteIn, ctx: ToolContext) -> WriteOut:
    path = ctx.workspace.write_atomic(args.path, args.content)
    return WriteOut(path=ctx.workspace.relative(path), bytes=len(args.content.encode()))


async def slow(args: SlowIn, ctx: ToolContext) -> EchoOut:
    try:
        await anyio.sleep(args.seconds)
    finally:
        LIFECYCLE.append("slow-finished-or-cancelled")
    return EchoOut(echo=f"slept {args.seconds}", principal=ctx.principal.name)


async def generate(args: GenerateIn, ctx: ToolContext) -> WriteOut:
    files = [f"{args.name}.txt"]
    await ctx.hook("pre_gen", template="demo:hello", files=files)
    path = ctx.workspace.write_atomic(files[0], f"hello {args.name}\n")
    await ctx.hook("post_gen", template="demo:hello", files=files)
    return WriteOut(path=ctx.workspace.relative(path), bytes=path.stat().st_size)


class NotifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(
        "tools",
        pattern="^(tools|resources|prompts|updated)$",
        description="Which list changed, or `updated`: demo://hello changed.",
    )


async def reveal(args: NotifyIn, ctx: ToolContext) -> EchoOut:
    if args.kind == "updated":
        await ctx.resource_changed("demo://hello")
    else:
        await ctx.notify_list_changed(args.kind)  # type: ignore[arg-type]
    return EchoOut(echo=f"{args.kind} changed", principal=ctx.principal.name)


class DemoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slow_timeout: float = Field(0.5, gt=0, description="Timeout of demo_slow.")


SETTINGS_SECTION = ("demo", DemoSettings)


@hookimpl
def ggen_register_tools(settings: DemoSettings) -> list[ToolSpec]:
    return [
        ToolSpec(
            name="demo_echo",
            title="Echo",
            description="Echo text back, with progress and a log line.",
            input_model=EchoIn,
            output_model=EchoOut,
            handler=echo,
            read_only=True,
            scopes=("demo:read",),
        ),
        ToolSpec(
            name="demo_write",
            description="Write a file in the workspace atomically.",
            input_model=WriteIn,
            output_model=WriteOut,
            handler=write,
            destructive=True,
            scopes=("demo:write",),
        ),
        ToolSpec(
            name="demo_slow",
            description="Sleep, to test timeouts and cancellation.",
            input_model=SlowIn,
            output_model=EchoOut,
            handler=slow,
            read_only=True,
            timeout=settings.slow_timeout,
        ),
        ToolSpec(
            name="demo_generate",
            description="Generate a file, emitting lifecycle events.",
            input_model=GenerateIn,
            output_model=WriteOut,
            handler=generate,
        ),
        ToolSpec(
            name="demo_notify",
            description="Announce that the tool list changed.",
            input_model=NotifyIn,
            output_model=EchoOut,
            handler=reveal,
            read_only=True,
        ),
    ]


def _hello(ctx: ToolContext) -> str:
    return "hello from the demo plugin"


def _item(ctx: ToolContext, id: str) -> str:
    return f"item {id}"


def _complete_ids(prefix: str) -> list[str]:
    return [i for i in ("alpha", "beta", "gamma") if i.startswith(prefix)]


@hookimpl
def ggen_register_resources(config: Any) -> list[ResourceSpec | ResourceTemplateSpec]:
    return [
        ResourceSpec(uri="demo://hello", name="hello", description="A greeting.", reader=_hello),
        ResourceTemplateSpec(
            uri_template="demo://items/{id}",
            name="item",
            description="One item.",
            reader=_item,
            complete={"id": _complete_ids},
        ),
    ]


@hookimpl
def ggen_register_prompts(config: Any) -> list[PromptSpec]:
    return [
        PromptSpec(
            name="demo_explain",
            description="Explain an item.",
            arguments=[PromptArgument(name="item", required=True, complete=_complete_ids)],
            render=lambda args: f"Explain item {args['item']}",
        ),
    ]


@hookimpl
def ggen_validate_input(tool: ToolSpec, arguments: dict[str, Any], context: ToolContext) -> list[str] | None:
    if tool.name == "demo_echo" and arguments.get("text") == "forbidden":
        return ["the word 'forbidden' is forbidden"]
    return None


@hookimpl
async def ggen_authenticate(request: RequestInfo) -> Principal | None:
    user = request.headers.get("x-demo-user")
    if not user:
        return None
    scopes = frozenset(s for s in request.headers.get("x-demo-scopes", "").split(",") if s)
    return Principal(name=user, scopes=scopes)


@hookimpl
def ggen_authorize(principal: Principal, tool: ToolSpec, arguments: dict[str, Any] | None) -> bool | None:
    if principal.name == "mallory":
        return False
    return None


@hookimpl
def ggen_on_tool_call(event: ToolCallEvent) -> None:
    OBSERVED.append(event)


@hookimpl
def ggen_lifecycle(event: LifecycleEvent, context: ToolContext) -> None:
    LIFECYCLE.append(f"{event.name}:{','.join(event.files)}")
    if event.name == "pre_gen" and "veto" in event.files[0]:
        raise ToolError("generation of veto files is refused")


@hookimpl
def ggen_resolve_template(ref: str, workspace: Path) -> Path | None:
    if ref.startswith("demo:"):
        return workspace / "templates" / ref.removeprefix("demo:")
    return None


@hookimpl
def ggen_register_commands(cli: click.Group) -> None:
    @cli.command(name="demo-hello")
    @click.argument("name", default="world")
    def hello(name: str) -> None:
        """Say hello (added by the demo plugin)."""
        click.echo(f"hello {name}")


@hookimpl
async def ggen_readiness(config: Any) -> str | None:
    if (config.resolved_workspace() / "demo-not-ready").exists():
        return "the demo backend is warming up"
    return None


@hookimpl
def ggen_shutdown(config: Any) -> None:
    SHUTDOWNS.append(str(config.resolved_workspace()))
