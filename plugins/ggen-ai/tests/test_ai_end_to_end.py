"""End to end, every model answer scripted: description -> ontology -> loaded graph -> query -> templates ->
plan -> apply -> the generated Python imports and its generated tests pass."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from ai_script import BROKEN_TTL, ERAS, EX, VALID_TTL, ScriptedModel, fenced

from ggen_mcp_core.plugins import PluginHost
from ggen_mcp_core.testing import tool_text

pytestmark = pytest.mark.anyio
GRAPH = "urn:e2e:shop"
CLASSES = (
    "SELECT ?c ?label WHERE { ?c a <http://www.w3.org/2002/07/owl#Class> ; "
    "<http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?c"
)
MODELS = f"""---
to: shop_models.py
sparql:
  classes: "{CLASSES}"
---
\"\"\"Generated from the shop ontology.\"\"\"
{{% for row in sparql_results.classes %}}

class {{{{ row.label }}}}:
    iri = "{{{{ row.c }}}}"
{{% endfor %}}"""
TESTS = f"""---
to: test_shop_models.py
sparql:
  classes: "{CLASSES}"
---
import shop_models
{{% for row in sparql_results.classes %}}

def test_{{{{ row.label | lower }}}}():
    assert shop_models.{{{{ row.label }}}}.iri == "{{{{ row.c }}}}"
{{% endfor %}}"""


async def ok(client: Any, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(name, arguments)
    assert not result.is_error, f"{name}: {tool_text(result)}"
    return dict(result.structured_content)


@pytest.mark.parametrize("mode", ERAS)
async def test_description_to_passing_generated_tests(
    ai_host: Callable[..., PluginHost], ggen_client: Any, ggen_workspace: Path, mode: str
) -> None:
    model = ScriptedModel(
        [
            fenced(BROKEN_TTL, "turtle"),
            fenced(VALID_TTL, "turtle"),  # ontology: invalid, then valid
            fenced("SELECT ?c WHERE { ?c a ex:Nothing }"),
            fenced(CLASSES, "sparql"),  # query: error, then rows
            fenced(MODELS.replace("{% endfor %}", "")),
            fenced(MODELS),  # module template: broken, then valid
            fenced(TESTS),  # test template: valid at once
        ]
    )
    async with ggen_client(ai_host(), mode=mode, sampling_callback=model) as client:
        ontology = await ok(
            client,
            "ai_generate_ontology",
            {"description": "a shop with products and orders", "graph": GRAPH, "output_file": "shop.ttl"},
        )
        query = await ok(client, "ai_generate_sparql", {"description": "classes and labels", "graph": GRAPH})
        module = await ok(
            client,
            "ai_generate_template",
            {"description": "a Python class per ontology class", "graph": GRAPH, "output_file": "shopgen/models"},
        )
        tests = await ok(
            client,
            "ai_generate_template",
            {"description": "a test per class", "graph": GRAPH, "output_file": "shopgen/tests"},
        )
        plan = await ok(client, "project_plan", {"template": "shopgen", "graph": GRAPH, "output": "app"})
        assert not (ggen_workspace / "app").exists()  # planned, not written
        applied = await ok(client, "project_apply", {"plan": plan["plan_id"]})
    assert not model.answers  # every scripted answer was used, none more
    assert ontology["graph"] == GRAPH and len(ontology["loop"]["rounds"]) == 2
    assert query["variables"] == ["c", "label"] and [label for _, label in query["rows"]] == ["Order", "Product"]
    assert len(query["loop"]["rounds"]) == 2
    assert module["valid"] and module["rendered_files"] == ["shop_models.py"] and len(module["loop"]["rounds"]) == 2
    assert tests["valid"] and len(tests["loop"]["rounds"]) == 1
    assert sorted(applied["files_created"]) == ["app/shop_models.py", "app/test_shop_models.py"]
    app = ggen_workspace / "app"
    imported = await anyio.run_process(
        [sys.executable, "-c", "import shop_models; print(shop_models.Product.iri)"], cwd=app, check=False
    )
    assert imported.returncode == 0 and imported.stdout.decode().strip() == f"{EX}Product", imported.stderr
    with anyio.fail_after(300):
        ran = await anyio.run_process(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_shop_models.py"],
            cwd=app,
            check=False,
        )
    out = ran.stdout.decode()
    assert ran.returncode == 0 and "2 passed" in out, out + ran.stderr.decode()
