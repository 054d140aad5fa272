"""ggen-mcp's host: the plugin author's API.

A plugin is a module with ``@hookimpl`` functions (see :mod:`ggen_mcp_core.hookspecs`) registered under the
entry-point group ``ggen_mcp.plugins``. It returns :class:`ToolSpec` objects whose handlers receive a
validated pydantic model and a :class:`ToolContext`, and raise :class:`ToolError` for failures a person
can act on; or a :class:`ToolRef` naming where such a spec is, so its module is imported on first use.

The names below are imported on first use (PEP 562): a process that needs only the exceptions (the graph
store worker) does not pay for pydantic, the MCP SDK and the metrics registry. Resolving any other name
first makes sure structlog writes to stderr, never stdout (the stdio transport's channel).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from ggen_mcp_core.comma_list import CommaList
    from ggen_mcp_core.config import ConfigError, Settings
    from ggen_mcp_core.errors import (
        FileTooLarge,
        NotARegularFile,
        PathOutsideWorkspace,
        PathTooLong,
        PluginRegistrationError,
        PluginUnavailable,
        ProtectedPath,
        ToolError,
        WorkspaceError,
    )
    from ggen_mcp_core.events import LifecycleEvent, RequestInfo, ToolCallEvent
    from ggen_mcp_core.hookspecs import hookimpl
    from ggen_mcp_core.principal import Principal
    from ggen_mcp_core.resources import PromptArgument, PromptSpec, ResourceSpec, ResourceTemplateSpec
    from ggen_mcp_core.tool_refs import ToolRef
    from ggen_mcp_core.tools import ToolContext, ToolResult, ToolSpec
    from ggen_mcp_core.workspace import Workspace, atomic_write

_MODULE_OF = {
    "CommaList": "comma_list",
    "ConfigError": "config",
    "Settings": "config",
    "FileTooLarge": "errors",
    "NotARegularFile": "errors",
    "PathOutsideWorkspace": "errors",
    "PluginRegistrationError": "errors",
    "WorkspaceError": "errors",
    "PathTooLong": "errors",
    "ProtectedPath": "errors",
    "PluginUnavailable": "errors",
    "ToolError": "errors",
    "LifecycleEvent": "events",
    "RequestInfo": "events",
    "ToolCallEvent": "events",
    "hookimpl": "hookspecs",
    "Principal": "principal",
    "PromptArgument": "resources",
    "PromptSpec": "resources",
    "ResourceSpec": "resources",
    "ResourceTemplateSpec": "resources",
    "ToolRef": "tool_refs",
    "ToolContext": "tools",
    "ToolResult": "tools",
    "ToolSpec": "tools",
    "Workspace": "workspace",
    "atomic_write": "workspace",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'ggen_mcp_core' has no attribute {name!r}")
    if module != "errors":
        from ggen_mcp_core.observability import ensure_stderr_logging

        ensure_stderr_logging()
    value = getattr(importlib.import_module(f"ggen_mcp_core.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CommaList",
    "ConfigError",
    "FileTooLarge",
    "LifecycleEvent",
    "NotARegularFile",
    "PathOutsideWorkspace",
    "PathTooLong",
    "PluginRegistrationError",
    "PluginUnavailable",
    "Principal",
    "PromptArgument",
    "PromptSpec",
    "ProtectedPath",
    "RequestInfo",
    "ResourceSpec",
    "ResourceTemplateSpec",
    "Settings",
    "ToolCallEvent",
    "ToolContext",
    "ToolError",
    "ToolRef",
    "ToolResult",
    "ToolSpec",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "atomic_write",
    "hookimpl",
]
