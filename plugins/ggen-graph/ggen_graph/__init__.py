"""ggen-graph: RDF store and graph_* tools for ggen-mcp."""

__version__ = "0.1.0"
