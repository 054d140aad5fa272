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


def undefined_variable(name: str) -> str:
    """What the renderer and the validator both say about a variable that has no value: one message, so a
    template the validator refuses fails to render with the same words."""
    return f"{name!r} is undefined: pass it in `vars`, or declare it in `variables` with a default"
