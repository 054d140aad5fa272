"""A complete minimal ggen-mcp pack: one tool, one resource, one prompt, its own settings section."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ggen_mcp_core import (
    PromptArgument,
    PromptSpec,
    ResourceSpec,
    ToolContext,
    ToolError,
    ToolSpec,
    hookimpl,
)

TOOL_PREFIXES = ("hello_",)


class HelloSettings(BaseModel):
    """The `[hello]` section: GGEN_MCP_HELLO__GREETING=Hi sets it from the environment."""

    model_config = ConfigDict(extra="forbid")
    greeting: str = Field("Hello", description="Word the greeting starts with.")


SETTINGS_SECTION = ("hello", HelloSettings)  # the host validates it at load; handlers get it as ctx.settings


class GreetInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="Who to greet.", min_length=1, max_length=80)
    save_as: str | None = Field(None, description="Workspace file to write the greeting to.")


class GreetOutput(BaseModel):
    greeting: str = Field(description="The greeting.")
    saved_to: str | None = Field(None, description="Workspace-relative path written, if any.")


async def greet(args: GreetInput, ctx: ToolContext[HelloSettings]) -> GreetOutput:
    if args.name.lower() == "nobody":
        raise ToolError("cannot greet nobody; pass a name")
    text = f"{ctx.settings.greeting}, {args.name}!"
    saved = None
    if args.save_as:
        saved = ctx.workspace.relative(ctx.workspace.write_atomic(args.save_as, text + "\n"))
    ctx.log.info("greeted", name=args.name)
    return GreetOutput(greeting=text, saved_to=saved)


@hookimpl
def ggen_register_tools() -> list[ToolSpec]:
    return [
        ToolSpec(
            name="hello_greet",
            title="Greet someone",
            description="Return a greeting for a name, optionally saved to a workspace file.",
            input_model=GreetInput,
            output_model=GreetOutput,
            handler=greet,
            idempotent=True,
            scopes=("hello:write",),
        )
    ]


@hookimpl
def ggen_register_resources() -> list[ResourceSpec]:
    return [
        ResourceSpec(
            uri="hello://about",
            name="about",
            description="What this pack is.",
            reader=lambda ctx: "ggen-hello: the example pack from docs/plugins.md",
        )
    ]


@hookimpl
def ggen_register_prompts() -> list[PromptSpec]:
    return [
        PromptSpec(
            name="hello_welcome",
            description="Ask the model to welcome someone.",
            arguments=[PromptArgument(name="name", required=True)],
            render=lambda args: f"Write a warm one-line welcome for {args['name']}.",
        )
    ]
