"""The SPARQL guard's bypass payloads in templates: front-matter ``sparql:`` and ``sparql()`` in the body."""

from __future__ import annotations

import json

import pytest
from conftest import call_error, write

pytestmark = pytest.mark.anyio

PAYLOAD = (
    "PREFIX ex: <http://example.org/>\n"
    "SELECT * WHERE { ex:a\\'b ?p ?o . SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
)


async def test_issue_payload_is_refused_in_front_matter_and_body(ggen_host, ggen_client, workspace) -> None:
    write(workspace, "templates/front.tmpl", f"---\nto: front.txt\nsparql:\n  rows: {json.dumps(PAYLOAD)}\n---\nx\n")
    write(workspace, "templates/body.tmpl", "---\nto: body.txt\n---\n{{ sparql(query=q) }}\n")
    async with ggen_client(ggen_host(["template", "graph"]), mode="legacy") as client:
        for template, variables in (("front", {}), ("body", {"q": PAYLOAD})):
            message = await call_error(client, "template_render", {"template": template, "vars": variables})
            assert "SERVICE <http://127.0.0.1:9/sparql> is not allowed" in message, message
