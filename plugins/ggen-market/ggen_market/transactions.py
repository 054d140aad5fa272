"""Changing what is installed, as transactions under the workspace's file lock: install and remove.

Installing obtains each archive, verifies it, stages it, then commits everything under the file lock:

1. **Obtain**: the cached archive when it still matches the pinned pack hash; else download it (size cap,
   timeout, retries) or fetch the git commit, into the cache's ``tmp/``.
2. **Verify before extracting**: :func:`ggen_market.archive.verify_archive` reads every member, refuses
   unsafe ones and compares the pack hash. Only then is the archive moved into the archive cache.
3. **Stage**: extract into a fresh directory under ``.ggen/tmp/market`` (hashing again while writing).
4. **Commit** (holding ``.ggen/market.lock``): re-read ``ggen.lock``, rename each staged directory to
   ``.ggen/packs/<id>/<version>`` (one atomic rename), write ``ggen.lock`` atomically, then delete
   replaced versions. A crash at any point leaves ``ggen.lock`` valid and no half-extracted pack in place.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import anyio.to_thread

from ggen_market.archive import ArchiveScan, extract_archive, verify_archive, write_archive
from ggen_market.bundled import ensure_bundled
from ggen_market.errors import ArchiveRejected, IntegrityError, MarketError, RegistryUnavailable
from ggen_market.gitsource import fetch_git, verify_tree
from ggen_market.lockfile import LockEntry, Lockfile, read_lockfile, workspace_lock, write_lockfile
from ggen_market.manifest import parse_manifest, read_manifest, template_files, template_refs
from ggen_market.market import Market
from ggen_market.packhash import hash_directory
from ggen_market.resolver import Step
from ggen_market.store import remove_tree
from ggen_market.urlpolicy import check_static
from ggen_mcp_core import Workspace

Progress = Callable[[float, float | None, str | None], Awaitable[None]]


@dataclass(frozen=True)
class Planned:
    """One pack version to install, wherever its facts came from (index or ggen.lock)."""

    pack_id: str
    version: str
    sha256: str
    source: str
    size: int | None
    dependencies: list[str]
    direct: bool
    requirement: str | None

    @classmethod
    def from_step(cls, step: Step, source: str) -> Planned:
        entry = step.entry
        return cls(
            step.pack_id,
            step.version,
            entry.sha256,
            source,
            entry.size,
            entry.dependency_list(),
            step.direct,
            step.requirement,
        )

    @classmethod
    def from_lock(cls, entry: LockEntry, direct: bool) -> Planned:
        return cls(
            entry.id,
            entry.version,
            entry.sha256,
            entry.source,
            None,
            list(entry.dependencies),
            direct,
            entry.requirement,
        )


@dataclass
class Committed:
    """What a commit changed."""

    installed: list[Planned] = field(default_factory=list)
    unchanged: list[Planned] = field(default_factory=list)
    replaced: dict[str, str] = field(default_factory=dict)  # id -> old version
    lock_written: bool = False


def git_source(url: str, rev: str) -> str:
    return f"{url}#{rev}"


def split_git_source(source: str) -> tuple[str, str] | None:
    url, hash_mark, rev = source.rpartition("#")
    if hash_mark and len(rev) == 40 and all(c in "0123456789abcdef" for c in rev):
        return url, rev
    return None


class Installer:
    """Installs planned packs into one workspace."""

    def __init__(self, market: Market, progress: Progress | None = None) -> None:
        self.market = market
        self.layout = market.layout
        self.limits = market.settings.limits
        self.progress = progress

    # -- state ---------------------------------------------------------------------------------------

    def is_intact(self, entry: LockEntry) -> bool:
        """True when the locked version is on disk and its files still hash to the pinned sha256."""
        directory = self.layout.pack_dir(entry.id, entry.version)
        if directory.is_symlink() or not (directory / "gpack.toml").is_file():
            return False
        try:
            return hash_directory(directory, self.limits) == entry.sha256
        except (ArchiveRejected, OSError):
            return False

    def templates_of(self, pack_id: str, version: str) -> list[str]:
        directory = self.layout.pack_dir(pack_id, version)
        try:
            return template_refs(pack_id, template_files(directory, read_manifest(directory)))
        except (MarketError, OSError):
            return []

    # -- obtain --------------------------------------------------------------------------------------

    async def obtain(self, item: Planned) -> tuple[Path, ArchiveScan]:
        """A verified archive of ``item`` in the archive cache, and what it holds."""
        cached = self.layout.archive(item.pack_id, item.version)
        if cached.is_file() and not cached.is_symlink():
            try:
                return cached, await anyio.to_thread.run_sync(self._verify, cached, item)
            except (ArchiveRejected, IntegrityError):
                cached.unlink(missing_ok=True)
        self.layout.ensure()
        download = self.layout.downloads / f"dl-{uuid.uuid4().hex}.tar.gz"  # beside archives/: one rename
        try:
            await self._fetch(item, download)
            scan = await anyio.to_thread.run_sync(self._verify, download, item)
            os.replace(download, cached)
        finally:
            download.unlink(missing_ok=True)
        return cached, scan

    def _verify(self, archive: Path, item: Planned) -> ArchiveScan:
        """Safe members, the pinned pack hash, and a manifest naming the same id and version."""
        scan = verify_archive(archive, item.sha256, self.limits)
        text = scan.manifest.decode("utf-8", errors="replace")
        manifest = parse_manifest(text, origin=f"the gpack.toml of {item.pack_id} {item.version}")
        if (manifest.id, manifest.version) != (item.pack_id, item.version):
            raise IntegrityError(
                f"the archive published as {item.pack_id} {item.version} holds {manifest.id} {manifest.version}; "
                "nothing was extracted"
            )
        return scan

    async def _fetch(self, item: Planned, target: Path) -> None:
        source = item.source
        git = split_git_source(source)
        if git is not None:
            await anyio.to_thread.run_sync(self._fetch_git, git[0], git[1], item.sha256, target)
            return
        if source.startswith("bundled:") or urlsplit(source).scheme == "file":
            await anyio.to_thread.run_sync(self._copy_local, source, target, item.size)
            return
        registry = await self.market.registry()
        client = self.market.client(registry)
        await client.download(source, target, max_bytes=self.market.settings.max_archive_bytes, declared=item.size)

    def _copy_local(self, source: str, target: Path, declared: int | None) -> None:
        if source.startswith("bundled:"):
            path = ensure_bundled(self.layout.cache) / source[len("bundled:") :]
        else:
            check_static(source, self.market.policy, what="archive URL")
            path = Path(url2pathname(urlsplit(source).path))
        try:
            size = path.stat().st_size
        except OSError:
            raise RegistryUnavailable(f"archive {source} does not exist") from None
        limit = self.market.settings.max_archive_bytes
        if size > limit:
            raise ArchiveRejected(f"archive {source} is {size} bytes, over the {limit}-byte limit")
        if declared is not None and size != declared:
            raise IntegrityError(f"archive {source} is {size} bytes but the registry declares {declared}")
        shutil.copyfile(path, target, follow_symlinks=False)

    def _fetch_git(self, url: str, rev: str, sha256: str, target: Path) -> None:
        work = Path(tempfile.mkdtemp(prefix="git-", dir=self.layout.tmp))
        try:
            tree = work / "tree"
            settings = self.market.settings
            fetch_git(url, rev, tree, allow_file=settings.allow_file_urls, timeout=settings.git_timeout)
            remove_tree(tree / ".git")
            verify_tree(tree, sha256, self.limits)
            write_archive(tree, target, self.limits)
        finally:
            remove_tree(work)

    # -- install -------------------------------------------------------------------------------------

    async def install(self, plan: list[Planned]) -> Committed:
        """Obtain, verify, stage and commit ``plan`` (dependencies first).

        Progress is determinate: one step to fetch and one to extract each pack that is not already in
        place, and one for the commit; the last report is ``total`` of ``total``.
        """
        await anyio.to_thread.run_sync(self._prepare)
        lock = await anyio.to_thread.run_sync(read_lockfile, self.market.workspace)
        todo = [item for item in plan if not await anyio.to_thread.run_sync(self._in_place, lock, item)]
        total = float(2 * len(todo) + 1)
        work: list[tuple[Planned, Path, ArchiveScan]] = []
        for number, item in enumerate(todo):
            await self._report(number, total, f"fetching {item.pack_id} {item.version}")
            archive, scan = await self.obtain(item)
            work.append((item, archive, scan))
        staged: list[tuple[Planned, Path]] = []
        try:
            for number, (item, archive, scan) in enumerate(work):
                await self._report(len(todo) + number, total, f"extracting {item.pack_id} {item.version}")
                staged.append((item, await anyio.to_thread.run_sync(self._stage, archive, scan)))
            await self._report(total - 1, total, "pinning in ggen.lock")
            committed = await anyio.to_thread.run_sync(self._commit, plan, staged)
        finally:
            for _item, directory in staged:
                remove_tree(directory.parent)
        await self._report(total, total, f"{len(committed.installed)} pack(s) installed")
        return committed

    def _in_place(self, lock: Lockfile, item: Planned) -> bool:
        """True when ``ggen.lock`` pins exactly ``item`` and its files on disk are intact."""
        current = lock.get(item.pack_id)
        return (
            current is not None
            and (current.version, current.sha256) == (item.version, item.sha256)
            and self.is_intact(current)
        )

    async def _report(self, done: float, total: float, message: str) -> None:
        if self.progress is not None:
            await self.progress(done, total, message)

    def _prepare(self) -> None:
        self.market.check_layout()
        self.layout.ensure()
        self.layout.clean_tmp()

    def _stage(self, archive: Path, scan: ArchiveScan) -> Path:
        holder = Path(tempfile.mkdtemp(prefix="stage-", dir=self.layout.tmp))
        destination = holder / "pack"
        try:
            extract_archive(archive, destination, scan, self.limits)
        except BaseException:
            remove_tree(holder)
            raise
        return destination

    def _commit(self, plan: list[Planned], staged: list[tuple[Planned, Path]]) -> Committed:
        workspace = self.market.workspace
        with workspace_lock(self.layout.state, self.market.settings.lock_timeout):
            lock = read_lockfile(workspace)
            result = Committed()
            staged_by_id = {item.pack_id: directory for item, directory in staged}
            for item in plan:
                current = lock.get(item.pack_id)
                same = current is not None and (current.version, current.sha256) == (item.version, item.sha256)
                done_meanwhile = same and current is not None and self.is_intact(current)
                directory = staged_by_id.get(item.pack_id)
                if directory is not None and not done_meanwhile:
                    self._move_into_place(directory, self.layout.pack_dir(item.pack_id, item.version))
                    result.installed.append(item)
                elif not same:
                    raise MarketError(f"{item.pack_id} {item.version} was not staged; try the install again")
                else:
                    result.unchanged.append(item)
                if current is not None and current.version != item.version:
                    result.replaced[item.pack_id] = current.version
                self._upsert(lock, item, current)
            if self._lock_differs(workspace, lock):  # a restore from cache leaves ggen.lock byte-identical
                write_lockfile(workspace, lock)
                result.lock_written = True
            for pack_id, old in result.replaced.items():
                remove_tree(self.layout.pack_dir(pack_id, old))
            return result

    def record_requirement(self, pack_id: str, requirement: str) -> bool:
        """Change the range ggen.lock keeps for an installed pack; True when the file changed."""
        workspace = self.market.workspace
        with workspace_lock(self.layout.state, self.market.settings.lock_timeout):
            lock = read_lockfile(workspace)
            entry = lock.get(pack_id)
            if entry is None or entry.requirement == requirement:
                return False
            entry.requirement = requirement
            write_lockfile(workspace, lock)
            return True

    @staticmethod
    def _upsert(lock: Lockfile, item: Planned, current: LockEntry | None) -> None:
        requirement = item.requirement if item.direct else (current.requirement if current else None)
        lock.upsert(
            LockEntry(item.pack_id, item.version, item.sha256, item.source, sorted(item.dependencies), requirement)
        )

    @staticmethod
    def _lock_differs(workspace: Workspace, lock: Lockfile) -> bool:
        on_disk = read_lockfile(workspace)
        return {k: v.to_toml() for k, v in on_disk.packs.items()} != {k: v.to_toml() for k, v in lock.packs.items()}

    def _move_into_place(self, staged: Path, final: Path) -> None:
        final.parent.mkdir(parents=True, exist_ok=True)
        if os.path.realpath(final.parent) != str(final.parent):
            raise MarketError(f"{final.parent} is reached through a symbolic link; refusing to install there")
        trash = None
        if final.exists() or final.is_symlink():
            trash = self.layout.tmp / f"trash-{uuid.uuid4().hex}"
            os.rename(final, trash)
        os.rename(staged, final)
        if trash is not None:
            remove_tree(trash)


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
