"""Repository-wide pytest set-up (tests/, plugins/*/tests/, proof/): what the suite writes for itself goes
under the ignored .cache/ folder, never into the working tree (Hypothesis's example database here;
coverage's data files through [tool.coverage.run] data_file in pyproject.toml). Under `make test`
(pytest-xdist, ``--dist loadfile``) the longest test files start first."""

from __future__ import annotations

from collections.abc import Iterable, Sized
from pathlib import Path
from typing import Any

import pytest

CACHE = Path(__file__).resolve().parent / ".cache"

# The test files that take longest under `make test`, longest first (wall seconds on one of the four workers,
# docs/performance.md "Test suite, third pass"). xdist hands out whole files, by default the files with the
# most tests first, which started test_faults.py (8 tests, 112 s) after half the run: a file that long starting
# late is the run's tail. These start first; every other file follows, most tests first, as before.
SLOW_FILES_FIRST = (
    "tests/test_faults.py",
    "tests/test_scale_out.py",
    "tests/test_cli.py",
    "plugins/ggen-graph/tests/test_graph_isolation.py",
    "tests/test_startup_imports.py",
    "tests/test_fuzz.py",
    "plugins/ggen-graph/tests/test_sparql_guard_fuzz.py",
    "tests/test_wheels.py",
    "plugins/ggen-ai/tests/test_loops.py",
    "plugins/ggen-template/tests/test_bounded_expansion.py",
    "plugins/ggen-graph/tests/test_graph_boundaries.py",
    "plugins/ggen-template/tests/test_scaffold.py",
    "plugins/ggen-graph/tests/test_graph_deadline.py",
)


def pytest_configure(config: pytest.Config) -> None:
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(CACHE / "hypothesis")


def slow_files_first(units: Iterable[tuple[str, Sized]]) -> list[str]:
    """The order to hand out test files (``(file, its tests)`` pairs): the files of ``SLOW_FILES_FIRST`` in
    its order, then the others, most tests first (xdist's own order), ties in collection order."""
    rank = {name: index for index, name in enumerate(SLOW_FILES_FIRST)}
    listed = [(name, len(tests)) for name, tests in units]
    ordered = sorted(listed, key=lambda unit: (rank.get(unit[0], len(rank)), -unit[1]))
    return [name for name, _ in ordered]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SlowFilesFirst(LoadFileScheduling):  # type: ignore[misc]
        """xdist's file scheduling, the work queue ordered by ``slow_files_first`` before the first file is
        handed out."""

        ordered = False

        def _assign_work_unit(self, node: Any) -> None:
            if not self.ordered:
                self.ordered = True
                units = dict(self.workqueue)
                self.workqueue.clear()
                for name in slow_files_first(units.items()):
                    self.workqueue[name] = units[name]
            super()._assign_work_unit(node)

    return SlowFilesFirst(config, log)
