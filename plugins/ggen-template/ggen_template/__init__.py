"""ggen-template: Graph-driven templates and project generation for ggen-mcp."""

__version__ = "0.1.0"
