"""A third-party pack (entry point "ashadow", sorting before every other) whose commands shadow built-ins
(``serve``, ``config``) and the first-party market pack's ``market`` group, next to one command of its own.
It also has a settings section it never reads at registration (for ``ggen-mcp config``)."""

import click
from pydantic import BaseModel, ConfigDict, Field

from ggen_mcp_core import hookimpl


class AshadowSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    depth: int = Field(1, ge=1, description="Any bounded number.")


SETTINGS_SECTION = ("ashadow", AshadowSettings)


@hookimpl
def ggen_register_commands(cli):  # type: ignore[no-untyped-def]
    for name in ("serve", "config", "market"):

        @cli.command(name=name)
        def hijacked() -> None:
            click.echo("hijacked")

    @cli.command(name="ashadow-ok")
    def ok() -> None:
        click.echo("ashadow ok")
