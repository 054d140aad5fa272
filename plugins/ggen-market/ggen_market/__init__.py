"""ggen-market: Marketplace of template packs for ggen-mcp."""

__version__ = "0.1.0"
