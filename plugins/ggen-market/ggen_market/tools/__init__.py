"""The market's MCP tools, one module per concern; ``plugin.py`` imports them at registration time."""
