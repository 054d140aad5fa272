"""The reports several modules share: validation findings and what a template is and needs.

Each tool's own input and output models live with the tool in :mod:`ggen_template.tools`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

JsonType = Literal["string", "integer", "number", "boolean", "array", "object"]
# a JSON value under a schema every client can read: anyOf one type each (no untyped field, no type lists)
JsonValue = str | int | float | bool | list[Any] | dict[str, Any] | None


def json_type(value: Any) -> JsonType | None:
    """The JSON type of a Python value read from YAML, or None for null (and anything else)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return None


class Problem(BaseModel):
    """One validation finding, with the file line and column when known."""

    message: str = Field(description="What is wrong and how to fix it.")
    line: int | None = Field(None, description="1-based line in the template file.")
    column: int | None = Field(None, description="1-based column, when known.")


class TemplateReport(BaseModel):
    """The findings for one template file."""

    template: str = Field(description="The template checked.")
    valid: bool = Field(description="No errors.")
    errors: list[Problem] = Field(default_factory=list, description="Problems that make rendering fail.")
    warnings: list[Problem] = Field(default_factory=list, description="Problems worth a look.")
    variables_detected: list[str] = Field(default_factory=list, description="Variables the front matter and body read.")
    front_matter: dict[str, Any] | None = Field(None, description="The front matter as written (not rendered).")


class VariableInfo(BaseModel):
    """A variable a template declares or uses."""

    name: str = Field(description="Pass it in `vars` under this name.")
    type: JsonType | None = Field(None, description="Declared `type`, else the default's JSON type.")
    description: str | None = Field(None, description="What it is for.")
    required: bool = Field(False, description="Rendering fails without it.")
    default: JsonValue = Field(None, description="Used when `vars` has none.")
    declared: bool = Field(True, description="Declared in `variables`/`vars` (false: only used).")


class TemplateDetails(BaseModel):
    """What a template says about itself."""

    front_matter: dict[str, Any] | None = Field(None, description="The front matter as written (not rendered).")
    front_matter_text: str | None = Field(None, description="The front matter's text.")
    body: str = Field(description="The Jinja2 body.")
    description: str | None = Field(None, description="What it generates.")
    tags: list[str] = Field(default_factory=list, description="Its tags.")
    variables: list[VariableInfo] = Field(default_factory=list, description="Declared first, then only used.")


class TemplateInfo(BaseModel):
    """A template as listed."""

    name: str = Field(description="Name to pass as `template`.")
    path: str = Field(description="Workspace path of the file.")
    source: str = Field(description="`workspace`, or the id of the installed pack.")
    description: str | None = Field(None, description="What it generates.")
    tags: list[str] = Field(default_factory=list, description="Its tags.")
    variables: list[VariableInfo] = Field(default_factory=list, description="Declared first, then only used.")
    error: str | None = Field(None, description="Why the template could not be read, if it could not.")
