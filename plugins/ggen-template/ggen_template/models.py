"""Inputs and outputs of the ``template_*`` and ``project_*`` tools (their JSON Schemas are the contract)."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_VARS_BYTES = 256 * 1024
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TEMPLATE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*(/[A-Za-z0-9][A-Za-z0-9_.\-]*)*$"

TemplateRef = Field(
    min_length=1,
    max_length=500,
    description="A template file or folder in the workspace (`templates/api.tmpl`, `templates/api`, or a "
    "name under `templates/` such as `api`), or an installed pack's `pack-id:path`.",
)


def _check_vars(value: dict[str, Any]) -> dict[str, Any]:
    if len(value) > 200:
        raise ValueError("at most 200 variables")
    for key in value:
        if not _IDENTIFIER.match(key) or len(key) > 100:
            raise ValueError(f"variable name {key!r} must be an identifier of at most 100 characters")
    if len(json.dumps(value, default=str)) > MAX_VARS_BYTES:
        raise ValueError(f"variables are larger than {MAX_VARS_BYTES} bytes as JSON")
    return value


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _RenderInput(_Input):
    template: str = TemplateRef
    vars: dict[str, Any] = Field(
        default_factory=dict,
        description="Template variables (JSON values); they win over the template's `vars` defaults.",
    )
    graph: str | None = Field(
        None,
        min_length=1,
        max_length=2000,
        description="IRI of a named graph in the workspace store to load into each template's graph "
        "(like the front-matter `graph` key).",
    )
    seed: str | None = Field(
        None,
        max_length=200,
        description="Determinism seed: the same inputs and seed give byte-identical output (overrides "
        "the front-matter `determinism`).",
    )

    @field_validator("vars")
    @classmethod
    def _vars(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _check_vars(value)

    @field_validator("seed", mode="before")
    @classmethod
    def _seed(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# -- template_* ------------------------------------------------------------------------------------


class TemplateCreateInput(_Input):
    name: str = Field(
        min_length=1,
        max_length=200,
        pattern=TEMPLATE_NAME,
        description="Template name; saved as `templates/<name>.tmpl` (folders allowed: `api/model`).",
    )
    content: str = Field(
        min_length=1,
        max_length=1024 * 1024,
        description="The whole template: optional YAML front matter between `---` lines, then the Jinja2 body.",
    )
    description: str | None = Field(
        None, max_length=2000, description="Added to the front matter as `description` when given."
    )
    tags: list[str] = Field(
        default_factory=list, max_length=50, description="Added to the front matter as `tags` when given."
    )
    force: bool = Field(False, description="Overwrite an existing template of that name.")

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not tag.strip() or len(tag) > 100:
                raise ValueError("each tag is 1 to 100 characters")
        return value


class Problem(BaseModel):
    """One validation finding, with the file line and column when known."""

    message: str = Field(description="What is wrong and how to fix it.")
    line: int | None = Field(None, description="1-based line in the template file.")
    column: int | None = Field(None, description="1-based column, when known.")


class TemplateCreateOutput(BaseModel):
    path: str = Field(description="Workspace path of the saved template.")
    overwritten: bool = Field(description="An existing template was replaced (force).")
    valid: bool = Field(description="Always true: invalid templates are refused.")
    warnings: list[Problem] = Field(default_factory=list, description="Findings that did not block saving.")
    variables_detected: list[str] = Field(default_factory=list, description="Variables the template uses.")


class TemplateValidateInput(_Input):
    template: str | None = Field(
        None, min_length=1, max_length=500, description="The template (file, folder or `pack-id:path`) to check."
    )
    content: str | None = Field(
        None,
        min_length=1,
        max_length=1024 * 1024,
        description="Template text to check instead of a file (relative paths resolve from `templates/`).",
    )

    @model_validator(mode="after")
    def _one(self) -> TemplateValidateInput:
        if (self.template is None) == (self.content is None):
            raise ValueError("give exactly one of `template` or `content`")
        return self


class TemplateReport(BaseModel):
    """The findings for one template file."""

    template: str = Field(description="The template checked.")
    valid: bool = Field(description="No errors.")
    errors: list[Problem] = Field(default_factory=list, description="Problems that make rendering fail.")
    warnings: list[Problem] = Field(default_factory=list, description="Problems worth a look.")
    variables_detected: list[str] = Field(default_factory=list, description="Variables the front matter and body read.")
    front_matter: dict[str, Any] | None = Field(None, description="The front matter as parsed (not rendered).")


class TemplateValidateOutput(BaseModel):
    valid: bool = Field(description="Every template of the reference is valid.")
    errors: list[Problem] = Field(default_factory=list, description="Errors of all templates checked.")
    warnings: list[Problem] = Field(default_factory=list, description="Warnings of all templates checked.")
    variables_detected: list[str] = Field(default_factory=list, description="Variables used, all templates.")
    front_matter: dict[str, Any] | None = Field(None, description="The front matter (single template).")
    templates: list[TemplateReport] = Field(
        default_factory=list, description="Findings per template, when `template` is a folder."
    )


class VariableInfo(BaseModel):
    """A variable a template declares or uses."""

    name: str
    description: str | None = None
    required: bool = False
    default: Any = None
    declared: bool = Field(True, description="Declared in `variables`/`vars` (false: only used).")


class TemplateInfo(BaseModel):
    """A template as listed."""

    name: str = Field(description="Name to pass as `template`.")
    path: str = Field(description="Workspace path of the file.")
    source: str = Field(description="`workspace`, or the id of the installed pack.")
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    variables: list[VariableInfo] = Field(default_factory=list)
    error: str | None = Field(None, description="Why the front matter could not be read, if it could not.")


class TemplateListInput(_Input):
    tag: str | None = Field(None, max_length=100, description="Only templates with this tag.")
    include_packs: bool = Field(True, description="Also list templates of installed packs.")


class TemplateListOutput(BaseModel):
    templates: list[TemplateInfo] = Field(default_factory=list)
    count: int


class TemplateShowInput(_Input):
    template: str = TemplateRef


class TemplateShowOutput(BaseModel):
    template: str = Field(description="The template shown.")
    path: str = Field(description="Workspace path of the file.")
    front_matter: dict[str, Any] | None = Field(None, description="The front matter as parsed (not rendered).")
    front_matter_text: str | None = Field(None, description="The front matter as written.")
    body: str = Field(description="The Jinja2 body.")
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    variables: list[VariableInfo] = Field(default_factory=list)


class TemplateRenderInput(_RenderInput):
    pass


class RenderedFileInfo(BaseModel):
    path: str = Field(description="Output path, relative to the output folder.")
    template: str = Field(description="The template that rendered it.")
    mode: Literal["write", "inject"] = Field(description="Written whole, or injected into an existing file.")
    content: str = Field(description="The rendered text (for an injection: the snippet).")
    bytes: int = Field(description="Size in bytes (UTF-8).")


class TemplateRenderOutput(BaseModel):
    files: list[RenderedFileInfo] = Field(default_factory=list)
    variables_used: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)


# -- project_* -------------------------------------------------------------------------------------


class _ProjectInput(_RenderInput):
    output: str = Field(
        ".",
        min_length=1,
        max_length=1000,
        description="Folder inside the workspace the `to` paths are relative to (default: the root).",
    )


class ProjectGenInput(_ProjectInput):
    dry_run: bool = Field(False, description="Plan and report, write nothing.")
    force: bool = Field(False, description="Overwrite existing files (MANUAL regions keep their edits).")


class GenerationResult(BaseModel):
    files_created: list[str] = Field(default_factory=list)
    files_modified: list[str] = Field(default_factory=list)
    files_injected: list[str] = Field(default_factory=list)
    files_skipped: list[str] = Field(default_factory=list)
    variables_used: dict[str, Any] = Field(default_factory=dict)
    dry_run: bool = False
    duration_ms: float = 0.0
    warnings: list[str] = Field(default_factory=list)


class ProjectGenOutput(GenerationResult):
    pass


class ProjectPlanInput(_ProjectInput):
    force: bool = Field(False, description="Plan overwrites of existing files instead of refusing them.")


class PlannedAction(BaseModel):
    type: Literal["create", "overwrite", "inject", "skip"]
    path: str = Field(description="Workspace path.")
    template: str
    preview: str = Field(description="The first lines of what will be written.")
    reason: str | None = Field(None, description="Why a file is skipped.")
    sha256: str | None = Field(None, description="sha256 of the content to write.")
    before_sha256: str | None = Field(None, description="sha256 of the file as it was (null: absent).")


class ProjectPlanOutput(BaseModel):
    plan_id: str
    plan_path: str = Field(description="Workspace path of the saved plan.")
    actions: list[PlannedAction] = Field(default_factory=list)
    estimated_files: int = Field(description="Files the plan writes (creates, overwrites, injections).")
    warnings: list[str] = Field(default_factory=list)


class ProjectApplyInput(_Input):
    plan: str = Field(
        min_length=1,
        max_length=1000,
        description="A plan id from project_plan, or the workspace path of a saved plan JSON.",
    )
    force: bool = Field(False, description="Write even when a target changed since the plan was made.")


class ProjectApplyOutput(GenerationResult):
    plan_id: str


class ProjectDiffInput(_RenderInput):
    target: str = Field(
        ".",
        min_length=1,
        max_length=1000,
        description="Folder the generated files would go to (like project_gen's `output`).",
    )


class FileDiff(BaseModel):
    path: str
    status: Literal["added", "modified", "injected", "unchanged", "skipped"]
    diff: str = Field(description="Unified diff (empty when unchanged).")


class ProjectDiffOutput(BaseModel):
    differences: bool
    message: str
    files: list[FileDiff] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
