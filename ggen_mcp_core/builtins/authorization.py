"""Default authorization: an authenticated principal needs the scopes a tool declares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ggen_mcp_core.hookspecs import hookimpl
from ggen_mcp_core.principal import Principal
from ggen_mcp_core.tools import ToolSpec


@hookimpl(trylast=True)
def ggen_authorize(principal: Principal, tool: ToolSpec, arguments: Mapping[str, Any] | None) -> bool | None:
    """Deny an authenticated principal a tool whose scopes it lacks; abstain otherwise."""
    if principal.authenticated and tool.scopes and not principal.has_scopes(tool.scopes):
        return False
    return None
