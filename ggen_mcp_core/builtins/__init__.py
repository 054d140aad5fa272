"""Core behaviours registered as ordinary plugins: authorization, metrics, introspection."""
