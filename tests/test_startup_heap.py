"""The serving process's heap (ggen_mcp_core.startup_heap): after a call that imported modules, what they built
is frozen, once per import, only in a process that froze its start-up heap, and at most MAX_REFREEZES times.
The whole path, in a real `ggen-mcp serve`, is in tests/test_startup_imports.py."""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ggen_mcp_core import startup_heap
from ggen_mcp_core.startup_heap import MAX_REFREEZES, freeze_new_imports


@pytest.fixture
def modules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path for modules the test writes; what it froze is unfrozen afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    gc.unfreeze()
    for name in [name for name in sys.modules if name.startswith("heap_probe_")]:
        del sys.modules[name]


def import_new_module(folder: Path, name: str) -> None:
    (folder / f"{name}.py").write_text("TABLE = {str(i): [i] for i in range(1000)}\n", encoding="utf-8")
    importlib.invalidate_caches()  # the folder's listing may be cached from the module before, in the same second
    __import__(name)


def in_collectors_view(thing: object) -> bool:
    """Whether ``thing`` is in one of the generations a collection walks (frozen objects are in none)."""
    return any(candidate is thing for candidate in gc.get_objects())


def test_a_process_that_never_froze_its_heap_never_freezes_after_a_call(
    modules_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `ggen-mcp call`, tests and embedding applications: nothing froze at start, so nothing freezes later
    monkeypatch.setattr(startup_heap, "_modules_at_freeze", 0)
    import_new_module(modules_dir, "heap_probe_unfrozen")
    assert not freeze_new_imports()
    assert gc.get_freeze_count() == 0


def test_what_new_modules_built_is_frozen_once(modules_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(startup_heap, "_modules_at_freeze", len(sys.modules))
    monkeypatch.setattr(startup_heap, "_refreezes", 0)
    assert not freeze_new_imports(), "nothing was imported since the freeze"
    import_new_module(modules_dir, "heap_probe_first")
    table = sys.modules["heap_probe_first"].TABLE
    assert in_collectors_view(table)
    assert freeze_new_imports()
    assert not in_collectors_view(table), "the module's objects left the generations full collections walk"
    assert gc.get_freeze_count() > len(table)
    assert not freeze_new_imports(), "the same modules are not frozen twice"


def test_freezes_after_start_up_are_bounded(modules_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a plugin that imports a new module on every call must not make every call pay a full collection
    monkeypatch.setattr(startup_heap, "_modules_at_freeze", len(sys.modules))
    monkeypatch.setattr(startup_heap, "_refreezes", MAX_REFREEZES - 1)
    import_new_module(modules_dir, "heap_probe_last")
    assert freeze_new_imports()
    import_new_module(modules_dir, "heap_probe_one_too_many")
    assert not freeze_new_imports()
    assert startup_heap._refreezes == MAX_REFREEZES
