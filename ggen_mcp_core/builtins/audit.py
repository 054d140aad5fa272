"""The audit log: one JSON line per tool call (logger ``ggen_mcp.audit``), optionally to a rotated file.

A line holds: time, the server's call id (and the parent call's id for a call a tool made through
``ctx.call_tool``), the client's JSON-RPC request id, principal, tool, plugin, the sha256 of the arguments
(never the values), outcome, error type and duration. See docs/security.md for what personal data that is
and how long it stays.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
from datetime import UTC, datetime

from ggen_mcp_core.config import AuditSettings
from ggen_mcp_core.events import ToolCallEvent
from ggen_mcp_core.hookspecs import hookimpl
from ggen_mcp_core.observability import AUDIT_LOGGER

LOGGER_NAME = AUDIT_LOGGER  # on stderr its lines follow log_level (warning and above: none); the file keeps all
_HOOK = "ggen_on_tool_call"


class AuditPlugin:
    """Writes the audit line of every finished call."""

    def __init__(self, settings: AuditSettings) -> None:
        self.logger = logging.getLogger(LOGGER_NAME)
        self.logger.setLevel(logging.INFO)
        if settings.file is not None and not any(
            getattr(h, "baseFilename", None) == str(settings.file.resolve()) for h in self.logger.handlers
        ):
            settings.file.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(
                settings.file, maxBytes=settings.max_bytes, backupCount=settings.backups, encoding="utf-8"
            )
            handler.setFormatter(logging.Formatter("%(message)s"))
            self.logger.addHandler(handler)

    @hookimpl
    def ggen_on_tool_call(self, event: ToolCallEvent) -> None:
        """Write one JSON line for the call (the record made directly: the line needs no caller lookup)."""
        logger = self.logger
        if logger.isEnabledFor(logging.INFO):
            line = json.dumps(audit_record(event), separators=(",", ":"))
            logger.handle(logger.makeRecord(logger.name, logging.INFO, __file__, 0, line, (), None, _HOOK))


def audit_record(event: ToolCallEvent) -> dict[str, object]:
    """The fields of one audit line."""
    record: dict[str, object] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "event": "tool_call",
        "call_id": event.call_id,
        "parent_call_id": event.parent_call_id,
        "request_id": event.request_id,
        "principal": event.principal.name,
        "authenticated": event.principal.authenticated,
        "tool": event.tool,
        "plugin": event.plugin,
        "arguments_sha256": event.arguments_digest,
        "outcome": event.outcome,
        "error_type": event.error_type,
        "duration_ms": round(event.duration * 1000, 3),
    }
    if event.alias:  # called by an old name (ToolSpec.aliases): the tool above is the one that answered
        record["alias"] = event.alias
    return record
