"""Dropping the titles pydantic generates into JSON Schemas (``"title": "Max Rows"`` for ``max_rows``).

They repeat the property or model name they sit beside, and every client sends ``tools/list`` to its model:
about 8 % of the model-visible bytes (docs/performance.md, "Context cost"). A title an author wrote
(``Field(title=...)`` different from the generated one) is kept.
"""

from __future__ import annotations

from typing import Any


def generated_title(name: str) -> str:
    """The title pydantic derives from a field name: ``max_rows`` -> ``Max Rows``."""
    return name.title().replace("_", " ")


def without_generated_titles(schema: dict[str, Any], model_name: str) -> dict[str, Any]:
    """``schema`` (a model's JSON Schema) without its generated titles, changed in place and returned."""
    _drop(schema, model_name)
    for name, definition in (schema.get("$defs") or {}).items():
        if isinstance(definition, dict):
            _drop(definition, name)
    return schema


def _drop(node: dict[str, Any], own_name: str | None) -> None:
    if own_name is not None and node.get("title") in (own_name, generated_title(own_name)):
        del node["title"]
    for name, child in (node.get("properties") or {}).items():
        if isinstance(child, dict):
            _drop(child, name)
    for key in ("items", "additionalProperties"):
        child = node.get(key)
        if isinstance(child, dict):
            _drop(child, None)
    for key in ("anyOf", "oneOf", "allOf"):
        for child in node.get(key) or []:
            if isinstance(child, dict):
                _drop(child, None)
