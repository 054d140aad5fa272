"""A smaller JSON Schema for every tool's arguments (the model reads every byte of ``tools/list``).

The host applies it to each tool's input model when it publishes ``inputSchema``
(``ToolSpec.input_schema``); a pack does nothing to get it. (An input model that overrides
``model_json_schema`` wrote its schema itself: that one is published exactly as written.)

It drops what pydantic adds that tells a model nothing: the generated ``title`` of the model and of each
property, the model's docstring, the ``{"type": "null"}`` branch and ``default: null`` of an optional
argument (leaving the argument out means the same), ``default: false`` of a flag (a flag is off unless
given), an empty ``[]``/``{}`` default, and the checks that guard the server rather than describe the value
to a model: ``additionalProperties: false``, ``minLength``/``maxLength``, ``maxItems``, ``maxProperties``
and ``pattern`` (an IRI or file-name pattern is long and says less than the argument's description). What
gives a value its meaning stays: types, ``enum``, ``minimum``/``maximum``, ``required``, descriptions.

The compact schema therefore accepts everything the input model accepts (a client validating against it
never refuses a good call); the input model still enforces every cap, and an argument over one, or an unknown
argument, is an ``isError`` naming the field and the limit.
"""

from __future__ import annotations

from typing import Any

__all__ = ["compact_schema"]


def compact_schema(schema: dict[str, Any]) -> None:
    """Shrink a model's generated JSON Schema in place (pydantic's ``json_schema_extra`` hook)."""
    schema.pop("title", None)
    schema.pop("description", None)
    if schema.get("additionalProperties") is False:
        del schema["additionalProperties"]
    for prop in schema.get("properties", {}).values():
        if isinstance(prop, dict):
            _compact_property(prop)


_SIZE_CAPS = ("minLength", "maxLength", "maxItems", "maxProperties", "pattern")


def _compact_property(prop: dict[str, Any]) -> None:
    prop.pop("title", None)
    for cap in _SIZE_CAPS:
        prop.pop(cap, None)
    for branch in prop.get("anyOf", ()):
        if isinstance(branch, dict):
            for cap in _SIZE_CAPS:
                branch.pop(cap, None)
    items = prop.get("items")
    if isinstance(items, dict):
        for cap in _SIZE_CAPS:
            items.pop(cap, None)
    if prop.get("type") == "boolean" and prop.get("default") is False:
        del prop["default"]
    if prop.get("additionalProperties") is True:  # JSON Schema's own default
        del prop["additionalProperties"]
    if prop.get("default") in ({}, []):  # an absent collection argument is empty
        del prop["default"]
    branches = prop.get("anyOf")
    if "default" in prop and prop["default"] is None and isinstance(branches, list):
        kept = [b for b in branches if b != {"type": "null"}]
        if len(kept) == 1 and isinstance(kept[0], dict) and set(kept[0]) & set(prop) <= {"description"}:
            del prop["anyOf"], prop["default"]
            # the field's own description wins over the one its type alias carries
            prop.update({key: value for key, value in kept[0].items() if key not in prop})
        elif len(kept) < len(branches):
            prop["anyOf"] = kept
            del prop["default"]
