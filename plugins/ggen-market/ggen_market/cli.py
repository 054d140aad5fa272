"""``ggen-mcp market build-registry SRC_DIR OUT_DIR`` and ``ggen-mcp market hash PACK_DIR``."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def add_commands(cli: click.Group) -> None:
    """Attach the ``market`` command group to the root command line."""

    @cli.group(name="market")
    def market() -> None:
        """Template-pack registry tools."""

    @market.command(name="build-registry")
    @click.argument("src_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
    @click.option("--base-url", help="Absolute URL the registry will be served from (default: relative URLs).")
    @click.option(
        "--updated", help="The index's RFC 3339 'updated' stamp (default: newest pack, SOURCE_DATE_EPOCH, or now)."
    )
    def build_registry_command(src_dir: Path, out_dir: Path, base_url: str | None, updated: str | None) -> None:
        """Build index.json and archives/ from the pack sources under SRC_DIR into OUT_DIR."""
        from ggen_market.builder import build_registry
        from ggen_market.errors import MarketError

        try:
            index, built = build_registry(src_dir, out_dir, base_url=base_url, updated=updated)
        except MarketError as exc:
            click.echo(f"ggen-mcp market build-registry: {exc}", err=True)
            sys.exit(1)
        for pack in built:
            click.echo(f"{pack.id} {pack.version}  {pack.archive}  {pack.size} bytes  sha256 {pack.sha256}")
        click.echo(f"wrote {out_dir / 'index.json'} with {len(index['packs'])} pack(s)")

    @market.command(name="hash")
    @click.argument("pack_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
    def hash_command(pack_dir: Path) -> None:
        """Print the pack hash of PACK_DIR (the sha256 an index entry pins)."""
        from ggen_market.errors import MarketError
        from ggen_market.packhash import hash_directory

        try:
            click.echo(hash_directory(pack_dir))
        except MarketError as exc:
            click.echo(f"ggen-mcp market hash: {exc}", err=True)
            sys.exit(1)
