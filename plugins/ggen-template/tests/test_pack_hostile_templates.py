"""Hostile templates inside an installed pack (not only the workspace): template_list, template_show and
template_validate answer with a clear error naming the guard or the limit, and reach no host.

The issue's vectors: the PN_LOCAL escape payload that hid ``SERVICE`` from the old SPARQL lexer, and the
650-byte YAML alias bomb, both in templates of a pack resolved through ``ggen_resolve_template``.
"""

from __future__ import annotations

import json
import socket

import pytest
from conftest import call_error, call_ok, write
from test_bounded_expansion import ALIAS_BOMB
from test_lifecycle_and_packs import resolver

from ggen_mcp_core.testing import contacted

pytestmark = pytest.mark.anyio

PACK = "io.demo.hostile"
LIMIT = "(template.max_yaml_expansion)"


def payload(port: int) -> str:
    return (
        "PREFIX ex: <http://example.org/>\n"
        f"SELECT * WHERE {{ ex:a\\'b ?p ?o . SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
    )


async def test_hostile_pack_templates_are_refused_by_the_listing_tools(
    ggen_host, ggen_client, workspace, ggen_listener: socket.socket
) -> None:
    packs = workspace / ".ggen" / "packs"
    port = ggen_listener.getsockname()[1]
    root = f"{PACK}/1.0.0/templates"
    sparql = (
        f"---\nto: s.txt\nrdf_inline: ['<urn:a> <urn:b> <urn:c> .']\nsparql:\n  rows: {json.dumps(payload(port))}\n"
    )
    write(packs, f"{root}/ssrf.tmpl", sparql + "---\n{{ sparql_results.rows }}\n")
    write(packs, f"{root}/bomb.tmpl", ALIAS_BOMB)
    write(packs, f"{root}/fine.tmpl", "---\nto: fine.txt\ndescription: fine\n---\nfine\n")
    write(workspace, "ggen.lock", f'[[packs]]\nid = "{PACK}"\nversion = "1.0.0"\nsha256 = "00"\n')
    host = ggen_host(["template", "graph"], modules={"resolver": resolver(packs)})
    async with ggen_client(host, mode="legacy") as client:
        listed = await call_ok(client, "template_list", {})
        by_name = {entry["name"]: entry for entry in listed["templates"]}
        assert by_name[f"{PACK}:templates/fine.tmpl"]["description"] == "fine"
        bomb_entry = json.dumps(by_name[f"{PACK}:templates/bomb.tmpl"])
        assert LIMIT in bomb_entry, bomb_entry
        ssrf, bomb = f"{PACK}:templates/ssrf.tmpl", f"{PACK}:templates/bomb.tmpl"
        shown = await call_ok(client, "template_show", {"template": ssrf})  # shows the text, runs nothing
        assert shown["front_matter"]["sparql"]["rows"] == payload(port)
        assert LIMIT in await call_error(client, "template_show", {"template": bomb})
        for ref, expected in ((ssrf, f"SERVICE <http://127.0.0.1:{port}/sparql> is not allowed"), (bomb, LIMIT)):
            checked = await call_ok(client, "template_validate", {"template": ref})
            assert not checked["valid"] and expected in checked["errors"][0]["message"], checked
            assert expected in await call_error(client, "template_render", {"template": ref})
    assert not contacted(ggen_listener)
