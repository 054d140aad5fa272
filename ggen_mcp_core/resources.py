"""Resources, resource templates and prompts that plugins register."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import mcp_types as types

ResourceValue = str | bytes | Sequence[Any]  # or mcp.types.TextResourceContents / BlobResourceContents
Reader = Callable[..., ResourceValue | Awaitable[ResourceValue]]
Completer = Callable[..., Sequence[str] | Awaitable[Sequence[str]]]
"""Suggests values for ``completion/complete``: ``complete(value)``, ``complete(value, ctx)`` to read live state
through the plugin's context (the store, the registry, another tool via ``ctx.call_tool``), or
``complete(value, ctx, arguments)`` with the arguments the client already chose. Returns the matching values."""
_VARIABLE = re.compile(r"\{([A-Za-z0-9_]+)\}")


@dataclass(frozen=True)
class ResourceSpec:
    """A resource at a fixed URI. ``reader(ctx)`` returns text, bytes, or resource contents."""

    uri: str
    name: str
    reader: Reader
    description: str | None = None
    mime_type: str | None = "text/plain"
    title: str | None = None
    plugin: str = ""

    def with_plugin(self, plugin: str) -> ResourceSpec:
        return replace(self, plugin=plugin)

    def to_mcp(self) -> types.Resource:
        import mcp_types as types

        return types.Resource(
            uri=self.uri, name=self.name, title=self.title, description=self.description, mime_type=self.mime_type
        )


@dataclass(frozen=True)
class ResourceTemplateSpec:
    """Resources under an RFC 6570 template such as ``ggen://graphs/{name}``.

    ``reader(ctx, **variables)`` returns the content; ``complete`` maps a variable to a completer.
    """

    uri_template: str
    name: str
    reader: Reader
    description: str | None = None
    mime_type: str | None = "text/plain"
    title: str | None = None
    complete: Mapping[str, Completer] = field(default_factory=dict)
    plugin: str = ""

    def with_plugin(self, plugin: str) -> ResourceTemplateSpec:
        return replace(self, plugin=plugin)

    def to_mcp(self) -> types.ResourceTemplate:
        import mcp_types as types

        return types.ResourceTemplate(
            uri_template=self.uri_template,
            name=self.name,
            title=self.title,
            description=self.description,
            mime_type=self.mime_type,
        )

    def match(self, uri: str) -> dict[str, str] | None:
        """The variables of ``uri`` when it fits this template (``{x}`` is one path segment), else None."""
        pattern = ""
        position = 0
        for found in _VARIABLE.finditer(self.uri_template):
            pattern += re.escape(self.uri_template[position : found.start()]) + f"(?P<{found.group(1)}>[^/]+)"
            position = found.end()
        pattern += re.escape(self.uri_template[position:])
        matched = re.fullmatch(pattern, uri)
        return matched.groupdict() if matched else None


@dataclass(frozen=True)
class PromptArgument:
    """One argument of a prompt; ``complete`` suggests values for ``completion/complete``."""

    name: str
    description: str | None = None
    required: bool = False
    complete: Completer | None = None


PromptValue = str | Sequence[Any]  # or mcp.types.PromptMessage


@dataclass(frozen=True)
class PromptSpec:
    """A prompt. ``render(arguments)`` (or ``render(arguments, ctx)``) returns text or messages.

    ``requires`` names the tools the workflow uses: while one of them is not served (its pack is not loaded,
    hidden by ``--toolsets`` or ``--read-only``), the prompt is not listed and ``prompts/get`` says which.
    A render may raise ``ToolError`` for a bad argument; the client gets it as an invalid-params error.
    """

    name: str
    description: str
    render: Callable[..., PromptValue | Awaitable[PromptValue]]
    arguments: Sequence[PromptArgument] = ()
    title: str | None = None
    plugin: str = ""
    requires: Sequence[str] = ()

    def with_plugin(self, plugin: str) -> PromptSpec:
        return replace(self, plugin=plugin)

    def to_mcp(self) -> types.Prompt:
        import mcp_types as types

        return types.Prompt(
            name=self.name,
            title=self.title,
            description=self.description,
            arguments=[
                types.PromptArgument(name=a.name, description=a.description, required=a.required)
                for a in self.arguments
            ],
        )


def resource_contents(uri: str, value: ResourceValue, mime_type: str | None) -> list[Any]:
    """Normalise what a reader returned into ``resources/read`` contents."""
    import base64

    import mcp_types as types

    if isinstance(value, str):
        return [types.TextResourceContents(uri=uri, mime_type=mime_type, text=value)]
    if isinstance(value, bytes):
        blob = base64.b64encode(value).decode("ascii")
        return [types.BlobResourceContents(uri=uri, mime_type=mime_type or "application/octet-stream", blob=blob)]
    return list(value)


async def maybe_await(value: Any) -> Any:
    """Await ``value`` when it is awaitable (hooks and readers may be sync or async)."""
    import inspect

    if inspect.isawaitable(value):
        return await value
    return value
