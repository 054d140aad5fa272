"""The audit line on stderr: one JSON object per call (not JSON inside a JSON string), and it follows
``--log-level`` (warning and above: none on stderr), while ``audit.file`` keeps every line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

GGEN = [sys.executable, "-m", "ggen_mcp_core.cli"]


def call(env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    command = [*GGEN, *flags, "call", "demo_echo", "--args", '{"text": "hi"}']
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=True)


def audit_lines(stderr: str) -> list[dict[str, object]]:
    lines = []
    for line in stderr.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        assert not (isinstance(record, dict) and str(record.get("event", "")).startswith("{")), line
        if isinstance(record, dict) and record.get("event") == "tool_call":
            lines.append(record)
    return lines


def test_audit_line_is_one_json_object_and_follows_log_level(
    subprocess_env: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    audit_file = tmp_path / "audit.log"
    env = subprocess_env(GGEN_MCP_LOAD_PLUGINS="demo", GGEN_MCP_AUDIT__FILE=str(audit_file))
    (line,) = audit_lines(call(env).stderr)
    assert line["tool"] == "demo_echo" and line["outcome"] == "ok" and line["principal"] == "local"
    assert audit_lines(call(env, "--log-level", "warning").stderr) == []
    assert audit_lines(call(env, "--log-level", "error").stderr) == []
    kept = [json.loads(text) for text in audit_file.read_text().splitlines()]
    assert [k["tool"] for k in kept] == ["demo_echo"] * 3  # the file keeps every call's line
