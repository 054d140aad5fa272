"""The prompt ``generate_code``: generate code from a graph with a template pack, through plan and apply.

It spans packs (the graph, the registry, the templates), so the host registers it; it is listed only while
the tools it uses are served (``PromptSpec.requires``). Its completers ask the packs through the call pipeline
(``ctx.call_tool``: the caller's principal, authorization and limits): pack ids from ``market_list``, template
references from ``template_list``, graph IRIs from ``graph_list``. A completer whose tool is not served or
refuses offers nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ggen_mcp_core.config import Settings
from ggen_mcp_core.errors import ToolError
from ggen_mcp_core.hookspecs import hookimpl
from ggen_mcp_core.resources import PromptArgument, PromptSpec

if TYPE_CHECKING:
    from ggen_mcp_core.tools import ToolContext

TOOLS = ("template_list", "project_plan", "project_apply")


async def _rows(ctx: ToolContext, tool: str, arguments: dict[str, Any], key: str) -> list[dict[str, Any]]:
    if tool not in ctx.host.tools:
        return []
    try:
        result = await ctx.call_tool(tool, arguments)
    except ToolError:
        return []
    rows = result.get(key, []) if isinstance(result, dict) else []
    return [row for row in rows if isinstance(row, dict)]


async def complete_pack(prefix: str, ctx: ToolContext) -> list[str]:
    """Pack ids: the registry's (``market_list``) and the installed ones (``template_list``)."""
    registry = [str(row.get("id")) for row in await _rows(ctx, "market_list", {"limit": 1000}, "packs")]
    installed = [str(row.get("source")) for row in await _templates(ctx) if row.get("source") not in (None, "")]
    return sorted({pack for pack in registry + installed if pack.startswith(prefix) and pack != "None"})


async def complete_template(prefix: str, ctx: ToolContext, chosen: dict[str, str]) -> list[str]:
    """Template references (``pack-id:path`` and workspace templates), within the chosen pack if any."""
    pack = chosen.get("pack")
    names = [str(row.get("name")) for row in await _templates(ctx)]
    return sorted(n for n in names if n.startswith(prefix) and (not pack or n.startswith(f"{pack}:")))


async def complete_graph(prefix: str, ctx: ToolContext) -> list[str]:
    """Named graph IRIs in the store (templates load a named graph)."""
    graphs = await _rows(ctx, "graph_list", {}, "graphs")
    return sorted(str(g["graph"]) for g in graphs if g.get("graph") and str(g["graph"]).startswith(prefix))


async def _templates(ctx: ToolContext) -> list[dict[str, Any]]:
    return await _rows(ctx, "template_list", {"include_packs": True}, "templates")


def render(arguments: dict[str, str]) -> str:
    pack = arguments.get("pack")
    template = arguments.get("template") or (f"{pack}:<path>" if pack else None)
    if template is None:
        raise ToolError("give `pack` (a template pack id) or `template` (a template reference)")
    graph = arguments["graph"]
    output = arguments.get("output") or "."
    install = (
        f"1. If {pack} is not installed (template_list with include_packs=true does not list it), install it "
        f"with market_install (package={pack}).\n"
        if pack
        else "1. Check the template with template_validate.\n"
    )
    return (
        f"Generate code from the ontology in graph <{graph}> with {template}, into {output!r}.\n\n"
        f"{install}"
        "2. List the pack's templates and their variables with template_list (include_packs=true); choose the "
        "template references to render and the variables to set.\n"
        f"3. Plan with project_plan (template=<reference>, graph={graph}, output={output}); read the planned "
        "actions: files created, overwritten, injected.\n"
        "4. Show me the plan and ask before applying; then project_apply with its plan_id.\n"
        "5. Report the files written, and anything in the ontology the templates did not use."
    )


@hookimpl
def ggen_register_prompts(config: Settings) -> list[PromptSpec]:
    """generate_code."""
    return [
        PromptSpec(
            name="generate_code",
            title="Generate code from my graph with a pack",
            description="Generate code from a graph with a template pack: install, plan, review, apply.",
            arguments=[
                PromptArgument(
                    name="graph",
                    description="Named graph IRI holding the ontology.",
                    required=True,
                    complete=complete_graph,
                ),
                PromptArgument(
                    name="pack", description="Template pack id, e.g. io.ggen.sql.ddl.", complete=complete_pack
                ),
                PromptArgument(
                    name="template",
                    description="One template reference (`pack-id:path`); all when absent.",
                    complete=complete_template,
                ),
                PromptArgument(name="output", description="Folder in the workspace for the files (default: root)."),
            ],
            render=render,
            requires=TOOLS,
        )
    ]
