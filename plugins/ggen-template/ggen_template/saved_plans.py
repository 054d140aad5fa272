"""Saved plans: ``.ggen/plans/<plan_id>.json`` holds every action with its full content and sha256.

``project_apply`` writes exactly the planned content: it re-reads the plan, checks each action's content
against its recorded sha256 (a hand-edited plan whose content no longer matches is refused), and checks
each target against the sha256 it had at planning time.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ggen_mcp_core import ToolError
from ggen_mcp_core.workspace import STATE_DIR
from ggen_template.actions import Action, sha256_text

if TYPE_CHECKING:
    from ggen_mcp_core import Workspace

PLAN_FORMAT = 1
PLANS_DIR = "plans"
MAX_PLAN_BYTES = 256 * 1024 * 1024
_PLAN_ID = re.compile(r"^[A-Za-z0-9_\-]{1,80}$")
_PLAN_FILE = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{8}\.json$")  # what new_plan_id() names; others are left alone
PRUNE_EVERY = 20
_saves = 0


class SavedAction(BaseModel):
    """One action as stored in a plan file."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["create", "overwrite", "inject", "skip"]
    path: str
    template: str
    content: str | None = None
    sha256: str | None = None
    before_sha256: str | None = None
    reason: str | None = None
    snippet: str | None = None
    backup: bool = False
    sh_before: list[str] | None = None
    sh_after: list[str] | None = None


class SavedPlan(BaseModel):
    """A plan file."""

    model_config = ConfigDict(extra="forbid")

    format: int = Field(PLAN_FORMAT)
    plan_id: str
    created_at: str
    template: str
    output: str
    vars: dict[str, Any] = Field(default_factory=dict)
    seed: str | None = None
    graph: str | None = None
    actions: list[SavedAction] = Field(default_factory=list)

    def to_actions(self) -> list[Action]:
        """The actions, after checking each content against its sha256."""
        actions = []
        for saved in self.actions:
            if saved.type != "skip" and (saved.content is None or sha256_text(saved.content) != saved.sha256):
                raise ToolError(
                    f"plan {self.plan_id}: the content for {saved.path} does not match its sha256; "
                    "the plan file was changed, make a new plan"
                )
            actions.append(
                Action(
                    saved.type,
                    saved.path,
                    saved.template,
                    saved.content,
                    saved.before_sha256,
                    saved.reason,
                    saved.snippet,
                    saved.backup,
                    saved.sh_before,
                    saved.sh_after,
                )
            )
        return actions


def new_plan_id() -> str:
    """A sortable, unguessable id: ``20250101T120000-1a2b3c4d``."""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(4)


def build_plan(
    plan_id: str,
    *,
    template: str,
    output: str,
    variables: dict[str, Any],
    seed: str | None,
    graph: str | None,
    actions: list[Action],
) -> SavedPlan:
    """A plan record for ``actions``."""
    saved = [
        SavedAction(
            type=a.type,
            path=a.path,
            template=a.template,
            content=a.content,
            sha256=a.sha256,
            before_sha256=a.before_sha256,
            reason=a.reason,
            snippet=a.snippet,
            backup=a.backup,
            sh_before=a.sh_before,
            sh_after=a.sh_after,
        )
        for a in actions
    ]
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return SavedPlan(
        plan_id=plan_id,
        created_at=created,
        template=template,
        output=output,
        vars=variables,
        seed=seed,
        graph=graph,
        actions=saved,
    )


def plan_path(plan_id: str) -> str:
    """Workspace-relative path of a plan id."""
    return f"{STATE_DIR}/{PLANS_DIR}/{plan_id}.json"


def save_plan(workspace: Workspace, plan: SavedPlan, keep: int | None = None) -> str:
    """Write the plan atomically (server state, through ``Workspace.write_state``); return its workspace path.
    With ``keep``, remove the oldest saved plans
    beyond that many (every ``PRUNE_EVERY`` saves, so the folder listing is not paid on every call)."""
    global _saves
    path = plan_path(plan.plan_id)
    workspace.write_state(f"{PLANS_DIR}/{plan.plan_id}.json", plan.model_dump_json(indent=1))
    _saves += 1
    if keep is not None and (_saves - 1) % PRUNE_EVERY == 0:  # the first save, then every PRUNE_EVERY
        prune_plans(workspace, keep)
    return path


def prune_plans(workspace: Workspace, keep: int) -> int:
    """Remove all but the ``keep`` newest plans (ids sort by time); returns how many were removed."""
    folder = workspace.state_path(PLANS_DIR)
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if _PLAN_FILE.match(entry.name))
    except OSError:
        return 0
    removed = 0
    for name in names[: max(0, len(names) - keep)]:
        with contextlib.suppress(OSError):
            (folder / name).unlink()
            removed += 1
    return removed


def load_plan(workspace: Workspace, ref: str) -> SavedPlan:
    """A plan by id (``.ggen/plans/<id>.json``) or by workspace path to a plan JSON."""
    path = plan_path(ref) if _PLAN_ID.match(ref) else ref
    real = workspace.resolve(path)
    if not real.is_file():
        known = sorted(p.stem for p in (workspace.state_dir / PLANS_DIR).glob("*.json"))[-10:]
        hint = f"; recent plans: {', '.join(known)}" if known else "; make one with project_plan"
        raise ToolError(f"plan {ref!r} not found{hint}")
    try:
        data = json.loads(workspace.read_text(real, max_bytes=MAX_PLAN_BYTES))
        plan = SavedPlan.model_validate(data)
    except (json.JSONDecodeError, UnicodeDecodeError, ValidationError) as exc:
        raise ToolError(f"plan {ref!r} is not a valid plan file: {str(exc).splitlines()[0]}") from None
    if plan.format != PLAN_FORMAT:
        raise ToolError(f"plan {ref!r} has format {plan.format}; this server reads format {PLAN_FORMAT}")
    return plan
