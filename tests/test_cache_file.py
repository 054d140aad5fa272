"""The files kept under <cache_dir>: a damaged or missing one reads as nothing, a write that cannot happen is
skipped (the next start does the work again), a written one is whole."""

from __future__ import annotations

from pathlib import Path

from ggen_mcp_core.cache_file import read_json, write_json


def test_missing_damaged_or_absent_path_reads_as_none(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.json"
    damaged.write_bytes(b'{"format": 1, "tools": {')
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    assert read_json(tmp_path / "missing.json") is None
    assert read_json(damaged) is None
    assert read_json(binary) is None
    assert read_json(None) is None


def test_written_file_reads_back_and_its_folder_is_made(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "kept.json"
    assert write_json(path, {"format": 1, "valid": ["a" * 64]}, "test file")
    assert read_json(path) == {"format": 1, "valid": ["a" * 64]}
    assert write_json(path, {"format": 2}, "test file")
    assert read_json(path) == {"format": 2}
    assert [p.name for p in path.parent.iterdir()] == ["kept.json"], "no temporary file left beside it"


def test_a_write_that_cannot_happen_is_skipped_and_changes_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder should be")
    assert write_json(blocker / "kept.json", {"format": 1}, "test file") is False
    assert blocker.read_text() == "a file where the folder should be"
    assert write_json(None, {"format": 1}, "test file") is False
