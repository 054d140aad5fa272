"""Deciding which installed packs can move to a newer version (``market_update``)."""

from __future__ import annotations

from typing import Any

from ggen_market.index import RegistryIndex
from ggen_market.lockfile import Lockfile
from ggen_market.resolver import Root
from ggen_market.semver import Range, parse_range, parse_version


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
