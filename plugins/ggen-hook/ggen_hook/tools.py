"""The hook pack's tools: names, descriptions, models, annotations, scopes."""

from __future__ import annotations

from ggen_hook.listing import ListInput, ListOutput, hook_list
from ggen_hook.registration import (
    RegisterInput,
    RegisterOutput,
    RemoveInput,
    RemoveOutput,
    hook_register,
    hook_remove,
)
from ggen_hook.running import RunInput, RunOutput, hook_run
from ggen_hook.settings import HookSettings
from ggen_hook.validation import ValidateInput, ValidateOutput, hook_validate
from ggen_mcp_core import ToolSpec

WRITE = ("hook:write",)
RUN = ("hook:run",)


def tool_specs(settings: HookSettings) -> list[ToolSpec]:
    """Every hook tool; ``hook_run``'s deadline covers the longest hook the operator allows."""
    run_deadline = settings.max_timeout + settings.kill_grace + 15.0
    return [
        ToolSpec(
            name="hook_register",
            title="Register a hook",
            input_model=RegisterInput,
            output_model=RegisterOutput,
            handler=hook_register,
            scopes=WRITE,
            description=(
                "Register a hook: a command (split with shlex, never run by a shell) to run around "
                "generation (pre_gen, post_gen, pre_apply, post_apply) or on git events (git-pre-commit, "
                "git-post-merge, git-post-checkout), or for git events a template to regenerate. Stored in "
                ".ggen/hooks.toml; git events also get a block in .git/hooks/<hook>. Returns hook_id, name, "
                "event, status and whether this server would run it now (commands are off unless the "
                "operator allows them)."
            ),
        ),
        ToolSpec(
            name="hook_list",
            title="List hooks",
            input_model=ListInput,
            output_model=ListOutput,
            handler=hook_list,
            read_only=True,
            scopes=RUN,
            description="List the registered hooks in the order they run, optionally for one event, and "
            "whether this server runs hook commands.",
        ),
        ToolSpec(
            name="hook_remove",
            title="Remove a hook",
            input_model=RemoveInput,
            output_model=RemoveOutput,
            handler=hook_remove,
            destructive=True,
            scopes=WRITE,
            description="Remove a hook by name or hook_id from .ggen/hooks.toml, and its block from "
            ".git/hooks (the rest of the script is kept). Works on invalid entries too.",
        ),
        ToolSpec(
            name="hook_run",
            title="Run a hook now",
            input_model=RunInput,
            output_model=RunOutput,
            handler=hook_run,
            open_world=True,
            scopes=RUN,
            timeout=run_deadline,
            description="Run one hook now in the workspace with a timeout and a scrubbed environment, and "
            "return its exit code, duration and the tails of stdout and stderr; dry_run shows what would "
            "run, or why it would be refused. Refused while hooks.allow_commands is off.",
        ),
        ToolSpec(
            name="hook_validate",
            title="Validate hooks",
            input_model=ValidateInput,
            output_model=ValidateOutput,
            handler=hook_validate,
            read_only=True,
            scopes=RUN,
            description="Check .ggen/hooks.toml and each hook: the executable exists and is allowed, the "
            "events are known, templates resolve, git blocks are installed and executable. Returns the "
            "problems per hook.",
        ),
    ]
