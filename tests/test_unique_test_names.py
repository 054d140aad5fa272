"""Every test module has a basename of its own: the pack test folders have no ``__init__.py`` and pytest imports
them by basename, so two ``test_limits.py`` in one ``make test`` stop the whole collection."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_no_two_test_modules_share_a_basename() -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for root in (REPO / "tests", REPO / "plugins"):
        for path in root.rglob("test_*.py"):
            seen[path.name].append(str(path.relative_to(REPO)))
    assert seen, "no test modules found"
    clashes = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert not clashes, clashes
