"""A smaller JSON Schema for a tool's arguments, for packs that opt in (the model reads every byte of it).

``model_config = ConfigDict(extra="forbid", json_schema_extra=compact_schema)`` on an input model drops
what pydantic adds that tells a model nothing: the generated ``title`` of the model and of each property,
the model's docstring, the ``{"type": "null"}`` branch and ``default: null`` of an optional argument
(leaving the argument out means the same), and ``default: false`` of a flag (a flag is off unless given).
Everything that constrains a value stays.
"""

from __future__ import annotations

from typing import Any

__all__ = ["compact_schema"]


def compact_schema(schema: dict[str, Any]) -> None:
    """Shrink a model's generated JSON Schema in place (pydantic's ``json_schema_extra`` hook)."""
    schema.pop("title", None)
    schema.pop("description", None)
    for prop in schema.get("properties", {}).values():
        if isinstance(prop, dict):
            _compact_property(prop)


def _compact_property(prop: dict[str, Any]) -> None:
    prop.pop("title", None)
    if prop.get("type") == "boolean" and prop.get("default") is False:
        del prop["default"]
    branches = prop.get("anyOf")
    if "default" in prop and prop["default"] is None and isinstance(branches, list):
        kept = [b for b in branches if b != {"type": "null"}]
        if len(kept) == 1 and isinstance(kept[0], dict) and not set(kept[0]) & set(prop):
            del prop["anyOf"], prop["default"]
            prop.update(kept[0])
        elif len(kept) < len(branches):
            prop["anyOf"] = kept
            del prop["default"]
