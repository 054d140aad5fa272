"""Writing a planned set of files all or nothing.

Every file is first written to a temporary file in the write's own folder under ``.ggen/tmp/template/``
and fsynced (staging; see ``staging`` for that folder, the sweep of those left by killed writes, and the
targets on another file system, staged beside themselves); only when all are staged are they renamed into
place (commit), each rename atomic. A failure while staging removes the temporary files and the folders it
created; a failure while committing puts back the files already replaced. Either way the call ends with the
workspace as it was, and an error naming the file. A kill -9 leaves no temporary file in the user's folders
(the next write sweeps them from ``.ggen/tmp/template/``), but a kill during the renames leaves the targets
renamed so far.
Before anything happens each target is checked against the host's write policy (a saved plan is data: its
paths are checked again here, at apply time, and once more just before each rename) and against the sha256
it had when the actions were planned, so a file changed in between is named instead of overwritten.
"""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ggen_mcp_core import ProtectedPath, ToolError
from ggen_template.actions import Action, sha256_bytes
from ggen_template.shell import CommandRun, command_policy, failure, plan_command, refuse_unless_allowed, run_command
from ggen_template.staging import Staging

if TYPE_CHECKING:
    from collections.abc import Callable

    from ggen_mcp_core import Workspace
    from ggen_mcp_core.commands import Command
    from ggen_mcp_core.process_group import GroupProcess
    from ggen_template.settings import TemplateSettings


@dataclass
class WriteReport:
    """What a write did, by kind, with warnings from commands that failed after writing."""

    created: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    injected: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    commands: list[CommandRun] = field(default_factory=list)


@dataclass
class _Target:
    path: str
    real: Path
    content: bytes
    before_sha256: str | None
    tmp: str | None = None
    old: bytes | None = None
    existed: bool = False
    mode: int = 0o644


def changed_targets(workspace: Workspace, actions: list[Action]) -> list[str]:
    """Paths whose file no longer has the sha256 recorded when the actions were planned."""
    changed = []
    seen: set[str] = set()
    for action in actions:
        if action.path in seen or not action.path:
            continue
        seen.add(action.path)
        real = workspace.resolve(action.path)
        current = sha256_bytes(real.read_bytes()) if real.is_file() else None
        if current != action.before_sha256:
            changed.append(action.path)
    return changed


