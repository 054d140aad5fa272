"""Which tool schemas are valid JSON Schema (Draft 2020-12), checked with ``jsonschema`` and remembered.

Every tool's input and output schema is checked against the metaschema when its pack registers (an invalid
one keeps the tool out). That check and the ``jsonschema`` import are about a third of a second of CPU, paid on
every start of a stdio server, for the same schemas every time. So the digests of the schemas found valid are
kept in ``<cache_dir>/schema-verdicts.json``: a later start finds its schemas there and neither imports nor runs
``jsonschema``. A schema not in the file (new, changed, or invalid: invalid ones are never remembered) is
checked as before, and its problem reported in the same words. A missing, unreadable or malformed file is
an empty one; a file that cannot be written is left alone.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ggen_mcp_core.cache_file import read_json, write_json

FILE_NAME = "schema-verdicts.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


class SchemaVerdicts:
    """The digests of schemas already found valid, in memory and (with ``path``) on disk."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.valid: set[str] = _read(path) if path is not None else set()
        self._dirty = False

    def problems(self, schema: dict[str, Any]) -> tuple[str, ...]:
        """Why ``schema`` is not a valid Draft 2020-12 schema (empty when it is)."""
        digest = _digest(schema)
        if digest in self.valid:
            return ()
        found = _check(schema)
        if not found:
            self.valid.add(digest)
            self._dirty = True
        return found

    def save(self) -> None:
        """Write the file when something was added (atomically: a concurrent start reads the old or the new)."""
        if self.path is None or not self._dirty:
            return
        if write_json(self.path, {"draft": DRAFT, "valid": sorted(self.valid)}, "schema verdicts"):
            self._dirty = False


def _digest(schema: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(schema, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _check(schema: dict[str, Any]) -> tuple[str, ...]:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return (f"schema is invalid: {exc.message}",)
    return ()


def _read(path: Path) -> set[str]:
    data = read_json(path)
    if not isinstance(data, dict) or data.get("draft") != DRAFT or not isinstance(data.get("valid"), list):
        return set()
    return {digest for digest in data["valid"] if isinstance(digest, str) and len(digest) == 64}
