"""Adds one command, then fails: none of its commands may remain."""

import click

from ggen_mcp_core import hookimpl


@hookimpl
def ggen_register_commands(cli):  # type: ignore[no-untyped-def]
    @cli.command(name="badcommands-half")
    def half() -> None:
        click.echo("should not exist")

    raise RuntimeError("command setup failed")
