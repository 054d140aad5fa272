"""Removing installed packs (under the workspace lock; ggen.lock first, then the files)."""

from __future__ import annotations

from ggen_market.errors import MarketError
from ggen_market.lockfile import Lockfile, read_lockfile, workspace_lock, write_lockfile
from ggen_market.market import Market
from ggen_market.store import remove_tree


def orphans(lock: Lockfile) -> list[str]:
    """Packs installed only as dependencies that no remaining pack depends on."""
    return sorted(e.id for e in lock.packs.values() if e.requirement is None and not lock.dependants(e.id))


def remove_packs(market: Market, pack_id: str, prune: bool) -> tuple[list[str], list[str], int]:
    """Remove ``pack_id`` (and, with ``prune``, orphaned dependencies); return removed, pruned, archives."""
    market.check_layout()
    layout = market.layout
    with workspace_lock(layout.state, market.settings.lock_timeout):
        lock = read_lockfile(market.workspace)
        entry = lock.get(pack_id)
        if entry is None:
            installed = ", ".join(sorted(lock.packs)) or "none"
            raise MarketError(f"{pack_id} is not installed (installed packs: {installed})")
        dependants = lock.dependants(pack_id)
        if dependants:
            raise MarketError(f"{pack_id} is needed by {', '.join(dependants)}; remove those first")
        gone = [lock.packs.pop(pack_id)]
        pruned: list[str] = []
        while prune and (unused := orphans(lock)):
            for orphan in unused:
                gone.append(lock.packs.pop(orphan))
                pruned.append(f"{orphan}@{gone[-1].version}")
        write_lockfile(market.workspace, lock)
        archives = 0
        for removed in gone:
            remove_tree(layout.pack_dir(removed.id, removed.version))
            parent = layout.packs / removed.id
            if parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
            if prune:
                for archive in layout.archives.glob(f"{removed.id}@*.tar.gz"):
                    archive.unlink(missing_ok=True)
                    archives += 1
        return [f"{gone[0].id}@{gone[0].version}"], pruned, archives
