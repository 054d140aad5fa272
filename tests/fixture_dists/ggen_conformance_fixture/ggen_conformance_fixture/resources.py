"""The ``test://`` resources: static text, a static PNG, a URI template and a subscribable resource."""

from __future__ import annotations

import json

from ggen_conformance_fixture.payloads import PNG_MIME, png_pixel
from ggen_mcp_core import ResourceSpec, ResourceTemplateSpec, ToolContext

STATIC_TEXT = "This is the content of the static text resource."
WATCHED_TEXT = "Watched resource content"
TEMPLATE = "test://template/{id}/data"


def read_static_text(ctx: ToolContext) -> str:
    return STATIC_TEXT


def read_static_binary(ctx: ToolContext) -> bytes:
    return png_pixel()


def read_watched(ctx: ToolContext) -> str:
    return WATCHED_TEXT


def read_template(ctx: ToolContext, **variables: str) -> str:
    item = variables["id"]
    return json.dumps({"id": item, "templateTest": True, "data": f"Data for ID: {item}"})


def complete_id(prefix: str) -> list[str]:
    """Suggested ids for ``completion/complete`` on the template's ``{id}``."""
    return [item for item in ("123", "456", "789") if item.startswith(prefix)]


def fixture_resources() -> list[ResourceSpec | ResourceTemplateSpec]:
    """The resources of the scenarios ``resources-*``."""
    return [
        ResourceSpec(
            uri="test://static-text",
            name="static-text",
            reader=read_static_text,
            description="A static text resource for testing.",
            mime_type="text/plain",
        ),
        ResourceSpec(
            uri="test://static-binary",
            name="static-binary",
            reader=read_static_binary,
            description="A static binary resource (a 1x1 PNG) for testing.",
            mime_type=PNG_MIME,
        ),
        ResourceSpec(
            uri="test://watched-resource",
            name="watched-resource",
            reader=read_watched,
            description="A resource that can be subscribed to for updates.",
            mime_type="text/plain",
        ),
        ResourceTemplateSpec(
            uri_template=TEMPLATE,
            name="template-data",
            reader=read_template,
            description="A resource template with parameter substitution.",
            mime_type="application/json",
            complete={"id": complete_id},
        ),
    ]
