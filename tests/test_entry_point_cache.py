"""The plugin entry points kept in the cache directory between starts (issue 16): the same entry points as a
lookup, looked up again when a distribution is added or removed, its entry_points.txt edited, sys.path
changed, or the file damaged."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import importlib_metadata
import pytest

from ggen_mcp_core.entry_point_cache import FILE_NAME, KeptEntryPoint, entry_points
from ggen_mcp_core.plugins import ENTRY_POINT_GROUP

FIXTURE_SITE = Path(__file__).parent / "fixture_dists" / "host"


def described(found: Any) -> list[tuple[str, str, str, str]]:
    return [(ep.name, ep.value, ep.dist.name, ep.dist.version) for ep in found]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixture distributions on sys.path."""
    copy = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.syspath_prepend(str(copy))
    yield copy
    for name in [m for m in sys.modules if m.startswith("ggen_fixture_")]:
        del sys.modules[name]


def lookup() -> list[tuple[str, str, str, str]]:
    return described(importlib_metadata.entry_points(group=ENTRY_POINT_GROUP))


def test_kept_entry_points_are_those_a_lookup_finds_and_load_the_same(site: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = entry_points(ENTRY_POINT_GROUP, cache)
    assert not any(isinstance(ep, KeptEntryPoint) for ep in first)  # looked up, then kept
    assert (cache / FILE_NAME).is_file()
    second = entry_points(ENTRY_POINT_GROUP, cache)
    assert all(isinstance(ep, KeptEntryPoint) for ep in second) and second
    assert described(second) == described(first) == lookup()
    assert "ggen_fixture_demo" in {ep.dist.name for ep in second}
    demo = next(ep for ep in second if ep.dist.name == "ggen_fixture_demo")
    assert demo.load() is next(ep for ep in first if ep.dist.name == "ggen_fixture_demo").load()


def test_an_added_or_removed_distribution_or_an_edited_entry_points_file_is_looked_up_again(
    site: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    entry_points(ENTRY_POINT_GROUP, cache)
    shutil.rmtree(site / "ggen_fixture_demo-0.1.0.dist-info")
    found = entry_points(ENTRY_POINT_GROUP, cache)
    assert "ggen_fixture_demo" not in {ep.dist.name for ep in found}
    assert described(found) == lookup()

    shutil.copytree(FIXTURE_SITE / "ggen_fixture_demo-0.1.0.dist-info", site / "ggen_fixture_demo-0.1.0.dist-info")
    assert "ggen_fixture_demo" in {ep.dist.name for ep in entry_points(ENTRY_POINT_GROUP, cache)}
    assert all(isinstance(ep, KeptEntryPoint) for ep in entry_points(ENTRY_POINT_GROUP, cache))

    # entry_points.txt rewritten in place, the directories' times put back: its own size and time tell
    listed = site / "ggen_fixture_demo-0.1.0.dist-info" / "entry_points.txt"
    folders = {folder: folder.stat() for folder in (site, listed.parent)}
    listed.write_text("[ggen_mcp.plugins]\ndemo-renamed = ggen_fixture_demo.plugin\n", encoding="utf-8")
    for folder, stat in folders.items():
        os.utime(folder, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    names = {ep.name for ep in entry_points(ENTRY_POINT_GROUP, cache)}
    assert "demo-renamed" in names and "demo" not in names


def test_another_sys_path_or_a_damaged_file_is_looked_up_again(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    entry_points(ENTRY_POINT_GROUP, cache)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(site)])
    found = entry_points(ENTRY_POINT_GROUP, cache)
    assert not any(ep.dist.name.startswith("ggen_fixture_") for ep in found)
    assert not any(isinstance(ep, KeptEntryPoint) for ep in found)
    kept = json.loads((cache / FILE_NAME).read_text(encoding="utf-8"))
    damaged = [
        "{not json",
        json.dumps({**kept, "format": 99}),
        json.dumps({**kept, "entry_points": [{"name": "x"}]}),
        json.dumps({**kept, "entry_points": [{**kept["entry_points"][0], "value": "not a value!"}]}),
        json.dumps({**kept, "entry_points": [{**kept["entry_points"][0], "state": "0:0"}]}),
    ]
    for text in damaged:
        (cache / FILE_NAME).write_text(text, encoding="utf-8")
        again = entry_points(ENTRY_POINT_GROUP, cache)
        assert not any(isinstance(ep, KeptEntryPoint) for ep in again), text
        assert described(again) == lookup()
        assert json.loads((cache / FILE_NAME).read_text(encoding="utf-8")) == kept  # written again, whole
