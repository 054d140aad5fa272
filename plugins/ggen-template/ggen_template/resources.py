"""The resources ``ggen://templates`` (the workspace's and installed packs' templates, as JSON) and
``ggen://templates/{name}`` (one template's text), and the change notifications ``template_create`` sends."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from ggen_mcp_core import ResourceSpec, ResourceTemplateSpec, ToolError

if TYPE_CHECKING:
    from pathlib import Path

    from ggen_mcp_core import ToolContext
    from ggen_template.settings import TemplateSettings

TEMPLATES = "ggen://templates"


def template_uri(name: str) -> str:
    """The resource URI of a template, by the name ``ggen://templates`` and ``template_list`` give it."""
    return f"{TEMPLATES}/{quote(name, safe='')}"


def _found(ctx: ToolContext[TemplateSettings]) -> list[tuple[str, str, Path]]:
    """(origin, name, real path) of every template, workspace first, as ``template_list`` finds them."""
    from ggen_template import catalog

    found = [("workspace", name, path) for name, path in catalog.workspace_templates(ctx.workspace, ctx.settings)]
    return found + list(catalog.pack_templates(ctx.workspace, ctx.host.resolve_template))


async def read_templates(ctx: ToolContext[TemplateSettings]) -> str:
    """Every template's name, origin, workspace path and resource URI (``template_list`` describes them)."""

    def collect() -> list[dict[str, Any]]:
        return [
            {"name": name, "source": origin, "path": ctx.workspace.relative(path), "uri": template_uri(name)}
            for origin, name, path in _found(ctx)
        ]

    return json.dumps({"templates": await ctx.run_sync(collect)}, indent=2)


async def read_template(ctx: ToolContext[TemplateSettings], name: str) -> str:
    """One template file as written (front matter and body), up to ``template.max_template_bytes``."""
    from ggen_template.sources import locate

    ref = unquote(name)

    def read() -> str:
        template_set = locate(ref, ctx.workspace, ctx.settings, ctx.host.resolve_template)
        if template_set.is_directory:
            raise ToolError(f"{ref!r} is a template set, not one template; ggen://templates lists its templates")
        path = template_set.sources[0].path
        limit = ctx.settings.max_template_bytes
        size = path.stat().st_size
        if size > limit:
            raise ToolError(f"template {ref!r} is {size} bytes; the limit is {limit} (template.max_template_bytes)")
        try:
            return ctx.workspace.read_text(path, max_bytes=limit)
        except UnicodeDecodeError:
            raise ToolError(f"template {ref!r} is not UTF-8 text") from None

    return await ctx.run_sync(read)


async def complete_name(prefix: str, ctx: ToolContext[TemplateSettings]) -> list[str]:
    """Completion of ``{name}``: every template's URL-encoded name."""
    found = await ctx.run_sync(_found, ctx)
    return [encoded for encoded in (quote(name, safe="") for _, name, _ in found) if encoded.startswith(prefix)]


async def announce_change(ctx: ToolContext[TemplateSettings], name: str) -> None:
    """``notifications/resources/updated`` for ``ggen://templates`` and the template written."""
    await ctx.resource_changed(TEMPLATES, template_uri(name))


def resource_specs() -> list[ResourceSpec | ResourceTemplateSpec]:
    return [
        ResourceSpec(
            uri=TEMPLATES,
            name="templates",
            title="Templates",
            description="The workspace's and installed packs' templates: name, source, path and resource URI (JSON).",
            mime_type="application/json",
            reader=read_templates,
        ),
        ResourceTemplateSpec(
            uri_template="ggen://templates/{name}",
            name="template",
            title="A template's text",
            description="One template as written, by its URL-encoded name (as ggen://templates lists it).",
            mime_type="text/plain",
            reader=read_template,
            complete={"name": complete_name},
        ),
    ]
