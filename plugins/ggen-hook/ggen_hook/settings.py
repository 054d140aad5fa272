"""The ``[hooks]`` settings section: whether hook commands may run at all, and within which limits.

Environment: ``GGEN_MCP_HOOKS__ALLOW_COMMANDS=true``, ``GGEN_MCP_HOOKS__ALLOWED_COMMANDS=ruff,pytest``...
TOML: a ``[hooks]`` table in the file given with ``--config``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ggen_mcp_core import CommaList

SECTION = "hooks"
ALLOW_SETTING = "hooks.allow_commands (environment GGEN_MCP_HOOKS__ALLOW_COMMANDS=true)"


class HookSettings(BaseModel):
    """Operator settings of the hook pack. Commands are off until ``allow_commands`` is true."""

    model_config = ConfigDict(extra="forbid")

    allow_commands: bool = Field(
        False, description="Let registered hook commands run. Off: hooks are stored but never run."
    )
    allowed_commands: CommaList = Field(
        default_factory=lambda: ["*"],
        description=(
            "Executables hooks may run once commands are allowed: bare names or globs matched against the "
            "command's first word (`ruff`, `python3*`), globs with a `/` matched against the executable's real "
            "path (`/usr/bin/*`, `*/scripts/*.sh`); `*` allows any. A comma list or a JSON list."
        ),
    )
    default_timeout: float = Field(30.0, gt=0, le=3600, description="Seconds a hook runs when it sets none.")
    max_timeout: float = Field(600.0, gt=0, le=3600, description="Largest timeout a hook may ask for.")
    kill_grace: float = Field(
        2.0, ge=0, le=60, description="Seconds between SIGTERM and SIGKILL to a timed-out process group."
    )
    max_output_bytes: int = Field(
        65536, ge=1024, le=16 * 1024 * 1024, description="Bytes of stdout and of stderr kept (the tail)."
    )
    pass_env: CommaList = Field(
        default_factory=list,
        description="Extra environment variable names passed to hooks besides PATH, HOME and LANG.",
    )
    max_hooks: int = Field(256, ge=1, le=10_000, description="Most hooks one workspace may register.")
    limit_file_size_mb: int = Field(
        1024, ge=0, description="RLIMIT_FSIZE of a hook process in MiB (largest file it may write); 0 = none."
    )
    limit_memory_mb: int = Field(0, ge=0, description="RLIMIT_AS of a hook process in MiB (address space); 0 = none.")
    limit_open_files: int = Field(1024, ge=0, description="RLIMIT_NOFILE of a hook process; 0 = unchanged.")
    limit_cpu_seconds: int = Field(
        0, ge=0, description="RLIMIT_CPU of a hook process in seconds of CPU time (SIGXCPU, then SIGKILL); 0 = none."
    )
    limit_processes: int = Field(
        0,
        ge=0,
        description="RLIMIT_NPROC of a hook process: the kernel counts every process of the server's user, so set "
        "it above what that user already runs; 0 = unchanged.",
    )

    @model_validator(mode="after")
    def _timeouts_consistent(self) -> HookSettings:
        if self.default_timeout > self.max_timeout:
            raise ValueError("default_timeout must not exceed max_timeout")
        return self