class SetWriter:
    """Applies a list of actions to the workspace, all or nothing."""

    def __init__(
        self,
        workspace: Workspace,
        settings: TemplateSettings,
        *,
        output: str,
        on_staged: Callable[[int, int, str], None] | None = None,
    ) -> None:
        """``on_staged(done, total, path)`` is called after each file is staged (in the writing thread)."""
        self.workspace = workspace
        self.on_staged = on_staged
        self.settings = settings
        self.output = output
        self.report = WriteReport()
        self._created_dirs: list[Path] = []
        self._staging: Staging | None = None
        self._policy = command_policy(settings)
        self._planned: dict[tuple[int, str], Command] = {}
        self._running: GroupProcess | None = None
        self._stopped = False

    def stop(self) -> None:
        """The call was cancelled (thread-safe): kill the running command's group and write nothing more."""
        self._stopped = True
        running = self._running
        if running is not None:
            running.kill()

    def write(self, actions: list[Action], *, force: bool = False) -> WriteReport:
        """Check, run ``sh_before`` commands, stage, commit, run ``sh_after`` commands."""
        self._check_policy(actions)
        changed = changed_targets(self.workspace, actions)
        if changed and not force:
            raise ToolError(
                "nothing was written: these files changed since the plan was made: "
                + ", ".join(changed)
                + " (pass force=true to write anyway)"
            )
        self._summarize(actions)
        self._plan_commands(actions)
        self._commands(actions, "sh_before")
        self._check_stopped()
        targets = self._targets(actions)
        self._staging = Staging(self.workspace)
        try:
            self._staging.open()
        except OSError as exc:
            raise ToolError(
                f"nothing was written: cannot create the staging folder .ggen/tmp/template: {exc.strerror or exc}"
            ) from None
        try:
            self._stage(targets)
            self._commit(targets)
        finally:
            self._staging.close()
        self._commands(actions, "sh_after")
        return self.report

    def _check_policy(self, actions: list[Action]) -> None:
        """Refuse, before anything runs, every target (and backup) the write policy protects."""
        refused: list[str] = []
        for action in actions:
            if action.type == "skip" or not action.path:
                continue
            paths = [action.path, f"{action.path}.backup"] if action.backup else [action.path]
            for path in paths:
                try:
                    self.workspace.resolve_for_write(path)
                except ProtectedPath as exc:
                    refused.append(str(exc))
        if refused:
            raise ProtectedPath("nothing was written: " + "; ".join(dict.fromkeys(refused)))

    def _summarize(self, actions: list[Action]) -> None:
        buckets = {
            "create": self.report.created,
            "overwrite": self.report.modified,
            "inject": self.report.injected,
            "skip": self.report.skipped,
        }
        for action in actions:
            bucket = buckets[action.type]
            if action.path and action.path not in bucket:
                bucket.append(action.path)

    def _targets(self, actions: list[Action]) -> list[_Target]:
        targets: dict[str, _Target] = {}
        backups: list[_Target] = []
        for action in actions:
            if action.type == "skip" or action.content is None:
                continue
            real = self.workspace.resolve_for_write(action.path)
            target = targets.get(action.path)
            if target is None:
                targets[action.path] = _Target(action.path, real, b"", action.before_sha256)
                if action.backup and real.is_file():
                    backup = f"{action.path}.backup"
                    backups.append(_Target(backup, self.workspace.resolve_for_write(backup), real.read_bytes(), None))
            targets[action.path].content = action.content.encode("utf-8")
        return [*backups, *targets.values()]

    def _stage(self, targets: list[_Target]) -> None:
        try:
            for done, target in enumerate(targets, 1):
                self._stage_one(target)
                if self.on_staged is not None:
                    self.on_staged(done, len(targets), target.path)
        except BaseException as exc:
            self._discard(targets)
            if isinstance(exc, ToolError):
                raise ToolError(f"nothing was written: {exc}") from None
            if isinstance(exc, OSError):
                raise ToolError(f"nothing was written: cannot write {target.path}: {exc.strerror or exc}") from None
            raise

    def _stage_one(self, target: _Target) -> None:
        real = self.workspace.resolve_for_write(target.path)
        self._created_dirs += self.workspace.make_dirs(real.parent)
        real = self.workspace.resolve_for_write(target.path)
        if real.is_dir():
            raise ToolError(f"{target.path} is a folder")
        target.real = real
        target.existed = real.is_file()
        target.mode = real.stat().st_mode & 0o7777 if target.existed else _new_file_mode()
        assert self._staging is not None
        target.tmp = self._staging.write(real, target.content, target.mode)

    def _commit(self, targets: list[_Target]) -> None:
        done: list[_Target] = []
        try:
            for target in targets:
                target.old = target.real.read_bytes() if target.existed else None
                self._check_final(target)
                self._replace(target)
                done.append(target)
        except BaseException as exc:
            self._roll_back(done)
            self._discard(targets)
            if isinstance(exc, OSError):
                raise ToolError(f"nothing was written: cannot replace {target.path}: {exc.strerror or exc}") from None
            raise
        for directory in {t.real.parent for t in targets}:
            _fsync_dir(directory)

    def _check_final(self, target: _Target) -> None:
        """The write policy once more for the final target, just before the rename puts the file there."""
        if self.workspace.resolve_for_write(target.path) != target.real:
            raise ToolError(f"nothing was written: {target.path} now leads elsewhere (a link changed meanwhile)")

    def _replace(self, target: _Target) -> None:
        """Rename the staged file onto the target. EXDEV means the target's folder is another mount of the
        same file system (a bind mount, which the staging check cannot see): stage it again beside itself."""
        assert target.tmp is not None and self._staging is not None
        try:
            os.replace(target.tmp, target.real)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            with contextlib.suppress(OSError):
                os.unlink(target.tmp)
            target.tmp = self._staging.write(target.real, target.content, target.mode, beside=True)
            os.replace(target.tmp, target.real)
        target.tmp = None

    def _roll_back(self, done: list[_Target]) -> None:
        for target in reversed(done):
            with contextlib.suppress(OSError):
                if target.old is None:
                    target.real.unlink()
                else:
                    assert self._staging is not None
                    target.content = target.old
                    target.tmp = self._staging.write(target.real, target.old, target.mode)
                    self._replace(target)

    def _discard(self, targets: list[_Target]) -> None:
        for target in targets:
            if target.tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(target.tmp)
                target.tmp = None
        for folder in reversed(self._created_dirs):
            with contextlib.suppress(OSError):
                folder.rmdir()
        self._created_dirs.clear()

    def _plan_commands(self, actions: list[Action]) -> None:
        """Refuse, before anything runs, commands while they are off and every one the allowlist refuses."""
        for index, action in enumerate(actions):
            for key in ("sh_before", "sh_after"):
                argv = getattr(action, key)
                if argv and action.type != "skip":
                    refuse_unless_allowed(self.settings.allow_shell, action.template, key)
                    command = plan_command(argv, self._policy, self.workspace, action.template, key)
                    self._planned[(index, key)] = command

    def _commands(self, actions: list[Action], key: str) -> None:
        for index, action in enumerate(actions):
            command = self._planned.get((index, key))
            if command is None:
                continue
            self._check_stopped()
            env = {"GGEN_TEMPLATE": action.template, "GGEN_FILE": action.path, "GGEN_OUTPUT": self.output}
            try:
                run = run_command(command, self._policy, self.workspace, env=env, started=self._started)
            finally:
                self._running = None
            self.report.commands.append(run)
            message = failure(run, action.template, key, self.settings.shell_timeout)
            if message is not None and key == "sh_before":
                raise ToolError(f"nothing was written: {message}")
            if message is not None:
                self.report.warnings.append(message)

    def _started(self, process: GroupProcess) -> None:
        self._running = process
        if self._stopped:
            process.kill()

    def _check_stopped(self) -> None:
        if self._stopped:
            raise ToolError("nothing more was written: the call was cancelled")


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.fsync(fd)
    os.close(fd)
