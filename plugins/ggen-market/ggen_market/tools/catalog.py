"""``market_list`` (every pack, filtered) and ``market_info`` (one pack in detail, with a health score)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from ggen_market.tools.common import CATEGORY, PACK_ID, TAG, PackSummary, market_for, summary
from ggen_mcp_core import ToolContext, ToolError, ToolSpec

if TYPE_CHECKING:
    from ggen_market.index import PackEntry


class ListInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str | None = CATEGORY
    tag: str | None = TAG
    limit: int = Field(100, ge=1, le=1000, description="Most packs to return (sorted by name).")


class ListOutput(BaseModel):
    packs: list[PackSummary] = Field(description="Packs sorted by name.")
    total: int = Field(description="How many packs match (before the limit).")
    categories: dict[str, int] = Field(description="Pack count per category in the whole index.")
    installed: list[str] = Field(description="Ids of the listed packs that are installed in this workspace.")
    stale: bool = Field(description="True when the cached index answered because the registry was unreachable.")
    note: str | None = Field(None, description="Why the answer is stale, when it is.")


class InfoInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    package_id: str = PACK_ID
    examples: bool = Field(False, description="Include example template references and a project_gen call.")
    dependencies: bool = Field(False, description="Include each version's dependencies.")
    health: bool = Field(False, description="Include a health score (0-100) with its reasons.")


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
    stale: bool = Field(description="True when the cached index answered because the registry was unreachable.")
    note: str | None = Field(None, description="Why the answer is stale, when it is.")


async def market_list(args: ListInput, ctx: ToolContext) -> ListOutput:
    from ggen_market.lockfile import read_lockfile
    from ggen_market.ranking import match, prepare, top

    market = market_for(ctx)
    view = await market.index("auto")
    if "search" not in view.index.derived:
        await ctx.run_sync(prepare, view.index)
    matches = match(view.index, "", category=args.category, tag=args.tag)
    chosen = top(matches, "name", args.limit)
    installed = set(read_lockfile(ctx.workspace).packs)
    return ListOutput(
        packs=[summary(h.pack) for h in chosen],
        total=len(matches),
        categories=view.index.categories(),
        installed=sorted(installed & {h.pack.id for h in chosen}),
        stale=view.stale,
        note=view.note,
    )


def _template_refs(pack: PackEntry, version: str) -> list[str]:
    from ggen_market.manifest import template_refs

    return template_refs(pack.id, pack.versions[version].templates)


def health_of(pack: PackEntry, now: datetime | None = None) -> Health:
    """A 0-100 score from what a careful user would check before installing."""
    now = now or datetime.now(UTC)
    latest = pack.versions[pack.latest_version]
    age = _age_days(pack.updated, now)
    checks = [
        (15, bool(pack.license), f"license {pack.license}", "no license declared"),
        (10, len(pack.description) >= 20, "has a description", "description missing or very short"),
        (10, bool(pack.repository or pack.homepage), "links its source or homepage", "no repository or homepage"),
        (
            15,
            bool(latest.templates),
            f"{len(latest.templates)} template(s) in the latest version",
            "the index lists no templates for the latest version",
        ),
        (
            10,
            not latest.yanked and not latest.parsed.is_prerelease,
            "latest version is a stable release",
            "latest version is a pre-release or yanked",
        ),
        (
            15,
            all(v.size is not None or v.git_rev for v in pack.versions.values()),
            "every version pins its size or commit",
            "some versions pin neither size nor commit",
        ),
        (
            15,
            age is not None and age <= 365,
            "updated within the last year",
            "not updated for over a year (or no date)",
        ),
        (10, (pack.downloads or 0) > 0, f"{pack.downloads} downloads", "no recorded downloads"),
    ]
    score = 0
    reasons = []
    for weight, passed, good, bad in checks:
        score += weight if passed else 0
        reasons.append(f"+{weight} {good}" if passed else f"+0 {bad}")
    return Health(score=score, reasons=reasons)


def _age_days(stamp: str | None, now: datetime) -> float | None:
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (now - when).total_seconds() / 86400


async def market_info(args: InfoInput, ctx: ToolContext) -> InfoOutput:
    from ggen_market.lockfile import read_lockfile

    market = market_for(ctx)
    view = await market.index("auto")
    pack = view.index.get(args.package_id)
    if pack is None:
        import difflib

        close = difflib.get_close_matches(args.package_id, list(view.index.packs), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; market_search finds pack ids"
        raise ToolError(f"pack {args.package_id!r} is not in the registry {view.registry.url}{hint}")
    versions = [
        VersionInfo(
            version=str(v),
            source=pack.versions[str(v)].kind,
            size=pack.versions[str(v)].size,
            sha256=pack.versions[str(v)].sha256,
            yanked=pack.versions[str(v)].yanked,
            templates=pack.versions[str(v)].templates,
            dependencies=dict(pack.versions[str(v)].dependencies) if args.dependencies else None,
        )
        for v in pack.sorted_versions()
    ]
    locked = read_lockfile(ctx.workspace).get(pack.id)
    refs = _template_refs(pack, pack.latest_version)
    examples = None
    if args.examples:
        examples = [f'market_install {{"package": "{pack.id}@{pack.latest_version}"}}']
        examples += [f'project_gen {{"template": "{ref}"}}' for ref in refs]
    return InfoOutput(
        pack=summary(pack),
        homepage=pack.homepage,
        repository=pack.repository,
        keywords=list(pack.keywords),
        versions=versions,
        installed_version=locked.version if locked else None,
        templates=refs,
        examples=examples,
        health=health_of(pack) if args.health else None,
        stale=view.stale,
        note=view.note,
    )


TOOLS = [
    ToolSpec(
        name="market_list",
        title="List template packs",
        description="List the registry's template packs (optionally one category or tag), sorted by name, "
        "with the pack count per category and which listed packs are installed here.",
        input_model=ListInput,
        output_model=ListOutput,
        handler=market_list,
        read_only=True,
        open_world=True,
        scopes=("market:read",),
    ),
    ToolSpec(
        name="market_info",
        title="Show a template pack",
        description="Details of one template pack: metadata, every version with its pack hash and templates, "
        "the version installed here, and on request its dependencies, usage examples and a 0-100 health "
        "score with reasons.",
        input_model=InfoInput,
        output_model=InfoOutput,
        handler=market_info,
        read_only=True,
        open_world=True,
        scopes=("market:read",),
    ),
]
