"""A test-only ggen-mcp plugin serving the fixtures of ``@modelcontextprotocol/conformance``.

It registers, through the ordinary ggen-mcp hooks, the ``test_*`` tools, the ``test://`` resources and the
``test_*`` prompts the official conformance suite calls, so the suite can exercise every content type,
progress, logging, elicitation and sampling against the real host. Never install it in production: it is
put on ``PYTHONPATH`` by ``scripts/conformance.sh`` and by ``tests/test_conformance_fixture.py``.
"""
