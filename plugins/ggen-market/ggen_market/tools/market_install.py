"""``market_install``: resolve, download, verify, extract and pin a pack and its dependencies
(the transaction itself is :class:`ggen_market.transactions.Installer`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from ggen_market.settings import MarketSettings
from ggen_market.tools.common import INPUT, INSTALL_SCOPES, market_for
from ggen_mcp_core import ToolContext, ToolError, ToolSpec

if TYPE_CHECKING:
    from ggen_market.lockfile import LockEntry
    from ggen_market.transactions import Installer


class InstallInput(BaseModel):
    model_config = INPUT

    package: str = Field(
        ...,
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9._@^~<>=*| ,+-]+$",
        description="id or id@version.",
    )
    version: str | None = Field(None, max_length=100, description="Semver range.")


class InstalledPack(BaseModel):
    id: str = Field(description="Pack id.")
    version: str = Field(description="Installed version.")
    sha256: str = Field(description="Pack hash pinned in ggen.lock.")
    source: str = Field(description="Where it came from (archive URL, bundled:<path>, or git_url#rev).")
    dependency: bool = Field(description="True when installed only as a dependency of the requested pack.")
    status: Literal["installed", "unchanged"] = Field(description="What this call did with it.")


class InstallOutput(BaseModel):
    package: str = Field(description="The requested pack id.")
    version: str = Field(description="The version now installed.")
    status: Literal["installed", "already_installed"] = Field(description="Whether anything changed.")
    message: str = Field(description="A one-line summary.")
    packs: list[InstalledPack] = Field(description="The requested pack and its dependencies, dependencies first.")
    templates: list[str] = Field(description="Template references it brings, usable as project_gen templates.")
    path: str = Field(description="Where the pack lives in the workspace.")
    lockfile: str = Field("ggen.lock", description="The lockfile that pins it.")
    stale_index: bool = Field(False, description="True when the registry was unreachable and the cache answered.")


async def market_install(args: InstallInput, ctx: ToolContext[MarketSettings]) -> InstallOutput:
    from ggen_market.errors import MarketError
    from ggen_market.lockfile import read_lockfile
    from ggen_market.names import InvalidName, parse_spec
    from ggen_market.planning import plan
    from ggen_market.resolver import Root, requirement_text
    from ggen_market.resources import announce_installed, announce_packs
    from ggen_market.transactions import Installer

    try:
        spec = parse_spec(args.package, args.version)
    except InvalidName as exc:
        raise ToolError(f"package: {exc}") from None
    market = market_for(ctx)
    installer = Installer(market, ctx.progress)
    lock = await ctx.run_sync(read_lockfile, ctx.workspace)
    current = lock.get(spec.pack_id)
    if current is not None and (spec.requirement is None or spec.requirement.matches(current.version)):
        closure = [e for e in (lock.get(d) for d in current.dependency_ids()) if e is not None]
        if len(closure) == len(current.dependency_ids()) and await ctx.run_sync(
            _all_intact, installer, [current, *closure]
        ):
            wanted = requirement_text(spec.requirement) if spec.requirement is not None else None
            recorded = wanted is not None and await ctx.run_sync(installer.record_requirement, current.id, wanted)
            if recorded:  # ggen.lock now records the range: the pack's entry changed
                await announce_packs(ctx, [current.id])
            return _already(installer, current, wanted if recorded else None)
    planned, view = await plan(market, lock, [Root(spec.pack_id, spec.requirement)])
    committed = await installer.install(planned)
    root = next(p for p in planned if p.pack_id == spec.pack_id)
    installed_ids = {p.pack_id for p in committed.installed}
    changed = bool(installed_ids) or committed.lock_written
    packs = [
        InstalledPack(
            id=p.pack_id,
            version=p.version,
            sha256=p.sha256,
            source=p.source,
            dependency=p.pack_id != spec.pack_id,
            status="installed" if p.pack_id in installed_ids else "unchanged",
        )
        for p in planned
    ]
    templates = await ctx.run_sync(installer.templates_of, root.pack_id, root.version)
    if not templates and not (market.layout.pack_dir(root.pack_id, root.version) / "gpack.toml").is_file():
        raise MarketError(f"{root.pack_id} {root.version} is not on disk after installing; try again")
    replaced = committed.replaced.get(root.pack_id)
    verb = f"replaced {replaced} with" if replaced else "installed"
    extra = len([p for p in packs if p.dependency and p.status == "installed"])
    message = f"{verb} {root.pack_id} {root.version}" + (f" and {extra} dependencies" if extra else "")
    if not changed:
        message = f"{root.pack_id} {root.version} is already installed (another install finished first)"
    else:
        touched = [(p.pack_id, p.version) for p in planned if p.pack_id in installed_ids or p.pack_id == root.pack_id]
        await announce_installed(ctx, market, touched)
    return InstallOutput(
        package=root.pack_id,
        version=root.version,
        status="installed" if changed else "already_installed",
        message=message,
        packs=packs,
        templates=templates,
        path=market.layout.pack_dir(root.pack_id, root.version).relative_to(ctx.workspace.root).as_posix(),
        lockfile="ggen.lock",
        stale_index=view is None or view.stale,
    )


def _all_intact(installer: Installer, entries: list[LockEntry]) -> bool:
    return all(installer.is_intact(e) for e in entries)


def _already(installer: Installer, entry: LockEntry, recorded: str | None) -> InstallOutput:
    templates = installer.templates_of(entry.id, entry.version)
    path = installer.layout.pack_dir(entry.id, entry.version)
    message = f"{entry.id} {entry.version} is already installed; nothing changed"
    if recorded is not None:
        message = (
            f"{entry.id} {entry.version} is already installed and satisfies {recorded}; ggen.lock now "
            f"records {recorded}, so market_update moves it to the newest version {recorded} allows"
        )
    return InstallOutput(
        package=entry.id,
        version=entry.version,
        status="already_installed",
        message=message,
        packs=[
            InstalledPack(
                id=entry.id,
                version=entry.version,
                sha256=entry.sha256,
                source=entry.source,
                dependency=False,
                status="unchanged",
            )
        ],
        templates=templates,
        path=path.relative_to(installer.market.workspace.root).as_posix(),
        lockfile="ggen.lock",
        stale_index=False,
    )


def spec(settings: MarketSettings) -> ToolSpec:
    """market_install's registration."""
    return ToolSpec(
        name="market_install",
        title="Install a template pack",
        description="Install a pack and its dependencies, pinned in ggen.lock.",
        input_model=InstallInput,
        output_model=InstallOutput,
        handler=market_install,
        idempotent=True,
        open_world=True,
        timeout=600,
        scopes=INSTALL_SCOPES,
    )
