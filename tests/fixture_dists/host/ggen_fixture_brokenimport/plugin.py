"""Fails at import, like a plugin built against an API that is not there."""

from ggen_mcp_core import hookimpl  # noqa: F401

raise ImportError("cannot import name 'GraphStore' from 'ggen_mcp_core'")
