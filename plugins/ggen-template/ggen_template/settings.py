"""The template pack's settings: TOML section ``[template]``, environment ``GGEN_MCP_TEMPLATE__<KEY>``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SECTION = "template"
NESTING_CEILING = 40
"""The highest ``max_nesting``: deeper trees overflow Jinja's code generator and Python's compiler."""


class TemplateSettings(BaseModel):
    """Limits and trust switches for rendering and generation."""

    model_config = ConfigDict(extra="forbid")

    allow_shell: bool = Field(
        False, description="Run front-matter `sh_before`/`sh_after` commands (without a shell, with a timeout)."
    )
    shell_timeout: float = Field(30.0, gt=0, le=3600, description="Seconds one `sh_before`/`sh_after` may run.")
    render_timeout: float = Field(10.0, gt=0, le=600, description="Seconds one call may spend rendering.")
    max_output_bytes: int = Field(
        8 * 1024 * 1024, gt=0, description="Largest file one template may render (bytes, UTF-8)."
    )
    max_total_bytes: int = Field(64 * 1024 * 1024, gt=0, description="Largest total output of one call.")
    max_template_bytes: int = Field(1024 * 1024, gt=0, description="Largest template file read.")
    max_templates: int = Field(1000, gt=0, description="Most templates in one set.")
    max_rdf_bytes: int = Field(64 * 1024 * 1024, gt=0, description="Largest RDF file a template may load.")
    max_loop_iterations: int = Field(
        10_000_000, gt=0, description="Most loop iterations one render may run (all loops together)."
    )
    max_nesting: int = Field(
        32,
        ge=1,
        le=NESTING_CEILING,
        description="Deepest nesting a template may have: brackets, blocks ({% if %}, {% for %}...) and operators "
        "inside each other, and YAML collections in front matter.",
    )
    max_yaml_expansion: int = Field(
        2 * 1024 * 1024,
        gt=0,
        description="Largest size front-matter YAML may expand to once its aliases are written out (characters of "
        "every scalar plus one per node); a 650-byte alias bomb expands to gigabytes.",
    )
    query_timeout: float = Field(10.0, gt=0, le=600, description="Seconds one front-matter SPARQL query may run.")
    query_limit: int = Field(100_000, gt=0, description="Most rows one front-matter SPARQL query may return.")
    templates_dir: str = Field("templates", min_length=1, description="Workspace folder of user templates.")
    max_saved_plans: int = Field(
        1000,
        ge=1,
        le=1_000_000,
        description="Plans project_plan keeps in .ggen/plans; older ones are removed as new ones are saved.",
    )
