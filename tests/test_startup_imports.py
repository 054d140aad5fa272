"""Start-up stays cheap (issue 16): loading the packs and listing their tools imports none of the heavy
libraries a pack needs only for its work; each pack imports them on first use. Run in a fresh interpreter
(a test process has imported everything already)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("rdflib", "pyoxigraph", "pyshacl", "jinja2", "httpx", "yaml")
PROBE = """
import json, sys, anyio
from pathlib import Path
from ggen_mcp_core.testing import make_host, open_client

async def main():
    host = make_host(Path(sys.argv[1]), [sys.argv[2]])
    async with open_client(host) as client:
        tools = (await client.list_tools()).tools
    print(json.dumps({"tools": len(tools), "imported": [m for m in sys.argv[3:] if m in sys.modules]}))

anyio.run(main)
"""


@pytest.mark.parametrize("pack", ["graph", "hook", "template", "market"])
def test_loading_a_pack_and_listing_its_tools_imports_no_heavy_module(pack: str, tmp_path: Path) -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path), pack, *HEAVY],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr[-2000:]
    report = json.loads(probe.stdout.strip().splitlines()[-1])
    assert report["tools"] > 0, f"the {pack} pack served no tools"
    assert report["imported"] == [], f"the {pack} pack imports {report['imported']} before any tool runs"
