"""The suite's own set-up, as `make test` runs it: workers under the address-space cap, and what the suite
writes for itself (Hypothesis's database, coverage data) kept under the ignored .cache/ folder."""

from __future__ import annotations

import importlib.util
import os
import resource
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_this_worker_runs_under_the_address_space_cap_of_make_test() -> None:
    limit_kb = os.environ.get("GGEN_TEST_ADDRESS_SPACE_KB")
    if limit_kb is None:
        pytest.skip("not run by `make test` (GGEN_TEST_ADDRESS_SPACE_KB unset): no address-space cap to check")
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    assert soft == int(limit_kb) * 1024, (soft, limit_kb)
    assert hard != resource.RLIM_INFINITY


def test_hypothesis_keeps_its_database_under_the_cache_folder() -> None:
    from hypothesis.configuration import storage_directory

    assert storage_directory("examples", intent_to_write=False).is_relative_to(REPO / ".cache")


def test_coverage_writes_its_data_under_the_cache_folder() -> None:
    import coverage

    current = coverage.Coverage.current()
    if current is None:
        pytest.skip("run without coverage (no --cov): no data file to check")
    data_file = Path(current.config.data_file)
    assert (data_file if data_file.is_absolute() else Path.cwd() / data_file).is_relative_to(REPO / ".cache")


def test_bytecode_is_cached_under_the_cache_folder_by_make_test() -> None:
    """`make test` sets PYTHONPYCACHEPREFIX (and lifts PYTHONDONTWRITEBYTECODE): the suite's hundreds of Python
    processes compile each module once, not at every start."""
    import sys

    if os.environ.get("GGEN_TEST_ADDRESS_SPACE_KB") is None:
        pytest.skip("not run by `make test` (GGEN_TEST_ADDRESS_SPACE_KB unset): no bytecode cache to check")
    assert sys.pycache_prefix is not None, "PYTHONPYCACHEPREFIX unset: every process compiles its imports again"
    assert Path(sys.pycache_prefix).is_relative_to(REPO / ".cache"), sys.pycache_prefix
    assert not sys.dont_write_bytecode, "PYTHONDONTWRITEBYTECODE is set: the bytecode cache is never written"


def _root_conftest() -> Any:
    spec = importlib.util.spec_from_file_location("suite_root_conftest", REPO / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_longest_files_are_handed_out_first_then_the_most_tests_first() -> None:
    """`make test` (xdist, --dist loadfile) starts the files of SLOW_FILES_FIRST first, in its order: a long file
    that starts late is the run's tail. Every listed file exists (a renamed file would silently drop out)."""
    root = _root_conftest()
    slow = root.SLOW_FILES_FIRST
    assert len(slow) == len(set(slow)) and all((REPO / name).is_file() for name in slow), slow
    units = [("a.py", [1, 2]), (slow[1], [1]), ("b.py", [1, 2, 3]), (slow[0], [1]), ("c.py", [1, 2])]
    assert root.slow_files_first(units) == [slow[0], slow[1], "b.py", "a.py", "c.py"]
