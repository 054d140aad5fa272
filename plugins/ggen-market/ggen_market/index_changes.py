"""What changed between two registry indexes, and a category-limited merge of them (``market_sync``)."""

from __future__ import annotations

import json
from typing import Any

from ggen_market.index import RegistryIndex


def _in_category(pack: Any, category: str | None) -> bool:
    return category is None or (pack.category or "").lower() == category.lower()


def diff(old: RegistryIndex | None, new: RegistryIndex, category: str | None) -> tuple[list[str], list[str], list[str]]:
    """Added, updated and removed pack ids between two indexes (limited to a category when given)."""
    before = {k: v for k, v in (old.packs if old else {}).items() if _in_category(v, category)}
    after = {k: v for k, v in new.packs.items() if _in_category(v, category)}
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    updated = sorted(k for k in set(before) & set(after) if before[k].model_dump() != after[k].model_dump())
    return added, updated, removed


def merge_category(old_raw: bytes, new_raw: bytes, category: str) -> bytes:
    """The old index with one category's packs replaced by the new index's."""
    old_doc = json.loads(old_raw)
    new_doc = json.loads(new_raw)

    def inside(entry: Any) -> bool:
        return isinstance(entry, dict) and str(entry.get("category") or "").lower() == category.lower()

    packs = {k: v for k, v in old_doc.get("packs", {}).items() if not inside(v)}
    packs.update({k: v for k, v in new_doc.get("packs", {}).items() if inside(v)})
    return json.dumps({"updated": new_doc.get("updated"), "packs": packs}, sort_keys=True).encode()
