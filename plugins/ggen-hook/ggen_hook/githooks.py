"""Our blocks in ``.git/hooks/<hook>``: added, removed, and nothing of the user's touched.

Each git-event hook owns one marked block in the script git runs::

    # >>> ggen-mcp hook regen >>>
    '/venv/bin/ggen-mcp' --workspace '/repo' --log-level warning call hook_run --args '{...}' || exit $?
    # <<< ggen-mcp hook regen <<<

Blocks go right after the shebang (after earlier ggen-mcp blocks, keeping registration order) so a
user's ``exit 0`` further down cannot skip them. Anything outside the markers is preserved byte for
byte. The script must be a POSIX-shell script; we refuse to add shell lines to a Python or Node hook.

The host's write policy refuses ``.git/`` to every ordinary write; this module writes hook scripts through
the one capability the host gives for it, ``Workspace.git_hooks_writer()``, which reaches
``.git/hooks/<name>`` and nothing else.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
from pathlib import Path

from ggen_mcp_core import ToolError, Workspace

GIT_HOOK_NAMES = {
    "git-pre-commit": "pre-commit",
    "git-post-merge": "post-merge",
    "git-post-checkout": "post-checkout",
}
SHELLS = {"sh", "bash", "dash", "zsh", "ksh", "ash", "busybox"}
DEFAULT_SHEBANG = "#!/bin/sh\n"
MAX_SCRIPT_BYTES = 1024 * 1024


def git_hook_file(event: str) -> str:
    """The workspace-relative script for a git event, e.g. ``.git/hooks/pre-commit``."""
    return f".git/hooks/{GIT_HOOK_NAMES[event]}"


def begin_marker(name: str) -> str:
    return f"# >>> ggen-mcp hook {name} >>>"


def end_marker(name: str) -> str:
    return f"# <<< ggen-mcp hook {name} <<<"


def ggen_command() -> list[str]:
    """How a git hook starts the CLI of this very installation (absolute, since git's PATH may differ)."""
    script = Path(sys.executable).with_name("ggen-mcp")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("ggen-mcp")
    if found:
        return [os.path.abspath(found)]
    return [sys.executable, "-m", "ggen_mcp_core.cli"]


def block_for(name: str, workspace: Workspace) -> str:
    """The marked block that makes git run hook ``name`` through ``ggen-mcp call hook_run``."""
    arguments = json.dumps({"name": name, "check": True}, separators=(",", ":"))
    argv = [
        *ggen_command(),
        "--workspace",
        str(workspace.root),
        "--log-level",
        "warning",
        "call",
        "hook_run",
        "--args",
        arguments,
    ]
    line = " ".join(shlex.quote(part) for part in argv)
    return (
        f"{begin_marker(name)}\n"
        "# Added by ggen-mcp hook_register; hook_remove deletes this block. Do not edit it by hand.\n"
        f"{line} || exit $?\n"
        f"{end_marker(name)}\n"
    )


def ensure_repository(workspace: Workspace) -> None:
    """Refuse git events in a workspace without a ``.git`` directory at its root."""
    git_dir = workspace.resolve(".git")
    if not git_dir.is_dir():
        raise ToolError(
            "git-* hooks need a git repository at the workspace root (no .git directory found in "
            f"{workspace.root}); run `git init` there first"
        )


def install(workspace: Workspace, event: str, name: str) -> str:
    """Add the block for hook ``name`` to the script of ``event``; return the script's relative path."""
    ensure_repository(workspace)
    relative = git_hook_file(event)
    text = _read_script(workspace, relative)
    if begin_marker(name) in text:
        raise ToolError(f"{relative} already has a ggen-mcp block for {name!r}; remove it first")
    updated = _insert(text or DEFAULT_SHEBANG, block_for(name, workspace), relative)
    _write_script(workspace, relative, updated)
    return relative


def uninstall(workspace: Workspace, event: str, name: str) -> str | None:
    """Remove hook ``name``'s block from the script of ``event``; None when there was none."""
    relative = git_hook_file(event)
    try:
        text = _read_script(workspace, relative)
    except ToolError:
        return None
    updated, found = _without_block(text, name, relative)
    if not found:
        return None
    if _only_shebang(updated):
        workspace.git_hooks_writer().remove(GIT_HOOK_NAMES[event])
    else:
        _write_script(workspace, relative, updated)
    return relative


def block_state(workspace: Workspace, event: str, name: str) -> str:
    """``present``, ``missing`` or ``damaged`` (start marker without its end) for hook ``name``."""
    try:
        text = _read_script(workspace, git_hook_file(event))
    except ToolError:
        return "missing"
    if begin_marker(name) not in text:
        return "missing"
    return "present" if end_marker(name) in text.split(begin_marker(name), 1)[1] else "damaged"


def _read_script(workspace: Workspace, relative: str) -> str:
    path = workspace.resolve(relative)
    if not path.exists():
        return ""
    if not path.is_file():
        raise ToolError(f"{relative} is not a regular file")
    try:
        return workspace.read_text(relative, max_bytes=MAX_SCRIPT_BYTES)
    except UnicodeDecodeError:
        raise ToolError(f"{relative} is not a text script; ggen-mcp will not edit it") from None


def _write_script(workspace: Workspace, relative: str, text: str) -> None:
    writer = workspace.git_hooks_writer()
    name = relative.rsplit("/", 1)[1]
    path = writer.path(name)
    mode = (path.stat().st_mode & 0o7777) | 0o755 if path.exists() else 0o755
    writer.write(name, text, mode=mode)


def _insert(text: str, block: str, relative: str) -> str:
    lines = text.splitlines(keepends=True)
    if not lines[0].startswith("#!"):
        lines.insert(0, DEFAULT_SHEBANG)
    elif not _is_shell(lines[0]):
        raise ToolError(
            f"{relative} is not a POSIX shell script ({lines[0].strip()}); ggen-mcp adds shell lines only "
            "to sh/bash scripts. Call `ggen-mcp call hook_run` from your script yourself instead"
        )
    if not lines[0].endswith("\n"):
        lines[0] += "\n"
    position = 1
    for index, line in enumerate(lines):
        if line.startswith("# <<< ggen-mcp hook "):
            position = index + 1
    lines.insert(position, block)
    return "".join(lines)


def _is_shell(shebang: str) -> bool:
    words = shebang[2:].strip().split()
    if not words:
        return False
    program = os.path.basename(words[0])
    if program == "env" and len(words) > 1:
        program = os.path.basename(words[1])
    return program in SHELLS


def _without_block(text: str, name: str, relative: str) -> tuple[str, bool]:
    pattern = re.compile(
        rf"^{re.escape(begin_marker(name))}\n.*?^{re.escape(end_marker(name))}\n?", re.MULTILINE | re.DOTALL
    )
    updated, count = pattern.subn("", text, count=1)
    if count == 0 and begin_marker(name) in text:
        raise ToolError(f"{relative} has the start of the block of {name!r} but not its end; fix the file by hand")
    return updated, count == 1


def _only_shebang(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return len(lines) <= 1 and all(line.startswith("#!") for line in lines)
