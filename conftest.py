"""Repository-wide pytest set-up (tests/, plugins/*/tests/, proof/): what the suite writes for itself goes
under the ignored .cache/ folder, never into the working tree (Hypothesis's example database here;
coverage's data files through [tool.coverage.run] data_file in pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

import pytest

CACHE = Path(__file__).resolve().parent / ".cache"


def pytest_configure(config: pytest.Config) -> None:
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(CACHE / "hypothesis")
