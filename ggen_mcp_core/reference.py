"""The tool reference in Markdown, generated from the live tool schemas (``ggen-mcp tools --markdown``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ggen_mcp_core.tools import ToolSpec


def tools_markdown(specs: Iterable[ToolSpec]) -> str:
    """One section per tool: description, annotations, scopes, arguments and result fields."""
    out: list[str] = []
    plugin = None
    for spec in specs:
        if spec.plugin != plugin:
            plugin = spec.plugin
            out.append(f"## {plugin}\n")
        out += _tool_section(spec)
    return "\n".join(out)


def _tool_section(spec: ToolSpec) -> list[str]:
    hints = spec.annotations()
    flags = [
        name
        for name, on in (
            ("read-only", hints.read_only_hint),
            ("destructive", hints.destructive_hint),
            ("idempotent", hints.idempotent_hint),
            ("open-world", hints.open_world_hint),
        )
        if on
    ]
    lines = [f"### `{spec.name}`\n", spec.description.strip() + "\n"]
    lines.append(f"- annotations: {', '.join(flags) or 'none'}")
    lines.append(f"- scopes: {', '.join(f'`{s}`' for s in spec.scopes) or 'none'}")
    lines.append(f"- timeout: {f'{spec.timeout:g} s' if spec.timeout else 'tool_timeout'}")
    for alias, fixed in spec.aliases.items():  # not in tools/list: documented for predecessors' clients
        lines.append(f"- also answers `{alias}` (with `{json.dumps(dict(fixed), separators=(', ', ': '))}`)")
    lines[-1] += "\n"
    lines += _fields_table("Arguments", spec.input_schema())
    output = spec.output_schema()
    if output is not None:
        lines += _fields_table("Result", output)
    return lines


def _fields_table(title: str, schema: dict[str, Any]) -> list[str]:
    properties: dict[str, Any] = schema.get("properties", {})
    if not properties:
        return [f"{title}: none.\n"]
    required = set(schema.get("required", []))
    lines = [f"{title}:\n", "| name | type | required | default | description |", "|---|---|---|---|---|"]
    for name, prop in properties.items():
        default = f"`{json.dumps(prop['default'])}`" if "default" in prop else ""
        description = str(prop.get("description", "")).replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| `{name}` | {_type(prop, schema)} | {'yes' if name in required else ''} | {default} | {description} |"
        )
    return [*lines, ""]


def _type(prop: dict[str, Any], root: dict[str, Any]) -> str:
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "enum" in prop:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in prop["enum"])
    if "anyOf" in prop:
        return " \\| ".join(_type(p, root) for p in prop["anyOf"])
    kind = prop.get("type", "any")
    if isinstance(kind, list):  # `"type": ["array", "null"]`: each type, as anyOf reads
        return " \\| ".join(_type({**prop, "type": each}, root) for each in kind)
    if kind == "array":
        return f"array of {_type(prop.get('items', {}), root)}"
    return str(kind)
