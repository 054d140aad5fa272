"""Dependency resolution: which version of which pack to install, in which order.

Depth-first from the requested packs: each pack gets the highest non-yanked version that satisfies every
constraint on it (the user's range, the requirements of packs that depend on it, including packs already
in ``ggen.lock``), keeping the locked version when it still fits. Dependencies come before dependants in
the result (a topological order). A cycle, an unknown pack, or constraints no version meets are errors
that name the packs involved; there is no backtracking, so a conflict is reported rather than guessed.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ggen_market.errors import ResolutionError
from ggen_market.index import PackEntry, RegistryIndex, VersionEntry
from ggen_market.lockfile import Lockfile
from ggen_market.semver import Range, Version, parse_range, parse_version


@dataclass(frozen=True)
class Root:
    """A pack the user asked for, with the range they gave (None = newest)."""

    pack_id: str
    requirement: Range | None
    upgrade: bool = False  # ignore the locked version (market_update)
    record: str | None = None  # with upgrade: the requirement ggen.lock keeps for it


@dataclass(frozen=True)
class Step:
    """One pack version to have installed."""

    pack_id: str
    version: str
    entry: VersionEntry
    direct: bool
    requirement: str | None


@dataclass
class _State:
    index: RegistryIndex
    lock: Lockfile
    max_packs: int
    upgrades: set[str]
    constraints: dict[str, list[tuple[Range, str]]] = field(default_factory=dict)
    chosen: dict[str, Version] = field(default_factory=dict)
    visiting: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)


def resolve(index: RegistryIndex, lock: Lockfile, roots: list[Root], *, max_packs: int = 100) -> list[Step]:
    """The packs to install for ``roots``, dependencies first."""
    state = _State(index, lock, max_packs, {r.pack_id for r in roots if r.upgrade})
    replaced = {r.pack_id for r in roots}
    for entry in lock.packs.values():  # keep what is installed working
        if entry.id in replaced:
            continue
        for dep in entry.dependencies:
            dep_id, _, req = dep.partition("@")
            state.constraints.setdefault(dep_id, []).append((parse_range(req or "*", bare="caret"), entry.id))
    for root in roots:
        if root.requirement is not None:
            state.constraints.setdefault(root.pack_id, []).append((root.requirement, "your request"))
    for root in roots:
        _visit(state, root.pack_id)
    direct = {r.pack_id: r for r in roots}
    steps = []
    for pack_id in state.order:
        pack = index.packs[pack_id]
        version = str(state.chosen[pack_id])
        requested = direct.get(pack_id)
        requirement = (
            None if requested is None else (requested.record if requested.upgrade else _requirement_text(requested))
        )
        steps.append(Step(pack_id, version, pack.versions[version], requested is not None, requirement))
    return steps


def requirement_text(requirement: Range | None) -> str:
    """How ggen.lock records a user's range: ``*`` for none, ``=1.2.0`` for an exact version."""
    if requirement is None:
        return "*"
    exact = requirement.exact
    return f"={exact}" if exact is not None else requirement.text


def _requirement_text(root: Root) -> str:
    return requirement_text(root.requirement)


def _visit(state: _State, pack_id: str) -> None:
    if pack_id in state.visiting:
        cycle = [*state.visiting[state.visiting.index(pack_id) :], pack_id]
        raise ResolutionError(f"dependency cycle: {' -> '.join(cycle)}; packs must not depend on themselves")
    if pack_id in state.chosen:
        _check_still_fits(state, pack_id)
        return
    if len(state.chosen) >= state.max_packs:
        raise ResolutionError(f"installing this needs more than {state.max_packs} packs (market.max_packs_per_install)")
    pack = state.index.get(pack_id)
    if pack is None:
        raise ResolutionError(_unknown(state, pack_id))
    state.visiting.append(pack_id)
    version = _pick(state, pack)
    state.chosen[pack_id] = version
    entry = pack.versions[str(version)]
    # Every requirement of this pack is known before any of its dependencies picks a version, so
    # siblings constrain each other (io.lib wanting io.util >=0.2.1 and io.app wanting ~0.2 meet at 0.2.x).
    for dep_id, requirement in sorted(entry.dependencies.items()):
        state.constraints.setdefault(dep_id, []).append((parse_range(requirement, bare="caret"), pack_id))
    for dep_id in sorted(entry.dependencies):
        _visit(state, dep_id)
    state.visiting.pop()
    state.order.append(pack_id)


def _pick(state: _State, pack: PackEntry) -> Version:
    constraints = state.constraints.get(pack.id, [])
    exact_pins = {r.exact for r, _ in constraints if r.exact is not None}
    candidates = [
        v
        for v in pack.sorted_versions()
        if all(r.matches(v) for r, _ in constraints) and (not pack.versions[str(v)].yanked or v in exact_pins)
    ]
    if not constraints:
        latest = parse_version(pack.latest_version)
        candidates = [latest] if not pack.versions[str(latest)].yanked else candidates or [latest]
    if not candidates:
        wanted = ", ".join(f"{r} (from {by})" for r, by in constraints)
        available = ", ".join(str(v) for v in pack.sorted_versions()[:10])
        raise ResolutionError(f"no version of {pack.id} satisfies {wanted}; available: {available}")
    locked = state.lock.get(pack.id)
    if locked is not None and pack.id not in state.upgrades:
        locked_version = parse_version(locked.version)
        if locked_version in candidates:
            return locked_version
    return candidates[0]


def _check_still_fits(state: _State, pack_id: str) -> None:
    version = state.chosen[pack_id]
    for requirement, by in state.constraints.get(pack_id, []):
        if not requirement.matches(version):
            raise ResolutionError(f"version conflict on {pack_id}: {version} was chosen, but {by} needs {requirement}")


def _unknown(state: _State, pack_id: str) -> str:
    needed_by = [by for _, by in state.constraints.get(pack_id, []) if by != "your request"]
    close = difflib.get_close_matches(pack_id, list(state.index.packs), n=3)
    text = f"pack {pack_id!r} is not in the registry"
    if needed_by:
        text += f" (a dependency of {', '.join(sorted(set(needed_by)))})"
    if pack_id in state.index.invalid:
        text += f"; its index entry is invalid: {state.index.invalid[pack_id]}"
    if close:
        text += f"; did you mean {', '.join(close)}?"
    return text
