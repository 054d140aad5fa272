"""Declares itself unavailable: an optional dependency is missing."""

from ggen_mcp_core import PluginUnavailable

raise PluginUnavailable("needs the optional package 'frobnicate'")
