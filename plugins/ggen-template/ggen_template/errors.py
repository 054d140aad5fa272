"""Errors of the template pack; each message names the template and, when known, the line."""

from __future__ import annotations

from ggen_mcp_core import ToolError


class TemplateError(ToolError):
    """A template cannot be used or rendered: ``templates/x.tmpl line 3: 'name' is undefined``."""

    def __init__(
        self, message: str, template: str | None = None, line: int | None = None, *, column: int | None = None
    ) -> None:
        self.template = template
        self.line = line
        self.column = column
        self.detail = message
        where = template or ""
        if line is not None:
            where = f"{where} line {line}" if where else f"line {line}"
        super().__init__(f"{where}: {message}" if where else message)


class RenderLimitError(TemplateError):
    """A render went past its deadline, its loop budget or a size cap."""
