"""Turning a request into the list of pack versions to install.

From the index when it can be had (fresh or stale): :func:`ggen_market.resolver.resolve`, then a check
that the registry still serves, for every version already in ``ggen.lock``, the content the lock pins.
When no index can be had at all, a request for packs that ``ggen.lock`` already pins is planned from the
lock alone, so a workspace whose archives are cached reinstalls offline.

For ``market_update``, :func:`assess` decides which installed packs may move to a newer version.
"""

from __future__ import annotations

from typing import Any

from ggen_market.errors import IntegrityError, RegistryUnavailable, ResolutionError
from ggen_market.index import RegistryIndex, VersionEntry
from ggen_market.lockfile import Lockfile
from ggen_market.market import Market
from ggen_market.registry import IndexView, Registry
from ggen_market.resolver import Root, resolve
from ggen_market.semver import Range, parse_range, parse_version
from ggen_market.transactions import Planned, git_source


def source_of(registry: Registry, entry: VersionEntry) -> str:
    """What ``ggen.lock`` records as a version's source."""
    if entry.git_url is not None and entry.git_rev is not None:
        return git_source(entry.git_url, entry.git_rev)
    assert entry.url is not None
    return registry.archive_ref(entry.url)


async def plan(market: Market, lock: Lockfile, roots: list[Root]) -> tuple[list[Planned], IndexView | None]:
    """The packs to install for ``roots`` (dependencies first) and the index used (None: from the lock)."""
    try:
        view = await market.index("auto")
    except RegistryUnavailable:
        from_lock = plan_from_lock(lock, roots)
        if from_lock is None:
            raise
        return from_lock, None
    steps = resolve(view.index, lock, roots, max_packs=market.settings.max_packs_per_install)
    planned = []
    for step in steps:
        locked = lock.get(step.pack_id)
        if locked is not None and locked.version == step.version and locked.sha256 != step.entry.sha256:
            raise IntegrityError(
                f"the registry now serves {step.pack_id} {step.version} with pack hash {step.entry.sha256}, "
                f"but ggen.lock pins {locked.sha256}; a published version must never change. "
                "Remove the pack first if you trust the new content."
            )
        planned.append(Planned.from_step(step, source_of(view.registry, step.entry)))
    return planned, view


def plan_from_lock(lock: Lockfile, roots: list[Root]) -> list[Planned] | None:
    """The locked versions of ``roots`` and their locked dependencies, or None when the lock cannot say."""
    order: list[Planned] = []
    seen: set[str] = set()
    direct = {r.pack_id for r in roots}

    def visit(pack_id: str, trail: tuple[str, ...]) -> bool:
        if pack_id in trail:
            raise ResolutionError(f"ggen.lock has a dependency cycle: {' -> '.join((*trail, pack_id))}")
        if pack_id in seen:
            return True
        entry = lock.get(pack_id)
        if entry is None:
            return False
        if not all(visit(dep, (*trail, pack_id)) for dep in entry.dependency_ids()):
            return False
        seen.add(pack_id)
        order.append(Planned.from_lock(entry, direct=pack_id in direct))
        return True

    for root in roots:
        entry = lock.get(root.pack_id)
        if entry is None or root.upgrade:
            return None
        if root.requirement is not None and not root.requirement.matches(entry.version):
            return None
        if not visit(root.pack_id, ()):
            return None
    return order


def allowed(lock: Lockfile, pack_id: str) -> list[tuple[Range, str]]:
    """The ranges an installed pack must stay within: its own requirement and its dependants'."""
    entry = lock.packs[pack_id]
    ranges: list[tuple[Range, str]] = []
    if entry.requirement is not None:
        ranges.append((parse_range(entry.requirement), "the range it was installed with"))
    for other in lock.packs.values():
        for dep in other.dependencies:
            dep_id, _, requirement = dep.partition("@")
            if dep_id == pack_id:
                ranges.append((parse_range(requirement or "*", bare="caret"), other.id))
    return ranges


def assess(index: RegistryIndex, lock: Lockfile, targets: list[str]) -> tuple[list[dict[str, Any]], list[Root]]:
    """A change report per target and the resolver roots for those that will move."""
    changes: list[dict[str, Any]] = []
    roots: list[Root] = []
    for pack_id in targets:
        current = parse_version(lock.packs[pack_id].version)
        pack = index.get(pack_id)
        base = {"id": pack_id, "from_version": str(current), "to_version": str(current)}
        if pack is None:
            changes.append({**base, "status": "unavailable", "note": "the registry no longer lists this pack"})
            continue
        ranges = allowed(lock, pack_id)
        usable = [v for v in pack.sorted_versions() if not pack.versions[str(v)].yanked]
        fitting = [v for v in usable if all(r.matches(v) for r, _ in ranges)] or []
        best = fitting[0] if fitting else None
        newest = next((v for v in usable if not v.is_prerelease), None)
        if best is not None and best > current:
            changes.append({**base, "to_version": str(best), "status": "updated"})
            roots.append(Root(pack_id, parse_range(f"={best}"), upgrade=True, record=lock.packs[pack_id].requirement))
        elif newest is not None and newest > current:
            held_by = ", ".join(f"{r} ({by})" for r, by in ranges if not r.matches(newest))
            changes.append({**base, "status": "pinned", "note": f"{newest} exists but is held back by {held_by}"})
        else:
            changes.append({**base, "status": "up_to_date"})
    return changes, roots
