"""The graph pack's prompts: the workflows a user starts from with an ontology.

- ``design_ontology``: write an OWL/RDFS ontology for a domain and load it (``graph_load``), checked by
  ``graph_stats``/``graph_validate``;
- ``query_graph``: answer a question with ``graph_query``, given the graphs in the store now;
- ``review_against_ontology``: review generated code against the ontology; the graph (Turtle) and the files
  come embedded in the prompt, so a client needs no tool call to start.

Arguments naming a graph complete from the store (``default`` and every named graph's IRI).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ggen_mcp_core import PromptArgument, PromptSpec, ToolError

if TYPE_CHECKING:
    from ggen_graph.settings import GraphSettings
    from ggen_mcp_core import ToolContext

MAX_REVIEW_FILES = 20
MAX_FILE_BYTES = 64 * 1024


async def complete_graph(prefix: str, ctx: ToolContext[GraphSettings]) -> list[str]:
    """`default` and every named graph IRI in the store that starts with ``prefix``."""
    from ggen_graph.resources import graph_names

    return [name for name in await graph_names(ctx) if name.startswith(prefix)]


def _graph_argument(description: str) -> PromptArgument:
    return PromptArgument(name="graph", description=description, complete=complete_graph)


def render_design(arguments: dict[str, str]) -> str:
    graph = arguments.get("graph") or "default"
    target = "the default graph" if graph == "default" else f"the named graph <{graph}>"
    return (
        f"Design an OWL/RDFS ontology for this domain: {arguments['domain']}\n\n"
        "1. Write it in Turtle: one owl:Class per entity with rdfs:label and rdfs:comment; one "
        "owl:DatatypeProperty or owl:ObjectProperty per attribute or relation, each with rdfs:domain, "
        "rdfs:range (xsd types for literals) and rdfs:label. Use one namespace of your own.\n"
        f"2. Load it with graph_load (content=<the Turtle>{'' if graph == 'default' else f', graph={graph}'}, "
        f"replace=true) into {target}.\n"
        "3. Check it: graph_stats shows the classes and properties found; graph_validate with SHACL shapes when "
        "you have constraints. Fix what they report and load again.\n"
        "4. Summarise the classes and properties for me, and what you left out on purpose."
    )


async def render_query(arguments: dict[str, str], ctx: ToolContext[GraphSettings]) -> str:
    from ggen_graph.tools.common import graph_infos, open_store

    graphs = await graph_infos(ctx, open_store(ctx))
    listed = "\n".join(f"- {g.name}: {g.triples} triples" for g in graphs) or "- (the store is empty)"
    graph = arguments.get("graph")
    scope = f"Query the graph <{graph}> (GRAPH <{graph}> {{ ... }})." if graph and graph != "default" else ""
    return (
        f"Answer this question from my RDF store: {arguments['question']}\n\n"
        f"The store holds:\n{listed}\n{scope}\n\n"
        "1. Find the vocabulary first: graph_stats, or a SELECT over ?s a ?class and rdfs:label.\n"
        "2. Write one read-only SPARQL SELECT (or ASK/CONSTRUCT) and run it with graph_query; bind values as "
        "terms, keep a LIMIT.\n"
        "3. If it returns nothing, check the IRIs and prefixes against the data and try again.\n"
        "4. Answer in plain words and show the query you used."
    )


async def render_review(arguments: dict[str, str], ctx: ToolContext[GraphSettings]) -> list[Any]:
    from urllib.parse import quote

    import mcp_types as types

    from ggen_graph.resources import graph_uri, read_graph

    graph = arguments.get("graph") or "default"
    turtle = await read_graph(ctx, quote(graph, safe=""))
    files = _generated_files(ctx, arguments["path"])
    messages = [_embedded(graph_uri(graph), "text/turtle", turtle)]
    messages += [_embedded(f"file:///{name}", "text/plain", text) for name, text in files]
    instructions = (
        f"Review the generated code under {arguments['path']!r} ({len(files)} file(s), embedded above) against "
        f"the ontology in graph {graph} (embedded above as Turtle).\n\n"
        "For every owl:Class check there is a type, for every property a field with the right type and "
        "cardinality (rdfs:range, owl:FunctionalProperty), and names that follow the labels. List what is "
        "missing, extra or mistyped, each with the class or property IRI and the file and line. Say which "
        "differences come from the templates (fix them with template_validate and project_plan) and which "
        "from the ontology (fix it with graph_update or graph_load)."
    )
    messages.append(types.PromptMessage(role="user", content=types.TextContent(type="text", text=instructions)))
    return messages


def _embedded(uri: str, mime_type: str, text: str) -> Any:
    import mcp_types as types

    resource = types.TextResourceContents(uri=uri, mime_type=mime_type, text=text)
    return types.PromptMessage(role="user", content=types.EmbeddedResource(type="resource", resource=resource))


def _generated_files(ctx: ToolContext[GraphSettings], path: str) -> list[tuple[str, str]]:
    """The text files at ``path`` (a file, or a folder's files in name order), each cut to MAX_FILE_BYTES."""
    from ggen_mcp_core.errors import WorkspaceError

    try:
        root = ctx.workspace.resolve(path, must_exist=True)
    except WorkspaceError as exc:
        raise ToolError(f"path: {exc}") from None
    found = [root] if root.is_file() else sorted(root.rglob("*"))
    real = [p.resolve() for p in found]  # a link is followed only to a file inside the workspace
    visible = [
        p for p in real if ctx.workspace.contains(p) and p.is_file() and not ctx.workspace.relative(p).startswith(".")
    ]
    if not visible:
        raise ToolError(f"path: no files under {path!r}")
    files = []
    for each in visible[:MAX_REVIEW_FILES]:
        with each.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        text = data[:MAX_FILE_BYTES].decode("utf-8", "replace")
        if len(data) > MAX_FILE_BYTES:
            text += f"\n[cut at {MAX_FILE_BYTES} bytes]"
        files.append((ctx.workspace.relative(each), text))
    return files


def prompt_specs() -> list[PromptSpec]:
    return [
        PromptSpec(
            name="design_ontology",
            title="Design an ontology",
            description="Design an OWL/RDFS ontology for a domain, load it into the store and check it.",
            arguments=[
                PromptArgument(name="domain", description="What the ontology is about, in words.", required=True),
                _graph_argument("Graph to load it into: `default` or a named graph IRI."),
            ],
            render=render_design,
        ),
        PromptSpec(
            name="query_graph",
            title="Query my graph",
            description="Answer a question from the RDF store with read-only SPARQL.",
            arguments=[
                PromptArgument(name="question", description="The question, in words.", required=True),
                _graph_argument("Graph to ask: `default` or a named graph IRI (all graphs when absent)."),
            ],
            render=render_query,
        ),
        PromptSpec(
            name="review_against_ontology",
            title="Review generated code against the ontology",
            description="Review generated files against the ontology they came from; both are embedded.",
            arguments=[
                PromptArgument(name="path", description="Generated file or folder in the workspace.", required=True),
                _graph_argument("Graph holding the ontology: `default` or a named graph IRI."),
            ],
            render=render_review,
        ),
    ]
