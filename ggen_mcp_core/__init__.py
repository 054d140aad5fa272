"""ggen-mcp's host: the plugin author's API.

A plugin is a module with ``@hookimpl`` functions (see :mod:`ggen_mcp_core.hookspecs`) registered under the
entry-point group ``ggen_mcp.plugins``. It returns :class:`ToolSpec` objects whose handlers receive a
validated pydantic model and a :class:`ToolContext`, and raise :class:`ToolError` for failures a person
can act on.
"""

from __future__ import annotations

__version__ = "0.1.0"

from ggen_mcp_core.config import ConfigError, Settings
from ggen_mcp_core.errors import PathOutsideWorkspace, PluginUnavailable, ToolError
from ggen_mcp_core.events import LifecycleEvent, RequestInfo, ToolCallEvent
from ggen_mcp_core.hookspecs import hookimpl
from ggen_mcp_core.observability import ensure_stderr_logging
from ggen_mcp_core.principal import Principal
from ggen_mcp_core.resources import PromptArgument, PromptSpec, ResourceSpec, ResourceTemplateSpec
from ggen_mcp_core.tools import ToolContext, ToolResult, ToolSpec
from ggen_mcp_core.workspace import Workspace, atomic_write

ensure_stderr_logging()

__all__ = [
    "ConfigError",
    "LifecycleEvent",
    "PathOutsideWorkspace",
    "PluginUnavailable",
    "Principal",
    "PromptArgument",
    "PromptSpec",
    "RequestInfo",
    "ResourceSpec",
    "ResourceTemplateSpec",
    "Settings",
    "ToolCallEvent",
    "ToolContext",
    "ToolError",
    "ToolResult",
    "ToolSpec",
    "Workspace",
    "__version__",
    "atomic_write",
    "hookimpl",
]
