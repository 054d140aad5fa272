"""The suite's own set-up, as `make test` runs it: workers under the address-space cap, and what the suite
writes for itself (Hypothesis's database, coverage data) kept under the ignored .cache/ folder."""

from __future__ import annotations

import os
import resource
from pathlib import Path

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
