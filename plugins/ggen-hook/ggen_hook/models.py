"""What a hook is (the record kept in ``.ggen/hooks.toml``) and the events it can listen to."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

LifecycleEventName = Literal["pre_gen", "post_gen", "pre_apply", "post_apply"]
GitEventName = Literal["git-pre-commit", "git-post-merge", "git-post-checkout"]
EventName = Literal[
    "pre_gen", "post_gen", "pre_apply", "post_apply", "git-pre-commit", "git-post-merge", "git-post-checkout"
]
LIFECYCLE_EVENTS: tuple[str, ...] = get_args(LifecycleEventName)
GIT_EVENTS: tuple[str, ...] = get_args(GitEventName)
ALL_EVENTS: tuple[str, ...] = get_args(EventName)

# A name is embedded in .git/hooks scripts and shown in messages: no quotes, spaces, slashes or dots first.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
HOOK_ID_PATTERN = r"^hook_[0-9a-f]{32}$"
MAX_COMMAND = 4096
MAX_TEMPLATE = 1024
MAX_VARS = 100
VarValue = Annotated[str, StringConstraints(max_length=4096)] | int | float | bool
Vars = dict[Annotated[str, StringConstraints(min_length=1, max_length=128)], VarValue]


def new_hook_id() -> str:
    """A fresh ``hook_<32 hex>`` identifier."""
    return f"hook_{uuid.uuid4().hex}"


def now_iso() -> str:
    """The current UTC time as ISO 8601 (seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class HookRecord(BaseModel):
    """One registered hook, exactly as stored in ``.ggen/hooks.toml``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    hook_id: str = Field(pattern=HOOK_ID_PATTERN, description="Stable identifier, `hook_<32 hex>`.")
    name: str = Field(pattern=NAME_PATTERN, description="Unique name within the workspace.")
    event: EventName = Field(description="When the hook runs.")
    command: str | None = Field(None, min_length=1, max_length=MAX_COMMAND, description="Argument string.")
    template: str | None = Field(None, min_length=1, max_length=MAX_TEMPLATE, description="Template to regenerate.")
    vars: Vars = Field(default_factory=dict, max_length=MAX_VARS, description="Variables for the regeneration.")
    output: str | None = Field(None, min_length=1, max_length=1024, description="Output directory of the regeneration.")
    timeout: float | None = Field(None, gt=0, le=3600, description="Seconds before the run is killed.")
    enabled: bool = Field(True, description="Disabled hooks are kept but never run.")
    match: str | None = Field(None, min_length=1, max_length=256, description="Glob on the template reference.")
    created_at: str = Field(max_length=64, description="When it was registered (UTC, ISO 8601).")

    @model_validator(mode="after")
    def _one_action(self) -> HookRecord:
        check_action(self.event, self.command, self.template, self.match)
        if "\x00" in (self.command or "") or "\x00" in (self.template or ""):
            raise ValueError("command and template must not contain NUL bytes")
        return self

    @property
    def is_git(self) -> bool:
        """True for the ``git-*`` events, installed into ``.git/hooks``."""
        return self.event in GIT_EVENTS


def check_action(event: str, command: str | None, template: str | None, match: str | None) -> None:
    """Raise ``ValueError`` unless the hook has exactly the action its event allows."""
    if event in LIFECYCLE_EVENTS:
        if command is None:
            raise ValueError(f"a {event} hook needs a command")
        if template is not None:
            raise ValueError(f"a {event} hook runs a command; template regeneration is for git-* events")
        return
    if (command is None) == (template is None):
        raise ValueError(f"a {event} hook needs either a command or a template (not both)")
    if match is not None:
        raise ValueError("match filters lifecycle events by template; git-* events have no template to match")
