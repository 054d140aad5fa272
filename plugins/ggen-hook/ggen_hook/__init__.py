"""ggen-hook: Lifecycle and git hooks for ggen-mcp."""

__version__ = "0.1.0"
