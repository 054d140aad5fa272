"""The ggen-graph plugin: hook implementations only; pyoxigraph, rdflib and httpx load inside handlers."""

from __future__ import annotations

from ggen_graph.settings import GraphSettings
from ggen_mcp_core import PromptSpec, ResourceSpec, ResourceTemplateSpec, Settings, ToolRef, hookimpl

TOOL_PREFIXES = ("graph_",)
SETTINGS_SECTION = ("graph", GraphSettings)


@hookimpl
def ggen_register_tools(settings: GraphSettings) -> list[ToolRef]:
    """graph_load, graph_query, graph_update, graph_export, graph_validate, graph_stats, graph_list, graph_clear."""
    from ggen_graph.tools import tool_specs
    from ggen_graph.worker_options import configure

    configure(settings)  # the process-wide workers (template graphs, SHACL) follow these settings
    return tool_specs()


@hookimpl
def ggen_register_resources() -> list[ResourceSpec | ResourceTemplateSpec]:
    """ggen://graphs and ggen://graphs/{name}."""
    from ggen_graph.resources import resource_specs

    return resource_specs()


@hookimpl
def ggen_register_prompts() -> list[PromptSpec]:
    """design_ontology, query_graph, review_against_ontology."""
    from ggen_graph.prompts import prompt_specs

    return prompt_specs()


@hookimpl
async def ggen_readiness(config: Settings, settings: GraphSettings) -> str | None:
    """The embedded store opens (its worker starts and answers); a remote store answers ``ASK {}``."""
    import anyio.to_thread

    from ggen_graph.remote_store import RemoteStore
    from ggen_graph.stores import store_for
    from ggen_mcp_core.workspace import STATE_DIR

    try:
        store = store_for(settings, config.resolved_workspace() / STATE_DIR)
        if isinstance(store, RemoteStore):
            reason = await anyio.to_thread.run_sync(store.probe, settings.connect_timeout, abandon_on_cancel=True)
            return f"graph store unreachable: {reason}" if reason else None
        await store.count()
    except Exception as exc:
        return f"graph store did not open: {exc}"
    return None


@hookimpl
def ggen_shutdown() -> None:
    """Stop the store worker processes (they flush and exit); none was started if no store module was imported."""
    import sys

    stores = sys.modules.get("ggen_graph.stores")
    if stores is not None:
        stores.close_all()
