"""``market_info``: one pack in detail (versions, templates, installed version, optional health score)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ggen_market.settings import MarketSettings
from ggen_market.tools.common import INPUT, NOTE, PACK_ID, READ_SCOPES, STALE, PackSummary, market_for, summary
from ggen_mcp_core import ToolContext, ToolError, ToolSpec


class InfoInput(BaseModel):
    model_config = INPUT

    package_id: str = PACK_ID
    examples: bool = Field(False, description="Add examples.")
    dependencies: bool = Field(False, description="Add dependencies.")
    health: bool = Field(False, description="Add health score.")


class VersionInfo(BaseModel):
    version: str = Field(description="Semantic version.")
    source: str = Field(description="'archive' (url) or 'git' (git_url + git_rev).")
    size: int | None = Field(None, description="Archive size in bytes.")
    sha256: str = Field(description="Pack hash pinned by the registry.")
    yanked: bool = Field(False, description="Withdrawn by its publisher.")
    templates: list[str] = Field(default_factory=list, description="Template files inside (paths).")
    dependencies: dict[str, str] | None = Field(None, description="Pack id -> version requirement.")


class Health(BaseModel):
    score: int = Field(description="0-100.")
    reasons: list[str] = Field(description="What added to or held back the score.")


class InfoOutput(BaseModel):
    pack: PackSummary = Field(description="The pack.")
    homepage: str | None = Field(None, description="Homepage.")
    repository: str | None = Field(None, description="Source repository.")
    keywords: list[str] = Field(default_factory=list, description="Keywords.")
    versions: list[VersionInfo] = Field(description="Every version, newest first.")
    installed_version: str | None = Field(None, description="Version in this workspace's ggen.lock.")
    templates: list[str] = Field(description="Template references of the latest version (<id>:<path>).")
    examples: list[str] | None = Field(None, description="How to use it, when examples was asked for.")
    health: Health | None = Field(None, description="Health score, when asked for.")
    stale: bool = STALE
    note: str | None = NOTE


async def market_info(args: InfoInput, ctx: ToolContext[MarketSettings]) -> InfoOutput:
    from ggen_market.health import health_of
    from ggen_market.lockfile import read_lockfile
    from ggen_market.manifest import template_refs

    view = await market_for(ctx).index("auto")
    pack = view.index.get(args.package_id)
    if pack is None:
        import difflib

        close = difflib.get_close_matches(args.package_id, list(view.index.packs), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; market_search finds pack ids"
        raise ToolError(f"pack {args.package_id!r} is not in the registry {view.registry.url}{hint}")
    versions = []
    for number in pack.sorted_versions():
        entry = pack.versions[str(number)]
        versions.append(
            VersionInfo(
                version=str(number),
                source=entry.kind,
                size=entry.size,
                sha256=entry.sha256,
                yanked=entry.yanked,
                templates=entry.templates,
                dependencies=dict(entry.dependencies) if args.dependencies else None,
            )
        )
    locked = read_lockfile(ctx.workspace).get(pack.id)
    refs = template_refs(pack.id, pack.versions[pack.latest_version].templates)
    examples = None
    if args.examples:
        examples = [f'market_install {{"package": "{pack.id}@{pack.latest_version}"}}']
        examples += [f'project_gen {{"template": "{ref}"}}' for ref in refs]
    health = None
    if args.health:
        score, reasons = health_of(pack)
        health = Health(score=score, reasons=reasons)
    return InfoOutput(
        pack=summary(pack),
        homepage=pack.homepage,
        repository=pack.repository,
        keywords=list(pack.keywords),
        versions=versions,
        installed_version=locked.version if locked else None,
        templates=refs,
        examples=examples,
        health=health,
        stale=view.stale,
        note=view.note,
    )


def spec(settings: MarketSettings) -> ToolSpec:
    """market_info's registration."""
    return ToolSpec(
        name="market_info",
        title="Show a template pack",
        description="A pack's versions, templates, installed version.",
        input_model=InfoInput,
        output_model=InfoOutput,
        handler=market_info,
        read_only=True,
        open_world=True,
        scopes=READ_SCOPES,
    )
