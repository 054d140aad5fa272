"""ggen-mcp hooks of the conformance fixture plugin (test-only; see the package docstring)."""

from __future__ import annotations

from ggen_mcp_core import PromptSpec, ResourceSpec, ResourceTemplateSpec, Settings, ToolSpec, hookimpl

TOOL_PREFIXES = ("test_", "json_schema_")


@hookimpl
def ggen_register_tools(config: Settings) -> list[ToolSpec]:
    from ggen_conformance_fixture.backchannel_tools import backchannel_tools
    from ggen_conformance_fixture.content_tools import content_tools
    from ggen_conformance_fixture.interaction_tools import interaction_tools
    from ggen_conformance_fixture.schema_tools import schema_tools

    return content_tools() + interaction_tools() + backchannel_tools() + schema_tools()


@hookimpl
def ggen_register_resources(config: Settings) -> list[ResourceSpec | ResourceTemplateSpec]:
    from ggen_conformance_fixture.resources import fixture_resources

    return fixture_resources()


@hookimpl
def ggen_register_prompts(config: Settings) -> list[PromptSpec]:
    from ggen_conformance_fixture.prompts import fixture_prompts

    return fixture_prompts()
