"""The rules every pack keeps (names, descriptions, schemas, annotations, light plugin import)."""

from __future__ import annotations

from ggen_mcp_core.testing import ToolFamilyConformance


class TestTemplateConformance(ToolFamilyConformance):
    plugin = "template"
    prefixes = ("template_", "project_")
    heavy_modules = (
        "jinja2",
        "yaml",
        "pyoxigraph",
        "inflection",
        "ggen_graph.engine",
        "ggen_template.engine",
        "ggen_mcp_core.process_group",
    )
    expected_tools = (
        "template_create",
        "template_validate",
        "template_list",
        "template_show",
        "template_render",
        "project_gen",
        "project_plan",
        "project_apply",
        "project_diff",
    )


def test_scopes_and_annotations(ggen_host) -> None:
    host = ggen_host(["template"])
    specs = {name: spec for name, spec in host.tools.items() if spec.plugin == "template"}
    reading = {"template_validate", "template_list", "template_show", "template_render", "project_diff"}
    for name, spec in specs.items():
        assert spec.read_only == (name in reading), name
        assert spec.scopes == (("template:read",) if name in reading else ("template:write",)), name
    assert specs["project_gen"].destructive and specs["project_apply"].destructive


def test_read_only_mode_keeps_only_reading_tools(ggen_host) -> None:
    host = ggen_host(["template"], read_only=True)
    names = {name for name, spec in host.tools.items() if spec.plugin == "template"}
    assert names == {"template_validate", "template_list", "template_show", "template_render", "project_diff"}
